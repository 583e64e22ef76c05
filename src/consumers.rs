//! Experts and assistants (SPEC.md §6): who may see and change them, what a valid slot is, and
//! what each slot resolves to. The server functions and the REST API are thin doors onto
//! [`ConsumerService`]; every change is one transaction with its activity event.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::accounts::tokens::TokenCaller;
use crate::domain::accounts::TokenScope;
use crate::domain::consumers::{ConsumerKind, PickerKey, Slot, Target};
use crate::domain::keys::Scope;
use crate::domain::problems::{FieldProblem, Problems};
use crate::keys::health::unusable;
use crate::keys::{key_label, KeyActor, KeyError};
use crate::resolution::{label_for, Reader, Request, Resolution, Resolver};
use crate::store::activity::NewEvent;
use crate::store::consumers::{ConsumerRecord, ConsumerRow, SlotRecord};
use crate::store::keys::KeyRecord;
use crate::store::view::OrgView;
use crate::store::{new_id, now_ms, Db};
use crate::vault::SecretString;

/// A slot as sent by a form or the API. `key_id: None` is "Use main key".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotDraft {
    pub provider: String,
    pub model: Option<String>,
    pub voice: Option<String>,
    pub key_id: Option<String>,
}

/// What to change; `None` leaves a field as it is. In `slots`, `Some(None)` turns a slot off.
#[derive(Clone, Debug, Default)]
pub struct ConsumerPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub expert_id: Option<Option<String>>,
    pub slots: BTreeMap<Slot, Option<SlotDraft>>,
}

/// An expert or assistant with its slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub record: ConsumerRecord,
    pub slots: Vec<SlotRecord>,
}

impl Consumer {
    pub fn slot(&self, slot: Slot) -> Option<&SlotRecord> {
        self.slots.iter().find(|s| s.slot == slot)
    }
}

/// One slot and what it resolves to right now.
#[derive(Clone, Debug)]
pub struct SlotResolution {
    pub slot: SlotRecord,
    pub target: Target,
    pub resolution: Resolution,
}

/// What a reveal hands over: the secret, or why there is none to hand over.
#[derive(Debug)]
pub enum Revealed {
    Secret(SecretString),
    Withheld(String),
}

/// Whether `actor` may choose `key` for a slot of a consumer owned by `owner`: any org key, and a
/// personal key only its owner, for their own consumers.
pub fn may_choose(actor: KeyActor<'_>, owner: Option<&str>, key: &KeyRecord) -> bool {
    match key.scope {
        Scope::Org => true,
        Scope::Personal => {
            actor.user_id().is_some()
                && actor.user_id() == owner
                && key.owner_user_id.as_deref() == owner
        }
    }
}

fn problem(field: &'static str, message: impl Into<String>) -> KeyError {
    FieldProblem::new(field, message).into()
}

/// The problems found so far while checking a whole form, so that it is refused with all of them.
#[derive(Default)]
struct Gathered(Vec<FieldProblem>);

impl Gathered {
    /// The value of a check that held; a problem with the input is kept for later (`None`), any
    /// other failure ends the check at once.
    fn keep<T>(&mut self, checked: Result<T, KeyError>) -> Result<Option<T>, KeyError> {
        match checked {
            Ok(value) => Ok(Some(value)),
            Err(KeyError::Invalid(problems)) => {
                self.0.extend(problems.iter().cloned());
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    fn finish(self) -> Result<(), KeyError> {
        match Problems::gathered(self.0) {
            Some(problems) => Err(KeyError::Invalid(problems)),
            None => Ok(()),
        }
    }
}

/// Trimmed one-line text of at most `max` characters; empty is `None`.
fn clean_line(
    raw: Option<&str>,
    max: usize,
    field: &'static str,
    what: &str,
) -> Result<Option<String>, KeyError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(problem(
            field,
            format!("Use up to {max} characters on one line for the {what}."),
        ));
    }
    Ok(Some(text.to_owned()))
}

#[derive(Clone, Debug)]
pub struct ConsumerService {
    db: Db,
    resolver: Resolver,
}

impl ConsumerService {
    pub fn new(db: Db, resolver: Resolver) -> ConsumerService {
        ConsumerService { db, resolver }
    }

    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Members see and change their own; admins and tokens all of the org's.
    fn sees(actor: KeyActor<'_>, record: &ConsumerRecord) -> bool {
        Self::sees_all(actor) || actor.user_id() == record.owner_user_id.as_deref()
    }

