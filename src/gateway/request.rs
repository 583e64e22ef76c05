//! What of the caller's request travels on, and what of the provider's answer comes back.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, Method};

use crate::vault::SecretString;

/// The caller's request as it will be replayed on each key.
pub struct Incoming {
    pub method: Method,
    /// After `/gateway/{org}/{provider}/`.
    pub path: InsidePath,
    /// The raw query, KeyHub's token still in it (removed when the URL is built).
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Headers that carry a key to some provider: the caller's token arrives in one of them, and none
/// of them travels on.
const KEY_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "api-key",
    "xi-api-key",
    "ocp-apim-subscription-key",
];

/// Caller headers that travel to every provider: content negotiation, idempotency and tracing.
/// Everything else is dropped, so a caller cannot make a provider refuse a good key (for example
/// with an `OpenAI-Organization` the key does not belong to) and have KeyHub blame the key.
const FORWARDED_TO_ALL: &[&str] = &[
    "accept",
    "accept-language",
    "content-type",
    "content-encoding",
    "user-agent",
    "idempotency-key",
    "traceparent",
    "tracestate",
    "x-request-id",
    "x-client-request-id",
];

/// The version and feature headers each provider family's SDK sends.
fn forwarded_for_family(family: &str) -> &'static [&'static str] {
    match family {
        "anthropic" => &["anthropic-version", "anthropic-beta"],
        "openai" | "azure-openai" => &["openai-beta"],
        "openrouter" => &["http-referer", "x-title"],
        "cohere" => &["x-client-name"],
        "stability" => &[
            "stability-client-id",
            "stability-client-user-id",
            "stability-client-version",
        ],
        _ => &[],
    }
}

/// A query string's pairs, decoded.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://query.invalid/?{query}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// KeyHub's token as the caller sent it: in the header its provider's SDK uses (Bearer or plain),
/// or as a `key` query parameter (Gemini style).
pub fn presented_token(headers: &HeaderMap, query: &str) -> Option<SecretString> {
    let from_header = KEY_HEADERS.iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        let value = value.strip_prefix("Bearer ").unwrap_or(value).trim();
        value.starts_with("kh_").then(|| SecretString::new(value))
    });
    from_header.or_else(|| {
        query_pairs(query)
            .into_iter()
            .find(|(name, value)| name == "key" && value.starts_with("kh_"))
            .map(|(_, value)| SecretString::new(value))
    })
}

/// The caller's headers that travel on to a provider of `family`: only those on the allow-lists.
pub fn forwarded_headers(incoming: &HeaderMap, family: &str) -> HeaderMap {
    let for_family = forwarded_for_family(family);
    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        let name_text = name.as_str();
        if FORWARDED_TO_ALL.contains(&name_text) || for_family.contains(&name_text) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers
}

/// Provider headers that never come back: the connection's own, and every header that would let
/// an answer act as a KeyHub page (navigate, set or clear cookies, relax KeyHub's policies).
fn never_returned(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "trailer"
            | "upgrade"
            | "location"
            | "refresh"
            | "set-cookie"
            | "set-cookie2"
            | "clear-site-data"
            | "link"
            | "service-worker-allowed"
            | "www-authenticate"
            | "proxy-authenticate"
            | "alt-svc"
            | "strict-transport-security"
            | "x-frame-options"
            | "x-xss-protection"
            | "permissions-policy"
            | "origin-agent-cluster"
            | "timing-allow-origin"
    ) || name.starts_with("content-security-policy")
        || name.starts_with("access-control-")
        || name.starts_with("cross-origin-")
        || name.starts_with("x-keyhub-")
}

/// The security headers of every gateway answer, whoever wrote it: it can never run script, be
/// sniffed into something executable, or be read by another origin's page.
pub const GATEWAY_SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", "sandbox; default-src 'none'"),
    ("x-content-type-options", "nosniff"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// The provider's headers that come back: neither the connection's own, nor any that could act
/// on KeyHub's origin, nor any whose value holds the key.
pub fn response_headers(upstream: &reqwest::header::HeaderMap, secret: &SecretString) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in upstream {
        if never_returned(name.as_str())
            || crate::upstream::redact::holds_secret(value.as_bytes(), secret.expose())
        {
            continue;
        }
        if let Ok(name) = HeaderName::from_bytes(name.as_ref()) {
            headers.append(name, value.clone());
        }
    }
    headers
}

/// Whether a caller's path (as routed, percent-decoded once) stays under the base it is appended
/// to, whatever the URL parser would make of it: no control or space characters (the parser drops
/// tabs and newlines, so `.%09.` would become `..`), no backslash, `?` or `#`, no empty segment,
/// and no segment the parser would treat as `.` or `..` (also percent-encoded).
fn path_stays_inside(path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    if path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '?' | '#'))
    {
        return false;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    if segments
        .iter()
        .enumerate()
        .any(|(i, segment)| segment.is_empty() && i != last)
    {
        return false;
    }
    // Whatever else the parser normalizes shows as a changed number of segments.
    reqwest::Url::parse(&format!("http://gateway.invalid/base/{path}"))
        .ok()
        .and_then(|url| url.path_segments().map(|parsed| parsed.count()))
        == Some(segments.len() + 1)
}

/// A caller's path that stays under any base it is appended to (see [`path_stays_inside`]):
/// checked once, when the request arrives, and only then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsidePath(String);

impl InsidePath {
    pub fn checked(path: &str) -> Option<InsidePath> {
        path_stays_inside(path).then(|| InsidePath(path.to_owned()))
    }
}

