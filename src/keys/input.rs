//! Input hygiene for keys (SPEC.md §4): what a pasted key, a nickname, a base URL and provider
//! options must look like. Each problem names the field it belongs to.

use serde_json::{Map, Value};

use crate::domain::catalog::{with_article, KeyAuth, Provider, PROVIDERS};
use crate::domain::problems::FieldProblem;
use crate::upstream::address::clean_base_url;
use crate::vault::SecretString;

pub const MAX_KEY_BYTES: usize = 4096;
pub const MAX_NICKNAME_CHARS: usize = 80;
const MAX_OPTION_CHARS: usize = 2048;

/// Trims a pasted key and refuses what cannot be a real key. The refusal never repeats the input.
pub fn clean_secret(provider: &Provider, raw: &str) -> Result<SecretString, FieldProblem> {
    let key = without_paste_wrapping(raw);
    if key.is_empty() {
        if provider.key_required {
            return Err(FieldProblem::new(
                "api_key",
                format!("Paste the API key from {}.", provider.name),
            ));
        }
        return Ok(SecretString::new(""));
    }
    if provider.auth == KeyAuth::GoogleServiceAccount {
        return service_account(key);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(FieldProblem::new(
            "api_key",
            "This is far longer than any API key (over 4 KiB). Paste only the key itself.",
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(FieldProblem::new(
            "api_key",
            "The key contains line breaks or other invisible characters. Copy it again from the \
             provider and paste only the key.",
        ));
    }
    if ["...", "…", "•••", "***", "●●●"]
        .iter()
        .any(|mask| key.contains(mask))
    {
        return Err(FieldProblem::new(
            "api_key",
            "This looks like a masked key (it contains dots or asterisks). Copy the full key from \
             the provider; it is shown in full only once, when it is created.",
        ));
    }
    Ok(SecretString::new(key))
}

/// A pasted key without what often comes along when it is copied from code or a terminal:
/// surrounding whitespace and quotes, and an `Authorization:` header name or `Bearer` scheme.
fn without_paste_wrapping(raw: &str) -> &str {
    let mut key = raw.trim();
    for quote in ['"', '\'', '`'] {
        if let Some(inner) = key
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            key = inner.trim();
        }
    }
    for (word, needs_space) in [("authorization:", false), ("bearer", true)] {
        let Some(rest) = key
            .get(..word.len())
            .filter(|start| start.eq_ignore_ascii_case(word))
            .map(|_| &key[word.len()..])
        else {
            continue;
        };
        if !needs_space || rest.is_empty() || rest.starts_with(char::is_whitespace) {
            key = rest.trim_start();
        }
    }
    key
}

/// A Google service-account key: the JSON file as downloaded, on several lines.
fn service_account(json: &str) -> Result<SecretString, FieldProblem> {
    let refuse = || {
        FieldProblem::new(
            "api_key",
            "Paste the whole service-account JSON key file (it has \"type\": \"service_account\", a \
             client_email and a private_key).",
        )
    };
    if json.len() > 4 * MAX_KEY_BYTES {
        return Err(refuse());
    }
    let parsed: Value = serde_json::from_str(json).map_err(|_| refuse())?;
    let complete = parsed["type"] == "service_account"
        && parsed["client_email"]
            .as_str()
            .is_some_and(|e| e.contains('@'))
        && parsed["private_key"]
            .as_str()
            .is_some_and(|k| k.contains("PRIVATE KEY"));
    if complete {
        Ok(SecretString::new(json))
    } else {
        Err(refuse())
    }
}

/// A visible warning, not a refusal, when the key does not look like the chosen provider's: it
/// starts with none of its prefixes, or another provider's prefix fits it better (`sk-ant-` is an
/// Anthropic key even though OpenAI keys start with `sk-`).
pub fn prefix_warning(provider: &Provider, secret: &SecretString) -> Option<String> {
    let key = secret.expose();
    let prefixes = provider.key_format.prefixes;
    if key.is_empty() || prefixes.is_empty() {
        return None;
    }
    let longest_match = |candidates: &[&str]| {
        candidates
            .iter()
            .filter(|p| key.starts_with(**p))
            .map(|p| p.len())
            .max()
            .unwrap_or(0)
    };
    let own = longest_match(prefixes);
    let better = PROVIDERS
        .iter()
        .filter(|other| other.key_family != provider.key_family)
        .map(|other| (longest_match(other.key_format.prefixes), other))
        .filter(|(length, _)| *length > own)
        .max_by_key(|(length, _)| *length);
    match better {
        Some((_, other)) => Some(format!(
            "This looks like {} key, not {}. Saved anyway: check that you chose the right provider.",
            with_article(other.name),
            with_article(provider.name)
        )),
        None if own == 0 => Some(format!(
            "{} keys usually start with {}. Saved anyway: check that you pasted the right key.",
            provider.name,
            prefixes.join(" or ")
        )),
        None => None,
    }
}

/// A trimmed nickname of at most 80 characters, or none.
pub fn clean_nickname(raw: Option<&str>) -> Result<Option<String>, FieldProblem> {
    let Some(name) = raw.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX_NICKNAME_CHARS || name.chars().any(char::is_control) {
        return Err(FieldProblem::new(
            "nickname",
            "Use up to 80 characters, on one line, e.g. \"Production OpenAI\".",
        ));
    }
    Ok(Some(name.to_owned()))
}

/// A provider base URL, by the address rules ([`crate::upstream::address::clean_base_url`]).
pub fn clean_api_base(
    raw: Option<&str>,
    allow_private: bool,
) -> Result<Option<String>, FieldProblem> {
    clean_base_url(raw, allow_private).map_err(|message| FieldProblem::new("api_base", message))
}

/// The base URL of a provider that has no address of its own (a custom endpoint) must be given.
pub fn base_given(
    provider: &Provider,
    base: Option<String>,
) -> Result<Option<String>, FieldProblem> {
    if base.is_none() && provider.default_base_url.is_none() && provider.id == "custom" {
        return Err(FieldProblem::new(
            "api_base",
            "Give the endpoint's base URL, e.g. https://llm.example.com/v1.",
        ));
    }
    Ok(base)
}

/// Provider options: only the provider's own fields, strings, required ones present.
pub fn clean_options(
    provider: &Provider,
    raw: &Map<String, Value>,
) -> Result<Map<String, Value>, FieldProblem> {
    let mut clean = Map::new();
    for (name, value) in raw {
        let Some(field) = provider.options.iter().find(|f| f.name == name) else {
            return Err(FieldProblem::new(
                "options",
                format!("{} has no option \"{name}\".", provider.name),
            ));
        };
        let Some(text) = value.as_str() else {
            return Err(FieldProblem::new(
                "options",
                format!("{} must be text.", field.label),
            ));
        };
        let text = text.trim();
        if text.chars().count() > MAX_OPTION_CHARS || text.chars().any(char::is_control) {
            return Err(FieldProblem::new(
                "options",
                format!("{} is too long or has invisible characters.", field.label),
            ));
        }
        if !text.is_empty() {
            clean.insert(name.clone(), Value::String(text.to_owned()));
        }
    }
    for field in provider.options.iter().filter(|f| f.required) {
        if !clean.contains_key(field.name) {
            return Err(FieldProblem::new(
                "options",
                format!("{} needs {}: {}", provider.name, field.label, field.help),
            ));
        }
    }
    if provider.id == "custom" {
        let name = clean
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !(1..=40).contains(&name.len()) || !name.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(FieldProblem::new(
                "options",
                "Name the custom endpoint with lowercase letters a–z only, e.g. vllm.",
            ));
        }
    }
    Ok(clean)
}

