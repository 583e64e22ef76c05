//! Test harness: fresh databases on both backends, settings, and the real router on a loopback port.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use keyhub::accounts::tokens::{TokenRequest, Tokens};
use keyhub::config::Settings;
use keyhub::domain::accounts::TokenScope;
use keyhub::server::application::Application;
use keyhub::store::accounts::Membership;
use keyhub::store::{Access, Backend, Db};
use keyhub::vault::{MasterKeys, SecretString};
use keyhub::web::state::AppState;
use sqlx::Connection;

#[path = "../support/fake_provider.rs"]
pub mod fake_provider;
#[path = "../support/plug.rs"]
pub mod plug;

/// A Google service-account key file for tests. Its RSA key was generated for these tests only and
/// grants nothing anywhere.
pub fn test_service_account(email: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "type": "service_account",
        "project_id": "proj",
        "private_key_id": "0123456789abcdef9fQ1",
        "private_key": include_str!("../support/test_only_service_account.pem"),
        "client_email": email,
        "token_uri": "https://attacker.example/token",
    }))
    .unwrap()
}

/// Settings that point every provider at the fake provider at `base` (private endpoints allowed,
/// as the fake listens on loopback).
pub fn fake_provider_vars(base: &str) -> Vec<(String, String)> {
    let mut vars = fake_provider::settings(base);
    // Tests run the re-validation job themselves, one run at a time, so none runs on its own.
    vars.push(("KEYHUB_REVALIDATE_HOURS".into(), "0".into()));
    vars
}

