//! The REST API under `/api/v1` (SPEC.md §7): thin handlers over the same services the web UI
//! uses. Every handler takes [`ApiCaller`], so no route answers without a live token.

pub mod error;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::domain::catalog::PROVIDERS;
use crate::server::auth::ApiCaller;
use crate::server::state::AppState;
use error::RestError;

/// The `/api/v1` routes. Nothing they answer may be cached.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/providers", get(providers))
        .fallback(|| async { RestError::not_found() })
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// `GET /api/v1/providers`: the catalog. Any live token may read it.
async fn providers(_caller: ApiCaller) -> impl IntoResponse {
    Json(json!({ "providers": PROVIDERS }))
}
