//! The KutanaPay merchant operations beyond their fixtures (`tests/ops/merchant/*.yaml`, run by
//! `tests/it/ops.rs`): what a fixture cannot say (that cancelling a checkout does not move money,
//! that a webhook's signing secret never shows in Debug) and the FastAPI error bodies (their typed `detail`, raw text, retryability and Display).
//!
//! Every mock asserts what the server must see: method, path with its parameters filled in, the
//! `x-api-key` credential and, for bodies, the exact JSON (written out by hand, with the field
//! names the API uses).

use httpmock::Method::{DELETE, GET, POST};
use httpmock::MockServer;
use kotanipay::merchant::types as t;
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, ValidationError, merchant};
use serde_json::json;

const MKEY: &str = "mk_test_key_93b2";
const MERCHANT: &str = "7bb54443-6fc9-4a1d-ab46-d787ec90c87f";

fn merchant_client(server: &MockServer) -> merchant::Client {
    merchant::Client::builder()
        .base_url(server.base_url())
        .api_key(MKEY)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Checkout and webhooks: what the fixtures (tests/ops/merchant) cannot say
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cancel_checkout_does_not_move_money() {
    // Cancelling stops a payment; it is not marked as moving money, so a failure is an ordinary
    // error (the checkout can be read again with get_checkout), not "outcome unknown".
    let meta = kotanipay::meta::operations()
        .find(|o| o.id == "cancel_checkout")
        .expect("cancel_checkout is in the tables");
    assert_eq!(meta.method, "POST");
    assert_eq!(meta.path, "/api/v1/merchants/checkouts/{checkout_id}/cancel");
    assert!(!meta.moves_money);

    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/checkouts/co-paid/cancel");
            then.status(400)
                .json_body(json!({"detail": "Checkout is already paid"}));
        })
        .await;
    let err = merchant_client(&server)
        .cancel_checkout()
        .checkout_id("co-paid")
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert_eq!(err.operation(), "cancel_checkout");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(!err.is_outcome_unknown());
    assert!(err.message().contains("already paid"), "{}", err.message());
}

/// The call of `tests/ops/merchant/create_webhook.yaml`, kept for what a fixture cannot say: the
/// signing secret appears nowhere in the Debug output.
#[tokio::test]
async fn create_webhook_keeps_its_secret_out_of_debug() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/webhooks")
                .header("x-api-key", MKEY)
                .json_body(json!({
                    "url": "https://shop.example.com/hooks/kp",
                    "events": ["checkout.created", "checkout.paid"],
                    "is_active": true,
                    "timeout_seconds": 20
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "wh-1", "merchant_id": MERCHANT, "url": "https://shop.example.com/hooks/kp",
                    "events": ["checkout.created", "checkout.paid"], "is_active": true,
                    "timeout_seconds": 20, "secret": "whsec_0123456789abcdef",
                    "created_at": "2025-11-22T16:30:12.100233",
                    "updated_at": "2025-11-22T16:30:12.100233", "failure_count": 0
                },
                "message": "Webhook created successfully",
                "status": "success"
            }));
        })
        .await;
    let hook = merchant_client(&server)
        .create_webhook()
        .body(t::CreateWebhookRequest {
            url: "https://shop.example.com/hooks/kp".into(),
            events: vec![
                t::MerchantWebhookEventInput::CheckoutCreated,
                t::MerchantWebhookEventInput::CheckoutPaid,
            ],
            is_active: Some(true),
            timeout_seconds: Some(20),
        })
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(hook.id, "wh-1");
    assert_eq!(
        hook.events,
        vec![
            t::MerchantWebhookEvent::CheckoutCreated,
            t::MerchantWebhookEvent::CheckoutPaid
        ]
    );
    assert_eq!(hook.is_active, Some(true));
    assert_eq!(hook.timeout_seconds, Some(20));
    let secret = hook.secret.as_ref().unwrap();
    assert_eq!(secret.expose(), "whsec_0123456789abcdef");
    // The signing secret never shows in Debug output.
    assert!(!format!("{hook:?}").contains("whsec_0123"));
}

// ---------------------------------------------------------------------------------------------
// FastAPI error bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn error_422_fastapi_detail_list() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/api-keys")
                .header("x-api-key", MKEY);
            then.status(422).json_body(json!({
                "detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]
            }));
        })
        .await;
    let err = merchant_client(&server)
        .create_api_key()
        .body(t::CreateApiKeyRequest { name: String::new() })
        .call()
        .await
        .unwrap_err();
    // A 422 is not retried.
    assert_eq!(m.calls_async().await, 1);
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.operation(), "create_api_key");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert!(err.message().contains("Field required"), "{}", err.message());
    assert!(!err.is_retryable());
    assert!(!err.is_outcome_unknown());
    assert_eq!(
        err.validation_errors(),
        vec![ValidationError {
            location: "body.name".into(),
            message: "Field required".into(),
        }]
    );
    match err.api_body::<t::MerchantError>() {
        Some(b) => match &b.detail {
            t::ErrorDetail::Array(issues) => {
                assert_eq!(issues.len(), 1);
                assert_eq!(issues[0].type_, "missing");
                assert_eq!(
                    issues[0].loc,
                    vec![
                        t::LocationPart::String("body".into()),
                        t::LocationPart::String("name".into())
                    ]
                );
            }
            other => panic!("expected a list of issues, got {other:?}"),
        },
        None => panic!("expected the merchant error body, got {:?}", err.api_body_dyn()),
    }
    // The raw body is kept; Display is one line naming the operation and the status.
    assert!(err.body_text().unwrap().contains("Field required"));
    let shown = err.to_string();
    assert!(
        shown.contains("create_api_key") && shown.contains("422"),
        "{shown}"
    );
}

#[tokio::test]
async fn error_detail_string() {
    let server = MockServer::start_async().await;
    let unauth = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/merchants/webhooks");
            then.status(401).json_body(json!({"detail": "Not authenticated"}));
        })
        .await;
    let missing = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/merchants/checkouts/nope");
            then.status(404)
                .json_body(json!({"detail": "Checkout not found"}));
        })
        .await;
    let forbidden = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/api/v1/merchants/api-keys/k-other");
            then.status(403)
                .json_body(json!({"detail": "API key does not belong to this merchant"}));
        })
        .await;
    let client = merchant_client(&server);

    let err = client.get_webhooks().data().await.unwrap_err();
    assert_eq!(unauth.calls_async().await, 1);
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.is_auth());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(err.message().contains("Not authenticated"), "{}", err.message());
    assert!(err.validation_errors().is_empty());
    match err.api_body::<t::MerchantError>() {
        Some(b) => assert_eq!(b.detail, t::ErrorDetail::String("Not authenticated".into())),
        None => panic!("expected the merchant error body, got {:?}", err.api_body_dyn()),
    }

    let err = client
        .get_checkout()
        .checkout_id("nope")
        .call()
        .await
        .unwrap_err();
    assert_eq!(missing.calls_async().await, 1);
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(err.message().contains("Checkout not found"), "{}", err.message());
    assert!(err.validation_errors().is_empty());
    assert!(err.api_body::<t::MerchantError>().is_some());

    let err = client
        .revoke_api_key()
        .api_key_id("k-other")
        .call()
        .await
        .unwrap_err();
    assert_eq!(forbidden.calls_async().await, 1);
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(err.message().contains("does not belong"), "{}", err.message());
    assert!(err.api_body::<t::MerchantError>().is_some());
}
