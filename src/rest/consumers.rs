//! `/api/v1` experts, assistants and resolve (SPEC.md §7): thin handlers over
//! [`crate::consumers::ConsumerService`].

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::RestError;
use super::json::ApiJson;
use super::keys::{invalid, present};
use crate::consumers::{Consumer, ConsumerPatch, Revealed, SlotDraft};
use crate::domain::accounts::TokenScope;
use crate::domain::consumers::{ConsumerKind, Slot, Target};
use crate::domain::time::rfc3339;
use crate::keys::KeyActor;
use crate::resolution::Source;
use crate::rest::caller::ApiCaller;
use crate::web::state::AppState;

/// One slot: the provider (an id from `/api/v1/providers`, or `custom:<name>`), the model or
/// voice, and the chosen key (`null`: "Use main key").
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotJson {
    provider: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    voice: Option<String>,
    #[serde(default)]
    key_id: Option<String>,
}

/// An expert or an assistant. `slots` by modality: `chat` (the model), and for experts `stt`,
/// `tts`, `image`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsumerJson {
    id: String,
    org: String,
    name: String,
    description: String,
    /// The member who owns it (their personal keys count for it); `null` when a token created it.
    owner_user_id: Option<String>,
    /// Assistants only: the expert it builds on.
    #[serde(skip_serializing_if = "Option::is_none")]
    expert_id: Option<String>,
    #[schema(value_type = Object)]
    slots: BTreeMap<Slot, SlotJson>,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsumerList {
    items: Vec<ConsumerJson>,
}

/// A new expert or assistant, or a change to one: absent fields stay as they are; in `slots`, a
/// modality set to `null` is turned off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumerBody {
    name: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    expert_id: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    slots: Option<BTreeMap<String, Option<SlotJson>>>,
}

fn to_json(caller: &ApiCaller, consumer: Consumer) -> ConsumerJson {
    let record = consumer.record;
    ConsumerJson {
        id: record.id,
        org: caller.0.org.slug.clone(),
        name: record.name,
        description: record.description,
        owner_user_id: record.owner_user_id,
        expert_id: record.expert_id,
        slots: consumer
            .slots
            .into_iter()
            .map(|slot| {
                let json = SlotJson {
                    provider: slot.provider,
                    model: slot.model,
                    voice: slot.voice,
                    key_id: slot.key_id,
                };
                (slot.slot, json)
            })
            .collect(),
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
    }
}

fn to_patch(body: ConsumerBody) -> Result<ConsumerPatch, RestError> {
    let mut slots = BTreeMap::new();
    for (name, slot) in body.slots.unwrap_or_default() {
        let slot_kind =
            Slot::parse(&name).ok_or_else(|| invalid("slots", "use chat, stt, tts or image"))?;
        let draft = slot.map(|s| SlotDraft {
            provider: s.provider,
            model: s.model,
            voice: s.voice,
            key_id: s.key_id,
        });
        slots.insert(slot_kind, draft);
    }
    Ok(ConsumerPatch {
        name: body.name,
        description: body.description,
        expert_id: body.expert_id,
        slots,
    })
}

async fn list(
    state: AppState,
    caller: ApiCaller,
    org: String,
    kind: ConsumerKind,
) -> Result<Json<ConsumerList>, RestError> {
    caller.org_named(&org)?;
    let token = caller.require(TokenScope::KeysRead)?;
    let items = state.consumers().list(KeyActor::Token(token), kind).await?;
    Ok(Json(ConsumerList {
        items: items.into_iter().map(|c| to_json(&caller, c)).collect(),
    }))
}

async fn create(
    state: AppState,
    caller: ApiCaller,
    org: String,
    kind: ConsumerKind,
    body: ConsumerBody,
) -> Result<(StatusCode, Json<ConsumerJson>), RestError> {
    caller.org_named(&org)?;
    let token = caller.require(TokenScope::KeysWrite)?;
    let created = state
        .consumers()
        .create(KeyActor::Token(token), kind, to_patch(body)?)
        .await?;
    Ok((StatusCode::CREATED, Json(to_json(&caller, created))))
}

async fn get(
    state: AppState,
    caller: ApiCaller,
    id: String,
    kind: ConsumerKind,
) -> Result<Json<ConsumerJson>, RestError> {
    let token = caller.require(TokenScope::KeysRead)?;
    let consumer = state
        .consumers()
        .get(KeyActor::Token(token), kind, &id)
        .await?;
    Ok(Json(to_json(&caller, consumer)))
}

