//! The in-memory view: per org, what the hot paths read (tokens, live keys with their health and
//! sealed secrets, consumers and their slots, the org's policy), held in memory so that a gateway
//! call or a resolve reads no database in steady state.
//!
//! Never stale after a change commits: every change of that data bumps the org's `view_version` in
//! its own transaction (database triggers, migration 0009). This instance forgets an org's view
//! right after committing a change to it ([`Db::changed`], called by the store's writes); other
//! instances hear of it through PostgreSQL's `LISTEN/NOTIFY`, and a periodic comparison of versions
//! covers a lost notification or a change made by another process on the same SQLite file (see
//! [`Db::keep_views_fresh`]). Sealed secrets stay sealed here: they are opened per use, by the
//! keyring, and plaintext is never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sqlx::FromRow;

use super::consumers::{ConsumerRecord, SlotRecord};
use super::keys::{KeyRecord, RECORD_COLUMNS};
use super::orgs::Organization;
use super::tokens::ScopeList;
use super::{Backend, Db, StoreError};
use crate::domain::accounts::TokenScope;
use crate::domain::consumers::Slot;

/// A live (not revoked) API token as the view holds it; expiry is checked at each use.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ViewToken {
    pub id: String,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "ScopeList")]
    pub scopes: Vec<TokenScope>,
    pub expires_at: Option<i64>,
}

impl ViewToken {
    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expires| expires > now)
    }
}

/// One org as the hot paths read it, at one version.
pub struct OrgView {
    pub version: i64,
    pub org: Organization,
    /// Live keys by key family, each family in creation order.
    families: HashMap<String, Vec<Arc<KeyRecord>>>,
    /// Key id → the key and its sealed secret, opened only by the keyring, per use.
    by_id: HashMap<String, (Arc<KeyRecord>, Option<String>)>,
    /// Secret hash → live token.
    tokens: HashMap<String, ViewToken>,
    consumers: HashMap<String, ConsumerRecord>,
    /// Consumer id → its slots, in reading order.
    slots: HashMap<String, Vec<SlotRecord>>,
    /// Member's user id → their email, for saying who changed what.
    member_emails: Arc<HashMap<String, String>>,
}

impl std::fmt::Debug for OrgView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgView")
            .field("org", &self.org.slug)
            .field("version", &self.version)
            .field("keys", &self.by_id.len())
            .field("tokens", &self.tokens.len())
            .field("consumers", &self.consumers.len())
            .finish()
    }
}

impl OrgView {
    /// The live keys of a key family, every scope and owner, in creation order.
    pub fn family(&self, family: &str) -> &[Arc<KeyRecord>] {
        self.families.get(family).map_or(&[], Vec::as_slice)
    }

    /// Every live key, every family, scope and owner, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<KeyRecord>> {
        self.by_id.values().map(|(key, _)| key)
    }

    /// A live key of any family.
    pub fn key(&self, key_id: &str) -> Option<&Arc<KeyRecord>> {
        self.by_id.get(key_id).map(|(key, _)| key)
    }

    /// A live key as this view holds it, with its sealed secret (`None` for a key that is gone).
    pub fn sealed_key(&self, key_id: &str) -> Option<(&KeyRecord, &str)> {
        match self.by_id.get(key_id)? {
            (key, Some(sealed)) => Some((key, sealed)),
            (_, None) => None,
        }
    }

    pub fn token(&self, secret_hash: &str) -> Option<&ViewToken> {
        self.tokens.get(secret_hash)
    }

    /// Every consumer of the org, every kind and owner, in no particular order.
    pub fn consumers(&self) -> impl Iterator<Item = &ConsumerRecord> {
        self.consumers.values()
    }

    pub fn consumer(&self, id: &str) -> Option<&ConsumerRecord> {
        self.consumers.get(id)
    }

    pub fn slots(&self, consumer_id: &str) -> &[SlotRecord] {
        self.slots.get(consumer_id).map_or(&[], Vec::as_slice)
    }

    /// The members' emails by user id.
    pub fn member_emails(&self) -> &Arc<HashMap<String, String>> {
        &self.member_emails
    }

    /// One slot of a consumer, if it is in use.
    pub fn slot(&self, consumer_id: &str, slot: Slot) -> Option<&SlotRecord> {
        self.slots(consumer_id).iter().find(|s| s.slot == slot)
    }
}

/// One org's place in the cache: the latest view loaded, with the epoch its load began at, and a
/// counter that moves on every change. A view is fresh while its epoch is the org's.
#[derive(Default)]
struct Entry {
    epoch: u64,
    view: Option<(u64, Arc<OrgView>)>,
    /// One load at a time per org: requests that find no fresh view wait for the one being loaded.
    loading: Arc<tokio::sync::Mutex<()>>,
}

