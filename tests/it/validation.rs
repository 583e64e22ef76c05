//! Validation probes against the fake provider: every probe-able catalog provider × every outcome
//! the fake can give, the key sent the provider's way to the provider's endpoint, transport
//! failures as network errors, and the SSRF rules (metadata, private addresses, redirects).

use crate::common;

use crate::common::fake_provider;

use std::collections::BTreeMap;

use keyhub::domain::catalog::{provider, KeyAuth, Validation, PROVIDERS};
use keyhub::domain::keys::KeyStatus;
use keyhub::upstream::{Egress, Prober};
use keyhub::vault::SecretString;
use serde_json::{json, Map, Value};

/// The providers KeyHub can probe today (Google service accounts come later).
fn probed() -> Vec<&'static keyhub::domain::catalog::Provider> {
    PROVIDERS
        .iter()
        .filter(|p| matches!(p.validation, Validation::Probe { .. }))
        .filter(|p| p.auth != KeyAuth::GoogleServiceAccount)
        .collect()
}

/// Every provider pointed at the fake, as `KEYHUB_PROVIDER_BASE_<ID>` would.
fn prober(base: &str, allow_private: bool) -> Prober {
    let overrides: BTreeMap<String, String> = PROVIDERS
        .iter()
        .map(|p| (p.id.to_owned(), format!("{base}/{}", p.id)))
        .collect();
    Prober::new(overrides, &Egress::direct(allow_private))
}

/// What a provider needs besides its key: Azure's endpoint and version, a custom endpoint's base.
fn setup(id: &str, base: &str) -> (Option<String>, Map<String, Value>) {
    let mut options = Map::new();
    let mut api_base = None;
    match id {
        "azure-openai" => {
            options.insert("endpoint".into(), json!(format!("{base}/azure-openai")));
            options.insert("api_version".into(), json!("2024-10-21"));
            options.insert("deployment".into(), json!("gpt-4o"));
        }
        "azure-speech" => {
            options.insert("region".into(), json!("westeurope"));
        }
        "aws-bedrock" => {
            options.insert("region".into(), json!("us-east-1"));
        }
        "custom" => {
            options.insert("name".into(), json!("vllm"));
            api_base = Some(format!("{base}/custom/v1"));
        }
        _ => {}
    }
    (api_base, options)
}

#[tokio::test]
async fn every_provider_and_outcome_is_classified_without_leaking_the_key() {
    let (base, log) = fake_provider::spawn().await;
    let prober = prober(&base, true);
    let outcomes = [
        ("valid", KeyStatus::Valid),
        ("invalid", KeyStatus::Invalid),
        ("expired", KeyStatus::Expired),
        ("restricted", KeyStatus::ValidRestricted),
        ("nocredits", KeyStatus::NoCredits),
        ("ratelimit", KeyStatus::RateLimited),
        ("down", KeyStatus::ProviderDown),
        ("overloaded", KeyStatus::ProviderDown),
        ("drop", KeyStatus::NetworkError),
    ];
    let providers = probed();
    assert!(
        providers.len() >= 20,
        "{} probe-able providers",
        providers.len()
    );
    for provider in providers {
        let (api_base, options) = setup(provider.id, &base);
        for (word, expected) in outcomes {
            let key = format!("tk-{word}-SECRETPART-{}-9f8e", provider.id);
            let verdict = prober
                .validate(
                    provider,
                    &SecretString::new(&key),
                    api_base.as_deref(),
                    &options,
                )
                .await;
            assert_eq!(
                verdict.status, expected,
                "{} {word}: {}",
                provider.id, verdict.message
            );
            for text in [&verdict.message, &verdict.code] {
                assert!(
                    !text.contains("SECRETPART"),
                    "{} {word} leaked: {text}",
                    provider.id
                );
            }
            if word == "ratelimit" {
                assert_eq!(verdict.retry_after.map(|d| d.as_secs()), Some(30));
            }
        }
        // The probe asked the provider's endpoint, with the key in the provider's header.
        let seen = log.all();
        let last = seen.iter().rev().find(|s| s.family == provider.id).unwrap();
        let Validation::Probe { method, path } = provider.validation else {
            unreachable!()
        };
        assert_eq!(last.method, method, "{}", provider.id);
        let path = path.split('?').next().unwrap().replace("{api_version}", "");
        assert!(
            last.path.ends_with(&path),
            "{}: {} (wanted …{path})",
            provider.id,
            last.path
        );
        let header = match provider.auth {
            KeyAuth::Bearer | KeyAuth::AwsSigV4 => "authorization".to_owned(),
            KeyAuth::Header { name, .. } => name.to_ascii_lowercase(),
            _ => unreachable!(),
        };
        assert_eq!(
            last.key_header.as_deref(),
            Some(header.as_str()),
            "{}",
            provider.id
        );
    }
}

/// An IAM key pair is sent as an AWS signature (the secret never travels); a Bedrock API key as a
/// bearer token.
#[tokio::test]
async fn bedrock_access_keys_are_signed_with_sigv4() {
    let (base, log) = fake_provider::spawn().await;
    let prober = prober(&base, true);
    let bedrock = provider("aws-bedrock").unwrap();
    let secret = SecretString::new("wJalrXUtnFEMI-SECRETPART-bPxRfiCYEXAMPLEKEY");
    for (key_id, expected) in [
        ("AKIAVALIDEXAMPLE", KeyStatus::Valid),
        ("AKIAINVALIDEXAMPLE", KeyStatus::Invalid),
    ] {
        let mut options = Map::new();
        options.insert("region".into(), json!("eu-central-1"));
        options.insert("access_key_id".into(), json!(key_id));
        let verdict = prober.validate(bedrock, &secret, None, &options).await;
        assert_eq!(verdict.status, expected, "{key_id}: {}", verdict.message);
        assert!(!verdict.message.contains("SECRETPART"));
    }
    let seen = log.all();
    assert_eq!(
        seen[0].key, "AKIAVALIDEXAMPLE",
        "the fake read the signature's key id"
    );
    assert!(
        seen.iter().all(|s| !s.key.contains("SECRETPART")),
        "the secret never travels"
    );
    assert!(seen[0].path.ends_with("/foundation-models"));
}

