//! The key lifecycle on both backends: add, primary and fallbacks, rotate, enable, delete, who may
//! do what, input hygiene, one primary under concurrency, and a rotation that fails halfway.

use crate::common;

use crate::common::{people, raw, secret, TestApp, TestDb};
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::domain::accounts::TokenScope;
use keyhub::domain::keys::{Role, Scope};
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::{KeyActor, KeyDraft, KeyEdit, KeyError, KeyFilter};
use keyhub::store::accounts::Membership;
use keyhub::store::activity::EventFilter;

const KEY_A: &str = "sk-proj-AAAAaaaaBBBBbbbbCCCC1111";
const KEY_B: &str = "sk-proj-DDDDddddEEEEeeeeFFFF2222";
const KEY_C: &str = "sk-proj-GGGGggggHHHHhhhhIIII3333";

fn draft(provider: &str, key: &str, role: RoleChange) -> KeyDraft {
    KeyDraft {
        provider: provider.to_owned(),
        api_key: secret(key),
        nickname: None,
        api_base: None,
        options: Default::default(),
        role,
        enabled: true,
        scope: Scope::Org,
        allow_unverified: false,
    }
}

fn roles(
    keys: &[std::sync::Arc<keyhub::store::keys::KeyRecord>],
) -> Vec<(String, Role, Option<i64>)> {
    keys.iter()
        .map(|k| (k.hint.clone(), k.role, k.fallback_rank))
        .collect()
}

async fn primary_fallbacks_rotation_and_delete(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();

    let a = keys
        .create(p.owner(), draft("openai", KEY_A, RoleChange::Primary))
        .await
        .unwrap();
    assert_eq!(a.key.hint, "sk-proj...1111");
    assert!(a.warning.is_none());
    let b = keys
        .create(
            p.owner(),
            draft("openai-tts", KEY_B, RoleChange::Fallback { rank: None }),
        )
        .await
        .unwrap();
    let c = keys
        .create(
            p.owner(),
            draft("openai", KEY_C, RoleChange::Fallback { rank: None }),
        )
        .await
        .unwrap();
    let family = KeyFilter::default();
    let listed = keys.list(p.owner(), &family).await.unwrap();
    assert_eq!(listed.len(), 3);

    // One family across OpenAI chat, TTS and DALL·E: C becomes primary, A the first fallback.
    keys.set_role(p.owner(), &c.key.id, RoleChange::Primary)
        .await
        .unwrap();
    let mut now: Vec<_> = roles(&keys.list(p.owner(), &family).await.unwrap());
    now.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        now,
        vec![
            ("sk-proj...1111".into(), Role::Fallback, Some(1)),
            ("sk-proj...2222".into(), Role::Fallback, Some(2)),
            ("sk-proj...3333".into(), Role::Primary, None),
        ]
    );

    // Rotation keeps the id, replaces hint and secret.
    let rotated = keys
        .rotate(
            p.owner(),
            &b.key.id,
            secret("sk-proj-ZZZZzzzzYYYYyyyyXXXX9999"),
        )
        .await
        .unwrap();
    assert_eq!(rotated.key.id, b.key.id);
    assert_eq!(rotated.key.hint, "sk-proj...9999");
    assert!(rotated.key.rotated_at.is_some());
    let opened = app.keyring().reveal(&rotated.key).await.unwrap();
    assert_eq!(opened.expose(), "sk-proj-ZZZZzzzzYYYYyyyyXXXX9999");

    // Disabled keys stay listed with their hint.
    keys.set_enabled(p.owner(), &a.key.id, false).await.unwrap();
    let disabled = keys.get(p.owner(), &a.key.id).await.unwrap();
    assert!(!disabled.enabled && disabled.hint == "sk-proj...1111");

    // Delete: gone from lists, ciphertext wiped, ranks close up.
    keys.delete(p.owner(), &a.key.id).await.unwrap();
    let left = keys.list(p.owner(), &family).await.unwrap();
    assert_eq!(left.len(), 2);
    assert!(matches!(
        keys.get(p.owner(), &a.key.id).await,
        Err(KeyError::NotFound)
    ));
    assert_eq!(
        roles(&left),
        vec![
            ("sk-proj...3333".into(), Role::Primary, None),
            ("sk-proj...9999".into(), Role::Fallback, Some(1)),
        ]
    );
    let ciphertext: Option<String> =
        sqlx::query_scalar("SELECT secret_ciphertext FROM provider_keys WHERE id = $1")
            .bind(&a.key.id)
            .fetch_one(raw(t).await.pool())
            .await
            .unwrap();
    assert!(ciphertext.is_none());

    // Every change is in the activity log, by hint, never the secret.
    let events = app
        .db
        .events(
            &p.owner_membership.org.id,
            &EventFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = events
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .filter(|action| action.starts_with("key."))
        .collect();
    assert_eq!(
        actions,
        [
            "key.created",
            "key.created",
            "key.created",
            "key.role_changed",
            "key.rotated",
            "key.disabled",
            "key.deleted"
        ]
    );
    assert!(events.iter().all(|e| e.actor_label == "owner@example.com"));
    assert_eq!(events.last().unwrap().action, "member.added");
    let dump = t.dump().await;
    for plain in [KEY_A, KEY_B, KEY_C, "sk-proj-ZZZZzzzzYYYYyyyyXXXX9999"] {
        assert!(!dump.contains(plain), "plaintext in the database");
    }
}

