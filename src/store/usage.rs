//! Gateway usage per key: counters kept in memory on the request path and added to the database in
//! batches (see [`crate::keys::usage`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sqlx::{FromRow, Row};

use super::{Db, StoreError};
use crate::domain::keys::KeyUsage;

/// An org's usage by key id.
pub type OrgUsage = Arc<HashMap<String, KeyUsage>>;

/// Each org's usage as last read, and when: pages that show it read it from memory for a moment
/// instead of asking the database on every view. This instance's own writes drop it all at once;
/// another instance's show after [`super::view::VERSION_CHECK_EVERY`] at most (counted usage
/// reaches the database every few seconds anyway).
#[derive(Default)]
pub(super) struct UsageRead(Mutex<Held>);

#[derive(Default)]
struct Held {
    /// Moves on every write: a read that began before a write is not kept.
    writes: u64,
    by_org: HashMap<String, (Instant, OrgUsage)>,
}

impl UsageRead {
    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The org's usage if it was read a moment ago; else what to hand to [`UsageRead::keep`].
    fn fresh(&self, org_id: &str) -> Result<OrgUsage, (Instant, u64)> {
        let held = self.held();
        match held.by_org.get(org_id) {
            Some((read_at, usage)) if read_at.elapsed() < super::view::VERSION_CHECK_EVERY => {
                Ok(Arc::clone(usage))
            }
            _ => Err((Instant::now(), held.writes)),
        }
    }

    fn keep(&self, org_id: &str, (read_at, writes): (Instant, u64), usage: &OrgUsage) {
        let mut held = self.held();
        if held.writes == writes {
            held.by_org
                .insert(org_id.to_owned(), (read_at, Arc::clone(usage)));
        }
    }

    fn written(&self) {
        let mut held = self.held();
        held.writes += 1;
        held.by_org.clear();
    }
}

impl Db {
    /// Adds counted usage: one transaction for the whole batch (key id → (org id, usage so far)).
    pub async fn add_usage(
        &self,
        batch: &HashMap<String, (String, KeyUsage)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (key_id, (org_id, usage)) in batch {
            sqlx::query(
                "INSERT INTO key_usage (key_id, org_id, requests, rate_limited, no_credits, rejected, \
                 provider_failed, unreachable, last_used_at, last_failure_at, last_failure) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (key_id) DO UPDATE SET requests = key_usage.requests + excluded.requests, \
                 rate_limited = key_usage.rate_limited + excluded.rate_limited, \
                 no_credits = key_usage.no_credits + excluded.no_credits, \
                 rejected = key_usage.rejected + excluded.rejected, \
                 provider_failed = key_usage.provider_failed + excluded.provider_failed, \
                 unreachable = key_usage.unreachable + excluded.unreachable, \
                 last_used_at = COALESCE(excluded.last_used_at, key_usage.last_used_at), \
                 last_failure_at = COALESCE(excluded.last_failure_at, key_usage.last_failure_at), \
                 last_failure = COALESCE(excluded.last_failure, key_usage.last_failure)",
            )
            .bind(key_id)
            .bind(org_id)
            .bind(usage.requests)
            .bind(usage.rate_limited)
            .bind(usage.no_credits)
            .bind(usage.rejected)
            .bind(usage.provider_failed)
            .bind(usage.unreachable)
            .bind(usage.last_used_at)
            .bind(usage.last_failure_at)
            .bind(usage.last_failure.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.usage_read.written();
        Ok(())
    }

    /// The usage of an org's keys, by key id: one query for a page or a list, or none when it was
    /// read a moment ago (see [`UsageRead`]).
    pub async fn usage_of(&self, org_id: &str) -> Result<OrgUsage, StoreError> {
        let began = match self.usage_read.fresh(org_id) {
            Ok(usage) => return Ok(usage),
            Err(began) => began,
        };
        let rows = sqlx::query(
            "SELECT key_id, requests, rate_limited, no_credits, rejected, provider_failed, \
             unreachable, last_used_at, last_failure_at, last_failure FROM key_usage WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let usage: OrgUsage = Arc::new(
            rows.iter()
                .map(|row| Ok((row.try_get("key_id")?, KeyUsage::from_row(row)?)))
                .collect::<Result<_, sqlx::Error>>()?,
        );
        self.usage_read.keep(org_id, began, &usage);
        Ok(usage)
    }
}
