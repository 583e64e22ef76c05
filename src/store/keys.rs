//! Provider key rows. The ciphertext column is read only by [`Db::sealed_secret`]; every other
//! query returns [`KeyRecord`], which has no field for it.

use sqlx::{AnyConnection, FromRow};

use serde_json::{Map, Value};

use super::{Db, Flag, StoreError};
use crate::domain::keys::{KeyStatus, Role, Scope};

/// A stored key as everything but the vault sees it: no secret, only its hint.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct KeyRecord {
    pub id: String,
    pub org_id: String,
    pub scope: Scope,
    pub owner_user_id: Option<String>,
    pub provider: String,
    pub key_family: String,
    pub nickname: Option<String>,
    pub hint: String,
    pub api_base: Option<String>,
    #[sqlx(try_from = "OptionsJson")]
    pub options: Map<String, Value>,
    pub role: Role,
    pub fallback_rank: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub enabled: bool,
    pub status: KeyStatus,
    pub cooldown_until: Option<i64>,
    pub last_validated_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error_code: Option<String>,
    pub last_error_http_status: Option<i64>,
    pub last_error_message: Option<String>,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub updated_at: i64,
    pub updated_by: Option<String>,
    pub rotated_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

impl AsRef<KeyRecord> for KeyRecord {
    fn as_ref(&self) -> &KeyRecord {
        self
    }
}

/// The `options` column, read once into its value: the JSON object of a key's provider options.
/// KeyHub writes only objects; anything else reads as no options.
pub struct OptionsJson(Map<String, Value>);

crate::text_column!(OptionsJson, |text: String| {
    Ok(OptionsJson(serde_json::from_str(&text).unwrap_or_default()))
});

impl From<OptionsJson> for Map<String, Value> {
    fn from(options: OptionsJson) -> Self {
        options.0
    }
}

/// A live key whose secret was wiped (`keyhub recover --forget-secrets`) reads as needing its
/// secret re-entered, whatever its provider said last: the empty ciphertext is the one fact of it.
pub(super) const RECORD_COLUMNS: &str =
    "id, org_id, scope, owner_user_id, provider, key_family, nickname, hint, \
    api_base, options, role, fallback_rank, enabled, \
    CASE WHEN secret_ciphertext = '' THEN 'needs_reentry' ELSE status END AS status, \
    cooldown_until, last_validated_at, \
    last_success_at, last_error_code, last_error_http_status, last_error_message, created_at, \
    created_by, updated_at, updated_by, rotated_at, deleted_at";

/// See [`Db::family_keys`]; public so a test can show its query plan.
pub static FAMILY_KEYS_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {RECORD_COLUMNS} FROM provider_keys WHERE org_id = $1 AND key_family = $2 \
         AND deleted_at IS NULL AND (scope = 'org' OR owner_user_id = $3)"
    )
});

/// Everything needed to insert a key; the secret arrives already sealed by the vault.
#[derive(Debug)]
pub struct NewKeyRow<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub scope: Scope,
    pub owner_user_id: Option<&'a str>,
    pub provider: &'a str,
    pub key_family: &'a str,
    pub nickname: Option<&'a str>,
    pub sealed_secret: &'a str,
    pub hint: &'a str,
    pub fingerprint: &'a str,
    pub api_base: Option<&'a str>,
    pub options: &'a str,
    pub role: Role,
    pub fallback_rank: Option<i64>,
    pub enabled: bool,
    pub actor: Option<&'a str>,
    pub now: i64,
}

