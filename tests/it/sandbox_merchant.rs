//! Sandbox lifecycles: sandbox_merchant. The KutanaPay merchant API driven through the public
//! merchant client: API keys, wallets, checkouts paid by the simulated customer, refunds,
//! webhooks registered through the API (signed deliveries, retries), payment accounts,
//! withdrawals and payouts on reserved numbers, branding, FastAPI errors.

use std::time::Duration;

use kotanipay::merchant::types as t;
use kotanipay::prelude::*;
use kotanipay::sandbox::{DeliveryState, Sandbox};
use kotanipay::webhook::MerchantPayload;
use kotanipay::webhook::merchant::{DeliveryHeaders, Verifier};
use kotanipay::{ErrorKind, merchant};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common;
use crate::sandbox::finish;

/// A request body from JSON written with the API's field names.
fn from_json<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("the test body fits the request type")
}

/// A client with `key` that sends every request once.
fn client_with(sandbox: &Sandbox, key: &str) -> merchant::Client {
    merchant::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(key)
        .retry(kotanipay::RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// The sandbox's own merchant client, sending every request once.
fn shop(sandbox: &Sandbox) -> merchant::Client {
    client_with(sandbox, &sandbox.merchant_api_key())
}

/// A receiver that answers every delivery 200.
async fn receiver() -> common::Server {
    common::start(|_, _| common::json(200, "{}")).await
}

/// Registers `url` for `events` (empty: every event) through the API; its id and secret.
async fn register(shop: &merchant::Client, url: &str, events: &[&str]) -> (String, String) {
    let hook = shop
        .create_webhook()
        .body(from_json::<t::CreateWebhookRequest>(
            json!({"url": url, "events": events}),
        ))
        .data()
        .await
        .unwrap();
    let secret = hook.secret.expect("the create response shows the secret");
    (hook.id, secret.expose().to_string())
}

async fn create_checkout(shop: &merchant::Client, amount: u32, currency: &str) -> t::Checkout {
    shop.create_checkout()
        .body(from_json::<t::CreateCheckoutRequest>(json!({
            "amount": amount,
            "currency_code": currency,
            "description": "Order 1042",
            "reference": "ORDER-1042",
            "customer_name": "Ada Obi",
            "customer_email": "ada@example.com",
            "customer_phone": "+2348012345678",
            "meta_data": {"order_id": "1042"},
        })))
        .data()
        .await
        .unwrap()
}

async fn wallet(shop: &merchant::Client, code: &str) -> (Decimal, Decimal) {
    let w = shop
        .get_wallet_by_currency()
        .currency_code(code)
        .data()
        .await
        .unwrap();
    (w.available_balance.unwrap(), w.holding_balance.unwrap())
}

fn mobile_payout(amount: f64, currency: &str, number: &str) -> Value {
    json!({
        "amount": amount,
        "currency_code": currency,
        "payout_type": "mobile_money",
        "recipient_details": {"recipient_name": "Jane Mary Doe", "mobile_number": number, "network": "MPESA"},
        "description": "Supplier invoice 88",
        "reference": "PO-88",
    })
}

/// Verifies a delivery with `secret`, its timestamp measured against the sandbox clock.
fn verify(
    sandbox: &Sandbox,
    d: &kotanipay::sandbox::Delivery,
    secret: &str,
) -> kotanipay::webhook::MerchantEvent {
    let headers = d.header_map();
    Verifier::new([secret])
        .with_tolerance(Duration::from_secs(60))
        .verify_parts_at(
            DeliveryHeaders::from_map(&headers).unwrap(),
            &d.body,
            sandbox.now(),
        )
        .unwrap()
}

fn status_of(err: &kotanipay::Error) -> Option<u16> {
    err.status().map(|s| s.as_u16())
}

#[tokio::test]
async fn an_api_key_works_until_revoked_then_is_refused() {
    let sandbox = Sandbox::start().await;
    let admin = shop(&sandbox);
    let created = admin
        .create_api_key()
        .body(t::CreateApiKeyRequest {
            name: "aws backend".into(),
        })
        .data()
        .await
        .unwrap();
    assert_eq!(created.key_name, "aws backend");
    assert_eq!(created.status, t::ApiKeyStatus::Active);
    assert_eq!(created.merchant_id, sandbox.merchant_id());
    let key = created
        .key_hash
        .expect("the plaintext key, shown once")
        .expose()
        .to_string();
    assert!(key.starts_with("mk_"), "{key}");
    assert_eq!(created.key_prefix.as_deref(), Some(&key[..10]));

    // The new key works as x-api-key.
    let backend = client_with(&sandbox, &key);
    assert_eq!(backend.get_all_wallets().data().await.unwrap().len(), 4);

    // Listed (with the issued key), never with the plaintext.
    let keys = admin.get_api_keys().data().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.key_hash.is_none()));
    let listed = keys.iter().find(|k| k.id == created.id).unwrap();
    assert!(listed.last_used_at.is_some(), "used once already");

    // Revoked: refused from then on, the revoked key listed as such.
    let revoked = admin
        .revoke_api_key()
        .api_key_id(&created.id)
        .data()
        .await
        .unwrap();
    assert_eq!(revoked.status, t::ApiKeyStatus::Revoked);
    assert!(revoked.revoked_at.is_some());
    let err = backend.get_all_wallets().call().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(status_of(&err), Some(401));
    assert!(err.message().contains("revoked"), "{}", err.message());
    let keys = admin.get_api_keys().data().await.unwrap();
    assert_eq!(
        keys.iter().find(|k| k.id == created.id).unwrap().status,
        t::ApiKeyStatus::Revoked
    );

    // A key that is not the merchant's own cannot be revoked; an unknown key is refused.
    let err = admin
        .revoke_api_key()
        .api_key_id("36dfedbc-3568-4b4a-8dfd-1f778476ef50")
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404));
    let err = client_with(&sandbox, "mk_not_a_key")
        .get_all_wallets()
        .call()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    // The plaintext key never reaches the HAR.
    assert!(!sandbox.har().to_string().contains(&key));
    finish(&sandbox, "merchant_api_keys");
}

