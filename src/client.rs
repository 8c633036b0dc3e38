//! Configured clients: environment, credentials, timeouts, user agent, retries.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::auth::session::Session;
use crate::error::Error;
use crate::hooks::{Cred, Inner, Shared};
use crate::meta::Family;
use crate::retry::RetryPolicy;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of one attempt, from sending to the end of the response body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The user agent every request carries.
pub const USER_AGENT: &str = concat!("kotanipay-rust/", env!("CARGO_PKG_VERSION"));

/// Where the Kotani Pay v3 API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://sandbox-api.kotanipay.com`
    Sandbox,
    /// `https://api.kotanipay.com`
    Production,
    /// Any other base URL (https, or http on loopback only).
    Custom(String),
}

impl Environment {
    /// The base URL.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Sandbox => "https://sandbox-api.kotanipay.com",
            Environment::Production => "https://api.kotanipay.com",
            Environment::Custom(u) => u,
        }
    }
}

/// Refuses a base URL that would send credentials in the clear: https only, except loopback.
pub(crate) fn check_base_url(raw: &str) -> Result<String, Error> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("base URL {raw:?} is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(Error::config(format!("base URL {raw:?} has no host"))),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::config(format!(
                "base URL {raw:?} is plain http: credentials would travel in the clear; use https (http is allowed on loopback only)"
            )));
        }
        s => {
            return Err(Error::config(format!(
                "base URL {raw:?} has unsupported scheme {s:?}"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "base URL {raw:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[derive(Clone)]
struct Common {
    base_url: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    log_bodies: bool,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            base_url: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            http: None,
            log_bodies: false,
        }
    }
}

impl Common {
    fn http(&self) -> Result<reqwest::Client, Error> {
        if let Some(c) = &self.http {
            return Ok(c.clone());
        }
        reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
    }
}

macro_rules! common_setters {
    () => {
        /// Connect timeout (default 10 s).
        pub fn connect_timeout(mut self, d: Duration) -> Self {
            self.common.connect_timeout = d;
            self
        }
        /// Timeout of one attempt, including the body (default 30 s).
        pub fn timeout(mut self, d: Duration) -> Self {
            self.common.timeout = d;
            self
        }
        /// The retry policy (see [`RetryPolicy`]); `RetryPolicy::disabled()` turns retries off.
        pub fn retry(mut self, policy: RetryPolicy) -> Self {
            self.common.retry = policy;
            self
        }
        /// Logs request and response bodies at DEBUG (target `kotanipay::body`), with every
        /// secret-looking JSON value (keys, tokens, secrets, signatures, card numbers, CVVs)
        /// replaced by `[REDACTED]` and non-JSON bodies reduced to their length. Off by default.
        pub fn log_bodies(mut self, on: bool) -> Self {
            self.common.log_bodies = on;
            self
        }
        /// Uses a reqwest client of your own (its timeouts and user agent then apply).
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.common.http = Some(client);
            self
        }
    };
}

/// Builds a [`crate::v3::Client`].
#[cfg(feature = "v3")]
#[derive(Default)]
pub struct V3Builder {
    common: Common,
    environment: Option<Environment>,
    cred: Option<Cred>,
    signing: Option<SecretString>,
}

#[cfg(feature = "v3")]
impl std::fmt::Debug for V3Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V3Builder")
            .field("environment", &self.environment)
            .field("base_url", &self.common.base_url)
            .field("credential", &self.cred.as_ref().map(|_| "[REDACTED]"))
            .field("signing_secret", &self.signing.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "v3")]
impl V3Builder {
    common_setters!();

    /// Sandbox (the default), production, or a custom base URL.
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = Some(env);
        self
    }

    /// A custom base URL (same as `environment(Environment::Custom(..))`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.common.base_url = Some(url.into());
        self
    }

    /// Authenticates with an API key (`Authorization: Bearer <key>`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.cred = Some(Cred::Static(SecretString::from(key.into())));
        self
    }

    /// Authenticates with a fixed JWT access token (no refresh; prefer [`Self::session`]).
    pub fn bearer_token(self, token: impl Into<String>) -> Self {
        self.api_key(token)
    }

    /// Authenticates with a magic-link session that refreshes itself.
    pub fn session(mut self, session: Session) -> Self {
        self.cred = Some(Cred::Session(session));
        self
    }

    /// Secure mode: signs every request with the secret of a key+secret pair.
    pub fn signing_secret(mut self, secret: impl Into<String>) -> Self {
        self.signing = Some(SecretString::from(secret.into()));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::v3::Client, Error> {
        let raw = match (&self.common.base_url, &self.environment) {
            (Some(u), _) => u.clone(),
            (None, Some(e)) => e.base_url().to_string(),
            (None, None) => Environment::Sandbox.base_url().to_string(),
        };
        let base = check_base_url(&raw)?;
        let inner = Inner(Arc::new(Shared::new(
            Family::V3,
            self.cred.unwrap_or(Cred::None),
            self.signing,
            self.common.retry.clone(),
            self.common.log_bodies,
        )));
        Ok(crate::v3::Client::new_with_client(
            &base,
            self.common.http()?,
            inner,
        ))
    }
}

