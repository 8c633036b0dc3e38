//! `cargo xtask contract --postman`: saved examples of hand-written Postman collections are
//! checked exactly like the same traffic given as HAR (the JSON reports are equal but for where
//! each finding was seen), variables from each source, bad input, a collection without saved
//! responses, and `--record` as a Postman collection.

use std::path::{Path, PathBuf};

use httpmock::prelude::*;
use serde_json::{Value, json};

mod support;
use support::contract;

const SANDBOX: &str = "https://sandbox-api.kotanipay.com";
const MERCHANT: &str = "https://merchant.example.invalid";
const V21: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";
const V20: &str = "https://schema.getpostman.com/json/collection/v2.0.0/collection.json";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("postman").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(v).unwrap()).unwrap();
    path
}

/// One saved example: the request as Postman holds it (`url` with its variables) and, for the
/// HAR twin, the URL it resolves to.
struct Saved {
    folders: Vec<&'static str>,
    request: &'static str,
    example: &'static str,
    method: &'static str,
    /// The URL as the collection writes it: a string or a URL object.
    postman_url: Value,
    /// The same URL resolved, for the HAR.
    url: String,
    status: u16,
    content_type: &'static str,
    body: String,
}

/// A v2.x collection: the examples grouped into folders and requests in the order given (a
/// request's examples are consecutive), the examples' `originalRequest` carrying the URL.
fn collection(name: &str, schema: &str, saved: &[Saved], variables: Value) -> Value {
    fn folder<'a>(items: &'a mut Vec<Value>, name: &str) -> &'a mut Vec<Value> {
        let i = match items
            .iter()
            .position(|i| i["name"] == name && i.get("item").is_some())
        {
            Some(i) => i,
            None => {
                items.push(json!({"name": name, "item": []}));
                items.len() - 1
            }
        };
        items[i]["item"].as_array_mut().unwrap()
    }
    let mut top: Vec<Value> = Vec::new();
    for ex in saved {
        let mut items = &mut top;
        for f in &ex.folders {
            items = folder(items, f);
        }
        let request = json!({"method": ex.method, "header": [], "url": ex.postman_url});
        let example = json!({
            "name": ex.example,
            "originalRequest": request,
            "status": "",
            "code": ex.status,
            "_postman_previewlanguage": "json",
            "header": [{"key": "Content-Type", "value": ex.content_type}],
            "cookie": [],
            "body": ex.body,
        });
        match items
            .iter_mut()
            .find(|i| i["name"] == ex.request && i.get("request").is_some())
        {
            Some(item) => item["response"].as_array_mut().unwrap().push(example),
            None => items.push(json!({
                "name": ex.request,
                // The item's own request: a placeholder the examples' originalRequest overrides.
                "request": {"method": "GET", "url": "https://placeholder.invalid/"},
                "response": [example],
            })),
        }
    }
    json!({
        "info": {"_postman_id": "test", "name": name, "schema": schema},
        "item": top,
        "variable": variables,
    })
}

/// The same traffic as HAR, in the collection's order.
fn har(saved: &[Saved]) -> Value {
    let entries: Vec<Value> = saved
        .iter()
        .map(|ex| {
            json!({
                "startedDateTime": "2026-01-01T00:00:00.000Z", "time": 1,
                "request": {"method": ex.method, "url": ex.url, "httpVersion": "HTTP/1.1", "headers": [],
                            "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": ex.status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [],
                             "cookies": [], "content": {"size": ex.body.len(), "mimeType": ex.content_type, "text": ex.body},
                             "redirectURL": "", "headersSize": -1, "bodySize": ex.body.len()},
                "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}
            })
        })
        .collect();
    json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}})
}

/// A report without what depends on where the traffic came from: the inputs, the mode, the
/// notes and each finding's `first_seen`.
fn without_sources(mut report: Value) -> Value {
    for key in ["inputs", "mode", "notes"] {
        report.as_object_mut().unwrap().remove(key);
    }
    for f in report["findings"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("first_seen");
    }
    report
}

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

fn verify_body() -> Value {
    json!({"success": true, "message": "ok", "data": {
        "user_id": "abc123", "session_id": "sess_xyz", "token_id": "tok_123",
        "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...", "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."
    }})
}

fn fiat_wallet_body() -> Value {
    json!({"success": true, "message": "The wallet has been successfully retrieved.", "data": {
        "id": "w-42", "name": "Payouts KES", "type": "fiat", "balance": 0,
        "integrator": "66a0f1c2d3e4f5a6b7c8d9ff", "currency": "KES", "status": "active"}})
}

