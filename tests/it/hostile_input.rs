//! Hostile input for the parsers that see untrusted bytes: pasted keys and service-account files,
//! provider answers and their `retry-after` values, answers streamed through the gateway, import
//! files. Whatever arrives: no panic, no hang (each case has a time limit), and no key in what
//! comes out. Property tests, 256 cases each here; the long run is
//! `PROPTEST_CASES=20000 cargo test --test it hostile_input`.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use keyhub::domain::catalog::PROVIDERS;
use keyhub::keys::input::clean_secret;
use keyhub::transfer::{open_file, read_header, TransferError};
use keyhub::upstream::redact::{redact, redact_stream};
use keyhub::upstream::retry::retry_after;
use keyhub::upstream::{classify, Answer};
use keyhub::vault::SecretString;
use proptest::prelude::*;

/// The clear start of an export file, as KeyHub writes it: what follows is age's.
const HEADER: &str = "KEYHUB-EXPORT 1\n{\"keyhub_version\":\"1\",\"exported_at\":\"2026-12-07T00:00:00Z\",\"with_accounts\":false,\"orgs\":[]}\n";

const SEVEN_DAYS: Duration = Duration::from_secs(7 * 86_400);

fn config() -> ProptestConfig {
    ProptestConfig {
        // A case that takes this long is a hang.
        timeout: 10_000,
        ..ProptestConfig::default()
    }
}

/// A key as providers issue them: letters, digits, `-`, `_` and `.`. (A key holding the word
/// "redacted" would find that word in every redacted text: no provider issues one.)
fn key() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{8,64}".prop_filter("says redacted", |key| !key.contains("redacted"))
}

/// A key and a text that echoes it, whole and in pieces of at least 8 characters, among other
/// words, JSON punctuation, line breaks and non-ASCII text.
fn key_and_echo() -> impl Strategy<Value = (String, String)> {
    key().prop_flat_map(|key| {
        let len = key.len();
        let piece = (0..=len - 8)
            .prop_flat_map(move |start| (Just(start), start + 8..=len))
            .prop_map({
                let key = key.clone();
                move |(start, end)| key[start..end].to_owned()
            });
        let other = prop_oneof![".{0,12}", "[ \"{}:,\n\t]{0,3}", "[a-z]{1,8}"];
        let text = prop::collection::vec(prop_oneof![piece, other], 0..12)
            .prop_map(|parts| parts.concat());
        (Just(key), text)
    })
}

