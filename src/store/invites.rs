//! Invite links: one person, one org, one role, used once before they expire.

use sqlx::FromRow;

use super::accounts::{insert_membership, insert_user, User};
use super::activity::{insert_event, NewEvent};
use super::{Db, StoreError};
use crate::domain::accounts::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Invite {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub email: String,
    pub role: OrgRole,
    pub created_by_email: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The conflict reason when an invite was used, revoked or expired meanwhile.
pub const INVITE_GONE: &str = "this invite is no longer valid";

const LIVE_INVITES: &str = "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role, \
     u.email AS created_by_email, i.created_at, i.expires_at \
     FROM invites i JOIN organizations o ON o.id = i.org_id JOIN users u ON u.id = i.created_by \
     WHERE i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $1";

impl Db {
    pub async fn insert_invite(
        &self,
        invite: &Invite,
        secret_hash: &str,
        created_by: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO invites (id, org_id, email, role, secret_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&invite.id)
        .bind(&invite.org_id)
        .bind(&invite.email)
        .bind(invite.role.as_str())
        .bind(secret_hash)
        .bind(created_by)
        .bind(invite.created_at)
        .bind(invite.expires_at)
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::from_write(e, "this invite already exists"))?;
        Ok(())
    }

    /// The org's invites that can still be used, newest first.
    pub async fn org_invites(&self, org_id: &str, now: i64) -> Result<Vec<Invite>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{LIVE_INVITES} AND i.org_id = $2 ORDER BY i.created_at DESC, i.id DESC"
        ))
        .bind(now)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn live_invite(
        &self,
        secret_hash: &str,
        now: i64,
    ) -> Result<Option<Invite>, StoreError> {
        Ok(
            sqlx::query_as(&format!("{LIVE_INVITES} AND i.secret_hash = $2"))
                .bind(now)
                .bind(secret_hash)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Revokes an unused invite of the org; false when there is none.
    pub async fn revoke_invite(
        &self,
        org_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE invites SET revoked_at = $1 \
             WHERE org_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(org_id)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the invites nobody can use any more: accepted, revoked, or expired by `now`. The
    /// activity log keeps what happened to them.
    pub async fn delete_spent_invites(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM invites \
             WHERE accepted_at IS NOT NULL OR revoked_at IS NOT NULL OR expires_at <= $1",
        )
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Uses the invite for `user`: marks it accepted (only if still live), creates the user when a
    /// password hash is given (an existing user otherwise), and adds the membership, all or nothing.
    /// Two people racing for one link: one wins, the other gets [`INVITE_GONE`].
    /// Claims the invite, creates the user when new, adds the membership and records `joined`, in
    /// one transaction.
    pub async fn accept_invite(
        &self,
        invite: &Invite,
        user: &User,
        new_password_hash: Option<&str>,
        joined: &NewEvent,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE invites SET accepted_at = $1 WHERE id = $2 \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(&invite.id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Err(StoreError::Conflict(INVITE_GONE));
        }
        if let Some(hash) = new_password_hash {
            insert_user(&mut tx, user, hash, false).await?;
        }
        sqlx::query("UPDATE invites SET accepted_by = $1 WHERE id = $2")
            .bind(&user.id)
            .bind(&invite.id)
            .execute(&mut *tx)
            .await?;
        insert_membership(&mut tx, &invite.org_id, &user.id, invite.role, now).await?;
        insert_event(&mut tx, joined).await?;
        tx.commit().await?;
        self.changed(&invite.org_id);
        self.sessions_changed();
        Ok(())
    }
}