fn merchant_key_body() -> Value {
    json!({
        "data": {
            "id": "36dfedbc-3568-4b4a-8dfd-1f778476ef50",
            "merchant_id": "7bb54443-6fc9-4a1d-ab46-d787ec90c87f",
            "key_name": "aws backend", "key_hash": "mk_atQnAmDq9s5LCj7D7hM5yvc7KBSw43sVFQviU",
            "key_prefix": "ONzK5zQnPF", "status": "suspended", "scope": "FULL_ACCESS",
            "permissions": ["read", "write"], "expires_at": null, "last_used_at": null,
            "created_by": "7bb54443-6fc9-4a1d-ab46-d787ec90c87f", "revoked_at": null, "revoked_by": null,
            "api_key_metadata": null, "created_at": "2025-11-19T16:16:50.676891",
            "updated_at": "2025-11-19T16:16:50.676891", "deleted_at": null
        },
        "message": "API key created successfully", "status": "success"
    })
}

/// Kotani-like traffic with drift, in nested folders, with variables from every source: the
/// collection (`host`, `v`, `wallets`), the environment (`host`, `v`, `hash`, `merchant`, a
/// disabled `wallets`) and `--var v=v3`.
fn kotani_traffic() -> Vec<Saved> {
    let mut drift = verify_body();
    drift["data"]["user_id"] = json!(5);
    drift["data"].as_object_mut().unwrap().remove("token");
    drift["data"]["device"] = json!("ios");
    let mut wallet_extra = fiat_wallet_body();
    wallet_extra["data"]["secret"] = json!("x");
    let verify_url = json!("{{host}}/api/{{v}}/auth/verify?hash={{hash}}");
    let verify_resolved = format!("{SANDBOX}/api/v3/auth/verify?hash=h");
    let wallet_url = json!({
        "raw": "{{host}}/api/{{v}}/{{wallets}}/:id?expand=1&expand=2",
        "host": ["{{host}}"],
        "path": ["api", "{{v}}", "{{wallets}}", ":id"],
        "query": [{"key": "expand", "value": "1"}, {"key": "expand", "value": "2"},
                  {"key": "debug", "value": "1", "disabled": true}],
        "variable": [{"key": "id", "value": "w-42"}]
    });
    let wallet_resolved = format!("{SANDBOX}/api/v3/wallet/fiat/w-42?expand=1&expand=2");
    vec![
        Saved {
            folders: vec!["Auth", "Magic link"],
            request: "Verify",
            example: "clean",
            method: "GET",
            postman_url: verify_url.clone(),
            url: verify_resolved.clone(),
            status: 200,
            content_type: "application/json",
            body: verify_body().to_string(),
        },
        Saved {
            folders: vec!["Auth", "Magic link"],
            request: "Verify",
            example: "drift",
            method: "GET",
            postman_url: verify_url.clone(),
            url: verify_resolved.clone(),
            status: 200,
            content_type: "application/json",
            body: drift.to_string(),
        },
        // A duplicate example: counted twice, like the same entry twice in a HAR.
        Saved {
            folders: vec!["Auth", "Magic link"],
            request: "Verify",
            example: "drift",
            method: "GET",
            postman_url: verify_url,
            url: verify_resolved,
            status: 200,
            content_type: "application/json",
            body: drift.to_string(),
        },
        Saved {
            folders: vec!["Wallets", "Fiat", "Read"],
            request: "Get wallet",
            example: "with a secret",
            method: "GET",
            postman_url: wallet_url.clone(),
            url: wallet_resolved.clone(),
            status: 200,
            content_type: "application/json; charset=utf-8",
            body: wallet_extra.to_string(),
        },
        // Saved error responses: a clean 404 and a 401 in the framework shape, with drift.
        Saved {
            folders: vec!["Wallets", "Fiat", "Read"],
            request: "Get wallet",
            example: "not found",
            method: "GET",
            postman_url: wallet_url.clone(),
            url: wallet_resolved.clone(),
            status: 404,
            content_type: "application/json",
            body: json!({"success": false, "message": "Wallet not found", "error_code": 404}).to_string(),
        },
        Saved {
            folders: vec!["Wallets", "Fiat", "Read"],
            request: "Get wallet",
            example: "unauthorized",
            method: "GET",
            postman_url: wallet_url,
            url: wallet_resolved,
            status: 401,
            content_type: "application/json",
            body:
                json!({"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized", "trace": "t-1"})
                    .to_string(),
        },
        Saved {
            folders: vec!["Health"],
            request: "Health",
            example: "teapot",
            method: "GET",
            postman_url: json!("{{host}}/health"),
            url: format!("{SANDBOX}/health"),
            status: 418,
            content_type: "application/json",
            body: "{}".into(),
        },
        Saved {
            folders: vec![],
            request: "Create API key",
            example: "suspended",
            method: "POST",
            postman_url: json!({"raw": "{{merchant}}/api/v1/merchants/api-keys",
                                "host": ["{{merchant}}"], "path": ["api", "v1", "merchants", "api-keys"]}),
            url: format!("{MERCHANT}/api/v1/merchants/api-keys"),
            status: 200,
            content_type: "application/json",
            body: merchant_key_body().to_string(),
        },
        Saved {
            folders: vec!["Auth"],
            request: "Not an endpoint",
            example: "404",
            method: "GET",
            postman_url: json!("{{host}}/api/{{v}}/not-an-endpoint"),
            url: format!("{SANDBOX}/api/v3/not-an-endpoint"),
            status: 404,
            content_type: "application/json",
            body: "{}".into(),
        },
    ]
}

