//! Opening the vault: first-run key generation, and refusing to start — changing nothing — when
//! the master key is wrong, missing, malformed or a documented example.

use crate::common;

use std::process::{Command, Output};

use crate::common::{new_master_key, stderr_and_stdout, TestApp, TestDb};
use keyhub::keys::arrangement::RoleChange;
use keyhub::server::startup::{check_master_key, open_vault, MasterKeyProblem, StartupError};

fn keyhub(t: &TestDb, args: &[&str], master_key: Option<&str>) -> Output {
    common::keyhub_binary(t, args, master_key)
        .output()
        .expect("keyhub runs")
}

/// A snapshot of what a refused start must not change: a hash of the SQLite file's bytes, or of
/// the PostgreSQL dump.
async fn fingerprint_of_database(t: &TestDb) -> u64 {
    use std::hash::{Hash, Hasher};
    let bytes = match t.sqlite_file() {
        Some(file) => std::fs::read(file).expect("database file exists"),
        None => t.dump().await.into_bytes(),
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

async fn first_run_generates_a_private_master_key_file_and_reuses_it(t: &TestDb) {
    let settings = t.settings(None);
    let file = settings.default_master_key_file();
    assert!(!file.exists());
    let (db, first) = open_vault(&settings).await.unwrap();
    db.close().await;
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.trim().len(), 44, "a Fernet key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let (db, second) = open_vault(&settings).await.unwrap();
    db.close().await;
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        written,
        "not regenerated"
    );
    let sealed = first.seal_canary();
    assert!(second.opens_canary(&sealed));
}

async fn a_wrong_master_key_refuses_to_start_and_changes_nothing(t: &TestDb) {
    let (db, _) = t.open(&new_master_key()).await;
    db.close().await;
    let before = fingerprint_of_database(t).await;

    let wrong = t.settings(Some(&new_master_key()));
    let error = open_vault(&wrong).await.unwrap_err();
    assert!(
        matches!(error, StartupError::MasterKey(MasterKeyProblem::Wrong)),
        "{error}"
    );
    assert!(error.to_string().contains("master key"));
    assert!(matches!(
        check_master_key(&wrong).await,
        Err(StartupError::MasterKey(MasterKeyProblem::Wrong))
    ));
    assert_eq!(
        fingerprint_of_database(t).await,
        before,
        "the database changed"
    );
}

async fn a_missing_master_key_with_data_present_refuses_to_start(t: &TestDb) {
    let (db, _) = t.open(&new_master_key()).await;
    db.close().await;
    let before = fingerprint_of_database(t).await;
    let error = open_vault(&t.settings(None)).await.unwrap_err();
    assert!(
        matches!(
            error,
            StartupError::MasterKey(MasterKeyProblem::Missing { .. })
        ),
        "{error}"
    );
    assert!(
        !t.settings(None).default_master_key_file().exists(),
        "no new key generated"
    );
    assert_eq!(fingerprint_of_database(t).await, before);
}

async fn malformed_and_example_master_keys_are_refused_before_touching_the_database(t: &TestDb) {
    for bad in ["not-a-key", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="] {
        let error = open_vault(&t.settings(Some(bad))).await.unwrap_err();
        assert!(
            matches!(
                error,
                StartupError::MasterKey(MasterKeyProblem::Invalid { .. })
            ),
            "{error}"
        );
        assert!(error.to_string().contains("master key"));
    }
    if let Some(file) = t.sqlite_file() {
        assert!(!file.exists(), "no database was created");
    }
}

async fn the_binary_refuses_a_wrong_master_key_with_a_clear_message(t: &TestDb) {
    let right = new_master_key();
    let migrated = keyhub(t, &["migrate"], Some(&right));
    assert!(
        migrated.status.success(),
        "{}",
        stderr_and_stdout(&migrated)
    );
    let check = keyhub(t, &["check"], Some(&right));
    assert!(check.status.success(), "{}", stderr_and_stdout(&check));
    assert!(stderr_and_stdout(&check).contains("master key: ok"));
    let before = fingerprint_of_database(t).await;

    let wrong = new_master_key();
    for args in [&["serve"][..], &["check"][..], &[][..]] {
        let output = keyhub(t, args, Some(&wrong));
        let text = stderr_and_stdout(&output);
        assert_eq!(output.status.code(), Some(4), "{args:?}: {text}");
        assert!(text.contains("master key is wrong"), "{args:?}: {text}");
        assert!(!text.contains(&wrong), "the key itself is never printed");
    }
    let missing = keyhub(t, &["check"], None);
    assert_eq!(missing.status.code(), Some(4));
    assert!(stderr_and_stdout(&missing).contains("master key missing"));
    assert_eq!(
        fingerprint_of_database(t).await,
        before,
        "the database changed"
    );
}

async fn rotate_master_key_reports_what_it_did_and_names_keys_it_cannot_decrypt(t: &TestDb) {
    let old = new_master_key();
    let (db, vault) = t.open(&old).await;
    let org = db.create_org("acme", "Acme").await.unwrap();
    let offline = common::OfflineKeys::new(&db, vault, &org);
    let mut ids = Vec::new();
    for n in 0..3 {
        let secret_text = format!("gsk_rotateRotateRotate{n}");
        let key = offline
            .store(common::key_draft("groq", &secret_text, RoleChange::None))
            .await
            .unwrap();
        ids.push(key.id);
    }
    db.close().await;
    common::damage_sealed_secret(t, &ids[2]).await;

    let new = new_master_key();
    let both = format!("{new},{old}");
    let rotated = keyhub(t, &["rotate-master-key"], Some(&both));
    let said = stderr_and_stdout(&rotated);
    assert!(!rotated.status.success(), "{said}");
    assert!(said.contains("Re-encrypted 2 key(s)"), "{said}");
    assert!(
        said.contains(&format!(
            "1 keys could not be decrypted (ids {}); keep the old key.",
            ids[2]
        )),
        "{said}"
    );
    assert!(!said.contains("may be removed"), "{said}");
    let alone = keyhub(t, &["check"], Some(&new));
    assert_eq!(
        alone.status.code(),
        Some(4),
        "{}",
        stderr_and_stdout(&alone)
    );

    // The damaged key deleted, a second run finds nothing left under the old key.
    sqlx::query("DELETE FROM provider_keys WHERE id = $1")
        .bind(&ids[2])
        .execute(common::raw(t).await.pool())
        .await
        .unwrap();
    let rotated = keyhub(t, &["rotate-master-key"], Some(&both));
    let said = stderr_and_stdout(&rotated);
    assert!(rotated.status.success(), "{said}");
    assert!(said.contains("skipped 2 already under it"), "{said}");
    assert!(
        said.contains("All 2 keys are now under the new master key; the old key may be removed."),
        "{said}"
    );
    let alone = keyhub(t, &["check"], Some(&new));
    assert!(alone.status.success(), "{}", stderr_and_stdout(&alone));
    assert!(
        stderr_and_stdout(&alone).contains("stored keys: 2, all under the first master key"),
        "{}",
        stderr_and_stdout(&alone)
    );
}

on_both_backends!(
    rotate_master_key_reports_what_it_did_and_names_keys_it_cannot_decrypt,
    first_run_generates_a_private_master_key_file_and_reuses_it,
    a_wrong_master_key_refuses_to_start_and_changes_nothing,
    a_missing_master_key_with_data_present_refuses_to_start,
    malformed_and_example_master_keys_are_refused_before_touching_the_database,
    the_binary_refuses_a_wrong_master_key_with_a_clear_message,
);

#[test]
fn gen_master_key_prints_a_usable_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_keyhub"))
        .arg("gen-master-key")
        .output()
        .unwrap();
    assert!(output.status.success());
    let key = String::from_utf8(output.stdout).unwrap();
    assert!(
        keyhub::vault::MasterKeys::parse(&keyhub::vault::SecretString::new(key.trim())).is_ok()
    );
}

