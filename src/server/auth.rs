//! Who is asking: the one place every page, server function and (later) REST handler learns the
//! signed-in user and their current org from the session cookie.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::state::AppState;
use crate::accounts::members::Actor;
use crate::accounts::AccountError;
use crate::api::error::ApiError;
use crate::domain::accounts::OrgRole;
use crate::store::accounts::{Membership, User};

/// A signed-in user and the org they are working in.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: User,
    pub membership: Membership,
    pub memberships: Vec<Membership>,
}

impl Viewer {
    pub fn role(&self) -> OrgRole {
        self.membership.role
    }

    /// The viewer as the acting member of their current org, for the account services.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            user_id: &self.user.id,
            membership: &self.membership,
        }
    }
}

/// The session cookie's name: `__Host-` prefixed when KeyHub is served over https.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.is_https() {
        "__Host-keyhub_session"
    } else {
        "keyhub_session"
    }
}

/// `Set-Cookie` for a new session (HttpOnly, SameSite=Lax, Secure under https; no Max-Age, so it
/// ends with the browser session at the latest).
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}",
        cookie_name(state)
    ))
    .expect("session tokens are URL-safe base64")
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}",
        cookie_name(state)
    ))
    .expect("a static cookie")
}

/// The session token in the request's cookies, if any.
pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The session token of the request a server function is answering, if any.
pub fn request_session_token(state: &AppState) -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    session_token(state, &parts.headers)
}

/// The viewer behind the request's session cookie, or `None` when signed out (or the session or
/// membership is gone). The current org is the session's, else the user's first.
pub async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, AccountError> {
    let Some(token) = session_token(state, headers) else {
        return Ok(None);
    };
    let Some(session) = state.accounts.session(&token).await? else {
        return Ok(None);
    };
    let memberships = state.accounts.memberships(&session.user.id).await?;
    let current = session
        .org_id
        .as_deref()
        .and_then(|org_id| memberships.iter().find(|m| m.org.id == org_id))
        .or_else(|| memberships.first())
        .cloned();
    Ok(current.map(|membership| Viewer {
        user: session.user,
        membership,
        memberships,
    }))
}

/// Logs the full error once and gives the browser a reference to quote.
pub fn internal(error: impl std::fmt::Display) -> ApiError {
    let reference = crate::store::new_id();
    tracing::error!(%reference, %error, "request failed");
    ApiError::Internal { reference }
}

/// The HTTP status a failed server function answers with.
pub fn status_of(error: &ApiError) -> StatusCode {
    match error {
        ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden => StatusCode::FORBIDDEN,
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::Refused(_) => StatusCode::CONFLICT,
        ApiError::Internal { .. } | ApiError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Sets the response status for `error` and returns it. A browser's plain form submission (no
/// JavaScript; it accepts HTML) is left alone: leptos answers it with a redirect back to the form,
/// carrying the error, and an error status would replace that redirect.
pub fn answer(error: ApiError, status: Option<StatusCode>) -> ApiError {
    use leptos::prelude::use_context;
    let from_html_form = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    });
    if let (false, Some(response)) = (
        from_html_form,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.set_status(status.unwrap_or_else(|| status_of(&error)));
    }
    error
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        answer(account_error(error), None)
    }
}

fn account_error(error: AccountError) -> ApiError {
    match error {
        AccountError::Invalid { field, message } => ApiError::invalid(field, message),
        AccountError::AlreadySetUp | AccountError::WrongCredentials => {
            ApiError::Refused(error.to_string())
        }
        AccountError::Refused(message) => ApiError::Refused(message),
        AccountError::Forbidden => ApiError::Forbidden,
        AccountError::NotFound => ApiError::NotFound,
        AccountError::Store(error) => internal(error),
    }
}

/// For server functions: the viewer of the current request, or `Unauthorized`.
pub async fn require_viewer() -> Result<Viewer, ApiError> {
    let state = leptos::prelude::expect_context::<AppState>();
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()
        .ok_or(ApiError::Unauthorized)?;
    viewer(&state, &parts.headers)
        .await?
        .ok_or_else(|| answer(ApiError::Unauthorized, None))
}

/// For server functions that need a signed-in viewer: the state and the viewer.
pub async fn signed_in() -> Result<(AppState, Viewer), ApiError> {
    let viewer = require_viewer().await?;
    Ok((leptos::prelude::expect_context::<AppState>(), viewer))
}

/// Paths the page guard leaves alone: health, static files, and server functions (which check the
/// session themselves).
fn is_unguarded(path: &str) -> bool {
    matches!(path, "/healthz" | "/favicon.svg")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Guards page loads: before first-run setup everything leads to `/setup`; afterwards `/setup` is
/// gone (404) and signed-out visitors are sent to `/login`. Server functions check for themselves.
pub async fn guard_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if (request.method() != Method::GET && request.method() != Method::HEAD) || is_unguarded(&path)
    {
        return next.run(request).await;
    }
    let set_up = match state.is_set_up().await {
        Ok(set_up) => set_up,
        Err(error) => {
            return (StatusCode::SERVICE_UNAVAILABLE, internal(error).to_string()).into_response()
        }
    };
    if !set_up {
        return match path.as_str() {
            "/setup" => next.run(request).await,
            _ => Redirect::to("/setup").into_response(),
        };
    }
    if path == "/setup" {
        return (
            StatusCode::NOT_FOUND,
            Html("<!DOCTYPE html><title>Not found</title><p>KeyHub is already set up. <a href=\"/login\">Sign in</a>.</p>"),
        )
            .into_response();
    }
    let signed_in = match viewer(&state, request.headers()).await {
        Ok(viewer) => viewer.is_some(),
        Err(error) => {
            return (StatusCode::SERVICE_UNAVAILABLE, internal(error).to_string()).into_response()
        }
    };
    match (path.as_str(), signed_in) {
        ("/login", true) => Redirect::to("/hub").into_response(),
        ("/login", false) | (_, true) => next.run(request).await,
        (_, false) => Redirect::to("/login").into_response(),
    }
}
