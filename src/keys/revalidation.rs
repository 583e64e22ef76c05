//! Re-validating enabled keys in the background (SPEC.md §5): every key about once per interval,
//! each a little early by its own jitter so keys added together spread out, a bounded number at a
//! time, and only on the instance that holds the job's lease when several share one database.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::keys::KeyService;
use crate::store::{new_id, now_ms, Db, StoreError};

const LEASE: &str = "revalidation";
/// How many due keys one run takes on; the next run continues.
const BATCH: i64 = 1000;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Whether this instance held the lease (another instance did the work otherwise).
    pub leader: bool,
    pub due: usize,
    pub checked: usize,
}

#[derive(Clone, Debug)]
pub struct Revalidation {
    db: Db,
    keys: KeyService,
    every: Duration,
    concurrency: usize,
    holder: String,
}

impl Revalidation {
    pub fn new(db: Db, keys: KeyService, every: Duration, concurrency: usize) -> Revalidation {
        Revalidation {
            db,
            keys,
            every,
            concurrency: concurrency.max(1),
            holder: new_id(),
        }
    }

    fn every_ms(&self) -> i64 {
        self.every.as_millis() as i64
    }

    /// Up to a tenth of the interval, fixed per key.
    fn jitter_ms(&self, key_id: &str) -> i64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key_id.hash(&mut hasher);
        (hasher.finish() % (self.every_ms() as u64 / 10 + 1)) as i64
    }

    /// Checks the keys due at `now`. Does nothing (one indexed query) when none is.
    pub async fn run_once(&self, now: i64) -> Result<RunReport, StoreError> {
        let lease_ms = (self.every_ms() / 2).clamp(60_000, 15 * 60_000);
        if !self
            .db
            .take_lease(LEASE, &self.holder, now, now + lease_ms)
            .await?
        {
            return Ok(RunReport::default());
        }
        let earliest_due = now - (self.every_ms() - self.every_ms() / 10);
        let due: Vec<_> = self
            .db
            .keys_due(earliest_due, BATCH)
            .await?
            .into_iter()
            .filter(|key| {
                key.last_validated_at
                    .is_none_or(|at| at + self.every_ms() - self.jitter_ms(&key.key_id) <= now)
            })
            .collect();
        let mut report = RunReport {
            leader: true,
            due: due.len(),
            checked: 0,
        };
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut running = JoinSet::new();
        for key in due {
            let slot = slots.clone().acquire_owned().await.expect("never closed");
            let keys = self.keys.clone();
            running.spawn(async move {
                let _slot = slot;
                keys.revalidate(&key.org_id, &key.key_id).await
            });
        }
        while let Some(result) = running.join_next().await {
            match result {
                Ok(Ok(Some(_))) => report.checked += 1,
                Ok(Ok(None)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "re-validating a key failed"),
                Err(error) => tracing::warn!(%error, "a re-validation task failed"),
            }
        }
        Ok(report)
    }

    /// Runs every `tick` until the process ends.
    pub async fn run_forever(self, tick: Duration) {
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match self.run_once(now_ms()).await {
                Ok(report) if report.checked > 0 => {
                    tracing::info!(checked = report.checked, "re-validated keys")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "re-validation run failed"),
            }
        }
    }
}
