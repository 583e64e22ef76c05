//! A fake AI provider for tests: answers like each provider family does, driven by the key's text,
//! so a test picks the outcome by the key it pastes. Point a provider at it with
//! `KEYHUB_PROVIDER_BASE_<ID>=http://127.0.0.1:<port>/<id>` (and private endpoints allowed).
//!
//! The key chooses: `invalid`, `expired`, `restricted`, `nocredits`, `ratelimit` (429 with
//! `retry-after: 30`), `down` (503), `overloaded` (529), `slow` (answers after 15 s), `slowish`
//! (a valid key, answered after 100 ms), `drop` (the
//! connection breaks mid-answer), `soon-broke` / `soon-busy` / `soon-fail` / `soon-revoked` (valid
//! once, then out of credit / rate-limited / failing / rejected); anything else is a valid key.
//! Local Ollama needs no key. Besides validation's `…/models`, a key with `callreject` is refused
//! (401), one with `callsnail` answers after 15 s, one with `stall` sends one event and then nothing, one with `garble` one event and then bytes that are no stream, and one with `hostile` gets a hostile HTML page that echoes the key, tries to run script,
//! set cookies and navigate; any request with an `OpenAI-Organization` header is refused (401), as
//! OpenAI refuses an organization the key does not belong to.
//!
//! A valid key's `POST …/chat/completions` answers a completion, or with `"stream": true` five
//! server-sent events 300 ms apart, as the gateway's callers expect.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

/// The `KEYHUB_*` settings that point every provider of the catalog at the fake provider at `base`,
/// with private endpoints allowed (it listens on loopback).
pub fn settings(base: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = keyhub::domain::catalog::PROVIDERS
        .iter()
        .map(|p| {
            let name = p.id.to_uppercase().replace('-', "_");
            (
                format!("KEYHUB_PROVIDER_BASE_{name}"),
                format!("{base}/{}", p.id),
            )
        })
        .collect();
    vars.push(("KEYHUB_ALLOW_PRIVATE_ENDPOINTS".into(), "true".into()));
    vars
}

/// One request the fake provider received: which family, method, path and which key header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub family: String,
    pub method: String,
    pub path: String,
    pub key_header: Option<String>,
    pub key: String,
    pub query: String,
}

#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Seen>>>, Arc<Gauge>);

/// How many requests are being answered at once, and the most ever.
#[derive(Default)]
pub struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

impl Log {
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// The most requests that were ever answered at the same time.
    pub fn most_at_once(&self) -> usize {
        self.1.most.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const KEY_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "api-key",
    "xi-api-key",
    "ocp-apim-subscription-key",
];

pub fn router(log: Log) -> Router {
    Router::new()
        .route("/_fake/seen", axum::routing::get(seen))
        .route("/{family}", any(answer))
        .route("/{family}/{*rest}", any(answer))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(log)
}

/// What the fake provider was asked so far, one `METHOD /path` line per request (for scripts that
/// run it as a program, e.g. scripts/cluster.sh).
async fn seen(State(log): State<Log>) -> String {
    log.all()
        .iter()
        .map(|seen| format!("{} {}\n", seen.method, seen.path))
        .collect()
}

/// Starts the fake provider on a loopback port; returns its base address and request log.
pub async fn spawn() -> (String, Log) {
    let log = Log::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(log.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), log)
}

/// A Google service account proves itself with a signed JWT; the fake reads its issuer (the
/// account's email), which drives the outcome like a key's text does. It does not check the
/// signature.
fn jwt_issuer(form: &str) -> Option<String> {
    use base64::Engine;
    let assertion = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("assertion="))?;
    let claims = assertion.split('.').nth(1)?;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&claims).ok()?;
    Some(claims["iss"].as_str()?.to_owned())
}

