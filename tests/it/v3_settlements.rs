//! KYC, settlements (requests, batches, merge, notifications, config, saved beneficiaries),
//! bulk payments and SMS of the v3 family.
//!
//! Expected request bodies are written by hand from `shared/reference/kotani-api.md` (PART A),
//! so each test checks the spec (and the generated client) against the API's field names.
//! Settlement responses are undocumented upstream and free-form in the spec: those tests read
//! `data` as a JSON map.

use crate::common;

use httpmock::Method::{DELETE, GET, PATCH, POST};
use httpmock::MockServer;
use kotanipay::Decimal;
use kotanipay::prelude::*;
use kotanipay::v3;
use rust_decimal_macros::dec;
use serde_json::json;

const KEY: &str = "test-api-key-5e2a";

fn bearer() -> String {
    format!("Bearer {KEY}")
}

fn client(server: &MockServer) -> v3::Client {
    client_at(&server.base_url())
}

/// A client with fast retries (3 attempts): a call that may be repeated is repeated quickly.
fn client_at(base_url: &str) -> v3::Client {
    common::v3_client(base_url, KEY)
}

const UNAVAILABLE: &str =
    r#"{"success": false, "message": "Service temporarily unavailable", "error_code": 503, "data": {}}"#;

fn settlement_json(id: &str, reference: &str, status: &str) -> serde_json::Value {
    json!({
        "id": id, "referenceId": reference, "status": status,
        "walletId": "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10", "amount": 250000, "fee": 2500,
        "feePercentage": 1, "netAmount": 247500, "currency": "KES", "balanceSource": "PAYOUT",
        "tentativeUsdAmount": 1930.5, "tentativeUsdNetAmount": 1911.2,
        "createdAt": "2025-02-03T10:15:00.000Z"
    })
}

fn bulk_batch_json(id: &str, status: &str) -> serde_json::Value {
    json!({
        "id": id, "batchName": "February payroll", "status": status, "currency": "KES",
        "totalAmount": 3200, "totalPayments": 3, "successfulPayments": 1, "failedPayments": 0,
        "pendingPayments": 2, "createdAt": "2025-02-10T07:30:00.000Z",
        "progress": [{
            "step": "VALIDATION", "status": "COMPLETED", "message": "Recipients validated",
            "startedAt": "2025-02-10T07:30:00.000Z", "completedAt": "2025-02-10T07:30:02.000Z",
            "details": {"validRecipients": 3}
        }]
    })
}

fn recipient(name: &str, phone: &str, amount: Decimal, reference: &str) -> v3::types::BulkPaymentRecipient {
    v3::types::BulkPaymentRecipient {
        recipient_name: name.into(),
        recipient_email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        recipient_phone: phone.into(),
        amount,
        currency: "KES".into(),
        reference: reference.into(),
        network: "MPESA".into(),
    }
}

fn bulk_request() -> v3::types::builder::CreateBulkPaymentRequest {
    v3::types::CreateBulkPaymentRequest::builder()
        .batch_name("February payroll")
        .batch_description(Some("Field agents".to_string()))
        .recipients(vec![
            recipient("Amina Otieno", "+254700000001", dec!(1200), "PAY-0101"),
            recipient("Brian Kamau", "+254700000002", dec!(2000), "PAY-0102"),
        ])
        .wallet_selections(vec![v3::types::CurrencyWalletSelection {
            currency: "KES".into(),
            wallet_id: "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10".into(),
        }])
        .callback_url(Some("https://example.com/hooks/bulk".to_string()))
}

/// What the API must see for `bulk_request()`: camelCase, as the bulk-payment DTOs spell it.
fn bulk_request_json() -> serde_json::Value {
    json!({
        "batchName": "February payroll",
        "batchDescription": "Field agents",
        "recipients": [
            {"recipientName": "Amina Otieno", "recipientEmail": "amina.otieno@example.com",
             "recipientPhone": "+254700000001", "amount": 1200, "currency": "KES",
             "reference": "PAY-0101", "network": "MPESA"},
            {"recipientName": "Brian Kamau", "recipientEmail": "brian.kamau@example.com",
             "recipientPhone": "+254700000002", "amount": 2000, "currency": "KES",
             "reference": "PAY-0102", "network": "MPESA"}
        ],
        "walletSelections": [{"currency": "KES", "walletId": "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10"}],
        "callbackUrl": "https://example.com/hooks/bulk"
    })
}

// ---------------------------------------------------------------------------------------------
// KYC
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_create_kyc() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/kyc")
                .header("authorization", bearer())
                .json_body(json!({
                    "userEmail": "wanjiru.kimani@example.com", "customerKey": "cust-7781",
                    "firstName": "Wanjiru", "lastName": "Kimani", "dob": "1992-06-14",
                    "gender": "F", "country": "KE", "phone": "+254711223344"}));
            then.status(201).json_body(json!({"success": true,
                "message": "Kyc Basic Details created successfully",
                "data": {"status": "PENDING", "kycId": "kyc_9a8b7c6d5e", "kycStatus": false}}));
        })
        .await;
    let body = v3::types::CreateKycRequest::builder()
        .user_email("wanjiru.kimani@example.com")
        .customer_key("cust-7781")
        .first_name("Wanjiru")
        .last_name("Kimani")
        .dob("1992-06-14")
        .gender(v3::types::GenderInput::F)
        .country("KE")
        .phone("+254711223344");
    let env = client(&server).create_kyc().body(body).call().await.unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Kyc Basic Details created successfully");
    assert_eq!(env.data.status, "PENDING");
    assert_eq!(env.data.kyc_id.as_deref(), Some("kyc_9a8b7c6d5e"));
    assert_eq!(env.data.kyc_status, Some(false));
}

