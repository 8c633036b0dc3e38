//! The foundation: configured clients, credentials per the spec's `security`, the seeds' real
//! responses, the base-URL rules and the sandbox's examples mode; and, of the auth/key operations (whose calls are
//! fixtures, `tests/ops/{v3,merchant}/*.yaml`), what a fixture cannot say: the login wrappers
//! (`login`, `verify`, `human_verify`: their input checks and the session they build), the
//! refresh token sent as the bearer credential, and keys and secrets kept out of Debug output.

use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, merchant, v3};
use serde_json::json;

const KEY: &str = "test-api-key-7d1f";

fn v3_client(server: &MockServer) -> v3::Client {
    v3::Client::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .build()
        .unwrap()
}

fn anon_client(server: &MockServer) -> v3::Client {
    v3::Client::builder().base_url(server.base_url()).build().unwrap()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[tokio::test]
async fn health_503_is_an_error_with_the_health_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/health");
            then.status(503).json_body(json!({"status": "error", "info": {}, "error": {"database": {"status": "down"}}, "details": {}}));
        })
        .await;
    let err = anon_client(&server).get_health().call().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    match err.api_body::<kotanipay::v3::types::HealthStatus>() {
        Some(h) => assert_eq!(h.status, "error"),
        None => panic!("expected the health body, got {:?}", err.api_body_dyn()),
    }
}

#[tokio::test]
async fn login_sends_the_email_and_returns_the_message() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/auth/login")
                .header_missing("authorization")
                .header("content-type", "application/json")
                .json_body(json!({"email": "you@yourcompany.com"}));
            then.status(200).body(fixture("seed_login.json"));
        })
        .await;
    let msg = v3_client(&server).login("you@yourcompany.com").await.unwrap();
    m.assert_async().await;
    assert_eq!(msg, "login magic link sent to your email");
}

#[tokio::test]
async fn login_refuses_a_bad_email_before_sending() {
    let server = MockServer::start_async().await;
    let any = server.mock_async(|when, then| {
        when.any_request();
        then.status(200);
    });
    let any = any.await;
    for bad in ["", "   ", "not-an-email", "a@b", "two words@x.com"] {
        let err = anon_client(&server).login(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad:?}");
        assert_eq!(err.operation(), "send_magic_link");
    }
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn verify_takes_the_pasted_link_and_returns_the_session() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/auth/verify")
                .query_param("hash", "h4sh/with+chars")
                .header_missing("authorization");
            then.status(200).body(fixture("seed_verify.json"));
        })
        .await;
    // The whole link as a user pastes it, with the hash percent-encoded.
    let link = "https://sandbox-api.kotanipay.com/api/v3/auth/verify?hash=h4sh%2Fwith%2Bchars";
    let session = anon_client(&server).verify(link).await.unwrap();
    m.assert_async().await;
    let t = session.tokens().await.unwrap();
    assert_eq!(t.user_id.as_deref(), Some("abc123"));
    assert_eq!(t.session_id.as_deref(), Some("sess_xyz"));
    assert_eq!(t.access_token.expose(), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...");
    assert_eq!(
        t.refresh_token.expose(),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."
    );
}

#[tokio::test]
async fn verify_takes_a_bare_hash_and_refuses_bad_links_before_sending() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/auth/verify")
                .query_param("hash", "abc123");
            then.status(200).body(fixture("seed_verify.json"));
        })
        .await;
    anon_client(&server).verify("  abc123 ").await.unwrap();
    assert_eq!(m.calls_async().await, 1);
    for bad in [
        "",
        "https://x.example/verify",
        "https://x.example/verify?hash=",
        "not a link",
        "ht!tp://",
    ] {
        let err = anon_client(&server).verify(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad:?}");
    }
    assert_eq!(m.calls_async().await, 1, "no request for bad input");
}

#[tokio::test]
async fn human_verify_returns_a_session_and_refuses_an_empty_token() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/auth/human-verify")
                .header_missing("authorization")
                .json_body(json!({"verificationToken": "vt-123"}));
            then.status(200).body(fixture("seed_verify.json"));
        })
        .await;
    let session = anon_client(&server).human_verify("vt-123").await.unwrap();
    m.assert_async().await;
    assert_eq!(session.tokens().await.unwrap().user_id.as_deref(), Some("abc123"));
    let err = anon_client(&server).human_verify(" ").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn refresh_token_sends_the_refresh_token_as_bearer() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/auth/refresh-token")
                .header("authorization", "Bearer the-refresh-token");
            then.status(200).json_body(json!({"success": true, "message": "ok", "data": {
                "user_id": "u1", "session_id": "s1", "token": "new-access", "refresh_token": "new-refresh"}}));
        })
        .await;
    // Called directly: the refresh token is the bearer credential of this call.
    let got = anon_client(&server)
        .with_api_key("the-refresh-token")
        .refresh_token()
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.data.token.expose(), "new-access");
    assert_eq!(got.data.refresh_token.expose(), "new-refresh");
    assert_eq!(got.data.user_id.as_deref(), Some("u1"));
}

