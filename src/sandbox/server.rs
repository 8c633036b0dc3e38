//! The sandbox's HTTP server: routing by the specs' tables, credentials, rate limits, request
//! validation against the request schemas, then the family's handler (or the spec example).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::Shared;
use super::har;
use super::world::{self, Reply, Req};
use crate::meta::{Credential, Family, OperationMeta};

/// The largest request body the sandbox reads.
const MAX_BODY: usize = 1 << 20;

/// Why a request gets no response: the handler committed and the response is lost.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the sandbox dropped the connection after committing (a lost response)")
    }
}

impl std::error::Error for Dropped {}

/// Where the sandbox's own control endpoints live, for teammates driving the sandbox process
/// over HTTP (no spec operation starts with it; not recorded in the HAR).
pub(crate) const CONTROL_PREFIX: &str = "/_sandbox/";

/// A delivery as the control endpoints show it.
pub(crate) fn delivery_json(d: &super::Delivery) -> Value {
    json!({
        "id": d.id,
        "family": match d.family { Family::V3 => "v3", Family::Merchant => "merchant" },
        "url": d.url,
        "event": d.event,
        "reference": d.reference,
        "headers": d.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "body": String::from_utf8_lossy(&d.body),
        "state": format!("{:?}", d.state),
        "attempts": d.attempts.iter().map(|a| json!({
            "at": crate::time::format_rfc3339(a.at),
            "status": a.status,
            "error": a.error,
        })).collect::<Vec<_>>(),
    })
}

/// The control endpoints (`/_sandbox/...`): the clock, deliveries, and what each family adds.
async fn control(shared: &Shared, method: &str, rest: &str, query: Option<&str>) -> (u16, Value) {
    let q: HashMap<String, String> = query
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (method, segments.as_slice()) {
        ("GET", ["now"]) => (200, json!({"now": shared.world().timestamp()})),
        ("POST", ["advance"]) => {
            let Some(seconds) = q
                .get("seconds")
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
            else {
                return (400, json!({"error": "advance needs ?seconds=N (a number >= 0)"}));
            };
            shared
                .advance(std::time::Duration::from_secs_f64(seconds.min(1e9)))
                .await;
            (200, json!({"now": shared.world().timestamp()}))
        }
        ("GET", ["deliveries"]) => {
            let list: Vec<Value> = shared.world().deliveries.iter().map(delivery_json).collect();
            (200, json!(list))
        }
        ("POST", ["deliveries", id, "replay"]) => match id.parse::<usize>().ok() {
            Some(id) => match shared.replay(id).await {
                Some(new) => (200, json!({"id": new})),
                None => (404, json!({"error": format!("no delivery {id}")})),
            },
            None => (400, json!({"error": "a delivery id is a number"})),
        },
        _ => match super::control(shared, method, &segments, &q).await {
            Some(answer) => answer,
            None => (
                404,
                json!({"error": format!("no control endpoint {method} {CONTROL_PREFIX}{rest}")}),
            ),
        },
    }
}

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { handle(shared, req).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let (parts, body) = req.into_parts();
    let raw = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(response(
                413,
                &json!({"success": false, "message": "request entity too large", "error_code": 413, "data": {}}),
            ));
        }
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    if let Some(rest) = path.strip_prefix(CONTROL_PREFIX) {
        let (status, body) = control(&shared, &method, rest, query.as_deref()).await;
        return Ok(response(status, &body));
    }
    let url = match &query {
        Some(q) => format!("{}{path}?{q}", shared.base_url),
        None => format!("{}{path}", shared.base_url),
    };
    let started = shared.world().timestamp();

    let reply = answer(&shared, &method, &path, query.as_deref(), &parts.headers, &raw);
    // Work due now (a webhook of a status that changed at once) goes out without waiting for
    // the next `advance`.
    let flush = shared.clone();
    tokio::spawn(async move { flush.flush().await });

    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if reply.drop_response {
        return Err(Dropped);
    }
    let body = serde_json::to_vec(&reply.body).unwrap_or_default();
    let entry = har::entry(&har::Exchange {
        started,
        method: &method,
        url,
        request_headers: &parts.headers,
        request_body: &raw,
        status: reply.status,
        response_body: &body,
    });
    shared.har.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
    Ok(response_bytes(reply.status, body))
}

fn response(status: u16, body: &Value) -> hyper::Response<Full<Bytes>> {
    response_bytes(status, serde_json::to_vec(body).unwrap_or_default())
}

fn response_bytes(status: u16, body: Vec<u8>) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// Which family a path belongs to when no operation matches it.
fn family_of_path(path: &str) -> Family {
    if path.starts_with("/api/v1/merchants") {
        Family::Merchant
    } else {
        Family::V3
    }
}

/// The operation `method` and `path` name, with its path parameters.
fn route(method: &str, path: &str) -> Option<(&'static OperationMeta, HashMap<String, String>)> {
    let op = crate::meta::operations().find(|o| o.method == method && o.matches_path(path))?;
    let mut params = HashMap::new();
    for (want, got) in op.path.split('/').zip(path.split('/')) {
        if let Some(name) = want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            let value = percent_encoding::percent_decode_str(got)
                .decode_utf8_lossy()
                .into_owned();
            params.insert(name.to_string(), value);
        }
    }
    Some((op, params))
}

