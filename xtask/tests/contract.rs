//! `cargo xtask contract` end to end: the real binary on HAR files with planted findings, the
//! exit codes, waivers, the formats, `--record` redaction and `--live` against a loopback server
//! standing in for the sandbox.

use std::path::{Path, PathBuf};

use httpmock::prelude::*;
use serde_json::{Value, json};

mod support;
use support::contract;

const SANDBOX: &str = "https://sandbox-api.kotanipay.com";
const MERCHANT: &str = "https://merchant.example.invalid";

/// The seed's merchant create-api-key response (published by KutanaPay).
fn merchant_key_body() -> Value {
    json!({
        "data": {
            "id": "36dfedbc-3568-4b4a-8dfd-1f778476ef50",
            "merchant_id": "7bb54443-6fc9-4a1d-ab46-d787ec90c87f",
            "key_name": "aws backend",
            "key_hash": "mk_atQnAmDq9s5LCj7D7hM5yvc7KBSw43sVFQviU",
            "key_prefix": "ONzK5zQnPF",
            "status": "active",
            "scope": "FULL_ACCESS",
            "permissions": ["read", "write"],
            "expires_at": null, "last_used_at": null,
            "created_by": "7bb54443-6fc9-4a1d-ab46-d787ec90c87f",
            "revoked_at": null, "revoked_by": null, "api_key_metadata": null,
            "created_at": "2025-11-19T16:16:50.676891",
            "updated_at": "2025-11-19T16:16:50.676891",
            "deleted_at": null
        },
        "message": "API key created successfully",
        "status": "success"
    })
}

fn verify_body() -> Value {
    json!({"success": true, "message": "ok", "data": {
        "user_id": "abc123", "session_id": "sess_xyz", "token_id": "tok_123",
        "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...", "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."
    }})
}

/// One HAR entry; `body` is sent as text (a JSON value is serialised).
fn entry(method: &str, url: &str, status: u16, content_type: &str, body: impl Into<Body>) -> Value {
    let text = match body.into() {
        Body::Json(v) => v.to_string(),
        Body::Text(t) => t,
    };
    json!({
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "time": 1,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": [], "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "content": {"size": text.len(), "mimeType": content_type, "text": text},
                     "redirectURL": "", "headersSize": -1, "bodySize": text.len()},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}
    })
}

enum Body {
    Json(Value),
    Text(String),
}

impl From<Value> for Body {
    fn from(v: Value) -> Self {
        Body::Json(v)
    }
}

impl From<&str> for Body {
    fn from(t: &str) -> Self {
        Body::Text(t.to_owned())
    }
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_har(dir: &Path, name: &str, entries: Vec<Value>) -> PathBuf {
    let path = dir.join(name);
    let har =
        json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}});
    std::fs::write(&path, har.to_string()).unwrap();
    path
}

fn har_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The finding with this kind and operation (and pointer), or a panic listing what there is.
fn finding<'a>(report: &'a Value, kind: &str, op: Option<&str>, pointer: &str) -> &'a Value {
    let findings = report["findings"].as_array().unwrap();
    findings
        .iter()
        .find(|f| f["kind"] == kind && f["operation_id"].as_str() == op && f["pointer"] == pointer)
        .unwrap_or_else(|| {
            let ids: Vec<&str> = findings.iter().filter_map(|f| f["id"].as_str()).collect();
            panic!("no {kind} {op:?} {pointer}; findings: {ids:#?}")
        })
}

