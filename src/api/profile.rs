//! `/profile` and `/choose-password`: the signed-in user's own password.

use leptos::prelude::*;

use super::error::ApiError;

pub type ChangePasswordAction = ServerAction<ChangePassword>;

/// Changes the viewer's password; the only thing someone whose password an admin chose may do
/// (besides signing out), after which they go on to the hub. The current password is checked like
/// a sign-in (the attempt counted first), so this form cannot be used to guess a password either.
#[server(prefix = "/api", endpoint = "profile/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    use crate::api::door::{admit, release};
    use crate::vault::SecretString;
    use {
        crate::api::door::require_viewer_choosing_password,
        crate::web::session::request_session_token,
    };

    let viewer = require_viewer_choosing_password().await?;
    let state = expect_context::<crate::web::state::AppState>();
    let email = viewer.user.email.clone();
    let address = super::auth::session::client_address(&state).await;
    admit(state.login_limiter(), &email, &address).await?;
    let token = request_session_token(&state);
    let changed = state
        .accounts()
        .change_password(
            &viewer.user,
            SecretString::new(current_password),
            SecretString::new(new_password),
            token.as_deref(),
        )
        .await;
    // Only a wrong current password was a guess; anything else gives the attempt back.
    if !matches!(
        changed,
        Err(crate::accounts::AccountError::Invalid(ref problems))
            if problems.first().field == "current_password"
    ) {
        release(state.login_limiter(), &email, &address).await?;
    }
    changed?;
    if viewer.must_change_password {
        leptos_axum::redirect("/hub");
    }
    Ok(())
}