/// Builds a [`crate::merchant::Client`].
#[cfg(feature = "merchant")]
#[derive(Default)]
pub struct MerchantBuilder {
    common: Common,
    key: Option<SecretString>,
}

#[cfg(feature = "merchant")]
impl std::fmt::Debug for MerchantBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantBuilder")
            .field("base_url", &self.common.base_url)
            .field("api_key", &self.key.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "merchant")]
impl MerchantBuilder {
    common_setters!();

    /// The merchant API's base URL (not published; required).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.common.base_url = Some(url.into());
        self
    }

    /// The merchant API key (`x-api-key`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(SecretString::from(key.into()));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::merchant::Client, Error> {
        let raw = self.common.base_url.clone().ok_or_else(|| {
            Error::config("the KutanaPay merchant API has no published base URL: set one with base_url() or KUTANAPAY_BASE_URL")
        })?;
        let base = check_base_url(&raw)?;
        let inner = Inner(Arc::new(Shared::new(
            Family::Merchant,
            self.key.map(Cred::Static).unwrap_or(Cred::None),
            None,
            self.common.retry.clone(),
            self.common.log_bodies,
        )));
        Ok(crate::merchant::Client::new_with_client(
            &base,
            self.common.http()?,
            inner,
        ))
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(feature = "v3")]
impl crate::v3::Client {
    /// A builder: sandbox by default.
    pub fn builder() -> V3Builder {
        V3Builder::default()
    }

    /// From the environment: `KOTANI_BASE_URL` (default: sandbox), `KOTANI_API_KEY`
    /// (optional: without it only public operations and the login work) and
    /// `KOTANI_SIGNING_SECRET` (optional: secure mode).
    pub fn from_env() -> Result<Self, Error> {
        let mut b = V3Builder::default();
        if let Some(u) = env_var("KOTANI_BASE_URL") {
            b = b.base_url(u);
        }
        if let Some(k) = env_var("KOTANI_API_KEY") {
            b = b.api_key(k);
        }
        if let Some(s) = env_var("KOTANI_SIGNING_SECRET") {
            b = b.signing_secret(s);
        }
        b.build()
    }

    /// A client like this one (same HTTP client, base URL, retries, signing) that
    /// authenticates with `session`.
    pub fn with_session(&self, session: Session) -> Self {
        self.with_cred(Cred::Session(session))
    }

    /// A client like this one that authenticates with an API key.
    pub fn with_api_key(&self, key: impl Into<String>) -> Self {
        self.with_cred(Cred::Static(SecretString::from(key.into())))
    }

    /// A client like this one that signs every request with `secret` (secure mode).
    pub fn with_signing_secret(&self, secret: impl Into<String>) -> Self {
        let signing = Some(SecretString::from(secret.into()));
        self.derive(|s| Shared { signing, ..s })
    }

    fn with_cred(&self, cred: Cred) -> Self {
        self.derive(|s| Shared { cred, ..s })
    }

    /// A client sharing this one's HTTP client and base URL, with changed settings.
    fn derive(&self, change: impl FnOnce(Shared) -> Shared) -> Self {
        let inner = Inner(Arc::new(self.inner.0.with(change)));
        Self::new_with_client(&self.baseurl, self.client.clone(), inner)
    }
}

#[cfg(feature = "merchant")]
impl crate::merchant::Client {
    /// A builder; the base URL is required.
    pub fn builder() -> MerchantBuilder {
        MerchantBuilder::default()
    }

    /// From the environment: `KUTANAPAY_BASE_URL` (required) and `KUTANAPAY_API_KEY`.
    pub fn from_env() -> Result<Self, Error> {
        let mut b = MerchantBuilder::default();
        if let Some(u) = env_var("KUTANAPAY_BASE_URL") {
            b = b.base_url(u);
        }
        if let Some(k) = env_var("KUTANAPAY_API_KEY") {
            b = b.api_key(k);
        }
        b.build()
    }
}
