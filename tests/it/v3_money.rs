//! The money operations of v3: deposits (snake_case bodies, `reference_id`), withdrawals,
//! onramp and offramp (camelCase bodies, `referenceId`, `walletId`, with the published
//! stragglers `customer_key`, `refund_config`, `created_at`, `completed_at`, `updated_at`).
//!
//! Expected request bodies are written by hand from the API reference, so each test checks the
//! spec against the facts. Every money-moving operation also has retry tests: a payment without
//! its reference is sent exactly once, one with its reference is retried after a 503.

use crate::common;

use httpmock::Method::{GET, POST};
use httpmock::{Mock, MockServer};
use kotanipay::prelude::*;
use kotanipay::v3;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use v3::types as t;

const KEY: &str = "test-api-key-money-5c2e";
const WALLET: &str = "f053188c-d924-4423-bbba-871eda0b1cd9";
const CALLBACK: &str = "https://shop.example/kotani/callback";
const UNAVAILABLE: &str = r#"{"success":false,"message":"Service Unavailable","error_code":503,"data":{}}"#;

fn bearer() -> String {
    format!("Bearer {KEY}")
}

fn client_at(base_url: &str) -> v3::Client {
    common::v3_client(base_url, KEY)
}

fn client(server: &MockServer) -> v3::Client {
    client_at(&server.base_url())
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn num(n: f64) -> t::ReferenceNumber {
    t::ReferenceNumber::Number(n)
}

/// A POST to `path` (with exactly `body`, when given) answered 503.
async fn unavailable<'a>(server: &'a MockServer, path: &str, body: Option<Value>) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            let when = when.method(POST).path(path).header("authorization", bearer());
            if let Some(b) = body {
                when.json_body(b);
            }
            then.status(503)
                .header("content-type", "application/json")
                .body(UNAVAILABLE);
        })
        .await
}

/// The failure of a payment that was sent once and may or may not have gone through.
async fn assert_sent_once_outcome_unknown(m: &Mock<'_>, err: &kotanipay::Error) {
    assert_eq!(
        m.calls_async().await,
        1,
        "a payment without a reference is never resent"
    );
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

/// A raw server answering the first request 503 and every later one 201 Created with `ok`, as
/// Kotani answers the POSTs that create payments.
async fn flaky(ok: Value) -> common::Server {
    let ok = ok.to_string();
    common::start(move |n, _| {
        if n == 0 {
            common::json(503, UNAVAILABLE)
        } else {
            common::json(201, &ok)
        }
    })
    .await
}

/// Both attempts were the same POST to `path`, carrying `reference` under `field` and nothing
/// under the other casing `not_field`. Returns the body sent.
fn assert_resent_with_reference(
    server: &common::Server,
    path: &str,
    field: &str,
    not_field: &str,
    reference: &str,
) -> Value {
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "one 503, then one retry");
    assert_eq!(server.count(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, path);
        assert_eq!(r.header("authorization"), Some(bearer().as_str()));
    }
    assert_eq!(reqs[0].body, reqs[1].body, "the retry repeats the same body");
    let body: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(body[field], reference);
    assert!(body.get(not_field).is_none(), "{not_field} in {body}");
    body
}

// ---------------------------------------------------------------------------------------------
// Deposits: snake_case bodies.

fn deposit_receipt(reference: &str) -> Value {
    json!({"success": true, "message": "Deposit has been successfully created.", "data": {
        "id": "6650a1b2c3d4e5f6a7b8c9d0", "message": "Deposit request sent successfully",
        "reference_id": reference, "reference_number": 1234567890, "customer_key": "cust-8841"}})
}

#[tokio::test]
async fn op_create_mobile_money_deposit() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/deposit/mobile-money")
                .header("authorization", bearer())
                .header("content-type", "application/json")
                .json_body(json!({
                    "customer_key": "cust-8841",
                    "amount": 1500,
                    "wallet_id": WALLET,
                    "callback_url": CALLBACK,
                    "customer_redirect_url": "https://shop.example/thanks",
                    "customer_id_number": "29384756",
                    "reference_id": "dep-2025-0042",
                    "currency": "KES"
                }));
            then.status(201).json_body(json!({"success": true,
                "message": "Deposit has been successfully created.", "data": {
                "id": "6650a1b2c3d4e5f6a7b8c9d0", "message": "Deposit request sent successfully",
                "reference_id": "dep-2025-0042", "reference_number": 1234567890,
                "customer_key": "cust-8841", "redirect_url": "https://pay.example/stk/abc"}}));
        })
        .await;
    let body = t::CreateDepositRequest::builder()
        .customer_key("cust-8841")
        .amount(dec!(1500))
        .wallet_id(WALLET)
        .callback_url(some(CALLBACK))
        .customer_redirect_url(some("https://shop.example/thanks"))
        .customer_id_number(some("29384756"))
        .reference_id(some("dep-2025-0042"))
        .currency(some("KES"));
    let got = client(&server)
        .create_mobile_money_deposit()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(got.success);
    assert_eq!(got.message, "Deposit has been successfully created.");
    assert_eq!(got.data.reference_id, "dep-2025-0042");
    assert_eq!(got.data.reference_number, num(1234567890.0));
    assert_eq!(got.data.customer_key.as_deref(), Some("cust-8841"));
    assert_eq!(
        got.data.redirect_url.as_deref(),
        Some("https://pay.example/stk/abc")
    );
}

#[tokio::test]
async fn money_create_mobile_money_deposit_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/deposit/mobile-money",
        Some(json!({"customer_key": "cust-8841", "amount": 1500, "wallet_id": WALLET})),
    )
    .await;
    let body = t::CreateDepositRequest::builder()
        .customer_key("cust-8841")
        .amount(dec!(1500))
        .wallet_id(WALLET);
    let err = client(&server)
        .create_mobile_money_deposit()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
    assert!(err.to_string().contains("reference_id"), "{err}");
}

#[tokio::test]
async fn money_create_mobile_money_deposit_blank_reference_is_sent_once() {
    // A reference of only spaces deduplicates nothing: it counts as no reference.
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/deposit/mobile-money",
        Some(json!({"customer_key": "c", "amount": 10, "wallet_id": WALLET, "reference_id": "  "})),
    )
    .await;
    let body = t::CreateDepositRequest::builder()
        .customer_key("c")
        .amount(dec!(10))
        .wallet_id(WALLET)
        .reference_id(some("  "));
    let err = client(&server)
        .create_mobile_money_deposit()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn money_create_mobile_money_deposit_with_reference_is_retried() {
    let server = flaky(deposit_receipt("dep-2025-0043")).await;
    let body = t::CreateDepositRequest::builder()
        .customer_key("cust-8841")
        .amount(dec!(1500))
        .wallet_id(WALLET)
        .reference_id(some("dep-2025-0043"));
    let got = client_at(&server.base_url)
        .create_mobile_money_deposit()
        .body(body)
        .data()
        .await
        .unwrap();
    assert_eq!(got.reference_id, "dep-2025-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/deposit/mobile-money",
        "reference_id",
        "referenceId",
        "dep-2025-0043",
    );
    assert_eq!(sent["wallet_id"], WALLET);
    assert!(sent.get("walletId").is_none());
}

fn deposit_status_body(status: &str) -> Value {
    json!({"success": true, "message": "Deposit status retrieved.", "data": {
        "id": "6650a1b2c3d4e5f6a7b8c9d0", "status": status, "amount": 1500,
        "wallet_id": WALLET, "callback_url": CALLBACK, "reference_id": "dep-2025-0042",
        "reference_number": 1234567890, "currency": "KES", "network": "MPESA",
        "provider": "mpesa", "providerReference": "OEI2AK4D9X",
        "created_at": "2025-03-01T09:00:00.000Z", "updatedAt": "2025-03-01T09:00:07.000Z",
        "transaction_cost": 25, "transaction_amount": 1525, "customer_key": "cust-8841",
        "confirmation_id": "OEI2AK4D9X", "telco_id": "OEI2AK4D9X", "error_message": null,
        "callbackUrlStatus": 0, "retries": 0, "initialDepositBalance": 10000,
        "finalDepositBalance": 11500, "customer": {"phone_number": "+254700000001"}}})
}