#[tokio::test]
async fn generate_api_key_keeps_the_key_out_of_debug() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/auth/api-key")
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200).body(fixture("seed_api_key.json"));
        })
        .await;
    let key = v3_client(&server).generate_api_key().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(
        key.key.expose(),
        "eyJ1c2VyX2lkIjoiYWJjMTIzIiwiY3JlYXRlZF9hdCI6Ii4uLiJ9.a1b2c3d4e5f6..."
    );
    assert!(key.secret.is_none());
    assert_eq!(format!("{key:?}").matches("[REDACTED]").count(), 1);
    assert!(!format!("{key:?}").contains("a1b2c3d4e5f6"));
}

#[tokio::test]
async fn generate_secure_api_key_keeps_the_secret_out_of_debug() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/auth/api-key/secure")
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200).body(fixture("seed_api_key_secure.json"));
        })
        .await;
    let env = v3_client(&server).generate_secure_api_key().call().await.unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Api-key generated successfully");
    assert_eq!(
        env.data.secret.as_ref().unwrap().expose(),
        "7f3a9b2c1d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0"
    );
    assert!(!format!("{env:?}").contains("7f3a9b2c"));
}

#[tokio::test]
async fn seeds_decode_as_published() {
    let login: v3::types::EmptyEnvelope = serde_json::from_str(&fixture("seed_login.json")).unwrap();
    assert!(login.success && login.data.is_empty());
    let verify: v3::types::SessionTokensEnvelope =
        serde_json::from_str(&fixture("seed_verify.json")).unwrap();
    assert_eq!(verify.data.token_id.as_deref(), Some("tok_123"));
    let key: v3::types::ApiKeyEnvelope = serde_json::from_str(&fixture("seed_api_key.json")).unwrap();
    assert!(key.data.secret.is_none());
    let secure: v3::types::ApiKeyEnvelope =
        serde_json::from_str(&fixture("seed_api_key_secure.json")).unwrap();
    assert!(secure.data.secret.is_some());
    let m: merchant::types::MerchantApiKeyEnvelope =
        serde_json::from_str(&fixture("seed_merchant_create_api_key.json")).unwrap();
    assert_eq!(m.data.scope.as_deref(), Some("FULL_ACCESS"));
    assert_eq!(m.data.merchant_id, "7bb54443-6fc9-4a1d-ab46-d787ec90c87f");
}

#[test]
fn base_urls_must_be_https_unless_loopback() {
    for ok in [
        "https://sandbox-api.kotanipay.com",
        "http://127.0.0.1:9",
        "http://localhost:8080",
        "http://[::1]:1",
    ] {
        v3::Client::builder()
            .base_url(ok)
            .build()
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "http://api.kotanipay.com",
        "http://10.0.0.1",
        "ftp://x.example",
        "not a url",
        "https://x.example/?a=1",
    ] {
        let err = v3::Client::builder().base_url(bad).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration, "{bad}");
    }
    let err = merchant::Client::builder().api_key("k").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(err.to_string().contains("KUTANAPAY_BASE_URL"), "{err}");
}

#[test]
fn environments_have_the_published_hosts() {
    assert_eq!(
        kotanipay::Environment::Sandbox.base_url(),
        "https://sandbox-api.kotanipay.com"
    );
    assert_eq!(
        kotanipay::Environment::Production.base_url(),
        "https://api.kotanipay.com"
    );
    let c = v3::Client::builder()
        .environment(kotanipay::Environment::Production)
        .build()
        .unwrap();
    assert_eq!(c.baseurl(), "https://api.kotanipay.com");
    let c = v3::Client::builder().build().unwrap();
    assert_eq!(c.baseurl(), "https://sandbox-api.kotanipay.com");
}

#[tokio::test]
async fn every_request_carries_the_user_agent() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator")
                .header("user-agent", kotanipay::client::USER_AGENT);
            then.status(200)
                .json_body(json!({"success": true, "message": "ok", "data": {
                "organization": "o", "first_name": "f", "last_name": "l", "email": "e", "phone": "p"}}));
        })
        .await;
    v3_client(&server).get_integrator().data().await.unwrap();
    m.assert_async().await;
    assert!(kotanipay::client::USER_AGENT.starts_with("kotanipay-rust/"));
}

