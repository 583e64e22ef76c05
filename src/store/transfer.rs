//! What moving orgs between instances reads and writes (see `crate::transfer`): whole orgs, their
//! accounts and keys as stored, written inside one transaction of the importing instance.

use sqlx::AnyConnection;

use super::flag::Flag;
use super::orgs::Organization;
use super::{Db, StoreError};

/// A member as an export carries them.
#[derive(Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
}

/// A provider key as the importing instance writes it: sealed already.
pub struct ImportedKeyRow<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub scope: &'a str,
    pub owner_user_id: Option<&'a str>,
    pub provider: &'a str,
    pub key_family: &'a str,
    pub nickname: Option<&'a str>,
    pub sealed: &'a str,
    pub hint: &'a str,
    pub fingerprint: Option<&'a str>,
    pub api_base: Option<&'a str>,
    pub options: &'a str,
    pub role: &'a str,
    pub fallback_rank: Option<i64>,
    pub enabled: bool,
    pub status: &'a str,
    pub last_validated_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error_code: Option<&'a str>,
    pub last_error_http_status: Option<i64>,
    pub last_error_message: Option<&'a str>,
    pub created_at: i64,
    pub now: i64,
}

impl Db {
    /// Every org, by slug.
    pub async fn all_orgs(&self) -> Result<Vec<Organization>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, slug, name, allow_personal_keys, allow_platform_keys, created_at \
             FROM organizations ORDER BY slug",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// An org's members with what an export of their accounts needs.
    pub async fn members_for_export(&self, org_id: &str) -> Result<Vec<MemberRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.email, m.role, u.password_hash, u.must_change_password \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 \
             ORDER BY u.email",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// A user's email by id (the owner of a personal key who left the org).
    pub async fn user_email(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?)
    }
}

/// Records an import's activity event in its transaction.
pub async fn record(
    conn: &mut AnyConnection,
    event: &super::activity::NewEvent,
) -> Result<(), StoreError> {
    super::activity::insert_event(conn, event).await
}

/// Whether an org with this slug exists.
pub async fn slug_taken(conn: &mut AnyConnection, slug: &str) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

pub use super::accounts::insert_membership;
pub use super::orgs::insert_org;

/// The user with this email, created (with the password hash when given) if there is none.
/// An existing account keeps its own password.
pub async fn user_for(
    conn: &mut AnyConnection,
    email: &str,
    password_hash: Option<&str>,
    must_change_password: bool,
    now: i64,
) -> Result<String, StoreError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = super::new_id();
    sqlx::query(
        "INSERT INTO users (id, email, created_at, password_hash, must_change_password) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(email)
    .bind(now)
    .bind(password_hash)
    .bind(must_change_password)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn insert_imported_key(
    conn: &mut AnyConnection,
    row: &ImportedKeyRow<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO provider_keys (id, org_id, scope, owner_user_id, provider, key_family, \
         nickname, secret_ciphertext, hint, fingerprint, api_base, options, role, fallback_rank, \
         enabled, status, last_validated_at, last_success_at, last_error_code, \
         last_error_http_status, last_error_message, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $23)",
    )
    .bind(row.id)
    .bind(row.org_id)
    .bind(row.scope)
    .bind(row.owner_user_id)
    .bind(row.provider)
    .bind(row.key_family)
    .bind(row.nickname)
    .bind(row.sealed)
    .bind(row.hint)
    .bind(row.fingerprint)
    .bind(row.api_base)
    .bind(row.options)
    .bind(row.role)
    .bind(row.fallback_rank)
    .bind(row.enabled)
    .bind(row.status)
    .bind(row.last_validated_at)
    .bind(row.last_success_at)
    .bind(row.last_error_code)
    .bind(row.last_error_http_status)
    .bind(row.last_error_message)
    .bind(row.created_at)
    .bind(row.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_imported_consumer(
    conn: &mut AnyConnection,
    id: &str,
    org_id: &str,
    kind: &str,
    owner_user_id: Option<&str>,
    name: &str,
    description: &str,
    expert_id: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO consumers (id, org_id, kind, owner_user_id, name, description, expert_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id)
    .bind(org_id)
    .bind(kind)
    .bind(owner_user_id)
    .bind(name)
    .bind(description)
    .bind(expert_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_imported_slot(
    conn: &mut AnyConnection,
    org_id: &str,
    consumer_id: &str,
    modality: &str,
    provider: &str,
    model: Option<&str>,
    voice: Option<&str>,
    key_id: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO consumer_slots (org_id, consumer_id, modality, provider, model, voice, \
         key_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(org_id)
    .bind(consumer_id)
    .bind(modality)
    .bind(provider)
    .bind(model)
    .bind(voice)
    .bind(key_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