#[tokio::test]
async fn op_get_deposit_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/deposit/mobile-money/status/dep-2025-0042")
                .header("authorization", bearer());
            then.status(200).json_body(deposit_status_body("SUCCESSFUL"));
        })
        .await;
    let d = client(&server)
        .get_deposit_status()
        .reference_id("dep-2025-0042")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, t::DepositStatus::Successful);
    assert_eq!(d.reference_id.as_deref(), Some("dep-2025-0042"));
    assert_eq!(d.reference_number, num(1234567890.0));
    assert_eq!(d.wallet_id, WALLET);
    assert_eq!(d.amount, dec!(1500));
    assert_eq!(d.transaction_cost, dec!(25));
    assert_eq!(d.transaction_amount, dec!(1525));
    assert_eq!(d.created_at, "2025-03-01T09:00:00.000Z");
    // The camelCase stragglers of the deposit object.
    assert_eq!(d.provider_reference.as_deref(), Some("OEI2AK4D9X"));
    assert_eq!(d.updated_at.as_deref(), Some("2025-03-01T09:00:07.000Z"));
    assert_eq!(d.callback_url_status, Some(0));
    assert_eq!(d.final_deposit_balance, Some(dec!(11500)));
    assert_eq!(d.error_message, None);
    assert_eq!(d.customer["phone_number"], "+254700000001");
}

#[tokio::test]
async fn decoding_tolerates_unknown_enum_and_unknown_field() {
    let server = MockServer::start_async().await;
    let mut body = deposit_status_body("AWAITING_SETTLEMENT");
    body["data"]["riskScore"] = json!(12);
    body["data"]["settlement"] = json!({"batch": "B-77", "eta": "2025-03-02"});
    body["traceId"] = json!("tr-9");
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/deposit/mobile-money/status/dep-2025-0042")
                .header("authorization", bearer());
            then.status(200).json_body(body);
        })
        .await;
    let d = client(&server)
        .get_deposit_status()
        .reference_id("dep-2025-0042")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, t::DepositStatus::Unknown("AWAITING_SETTLEMENT".into()));
    assert!(d.status.is_unknown());
    assert_eq!(d.status.as_str(), "AWAITING_SETTLEMENT");
    // The rest decodes as usual.
    assert_eq!(d.reference_number, num(1234567890.0));
    assert_eq!(d.customer_key, "cust-8841");
    assert_eq!(d.transaction_amount, dec!(1525));
    assert_eq!(d.telco_id.as_deref(), Some("OEI2AK4D9X"));
}

#[tokio::test]
async fn op_list_deposit_transactions() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/deposit/mobile-money/transactions")
                .header("authorization", bearer())
                .query_param("page", "2")
                .query_param("per_page", "50")
                .query_param("status", "SUCCESSFUL")
                .query_param("start_date", "2025-03-01")
                .query_param("end_date", "2025-03-31")
                .query_param("telco_id", "OEI2AK4D9X")
                .query_param("currency", "KES");
            // The paginated lists come without success/message.
            then.status(200).json_body(json!({"data": [{
                "id": "6650a1b2c3d4e5f6a7b8c9d0", "reference_id": "dep-2025-0042",
                "reference_number": 1234567890, "status": "SUCCESSFUL", "amount": 1500,
                "transaction_amount": 1525, "transaction_cost": 25, "currency": "KES",
                "country": "KE", "network": "MPESA", "customer_key": "cust-8841",
                "telco_id": "OEI2AK4D9X", "provider_reference": "ws_CO_0103",
                "completed_at": "2025-03-01T09:00:07.000Z", "created_at": "2025-03-01T09:00:00.000Z"}],
                "meta": {"total": 51, "page": 2, "per_page": 50, "total_pages": 2}}));
        })
        .await;
    let got = client(&server)
        .list_deposit_transactions()
        .page(2)
        .per_page(50)
        .status("SUCCESSFUL")
        .start_date("2025-03-01")
        .end_date("2025-03-31")
        .telco_id("OEI2AK4D9X")
        .currency("KES")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.success, None);
    assert_eq!(got.meta.total, 51);
    assert_eq!(got.meta.page, 2);
    assert_eq!(got.meta.per_page, 50);
    assert_eq!(got.meta.total_pages, 2);
    assert_eq!(got.data.len(), 1);
    let d = &got.data[0];
    assert_eq!(d.status, t::DepositStatus::Successful);
    assert_eq!(d.reference_id, "dep-2025-0042");
    assert_eq!(d.transaction_amount, dec!(1525));
    assert_eq!(d.provider_reference.as_deref(), Some("ws_CO_0103"));
    assert_eq!(d.completed_at.as_deref(), Some("2025-03-01T09:00:07.000Z"));
}

// Bank checkout and card deposits: camelCase bodies.

fn bank_checkout_request(reference: Option<&str>) -> t::builder::CreateBankCheckoutRequest {
    t::CreateBankCheckoutRequest::builder()
        .full_name("Wanjiru Kamau")
        .phone_number(some("+254712345678"))
        .payment_method(t::CheckoutPaymentMethodInput::Paybybank)
        .currency("KES")
        .amount(dec!(2500))
        .reference_id(reference.map(String::from))
}

#[tokio::test]
async fn op_create_bank_checkout_deposit() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/deposit/bank/checkout")
                .header("authorization", bearer())
                .json_body(json!({
                    "fullName": "Wanjiru Kamau",
                    "phoneNumber": "+254712345678",
                    "paymentMethod": "PAYBYBANK",
                    "currency": "KES",
                    "country": "KE",
                    "referenceId": "chk-2025-0007",
                    "amount": 2500,
                    "callbackUrl": CALLBACK,
                    "customerRedirectUrl": "https://shop.example/thanks",
                    "idNumber": "29384756",
                    "forceDefaultMethod": true
                }));
            then.status(201).json_body(json!({"success": true,
                "message": "Checkout Created successfully created.", "data": {
                "id": "6650b2c3d4e5f6a7b8c9d0e1", "referenceId": "chk-2025-0007",
                "referenceNumber": 1234567891, "message": "Deposit request sent successfully",
                "customerKey": "cust-8841", "paymentMethod": "PAYBYBANK", "currency": "KES",
                "amount": 2500,
                "bankPaymentDetails": {"bankName": "Equity Bank",
                    "accountName": "Kotani Pay Collections", "accountNumber": "0123456789",
                    "amount": 2500, "reference": "KP1234567891"}}}));
        })
        .await;
    let body = bank_checkout_request(Some("chk-2025-0007"))
        .country(some("KE"))
        .callback_url(some(CALLBACK))
        .customer_redirect_url(some("https://shop.example/thanks"))
        .id_number(some("29384756"))
        .force_default_method(Some(true));
    let d = client(&server)
        .create_bank_checkout_deposit()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id.as_deref(), Some("chk-2025-0007"));
    assert_eq!(d.reference_number, Some(num(1234567891.0)));
    assert_eq!(d.payment_method, Some(t::CheckoutPaymentMethod::Paybybank));
    assert_eq!(d.redirect_url, None);
    let bank = d.bank_payment_details.unwrap();
    assert_eq!(bank.bank_name.as_deref(), Some("Equity Bank"));
    assert_eq!(bank.account_number.as_deref(), Some("0123456789"));
    assert_eq!(bank.amount, Some(dec!(2500)));
    assert_eq!(bank.reference.as_deref(), Some("KP1234567891"));
}

