//! Key vocabulary shared by the server and the browser: scope, role and health status.

use serde::{Deserialize, Serialize};

/// Reads a type from a text column through sqlx's `Any` driver (server only): `$parse` turns the
/// column's text into the value, or into the decode error.
#[macro_export]
macro_rules! text_column {
    ($name:ty, $parse:expr) => {
        #[cfg(feature = "ssr")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
                let parse: fn(String) -> Result<$name, sqlx::error::BoxDynError> = $parse;
                parse(text)
            }
        }
    };
}

#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<$name> {
                match value { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        // Read from its text column; an unknown text is a decode error, never a guess.
        $crate::text_column!($name, |text: String| {
            $name::parse(&text).ok_or_else(|| {
                format!(concat!("unexpected ", stringify!($name), " {:?}"), text).into()
            })
        });
    };
}

text_enum!(
    /// Whose key it is: the organization's, or one member's personal key.
    Scope { Org = "org", Personal = "personal" }
);

text_enum!(
    /// A key's place in resolution: the primary of its family, a ranked fallback, or neither.
    Role { Primary = "primary", Fallback = "fallback", None = "none" }
);

text_enum!(
    /// What KeyHub last learned about a key from its provider (SPEC.md §4), or `NeedsReentry`:
    /// its secret was wiped when the master key was lost (never stored as a status, a live key
    /// without a secret reads so), and it waits for someone to paste it again.
    KeyStatus {
        Unverified = "unverified",
        Valid = "valid",
        ValidRestricted = "valid_restricted",
        Invalid = "invalid",
        Expired = "expired",
        NoCredits = "no_credits",
        RateLimited = "rate_limited",
        Forbidden = "forbidden",
        ProviderDown = "provider_down",
        NetworkError = "network_error",
        Unsupported = "unsupported",
        NeedsReentry = "needs_reentry",
    }
);

impl KeyStatus {
    /// The status in words, as badges and messages show it.
    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::Unverified => "Not verified yet",
            KeyStatus::Valid => "Valid",
            KeyStatus::ValidRestricted => "Valid, restricted",
            KeyStatus::Invalid => "Rejected by the provider",
            KeyStatus::Expired => "Expired",
            KeyStatus::NoCredits => "Out of credit",
            KeyStatus::RateLimited => "Rate-limited",
            KeyStatus::Forbidden => "Not allowed",
            KeyStatus::ProviderDown => "Provider down",
            KeyStatus::NetworkError => "Provider unreachable",
            KeyStatus::Unsupported => "Cannot be checked",
            KeyStatus::NeedsReentry => "Needs re-entry",
        }
    }

    /// The provider refused the key itself: it is not offered and not used until it validates
    /// again (how long other statuses rest a key is [`crate::keys::health`]'s to say).
    pub fn is_rejected(self) -> bool {
        matches!(
            self,
            KeyStatus::Invalid | KeyStatus::Expired | KeyStatus::Forbidden
        )
    }
}

/// How a key fared through the gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct KeyUsage {
    pub requests: i64,
    pub rate_limited: i64,
    pub no_credits: i64,
    pub rejected: i64,
    pub provider_failed: i64,
    pub unreachable: i64,
    pub last_used_at: Option<i64>,
    pub last_failure_at: Option<i64>,
    pub last_failure: Option<String>,
}

impl KeyUsage {
    pub fn failures(&self) -> i64 {
        self.rate_limited
            + self.no_credits
            + self.rejected
            + self.provider_failed
            + self.unreachable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_text() {
        for status in KeyStatus::ALL {
            assert_eq!(KeyStatus::parse(status.as_str()), Some(*status));
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Scope::parse("personal"), Some(Scope::Personal));
        assert_eq!(Scope::parse("team"), None);
    }
}
