//! Secure mode: every request signed with the API key's secret.
//!
//! Headers: `x-timestamp` (Unix seconds), `x-nonce` (UUID v4, new per attempt) and
//! `x-signature` = lowercase hex HMAC-SHA256(secret, `"{timestamp}.{nonce}.{payload}"`), where the
//! payload is the last path segment for GET (the query string is not signed) and, for every
//! other method, DELETE included, the exact body bytes, or `{}` when there is no body. This is
//! how Kotani's own signing samples (Postman pre-request script, Node, Python) sign: only GET
//! is treated specially. The body bytes are those the pipeline sends, already in the form
//! JavaScript's `JSON.stringify` writes (see `crate::jsjson`).

use hmac::{Hmac, Mac};
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// `x-timestamp`.
pub const TIMESTAMP_HEADER: &str = "x-timestamp";
/// `x-nonce`.
pub const NONCE_HEADER: &str = "x-nonce";
/// `x-signature`.
pub const SIGNATURE_HEADER: &str = "x-signature";

/// Lowercase hex HMAC-SHA256 of `"{timestamp}.{nonce}.{payload}"`.
pub fn signature(secret: &str, timestamp: u64, nonce: &str, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(nonce.as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// The bytes a request is signed over.
pub fn payload<'a>(method: &reqwest::Method, url: &'a reqwest::Url, body: Option<&'a [u8]>) -> &'a [u8] {
    match *method {
        reqwest::Method::GET => url.path().rsplit('/').next().unwrap_or("").as_bytes(),
        _ => match body {
            Some(b) if !b.is_empty() => b,
            _ => b"{}",
        },
    }
}

/// Adds the three signing headers to a request that is about to be sent.
pub(crate) fn sign(request: &mut reqwest::Request, secret: &SecretString) {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let nonce = uuid::Uuid::new_v4().to_string();
    let body = request.body().and_then(|b| b.as_bytes());
    let sig = signature(
        secret.expose_secret(),
        timestamp,
        &nonce,
        payload(request.method(), request.url(), body),
    );
    let h = request.headers_mut();
    h.insert(
        HeaderName::from_static(TIMESTAMP_HEADER),
        HeaderValue::from(timestamp),
    );
    h.insert(
        HeaderName::from_static(NONCE_HEADER),
        HeaderValue::from_str(&nonce).expect("uuid is ascii"),
    );
    let mut v = HeaderValue::from_str(&sig).expect("hex is ascii");
    v.set_sensitive(true);
    h.insert(HeaderName::from_static(SIGNATURE_HEADER), v);
}
