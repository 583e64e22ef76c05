//! The current organization: switching between orgs, and the org policy.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

pub type SwitchOrgAction = ServerAction<SwitchOrg>;
pub type SetPolicyAction = ServerAction<SetPolicy>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub can_manage: bool,
    pub allow_personal_keys: bool,
    pub allow_platform_keys: bool,
}

/// Makes another org of the viewer's the current one.
#[server(prefix = "/api", endpoint = "orgs/switch")]
pub async fn switch_org(slug: String) -> Result<(), ApiError> {
    use {crate::api::door::signed_in, crate::web::session::request_session_token};
    let (state, viewer) = signed_in().await?;
    let token = request_session_token(&state).ok_or(ApiError::Unauthorized)?;
    state
        .accounts()
        .switch_org(&token, &viewer.user.id, &slug)
        .await?;
    leptos_axum::redirect("/hub");
    Ok(())
}

#[server(prefix = "/api", endpoint = "orgs/policy")]
pub async fn policy() -> Result<PolicyView, ApiError> {
    let (_, viewer) = crate::api::door::signed_in().await?;
    let org = &viewer.membership.org;
    Ok(PolicyView {
        can_manage: viewer.role().is_admin(),
        allow_personal_keys: org.allow_personal_keys,
        allow_platform_keys: org.allow_platform_keys,
    })
}

/// Checkboxes send their value only when checked, hence the options.
#[server(prefix = "/api", endpoint = "orgs/policy/set")]
pub async fn set_policy(
    allow_personal_keys: Option<String>,
    allow_platform_keys: Option<String>,
) -> Result<(), ApiError> {
    let (state, viewer) = crate::api::door::signed_in().await?;
    state
        .accounts()
        .members()
        .set_policy(
            viewer.actor(),
            allow_personal_keys.is_some(),
            allow_platform_keys.is_some(),
        )
        .await?;
    Ok(())
}