/// A service-account key earns a token with a JWT it signs; the token endpoint is Google's (here
/// the instance override), never the one the pasted file names.
#[tokio::test]
async fn vertex_service_accounts_sign_a_token_request() {
    let (base, log) = fake_provider::spawn().await;
    let prober = prober(&base, true);
    let vertex = provider("google-vertex").unwrap();
    let mut options = Map::new();
    options.insert("project".into(), json!("proj"));
    options.insert("location".into(), json!("europe-west4"));
    for (email, expected) in [
        ("kh@proj.iam.gserviceaccount.com", KeyStatus::Valid),
        ("invalid@proj.iam.gserviceaccount.com", KeyStatus::Invalid),
    ] {
        let file = SecretString::new(common::test_service_account(email));
        let verdict = prober.validate(vertex, &file, None, &options).await;
        assert_eq!(verdict.status, expected, "{email}: {}", verdict.message);
        assert!(!verdict.message.contains("PRIVATE KEY"));
    }
    let seen = log.all();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|s| s.method == "POST" && s.path == "/google-vertex/token"));
    assert_eq!(
        seen[0].key, "kh@proj.iam.gserviceaccount.com",
        "the JWT names the account"
    );
}

#[tokio::test]
async fn a_slow_provider_is_a_network_error_not_an_invalid_key() {
    let (base, _) = fake_provider::spawn().await;
    let openai = provider("openai").unwrap();
    let started = std::time::Instant::now();
    let verdict = prober(&base, true)
        .validate(openai, &SecretString::new("sk-slow-key"), None, &Map::new())
        .await;
    assert_eq!(verdict.status, KeyStatus::NetworkError);
    assert_eq!(verdict.code, "timeout");
    assert!(
        started.elapsed().as_secs() < 14,
        "bounded by the total timeout"
    );
}

#[tokio::test]
async fn unreachable_hosts_and_forbidden_addresses_are_never_asked() {
    let openai = provider("openai").unwrap();
    let key = SecretString::new("sk-valid-key");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = Prober::new(BTreeMap::new(), &Egress::direct(true))
        .validate(
            openai,
            &key,
            Some(&format!("http://127.0.0.1:{closed}/v1")),
            &Map::new(),
        )
        .await;
    assert_eq!(
        refused.status,
        KeyStatus::NetworkError,
        "{}",
        refused.message
    );

    let strict = Prober::new(BTreeMap::new(), &Egress::direct(false));
    for base in [
        "http://169.254.169.254/latest",
        "https://169.254.169.254/latest",
        "https://127.0.0.1:9/v1",
        "https://localhost:9/v1",
        "http://api.example.com/v1",
    ] {
        let verdict = strict.validate(openai, &key, Some(base), &Map::new()).await;
        assert_eq!(
            verdict.status,
            KeyStatus::Unsupported,
            "{base}: {}",
            verdict.message
        );
    }
    // A host name (not an address) that resolves to a private one is refused after resolution:
    // this machine's own name resolves to loopback through /etc/hosts.
    let (fake, _) = fake_provider::spawn().await;
    let port = fake.rsplit(':').next().unwrap();
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned();
    let resolved: Vec<_> = tokio::net::lookup_host((name.as_str(), 0))
        .await
        .unwrap()
        .collect();
    assert!(
        resolved.iter().all(|a| a.ip().is_loopback()),
        "precondition: {name} resolves to loopback here ({resolved:?})"
    );
    let by_name = format!("https://{name}:{port}/openai");
    let refused = strict
        .validate(openai, &key, Some(&by_name), &Map::new())
        .await;
    assert_eq!(
        refused.status,
        KeyStatus::NetworkError,
        "{}",
        refused.message
    );
    assert_eq!(
        refused.code, "dns",
        "refused at resolution: {}",
        refused.message
    );
    let allowed = Prober::new(BTreeMap::new(), &Egress::direct(true))
        .validate(
            openai,
            &key,
            Some(&by_name.replace("https", "http")),
            &Map::new(),
        )
        .await;
    assert_eq!(allowed.status, KeyStatus::Valid, "{}", allowed.message);
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed() {
    use axum::response::Redirect;
    use axum::routing::get;
    let (target, log) = fake_provider::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let elsewhere = format!("{}/openai/models", target.replace("127.0.0.1", "localhost"));
    let app = axum::Router::new().route(
        "/v1/models",
        get(move || {
            let elsewhere = elsewhere.clone();
            async move { Redirect::temporary(&elsewhere) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let verdict = Prober::new(BTreeMap::new(), &Egress::direct(true))
        .validate(
            provider("openai").unwrap(),
            &SecretString::new("sk-valid-key"),
            Some(&format!("http://{address}/v1")),
            &Map::new(),
        )
        .await;
    assert_eq!(verdict.status, KeyStatus::Unverified, "{}", verdict.message);
    assert!(verdict.message.contains("no redirects to other hosts"));
    assert!(log.all().is_empty(), "the other host was never asked");
}
