//! HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>) in and out: the format browser
//! devtools, mitmproxy, Postman and Insomnia export. Read leniently (only what the checks need);
//! written with every field HAR 1.2 requires.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use serde_json::{Value, json};

use super::report::Source;
use super::stream::{self, Found, StreamError};

/// One request/response pair.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Vec<u8>>,
    pub request_content_type: Option<String>,
    pub status: u16,
    pub status_text: String,
    pub response_headers: Vec<(String, String)>,
    /// The response media type (`mimeType`, else the `Content-Type` header).
    pub content_type: Option<String>,
    /// The response body; `None` when the capture has none (not the same as an empty body).
    pub body: Option<Vec<u8>>,
    pub source: Source,
    /// ISO 8601 time the request started.
    pub started: String,
    /// Milliseconds the exchange took.
    pub time_ms: f64,
    /// The URL starts with this Postman variable, which was not set: the host (and any path
    /// prefix) is unknown.
    pub host_variable: Option<String>,
}

/// Reads a HAR file as a stream, entry by entry: `each` gets every exchange as soon as its entry
/// is parsed, and no more than one entry is held at a time. Returns the number of entries.
pub fn stream(
    path: &Path,
    display: &str,
    each: &mut dyn FnMut(Exchange) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read HAR {display}"))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let found = stream::array_at(reader, &["log", "entries"], &mut |i, entry| {
        each(exchange(i, &entry, display).map_err(|e| anyhow!("{display}: {e}"))?)
    })
    .map_err(|e| match e {
        StreamError::Callback(e) => e,
        e => anyhow!("{display}: {e}"),
    })?;
    match found {
        Found::Array(n) => Ok(n),
        Found::NotArray | Found::Missing => bail!("{display}: not a HAR file (no log.entries)"),
    }
}

/// The exchanges of a whole HAR document.
#[cfg(test)]
pub fn parse(har: &Value, display: &str) -> anyhow::Result<Vec<Exchange>> {
    let Some(entries) = har.pointer("/log/entries").and_then(Value::as_array) else {
        bail!("not a HAR file (no log.entries)");
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| exchange(i, entry, display))
        .collect()
}

/// The exchange of entry `i`.
fn exchange(i: usize, entry: &Value, display: &str) -> anyhow::Result<Exchange> {
    let request = entry
        .get("request")
        .ok_or_else(|| anyhow!("entry {i}: no request"))?;
    let response = entry
        .get("response")
        .ok_or_else(|| anyhow!("entry {i}: no response"))?;
    let method = str_at(request, "method").ok_or_else(|| anyhow!("entry {i}: no request.method"))?;
    let url = str_at(request, "url").ok_or_else(|| anyhow!("entry {i}: no request.url"))?;
    let status = response
        .get("status")
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("entry {i}: no response.status"))?;
    // HAR writes status 0 for a request that got no response (blocked, aborted).
    let status = u16::try_from(status).map_err(|_| anyhow!("entry {i}: bad status {status}"))?;
    let response_headers = headers(response);
    let content = response.get("content");
    let content_type = content
        .and_then(|c| str_at(c, "mimeType"))
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .or_else(|| header(&response_headers, "content-type").map(str::to_owned));
    let body = match content.and_then(|c| c.get("text")).and_then(Value::as_str) {
        Some(text) => Some(
            decode_text(text, content.and_then(|c| str_at(c, "encoding")))
                .map_err(|e| anyhow!("entry {i}: {e}"))?,
        ),
        None if content.and_then(|c| c.get("size")).and_then(Value::as_i64) == Some(0) => Some(Vec::new()),
        None => None,
    };
    let request_body = request
        .pointer("/postData/text")
        .and_then(Value::as_str)
        .map(|t| t.as_bytes().to_vec());
    Ok(Exchange {
        method: method.to_ascii_uppercase(),
        url: url.to_owned(),
        request_headers: headers(request),
        request_body,
        request_content_type: request
            .pointer("/postData/mimeType")
            .and_then(Value::as_str)
            .map(str::to_owned),
        status,
        status_text: str_at(response, "statusText").unwrap_or_default().to_owned(),
        response_headers,
        content_type,
        body,
        source: Source::entry(
            display,
            i,
            str_at(entry, "comment")
                .or_else(|| str_at(response, "comment"))
                .map(str::to_owned),
        ),
        started: str_at(entry, "startedDateTime").unwrap_or_default().to_owned(),
        time_ms: entry.get("time").and_then(Value::as_f64).unwrap_or(0.0),
        host_variable: None,
    })
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn headers(v: &Value) -> Vec<(String, String)> {
    v.get("headers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|h| Some((str_at(h, "name")?.to_owned(), str_at(h, "value")?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The first header named `name` (case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn decode_text(text: &str, encoding: Option<&str>) -> anyhow::Result<Vec<u8>> {
    match encoding {
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| anyhow!("response body is not valid base64: {e}")),
        _ => Ok(text.as_bytes().to_vec()),
    }
}

