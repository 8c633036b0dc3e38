//! The one request pipeline every generated operation goes through (progenitor `ClientHooks`):
//! credentials per the spec's `security`, session refresh, secure-mode signing, retries that
//! never repeat an unreferenced payment, and a tracing span per attempt.

use std::fmt;
use std::sync::Arc;
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

// Why a record beside the return value: progenitor's `ClientHooks::exec` may only return
// `reqwest::Result<Response>`, and the error progenitor builds from that response drops what
// `call()` needs to classify a failure safely: the status of a 2xx whose body did not decode
// (`InvalidResponsePayload` has none), the raw bytes of a typed error body, an ended session
// (the pre-hook can only return a string), the client whose credentials must be scrubbed, and
// whether an earlier attempt may have landed (a later 4xx is then not a definite failure).
//
// The generated `send()` is rewritten (kotanipay-codegen `emit::send`) into `send_in`, which
// hands a `&mut Record` to each step of the pipeline in turn. `call()` keeps the record in its
// own future and reads it when the call ends: no task-local to swap in and out at every poll,
// no allocation, no lock, no reference count. A successful call writes only the client and the
// status; what only a failure needs is allocated when there is one. Progenitor's own `send()`
// passes a record nobody reads.

/// What one call saw, as the pipeline writes it: small, with what only a failure needs behind
/// one allocation made only then.
#[doc(hidden)]
#[derive(Default)]
pub struct Record {
    /// The operation, known to `call()` at compile time (no lookup by operationId).
    meta: Option<&'static OperationMeta>,
    status: Option<StatusCode>,
    session_ended: bool,
    earlier_attempt_may_have_landed: bool,
    client: Option<Inner>,
    failure: Option<Box<FailureSeen>>,
}

#[derive(Default)]
struct FailureSeen {
    error_body: Option<bytes::Bytes>,
    retry_after: Option<Duration>,
    content_type: Option<HeaderValue>,
}

impl Record {
    pub(crate) fn for_operation(meta: &'static OperationMeta) -> Record {
        Record {
            meta: Some(meta),
            ..Record::default()
        }
    }

    fn failure(&mut self) -> &mut FailureSeen {
        self.failure.get_or_insert_with(Box::default)
    }

    /// The record as `call()` reads it.
    pub(crate) fn into_seen(self) -> Seen {
        let f = self.failure.map(|b| *b).unwrap_or_default();
        Seen {
            status: self.status,
            error_body: f.error_body,
            retry_after: f.retry_after,
            session_ended: self.session_ended,
            content_type: f.content_type,
            client: self.client,
            earlier_attempt_may_have_landed: self.earlier_attempt_may_have_landed,
        }
    }
}

/// What one call saw, for building its error.
#[derive(Default, Clone)]
pub(crate) struct Seen {
    pub status: Option<StatusCode>,
    pub error_body: Option<bytes::Bytes>,
    pub retry_after: Option<Duration>,
    pub session_ended: bool,
    /// The `content-type` of a success whose body did not decode (recorded only then).
    pub content_type: Option<HeaderValue>,
    /// The client, for removing its credentials from the error.
    pub client: Option<Inner>,
    /// An earlier attempt may have reached the server (it was retried after a status, a
    /// timeout or a reset, not after a failed connect): a later definite-looking failure does
    /// not prove that nothing was taken.
    pub earlier_attempt_may_have_landed: bool,
}

