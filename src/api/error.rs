use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function tells the browser when it fails: safe to show, never internals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// Bad input, shown next to the field it concerns.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// A refusal with its reason in plain words (wrong password, too many attempts, …).
    #[error("{0}")]
    Refused(String),
    #[error("Something went wrong on the server. If it happens again, tell your admin (reference {reference}).")]
    Internal { reference: String },
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The message for one form field, if this error concerns it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            ApiError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// The message for the form as a whole, unless it belongs to a field.
    pub fn for_form(&self) -> Option<String> {
        match self {
            ApiError::Invalid { .. } => None,
            other => Some(other.to_string()),
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::Transport(value.to_string())
    }
}
