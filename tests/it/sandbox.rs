//! The sandbox's core: routing, credentials, request validation, overrides, the clock, webhook
//! delivery and retries, HAR recording. The family lifecycles are in `sandbox_v3_account`,
//! `sandbox_v3_money` and `sandbox_merchant`.

use kotanipay::sandbox::Sandbox;

/// Ends a sandbox test: every response the sandbox wrote decoded into the SDK's types, and its
/// traffic goes to `target/tmp/sandbox-har/<name>.har`, which CI checks with
/// `cargo xtask contract`.
pub fn finish(sandbox: &Sandbox, name: &str) {
    assert_eq!(sandbox.violations(), Vec::<String>::new(), "{name}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox-har");
    std::fs::create_dir_all(&dir).unwrap();
    sandbox.write_har(dir.join(format!("{name}.har"))).unwrap();
}

use std::time::Duration;

use kotanipay::ErrorKind;
use kotanipay::meta::Family;
use kotanipay::prelude::*;
use kotanipay::sandbox::Clock;
use serde_json::{Value, json};

/// A raw request to the sandbox (no SDK): its status and JSON body (a string when not JSON).
pub async fn raw(
    sandbox: &Sandbox,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> (u16, Value) {
    let mut req =
        reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", sandbox.base_url()));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn bearer(sandbox: &Sandbox) -> (&'static str, String) {
    ("authorization", format!("Bearer {}", sandbox.v3_api_key()))
}

fn merchant_key(sandbox: &Sandbox) -> (&'static str, String) {
    ("x-api-key", sandbox.merchant_api_key())
}

#[tokio::test]
async fn unknown_paths_get_each_frameworks_not_found() {
    let sandbox = Sandbox::start().await;
    let (status, body) = raw(&sandbox, "GET", "/api/v3/nowhere", &[bearer(&sandbox)], None).await;
    assert_eq!(status, 404);
    assert_eq!(body["statusCode"], 404);
    assert_eq!(body["message"], "Cannot GET /api/v3/nowhere");
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/api/v1/merchants/nowhere",
        &[merchant_key(&sandbox)],
        None,
    )
    .await;
    assert_eq!((status, body), (404, json!({"detail": "Not Found"})));
    finish(&sandbox, "core_not_found");
}

