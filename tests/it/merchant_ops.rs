//! The KutanaPay merchant operations, one `op_<operation_id>` test each (the API-key operations
//! are in `tests/foundation.rs`), the money-moving operations on a 503, and the FastAPI error
//! bodies.
//!
//! Every mock asserts what the server must see: method, path with its parameters filled in,
//! query parameters, the `x-api-key` credential and, for bodies, the exact JSON (written out by
//! hand, with the field names the API uses). Every answer carries at least one field the spec
//! does not know, to show that responses tolerate additions.

use httpmock::Method::{DELETE, GET, PATCH, POST, PUT};
use httpmock::MockServer;
use kotanipay::merchant::types as t;
use kotanipay::prelude::*;
use kotanipay::{ErrorKind, ValidationError, merchant};
use rust_decimal_macros::dec;
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

fn map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().expect("a JSON object").clone()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

// ---------------------------------------------------------------------------------------------
// Wallet
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_get_all_wallets() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/wallet")
                .header("x-api-key", MKEY)
                .header_missing("authorization");
            then.status(200).json_body(json!({
                "data": [
                    {"id": "w-ngn", "merchant_id": MERCHANT, "currency_id": "cur-ngn",
                     "currency_code": "NGN", "available_balance": 98000.75, "holding_balance": 1200,
                     "status": "active", "created_at": "2025-11-19T16:16:50.676891",
                     "updated_at": "2025-11-20T09:12:03.118422", "overdraft_limit": 0},
                    {"id": "w-kes", "merchant_id": MERCHANT, "currency_id": "cur-kes",
                     "currency_code": "KES", "available_balance": 0, "holding_balance": 0,
                     "status": "frozen", "created_at": "2025-11-19T16:16:50.676891",
                     "updated_at": null}
                ],
                "message": "Wallets retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server).get_all_wallets().call().await.unwrap();
    m.assert_async().await;
    assert_eq!(env.message.as_deref(), Some("Wallets retrieved successfully"));
    assert_eq!(env.data.len(), 2);
    let ngn = &env.data[0];
    assert_eq!(ngn.id.as_deref(), Some("w-ngn"));
    assert_eq!(ngn.currency_code.as_deref(), Some("NGN"));
    assert_eq!(ngn.available_balance, Some(dec!(98000.75)));
    assert_eq!(ngn.holding_balance, Some(dec!(1200)));
    assert_eq!(ngn.status, Some(t::WalletStatus::Active));
    let kes = &env.data[1];
    assert_eq!(kes.updated_at, None);
    // A status the spec does not list still decodes.
    assert_eq!(kes.status, Some(t::WalletStatus::Unknown("frozen".into())));
}

#[tokio::test]
async fn op_get_wallet_transactions() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/wallet/transactions")
                .query_param("currency_code", "NGN")
                .query_param("page", "2")
                .query_param("size", "25")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [{
                    "id": "wt-1", "wallet_id": "w-ngn", "merchant_id": MERCHANT,
                    "currency_code": "NGN", "transaction_type": "internal_transfer",
                    "amount": 3100.5, "balance_before": 10000, "balance_after": 13100.5,
                    "reference": "SETTLE-20251122-0003", "description": null,
                    "related_transaction_id": "tx-9", "created_at": "2025-11-22T07:00:00.000000",
                    "batch_id": "b-77"
                }],
                "pagination": {"page": 2, "size": 25, "total": 26, "total_pages": 2, "has_next": false},
                "message": "Wallet transactions retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .get_wallet_transactions()
        .currency_code("NGN")
        .page(2)
        .size(25)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    let tx = &env.data[0];
    assert_eq!(tx.id.as_deref(), Some("wt-1"));
    assert_eq!(tx.transaction_type.as_deref(), Some("internal_transfer"));
    assert_eq!(tx.amount, Some(dec!(3100.5)));
    assert_eq!(tx.balance_before, Some(dec!(10000)));
    assert_eq!(tx.balance_after, Some(dec!(13100.5)));
    assert_eq!(tx.description, None);
    assert_eq!(tx.related_transaction_id.as_deref(), Some("tx-9"));
    let page = env.pagination.unwrap();
    assert_eq!(
        (page.page, page.size, page.total, page.total_pages),
        (Some(2), Some(25), Some(26), Some(2))
    );
}

#[tokio::test]
async fn op_process_refund() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/wallet/refund")
                .header("x-api-key", MKEY)
                .header("content-type", "application/json")
                .json_body(json!({
                    "original_transaction_id": "dep-42",
                    "refund_amount": 1250.5,
                    "currency_code": "NGN",
                    "reason": "Damaged item"
                }));
            then.status(200).json_body(json!({
                "data": {
                    "transaction_id": "rf-1", "merchant_id": MERCHANT, "currency_id": "cur-ngn",
                    "currency_code": "NGN", "transaction_type": "refund", "status": "pending",
                    "settlement_status": "unsettled", "amount": 1250.5, "fee_amount": 0,
                    "net_amount": 1250.5, "reference": null, "description": "Damaged item",
                    "original_transaction_id": "dep-42", "checkout_id": null,
                    "customer_name": null, "customer_email": null, "customer_phone": null,
                    "settled_at": null, "created_at": "2025-11-22T10:30:00.000000",
                    "updated_at": "2025-11-22T10:30:00.000000", "refund_source": "holding_balance"
                },
                "message": "Refund processed successfully",
                "status": "success"
            }));
        })
        .await;
    let body = t::ProcessRefundRequest::builder()
        .original_transaction_id("dep-42")
        .refund_amount(dec!(1250.5))
        .currency_code("NGN")
        .reason("Damaged item");
    let env = merchant_client(&server)
        .process_refund()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message.as_deref(), Some("Refund processed successfully"));
    let tx = env.data;
    assert_eq!(tx.transaction_id, "rf-1");
    assert_eq!(tx.transaction_type, Some(t::TransactionType::Refund));
    assert_eq!(tx.status, Some(t::TransactionStatus::Pending));
    assert_eq!(tx.settlement_status, Some(t::SettlementStatus::Unsettled));
    assert_eq!(tx.amount, Some(dec!(1250.5)));
    assert_eq!(tx.original_transaction_id.as_deref(), Some("dep-42"));
    assert_eq!(tx.checkout_id, None);
}

