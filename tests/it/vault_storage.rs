//! The encrypted key vault on both backends: round trip, tampering, moved ciphertexts, master-key
//! rotation, the one-primary rule in the schema, and no plaintext anywhere in the database.

use crate::common;

use crate::common::OfflineKeys;
use crate::common::{new_master_key, raw, secret, TestDb};
use keyhub::domain::keys::{KeyStatus, Role, Scope};
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::keyring::{Keyring, KeyringError};
use keyhub::keys::{KeyDraft, KeyError};
use keyhub::server::startup::{check_master_key, MasterKeyProblem, StartupError};
use keyhub::store::keys::{KeyRecord, NewKeyRow};
use keyhub::store::{Db, StoreError};
use keyhub::vault::OpenError;

const CANARY: &str = "sk-test-CANARY-8f2c1e9a4b7d4e0f9a1b2c3d4e5f6a7b";

fn new_key(_org_id: &str, provider_id: &str, secret_text: &str, role: Role) -> KeyDraft {
    let role = match role {
        Role::Primary => RoleChange::Primary,
        Role::Fallback => RoleChange::Fallback { rank: None },
        Role::None => RoleChange::None,
    };
    common::key_draft(provider_id, secret_text, role)
}

/// The keyring, and the key service's one way of adding keys.
struct TestKeyring {
    keyring: Keyring,
    keys: OfflineKeys,
}

impl std::ops::Deref for TestKeyring {
    type Target = Keyring;

    fn deref(&self) -> &Keyring {
        &self.keyring
    }
}

impl TestKeyring {
    async fn store(&self, draft: KeyDraft) -> Result<KeyRecord, KeyError> {
        self.keys.store(draft).await
    }
}

async fn keyring_with_org(test_db: &TestDb, master_key: &str) -> (Db, TestKeyring, String) {
    let (db, vault) = test_db.open(master_key).await;
    let org = db.create_org("acme", "Acme").await.unwrap();
    let keyring = TestKeyring {
        keyring: Keyring::new(db.clone(), vault.clone()),
        keys: OfflineKeys::new(&db, vault, &org),
    };
    (db, keyring, org.id)
}

async fn round_trip_keeps_the_secret_and_stores_hint_and_fingerprint(t: &TestDb) {
    let (db, keyring, org) = keyring_with_org(t, &new_master_key()).await;
    let record = keyring
        .store(new_key(&org, "openai", CANARY, Role::Primary))
        .await
        .unwrap();
    assert_eq!(record.hint, "sk-...6a7b");
    assert_eq!(record.key_family, "openai");
    assert_eq!(record.status, KeyStatus::Unverified);
    assert!(record.enabled);
    assert_eq!(keyring.reveal(&record).await.unwrap().expose(), CANARY);
    assert_eq!(
        keyring.duplicates_of(&org, &secret(CANARY)).await.unwrap()[0].id,
        record.id
    );
    assert_eq!(db.live_keys(&org).await.unwrap(), vec![record]);
}

async fn a_flipped_byte_in_the_stored_ciphertext_is_refused(t: &TestDb) {
    let (db, keyring, org) = keyring_with_org(t, &new_master_key()).await;
    let record = keyring
        .store(new_key(&org, "anthropic", CANARY, Role::None))
        .await
        .unwrap();
    let sealed = db.sealed_secret(&org, &record.id).await.unwrap().unwrap();
    let mut bytes = sealed.into_bytes();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
    sqlx::query("UPDATE provider_keys SET secret_ciphertext = $1 WHERE id = $2")
        .bind(String::from_utf8(bytes).unwrap())
        .bind(&record.id)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
    assert!(matches!(
        keyring.reveal(&record).await,
        Err(KeyringError::Vault(OpenError::Undecryptable))
    ));
}

