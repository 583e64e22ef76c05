//! `/activity`: the organization's activity log, for admins.

use serde::{Deserialize, Serialize};

use super::error::ApiError;

pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInfo {
    pub id: String,
    /// `2026-11-23 14:02 UTC`
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub provider: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub events: Vec<EventInfo>,
    pub actors: Vec<String>,
    pub actions: Vec<String>,
    pub page: i64,
    pub has_more: bool,
}

/// One page of events, newest first; empty filters match everything.
#[leptos::server(prefix = "/api", endpoint = "activity/list")]
pub async fn activity(
    provider: String,
    actor: String,
    action: String,
    page: i64,
) -> Result<ActivityView, ApiError> {
    use crate::components::time::utc_minute;
    use crate::store::activity::EventFilter;
    let (state, viewer) = crate::server::auth::signed_in().await?;
    if !viewer.role().is_admin() {
        return Err(crate::server::auth::answer(ApiError::Forbidden, None));
    }
    let org_id = &viewer.membership.org.id;
    let page = page.max(1);
    let nonempty = |text: String| Some(text).filter(|t| !t.is_empty());
    let filter = EventFilter {
        provider: nonempty(provider),
        actor: nonempty(actor),
        action: nonempty(action),
        limit: PAGE_SIZE + 1,
        offset: (page - 1) * PAGE_SIZE,
    };
    let internal = crate::server::auth::internal;
    let mut events = state.db.events(org_id, &filter).await.map_err(internal)?;
    let has_more = events.len() as i64 > PAGE_SIZE;
    events.truncate(PAGE_SIZE as usize);
    let (actors, actions) = state.db.event_facets(org_id).await.map_err(internal)?;
    Ok(ActivityView {
        events: events
            .into_iter()
            .map(|event| EventInfo {
                id: event.id,
                at: utc_minute(event.created_at),
                actor: event.actor_label,
                action: event.action,
                target: event.target_label,
                provider: event.provider,
                detail: event.detail,
            })
            .collect(),
        actors,
        actions,
        page,
        has_more,
    })
}
