//! Which key serves a request (SPEC.md §6), and why. The only place the resolution order lives:
//!
//! 1. the key chosen for the slot, if enabled and usable;
//! 2. the consumer owner's personal primary (when the org allows personal keys), then the org's;
//! 3. the fallbacks by rank, personal then the org's;
//! 4. the platform key, only when the org has no enabled key of the family and allows it;
//! 5. otherwise `no_key`.
//!
//! Personal keys count only on their owner's behalf. An API token is the org's and acts on nobody's
//! behalf: for it steps 1–3 hold the org's keys only, and it is told nothing about personal keys.
//!
//! [`resolve`] is pure, so every step is tested without a database; [`Resolver`] feeds it from the
//! org's in-memory view ([`crate::store::view`]): no query in steady state. The ordered
//! [`Resolution::candidates`] are what the gateway fails over through.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::catalog::{Provider, PROVIDERS};
use crate::domain::consumers::Target;
use crate::domain::keys::{Role, Scope};
use crate::keys::health::unusable;
use crate::keys::input::serves;
use crate::keys::keyring::{Keyring, KeyringError};
use crate::keys::{key_label, KeyActor};
use crate::store::keys::KeyRecord;
use crate::store::orgs::Organization;
use crate::store::view::OrgView;
use crate::store::{now_ms, Db, StoreError};
use crate::vault::SecretString;

/// Where the resolved key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Selected,
    PersonalPrimary,
    OrgPrimary,
    Fallback,
    Platform,
}

/// What to resolve: the provider family, and the consumer's owner and explicit choice, if any.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub target: &'a Target,
    /// The consumer's owner: their personal keys count (when the org allows personal keys).
    pub owner: Option<&'a str>,
    /// The key chosen for the slot; `None` is "Use main key".
    pub chosen: Option<&'a str>,
    /// Who asks, and reads the explanation.
    pub reader: Reader<'a>,
}

/// Who asks for a resolution and reads its explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader<'a> {
    /// A signed-in member (by user id): another member's personal key is named as such, never by
    /// its nickname and hint.
    Member(&'a str),
    /// An API token: the org's, acting on nobody's behalf. Personal keys never serve it and are
    /// never named to it (SPEC.md §9).
    Token,
}

impl<'a> Reader<'a> {
    pub fn of(actor: KeyActor<'a>) -> Reader<'a> {
        match actor {
            KeyActor::Member { user, .. } => Reader::Member(&user.id),
            KeyActor::Token(_) => Reader::Token,
        }
    }
}

/// The org's rules that resolution follows, and whether the instance has a platform key.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub allow_personal_keys: bool,
    pub allow_platform_keys: bool,
    pub platform_key_configured: bool,
}

/// A usable key and its place in the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub key: Arc<KeyRecord>,
    pub source: Source,
}

/// Why an explicitly chosen key is not used (the consumer shows it as a warning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceProblem(pub String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// Usable keys of the org (and the owner), in resolution order. The first one serves.
    pub candidates: Vec<Candidate>,
    /// No key of the org's applies and the platform key serves.
    pub platform: bool,
    /// Keys passed over, each with the reason, in order.
    pub passed_over: Vec<String>,
    pub choice_problem: Option<ChoiceProblem>,
    /// One sentence: what serves and why, or what to do when nothing does.
    pub explanation: String,
}

impl Resolution {
    pub fn source(&self) -> Option<Source> {
        match self.candidates.first() {
            Some(first) => Some(first.source),
            None if self.platform => Some(Source::Platform),
            None => None,
        }
    }

    pub fn key(&self) -> Option<&KeyRecord> {
        self.candidates.first().map(|c| &*c.key)
    }

