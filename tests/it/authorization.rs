//! The authorization matrix: every server function and every `/api/v1` route, called by an
//! anonymous visitor, an owner of another org, a member, an admin, a token of another org and a
//! token without the needed scope. Each call must answer the expected status, and nothing answered
//! to an outsider may contain Acme's data. A server function or route missing from the matrix fails
//! the test, so new ones cannot slip past it.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{new_client, secret, TestApp, TestDb};
use keyhub::accounts::members::{self, Actor};
use keyhub::accounts::tokens::{self, TokenRequest};
use keyhub::accounts::{invites, FirstOwner};
use keyhub::consumers::{ConsumerPatch, SlotDraft};
use keyhub::domain::accounts::{OrgRole, TokenScope};
use keyhub::domain::consumers::{ConsumerKind, Slot};
use keyhub::domain::keys::Scope;
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::{KeyActor, KeyDraft};
use reqwest::Method;

const PASSWORD: &str = "correct horse battery staple";
/// Acme's data that no outsider may see in any answer.
const ACME_SECRETS: &[&str] = &[
    "Acme Labs",
    "member@acme.test",
    "admin@acme.test",
    "victim@acme.test",
    "invitee@acme.test",
    "acme-ci",
    "Acme production",
    "sk-proj...1111",
    "Acme support expert",
    "Acme helper assistant",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    OtherOrgOwner,
    Member,
    Admin,
    OtherOrgToken,
    TokenWithoutScope,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::OtherOrgOwner,
    Who::Member,
    Who::Admin,
    Who::OtherOrgToken,
    Who::TokenWithoutScope,
];

impl Who {
    fn is_outsider(self) -> bool {
        matches!(
            self,
            Who::Anonymous | Who::OtherOrgOwner | Who::OtherOrgToken | Who::TokenWithoutScope
        )
    }
}

/// Callers and the ids of Acme's things they aim at.
struct World {
    app: TestApp,
    other_owner: reqwest::Client,
    member: reqwest::Client,
    admin: reqwest::Client,
    other_org_token: String,
    token_without_scope: String,
    member_id: String,
    victim_id: String,
    token_id: String,
    invite_id: String,
    invite_link: String,
    key_id: String,
    expert_id: String,
    assistant_id: String,
}

