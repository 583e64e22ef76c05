//! Invite links: admins create and revoke them in Settings → Members; the invited person opens
//! `/invite/{secret}` and joins.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::domain::accounts::OrgRole;

pub type CreateInviteAction = ServerAction<CreateInvite>;
pub type RevokeInviteAction = ServerAction<RevokeInvite>;
pub type AcceptInviteAction = ServerAction<AcceptInvite>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub id: String,
    pub email: String,
    pub role: OrgRole,
    pub created_by: String,
    pub expires_at: i64,
}

/// A link just created: the only time it leaves the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub link: String,
    pub email: String,
    /// The email already has a KeyHub account (the invite was made instead of adding it).
    pub has_account: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitesView {
    pub invites: Vec<InviteInfo>,
    /// A link created by a form post without JavaScript, shown on this render only.
    pub just_created: Option<CreatedInvite>,
}

/// What an invite link offers its visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteOfferView {
    pub org_name: String,
    pub email: String,
    pub role: OrgRole,
    pub has_account: bool,
}

/// What the page shows about a link just created, if it can still be used.
#[cfg(feature = "ssr")]
async fn created_view(
    state: &crate::web::state::AppState,
    secret: &crate::vault::SecretString,
) -> Result<CreatedInvite, ApiError> {
    let offer = state.accounts().invites().offer(secret.expose()).await?;
    Ok(CreatedInvite {
        link: link(state, secret),
        email: offer.invite.email,
        has_account: offer.has_account,
    })
}

/// The absolute link for an invite secret: under `KEYHUB_PUBLIC_URL`, else the request's host.
#[cfg(feature = "ssr")]
pub(crate) fn link(
    state: &crate::web::state::AppState,
    secret: &crate::vault::SecretString,
) -> String {
    let base = state.settings().public_url.clone().unwrap_or_else(|| {
        let host = use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.headers.get(axum::http::header::HOST).cloned())
            .and_then(|host| host.to_str().ok().map(str::to_owned))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        format!("http://{host}")
    });
    format!(
        "{}{}",
        base.trim_end_matches('/'),
        crate::accounts::invites::invite_path(secret)
    )
}

#[server(prefix = "/api", endpoint = "invites/list")]
pub async fn invites() -> Result<InvitesView, ApiError> {
    use crate::api::reveal::{take, Reveal};
    let (state, viewer) = crate::api::door::signed_in().await?;
    let invites = state.accounts().invites().list(viewer.actor()).await?;
    let just_created = match take(&state, &viewer, Reveal::NewInvite) {
        Some(secret) => created_view(&state, &secret).await.ok(),
        None => None,
    };
    Ok(InvitesView {
        invites: invites
            .into_iter()
            .map(|invite| InviteInfo {
                id: invite.id,
                email: invite.email,
                role: invite.role,
                created_by: invite.created_by_email,
                expires_at: invite.expires_at,
            })
            .collect(),
        just_created,
    })
}

/// Returns the link, or `None` when a browser without JavaScript gets it on the next page.
#[server(prefix = "/api", endpoint = "invites/create")]
pub async fn create_invite(
    invite_email: String,
    invite_role: String,
) -> Result<Option<CreatedInvite>, ApiError> {
    use crate::api::reveal::{hand_over, Reveal};
    let (state, viewer) = crate::api::door::signed_in().await?;
    let role = OrgRole::parse(&invite_role).ok_or_else(|| {
        crate::api::door::answer(
            ApiError::invalid("role", "Choose owner, admin or member."),
            None,
        )
    })?;
    let created = state
        .accounts()
        .invites()
        .create(viewer.actor(), &invite_email, role)
        .await
        .map_err(|error| {
            crate::api::door::keeping(error.into(), [("invite_email", invite_email.as_str())])
        })?;
    if hand_over(&state, &viewer, Reveal::NewInvite, &created.secret) {
        return Ok(None);
    }
    Ok(Some(created_view(&state, &created.secret).await?))
}

#[server(prefix = "/api", endpoint = "invites/revoke")]
pub async fn revoke_invite(id: String) -> Result<(), ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state
        .accounts()
        .invites()
        .revoke(viewer.actor(), &id)
        .await?;
    Ok(())
}

/// What the invite link offers; anyone holding the link may ask.
#[server(prefix = "/api", endpoint = "invites/offer")]
pub async fn invite_offer(secret: String) -> Result<InviteOfferView, ApiError> {
    let state = expect_context::<crate::web::state::AppState>();
    let offer = state.accounts().invites().offer(&secret).await?;
    Ok(InviteOfferView {
        org_name: offer.invite.org_name,
        email: offer.invite.email,
        role: offer.invite.role,
        has_account: offer.has_account,
    })
}

/// Joins the org with the invite and signs the person in. Confirming an existing account's password
/// counts against the same limits as sign-in (counted before it is checked); a new person choosing
/// theirs guesses nothing.
#[server(prefix = "/api", endpoint = "invites/accept")]
pub async fn accept_invite(secret: String, password: String) -> Result<(), ApiError> {
    use crate::api::door::{admit, release};

    let state = expect_context::<crate::web::state::AppState>();
    let address = super::auth::session::client_address(&state).await;
    let offer = state.accounts().invites().offer(&secret).await?;
    let email = offer.invite.email;
    if offer.has_account {
        admit(state.login_limiter(), &email, &address).await?;
    }
    let password = crate::vault::SecretString::new(password);
    let (user, invite) = state.accounts().invites().accept(&secret, password).await?;
    if offer.has_account {
        release(state.login_limiter(), &email, &address).await?;
    }
    super::auth::session::sign_in(&state, &user.id, Some(&invite.org_id)).await?;
    leptos_axum::redirect("/hub");
    Ok(())
}
