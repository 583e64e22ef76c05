//! Upgrades: a database made by the previous release's migrations, with data in it, is brought to
//! this binary's schema on start and loses nothing. A schema from a newer release is refused, and
//! so is an older one when `KEYHUB_AUTO_MIGRATE` is off, before anything is written.

use std::path::Path;

use keyhub::domain::catalog;
use keyhub::keys::keyring::Keyring;
use keyhub::store::{schema_version, Access, Db, SchemaState};
use keyhub::vault::MasterKeys;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{self, TestApp, TestDb};

/// The newest schema version the previous release shipped: raise it when a release ships.
const PREVIOUS_RELEASE_SCHEMA: i64 = 8;

const EMAIL: &str = "owner@acme.example";
const PASSWORD: &str = "an old and well-kept password";
const TOKEN: &str = "kh_UpgradeTokenOfThePreviousRelease0000000000";
const SECRET: &str = "sk-proj-upgrade-test-0123456789abcdefghijklmnopqrstuv";

/// Every table the previous release had, to count its rows before and after.
const TABLES: &[&str] = &[
    "vault_meta",
    "organizations",
    "users",
    "memberships",
    "sessions",
    "provider_keys",
    "api_tokens",
    "invites",
    "activity",
    "job_leases",
    "consumers",
    "consumer_slots",
    "key_usage",
    "login_attempts",
];

/// Runs the migrations the previous release shipped (those up to [`PREVIOUS_RELEASE_SCHEMA`]),
/// from the same files, as that release's binary did.
async fn migrate_as_previous_release(db: &Db) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(db.backend().name());
    let previous = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version <= PREVIOUS_RELEASE_SCHEMA {
            std::fs::copy(&path, previous.path().join(name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(previous.path())
        .await
        .unwrap()
        .run(db.pool())
        .await
        .unwrap();
    assert_eq!(
        db.schema_state().await.unwrap(),
        SchemaState::Behind {
            at: PREVIOUS_RELEASE_SCHEMA
        }
    );
}

/// What a previous release wrote: an org with its owner, a sealed key in use by an expert, a
/// token, activity and usage.
async fn fill_as_previous_release(db: &Db, vault: MasterKeys) {
    let now = keyhub::store::now_ms();
    let password_hash = keyhub::accounts::password::hash(common::secret(PASSWORD)).await;
    let openai = catalog::provider("openai").unwrap();
    let destination = keyhub::keys::input::destination(openai, None, &Default::default());
    let vault = std::sync::Arc::new(vault);
    let canary = vault.seal_canary();
    let sealed = Keyring::new(db.clone(), vault).seal(
        openai,
        "org-1",
        "key-1",
        &destination,
        &common::secret(SECRET),
    );
    let token_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(TOKEN));
    let statements: Vec<(&str, Vec<String>)> = vec![
        (
            "INSERT INTO vault_meta (name, value, updated_at) VALUES ('canary', $1, $2)",
            vec![canary],
        ),
        (
            "INSERT INTO organizations (id, slug, name, created_at) VALUES ('org-1', 'acme', 'Acme', $1)",
            vec![],
        ),
        (
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ('user-1', $1, $2, $3)",
            vec![EMAIL.into(), password_hash],
        ),
        (
            "INSERT INTO memberships (org_id, user_id, role, created_at) \
             VALUES ('org-1', 'user-1', 'owner', $1)",
            vec![],
        ),
        (
            "INSERT INTO provider_keys (id, org_id, scope, provider, key_family, nickname, \
             secret_ciphertext, hint, fingerprint, role, status, created_at, updated_at) \
             VALUES ('key-1', 'org-1', 'org', 'openai', 'openai', 'Production', $1, $2, $3, \
             'primary', 'valid', $4, $4)",
            vec![sealed.sealed, sealed.hint, sealed.fingerprint],
        ),
        (
            "INSERT INTO api_tokens (id, org_id, name, prefix, secret_hash, scopes, created_by, \
             created_at) VALUES ('token-1', 'org-1', 'ci', 'kh_Upgrade', $1, 'keys:read keys:use', \
             'user-1', $2)",
            vec![token_hash],
        ),
        (
            "INSERT INTO consumers (id, org_id, kind, name, description, created_at, updated_at) \
             VALUES ('expert-1', 'org-1', 'expert', 'Support bot', 'Answers customers', $1, $1)",
            vec![],
        ),
        (
            "INSERT INTO consumer_slots (org_id, consumer_id, modality, provider, model, key_id) \
             VALUES ('org-1', 'expert-1', 'chat', 'openai', 'gpt-4o-mini', 'key-1')",
            vec![],
        ),
        (
            "INSERT INTO activity (id, org_id, actor_user_id, actor_label, action, target_kind, \
             target_id, target_label, provider, created_at) VALUES ('event-1', 'org-1', 'user-1', \
             'owner@acme.example', 'key.created', 'key', 'key-1', 'Production', 'openai', $1)",
            vec![],
        ),
        (
            "INSERT INTO key_usage (key_id, org_id, requests, rate_limited, last_used_at) \
             VALUES ('key-1', 'org-1', 42, 3, $1)",
            vec![],
        ),
    ];
    for (sql, texts) in statements {
        let mut query = sqlx::query(sql);
        let now_at = format!("${}", texts.len() + 1);
        for text in texts {
            query = query.bind(text);
        }
        if sql.contains(&now_at) {
            query = query.bind(now);
        }
        query.execute(db.pool()).await.unwrap();
    }
}

async fn row_counts(db: &Db) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in TABLES {
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db.pool())
            .await
            .unwrap();
        counts.push((*table, count));
    }
    counts
}

