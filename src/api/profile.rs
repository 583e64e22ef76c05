//! `/profile`: the signed-in user's own account.

use leptos::prelude::*;

use super::error::ApiError;

pub type ChangePasswordAction = ServerAction<ChangePassword>;

/// Changes the viewer's password. Wrong current passwords count as failed sign-ins, so this form
/// cannot be used to guess a password either.
#[server(prefix = "/api", endpoint = "profile/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    use crate::server::auth::{answer, request_session_token, signed_in};
    use crate::server::login_limiter::wait_message;
    use crate::vault::SecretString;

    let (state, viewer) = signed_in().await?;
    let email = viewer.user.email.clone();
    let address = "profile";
    if let Err(wait) = state.login_limiter.check(&email, address) {
        return Err(answer(
            ApiError::Refused(wait_message(wait)),
            Some(axum::http::StatusCode::TOO_MANY_REQUESTS),
        ));
    }
    let token = request_session_token(&state);
    let changed = state
        .accounts
        .change_password(
            &viewer.user,
            SecretString::new(current_password),
            SecretString::new(new_password),
            token.as_deref(),
        )
        .await;
    if let Err(crate::accounts::AccountError::Invalid {
        field: "current_password",
        ..
    }) = &changed
    {
        state.login_limiter.record_failure(&email, address);
    }
    Ok(changed?)
}
