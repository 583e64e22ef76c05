//! `/api/v1` provider keys (SPEC.md §7): thin handlers over [`crate::keys::KeyService`].

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::error::RestError;
use super::json::ApiJson;
use crate::api::keys::{LastError, MaskedKey};
use crate::domain::accounts::TokenScope;
use crate::domain::catalog::Category;
use crate::domain::keys::{KeyStatus, Scope};
use crate::keys::arrangement::RoleChange;
use crate::keys::{KeyActor, KeyChange, KeyDraft, KeyEdit, KeyFilter};
use crate::rest::caller::ApiCaller;
use crate::vault::SecretString;
use crate::web::state::AppState;

/// Filters for listing keys; each is optional.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A provider id from `/api/v1/providers`, e.g. `openai`.
    provider: Option<String>,
    /// `llm`, `voice` or `image`.
    category: Option<String>,
    /// A health status, e.g. `valid` or `rate_limited`.
    status: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    keys: Vec<MaskedKey>,
}

/// A new key. `api_key` is the only place a secret is ever sent; it is never sent back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// A provider id from `/api/v1/providers`.
    provider: String,
    /// The secret. Optional only for providers that need none (a local Ollama).
    #[schema(value_type = Option<String>, format = Password)]
    #[serde(default)]
    api_key: Option<SecretString>,
    nickname: Option<String>,
    api_base: Option<String>,
    #[schema(value_type = Option<Object>)]
    options: Option<Map<String, Value>>,
    /// `primary`, `fallback` or `none` (default).
    role: Option<String>,
    /// With `role: fallback`: 1 for the first fallback; last when absent.
    fallback_rank: Option<usize>,
    enabled: Option<bool>,
    /// `org` (default) or `personal`.
    scope: Option<String>,
    /// Save even when the provider cannot be reached to validate the key.
    allow_unverified: Option<bool>,
}

/// A change to a key; absent fields stay as they are. `api_key` rotates the secret in place, after
/// validating it like a new key. Changing `api_base` or an option that decides where the key is sent
/// (an endpoint, region, project or location) needs `api_key` in the same request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKey {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    nickname: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    api_base: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    options: Option<Map<String, Value>>,
    role: Option<String>,
    fallback_rank: Option<usize>,
    #[schema(value_type = Option<String>, format = Password)]
    api_key: Option<SecretString>,
    /// With `api_key`: save it even when the provider cannot be reached to validate it.
    allow_unverified: Option<bool>,
}

/// A present field, even `null`, is `Some`: `null` clears, absence leaves alone.
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A key just saved, and a warning worth showing (a prefix that does not match the provider).
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedKey {
    key: MaskedKey,
    warning: Option<String>,
}

/// A key's health after a validation request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    id: String,
    #[schema(value_type = String)]
    status: KeyStatus,
    last_validated_at: Option<String>,
    last_success_at: Option<String>,
    last_error: Option<LastError>,
}

pub(super) fn invalid(field: &'static str, message: &str) -> RestError {
    RestError {
        field: Some(field),
        ..RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("{field}: {message}"),
        )
    }
}

fn role_change(role: Option<&str>, rank: Option<usize>) -> Result<Option<RoleChange>, RestError> {
    Ok(match (role, rank) {
        (None, None) => None,
        (Some("primary"), None) => Some(RoleChange::Primary),
        (Some("fallback"), rank) => Some(RoleChange::Fallback { rank }),
        (Some("none"), None) => Some(RoleChange::None),
        (None, Some(_)) | (Some("primary" | "none"), Some(_)) => {
            return Err(invalid(
                "fallback_rank",
                "give a rank only with role `fallback`",
            ))
        }
        (Some(_), _) => return Err(invalid("role", "use `primary`, `fallback` or `none`")),
    })
}

fn masked(caller: &ApiCaller, key: &crate::store::keys::KeyRecord) -> MaskedKey {
    MaskedKey::new(key, &caller.0.org.slug)
}

/// List an org's keys (masked).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/provider-keys", tag = "keys",
    params(("org" = String, Path, description = "The org's slug"), ListQuery),
    responses((status = 200, body = KeyList), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = ["keys:read"])))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<KeyList>, RestError> {
    caller.org_named(&org)?;
    let token = caller.require(TokenScope::KeysRead)?;
    let filter = KeyFilter {
        provider: query.provider,
        category: match query.category {
            Some(text) => Some(
                Category::parse(&text)
                    .ok_or_else(|| invalid("category", "use llm, voice or image"))?,
            ),
            None => None,
        },
        status: match query.status {
            Some(text) => {
                Some(KeyStatus::parse(&text).ok_or_else(|| invalid("status", "unknown status"))?)
            }
            None => None,
        },
        enabled: query.enabled,
        served: None,
    };
    let keys = state.keys().list(KeyActor::Token(token), &filter).await?;
    let usage = state.keys().usage(KeyActor::Token(token)).await?;
    Ok(Json(KeyList {
        keys: keys
            .iter()
            .map(|key| masked(&caller, key).with_usage(&usage))
            .collect(),
    }))
}

