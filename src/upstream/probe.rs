//! Asking a provider whether a key works: the cheapest authenticated request of the catalog, sent
//! the provider's way, with short timeouts, no redirects to other hosts, and addresses checked after
//! DNS resolution (SPEC.md §5).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};
use serde_json::{Map, Value};

use super::address::address_allowed;
use super::address::clean_base_url;
use super::classify::{classify, unreachable, Answer, Unreachable, Verdict};
use super::retry::retry_after;
use crate::domain::catalog::{KeyAuth, Provider, Validation};
use crate::domain::keys::KeyStatus;
use crate::vault::SecretString;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// More than any probe answer needs; a larger body is cut.
const MAX_BODY: usize = 64 * 1024;

/// Resolves host names and drops addresses a provider may not have: link-local and metadata
/// addresses always, private and loopback ones unless private endpoints are allowed.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| address_allowed(addr.ip(), allow_private))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the host resolves only to addresses KeyHub may not call",
                ))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// How provider calls leave KeyHub: whether private addresses may be called, and the one proxy the
/// operator named (`KEYHUB_PROVIDER_PROXY`). A proxy from the environment (`HTTPS_PROXY`, …) is
/// never used: it would carry keys past the address rules.
#[derive(Clone, Debug, Default)]
pub struct Egress {
    pub allow_private: bool,
    /// An `http://` or `https://` proxy URL, checked when settings are read; it may carry a
    /// password.
    pub proxy: Option<SecretString>,
}

impl Egress {
    /// Straight to the provider, no proxy.
    pub fn direct(allow_private: bool) -> Egress {
        Egress {
            allow_private,
            proxy: None,
        }
    }
}

/// A client builder whose connections only reach addresses a provider may have: the builder every
/// provider call (validation and gateway) starts from.
pub fn guarded_client(egress: &Egress) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match &egress.proxy {
        // The proxy resolves provider names; addresses written in URLs are still checked
        // (`clean_base_url`), and the operator's proxy answers for the rest.
        Some(proxy) => builder.proxy(
            reqwest::Proxy::all(proxy.expose())
                .expect("KEYHUB_PROVIDER_PROXY is checked when settings are read"),
        ),
        None => builder.no_proxy().dns_resolver(Arc::new(GuardedResolver {
            allow_private: egress.allow_private,
        })),
    }
}

/// Sends validation probes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Prober {
    client: reqwest::Client,
    base_overrides: Arc<BTreeMap<String, String>>,
    allow_private: bool,
}

/// Where and how to ask.
struct Probe {
    method: reqwest::Method,
    url: String,
}

