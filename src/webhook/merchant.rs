//! KutanaPay merchant webhooks.
//!
//! ```
//! use std::time::Duration;
//! use kotanipay::webhook::{merchant, IdempotencyStore, MemoryIdempotencyStore, MerchantPayload};
//!
//! # fn handle(headers: &http::HeaderMap, body: &[u8]) -> Result<(), kotanipay::webhook::WebhookError> {
//! let verifier = merchant::Verifier::new(["whsec_checkout_hook"])
//!     .with_tolerance(Duration::from_secs(7 * 3600));
//! let seen = MemoryIdempotencyStore::default();
//! let event = verifier.verify(headers, body)?;
//! if seen.seen_before(event.idempotency_key()) {
//!     return Ok(()); // already processed: answer 2xx again
//! }
//! if let MerchantPayload::CheckoutPaid(c) = event.payload() {
//!     // `checkout_id` when the data carries it, else `id`.
//!     println!("checkout {:?} paid", c.checkout_id_or_id());
//! }
//! # Ok(()) }
//! # let (h, b) = kotanipay::webhook::testing::sign_merchant("whsec_checkout_hook", "checkout.paid", r#"{"id":"c-1"}"#);
//! # handle(&h, &b).unwrap();
//! ```
//!
//! **Inferred**: KutanaPay documents HMAC-SHA256 with the webhook's own secret and the
//! `X-Webhook-Signature: sha256=<hex>` header, but not what exactly is signed. There is no
//! timestamp header, so we take the MAC to be over the raw request body, byte for byte: any
//! change to the body (even whitespace) fails verification.
//!
//! The body's `timestamp` and `idempotency_key` are covered by the MAC; the `X-Webhook-Event`
//! and `X-Webhook-Idempotency-Key` headers are not, and must agree with the body when present.
//!
//! **Replays**: [`Verifier::with_tolerance`] rejects a delivery whose signed `timestamp` is
//! further from now than the tolerance. KutanaPay retries after 5 minutes, 30 minutes and 6
//! hours, and does not say whether a retry carries a new timestamp; a tolerance shorter than
//! about 7 hours may therefore refuse genuine retries. De-duplicate on
//! [`MerchantEvent::idempotency_key`] in any case ([`IdempotencyStore`]).

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::canonical::{self, Mode};
use super::events::MerchantPayload;
use super::{Keys, WebhookError, WebhookErrorKind, header, signature_from};
use crate::Secret;
use crate::time;

/// `X-Webhook-Signature`: `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-webhook-signature";
/// `X-Webhook-Event`: the event type.
pub const EVENT_HEADER: &str = "x-webhook-event";
/// `X-Webhook-Idempotency-Key`: the delivery's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "x-webhook-idempotency-key";

/// Verifies merchant deliveries against one or more webhook secrets.
///
/// `Debug` prints the number of secrets, never a secret.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: Keys,
    tolerance: Option<Duration>,
}

/// The three `X-Webhook-*` header values, for frameworks without [`http::HeaderMap`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryHeaders<'a> {
    /// `X-Webhook-Signature` (required).
    pub signature: Option<&'a str>,
    /// `X-Webhook-Event` (checked against the body's `event_type` when present).
    pub event: Option<&'a str>,
    /// `X-Webhook-Idempotency-Key` (checked against the body's `idempotency_key` when present).
    pub idempotency_key: Option<&'a str>,
}

impl<'a> DeliveryHeaders<'a> {
    /// Reads the three headers from a map. A repeated or non-ASCII header is
    /// [`WebhookErrorKind::MalformedHeader`].
    pub fn from_map(headers: &'a http::HeaderMap) -> Result<Self, WebhookError> {
        Ok(DeliveryHeaders {
            signature: header(headers, SIGNATURE_HEADER)?,
            event: header(headers, EVENT_HEADER)?,
            idempotency_key: header(headers, IDEMPOTENCY_HEADER)?,
        })
    }
}

impl Verifier {
    /// A verifier accepting deliveries signed with any of `secrets` (several while rotating),
    /// with no timestamp check.
    ///
    /// With no secret, or an empty one, every verification fails with
    /// [`WebhookErrorKind::Configuration`].
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Secret>,
    {
        Verifier {
            keys: Keys::new(secrets),
            tolerance: None,
        }
    }

