//! The real router on loopback: health, the Provider Hub as server-rendered HTML, security headers.

mod common;

use common::{TestApp, TestDb};
use keyhub::domain::catalog::{Category, PROVIDERS};
use reqwest::StatusCode;

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

    app.state.db.close().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "database_unavailable");
}

async fn healthz_fails_when_the_vault_cannot_open_the_canary(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    sqlx::query("UPDATE vault_meta SET value = 'fernet1:gAAAA' WHERE name = 'canary'")
        .execute(app.state.db.pool())
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

fn cards_in(html: &str) -> Vec<&str> {
    html.split("data-provider=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
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