#[tokio::test]
async fn op_get_settlement_batches() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/wallet/settlements")
                .query_param("currency_code", "KES")
                .query_param("status", "completed")
                .query_param("page", "3")
                .query_param("size", "100")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [{
                    "id": "sb-1", "merchant_id": MERCHANT, "currency_code": "KES",
                    "status": "completed", "total_amount": 7000, "fee_amount": 210.5,
                    "net_amount": 6789.5, "transaction_count": 4,
                    "settled_at": "2025-11-21T09:12:03.118422",
                    "created_at": "2025-11-21T09:00:00.000000", "updated_at": null,
                    "payout_channel": "bank"
                }],
                "pagination": {"page": 3, "size": 100, "total": 201, "total_pages": 3},
                "message": "Settlement batches retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .get_settlement_batches()
        .currency_code("KES")
        .status(t::SettlementBatchStatusInput::Completed)
        .page(3)
        .size(100)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    let b = &env.data[0];
    assert_eq!(b.id.as_deref(), Some("sb-1"));
    assert_eq!(b.status, Some(t::SettlementBatchStatus::Completed));
    assert_eq!(b.total_amount, Some(dec!(7000)));
    assert_eq!(b.fee_amount, Some(dec!(210.5)));
    assert_eq!(b.net_amount, Some(dec!(6789.5)));
    assert_eq!(b.transaction_count, Some(4));
    assert_eq!(b.updated_at, None);
    let page = env.pagination.unwrap();
    assert_eq!(page.page, Some(3));
    assert_eq!(page.total_pages, Some(3));
}

#[tokio::test]
async fn op_update_wallet_status() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/api/v1/merchants/wallet/NGN/status")
                .header("x-api-key", MKEY)
                .json_body(json!({"status": "suspended", "reason": "Chargeback review"}));
            then.status(200).json_body(json!({
                "data": {
                    "id": "w-ngn", "merchant_id": MERCHANT, "currency_id": "cur-ngn",
                    "currency_code": "NGN", "available_balance": 500.25, "holding_balance": 0,
                    "status": "suspended", "created_at": "2025-11-19T16:16:50.676891",
                    "updated_at": "2025-11-22T11:00:00.000000", "status_reason": "Chargeback review"
                },
                "message": "Wallet status updated successfully",
                "status": "success"
            }));
        })
        .await;
    let wallet = merchant_client(&server)
        .update_wallet_status()
        .currency_code("NGN")
        .body(t::UpdateWalletStatusRequest {
            status: t::WalletStatusInput::Suspended,
            reason: s("Chargeback review"),
        })
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(wallet.id.as_deref(), Some("w-ngn"));
    assert_eq!(wallet.status, Some(t::WalletStatus::Suspended));
    assert_eq!(wallet.available_balance, Some(dec!(500.25)));
    assert_eq!(wallet.updated_at.as_deref(), Some("2025-11-22T11:00:00.000000"));
}

#[tokio::test]
async fn op_get_wallet_by_currency() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/wallet/ngn")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "w-ngn", "merchant_id": MERCHANT, "currency_id": "cur-ngn",
                    "currency_code": "NGN", "available_balance": 152000.5, "holding_balance": 24000,
                    "status": "inactive", "created_at": "2025-11-19T16:16:50.676891",
                    "updated_at": null, "last_settlement_at": "2025-11-20T09:12:03.118422"
                },
                "message": "Wallet retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let wallet = merchant_client(&server)
        .get_wallet_by_currency()
        .currency_code("ngn")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(wallet.currency_code.as_deref(), Some("NGN"));
    assert_eq!(wallet.merchant_id.as_deref(), Some(MERCHANT));
    assert_eq!(wallet.holding_balance, Some(dec!(24000)));
    assert_eq!(wallet.status, Some(t::WalletStatus::Inactive));
    assert_eq!(wallet.updated_at, None);
}

// ---------------------------------------------------------------------------------------------
// Customer transactions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_get_merchant_transactions() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/customer/transactions")
                .query_param("currency_code", "NGN")
                .query_param("transaction_type", "deposit")
                .query_param("status", "completed")
                .query_param("page", "1")
                .query_param("size", "10")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [
                    {"transaction_id": "tx-1", "merchant_id": MERCHANT, "currency_id": "cur-ngn",
                     "currency_code": "NGN", "transaction_type": "deposit", "status": "completed",
                     "settlement_status": "settled", "amount": 25000, "fee_amount": 1000,
                     "net_amount": 24000, "reference": "ORDER-2001", "description": "Order 2001",
                     "original_transaction_id": null, "checkout_id": "co-1",
                     "customer_name": "Ngozi Eze", "customer_email": "ngozi@example.com",
                     "customer_phone": "+2348011122233", "settled_at": "2025-11-20T09:12:03.118422",
                     "created_at": "2025-11-19T18:02:11.502113",
                     "updated_at": "2025-11-20T09:12:03.118422", "channel": "card"},
                    {"transaction_id": "tx-2", "transaction_type": "chargeback",
                     "status": "reversed", "settlement_status": "partially_settled", "amount": 10}
                ],
                "pagination": {"page": 1, "size": 10, "total": 2, "total_pages": 1},
                "message": "Transactions retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .get_merchant_transactions()
        .currency_code("NGN")
        .transaction_type(t::TransactionTypeInput::Deposit)
        .status(t::TransactionStatusInput::Completed)
        .page(1)
        .size(10)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.data.len(), 2);
    let a = &env.data[0];
    assert_eq!(a.transaction_id, "tx-1");
    assert_eq!(a.transaction_type, Some(t::TransactionType::Deposit));
    assert_eq!(a.status, Some(t::TransactionStatus::Completed));
    assert_eq!(a.settlement_status, Some(t::SettlementStatus::Settled));
    assert_eq!(a.net_amount, Some(dec!(24000)));
    assert_eq!(a.customer_email.as_deref(), Some("ngozi@example.com"));
    // Values the spec does not list still decode, in every open enum of the item.
    let b = &env.data[1];
    assert_eq!(
        b.transaction_type,
        Some(t::TransactionType::Unknown("chargeback".into()))
    );
    assert_eq!(b.status, Some(t::TransactionStatus::Unknown("reversed".into())));
    assert_eq!(
        b.settlement_status,
        Some(t::SettlementStatus::Unknown("partially_settled".into()))
    );
    assert_eq!(b.merchant_id, None);
    assert_eq!(env.pagination.unwrap().total, Some(2));
}