#[tokio::test]
async fn money_create_bank_checkout_deposit_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/deposit/bank/checkout",
        Some(
            json!({"fullName": "Wanjiru Kamau", "phoneNumber": "+254712345678",
            "paymentMethod": "PAYBYBANK", "currency": "KES", "amount": 2500}),
        ),
    )
    .await;
    let err = client(&server)
        .create_bank_checkout_deposit()
        .body(bank_checkout_request(None))
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn money_create_bank_checkout_deposit_with_reference_is_retried() {
    let server = flaky(
        json!({"success": true, "message": "Checkout Created successfully created.",
        "data": {"id": "6650b2c3d4e5f6a7b8c9d0e1", "referenceId": "chk-2025-0008",
        "referenceNumber": 1234567892, "message": "Deposit request sent successfully",
        "redirectUrl": "https://checkout.example/pay/chk-2025-0008"}}),
    )
    .await;
    let d = client_at(&server.base_url)
        .create_bank_checkout_deposit()
        .body(bank_checkout_request(Some("chk-2025-0008")))
        .data()
        .await
        .unwrap();
    assert_eq!(
        d.redirect_url.as_deref(),
        Some("https://checkout.example/pay/chk-2025-0008")
    );
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/deposit/bank/checkout",
        "referenceId",
        "reference_id",
        "chk-2025-0008",
    );
    assert_eq!(sent["fullName"], "Wanjiru Kamau");
}

#[tokio::test]
async fn op_get_bank_checkout_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/deposit/bank/checkout/status/chk-ng-0003")
                .header("authorization", bearer());
            // An NGN virtual account, with its expiry.
            then.status(200)
                .json_body(json!({"success": true, "message": "Deposit status retrieved.",
                "data": {"id": "6650c3d4e5f6a7b8c9d0e1f2", "referenceId": "chk-ng-0003",
                "referenceNumber": 1234567893, "message": "Deposit request sent successfully",
                "customerKey": "cust-ng-12", "status": "PENDING",
                "bankPaymentDetails": {"accountNumber": "9912345678", "bankName": "Wema Bank",
                    "accountName": "KOTANI/ADA OKAFOR", "amount": 15000, "expiresInMinutes": 30}}}));
        })
        .await;
    let d = client(&server)
        .get_bank_checkout_status()
        .reference_id("chk-ng-0003")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, Some(t::DepositStatus::Pending));
    assert_eq!(d.reference_id, "chk-ng-0003");
    assert_eq!(d.reference_number, num(1234567893.0));
    assert_eq!(d.customer_key.as_deref(), Some("cust-ng-12"));
    let bank = d.bank_payment_details.unwrap();
    assert_eq!(bank.expires_in_minutes, Some(30));
    assert_eq!(bank.account_name.as_deref(), Some("KOTANI/ADA OKAFOR"));
    assert_eq!(bank.amount, Some(dec!(15000)));
}

fn card_request(reference: Option<&str>) -> t::builder::CreateCardDepositRequest {
    t::CreateCardDepositRequest::builder()
        .full_name("Thabo Nkosi")
        .phone_number("+27712345678")
        .currency("ZAR")
        .amount(dec!(250))
        .card(
            t::CardDetails::builder()
                .number("5454545454545454")
                .holder("Thabo Nkosi")
                .expiry_month("07")
                .expiry_year("2031")
                .cvv("321")
                .payment_brand(t::CardBrand::Master),
        )
        .reference_id(reference.map(String::from))
}

fn card_json() -> Value {
    json!({"number": "5454545454545454", "holder": "Thabo Nkosi", "expiryMonth": "07",
        "expiryYear": "2031", "cvv": "321", "paymentBrand": "MASTER"})
}

#[tokio::test]
async fn op_create_card_deposit() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/deposit/card")
                .header("authorization", bearer())
                .json_body(json!({
                    "fullName": "Thabo Nkosi",
                    "phoneNumber": "+27712345678",
                    "currency": "ZAR",
                    "card": card_json(),
                    "country": "ZA",
                    "referenceId": "card-2025-0101",
                    "amount": 250,
                    "callbackUrl": CALLBACK,
                    "customerRedirectUrl": "https://shop.example/thanks"
                }));
            // The answer is the snake_case deposit receipt; an older payload's string number.
            then.status(201).json_body(json!({"success": true,
                "message": "Checkout Created successfully created.", "data": {
                "id": "6650d4e5f6a7b8c9d0e1f2a3", "message": "Deposit request sent successfully",
                "reference_id": "card-2025-0101", "reference_number": "CD250101001",
                "redirect_url": "https://3ds.example/challenge/abc123"}}));
        })
        .await;
    let body = card_request(Some("card-2025-0101"))
        .country(some("ZA"))
        .callback_url(some(CALLBACK))
        .customer_redirect_url(some("https://shop.example/thanks"));
    let d = client(&server)
        .create_card_deposit()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "card-2025-0101");
    assert_eq!(
        d.reference_number,
        t::ReferenceNumber::String("CD250101001".into())
    );
    assert_eq!(
        d.redirect_url.as_deref(),
        Some("https://3ds.example/challenge/abc123")
    );
    assert_eq!(d.customer_key, None);
}

#[tokio::test]
async fn money_create_card_deposit_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/deposit/card",
        Some(json!({"fullName": "Thabo Nkosi", "phoneNumber": "+27712345678",
            "currency": "ZAR", "card": card_json(), "amount": 250})),
    )
    .await;
    let err = client(&server)
        .create_card_deposit()
        .body(card_request(None))
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn money_create_card_deposit_with_reference_is_retried() {
    let server = flaky(deposit_receipt("card-2025-0102")).await;
    let d = client_at(&server.base_url)
        .create_card_deposit()
        .body(card_request(Some("card-2025-0102")))
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "card-2025-0102");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/deposit/card",
        "referenceId",
        "reference_id",
        "card-2025-0102",
    );
    assert_eq!(sent["card"]["expiryMonth"], "07");
    assert_eq!(sent["card"]["paymentBrand"], "MASTER");
}

#[tokio::test]
async fn op_get_card_deposit_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/deposit/card/card-2025-0101")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Deposit status retrieved.",
                "data": {"id": "6650d4e5f6a7b8c9d0e1f2a3", "status": "DECLINED", "amount": 250,
                "walletId": WALLET, "callbackUrl": CALLBACK, "referenceId": "card-2025-0101",
                "referenceNumber": 1234567893, "createdAt": "2025-03-01T10:05:00.000Z",
                "transactionCost": 7.5, "transactionAmount": 257.5, "customerKey": "cust-za-3",
                "initialDepositBalance": 1000, "finalDepositBalance": 1000}}));
        })
        .await;
    let d = client(&server)
        .get_card_deposit_status()
        .reference_id("card-2025-0101")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, t::DepositStatus::Declined);
    assert_eq!(d.wallet_id, WALLET);
    assert_eq!(d.reference_id, "card-2025-0101");
    assert_eq!(d.created_at, "2025-03-01T10:05:00.000Z");
    assert_eq!(d.transaction_cost, dec!(7.5));
    assert_eq!(d.transaction_amount, dec!(257.5));
    assert_eq!(d.customer_key.as_deref(), Some("cust-za-3"));
    assert_eq!(d.initial_deposit_balance, d.final_deposit_balance);
}

// ---------------------------------------------------------------------------------------------
// Withdrawals: camelCase bodies (walletId, referenceId, callbackUrl), with `customer_key`.

fn withdrawal_receipt(reference: &str) -> Value {
    json!({"success": true, "message": "Withdrawal has been successfully created.", "data": {
        "id": "6651a1b2c3d4e5f6a7b8c9d0", "message": "Withdrawal request sent successfully",
        "referenceId": reference, "referenceNumber": 2234567890u64}})
}

fn withdrawal_request(reference: Option<&str>) -> t::builder::CreateWithdrawalRequest {
    t::CreateWithdrawalRequest::builder()
        .customer_key("cust-8841")
        .amount(dec!(500))
        .wallet_id(WALLET)
        .reference_id(reference.map(String::from))
}

