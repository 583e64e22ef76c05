//! What a provider's answer means for a key (SPEC.md §4 statuses), from the status code *and* the
//! body, per `reference/providers.md`; and a message for people with the next step. A key is only
//! ever `invalid` or `expired` when the provider said so.

use std::time::Duration;

use serde_json::Value;

use super::redact::redact;
use crate::domain::catalog::Provider;
use crate::domain::keys::KeyStatus;

/// What the provider answered to the probe.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    pub http_status: u16,
    pub body: &'a str,
    pub retry_after: Option<Duration>,
}

/// Why the provider could not be asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreachable {
    Refused,
    Dns,
    Tls,
    Timeout,
    Dropped,
}

/// The outcome of one validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub status: KeyStatus,
    pub http_status: Option<u16>,
    /// A short machine word: the provider's error code when it gave one.
    pub code: String,
    /// For people: what happened and what to do. Never contains the key.
    pub message: String,
    pub retry_after: Option<Duration>,
}

/// The parts of a provider's error body that tell cases apart, from the shapes providers use.
#[derive(Debug, Default)]
struct Said {
    code: String,
    kind: String,
    message: String,
    reasons: Vec<String>,
}

impl Said {
    fn read(body: &str) -> Said {
        let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let error = &json["error"];
        let detail = &json["detail"];
        let mut said = Said {
            code: [
                &error["code"],
                &detail["status"],
                &json["code"],
                &json["name"],
            ]
            .into_iter()
            .map(text)
            .find(|s| !s.is_empty())
            .unwrap_or_default(),
            kind: [&error["type"], &error["status"], &json["type"]]
                .into_iter()
                .map(text)
                .find(|s| !s.is_empty() && s != "error")
                .unwrap_or_default(),
            message: [
                &error["message"],
                &detail["message"],
                &json["message"],
                &json["error"],
                &json["detail"],
            ]
            .into_iter()
            .map(text)
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| body.chars().take(200).collect()),
            reasons: Vec::new(),
        };
        if let Some(details) = error["details"].as_array() {
            said.reasons = details
                .iter()
                .map(|d| text(&d["reason"]))
                .filter(|r| !r.is_empty())
                .collect();
        }
        if let Some(code) = error["details"]["error_code"].as_str() {
            said.reasons.push(code.to_owned());
        }
        said
    }

    fn has(&self, word: &str) -> bool {
        let word = word.to_lowercase();
        self.code.to_lowercase().contains(&word)
            || self.kind.to_lowercase().contains(&word)
            || self.message.to_lowercase().contains(&word)
            || self
                .reasons
                .iter()
                .any(|r| r.to_lowercase().contains(&word))
    }
}

const OPENAI_BILLING: &[&str] = &[
    "insufficient_quota",
    "credit_balance_exhausted",
    "spend_limit_exceeded",
    "organization_usage_limit_exceeded",
];

/// Classifies a provider's answer to the probe.
pub fn classify(provider: &Provider, answer: &Answer<'_>, secret: &str) -> Verdict {
    let said = Said::read(answer.body);
    let family = provider.key_family;
    let status = match answer.http_status {
        200..=299 => success(provider, answer.body),
        400 if said.has("API_KEY_INVALID") && said.has("expired") => KeyStatus::Expired,
        400 if said.has("API_KEY_INVALID") => KeyStatus::Invalid,
        400 if said.has("FAILED_PRECONDITION") => KeyStatus::Forbidden,
        400 if family == "xai" && said.has("incorrect api key") => KeyStatus::Invalid,
        400 if said.has("invalid_grant") => KeyStatus::Invalid,
        400 if said.has("credit balance is too low") || said.has("spend limit") => {
            KeyStatus::NoCredits
        }
        401 if said.has("missing scopes") || said.has("insufficient permissions") => {
            KeyStatus::ValidRestricted
        }
        401 if said.has("missing_permissions") => KeyStatus::ValidRestricted,
        401 if said.has("quota_exceeded") => KeyStatus::NoCredits,
        401 if said.has("detected_unusual_activity") => KeyStatus::Forbidden,
        401 if said.has("expired") => KeyStatus::Expired,
        401 => KeyStatus::Invalid,
        402 => KeyStatus::NoCredits,
        403 if said.has("UnrecognizedClient")
            || said.has("InvalidSignature")
            || said.has("security token included in the request is invalid") =>
        {
            KeyStatus::Invalid
        }
        403 if said.has("BILLING_DISABLED") || said.has("out of call volume quota") => {
            KeyStatus::NoCredits
        }
        403 if said
            .reasons
            .iter()
            .any(|r| r.starts_with("API_KEY_") && r.ends_with("_BLOCKED"))
            || said.has("SERVICE_DISABLED") =>
        {
            KeyStatus::ValidRestricted
        }
        403 | 412 => KeyStatus::Forbidden,
        404 if family == "anthropic" => KeyStatus::Invalid,
        429 if OPENAI_BILLING.iter().any(|code| said.has(code)) => KeyStatus::NoCredits,
        429 if said.has("enforced_spend_limit_reached") => KeyStatus::NoCredits,
        429 if family == "anthropic" && answer.retry_after.is_none() && said.has("spend") => {
            KeyStatus::NoCredits
        }
        429 if said.has("used all available credits") || said.has("monthly spending limit") => {
            KeyStatus::NoCredits
        }
        429 => KeyStatus::RateLimited,
        498 | 500..=599 => KeyStatus::ProviderDown,
        _ => KeyStatus::Unverified,
    };
    let words = redact(&said.message, secret);
    let code = if said.code.is_empty() {
        said.kind.clone()
    } else {
        said.code.clone()
    };
    Verdict {
        message: message(
            provider,
            status,
            answer.http_status,
            &words,
            answer.retry_after,
        ),
        status,
        http_status: Some(answer.http_status),
        code: redact(&code, secret),
        retry_after: (status == KeyStatus::RateLimited)
            .then_some(answer.retry_after)
            .flatten(),
    }
}

