//! Invite links on both backends: one person, one org, one role, once, before they expire; a new
//! person chooses a password, an existing one confirms theirs; racing accepts let one win; links
//! name the public URL; housekeeping deletes spent invites and dead sessions.

use crate::common;

use crate::common::{raw, secret, TestApp, TestDb, OWNER_PASSWORD};
use keyhub::accounts::invites::{self, invite_path};
use keyhub::accounts::members::{self, Actor};
use keyhub::accounts::{AccountError, FirstOwner};
use keyhub::domain::accounts::OrgRole;
use keyhub::store::accounts::Membership;
use reqwest::StatusCode;

const NEW_PASSWORD: &str = "a new member's long passphrase";

async fn an_invite_works_once_for_the_invited_email(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = &app.db;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };

    let created = invites::Invites(db)
        .create(owner, " New@Example.com ", OrgRole::Admin)
        .await
        .unwrap();
    assert_eq!(created.invite.email, "new@example.com");
    let link_secret = created.secret.expose().to_owned();
    assert!(
        !t.dump().await.contains(&link_secret),
        "only a hash is stored"
    );
    assert_eq!(invites::Invites(db).list(owner).await.unwrap().len(), 1);

    let offer = invites::Invites(db).offer(&link_secret).await.unwrap();
    assert_eq!(offer.invite.org_name, "Acme Labs");
    assert!(!offer.has_account);

    // A weak password is refused and the invite stays usable.
    assert!(matches!(
        invites::Invites(db)
            .accept(&link_secret, secret("short"))
            .await,
        Err(AccountError::Invalid(problems)) if problems.first().field == "password"
    ));
    let (user, _) = invites::Invites(db)
        .accept(&link_secret, secret(NEW_PASSWORD))
        .await
        .unwrap();
    let joined = app.state.accounts().memberships(&user.id).await.unwrap();
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].role, OrgRole::Admin);
    // Joining is in the org's activity log, by the new member.
    let events = app.events(&membership.org.id).await;
    let event = events
        .iter()
        .find(|event| event.action == "member.joined")
        .expect("joining through an invite is in the activity log");
    assert_eq!(
        (
            event.actor_label.as_str(),
            event.target_label.as_str(),
            event.detail.as_str()
        ),
        ("new@example.com", "new@example.com", OrgRole::Admin.label())
    );
    assert!(app
        .state
        .accounts()
        .authenticate("new@example.com", secret(NEW_PASSWORD))
        .await
        .is_ok());

    // Used: gone for everyone.
    assert!(matches!(
        invites::Invites(db).accept(&link_secret, secret(NEW_PASSWORD)).await,
        Err(AccountError::Refused(message)) if message.contains("Ask an admin")
    ));
    assert!(invites::Invites(db).list(owner).await.unwrap().is_empty());

    // Already a member: no invite.
    assert!(matches!(
        invites::Invites(db)
            .create(owner, "new@example.com", OrgRole::Member)
            .await,
        Err(AccountError::Invalid(problems)) if problems.first().field == "email"
    ));

    // Revoked and expired links do nothing.
    let revoked = invites::Invites(db)
        .create(owner, "r@example.com", OrgRole::Member)
        .await
        .unwrap();
    invites::Invites(db)
        .revoke(owner, &revoked.invite.id)
        .await
        .unwrap();
    let expired = invites::Invites(db)
        .create(owner, "e@example.com", OrgRole::Member)
        .await
        .unwrap();
    sqlx::query("UPDATE invites SET expires_at = 1 WHERE id = $1")
        .bind(&expired.invite.id)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
    for gone in [&revoked.secret, &expired.secret] {
        assert!(matches!(
            invites::Invites(db)
                .accept(gone.expose(), secret(NEW_PASSWORD))
                .await,
            Err(AccountError::Refused(_))
        ));
    }
    assert!(app
        .state
        .accounts()
        .authenticate("r@example.com", secret(NEW_PASSWORD))
        .await
        .is_err());
}