#[tokio::test]
async fn op_add_kyc_address() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/kyc/address")
                .header("authorization", bearer())
                .json_body(json!({"kycId": "kyc_9a8b7c6d5e", "street": "Kenyatta Avenue 40",
                    "town": "Mombasa", "country": "KE"}));
            then.status(201).json_body(json!({"success": true,
                "message": "Kyc Address created successfully",
                "data": {"status": "PENDING", "kycId": "kyc_9a8b7c6d5e", "kycStatus": false}}));
        })
        .await;
    let body = v3::types::AddKycAddressRequest::builder()
        .kyc_id("kyc_9a8b7c6d5e")
        .street("Kenyatta Avenue 40")
        .town("Mombasa")
        .country("KE");
    let got = client(&server).add_kyc_address().body(body).data().await.unwrap();
    m.assert_async().await;
    assert_eq!(got.status, "PENDING");
    assert_eq!(got.kyc_id.as_deref(), Some("kyc_9a8b7c6d5e"));
    assert_eq!(got.kyc_status, Some(false));
}

#[tokio::test]
async fn op_add_kyc_document() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/kyc/document")
                .header("authorization", bearer())
                .json_body(json!({"kycId": "kyc_9a8b7c6d5e", "nationality": "Kenyan",
                    "documentNo": "33445566", "documentExpirationDate": "2031-03-31",
                    "country": "Kenya", "documentName": "GOVERNMENT ID"}));
            then.status(201).json_body(json!({"success": true,
                "message": "Kyc Document created successfully",
                "data": {"status": "SUBMITTED", "kycId": "kyc_9a8b7c6d5e", "kycStatus": false}}));
        })
        .await;
    let body = v3::types::AddKycDocumentRequest::builder()
        .kyc_id("kyc_9a8b7c6d5e")
        .nationality("Kenyan")
        .document_no("33445566")
        .document_expiration_date("2031-03-31")
        .country("Kenya")
        .document_name("GOVERNMENT ID");
    let env = client(&server)
        .add_kyc_document()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(env.success);
    assert_eq!(env.data.status, "SUBMITTED");
    assert_eq!(env.data.kyc_id.as_deref(), Some("kyc_9a8b7c6d5e"));
}

#[tokio::test]
async fn op_get_kyc_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/kyc/status/kyc_9a8b7c6d5e")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Successfully retrieved kyc status",
                "data": {"status": "VERIFIED", "kycId": "kyc_9a8b7c6d5e", "kycStatus": true}}));
        })
        .await;
    let got = client(&server)
        .get_kyc_status()
        .kyc_id("kyc_9a8b7c6d5e")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got.status, "VERIFIED");
    assert_eq!(got.kyc_status, Some(true));
}

fn kyc_user_json(kyc_id: &str, gender: &str, verified: bool) -> serde_json::Value {
    json!({
        "kycId": kyc_id, "kycVerified": verified,
        "basicDetails": {"userEmail": "wanjiru.kimani@example.com", "customerKey": "cust-7781",
            "firstName": "Wanjiru", "lastName": "Kimani", "dob": "1992-06-14", "gender": gender,
            "country": "KE", "phone": "+254711223344"},
        "address": {"kycId": kyc_id, "street": "Kenyatta Avenue 40", "town": "Mombasa", "country": "KE"},
        "document": {"kycId": kyc_id, "nationality": "Kenyan", "documentNo": "33445566",
            "documentExpirationDate": "2031-03-31", "country": "Kenya", "documentName": "GOVERNMENT ID"}
    })
}

#[tokio::test]
async fn op_list_kyc_users() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/kyc/integrator/users")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Successfully retrieved kyc users",
                "data": [kyc_user_json("kyc_1", "F", true), kyc_user_json("kyc_2", "X", false)]}));
        })
        .await;
    let users = client(&server).list_kyc_users().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].kyc_id, "kyc_1");
    assert!(users[0].kyc_verified);
    assert_eq!(users[0].basic_details.gender, Some(v3::types::Gender::F));
    assert_eq!(users[0].basic_details.first_name.as_deref(), Some("Wanjiru"));
    assert_eq!(users[0].address.town.as_deref(), Some("Mombasa"));
    assert_eq!(users[0].document.document_name.as_deref(), Some("GOVERNMENT ID"));
    // A gender value the spec does not list still decodes.
    assert_eq!(
        users[1].basic_details.gender,
        Some(v3::types::Gender::Unknown("X".into()))
    );
    assert!(!users[1].kyc_verified);
}

#[tokio::test]
async fn kyc_users_decode_with_unknown_gender_and_unknown_fields() {
    let server = MockServer::start_async().await;
    let mut user = kyc_user_json("kyc_3", "NON_BINARY", true);
    user["riskScore"] = json!(12);
    user["basicDetails"]["middleName"] = json!("Njeri");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/kyc/integrator/users");
            then.status(200)
                .json_body(json!({"success": true, "message": "ok",
                "data": [user], "requestId": "req-42"}));
        })
        .await;
    let users = client(&server).list_kyc_users().data().await.unwrap();
    assert_eq!(
        users[0].basic_details.gender,
        Some(v3::types::Gender::Unknown("NON_BINARY".into()))
    );
    assert_eq!(
        users[0].basic_details.gender.as_ref().unwrap().as_str(),
        "NON_BINARY"
    );
    assert_eq!(users[0].kyc_id, "kyc_3");
    assert_eq!(users[0].basic_details.last_name.as_deref(), Some("Kimani"));
    assert_eq!(users[0].document.document_no.as_deref(), Some("33445566"));
}

