//! Users, memberships and sessions.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::orgs::Organization;
use super::{Db, StoreError};
use crate::domain::accounts::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub created_at: i64,
}

impl FromRow<'_, AnyRow> for User {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(User {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// The conflict reason when first-run setup has already happened.
pub const SETUP_DONE: &str = "KeyHub is already set up";

/// One org a user belongs to, with their role there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org: Organization,
    pub role: OrgRole,
}

/// A live session row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub user_id: String,
    pub org_id: Option<String>,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl Db {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?)
    }

    /// Creates the first organization, its owner and the membership, all or nothing. The setup
    /// marker row makes a second, racing first-run setup fail with [`SETUP_DONE`].
    pub async fn create_first_owner(
        &self,
        org: &Organization,
        user: &User,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO vault_meta (name, value, updated_at) VALUES ('setup_done', $1, $2)",
        )
        .bind(&user.id)
        .bind(user.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_write(e, SETUP_DONE))?;
        sqlx::query(
            "INSERT INTO organizations (id, slug, name, allow_personal_keys, allow_platform_keys, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&org.id)
        .bind(&org.slug)
        .bind(&org.name)
        .bind(org.allow_personal_keys)
        .bind(org.allow_platform_keys)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_write(e, "an organization with this slug already exists"))?;
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(password_hash)
        .bind(user.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_write(e, "a user with this email already exists"))?;
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&org.id)
        .bind(&user.id)
        .bind(OrgRole::Owner.as_str())
        .bind(user.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user with this (normalized) email and their password hash, if any.
    pub async fn user_with_password(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        let row =
            sqlx::query("SELECT id, email, created_at, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(self.pool())
                .await?;
        row.map(|row| Ok((User::from_row(&row)?, row.try_get("password_hash")?)))
            .transpose()
            .map_err(StoreError::Db)
    }

    pub async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, email, created_at FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Every org the user belongs to, by name.
    pub async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.slug, o.name, o.allow_personal_keys, o.allow_platform_keys, o.created_at, m.role \
             FROM memberships m JOIN organizations o ON o.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY o.name, o.slug",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role")?;
                Ok(Membership {
                    org: Organization::from_row(row)?,
                    role: OrgRole::parse(&role).ok_or_else(|| sqlx::Error::ColumnDecode {
                        index: "role".to_owned(),
                        source: format!("unexpected role {role:?}").into(),
                    })?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::Db)
    }

    pub async fn insert_session(
        &self,
        id_hash: &str,
        session: &SessionRow,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, org_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id_hash)
        .bind(&session.user_id)
        .bind(&session.org_id)
        .bind(now)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A session that has not expired absolutely and was seen after `idle_since`.
    pub async fn live_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, org_id, last_seen_at, expires_at FROM sessions \
             WHERE id_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_since)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(SessionRow {
                user_id: row.try_get("user_id")?,
                org_id: row.try_get("org_id")?,
                last_seen_at: row.try_get("last_seen_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
        .map_err(StoreError::Db)
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes sessions that can no longer be used.
    pub async fn delete_dead_sessions(&self, now: i64, idle_since: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now)
                .bind(idle_since)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
