use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::problems::{FieldProblem, Problems};

/// What a server function tells the browser when it fails: safe to show, never internals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// Bad input: every problem, each shown next to its field. A form sent without JavaScript
    /// also gets back what was entered in it (never a secret), so it comes back filled in.
    #[error("{}", messages(problems))]
    Invalid {
        problems: Vec<FieldError>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        entered: Vec<(String, String)>,
    },
    /// A refusal with its reason in plain words (wrong password, too many attempts, …); like
    /// `Invalid`, it gives a form sent without JavaScript back what was entered.
    #[error("{message}")]
    Refused {
        message: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        entered: Vec<(String, String)>,
    },
    /// The database is out for a while (unreachable, or its disk full): what happened and what
    /// to do, in plain words.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on the server. If it happens again, tell your admin (reference {reference}).")]
    Internal { reference: String },
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

/// One field's problem, as the browser shows it next to the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn messages(problems: &[FieldError]) -> String {
    problems
        .iter()
        .map(|problem| problem.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<&Problems> for ApiError {
    fn from(problems: &Problems) -> Self {
        ApiError::Invalid {
            problems: problems
                .iter()
                .map(|problem| FieldError {
                    field: problem.field.to_owned(),
                    message: problem.message.clone(),
                })
                .collect(),
            entered: Vec::new(),
        }
    }
}

impl ApiError {
    pub fn refused(message: impl Into<String>) -> ApiError {
        ApiError::Refused {
            message: message.into(),
            entered: Vec::new(),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
        (&Problems::from(FieldProblem::new(field, message))).into()
    }

    /// The message for one form field, if this error concerns it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            ApiError::Invalid { problems, .. } => problems
                .iter()
                .find(|problem| problem.field == name)
                .map(|problem| problem.message.clone()),
            _ => None,
        }
    }

    /// What was entered in the form field `name`, when the form came back without JavaScript.
    pub fn entered(&self, name: &str) -> Option<String> {
        match self {
            ApiError::Invalid { entered, .. } | ApiError::Refused { entered, .. } => entered
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value.clone()),
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
