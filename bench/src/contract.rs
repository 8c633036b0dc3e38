//! The contract check on a 1,000-exchange HAR: the HAR is generated here (real operations of
//! both specs, their spec examples as bodies, one exchange in ten the 100-item deposit page,
//! some error responses), then `xtask contract --har <file> --format json` is timed as a
//! subprocess: the xtask binary itself, so cargo's start-up is not in the figure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, anyhow};
use kotanipay::meta::{Family, OperationMeta};
use kotanipay_codegen::Spec;
use serde::Serialize;
use serde_json::{Value, json};

use crate::bodies::{self, Rng};
use crate::stats::{Stat, children_cpu};

const V3_HOST: &str = "https://sandbox-api.kotanipay.com";
const MERCHANT_HOST: &str = "https://merchant.example.invalid";

/// The codegen family (spec file, credential header) of a runtime family.
fn codegen_family(family: Family) -> &'static kotanipay_codegen::Family {
    match family {
        Family::V3 => &kotanipay_codegen::family::V3,
        Family::Merchant => &kotanipay_codegen::family::MERCHANT,
    }
}

/// Both specs, read through `kotanipay-codegen` (the loader and operation model `build.rs` uses).
struct Specs {
    v3: Spec,
    merchant: Spec,
}

impl Specs {
    fn load(root: &Path) -> anyhow::Result<Self> {
        let load = |family: Family| {
            let file = codegen_family(family).spec;
            Spec::load(&root.join(file), file).map_err(anyhow::Error::from)
        };
        Ok(Self {
            v3: load(Family::V3)?,
            merchant: load(Family::Merchant)?,
        })
    }

    fn spec(&self, family: Family) -> &Spec {
        match family {
            Family::V3 => &self.v3,
            Family::Merchant => &self.merchant,
        }
    }

    /// The operation's `application/json` request example, as JSON text.
    fn request_example(&self, op: &OperationMeta) -> Option<String> {
        let ex = self
            .spec(op.family)
            .operation_at(op.method, op.path)?
            .request_example
            .as_ref()?;
        serde_json::to_string(ex).ok()
    }

    fn error_example(&self, family: Family) -> String {
        self.spec(family)
            .doc
            .pointer("/components/responses/Error/content/application~1json/example")
            .map(Value::to_string)
            .unwrap_or_else(|| match family {
                Family::V3 => {
                    r#"{"success":false,"message":"Unauthorized","error_code":401,"data":{}}"#.into()
                }
                Family::Merchant => r#"{"detail":"Invalid API key"}"#.into(),
            })
    }
}

fn param_value(name: &str, rng: &mut Rng, i: usize) -> String {
    match name {
        "from" => "USD".into(),
        "to" | "currency" | "currency_code" => "KES".into(),
        "countryCode" => "KE".into(),
        "phone_number" => format!("+2547{:08}", rng.below(100_000_000)),
        "referenceId" | "reference_id" => format!("ref-20250101-{i:04}"),
        "customer_key" => format!("customer-key-{:05}", rng.below(100_000)),
        _ => format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.below(1 << 32),
            rng.below(1 << 16),
            rng.below(1 << 12),
            rng.below(1 << 12),
            rng.below(1 << 48)
        ),
    }
}

fn url_for(op: &OperationMeta, rng: &mut Rng, i: usize) -> String {
    let host = match op.family {
        Family::V3 => V3_HOST,
        Family::Merchant => MERCHANT_HOST,
    };
    let path: Vec<String> = op
        .path
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => param_value(name, rng, i),
                None => seg.to_string(),
            },
        )
        .collect();
    format!("{host}{}", path.join("/"))
}

fn headers(list: &[(&str, String)]) -> Value {
    Value::Array(list.iter().map(|(k, v)| json!({"name": k, "value": v})).collect())
}