async fn previous_release_database(t: &TestDb, master_key: &str) -> Vec<(&'static str, i64)> {
    let db = Db::connect(&t.url, Access::ReadWrite).await.unwrap();
    migrate_as_previous_release(&db).await;
    let vault = MasterKeys::parse(&common::secret(master_key)).unwrap();
    fill_as_previous_release(&db, vault).await;
    let counts = row_counts(&db).await;
    db.close().await;
    counts
}

async fn an_upgrade_keeps_everything(t: &TestDb) {
    let master_key = common::new_master_key();
    let before = previous_release_database(t, &master_key).await;

    let app = TestApp::spawn_with_master_key(t, &master_key).await;

    assert_eq!(app.db.schema_state().await.unwrap(), SchemaState::Current);
    assert_eq!(
        row_counts(&app.db).await,
        before,
        "no row was lost or added"
    );
    let usage: i64 = sqlx::query_scalar("SELECT requests FROM key_usage WHERE key_id = 'key-1'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(usage, 42);

    // The owner signs in with the old password and sees the key as before.
    let owner = app.sign_in(EMAIL, PASSWORD).await;
    let page = owner
        .get(app.url("/hub/openai"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Production"), "{page}");
    assert!(page.contains("...stuv"), "the hint is shown");
    assert!(!page.contains(SECRET));

    // The old token resolves the expert to its chosen key, whose secret still opens.
    let answer = common::new_client()
        .post(app.url("/api/v1/orgs/acme/resolve"))
        .bearer_auth(TOKEN)
        .json(&json!({
            "provider": "openai",
            "consumer": { "type": "expert", "id": "expert-1" },
            "reveal": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer["key_id"], "key-1", "{answer}");
    assert_eq!(answer["api_key"], SECRET);
}

/// Runs `command`, which must refuse with the database's exit code (3) and say `expected`.
fn refused_saying(mut command: std::process::Command, expected: &str) -> String {
    let output = command.output().unwrap();
    let said = common::stderr_and_stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{said}");
    assert!(said.contains(expected), "{said}");
    said
}

/// With `KEYHUB_AUTO_MIGRATE=false` (PostgreSQL's default) an older schema is refused, named with
/// the command that upgrades it; `keyhub migrate` then upgrades it and `serve` starts.
async fn an_older_schema_waits_for_keyhub_migrate(t: &TestDb) {
    let master_key = common::new_master_key();
    let before = previous_release_database(t, &master_key).await;
    let mut serve = common::keyhub_binary(t, &["serve"], Some(&master_key));
    serve.env("KEYHUB_AUTO_MIGRATE", "false");
    let said = refused_saying(
        serve,
        &format!(
            "schema is at version {PREVIOUS_RELEASE_SCHEMA}, and this KeyHub needs version {}",
            schema_version()
        ),
    );
    assert!(said.contains("keyhub migrate"), "{said}");
    let db = Db::connect(&t.url, Access::ReadOnly).await.unwrap();
    assert_eq!(
        db.schema_state().await.unwrap(),
        SchemaState::Behind {
            at: PREVIOUS_RELEASE_SCHEMA
        },
        "a refused start changes nothing"
    );
    db.close().await;

    let migrated = common::keyhub_binary(t, &["migrate"], Some(&master_key))
        .env("KEYHUB_AUTO_MIGRATE", "false")
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        common::stderr_and_stdout(&migrated)
    );
    let db = Db::connect(&t.url, Access::ReadOnly).await.unwrap();
    assert_eq!(db.schema_state().await.unwrap(), SchemaState::Current);
    assert_eq!(row_counts(&db).await, before);
    db.close().await;
}

/// With `KEYHUB_AUTO_MIGRATE=false`, not even an empty database gets a schema behind the
/// operator's back: the start is refused and names `keyhub migrate`.
async fn an_empty_database_waits_for_keyhub_migrate(t: &TestDb) {
    let master_key = common::new_master_key();
    let mut serve = common::keyhub_binary(t, &["serve"], Some(&master_key));
    serve.env("KEYHUB_AUTO_MIGRATE", "false");
    let said = refused_saying(serve, "the database holds no KeyHub schema yet");
    assert!(said.contains("run `keyhub migrate`"), "{said}");
    let db = Db::connect(&t.url, Access::ReadOnly).await.unwrap();
    assert_eq!(db.schema_state().await.unwrap(), SchemaState::Empty);
    db.close().await;
}

/// A database a newer release migrated: `serve`, `migrate` and `check` refuse it and say what to
/// do, and nothing is written.
async fn a_newer_schema_is_refused(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let master_key = app.master_key().to_owned();
    let newer = schema_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from a newer release', TRUE, $2, 1)",
    )
    .bind(newer)
    .bind(vec![0u8; 48])
    .execute(app.db.pool())
    .await
    .unwrap();
    let migrations = |db: Db| async move {
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(db.pool())
                .await
                .unwrap();
        (versions, row_counts(&db).await)
    };
    let before = migrations(app.db.clone()).await;

    for command in ["serve", "migrate", "check"] {
        let said = refused_saying(
            common::keyhub_binary(t, &[command], Some(&master_key)),
            &format!(
                "schema is at version {newer}, newer than this KeyHub knows (version {})",
                schema_version()
            ),
        );
        assert!(said.contains("restore the backup"), "{command}: {said}");
    }
    assert!(
        migrations(app.db.clone()).await == before,
        "no migration ran and no row changed"
    );
}

on_both_backends!(
    an_upgrade_keeps_everything,
    an_older_schema_waits_for_keyhub_migrate,
    an_empty_database_waits_for_keyhub_migrate,
    a_newer_schema_is_refused,
);

#[test]
fn version_names_the_revision_and_the_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_keyhub"))
        .arg("--version")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        said.starts_with(&format!("keyhub {} (revision ", env!("CARGO_PKG_VERSION"))),
        "{said}"
    );
    assert!(
        said.trim_end()
            .ends_with(&format!("schema version {})", schema_version())),
        "{said}"
    );
}
