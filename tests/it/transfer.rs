//! Moving orgs between instances: an export from one backend imported into an instance of the other
//! backend, under another master key, gives the same hub, the same resolution for every expert and
//! working gateway calls; a wrong passphrase or a changed byte imports nothing; conflicts are
//! refused unless a flag says what to do; the plaintext parts of the file hold no secret.

use crate::common::{self, people, secret, TestApp, TestDb};
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::consumers::{ConsumerPatch, SlotDraft};
use keyhub::domain::accounts::TokenScope;
use keyhub::domain::consumers::{ConsumerKind, Slot, Target};
use keyhub::domain::keys::Scope;
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::{KeyDraft, KeyFilter};
use keyhub::transfer::{self, Conflicts, TransferError};

const MAIN: &str = "sk-proj-TRANSFERmainMAINmain0001";
const BACKUP: &str = "sk-proj-TRANSFERbackupBACKUP0002";
const PERSONAL: &str = "sk-ant-api03-TRANSFERpersonal0003";
const PASSPHRASE: &str = "correct horse moves house";

fn slot(provider: &str, key_id: Option<&str>) -> Option<SlotDraft> {
    Some(SlotDraft {
        provider: provider.to_owned(),
        model: Some("gpt-4o".to_owned()),
        voice: None,
        key_id: key_id.map(str::to_owned),
    })
}

/// The member's own Anthropic key: personal, seen by them alone.
fn members_own_key() -> KeyDraft {
    KeyDraft {
        provider: "anthropic".to_owned(),
        scope: Scope::Personal,
        ..common::openai_key(PERSONAL, "Mine", RoleChange::Primary)
    }
}

/// Keys (an org primary, a fallback, a member's personal key), an expert choosing the fallback and
/// an assistant on it, in Acme of `t`; the file that exports Acme.
async fn exported_acme(t: &TestDb) -> Vec<u8> {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    keys.create(
        p.owner(),
        common::openai_key(MAIN, "Main", RoleChange::Primary),
    )
    .await
    .unwrap();
    let backup = keys
        .create(
            p.owner(),
            common::openai_key(BACKUP, "Backup", RoleChange::Fallback { rank: None }),
        )
        .await
        .unwrap()
        .key;
    keys.create(p.member(), members_own_key()).await.unwrap();
    let consumers = app.state.consumers();
    let expert = consumers
        .create(
            p.owner(),
            ConsumerKind::Expert,
            ConsumerPatch {
                name: Some("Support".to_owned()),
                slots: [(Slot::Chat, slot("openai", Some(&backup.id)))]
                    .into_iter()
                    .collect(),
                ..ConsumerPatch::default()
            },
        )
        .await
        .unwrap();
    consumers
        .create(
            p.owner(),
            ConsumerKind::Assistant,
            ConsumerPatch {
                name: Some("Helper".to_owned()),
                expert_id: Some(Some(expert.record.id.clone())),
                slots: [(Slot::Chat, slot("openai", None))].into_iter().collect(),
                ..ConsumerPatch::default()
            },
        )
        .await
        .unwrap();
    let exported = transfer::export(
        &app.db,
        &app.keyring(),
        &["acme".to_owned()],
        false,
        transfer::PersonalKeys::All,
    )
    .await
    .unwrap();
    transfer::seal_file(&exported, &secret(PASSPHRASE)).unwrap()
}

async fn org_count(app: &TestApp) -> usize {
    app.db.all_orgs().await.unwrap().len()
}

