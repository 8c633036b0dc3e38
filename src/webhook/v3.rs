//! Kotani Pay v3 webhooks: signed deliveries and direct (unsigned) callbacks.
//!
//! ```
//! use kotanipay::webhook::{v3, V3Payload};
//!
//! # fn handle(headers: &http::HeaderMap, body: &[u8]) -> Result<(), kotanipay::webhook::WebhookError> {
//! // Old and new secret while rotating; a delivery signed with either verifies.
//! let verifier = v3::Verifier::new(["whsec_new", "whsec_old"]);
//! let event = verifier.verify(headers, body)?;
//! match event.payload() {
//!     V3Payload::DepositStatusUpdated(d) => println!("{} is {:?}", d.reference_id, d.status),
//!     other => println!("{}: {other:?}", event.name()),
//! }
//! # Ok(()) }
//! # let (h, b) = kotanipay::webhook::testing::sign_v3("whsec_old", "transaction.deposit.status.updated",
//! #     r#"{"status":"SUCCESSFUL","reference_id":"r-1"}"#);
//! # handle(&h, &b).unwrap();
//! ```
//!
//! # What is signed
//!
//! Kotani's documentation gives two readings, and the verifier accepts a MAC over either (both
//! are HMACs keyed with your secret, so accepting both weakens nothing):
//!
//! 1. `JSON.stringify({event, data})`, as the webhook page says: `event` then `data` (the object
//!    literal's order, whatever their order in the body); other top-level members are not
//!    covered.
//! 2. `JSON.stringify(body)` with its `signature` member deleted, as the page's sample code
//!    computes it: every other top-level member (`event`, `data`, and any extra such as a
//!    `timestamp` or an `id`) in the body's order, all covered.
//!
//! Both messages are rebuilt from the body as received, as `JSON.stringify(JSON.parse(..))`
//! writes them ([`crate::jsjson`]): compact, keys in JavaScript's property order (array-index
//! keys such as `"2"`, `"10"` first, ascending; the rest as received), strings re-escaped as
//! JavaScript escapes them, numbers as JavaScript writes them (`1.50` → `1.5`). So whitespace
//! added between tokens, or a number written another way with the same value, does not matter,
//! but reordered keys inside `data` do (they change what `JSON.stringify` writes). A number a
//! double does not hold as written (`9007199254740993`, `1e400`) cannot come from a JavaScript
//! sender: the body is refused ([`WebhookErrorKind::InvalidPayload`]) before any MAC is
//! computed. The `data` you get ([`V3Event::data`]) is read from the verified message, not from
//! the raw text.
//!
//! The body's `signature` copy must agree with the header when present. The `X-Kotani-Event`
//! and `X-Kotani-Integrator` headers are not covered by the MAC either: the event header must
//! agree with the signed `event` when present, and the integrator header is passed on as
//! received ([`V3Event::integrator`]).

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::Value;

use super::canonical::{self, Mode};
use super::events::{TransactionCallback, TransactionKind, V3Payload};
use super::merchant::RawData;
use super::{Keys, WebhookError, WebhookErrorKind, header, signature_from};
use crate::{Operation as _, Secret, jsjson};

/// `X-Kotani-Signature`: `sha256=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "x-kotani-signature";
/// `X-Kotani-Event`: the event name.
pub const EVENT_HEADER: &str = "x-kotani-event";
/// `X-Kotani-Integrator`: the integrator's id.
pub const INTEGRATOR_HEADER: &str = "x-kotani-integrator";

/// Verifies signed v3 deliveries against one or more webhook secrets.
///
/// `Debug` prints the number of secrets, never a secret.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: Keys,
}

/// The three `X-Kotani-*` header values, for frameworks without [`http::HeaderMap`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryHeaders<'a> {
    /// `X-Kotani-Signature` (required).
    pub signature: Option<&'a str>,
    /// `X-Kotani-Event` (checked against the signed `event` when present).
    pub event: Option<&'a str>,
    /// `X-Kotani-Integrator` (not signed; passed on).
    pub integrator: Option<&'a str>,
}

impl<'a> DeliveryHeaders<'a> {
    /// Reads the three headers from a map. A repeated or non-ASCII header is
    /// [`WebhookErrorKind::MalformedHeader`].
    pub fn from_map(headers: &'a http::HeaderMap) -> Result<Self, WebhookError> {
        Ok(DeliveryHeaders {
            signature: header(headers, SIGNATURE_HEADER)?,
            event: header(headers, EVENT_HEADER)?,
            integrator: header(headers, INTEGRATOR_HEADER)?,
        })
    }
}