/// The PostgreSQL server tests create their databases on. Required when `CI` is set.
pub fn postgres_admin_url() -> String {
    std::env::var("KEYHUB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own for one test: a SQLite file in a temporary directory, or a freshly
/// created PostgreSQL database.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres_name: Option<String>,
    last_master_key: std::sync::Mutex<Option<String>>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("keyhub.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            dir,
            postgres_name: None,
            last_master_key: Default::default(),
        }
    }

    /// `None` (with a note) when PostgreSQL is unreachable outside CI; a failure inside CI.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = postgres_admin_url();
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(error) if std::env::var_os("CI").is_none() => {
                eprintln!(
                    "SKIPPED: PostgreSQL at {admin_url} is unreachable ({error}); CI requires it"
                );
                return None;
            }
            Err(error) => panic!("CI requires PostgreSQL at {admin_url}: {error}"),
        };
        let name = format!("keyhub_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap();
        Some(TestDb {
            backend: Backend::Postgres,
            url: format!("{base}/{name}"),
            dir: tempfile::tempdir().expect("temp dir"),
            postgres_name: Some(name),
            last_master_key: Default::default(),
        })
    }

    pub fn sqlite_file(&self) -> Option<PathBuf> {
        keyhub::store::sqlite_path(&self.url)
    }

    /// Settings for this database with the given master key list.
    pub fn settings(&self, master_key: Option<&str>) -> Settings {
        self.settings_with(master_key, &[])
    }

    pub fn settings_with(&self, master_key: Option<&str>, extra: &[(&str, &str)]) -> Settings {
        let mut vars = vec![
            ("KEYHUB_DATABASE_URL".to_owned(), self.url.clone()),
            (
                "KEYHUB_DATA_DIR".to_owned(),
                self.dir.path().display().to_string(),
            ),
            // PostgreSQL's default is off; the upgrade tests set it as they need.
            ("KEYHUB_AUTO_MIGRATE".to_owned(), "true".to_owned()),
        ];
        if let Some(key) = master_key {
            vars.push(("KEYHUB_MASTER_KEY".to_owned(), key.to_owned()));
        }
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Settings::from_vars(vars).expect("valid test settings")
    }

    /// A migrated database with its vault initialized under `master_key`.
    pub async fn open(&self, master_key: &str) -> (Db, Arc<MasterKeys>) {
        *self.last_master_key.lock().unwrap() = Some(master_key.to_owned());
        keyhub::server::startup::open_vault(&self.settings(Some(master_key)))
            .await
            .expect("vault opens")
    }

    /// Reopens this test's database with the master key it was first opened with.
    pub async fn open_existing(&self) -> (Db, Arc<MasterKeys>) {
        let key = self
            .last_master_key
            .lock()
            .unwrap()
            .clone()
            .expect("opened before");
        self.open(&key).await
    }

    /// Every byte of the database as text: the SQLite file with its WAL, or a PostgreSQL dump.
    pub async fn dump(&self) -> String {
        match self.sqlite_file() {
            Some(file) => {
                let mut bytes = std::fs::read(&file).unwrap_or_default();
                for suffix in ["-wal", "-shm"] {
                    let mut path = file.clone().into_os_string();
                    path.push(suffix);
                    bytes.extend(std::fs::read(path).unwrap_or_default());
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            None => {
                let output = std::process::Command::new("pg_dump")
                    .arg(&self.url)
                    .output()
                    .expect("pg_dump runs");
                assert!(
                    output.status.success(),
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                // pg_dump marks each dump with a random `\restrict` token; it is not data.
                String::from_utf8(output.stdout)
                    .expect("dump is text")
                    .lines()
                    .filter(|line| {
                        !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
    }

    pub async fn drop_database(self) {
        if let Some(name) = &self.postgres_name {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
        }
    }
}

/// Runs an async scenario `fn(&TestDb)` once on SQLite and once on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),+ $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test]
                async fn sqlite() {
                    let db = $crate::common::TestDb::sqlite().await;
                    super::$scenario(&db).await;
                    db.drop_database().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(db) = $crate::common::TestDb::postgres().await else { return };
                    super::$scenario(&db).await;
                    db.drop_database().await;
                }
            }
        )+
    };
}

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const OWNER_PASSWORD: &str = "correct horse battery staple";

pub fn new_master_key() -> String {
    MasterKeys::generate().expose().to_owned()
}

/// The real router on `127.0.0.1:0`, with a client that keeps cookies and does not follow redirects.
pub struct TestApp {
    pub address: SocketAddr,
    /// The gateway's own listener, with `KEYHUB_GATEWAY_ADDR` (e.g. `127.0.0.1:0`).
    pub gateway_address: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub state: AppState,
    pub gateway: keyhub::gateway::GatewayState,
    /// The database under the services, for what a test sets up or checks directly.
    pub db: Db,
    pub vault: Arc<MasterKeys>,
    /// The fake provider every provider points at, and what it was asked.
    pub provider_base: String,
    pub provider_log: fake_provider::Log,
    master_key: String,
}

impl TestApp {
    pub async fn spawn(test_db: &TestDb) -> TestApp {
        TestApp::spawn_with(test_db, &[]).await
    }

    /// With extra `KEYHUB_*` settings, e.g. `KEYHUB_PUBLIC_URL`.
    pub async fn spawn_with(test_db: &TestDb, extra: &[(&str, &str)]) -> TestApp {
        TestApp::start(test_db, new_master_key(), extra).await
    }

    /// With the master keys given (e.g. `new,old` during a rotation).
    pub async fn spawn_with_master_key(test_db: &TestDb, master_key: &str) -> TestApp {
        TestApp::start(test_db, master_key.to_owned(), &[]).await
    }

    /// Another KeyHub instance on this one's database, with the same master key (and a fake
    /// provider of its own), as several instances behind a load balancer run.
    pub async fn another_instance(&self, test_db: &TestDb) -> TestApp {
        TestApp::start(test_db, self.master_key.clone(), &[]).await
    }

    async fn start(test_db: &TestDb, master_key: String, extra: &[(&str, &str)]) -> TestApp {
        let (provider_base, provider_log) = fake_provider::spawn().await;
        let mut vars = fake_provider_vars(&provider_base);
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let settings = test_db.settings_with(Some(&master_key), &vars);
        let options = leptos::config::LeptosOptions::builder()
            .output_name("keyhub")
            .site_root("target/site")
            .build();
        let gateway_at = settings.gateway_addr;
        let app = Application::open(settings, options)
            .await
            .expect("KeyHub starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let gateway_listener = match gateway_at {
            Some(at) => Some(tokio::net::TcpListener::bind(at).await.unwrap()),
            None => None,
        };
        let gateway_address = gateway_listener
            .as_ref()
            .map(|listener| listener.local_addr().unwrap());
        let (state, gateway) = (app.state().clone(), app.gateway().clone());
        let (db, vault) = (app.db().clone(), app.vault().clone());
        app.start_background_jobs();
        tokio::spawn(app.serve(listener, gateway_listener, std::future::pending()));
        TestApp {
            address,
            gateway_address,
            client: new_client(),
            state,
            gateway,
            db,
            vault,
            provider_base,
            provider_log,
            master_key,
        }
    }

    /// The master keys this app runs with, as configured.
    pub fn master_key(&self) -> &str {
        &self.master_key
    }

    /// The keyring over this app's database and vault, to open what the services sealed.
    pub fn keyring(&self) -> keyhub::keys::keyring::Keyring {
        keyhub::keys::keyring::Keyring::new(self.db.clone(), self.vault.clone())
    }

    /// The first owner's user id and their membership of Acme (after [`TestApp::set_up_owner`]).
    pub async fn owner(&self) -> (String, Membership) {
        let user = self
            .state
            .accounts()
            .authenticate(OWNER_EMAIL, secret(OWNER_PASSWORD))
            .await
            .expect("the owner signs in");
        let membership = self
            .state
            .accounts()
            .memberships(&user.id)
            .await
            .unwrap()
            .remove(0);
        (user.id, membership)
    }

    /// A browser of its own (its own cookies), signed in with `email` and `password`.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Client {
        let client = new_client();
        let response = client
            .post(self.url("/api/auth/login"))
            .header("origin", self.origin())
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "sign-in of {email} failed: {}",
            response.status()
        );
        client
    }

    /// The org's latest activity events, newest first.
    pub async fn events(&self, org_id: &str) -> Vec<keyhub::store::activity::Event> {
        let filter = keyhub::store::activity::EventFilter {
            limit: 100,
            ..Default::default()
        };
        self.db.events(org_id, &filter).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// The origin a KeyHub page of this app sends.
    pub fn origin(&self) -> String {
        self.state
            .settings()
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.address))
    }

    /// A form POST to a server function, as a KeyHub page sends it.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", self.origin())
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// The setup code this app printed at start, as its operator reads it from the data folder.
    pub fn setup_code(&self) -> String {
        let path = keyhub::accounts::setup_code::file_path(&self.state.settings().data_dir);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{} is readable: {error}", path.display()))
            .trim()
            .to_owned()
    }

    /// Runs first-run setup through the web form, with the setup code; the client is then signed
    /// in as the owner.
    pub async fn set_up_owner(&self) -> reqwest::Response {
        let code = self.setup_code();
        let response = self
            .post_form(
                "/api/auth/setup",
                &[
                    ("email", OWNER_EMAIL),
                    ("password", OWNER_PASSWORD),
                    ("org_name", "Acme Labs"),
                    ("org_slug", "acme"),
                    ("setup_code", &code),
                ],
            )
            .await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "setup failed: {}",
            response.status()
        );
        response
    }
}