async fn world(t: &TestDb) -> World {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = app.db.clone();
    let (owner_id, membership) = app.owner().await;
    let actor = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    let add = |email: &'static str, role| {
        let db = db.clone();
        async move { common::join(&db, actor, email, PASSWORD, role).await }
    };
    let member = add("member@acme.test", OrgRole::Member).await;
    add("admin@acme.test", OrgRole::Admin).await;
    let victim = add("victim@acme.test", OrgRole::Member).await;
    let scoped = |name: &'static str, scopes: &'static [TokenScope]| TokenRequest {
        name,
        scopes,
        lifetime_days: None,
    };
    let acme_token = tokens::Tokens(&db)
        .create(actor, scoped("acme-ci", &[TokenScope::KeysRead]))
        .await
        .unwrap();
    let unscoped = tokens::Tokens(&db)
        .create(actor, scoped("acme-gateway", &[TokenScope::Gateway]))
        .await
        .unwrap();
    let key = app
        .state
        .keys()
        .create(
            KeyActor::Member {
                user: &app.db.user(&owner_id).await.unwrap().unwrap(),
                membership: &membership,
            },
            KeyDraft {
                provider: "openai".into(),
                api_key: secret("sk-proj-acmeAcmeAcmeAcme1111"),
                nickname: Some("Acme production".into()),
                api_base: None,
                options: Default::default(),
                role: RoleChange::Primary,
                enabled: true,
                scope: Scope::Org,
                allow_unverified: false,
            },
        )
        .await
        .unwrap();
    let owner_user = app.db.user(&owner_id).await.unwrap().unwrap();
    let owner_actor = KeyActor::Member {
        user: &owner_user,
        membership: &membership,
    };
    let consumer = |name: &str| ConsumerPatch {
        name: Some(name.to_owned()),
        slots: [(
            Slot::Chat,
            Some(SlotDraft {
                provider: "openai".into(),
                model: Some("gpt-4o".into()),
                ..SlotDraft::default()
            }),
        )]
        .into(),
        ..ConsumerPatch::default()
    };
    let consumers = &app.state.consumers();
    let expert = consumers
        .create(
            owner_actor,
            ConsumerKind::Expert,
            consumer("Acme support expert"),
        )
        .await
        .unwrap();
    let assistant = consumers
        .create(
            owner_actor,
            ConsumerKind::Assistant,
            consumer("Acme helper assistant"),
        )
        .await
        .unwrap();
    let invite = invites::Invites(&db)
        .create(actor, "invitee@acme.test", OrgRole::Member)
        .await
        .unwrap();

    let (_, globex) = app
        .state
        .accounts()
        .create_org(FirstOwner {
            email: "owner@globex.test".into(),
            password: secret(PASSWORD),
            org_name: "Globex".into(),
            org_slug: "globex".into(),
        })
        .await
        .unwrap();
    let globex_token = tokens::Tokens(&db)
        .create_in(
            &globex,
            None,
            scoped(
                "globex-all",
                &[
                    TokenScope::KeysRead,
                    TokenScope::KeysWrite,
                    TokenScope::KeysUse,
                    TokenScope::Gateway,
                ],
            ),
        )
        .await
        .unwrap();

    World {
        other_owner: app.sign_in("owner@globex.test", PASSWORD).await,
        member: app.sign_in("member@acme.test", PASSWORD).await,
        admin: app.sign_in("admin@acme.test", PASSWORD).await,
        other_org_token: globex_token.secret.expose().to_owned(),
        token_without_scope: unscoped.secret.expose().to_owned(),
        member_id: member.id,
        victim_id: victim.id,
        token_id: acme_token.token.id,
        invite_id: invite.invite.id,
        invite_link: invite.secret.expose().to_owned(),
        key_id: key.key.id,
        expert_id: expert.record.id,
        assistant_id: assistant.record.id,
        app,
    }
}

impl World {
    fn request(&self, who: Who, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = self.app.url(path);
        let anonymous = new_client();
        let (client, token) = match who {
            Who::Anonymous => (&anonymous, None),
            Who::OtherOrgOwner => (&self.other_owner, None),
            Who::Member => (&self.member, None),
            Who::Admin => (&self.admin, None),
            Who::OtherOrgToken => (&anonymous, Some(&self.other_org_token)),
            Who::TokenWithoutScope => (&anonymous, Some(&self.token_without_scope)),
        };
        let mut request = client
            .request(method, url)
            .header("origin", self.app.origin());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Calls and checks one cell.
    async fn check(&self, who: Who, request: reqwest::RequestBuilder, expected: u16, what: &str) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, expected, "{what} as {who:?}: {body}");
        if who.is_outsider() {
            for secret in ACME_SECRETS {
                assert!(
                    !body.contains(secret),
                    "{what} as {who:?} answered Acme's {secret:?}: {body}"
                );
            }
        }
    }
}

/// One server function: its form and the status each caller gets (in [`EVERYONE`]'s order).
struct Row<'a> {
    endpoint: &'static str,
    form: Vec<(&'static str, &'a str)>,
    expect: [u16; 6],
}