    /// Adds a secret.
    pub fn with_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.keys.push(secret.into());
        self
    }

    /// Rejects deliveries whose signed `timestamp` is more than `tolerance` before or after
    /// now ([`WebhookErrorKind::StaleTimestamp`]); a missing or unreadable timestamp is then
    /// [`WebhookErrorKind::InvalidPayload`]. See the module docs about retries.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Verifies a delivery and types its event.
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<MerchantEvent, WebhookError> {
        self.keys.check_configured()?;
        self.verify_parts_at(DeliveryHeaders::from_map(headers)?, body, SystemTime::now())
    }

    /// Like [`verify`](Self::verify), with the header values given one by one.
    pub fn verify_parts(
        &self,
        headers: DeliveryHeaders<'_>,
        body: &[u8],
    ) -> Result<MerchantEvent, WebhookError> {
        self.verify_parts_at(headers, body, SystemTime::now())
    }

    /// Like [`verify_parts`](Self::verify_parts), with the time the tolerance is measured from.
    pub fn verify_parts_at(
        &self,
        headers: DeliveryHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<MerchantEvent, WebhookError> {
        self.keys.check_configured()?;
        let tag = signature_from(headers.signature, "X-Webhook-Signature")?;
        if !self.keys.matches(body, &tag) {
            return Err(WebhookError::new(
                WebhookErrorKind::SignatureMismatch,
                "X-Webhook-Signature does not match the body under any configured secret",
            ));
        }
        // Authentic from here on; still checked strictly, as the v3 bodies are, in one pass that
        // copies nothing; the envelope's fields are read from where they are, `data` is kept as
        // received until asked for.
        let scanned = canonical::scan(body).map_err(WebhookError::not_json)?;
        if scanned.beyond_f64.is_some() {
            return Err(invalid(
                "the body holds a value serde_json cannot represent (a number beyond f64)",
            ));
        }
        let Some(members) = scanned.members else {
            return Err(invalid("the body is not a JSON object"));
        };
        let field = |name: &str| {
            members
                .iter()
                .find(|m| canonical::key_is(body, m, name))
                .map(|m| m.value.clone())
        };
        let string = |name: &'static str, required: bool| -> Result<Option<String>, WebhookError> {
            match field(name) {
                None if !required => Ok(None),
                None => Err(invalid(match name {
                    "event_type" => "the body has no `event_type`",
                    _ => "the body has no `idempotency_key`",
                })),
                Some(span) if !required && &body[span.clone()] == b"null" => Ok(None),
                Some(span) => canonical::string_value(body, &span)
                    .map(Some)
                    .ok_or_else(|| invalid("an envelope field is not a string")),
            }
        };
        let event_type = string("event_type", true)?.unwrap_or_default();
        let idempotency_key = string("idempotency_key", true)?.unwrap_or_default();
        let version = string("version", false)?;
        let timestamp = string("timestamp", false)?;
        let merchant_id = string("merchant_id", false)?;
        let data = field("data").map(|span| RawData(body[span].into()));

        if headers.event.is_some_and(|h| h.trim() != event_type) {
            return Err(WebhookError::new(
                WebhookErrorKind::HeaderMismatch,
                "X-Webhook-Event is not the signed `event_type`",
            ));
        }
        if headers
            .idempotency_key
            .is_some_and(|h| h.trim() != idempotency_key)
        {
            return Err(WebhookError::new(
                WebhookErrorKind::HeaderMismatch,
                "X-Webhook-Idempotency-Key is not the signed `idempotency_key`",
            ));
        }
        if let Some(tolerance) = self.tolerance {
            let at = timestamp
                .as_deref()
                .and_then(time::parse_rfc3339)
                .ok_or_else(|| invalid("the body has no RFC 3339 `timestamp` to check"))?;
            if time::distance(at, now) > tolerance {
                return Err(WebhookError::new(
                    WebhookErrorKind::StaleTimestamp,
                    "the signed `timestamp` is outside the configured tolerance",
                ));
            }
        }
        Ok(MerchantEvent {
            version,
            event_type,
            timestamp,
            idempotency_key,
            merchant_id,
            data,
            value: OnceLock::new(),
            payload: OnceLock::new(),
        })
    }
}

fn invalid(message: &'static str) -> WebhookError {
    WebhookError::new(WebhookErrorKind::InvalidPayload, message)
}

/// The text of a verified value, as received (valid JSON: checked by `canonical::scan`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RawData(pub(crate) Box<[u8]>);

impl RawData {
    /// The value, as `serde_json` reads it; lone surrogate escapes (which `serde_json` refuses)
    /// read as U+FFFD.
    pub(crate) fn value(&self, depth: usize) -> Value {
        if let Ok(v) = serde_json::from_slice(&self.0) {
            return v;
        }
        // Verified text: only lone surrogates can stop serde_json (numbers beyond f64 were
        // refused, nesting is within its limit), and the lossy rendering has none.
        canonical::render(&self.0, Mode::Lossy, depth)
            .ok()
            .and_then(|lossy| serde_json::from_slice(&lossy).ok())
            .unwrap_or(Value::Null)
    }

    /// The text, as received.
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("null")
    }
}

