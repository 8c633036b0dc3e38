//! The one request pipeline every generated operation goes through (progenitor `ClientHooks`):
//! credentials per the spec's `security`, session refresh, secure-mode signing, retries that
//! never repeat an unreferenced payment, and a tracing span per attempt.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use progenitor_client::OperationInfo;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Request, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::auth::session::{RefreshContext, Session};
use crate::meta::{Credential, Family, OperationMeta};
use crate::retry::RetryPolicy;

/// The credential a client sends.
#[derive(Clone)]
pub(crate) enum Cred {
    /// Nothing: only public operations will succeed.
    None,
    /// A fixed secret: an API key or a JWT (v3 bearer), or a merchant key (`x-api-key`).
    Static(SecretString),
    /// A magic-link session that refreshes itself (v3).
    Session(Session),
}

/// Shared state of a configured client; the `inner` of the generated client.
#[derive(Clone)]
pub struct Inner(pub(crate) Arc<Shared>);

#[derive(Clone)]
pub(crate) struct Shared {
    pub family: Family,
    pub cred: Cred,
    pub signing: Option<SecretString>,
    pub retry: RetryPolicy,
    /// Log request and response bodies (secrets redacted) at DEBUG, target `kotanipay::body`.
    pub log_bodies: bool,
    /// The header value of a `Cred::Static` credential, built once (sensitive). Derived from
    /// `cred`: build `Shared` with [`Shared::new`] or [`Shared::with`] to keep them in step.
    pub static_header: Option<HeaderValue>,
}

impl Shared {
    pub(crate) fn new(
        family: Family,
        cred: Cred,
        signing: Option<SecretString>,
        retry: RetryPolicy,
        log_bodies: bool,
    ) -> Self {
        let static_header = match &cred {
            Cred::Static(s) => credential_header(family, s.expose_secret()),
            _ => None,
        };
        Shared {
            family,
            cred,
            signing,
            retry,
            log_bodies,
            static_header,
        }
    }

    /// The same settings with some changed (the credential header follows the credential).
    pub(crate) fn with(&self, change: impl FnOnce(Shared) -> Shared) -> Self {
        let s = change(self.clone());
        Shared::new(s.family, s.cred, s.signing, s.retry, s.log_bodies)
    }
}

fn credential_header(family: Family, secret: &str) -> Option<HeaderValue> {
    let prefix = family.info().credential_prefix;
    let mut v = HeaderValue::from_str(&format!("{prefix}{secret}")).ok()?;
    v.set_sensitive(true);
    Some(v)
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cred = match &self.0.cred {
            Cred::None => "none",
            Cred::Static(_) => "[REDACTED]",
            Cred::Session(_) => "session [REDACTED]",
        };
        f.debug_struct("Inner")
            .field("family", &self.0.family)
            .field("credential", &cred)
            .field("signing_secret", &self.0.signing.as_ref().map(|_| "[REDACTED]"))
            .field("retry", &self.0.retry)
            .field("log_bodies", &self.0.log_bodies)
            .finish()
    }
}

impl Inner {
    /// Removes every credential this client holds (API key, session tokens current and
    /// previous, signing secret) from text it is about to print or keep.
    pub(crate) fn scrubber(&self) -> crate::redact::Scrubber {
        let session = match &self.0.cred {
            Cred::Session(s) => s.known_secrets(),
            _ => Vec::new(),
        };
        let fixed = match &self.0.cred {
            Cred::Static(s) => Some(s.expose_secret()),
            _ => None,
        };
        crate::redact::Scrubber::new(
            fixed
                .into_iter()
                .chain(self.0.signing.as_ref().map(|s| s.expose_secret()))
                .chain(session.iter().map(|s| s.expose())),
        )
    }

    /// The session of a client logged in by magic link, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.0.cred {
            Cred::Session(s) => Some(s),
            _ => None,
        }
    }
}

