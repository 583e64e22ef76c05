//! Experts and assistants as their pages see them: slots, key pickers (masked keys only) and what
//! every slot resolves to.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
#[cfg(feature = "ssr")]
use crate::domain::consumers::ConsumerKind;
use crate::domain::consumers::{PickerKey, Slot};

/// One slot as shown: provider, model or voice, and the key choice in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub slot: Slot,
    /// A provider id, or `custom:<name>`.
    pub provider: String,
    pub provider_name: String,
    pub model: Option<String>,
    pub voice: Option<String>,
    /// `None`: "Use main key".
    pub key_id: Option<String>,
    /// The chosen key as "nickname · hint", or "a deleted key".
    pub key_label: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub expert_id: Option<String>,
    pub slots: Vec<SlotView>,
    /// Chosen keys that cannot serve now and slots that nothing serves, in words.
    pub warnings: Vec<String>,
}

impl ConsumerSummary {
    pub fn slot(&self, slot: Slot) -> Option<&SlotView> {
        self.slots.iter().find(|s| s.slot == slot)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerListView {
    pub items: Vec<ConsumerSummary>,
    /// Admins see everyone's; members their own.
    pub sees_all: bool,
}

/// What one slot resolves to right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explained {
    pub slot: Slot,
    pub provider_name: String,
    /// "'Voice main' (xi-...a1b2)", "Platform key", or "No key".
    pub outcome: String,
    /// "Chosen key", "Organization primary", "Fallback 1", …; `None` when nothing serves.
    pub source: Option<String>,
    /// What is left to say beside the key and its source: keys passed over, the ones that follow
    /// if it fails, or what to do when nothing serves. Empty when there is nothing more.
    pub explanation: String,
    pub warning: Option<String>,
}

/// Everything an expert's or assistant's editor needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorView {
    /// `None` for a new one.
    pub consumer: Option<ConsumerSummary>,
    /// The keys pickers may offer or name (the org's, and the viewer's own when theirs).
    pub keys: Vec<PickerKey>,
    /// Experts an assistant may build on: (id, name).
    pub experts: Vec<(String, String)>,
    /// The org's custom endpoints, as `custom:<name>`.
    pub custom_targets: Vec<String>,
    pub can_change: bool,
    pub explained: Vec<Explained>,
}

#[cfg(feature = "ssr")]
mod doors {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::api::door::answer;
    use crate::consumers::{Consumer, SlotResolution};
    use crate::domain::consumers::Target;
    use crate::resolution::{shown_to, Reader, Source};
    use crate::store::keys::KeyRecord;

    pub fn kind(text: &str) -> Result<ConsumerKind, ApiError> {
        ConsumerKind::parse(text).ok_or_else(|| answer(ApiError::NotFound, None))
    }

    /// A consumer as `viewer_id` sees it: another member's personal key is named, never shown.
    pub fn summary(
        consumer: Consumer,
        keys: &HashMap<String, Arc<KeyRecord>>,
        emails: &HashMap<String, String>,
        viewer_id: &str,
        warnings: Vec<String>,
    ) -> ConsumerSummary {
        let record = consumer.record;
        ConsumerSummary {
            owner: match &record.owner_user_id {
                Some(id) => emails
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "a former member".into()),
                None => "an API token".into(),
            },
            slots: consumer
                .slots
                .into_iter()
                .map(|slot| SlotView {
                    slot: slot.slot,
                    provider_name: Target::parse(&slot.provider)
                        .map(|t| t.name())
                        .unwrap_or_else(|| slot.provider.clone()),
                    key_label: slot.key_id.as_ref().map(|id| match keys.get(id) {
                        Some(key) if !shown_to(key, Reader::Member(viewer_id)) => {
                            "the owner's personal key".to_owned()
                        }
                        Some(key) => format!(
                            "{} · {}",
                            key.nickname.as_deref().unwrap_or("Unnamed key"),
                            key.hint
                        ),
                        None => "a deleted key".to_owned(),
                    }),
                    provider: slot.provider,
                    model: slot.model,
                    voice: slot.voice,
                    key_id: slot.key_id,
                })
                .collect(),
            id: record.id,
            name: record.name,
            description: record.description,
            expert_id: record.expert_id,
            warnings,
        }
    }

    /// A slot as its form fields give it; `None` when left on "Not used".
    pub fn slot_draft(
        provider: Option<String>,
        model: Option<String>,
        voice: Option<String>,
        key: Option<String>,
    ) -> Option<crate::consumers::SlotDraft> {
        provider
            .filter(|p| !p.is_empty())
            .map(|provider| crate::consumers::SlotDraft {
                provider,
                model,
                voice,
                key_id: key.filter(|k| !k.is_empty()),
            })
    }

    pub fn explained(slot: SlotResolution, viewer_id: &str) -> Explained {
        let resolution = &slot.resolution;
        let source = resolution.source().map(|source| match source {
            Source::Selected => "Chosen key".to_owned(),
            Source::PersonalPrimary => "Owner's personal primary".to_owned(),
            Source::OrgPrimary => "Organization primary".to_owned(),
            Source::Fallback => format!(
                "Fallback {}",
                resolution
                    .key()
                    .and_then(|k| k.fallback_rank)
                    .unwrap_or_default()
            ),
            Source::Platform => "Platform key".to_owned(),
        });
        Explained {
            slot: slot.slot.slot,
            provider_name: slot.target.name(),
            outcome: match (resolution.key(), resolution.platform) {
                (Some(key), _) => {
                    crate::resolution::label_for(key, crate::resolution::Reader::Member(viewer_id))
                }
                (None, true) => "Platform key".to_owned(),
                (None, false) => "No key".to_owned(),
            },
            source,
            explanation: resolution.beside_the_key(crate::resolution::Reader::Member(viewer_id)),
            warning: resolution.choice_problem.clone().map(|p| p.0),
        }
    }
}