#[tokio::test]
async fn wallets_by_currency_and_status() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let wallets = shop.get_all_wallets().data().await.unwrap();
    let codes: Vec<_> = wallets.iter().filter_map(|w| w.currency_code.clone()).collect();
    assert_eq!(codes, ["KES", "NGN", "GHS", "USD"]);
    assert!(wallets.iter().all(|w| w.holding_balance == Some(Decimal::ZERO)));

    // Case-insensitive; an unknown currency is 404.
    let ngn = shop
        .get_wallet_by_currency()
        .currency_code("ngn")
        .data()
        .await
        .unwrap();
    assert_eq!(ngn.currency_code.as_deref(), Some("NGN"));
    assert_eq!(ngn.available_balance, Some(dec!(5000000)));
    let err = shop
        .get_wallet_by_currency()
        .currency_code("xyz")
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404));

    // A suspended wallet takes no new checkout; active again, it does.
    let suspended = shop
        .update_wallet_status()
        .currency_code("NGN")
        .body(from_json::<t::UpdateWalletStatusRequest>(
            json!({"status": "suspended", "reason": "audit"}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(suspended.status, Some(t::WalletStatus::Suspended));
    let err = shop
        .create_checkout()
        .body(from_json::<t::CreateCheckoutRequest>(
            json!({"amount": 100, "currency_code": "NGN"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    shop.update_wallet_status()
        .currency_code("ngn")
        .body(from_json::<t::UpdateWalletStatusRequest>(
            json!({"status": "active"}),
        ))
        .call()
        .await
        .unwrap();
    create_checkout(&shop, 100, "NGN").await;

    // No movement yet; the settlement list is empty, with its pagination.
    let moves = shop.get_wallet_transactions().call().await.unwrap();
    assert!(moves.data.is_empty());
    let batches = shop
        .get_settlement_batches()
        .page(1)
        .size(10)
        .call()
        .await
        .unwrap();
    assert!(batches.data.is_empty());
    assert_eq!(batches.pagination.unwrap().total, Some(0));
    finish(&sandbox, "merchant_wallets");
}

#[tokio::test]
async fn a_checkout_paid_by_the_customer_is_delivered_signed_and_settles() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let hooks = receiver().await;
    let (_, secret) = register(
        &shop,
        &format!("{}/hooks/kutanapay", hooks.base_url),
        &["checkout.created", "checkout.paid"],
    )
    .await;

    let checkout = create_checkout(&shop, 25000, "NGN").await;
    assert_eq!(checkout.status, Some(t::CheckoutStatus::Pending));
    assert_eq!(checkout.amount, Some(dec!(25000)));
    assert_eq!(
        checkout.checkout_url.as_deref(),
        Some(format!("https://checkout.sandbox.kutanapay.test/{}", checkout.id).as_str())
    );
    assert!(
        checkout
            .payment_reference
            .as_deref()
            .is_some_and(|r| r.starts_with("PAY-"))
    );
    assert!(checkout.paid_at.is_none());

    sandbox.pay_checkout(&checkout.id).await.unwrap();
    let paid = shop
        .get_checkout()
        .checkout_id(&checkout.id)
        .data()
        .await
        .unwrap();
    assert_eq!(paid.status, Some(t::CheckoutStatus::Paid));
    assert!(paid.paid_at.is_some());
    assert!(
        sandbox.pay_checkout(&checkout.id).await.is_err(),
        "paid once only"
    );
    assert!(sandbox.pay_checkout("no-such-checkout").await.is_err());

    // The deposit, unsettled, in the holding balance.
    let deposits = shop
        .get_merchant_transactions()
        .transaction_type(t::TransactionTypeInput::Deposit)
        .call()
        .await
        .unwrap();
    assert_eq!(deposits.data.len(), 1);
    let deposit = &deposits.data[0];
    assert_eq!(deposit.checkout_id.as_deref(), Some(checkout.id.as_str()));
    assert_eq!(deposit.amount, Some(dec!(25000)));
    assert_eq!(deposit.status, Some(t::TransactionStatus::Completed));
    assert_eq!(deposit.settlement_status, Some(t::SettlementStatus::Unsettled));
    assert_eq!(deposits.pagination.as_ref().unwrap().total, Some(1));
    let one = shop
        .get_merchant_transaction()
        .transaction_id(&deposit.transaction_id)
        .data()
        .await
        .unwrap();
    assert_eq!(one.customer_email.as_deref(), Some("ada@example.com"));
    assert_eq!(wallet(&shop, "NGN").await, (dec!(5000000), dec!(25000)));

    // checkout.created and checkout.paid reached the receiver, signed with the webhook's secret.
    let deliveries = sandbox.deliveries();
    let events: Vec<_> = deliveries.iter().map(|d| d.event.as_str()).collect();
    assert_eq!(events, ["checkout.created", "checkout.paid"]);
    assert_eq!(hooks.count(), 2);
    for d in &deliveries {
        assert_eq!(d.state, DeliveryState::Delivered);
        // The wall clock and the sandbox clock agree here (nothing advanced yet).
        let event = Verifier::new([secret.as_str()])
            .with_tolerance(Duration::from_secs(300))
            .verify(&d.header_map(), &d.body)
            .unwrap();
        assert_eq!(event.event_type(), d.event);
        assert_eq!(event.version(), Some("v1"));
        assert_eq!(event.merchant_id(), Some(sandbox.merchant_id().as_str()));
        let c = match event.payload() {
            MerchantPayload::CheckoutCreated(c) | MerchantPayload::CheckoutPaid(c) => c,
            other => panic!("not a checkout event: {other:?}"),
        };
        assert_eq!(c.checkout_id_or_id(), Some(checkout.id.as_str()));
        assert_eq!(c.amount, Some(dec!(25000)));
    }
    let seen = hooks.requests();
    assert_eq!(seen[1].path, "/hooks/kutanapay");
    assert_eq!(seen[1].header("x-webhook-event"), Some("checkout.paid"));
    assert_eq!(seen[1].body, deliveries[1].body);
    assert!(
        seen[1]
            .header("x-webhook-signature")
            .is_some_and(|s| s.starts_with("sha256="))
    );

    // 24 hours later the settlement pass moves it to the available balance.
    sandbox.advance(Duration::from_secs(24 * 3600)).await;
    assert_eq!(wallet(&shop, "NGN").await, (dec!(5025000), dec!(0)));
    let deposit = shop
        .get_merchant_transaction()
        .transaction_id(&deposit.transaction_id)
        .data()
        .await
        .unwrap();
    assert_eq!(deposit.settlement_status, Some(t::SettlementStatus::Settled));
    let batches = shop
        .get_settlement_batches()
        .currency_code("NGN")
        .data()
        .await
        .unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].net_amount, Some(dec!(25000)));
    assert_eq!(batches[0].transaction_count, Some(1));
    let moves = shop
        .get_wallet_transactions()
        .currency_code("ngn")
        .data()
        .await
        .unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0].transaction_type.as_deref(), Some("settlement"));
    assert_eq!(moves[0].balance_after, Some(dec!(5025000)));
    finish(&sandbox, "merchant_checkout_paid");
}

#[tokio::test]
async fn deliveries_are_retried_after_a_500_and_never_after_a_4xx() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let flaky = common::start(|n, _| {
        if n == 0 {
            common::json(500, "{}")
        } else {
            common::json(200, "{}")
        }
    })
    .await;
    let refusing = common::start(|_, _| common::json(400, r#"{"error":"bad"}"#)).await;
    let (_, flaky_secret) = register(&shop, &flaky.base_url, &["checkout.created"]).await;
    register(&shop, &refusing.base_url, &["checkout.created"]).await;

    create_checkout(&shop, 500, "KES").await;
    // The first attempts go out right after the request; this waits for them.
    sandbox.advance(Duration::ZERO).await;
    let find = |url: &str| {
        sandbox
            .deliveries()
            .into_iter()
            .find(|d| d.url.starts_with(url))
            .unwrap()
    };
    let first = find(&flaky.base_url);
    assert_eq!(first.state, DeliveryState::Retrying);
    assert_eq!(first.attempts.len(), 1);
    assert_eq!(first.attempts[0].status, Some(500));
    let refused = find(&refusing.base_url);
    assert_eq!(refused.state, DeliveryState::GaveUp);
    assert_eq!(refused.attempts.len(), 1);

    // Not before 5 minutes...
    sandbox.advance(Duration::from_secs(299)).await;
    assert_eq!(find(&flaky.base_url).attempts.len(), 1);
    // ...then again, the same body and idempotency key.
    sandbox.advance(Duration::from_secs(1)).await;
    let retried = find(&flaky.base_url);
    assert_eq!(retried.state, DeliveryState::Delivered);
    assert_eq!(retried.attempts.len(), 2);
    assert_eq!(flaky.count(), 2);
    let bodies: Vec<_> = flaky.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies[0], bodies[1]);
    // The signed timestamp is the event's: checked against the sandbox clock, a tolerance of
    // a minute refuses the retry, one of ten accepts it.
    let headers = retried.header_map();
    let parts = DeliveryHeaders::from_map(&headers).unwrap();
    let strict = Verifier::new([flaky_secret.as_str()]).with_tolerance(Duration::from_secs(60));
    assert!(
        strict
            .verify_parts_at(parts, &retried.body, sandbox.now())
            .is_err()
    );
    let lenient = Verifier::new([flaky_secret.as_str()]).with_tolerance(Duration::from_secs(600));
    assert!(
        lenient
            .verify_parts_at(parts, &retried.body, sandbox.now())
            .is_ok()
    );

    // The 4xx receiver was never asked again.
    sandbox.advance(Duration::from_secs(7 * 3600)).await;
    assert_eq!(refusing.count(), 1);
    assert_eq!(find(&refusing.base_url).state, DeliveryState::GaveUp);
    finish(&sandbox, "merchant_webhook_retries");
}

#[tokio::test]
async fn webhooks_can_be_updated_deactivated_and_deleted() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let hooks = receiver().await;
    let (id, secret) = register(&shop, &hooks.base_url, &["checkout.paid"]).await;
    let listed = shop.get_webhooks().data().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].secret.is_none(), "the secret is shown once");
    assert_eq!(listed[0].timeout_seconds, Some(30));

    // Not subscribed to checkout.created: nothing sent.
    let c = create_checkout(&shop, 100, "KES").await;
    assert!(sandbox.deliveries().is_empty());

    let updated = shop
        .update_webhook()
        .webhook_id(&id)
        .body(from_json::<t::UpdateWebhookRequest>(
            json!({"is_active": false, "timeout_seconds": 15}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(updated.is_active, Some(false));
    assert_eq!(updated.timeout_seconds, Some(15));
    sandbox.pay_checkout(&c.id).await.unwrap();
    assert!(sandbox.deliveries().is_empty(), "inactive");

    let deleted = shop.delete_webhook().webhook_id(&id).data().await.unwrap();
    assert_eq!(deleted.id, id);
    assert!(shop.get_webhooks().data().await.unwrap().is_empty());
    let err = shop.delete_webhook().webhook_id(&id).call().await.unwrap_err();
    assert_eq!(status_of(&err), Some(404));

    // A URL that is not http(s) is a FastAPI 422.
    let err = shop
        .create_webhook()
        .body(from_json::<t::CreateWebhookRequest>(
            json!({"url": "ftp://x.example", "events": []}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    assert_eq!(err.validation_errors()[0].location, "body.url");
    assert!(!sandbox.har().to_string().contains(&secret));
    finish(&sandbox, "merchant_webhooks_crud");
}

#[tokio::test]
async fn a_checkout_is_cancelled_only_while_pending() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let first = create_checkout(&shop, 100, "GHS").await;
    let second = create_checkout(&shop, 200, "GHS").await;
    let cancelled = shop
        .cancel_checkout()
        .checkout_id(&first.id)
        .data()
        .await
        .unwrap();
    assert_eq!(cancelled.status, Some(t::CheckoutStatus::Cancelled));
    let err = shop
        .cancel_checkout()
        .checkout_id(&first.id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    assert!(err.message().contains("cancelled"), "{}", err.message());
    assert!(
        sandbox.pay_checkout(&first.id).await.is_err(),
        "a cancelled checkout cannot be paid"
    );

    assert!(
        sandbox.approve_checkout(&second.id).await.is_err(),
        "not paid yet"
    );
    sandbox.pay_checkout(&second.id).await.unwrap();
    let err = shop
        .cancel_checkout()
        .checkout_id(&second.id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    sandbox.approve_checkout(&second.id).await.unwrap();
    let approved = shop.get_checkout().checkout_id(&second.id).data().await.unwrap();
    assert_eq!(approved.status, Some(t::CheckoutStatus::Approved));
    assert!(
        sandbox.approve_checkout(&second.id).await.is_err(),
        "approved once only"
    );
    let err = shop.get_checkout().checkout_id("nope").call().await.unwrap_err();
    assert_eq!(status_of(&err), Some(404));

    // Newest first, limit/offset.
    let page = shop.list_checkouts().limit(1).offset(0).data().await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, second.id);
    let page = shop.list_checkouts().limit(1).offset(1).data().await.unwrap();
    assert_eq!(page[0].id, first.id);
    assert_eq!(wallet(&shop, "GHS").await, (dec!(10000), dec!(200)));

    // An unpaid checkout expires after 24 hours.
    let third = create_checkout(&shop, 300, "GHS").await;
    sandbox.advance(Duration::from_secs(24 * 3600 + 1)).await;
    let expired = shop.get_checkout().checkout_id(&third.id).data().await.unwrap();
    assert_eq!(expired.status, Some(t::CheckoutStatus::Expired));
    finish(&sandbox, "merchant_checkout_cancel");
}

#[tokio::test]
async fn refunds_follow_the_rules() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let c = create_checkout(&shop, 25000, "NGN").await;
    sandbox.pay_checkout(&c.id).await.unwrap();
    let deposit = shop.get_merchant_transactions().data().await.unwrap().remove(0);
    let refund = |amount: Value, currency: &str, id: &str| {
        shop.process_refund()
            .body(from_json::<t::ProcessRefundRequest>(json!({
                "original_transaction_id": id,
                "refund_amount": amount,
                "currency_code": currency,
                "reason": "Customer returned the goods",
            })))
    };

    // Unsettled: from the holding balance.
    let r = refund(json!(10000), "ngn", &deposit.transaction_id)
        .data()
        .await
        .unwrap();
    assert_eq!(r.transaction_type, Some(t::TransactionType::Refund));
    assert_eq!(r.status, Some(t::TransactionStatus::Completed));
    assert_eq!(
        r.original_transaction_id.as_deref(),
        Some(deposit.transaction_id.as_str())
    );
    assert_eq!(r.amount, Some(dec!(10000)));
    assert_eq!(wallet(&shop, "NGN").await, (dec!(5000000), dec!(15000)));

    // More than what is left, another currency, an unknown transaction, a refund of a refund,
    // a zero amount.
    let err = refund(json!(15000.01), "NGN", &deposit.transaction_id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    assert!(err.message().contains("refundable"), "{}", err.message());
    let err = refund(json!(100), "KES", &deposit.transaction_id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    let err = refund(json!(100), "NGN", "8a4c2e1f-6b3d-4f7a-9e5c-1d2b3a4c5e6f")
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404));
    let err = refund(json!(100), "NGN", &r.transaction_id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    let err = refund(json!(0), "NGN", &deposit.transaction_id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    assert_eq!(err.validation_errors()[0].location, "body.refund_amount");
    assert_eq!(
        wallet(&shop, "NGN").await,
        (dec!(5000000), dec!(15000)),
        "nothing moved"
    );

    // Settled (what was left of it): from the available balance.
    sandbox.advance(Duration::from_secs(24 * 3600)).await;
    assert_eq!(wallet(&shop, "NGN").await, (dec!(5015000), dec!(0)));
    refund(json!(15000), "NGN", &deposit.transaction_id)
        .call()
        .await
        .unwrap();
    assert_eq!(wallet(&shop, "NGN").await, (dec!(5000000), dec!(0)));
    let err = refund(json!(1), "NGN", &deposit.transaction_id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400), "fully refunded");

    let refunds = shop
        .get_merchant_transactions()
        .transaction_type(t::TransactionTypeInput::Refund)
        .data()
        .await
        .unwrap();
    assert_eq!(refunds.len(), 2);
    let moves = shop.get_wallet_transactions().data().await.unwrap();
    let kinds: Vec<_> = moves
        .iter()
        .filter_map(|m| m.transaction_type.as_deref())
        .collect();
    assert_eq!(kinds, ["refund", "settlement", "refund"], "newest first");
    finish(&sandbox, "merchant_refunds");
}

#[tokio::test]
async fn payment_accounts_are_saved_changed_and_deleted() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let ngn = shop
        .get_wallet_by_currency()
        .currency_code("NGN")
        .data()
        .await
        .unwrap();
    let bank = shop
        .add_payment_account()
        .body(from_json::<t::AddPaymentAccountRequest>(json!({
            "account_type": "bank",
            "currency_id": ngn.currency_id,
            "account_name": "Example Shop Ltd",
            "account_number": "0123456789",
            "bank_name": "Example Bank",
            "bank_code": "058",
            "is_default": true,
        })))
        .data()
        .await
        .unwrap();
    assert_eq!(bank.currency_code.as_deref(), Some("NGN"));
    assert_eq!(bank.status, Some(t::PaymentAccountStatus::Active));
    assert_eq!(bank.is_default, Some(true));
    let mobile = shop
        .add_payment_account()
        .body(from_json::<t::AddPaymentAccountRequest>(json!({
            "account_type": "mobile_money",
            "currency_id": "KES",
            "account_name": "Example Shop Ltd",
            "phone_number": "+254712345678",
            "network": "MPESA",
        })))
        .data()
        .await
        .unwrap();
    assert_eq!(mobile.currency_code.as_deref(), Some("KES"));

    // A mobile-money account needs its number; an unknown currency is 404.
    let err = shop
        .add_payment_account()
        .body(from_json::<t::AddPaymentAccountRequest>(
            json!({"account_type": "mobile_money", "currency_id": "KES"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    assert_eq!(err.validation_errors()[0].location, "body.phone_number");
    let err = shop
        .add_payment_account()
        .body(from_json::<t::AddPaymentAccountRequest>(
            json!({"account_type": "bank", "currency_id": "nope", "account_number": "1"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404));

    assert_eq!(shop.get_payment_accounts().data().await.unwrap().len(), 2);
    let id = bank.id.clone().unwrap();
    let updated = shop
        .update_payment_account()
        .account_id(&id)
        .body(from_json::<t::UpdatePaymentAccountRequest>(
            json!({"account_number": "9876543210", "status": "inactive"}),
        ))
        .data()
        .await
        .unwrap();
    assert_eq!(updated.account_number.as_deref(), Some("9876543210"));
    assert_eq!(updated.status, Some(t::PaymentAccountStatus::Inactive));
    assert_eq!(updated.account_type, bank.account_type);

    // account_type and currency_id cannot change (sent raw: the typed request has no such field).
    let (status, body) = raw_put(
        &sandbox,
        &format!("/api/v1/merchants/payment-accounts/{id}"),
        json!({"account_type": "mobile_money"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"], "account_type cannot be changed");
    let (status, _) = raw_put(
        &sandbox,
        &format!("/api/v1/merchants/payment-accounts/{id}"),
        json!({"currency_id": "KES"}),
    )
    .await;
    assert_eq!(status, 400);

    // An inactive account takes no withdrawal.
    let err = shop
        .initiate_withdrawal()
        .body(from_json::<t::InitiateWithdrawalRequest>(
            json!({"amount": 10, "currency_code": "NGN", "payment_account_id": id}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));

    let deleted = shop
        .delete_payment_account()
        .account_id(&id)
        .data()
        .await
        .unwrap();
    assert!(deleted.deleted_at.is_some());
    let err = shop
        .get_payment_account()
        .account_id(&id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404));
    let left = shop.get_payment_accounts().data().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, mobile.id);
    finish(&sandbox, "merchant_payment_accounts");
}

async fn raw_put(sandbox: &Sandbox, path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .put(format!("{}{path}", sandbox.base_url()))
        .header("x-api-key", sandbox.merchant_api_key())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_payout_is_debited_processed_completed_and_delivered() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let hooks = receiver().await;
    let (_, secret) = register(&shop, &hooks.base_url, &[]).await; // empty: every event

    let p = shop
        .initiate_payout()
        .body(from_json::<t::InitiatePayoutRequest>(mobile_payout(
            1500.50,
            "KES",
            "+254712345678",
        )))
        .data()
        .await
        .unwrap();
    assert_eq!(p.status, Some(t::PayoutStatus::Pending));
    assert_eq!(p.amount, Some(dec!(1500.50)));
    assert_eq!(p.payout_type, Some(t::PayoutType::MobileMoney));
    let id = p.id.clone().unwrap();
    assert_eq!(
        wallet(&shop, "KES").await,
        (dec!(98499.50), dec!(0)),
        "debited at creation"
    );
    let txn = shop
        .get_merchant_transaction()
        .transaction_id(&id)
        .data()
        .await
        .unwrap();
    assert_eq!(txn.transaction_type, Some(t::TransactionType::Payout));
    assert_eq!(txn.status, Some(t::TransactionStatus::Pending));

    sandbox.advance(Duration::from_secs(1)).await;
    let p = shop.get_payout().payout_id(&id).data().await.unwrap();
    assert_eq!(p.status, Some(t::PayoutStatus::Processing));
    let err = shop.cancel_payout().payout_id(&id).call().await.unwrap_err();
    assert_eq!(
        status_of(&err),
        Some(400),
        "only a pending payout can be cancelled"
    );

    sandbox.advance(Duration::from_secs(4)).await;
    let p = shop.get_payout().payout_id(&id).data().await.unwrap();
    assert_eq!(p.status, Some(t::PayoutStatus::Completed));
    assert!(p.completed_at.is_some());
    let txn = shop
        .get_merchant_transaction()
        .transaction_id(&id)
        .data()
        .await
        .unwrap();
    assert_eq!(txn.status, Some(t::TransactionStatus::Completed));
    assert_eq!(wallet(&shop, "KES").await, (dec!(98499.50), dec!(0)));

    let history = shop
        .get_payout_history()
        .status(t::PayoutStatusInput::Completed)
        .call()
        .await
        .unwrap();
    assert_eq!(history.data.len(), 1);
    assert_eq!(history.pagination.unwrap().total, Some(1));

    let events: Vec<_> = sandbox.deliveries().into_iter().map(|d| d.event).collect();
    assert_eq!(
        events,
        ["payout.created", "payout.processing", "payout.completed"]
    );
    for d in sandbox.deliveries() {
        let e = verify(&sandbox, &d, &secret);
        assert!(e.payload().is_unknown(), "not a published event type");
        assert_eq!(e.data()["id"], json!(id));
    }
    assert_eq!(hooks.count(), 3);
    finish(&sandbox, "merchant_payout_lifecycle");
}

#[tokio::test]
async fn a_failed_payout_gives_the_money_back() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let p = shop
        .initiate_payout()
        .body(from_json::<t::InitiatePayoutRequest>(mobile_payout(
            2000.0,
            "KES",
            "+254700000010",
        )))
        .data()
        .await
        .unwrap();
    let id = p.id.unwrap();
    assert_eq!(wallet(&shop, "KES").await.0, dec!(98000));
    sandbox.advance(Duration::from_secs(5)).await;
    let p = shop.get_payout().payout_id(&id).data().await.unwrap();
    assert_eq!(p.status, Some(t::PayoutStatus::Failed));
    assert_eq!(p.failure_reason.as_deref(), Some("Insufficient funds"));
    assert_eq!(wallet(&shop, "KES").await.0, dec!(100000), "reversed");
    let txn = shop
        .get_merchant_transaction()
        .transaction_id(&id)
        .data()
        .await
        .unwrap();
    assert_eq!(txn.status, Some(t::TransactionStatus::Failed));
    let moves = shop
        .get_wallet_transactions()
        .currency_code("KES")
        .data()
        .await
        .unwrap();
    let kinds: Vec<_> = moves
        .iter()
        .filter_map(|m| m.transaction_type.as_deref())
        .collect();
    assert_eq!(kinds, ["reversal", "payout"]);
    assert_eq!(moves[0].related_transaction_id.as_deref(), Some(id.as_str()));

    // A bank account Kotani's sandbox does not find fails the same way.
    let w = shop
        .initiate_withdrawal()
        .body(from_json::<t::InitiateWithdrawalRequest>(json!({
            "amount": 500,
            "currency_code": "NGN",
            "payout_type": "bank",
            "recipient_details": {
                "recipient_name": "Example Shop Ltd",
                "bank_account_number": "1000000005",
                "bank_name": "Example Bank",
                "account_holder_name": "Example Shop Ltd",
            },
        })))
        .data()
        .await
        .unwrap();
    sandbox.advance(Duration::from_secs(5)).await;
    let w = shop
        .get_withdrawal()
        .withdrawal_id(w.id.as_deref().unwrap())
        .data()
        .await
        .unwrap();
    assert_eq!(w.status, Some(t::WithdrawalStatus::Failed));
    assert_eq!(w.failure_reason.as_deref(), Some("Account not found"));
    assert_eq!(wallet(&shop, "NGN").await.0, dec!(5000000));
    finish(&sandbox, "merchant_payout_failed");
}

#[tokio::test]
async fn an_overdraft_is_refused_and_creates_nothing() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let err = shop
        .initiate_payout()
        .body(from_json::<t::InitiatePayoutRequest>(mobile_payout(
            1000.01,
            "USD",
            "+254712345678",
        )))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    assert!(
        err.message().contains("Insufficient balance"),
        "{}",
        err.message()
    );
    assert!(!err.is_outcome_unknown(), "a documented 4xx is definite");
    assert!(shop.get_payout_history().data().await.unwrap().is_empty());
    assert_eq!(wallet(&shop, "USD").await.0, dec!(1000));

    // Neither a saved account nor a recipient: a FastAPI 422.
    let err = shop
        .initiate_withdrawal()
        .body(from_json::<t::InitiateWithdrawalRequest>(
            json!({"amount": 10, "currency_code": "USD"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    let err = shop
        .initiate_withdrawal()
        .body(from_json::<t::InitiateWithdrawalRequest>(json!({
            "amount": 10, "currency_code": "USD", "payout_type": "mobile_money",
            "recipient_details": {"recipient_name": "Jane"},
        })))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    assert_eq!(
        err.validation_errors()[0].location,
        "body.recipient_details.mobile_number"
    );
    finish(&sandbox, "merchant_overdraft");
}

#[tokio::test]
async fn a_pending_withdrawal_can_be_cancelled() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let hooks = receiver().await;
    register(&shop, &hooks.base_url, &[]).await;
    let account = shop
        .add_payment_account()
        .body(from_json::<t::AddPaymentAccountRequest>(json!({
            "account_type": "mobile_money", "currency_id": "KES", "phone_number": "+254712345678",
        })))
        .data()
        .await
        .unwrap();
    let w = shop
        .initiate_withdrawal()
        .body(from_json::<t::InitiateWithdrawalRequest>(json!({
            "amount": 40000, "currency_code": "KES", "payment_account_id": account.id,
            "reference": "WD-1",
        })))
        .data()
        .await
        .unwrap();
    assert_eq!(w.payment_account_id, account.id);
    assert_eq!(w.payout_type, Some(t::PayoutType::MobileMoney));
    assert_eq!(wallet(&shop, "KES").await.0, dec!(60000));
    let id = w.id.unwrap();
    let cancelled = shop.cancel_withdrawal().withdrawal_id(&id).data().await.unwrap();
    assert_eq!(cancelled.status, Some(t::WithdrawalStatus::Cancelled));
    assert!(cancelled.cancelled_at.is_some());
    assert_eq!(wallet(&shop, "KES").await.0, dec!(100000), "debit reversed");
    let err = shop
        .cancel_withdrawal()
        .withdrawal_id(&id)
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(400));

    // It stays cancelled; withdrawals are not customer transactions.
    sandbox.advance(Duration::from_secs(60)).await;
    let w = shop.get_withdrawal().withdrawal_id(&id).data().await.unwrap();
    assert_eq!(w.status, Some(t::WithdrawalStatus::Cancelled));
    assert!(shop.get_merchant_transactions().data().await.unwrap().is_empty());
    let history = shop
        .get_withdrawal_history()
        .currency_code("kes")
        .data()
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    let events: Vec<_> = sandbox.deliveries().into_iter().map(|d| d.event).collect();
    assert_eq!(events, ["withdrawal.created", "withdrawal.cancelled"]);
    let err = shop
        .get_withdrawal()
        .withdrawal_id("nope")
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404));
    finish(&sandbox, "merchant_withdrawal_cancel");
}

#[tokio::test]
async fn a_withdrawal_completes_and_a_never_settling_one_stays_processing() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let to = |number: &str| {
        from_json::<t::InitiateWithdrawalRequest>(json!({
            "amount": 100, "currency_code": "GHS", "payout_type": "mobile_money",
            "recipient_details": {"recipient_name": "Kofi", "mobile_number": number},
        }))
    };
    let ok = shop
        .initiate_withdrawal()
        .body(to("+233700000001"))
        .data()
        .await
        .unwrap();
    let slow = shop
        .initiate_withdrawal()
        .body(to("+233700000021"))
        .data()
        .await
        .unwrap();
    let stuck = shop
        .initiate_withdrawal()
        .body(to("+233700000020"))
        .data()
        .await
        .unwrap();
    sandbox.advance(Duration::from_secs(5)).await;
    let status = |w: t::Withdrawal| w.status.unwrap();
    let get = |id: Option<String>| {
        let shop = &shop;
        async move {
            shop.get_withdrawal()
                .withdrawal_id(id.unwrap())
                .data()
                .await
                .unwrap()
        }
    };
    assert_eq!(status(get(ok.id.clone()).await), t::WithdrawalStatus::Completed);
    assert_eq!(
        status(get(slow.id.clone()).await),
        t::WithdrawalStatus::Processing
    );
    sandbox.advance(Duration::from_secs(55)).await;
    assert_eq!(status(get(slow.id.clone()).await), t::WithdrawalStatus::Completed);
    sandbox.advance(Duration::from_secs(3600)).await;
    assert_eq!(
        status(get(stuck.id.clone()).await),
        t::WithdrawalStatus::Processing
    );
    assert_eq!(wallet(&shop, "GHS").await.0, dec!(9700));
    let page = shop
        .get_withdrawal_history()
        .page(2)
        .size(2)
        .call()
        .await
        .unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].id, ok.id, "newest first");
    let meta = page.pagination.unwrap();
    assert_eq!((meta.total, meta.total_pages), (Some(3), Some(2)));
    finish(&sandbox, "merchant_withdrawal_outcomes");
}

#[tokio::test]
async fn a_lost_payout_response_is_outcome_unknown_and_made_once() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let err = shop
        .initiate_payout()
        .body(from_json::<t::InitiatePayoutRequest>(mobile_payout(
            700.0,
            "KES",
            "+254709999901",
        )))
        .call()
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(status_of(&err), None);

    // The status check finds exactly one payout, which goes on to complete.
    let history = shop.get_payout_history().data().await.unwrap();
    assert_eq!(history.len(), 1);
    let id = history[0].id.clone().unwrap();
    assert_eq!(wallet(&shop, "KES").await.0, dec!(99300));
    sandbox.advance(Duration::from_secs(5)).await;
    let p = shop.get_payout().payout_id(&id).data().await.unwrap();
    assert_eq!(p.status, Some(t::PayoutStatus::Completed));
    assert_eq!(shop.get_payout_history().data().await.unwrap().len(), 1);
    finish(&sandbox, "merchant_payout_lost_response");
}

#[tokio::test]
async fn a_payout_answered_503_once_creates_nothing_until_sent_again() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let request = || from_json::<t::InitiatePayoutRequest>(mobile_payout(300.0, "KES", "0709999902"));
    let err = shop.initiate_payout().body(request()).call().await.unwrap_err();
    assert_eq!(status_of(&err), Some(503));
    assert!(shop.get_payout_history().data().await.unwrap().is_empty());
    assert_eq!(wallet(&shop, "KES").await.0, dec!(100000));

    let p = shop.initiate_payout().body(request()).data().await.unwrap();
    assert_eq!(p.status, Some(t::PayoutStatus::Pending));
    assert_eq!(shop.get_payout_history().data().await.unwrap().len(), 1);
    assert_eq!(wallet(&shop, "KES").await.0, dec!(99700));
    finish(&sandbox, "merchant_payout_503_once");
}

#[tokio::test]
async fn reserved_numbers_shape_the_payout_webhooks() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let hooks = receiver().await;
    register(&shop, &hooks.base_url, &[]).await;
    let send = |number: &'static str| {
        let shop = &shop;
        async move {
            shop.initiate_payout()
                .body(from_json::<t::InitiatePayoutRequest>(mobile_payout(
                    10.0, "KES", number,
                )))
                .data()
                .await
                .unwrap()
                .id
                .unwrap()
        }
    };
    let twice = send("+254709999903").await;
    let late = send("+254709999904").await;
    let swapped = send("+254709999905").await;
    sandbox.advance(Duration::from_secs(5)).await;
    let events_of = |id: &str| -> Vec<String> {
        let mut ds: Vec<_> = sandbox
            .deliveries()
            .into_iter()
            .filter(|d| d.reference.as_deref() == Some(id) && !d.attempts.is_empty())
            .collect();
        ds.sort_by_key(|d| (d.attempts[0].at, d.id));
        ds.into_iter().map(|d| d.event).collect()
    };
    assert_eq!(
        events_of(&twice),
        [
            "payout.created",
            "payout.created",
            "payout.processing",
            "payout.processing",
            "payout.completed",
            "payout.completed"
        ]
    );
    assert!(events_of(&late).is_empty(), "not sent yet");
    assert_eq!(events_of(&swapped), ["payout.created", "payout.completed"]);
    sandbox.advance(Duration::from_secs(600)).await;
    assert_eq!(
        events_of(&late),
        ["payout.created", "payout.processing", "payout.completed"]
    );
    assert_eq!(
        events_of(&swapped),
        ["payout.created", "payout.completed", "payout.processing"]
    );
    finish(&sandbox, "merchant_payout_webhook_numbers");
}

#[tokio::test]
async fn branding_is_read_and_updated() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let b = shop.get_branding().data().await.unwrap();
    assert_eq!(b.display_name.as_deref(), Some("Sandbox Merchant"));
    assert_eq!(b.merchant_id, Some(sandbox.merchant_id()));
    let b = shop
        .update_branding()
        .body(from_json::<t::UpdateBrandingRequest>(json!({
            "display_name": "Example Shop", "primary_color": "#0A5F38", "logo_url": "https://shop.example.com/logo.png",
        })))
        .data()
        .await
        .unwrap();
    assert_eq!(b.display_name.as_deref(), Some("Example Shop"));
    assert_eq!(b.primary_color.as_deref(), Some("#0A5F38"));
    let err = shop
        .update_branding()
        .body(from_json::<t::UpdateBrandingRequest>(
            json!({"secondary_color": "green"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    let again = shop.get_branding().data().await.unwrap();
    assert_eq!(
        again.logo_url.as_deref(),
        Some("https://shop.example.com/logo.png")
    );
    assert_eq!(again.secondary_color, None, "unchanged by the refused update");
    finish(&sandbox, "merchant_branding");
}

#[tokio::test]
async fn a_body_or_query_that_breaks_the_schema_is_a_fastapi_422() {
    let sandbox = Sandbox::start().await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}/api/v1/merchants{p}", sandbox.base_url());
    let resp = http
        .post(url("/checkouts"))
        .header("x-api-key", sandbox.merchant_api_key())
        .header("content-type", "application/json")
        .body(r#"{"amount":"abc","currency_code":"NGN"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"][0]["loc"], json!(["body", "amount"]));

    let resp = http
        .get(url("/payouts?size=500"))
        .header("x-api-key", sandbox.merchant_api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"][0]["loc"], json!(["query", "size"]));
    assert_eq!(body["detail"][0]["type"], "less_than_equal");

    let resp = http
        .get(url("/customer/transactions?status=settled"))
        .header("x-api-key", sandbox.merchant_api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);

    // An absurd amount is refused before it can overflow anything.
    let err = shop(&sandbox)
        .create_checkout()
        .body(from_json::<t::CreateCheckoutRequest>(
            json!({"amount": 1e20, "currency_code": "NGN"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));

    // A negative amount through the typed client: 422 with its location.
    let err = shop(&sandbox)
        .create_checkout()
        .body(from_json::<t::CreateCheckoutRequest>(
            json!({"amount": -5, "currency_code": "NGN"}),
        ))
        .call()
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(422));
    assert_eq!(err.validation_errors()[0].location, "body.amount");
    assert!(sandbox.deliveries().is_empty());
    finish(&sandbox, "merchant_422");
}

#[tokio::test]
async fn the_process_control_endpoints_pay_and_approve_a_checkout() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let c = create_checkout(&shop, 900, "KES").await;
    let http = reqwest::Client::new();
    let control = |action: &str, id: &str| {
        http.post(format!(
            "{}/_sandbox/merchant/checkouts/{id}/{action}",
            sandbox.base_url()
        ))
        .send()
    };
    let resp = control("approve", &c.id).await.unwrap();
    assert_eq!(resp.status().as_u16(), 409, "not paid yet");
    let resp = control("pay", &c.id).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"id": c.id, "status": "paid"}));
    let resp = control("pay", &c.id).await.unwrap();
    assert_eq!(resp.status().as_u16(), 409);
    let resp = control("approve", &c.id).await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "approved");
    let resp = control("pay", "nope").await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let who: Value = http
        .get(format!("{}/_sandbox/merchant", sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["merchant_id"], json!(sandbox.merchant_id()));
    assert_eq!(wallet(&shop, "KES").await, (dec!(100000), dec!(900)));
    finish(&sandbox, "merchant_control_endpoints");
}

#[tokio::test]
async fn a_receiver_slower_than_the_webhooks_timeout_is_a_failed_attempt() {
    let sandbox = Sandbox::start().await;
    let shop = shop(&sandbox);
    let slow = common::start(|n, _| {
        if n == 0 {
            common::Reply::Slow(Duration::from_secs(3), 200, b"{}".to_vec())
        } else {
            common::json(200, "{}")
        }
    })
    .await;
    let hook = shop
        .create_webhook()
        .body(from_json::<t::CreateWebhookRequest>(json!({
            "url": slow.base_url,
            "events": ["checkout.created"],
            "timeout_seconds": 1,
        })))
        .data()
        .await
        .unwrap();
    assert_eq!(hook.timeout_seconds, Some(1));
    create_checkout(&shop, 100, "KES").await;
    sandbox.advance(Duration::ZERO).await;
    let d = sandbox.deliveries().pop().unwrap();
    assert_eq!(d.timeout, Duration::from_secs(1));
    assert_eq!(d.state, DeliveryState::Retrying);
    assert_eq!(d.attempts.len(), 1);
    assert_eq!(d.attempts[0].status, None, "{:?}", d.attempts[0]);
    assert!(d.attempts[0].error.is_some());
    sandbox.advance(Duration::from_secs(300)).await;
    let d = sandbox.deliveries().pop().unwrap();
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(d.attempts.len(), 2);
    finish(&sandbox, "merchant_webhook_timeout");
}
