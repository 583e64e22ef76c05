//! Experts, assistants and resolution on both backends: every step of the order through the
//! service and the resolve endpoint (same answers), the audited reveal, the pickers' keys, the
//! rules for choosing a key, what key changes do to consumers, and the query plan.

use crate::common;

use std::collections::BTreeMap;

use crate::common::{api_token, people, secret, TestApp, TestDb};
use keyhub::consumers::ConsumerService;
use keyhub::consumers::{Consumer, ConsumerPatch, SlotDraft};
use keyhub::domain::accounts::TokenScope;
use keyhub::domain::consumers::{ConsumerKind, Picker, PickerKey, Slot, Target};
use keyhub::domain::keys::{KeyStatus, Scope};
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::{KeyActor, KeyDraft, KeyError};
use keyhub::resolution::Source;
use keyhub::store::keys::{KeyHealth, FAMILY_KEYS_SQL};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PLATFORM_ANTHROPIC: &str = "sk-ant-api03-PLATFORMplatformPLATFORM0000";

fn draft(provider: &str, key: &str, nickname: &str, role: RoleChange, scope: Scope) -> KeyDraft {
    KeyDraft {
        provider: provider.to_owned(),
        api_key: secret(key),
        nickname: Some(nickname.to_owned()),
        api_base: None,
        options: Default::default(),
        role,
        enabled: true,
        scope,
        allow_unverified: false,
    }
}

async fn add(app: &TestApp, actor: KeyActor<'_>, d: KeyDraft) -> String {
    app.state.keys().create(actor, d).await.unwrap().key.id
}

fn slot(provider: &str, key_id: Option<&str>) -> Option<SlotDraft> {
    Some(SlotDraft {
        provider: provider.to_owned(),
        model: Some("model-1".to_owned()),
        voice: None,
        key_id: key_id.map(str::to_owned),
    })
}

fn expert(name: &str, slots: &[(Slot, Option<SlotDraft>)]) -> ConsumerPatch {
    ConsumerPatch {
        name: Some(name.to_owned()),
        slots: slots.iter().cloned().collect::<BTreeMap<_, _>>(),
        ..ConsumerPatch::default()
    }
}

