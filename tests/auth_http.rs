//! Sign-in over real HTTP: first-run setup, the page guard, session cookies, logout, CSRF and the
//! sign-in rate limit.

mod common;

use common::{TestApp, TestDb, OWNER_EMAIL, OWNER_PASSWORD};
use reqwest::StatusCode;

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn signed_in(app: &TestApp) -> bool {
    let response = app.get("/hub").await;
    response.status() == StatusCode::OK
}

async fn before_setup_every_page_leads_to_setup_and_afterwards_setup_is_gone(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    for path in ["/hub", "/experts", "/login", "/settings"] {
        let response = app.get(path).await;
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(location(&response), "/setup", "{path}");
    }
    let setup = app.get("/setup").await;
    assert_eq!(setup.status(), StatusCode::OK);
    let html = setup.text().await.unwrap();
    assert!(html.contains("Set up KeyHub") && html.contains(r#"name="org_slug""#));

    let response = app.set_up_owner().await;
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("keyhub_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");

    assert!(signed_in(&app).await);
    assert!(app
        .get("/hub")
        .await
        .text()
        .await
        .unwrap()
        .contains(OWNER_EMAIL));
    assert_eq!(app.get("/setup").await.status(), StatusCode::NOT_FOUND);
    let again = app
        .post_form(
            "/api/auth/setup",
            &[
                ("email", "eve@example.com"),
                ("password", OWNER_PASSWORD),
                ("org_name", "Evil"),
                ("org_slug", "evil"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already set up"));
}

async fn sign_in_out_and_the_old_session_is_dead_on_the_server(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let logout = app.post_form("/api/auth/logout", &[]).await;
    assert!(set_cookie(&logout).contains("Max-Age=0"));
    assert!(!signed_in(&app).await);
    assert_eq!(location(&app.get("/hub").await), "/login");
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);

    let wrong = app
        .post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", "not the password")],
        )
        .await;
    assert!(!wrong.status().is_success());
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("The email or password is not right"));
    assert!(!signed_in(&app).await);

    let login = app
        .post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
        )
        .await;
    let first_cookie = set_cookie(&login);
    let token = first_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("keyhub_session=")
        .to_owned();
    assert!(signed_in(&app).await);

    // Signing in again renews the session id; the old one stops working.
    app.post_form(
        "/api/auth/login",
        &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
    )
    .await;
    let old = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/hub"))
        .header("cookie", format!("keyhub_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&old),
        "/login",
        "the replaced session id is dead on the server"
    );
}

async fn a_cross_site_post_is_refused_and_changes_nothing(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let forged = app
        .client
        .post(app.url("/api/auth/setup"))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", "eve@example.com"),
            ("password", OWNER_PASSWORD),
            ("org_name", "Evil"),
            ("org_slug", "evil"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("cross_site_request"));
    assert!(
        app.state.accounts.needs_setup().await.unwrap(),
        "nothing was created"
    );

    app.set_up_owner().await;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let forged_logout = app
            .client
            .post(app.url("/api/auth/logout"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(forged_logout.status(), StatusCode::FORBIDDEN, "{name}");
        assert!(
            signed_in(&app).await,
            "still signed in after a forged logout ({name})"
        );
    }
    let no_origin = app
        .client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_origin.status(),
        StatusCode::FORBIDDEN,
        "no Origin and no Sec-Fetch-Site"
    );
    let same_site_fetch = app
        .client
        .post(app.url("/api/auth/logout"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert!(
        !same_site_fetch.status().is_client_error(),
        "{}",
        same_site_fetch.status()
    );
    assert!(!signed_in(&app).await);
}

async fn sign_in_attempts_are_rate_limited_per_account(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    app.post_form("/api/auth/logout", &[]).await;
    for _ in 0..5 {
        app.post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", "guess guess guess")],
        )
        .await;
    }
    let locked = app
        .post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
        )
        .await;
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));
    assert!(!signed_in(&app).await, "even the right password waits");
}

async fn the_profile_page_changes_the_password(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    assert!(app
        .get("/profile")
        .await
        .text()
        .await
        .unwrap()
        .contains("Change password"));
    let wrong = app
        .post_form(
            "/api/profile/password",
            &[
                ("current_password", "nope nope nope"),
                ("new_password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("current password is not right"));
    let changed = app
        .post_form(
            "/api/profile/password",
            &[
                ("current_password", OWNER_PASSWORD),
                ("new_password", "another long passphrase"),
            ],
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());
    assert!(signed_in(&app).await, "the session that changed it stays");
    app.post_form("/api/auth/logout", &[]).await;
    let old = app
        .post_form(
            "/api/auth/login",
            &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
        )
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let anonymous = app
        .post_form(
            "/api/profile/password",
            &[("current_password", "x"), ("new_password", "y")],
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

on_both_backends!(
    the_profile_page_changes_the_password,
    before_setup_every_page_leads_to_setup_and_afterwards_setup_is_gone,
    sign_in_out_and_the_old_session_is_dead_on_the_server,
    a_cross_site_post_is_refused_and_changes_nothing,
    sign_in_attempts_are_rate_limited_per_account,
);

#[tokio::test]
async fn under_https_the_cookie_is_secure_and_host_prefixed() {
    let t = TestDb::sqlite().await;
    let app = TestApp::spawn_with(&t, &[("KEYHUB_PUBLIC_URL", "https://keys.example.com")]).await;
    let response = app.set_up_owner().await;
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("__Host-keyhub_session="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Domain="),
        "__Host- cookies carry no Domain"
    );
    let hsts = app.get("/healthz").await;
    assert_eq!(
        hsts.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}
