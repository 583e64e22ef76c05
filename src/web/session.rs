//! Who is asking a page or a server function: the signed-in user and their current org, learned
//! from the session cookie in one place, and KeyHub's cookies.

use axum::http::{header, HeaderMap, HeaderValue};

use super::state::AppState;
use crate::accounts::members::Actor;
use crate::accounts::AccountError;
use crate::domain::accounts::OrgRole;
use crate::keys::KeyActor;
use crate::store::accounts::{Membership, User};

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

    pub fn org_id(&self) -> &str {
        &self.membership.org.id
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

/// The viewer the page guard looked up for a page request, kept in the request's extensions so
/// that the page's layout and server functions do not look it up again.
#[derive(Clone, Debug)]
pub struct GuardedViewer(pub Option<Viewer>);

/// The viewer behind the request's session cookie, or `None` when signed out (or the session or
/// membership is gone). The current org is the session's, else the user's first.
pub async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, AccountError> {
    let Some(token) = session_token(state, headers) else {
        return Ok(None);
    };
    let Some(session) = state.accounts().session(&token).await? else {
        return Ok(None);
    };
    let current = session
        .org_id
        .as_deref()
        .and_then(|org_id| session.memberships.iter().find(|m| m.org.id == org_id))
        .or_else(|| session.memberships.first())
        .cloned();
    Ok(current.map(|membership| Viewer {
        user: session.user,
        membership,
        memberships: session.memberships,
        must_change_password: session.must_change_password,
    }))
}

/// The page a user whose password an admin chose is sent to, and may not leave but by choosing
/// their own or signing out.
pub const CHOOSE_PASSWORD_PATH: &str = "/choose-password";