async fn resolve_api(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value, String) {
    // A service of its own: no browser cookies.
    let response = common::new_client()
        .post(app.url("/api/v1/orgs/acme/resolve"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, response.json().await.unwrap(), cache)
}

async fn rest(app: &TestApp, health: KeyHealth, key_id: &str) {
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let mut change = app.db.begin_org_change(&org.id).await.unwrap();
    change.set_health(key_id, &health).await.unwrap();
    change.commit().await.unwrap();
}

fn rate_limited_for(minutes: i64) -> KeyHealth {
    let now = keyhub::store::now_ms();
    KeyHealth {
        status: KeyStatus::RateLimited,
        checked_at: now,
        success: false,
        cooldown_until: Some(now + minutes * 60_000),
        error: Some((
            "rate_limited".into(),
            Some(429),
            "Too many requests.".into(),
        )),
    }
}

/// Resolves through the service and the API, as the same token; both must agree. Returns (source,
/// key id, explanation).
async fn both_ways(
    app: &TestApp,
    token: &str,
    target: &str,
    consumer: Option<&Consumer>,
    modality: Slot,
) -> (String, Option<String>, String) {
    // The token as the service sees it now (the org's policy changes in the tests).
    let caller = keyhub::accounts::tokens::Tokens(&app.db)
        .authenticate(token)
        .await
        .unwrap()
        .unwrap();
    let actor = KeyActor::Token(&caller);
    let target_parsed = Target::parse(target).unwrap();
    let resolution = app
        .state
        .consumers()
        .resolve(
            actor,
            &target_parsed,
            consumer.map(|c| (c.record.kind, c.record.id.as_str())),
            Some(modality),
        )
        .await
        .unwrap();
    let mut body = json!({ "provider": target, "modality": modality.as_str() });
    if let Some(c) = consumer {
        body["consumer"] = json!({ "type": c.record.kind.as_str(), "id": c.record.id });
    }
    let (status, answer, cache) = resolve_api(app, token, body).await;
    assert_eq!(cache, "no-store");
    let source = match resolution.source() {
        Some(source) => serde_json::to_value(source)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned(),
        None => "no_key".to_owned(),
    };
    match resolution.source() {
        Some(_) => {
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert_eq!(answer["source"], source.as_str());
            assert_eq!(
                answer["key_id"].as_str(),
                resolution.key().map(|k| k.id.as_str())
            );
            assert_eq!(answer["explanation"], resolution.explanation.as_str());
            assert!(answer.get("api_key").is_none(), "no secret without reveal");
        }
        None => {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert_eq!(answer["error"]["code"], "no_key");
            assert_eq!(answer["error"]["message"], resolution.explanation.as_str());
        }
    }
    (
        source,
        resolution.key().map(|k| k.id.clone()),
        resolution.explanation,
    )
}

async fn every_step_through_the_service_and_the_api(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("ANTHROPIC_API_KEY", PLATFORM_ANTHROPIC)]).await;
    let p = people(&app).await;
    let read = api_token(&app, &[TokenScope::KeysRead]).await;
    let (owner, member) = (p.owner(), p.member());
    let primary = add(
        &app,
        owner,
        draft(
            "openai",
            "sk-proj-PRIMARYprimary0001",
            "Main",
            RoleChange::Primary,
            Scope::Org,
        ),
    )
    .await;
    let backup = add(
        &app,
        owner,
        draft(
            "openai",
            "sk-proj-BACKUPbackup00002",
            "Backup",
            RoleChange::Fallback { rank: None },
            Scope::Org,
        ),
    )
    .await;
    let spare = add(
        &app,
        owner,
        draft(
            "openai",
            "sk-proj-SPAREspare000003",
            "Spare",
            RoleChange::None,
            Scope::Org,
        ),
    )
    .await;
    let consumers = &app.state.consumers();

    // 1. The explicit choice; then it is rate-limited, disabled, deleted: resolution moves on.
    let chosen = consumers
        .create(
            owner,
            ConsumerKind::Expert,
            expert("Support", &[(Slot::Chat, slot("openai", Some(&spare)))]),
        )
        .await
        .unwrap();
    macro_rules! ask {
        ($consumer:expr) => {
            both_ways(&app, &read, "openai", $consumer, Slot::Chat).await
        };
    }
    assert_eq!(ask!(Some(&chosen)).0, "selected");
    assert_eq!(
        ask!(None).1.as_deref(),
        Some(primary.as_str()),
        "without a consumer: the primary"
    );
    rest(&app, rate_limited_for(10), &spare).await;
    let (source, key, why) = ask!(Some(&chosen));
    assert_eq!(
        (source.as_str(), key.as_deref()),
        ("org_primary", Some(primary.as_str()))
    );
    assert!(
        why.contains("the chosen key 'Spare'") && why.contains("is rate-limited until"),
        "{why}"
    );
    rest(&app, rate_limited_for(-1), &spare).await;
    assert_eq!(ask!(Some(&chosen)).0, "selected", "the cooldown is over");
    app.state
        .keys()
        .set_enabled(owner, &spare, false)
        .await
        .unwrap();
    let (source, _, why) = ask!(Some(&chosen));
    assert_eq!(source, "org_primary");
    assert!(why.contains("is disabled"), "{why}");
    app.state.keys().delete(owner, &spare).await.unwrap();
    let (source, _, why) = ask!(Some(&chosen));
    assert_eq!(source, "org_primary");
    assert!(why.contains("the chosen key was deleted"), "{why}");

    // 3. Fallbacks by rank when the primary rests.
    rest(&app, rate_limited_for(10), &primary).await;
    let (source, key, why) = ask!(None);
    assert_eq!(
        (source.as_str(), key.as_deref()),
        ("fallback", Some(backup.as_str()))
    );
    assert!(
        why.starts_with("Fallback 1 'Backup'") && why.contains("primary 'Main'"),
        "{why}"
    );
    rest(&app, rate_limited_for(10), &backup).await;
    let (source, _, why) = ask!(None);
    assert_eq!(
        source, "no_key",
        "never the platform key while the org has its own"
    );
    assert!(why.starts_with("No usable OpenAI key"), "{why}");

    // 2. The owner's personal primary comes first for their own expert, when personal keys are
    // allowed, but only on the owner's behalf: the "Which key will be used?" panel shows it; an
    // API token (the org's, on nobody's behalf) resolves the org's keys and hears nothing of it.
    rest(&app, rate_limited_for(-1), &primary).await;
    let personal = add(
        &app,
        member,
        draft(
            "openai",
            "sk-proj-PERSONALmine00004",
            "Mine",
            RoleChange::Primary,
            Scope::Personal,
        ),
    )
    .await;
    let members_expert = consumers
        .create(
            member,
            ConsumerKind::Expert,
            expert("Drafts", &[(Slot::Chat, slot("openai", None))]),
        )
        .await
        .unwrap();
    let panel = |actor| {
        let members_expert = &members_expert;
        async move {
            let explained = consumers.explain(actor, members_expert).await.unwrap();
            let resolution = &explained[0].resolution;
            (resolution.source(), resolution.key().map(|k| k.id.clone()))
        }
    };
    assert_eq!(
        panel(member).await,
        (Some(Source::PersonalPrimary), Some(personal.clone()))
    );
    assert_eq!(
        panel(owner).await,
        (Some(Source::PersonalPrimary), Some(personal.clone())),
        "an admin's view of the member's expert resolves the same"
    );
    let (source, key, why) = ask!(Some(&members_expert));
    assert_eq!(
        (source.as_str(), key.as_deref()),
        ("org_primary", Some(primary.as_str()))
    );
    assert!(!why.contains("Mine") && !why.contains("0004"), "{why}");
    assert_eq!(
        ask!(Some(&chosen)).0,
        "org_primary",
        "the owner's expert: not the member's key"
    );
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();

    // 4. The platform key: only without an enabled key of the family, and only when allowed.
    assert_eq!(
        both_ways(&app, &read, "anthropic", None, Slot::Chat)
            .await
            .0,
        "platform"
    );
    let claude = add(
        &app,
        owner,
        draft(
            "anthropic",
            "sk-ant-api03-ORGorgORGorg0000005",
            "Claude",
            RoleChange::Primary,
            Scope::Org,
        ),
    )
    .await;
    assert_eq!(
        both_ways(&app, &read, "anthropic", None, Slot::Chat)
            .await
            .0,
        "org_primary"
    );
    rest(&app, rate_limited_for(5), &claude).await;
    assert_eq!(
        both_ways(&app, &read, "anthropic", None, Slot::Chat)
            .await
            .0,
        "no_key"
    );
    app.state
        .keys()
        .set_enabled(owner, &claude, false)
        .await
        .unwrap();
    assert_eq!(
        both_ways(&app, &read, "anthropic", None, Slot::Chat)
            .await
            .0,
        "platform"
    );
    app.db.set_org_policy(&org.id, true, false).await.unwrap();
    let (source, _, why) = both_ways(&app, &read, "anthropic", None, Slot::Chat).await;
    assert_eq!(source, "no_key");
    assert!(
        why.contains("does not allow platform keys") && why.contains("/hub/anthropic"),
        "{why}"
    );

    // 5. No key at all, with what to do.
    let (source, _, why) = both_ways(&app, &read, "stability", None, Slot::Image).await;
    assert_eq!(source, "no_key");
    assert!(
        why.contains("No Stability AI key") || why.contains("No Stability"),
        "{why}"
    );

    // A slot other than the model: the expert's voice output with its own choice.
    let voice = add(
        &app,
        owner,
        draft(
            "elevenlabs",
            "sk_VOICEvoiceVOICEvoice0006",
            "Voice",
            RoleChange::None,
            Scope::Org,
        ),
    )
    .await;
    let speaker = consumers
        .create(
            owner,
            ConsumerKind::Expert,
            expert(
                "Speaker",
                &[
                    (Slot::Chat, slot("openai", None)),
                    (Slot::Tts, slot("elevenlabs", Some(&voice))),
                ],
            ),
        )
        .await
        .unwrap();
    let (source, key, _) = both_ways(&app, &read, "elevenlabs", Some(&speaker), Slot::Tts).await;
    assert_eq!(
        (source.as_str(), key.as_deref()),
        ("selected", Some(voice.as_str()))
    );
    let (status, answer, _) = resolve_api(
        &app,
        &read,
        json!({ "provider": "openai", "consumer": { "type": "expert", "id": "nope" } }),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

async fn reveal_is_for_keys_use_tokens_and_audited(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let secret_text = "sk-proj-REVEALrevealREVEAL0007";
    add(
        &app,
        p.owner(),
        draft(
            "openai",
            secret_text,
            "Main",
            RoleChange::Primary,
            Scope::Org,
        ),
    )
    .await;
    let read = api_token(&app, &[TokenScope::KeysRead]).await;
    let (status, answer, _) =
        resolve_api(&app, &read, json!({ "provider": "openai", "reveal": true })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(!answer.to_string().contains(secret_text));
    let gateway = api_token(&app, &[TokenScope::Gateway]).await;
    let (status, _, _) = resolve_api(&app, &gateway, json!({ "provider": "openai" })).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a gateway token does not resolve"
    );

    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let before = app.events(&org.id).await.len();
    let usable = api_token(&app, &[TokenScope::KeysUse]).await;
    let (status, answer, cache) = resolve_api(
        &app,
        &usable,
        json!({ "provider": "openai", "reveal": true }),
    )
    .await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "no-store"));
    assert_eq!(answer["api_key"], secret_text);
    let (_, plain, _) = resolve_api(&app, &usable, json!({ "provider": "openai" })).await;
    assert!(plain.get("api_key").is_none());
    let events = app.events(&org.id).await;
    assert_eq!(
        events.len(),
        before + 1,
        "one reveal, one event; a plain resolve writes none"
    );
    let revealed = &events[0];
    assert_eq!(revealed.action, "key.revealed");
    assert!(
        revealed.actor_label.starts_with("API token test token"),
        "{revealed:?}"
    );
    assert!(!format!("{revealed:?}").contains(secret_text));
}

