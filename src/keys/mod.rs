//! The key lifecycle (SPEC.md §4): add, edit, rotate, enable and disable, primary and fallbacks,
//! soft delete, and who may see and do which. The web UI's server functions and the REST API are
//! thin doors onto [`KeyService`]; every change is one transaction with its activity event.

pub mod arrangement;
pub mod health;
pub mod input;
pub mod keyring;
pub mod outcome;
pub mod revalidation;
pub mod usage;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::accounts::tokens::TokenCaller;
use crate::domain::accounts::TokenScope;
use crate::domain::catalog::{provider, Category, Provider};
use crate::domain::keys::{KeyStatus, Role, Scope};
use crate::domain::problems::{AllChecked, FieldProblem, Problems};
use crate::keys::keyring::{Keyring, KeyringError, NO_KEY_HINT};
use crate::store::accounts::{Membership, User};
use crate::store::activity::NewEvent;
use crate::store::change::{KeyGroup, OrgChange};
use crate::store::keys::{KeyRecord, NewKeyRow};
use crate::store::orgs::Organization;
use crate::store::{new_id, now_ms, Db, StoreError};
use crate::upstream::{Prober, Verdict};
use crate::vault::SecretString;
use arrangement::{rearrange, without, RoleChange};
pub use health::CallFailure;
use health::{health_of, judge};
use input::{
    base_given, clean_api_base, clean_nickname, clean_options, clean_secret, destination,
    key_family, prefix_warning,
};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    /// An API token without the scope the request needs.
    #[error("this token lacks the {} scope", .0.as_str())]
    MissingScope(TokenScope),
    #[error("{0}")]
    Invalid(Problems),
    /// The provider rejected the key: it is not stored.
    #[error("Key validation failed: {0}")]
    Rejected(String),
    /// The provider could not be asked; the key is stored only when the caller allows it.
    #[error("{0} To save it anyway as not verified, allow saving unverified keys.")]
    Unreachable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sealing(#[from] KeyringError),
}

impl From<FieldProblem> for KeyError {
    fn from(problem: FieldProblem) -> Self {
        KeyError::Invalid(problem.into())
    }
}

impl From<Problems> for KeyError {
    fn from(problems: Problems) -> Self {
        KeyError::Invalid(problems)
    }
}

const ADMINS_ONLY: &str = "Only owners and admins change the organization's keys.";
const NEEDS_REENTRY: &str = "This key's secret was lost with the old master key, so there is \
     nothing to check: paste the key again with Re-enter key.";

/// Who acts on keys: a signed-in member of the org, or an API token of it.
#[derive(Clone, Copy, Debug)]
pub enum KeyActor<'a> {
    Member {
        user: &'a User,
        membership: &'a Membership,
    },
    Token(&'a TokenCaller),
}

impl KeyActor<'_> {
    pub fn org(&self) -> &Organization {
        match self {
            KeyActor::Member { membership, .. } => &membership.org,
            KeyActor::Token(caller) => &caller.org,
        }
    }

    pub(crate) fn user_id(&self) -> Option<&str> {
        match self {
            KeyActor::Member { user, .. } => Some(&user.id),
            KeyActor::Token(_) => None,
        }
    }

    pub(crate) fn label(&self) -> String {
        match self {
            KeyActor::Member { user, .. } => user.email.clone(),
            KeyActor::Token(caller) => caller.label.clone(),
        }
    }

    pub(crate) fn may_write_org_keys(&self) -> bool {
        match self {
            KeyActor::Member { membership, .. } => membership.role.is_admin(),
            KeyActor::Token(caller) => caller.allows(TokenScope::KeysWrite),
        }
    }

    /// Org keys are seen by every member and by tokens; personal keys only by their owner.
    fn sees(&self, key: &KeyRecord) -> bool {
        match key.scope {
            Scope::Org => true,
            Scope::Personal => self.user_id() == key.owner_user_id.as_deref(),
        }
    }

    /// Whether the actor may change, rotate, validate or delete `key` (see
    /// [`KeyActor::check_may_change`]).
    pub fn may_change(&self, key: &KeyRecord) -> bool {
        self.check_may_change(key).is_ok()
    }

    /// Org keys are changed by admins and `keys:write` tokens; personal keys by their owner.
    fn check_may_change(&self, key: &KeyRecord) -> Result<(), KeyError> {
        match key.scope {
            Scope::Org if self.may_write_org_keys() => Ok(()),
            Scope::Org => Err(KeyError::Forbidden(ADMINS_ONLY)),
            Scope::Personal if self.sees(key) => Ok(()),
            Scope::Personal => Err(KeyError::NotFound),
        }
    }
}