#[allow(clippy::too_many_arguments)]
fn entry(
    i: usize,
    op: &OperationMeta,
    url: String,
    request_body: Option<String>,
    status: u16,
    status_text: &str,
    response_body: &str,
) -> Value {
    let family = codegen_family(op.family);
    let auth = (family.credential_header, family.credential_value("[REDACTED]"));
    let mut req_headers = vec![
        ("host", url.split('/').nth(2).unwrap_or("").to_string()),
        ("user-agent", kotanipay::client::USER_AGENT.to_string()),
        ("accept", "application/json".to_string()),
        auth,
    ];
    let query: Vec<Value> = url
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    let mut request = json!({
        "method": op.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "queryString": query,
        "headersSize": -1,
        "bodySize": request_body.as_ref().map_or(0, String::len),
    });
    if let Some(body) = request_body {
        req_headers.push(("content-type", "application/json".into()));
        request["postData"] = json!({"mimeType": "application/json", "text": body});
    }
    request["headers"] = headers(&req_headers);
    let ms = 40.0 + (i % 17) as f64 * 11.5;
    let (h, m, s) = (10 + i / 3600, i / 60 % 60, i % 60);
    json!({
        "startedDateTime": format!("2025-01-01T{h:02}:{m:02}:{s:02}.000Z"),
        "time": ms,
        "request": request,
        "response": {
            "status": status,
            "statusText": status_text,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": headers(&[
                ("content-type", "application/json; charset=utf-8".into()),
                ("content-length", response_body.len().to_string()),
            ]),
            "content": {"size": response_body.len(), "mimeType": "application/json", "text": response_body},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": response_body.len(),
        },
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0.2, "wait": ms - 1.0, "receive": 0.8},
    })
}

/// A HAR 1.2 document of `n` exchanges.
pub fn generate_har(root: &Path, n: usize) -> anyhow::Result<Value> {
    let specs = Specs::load(root)?;
    let ops: Vec<&OperationMeta> = kotanipay::meta::operations()
        .filter(|o| o.example.is_some())
        .collect();
    anyhow::ensure!(!ops.is_empty(), "no operation has a spec example");
    let list_op = bodies::v3_op("list_deposit_transactions");
    let list_body = String::from_utf8(bodies::deposit_list_body(100))?;
    let mut rng = Rng::new(0x4a52);
    let mut next = 0;
    let mut entries = Vec::with_capacity(n);
    for i in 0..n {
        let e = if i % 10 == 0 {
            let url = format!(
                "{}?page={}&per_page=100",
                url_for(list_op, &mut rng, i),
                1 + i / 10
            );
            entry(i, list_op, url, None, 200, "OK", &list_body)
        } else {
            let op = ops[next % ops.len()];
            next += 1;
            let url = url_for(op, &mut rng, i);
            let request = specs.request_example(op);
            if i % 40 == 7 {
                let (status, text) = match op.family {
                    Family::V3 => (401, "Unauthorized"),
                    Family::Merchant => (422, "Unprocessable Entity"),
                };
                entry(i, op, url, request, status, text, &specs.error_example(op.family))
            } else {
                let example = op.example.expect("filtered on examples");
                entry(i, op, url, request, op.success_status, "OK", example)
            }
        };
        entries.push(e);
    }
    Ok(json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "kotanipay-bench", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
        }
    }))
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Contract {
    Measured(Box<ContractFigures>),
    NotAvailable { available: bool, reason: String },
}

#[derive(Debug, Serialize)]
pub struct ContractFigures {
    pub available: bool,
    pub exchanges: usize,
    pub har_bytes: usize,
    pub har: String,
    pub command: String,
    /// The binary timed, and the profile it was built with (`cargo xtask` runs a debug build).
    pub binary: String,
    pub runs: usize,
    /// Wall time of the whole process: start-up, both specs loaded, the HAR read and checked,
    /// the JSON report written.
    pub wall_ms: Stat,
    pub cpu_ms: Stat,
    pub exit_code: Option<i32>,
    /// The report's `summary` (exchanges matched, findings by severity).
    pub summary: Value,
}

