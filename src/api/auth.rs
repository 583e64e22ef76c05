//! Sign-in, first-run setup and sign-out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::domain::accounts::OrgRole;

/// Who is signed in, as the browser may know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerInfo {
    pub email: String,
    pub org_name: String,
    pub org_slug: String,
    pub role: OrgRole,
    /// Every org of the viewer as (slug, name), for the switcher.
    pub orgs: Vec<(String, String)>,
}

pub type SetupAction = ServerAction<Setup>;
pub type LoginAction = ServerAction<Login>;
pub type LogoutAction = ServerAction<Logout>;

#[cfg(feature = "ssr")]
pub(crate) mod session {
    use axum::http::header::SET_COOKIE;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::api::error::ApiError;
    use crate::server::auth::{cleared_cookie, request_session_token, session_cookie};
    use crate::server::state::AppState;

    /// Ends the request's old session, if any, and starts a new one (a fresh id at every sign-in).
    pub async fn sign_in(
        state: &AppState,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<(), ApiError> {
        sign_out(state).await?;
        let token = state.accounts.start_session(user_id, org_id).await?;
        expect_context::<ResponseOptions>()
            .append_header(SET_COOKIE, session_cookie(state, token.expose()));
        Ok(())
    }

    /// Destroys the request's session on the server and clears the cookie.
    pub async fn sign_out(state: &AppState) -> Result<(), ApiError> {
        if let Some(token) = request_session_token(state) {
            state.accounts.end_session(&token).await?;
            expect_context::<ResponseOptions>().append_header(SET_COOKIE, cleared_cookie(state));
        }
        Ok(())
    }

    /// The client's address, for rate limiting sign-in attempts.
    pub async fn client_address() -> String {
        leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .map(|info| info.0.ip().to_string())
            .unwrap_or_else(|_| "unknown".to_owned())
    }
}

/// First run: creates the owner and the organization, then signs the owner in.
#[server(prefix = "/api", endpoint = "auth/setup")]
pub async fn setup(
    email: String,
    password: String,
    org_name: String,
    org_slug: String,
) -> Result<(), ApiError> {
    use crate::accounts::FirstOwner;
    use crate::server::state::AppState;
    use crate::vault::SecretString;

    let state = expect_context::<AppState>();
    let (user, org) = state
        .accounts
        .create_first_owner(FirstOwner {
            email,
            password: SecretString::new(password),
            org_name,
            org_slug,
        })
        .await?;
    session::sign_in(&state, &user.id, Some(&org.id)).await?;
    leptos_axum::redirect("/hub");
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    use crate::accounts::AccountError;
    use crate::server::auth::answer;
    use crate::server::login_limiter::wait_message;
    use crate::server::state::AppState;
    use crate::vault::SecretString;
    use axum::http::StatusCode;

    let state = expect_context::<AppState>();
    let address = session::client_address().await;
    if let Err(wait) = state.login_limiter.check(&email, &address) {
        return Err(answer(
            ApiError::Refused(wait_message(wait)),
            Some(StatusCode::TOO_MANY_REQUESTS),
        ));
    }
    match state
        .accounts
        .authenticate(&email, SecretString::new(password))
        .await
    {
        Ok(user) => {
            state.login_limiter.record_success(&email);
            let memberships = state.accounts.memberships(&user.id).await?;
            let org_id = memberships.first().map(|m| m.org.id.as_str());
            session::sign_in(&state, &user.id, org_id).await?;
            leptos_axum::redirect("/hub");
            Ok(())
        }
        Err(AccountError::WrongCredentials) => {
            state.login_limiter.record_failure(&email, &address);
            Err(answer(
                ApiError::Refused(
                    "The email or password is not right. Check both and try again.".to_owned(),
                ),
                Some(StatusCode::UNAUTHORIZED),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), ApiError> {
    let state = expect_context::<crate::server::state::AppState>();
    session::sign_out(&state).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in viewer, or `None`.
#[server(prefix = "/api", endpoint = "auth/viewer")]
pub async fn viewer() -> Result<Option<ViewerInfo>, ApiError> {
    let viewer = crate::server::auth::current_viewer().await?;
    Ok(viewer.map(|viewer| ViewerInfo {
        email: viewer.user.email.clone(),
        org_name: viewer.membership.org.name.clone(),
        org_slug: viewer.membership.org.slug.clone(),
        role: viewer.role(),
        orgs: viewer
            .memberships
            .iter()
            .map(|m| (m.org.slug.clone(), m.org.name.clone()))
            .collect(),
    }))
}