impl Prober {
    pub fn new(base_overrides: BTreeMap<String, String>, egress: &Egress) -> Prober {
        let client = guarded_client(egress)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .user_agent(concat!(
                "KeyHub/",
                env!("CARGO_PKG_VERSION"),
                " (key validation)"
            ))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_host = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.host_str() == attempt.url().host_str());
                if same_host && attempt.previous().len() < 3 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .expect("a TLS backend is compiled in");
        Prober {
            client,
            base_overrides: Arc::new(base_overrides),
            allow_private: egress.allow_private,
        }
    }

    /// Asks the provider about the key and classifies the answer.
    pub async fn validate(
        &self,
        provider: &Provider,
        secret: &SecretString,
        api_base: Option<&str>,
        options: &Map<String, Value>,
    ) -> Verdict {
        let probe = match self.probe(provider, api_base, options) {
            Ok(probe) => probe,
            Err(verdict) => return verdict,
        };
        if provider.auth == KeyAuth::GoogleServiceAccount {
            let assertion = match jwt_assertion(secret.expose(), &probe.url, SystemTime::now()) {
                Ok(assertion) => assertion,
                Err(reason) => return not_checked(provider, reason),
            };
            let form = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ];
            let sent = self.client.post(&probe.url).form(&form).send().await;
            return self.answer(provider, secret, sent).await;
        }
        let headers = match aws_access_key_id(provider, options) {
            Some(key_id) => {
                let region = options
                    .get("region")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match sigv4_headers(&probe.url, key_id, secret, region) {
                    Ok(headers) => headers,
                    Err(reason) => return not_checked(provider, &reason),
                }
            }
            None => auth_headers(provider, secret),
        };
        let mut request = self
            .client
            .request(probe.method.clone(), &probe.url)
            .headers(headers);
        if probe.method == reqwest::Method::POST {
            request = request
                .header("content-type", "application/json")
                .body("{}");
        }
        let sent = request.send().await;
        self.answer(provider, secret, sent).await
    }

    /// Reads and classifies the provider's answer to a probe.
    async fn answer(
        &self,
        provider: &Provider,
        secret: &SecretString,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Verdict {
        let response = match sent {
            Ok(response) => response,
            Err(error) => return unreachable(provider, why(&error)),
        };
        let http_status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (ms, seconds) = (header("retry-after-ms"), header("retry-after"));
        if (300..400).contains(&http_status) {
            return Verdict {
                status: KeyStatus::Unverified,
                http_status: Some(http_status),
                code: "redirect".to_owned(),
                message: format!(
                    "{} sent KeyHub elsewhere ({http_status}); KeyHub follows no redirects to other \
                     hosts. Check the base URL.",
                    provider.name
                ),
                retry_after: None,
            };
        }
        let body = match read_body(response).await {
            Ok(body) => body,
            Err(error) => return unreachable(provider, why(&error)),
        };
        let answer = Answer {
            http_status,
            body: &body,
            retry_after: retry_after(ms.as_deref(), seconds.as_deref(), &body, SystemTime::now()),
        };
        classify(provider, &answer, secret.expose())
    }

    /// The probe's URL: the key's base URL, else the instance's override, else the provider's own,
    /// with `{region}`-style holes filled from the options. Refused bases become verdicts.
    fn probe(
        &self,
        provider: &Provider,
        api_base: Option<&str>,
        options: &Map<String, Value>,
    ) -> Result<Probe, Verdict> {
        let (method, path) = match provider.validation {
            Validation::Probe { method, path } => (method, path),
            Validation::Manual { reason } => return Err(not_checked(provider, reason)),
        };
        if provider.auth == KeyAuth::GoogleServiceAccount {
            // The token endpoint is Google's (or the instance's override), never the one the
            // pasted JSON names.
            let url = match self.base_overrides.get(provider.id) {
                Some(base) => format!("{base}/token"),
                None => path.to_owned(),
            };
            let url = clean_base_url(Some(&url), self.allow_private)
                .map_err(|message| not_checked(provider, &message))?
                .unwrap_or_default();
            return Ok(Probe {
                method: reqwest::Method::POST,
                url,
            });
        }
        let base = self
            .base_url(provider, api_base, options)
            .map_err(|reason| not_checked(provider, &reason))?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        Ok(Probe {
            method,
            url: format!("{base}{}", fill_holes(path, options)),
        })
    }
}

impl Prober {
    /// Where a key's requests go: the key's base URL, else its resource endpoint option, else the
    /// instance's override, else the provider's own, with `{region}`-style holes filled from the
    /// options and the address rules applied (SPEC.md §5). The reason in words when there is none.
    pub fn base_url(
        &self,
        provider: &Provider,
        api_base: Option<&str>,
        options: &Map<String, Value>,
    ) -> Result<String, String> {
        let endpoint = options
            .get("endpoint")
            .and_then(Value::as_str)
            .filter(|_| provider.options.iter().any(|o| o.name == "endpoint"));
        let base = api_base
            .or(endpoint)
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .or_else(|| self.base_overrides.get(provider.id).cloned())
            .or_else(|| provider.default_base_url.map(str::to_owned))
            .ok_or_else(|| "there is no base URL to ask; give one under Advanced.".to_owned())?;
        Ok(
            clean_base_url(Some(&fill_holes(&base, options)), self.allow_private)?
                .unwrap_or_default(),
        )
    }
}

