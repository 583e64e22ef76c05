use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::web::state::AppState;

/// `GET /healthz`: 200 when the database answers and the vault opens its canary, 503 otherwise.
/// The body says which part failed, never why in detail (no internals to anonymous callers).
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let (database, opens) = state.keys().vault_health().await;
    let (status, body) = match opens {
        Ok(true) => (
            StatusCode::OK,
            json!({ "status": "ok", "database": database }),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "sealed", "database": database }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check: database did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "database_unavailable", "database": database }),
            )
        }
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body))
}
