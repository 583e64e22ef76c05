//! Users, memberships and sessions.

use sqlx::AnyConnection;
use sqlx::{FromRow, Row};

use super::orgs::Organization;
use super::{Db, StoreError};
use crate::domain::accounts::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub created_at: i64,
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

/// A live session as it is read at each request: with its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub user: User,
    pub org_id: Option<String>,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// An admin chose the user's password and they have not chosen their own yet.
    pub must_change_password: bool,
}

impl Db {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?)
    }

    /// Creates an organization with its owner (a new user, or the existing user with that email,
    /// who keeps their password), all or nothing. On `first_run` a unique setup marker is written
    /// too, so a second, racing first-run setup fails with [`SETUP_DONE`].
    pub async fn create_org_with_owner(
        &self,
        org: &Organization,
        owner: &User,
        password_hash: &str,
        first_run: bool,
    ) -> Result<User, StoreError> {
        let mut tx = self.pool().begin().await?;
        if first_run {
            sqlx::query(
                "INSERT INTO vault_meta (name, value, updated_at) VALUES ('setup_done', $1, $2)",
            )
            .bind(&owner.id)
            .bind(owner.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_write(e, SETUP_DONE))?;
            sqlx::query("DELETE FROM vault_meta WHERE name = $1")
                .bind(super::vault_meta::SETUP_CODE)
                .execute(&mut *tx)
                .await?;
        }
        super::orgs::insert_org(&mut tx, org).await?;
        let owner = find_or_create_user(&mut tx, owner, password_hash).await?;
        insert_membership(&mut tx, &org.id, &owner.id, OrgRole::Owner, org.created_at).await?;
        tx.commit().await?;
        self.sessions_changed();
        Ok(owner)
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

    /// The user and whether they must still choose their own password (an admin set the current one).
    pub async fn user_and_password_duty(
        &self,
        user_id: &str,
    ) -> Result<Option<(User, bool)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, created_at, must_change_password FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            let duty: super::Flag = row.try_get("must_change_password")?;
            Ok((User::from_row(&row)?, duty.0))
        })
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
    /// The session with this id hash if it is live, with its user.
    pub async fn live_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<LiveSession>, StoreError> {
        let row = sqlx::query(
            "SELECT s.org_id, s.last_seen_at, s.expires_at, u.id, u.email, u.created_at, u.must_change_password \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_since)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            let duty: super::Flag = row.try_get("must_change_password")?;
            Ok(LiveSession {
                user: User::from_row(&row)?,
                org_id: row.try_get("org_id")?,
                last_seen_at: row.try_get("last_seen_at")?,
                expires_at: row.try_get("expires_at")?,
                must_change_password: duty.0,
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
        self.sessions_changed();
        Ok(())
    }

    /// Removes sessions that can no longer be used.
    pub async fn delete_dead_sessions(&self, now: i64, idle_since: i64) -> Result<u64, StoreError> {
        let deleted =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now)
                .bind(idle_since)
                .execute(self.pool())
                .await?
                .rows_affected();
        if deleted > 0 {
            self.sessions_changed();
        }
        Ok(deleted)
    }
}

/// A member of one org as the members list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: OrgRole,
}

/// The conflict reason when a change would leave an org without an owner.
pub const LAST_OWNER: &str = "an organization keeps at least one owner";

impl Db {
    pub async fn org_members(&self, org_id: &str) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.created_at, m.role FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role")?;
                Ok(Member {
                    user: User::from_row(row)?,
                    role: OrgRole::parse(&role).unwrap_or(OrgRole::Member),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::Db)
    }

    /// Creates a user with an admin's initial password, which they must replace at first sign-in,
    /// as a member of the org. An email that already has an account is a conflict ([`USER_EXISTS`]):
    /// nobody's existing account is ever adopted.
    pub async fn add_new_member(
        &self,
        org_id: &str,
        new_user: &User,
        initial_password_hash: &str,
        role: OrgRole,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_user(&mut tx, new_user, initial_password_hash, true).await?;
        insert_membership(&mut tx, org_id, &new_user.id, role, new_user.created_at).await?;
        tx.commit().await?;
        self.changed(org_id);
        self.sessions_changed();
        Ok(())
    }

    /// Changes a member's role (`Some`) or removes them (`None`), refusing to leave the org without
    /// an owner. The org row is locked first, so concurrent changes in one org run one at a time.
    pub async fn change_membership(
        &self,
        org_id: &str,
        user_id: &str,
        role: Option<OrgRole>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE organizations SET slug = slug WHERE id = $1")
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let changed = match role {
            Some(role) => {
                sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
                    .bind(role.as_str())
                    .bind(org_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(org_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
            }
        }
        .rows_affected()
            == 1;
        let owners: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'",
        )
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
        if owners == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(LAST_OWNER));
        }
        tx.commit().await?;
        self.changed(org_id);
        self.sessions_changed();
        Ok(changed)
    }
}

impl Db {
    /// Replaces a user's password hash with one they chose (so they no longer must change it) and
    /// ends every session of theirs except `keep_session`.
    pub async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(false)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_session.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.sessions_changed();
        Ok(())
    }
}

/// The user with `user.email`, or `user` newly created with `password_hash`.
async fn find_or_create_user(
    conn: &mut AnyConnection,
    user: &User,
    password_hash: &str,
) -> Result<User, StoreError> {
    let existing: Option<User> =
        sqlx::query_as("SELECT id, email, created_at FROM users WHERE email = $1")
            .bind(&user.email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    insert_user(conn, user, password_hash, false).await?;
    Ok(user.clone())
}

/// The conflict reason when a new user's email already has an account.
pub const USER_EXISTS: &str = "a user with this email already exists";

/// Inserts a new user; an existing email is a conflict ([`USER_EXISTS`]).
pub(super) async fn insert_user(
    conn: &mut AnyConnection,
    user: &User,
    password_hash: &str,
    must_change_password: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, must_change_password, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(password_hash)
    .bind(must_change_password)
    .bind(user.created_at)
    .execute(conn)
    .await
    .map_err(|e| StoreError::from_write(e, USER_EXISTS))?;
    Ok(())
}

pub async fn insert_membership(
    conn: &mut AnyConnection,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .execute(conn)
    .await
    .map_err(|e| StoreError::from_write(e, "this person is already a member"))?;
    Ok(())
}

impl Db {
    /// Points a session at another org (the caller has checked the membership).
    pub async fn set_session_org(&self, id_hash: &str, org_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET org_id = $1 WHERE id_hash = $2")
            .bind(org_id)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        self.sessions_changed();
        Ok(())
    }
}
