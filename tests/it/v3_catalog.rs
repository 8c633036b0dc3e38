//! v3 catalogue operations: integrator webhook settings, providers, rates and quotes (private and
//! public), fiat and crypto wallets, customers, account validation and country/bank support.
//!
//! Each `op_<operation_id>` test checks what the server sees (method, path, query, credential,
//! body written by hand from the API facts) and what the client decodes.

use crate::common;

use httpmock::Method::{GET, PATCH, POST};
use httpmock::MockServer;
use kotanipay::prelude::*;
use kotanipay::v3;
use kotanipay::v3::types as t;
use rust_decimal_macros::dec;
use serde_json::json;

const KEY: &str = "test-api-key-c4t4";
const BEARER: &str = "Bearer test-api-key-c4t4";

fn client(server: &MockServer) -> v3::Client {
    v3::Client::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .build()
        .unwrap()
}

fn fast_retry_client(base_url: &str) -> v3::Client {
    common::v3_client(base_url, KEY)
}

fn fiat_wallet_json(id: &str, name: &str, balance: f64, deposit_balance: f64) -> serde_json::Value {
    json!({"id": id, "name": name, "type": "fiat", "currency": "KES", "country": "KE",
        "integrator": "5550cb6a-f7c7-11ed-b67e-0242ac120099", "status": "active",
        "balance": balance, "deposit_balance": deposit_balance})
}

fn customer_json(key: &str, phone: &str) -> serde_json::Value {
    json!({"id": "65b2f0c2e4b0a1b2c3d4e5a7", "customer_key": key, "phone_number": phone,
        "country_code": "KE", "network": "MPESA", "account_name": "Amina Wanjiru",
        "integrator": "5550cb6a-f7c7-11ed-b67e-0242ac120099", "first_name": "Amina",
        "last_name": "Wanjiru"})
}

// ---------------------------------------------------------------------------------------------
// Key check

/// The founding API-keys page checks a key with `GET /api/v3/health` and the bearer key; unlike
/// `get_health` (`GET /health`), the credential is sent.
#[tokio::test]
async fn op_check_api_key() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/health")
                .header("authorization", BEARER);
            then.status(200)
                .json_body(json!({"status": "ok", "timestamp": "2026-04-20T11:45:03Z"}));
        })
        .await;
    let got = client(&server).check_api_key().call().await.unwrap();
    m.assert_async().await;
    assert_eq!(got.status, "ok");
    assert_eq!(got.timestamp.as_deref(), Some("2026-04-20T11:45:03Z"));
    assert_eq!(got.info, None);
    assert!(got.details.is_empty());
}

/// A key the server refuses is an authentication error, which is what the check is for.
#[tokio::test]
async fn check_api_key_with_a_refused_key_is_an_auth_error() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/health")
                .header("authorization", BEARER);
            then.status(401).json_body(
                json!({"success": false, "message": "Invalid API Key", "error_code": 401, "data": {}}),
            );
        })
        .await;
    let err = client(&server).check_api_key().call().await.unwrap_err();
    m.assert_async().await;
    assert_eq!(err.kind(), kotanipay::ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), "Invalid API Key");
}

// ---------------------------------------------------------------------------------------------
// Integrator and providers

#[tokio::test]
async fn op_update_integrator_webhook() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v3/integrator/webhook")
                .header("authorization", BEARER)
                .header("content-type", "application/json")
                .json_body(json!({
                    "webhook_url": "https://hooks.example.org/kotani",
                    "webhook_secret": "whsec_9f8e7d6c",
                    "webhook_events": ["transaction.withdrawal.status.updated", "refund.failed"]
                }));
            then.status(200).json_body(json!({"success": true,
                "message": "Integrator webhook settings updated successfully.",
                "data": {"id": "66f1c0ffee0000000000beef", "organization": "Jua Traders",
                    "first_name": "Wanjiku", "last_name": "Otieno", "email": "ops@jua.example",
                    "phone": "+254711000111", "webhook_url": "https://hooks.example.org/kotani",
                    "webhook_events": ["transaction.withdrawal.status.updated", "refund.failed"]}}));
        })
        .await;
    let body = t::UpdateIntegratorWebhookRequest {
        webhook_url: Some("https://hooks.example.org/kotani".into()),
        webhook_secret: Some(kotanipay::Secret::new("whsec_9f8e7d6c")),
        webhook_events: vec![
            t::WebhookEventInput::TransactionWithdrawalStatusUpdated,
            t::WebhookEventInput::RefundFailed,
        ],
    };
    let env = client(&server)
        .update_integrator_webhook()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Integrator webhook settings updated successfully.");
    let me = env.data;
    assert_eq!(me.organization, "Jua Traders");
    assert_eq!(
        me.webhook_url.as_deref(),
        Some("https://hooks.example.org/kotani")
    );
    assert_eq!(
        me.webhook_events,
        vec![
            t::WebhookEvent::TransactionWithdrawalStatusUpdated,
            t::WebhookEvent::RefundFailed
        ]
    );
}