// Why a task-local and not a return value: progenitor's `ClientHooks::exec` may only return
// `reqwest::Result<Response>`, and the error progenitor builds from that response drops what
// `call()` needs to classify a failure safely: the status of a 2xx whose body did not decode
// (`InvalidResponsePayload` has none), the raw bytes of a typed error body, an ended session
// (the pre-hook can only return a string), the client whose credentials must be scrubbed, and
// whether an earlier attempt may have landed (a later 4xx is then not a definite failure). It
// goes once the generated operations call the pipeline directly instead of through progenitor's
// `send()` (issue #13).
tokio::task_local! {
    /// Set by `Operation::call` so the pipeline can tell it what the raw client cannot.
    pub(crate) static CALL: Arc<CallRecord>;
}

/// What one call saw, for building its error.
#[derive(Default)]
pub(crate) struct CallRecord {
    state: Mutex<Seen>,
}

#[derive(Default, Clone)]
pub(crate) struct Seen {
    pub attempts: u32,
    pub status: Option<StatusCode>,
    pub error_body: Option<bytes::Bytes>,
    pub retry_after: Option<Duration>,
    pub session_ended: bool,
    pub content_type: Option<String>,
    /// The client, for removing its credentials from the error.
    pub client: Option<Inner>,
    /// An earlier attempt may have reached the server (it was retried after a status, a
    /// timeout or a reset, not after a failed connect): a later definite-looking failure does
    /// not prove that nothing was taken.
    pub earlier_attempt_may_have_landed: bool,
}

impl CallRecord {
    pub(crate) fn snapshot(&self) -> Seen {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn record(f: impl FnOnce(&mut Seen)) {
    let _ = CALL.try_with(|r| f(&mut r.state.lock().unwrap_or_else(|e| e.into_inner())));
}

fn refresh_ctx<'a>(http: &'a reqwest::Client, baseurl: &'a str, inner: &'a Inner) -> RefreshContext<'a> {
    RefreshContext {
        http,
        baseurl,
        signing: inner.0.signing.as_ref(),
        refresh: inner.0.family.info().refresh,
    }
}

/// `ClientHooks::pre`, once per call: rewrites a JSON body as JavaScript's `JSON.stringify`
/// would write it (the exact bytes a Node server sees and checks a signature against), then
/// refreshes a session ahead of expiry.
pub(crate) async fn pre(
    http: &reqwest::Client,
    baseurl: &str,
    inner: &Inner,
    request: &mut Request,
    info: &OperationInfo,
) -> Result<(), String> {
    js_body(request)?;
    let Cred::Session(session) = &inner.0.cred else {
        return Ok(());
    };
    let needs = crate::meta::operation(inner.0.family, info.operation_id)
        .is_none_or(|m| m.credential == Credential::Standard);
    if !needs {
        return Ok(());
    }
    match session.access_token(&refresh_ctx(http, baseurl, inner)).await {
        Ok(_) => Ok(()),
        Err(e) => {
            record(|s| {
                s.session_ended = true;
                s.status = e.status();
            });
            Err(e.message().to_string())
        }
    }
}

/// Replaces a JSON request body by its JavaScript form (`JSON.stringify(JSON.parse(body))`).
/// A number that a JavaScript double cannot hold as written is refused: the server would read
/// another amount than the caller set.
fn js_body(request: &mut Request) -> Result<(), String> {
    let Some(body) = request.body().and_then(|b| b.as_bytes()) else {
        return Ok(());
    };
    let js = crate::jsjson::to_js_bytes(body)
        .map_err(|e| format!("the request body cannot be sent exactly: {e}"))?;
    if let std::borrow::Cow::Owned(bytes) = js {
        *request.body_mut() = Some(bytes.into());
    }
    Ok(())
}