#[tokio::test]
async fn op_get_merchant_transaction() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/customer/transactions/8a4c2e1f-0000-4f7a-9e5c-1d2b3a4c5e6f")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "transaction_id": "8a4c2e1f-0000-4f7a-9e5c-1d2b3a4c5e6f", "merchant_id": MERCHANT,
                    "currency_id": "cur-kes", "currency_code": "KES", "transaction_type": "payout",
                    "status": "failed", "settlement_status": "unsettled", "amount": 450.75,
                    "fee_amount": null, "net_amount": null, "reference": "PO-88",
                    "description": null, "original_transaction_id": null, "checkout_id": null,
                    "customer_name": "Wanjiru K", "customer_email": null,
                    "customer_phone": "+254711000111", "settled_at": null,
                    "created_at": "2025-11-19T18:02:11.502113", "updated_at": null,
                    "failure_code": "INSUFFICIENT_FUNDS"
                },
                "message": "Transaction retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let tx = merchant_client(&server)
        .get_merchant_transaction()
        .transaction_id("8a4c2e1f-0000-4f7a-9e5c-1d2b3a4c5e6f")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(tx.transaction_id, "8a4c2e1f-0000-4f7a-9e5c-1d2b3a4c5e6f");
    assert_eq!(tx.transaction_type, Some(t::TransactionType::Payout));
    assert_eq!(tx.status, Some(t::TransactionStatus::Failed));
    assert_eq!(tx.amount, Some(dec!(450.75)));
    assert_eq!(tx.fee_amount, None);
    assert_eq!(tx.customer_phone.as_deref(), Some("+254711000111"));
}

// ---------------------------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_create_checkout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/checkouts")
                .header("x-api-key", MKEY)
                .header("content-type", "application/json")
                .json_body(json!({
                    "amount": 7500.5,
                    "currency_code": "NGN",
                    "description": "Order 3003",
                    "reference": "ORDER-3003",
                    "customer_name": "Bola Ade",
                    "customer_email": "bola@example.com",
                    "customer_phone": "+2348033344455",
                    "success_url": "https://shop.example.com/orders/3003/paid",
                    "cancel_url": "https://shop.example.com/orders/3003",
                    // `meta_data`, as ODOS sends it; never `metadata`.
                    "meta_data": {"order_id": "3003", "items": 2}
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "co-3003", "merchant_id": MERCHANT, "amount": 7500.5,
                    "currency_code": "NGN", "status": "pending", "description": "Order 3003",
                    "reference": "ORDER-3003", "customer_name": "Bola Ade",
                    "customer_email": "bola@example.com", "customer_phone": "+2348033344455",
                    "checkout_url": "https://checkout.example.invalid/c/co-3003",
                    "success_url": "https://shop.example.com/orders/3003/paid",
                    "cancel_url": "https://shop.example.com/orders/3003",
                    "payment_reference": "PAY-K7M2Q9X4",
                    "meta_data": {"order_id": "3003", "items": 2},
                    "expires_at": "2025-11-23T18:02:11.502113", "paid_at": null,
                    "created_at": "2025-11-22T18:02:11.502113",
                    "updated_at": "2025-11-22T18:02:11.502113",
                    "qr_code_url": "https://checkout.example.invalid/qr/co-3003"
                },
                "message": "Checkout created successfully",
                "status": "success"
            }));
        })
        .await;
    let body = t::CreateCheckoutRequest::builder()
        .amount(dec!(7500.5))
        .currency_code("NGN")
        .description(s("Order 3003"))
        .reference(s("ORDER-3003"))
        .customer_name(s("Bola Ade"))
        .customer_email(s("bola@example.com"))
        .customer_phone(s("+2348033344455"))
        .success_url(s("https://shop.example.com/orders/3003/paid"))
        .cancel_url(s("https://shop.example.com/orders/3003"))
        .meta_data(map(json!({"order_id": "3003", "items": 2})));
    let env = merchant_client(&server)
        .create_checkout()
        .body(body)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message.as_deref(), Some("Checkout created successfully"));
    let c = env.data;
    assert_eq!(c.id, "co-3003");
    assert_eq!(c.status, Some(t::CheckoutStatus::Pending));
    assert_eq!(c.amount, Some(dec!(7500.5)));
    assert_eq!(
        c.checkout_url.as_deref(),
        Some("https://checkout.example.invalid/c/co-3003")
    );
    assert_eq!(c.payment_reference.as_deref(), Some("PAY-K7M2Q9X4"));
    assert_eq!(c.meta_data.unwrap()["items"], 2);
    assert_eq!(c.metadata, None);
    assert_eq!(c.paid_at, None);
}

#[tokio::test]
async fn op_list_checkouts() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/checkouts")
                .query_param("limit", "10")
                .query_param("offset", "20")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [
                    {"id": "co-21", "merchant_id": MERCHANT, "amount": 1000, "currency_code": "NGN",
                     "status": "paid", "description": null, "reference": "ORDER-21",
                     "customer_name": null, "customer_email": null, "customer_phone": null,
                     "checkout_url": null, "success_url": null, "cancel_url": null,
                     "metadata": null, "expires_at": "2025-11-20T18:02:11.502113",
                     "paid_at": "2025-11-19T18:05:40.210004",
                     "created_at": "2025-11-19T18:02:11.502113",
                     "updated_at": "2025-11-19T18:05:40.210004", "payment_method": "bank_transfer"},
                    {"id": "co-22", "status": "approved", "amount": 2500.25, "currency_code": "KES"}
                ],
                "message": "Checkouts retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let list = merchant_client(&server)
        .list_checkouts()
        .limit(10)
        .offset(20)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, "co-21");
    assert_eq!(list[0].status, Some(t::CheckoutStatus::Paid));
    assert_eq!(list[0].metadata, None);
    assert_eq!(list[0].paid_at.as_deref(), Some("2025-11-19T18:05:40.210004"));
    assert_eq!(list[1].status, Some(t::CheckoutStatus::Approved));
    assert_eq!(list[1].amount, Some(dec!(2500.25)));
    assert_eq!(list[1].merchant_id, None);
}

#[tokio::test]
async fn op_get_checkout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/checkouts/c-1")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "c-1", "merchant_id": MERCHANT, "amount": 640, "currency_code": "KES",
                    "status": "on_hold", "description": "Subscription", "reference": "SUB-1",
                    "customer_name": "Achieng O", "customer_email": "achieng@example.com",
                    "customer_phone": "+254722000333",
                    "checkout_url": "https://checkout.example.invalid/c/c-1",
                    "success_url": null, "cancel_url": null, "metadata": {"plan": "pro"},
                    "expires_at": "2025-11-20T18:02:11.502113", "paid_at": null,
                    "created_at": "2025-11-19T18:02:11.502113", "updated_at": null,
                    "locale": "en-KE"
                },
                "message": "Checkout retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let c = merchant_client(&server)
        .get_checkout()
        .checkout_id("c-1")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(c.id, "c-1");
    assert_eq!(c.amount, Some(dec!(640)));
    assert_eq!(c.currency_code.as_deref(), Some("KES"));
    assert_eq!(c.status, Some(t::CheckoutStatus::Unknown("on_hold".into())));
    // A server that spells it `metadata` still decodes.
    assert_eq!(c.metadata.unwrap()["plan"], "pro");
    assert_eq!(c.meta_data, None);
    assert_eq!(c.payment_reference, None);
    assert_eq!(c.customer_name.as_deref(), Some("Achieng O"));
}