/// Progenitor's `ResponseValue::from_response` without its copy of the header map: the
/// generated `send()` calls this instead (see `kotanipay-codegen`, `emit::send`). The headers
/// are moved out of the response before its body is read; a body that does not decode records
/// its content type for the error message.
///
/// Written as a block rather than an `async fn`, which would keep the response twice in the
/// future (as its parameter and as a local).
#[doc(hidden)]
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` keeps its by-value parameters twice in its future"
)]
pub fn response_value<T: serde::de::DeserializeOwned, E>(
    mut response: Response,
    record: &mut Record,
) -> impl std::future::Future<Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>> + '_
{
    async move {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let full = response
            .bytes()
            .await
            .map_err(progenitor_client::Error::ResponseBodyError)?;
        match serde_json::from_slice(&full) {
            Ok(inner) => Ok(progenitor_client::ResponseValue::new(inner, status, headers)),
            Err(e) => {
                record.status = Some(status);
                record.failure().content_type = headers.get(reqwest::header::CONTENT_TYPE).cloned();
                Err(progenitor_client::Error::InvalidResponsePayload(full, e))
            }
        }
    }
}

/// The operation being sent: from the call's record when `call()` sends it (known at compile
/// time), looked up by operationId when progenitor's own `send()` does.
fn operation_meta(inner: &Inner, info: &OperationInfo, record: &Record) -> Option<&'static OperationMeta> {
    record
        .meta
        .filter(|m| m.id == info.operation_id)
        .or_else(|| crate::meta::operation(inner.0.family, info.operation_id))
}

fn refresh_ctx<'a>(http: &'a reqwest::Client, baseurl: &'a str, inner: &'a Inner) -> RefreshContext<'a> {
    RefreshContext {
        http,
        baseurl,
        signing: inner.0.signing.as_ref(),
        refresh: inner.0.family.info().refresh,
    }
}

/// The pre-step (`ClientHooks::pre`), once per call: rewrites a JSON body as JavaScript's
/// `JSON.stringify` would write it (the exact bytes a Node server sees and checks a signature
/// against), then refreshes a session ahead of expiry.
pub(crate) async fn pre(
    http: &reqwest::Client,
    baseurl: &str,
    inner: &Inner,
    request: &mut Request,
    info: &OperationInfo,
    record: &mut Record,
) -> Result<(), String> {
    js_body(request)?;
    let Cred::Session(session) = &inner.0.cred else {
        return Ok(());
    };
    let needs = operation_meta(inner, info, record).is_none_or(|m| m.credential == Credential::Standard);
    if !needs {
        return Ok(());
    }
    // Boxed: a session's refresh is a whole HTTP call, and inline it would make every call's
    // future (moved and polled on every request) as large as that.
    match Box::pin(session.access_token(&refresh_ctx(http, baseurl, inner))).await {
        Ok(_) => Ok(()),
        Err(e) => {
            record.session_ended = true;
            record.status = e.status();
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

/// Puts the credential the operation needs on the request, when no session is involved: a
/// fixed key, nothing, or a header the caller set. Returns the header a session token must go
/// into when the client holds a session and the operation needs one.
fn apply_fixed_credential(
    req: &mut Request,
    meta: Option<&OperationMeta>,
    inner: &Inner,
) -> Result<Option<(HeaderName, Credential)>, crate::Error> {
    let want = meta.map_or(Credential::Standard, |m| m.credential);
    if want == Credential::None {
        return Ok(None);
    }
    let header = HeaderName::from_static(inner.0.family.info().credential_header);
    // A caller that set the header explicitly wins.
    if req.headers().contains_key(&header) {
        return Ok(None);
    }
    match &inner.0.cred {
        Cred::None => Ok(None),
        Cred::Static(_) => {
            let v = inner
                .0
                .static_header
                .clone()
                .ok_or_else(|| crate::Error::config("the credential is not a valid HTTP header value"))?;
            req.headers_mut().insert(header, v);
            Ok(None)
        }
        Cred::Session(_) => Ok(Some((header, want))),
    }
}

/// Puts a session's token on the request (refreshing it first when it is due). Returns the
/// session generation of the token used.
async fn apply_session_credential(
    req: &mut Request,
    header: HeaderName,
    want: Credential,
    session: &Session,
    ctx: &RefreshContext<'_>,
    family: Family,
) -> Result<Option<u64>, crate::Error> {
    let (secret, generation) = if want == Credential::RefreshToken {
        match session.refresh_token().await {
            Some(t) => (t, None),
            None => return Ok(None),
        }
    } else {
        let (t, g) = session.access_token(ctx).await?;
        (t, Some(g))
    };
    let v = credential_header(family, secret.expose_secret())
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

/// What another attempt of a request is rebuilt from, taken before credentials and signature
/// go on (they are put on again).
enum Spare {
    /// A request with a body: reqwest's `try_clone`, which shares the bytes.
    Whole(Request),
    /// A request without a body, as its parts. reqwest's `try_clone` would also rebuild the
    /// request's extension map (a hash map, allocated even when empty), which the SDK's requests
    /// never use.
    Parts {
        method: reqwest::Method,
        url: reqwest::Url,
        /// `None` when the headers are only progenitor's `accept: application/json` (every
        /// operation without header parameters): they are written again if the copy is used,
        /// instead of being copied for every request.
        headers: Option<reqwest::header::HeaderMap>,
        version: reqwest::Version,
        timeout: Option<Duration>,
    },
}

impl Spare {
    /// A spare for `req`, or `None` when its body cannot be copied (a stream).
    fn of(req: &Request) -> Option<Spare> {
        if req.body().is_some() {
            return req.try_clone().map(Spare::Whole);
        }
        let h = req.headers();
        let only_accept_json = h.len() == 1
            && h.get(reqwest::header::ACCEPT)
                .is_some_and(|v| v == "application/json");
        Some(Spare::Parts {
            method: req.method().clone(),
            url: req.url().clone(),
            headers: (!only_accept_json).then(|| h.clone()),
            version: req.version(),
            timeout: req.timeout().copied(),
        })
    }

    fn into_request(self) -> Request {
        match self {
            Spare::Whole(req) => req,
            Spare::Parts {
                method,
                url,
                headers,
                version,
                timeout,
            } => {
                let mut req = Request::new(method, url);
                *req.headers_mut() = headers.unwrap_or_else(|| {
                    let mut h = reqwest::header::HeaderMap::with_capacity(1);
                    h.insert(
                        reqwest::header::ACCEPT,
                        HeaderValue::from_static("application/json"),
                    );
                    h
                });
                *req.version_mut() = version;
                *req.timeout_mut() = timeout;
                req
            }
        }
    }
}

/// The next attempt's request, after the back-off `wait` (boxed: a sleep is only needed when
/// there is a retry, and inline it would sit in every call's future).
async fn after_waiting(wait: Duration, spare: &mut Option<Spare>) -> Option<Request> {
    Box::pin(tokio::time::sleep(wait)).await;
    spare.take().map(Spare::into_request)
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

/// `ClientHooks::exec`: sends the request, with retries and one refresh on a 401 (the
/// pipeline without its pre-step).
pub(crate) async fn exec(
    http: &reqwest::Client,
    baseurl: &str,
    inner: &Inner,
    request: Request,
    info: &OperationInfo,
    record: &mut Record,
) -> reqwest::Result<Response> {
    match send::<std::convert::Infallible>(http, baseurl, inner, request, info, record, None).await {
        Ok(result) => result,
        Err(never) => match never {},
    }
}

/// The whole pipeline of one call, as the generated `send_in` runs it: the pre-step (see
/// [`pre`]; skipped when `pre_failure` is `None`, its failure turned into `E` otherwise), then
/// the request sent, with retries and one refresh on a 401.
///
/// One future that holds the request once: it is written as a block, not an `async fn` (whose
/// by-value parameters rustc keeps twice in the future), and the pre-step and the attempts are
/// not separate futures each holding their own request. The future is moved on every call, so
/// its size is paid on every call.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` keeps its by-value parameters twice in its future"
)]
pub(crate) fn send<'a, E: Send + 'a>(
    http: &'a reqwest::Client,
    baseurl: &'a str,
    inner: &'a Inner,
    mut req: Request,
    info: &'a OperationInfo,
    record: &'a mut Record,
    pre_failure: Option<fn(String) -> E>,
) -> impl std::future::Future<Output = Result<reqwest::Result<Response>, E>> + Send + 'a {
    async move {
        if let Some(fail) = pre_failure {
            pre(http, baseurl, inner, &mut req, info, record)
                .await
                .map_err(fail)?;
        }
        let meta = operation_meta(inner, info, record);
        let policy = &inner.0.retry;
        let may_repeat = policy.enabled() && repeatable(meta, &req);
        let started = Instant::now();
        let ctx = refresh_ctx(http, baseurl, inner);
        let mut refreshed = false;
        let mut attempt: u32 = 0;
        let has_session = matches!(inner.0.cred, Cred::Session(_));
        record.client = Some(inner.clone());
        let result: reqwest::Result<Response> = 'sent: loop {
            attempt += 1;
            // A copy for a possible next attempt, taken before credentials and signature go on, and
            // only when there can be one (retries, or a session that may refresh after a 401). A
            // request whose body cannot be copied (a stream) is sent once.
            let mut spare = if may_repeat || (has_session && !refreshed) {
                Spare::of(&req)
            } else {
                None
            };
            let applied = match apply_fixed_credential(&mut req, meta, inner) {
                Ok(Some((header, want))) => match &inner.0.cred {
                    // Boxed: a session's refresh is a whole HTTP call, and inline it would make the
                    // future of every call (moved on every request) as large as that.
                    Cred::Session(session) => {
                        Box::pin(apply_session_credential(
                            &mut req,
                            header,
                            want,
                            session,
                            &ctx,
                            inner.0.family,
                        ))
                        .await
                    }
                    _ => Ok(None),
                },
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            let generation = match applied {
                Ok(g) => g,
                Err(e) => {
                    record.session_ended = e.kind() == crate::ErrorKind::SessionEnded;
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
            // Timed only when someone listens (the span is enabled).
            let t0 = (!span.is_disabled()).then(Instant::now);
            let result = http.execute(req).instrument(span.clone()).await;
            if let Some(t0) = t0 {
                span.record("duration_ms", t0.elapsed().as_millis() as u64);
            }
            span.in_scope(|| tracing::debug!(target: "kotanipay", ok = result.is_ok(), "attempt finished"));
            let can_repeat = spare.is_some() && may_repeat && attempt < policy.max_attempts;
            match result {
                Ok(resp) => {
                    let status = resp.status();
                    span.record("status", status.as_u16());
                    record.status = Some(status);
                    if status == StatusCode::UNAUTHORIZED
                        && !refreshed
                        && spare.is_some()
                        && let (Cred::Session(session), Some(g)) = (&inner.0.cred, generation)
                    {
                        refreshed = true;
                        match Box::pin(session.refresh_after_401(g, &ctx)).await {
                            Ok(()) => {
                                if let Some(again) = spare.take().map(Spare::into_request) {
                                    attempt -= 1;
                                    req = again;
                                    continue;
                                }
                                break 'sent Ok(resp);
                            }
                            Err(_) => {
                                record.session_ended = true;
                                break 'sent Ok(resp);
                            }
                        }
                    }
                    if status.is_success() && !inner.0.log_bodies {
                        break 'sent Ok(resp);
                    }
                    // Boxed: only failures and body logging read the body here.
                    let (resp, body) = match Box::pin(buffer(resp)).await {
                        Ok(buffered) => buffered,
                        Err(e) => break 'sent Err(e),
                    };
                    if inner.0.log_bodies {
                        let text = inner
                            .scrubber()
                            .str(&crate::redact::redact_body(&body))
                            .into_owned();
                        span.in_scope(|| tracing::debug!(target: "kotanipay::body", response_body = %text));
                    }
                    if status.is_success() {
                        break 'sent Ok(resp);
                    }
                    let wait_hint =
                        body_retry_after(&body).or_else(|| crate::error::retry_after_header(resp.headers()));
                    let f = record.failure();
                    f.error_body = Some(body);
                    f.retry_after = wait_hint;
                    if can_repeat && retryable_status(status) {
                        let wait = wait_hint.unwrap_or_else(|| policy.backoff(attempt));
                        if policy.fits(started, wait) {
                            tracing::debug!(target: "kotanipay", status = status.as_u16(), wait_ms = wait.as_millis() as u64, "retrying");
                            record.earlier_attempt_may_have_landed = true;
                            if let Some(again) = after_waiting(wait, &mut spare).await {
                                req = again;
                                continue;
                            }
                        }
                    }
                    break 'sent Ok(resp);
                }
                Err(e) => {
                    if can_repeat && (e.is_timeout() || e.is_connect() || e.is_request()) {
                        let wait = policy.backoff(attempt);
                        if policy.fits(started, wait) {
                            tracing::debug!(target: "kotanipay", timeout = e.is_timeout(), "retrying after a transport error");
                            if !e.is_connect() {
                                record.earlier_attempt_may_have_landed = true;
                            }
                            if let Some(again) = after_waiting(wait, &mut spare).await {
                                req = again;
                                continue;
                            }
                        }
                    }
                    break 'sent Err(e);
                }
            }
        };
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> Request {
        Request::new(reqwest::Method::GET, url.parse().unwrap())
    }

    fn headers(req: &Request) -> Vec<(String, String)> {
        let mut h: Vec<_> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        h.sort();
        h
    }

    #[test]
    fn a_spare_is_the_request_as_it_was() {
        // Only progenitor's `accept`: rebuilt, not copied.
        let mut only_accept = get("http://h/api/v3/x?a=1&b=%20");
        only_accept.headers_mut().insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        *only_accept.timeout_mut() = Some(Duration::from_secs(7));
        *only_accept.version_mut() = reqwest::Version::HTTP_2;
        // Other headers, or another `accept`: copied.
        let mut more = get("http://h/y");
        more.headers_mut().insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        more.headers_mut()
            .insert("x-request-id", HeaderValue::from_static("r-1"));
        let mut other_accept = get("http://h/z");
        other_accept
            .headers_mut()
            .insert(reqwest::header::ACCEPT, HeaderValue::from_static("text/csv"));
        let none = get("http://h/none");
        let mut with_body = Request::new(reqwest::Method::POST, "http://h/p".parse().unwrap());
        *with_body.body_mut() = Some(b"{\"a\":1}".to_vec().into());
        with_body
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));

        for req in [only_accept, more, other_accept, none, with_body] {
            let spare = Spare::of(&req).expect("a spare");
            assert_eq!(
                matches!(&spare, Spare::Parts { headers: None, .. }),
                req.url().path() == "/api/v3/x",
                "{}",
                req.url()
            );
            let again = spare.into_request();
            assert_eq!(again.method(), req.method());
            assert_eq!(again.url(), req.url());
            assert_eq!(headers(&again), headers(&req), "{}", req.url());
            assert_eq!(again.version(), req.version());
            assert_eq!(again.timeout(), req.timeout());
            assert_eq!(
                again.body().and_then(|b| b.as_bytes()),
                req.body().and_then(|b| b.as_bytes())
            );
        }
    }
}