/// A 2xx can still say the key cannot be used: Cohere's `valid:false`, DeepSeek's balance, an
/// OpenRouter key without credit left, xAI's blocked flags.
fn success(provider: &Provider, body: &str) -> KeyStatus {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    match provider.key_family {
        "cohere" if json["valid"] == Value::Bool(false) => KeyStatus::Invalid,
        "deepseek" if json["is_available"] == Value::Bool(false) => KeyStatus::NoCredits,
        "openrouter"
            if json["data"]["limit_remaining"]
                .as_f64()
                .is_some_and(|left| left <= 0.0) =>
        {
            KeyStatus::NoCredits
        }
        "xai"
            if json["api_key_disabled"] == Value::Bool(true)
                || json["api_key_blocked"] == Value::Bool(true) =>
        {
            KeyStatus::Invalid
        }
        "xai" if json["team_blocked"] == Value::Bool(true) => KeyStatus::Forbidden,
        "xai" if json["acls"].as_array().is_some_and(Vec::is_empty) => KeyStatus::ValidRestricted,
        _ => KeyStatus::Valid,
    }
}

/// The verdict when the provider could not be asked. Never a judgement of the key.
pub fn unreachable(provider: &Provider, why: Unreachable) -> Verdict {
    let (code, reason) = match why {
        Unreachable::Refused => ("connection_refused", "the connection was refused"),
        Unreachable::Dns => ("dns", "its address could not be resolved"),
        Unreachable::Tls => ("tls", "the secure connection failed"),
        Unreachable::Timeout => ("timeout", "it did not answer in time"),
        Unreachable::Dropped => ("connection_dropped", "the connection was dropped"),
    };
    Verdict {
        status: KeyStatus::NetworkError,
        http_status: None,
        code: code.to_owned(),
        message: format!(
            "KeyHub could not reach {} ({reason}). The key was not judged: check the base URL and \
             this server's network, then validate again.",
            provider.name
        ),
        retry_after: None,
    }
}

