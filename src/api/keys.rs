//! Provider keys as the browser and API clients see them: masked, never the secret.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::keys::{KeyStatus, Role, Scope};

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
    /// RFC 3339, UTC.
    pub last_validated_at: Option<String>,
    pub last_error: Option<LastError>,
    pub api_base: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub options: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(feature = "ssr")]
impl MaskedKey {
    pub fn new(key: &crate::store::keys::KeyRecord, org_slug: &str) -> MaskedKey {
        use crate::components::time::rfc3339;
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
            last_error: key.last_error_code.clone().map(|code| LastError {
                code,
                http_status: key.last_error_http_status,
                message: key.last_error_message.clone().unwrap_or_default(),
            }),
            api_base: key.api_base.clone(),
            options: serde_json::from_str(&key.options).unwrap_or_default(),
            created_at: rfc3339(key.created_at),
            updated_at: rfc3339(key.updated_at),
        }
    }
}
