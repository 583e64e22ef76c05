//! The `/api/v1` key routes on both backends: the whole lifecycle through the API, bad input that
//! changes nothing, and the OpenAPI document whose key schemas have no field for a secret.

use crate::common;

use crate::common::{TestApp, TestDb};
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::domain::accounts::TokenScope;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The fields a masked key has (SPEC.md §7), and not one more.
const MASKED_KEY_FIELDS: &[&str] = &[
    "api_base",
    "category",
    "created_at",
    "enabled",
    "fallback_rank",
    "hint",
    "id",
    "last_error",
    "last_success_at",
    "last_validated_at",
    "nickname",
    "options",
    "org",
    "provider",
    "role",
    "scope",
    "status",
    "updated_at",
    "usage",
];

/// A service calling the API: its token and no browser cookies.
struct Api {
    app: TestApp,
    client: reqwest::Client,
    token: String,
}

impl Api {
    async fn new(t: &TestDb) -> Api {
        let app = TestApp::spawn(t).await;
        app.set_up_owner().await;
        let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
        let request = TokenRequest {
            name: "api test",
            scopes: &[TokenScope::KeysRead, TokenScope::KeysWrite],
            lifetime_days: None,
        };
        let token = tokens::Tokens(&app.db)
            .create_in(&org, None, request)
            .await
            .unwrap();
        Api {
            token: token.secret.expose().to_owned(),
            client: common::new_client(),
            app,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Asks for the key to be validated now: the answer's status and the key's health.
    async fn validate(&self, id: &str) -> (StatusCode, Value) {
        let path = format!("/api/v1/provider-keys/{id}/validate");
        self.call(Method::POST, &path, None).await
    }

    async fn key_count(&self) -> usize {
        let (_, list) = self
            .call(Method::GET, "/api/v1/orgs/acme/provider-keys", None)
            .await;
        list["keys"].as_array().unwrap().len()
    }
}

fn field_names(object: &Value) -> Vec<String> {
    let mut names: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

async fn the_key_lifecycle_through_the_api(t: &TestDb) {
    let api = Api::new(t).await;
    let (status, saved) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(json!({"provider": "openai", "api_key": "sk-proj-restRestRest1111", "nickname": "Prod", "role": "primary"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let key = &saved["key"];
    assert_eq!(field_names(key), MASKED_KEY_FIELDS);
    assert_eq!(key["hint"], "sk-proj...1111");
    assert_eq!(key["role"], "primary");
    assert_eq!(
        key["status"], "valid",
        "validated with the (fake) provider before saving"
    );
    assert!(key["last_validated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(key["last_error"], Value::Null);
    assert_eq!(key["org"], "acme");
    assert_eq!(key["category"], "llm");
    assert!(key["created_at"].as_str().unwrap().ends_with('Z'));
    let id = key["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/provider-keys/{id}");

    let (_, second) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(json!({"provider": "openai-dalle", "api_key": "sk-proj-restRestRest2222", "role": "fallback"})),
        )
        .await;
    assert_eq!(second["key"]["fallback_rank"], 1);

    let (status, listed) = api
        .call(
            Method::GET,
            "/api/v1/orgs/acme/provider-keys?category=image",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1);
    let (_, listed) = api
        .call(
            Method::GET,
            "/api/v1/orgs/acme/provider-keys?provider=openai&enabled=true",
            None,
        )
        .await;
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1);

    let (status, patched) = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"nickname": null, "api_key": "sk-proj-restRestRest3333", "role": "fallback", "fallback_rank": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["key"]["id"], id.as_str(), "rotation keeps the id");
    assert_eq!(patched["key"]["hint"], "sk-proj...3333");
    assert_eq!(patched["key"]["nickname"], Value::Null);
    assert_eq!(patched["key"]["role"], "fallback");
    assert_eq!(patched["key"]["fallback_rank"], 1);

    let (_, off) = api
        .call(Method::PUT, &format!("{path}/deactivate"), None)
        .await;
    assert_eq!(off["enabled"], false);
    let (_, on) = api
        .call(Method::PUT, &format!("{path}/activate"), None)
        .await;
    assert_eq!(on["enabled"], true);
    let (status, health) = api
        .call(Method::POST, &format!("{path}/validate"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "valid");

    let (status, _) = api.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, gone) = api.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(gone["error"]["code"], "not_found");
    assert_eq!(api.key_count().await, 1);
}

/// Validate before save: a rejected key is not stored, an unreachable provider needs consent, and
/// a key whose provider later says "no credits" shows it after Validate.
async fn keys_are_validated_before_they_are_saved(t: &TestDb) {
    let api = Api::new(t).await;
    let create = |key: &str, allow: bool| json!({"provider": "openai", "api_key": key, "allow_unverified": allow});
    let path = "/api/v1/orgs/acme/provider-keys";
    let (status, rejected) = api
        .call(
            Method::POST,
            path,
            Some(create("sk-proj-invalid-SECRETPART-0001", false)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rejected}");
    assert_eq!(rejected["error"]["code"], "key_rejected");
    assert_eq!(rejected["error"]["field"], "api_key");
    assert!(rejected["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Key validation failed: OpenAI rejected this key (401)."));
    assert!(!rejected.to_string().contains("SECRETPART"));
    let (status, body) = api
        .call(
            Method::POST,
            path,
            Some(create("sk-proj-invalid-SECRETPART-0001", true)),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejected key is never saved: {body}"
    );

    let (status, unreachable) = api
        .call(Method::POST, path, Some(create("sk-proj-down-0002", false)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unreachable["error"]["code"], "provider_unreachable");
    assert_eq!(api.key_count().await, 0, "nothing stored yet");
    let (status, saved) = api
        .call(Method::POST, path, Some(create("sk-proj-down-0002", true)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["key"]["status"], "unverified");
    assert_eq!(saved["key"]["last_error"]["http_status"], 503);

    let (_, broke) = api
        .call(
            Method::POST,
            path,
            Some(create("sk-proj-soon-broke-0003", false)),
        )
        .await;
    assert_eq!(broke["key"]["status"], "valid");
    let id = broke["key"]["id"].as_str().unwrap();
    let (status, health) = api.validate(id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "no_credits");
    assert!(health["last_error"]["message"]
        .as_str()
        .unwrap()
        .contains("out of credit"));
}

async fn bad_input_gets_a_json_error_and_changes_nothing(t: &TestDb) {
    let api = Api::new(t).await;
    let one_mib_key = "k".repeat(1024 * 1024);
    // What, a JSON body or a raw one, the status and the error code expected.
    type Case<'a> = (&'a str, Option<Value>, Option<&'a str>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "unknown provider",
            Some(json!({"provider": "nope", "api_key": "sk-x1234567"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "missing key",
            Some(json!({"provider": "openai"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "masked paste",
            Some(json!({"provider": "openai", "api_key": "sk-...7xQ2"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "1 MiB key",
            Some(json!({"provider": "openai", "api_key": one_mib_key})),
            None,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "unknown field",
            Some(json!({"provider": "openai", "api_key": "sk-proj-abc12345", "colour": "red"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "wrong type",
            Some(
                json!({"provider": "openai", "api_key": "sk-proj-abc12345", "enabled": "sk-proj-SECRETVALUE"}),
            ),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "bad role",
            Some(json!({"provider": "openai", "api_key": "sk-proj-abc12345", "role": "boss"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "malformed JSON",
            None,
            Some("{\"provider\": \"openai\", \"api_key\": \"sk-proj-SECRETVALUE\""),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not JSON",
            None,
            Some("provider=openai"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (what, json_body, raw_body, expected, code) in cases {
        let mut request = api
            .client
            .post(api.app.url("/api/v1/orgs/acme/provider-keys"))
            .bearer_auth(&api.token);
        request = match (json_body, raw_body) {
            (Some(body), _) => request.json(&body),
            (None, Some(raw)) if what == "not JSON" => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(raw.to_owned()),
            (None, Some(raw)) => request
                .header("content-type", "application/json")
                .body(raw.to_owned()),
            (None, None) => request,
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), expected, "{what}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: not JSON"));
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(
            !body.to_string().contains("SECRETVALUE"),
            "{what} echoed the body: {body}"
        );
    }
    assert_eq!(api.key_count().await, 0, "nothing was stored");

    // Every problem of the request in one answer: the first field named, all in the message.
    let body = json!({
        "provider": "openai",
        "api_key": "sk-proj-abc12345",
        "nickname": "n".repeat(81),
        "api_base": "ftp://llm.example.com",
    });
    let (status, refused) = api
        .call(Method::POST, "/api/v1/orgs/acme/provider-keys", Some(body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["field"], "nickname", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("nickname: ") && message.contains("; api_base: "),
        "{message}"
    );

    for (method, path) in [
        (Method::POST, "/api/v1/provider-keys/x/activate"),
        (Method::GET, "/api/v1/orgs/acme/provider-keys?colour=red"),
        (Method::GET, "/api/v1/orgs/acme/provider-keys?status=fine"),
    ] {
        let (status, body) = api.call(method.clone(), path, None).await;
        assert!(status.is_client_error(), "{method} {path}: {status}");
        assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
    }
}

/// The row of a key as stored: what a refused change must leave exactly as it was.
async fn stored_row(t: &TestDb, id: &str) -> (String, String, String, String, Option<i64>) {
    sqlx::query_as(
        "SELECT secret_ciphertext, fingerprint, hint, status, last_validated_at \
         FROM provider_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_one(common::raw(t).await.pool())
    .await
    .unwrap()
}

/// Nobody can read a stored key back, so nobody may send it somewhere new without holding it:
/// changing the base URL or an option that decides where the key goes needs `api_key` in the same
/// request; other settings change freely.
async fn a_destination_change_needs_the_key_again(t: &TestDb) {
    let api = Api::new(t).await;
    let secret_text = "sk-proj-destDESTdest0001";
    let (_, saved) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(json!({"provider": "openai", "api_key": secret_text, "nickname": "Prod"})),
        )
        .await;
    let path = format!(
        "/api/v1/provider-keys/{}",
        saved["key"]["id"].as_str().unwrap()
    );
    let elsewhere = format!("{}/elsewhere", api.app.provider_base);
    let before = stored_row(t, saved["key"]["id"].as_str().unwrap()).await;
    for body in [
        json!({"api_base": elsewhere}),
        json!({"api_base": elsewhere, "nickname": "Moved", "role": "primary"}),
        json!({"api_base": elsewhere, "api_key": null}),
    ] {
        let (status, refused) = api.call(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refused}"
        );
        assert_eq!(refused["error"]["code"], "invalid_input");
        assert_eq!(refused["error"]["field"], "api_key");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("needs the key itself again"),
            "{refused}"
        );
    }
    let (_, unchanged) = api.call(Method::GET, &path, None).await;
    assert_eq!(unchanged["api_base"], Value::Null);
    assert_eq!(unchanged["nickname"], "Prod");
    assert_eq!(unchanged["role"], "none");
    assert_eq!(
        stored_row(t, saved["key"]["id"].as_str().unwrap()).await,
        before
    );
    let (status, health) = api
        .call(Method::POST, &format!("{path}/validate"), None)
        .await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("valid"))
    );
    assert!(
        !api.app
            .provider_log
            .all()
            .iter()
            .any(|seen| seen.family == "elsewhere"),
        "the key went nowhere new"
    );

    // Settings that do not decide where the key goes change without it.
    let (status, renamed) = api
        .call(Method::PATCH, &path, Some(json!({"nickname": "Renamed"})))
        .await;
    assert_eq!(
        (status, renamed["key"]["nickname"].as_str()),
        (StatusCode::OK, Some("Renamed"))
    );
    // With the key itself, it moves, and is checked there first.
    let (status, moved) = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"api_base": elsewhere, "api_key": secret_text})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["key"]["api_base"], elsewhere.as_str());
    assert!(api
        .app
        .provider_log
        .all()
        .iter()
        .any(|seen| seen.family == "elsewhere" && seen.key == secret_text));
    let (status, health) = api
        .call(Method::POST, &format!("{path}/validate"), None)
        .await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("valid")),
        "it opens for its new place"
    );

    // A destination option (Azure's resource endpoint) is a destination too; the API version is not.
    let endpoint = format!("{}/azure-openai", api.app.provider_base);
    let azure = |endpoint: &str, version: &str| json!({"endpoint": endpoint, "api_version": version, "deployment": "gpt-4o"});
    let (status, saved) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(
                json!({"provider": "azure-openai", "api_key": "0123456789abcdef0123456789azure1",
                "options": azure(&endpoint, "2024-10-21")}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let azure_path = format!(
        "/api/v1/provider-keys/{}",
        saved["key"]["id"].as_str().unwrap()
    );
    let (status, refused) = api
        .call(
            Method::PATCH,
            &azure_path,
            Some(json!({"options": azure(&elsewhere, "2024-10-21")})),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("api_key")),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Resource endpoint"),
        "{refused}"
    );
    let (status, versioned) = api
        .call(
            Method::PATCH,
            &azure_path,
            Some(json!({"options": azure(&endpoint, "2025-01-01")})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{versioned}");
    assert_eq!(versioned["key"]["options"]["api_version"], "2025-01-01");
}

/// A new secret is validated exactly like a new key: rejected → 422 and the key stays as it was;
/// unreachable → only with `allow_unverified`; the new health replaces the old.
async fn rotation_is_validated_like_creation(t: &TestDb) {
    let api = Api::new(t).await;
    let (_, saved) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(json!({"provider": "openai", "api_key": "sk-proj-rotateROTATE0001", "nickname": "Prod", "role": "primary"})),
        )
        .await;
    let id = saved["key"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/provider-keys/{id}");
    let before = stored_row(t, &id).await;
    for body in [
        json!({"api_key": "sk-proj-invalid-SECRETPART-0002"}),
        json!({"api_key": "sk-proj-invalid-SECRETPART-0002", "allow_unverified": true}),
        json!({"api_key": "sk-proj-invalid-SECRETPART-0002", "nickname": "New", "role": "none"}),
    ] {
        let (status, rejected) = api.call(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {rejected}"
        );
        assert_eq!(rejected["error"]["code"], "key_rejected");
        assert_eq!(rejected["error"]["field"], "api_key");
        assert!(!rejected.to_string().contains("SECRETPART"));
    }
    let (status, unreachable) = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"api_key": "sk-proj-down-DOWNdown0003"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unreachable["error"]["code"], "provider_unreachable");
    assert_eq!(
        stored_row(t, &id).await,
        before,
        "ciphertext, fingerprint, hint and health kept"
    );
    let (_, kept) = api.call(Method::GET, &path, None).await;
    assert_eq!(
        (kept["nickname"].as_str(), kept["role"].as_str()),
        (Some("Prod"), Some("primary"))
    );

    let (status, unverified) = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"api_key": "sk-proj-down-DOWNdown0003", "allow_unverified": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unverified}");
    assert_eq!(unverified["key"]["hint"], "sk-proj...0003");
    assert_eq!(unverified["key"]["status"], "unverified");
    assert_eq!(unverified["key"]["last_error"]["http_status"], 503);
    let (status, rotated) = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"api_key": "sk-proj-rotateFRESH0004"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(
        rotated["key"]["status"], "valid",
        "the new key's health, not the old one's"
    );
    assert_eq!(rotated["key"]["last_error"], Value::Null);
    assert!(rotated["key"]["last_validated_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
}

/// A base URL or destination option changed directly in the database: the sealed secret no longer
/// opens, so neither validation nor a reveal sends or shows it anywhere.
async fn a_destination_changed_in_the_database_opens_nothing(t: &TestDb) {
    let api = Api::new(t).await;
    let secret_text = "sk-proj-tamperTAMPER0001";
    let (_, saved) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(json!({"provider": "openai", "api_key": secret_text, "role": "primary"})),
        )
        .await;
    let id = saved["key"]["id"].as_str().unwrap().to_owned();
    let org = api.app.db.org_by_slug("acme").await.unwrap().unwrap();
    let usable = tokens::Tokens(&api.app.db)
        .create_in(
            &org,
            None,
            TokenRequest {
                name: "user",
                scopes: &[TokenScope::KeysUse],
                lifetime_days: None,
            },
        )
        .await
        .unwrap();
    let reveal = || {
        api.client
            .post(api.app.url("/api/v1/orgs/acme/resolve"))
            .bearer_auth(usable.secret.expose())
            .json(&json!({"provider": "openai", "reveal": true}))
            .send()
    };
    let answer: Value = reveal().await.unwrap().json().await.unwrap();
    assert_eq!(
        answer["api_key"], secret_text,
        "before: the org key is revealed"
    );

    let elsewhere = format!("{}/elsewhere", api.app.provider_base);
    sqlx::query("UPDATE provider_keys SET api_base = $1 WHERE id = $2")
        .bind(&elsewhere)
        .bind(&id)
        .execute(common::raw(t).await.pool())
        .await
        .unwrap();
    // A change behind KeyHub's back is noticed by the periodic version check (run here at once).
    api.app.db.check_view_versions().await.unwrap();
    let sent_before = api.app.provider_log.all().len();
    let (status, body) = api.validate(&id).await;
    assert!(status.is_server_error(), "{status}: {body}");
    assert!(!body.to_string().contains(secret_text));
    let response = reveal().await.unwrap();
    assert!(response.status().is_server_error(), "{}", response.status());
    assert!(!response.text().await.unwrap().contains(secret_text));
    assert_eq!(
        api.app.provider_log.all().len(),
        sent_before,
        "the provider was asked nothing"
    );
}

async fn the_openapi_document_describes_masked_keys_only(t: &TestDb) {
    let api = Api::new(t).await;
    let (status, document) = api.call(Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let masked = &schemas["MaskedKey"]["properties"];
    assert_eq!(field_names(masked), MASKED_KEY_FIELDS);
    // No schema that describes a key in an answer has a field able to carry the secret.
    for answer in ["MaskedKey", "SavedKey", "KeyList", "Health", "LastError"] {
        let properties = schemas[answer]["properties"].as_object().unwrap();
        for name in properties.keys() {
            assert!(
                ![
                    "api_key",
                    "key_secret",
                    "secret",
                    "plaintext",
                    "ciphertext",
                    "secret_ciphertext",
                    "token"
                ]
                .contains(&name.as_str()),
                "{answer}.{name} could carry a secret"
            );
        }
    }
    // Only requests take `api_key`, written as a password.
    assert_eq!(
        schemas["CreateKey"]["properties"]["api_key"]["format"],
        "password"
    );
    for path in [
        "/api/v1/providers",
        "/api/v1/orgs/{org}/provider-keys",
        "/api/v1/provider-keys/{id}",
        "/api/v1/provider-keys/{id}/activate",
        "/api/v1/provider-keys/{id}/deactivate",
        "/api/v1/provider-keys/{id}/validate",
    ] {
        assert!(document["paths"][path].is_object(), "{path} undocumented");
    }
    // What the router itself answers to a body it cannot take (Schemathesis found it missing),
    // and what every operation with a token answers while the database is out.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_some() {
                assert!(
                    operation["responses"]["503"].is_object(),
                    "{method} {path} does not say it may answer 503"
                );
            }
            if operation.get("requestBody").is_some() {
                for status in ["413", "415"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{method} {path} does not say it may answer {status}"
                    );
                }
            }
        }
    }
}

/// A key the provider starts rejecting keeps when it last worked: the API gives
/// `last_success_at` beside `last_validated_at`, and the key's row says both.
async fn the_last_success_is_kept_when_the_provider_starts_rejecting(t: &TestDb) {
    let api = Api::new(t).await;
    let (status, saved) = api
        .call(
            Method::POST,
            "/api/v1/orgs/acme/provider-keys",
            Some(json!({"provider": "openai", "api_key": "sk-proj-soon-revokedRest00000041", "nickname": "Soon gone"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let key = &saved["key"];
    assert_eq!(key["status"], "valid");
    assert_eq!(key["last_success_at"], key["last_validated_at"]);
    let id = key["id"].as_str().unwrap();
    let browser = api
        .app
        .sign_in(common::OWNER_EMAIL, common::OWNER_PASSWORD)
        .await;
    let row = || async {
        let page = browser.get(api.app.url("/hub/openai")).send().await;
        page.unwrap().text().await.unwrap()
    };
    assert!(row().await.contains(" · accepted by the provider</p>"));

    // It was checked an hour ago; the provider rejects it now.
    let hour_ago = keyhub::store::now_ms() - 3_600_000;
    sqlx::query(
        "UPDATE provider_keys SET last_validated_at = $1, last_success_at = $1 WHERE id = $2",
    )
    .bind(hour_ago)
    .bind(id)
    .execute(common::raw(t).await.pool())
    .await
    .unwrap();
    let worked = keyhub::domain::time::rfc3339(hour_ago);
    let (status, health) = api.validate(id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            health["status"].as_str(),
            health["last_success_at"].as_str()
        ),
        (Some("invalid"), Some(worked.as_str()))
    );
    assert_ne!(health["last_validated_at"], health["last_success_at"]);
    let (_, key) = api
        .call(Method::GET, &format!("/api/v1/provider-keys/{id}"), None)
        .await;
    assert_eq!(key["last_success_at"], worked.as_str());
    let page = row().await;
    assert!(
        page.contains(&format!(
            " · last accepted {}</p>",
            keyhub::domain::time::readable(&worked)
        )),
        "{page}"
    );
}

on_both_backends!(
    a_destination_change_needs_the_key_again,
    rotation_is_validated_like_creation,
    a_destination_changed_in_the_database_opens_nothing,
    keys_are_validated_before_they_are_saved,
    the_key_lifecycle_through_the_api,
    bad_input_gets_a_json_error_and_changes_nothing,
    the_openapi_document_describes_masked_keys_only,
    the_last_success_is_kept_when_the_provider_starts_rejecting,
);