// ---------------------------------------------------------------------------------------------
// Settlements
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_get_settlement_schedule() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlements/schedule")
                .header("authorization", bearer());
            then.status(200).json_body(
                json!({"success": true, "message": "Settlement schedule retrieved",
                "data": {"enabled": true, "allowedDays": [2, 4], "cutoffEnabled": true,
                    "cutoffTime": "14:30", "timezone": "Africa/Lagos", "minAmount": 250,
                    "maxAmount": 75000.5}}),
            );
        })
        .await;
    let s = client(&server).get_settlement_schedule().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(s.enabled, Some(true));
    assert_eq!(s.allowed_days, vec![2, 4]);
    assert_eq!(s.cutoff_enabled, Some(true));
    assert_eq!(s.cutoff_time.as_deref(), Some("14:30"));
    assert_eq!(s.timezone.as_deref(), Some("Africa/Lagos"));
    assert_eq!(s.min_amount, Some(dec!(250)));
    assert_eq!(s.max_amount, Some(dec!(75000.5)));
}

#[tokio::test]
async fn op_preview_settlement_fee() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlements/fee-preview")
                .query_param("amount", "12500.5")
                .query_param("walletId", "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Fee preview calculated",
                "data": {"amount": 12500.5, "fee": 125, "feePercentage": 1, "netAmount": 12375.5,
                    "currency": "GHS", "usdRate": 15.2, "usdAmount": 822.4, "usdNetAmount": 814.18}}));
        })
        .await;
    let p = client(&server)
        .preview_settlement_fee()
        .amount(dec!(12500.5))
        .wallet_id("0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(p.amount, Some(dec!(12500.5)));
    assert_eq!(p.fee, Some(dec!(125)));
    assert_eq!(p.fee_percentage, Some(dec!(1)));
    assert_eq!(p.net_amount, Some(dec!(12375.5)));
    assert_eq!(p.currency.as_deref(), Some("GHS"));
    assert_eq!(p.usd_rate, Some(dec!(15.2)));
    assert_eq!(p.usd_net_amount, Some(dec!(814.18)));
}

fn create_settlement_body() -> v3::types::builder::CreateSettlementRequest {
    v3::types::CreateSettlementRequest::builder()
        .wallet_id("0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10")
        .amount(dec!(250000))
        .balance_source(Some(v3::types::BalanceSource::Payout))
        .integrator_note(Some("February settlement".to_string()))
        .callback_url(Some("https://example.com/hooks/settlements".to_string()))
        .beneficiary_details(Some(v3::types::BeneficiaryDetails {
            beneficiary_type: Some(v3::types::BeneficiaryType::Bank),
            bank_name: Some("KCB Bank".into()),
            bank_code: Some("01".into()),
            account_number: Some("1234567890".into()),
            account_name: Some("A&B Company Ltd".into()),
            ..Default::default()
        }))
}

#[tokio::test]
async fn op_create_settlement() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/integrator/settlements")
                .header("authorization", bearer())
                .json_body(json!({
                    "walletId": "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10",
                    "amount": 250000,
                    "balanceSource": "PAYOUT",
                    "integratorNote": "February settlement",
                    "callbackUrl": "https://example.com/hooks/settlements",
                    "beneficiaryDetails": {"beneficiaryType": "bank", "bankName": "KCB Bank",
                        "bankCode": "01", "accountNumber": "1234567890",
                        "accountName": "A&B Company Ltd"}}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Settlement request created",
                "data": settlement_json("stl-77a1", "STL-20250203-0007", "PENDING")}));
        })
        .await;
    let env = client(&server)
        .create_settlement()
        .body(create_settlement_body())
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Settlement request created");
    assert_eq!(env.data["id"], "stl-77a1");
    assert_eq!(env.data["referenceId"], "STL-20250203-0007");
    assert_eq!(env.data["status"], "PENDING");
    assert_eq!(env.data["netAmount"], 247500);
}

#[tokio::test]
async fn money_create_settlement_without_reference_is_sent_once() {
    // The settlement request has no caller reference at all: never repeated.
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/integrator/settlements");
            then.status(503)
                .header("content-type", "application/json")
                .body(UNAVAILABLE);
        })
        .await;
    let err = client(&server)
        .create_settlement()
        .body(create_settlement_body())
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert!(err.is_outcome_unknown());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn op_list_settlements() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlements")
                .query_param("limit", "20")
                .query_param("offset", "40")
                .query_param("status", "UNDER_REVIEW")
                .query_param("from", "2025-02-01")
                .query_param("to", "2025-02-28")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlements retrieved",
                "data": [settlement_json("stl-1", "STL-20250203-0001", "UNDER_REVIEW"),
                         settlement_json("stl-2", "STL-20250204-0002", "UNDER_REVIEW")]}));
        })
        .await;
    let items = client(&server)
        .list_settlements()
        .limit(20)
        .offset(40)
        .status(v3::types::SettlementStatus::UnderReview)
        .from("2025-02-01")
        .to("2025-02-28")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], "stl-1");
    assert_eq!(items[1]["referenceId"], "STL-20250204-0002");
    assert_eq!(items[1]["status"], "UNDER_REVIEW");
}

#[tokio::test]
async fn op_get_settlement() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlements/stl-77a1")
                .header("authorization", bearer());
            let mut s = settlement_json("stl-77a1", "STL-20250203-0007", "PAUSED");
            s["pauseReason"] = json!("Awaiting bank confirmation");
            s["pausedUntil"] = json!("2025-02-05T09:00:00.000Z");
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement retrieved", "data": s}));
        })
        .await;
    let s = client(&server)
        .get_settlement()
        .settlement_id("stl-77a1")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(s["status"], "PAUSED");
    assert_eq!(s["pauseReason"], "Awaiting bank confirmation");
    assert_eq!(s["currency"], "KES");
    assert_eq!(s["tentativeUsdAmount"], 1930.5);
}