async fn existing_users_confirm_their_password_and_admins_cannot_invite_owners(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = &app.db;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    // Someone with an account in another org.
    app.state
        .accounts()
        .create_org(FirstOwner {
            email: "grace@globex.test".into(),
            password: secret(NEW_PASSWORD),
            org_name: "Globex".into(),
            org_slug: "globex".into(),
        })
        .await
        .unwrap();
    let created = invites::Invites(db)
        .create(owner, "grace@globex.test", OrgRole::Member)
        .await
        .unwrap();
    assert!(
        invites::Invites(db)
            .offer(created.secret.expose())
            .await
            .unwrap()
            .has_account
    );
    assert!(matches!(
        invites::Invites(db)
            .accept(created.secret.expose(), secret("not her password at all"))
            .await,
        Err(AccountError::Invalid(problems)) if problems.first().field == "password"
    ));
    let (grace, _) = invites::Invites(db)
        .accept(created.secret.expose(), secret(NEW_PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        app.state
            .accounts()
            .memberships(&grace.id)
            .await
            .unwrap()
            .len(),
        2
    );

    // Admins invite admins and members; only owners invite owners. Members invite nobody.
    let admin = common::join(
        db,
        owner,
        "admin@example.com",
        OWNER_PASSWORD,
        OrgRole::Admin,
    )
    .await;
    let admin_membership = Membership {
        role: OrgRole::Admin,
        ..membership.clone()
    };
    let as_admin = Actor {
        user_id: &admin.id,
        membership: &admin_membership,
    };
    assert!(matches!(
        invites::Invites(db)
            .create(as_admin, "boss@example.com", OrgRole::Owner)
            .await,
        Err(AccountError::Forbidden)
    ));
    assert!(invites::Invites(db)
        .create(as_admin, "peer@example.com", OrgRole::Admin)
        .await
        .is_ok());
    let member_membership = Membership {
        role: OrgRole::Member,
        ..membership.clone()
    };
    let as_member = Actor {
        user_id: &grace.id,
        membership: &member_membership,
    };
    assert!(matches!(
        invites::Invites(db)
            .create(as_member, "friend@example.com", OrgRole::Member)
            .await,
        Err(AccountError::Forbidden)
    ));
    assert!(matches!(
        invites::Invites(db).list(as_member).await,
        Err(AccountError::Forbidden)
    ));
}

async fn racing_accepts_let_exactly_one_join(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = &app.db;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    let created = invites::Invites(db)
        .create(owner, "race@example.com", OrgRole::Member)
        .await
        .unwrap();
    let attempts: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            let link = created.secret.expose().to_owned();
            tokio::spawn(async move {
                invites::Invites(&db)
                    .accept(&link, secret(NEW_PASSWORD))
                    .await
            })
        })
        .collect();
    let mut joined = 0;
    for attempt in attempts {
        if attempt.await.unwrap().is_ok() {
            joined += 1;
        }
    }
    assert_eq!(joined, 1);
    let members = members::Members(db).list(owner).await.unwrap();
    assert_eq!(
        members
            .iter()
            .filter(|m| m.user.email == "race@example.com")
            .count(),
        1
    );
}

