use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::config::Settings;
use super::login_limiter::LoginLimiter;
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
    pub login_limiter: Arc<LoginLimiter>,
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
            login_limiter: Arc::new(LoginLimiter::default()),
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