/// A key to add, as typed into the form or sent to the API.
#[derive(Debug)]
pub struct KeyDraft {
    pub provider: String,
    pub api_key: SecretString,
    pub nickname: Option<String>,
    pub api_base: Option<String>,
    pub options: Map<String, Value>,
    pub role: RoleChange,
    pub enabled: bool,
    pub scope: Scope,
    /// Save even when the provider cannot be asked (as `unverified`, with the reason).
    pub allow_unverified: bool,
}

/// Settings to change; `None` leaves a setting as it is.
#[derive(Debug, Default)]
pub struct KeyEdit {
    pub nickname: Option<Option<String>>,
    pub api_base: Option<Option<String>>,
    pub options: Option<Map<String, Value>>,
}

impl KeyEdit {
    fn is_empty(&self) -> bool {
        self.nickname.is_none() && self.api_base.is_none() && self.options.is_none()
    }
}

/// What to change of a key, all at once: a new secret, settings, a role.
#[derive(Debug, Default)]
pub struct KeyChange {
    pub secret: Option<SecretString>,
    pub edit: KeyEdit,
    pub role: Option<RoleChange>,
    /// With a new secret: save it even when the provider cannot be asked.
    pub allow_unverified: bool,
}

/// A key just saved, with a warning worth showing (a prefix that does not match the provider).
#[derive(Debug)]
pub struct Saved {
    pub key: KeyRecord,
    pub warning: Option<String>,
}

/// Which keys to list; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct KeyFilter {
    pub provider: Option<String>,
    /// Keys this provider can use: its own, and those of the family it shares (see
    /// [`input::serves`]).
    pub served: Option<&'static Provider>,
    pub category: Option<Category>,
    pub status: Option<KeyStatus>,
    pub enabled: Option<bool>,
}

impl KeyFilter {
    fn matches(&self, key: &KeyRecord) -> bool {
        self.provider.as_ref().is_none_or(|p| *p == key.provider)
            && self
                .served
                .is_none_or(|provider| input::serves(&key.key_family, provider))
            && self.category.is_none_or(|c| {
                provider(&key.provider).is_some_and(|provider| provider.category == c)
            })
            && self.status.is_none_or(|s| s == key.status)
            && self.enabled.is_none_or(|e| e == key.enabled)
    }
}

/// The provider of a stored key (the catalog is compiled in; a row always names one of it).
fn provider_of(key: &KeyRecord) -> Result<&'static Provider, KeyError> {
    provider(&key.provider).ok_or(KeyError::NotFound)
}

/// The editable settings of a key, cleaned.
struct KeySettings {
    nickname: Option<String>,
    api_base: Option<String>,
    options: Map<String, Value>,
}

/// Why a change of where a key is sent is refused without the key: nobody, admins included, can
/// read a stored key back, so nobody may send it somewhere new without holding it.
fn destination_needs_the_key(provider: &Provider) -> FieldProblem {
    FieldProblem::new(
        "api_key",
        format!(
            "Changing {} sends the key somewhere new, so it needs the key itself again: paste it \
             in API key.",
            provider.destination_words()
        ),
    )
}

/// How a key is named in messages and the activity log: nickname and hint.
pub fn key_label(key: &KeyRecord) -> String {
    match &key.nickname {
        Some(nickname) => format!("'{nickname}' ({})", key.hint),
        None => key.hint.clone(),
    }
}

fn role_words(change: RoleChange) -> String {
    match change {
        RoleChange::Primary => "made primary".to_owned(),
        RoleChange::Fallback { rank: Some(rank) } => format!("made fallback {rank}"),
        RoleChange::Fallback { rank: None } => "made the last fallback".to_owned(),
        RoleChange::None => "given no role".to_owned(),
    }
}

#[derive(Clone, Debug)]
pub struct KeyService {
    db: Db,
    keyring: Keyring,
    prober: Prober,
    allow_private_endpoints: bool,
    /// Keys being checked right now.
    in_flight: Arc<Mutex<HashSet<String>>>,
    /// When each key was last re-checked because a provider refused it at call time.
    rechecked: Arc<Mutex<HashMap<String, i64>>>,
}

/// Marks a key as being checked until dropped.
struct InFlight {
    set: Arc<Mutex<HashSet<String>>>,
    key_id: String,
}

