//! `--live`: calls the real API and hands the exchanges to the checks.
//!
//! - Targets: v3 at `KOTANI_BASE_URL` (default the sandbox) with `KOTANI_API_KEY` (or
//!   `KOTANI_JWT`) as the bearer; merchant at `KUTANAPAY_BASE_URL` with `KUTANAPAY_API_KEY` as
//!   `x-api-key`. A family without credentials is not called; none at all is exit 3.
//! - Only `https`, except plain `http` to a loopback host (a local stand-in for the sandbox).
//! - By default only reads: `GET` operations whose operationId verb is `get`, `list` or
//!   `preview` (a `GET` that generates keys or cancels is not a read). Path parameters and
//!   required query parameters are discovered from earlier responses (the list before the
//!   get-by-id), else taken from the parameter's example, default or first enum value.
//! - `--allow-writes` adds the creating operations (`POST`, operationId `create_*`, with a
//!   credential) using the spec's request example, the sandbox's test number (reference A.8,
//!   `…700000001`: succeeds) in phone fields and a fresh caller reference. Never against the
//!   production v3 host.
//! - Paced per rate tier ([`super::pace`]); a 429 is retried after `data.retryAfter`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use kotanipay::meta::Family;
use kotanipay_codegen::{Credential, Parameter};
use serde_json::{Map, Value};

use super::har::Exchange;
use super::pace::{Pacer, Tier};
use super::redact::redact_url;
use super::report::{Skipped, Source};
use super::specs::{SpecOp, Specs, codegen_family, family_name, url_host};
use super::waivers::civil_from_days;

/// The v3 sandbox (reference A.1).
pub const V3_SANDBOX: &str = "https://sandbox-api.kotanipay.com";
/// The v3 production host: never written to.
const V3_PRODUCTION_HOST: &str = "api.kotanipay.com";

/// operationId verbs of a `GET` that only reads.
const READ_VERBS: [&str; 3] = ["get", "list", "preview"];

/// The sandbox's reserved number that succeeds (last nine digits; reference A.8).
const TEST_NUMBER_TAIL: &str = "700000001";

/// How often a 429 is retried, and the longest wait honoured.
const RETRIES_ON_429: usize = 2;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// One API to call.
#[derive(Debug, Clone)]
pub struct Target {
    pub family: Family,
    pub base_url: String,
    /// The credential header (name, value).
    pub credential: (String, String),
    pub loopback: bool,
}

/// Why live mode cannot start.
#[derive(Debug)]
pub enum SetupError {
    /// No credentials: exit 3.
    NoCredentials(String),
    /// A bad base URL: exit 2.
    Config(String),
}

/// Reads the targets from the environment (`env` is `std::env::var` in real runs).
pub fn targets_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Target>, SetupError> {
    let get = |k: &str| env(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut targets = Vec::new();
    if let Some(token) = get("KOTANI_API_KEY").or_else(|| get("KOTANI_JWT")) {
        let base = get("KOTANI_BASE_URL").unwrap_or_else(|| V3_SANDBOX.to_owned());
        targets.push(target(Family::V3, &base, credential(Family::V3, &token))?);
    }
    match (get("KUTANAPAY_BASE_URL"), get("KUTANAPAY_API_KEY")) {
        (Some(base), Some(key)) => targets.push(target(
            Family::Merchant,
            &base,
            credential(Family::Merchant, &key),
        )?),
        (None, Some(_)) if targets.is_empty() => {
            return Err(SetupError::NoCredentials(
                "KUTANAPAY_API_KEY is set but KUTANAPAY_BASE_URL is not (the merchant API publishes no host)"
                    .into(),
            ));
        }
        _ => {}
    }
    if targets.is_empty() {
        return Err(SetupError::NoCredentials(
            "no credentials: set KOTANI_API_KEY (or KOTANI_JWT) for the v3 API (host KOTANI_BASE_URL, default \
             https://sandbox-api.kotanipay.com) and/or KUTANAPAY_BASE_URL with KUTANAPAY_API_KEY for the merchant API"
                .into(),
        ));
    }
    Ok(targets)
}

/// The credential header (name, value) of a family, as the family list in `kotanipay-codegen`
/// says: `Authorization: Bearer <key>` (the standard header's usual spelling), `x-api-key: <key>`.
fn credential(family: Family, key: &str) -> (String, String) {
    let family = codegen_family(family);
    let name = match family.credential_header {
        "authorization" => "Authorization".to_owned(),
        other => other.to_owned(),
    };
    (name, family.credential_value(key))
}

fn target(family: Family, base: &str, credential: (String, String)) -> Result<Target, SetupError> {
    let loopback = check_base_url(base).map_err(SetupError::Config)?;
    Ok(Target {
        family,
        base_url: base.trim_end_matches('/').to_owned(),
        credential,
        loopback,
    })
}

/// `https://…` is fine; `http://…` only to a loopback host. Returns whether the host is loopback.
pub fn check_base_url(url: &str) -> Result<bool, String> {
    let (scheme, _) = url
        .split_once("://")
        .ok_or_else(|| format!("base URL `{url}` is not an absolute URL"))?;
    let host = url_host(url).unwrap_or_default();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(loopback),
        "http" if loopback => Ok(true),
        "http" => Err(format!(
            "refusing plain http to {name}: use https (http is only allowed to a loopback host)"
        )),
        other => Err(format!("base URL `{url}`: unsupported scheme `{other}`")),
    }
}

