//! What of the caller's request travels on, and what of the provider's answer comes back.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, Method};

use crate::vault::SecretString;

/// The caller's request as it will be replayed on each key.
pub struct Incoming {
    pub method: Method,
    /// After `/gateway/{org}/{provider}/`.
    pub path: String,
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

/// Hop-by-hop headers, and what belongs to the connection to KeyHub rather than to the provider.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "cookie",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "origin",
    "referer",
];

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

/// The caller's headers that travel on: no key header, no hop-by-hop header, nothing of KeyHub's.
pub fn forwarded_headers(incoming: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        let lower = name.as_str();
        if KEY_HEADERS.contains(&lower)
            || NOT_FORWARDED.contains(&lower)
            || lower.starts_with("x-keyhub-")
            || lower.starts_with("sec-")
        {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    headers
}

/// The provider's headers that come back: all but the connection's own.
pub fn response_headers(upstream: &reqwest::header::HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in upstream {
        let lower = name.as_str();
        if matches!(
            lower,
            "connection"
                | "keep-alive"
                | "transfer-encoding"
                | "trailer"
                | "upgrade"
                | "set-cookie"
        ) {
            continue;
        }
        if let Ok(name) = HeaderName::from_bytes(name.as_ref()) {
            headers.append(name, value.clone());
        }
    }
    headers
}

/// Whether a path stays under the base it is appended to: no `..` or `.` segments (also encoded),
/// no empty segments, no backslashes.
pub fn path_stays_inside(path: &str) -> bool {
    let encoded_dot = path.contains('%') && path.to_ascii_lowercase().contains("%2e");
    !(encoded_dot
        || path.contains("//")
        || path
            .split('/')
            .any(|segment| segment == ".." || segment == "." || segment.contains('\\')))
}

/// The provider URL for `path` under the key's base: the base's host, always. `None` when the path
/// would leave the base or the result is not under it.
pub fn upstream_url(base: &str, path: &str, query: &str) -> Option<reqwest::Url> {
    if !path_stays_inside(path) {
        return None;
    }
    let base = base.trim_end_matches('/');
    let mut url = reqwest::Url::parse(&format!("{base}/{}", path.trim_start_matches('/'))).ok()?;
    let expected = reqwest::Url::parse(base).ok()?;
    if url.host_str() != expected.host_str()
        || url.port_or_known_default() != expected.port_or_known_default()
        || url.scheme() != expected.scheme()
        || !url
            .path()
            .starts_with(expected.path().trim_end_matches('/'))
    {
        return None;
    }
    let kept: Vec<(String, String)> = query_pairs(query)
        .into_iter()
        .filter(|(name, _)| name != "key")
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_stays_under_the_base_and_drops_the_key_parameter() {
        let url = upstream_url(
            "https://api.openai.com/v1",
            "chat/completions",
            "a=1&key=kh_x&b=2",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.openai.com/v1/chat/completions?a=1&b=2"
        );
        for path in ["../admin", "a/../../x", "a//b", "%2e%2e/x", "a/./b"] {
            assert_eq!(
                upstream_url("https://api.openai.com/v1", path, ""),
                None,
                "{path}"
            );
        }
        let at = upstream_url("https://api.openai.com/v1", "@evil.example/x", "").unwrap();
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
        let forwarded = forwarded_headers(&headers);
        assert_eq!(forwarded.len(), 1);
        assert!(forwarded.contains_key("anthropic-version"));
        assert_eq!(
            presented_token(&HeaderMap::new(), "key=kh_q&x=1")
                .unwrap()
                .expose(),
            "kh_q"
        );
        assert!(presented_token(&HeaderMap::new(), "key=AIzaNotOurs").is_none());
    }
}
