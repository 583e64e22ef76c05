//! The page guard: first-run setup, signed-out visitors and passwords an admin chose.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::api::door::internal;
use crate::web::session::{viewer, GuardedViewer, CHOOSE_PASSWORD_PATH};
use crate::web::state::AppState;

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
pub async fn guard_pages(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
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
    let viewer = match viewer(&state, request.headers()).await {
        Ok(viewer) => viewer,
        Err(error) => {
            return (StatusCode::SERVICE_UNAVAILABLE, internal(error).to_string()).into_response()
        }
    };
    let must_change_password = viewer.as_ref().map(|viewer| viewer.must_change_password);
    request.extensions_mut().insert(GuardedViewer(viewer));
    let choosing = path == CHOOSE_PASSWORD_PATH;
    match (path.as_str(), must_change_password) {
        (_, Some(true)) if !choosing => Redirect::to(CHOOSE_PASSWORD_PATH).into_response(),
        ("/login", Some(_)) => Redirect::to("/hub").into_response(),
        (_, Some(false)) if choosing => Redirect::to("/hub").into_response(),
        ("/login", None) | (_, Some(_)) => next.run(request).await,
        (_, None) => Redirect::to("/login").into_response(),
    }
}