async fn the_invite_page_signs_the_new_member_in(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    let created = invites::Invites(&app.db)
        .create(owner, "page@example.com", OrgRole::Member)
        .await
        .unwrap();
    let guest = common::new_client();
    let page = guest
        .get(app.url(&invite_path(&created.secret)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Acme Labs") && html.contains("page@example.com"),
        "{html}"
    );
    assert!(html.contains("Choose a password"));

    let bogus = guest
        .get(app.url("/invite/khi_nothing"))
        .send()
        .await
        .unwrap();
    assert!(bogus
        .text()
        .await
        .unwrap()
        .contains("expired, was revoked or was already used"));

    let accepted = guest
        .post(app.url("/api/invites/accept"))
        .header("origin", app.origin())
        .form(&[
            ("secret", created.secret.expose()),
            ("password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(accepted.status().is_success(), "{}", accepted.status());
    let hub = guest.get(app.url("/hub")).send().await.unwrap();
    assert_eq!(hub.status(), StatusCode::OK);
    assert!(hub.text().await.unwrap().contains("page@example.com"));
}

async fn count(t: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(raw(t).await.pool())
        .await
        .unwrap()
}

async fn housekeeping_deletes_spent_invites_and_dead_sessions(t: &TestDb) {
    use keyhub::server::housekeeping::sweep;
    use keyhub::store::now_ms;

    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let db = &app.db;
    let (owner_id, membership) = app.owner().await;
    let owner = Actor {
        user_id: &owner_id,
        membership: &membership,
    };
    let invite = |email: &'static str| invites::Invites(db).create(owner, email, OrgRole::Member);
    let accepted = invite("accepted@example.com").await.unwrap();
    invites::Invites(db)
        .accept(accepted.secret.expose(), secret(NEW_PASSWORD))
        .await
        .unwrap();
    let revoked = invite("revoked@example.com").await.unwrap();
    invites::Invites(db)
        .revoke(owner, &revoked.invite.id)
        .await
        .unwrap();
    let expired = invite("expired@example.com").await.unwrap();
    sqlx::query("UPDATE invites SET expires_at = $1 WHERE id = $2")
        .bind(now_ms() - 1)
        .bind(&expired.invite.id)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
    let live = invite("live@example.com").await.unwrap();
    // A session that went idle long ago, next to the owner's live one.
    let stale = app
        .state
        .accounts()
        .start_session(&owner_id, None)
        .await
        .unwrap();
    let stale_hash: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(stale.expose().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now_ms() - 31 * 60 * 1000)
        .bind(&stale_hash)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
    assert!(app
        .state
        .accounts()
        .session(stale.expose())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        (count(t, "invites").await, count(t, "sessions").await),
        (4, 2)
    );

    let swept = sweep(&app.state, now_ms()).await.unwrap();
    assert_eq!((swept.invites, swept.sessions), (3, 1));
    assert_eq!(count(t, "sessions").await, 1);
    assert_eq!(invites::Invites(db).list(owner).await.unwrap().len(), 1);
    assert!(invites::Invites(db)
        .offer(live.secret.expose())
        .await
        .is_ok());
    assert!(
        app.get("/hub").await.status().is_success(),
        "the live session stays"
    );

    // Twelve hours on, every session is over (absolute limit) and the last invite still waits.
    let later = now_ms() + 12 * 60 * 60 * 1000 + 1;
    let swept = sweep(&app.state, later).await.unwrap();
    assert_eq!((swept.invites, swept.sessions), (0, 1));
    assert_eq!(count(t, "sessions").await, 0);
}

/// With `KEYHUB_PUBLIC_URL`, a link names it, whatever `Host` the request carried.
async fn invite_links_use_the_public_url(t: &TestDb) {
    let app = TestApp::spawn_with(t, &[("KEYHUB_PUBLIC_URL", "http://keys.example.test")]).await;
    app.set_up_owner().await;
    let created = app
        .client
        .post(app.url("/api/invites/create"))
        .header("origin", app.origin())
        .header("host", "attacker.example")
        .form(&[
            ("invite_email", "far@example.com"),
            ("invite_role", "member"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);
    let created: serde_json::Value = created.json().await.unwrap();
    let link = created["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://keys.example.test/invite/khi_"),
        "{link}"
    );
}

on_both_backends!(
    housekeeping_deletes_spent_invites_and_dead_sessions,
    invite_links_use_the_public_url,
    an_invite_works_once_for_the_invited_email,
    existing_users_confirm_their_password_and_admins_cannot_invite_owners,
    racing_accepts_let_exactly_one_join,
    the_invite_page_signs_the_new_member_in,
);
