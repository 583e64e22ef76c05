//! Provider error bodies often echo part of the key ("Incorrect API key provided: sk-…abcd"). Before a
//! provider's words are stored or shown, the key and anything that looks like a key are removed.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};

use crate::vault::SecretString;

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
    let mut text = collapse_runs(words);
    if text.chars().count() > 300 {
        text = text.chars().take(299).collect::<String>() + "…";
    }
    text
}

/// The words joined again, with a run of removed pieces told once: "[redacted]. [redacted]" and
/// "[redacted][redacted]" are one "[redacted]" (keeping the last one's punctuation).
fn collapse_runs(words: Vec<String>) -> String {
    let is_removed = |word: &str| {
        let core =
            word.trim_matches(|c: char| "\"'`,.;:()[]{}<>".contains(c) && c != '[' && c != ']');
        !core.is_empty() && core.replace("[redacted]", "").is_empty()
    };
    let mut kept: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let mut word = word;
        while word.contains("[redacted][redacted]") {
            word = word.replace("[redacted][redacted]", "[redacted]");
        }
        match kept.last_mut() {
            Some(last) if is_removed(last) && is_removed(&word) => *last = word,
            _ => kept.push(word),
        }
    }
    kept.join(" ")
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

/// Keys shorter than this are not searched for in answers (an empty or placeholder key would match
/// everywhere); every provider's real keys are far longer.
const MIN_SEARCHED: usize = 8;

/// Whether `bytes` hold the whole key.
pub fn holds_secret(bytes: &[u8], secret: &str) -> bool {
    secret.len() >= MIN_SEARCHED && memchr::memmem::find(bytes, secret.as_bytes()).is_some()
}

/// Removes every whole occurrence of the key from an answer passed on as it streams in, also one
/// split across chunks. Only a chunk's end that could begin the key is held back until the next
/// chunk, so server-sent events (which end in a line break) pass without delay.
pub fn redact_stream<S, E>(
    chunks: S,
    secret: SecretString,
) -> impl Stream<Item = Result<Bytes, E>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Send + 'static,
{
    let state = (Box::pin(chunks), Vec::new(), secret, false);
    futures_util::stream::unfold(state, |(mut chunks, mut held, secret, ended)| async move {
        if ended {
            return None;
        }
        let needle = secret.expose().as_bytes();
        match chunks.next().await {
            Some(Ok(chunk)) if needle.len() < MIN_SEARCHED => {
                Some((Ok(chunk), (chunks, held, secret, false)))
            }
            Some(Ok(chunk)) => {
                held.extend_from_slice(&chunk);
                let mut out = without(&held, needle);
                let keep = out.len() - may_begin(&out, needle);
                let next = out.split_off(keep);
                Some((Ok(Bytes::from(out)), (chunks, next, secret, false)))
            }
            Some(Err(error)) => Some((Err(error), (chunks, Vec::new(), secret, true))),
            None if held.is_empty() => None,
            None => Some((Ok(Bytes::from(held)), (chunks, Vec::new(), secret, true))),
        }
    })
}

/// `bytes` with every occurrence of `needle` replaced by `[redacted]`.
fn without(bytes: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"[redacted]");
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The length of the longest end of `bytes` that is a beginning of `needle`.
fn may_begin(bytes: &[u8], needle: &[u8]) -> usize {
    (1..needle.len().min(bytes.len() + 1))
        .rev()
        .find(|&n| bytes.ends_with(&needle[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_removed_pieces_is_told_once() {
        let key = "sk-proj-abcdefghijklmnop1234567890";
        let said = redact(
            &format!("Incorrect API key provided: {key}. {key} is not valid."),
            key,
        );
        assert_eq!(said, "Incorrect API key provided: [redacted] is not valid.");
        let echoed = redact("key abcdefghijklmnop rejected", key);
        assert_eq!(echoed, "key [redacted] rejected");
    }

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

    #[tokio::test]
    async fn a_streamed_answer_loses_the_key_even_split_across_chunks() {
        let key = "sk-proj-abcdefghijklmnop1234567890";
        let chunks = [
            "data: {\"echo\":\"sk-proj-abcdefgh",
            "ijklmnop1234567890\"}\n\n",
            "data: sk-proj-abcdefghijklmnop1234567890 again, s",
            "k-and more\n\n",
        ];
        let stream = futures_util::stream::iter(
            chunks.map(|c| Ok::<_, std::convert::Infallible>(Bytes::from(c))),
        );
        let parts: Vec<Bytes> = redact_stream(stream, SecretString::new(key))
            .map(|chunk| chunk.unwrap())
            .collect()
            .await;
        let whole: Vec<u8> = parts.iter().flat_map(|part| part.to_vec()).collect();
        assert_eq!(
            String::from_utf8(whole).unwrap(),
            "data: {\"echo\":\"[redacted]\"}\n\ndata: [redacted] again, sk-and more\n\n"
        );
        // An event that ends in a line break is passed on whole, at once.
        assert!(parts[1].ends_with(b"\n\n"));
        assert!(holds_secret(b"x sk-proj-abcdefghijklmnop1234567890", key));
        assert!(!holds_secret(b"anything", ""));
    }
}