async fn answer(
    State(log): State<Log>,
    Path(parts): Path<Vec<String>>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: String,
) -> Response {
    let family = parts.first().cloned().unwrap_or_default();
    if family == "google-vertex" {
        let issuer = jwt_issuer(&body).unwrap_or_default();
        log.0.lock().unwrap().push(Seen {
            family: family.clone(),
            method: method.to_string(),
            path: uri.path().to_owned(),
            key_header: None,
            key: issuer.clone(),
            query: uri.query().unwrap_or_default().to_owned(),
        });
        return if issuer.is_empty() || issuer.contains("invalid") {
            json(
                400,
                r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#.into(),
            )
        } else {
            json(
                200,
                r#"{"access_token":"ya29.fake","expires_in":3599,"token_type":"Bearer"}"#.into(),
            )
        };
    }
    let (key_header, key) = KEY_HEADERS
        .iter()
        .find_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            // An AWS signature carries the access key id, not the secret: that id drives AWS.
            let signed = value
                .strip_prefix("AWS4-HMAC-SHA256 Credential=")
                .and_then(|rest| rest.split('/').next());
            let key = signed.unwrap_or_else(|| value.strip_prefix("Bearer ").unwrap_or(value));
            Some((name.to_string(), key.to_owned()))
        })
        .unzip();
    let key = key.unwrap_or_default();
    // Only `soon-` keys change with history; others never scan the log (benchmarks send many).
    let asked_before =
        key.contains("soon-") && log.0.lock().unwrap().iter().any(|seen| seen.key == key);
    let key = match asked_before {
        true => key
            .replace("soon-broke", "nocredits")
            .replace("soon-busy", "ratelimit")
            .replace("soon-fail", "down")
            .replace("soon-revoked", "invalid"),
        false => key,
    };
    log.0.lock().unwrap().push(Seen {
        family: family.clone(),
        method: method.to_string(),
        path: uri.path().to_owned(),
        key_header,
        key: key.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
    });
    use std::sync::atomic::Ordering::SeqCst;
    let now = log.1.now.fetch_add(1, SeqCst) + 1;
    log.1.most.fetch_max(now, SeqCst);
    let completion = method == Method::POST && uri.path().ends_with("/chat/completions");
    let validation = uri.path().ends_with("/models");
    if !validation && key.contains("callsnail") {
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    let response = match call_only(&headers, &key, validation) {
        Some(special) => special,
        None => match outcome(&family, &key).await {
            ok if ok.status() == StatusCode::OK && completion => {
                complete(body.contains("\"stream\":true"))
            }
            other => other,
        },
    };
    log.1.now.fetch_sub(1, SeqCst);
    response
}

/// Answers that only calls get (never validation's `…/models`).
fn call_only(headers: &HeaderMap, key: &str, validation: bool) -> Option<Response> {
    if validation {
        return None;
    }
    if headers.contains_key("openai-organization") || key.contains("callreject") {
        return Some(json(
            401,
            r#"{"error":{"message":"OpenAI-Organization header should match organization for API key","type":"invalid_request_error","code":"mismatched_organization"}}"#.into(),
        ));
    }
    if key.contains("stall") {
        use futures_util::StreamExt;
        let first = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(axum::body::Bytes::from("data: {\"part\": 0}\n\n"))
        });
        let then_nothing = first.chain(futures_util::stream::pending());
        return Some(event_stream(Body::from_stream(then_nothing)));
    }
    if key.contains("garble") {
        let garbage: &[u8] =
            b"data: {\"part\": 0}\n\n\xff\xfe\x00\x1b[2J{\"choices\": [\x07\r\n\r\n";
        return Some(event_stream(Body::from(garbage)));
    }
    key.contains("hostile").then(|| hostile_page(key))
}

/// A 200 answer that says it is a stream of server-sent events, whatever `body` holds.
fn event_stream(body: Body) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(body)
        .unwrap()
}

/// What a hostile upstream answers: a page that would run script as whoever serves it, with
/// headers that would navigate, set and clear cookies, relax CORS, and echo the key.
pub fn hostile_page(key: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><head><title>upstream</title></head><body>\
         <p id=\"echo\">{key}</p>\
         <script>document.title = 'pwned'; \
         fetch('/api/auth/viewer', {{method: 'POST'}}).then(r => r.text()).then(t => {{ \
         document.body.setAttribute('data-stolen', t); }});</script></body></html>"
    );
    Response::builder()
        .status(200)
        .header("content-type", "text/html; charset=utf-8")
        .header(
            "content-security-policy",
            "script-src 'unsafe-inline' *; connect-src *",
        )
        .header("location", "/settings")
        .header("refresh", "0;url=/api/auth/logout")
        .header("set-cookie", "keyhub_session=attacker; Path=/")
        .header("clear-site-data", "\"cookies\"")
        .header("access-control-allow-origin", "*")
        .header("access-control-allow-credentials", "true")
        .header("x-echo", format!("Bearer {key}"))
        .body(Body::from(page))
        .unwrap()
}

/// A chat completion, or its stream of server-sent events.
fn complete(stream: bool) -> Response {
    if !stream {
        return json(200, r#"{"id":"chatcmpl-fake","object":"chat.completion","created":1764460800,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#.into());
    }
    let events = futures_util::stream::unfold(0, |n| async move {
        if n > 5 {
            return None;
        }
        if n > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let event = match n {
            5 => "data: [DONE]\n\n".to_owned(),
            n => format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"part {n}\"}}}}]}}\n\n"),
        };
        Some((
            Ok::<_, std::io::Error>(axum::body::Bytes::from(event)),
            n + 1,
        ))
    });
    event_stream(Body::from_stream(events))
}