/// Puts the credential the operation needs on the request. Returns the session generation of
/// the token used, when it came from a session.
async fn apply_credential(
    req: &mut Request,
    meta: Option<&OperationMeta>,
    inner: &Inner,
    ctx: &RefreshContext<'_>,
) -> Result<Option<u64>, crate::Error> {
    let want = meta.map_or(Credential::Standard, |m| m.credential);
    let header = HeaderName::from_static(inner.0.family.info().credential_header);
    if want == Credential::None {
        return Ok(None);
    }
    // A caller that set the header explicitly wins.
    if req.headers().contains_key(&header) {
        return Ok(None);
    }
    let (secret, generation) = match (&inner.0.cred, want) {
        (Cred::None, _) => return Ok(None),
        (Cred::Static(_), _) => {
            let v = inner
                .0
                .static_header
                .clone()
                .ok_or_else(|| crate::Error::config("the credential is not a valid HTTP header value"))?;
            req.headers_mut().insert(header, v);
            return Ok(None);
        }
        (Cred::Session(s), Credential::RefreshToken) => match s.refresh_token().await {
            Some(t) => (t, None),
            None => return Ok(None),
        },
        (Cred::Session(s), _) => {
            let (t, g) = s.access_token(ctx).await?;
            (t, Some(g))
        }
    };
    let v = credential_header(inner.0.family, secret.expose_secret())
        .ok_or_else(|| crate::Error::config("the credential is not a valid HTTP header value"))?;
    req.headers_mut().insert(header, v);
    Ok(generation)
}

/// Whether a money-moving request carries the caller's reference (non-empty).
fn has_reference(req: &Request, field: &str) -> bool {
    let Some(body) = req.body().and_then(|b| b.as_bytes()) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    match v.get(field) {
        Some(serde_json::Value::String(s)) => !s.trim().is_empty(),
        Some(serde_json::Value::Number(_)) => true,
        _ => false,
    }
}

/// May this request be sent more than once?
pub(crate) fn repeatable(meta: Option<&OperationMeta>, req: &Request) -> bool {
    match meta {
        Some(m) if m.moves_money => m.idempotency_field.is_some_and(|f| has_reference(req, f)),
        Some(m) => m.idempotent,
        None => matches!(*req.method(), reqwest::Method::GET | reqwest::Method::HEAD),
    }
}

/// Statuses worth another attempt of a repeatable request. 500 is included: the request is
/// safe to repeat (GET, idempotent, or deduplicated by its reference) and a 500 is often a
/// passing fault.
fn retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Reads a response fully and builds an identical one, so it can be inspected and still
/// returned. A body that breaks off is the connection's failure, never an empty body.
async fn buffer(resp: Response) -> reqwest::Result<(Response, bytes::Bytes)> {
    let status = resp.status();
    let version = resp.version();
    let headers = resp.headers().clone();
    let body = resp.bytes().await?;
    let mut builder = http::Response::builder().status(status).version(version);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    let rebuilt = builder
        .body(body.clone())
        .expect("status and headers came from a valid response");
    Ok((Response::from(rebuilt), body))
}

fn body_retry_after(body: &[u8]) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let s = v.pointer("/data/retryAfter")?.as_f64()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(3600.0)))
}

