//! Members on both backends: who may add, change and remove whom; the last owner stays; and a
//! member's request is refused on the server, not only hidden in the UI.

use crate::common;

use crate::common::{new_master_key, secret, TestApp, TestDb, OWNER_PASSWORD};
use keyhub::accounts::members::{self, Actor, Added};
use keyhub::accounts::{AccountError, Accounts, FirstOwner, SessionPolicy};
use keyhub::domain::accounts::OrgRole;
use keyhub::store::accounts::{Membership, User};
use keyhub::store::Db;
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery staple";

async fn org_with_owner(t: &TestDb) -> (Db, Membership, String) {
    let (db, _) = t.open(&new_master_key()).await;
    let accounts = Accounts::new(db.clone(), SessionPolicy::default());
    let (owner, _) = accounts
        .create_first_owner(FirstOwner {
            email: "owner@example.com".into(),
            password: secret(PASSWORD),
            org_name: "Acme".into(),
            org_slug: "acme".into(),
        })
        .await
        .unwrap();
    let membership = accounts.memberships(&owner.id).await.unwrap().remove(0);
    (db, membership, owner.id)
}

fn new_account(added: Result<Added, AccountError>) -> User {
    match added {
        Ok(Added::NewAccount(user)) => user,
        other => panic!("expected a new account, got {other:?}"),
    }
}

fn as_role(membership: &Membership, role: OrgRole) -> Membership {
    Membership {
        role,
        ..membership.clone()
    }
}

async fn admins_manage_members_and_members_manage_nobody(t: &TestDb) {
    let (db, owner_membership, owner_id) = org_with_owner(t).await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &owner_membership,
    };
    let admin_user = new_account(
        members::Members(&db)
            .add(owner, "admin@example.com", secret(PASSWORD), OrgRole::Admin)
            .await,
    );
    let member_user = new_account(
        members::Members(&db)
            .add(
                owner,
                "Member@Example.com",
                secret(PASSWORD),
                OrgRole::Member,
            )
            .await,
    );
    assert_eq!(member_user.email, "member@example.com");

    let admin_membership = as_role(&owner_membership, OrgRole::Admin);
    let admin = Actor {
        user_id: &admin_user.id,
        membership: &admin_membership,
    };
    let member_membership = as_role(&owner_membership, OrgRole::Member);
    let member = Actor {
        user_id: &member_user.id,
        membership: &member_membership,
    };

    // Members can look but not touch.
    assert_eq!(members::Members(&db).list(member).await.unwrap().len(), 3);
    for attempt in [
        members::Members(&db)
            .add(member, "x@example.com", secret(PASSWORD), OrgRole::Member)
            .await
            .map(|_| ()),
        members::Members(&db)
            .change_role(member, &admin_user.id, OrgRole::Member)
            .await,
        members::Members(&db).remove(member, &owner_id).await,
    ] {
        assert!(
            matches!(attempt, Err(AccountError::Forbidden)),
            "{attempt:?}"
        );
    }
    // Admins manage members and admins, never owners.
    members::Members(&db)
        .change_role(admin, &member_user.id, OrgRole::Admin)
        .await
        .unwrap();
    members::Members(&db)
        .change_role(admin, &member_user.id, OrgRole::Member)
        .await
        .unwrap();
    assert!(matches!(
        members::Members(&db)
            .change_role(admin, &member_user.id, OrgRole::Owner)
            .await,
        Err(AccountError::Forbidden)
    ));
    assert!(matches!(
        members::Members(&db).remove(admin, &owner_id).await,
        Err(AccountError::Forbidden)
    ));
    // Bad input is refused by field, and duplicates are named.
    assert!(matches!(
        members::Members(&db)
            .add(owner, "nope", secret(PASSWORD), OrgRole::Member)
            .await,
        Err(AccountError::Invalid(problems)) if problems.first().field == "email"
    ));
    assert!(matches!(
        members::Members(&db)
            .add(owner, "new@example.com", secret("short"), OrgRole::Member)
            .await,
        Err(AccountError::Invalid(problems)) if problems.first().field == "password"
    ));
    assert!(matches!(
        members::Members(&db).add(owner, "member@example.com", secret(PASSWORD), OrgRole::Member).await,
        Err(AccountError::Invalid(problems)) if problems.first().field == "email" && problems.first().message.contains("already a member")
    ));
    // A bad email and a weak password are refused together.
    match members::Members(&db)
        .add(owner, "nope", secret("short"), OrgRole::Member)
        .await
    {
        Err(AccountError::Invalid(problems)) => {
            let fields: Vec<&str> = problems.iter().map(|problem| problem.field).collect();
            assert_eq!(fields, ["email", "password"]);
        }
        other => panic!("{other:?}"),
    }
    members::Members(&db)
        .remove(admin, &member_user.id)
        .await
        .unwrap();
    assert_eq!(members::Members(&db).list(owner).await.unwrap().len(), 2);
}