async fn a_ciphertext_copied_to_another_row_does_not_decrypt(t: &TestDb) {
    let (db, keyring, org) = keyring_with_org(t, &new_master_key()).await;
    let victim = keyring
        .store(new_key(&org, "openai", CANARY, Role::None))
        .await
        .unwrap();
    let attacker = keyring
        .store(new_key(
            &org,
            "openai",
            "sk-attacker-own-key-000000000",
            Role::None,
        ))
        .await
        .unwrap();
    let stolen = db.sealed_secret(&org, &victim.id).await.unwrap().unwrap();
    sqlx::query("UPDATE provider_keys SET secret_ciphertext = $1 WHERE id = $2")
        .bind(&stolen)
        .bind(&attacker.id)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
    assert!(matches!(
        keyring.reveal(&attacker).await,
        Err(KeyringError::Vault(OpenError::WrongBinding))
    ));
    // Another org cannot read the row at all: every key query is scoped by org.
    let other = db.create_org("globex", "Globex").await.unwrap();
    assert!(matches!(
        keyring
            .reveal(&KeyRecord {
                org_id: other.id.clone(),
                ..victim.clone()
            })
            .await,
        Err(KeyringError::NotFound)
    ));
    assert!(db.key(&other.id, &victim.id).await.unwrap().is_none());
}

async fn a_key_written_under_an_old_master_key_reads_after_a_new_one_is_put_first(t: &TestDb) {
    let old = new_master_key();
    let (db, keyring, org) = keyring_with_org(t, &old).await;
    let record = keyring
        .store(new_key(&org, "mistral", CANARY, Role::None))
        .await
        .unwrap();
    db.close().await;

    let rotated = format!("{},{old}", new_master_key());
    let (db, vault) = t.open(&rotated).await;
    let keyring = Keyring::new(db.clone(), vault);
    assert_eq!(keyring.reveal(&record).await.unwrap().expose(), CANARY);
    assert_eq!(
        keyring
            .duplicates_of(&org, &secret(CANARY))
            .await
            .unwrap()
            .len(),
        1,
        "duplicates are found while old fingerprints remain"
    );
}

fn row<'a>(
    id: &'a str,
    org: &'a str,
    scope: Scope,
    owner: Option<&'a str>,
    role: Role,
) -> NewKeyRow<'a> {
    NewKeyRow {
        id,
        org_id: org,
        scope,
        owner_user_id: owner,
        provider: "openai-tts",
        key_family: "openai",
        nickname: None,
        sealed_secret: "fernet1:placeholder",
        hint: "sk-...0000",
        fingerprint: id,
        api_base: None,
        options: "{}",
        role,
        fallback_rank: None,
        enabled: true,
        actor: None,
        now: 1,
    }
}

async fn the_database_rejects_a_second_primary_in_one_family(t: &TestDb) {
    let (db, _vault) = t.open(&new_master_key()).await;
    let org = db.create_org("acme", "Acme").await.unwrap().id;
    let other_org = db.create_org("globex", "Globex").await.unwrap().id;
    for user in ["u1", "u2"] {
        sqlx::query("INSERT INTO users (id, email, created_at) VALUES ($1, $2, 1)")
            .bind(user)
            .bind(format!("{user}@example.com"))
            .execute(db.pool())
            .await
            .unwrap();
    }
    db.insert_key(&row("k1", &org, Scope::Org, None, Role::Primary))
        .await
        .unwrap();

    // Bypassing every service check: the unique index itself refuses the second org primary.
    let second = db
        .insert_key(&row("k2", &org, Scope::Org, None, Role::Primary))
        .await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    let raw_sql = sqlx::query(
        "INSERT INTO provider_keys (id, org_id, scope, provider, key_family, secret_ciphertext, hint, \
         role, created_at, updated_at) VALUES ('k3', $1, 'org', 'openai', 'openai', 'x', 'h', 'primary', 1, 1)",
    )
    .bind(&org)
    .execute(db.pool())
    .await;
    assert!(raw_sql
        .unwrap_err()
        .as_database_error()
        .unwrap()
        .is_unique_violation());

    // Other families, orgs, owners and roles are independent.
    db.insert_key(&row("k4", &other_org, Scope::Org, None, Role::Primary))
        .await
        .unwrap();
    db.insert_key(&row("k5", &org, Scope::Personal, Some("u1"), Role::Primary))
        .await
        .unwrap();
    db.insert_key(&row("k6", &org, Scope::Personal, Some("u2"), Role::Primary))
        .await
        .unwrap();
    let personal_twice = db
        .insert_key(&row("k7", &org, Scope::Personal, Some("u1"), Role::Primary))
        .await;
    assert!(matches!(personal_twice, Err(StoreError::Conflict(_))));
    db.insert_key(&row("k8", &org, Scope::Org, None, Role::None))
        .await
        .unwrap();

    // A deleted primary no longer holds the place.
    assert!(db.soft_delete_key(&org, "k1", None, 2).await.unwrap());
    db.insert_key(&row("k9", &org, Scope::Org, None, Role::Primary))
        .await
        .unwrap();

    // Personal keys need an owner, org keys must not have one.
    let ownerless = db
        .insert_key(&row("k10", &org, Scope::Personal, None, Role::None))
        .await;
    assert!(ownerless.is_err());
}

