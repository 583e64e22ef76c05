//! A lost master key: `keyhub recover --forget-secrets` (the real binary) wipes the secrets only
//! after a typed confirmation and only when the key is really lost, keeps everything else, and a
//! key pasted again serves its expert without the expert being edited.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::common::{self, people, secret, stderr_and_stdout as said, TestApp, TestDb};
use keyhub::consumers::{ConsumerPatch, SlotDraft};
use keyhub::domain::consumers::{ConsumerKind, Slot, Target};
use keyhub::domain::keys::{KeyStatus, Role};
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::{KeyChange, KeyDraft, KeyError, KeyFilter};
use keyhub::resolution::Source;

const MAIN: &str = "sk-proj-RECOVERYmainMAINmain0001";
const BACKUP: &str = "sk-proj-RECOVERYbackupBACKUP0002";

fn draft(key: &str, nickname: &str, role: RoleChange) -> KeyDraft {
    common::openai_key(key, nickname, role)
}

/// `keyhub recover --forget-secrets` answering `typed` at its prompt.
fn recover(t: &TestDb, master_key: Option<&str>, typed: &str) -> Output {
    let mut run = common::keyhub_binary(t, &["recover", "--forget-secrets"], master_key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = run.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    drop(stdin);
    run.wait_with_output().unwrap()
}

async fn a_lost_master_key_is_recovered_by_pasting_the_keys_again(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let main = keys
        .create(p.owner(), draft(MAIN, "Main", RoleChange::Primary))
        .await
        .unwrap()
        .key;
    let backup = keys
        .create(p.owner(), draft(BACKUP, "Backup", RoleChange::Primary))
        .await
        .unwrap()
        .key;
    let expert = app
        .state
        .consumers()
        .create(
            p.owner(),
            ConsumerKind::Expert,
            ConsumerPatch {
                name: Some("Support".to_owned()),
                slots: [(
                    Slot::Chat,
                    Some(SlotDraft {
                        provider: "openai".to_owned(),
                        model: Some("gpt-4o".to_owned()),
                        voice: None,
                        key_id: Some(main.id.clone()),
                    }),
                )]
                .into_iter()
                .collect(),
                ..ConsumerPatch::default()
            },
        )
        .await
        .unwrap();
    let org_id = p.owner_membership.org.id.clone();

    // Not confirmed, or the master key is not lost: nothing changes.
    let unconfirmed = recover(t, None, "yes\n");
    assert!(!unconfirmed.status.success(), "{}", said(&unconfirmed));
    assert!(said(&unconfirmed).contains("nothing changed"));
    let not_lost = recover(t, Some(app.master_key()), "FORGET\n");
    assert_eq!(not_lost.status.code(), Some(4), "{}", said(&not_lost));
    assert!(
        said(&not_lost).contains("nothing was lost"),
        "{}",
        said(&not_lost)
    );
    let misconfigured = recover(t, Some("not a master key"), "FORGET\n");
    assert_eq!(
        misconfigured.status.code(),
        Some(4),
        "{}",
        said(&misconfigured)
    );
    assert!(
        said(&misconfigured).contains("cannot be used"),
        "{}",
        said(&misconfigured)
    );
    let still = app.keyring().reveal(&main).await.unwrap();
    assert_eq!(still.expose(), MAIN);

    // The key is lost (not configured, no key file): confirmed, every secret is wiped.
    let recovered = recover(t, None, "FORGET\n");
    let told = said(&recovered);
    assert!(recovered.status.success(), "{told}");
    assert!(
        told.contains("Wiped the secrets of 2 key(s) in 1 organization(s)"),
        "{told}"
    );
    let key_file = t.dir.path().join("master.key");
    assert!(told.contains("A new master key was written to"), "{told}");
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        !told.contains(new_key.trim()),
        "a written key is not printed"
    );
    let wiped: Vec<String> =
        sqlx::query_scalar("SELECT secret_ciphertext FROM provider_keys WHERE deleted_at IS NULL")
            .fetch_all(common::raw(t).await.pool())
            .await
            .unwrap();
    assert_eq!(wiped, ["", ""]);

    // KeyHub starts with the new key; everything but the secrets is as it was.
    let after = TestApp::spawn_with_master_key(t, new_key.trim()).await;
    let keys = after.state.keys();
    let listed = keys.list(p.owner(), &KeyFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 2);
    for key in &listed {
        assert_eq!(key.status, KeyStatus::NeedsReentry, "{}", key.id);
    }
    let roles: Vec<(Option<String>, Role, Option<i64>)> = listed
        .iter()
        .map(|key| (key.nickname.clone(), key.role, key.fallback_rank))
        .collect();
    assert!(roles.contains(&(Some("Backup".into()), Role::Primary, None)));
    assert!(roles.contains(&(Some("Main".into()), Role::Fallback, Some(1))));
    let events = after.events(&org_id).await;
    assert_eq!(events[0].action, "vault.secrets_forgotten");
    assert!(events[0].detail.contains("2 key(s)"), "{:?}", events[0]);
    match keys.validate(p.owner(), &main.id).await {
        Err(KeyError::Invalid(problems)) => {
            assert!(problems.first().message.contains("Re-enter key"))
        }
        other => panic!("a key without its secret cannot be checked: {other:?}"),
    }

    // Nothing serves the expert until its key is pasted again, and it says how to fix that.
    let target = Target::parse("openai").unwrap();
    let consumers = after.state.consumers();
    let expert_id = expert.record.id.as_str();
    let resolve_expert = || {
        consumers.resolve(
            p.owner(),
            &target,
            Some((ConsumerKind::Expert, expert_id)),
            None,
        )
    };
    let resolved = resolve_expert().await.unwrap();
    assert!(resolved.key().is_none());
    assert!(
        resolved
            .passed_over
            .iter()
            .any(|why| why.contains("Re-enter key")),
        "{:?}",
        resolved.passed_over
    );

    // Pasting Main again: checked with the provider, back in place, its expert served unedited.
    let change = KeyChange {
        secret: Some(secret(MAIN)),
        ..KeyChange::default()
    };
    let reentered = keys.change(p.owner(), &main.id, change).await.unwrap().key;
    assert_eq!(reentered.status, KeyStatus::Valid);
    assert_eq!(reentered.id, main.id);
    let resolved = resolve_expert().await.unwrap();
    assert_eq!(
        resolved.key().map(|key| key.id.as_str()),
        Some(main.id.as_str())
    );
    assert_eq!(resolved.source(), Some(Source::Selected));
    assert_eq!(
        after.keyring().reveal(&reentered).await.unwrap().expose(),
        MAIN
    );
    let backup_now = keys.get(p.owner(), &backup.id).await.unwrap();
    assert_eq!(backup_now.status, KeyStatus::NeedsReentry);

    // A key still waiting for its secret holds up neither `check` nor a later rotation.
    let new_key = new_key.trim();
    let checked = common::keyhub_binary(t, &["check"], Some(new_key))
        .output()
        .unwrap();
    assert!(
        said(&checked).contains("stored keys: 1, all under the first master key"),
        "{}",
        said(&checked)
    );
    let newer = common::new_master_key();
    let rotated = common::keyhub_binary(
        t,
        &["rotate-master-key"],
        Some(&format!("{newer},{new_key}")),
    )
    .output()
    .unwrap();
    assert!(rotated.status.success(), "{}", said(&rotated));
    assert!(
        said(&rotated).contains("the old key may be removed"),
        "{}",
        said(&rotated)
    );
}

on_both_backends!(a_lost_master_key_is_recovered_by_pasting_the_keys_again);