fn kotani_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let traffic = kotani_traffic();
    let variables = json!([
        {"key": "host", "value": "https://wrong.example"},
        {"key": "v", "value": "v9"},
        {"key": "wallets", "value": "wallet/fiat"},
        {"key": "unused", "value": "x", "disabled": true}
    ]);
    let c = write(
        dir,
        "kotani.postman_collection.json",
        &collection("Kotani Pay API", V21, &traffic, variables),
    );
    let env = write(
        dir,
        "sandbox.postman_environment.json",
        &json!({"id": "e", "name": "Sandbox", "_postman_variable_scope": "environment", "values": [
            {"key": "host", "value": SANDBOX, "enabled": true},
            {"key": "v", "value": "v8", "enabled": true},
            {"key": "hash", "value": "h", "enabled": true},
            {"key": "merchant", "value": MERCHANT, "enabled": true},
            {"key": "wallets", "value": "broken", "enabled": false}
        ]}),
    );
    let h = write(dir, "kotani.har", &har(&traffic));
    (c, env, h)
}

#[test]
fn collection_findings_equal_the_same_traffic_as_har() {
    let dir = scratch("equal");
    let (c, env, h) = kotani_files(&dir);
    let from_har = contract(&["--har", s(&h), "--format", "json"], &[]);
    assert_eq!(from_har.code, 1, "{}", from_har.stderr);
    let from_postman = contract(
        &[
            "--postman",
            s(&c),
            "--postman-env",
            s(&env),
            "--var",
            "v=v3",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(from_postman.code, 1, "{}", from_postman.stderr);
    let (h, p) = (from_har.json(), from_postman.json());
    assert_eq!(p["mode"], "postman");
    assert_eq!(p["summary"]["exchanges"], 9);
    assert_eq!(p["summary"]["matched"], 8);
    assert_eq!(without_sources(p.clone()), without_sources(h.clone()));

    // Each kind of drift is there, named by collection, folders, request and example.
    let f = finding(&p, "missing_required", Some("verify_magic_link"), "/data/token");
    assert_eq!(f["count"], 2, "the duplicate example counts twice");
    assert_eq!(
        f["first_seen"],
        json!({"file": f["first_seen"]["file"], "entry": 1, "comment": null, "collection": "Kotani Pay API",
               "folders": ["Auth", "Magic link"], "request": "Verify", "example": "drift"})
    );
    assert!(
        f["first_seen"]["file"]
            .as_str()
            .unwrap()
            .ends_with("kotani.postman_collection.json")
    );
    let f = finding(&p, "undocumented_field", Some("get_fiat_wallet"), "/data/secret");
    assert_eq!(f["first_seen"]["folders"], json!(["Wallets", "Fiat", "Read"]));
    let f = finding(&p, "undocumented_field", Some("get_fiat_wallet"), "/trace");
    assert_eq!(f["status"], 401);
    assert_eq!(f["first_seen"]["example"], "unauthorized");
    finding(&p, "undocumented_status", Some("get_health"), "/responses/418");
    finding(&p, "unknown_enum_value", Some("create_api_key"), "/data/status");
    let f = finding(
        &p,
        "unmatched_request",
        None,
        "/paths/~1api~1v3~1not-an-endpoint/get",
    );
    assert_eq!(f["first_seen"]["folders"], json!(["Auth"]));
    // The HAR's findings name the file and the entry.
    let f = finding(&h, "missing_required", Some("verify_magic_link"), "/data/token");
    assert_eq!(f["first_seen"]["entry"], 1);
    assert!(f["first_seen"].get("collection").is_none());
    // The notes say what was read.
    let notes = p["notes"].as_array().unwrap();
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains("Postman collection \"Kotani Pay API\" (schema v2.1.0): 9 saved example(s) of 5 request(s) checked"),
        "{notes:?}"
    );

    // The text report names the example where a finding was first seen.
    let text = contract(
        &["--postman", s(&c), "--postman-env", s(&env), "--var", "v=v3"],
        &[],
    );
    assert!(
        text.stdout
            .contains("(Kotani Pay API › Auth › Magic link › Verify › example \"drift\")"),
        "{}",
        text.stdout
    );

    // Both inputs together, and the same file twice: every example counted each time.
    let both = contract(
        &[
            "--postman",
            s(&c),
            "--har",
            s(&dir.join("kotani.har")),
            "--postman-env",
            s(&env),
            "--var",
            "v=v3",
            "--postman",
            s(&c),
            "--format",
            "json",
        ],
        &[],
    )
    .json();
    assert_eq!(both["mode"], "har+postman");
    assert_eq!(both["summary"]["exchanges"], 27);
    assert_eq!(both["inputs"].as_array().unwrap().len(), 3);
    // HAR files come first: the first occurrence is the HAR's.
    let f = finding(
        &both,
        "missing_required",
        Some("verify_magic_link"),
        "/data/token",
    );
    assert_eq!(f["count"], 6);
    assert!(f["first_seen"].get("collection").is_none(), "{f}");
}

#[test]
fn variable_precedence_var_over_environment_over_collection() {
    let dir = scratch("precedence");
    let (c, env, _) = kotani_files(&dir);
    // Without --var, `v` is the environment's v8: the v3 paths are not found.
    let r = contract(
        &["--postman", s(&c), "--postman-env", s(&env), "--format", "json"],
        &[],
    )
    .json();
    finding(
        &r,
        "unmatched_request",
        None,
        "/paths/~1api~1v8~1auth~1verify/get",
    );
    // Without the environment, the collection's host and v9: nothing of v3 matches, and
    // `merchant` and `hash` are not set.
    let r = contract(&["--postman", s(&c), "--format", "json"], &[]).json();
    finding(
        &r,
        "unmatched_request",
        None,
        "/paths/~1api~1v9~1auth~1verify/get",
    );
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("{{hash}} is not set: left as written in 3 example(s)")),
        "{notes:#?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("{{merchant}} is not set")
            && n.contains("1 example(s)")
            && n.contains("1 to merchant")),
        "{notes:#?}"
    );
    // --var alone is enough, and wins over both.
    let r = contract(
        &[
            "--postman",
            s(&c),
            "--postman-env",
            s(&env),
            "--var",
            "v=v3",
            "--var",
            &format!("host={SANDBOX}"),
            "--var",
            "wallets=wallet/fiat",
            "--format",
            "json",
        ],
        &[],
    )
    .json();
    assert_eq!(r["summary"]["matched"], 8);
}

