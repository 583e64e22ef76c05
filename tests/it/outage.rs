//! A database that goes away: KeyHub answers 503 with what to do (never a bare 500), changes
//! nothing, and recovers by itself when the database is back. A full disk is told apart.

use std::time::{Duration, Instant};

use crate::common::plug::Plug;
use crate::common::{self, TestApp, TestDb};
use keyhub::domain::accounts::TokenScope;
use keyhub::store::{Outage, StoreError};
use serde_json::{json, Value};

async fn token(app: &TestApp) -> String {
    app.set_up_owner().await;
    common::api_token(app, &[TokenScope::KeysRead, TokenScope::KeysWrite]).await
}

async fn add_key(app: &TestApp, token: &str, secret: &str) -> reqwest::Response {
    common::new_client()
        .post(app.url("/api/v1/orgs/acme/provider-keys"))
        .bearer_auth(token)
        .json(&json!({"provider": "openai", "api_key": secret}))
        .send()
        .await
        .unwrap()
}

async fn key_count(app: &TestApp, token: &str) -> (u16, usize) {
    let response = common::new_client()
        .get(app.url("/api/v1/orgs/acme/provider-keys"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["keys"].as_array().map_or(0, Vec::len))
}

#[tokio::test]
async fn postgres_going_away_answers_503_and_keyhub_recovers_by_itself() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    // postgres://user[:password]@host:port/name, with host:port replaced by the plug's.
    let (scheme_user, after_at) = t.url.rsplit_once('@').expect("a user in the URL");
    let (host_port, name) = after_at.split_once('/').expect("a database name");
    let target = tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .next()
        .unwrap();
    let plug = Plug::to(target).await;
    let url = format!("{scheme_user}@{}/{name}", plug.address);
    let app = TestApp::spawn_with(&t, &[("KEYHUB_DATABASE_URL", &url)]).await;
    let token = token(&app).await;
    assert_eq!(
        add_key(&app, &token, "sk-proj-BEFOREtheOUTAGE0001")
            .await
            .status(),
        201
    );

    plug.pull();
    let refused = add_key(&app, &token, "sk-proj-DURINGtheOUTAGE0002").await;
    let status = refused.status();
    let retry_after = refused.headers().get("retry-after").cloned();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry_after.unwrap(), "5");
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("try again in a few seconds"), "{message}");
    assert!(!message.contains("postgres"), "no internals: {message}");
    let (status, _) = key_count(&app, &token).await;
    assert!(
        status == 503 || status == 200,
        "a read answers or says why not: {status}"
    );

    plug.push();
    let back = Instant::now();
    loop {
        let (status, count) = key_count(&app, &token).await;
        if status == 200 {
            assert_eq!(
                count, 1,
                "the key saved before is there, the refused one is not"
            );
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "still {status} after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        add_key(&app, &token, "sk-proj-AFTERtheOUTAGE00003")
            .await
            .status(),
        201
    );
    t.drop_database().await;
}

/// A real SQLite "database or disk is full" (a page limit stands in for the disk) is told apart
/// from a broken statement; a pool that cannot connect is an outage too.
#[tokio::test]
async fn a_full_disk_is_told_apart() {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::query("CREATE TABLE filler (bytes TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("PRAGMA max_page_count = 4")
        .execute(&pool)
        .await
        .unwrap();
    let full = sqlx::query("INSERT INTO filler VALUES (?)")
        .bind("x".repeat(64 * 1024))
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(StoreError::Db(full).outage(), Some(Outage::DiskFull));
    let broken = sqlx::query("SELECT nothing FROM nowhere")
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(StoreError::Db(broken).outage(), None);
    assert_eq!(
        StoreError::Db(sqlx::Error::PoolTimedOut).outage(),
        Some(Outage::Unreachable)
    );
}

/// Found by scripts/stress.sh's full disk: a rollback SQLite refuses leaves a transaction open on
/// its connection, and every later "commit" on it was acknowledged yet never written, while its
/// write lock made every other writer wait and fail. A connection returned to the pool inside a
/// transaction is now closed, not handed out again.
#[tokio::test]
async fn a_sqlite_connection_left_inside_a_transaction_is_not_reused() {
    use sqlx::Executor;
    let t = TestDb::sqlite().await;
    let (db, _) = t.open(&common::new_master_key()).await;
    let mut every_connection = Vec::new();
    for _ in 0..8 {
        let mut connection = db.pool().acquire().await.unwrap();
        connection.execute("BEGIN").await.unwrap();
        every_connection.push(connection);
    }
    drop(every_connection);
    db.pool()
        .execute("CREATE TABLE written (n INTEGER); INSERT INTO written VALUES (1)")
        .await
        .unwrap();
    let elsewhere = keyhub::store::Db::connect(&t.url, keyhub::store::Access::ReadOnly)
        .await
        .unwrap();
    let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM written")
        .fetch_one(elsewhere.pool())
        .await
        .expect("the write is committed, visible to another connection");
    assert_eq!(written, 1);
}