#[tokio::test]
async fn op_list_payment_providers() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/providers")
                .header("authorization", BEARER)
                .json_body(json!({"currency": "GHS", "paymentMethod": "mobile_money"}));
            then.status(201).json_body(
                json!({"success": true, "message": "Providers retrieved successfully",
                "data": {"currency": "GHS", "paymentMethod": "mobile_money",
                    "providers": [{"name": "MTN MoMo"}, {"name": "Telecel Cash"}]}}),
            );
        })
        .await;
    let body = t::ListPaymentProvidersRequest::builder()
        .currency("GHS")
        .payment_method(t::PaymentMethod::MobileMoney);
    let env = client(&server)
        .list_payment_providers()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(env.success);
    assert_eq!(env.message, "Providers retrieved successfully");
    assert_eq!(env.data["currency"], "GHS");
    assert_eq!(env.data["providers"][1]["name"], "Telecel Cash");
}

// ---------------------------------------------------------------------------------------------
// Rates and quotes

#[tokio::test]
async fn op_list_rates() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/rate")
                .header("authorization", BEARER);
            then.status(200)
                .json_body(json!({"success": true, "message": "Available exchange rate.",
                "data": [{"from": "USD", "to": "KES", "value": "129.75"},
                         {"from": "USD", "to": "UGX", "value": "3702.1"},
                         {"from": "USD", "to": "ZAR", "value": "18.44"}]}));
        })
        .await;
    let rates = client(&server).list_rates().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(rates.len(), 3);
    assert_eq!((rates[0].from.as_str(), rates[0].to.as_str()), ("USD", "KES"));
    assert_eq!(rates[0].value, "129.75");
    assert_eq!(rates[2].to, "ZAR");
}

#[tokio::test]
async fn op_get_rate() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/rate/USD/GHS")
                .header("authorization", BEARER);
            then.status(200)
                .json_body(json!({"success": true, "message": "Available exchange rate.",
                "data": {"from": "USD", "to": "GHS", "value": "15.37"}}));
        })
        .await;
    let rate = client(&server)
        .get_rate()
        .from("USD")
        .to("GHS")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(rate.from, "USD");
    assert_eq!(rate.to, "GHS");
    assert_eq!(rate.value, "15.37");
}

#[tokio::test]
async fn op_create_onramp_quote() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/rate/onramp")
                .header("authorization", BEARER)
                .json_body(json!({"from": "KES", "to": "USDC", "fiatAmount": 2500, "source": "fiat"}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Available exchange rate.",
                "data": {"from": "KES", "to": "USDC", "value": "0.00771", "id": "q_onr_77aa01",
                    "fiatAmount": 2500, "cryptoAmount": 18.7, "transactionAmount": 2437.5, "fee": 62.5}}));
        })
        .await;
    let body = t::CreateOnrampQuoteRequest::builder()
        .from("KES")
        .to(t::QuoteToken::Usdc)
        .fiat_amount(dec!(2500))
        .source(Some(t::RateSource::Fiat));
    let q = client(&server)
        .create_onramp_quote()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(q.id, "q_onr_77aa01");
    assert_eq!(q.value, "0.00771");
    assert_eq!(q.fiat_amount, dec!(2500));
    assert_eq!(q.crypto_amount, dec!(18.7));
    assert_eq!(q.transaction_amount, dec!(2437.5));
    assert_eq!(q.fee, dec!(62.5));
    assert_eq!(q.wallet_debit_amount, None);
}

#[tokio::test]
async fn op_create_offramp_quote() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/rate/offramp")
                .header("authorization", BEARER)
                .json_body(json!({"from": "USDT", "to": "UGX", "cryptoAmount": 25, "source": "crypto"}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Available exchange rate.",
                "data": {"from": "USDT", "to": "UGX", "value": "3690.5", "id": "q_ofr_c0ffee",
                    "fiatAmount": 92262.5, "cryptoAmount": 25, "transactionAmount": 90417,
                    "fee": 1845.5, "walletDebitAmount": 94108}}));
        })
        .await;
    let body = t::CreateOfframpQuoteRequest::builder()
        .from(t::QuoteToken::Usdt)
        .to("UGX")
        .crypto_amount(dec!(25))
        .source(Some(t::RateSource::Crypto));
    let q = client(&server)
        .create_offramp_quote()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(q.id, "q_ofr_c0ffee");
    assert_eq!((q.from.as_str(), q.to.as_str()), ("USDT", "UGX"));
    assert_eq!(q.fiat_amount, dec!(92262.5));
    assert_eq!(q.fee, dec!(1845.5));
    assert_eq!(q.wallet_debit_amount, Some(dec!(94108)));
}

#[tokio::test]
async fn op_create_fiat_quote() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/rate/fiat")
                .header("authorization", BEARER)
                .json_body(json!({"from": "GHS", "to": "KES", "amount": 800}));
            then.status(201)
                .json_body(json!({"success": true, "message": "Available exchange rate.",
                "data": {"from": "GHS", "to": "KES", "value": "8.42", "depositAmount": 800,
                    "withdrawalAmount": 6736, "depositTransactionAmount": 816,
                    "withdrawalTransactionAmount": 6636, "depositFee": 16, "withdrawalFee": 100}}));
        })
        .await;
    let body = t::CreateFiatQuoteRequest::builder()
        .from("GHS")
        .to("KES")
        .amount(dec!(800));
    let q = client(&server)
        .create_fiat_quote()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(q.value, "8.42");
    assert_eq!(q.deposit_amount, dec!(800));
    assert_eq!(q.deposit_transaction_amount, dec!(816));
    assert_eq!(q.withdrawal_transaction_amount, dec!(6636));
    assert_eq!(q.deposit_fee, dec!(16));
    assert_eq!(q.withdrawal_fee, dec!(100));
}