#[tokio::test]
async fn op_create_mobile_money_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/withdraw/mobile-money")
                .header("authorization", bearer())
                .json_body(json!({
                    "customer_key": "cust-8841",
                    "amount": 500,
                    "walletId": WALLET,
                    "callbackUrl": CALLBACK,
                    "referenceId": "wd-2025-0101",
                    "currency": "KES",
                    "network": "MPESA"
                }));
            then.status(201).json_body(withdrawal_receipt("wd-2025-0101"));
        })
        .await;
    let body = withdrawal_request(Some("wd-2025-0101"))
        .callback_url(some(CALLBACK))
        .currency(some("KES"))
        .network(some("MPESA"));
    let got = client(&server)
        .create_mobile_money_withdrawal()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.message, "Withdrawal has been successfully created.");
    assert_eq!(got.data.id, "6651a1b2c3d4e5f6a7b8c9d0");
    assert_eq!(got.data.reference_id, "wd-2025-0101");
    assert_eq!(got.data.reference_number, num(2234567890.0));
}

#[tokio::test]
async fn money_create_mobile_money_withdrawal_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/withdraw/mobile-money",
        Some(json!({"customer_key": "cust-8841", "amount": 500, "walletId": WALLET})),
    )
    .await;
    let err = client(&server)
        .create_mobile_money_withdrawal()
        .body(withdrawal_request(None))
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
    assert!(err.to_string().contains("referenceId"), "{err}");
}

#[tokio::test]
async fn money_create_mobile_money_withdrawal_with_reference_is_retried() {
    let server = flaky(withdrawal_receipt("wd-2025-0102")).await;
    let d = client_at(&server.base_url)
        .create_mobile_money_withdrawal()
        .body(withdrawal_request(Some("wd-2025-0102")))
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "wd-2025-0102");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/withdraw/mobile-money",
        "referenceId",
        "reference_id",
        "wd-2025-0102",
    );
    // The mixed casing of this body: snake customer_key, camel walletId.
    assert_eq!(sent["customer_key"], "cust-8841");
    assert_eq!(sent["walletId"], WALLET);
    assert!(sent.get("customerKey").is_none() && sent.get("wallet_id").is_none());
}

fn lipa_request(reference: Option<&str>) -> t::builder::CreateLipaNaMpesaWithdrawalRequest {
    t::CreateLipaNaMpesaWithdrawalRequest::builder()
        .amount(dec!(120))
        .wallet_id(WALLET)
        .lipa_na_mpesa_details(t::LipaNaMpesaDetails::builder().business_shortcode("174379"))
        .reference_id(reference.map(String::from))
}

#[tokio::test]
async fn op_create_lipa_na_mpesa_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/withdraw/lipa-na-mpesa")
                .header("authorization", bearer())
                .json_body(json!({
                    "amount": 120,
                    "walletId": WALLET,
                    "callbackUrl": CALLBACK,
                    "referenceId": "LIPA-0042",
                    "lipaNaMpesaDetails": {
                        "businessShortcode": "174379",
                        "accountReference": "ORDER-981",
                        "transactionDesc": "Groceries",
                        "phoneNumber": "+254712345678"
                    }
                }));
            then.status(201).json_body(withdrawal_receipt("LIPA-0042"));
        })
        .await;
    let body = t::CreateLipaNaMpesaWithdrawalRequest::builder()
        .amount(dec!(120))
        .wallet_id(WALLET)
        .callback_url(some(CALLBACK))
        .reference_id(some("LIPA-0042"))
        .lipa_na_mpesa_details(
            t::LipaNaMpesaDetails::builder()
                .business_shortcode("174379")
                .account_reference(some("ORDER-981"))
                .transaction_desc(some("Groceries"))
                .phone_number(some("+254712345678")),
        );
    let d = client(&server)
        .create_lipa_na_mpesa_withdrawal()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "LIPA-0042");
    assert_eq!(d.reference_number, num(2234567890.0));
    assert_eq!(d.message, "Withdrawal request sent successfully");
}

#[tokio::test]
async fn money_create_lipa_na_mpesa_withdrawal_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/withdraw/lipa-na-mpesa",
        Some(json!({"amount": 120, "walletId": WALLET,
            "lipaNaMpesaDetails": {"businessShortcode": "174379"}})),
    )
    .await;
    let err = client(&server)
        .create_lipa_na_mpesa_withdrawal()
        .body(lipa_request(None))
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn money_create_lipa_na_mpesa_withdrawal_with_reference_is_retried() {
    let server = flaky(withdrawal_receipt("LIPA-0043")).await;
    let d = client_at(&server.base_url)
        .create_lipa_na_mpesa_withdrawal()
        .body(lipa_request(Some("LIPA-0043")))
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "LIPA-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/withdraw/lipa-na-mpesa",
        "referenceId",
        "reference_id",
        "LIPA-0043",
    );
    assert_eq!(sent["lipaNaMpesaDetails"]["businessShortcode"], "174379");
}

fn paybill_request(reference: Option<&str>) -> t::builder::CreatePaybillWithdrawalRequest {
    t::CreatePaybillWithdrawalRequest::builder()
        .amount(dec!(3200))
        .wallet_id(WALLET)
        .paybill_details(
            t::PaybillDetails::builder()
                .paybill_number("400200")
                .account_number("ACC-77120"),
        )
        .reference_id(reference.map(String::from))
}

#[tokio::test]
async fn op_create_paybill_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/withdraw/paybill")
                .header("authorization", bearer())
                .json_body(json!({
                    "amount": 3200,
                    "walletId": WALLET,
                    "callbackUrl": CALLBACK,
                    "referenceId": "PAYBILL-0042",
                    "paybillDetails": {
                        "paybillNumber": "400200",
                        "accountNumber": "ACC-77120",
                        "phoneNumber": "+254712345678",
                        "remarks": "Invoice #12345"
                    }
                }));
            then.status(201).json_body(withdrawal_receipt("PAYBILL-0042"));
        })
        .await;
    let body = t::CreatePaybillWithdrawalRequest::builder()
        .amount(dec!(3200))
        .wallet_id(WALLET)
        .callback_url(some(CALLBACK))
        .reference_id(some("PAYBILL-0042"))
        .paybill_details(
            t::PaybillDetails::builder()
                .paybill_number("400200")
                .account_number("ACC-77120")
                .phone_number(some("+254712345678"))
                .remarks(some("Invoice #12345")),
        );
    let d = client(&server)
        .create_paybill_withdrawal()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "PAYBILL-0042");
    assert_eq!(d.id, "6651a1b2c3d4e5f6a7b8c9d0");
}

#[tokio::test]
async fn money_create_paybill_withdrawal_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/withdraw/paybill",
        Some(json!({"amount": 3200, "walletId": WALLET,
            "paybillDetails": {"paybillNumber": "400200", "accountNumber": "ACC-77120"}})),
    )
    .await;
    let err = client(&server)
        .create_paybill_withdrawal()
        .body(paybill_request(None))
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn money_create_paybill_withdrawal_with_reference_is_retried() {
    let server = flaky(withdrawal_receipt("PAYBILL-0043")).await;
    let d = client_at(&server.base_url)
        .create_paybill_withdrawal()
        .body(paybill_request(Some("PAYBILL-0043")))
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "PAYBILL-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/withdraw/paybill",
        "referenceId",
        "reference_id",
        "PAYBILL-0043",
    );
    assert_eq!(sent["paybillDetails"]["paybillNumber"], "400200");
}