#[tokio::test]
async fn op_cancel_settlement() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v3/integrator/settlements/stl-77a1")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement cancelled",
                "data": settlement_json("stl-77a1", "STL-20250203-0007", "CANCELLED")}));
        })
        .await;
    let env = client(&server)
        .cancel_settlement()
        .settlement_id("stl-77a1")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Settlement cancelled");
    assert_eq!(env.data["status"], "CANCELLED");
    assert_eq!(env.data["id"], "stl-77a1");
}

fn batch_items() -> Vec<v3::types::SettlementBatchItem> {
    vec![
        v3::types::SettlementBatchItem {
            wallet_id: "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10".into(),
            amount: dec!(150000),
            balance_source: Some(v3::types::BalanceSource::Payout),
            saved_beneficiary_id: Some("ben-31".into()),
            beneficiary_details: None,
            sub_reference: Some("KE-1".into()),
            integrator_note: None,
        },
        v3::types::SettlementBatchItem {
            wallet_id: "7c2e9f00-1d3b-4c5a-8e6f-0a1b2c3d4e5f".into(),
            amount: dec!(900.5),
            balance_source: Some(v3::types::BalanceSource::Deposit),
            saved_beneficiary_id: None,
            beneficiary_details: Some(v3::types::BeneficiaryDetails {
                beneficiary_type: Some(v3::types::BeneficiaryType::Crypto),
                name: Some("Treasury".into()),
                wallet_address: Some("0x9f2C4a1B7e3D5c6A8b0E1f2a3B4c5D6e7F8a9b0C".into()),
                chain: Some("CELO".into()),
                token: Some("USDC".into()),
                ..Default::default()
            }),
            sub_reference: Some("GH-1".into()),
            integrator_note: Some("USD leg".into()),
        },
    ]
}

fn batch_items_json() -> serde_json::Value {
    json!([
        {"walletId": "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10", "amount": 150000,
         "balanceSource": "PAYOUT", "savedBeneficiaryId": "ben-31", "subReference": "KE-1"},
        {"walletId": "7c2e9f00-1d3b-4c5a-8e6f-0a1b2c3d4e5f", "amount": 900.5,
         "balanceSource": "DEPOSIT",
         "beneficiaryDetails": {"beneficiaryType": "crypto", "name": "Treasury",
             "walletAddress": "0x9f2C4a1B7e3D5c6A8b0E1f2a3B4c5D6e7F8a9b0C",
             "chain": "CELO", "token": "USDC"},
         "subReference": "GH-1", "integratorNote": "USD leg"}
    ])
}

fn batch_json(id: &str, reference: &str, status: &str) -> serde_json::Value {
    let mut a = settlement_json("stl-1", "STL-20250203-0001", "PENDING");
    a["subReference"] = json!("KE-1");
    let mut b = settlement_json("stl-2", "STL-20250203-0002", "PENDING");
    b["subReference"] = json!("GH-1");
    json!({"id": id, "batchReference": reference, "status": status,
        "totalTentativeUsdAmount": 3861.0, "settlements": [a, b]})
}

#[tokio::test]
async fn op_create_settlement_batch() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/integrator/settlements/batch")
                .header("authorization", bearer())
                .json_body(json!({"batchReference": "BATCH-2025-02-07",
                    "callbackUrl": "https://example.com/hooks/settlements",
                    "integratorNote": "Weekly run", "requests": batch_items_json()}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Settlement batch created",
                "data": batch_json("sb-501", "BATCH-2025-02-07", "PENDING")}));
        })
        .await;
    let body = v3::types::CreateSettlementBatchRequest::builder()
        .batch_reference(Some("BATCH-2025-02-07".to_string()))
        .callback_url(Some("https://example.com/hooks/settlements".to_string()))
        .integrator_note(Some("Weekly run".to_string()))
        .requests(batch_items());
    let batch = client(&server)
        .create_settlement_batch()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(batch["id"], "sb-501");
    assert_eq!(batch["batchReference"], "BATCH-2025-02-07");
    assert_eq!(batch["status"], "PENDING");
    assert_eq!(batch["settlements"].as_array().unwrap().len(), 2);
    assert_eq!(batch["settlements"][1]["subReference"], "GH-1");
}

#[tokio::test]
async fn money_create_settlement_batch_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/integrator/settlements/batch");
            then.status(503)
                .header("content-type", "application/json")
                .body(UNAVAILABLE);
        })
        .await;
    let body = v3::types::CreateSettlementBatchRequest::builder().requests(batch_items());
    let err = client(&server)
        .create_settlement_batch()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert!(err.is_outcome_unknown());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn money_create_settlement_batch_with_reference_is_retried() {
    let ok = json!({"success": true, "message": "Settlement batch created",
        "data": batch_json("sb-502", "BATCH-2025-02-08", "PENDING")})
    .to_string();
    let server = common::start(move |n, _req| {
        if n == 0 {
            common::json(503, UNAVAILABLE)
        } else {
            common::json(201, &ok)
        }
    })
    .await;
    let body = v3::types::CreateSettlementBatchRequest::builder()
        .batch_reference(Some("BATCH-2025-02-08".to_string()))
        .requests(batch_items());
    let batch = client_at(&server.base_url)
        .create_settlement_batch()
        .body(body)
        .data()
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    assert_eq!(batch["id"], "sb-502");
    let seen = server.requests();
    assert_eq!(seen[0].path, "/api/v3/integrator/settlements/batch");
    assert_eq!(seen[0].body, seen[1].body, "the retry resends the same batch");
    let sent: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(sent["batchReference"], "BATCH-2025-02-08");
    assert_eq!(seen[1].header("authorization"), Some(bearer().as_str()));
}

#[tokio::test]
async fn op_list_settlement_batches() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlements/batch")
                .query_param("status", "APPROVED")
                .query_param("limit", "5")
                .query_param("offset", "10")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement batches retrieved",
                "data": [batch_json("sb-501", "BATCH-2025-02-07", "APPROVED")]}));
        })
        .await;
    let batches = client(&server)
        .list_settlement_batches()
        .status("APPROVED")
        .limit(5)
        .offset(10)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["status"], "APPROVED");
    assert_eq!(batches[0]["totalTentativeUsdAmount"], 3861.0);
}