pub(super) async fn insert_key_row(
    conn: &mut AnyConnection,
    row: &NewKeyRow<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO provider_keys (id, org_id, scope, owner_user_id, provider, key_family, \
         nickname, secret_ciphertext, hint, fingerprint, api_base, options, role, fallback_rank, \
         enabled, created_at, created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $16, $17)",
    )
    .bind(row.id)
    .bind(row.org_id)
    .bind(row.scope.as_str())
    .bind(row.owner_user_id)
    .bind(row.provider)
    .bind(row.key_family)
    .bind(row.nickname)
    .bind(row.sealed_secret)
    .bind(row.hint)
    .bind(row.fingerprint)
    .bind(row.api_base)
    .bind(row.options)
    .bind(row.role.as_str())
    .bind(row.fallback_rank)
    .bind(row.enabled)
    .bind(row.now)
    .bind(row.actor)
    .execute(conn)
    .await
    .map_err(|e| StoreError::from_write(e, "this family already has a primary key"))?;
    Ok(())
}

/// Soft delete: the row stays for the audit trail, the ciphertext and fingerprint are wiped and
/// the key leaves any role. Returns whether a live key was deleted.
pub(super) async fn soft_delete_row(
    conn: &mut AnyConnection,
    org_id: &str,
    key_id: &str,
    actor: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE provider_keys SET secret_ciphertext = NULL, fingerprint = NULL, role = 'none', \
         fallback_rank = NULL, enabled = $1, deleted_at = $2, deleted_by = $3, updated_at = $2, \
         updated_by = $3 WHERE org_id = $4 AND id = $5 AND deleted_at IS NULL",
    )
    .bind(false)
    .bind(now)
    .bind(actor)
    .bind(org_id)
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What one validation learned about a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHealth {
    pub status: KeyStatus,
    pub checked_at: i64,
    /// The key worked (valid, perhaps restricted): `last_success_at` moves too.
    pub success: bool,
    pub cooldown_until: Option<i64>,
    /// Code, HTTP status and message; `None` clears the last error.
    pub error: Option<(String, Option<i64>, String)>,
}

impl KeyHealth {
    /// The last error as its three columns (all empty when it is cleared).
    fn error_columns(&self) -> (Option<&str>, Option<i64>, Option<&str>) {
        match &self.error {
            Some((code, http, message)) => (Some(code.as_str()), *http, Some(message.as_str())),
            None => (None, None, None),
        }
    }
}