#[tokio::test]
async fn op_cancel_checkout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/checkouts/co-3003/cancel")
                .header("x-api-key", MKEY)
                .header_missing("authorization")
                // No request body is sent (ODOS sends none).
                .body("");
            then.status(200).json_body(json!({
                "data": {
                    "id": "co-3003", "merchant_id": MERCHANT, "amount": 150.0,
                    "currency_code": "GHS", "status": "cancelled",
                    "payment_reference": "PAY-K7M2Q9X4",
                    "meta_data": {"order_reference": "odos-1f0c", "source": "odos-mobile"},
                    "checkout_url": "https://checkout.example.invalid/c/co-3003",
                    "expires_at": "2025-11-23T18:02:11.502113", "paid_at": null,
                    "created_at": "2025-11-22T18:02:11.502113",
                    "updated_at": "2025-11-22T18:30:00.000000",
                    "cancelled_at": "2025-11-22T18:30:00.000000"
                },
                "message": "Checkout cancelled successfully",
                "status": "success"
            }));
        })
        .await;
    let c = merchant_client(&server)
        .cancel_checkout()
        .checkout_id("co-3003")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(c.id, "co-3003");
    assert_eq!(c.status, Some(t::CheckoutStatus::Cancelled));
    assert_eq!(c.amount, Some(dec!(150)));
    assert_eq!(c.payment_reference.as_deref(), Some("PAY-K7M2Q9X4"));
    assert_eq!(c.meta_data.unwrap()["source"], "odos-mobile");
    assert_eq!(c.paid_at, None);
}

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

#[tokio::test]
async fn checkout_statuses_decode() {
    // The statuses ODOS handles (paid-like, pending-like and failed-like), and one nobody knows.
    let cases = [
        ("created", t::CheckoutStatus::Created),
        ("pending", t::CheckoutStatus::Pending),
        ("processing", t::CheckoutStatus::Processing),
        ("paid", t::CheckoutStatus::Paid),
        ("completed", t::CheckoutStatus::Completed),
        ("approved", t::CheckoutStatus::Approved),
        ("failed", t::CheckoutStatus::Failed),
        ("rejected", t::CheckoutStatus::Rejected),
        ("cancelled", t::CheckoutStatus::Cancelled),
        ("expired", t::CheckoutStatus::Expired),
        ("timeout", t::CheckoutStatus::Timeout),
        (
            "awaiting_rail",
            t::CheckoutStatus::Unknown("awaiting_rail".into()),
        ),
    ];
    let items: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (status, _))| {
            json!({
                "id": format!("co-{i}"), "status": status, "amount": 150.5,
                "currency_code": "GHS", "payment_reference": format!("PAY-K7M2Q9X{i}")
            })
        })
        .collect();
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/checkouts")
                .header("x-api-key", MKEY);
            then.status(200)
                .json_body(json!({"data": items, "message": "ok", "status": "success"}));
        })
        .await;
    let list = merchant_client(&server).list_checkouts().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(list.len(), cases.len());
    for (i, (c, (_, want))) in list.iter().zip(&cases).enumerate() {
        assert_eq!(c.status.as_ref(), Some(want), "item {i}");
        assert_eq!(c.payment_reference, Some(format!("PAY-K7M2Q9X{i}")));
        assert_eq!(c.amount, Some(dec!(150.5)));
    }
    // And serialized back as the wire strings.
    assert_eq!(serde_json::to_value(&list[10].status).unwrap(), json!("timeout"));
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_create_webhook() {
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

#[tokio::test]
async fn op_get_webhooks() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/webhooks")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [
                    {"id": "wh-1", "merchant_id": MERCHANT, "url": "https://a.example.com/hook",
                     "events": ["checkout.approved", "payout.completed"], "is_active": false,
                     "timeout_seconds": 45, "created_at": "2025-11-19T16:30:12.100233",
                     "updated_at": null, "last_delivery_at": "2025-11-21T00:00:00.000000"},
                    {"id": "wh-2", "url": "https://b.example.com/hook"}
                ],
                "message": "Webhooks retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let hooks = merchant_client(&server).get_webhooks().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].is_active, Some(false));
    assert_eq!(hooks[0].timeout_seconds, Some(45));
    assert_eq!(hooks[0].events[0], t::MerchantWebhookEvent::CheckoutApproved);
    // An event the spec does not list still decodes.
    assert_eq!(
        hooks[0].events[1],
        t::MerchantWebhookEvent::Unknown("payout.completed".into())
    );
    assert!(hooks[0].secret.is_none());
    assert_eq!(hooks[1].id, "wh-2");
    assert!(hooks[1].events.is_empty());
}

#[tokio::test]
async fn op_update_webhook() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v1/merchants/webhooks/wh-7")
                .header("x-api-key", MKEY)
                // Fields left out are kept by the API, so none is sent as null or empty.
                .json_body(json!({"events": ["checkout.paid"], "timeout_seconds": 15}));
            then.status(200).json_body(json!({
                "data": {
                    "id": "wh-7", "merchant_id": MERCHANT, "url": "https://shop.example.com/hooks",
                    "events": ["checkout.paid"], "is_active": true, "timeout_seconds": 15,
                    "created_at": "2025-11-19T16:30:12.100233",
                    "updated_at": "2025-11-22T12:00:00.000000", "version": 3
                },
                "message": "Webhook updated successfully",
                "status": "success"
            }));
        })
        .await;
    let hook = merchant_client(&server)
        .update_webhook()
        .webhook_id("wh-7")
        .body(t::UpdateWebhookRequest {
            events: vec![t::MerchantWebhookEventInput::CheckoutPaid],
            timeout_seconds: Some(15),
            ..Default::default()
        })
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(hook.id, "wh-7");
    assert_eq!(hook.events, vec![t::MerchantWebhookEvent::CheckoutPaid]);
    assert_eq!(hook.timeout_seconds, Some(15));
    assert_eq!(hook.url.as_deref(), Some("https://shop.example.com/hooks"));
}

