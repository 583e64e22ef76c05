//! A change to one org's keys: a transaction that first locks the org (so changes in one org run
//! one at a time on both databases) and ends by recording its activity event. Either all of it
//! lands, event included, or none of it.

use std::collections::{HashMap, HashSet};

use sqlx::{Any, AnyConnection, Transaction};

use super::activity::{insert_event, NewEvent};
use super::keys::{set_health_row, KeyHealth, KeyRecord, NewKeyRow, RECORD_COLUMNS};
use super::{Db, StoreError};
use crate::domain::keys::Role;

/// The keys that share one primary and one fallback order: one org, scope, owner and key family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGroup {
    pub org_id: String,
    pub personal_owner: Option<String>,
    pub key_family: String,
}

impl KeyGroup {
    pub fn of(key: &KeyRecord) -> KeyGroup {
        KeyGroup {
            org_id: key.org_id.clone(),
            personal_owner: key.owner_user_id.clone(),
            key_family: key.key_family.clone(),
        }
    }
}

/// The primary and the ordered fallbacks of a group (key ids); every other key has no role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arrangement {
    pub primary: Option<String>,
    pub fallbacks: Vec<String>,
    /// The fallbacks' ranks as stored, when read from the database: [`OrgChange::arrange`]
    /// writes only the keys whose role or rank changes.
    pub stored_ranks: HashMap<String, i64>,
}

/// How many keys one statement of [`OrgChange::arrange`] writes at most (5 parameters each).
const ROLES_PER_STATEMENT: usize = 100;

pub struct OrgChange<'c> {
    tx: Transaction<'c, Any>,
    org_id: String,
    /// To forget the org's in-memory view once the change lands.
    db: Db,
}

impl Db {
    /// Starts a change in `org_id`, waiting for any other change of that org to finish.
    pub async fn begin_org_change(&self, org_id: &str) -> Result<OrgChange<'static>, StoreError> {
        let mut tx = self.pool().begin().await?;
        // A write first: it takes PostgreSQL's row lock and SQLite's write lock before anything
        // is read, so two changes never act on the same stale reading.
        sqlx::query("UPDATE organizations SET slug = slug WHERE id = $1")
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        Ok(OrgChange {
            tx,
            org_id: org_id.to_owned(),
            db: self.clone(),
        })
    }
}

