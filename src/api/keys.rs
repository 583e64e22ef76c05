//! Provider keys as the browser and API clients see them: masked, never the secret.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::keys::{KeyStatus, KeyUsage, Role, Scope};

/// What the provider last said about a key, in words for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LastError {
    pub code: String,
    pub http_status: Option<i64>,
    pub message: String,
}

/// A stored key, masked (SPEC.md §7). No field can carry the secret: only its hint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MaskedKey {
    pub id: String,
    /// The org's slug.
    pub org: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "org"))]
    pub scope: Scope,
    pub provider: String,
    pub category: String,
    pub nickname: Option<String>,
    /// The provider's prefix, `...` and the last four characters, e.g. `sk-...7xQ2`.
    pub hint: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "primary"))]
    pub role: Role,
    pub fallback_rank: Option<i64>,
    pub enabled: bool,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "unverified"))]
    pub status: KeyStatus,
    /// RFC 3339, UTC: the last validation, whatever its outcome.
    pub last_validated_at: Option<String>,
    /// RFC 3339, UTC: the last validation the provider accepted the key in.
    pub last_success_at: Option<String>,
    pub last_error: Option<LastError>,
    pub api_base: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub options: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    /// What the gateway did with it (requests, failures by class, last use and failure); `null`
    /// until it was first used.
    pub usage: Option<KeyUsage>,
}

impl MaskedKey {
    /// How the key is named in sentences, as the server's `keys::key_label` does:
    /// "'Production' (sk-...7xQ2)", or the hint alone when it has no nickname.
    pub fn quoted(&self) -> String {
        match &self.nickname {
            Some(name) => format!("'{name}' ({})", self.hint),
            None => self.hint.clone(),
        }
    }

    /// How controls name the key they act on: "Production (sk-...7xQ2)", "Unnamed key (…)".
    pub fn control_name(&self) -> String {
        let name = self.nickname.as_deref().unwrap_or("Unnamed key");
        format!("{name} ({})", self.hint)
    }
}

impl ProviderView {
    /// The primary key of `provider` in `scope` (the viewer's own, for personal keys).
    pub fn primary(&self, provider: &str, scope: Scope) -> Option<&MaskedKey> {
        self.keys
            .iter()
            .map(|item| &item.key)
            .find(|key| key.provider == provider && key.scope == scope && key.role == Role::Primary)
    }
}

#[cfg(feature = "ssr")]
impl MaskedKey {
    /// With its gateway usage, from a map by key id.
    pub fn with_usage(mut self, usage: &std::collections::HashMap<String, KeyUsage>) -> MaskedKey {
        self.usage = usage.get(&self.id).cloned();
        self
    }

    pub fn new(key: &crate::store::keys::KeyRecord, org_slug: &str) -> MaskedKey {
        use crate::domain::time::rfc3339;
        MaskedKey {
            id: key.id.clone(),
            org: org_slug.to_owned(),
            scope: key.scope,
            provider: key.provider.clone(),
            category: crate::domain::catalog::provider(&key.provider)
                .map(|p| p.category.id())
                .unwrap_or_default()
                .to_owned(),
            nickname: key.nickname.clone(),
            hint: key.hint.clone(),
            role: key.role,
            fallback_rank: key.fallback_rank,
            enabled: key.enabled,
            status: key.status,
            last_validated_at: key.last_validated_at.map(rfc3339),
            last_success_at: key.last_success_at.map(rfc3339),
            last_error: key.last_error_code.clone().map(|code| LastError {
                code,
                http_status: key.last_error_http_status,
                message: key.last_error_message.clone().unwrap_or_default(),
            }),
            api_base: key.api_base.clone(),
            options: key.options.clone(),
            created_at: rfc3339(key.created_at),
            updated_at: rfc3339(key.updated_at),
            usage: None,
        }
    }
}

/// A provider card on the hub: how many keys serve it and the primary among them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardData {
    pub provider: String,
    pub key_count: usize,
    /// The organization's primary key of the provider's family, else the viewer's own.
    pub primary: Option<MaskedKey>,
    /// The org has no key of its own, allows platform keys, and the instance has one.
    pub platform_key: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HubView {
    pub cards: Vec<CardData>,
    pub can_manage: bool,
}

