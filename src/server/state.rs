use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::config::Settings;
use crate::keyring::Keyring;
use crate::store::Db;
use crate::vault::MasterKeys;

/// Everything a request handler, server function or page may need. Cheap to clone.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Db,
    pub vault: Arc<MasterKeys>,
    pub keyring: Keyring,
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        settings: Settings,
        db: Db,
        vault: Arc<MasterKeys>,
    ) -> AppState {
        AppState {
            leptos_options,
            settings: Arc::new(settings),
            keyring: Keyring::new(db.clone(), vault.clone()),
            db,
            vault,
        }
    }
}