#[tokio::test]
async fn op_create_crypto_bridge_quote() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/rate/crypto-bridge")
                .header("authorization", BEARER)
                .json_body(json!({"source_currency": "KES", "source_amount": 5000,
                    "crypto_chain": "LIGHTNING", "crypto_token": "MSAT"}));
            then.status(201).json_body(json!({"success": true,
                "message": "Crypto bridge rate quote generated successfully.",
                "data": {"rate_id": "RATE-CB-1732460000-ABC987", "source_amount": 5000,
                    "source_currency": "KES", "crypto_amount": 750000000, "crypto_unit": "msat",
                    "chain": "LIGHTNING", "token": "MSAT",
                    "exchange_rate": {"fiat_to_btc": "0.00000015", "btc_to_msat": 100000000,
                        "exchange_rate_source": "KRAKEN"},
                    "fees": {"fiat_fee": 75, "fiat_fee_currency": "KES", "fee_percentage": 1.5},
                    "total_cost": 5075, "net_crypto_amount": 745000000,
                    "expires_at": "2024-11-24T14:01:00Z", "created_at": "2024-11-24T14:00:00Z"}}));
        })
        .await;
    let body = t::CreateCryptoBridgeQuoteRequest::builder()
        .source_currency("KES")
        .source_amount(dec!(5000))
        .crypto_chain(t::ChainInput::Lightning)
        .crypto_token(t::CryptoBridgeToken::Msat);
    let q = client(&server)
        .create_crypto_bridge_quote()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(q.rate_id, "RATE-CB-1732460000-ABC987");
    assert_eq!(q.chain, t::Chain::Lightning);
    assert_eq!(q.token, t::Token::Msat);
    assert_eq!(q.crypto_unit, "msat");
    assert_eq!(q.crypto_amount, dec!(750_000_000));
    assert_eq!(q.total_cost, dec!(5075));
    assert_eq!(q.exchange_rate["exchange_rate_source"], "KRAKEN");
    assert_eq!(q.fees["fee_percentage"], 1.5);
    assert_eq!(q.expires_at, "2024-11-24T14:01:00Z");
}

#[tokio::test]
async fn op_list_public_rates() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/public/rate")
                .header_missing("authorization");
            then.status(200)
                .json_body(json!({"success": true, "message": "Available exchange rates.",
                "data": [{"from": "USD", "to": "NGN", "value": "1540.2"},
                         {"from": "USD", "to": "TZS", "value": "2650"}]}));
        })
        .await;
    // The client holds a key, but a public operation sends none.
    let env = client(&server).list_public_rates().call().await.unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Available exchange rates.");
    assert_eq!(env.data.len(), 2);
    assert_eq!(env.data[0].to, "NGN");
    assert_eq!(env.data[1].value, "2650");
}

#[tokio::test]
async fn op_get_public_rate() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/public/rate/EUR/KES")
                .header_missing("authorization");
            then.status(200)
                .json_body(json!({"success": true, "message": "Available exchange rate.",
                "data": {"from": "EUR", "to": "KES", "value": "140.08"}}));
        })
        .await;
    let rate = client(&server)
        .get_public_rate()
        .from("EUR")
        .to("KES")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(rate.from, "EUR");
    assert_eq!(rate.to, "KES");
    assert_eq!(rate.value, "140.08");
}

// ---------------------------------------------------------------------------------------------
// Fiat wallets

#[tokio::test]
async fn op_create_fiat_wallet() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/wallet/fiat")
                .header("authorization", BEARER)
                .json_body(json!({"name": "Payroll KES", "currency": "KES", "country": "KE"}));
            then.status(201).json_body(json!({"success": true,
                "message": "Fiat wallet has been successfully created.",
                "data": fiat_wallet_json("a1b2c3d4-0000-4000-8000-000000000001", "Payroll KES", 0.0, 0.0)}));
        })
        .await;
    let body = t::CreateFiatWalletRequest::builder()
        .name("Payroll KES")
        .currency("KES")
        .country(Some("KE".to_string()));
    let w = client(&server)
        .create_fiat_wallet()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(w.id, "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(w.name, "Payroll KES");
    assert_eq!(w.type_, t::WalletType::Fiat);
    assert_eq!(w.status, Some(t::WalletStatus::Active));
    assert_eq!(w.balance, dec!(0));
    assert_eq!(w.deposit_balance, Some(dec!(0)));
}

#[tokio::test]
async fn op_list_fiat_wallets() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/wallet/fiat")
                .header("authorization", BEARER);
            let mut frozen = fiat_wallet_json("w-2", "Old collections", 0.0, 12.5);
            // A wallet status the spec does not list.
            frozen["status"] = json!("frozen");
            then.status(200).json_body(json!({"success": true,
                "message": "Fiat wallet has been successfully retrieved.",
                "data": [fiat_wallet_json("w-1", "Main", 1520.75, 310.0), frozen]}));
        })
        .await;
    let wallets = client(&server).list_fiat_wallets().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(wallets.len(), 2);
    assert_eq!(wallets[0].balance, dec!(1520.75));
    assert_eq!(wallets[0].deposit_balance, Some(dec!(310)));
    assert_eq!(wallets[0].status, Some(t::WalletStatus::Active));
    assert_eq!(wallets[1].status, Some(t::WalletStatus::Unknown("frozen".into())));
    assert_eq!(wallets[1].deposit_balance, Some(dec!(12.5)));
}