#[test]
fn check_reports_configuration_errors_with_their_own_exit_code() {
    let output = Command::new(env!("CARGO_BIN_EXE_keyhub"))
        .arg("check")
        .env_clear()
        .env("KEYHUB_DATABASE_URL", "mysql://nope")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("KEYHUB_DATABASE_URL"));
}

#[tokio::test]
async fn check_reports_an_unreachable_database_with_its_own_exit_code() {
    let output = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_keyhub"))
            .arg("check")
            .env_clear()
            .env("KEYHUB_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("database: FAILED"));
}

/// The SQLite file, its WAL and its shared-memory file are readable by their owner only, whatever
/// the umask, and a file left readable from before is tightened at the next start.
#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_and_its_wal_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let t = TestDb::sqlite().await;
    let file = t.sqlite_file().unwrap();
    let modes = || {
        ["", "-wal", "-shm"].map(|suffix| {
            let mut path = file.clone().into_os_string();
            path.push(suffix);
            let mode = std::fs::metadata(&path)
                .unwrap_or_else(|error| panic!("{path:?}: {error}"))
                .permissions()
                .mode();
            (suffix, mode & 0o777)
        })
    };
    let (db, _) = t.open(&new_master_key()).await;
    db.create_org("acme", "Acme").await.unwrap();
    assert_eq!(modes(), [("", 0o600), ("-wal", 0o600), ("-shm", 0o600)]);
    db.close().await;

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (db, _) = t.open_existing().await;
    db.create_org("beta", "Beta").await.unwrap();
    assert_eq!(modes(), [("", 0o600), ("-wal", 0o600), ("-shm", 0o600)]);
    db.close().await;
}

