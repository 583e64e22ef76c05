//! Accounts on both backends: first-run setup (once, even when raced), sign-in, and server-side
//! sessions with idle and absolute timeouts.

use std::time::Duration;

use crate::common::{new_master_key, secret, TestDb};
use keyhub::accounts::{AccountError, Accounts, FirstOwner, SessionPolicy};
use keyhub::domain::accounts::OrgRole;

const PASSWORD: &str = "correct horse battery staple";

fn first_owner(email: &str, slug: &str) -> FirstOwner {
    FirstOwner {
        email: email.to_owned(),
        password: secret(PASSWORD),
        org_name: "Acme Labs".to_owned(),
        org_slug: slug.to_owned(),
    }
}

async fn accounts(t: &TestDb, policy: SessionPolicy) -> Accounts {
    let (db, _) = t.open(&new_master_key()).await;
    Accounts::new(db, policy)
}

async fn first_run_setup_creates_the_owner_once(t: &TestDb) {
    let accounts = accounts(t, SessionPolicy::default()).await;
    assert!(accounts.needs_setup().await.unwrap());
    let (user, org) = accounts
        .create_first_owner(first_owner(" Ada@Example.com ", "acme"))
        .await
        .unwrap();
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(org.slug, "acme");
    let memberships = accounts.memberships(&user.id).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].role, OrgRole::Owner);
    assert_eq!(memberships[0].org.name, "Acme Labs");
    assert!(!accounts.needs_setup().await.unwrap());

    let again = accounts
        .create_first_owner(first_owner("eve@example.com", "evil"))
        .await;
    assert!(
        matches!(again, Err(AccountError::AlreadySetUp)),
        "{again:?}"
    );
}