    /// Whether the actor may change or delete the consumer: its owner, admins and `keys:write`
    /// tokens.
    pub fn may_change(actor: KeyActor<'_>, record: &ConsumerRecord) -> bool {
        actor.may_write_org_keys()
            || (actor.user_id().is_some() && actor.user_id() == record.owner_user_id.as_deref())
    }

    /// The consumers of a kind the actor sees, with their slots, by name, from the org's view.
    pub async fn list(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
    ) -> Result<Vec<Consumer>, KeyError> {
        let view = self.view(actor).await?;
        let mut records: Vec<&ConsumerRecord> = view
            .consumers()
            .filter(|record| record.kind == kind && Self::sees(actor, record))
            .collect();
        records.sort_unstable_by(|a, b| {
            (&a.name, a.created_at, &a.id).cmp(&(&b.name, b.created_at, &b.id))
        });
        Ok(records
            .into_iter()
            .map(|record| Consumer {
                slots: view.slots(&record.id).to_vec(),
                record: record.clone(),
            })
            .collect())
    }

    fn sees_all(actor: KeyActor<'_>) -> bool {
        actor.may_write_org_keys() || matches!(actor, KeyActor::Token(_))
    }

    /// One consumer of the kind that the actor sees; anything else is not found.
    pub async fn get(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
    ) -> Result<Consumer, KeyError> {
        let view = self.view(actor).await?;
        let record = Self::seen(&view, actor, kind, id)?;
        Ok(Consumer {
            slots: view.slots(id).to_vec(),
            record: record.clone(),
        })
    }

    async fn view(&self, actor: KeyActor<'_>) -> Result<Arc<OrgView>, KeyError> {
        self.db
            .org_view(&actor.org().id)
            .await?
            .ok_or(KeyError::NotFound)
    }