/// Fiat wallets as Kotani's 2023 Postman captures show them carry `balance` and no
/// `deposit_balance`: they still decode, with the deposit balance unknown.
#[tokio::test]
async fn fiat_wallets_without_a_deposit_balance_decode() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/wallet/fiat")
                .header("authorization", BEARER);
            then.status(200).json_body(json!({"success": true,
                "message": "The wallet has been successfully retrieved.",
                "data": [{"id": "66a0f1c2d3e4f5a6b7c8d9e0", "name": "Collections KES", "type": "fiat",
                    "balance": 0, "integrator": "66a0f1c2d3e4f5a6b7c8d9ff", "currency": "KES",
                    "status": "active"}]}));
        })
        .await;
    let wallets = client(&server).list_fiat_wallets().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(wallets.len(), 1);
    assert_eq!(wallets[0].id, "66a0f1c2d3e4f5a6b7c8d9e0");
    assert_eq!(wallets[0].balance, dec!(0));
    assert_eq!(wallets[0].deposit_balance, None);
    assert_eq!(wallets[0].country, None);
    assert_eq!(wallets[0].status, Some(t::WalletStatus::Active));
}

#[tokio::test]
async fn op_get_fiat_wallet() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/wallet/fiat/w-42")
                .header("authorization", BEARER);
            let mut w = fiat_wallet_json("w-42", "Main", 990.0, 45.0);
            // Fields the spec does not know are ignored; the rest still decodes.
            w["locked"] = json!(false);
            w["created_at"] = json!("2025-02-01T09:30:00.123");
            w["limits"] = json!({"daily": 100000});
            then.status(200).json_body(json!({"success": true,
                "message": "The wallet has been successfully retrieved.", "data": w}));
        })
        .await;
    let w = client(&server).get_fiat_wallet().id("w-42").data().await.unwrap();
    m.assert_async().await;
    assert_eq!(w.id, "w-42");
    assert_eq!(w.currency, "KES");
    assert_eq!(w.country.as_deref(), Some("KE"));
    assert_eq!(w.integrator, "5550cb6a-f7c7-11ed-b67e-0242ac120099");
    assert_eq!(w.balance, dec!(990));
    assert_eq!(w.deposit_balance, Some(dec!(45)));
}

#[tokio::test]
async fn op_update_fiat_wallet() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v3/wallet/fiat/w-42")
                .header("authorization", BEARER)
                .json_body(json!({"name": "Main KES wallet", "country": "KE", "locked": true}));
            let mut w = fiat_wallet_json("w-42", "Main KES wallet", 990.0, 45.0);
            w["status"] = json!("suspended");
            then.status(200).json_body(json!({"success": true,
                "message": "Fiat wallet has been successfully updated.", "data": w}));
        })
        .await;
    let body = t::UpdateFiatWalletRequest::builder()
        .name("Main KES wallet")
        .country(Some("KE".to_string()))
        .locked(Some(true));
    let env = client(&server)
        .update_fiat_wallet()
        .id("w-42")
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Fiat wallet has been successfully updated.");
    assert_eq!(env.data.name, "Main KES wallet");
    assert_eq!(env.data.status, Some(t::WalletStatus::Suspended));
}

#[tokio::test]
async fn op_get_fiat_wallet_by_currency() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/wallet/fiat/currency/XOF")
                .query_param("country", "SN")
                .header("authorization", BEARER);
            let mut w = fiat_wallet_json("w-xof", "Dakar", 250000.0, 0.0);
            w["currency"] = json!("XOF");
            w["country"] = json!("SN");
            then.status(200).json_body(json!({"success": true,
                "message": "The wallet has been successfully retrieved.", "data": w}));
        })
        .await;
    let w = client(&server)
        .get_fiat_wallet_by_currency()
        .currency("XOF")
        .country("SN")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(w.id, "w-xof");
    assert_eq!(w.currency, "XOF");
    assert_eq!(w.country.as_deref(), Some("SN"));
    assert_eq!(w.balance, dec!(250000));
}

#[tokio::test]
async fn op_transfer_deposit_balance() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/wallet/transfer/deposit-balance")
                .header("authorization", BEARER)
                .json_body(json!({"walletId": "w-42", "amount": 300}));
            then.status(201).json_body(json!({"success": true,
                "message": "Transfer deposit balance has been successfully done.",
                "data": fiat_wallet_json("w-42", "Main", 1290.0, 45.0)}));
        })
        .await;
    let body = t::TransferDepositBalanceRequest::builder()
        .wallet_id("w-42")
        .amount(Some(dec!(300)));
    let env = client(&server)
        .transfer_deposit_balance()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(
        env.message,
        "Transfer deposit balance has been successfully done."
    );
    assert_eq!(env.data.id, "w-42");
    assert_eq!(env.data.balance, dec!(1290));
    assert_eq!(env.data.deposit_balance, Some(dec!(45)));
}