/// Everything a finished command printed, its errors first.
pub fn stderr_and_stdout(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    )
}

/// The real `keyhub` binary on `t`'s database and data folder, with `master_key` when given.
pub fn keyhub_binary(t: &TestDb, args: &[&str], master_key: Option<&str>) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_keyhub"));
    command
        .args(args)
        .current_dir(t.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KEYHUB_DATABASE_URL", &t.url)
        .env("KEYHUB_DATA_DIR", t.dir.path())
        .env("KEYHUB_AUTO_MIGRATE", "true")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0");
    if let Some(key) = master_key {
        command.env("KEYHUB_MASTER_KEY", key);
    }
    command
}

/// A client that keeps cookies and does not follow redirects. A bound on every request: a hang must
/// fail its test, not stall the whole run.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A second pool on the same database, for raw SQL in tests.
pub async fn raw(test_db: &TestDb) -> Db {
    Db::connect(&test_db.url, Access::ReadWrite).await.unwrap()
}

/// Damages a stored key's ciphertext in place, as a bad disk or a careless edit would.
pub async fn damage_sealed_secret(test_db: &TestDb, key_id: &str) {
    sqlx::query(
        "UPDATE provider_keys SET secret_ciphertext = secret_ciphertext || 'AAAA' WHERE id = $1",
    )
    .bind(key_id)
    .execute(raw(test_db).await.pool())
    .await
    .unwrap();
}

pub fn secret(text: &str) -> SecretString {
    SecretString::new(text)
}

/// The first owner and a member of Acme, as key actors.
pub struct People {
    pub owner: keyhub::store::accounts::User,
    pub owner_membership: Membership,
    pub member: keyhub::store::accounts::User,
    pub member_membership: Membership,
}

impl People {
    pub fn owner(&self) -> keyhub::keys::KeyActor<'_> {
        keyhub::keys::KeyActor::Member {
            user: &self.owner,
            membership: &self.owner_membership,
        }
    }

    pub fn member(&self) -> keyhub::keys::KeyActor<'_> {
        keyhub::keys::KeyActor::Member {
            user: &self.member,
            membership: &self.member_membership,
        }
    }
}