/// The views this instance holds, and what it learned on the way.
#[derive(Default)]
pub(super) struct Views {
    orgs: RwLock<HashMap<String, Entry>>,
    /// Secret hash → org id, learned from the database once per token (a token never moves).
    token_orgs: RwLock<HashMap<String, String>>,
    /// Token id → its latest use not written yet (see [`Db::write_token_uses`]).
    token_uses: Mutex<HashMap<String, i64>>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Views {
    /// The org's view if it was loaded since `epoch` (pass the org's epoch now for a fresh one).
    fn loaded_since(&self, org_id: &str, epoch: Option<u64>) -> Option<Arc<OrgView>> {
        let orgs = read(&self.orgs);
        let entry = orgs.get(org_id)?;
        let (loaded_at, view) = entry.view.as_ref()?;
        (*loaded_at >= epoch.unwrap_or(entry.epoch)).then(|| view.clone())
    }

    fn changed(&self, org_id: &str) {
        write(&self.orgs)
            .entry(org_id.to_owned())
            .or_default()
            .epoch += 1;
    }

    fn changed_all(&self) {
        for entry in write(&self.orgs).values_mut() {
            entry.epoch += 1;
        }
    }

    /// The org's epoch now, and its load lock.
    fn epoch(&self, org_id: &str) -> (u64, Arc<tokio::sync::Mutex<()>>) {
        let mut orgs = write(&self.orgs);
        let entry = orgs.entry(org_id.to_owned()).or_default();
        (entry.epoch, entry.loading.clone())
    }

    /// Keeps a view whose load began at `epoch`, unless a later load's is kept already.
    fn keep(&self, org_id: &str, epoch: u64, view: &Arc<OrgView>) {
        if let Some(entry) = write(&self.orgs).get_mut(org_id) {
            if entry.view.as_ref().is_none_or(|(kept, _)| *kept < epoch) {
                entry.view = Some((epoch, view.clone()));
            }
        }
    }

    fn held_versions(&self) -> Vec<(String, i64)> {
        read(&self.orgs)
            .iter()
            .filter_map(|(id, entry)| Some((id.clone(), entry.view.as_ref()?.1.version)))
            .collect()
    }
}

#[derive(FromRow)]
struct OrgRow {
    #[sqlx(flatten)]
    org: Organization,
    view_version: i64,
}

#[derive(FromRow)]
struct KeyRow {
    #[sqlx(flatten)]
    record: KeyRecord,
    secret_ciphertext: Option<String>,
}

#[derive(FromRow)]
struct TokenRow {
    secret_hash: String,
    #[sqlx(flatten)]
    token: ViewToken,
}

/// The channels PostgreSQL announces changes on (migrations 0009 and 0010).
const VIEW_CHANNEL: &str = "keyhub_view";
const SESSIONS_CHANNEL: &str = "keyhub_sessions";

/// How often the versions held are compared with the database's.
pub const VERSION_CHECK_EVERY: Duration = Duration::from_secs(2);

impl Db {
    /// The org's view: from memory, or loaded from the database after a change. Requests that
    /// arrive while a load runs wait for it and share it when it began after they arrived; under a
    /// stream of changes each request waits for at most the load running and the next.
    pub async fn org_view(&self, org_id: &str) -> Result<Option<Arc<OrgView>>, StoreError> {
        if let Some(view) = self.views.loaded_since(org_id, None) {
            return Ok(Some(view));
        }
        let (arrived, loading) = self.views.epoch(org_id);
        let _one_load = loading.lock().await;
        if let Some(view) = self.views.loaded_since(org_id, Some(arrived)) {
            return Ok(Some(view));
        }
        // Read before the load's first query: the view holds every change announced by then.
        let (epoch, _) = self.views.epoch(org_id);
        let Some(view) = self.load_org_view(org_id).await? else {
            return Ok(None);
        };
        let view = Arc::new(view);
        self.views.keep(org_id, epoch, &view);
        Ok(Some(view))
    }

    /// The view of the org that holds the token with this secret hash, if the token exists; the
    /// database is asked only the first time a token is seen.
    pub async fn token_view(&self, secret_hash: &str) -> Result<Option<Arc<OrgView>>, StoreError> {
        let known = read(&self.views.token_orgs).get(secret_hash).cloned();
        let org_id = match known {
            Some(org_id) => org_id,
            None => {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT org_id FROM api_tokens WHERE secret_hash = $1")
                        .bind(secret_hash)
                        .fetch_optional(self.pool())
                        .await?;
                let Some(org_id) = found else {
                    return Ok(None);
                };
                write(&self.views.token_orgs).insert(secret_hash.to_owned(), org_id.clone());
                org_id
            }
        };
        self.org_view(&org_id).await
    }

    /// Forgets the org's view after a change to it committed; the next read loads it anew.
    pub fn changed(&self, org_id: &str) {
        self.views.changed(org_id);
    }

    /// Remembers a token's use, written later with [`Db::write_token_uses`].
    pub fn note_token_use(&self, token_id: &str, at: i64) {
        let mut uses = self
            .views
            .token_uses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match uses.get_mut(token_id) {
            Some(last) => *last = (*last).max(at),
            None => {
                uses.insert(token_id.to_owned(), at);
            }
        }
    }