#[tokio::test]
async fn op_delete_webhook() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v1/merchants/webhooks/wh-9")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "wh-9", "merchant_id": MERCHANT, "url": "https://shop.example.com/old",
                    "events": ["checkout.created"], "is_active": false, "timeout_seconds": 30,
                    "created_at": "2025-11-19T16:30:12.100233",
                    "updated_at": "2025-11-22T08:00:00.000000",
                    "deleted_at": "2025-11-22T08:00:00.000000"
                },
                "message": "Webhook deleted successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .delete_webhook()
        .webhook_id("wh-9")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message.as_deref(), Some("Webhook deleted successfully"));
    assert_eq!(env.status.as_deref(), Some("success"));
    assert_eq!(env.data.id, "wh-9");
    assert_eq!(env.data.is_active, Some(false));
    assert_eq!(env.data.events, vec![t::MerchantWebhookEvent::CheckoutCreated]);
}

// ---------------------------------------------------------------------------------------------
// Branding
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_get_branding() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/branding")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "br-1", "merchant_id": MERCHANT, "display_name": "Mama Mboga",
                    "logo_url": null, "primary_color": "#112233", "secondary_color": null,
                    "support_email": "help@mboga.example", "support_phone": "+254700111222",
                    "website_url": "https://mboga.example", "created_at": "2025-11-19T16:16:50.676891",
                    "updated_at": null, "font_family": "Inter"
                },
                "message": "Branding retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let b = merchant_client(&server).get_branding().data().await.unwrap();
    m.assert_async().await;
    assert_eq!(b.id.as_deref(), Some("br-1"));
    assert_eq!(b.display_name.as_deref(), Some("Mama Mboga"));
    assert_eq!(b.logo_url, None);
    assert_eq!(b.primary_color.as_deref(), Some("#112233"));
    assert_eq!(b.support_email.as_deref(), Some("help@mboga.example"));
}

#[tokio::test]
async fn op_update_branding() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v1/merchants/branding")
                .header("x-api-key", MKEY)
                .json_body(json!({
                    "display_name": "Mama Mboga Ltd",
                    "logo_url": "https://mboga.example/logo.svg",
                    "primary_color": "#0A5F38"
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "br-1", "merchant_id": MERCHANT, "display_name": "Mama Mboga Ltd",
                    "logo_url": "https://mboga.example/logo.svg", "primary_color": "#0A5F38",
                    "secondary_color": "#F2C94C", "support_email": null, "support_phone": null,
                    "website_url": null, "created_at": "2025-11-19T16:16:50.676891",
                    "updated_at": "2025-11-22T12:30:00.000000", "theme": "light"
                },
                "message": "Branding updated successfully",
                "status": "success"
            }));
        })
        .await;
    let b = merchant_client(&server)
        .update_branding()
        .body(t::UpdateBrandingRequest {
            display_name: s("Mama Mboga Ltd"),
            logo_url: s("https://mboga.example/logo.svg"),
            primary_color: s("#0A5F38"),
            ..Default::default()
        })
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(b.display_name.as_deref(), Some("Mama Mboga Ltd"));
    assert_eq!(b.secondary_color.as_deref(), Some("#F2C94C"));
    assert_eq!(b.website_url, None);
    assert_eq!(b.updated_at.as_deref(), Some("2025-11-22T12:30:00.000000"));
}

// ---------------------------------------------------------------------------------------------
// Payment accounts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_add_payment_account() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/payment-accounts")
                .header("x-api-key", MKEY)
                .json_body(json!({
                    "account_type": "mobile_money",
                    "currency_id": "cur-kes",
                    "account_name": "Mama Mboga",
                    "phone_number": "+254712345678",
                    "network": "MPESA",
                    "provider_metadata": {"till": "55555"},
                    "is_default": true
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "pa-1", "merchant_id": MERCHANT, "account_type": "mobile_money",
                    "currency_id": "cur-kes", "currency_code": "KES", "account_name": "Mama Mboga",
                    "account_number": null, "bank_name": null, "bank_code": null,
                    "phone_number": "+254712345678", "network": "MPESA",
                    "provider_metadata": {"till": "55555"}, "is_default": true, "status": "active",
                    "created_at": "2025-11-22T17:00:00.000000",
                    "updated_at": "2025-11-22T17:00:00.000000", "verified": false
                },
                "message": "Payment account added successfully",
                "status": "success"
            }));
        })
        .await;
    let body = t::AddPaymentAccountRequest::builder()
        .account_type(t::PaymentAccountTypeInput::MobileMoney)
        .currency_id("cur-kes")
        .account_name(s("Mama Mboga"))
        .phone_number(s("+254712345678"))
        .network(s("MPESA"))
        .provider_metadata(map(json!({"till": "55555"})))
        .is_default(Some(true));
    let acct = merchant_client(&server)
        .add_payment_account()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(acct.id.as_deref(), Some("pa-1"));
    assert_eq!(acct.account_type, Some(t::PaymentAccountType::MobileMoney));
    assert_eq!(acct.status, Some(t::PaymentAccountStatus::Active));
    assert_eq!(acct.network.as_deref(), Some("MPESA"));
    assert_eq!(acct.account_number, None);
    assert_eq!(acct.provider_metadata.unwrap()["till"], "55555");
}

#[tokio::test]
async fn op_get_payment_accounts() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/payment-accounts")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [
                    {"id": "pa-bank", "merchant_id": MERCHANT, "account_type": "bank",
                     "currency_id": "cur-ngn", "currency_code": "NGN", "account_name": "Shop Ltd",
                     "account_number": "0011223344", "bank_name": "First Example Bank",
                     "bank_code": "011", "phone_number": null, "network": null,
                     "provider_metadata": null, "is_default": true, "status": "active",
                     "created_at": "2025-11-19T17:00:00.000000", "updated_at": null,
                     "bvn_verified": true},
                    {"id": "pa-card", "account_type": "card", "status": "pending_review"}
                ],
                "message": "Payment accounts retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let list = merchant_client(&server)
        .get_payment_accounts()
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].account_type, Some(t::PaymentAccountType::Bank));
    assert_eq!(list[0].bank_code.as_deref(), Some("011"));
    assert_eq!(list[0].is_default, Some(true));
    assert_eq!(
        list[1].account_type,
        Some(t::PaymentAccountType::Unknown("card".into()))
    );
    assert_eq!(
        list[1].status,
        Some(t::PaymentAccountStatus::Unknown("pending_review".into()))
    );
}

