use super::activity::{insert_event, NewEvent};
use super::{now_ms, Db, StoreError};

const CANARY: &str = "canary";
/// The setup code (sealed) while KeyHub is not set up; deleted when setup is done.
pub(super) const SETUP_CODE: &str = "setup_code";

impl Db {
    /// The sealed canary, or `None` when the schema or the canary does not exist yet.
    pub async fn vault_canary(&self) -> Result<Option<String>, StoreError> {
        if !self.is_initialized().await? {
            return Ok(None);
        }
        Ok(
            sqlx::query_scalar("SELECT value FROM vault_meta WHERE name = $1")
                .bind(CANARY)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Stores the canary unless another instance stored one first; returns the canary in force.
    pub async fn init_vault_canary(&self, sealed: &str) -> Result<String, StoreError> {
        self.init_meta(CANARY, sealed).await
    }

    /// Stores `value` under `name` unless another instance stored one first; returns the value in
    /// force.
    async fn init_meta(&self, name: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO vault_meta (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM vault_meta WHERE name = $1")
                .bind(name)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// The sealed setup code every instance accepts until setup is done: the one stored, or
    /// `fresh` when none is.
    pub async fn setup_code_in_force(&self, fresh: &str) -> Result<String, StoreError> {
        self.init_meta(SETUP_CODE, fresh).await
    }

    /// Replaces a stored setup code that no master key of this instance opens.
    pub async fn replace_setup_code(&self, sealed: &str) -> Result<(), StoreError> {
        self.replace_meta(SETUP_CODE, sealed).await
    }

    async fn replace_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE vault_meta SET value = $1, updated_at = $2 WHERE name = $3")
            .bind(value)
            .bind(now_ms())
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// For an operator who lost the master key: in one transaction, wipes every stored secret
    /// (nicknames, roles, health and every choice of them stay, and each key then needs its
    /// secret re-entered), puts the new master key's `canary` in force, and records `event` for
    /// each org that had keys, with how many. Returns those orgs and counts.
    pub async fn forget_all_secrets(
        &self,
        canary: &str,
        event: impl Fn(&str, u64) -> NewEvent,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT org_id, COUNT(*) FROM provider_keys WHERE deleted_at IS NULL              GROUP BY org_id ORDER BY org_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE provider_keys SET secret_ciphertext = '', fingerprint = NULL, updated_at = $1              WHERE deleted_at IS NULL",
        )
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO vault_meta (name, value, updated_at) VALUES ($1, $2, $3)              ON CONFLICT (name) DO UPDATE SET value = $2, updated_at = $3",
        )
        .bind(CANARY)
        .bind(canary)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let counts: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(org, count)| (org, count as u64))
            .collect();
        for (org_id, count) in &counts {
            insert_event(&mut tx, &event(org_id, *count)).await?;
        }
        tx.commit().await?;
        for (org_id, _) in &counts {
            self.changed(org_id);
        }
        Ok(counts)
    }

    /// Replaces the canary (after a master-key rotation re-encrypted every row).
    pub async fn replace_vault_canary(&self, sealed: &str) -> Result<(), StoreError> {
        self.replace_meta(CANARY, sealed).await
    }
}
