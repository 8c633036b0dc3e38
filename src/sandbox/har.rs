//! The sandbox's traffic as HAR 1.2, in the shape `cargo xtask contract --har` reads.
//!
//! Credential headers are written as `[REDACTED]`, and every key, token and secret the sandbox
//! issued or was given is scrubbed from the whole document (`World::secret`), though they are
//! the sandbox's own inventions.

use serde_json::{Value, json};

/// Headers whose values are credentials: written as `[REDACTED]`.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-api-key", "x-signature"];

/// One exchange.
pub(crate) struct Exchange<'a> {
    pub started: String,
    pub method: &'a str,
    pub url: String,
    pub request_headers: &'a http::HeaderMap,
    pub request_body: &'a [u8],
    pub status: u16,
    pub response_body: &'a [u8],
}

fn headers(map: &http::HeaderMap) -> Vec<Value> {
    map.iter()
        .map(|(k, v)| {
            let value = if CREDENTIAL_HEADERS.contains(&k.as_str()) {
                "[REDACTED]".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            json!({"name": k.as_str(), "value": value})
        })
        .collect()
}

/// The HAR entry of one exchange.
pub(crate) fn entry(e: &Exchange<'_>) -> Value {
    let query: Vec<Value> = e
        .url
        .split_once('?')
        .map(|(_, q)| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    let mut request = json!({
        "method": e.method,
        "url": e.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(e.request_headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": e.request_body.len(),
    });
    if !e.request_body.is_empty() {
        request["postData"] = json!({
            "mimeType": "application/json",
            "text": String::from_utf8_lossy(e.request_body),
        });
    }
    let text = String::from_utf8_lossy(e.response_body);
    json!({
        "startedDateTime": e.started,
        "time": 0,
        "request": request,
        "response": {
            "status": e.status,
            "statusText": http::StatusCode::from_u16(e.status).ok().and_then(|s| s.canonical_reason()).unwrap_or(""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": "content-type", "value": "application/json; charset=utf-8"}],
            "content": {"size": e.response_body.len(), "mimeType": "application/json; charset=utf-8", "text": text},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": e.response_body.len(),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    })
}

/// A HAR document of `entries`, with every one of `secrets` replaced by `[REDACTED]`.
pub(crate) fn document(entries: &[Value], secrets: &[String]) -> Value {
    let doc = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "kotanipay sandbox", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
        }
    });
    let scrub = crate::redact::Scrubber::new(secrets.iter().map(String::as_str));
    if scrub.is_empty() {
        return doc;
    }
    let text = doc.to_string();
    serde_json::from_str(&scrub.str(&text)).unwrap_or(doc)
}
