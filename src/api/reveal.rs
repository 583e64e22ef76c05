//! Showing a new secret (an API token, an invite link) exactly once to a browser without
//! JavaScript. Such a browser follows a redirect after the form post, so the answer cannot carry
//! the secret; instead it gets a short-lived cookie holding the secret sealed under the master key
//! and bound to the org and user, which the next page render opens and clears. With JavaScript the
//! server function returns the secret directly and no cookie is set.

use axum::http::header::SET_COOKIE;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::door::is_plain_form_post;
use crate::vault::SecretString;
use crate::web::session::{cookie, set_cookie, Viewer};
use crate::web::state::AppState;

/// Long enough for the redirect, short enough not to linger.
const REVEAL_SECONDS: u32 = 120;

/// What is being shown; each kind has its own cookie.
#[derive(Clone, Copy, Debug)]
pub enum Reveal {
    NewToken,
    NewInvite,
}

impl Reveal {
    fn cookie(self) -> &'static str {
        match self {
            Reveal::NewToken => "keyhub_new_token",
            Reveal::NewInvite => "keyhub_new_invite",
        }
    }
}

fn binding_id(kind: Reveal, viewer: &Viewer) -> String {
    format!("{}:{}", kind.cookie(), viewer.user.id)
}

/// For a plain form post: hands the secret to the page the browser is redirected to, and says so
/// (the answer itself must then not carry the secret).
pub fn hand_over(state: &AppState, viewer: &Viewer, kind: Reveal, secret: &SecretString) -> bool {
    if !is_plain_form_post() {
        return false;
    }
    let sealed =
        state
            .handover()
            .seal(&viewer.membership.org.id, &binding_id(kind, viewer), secret);
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(
            SET_COOKIE,
            set_cookie(state, kind.cookie(), &sealed, Some(REVEAL_SECONDS)),
        );
    }
    true
}

/// The secret handed over to this viewer, if any; the cookie is cleared, so it shows once.
pub fn take(state: &AppState, viewer: &Viewer, kind: Reveal) -> Option<SecretString> {
    let parts = use_context::<axum::http::request::Parts>()?;
    let sealed = cookie(state, &parts.headers, kind.cookie())?;
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(SET_COOKIE, set_cookie(state, kind.cookie(), "", Some(0)));
    }
    state.handover().open(
        &viewer.membership.org.id,
        &binding_id(kind, viewer),
        &sealed,
    )
}
