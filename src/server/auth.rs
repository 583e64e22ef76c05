//! Who is asking: the one place every page and server function learns the signed-in user and their
//! current org from the session cookie, and every REST handler its caller from the bearer token.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::state::AppState;
use crate::accounts::members::Actor;
use crate::accounts::tokens::{self, TokenCaller};
use crate::accounts::AccountError;
use crate::api::error::ApiError;
use crate::domain::accounts::{OrgRole, TokenScope};
use crate::keys::{KeyActor, KeyError};
use crate::rest::error::RestError;
use crate::store::accounts::{Membership, User};
use crate::store::orgs::Organization;

/// A signed-in user and the org they are working in.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: User,
    pub membership: Membership,
    pub memberships: Vec<Membership>,
    /// An admin chose the password; until the user chooses their own, only that and signing out
    /// are allowed.
    pub must_change_password: bool,
}

impl Viewer {
    pub fn role(&self) -> OrgRole {
        self.membership.role
    }

    /// The viewer acting on keys.
    pub fn key_actor(&self) -> KeyActor<'_> {
        KeyActor::Member {
            user: &self.user,
            membership: &self.membership,
        }
    }

    /// The viewer as the acting member of their current org, for the account services.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            user_id: &self.user.id,
            membership: &self.membership,
        }
    }
}

const SESSION_COOKIE: &str = "keyhub_session";

/// A cookie's name: `__Host-` prefixed when KeyHub is served over https (which also pins it to this
/// host and path `/`).
fn cookie_name(state: &AppState, name: &str) -> String {
    if state.is_https() {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// `Set-Cookie` for one of KeyHub's cookies: HttpOnly, SameSite=Lax, Secure under https. Without
/// `max_age` it ends with the browser session at the latest.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<u32>) -> HeaderValue {
    let secure = if state.is_https() { "; Secure" } else { "" };
    let max_age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/{max_age}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(state, name)
    ))
    .expect("cookie values are URL-safe")
}

/// The value of one of KeyHub's cookies in the request, if set.
pub fn cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Option<String> {
    let name = cookie_name(state, name);
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

/// `Set-Cookie` for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(state, SESSION_COOKIE, token, None)
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, SESSION_COOKIE, "", Some(0))
}

/// The session token in the request's cookies, if any.
pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie(state, headers, SESSION_COOKIE)
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
        must_change_password: session.must_change_password,
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

/// Whether the request a server function answers is a browser's plain form submission (no
/// JavaScript; it accepts HTML). Leptos answers those with a redirect back to the form.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Sets the response status for `error` and returns it. A plain form submission is left alone: an
/// error status would replace leptos' redirect back to the form, which carries the error.
pub fn answer(error: ApiError, status: Option<StatusCode>) -> ApiError {
    if let (false, Some(response)) = (
        is_plain_form_post(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
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

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        let error = match error {
            KeyError::NotFound => ApiError::NotFound,
            KeyError::Forbidden(message) => ApiError::Refused(message.to_owned()),
            KeyError::Invalid(problem) => ApiError::invalid(problem.field, problem.message),
            rejected @ KeyError::Rejected(_) => ApiError::invalid("api_key", rejected.to_string()),
            KeyError::Unreachable(message) => ApiError::invalid(
                "api_key",
                format!("{message} To save it anyway as not verified, tick \"Save even if the provider cannot be reached\"."),
            ),
            KeyError::Store(error) => internal(error),
            KeyError::Keyring(error) => internal(error),
        };
        let status = matches!(error, ApiError::Refused(_)).then_some(StatusCode::FORBIDDEN);
        answer(error, status)
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

/// For server functions: the viewer of the current request, if signed in.
pub async fn current_viewer() -> Result<Option<Viewer>, ApiError> {
    let state = leptos::prelude::expect_context::<AppState>();
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else {
        return Ok(None);
    };
    Ok(viewer(&state, &parts.headers).await?)
}

/// The page a user whose password an admin chose is sent to, and may not leave but by choosing
/// their own or signing out.
pub const CHOOSE_PASSWORD_PATH: &str = "/choose-password";

/// For server functions: the viewer of the current request, or `Unauthorized`; refused while they
/// must still choose their own password.
pub async fn require_viewer() -> Result<Viewer, ApiError> {
    let viewer = require_viewer_choosing_password().await?;
    if viewer.must_change_password {
        return Err(answer(
            ApiError::Refused(
                "Choose your own password first: an admin set the one you signed in with."
                    .to_owned(),
            ),
            Some(StatusCode::FORBIDDEN),
        ));
    }
    Ok(viewer)
}

/// The viewer of the current request, or `Unauthorized`, even before they have replaced a password
/// an admin chose: only for choosing it.
pub async fn require_viewer_choosing_password() -> Result<Viewer, ApiError> {
    current_viewer()
        .await?
        .ok_or_else(|| answer(ApiError::Unauthorized, None))
}

/// For server functions that need a signed-in viewer: the state and the viewer.
pub async fn signed_in() -> Result<(AppState, Viewer), ApiError> {
    let viewer = require_viewer().await?;
    Ok((leptos::prelude::expect_context::<AppState>(), viewer))
}

/// Paths the page guard leaves alone: health, static files, server functions and the REST API
/// (which check their callers themselves), and invite links (for people without an account).
fn is_unguarded(path: &str) -> bool {
    matches!(path, "/healthz" | "/favicon.svg")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with("/gateway/")
        || path.starts_with("/invite/")
}

/// Guards page loads: before first-run setup everything leads to `/setup`; afterwards `/setup` is
/// gone (404) and signed-out visitors are sent to `/login`; someone whose password an admin chose
/// is sent to choose their own. Server functions check for themselves.
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
    let must_change_password = match viewer(&state, request.headers()).await {
        Ok(viewer) => viewer.map(|viewer| viewer.must_change_password),
        Err(error) => {
            return (StatusCode::SERVICE_UNAVAILABLE, internal(error).to_string()).into_response()
        }
    };
    let choosing = path == CHOOSE_PASSWORD_PATH;
    match (path.as_str(), must_change_password) {
        (_, Some(true)) if !choosing => Redirect::to(CHOOSE_PASSWORD_PATH).into_response(),
        ("/login", Some(_)) => Redirect::to("/hub").into_response(),
        (_, Some(false)) if choosing => Redirect::to("/hub").into_response(),
        ("/login", None) | (_, Some(_)) => next.run(request).await,
        (_, None) => Redirect::to("/login").into_response(),
    }
}

/// A REST request's caller: the live API token in `Authorization: Bearer`, its org and scopes.
/// Every `/api/v1` handler takes this extractor; a missing, unknown, revoked or expired token is
/// answered 401 before the handler runs.
#[derive(Clone, Debug)]
pub struct ApiCaller(pub TokenCaller);

impl ApiCaller {
    /// Refuses the request unless the token has `scope`.
    pub fn require(&self, scope: TokenScope) -> Result<&TokenCaller, RestError> {
        if self.0.allows(scope) {
            Ok(&self.0)
        } else {
            Err(RestError::missing_scope(scope))
        }
    }

    /// The token's org when the path names it; any other org is not found (never "forbidden":
    /// that would confirm the org exists).
    pub fn org_named(&self, slug: &str) -> Result<&Organization, RestError> {
        if self.0.org.slug == slug {
            Ok(&self.0.org)
        } else {
            Err(RestError::not_found())
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RestError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(RestError::missing_token)?;
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(RestError::invalid_token)?;
        tokens::authenticate(&state.db, presented)
            .await?
            .map(ApiCaller)
            .ok_or_else(RestError::invalid_token)
    }
}