async fn update(
    state: AppState,
    caller: ApiCaller,
    id: String,
    kind: ConsumerKind,
    body: ConsumerBody,
) -> Result<Json<ConsumerJson>, RestError> {
    let token = caller.require(TokenScope::KeysWrite)?;
    let consumer = state
        .consumers()
        .update(KeyActor::Token(token), kind, &id, to_patch(body)?)
        .await?;
    Ok(Json(to_json(&caller, consumer)))
}

async fn delete(
    state: AppState,
    caller: ApiCaller,
    id: String,
    kind: ConsumerKind,
) -> Result<Json<ConsumerJson>, RestError> {
    let token = caller.require(TokenScope::KeysWrite)?;
    let consumer = state
        .consumers()
        .delete(KeyActor::Token(token), kind, &id)
        .await?;
    Ok(Json(to_json(&caller, consumer)))
}

/// Generates the five handlers of one kind, each with its OpenAPI entry.
macro_rules! consumer_routes {
    ($kind:expr, $plural:literal, $list:ident, $create:ident, $get:ident, $update:ident, $delete:ident) => {
        #[doc = concat!("List the org's ", $plural, ".")]
        #[utoipa::path(get, path = concat!("/api/v1/orgs/{org}/", $plural), tag = $plural,
            params(("org" = String, Path, description = "The org's slug")),
            responses((status = 200, body = ConsumerList), (status = 401), (status = 403), (status = 404)),
            security(("bearer" = ["keys:read"])))]
        pub async fn $list(
            State(state): State<AppState>,
            caller: ApiCaller,
            Path(org): Path<String>,
        ) -> Result<Json<ConsumerList>, RestError> {
            list(state, caller, org, $kind).await
        }

        #[doc = concat!("Create one of the org's ", $plural, ".")]
        #[utoipa::path(post, path = concat!("/api/v1/orgs/{org}/", $plural), tag = $plural,
            params(("org" = String, Path, description = "The org's slug")),
            request_body = ConsumerBody,
            responses((status = 201, body = ConsumerJson), (status = 400), (status = 401), (status = 403),
                (status = 404), (status = 422)),
            security(("bearer" = ["keys:write"])))]
        pub async fn $create(
            State(state): State<AppState>,
            caller: ApiCaller,
            Path(org): Path<String>,
            ApiJson(body): ApiJson<ConsumerBody>,
        ) -> Result<(StatusCode, Json<ConsumerJson>), RestError> {
            create(state, caller, org, $kind, body).await
        }

        #[doc = concat!("One of the ", $plural, ".")]
        #[utoipa::path(get, path = concat!("/api/v1/", $plural, "/{id}"), tag = $plural,
            params(("id" = String, Path)),
            responses((status = 200, body = ConsumerJson), (status = 401), (status = 403), (status = 404)),
            security(("bearer" = ["keys:read"])))]
        pub async fn $get(
            State(state): State<AppState>,
            caller: ApiCaller,
            Path(id): Path<String>,
        ) -> Result<Json<ConsumerJson>, RestError> {
            get(state, caller, id, $kind).await
        }

        #[doc = concat!("Change one of the ", $plural, "; absent fields stay.")]
        #[utoipa::path(patch, path = concat!("/api/v1/", $plural, "/{id}"), tag = $plural,
            params(("id" = String, Path)), request_body = ConsumerBody,
            responses((status = 200, body = ConsumerJson), (status = 400), (status = 401), (status = 403),
                (status = 404), (status = 422)),
            security(("bearer" = ["keys:write"])))]
        pub async fn $update(
            State(state): State<AppState>,
            caller: ApiCaller,
            Path(id): Path<String>,
            ApiJson(body): ApiJson<ConsumerBody>,
        ) -> Result<Json<ConsumerJson>, RestError> {
            update(state, caller, id, $kind, body).await
        }

        #[doc = concat!("Delete one of the ", $plural, ".")]
        #[utoipa::path(delete, path = concat!("/api/v1/", $plural, "/{id}"), tag = $plural,
            params(("id" = String, Path)),
            responses((status = 200, body = ConsumerJson), (status = 401), (status = 403), (status = 404)),
            security(("bearer" = ["keys:write"])))]
        pub async fn $delete(
            State(state): State<AppState>,
            caller: ApiCaller,
            Path(id): Path<String>,
        ) -> Result<Json<ConsumerJson>, RestError> {
            delete(state, caller, id, $kind).await
        }
    };
}