/// Fills `{region}`, `{location}` and `{api_version}` from a key's options.
fn fill_holes(text: &str, options: &Map<String, Value>) -> String {
    let option = |name: &str| {
        options
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    text.replace("{region}", option("region"))
        .replace("{location}", option("location"))
        .replace(
            "{api_version}",
            match option("api_version") {
                "" => "2024-10-21",
                version => version,
            },
        )
}

fn not_checked(provider: &Provider, reason: &str) -> Verdict {
    Verdict {
        status: KeyStatus::Unsupported,
        http_status: None,
        code: "not_checked".to_owned(),
        message: format!("{} keys cannot be checked here: {reason}", provider.name),
        retry_after: None,
    }
}

/// A Google service-account key proves itself by a JWT it signs (RS256), exchanged for a token.
fn jwt_assertion(json: &str, audience: &str, now: SystemTime) -> Result<String, &'static str> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let account: Value = serde_json::from_str(json).map_err(|_| "the key file is not JSON.")?;
    let email = account["client_email"]
        .as_str()
        .ok_or("the key file has no client_email.")?;
    let pem = account["private_key"]
        .as_str()
        .ok_or("the key file has no private_key.")?;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .map_err(|_| "the private_key in the key file is not a valid RSA key.")?;
    let issued = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let part = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let header = serde_json::json!({
        "alg": "RS256",
        "typ": "JWT",
        "kid": account["private_key_id"].as_str().unwrap_or_default(),
    });
    let claims = serde_json::json!({
        "iss": email,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "aud": audience,
        "iat": issued,
        "exp": issued + 3600,
    });
    let signing_input = format!("{}.{}", part(header), part(claims));
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let signature = signer.sign(signing_input.as_bytes()).to_bytes();
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// The access key id of an IAM key pair for AWS; `None` for a Bedrock API key (sent as a bearer
/// token) and for every other provider.
fn aws_access_key_id<'a>(provider: &Provider, options: &'a Map<String, Value>) -> Option<&'a str> {
    (provider.auth == KeyAuth::AwsSigV4)
        .then(|| options.get("access_key_id").and_then(Value::as_str))
        .flatten()
        .filter(|id| !id.trim().is_empty())
}

/// AWS Signature Version 4 for a GET to Bedrock, with the aws-sigv4 crate.
fn sigv4_headers(
    url: &str,
    access_key_id: &str,
    secret: &SecretString,
    region: &str,
) -> Result<HeaderMap, String> {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let identity =
        Credentials::new(access_key_id.trim(), secret.expose(), None, None, "keyhub").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("bedrock")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| "the AWS signature could not be built; check the region.".to_owned())?
        .into();
    let signable = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|_| "the request to sign is malformed; check the region.".to_owned())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|_| "the AWS signature could not be made.".to_owned())?
        .into_parts();
    let mut headers = HeaderMap::new();
    for (name, value) in instructions.headers() {
        if let (Ok(name), Ok(mut value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            value.set_sensitive(true);
            headers.insert(name, value);
        }
    }
    Ok(headers)
}

/// The key, sent the provider's way; none for a keyless local server.
pub(crate) fn auth_headers(provider: &Provider, secret: &SecretString) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static("KeyHub"));
    if secret.is_empty() {
        return headers;
    }
    let Ok(mut value) = HeaderValue::from_str(secret.expose()) else {
        return headers;
    };
    value.set_sensitive(true);
    match provider.auth {
        // A Bedrock API key (no access key id) is a bearer token.
        KeyAuth::Bearer | KeyAuth::AwsSigV4 => {
            if let Ok(mut bearer) = HeaderValue::from_str(&format!("Bearer {}", secret.expose())) {
                bearer.set_sensitive(true);
                headers.insert(AUTHORIZATION, bearer);
            }
        }
        KeyAuth::Header { name, extra } => {
            let lower = |name: &str| HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes());
            if let Ok(name) = lower(name) {
                headers.insert(name, value);
            }
            for (extra_name, extra_value) in extra {
                if let Ok(name) = lower(extra_name) {
                    headers.insert(name, HeaderValue::from_static(extra_value));
                }
            }
        }
        KeyAuth::GoogleServiceAccount | KeyAuth::None => {}
    }
    headers
}

pub(crate) async fn read_body(mut response: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BODY {
            body.truncate(MAX_BODY);
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Why a request failed, from reqwest's error and its sources.
pub(crate) fn why(error: &reqwest::Error) -> Unreachable {
    if error.is_timeout() {
        return Unreachable::Timeout;
    }
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        chain.push_str(&current.to_string().to_lowercase());
        chain.push(' ');
        source = current.source();
    }
    if chain.contains("dns") || chain.contains("lookup") || chain.contains("may not call") {
        Unreachable::Dns
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        Unreachable::Tls
    } else if chain.contains("refused") {
        Unreachable::Refused
    } else {
        Unreachable::Dropped
    }
}