/// `ClientHooks::exec`: sends the request, with retries and one refresh on a 401.
pub(crate) async fn exec(
    http: &reqwest::Client,
    baseurl: &str,
    inner: &Inner,
    request: Request,
    info: &OperationInfo,
) -> reqwest::Result<Response> {
    let meta = crate::meta::operation(inner.0.family, info.operation_id);
    let policy = &inner.0.retry;
    let may_repeat = policy.enabled() && repeatable(meta, &request);
    let started = Instant::now();
    let ctx = refresh_ctx(http, baseurl, inner);
    let mut refreshed = false;
    let mut attempt: u32 = 0;
    let has_session = matches!(inner.0.cred, Cred::Session(_));
    record(|s| s.client = Some(inner.clone()));
    let mut next = Some(request);
    loop {
        attempt += 1;
        let Some(mut req) = next.take() else {
            unreachable!("every repeat is given its own copy of the request")
        };
        // A copy for a possible next attempt, taken before credentials and signature go on, and
        // only when there can be one (retries, or a session that may refresh after a 401). A
        // request whose body cannot be copied (a stream) is sent once.
        let spare = if may_repeat || (has_session && !refreshed) {
            req.try_clone()
        } else {
            None
        };
        let generation = match apply_credential(&mut req, meta, inner, &ctx).await {
            Ok(g) => g,
            Err(e) => {
                record(|s| s.session_ended = e.kind() == crate::ErrorKind::SessionEnded);
                // Send without a credential: the API answers 401, and the call reports the
                // ended session it recorded.
                None
            }
        };
        if let (Some(secret), true) = (&inner.0.signing, inner.0.family.info().signs_requests) {
            crate::auth::signing::sign(&mut req, secret);
        }
        let span = tracing::info_span!(
            target: "kotanipay",
            "kotanipay.request",
            operation_id = info.operation_id,
            method = %req.method(),
            path = meta.map_or("", |m| m.path),
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        if inner.0.log_bodies
            && let Some(body) = req.body().and_then(|b| b.as_bytes())
        {
            let text = inner
                .scrubber()
                .str(&crate::redact::redact_body(body))
                .into_owned();
            span.in_scope(|| tracing::debug!(target: "kotanipay::body", request_body = %text));
        }
        let t0 = Instant::now();
        let result = http.execute(req).instrument(span.clone()).await;
        span.record("duration_ms", t0.elapsed().as_millis() as u64);
        if let Ok(r) = &result {
            span.record("status", r.status().as_u16());
        }
        span.in_scope(|| tracing::debug!(target: "kotanipay", ok = result.is_ok(), "attempt finished"));
        record(|s| s.attempts = attempt);
        let can_repeat = spare.is_some() && may_repeat && attempt < policy.max_attempts;
        match result {
            Ok(resp) => {
                let status = resp.status();
                span.record("status", status.as_u16());
                let content_type = resp
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                record(|s| {
                    s.status = Some(status);
                    s.content_type = content_type;
                });
                if status == StatusCode::UNAUTHORIZED
                    && !refreshed
                    && spare.is_some()
                    && let (Cred::Session(session), Some(g)) = (&inner.0.cred, generation)
                {
                    refreshed = true;
                    match session.refresh_after_401(g, &ctx).await {
                        Ok(()) => {
                            attempt -= 1;
                            next = spare;
                            continue;
                        }
                        Err(_) => {
                            record(|s| s.session_ended = true);
                            return Ok(resp);
                        }
                    }
                }
                if status.is_success() && !inner.0.log_bodies {
                    return Ok(resp);
                }
                let (resp, body) = buffer(resp).await?;
                if inner.0.log_bodies {
                    let text = inner
                        .scrubber()
                        .str(&crate::redact::redact_body(&body))
                        .into_owned();
                    span.in_scope(|| tracing::debug!(target: "kotanipay::body", response_body = %text));
                }
                if status.is_success() {
                    return Ok(resp);
                }
                let wait_hint =
                    body_retry_after(&body).or_else(|| crate::error::retry_after_header(resp.headers()));
                record(|s| {
                    s.error_body = Some(body);
                    s.retry_after = wait_hint;
                });
                if can_repeat && retryable_status(status) {
                    let wait = wait_hint.unwrap_or_else(|| policy.backoff(attempt));
                    if policy.fits(started, wait) {
                        tracing::debug!(target: "kotanipay", status = status.as_u16(), wait_ms = wait.as_millis() as u64, "retrying");
                        record(|s| s.earlier_attempt_may_have_landed = true);
                        tokio::time::sleep(wait).await;
                        next = spare;
                        continue;
                    }
                }
                return Ok(resp);
            }
            Err(e) => {
                if can_repeat && (e.is_timeout() || e.is_connect() || e.is_request()) {
                    let wait = policy.backoff(attempt);
                    if policy.fits(started, wait) {
                        tracing::debug!(target: "kotanipay", timeout = e.is_timeout(), "retrying after a transport error");
                        if !e.is_connect() {
                            record(|s| s.earlier_attempt_may_have_landed = true);
                        }
                        tokio::time::sleep(wait).await;
                        next = spare;
                        continue;
                    }
                }
                return Err(e);
            }
        }
    }
}