consumer_routes!(
    ConsumerKind::Expert,
    "experts",
    list_experts,
    create_expert,
    get_expert,
    update_expert,
    delete_expert
);
consumer_routes!(
    ConsumerKind::Assistant,
    "assistants",
    list_assistants,
    create_assistant,
    get_assistant,
    update_assistant,
    delete_assistant
);

/// A consumer named in a resolve request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumerRef {
    /// `expert` or `assistant`.
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// A provider id from `/api/v1/providers`, or `custom:<name>`.
    provider: String,
    consumer: Option<ConsumerRef>,
    /// `chat` (default), `stt`, `tts` or `image`: which of the consumer's slots.
    modality: Option<String>,
    /// Return the secret too: only for a `keys:use` token and an organization key, and audited.
    #[serde(default)]
    reveal: bool,
}

/// Which key serves, where it came from and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveAnswer {
    provider: String,
    /// `null` when the platform key serves.
    key_id: Option<String>,
    hint: Option<String>,
    nickname: Option<String>,
    /// `selected`, `org_primary`, `fallback` or `platform` (an API token never gets a member's
    /// personal key).
    #[schema(value_type = String)]
    source: Source,
    fallback_rank: Option<i64>,
    explanation: String,
    /// Keys passed over before this one, each with the reason.
    passed_over: Vec<String>,
    /// The secret: only with `"reveal": true`, the `keys:use` scope, and an organization key
    /// serving. Platform keys are never revealed (`source: platform` comes without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Password)]
    api_key: Option<String>,
    /// With `"reveal": true` and no `api_key`: why not (the platform key serves, used only
    /// through the gateway), and what to do instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Resolve which key serves a provider, optionally for an expert's or assistant's slot. A
/// `keys:read` or `keys:use` token may ask; an API token resolves the org's keys (and the platform
/// key where the org allows it), never a member's personal key. The secret comes back only with
/// `reveal`, `keys:use` and an organization key serving, and each reveal is an activity event; when
/// the platform key serves, the answer is `source: platform` without `api_key`, with a `note`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/resolve", tag = "resolve",
    params(("org" = String, Path, description = "The org's slug")),
    request_body = ResolveBody,
    responses((status = 200, body = ResolveAnswer), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 422, description = "`no_key`: nothing serves; the message says what to do")),
    security(("bearer" = ["keys:read"]), ("bearer" = ["keys:use"])))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Json<ResolveAnswer>, RestError> {
    caller.org_named(&org)?;
    let target = Target::parse(&body.provider).ok_or_else(|| {
        invalid(
            "provider",
            "use a provider id from /api/v1/providers or custom:<name>",
        )
    })?;
    let modality = match body.modality.as_deref() {
        Some(text) => Some(
            Slot::parse(text).ok_or_else(|| invalid("modality", "use chat, stt, tts or image"))?,
        ),
        None => None,
    };
    let consumer = match &body.consumer {
        Some(named) => Some((
            ConsumerKind::parse(&named.kind)
                .ok_or_else(|| invalid("consumer", "type is `expert` or `assistant`"))?,
            named.id.as_str(),
        )),
        None => None,
    };
    let reveal = body.reveal.then(|| match &body.consumer {
        Some(named) => format!(
            "resolved for {} {} ({})",
            named.kind,
            named.id,
            modality.unwrap_or(Slot::Chat).as_str()
        ),
        None => "resolved".to_owned(),
    });
    let (resolution, revealed) = state
        .consumers()
        .resolve_for_token(&caller.0, &target, consumer, modality, reveal)
        .await?;
    let Some(source) = resolution.source() else {
        return Err(RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_key",
            resolution.explanation,
        ));
    };
    let key = resolution.key();
    let (api_key, note) = match revealed {
        None => (None, None),
        Some(Revealed::Secret(secret)) => (Some(secret.expose().to_owned()), None),
        Some(Revealed::Withheld(why)) => (None, Some(why)),
    };
    Ok(Json(ResolveAnswer {
        provider: target.id().to_owned(),
        key_id: key.map(|k| k.id.clone()),
        hint: key.map(|k| k.hint.clone()),
        nickname: key.and_then(|k| k.nickname.clone()),
        source,
        fallback_rank: key.and_then(|k| {
            (source == Source::Fallback)
                .then_some(k.fallback_rank)
                .flatten()
        }),
        explanation: resolution.explanation.clone(),
        passed_over: resolution.passed_over.clone(),
        api_key,
        note,
    }))
}
