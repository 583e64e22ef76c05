//! The key gateway (SPEC.md §6, §7): `/gateway/{org}/{provider}/{path…}`. A service calls KeyHub
//! instead of the provider with a `gateway` token; KeyHub resolves the key, puts it in the
//! provider's header, forwards the request to the key's base URL (never one the caller names), and
//! on a rate limit, exhausted credit, a rejected key, a failing provider or a broken connection
//! marks the key and replays the request with the next key of the org. Answers stream through.

mod limiter;
mod request;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Map;

use crate::accounts::tokens::TokenCaller;
use crate::accounts::Accounts;
use crate::config::GatewayConfig;
use crate::consumers::ConsumerService;
use crate::domain::accounts::TokenScope;
use crate::domain::catalog::KeyAuth;
use crate::domain::consumers::{ConsumerKind, Slot, Target};
use crate::domain::keys::KeyStatus;
use crate::keys::keyring::KeyringError;
use crate::keys::usage::UsageCounter;
use crate::keys::{key_label, CallFailure, KeyActor, KeyService};
use crate::rest::error::RestError;
use crate::store::keys::KeyRecord;
use crate::store::now_ms;
use crate::upstream::probe::{auth_headers, guarded_client, read_body, why, Egress};
use crate::upstream::redact::redact_stream;
use crate::upstream::{classify, unreachable, Answer, Verdict};
use crate::vault::SecretString;
pub use limiter::TokenLimiter;
use request::{
    forwarded_headers, presented_token, response_headers, upstream_url, Incoming, InsidePath,
    GATEWAY_SECURITY_HEADERS,
};

#[derive(Clone, Debug)]
pub struct Gateway {
    client: reqwest::Client,
    config: Arc<GatewayConfig>,
    limiter: Arc<TokenLimiter>,
    usage: Arc<UsageCounter>,
}

impl Gateway {
    pub fn new(config: GatewayConfig, egress: &Egress) -> Gateway {
        let client = guarded_client(egress)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a TLS backend is compiled in");
        Gateway {
            client,
            limiter: Arc::new(TokenLimiter::new(config.requests_per_minute)),
            usage: Arc::default(),
            config: Arc::new(config),
        }
    }

    /// Usage counted since the last flush.
    pub fn usage(&self) -> &Arc<UsageCounter> {
        &self.usage
    }
}

/// What the gateway works with: its client and limits, token checks, resolution, and where it
/// reports what a call taught about a key. One reference count to clone, per request.
#[derive(Clone, Debug)]
pub struct GatewayState(Arc<GatewayParts>);

#[derive(Debug)]
struct GatewayParts {
    gateway: Gateway,
    accounts: Accounts,
    keys: KeyService,
    consumers: ConsumerService,
}

impl GatewayState {
    pub fn new(
        gateway: Gateway,
        accounts: Accounts,
        keys: KeyService,
        consumers: ConsumerService,
    ) -> GatewayState {
        GatewayState(Arc::new(GatewayParts {
            gateway,
            accounts,
            keys,
            consumers,
        }))
    }

    /// Usage counted since the last flush.
    pub fn usage(&self) -> &Arc<UsageCounter> {
        self.0.gateway.usage()
    }
}

/// One key to try: an org's key, or the platform key.
enum Attempt<'a> {
    Key(&'a KeyRecord),
    Platform,
}

impl Attempt<'_> {
    fn key(&self) -> Option<&KeyRecord> {
        match self {
            Attempt::Key(key) => Some(key),
            Attempt::Platform => None,
        }
    }
}