#[tokio::test]
async fn op_get_settlement_batch() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlements/batch/sb-501")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement batch retrieved",
                "data": batch_json("sb-501", "BATCH-2025-02-07", "UNDER_REVIEW")}));
        })
        .await;
    let b = client(&server)
        .get_settlement_batch()
        .batch_id("sb-501")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(b["id"], "sb-501");
    assert_eq!(b["status"], "UNDER_REVIEW");
    assert_eq!(b["settlements"][0]["referenceId"], "STL-20250203-0001");
}

#[tokio::test]
async fn op_cancel_settlement_batch() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v3/integrator/settlements/batch/sb-501")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement batch cancelled",
                "data": {"id": "sb-501", "batchReference": "BATCH-2025-02-07", "status": "CANCELLED",
                    "totalTentativeUsdAmount": 3861.0, "settlements": []}}));
        })
        .await;
    let env = client(&server)
        .cancel_settlement_batch()
        .batch_id("sb-501")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Settlement batch cancelled");
    assert_eq!(env.data["status"], "CANCELLED");
    assert!(env.data["settlements"].as_array().unwrap().is_empty());
}

fn merge_body(reference: Option<&str>) -> v3::types::builder::MergeSettlementsRequest {
    v3::types::MergeSettlementsRequest::builder()
        .settlement_ids(vec!["stl-1".to_string(), "stl-2".to_string()])
        .batch_reference(reference.map(str::to_string))
        .integrator_note(Some("Merged February requests".to_string()))
}

#[tokio::test]
async fn op_merge_settlements() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/integrator/settlements/merge")
                .header("authorization", bearer())
                .json_body(json!({"settlementIds": ["stl-1", "stl-2"],
                    "batchReference": "MERGE-2025-02-09",
                    "integratorNote": "Merged February requests"}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Settlements merged",
                "data": batch_json("sb-600", "MERGE-2025-02-09", "PENDING")}));
        })
        .await;
    let env = client(&server)
        .merge_settlements()
        .body(merge_body(Some("MERGE-2025-02-09")))
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Settlements merged");
    assert_eq!(env.data["id"], "sb-600");
    assert_eq!(env.data["batchReference"], "MERGE-2025-02-09");
    assert_eq!(env.data["settlements"][1]["id"], "stl-2");
}

#[tokio::test]
async fn money_merge_settlements_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/integrator/settlements/merge");
            then.status(503)
                .header("content-type", "application/json")
                .body(UNAVAILABLE);
        })
        .await;
    let err = client(&server)
        .merge_settlements()
        .body(merge_body(None))
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert!(err.is_outcome_unknown());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn op_update_settlement_notification_preferences() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v3/integrator/settlements/notification-preferences")
                .header("authorization", bearer())
                .json_body(json!({"settlementNotificationEmail": "treasury@example.com",
                    "settlementNotificationsEnabled": true,
                    "settlementSlackWebhookUrl": "https://hooks.slack.com/services/T000/B000/XXXX",
                    "settlementSlackEnabled": true}));
            then.status(200).json_body(
                json!({"success": true, "message": "Notification preferences updated",
                "data": {"settlementNotificationEmail": "treasury@example.com",
                    "settlementNotificationsEnabled": true, "settlementSlackEnabled": true}}),
            );
        })
        .await;
    let body = v3::types::UpdateSettlementNotificationPreferencesRequest {
        settlement_notification_email: Some("treasury@example.com".into()),
        settlement_notifications_enabled: Some(true),
        settlement_slack_webhook_url: Some("https://hooks.slack.com/services/T000/B000/XXXX".into()),
        settlement_slack_enabled: Some(true),
    };
    let env = client(&server)
        .update_settlement_notification_preferences()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Notification preferences updated");
    assert_eq!(env.data["settlementNotificationEmail"], "treasury@example.com");
    assert_eq!(env.data["settlementSlackEnabled"], true);
}

#[tokio::test]
async fn op_get_settlement_config() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlement-config")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement config retrieved",
                "data": {"defaultBalanceSource": "DEPOSIT", "defaultCurrency": "UGX"}}));
        })
        .await;
    let cfg = client(&server).get_settlement_config().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(cfg["defaultBalanceSource"], "DEPOSIT");
    assert_eq!(cfg["defaultCurrency"], "UGX");
}

#[tokio::test]
async fn op_update_settlement_config() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v3/integrator/settlement-config")
                .header("authorization", bearer())
                .json_body(json!({"defaultBalanceSource": "ADMIN_SELECT", "defaultCurrency": "GHS"}));
            then.status(200)
                .json_body(json!({"success": true, "message": "Settlement config updated",
                "data": {"defaultBalanceSource": "ADMIN_SELECT", "defaultCurrency": "GHS"}}));
        })
        .await;
    let body = v3::types::UpdateSettlementConfigRequest {
        default_balance_source: Some(v3::types::BalanceSource::AdminSelect),
        default_currency: Some("GHS".into()),
    };
    let env = client(&server)
        .update_settlement_config()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Settlement config updated");
    assert_eq!(env.data["defaultBalanceSource"], "ADMIN_SELECT");
    assert_eq!(env.data["defaultCurrency"], "GHS");
}