impl Verifier {
    /// A verifier accepting deliveries signed with any of `secrets` (several while rotating).
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
        }
    }

    /// Adds a secret.
    pub fn with_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.keys.push(secret.into());
        self
    }

    /// Verifies a delivery and types its event.
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<V3Event, WebhookError> {
        self.keys.check_configured()?;
        self.verify_parts(DeliveryHeaders::from_map(headers)?, body)
    }

    /// Like [`verify`](Self::verify), with the header values given one by one.
    pub fn verify_parts(&self, headers: DeliveryHeaders<'_>, body: &[u8]) -> Result<V3Event, WebhookError> {
        self.keys.check_configured()?;
        let tag = signature_from(headers.signature, "X-Kotani-Signature")?;
        let parsed = Parsed::from_body(body)?;
        // Either reading; both are always computed, each over every key in constant time.
        let event_data = self.keys.matches(&parsed.canonical, &tag);
        let whole = parsed
            .whole
            .as_deref()
            .is_some_and(|message| self.keys.matches(message, &tag));
        if !(event_data | whole) {
            return Err(WebhookError::new(
                WebhookErrorKind::SignatureMismatch,
                "X-Kotani-Signature does not match the delivery under any configured secret",
            ));
        }
        if let Some(span) = &parsed.signature {
            let copy = string_at(body, span).as_deref().and_then(super::parse_signature);
            let agrees = copy.is_some_and(|c| subtle::ConstantTimeEq::ct_eq(&c[..], &tag[..]).into());
            if !agrees {
                return Err(WebhookError::new(
                    WebhookErrorKind::BodySignatureMismatch,
                    "the body's `signature` is not the header's signature",
                ));
            }
        }
        if headers.event.is_some_and(|h| h.trim() != parsed.event) {
            return Err(WebhookError::new(
                WebhookErrorKind::HeaderMismatch,
                "X-Kotani-Event is not the signed `event`",
            ));
        }
        // `data` stays as the signed text until asked for.
        let data = parsed.data.map(|span| RawData(parsed.canonical[span].into()));
        Ok(V3Event {
            name: parsed.event,
            integrator: headers.integrator.map(|s| s.trim().to_string()),
            data,
            value: OnceLock::new(),
            payload: OnceLock::new(),
        })
    }
}

/// The parts of a body the signature depends on.
pub(crate) struct Parsed {
    /// The `event` string (lossy for lone surrogates).
    pub(crate) event: String,
    /// Reading 1: `JSON.stringify({event, data})`.
    pub(crate) canonical: Vec<u8>,
    /// Reading 2: `JSON.stringify(body)` without `signature`, when it is not the same bytes as
    /// reading 1 (it is whenever the body holds `event`, then `data`, and nothing else but the
    /// `signature`).
    whole: Option<Vec<u8>>,
    /// Where `data`'s JavaScript text is in `canonical`.
    data: Option<Range<usize>>,
    /// Where the body's `signature` value is in the body.
    signature: Option<Range<usize>>,
}