pub(super) async fn set_health_row(
    conn: &mut AnyConnection,
    org_id: &str,
    key_id: &str,
    health: &KeyHealth,
) -> Result<(), StoreError> {
    let (code, http_status, message) = health.error_columns();
    sqlx::query(
        "UPDATE provider_keys SET status = $1, last_validated_at = $2, \
         last_success_at = CASE WHEN $3 THEN $2 ELSE last_success_at END, cooldown_until = $4, \
         last_error_code = $5, last_error_http_status = $6, last_error_message = $7 \
         WHERE org_id = $8 AND id = $9 AND deleted_at IS NULL",
    )
    .bind(health.status.as_str())
    .bind(health.checked_at)
    .bind(health.success)
    .bind(health.cooldown_until)
    .bind(code)
    .bind(http_status)
    .bind(message)
    .bind(org_id)
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn set_call_health_row(
    conn: &mut AnyConnection,
    org_id: &str,
    key_id: &str,
    health: &KeyHealth,
) -> Result<(), StoreError> {
    let (code, http_status, message) = health.error_columns();
    sqlx::query(
        "UPDATE provider_keys SET status = $1, cooldown_until = $2, last_error_code = $3, \
         last_error_http_status = $4, last_error_message = $5 \
         WHERE org_id = $6 AND id = $7 AND deleted_at IS NULL",
    )
    .bind(health.status.as_str())
    .bind(health.cooldown_until)
    .bind(code)
    .bind(http_status)
    .bind(message)
    .bind(org_id)
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(())
}

impl Db {
    /// Inserts a key row on its own (no activity event; the key services use [`super::change`]).
    pub async fn insert_key(&self, row: &NewKeyRow<'_>) -> Result<(), StoreError> {
        insert_key_row(&mut *self.pool().acquire().await?, row).await?;
        self.changed(row.org_id);
        Ok(())
    }

    /// One live or deleted key of one org.
    pub async fn key(&self, org_id: &str, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM provider_keys WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id)
        .bind(key_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The live keys of one family that can serve a consumer: the org's, and `owner`'s personal
    /// keys. This is resolution's only query; it runs on the `provider_keys_by_family` index.
    pub async fn family_keys(
        &self,
        org_id: &str,
        key_family: &str,
        owner: Option<&str>,
    ) -> Result<Vec<KeyRecord>, StoreError> {
        Ok(sqlx::query_as(&FAMILY_KEYS_SQL)
            .bind(org_id)
            .bind(key_family)
            .bind(owner.unwrap_or_default())
            .fetch_all(self.pool())
            .await?)
    }

    /// The live keys of one org, oldest first.
    pub async fn live_keys(&self, org_id: &str) -> Result<Vec<KeyRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM provider_keys \
             WHERE org_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The sealed secret of a live key, for the vault to open. Nothing else reads this column.
    pub async fn sealed_secret(
        &self,
        org_id: &str,
        key_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT secret_ciphertext FROM provider_keys \
             WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(org_id)
        .bind(key_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Live keys of the org whose fingerprint is one of `candidates` (duplicate detection).
    pub async fn keys_with_fingerprint(
        &self,
        org_id: &str,
        candidates: &[String],
    ) -> Result<Vec<KeyRecord>, StoreError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> =
            (2..candidates.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM provider_keys \
             WHERE org_id = $1 AND deleted_at IS NULL AND fingerprint IN ({})",
            placeholders.join(", ")
        );
        let query = candidates
            .iter()
            .fold(sqlx::query_as(&sql).bind(org_id), |query, fingerprint| {
                query.bind(fingerprint)
            });
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Soft-deletes a key on its own (no activity event; the key services use [`super::change`]).
    pub async fn soft_delete_key(
        &self,
        org_id: &str,
        key_id: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let deleted = soft_delete_row(
            &mut *self.pool().acquire().await?,
            org_id,
            key_id,
            actor,
            now,
        )
        .await?;
        self.changed(org_id);
        Ok(deleted)
    }
}

/// A live key's sealed secret with what it is bound to: the ids and where the key is sent (for
/// master-key rotation).
#[derive(Debug, sqlx::FromRow)]
pub struct SealedRow {
    pub id: String,
    pub org_id: String,
    #[sqlx(rename = "secret_ciphertext")]
    pub sealed: String,
    pub provider: String,
    pub api_base: Option<String>,
    #[sqlx(try_from = "OptionsJson")]
    pub options: Map<String, Value>,
}

impl Db {
    /// Live keys holding a sealed secret, of every org, after `after_id` in id order, `limit` at a
    /// time.
    pub async fn sealed_rows_after(
        &self,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, org_id, secret_ciphertext, provider, api_base, options FROM provider_keys \
             WHERE deleted_at IS NULL AND secret_ciphertext <> '' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// How many live keys hold a sealed secret, in every org (one wiped by a recovery holds none
    /// until it is entered again).
    pub async fn sealed_key_count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM provider_keys WHERE deleted_at IS NULL AND secret_ciphertext <> ''",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(count as u64)
    }

    /// Replaces a sealed secret and its fingerprint, unless the row changed meanwhile.
    pub async fn replace_sealed(
        &self,
        row: &SealedRow,
        resealed: &str,
        fingerprint: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE provider_keys SET secret_ciphertext = $1, fingerprint = $2 \
             WHERE id = $3 AND org_id = $4 AND secret_ciphertext = $5 AND deleted_at IS NULL",
        )
        .bind(resealed)
        .bind(fingerprint)
        .bind(&row.id)
        .bind(&row.org_id)
        .bind(&row.sealed)
        .execute(self.pool())
        .await?;
        self.changed(&row.org_id);
        Ok(done.rows_affected() == 1)
    }
}