async fn members_tokens_and_personal_keys(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let org_key = keys
        .create(
            p.owner(),
            draft("anthropic", "sk-ant-api03-orgkey0001", RoleChange::Primary),
        )
        .await
        .unwrap();

    // Members see org keys, change none of them.
    assert_eq!(
        keys.list(p.member(), &KeyFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        keys.create(
            p.member(),
            draft("anthropic", "sk-ant-api03-member001", RoleChange::None)
        )
        .await,
        Err(KeyError::Forbidden(_))
    ));
    for attempt in [
        keys.set_enabled(p.member(), &org_key.key.id, false)
            .await
            .err(),
        keys.delete(p.member(), &org_key.key.id).await.err(),
        keys.set_role(p.member(), &org_key.key.id, RoleChange::None)
            .await
            .err(),
    ] {
        assert!(
            matches!(attempt, Some(KeyError::Forbidden(_))),
            "{attempt:?}"
        );
    }

    // Their personal keys are theirs alone: the admin neither sees nor touches them.
    let mut personal = draft("anthropic", "sk-ant-api03-member001", RoleChange::Primary);
    personal.scope = Scope::Personal;
    let mine = keys.create(p.member(), personal).await.unwrap();
    assert_eq!(
        mine.key.role,
        Role::Primary,
        "personal keys have their own primary"
    );
    assert_eq!(
        keys.list(p.member(), &KeyFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        keys.list(p.owner(), &KeyFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        keys.get(p.owner(), &mine.key.id).await,
        Err(KeyError::NotFound)
    ));
    assert!(matches!(
        keys.delete(p.owner(), &mine.key.id).await,
        Err(KeyError::NotFound)
    ));
    keys.set_enabled(p.member(), &mine.key.id, false)
        .await
        .unwrap();

    // When the org turns personal keys off, members cannot add more.
    app.db
        .set_org_policy(&p.owner_membership.org.id, false, true)
        .await
        .unwrap();
    let strict = Membership {
        org: app.db.org_by_slug("acme").await.unwrap().unwrap(),
        ..p.member_membership.clone()
    };
    let mut another = draft("openai", KEY_A, RoleChange::None);
    another.scope = Scope::Personal;
    assert!(matches!(
        keys.create(
            KeyActor::Member {
                user: &p.member,
                membership: &strict
            },
            another
        )
        .await,
        Err(KeyError::Forbidden(message)) if message.contains("does not allow personal keys")
    ));

    // Tokens: keys:read lists org keys only; keys:write adds org keys, never personal ones.
    let org = &p.owner_membership.org;
    let token = |scopes: &'static [TokenScope]| {
        let db = app.db.clone();
        let org = org.clone();
        async move {
            let request = TokenRequest {
                name: "t",
                scopes,
                lifetime_days: None,
            };
            let created = tokens::Tokens(&db)
                .create_in(&org, None, request)
                .await
                .unwrap();
            tokens::Tokens(&db)
                .authenticate(created.secret.expose())
                .await
                .unwrap()
                .unwrap()
        }
    };
    let reader = token(&[TokenScope::KeysRead]).await;
    let writer = token(&[TokenScope::KeysWrite]).await;
    assert_eq!(
        keys.list(KeyActor::Token(&reader), &KeyFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        keys.create(
            KeyActor::Token(&reader),
            draft("openai", KEY_A, RoleChange::None)
        )
        .await,
        Err(KeyError::Forbidden(_))
    ));
    let by_token = keys
        .create(
            KeyActor::Token(&writer),
            draft("openai", KEY_A, RoleChange::None),
        )
        .await
        .unwrap();
    assert_eq!(by_token.key.created_by, None);
    let mut personal_by_token = draft("openai", KEY_B, RoleChange::None);
    personal_by_token.scope = Scope::Personal;
    assert!(keys
        .create(KeyActor::Token(&writer), personal_by_token)
        .await
        .is_err());
    let events = app
        .db
        .events(
            &org.id,
            &EventFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        events[0].actor_label.starts_with("API token t (kh_"),
        "{:?}",
        events[0]
    );
}