    /// What a page that already shows the serving key, its source and the chosen key's problem
    /// has left to say: the keys passed over on the way (but the chosen one, whose problem is
    /// shown) and the ones that follow if it fails; when nothing serves, the explanation.
    pub fn beside_the_key(&self, reader: Reader<'_>) -> String {
        if self.candidates.is_empty() {
            return self.explanation.clone();
        }
        let passed: Vec<&str> = self
            .passed_over
            .iter()
            .map(String::as_str)
            .filter(|reason| self.choice_problem.is_none() || !reason.starts_with("the chosen key"))
            .collect();
        let next: Vec<String> = self.candidates[1..]
            .iter()
            .map(|candidate| label_for(&candidate.key, reader))
            .collect();
        let mut said = Vec::new();
        if !passed.is_empty() {
            said.push(format!("Passed over: {}.", passed.join("; ")));
        }
        if !next.is_empty() {
            said.push(format!("If it fails: {}.", next.join(", then ")));
        }
        said.join(" ")
    }
}

/// Whether `reader` may see a key by its nickname and hint: an org key, or their own personal key.
pub fn shown_to(key: &KeyRecord, reader: Reader<'_>) -> bool {
    match (key.scope, reader) {
        (Scope::Org, _) => true,
        (Scope::Personal, Reader::Member(reader)) => key.owner_user_id.as_deref() == Some(reader),
        (Scope::Personal, Reader::Token) => false,
    }
}

/// How `reader` may see a key named: by nickname and hint when [`shown_to`] them, else as a
/// personal key of the owner.
pub fn label_for(key: &KeyRecord, reader: Reader<'_>) -> String {
    match shown_to(key, reader) {
        true => key_label(key),
        false => "(a personal key of the owner)".to_owned(),
    }
}

fn describe(source: Source, key: &KeyRecord, reader: Reader<'_>) -> String {
    let label = label_for(key, reader);
    match source {
        Source::Selected => format!("the chosen key {label}"),
        Source::PersonalPrimary => format!("the owner's personal primary {label}"),
        Source::OrgPrimary => format!("the organization's primary {label}"),
        Source::Fallback if key.scope == Scope::Personal => format!(
            "personal fallback {} {label}",
            key.fallback_rank.unwrap_or_default()
        ),
        Source::Fallback => format!("fallback {} {label}", key.fallback_rank.unwrap_or_default()),
        Source::Platform => "the platform key".to_owned(),
    }
}

/// The usable keys found so far, and the reasons others were passed over.
struct Order<'a> {
    reader: Reader<'a>,
    candidates: Vec<Candidate>,
    passed_over: Vec<String>,
    /// Every key considered, usable or not: each is named once.
    seen: Vec<String>,
}

impl Order<'_> {
    fn consider(&mut self, key: &Arc<KeyRecord>, source: Source, now: i64) {
        if self.seen.contains(&key.id) {
            return;
        }
        self.seen.push(key.id.clone());
        match unusable(key, now) {
            Some(reason) => self
                .passed_over
                .push(format!("{} {reason}", describe(source, key, self.reader))),
            None => self.candidates.push(Candidate {
                key: key.clone(),
                source,
            }),
        }
    }
}

fn capitalized(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Whether a key counts for the request: an org key, or the consumer owner's personal key where the
/// org allows personal keys, never for an API token.
fn counts(key: &KeyRecord, request: &Request<'_>, policy: Policy) -> bool {
    match key.scope {
        Scope::Org => true,
        Scope::Personal => {
            policy.allow_personal_keys
                && request.reader != Reader::Token
                && request.owner == key.owner_user_id.as_deref()
        }
    }
}

/// The keys of the requested family that count for the request.
fn eligible<'k, K: AsRef<KeyRecord> + 'k>(
    keys: impl IntoIterator<Item = &'k K>,
    request: &Request<'_>,
    policy: Policy,
) -> Vec<&'k K> {
    keys.into_iter()
        .filter(|key| {
            let key = (*key).as_ref();
            key.key_family == request.target.family && counts(key, request, policy)
        })
        .collect()
}

/// Whether the request may meet a key at all: the org's keys and the consumer owner's own; another
/// member's personal key is as good as absent.
fn within_reach(key: &KeyRecord, request: &Request<'_>) -> bool {
    key.scope == Scope::Org || key.owner_user_id.as_deref() == request.owner
}

/// The platform key serves when no eligible key is enabled (a disabled one does not stand in its
/// way), the org allows platform keys and the instance has one for the provider.
fn platform_serves<K: AsRef<KeyRecord>>(eligible: &[&K], policy: Policy) -> bool {
    !eligible.iter().any(|key| (*key).as_ref().enabled)
        && policy.allow_platform_keys
        && policy.platform_key_configured
}