#[leptos::server(prefix = "/api", endpoint = "consumers/list")]
pub async fn consumer_list(kind: String) -> Result<ConsumerListView, ApiError> {
    use crate::consumers::ConsumerService;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let kind = doors::kind(&kind)?;
    let actor = viewer.key_actor();
    let consumers = state.consumers().list(actor, kind).await?;
    let keys = state.consumers().org_keys(actor).await?;
    let mut warnings = ConsumerService::choice_warnings(actor, &consumers, &keys);
    for (id, unserved) in state.consumers().unserved_slots(actor, &consumers).await? {
        warnings.entry(id).or_default().extend(unserved);
    }
    let emails = state.accounts().member_emails(viewer.org_id()).await?;
    Ok(ConsumerListView {
        items: consumers
            .into_iter()
            .map(|c| {
                let warnings = warnings.remove(&c.record.id).unwrap_or_default();
                doors::summary(c, &keys, &emails, &viewer.user.id, warnings)
            })
            .collect(),
        sees_all: viewer.role().is_admin(),
    })
}

/// The editor of one expert or assistant (`id` = `new` for a new one), with its pickers' keys and
/// what each slot resolves to now.
#[leptos::server(prefix = "/api", endpoint = "consumers/editor")]
pub async fn consumer_editor(kind: String, id: String) -> Result<EditorView, ApiError> {
    use crate::consumers::ConsumerService;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let kind = doors::kind(&kind)?;
    let actor = viewer.key_actor();
    let consumer = match id.as_str() {
        "new" => None,
        id => Some(state.consumers().get(actor, kind, id).await?),
    };
    let owner = consumer
        .as_ref()
        .map_or(Some(viewer.user.id.as_str()), |c| {
            c.record.owner_user_id.as_deref()
        });
    let explained = match &consumer {
        Some(consumer) => state
            .consumers()
            .explain(actor, consumer)
            .await?
            .into_iter()
            .map(|slot| doors::explained(slot, &viewer.user.id))
            .collect(),
        // A new one as its form starts: the model from OpenAI with its main key.
        None => {
            let start = crate::consumers::SlotDraft {
                provider: crate::domain::consumers::NEW_CHAT_PROVIDER.to_owned(),
                model: None,
                voice: None,
                key_id: None,
            };
            state
                .consumers()
                .preview(actor, kind, None, vec![(Slot::Chat, start)])
                .await?
                .into_iter()
                .map(|slot| doors::explained(slot, &viewer.user.id))
                .collect()
        }
    };
    let experts = match kind {
        ConsumerKind::Assistant => state
            .consumers()
            .list(actor, ConsumerKind::Expert)
            .await?
            .into_iter()
            .map(|e| (e.record.id, e.record.name))
            .collect(),
        ConsumerKind::Expert => Vec::new(),
    };
    let can_change = consumer
        .as_ref()
        .is_none_or(|c| ConsumerService::may_change(actor, &c.record));
    let keys = state.consumers().org_keys(actor).await?;
    let emails = state.accounts().member_emails(viewer.org_id()).await?;
    let picker_keys = ConsumerService::picker_keys(actor, owner, &keys);
    let custom_targets = ConsumerService::custom_targets(&keys);
    Ok(EditorView {
        consumer: consumer.map(|c| doors::summary(c, &keys, &emails, &viewer.user.id, Vec::new())),
        keys: picker_keys,
        experts,
        custom_targets,
        can_change,
        explained,
    })
}

