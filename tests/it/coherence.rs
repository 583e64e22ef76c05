//! The in-memory view (issue 22): a gateway call or a resolve reads no database in steady state,
//! and a change made through one KeyHub instance reaches every other instance on the same
//! PostgreSQL database within a second; a change made behind KeyHub's back (another process on the
//! same SQLite file) is noticed by the periodic version check. The same holds for the signed-in
//! sessions pages look up in memory.

use std::time::{Duration, Instant};

use crate::common::{self, key_draft, people, TestApp, TestDb, OWNER_EMAIL, OWNER_PASSWORD};
use keyhub::accounts::members;
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::accounts::Actor;
use keyhub::domain::accounts::TokenScope;
use keyhub::keys::arrangement::RoleChange;
use keyhub::store::view::VERSION_CHECK_EVERY;
use keyhub::store::Backend;
use reqwest::StatusCode;
use serde_json::json;

/// Acme's people, an OpenAI primary and first fallback, and a token that may call the gateway and
/// resolve.
struct Acme {
    people: common::People,
    primary: String,
    fallback: String,
    token_id: String,
    token: String,
}

async fn acme(app: &TestApp) -> Acme {
    let p = people(app).await;
    let keys = app.state.keys();
    let primary = keys
        .create(
            p.owner(),
            key_draft("openai", "sk-proj-primaryKEY0001", RoleChange::Primary),
        )
        .await
        .unwrap()
        .key
        .id;
    let fallback = keys
        .create(
            p.owner(),
            key_draft(
                "openai",
                "sk-proj-fallbackKEY002",
                RoleChange::Fallback { rank: None },
            ),
        )
        .await
        .unwrap()
        .key
        .id;
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let created = tokens::Tokens(&app.db)
        .create_in(
            &org,
            None,
            TokenRequest {
                name: "service",
                scopes: &[TokenScope::Gateway, TokenScope::KeysRead],
                lifetime_days: None,
            },
        )
        .await
        .unwrap();
    Acme {
        people: p,
        primary,
        fallback,
        token_id: created.token.id,
        token: created.secret.expose().to_owned(),
    }
}

/// The gateway's answer: its status and the key that served (`None` when none did).
async fn gateway_call(app: &TestApp, token: &str) -> (StatusCode, Option<String>) {
    let response = common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(token)
        .json(&json!({"model": "gpt-4o-mini", "messages": []}))
        .send()
        .await
        .unwrap();
    let key = response
        .headers()
        .get("x-keyhub-key-id")
        .map(|value| value.to_str().unwrap().to_owned());
    (response.status(), key)
}

