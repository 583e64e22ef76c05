//! `keyhub healthcheck`: asks a running KeyHub's `/healthz`, for a container's `HEALTHCHECK` (its
//! image holds nothing but the binary: no curl, no shell).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Where this process's `keyhub serve` would listen (`LEPTOS_SITE_ADDR`), asked on loopback when
/// it listens on every address.
pub fn local_health_url() -> String {
    let listens: SocketAddr = std::env::var("LEPTOS_SITE_ADDR")
        .ok()
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)));
    let ip = match listens.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(ip, listens.port()))
}

/// Whether `url` answers 200 within a few seconds; says what it got either way.
pub async fn healthy(url: &str) -> bool {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build();
    let answer = match client {
        Ok(client) => client.get(url).send().await,
        Err(error) => Err(error),
    };
    match answer {
        Ok(response) if response.status().is_success() => {
            println!("{url}: {}", response.status());
            true
        }
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            println!(
                "{url}: {status} {}",
                body.chars().take(200).collect::<String>()
            );
            false
        }
        Err(error) => {
            println!("{url}: no answer ({error})");
            false
        }
    }
}