#[tokio::test]
async fn rotate_master_key_needs_both_keys_and_leaves_the_old_one_unneeded() {
    let t = TestDb::sqlite().await;
    let old = new_master_key();
    assert!(keyhub(&t, &["migrate"], Some(&old)).status.success());
    let alone = keyhub(&t, &["rotate-master-key"], Some(&old));
    assert_eq!(
        alone.status.code(),
        Some(4),
        "{}",
        stderr_and_stdout(&alone)
    );
    assert!(stderr_and_stdout(&alone).contains("new key first"));

    let new = new_master_key();
    let rotated = keyhub(&t, &["rotate-master-key"], Some(&format!("{new},{old}")));
    assert!(rotated.status.success(), "{}", stderr_and_stdout(&rotated));
    assert!(stderr_and_stdout(&rotated)
        .contains("All 0 keys are now under the new master key; the old key may be removed."));
    let check = keyhub(&t, &["check"], Some(&new));
    assert!(check.status.success(), "{}", stderr_and_stdout(&check));
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_creates_orgs() {
    use std::io::Write;
    let t = TestDb::sqlite().await;
    let key = new_master_key();
    let run = |email: &str, password: &str, org: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhub"))
            .args([
                "create-admin",
                "--email",
                email,
                "--org",
                org,
                "--org-name",
                "Acme Labs",
            ])
            .current_dir(t.dir.path())
            .env_clear()
            .env("KEYHUB_DATABASE_URL", &t.url)
            .env("KEYHUB_AUTO_MIGRATE", "true")
            .env("KEYHUB_DATA_DIR", t.dir.path())
            .env("KEYHUB_MASTER_KEY", &key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("ada@example.com", "short", "acme");
    assert!(!weak.status.success());
    assert!(stderr_and_stdout(&weak).contains("at least 12 characters"));
    let created = run("ada@example.com", "correct horse battery staple", "acme");
    assert!(created.status.success(), "{}", stderr_and_stdout(&created));
    assert!(stderr_and_stdout(&created).contains("created ada@example.com as owner of Acme Labs"));
    assert!(
        !stderr_and_stdout(&created).contains("correct horse"),
        "the password is never echoed"
    );
    let taken = run("eve@example.com", "correct horse battery staple", "acme");
    assert!(!taken.status.success());
    assert!(
        stderr_and_stdout(&taken).contains("slug already exists"),
        "{}",
        stderr_and_stdout(&taken)
    );
    let second = run("ada@example.com", "ignored for an existing user", "globex");
    assert!(second.status.success(), "{}", stderr_and_stdout(&second));
    assert!(stderr_and_stdout(&second).contains("owner of Acme Labs (globex)"));
}

/// `keyhub healthcheck`, a container's HEALTHCHECK: 0 while KeyHub answers, 1 when nothing does.
#[tokio::test]
async fn healthcheck_tells_a_serving_keyhub_from_none() {
    let t = TestDb::sqlite().await;
    let app = TestApp::spawn(&t).await;
    // The server runs on this test's runtime: the command is awaited, not blocked on.
    let ask = |url: String| async move {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_keyhub"))
                .args(["healthcheck", "--url", &url])
                .env_clear()
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let up = ask(app.url("/healthz")).await;
    assert!(up.status.success(), "{}", stderr_and_stdout(&up));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}/healthz", closed.local_addr().unwrap());
    drop(closed);
    let down = ask(nobody).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(stderr_and_stdout(&down).contains("no answer"));
}
