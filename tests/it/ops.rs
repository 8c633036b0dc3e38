//! Every operation of both specs, driven by its fixture: `tests/ops/<family>/<operationId>.yaml`.
//!
//! A fixture is the oracle, written by hand from the API reference and real traffic, not from
//! the spec: the parameters and body to call with, the request the server must see (method,
//! path, query, credential, headers, the exact JSON body), the response it answers, and what the
//! typed result (or the error) must be. One runner calls each operation through the dispatcher
//! that codegen emits for tests (`OUT_DIR/dispatch.rs`: the operation's builder, its setters
//! and `.call()`, exactly what a user calls) and checks all of it. The format is described in
//! `tests/ops/README.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kotanipay::meta::Family;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::common::{self, Reply, Seen};

#[allow(dead_code, unreachable_code, clippy::all)]
pub mod dispatch {
    include!(concat!(env!("OUT_DIR"), "/dispatch.rs"));
}

/// The credential every fixture's client holds (v3: the bearer API key; merchant: `x-api-key`).
pub const V3_KEY: &str = "fixture-v3-key-7f41";
/// The merchant client's API key.
pub const MERCHANT_KEY: &str = "fixture-merchant-key-2b9c";

/// One file: one operation, one or more cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The operationId; the file is named after it.
    pub operation: String,
    /// For operations that move money: the request-body field that carries the caller's
    /// reference (what the API deduplicates on), or `null` when the operation has none. The
    /// money test walks every such operation through the retry rules with it.
    #[serde(default, deserialize_with = "present")]
    pub reference: Option<Option<String>>,
    /// The cases, the first being the operation's main call.
    pub cases: Vec<Case>,
}

/// One call and everything it must do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows.
    pub name: String,
    /// Path, query and header parameters by their spec names.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The request body, decoded into the operation's body type.
    #[serde(default)]
    pub body: Option<Value>,
    /// The request the server must see; absent when nothing may be sent.
    #[serde(default)]
    pub request: Option<Request>,
    /// How the server answers (every attempt).
    #[serde(default)]
    pub response: Option<Response>,
    /// What the call returns.
    #[serde(default)]
    pub expect: Expect,
}

/// A request as it must arrive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Upper case.
    pub method: String,
    /// The path with its parameters filled in (percent-encoded as sent), no query string.
    pub path: String,
    /// Every query parameter, decoded; a list for a repeated one. Nothing else may be sent.
    #[serde(default)]
    pub query: BTreeMap<String, QueryValue>,
    /// Which credential arrives: `standard` (the family's header with the client's key, and not
    /// the other family's), `none`.
    #[serde(default)]
    pub credential: Credential,
    /// Headers that must arrive with exactly these values (names lower case).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Headers that must not arrive.
    #[serde(default)]
    pub absent_headers: Vec<String>,
    /// The body, compared as a JSON value (`tests/it/js_vectors.rs` checks the bytes). Absent:
    /// no body may be sent.
    #[serde(default)]
    pub body: Option<Value>,
    /// How many attempts the server must see (default 1).
    #[serde(default = "one")]
    pub attempts: usize,
}

/// `Some(value)` for a key that is present, `null` included (`Some(None)`); absent is `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn one() -> usize {
    1
}

/// A query value: one, or a repeated parameter's values in order.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum QueryValue {
    /// `?a=1`.
    One(String),
    /// `?a=1&a=2`.
    Many(Vec<String>),
}

/// The credential a request carries.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// The family's credential header with the client's key.
    #[default]
    Standard,
    /// No credential header at all.
    None,
}

/// The server's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Default 200.
    #[serde(default = "ok")]
    pub status: u16,
    /// JSON body (sent as `application/json`).
    #[serde(default)]
    pub body: Option<Value>,
    /// A body sent as these exact bytes instead (not JSON, or JSON whose text matters).
    #[serde(default)]
    pub body_text: Option<String>,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn ok() -> u16 {
    200
}

/// What the call returns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The typed value serialized back to JSON must contain this (objects: these keys, `null`
    /// meaning absent or null; arrays: this many elements, each containing the expected one).
    #[serde(default)]
    pub result: Option<Value>,
    /// Texts the typed value's `Debug` must contain: enum variants (`Unknown("frozen")`),
    /// decimals as decoded (`available_balance: Some(98000.75)`).
    #[serde(default)]
    pub debug: Vec<String>,
    /// The call fails, so.
    #[serde(default)]
    pub error: Option<ErrorExpect>,
}

/// An expected error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorExpect {
    /// `ErrorKind` variant name.
    pub kind: String,
    /// HTTP status, when one came back.
    #[serde(default)]
    pub status: Option<u16>,
    /// `is_outcome_unknown()`.
    #[serde(default)]
    pub outcome_unknown: Option<bool>,
    /// Texts the message must contain.
    #[serde(default)]
    pub message: Vec<String>,
    /// The whole message, exactly.
    #[serde(default)]
    pub message_is: Option<String>,
    /// The validation errors, as `location: message`, in order.
    #[serde(default)]
    pub validation: Option<Vec<String>>,
    /// `retry_after()` in whole seconds.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
}

