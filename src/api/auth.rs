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
    use crate::web::session::{cleared_cookie, request_session_token, session_cookie};
    use crate::web::state::AppState;

    /// Ends the request's old session, if any, and starts a new one (a fresh id at every sign-in).
    pub async fn sign_in(
        state: &AppState,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<(), ApiError> {
        sign_out(state).await?;
        let token = state.accounts().start_session(user_id, org_id).await?;
        expect_context::<ResponseOptions>()
            .append_header(SET_COOKIE, session_cookie(state, token.expose()));
        Ok(())
    }

    /// Destroys the request's session on the server and clears the cookie.
    pub async fn sign_out(state: &AppState) -> Result<(), ApiError> {
        if let Some(token) = request_session_token(state) {
            state.accounts().end_session(&token).await?;
            expect_context::<ResponseOptions>().append_header(SET_COOKIE, cleared_cookie(state));
        }
        Ok(())
    }

    /// The client's address, for rate limiting sign-in attempts: the connection's peer, or what a
    /// trusted proxy says in `X-Forwarded-For` (`KEYHUB_TRUSTED_PROXIES`).
    pub async fn client_address(state: &AppState) -> String {
        let Ok(info) =
            leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await
        else {
            return "unknown".to_owned();
        };
        let headers = use_context::<axum::http::request::Parts>()
            .map(|parts| parts.headers)
            .unwrap_or_default();
        state
            .settings()
            .trusted_proxies
            .client_address(info.0.ip(), &headers)
            .to_string()
    }
}

/// First run: creates the owner and the organization, then signs the owner in. Needs the setup code
/// from the server's log; wrong codes count against the same limits as sign-in.
#[server(prefix = "/api", endpoint = "auth/setup")]
pub async fn setup(
    email: String,
    password: String,
    org_name: String,
    org_slug: String,
    setup_code: Option<String>,
) -> Result<(), ApiError> {
    use crate::accounts::{AccountError, FirstOwner};
    use crate::api::door::{admit, answer, keeping, release};
    use crate::vault::SecretString;
    use crate::web::state::AppState;

    let state = expect_context::<AppState>();
    if state.is_set_up().await? {
        return Err(AccountError::AlreadySetUp.into());
    }
    let address = session::client_address(&state).await;
    admit(state.login_limiter(), &email, &address).await?;
    let entered = [
        ("email", email.clone()),
        ("org_name", org_name.clone()),
        ("org_slug", org_slug.clone()),
    ];
    if !state
        .setup_code()
        .matches(setup_code.as_deref().unwrap_or_default())
    {
        let wrong_code = ApiError::invalid(
            "setup_code",
            "This is not the setup code. KeyHub prints it in its log at start and writes it to \
             the file setup-code in its data folder.",
        );
        return Err(keeping(answer(wrong_code, None), entered));
    }
    let (user, org) = state
        .accounts()
        .create_first_owner(FirstOwner {
            email: email.clone(),
            password: SecretString::new(password),
            org_name,
            org_slug,
        })
        .await
        .map_err(|error| keeping(error.into(), entered))?;
    state.setup_code().retire(&state.settings().data_dir);
    release(state.login_limiter(), &email, &address).await?;
    session::sign_in(&state, &user.id, Some(&org.id)).await?;
    leptos_axum::redirect("/hub");
    Ok(())
}

/// Signs in. The attempt is counted before the password is checked; a correct one gives it back.
#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    use crate::accounts::AccountError;
    use crate::api::door::{admit, release};
    use crate::vault::SecretString;
    use crate::web::state::AppState;
    use axum::http::StatusCode;
    use {crate::api::door::answer, crate::web::session::CHOOSE_PASSWORD_PATH};

    let state = expect_context::<AppState>();
    let address = session::client_address(&state).await;
    // Without JavaScript the form comes back with the email filled in (never the password).
    let keep = |error: ApiError| crate::api::door::keeping(error, [("email", email.as_str())]);
    admit(state.login_limiter(), &email, &address)
        .await
        .map_err(keep)?;
    match state
        .accounts()
        .authenticate(&email, SecretString::new(password))
        .await
    {
        Ok(user) => {
            release(state.login_limiter(), &email, &address).await?;
            let memberships = state.accounts().memberships(&user.id).await?;
            let org_id = memberships.first().map(|m| m.org.id.as_str());
            session::sign_in(&state, &user.id, org_id).await?;
            if state.accounts().must_change_password(&user.id).await? {
                leptos_axum::redirect(CHOOSE_PASSWORD_PATH);
            } else {
                leptos_axum::redirect("/hub");
            }
            Ok(())
        }
        Err(AccountError::WrongCredentials) => Err(keep(answer(
            ApiError::refused("The email or password is not right. Check both and try again."),
            Some(StatusCode::UNAUTHORIZED),
        ))),
        Err(error) => Err(keep(error.into())),
    }
}

#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), ApiError> {
    let state = expect_context::<crate::web::state::AppState>();
    session::sign_out(&state).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in viewer, or `None`.
#[server(prefix = "/api", endpoint = "auth/viewer")]
pub async fn viewer() -> Result<Option<ViewerInfo>, ApiError> {
    let viewer = crate::api::door::current_viewer().await?;
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