/// The handler of `/gateway/{org}/{provider}/{*path}`.
pub async fn forward(
    State(state): State<GatewayState>,
    Path((org, provider, path)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let mut response = match forward_request(&state, &org, &provider, &path, request).await {
        Ok(response) => response,
        Err(error) => {
            let mut response = error.into_response();
            response
                .headers_mut()
                .insert("x-keyhub-attempts", HeaderValue::from_static("0"));
            response
        }
    };
    for (name, value) in GATEWAY_SECURITY_HEADERS {
        response
            .headers_mut()
            .insert(*name, HeaderValue::from_static(value));
    }
    response
}

async fn authenticate(
    state: &GatewayState,
    headers: &HeaderMap,
    query: &str,
) -> Result<TokenCaller, RestError> {
    let presented = presented_token(headers, query).ok_or_else(RestError::missing_token)?;
    let caller = state
        .0
        .accounts
        .tokens()
        .authenticate(presented.expose())
        .await?
        .ok_or_else(RestError::invalid_token)?;
    if !caller.allows(TokenScope::Gateway) {
        return Err(RestError::missing_scope(TokenScope::Gateway));
    }
    Ok(caller)
}

fn consumer_named(headers: &HeaderMap) -> Result<Option<(ConsumerKind, String)>, RestError> {
    let Some(value) = headers.get("x-keyhub-consumer") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.split_once(':'))
        .and_then(|(kind, id)| Some((ConsumerKind::parse(kind)?, id.to_owned())))
        .map(Some)
        .ok_or_else(|| {
            RestError::new(
                StatusCode::BAD_REQUEST,
                "invalid_consumer",
                "x-keyhub-consumer is `expert:<id>` or `assistant:<id>`.",
            )
        })
}

fn modality_named(headers: &HeaderMap) -> Result<Option<Slot>, RestError> {
    match headers.get("x-keyhub-modality") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(Slot::parse)
            .map(Some)
            .ok_or_else(|| {
                RestError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_modality",
                    "x-keyhub-modality is chat, stt, tts or image.",
                )
            }),
    }
}

async fn forward_request(
    state: &GatewayState,
    org: &str,
    provider: &str,
    path: &str,
    request: Request,
) -> Result<Response, RestError> {
    let gateway = &state.0.gateway;
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let caller = authenticate(state, &parts.headers, &query).await?;
    if caller.org.slug != org {
        return Err(RestError::not_found());
    }
    if let Err(wait) = gateway.limiter.admit(&caller.token_id) {
        return Err(rate_limited(gateway.config.requests_per_minute, wait));
    }
    let target = Target::parse(provider).ok_or_else(RestError::not_found)?;
    // The caller's own mistake: refused before any key is tried, so no key is marked for it.
    let Some(path) = InsidePath::checked(path) else {
        return Err(RestError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "The path may not leave the provider's API: no `.` or `..` segments (also encoded), \
             no empty segments, no control characters, spaces, backslashes, `?` or `#`.",
        ));
    };
    if matches!(
        target.provider.auth,
        KeyAuth::AwsSigV4 | KeyAuth::GoogleServiceAccount
    ) {
        return Err(RestError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_supported",
            format!(
                "{} signs each request with its credentials; the gateway forwards only providers \
                 that take a key in a header. Use the resolve endpoint instead.",
                target.name()
            ),
        ));
    }
    let consumer = consumer_named(&parts.headers)?;
    let modality = modality_named(&parts.headers)?;
    let body = tokio::time::timeout(
        gateway.config.request_body_timeout,
        axum::body::to_bytes(body, gateway.config.max_body),
    )
    .await
    .map_err(|_| {
        RestError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The request body did not arrive in time.",
        )
    })?
    .map_err(|_| {
        RestError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "The gateway takes request bodies up to {} MiB.",
                gateway.config.max_body / (1024 * 1024)
            ),
        )
    })?;
    let actor = KeyActor::Token(&caller);
    let resolution = state
        .0
        .consumers
        .resolve(
            actor,
            &target,
            consumer.as_ref().map(|(kind, id)| (*kind, id.as_str())),
            modality,
        )
        .await?;
    let attempts: Vec<Attempt> = match resolution.candidates.is_empty() {
        false => resolution
            .candidates
            .iter()
            .map(|c| Attempt::Key(&c.key))
            .collect(),
        true if resolution.platform => vec![Attempt::Platform],
        true => {
            return Err(RestError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_key",
                resolution.explanation,
            ))
        }
    };
    let replayable = body.len() <= gateway.config.replay_limit;
    let incoming = Incoming {
        method: parts.method,
        path,
        query,
        headers: forwarded_headers(&parts.headers, target.provider.key_family),
        body,
    };

    let mut tried = 0;
    let mut last_failure: Option<Response> = None;
    for attempt in &attempts {
        if tried > 0 && !replayable {
            break;
        }
        let key = attempt.key();
        let secret = match state.0.consumers.resolver().secret_of(key, &target).await {
            Ok(Some(secret)) => secret,
            Ok(None) => return Err(RestError::not_found()),
            // Deleted or changed since it was resolved: the next candidate serves.
            Err(KeyringError::NotFound) => continue,
            Err(error) => return Err(error.into()),
        };
        tried += 1;
        if let Some(key) = key {
            gateway.usage.used(key, now_ms());
        }
        let outcome = send(state, &target, key, &secret, &incoming).await;
        drop(secret);
        let key_id = key.map_or("platform", |k| k.id.as_str());
        match outcome {
            Outcome::Answer(response) => {
                return Ok(with_keyhub_headers(response, key_id, tried, replayable));
            }
            Outcome::Failed {
                verdict,
                failure,
                response,
            } => {
                if let Some(key) = key {
                    gateway
                        .usage
                        .failed(key, verdict.status, &verdict.message, now_ms());
                    let next = attempts.get(tried).filter(|_| replayable);
                    state
                        .0
                        .keys
                        .report_call_failure(&caller.label, key, failure, &verdict, &then(next))
                        .await?;
                }
                last_failure = Some(with_keyhub_headers(response, key_id, tried, replayable));
            }
        }
    }
    last_failure.ok_or_else(|| {
        RestError::new(
            StatusCode::CONFLICT,
            "keys_changed",
            "Every key that could serve this call was deleted or changed while it was being made. \
             Send it again.",
        )
    })
}