/// Options of a live run.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    pub allow_writes: bool,
    /// Only these operationIds (all when empty).
    pub operations: Vec<String>,
    /// Do not wait between calls (allowed against loopback targets only).
    pub no_pace: bool,
}

/// What a live run saw.
#[derive(Debug, Default)]
pub struct LiveOutcome {
    pub exchanges: Vec<Exchange>,
    pub skipped: Vec<Skipped>,
    pub transport_errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Read,
    Write,
}

/// Objects from earlier responses, to take ids from.
struct Discovered {
    family: Family,
    path: String,
    objects: Vec<Map<String, Value>>,
}

/// Runs the live calls.
pub fn run(specs: &Specs, targets: &[Target], opts: &LiveOptions) -> anyhow::Result<LiveOutcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(specs, targets, opts))
}

async fn run_async(specs: &Specs, targets: &[Target], opts: &LiveOptions) -> anyhow::Result<LiveOutcome> {
    let mut out = LiveOutcome::default();
    let mut pending: Vec<(&SpecOp, Plan, &Target)> = Vec::new();
    for target in targets {
        for op in specs.ops.iter().filter(|o| o.family == target.family) {
            if !opts.operations.is_empty() && !opts.operations.contains(&op.id) {
                continue;
            }
            match plan(op, target, opts.allow_writes) {
                Ok(p) => pending.push((op, p, target)),
                Err(reason) => out.skipped.push(skipped(op, "side_effects", reason)),
            }
        }
    }
    let loopback_only = targets.iter().all(|t| t.loopback);
    let clients: Vec<reqwest::Client> = targets
        .iter()
        .map(|t| {
            let mut b = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("kotanipay-xtask-contract/", env!("CARGO_PKG_VERSION")));
            if t.loopback {
                b = b.no_proxy();
            }
            b.build()
        })
        .collect::<Result<_, _>>()?;
    let total = pending.len() as u64;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let pace = !(opts.no_pace && loopback_only);
    let start = Instant::now();
    let mut pacer = Pacer::default();
    let mut discovered: Vec<Discovered> = Vec::new();
    let mut unreachable: HashSet<String> = HashSet::new();
    let mut answered: HashSet<String> = HashSet::new();
    let mut done = 0u64;
    let unique = unique_suffix();

    loop {
        let mut next = Vec::new();
        let mut progressed = false;
        for (op, plan, target) in std::mem::take(&mut pending) {
            if unreachable.contains(&target.base_url) {
                out.skipped.push(skipped(
                    op,
                    "unreachable",
                    format!("{} did not answer", target.base_url),
                ));
                done += 1;
                continue;
            }
            let (url, body) = match build_request(op, plan, target, &discovered, &format!("{unique}{done}")) {
                Ok(r) => r,
                Err(reason) => {
                    next.push((op, plan, target, reason));
                    continue;
                }
            };
            progressed = true;
            done += 1;
            if let Some(bar) = &bar {
                bar.set_message(format!("{} {}", op.method, op.id));
            }
            let client = &clients[targets
                .iter()
                .position(|t| t.base_url == target.base_url)
                .unwrap_or(0)];
            let tier = specs.model(op).map_or(Tier::Reading, Tier::of);
            let mut attempt = 0;
            let exchange = loop {
                if pace {
                    let wait = pacer.reserve(op.family, tier, start.elapsed().as_secs_f64());
                    if wait > 0.0 {
                        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                    }
                }
                match call(client, op, target, &url, body.as_ref(), out.exchanges.len()).await {
                    Ok(ex) if ex.status == 429 && attempt < RETRIES_ON_429 => {
                        attempt += 1;
                        let wait = retry_after(&ex).min(MAX_RETRY_AFTER);
                        if pace {
                            tokio::time::sleep(wait).await;
                        }
                    }
                    other => break other,
                }
            };
            match exchange {
                Ok(ex) => {
                    answered.insert(target.base_url.clone());
                    progress_line(bar.as_ref(), done, total, op, Some(ex.status));
                    if (200..300).contains(&ex.status) {
                        remember(op, &ex, &mut discovered);
                    }
                    out.exchanges.push(ex);
                }
                Err(e) => {
                    progress_line(bar.as_ref(), done, total, op, None);
                    out.transport_errors
                        .push(format!("{} {}: {e}", op.method, redact_url(&url)));
                    if !answered.contains(&target.base_url) {
                        unreachable.insert(target.base_url.clone());
                    }
                }
            }
        }
        if next.is_empty() || !progressed {
            for (op, _, _, reason) in next {
                out.skipped.push(skipped(op, "no_value", reason));
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            }
            break;
        }
        pending = next
            .into_iter()
            .map(|(op, plan, target, _)| (op, plan, target))
            .collect();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(out)
}