fn message(
    provider: &Provider,
    status: KeyStatus,
    http: u16,
    said: &str,
    retry_after: Option<Duration>,
) -> String {
    let name = provider.name;
    let base = match status {
        KeyStatus::Valid => format!("{name} accepted the key."),
        KeyStatus::ValidRestricted => format!(
            "{name} accepted the key, but it is restricted and lacks some permissions. Experts that \
             need other endpoints may fail: widen the key's permissions in the {name} dashboard if so."
        ),
        KeyStatus::Invalid => format!(
            "{name} rejected this key ({http}). It may have been revoked or mistyped: create a new key \
             in the {name} dashboard and rotate it here."
        ),
        KeyStatus::Expired => format!(
            "{name} says this key has expired ({http}). Create a new key and rotate it here."
        ),
        KeyStatus::NoCredits => format!(
            "{name} accepted the key, but the account is out of credit or over its spending limit \
             ({http}). Add credit or raise the limit in the {name} billing settings."
        ),
        KeyStatus::RateLimited => match retry_after {
            Some(wait) => format!(
                "{name} is rate-limiting this key for about {} s ({http}). Fallback keys are used \
                 meanwhile; nothing to do unless it persists.",
                wait.as_secs().max(1)
            ),
            None => format!(
                "{name} is rate-limiting this key ({http}). Fallback keys are used meanwhile; nothing \
                 to do unless it persists."
            ),
        },
        KeyStatus::Forbidden => format!(
            "{name} accepted the key but refuses this use of it ({http}): check the account's \
             region, project and permissions."
        ),
        KeyStatus::ProviderDown => format!(
            "{name} is having problems ({http}). The key was not judged: validate again later."
        ),
        KeyStatus::Unverified => format!(
            "{name} answered {http}, which does not say whether the key works. Check the base URL; \
             the key is kept as not verified."
        ),
        KeyStatus::NetworkError | KeyStatus::Unsupported | KeyStatus::NeedsReentry => {
            format!("{name} could not be asked.")
        }
    };
    if status == KeyStatus::Valid || said.trim().is_empty() {
        base
    } else {
        format!("{base} {name} said: \"{}\"", said.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::provider;

    const KEY: &str = "sk-proj-abcdefghijklmnop1234567890";

    fn verdict(id: &str, http: u16, body: &str, retry: Option<u64>) -> Verdict {
        let answer = Answer {
            http_status: http,
            body,
            retry_after: retry.map(Duration::from_secs),
        };
        classify(provider(id).unwrap(), &answer, KEY)
    }

    /// Every provider × outcome that providers.md documents: (provider, status, body, retry-after,
    /// expected status).
    #[test]
    fn documented_answers_are_classified() {
        use KeyStatus::*;
        let cases: &[(&str, u16, &str, Option<u64>, KeyStatus)] = &[
            ("openai", 200, r#"{"object":"list","data":[]}"#, None, Valid),
            (
                "openai",
                401,
                r#"{"error":{"message":"Incorrect API key provided: sk-proj-abcd****7890.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                None,
                Invalid,
            ),
            (
                "openai",
                401,
                r#"{"error":{"message":"Your account is deactivated","code":"account_deactivated"}}"#,
                None,
                Invalid,
            ),
            (
                "openai",
                401,
                r#"{"error":{"message":"You have insufficient permissions for this operation. Missing scopes: api.model.read."}}"#,
                None,
                ValidRestricted,
            ),
            (
                "openai",
                403,
                r#"{"error":{"message":"Country, region, or territory not supported","code":"unsupported_country_region_territory"}}"#,
                None,
                Forbidden,
            ),
            (
                "openai",
                429,
                r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
                Some(20),
                RateLimited,
            ),
            (
                "openai",
                429,
                r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
                None,
                NoCredits,
            ),
            (
                "openai-tts",
                429,
                r#"{"error":{"code":"organization_spend_limit_exceeded"}}"#,
                None,
                NoCredits,
            ),
            (
                "openai",
                500,
                r#"{"error":{"message":"The server had an error"}}"#,
                None,
                ProviderDown,
            ),
            (
                "anthropic",
                200,
                r#"{"data":[],"has_more":false}"#,
                None,
                Valid,
            ),
            (
                "anthropic",
                401,
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                None,
                Invalid,
            ),
            (
                "anthropic",
                404,
                r#"{"type":"error","error":{"type":"not_found_error","message":"Not found"}}"#,
                None,
                Invalid,
            ),
            (
                "anthropic",
                403,
                r#"{"type":"error","error":{"type":"permission_error","message":"no access"}}"#,
                None,
                Forbidden,
            ),
            (
                "anthropic",
                402,
                r#"{"type":"error","error":{"type":"billing_error","message":"payment"}}"#,
                None,
                NoCredits,
            ),
            (
                "anthropic",
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#,
                None,
                NoCredits,
            ),
            (
                "anthropic",
                429,
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}"#,
                Some(30),
                RateLimited,
            ),
            (
                "anthropic",
                429,
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your monthly spend limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#,
                None,
                NoCredits,
            ),
            (
                "anthropic",
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                None,
                ProviderDown,
            ),
            ("google", 200, r#"{"models":[]}"#, None, Valid),
            (
                "google",
                400,
                r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#,
                None,
                Invalid,
            ),
            (
                "google",
                400,
                r#"{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#,
                None,
                Expired,
            ),
            (
                "google",
                403,
                r#"{"error":{"code":403,"status":"PERMISSION_DENIED","details":[{"reason":"API_KEY_SERVICE_BLOCKED"}]}}"#,
                None,
                ValidRestricted,
            ),
            (
                "google",
                400,
                r#"{"error":{"code":400,"message":"User location is not supported","status":"FAILED_PRECONDITION"}}"#,
                None,
                Forbidden,
            ),
            (
                "google",
                429,
                r#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"retryDelay":"47s"}]}}"#,
                Some(47),
                RateLimited,
            ),
            (
                "google-tts",
                403,
                r#"{"error":{"code":403,"message":"This API method requires billing to be enabled","status":"PERMISSION_DENIED","details":[{"reason":"BILLING_DISABLED"}]}}"#,
                None,
                NoCredits,
            ),
            (
                "google-tts",
                403,
                r#"{"error":{"code":403,"message":"Cloud Text-to-Speech API has not been used","status":"PERMISSION_DENIED","details":[{"reason":"SERVICE_DISABLED"}]}}"#,
                None,
                ValidRestricted,
            ),
            (
                "mistral",
                401,
                r#"{"message":"Unauthorized"}"#,
                None,
                Invalid,
            ),
            (
                "mistral",
                402,
                r#"{"object":"error","message":"Payment required"}"#,
                None,
                NoCredits,
            ),
            (
                "mistral",
                429,
                r#"{"object":"error","message":"Rate limit exceeded","type":"rate_limited","code":"1300"}"#,
                Some(2),
                RateLimited,
            ),
            (
                "deepseek",
                200,
                r#"{"is_available":true,"balance_infos":[]}"#,
                None,
                Valid,
            ),
            (
                "deepseek",
                200,
                r#"{"is_available":false,"balance_infos":[]}"#,
                None,
                NoCredits,
            ),
            (
                "deepseek",
                401,
                r#"{"error":{"message":"Authentication Fails, Your api key: ****7890 is invalid","type":"authentication_error"}}"#,
                None,
                Invalid,
            ),
            (
                "deepseek",
                402,
                r#"{"error":{"message":"Insufficient Balance","type":"unknown_error"}}"#,
                None,
                NoCredits,
            ),
            (
                "deepseek",
                503,
                r#"{"error":{"message":"Server Overloaded"}}"#,
                None,
                ProviderDown,
            ),
            (
                "cohere",
                200,
                r#"{"valid":true,"organization_id":"o"}"#,
                None,
                Valid,
            ),
            ("cohere", 200, r#"{"valid":false}"#, None, Invalid),
            (
                "cohere",
                401,
                r#"{"message":"invalid api token"}"#,
                None,
                Invalid,
            ),
            (
                "cohere",
                401,
                r#"{"message":"Your API key has expired. Please create a production key"}"#,
                None,
                Expired,
            ),
            (
                "cohere",
                402,
                r#"{"message":"billing limit reached"}"#,
                None,
                NoCredits,
            ),
            (
                "cohere",
                429,
                r#"{"message":"You are using a Trial key, which is limited to 40 API calls / minute"}"#,
                None,
                RateLimited,
            ),
            (
                "groq",
                401,
                r#"{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                None,
                Invalid,
            ),
            (
                "groq",
                429,
                r#"{"error":{"code":"rate_limit_exceeded"}}"#,
                Some(5),
                RateLimited,
            ),
            (
                "groq",
                498,
                r#"{"error":{"message":"Flex tier capacity exceeded"}}"#,
                None,
                ProviderDown,
            ),
            (
                "azure-openai",
                401,
                r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}"#,
                None,
                Invalid,
            ),
            (
                "azure-openai",
                429,
                r#"{"error":{"code":"429","message":"Please retry after 6 seconds."}}"#,
                Some(6),
                RateLimited,
            ),
            (
                "fireworks",
                402,
                r#"{"error":{"message":"usage limits exceeded"}}"#,
                None,
                NoCredits,
            ),
            (
                "fireworks",
                412,
                r#"{"error":{"message":"account suspended"}}"#,
                None,
                Forbidden,
            ),
            (
                "fireworks",
                503,
                r#"{"error":{"message":"overloaded"}}"#,
                None,
                ProviderDown,
            ),
            (
                "openrouter",
                200,
                r#"{"data":{"label":"sk-or-v1-au7...890","limit":100,"limit_remaining":74.5}}"#,
                None,
                Valid,
            ),
            (
                "openrouter",
                200,
                r#"{"data":{"label":"x","limit":100,"limit_remaining":0}}"#,
                None,
                NoCredits,
            ),
            (
                "openrouter",
                401,
                r#"{"error":{"code":401,"message":"No auth credentials found"}}"#,
                None,
                Invalid,
            ),
            (
                "openrouter",
                402,
                r#"{"error":{"code":402,"message":"Insufficient credits"}}"#,
                None,
                NoCredits,
            ),
            (
                "xai",
                200,
                r#"{"redacted_api_key":"xai-...b14o","acls":["api-key:model:*"],"team_blocked":false,"api_key_blocked":false,"api_key_disabled":false}"#,
                None,
                Valid,
            ),
            (
                "xai",
                200,
                r#"{"acls":["api-key:model:*"],"api_key_disabled":true}"#,
                None,
                Invalid,
            ),
            (
                "xai",
                200,
                r#"{"acls":[],"api_key_disabled":false}"#,
                None,
                ValidRestricted,
            ),
            (
                "xai",
                400,
                r#"{"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***ys. You can obtain an API key from https://console.x.ai."}"#,
                None,
                Invalid,
            ),
            (
                "xai",
                429,
                r#"{"error":"Your team 1234 has either used all available credits or reached its monthly spending limit."}"#,
                None,
                NoCredits,
            ),
            (
                "together",
                402,
                r#"{"error":{"message":"monthly spending limit reached"}}"#,
                None,
                NoCredits,
            ),
            (
                "perplexity",
                401,
                r#"{"error":{"message":"Invalid API key"}}"#,
                None,
                Invalid,
            ),
            (
                "elevenlabs",
                200,
                r#"{"subscription":{"character_count":0}}"#,
                None,
                Valid,
            ),
            (
                "elevenlabs",
                401,
                r#"{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}"#,
                None,
                Invalid,
            ),
            (
                "elevenlabs",
                401,
                r#"{"detail":{"status":"missing_permissions","message":"The API key you used is missing the permission user_read"}}"#,
                None,
                ValidRestricted,
            ),
            (
                "elevenlabs",
                401,
                r#"{"detail":{"status":"quota_exceeded","message":"This request exceeds your quota of 10000. You have 0 credits remaining"}}"#,
                None,
                NoCredits,
            ),
            (
                "elevenlabs",
                401,
                r#"{"detail":{"status":"detected_unusual_activity","message":"Unusual activity detected"}}"#,
                None,
                Forbidden,
            ),
            (
                "elevenlabs",
                429,
                r#"{"detail":{"status":"too_many_concurrent_requests"}}"#,
                None,
                RateLimited,
            ),
            (
                "azure-speech",
                401,
                r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}"#,
                None,
                Invalid,
            ),
            (
                "azure-speech",
                403,
                r#"{"error":{"code":"403","message":"Out of call volume quota. Quota will be replenished in 2 days."}}"#,
                None,
                NoCredits,
            ),
            (
                "stability",
                200,
                r#"{"id":"u","email":"a@b.c","organizations":[]}"#,
                None,
                Valid,
            ),
            (
                "stability",
                401,
                r#"{"id":"x","name":"unauthorized","message":"missing authorization header"}"#,
                None,
                Invalid,
            ),
            (
                "stability",
                402,
                r#"{"name":"payment_required","message":"out of credits"}"#,
                None,
                NoCredits,
            ),
            (
                "stability",
                429,
                r#"{"name":"rate_limit_exceeded","message":"too many requests"}"#,
                None,
                RateLimited,
            ),
            ("custom", 418, "teapot", None, Unverified),
        ];
        for (id, http, body, retry, expected) in cases {
            let verdict = verdict(id, *http, body, *retry);
            assert_eq!(verdict.status, *expected, "{id} {http} {body}");
            assert!(
                !verdict.message.contains("abcd") && !verdict.message.contains("7890"),
                "{}",
                verdict.message
            );
            assert!(!verdict.message.contains("xa***ys"), "{}", verdict.message);
            assert!(!verdict.code.contains("7890"));
            assert!(
                verdict.message.starts_with(provider(id).unwrap().name),
                "{}",
                verdict.message
            );
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let rejected = verdict(
            "openai",
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-proj-abcd****7890.","code":"invalid_api_key"}}"#,
            None,
        );
        assert!(
            rejected
                .message
                .starts_with("OpenAI rejected this key (401). It may have been revoked"),
            "{}",
            rejected.message
        );
        assert!(rejected.message.contains("[redacted]"));
        assert_eq!(rejected.code, "invalid_api_key");
        let limited = verdict("anthropic", 429, "{}", Some(30));
        assert_eq!(limited.retry_after, Some(Duration::from_secs(30)));
        assert!(limited.message.contains("about 30 s"));
        let down = unreachable(provider("mistral").unwrap(), Unreachable::Timeout);
        assert_eq!(down.status, KeyStatus::NetworkError);
        assert!(down.message.contains("not judged"));
    }
}