impl InFlight {
    fn start(set: &Arc<Mutex<HashSet<String>>>, key_id: &str) -> Option<InFlight> {
        let fresh = set
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key_id.to_owned());
        fresh.then(|| InFlight {
            set: set.clone(),
            key_id: key_id.to_owned(),
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.key_id);
    }
}

impl KeyService {
    pub fn new(
        db: Db,
        keyring: Keyring,
        prober: Prober,
        allow_private_endpoints: bool,
    ) -> KeyService {
        KeyService {
            db,
            keyring,
            prober,
            allow_private_endpoints,
            in_flight: Arc::default(),
            rechecked: Arc::default(),
        }
    }

    fn event(
        &self,
        actor: KeyActor<'_>,
        action: &'static str,
        key: &KeyRecord,
        detail: String,
    ) -> NewEvent {
        NewEvent {
            org_id: actor.org().id.clone(),
            actor_user_id: actor.user_id().map(str::to_owned),
            actor_label: actor.label(),
            action,
            target_kind: "key",
            target_id: key.id.clone(),
            target_label: key_label(key),
            provider: Some(key.provider.clone()),
            detail,
            at: now_ms(),
        }
    }

    /// How this instance reaches providers (base URLs, address rules).
    pub fn prober(&self) -> &Prober {
        &self.prober
    }

    /// What the gateway did with each key of the actor's org, by key id.
    pub async fn usage(
        &self,
        actor: KeyActor<'_>,
    ) -> Result<crate::store::usage::OrgUsage, KeyError> {
        Ok(self.db.usage_of(&actor.org().id).await?)
    }

    /// The database's name and whether the vault opens (see [`Keyring::health`]).
    pub async fn vault_health(&self) -> (&'static str, Result<bool, StoreError>) {
        self.keyring.health().await
    }

    /// At start: binds keys sealed before envelopes carried their destination (see
    /// [`Keyring::bind_older_envelopes`]).
    pub async fn bind_older_envelopes(&self) {
        self.keyring.bind_older_envelopes().await
    }

    /// The keys the actor may see, filtered, read from the org's in-memory view: by provider, then
    /// primary, fallbacks in rank order, the others; oldest first. Shared with the view, not
    /// copied: a page of 200 keys reads them without cloning one.
    pub async fn list(
        &self,
        actor: KeyActor<'_>,
        filter: &KeyFilter,
    ) -> Result<Vec<Arc<KeyRecord>>, KeyError> {
        let Some(view) = self.db.org_view(&actor.org().id).await? else {
            return Ok(Vec::new());
        };
        let mut keys: Vec<&Arc<KeyRecord>> = view
            .keys()
            .filter(|key| actor.sees(key) && filter.matches(key))
            .collect();
        keys.sort_unstable_by(|a, b| {
            (&a.provider, a.role, a.fallback_rank, a.created_at, &a.id).cmp(&(
                &b.provider,
                b.role,
                b.fallback_rank,
                b.created_at,
                &b.id,
            ))
        });
        Ok(keys.into_iter().cloned().collect())
    }

    /// One live key the actor may see; anything else is not found.
    pub async fn get(&self, actor: KeyActor<'_>, key_id: &str) -> Result<KeyRecord, KeyError> {
        match self.db.key(&actor.org().id, key_id).await? {
            Some(key) if key.deleted_at.is_none() && actor.sees(&key) => Ok(key),
            _ => Err(KeyError::NotFound),
        }
    }

    /// How many personal keys of `provider` the org's other members hold, for owners and admins
    /// (0 for anyone else): a count, never which keys.
    pub async fn members_personal_keys(
        &self,
        actor: KeyActor<'_>,
        provider: &str,
    ) -> Result<usize, KeyError> {
        let (KeyActor::Member { user, membership }, true) = (actor, actor.may_write_org_keys())
        else {
            return Ok(0);
        };
        let Some(view) = self.db.org_view(&membership.org.id).await? else {
            return Ok(0);
        };
        Ok(view
            .keys()
            .filter(|key| {
                key.scope == Scope::Personal
                    && key.provider == provider
                    && key
                        .owner_user_id
                        .as_deref()
                        .is_some_and(|owner| owner != user.id)
            })
            .count())
    }

    /// One key the actor may see, deleted or not: what a change just did to it is told from it.
    pub async fn recent(&self, actor: KeyActor<'_>, key_id: &str) -> Result<KeyRecord, KeyError> {
        match self.db.key(&actor.org().id, key_id).await? {
            Some(key) if actor.sees(&key) => Ok(key),
            _ => Err(KeyError::NotFound),
        }
    }

