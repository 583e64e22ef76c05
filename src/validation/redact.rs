//! Provider error bodies often echo part of the key ("Incorrect API key provided: sk-…abcd"). Before a
//! provider's words are stored or shown, the key and anything that looks like a key are removed.

/// Known key prefixes of every provider family, and generic long tokens, become `[redacted]`.
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "gsk_",
    "xai-",
    "pplx-",
    "tgp_v1_",
    "fw_",
    "AIza",
    "ya29.",
    "ABSK",
    "AKIA",
    "ASIA",
    "bedrock-api-key-",
    "xa*",
];

/// The provider's message, safe to store and show: no key, no key-like token, one line, short.
pub fn redact(message: &str, secret: &str) -> String {
    let mut text: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let secret = secret.trim();
    if secret.len() >= 4 {
        text = text.replace(secret, "[redacted]");
        // Partial echoes: any 8-character piece of the key.
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(8) {
            let piece: String = window.iter().collect();
            if text.contains(&piece) {
                text = text.replace(&piece, "[redacted]");
            }
        }
    }
    let words: Vec<String> = text.split(' ').map(redact_word).collect();
    let mut text = words.join(" ");
    if text.chars().count() > 300 {
        text = text.chars().take(299).collect::<String>() + "…";
    }
    text
}

/// One whitespace-separated word: a key-like token becomes `[redacted]`, keeping punctuation around.
fn redact_word(word: &str) -> String {
    let core = word.trim_matches(|c: char| "\"'`,.;:()[]{}<>".contains(c));
    if core.is_empty() || core == "[redacted]" {
        return word.to_owned();
    }
    let prefixed = KEY_PREFIXES
        .iter()
        .any(|p| core.starts_with(p) && core.len() > p.len() + 2);
    let token_chars = core
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.*…".contains(c));
    let long_token = core.len() >= 24 && token_chars && core.chars().any(|c| c.is_ascii_digit());
    if prefixed || long_token || core.contains("****") || core.contains("...") && core.len() > 6 {
        word.replace(core, "[redacted]")
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn keys_and_key_like_tokens_are_removed() {
        let key = "sk-proj-abcdefghijklmnop1234567890";
        for (body, must_not) in [
            (
                "Incorrect API key provided: sk-proj-abcd****7890. You can find your key…",
                "abcd",
            ),
            (
                "Authentication Fails, Your api key: ****7890 is invalid",
                "7890",
            ),
            (
                "Incorrect API key provided: xa***ys. You can obtain an API key",
                "xa***ys",
            ),
            (
                "bad key sk-proj-abcdefghijklmnop1234567890 here",
                "ijklmnop",
            ),
            (
                "token AIzaSyD-1234567890abcdefghijklmnopqrs rejected",
                "AIzaSy",
            ),
            ("echo of a piece: ghijklmnop12", "ghijklmn"),
        ] {
            let safe = redact(body, key);
            assert!(!safe.contains(must_not), "{body} → {safe}");
            assert!(safe.contains("[redacted]"), "{body} → {safe}");
        }
        assert_eq!(redact("Rate limit exceeded", key), "Rate limit exceeded");
        assert_eq!(redact("line\nbreak", key), "line break");
        assert!(redact(&"word ".repeat(100), key).chars().count() <= 300);
    }
}
