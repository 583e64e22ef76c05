//! The real router on loopback: health, the Provider Hub as server-rendered HTML, security headers,
//! server-side timeouts and the gateway's own listener.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{people, secret, TestApp, TestDb};
use futures_util::StreamExt;
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::domain::accounts::TokenScope;
use keyhub::domain::catalog::{Category, PROVIDERS};
use keyhub::domain::keys::Scope;
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::KeyDraft;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

async fn healthz_reports_the_backend_and_fails_when_the_database_goes_away(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "database": t.backend.name() })
    );

    app.db.close().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "database_unavailable");
}

async fn healthz_fails_when_the_vault_cannot_open_the_canary(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    sqlx::query("UPDATE vault_meta SET value = 'fernet1:gAAAA' WHERE name = 'canary'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "sealed");
}

on_both_backends!(
    healthz_reports_the_backend_and_fails_when_the_database_goes_away,
    healthz_fails_when_the_vault_cannot_open_the_canary,
);

async fn hub_html(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// The providers whose cards the page shows: every card is in the HTML, those filtered out in an
/// `li` marked `hidden` (after its quoted `data-search`).
fn cards_in(html: &str) -> Vec<&str> {
    html.split("<li data-category=")
        .skip(1)
        .filter(|item| {
            let after_search = item
                .split_once("data-search=\"")
                .map_or("", |(_, rest)| rest);
            let after_value = &after_search[after_search.find('"').map_or(0, |end| end + 1)..];
            !after_value[..after_value.find('>').unwrap_or(0)].contains("hidden")
        })
        .filter_map(|item| {
            let rest = item.split_once("data-provider=\"")?.1;
            Some(&rest[..rest.find('"')?])
        })
        .collect()
}

#[tokio::test]
async fn the_hub_lists_every_provider_and_filters_by_category_link() {
    let t = TestDb::sqlite().await;
    let app = TestApp::spawn(&t).await;
    app.set_up_owner().await;

    let all = hub_html(&app, "/hub").await;
    let ids: Vec<&str> = PROVIDERS.iter().map(|p| p.id).collect();
    assert_eq!(cards_in(&all), ids);
    for tab in ["All", "LLM", "Voice", "Image"] {
        assert!(all.contains(&format!(">{tab}</a>")), "tab {tab} missing");
    }
    assert!(all.contains(r#"href="/hub?category=voice""#));

    for category in Category::ALL {
        let html = hub_html(&app, &format!("/hub?category={}", category.id())).await;
        let expected: Vec<&str> = PROVIDERS
            .iter()
            .filter(|p| p.category == category)
            .map(|p| p.id)
            .collect();
        assert_eq!(cards_in(&html), expected, "{category:?}");
    }
    let unknown = hub_html(&app, "/hub?category=nonsense").await;
    assert_eq!(
        cards_in(&unknown).len(),
        PROVIDERS.len(),
        "an unknown tab shows all"
    );
}

#[tokio::test]
async fn pages_carry_a_nonce_csp_and_the_security_headers() {
    let t = TestDb::sqlite().await;
    let app = TestApp::spawn(&t).await;
    app.set_up_owner().await;
    let response = app.get("/hub").await;
    let headers = response.headers().clone();
    let html = response.text().await.unwrap();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP");
    assert!(nonce.len() >= 16);
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");

    let again = app.get("/hub").await;
    assert_ne!(
        again.headers()["content-security-policy"],
        headers["content-security-policy"],
        "a fresh nonce per response"
    );
}

#[tokio::test]
async fn the_root_redirects_to_the_hub_and_unknown_pages_are_404() {
    let t = TestDb::sqlite().await;
    let app = TestApp::spawn(&t).await;
    app.set_up_owner().await;
    let root = app.get("/").await;
    assert!(root.status().is_redirection(), "{}", root.status());
    assert_eq!(root.headers()["location"], "/hub");
    let missing = app.get("/no-such-page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

// Server-side timeouts (issue 12, item 9) and the gateway's own listener.

/// Reads until the server has answered (a full response head) or closed the connection; what
/// arrived and when, or `None` when nothing of the sort happened within `limit`.
async fn answer_or_close(
    stream: &mut tokio::net::tcp::OwnedReadHalf,
    limit: Duration,
) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
            if received.windows(4).any(|w| w == b"\r\n\r\n") {
                return;
            }
        }
    };
    tokio::time::timeout(limit, read).await.ok()?;
    Some((
        started.elapsed(),
        String::from_utf8_lossy(&received).into_owned(),
    ))
}

/// Waits until the server closes the connection (end of stream or reset); how long that took.
async fn closed_within(
    stream: &mut tokio::net::tcp::OwnedReadHalf,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let closed = async {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(limit, closed).await.ok()?;
    Some(started.elapsed())
}

async fn connect(app: &TestApp) -> (OwnedReadHalf, OwnedWriteHalf) {
    TcpStream::connect(app.address).await.unwrap().into_split()
}

async fn a_request_head_sent_byte_by_byte_is_cut_at_the_header_timeout(t: &TestDb) {
    let app = TestApp::spawn_with(
        t,
        &[
            ("KEYHUB_HTTP_HEADER_TIMEOUT_SECS", "1"),
            ("KEYHUB_HTTP_IDLE_TIMEOUT_SECS", "30"),
        ],
    )
    .await;
    let (mut reader, mut writer) = connect(&app).await;
    // A slow client: a byte of header every 200 ms, never the blank line that ends the head.
    let dripping = tokio::spawn(async move {
        writer
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: keyhub\r\nX-Slow: ")
            .await?;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            writer.write_all(b"a").await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
    let closed = closed_within(&mut reader, Duration::from_secs(5)).await;
    dripping.abort();
    let closed = closed.expect("the half-sent request is cut off within the header timeout");
    assert!(
        closed >= Duration::from_millis(800),
        "not before the header timeout: {closed:?}"
    );
}

async fn a_stalled_request_body_ends_the_request(t: &TestDb) {
    let app = TestApp::spawn_with(
        t,
        &[
            ("KEYHUB_HTTP_BODY_TIMEOUT_SECS", "1"),
            ("KEYHUB_HTTP_REQUEST_TIMEOUT_SECS", "30"),
        ],
    )
    .await;
    let (mut reader, mut writer) = connect(&app).await;
    let origin = app.origin();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {}\r\nOrigin: {origin}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nemail=a",
        app.address
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let (after, answer) = answer_or_close(&mut reader, Duration::from_secs(5))
        .await
        .expect("a request whose body stalls is ended within the body timeout");
    assert!(
        after >= Duration::from_millis(800),
        "not before the body timeout: {after:?} {answer}"
    );
    assert!(!answer.starts_with("HTTP/1.1 2"), "{answer}");
    drop(writer);
}

async fn an_idle_connection_is_closed_after_the_idle_timeout_not_the_header_timeout(t: &TestDb) {
    let app = TestApp::spawn_with(
        t,
        &[
            ("KEYHUB_HTTP_HEADER_TIMEOUT_SECS", "1"),
            ("KEYHUB_HTTP_IDLE_TIMEOUT_SECS", "3"),
        ],
    )
    .await;
    let (mut reader, mut writer) = connect(&app).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: keyhub\r\n\r\n";
    writer.write_all(request).await.unwrap();
    let (_, first) = answer_or_close(&mut reader, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // Kept alive past the header timeout: waiting for a next request is not a slow request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    writer.write_all(request).await.unwrap();
    let (_, second) = answer_or_close(&mut reader, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(second.contains("HTTP/1.1 200"), "{second}");
    let closed = closed_within(&mut reader, Duration::from_secs(8))
        .await
        .expect("an idle keep-alive connection is closed");
    assert!(
        closed >= Duration::from_millis(2500),
        "after the idle timeout, not the header timeout: {closed:?}"
    );
}

/// A client that asks and asks but never reads (a slow-read attack holding the server's buffers
/// and connection): the answers stuck in the socket are not requests in flight, so after the idle
/// timeout the connection is closed and the rest are never written.
async fn a_client_that_stops_reading_is_cut_off_after_the_idle_timeout(t: &TestDb) {
    // The catalog is some 20 KB an answer: far more than the socket buffers hold in all.
    const ASKED: usize = 600;
    let app = TestApp::spawn_with(
        t,
        &[
            ("KEYHUB_HTTP_HEADER_TIMEOUT_SECS", "30"),
            ("KEYHUB_HTTP_IDLE_TIMEOUT_SECS", "2"),
        ],
    )
    .await;
    let token = acme_with_a_key(&app, &[TokenScope::KeysRead]).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let (mut reader, mut writer) = socket.connect(app.address).await.unwrap().into_split();
    let asking = tokio::spawn(async move {
        let request = format!(
            "GET /api/v1/providers HTTP/1.1\r\nHost: keyhub\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .repeat(ASKED);
        let _ = writer.write_all(request.as_bytes()).await;
        writer
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Reading now gets what the buffers held, then the end: not every answer.
    let mut answers = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            answers.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    asking.abort();
    assert!(
        read.is_ok(),
        "the connection was still open after the idle timeout"
    );
    let answered = memchr::memmem::find_iter(&answers, b"HTTP/1.1 200").count();
    assert!(
        answered < ASKED,
        "all {answered} answers were still waiting to be read"
    );
}

/// Acme's owner with a valid OpenAI key, and a token with `scopes`.
async fn acme_with_a_key(app: &TestApp, scopes: &[TokenScope]) -> String {
    let p = people(app).await;
    app.state
        .keys()
        .create(
            p.owner(),
            KeyDraft {
                provider: "openai".to_owned(),
                api_key: secret("sk-proj-timeoutTimeout1111"),
                nickname: Some("Main".to_owned()),
                api_base: None,
                options: Default::default(),
                role: RoleChange::Primary,
                enabled: true,
                scope: Scope::Org,
                allow_unverified: false,
            },
        )
        .await
        .unwrap();
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let request = TokenRequest {
        name: "service",
        scopes,
        lifetime_days: None,
    };
    tokens::Tokens(&app.db)
        .create_in(&org, None, request)
        .await
        .unwrap()
        .secret
        .expose()
        .to_owned()
}

/// A JSON body sent in pieces over about two seconds, each pause shorter than the body timeout.
fn trickled_body() -> reqwest::Body {
    let pieces = ["{\"model\":", "\"gpt-4o\",", "\"messages\":", "[]", "}"];
    let stream = futures_util::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok::<_, std::io::Error>(piece)
    });
    reqwest::Body::wrap_stream(stream)
}

async fn a_slow_handler_is_cut_at_the_request_timeout_but_a_gateway_call_is_not(t: &TestDb) {
    let app = TestApp::spawn_with(
        t,
        &[
            ("KEYHUB_HTTP_REQUEST_TIMEOUT_SECS", "1"),
            ("KEYHUB_HTTP_BODY_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let token = acme_with_a_key(&app, &[TokenScope::KeysWrite, TokenScope::Gateway]).await;
    // The fake provider takes 15 s to answer this key's validation.
    let started = Instant::now();
    let slow = common::new_client()
        .post(app.url("/api/v1/orgs/acme/provider-keys"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"provider": "groq", "api_key": "gsk_slowSlowSlowSlow1111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(5));
    let body: serde_json::Value = slow.json().await.unwrap();
    assert_eq!(body["error"]["code"], "timeout");

    let started = Instant::now();
    let through_gateway = common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(trickled_body())
        .send()
        .await
        .unwrap();
    assert_eq!(through_gateway.status(), StatusCode::OK);
    assert!(started.elapsed() > Duration::from_millis(1500));
}

async fn with_a_gateway_address_the_gateway_has_a_listener_of_its_own(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("KEYHUB_GATEWAY_ADDR", "127.0.0.1:0")]).await;
    let token = acme_with_a_key(&app, &[TokenScope::Gateway]).await;
    let gateway = app.gateway_address.expect("a gateway listener");
    assert_ne!(gateway, app.address);
    let on_main = common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"model": "gpt-4o", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(on_main.status(), StatusCode::NOT_FOUND);

    let gateway_url = |path: &str| format!("http://{gateway}{path}");
    let without_token = common::new_client()
        .post(gateway_url("/gateway/acme/openai/chat/completions"))
        .json(&serde_json::json!({"model": "gpt-4o", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(without_token.headers()["x-content-type-options"], "nosniff");
    let body: serde_json::Value = without_token.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    let answered = common::new_client()
        .post(gateway_url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"model": "gpt-4o", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    for page in ["/hub", "/login", "/healthz", "/api/v1/providers"] {
        let there = common::new_client()
            .get(gateway_url(page))
            .send()
            .await
            .unwrap();
        assert_eq!(there.status(), StatusCode::NOT_FOUND, "{page}");
    }
}

/// HTTP/2 is not spoken: its streams would escape the connection clock (a stream stuck behind a
/// zero flow-control window holds its connection forever).
async fn http2_is_not_spoken(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let (mut reader, mut writer) = connect(&app).await;
    writer
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 9];
    let read = tokio::time::timeout(Duration::from_secs(5), reader.read(&mut first))
        .await
        .expect("the server answers or closes");
    let n = read.unwrap_or(0);
    // An HTTP/2 server's first frame is SETTINGS (type 4 in the frame header's fourth byte).
    assert!(
        n == 0 || first.starts_with(b"HTTP/1.1"),
        "answered {:?}",
        &first[..n]
    );
}

on_both_backends!(
    http2_is_not_spoken,
    a_request_head_sent_byte_by_byte_is_cut_at_the_header_timeout,
    a_stalled_request_body_ends_the_request,
    an_idle_connection_is_closed_after_the_idle_timeout_not_the_header_timeout,
    a_client_that_stops_reading_is_cut_off_after_the_idle_timeout,
    a_slow_handler_is_cut_at_the_request_timeout_but_a_gateway_call_is_not,
    with_a_gateway_address_the_gateway_has_a_listener_of_its_own,
);