async fn the_last_owner_can_be_neither_demoted_nor_removed(t: &TestDb) {
    let (db, owner_membership, owner_id) = org_with_owner(t).await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &owner_membership,
    };
    for attempt in [
        members::Members(&db)
            .change_role(owner, &owner_id, OrgRole::Admin)
            .await,
        members::Members(&db).remove(owner, &owner_id).await,
    ] {
        assert!(
            matches!(&attempt, Err(AccountError::Refused(m)) if m.contains("at least one owner")),
            "{attempt:?}"
        );
    }
    let second = new_account(
        members::Members(&db)
            .add(
                owner,
                "second@example.com",
                secret(PASSWORD),
                OrgRole::Owner,
            )
            .await,
    );
    members::Members(&db)
        .change_role(owner, &owner_id, OrgRole::Admin)
        .await
        .unwrap();
    let roles: Vec<OrgRole> = members::Members(&db)
        .list(owner)
        .await
        .unwrap()
        .iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == OrgRole::Owner).count(), 1);
    let second_membership = as_role(&owner_membership, OrgRole::Owner);
    let second_owner = Actor {
        user_id: &second.id,
        membership: &second_membership,
    };
    assert!(
        members::Members(&db)
            .remove(second_owner, &second.id)
            .await
            .is_err(),
        "still the last owner"
    );
}

async fn concurrent_demotions_never_leave_an_org_without_owner(t: &TestDb) {
    let (db, owner_membership, owner_id) = org_with_owner(t).await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &owner_membership,
    };
    let second = new_account(
        members::Members(&db)
            .add(
                owner,
                "second@example.com",
                secret(PASSWORD),
                OrgRole::Owner,
            )
            .await,
    );
    let (a, b) = tokio::join!(
        members::Members(&db).change_role(owner, &owner_id, OrgRole::Member),
        members::Members(&db).change_role(owner, &second.id, OrgRole::Member),
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one demotion wins: {a:?} {b:?}"
    );
    let owners = members::Members(&db)
        .list(owner)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.role == OrgRole::Owner)
        .count();
    assert_eq!(owners, 1);
}

const CHOSEN_PASSWORD: &str = "a passphrase of my very own";

/// Signs the app's client in as someone an admin added with `initial`, who is sent to choose a
/// password and chooses [`CHOSEN_PASSWORD`].
async fn first_sign_in(app: &TestApp, email: &str, initial: &str) {
    let login = app
        .post_form(
            "/api/auth/login",
            &[("email", email), ("password", initial)],
        )
        .await;
    assert!(login.status().is_success(), "{}", login.status());
    assert_eq!(login.headers()["location"], "/choose-password");
    let chosen = app
        .post_form(
            "/api/profile/password",
            &[
                ("current_password", initial),
                ("new_password", CHOSEN_PASSWORD),
            ],
        )
        .await;
    assert!(chosen.status().is_success(), "{}", chosen.status());
}