/// The provider URL for `path` under the key's base: the base's host, always. `None` when the
/// result is not under the base.
pub fn upstream_url(base: &str, path: &InsidePath, query: &str) -> Option<reqwest::Url> {
    let mut url = reqwest::Url::parse(base).ok()?;
    if url.cannot_be_a_base() {
        return None;
    }
    // Only the path changes, so the scheme, host and port stay the base's.
    let base_path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!(
        "{base_path}/{}",
        path.0.as_str().trim_start_matches('/')
    ));
    if !url.path().starts_with(&base_path) {
        return None;
    }
    url.set_query(None);
    if !query.is_empty() {
        let kept: Vec<(String, String)> = query_pairs(query)
            .into_iter()
            .filter(|(name, _)| name != "key")
            .collect();
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_stays_under_the_base_and_drops_the_key_parameter() {
        let inside = |path: &str| InsidePath::checked(path).unwrap();
        let url = upstream_url(
            "https://api.openai.com/v1",
            &inside("chat/completions"),
            "a=1&key=kh_x&b=2",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.openai.com/v1/chat/completions?a=1&b=2"
        );
        for path in [
            "../admin",
            "a/../../x",
            "a//b",
            "%2e%2e/x",
            "a/%2E./x",
            "a/./b",
            "x/.\t./.\t./y",
            "x/.\n./y",
            "a\\..\\b",
            "/etc",
            "models?x=1",
            "models#f",
            "a/ /b",
        ] {
            assert_eq!(InsidePath::checked(path), None, "{path}");
        }
        for path in [
            "chat/completions",
            "models/",
            "v1beta/models/gemini:generate",
            "",
        ] {
            assert!(InsidePath::checked(path).is_some(), "{path}");
        }
        let at = upstream_url("https://api.openai.com/v1", &inside("@evil.example/x"), "").unwrap();
        assert_eq!(at.host_str(), Some("api.openai.com"));
    }

    #[test]
    fn the_token_is_found_where_sdks_put_keys_and_never_forwarded() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "kh_fromAnthropicSdk".parse().unwrap());
        headers.insert("anthropic-version", "2023-06-01".parse().unwrap());
        headers.insert("host", "evil.example".parse().unwrap());
        headers.insert("x-keyhub-consumer", "expert:1".parse().unwrap());
        assert_eq!(
            presented_token(&headers, "").unwrap().expose(),
            "kh_fromAnthropicSdk"
        );
        headers.insert("openai-organization", "org-not-the-keys".parse().unwrap());
        headers.insert("cookie", "keyhub_session=s".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        let forwarded = forwarded_headers(&headers, "anthropic");
        assert_eq!(forwarded.len(), 2);
        assert!(forwarded.contains_key("anthropic-version"));
        assert!(forwarded.contains_key("content-type"));
        let to_openai = forwarded_headers(&headers, "openai");
        assert!(!to_openai.contains_key("anthropic-version"));
        assert!(!to_openai.contains_key("openai-organization"));
        assert_eq!(
            presented_token(&HeaderMap::new(), "key=kh_q&x=1")
                .unwrap()
                .expose(),
            "kh_q"
        );
        assert!(presented_token(&HeaderMap::new(), "key=AIzaNotOurs").is_none());
    }

    #[test]
    fn answers_keep_no_header_that_acts_on_keyhubs_origin_or_holds_the_key() {
        let secret = SecretString::new("sk-proj-theRealKey1234567890");
        let mut upstream = reqwest::header::HeaderMap::new();
        for (name, value) in [
            ("content-type", "text/html"),
            ("x-ratelimit-remaining-requests", "99"),
            ("location", "/api/keys/delete"),
            ("refresh", "0;url=/settings"),
            ("set-cookie", "keyhub_session=evil"),
            ("content-security-policy", "script-src 'unsafe-inline'"),
            ("content-security-policy-report-only", "default-src *"),
            ("access-control-allow-origin", "*"),
            ("clear-site-data", "\"cookies\""),
            ("x-keyhub-key-id", "forged"),
            ("x-echo", "Bearer sk-proj-theRealKey1234567890"),
        ] {
            upstream.append(name, value.parse().unwrap());
        }
        let kept = response_headers(&upstream, &secret);
        let names: Vec<&str> = kept.keys().map(|name| name.as_str()).collect();
        assert_eq!(names, ["content-type", "x-ratelimit-remaining-requests"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { timeout: 10_000, ..Default::default() })]

        /// Whatever path and query a caller sends, a URL is built only under the key's base, on
        /// its host, and never carries the caller's `key` parameter on.
        #[test]
        fn no_path_or_query_leaves_the_base(
            path in "([a-z]{1,3}|\\.{1,3}|%2[eEfF]|%5[cC]|%00|[/\\\\@:;?#%\t ]|\\p{Any}){0,12}",
            query in "((key|a)(=[a-z_%&]{0,6})?&?){0,3}",
            base in proptest::sample::select(vec![
                "https://api.openai.com/v1",
                "https://api.openai.com/v1/",
                "http://127.0.0.1:8080/openai/deployments/x",
                "https://host.example",
            ]),
        ) {
            let Some(inside) = InsidePath::checked(&path) else { return Ok(()) };
            let Some(url) = upstream_url(base, &inside, &query) else { return Ok(()) };
            let base = reqwest::Url::parse(base).unwrap();
            proptest::prop_assert_eq!(url.scheme(), base.scheme());
            proptest::prop_assert_eq!(url.host_str(), base.host_str());
            proptest::prop_assert_eq!(url.port(), base.port());
            let under = format!("{}/", base.path().trim_end_matches('/'));
            proptest::prop_assert!(url.path().starts_with(&under), "{} under {}", url, under);
            proptest::prop_assert!(url.query_pairs().all(|(name, _)| name != "key"), "{}", url);
        }
    }
}