/// A HAR that plants one finding of every kind.
fn planted(dir: &Path) -> PathBuf {
    let mut verify = verify_body();
    verify["data"]["user_id"] = json!(5); // schema_violation + decode_failure
    verify["data"].as_object_mut().unwrap().remove("token"); // missing_required
    verify["data"]["device"] = json!("ios"); // undocumented_field
    let mut key = merchant_key_body();
    key["data"]["status"] = json!("suspended"); // unknown_enum_value
    write_har(
        dir,
        "planted.har",
        vec![
            entry(
                "GET",
                &format!("{SANDBOX}/api/v3/not-an-endpoint"),
                404,
                "application/json",
                json!({}),
            ),
            entry(
                "GET",
                &format!("{SANDBOX}/health"),
                418,
                "application/json",
                json!({}),
            ),
            entry(
                "GET",
                &format!("{SANDBOX}/api/v3/auth/api-key"),
                200,
                "text/html",
                "<html>maintenance</html>",
            ),
            entry(
                "GET",
                &format!("{SANDBOX}/api/v3/auth/verify?hash=h"),
                200,
                "application/json",
                verify,
            ),
            entry(
                "POST",
                &format!("{MERCHANT}/api/v1/merchants/api-keys"),
                200,
                "application/json",
                key,
            ),
            // An integer, but wider than the declared `format: int64`: the SDK's i64 cannot
            // hold it (schema_violation on the range, and decode_failure).
            entry(
                "POST",
                &format!("{SANDBOX}/api/v3/auth/login"),
                400,
                "application/json",
                r#"{"success":false,"message":"Bad Request","error_code":100000000000000000000,"data":{}}"#,
            ),
            // A clean response of an x-kotani-inferred schema (ApiKeyStatus) in another operation.
            entry(
                "GET",
                &format!("{MERCHANT}/api/v1/merchants/api-keys"),
                200,
                "application/json",
                json!({
                    "data": [merchant_key_body()["data"].clone()], "message": "ok", "status": "success"
                }),
            ),
        ],
    )
}

#[test]
fn published_har_is_clean() {
    let run = contract(
        &["--har", "tests/contract/published.har", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["findings"]["ERR"], 0);
    assert_eq!(report["summary"]["findings"]["WARN"], 0);
    assert_eq!(report["summary"]["exchanges"], report["summary"]["matched"]);
}

#[test]
fn every_kind_is_reported_with_operation_pointer_and_severity() {
    let dir = scratch("planted");
    let har = planted(&dir);
    let run = contract(&["--har", har_arg(&har), "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let expect = [
        (
            "unmatched_request",
            None,
            "/paths/~1api~1v3~1not-an-endpoint/get",
            "WARN",
        ),
        ("undocumented_status", Some("get_health"), "/responses/418", "ERR"),
        (
            "content_type",
            Some("generate_api_key"),
            "/responses/200/content/text~1html",
            "WARN",
        ),
        (
            "schema_violation",
            Some("verify_magic_link"),
            "/data/user_id",
            "ERR",
        ),
        (
            "missing_required",
            Some("verify_magic_link"),
            "/data/token",
            "ERR",
        ),
        (
            "undocumented_field",
            Some("verify_magic_link"),
            "/data/device",
            "WARN",
        ),
        (
            "unknown_enum_value",
            Some("create_api_key"),
            "/data/status",
            "WARN",
        ),
        ("schema_violation", Some("send_magic_link"), "/error_code", "ERR"),
        ("decode_failure", Some("send_magic_link"), "/error_code", "ERR"),
        (
            "decode_failure",
            Some("verify_magic_link"),
            "/data/user_id",
            "ERR",
        ),
        (
            "inferred_confirmed",
            Some("get_api_keys"),
            "/components/schemas/ApiKeyStatus",
            "INFO",
        ),
        ("inferred_confirmed", Some("get_api_keys"), "", "INFO"),
    ];
    for (kind, op, pointer, severity) in expect {
        let f = finding(&r, kind, op, pointer);
        assert_eq!(f["severity"], severity, "{f}");
        assert_eq!(f["id"], format!("{kind}:{}:{pointer}", op.unwrap_or("-")));
        for field in [
            "id",
            "kind",
            "severity",
            "operation_id",
            "method",
            "path",
            "status",
            "pointer",
            "message",
        ] {
            assert!(f.get(field).is_some(), "{field} missing in {f}");
        }
    }
    // ApiKeyStatus saw an unknown value in create_api_key: not confirmed there.
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "inferred_confirmed" && f["operation_id"] == "create_api_key")
    );
    let enum_finding = finding(&r, "unknown_enum_value", Some("create_api_key"), "/data/status");
    assert_eq!(enum_finding["method"], "POST");
    assert_eq!(enum_finding["path"], "/api/v1/merchants/api-keys");
    assert_eq!(enum_finding["status"], 200);
    assert!(
        enum_finding["message"]
            .as_str()
            .unwrap()
            .contains("\"suspended\"")
    );
    // An undocumented status is not decoded: the SDK reports it as unexpected.
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "decode_failure" && f["operation_id"] == "get_health")
    );
}

