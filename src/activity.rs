//! The activity log as people read it (SPEC.md §4): admins only, newest first, filtered. Events are
//! written by the services, each in the transaction of the change it records.

use crate::accounts::members::Actor;
use crate::accounts::AccountError;
use crate::store::activity::{Event, EventFilter};
use crate::store::Db;

/// One page of events, and what the filters may choose from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityPage {
    pub events: Vec<Event>,
    pub has_more: bool,
    /// Everyone who acted in the org, for the filter.
    pub actors: Vec<String>,
    /// Every action recorded in the org, for the filter.
    pub actions: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct ActivityService {
    db: Db,
}

impl ActivityService {
    pub fn new(db: Db) -> ActivityService {
        ActivityService { db }
    }

    /// Page `page` (from 1) of `page_size` events of the actor's org; owners and admins only.
    pub async fn page(
        &self,
        actor: Actor<'_>,
        filter: EventFilter,
        page: i64,
        page_size: i64,
    ) -> Result<ActivityPage, AccountError> {
        if !actor.membership.role.is_admin() {
            return Err(AccountError::Forbidden);
        }
        let org_id = &actor.membership.org.id;
        let filter = EventFilter {
            limit: page_size + 1,
            offset: (page.max(1) - 1) * page_size,
            ..filter
        };
        let mut events = self.db.events(org_id, &filter).await?;
        let has_more = events.len() as i64 > page_size;
        events.truncate(page_size as usize);
        let (actors, actions) = self.db.event_facets(org_id).await?;
        Ok(ActivityPage {
            events,
            has_more,
            actors,
            actions,
        })
    }
}
