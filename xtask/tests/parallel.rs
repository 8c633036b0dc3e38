//! `cargo xtask contract` on many exchanges: the report is the same whatever the number of
//! threads (`--threads`), each finding shows its first occurrence in input order, and a broken
//! entry far into a HAR stops the run with exit 2 naming it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const SANDBOX: &str = "https://sandbox-api.kotanipay.com";
const MERCHANT: &str = "https://merchant.example.invalid";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parallel").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn contract(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("contract")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn entry(method: &str, url: &str, status: u16, body: &Value, comment: &str) -> Value {
    let text = body.to_string();
    json!({
        "startedDateTime": "2026-01-01T00:00:00.000Z", "time": 1, "comment": comment,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                    "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "content": {"size": text.len(), "mimeType": "application/json", "text": text},
                     "redirectURL": "", "headersSize": -1, "bodySize": text.len()},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}
    })
}

fn key(i: usize) -> Value {
    json!({
        "id": format!("36dfedbc-3568-4b4a-8dfd-{i:012}"), "merchant_id": "7bb54443-6fc9-4a1d-ab46-d787ec90c87f",
        "key_name": "k", "key_hash": "mk_x", "key_prefix": "p", "status": "active", "scope": "FULL_ACCESS",
        "permissions": ["read"], "expires_at": null, "last_used_at": null,
        "created_by": "7bb54443-6fc9-4a1d-ab46-d787ec90c87f", "revoked_at": null, "revoked_by": null,
        "api_key_metadata": null, "created_at": "2025-11-19T16:16:50.676891",
        "updated_at": "2025-11-19T16:16:50.676891", "deleted_at": null
    })
}

/// 600 entries whose drift varies from entry to entry: which occurrence of a finding comes first
/// (its instance, message, status, comment) depends on the order, and so would differ from one
/// thread count to another if the merge were not ordered.
fn varied(dir: &Path, n: usize) -> PathBuf {
    let mut entries = Vec::new();
    for i in 0..n {
        let e = match i % 6 {
            // A list whose drifting item moves: the first instance is /data/<i % 5>/rotated.
            0 => {
                let mut items: Vec<Value> = (0..5).map(key).collect();
                items[i % 5]["rotated"] = json!(i);
                entry(
                    "GET",
                    &format!("{MERCHANT}/api/v1/merchants/api-keys"),
                    200,
                    &json!({"data": items, "message": "ok", "status": "success"}),
                    &format!("list {i}"),
                )
            }
            // An unknown enum value that changes: the message quotes the first one.
            1 => {
                let mut k = key(i);
                k["status"] = json!(format!("state-{i}"));
                entry(
                    "POST",
                    &format!("{MERCHANT}/api/v1/merchants/api-keys"),
                    200,
                    &json!({"data": k, "message": "ok", "status": "success"}),
                    &format!("create {i}"),
                )
            }
            // Unmatched paths, one per entry, and one shared.
            2 => entry(
                "GET",
                &format!("{SANDBOX}/api/v3/nowhere/{}", i % 7),
                404,
                &json!({}),
                "",
            ),
            // Undocumented statuses that vary.
            3 => entry(
                "GET",
                &format!("{SANDBOX}/health"),
                [418, 420, 451][i % 3],
                &json!({}),
                &format!("health {i}"),
            ),
            // Clean.
            4 => entry(
                "GET",
                &format!("{MERCHANT}/api/v1/merchants/api-keys"),
                200,
                &json!({"data": [key(i)], "message": "ok", "status": "success"}),
                "",
            ),
            // A schema violation whose value varies.
            _ => entry(
                "POST",
                &format!("{SANDBOX}/api/v3/auth/login"),
                400,
                &json!({"success": false, "message": "Bad Request", "error_code": format!("e{i}"), "data": {}}),
                &format!("login {i}"),
            ),
        };
        entries.push(e);
    }
    let path = dir.join("varied.har");
    let har =
        json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}});
    std::fs::write(&path, serde_json::to_string_pretty(&har).unwrap()).unwrap();
    path
}

#[test]
fn the_report_is_the_same_with_any_number_of_threads() {
    let dir = scratch("threads");
    let har = varied(&dir, 600);
    let har = har.to_str().unwrap();
    let run = |threads: &str, format: &str| {
        let (code, out, err) = contract(&["--har", har, "--format", format, "--threads", threads]);
        assert_eq!(code, 1, "{err}");
        out
    };
    let one = run("1", "json");
    for threads in ["2", "3", "8"] {
        assert_eq!(one, run(threads, "json"), "--threads {threads}");
    }
    assert_eq!(run("1", "text"), run("4", "text"));
    assert_eq!(run("1", "junit"), run("4", "junit"));

    // Each finding shows its first occurrence in input order.
    let r: Value = serde_json::from_str(&one).unwrap();
    let find = |id: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let rotated = find("undocumented_field:get_api_keys:/data/*/rotated");
    assert_eq!(rotated["count"], 100);
    assert_eq!(rotated["instance"], "/data/0/rotated");
    assert_eq!(rotated["first_seen"]["entry"], 0);
    assert_eq!(rotated["first_seen"]["comment"], "list 0");
    let status = find("unknown_enum_value:create_api_key:/data/status");
    assert!(
        status["message"].as_str().unwrap().contains("\"state-1\""),
        "{status}"
    );
    assert_eq!(status["first_seen"]["entry"], 1);
    let teapot = find("undocumented_status:get_health:/responses/418");
    assert_eq!(teapot["first_seen"]["comment"], "health 3");
    let login = find("schema_violation:send_magic_link:/error_code");
    assert_eq!(login["first_seen"]["entry"], 5);
    assert_eq!(r["summary"]["exchanges"], 600);
}

#[test]
fn a_broken_entry_far_into_a_har_stops_the_run() {
    let dir = scratch("broken");
    let good = varied(&dir, 300);
    let text = std::fs::read_to_string(&good).unwrap();
    let mut har: Value = serde_json::from_str(&text).unwrap();
    har["log"]["entries"][250]
        .as_object_mut()
        .unwrap()
        .remove("response");
    let path = dir.join("broken.har");
    std::fs::write(&path, har.to_string()).unwrap();
    let (code, _, err) = contract(&["--har", path.to_str().unwrap(), "--threads", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.har: entry 250: no response"), "{err}");
    // A file cut short: not JSON, with its line.
    let cut = dir.join("cut.har");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let (code, _, err) = contract(&["--har", cut.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.har: ") && err.contains("not JSON"), "{err}");
}