#[tokio::test]
async fn op_list_saved_beneficiaries() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/integrator/settlement-config/beneficiaries")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Beneficiaries retrieved",
                "data": [
                    {"id": "ben-31", "nickname": "KCB main", "isDefault": true, "beneficiaryType": "bank",
                     "accountName": "A&B Company Ltd", "accountNumber": "0012345678",
                     "bankName": "KCB Bank", "bankCode": "01"},
                    {"id": "ben-32", "nickname": "Celo treasury", "isDefault": false,
                     "beneficiaryType": "crypto", "name": "Treasury",
                     "walletAddress": "0x9f2C4a1B7e3D5c6A8b0E1f2a3B4c5D6e7F8a9b0C",
                     "chain": "CELO", "token": "USDC"}]}));
        })
        .await;
    let list = client(&server).list_saved_beneficiaries().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], "ben-31");
    // A leading zero in an account number survives: it is a string.
    assert_eq!(list[0]["accountNumber"], "0012345678");
    assert_eq!(list[1]["beneficiaryType"], "crypto");
    assert_eq!(list[1]["isDefault"], false);
}

#[tokio::test]
async fn op_create_saved_beneficiary() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/integrator/settlement-config/beneficiaries")
                .header("authorization", bearer())
                .json_body(json!({"nickname": "Celo treasury", "isDefault": false,
                    "beneficiaryType": "crypto", "name": "Treasury",
                    "walletAddress": "0x9f2C4a1B7e3D5c6A8b0E1f2a3B4c5D6e7F8a9b0C",
                    "chain": "CELO", "token": "USDC"}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Beneficiary saved",
                "data": {"id": "ben-32", "nickname": "Celo treasury", "isDefault": false,
                    "beneficiaryType": "crypto", "name": "Treasury",
                    "walletAddress": "0x9f2C4a1B7e3D5c6A8b0E1f2a3B4c5D6e7F8a9b0C",
                    "chain": "CELO", "token": "USDC"}}));
        })
        .await;
    let body = v3::types::SavedBeneficiaryRequest {
        nickname: Some("Celo treasury".into()),
        is_default: Some(false),
        beneficiary_type: Some(v3::types::BeneficiaryType::Crypto),
        name: Some("Treasury".into()),
        wallet_address: Some("0x9f2C4a1B7e3D5c6A8b0E1f2a3B4c5D6e7F8a9b0C".into()),
        chain: Some("CELO".into()),
        token: Some("USDC".into()),
        ..Default::default()
    };
    let env = client(&server)
        .create_saved_beneficiary()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Beneficiary saved");
    assert_eq!(env.data["id"], "ben-32");
    assert_eq!(env.data["chain"], "CELO");
}

#[tokio::test]
async fn op_update_saved_beneficiary() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v3/integrator/settlement-config/beneficiaries/ben-31")
                .header("authorization", bearer())
                .json_body(json!({"nickname": "KCB operations", "isDefault": false}));
            then.status(200)
                .json_body(json!({"success": true, "message": "Beneficiary updated",
                "data": {"id": "ben-31", "nickname": "KCB operations", "isDefault": false,
                    "beneficiaryType": "bank", "accountName": "A&B Company Ltd",
                    "accountNumber": "0012345678", "bankName": "KCB Bank", "bankCode": "01"}}));
        })
        .await;
    let body = v3::types::SavedBeneficiaryRequest {
        nickname: Some("KCB operations".into()),
        is_default: Some(false),
        ..Default::default()
    };
    let b = client(&server)
        .update_saved_beneficiary()
        .beneficiary_id("ben-31")
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(b["nickname"], "KCB operations");
    assert_eq!(b["isDefault"], false);
    assert_eq!(b["bankName"], "KCB Bank");
}

#[tokio::test]
async fn op_delete_saved_beneficiary() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v3/integrator/settlement-config/beneficiaries/ben-31")
                .header("authorization", bearer());
            then.status(200)
                .json_body(json!({"success": true, "message": "Beneficiary deleted", "data": {}}));
        })
        .await;
    let env = client(&server)
        .delete_saved_beneficiary()
        .beneficiary_id("ben-31")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(env.success);
    assert_eq!(env.message, "Beneficiary deleted");
    assert!(env.data.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bulk payments
// ---------------------------------------------------------------------------------------------

const BULK: &str = "/api/v3/dashboard/bulk-payments/api";

#[tokio::test]
async fn op_list_bulk_payment_wallets() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/wallets"))
                .header("authorization", bearer());
            // Upstream declares the bare DTO: no success/message here.
            then.status(200).json_body(json!({"data": [
                {"id": "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10", "name": "Payroll KES",
                 "currency": "KES", "balance": 480000.75},
                {"id": "7c2e9f00-1d3b-4c5a-8e6f-0a1b2c3d4e5f", "name": "Payroll ZMW",
                 "currency": "ZMW", "balance": 0}]}));
        })
        .await;
    let env = client(&server).list_bulk_payment_wallets().call().await.unwrap();
    m.assert_async().await;
    assert_eq!(env.success, None);
    assert_eq!(env.message, None);
    assert_eq!(env.data.len(), 2);
    assert_eq!(env.data[0].name, "Payroll KES");
    assert_eq!(env.data[0].balance, dec!(480000.75));
    assert_eq!(env.data[1].currency, "ZMW");
    assert_eq!(env.data[1].balance, dec!(0));
}