/// `transfer_deposit_balance` moves money and its request has no caller reference the API
/// deduplicates on, so a 503 is never retried: it is sent once and reported as uncertain.
#[tokio::test]
async fn money_transfer_deposit_balance_without_reference_is_sent_once() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/wallet/transfer/deposit-balance");
            then.status(503)
                .json_body(json!({"success": false, "message": "Service Unavailable",
                "error_code": 503, "data": {}}));
        })
        .await;
    let body = t::TransferDepositBalanceRequest::builder()
        .wallet_id("w-42")
        .amount(Some(dec!(300)));
    let err = fast_retry_client(&server.base_url())
        .transfer_deposit_balance()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.operation(), "transfer_deposit_balance");
}

// ---------------------------------------------------------------------------------------------
// Crypto wallets

#[tokio::test]
async fn op_create_crypto_wallet() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/wallet/crypto")
                .header("authorization", BEARER)
                .json_body(json!({"name": "Treasury", "chain": "POLYGON"}));
            then.status(201).json_body(json!({"success": true,
                "message": "Wallet has been successfully created.",
                "data": {"id": "cw-1", "name": "Treasury", "balance": 0,
                    "address": "0x1111222233334444555566667777888899990000", "type": "crypto",
                    "coin": "USDC", "chain": "POLYGON",
                    "tokenBalance": [{"token": "USDC", "balance": "0", "fiatValue": "0"}],
                    "fiatBalance": 0, "fiatCurrency": "USD"}}));
        })
        .await;
    let body = t::CreateCryptoWalletRequest::builder()
        .name("Treasury")
        .chain(Some(t::ChainInput::Polygon));
    let w = client(&server)
        .create_crypto_wallet()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(w.id, "cw-1");
    assert_eq!(w.type_, t::WalletType::Crypto);
    assert_eq!(w.coin, t::Token::Usdc);
    assert_eq!(w.chain, Some(t::Chain::Polygon));
    assert_eq!(
        w.address.as_deref(),
        Some("0x1111222233334444555566667777888899990000")
    );
    assert_eq!(w.token_balance.len(), 1);
    assert_eq!(w.token_balance[0].token.as_deref(), Some("USDC"));
    assert_eq!(w.fiat_currency.as_deref(), Some("USD"));
}

#[tokio::test]
async fn op_list_crypto_wallets() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/wallet/crypto").header("authorization", BEARER);
            then.status(200).json_body(json!({"success": true,
                "message": "Crypto wallet has been successfully retrieved.",
                "data": [
                    {"id": "cw-1", "name": "Treasury", "balance": 420.5, "type": "crypto",
                     "coin": "USDC", "chain": "POLYGON",
                     "tokenBalance": [{"token": "USDC", "balance": "420.5", "fiatValue": "420.5"}],
                     "publicAddress": "0x1111222233334444555566667777888899990000",
                     "explorerUrl": "https://polygonscan.com/address/0x1111222233334444555566667777888899990000"},
                    {"id": "cw-2", "name": "Lightning float", "balance": 1200, "type": "crypto",
                     "coin": "SAT", "chain": "LIGHTNING"}]}));
        })
        .await;
    let wallets = client(&server).list_crypto_wallets().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(wallets.len(), 2);
    assert_eq!(wallets[0].balance, dec!(420.5));
    assert_eq!(wallets[0].token_balance[0].balance.as_deref(), Some("420.5"));
    assert!(
        wallets[0]
            .explorer_url
            .as_deref()
            .unwrap()
            .starts_with("https://polygonscan.com/")
    );
    assert_eq!(wallets[1].coin, t::Token::Sat);
    assert_eq!(wallets[1].chain, Some(t::Chain::Lightning));
    assert!(wallets[1].token_balance.is_empty());
}

#[tokio::test]
async fn op_get_crypto_wallet() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/wallet/crypto/cw-9")
                .header("authorization", BEARER);
            // A chain and a coin this version of the spec does not list.
            then.status(200).json_body(json!({"success": true,
                "message": "Crypto Wallet has been successfully retrieved.",
                "data": {"id": "cw-9", "name": "New chain", "balance": 3.25, "type": "crypto",
                    "coin": "PYUSD", "chain": "MONAD",
                    "tokenBalance": [{"token": "PYUSD", "balance": "3.25", "fiatValue": "3.25"}],
                    "fiatBalance": 3.25, "fiatCurrency": "USD",
                    "publicAddress": "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"}}));
        })
        .await;
    let w = client(&server)
        .get_crypto_wallet()
        .id("cw-9")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(w.chain, Some(t::Chain::Unknown("MONAD".into())));
    assert_eq!(w.coin, t::Token::Unknown("PYUSD".into()));
    assert_eq!(w.type_, t::WalletType::Crypto);
    assert_eq!(w.balance, dec!(3.25));
    assert_eq!(w.fiat_balance, Some(dec!(3.25)));
    assert_eq!(
        w.public_address.as_deref(),
        Some("0xabcdefabcdefabcdefabcdefabcdefabcdefabcd")
    );
}

// ---------------------------------------------------------------------------------------------
// Customers