impl Parsed {
    pub(crate) fn from_body(body: &[u8]) -> Result<Self, WebhookError> {
        let members = canonical::top_level_members(body)
            .map_err(|e| {
                if e.is_inexact_number() {
                    WebhookError::new(
                        WebhookErrorKind::InvalidPayload,
                        format!(
                            "the body holds a number a JavaScript sender cannot have written (a \
                             double does not hold it as written) at byte {}",
                            e.at
                        ),
                    )
                } else {
                    WebhookError::not_json(e)
                }
            })?
            .ok_or_else(|| {
                WebhookError::new(WebhookErrorKind::InvalidPayload, "the body is not a JSON object")
            })?;
        let find = |name: &str| members.iter().position(|m| m.key == name);
        let event_at = find("event")
            .ok_or_else(|| WebhookError::new(WebhookErrorKind::InvalidPayload, "the body has no `event`"))?;
        let event = &members[event_at];
        let event_name = string_at(body, &event.span)
            .ok_or_else(|| WebhookError::new(WebhookErrorKind::InvalidPayload, "`event` is not a string"))?;
        // Reading 1, JSON.stringify({event, data}): `event` first, `data` second; a missing
        // `data` is `undefined`, which JSON.stringify leaves out.
        let data_at = find("data");
        let mut canonical = Vec::with_capacity(body.len());
        canonical.extend_from_slice(b"{\"event\":");
        canonical.extend_from_slice(&event.js);
        let data = data_at.map(|d| {
            canonical.extend_from_slice(b",\"data\":");
            let start = canonical.len();
            canonical.extend_from_slice(&members[d].js);
            start..canonical.len()
        });
        canonical.push(b'}');

        // Reading 2, JSON.stringify(body) after `delete body.signature`: the other members in
        // JavaScript's property order (array indices first, ascending; then as received).
        let signature_at = find("signature");
        let mut rest: Vec<(u32, usize)> = (0..members.len())
            .filter(|&i| Some(i) != signature_at)
            .map(|i| {
                let index = jsjson::array_index(&members[i].key_js).unwrap_or(u32::MAX);
                (index, i)
            })
            .collect();
        rest.sort_unstable();
        let same_as_reading_1 = rest
            .iter()
            .map(|&(_, i)| i)
            .eq([Some(event_at), data_at].into_iter().flatten());
        let whole = (!same_as_reading_1).then(|| {
            let mut whole = Vec::with_capacity(body.len());
            whole.push(b'{');
            for (n, &(_, i)) in rest.iter().enumerate() {
                if n > 0 {
                    whole.push(b',');
                }
                whole.extend_from_slice(&members[i].key_js);
                whole.push(b':');
                whole.extend_from_slice(&members[i].js);
            }
            whole.push(b'}');
            whole
        });
        Ok(Parsed {
            event: event_name,
            canonical,
            whole,
            data,
            signature: signature_at.map(|s| members[s].span.clone()),
        })
    }
}

/// The string at `span` (lossy for lone surrogates); `None` if the value is not a string.
fn string_at(body: &[u8], span: &Range<usize>) -> Option<String> {
    let text = body.get(span.clone())?;
    let lossy = canonical::render(text, Mode::Lossy, 1).ok()?;
    match serde_json::from_slice(&lossy).ok()? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The value at `span`, as `serde_json` reads the verified structure.
fn value_at(body: &[u8], span: &Range<usize>, depth: usize) -> Result<Value, WebhookError> {
    let text = body.get(span.clone()).unwrap_or_default();
    let lossy = canonical::render(text, Mode::Lossy, depth).map_err(WebhookError::not_json)?;
    serde_json::from_slice(&lossy).map_err(|_| {
        WebhookError::new(
            WebhookErrorKind::InvalidPayload,
            "the data holds a value serde_json cannot represent (a number beyond f64)",
        )
    })
}

/// A verified v3 event.
///
/// `data` stays as the signed JSON text until [`data`](Self::data) or
/// [`payload`](Self::payload) is first called; each is read once.
#[derive(Clone)]
pub struct V3Event {
    name: String,
    integrator: Option<String>,
    /// `data`'s JavaScript text, as signed.
    data: Option<RawData>,
    value: OnceLock<Value>,
    payload: OnceLock<V3Payload>,
}

impl fmt::Debug for V3Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3Event")
            .field("name", &self.name)
            .field("integrator", &self.integrator)
            .field("data", self.data())
            .field("payload", self.payload())
            .finish()
    }
}

impl PartialEq for V3Event {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.integrator == other.integrator
            && (self.data == other.data || self.data() == other.data())
    }
}

impl V3Event {
    /// The signed event name, e.g. `transaction.deposit.status.updated`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `X-Kotani-Integrator` header as received. It is **not** covered by the signature;
    /// it is only as trustworthy as the secret you verified with (one secret per integrator).
    pub fn integrator(&self) -> Option<&str> {
        self.integrator.as_deref()
    }

    /// The signed `data`, as JSON (`Null` when the body had none). Lone surrogates in strings
    /// read as U+FFFD. Read from the signed text on the first call.
    pub fn data(&self) -> &Value {
        self.value
            .get_or_init(|| self.data.as_ref().map_or(Value::Null, |d| d.value(1)))
    }

    /// The signed `data` as `JSON.stringify` wrote it, the exact bytes the MAC covers (`null`
    /// when the body had none): for your own types.
    pub fn data_json(&self) -> &str {
        self.data.as_ref().map_or("null", RawData::text)
    }