/// The fixture directory of a family.
pub fn dir(family: Family) -> PathBuf {
    let name = match family {
        Family::V3 => "v3",
        Family::Merchant => "merchant",
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ops").join(name)
}

/// Every fixture of a family, by file stem, parsed.
pub fn fixtures(family: Family) -> BTreeMap<String, Fixture> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir(family)).expect("the fixture directory exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let fixture: Fixture = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a fixture: {e}", path.display()));
        out.insert(stem, fixture);
    }
    out
}

/// The reply a fixture's response makes.
pub fn reply(response: &Response) -> Reply {
    let mut headers: Vec<(String, String)> = response.headers.clone().into_iter().collect();
    let body = match (&response.body_text, &response.body) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(json)) => {
            headers.push(("content-type".into(), "application/json".into()));
            serde_json::to_vec(json).unwrap()
        }
        (None, None) => Vec::new(),
    };
    Reply::Full(response.status, headers, body)
}

/// A client of `family` for `base_url`, holding the fixture key, with fast retries.
pub enum AnyClient {
    /// v3.
    V3(kotanipay::v3::Client),
    /// Merchant.
    Merchant(kotanipay::merchant::Client),
}

impl AnyClient {
    /// The fixtures' client of `family`.
    pub fn new(family: Family, base_url: &str) -> Self {
        match family {
            Family::V3 => AnyClient::V3(common::v3_client(base_url, V3_KEY)),
            Family::Merchant => AnyClient::Merchant(
                kotanipay::merchant::Client::builder()
                    .base_url(base_url)
                    .api_key(MERCHANT_KEY)
                    .retry(common::fast_retry())
                    .build()
                    .unwrap(),
            ),
        }
    }

    /// Calls `operation` with a case's parameters and `body`.
    pub async fn call(
        &self,
        operation: &str,
        params: &Map<String, Value>,
        body: Option<&Value>,
    ) -> Result<Result<dispatch::Outcome, kotanipay::Error>, String> {
        match self {
            AnyClient::V3(c) => dispatch::v3::dispatch(c, operation, params, body).await,
            AnyClient::Merchant(c) => dispatch::merchant::dispatch(c, operation, params, body).await,
        }
    }
}

/// Checks one request against what a fixture says must arrive; returns what differs.
pub fn check_request(family: Family, want: &Request, got: &Seen) -> Vec<String> {
    let mut out = Vec::new();
    if got.method != want.method {
        out.push(format!("method {} (want {})", got.method, want.method));
    }
    let (path, query) = got.path.split_once('?').unwrap_or((&got.path, ""));
    if path != want.path {
        out.push(format!("path {path} (want {})", want.path));
    }
    let mut seen: BTreeMap<String, QueryValue> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let (k, v) = (k.into_owned(), v.into_owned());
        match seen.remove(&k) {
            None => seen.insert(k, QueryValue::One(v)),
            Some(QueryValue::One(a)) => seen.insert(k, QueryValue::Many(vec![a, v])),
            Some(QueryValue::Many(mut a)) => {
                a.push(v);
                seen.insert(k, QueryValue::Many(a))
            }
        };
    }
    if seen != want.query {
        out.push(format!("query {seen:?} (want {:?})", want.query));
    }
    let (header, value, other) = match family {
        Family::V3 => ("authorization", format!("Bearer {V3_KEY}"), "x-api-key"),
        Family::Merchant => ("x-api-key", MERCHANT_KEY.to_string(), "authorization"),
    };
    match want.credential {
        Credential::Standard => {
            if got.header(header) != Some(value.as_str()) {
                out.push(format!(
                    "{header}: {:?} (want the client's key)",
                    got.header(header)
                ));
            }
            if got.header(other).is_some() {
                out.push(format!("{other} sent to a {family:?} operation"));
            }
        }
        Credential::None => {
            for h in [header, other] {
                if got.header(h).is_some() {
                    out.push(format!("{h} sent to a public operation"));
                }
            }
        }
    }
    for (k, v) in &want.headers {
        if got.header(k) != Some(v.as_str()) {
            out.push(format!("header {k}: {:?} (want {v:?})", got.header(k)));
        }
    }
    for k in &want.absent_headers {
        if got.header(k).is_some() {
            out.push(format!("header {k} sent: {:?}", got.header(k)));
        }
    }
    match &want.body {
        None if !got.body.is_empty() => {
            out.push(format!("a body was sent: {}", String::from_utf8_lossy(&got.body)));
        }
        None => {}
        Some(want_body) => {
            if got.header("content-type") != Some("application/json") {
                out.push(format!(
                    "content-type {:?} with a JSON body",
                    got.header("content-type")
                ));
            }
            match serde_json::from_slice::<Value>(&got.body) {
                Err(e) => out.push(format!(
                    "the body is not JSON ({e}): {}",
                    String::from_utf8_lossy(&got.body)
                )),
                Ok(body) if &body != want_body => {
                    out.push(format!("body {body}\n      want {want_body}"));
                }
                Ok(_) => {}
            }
        }
    }
    out
}

