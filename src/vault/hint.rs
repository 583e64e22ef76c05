use crate::domain::catalog::{KeyAuth, Provider};

/// The masked hint shown for a key (SPEC.md §4): the provider's known prefix (at most 7 characters
/// and never more than a third of the key), `...`, and the last 4 characters. Short keys reveal
/// proportionally less. Computed once when the key is written.
pub fn hint(provider: &Provider, secret: &str) -> String {
    if provider.auth == KeyAuth::GoogleServiceAccount {
        return service_account_hint(secret);
    }
    let length = secret.chars().count();
    let prefix: String = provider
        .matching_prefix(secret)
        .map(|p| p.chars().take(7.min(length / 3)).collect())
        .unwrap_or_default();
    let tail_length = if length >= 16 { 4 } else { length / 4 };
    let tail: String = secret.chars().skip(length - tail_length).collect();
    format!("{prefix}...{tail}")
}

/// A service-account key is shown by its account (not secret) and the end of its key id.
fn service_account_hint(json: &str) -> String {
    let parsed: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let email = parsed["client_email"].as_str().unwrap_or("service account");
    let key_id = parsed["private_key_id"].as_str().unwrap_or_default();
    let tail: String = key_id
        .chars()
        .skip(key_id.chars().count().saturating_sub(4))
        .collect();
    format!("{email} ...{tail}")
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
            // Service-account keys are shown by their account, never by the key: tested below.
            for p in crate::domain::catalog::PROVIDERS
                .iter()
                .filter(|p| p.auth != KeyAuth::GoogleServiceAccount)
            {
                let shown = hint(p, secret).replace("...", "");
                assert!(
                    shown.len() * 2 <= secret.len(),
                    "{} shows {shown} of {secret}",
                    p.id
                );
            }
        }
    }

    #[test]
    fn service_accounts_are_shown_by_account_and_key_id() {
        let json = r#"{"type":"service_account","client_email":"kh@proj.iam.gserviceaccount.com","private_key_id":"0123456789abcdef9fQ1","private_key":"-----BEGIN PRIVATE KEY-----\nSECRETMATERIAL\n-----END PRIVATE KEY-----\n"}"#;
        let shown = hint_for("google-vertex", json);
        assert_eq!(shown, "kh@proj.iam.gserviceaccount.com ...9fQ1");
    }
}
