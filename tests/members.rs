//! Members on both backends: who may add, change and remove whom; the last owner stays; and a
//! member's request is refused on the server, not only hidden in the UI.

mod common;

use common::{new_master_key, secret, TestApp, TestDb, OWNER_PASSWORD};
use keyhub::accounts::members::{self, Actor};
use keyhub::accounts::{AccountError, Accounts, FirstOwner, SessionPolicy};
use keyhub::domain::accounts::OrgRole;
use keyhub::store::accounts::Membership;
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
    let admin_user = members::add(
        &db,
        owner,
        "admin@example.com",
        secret(PASSWORD),
        OrgRole::Admin,
    )
    .await
    .unwrap();
    let member_user = members::add(
        &db,
        owner,
        "Member@Example.com",
        secret(PASSWORD),
        OrgRole::Member,
    )
    .await
    .unwrap();
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
    assert_eq!(members::list(&db, member).await.unwrap().len(), 3);
    for attempt in [
        members::add(
            &db,
            member,
            "x@example.com",
            secret(PASSWORD),
            OrgRole::Member,
        )
        .await
        .map(|_| ()),
        members::change_role(&db, member, &admin_user.id, OrgRole::Member).await,
        members::remove(&db, member, &owner_id).await,
    ] {
        assert!(
            matches!(attempt, Err(AccountError::Forbidden)),
            "{attempt:?}"
        );
    }
    // Admins manage members and admins, never owners.
    members::change_role(&db, admin, &member_user.id, OrgRole::Admin)
        .await
        .unwrap();
    members::change_role(&db, admin, &member_user.id, OrgRole::Member)
        .await
        .unwrap();
    assert!(matches!(
        members::change_role(&db, admin, &member_user.id, OrgRole::Owner).await,
        Err(AccountError::Forbidden)
    ));
    assert!(matches!(
        members::remove(&db, admin, &owner_id).await,
        Err(AccountError::Forbidden)
    ));
    // Bad input is refused by field, and duplicates are named.
    assert!(matches!(
        members::add(&db, owner, "nope", secret(PASSWORD), OrgRole::Member).await,
        Err(AccountError::Invalid { field: "email", .. })
    ));
    assert!(matches!(
        members::add(
            &db,
            owner,
            "new@example.com",
            secret("short"),
            OrgRole::Member
        )
        .await,
        Err(AccountError::Invalid {
            field: "password",
            ..
        })
    ));
    assert!(matches!(
        members::add(&db, owner, "member@example.com", secret(PASSWORD), OrgRole::Member).await,
        Err(AccountError::Refused(message)) if message.contains("already a member")
    ));
    members::remove(&db, admin, &member_user.id).await.unwrap();
    assert_eq!(members::list(&db, owner).await.unwrap().len(), 2);
}

async fn the_last_owner_can_be_neither_demoted_nor_removed(t: &TestDb) {
    let (db, owner_membership, owner_id) = org_with_owner(t).await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &owner_membership,
    };
    for attempt in [
        members::change_role(&db, owner, &owner_id, OrgRole::Admin).await,
        members::remove(&db, owner, &owner_id).await,
    ] {
        assert!(
            matches!(&attempt, Err(AccountError::Refused(m)) if m.contains("at least one owner")),
            "{attempt:?}"
        );
    }
    let second = members::add(
        &db,
        owner,
        "second@example.com",
        secret(PASSWORD),
        OrgRole::Owner,
    )
    .await
    .unwrap();
    members::change_role(&db, owner, &owner_id, OrgRole::Admin)
        .await
        .unwrap();
    let roles: Vec<OrgRole> = members::list(&db, owner)
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
        members::remove(&db, second_owner, &second.id)
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
    let second = members::add(
        &db,
        owner,
        "second@example.com",
        secret(PASSWORD),
        OrgRole::Owner,
    )
    .await
    .unwrap();
    let (a, b) = tokio::join!(
        members::change_role(&db, owner, &owner_id, OrgRole::Member),
        members::change_role(&db, owner, &second.id, OrgRole::Member),
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one demotion wins: {a:?} {b:?}"
    );
    let owners = members::list(&db, owner)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.role == OrgRole::Owner)
        .count();
    assert_eq!(owners, 1);
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
    let login = app
        .post_form(
            "/api/auth/login",
            &[
                ("email", "member@example.com"),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert!(!login.status().is_client_error());
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
        .accounts
        .create_org(org(common::OWNER_EMAIL, "Globex", "globex"))
        .await
        .unwrap();
    app.state
        .accounts
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
        let db = app.state.db.clone();
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
    app.post_form(
        "/api/auth/login",
        &[
            ("email", "member@example.com"),
            ("password", OWNER_PASSWORD),
        ],
    )
    .await;
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

on_both_backends!(
    people_switch_only_between_their_own_orgs,
    only_admins_change_the_key_policy,
    admins_manage_members_and_members_manage_nobody,
    the_last_owner_can_be_neither_demoted_nor_removed,
    concurrent_demotions_never_leave_an_org_without_owner,
    a_member_is_refused_on_the_server_and_sees_no_admin_forms,
);
