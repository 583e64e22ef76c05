//! Primary and fallbacks (SPEC.md §4): how one change of a key's role rearranges its group. Pure, so
//! the rules are tested without a database; the store writes the result in one transaction.

use crate::store::change::Arrangement;

/// The role a key is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChange {
    /// The key becomes the primary; the old primary becomes the first fallback.
    Primary,
    /// The key becomes a fallback at `rank` (1 = first), or last when none is given.
    Fallback { rank: Option<usize> },
    /// The key keeps no role (it is still listed and can be chosen explicitly).
    None,
}

/// The group after giving `key_id` its new role. Ranks stay contiguous.
pub fn rearrange(before: &Arrangement, key_id: &str, change: RoleChange) -> Arrangement {
    let mut after = without(before, key_id);
    match change {
        RoleChange::Primary => {
            if let Some(old) = after.primary.replace(key_id.to_owned()) {
                after.fallbacks.insert(0, old);
            }
        }
        RoleChange::Fallback { rank } => {
            let at = rank
                .map(|rank| rank.saturating_sub(1).min(after.fallbacks.len()))
                .unwrap_or(after.fallbacks.len());
            after.fallbacks.insert(at, key_id.to_owned());
        }
        RoleChange::None => {}
    }
    after
}

/// The group with `key_id` taken out of any role (as when it is deleted).
pub fn without(before: &Arrangement, key_id: &str) -> Arrangement {
    Arrangement {
        primary: before.primary.clone().filter(|id| id != key_id),
        fallbacks: before
            .fallbacks
            .iter()
            .filter(|id| *id != key_id)
            .cloned()
            .collect(),
        stored_ranks: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(primary: Option<&str>, fallbacks: &[&str]) -> Arrangement {
        Arrangement {
            primary: primary.map(str::to_owned),
            fallbacks: fallbacks.iter().map(|s| s.to_string()).collect(),
            ..Arrangement::default()
        }
    }

    #[test]
    fn a_new_primary_demotes_the_old_one_to_first_fallback() {
        let before = group(Some("a"), &["b", "c"]);
        assert_eq!(
            rearrange(&before, "c", RoleChange::Primary),
            group(Some("c"), &["a", "b"])
        );
        assert_eq!(
            rearrange(&before, "d", RoleChange::Primary),
            group(Some("d"), &["a", "b", "c"])
        );
        assert_eq!(
            rearrange(&group(None, &["b"]), "b", RoleChange::Primary),
            group(Some("b"), &[])
        );
    }

    #[test]
    fn fallbacks_move_and_stay_contiguous() {
        let before = group(Some("a"), &["b", "c", "d"]);
        assert_eq!(
            rearrange(&before, "d", RoleChange::Fallback { rank: Some(1) }),
            group(Some("a"), &["d", "b", "c"])
        );
        assert_eq!(
            rearrange(&before, "a", RoleChange::Fallback { rank: None }),
            group(None, &["b", "c", "d", "a"])
        );
        assert_eq!(
            rearrange(&before, "e", RoleChange::Fallback { rank: Some(99) }),
            group(Some("a"), &["b", "c", "d", "e"])
        );
        assert_eq!(
            rearrange(&before, "c", RoleChange::None),
            group(Some("a"), &["b", "d"])
        );
        assert_eq!(without(&before, "b"), group(Some("a"), &["c", "d"]));
    }
}
