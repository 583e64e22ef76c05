//! Account vocabulary shared by the server and the browser.

use serde::{Deserialize, Serialize};

crate::text_enum!(
    /// A member's role in one organization (SPEC.md §2).
    OrgRole { Owner = "owner", Admin = "admin", Member = "member" }
);

impl OrgRole {
    /// Owners and admins guard the org's keys, members, tokens and policy.
    pub fn is_admin(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgRole::Owner => "Owner",
            OrgRole::Admin => "Admin",
            OrgRole::Member => "Member",
        }
    }
}

crate::text_enum!(
    /// What an API token may do, in the one org it belongs to (SPEC.md §7).
    TokenScope {
        KeysRead = "keys:read",
        KeysWrite = "keys:write",
        KeysUse = "keys:use",
        Gateway = "gateway",
    }
);

impl TokenScope {
    /// What the scope allows, in words for the admin choosing it.
    pub fn description(self) -> &'static str {
        match self {
            TokenScope::KeysRead => "List keys and their health (masked).",
            TokenScope::KeysWrite => "Add, edit, rotate, enable, disable and delete keys.",
            TokenScope::KeysUse => {
                "Resolve keys, including the secret itself when asked (audited)."
            }
            TokenScope::Gateway => "Call providers through the KeyHub gateway.",
        }
    }

    /// The form field that carries this scope's checkbox.
    pub fn field(self) -> &'static str {
        match self {
            TokenScope::KeysRead => "keys_read",
            TokenScope::KeysWrite => "keys_write",
            TokenScope::KeysUse => "keys_use",
            TokenScope::Gateway => "gateway",
        }
    }
}

/// A token name: 1–80 characters, no control characters.
pub fn parse_token_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        Err("Name the token in up to 80 characters, e.g. the service that uses it.")
    } else {
        Ok(name.to_owned())
    }
}

/// The lifetimes offered for a new token, in days; `None` never expires.
pub const TOKEN_LIFETIMES: &[(Option<u32>, &str)] = &[
    (Some(30), "30 days"),
    (Some(90), "90 days"),
    (Some(365), "1 year"),
    (None, "Never"),
];

/// The longest and shortest passwords accepted (ASVS 6.2.1 / 6.2.9: long passphrases are welcome).
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Why a new password is refused, in words for the person typing it.
pub fn password_problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    if length < PASSWORD_MIN_CHARS {
        Some(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters; a short sentence works well."
        ))
    } else if length > PASSWORD_MAX_CHARS {
        Some(format!("Use at most {PASSWORD_MAX_CHARS} characters."))
    } else if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        Some("Use more than one repeated character.".to_owned())
    } else {
        None
    }
}

/// Normalized email, or why it is not one.
pub fn parse_email(email: &str) -> Result<String, &'static str> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err("Enter an email address like name@example.com.")
    }
}

/// The slug an organization's name suggests: "Acme Labs, Inc." → "acme-labs-inc" (ASCII letters
/// and digits kept, everything else one dash, at most 64 characters).
pub fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(64);
    slug.trim_end_matches('-').to_owned()
}

/// An organization slug: lowercase letters, digits and dashes, 2–64 characters.
pub fn parse_slug(slug: &str) -> Result<String, &'static str> {
    let slug = slug.trim().to_lowercase();
    let valid = (2..=64).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if valid {
        Ok(slug)
    } else {
        Err("Use 2–64 lowercase letters, digits and dashes, e.g. acme-labs.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_variety() {
        assert!(password_problem("short").is_some());
        assert!(password_problem(&"a".repeat(20)).is_some());
        assert!(password_problem(&"x".repeat(300)).is_some());
        assert!(password_problem("correct horse battery").is_none());
    }

    #[test]
    fn emails_and_slugs_are_normalized_or_refused() {
        assert_eq!(
            parse_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_slug(" Acme-Labs ").unwrap(), "acme-labs");
        assert_eq!(slug_from_name("  Acme Labs, Inc. "), "acme-labs-inc");
        assert_eq!(slug_from_name("Café Über 9"), "caf-ber-9");
        assert!(parse_slug(&slug_from_name(&"Long name ".repeat(20))).is_ok());
        for bad in ["a", "-acme", "acme-", "acme labs", "ácme", &"a".repeat(65)] {
            assert!(parse_slug(bad).is_err(), "{bad}");
        }
    }
}