/// A new member, added by `admin`, who has already replaced the initial password with their own
/// `password` (as at their first sign-in), so they can sign in and act at once.
pub async fn join(
    db: &Db,
    admin: keyhub::accounts::members::Actor<'_>,
    email: &str,
    password: &str,
    role: keyhub::domain::accounts::OrgRole,
) -> keyhub::store::accounts::User {
    use keyhub::accounts::members::{Added, Members};
    let Ok(Added::NewAccount(user)) = Members(db).add(admin, email, secret(password), role).await
    else {
        panic!("{email} is added as a new account");
    };
    sqlx::query("UPDATE users SET must_change_password = $1 WHERE id = $2")
        .bind(false)
        .bind(&user.id)
        .execute(db.pool())
        .await
        .expect("the member has chosen their password");
    user
}

pub async fn people(app: &TestApp) -> People {
    app.set_up_owner().await;
    let (owner_id, owner_membership) = app.owner().await;
    let owner = app.db.user(&owner_id).await.unwrap().unwrap();
    let actor = keyhub::accounts::members::Actor {
        user_id: &owner_id,
        membership: &owner_membership,
    };
    let member = join(
        &app.db,
        actor,
        "member@example.com",
        OWNER_PASSWORD,
        keyhub::domain::accounts::OrgRole::Member,
    )
    .await;
    let member_membership = Membership {
        role: keyhub::domain::accounts::OrgRole::Member,
        ..owner_membership.clone()
    };
    People {
        owner,
        owner_membership,
        member,
        member_membership,
    }
}

/// Keys added through the key service without a provider to ask: every provider points at a closed
/// port, so each key is saved as not verified. Acts as a `keys:write` token of the org.
pub struct OfflineKeys {
    keys: keyhub::keys::KeyService,
    caller: keyhub::accounts::tokens::TokenCaller,
}

impl OfflineKeys {
    pub fn new(db: &Db, vault: Arc<MasterKeys>, org: &keyhub::store::orgs::Organization) -> Self {
        let closed_port: std::collections::BTreeMap<String, String> =
            keyhub::domain::catalog::PROVIDERS
                .iter()
                .map(|p| (p.id.to_owned(), "http://127.0.0.1:9".to_owned()))
                .collect();
        let egress = keyhub::upstream::Egress {
            allow_private: true,
            proxy: None,
        };
        let keyring = keyhub::keys::keyring::Keyring::new(db.clone(), vault);
        let prober = keyhub::upstream::Prober::new(closed_port, &egress);
        OfflineKeys {
            keys: keyhub::keys::KeyService::new(db.clone(), keyring, prober, true),
            caller: keyhub::accounts::tokens::TokenCaller {
                token_id: "offline".to_owned(),
                label: "test setup".to_owned(),
                org: org.clone(),
                scopes: vec![keyhub::domain::accounts::TokenScope::KeysWrite],
            },
        }
    }

    /// Adds the key as [`KeyService::create`](keyhub::keys::KeyService::create) does.
    pub async fn store(
        &self,
        draft: keyhub::keys::KeyDraft,
    ) -> Result<keyhub::store::keys::KeyRecord, keyhub::keys::KeyError> {
        let actor = keyhub::keys::KeyActor::Token(&self.caller);
        Ok(self.keys.create(actor, draft).await?.key)
    }
}

/// An OpenAI key of the org, checked with the (fake) provider before it is saved.
pub fn openai_key(
    secret_text: &str,
    nickname: &str,
    role: keyhub::keys::arrangement::RoleChange,
) -> keyhub::keys::KeyDraft {
    keyhub::keys::KeyDraft {
        provider: "openai".to_owned(),
        api_key: secret(secret_text),
        nickname: Some(nickname.to_owned()),
        api_base: None,
        options: Default::default(),
        role,
        enabled: true,
        scope: keyhub::domain::keys::Scope::Org,
        allow_unverified: false,
    }
}

/// An org key to add, allowed to be saved unverified.
pub fn key_draft(
    provider: &str,
    secret_text: &str,
    role: keyhub::keys::arrangement::RoleChange,
) -> keyhub::keys::KeyDraft {
    keyhub::keys::KeyDraft {
        provider: provider.to_owned(),
        api_key: secret(secret_text),
        nickname: Some("Production".to_owned()),
        api_base: None,
        options: Default::default(),
        role,
        enabled: true,
        scope: keyhub::domain::keys::Scope::Org,
        allow_unverified: true,
    }
}

/// A token of Acme (which must exist) with `scopes`, as its secret.
pub async fn api_token(app: &TestApp, scopes: &[TokenScope]) -> String {
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let request = TokenRequest {
        name: "test token",
        scopes,
        lifetime_days: None,
    };
    let created = Tokens(&app.db)
        .create_in(&org, None, request)
        .await
        .unwrap();
    created.secret.expose().to_owned()
}
