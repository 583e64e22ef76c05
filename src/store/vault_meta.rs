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

    /// Replaces the canary (after a master-key rotation re-encrypted every row).
    pub async fn replace_vault_canary(&self, sealed: &str) -> Result<(), StoreError> {
        self.replace_meta(CANARY, sealed).await
    }
}
