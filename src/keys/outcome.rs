//! What a change just did to a key, told back in words to the person who made it ("Deleted
//! 'Backup' (sk-proj...Wk02)."). The provider page carries only the kind of change and the key's id
//! in its address (`?done=deleted&key=…`), so the words always come from the stored key, never from
//! the address, and survive the redirect of a form sent without JavaScript.

use crate::domain::catalog::provider;
use crate::domain::keys::{KeyStatus, Role};
use crate::store::keys::KeyRecord;

use super::key_label;

/// The kinds of change a provider page confirms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Added,
    Enabled,
    Disabled,
    RoleChanged,
    Rotated,
    Edited,
    Validated,
    Deleted,
}

impl Done {
    const ALL: [Done; 8] = [
        Done::Added,
        Done::Enabled,
        Done::Disabled,
        Done::RoleChanged,
        Done::Rotated,
        Done::Edited,
        Done::Validated,
        Done::Deleted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Done::Added => "added",
            Done::Enabled => "enabled",
            Done::Disabled => "disabled",
            Done::RoleChanged => "role",
            Done::Rotated => "rotated",
            Done::Edited => "edited",
            Done::Validated => "validated",
            Done::Deleted => "deleted",
        }
    }

    pub fn parse(code: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|done| done.code() == code)
    }

    /// The provider page at `page` (a catalog id), confirming this change of `key_id`.
    pub fn page_url(self, page: &str, key_id: &str) -> String {
        format!("/hub/{page}?done={}&key={key_id}", self.code())
    }
}

/// "primary", "fallback 2", "no role".
fn role_words(key: &KeyRecord) -> String {
    match (key.role, key.fallback_rank) {
        (Role::Primary, _) => "primary".to_owned(),
        (Role::Fallback, Some(rank)) => format!("fallback {rank}"),
        _ => "no role".to_owned(),
    }
}

/// "verified with OpenAI", "not verified yet", "OpenAI says: rejected by the provider".
fn status_words(key: &KeyRecord) -> String {
    let provider = provider(&key.provider).map_or(key.provider.as_str(), |p| p.name);
    match key.status {
        KeyStatus::Valid => format!("verified with {provider}"),
        KeyStatus::ValidRestricted => format!("verified with {provider} (restricted)"),
        KeyStatus::Unverified => "not verified yet".to_owned(),
        KeyStatus::Unsupported => format!("{provider} keys cannot be checked"),
        KeyStatus::NeedsReentry => "its secret waits to be pasted again".to_owned(),
        other => format!("{provider} says: {}", other.label().to_lowercase()),
    }
}

/// The sentence confirming `done` on `key`, as the key is now.
pub fn sentence(done: Done, key: &KeyRecord) -> String {
    let label = key_label(key);
    match done {
        Done::Added => format!("Saved {label}, {}, {}.", status_words(key), role_words(key)),
        Done::Enabled => format!("Enabled {label}: it is used again as {}.", role_words(key)),
        Done::Disabled => {
            format!("Disabled {label}: experts and assistants move on to the next key.")
        }
        Done::RoleChanged if key.role == Role::Primary => {
            format!("{label} is now the primary: it is used first.")
        }
        Done::RoleChanged => format!("{label} is now {}.", role_words(key)),
        Done::Rotated => format!(
            "Rotated {label}: the new secret is in place, {}.",
            status_words(key)
        ),
        Done::Edited => format!("Saved the changes to {label}, {}.", status_words(key)),
        Done::Validated => format!("Checked {label}: {}.", status_words(key)),
        Done::Deleted => {
            format!("Deleted {label}. Its secret is wiped; the activity log keeps its hint.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_nothing_else_does() {
        for done in Done::ALL {
            assert_eq!(Done::parse(done.code()), Some(done));
        }
        assert_eq!(Done::parse("<script>"), None);
        assert_eq!(Done::parse(""), None);
    }
}