/// A verified merchant event. Every field comes from the signed body.
///
/// `data` stays as the JSON text received until [`data`](Self::data) or
/// [`payload`](Self::payload) is first called; each is read once.
#[derive(Clone)]
pub struct MerchantEvent {
    version: Option<String>,
    event_type: String,
    timestamp: Option<String>,
    idempotency_key: String,
    merchant_id: Option<String>,
    data: Option<RawData>,
    value: OnceLock<Value>,
    payload: OnceLock<MerchantPayload>,
}

impl fmt::Debug for MerchantEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantEvent")
            .field("version", &self.version)
            .field("event_type", &self.event_type)
            .field("timestamp", &self.timestamp)
            .field("idempotency_key", &self.idempotency_key)
            .field("merchant_id", &self.merchant_id)
            .field("data", self.data())
            .field("payload", self.payload())
            .finish()
    }
}

impl PartialEq for MerchantEvent {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.event_type == other.event_type
            && self.timestamp == other.timestamp
            && self.idempotency_key == other.idempotency_key
            && self.merchant_id == other.merchant_id
            && (self.data == other.data || self.data() == other.data())
    }
}

impl MerchantEvent {
    /// The envelope version (`v1`).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The event type, e.g. `checkout.paid`.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// When the event was raised, as sent (RFC 3339).
    pub fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// The delivery's idempotency key: the same for every retry of one event. De-duplicate on
    /// it, and answer 2xx to a delivery you have already processed.
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }

    /// The merchant.
    pub fn merchant_id(&self) -> Option<&str> {
        self.merchant_id.as_deref()
    }

    /// The signed `data` (`Null` when absent). Lone surrogates in strings read as U+FFFD.
    /// Read from the text on the first call.
    pub fn data(&self) -> &Value {
        self.value
            .get_or_init(|| self.data.as_ref().map_or(Value::Null, |d| d.value(1)))
    }

    /// The signed `data` as received, byte for byte (`null` when absent): for your own types.
    pub fn data_json(&self) -> &str {
        self.data.as_ref().map_or("null", RawData::text)
    }

    /// The typed payload, read on the first call.
    pub fn payload(&self) -> &MerchantPayload {
        self.payload
            .get_or_init(|| MerchantPayload::from_parts(&self.event_type, self.data().clone()))
    }

    /// The typed payload, by value.
    pub fn into_payload(mut self) -> MerchantPayload {
        if let Some(p) = self.payload.take() {
            return p;
        }
        let data = match self.value.take() {
            Some(v) => v,
            None => self.data.as_ref().map_or(Value::Null, |d| d.value(1)),
        };
        MerchantPayload::from_parts(&self.event_type, data)
    }
}

/// Remembers idempotency keys, so a redelivered event is processed once.
///
/// Synchronous on purpose: back it with anything that can atomically "insert if absent" (a
/// database unique index, Redis `SET NX`, a mutex-guarded set). For a store that must be awaited,
/// call it yourself with [`MerchantEvent::idempotency_key`].
///
/// Record a key only for a delivery you will answer 2xx. If processing fails after
/// [`seen_before`](Self::seen_before) recorded the key, [`forget`](Self::forget) it and answer
/// 5xx, so the retry is processed.
pub trait IdempotencyStore: Send + Sync {
    /// Records `key` and says whether it had been recorded before. Must be atomic: of two
    /// concurrent calls with one key, exactly one returns `false`.
    fn seen_before(&self, key: &str) -> bool;

    /// Removes `key`, so a redelivery is processed again.
    fn forget(&self, key: &str);
}

/// An in-memory [`IdempotencyStore`] holding the most recent `capacity` keys (default 100 000);
/// the oldest is dropped first. Per process, and lost on restart.
#[derive(Debug)]
pub struct MemoryIdempotencyStore {
    capacity: usize,
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Default for MemoryIdempotencyStore {
    fn default() -> Self {
        Self::with_capacity(100_000)
    }
}

impl MemoryIdempotencyStore {
    /// A store keeping at most `capacity` keys (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryIdempotencyStore {
            capacity: capacity.max(1),
            inner: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }
}

impl IdempotencyStore for MemoryIdempotencyStore {
    fn seen_before(&self, key: &str) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        if set.contains(key) {
            return true;
        }
        while set.len() >= self.capacity {
            match order.pop_front() {
                Some(old) => {
                    set.remove(&old);
                }
                None => break,
            }
        }
        set.insert(key.to_string());
        order.push_back(key.to_string());
        false
    }

    fn forget(&self, key: &str) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        if set.remove(key) {
            order.retain(|k| k != key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_dedupes_and_evicts() {
        let s = MemoryIdempotencyStore::with_capacity(2);
        assert!(!s.seen_before("a"));
        assert!(s.seen_before("a"));
        assert!(!s.seen_before("b"));
        assert!(!s.seen_before("c")); // evicts "a"
        assert!(!s.seen_before("a"));
        s.forget("a");
        assert!(!s.seen_before("a"));
    }
}