fn progress_line(bar: Option<&ProgressBar>, done: u64, total: u64, op: &SpecOp, status: Option<u16>) {
    match bar {
        Some(bar) => bar.inc(1),
        None => {
            let status = status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            eprintln!(
                "contract: [{done}/{total}] {} {} ({}) → {status}",
                op.method, op.path, op.id
            );
        }
    }
}

fn skipped(op: &SpecOp, kind: &'static str, reason: String) -> Skipped {
    Skipped {
        operation_id: op.id.clone(),
        family: op.family_name(),
        kind,
        reason,
    }
}

/// Whether and how an operation is called.
fn plan(op: &SpecOp, target: &Target, allow_writes: bool) -> Result<Plan, String> {
    let verb = op.id.split('_').next().unwrap_or_default();
    if op.method == "GET" && READ_VERBS.contains(&verb) {
        return Ok(Plan::Read);
    }
    let creating = op.method == "POST" && verb == "create";
    if !creating {
        return Err(format!("{} `{verb}` is not a read", op.method));
    }
    if !allow_writes {
        return Err("creates a resource: only with --allow-writes".into());
    }
    if op.model.credential == Credential::None {
        return Err("creates an account or sends without a credential: never called".into());
    }
    if op.family == Family::V3
        && url_host(&target.base_url).is_some_and(|h| h.eq_ignore_ascii_case(V3_PRODUCTION_HOST))
    {
        return Err("writes are never made against the production host".into());
    }
    // The spec's `application/json` request example (media-type `example`, else the schema's).
    if op.model.request_example.is_none() {
        return Err("no request example in the spec to send".into());
    }
    Ok(Plan::Write)
}

/// The URL (and body) of a call, or why it cannot be made yet.
fn build_request(
    op: &SpecOp,
    plan: Plan,
    target: &Target,
    discovered: &[Discovered],
    unique: &str,
) -> Result<(String, Option<Value>), String> {
    let mut path = op.path.clone();
    let mut query = Vec::new();
    // Its own parameters and its Path Item's, `$ref`s followed.
    for p in &op.model.parameters {
        let name = p.name.as_str();
        match p.location.as_str() {
            "path" => {
                let value = discover(name, op, discovered)
                    .or_else(|| example_value(p))
                    .ok_or_else(|| {
                        format!("no value for path parameter `{name}` (no earlier response carried one)")
                    })?;
                path = path.replace(&format!("{{{name}}}"), &encode(&value));
            }
            "query" if p.required => {
                let value = discover(name, op, discovered)
                    .or_else(|| example_value(p))
                    .ok_or_else(|| format!("no value for required query parameter `{name}`"))?;
                query.push(format!("{}={}", encode(name), encode(&value)));
            }
            _ => {}
        }
    }
    let mut url = format!("{}{path}", target.base_url);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    let body = match plan {
        Plan::Read => None,
        Plan::Write => {
            let mut body = op.model.request_example.clone().ok_or("no request example")?;
            let field = op.model.idempotency_field.as_deref();
            prepare_write_body(&mut body, field, &format!("xtask-contract-{unique}"));
            Some(body)
        }
    };
    Ok((url, body))
}