/// Add a key. It is validated with the provider first: a rejected key is not stored (422
/// `key_rejected`); an unreachable provider is 422 `provider_unreachable` unless `allow_unverified`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/provider-keys", tag = "keys",
    params(("org" = String, Path, description = "The org's slug")),
    request_body = CreateKey,
    responses((status = 201, body = SavedKey), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 422)),
    security(("bearer" = ["keys:write"])))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<SavedKey>), RestError> {
    caller.org_named(&org)?;
    let token = caller.require(TokenScope::KeysWrite)?;
    let scope = match body.scope.as_deref() {
        None => Scope::Org,
        Some(text) => {
            Scope::parse(text).ok_or_else(|| invalid("scope", "use `org` or `personal`"))?
        }
    };
    let draft = KeyDraft {
        provider: body.provider,
        api_key: body.api_key.unwrap_or_else(|| SecretString::new("")),
        nickname: body.nickname,
        api_base: body.api_base,
        options: body.options.unwrap_or_default(),
        role: role_change(body.role.as_deref(), body.fallback_rank)?.unwrap_or(RoleChange::None),
        enabled: body.enabled.unwrap_or(true),
        scope,
        allow_unverified: body.allow_unverified.unwrap_or(false),
    };
    let saved = state.keys().create(KeyActor::Token(token), draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(SavedKey {
            key: masked(&caller, &saved.key),
            warning: saved.warning,
        }),
    ))
}

/// One key (masked).
#[utoipa::path(get, path = "/api/v1/provider-keys/{id}", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = MaskedKey), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = ["keys:read"])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MaskedKey>, RestError> {
    let token = caller.require(TokenScope::KeysRead)?;
    let key = state.keys().get(KeyActor::Token(token), &id).await?;
    let usage = state.keys().usage(KeyActor::Token(token)).await?;
    Ok(Json(masked(&caller, &key).with_usage(&usage)))
}

/// Change a key: nickname, base URL, options, role; `api_key` rotates it (same id), validated
/// first: a rejected key is 422 `key_rejected` and the old key stays; an unreachable provider is 422
/// `provider_unreachable` unless `allow_unverified`. Moving the key (a new `api_base`, endpoint,
/// region, project or location) needs `api_key` too, else 422 on `api_key`. All or nothing.
#[utoipa::path(patch, path = "/api/v1/provider-keys/{id}", tag = "keys",
    params(("id" = String, Path)), request_body = UpdateKey,
    responses((status = 200, body = SavedKey), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 422)),
    security(("bearer" = ["keys:write"])))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateKey>,
) -> Result<Json<SavedKey>, RestError> {
    let token = caller.require(TokenScope::KeysWrite)?;
    let change = KeyChange {
        secret: body.api_key,
        edit: KeyEdit {
            nickname: body.nickname,
            api_base: body.api_base,
            options: body.options,
        },
        role: role_change(body.role.as_deref(), body.fallback_rank)?,
        allow_unverified: body.allow_unverified.unwrap_or(false),
    };
    let saved = state
        .keys()
        .change(KeyActor::Token(token), &id, change)
        .await?;
    Ok(Json(SavedKey {
        key: masked(&caller, &saved.key),
        warning: saved.warning,
    }))
}

async fn set_enabled(
    state: AppState,
    caller: ApiCaller,
    id: String,
    enabled: bool,
) -> Result<Json<MaskedKey>, RestError> {
    let token = caller.require(TokenScope::KeysWrite)?;
    let key = state
        .keys()
        .set_enabled(KeyActor::Token(token), &id, enabled)
        .await?;
    Ok(Json(masked(&caller, &key)))
}

/// Enable a key.
#[utoipa::path(put, path = "/api/v1/provider-keys/{id}/activate", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = MaskedKey), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = ["keys:write"])))]
pub async fn activate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MaskedKey>, RestError> {
    set_enabled(state, caller, id, true).await
}

/// Disable a key: it stays listed with its hint and is never used.
#[utoipa::path(put, path = "/api/v1/provider-keys/{id}/deactivate", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = MaskedKey), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = ["keys:write"])))]
pub async fn deactivate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MaskedKey>, RestError> {
    set_enabled(state, caller, id, false).await
}

/// Validate a key now with its provider and return its health.
#[utoipa::path(post, path = "/api/v1/provider-keys/{id}/validate", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = Health), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = ["keys:write"])))]
pub async fn validate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Health>, RestError> {
    let token = caller.require(TokenScope::KeysWrite)?;
    let (key, _) = state.keys().validate(KeyActor::Token(token), &id).await?;
    let key = masked(&caller, &key);
    Ok(Json(Health {
        id: key.id,
        status: key.status,
        last_validated_at: key.last_validated_at,
        last_success_at: key.last_success_at,
        last_error: key.last_error,
    }))
}

/// Delete a key: the secret is wiped at once; the record stays for the activity log.
#[utoipa::path(delete, path = "/api/v1/provider-keys/{id}", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = MaskedKey), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = ["keys:write"])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MaskedKey>, RestError> {
    let token = caller.require(TokenScope::KeysWrite)?;
    let key = state.keys().delete(KeyActor::Token(token), &id).await?;
    Ok(Json(masked(&caller, &key)))
}