#[tokio::test]
async fn op_create_customer() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/customer/mobile-money")
                .header("authorization", BEARER)
                .json_body(json!({"phone_number": "+254711222333", "country_code": "KE",
                    "network": "MPESA", "account_name": "Amina Wanjiru", "first_name": "Amina",
                    "last_name": "Wanjiru", "id_type": "NATIONAL_ID", "id_number": "28765432"}));
            let mut c = customer_json("cust-amina-01", "+254711222333");
            c["id_type"] = json!("NATIONAL_ID");
            c["id_number"] = json!("28765432");
            then.status(201).json_body(json!({"success": true,
                "message": "Customer has been successfully created.", "data": c}));
        })
        .await;
    let body = t::CreateCustomerRequest::builder()
        .phone_number(Some("+254711222333".to_string()))
        .country_code("KE")
        .network(Some(t::NetworkInput::Mpesa))
        .account_name(Some("Amina Wanjiru".to_string()))
        .first_name(Some("Amina".to_string()))
        .last_name(Some("Wanjiru".to_string()))
        .id_type(Some(t::IdTypeInput::NationalId))
        .id_number(Some("28765432".to_string()));
    let c = client(&server).create_customer().body(body).data().await.unwrap();
    m.assert_async().await;
    assert_eq!(c.customer_key.as_deref(), Some("cust-amina-01"));
    assert_eq!(c.country_code, "KE");
    assert_eq!(c.network, Some(t::Network::Mpesa));
    assert_eq!(c.id_type, Some(t::IdType::NationalId));
    assert_eq!(c.phone_number.as_deref(), Some("+254711222333"));
}

#[tokio::test]
async fn op_list_customers() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/mobile-money")
                .query_param("page", "2")
                .query_param("limit", "25")
                .header("authorization", BEARER);
            let mut bank_payee = customer_json("cust-bank-07", "+254722000777");
            bank_payee["network"] = json!("BKTRX");
            bank_payee["account_number"] = json!("1000000001");
            bank_payee["bank_code"] = json!("68");
            then.status(200).json_body(
                json!({"success": true, "message": "Customers successfully retrieved.",
                "data": [customer_json("cust-26", "+254711000026"), bank_payee]}),
            );
        })
        .await;
    let page = client(&server)
        .list_customers()
        .page(2)
        .limit(25)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].customer_key.as_deref(), Some("cust-26"));
    assert_eq!(page[1].network, Some(t::Network::Bktrx));
    assert_eq!(page[1].account_number.as_deref(), Some("1000000001"));
    assert_eq!(page[1].bank_code.as_deref(), Some("68"));
}

#[tokio::test]
async fn op_get_customer() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/mobile-money/cust-amina-01")
                .header("authorization", BEARER);
            let mut c = customer_json("cust-amina-01", "+254711222333");
            // A network this version of the spec does not list.
            c["network"] = json!("TELKOM");
            then.status(200).json_body(
                json!({"success": true, "message": "Customer fetched successfully.",
                "data": c}),
            );
        })
        .await;
    let c = client(&server)
        .get_customer()
        .customer_key("cust-amina-01")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(c.customer_key.as_deref(), Some("cust-amina-01"));
    assert_eq!(c.network, Some(t::Network::Unknown("TELKOM".into())));
    assert_eq!(c.account_name.as_deref(), Some("Amina Wanjiru"));
    assert_eq!(c.id.as_deref(), Some("65b2f0c2e4b0a1b2c3d4e5a7"));
}

#[tokio::test]
async fn op_update_customer() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v3/customer/mobile-money/cust-amina-01")
                .header("authorization", BEARER)
                .json_body(json!({"country_code": "KE", "email": "amina@example.org",
                    "date_of_birth": "1991-04-12"}));
            let mut c = customer_json("cust-amina-01", "+254711222333");
            c["email"] = json!("amina@example.org");
            c["date_of_birth"] = json!("1991-04-12");
            then.status(200).json_body(json!({"success": true,
                "message": "Bio Data has been successfully updated.", "data": c}));
        })
        .await;
    let body = t::UpdateCustomerRequest::builder()
        .country_code("KE")
        .email(Some("amina@example.org".to_string()))
        .date_of_birth(Some("1991-04-12".to_string()));
    let env = client(&server)
        .update_customer()
        .customer_key("cust-amina-01")
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Bio Data has been successfully updated.");
    assert_eq!(env.data.email.as_deref(), Some("amina@example.org"));
    assert_eq!(env.data.date_of_birth.as_deref(), Some("1991-04-12"));
}

#[tokio::test]
async fn op_get_customer_by_phone() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/mobile-money/phone/+256772000111")
                .header("authorization", BEARER);
            let mut c = customer_json("cust-ug-5", "+256772000111");
            c["country_code"] = json!("UG");
            c["network"] = json!("MTN");
            then.status(200).json_body(
                json!({"success": true, "message": "Customer fetched successfully.",
                "data": c}),
            );
        })
        .await;
    let c = client(&server)
        .get_customer_by_phone()
        .phone_number("+256772000111")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(c.customer_key.as_deref(), Some("cust-ug-5"));
    assert_eq!(c.country_code, "UG");
    assert_eq!(c.network, Some(t::Network::Mtn));
}

// ---------------------------------------------------------------------------------------------
// Account validation

