//! One KeyHub instance, assembled: the vault opened, every service built, the background jobs
//! started, and the listeners served until told to stop. `keyhub serve` and the test harness both
//! start KeyHub through [`Application`], so what is tested is what runs.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use super::housekeeping;
use super::router::{build_router, gateway_router};
use super::site_files::EmbeddedSite;
use super::startup::{open_vault, StartupError};
use crate::config::Settings;
use crate::gateway::{Gateway, GatewayState};
use crate::keys::revalidation::Revalidation;
use crate::store::Db;
use crate::vault::MasterKeys;
use crate::web::state::AppState;

/// How many keys the background re-validation checks at once.
const REVALIDATION_CONCURRENCY: usize = 8;
/// How often the re-validation job looks for keys that are due.
const REVALIDATION_TICK: Duration = Duration::from_secs(60);

pub struct Application {
    state: AppState,
    gateway: GatewayState,
    db: Db,
    vault: Arc<MasterKeys>,
    site: Option<EmbeddedSite>,
}

impl Application {
    /// Opens the vault (see [`open_vault`]), builds the services, binds keys sealed by an older
    /// KeyHub to their destination, and while KeyHub is not set up issues the setup code.
    pub async fn open(
        settings: Settings,
        mut leptos_options: LeptosOptions,
    ) -> Result<Application, StartupError> {
        let (db, vault) = open_vault(&settings).await?;
        let site = EmbeddedSite::in_force();
        if let Some(site) = &site {
            leptos_options.site_pkg_dir = site.pkg_dir().into();
        }
        tracing::info!(
            database = %settings.database_display(),
            master_keys = vault.count(),
            "vault unsealed"
        );
        let state = AppState::new(leptos_options, settings, db.clone(), vault.clone());
        state.keys().bind_older_envelopes().await;
        state.issue_setup_code().await?;
        let settings = state.settings();
        let gateway = GatewayState::new(
            Gateway::new(settings.gateway.clone(), &settings.egress()),
            state.accounts().clone(),
            state.keys().clone(),
            state.consumers().clone(),
        );
        Ok(Application {
            state,
            gateway,
            db,
            vault,
            site,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn gateway(&self) -> &GatewayState {
        &self.gateway
    }

    /// The database, for maintenance and tests; requests reach it only through the services.
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn vault(&self) -> &Arc<MasterKeys> {
        &self.vault
    }

    /// Housekeeping, the gateway's usage flush, keeping the in-memory view fresh and, when
    /// configured, background re-validation.
    pub fn start_background_jobs(&self) {
        tokio::spawn(self.db.clone().keep_views_fresh());
        tokio::spawn(housekeeping::sweep_forever(
            self.state.clone(),
            housekeeping::EVERY,
        ));
        if let Some(every) = self.state.settings().revalidate_every {
            let job = Revalidation::new(
                self.db.clone(),
                self.state.keys().clone(),
                every,
                REVALIDATION_CONCURRENCY,
            );
            tokio::spawn(job.run_forever(REVALIDATION_TICK));
        }
        let usage = self.gateway.usage().clone();
        tokio::spawn(usage.flush_forever(self.db.clone()));
    }

    /// Serves pages, server functions and the REST API on `listener`, and the gateway on
    /// `gateway_listener` when it has one of its own (else on `listener`), until `shutdown`; lets
    /// the requests in flight finish, writes the last gateway usage and closes the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        gateway_listener: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        let timeouts = self.state.settings().http;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let gateway = gateway_listener.map(|listener| {
            let router = gateway_router(self.gateway.clone(), self.state.is_https());
            let stopped = until_stopped(stopped.clone());
            tokio::spawn(super::serve(listener, router, timeouts, stopped))
        });
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        super::serve(
            listener,
            build_router(self.state.clone(), self.gateway.clone(), self.site),
            timeouts,
            until_stopped(stopped),
        )
        .await;
        if let Some(gateway) = gateway {
            let _ = gateway.await;
        }
        if let Err(error) = self.gateway.usage().flush(&self.db).await {
            tracing::warn!(%error, "the last gateway usage could not be written");
        }
        self.db.close().await;
    }
}