/// A fiat wallet as Kotani's 2023 Postman captures show it: no `deposit_balance`.
fn fiat_wallet_body() -> Value {
    json!({"success": true, "message": "The wallet has been successfully created.", "data": {
        "id": "66a0f1c2d3e4f5a6b7c8d9e0", "name": "Payouts KES", "type": "fiat", "balance": 0,
        "integrator": "66a0f1c2d3e4f5a6b7c8d9ff", "currency": "KES", "status": "active"}})
}

fn customer_body() -> Value {
    json!({"success": true, "message": "Customer has been successfully created.", "data": {
        "phone_number": "+254700000001", "country_code": "KE", "network": "MPESA",
        "customer_key": "ck-7Qm2", "integrator": "66a0f1c2d3e4f5a6b7c8d9ff"}})
}

fn findings_of<'a>(report: &'a Value, op: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["operation_id"] == op)
        .collect()
}

#[test]
fn a_documented_201_is_checked_like_any_documented_status() {
    let dir = scratch("status-201");
    let quote = json!({"success": true, "message": "Available exchange rate.", "data": {
        "from": "KES", "to": "USDT", "value": "0.0077", "id": "q-1", "fiatAmount": 1000,
        "cryptoAmount": 7.5, "transactionAmount": 975, "fee": 25}});
    let har = write_har(
        &dir,
        "created.har",
        vec![
            entry(
                "POST",
                &format!("{SANDBOX}/api/v3/wallet/fiat"),
                201,
                "application/json",
                fiat_wallet_body(),
            ),
            // The 201 of the onramp quote is `x-kotani-inferred`: a clean one confirms it.
            entry(
                "POST",
                &format!("{SANDBOX}/api/v3/rate/onramp"),
                201,
                "application/json",
                quote,
            ),
        ],
    );
    let run = contract(&["--har", har_arg(&har), "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    assert!(findings_of(&r, "create_fiat_wallet").is_empty(), "{r:#}");
    let confirmed = finding(
        &r,
        "inferred_confirmed",
        Some("create_onramp_quote"),
        "/paths/~1api~1v3~1rate~1onramp/post/responses/201",
    );
    assert_eq!(confirmed["severity"], "INFO");
    assert!(
        confirmed["message"].as_str().unwrap().contains("response"),
        "{confirmed}"
    );
    assert_eq!(r["summary"]["findings"]["ERR"], 0);
    assert_eq!(r["summary"]["findings"]["WARN"], 0);
}

#[test]
fn an_undocumented_2xx_warns_and_its_body_is_still_checked() {
    let dir = scratch("status-202");
    // create_customer documents 201 only.
    let clean = write_har(
        &dir,
        "accepted.har",
        vec![entry(
            "POST",
            &format!("{SANDBOX}/api/v3/customer/mobile-money"),
            202,
            "application/json",
            customer_body(),
        )],
    );
    let run = contract(&["--har", har_arg(&clean), "--format", "json"], &[]);
    assert_eq!(run.code, 0, "a WARN does not fail the run: {}", run.stdout);
    let r = run.json();
    let f = finding(
        &r,
        "undocumented_success_status",
        Some("create_customer"),
        "/responses/202",
    );
    assert_eq!(f["severity"], "WARN");
    assert_eq!(f["status"], 202);
    assert_eq!(
        f["id"],
        "undocumented_success_status:create_customer:/responses/202"
    );
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("201") && message.contains("202"), "{message}");
    // Not the ERR of an unknown status, and nothing else: the body fits the success schema.
    assert_eq!(findings_of(&r, "create_customer").len(), 1, "{r:#}");
    assert_eq!(r["summary"]["findings"]["ERR"], 0);
    // --fail-on WARN makes it fail the run; its kind has its own severity override.
    assert_eq!(
        contract(&["--har", har_arg(&clean), "--fail-on", "WARN"], &[]).code,
        1
    );
    assert_eq!(
        contract(
            &[
                "--har",
                har_arg(&clean),
                "--severity",
                "undocumented_success_status=ERR"
            ],
            &[]
        )
        .code,
        1
    );

    // The same status with a body that breaks the success schema: the violations are reported
    // with the status seen.
    let mut bad = customer_body();
    bad["data"]["customer_key"] = json!(7);
    bad["data"].as_object_mut().unwrap().remove("country_code");
    let broken = write_har(
        &dir,
        "accepted-broken.har",
        vec![entry(
            "POST",
            &format!("{SANDBOX}/api/v3/customer/mobile-money"),
            202,
            "application/json",
            bad,
        )],
    );
    let run = contract(&["--har", har_arg(&broken), "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let r = run.json();
    for (kind, pointer, severity) in [
        ("undocumented_success_status", "/responses/202", "WARN"),
        ("schema_violation", "/data/customer_key", "ERR"),
        ("missing_required", "/data/country_code", "ERR"),
        ("decode_failure", "/data/customer_key", "ERR"),
    ] {
        let f = finding(&r, kind, Some("create_customer"), pointer);
        assert_eq!(f["severity"], severity, "{f}");
        assert_eq!(f["status"], 202, "{f}");
    }
    assert!(
        !findings_of(&r, "create_customer")
            .iter()
            .any(|f| f["kind"] == "undocumented_status"),
        "{r:#}"
    );
}

#[test]
fn a_2xx_body_that_fails_the_schema_is_an_error() {
    let dir = scratch("status-201-broken");
    let mut bad = fiat_wallet_body();
    bad["data"]["balance"] = json!("lots");
    let har = write_har(
        &dir,
        "broken.har",
        vec![entry(
            "POST",
            &format!("{SANDBOX}/api/v3/wallet/fiat"),
            201,
            "application/json",
            bad,
        )],
    );
    let run = contract(&["--har", har_arg(&har), "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let r = run.json();
    for kind in ["schema_violation", "decode_failure"] {
        let f = finding(&r, kind, Some("create_fiat_wallet"), "/data/balance");
        assert_eq!(f["severity"], "ERR", "{f}");
        assert_eq!(f["status"], 201, "{f}");
    }
    assert!(
        !findings_of(&r, "create_fiat_wallet")
            .iter()
            .any(|f| f["kind"] == "undocumented_success_status" || f["kind"] == "undocumented_status"),
        "201 is documented: {r:#}"
    );
}

#[test]
fn array_items_share_one_stable_id() {
    let dir = scratch("arrays");
    let mut key = merchant_key_body()["data"].clone();
    key["rotated"] = json!(true);
    let list = json!({"data": [key.clone(), key], "message": "ok", "status": "success"});
    let har = write_har(
        &dir,
        "a.har",
        vec![entry(
            "GET",
            &format!("{MERCHANT}/api/v1/merchants/api-keys"),
            200,
            "application/json",
            list,
        )],
    );
    let r = contract(&["--har", har_arg(&har), "--format", "json"], &[]).json();
    let f = finding(&r, "undocumented_field", Some("get_api_keys"), "/data/*/rotated");
    assert_eq!(f["count"], 2);
    assert_eq!(f["instance"], "/data/0/rotated");
    let presence = r["presence"].as_array().unwrap();
    let table = presence
        .iter()
        .find(|t| t["operation_id"] == "get_api_keys")
        .unwrap();
    assert_eq!(
        table["fields"]["/data/*/expires_at"],
        json!({"present": 0, "null": 2, "absent": 0})
    );
}

#[test]
fn clean_har_exits_0_and_warnings_fail_only_when_asked() {
    let dir = scratch("clean");
    let clean = write_har(
        &dir,
        "clean.har",
        vec![entry(
            "GET",
            &format!("{SANDBOX}/api/v3/auth/verify?hash=h"),
            200,
            "application/json",
            verify_body(),
        )],
    );
    let run = contract(&["--har", har_arg(&clean)], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("→ pass"), "{}", run.stdout);

    let mut extra = verify_body();
    extra["trace"] = json!("x");
    let warn = write_har(
        &dir,
        "warn.har",
        vec![entry(
            "GET",
            &format!("{SANDBOX}/api/v3/auth/verify?hash=h"),
            200,
            "application/json",
            extra,
        )],
    );
    assert_eq!(contract(&["--har", har_arg(&warn)], &[]).code, 0);
    assert_eq!(
        contract(&["--har", har_arg(&warn), "--fail-on", "WARN"], &[]).code,
        1
    );
    assert_eq!(
        contract(
            &["--har", har_arg(&warn), "--severity", "undocumented_field=ERR"],
            &[]
        )
        .code,
        1
    );
}

#[test]
fn tool_errors_exit_2() {
    let dir = scratch("errors");
    assert_eq!(
        contract(&["--har", dir.join("missing.har").to_str().unwrap()], &[]).code,
        2
    );
    let not_json = dir.join("bad.har");
    std::fs::write(&not_json, "not json").unwrap();
    assert_eq!(contract(&["--har", har_arg(&not_json)], &[]).code, 2);
    let not_har = dir.join("nothar.har");
    std::fs::write(&not_har, "{\"log\": {}}").unwrap();
    assert_eq!(contract(&["--har", har_arg(&not_har)], &[]).code, 2);
    let bad_spec = dir.join("spec.yaml");
    std::fs::write(&bad_spec, "paths: [unclosed").unwrap();
    let run = contract(
        &[
            "--har",
            "tests/contract/published.har",
            "--spec",
            bad_spec.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    // Neither --har nor --live.
    assert_eq!(contract(&[], &[]).code, 2);
}

#[test]
fn waivers_valid_expired_and_invalid() {
    let dir = scratch("waivers");
    let har = planted(&dir);
    let errors: Vec<String> = contract(&["--har", har_arg(&har), "--format", "json"], &[]).json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "ERR")
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(errors.len() >= 4);
    let waivers = dir.join("waivers.yaml");
    let list = |expires: &str| {
        errors
            .iter()
            .map(|id| format!("- id: \"{id}\"\n  reason: known, asked upstream\n  expires: {expires}\n"))
            .collect::<String>()
    };

    std::fs::write(&waivers, list("2999-12-31")).unwrap();
    let run = contract(
        &[
            "--har",
            har_arg(&har),
            "--waivers",
            waivers.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = run.json();
    assert_eq!(r["summary"]["waived"], errors.len());
    let f = finding(&r, "undocumented_status", Some("get_health"), "/responses/418");
    assert_eq!(f["waiver"]["expires"], "2999-12-31");
    assert_eq!(f["fails"], false);

    std::fs::write(&waivers, list("2000-01-01")).unwrap();
    let run = contract(
        &["--har", har_arg(&har), "--waivers", waivers.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("EXPIRED waivers"), "{}", run.stdout);
    // An expired waiver fails the run even when its finding is gone.
    let clean = write_har(
        &dir,
        "clean.har",
        vec![entry(
            "GET",
            &format!("{SANDBOX}/api/v3/auth/verify?hash=h"),
            200,
            "application/json",
            verify_body(),
        )],
    );
    let run = contract(
        &[
            "--har",
            har_arg(&clean),
            "--waivers",
            waivers.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.json()["expired_waivers"].as_array().unwrap().len(),
        errors.len()
    );
    // The same date as today still holds.
    std::fs::write(&waivers, list("2026-03-01")).unwrap();
    let run = contract(
        &[
            "--har",
            har_arg(&har),
            "--waivers",
            waivers.to_str().unwrap(),
            "--today",
            "2026-03-01",
        ],
        &[],
    );
    assert_eq!(run.code, 0);

    std::fs::write(&waivers, "- id: x\n  expires: someday\n").unwrap();
    assert_eq!(
        contract(
            &["--har", har_arg(&har), "--waivers", waivers.to_str().unwrap()],
            &[]
        )
        .code,
        2
    );
}

#[test]
fn formats_json_junit_markdown() {
    let dir = scratch("formats");
    let har = planted(&dir);
    let r = contract(&["--har", har_arg(&har), "--format", "json"], &[]).json();
    for key in [
        "version",
        "mode",
        "verdict",
        "exit_code",
        "summary",
        "findings",
        "presence",
        "expired_waivers",
    ] {
        assert!(r.get(key).is_some(), "{key}");
    }
    assert_eq!(r["exit_code"], 1);

    let out = dir.join("report.xml");
    let run = contract(
        &[
            "--har",
            har_arg(&har),
            "--format",
            "junit",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let xml = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let operations = r["summary"]["operations"].as_u64().unwrap() as usize;
    // One per operation, plus one for the unmatched requests.
    assert_eq!(cases.len(), operations + 1, "{xml}");
    let health = cases
        .iter()
        .find(|c| c.attribute("name") == Some("get_health"))
        .unwrap();
    assert!(health.children().any(|n| n.has_tag_name("failure")));
    let confirmed = cases
        .iter()
        .find(|c| c.attribute("name") == Some("get_api_keys"))
        .unwrap();
    assert!(!confirmed.children().any(|n| n.has_tag_name("failure")));

    let md = contract(&["--har", har_arg(&har), "--format", "markdown"], &[]).stdout;
    assert!(
        md.contains("| severity | kind | operation | status | pointer | message | count |"),
        "{md}"
    );
    assert!(
        md.contains("| ERR | `undocumented_status` | `get_health` | 418 | `/responses/418` |"),
        "{md}"
    );
}

#[test]
fn live_without_credentials_exits_3_naming_the_variables() {
    let run = contract(&["--live"], &[]);
    assert_eq!(run.code, 3);
    for var in ["KOTANI_API_KEY", "KUTANAPAY_BASE_URL", "KUTANAPAY_API_KEY"] {
        assert!(run.stderr.contains(var), "{}", run.stderr);
    }
}

#[test]
fn live_refuses_plain_http_to_a_remote_host() {
    let run = contract(
        &["--live"],
        &[
            ("KOTANI_API_KEY", "k"),
            ("KOTANI_BASE_URL", "http://sandbox-api.kotanipay.com"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("refusing plain http"), "{}", run.stderr);
}

#[test]
fn live_unreachable_target_exits_3() {
    // Nothing listens on a port we just bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let run = contract(
        &["--live", "--no-pace", "--operation", "get_health"],
        &[("KOTANI_API_KEY", "k"), ("KOTANI_BASE_URL", &base)],
    );
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
}

/// The loopback sandbox: a wallet list, then the wallet the list named. Returns the get's mock.
fn sandbox(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(GET).path("/api/v3/wallet/fiat").header("authorization", "Bearer test-key-123");
        then.status(200).header("content-type", "application/json").json_body(json!({
            "success": true, "message": "ok",
            "data": [{"id": "w-42", "name": "Main", "type": "fiat", "currency": "KES", "balance": 10, "status": "active",
                      "phone_number": "+254711222333"}]
        }));
    });
    server.mock(|when, then| {
        when.method(GET).path("/api/v3/wallet/fiat/w-42");
        then.status(200).header("content-type", "application/json").json_body(json!({
            "success": true, "message": "ok",
            "data": {"id": "w-42", "name": "Main", "type": "fiat", "currency": "KES", "balance": 10, "status": "active",
                     "secret": "s3cr3t-value", "owner_phone": "+254711222333"}
        }));
    })
}

#[test]
fn live_discovers_ids_from_the_list_and_records_redacted() {
    let server = MockServer::start();
    let get = sandbox(&server);
    let dir = scratch("live");
    let record = dir.join("rec.har");
    let run = contract(
        &[
            "--live",
            "--no-pace",
            "--operation",
            "list_fiat_wallets",
            "--operation",
            "get_fiat_wallet",
            "--record",
            record.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[
            ("KOTANI_API_KEY", "test-key-123"),
            ("KOTANI_BASE_URL", &server.base_url()),
        ],
    );
    // The get used the id the list returned.
    get.assert_calls(1);
    let r = run.json();
    assert_eq!(r["mode"], "live");
    assert_eq!(r["summary"]["exchanges"], 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(r["summary"]["matched"], 2);
    finding(&r, "undocumented_field", Some("get_fiat_wallet"), "/data/secret");

    let recorded = std::fs::read_to_string(&record).unwrap();
    assert!(!recorded.contains("test-key-123"), "credential leaked");
    assert!(!recorded.contains("s3cr3t-value"), "secret leaked");
    assert!(!recorded.contains("711222333"), "phone not masked");
    assert!(recorded.contains("+254*******33"));
    assert!(recorded.contains("/api/v3/wallet/fiat/w-42"));
    let har: Value = serde_json::from_str(&recorded).unwrap();
    let headers = &har["log"]["entries"][0]["request"]["headers"];
    let auth = headers
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "Authorization")
        .unwrap();
    assert_eq!(auth["value"], "[REDACTED]");
    // The recording replays.
    let replay = contract(&["--har", record.to_str().unwrap(), "--format", "json"], &[]).json();
    assert_eq!(replay["summary"]["matched"], 2);
}

#[test]
fn live_never_writes_without_allow_writes() {
    let server = MockServer::start();
    sandbox(&server);
    let any_write = server.mock(|when, then| {
        when.method_not(GET);
        then.status(500);
    });
    // A full read-only run: every read against the stand-in, no write at all.
    let run = contract(
        &["--live", "--no-pace", "--format", "json"],
        &[("KOTANI_API_KEY", "k"), ("KOTANI_BASE_URL", &server.base_url())],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    any_write.assert_calls(0);
    let r = run.json();
    assert!(r["summary"]["exchanges"].as_u64().unwrap() > 20);
    let skipped = r["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["operation_id"] == "create_customer" && s["kind"] == "side_effects")
    );
    // A GET that is not a read (it generates a key) is not called either.
    assert!(skipped.iter().any(|s| s["operation_id"] == "generate_api_key"));
}

#[test]
fn live_writes_only_with_allow_writes_and_the_test_number() {
    let server = MockServer::start();
    let create = server.mock(|when, then| {
        when.method(POST)
            .path("/api/v3/customer/mobile-money")
            .body_includes("700000001");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!({"success": true, "message": "ok", "data": {}}));
    });
    let base = server.base_url();
    let env = [("KOTANI_API_KEY", "k"), ("KOTANI_BASE_URL", base.as_str())];
    contract(&["--live", "--no-pace", "--operation", "create_customer"], &env);
    create.assert_calls(0);
    contract(
        &[
            "--live",
            "--no-pace",
            "--allow-writes",
            "--operation",
            "create_customer",
        ],
        &env,
    );
    create.assert_calls(1);
}