/// What the editor's slots would resolve to with the providers and keys chosen in its form, before
/// they are saved (`id` = `new` for a new one).
#[allow(clippy::too_many_arguments)]
#[leptos::server(prefix = "/api", endpoint = "consumers/preview")]
pub async fn consumer_preview(
    kind: String,
    id: String,
    chat_provider: Option<String>,
    chat_key: Option<String>,
    stt_provider: Option<String>,
    stt_key: Option<String>,
    tts_provider: Option<String>,
    tts_key: Option<String>,
    image_provider: Option<String>,
    image_key: Option<String>,
) -> Result<Vec<Explained>, ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let kind = doors::kind(&kind)?;
    let drafts = [
        (Slot::Chat, chat_provider, chat_key),
        (Slot::Stt, stt_provider, stt_key),
        (Slot::Tts, tts_provider, tts_key),
        (Slot::Image, image_provider, image_key),
    ]
    .into_iter()
    .filter_map(|(slot, provider, key)| Some((slot, doors::slot_draft(provider, None, None, key)?)))
    .collect();
    let id = (id != "new").then_some(id);
    Ok(state
        .consumers()
        .preview(viewer.key_actor(), kind, id.as_deref(), drafts)
        .await?
        .into_iter()
        .map(|slot| doors::explained(slot, &viewer.user.id))
        .collect())
}

/// Creates or changes an expert or assistant from its form and shows it. Slots left on "Not used"
/// are turned off.
#[allow(clippy::too_many_arguments)]
#[leptos::server(prefix = "/api", endpoint = "consumers/save")]
pub async fn save_consumer(
    kind: String,
    id: String,
    name: String,
    description: Option<String>,
    expert_id: Option<String>,
    chat_provider: Option<String>,
    chat_model: Option<String>,
    chat_key: Option<String>,
    stt_provider: Option<String>,
    stt_key: Option<String>,
    tts_provider: Option<String>,
    tts_voice: Option<String>,
    tts_key: Option<String>,
    image_provider: Option<String>,
    image_model: Option<String>,
    image_key: Option<String>,
) -> Result<(), ApiError> {
    use crate::consumers::ConsumerPatch;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let kind = doors::kind(&kind)?;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let entered = [
        ("name", name.clone()),
        ("description", text(&description)),
        ("expert_id", text(&expert_id)),
        ("chat_provider", text(&chat_provider)),
        ("chat_model", text(&chat_model)),
        ("chat_key", text(&chat_key)),
        ("stt_provider", text(&stt_provider)),
        ("stt_key", text(&stt_key)),
        ("tts_provider", text(&tts_provider)),
        ("tts_voice", text(&tts_voice)),
        ("tts_key", text(&tts_key)),
        ("image_provider", text(&image_provider)),
        ("image_model", text(&image_model)),
        ("image_key", text(&image_key)),
    ];
    let slot = doors::slot_draft;
    let mut slots = std::collections::BTreeMap::new();
    slots.insert(Slot::Chat, slot(chat_provider, chat_model, None, chat_key));
    if kind == ConsumerKind::Expert {
        slots.insert(Slot::Stt, slot(stt_provider, None, None, stt_key));
        slots.insert(Slot::Tts, slot(tts_provider, None, tts_voice, tts_key));
        slots.insert(
            Slot::Image,
            slot(image_provider, image_model, None, image_key),
        );
    }
    let patch = ConsumerPatch {
        name: Some(name),
        description: Some(description.unwrap_or_default()),
        expert_id: (kind == ConsumerKind::Assistant).then_some(expert_id),
        slots,
    };
    let actor = viewer.key_actor();
    let saved = match id.as_str() {
        "new" => state.consumers().create(actor, kind, patch).await,
        id => state.consumers().update(actor, kind, id, patch).await,
    }
    .map_err(|error| crate::api::door::keeping(error.into(), entered))?;
    leptos_axum::redirect(&format!("{}/{}?saved=1", kind.path(), saved.record.id));
    Ok(())
}

#[leptos::server(prefix = "/api", endpoint = "consumers/delete")]
pub async fn delete_consumer(kind: String, id: String) -> Result<(), ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let kind = doors::kind(&kind)?;
    state
        .consumers()
        .delete(viewer.key_actor(), kind, &id)
        .await?;
    leptos_axum::redirect(kind.path());
    Ok(())
}
