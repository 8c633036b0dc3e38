//! Signed deliveries for testing your webhook handlers.
//!
//! ```
//! use kotanipay::webhook::{testing, v3};
//!
//! let (headers, body) = testing::sign_v3(
//!     "whsec_test",
//!     "transaction.withdrawal.status.updated",
//!     r#"{"status":"SUCCESSFUL","referenceId":"payout-7","amount":500}"#,
//! );
//! let event = v3::Verifier::new(["whsec_test"]).verify(&headers, &body).unwrap();
//! assert_eq!(event.name(), "transaction.withdrawal.status.updated");
//! ```
//!
//! The helpers write what the senders write: v3 bodies are `{"event","data","signature"}` with
//! `data` compacted as `JSON.stringify` would (your key order kept, integer-like keys first,
//! numbers in JavaScript's form; a number a double cannot hold panics), and
//! the MAC over `JSON.stringify({event, data})`; merchant bodies are the documented envelope,
//! signed over the raw bytes.
//!
//! The helpers panic on a `data_json` that is not JSON: they are for tests.

use std::time::SystemTime;

use http::{HeaderMap, HeaderValue};

use super::canonical::{self, Mode};
use super::{merchant, signature_value, v3};
use crate::time;

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).expect("header value must be visible ASCII")
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn compact(data_json: &str) -> Vec<u8> {
    canonical::render(data_json.as_bytes(), Mode::Js, 1)
        .unwrap_or_else(|e| panic!("data_json is not JSON this SDK accepts: {e}"))
}

/// A signed v3 delivery of `event` with `data_json`: the `X-Kotani-Signature`,
/// `X-Kotani-Event` and `Content-Type` headers, and the body.
///
/// # Panics
///
/// If `data_json` is not valid JSON, or `event` is not visible ASCII.
pub fn sign_v3(secret: &str, event: &str, data_json: &str) -> (HeaderMap, Vec<u8>) {
    let data = compact(data_json);
    let mut message = format!("{{\"event\":{},\"data\":", json_string(event)).into_bytes();
    message.extend_from_slice(&data);
    message.push(b'}');
    let signature = signature_value(secret.as_bytes(), &message);
    let mut body = message;
    body.pop();
    body.extend_from_slice(format!(",\"signature\":\"{signature}\"}}").as_bytes());

    let mut headers = HeaderMap::new();
    headers.insert(v3::SIGNATURE_HEADER, value(&signature));
    headers.insert(v3::EVENT_HEADER, value(event));
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (headers, body)
}

/// The `X-Kotani-Signature` value for a v3 body you wrote yourself (the MAC of
/// `JSON.stringify({event, data})` rebuilt from it).
///
/// # Panics
///
/// If `body` is not a JSON object with a string `event`.
pub fn v3_signature(secret: &str, body: &[u8]) -> String {
    let parsed = v3::Parsed::from_body(body).unwrap_or_else(|e| panic!("not a v3 body: {e}"));
    signature_value(secret.as_bytes(), &parsed.canonical)
}

/// A signed merchant delivery of `event_type` with `data_json`, timestamped now, with a fresh
/// idempotency key: the `X-Webhook-*`, `User-Agent` and `Content-Type` headers, and the body.
///
/// # Panics
///
/// If `data_json` is not valid JSON, or `event_type` is not visible ASCII.
pub fn sign_merchant(secret: &str, event_type: &str, data_json: &str) -> (HeaderMap, Vec<u8>) {
    let key = uuid::Uuid::new_v4().to_string();
    sign_merchant_at(secret, event_type, data_json, &key, SystemTime::now())
}

/// Like [`sign_merchant`], with the idempotency key and timestamp given.
///
/// # Panics
///
/// If `data_json` is not valid JSON, or `event_type` or `idempotency_key` is not visible ASCII.
pub fn sign_merchant_at(
    secret: &str,
    event_type: &str,
    data_json: &str,
    idempotency_key: &str,
    at: SystemTime,
) -> (HeaderMap, Vec<u8>) {
    let mut body = format!(
        "{{\"version\":\"v1\",\"event_type\":{},\"timestamp\":{},\"idempotency_key\":{},\"merchant_id\":\"00000000-0000-4000-8000-000000000000\",\"data\":",
        json_string(event_type),
        json_string(&time::format_rfc3339(at)),
        json_string(idempotency_key),
    )
    .into_bytes();
    body.extend_from_slice(&compact(data_json));
    body.push(b'}');
    let mut headers = merchant_headers(secret, &body);
    headers.insert(merchant::EVENT_HEADER, value(event_type));
    headers.insert(merchant::IDEMPOTENCY_HEADER, value(idempotency_key));
    (headers, body)
}

/// The headers that sign a merchant body you wrote yourself: `X-Webhook-Signature` (over the
/// raw bytes), `User-Agent` and `Content-Type`.
pub fn merchant_headers(secret: &str, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        merchant::SIGNATURE_HEADER,
        value(&signature_value(secret.as_bytes(), body)),
    );
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static("KutanaPay-Webhook/1.0"),
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers
}
