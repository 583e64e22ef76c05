//! Provider calls never go through a proxy named in the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`): it would carry keys past the address rules. Only `KEYHUB_PROVIDER_PROXY` is used.
//! A test binary of its own with a single test, because it changes the process environment.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{fake_provider, secret, TestApp, TestDb};
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::domain::accounts::TokenScope;
use keyhub::domain::catalog::provider;
use keyhub::domain::keys::KeyStatus;
use keyhub::keys::arrangement::RoleChange;
use keyhub::upstream::{Egress, Prober};
use reqwest::StatusCode;
use serde_json::Map;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A forward proxy that records the request line of every request it gets and answers each like a
/// provider that accepts the key.
async fn spawn_recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => received.extend_from_slice(&buffer[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&received);
                record
                    .lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or_default().to_owned());
                let body = r#"{"object":"list","data":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// Validation and the gateway of a running KeyHub, with every proxy variable pointing at `proxy`.
async fn provider_calls_go_straight_to_the_provider(t: &TestDb, seen: &Mutex<Vec<String>>) {
    let app = TestApp::spawn(t).await;
    let openai = provider("openai").unwrap();
    let base = format!("{}/openai", app.provider_base);
    let verdict = app
        .state
        .keys()
        .prober()
        .validate(
            openai,
            &secret("sk-proj-direct1111"),
            Some(&base),
            &Map::new(),
        )
        .await;
    assert_eq!(verdict.status, KeyStatus::Valid, "{}", verdict.message);
    assert_eq!(app.provider_log.all().len(), 1, "the provider was asked");

    let org = app.db.create_org("acme", "Acme").await.unwrap();
    common::OfflineKeys::new(&app.db, app.vault.clone(), &org)
        .store(common::key_draft(
            "openai",
            "sk-proj-gateway1111",
            RoleChange::Primary,
        ))
        .await
        .unwrap();
    let request = TokenRequest {
        name: "service",
        scopes: &[TokenScope::Gateway],
        lifetime_days: None,
    };
    let token = tokens::Tokens(&app.db)
        .create_in(&org, None, request)
        .await
        .unwrap();
    // This test's own client must not use the environment's proxy either.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let answer = client
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(token.secret.expose())
        .json(&serde_json::json!({"model": "gpt-4o", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(app.provider_log.all().len(), 2, "the gateway reached it");

    assert_eq!(
        seen.lock().unwrap().clone(),
        Vec::<String>::new(),
        "nothing went through the environment's proxy"
    );
}

#[tokio::test]
async fn provider_calls_ignore_environment_proxies_and_use_only_the_configured_one() {
    let (proxy, seen) = spawn_recording_proxy().await;
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        std::env::set_var(name, &proxy);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    let sqlite = TestDb::sqlite().await;
    provider_calls_go_straight_to_the_provider(&sqlite, &seen).await;
    if let Some(postgres) = TestDb::postgres().await {
        provider_calls_go_straight_to_the_provider(&postgres, &seen).await;
        postgres.drop_database().await;
    }

    // The proxy the operator names is used, for every provider call.
    let (fake, log) = fake_provider::spawn().await;
    let egress = Egress {
        allow_private: true,
        proxy: Some(secret(&proxy)),
    };
    let verdict = Prober::new(BTreeMap::new(), &egress)
        .validate(
            provider("openai").unwrap(),
            &secret("sk-proj-proxied1111"),
            Some(&format!("{fake}/openai")),
            &Map::new(),
        )
        .await;
    assert_eq!(verdict.status, KeyStatus::Valid, "{}", verdict.message);
    assert_eq!(
        seen.lock().unwrap().clone(),
        vec![format!("GET {fake}/openai/models HTTP/1.1")]
    );
    assert!(log.all().is_empty(), "only through the proxy");
}
