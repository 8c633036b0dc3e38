//! The one error type of the crate.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// How much of a body an error keeps.
const BODY_KEEP: usize = 64 * 1024;

/// What went wrong, for `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with an error status and (usually) a parsed error body.
    Api,
    /// 429: too many requests. [`Error::retry_after`] says how long to wait.
    RateLimited,
    /// 401/403: the credential was refused (invalid key), or lacks the permission
    /// ([`Error::is_permission_denied`]: a configuration problem, never worth a retry).
    Auth,
    /// 403 with `data.bannedUntil`: the customer is suspended until then
    /// ([`Error::banned_until`]); the same request may succeed after that time.
    CustomerSuspended,
    /// The login session has ended (refresh failed): a new magic-link login is needed.
    SessionEnded,
    /// The response did not match the spec. [`Error::decode_path`] names the failing field.
    Decode,
    /// The request or the connection timed out.
    Timeout,
    /// The connection failed or was reset.
    Connection,
    /// The request was refused before it was sent (bad input).
    InvalidRequest,
    /// The client is misconfigured (base URL, credentials).
    Configuration,
    /// A paginated walk was stopped: the server repeated a page or never ended.
    Pagination,
}

/// The API's parsed error body, in whichever family's shape it came (v3's
/// `{success, message, error_code, data}` or `{statusCode, message, error}`, the merchant API's
/// FastAPI `{detail}`, v3's failing health report).
///
/// Each family implements it for its own generated error types; the error keeps the body as
/// `dyn ApiErrorBody`, and [`Error::api_body`] gives it back typed:
/// `err.api_body::<kotanipay::v3::types::ErrorBody>()`. Its message, validation errors and
/// retry hints are on [`Error`] itself, whatever the family.
pub trait ApiErrorBody: std::any::Any + fmt::Debug + Send + Sync {
    /// The human message of the body.
    fn message(&self) -> Option<String>;
    /// The validation problems it lists.
    fn validation_errors(&self) -> Vec<ValidationError> {
        Vec::new()
    }
    /// How long it asks the caller to wait (v3 429 `data.retryAfter`).
    fn retry_after(&self) -> Option<Duration> {
        None
    }
    /// Until when a suspended customer is banned (v3 403 `data.bannedUntil`), as written.
    fn banned_until(&self) -> Option<String> {
        None
    }
    /// Whether there is a body worth keeping (`false` for an operation with no error schema).
    fn is_body(&self) -> bool {
        true
    }
}

impl ApiErrorBody for () {
    fn message(&self) -> Option<String> {
        None
    }
    fn is_body(&self) -> bool {
        false
    }
}

/// One validation problem reported by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where, when the API says (`body.name`, `query.limit`); empty otherwise.
    pub location: String,
    /// The message.
    pub message: String,
}