async fn soft_delete_wipes_the_ciphertext_and_keeps_the_row(t: &TestDb) {
    let (db, keyring, org) = keyring_with_org(t, &new_master_key()).await;
    let record = keyring
        .store(new_key(&org, "groq", CANARY, Role::Primary))
        .await
        .unwrap();
    assert!(db.soft_delete_key(&org, &record.id, None, 5).await.unwrap());
    assert!(
        !db.soft_delete_key(&org, &record.id, None, 6).await.unwrap(),
        "only once"
    );
    let deleted = db.key(&org, &record.id).await.unwrap().unwrap();
    assert_eq!(deleted.deleted_at, Some(5));
    assert_eq!(deleted.hint, record.hint, "the audit trail keeps the hint");
    assert!(db.live_keys(&org).await.unwrap().is_empty());
    assert!(db.sealed_secret(&org, &record.id).await.unwrap().is_none());
    let stored: Option<String> =
        sqlx::query_scalar("SELECT secret_ciphertext FROM provider_keys WHERE id = $1")
            .bind(&record.id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(stored, None);
    assert!(matches!(
        keyring.reveal(&record).await,
        Err(KeyringError::NotFound)
    ));
}

async fn every_health_status_fits_the_schema(t: &TestDb) {
    let (db, _vault) = t.open(&new_master_key()).await;
    let org = db.create_org("acme", "Acme").await.unwrap().id;
    db.insert_key(&row("k1", &org, Scope::Org, None, Role::None))
        .await
        .unwrap();
    // Every status a provider's answer gives is stored as it is.
    for status in KeyStatus::ALL
        .iter()
        .filter(|status| **status != KeyStatus::NeedsReentry)
    {
        sqlx::query("UPDATE provider_keys SET status = $1 WHERE id = 'k1'")
            .bind(status.as_str())
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(db.key(&org, "k1").await.unwrap().unwrap().status, *status);
    }
    for never_stored in ["fine", KeyStatus::NeedsReentry.as_str()] {
        let refused = sqlx::query("UPDATE provider_keys SET status = $1 WHERE id = 'k1'")
            .bind(never_stored)
            .execute(db.pool())
            .await;
        assert!(
            refused.is_err(),
            "the schema refuses the status {never_stored}"
        );
    }
    // Needing re-entry is what a live key without its secret reads as, whatever was stored.
    sqlx::query("UPDATE provider_keys SET secret_ciphertext = '' WHERE id = 'k1'")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        db.key(&org, "k1").await.unwrap().unwrap().status,
        KeyStatus::NeedsReentry
    );
}

async fn the_plaintext_never_appears_in_the_database(t: &TestDb) {
    let (db, keyring, org) = keyring_with_org(t, &new_master_key()).await;
    let kept = keyring
        .store(new_key(&org, "openai", CANARY, Role::Primary))
        .await
        .unwrap();
    let deleted = keyring
        .store(new_key(
            &org,
            "anthropic",
            &format!("{CANARY}-second"),
            Role::None,
        ))
        .await
        .unwrap();
    db.soft_delete_key(&org, &deleted.id, None, 9)
        .await
        .unwrap();
    db.close().await;

    let dump = t.dump().await;
    assert!(
        dump.contains(&kept.hint),
        "the dump is readable: {} bytes",
        dump.len()
    );
    assert!(
        !dump.contains("CANARY"),
        "plaintext key found in the database"
    );
    assert!(
        !dump.contains("8f2c1e9a4b7d"),
        "part of the plaintext key found in the database"
    );
}