/// The not-found answer of each framework: NestJS for v3, FastAPI for merchant.
fn not_found(method: &str, path: &str) -> Reply {
    match family_of_path(path) {
        Family::V3 => Reply::new(
            404,
            json!({"statusCode": 404, "message": format!("Cannot {method} {path}"), "error": "Not Found"}),
        ),
        Family::Merchant => Reply::new(404, json!({"detail": "Not Found"})),
    }
}

fn answer(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    raw: &[u8],
) -> Reply {
    let Some((op, path_params)) = route(method, path) else {
        return not_found(method, path);
    };
    *shared
        .hits
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry((op.family, op.id))
        .or_default() += 1;
    if let Some(o) = shared
        .overrides
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&(op.family, op.id))
        .cloned()
    {
        return Reply::new(o.status, o.body);
    }

    let info = op.family.info();
    let credential = headers
        .get(info.credential_header)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let v = v.trim();
            match info.credential_prefix.trim() {
                "" => v.to_string(),
                prefix => v
                    .strip_prefix(prefix)
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|| v.to_string()),
            }
        })
        .filter(|v| !v.is_empty());
    {
        let mut w = shared.world();
        let reply = (|| {
            if op.credential != Credential::None && credential.is_none() {
                return world::error(op.family, 401, "Unauthorized");
            }
            let query: Vec<(String, String)> = query
                .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default();
            let mut req = Req {
                op,
                path: path_params,
                query,
                headers,
                credential: credential.clone(),
                json: Value::Null,
                raw,
            };
            // The credential first (and the rate limit it counts against), as the frameworks'
            // guards run before their body validation.
            if op.credential != Credential::None && !w.config.examples_only {
                let checked = match op.family {
                    Family::V3 => super::v3::authenticate(&mut w, &req),
                    Family::Merchant => super::merchant::authenticate(&mut w, &req),
                };
                if let Err(refused) = checked {
                    return refused;
                }
            }
            if !raw.is_empty() {
                match serde_json::from_slice::<Value>(raw) {
                    Ok(v) => req.json = v,
                    Err(e) => return bad_json(op.family, &e),
                }
                if let Some(Err(f)) = crate::meta::decode_request(op.family, op.id, raw) {
                    return invalid(op.family, &f);
                }
            }
            let handled = if w.config.examples_only {
                None
            } else {
                match op.family {
                    Family::V3 => super::v3::handle(&mut w, &req),
                    Family::Merchant => super::merchant::handle(&mut w, &req),
                }
            };
            handled.unwrap_or_else(|| example(op))
        })();
        // The sandbox's own answers must decode into the SDK's types for that status.
        let bytes = serde_json::to_vec(&reply.body).unwrap_or_default();
        if let Some(Err(f)) = crate::meta::decode(op.family, op.id, reply.status, &bytes) {
            w.violations.push(format!(
                "{} {} answered {} that does not decode at `{}`: {}",
                op.id, path, reply.status, f.path, f.message
            ));
        }
        reply
    }
}

/// The operation's spec example, or 501 when it has none.
fn example(op: &OperationMeta) -> Reply {
    match op.example.and_then(|e| serde_json::from_str(e).ok()) {
        Some(body) => Reply::new(op.success_status, body),
        None => world::error(op.family, 501, "the sandbox does not simulate this operation"),
    }
}

/// A body that is not JSON: Express's body parser (v3), FastAPI's `json_invalid` (merchant).
fn bad_json(family: Family, e: &serde_json::Error) -> Reply {
    match family {
        Family::V3 => world::error(
            family,
            400,
            &format!(
                "Unexpected token in JSON at line {} column {}",
                e.line(),
                e.column()
            ),
        ),
        Family::Merchant => world::merchant_validation(&[(
            vec![json!("body"), json!(e.column())],
            "JSON decode error".to_string(),
            "json_invalid",
        )]),
    }
}

/// A body that breaks the spec's request schema: class-validator messages (v3 400), pydantic
/// issues (merchant 422).
fn invalid(family: Family, f: &crate::meta::DecodeFailure) -> Reply {
    let field = missing_field(&f.message);
    let location: Vec<String> = f
        .path
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .chain(field.clone())
        .collect();
    let name = location.last().cloned().unwrap_or_else(|| "body".to_string());
    match family {
        Family::V3 => {
            let message = if field.is_some() {
                format!("{name} should not be empty")
            } else if f.message.contains("expected") {
                format!("{name} has the wrong type ({})", first_clause(&f.message))
            } else {
                format!("{name}: {}", first_clause(&f.message))
            };
            world::v3_validation(&[message])
        }
        Family::Merchant => {
            let mut loc = vec![json!("body")];
            loc.extend(location.iter().map(|s| json!(s)));
            let (msg, kind) = if field.is_some() {
                ("Field required".to_string(), "missing")
            } else {
                (first_clause(&f.message).to_string(), "value_error")
            };
            world::merchant_validation(&[(loc, msg, kind)])
        }
    }
}

/// `x` of serde's "missing field `x`".
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// A serde message without its " at line 1 column 7" tail.
fn first_clause(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}
