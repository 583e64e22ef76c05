//! Housekeeping, started with the server: sessions that expired or went idle, invites that were
//! used, revoked or expired, and sign-in counts whose window is over are deleted, so none of them
//! piles up.

use std::time::Duration;

use crate::accounts::AccountError;
use crate::store::now_ms;
use crate::web::state::AppState;

pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// How many rows one sweep deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub invites: u64,
    pub login_attempts: u64,
}

/// Deletes what is dead at `now`.
pub async fn sweep(state: &AppState, now: i64) -> Result<Swept, AccountError> {
    Ok(Swept {
        sessions: state.accounts().purge_dead_sessions(now).await?,
        invites: state.accounts().purge_spent_invites(now).await?,
        login_attempts: state.login_limiter().purge(now).await?,
    })
}

/// Sweeps now and then every `every`, for as long as the server runs.
pub async fn sweep_forever(state: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match sweep(&state, now_ms()).await {
            Ok(swept) => tracing::debug!(?swept, "housekeeping"),
            Err(error) => tracing::warn!(%error, "housekeeping failed; it runs again later"),
        }
    }
}
