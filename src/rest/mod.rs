//! The REST API under `/api/v1` (SPEC.md §7): thin handlers over the same services the web UI
//! uses. Every handler takes [`ApiCaller`], so no route but the OpenAPI document answers without a
//! live token.

pub mod caller;
pub mod consumers;
pub mod error;
mod json;
pub mod keys;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::catalog::PROVIDERS;
use crate::rest::caller::ApiCaller;
use crate::web::state::AppState;
use error::RestError;

/// No request body needs more: a key is at most 4 KiB.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "KeyHub API", description = "Provider keys, masked. Authenticate with `Authorization: Bearer kh_…`; errors are `{\"error\": {\"code\", \"message\"}}`."),
    paths(providers, keys::list, keys::create, keys::get, keys::update, keys::activate,
        keys::deactivate, keys::validate, keys::delete, consumers::list_experts,
        consumers::create_expert, consumers::get_expert, consumers::update_expert,
        consumers::delete_expert, consumers::list_assistants, consumers::create_assistant,
        consumers::get_assistant, consumers::update_assistant, consumers::delete_assistant,
        consumers::resolve),
    modifiers(&BearerAuth, &SharedAnswers)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// What operations may answer besides their own statuses: every operation that takes a JSON body,
/// from the router's own layers (413, 415); every operation with a token, when the database is out
/// (503, [`crate::store::Outage`]).
struct SharedAnswers;

impl Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::ResponseBuilder;
        let body_answers = [
            (
                "413",
                format!("The body is larger than {} KiB.", BODY_LIMIT / 1024),
            ),
            (
                "415",
                "The body is not sent as `application/json`.".to_owned(),
            ),
        ];
        let outage = (
            "503",
            "The database is unreachable (`database_unavailable`) or its disk is full \
             (`storage_full`): nothing was changed; try again after `retry-after` seconds."
                .to_owned(),
        );
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let takes_body = operation.request_body.is_some();
                let needs_token = operation.security.is_some();
                let answers = body_answers
                    .iter()
                    .filter(|_| takes_body)
                    .chain(Some(&outage).filter(|_| needs_token));
                for (status, description) in answers {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description.as_str())
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

/// The `/api/v1` routes. Nothing they answer may be cached.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/providers", get(providers))
        .route(
            "/orgs/{org}/provider-keys",
            get(keys::list).post(keys::create),
        )
        .route(
            "/provider-keys/{id}",
            get(keys::get).patch(keys::update).delete(keys::delete),
        )
        .route("/provider-keys/{id}/activate", put(keys::activate))
        .route("/provider-keys/{id}/deactivate", put(keys::deactivate))
        .route("/provider-keys/{id}/validate", post(keys::validate))
        .route(
            "/orgs/{org}/experts",
            get(consumers::list_experts).post(consumers::create_expert),
        )
        .route(
            "/experts/{id}",
            get(consumers::get_expert)
                .patch(consumers::update_expert)
                .delete(consumers::delete_expert),
        )
        .route(
            "/orgs/{org}/assistants",
            get(consumers::list_assistants).post(consumers::create_assistant),
        )
        .route(
            "/assistants/{id}",
            get(consumers::get_assistant)
                .patch(consumers::update_assistant)
                .delete(consumers::delete_assistant),
        )
        .route("/orgs/{org}/resolve", post(consumers::resolve))
        .fallback(|| async { RestError::not_found() })
        .layer(axum::middleware::map_response(errors_as_json))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Rejections axum makes itself (a malformed path or query, a wrong method) answer in plain text,
/// which may quote the request; they become KeyHub's JSON errors, quoting nothing.
async fn errors_as_json(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This route does not take that method; see /api/v1/openapi.json.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Requests are limited to 64 KiB."),
        status if status.is_server_error() => ("internal", "Something went wrong on the server."),
        _ => (
            "bad_request",
            "The path or query does not fit this route; see /api/v1/openapi.json.",
        ),
    };
    RestError::new(status, code, message).into_response()
}

/// The provider catalog. Any live token may read it.
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers",
    responses((status = 200, description = "`{\"providers\": [...]}`: every provider KeyHub knows"), (status = 401)),
    security(("bearer" = [])))]
async fn providers(_caller: ApiCaller) -> Json<Value> {
    Json(json!({ "providers": PROVIDERS }))
}
