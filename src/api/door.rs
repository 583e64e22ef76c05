//! What every server function shares (ssr only): the signed-in viewer, errors turned into what the
//! browser may see, and the HTTP status that goes with them.

use axum::http::{header, StatusCode};

use super::error::ApiError;
use crate::accounts::login_limiter::{wait_message, LoginLimiter};
use crate::accounts::AccountError;
use crate::keys::keyring::KeyringError;
use crate::keys::KeyError;
use crate::store::StoreError;
use crate::web::session::{viewer, GuardedViewer, Viewer};
use crate::web::state::AppState;

/// Logs the full error once and gives the browser a reference to quote.
pub fn internal(error: impl std::fmt::Display) -> ApiError {
    let reference = crate::store::new_id();
    tracing::error!(%reference, %error, "request failed");
    ApiError::Internal { reference }
}

/// A database error: what to do when it is an outage that passes, else internal.
pub fn store(error: StoreError) -> ApiError {
    match error.outage() {
        Some(outage) => {
            tracing::warn!(%error, "request met a database outage");
            ApiError::Unavailable(outage.message().to_owned())
        }
        None => internal(error),
    }
}

fn keyring_error(error: KeyringError) -> ApiError {
    match error {
        KeyringError::Store(error) => store(error),
        KeyringError::NotFound => ApiError::NotFound,
        other => internal(other),
    }
}

/// The HTTP status a failed server function answers with.
pub fn status_of(error: &ApiError) -> StatusCode {
    match error {
        ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden => StatusCode::FORBIDDEN,
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::Refused { .. } => StatusCode::CONFLICT,
        ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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

/// A form sent without JavaScript that failed comes back with what was entered in it, so the page
/// shows it again filled in (with JavaScript the form keeps its values itself). The values travel
/// in the URL leptos redirects to, which anyone can also forge into a link: so `entered` holds
/// only plain text a person reads back on the form (names, nicknames, emails), never a secret
/// and never a field that decides where a key is sent or what someone may do (base URLs,
/// provider options, roles, scopes), which come back as the form's defaults.
pub fn keeping<N, V>(mut error: ApiError, entered: impl IntoIterator<Item = (N, V)>) -> ApiError
where
    N: Into<String>,
    V: Into<String>,
{
    if let (
        true,
        ApiError::Invalid { entered: kept, .. } | ApiError::Refused { entered: kept, .. },
    ) = (is_plain_form_post(), &mut error)
    {
        kept.extend(
            entered
                .into_iter()
                .map(|(field, value)| (field.into(), value.into())),
        );
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
            KeyError::Forbidden(message) => ApiError::refused(message),
            KeyError::MissingScope(_) => ApiError::Forbidden,
            KeyError::Invalid(problems) => (&problems).into(),
            rejected @ KeyError::Rejected(_) => ApiError::invalid("api_key", rejected.to_string()),
            KeyError::Unreachable(message) => ApiError::invalid(
                "api_key",
                format!("{message} To save it anyway as not verified, tick \"Save even if the provider cannot be reached\"."),
            ),
            KeyError::Store(error) => store(error),
            KeyError::Sealing(error) => keyring_error(error),
        };
        let status = matches!(error, ApiError::Refused { .. }).then_some(StatusCode::FORBIDDEN);
        answer(error, status)
    }
}

fn account_error(error: AccountError) -> ApiError {
    match error {
        AccountError::Invalid(problems) => (&problems).into(),
        AccountError::AlreadySetUp | AccountError::WrongCredentials => {
            ApiError::refused(error.to_string())
        }
        AccountError::Refused(message) => ApiError::refused(message),
        AccountError::Forbidden => ApiError::Forbidden,
        AccountError::NotFound => ApiError::NotFound,
        AccountError::Store(error) => store(error),
    }
}

/// For server functions: the viewer of the current request, if signed in. A page request's viewer
/// is the one its guard looked up.
pub async fn current_viewer() -> Result<Option<Viewer>, ApiError> {
    let state = leptos::prelude::expect_context::<AppState>();
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else {
        return Ok(None);
    };
    if let Some(GuardedViewer(viewer)) = parts.extensions.get() {
        return Ok(viewer.clone());
    }
    Ok(viewer(&state, &parts.headers).await?)
}

/// For server functions: the viewer of the current request, or `Unauthorized`; refused while they
/// must still choose their own password.
pub async fn require_viewer() -> Result<Viewer, ApiError> {
    let viewer = require_viewer_choosing_password().await?;
    if viewer.must_change_password {
        return Err(answer(
            ApiError::refused(
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

/// For server functions that check a password: counts the attempt, or answers 429 with how long
/// to wait.
pub async fn admit(limiter: &LoginLimiter, account: &str, address: &str) -> Result<(), ApiError> {
    match limiter.reserve(account, address).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(wait)) => Err(answer(
            ApiError::refused(wait_message(wait)),
            Some(StatusCode::TOO_MANY_REQUESTS),
        )),
        Err(error) => Err(answer(internal(error), None)),
    }
}

/// For server functions: the password was right, so its attempt is given back.
pub async fn release(limiter: &LoginLimiter, account: &str, address: &str) -> Result<(), ApiError> {
    limiter
        .release(account, address)
        .await
        .map_err(|error| answer(internal(error), None))
}