async fn resolve_call(app: &TestApp, token: &str) -> (StatusCode, Option<String>) {
    let response = common::new_client()
        .post(app.url("/api/v1/orgs/acme/resolve"))
        .bearer_auth(token)
        .json(&json!({"provider": "openai"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    (status, body["key_id"].as_str().map(str::to_owned))
}

async fn gateway_and_resolve_read_no_database_in_steady_state(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let Acme { primary, token, .. } = acme(&app).await;
    // The first calls load the org's view.
    assert_eq!(
        gateway_call(&app, &token).await,
        (StatusCode::OK, Some(primary.clone()))
    );
    assert_eq!(
        resolve_call(&app, &token).await,
        (StatusCode::OK, Some(primary.clone()))
    );
    reads_no_database(&app, "10 gateway calls and 10 resolves", || async {
        for _ in 0..10 {
            assert_eq!(
                gateway_call(&app, &token).await,
                (StatusCode::OK, Some(primary.clone()))
            );
            assert_eq!(
                resolve_call(&app, &token).await,
                (StatusCode::OK, Some(primary.clone()))
            );
        }
    })
    .await;
}

/// Under a stream of changes (found by scripts/stress.sh: 200 clients, a few changes a second),
/// readers waiting for the org's view share the load that began after they arrived instead of
/// each loading it again in turn: at most one load per change, not one per reader.
async fn readers_share_the_views_loads_under_a_stream_of_changes(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    acme(&app).await;
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let running = std::sync::atomic::AtomicBool::new(true);
    let before = app.db.acquisitions();
    let readers = (0..16).map(|_| async {
        while running.load(std::sync::atomic::Ordering::Relaxed) {
            app.db.org_view(&org.id).await.unwrap().unwrap();
            tokio::task::yield_now().await;
        }
    });
    let changes = 100;
    let writer = async {
        for _ in 0..changes {
            app.db.changed(&org.id);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        running.store(false, std::sync::atomic::Ordering::Relaxed);
    };
    futures_util::future::join(futures_util::future::join_all(readers), writer).await;
    let loads = app.db.acquisitions() - before;
    // One load per change and the first, and a few for background jobs.
    assert!(loads <= changes + 5, "{loads} loads for {changes} changes");
}

/// Runs `burst` (`what` it does) up to three times, until one run takes no database connection,
/// and fails when none did. Background jobs (usage flush, version check) use the pool now and
/// then; a run that takes none shows that the requests themselves read nothing. A request that
/// queried would take connections in every run.
async fn reads_no_database<F, Fut>(app: &TestApp, what: &str, mut burst: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut bursts = Vec::new();
    for _ in 0..3 {
        let before = app.db.acquisitions();
        burst().await;
        bursts.push(app.db.acquisitions() - before);
        if bursts.last() == Some(&0) {
            return;
        }
    }
    panic!("connections taken per burst of {what}: {bursts:?}");
}

async fn a_change_behind_keyhubs_back_is_noticed_by_the_version_check(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let Acme {
        primary,
        fallback,
        token,
        ..
    } = acme(&app).await;
    assert_eq!(
        gateway_call(&app, &token).await.1.as_deref(),
        Some(primary.as_str())
    );
    // Another process (a second KeyHub on this file, or an operator's SQL) disables the primary.
    sqlx::query("UPDATE provider_keys SET enabled = $1 WHERE id = $2")
        .bind(false)
        .bind(&primary)
        .execute(common::raw(t).await.pool())
        .await
        .unwrap();
    within_version_check("still served by the disabled key", || async {
        gateway_call(&app, &token).await == (StatusCode::OK, Some(fallback.clone()))
    })
    .await;
}

/// Calls `check` until it holds, which must take no longer than the version check (and a margin
/// for a slow machine); `failing` says what is still wrong when it does.
async fn within_version_check<F, Fut>(failing: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let since = Instant::now();
    while !check().await {
        assert!(
            since.elapsed() < VERSION_CHECK_EVERY + Duration::from_secs(2),
            "{failing} after {:?}",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The session cookie ("keyhub_session=…") of a fresh sign-in through `app`.
async fn session_cookie(app: &TestApp, email: &str) -> String {
    let response = reqwest::Client::new()
        .post(app.url("/api/auth/login"))
        .header("origin", app.origin())
        .form(&[("email", email), ("password", OWNER_PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("signing in sets the session cookie")
        .to_str()
        .unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Whether `app` serves the hub to the browser holding `cookie` (a signed-out browser is sent to
/// sign in).
async fn hub_serves(app: &TestApp, cookie: &str) -> bool {
    let response = common::new_client()
        .get(app.url("/hub"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    response.status() == StatusCode::OK
}

/// Pages find their viewer in memory: in steady state a session is looked up without the database;
/// a session ended behind KeyHub's back is noticed by the periodic version check.
async fn a_viewer_is_found_in_memory_and_a_session_ended_elsewhere_is_noticed(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let cookie = session_cookie(&app, OWNER_EMAIL).await;
    let token = cookie.trim_start_matches("keyhub_session=");
    let accounts = app.state.accounts();
    assert!(accounts.session(token).await.unwrap().is_some());
    reads_no_database(&app, "20 session lookups", || async {
        for _ in 0..20 {
            assert!(accounts.session(token).await.unwrap().is_some());
        }
    })
    .await;

    // Another process (a second KeyHub on this file, or an operator's SQL) ends every session.
    sqlx::query("DELETE FROM sessions")
        .execute(common::raw(t).await.pool())
        .await
        .unwrap();
    within_version_check("the ended session still served a page", || async {
        !hub_serves(&app, &cookie).await
    })
    .await;
}

/// The provider page of `app` as the browser holding `cookie` sees it.
async fn provider_page(app: &TestApp, cookie: &str) -> String {
    let response = common::new_client()
        .get(app.url("/hub/openai"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The provider page shows each key's gateway usage without asking the database on every view;
/// what this instance writes shows at once, what another writer wrote within the version check.
async fn a_provider_page_reads_usage_from_memory_and_shows_new_usage(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let Acme { token, .. } = acme(&app).await;
    let cookie = session_cookie(&app, OWNER_EMAIL).await;
    assert!(!provider_page(&app, &cookie)
        .await
        .contains("Through the gateway"));
    reads_no_database(&app, "10 provider pages", || async {
        for _ in 0..10 {
            provider_page(&app, &cookie).await;
        }
    })
    .await;

    assert_eq!(gateway_call(&app, &token).await.0, StatusCode::OK);
    app.gateway.usage().flush(&app.db).await.unwrap();
    assert!(
        provider_page(&app, &cookie)
            .await
            .contains("Through the gateway: 1 requests"),
        "this instance's usage shows as soon as it is written"
    );

    // Another writer (a second KeyHub on the same database) counts more.
    sqlx::query("UPDATE key_usage SET requests = 7")
        .execute(common::raw(t).await.pool())
        .await
        .unwrap();
    within_version_check("another writer's usage still not shown", || async {
        provider_page(&app, &cookie)
            .await
            .contains("Through the gateway: 7 requests")
    })
    .await;
}

/// Calls `check` on every instance until it holds on all of them; the time that took.
async fn until_all<F, Fut>(apps: &[&TestApp], mut check: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    let mut settled = vec![false; apps.len()];
    while settled.contains(&false) {
        for (i, done) in settled.iter_mut().enumerate() {
            if !*done {
                *done = check(i).await;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not every instance followed the change: {settled:?}"
        );
    }
    started.elapsed()
}

/// Three instances on one PostgreSQL database: a key disabled, a token revoked and a policy changed
/// through one are followed by the others within a second; a session made by one works on the
/// others; sign-in failures count across them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_postgres_follow_each_others_changes() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    assert_eq!(t.backend, Backend::Postgres);
    let one = TestApp::spawn(&t).await;
    let Acme {
        people: p,
        primary,
        fallback,
        token_id,
        token,
    } = acme(&one).await;
    let two = one.another_instance(&t).await;
    let three = one.another_instance(&t).await;
    let apps = [&one, &two, &three];
    for app in apps {
        assert_eq!(
            gateway_call(app, &token).await,
            (StatusCode::OK, Some(primary.clone()))
        );
    }

    // A key disabled through instance 1.
    one.state
        .keys()
        .set_enabled(p.owner(), &primary, false)
        .await
        .unwrap();
    let took = until_all(&apps, |i| {
        let (app, fallback) = (apps[i], fallback.clone());
        let token = token.clone();
        async move { gateway_call(app, &token).await.1 == Some(fallback) }
    })
    .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // A token revoked through instance 2.
    let (owner_id, membership) = two.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    tokens::Tokens(&two.db)
        .revoke(owner, &token_id)
        .await
        .unwrap();
    let took = until_all(&apps, |i| {
        let (app, token) = (apps[i], token.clone());
        async move { gateway_call(app, &token).await.0 == StatusCode::UNAUTHORIZED }
    })
    .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // A session made by instance 1 is good on instance 3: sessions live in the database.
    let browser = one.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let hub = browser.get(three.url("/hub")).send().await.unwrap();
    assert_eq!(hub.status(), StatusCode::OK);
    assert!(hub.text().await.unwrap().contains("OpenAI"));

    // A session ended through instance 1 (signing out) and a member removed through it are
    // refused by every instance within a second, though instances 2 and 3 held both in memory.
    let owner_browser = session_cookie(&one, OWNER_EMAIL).await;
    let member_browser = session_cookie(&one, "member@example.com").await;
    for app in apps {
        assert!(hub_serves(app, &owner_browser).await);
        assert!(hub_serves(app, &member_browser).await);
    }
    let signed_out = reqwest::Client::new()
        .post(one.url("/api/auth/logout"))
        .header("origin", one.origin())
        .header("cookie", &owner_browser)
        .send()
        .await
        .unwrap();
    assert!(signed_out.status().is_success() || signed_out.status().is_redirection());
    let took = until_all(&apps, |i| {
        let (app, cookie) = (apps[i], owner_browser.clone());
        async move { !hub_serves(app, &cookie).await }
    })
    .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    members::Members(&one.db)
        .remove(owner, &p.member.id)
        .await
        .unwrap();
    let took = until_all(&apps, |i| {
        let (app, cookie) = (apps[i], member_browser.clone());
        async move { !hub_serves(app, &cookie).await }
    })
    .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // Sign-in failures count across instances: five on instance 1 and 2 lock the account on 3.
    for app in [&one, &two, &one, &two, &one] {
        app.post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", "guess guess guess")],
        )
        .await;
    }
    let locked = three
        .post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
        )
        .await;
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));
    t.drop_database().await;
}

/// Instances on one database print and accept one setup code, whichever a load balancer picks; setup
/// through any of them retires it for all.
async fn every_instance_accepts_the_one_setup_code(t: &TestDb) {
    let one = TestApp::spawn(t).await;
    let two = one.another_instance(t).await;
    let code = two.setup_code();
    assert!(one.state.setup_code().matches(&code));
    assert!(two.state.setup_code().matches(&code));
    let three = one.another_instance(t).await;
    assert_eq!(
        three.setup_code(),
        code,
        "a later start prints the same code"
    );

    one.set_up_owner().await;
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM vault_meta WHERE name = 'setup_code'")
            .fetch_one(one.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 0, "setup deletes the code");
    let refused = two
        .post_form(
            "/api/auth/setup",
            &[
                ("email", "intruder@example.com"),
                ("password", OWNER_PASSWORD),
                ("org_name", "Other"),
                ("org_slug", "other"),
                ("setup_code", &code),
            ],
        )
        .await;
    assert!(!refused.status().is_success(), "{}", refused.status());
    assert_eq!(
        two.db.org_by_slug("other").await.unwrap(),
        None,
        "the code does nothing once setup is done"
    );
}

on_both_backends!(
    every_instance_accepts_the_one_setup_code,
    readers_share_the_views_loads_under_a_stream_of_changes,
    gateway_and_resolve_read_no_database_in_steady_state,
    a_change_behind_keyhubs_back_is_noticed_by_the_version_check,
    a_viewer_is_found_in_memory_and_a_session_ended_elsewhere_is_noticed,
    a_provider_page_reads_usage_from_memory_and_shows_new_usage,
);