/// Progenitor adds an `api-version` header (the spec's `info.version`) to every request; neither
/// API defines one, so the SDK does not send it. The credential, the user agent and `accept`
/// are what a request carries.
#[tokio::test]
async fn requests_carry_no_header_the_api_does_not_define() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator")
                .header_missing("api-version")
                .header("accept", "application/json")
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200)
                .json_body(json!({"success": true, "message": "ok", "data": {
                "organization": "o", "first_name": "f", "last_name": "l", "email": "e", "phone": "p"}}));
        })
        .await;
    let me = v3_client(&server).get_integrator().data().await.unwrap();
    assert_eq!(me.organization, "o");
    m.assert_async().await;
    // The merchant family too.
    let m2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/wallet")
                .header_missing("api-version")
                .header("x-api-key", "mk_test_1");
            then.status(200)
                .json_body(json!({"data": [], "message": "ok", "status": 200}));
        })
        .await;
    let merchant = kotanipay::merchant::Client::builder()
        .base_url(server.base_url())
        .api_key("mk_test_1")
        .build()
        .unwrap();
    let _ = merchant.get_all_wallets().call().await;
    m2.assert_async().await;
}

#[tokio::test]
async fn the_sandbox_in_examples_mode_serves_every_operation_and_can_be_overridden() {
    use kotanipay::meta::Family;
    let mock = kotanipay::sandbox::Sandbox::builder()
        .examples_only(true)
        .start()
        .await;
    let v3c = mock.v3_client().unwrap();
    let me = v3c.get_integrator().data().await.unwrap();
    assert_eq!(me.organization, "A&B Company");
    // Without a credential the sandbox refuses a protected operation, as the API does.
    let anon = v3::Client::builder().base_url(mock.base_url()).build().unwrap();
    let err = anon.get_integrator().data().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    // Every operation of both specs is served with a 2xx and its example decodes: checked
    // over raw HTTP so that no operation can be skipped.
    let http = reqwest::Client::new();
    for op in kotanipay::meta::operations() {
        let path: String = op
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let req = http
            .request(op.method.parse().unwrap(), format!("{}{path}", mock.base_url()))
            .header("authorization", "Bearer k")
            .header("x-api-key", "k");
        let resp = req.send().await.unwrap();
        assert_eq!(
            resp.status().as_u16(),
            op.success_status,
            "{} {} {}",
            op.id,
            op.method,
            op.path
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(Some(body.to_string().as_str()), op.example, "{}", op.id);
    }
    // Overriding one operation.
    mock.respond(
        Family::V3,
        "get_integrator",
        500,
        json!({"success": false, "message": "boom", "error_code": 500, "data": {}}),
    )
    .await;
    let err = v3c.get_integrator().data().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.message(), "boom");
    assert!(mock.hits(Family::V3, "get_integrator").await >= 1);
    // Every example it served is in its HAR, which CI checks with the contract check.
    crate::sandbox::finish(&mock, "examples_mode");
}

#[test]
fn meta_decode_uses_the_generated_type_of_each_status() {
    use kotanipay::meta::{Family, decode};
    let ok = fixture("seed_merchant_create_api_key.json");
    assert_eq!(
        decode(Family::Merchant, "create_api_key", 200, ok.as_bytes()),
        Some(Ok(()))
    );
    let bad = br#"{"data":{"id":"k","merchant_id":"m","key_name":7,"status":"active"}}"#;
    let f = decode(Family::Merchant, "create_api_key", 200, bad)
        .unwrap()
        .unwrap_err();
    assert_eq!(f.path, "data.key_name");
    let err_body = br#"{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}"#;
    assert_eq!(
        decode(Family::Merchant, "create_api_key", 422, err_body),
        Some(Ok(()))
    );
    assert_eq!(decode(Family::V3, "no_such_operation", 200, b"{}"), None);
    assert!(decode(Family::V3, "get_integrator", 200, b"[]").unwrap().is_err());
}

#[test]
fn request_enums_are_closed_and_response_enums_open() {
    use std::str::FromStr;
    // The same spec enum: open where it is read, closed where it is sent.
    let read = v3::types::WebhookEvent::from_str("a.new.event").unwrap();
    assert!(read.is_unknown());
    assert!(v3::types::WebhookEventInput::from_str("a.new.event").is_err());
    let sent = v3::types::WebhookEventInput::from_str("payment.confirmed").unwrap();
    assert_eq!(
        v3::types::WebhookEvent::from(sent),
        v3::types::WebhookEvent::PaymentConfirmed
    );
    // A request body refuses an unknown value before anything is sent.
    let body = serde_json::json!({"organization": "o", "product_name": "p", "first_name": "f", "last_name": "l",
        "email": "e@x.io", "phone": "+1", "country_code": "KE", "webhook_events": ["a.new.event"]});
    assert!(serde_json::from_value::<v3::types::CreateIntegratorRequest>(body).is_err());
    assert!(merchant::types::TransactionStatusInput::from_str("on_hold").is_err());
}

#[test]
fn every_operation_is_found_by_its_id() {
    use kotanipay::meta::{Family, operation, operations};
    for op in operations() {
        assert_eq!(
            operation(op.family, op.id).map(|o| o.path),
            Some(op.path),
            "{}",
            op.id
        );
    }
    assert!(
        operation(Family::V3, "create_api_key").is_none(),
        "ids are per family"
    );
    assert!(operation(Family::Merchant, "").is_none());
}
