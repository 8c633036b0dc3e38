//! A magic-link login session: an access token that lasts an hour and a refresh token, renewed
//! ahead of expiry and once on a 401, one refresh at a time however many calls are waiting.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::Secret;
use crate::error::{Error, ErrorKind};

/// The tokens of a session.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Tokens {
    /// The access token (a JWT, one hour).
    pub access_token: Secret,
    /// The refresh token.
    pub refresh_token: Secret,
    /// The user the session belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The session id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl Tokens {
    /// When the access token expires, from its `exp` claim (the payload is decoded, not
    /// verified: the client cannot check the signature). `None` when it has no readable `exp`.
    pub fn access_expires_at(&self) -> Option<SystemTime> {
        jwt_expiry(self.access_token.expose())
    }
}

/// Reads the `exp` claim of a JWT without verifying it.
pub fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    (exp.is_finite() && exp >= 0.0).then(|| UNIX_EPOCH + Duration::from_secs_f64(exp))
}

/// Where a session's tokens are kept between runs.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The saved tokens, if any.
    fn load(&self) -> Result<Option<Tokens>, Error>;
    /// Saves new tokens (after a login or a refresh).
    fn save(&self, tokens: &Tokens) -> Result<(), Error>;
    /// Forgets the tokens (the session ended).
    fn clear(&self) -> Result<(), Error>;
}

