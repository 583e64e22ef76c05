use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::handover::Handover;
use crate::accounts::login_limiter::LoginLimiter;
use crate::accounts::setup_code::SetupCode;
use crate::accounts::{AccountError, Accounts, SessionPolicy};
use crate::activity::ActivityService;
use crate::config::Settings;
use crate::consumers::ConsumerService;
use crate::keys::keyring::Keyring;
use crate::keys::KeyService;
use crate::resolution::Resolver;
use crate::store::Db;
use crate::transfer::Transfer;
use crate::upstream::Prober;
use crate::vault::MasterKeys;

/// What a page, server function or REST handler may use: the services, never the database, the
/// keyring or the vault, so a door cannot step around the rules the services hold. One reference
/// count to clone (axum clones the state for every extractor and middleware of every request).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Services>);

#[derive(Debug)]
struct Services {
    leptos_options: LeptosOptions,
    settings: Settings,
    keys: KeyService,
    consumers: ConsumerService,
    transfer: Transfer,
    activity: ActivityService,
    accounts: Accounts,
    login_limiter: LoginLimiter,
    handover: Handover,
    /// The one-time code `/setup` asks for (see [`AppState::issue_setup_code`]).
    setup_code: SetupCode,
    /// Set once first-run setup has happened; it never becomes unset.
    set_up: AtomicBool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options().clone()
    }
}

impl AppState {
    /// Every service over one database and vault.
    pub fn new(
        leptos_options: LeptosOptions,
        settings: Settings,
        db: Db,
        vault: Arc<MasterKeys>,
    ) -> AppState {
        let keyring = Keyring::new(db.clone(), vault.clone());
        let keys = KeyService::new(
            db.clone(),
            keyring.clone(),
            Prober::new(settings.provider_base_overrides.clone(), &settings.egress()),
            settings.allow_private_endpoints,
        );
        let transfer = Transfer::new(db.clone(), keyring.clone());
        let consumers = ConsumerService::new(
            db.clone(),
            Resolver::new(db.clone(), keyring, settings.platform_keys.clone()),
        );
        let accounts = Accounts::new(db.clone(), SessionPolicy::default());
        AppState(Arc::new(Services {
            leptos_options,
            keys,
            consumers,
            transfer,
            activity: ActivityService::new(db.clone()),
            accounts,
            login_limiter: LoginLimiter::new(db.clone()),
            setup_code: SetupCode::new(db, vault.clone()),
            handover: Handover::new(vault),
            settings,
            set_up: AtomicBool::new(false),
        }))
    }

    pub fn leptos_options(&self) -> &LeptosOptions {
        &self.0.leptos_options
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn keys(&self) -> &KeyService {
        &self.0.keys
    }

    pub fn consumers(&self) -> &ConsumerService {
        &self.0.consumers
    }

    pub fn transfer(&self) -> &Transfer {
        &self.0.transfer
    }

    pub fn activity(&self) -> &ActivityService {
        &self.0.activity
    }

    pub fn accounts(&self) -> &Accounts {
        &self.0.accounts
    }

    pub fn login_limiter(&self) -> &LoginLimiter {
        &self.0.login_limiter
    }

    pub fn handover(&self) -> &Handover {
        &self.0.handover
    }

    pub fn setup_code(&self) -> &SetupCode {
        &self.0.setup_code
    }

    pub fn is_https(&self) -> bool {
        self.0
            .settings
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// At start, while KeyHub is not set up: a fresh setup code, written to its file and announced in
    /// the log. Until this runs, `/setup` accepts no code at all.
    pub async fn issue_setup_code(&self) -> Result<(), AccountError> {
        if self.is_set_up().await? {
            crate::accounts::setup_code::remove_file(&self.0.settings.data_dir);
            return Ok(());
        }
        let (code, written) = self.0.setup_code.issue(&self.0.settings.data_dir).await?;
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
        if self.0.set_up.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let set_up = !self.0.accounts.needs_setup().await?;
        if set_up {
            self.0.set_up.store(true, Ordering::Relaxed);
        }
        Ok(set_up)
    }
}