#[tokio::test]
async fn op_validate_mobile_money_account() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/customer/validate/mobile-money")
                .header("authorization", BEARER)
                .json_body(
                    json!({"accountType": "mobile_money", "phoneNumber": "+254700000002",
                    "countryCode": "KE", "network": "MPESA", "accountName": "Robert Smith"}),
                );
            then.status(201).json_body(
                json!({"success": true, "message": "Phone number validated successfully.",
                "data": {"isValid": true, "isSupported": true, "requiresInternationalization": false,
                    "countryCode": "KE", "countryName": "Kenya", "callingCode": "254",
                    "internationalNumber": "+254700000002", "nationalNumber": "0700000002",
                    "accountType": "mobile_money", "currency": "KES", "network": "MPESA",
                    "mno": "SAFARICOM KENYA", "accountName": "ROBERT JAMES SMITH",
                    "nameLookupStatus": "MATCHED", "matchScore": 88,
                    "nameMatch": {"provided": "Robert Smith", "score": 88, "matched": true,
                        "threshold": 70, "masked": false}}}),
            );
        })
        .await;
    let body = t::ValidateMobileMoneyAccountRequest::builder()
        .account_type(Some(t::ValidateMobileMoneyAccountRequestAccountType::MobileMoney))
        .phone_number(Some("+254700000002".to_string()))
        .country_code(Some("KE".to_string()))
        .network(Some(t::NetworkInput::Mpesa))
        .account_name(Some("Robert Smith".to_string()));
    let v = client(&server)
        .validate_mobile_money_account()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(v.is_valid && v.is_supported);
    assert_eq!(v.account_type, t::AccountType::MobileMoney);
    assert_eq!(v.network, Some(t::Network::Mpesa));
    assert_eq!(v.national_number.as_deref(), Some("0700000002"));
    assert_eq!(v.account_name.as_deref(), Some("ROBERT JAMES SMITH"));
    assert_eq!(v.name_lookup_status.as_deref(), Some("MATCHED"));
    let nm = v.name_match.unwrap();
    assert_eq!(nm.score, 88.0);
    assert!(nm.matched && !nm.masked);
}

#[tokio::test]
async fn op_validate_bank_account() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v3/customer/validate/bank")
                .header("authorization", BEARER)
                .json_body(json!({"accountNumber": "1000000003", "bankCode": "01",
                    "countryCode": "KE", "accountName": "Jane Doe"}));
            then.status(201).json_body(
                json!({"success": true, "message": "Bank account validated successfully.",
                "data": {"isValid": true, "isSupported": true, "countryCode": "KE",
                    "countryName": "Kenya", "accountType": "bank", "bankName": "KCB", "currency": "KES",
                    "accountName": "JANE MARY DOE", "nameLookupStatus": "MATCHED", "matchScore": 91,
                    "accountStatus": "FROZEN",
                    "nameMatch": {"provided": "Jane Doe", "score": 91, "matched": true,
                        "threshold": 70, "masked": false}}}),
            );
        })
        .await;
    let body = t::ValidateBankAccountRequest::builder()
        .account_number("1000000003")
        .bank_code("01")
        .country_code("KE")
        .account_name(Some("Jane Doe".to_string()));
    let v = client(&server)
        .validate_bank_account()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(v.account_type, t::AccountType::Bank);
    assert_eq!(v.bank_name.as_deref(), Some("KCB"));
    assert_eq!(v.account_status.as_deref(), Some("FROZEN"));
    assert_eq!(v.match_score, Some(91.0));
    assert_eq!(v.network, None);
    assert_eq!(v.name_match.unwrap().threshold, 70.0);
}

// ---------------------------------------------------------------------------------------------
// Country, network and bank support

#[tokio::test]
async fn op_list_supported_countries() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/support/countries")
                .query_param("serviceType", "NAME_LOOKUP")
                .query_param("currency", "GHS")
                .query_param("countryCode", "GH")
                .query_param("isActive", "true")
                .header("authorization", BEARER);
            then.status(200).json_body(
                json!({"success": true, "message": "Countries retrieved successfully",
                "data": [{"countryCode": "GH", "name": "Ghana", "iso3Code": "GHA", "currency": "GHS",
                    "serviceType": "NAME_LOOKUP", "isActive": true, "isEnabled": true,
                    "requiresNetwork": true, "requiresAccountName": false,
                    "supportedNetworks": ["MTN", "VODAFONE", "AIRTEL"],
                    "supportedLookupNetworks": ["MTN"], "enabledLookup": true}]}),
            );
        })
        .await;
    let countries = client(&server)
        .list_supported_countries()
        .service_type(t::ServiceType::NameLookup)
        .currency("GHS")
        .country_code("GH")
        .is_active(true)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(countries.len(), 1);
    let gh = &countries[0];
    assert_eq!(gh.country_code, "GH");
    assert_eq!(gh.iso3_code.as_deref(), Some("GHA"));
    assert_eq!(gh.service_type, "NAME_LOOKUP");
    assert!(gh.is_active && gh.is_enabled && gh.requires_network && !gh.requires_account_name);
    assert_eq!(gh.supported_networks, vec!["MTN", "VODAFONE", "AIRTEL"]);
    assert!(gh.available_networks.is_empty());
    assert_eq!(gh.enabled_lookup, Some(true));
}