#[test]
fn an_unset_host_variable_is_matched_by_path_and_the_report_says_so() {
    let dir = scratch("unset-host");
    let list = json!({"success": true, "message": "ok", "data": [fiat_wallet_body()["data"].clone()]});
    let mut extra = fiat_wallet_body();
    extra["data"]["legacy"] = json!(1);
    let traffic = vec![
        // `{{kotani}}` is Kotani's `https://sandbox-api.kotanipay.com/api/v3` (host and prefix).
        Saved {
            folders: vec!["Wallets"],
            request: "List",
            example: "ok",
            method: "GET",
            postman_url: json!("{{kotani}}/wallet/fiat"),
            url: format!("{SANDBOX}/api/v3/wallet/fiat"),
            status: 200,
            content_type: "application/json",
            body: list.to_string(),
        },
        Saved {
            folders: vec!["Wallets"],
            request: "Get",
            example: "legacy field",
            method: "GET",
            postman_url: json!({"raw": "{{kotani}}/wallet/fiat/:id", "host": ["{{kotani}}"],
                                "path": ["wallet", "fiat", ":id"], "variable": [{"key": "id", "value": "w-42"}]}),
            url: format!("{SANDBOX}/api/v3/wallet/fiat/w-42"),
            status: 200,
            content_type: "application/json",
            body: extra.to_string(),
        },
        // `{{host}}` is a host alone: the full path matches as it is.
        Saved {
            folders: vec![],
            request: "Health",
            example: "teapot",
            method: "GET",
            postman_url: json!("{{host}}/health"),
            url: format!("{SANDBOX}/health"),
            status: 418,
            content_type: "application/json",
            body: "{}".into(),
        },
    ];
    // A v2.0 collection this time.
    let c = write(&dir, "c.json", &collection("Kotani", V20, &traffic, json!([])));
    let h = write(&dir, "h.har", &har(&traffic));
    let p = contract(&["--postman", s(&c), "--format", "json"], &[]).json();
    let h = contract(&["--har", s(&h), "--format", "json"], &[]).json();
    assert_eq!(p["summary"]["matched"], 3, "{p:#}");
    assert_eq!(without_sources(p.clone()), without_sources(h));
    finding(&p, "undocumented_field", Some("get_fiat_wallet"), "/data/legacy");
    let notes: Vec<&str> = p["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes[0].contains("(schema v2.0.0)"), "{notes:#?}");
    let kotani = notes
        .iter()
        .find(|n| n.contains("{{kotani}} is not set"))
        .unwrap_or_else(|| panic!("{notes:#?}"));
    assert!(
        kotani.contains("2 example(s)") && kotani.contains("(2 to v3)"),
        "{kotani}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("{{host}} is not set") && n.contains("(1 to v3)")),
        "{notes:#?}"
    );
    // The text report shows the notes.
    let text = contract(&["--postman", s(&c)], &[]).stdout;
    assert!(
        text.contains("Notes:") && text.contains("{{kotani}} is not set"),
        "{text}"
    );
}

#[test]
fn a_collection_without_saved_responses_checks_nothing_and_says_why() {
    let dir = scratch("no-responses");
    let c = write(
        &dir,
        "empty.postman_collection.json",
        &json!({
            "info": {"name": "Requests only", "schema": V21},
            "item": [
                {"name": "Folder", "item": [
                    {"name": "List wallets", "request": {"method": "GET", "url": "{{base_url}}/wallet/fiat"}, "response": []},
                    {"name": "Health", "request": {"method": "GET", "url": "https://h/health"}}
                ]}
            ]
        }),
    );
    let run = contract(&["--postman", s(&c), "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["summary"]["exchanges"], 0);
    assert_eq!(r["verdict"], "pass");
    let note = r["notes"][0].as_str().unwrap();
    assert!(
        note.contains("has 2 request(s) but no saved response (example), so there is nothing to check"),
        "{note}"
    );
    assert!(run.stderr.contains("nothing to check"), "{}", run.stderr);
    let text = contract(&["--postman", s(&c)], &[]).stdout;
    assert!(text.contains("no saved response"), "{text}");
    assert!(text.contains("0 exchange(s)"), "{text}");
}

#[test]
fn bad_input_exits_2_naming_the_file_and_the_problem() {
    let dir = scratch("bad");
    let cases: Vec<(&str, String, &str)> = vec![
        ("not-json.json", "{ not json".into(), "not JSON"),
        (
            "har.json",
            json!({"log": {"version": "1.2", "entries": []}}).to_string(),
            "not a Postman collection: this is a HAR file (use --har)",
        ),
        ("array.json", "[1, 2]".into(), "not a Postman collection (not a JSON object)"),
        (
            "no-info.json",
            json!({"item": []}).to_string(),
            "not a Postman collection (no `info`)",
        ),
        (
            "no-schema.json",
            json!({"info": {"name": "x"}, "item": []}).to_string(),
            "not a Postman collection (no info.schema)",
        ),
        (
            "v1.json",
            json!({"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}, "item": []}).to_string(),
            "Postman collection schema v1.0.0 is not supported (v2.0 and v2.1 are)",
        ),
        (
            "old-format.json",
            json!({"id": "1", "name": "old", "order": [], "requests": []}).to_string(),
            "Postman collection format v1 is not supported",
        ),
        (
            "no-code.json",
            json!({"info": {"name": "K", "schema": V21}, "item": [
                {"name": "Wallets", "item": [{"name": "List", "request": {"url": "https://h/a"},
                  "response": [{"name": "ok", "status": "OK", "body": "{}"}]}]}
            ]})
            .to_string(),
            "K › Wallets › List › example \"ok\": the saved response has no status (`code`)",
        ),
        (
            "bad-code.json",
            json!({"info": {"name": "K", "schema": V21}, "item": [
                {"name": "List", "request": {"url": "https://h/a"}, "response": [{"name": "ok", "code": "soon"}]}
            ]})
            .to_string(),
            "the saved response's status (`code`) is not an HTTP status",
        ),
        (
            "truncated.json",
            json!({"info": {"name": "K", "schema": V21}, "item": [
                {"name": "List", "request": {"url": "https://h/a"}, "response": [{"name": "ok", "code": 200, "body": "{}"}]}
            ]})
            .to_string()[..60]
                .to_owned(),
            "not JSON",
        ),
    ];
    for (name, text, message) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let run = contract(&["--postman", s(&path)], &[]);
        assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(name) && run.stderr.contains(message),
            "{name}: expected `{message}` in: {}",
            run.stderr
        );
    }
    // A missing collection, a bad environment file, a bad --var.
    let run = contract(&["--postman", s(&dir.join("missing.json"))], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read Postman collection") && run.stderr.contains("missing.json"));
    let good = write(
        &dir,
        "good.json",
        &json!({"info": {"name": "K", "schema": V21}, "item": []}),
    );
    let bad_env = dir.join("env.json");
    std::fs::write(&bad_env, "nope").unwrap();
    let run = contract(&["--postman", s(&good), "--postman-env", s(&bad_env)], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("env.json: not JSON"), "{}", run.stderr);
    std::fs::write(&bad_env, "{\"name\": \"x\"}").unwrap();
    let run = contract(&["--postman", s(&good), "--postman-env", s(&bad_env)], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("env.json: not a Postman environment (no `values` list)"),
        "{}",
        run.stderr
    );
    let run = contract(&["--postman", s(&good), "--var", "novalue"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--var takes NAME=VALUE"), "{}", run.stderr);
    // --postman-env and --var need a collection.
    assert_eq!(
        contract(&["--har", "tests/contract/published.har", "--var", "a=b"], &[]).code,
        2
    );
}

/// The loopback sandbox of `tests/contract.rs`: a wallet list, then the wallet it names.
fn sandbox(server: &MockServer) {
    server.mock(|when, then| {
        when.method(GET).path("/api/v3/wallet/fiat");
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
    });
}

#[test]
fn live_records_a_postman_collection_that_replays_like_the_har() {
    let server = MockServer::start();
    sandbox(&server);
    let dir = scratch("record");
    let base = server.base_url();
    let env = [
        ("KOTANI_API_KEY", "test-key-123"),
        ("KOTANI_BASE_URL", base.as_str()),
    ];
    let record = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "--live",
            "--no-pace",
            "--operation",
            "list_fiat_wallets",
            "--operation",
            "get_fiat_wallet",
            "--record",
            s(file),
        ];
        args.extend_from_slice(extra);
        let run = contract(&args, &env);
        assert!(run.code == 0 || run.code == 1, "{}{}", run.stdout, run.stderr);
    };
    let as_har = dir.join("rec.har");
    let as_postman = dir.join("rec.postman_collection.json");
    let by_flag = dir.join("rec.json");
    record(&as_har, &[]);
    record(&as_postman, &[]);
    record(&by_flag, &["--record-format", "postman"]);

    let recorded = std::fs::read_to_string(&as_postman).unwrap();
    assert!(!recorded.contains("test-key-123"), "credential leaked");
    assert!(!recorded.contains("s3cr3t-value"), "secret leaked");
    assert!(!recorded.contains("711222333"), "phone not masked");
    assert!(recorded.contains("+254*******33"));
    let c: Value = serde_json::from_str(&recorded).unwrap();
    assert_eq!(c["info"]["schema"], V21);
    assert_eq!(c["item"][0]["name"], "v3");
    let names: Vec<&str> = c["item"][0]["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["list_fiat_wallets", "get_fiat_wallet"]);
    let flagged: Value = serde_json::from_str(&std::fs::read_to_string(&by_flag).unwrap()).unwrap();
    assert_eq!(flagged["info"]["schema"], V21);

    let replay_har = contract(&["--har", s(&as_har), "--format", "json"], &[]).json();
    let replay_postman = contract(&["--postman", s(&as_postman), "--format", "json"], &[]).json();
    assert_eq!(replay_postman["summary"]["matched"], 2, "{replay_postman:#}");
    finding(
        &replay_postman,
        "undocumented_field",
        Some("get_fiat_wallet"),
        "/data/secret",
    );
    assert_eq!(without_sources(replay_postman), without_sources(replay_har));
}
