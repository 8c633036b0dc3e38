//! Webhook verification and typed events for both API families.
//!
//! # Kotani Pay v3 ([`v3`])
//!
//! Kotani delivers in one of two modes, depending on whether the integrator has a webhook secret
//! configured (dashboard settings, or `webhook_secret` on the integrator's webhook settings):
//!
//! - **Signed webhooks** (a secret is configured): `POST` with `X-Kotani-Signature:
//!   sha256=<hex>`, `X-Kotani-Event`, `X-Kotani-Integrator`, and the body
//!   `{"event": ..., "data": {...}, "signature": "sha256=<hex>"}`. The MAC is HMAC-SHA256, keyed
//!   with the webhook secret, over `JSON.stringify({event, data})` **as the sender computed it**,
//!   not over the raw body. [`v3::Verifier`] reproduces those bytes from the body as received
//!   (key order kept but integer-like keys first, compact, strings escaped and numbers written
//!   as JavaScript writes them), under both documented readings (`{event, data}`, and the body
//!   without `signature`), compares in constant time and returns a typed [`v3::V3Event`].
//! - **Direct callbacks** (no secret): the bare transaction object is posted to the
//!   transaction's `callbackUrl`, with no signature at all. [`v3::parse_direct`] reads it into an
//!   [`Unverified`] value; confirm it through the API with [`Unverified::confirm`] (which fetches
//!   the transaction by its reference) before acting on it.
//!
//! # KutanaPay merchant ([`merchant`])
//!
//! `X-Webhook-Signature: sha256=<hex>`, `X-Webhook-Event`, `X-Webhook-Idempotency-Key`, and the
//! body `{version, event_type, timestamp, idempotency_key, merchant_id, data}`. The MAC is
//! HMAC-SHA256 keyed with the webhook's own secret. **What exactly is signed is not published**:
//! we infer the raw request body (there is no timestamp header to prefix); the contract check
//! will say if live traffic disagrees. [`merchant::Verifier`] can reject stale timestamps, and
//! exposes the signed idempotency key for de-duplication ([`merchant::IdempotencyStore`]).
//!
//! # Secret rotation
//!
//! Both verifiers take several secrets and accept a delivery signed with any of them: configure
//! the new secret next to the old one, switch the secret at Kotani/KutanaPay, and drop the old
//! one once no delivery signed with it can still be retried (Kotani retries for up to 24 hours,
//! KutanaPay for about 6.5).
//!
//! # Signatures
//!
//! The `sha256=` prefix is matched case-insensitively and the hex digest may be written in upper
//! or lower case (it is the same MAC); anything but exactly 64 hex digits is a
//! [`WebhookErrorKind::MalformedHeader`]. The comparison is constant-time. No error message ever
//! contains a secret or the expected signature.
//!
//! # Limits
//!
//! Bodies are parsed as strict JSON (UTF-8, RFC 8259), nesting at most 64 levels, and an
//! object with a duplicate key is refused ([`WebhookErrorKind::NotJson`]): a JavaScript sender
//! cannot produce one, and refusing them rules out two parsers reading one body two ways. Limit
//! the body size in your HTTP framework (deliveries are a few KiB).
//!
//! # Testing your handlers
//!
//! [`testing`] signs deliveries of both families the way the senders do.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use crate::Secret;

pub(crate) mod canonical;
pub mod events;
pub mod merchant;
pub mod testing;
pub mod v3;

pub use events::{MerchantPayload, TransactionCallback, TransactionKind, V3Payload};
pub use merchant::{IdempotencyStore, MemoryIdempotencyStore, MerchantEvent};
#[cfg(feature = "v3")]
pub use v3::Confirmed;
pub use v3::{Unverified, V3Event};

/// What was wrong with a delivery, for `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookErrorKind {
    /// The signature header is absent.
    MissingHeader,
    /// A header is present but unreadable: not `sha256=` followed by exactly 64 hex digits,
    /// not visible ASCII, or repeated.
    MalformedHeader,
    /// The signature does not match any configured secret.
    SignatureMismatch,
    /// v3 only: the body's `signature` copy disagrees with the `X-Kotani-Signature` header
    /// (or is not a string).
    BodySignatureMismatch,
    /// The body is not JSON this SDK accepts (invalid syntax or UTF-8, a duplicate key,
    /// nesting deeper than 64).
    NotJson,
    /// The body is JSON but not a delivery: not an object, or a documented envelope field
    /// (`event`, `event_type`, `idempotency_key`, `timestamp` when checked) missing or of the
    /// wrong type, or a number that a JavaScript double cannot hold as written (no Node sender
    /// can have signed it).
    InvalidPayload,
    /// An unsigned header (`X-Kotani-Event`, `X-Webhook-Event`, `X-Webhook-Idempotency-Key`)
    /// disagrees with the signed body.
    HeaderMismatch,
    /// Merchant only: the signed `timestamp` is further from now than the configured tolerance.
    StaleTimestamp,
    /// The verifier has no secret, or an empty one. This is the receiver's fault: answer 5xx so
    /// the sender retries once it is fixed.
    Configuration,
}

/// A rejected webhook delivery.
///
/// `Display` is one line; it never contains a secret, the expected signature, or text taken
/// from the request.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook rejected: {}: {message}", kind_text(*.kind))]
pub struct WebhookError {
    kind: WebhookErrorKind,
    message: Cow<'static, str>,
}

