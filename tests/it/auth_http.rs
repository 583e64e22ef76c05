//! Sign-in over real HTTP: first-run setup and its code, the page guard, session cookies, logout,
//! CSRF and the sign-in rate limit (counted before the password is checked, in bounded space,
//! behind trusted proxies).

use crate::common;

use crate::common::{new_client, raw, TestApp, TestDb, OWNER_EMAIL, OWNER_PASSWORD};
use futures_util::future::join_all;
use keyhub::server::housekeeping::sweep;
use keyhub::store::now_ms;
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
                ("setup_code", "0000-0000-0000"),
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
        app.state.accounts().needs_setup().await.unwrap(),
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

fn setup_form(code: Option<&str>) -> Vec<(&str, &str)> {
    let mut form = vec![
        ("email", OWNER_EMAIL),
        ("password", OWNER_PASSWORD),
        ("org_name", "Acme Labs"),
        ("org_slug", "acme"),
    ];
    form.extend(code.map(|code| ("setup_code", code)));
    form
}

async fn setup_needs_the_one_time_code_from_the_log(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let html = app.get("/setup").await.text().await.unwrap();
    assert!(html.contains(r#"<label for="field-setup_code""#) && html.contains("Setup code"));
    let code = app.setup_code();

    // What a DNS-rebinding page could send: everything but the code.
    let without = app.post_form("/api/auth/setup", &setup_form(None)).await;
    assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = app
        .post_form("/api/auth/setup", &setup_form(Some("ABCD-EFGH-JKMN")))
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = wrong.text().await.unwrap();
    assert!(
        body.contains("setup_code") && body.contains("This is not the setup code"),
        "{body}"
    );
    assert!(
        app.state.accounts().needs_setup().await.unwrap(),
        "nothing created"
    );
    assert_eq!(app.get("/setup").await.status(), StatusCode::OK);

    // Typed the way people type it: lowercase, spaces for dashes.
    let typed = code.to_lowercase().replace('-', " ");
    let right = app
        .post_form("/api/auth/setup", &setup_form(Some(&typed)))
        .await;
    assert!(!right.status().is_client_error(), "{}", right.status());
    assert!(signed_in(&app).await);
    assert!(
        !keyhub::accounts::setup_code::file_path(&app.state.settings().data_dir).exists(),
        "the code's file is gone once setup is done"
    );
    assert!(!app.state.setup_code().matches(&code));
}

async fn wrong_setup_codes_are_rate_limited(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    for _ in 0..5 {
        let wrong = app
            .post_form("/api/auth/setup", &setup_form(Some("ABCD-EFGH-JKMN")))
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let code = app.setup_code();
    let limited = app
        .post_form("/api/auth/setup", &setup_form(Some(&code)))
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(app.state.accounts().needs_setup().await.unwrap());
}

/// The real binary, on a fresh database: the code is in its log and in `<data dir>/setup-code`,
/// readable by the operator only.
async fn the_setup_code_is_printed_at_first_start(t: &TestDb) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = t.dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let data_dir = t.dir.path().join("data");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_keyhub"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEYHUB_DATABASE_URL", &t.url)
        .env("KEYHUB_AUTO_MIGRATE", "true")
        .env("KEYHUB_MASTER_KEY", common::new_master_key())
        .env("KEYHUB_DATA_DIR", &data_dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", "target/site")
        .stdout(std::process::Stdio::from(log.try_clone().unwrap()))
        .stderr(std::process::Stdio::from(log))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let file = data_dir.join("setup-code");
    let code = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = server.kill();
    let _ = server.wait();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(up, "keyhub serve did not start: {logged}");
    let code = code.trim();
    assert_eq!(code.len(), 14, "{code:?}");
    assert!(
        logged.contains(&format!("setup code {code}")) && logged.contains("keyhub create-admin"),
        "{logged}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

async fn login(client: &reqwest::Client, app: &TestApp, email: &str, password: &str) -> StatusCode {
    client
        .post(app.url("/api/auth/login"))
        .header("origin", app.origin())
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn parallel_guesses_are_counted_before_the_password_is_checked(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let guesses = (0..36).map(|n| {
        let app = &app;
        async move {
            login(
                &new_client(),
                app,
                OWNER_EMAIL,
                &format!("guess number {n} is wrong"),
            )
            .await
        }
    });
    let statuses = join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, limited), (5, 31), "{statuses:?}");
    assert_eq!(
        login(&new_client(), &app, OWNER_EMAIL, OWNER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
}

async fn long_bogus_emails_do_not_grow_the_limiter(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    let db = raw(t).await;
    let emails: Vec<String> = (0..64)
        .map(|n| format!("{n}{}@example.com", "x".repeat(256 * 1024)))
        .collect();
    let attempts = emails.iter().map(|email| {
        let app = &app;
        async move { login(&new_client(), app, email, "whatever it is").await }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        64 - 30,
        "the address limit holds: {statuses:?}"
    );
    let (rows, longest): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(MAX(LENGTH(subject)), 0) AS BIGINT) FROM login_attempts",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(
        rows <= 31,
        "one row per account tried and the address: {rows}"
    );
    assert!(
        longest <= 72,
        "a subject's size does not depend on the email: {longest}"
    );

    // Once their window is over, housekeeping removes them.
    let later = now_ms() + 16 * 60 * 1000;
    assert_eq!(
        sweep(&app.state, later).await.unwrap().login_attempts,
        rows as u64
    );
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_attempts")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

/// Fails 30 sign-ins (other accounts each time) that claim to come from `claimed`.
async fn fail_thirty_times_as(app: &TestApp, claimed: &str) {
    let attempts = (0..30).map(|n| {
        let email = format!("nobody{n}@example.com");
        async move {
            new_client()
                .post(app.url("/api/auth/login"))
                .header("origin", app.origin())
                .header("x-forwarded-for", claimed)
                .form(&[("email", email.as_str()), ("password", "not a password")])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    for status in join_all(attempts).await {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

async fn next_attempt_as(app: &TestApp, claimed: &str) -> StatusCode {
    new_client()
        .post(app.url("/api/auth/login"))
        .header("origin", app.origin())
        .header("x-forwarded-for", claimed)
        .form(&[
            ("email", "someone@example.com"),
            ("password", "not a password"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// Behind a trusted proxy (here the test client's loopback address), each client has its own limit.
async fn forwarded_addresses_count_behind_trusted_proxies(t: &TestDb) {
    let behind = TestApp::spawn_with(t, &[("KEYHUB_TRUSTED_PROXIES", "127.0.0.1, ::1")]).await;
    fail_thirty_times_as(&behind, "198.51.100.1, 203.0.113.7").await;
    assert_eq!(
        next_attempt_as(&behind, "203.0.113.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        next_attempt_as(&behind, "198.51.100.1, 203.0.113.8").await,
        StatusCode::UNAUTHORIZED,
        "another client, whatever it claims further left"
    );
}

/// From a peer nobody trusts, `X-Forwarded-For` is the client's own claim and changes nothing.
async fn forwarded_addresses_from_untrusted_peers_are_ignored(t: &TestDb) {
    let direct = TestApp::spawn(t).await;
    fail_thirty_times_as(&direct, "203.0.113.7").await;
    assert_eq!(
        next_attempt_as(&direct, "203.0.113.8").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

on_both_backends!(
    setup_needs_the_one_time_code_from_the_log,
    wrong_setup_codes_are_rate_limited,
    the_setup_code_is_printed_at_first_start,
    parallel_guesses_are_counted_before_the_password_is_checked,
    long_bogus_emails_do_not_grow_the_limiter,
    forwarded_addresses_count_behind_trusted_proxies,
    forwarded_addresses_from_untrusted_peers_are_ignored,
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