#[tokio::test]
async fn op_get_withdrawal_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/withdraw/status/wd-2025-0101")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Withdrawal status retrieved",
                "data": {"id": "6651a1b2c3d4e5f6a7b8c9d0", "status": "DUPLICATE_PENDING",
                "amount": 500, "walletId": WALLET, "callbackUrl": CALLBACK,
                "referenceId": "wd-2025-0101", "referenceNumber": 2234567890u64,
                "currency": "KES", "network": "MPESA", "created_at": "2025-03-01T11:00:00.000Z",
                "transactionCost": 20, "transactionAmount": 480, "customerKey": "cust-8841",
                "confirmationId": "QKL3BX7P2M", "integratorFeeAmount": 5, "integratorFee": 1,
                "integratorCommissionType": "PERCENTAGE", "errorMessage": "",
                "telcoId": "QKL3BX7P2M", "completed_at": "2025-03-01T11:00:06.000Z"}}));
        })
        .await;
    let d = client(&server)
        .get_withdrawal_status()
        .reference_id("wd-2025-0101")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, t::WithdrawalStatus::DuplicatePending);
    assert_eq!(d.wallet_id, WALLET);
    assert_eq!(d.customer_key, "cust-8841");
    assert_eq!(d.transaction_amount, dec!(480));
    assert_eq!(d.transaction_cost, dec!(20));
    assert_eq!(
        d.integrator_commission_type,
        Some(t::IntegratorFeeType::Percentage)
    );
    assert_eq!(d.integrator_fee_amount, Some(dec!(5)));
    assert_eq!(d.confirmation_id.as_deref(), Some("QKL3BX7P2M"));
    assert_eq!(d.error_message.as_deref(), Some(""));
    // The snake_case stragglers of the withdrawal object.
    assert_eq!(d.created_at, "2025-03-01T11:00:00.000Z");
    assert_eq!(d.completed_at.as_deref(), Some("2025-03-01T11:00:06.000Z"));
}

#[tokio::test]
async fn op_list_withdrawal_transactions() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/withdraw/transactions")
                .header("authorization", bearer())
                .query_param("page", "3")
                .query_param("per_page", "100")
                .query_param("status", "FAILED")
                .query_param("start_date", "2025-01-01")
                .query_param("end_date", "2025-01-31")
                .query_param("currency", "UGX");
            // The list items are snake_case, unlike the withdrawal status object.
            then.status(200).json_body(
                json!({"success": true, "message": "Withdrawal transactions retrieved.",
                "data": [
                    {"id": "w1", "reference_id": "wd-ug-1", "reference_number": 2234567891u64,
                     "status": "FAILED", "amount": 20000, "transaction_amount": 19500,
                     "transaction_cost": 500, "currency": "UGX", "country": "UG",
                     "network": "MTN", "customer_key": "cust-ug-1", "integrator_fee_amount": 0,
                     "transaction_error": "Insufficient funds", "created_at": "2025-01-04T08:00:00.000Z"},
                    {"id": "w2", "reference_id": "wd-ug-2", "reference_number": 2234567892u64,
                     "status": "QUEUED_AT_TELCO", "amount": 5000, "transaction_amount": 4800,
                     "transaction_cost": 200, "currency": "UGX", "customer_key": "cust-ug-2"}],
                "meta": {"total": 202, "page": 3, "per_page": 100, "total_pages": 3}}),
            );
        })
        .await;
    let got = client(&server)
        .list_withdrawal_transactions()
        .page(3)
        .per_page(100)
        .status("FAILED")
        .start_date("2025-01-01")
        .end_date("2025-01-31")
        .currency("UGX")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.success, Some(true));
    assert_eq!(got.meta.total, 202);
    assert_eq!(got.meta.page, 3);
    assert_eq!(got.meta.per_page, 100);
    assert_eq!(got.meta.total_pages, 3);
    assert_eq!(got.data.len(), 2);
    assert_eq!(got.data[0].status, t::WithdrawalStatus::Failed);
    assert_eq!(got.data[0].reference_id, "wd-ug-1");
    assert_eq!(
        got.data[0].transaction_error.as_deref(),
        Some("Insufficient funds")
    );
    assert_eq!(got.data[0].integrator_fee_amount, Some(dec!(0)));
    // A status this version does not know.
    assert_eq!(
        got.data[1].status,
        t::WithdrawalStatus::Unknown("QUEUED_AT_TELCO".into())
    );
    assert_eq!(got.data[1].transaction_amount, dec!(4800));
}

#[tokio::test]
async fn op_resolve_duplicate_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/withdraw/wd-2025-0101/resolve-duplicate")
                .header("authorization", bearer())
                .json_body(json!({"action": "cancel"}));
            // Upstream documents a 201 here.
            then.status(201).json_body(
                json!({"success": true, "message": "Duplicate withdrawal resolved",
                "data": {"referenceId": "wd-2025-0101", "status": "CANCELLED"}}),
            );
        })
        .await;
    let got = client(&server)
        .resolve_duplicate_withdrawal()
        .reference_id("wd-2025-0101")
        .body(t::ResolveDuplicateWithdrawalRequest {
            action: t::ResolveDuplicateWithdrawalRequestAction::Cancel,
        })
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.message, "Duplicate withdrawal resolved");
    assert_eq!(got.data["referenceId"], "wd-2025-0101");
    assert_eq!(got.data["status"], "CANCELLED");
}

#[tokio::test]
async fn money_resolve_duplicate_withdrawal_is_sent_once() {
    // No reference in this body: releasing a held payout is never repeated blindly.
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/withdraw/wd-2025-0101/resolve-duplicate",
        Some(json!({"action": "proceed"})),
    )
    .await;
    let err = client(&server)
        .resolve_duplicate_withdrawal()
        .reference_id("wd-2025-0101")
        .body(t::ResolveDuplicateWithdrawalRequest {
            action: t::ResolveDuplicateWithdrawalRequestAction::Proceed,
        })
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

fn bank_details_json() -> Value {
    json!({"name": "George Smith", "address": "25 Allan Road, Oakdene, 4250",
        "phoneNumber": "712345678", "bankCode": "250655", "bankName": "FNB",
        "accountNumber": "63122514698", "country": "ZA"})
}

fn bank_withdrawal_request(reference: &str) -> t::builder::CreateBankWithdrawalRequest {
    t::CreateBankWithdrawalRequest::builder()
        .bank_details(
            t::BankDetails::builder()
                .name("George Smith")
                .address(some("25 Allan Road, Oakdene, 4250"))
                .phone_number(some("712345678"))
                .bank_code("250655")
                .bank_name(some("FNB"))
                .account_number("63122514698")
                .country("ZA"),
        )
        .currency("ZAR")
        .amount(dec!(1800))
        .reference_id(reference)
}

#[tokio::test]
async fn op_create_bank_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/withdraw/v2/bank")
                .header("authorization", bearer())
                .json_body(json!({
                    "bankDetails": bank_details_json(),
                    "currency": "ZAR",
                    "amount": 1800,
                    "referenceId": "bank-2025-0042",
                    "callbackUrl": CALLBACK
                }));
            then.status(201).json_body(withdrawal_receipt("bank-2025-0042"));
        })
        .await;
    let d = client(&server)
        .create_bank_withdrawal()
        .body(bank_withdrawal_request("bank-2025-0042").callback_url(some(CALLBACK)))
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "bank-2025-0042");
    assert_eq!(d.reference_number, num(2234567890.0));
}

#[tokio::test]
async fn money_create_bank_withdrawal_with_reference_is_retried() {
    // The reference is required here: every bank payout can be retried.
    let server = flaky(withdrawal_receipt("bank-2025-0043")).await;
    let d = client_at(&server.base_url)
        .create_bank_withdrawal()
        .body(bank_withdrawal_request("bank-2025-0043"))
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "bank-2025-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/withdraw/v2/bank",
        "referenceId",
        "reference_id",
        "bank-2025-0043",
    );
    assert_eq!(sent["bankDetails"], bank_details_json());
}