/// One key on a provider page, with what the viewer may do with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyItem {
    pub key: MaskedKey,
    /// Whether the provider accepted the key in its last validation (exact, where the times the
    /// key carries are to the second).
    pub last_check_accepted: bool,
    pub can_change: bool,
    pub created_by: String,
    pub updated_by: String,
    /// The experts and assistants that use the key, named for the delete confirmation.
    pub used_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    pub keys: Vec<KeyItem>,
    pub can_manage: bool,
    pub personal_allowed: bool,
    /// For admins: how many personal keys of this provider the org's members hold (never which).
    pub members_personal_keys: usize,
}

pub type AddKeyAction = leptos::prelude::ServerAction<AddKey>;

#[cfg(feature = "ssr")]
pub(crate) mod doors {
    use crate::api::error::ApiError;

    /// A role from a form: `primary`, `none`, `fallback` with an optional `rank`, or the role
    /// menu's `fallback-2` (both in one value).
    pub fn role(
        role: &str,
        rank: Option<&str>,
    ) -> Result<crate::keys::arrangement::RoleChange, ApiError> {
        use crate::keys::arrangement::RoleChange;
        let (role, rank) = match role.split_once('-') {
            Some(("fallback", rank)) => ("fallback", Some(rank)),
            _ => (role, rank),
        };
        let rank = match rank.map(str::trim).filter(|r| !r.is_empty()) {
            Some(text) => Some(text.parse::<usize>().ok().filter(|r| *r >= 1).ok_or_else(
                || {
                    crate::api::door::answer(
                        ApiError::invalid("rank", "Give a position from 1 up."),
                        None,
                    )
                },
            )?),
            None => None,
        };
        match role {
            "primary" => Ok(RoleChange::Primary),
            "fallback" => Ok(RoleChange::Fallback { rank }),
            "none" => Ok(RoleChange::None),
            _ => Err(crate::api::door::answer(
                ApiError::invalid("role", "Choose primary, fallback or neither."),
                None,
            )),
        }
    }

    /// Back to the provider page a form was sent from (`page`, a catalog id), confirming what was
    /// done to the key, with the prefix warning when there is one. A form sent from elsewhere (the
    /// hub's switches) goes back where it came from.
    pub fn confirm(
        page: Option<&str>,
        done: crate::keys::outcome::Done,
        key_id: &str,
        warned: bool,
    ) {
        let Some(page) = page.and_then(crate::domain::catalog::provider) else {
            return;
        };
        let mut url = done.page_url(page.id, key_id);
        if warned {
            url.push_str(&format!("&check_key={key_id}"));
        }
        leptos_axum::redirect(&url);
    }

    /// Provider options from form fields named `options[<name>]`.
    pub fn options(
        fields: Option<std::collections::BTreeMap<String, String>>,
    ) -> serde_json::Map<String, serde_json::Value> {
        fields
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| (name, serde_json::Value::String(value)))
            .collect()
    }
}

#[leptos::server(prefix = "/api", endpoint = "keys/hub")]
pub async fn hub_data() -> Result<HubView, super::error::ApiError> {
    use crate::keys::KeyFilter;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let actor = viewer.key_actor();
    let keys = state.keys().list(actor, &KeyFilter::default()).await?;
    let slug = &viewer.membership.org.slug;
    let cards = state
        .consumers()
        .resolver()
        .hub_cards(actor, &keys)
        .into_iter()
        .map(|card| CardData {
            provider: card.provider.id.to_owned(),
            key_count: card.keys.len(),
            primary: card.primary.map(|key| MaskedKey::new(key, slug)),
            platform_key: card.platform_key,
        })
        .collect();
    Ok(HubView {
        cards,
        can_manage: viewer.role().is_admin(),
    })
}