/// Where a key is sent, as one text: its provider, its base URL and the options that decide the
/// host, region or project. The one place this is decided: changing it needs the key itself again,
/// and the sealed secret is bound to it (SPEC.md §9). Takes the cleaned, stored values.
pub fn destination(
    provider: &Provider,
    api_base: Option<&str>,
    options: &Map<String, Value>,
) -> String {
    let mut parts = vec![
        Value::from(provider.id),
        Value::from(api_base.unwrap_or_default()),
    ];
    for field in provider.options.iter().filter(|field| field.destination) {
        let value = options.get(field.name).and_then(Value::as_str);
        parts.push(Value::from(vec![field.name, value.unwrap_or_default()]));
    }
    Value::Array(parts).to_string()
}

/// The family a key serves: the provider's, and for custom endpoints one per endpoint name.
pub fn key_family(provider: &Provider, options: &Map<String, Value>) -> String {
    match options.get("name").and_then(Value::as_str) {
        Some(name) if provider.id == "custom" => format!("custom:{name}"),
        _ => provider.key_family.to_owned(),
    }
}

/// Whether a stored key (by its family) serves a provider of the catalog.
pub fn serves(key_family: &str, provider: &Provider) -> bool {
    key_family == provider.key_family
        || key_family
            .strip_prefix(provider.key_family)
            .is_some_and(|rest| rest.starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::provider;

    #[test]
    fn a_pasted_header_or_quotes_around_the_key_are_dropped() {
        let openai = provider("openai").unwrap();
        for pasted in [
            "Bearer sk-proj-abc123",
            "bearer  sk-proj-abc123",
            "Authorization: Bearer sk-proj-abc123",
            "authorization:Bearer sk-proj-abc123",
            "\"sk-proj-abc123\"",
            "'sk-proj-abc123'",
            " \"Bearer sk-proj-abc123\" ",
        ] {
            assert_eq!(
                clean_secret(openai, pasted).unwrap().expose(),
                "sk-proj-abc123",
                "{pasted}"
            );
        }
        // Only a whole word, at the start, is a header: a key may contain "bearer".
        assert_eq!(
            clean_secret(openai, "sk-bearer-abc").unwrap().expose(),
            "sk-bearer-abc"
        );
        assert!(
            clean_secret(openai, "Bearer ").is_err(),
            "nothing but the word"
        );
    }

    #[test]
    fn pasted_keys_are_trimmed_and_bad_ones_refused() {
        let openai = provider("openai").unwrap();
        assert_eq!(
            clean_secret(openai, "  sk-abc123  \n").unwrap().expose(),
            "sk-abc123"
        );
        for bad in [
            "",
            "   ",
            "sk-...7xQ2",
            "sk-•••abcd",
            "sk-****abcd",
            "sk-abc\ndef",
            "sk-\u{7}bell",
            &"a".repeat(4097),
        ] {
            let refused = clean_secret(openai, bad).unwrap_err();
            assert_eq!(refused.field, "api_key");
            assert!(
                bad.trim().is_empty() || !refused.message.contains(bad.trim()),
                "echoes input"
            );
        }
        assert!(clean_secret(provider("ollama").unwrap(), "")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_prefix_of_another_provider_is_named() {
        let openai = provider("openai").unwrap();
        let anthropic_key = SecretString::new("sk-ant-api03-abcdef");
        let warning = prefix_warning(openai, &anthropic_key).unwrap();
        assert!(warning.contains("an Anthropic key"), "{warning}");
        assert!(prefix_warning(openai, &SecretString::new("sk-proj-abc")).is_none());
        assert!(prefix_warning(openai, &SecretString::new("zzz"))
            .unwrap()
            .contains("usually start with"));
    }

    #[test]
    fn base_urls_are_https_unless_private_endpoints_are_allowed() {
        assert_eq!(
            clean_api_base(Some("https://api.example.com/v1/"), false)
                .unwrap()
                .as_deref(),
            Some("https://api.example.com/v1")
        );
        for bad in [
            "http://api.example.com",
            "ftp://x.example.com",
            "https://user:pw@api.example.com",
            "https://127.0.0.1:8080",
            "https://10.0.0.5",
            "https://localhost:11434",
            "https://[::1]/v1",
            "not a url",
        ] {
            assert!(clean_api_base(Some(bad), false).is_err(), "{bad}");
        }
        assert!(clean_api_base(Some("http://127.0.0.1:11434"), true).is_ok());
        for never in [
            "http://169.254.169.254/latest",
            "http://[fe80::1]/",
            "http://metadata.google.internal/",
            "http://[fd00:ec2::254]/",
            "http://100.100.100.200/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
        ] {
            assert!(clean_api_base(Some(never), true).is_err(), "{never}");
        }
        assert_eq!(clean_api_base(Some("  "), false).unwrap(), None);
    }

    #[test]
    fn the_destination_is_the_base_url_and_the_options_that_decide_the_host() {
        let azure = provider("azure-openai").unwrap();
        let options = |endpoint: &str, deployment: &str| {
            let mut map = Map::new();
            map.insert("endpoint".into(), Value::String(endpoint.into()));
            map.insert("deployment".into(), Value::String(deployment.into()));
            map
        };
        let here = destination(
            azure,
            None,
            &options("https://a.openai.azure.com", "gpt-4o"),
        );
        assert_eq!(
            here,
            destination(
                azure,
                None,
                &options("https://a.openai.azure.com", "gpt-4o-mini")
            ),
            "the deployment is not where the key goes"
        );
        for elsewhere in [
            destination(
                azure,
                None,
                &options("https://b.openai.azure.com", "gpt-4o"),
            ),
            destination(
                azure,
                Some("https://a.openai.azure.com"),
                &options("https://a.openai.azure.com", "gpt-4o"),
            ),
            destination(
                provider("openai").unwrap(),
                None,
                &options("https://a.openai.azure.com", "gpt-4o"),
            ),
        ] {
            assert_ne!(here, elsewhere);
        }
        let region = |name: &str| {
            let mut map = Map::new();
            map.insert("region".into(), Value::String(name.into()));
            destination(provider("azure-speech").unwrap(), None, &map)
        };
        assert_ne!(region("westeurope"), region("eastus"));
    }

    #[test]
    fn options_are_the_providers_own() {
        let azure = provider("azure-openai").unwrap();
        let mut given = Map::new();
        given.insert(
            "endpoint".into(),
            Value::String("https://x.openai.azure.com".into()),
        );
        given.insert("api_version".into(), Value::String("2024-10-21".into()));
        given.insert("deployment".into(), Value::String("gpt-4o".into()));
        assert!(clean_options(azure, &given).is_ok());
        given.insert("colour".into(), Value::String("blue".into()));
        assert!(clean_options(azure, &given).is_err());
        let custom = provider("custom").unwrap();
        let mut named = Map::new();
        named.insert("name".into(), Value::String("vllm".into()));
        let clean = clean_options(custom, &named).unwrap();
        assert_eq!(key_family(custom, &clean), "custom:vllm");
        named.insert("name".into(), Value::String("My-LLM".into()));
        assert!(clean_options(custom, &named).is_err());
    }
}