impl OrgChange<'_> {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Records an event of this change (written with it, or not at all).
    pub async fn record(&mut self, event: &NewEvent) -> Result<(), StoreError> {
        debug_assert_eq!(event.org_id, self.org_id);
        insert_event(&mut self.tx, event).await
    }

    /// Commits everything (after the change's events were recorded).
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        self.db.changed(&self.org_id);
        Ok(())
    }

    /// Records the last event and commits everything.
    pub async fn finish(mut self, event: &NewEvent) -> Result<(), StoreError> {
        self.record(event).await?;
        self.commit().await
    }

    pub async fn insert_key(&mut self, row: &NewKeyRow<'_>) -> Result<(), StoreError> {
        super::keys::insert_key_row(&mut self.tx, row).await
    }

    /// A live key of this org, read inside the change.
    pub async fn live_key(&mut self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM provider_keys \
             WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL"
        ))
        .bind(&self.org_id)
        .bind(key_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The group's current arrangement.
    pub async fn arrangement(&mut self, group: &KeyGroup) -> Result<Arrangement, StoreError> {
        let rows: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, role, fallback_rank FROM provider_keys \
             WHERE org_id = $1 AND COALESCE(owner_user_id, '') = $2 AND key_family = $3 \
             AND deleted_at IS NULL AND role <> 'none' ORDER BY fallback_rank, created_at, id",
        )
        .bind(&group.org_id)
        .bind(group.personal_owner.as_deref().unwrap_or_default())
        .bind(&group.key_family)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut arrangement = Arrangement::default();
        for (id, role, rank) in rows {
            if let Some(rank) = rank {
                arrangement.stored_ranks.insert(id.clone(), rank);
            }
            match Role::parse(&role) {
                Some(Role::Primary) => arrangement.primary = Some(id),
                _ => arrangement.fallbacks.push(id),
            }
        }
        Ok(arrangement)
    }

    /// Writes a group's arrangement: roles and contiguous ranks 1..n. `before` is the current one;
    /// keys that leave it get no role. Only keys whose role or rank changes are written, in a few
    /// statements however large the group (a new primary moves every fallback down one rank);
    /// non-primaries first, so the one-primary index never sees two primaries.
    pub async fn arrange(
        &mut self,
        before: &Arrangement,
        after: &Arrangement,
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let staying: HashSet<&String> = after.primary.iter().chain(&after.fallbacks).collect();
        let mut writes: Vec<(&str, Role, Option<i64>)> = before
            .primary
            .iter()
            .chain(&before.fallbacks)
            .filter(|id| !staying.contains(id))
            .map(|id| (id.as_str(), Role::None, None))
            .collect();
        for (index, id) in after.fallbacks.iter().enumerate() {
            let rank = index as i64 + 1;
            if before.stored_ranks.get(id) != Some(&rank) {
                writes.push((id, Role::Fallback, Some(rank)));
            }
        }
        for rows in writes.chunks(ROLES_PER_STATEMENT) {
            self.set_roles(rows, actor, now).await?;
        }
        match &after.primary {
            Some(id) if before.primary.as_ref() != Some(id) => {
                self.set_roles(&[(id, Role::Primary, None)], actor, now)
                    .await
            }
            _ => Ok(()),
        }
    }

    /// Gives each key its role and rank in one statement.
    async fn set_roles(
        &mut self,
        rows: &[(&str, Role, Option<i64>)],
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut sql = String::from("UPDATE provider_keys SET role = CASE id");
        let mut next = 0;
        let mut param = || {
            next += 1;
            format!("${next}")
        };
        for _ in rows {
            sql += &format!(" WHEN {} THEN {}", param(), param());
        }
        sql += " END, fallback_rank = CASE id";
        for _ in rows {
            sql += &format!(" WHEN {} THEN {}", param(), param());
        }
        sql += &format!(
            " END, updated_at = {}, updated_by = {} WHERE org_id = {} AND deleted_at IS NULL \
             AND id IN ({})",
            param(),
            param(),
            param(),
            rows.iter().map(|_| param()).collect::<Vec<_>>().join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, role, _) in rows {
            query = query.bind(*id).bind(role.as_str());
        }
        for (id, _, rank) in rows {
            query = query.bind(*id).bind(*rank);
        }
        query = query.bind(now).bind(actor).bind(&self.org_id);
        for (id, _, _) in rows {
            query = query.bind(*id);
        }
        query
            .execute(&mut *self.tx)
            .await
            .map_err(|e| StoreError::from_write(e, "this family already has a primary key"))?;
        Ok(())
    }

    /// Sets the editable settings of a live key.
    pub async fn update_settings(
        &mut self,
        key_id: &str,
        nickname: Option<&str>,
        api_base: Option<&str>,
        options: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provider_keys SET nickname = $1, api_base = $2, options = $3, updated_at = $4, \
             updated_by = $5 WHERE org_id = $6 AND id = $7 AND deleted_at IS NULL",
        )
        .bind(nickname)
        .bind(api_base)
        .bind(options)
        .bind(now)
        .bind(actor)
        .bind(&self.org_id)
        .bind(key_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn set_enabled(
        &mut self,
        key_id: &str,
        enabled: bool,
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provider_keys SET enabled = $1, updated_at = $2, updated_by = $3 \
             WHERE org_id = $4 AND id = $5 AND deleted_at IS NULL",
        )
        .bind(enabled)
        .bind(now)
        .bind(actor)
        .bind(&self.org_id)
        .bind(key_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Replaces the secret in place: same id, new ciphertext, hint and fingerprint, health reset
    /// to unverified until it is validated.
    pub async fn replace_secret(
        &mut self,
        key_id: &str,
        sealed: &str,
        hint: &str,
        fingerprint: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provider_keys SET secret_ciphertext = $1, hint = $2, fingerprint = $3, \
             status = 'unverified', cooldown_until = NULL, last_error_code = NULL, \
             last_error_http_status = NULL, last_error_message = NULL, rotated_at = $4, \
             rotated_by = $5, updated_at = $4, updated_by = $5 \
             WHERE org_id = $6 AND id = $7 AND deleted_at IS NULL",
        )
        .bind(sealed)
        .bind(hint)
        .bind(fingerprint)
        .bind(now)
        .bind(actor)
        .bind(&self.org_id)
        .bind(key_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records what validation learned: the status, when, and the error if any. A success also
    /// sets `last_success_at`.
    pub async fn set_health(&mut self, key_id: &str, health: &KeyHealth) -> Result<(), StoreError> {
        set_health_row(&mut self.tx, &self.org_id, key_id, health).await
    }

    /// Records what a call through the gateway showed (a rest, and why), leaving the validation
    /// times alone: a call is not a validation.
    pub async fn set_call_health(
        &mut self,
        key_id: &str,
        health: &KeyHealth,
    ) -> Result<(), StoreError> {
        super::keys::set_call_health_row(&mut self.tx, &self.org_id, key_id, health).await
    }

    /// Soft delete: the row stays for the audit trail; the ciphertext and fingerprint are wiped
    /// and the key leaves its role (arrange the group first).
    pub async fn soft_delete(
        &mut self,
        key_id: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        super::keys::soft_delete_row(&mut self.tx, &self.org_id, key_id, actor, now).await
    }
}
