//! API tokens on both backends: created by admins with scopes, shown once and stored as a hash,
//! listed, revoked, expired; and the `/api/v1` bearer door that answers 401 JSON to anything but a
//! live token.

use crate::common;

use crate::common::{raw, TestApp, TestDb, OWNER_EMAIL, OWNER_PASSWORD};
use keyhub::accounts::members::Actor;
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::accounts::AccountError;
use keyhub::domain::accounts::{OrgRole, TokenScope};
use keyhub::store::accounts::Membership;
use reqwest::StatusCode;
use serde_json::Value;

fn request<'a>(name: &'a str, scopes: &'a [TokenScope], days: Option<u32>) -> TokenRequest<'a> {
    TokenRequest {
        name,
        scopes,
        lifetime_days: days,
    }
}

async fn admins_create_list_and_revoke_tokens_and_only_a_hash_is_kept(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = &app.db;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };

    let created = tokens::Tokens(db)
        .create(
            owner,
            request(
                " ci-pipeline ",
                &[
                    TokenScope::Gateway,
                    TokenScope::KeysRead,
                    TokenScope::KeysRead,
                ],
                Some(30),
            ),
        )
        .await
        .unwrap();
    let plain = created.secret.expose().to_owned();
    assert!(plain.starts_with("kh_") && plain.len() == 46, "{plain}");
    assert_eq!(created.token.name, "ci-pipeline");
    assert_eq!(created.token.prefix, &plain[..11]);
    assert_eq!(
        created.token.scopes,
        vec![TokenScope::KeysRead, TokenScope::Gateway],
        "deduplicated, in catalogue order"
    );
    assert_eq!(created.token.created_by_email.as_deref(), Some(OWNER_EMAIL));
    assert!(created.token.expires_at.unwrap() > created.token.created_at);
    assert!(!format!("{created:?}").contains(&plain), "Debug redacts");

    // Only the hash is stored.
    let dump = t.dump().await;
    assert!(dump.contains(&created.token.prefix));
    assert!(!dump.contains(&plain), "the token is stored in clear");

    let caller = tokens::Tokens(db)
        .authenticate(&plain)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(caller.org.slug, "acme");
    assert!(caller.allows(TokenScope::KeysRead) && !caller.allows(TokenScope::KeysWrite));
    // Uses are kept in memory and written in batches, like the gateway's usage.
    db.write_token_uses().await.unwrap();
    let listed = tokens::Tokens(db).list(owner).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "use is recorded");

    // Bad requests change nothing.
    for (bad, field) in [
        (request("", &[TokenScope::KeysRead], None), "name"),
        (
            request(&"x".repeat(81), &[TokenScope::KeysRead], None),
            "name",
        ),
        (request("no scopes", &[], None), "scopes"),
        (
            request("forever", &[TokenScope::KeysRead], Some(0)),
            "expires",
        ),
    ] {
        match tokens::Tokens(db).create(owner, bad).await {
            Err(AccountError::Invalid(problems)) => assert_eq!(problems.first().field, field),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
    assert_eq!(tokens::Tokens(db).list(owner).await.unwrap().len(), 1);

    // Members neither see nor make tokens.
    let member_user = common::join(
        db,
        owner,
        "member@example.com",
        OWNER_PASSWORD,
        OrgRole::Member,
    )
    .await;
    let member_membership = Membership {
        role: OrgRole::Member,
        ..membership.clone()
    };
    let member = Actor {
        user_id: &member_user.id,
        membership: &member_membership,
    };
    assert!(matches!(
        tokens::Tokens(db).list(member).await,
        Err(AccountError::Forbidden)
    ));
    assert!(matches!(
        tokens::Tokens(db)
            .create(member, request("mine", &[TokenScope::KeysUse], None))
            .await,
        Err(AccountError::Forbidden)
    ));
    assert!(matches!(
        tokens::Tokens(db).revoke(member, &created.token.id).await,
        Err(AccountError::Forbidden)
    ));

    // Revoked: authenticates nobody, stays listed, cannot be revoked twice.
    let revoked = tokens::Tokens(db)
        .revoke(owner, &created.token.id)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(tokens::Tokens(db)
        .authenticate(&plain)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        tokens::Tokens(db).revoke(owner, &created.token.id).await,
        Err(AccountError::NotFound)
    ));
    assert_eq!(tokens::Tokens(db).list(owner).await.unwrap().len(), 1);

    // Expired: authenticates nobody.
    let expiring = tokens::Tokens(db)
        .create(owner, request("short", &[TokenScope::KeysRead], Some(1)))
        .await
        .unwrap();
    assert!(tokens::Tokens(db)
        .authenticate(expiring.secret.expose())
        .await
        .unwrap()
        .is_some());
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE id = $1")
        .bind(&expiring.token.id)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
    // A change behind KeyHub's back is noticed by the periodic version check (run here at once).
    db.check_view_versions().await.unwrap();
    assert!(tokens::Tokens(db)
        .authenticate(expiring.secret.expose())
        .await
        .unwrap()
        .is_none());
}

async fn get_api(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, headers)
}