fn json(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

/// An echo of the key's start, as real providers put in their error messages.
fn echo(key: &str) -> String {
    format!(
        "{}****{}",
        &key[..key.len().min(8)],
        &key[key.len().saturating_sub(4)..]
    )
}

async fn outcome(family: &str, key: &str) -> Response {
    let google = matches!(family, "google" | "google-tts");
    let lower = key.to_lowercase();
    let has = |word: &str| lower.contains(word);
    if key.is_empty() && family != "ollama" {
        return json(
            401,
            r#"{"error":{"message":"No API key provided","code":"missing_api_key"}}"#.into(),
        );
    }
    if has("slowish") {
        tokio::time::sleep(Duration::from_millis(100)).await;
    } else if has("slow") {
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    if has("drop") {
        let broken = futures_util::stream::once(async {
            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
        });
        return Response::builder()
            .status(200)
            .body(Body::from_stream(broken))
            .unwrap();
    }
    if has("invalid") {
        return match family {
            _ if google => json(400, r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#.into()),
            "aws-bedrock" => json(403, r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#.into()),
            "xai" => json(400, format!(r#"{{"error":"Incorrect API key provided: {}. You can obtain an API key from https://console.x.ai."}}"#, echo(key))),
            "elevenlabs" => json(401, r#"{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}"#.into()),
            "anthropic" => json(401, r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.into()),
            _ => json(401, format!(r#"{{"error":{{"message":"Incorrect API key provided: {}.","type":"invalid_request_error","code":"invalid_api_key"}}}}"#, echo(key))),
        };
    }
    if has("expired") {
        return match family {
            _ if google => json(400, r#"{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#.into()),
            _ => json(401, r#"{"message":"Your API key has expired. Please create a production key"}"#.into()),
        };
    }
    if has("restricted") {
        return match family {
            _ if google => json(403, r#"{"error":{"code":403,"status":"PERMISSION_DENIED","details":[{"reason":"API_KEY_SERVICE_BLOCKED"}]}}"#.into()),
            "elevenlabs" => json(401, r#"{"detail":{"status":"missing_permissions","message":"The API key you used is missing the permission user_read"}}"#.into()),
            _ => json(401, r#"{"error":{"message":"You have insufficient permissions for this operation. Missing scopes: api.model.read."}}"#.into()),
        };
    }
    if has("nocredits") {
        return match family {
            "openai" | "openai-tts" | "openai-dalle" => json(429, r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#.into()),
            "anthropic" => json(400, r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#.into()),
            "elevenlabs" => json(401, r#"{"detail":{"status":"quota_exceeded","message":"This request exceeds your quota. You have 0 credits remaining"}}"#.into()),
            "deepseek" => json(200, r#"{"is_available":false,"balance_infos":[]}"#.into()),
            "openrouter" => json(200, r#"{"data":{"label":"k","limit":10,"limit_remaining":0}}"#.into()),
            "xai" => json(429, r#"{"error":"Your team has either used all available credits or reached its monthly spending limit."}"#.into()),
            _ if google => json(403, r#"{"error":{"code":403,"message":"This API method requires billing to be enabled","details":[{"reason":"BILLING_DISABLED"}]}}"#.into()),
            _ => json(402, r#"{"error":{"message":"Insufficient credits"}}"#.into()),
        };
    }
    if has("ratelimit") {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "application/json"), ("retry-after", "30")],
            r#"{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}"#,
        )
            .into_response();
    }
    if has("overloaded") {
        return json(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.into(),
        );
    }
    if has("down") {
        return json(503, r#"{"error":{"message":"Service unavailable"}}"#.into());
    }
    match family {
        "cohere" => json(200, r#"{"valid":true,"organization_id":"org"}"#.into()),
        "deepseek" => json(200, r#"{"is_available":true,"balance_infos":[]}"#.into()),
        "openrouter" => json(200, r#"{"data":{"label":"k","limit":10,"limit_remaining":9.5}}"#.into()),
        "xai" => json(200, r#"{"acls":["api-key:model:*"],"team_blocked":false,"api_key_blocked":false,"api_key_disabled":false}"#.into()),
        "ollama" => json(200, r#"{"version":"0.9.0"}"#.into()),
        _ => json(200, r#"{"object":"list","data":[]}"#.into()),
    }
}
