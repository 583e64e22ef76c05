//! Usage per key, counted in memory on the request path (a short lock, no database) and added to
//! the database in batches by [`UsageCounter::flush`], every few seconds and at shutdown.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::domain::keys::{KeyStatus, KeyUsage};
use crate::store::keys::KeyRecord;
use crate::store::{Db, StoreError};

/// How often counted usage is written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct UsageCounter {
    /// Key id → (org id, usage since the last flush).
    pending: Mutex<HashMap<String, (String, KeyUsage)>>,
}

impl UsageCounter {
    fn with<F: FnOnce(&mut KeyUsage)>(&self, key: &KeyRecord, change: F) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let (_, usage) = pending
            .entry(key.id.clone())
            .or_insert_with(|| (key.org_id.clone(), KeyUsage::default()));
        change(usage);
    }

    /// A request was sent with the key.
    pub fn used(&self, key: &KeyRecord, now: i64) {
        self.with(key, |usage| {
            usage.requests += 1;
            usage.last_used_at = Some(now);
        });
    }

    /// The key failed at call time, as `status` says; `message` is for people, without the key.
    pub fn failed(&self, key: &KeyRecord, status: KeyStatus, message: &str, now: i64) {
        self.with(key, |usage| {
            match status {
                KeyStatus::RateLimited => usage.rate_limited += 1,
                KeyStatus::NoCredits => usage.no_credits += 1,
                KeyStatus::Invalid | KeyStatus::Expired | KeyStatus::Forbidden => {
                    usage.rejected += 1
                }
                KeyStatus::ProviderDown => usage.provider_failed += 1,
                _ => usage.unreachable += 1,
            }
            usage.last_failure_at = Some(now);
            usage.last_failure = Some(message.to_owned());
        });
    }

    /// Writes what was counted since the last flush in one transaction; kept for the next flush
    /// when the database refuses. The API tokens' last uses are written first.
    pub async fn flush(&self, db: &Db) -> Result<(), StoreError> {
        db.write_token_uses().await?;
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(error) = db.add_usage(&batch).await {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (key_id, (org_id, usage)) in batch {
                let (_, kept) = pending
                    .entry(key_id)
                    .or_insert_with(|| (org_id, KeyUsage::default()));
                merge(kept, usage);
            }
            return Err(error);
        }
        Ok(())
    }

    /// Flushes every [`FLUSH_EVERY`], for as long as the server runs.
    pub async fn flush_forever(self: std::sync::Arc<Self>, db: Db) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(error) = self.flush(&db).await {
                tracing::warn!(%error, "gateway usage not written yet; will retry");
            }
        }
    }
}

fn merge(into: &mut KeyUsage, more: KeyUsage) {
    into.requests += more.requests;
    into.rate_limited += more.rate_limited;
    into.no_credits += more.no_credits;
    into.rejected += more.rejected;
    into.provider_failed += more.provider_failed;
    into.unreachable += more.unreachable;
    into.last_used_at = more.last_used_at.or(into.last_used_at);
    into.last_failure_at = more.last_failure_at.or(into.last_failure_at);
    into.last_failure = more.last_failure.or(into.last_failure.take());
}