async fn the_rest_api_answers_only_live_tokens_with_json_errors(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = &app.db;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    let live = tokens::Tokens(db)
        .create(owner, request("reader", &[TokenScope::Gateway], None))
        .await
        .unwrap();
    let revoked = tokens::Tokens(db)
        .create(owner, request("old", &[TokenScope::KeysRead], None))
        .await
        .unwrap();
    tokens::Tokens(db)
        .revoke(owner, &revoked.token.id)
        .await
        .unwrap();

    let (status, body, headers) =
        get_api(&app, "/api/v1/providers", Some(live.secret.expose())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    let providers = body["providers"].as_array().unwrap();
    assert_eq!(providers.len(), keyhub::domain::catalog::PROVIDERS.len());
    assert!(providers.iter().any(|p| p["id"] == "openai"));

    // The browser's session cookie is not an API credential.
    let (status, body, headers) = get_api(&app, "/api/v1/providers", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    for bad in [
        revoked.secret.expose(),
        "kh_not-a-real-token",
        "garbage",
        "",
        &format!("{}x", live.secret.expose()),
    ] {
        let (status, body, _) = get_api(&app, "/api/v1/providers", Some(bad)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(body["error"]["code"], "invalid_token", "{bad:?}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked or expired"));
    }

    let basic = app
        .client
        .get(app.url("/api/v1/providers"))
        .basic_auth("admin", Some(OWNER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    let (status, body, headers) =
        get_api(&app, "/api/v1/no-such-route", Some(live.secret.expose())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(headers["cache-control"], "no-store");
}

async fn create_token_on_the_command_line_prints_it_once(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let master_key = app.state.settings().master_key.clone().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_keyhub"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KEYHUB_DATABASE_URL", &t.url)
            .env("KEYHUB_MASTER_KEY", master_key.expose())
            .output()
            .unwrap()
    };
    let output = run(&[
        "create-token",
        "--org",
        "acme",
        "--name",
        "deploy bot",
        "--scopes",
        "keys:read,gateway",
        "--expires-in-days",
        "7",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(printed.starts_with("kh_"), "{printed}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not shown again"));
    let caller = tokens::Tokens(&app.db)
        .authenticate(&printed)
        .await
        .unwrap()
        .expect("the printed token works");
    assert_eq!(caller.org.slug, "acme");
    assert_eq!(
        caller.scopes,
        vec![TokenScope::KeysRead, TokenScope::Gateway]
    );
    // Listed with its creator: the command line, not a person.
    let listed = app
        .post_form("/api/tokens/list", &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let bot = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["name"] == "deploy bot")
        .unwrap();
    assert_eq!(bot["created_by"], serde_json::Value::Null);
    let settings = app.get("/settings").await.text().await.unwrap();
    assert!(settings.contains("from the command line"), "{settings}");

    let unknown_scope = run(&[
        "create-token",
        "--org",
        "acme",
        "--name",
        "x",
        "--scopes",
        "keys:everything",
    ]);
    assert_eq!(unknown_scope.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_scope.stderr).contains("unknown scope"));
    let unknown_org = run(&[
        "create-token",
        "--org",
        "nope",
        "--name",
        "x",
        "--scopes",
        "gateway",
    ]);
    assert!(!unknown_org.status.success());
    assert!(String::from_utf8_lossy(&unknown_org.stderr).contains("no organization"));
}

/// Without JavaScript the browser follows a redirect after the form post: the new token reaches the
/// next settings page through a short-lived sealed cookie, once, and never sits in the redirect.
async fn a_browser_without_javascript_sees_the_new_token_once(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let created = app
        .client
        .post(app.url("/api/tokens/create"))
        .header("origin", app.origin())
        .header("accept", "text/html")
        .header("referer", app.url("/settings"))
        .form(&[
            ("name", "no-js token"),
            ("keys_read", "on"),
            ("expires", "90"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::FOUND);
    let back_to = created.headers()["location"].to_str().unwrap();
    assert!(back_to.starts_with(&app.url("/settings")), "{back_to}");
    let cookie = created
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("keyhub_new_token="))
        .expect("the sealed token cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Max-Age=120"),
        "{cookie}"
    );
    let body = created.text().await.unwrap();
    assert!(
        !body.contains("kh_"),
        "the redirect carries no token: {body}"
    );

    let first = app.get("/settings").await.text().await.unwrap();
    let shown: Vec<&str> = first
        .match_indices("kh_")
        .map(|(at, _)| &first[at..at + 46])
        .filter(|candidate| {
            candidate
                .chars()
                .skip(3)
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .collect();
    let token = shown
        .first()
        .expect("the new token is on the page")
        .to_string();
    assert!(first.contains("Your new API token"));
    // The token itself, not its `kh_` prefix: base64 of the sealed value may hold `kh_` by chance.
    assert!(!cookie.contains(&token), "sealed, not the token: {cookie}");
    assert!(tokens::Tokens(&app.db)
        .authenticate(&token)
        .await
        .unwrap()
        .is_some());
    let second = app.get("/settings").await.text().await.unwrap();
    assert!(!second.contains(&token), "shown once");
    assert!(second.contains("no-js token"), "and listed by name");
}

on_both_backends!(
    a_browser_without_javascript_sees_the_new_token_once,
    admins_create_list_and_revoke_tokens_and_only_a_hash_is_kept,
    the_rest_api_answers_only_live_tokens_with_json_errors,
    create_token_on_the_command_line_prints_it_once,
);
