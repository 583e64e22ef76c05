//! Who is calling the REST API: the bearer token, checked before any handler runs.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::RestError;
use crate::accounts::tokens::TokenCaller;
use crate::domain::accounts::TokenScope;
use crate::store::orgs::Organization;
use crate::web::state::AppState;

/// A REST request's caller: the live API token in `Authorization: Bearer`, its org and scopes.
/// Every `/api/v1` handler takes this extractor; a missing, unknown, revoked or expired token is
/// answered 401 before the handler runs.
#[derive(Clone, Debug)]
pub struct ApiCaller(pub TokenCaller);

impl ApiCaller {
    /// Refuses the request unless the token has `scope`.
    pub fn require(&self, scope: TokenScope) -> Result<&TokenCaller, RestError> {
        if self.0.allows(scope) {
            Ok(&self.0)
        } else {
            Err(RestError::missing_scope(scope))
        }
    }

    /// The token's org when the path names it; any other org is not found (never "forbidden":
    /// that would confirm the org exists).
    pub fn org_named(&self, slug: &str) -> Result<&Organization, RestError> {
        if self.0.org.slug == slug {
            Ok(&self.0.org)
        } else {
            Err(RestError::not_found())
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RestError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(RestError::missing_token)?;
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(RestError::invalid_token)?;
        state
            .accounts()
            .tokens()
            .authenticate(presented)
            .await?
            .map(ApiCaller)
            .ok_or_else(RestError::invalid_token)
    }
}