/// Keeps tokens in memory only (the default).
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<Option<Tokens>>,
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<Tokens>, Error> {
        Ok(self.tokens.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
    fn save(&self, tokens: &Tokens) -> Result<(), Error> {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), Error> {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }
}

/// Keeps tokens in a JSON file readable and writable by its owner only (mode 0600 on Unix).
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path`; the file is created on the first save.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> Result<Option<Tokens>, Error> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| Error::config(format!("token file {} is not valid: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::config(format!(
                "cannot read token file {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn save(&self, tokens: &Tokens) -> Result<(), Error> {
        use std::io::Write;
        let body =
            serde_json::to_vec(tokens).map_err(|e| Error::config(format!("cannot encode tokens: {e}")))?;
        let tmp = self.path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let io = |e: std::io::Error| {
            Error::config(format!("cannot write token file {}: {e}", self.path.display()))
        };
        let mut f = opts.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        f.write_all(&body).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }

    fn clear(&self) -> Result<(), Error> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::config(format!(
                "cannot remove token file {}: {e}",
                self.path.display()
            ))),
        }
    }
}

struct State {
    tokens: Option<Tokens>,
    /// Bumped on every refresh, so a caller that saw a 401 with an old token knows whether
    /// somebody else has refreshed meanwhile.
    generation: u64,
}

/// A login session shared by every clone of a client. Cheap to clone.
#[derive(Clone)]
pub struct Session {
    shared: Arc<SessionShared>,
}

struct SessionShared {
    state: tokio::sync::Mutex<State>,
    store: Arc<dyn TokenStore>,
    /// Refresh margin in milliseconds.
    margin_ms: AtomicU64,
    refreshes: AtomicU64,
    /// The current and the previous tokens, kept so that errors can remove them from anything
    /// a server echoes (a std mutex: read from sync code, never held across an await).
    known: std::sync::Mutex<Vec<Secret>>,
}

/// Tokens kept for redaction: the current pair and the one before it.
const KNOWN_TOKENS: usize = 4;

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("tokens", &"[REDACTED]")
            .field("store", &self.shared.store)
            .field("margin", &self.margin())
            .finish()
    }
}

/// What the pipeline needs to refresh: the HTTP client, the base URL and the signing secret.
pub(crate) struct RefreshContext<'a> {
    pub http: &'a reqwest::Client,
    pub baseurl: &'a str,
    pub signing: Option<&'a SecretString>,
    /// The family's refresh call (`FamilyInfo::refresh`); `None` when it has no sessions.
    pub refresh: Option<RefreshFn>,
}

/// A family's session refresh: the old tokens in, the new ones out, through the family's
/// generated refresh operation and the one pipeline.
pub(crate) type RefreshFn = for<'a> fn(
    &'a Tokens,
    &'a RefreshContext<'a>,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Tokens, Error>> + Send + 'a>,
>;

impl Session {
    /// Default refresh margin: refresh when the access token has less than this left.
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);

    /// A session from tokens, kept in memory.
    pub fn new(tokens: Tokens) -> Self {
        let store = Arc::new(MemoryTokenStore::default());
        let _ = store.save(&tokens);
        Self::build(Some(tokens), store, Self::DEFAULT_MARGIN)
    }

    /// A session from tokens, saved to `store` now and after each refresh.
    pub fn with_store(tokens: Tokens, store: Arc<dyn TokenStore>) -> Result<Self, Error> {
        store.save(&tokens)?;
        Ok(Self::build(Some(tokens), store, Self::DEFAULT_MARGIN))
    }

    /// Resumes the session a store holds (after a restart); `None` when it holds none.
    pub fn resume(store: Arc<dyn TokenStore>) -> Result<Option<Self>, Error> {
        Ok(store
            .load()?
            .map(|t| Self::build(Some(t), store, Self::DEFAULT_MARGIN)))
    }

    fn build(tokens: Option<Tokens>, store: Arc<dyn TokenStore>, margin: Duration) -> Self {
        let known = tokens
            .iter()
            .flat_map(|t| [t.access_token.clone(), t.refresh_token.clone()])
            .collect();
        Session {
            shared: Arc::new(SessionShared {
                state: tokio::sync::Mutex::new(State {
                    tokens,
                    generation: 0,
                }),
                store,
                margin_ms: AtomicU64::new(u64::try_from(margin.as_millis()).unwrap_or(u64::MAX)),
                refreshes: AtomicU64::new(0),
                known: std::sync::Mutex::new(known),
            }),
        }
    }

    /// Sets how long before expiry the access token is refreshed (default 60 s). Applies to
    /// every clone of this session.
    pub fn with_refresh_margin(self, margin: Duration) -> Self {
        let ms = u64::try_from(margin.as_millis()).unwrap_or(u64::MAX);
        self.shared.margin_ms.store(ms, Ordering::Relaxed);
        self
    }

    /// How long before expiry the access token is refreshed.
    pub fn margin(&self) -> Duration {
        Duration::from_millis(self.shared.margin_ms.load(Ordering::Relaxed))
    }

    /// The current tokens (`None` once the session has ended).
    pub async fn tokens(&self) -> Option<Tokens> {
        self.shared.state.lock().await.tokens.clone()
    }

    /// How many refreshes this session has made.
    pub fn refresh_count(&self) -> u64 {
        self.shared.refreshes.load(Ordering::Relaxed)
    }

    /// The tokens this session holds and held just before (for redaction).
    pub(crate) fn known_secrets(&self) -> Vec<Secret> {
        self.shared
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn remember(&self, tokens: &Tokens) {
        let mut known = self.shared.known.lock().unwrap_or_else(|e| e.into_inner());
        known.extend([tokens.access_token.clone(), tokens.refresh_token.clone()]);
        let extra = known.len().saturating_sub(KNOWN_TOKENS);
        known.drain(..extra);
    }

    fn needs_refresh(&self, tokens: &Tokens) -> bool {
        match tokens.access_expires_at() {
            Some(exp) => SystemTime::now() + self.margin() >= exp,
            None => false,
        }
    }

    /// The access token to send, refreshed first when it is about to expire. Returns the
    /// token and the generation it belongs to.
    pub(crate) async fn access_token(&self, ctx: &RefreshContext<'_>) -> Result<(SecretString, u64), Error> {
        let mut state = self.shared.state.lock().await;
        let tokens = state.tokens.clone().ok_or_else(ended)?;
        if self.needs_refresh(&tokens) {
            let fresh = self.refresh_locked(&mut state, &tokens, ctx).await?;
            return Ok((fresh.access_token.secret_string(), state.generation));
        }
        Ok((tokens.access_token.secret_string(), state.generation))
    }

    /// The refresh token to send (for a caller of the refresh operation itself).
    pub(crate) async fn refresh_token(&self) -> Option<SecretString> {
        self.shared
            .state
            .lock()
            .await
            .tokens
            .as_ref()
            .map(|t| t.refresh_token.secret_string())
    }

    /// After a 401 with the token of `seen_generation`: refresh, unless someone already has.
    pub(crate) async fn refresh_after_401(
        &self,
        seen_generation: u64,
        ctx: &RefreshContext<'_>,
    ) -> Result<(), Error> {
        let mut state = self.shared.state.lock().await;
        if state.generation != seen_generation {
            return Ok(());
        }
        let tokens = state.tokens.clone().ok_or_else(ended)?;
        self.refresh_locked(&mut state, &tokens, ctx).await.map(|_| ())
    }

    async fn refresh_locked(
        &self,
        state: &mut State,
        old: &Tokens,
        ctx: &RefreshContext<'_>,
    ) -> Result<Tokens, Error> {
        self.shared.refreshes.fetch_add(1, Ordering::Relaxed);
        let call = match ctx.refresh {
            Some(refresh) => refresh(old, ctx).await,
            None => Err(Error::new(
                ErrorKind::SessionEnded,
                "refresh_token",
                "this API family has no session refresh",
            )),
        };
        match call {
            Ok(fresh) => {
                self.remember(&fresh);
                state.tokens = Some(fresh.clone());
                state.generation += 1;
                self.shared.store.save(&fresh)?;
                tracing::debug!(target: "kotanipay", generation = state.generation, "session refreshed");
                Ok(fresh)
            }
            Err(e) => {
                state.tokens = None;
                state.generation += 1;
                let _ = self.shared.store.clear();
                tracing::warn!(target: "kotanipay", "session refresh failed; the session has ended");
                Err(e)
            }
        }
    }
}

fn ended() -> Error {
    Error::new(
        ErrorKind::SessionEnded,
        "refresh_token",
        "the login session has ended; log in again with a magic link",
    )
}