#[tokio::test]
async fn op_get_payment_account() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/payment-accounts/pa-bank")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "pa-bank", "merchant_id": MERCHANT, "account_type": "bank",
                    "currency_id": "cur-ngn", "currency_code": "NGN", "account_name": "Shop Ltd",
                    "account_number": "0011223344", "bank_name": "First Example Bank",
                    "bank_code": "011", "phone_number": null, "network": null,
                    "provider_metadata": null, "is_default": false, "status": "suspended",
                    "created_at": "2025-11-19T17:00:00.000000", "updated_at": null,
                    "deleted_at": null, "swift_code": "FEXBNGLA"
                },
                "message": "Payment account retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let acct = merchant_client(&server)
        .get_payment_account()
        .account_id("pa-bank")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(acct.id.as_deref(), Some("pa-bank"));
    assert_eq!(acct.status, Some(t::PaymentAccountStatus::Suspended));
    assert_eq!(acct.account_number.as_deref(), Some("0011223344"));
    assert_eq!(acct.bank_name.as_deref(), Some("First Example Bank"));
    assert_eq!(acct.deleted_at, None);
}

#[tokio::test]
async fn op_update_payment_account() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v1/merchants/payment-accounts/pa-bank")
                .header("x-api-key", MKEY)
                .json_body(json!({
                    "account_number": "9988776655",
                    "status": "inactive",
                    "provider_metadata": {"branch": "Ikeja"}
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "pa-bank", "merchant_id": MERCHANT, "account_type": "bank",
                    "currency_id": "cur-ngn", "currency_code": "NGN", "account_name": "Shop Ltd",
                    "account_number": "9988776655", "bank_name": "First Example Bank",
                    "bank_code": "011", "phone_number": null, "network": null,
                    "provider_metadata": {"branch": "Ikeja"}, "is_default": false,
                    "status": "inactive", "created_at": "2025-11-19T17:00:00.000000",
                    "updated_at": "2025-11-22T13:00:00.000000", "change_count": 1
                },
                "message": "Payment account updated successfully",
                "status": "success"
            }));
        })
        .await;
    let acct = merchant_client(&server)
        .update_payment_account()
        .account_id("pa-bank")
        .body(t::UpdatePaymentAccountRequest {
            account_number: s("9988776655"),
            status: Some(t::PaymentAccountStatusInput::Inactive),
            provider_metadata: map(json!({"branch": "Ikeja"})),
            ..Default::default()
        })
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(acct.account_number.as_deref(), Some("9988776655"));
    assert_eq!(acct.status, Some(t::PaymentAccountStatus::Inactive));
    assert_eq!(acct.provider_metadata.unwrap()["branch"], "Ikeja");
    assert_eq!(acct.updated_at.as_deref(), Some("2025-11-22T13:00:00.000000"));
}

#[tokio::test]
async fn op_delete_payment_account() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v1/merchants/payment-accounts/pa-old")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "pa-old", "merchant_id": MERCHANT, "account_type": "bank",
                    "currency_id": "cur-ngn", "status": "inactive", "is_default": false,
                    "created_at": "2025-11-19T17:00:00.000000",
                    "updated_at": "2025-11-22T09:00:00.000000",
                    "deleted_at": "2025-11-22T09:00:00.000000", "deleted_by": MERCHANT
                },
                "message": "Payment account deleted successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .delete_payment_account()
        .account_id("pa-old")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(
        env.message.as_deref(),
        Some("Payment account deleted successfully")
    );
    assert_eq!(env.data.id.as_deref(), Some("pa-old"));
    assert_eq!(env.data.status, Some(t::PaymentAccountStatus::Inactive));
    assert_eq!(env.data.deleted_at.as_deref(), Some("2025-11-22T09:00:00.000000"));
    assert_eq!(env.data.account_name, None);
}

// ---------------------------------------------------------------------------------------------
// Withdrawals
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn op_initiate_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/withdrawals")
                .header("x-api-key", MKEY)
                .json_body(json!({
                    // Sent in Node's number form: `20000`, not `20000.0` (the mock compares
                    // numbers by their JSON type, so this checks the form).
                    "amount": 20000,
                    "currency_code": "NGN",
                    "payment_account_id": "pa-bank",
                    "description": "Friday sweep",
                    "reference": "WD-20251122-0001"
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "wd-1", "merchant_id": MERCHANT, "payment_account_id": "pa-bank",
                    "payout_type": "bank", "recipient_details": null, "amount": 20000,
                    "fee_amount": 100, "currency_code": "NGN", "status": "pending",
                    "reference": "WD-20251122-0001", "description": "Friday sweep",
                    "failure_reason": null, "completed_at": null, "cancelled_at": null,
                    "created_at": "2025-11-22T14:00:00.000000",
                    "updated_at": "2025-11-22T14:00:00.000000",
                    "estimated_arrival": "2025-11-22T16:00:00.000000"
                },
                "message": "Withdrawal initiated successfully",
                "status": "success"
            }));
        })
        .await;
    let body = t::InitiateWithdrawalRequest::builder()
        .amount(dec!(20000))
        .currency_code("NGN")
        .payment_account_id(s("pa-bank"))
        .description(s("Friday sweep"))
        .reference(s("WD-20251122-0001"));
    let wd = merchant_client(&server)
        .initiate_withdrawal()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(wd.id.as_deref(), Some("wd-1"));
    assert_eq!(wd.status, Some(t::WithdrawalStatus::Pending));
    assert_eq!(wd.payout_type, Some(t::PayoutType::Bank));
    assert_eq!(wd.recipient_details, None);
    assert_eq!(wd.amount, Some(dec!(20000)));
    assert_eq!(wd.fee_amount, Some(dec!(100)));
    assert_eq!(wd.reference.as_deref(), Some("WD-20251122-0001"));
}

#[tokio::test]
async fn op_get_withdrawal_history() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/withdrawals")
                .query_param("status", "completed")
                .query_param("currency_code", "NGN")
                .query_param("page", "2")
                .query_param("size", "5")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [{
                    "id": "wd-6", "merchant_id": MERCHANT, "payment_account_id": null,
                    "payout_type": "mobile_money",
                    "recipient_details": {"recipient_name": "Ada Obi", "mobile_number": "+2348012345678",
                                          "network": "MTN", "wallet_provider": "MoMo"},
                    "amount": 1500.5, "fee_amount": null, "currency_code": "NGN",
                    "status": "completed", "reference": null, "description": null,
                    "failure_reason": null, "completed_at": "2025-11-21T15:00:00.000000",
                    "cancelled_at": null, "created_at": "2025-11-21T14:00:00.000000",
                    "updated_at": "2025-11-21T15:00:00.000000"
                }],
                "pagination": {"page": 2, "size": 5, "total": 6, "total_pages": 2},
                "message": "Withdrawals retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .get_withdrawal_history()
        .status(t::WithdrawalStatusInput::Completed)
        .currency_code("NGN")
        .page(2)
        .size(5)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    let wd = &env.data[0];
    assert_eq!(wd.status, Some(t::WithdrawalStatus::Completed));
    assert_eq!(wd.payout_type, Some(t::PayoutType::MobileMoney));
    let r = wd.recipient_details.as_ref().unwrap();
    assert_eq!(r.recipient_name.as_deref(), Some("Ada Obi"));
    assert_eq!(r.mobile_number.as_deref(), Some("+2348012345678"));
    assert_eq!(r.network.as_deref(), Some("MTN"));
    assert_eq!(wd.completed_at.as_deref(), Some("2025-11-21T15:00:00.000000"));
    let page = env.pagination.unwrap();
    assert_eq!((page.page, page.size, page.total), (Some(2), Some(5), Some(6)));
}