    /// Live keys of the org (visible to the actor) that already hold this secret.
    async fn duplicate(
        &self,
        actor: KeyActor<'_>,
        secret: &SecretString,
        except: Option<&str>,
    ) -> Result<(), KeyError> {
        if secret.is_empty() {
            return Ok(());
        }
        let existing = self.keyring.duplicates_of(&actor.org().id, secret).await?;
        match existing
            .iter()
            .find(|key| actor.sees(key) && Some(key.id.as_str()) != except)
        {
            Some(key) => Err(FieldProblem::new(
                "api_key",
                format!(
                    "This key is already stored as {}. Edit that one instead of adding it twice.",
                    key_label(key)
                ),
            )
            .into()),
            None => Ok(()),
        }
    }

    pub async fn create(&self, actor: KeyActor<'_>, draft: KeyDraft) -> Result<Saved, KeyError> {
        let provider = provider(&draft.provider)
            .ok_or_else(|| FieldProblem::new("provider", "Choose a provider from the list."))?;
        let org = actor.org();
        let owner = match draft.scope {
            Scope::Org if actor.may_write_org_keys() => None,
            Scope::Org => return Err(KeyError::Forbidden(ADMINS_ONLY)),
            Scope::Personal if !org.allow_personal_keys => {
                return Err(KeyError::Forbidden(
                    "Your organization does not allow personal keys.",
                ))
            }
            Scope::Personal => Some(actor.user_id().ok_or(KeyError::Forbidden(
                "API tokens add organization keys, not personal ones.",
            ))?),
        };
        let (secret, nickname, api_base, options) = (
            clean_secret(provider, draft.api_key.expose()),
            clean_nickname(draft.nickname.as_deref()),
            clean_api_base(draft.api_base.as_deref(), self.allow_private_endpoints)
                .and_then(|base| base_given(provider, base)),
            clean_options(provider, &draft.options),
        )
            .all_checked()?;
        self.duplicate(actor, &secret, None).await?;
        let warning = prefix_warning(provider, &secret);
        let verdict = self
            .prober
            .validate(provider, &secret, api_base.as_deref(), &options)
            .await;
        let health = judge(provider, &verdict, draft.allow_unverified)?;

        let id = new_id();
        let to = destination(provider, api_base.as_deref(), &options);
        let sealed = self.keyring.seal(provider, &org.id, &id, &to, &secret);
        drop(secret);
        let now = now_ms();
        let options_text = Value::Object(options.clone()).to_string();
        let family = key_family(provider, &options);
        let row = NewKeyRow {
            id: &id,
            org_id: &org.id,
            scope: draft.scope,
            owner_user_id: owner,
            provider: provider.id,
            key_family: &family,
            nickname: nickname.as_deref(),
            sealed_secret: &sealed.sealed,
            hint: &sealed.hint,
            fingerprint: &sealed.fingerprint,
            api_base: api_base.as_deref(),
            options: &options_text,
            role: Role::None,
            fallback_rank: None,
            enabled: draft.enabled,
            actor: actor.user_id(),
            now,
        };
        let mut change = self.db.begin_org_change(&org.id).await?;
        change.insert_key(&row).await?;
        change.set_health(&id, &health).await?;
        let key = change.live_key(&id).await?.ok_or(KeyError::NotFound)?;
        if draft.role != RoleChange::None {
            self.rearrange(&mut change, actor, &key, draft.role).await?;
        }
        let detail = match draft.role {
            RoleChange::None => String::new(),
            role => role_words(role),
        };
        change
            .finish(&self.event(actor, "key.created", &key, detail))
            .await?;
        Ok(Saved {
            key: self.get(actor, &id).await?,
            warning,
        })
    }

    async fn rearrange(
        &self,
        change: &mut OrgChange<'_>,
        actor: KeyActor<'_>,
        key: &KeyRecord,
        role: RoleChange,
    ) -> Result<(), KeyError> {
        let before = change.arrangement(&KeyGroup::of(key)).await?;
        let after = rearrange(&before, &key.id, role);
        change
            .arrange(&before, &after, actor.user_id(), now_ms())
            .await?;
        Ok(())
    }