/// Whether `got` contains `want` (see [`Expect::result`]); the first difference otherwise.
pub fn contains(got: &Value, want: &Value, at: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Null, Value::Null) => Ok(()),
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let here = format!("{at}/{k}");
                match g.get(k) {
                    None if wv.is_null() => {}
                    None => return Err(format!("{here}: absent (want {wv})")),
                    Some(gv) => contains(gv, wv, &here)?,
                }
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!("{at}: {} elements (want {})", g.len(), w.len()));
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                contains(gv, wv, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => Ok(()),
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{at}: {g} (want {w})")),
    }
}

/// Checks a call's result against a case's expectations.
pub fn check_result(expect: &Expect, got: &Result<dispatch::Outcome, kotanipay::Error>) -> Vec<String> {
    let mut out = Vec::new();
    match (got, &expect.error) {
        (Ok(v), None) => {
            if let Some(want) = &expect.result
                && let Err(e) = contains(&v.json, want, "")
            {
                out.push(format!("result {e}\n      got {}", v.json));
            }
            for d in &expect.debug {
                if !v.debug.contains(d.as_str()) {
                    out.push(format!("Debug lacks {d:?}: {}", v.debug));
                }
            }
        }
        (Ok(v), Some(e)) => out.push(format!("succeeded ({}), want a {} error", v.json, e.kind)),
        (Err(e), None) => out.push(format!("failed: {:?}: {e}", e.kind())),
        (Err(e), Some(want)) => {
            if format!("{:?}", e.kind()) != want.kind {
                out.push(format!("kind {:?} (want {}): {e}", e.kind(), want.kind));
            }
            if e.status().map(|s| s.as_u16()) != want.status {
                out.push(format!("status {:?} (want {:?})", e.status(), want.status));
            }
            if let Some(u) = want.outcome_unknown
                && e.is_outcome_unknown() != u
            {
                out.push(format!(
                    "outcome unknown {} (want {u}): {e}",
                    e.is_outcome_unknown()
                ));
            }
            for m in &want.message {
                if !e.message().contains(m.as_str()) {
                    out.push(format!("message {:?} lacks {m:?}", e.message()));
                }
            }
            if let Some(m) = &want.message_is
                && e.message() != m
            {
                out.push(format!("message {:?} (want exactly {m:?})", e.message()));
            }
            if let Some(v) = &want.validation {
                let got: Vec<String> = e
                    .validation_errors()
                    .iter()
                    .map(|v| format!("{}: {}", v.location, v.message))
                    .collect();
                if &got != v {
                    out.push(format!("validation errors {got:?} (want {v:?})"));
                }
            }
            if let Some(s) = want.retry_after_secs
                && e.retry_after().map(|d| d.as_secs()) != Some(s)
            {
                out.push(format!("retry_after {:?} (want {s} s)", e.retry_after()));
            }
        }
    }
    out
}

/// Runs one case against a fresh loopback server; returns what went wrong.
pub async fn run_case(family: Family, operation: &str, case: &Case) -> Vec<String> {
    let reply = case.response.as_ref().map(reply);
    let server = common::start(move |_, _| reply.clone().unwrap_or_else(|| common::json(599, "{}"))).await;
    let client = AnyClient::new(family, &server.base_url);
    let got = match client.call(operation, &case.params, case.body.as_ref()).await {
        Ok(got) => got,
        Err(fixture) => return vec![format!("the fixture does not call: {fixture}")],
    };
    let mut out = Vec::new();
    let seen = server.requests();
    match &case.request {
        None if !seen.is_empty() => out.push(format!("{} request(s) sent, want none", seen.len())),
        None => {}
        Some(want) => {
            if seen.len() != want.attempts {
                out.push(format!("{} attempt(s), want {}", seen.len(), want.attempts));
            }
            for (i, s) in seen.iter().enumerate() {
                out.extend(
                    check_request(family, want, s)
                        .into_iter()
                        .map(|m| format!("attempt {}: {m}", i + 1)),
                );
            }
        }
    }
    out.extend(check_result(&case.expect, &got));
    out
}

async fn run_family(family: Family) {
    let mut failures = Vec::new();
    let mut cases = 0;
    for (stem, fixture) in fixtures(family) {
        if fixture.operation != stem {
            failures.push(format!("{stem}.yaml: names operation {}", fixture.operation));
        }
        if fixture.cases.is_empty() {
            failures.push(format!("{stem}.yaml: no cases"));
        }
        for case in &fixture.cases {
            cases += 1;
            for problem in run_case(family, &fixture.operation, case).await {
                failures.push(format!("{stem} / {}: {problem}", case.name));
            }
        }
    }
    assert!(cases > 0, "no {family:?} fixtures");
    assert!(
        failures.is_empty(),
        "{} problem(s) in {cases} {family:?} cases:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[tokio::test]
async fn every_v3_operation_does_what_its_fixture_says() {
    run_family(Family::V3).await;
}

#[tokio::test]
async fn every_merchant_operation_does_what_its_fixture_says() {
    run_family(Family::Merchant).await;
}