#[tokio::test]
async fn op_cancel_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/withdrawals/wd-2/cancel")
                .header("x-api-key", MKEY)
                // No request body is sent.
                .body("");
            then.status(200).json_body(json!({
                "data": {
                    "id": "wd-2", "merchant_id": MERCHANT, "payment_account_id": "pa-bank",
                    "payout_type": "bank", "recipient_details": null, "amount": 3000,
                    "fee_amount": 0, "currency_code": "NGN", "status": "cancelled",
                    "reference": "WD-2", "description": null, "failure_reason": null,
                    "completed_at": null, "cancelled_at": "2025-11-22T14:05:00.000000",
                    "created_at": "2025-11-22T14:00:00.000000",
                    "updated_at": "2025-11-22T14:05:00.000000", "cancelled_by": MERCHANT
                },
                "message": "Withdrawal cancelled successfully",
                "status": "success"
            }));
        })
        .await;
    let wd = merchant_client(&server)
        .cancel_withdrawal()
        .withdrawal_id("wd-2")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(wd.id.as_deref(), Some("wd-2"));
    assert_eq!(wd.status, Some(t::WithdrawalStatus::Cancelled));
    assert_eq!(wd.cancelled_at.as_deref(), Some("2025-11-22T14:05:00.000000"));
    assert_eq!(wd.completed_at, None);
}

#[tokio::test]
async fn op_get_withdrawal() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/withdrawals/wd-3")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "wd-3", "merchant_id": MERCHANT, "payment_account_id": "pa-bank",
                    "payout_type": "bank", "recipient_details": null, "amount": 800,
                    "fee_amount": 12.5, "currency_code": "NGN", "status": "failed",
                    "reference": "WD-3", "description": "Test", "failure_reason": "Account closed",
                    "completed_at": null, "cancelled_at": null,
                    "created_at": "2025-11-21T14:00:00.000000",
                    "updated_at": "2025-11-21T14:01:00.000000", "retryable": false
                },
                "message": "Withdrawal retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let wd = merchant_client(&server)
        .get_withdrawal()
        .withdrawal_id("wd-3")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(wd.id.as_deref(), Some("wd-3"));
    assert_eq!(wd.status, Some(t::WithdrawalStatus::Failed));
    assert_eq!(wd.failure_reason.as_deref(), Some("Account closed"));
    assert_eq!(wd.fee_amount, Some(dec!(12.5)));
    assert_eq!(wd.payment_account_id.as_deref(), Some("pa-bank"));
}

// ---------------------------------------------------------------------------------------------
// Payouts
// ---------------------------------------------------------------------------------------------

fn bank_recipient() -> t::RecipientDetails {
    t::RecipientDetails {
        recipient_name: s("Chidi Okeke"),
        bank_account_number: s("0234567891"),
        bank_name: s("Example Bank"),
        account_holder_name: s("Chidi Okeke Enterprises"),
        bank_routing_number: s("058152052"),
        recipient_email: s("chidi@example.com"),
        ..Default::default()
    }
}

#[tokio::test]
async fn op_initiate_payout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/payouts")
                .header("x-api-key", MKEY)
                .json_body(json!({
                    "amount": 12345.67,
                    "currency_code": "NGN",
                    "payout_type": "bank",
                    "recipient_details": {
                        "recipient_name": "Chidi Okeke",
                        "bank_account_number": "0234567891",
                        "bank_name": "Example Bank",
                        "account_holder_name": "Chidi Okeke Enterprises",
                        "bank_routing_number": "058152052",
                        "recipient_email": "chidi@example.com"
                    },
                    "description": "Supplier invoice 91",
                    "reference": "PO-20251122-0009"
                }));
            then.status(200).json_body(json!({
                "data": {
                    "id": "po-9", "merchant_id": MERCHANT, "payment_account_id": null,
                    "payout_type": "bank",
                    "recipient_details": {
                        "recipient_name": "Chidi Okeke", "bank_account_number": "0234567891",
                        "bank_name": "Example Bank", "account_holder_name": "Chidi Okeke Enterprises",
                        "bank_routing_number": "058152052", "recipient_email": "chidi@example.com",
                        "recipient_phone": null
                    },
                    "amount": 12345.67, "fee_amount": 250, "currency_code": "NGN",
                    "status": "processing", "reference": "PO-20251122-0009",
                    "description": "Supplier invoice 91", "failure_reason": null,
                    "completed_at": null, "cancelled_at": null,
                    "created_at": "2025-11-22T14:00:00.000000",
                    "updated_at": "2025-11-22T14:00:00.000000", "fx_rate": 1.0
                },
                "message": "Payout initiated successfully",
                "status": "success"
            }));
        })
        .await;
    let body = t::InitiatePayoutRequest::builder()
        .amount(dec!(12345.67))
        .currency_code("NGN")
        .payout_type(Some(t::PayoutTypeInput::Bank))
        .recipient_details(Some(bank_recipient()))
        .description(s("Supplier invoice 91"))
        .reference(s("PO-20251122-0009"));
    let po = merchant_client(&server)
        .initiate_payout()
        .body(body)
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(po.id.as_deref(), Some("po-9"));
    assert_eq!(po.status, Some(t::PayoutStatus::Processing));
    assert_eq!(po.payout_type, Some(t::PayoutType::Bank));
    assert_eq!(po.amount, Some(dec!(12345.67)));
    assert_eq!(po.payment_account_id, None);
    let r = po.recipient_details.unwrap();
    assert_eq!(r.account_holder_name.as_deref(), Some("Chidi Okeke Enterprises"));
    assert_eq!(r.recipient_phone, None);
}