    /// The typed payload, read on the first call.
    pub fn payload(&self) -> &V3Payload {
        self.payload
            .get_or_init(|| V3Payload::from_ref(&self.name, self.data()))
    }

    /// The typed payload, by value.
    pub fn into_payload(mut self) -> V3Payload {
        if let Some(p) = self.payload.take() {
            return p;
        }
        let data = match self.value.take() {
            Some(v) => v,
            None => self.data.as_ref().map_or(Value::Null, |d| d.value(1)),
        };
        V3Payload::from_parts(&self.name, data)
    }
}

/// A value read from an unsigned request: anyone who knows your callback URL can send one.
///
/// Look at it with [`peek`](Self::peek) (to log or route it), but act only on what
/// [`confirm`](Unverified::confirm) fetches from the API.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified<T>(T);

impl<T> Unverified<T> {
    /// Marks a value as unverified.
    pub fn new(value: T) -> Self {
        Unverified(value)
    }

    /// The unverified value. Do not move money on it.
    pub fn peek(&self) -> &T {
        &self.0
    }

    /// The unverified value, by value. Do not move money on it.
    pub fn into_unverified(self) -> T {
        self.0
    }
}

/// A transaction as the API reports it, fetched by [`Unverified::confirm`] (feature `v3`).
#[cfg(feature = "v3")]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Confirmed {
    /// From `get_deposit_status`.
    Deposit(Box<crate::v3::types::DepositDetails>),
    /// From `get_withdrawal_status`.
    Withdrawal(Box<crate::v3::types::WithdrawalDetails>),
    /// From `get_onramp_status`.
    Onramp(Box<crate::v3::types::OnrampDetails>),
    /// From `get_offramp_status`.
    Offramp(Box<crate::v3::types::Offramp>),
}

#[cfg(feature = "v3")]
impl Unverified<TransactionCallback> {
    /// Fetches the transaction the callback names, by its reference, through the API
    /// (`get_deposit_status`, `get_withdrawal_status`, `get_onramp_status` or
    /// `get_offramp_status`). The result is the API's word on the transaction: act on its
    /// status, not the callback's.
    ///
    /// A callback whose product was not recognised is an
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest), sent nowhere.
    pub async fn confirm(&self, client: &crate::v3::Client) -> Result<Confirmed, crate::Error> {
        let (Some(kind), Some(reference)) = (self.0.kind(), self.0.reference_id()) else {
            return Err(crate::Error::invalid_request(
                "confirm_callback",
                "the callback is not a recognised transaction; cannot fetch it",
            ));
        };
        let reference = reference.to_string();
        Ok(match kind {
            TransactionKind::Deposit => Confirmed::Deposit(Box::new(
                client.get_deposit_status().reference_id(reference).data().await?,
            )),
            TransactionKind::Withdrawal => Confirmed::Withdrawal(Box::new(
                client
                    .get_withdrawal_status()
                    .reference_id(reference)
                    .data()
                    .await?,
            )),
            TransactionKind::Onramp => Confirmed::Onramp(Box::new(
                client.get_onramp_status().reference_id(reference).data().await?,
            )),
            TransactionKind::Offramp => Confirmed::Offramp(Box::new(
                client.get_offramp_status().reference_id(reference).data().await?,
            )),
        })
    }
}

/// Reads a direct (unsigned) callback: the bare transaction object posted to the
/// transaction's `callbackUrl` when no webhook secret is configured.
///
/// The product is recognised by its fields ([`TransactionCallback::from_value`]). The result is
/// [`Unverified`]: confirm it before acting on it.
pub fn parse_direct(body: &[u8]) -> Result<Unverified<TransactionCallback>, WebhookError> {
    let value = value_of_object(body)?;
    Ok(Unverified(TransactionCallback::from_value(value)))
}

/// Like [`parse_direct`], for a product you know (e.g. from the callback URL you gave it).
pub fn parse_direct_as(
    kind: TransactionKind,
    body: &[u8],
) -> Result<Unverified<TransactionCallback>, WebhookError> {
    let value = value_of_object(body)?;
    Ok(Unverified(TransactionCallback::from_value_as(kind, value)))
}

fn value_of_object(body: &[u8]) -> Result<Value, WebhookError> {
    let value = value_at(body, &(0..body.len()), 0)?;
    if !value.is_object() {
        return Err(WebhookError::new(
            WebhookErrorKind::InvalidPayload,
            "the body is not a JSON object",
        ));
    }
    Ok(value)
}
