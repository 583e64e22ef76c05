use super::{now_ms, Db, StoreError};

const CANARY: &str = "canary";

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
        sqlx::query(
            "INSERT INTO vault_meta (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(CANARY)
        .bind(sealed)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM vault_meta WHERE name = $1")
                .bind(CANARY)
                .fetch_one(self.pool())
                .await?,
        )
    }
}

impl Db {
    /// Replaces the canary (after a master-key rotation re-encrypted every row).
    pub async fn replace_vault_canary(&self, sealed: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE vault_meta SET value = $1, updated_at = $2 WHERE name = $3")
            .bind(sealed)
            .bind(now_ms())
            .bind(CANARY)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