#[tokio::test]
async fn op_get_payout_history() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/payouts")
                .query_param("status", "pending")
                .query_param("currency_code", "KES")
                .query_param("page", "4")
                .query_param("size", "50")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": [
                    {"id": "po-1", "merchant_id": MERCHANT, "payment_account_id": "pa-mm",
                     "payout_type": null, "recipient_details": null, "amount": 999,
                     "fee_amount": 9.99, "currency_code": "KES", "status": "pending",
                     "reference": "PO-1", "description": null, "failure_reason": null,
                     "completed_at": null, "cancelled_at": null,
                     "created_at": "2025-11-21T14:00:00.000000", "updated_at": null,
                     "batch_id": null},
                    {"id": "po-2", "currency_code": "KES", "status": "on_hold", "payout_type": "crypto"}
                ],
                "pagination": {"page": 4, "size": 50, "total": 152, "total_pages": 4},
                "message": "Payouts retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .get_payout_history()
        .status(t::PayoutStatusInput::Pending)
        .currency_code("KES")
        .page(4)
        .size(50)
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.data.len(), 2);
    assert_eq!(env.data[0].status, Some(t::PayoutStatus::Pending));
    assert_eq!(env.data[0].payout_type, None);
    assert_eq!(env.data[0].fee_amount, Some(dec!(9.99)));
    assert_eq!(
        env.data[1].status,
        Some(t::PayoutStatus::Unknown("on_hold".into()))
    );
    assert_eq!(
        env.data[1].payout_type,
        Some(t::PayoutType::Unknown("crypto".into()))
    );
    let page = env.pagination.unwrap();
    assert_eq!((page.page, page.total_pages), (Some(4), Some(4)));
}

#[tokio::test]
async fn op_cancel_payout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/merchants/payouts/po-5/cancel")
                .header("x-api-key", MKEY)
                .body("");
            then.status(200).json_body(json!({
                "data": {
                    "id": "po-5", "merchant_id": MERCHANT, "payment_account_id": null,
                    "payout_type": "mobile_money",
                    "recipient_details": {"recipient_name": "Otieno", "mobile_number": "+254733000444",
                                          "network": "MPESA"},
                    "amount": 2000, "fee_amount": 0, "currency_code": "KES", "status": "cancelled",
                    "reference": "PO-5", "description": null, "failure_reason": null,
                    "completed_at": null, "cancelled_at": "2025-11-22T14:05:00.000000",
                    "created_at": "2025-11-22T14:00:00.000000",
                    "updated_at": "2025-11-22T14:05:00.000000", "refunded_to_wallet": true
                },
                "message": "Payout cancelled successfully",
                "status": "success"
            }));
        })
        .await;
    let po = merchant_client(&server)
        .cancel_payout()
        .payout_id("po-5")
        .data()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(po.id.as_deref(), Some("po-5"));
    assert_eq!(po.status, Some(t::PayoutStatus::Cancelled));
    assert_eq!(po.payout_type, Some(t::PayoutType::MobileMoney));
    assert_eq!(
        po.recipient_details.unwrap().mobile_number.as_deref(),
        Some("+254733000444")
    );
    assert_eq!(po.cancelled_at.as_deref(), Some("2025-11-22T14:05:00.000000"));
}

#[tokio::test]
async fn op_get_payout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/merchants/payouts/po-6")
                .header("x-api-key", MKEY);
            then.status(200).json_body(json!({
                "data": {
                    "id": "po-6", "merchant_id": MERCHANT, "payment_account_id": "pa-bank",
                    "payout_type": "bank", "recipient_details": null, "amount": 75000,
                    "fee_amount": 300, "currency_code": "NGN", "status": "completed",
                    "reference": "PO-6", "description": "Rent", "failure_reason": null,
                    "completed_at": "2025-11-21T14:30:00.000000", "cancelled_at": null,
                    "created_at": "2025-11-21T14:00:00.000000",
                    "updated_at": "2025-11-21T14:30:00.000000", "provider_reference": "NIP-123"
                },
                "message": "Payout retrieved successfully",
                "status": "success"
            }));
        })
        .await;
    let env = merchant_client(&server)
        .get_payout()
        .payout_id("po-6")
        .call()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(env.message.as_deref(), Some("Payout retrieved successfully"));
    let po = env.data;
    assert_eq!(po.id.as_deref(), Some("po-6"));
    assert_eq!(po.status, Some(t::PayoutStatus::Completed));
    assert_eq!(po.amount, Some(dec!(75000)));
    assert_eq!(po.description.as_deref(), Some("Rent"));
    assert_eq!(po.completed_at.as_deref(), Some("2025-11-21T14:30:00.000000"));
}

// ---------------------------------------------------------------------------------------------
// Money-moving operations: sent once on a 503, outcome unknown
// ---------------------------------------------------------------------------------------------

fn assert_outcome_unknown_503(err: &kotanipay::Error, op: &str) {
    assert_eq!(err.operation(), op);
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(
        err.message().contains("Service temporarily unavailable"),
        "{}",
        err.message()
    );
    assert!(err.api_body::<t::MerchantError>().is_some());
}

#[tokio::test]
async fn money_process_refund_is_sent_once_on_503() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/merchants/wallet/refund");
            then.status(503)
                .json_body(json!({"detail": "Service temporarily unavailable"}));
        })
        .await;
    let err = merchant_client(&server)
        .process_refund()
        .body(t::ProcessRefundRequest {
            original_transaction_id: "dep-42".into(),
            refund_amount: dec!(100),
            currency_code: "NGN".into(),
            reason: "Duplicate charge".into(),
        })
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert_outcome_unknown_503(&err, "process_refund");
}

#[tokio::test]
async fn money_initiate_withdrawal_is_sent_once_on_503() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/merchants/withdrawals");
            then.status(503)
                .json_body(json!({"detail": "Service temporarily unavailable"}));
        })
        .await;
    // Even with a reference: the API is not known to deduplicate on it.
    let body = t::InitiateWithdrawalRequest::builder()
        .amount(dec!(500))
        .currency_code("NGN")
        .payment_account_id(s("pa-bank"))
        .reference(s("WD-ONCE-1"));
    let err = merchant_client(&server)
        .initiate_withdrawal()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert_outcome_unknown_503(&err, "initiate_withdrawal");
}

#[tokio::test]
async fn money_initiate_payout_is_sent_once_on_503() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/merchants/payouts");
            then.status(503)
                .json_body(json!({"detail": "Service temporarily unavailable"}));
        })
        .await;
    let body = t::InitiatePayoutRequest::builder()
        .amount(dec!(750))
        .currency_code("NGN")
        .payout_type(Some(t::PayoutTypeInput::Bank))
        .recipient_details(Some(bank_recipient()))
        .reference(s("PO-ONCE-1"));
    let err = merchant_client(&server)
        .initiate_payout()
        .body(body)
        .call()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    assert_outcome_unknown_503(&err, "initiate_payout");
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