/// The kotanipay error: the operation, the HTTP status when there is one, and a kind.
///
/// `Display` is one line naming the operation and status. Neither `Display` nor `Debug` ever
/// prints a credential or a response body; the body is kept and readable with
/// [`Error::body_text`].
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: &'static str,
    status: Option<StatusCode>,
    message: String,
    api_body: Option<Box<dyn ApiErrorBody>>,
    validation: Vec<ValidationError>,
    raw_body: Option<bytes::Bytes>,
    body_len: usize,
    decode_path: Option<String>,
    retry_after: Option<Duration>,
    outcome_unknown: bool,
    /// The failure proves the request never left: the connection could not be made.
    not_sent: bool,
    banned_until: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, operation: &'static str, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                operation,
                status: None,
                message: message.into(),
                api_body: None,
                validation: Vec::new(),
                raw_body: None,
                body_len: 0,
                decode_path: None,
                retry_after: None,
                outcome_unknown: false,
                not_sent: false,
                banned_until: None,
                source: None,
            }),
        }
    }

    /// A configuration error (no operation involved).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Configuration, "", message)
    }

    /// Bad input, refused before any request was sent.
    pub(crate) fn invalid_request(operation: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidRequest, operation, message)
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    pub(crate) fn with_status_opt(self, s: Option<StatusCode>) -> Self {
        match s {
            Some(s) => self.with_status(s),
            None => self,
        }
    }

    pub(crate) fn with_body(mut self, body: &[u8]) -> Self {
        self.inner.body_len = body.len();
        let keep = body.len().min(BODY_KEEP);
        self.inner.raw_body = Some(bytes::Bytes::copy_from_slice(&body[..keep]));
        self
    }

    /// Keeps the parsed body, with its validation errors.
    pub(crate) fn with_api_body<B: ApiErrorBody>(mut self, body: B) -> Self {
        if body.is_body() {
            self.inner.validation = body.validation_errors();
            self.inner.api_body = Some(Box::new(body));
        }
        self
    }

    pub(crate) fn with_decode_path(mut self, path: Option<String>) -> Self {
        self.inner.decode_path = path;
        self
    }

    pub(crate) fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.inner.retry_after = d;
        self
    }

    pub(crate) fn with_source(mut self, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(e));
        self
    }

    /// A suspended customer's 403: its kind, the time, and how long until then.
    pub(crate) fn with_banned_until(mut self, until: String) -> Self {
        self.inner.kind = ErrorKind::CustomerSuspended;
        let wait = crate::time::parse_rfc3339(until.trim())
            .and_then(|(secs, nanos)| {
                let secs = u64::try_from(secs).ok()?;
                std::time::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
            })
            .map(|t| t.duration_since(std::time::SystemTime::now()).unwrap_or_default());
        if self.inner.retry_after.is_none() {
            self.inner.retry_after = wait;
        }
        self.inner.banned_until = Some(until);
        self
    }

    /// Whether the failure proves the request was never sent (no connection could be made).
    pub(crate) fn request_not_sent(&self) -> bool {
        self.inner.not_sent
    }

    /// Removes every credential in `scrub` from the message (the body, the parsed body and
    /// the source are scrubbed where they are set).
    pub(crate) fn scrubbed(mut self, scrub: &crate::redact::Scrubber) -> Self {
        if scrub.is_empty() {
            return self;
        }
        if let std::borrow::Cow::Owned(m) = scrub.str(&self.inner.message) {
            self.inner.message = m;
        }
        if let Some(src) = &self.inner.source {
            let text = src.to_string();
            if let std::borrow::Cow::Owned(clean) = scrub.str(&text) {
                self.inner.source = Some(Box::new(Scrubbed(clean)));
            }
        }
        self
    }

    pub(crate) fn mark_outcome_unknown(mut self, hint: &str) -> Self {
        self.inner.outcome_unknown = true;
        self.inner.message = format!("{}; {hint}", self.inner.message);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operationId of the failed call (empty for configuration errors).
    pub fn operation(&self) -> &'static str {
        self.inner.operation
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The error's message: the API's own `message`/`detail` when it sent one.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The parsed error body as the family's type `T`, when the API sent one in the shape
    /// the operation documents (`kotanipay::v3::types::ErrorBody`,
    /// `kotanipay::merchant::types::MerchantError`, `kotanipay::v3::types::HealthStatus`).
    pub fn api_body<T: ApiErrorBody>(&self) -> Option<&T> {
        let body: &dyn std::any::Any = self.inner.api_body.as_deref()?;
        body.downcast_ref::<T>()
    }

    /// The parsed error body, whatever its type (for `Debug` output and its message).
    pub fn api_body_dyn(&self) -> Option<&dyn ApiErrorBody> {
        self.inner.api_body.as_deref()
    }

    /// The raw response body (at most the first 64 KiB), when one arrived.
    pub fn body(&self) -> Option<&[u8]> {
        self.inner.raw_body.as_deref()
    }

    /// The raw response body as text (lossy UTF-8), at most the first 64 KiB.
    pub fn body_text(&self) -> Option<String> {
        self.body().map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// For decode errors: the JSON path of the field that failed, e.g. `data[3].amount`.
    pub fn decode_path(&self) -> Option<&str> {
        self.inner.decode_path.as_deref()
    }

    /// How long the API asked us to wait (429 `data.retryAfter` or `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether the connection failed.
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }

    /// Whether the API refused the credential, or the session ended.
    pub fn is_auth(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Auth | ErrorKind::SessionEnded)
    }

    /// Whether the response failed to decode.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == ErrorKind::Decode
    }

    /// Whether a 403 means the credential lacks the permission (a user-bound key without it,
    /// the wrong key): a configuration problem, never worth a retry. A suspended customer's
    /// 403 is [`ErrorKind::CustomerSuspended`] instead.
    pub fn is_permission_denied(&self) -> bool {
        self.inner.kind == ErrorKind::Auth && self.inner.status.map(|s| s.as_u16()) == Some(403)
    }

    /// Whether the customer is suspended (403 with `data.bannedUntil`); see
    /// [`banned_until`](Self::banned_until) and [`retry_after`](Self::retry_after).
    pub fn is_customer_suspended(&self) -> bool {
        self.inner.kind == ErrorKind::CustomerSuspended
    }

    /// Until when a suspended customer is banned, as the API wrote it (ISO-8601).
    pub fn banned_until(&self) -> Option<&str> {
        self.inner.banned_until.as_deref()
    }

    /// Whether the same request may succeed later: 429, 502, 503, 504, timeouts, connection
    /// failures, a suspended customer (after [`retry_after`](Self::retry_after)). Never for a
    /// payment whose outcome is unknown
    /// ([`is_outcome_unknown`](Self::is_outcome_unknown)): check its status first, so that a
    /// `if err.is_retryable() { resend }` cannot pay twice.
    pub fn is_retryable(&self) -> bool {
        if self.inner.outcome_unknown {
            return false;
        }
        match self.inner.kind {
            ErrorKind::RateLimited
            | ErrorKind::Timeout
            | ErrorKind::Connection
            | ErrorKind::CustomerSuspended => true,
            _ => matches!(self.inner.status.map(|s| s.as_u16()), Some(429 | 502 | 503 | 504)),
        }
    }

    /// Whether the request may have moved money although it failed: check its status before
    /// sending it again.
    pub fn is_outcome_unknown(&self) -> bool {
        self.inner.outcome_unknown
    }

    /// The validation problems the API listed (v3 `data.errors`, FastAPI `detail` list).
    pub fn validation_errors(&self) -> Vec<ValidationError> {
        self.inner.validation.clone()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.write_str("kotanipay")?;
        if !i.operation.is_empty() {
            write!(f, ": {}", i.operation)?;
        }
        if let Some(s) = i.status {
            write!(f, ": HTTP {}", s.as_u16())?;
        }
        let what = match i.kind {
            ErrorKind::Api => "API error",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Auth if self.is_permission_denied() => "permission denied",
            ErrorKind::Auth => "credential refused",
            ErrorKind::CustomerSuspended => "customer suspended",
            ErrorKind::SessionEnded => "session ended",
            ErrorKind::Decode => "response does not match the spec",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Connection => "connection failed",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::Configuration => "configuration error",
            ErrorKind::Pagination => "pagination stopped",
        };
        write!(f, ": {what}")?;
        if let Some(p) = &i.decode_path {
            write!(f, " at {p}")?;
        }
        if !i.message.is_empty() {
            // One line, whatever the API put in its message.
            let one_line: String = i
                .message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            write!(f, ": {one_line}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("kind", &i.kind)
            .field("operation", &i.operation)
            .field("status", &i.status.map(|s| s.as_u16()))
            .field("message", &i.message)
            .field("decode_path", &i.decode_path)
            .field("retry_after", &i.retry_after)
            .field("outcome_unknown", &i.outcome_unknown)
            .field("banned_until", &i.banned_until)
            .field("body_len", &i.body_len)
            .finish_non_exhaustive()
    }
}

/// A source error whose text held a credential, kept as its scrubbed text.
#[derive(Debug)]
struct Scrubbed(String);

impl fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Scrubbed {}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Parses `Retry-After` given in seconds.
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// The error kind for an HTTP status.
pub(crate) fn kind_for_status(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 | 403 => ErrorKind::Auth,
        429 => ErrorKind::RateLimited,
        _ => ErrorKind::Api,
    }
}

/// Classifies a transport error (its URL, which may carry a secret query, is stripped).
///
/// reqwest reports a body that breaks off while it is read as a "decode" error; the SDK never
/// lets reqwest decode JSON, so such an error is the connection's: `Connection`, never `Decode`.
pub(crate) fn from_reqwest(operation: &'static str, e: reqwest::Error) -> Error {
    let not_sent = e.is_connect();
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
        ErrorKind::Connection
    } else if e.is_builder() {
        ErrorKind::InvalidRequest
    } else {
        ErrorKind::Connection
    };
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    let mut err = Error::new(kind, operation, msg).with_source(e);
    err.inner.not_sent = not_sent;
    err
}
