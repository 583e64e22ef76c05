//! The key gateway on both backends, against the fake provider: failover on a rate limit and on
//! exhausted credit, every key failing, streaming, what a caller can and cannot steer, and scopes.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{people, TestApp, TestDb};
use futures_util::StreamExt;
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::domain::accounts::TokenScope;
use keyhub::domain::keys::KeyStatus;
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::KeyDraft;
use reqwest::StatusCode;
use serde_json::json;

fn draft(key: &str, nickname: &str, role: RoleChange) -> KeyDraft {
    common::openai_key(key, nickname, role)
}

/// Acme's owner with a primary and a first fallback OpenAI key (ids), and a gateway token.
async fn acme(app: &TestApp, primary: &str, fallback: &str) -> (String, String, String) {
    let p = people(app).await;
    let keys = app.state.keys();
    let primary = keys
        .create(p.owner(), draft(primary, "Main", RoleChange::Primary))
        .await
        .unwrap()
        .key
        .id;
    let fallback = keys
        .create(
            p.owner(),
            draft(fallback, "Backup", RoleChange::Fallback { rank: None }),
        )
        .await
        .unwrap()
        .key
        .id;
    (
        primary,
        fallback,
        token_of(app, "acme", &[TokenScope::Gateway]).await,
    )
}

async fn token_of(app: &TestApp, org: &str, scopes: &[TokenScope]) -> String {
    let org = app.db.org_by_slug(org).await.unwrap().unwrap();
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

async fn chat(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

/// How often the fake provider was asked with `key`.
fn asked(app: &TestApp, key: &str) -> usize {
    let word = key
        .replace("soon-busy", "ratelimit")
        .replace("soon-broke", "nocredits");
    app.provider_log
        .all()
        .iter()
        .filter(|seen| seen.key == key || seen.key == word)
        .count()
}

async fn a_rate_limited_primary_fails_over_to_the_fallback(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let primary_key = "sk-proj-soon-busyPRIMARY00000001";
    let (primary, fallback, token) =
        acme(&app, primary_key, "sk-proj-FALLBACKfallback00000002").await;
    let message = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]});

    let response = chat(&app, &token, message.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-keyhub-key-id"), fallback);
    assert_eq!(header(&response, "x-keyhub-attempts"), "2");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["id"], "chatcmpl-fake");

    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let rested = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    assert_eq!(rested.status, KeyStatus::RateLimited);
    let until = rested.cooldown_until.unwrap() - keyhub::store::now_ms();
    assert!(
        (25_000..=30_000).contains(&until),
        "retry-after: 30 → {until} ms"
    );
    let events = app.events(&org.id).await;
    assert_eq!(events[0].action, "key.failover");
    assert!(
        events[0].detail.contains("moved on to 'Backup'"),
        "{}",
        events[0].detail
    );

    // While it rests, the primary is not tried at all.
    let before = asked(&app, primary_key);
    let response = chat(&app, &token, message).await;
    assert_eq!(
        (
            header(&response, "x-keyhub-key-id"),
            header(&response, "x-keyhub-attempts")
        ),
        (fallback.clone(), "1".into())
    );
    assert_eq!(asked(&app, primary_key), before);

    // Usage is counted in memory and written in a batch; the key object shows it.
    app.gateway.usage().flush(&app.db).await.unwrap();
    let usage = app.db.usage_of(&org.id).await.unwrap();
    assert_eq!(
        (usage[&primary].requests, usage[&primary].rate_limited),
        (1, 1)
    );
    assert_eq!(
        (usage[&fallback].requests, usage[&fallback].failures()),
        (2, 0)
    );
    let reader = token_of(&app, "acme", &[TokenScope::KeysRead]).await;
    let key: serde_json::Value = common::new_client()
        .get(app.url(&format!("/api/v1/provider-keys/{primary}")))
        .bearer_auth(reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(key["usage"]["rate_limited"], 1);
    assert!(
        key["usage"]["last_failure"]
            .as_str()
            .unwrap()
            .contains("rate"),
        "{key}"
    );
}

async fn exhausted_credit_marks_the_key_and_the_next_request_skips_it(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let primary_key = "sk-proj-soon-brokePRIMARY0000003";
    let (primary, fallback, token) =
        acme(&app, primary_key, "sk-proj-FALLBACKfallback00000004").await;
    let response = chat(&app, &token, json!({"model": "gpt-4o"})).await;
    assert_eq!(
        (response.status(), header(&response, "x-keyhub-key-id")),
        (StatusCode::OK, fallback.clone())
    );
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let key = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    assert_eq!(key.status, KeyStatus::NoCredits);
    assert!(
        key.cooldown_until.unwrap() - keyhub::store::now_ms() > 59 * 60 * 1000,
        "an hour"
    );
    let before = asked(&app, primary_key);
    let response = chat(&app, &token, json!({"model": "gpt-4o"})).await;
    assert_eq!(header(&response, "x-keyhub-attempts"), "1");
    assert_eq!(
        asked(&app, primary_key),
        before,
        "skipped without being tried"
    );
}

