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

/// For the fuzz target and tests (not a stable interface): checks that the one-pass paths agree
/// with the tree-building reading they replaced on `body`, and returns what differs.
///
/// - The one-pass strict check (merchant verification) accepts exactly the bodies the strict
///   renderer accepts, and finds the same top-level members.
/// - A signed merchant delivery's lazily read `data` is the `data` of the whole body read as a
///   `serde_json` tree (lone surrogates as U+FFFD).
/// - A v3 delivery's lazily read `data` is what `serde_json` reads from the rebuilt message.
#[doc(hidden)]
pub fn streaming_disagreement(body: &[u8]) -> Option<String> {
    use serde_json::Value;

    let scanned = canonical::scan(body);
    let rendered = canonical::render(body, Mode::Lossy, 0);
    if scanned.is_ok() != rendered.is_ok() {
        return Some(format!(
            "one-pass check {:?}, strict renderer {:?}",
            scanned.as_ref().err(),
            rendered.as_ref().err()
        ));
    }
    let (Ok(scanned), Ok(lossy)) = (scanned, rendered) else {
        return None;
    };
    let tree: Option<Value> = serde_json::from_slice(&lossy).ok();
    if scanned.beyond_f64.is_some() != tree.is_none() {
        return Some(format!(
            "number beyond f64 at {:?}, serde_json read it: {}",
            scanned.beyond_f64,
            tree.is_some()
        ));
    }
    let (Some(members), Some(Value::Object(map))) = (&scanned.members, &tree) else {
        return None;
    };
    if let Ok(Some(top)) = canonical::top_level_members(body) {
        let spans: Vec<_> = top.iter().map(|m| m.span.clone()).collect();
        let ours: Vec<_> = members.iter().map(|m| m.value.clone()).collect();
        if spans != ours {
            return Some(format!("top-level spans {ours:?}, strict renderer {spans:?}"));
        }
    }
    if members.len() < map.len() {
        return Some("fewer top-level members than serde_json found".into());
    }

    // Merchant: sign the body and compare `data` with the tree's.
    let secret = "streaming-check";
    let verified = merchant::Verifier::new([secret]).verify(&merchant_headers(secret, body), body);
    let want = map.get("data").cloned().unwrap_or(Value::Null);
    let envelope_ok = ["event_type", "idempotency_key"]
        .iter()
        .all(|k| map.get(*k).is_some_and(Value::is_string))
        && ["version", "timestamp", "merchant_id"]
            .iter()
            .all(|k| map.get(*k).is_none_or(|v| v.is_string() || v.is_null()));
    match &verified {
        Ok(event) if event.data() != &want => {
            return Some("merchant `data` differs from the tree's".into());
        }
        Ok(event) if event.clone().into_payload() != *event.payload() => {
            return Some("merchant payload differs between payload() and into_payload()".into());
        }
        Ok(_) if !envelope_ok => return Some("merchant accepted a bad envelope".into()),
        Err(e) if envelope_ok => return Some(format!("merchant refused a good envelope: {e}")),
        _ => {}
    }

    // v3: the rebuilt message's `data`, read as a tree.
    if let Ok(parsed) = v3::Parsed::from_body(body) {
        let tag = super::mac(secret.as_bytes(), &parsed.canonical);
        let header = format!("sha256={}", hex::encode(tag));
        let parts = v3::DeliveryHeaders {
            signature: Some(&header),
            event: None,
            integrator: None,
        };
        if let Ok(event) = v3::Verifier::new([secret]).verify_parts(parts, body) {
            let want = map.get("data").cloned().unwrap_or(Value::Null);
            if event.data() != &want && !(want.is_number() || contains_number(&want)) {
                return Some("v3 `data` differs from the tree's".into());
            }
            if event.clone().into_payload() != *event.payload() {
                return Some("v3 payload differs between payload() and into_payload()".into());
            }
        }
    }
    None
}

/// Whether a value holds a number anywhere (JavaScript may rewrite a number's text, and
/// `serde_json` then reads the rewritten text, which may differ in its last bit).
fn contains_number(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(_) => true,
        serde_json::Value::Array(a) => a.iter().any(contains_number),
        serde_json::Value::Object(o) => o.values().any(contains_number),
        _ => false,
    }
}