    /// Writes the tokens' last uses remembered since the last call, in one transaction. A later
    /// use another instance already wrote is kept.
    pub async fn write_token_uses(&self) -> Result<(), StoreError> {
        let uses = std::mem::take(
            &mut *self
                .views
                .token_uses
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        for (token_id, at) in &uses {
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 \
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(at)
            .bind(token_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Loads one org's view. The version is read first: the data read after it is at least as new,
    /// so a change landing during the load is caught by the next version check.
    async fn load_org_view(&self, org_id: &str) -> Result<Option<OrgView>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let Some(OrgRow { org, view_version }) = sqlx::query_as(
            "SELECT id, slug, name, allow_personal_keys, allow_platform_keys, created_at, \
             view_version FROM organizations WHERE id = $1",
        )
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let keys: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS}, secret_ciphertext FROM provider_keys \
             WHERE org_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
        ))
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        let tokens: Vec<TokenRow> = sqlx::query_as(
            "SELECT secret_hash, id, name, prefix, scopes, expires_at FROM api_tokens \
             WHERE org_id = $1 AND revoked_at IS NULL",
        )
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        let consumers: Vec<ConsumerRecord> = sqlx::query_as(&format!(
            "SELECT {} FROM consumers WHERE org_id = $1",
            super::consumers::CONSUMER_COLUMNS
        ))
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        let slots: Vec<SlotRecord> = sqlx::query_as(&format!(
            "SELECT {} FROM consumer_slots WHERE org_id = $1 ORDER BY {}",
            super::consumers::SLOT_COLUMNS,
            super::consumers::SLOT_ORDER
        ))
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        let member_emails: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1",
        )
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        let mut view = OrgView {
            version: view_version,
            org,
            families: HashMap::new(),
            by_id: HashMap::new(),
            tokens: tokens
                .into_iter()
                .map(|row| (row.secret_hash, row.token))
                .collect(),
            consumers: consumers
                .into_iter()
                .map(|consumer| (consumer.id.clone(), consumer))
                .collect(),
            slots: HashMap::new(),
            member_emails: Arc::new(member_emails.into_iter().collect()),
        };
        for KeyRow {
            record,
            secret_ciphertext,
        } in keys
        {
            let record = Arc::new(record);
            view.by_id
                .insert(record.id.clone(), (record.clone(), secret_ciphertext));
            view.families
                .entry(record.key_family.clone())
                .or_default()
                .push(record);
        }
        for slot in slots {
            view.slots
                .entry(slot.consumer_id.clone())
                .or_default()
                .push(slot);
        }
        Ok(Some(view))
    }

    /// Forgets every view whose org's version moved in the database.
    pub async fn check_view_versions(&self) -> Result<(), StoreError> {
        let held = self.views.held_versions();
        if held.is_empty() {
            return Ok(());
        }
        let current: HashMap<String, i64> =
            sqlx::query_as::<_, (String, i64)>("SELECT id, view_version FROM organizations")
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .collect();
        for (org_id, version) in held {
            if current.get(&org_id) != Some(&version) {
                self.views.changed(&org_id);
            }
        }
        Ok(())
    }

    /// Keeps the views and the signed-in sessions held ([`super::signed_in`]) fresh for as long as
    /// KeyHub runs: compares versions every [`VERSION_CHECK_EVERY`], and on PostgreSQL also follows
    /// the `keyhub_view` and `keyhub_sessions` notifications.
    pub async fn keep_views_fresh(self) {
        if self.backend == Backend::Postgres {
            tokio::spawn(self.clone().follow_notifications());
        }
        let mut ticks = tokio::time::interval(VERSION_CHECK_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = self.check_view_versions().await {
                tracing::warn!(%error, "checking the in-memory view's versions failed");
            }
            if let Err(error) = self.check_session_version().await {
                tracing::warn!(%error, "checking the signed-in sessions' version failed");
            }
        }
    }

    /// Forgets an org's view, or the sessions held, as soon as PostgreSQL announces a change.
    /// While the listening connection is down, everything held is forgotten once it is back
    /// (notifications sent meanwhile are lost).
    async fn follow_notifications(self) {
        let Some(url) = self.listen_url.clone() else {
            return;
        };
        let forget_all = || {
            self.views.changed_all();
            self.sessions_changed();
        };
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    match listener.listen_all([VIEW_CHANNEL, SESSIONS_CHANNEL]).await {
                        Ok(()) => {
                            forget_all();
                            loop {
                                match listener.try_recv().await {
                                    Ok(Some(notice)) if notice.channel() == SESSIONS_CHANNEL => {
                                        self.sessions_changed()
                                    }
                                    Ok(Some(notice)) => self.changed(notice.payload()),
                                    Ok(None) => forget_all(),
                                    Err(error) => {
                                        tracing::warn!(%error, "listening for view changes failed");
                                        break;
                                    }
                                }
                            }
                        }
                        Err(error) => tracing::warn!(%error, "listening for view changes failed"),
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "connecting to listen for view changes failed")
                }
            }
            forget_all();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