/// Reads a key again, as every use does, after its row was changed behind KeyHub's back.
async fn reread(db: &Db, key: &KeyRecord) -> KeyRecord {
    db.key(&key.org_id, &key.id).await.unwrap().unwrap()
}

async fn a_destination_changed_in_the_database_does_not_decrypt(t: &TestDb) {
    let (db, keyring, org) = keyring_with_org(t, &new_master_key()).await;
    let admin = raw(t).await;
    let mut custom = new_key(&org, "openai", CANARY, Role::None);
    custom.api_base = Some("https://llm.example.com/v1".into());
    let record = keyring.store(custom).await.unwrap();
    assert_eq!(keyring.reveal(&record).await.unwrap().expose(), CANARY);
    for (column, value) in [
        ("api_base", Some("https://attacker.example/v1")),
        ("api_base", None),
        ("provider", Some("groq")),
    ] {
        sqlx::query(&format!(
            "UPDATE provider_keys SET {column} = $1 WHERE id = $2"
        ))
        .bind(value)
        .bind(&record.id)
        .execute(admin.pool())
        .await
        .unwrap();
        assert!(
            matches!(
                keyring.reveal(&reread(&db, &record).await).await,
                Err(KeyringError::Vault(OpenError::WrongBinding))
            ),
            "{column} = {value:?}"
        );
        sqlx::query(&format!(
            "UPDATE provider_keys SET {column} = $1 WHERE id = $2"
        ))
        .bind(match column {
            "provider" => Some("openai"),
            _ => record.api_base.as_deref(),
        })
        .bind(&record.id)
        .execute(admin.pool())
        .await
        .unwrap();
    }
    assert_eq!(
        keyring
            .reveal(&reread(&db, &record).await)
            .await
            .unwrap()
            .expose(),
        CANARY,
        "back where it was entered for, it opens again"
    );

    // Options that decide the host (Azure's endpoint) are bound; the others (the deployment) not.
    let mut azure = new_key(
        &org,
        "azure-openai",
        "azure-key-0123456789abcdef",
        Role::None,
    );
    azure.options = serde_json::from_value(serde_json::json!({
        "endpoint": "https://acme.openai.azure.com", "deployment": "gpt-4o"
    }))
    .unwrap();
    let azure = keyring.store(azure).await.unwrap();
    let set_options = |options: &'static str| {
        let (pool, id) = (admin.pool().clone(), azure.id.clone());
        async move {
            sqlx::query("UPDATE provider_keys SET options = $1 WHERE id = $2")
                .bind(options)
                .bind(id)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    set_options(r#"{"endpoint":"https://acme.openai.azure.com","deployment":"gpt-4o-mini"}"#).await;
    assert!(keyring.reveal(&reread(&db, &azure).await).await.is_ok());
    set_options(r#"{"endpoint":"https://attacker.example","deployment":"gpt-4o-mini"}"#).await;
    assert!(matches!(
        keyring.reveal(&reread(&db, &azure).await).await,
        Err(KeyringError::Vault(OpenError::WrongBinding))
    ));
}

/// Keys sealed before the destination was bound (envelope v1) still open; `rotate-master-key`
/// re-seals them in the current envelope, even under the same master key, which binds them.
async fn version_1_envelopes_open_and_the_next_start_binds_them(t: &TestDb) {
    let master = new_master_key();
    let (db, keyring, org) = keyring_with_org(t, &master).await;
    let record = keyring
        .store(new_key(&org, "openai", CANARY, Role::None))
        .await
        .unwrap();
    let v1 = fernet::Fernet::new(&master)
        .unwrap()
        .encrypt(format!("keyhub-secret-v1\n{org}\n{}\n{CANARY}", record.id).as_bytes());
    let admin = raw(t).await;
    sqlx::query("UPDATE provider_keys SET secret_ciphertext = $1 WHERE id = $2")
        .bind(format!("fernet1:{v1}"))
        .bind(&record.id)
        .execute(admin.pool())
        .await
        .unwrap();
    assert_eq!(keyring.reveal(&record).await.unwrap().expose(), CANARY);

    // The next start binds it to where it goes now.
    keyring.bind_older_envelopes().await;
    let report = keyring.reseal_all().await.unwrap();
    assert_eq!((report.resealed, report.already_current), (0, 1));
    assert_eq!(keyring.reveal(&record).await.unwrap().expose(), CANARY);
    sqlx::query("UPDATE provider_keys SET api_base = 'https://attacker.example' WHERE id = $1")
        .bind(&record.id)
        .execute(admin.pool())
        .await
        .unwrap();
    assert!(matches!(
        keyring.reveal(&reread(&db, &record).await).await,
        Err(KeyringError::Vault(OpenError::WrongBinding))
    ));
}

on_both_backends!(
    round_trip_keeps_the_secret_and_stores_hint_and_fingerprint,
    a_flipped_byte_in_the_stored_ciphertext_is_refused,
    a_ciphertext_copied_to_another_row_does_not_decrypt,
    a_key_written_under_an_old_master_key_reads_after_a_new_one_is_put_first,
    the_database_rejects_a_second_primary_in_one_family,
    soft_delete_wipes_the_ciphertext_and_keeps_the_row,
    every_health_status_fits_the_schema,
    the_plaintext_never_appears_in_the_database,
    a_destination_changed_in_the_database_does_not_decrypt,
    version_1_envelopes_open_and_the_next_start_binds_them,
);

async fn rotating_the_master_key_reencrypts_every_row_and_can_be_resumed(t: &TestDb) {
    let old = new_master_key();
    let (db, keyring, org) = keyring_with_org(t, &old).await;
    let mut keys = Vec::new();
    for n in 0..5 {
        let key = keyring
            .store(new_key(
                &org,
                "groq",
                &format!("gsk_{CANARY}{n}"),
                Role::None,
            ))
            .await
            .unwrap();
        keys.push(key);
    }
    db.close().await;

    let new = new_master_key();
    let (db, vault) = t.open(&format!("{new},{old}")).await;
    let rotating = Keyring::new(db.clone(), vault);
    let report = rotating.reseal_all().await.unwrap();
    assert_eq!((report.resealed, report.already_current), (5, 0));
    let again = rotating.reseal_all().await.unwrap();
    assert_eq!((again.resealed, again.already_current), (0, 5), "resumable");
    db.close().await;

    // The old key is no longer needed for anything, the canary included.
    let (db, vault) = t.open(&new).await;
    let keyring = Keyring::new(db, vault);
    for (n, key) in keys.iter().enumerate() {
        assert_eq!(
            keyring.reveal(key).await.unwrap().expose(),
            format!("gsk_{CANARY}{n}")
        );
    }
    assert_eq!(
        keyring
            .duplicates_of(&org, &secret(&format!("gsk_{CANARY}0")))
            .await
            .unwrap()
            .len(),
        1,
        "fingerprints were recomputed under the new key"
    );
}

async fn rotation_names_a_key_no_master_key_opens_and_keeps_the_old_key_needed(t: &TestDb) {
    let old = new_master_key();
    let (db, keyring, org) = keyring_with_org(t, &old).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let key = keyring
            .store(new_key(
                &org,
                "groq",
                &format!("gsk_{CANARY}{n}"),
                Role::None,
            ))
            .await
            .unwrap();
        ids.push(key.id);
    }
    db.close().await;
    common::damage_sealed_secret(t, &ids[1]).await;

    let new = new_master_key();
    let (db, vault) = t.open(&format!("{new},{old}")).await;
    let rotating = Keyring::new(db.clone(), vault);
    let report = rotating.reseal_all().await.unwrap();
    assert_eq!(report.undecryptable, vec![ids[1].clone()]);
    assert_eq!((report.resealed, report.already_current), (2, 0));
    assert_eq!(report.total(), 3);
    assert!(report.old_key_needed());
    let again = rotating.reseal_all().await.unwrap();
    assert_eq!(
        again.undecryptable,
        vec![ids[1].clone()],
        "named every time"
    );
    assert_eq!((again.resealed, again.already_current), (0, 2));
    db.close().await;

    // The canary stays under the old key, so a start without it is refused.
    assert!(matches!(
        check_master_key(&t.settings(Some(&new))).await,
        Err(StartupError::MasterKey(MasterKeyProblem::Wrong))
    ));
}

on_both_backends!(
    rotating_the_master_key_reencrypts_every_row_and_can_be_resumed,
    rotation_names_a_key_no_master_key_opens_and_keeps_the_old_key_needed,
);