#[tokio::test]
async fn op_get_bank_withdrawal_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/withdraw/v2/bank/status/bank-2025-0042")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Withdrawal status retrieved",
                "data": {"referenceId": "bank-2025-0042", "status": "IN_PROGRESS",
                "amount": 1800, "currency": "ZAR", "bankName": "FNB"}}));
        })
        .await;
    let d = client(&server)
        .get_bank_withdrawal_status()
        .reference_id("bank-2025-0042")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d["referenceId"], "bank-2025-0042");
    assert_eq!(d["status"], "IN_PROGRESS");
    assert_eq!(d["amount"], 1800);
    assert_eq!(d["currency"], "ZAR");
}

#[tokio::test]
async fn op_list_bank_withdrawal_banks() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/withdraw/v2/bank/supporting-banks/ZAR")
                .header("authorization", bearer());
            // `code` is a string for some providers and a number for others.
            then.status(200)
                .json_body(json!({"success": true, "message": "Banks retrieved successfully",
                "data": [
                    {"name": "FNB", "code": "250655", "currency": "ZAR", "universalBranchCode": "250655"},
                    {"name": "Capitec Bank", "code": 470010, "currency": "ZAR"}]}));
        })
        .await;
    let banks = client(&server)
        .list_bank_withdrawal_banks()
        .currency("ZAR")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(banks.len(), 2);
    assert_eq!(banks[0]["name"], "FNB");
    assert_eq!(banks[0]["code"], "250655");
    assert_eq!(banks[1]["name"], "Capitec Bank");
    assert_eq!(banks[1]["code"], 470010);
}

// ---------------------------------------------------------------------------------------------
// Onramp: camelCase bodies.

const RECEIVER: &str = "0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb1";

fn onramp_receipt(reference: &str) -> Value {
    json!({"success": true, "message": "Request has been successfully created", "data": {
        "id": "6652a1b2c3d4e5f6a7b8c9d0", "referenceId": reference, "referenceNumber": 3234567890u64,
        "message": "Deposit request sent successfully", "customerKey": "cust-8841"}})
}

#[tokio::test]
async fn op_create_onramp() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/onramp")
                .header("authorization", bearer())
                .json_body(json!({
                    "mobileMoney": {
                        "phoneNumber": "+254700000001",
                        "accountName": "Jane Doe",
                        "providerNetwork": "MPESA"
                    },
                    "fiatAmount": 2000,
                    "currency": "KES",
                    "chain": "CELO",
                    "token": "CUSD",
                    "receiverAddress": RECEIVER,
                    "referenceId": "onr-2025-0042",
                    "callbackUrl": CALLBACK,
                    "rateId": "q_onr_8c1f2a",
                    "fiatWalletId": WALLET
                }));
            then.status(201).json_body(json!({"success": true,
                "message": "Request has been successfully created", "data": {
                "id": "6652a1b2c3d4e5f6a7b8c9d0", "referenceId": "onr-2025-0042",
                "referenceNumber": 3234567890u64, "message": "Deposit request sent successfully",
                "customerKey": "cust-8841", "redirectUrl": "https://pay.example/stk/onr"}}));
        })
        .await;
    let body = t::CreateOnrampRequest::builder()
        .mobile_money(Some(t::MobileMoneyPayer {
            phone_number: "+254700000001".into(),
            account_name: "Jane Doe".into(),
            provider_network: "MPESA".into(),
        }))
        .fiat_amount(dec!(2000))
        .currency("KES")
        .chain(t::ChainInput::Celo)
        .token(t::TokenInput::Cusd)
        .receiver_address(RECEIVER)
        .reference_id("onr-2025-0042")
        .callback_url(some(CALLBACK))
        .rate_id(some("q_onr_8c1f2a"))
        .fiat_wallet_id(some(WALLET));
    let d = client(&server).create_onramp().body(body).data().await.unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "onr-2025-0042");
    assert_eq!(d.reference_number, num(3234567890.0));
    assert_eq!(d.customer_key, "cust-8841");
    assert_eq!(d.redirect_url.as_deref(), Some("https://pay.example/stk/onr"));
}

#[tokio::test]
async fn money_create_onramp_with_reference_is_retried() {
    // Paid by bank checkout this time; the reference is required.
    let server = flaky(onramp_receipt("onr-2025-0043")).await;
    let body = t::CreateOnrampRequest::builder()
        .bank_checkout(Some(t::BankCheckoutPayer {
            full_name: "Thabo Nkosi".into(),
            phone_number: "+27712345678".into(),
            payment_method: some("CARD"),
        }))
        .fiat_amount(dec!(900))
        .currency("ZAR")
        .chain(t::ChainInput::Polygon)
        .token(t::TokenInput::Usdc)
        .receiver_address(RECEIVER)
        .reference_id("onr-2025-0043");
    let d = client_at(&server.base_url)
        .create_onramp()
        .body(body)
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "onr-2025-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/onramp",
        "referenceId",
        "reference_id",
        "onr-2025-0043",
    );
    assert_eq!(
        sent["bankCheckout"],
        json!({"fullName": "Thabo Nkosi", "phoneNumber": "+27712345678", "paymentMethod": "CARD"})
    );
    assert_eq!(sent["fiatAmount"], 900);
    assert_eq!(sent["receiverAddress"], RECEIVER);
    assert_eq!(sent["chain"], "POLYGON");
    assert!(sent.get("mobileMoney").is_none());
}

#[tokio::test]
async fn op_get_onramp_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/onramp/onr-2025-0042")
                .header("authorization", bearer());
            then.status(200).json_body(
                json!({"success": true, "message": "Onramp status successfully retrieved.",
                "data": {"referenceId": "onr-2025-0042", "depositStatus": "SUCCESSFUL",
                "onchainStatus": "FAILED", "transactionHash": null,
                "rate": {"from": "KES", "to": "CUSD", "cryptoAmount": 15.2},
                "fiatAmount": 2000, "fiatFee": 40, "fiatAmountToSend": 1960, "cryptoAmount": 15.2,
                "error": {"message": "Transfer reverted", "code": "CRYPTO_TRANSFER_FAILED",
                    "details": {"gas": "exhausted"}}}}),
            );
        })
        .await;
    let d = client(&server)
        .get_onramp_status()
        .reference_id("onr-2025-0042")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.deposit_status, t::DepositStatus::Successful);
    assert_eq!(d.onchain_status, t::DepositStatus::Failed);
    assert_eq!(d.transaction_hash, None);
    assert_eq!(d.fiat_fee, dec!(40));
    assert_eq!(d.fiat_amount_to_send, dec!(1960));
    assert_eq!(d.crypto_amount, dec!(15.2));
    assert_eq!(d.rate["to"], "CUSD");
    let e = d.error.unwrap();
    assert_eq!(e.code.as_deref(), Some("CRYPTO_TRANSFER_FAILED"));
    assert_eq!(e.message, "Transfer reverted");
    assert_eq!(e.details["gas"], "exhausted");
}

fn crypto_onramp_body(reference: &str, status: &str, hash: Value) -> Value {
    json!({"success": true, "message": "Request has been successfully created", "data": {
        "referenceId": reference, "status": status, "cryptoAmount": 25.5,
        "cryptoAmountReceived": 25.245, "feeInCrypto": 0.255, "feeType": "PERCENTAGE",
        "cryptoWallet": "7d2b9c4e-1f3a-4b6c-8d9e-0a1b2c3d4e5f", "chain": "BASE", "token": "USDC",
        "amountToSend": 25.245, "transactionHash": hash}})
}

fn crypto_onramp_request(reference: &str) -> t::builder::CreateCryptoOnrampRequest {
    t::CreateCryptoOnrampRequest::builder()
        .receiver_address(RECEIVER)
        .chain(t::ChainInput::Base)
        .token(t::TokenInput::Usdc)
        .crypto_amount(dec!(25.5))
        .reference_id(reference)
}