    /// A consumer of the kind in the view that the actor sees; anything else is not found.
    fn seen<'v>(
        view: &'v OrgView,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
    ) -> Result<&'v ConsumerRecord, KeyError> {
        view.consumer(id)
            .filter(|record| record.kind == kind && Self::sees(actor, record))
            .ok_or(KeyError::NotFound)
    }

    pub async fn create(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        patch: ConsumerPatch,
    ) -> Result<Consumer, KeyError> {
        let id = new_id();
        let owner = actor.user_id().map(str::to_owned);
        let draft = self
            .checked(actor, kind, &id, owner.as_deref(), None, patch)
            .await?;
        let mut change = self.db.begin_org_change(&actor.org().id).await?;
        let now = now_ms();
        change
            .insert_consumer(
                &draft.row(&id, kind, owner.as_deref()),
                actor.user_id(),
                now,
            )
            .await?;
        change.replace_slots(&id, &draft.slots).await?;
        change
            .finish(&self.event(actor, kind, "created", &id, &draft.name))
            .await?;
        self.get(actor, kind, &id).await
    }

    pub async fn update(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
        patch: ConsumerPatch,
    ) -> Result<Consumer, KeyError> {
        let current = self.changeable(actor, kind, id).await?;
        let owner = current.record.owner_user_id.clone();
        let draft = self
            .checked(actor, kind, id, owner.as_deref(), Some(&current), patch)
            .await?;
        let mut change = self.db.begin_org_change(&actor.org().id).await?;
        let now = now_ms();
        change
            .update_consumer(&draft.row(id, kind, owner.as_deref()), actor.user_id(), now)
            .await?;
        change.replace_slots(id, &draft.slots).await?;
        change
            .finish(&self.event(actor, kind, "updated", id, &draft.name))
            .await?;
        self.get(actor, kind, id).await
    }

    /// A consumer the actor may change: its owner's, or any for admins and `keys:write` tokens.
    async fn changeable(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
    ) -> Result<Consumer, KeyError> {
        let current = self.get(actor, kind, id).await?;
        match Self::may_change(actor, &current.record) {
            true => Ok(current),
            false => Err(KeyError::Forbidden(
                "Only its owner and admins change or delete this.",
            )),
        }
    }

    pub async fn delete(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
    ) -> Result<Consumer, KeyError> {
        let current = self.changeable(actor, kind, id).await?;
        let mut change = self.db.begin_org_change(&actor.org().id).await?;
        if !change.delete_consumer(id).await? {
            return Err(KeyError::NotFound);
        }
        change
            .finish(&self.event(actor, kind, "deleted", id, &current.record.name))
            .await?;
        Ok(current)
    }

    fn event(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        what: &str,
        id: &str,
        name: &str,
    ) -> NewEvent {
        let action = match (kind, what) {
            (ConsumerKind::Expert, "created") => "expert.created",
            (ConsumerKind::Expert, "updated") => "expert.updated",
            (ConsumerKind::Expert, _) => "expert.deleted",
            (ConsumerKind::Assistant, "created") => "assistant.created",
            (ConsumerKind::Assistant, "updated") => "assistant.updated",
            (ConsumerKind::Assistant, _) => "assistant.deleted",
        };
        NewEvent {
            org_id: actor.org().id.clone(),
            actor_user_id: actor.user_id().map(str::to_owned),
            actor_label: actor.label(),
            action,
            target_kind: kind.as_str(),
            target_id: id.to_owned(),
            target_label: name.to_owned(),
            provider: None,
            detail: String::new(),
            at: now_ms(),
        }
    }

    /// The consumer after `patch`, every part checked: nothing is written unless all of it holds.
    async fn checked(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
        owner: Option<&str>,
        current: Option<&Consumer>,
        patch: ConsumerPatch,
    ) -> Result<Draft, KeyError> {
        let mut found = Gathered::default();
        let name = match patch.name {
            Some(name) => clean_line(Some(&name), 120, "name", "name"),
            None => Ok(current.map(|c| c.record.name.clone())),
        }
        .and_then(|name| {
            name.ok_or_else(|| problem("name", "Give it a name, e.g. \"Support expert\"."))
        });
        // Never kept when empty: `found` then holds the name's problem.
        let name = found.keep(name)?.unwrap_or_default();
        let description = match patch.description {
            Some(text) => text.trim().to_owned(),
            None => current
                .map(|c| c.record.description.clone())
                .unwrap_or_default(),
        };
        if description.chars().count() > 2000 {
            found.keep(Err::<(), _>(problem(
                "description",
                "Use up to 2,000 characters.",
            )))?;
        }
        let expert_id = match patch.expert_id {
            Some(expert) => expert.filter(|e| !e.trim().is_empty()),
            None => current.and_then(|c| c.record.expert_id.clone()),
        };
        if let Some(expert) = &expert_id {
            let usable = kind == ConsumerKind::Assistant
                && expert != id
                && self.get(actor, ConsumerKind::Expert, expert).await.is_ok();
            if !usable {
                found.keep(Err::<(), _>(problem(
                    "expert_id",
                    "Choose one of the experts listed.",
                )))?;
            }
        }

        let mut slots = Vec::new();
        for &slot in Slot::ALL {
            let before = current.and_then(|c| c.slot(slot));
            let wanted = match patch.slots.get(&slot) {
                Some(draft) => draft.clone(),
                None => before.map(|s| SlotDraft {
                    provider: s.provider.clone(),
                    model: s.model.clone(),
                    voice: s.voice.clone(),
                    key_id: s.key_id.clone(),
                }),
            };
            let Some(wanted) = wanted.filter(|w| !w.provider.trim().is_empty()) else {
                if slot.required() {
                    found.keep(Err::<(), _>(problem(
                        slot.field("provider"),
                        "Choose the provider of the model.",
                    )))?;
                }
                continue;
            };
            if !kind.slots().contains(&slot) {
                return Err(problem(
                    "slots",
                    format!(
                        "An {} has no {} slot.",
                        kind.label(),
                        slot.label().to_lowercase()
                    ),
                ));
            }
            let checked = self
                .checked_slot(actor, kind, id, owner, slot, wanted, before)
                .await;
            slots.extend(found.keep(checked)?);
        }
        found.finish()?;
        Ok(Draft {
            name,
            description,
            expert_id,
            slots,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn checked_slot(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: &str,
        owner: Option<&str>,
        slot: Slot,
        wanted: SlotDraft,
        before: Option<&SlotRecord>,
    ) -> Result<SlotRecord, KeyError> {
        let target = Target::parse(wanted.provider.trim())
            .filter(|target| target.serves(slot))
            .ok_or_else(|| {
                problem(
                    slot.field("provider"),
                    format!(
                        "Choose a provider that offers {}.",
                        slot.label().to_lowercase()
                    ),
                )
            })?;
        let model = clean_line(wanted.model.as_deref(), 200, slot.field("model"), "model")?;
        if slot == Slot::Chat && kind == ConsumerKind::Expert && model.is_none() {
            return Err(problem(
                slot.field("model"),
                "Give the model id, e.g. gpt-4o or claude-sonnet-4-5.",
            ));
        }
        let voice = match slot {
            Slot::Tts => clean_line(wanted.voice.as_deref(), 200, slot.field("voice"), "voice")?,
            _ => None,
        };
        let key_id = wanted.key_id.filter(|k| !k.trim().is_empty());
        if let Some(key_id) = &key_id {
            let unchanged = before.is_some_and(|b| b.key_id.as_deref() == Some(key_id.as_str()));
            if !unchanged {
                self.check_choice(actor, owner, &target, key_id, slot.field("key"))
                    .await?;
            }
        }
        Ok(SlotRecord {
            consumer_id: id.to_owned(),
            slot,
            provider: target.id().to_owned(),
            model,
            voice,
            key_id,
        })
    }

    /// A newly chosen key must serve the slot's provider, be the org's or the owner's own, and be
    /// enabled and not rejected (what the picker offers).
    async fn check_choice(
        &self,
        actor: KeyActor<'_>,
        owner: Option<&str>,
        target: &Target,
        key_id: &str,
        field: &'static str,
    ) -> Result<(), KeyError> {
        let keys = self
            .db
            .family_keys(&actor.org().id, &target.family, owner)
            .await?;
        let Some(key) = keys.iter().find(|key| key.id == key_id) else {
            return Err(problem(
                field,
                format!(
                    "Choose one of the {} keys listed, or \"Use main key\".",
                    target.name()
                ),
            ));
        };
        if !may_choose(actor, owner, key) {
            return Err(problem(
                field,
                "A personal key is chosen only by its owner, for their own experts and \
                 assistants: choose an organization key or \"Use main key\".",
            ));
        }
        if !key.enabled || key.status.is_rejected() {
            return Err(problem(
                field,
                format!(
                    "{} is {}: choose another key or \"Use main key\".",
                    label_for(key, Reader::of(actor)),
                    if key.enabled {
                        "rejected by the provider"
                    } else {
                        "disabled"
                    }
                ),
            ));
        }
        Ok(())
    }

    /// What every slot of a consumer resolves to right now.
    pub async fn explain(
        &self,
        actor: KeyActor<'_>,
        consumer: &Consumer,
    ) -> Result<Vec<SlotResolution>, KeyError> {
        self.explain_slots(
            actor,
            consumer.record.owner_user_id.as_deref(),
            &consumer.slots,
        )
        .await
    }

    /// What slots would resolve to with choices not saved yet (`id` names the consumer being
    /// edited, `None` a new one of the actor's): the editor's panel as its form is filled in. A
    /// chosen key the picker would not offer counts as not chosen, so nothing is learnt here that
    /// the picker does not show.
    pub async fn preview(
        &self,
        actor: KeyActor<'_>,
        kind: ConsumerKind,
        id: Option<&str>,
        drafts: Vec<(Slot, SlotDraft)>,
    ) -> Result<Vec<SlotResolution>, KeyError> {
        let existing = match id {
            Some(id) => Some(self.get(actor, kind, id).await?),
            None => None,
        };
        let owner = match &existing {
            Some(consumer) => consumer.record.owner_user_id.clone(),
            None => actor.user_id().map(str::to_owned),
        };
        let mut slots = Vec::new();
        for (slot, draft) in drafts {
            let Some(target) =
                Target::parse(&draft.provider).filter(|_| kind.slots().contains(&slot))
            else {
                continue;
            };
            let key_id = match draft.key_id {
                Some(key_id) => self
                    .check_choice(actor, owner.as_deref(), &target, &key_id, "key")
                    .await
                    .is_ok()
                    .then_some(key_id),
                None => None,
            };
            slots.push(SlotRecord {
                consumer_id: id.unwrap_or("new").to_owned(),
                slot,
                provider: target.id().to_owned(),
                model: draft.model,
                voice: draft.voice,
                key_id,
            });
        }
        self.explain_slots(actor, owner.as_deref(), &slots).await
    }

    async fn explain_slots(
        &self,
        actor: KeyActor<'_>,
        owner: Option<&str>,
        slots: &[SlotRecord],
    ) -> Result<Vec<SlotResolution>, KeyError> {
        let mut explained = Vec::new();
        for slot in slots {
            let Some(target) = Target::parse(&slot.provider) else {
                continue;
            };
            let resolution = self
                .resolver
                .resolve(
                    actor.org(),
                    &Request {
                        target: &target,
                        owner,
                        chosen: slot.key_id.as_deref(),
                        reader: Reader::of(actor),
                    },
                )
                .await?;
            explained.push(SlotResolution {
                slot: slot.clone(),
                target,
                resolution,
            });
        }
        Ok(explained)
    }

    /// Resolves for `target`, on behalf of a consumer's slot (`modality`, default the model) when
    /// one is named, else for the actor itself.
    pub async fn resolve(
        &self,
        actor: KeyActor<'_>,
        target: &Target,
        consumer: Option<(ConsumerKind, &str)>,
        modality: Option<Slot>,
    ) -> Result<Resolution, KeyError> {
        let view = self.view(actor).await?;
        let named = match consumer {
            Some((kind, id)) => Some(Self::seen(&view, actor, kind, id)?),
            None => None,
        };
        let modality = modality.unwrap_or(Slot::Chat);
        let slot = named
            .and_then(|c| view.slot(&c.id, modality))
            .filter(|s| Target::parse(&s.provider).is_some_and(|t| t.family == target.family));
        let owner = match named {
            Some(consumer) => consumer.owner_user_id.as_deref(),
            None => actor.user_id(),
        };
        Ok(self.resolver.resolve_in(
            &view,
            &Request {
                target,
                owner,
                chosen: slot.and_then(|s| s.key_id.as_deref()),
                reader: Reader::of(actor),
            },
        ))
    }

    /// Resolves for an API token (see [`ConsumerService::resolve`]); with `reveal` (the activity
    /// log's detail), also the secret of the key that serves, as [`ConsumerService::reveal`] allows.
    /// Resolving needs `keys:read` or `keys:use`; revealing needs `keys:use`.
    pub async fn resolve_for_token(
        &self,
        caller: &TokenCaller,
        target: &Target,
        consumer: Option<(ConsumerKind, &str)>,
        modality: Option<Slot>,
        reveal: Option<String>,
    ) -> Result<(Resolution, Option<Revealed>), KeyError> {
        let may_resolve = caller.allows(TokenScope::KeysRead) || caller.allows(TokenScope::KeysUse);
        if reveal.is_some() && !caller.allows(TokenScope::KeysUse) {
            return Err(KeyError::MissingScope(TokenScope::KeysUse));
        }
        if !may_resolve {
            return Err(KeyError::MissingScope(TokenScope::KeysRead));
        }
        let resolution = self
            .resolve(KeyActor::Token(caller), target, consumer, modality)
            .await?;
        let revealed = match reveal {
            Some(detail) if resolution.source().is_some() => {
                Some(self.reveal(caller, &resolution, target, detail).await?)
            }
            _ => None,
        };
        Ok((resolution, revealed))
    }

    /// The secret of the key that serves `resolution`, for an API token with `keys:use`; recorded
    /// in the activity log before it leaves. Only an organization key is ever revealed: the
    /// platform key serves through the gateway only, and a personal key only its owner.
    async fn reveal(
        &self,
        caller: &TokenCaller,
        resolution: &Resolution,
        target: &Target,
        detail: String,
    ) -> Result<Revealed, KeyError> {
        if !caller.allows(TokenScope::KeysUse) {
            return Err(KeyError::MissingScope(TokenScope::KeysUse));
        }
        let key = match resolution.key() {
            Some(key) if key.scope == Scope::Org => key,
            Some(_) => {
                return Ok(Revealed::Withheld(
                    "A personal key serves only its owner and is never revealed.".to_owned(),
                ))
            }
            None if resolution.platform => {
                return Ok(Revealed::Withheld(format!(
                    "The platform key serves {name} here. It is never revealed: call {name} \
                     through the gateway, /gateway/{org}/{provider}, with a gateway token.",
                    name = target.name(),
                    org = caller.org.slug,
                    provider = target.id(),
                )))
            }
            None => return Err(KeyError::NotFound),
        };
        let secret = self
            .resolver
            .secret_of(Some(key), target)
            .await?
            .ok_or(KeyError::NotFound)?;
        // Recorded before the secret leaves: no audit row, no secret.
        self.db
            .record(&NewEvent {
                org_id: caller.org.id.clone(),
                actor_user_id: None,
                actor_label: caller.label.clone(),
                action: "key.revealed",
                target_kind: "key",
                target_id: key.id.clone(),
                target_label: key_label(key),
                provider: Some(target.provider.id.to_owned()),
                detail,
                at: now_ms(),
            })
            .await?;
        Ok(Revealed::Secret(secret))
    }

    /// The org's live keys by id, to name the keys that slots choose (see
    /// [`crate::resolution::shown_to`] for how each may be named to whom).
    pub async fn org_keys(
        &self,
        actor: KeyActor<'_>,
    ) -> Result<HashMap<String, Arc<KeyRecord>>, KeyError> {
        let view = self.view(actor).await?;
        Ok(view
            .keys()
            .map(|key| (key.id.clone(), Arc::clone(key)))
            .collect())
    }

    /// What the key pickers of a consumer owned by `owner` offer the actor, by nickname and hint:
    /// every org key, and the owner's own personal keys when the owner is the actor.
    pub fn picker_keys(
        actor: KeyActor<'_>,
        owner: Option<&str>,
        keys: &HashMap<String, Arc<KeyRecord>>,
    ) -> Vec<PickerKey> {
        let mut picker: Vec<PickerKey> = keys
            .values()
            .filter(|key| may_choose(actor, owner, key))
            .map(|key| PickerKey {
                id: key.id.clone(),
                key_family: key.key_family.clone(),
                nickname: key.nickname.clone(),
                hint: key.hint.clone(),
                status: key.status,
                enabled: key.enabled,
                yours: key.scope == Scope::Personal,
                role: key.role,
                fallback_rank: key.fallback_rank,
            })
            .collect();
        picker.sort_by(|a, b| {
            (a.rank(), &a.nickname, &a.hint).cmp(&(b.rank(), &b.nickname, &b.hint))
        });
        picker
    }

    /// The org's custom endpoints a slot may name, as `custom:<name>`.
    pub fn custom_targets(keys: &HashMap<String, Arc<KeyRecord>>) -> Vec<String> {
        let mut targets: Vec<String> = keys
            .values()
            .filter(|key| key.key_family.starts_with("custom:"))
            .map(|key| key.key_family.clone())
            .collect();
        targets.sort();
        targets.dedup();
        targets
    }

    /// For each consumer, why a chosen key cannot serve ("Voice output: the chosen key 'Studio'
    /// (xi-...a1b2) is disabled."), from the org's keys ([`ConsumerService::org_keys`]).
    pub fn choice_warnings(
        actor: KeyActor<'_>,
        consumers: &[Consumer],
        keys: &HashMap<String, Arc<KeyRecord>>,
    ) -> HashMap<String, Vec<String>> {
        let now = now_ms();
        let mut warnings: HashMap<String, Vec<String>> = HashMap::new();
        for consumer in consumers {
            for slot in &consumer.slots {
                let Some(key_id) = &slot.key_id else { continue };
                let problem = match keys.get(key_id) {
                    None => Some("the chosen key was deleted".to_owned()),
                    Some(key) => unusable(key, now).map(|reason| {
                        let label = label_for(key, Reader::of(actor));
                        format!("the chosen key {label} {reason}")
                    }),
                };
                if let Some(problem) = problem {
                    warnings
                        .entry(consumer.record.id.clone())
                        .or_default()
                        .push(format!("{}: {problem}.", slot.slot.label()));
                }
            }
        }
        warnings
    }

    /// For each consumer, its slots that nothing serves now (no key of its own, the org's or the
    /// platform's), each with what to do: "Model: No Together AI key: … Add one at /hub/together."
    pub async fn unserved_slots(
        &self,
        actor: KeyActor<'_>,
        consumers: &[Consumer],
    ) -> Result<HashMap<String, Vec<String>>, KeyError> {
        let view = self.view(actor).await?;
        let mut unserved: HashMap<String, Vec<String>> = HashMap::new();
        for consumer in consumers {
            for slot in &consumer.slots {
                let Some(target) = Target::parse(&slot.provider) else {
                    continue;
                };
                let request = Request {
                    target: &target,
                    owner: consumer.record.owner_user_id.as_deref(),
                    chosen: slot.key_id.as_deref(),
                    reader: Reader::of(actor),
                };
                let resolution = self.resolver.resolve_in(&view, &request);
                if resolution.source().is_none() {
                    unserved
                        .entry(consumer.record.id.clone())
                        .or_default()
                        .push(format!("{}: {}", slot.slot.label(), resolution.explanation));
                }
            }
        }
        Ok(unserved)
    }

    /// For each key, the experts and assistants whose slots choose it ("expert 'Support'"), by
    /// name, from the org's view.
    pub async fn users_of(
        &self,
        actor: KeyActor<'_>,
        keys: &[Arc<KeyRecord>],
    ) -> Result<HashMap<String, Vec<String>>, KeyError> {
        let view = self.view(actor).await?;
        let wanted: HashSet<&str> = keys.iter().map(|key| key.id.as_str()).collect();
        let mut consumers: Vec<&ConsumerRecord> = view.consumers().collect();
        consumers.sort_unstable_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let mut users: HashMap<String, Vec<String>> = HashMap::new();
        for consumer in consumers {
            let mut chosen: Vec<&str> = view
                .slots(&consumer.id)
                .iter()
                .filter_map(|slot| slot.key_id.as_deref())
                .filter(|key_id| wanted.contains(key_id))
                .collect();
            chosen.sort_unstable();
            chosen.dedup();
            for key_id in chosen {
                users.entry(key_id.to_owned()).or_default().push(format!(
                    "{} '{}'",
                    consumer.kind.label(),
                    consumer.name
                ));
            }
        }
        Ok(users)
    }
}

/// A consumer ready to write.
struct Draft {
    name: String,
    description: String,
    expert_id: Option<String>,
    slots: Vec<SlotRecord>,
}

impl Draft {
    fn row<'a>(
        &'a self,
        id: &'a str,
        kind: ConsumerKind,
        owner: Option<&'a str>,
    ) -> ConsumerRow<'a> {
        ConsumerRow {
            id,
            kind,
            owner_user_id: owner,
            name: &self.name,
            description: &self.description,
            expert_id: self.expert_id.as_deref(),
        }
    }
}
