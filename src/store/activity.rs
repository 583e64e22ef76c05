//! The activity log: one row per change, written in the same transaction as the change it records.

use sqlx::{AnyConnection, FromRow};

use super::{new_id, Db, StoreError};

/// An event to record. Labels are hints, emails or names: never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub org_id: String,
    pub actor_user_id: Option<String>,
    pub actor_label: String,
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_id: String,
    pub target_label: String,
    pub provider: Option<String>,
    pub detail: String,
    pub at: i64,
}

/// A recorded event.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Event {
    pub id: String,
    pub actor_label: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub target_label: String,
    pub provider: Option<String>,
    pub detail: String,
    pub created_at: i64,
}

/// Which events to list: all filters optional, newest first, `limit` after skipping `offset`.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub provider: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub(super) async fn insert_event(
    conn: &mut AnyConnection,
    event: &NewEvent,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO activity (id, org_id, actor_user_id, actor_label, action, target_kind, \
         target_id, target_label, provider, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(&event.org_id)
    .bind(&event.actor_user_id)
    .bind(&event.actor_label)
    .bind(event.action)
    .bind(event.target_kind)
    .bind(&event.target_id)
    .bind(&event.target_label)
    .bind(&event.provider)
    .bind(&event.detail)
    .bind(event.at)
    .execute(conn)
    .await?;
    Ok(())
}

impl Db {
    /// Records an event on its own (for changes that are one statement elsewhere).
    pub async fn record(&self, event: &NewEvent) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        insert_event(&mut conn, event).await
    }

    /// One page of an org's events; empty filters match everything.
    pub async fn events(
        &self,
        org_id: &str,
        filter: &EventFilter,
    ) -> Result<Vec<Event>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, actor_label, action, target_kind, target_id, target_label, provider, detail, \
             created_at FROM activity WHERE org_id = $1 \
             AND ($2 = '' OR provider = $2) AND ($3 = '' OR actor_label = $3) \
             AND ($4 = '' OR action = $4) \
             ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6",
        )
        .bind(org_id)
        .bind(filter.provider.as_deref().unwrap_or_default())
        .bind(filter.actor.as_deref().unwrap_or_default())
        .bind(filter.action.as_deref().unwrap_or_default())
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(self.pool())
        .await?)
    }

    /// The distinct actors and actions of an org's log, for the filter pickers.
    pub async fn event_facets(
        &self,
        org_id: &str,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let actors = sqlx::query_scalar(
            "SELECT DISTINCT actor_label FROM activity WHERE org_id = $1 ORDER BY actor_label",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let actions = sqlx::query_scalar(
            "SELECT DISTINCT action FROM activity WHERE org_id = $1 ORDER BY action",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        Ok((actors, actions))
    }
}