fn stored_options() -> serde_json::Map<String, serde_json::Value> {
    let mut options = serde_json::Map::new();
    options.insert("project".into(), serde_json::json!("proj"));
    options.insert("location".into(), serde_json::json!("europe-west4"));
    options
}

async fn bad_input_is_refused_at_its_field_and_duplicates_are_named(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let mut named = draft("openai", KEY_A, RoleChange::Primary);
    named.nickname = Some("Production OpenAI".into());
    keys.create(p.owner(), named).await.unwrap();

    let field_of = |result: Result<keyhub::keys::Saved, KeyError>| match result {
        Err(KeyError::Invalid(problems)) => {
            (problems.first().field, problems.first().message.clone())
        }
        other => panic!("expected a field problem, got {other:?}"),
    };
    let (field, message) = field_of(
        keys.create(p.owner(), draft("openai", KEY_A, RoleChange::None))
            .await,
    );
    assert_eq!(field, "api_key");
    assert!(
        message.contains("'Production OpenAI' (sk-proj...1111)"),
        "{message}"
    );
    assert_eq!(
        field_of(
            keys.create(
                p.owner(),
                draft("openai", "sk-proj...1111", RoleChange::None)
            )
            .await
        )
        .0,
        "api_key"
    );
    assert_eq!(
        field_of(
            keys.create(p.owner(), draft("nope", KEY_B, RoleChange::None))
                .await
        )
        .0,
        "provider"
    );
    let mut long_name = draft("openai", KEY_B, RoleChange::None);
    long_name.nickname = Some("n".repeat(81));
    assert_eq!(
        field_of(keys.create(p.owner(), long_name).await).0,
        "nickname"
    );
    let mut metadata = draft("openai", KEY_B, RoleChange::None);
    metadata.api_base = Some("http://169.254.169.254/v1".into());
    assert_eq!(
        field_of(keys.create(p.owner(), metadata).await).0,
        "api_base"
    );
    // Every problem at once, in the form's order, so the form shows them all in one answer.
    let mut everything = draft("google-vertex", "not a key", RoleChange::None);
    everything.nickname = Some("n".repeat(81));
    everything.api_base = Some("ftp://llm.example.com".into());
    everything.options = serde_json::Map::new();
    match keys.create(p.owner(), everything).await {
        Err(KeyError::Invalid(problems)) => {
            let fields: Vec<&str> = problems.iter().map(|problem| problem.field).collect();
            assert_eq!(fields, ["api_key", "nickname", "api_base", "options"]);
        }
        other => panic!("expected every problem, got {other:?}"),
    }
    assert_eq!(
        keys.list(p.owner(), &KeyFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );

    // A prefix that does not match is saved with a warning.
    let odd = keys
        .create(
            p.owner(),
            draft("openai", "sk-ant-api03-looksanthropic", RoleChange::None),
        )
        .await
        .unwrap();
    assert!(odd.warning.unwrap().contains("Anthropic"));

    // A Vertex service-account key file is pasted whole, on several lines, checked by the token
    // it earns, and shown by its account.
    let mut vertex = draft(
        "google-vertex",
        &common::test_service_account("kh@proj.iam.gserviceaccount.com"),
        RoleChange::None,
    );
    vertex.options = stored_options();
    let stored = keys.create(p.owner(), vertex).await.unwrap();
    assert_eq!(stored.key.hint, "kh@proj.iam.gserviceaccount.com ...9fQ1");
    assert_eq!(stored.key.status, keyhub::domain::keys::KeyStatus::Valid);
    let mut broken = draft(
        "google-vertex",
        "{\"type\": \"service_account\"}",
        RoleChange::None,
    );
    broken.options = stored_options();
    assert_eq!(field_of(keys.create(p.owner(), broken).await).0, "api_key");

    // Editing keeps the family rules.
    let edited = keys
        .update(
            p.owner(),
            &odd.key.id,
            KeyEdit {
                nickname: Some(Some("  Spare  ".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.nickname.as_deref(), Some("Spare"));
}

async fn concurrent_make_primary_leaves_exactly_one(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let mut ids = Vec::new();
    for key in [KEY_A, KEY_B, KEY_C] {
        ids.push(
            keys.create(p.owner(), draft("openai", key, RoleChange::None))
                .await
                .unwrap()
                .key
                .id,
        );
    }
    for _ in 0..3 {
        let attempts: Vec<_> = ids
            .iter()
            .map(|id| {
                let keys = keys.clone();
                let (owner, membership, id) =
                    (p.owner.clone(), p.owner_membership.clone(), id.clone());
                tokio::spawn(async move {
                    let actor = KeyActor::Member {
                        user: &owner,
                        membership: &membership,
                    };
                    keys.set_role(actor, &id, RoleChange::Primary).await
                })
            })
            .collect();
        for attempt in attempts {
            attempt.await.unwrap().unwrap();
        }
        let listed = keys.list(p.owner(), &KeyFilter::default()).await.unwrap();
        assert_eq!(listed.iter().filter(|k| k.role == Role::Primary).count(), 1);
        let mut ranks: Vec<_> = listed.iter().filter_map(|k| k.fallback_rank).collect();
        ranks.sort();
        assert_eq!(ranks, vec![1, 2]);
    }
}

/// A family with more fallbacks than one statement writes (found slow by scripts/stress.sh on
/// PostgreSQL: every role change rewrote every fallback, one statement each, while holding the
/// org's lock): a new primary moves every fallback down one rank, contiguous past the statement
/// boundary; moving the last fallback to the end again writes nothing.
async fn a_large_family_is_rearranged_whole_and_only_changed_keys_are_written(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let mut ids = Vec::new();
    for n in 0..130 {
        let role = if n == 0 {
            RoleChange::Primary
        } else {
            RoleChange::Fallback { rank: None }
        };
        let secret = format!("sk-proj-LARGEfamily{n:04}xxxxxxxx");
        ids.push(
            keys.create(p.owner(), draft("openai", &secret, role))
                .await
                .unwrap()
                .key
                .id,
        );
    }
    let newest = ids.last().unwrap().clone();
    keys.set_role(p.owner(), &newest, RoleChange::Primary)
        .await
        .unwrap();
    let listed = keys.list(p.owner(), &KeyFilter::default()).await.unwrap();
    let rank_of = |id: &str| listed.iter().find(|k| k.id == id).unwrap().fallback_rank;
    assert_eq!(listed.iter().filter(|k| k.role == Role::Primary).count(), 1);
    assert_eq!(
        rank_of(&ids[0]),
        Some(1),
        "the old primary is the first fallback"
    );
    for (n, id) in ids.iter().enumerate().take(129).skip(1) {
        assert_eq!(rank_of(id), Some(n as i64 + 1));
    }
    let last = ids[128].clone();
    let before: Vec<_> = listed
        .iter()
        .map(|k| (k.id.clone(), k.updated_at))
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    keys.set_role(p.owner(), &last, RoleChange::Fallback { rank: None })
        .await
        .unwrap();
    let after = keys.list(p.owner(), &KeyFilter::default()).await.unwrap();
    for (id, updated_at) in before {
        let now = after.iter().find(|k| k.id == id).unwrap().updated_at;
        assert_eq!(
            now, updated_at,
            "{id} was written though nothing about it changed"
        );
    }
}

async fn a_rotation_that_fails_halfway_keeps_the_old_key(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let saved = keys
        .create(p.owner(), draft("openai", KEY_A, RoleChange::Primary))
        .await
        .unwrap();
    // The activity write is the last step of the rotation's transaction: make it fail.
    let admin = raw(t).await;
    sqlx::query("ALTER TABLE activity RENAME TO activity_gone")
        .execute(admin.pool())
        .await
        .unwrap();
    let failed = keys.rotate(p.owner(), &saved.key.id, secret(KEY_B)).await;
    assert!(matches!(failed, Err(KeyError::Store(_))), "{failed:?}");
    sqlx::query("ALTER TABLE activity_gone RENAME TO activity")
        .execute(admin.pool())
        .await
        .unwrap();
    let kept = keys.get(p.owner(), &saved.key.id).await.unwrap();
    assert_eq!(kept.hint, "sk-proj...1111");
    assert!(kept.rotated_at.is_none());
    let opened = app.keyring().reveal(&kept).await.unwrap();
    assert_eq!(opened.expose(), KEY_A);
}

async fn the_activity_log_filters_and_pages(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    for (provider, key) in [
        ("openai", KEY_A),
        ("openai", KEY_B),
        ("anthropic", "sk-ant-api03-activity01"),
    ] {
        let saved = keys
            .create(p.owner(), draft(provider, key, RoleChange::None))
            .await
            .unwrap();
        keys.set_enabled(p.owner(), &saved.key.id, false)
            .await
            .unwrap();
    }
    let org = &p.owner_membership.org.id;
    let page = |provider: Option<&str>, action: Option<&str>, limit, offset| EventFilter {
        provider: provider.map(str::to_owned),
        actor: Some("owner@example.com".into()),
        action: action.map(str::to_owned),
        limit,
        offset,
    };
    let db = &app.db;
    assert_eq!(
        db.events(org, &page(Some("openai"), None, 10, 0))
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        db.events(org, &page(None, Some("key.disabled"), 10, 0))
            .await
            .unwrap()
            .len(),
        3
    );
    let first = db.events(org, &page(None, None, 4, 0)).await.unwrap();
    let second = db.events(org, &page(None, None, 4, 4)).await.unwrap();
    assert_eq!(
        (first.len(), second.len()),
        (4, 3),
        "6 key events and the member added"
    );
    assert!(first[0].created_at >= second[0].created_at, "newest first");
    assert!(first.iter().all(|e| !second.contains(e)));
    let (actors, actions) = db.event_facets(org).await.unwrap();
    assert_eq!(actors, vec!["owner@example.com".to_owned()]);
    assert!(
        actions.contains(&"key.created".to_owned()) && actions.contains(&"member.added".to_owned())
    );
}

/// The provider page's Rotate and Edit forms hold the same rules as the API: a rotation is
/// validated, a move to another base URL needs the key again (the error at the `api_key` field),
/// and a key that holds no secret (a local Ollama) moves without one.
async fn the_rotate_and_edit_forms_validate_and_ask_for_the_key(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let keys = app.state.keys();
    let saved = keys
        .create(p.owner(), draft("openai", KEY_A, RoleChange::Primary))
        .await
        .unwrap();
    let id = saved.key.id.as_str();
    let elsewhere = format!("{}/elsewhere", app.provider_base);
    let refused = |response: reqwest::Response| async move {
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 422, "{body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            error["Invalid"]["problems"][0]["field"], "api_key",
            "{body}"
        );
        error["Invalid"]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let message = refused(
        app.post_form(
            "/api/keys/rotate",
            &[("id", id), ("api_key", "sk-proj-invalid-FORM-0009")],
        )
        .await,
    )
    .await;
    assert!(message.starts_with("Key validation failed"), "{message}");
    let message = refused(
        app.post_form(
            "/api/keys/edit",
            &[("id", id), ("nickname", "Moved"), ("api_base", &elsewhere)],
        )
        .await,
    )
    .await;
    assert!(message.contains("needs the key itself again"), "{message}");
    let kept = keys.get(p.owner(), id).await.unwrap();
    assert_eq!(
        (
            kept.hint.as_str(),
            kept.api_base.as_deref(),
            kept.nickname.as_deref()
        ),
        ("sk-proj...1111", None, None)
    );
    assert_eq!(app.keyring().reveal(&kept).await.unwrap().expose(), KEY_A);

    let moved = app
        .post_form(
            "/api/keys/edit",
            &[
                ("id", id),
                ("nickname", "Moved"),
                ("api_base", &elsewhere),
                ("api_key", KEY_A),
            ],
        )
        .await;
    assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap());
    let renamed = app
        .post_form(
            "/api/keys/edit",
            &[
                ("id", id),
                ("nickname", "Renamed"),
                ("api_base", &elsewhere),
                ("api_key", ""),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 200, "an empty key field is no key");
    let now = keys.get(p.owner(), id).await.unwrap();
    assert_eq!(
        (now.api_base.as_deref(), now.nickname.as_deref()),
        (Some(elsewhere.as_str()), Some("Renamed"))
    );
    assert_eq!(app.keyring().reveal(&now).await.unwrap().expose(), KEY_A);
    let page = app.get("/hub/openai").await.text().await.unwrap();
    assert!(
        page.contains(&format!("href=\"/hub/openai?edit={id}#key-{id}\""))
            && !page.contains("action=\"/api/keys/edit\""),
        "a page of keys links to each key's Edit form instead of carrying it: {page}"
    );
    let page = app
        .get(&format!("/hub/openai?edit={id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("API key again for Renamed (sk-proj...1111)")
            && page.contains("Needed only when you change the base URL:")
            && page.matches("action=\"/api/keys/edit\"").count() == 1,
        "the Edit form asks for the key: {page}"
    );

    // A local Ollama without a key: nothing to enter again.
    let mut local = draft("ollama", "", RoleChange::Primary);
    local.api_base = Some(format!("{}/ollama", app.provider_base));
    let local = keys.create(p.owner(), local).await.unwrap().key;
    assert_eq!(local.hint, "no key");
    let moved = app
        .post_form(
            "/api/keys/edit",
            &[
                ("id", &local.id),
                ("nickname", "Local"),
                ("api_base", &format!("{}/ollama/v0", app.provider_base)),
            ],
        )
        .await;
    assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap());
    let local = keys.get(p.owner(), &local.id).await.unwrap();
    assert!(app.keyring().reveal(&local).await.unwrap().is_empty());
}

on_both_backends!(
    the_activity_log_filters_and_pages,
    primary_fallbacks_rotation_and_delete,
    members_tokens_and_personal_keys,
    bad_input_is_refused_at_its_field_and_duplicates_are_named,
    concurrent_make_primary_leaves_exactly_one,
    a_large_family_is_rearranged_whole_and_only_changed_keys_are_written,
    a_rotation_that_fails_halfway_keeps_the_old_key,
    the_rotate_and_edit_forms_validate_and_ask_for_the_key,
);

/// The hub's "platform key" badge and resolution follow one rule: the platform key serves when the
/// org has no enabled key of the family, even if it holds disabled ones.
async fn the_hub_offers_the_platform_key_exactly_when_resolution_serves_it(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("OPENAI_API_KEY", "sk-platform-hub-rule-0001")]).await;
    let p = people(&app).await;
    let policy = app
        .post_form("/api/orgs/policy/set", &[("allow_platform_keys", "on")])
        .await;
    assert!(policy.status().is_success() || policy.status().is_redirection());
    let draft = common::key_draft("openai", "sk-proj-hubrule0001", RoleChange::Primary);
    let key = app.state.keys().create(p.owner(), draft).await.unwrap().key;
    let openai = keyhub::domain::consumers::Target::parse("openai").unwrap();
    let hub_and_resolution = || async {
        let hub: serde_json::Value = app
            .post_form("/api/keys/hub", &[])
            .await
            .json()
            .await
            .unwrap();
        let card = hub["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|card| card["provider"] == "openai")
            .unwrap()
            .clone();
        let resolution = app
            .state
            .consumers()
            .resolve(p.owner(), &openai, None, None)
            .await
            .unwrap();
        (card, resolution.platform)
    };

    let (card, platform) = hub_and_resolution().await;
    assert_eq!(
        (card["platform_key"].as_bool(), platform),
        (Some(false), false)
    );

    app.state
        .keys()
        .set_enabled(p.owner(), &key.id, false)
        .await
        .unwrap();
    let (card, platform) = hub_and_resolution().await;
    assert_eq!(card["key_count"], 1, "the disabled key is still listed");
    assert_eq!(
        (card["platform_key"].as_bool(), platform),
        (Some(true), true),
        "only a disabled key: the platform key serves, and the hub says so"
    );
}

on_both_backends!(the_hub_offers_the_platform_key_exactly_when_resolution_serves_it);

/// An app with one OpenAI key, and the owner's signed-in browser.
async fn owner_browser_with_a_key(
    t: &TestDb,
) -> (TestApp, keyhub::store::keys::KeyRecord, reqwest::Client) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let key = app
        .state
        .keys()
        .create(p.owner(), draft("openai", KEY_A, RoleChange::Primary))
        .await
        .unwrap()
        .key;
    let browser = app
        .sign_in(common::OWNER_EMAIL, common::OWNER_PASSWORD)
        .await;
    (app, key, browser)
}

/// A key form comes back to the provider page it names, confirmed; `page` names a provider of
/// the catalog or nothing, so it can never send the browser elsewhere.
async fn a_change_comes_back_only_to_a_provider_page(t: &TestDb) {
    let (app, key, browser) = owner_browser_with_a_key(t).await;
    let switch = |page: &str| {
        browser
            .post(app.url("/api/keys/enable"))
            .header("origin", app.origin())
            .header("accept", "text/html")
            .header("referer", app.url("/hub"))
            .form(&[
                ("id", key.id.as_str()),
                ("enabled", "false"),
                ("page", page),
            ])
            .send()
    };
    let location = |response: reqwest::Response| {
        assert!(response.status().is_redirection(), "{}", response.status());
        response.headers()["location"].to_str().unwrap().to_owned()
    };
    let confirmed = location(switch("openai").await.unwrap());
    assert_eq!(
        confirmed,
        format!("/hub/openai?done=disabled&key={}", key.id)
    );
    for elsewhere in [
        "//evil.example",
        "https://evil.example/",
        "../settings",
        "openai/../../x",
    ] {
        let back = location(switch(elsewhere).await.unwrap());
        assert!(back.starts_with(&app.url("/hub")), "{elsewhere} → {back}");
    }
}

on_both_backends!(a_change_comes_back_only_to_a_provider_page);

/// Key rows and hub cards are drawn once and copied while what they show stays the same: a page
/// drawn again after a change shows the change, and a member never gets rows drawn for an owner.
async fn pages_drawn_again_show_each_change_and_only_what_the_viewer_may_do(t: &TestDb) {
    let (app, key, owner) = owner_browser_with_a_key(t).await;
    let member = app
        .sign_in("member@example.com", common::OWNER_PASSWORD)
        .await;
    let page = |browser: &reqwest::Client, path: &str| {
        let request = browser.get(app.url(path)).send();
        async move { request.await.unwrap().text().await.unwrap() }
    };
    let send = |path: &str, form: &[(&str, &str)]| {
        owner
            .post(app.url(path))
            .header("origin", app.origin())
            .header("accept", "text/html")
            .form(form)
            .send()
    };
    const ROLE_FORM: &str = "action=\"/api/keys/role\"";
    for _ in 0..2 {
        assert!(page(&owner, "/hub/openai").await.contains(ROLE_FORM));
        assert!(page(&owner, "/hub").await.contains(&key.hint));
    }
    let seen_by_member = page(&member, "/hub/openai").await;
    assert!(
        seen_by_member.contains(&key.hint) && !seen_by_member.contains(ROLE_FORM),
        "a member sees the org's key, and none of the owner's controls: {seen_by_member}"
    );
    let member_hub = page(&member, "/hub").await;
    assert!(
        member_hub.contains(&key.hint) && !member_hub.contains("action=\"/api/keys/enable\""),
        "a member's hub has no switch for the org's key: {member_hub}"
    );

    let id = key.id.as_str();
    send("/api/keys/enable", &[("id", id), ("enabled", "false")])
        .await
        .unwrap();
    send(
        "/api/keys/edit",
        &[("id", id), ("nickname", "Renamed"), ("api_key", "")],
    )
    .await
    .unwrap();
    let rows = page(&owner, "/hub/openai").await;
    assert!(
        rows.contains(">Renamed</h2>") && rows.contains("badge badge-off"),
        "the page shows the new name and the key switched off: {rows}"
    );
    let cards = page(&owner, "/hub").await;
    assert!(
        cards.contains("badge badge-off"),
        "the hub's card shows the key switched off: {cards}"
    );
}

on_both_backends!(pages_drawn_again_show_each_change_and_only_what_the_viewer_may_do);

/// A form sent without JavaScript that is refused comes back (through leptos' redirect, which
/// carries the error in the URL) with what was entered, so nothing has to be typed again; the key
/// itself never travels back, in any encoding.
async fn a_refused_plain_form_comes_back_filled_in_but_never_with_the_key(t: &TestDb) {
    use base64::{engine::general_purpose::URL_SAFE, Engine};
    const CANARY: &str = "sk-proj-CANARYrefusedFORMkeyZZ9911";
    let (app, key, browser) = owner_browser_with_a_key(t).await;
    let too_long = "n".repeat(81);
    let refused = |path: &'static str, form: Vec<(&'static str, String)>| {
        let request = browser
            .post(app.url(path))
            .header("origin", app.origin())
            .header("accept", "text/html")
            .header("referer", app.url("/hub/add?provider=openai"))
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            assert!(response.status().is_redirection(), "{path}");
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(!location.contains(CANARY), "{location}");
            let url = reqwest::Url::parse(&location).unwrap();
            let error = url
                .query_pairs()
                .find(|(name, _)| name == "__err")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_else(|| panic!("{path}: no error in {location}"));
            String::from_utf8(URL_SAFE.decode(error).unwrap()).unwrap()
        }
    };
    let added = refused(
        "/api/keys/add",
        vec![
            ("provider", "openai".into()),
            ("api_key", CANARY.into()),
            ("nickname", too_long.clone()),
            ("role", "fallback".into()),
            ("scope", "org".into()),
            (
                "api_base",
                "https://user:CANARYpass@llm.example.com/v1?x=1".into(),
            ),
        ],
    )
    .await;
    assert!(!added.contains("CANARY"), "{added}");
    assert!(
        added.contains(&format!("[\"nickname\",\"{too_long}\"]")),
        "the nickname comes back: {added}"
    );
    // Where a key is sent and what it may do never come back from a URL (anyone can forge one).
    assert!(
        !added.contains("[\"api_base\",") && !added.contains("[\"role\","),
        "{added}"
    );
    assert!(added.contains("\"field\":\"nickname\"") && added.contains("\"field\":\"api_base\""));

    let edited = refused(
        "/api/keys/edit",
        vec![
            ("id", key.id.clone()),
            ("nickname", too_long.clone()),
            ("api_key", CANARY.into()),
        ],
    )
    .await;
    assert!(!edited.contains("CANARY"), "{edited}");
    assert!(
        edited.contains(&format!("[\"id\",\"{}\"]", key.id)),
        "{edited}"
    );
}

on_both_backends!(a_refused_plain_form_comes_back_filled_in_but_never_with_the_key);
