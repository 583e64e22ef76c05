//! Settings → Members.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::domain::accounts::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub user_id: String,
    pub email: String,
    pub role: OrgRole,
    pub is_you: bool,
}

/// The members list and what the viewer may do with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersView {
    pub org_name: String,
    pub can_manage: bool,
    pub viewer_is_owner: bool,
    pub members: Vec<MemberInfo>,
}

/// What adding a member did, said plainly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAdded {
    pub email: String,
    /// `true` when the email already had an account and an invite was created instead.
    pub invited: bool,
    pub message: String,
    /// The invite link to send them. A browser without JavaScript gets it on the next page instead.
    pub invite_link: Option<String>,
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<OrgRole, ApiError> {
    OrgRole::parse(role).ok_or_else(|| {
        crate::api::door::answer(
            ApiError::invalid("role", "Choose owner, admin or member."),
            None,
        )
    })
}

#[server(prefix = "/api", endpoint = "members/list")]
pub async fn members() -> Result<MembersView, ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    let members = state.accounts().members().list(viewer.actor()).await?;
    Ok(MembersView {
        org_name: viewer.membership.org.name.clone(),
        can_manage: viewer.role().is_admin(),
        viewer_is_owner: viewer.role() == OrgRole::Owner,
        members: members
            .into_iter()
            .map(|m| MemberInfo {
                is_you: m.user.id == viewer.user.id,
                user_id: m.user.id,
                email: m.user.email,
                role: m.role,
            })
            .collect(),
    })
}

/// Adds a new account with an initial password (its owner replaces it at first sign-in), or, for an
/// email that already has an account, creates an invite: an admin never sets an existing account's
/// password.
#[server(prefix = "/api", endpoint = "members/add")]
pub async fn add_member(
    email: String,
    password: String,
    role: String,
) -> Result<MemberAdded, ApiError> {
    use crate::accounts::members::Added;
    use crate::api::reveal::{hand_over, Reveal};
    let (state, viewer) = crate::api::door::signed_in().await?;
    let role = parse_role(&role)?;
    let password = crate::vault::SecretString::new(password);
    Ok(
        match state
            .accounts()
            .members()
            .add(viewer.actor(), &email, password, role)
            .await
            .map_err(|error| crate::api::door::keeping(error.into(), [("email", email.as_str())]))?
        {
            Added::NewAccount(user) => MemberAdded {
                message: format!(
                    "{} was added. Give them the initial password in person; they choose their \
                     own when they first sign in.",
                    user.email
                ),
                email: user.email,
                invited: false,
                invite_link: None,
            },
            Added::Invited(created) => MemberAdded {
                message: format!(
                    "{} already has a KeyHub account: an invite was created; send them this \
                     link. They join by opening it and confirming with their own password.",
                    created.invite.email
                ),
                invite_link: (!hand_over(&state, &viewer, Reveal::NewInvite, &created.secret))
                    .then(|| super::invites::link(&state, &created.secret)),
                email: created.invite.email,
                invited: true,
            },
        },
    )
}

#[server(prefix = "/api", endpoint = "members/role")]
pub async fn change_member_role(user_id: String, role: String) -> Result<(), ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state
        .accounts()
        .members()
        .change_role(viewer.actor(), &user_id, parse_role(&role)?)
        .await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(user_id: String) -> Result<(), ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state
        .accounts()
        .members()
        .remove(viewer.actor(), &user_id)
        .await?;
    Ok(())
}