/// A personal key serves its owner only: API tokens (the org's, on nobody's behalf) never resolve,
/// reveal or use it and are told nothing about it, and only its owner chooses it for a slot, even
/// when an admin or a `keys:write` token edits the owner's own expert.
async fn personal_keys_serve_and_are_chosen_only_by_their_owner(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let (owner, member) = (p.owner(), p.member());
    let org_secret = "sk-proj-ORGorgORGorg000021";
    let personal_secret = "sk-proj-PERSONALsecret0022";
    let org_key = add(
        &app,
        owner,
        draft(
            "openai",
            org_secret,
            "Shared",
            RoleChange::Fallback { rank: None },
            Scope::Org,
        ),
    )
    .await;
    let personal = add(
        &app,
        member,
        draft(
            "openai",
            personal_secret,
            "Secret side project",
            RoleChange::Primary,
            Scope::Personal,
        ),
    )
    .await;
    let consumers = &app.state.consumers();
    let drafts = consumers
        .create(
            member,
            ConsumerKind::Expert,
            expert("Drafts", &[(Slot::Chat, slot("openai", None))]),
        )
        .await
        .unwrap();
    let chosen = consumers
        .create(
            member,
            ConsumerKind::Expert,
            expert("Chosen", &[(Slot::Chat, slot("openai", Some(&personal)))]),
        )
        .await
        .unwrap();
    assert_eq!(
        chosen.slot(Slot::Chat).unwrap().key_id.as_deref(),
        Some(personal.as_str()),
        "its owner chooses it"
    );
    // The editor's live panel: an admin choosing the member's personal key there chooses
    // nothing, and is told nothing of it; the member choosing it gets it.
    for (actor, its_owner) in [(owner, false), (member, true)] {
        let draft = SlotDraft {
            provider: "openai".into(),
            model: None,
            voice: None,
            key_id: Some(personal.clone()),
        };
        let previewed = consumers
            .preview(
                actor,
                ConsumerKind::Expert,
                Some(&drafts.record.id),
                vec![(Slot::Chat, draft)],
            )
            .await
            .unwrap();
        let source = previewed[0].resolution.source();
        if its_owner {
            assert_eq!(source, Some(Source::Selected));
            continue;
        }
        let told = format!("{:?} {source:?}", previewed[0].resolution.explanation);
        assert_ne!(source, Some(Source::Selected), "{told}");
        for word in ["Secret side project", "sk-proj...0022", personal_secret] {
            assert!(!told.contains(word), "told {word}: {told}");
        }
    }

    // Resolve, with and without reveal, for the member's experts: the org's key, never a word of
    // the personal one.
    let usable = api_token(&app, &[TokenScope::KeysUse]).await;
    let told_nothing = |answer: &Value| {
        let text = answer.to_string();
        for word in [
            personal_secret,
            personal.as_str(),
            "Secret side project",
            "sk-proj...0022",
        ] {
            assert!(!text.contains(word), "told {word}: {text}");
        }
    };
    for consumer in [&drafts, &chosen] {
        for reveal in [false, true] {
            let (status, answer, _) = resolve_api(
                &app,
                &usable,
                json!({ "provider": "openai", "reveal": reveal,
                    "consumer": { "type": "expert", "id": consumer.record.id } }),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert_eq!(answer["key_id"], org_key.as_str(), "{answer}");
            assert_eq!(answer["source"], "fallback");
            if reveal {
                assert_eq!(answer["api_key"], org_secret);
            }
            told_nothing(&answer);
        }
    }
    // Without the org's key: nothing serves a token, still no word of the personal key.
    app.state
        .keys()
        .set_enabled(owner, &org_key, false)
        .await
        .unwrap();
    let (status, answer, _) = resolve_api(
        &app,
        &usable,
        json!({ "provider": "openai", "reveal": true,
            "consumer": { "type": "expert", "id": chosen.record.id } }),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_key")),
        "{answer}"
    );
    told_nothing(&answer);
    // The gateway resolves the same way: a call for the member's expert does not spend their key.
    let gateway = api_token(&app, &[TokenScope::Gateway]).await;
    let sent = |key: &str| {
        app.provider_log
            .all()
            .iter()
            .filter(|seen| seen.key == key)
            .count()
    };
    let validated = sent(personal_secret);
    let response = common::new_client()
        .post(app.url("/gateway/acme/openai/chat/completions"))
        .bearer_auth(&gateway)
        .header("x-keyhub-consumer", format!("expert:{}", drafts.record.id))
        .json(&json!({ "model": "gpt-4o", "messages": [] }))
        .send()
        .await
        .unwrap();
    assert!(!response.status().is_success(), "{}", response.status());
    assert_eq!(
        sent(personal_secret),
        validated,
        "the personal key was sent nowhere"
    );
    app.state
        .keys()
        .set_enabled(owner, &org_key, true)
        .await
        .unwrap();

    // Only its owner chooses it: the admin and a keys:write token are refused at the field, and
    // the expert is left as it was.
    let refused = consumers
        .update(
            owner,
            ConsumerKind::Expert,
            &drafts.record.id,
            expert("Drafts", &[(Slot::Chat, slot("openai", Some(&personal)))]),
        )
        .await
        .unwrap_err();
    match refused {
        KeyError::Invalid(problems) => {
            let problem = problems.first();
            assert_eq!(problem.field, "chat_key");
            assert!(
                problem.message.contains("only by its owner"),
                "{}",
                problem.message
            );
        }
        other => panic!("{other:?}"),
    }
    let writer = api_token(&app, &[TokenScope::KeysWrite, TokenScope::KeysRead]).await;
    let response = common::new_client()
        .patch(app.url(&format!("/api/v1/experts/{}", drafts.record.id)))
        .bearer_auth(&writer)
        .json(&json!({ "slots": { "chat": { "provider": "openai", "model": "gpt-4o", "key_id": personal } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "chat_key", "{body}");
    let kept = consumers
        .get(member, ConsumerKind::Expert, &drafts.record.id)
        .await
        .unwrap();
    assert_eq!(kept.slot(Slot::Chat).unwrap().key_id, None);
    // A change of something else keeps the owner's own choice.
    let renamed = consumers
        .update(
            owner,
            ConsumerKind::Expert,
            &chosen.record.id,
            ConsumerPatch {
                name: Some("Renamed".into()),
                ..ConsumerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        renamed.slot(Slot::Chat).unwrap().key_id.as_deref(),
        Some(personal.as_str())
    );
}

/// The operator's platform keys serve through the gateway only: `resolve` says `source: platform`
/// and never hands the secret to a tenant, whatever its scopes.
async fn platform_keys_are_never_revealed(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("ANTHROPIC_API_KEY", PLATFORM_ANTHROPIC)]).await;
    people(&app).await;
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let before = app.events(&org.id).await.len();
    let usable = api_token(&app, &[TokenScope::KeysUse, TokenScope::KeysRead]).await;
    let (status, answer, cache) = resolve_api(
        &app,
        &usable,
        json!({ "provider": "anthropic", "reveal": true }),
    )
    .await;
    assert_eq!(
        (status, cache.as_str()),
        (StatusCode::OK, "no-store"),
        "{answer}"
    );
    assert_eq!(answer["source"], "platform");
    assert_eq!(answer["key_id"], Value::Null);
    assert!(answer.get("api_key").is_none(), "{answer}");
    assert!(
        answer["note"]
            .as_str()
            .unwrap()
            .contains("/gateway/acme/anthropic"),
        "{answer}"
    );
    assert!(!answer.to_string().contains(PLATFORM_ANTHROPIC));
    assert_eq!(
        app.events(&org.id).await.len(),
        before,
        "nothing was revealed"
    );
}

/// The keys the editor offers `client`, as its picker for `family` sees them.
async fn picker_of(app: &TestApp, client: &reqwest::Client, family: &str) -> Picker {
    let response = client
        .post(app.url("/api/consumers/editor"))
        .header("origin", app.origin())
        .form(&[("kind", "expert"), ("id", "new")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    let keys: Vec<PickerKey> = serde_json::from_value(view["keys"].clone()).unwrap();
    Picker::new(&keys, family)
}

async fn pickers_offer_only_usable_keys_of_the_family(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let (owner, member) = (p.owner(), p.member());
    let good = add(
        &app,
        owner,
        draft(
            "openai",
            "sk-proj-GOODgoodGOODgood0008",
            "Good",
            RoleChange::Primary,
            Scope::Org,
        ),
    )
    .await;
    let off = add(
        &app,
        owner,
        draft(
            "openai",
            "sk-proj-OFFoffOFFoffOFF0009",
            "Off",
            RoleChange::None,
            Scope::Org,
        ),
    )
    .await;
    app.state
        .keys()
        .set_enabled(owner, &off, false)
        .await
        .unwrap();
    let bad = add(
        &app,
        owner,
        draft(
            "openai",
            "sk-proj-BADbadBADbadBAD0010",
            "Bad",
            RoleChange::None,
            Scope::Org,
        ),
    )
    .await;
    rest(
        &app,
        KeyHealth {
            status: KeyStatus::Invalid,
            checked_at: 1,
            success: false,
            cooldown_until: None,
            error: None,
        },
        &bad,
    )
    .await;
    let voice = add(
        &app,
        owner,
        draft(
            "elevenlabs",
            "sk_VOICEvoiceVOICEvoice0011",
            "Voice",
            RoleChange::None,
            Scope::Org,
        ),
    )
    .await;
    let mine = add(
        &app,
        member,
        draft(
            "openai",
            "sk-proj-MEMBERmember000012",
            "Member's",
            RoleChange::None,
            Scope::Personal,
        ),
    )
    .await;

    let member_client = app
        .sign_in("member@example.com", common::OWNER_PASSWORD)
        .await;
    let for_member = picker_of(&app, &member_client, "openai").await;
    let ids = |keys: &[PickerKey]| keys.iter().map(|k| k.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&for_member.organization), [good]);
    assert_eq!(ids(&for_member.yours), [mine.as_str()]);
    assert_eq!(
        for_member.hidden_line().as_deref(),
        Some("2 keys hidden: 1 disabled, 1 failed validation")
    );
    let for_owner = picker_of(&app, &app.client, "openai").await;
    assert!(
        for_owner.yours.is_empty(),
        "another member's personal key never reaches the owner"
    );
    assert!(!for_owner.offers(&mine) && !for_owner.offers(&voice));

    // The service refuses what the picker would not offer.
    let consumers = &app.state.consumers();
    for (key, why) in [
        (&off, "disabled"),
        (&bad, "rejected"),
        (&voice, "OpenAI keys listed"),
        (&mine, "OpenAI keys listed"),
    ] {
        let refused = consumers
            .create(
                owner,
                ConsumerKind::Expert,
                expert("X", &[(Slot::Chat, slot("openai", Some(key)))]),
            )
            .await
            .unwrap_err();
        match refused {
            KeyError::Invalid(problems) => {
                let problem = problems.first();
                assert_eq!(problem.field, "chat_key");
                assert!(problem.message.contains(why), "{}", problem.message);
            }
            other => panic!("{other:?}"),
        }
    }
    let members = consumers
        .create(
            member,
            ConsumerKind::Expert,
            expert("Mine", &[(Slot::Chat, slot("openai", Some(&mine)))]),
        )
        .await
        .unwrap();
    assert_eq!(
        members.slot(Slot::Chat).unwrap().key_id.as_deref(),
        Some(mine.as_str())
    );
    // The owner (an admin) sees that the member's expert uses a personal key, not which one.
    let editor: Value = app
        .post_form(
            "/api/consumers/editor",
            &[("kind", "expert"), ("id", &members.record.id)],
        )
        .await
        .json()
        .await
        .unwrap();
    let chat = &editor["consumer"]["slots"][0];
    assert_eq!(chat["key_label"], "the owner's personal key");
    assert!(!editor.to_string().contains("Member's"), "{editor}");
    // Bad input changes nothing: a wrong provider for the slot, no name, no model.
    for patch in [
        expert(
            "Y",
            &[
                (Slot::Chat, slot("openai", None)),
                (Slot::Tts, slot("stability", None)),
            ],
        ),
        expert("", &[(Slot::Chat, slot("openai", None))]),
        expert(
            "Z",
            &[(
                Slot::Chat,
                Some(SlotDraft {
                    provider: "openai".into(),
                    ..SlotDraft::default()
                }),
            )],
        ),
        expert("W", &[]),
    ] {
        assert!(matches!(
            consumers.create(owner, ConsumerKind::Expert, patch).await,
            Err(KeyError::Invalid(_))
        ));
    }
    assert_eq!(
        consumers
            .list(owner, ConsumerKind::Expert)
            .await
            .unwrap()
            .len(),
        1
    );
    // Members see their own; another member's expert is not found for them.
    let owners = consumers
        .create(
            owner,
            ConsumerKind::Expert,
            expert("Owner's", &[(Slot::Chat, slot("openai", None))]),
        )
        .await
        .unwrap();
    assert_eq!(
        consumers
            .list(member, ConsumerKind::Expert)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        consumers
            .get(member, ConsumerKind::Expert, &owners.record.id)
            .await,
        Err(KeyError::NotFound)
    ));
    assert!(matches!(
        consumers
            .update(
                member,
                ConsumerKind::Expert,
                &owners.record.id,
                ConsumerPatch::default()
            )
            .await,
        Err(KeyError::NotFound)
    ));
    assert_eq!(
        consumers
            .list(owner, ConsumerKind::Expert)
            .await
            .unwrap()
            .len(),
        2,
        "admins see all"
    );
}

async fn key_changes_reach_their_consumers(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let owner = p.owner();
    let voice = add(
        &app,
        owner,
        draft(
            "elevenlabs",
            "sk_STUDIOstudioSTUDIO0013",
            "Studio",
            RoleChange::None,
            Scope::Org,
        ),
    )
    .await;
    let consumers = &app.state.consumers();
    let speaker = consumers
        .create(
            owner,
            ConsumerKind::Expert,
            expert(
                "Speaker",
                &[
                    (Slot::Chat, slot("openai", None)),
                    (Slot::Tts, slot("elevenlabs", Some(&voice))),
                ],
            ),
        )
        .await
        .unwrap();
    let helper = consumers
        .create(
            owner,
            ConsumerKind::Assistant,
            ConsumerPatch {
                expert_id: Some(Some(speaker.record.id.clone())),
                ..expert("Helper", &[(Slot::Chat, slot("openai", None))])
            },
        )
        .await
        .unwrap();
    assert!(
        consumers
            .create(
                owner,
                ConsumerKind::Assistant,
                expert(
                    "Bad",
                    &[
                        (Slot::Tts, slot("elevenlabs", None)),
                        (Slot::Chat, slot("openai", None))
                    ]
                )
            )
            .await
            .is_err(),
        "assistants have only a model slot"
    );

    // The provider page names the users of each key (the delete confirmation shows them).
    let page: Value = app
        .post_form("/api/keys/provider", &[("provider", "elevenlabs")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["keys"][0]["used_by"], json!(["expert 'Speaker'"]));
    let org_id = p.owner_membership.org.id.clone();
    let list = consumers.list(owner, ConsumerKind::Expert).await.unwrap();
    let keys = consumers.org_keys(owner).await.unwrap();
    assert!(ConsumerService::choice_warnings(owner, &list, &keys).is_empty());
    app.state
        .keys()
        .set_enabled(owner, &voice, false)
        .await
        .unwrap();
    let keys = consumers.org_keys(owner).await.unwrap();
    let warnings = ConsumerService::choice_warnings(owner, &list, &keys);
    assert_eq!(
        warnings[&speaker.record.id],
        ["Voice output (text to speech): the chosen key 'Studio' (sk_...0013) is disabled."]
    );
    app.state.keys().delete(owner, &voice).await.unwrap();
    let keys = consumers.org_keys(owner).await.unwrap();
    let warnings = ConsumerService::choice_warnings(owner, &list, &keys);
    assert!(warnings[&speaker.record.id][0].ends_with("the chosen key was deleted."));

    // An assistant that nothing serves is flagged with what to do, like an expert.
    let lonely = consumers
        .create(
            owner,
            ConsumerKind::Assistant,
            expert("Lonely", &[(Slot::Chat, slot("together", None))]),
        )
        .await
        .unwrap();
    let assistants = consumers
        .list(owner, ConsumerKind::Assistant)
        .await
        .unwrap();
    let unserved = consumers.unserved_slots(owner, &assistants).await.unwrap();
    let said = &unserved[&lonely.record.id];
    assert!(said[0].starts_with("Model: No Together AI key"), "{said:?}");
    assert!(said[0].contains("/hub/together"), "{said:?}");
    consumers
        .delete(owner, ConsumerKind::Assistant, &lonely.record.id)
        .await
        .unwrap();

    // A form with several problems is refused with all of them, in the form's order.
    let no_model = slot("openai", None).map(|draft| SlotDraft {
        model: None,
        ..draft
    });
    let mut nameless = expert(" ", &[(Slot::Chat, no_model)]);
    nameless.description = Some("d".repeat(2001));
    match consumers
        .create(owner, ConsumerKind::Expert, nameless)
        .await
    {
        Err(KeyError::Invalid(problems)) => {
            let fields: Vec<&str> = problems.iter().map(|problem| problem.field).collect();
            assert_eq!(fields, ["name", "description", "chat_model"]);
        }
        other => panic!("expected every problem, got {other:?}"),
    }

    // Deleting the expert keeps its assistant, on its own; slots go with the expert.
    consumers
        .delete(owner, ConsumerKind::Expert, &speaker.record.id)
        .await
        .unwrap();
    let helper = consumers
        .get(owner, ConsumerKind::Assistant, &helper.record.id)
        .await
        .unwrap();
    assert_eq!(helper.record.expert_id, None);
    let slots_left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM consumer_slots WHERE consumer_id = $1")
            .bind(&speaker.record.id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(slots_left, 0);
    let events = app.events(&org_id).await;
    assert_eq!(events[0].action, "expert.deleted");
}

/// Org scoping is in the schema: a slot cannot point at another org's key, even written directly.
async fn the_schema_keeps_choices_inside_the_org(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let p = people(&app).await;
    let key = add(
        &app,
        p.owner(),
        draft(
            "openai",
            "sk-proj-SCOPEscopeSCOPE0014",
            "Main",
            RoleChange::Primary,
            Scope::Org,
        ),
    )
    .await;
    let expert_row = app
        .state
        .consumers()
        .create(
            p.owner(),
            ConsumerKind::Expert,
            expert("E", &[(Slot::Chat, slot("openai", None))]),
        )
        .await
        .unwrap();
    let db = common::raw(t).await;
    sqlx::query("INSERT INTO organizations (id, slug, name, created_at) VALUES ('other-org', 'other', 'Other', 0)")
        .execute(db.pool())
        .await
        .unwrap();
    let foreign = sqlx::query(
        "INSERT INTO consumer_slots (org_id, consumer_id, modality, provider, key_id) VALUES ('other-org', $1, 'tts', 'openai-tts', $2)",
    )
    .bind(&expert_row.record.id)
    .bind(&key)
    .execute(db.pool())
    .await;
    assert!(
        foreign.is_err(),
        "a slot of another org's consumer and key is refused"
    );

    // Resolution's one query runs on the family index (shown by the database's own plan).
    let mut conn = db.pool().acquire().await.unwrap();
    let plan: Vec<String> = match db.backend() {
        keyhub::store::Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", *FAMILY_KEYS_SQL))
                    .bind("org")
                    .bind("openai")
                    .bind("user")
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.3).collect()
        }
        keyhub::store::Backend::Postgres => {
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {}", *FAMILY_KEYS_SQL))
                .bind("org")
                .bind("openai")
                .bind("user")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    assert!(
        plan.iter()
            .any(|line| line.contains("provider_keys_by_family")),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|line| line.contains("SCAN provider_keys")),
        "{plan:?}"
    );
}

on_both_backends!(
    every_step_through_the_service_and_the_api,
    reveal_is_for_keys_use_tokens_and_audited,
    personal_keys_serve_and_are_chosen_only_by_their_owner,
    platform_keys_are_never_revealed,
    pickers_offer_only_usable_keys_of_the_family,
    key_changes_reach_their_consumers,
    the_schema_keeps_choices_inside_the_org,
);

/// The editors of a new expert and assistant render completely on the server even when pages are
/// asked for at once (they once waited for ever on an eagerly started preview, now and then).
async fn new_editors_render_under_concurrent_requests(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    people(&app).await;
    let browser = app
        .sign_in(common::OWNER_EMAIL, common::OWNER_PASSWORD)
        .await;
    let page = |path: &'static str| {
        let request = browser.get(app.url(path)).send();
        async move {
            let response = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                request.await.unwrap().text().await.unwrap()
            })
            .await
            .unwrap_or_else(|_| panic!("{path} did not finish within 5 s"));
            assert!(response.contains("Which key will be used?"), "{path}");
        }
    };
    for _ in 0..15 {
        tokio::join!(
            page("/experts/new"),
            page("/assistants/new"),
            page("/experts/new"),
        );
    }
}

on_both_backends!(new_editors_render_under_concurrent_requests);