fn rate_limited(per_minute: u32, wait: Duration) -> RestError {
    RestError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "This token sent more than {per_minute} requests this minute (KeyHub's own limit, not \
             the provider's). Try again in {} seconds.",
            wait.as_secs().max(1)
        ),
    )
    .with_header("retry-after", wait.as_secs().max(1).to_string())
    .with_header("x-keyhub-rate-limited", "token".to_owned())
}

fn with_keyhub_headers(
    mut response: Response,
    key_id: &str,
    tried: usize,
    replayable: bool,
) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(key_id) {
        headers.insert("x-keyhub-key-id", value);
    }
    headers.insert("x-keyhub-attempts", HeaderValue::from(tried));
    if !replayable {
        headers.insert(
            "x-keyhub-retry",
            HeaderValue::from_static("off: the request body is too large to replay on another key"),
        );
    }
    response
}

/// What one try brought.
enum Outcome {
    /// An answer to pass on as it is (streamed): success, or an error that is the caller's.
    Answer(Response),
    /// A failure that moves on to the next key; `response` is what the caller gets if none is left.
    Failed {
        verdict: Verdict,
        failure: CallFailure,
        response: Response,
    },
}

/// What the gateway did after a key failed, for the activity log.
fn then(next: Option<&Attempt<'_>>) -> String {
    match next {
        Some(Attempt::Key(next)) => format!("moved on to {}", key_label(next)),
        Some(Attempt::Platform) => "moved on to the platform key".to_owned(),
        None => "no other key was left to try".to_owned(),
    }
}

/// The provider's answer, ended with an error when it sends nothing for `idle` (a provider that
/// stops mid-stream would otherwise hold the caller forever).
fn idle_limited<S>(
    chunks: S,
    idle: Duration,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send + 'static
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, reqwest::Error>> + Send + 'static,
{
    use futures_util::StreamExt;
    futures_util::stream::unfold(Some(Box::pin(chunks)), move |chunks| async move {
        let mut chunks = chunks?;
        match tokio::time::timeout(idle, chunks.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(chunks))),
            Ok(Some(Err(error))) => Some((Err(std::io::Error::other(error)), None)),
            Ok(None) => None,
            Err(_) => Some((
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the provider stopped sending",
                )),
                None,
            )),
        }
    })
}

/// Statuses that may mean the key (or its provider) failed, not the request.
fn may_fail_over(status: u16) -> bool {
    matches!(status, 400 | 401 | 402 | 403 | 429) || status >= 500
}