/// Where the key shows in `text`: whole, or any 8 characters of it.
fn echo_of(key: &str, text: &str) -> Option<String> {
    let chars: Vec<char> = key.chars().collect();
    chars
        .windows(8)
        .map(|window| window.iter().collect::<String>())
        .find(|piece| text.contains(piece.as_str()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_redacted_message_holds_no_piece_of_the_key((key, text) in key_and_echo()) {
        let safe = redact(&text, &key);
        prop_assert_eq!(echo_of(&key, &safe), None, "{:?} → {:?}", text, safe);
        prop_assert!(safe.chars().count() <= 300);
    }

    #[test]
    fn a_provider_answer_never_brings_the_key_into_a_verdict(
        (key, text) in key_and_echo(),
        provider in 0..PROVIDERS.len(),
        http_status in 100u16..600,
        shape in 0..3,
    ) {
        let body = match shape {
            0 => text.clone(),
            1 => serde_json::json!({ "error": { "message": text, "code": text, "type": text } }).to_string(),
            _ => serde_json::json!([{ "error": { "message": text, "status": text, "details": [{ "reason": text }] } }]).to_string(),
        };
        let verdict = classify(
            &PROVIDERS[provider],
            &Answer { http_status, body: &body, retry_after: None },
            &key,
        );
        prop_assert_eq!(echo_of(&key, &verdict.message), None, "{}", verdict.message);
        prop_assert_eq!(echo_of(&key, &verdict.code), None, "{}", verdict.code);
    }

    #[test]
    fn a_streamed_answer_loses_every_whole_key_however_it_is_cut(
        (key, text) in key_and_echo(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let body = text.into_bytes();
        let mut at: Vec<usize> = cuts.iter().map(|cut| cut.index(body.len() + 1)).collect();
        at.extend([0, body.len()]);
        at.sort_unstable();
        at.dedup();
        let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = at
            .windows(2)
            .map(|pair| Ok(axum::body::Bytes::copy_from_slice(&body[pair[0]..pair[1]])))
            .collect();
        let passed: Vec<u8> = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(
                redact_stream(futures_util::stream::iter(chunks), SecretString::new(key.as_str()))
                    .map(|chunk| chunk.unwrap().to_vec())
                    .concat(),
            );
        let whole = String::from_utf8_lossy(&body).replace(key.as_str(), "[redacted]");
        prop_assert_eq!(String::from_utf8_lossy(&passed), whole);
    }

    #[test]
    fn a_pasted_key_is_never_repeated_in_its_refusal(
        provider in 0..PROVIDERS.len(),
        pasted in prop_oneof![
            ".{0,80}",
            "[A-Za-z0-9_.\\- \n\t\"{}:,]{0,200}",
            "\\{\"type\": ?\"service_account\",.{0,120}\\}",
        ],
        long in any::<bool>(),
    ) {
        let pasted = if long { pasted.repeat(5000 / pasted.len().max(1) + 1) } else { pasted };
        if let Err(problem) = clean_secret(&PROVIDERS[provider], &pasted) {
            let shown = pasted.trim();
            prop_assert!(shown.len() < 8 || !problem.message.contains(shown), "{}", problem.message);
        }
    }

    #[test]
    fn a_retry_after_is_never_longer_than_a_week(
        millis in prop::option::of(".{0,24}"),
        seconds in prop::option::of(prop_oneof![
            ".{0,24}",
            "[0-9.eE+-]{1,24}",
            (0u64..u64::from(u32::MAX)).prop_map(|secs| {
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
            }),
        ]),
        delay in "[0-9.eE+-]{1,24}",
    ) {
        let body = serde_json::json!({ "error": { "details": [{ "retryDelay": format!("{delay}s") }] } })
            .to_string();
        if let Some(wait) = retry_after(millis.as_deref(), seconds.as_deref(), &body, SystemTime::now()) {
            prop_assert!(wait <= SEVEN_DAYS, "{:?} {:?} {} → {:?}", millis, seconds, body, wait);
        }
    }

    #[test]
    fn an_import_file_of_any_bytes_is_refused_without_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        framed in any::<bool>(),
    ) {
        let file = if framed {
            [HEADER.as_bytes(), &bytes].concat()
        } else {
            bytes
        };
        let _ = read_header(&file);
        prop_assert!(open_file(&file, &SecretString::new("a long import passphrase")).is_err());
    }
}

/// A provider may say "come back in 8,000 years" with an HTTP date; the key would never be used
/// again. Found by the property above.
#[test]
fn a_retry_after_date_beyond_a_week_is_not_believed() {
    let now = SystemTime::now();
    let far = httpdate::fmt_http_date(now + Duration::from_secs(30 * 86_400));
    assert_eq!(retry_after(None, Some(&far), "", now), None);
    let soon = httpdate::fmt_http_date(now + Duration::from_secs(120));
    let wait = retry_after(None, Some(&soon), "", now).unwrap();
    assert!(wait > Duration::from_secs(110) && wait <= Duration::from_secs(120));
}

/// An import file whose passphrase stanza asks for an enormous scrypt work factor is refused at
/// once instead of tying up the server for hours.
#[test]
fn an_import_file_asking_for_endless_key_stretching_is_refused_quickly() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    let file = format!(
        "{HEADER}age-encryption.org/v1\n-> scrypt {} 40\n{}\n--- {}\n",
        b64(&[7; 16]),
        b64(&[9; 32]),
        b64(&[1; 32]),
    );
    let mut bytes = file.into_bytes();
    bytes.extend_from_slice(&[0; 64]);
    let started = std::time::Instant::now();
    let opened = open_file(&bytes, &SecretString::new("a long import passphrase"));
    assert!(matches!(
        opened,
        Err(TransferError::CannotOpen | TransferError::NotAnExport)
    ));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