/// A HAR 1.2 document holding `exchanges`.
pub fn to_har(exchanges: &[Exchange], comment: &str) -> Value {
    let entries: Vec<Value> = exchanges.iter().map(entry).collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "kotanipay cargo xtask contract", "version": env!("CARGO_PKG_VERSION")},
            "comment": comment,
            "pages": [],
            "entries": entries,
        }
    })
}

fn entry(e: &Exchange) -> Value {
    let query: Vec<Value> = e
        .url
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (n, v) = p.split_once('=').unwrap_or((p, ""));
                    json!({"name": n, "value": v})
                })
                .collect()
        })
        .unwrap_or_default();
    let text = |b: &Option<Vec<u8>>| b.as_deref().map(|b| String::from_utf8_lossy(b).into_owned());
    let mut request = json!({
        "method": e.method,
        "url": e.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": header_list(&e.request_headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": e.request_body.as_ref().map_or(0, |b| b.len() as i64),
    });
    if let Some(body) = text(&e.request_body) {
        request["postData"] = json!({
            "mimeType": e.request_content_type.clone().unwrap_or_else(|| "application/json".into()),
            "text": body,
        });
    }
    let body = text(&e.body);
    let mut entry = json!({
        "startedDateTime": e.started,
        "time": e.time_ms,
        "request": request,
        "response": {
            "status": e.status,
            "statusText": e.status_text,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": header_list(&e.response_headers),
            "content": {
                "size": body.as_ref().map_or(-1, |b| b.len() as i64),
                "mimeType": e.content_type.clone().unwrap_or_default(),
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": body.as_ref().map_or(-1, |b| b.len() as i64),
        },
        "cache": {},
        "timings": {"send": 0, "wait": e.time_ms, "receive": 0},
    });
    if let Some(body) = body {
        entry["response"]["content"]["text"] = json!(body);
    }
    if let Some(c) = &e.source.comment {
        entry["comment"] = json!(c);
    }
    entry
}

fn header_list(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_base64_and_missing_bodies() {
        let har = json!({"log": {"entries": [
            {"request": {"method": "get", "url": "https://h/a"},
             "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                          "content": {"mimeType": "", "text": "e30=", "encoding": "base64"}},
             "comment": "c"},
            {"request": {"method": "GET", "url": "https://h/b"},
             "response": {"status": 204, "content": {"size": 0, "mimeType": ""}}},
            {"request": {"method": "GET", "url": "https://h/c"},
             "response": {"status": 200, "content": {"size": 10, "mimeType": "application/json"}}},
        ]}});
        let ex = parse(&har, "t.har").unwrap();
        assert_eq!(ex[0].method, "GET");
        assert_eq!(ex[0].body.as_deref(), Some(&b"{}"[..]));
        assert_eq!(ex[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(ex[0].source.comment.as_deref(), Some("c"));
        assert_eq!(ex[1].body.as_deref(), Some(&b""[..]));
        assert_eq!(ex[2].body, None);
        assert!(parse(&json!({"log": {}}), "x").is_err());
        // Written HAR reads back.
        let again = parse(&to_har(&ex, "round trip"), "y").unwrap();
        assert_eq!(again.len(), 3);
        assert_eq!(again[0].body.as_deref(), Some(&b"{}"[..]));
    }

    fn streamed(text: &str) -> anyhow::Result<Vec<Exchange>> {
        let dir = std::env::temp_dir().join(format!("xtask-har-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!(
            "{:x}.har",
            text.len() * 31 + text.bytes().map(usize::from).sum::<usize>()
        ));
        std::fs::write(&path, text).unwrap();
        let mut out = Vec::new();
        let result = stream(&path, "t.har", &mut |ex| {
            out.push(ex);
            Ok(())
        });
        let _ = std::fs::remove_file(&path);
        result.map(|n| {
            assert_eq!(n, out.len());
            out
        })
    }

    #[test]
    fn streams_the_same_exchanges_as_a_whole_read() {
        let har = json!({"log": {"version": "1.2", "entries": [
            {"request": {"method": "get", "url": "https://h/a"},
             "response": {"status": 200, "content": {"mimeType": "application/json", "text": "{}"}}, "comment": "c"},
            {"request": {"method": "POST", "url": "https://h/b", "postData": {"mimeType": "application/json", "text": "{\"x\":1}"}},
             "response": {"status": 201, "content": {"size": 0, "mimeType": ""}}},
        ], "creator": {"name": "after the entries"}}});
        let whole = parse(&har, "t.har").unwrap();
        let read = streamed(&har.to_string()).unwrap();
        assert_eq!(format!("{whole:?}"), format!("{read:?}"));
        let err = |text: &str| streamed(text).unwrap_err().to_string();
        assert!(
            err("not json").starts_with("t.har: not JSON"),
            "{}",
            err("not json")
        );
        assert_eq!(err(r#"{"log": {}}"#), "t.har: not a HAR file (no log.entries)");
        assert_eq!(err(r#"[]"#), "t.har: not a HAR file (no log.entries)");
        assert_eq!(
            err(r#"{"log": {"entries": [{"request": {"method": "GET", "url": "u"}}]}}"#),
            "t.har: entry 0: no response"
        );
    }
}
