//! The canary test (SPEC.md §9): keys whose plaintext carries a unique marker are stored through the
//! web UI's server functions and through the REST API, then every page, route, error path and the
//! activity log is exercised against the real binary with debug logging. The marker must appear in
//! no HTTP response (body or headers), no log line, and not in the database (the SQLite file, or a
//! PostgreSQL dump).

use crate::common;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{new_client, new_master_key, TestDb, OWNER_EMAIL, OWNER_PASSWORD};
use serde_json::json;

struct Server {
    child: Child,
    base: String,
    /// Where the server writes its log (a file, so a full pipe can never stall it).
    log: std::path::PathBuf,
    /// What the fake provider was asked, keys included.
    provider_log: common::fake_provider::Log,
    data_dir: std::path::PathBuf,
}

impl Server {
    async fn start(t: &TestDb, master_key: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data_dir = tempfile::tempdir().unwrap().keep();
        let log = data_dir.join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let (provider_base, provider_log) = common::fake_provider::spawn().await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhub"))
            .arg("serve")
            .env_clear()
            .envs(common::fake_provider_vars(&provider_base))
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KEYHUB_DATABASE_URL", &t.url)
            .env("KEYHUB_AUTO_MIGRATE", "true")
            .env("KEYHUB_MASTER_KEY", master_key)
            .env("KEYHUB_DATA_DIR", &data_dir)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env(
                "RUST_LOG",
                "trace,sqlx=trace,hyper=info,h2=info,reqwest=info",
            )
            .stdout(Stdio::from(log_file.try_clone().unwrap()))
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if reqwest::get(format!("{base}/healthz")).await.is_ok() {
                return Server {
                    child,
                    base,
                    log,
                    provider_log,
                    data_dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("keyhub serve did not start");
    }

    /// Stops the server gracefully (so SQLite checkpoints its WAL) and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let mut logs = String::new();
        std::fs::File::open(&self.log)
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        logs
    }
}

/// A failed test must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything a client received, to search afterwards.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    async fn keep(&mut self, what: &str, response: reqwest::Response) -> (u16, String) {
        let status = response.status().as_u16();
        let headers = format!("{:?}", response.headers());
        let body = response.text().await.unwrap();
        self.0.push(format!("{what}\n{headers}\n{body}"));
        (status, body)
    }
}