fn kind_text(kind: WebhookErrorKind) -> &'static str {
    match kind {
        WebhookErrorKind::MissingHeader => "missing header",
        WebhookErrorKind::MalformedHeader => "malformed header",
        WebhookErrorKind::SignatureMismatch => "signature mismatch",
        WebhookErrorKind::BodySignatureMismatch => "body signature disagrees with the header",
        WebhookErrorKind::NotJson => "body is not valid JSON",
        WebhookErrorKind::InvalidPayload => "body is not a webhook delivery",
        WebhookErrorKind::HeaderMismatch => "header disagrees with the signed body",
        WebhookErrorKind::StaleTimestamp => "timestamp outside the tolerance",
        WebhookErrorKind::Configuration => "verifier misconfigured",
    }
}

impl fmt::Debug for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl WebhookError {
    pub(crate) fn new(kind: WebhookErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        WebhookError {
            kind,
            message: message.into(),
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> WebhookErrorKind {
        self.kind
    }

    /// The detail, without the kind (static text, or a byte offset for JSON errors).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status to answer with: 500 for [`WebhookErrorKind::Configuration`] (so the
    /// sender retries once you have fixed it), 401 for a signature that does not match, 400 for
    /// everything else.
    ///
    /// KutanaPay treats any 4xx as a permanent failure and stops retrying: while rotating
    /// secrets, keep both configured so no genuine delivery is answered 401.
    pub fn http_status(&self) -> http::StatusCode {
        match self.kind {
            WebhookErrorKind::Configuration => http::StatusCode::INTERNAL_SERVER_ERROR,
            WebhookErrorKind::SignatureMismatch | WebhookErrorKind::BodySignatureMismatch => {
                http::StatusCode::UNAUTHORIZED
            }
            _ => http::StatusCode::BAD_REQUEST,
        }
    }

    pub(crate) fn not_json(e: canonical::SyntaxError) -> Self {
        WebhookError::new(WebhookErrorKind::NotJson, e.to_string())
    }
}

/// A set of HMAC-SHA256 keys, any of which may have signed a delivery.
#[derive(Clone)]
pub(crate) struct Keys(Vec<Secret>);

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} secret(s), REDACTED]", self.0.len())
    }
}

impl Keys {
    pub(crate) fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Secret>,
    {
        Keys(secrets.into_iter().map(Into::into).collect())
    }

    pub(crate) fn push(&mut self, s: Secret) {
        self.0.push(s);
    }

    pub(crate) fn check_configured(&self) -> Result<(), WebhookError> {
        if self.0.is_empty() {
            return Err(WebhookError::new(
                WebhookErrorKind::Configuration,
                "no webhook secret configured",
            ));
        }
        if self.0.iter().any(|s| s.expose().is_empty()) {
            return Err(WebhookError::new(
                WebhookErrorKind::Configuration,
                "an empty webhook secret is configured",
            ));
        }
        Ok(())
    }

    /// Whether `tag` is the MAC of `message` under any key. Every key is tried, and the
    /// comparisons are constant-time.
    pub(crate) fn matches(&self, message: &[u8], tag: &[u8; 32]) -> bool {
        let mut ok = Choice::from(0);
        for s in &self.0 {
            ok |= mac(s.expose().as_bytes(), message).ct_eq(tag);
        }
        ok.into()
    }
}

/// HMAC-SHA256.
pub(crate) fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(message);
    m.finalize().into_bytes().into()
}

/// `sha256=` + lowercase hex, as the senders write it.
pub(crate) fn signature_value(key: &[u8], message: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(key, message)))
}

/// Parses `sha256=<64 hex digits>` (surrounding whitespace allowed, prefix and digits in either
/// case).
pub(crate) fn parse_signature(value: &str) -> Option<[u8; 32]> {
    let v = value.trim_matches(|c: char| c == ' ' || c == '\t');
    let (scheme, digest) = v.split_once('=')?;
    if !scheme.eq_ignore_ascii_case("sha256") || digest.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(digest, &mut out).ok()?;
    Some(out)
}

/// One header's value: `Ok(None)` when absent; an error when repeated or not visible ASCII.
pub(crate) fn header<'a>(
    headers: &'a http::HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, WebhookError> {
    let mut all = headers.get_all(name).iter();
    let Some(first) = all.next() else {
        return Ok(None);
    };
    if all.next().is_some() {
        return Err(WebhookError::new(
            WebhookErrorKind::MalformedHeader,
            format!("{name} appears more than once"),
        ));
    }
    first.to_str().map(Some).map_err(|_| {
        WebhookError::new(
            WebhookErrorKind::MalformedHeader,
            format!("{name} is not visible ASCII"),
        )
    })
}

/// Reads the signature header's value into the digest.
pub(crate) fn signature_from(value: Option<&str>, name: &'static str) -> Result<[u8; 32], WebhookError> {
    let Some(v) = value else {
        return Err(WebhookError::new(
            WebhookErrorKind::MissingHeader,
            format!("no {name} header"),
        ));
    };
    parse_signature(v).ok_or_else(|| {
        WebhookError::new(
            WebhookErrorKind::MalformedHeader,
            format!("{name} is not `sha256=` followed by 64 hex digits"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_header_forms() {
        let hex = "ab".repeat(32);
        assert!(parse_signature(&format!("sha256={hex}")).is_some());
        assert!(parse_signature(&format!(" SHA256={} ", hex.to_uppercase())).is_some());
        assert!(parse_signature(&format!("sha256={}", &hex[..63])).is_none());
        assert!(parse_signature(&format!("sha256={hex}0")).is_none());
        assert!(parse_signature(&hex).is_none());
        assert!(parse_signature(&format!("sha1={hex}")).is_none());
        assert!(parse_signature(&format!("sha256={}zz", &hex[..62])).is_none());
        assert!(parse_signature("sha256=é").is_none());
    }

    #[test]
    fn debug_hides_secrets() {
        let k = Keys::new(["topsecret"]);
        assert!(!format!("{k:?}").contains("topsecret"));
    }
}