/// Resolves from the org's live keys of the requested family (other families and other members'
/// personal keys are passed by).
pub fn resolve(
    keys: &[Arc<KeyRecord>],
    request: &Request<'_>,
    policy: Policy,
    now: i64,
) -> Resolution {
    let counts = |key: &&Arc<KeyRecord>| counts(key, request, policy);
    let eligible = eligible(
        keys.iter().filter(|key| within_reach(key, request)),
        request,
        policy,
    );
    let mut order = Order {
        reader: request.reader,
        candidates: Vec::new(),
        passed_over: Vec::new(),
        seen: Vec::new(),
    };
    let mut choice_problem = None;
    if let Some(chosen) = request.chosen {
        let family = &request.target.family;
        match keys
            .iter()
            .find(|key| key.id == chosen && key.key_family == *family && within_reach(key, request))
        {
            Some(key) if !counts(&key) && request.reader == Reader::Token => {
                choice_problem = Some(ChoiceProblem(
                    "The chosen key serves only its owner, never an API token.".to_owned(),
                ));
                order
                    .passed_over
                    .push("the chosen key serves only its owner, never an API token".to_owned());
            }
            Some(key) if !counts(&key) => {
                choice_problem = Some(ChoiceProblem(
                    "The chosen key is a personal key, which this organization does not allow."
                        .to_owned(),
                ));
                order
                    .passed_over
                    .push("the chosen key is a personal key, which is not allowed here".to_owned());
            }
            Some(key) => {
                if let Some(reason) = unusable(key, now) {
                    choice_problem = Some(ChoiceProblem(format!("The chosen key {reason}.")));
                }
                order.consider(key, Source::Selected, now);
            }
            None => {
                choice_problem = Some(ChoiceProblem("The chosen key was deleted.".to_owned()));
                order
                    .passed_over
                    .push("the chosen key was deleted".to_owned());
            }
        }
    }
    for (scope, role, source) in [
        (Scope::Personal, Role::Primary, Source::PersonalPrimary),
        (Scope::Org, Role::Primary, Source::OrgPrimary),
        (Scope::Personal, Role::Fallback, Source::Fallback),
        (Scope::Org, Role::Fallback, Source::Fallback),
    ] {
        let mut group: Vec<&Arc<KeyRecord>> = eligible
            .iter()
            .copied()
            .filter(|key| key.scope == scope && key.role == role)
            .collect();
        group.sort_by_key(|key| key.fallback_rank);
        for key in group {
            order.consider(key, source, now);
        }
    }
    let Order {
        candidates,
        passed_over,
        ..
    } = order;

    let any_enabled = eligible.iter().any(|key| key.enabled);
    let platform = platform_serves(&eligible, policy);
    let why = |passed_over: &[String]| match passed_over {
        [] => String::new(),
        reasons => format!(": {}", reasons.join("; ")),
    };
    let name = request.target.name();
    let hub = format!("/hub/{}", request.target.provider.id);
    let explanation = match candidates.first() {
        Some(first) => format!(
            "{}{}.",
            capitalized(describe(first.source, &first.key, request.reader)),
            why(&passed_over)
        ),
        None if platform => format!(
            "The platform key for {name}: the organization has no enabled {name} key of its own \
             and allows platform keys."
        ),
        None if !any_enabled && !policy.allow_platform_keys => format!(
            "No {name} key: the organization has none enabled and does not allow platform keys. \
             Add one at {hub}."
        ),
        None if !any_enabled => {
            format!("No {name} key: the organization has none enabled. Add one at {hub}.")
        }
        None if !passed_over.is_empty() => format!(
            "No usable {name} key{}. Wait until it recovers, or fix or add a key at {hub}.",
            why(&passed_over)
        ),
        None => format!(
            "No {name} key is the primary or a fallback. Make one the primary at {hub}, or choose \
             a key for this slot."
        ),
    };
    Resolution {
        candidates,
        platform,
        passed_over,
        choice_problem,
        explanation,
    }
}