pub fn measure(root: &Path, work: &Path, xtask: Option<&Path>, runs: usize) -> Contract {
    match measure_inner(root, work, xtask, runs) {
        Ok(c) => c,
        Err(e) => Contract::NotAvailable {
            available: false,
            reason: format!("{e:#}"),
        },
    }
}

fn measure_inner(root: &Path, work: &Path, xtask: Option<&Path>, runs: usize) -> anyhow::Result<Contract> {
    let xtask = xtask.ok_or_else(|| anyhow!("no xtask binary given (--xtask)"))?;
    let har = generate_har(root, 1000)?;
    std::fs::create_dir_all(work)?;
    let har_path: PathBuf = work.join("contract-1000.har");
    let text = serde_json::to_vec(&har)?;
    std::fs::write(&har_path, &text)?;
    let out_path = work.join("contract-1000.report.json");
    let args = [
        "contract".as_ref(),
        "--har".as_ref(),
        har_path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--output".as_ref(),
        out_path.as_os_str(),
    ];
    let run = || -> anyhow::Result<(f64, f64, Option<i32>)> {
        let cpu0 = children_cpu();
        let t0 = Instant::now();
        let out = Command::new(xtask)
            .args(args)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .with_context(|| format!("cannot run {}", xtask.display()))?;
        let wall = t0.elapsed().as_secs_f64() * 1e3;
        let cpu = children_cpu().since(cpu0).total().as_secs_f64() * 1e3;
        let code = out.status.code();
        // 0: no drift, 1: drift found (both are a completed check); anything else is not.
        if !matches!(code, Some(0 | 1)) {
            let err = String::from_utf8_lossy(&out.stderr);
            let err = err.lines().take(5).collect::<Vec<_>>().join(" | ");
            anyhow::bail!("`xtask contract` is not usable here (exit {code:?}): {err}");
        }
        Ok((wall, cpu, code))
    };
    run()?; // warm-up: page cache, first-run costs
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut exit_code = None;
    for _ in 0..runs {
        let (w, c, code) = run()?;
        walls.push(w);
        cpus.push(c);
        exit_code = code;
    }
    let report: Value = std::fs::read(&out_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    Ok(Contract::Measured(Box::new(ContractFigures {
        available: true,
        exchanges: 1000,
        har_bytes: text.len(),
        har: shown(&har_path),
        command: format!(
            "xtask contract --har {} --format json --output <file>",
            shown(&har_path)
        ),
        binary: shown(xtask),
        runs,
        wall_ms: Stat::of(walls),
        cpu_ms: Stat::of(cpus),
        exit_code,
        summary: report.get("summary").cloned().unwrap_or(Value::Null),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn har_bodies_and_credentials_come_from_the_specs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let specs = Specs::load(root).unwrap();
        let har = generate_har(root, 80).unwrap();
        let entries = har["log"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 80);
        let mut with_body = 0;
        for e in entries {
            let request = &e["request"];
            let header = |name: &str| {
                request["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["name"] == name)
                    .map(|h| h["value"].as_str().unwrap().to_owned())
            };
            let url = request["url"].as_str().unwrap();
            if url.starts_with(V3_HOST) {
                assert_eq!(header("authorization").as_deref(), Some("Bearer [REDACTED]"));
            } else {
                assert_eq!(header("x-api-key").as_deref(), Some("[REDACTED]"));
            }
            if let Some(text) = request.pointer("/postData/text").and_then(Value::as_str) {
                // The body is the request example of the spec operation the URL names.
                let body: Value = serde_json::from_str(text).unwrap();
                let method = request["method"].as_str().unwrap();
                let known = [&specs.v3, &specs.merchant].iter().any(|s| {
                    s.operations.iter().any(|o| {
                        o.method.eq_ignore_ascii_case(method) && o.request_example.as_ref() == Some(&body)
                    })
                });
                assert!(known, "{method} {url}: {text}");
                with_body += 1;
            }
        }
        assert!(with_body > 0);
    }
}