#[tokio::test]
async fn op_get_supported_country() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/support/countries/ZA")
                .header("authorization", BEARER);
            then.status(200).json_body(
                json!({"success": true, "message": "Country details retrieved successfully",
                "data": {"countryCode": "ZA", "name": "South Africa", "currency": "ZAR",
                    "services": ["DEPOSIT", "CARD_DEPOSIT", "WITHDRAW"]}}),
            );
        })
        .await;
    let env = client(&server)
        .get_supported_country()
        .country_code("ZA")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Country details retrieved successfully");
    assert_eq!(env.data["name"], "South Africa");
    assert_eq!(env.data["currency"], "ZAR");
    assert_eq!(env.data["services"][1], "CARD_DEPOSIT");
}

#[tokio::test]
async fn op_get_country_networks() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/support/networks/TZ")
                .header("authorization", BEARER);
            then.status(200).json_body(
                json!({"success": true, "message": "Networks retrieved successfully",
                "data": {"countryCode": "TZ", "networks": ["VODACOM", "AIRTEL", "HALOPESA", "YAS"],
                    "isRequired": true}}),
            );
        })
        .await;
    let n = client(&server)
        .get_country_networks()
        .country_code("TZ")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(n.country_code, "TZ");
    assert_eq!(n.networks, vec!["VODACOM", "AIRTEL", "HALOPESA", "YAS"]);
    assert!(n.is_required);
}

#[tokio::test]
async fn op_list_banks() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/support/banks")
                .query_param("currency", "NGN")
                .query_param("search", "trust")
                .header("authorization", BEARER);
            then.status(200)
                .json_body(json!({"success": true, "message": "Banks retrieved successfully",
                "data": [{"code": "058", "name": "Guaranty Trust Bank", "currency": "NGN",
                          "bankGroupId": "grp-gtb", "universalBranchCode": "058152036"},
                         {"code": 232, "name": "Sterling Trust Bank", "currency": "NGN"}]}));
        })
        .await;
    let banks = client(&server)
        .list_banks()
        .currency("NGN")
        .search("trust")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(banks.len(), 2);
    // A leading zero survives: the code is kept as the string the API sent.
    assert_eq!(banks[0].code, t::BankCode::String("058".into()));
    assert_eq!(banks[0].universal_branch_code.as_deref(), Some("058152036"));
    assert_eq!(banks[1].code, t::BankCode::Number(232.0));
    assert_eq!(banks[1].name, "Sterling Trust Bank");
    assert_eq!(banks[1].bank_group_id, None);
}

#[tokio::test]
async fn op_get_deposit_service_countries() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/support/services/deposit")
                .header("authorization", BEARER);
            then.status(200).json_body(json!({"success": true,
                "message": "Deposit configuration retrieved successfully",
                "data": {"serviceType": "DEPOSIT", "countries": ["KE", "GH", "NG"], "totalCountries": 3}}));
        })
        .await;
    let cfg = client(&server)
        .get_deposit_service_countries()
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(cfg.service_type, "DEPOSIT");
    assert_eq!(cfg.countries, vec!["KE", "GH", "NG"]);
    assert_eq!(cfg.total_countries, 3);
}

#[tokio::test]
async fn op_get_withdraw_service_countries() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/customer/support/services/withdraw")
                .header("authorization", BEARER);
            then.status(200).json_body(json!({"success": true,
                "message": "Withdraw configuration retrieved successfully",
                "data": {"serviceType": "WITHDRAW", "countries": ["KE", "UG", "TZ", "RW", "ZM"],
                    "totalCountries": 5}}));
        })
        .await;
    let env = client(&server)
        .get_withdraw_service_countries()
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message, "Withdraw configuration retrieved successfully");
    assert_eq!(env.data.service_type, "WITHDRAW");
    assert_eq!(env.data.countries.len(), 5);
    assert_eq!(env.data.total_countries, 5);
}

// ---------------------------------------------------------------------------------------------
// Retries of the idempotent quote POSTs

/// A quote is marked idempotent in the spec: a 503 is retried although it is a POST.
#[tokio::test]
async fn create_fiat_quote_is_retried_as_idempotent() {
    let server = common::start(|n, _req| {
        if n == 0 {
            common::json(503, r#"{"success":false,"message":"Service Unavailable","error_code":503,"data":{}}"#)
        } else {
            common::json(
                201,
                r#"{"success":true,"message":"Available exchange rate.","data":{"from":"KES","to":"UGX","value":"28.6","depositAmount":100,"withdrawalAmount":2860,"depositTransactionAmount":102,"withdrawalTransactionAmount":2800,"depositFee":2,"withdrawalFee":60}}"#,
            )
        }
    })
    .await;
    let body = t::CreateFiatQuoteRequest::builder()
        .from("KES")
        .to("UGX")
        .amount(dec!(100));
    let q = fast_retry_client(&server.base_url)
        .create_fiat_quote()
        .body(body)
        .data()
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    assert_eq!(q.withdrawal_amount, dec!(2860));
    let reqs = server.requests();
    assert_eq!(reqs[0].body, reqs[1].body, "the same body is sent again");
    let sent: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(sent, json!({"from": "KES", "to": "UGX", "amount": 100}));
}