#[tokio::test]
async fn op_validate_bulk_payment_csv() {
    let csv = "recipientName,recipientEmail,recipientPhone,amount,currency,reference,network\n\
               Amina Otieno,amina.otieno@example.com,+254700000001,1200,KES,PAY-0101,MPESA";
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BULK}/validate-csv"))
                .header("authorization", bearer())
                .json_body(json!({"fileName": "february.csv", "content": csv}));
            then.status(200)
                .json_body(json!({"success": true, "message": "CSV validated",
                "data": {"isValid": false, "totalRecords": 1, "currencies": ["KES"],
                    "errors": ["Row 3: amount must be a positive number"],
                    "warnings": ["Row 2: duplicate phone number"],
                    "currencyBreakdown": {"KES": {"count": 1, "totalAmount": 1200}},
                    "fileHash": "3b1f0a9c", "isDuplicate": true}}));
        })
        .await;
    let body: v3::types::ValidateCsvRequest =
        serde_json::from_value(json!({"fileName": "february.csv", "content": csv})).unwrap();
    let v = client(&server)
        .validate_bulk_payment_csv()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(!v.is_valid);
    assert!(v.is_duplicate);
    assert_eq!(v.total_records, 1);
    assert_eq!(v.currencies, vec!["KES".to_string()]);
    assert_eq!(
        v.errors,
        vec!["Row 3: amount must be a positive number".to_string()]
    );
    assert_eq!(v.warnings.len(), 1);
    assert_eq!(v.currency_breakdown["KES"]["totalAmount"], 1200);
    assert_eq!(v.file_hash, "3b1f0a9c");
}

#[tokio::test]
async fn op_preview_bulk_payment() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BULK}/preview"))
                .header("authorization", bearer())
                .json_body(bulk_request_json());
            let r = bulk_request_json()["recipients"].clone();
            then.status(200)
                .json_body(json!({"success": true, "message": "Preview generated",
                "data": {"totalBatches": 1, "totalRecipients": 2, "currencyBreakdown": [
                    {"currency": "KES", "recipientCount": 2, "totalAmount": 3200,
                     "walletId": "0b7d3c1e-5a44-4f0e-9d61-2f1b8e7a9c10", "recipients": r}]}}));
        })
        .await;
    let p = client(&server)
        .preview_bulk_payment()
        .body(bulk_request())
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(p.total_batches, 1);
    assert_eq!(p.total_recipients, 2);
    let kes = &p.currency_breakdown[0];
    assert_eq!(kes.currency, "KES");
    assert_eq!(kes.recipient_count, 2);
    assert_eq!(kes.total_amount, dec!(3200));
    assert_eq!(kes.recipients[1].reference, "PAY-0102");
    assert_eq!(kes.recipients[1].amount, dec!(2000));
}

#[tokio::test]
async fn op_create_bulk_payment_batches() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BULK}/batches/create"))
                .header("authorization", bearer())
                .json_body(bulk_request_json());
            then.status(201)
                .json_body(json!({"success": true, "message": "Bulk payment batches created",
                "data": [bulk_batch_json("bpb-801", "PENDING")]}));
        })
        .await;
    let batches = client(&server)
        .create_bulk_payment_batches()
        .body(bulk_request())
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(b.id, "bpb-801");
    assert_eq!(b.status, "PENDING");
    assert_eq!(b.total_amount, dec!(3200));
    assert_eq!(b.pending_payments, 2);
    assert_eq!(b.progress[0].step, "VALIDATION");
    assert_eq!(
        b.progress[0].completed_at.as_deref(),
        Some("2025-02-10T07:30:02.000Z")
    );
    assert_eq!(b.progress[0].details["validRecipients"], 3);
}

#[tokio::test]
async fn money_create_bulk_payment_batches_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BULK}/batches/create"));
            then.status(503)
                .header("content-type", "application/json")
                .body(UNAVAILABLE);
        })
        .await;
    let err = client(&server)
        .create_bulk_payment_batches()
        .body(bulk_request())
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert!(err.is_outcome_unknown());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn op_list_bulk_payment_batches() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/batches"))
                .query_param("page", "2")
                .query_param("limit", "25")
                .query_param("status", "PENDING")
                .query_param("currency", "KES")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Bulk payment batches retrieved successfully",
                "data": [bulk_batch_json("bpb-801", "PENDING"), bulk_batch_json("bpb-802", "PENDING")]}));
        })
        .await;
    let env = client(&server)
        .list_bulk_payment_batches()
        .page(2)
        .limit(25)
        .status("PENDING")
        .currency("KES")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.success, Some(true));
    assert_eq!(env.data.len(), 2);
    assert_eq!(env.data[1]["id"], "bpb-802");
    assert_eq!(env.data[0]["batchName"], "February payroll");
}

#[tokio::test]
async fn op_get_bulk_payment_batch() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/batches/bpb-801"))
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Bulk payment batch retrieved successfully",
                "data": bulk_batch_json("bpb-801", "PROCESSING")}));
        })
        .await;
    let b = client(&server)
        .get_bulk_payment_batch()
        .batch_id("bpb-801")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(b["id"], "bpb-801");
    assert_eq!(b["status"], "PROCESSING");
    assert_eq!(b["totalPayments"], 3);
}

#[tokio::test]
async fn op_process_bulk_payment_batch() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BULK}/batches/bpb-801/process"))
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Bulk payment batch processed successfully",
                "data": bulk_batch_json("bpb-801", "PROCESSING")}));
        })
        .await;
    let env = client(&server)
        .process_bulk_payment_batch()
        .batch_id("bpb-801")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(
        env.message.as_deref(),
        Some("Bulk payment batch processed successfully")
    );
    assert_eq!(env.data["status"], "PROCESSING");
    assert_eq!(env.data["progress"][0]["status"], "COMPLETED");
}

#[tokio::test]
async fn money_process_bulk_payment_batch_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BULK}/batches/bpb-801/process"));
            then.status(503)
                .header("content-type", "application/json")
                .body(UNAVAILABLE);
        })
        .await;
    let err = client(&server)
        .process_bulk_payment_batch()
        .batch_id("bpb-801")
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert!(err.is_outcome_unknown());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn op_list_bulk_payment_batch_payments() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/batches/bpb-801/payments"))
                .query_param("page", "1")
                .query_param("limit", "50")
                .query_param("status", "FAILED")
                .query_param("currency", "KES")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Batch payments retrieved successfully",
                "data": [{"id": "bpp-1", "recipientName": "Brian Kamau",
                    "recipientEmail": "brian.kamau@example.com", "recipientPhone": "+254700000002",
                    "amount": 2000, "currency": "KES", "reference": "PAY-0102", "status": "FAILED",
                    "errorMessage": "Insufficient funds", "retryCount": 2, "network": "MPESA",
                    "createdAt": "2025-02-10T07:31:00.000Z"}]}));
        })
        .await;
    let payments = client(&server)
        .list_bulk_payment_batch_payments()
        .batch_id("bpb-801")
        .page(1)
        .limit(50)
        .status("FAILED")
        .currency("KES")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["status"], "FAILED");
    assert_eq!(payments[0]["errorMessage"], "Insufficient funds");
    assert_eq!(payments[0]["retryCount"], 2);
}

