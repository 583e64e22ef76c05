//! Settings from `KEYHUB_*` environment variables (SPEC.md §8), loaded once at start. `main` reads
//! `.env` into the environment first; tests build settings from their own variable lists.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::catalog::PROVIDERS;
use crate::store::{sqlite_path, Backend};
use crate::upstream::Egress;
use crate::vault::SecretString;

pub mod proxies;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/keyhub.db";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("KEYHUB_DATABASE_URL must start with sqlite:// or postgres://")]
    DatabaseUrl,
    #[error("KEYHUB_PUBLIC_URL must be an http:// or https:// URL without a path, e.g. https://keys.example.com")]
    PublicUrl,
    #[error("{name} must be true or false (or 1 / 0)")]
    Flag { name: String },
    #[error("{name} names no provider KeyHub knows")]
    UnknownProvider { name: String },
    #[error("{name} must be an http:// or https:// URL")]
    ProviderBase { name: String },
    #[error("KEYHUB_REVALIDATE_HOURS must be a number of hours from 0 (off) to 8760")]
    RevalidateHours,
    #[error("KEYHUB_PROVIDER_PROXY must be an http:// or https:// proxy URL, e.g. http://proxy.internal:3128")]
    ProviderProxy,
    #[error("KEYHUB_GATEWAY_ADDR must be an address and port to listen on, e.g. 0.0.0.0:8081")]
    GatewayAddr,
    #[error("KEYHUB_TRUSTED_PROXIES must list IP addresses or CIDR ranges separated by commas; {entry:?} is neither")]
    TrustedProxies { entry: String },
    #[error("{name} must be a whole number from {min} to {max}")]
    Number {
        name: &'static str,
        min: u64,
        max: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Secret because a PostgreSQL URL may carry a password; see [`Settings::database_display`].
    pub database_url: SecretString,
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub master_key: Option<SecretString>,
    pub master_key_file: Option<PathBuf>,
    pub public_url: Option<String>,
    pub allow_private_endpoints: bool,
    /// `KEYHUB_PROVIDER_BASE_<ID>`: provider id → base URL, instance-wide.
    pub provider_base_overrides: BTreeMap<String, String>,
    /// Platform keys from the environment, by provider id.
    pub platform_keys: BTreeMap<&'static str, SecretString>,
    /// `KEYHUB_REVALIDATE_HOURS` (default 24): how often enabled keys are re-validated; `None` is off.
    pub revalidate_every: Option<std::time::Duration>,
    /// `KEYHUB_GATEWAY_TIMEOUT_SECS`, `KEYHUB_GATEWAY_IDLE_SECS`, `KEYHUB_GATEWAY_MAX_BODY_MB`,
    /// `KEYHUB_GATEWAY_REQUESTS_PER_MINUTE`.
    pub gateway: GatewayConfig,
    /// `KEYHUB_GATEWAY_ADDR`: the gateway gets a listener (an origin) of its own and leaves the
    /// main one.
    pub gateway_addr: Option<SocketAddr>,
    /// `KEYHUB_PROVIDER_PROXY`: the only proxy provider calls go through (secret: it may carry a
    /// password).
    pub provider_proxy: Option<SecretString>,
    /// `KEYHUB_HTTP_{HEADER,BODY,IDLE,REQUEST}_TIMEOUT_SECS`.
    pub http: HttpTimeouts,
    /// `KEYHUB_AUTO_MIGRATE` (default: true on SQLite, false on PostgreSQL): whether `serve` and the
    /// other commands bring an older schema up to date themselves. Several instances on one
    /// PostgreSQL are upgraded once, by `keyhub migrate`.
    pub auto_migrate: bool,
    /// `KEYHUB_TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client (default: nobody's).
    pub trusted_proxies: proxies::TrustedProxies,
}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_vars(std::env::vars())
    }

    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .collect();
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_owned());

        let database_url =
            get("KEYHUB_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let backend = Backend::from_url(&database_url).ok_or(ConfigError::DatabaseUrl)?;
        let data_dir = get("KEYHUB_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                sqlite_path(&database_url)
                    .and_then(|p| p.parent().map(PathBuf::from))
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| PathBuf::from("data"))
            });

        let public_url = get("KEYHUB_PUBLIC_URL")
            .map(|url| parse_public_url(&url))
            .transpose()?;

        let mut provider_base_overrides = BTreeMap::new();
        for (name, value) in vars.range("KEYHUB_PROVIDER_BASE_".to_owned()..) {
            let Some(suffix) = name.strip_prefix("KEYHUB_PROVIDER_BASE_") else {
                break;
            };
            let id = suffix.to_ascii_lowercase().replace('_', "-");
            if !PROVIDERS.iter().any(|p| p.id == id) {
                return Err(ConfigError::UnknownProvider { name: name.clone() });
            }
            let value = value.trim().trim_end_matches('/');
            if !(value.starts_with("https://") || value.starts_with("http://")) {
                return Err(ConfigError::ProviderBase { name: name.clone() });
            }
            provider_base_overrides.insert(id, value.to_owned());
        }

        let platform_keys = PROVIDERS
            .iter()
            .filter_map(|p| {
                let value = vars.get(p.platform_env?)?;
                Some((p.id, SecretString::new(value.trim())))
            })
            .collect();

        let number = |name: &'static str, default: u64, min: u64, max: u64| match get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or(ConfigError::Number { name, min, max }),
        };
        let defaults = GatewayConfig::default();
        let gateway = GatewayConfig {
            response_timeout: std::time::Duration::from_secs(number(
                "KEYHUB_GATEWAY_TIMEOUT_SECS",
                defaults.response_timeout.as_secs(),
                1,
                3600,
            )?),
            max_body: number(
                "KEYHUB_GATEWAY_MAX_BODY_MB",
                (defaults.max_body / (1024 * 1024)) as u64,
                1,
                1024,
            )? as usize
                * 1024
                * 1024,
            idle_stream_timeout: std::time::Duration::from_secs(number(
                "KEYHUB_GATEWAY_IDLE_SECS",
                defaults.idle_stream_timeout.as_secs(),
                1,
                3600,
            )?),
            requests_per_minute: number(
                "KEYHUB_GATEWAY_REQUESTS_PER_MINUTE",
                u64::from(defaults.requests_per_minute),
                0,
                1_000_000,
            )? as u32,
            ..defaults
        };

        let trusted_proxies =
            proxies::TrustedProxies::parse(&get("KEYHUB_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|entry| ConfigError::TrustedProxies { entry })?;

        let http_defaults = HttpTimeouts::default();
        let seconds = |name: &'static str, default: Duration| {
            number(name, default.as_secs(), 1, 3600).map(Duration::from_secs)
        };
        let http = HttpTimeouts {
            header: seconds("KEYHUB_HTTP_HEADER_TIMEOUT_SECS", http_defaults.header)?,
            body: seconds("KEYHUB_HTTP_BODY_TIMEOUT_SECS", http_defaults.body)?,
            idle: seconds("KEYHUB_HTTP_IDLE_TIMEOUT_SECS", http_defaults.idle)?,
            request: seconds("KEYHUB_HTTP_REQUEST_TIMEOUT_SECS", http_defaults.request)?,
        };

        Ok(Settings {
            gateway,
            trusted_proxies,
            gateway_addr: get("KEYHUB_GATEWAY_ADDR")
                .map(|addr| addr.parse().map_err(|_| ConfigError::GatewayAddr))
                .transpose()?,
            provider_proxy: get("KEYHUB_PROVIDER_PROXY")
                .map(|url| parse_proxy_url(&url))
                .transpose()?,
            http,
            database_url: SecretString::new(database_url),
            backend,
            data_dir,
            master_key: get("KEYHUB_MASTER_KEY").map(SecretString::new),
            master_key_file: get("KEYHUB_MASTER_KEY_FILE").map(PathBuf::from),
            public_url,
            allow_private_endpoints: flag(&vars, "KEYHUB_ALLOW_PRIVATE_ENDPOINTS")?,
            auto_migrate: match vars.contains_key("KEYHUB_AUTO_MIGRATE") {
                true => flag(&vars, "KEYHUB_AUTO_MIGRATE")?,
                false => backend == Backend::Sqlite,
            },
            provider_base_overrides,
            platform_keys,
            revalidate_every: match get("KEYHUB_REVALIDATE_HOURS") {
                None => Some(std::time::Duration::from_secs(24 * 3600)),
                Some(text) => match text.parse::<f64>() {
                    Ok(0.0) => None,
                    Ok(hours) if hours > 0.0 && hours <= 8760.0 => {
                        Some(std::time::Duration::from_secs_f64(hours * 3600.0))
                    }
                    _ => return Err(ConfigError::RevalidateHours),
                },
            },
        })
    }

    /// The database URL with any password masked, for logs and `keyhub check`.
    pub fn database_display(&self) -> String {
        let url = self.database_url.expose();
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.to_owned();
        };
        match rest.split_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        }
    }

    /// How provider calls leave KeyHub.
    pub fn egress(&self) -> Egress {
        Egress {
            allow_private: self.allow_private_endpoints,
            proxy: self.provider_proxy.clone(),
        }
    }

    /// Where the master key lives when `KEYHUB_MASTER_KEY` is not set.
    pub fn default_master_key_file(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }
}