async fn when_every_key_fails_the_caller_gets_the_last_answer(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let (_, fallback, token) = acme(
        &app,
        "sk-proj-soon-busyPRIMARY00000005",
        "sk-proj-soon-failFALLBACK0000006",
    )
    .await;
    let response = chat(&app, &token, json!({"model": "gpt-4o"})).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&response, "x-keyhub-attempts"), "2");
    assert_eq!(header(&response, "x-keyhub-key-id"), fallback);
    // Both rest now; nothing is left and the org's own keys are never replaced by a platform key.
    let response = chat(&app, &token, json!({"model": "gpt-4o"})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_key");
}

async fn a_stream_arrives_in_pieces(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let (primary, _, token) = acme(
        &app,
        "sk-proj-STREAMstreamSTREAM0007",
        "sk-proj-FALLBACKfallback00000008",
    )
    .await;
    let started = Instant::now();
    let response = chat(&app, &token, json!({"model": "gpt-4o", "stream": true})).await;
    assert_eq!(header(&response, "x-keyhub-key-id"), primary);
    assert_eq!(header(&response, "content-type"), "text/event-stream");
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).contains("part 0"));
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    let total = started.elapsed();
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    // The upstream takes 1.5 s; the first event must not wait for it.
    assert!(total >= Duration::from_millis(1400), "{total:?}");
    assert!(
        first_at < Duration::from_millis(900),
        "first event after {first_at:?}"
    );
}

