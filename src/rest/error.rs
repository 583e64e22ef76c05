//! REST errors: `{"error": {"code", "message"}}` with the right status (SPEC.md §7).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::accounts::AccountError;
use crate::domain::accounts::TokenScope;
use crate::keys::keyring::KeyringError;
use crate::keys::KeyError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct RestError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field the error is about, when it is about one.
    pub field: Option<&'static str>,
    /// Headers the answer carries besides the JSON (e.g. `retry-after`).
    pub headers: Vec<(&'static str, String)>,
}

impl RestError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> RestError {
        RestError {
            status,
            code,
            message: message.into(),
            field: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> RestError {
        self.headers.push((name, value));
        self
    }

    pub fn missing_token() -> RestError {
        RestError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send an API token in the header `Authorization: Bearer kh_…`. Admins create tokens in \
             Settings → API tokens.",
        )
    }

    pub fn invalid_token() -> RestError {
        RestError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "This API token is not valid: it is unknown, revoked or expired. Ask an admin for a new \
             one (Settings → API tokens).",
        )
    }

    pub fn missing_scope(scope: TokenScope) -> RestError {
        RestError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!(
                "This token lacks the `{}` scope. Create a token with it.",
                scope.as_str()
            ),
        )
    }

    pub fn not_found() -> RestError {
        RestError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Nothing here: check the path and the id.",
        )
    }

    /// Logs the full error once; the caller gets a reference to quote.
    pub fn internal(error: impl std::fmt::Display) -> RestError {
        let reference = crate::store::new_id();
        tracing::error!(%reference, %error, "API request failed");
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("Something went wrong on the server (reference {reference})."),
        )
    }
    /// A database error: 503 with what to do when it is an outage that passes, else internal.
    pub fn store(error: StoreError) -> RestError {
        match error.outage() {
            Some(outage) => {
                tracing::warn!(%error, "API request met a database outage");
                RestError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    outage.code(),
                    outage.message(),
                )
                .with_header("retry-after", outage.retry_after().to_string())
            }
            None => RestError::internal(error),
        }
    }
}

impl From<KeyringError> for RestError {
    fn from(error: KeyringError) -> Self {
        match error {
            KeyringError::Store(error) => RestError::store(error),
            KeyringError::NotFound => RestError::not_found(),
            other => RestError::internal(other),
        }
    }
}

impl From<AccountError> for RestError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::NotFound => RestError::not_found(),
            AccountError::Forbidden => RestError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This token may not do that.",
            ),
            AccountError::Invalid(problems) => RestError {
                field: Some(problems.first().field),
                ..RestError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    problems.by_field(),
                )
            },
            AccountError::Refused(message) => {
                RestError::new(StatusCode::CONFLICT, "conflict", message)
            }
            other @ (AccountError::AlreadySetUp | AccountError::WrongCredentials) => {
                RestError::new(StatusCode::CONFLICT, "conflict", other.to_string())
            }
            AccountError::Store(error) => RestError::store(error),
        }
    }
}

impl From<KeyError> for RestError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::NotFound => RestError::not_found(),
            KeyError::Forbidden(message) => {
                RestError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            KeyError::MissingScope(scope) => RestError::missing_scope(scope),
            KeyError::Invalid(problems) => RestError {
                field: Some(problems.first().field),
                ..RestError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    problems.by_field(),
                )
            },
            KeyError::Rejected(message) => RestError {
                field: Some("api_key"),
                ..RestError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "key_rejected",
                    format!("Key validation failed: {message}"),
                )
            },
            KeyError::Unreachable(message) => RestError {
                field: Some("api_key"),
                ..RestError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "provider_unreachable",
                    format!("{message} Send `allow_unverified: true` to save it as unverified."),
                )
            },
            KeyError::Store(error) => RestError::store(error),
            KeyError::Sealing(error) => error.into(),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        let body = Json(json!({ "error": error }));
        let mut response = (self.status, body).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"keyhub\""),
            );
        }
        response
    }
}