    /// Opens a change of one key: locks the org, reads the key, checks the actor may change it.
    async fn begin(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
    ) -> Result<(OrgChange<'static>, KeyRecord), KeyError> {
        let mut change = self.db.begin_org_change(&actor.org().id).await?;
        let key = change
            .live_key(key_id)
            .await?
            .filter(|key| actor.sees(key))
            .ok_or(KeyError::NotFound)?;
        actor.check_may_change(&key)?;
        Ok((change, key))
    }

    /// Changes a key in one transaction: rotates its secret, edits its settings and gives it a
    /// role, each only when asked. Everything is checked before anything is written, so a refused
    /// part leaves the key as it was. A new secret is validated like a new key (at the key's new
    /// destination, when that changes too); changing the destination needs the secret itself again.
    pub async fn change(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
        change: KeyChange,
    ) -> Result<Saved, KeyError> {
        let current = self.get(actor, key_id).await?;
        actor.check_may_change(&current)?;
        let provider = provider_of(&current)?;
        let settings = match change.edit.is_empty() {
            true => None,
            false => Some(self.settings_after(&current, provider, change.edit)?),
        };
        let (api_base, options) = match &settings {
            Some(after) => (after.api_base.clone(), after.options.clone()),
            None => (current.api_base.clone(), current.options.clone()),
        };
        let to = destination(provider, api_base.as_deref(), &options);
        let moves = to != destination(provider, current.api_base.as_deref(), &current.options);
        let secret = match change.secret {
            Some(secret) => Some(secret),
            // A key without a secret (a local Ollama) has nothing to enter again.
            None if moves && current.hint == NO_KEY_HINT => Some(SecretString::new("")),
            None if moves => return Err(destination_needs_the_key(provider).into()),
            None => None,
        };
        let mut warning = None;
        let rotated = match secret {
            Some(raw) => {
                let secret = clean_secret(provider, raw.expose())?;
                self.duplicate(actor, &secret, Some(key_id)).await?;
                warning = prefix_warning(provider, &secret);
                let verdict = self
                    .prober
                    .validate(provider, &secret, api_base.as_deref(), &options)
                    .await;
                let health = judge(provider, &verdict, change.allow_unverified)?;
                let sealed = self
                    .keyring
                    .seal(provider, &current.org_id, key_id, &to, &secret);
                Some((sealed, health))
            }
            None => None,
        };

        let (mut tx, key) = self.begin(actor, key_id).await?;
        let now = now_ms();
        if let Some((sealed, health)) = rotated {
            tx.replace_secret(
                key_id,
                &sealed.sealed,
                &sealed.hint,
                &sealed.fingerprint,
                actor.user_id(),
                now,
            )
            .await?;
            tx.set_health(key_id, &health).await?;
            let rotated = tx.live_key(key_id).await?.ok_or(KeyError::NotFound)?;
            tx.record(&self.event(actor, "key.rotated", &rotated, format!("was {}", key.hint)))
                .await?;
        }
        if let Some(after) = settings {
            tx.update_settings(
                key_id,
                after.nickname.as_deref(),
                after.api_base.as_deref(),
                &Value::Object(after.options).to_string(),
                actor.user_id(),
                now,
            )
            .await?;
            let edited = tx.live_key(key_id).await?.ok_or(KeyError::NotFound)?;
            tx.record(&self.event(actor, "key.updated", &edited, String::new()))
                .await?;
        }
        if let Some(role) = change.role {
            self.rearrange(&mut tx, actor, &key, role).await?;
            let arranged = tx.live_key(key_id).await?.ok_or(KeyError::NotFound)?;
            tx.record(&self.event(actor, "key.role_changed", &arranged, role_words(role)))
                .await?;
        }
        tx.commit().await?;
        Ok(Saved {
            key: self.get(actor, key_id).await?,
            warning,
        })
    }

    /// The settings a key will have after `edit`.
    fn settings_after(
        &self,
        key: &KeyRecord,
        provider: &'static Provider,
        edit: KeyEdit,
    ) -> Result<KeySettings, KeyError> {
        let (nickname, api_base, options) = (
            match edit.nickname {
                Some(nickname) => clean_nickname(nickname.as_deref()),
                None => Ok(key.nickname.clone()),
            },
            match edit.api_base {
                Some(base) => clean_api_base(base.as_deref(), self.allow_private_endpoints),
                None => Ok(key.api_base.clone()),
            },
            match edit.options {
                Some(options) => clean_options(provider, &options).and_then(|options| {
                    if key_family(provider, &options) == key.key_family {
                        Ok(options)
                    } else {
                        Err(FieldProblem::new(
                            "options",
                            "The endpoint name cannot change: add a new key for it.",
                        ))
                    }
                }),
                None => Ok(key.options.clone()),
            },
        )
            .all_checked()?;
        Ok(KeySettings {
            nickname,
            api_base,
            options,
        })
    }

