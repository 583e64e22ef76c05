//! Gateway usage per key: counters kept in memory on the request path and added to the database in
//! batches (see [`crate::keys::usage`]).

use std::collections::HashMap;

use sqlx::{FromRow, Row};

use super::{Db, StoreError};
use crate::domain::keys::KeyUsage;

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
        Ok(())
    }

    /// The usage of an org's keys, by key id (one query for a page or a list).
    pub async fn usage_of(&self, org_id: &str) -> Result<HashMap<String, KeyUsage>, StoreError> {
        let rows = sqlx::query(
            "SELECT key_id, requests, rate_limited, no_credits, rejected, provider_failed, \
             unreachable, last_used_at, last_failure_at, last_failure FROM key_usage WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("key_id")?, KeyUsage::from_row(row)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