async fn send(
    state: &GatewayState,
    target: &Target,
    key: Option<&KeyRecord>,
    secret: &SecretString,
    incoming: &Incoming,
) -> Outcome {
    let provider = target.provider;
    let no_options = Map::new();
    let options = key.map_or(&no_options, |k| &k.options);
    let failed = |verdict: Verdict, status: StatusCode| {
        let response =
            RestError::new(status, "provider_unreachable", verdict.message.clone()).into_response();
        Outcome::Failed {
            verdict,
            failure: CallFailure::Rests,
            response,
        }
    };
    let base = match state.0.keys.prober().base_url(
        provider,
        key.and_then(|k| k.api_base.as_deref()),
        options,
    ) {
        Ok(base) => base,
        Err(reason) => {
            let verdict = unreachable(provider, crate::upstream::Unreachable::Refused);
            return Outcome::Failed {
                response: RestError::new(StatusCode::BAD_GATEWAY, "bad_base_url", reason)
                    .into_response(),
                failure: CallFailure::NotTried,
                verdict,
            };
        }
    };
    let Some(url) = upstream_url(&base, &incoming.path, &incoming.query) else {
        let verdict = unreachable(provider, crate::upstream::Unreachable::Refused);
        return Outcome::Failed {
            response: RestError::new(
                StatusCode::BAD_GATEWAY,
                "bad_base_url",
                "The key's base URL does not take this path.",
            )
            .into_response(),
            failure: CallFailure::NotTried,
            verdict,
        };
    };
    let mut headers = incoming.headers.clone();
    for (name, value) in auth_headers(provider, secret).iter() {
        if name != reqwest::header::USER_AGENT || !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let request = state
        .0
        .gateway
        .client
        .request(incoming.method.clone(), url)
        .headers(headers)
        .body(incoming.body.clone());
    let sent = tokio::time::timeout(state.0.gateway.config.response_timeout, request.send()).await;
    let response = match sent {
        // Too slow for this request (perhaps a long generation the caller asked for): the caller
        // hears so, and neither this key nor the next is charged with it.
        Err(_) => {
            let verdict = unreachable(provider, crate::upstream::Unreachable::Timeout);
            return Outcome::Answer(
                RestError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "provider_timeout",
                    verdict.message,
                )
                .into_response(),
            );
        }
        Ok(Err(error)) => {
            return failed(unreachable(provider, why(&error)), StatusCode::BAD_GATEWAY)
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    // KeyHub asks for plain answers; a compressed one could carry the key past redaction.
    if response
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .is_some_and(|encoding| encoding.as_bytes() != b"identity")
    {
        return Outcome::Answer(
            RestError::new(
                StatusCode::BAD_GATEWAY,
                "compressed_answer",
                format!(
                    "{} answered with a compressed body although KeyHub did not ask for one; \
                     KeyHub passes only plain answers.",
                    provider.name
                ),
            )
            .into_response(),
        );
    }
    let headers = response_headers(response.headers(), secret);
    if !may_fail_over(status.as_u16()) {
        let body = redact_stream(
            idle_limited(
                response.bytes_stream(),
                state.0.gateway.config.idle_stream_timeout,
            ),
            secret.clone(),
        );
        let mut answer = Response::new(Body::from_stream(body));
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        // Redaction may shorten the body.
        answer
            .headers_mut()
            .remove(axum::http::header::CONTENT_LENGTH);
        return Outcome::Answer(answer);
    }
    let retry = crate::upstream::retry::retry_after(
        response
            .headers()
            .get("retry-after-ms")
            .and_then(|v| v.to_str().ok()),
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        "",
        std::time::SystemTime::now(),
    );
    let body = match read_body(response).await {
        Ok(body) => body,
        Err(error) => return failed(unreachable(provider, why(&error)), StatusCode::BAD_GATEWAY),
    };
    let verdict = classify(
        provider,
        &Answer {
            http_status: status.as_u16(),
            body: &body,
            retry_after: retry,
        },
        secret.expose(),
    );
    let failure = CallFailure::of(&verdict)
        .filter(|_| status.as_u16() != 400 || verdict.status == KeyStatus::NoCredits);
    // The provider's words are passed on as they were (the caller's own request), but never the key.
    let body = crate::upstream::redact::redact(&body, secret.expose());
    let mut answer = Response::new(Body::from(body));
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    answer
        .headers_mut()
        .remove(axum::http::header::CONTENT_LENGTH);
    match failure {
        Some(failure) => Outcome::Failed {
            verdict,
            failure,
            response: answer,
        },
        None => Outcome::Answer(answer),
    }
}