fn parse_public_url(url: &str) -> Result<String, ConfigError> {
    let url = url.trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(ConfigError::PublicUrl)?;
    if rest.is_empty() || rest.contains('/') {
        return Err(ConfigError::PublicUrl);
    }
    Ok(url.to_owned())
}

fn parse_proxy_url(text: &str) -> Result<SecretString, ConfigError> {
    let url = reqwest::Url::parse(text).map_err(|_| ConfigError::ProviderProxy)?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| !host.is_empty())
        && reqwest::Proxy::all(text).is_ok();
    usable
        .then(|| SecretString::new(text))
        .ok_or(ConfigError::ProviderProxy)
}

fn flag(vars: &BTreeMap<String, String>, name: &str) -> Result<bool, ConfigError> {
    match vars
        .get(name)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("false" | "0" | "no" | "off") => Ok(false),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some(_) => Err(ConfigError::Flag {
            name: name.to_owned(),
        }),
    }
}

/// `KEYHUB_HTTP_*_TIMEOUT_SECS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// From a request's first byte to the end of its headers.
    pub header: Duration,
    /// The longest pause while a request body arrives.
    pub body: Duration,
    /// How long a connection may wait for its next request, or for its client to read.
    pub idle: Duration,
    /// From a request to the start of its answer (gateway streams excepted).
    pub request: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        HttpTimeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            request: Duration::from_secs(60),
        }
    }
}