#[tokio::test]
async fn op_create_crypto_onramp() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/onramp/crypto")
                .header("authorization", bearer())
                .json_body(json!({
                    "receiverAddress": RECEIVER,
                    "chain": "BASE",
                    "token": "USDC",
                    "cryptoAmount": 25.5,
                    "referenceId": "cr-2025-0042",
                    "callbackUrl": CALLBACK
                }));
            then.status(201)
                .json_body(crypto_onramp_body("cr-2025-0042", "PENDING", Value::Null));
        })
        .await;
    let d = client(&server)
        .create_crypto_onramp()
        .body(crypto_onramp_request("cr-2025-0042").callback_url(some(CALLBACK)))
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "cr-2025-0042");
    assert_eq!(d.status, "PENDING");
    assert_eq!(d.chain, t::Chain::Base);
    assert_eq!(d.token, t::Token::Usdc);
    assert_eq!(d.fee_in_crypto, dec!(0.255));
    assert_eq!(d.amount_to_send, dec!(25.245));
    assert_eq!(d.transaction_hash, None);
}

#[tokio::test]
async fn money_create_crypto_onramp_with_reference_is_retried() {
    let server = flaky(crypto_onramp_body("cr-2025-0043", "PENDING", Value::Null)).await;
    let d = client_at(&server.base_url)
        .create_crypto_onramp()
        .body(crypto_onramp_request("cr-2025-0043"))
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "cr-2025-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/onramp/crypto",
        "referenceId",
        "reference_id",
        "cr-2025-0043",
    );
    assert_eq!(sent["cryptoAmount"], 25.5);
    assert_eq!(sent["receiverAddress"], RECEIVER);
}

#[tokio::test]
async fn op_get_crypto_onramp_status() {
    let server = MockServer::start_async().await;
    let hash = "0x9f2c4a7e1b3d5f6a8c0e2d4b6a8c0e2d4b6a8c0e2d4b6a8c0e2d4b6a8c0e2d4b";
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/onramp/crypto/cr-2025-0042")
                .header("authorization", bearer());
            then.status(200)
                .json_body(crypto_onramp_body("cr-2025-0042", "SUCCESSFUL", json!(hash)));
        })
        .await;
    let d = client(&server)
        .get_crypto_onramp_status()
        .reference_id("cr-2025-0042")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, "SUCCESSFUL");
    assert_eq!(d.transaction_hash.as_deref(), Some(hash));
    assert_eq!(d.crypto_amount_received, dec!(25.245));
    assert_eq!(d.crypto_wallet, "7d2b9c4e-1f3a-4b6c-8d9e-0a1b2c3d4e5f");
    assert_eq!(d.fee_type, "PERCENTAGE");
}

// ---------------------------------------------------------------------------------------------
// Offramp: camelCase bodies, with `refund_config` (and its fields) in snake_case.

const SENDER: &str = "0x8ba1f109551bD432803012645Ac136ddd64DBA72";
const ESCROW: &str = "0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE";

fn offramp_json(reference: &str, status: &str) -> Value {
    json!({"referenceId": reference, "status": status, "onchainStatus": "PENDING",
        "fiatAmount": 1305, "fiatTransactionAmount": 1279, "cryptoAmount": 10,
        "fiatCurrency": "KES", "customerKey": "cust-8841", "fiatWalletId": WALLET,
        "senderAddress": SENDER, "escrowAddress": ESCROW, "transactionHash": null,
        "transactionHashAmount": null, "rate": {"from": "USDC", "to": "KES", "fiatAmount": 1305},
        "usingIntegratedWallet": false, "created_at": "2025-03-01T12:00:00.000Z",
        "updated_at": "2025-03-01T12:00:00.000Z"})
}

fn offramp_envelope(reference: &str, status: &str) -> Value {
    json!({"success": true, "message": "Offramp has been successfully created",
        "data": offramp_json(reference, status)})
}

#[tokio::test]
async fn op_create_offramp() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/offramp")
                .header("authorization", bearer())
                .json_body(json!({
                    "mobileMoneyReceiver": {
                        "phoneNumber": "+254700000001",
                        "accountName": "Jane Doe",
                        "networkProvider": "MPESA"
                    },
                    "cryptoAmount": 10,
                    "currency": "KES",
                    "chain": "CELO",
                    "token": "USDC",
                    "referenceId": "ofr-2025-0042",
                    "senderAddress": SENDER,
                    "callbackUrl": CALLBACK,
                    "rateId": "q_ofr_51d0e9",
                    "refund_config": {"address": SENDER}
                }));
            then.status(201)
                .json_body(offramp_envelope("ofr-2025-0042", "PENDING"));
        })
        .await;
    let body = t::CreateOfframpRequest::builder()
        .mobile_money_receiver(Some(t::MobileMoneyReceiver {
            phone_number: "+254700000001".into(),
            account_name: "Jane Doe".into(),
            network_provider: "MPESA".into(),
        }))
        .crypto_amount(dec!(10))
        .currency("KES")
        .chain(t::ChainInput::Celo)
        .token(t::TokenInput::Usdc)
        .reference_id("ofr-2025-0042")
        .sender_address(some(SENDER))
        .callback_url(some(CALLBACK))
        .rate_id(some("q_ofr_51d0e9"))
        .refund_config(Some(
            t::OfframpRefundConfig::builder()
                .address(some(SENDER))
                .try_into()
                .unwrap(),
        ));
    let d = client(&server).create_offramp().body(body).data().await.unwrap();
    m.assert_async().await;
    assert_eq!(d.reference_id, "ofr-2025-0042");
    assert_eq!(d.status, "PENDING");
    assert_eq!(d.escrow_address, ESCROW);
    assert_eq!(d.fiat_transaction_amount, dec!(1279));
    assert_eq!(d.fiat_wallet_id.as_deref(), Some(WALLET));
    assert_eq!(d.transaction_hash, None);
    assert_eq!(d.transaction_hash_amount, None);
    assert_eq!(d.rate["fiatAmount"], 1305);
    assert_eq!(d.using_integrated_wallet, Some(false));
    assert_eq!(d.created_at.as_deref(), Some("2025-03-01T12:00:00.000Z"));
}

#[tokio::test]
async fn money_create_offramp_with_reference_is_retried() {
    // A Lightning offramp to a bank account, refunded through an invoice URL.
    let server = flaky(offramp_envelope("ofr-2025-0043", "PENDING")).await;
    let body = t::CreateOfframpRequest::builder()
        .bank_receiver(Some(t::BankReceiver {
            name: "George Smith".into(),
            address: "25 Allan Road, Oakdene, 4250".into(),
            phone_number: some("712345678"),
            bank_code: "0".into(),
            bank_name: some("FNB"),
            account_number: "63122514698".into(),
            country: "ZA".into(),
        }))
        .crypto_amount(dec!(50000))
        .currency("ZAR")
        .chain(t::ChainInput::Lightning)
        .token(t::TokenInput::Sat)
        .reference_id("ofr-2025-0043")
        .refund_config(Some(
            t::OfframpRefundConfig::builder()
                .generate_invoice_url(some("https://shop.example/ln/invoice"))
                .amount_msat(Some(dec!(50_000_000)))
                .try_into()
                .unwrap(),
        ));
    let d = client_at(&server.base_url)
        .create_offramp()
        .body(body)
        .data()
        .await
        .unwrap();
    assert_eq!(d.reference_id, "ofr-2025-0043");
    let sent = assert_resent_with_reference(
        &server,
        "/api/v3/offramp",
        "referenceId",
        "reference_id",
        "ofr-2025-0043",
    );
    assert_eq!(sent["bankReceiver"]["bankCode"], "0");
    assert_eq!(sent["bankReceiver"]["accountNumber"], "63122514698");
    assert_eq!(
        sent["refund_config"],
        json!({"generate_invoice_url": "https://shop.example/ln/invoice", "amount_msat": 50_000_000})
    );
    assert!(sent.get("refundConfig").is_none());
    assert_eq!(sent["chain"], "LIGHTNING");
    assert_eq!(sent["token"], "SAT");
}