async fn the_canary_never_leaves_the_vault(t: &TestDb) {
    let marker = format!("KHCANARY{}", uuid::Uuid::new_v4().simple());
    let canary = |n: u8| format!("sk-proj-{marker}{n}Zq9w");
    let server = Server::start(t, &new_master_key()).await;
    let base = server.base.clone();
    let browser = new_client();
    let mut seen = Seen::default();
    let open = |path: &str| browser.get(format!("{base}{path}")).send();
    let form = |path: &str, fields: Vec<(&str, String)>| {
        browser
            .post(format!("{base}{path}"))
            .header("origin", &base)
            .form(&fields)
    };

    let setup = form(
        "/api/auth/setup",
        vec![
            ("email", OWNER_EMAIL.into()),
            ("password", OWNER_PASSWORD.into()),
            ("org_name", "Acme Labs".into()),
            ("org_slug", "acme".into()),
            (
                "setup_code",
                std::fs::read_to_string(server.data_dir.join("setup-code")).unwrap(),
            ),
        ],
    );
    seen.keep("setup", setup.send().await.unwrap()).await;
    let add = |secret: String, nickname: &str, role: &str| {
        form(
            "/api/keys/add",
            vec![
                ("provider", "openai".into()),
                ("api_key", secret),
                ("nickname", nickname.into()),
                ("role", role.into()),
                ("scope", "org".into()),
            ],
        )
    };

    // Through the UI's server functions: a key, its duplicate, a masked paste, a bad base URL.
    let (status, _) = seen
        .keep(
            "add",
            add(canary(1), "UI key", "primary").send().await.unwrap(),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = seen
        .keep(
            "duplicate",
            add(canary(1), "Again", "none").send().await.unwrap(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let masked = format!("{}...{marker}", canary(2));
    seen.keep(
        "masked",
        add(masked, "Masked", "none").send().await.unwrap(),
    )
    .await;
    let bad_base = form(
        "/api/keys/add",
        vec![
            ("provider", "openai".into()),
            ("api_key", canary(3)),
            ("nickname", "".into()),
            ("role", "none".into()),
            ("scope", "org".into()),
            (
                "api_base",
                format!("https://{marker}:{marker}@169.254.169.254/"),
            ),
        ],
    );
    seen.keep("bad base", bad_base.send().await.unwrap()).await;
    let control = add(format!("{}\n{marker}", canary(4)), "", "none");
    seen.keep("control characters", control.send().await.unwrap())
        .await;
    let huge = add(format!("{}{}", canary(5), "x".repeat(5000)), "", "none");
    seen.keep("oversized", huge.send().await.unwrap()).await;

    // Through the REST API, with its error paths.
    let token = form(
        "/api/tokens/create",
        vec![
            ("name", "canary".into()),
            ("keys_read", "on".into()),
            ("keys_write", "on".into()),
            ("expires", "30".into()),
        ],
    );
    let (_, body) = seen.keep("token", token.send().await.unwrap()).await;
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let api = new_client();
    let rest = |method: reqwest::Method, path: &str| {
        api.request(method, format!("{base}/api/v1{path}"))
            .bearer_auth(&token)
    };
    let (status, body) = seen
        .keep(
            "rest create",
            rest(reqwest::Method::POST, "/orgs/acme/provider-keys")
                .json(&json!({"provider": "openai", "api_key": canary(6), "role": "fallback"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let rest_id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["key"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (what, body) in [
        (
            "rest duplicate",
            json!({"provider": "openai", "api_key": canary(6)}),
        ),
        (
            "rest unknown field",
            json!({"provider": "openai", "api_key": canary(7), marker.clone(): 1}),
        ),
        (
            "rest wrong type",
            json!({"provider": "openai", "api_key": canary(7), "enabled": canary(7)}),
        ),
        (
            "rest masked",
            json!({"provider": "openai", "api_key": format!("****{}", canary(7))}),
        ),
    ] {
        let response = rest(reqwest::Method::POST, "/orgs/acme/provider-keys")
            .json(&body)
            .send()
            .await
            .unwrap();
        seen.keep(what, response).await;
    }
    let malformed = rest(reqwest::Method::POST, "/orgs/acme/provider-keys")
        .header("content-type", "application/json")
        .body(format!(
            "{{\"provider\": \"openai\", \"api_key\": \"{}\"",
            canary(8)
        ))
        .send()
        .await
        .unwrap();
    seen.keep("rest malformed", malformed).await;
    let rotate = rest(reqwest::Method::PATCH, &format!("/provider-keys/{rest_id}"))
        .json(&json!({"api_key": canary(9), "nickname": "rotated"}))
        .send()
        .await
        .unwrap();
    seen.keep("rest rotate", rotate).await;
    // A rotation to a key the provider rejects, and a move to another host without the key: both
    // refused, and the key stays where it was.
    let (status, body) = seen
        .keep(
            "rest rotate rejected",
            rest(reqwest::Method::PATCH, &format!("/provider-keys/{rest_id}"))
                .json(&json!({"api_key": format!("sk-proj-invalid-{marker}13Zq9w")}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("key_rejected"), "{body}");
    let elsewhere = "http://127.0.0.1:9/elsewhere".to_owned();
    let (status, body) = seen
        .keep(
            "rest move without the key",
            rest(reqwest::Method::PATCH, &format!("/provider-keys/{rest_id}"))
                .json(&json!({"api_base": elsewhere}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("\"field\":\"api_key\""), "{body}");
    let forged_path = rest(
        reqwest::Method::GET,
        &format!("/provider-keys/{}", canary(10)),
    )
    .send()
    .await
    .unwrap();
    seen.keep("rest key as id", forged_path).await;
    for path in [
        "/orgs/acme/provider-keys",
        &format!("/provider-keys/{rest_id}"),
        "/providers",
        "/openapi.json",
    ] {
        let response = rest(reqwest::Method::GET, path).send().await.unwrap();
        seen.keep(path, response).await;
    }
    for path in [format!("/provider-keys/{rest_id}/validate")] {
        let response = rest(reqwest::Method::POST, &path).send().await.unwrap();
        seen.keep(&path, response).await;
    }
    // An expert that chooses the key, its resolution (without reveal) and its pages.
    let (status, body) = seen
        .keep(
            "rest expert",
            rest(reqwest::Method::POST, "/orgs/acme/experts")
                .json(&json!({"name": "Canary expert", "slots": {"chat": {
                    "provider": "openai", "model": "gpt-4o", "key_id": rest_id}}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let expert_id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = seen
        .keep(
            "resolve",
            rest(reqwest::Method::POST, "/orgs/acme/resolve")
                .json(
                    &json!({"provider": "openai", "consumer": {"type": "expert", "id": expert_id}}),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let response = rest(reqwest::Method::POST, "/orgs/acme/resolve")
        .json(&json!({"provider": "openai", "reveal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(seen.keep("reveal without keys:use", response).await.0, 403);
    for path in [
        "/orgs/acme/experts".to_owned(),
        format!("/experts/{expert_id}"),
    ] {
        let response = rest(reqwest::Method::GET, &path).send().await.unwrap();
        seen.keep(&path, response).await;
    }
    let response = browser
        .get(format!("{base}/experts/{expert_id}"))
        .send()
        .await
        .unwrap();
    let (_, expert_page) = seen.keep("expert page", response).await;
    assert!(expert_page.contains("Which key will be used?"));

    // Through the gateway: the expert's key, a primary that fails over, a stream, a refusal.
    let gateway_token = form(
        "/api/tokens/create",
        vec![
            ("name", "canary gateway".into()),
            ("gateway", "on".into()),
            ("expires", "30".into()),
        ],
    );
    let (_, body) = seen
        .keep("gateway token", gateway_token.send().await.unwrap())
        .await;
    let gateway_token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let busy = format!("sk-proj-soon-busy{marker}13Zq9w");
    let (status, body) = seen
        .keep(
            "rest busy primary",
            rest(reqwest::Method::POST, "/orgs/acme/provider-keys")
                .json(&json!({"provider": "openai", "api_key": busy, "role": "primary"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let gateway = |consumer: Option<&str>, body: serde_json::Value| {
        let mut request = api
            .post(format!("{base}/gateway/acme/openai/chat/completions"))
            .header("x-api-key", &gateway_token)
            .json(&body);
        if let Some(consumer) = consumer {
            request = request.header("x-keyhub-consumer", consumer);
        }
        request
    };
    let expert_consumer = format!("expert:{expert_id}");
    for (what, consumer, body) in [
        (
            "gateway expert",
            Some(expert_consumer.as_str()),
            json!({"model": "gpt-4o"}),
        ),
        ("gateway failover", None, json!({"model": "gpt-4o"})),
        (
            "gateway stream",
            None,
            json!({"model": "gpt-4o", "stream": true}),
        ),
    ] {
        let response = gateway(consumer, body).send().await.unwrap();
        assert_eq!(seen.keep(what, response).await.0, 200, "{what}");
    }
    let refused = api
        .post(format!("{base}/gateway/acme/openai/chat/completions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.keep("gateway without scope", refused).await.0, 403);
    let asked: Vec<_> = server.provider_log.all();
    assert!(
        asked.iter().any(|s| s.path.ends_with("/chat/completions")
            && s.key_header.as_deref() == Some("authorization")
            && s.key.contains(&marker)),
        "the canary key reached the provider in its header"
    );
    assert!(
        asked.iter().all(|s| !s.key.starts_with("kh_")),
        "KeyHub's token never travels on"
    );
    // A hostile upstream echoes the key in its page and headers; a link carries the token.
    let hostile = format!("gsk_hostile{marker}14Zq9w");
    let (status, body) = seen
        .keep(
            "rest hostile key",
            rest(reqwest::Method::POST, "/orgs/acme/provider-keys")
                .json(&json!({"provider": "groq", "api_key": hostile, "role": "primary"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let response = browser
        .get(format!(
            "{base}/gateway/acme/groq/hostile-page?key={gateway_token}"
        ))
        .send()
        .await
        .unwrap();
    let (status, page) = seen.keep("gateway hostile page", response).await;
    assert_eq!(status, 200);
    assert!(page.contains("[redacted]"), "{page}");

    // Every page and the server functions behind them, the activity log included.
    let (_, provider_page) = seen
        .keep("provider page", open("/hub/openai").await.unwrap())
        .await;
    assert!(provider_page.contains("UI key"));
    for path in [
        "/hub",
        "/hub/add?provider=openai",
        "/hub/add",
        "/activity",
        "/activity?provider=openai",
        "/settings",
        "/profile",
        "/experts",
        "/experts/new",
        "/assistants",
        "/nowhere",
    ] {
        let response = browser.get(format!("{base}{path}")).send().await.unwrap();
        seen.keep(path, response).await;
    }
    for (path, fields) in [
        ("/api/keys/hub", vec![]),
        (
            "/api/keys/provider",
            vec![("provider", "openai".to_owned())],
        ),
        (
            "/api/activity/list",
            vec![
                ("provider", String::new()),
                ("actor", String::new()),
                ("action", String::new()),
                ("page", "1".into()),
            ],
        ),
    ] {
        let response = form(path, fields).send().await.unwrap();
        seen.keep(path, response).await;
    }
    // A rotation through the UI, then a deletion: both in the log, by hint.
    let (_, page) = seen
        .keep(
            "hub data",
            form("/api/keys/provider", vec![("provider", "openai".into())])
                .send()
                .await
                .unwrap(),
        )
        .await;
    let ui_id = serde_json::from_str::<serde_json::Value>(&page).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["key"]["nickname"] == "UI key")
        .unwrap()["key"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    seen.keep(
        "ui rotate",
        form(
            "/api/keys/rotate",
            vec![("id", ui_id.clone()), ("api_key", canary(11))],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let (status, body) = seen
        .keep(
            "ui rotate rejected",
            form(
                "/api/keys/rotate",
                vec![
                    ("id", ui_id.clone()),
                    ("api_key", format!("sk-proj-invalid-{marker}14Zq9w")),
                ],
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = seen
        .keep(
            "ui move without the key",
            form(
                "/api/keys/edit",
                vec![
                    ("id", ui_id.clone()),
                    ("nickname", "UI key".into()),
                    ("api_base", elsewhere.clone()),
                ],
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("api_key"), "{body}");
    seen.keep(
        "ui rotate masked",
        form(
            "/api/keys/rotate",
            vec![
                ("id", ui_id.clone()),
                ("api_key", format!("{}•••", canary(12))),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    seen.keep(
        "ui delete",
        form(
            "/api/keys/delete",
            vec![("id", ui_id.clone()), ("page", "openai".into())],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    // The page a change comes back to tells what was done, from the stored key.
    let (_, confirmed) = seen
        .keep(
            "deleted, confirmed",
            open(&format!("/hub/openai?done=deleted&key={ui_id}"))
                .await
                .unwrap(),
        )
        .await;
    assert!(
        confirmed.contains("Deleted &#x27;UI key&#x27;") || confirmed.contains("Deleted 'UI key'"),
        "{confirmed}"
    );
    let (_, activity) = seen
        .keep("activity after", open("/activity").await.unwrap())
        .await;
    assert!(activity.contains("key.rotated") && activity.contains("key.deleted"));

    let logs = server.stop();
    assert!(
        logs.contains("KeyHub is listening"),
        "the server's log was captured"
    );
    for record in &seen.0 {
        assert!(
            !record.contains(&marker),
            "the marker reached a response: {record}"
        );
    }
    assert!(!logs.contains(&marker), "the marker reached the log");
    assert!(
        !logs.contains(&gateway_token),
        "a gateway token from `?key=` reached the log"
    );
    let stored = match t.sqlite_file() {
        Some(path) => {
            let mut bytes = std::fs::read(&path).unwrap();
            for suffix in ["-wal", "-journal"] {
                if let Ok(more) = std::fs::read(format!("{}{suffix}", path.display())) {
                    bytes.extend(more);
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        None => t.dump().await,
    };
    assert!(stored.contains("sk-proj..."), "the database was read");
    assert!(!stored.contains(&marker), "the marker is in the database");
}

on_both_backends!(the_canary_never_leaves_the_vault);
