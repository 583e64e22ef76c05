//! Settings → API tokens (SPEC.md §7): admins create, list and revoke their org's tokens.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

pub type CreateTokenAction = ServerAction<CreateToken>;
pub type RevokeTokenAction = ServerAction<RevokeToken>;

/// A token as the settings page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    /// The scopes as in the API: `keys:read`, …
    pub scopes: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
    pub expired: bool,
}

/// A token just created. The only time its secret leaves the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensView {
    pub tokens: Vec<TokenInfo>,
    /// A token created by a form post without JavaScript, shown on this render only.
    pub just_created: Option<CreatedToken>,
}

#[cfg(feature = "ssr")]
impl From<crate::store::tokens::ApiToken> for TokenInfo {
    fn from(token: crate::store::tokens::ApiToken) -> Self {
        TokenInfo {
            id: token.id,
            name: token.name,
            prefix: token.prefix,
            scopes: token.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_by: token.created_by_email,
            created_at: token.created_at,
            expires_at: token.expires_at,
            last_used_at: token.last_used_at,
            revoked: token.revoked_at.is_some(),
            expired: token
                .expires_at
                .is_some_and(|at| at <= crate::store::now_ms()),
        }
    }
}

#[server(prefix = "/api", endpoint = "tokens/list")]
pub async fn tokens() -> Result<TokensView, ApiError> {
    use crate::api::reveal::{take, Reveal};
    let (state, viewer) = crate::api::door::signed_in().await?;
    let tokens = state.accounts().tokens().list(viewer.actor()).await?;
    Ok(TokensView {
        tokens: tokens.into_iter().map(TokenInfo::from).collect(),
        just_created: take(&state, &viewer, Reveal::NewToken).map(|secret| CreatedToken {
            token: secret.expose().to_owned(),
        }),
    })
}

/// Returns the new token, or `None` when a browser without JavaScript gets it on the next page.
/// Checkboxes send their value only when checked, hence one option per scope.
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(
    name: String,
    keys_read: Option<String>,
    keys_write: Option<String>,
    keys_use: Option<String>,
    gateway: Option<String>,
    expires: String,
) -> Result<Option<CreatedToken>, ApiError> {
    use crate::accounts::tokens::TokenRequest;
    use crate::api::reveal::{hand_over, Reveal};
    use crate::domain::accounts::TokenScope;

    let (state, viewer) = crate::api::door::signed_in().await?;
    let entered = [("name", name.clone())];
    let scopes: Vec<TokenScope> = [
        (TokenScope::KeysRead, keys_read),
        (TokenScope::KeysWrite, keys_write),
        (TokenScope::KeysUse, keys_use),
        (TokenScope::Gateway, gateway),
    ]
    .into_iter()
    .filter_map(|(scope, checked)| checked.map(|_| scope))
    .collect();
    let lifetime_days = match expires.as_str() {
        "never" => None,
        days => Some(days.parse::<u32>().map_err(|_| {
            let unknown = ApiError::invalid("expires", "Choose when the token expires.");
            crate::api::door::keeping(crate::api::door::answer(unknown, None), entered.clone())
        })?),
    };
    let created = state
        .accounts()
        .tokens()
        .create(
            viewer.actor(),
            TokenRequest {
                name: &name,
                scopes: &scopes,
                lifetime_days,
            },
        )
        .await
        .map_err(|error| crate::api::door::keeping(error.into(), entered))?;
    if hand_over(&state, &viewer, Reveal::NewToken, &created.secret) {
        return Ok(None);
    }
    Ok(Some(CreatedToken {
        token: created.secret.expose().to_owned(),
    }))
}

#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: String) -> Result<(), ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state
        .accounts()
        .tokens()
        .revoke(viewer.actor(), &id)
        .await?;
    Ok(())
}