#[tokio::test]
async fn op_list_offramp_transactions() {
    let server = MockServer::start_async().await;
    let mut failed = offramp_json("ofr-2025-0040", "REFUND_FAILED");
    failed["onchainError"] = json!({"code": "TX_REVERTED"});
    // The webhook docs say transactionError may be a plain string.
    failed["transactionError"] = json!("Telco timeout");
    let mut done = offramp_json("ofr-2025-0041", "SUCCESSFUL");
    done["onchainStatus"] = json!("SUCCESSFUL");
    done["transactionHash"] = json!("0x2b7e1516a8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2");
    done["transactionHashAmount"] = json!(10);
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/offramp/transactions")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Offramp transactions retrieved", "data": [failed, done]}));
        })
        .await;
    let list = client(&server).list_offramp_transactions().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].status, "REFUND_FAILED");
    assert_eq!(list[0].onchain_error, Some(json!({"code": "TX_REVERTED"})));
    assert_eq!(list[0].transaction_error, Some(json!("Telco timeout")));
    assert_eq!(list[1].onchain_status, "SUCCESSFUL");
    assert_eq!(list[1].transaction_hash_amount, Some(dec!(10)));
    assert!(list[1].transaction_hash.as_deref().unwrap().starts_with("0x2b7e"));
}

#[tokio::test]
async fn op_get_offramp_status() {
    let server = MockServer::start_async().await;
    let mut body = offramp_envelope("ofr-2025-0042", "CRYPTO_RECEIVED");
    body["data"]["onchainStatus"] = json!("SUCCESSFUL");
    body["data"]["updated_at"] = json!("2025-03-01T12:03:10.000Z");
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/offramp/ofr-2025-0042")
                .header("authorization", bearer());
            then.status(200).json_body(body);
        })
        .await;
    let d = client(&server)
        .get_offramp_status()
        .reference_id("ofr-2025-0042")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d.status, "CRYPTO_RECEIVED");
    assert_eq!(d.onchain_status, "SUCCESSFUL");
    assert_eq!(d.sender_address, SENDER);
    assert_eq!(d.customer_key, "cust-8841");
    assert_eq!(d.fiat_currency, "KES");
    assert_eq!(d.updated_at.as_deref(), Some("2025-03-01T12:03:10.000Z"));
}

#[tokio::test]
async fn op_cancel_offramp() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            // A GET, although it changes state.
            when.method(GET)
                .path("/api/v3/offramp/cancel/ofr-2025-0042")
                .header("authorization", bearer());
            then.status(200).json_body(
                json!({"success": true, "message": "Offramp cancelled successfully",
                "data": {"referenceId": "ofr-2025-0042", "status": "CANCELLED"}}),
            );
        })
        .await;
    let got = client(&server)
        .cancel_offramp()
        .reference_id("ofr-2025-0042")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.message, "Offramp cancelled successfully");
    assert_eq!(got.data["status"], "CANCELLED");
    assert_eq!(got.data["referenceId"], "ofr-2025-0042");
}

#[tokio::test]
async fn op_get_offramp_refund_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/offramp/refund-status/ofr-2025-0040")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Refund status retrieved",
                "data": {"referenceId": "ofr-2025-0040", "refundStatus": "SUCCESSFUL",
                "refundAmount": 10, "refundTransactionHash": "0x7a9c5e21f"}}));
        })
        .await;
    let d = client(&server)
        .get_offramp_refund_status()
        .reference_id("ofr-2025-0040")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d["refundStatus"], "SUCCESSFUL");
    assert_eq!(d["refundAmount"], 10);
    assert_eq!(d["refundTransactionHash"], "0x7a9c5e21f");
}

#[tokio::test]
async fn op_retry_offramp_refund() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/offramp/retry-refund/ofr-2025-0040")
                .header("authorization", bearer());
            then.status(201)
                .json_body(json!({"success": true, "message": "Refund retry initiated",
                "data": {"referenceId": "ofr-2025-0040", "refundStatus": "PENDING"}}));
        })
        .await;
    let got = client(&server)
        .retry_offramp_refund()
        .reference_id("ofr-2025-0040")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.message, "Refund retry initiated");
    assert_eq!(got.data["refundStatus"], "PENDING");
}

#[tokio::test]
async fn money_retry_offramp_refund_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(&server, "/api/v3/offramp/retry-refund/ofr-2025-0040", None).await;
    let err = client(&server)
        .retry_offramp_refund()
        .reference_id("ofr-2025-0040")
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn op_retry_offramp_refunds() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/offramp/retry-refunds-multiple")
                .header("authorization", bearer())
                .json_body(json!({"referenceIds": ["ofr-2025-0040", "ofr-2025-0039"]}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Refund retries initiated",
                "data": {"retried": ["ofr-2025-0040"], "failed": ["ofr-2025-0039"]}}));
        })
        .await;
    let d = client(&server)
        .retry_offramp_refunds()
        .body(t::RetryOfframpRefundsRequest {
            reference_ids: vec!["ofr-2025-0040".into(), "ofr-2025-0039".into()],
        })
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(d["retried"], json!(["ofr-2025-0040"]));
    assert_eq!(d["failed"], json!(["ofr-2025-0039"]));
}

#[tokio::test]
async fn money_retry_offramp_refunds_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/offramp/retry-refunds-multiple",
        Some(json!({"referenceIds": ["ofr-2025-0040"]})),
    )
    .await;
    let err = client(&server)
        .retry_offramp_refunds()
        .body(t::RetryOfframpRefundsRequest {
            reference_ids: vec!["ofr-2025-0040".into()],
        })
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

#[tokio::test]
async fn op_retry_all_failed_offramp_refunds() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/offramp/retry-all-failed-refunds")
                .header("authorization", bearer());
            then.status(201)
                .json_body(json!({"success": true, "message": "Refund retries initiated",
                "data": {"total": 3, "retried": 2}}));
        })
        .await;
    let got = client(&server)
        .retry_all_failed_offramp_refunds()
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(got.success);
    assert_eq!(got.data["total"], 3);
    assert_eq!(got.data["retried"], 2);
}

#[tokio::test]
async fn money_retry_all_failed_offramp_refunds_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(&server, "/api/v3/offramp/retry-all-failed-refunds", None).await;
    let err = client(&server)
        .retry_all_failed_offramp_refunds()
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}

const INVOICE: &str = "lnbc500u1pnaegw2pp5yj88zx2fq3974c0f0wvj6rsxuwumwmqtd3lzt";

#[tokio::test]
async fn op_submit_offramp_refund_invoice() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/offramp/submit-refund-invoice/ofr-2025-0043")
                .header("authorization", bearer())
                .json_body(json!({"invoice": INVOICE}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Refund invoice submitted",
                "data": {"referenceId": "ofr-2025-0043", "refundStatus": "PENDING"}}));
        })
        .await;
    let got = client(&server)
        .submit_offramp_refund_invoice()
        .reference_id("ofr-2025-0043")
        .body(t::SubmitRefundInvoiceRequest {
            invoice: INVOICE.into(),
        })
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.message, "Refund invoice submitted");
    assert_eq!(got.data["referenceId"], "ofr-2025-0043");
    assert_eq!(got.data["refundStatus"], "PENDING");
}

#[tokio::test]
async fn money_submit_offramp_refund_invoice_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = unavailable(
        &server,
        "/api/v3/offramp/submit-refund-invoice/ofr-2025-0043",
        Some(json!({"invoice": INVOICE})),
    )
    .await;
    let err = client(&server)
        .submit_offramp_refund_invoice()
        .reference_id("ofr-2025-0043")
        .body(t::SubmitRefundInvoiceRequest {
            invoice: INVOICE.into(),
        })
        .call()
        .await
        .unwrap_err();
    assert_sent_once_outcome_unknown(&m, &err).await;
}