async fn every_server_function_checks_who_is_asking(t: &TestDb) {
    let w = world(t).await;
    // Anonymous, other org's owner, member, admin, other org's token, token without scope.
    // Tokens are no credential for server functions (the cookie is), so they are anonymous there.
    // The other org's owner acts in Globex: listing and creating there is theirs to do, but Acme's
    // member, token and invite ids are not found.
    let rows = [
        Row {
            endpoint: "auth/viewer",
            form: vec![],
            expect: [200, 200, 200, 200, 200, 200],
        },
        Row {
            endpoint: "auth/setup",
            form: vec![
                ("email", "x@example.com"),
                ("password", PASSWORD),
                ("org_name", "X"),
                ("org_slug", "x"),
                ("setup_code", "0000-0000-0000"),
            ],
            expect: [409; 6],
        },
        Row {
            endpoint: "invites/offer",
            form: vec![("secret", "khi_unknown")],
            expect: [409; 6],
        },
        Row {
            endpoint: "invites/accept",
            form: vec![("secret", "khi_unknown"), ("password", PASSWORD)],
            expect: [409; 6],
        },
        Row {
            endpoint: "members/list",
            form: vec![],
            expect: [401, 200, 200, 200, 401, 401],
        },
        Row {
            endpoint: "members/add",
            form: vec![
                ("email", "new@example.com"),
                ("password", PASSWORD),
                ("role", "member"),
            ],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "members/role",
            form: vec![("user_id", &w.member_id), ("role", "member")],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "members/remove",
            form: vec![("user_id", &w.victim_id)],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "orgs/switch",
            form: vec![("slug", "acme")],
            expect: [401, 404, 200, 200, 401, 401],
        },
        Row {
            endpoint: "orgs/policy",
            form: vec![],
            expect: [401, 200, 200, 200, 401, 401],
        },
        Row {
            endpoint: "orgs/policy/set",
            form: vec![("allow_personal_keys", "on")],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "profile/password",
            form: vec![
                ("current_password", "not the password"),
                ("new_password", "another long passphrase"),
            ],
            expect: [401, 422, 422, 422, 401, 401],
        },
        Row {
            endpoint: "tokens/list",
            form: vec![],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "tokens/create",
            form: vec![
                ("name", "new token"),
                ("keys_read", "on"),
                ("expires", "30"),
            ],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "tokens/revoke",
            form: vec![("id", &w.token_id)],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "invites/list",
            form: vec![],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "invites/create",
            form: vec![
                ("invite_email", "friend@example.com"),
                ("invite_role", "member"),
            ],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "invites/revoke",
            form: vec![("id", &w.invite_id)],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/hub",
            form: vec![],
            expect: [401, 200, 200, 200, 401, 401],
        },
        Row {
            endpoint: "keys/provider",
            form: vec![("provider", "openai")],
            expect: [401, 200, 200, 200, 401, 401],
        },
        Row {
            endpoint: "keys/personal",
            form: vec![],
            expect: [401, 200, 200, 200, 401, 401],
        },
        Row {
            endpoint: "keys/add",
            form: vec![
                ("provider", "mistral"),
                ("api_key", "mistral-matrix-key-0001"),
                ("nickname", ""),
                ("role", "none"),
                ("scope", "org"),
            ],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/enable",
            form: vec![("id", &w.key_id), ("enabled", "false")],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/role",
            form: vec![("id", &w.key_id), ("role", "fallback"), ("rank", "1")],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/rotate",
            form: vec![
                ("id", &w.key_id),
                ("api_key", "sk-proj-rotatedInTheMatrix2222"),
            ],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/edit",
            form: vec![("id", &w.key_id), ("nickname", "Renamed by the admin")],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/validate",
            form: vec![("id", &w.key_id)],
            expect: [401, 404, 403, 200, 401, 401],
        },
        Row {
            endpoint: "keys/delete",
            form: vec![("id", &w.key_id)],
            expect: [401, 404, 403, 200, 401, 401],
        },
        // After the delete: a deleted key is still told about, to those who saw it.
        Row {
            endpoint: "keys/outcome",
            form: vec![("done", "deleted"), ("key", &w.key_id)],
            expect: [401, 404, 200, 200, 401, 401],
        },
        Row {
            endpoint: "consumers/list",
            form: vec![("kind", "expert")],
            expect: [401, 200, 200, 200, 401, 401],
        },
        Row {
            endpoint: "consumers/editor",
            form: vec![("kind", "expert"), ("id", &w.expert_id)],
            expect: [401, 404, 404, 200, 401, 401],
        },
        Row {
            endpoint: "consumers/preview",
            form: vec![
                ("kind", "expert"),
                ("id", &w.expert_id),
                ("chat_provider", "openai"),
                ("chat_key", &w.key_id),
            ],
            expect: [401, 404, 404, 200, 401, 401],
        },
        Row {
            endpoint: "consumers/save",
            form: vec![
                ("kind", "expert"),
                ("id", &w.expert_id),
                ("name", "Acme support expert"),
                ("chat_provider", "openai"),
                ("chat_model", "gpt-4o-mini"),
            ],
            expect: [401, 404, 404, 200, 401, 401],
        },
        Row {
            endpoint: "consumers/delete",
            form: vec![("kind", "assistant"), ("id", &w.assistant_id)],
            expect: [401, 404, 404, 200, 401, 401],
        },
        Row {
            endpoint: "activity/list",
            form: vec![
                ("provider", ""),
                ("actor", ""),
                ("action", ""),
                ("page", "1"),
            ],
            expect: [401, 200, 403, 200, 401, 401],
        },
        Row {
            endpoint: "auth/login",
            form: vec![
                ("email", "nobody@example.com"),
                ("password", "wrong password, surely"),
            ],
            expect: [401; 6],
        },
        // Last: it ends the callers' sessions.
        Row {
            endpoint: "auth/logout",
            form: vec![],
            expect: [200; 6],
        },
    ];

    let covered: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("/api/{}", r.endpoint))
        .collect();
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    assert_eq!(
        covered, registered,
        "every server function has a row in the matrix"
    );

    for row in &rows {
        for (who, expected) in EVERYONE.into_iter().zip(row.expect) {
            // Distinct data per caller, so one caller's success does not decide the next one's.
            let tag = format!("{who:?}").to_lowercase();
            let form: Vec<(&str, String)> = row
                .form
                .iter()
                .map(|(key, value)| {
                    let value = match *key {
                        "email" | "invite_email" if row.endpoint != "auth/setup" => {
                            value.replace('@', &format!("+{tag}@"))
                        }
                        _ => (*value).to_owned(),
                    };
                    (*key, value)
                })
                .collect();
            let request = w
                .request(
                    who,
                    reqwest::Method::POST,
                    &format!("/api/{}", row.endpoint),
                )
                .form(&form);
            w.check(who, request, expected, row.endpoint).await;
        }
    }

    // Acme as its admin sees it afterwards: outsiders changed nothing.
    let acme_members = members::Members(&w.app.db)
        .list(Actor {
            user_id: "",
            membership: &w.app.owner().await.1,
        })
        .await
        .unwrap();
    let emails: Vec<_> = acme_members.iter().map(|m| m.user.email.as_str()).collect();
    assert!(emails.contains(&"new+admin@example.com"));
    assert!(!emails
        .iter()
        .any(|e| e.contains("+otherorgowner") || e.contains("+anonymous")));
    assert!(
        !emails.contains(&"victim@acme.test"),
        "the admin removed the victim"
    );
    let acme_invites = w
        .app
        .db
        .org_invites(&w.app.owner().await.1.org.id, keyhub::store::now_ms())
        .await
        .unwrap();
    assert!(acme_invites
        .iter()
        .all(|i| !i.email.contains("+otherorgowner")));

    // The invite link itself is the credential for its page.
    let offer = new_client()
        .post(w.app.url("/api/invites/offer"))
        .header("origin", w.app.origin())
        .form(&[("secret", w.invite_link.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(offer.status(), 409, "the admin revoked it in the matrix");
}

/// Every route of the OpenAPI document. Cookies are no API credential, so the signed-in people get
/// 401 like anonymous visitors; another org's token (with every scope) finds nothing of Acme's; a
/// token without the route's scope is refused.
async fn every_api_route_checks_the_token(t: &TestDb) {
    let w = world(t).await;
    let key = format!("/api/v1/provider-keys/{}", w.key_id);
    let new_key =
        serde_json::json!({"provider": "anthropic", "api_key": "sk-ant-api03-matrix0001"});
    let no_body = serde_json::json!({});
    let nickname = serde_json::json!({"nickname": "renamed"});
    let denied = [401, 401, 401, 401, 404, 403];
    let mut rows: Vec<(Method, String, &serde_json::Value, [u16; 6])> = vec![
        (
            Method::GET,
            "/api/v1/openapi.json".into(),
            &no_body,
            [200; 6],
        ),
        (
            Method::GET,
            "/api/v1/providers".into(),
            &no_body,
            [401, 401, 401, 401, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/orgs/acme/provider-keys".into(),
            &no_body,
            denied,
        ),
        (
            Method::POST,
            "/api/v1/orgs/acme/provider-keys".into(),
            &new_key,
            denied,
        ),
        (Method::GET, key.clone(), &no_body, denied),
        (Method::PATCH, key.clone(), &nickname, denied),
        (Method::PUT, format!("{key}/activate"), &no_body, denied),
        (Method::PUT, format!("{key}/deactivate"), &no_body, denied),
        (Method::POST, format!("{key}/validate"), &no_body, denied),
        (Method::DELETE, key.clone(), &no_body, denied),
    ];
    let expert = format!("/api/v1/experts/{}", w.expert_id);
    let assistant = format!("/api/v1/assistants/{}", w.assistant_id);
    let new_consumer = serde_json::json!({
        "name": "From the matrix",
        "slots": {"chat": {"provider": "openai", "model": "gpt-4o"}}
    });
    let renamed = serde_json::json!({"name": "renamed"});
    let resolve = serde_json::json!({"provider": "openai"});
    rows.extend([
        (
            Method::GET,
            "/api/v1/orgs/acme/experts".into(),
            &no_body,
            denied,
        ),
        (
            Method::POST,
            "/api/v1/orgs/acme/experts".into(),
            &new_consumer,
            denied,
        ),
        (Method::GET, expert.clone(), &no_body, denied),
        (Method::PATCH, expert.clone(), &renamed, denied),
        (Method::DELETE, expert.clone(), &no_body, denied),
        (
            Method::GET,
            "/api/v1/orgs/acme/assistants".into(),
            &no_body,
            denied,
        ),
        (
            Method::POST,
            "/api/v1/orgs/acme/assistants".into(),
            &new_consumer,
            denied,
        ),
        (Method::GET, assistant.clone(), &no_body, denied),
        (Method::PATCH, assistant.clone(), &renamed, denied),
        (Method::DELETE, assistant.clone(), &no_body, denied),
        (
            Method::POST,
            "/api/v1/orgs/acme/resolve".into(),
            &resolve,
            denied,
        ),
    ]);
    for (method, path, body, expect) in &rows {
        for (who, expected) in EVERYONE.into_iter().zip(*expect) {
            let request = w.request(who, method.clone(), path).json(body);
            w.check(who, request, expected, &format!("{method} {path}"))
                .await;
        }
    }

    // The matrix covers every route the API documents.
    let document: serde_json::Value = new_client()
        .get(w.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let covered: BTreeSet<String> = rows
        .iter()
        .filter(|(_, path, _, _)| path != "/api/v1/openapi.json")
        .map(|(method, path, _, _)| {
            format!(
                "{method} {}",
                path.replace(&w.key_id, "{id}")
                    .replace(&w.expert_id, "{id}")
                    .replace(&w.assistant_id, "{id}")
                    .replace("/acme/", "/{org}/")
            )
        })
        .collect();
    assert_eq!(
        covered, documented,
        "every documented /api/v1 route has a row in the matrix"
    );

    // Nobody above changed Acme's key.
    let after = w
        .app
        .db
        .key(&w.app.owner().await.1.org.id, &w.key_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        after.enabled
            && after.deleted_at.is_none()
            && after.nickname.as_deref() == Some("Acme production")
    );
}

/// `resolve` with `reveal`, for everyone who might ask: only a `keys:use` token of the org gets a
/// secret, and only an organization key's. The platform key (the operator's) and a member's
/// personal key are revealed to nobody, and no answer names the personal key.
async fn reveal_gives_out_only_organization_keys(t: &TestDb) {
    const ORG_SECRET: &str = "sk-proj-acmeOrgReveal1111";
    const PLATFORM_SECRET: &str = "sk-ant-api03-OPERATORplatform9999";
    const PERSONAL_SECRET: &str = "sk-ant-api03-memberPersonal2222";
    let app = TestApp::spawn_with(t, &[("ANTHROPIC_API_KEY", PLATFORM_SECRET)]).await;
    app.set_up_owner().await;
    let db = app.db.clone();
    let (owner_id, membership) = app.owner().await;
    let actor = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    let member = common::join(&db, actor, "member@acme.test", PASSWORD, OrgRole::Member).await;
    let owner_user = db.user(&owner_id).await.unwrap().unwrap();
    let owner_actor = KeyActor::Member {
        user: &owner_user,
        membership: &membership,
    };
    let member_membership = keyhub::store::accounts::Membership {
        role: OrgRole::Member,
        ..membership.clone()
    };
    let member_actor = KeyActor::Member {
        user: &member,
        membership: &member_membership,
    };
    let key = |provider: &str, secret_text: &str, nickname: &str, scope| KeyDraft {
        provider: provider.into(),
        api_key: secret(secret_text),
        nickname: Some(nickname.into()),
        api_base: None,
        options: Default::default(),
        role: RoleChange::Primary,
        enabled: true,
        scope,
        allow_unverified: false,
    };
    let keys = app.state.keys();
    keys.create(
        owner_actor,
        key("openai", ORG_SECRET, "Acme production", Scope::Org),
    )
    .await
    .unwrap();
    let personal = keys
        .create(
            member_actor,
            key(
                "anthropic",
                PERSONAL_SECRET,
                "Member's own Claude",
                Scope::Personal,
            ),
        )
        .await
        .unwrap()
        .key;
    let writer = |name: &str, key_id: Option<&str>| ConsumerPatch {
        name: Some(name.to_owned()),
        slots: [(
            Slot::Chat,
            Some(SlotDraft {
                provider: "anthropic".into(),
                model: Some("claude-sonnet-4-5".into()),
                key_id: key_id.map(str::to_owned),
                ..SlotDraft::default()
            }),
        )]
        .into(),
        ..ConsumerPatch::default()
    };
    let consumers = &app.state.consumers();
    let main_key = consumers
        .create(
            member_actor,
            ConsumerKind::Expert,
            writer("Member's writer", None),
        )
        .await
        .unwrap();
    let picked = consumers
        .create(
            member_actor,
            ConsumerKind::Expert,
            writer("Member's pick", Some(&personal.id)),
        )
        .await
        .unwrap();
    let token = |name: &'static str, scopes: &'static [TokenScope]| {
        let db = db.clone();
        let org = membership.org.clone();
        async move {
            let request = TokenRequest {
                name,
                scopes,
                lifetime_days: None,
            };
            tokens::Tokens(&db)
                .create_in(&org, None, request)
                .await
                .unwrap()
                .secret
                .expose()
                .to_owned()
        }
    };
    let (reader, gateway, user) = (
        token("reader", &[TokenScope::KeysRead]).await,
        token("gateway", &[TokenScope::Gateway]).await,
        token("user", &[TokenScope::KeysUse]).await,
    );
    let (_, globex) = app
        .state
        .accounts()
        .create_org(FirstOwner {
            email: "owner@globex.test".into(),
            password: secret(PASSWORD),
            org_name: "Globex".into(),
            org_slug: "globex".into(),
        })
        .await
        .unwrap();
    let everything = TokenRequest {
        name: "globex-all",
        scopes: &[
            TokenScope::KeysRead,
            TokenScope::KeysWrite,
            TokenScope::KeysUse,
            TokenScope::Gateway,
        ],
        lifetime_days: None,
    };
    let globex_token = tokens::Tokens(&db)
        .create_in(&globex, None, everything)
        .await
        .unwrap()
        .secret
        .expose()
        .to_owned();
    let member_browser = app.sign_in("member@acme.test", PASSWORD).await;

    // Who asks: by cookie (no API credential), or by token.
    let callers: [(&str, Option<&reqwest::Client>, Option<&str>); 7] = [
        ("anonymous", None, None),
        ("the member, signed in", Some(&member_browser), None),
        ("the owner, signed in", Some(&app.client), None),
        ("another org's token", None, Some(&globex_token)),
        ("a keys:read token", None, Some(&reader)),
        ("a gateway token", None, Some(&gateway)),
        ("a keys:use token", None, Some(&user)),
    ];
    let for_consumer = |id: &str| serde_json::json!({"type": "expert", "id": id});
    // What is asked, the status each caller gets (in `callers`' order), and what the keys:use
    // token receives: the source and the secret, if any.
    let rows = [
        (
            "an org key",
            serde_json::json!({"provider": "openai", "reveal": true}),
            [401, 401, 401, 404, 403, 403, 200],
            "org_primary",
            Some(ORG_SECRET),
        ),
        (
            "the platform key",
            serde_json::json!({"provider": "anthropic", "reveal": true}),
            [401, 401, 401, 404, 403, 403, 200],
            "platform",
            None,
        ),
        (
            "a member's expert on their personal primary",
            serde_json::json!({"provider": "anthropic", "reveal": true,
                "consumer": for_consumer(&main_key.record.id)}),
            [401, 401, 401, 404, 403, 403, 200],
            "platform",
            None,
        ),
        (
            "a member's expert that chose their personal key",
            serde_json::json!({"provider": "anthropic", "reveal": true,
                "consumer": for_consumer(&picked.record.id)}),
            [401, 401, 401, 404, 403, 403, 200],
            "platform",
            None,
        ),
        (
            "the same without reveal",
            serde_json::json!({"provider": "anthropic",
                "consumer": for_consumer(&picked.record.id)}),
            [401, 401, 401, 404, 200, 403, 200],
            "platform",
            None,
        ),
    ];
    for (what, body, expect, source, revealed) in &rows {
        for ((who, browser, bearer), expected) in callers.iter().zip(expect) {
            let anonymous = new_client();
            let mut request = browser
                .unwrap_or(&anonymous)
                .post(app.url("/api/v1/orgs/acme/resolve"))
                .header("origin", app.origin())
                .json(body);
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(status, *expected, "{what}, asked by {who}: {text}");
            for never in [
                PLATFORM_SECRET,
                PERSONAL_SECRET,
                "Member's own Claude",
                &personal.hint,
                &personal.id,
            ] {
                assert!(
                    !text.contains(never),
                    "{what}, asked by {who}: told {never}: {text}"
                );
            }
            if *who == "a keys:use token" {
                let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(answer["source"], *source, "{what}: {answer}");
                assert_eq!(answer["api_key"].as_str(), *revealed, "{what}: {answer}");
            } else {
                assert!(!text.contains(ORG_SECRET), "{what}, asked by {who}: {text}");
            }
        }
    }
    let revealed = app
        .events(&membership.org.id)
        .await
        .into_iter()
        .filter(|event| event.action == "key.revealed")
        .count();
    assert_eq!(revealed, 1, "one secret left, one event");
}

async fn a_cross_site_form_post_changes_nothing(t: &TestDb) {
    let w = world(t).await;
    let forged = w
        .admin
        .post(w.app.url("/api/members/add"))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", "mole@example.com"),
            ("password", PASSWORD),
            ("role", "owner"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let fetched = w
        .admin
        .post(w.app.url("/api/tokens/create"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "stolen"), ("keys_use", "on"), ("expires", "never")])
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 403);
    let membership = w.app.owner().await.1;
    let db = &w.app.db;
    assert!(!db
        .org_members(&membership.org.id)
        .await
        .unwrap()
        .iter()
        .any(|m| m.user.email == "mole@example.com"));
    assert!(!db
        .org_tokens(&membership.org.id)
        .await
        .unwrap()
        .iter()
        .any(|token| token.name == "stolen"));

    let same_origin = w
        .admin
        .post(w.app.url("/api/tokens/create"))
        .header("origin", w.app.origin())
        .form(&[("name", "legit"), ("keys_use", "on"), ("expires", "never")])
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

on_both_backends!(
    every_server_function_checks_who_is_asking,
    every_api_route_checks_the_token,
    reveal_gives_out_only_organization_keys,
    a_cross_site_form_post_changes_nothing,
);