/// A provider as the hub shows it to one viewer (see [`Resolver::hub_cards`]).
#[derive(Clone, Debug)]
pub struct HubCard<'k> {
    pub provider: &'static Provider,
    /// The keys of the provider's family the viewer sees.
    pub keys: Vec<&'k KeyRecord>,
    pub primary: Option<&'k KeyRecord>,
    /// Resolution would serve the platform key for the viewer's own "main key".
    pub platform_key: bool,
}

/// Resolution against the org's in-memory view: no query in steady state, no decryption until
/// asked.
#[derive(Clone)]
pub struct Resolver {
    db: Db,
    keyring: Keyring,
    platform_keys: Arc<BTreeMap<&'static str, SecretString>>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field(
                "platform_keys",
                &self.platform_keys.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Resolver {
    pub fn new(
        db: Db,
        keyring: Keyring,
        platform_keys: BTreeMap<&'static str, SecretString>,
    ) -> Resolver {
        Resolver {
            db,
            keyring,
            platform_keys: Arc::new(platform_keys),
        }
    }

    /// One card per catalog provider for the hub, from the keys the actor sees: the keys that
    /// serve it, the primary among them (the org's before the viewer's own), and whether the
    /// platform key serves it, by the same rule as [`resolve`] ([`platform_serves`]).
    pub fn hub_cards<'k>(
        &self,
        actor: KeyActor<'_>,
        keys: &'k [Arc<KeyRecord>],
    ) -> Vec<HubCard<'k>> {
        PROVIDERS
            .iter()
            .map(|provider| {
                let family: Vec<&KeyRecord> = keys
                    .iter()
                    .map(Arc::as_ref)
                    .filter(|key| serves(&key.key_family, provider))
                    .collect();
                let primary = family
                    .iter()
                    .copied()
                    .filter(|key| key.role == Role::Primary)
                    .min_by_key(|key| key.scope != Scope::Org);
                let platform_key = Target::parse(provider.id).is_some_and(|target| {
                    let request = Request {
                        target: &target,
                        owner: actor.user_id(),
                        chosen: None,
                        reader: Reader::of(actor),
                    };
                    let policy = self.policy(actor.org(), &target);
                    platform_serves(&eligible(family.iter().copied(), &request, policy), policy)
                });
                HubCard {
                    provider,
                    keys: family,
                    primary,
                    platform_key,
                }
            })
            .collect()
    }

    fn policy(&self, org: &Organization, target: &Target) -> Policy {
        Policy {
            allow_personal_keys: org.allow_personal_keys,
            allow_platform_keys: org.allow_platform_keys,
            platform_key_configured: target.provider.id != "custom"
                && self.platform_keys.contains_key(target.provider.id),
        }
    }

    /// Resolves in `org` (by the org's policy as its view holds it).
    pub async fn resolve(
        &self,
        org: &Organization,
        request: &Request<'_>,
    ) -> Result<Resolution, StoreError> {
        let view = self
            .db
            .org_view(&org.id)
            .await?
            .ok_or(StoreError::Conflict("the organization no longer exists"))?;
        Ok(self.resolve_in(&view, request))
    }

    /// Resolves from a view the caller already holds (the same snapshot it read the consumer from).
    pub fn resolve_in(&self, view: &OrgView, request: &Request<'_>) -> Resolution {
        resolve(
            view.family(&request.target.family),
            request,
            self.policy(&view.org, request.target),
            now_ms(),
        )
    }

    /// The secret of a candidate key, or with `None` the platform key for `target` (`None` when the
    /// instance has none). Decrypted only here, only when asked, as the org's view holds the key
    /// now: a key deleted or changed since it was resolved is not found or opened as it is now.
    pub async fn secret_of(
        &self,
        key: Option<&KeyRecord>,
        target: &Target,
    ) -> Result<Option<SecretString>, KeyringError> {
        let Some(key) = key else {
            return Ok(self.platform_keys.get(target.provider.id).cloned());
        };
        let view = self
            .db
            .org_view(&key.org_id)
            .await?
            .ok_or(KeyringError::NotFound)?;
        let (current, sealed) = view.sealed_key(&key.id).ok_or(KeyringError::NotFound)?;
        Ok(Some(self.keyring.open(current, sealed)?))
    }
}

#[cfg(test)]
mod tests;