#[tokio::test]
async fn op_list_bulk_payment_transactions() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/transactions"))
                .query_param("page", "3")
                .query_param("limit", "10")
                .query_param("status", "COMPLETED")
                .query_param("currency", "ZMW")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Transactions retrieved successfully",
                "data": [{"id": "bpt-9", "transactionName": "February payroll",
                    "description": "Field agents", "status": "COMPLETED", "fileName": "february.csv",
                    "totalBatches": 1, "totalRecipients": 4, "totalAmount": 800,
                    "currencies": ["ZMW"], "completedBatches": 1, "failedBatches": 0,
                    "createdAt": "2025-02-10T07:30:00.000Z", "createdBy": "ops@example.com"}]}));
        })
        .await;
    let items = client(&server)
        .list_bulk_payment_transactions()
        .page(3)
        .limit(10)
        .status("COMPLETED")
        .currency("ZMW")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "bpt-9");
    assert_eq!(items[0]["currencies"][0], "ZMW");
    assert_eq!(items[0]["createdBy"], "ops@example.com");
}

#[tokio::test]
async fn op_get_bulk_payment_transaction() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/transactions/bpt-9"))
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Transaction details retrieved successfully",
                "data": {"id": "bpt-9", "transactionName": "February payroll",
                    "description": "Field agents", "status": "PROCESSING", "fileName": "february.csv",
                    "totalBatches": 1, "totalRecipients": 3, "totalAmount": 3200,
                    "currencies": ["KES"], "completedBatches": 0, "failedBatches": 0,
                    "createdAt": "2025-02-10T07:30:00.000Z", "createdBy": "ops@example.com",
                    "batches": [bulk_batch_json("bpb-801", "PROCESSING")]}}));
        })
        .await;
    let t = client(&server)
        .get_bulk_payment_transaction()
        .transaction_id("bpt-9")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(t.id, "bpt-9");
    assert_eq!(t.transaction_name, "February payroll");
    assert_eq!(t.status, "PROCESSING");
    assert_eq!(t.total_recipients, 3);
    assert_eq!(t.total_amount, dec!(3200));
    assert_eq!(t.created_by, "ops@example.com");
    assert_eq!(t.batches.len(), 1);
    assert_eq!(t.batches[0].id, "bpb-801");
    assert_eq!(t.batches[0].successful_payments, 1);
}

#[tokio::test]
async fn op_get_bulk_payment_stats() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{BULK}/stats"))
                .query_param("page", "1")
                .query_param("limit", "100")
                .query_param("status", "COMPLETED")
                .query_param("currency", "KES")
                .header("authorization", bearer());
            then.status(200).json_body(json!({"success": true,
                "message": "Bulk payment statistics retrieved successfully",
                "data": {"totalBatches": 6, "totalSuccessfulPayments": 57, "totalFailedPayments": 3,
                    "averageBatchSize": 10.0, "successRate": 95.0,
                    "currencyBreakdown": {"KES": {"totalAmount": 120000, "totalBatches": 6,
                        "totalPayments": 60}}}}));
        })
        .await;
    let s = client(&server)
        .get_bulk_payment_stats()
        .page(1)
        .limit(100)
        .status("COMPLETED")
        .currency("KES")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(s.total_batches, 6);
    assert_eq!(s.total_successful_payments, 57);
    assert_eq!(s.total_failed_payments, 3);
    assert_eq!(s.average_batch_size, 10.0);
    assert_eq!(s.success_rate, 95.0);
    assert_eq!(s.currency_breakdown["KES"]["totalPayments"], 60);
}

// ---------------------------------------------------------------------------------------------
// SMS (public: no credential is sent)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_send_sms() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/sms/send")
                .header_missing("authorization")
                .json_body(json!({"to": "+256772123456", "message": "Your code is 482913"}));
            then.status(200)
                .json_body(json!({"success": true, "message": "SMS sent successfully",
                "data": {"to": "+256772123456", "status": "Success", "messageId": "ATXid_4f1c"}}));
        })
        .await;
    let body = v3::types::SendSmsRequest {
        to: "+256772123456".into(),
        message: "Your code is 482913".into(),
    };
    // A client holding a key still sends none to a public operation.
    let env = client(&server).send_sms().body(body).call().await.unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "SMS sent successfully");
    assert_eq!(env.data["status"], "Success");
    assert_eq!(env.data["messageId"], "ATXid_4f1c");
}

#[tokio::test]
async fn op_register_sms_client() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/sms/clients")
                .header_missing("authorization")
                .json_body(json!({"webhookUrl": "https://example.com/hooks/sms"}));
            then.status(201).json_body(json!({"success": true,
                "message": "SMS client registered successfully",
                "data": {"id": "smsc-12", "webhookUrl": "https://example.com/hooks/sms"}}));
        })
        .await;
    let body = v3::types::RegisterSmsClientRequest {
        webhook_url: "https://example.com/hooks/sms".into(),
    };
    let got = client(&server)
        .register_sms_client()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(got["id"], "smsc-12");
    assert_eq!(got["webhookUrl"], "https://example.com/hooks/sms");
}
