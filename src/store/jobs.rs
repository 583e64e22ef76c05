//! What background jobs need from the database: a lease so one instance runs a job at a time, and
//! the keys due for re-validation.

use super::{Db, StoreError};

/// A key to re-validate: its org, id and when it was last checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueKey {
    pub org_id: String,
    pub key_id: String,
    pub last_validated_at: Option<i64>,
}

impl Db {
    /// Takes or renews the lease `name` for `holder` until `until`; false while another holder's
    /// lease runs.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let renewed = sqlx::query(
            "UPDATE job_leases SET holder = $1, held_until = $2 \
             WHERE name = $3 AND (held_until < $4 OR holder = $1)",
        )
        .bind(holder)
        .bind(until)
        .bind(name)
        .bind(now)
        .execute(self.pool())
        .await?;
        if renewed.rows_affected() == 1 {
            return Ok(true);
        }
        match sqlx::query("INSERT INTO job_leases (name, holder, held_until) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(holder)
            .bind(until)
            .execute(self.pool())
            .await
            .map_err(|e| StoreError::from_write(e, "the lease is held"))
        {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Enabled live keys not validated since `checked_before` (or never), oldest first.
    pub async fn keys_due(
        &self,
        checked_before: i64,
        limit: i64,
    ) -> Result<Vec<DueKey>, StoreError> {
        let rows: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT org_id, id, last_validated_at FROM provider_keys \
             WHERE deleted_at IS NULL AND enabled = $1 AND secret_ciphertext <> '' \
             AND (last_validated_at IS NULL OR last_validated_at < $2) \
             ORDER BY last_validated_at, id LIMIT $3",
        )
        .bind(true)
        .bind(checked_before)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(org_id, key_id, last_validated_at)| DueKey {
                org_id,
                key_id,
                last_validated_at,
            })
            .collect())
    }
}
