use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::config::Settings;
use super::login_limiter::LoginLimiter;
use crate::accounts::setup_code::SetupCode;
use crate::accounts::{AccountError, Accounts, SessionPolicy};
use crate::consumers::ConsumerService;
use crate::gateway::Gateway;
use crate::keyring::Keyring;
use crate::keys::KeyService;
use crate::resolution::Resolver;
use crate::store::Db;
use crate::validation::Prober;
use crate::vault::MasterKeys;

/// Everything a request handler, server function or page may need. Cheap to clone.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Db,
    pub vault: Arc<MasterKeys>,
    pub keyring: Keyring,
    pub keys: KeyService,
    pub consumers: ConsumerService,
    pub gateway: Gateway,
    pub accounts: Accounts,
    pub login_limiter: LoginLimiter,
    /// The one-time code `/setup` asks for (see [`AppState::issue_setup_code`]).
    pub setup_code: Arc<SetupCode>,
    /// Set once first-run setup has happened; it never becomes unset.
    set_up: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        settings: Settings,
        db: Db,
        vault: Arc<MasterKeys>,
    ) -> AppState {
        let keyring = Keyring::new(db.clone(), vault.clone());
        AppState {
            leptos_options,
            keys: KeyService::new(
                db.clone(),
                keyring.clone(),
                Prober::new(settings.provider_base_overrides.clone(), &settings.egress()),
                settings.allow_private_endpoints,
            ),
            consumers: ConsumerService::new(
                db.clone(),
                Resolver::new(db.clone(), keyring.clone(), settings.platform_keys.clone()),
            ),
            gateway: Gateway::new(settings.gateway.clone(), &settings.egress()),
            keyring,
            accounts: Accounts::new(db.clone(), SessionPolicy::default()),
            login_limiter: LoginLimiter::new(db.clone()),
            setup_code: Arc::default(),
            settings: Arc::new(settings),
            db,
            vault,
            set_up: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn is_https(&self) -> bool {
        self.settings
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// At start, while KeyHub is not set up: a fresh setup code, written to its file and announced in
    /// the log. Until this runs, `/setup` accepts no code at all.
    pub async fn issue_setup_code(&self) -> Result<(), AccountError> {
        if self.is_set_up().await? {
            crate::accounts::setup_code::remove_file(&self.settings.data_dir);
            return Ok(());
        }
        let (code, written) = self.setup_code.issue(&self.settings.data_dir);
        match written {
            Ok(path) => tracing::warn!(
                "KeyHub is not set up yet. Open /setup and enter the setup code {} (also in {}), \
                 or run `keyhub create-admin`.",
                code.expose(),
                path.display()
            ),
            Err(error) => tracing::warn!(
                "KeyHub is not set up yet. Open /setup and enter the setup code {}, or run \
                 `keyhub create-admin`. (The code could not be written to the data folder: {error}.)",
                code.expose()
            ),
        }
        Ok(())
    }

    /// Whether first-run setup has happened (asked of the database until it has).
    pub async fn is_set_up(&self) -> Result<bool, AccountError> {
        if self.set_up.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let set_up = !self.accounts.needs_setup().await?;
        if set_up {
            self.set_up.store(true, Ordering::Relaxed);
        }
        Ok(set_up)
    }
}