/// Puts the sandbox test number in phone fields and a fresh reference in reference fields.
pub fn prepare_write_body(body: &mut Value, idempotency_field: Option<&str>, reference: &str) {
    match body {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let lower = k.to_ascii_lowercase();
                if Some(k.as_str()) == idempotency_field || lower == "reference_id" || lower == "referenceid"
                {
                    *v = Value::String(reference.to_owned());
                } else if (lower.contains("phone") || lower.contains("msisdn")) && v.is_string() {
                    *v = Value::String(test_number(v.as_str().unwrap_or_default()));
                } else {
                    prepare_write_body(v, idempotency_field, reference);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| prepare_write_body(v, idempotency_field, reference)),
        _ => {}
    }
}

/// The sandbox's succeeding test number with the country prefix of `original`.
pub fn test_number(original: &str) -> String {
    let plus = if original.starts_with('+') { "+" } else { "" };
    let digits: String = original.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > TEST_NUMBER_TAIL.len() {
        format!(
            "{plus}{}{TEST_NUMBER_TAIL}",
            &digits[..digits.len() - TEST_NUMBER_TAIL.len()]
        )
    } else {
        format!("+254{TEST_NUMBER_TAIL}")
    }
}

/// A parameter's example, default or first enum value.
fn example_value(p: &Parameter) -> Option<String> {
    let schema = p.schema.as_ref();
    [
        p.example.as_ref(),
        schema.and_then(|s| s.get("example")),
        schema.and_then(|s| s.get("default")),
        schema.and_then(|s| s.pointer("/enum/0")),
    ]
    .into_iter()
    .flatten()
    .find_map(scalar)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value for parameter `name` of `op` from earlier responses. Exact names (`reference_id`,
/// `referenceId`) are looked for in every response, closest path first; the bare `id` only in
/// the response of the collection the parameter indexes (`/wallet/fiat` for `/wallet/fiat/{id}`).
fn discover(name: &str, op: &SpecOp, discovered: &[Discovered]) -> Option<String> {
    let target: Vec<&str> = op.path.split('/').filter(|s| !s.is_empty()).collect();
    let position = target
        .iter()
        .position(|s| *s == format!("{{{name}}}"))
        .unwrap_or(target.len());
    let parent = &target[..position];
    let mut sources: Vec<&Discovered> = discovered.iter().filter(|d| d.family == op.family).collect();
    sources.sort_by_key(|d| {
        let segs: Vec<&str> = d.path.split('/').filter(|s| !s.is_empty()).collect();
        std::cmp::Reverse(segs.iter().zip(&target).take_while(|(a, b)| a == b).count())
    });
    let find = |key: &str, sources: &[&Discovered]| {
        sources
            .iter()
            .flat_map(|d| d.objects.iter())
            .find_map(|o| o.get(key).and_then(scalar))
    };
    for key in exact_names(name) {
        if let Some(v) = find(&key, &sources) {
            return Some(v);
        }
    }
    let lower = name.to_ascii_lowercase();
    if lower == "id" || lower.ends_with("id") {
        let parents: Vec<&Discovered> = sources
            .into_iter()
            .filter(|d| {
                d.path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .eq(parent.iter().copied())
            })
            .collect();
        return find("id", &parents);
    }
    None
}

/// `referenceId` → [`referenceId`, `reference_id`]; `reference_id` → [`reference_id`, `referenceId`].
fn exact_names(name: &str) -> Vec<String> {
    let mut snake = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    let mut camel = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            camel.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            camel.push(c);
        }
    }
    let mut out = vec![name.to_owned()];
    for n in [snake, camel] {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Keeps the objects of a successful response for discovery: the list items (at the
/// `x-kotani-pagination` pointer, else `data` or the body itself), or the object in `data`.
fn remember(op: &SpecOp, ex: &Exchange, discovered: &mut Vec<Discovered>) {
    let Some(body) = ex
        .body
        .as_deref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
    else {
        return;
    };
    let node = op
        .model
        .pagination
        .as_ref()
        .and_then(|p| body.pointer(&p.items))
        .or_else(|| body.get("data"))
        .unwrap_or(&body);
    let objects: Vec<Map<String, Value>> = match node {
        Value::Array(items) => items.iter().filter_map(|i| i.as_object().cloned()).collect(),
        Value::Object(o) => vec![o.clone()],
        _ => Vec::new(),
    };
    if !objects.is_empty() {
        discovered.push(Discovered {
            family: op.family,
            path: op.path.clone(),
            objects,
        });
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Seconds to wait after a 429: `data.retryAfter`, else `Retry-After`, else 60.
fn retry_after(ex: &Exchange) -> Duration {
    let from_body = ex
        .body
        .as_deref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|v| v.pointer("/data/retryAfter").and_then(Value::as_f64));
    let from_header =
        super::har::header(&ex.response_headers, "retry-after").and_then(|v| v.trim().parse::<f64>().ok());
    Duration::from_secs_f64(from_body.or(from_header).unwrap_or(60.0).max(0.0))
}

async fn call(
    client: &reqwest::Client,
    op: &SpecOp,
    target: &Target,
    url: &str,
    body: Option<&Value>,
    index: usize,
) -> Result<Exchange, reqwest::Error> {
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request_headers = vec![
        (target.credential.0.clone(), target.credential.1.clone()),
        ("Accept".to_owned(), "application/json".to_owned()),
    ];
    let body_bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
    if body_bytes.is_some() {
        request_headers.push(("Content-Type".into(), "application/json".into()));
    }
    let mut request = client.request(method, url);
    for (n, v) in &request_headers {
        request = request.header(n, v);
    }
    if let Some(b) = &body_bytes {
        request = request.body(b.clone());
    }
    let started = now_iso();
    let t0 = Instant::now();
    let response = request.send().await?;
    let status = response.status();
    let response_headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let content_type = super::har::header(&response_headers, "content-type").map(str::to_owned);
    let bytes = response.bytes().await?;
    Ok(Exchange {
        method: op.method.clone(),
        url: url.to_owned(),
        request_headers,
        request_body: body_bytes,
        request_content_type: body.map(|_| "application/json".to_owned()),
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or_default().to_owned(),
        response_headers,
        content_type,
        body: Some(bytes.to_vec()),
        source: Source::entry(
            &format!("live {}", family_name(target.family)),
            index,
            Some(format!("live call of {} ({})", op.id, family_name(op.family))),
        ),
        started,
        time_ms: t0.elapsed().as_secs_f64() * 1000.0,
        host_variable: None,
    })
}

/// Now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn now_iso() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

fn unique_suffix() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{}-", d.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn base_urls() {
        assert_eq!(check_base_url("https://sandbox-api.kotanipay.com"), Ok(false));
        assert_eq!(check_base_url("http://127.0.0.1:8080"), Ok(true));
        assert_eq!(check_base_url("http://localhost:1/x"), Ok(true));
        assert_eq!(check_base_url("http://[::1]:9"), Ok(true));
        assert!(check_base_url("http://sandbox-api.kotanipay.com").is_err());
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("sandbox").is_err());
    }

    #[test]
    fn credentials_from_env() {
        let env = |vars: &[(&str, &str)]| {
            let map: HashMap<String, String> =
                vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            move |k: &str| map.get(k).cloned()
        };
        let none = targets_from_env(&env(&[]));
        match none {
            Err(SetupError::NoCredentials(m)) => {
                assert!(
                    m.contains("KOTANI_API_KEY")
                        && m.contains("KUTANAPAY_API_KEY")
                        && m.contains("KUTANAPAY_BASE_URL")
                )
            }
            other => panic!("{other:?}"),
        }
        let t = targets_from_env(&env(&[("KOTANI_JWT", "j")])).unwrap();
        assert_eq!(t[0].base_url, V3_SANDBOX);
        assert_eq!(t[0].credential.1, "Bearer j");
        assert!(matches!(
            targets_from_env(&env(&[
                ("KOTANI_API_KEY", "k"),
                ("KOTANI_BASE_URL", "http://example.com")
            ])),
            Err(SetupError::Config(_))
        ));
        let both = targets_from_env(&env(&[
            ("KOTANI_API_KEY", "k"),
            ("KUTANAPAY_BASE_URL", "https://m.example/"),
            ("KUTANAPAY_API_KEY", "mk"),
        ]))
        .unwrap();
        assert_eq!(both[1].base_url, "https://m.example");
        assert_eq!(both[1].credential, ("x-api-key".to_owned(), "mk".to_owned()));
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(exact_names("referenceId"), vec!["referenceId", "reference_id"]);
        assert_eq!(exact_names("reference_id"), vec!["reference_id", "referenceId"]);
        assert_eq!(test_number("+254712345678"), "+254700000001");
        assert_eq!(test_number("0712345678"), "0700000001");
        assert_eq!(test_number("12"), "+254700000001");
        let mut body = serde_json::json!({"phone_number": "+233241234567", "reference_id": "old", "nested": [{"msisdn": "254711111111"}]});
        prepare_write_body(&mut body, None, "fresh");
        assert_eq!(body["phone_number"], "+233700000001");
        assert_eq!(body["reference_id"], "fresh");
        assert_eq!(body["nested"][0]["msisdn"], "254700000001");
        assert_eq!(encode("a b/+"), "a%20b%2F%2B");
    }
}
