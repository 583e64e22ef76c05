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

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<OrgRole, ApiError> {
    OrgRole::parse(role).ok_or_else(|| {
        crate::server::auth::answer(
            ApiError::invalid("role", "Choose owner, admin or member."),
            None,
        )
    })
}

#[server(prefix = "/api", endpoint = "members/list")]
pub async fn members() -> Result<MembersView, ApiError> {
    use crate::accounts::members;
    let (state, viewer) = crate::server::auth::signed_in().await?;
    let members = members::list(&state.db, viewer.actor()).await?;
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

#[server(prefix = "/api", endpoint = "members/add")]
pub async fn add_member(email: String, password: String, role: String) -> Result<(), ApiError> {
    use crate::accounts::members;
    let (state, viewer) = crate::server::auth::signed_in().await?;
    let role = parse_role(&role)?;
    let password = crate::vault::SecretString::new(password);
    members::add(&state.db, viewer.actor(), &email, password, role).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "members/role")]
pub async fn change_member_role(user_id: String, role: String) -> Result<(), ApiError> {
    use crate::accounts::members;
    let (state, viewer) = crate::server::auth::signed_in().await?;
    members::change_role(&state.db, viewer.actor(), &user_id, parse_role(&role)?).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(user_id: String) -> Result<(), ApiError> {
    use crate::accounts::members;
    let (state, viewer) = crate::server::auth::signed_in().await?;
    members::remove(&state.db, viewer.actor(), &user_id).await?;
    Ok(())
}