#[tokio::test]
async fn a_missing_credential_is_refused_in_the_family_shape() {
    let sandbox = Sandbox::start().await;
    let anon = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = anon.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let (status, body) = raw(&sandbox, "GET", "/api/v1/merchants/api-keys", &[], None).await;
    assert_eq!(status, 401);
    assert_eq!(body, json!({"detail": "Unauthorized"}));
    // A wrong key is refused too, in each family's shape.
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/api/v3/wallet/fiat",
        &[("authorization", "Bearer not-a-key".into())],
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["success"], false);
    assert_eq!(body["error_code"], 401);
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/api/v1/merchants/api-keys",
        &[("x-api-key", "not-a-key".into())],
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert!(body["detail"].is_string(), "{body}");
    // The credential is checked before the body, as the frameworks' guards run first: a bad
    // key with a bad body is a 401, not a validation error.
    let (status, _) = raw(
        &sandbox,
        "POST",
        "/api/v3/wallet/fiat",
        &[("authorization", "Bearer not-a-key".into())],
        Some("{}"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = raw(
        &sandbox,
        "POST",
        "/api/v1/merchants/api-keys",
        &[("x-api-key", "not-a-key".into())],
        Some("{}"),
    )
    .await;
    assert_eq!(status, 401);
    finish(&sandbox, "core_credentials");
}

#[tokio::test]
async fn a_body_that_breaks_the_request_schema_gets_the_family_validation_error() {
    let sandbox = Sandbox::start().await;
    // v3: class-validator's 400, `data.errors`, which the SDK reads as validation errors.
    let (status, body) = raw(
        &sandbox,
        "POST",
        "/api/v3/wallet/fiat",
        &[bearer(&sandbox)],
        Some(r#"{"name":"Payouts"}"#),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Validation failed: currency should not be empty");
    assert_eq!(body["data"]["errors"], json!(["currency should not be empty"]));
    let bytes = body.to_string();
    assert_eq!(
        kotanipay::meta::decode(Family::V3, "create_fiat_wallet", 400, bytes.as_bytes()),
        Some(Ok(()))
    );
    // A wrong type names the field.
    let (status, body) = raw(
        &sandbox,
        "POST",
        "/api/v3/wallet/fiat",
        &[bearer(&sandbox)],
        Some(r#"{"name":"Payouts","currency":7}"#),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("currency"), "{body}");
    // Not JSON at all.
    let (status, body) = raw(
        &sandbox,
        "POST",
        "/api/v3/wallet/fiat",
        &[bearer(&sandbox)],
        Some("{name"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["success"], false);
    // Merchant: FastAPI's 422 with a location per issue.
    let (status, body) = raw(
        &sandbox,
        "POST",
        "/api/v1/merchants/api-keys",
        &[merchant_key(&sandbox)],
        Some("{}"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": [{"type": "missing", "loc": ["body", "name"], "msg": "Field required"}]})
    );
    let (status, body) = raw(
        &sandbox,
        "POST",
        "/api/v1/merchants/api-keys",
        &[merchant_key(&sandbox)],
        Some("{name"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "json_invalid");
    // Through the SDK, a 422 is a typed validation error naming the field.
    let bytes = json!({"detail": [{"type": "missing", "loc": ["body", "name"], "msg": "Field required"}]})
        .to_string();
    assert_eq!(
        kotanipay::meta::decode(Family::Merchant, "create_api_key", 422, bytes.as_bytes()),
        Some(Ok(()))
    );
    finish(&sandbox, "core_validation");
}

#[tokio::test]
async fn overrides_replace_an_answer_until_reset() {
    let sandbox = Sandbox::start().await;
    let client = sandbox.v3_client().unwrap();
    let before = client.get_integrator().data().await.unwrap();
    sandbox
        .respond(
            Family::V3,
            "get_integrator",
            503,
            json!({"success": false, "message": "down for maintenance", "error_code": 503, "data": {}}),
        )
        .await;
    let err = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(sandbox.v3_api_key())
        .retry(kotanipay::RetryPolicy::disabled())
        .build()
        .unwrap()
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.message(), "down for maintenance");
    sandbox.reset().await;
    let after = client.get_integrator().data().await.unwrap();
    assert_eq!(after.organization, before.organization);
    assert_eq!(sandbox.hits(Family::V3, "get_integrator").await, 3);
    finish(&sandbox, "core_overrides");
}

#[tokio::test]
async fn the_har_holds_every_exchange_with_credentials_redacted() {
    let sandbox = Sandbox::start().await;
    let v3 = sandbox.v3_client().unwrap();
    let shop = sandbox.merchant_client().unwrap();
    v3.get_integrator().data().await.unwrap();
    v3.list_fiat_wallets().data().await.unwrap();
    shop.get_api_keys().data().await.unwrap();
    let har = sandbox.har();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(har["log"]["version"], "1.2");
    let first = &entries[0];
    assert_eq!(first["request"]["method"], "GET");
    assert_eq!(
        first["request"]["url"],
        format!("{}/api/v3/integrator", sandbox.base_url())
    );
    assert_eq!(first["response"]["status"], 200);
    let body: Value = serde_json::from_str(first["response"]["content"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(body["success"], true);
    let auth = first["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "authorization")
        .unwrap();
    assert_eq!(auth["value"], "[REDACTED]");
    let text = har.to_string();
    assert!(!text.contains(&sandbox.v3_api_key()));
    assert!(!text.contains(&sandbox.merchant_api_key()));
    finish(&sandbox, "core_har");
}

#[tokio::test]
async fn the_same_seed_issues_the_same_keys_and_the_handle_hides_them() {
    let a = Sandbox::builder().seed(7).start().await;
    let b = Sandbox::builder().seed(7).start().await;
    let c = Sandbox::builder().seed(8).start().await;
    assert_eq!(a.v3_api_key(), b.v3_api_key());
    assert_eq!(a.merchant_api_key(), b.merchant_api_key());
    assert_ne!(a.v3_api_key(), c.v3_api_key());
    assert_ne!(a.v3_api_key(), a.merchant_api_key());
    let debug = format!("{a:?}");
    assert!(!debug.contains(&a.v3_api_key()), "{debug}");
    assert!(!debug.contains(&a.merchant_api_key()), "{debug}");
}

#[tokio::test]
async fn the_manual_clock_moves_only_when_advanced() {
    let start = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let sandbox = Sandbox::builder().start_time(start).start().await;
    assert_eq!(sandbox.now(), start);
    tokio::task::yield_now().await;
    assert_eq!(sandbox.now(), start);
    sandbox.advance(Duration::from_secs(90)).await;
    assert_eq!(sandbox.now(), start + Duration::from_secs(90));
}

#[tokio::test]
async fn a_real_time_clock_follows_the_wall_clock_at_its_speed() {
    let start = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let sandbox = Sandbox::builder()
        .start_time(start)
        .clock(Clock::RealTime { speed: 3600.0 })
        .start()
        .await;
    // At an hour a second, a fraction of a second moves the clock by minutes.
    let mut polls = 0;
    while sandbox.now() < start + Duration::from_secs(60) {
        polls += 1;
        assert!(polls < 1000, "the real-time clock did not move");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sandbox.advance(Duration::from_secs(86_400)).await;
    assert!(sandbox.now() >= start + Duration::from_secs(86_400 + 60));
}

#[tokio::test]
async fn the_control_endpoints_drive_the_sandbox_over_http() {
    let start = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let sandbox = Sandbox::builder().start_time(start).start().await;
    let (status, body) = raw(&sandbox, "GET", "/_sandbox/now", &[], None).await;
    assert_eq!(status, 200);
    assert_eq!(body["now"], "2027-01-15T08:00:00.000Z");
    let (status, body) = raw(&sandbox, "POST", "/_sandbox/advance?seconds=90", &[], None).await;
    assert_eq!(
        (status, body["now"].clone()),
        (200, json!("2027-01-15T08:01:30.000Z"))
    );
    assert_eq!(sandbox.now(), start + Duration::from_secs(90));
    let (status, _) = raw(&sandbox, "POST", "/_sandbox/advance?seconds=-1", &[], None).await;
    assert_eq!(status, 400);

    // A magic link, read instead of an e-mail.
    let anon = kotanipay::v3::Client::builder()
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    anon.login("dev@example.com").await.unwrap();
    let (status, body) = raw(
        &sandbox,
        "GET",
        "/_sandbox/v3/magic-link?email=dev@example.com",
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["link"].as_str(),
        sandbox.magic_link("dev@example.com").as_deref()
    );
    anon.verify(body["link"].as_str().unwrap()).await.unwrap();

    // Revoking the issued key over HTTP.
    let key = sandbox.v3_api_key();
    let (status, body) = raw(
        &sandbox,
        "POST",
        &format!("/_sandbox/v3/keys/revoke?key={key}"),
        &[],
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!({"revoked": true})));
    let err = sandbox
        .v3_client()
        .unwrap()
        .get_integrator()
        .data()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);

    let (status, body) = raw(&sandbox, "GET", "/_sandbox/deliveries", &[], None).await;
    assert_eq!((status, body), (200, json!([])));
    let (status, _) = raw(&sandbox, "GET", "/_sandbox/v3/transactions/none", &[], None).await;
    assert_eq!(status, 404);
    let (status, _) = raw(&sandbox, "GET", "/_sandbox/nothing", &[], None).await;
    assert_eq!(status, 404);
    // None of this is API traffic: the HAR holds only the login and verify calls.
    let har = sandbox.har();
    let urls: Vec<&str> = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 3, "{urls:?}");
    assert!(urls.iter().all(|u| !u.contains("/_sandbox/")), "{urls:?}");
    finish(&sandbox, "core_control");
}