async fn racing_first_run_setups_create_exactly_one_owner(t: &TestDb) {
    let accounts = accounts(t, SessionPolicy::default()).await;
    let (a, b) = tokio::join!(
        accounts.create_first_owner(first_owner("a@example.com", "org-a")),
        accounts.create_first_owner(first_owner("b@example.com", "org-b")),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert!(matches!(
        a.err().or(b.err()),
        Some(AccountError::AlreadySetUp)
    ));
}

async fn bad_setup_input_is_refused_by_field_and_creates_nothing(t: &TestDb) {
    let accounts = accounts(t, SessionPolicy::default()).await;
    let cases = [
        (
            FirstOwner {
                email: "not-an-email".into(),
                ..first_owner("x@example.com", "acme")
            },
            "email",
        ),
        (
            FirstOwner {
                password: secret("short"),
                ..first_owner("x@example.com", "acme")
            },
            "password",
        ),
        (
            FirstOwner {
                org_name: "  ".into(),
                ..first_owner("x@example.com", "acme")
            },
            "org_name",
        ),
        (first_owner("x@example.com", "Not A Slug!"), "org_slug"),
    ];
    for (input, expected) in cases {
        match accounts.create_first_owner(input).await {
            Err(AccountError::Invalid(problems)) => assert_eq!(problems.first().field, expected),
            other => panic!("{expected}: {other:?}"),
        }
    }
    // Every problem at once, in the order of the form.
    let everything_wrong = FirstOwner {
        email: "not-an-email".into(),
        password: secret("short"),
        org_name: " ".into(),
        org_slug: "Not A Slug!".into(),
    };
    match accounts.create_first_owner(everything_wrong).await {
        Err(AccountError::Invalid(problems)) => {
            let fields: Vec<&str> = problems.iter().map(|problem| problem.field).collect();
            assert_eq!(fields, ["email", "password", "org_name", "org_slug"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(accounts.needs_setup().await.unwrap());
}

async fn sign_in_checks_the_password_and_says_the_same_for_unknown_emails(t: &TestDb) {
    let accounts = accounts(t, SessionPolicy::default()).await;
    let (user, _) = accounts
        .create_first_owner(first_owner("ada@example.com", "acme"))
        .await
        .unwrap();
    let signed_in = accounts
        .authenticate("ADA@example.com", secret(PASSWORD))
        .await
        .unwrap();
    assert_eq!(signed_in.id, user.id);
    for (email, password) in [
        ("ada@example.com", "wrong password here"),
        ("bob@example.com", PASSWORD),
        ("", PASSWORD),
    ] {
        let error = accounts
            .authenticate(email, secret(password))
            .await
            .unwrap_err();
        assert!(
            matches!(error, AccountError::WrongCredentials),
            "{email}: {error:?}"
        );
    }
}

async fn sessions_live_on_the_server_and_die_at_logout(t: &TestDb) {
    let accounts = accounts(t, SessionPolicy::default()).await;
    let (user, org) = accounts
        .create_first_owner(first_owner("ada@example.com", "acme"))
        .await
        .unwrap();
    let first = accounts
        .start_session(&user.id, Some(&org.id))
        .await
        .unwrap();
    let second = accounts
        .start_session(&user.id, Some(&org.id))
        .await
        .unwrap();
    assert_ne!(first.expose(), second.expose(), "a fresh id per sign-in");
    assert!(first.expose().len() >= 43, "256 random bits");
    let session = accounts.session(first.expose()).await.unwrap().unwrap();
    assert_eq!(session.user.id, user.id);
    assert_eq!(session.org_id.as_deref(), Some(org.id.as_str()));

    accounts.end_session(first.expose()).await.unwrap();
    assert!(accounts.session(first.expose()).await.unwrap().is_none());
    assert!(
        accounts.session(second.expose()).await.unwrap().is_some(),
        "other sessions live on"
    );
    assert!(accounts.session("forged-token").await.unwrap().is_none());

    let dump = t.dump().await;
    assert!(
        !dump.contains(second.expose()),
        "only the hash of a session id is stored"
    );
    assert!(
        !dump.contains(PASSWORD),
        "only the argon2id hash of a password is stored"
    );
    assert!(dump.contains("$argon2id$"));
}

async fn idle_and_absolute_timeouts_end_sessions(t: &TestDb) {
    let idle = accounts(
        t,
        SessionPolicy {
            idle_ms: 150,
            absolute_ms: 60_000,
        },
    )
    .await;
    let (user, _) = idle
        .create_first_owner(first_owner("ada@example.com", "acme"))
        .await
        .unwrap();
    let token = idle.start_session(&user.id, None).await.unwrap();
    assert!(idle.session(token.expose()).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        idle.session(token.expose()).await.unwrap().is_none(),
        "idle timeout"
    );

    let (db, _) = t.open_existing().await;
    let short = Accounts::new(
        db,
        SessionPolicy {
            idle_ms: 60_000,
            absolute_ms: 150,
        },
    );
    let token = short.start_session(&user.id, None).await.unwrap();
    assert!(short.session(token.expose()).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        short.session(token.expose()).await.unwrap().is_none(),
        "absolute timeout"
    );
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(t: &TestDb) {
    let accounts = accounts(t, SessionPolicy::default()).await;
    let (user, _) = accounts
        .create_first_owner(first_owner("ada@example.com", "acme"))
        .await
        .unwrap();
    let here = accounts.start_session(&user.id, None).await.unwrap();
    let elsewhere = accounts.start_session(&user.id, None).await.unwrap();
    const NEW: &str = "a brand new passphrase";

    let wrong = accounts
        .change_password(
            &user,
            secret("not my password"),
            secret(NEW),
            Some(here.expose()),
        )
        .await;
    assert!(
        matches!(
            wrong,
            Err(AccountError::Invalid(ref problems)) if problems.first().field == "current_password"
        ),
        "{wrong:?}"
    );
    let weak = accounts
        .change_password(
            &user,
            secret(PASSWORD),
            secret("short"),
            Some(here.expose()),
        )
        .await;
    assert!(
        matches!(
            weak,
            Err(AccountError::Invalid(ref problems)) if problems.first().field == "new_password"
        ),
        "{weak:?}"
    );
    assert!(
        accounts
            .session(elsewhere.expose())
            .await
            .unwrap()
            .is_some(),
        "refusals change nothing"
    );

    accounts
        .change_password(&user, secret(PASSWORD), secret(NEW), Some(here.expose()))
        .await
        .unwrap();
    assert!(accounts
        .authenticate("ada@example.com", secret(PASSWORD))
        .await
        .is_err());
    assert!(accounts
        .authenticate("ada@example.com", secret(NEW))
        .await
        .is_ok());
    assert!(
        accounts.session(here.expose()).await.unwrap().is_some(),
        "this session stays"
    );
    assert!(
        accounts
            .session(elsewhere.expose())
            .await
            .unwrap()
            .is_none(),
        "others end"
    );
}

on_both_backends!(
    changing_the_password_needs_the_current_one_and_ends_other_sessions,
    first_run_setup_creates_the_owner_once,
    racing_first_run_setups_create_exactly_one_owner,
    bad_setup_input_is_refused_by_field_and_creates_nothing,
    sign_in_checks_the_password_and_says_the_same_for_unknown_emails,
    sessions_live_on_the_server_and_die_at_logout,
    idle_and_absolute_timeouts_end_sessions,
);