async fn an_export_moves_to_the_other_backend(source: &TestDb, target: &TestDb) {
    let file = exported_acme(source).await;
    for plain in [MAIN, BACKUP, PERSONAL, "TRANSFER"] {
        assert!(
            !file.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain} in the file's bytes"
        );
    }
    let header = transfer::read_header(&file).unwrap();
    assert_eq!(header.orgs[0].slug, "acme");
    assert_eq!(
        (
            header.orgs[0].keys,
            header.orgs[0].consumers,
            header.orgs[0].members
        ),
        (3, 2, 2)
    );

    // Another instance, on the other backend, with a master key of its own.
    let app = TestApp::spawn(target).await;
    assert_eq!(org_count(&app).await, 0);
    let keyring = app.keyring();
    assert!(matches!(
        transfer::open_file(&file, &secret("not the passphrase at all")),
        Err(TransferError::CannotOpen)
    ));
    let mut flipped = file.clone();
    let last = flipped.len() - 20;
    flipped[last] ^= 1;
    assert!(matches!(
        transfer::open_file(&flipped, &secret(PASSPHRASE)),
        Err(TransferError::CannotOpen)
    ));
    let mut relabelled =
        String::from_utf8_lossy(&file[..file.iter().position(|b| *b == b'{').unwrap()])
            .into_owned();
    relabelled.push_str("{}");
    assert!(transfer::open_file(relabelled.as_bytes(), &secret(PASSPHRASE)).is_err());
    assert_eq!(org_count(&app).await, 0, "nothing was written");

    let exported = transfer::open_file(&file, &secret(PASSPHRASE)).unwrap();
    // A file crafted to let the org's expert choose a member's personal key imports nothing.
    let mut crafted = exported.clone();
    let personal_key = crafted.orgs[0]
        .keys
        .iter()
        .find(|key| key.scope == "personal")
        .map(|key| key.id.clone());
    crafted.orgs[0].consumers[0].slots[0].key_id = personal_key;
    assert!(matches!(
        transfer::import(&app.db, &keyring, &crafted, Conflicts::Refuse).await,
        Err(TransferError::Unusable(_))
    ));
    assert_eq!(org_count(&app).await, 0, "nothing was written");

    let imported = transfer::import(&app.db, &keyring, &exported, Conflicts::Refuse)
        .await
        .unwrap();
    assert_eq!(
        imported.orgs,
        [("acme".to_owned(), Some("acme".to_owned()), 3)]
    );

    // The same hub: nicknames, hints, roles; the secrets open under this instance's key.
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let (_, password) = app
        .db
        .user_with_password(common::OWNER_EMAIL)
        .await
        .unwrap()
        .expect("the owner's account came along");
    assert!(
        password.is_none(),
        "without --with-accounts no password comes along"
    );
    let keys = app.db.live_keys(&org.id).await.unwrap();
    assert_eq!(keys.len(), 3);
    for key in &keys {
        let opened = keyring.reveal(key).await.unwrap();
        let expected = match key.nickname.as_deref() {
            Some("Main") => MAIN,
            Some("Backup") => BACKUP,
            _ => PERSONAL,
        };
        assert_eq!(opened.expose(), expected);
    }
    let events = app.events(&org.id).await;
    assert_eq!(events[0].action, "org.imported");

    // The same resolution: the expert's chosen key, the assistant's main key.
    let members = app.db.org_members(&org.id).await.unwrap();
    assert_eq!(members.len(), 2);
    let token = tokens::Tokens(&app.db)
        .create_in(
            &org,
            None,
            TokenRequest {
                name: "moved",
                scopes: &[TokenScope::Gateway, TokenScope::KeysRead],
                lifetime_days: None,
            },
        )
        .await
        .unwrap();
    let caller = keyhub::accounts::tokens::TokenCaller {
        token_id: token.token.id.clone(),
        label: "moved".to_owned(),
        org: org.clone(),
        scopes: vec![TokenScope::KeysRead],
    };
    let actor = keyhub::keys::KeyActor::Token(&caller);
    let experts = app
        .state
        .consumers()
        .list(actor, ConsumerKind::Expert)
        .await
        .unwrap();
    let target = Target::parse("openai").unwrap();
    let resolved = app
        .state
        .consumers()
        .resolve(
            actor,
            &target,
            Some((ConsumerKind::Expert, &experts[0].record.id)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        resolved.key().and_then(|k| k.nickname.as_deref()),
        Some("Backup")
    );
    let listed = app
        .state
        .keys()
        .list(actor, &KeyFilter::default())
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        2,
        "a token sees the org's keys, not a member's own"
    );

    // A gateway call through the moved primary works.
    let answer = common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(token.secret.expose())
        .json(&serde_json::json!({"model": "gpt-4o"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // Conflicts: refused and named, unless a flag says what to do.
    match transfer::import(&app.db, &keyring, &exported, Conflicts::Refuse).await {
        Err(TransferError::Conflicts(message)) => assert!(message.contains("acme"), "{message}"),
        other => panic!("{other:?}"),
    }
    let skipped = transfer::import(&app.db, &keyring, &exported, Conflicts::SkipExisting)
        .await
        .unwrap();
    assert_eq!(skipped.orgs, [("acme".to_owned(), None, 3)]);
    let renamed = transfer::import(&app.db, &keyring, &exported, Conflicts::Rename)
        .await
        .unwrap();
    assert_eq!(
        renamed.orgs,
        [("acme".to_owned(), Some("acme-2".to_owned()), 3)]
    );
    assert_eq!(org_count(&app).await, 2);
}

/// Runs the move from SQLite to PostgreSQL, or the other way round.
async fn between_backends(from_sqlite: bool) {
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    let sqlite = TestDb::sqlite().await;
    match from_sqlite {
        true => an_export_moves_to_the_other_backend(&sqlite, &postgres).await,
        false => an_export_moves_to_the_other_backend(&postgres, &sqlite).await,
    }
    sqlite.drop_database().await;
    postgres.drop_database().await;
}

#[tokio::test]
async fn sqlite_to_postgres() {
    between_backends(true).await;
}

#[tokio::test]
async fn postgres_to_sqlite() {
    between_backends(false).await;
}

/// The commands as an operator runs them: the passphrase from a file, never an argument; the
/// file written for its owner only and never over another; what they print names no secret.
#[tokio::test]
async fn export_and_import_commands() {
    use crate::common::stderr_and_stdout as said;
    let source = TestDb::sqlite().await;
    let source_key = common::new_master_key();
    let (db, vault) = source.open(&source_key).await;
    let org = db.create_org("acme", "Acme").await.unwrap();
    common::OfflineKeys::new(&db, vault, &org)
        .store(common::key_draft(
            "groq",
            "gsk_COMMANDline00000000000004",
            RoleChange::Primary,
        ))
        .await
        .unwrap();
    db.close().await;
    let passphrase = source.dir.path().join("passphrase");
    std::fs::write(&passphrase, format!("{PASSPHRASE}\n")).unwrap();
    let file = source.dir.path().join("acme.keyhub");
    let run = |t: &TestDb, key: &str, args: &[&str]| {
        common::keyhub_binary(t, args, Some(key)).output().unwrap()
    };
    let (file_arg, pass_arg) = (file.to_str().unwrap(), passphrase.to_str().unwrap());

    let unnamed = run(
        &source,
        &source_key,
        &["export", "--to", file_arg, "--passphrase-file", pass_arg],
    );
    assert!(!unnamed.status.success());
    assert!(said(&unnamed).contains("--org SLUG"), "{}", said(&unnamed));
    let exported = run(
        &source,
        &source_key,
        &[
            "export",
            "--to",
            file_arg,
            "--org",
            "acme",
            "--passphrase-file",
            pass_arg,
        ],
    );
    assert!(exported.status.success(), "{}", said(&exported));
    assert!(
        said(&exported).contains("Exported acme (Acme): 1 key(s)"),
        "{}",
        said(&exported)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let again = run(
        &source,
        &source_key,
        &[
            "export",
            "--to",
            file_arg,
            "--all",
            "--passphrase-file",
            pass_arg,
        ],
    );
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let target = TestDb::sqlite().await;
    let target_key = common::new_master_key();
    let (db, _) = target.open(&target_key).await;
    db.close().await;
    let import = ["import", "--from", file_arg, "--passphrase-file", pass_arg];
    let imported = run(&target, &target_key, &import);
    assert!(imported.status.success(), "{}", said(&imported));
    assert!(
        said(&imported).contains("Imported acme with 1 key(s)."),
        "{}",
        said(&imported)
    );
    let conflict = run(&target, &target_key, &import);
    assert!(!conflict.status.success());
    assert!(
        said(&conflict).contains("exist here already: acme"),
        "{}",
        said(&conflict)
    );
    let renamed = run(&target, &target_key, &[&import[..], &["--rename"]].concat());
    assert!(
        said(&renamed).contains("Imported acme as acme-2"),
        "{}",
        said(&renamed)
    );
    std::fs::write(&passphrase, "not the passphrase at all\n").unwrap();
    let wrong = run(&target, &target_key, &import);
    assert!(
        said(&wrong).contains("passphrase is wrong"),
        "{}",
        said(&wrong)
    );
    for output in [&exported, &imported, &conflict, &renamed, &wrong] {
        assert!(!said(output).contains("COMMANDline"), "{}", said(output));
    }
    source.drop_database().await;
    target.drop_database().await;
}

/// Owners download their organization from Settings in the same format; members cannot, a short
/// passphrase is refused, and other members' personal keys stay out of the file.
async fn owners_download_their_org_and_nobody_else_does(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    keys.create(
        p.owner(),
        common::openai_key(MAIN, "Main", RoleChange::Primary),
    )
    .await
    .unwrap();
    keys.create(p.member(), members_own_key()).await.unwrap();
    let download = |client: reqwest::Client, passphrase: &'static str| {
        let request = client
            .post(app.url("/settings/export"))
            .header("origin", app.origin())
            .form(&[("passphrase", passphrase)]);
        async move { request.send().await.unwrap() }
    };
    let owner = app
        .sign_in(common::OWNER_EMAIL, common::OWNER_PASSWORD)
        .await;
    let short = download(owner.clone(), "short").await;
    assert_eq!(short.status(), 422);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("at least 12 characters"));

    let answer = download(owner, PASSPHRASE).await;
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"acme-"));
    let file = answer.bytes().await.unwrap();
    let exported = transfer::open_file(&file, &secret(PASSPHRASE)).unwrap();
    let hints: Vec<&str> = exported.orgs[0]
        .keys
        .iter()
        .map(|k| k.hint.as_str())
        .collect();
    assert_eq!(
        hints,
        ["sk-proj...0001"],
        "the member's personal key stays out"
    );
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(app.events(&org.id).await[0].action, "org.exported");

    let member = app
        .sign_in("member@example.com", common::OWNER_PASSWORD)
        .await;
    let refused = download(member, PASSPHRASE).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("Only owners export"));
}

on_both_backends!(owners_download_their_org_and_nobody_else_does);