/// How a gateway behaves: limits and timeouts (SPEC.md §8 `KEYHUB_GATEWAY_*`).
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Larger request bodies are refused (413).
    pub max_body: usize,
    /// Bodies up to this size are kept to be replayed on the next key; larger ones get one try.
    pub replay_limit: usize,
    /// Time for the provider to start answering (its headers); a stream may then run long.
    pub response_timeout: Duration,
    /// An answer that sends nothing for this long is ended.
    pub idle_stream_timeout: Duration,
    /// Time to receive the caller's whole request body.
    pub request_body_timeout: Duration,
    pub connect_timeout: Duration,
    /// Requests per token and minute; 0 is no limit.
    pub requests_per_minute: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            max_body: 16 * 1024 * 1024,
            replay_limit: 4 * 1024 * 1024,
            response_timeout: Duration::from_secs(60),
            idle_stream_timeout: Duration::from_secs(300),
            request_body_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(5),
            requests_per_minute: 600,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_are_sqlite_under_data() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.backend, Backend::Sqlite);
        assert_eq!(s.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(
            s.default_master_key_file(),
            PathBuf::from("data/master.key")
        );
        assert!(!s.allow_private_endpoints);
        assert!(s.master_key.is_none());
    }

    #[test]
    fn only_sqlite_migrates_on_start_unless_told() {
        let postgres = ("KEYHUB_DATABASE_URL", "postgres://db/keyhub");
        assert!(settings(&[]).unwrap().auto_migrate);
        assert!(!settings(&[postgres]).unwrap().auto_migrate);
        let told = settings(&[postgres, ("KEYHUB_AUTO_MIGRATE", "true")]).unwrap();
        assert!(told.auto_migrate);
        let told = settings(&[("KEYHUB_AUTO_MIGRATE", "off")]).unwrap();
        assert!(!told.auto_migrate);
        assert!(settings(&[("KEYHUB_AUTO_MIGRATE", "later")]).is_err());
    }

    #[test]
    fn postgres_urls_are_accepted_and_their_passwords_masked() {
        let s = settings(&[(
            "KEYHUB_DATABASE_URL",
            "postgres://keyhub:hunter2@db:5432/keyhub",
        )])
        .unwrap();
        assert_eq!(s.backend, Backend::Postgres);
        assert_eq!(s.database_display(), "postgres://keyhub:***@db:5432/keyhub");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(
            s.default_master_key_file(),
            PathBuf::from("data/master.key")
        );
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            settings(&[("KEYHUB_DATABASE_URL", "mysql://x")]).unwrap_err(),
            ConfigError::DatabaseUrl
        );
        assert_eq!(
            settings(&[("KEYHUB_PUBLIC_URL", "keys.example.com")]).unwrap_err(),
            ConfigError::PublicUrl
        );
        assert!(matches!(
            settings(&[("KEYHUB_ALLOW_PRIVATE_ENDPOINTS", "maybe")]),
            Err(ConfigError::Flag { .. })
        ));
        assert!(matches!(
            settings(&[("KEYHUB_PROVIDER_BASE_NOPE", "http://127.0.0.1:1")]),
            Err(ConfigError::UnknownProvider { .. })
        ));
        assert_eq!(
            settings(&[("KEYHUB_TRUSTED_PROXIES", "10.0.0.1, proxy.internal")]).unwrap_err(),
            ConfigError::TrustedProxies {
                entry: "proxy.internal".into()
            }
        );
        for proxy in ["proxy.internal:3128", "socks5://127.0.0.1:1080", "http://"] {
            assert_eq!(
                settings(&[("KEYHUB_PROVIDER_PROXY", proxy)]).unwrap_err(),
                ConfigError::ProviderProxy,
                "{proxy}"
            );
        }
        assert_eq!(
            settings(&[("KEYHUB_GATEWAY_ADDR", "gateway")]).unwrap_err(),
            ConfigError::GatewayAddr
        );
        assert!(matches!(
            settings(&[("KEYHUB_HTTP_HEADER_TIMEOUT_SECS", "0")]),
            Err(ConfigError::Number { .. })
        ));
    }

    #[test]
    fn timeouts_proxy_and_gateway_listener_are_read() {
        let defaults = settings(&[]).unwrap();
        assert_eq!(defaults.http, HttpTimeouts::default());
        assert_eq!(defaults.gateway_addr, None);
        assert!(defaults.egress().proxy.is_none());
        let s = settings(&[
            ("KEYHUB_HTTP_HEADER_TIMEOUT_SECS", "5"),
            ("KEYHUB_HTTP_BODY_TIMEOUT_SECS", "6"),
            ("KEYHUB_HTTP_IDLE_TIMEOUT_SECS", "7"),
            ("KEYHUB_HTTP_REQUEST_TIMEOUT_SECS", "8"),
            ("KEYHUB_GATEWAY_ADDR", "0.0.0.0:8081"),
            (
                "KEYHUB_PROVIDER_PROXY",
                "http://user:hunter2@proxy.internal:3128",
            ),
        ])
        .unwrap();
        assert_eq!(
            s.http,
            HttpTimeouts {
                header: Duration::from_secs(5),
                body: Duration::from_secs(6),
                idle: Duration::from_secs(7),
                request: Duration::from_secs(8),
            }
        );
        assert_eq!(s.gateway_addr, Some("0.0.0.0:8081".parse().unwrap()));
        assert!(s.egress().proxy.is_some());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn provider_base_overrides_and_platform_keys_are_read() {
        let s = settings(&[
            ("KEYHUB_PROVIDER_BASE_OPENAI", "http://127.0.0.1:9999/v1/"),
            (
                "KEYHUB_PROVIDER_BASE_AZURE_OPENAI",
                "https://proxy.example.com",
            ),
            ("ANTHROPIC_API_KEY", "sk-ant-platform"),
            ("KEYHUB_ALLOW_PRIVATE_ENDPOINTS", "true"),
            ("KEYHUB_PUBLIC_URL", "https://keys.example.com/"),
        ])
        .unwrap();
        assert_eq!(
            s.provider_base_overrides["openai"],
            "http://127.0.0.1:9999/v1"
        );
        assert_eq!(
            s.provider_base_overrides["azure-openai"],
            "https://proxy.example.com"
        );
        assert_eq!(s.platform_keys["anthropic"].expose(), "sk-ant-platform");
        assert!(s.allow_private_endpoints);
        assert_eq!(s.public_url.as_deref(), Some("https://keys.example.com"));
        assert!(!format!("{s:?}").contains("sk-ant-platform"));
    }
}