    pub async fn update(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
        edit: KeyEdit,
    ) -> Result<KeyRecord, KeyError> {
        let change = KeyChange {
            edit,
            ..KeyChange::default()
        };
        Ok(self.change(actor, key_id, change).await?.key)
    }

    /// Replaces the secret in place: the id stays, so every choice that points at it keeps working.
    pub async fn rotate(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
        new_secret: SecretString,
    ) -> Result<Saved, KeyError> {
        let change = KeyChange {
            secret: Some(new_secret),
            ..KeyChange::default()
        };
        self.change(actor, key_id, change).await
    }

    pub async fn set_enabled(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
        enabled: bool,
    ) -> Result<KeyRecord, KeyError> {
        let (mut change, _) = self.begin(actor, key_id).await?;
        change
            .set_enabled(key_id, enabled, actor.user_id(), now_ms())
            .await?;
        let key = change.live_key(key_id).await?.ok_or(KeyError::NotFound)?;
        let action = if enabled {
            "key.enabled"
        } else {
            "key.disabled"
        };
        change
            .finish(&self.event(actor, action, &key, String::new()))
            .await?;
        Ok(key)
    }

    /// Makes a key the primary, a fallback at a rank, or neither; the group stays consistent.
    pub async fn set_role(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
        role: RoleChange,
    ) -> Result<KeyRecord, KeyError> {
        let change = KeyChange {
            role: Some(role),
            ..KeyChange::default()
        };
        Ok(self.change(actor, key_id, change).await?.key)
    }

    /// Soft delete: the ciphertext is wiped at once, the row stays for the audit trail.
    pub async fn delete(&self, actor: KeyActor<'_>, key_id: &str) -> Result<KeyRecord, KeyError> {
        let (mut change, key) = self.begin(actor, key_id).await?;
        let before = change.arrangement(&KeyGroup::of(&key)).await?;
        let after = without(&before, key_id);
        let now = now_ms();
        change
            .arrange(&before, &after, actor.user_id(), now)
            .await?;
        change.soft_delete(key_id, actor.user_id(), now).await?;
        change
            .finish(&self.event(actor, "key.deleted", &key, String::new()))
            .await?;
        Ok(key)
    }

    /// Asks the provider about a stored key now and records what it said. The key is judged, never
    /// changed otherwise: a rejected key stays for the admin to rotate.
    pub async fn validate(
        &self,
        actor: KeyActor<'_>,
        key_id: &str,
    ) -> Result<(KeyRecord, Option<Verdict>), KeyError> {
        let key = self.get(actor, key_id).await?;
        actor.check_may_change(&key)?;
        let verdict = self.check(&key).await?;
        Ok((self.get(actor, key_id).await?, verdict))
    }

    /// Re-validates a key for the background job: the instance itself acts, so nobody's rights
    /// apply; a key deleted or disabled meanwhile is skipped. `None` when skipped.
    pub async fn revalidate(
        &self,
        org_id: &str,
        key_id: &str,
    ) -> Result<Option<Verdict>, KeyError> {
        match self.db.key(org_id, key_id).await? {
            Some(key) if key.deleted_at.is_none() && key.enabled => self.check(&key).await,
            _ => Ok(None),
        }
    }

    /// Probes a key and records its health; `None` when a check of it is already running (one
    /// check per key at a time, whoever asked).
    async fn check(&self, key: &KeyRecord) -> Result<Option<Verdict>, KeyError> {
        if key.status == KeyStatus::NeedsReentry {
            return Err(FieldProblem::new("api_key", NEEDS_REENTRY).into());
        }
        let Some(_running) = InFlight::start(&self.in_flight, &key.id) else {
            return Ok(None);
        };
        let provider = provider_of(key)?;
        let secret = self.keyring.reveal(key).await?;
        let verdict = self
            .prober
            .validate(provider, &secret, key.api_base.as_deref(), &key.options)
            .await;
        drop(secret);
        let mut tx = self.db.begin_org_change(&key.org_id).await?;
        tx.set_health(&key.id, &health_of(&verdict, now_ms()))
            .await?;
        tx.commit().await?;
        Ok(Some(verdict))
    }
}