#[leptos::server(prefix = "/api", endpoint = "keys/provider")]
pub async fn provider_keys(provider: String) -> Result<ProviderView, super::error::ApiError> {
    use crate::keys::KeyFilter;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let provider = crate::domain::catalog::provider(&provider)
        .ok_or_else(|| crate::api::door::answer(super::error::ApiError::NotFound, None))?;
    let actor = viewer.key_actor();
    let emails = state.accounts().member_emails(viewer.org_id()).await?;
    let by_whom = |id: &Option<String>| match id {
        Some(id) => emails
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a former member".to_owned()),
        None => "an API token".to_owned(),
    };
    let served = KeyFilter {
        served: Some(provider),
        ..KeyFilter::default()
    };
    let mut keys = state.keys().list(actor, &served).await?;
    // The viewer's own keys first: they are used before the organization's.
    keys.sort_by_key(|key| key.scope != crate::domain::keys::Scope::Personal);
    let members_personal_keys = state
        .keys()
        .members_personal_keys(actor, provider.id)
        .await?;
    let mut usages = state.consumers().users_of(actor, &keys).await?;
    let gateway_usage = state.keys().usage(actor).await?;
    Ok(ProviderView {
        keys: keys
            .iter()
            .map(|key| KeyItem {
                key: MaskedKey::new(key, &viewer.membership.org.slug).with_usage(&gateway_usage),
                last_check_accepted: key.last_validated_at.is_some()
                    && key.last_success_at == key.last_validated_at,
                can_change: actor.may_change(key),
                created_by: by_whom(&key.created_by),
                updated_by: by_whom(&key.updated_by),
                used_by: usages.remove(&key.id).unwrap_or_default(),
            })
            .collect(),
        can_manage: viewer.role().is_admin(),
        personal_allowed: viewer.membership.org.allow_personal_keys,
        members_personal_keys,
    })
}

/// Adds a key and goes to its provider's page, which confirms what was saved, with
/// `?check_key={id}` when the key does not look like the provider's.
#[allow(clippy::too_many_arguments)]
#[leptos::server(prefix = "/api", endpoint = "keys/add")]
pub async fn add_key(
    provider: String,
    api_key: String,
    nickname: String,
    role: String,
    scope: String,
    api_base: Option<String>,
    options: Option<std::collections::BTreeMap<String, String>>,
    allow_unverified: Option<String>,
) -> Result<(), super::error::ApiError> {
    use crate::domain::keys::Scope;
    use crate::keys::KeyDraft;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let entered = [("nickname", nickname.clone())];
    let draft = KeyDraft {
        provider: provider.clone(),
        api_key: crate::vault::SecretString::new(api_key),
        nickname: Some(nickname),
        api_base,
        options: doors::options(options),
        role: doors::role(&role, None)
            .map_err(|error| crate::api::door::keeping(error, entered.clone()))?,
        enabled: true,
        scope: if scope == "personal" {
            Scope::Personal
        } else {
            Scope::Org
        },
        allow_unverified: allow_unverified.is_some(),
    };
    let saved = state
        .keys()
        .create(viewer.key_actor(), draft)
        .await
        .map_err(|error| crate::api::door::keeping(error.into(), entered))?;
    doors::confirm(
        Some(&saved.key.provider),
        crate::keys::outcome::Done::Added,
        &saved.key.id,
        saved.warning.is_some(),
    );
    Ok(())
}

#[leptos::server(prefix = "/api", endpoint = "keys/enable")]
pub async fn set_key_enabled(
    id: String,
    enabled: String,
    page: Option<String>,
) -> Result<(), super::error::ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let enabled = enabled == "true";
    state
        .keys()
        .set_enabled(viewer.key_actor(), &id, enabled)
        .await?;
    let done = if enabled {
        crate::keys::outcome::Done::Enabled
    } else {
        crate::keys::outcome::Done::Disabled
    };
    doors::confirm(page.as_deref(), done, &id, false);
    Ok(())
}

#[leptos::server(prefix = "/api", endpoint = "keys/role")]
pub async fn set_key_role(
    id: String,
    role: String,
    rank: Option<String>,
    page: Option<String>,
) -> Result<(), super::error::ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let change = doors::role(&role, rank.as_deref())?;
    state
        .keys()
        .set_role(viewer.key_actor(), &id, change)
        .await?;
    doors::confirm(
        page.as_deref(),
        crate::keys::outcome::Done::RoleChanged,
        &id,
        false,
    );
    Ok(())
}

