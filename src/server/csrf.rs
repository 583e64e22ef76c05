//! Cross-site request forgery defence (SPEC.md §9, ASVS 3.5): a state-changing request that is not
//! authenticated by a bearer token must come from KeyHub's own origin, shown by `Origin` or, where
//! a browser sends none, by `Sec-Fetch-Site`.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::web::state::AppState;

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request shows it was sent by a page of KeyHub's own origin.
fn same_origin(state: &AppState, request: &Request) -> bool {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return match state.settings().public_url.as_deref() {
            Some(public) => origin == public,
            None => {
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
                host.is_some_and(|host| {
                    origin == format!("http://{host}") || origin == format!("https://{host}")
                })
            }
        };
    }
    matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("same-origin" | "none")
    )
}

pub async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // The gateway takes its token in whichever header the provider's SDK uses; like the REST API
    // it never reads a cookie.
    let token_only = (request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "))
        || request.uri().path().starts_with("/gateway/"))
        && !request.headers().contains_key(header::COOKIE);
    if is_safe(request.method()) || token_only || same_origin(&state, &request) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-site request refused");
    (
        StatusCode::FORBIDDEN,
        Json(json!({ "error": {
            "code": "cross_site_request",
            "message": "This request did not come from a KeyHub page and was refused. Reload KeyHub and try again."
        }})),
    )
        .into_response()
}