async fn the_caller_cannot_steer_the_key_or_the_upstream(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let stored = "sk-proj-STOREDstoredSTORED00009";
    let (primary, _, token) = acme(&app, stored, "sk-proj-FALLBACKfallback00000010").await;
    let response = common::new_client()
        .get(app.url("/gateway/acme/openai/models?key=sk-proj-ATTACKERattacker&limit=2"))
        .header("x-api-key", &token)
        .header("host", "evil.example")
        .header("api-key", "sk-proj-ATTACKERattacker")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-keyhub-key-id"), primary);
    let seen = app.provider_log.all().pop().unwrap();
    assert_eq!(seen.path, "/openai/models");
    assert_eq!(seen.query, "limit=2");
    assert_eq!(
        (seen.key_header.as_deref(), seen.key.as_str()),
        (Some("authorization"), stored)
    );

    for path in [
        "/gateway/acme/openai/../../admin",
        "/gateway/acme/openai/a//b",
    ] {
        let response = common::new_client()
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::OK, "{path}");
    }
    // The caller's bad path is the caller's: no key was tried or marked for it.
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let key = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    assert_eq!((key.status, key.cooldown_until), (KeyStatus::Valid, None));
    let response = common::new_client()
        .get(app.url("/gateway/acme/openai/a//b"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Another org's keys are out of reach: its slug is not found for Acme's token, and Globex's
    // token does not open Acme's gateway.
    app.db.create_org("globex", "Globex").await.unwrap();
    let globex = token_of(&app, "globex", &[TokenScope::Gateway]).await;
    for (path, token) in [
        ("/gateway/globex/openai/models", &token),
        ("/gateway/acme/openai/models", &globex),
    ] {
        let response = common::new_client()
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A token without the gateway scope, and no token at all.
    let reader = token_of(&app, "acme", &[TokenScope::KeysRead, TokenScope::KeysUse]).await;
    let response = common::new_client()
        .get(app.url("/gateway/acme/openai/models"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = common::new_client()
        .get(app.url("/gateway/acme/openai/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn the_token_limit_is_keyhubs_own(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("KEYHUB_GATEWAY_REQUESTS_PER_MINUTE", "2")]).await;
    let (_, _, token) = acme(
        &app,
        "sk-proj-LIMITlimitLIMIT000011",
        "sk-proj-FALLBACKfallback00000012",
    )
    .await;
    for _ in 0..2 {
        assert_eq!(chat(&app, &token, json!({})).await.status(), StatusCode::OK);
    }
    let response = chat(&app, &token, json!({})).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "x-keyhub-rate-limited"), "token");
    assert!(header(&response, "retry-after").parse::<u64>().unwrap() <= 60);
}

async fn large_bodies_get_one_try_and_say_so(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("KEYHUB_GATEWAY_MAX_BODY_MB", "6")]).await;
    let (primary, _, token) = acme(
        &app,
        "sk-proj-soon-busyPRIMARY00000013",
        "sk-proj-FALLBACKfallback00000014",
    )
    .await;
    let large = json!({"model": "gpt-4o", "input": "x".repeat(5 * 1024 * 1024)});
    let response = chat(&app, &token, large).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the primary's own answer"
    );
    assert_eq!(header(&response, "x-keyhub-key-id"), primary);
    assert_eq!(header(&response, "x-keyhub-attempts"), "1");
    assert!(header(&response, "x-keyhub-retry").starts_with("off"));
    let too_large = json!({"input": "x".repeat(7 * 1024 * 1024)});
    let response = chat(&app, &token, too_large).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn a_hostile_upstream_cannot_act_as_keyhub(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let stored = "sk-proj-hostileHOSTILEhostile0015";
    let (primary, _, token) = acme(&app, stored, "sk-proj-FALLBACKfallback00000016").await;
    // The gateway token in the link, as a hostile page would be shared with a signed-in victim.
    let victim = app
        .sign_in(common::OWNER_EMAIL, common::OWNER_PASSWORD)
        .await;
    let response = victim
        .get(app.url(&format!("/gateway/acme/openai/hostile-page?key={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-keyhub-key-id"), primary);
    assert_eq!(
        header(&response, "content-security-policy"),
        "sandbox; default-src 'none'"
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&response, "cross-origin-resource-policy"),
        "same-origin"
    );
    for name in [
        "location",
        "refresh",
        "set-cookie",
        "clear-site-data",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "x-echo",
    ] {
        assert!(!response.headers().contains_key(name), "{name} came back");
    }
    assert_eq!(
        response
            .headers()
            .get_all("content-security-policy")
            .iter()
            .count(),
        1
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<script>"), "the page itself passes");
    assert!(!page.contains(stored), "the key never comes back: {page}");

    // KeyHub's own refusals are sandboxed too, and a session cookie is never a gateway credential.
    let refused = victim
        .get(app.url("/gateway/acme/openai/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&refused, "content-security-policy"),
        "sandbox; default-src 'none'"
    );
}

async fn caller_headers_and_paths_cannot_knock_out_good_keys(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let (primary, fallback, token) = acme(
        &app,
        "sk-proj-GOODprimaryGOOD00000017",
        "sk-proj-GOODfallbackGOOD0000018",
    )
    .await;
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let before = app.db.key(&org.id, &primary).await.unwrap().unwrap();

    // A header the provider refuses good keys for does not travel on.
    let response = common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(&token)
        .header("openai-organization", "org-not-the-keys")
        .header("openai-beta", "assistants=v2")
        .json(&json!({"model": "gpt-4o"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-keyhub-key-id"), primary);

    // Paths the URL parser would turn into `..` are refused before any key is tried.
    let asked_before = app.provider_log.all().len();
    for path in [
        "x/.%09./.%09./y",
        "x/.%0a./y",
        "x/%2e%2E/y",
        "x/%252e%252e/y",
        "x%5c..%5cy",
        "models%3Flimit=1",
    ] {
        let status = status_of_raw(&app, &token, &format!("/gateway/acme/openai/{path}")).await;
        assert_eq!(status, 400, "{path}");
    }
    assert_eq!(app.provider_log.all().len(), asked_before);
    for id in [&primary, &fallback] {
        let after = app.db.key(&org.id, id).await.unwrap().unwrap();
        assert_eq!(
            (after.status, after.cooldown_until),
            (KeyStatus::Valid, None)
        );
    }
    let after = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    assert_eq!(after.last_validated_at, before.last_validated_at);
}

/// The status of a GET whose path is sent exactly as written (an HTTP client would normalize it).
async fn status_of_raw(app: &TestApp, token: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: keyhub\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    let address = app.address;
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.split(' ').nth(1).unwrap().parse().unwrap()
    })
    .await
    .unwrap()
}

/// How often validation's probe asked the fake provider about `key`.
fn probed(app: &TestApp, key: &str) -> usize {
    app.provider_log
        .all()
        .iter()
        .filter(|seen| seen.path.ends_with("/models") && seen.key == key)
        .count()
}

async fn a_refusal_at_call_time_marks_nothing_until_a_probe_agrees(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let refused_key = "sk-proj-callrejectPRIMARY0000019";
    let (primary, fallback, token) =
        acme(&app, refused_key, "sk-proj-FALLBACKfallback00000020").await;
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let before = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    assert_eq!(probed(&app, refused_key), 1, "validated when saved");

    // The provider refuses the call, but the key still validates: nothing changes but the check.
    for _ in 0..3 {
        let response = chat(&app, &token, json!({"model": "gpt-4o"})).await;
        assert_eq!(header(&response, "x-keyhub-key-id"), fallback);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let checked = loop {
        let key = app.db.key(&org.id, &primary).await.unwrap().unwrap();
        if key.last_validated_at != before.last_validated_at || Instant::now() > deadline {
            break key;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(probed(&app, refused_key), 2, "one probe for three refusals");
    assert_eq!(
        (checked.status, checked.cooldown_until),
        (KeyStatus::Valid, None)
    );
    assert!(app
        .events(&org.id)
        .await
        .iter()
        .all(|event| event.action != "key.failover"));

    // A key the provider really revoked: the probe agrees, and only then is it marked.
    let revoked = "sk-proj-soon-revokedSECOND000021";
    let writer = token_of(&app, "acme", &[TokenScope::KeysWrite]).await;
    let created: serde_json::Value = common::new_client()
        .post(app.url("/api/v1/orgs/acme/provider-keys"))
        .bearer_auth(writer)
        .json(&json!({"provider": "openai", "api_key": revoked, "role": "primary"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revoked_id = created["key"]["id"].as_str().unwrap().to_owned();
    let response = chat(&app, &token, json!({"model": "gpt-4o"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(10);
    let marked = loop {
        let key = app.db.key(&org.id, &revoked_id).await.unwrap().unwrap();
        if key.status != KeyStatus::Valid || Instant::now() > deadline {
            break key;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(marked.status, KeyStatus::Invalid);
}

async fn a_call_failure_is_not_a_validation(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let (primary, _, token) = acme(
        &app,
        "sk-proj-soon-busyPRIMARY00000022",
        "sk-proj-FALLBACKfallback00000023",
    )
    .await;
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let before = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    chat(&app, &token, json!({"model": "gpt-4o"})).await;
    let after = app.db.key(&org.id, &primary).await.unwrap().unwrap();
    assert_eq!(after.status, KeyStatus::RateLimited);
    assert_eq!(after.last_validated_at, before.last_validated_at);
    assert_eq!(after.last_success_at, before.last_success_at);
}

async fn a_provider_that_stops_sending_ends_the_stream(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("KEYHUB_GATEWAY_IDLE_SECS", "1")]).await;
    let (_, _, token) = acme(
        &app,
        "sk-proj-stallSTALLstall000000024",
        "sk-proj-FALLBACKfallback00000025",
    )
    .await;
    let started = Instant::now();
    let response = chat(&app, &token, json!({"model": "gpt-4o", "stream": true})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("part"));
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream was ended");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn a_slow_answer_is_the_callers_and_charges_no_key(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("KEYHUB_GATEWAY_TIMEOUT_SECS", "1")]).await;
    let (primary, fallback, token) = acme(
        &app,
        "sk-proj-callsnailPRIMARY0000026",
        "sk-proj-FALLBACKfallback00000027",
    )
    .await;
    let response = chat(&app, &token, json!({"model": "o1", "max_tokens": 100000})).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(header(&response, "x-keyhub-attempts"), "1");
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    for id in [&primary, &fallback] {
        let key = app.db.key(&org.id, id).await.unwrap().unwrap();
        assert_eq!((key.status, key.cooldown_until), (KeyStatus::Valid, None));
    }
    assert_eq!(
        asked(&app, "sk-proj-FALLBACKfallback00000027"),
        1,
        "only its validation"
    );
}

on_both_backends!(
    a_slow_answer_is_the_callers_and_charges_no_key,
    a_provider_that_stops_sending_ends_the_stream,
    a_hostile_upstream_cannot_act_as_keyhub,
    caller_headers_and_paths_cannot_knock_out_good_keys,
    a_refusal_at_call_time_marks_nothing_until_a_probe_agrees,
    a_call_failure_is_not_a_validation,
    large_bodies_get_one_try_and_say_so,
    a_rate_limited_primary_fails_over_to_the_fallback,
    exhausted_credit_marks_the_key_and_the_next_request_skips_it,
    when_every_key_fails_the_caller_gets_the_last_answer,
    a_stream_arrives_in_pieces,
    the_caller_cannot_steer_the_key_or_the_upstream,
    the_token_limit_is_keyhubs_own,
);