#[leptos::server(prefix = "/api", endpoint = "keys/rotate")]
pub async fn rotate_key(
    id: String,
    api_key: String,
    allow_unverified: Option<String>,
    page: Option<String>,
) -> Result<(), super::error::ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let change = crate::keys::KeyChange {
        secret: Some(crate::vault::SecretString::new(api_key)),
        allow_unverified: allow_unverified.is_some(),
        ..Default::default()
    };
    let saved = state
        .keys()
        .change(viewer.key_actor(), &id, change)
        .await
        .map_err(|error| crate::api::door::keeping(error.into(), [("id", id.as_str())]))?;
    let page = page.unwrap_or(saved.key.provider);
    doors::confirm(
        Some(&page),
        crate::keys::outcome::Done::Rotated,
        &id,
        saved.warning.is_some(),
    );
    Ok(())
}

/// Changes a key's settings. Changing where it is sent (base URL, endpoint, region, …) needs the
/// key itself in `api_key` too; a key given without such a change rotates it.
#[leptos::server(prefix = "/api", endpoint = "keys/edit")]
pub async fn edit_key(
    id: String,
    nickname: String,
    api_base: Option<String>,
    options: Option<std::collections::BTreeMap<String, String>>,
    api_key: Option<String>,
    allow_unverified: Option<String>,
    page: Option<String>,
) -> Result<(), super::error::ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let entered = [("id", id.clone()), ("nickname", nickname.clone())];
    let change = crate::keys::KeyChange {
        secret: api_key
            .filter(|key| !key.trim().is_empty())
            .map(crate::vault::SecretString::new),
        edit: crate::keys::KeyEdit {
            nickname: Some(Some(nickname)),
            api_base: Some(api_base),
            options: options.map(|fields| doors::options(Some(fields))),
        },
        allow_unverified: allow_unverified.is_some(),
        ..Default::default()
    };
    let saved = state
        .keys()
        .change(viewer.key_actor(), &id, change)
        .await
        .map_err(|error| crate::api::door::keeping(error.into(), entered))?;
    doors::confirm(
        page.as_deref(),
        crate::keys::outcome::Done::Edited,
        &id,
        saved.warning.is_some(),
    );
    Ok(())
}

/// Asks the provider about the key now; the page shows the new status and time.
#[leptos::server(prefix = "/api", endpoint = "keys/validate")]
pub async fn validate_key(id: String, page: Option<String>) -> Result<(), super::error::ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state.keys().validate(viewer.key_actor(), &id).await?;
    doors::confirm(
        page.as_deref(),
        crate::keys::outcome::Done::Validated,
        &id,
        false,
    );
    Ok(())
}

#[leptos::server(prefix = "/api", endpoint = "keys/delete")]
pub async fn delete_key(id: String, page: Option<String>) -> Result<(), super::error::ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state.keys().delete(viewer.key_actor(), &id).await?;
    doors::confirm(
        page.as_deref(),
        crate::keys::outcome::Done::Deleted,
        &id,
        false,
    );
    Ok(())
}

/// The sentence confirming the change `done` (its code) just made to `key`, for the provider page
/// that a change sent the viewer back to; `None` for a code it does not know.
#[leptos::server(prefix = "/api", endpoint = "keys/outcome")]
pub async fn key_outcome(
    done: String,
    key: String,
) -> Result<Option<String>, super::error::ApiError> {
    use crate::keys::outcome::{sentence, Done};
    let (state, viewer) = crate::api::door::signed_in().await?;
    let Some(done) = Done::parse(&done) else {
        return Ok(None);
    };
    let key = state.keys().recent(viewer.key_actor(), &key).await?;
    Ok(Some(sentence(done, &key)))
}

/// The viewer's own personal keys, for their profile, and whether the org allows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonalKeysView {
    pub keys: Vec<MaskedKey>,
    pub allowed: bool,
}

#[leptos::server(prefix = "/api", endpoint = "keys/personal")]
pub async fn personal_keys() -> Result<PersonalKeysView, super::error::ApiError> {
    use crate::keys::KeyFilter;
    let (state, viewer) = crate::api::door::signed_in().await?;
    let slug = &viewer.membership.org.slug;
    let keys = state
        .keys()
        .list(viewer.key_actor(), &KeyFilter::default())
        .await?
        .iter()
        .filter(|key| key.scope == crate::domain::keys::Scope::Personal)
        .map(|key| MaskedKey::new(key, slug))
        .collect();
    Ok(PersonalKeysView {
        keys,
        allowed: viewer.membership.org.allow_personal_keys,
    })
}
