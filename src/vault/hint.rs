use crate::domain::catalog::Provider;

/// The masked hint shown for a key (SPEC.md §4): the provider's known prefix (at most 7 characters
/// and never more than a third of the key), `...`, and the last 4 characters. Short keys reveal
/// proportionally less. Computed once when the key is written.
pub fn hint(provider: &Provider, secret: &str) -> String {
    let length = secret.chars().count();
    let prefix: String = provider
        .matching_prefix(secret)
        .map(|p| p.chars().take(7.min(length / 3)).collect())
        .unwrap_or_default();
    let tail_length = if length >= 16 { 4 } else { length / 4 };
    let tail: String = secret.chars().skip(length - tail_length).collect();
    format!("{prefix}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::provider;

    fn hint_for(id: &str, secret: &str) -> String {
        hint(provider(id).unwrap(), secret)
    }

    #[test]
    fn hints_follow_the_spec_examples() {
        let legacy_openai = format!("sk-{}7xQ2", "a".repeat(44));
        assert_eq!(hint_for("openai", &legacy_openai), "sk-...7xQ2");
        let anthropic = format!("sk-ant-api03-{}Q2aA", "b".repeat(91));
        assert_eq!(hint_for("anthropic", &anthropic), "sk-ant-...Q2aA");
        let project = format!("sk-proj-{}9fQ1", "c".repeat(120));
        assert_eq!(hint_for("openai", &project), "sk-proj...9fQ1");
    }

    #[test]
    fn unprefixed_keys_show_only_the_tail() {
        assert_eq!(
            hint_for("mistral", "0123456789abcdef0123456789abx9Kq"),
            "...x9Kq"
        );
    }

    #[test]
    fn short_keys_reveal_little() {
        // Prefix capped at a third of the key, tail at a quarter.
        assert_eq!(hint_for("openai", "sk-12345"), "sk...45");
        assert_eq!(hint_for("openai", "sk"), "...");
        assert_eq!(hint_for("custom", ""), "...");
    }

    #[test]
    fn the_hint_never_reveals_most_of_the_key() {
        for secret in [
            "sk-abcdefghijklmnop",
            "xai-0123456789abcdefghij",
            "gsk_0123456789",
        ] {
            for p in crate::domain::catalog::PROVIDERS {
                let shown = hint(p, secret).replace("...", "");
                assert!(
                    shown.len() * 2 <= secret.len(),
                    "{} shows {shown} of {secret}",
                    p.id
                );
            }
        }
    }
}
