//! JSON request bodies whose every rejection is a JSON error that never repeats the body (a body
//! may hold a key).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::RestError;

/// Like `axum::Json`, with errors in KeyHub's shape.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = RestError;

    async fn from_request(request: Request, state: &S) -> Result<Self, RestError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(explain(rejection)),
        }
    }
}

fn explain(rejection: JsonRejection) -> RestError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => RestError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with `Content-Type: application/json`.",
        ),
        JsonRejection::JsonSyntaxError(_) => RestError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The body is not valid JSON.",
        ),
        JsonRejection::JsonDataError(error) => RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!(
                "The body does not fit this request: {}.",
                field_problem(&error.body_text())
            ),
        ),
        JsonRejection::BytesRejection(_) => RestError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The body is too large or could not be read. Requests are limited to 64 KiB.",
        ),
        _ => RestError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The body could not be read as JSON.",
        ),
    }
}

/// What serde objected to, naming a field only when its name looks like one of ours (a body may
/// carry a key anywhere, even as a field name, and an answer never repeats it).
fn field_problem(detail: &str) -> String {
    for (start, words) in [
        ("unknown field `", "unknown field"),
        ("missing field `", "missing field"),
    ] {
        if let Some(at) = detail.find(start) {
            let name = detail[at + start.len()..]
                .split('`')
                .next()
                .unwrap_or_default();
            let plain =
                name.len() <= 40 && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            return if plain {
                format!("{words} `{name}`")
            } else {
                words.to_owned()
            };
        }
    }
    "a field has the wrong type; see /api/v1/openapi.json".to_owned()
}

#[cfg(test)]
mod tests {
    use super::field_problem;

    #[test]
    fn only_plain_field_names_are_repeated() {
        assert_eq!(
            field_problem("x: unknown field `colour`, expected one of"),
            "unknown field `colour`"
        );
        assert_eq!(
            field_problem("unknown field `sk-proj-SECRET`, expected"),
            "unknown field"
        );
        assert_eq!(
            field_problem("missing field `provider` at line 1"),
            "missing field `provider`"
        );
        assert!(
            !field_problem("invalid type: string \"sk-SECRET\", expected a boolean")
                .contains("SECRET")
        );
    }
}
