//! Signed-in sessions held in memory: a page asks who its viewer is on every request, and in
//! steady state the answer needs no database.
//!
//! Never stale after a change commits, like the org views ([`super::view`]): every change that
//! could end a session or change what its user may do (a session ended or moved to another org, a
//! user's email or password, a membership, an org's name or policy) bumps one version in its own
//! transaction (database triggers, migration 0010). This instance forgets every session it holds
//! right after committing such a change; other instances hear of it through PostgreSQL's
//! `LISTEN/NOTIFY` (`keyhub_sessions`), and the periodic version check covers a lost notification.
//! Only live sessions are held; a session's expiry and idle time are checked at each use.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::accounts::{LiveSession, Membership};
use super::{Db, StoreError};

/// A live session with its user and every org they belong to.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: LiveSession,
    pub memberships: Vec<Membership>,
}

/// At most this many sessions are held; when full, they are all forgotten and held again as they
/// are used (a flood of sign-ins cannot grow memory without bound).
const MOST_HELD: usize = 20_000;

#[derive(Default)]
struct Held {
    /// Moves on every change, so a session read while a change landed is not kept.
    epoch: u64,
    /// The database's version when the sessions held were read, as the last check saw it.
    version: Option<i64>,
    by_hash: HashMap<String, Arc<SignedIn>>,
}

#[derive(Default)]
pub(super) struct Sessions {
    held: RwLock<Held>,
}

impl Sessions {
    fn held(&self) -> std::sync::RwLockReadGuard<'_, Held> {
        self.held
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn held_mut(&self) -> std::sync::RwLockWriteGuard<'_, Held> {
        self.held
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn changed(&self) {
        let mut held = self.held_mut();
        held.epoch += 1;
        held.by_hash.clear();
    }

    /// Forgets every session unless the database's version is the one they were read at.
    fn check(&self, version: i64) {
        let mut held = self.held_mut();
        if held.version != Some(version) {
            held.epoch += 1;
            held.by_hash.clear();
            held.version = Some(version);
        }
    }
}

impl Db {
    /// The live session with this id hash and its user's memberships: from memory, or read from
    /// the database and held. `None` when there is no such session, or it expired (`expires_at`
    /// ≤ `now`) or went idle (last seen at or before `idle_since`).
    pub async fn signed_in(
        &self,
        id_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<Arc<SignedIn>>, StoreError> {
        let epoch = {
            let held = self.sessions.held();
            if let Some(signed_in) = held.by_hash.get(id_hash) {
                let session = &signed_in.session;
                if session.expires_at > now && session.last_seen_at > idle_since {
                    return Ok(Some(signed_in.clone()));
                }
            }
            held.epoch
        };
        let Some(session) = self.live_session(id_hash, now, idle_since).await? else {
            return Ok(None);
        };
        let memberships = self.memberships(&session.user.id).await?;
        let signed_in = Arc::new(SignedIn {
            session,
            memberships,
        });
        self.hold(id_hash, epoch, &signed_in);
        Ok(Some(signed_in))
    }

    /// Keeps a session read at `epoch`, unless something changed since.
    fn hold(&self, id_hash: &str, epoch: u64, signed_in: &Arc<SignedIn>) {
        let mut held = self.sessions.held_mut();
        if held.epoch != epoch {
            return;
        }
        if held.by_hash.len() >= MOST_HELD {
            held.by_hash.clear();
        }
        held.by_hash.insert(id_hash.to_owned(), signed_in.clone());
    }

    /// Marks a held session seen at `at`, after [`Db::touch_session`] wrote it.
    pub fn session_seen(&self, id_hash: &str, at: i64) {
        let mut held = self.sessions.held_mut();
        if let Some(signed_in) = held.by_hash.get_mut(id_hash) {
            Arc::make_mut(signed_in).session.last_seen_at = at;
        }
    }

    /// Forgets every session held, after a change to sessions, users, memberships or orgs
    /// committed; the next request reads its session anew.
    pub fn sessions_changed(&self) {
        self.sessions.changed();
    }

    /// Forgets every session held if the database's version moved since they were read.
    pub(super) async fn check_session_version(&self) -> Result<(), StoreError> {
        let version: i64 = sqlx::query_scalar("SELECT version FROM session_version WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        self.sessions.check(version);
        Ok(())
    }
}