async fn a_member_is_refused_on_the_server_and_sees_no_admin_forms(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let added = app
        .post_form(
            "/api/members/add",
            &[
                ("email", "member@example.com"),
                ("password", OWNER_PASSWORD),
                ("role", "member"),
            ],
        )
        .await;
    assert!(added.status().is_success(), "{}", added.status());
    assert!(app
        .get("/settings")
        .await
        .text()
        .await
        .unwrap()
        .contains("Add a member"));

    app.post_form("/api/auth/logout", &[]).await;
    first_sign_in(&app, "member@example.com", OWNER_PASSWORD).await;
    let settings = app.get("/settings").await.text().await.unwrap();
    assert!(settings.contains("member@example.com (you)"));
    assert!(!settings.contains("Add a member") && !settings.contains("Change role"));

    let forbidden = app
        .post_form(
            "/api/members/add",
            &[
                ("email", "eve@example.com"),
                ("password", OWNER_PASSWORD),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(
        forbidden.status(),
        StatusCode::INTERNAL_SERVER_ERROR
            .min(forbidden.status())
            .max(forbidden.status())
    );
    assert!(forbidden.text().await.unwrap().contains("Forbidden"));
    let list = app
        .post_form("/api/members/list", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains("eve@example.com"), "nothing was added");

    app.client
        .post(app.url("/api/auth/logout"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    let anonymous = app.post_form("/api/members/list", &[]).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.text().await.unwrap().contains("Unauthorized"));
}

fn org(email: &str, name: &str, slug: &str) -> FirstOwner {
    FirstOwner {
        email: email.into(),
        password: secret(PASSWORD),
        org_name: name.into(),
        org_slug: slug.into(),
    }
}

async fn people_switch_only_between_their_own_orgs(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    app.state
        .accounts()
        .create_org(org(common::OWNER_EMAIL, "Globex", "globex"))
        .await
        .unwrap();
    app.state
        .accounts()
        .create_org(org("other@example.com", "Initech", "initech"))
        .await
        .unwrap();

    let hub = app.get("/hub").await.text().await.unwrap();
    assert!(
        hub.contains("Acme Labs · Owner"),
        "the first org stays current"
    );
    assert!(hub.contains(r#"value="globex""#) && !hub.contains(r#"value="initech""#));

    let switched = app
        .post_form("/api/orgs/switch", &[("slug", "globex")])
        .await;
    assert!(
        !switched.status().is_client_error(),
        "{}",
        switched.status()
    );
    assert!(app
        .get("/hub")
        .await
        .text()
        .await
        .unwrap()
        .contains("Globex · Owner"));

    let foreign = app
        .post_form("/api/orgs/switch", &[("slug", "initech")])
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert!(
        app.get("/hub")
            .await
            .text()
            .await
            .unwrap()
            .contains("Globex · Owner"),
        "unchanged"
    );
}

async fn only_admins_change_the_key_policy(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let read = |app: &TestApp| {
        let db = app.db.clone();
        async move { db.org_by_slug("acme").await.unwrap().unwrap() }
    };
    assert!(read(&app).await.allow_personal_keys && read(&app).await.allow_platform_keys);
    let saved = app
        .post_form("/api/orgs/policy/set", &[("allow_platform_keys", "on")])
        .await;
    assert!(saved.status().is_success(), "{}", saved.status());
    let org = read(&app).await;
    assert!(!org.allow_personal_keys && org.allow_platform_keys);

    app.post_form(
        "/api/members/add",
        &[
            ("email", "member@example.com"),
            ("password", OWNER_PASSWORD),
            ("role", "member"),
        ],
    )
    .await;
    app.post_form("/api/auth/logout", &[]).await;
    first_sign_in(&app, "member@example.com", OWNER_PASSWORD).await;
    let refused = app
        .post_form(
            "/api/orgs/policy/set",
            &[("allow_personal_keys", "on"), ("allow_platform_keys", "on")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!read(&app).await.allow_personal_keys, "nothing changed");
    assert!(app
        .get("/settings")
        .await
        .text()
        .await
        .unwrap()
        .contains("Only owners and admins change the policy"));
}

/// A form POST from `client` to one of `app`'s server functions, as a KeyHub page sends it.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("origin", app.origin())
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn location_of(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_else(|| format!("no redirect: {}", response.status()))
}

async fn an_account_made_by_an_admin_chooses_its_password_before_anything_else(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let added = app
        .post_form(
            "/api/members/add",
            &[
                ("email", "new@example.com"),
                ("password", OWNER_PASSWORD),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    let added: serde_json::Value = added.json().await.unwrap();
    assert_eq!(added["invited"], false);
    assert!(added["message"]
        .as_str()
        .unwrap()
        .contains("they choose their own when they first sign in"));

    let newcomer = common::new_client();
    let login = post(
        &app,
        &newcomer,
        "/api/auth/login",
        &[("email", "new@example.com"), ("password", OWNER_PASSWORD)],
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()["location"], "/choose-password");
    // Every page leads to the choice; every other server function is refused.
    for page in ["/hub", "/settings", "/profile", "/login"] {
        assert_eq!(location_of(&newcomer, &app, page).await, "/choose-password");
    }
    let choose = newcomer
        .get(app.url("/choose-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(choose.status(), StatusCode::OK);
    let html = choose.text().await.unwrap();
    assert!(html.contains("Choose your password") && html.contains("Password you were given"));
    for (path, form) in [
        ("/api/keys/hub", vec![]),
        ("/api/members/list", vec![]),
        ("/api/tokens/list", vec![]),
        (
            "/api/invites/create",
            vec![("invite_email", "x@example.com"), ("invite_role", "member")],
        ),
    ] {
        let refused = post(&app, &newcomer, path, &form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(refused
            .text()
            .await
            .unwrap()
            .contains("Choose your own password first"));
    }
    // The given password is no choice; a new one is, and then everything opens.
    let same = post(
        &app,
        &newcomer,
        "/api/profile/password",
        &[
            ("current_password", OWNER_PASSWORD),
            ("new_password", OWNER_PASSWORD),
        ],
    )
    .await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let chosen = post(
        &app,
        &newcomer,
        "/api/profile/password",
        &[
            ("current_password", OWNER_PASSWORD),
            ("new_password", CHOSEN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(chosen.status(), StatusCode::OK);
    assert_eq!(chosen.headers()["location"], "/hub");
    assert_eq!(
        newcomer.get(app.url("/hub")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        location_of(&newcomer, &app, "/choose-password").await,
        "/hub"
    );
    assert_eq!(
        post(&app, &newcomer, "/api/members/list", &[])
            .await
            .status(),
        StatusCode::OK
    );
    // The password the admin knew is dead.
    assert!(app
        .state
        .accounts()
        .authenticate("new@example.com", secret(OWNER_PASSWORD))
        .await
        .is_err());
}

async fn adding_an_existing_account_makes_an_invite_and_never_sets_its_password(t: &TestDb) {
    const A_KNOWS: &str = "the password org A chose";
    const B_CHOSE: &str = "the password org B chose";
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    // Org A's admin creates victim@corp with a password A knows.
    let (a_admin, _) = app
        .state
        .accounts()
        .create_org(org("admin@org-a.test", "Org A", "org-a"))
        .await
        .unwrap();
    let a_membership = app
        .state
        .accounts()
        .memberships(&a_admin.id)
        .await
        .unwrap()
        .remove(0);
    let org_a = Actor {
        user_id: &a_admin.id,
        membership: &a_membership,
    };
    new_account(
        members::Members(&app.db)
            .add(org_a, "victim@corp.test", secret(A_KNOWS), OrgRole::Member)
            .await,
    );

    // Org B (Acme) adds the same email with a password B chooses: an invite, said plainly.
    let added = app
        .post_form(
            "/api/members/add",
            &[
                ("email", "Victim@Corp.test"),
                ("password", B_CHOSE),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    let added: serde_json::Value = added.json().await.unwrap();
    assert_eq!(added["invited"], true, "{added}");
    assert!(
        added["message"].as_str().unwrap().contains(
            "victim@corp.test already has a KeyHub account: an invite was created; send them this link"
        ),
        "{added}"
    );
    let link = added["invite_link"].as_str().unwrap();
    let secret_part = link.rsplit_once("/invite/").unwrap().1.to_owned();
    let acme = app.owner().await.1.org.id;
    let in_acme = |app: &TestApp| {
        let (db, acme) = (app.db.clone(), acme.clone());
        async move {
            db.org_members(&acme)
                .await
                .unwrap()
                .iter()
                .any(|m| m.user.email == "victim@corp.test")
        }
    };
    assert!(!in_acme(&app).await, "not adopted");
    let accounts = &app.state.accounts();
    assert!(accounts
        .authenticate("victim@corp.test", secret(B_CHOSE))
        .await
        .is_err());
    assert!(accounts
        .authenticate("victim@corp.test", secret(A_KNOWS))
        .await
        .is_ok());

    // Whoever holds the link and the password org A chose is not the account's owner yet.
    let holder = common::new_client();
    let accept = |client: &reqwest::Client, password: &'static str| {
        let form = [
            ("secret", secret_part.clone()),
            ("password", password.to_owned()),
        ];
        client
            .post(app.url("/api/invites/accept"))
            .header("origin", app.origin())
            .form(&form)
            .send()
    };
    let refused = accept(&holder, A_KNOWS).await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("set by an admin"));
    assert!(!in_acme(&app).await);

    // The victim chooses their own password at first sign-in, then accepts with it.
    let victim = common::new_client();
    let login = post(
        &app,
        &victim,
        "/api/auth/login",
        &[("email", "victim@corp.test"), ("password", A_KNOWS)],
    )
    .await;
    assert_eq!(login.headers()["location"], "/choose-password");
    let chosen = post(
        &app,
        &victim,
        "/api/profile/password",
        &[
            ("current_password", A_KNOWS),
            ("new_password", CHOSEN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(chosen.status(), StatusCode::OK);
    let joined = accept(&victim, CHOSEN_PASSWORD).await.unwrap();
    assert_eq!(joined.status(), StatusCode::OK);
    assert!(in_acme(&app).await);

    // Without JavaScript the members page says the same after the form post, with the link.
    let plain = app
        .client
        .post(app.url("/api/members/add"))
        .header("origin", app.origin())
        .header("accept", "text/html")
        .header("referer", app.url("/settings"))
        .form(&[
            ("email", "admin@org-a.test"),
            ("password", B_CHOSE),
            ("role", "member"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::FOUND);
    let settings = app.get("/settings").await.text().await.unwrap();
    assert!(
        settings.contains(
            "admin@org-a.test already has a KeyHub account: an invite was created; send them this link"
        ) && settings.contains("/invite/khi_"),
        "{settings}"
    );
}

on_both_backends!(
    an_account_made_by_an_admin_chooses_its_password_before_anything_else,
    adding_an_existing_account_makes_an_invite_and_never_sets_its_password,
    people_switch_only_between_their_own_orgs,
    only_admins_change_the_key_policy,
    admins_manage_members_and_members_manage_nobody,
    the_last_owner_can_be_neither_demoted_nor_removed,
    concurrent_demotions_never_leave_an_org_without_owner,
    a_member_is_refused_on_the_server_and_sees_no_admin_forms,
);
