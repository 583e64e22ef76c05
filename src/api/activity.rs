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
    use crate::domain::time::utc_minute;
    use crate::store::activity::EventFilter;
    let (state, viewer) = super::door::signed_in().await?;
    let page = page.max(1);
    let nonempty = |text: String| Some(text).filter(|t| !t.is_empty());
    let filter = EventFilter {
        provider: nonempty(provider),
        actor: nonempty(actor),
        action: nonempty(action),
        ..EventFilter::default()
    };
    let found = state
        .activity()
        .page(viewer.actor(), filter, page, PAGE_SIZE)
        .await?;
    Ok(ActivityView {
        events: found
            .events
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
        actors: found.actors,
        actions: found.actions,
        page,
        has_more: found.has_more,
    })
}
