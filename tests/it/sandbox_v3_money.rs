//! Sandbox lifecycles: v3 money. Deposits, payouts (mobile money, till, paybill, bank), onramp,
//! crypto sends and offramp through the public v3 client, on a manual clock: statuses, balances,
//! webhooks (signed and bare, to the integrator's URL and the callback URL), every reserved
//! number of Kotani's sandbox and of ours, a resent reference, a lost response and a 503.

use std::time::Duration;

use kotanipay::meta::Family;
use kotanipay::prelude::*;
use kotanipay::sandbox::{Delivery, DeliveryState, Sandbox};
use kotanipay::v3::{self, types};
use kotanipay::webhook::{self as wh, TransactionCallback, V3Payload};
use kotanipay::{Decimal, ErrorKind, RetryPolicy};
use rust_decimal_macros::dec;
use serde_json::Value;

use crate::common::{self, Server};
use crate::sandbox::finish;

const SECRET: &str = "whsec_sandbox_money";
const SEC: Duration = Duration::from_secs(1);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A sandbox with a webhook receiver (`/hook`: the integrator's URL; `/cb`: callback URLs).
struct Env {
    sandbox: Sandbox,
    v3: v3::Client,
    hooks: Server,
    kes: String,
}

impl Env {
    async fn new(signed: bool) -> Env {
        Env::with_receiver(signed, common::start(|_, _| common::json(200, "{}")).await).await
    }

    async fn with_receiver(signed: bool, hooks: Server) -> Env {
        let mut b = Sandbox::builder().webhook_url(format!("{}/hook", hooks.base_url));
        if signed {
            b = b.webhook_secret(SECRET);
        }
        let sandbox = b.start().await;
        let v3 = sandbox.v3_client().unwrap();
        let kes = wallet(&v3, "KES").await.id;
        Env {
            sandbox,
            v3,
            hooks,
            kes,
        }
    }

    fn callback(&self) -> String {
        format!("{}/cb", self.hooks.base_url)
    }

    /// A client that retries quickly (the sandbox answers at once).
    fn quick_retries(&self) -> v3::Client {
        v3::Client::builder()
            .base_url(self.sandbox.base_url())
            .api_key(self.sandbox.v3_api_key())
            .retry(RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(5)))
            .build()
            .unwrap()
    }

    /// A client that never retries.
    fn no_retries(&self) -> v3::Client {
        v3::Client::builder()
            .base_url(self.sandbox.base_url())
            .api_key(self.sandbox.v3_api_key())
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap()
    }

    async fn customer(&self, phone: &str) -> String {
        customer(&self.v3, phone).await
    }

    async fn balances(&self, currency: &str) -> (Decimal, Decimal) {
        let w = wallet(&self.v3, currency).await;
        (w.balance, w.deposit_balance.unwrap_or_default())
    }

    async fn deposit(&self, phone: &str, amount: Decimal, reference: &str) -> types::DepositReceipt {
        let key = self.customer(phone).await;
        self.v3
            .create_mobile_money_deposit()
            .body(deposit_body(&key, &self.kes, amount).reference_id(String::from(reference)))
            .data()
            .await
            .unwrap()
    }

    async fn deposit_status(&self, reference: &str) -> types::DepositDetails {
        self.v3
            .get_deposit_status()
            .reference_id(reference)
            .data()
            .await
            .unwrap()
    }

    async fn payout(&self, phone: &str, amount: Decimal, reference: &str) -> types::WithdrawalReceipt {
        let key = self.customer(phone).await;
        self.v3
            .create_mobile_money_withdrawal()
            .body(payout_body(&key, &self.kes, amount).reference_id(String::from(reference)))
            .data()
            .await
            .unwrap()
    }

    async fn payout_status(&self, reference: &str) -> types::WithdrawalDetails {
        self.v3
            .get_withdrawal_status()
            .reference_id(reference)
            .data()
            .await
            .unwrap()
    }

    /// Every delivery of the transaction `reference`, oldest first.
    fn deliveries(&self, reference: &str) -> Vec<Delivery> {
        self.sandbox
            .deliveries()
            .into_iter()
            .filter(|d| d.reference.as_deref() == Some(reference))
            .collect()
    }

    /// The statuses delivered for `reference` to `path` (`/hook` or `/cb`), in creation order.
    fn delivered(&self, reference: &str, path: &str) -> Vec<String> {
        self.deliveries(reference)
            .iter()
            .filter(|d| d.url.ends_with(path))
            .map(|d| d.status().unwrap())
            .collect()
    }
}

async fn wallet(v3: &v3::Client, currency: &str) -> types::FiatWallet {
    v3.list_fiat_wallets()
        .data()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.currency == currency)
        .unwrap()
}

fn country(phone: &str) -> &'static str {
    match &phone[..4] {
        "+256" => "UG",
        "+233" => "GH",
        "+255" => "TZ",
        _ => "KE",
    }
}

async fn customer(v3: &v3::Client, phone: &str) -> String {
    v3.create_customer()
        .body(
            types::CreateCustomerRequest::builder()
                .phone_number(String::from(phone))
                .country_code(country(phone)),
        )
        .data()
        .await
        .unwrap()
        .customer_key
        .unwrap()
}

fn deposit_body(key: &str, wallet: &str, amount: Decimal) -> types::builder::CreateDepositRequest {
    types::CreateDepositRequest::builder()
        .customer_key(key)
        .amount(amount)
        .wallet_id(wallet)
}

fn payout_body(key: &str, wallet: &str, amount: Decimal) -> types::builder::CreateWithdrawalRequest {
    types::CreateWithdrawalRequest::builder()
        .customer_key(key)
        .amount(amount)
        .wallet_id(wallet)
}

fn verify(d: &Delivery) -> wh::V3Event {
    wh::v3::Verifier::new([SECRET])
        .verify(&d.header_map(), &d.body)
        .unwrap_or_else(|e| panic!("delivery {} does not verify: {e}", d.id))
}

fn status_code(e: &kotanipay::Error) -> Option<u16> {
    e.status().map(|s| s.as_u16())
}

// -------------------------------------------------------------------------------------------
// Deposits

#[tokio::test]
async fn a_deposit_settles_is_delivered_signed_and_credits_on_reconciliation() {
    let e = Env::new(true).await;
    let integrator = e.v3.get_integrator().data().await.unwrap().id.unwrap();
    let key = e.customer("+254700000001").await;
    let receipt =
        e.v3.create_mobile_money_deposit()
            .body(
                deposit_body(&key, &e.kes, dec!(1000))
                    .reference_id(String::from("dep-1"))
                    .callback_url(e.callback()),
            )
            .data()
            .await
            .unwrap();
    assert_eq!(receipt.reference_id, "dep-1");
    assert_eq!(receipt.customer_key.as_deref(), Some(key.as_str()));
    let d = e.deposit_status("dep-1").await;
    assert_eq!(d.status, types::DepositStatus::Pending);
    assert_eq!(d.id, receipt.id);
    assert_eq!(d.amount, dec!(1000));
    assert_eq!(d.wallet_id, e.kes);
    assert_eq!(e.deliveries("dep-1").len(), 0, "creation is not a status change");

    e.sandbox.advance(SEC).await;
    assert_eq!(
        e.deposit_status("dep-1").await.status,
        types::DepositStatus::InProgress
    );
    e.sandbox.advance(secs(4)).await;
    let d = e.deposit_status("dep-1").await;
    assert_eq!(d.status, types::DepositStatus::Successful);
    // 2.5 % on top: the customer pays 1025, the wallet gets 1000.
    assert_eq!(d.transaction_amount, dec!(1025));
    assert_eq!(d.transaction_cost, dec!(25));
    assert!(d.telco_id.is_some());
    assert_eq!(d.callback_url_status, Some(0), "the callback was delivered");

    // Both destinations got both changes, signed, with the integrator header.
    assert_eq!(e.delivered("dep-1", "/hook"), ["IN_PROGRESS", "SUCCESSFUL"]);
    assert_eq!(e.delivered("dep-1", "/cb"), ["IN_PROGRESS", "SUCCESSFUL"]);
    for d in e.deliveries("dep-1") {
        assert_eq!(d.state, DeliveryState::Delivered);
        assert_eq!(d.event, "transaction.deposit.status.updated");
        let event = verify(&d);
        assert_eq!(event.integrator(), Some(integrator.as_str()));
        let V3Payload::DepositStatusUpdated(u) = event.payload() else {
            panic!("{:?}", event.payload())
        };
        assert_eq!(u.reference_id, "dep-1");
        assert_eq!(u.wallet_id.as_deref(), Some(e.kes.as_str()));
        assert_eq!(u.customer_key.as_deref(), Some(key.as_str()));
        assert_eq!(u.amount, Some(dec!(1000)));
        assert_eq!(u.callback_url.as_deref(), Some(e.callback().as_str()));
    }
    let last = e.deliveries("dep-1").pop().unwrap();
    let V3Payload::DepositStatusUpdated(u) = verify(&last).into_payload() else {
        panic!()
    };
    assert_eq!(u.status, wh::events::DepositStatus::Successful);
    assert_eq!(u.transaction_amount, Some(dec!(1025)));
    assert_eq!(u.transaction_cost, Some(dec!(25)));
    assert_eq!(e.hooks.count(), 4);
    assert!(
        e.hooks
            .requests()
            .iter()
            .all(|r| r.header("x-kotani-signature").is_some())
    );

    // Not credited until the reconciliation pass, 30 s after success.
    assert_eq!(e.balances("KES").await, (dec!(100000), dec!(0)));
    e.sandbox.advance(secs(29)).await;
    assert_eq!(e.balances("KES").await, (dec!(100000), dec!(0)));
    e.sandbox.advance(SEC).await;
    assert_eq!(e.balances("KES").await, (dec!(100000), dec!(1000)));
    let d = e.deposit_status("dep-1").await;
    assert_eq!(d.initial_deposit_balance, Some(dec!(0)));
    assert_eq!(d.final_deposit_balance, Some(dec!(1000)));

    // Deposit balance -> payout balance: part, then the rest.
    let w =
        e.v3.transfer_deposit_balance()
            .body(
                types::TransferDepositBalanceRequest::builder()
                    .wallet_id(e.kes.clone())
                    .amount(dec!(400)),
            )
            .data()
            .await
            .unwrap();
    assert_eq!((w.balance, w.deposit_balance), (dec!(100400), Some(dec!(600))));
    let w =
        e.v3.transfer_deposit_balance()
            .body(types::TransferDepositBalanceRequest::builder().wallet_id(e.kes.clone()))
            .data()
            .await
            .unwrap();
    assert_eq!((w.balance, w.deposit_balance), (dec!(101000), Some(dec!(0))));
    let err =
        e.v3.transfer_deposit_balance()
            .body(
                types::TransferDepositBalanceRequest::builder()
                    .wallet_id(e.kes.clone())
                    .amount(dec!(1)),
            )
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    assert_eq!(err.message(), "Insufficient deposit balance");
    finish(&e.sandbox, "v3_money_deposit_lifecycle");
}

#[tokio::test]
async fn deposits_list_by_page_and_filter_and_a_missing_reference_is_generated() {
    let e = Env::new(true).await;
    let ok = e.customer("+254711111111").await;
    let bad = e.customer("+254700000010").await;
    for (i, key) in [&ok, &ok, &bad, &ok, &bad].into_iter().enumerate() {
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(key, &e.kes, Decimal::from(100 * (i + 1))).reference_id(format!("l-{i}")))
            .data()
            .await
            .unwrap();
    }
    // Kotani makes a reference when none is given.
    let r =
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(&ok, &e.kes, dec!(50)))
            .data()
            .await
            .unwrap();
    assert!(!r.reference_id.is_empty());
    assert_eq!(e.deposit_status(&r.reference_id).await.amount, dec!(50));
    e.sandbox.advance(secs(5)).await;

    let page = e.v3.list_deposit_transactions().per_page(2).call().await.unwrap();
    assert_eq!(
        (
            page.meta.total,
            page.meta.page,
            page.meta.per_page,
            page.meta.total_pages
        ),
        (6, 1, 2, 3)
    );
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.data[0].reference_id, r.reference_id, "newest first");
    let last =
        e.v3.list_deposit_transactions()
            .per_page(4)
            .page(2)
            .call()
            .await
            .unwrap();
    assert_eq!(last.data.len(), 2);
    assert_eq!(last.data[1].reference_id, "l-0");
    let failed =
        e.v3.list_deposit_transactions()
            .status("FAILED")
            .call()
            .await
            .unwrap();
    assert_eq!(failed.meta.total, 2);
    for t in &failed.data {
        assert_eq!(t.status, types::DepositStatus::Failed);
        assert_eq!((t.transaction_amount, t.transaction_cost), (dec!(0), dec!(0)));
        assert_eq!(t.error_message.as_deref(), Some("Insufficient funds"));
    }
    let none =
        e.v3.list_deposit_transactions()
            .currency("UGX")
            .call()
            .await
            .unwrap();
    assert_eq!(
        (none.meta.total, none.meta.total_pages, none.data.len()),
        (0, 0, 0)
    );
    let today = &e.deposit_status("l-0").await.created_at[..10];
    let dated =
        e.v3.list_deposit_transactions()
            .start_date(today)
            .end_date(today)
            .call()
            .await
            .unwrap();
    assert_eq!(dated.meta.total, 6);
    let telco = e.deposit_status("l-1").await.telco_id.unwrap();
    let by_receipt =
        e.v3.list_deposit_transactions()
            .telco_id(telco.clone())
            .call()
            .await
            .unwrap();
    assert_eq!(by_receipt.data.len(), 1);
    assert_eq!(by_receipt.data[0].reference_id, "l-1");
    // The status endpoint also takes the operator's receipt code.
    assert_eq!(
        e.deposit_status(&telco).await.reference_id.as_deref(),
        Some("l-1")
    );
    // The paginator walks every page.
    let all: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(e.v3.list_deposit_transactions().items(4))
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    let err = e.v3.list_deposit_transactions().page(0).call().await.unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    finish(&e.sandbox, "v3_money_deposit_list");
}

#[tokio::test]
async fn kotanis_failure_numbers_fail_deposits_on_their_last_nine_digits() {
    let e = Env::new(true).await;
    let cases = [
        ("+254700000010", "INSUFFICIENT_FUNDS", "Insufficient funds"),
        ("+256700000011", "ACCOUNT_NOT_FOUND", "Account not found"),
        ("+233700000012", "LIMIT_EXCEEDED", "Transaction limit exceeded"),
        (
            "+255700000013",
            "CANCELLED_BY_CUSTOMER",
            "Transaction cancelled by customer",
        ),
    ];
    for (i, (phone, ..)) in cases.iter().enumerate() {
        e.deposit(phone, dec!(500), &format!("f-{i}")).await;
    }
    e.sandbox.advance(secs(5)).await;
    for (i, (_, code, message)) in cases.iter().enumerate() {
        let r = format!("f-{i}");
        let d = e.deposit_status(&r).await;
        assert_eq!(d.status, types::DepositStatus::Failed, "{r}");
        assert_eq!(d.error_code.as_deref(), Some(*code));
        assert_eq!(d.error_message.as_deref(), Some(*message));
        // Kotani's failed deposits report zeroed amounts.
        assert_eq!((d.transaction_amount, d.transaction_cost), (dec!(0), dec!(0)));
        assert_eq!(d.amount, dec!(500));
        assert_eq!(e.delivered(&r, "/hook"), ["IN_PROGRESS", "FAILED"]);
        let last = e.deliveries(&r).pop().unwrap();
        let V3Payload::DepositStatusUpdated(u) = verify(&last).into_payload() else {
            panic!()
        };
        assert_eq!(u.error_code.as_deref(), Some(*code));
        assert_eq!(u.error_message.as_deref(), Some(*message));
        assert_eq!(u.transaction_amount, Some(dec!(0)));
        assert_eq!(u.transaction_cost, Some(dec!(0)));
    }
    e.sandbox.advance(secs(120)).await;
    assert_eq!(
        e.balances("KES").await.1,
        dec!(0),
        "failed deposits credit nothing"
    );
    finish(&e.sandbox, "v3_money_deposit_failures");
}

#[tokio::test]
async fn kotanis_success_slow_and_never_settling_numbers() {
    let e = Env::new(true).await;
    e.deposit("+254700000001", dec!(100), "s-001").await;
    e.deposit("+256700000002", dec!(100), "s-002").await;
    e.deposit("+233700000021", dec!(100), "s-021").await;
    e.deposit("+254700000020", dec!(100), "s-020").await;
    e.deposit("+254722123456", dec!(100), "s-any").await;
    e.sandbox.advance(secs(5)).await;
    for r in ["s-001", "s-002", "s-any"] {
        assert_eq!(
            e.deposit_status(r).await.status,
            types::DepositStatus::Successful,
            "{r}"
        );
    }
    assert_eq!(
        e.deposit_status("s-021").await.status,
        types::DepositStatus::InProgress
    );
    e.sandbox.advance(secs(54)).await;
    assert_eq!(
        e.deposit_status("s-021").await.status,
        types::DepositStatus::InProgress
    );
    e.sandbox.advance(SEC).await;
    assert_eq!(
        e.deposit_status("s-021").await.status,
        types::DepositStatus::Successful
    );
    e.sandbox.advance(secs(3600)).await;
    assert_eq!(
        e.deposit_status("s-020").await.status,
        types::DepositStatus::InProgress
    );
    assert_eq!(e.delivered("s-020", "/hook"), ["IN_PROGRESS"]);
    assert_eq!(
        e.balances("KES").await.1,
        dec!(400),
        "four successful deposits credited"
    );
    finish(&e.sandbox, "v3_money_deposit_outcomes");
}

#[tokio::test]
async fn unknown_wallets_customers_and_references_get_the_apis_errors() {
    let e = Env::new(false).await;
    let key = e.customer("+254700000001").await;
    let err =
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(&key, "no-such-wallet", dec!(10)).reference_id(String::from("x-1")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(404));
    assert!(err.message().contains("Wallet Not Found"), "{err}");
    assert!(
        !err.is_outcome_unknown(),
        "a documented 404 proves nothing was taken"
    );
    let err =
        e.v3.create_mobile_money_withdrawal()
            .body(payout_body("no-such-customer", &e.kes, dec!(10)).reference_id(String::from("x-2")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(404));
    let err =
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(&key, &e.kes, dec!(10)).currency(String::from("UGX")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    let err =
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(&key, &e.kes, dec!(-5)))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    assert_eq!(
        err.validation_errors()[0].message,
        "amount must be a positive number"
    );
    for err in [
        e.v3.get_deposit_status()
            .reference_id("nope")
            .data()
            .await
            .unwrap_err(),
        e.v3.get_withdrawal_status()
            .reference_id("nope")
            .data()
            .await
            .unwrap_err(),
        e.v3.get_onramp_status()
            .reference_id("nope")
            .data()
            .await
            .unwrap_err(),
        e.v3.get_offramp_status()
            .reference_id("nope")
            .data()
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status_code(&err), Some(404), "{err}");
    }
    assert_eq!(e.sandbox.v3_transaction_count(), 0);
    finish(&e.sandbox, "v3_money_errors");
}

// -------------------------------------------------------------------------------------------
// Payouts

#[tokio::test]
async fn a_payout_is_debited_when_created_and_settles() {
    let e = Env::new(true).await;
    let r = e.payout("+254700000001", dec!(500), "wd-1").await;
    assert_eq!(r.reference_id, "wd-1");
    assert_eq!(e.balances("KES").await.0, dec!(99500), "debited at creation");
    assert_eq!(
        e.payout_status("wd-1").await.status,
        types::WithdrawalStatus::Pending
    );
    e.sandbox.advance(secs(5)).await;
    let p = e.payout_status("wd-1").await;
    assert_eq!(p.status, types::WithdrawalStatus::Successful);
    // 2 % deducted: the recipient gets 490, the wallet paid 500.
    assert_eq!(
        (p.amount, p.transaction_amount, p.transaction_cost),
        (dec!(500), dec!(490), dec!(10))
    );
    assert!(p.completed_at.is_some() && p.telco_id.is_some());
    assert_eq!(e.balances("KES").await.0, dec!(99500));
    assert_eq!(e.delivered("wd-1", "/hook"), ["IN_PROGRESS", "SUCCESSFUL"]);
    let V3Payload::WithdrawalStatusUpdated(u) = verify(&e.deliveries("wd-1")[1]).into_payload() else {
        panic!()
    };
    assert_eq!(u.status, wh::events::WithdrawalStatus::Successful);
    assert_eq!(u.reference_id, "wd-1");
    assert_eq!(u.wallet_id.as_deref(), Some(e.kes.as_str()));
    assert_eq!(u.transaction_amount, Some(dec!(490)));
    assert_eq!(u.transaction_cost, Some(dec!(10)));
    let list = e.v3.list_withdrawal_transactions().call().await.unwrap();
    assert_eq!(list.meta.total, 1);
    assert_eq!(list.data[0].reference_id, "wd-1");
    assert_eq!(list.data[0].transaction_amount, dec!(490));
    finish(&e.sandbox, "v3_money_payout_lifecycle");
}

#[tokio::test]
async fn failed_payouts_reverse_their_debit_and_report_the_amount_with_no_fee() {
    let e = Env::new(true).await;
    let cases = [
        ("+254700000010", "INSUFFICIENT_FUNDS"),
        ("+256700000011", "ACCOUNT_NOT_FOUND"),
        ("+233700000012", "LIMIT_EXCEEDED"),
        ("+255700000013", "CANCELLED_BY_CUSTOMER"),
    ];
    for (i, (phone, _)) in cases.iter().enumerate() {
        e.payout(phone, dec!(1000), &format!("pf-{i}")).await;
    }
    assert_eq!(e.balances("KES").await.0, dec!(96000));
    e.sandbox.advance(secs(5)).await;
    assert_eq!(e.balances("KES").await.0, dec!(100000), "every debit reversed");
    for (i, (_, code)) in cases.iter().enumerate() {
        let r = format!("pf-{i}");
        let p = e.payout_status(&r).await;
        assert_eq!(p.status, types::WithdrawalStatus::Failed);
        assert_eq!((p.transaction_amount, p.transaction_cost), (dec!(1000), dec!(0)));
        assert!(p.error_message.as_deref().is_some_and(|m| !m.is_empty()));
        assert_eq!(p.transaction_error.as_deref(), Some(*code));
        let V3Payload::WithdrawalStatusUpdated(u) = verify(&e.deliveries(&r)[1]).into_payload() else {
            panic!()
        };
        assert_eq!(u.status, wh::events::WithdrawalStatus::Failed);
        assert_eq!(u.transaction_cost, Some(dec!(0)));
        assert_eq!(u.transaction_amount, Some(dec!(1000)));
    }
    finish(&e.sandbox, "v3_money_payout_failures");
}

#[tokio::test]
async fn an_overdraft_is_refused_and_moves_nothing() {
    let e = Env::new(true).await;
    let key = e.customer("+254700000001").await;
    let err =
        e.v3.create_mobile_money_withdrawal()
            .body(payout_body(&key, &e.kes, dec!(100001)).reference_id(String::from("big")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    assert_eq!(err.kind(), ErrorKind::Api);
    assert!(!err.is_outcome_unknown());
    let body: types::ErrorBody = serde_json::from_slice(err.body().unwrap()).unwrap();
    assert_eq!(body.message, "Insufficient balance");
    assert_eq!(body.success, Some(false));
    assert_eq!(body.error_code, Some(400));
    assert_eq!(e.balances("KES").await.0, dec!(100000));
    assert_eq!(e.sandbox.v3_transaction_count(), 0);
    // The whole balance can go, not a unit more.
    e.payout("+254700000001", dec!(100000), "all").await;
    assert_eq!(e.balances("KES").await.0, dec!(0));
    let err =
        e.v3.create_mobile_money_withdrawal()
            .body(payout_body(&key, &e.kes, dec!(1)).reference_id(String::from("one-more")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    finish(&e.sandbox, "v3_money_overdraft");
}

#[tokio::test]
async fn till_paybill_and_bank_payouts() {
    let e = Env::new(true).await;
    // A till payment is mobile money: Kotani's numbers apply to its phone number.
    e.v3.create_lipa_na_mpesa_withdrawal()
        .body(
            types::CreateLipaNaMpesaWithdrawalRequest::builder()
                .amount(dec!(300))
                .wallet_id(e.kes.clone())
                .reference_id(String::from("till-1"))
                .lipa_na_mpesa_details(
                    types::LipaNaMpesaDetails::builder()
                        .business_shortcode("174379")
                        .account_reference(String::from("ORDER-1"))
                        .phone_number(String::from("+254700000011")),
                ),
        )
        .data()
        .await
        .unwrap();
    e.v3.create_paybill_withdrawal()
        .body(
            types::CreatePaybillWithdrawalRequest::builder()
                .amount(dec!(200))
                .wallet_id(e.kes.clone())
                .reference_id(String::from("paybill-1"))
                .callback_url(e.callback())
                .paybill_details(
                    types::PaybillDetails::builder()
                        .paybill_number("100001")
                        .account_number("ACC-9"),
                ),
        )
        .data()
        .await
        .unwrap();
    // Bank payouts are not simulated by Kotani's sandbox: they succeed whatever the number.
    e.v3.create_bank_withdrawal()
        .body(
            types::CreateBankWithdrawalRequest::builder()
                .currency("KES")
                .amount(dec!(1000))
                .reference_id("bank-1")
                .bank_details(
                    types::BankDetails::builder()
                        .name("Jane Mary Doe")
                        .bank_code("68")
                        .account_number("1000000005")
                        .country("KE")
                        .phone_number(String::from("+254700000010")),
                ),
        )
        .data()
        .await
        .unwrap();
    assert_eq!(
        e.balances("KES").await.0,
        dec!(98500),
        "all three debited at creation"
    );
    e.sandbox.advance(secs(5)).await;
    let till = e.payout_status("till-1").await;
    assert_eq!(till.status, types::WithdrawalStatus::Failed);
    assert_eq!(till.transaction_error.as_deref(), Some("ACCOUNT_NOT_FOUND"));
    assert_eq!(
        e.payout_status("paybill-1").await.status,
        types::WithdrawalStatus::Successful
    );
    let bank = e.payout_status("bank-1").await;
    assert_eq!(bank.status, types::WithdrawalStatus::Successful);
    assert_eq!(bank.transaction_amount, dec!(980));
    let v2 =
        e.v3.get_bank_withdrawal_status()
            .reference_id("bank-1")
            .data()
            .await
            .unwrap();
    assert_eq!(v2["status"], "SUCCESSFUL");
    assert_eq!(v2["bankDetails"]["accountNumber"], "1000000005");
    assert_eq!(
        e.balances("KES").await.0,
        dec!(98800),
        "the failed till payment came back"
    );
    assert_eq!(e.delivered("paybill-1", "/cb"), ["IN_PROGRESS", "SUCCESSFUL"]);
    let list = e.v3.list_withdrawal_transactions().call().await.unwrap();
    assert_eq!(list.meta.total, 3);
    // A bank payout needs its reference (the request schema requires it).
    let err =
        e.v3.create_bank_withdrawal()
            .body(
                types::CreateBankWithdrawalRequest::builder()
                    .currency("KES")
                    .amount(dec!(1))
                    .reference_id("  ")
                    .bank_details(
                        types::BankDetails::builder()
                            .name("J")
                            .bank_code("68")
                            .account_number("1")
                            .country("KE"),
                    ),
            )
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    finish(&e.sandbox, "v3_money_till_paybill_bank");
}

// -------------------------------------------------------------------------------------------
// References, lost responses, 503

#[tokio::test]
async fn a_resent_reference_returns_the_original_and_moves_nothing() {
    let e = Env::new(true).await;
    let first = e.deposit("+254700000001", dec!(100), "same-dep").await;
    let again = e.deposit("+254700000001", dec!(999), "same-dep").await;
    assert_eq!(again.id, first.id);
    assert_eq!(again.reference_number, first.reference_number);
    let p1 = e.payout("+254700000001", dec!(700), "same-wd").await;
    e.sandbox.advance(secs(5)).await;
    let p2 = e.payout("+254700000001", dec!(700), "same-wd").await;
    assert_eq!(p2.id, p1.id);
    assert_eq!(e.sandbox.v3_transaction_count(), 2);
    assert_eq!(e.balances("KES").await.0, dec!(99300), "one debit");
    assert_eq!(e.deposit_status("same-dep").await.amount, dec!(100));
    e.sandbox.advance(secs(60)).await;
    assert_eq!(
        e.delivered("same-wd", "/hook"),
        ["IN_PROGRESS", "SUCCESSFUL"],
        "no extra webhook"
    );
    assert_eq!(e.delivered("same-dep", "/hook"), ["IN_PROGRESS", "SUCCESSFUL"]);
    assert_eq!(e.balances("KES").await.1, dec!(100), "one credit");
    finish(&e.sandbox, "v3_money_resent_reference");
}

#[tokio::test]
async fn a_lost_response_is_outcome_unknown_and_the_payment_exists_once() {
    let e = Env::new(true).await;
    let key = e.customer("+254709999901").await;
    // No retries: the dropped connection surfaces as outcome unknown.
    let err = e
        .no_retries()
        .create_mobile_money_withdrawal()
        .body(payout_body(&key, &e.kes, dec!(800)).reference_id(String::from("lost-1")))
        .data()
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(!err.is_retryable());
    assert!(
        matches!(err.kind(), ErrorKind::Connection | ErrorKind::Timeout),
        "{err:?}"
    );
    // The status check finds it: the payment was made, once.
    let p = e.payout_status("lost-1").await;
    assert_eq!(p.status, types::WithdrawalStatus::Pending);
    assert_eq!(e.balances("KES").await.0, dec!(99200));
    // Resending with the same reference is safe: the original comes back.
    let again = e.payout("+254709999901", dec!(800), "lost-1").await;
    assert_eq!(again.id, p.id);
    assert_eq!(e.balances("KES").await.0, dec!(99200));
    let list = e.v3.list_withdrawal_transactions().call().await.unwrap();
    assert_eq!(list.meta.total, 1);

    // With retries and a reference the SDK resends after the drop and gets the original.
    let r = e
        .quick_retries()
        .create_mobile_money_withdrawal()
        .body(payout_body(&key, &e.kes, dec!(200)).reference_id(String::from("lost-2")))
        .data()
        .await
        .unwrap();
    assert_eq!(r.reference_id, "lost-2");
    assert_eq!(
        e.sandbox.hits(Family::V3, "create_mobile_money_withdrawal").await,
        4
    );
    assert_eq!(e.balances("KES").await.0, dec!(99000));

    // A deposit without a reference is sent once: outcome unknown, and it exists once.
    let err =
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(&key, &e.kes, dec!(300)))
            .data()
            .await
            .unwrap_err();
    assert!(err.is_outcome_unknown());
    let deposits = e.v3.list_deposit_transactions().call().await.unwrap();
    assert_eq!(deposits.meta.total, 1);
    assert_eq!(deposits.data[0].amount, dec!(300));
    e.sandbox.advance(secs(5)).await;
    assert_eq!(
        e.payout_status("lost-1").await.status,
        types::WithdrawalStatus::Successful
    );
    finish(&e.sandbox, "v3_money_lost_response");
}

#[tokio::test]
async fn unavailable_once_answers_503_then_the_retry_succeeds_once() {
    let e = Env::new(true).await;
    let key = e.customer("+254709999902").await;
    let r = e
        .quick_retries()
        .create_mobile_money_deposit()
        .body(deposit_body(&key, &e.kes, dec!(250)).reference_id(String::from("flaky-1")))
        .data()
        .await
        .unwrap();
    assert_eq!(r.reference_id, "flaky-1");
    assert_eq!(e.sandbox.hits(Family::V3, "create_mobile_money_deposit").await, 2);
    assert_eq!(e.sandbox.v3_transaction_count(), 1);
    // A payout the same way: one debit.
    e.quick_retries()
        .create_mobile_money_withdrawal()
        .body(payout_body(&key, &e.kes, dec!(400)).reference_id(String::from("flaky-2")))
        .data()
        .await
        .unwrap();
    assert_eq!(e.sandbox.v3_transaction_count(), 2);
    assert_eq!(e.balances("KES").await.0, dec!(99600));

    // Without a reference the SDK does not retry: a 503 in the v3 shape, and nothing created.
    let err =
        e.v3.create_mobile_money_withdrawal()
            .body(payout_body(&key, &e.kes, dec!(50)))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(503));
    assert!(err.is_outcome_unknown());
    let body: types::ErrorBody = serde_json::from_slice(err.body().unwrap()).unwrap();
    assert_eq!((body.success, body.error_code), (Some(false), Some(503)));
    assert_eq!(e.sandbox.v3_transaction_count(), 2);
    assert_eq!(e.balances("KES").await.0, dec!(99600));
    e.sandbox.advance(secs(5)).await;
    assert_eq!(
        e.deposit_status("flaky-1").await.status,
        types::DepositStatus::Successful
    );
    finish(&e.sandbox, "v3_money_unavailable_once");
}

// -------------------------------------------------------------------------------------------
// Our webhook numbers

#[tokio::test]
async fn webhook_twice_late_and_out_of_order() {
    let e = Env::new(true).await;
    e.deposit("+254709999903", dec!(100), "twice").await;
    e.deposit("+254709999904", dec!(100), "late").await;
    e.deposit("+254709999905", dec!(100), "order").await;
    e.sandbox.advance(secs(5)).await;
    assert_eq!(
        e.delivered("twice", "/hook"),
        ["IN_PROGRESS", "IN_PROGRESS", "SUCCESSFUL", "SUCCESSFUL"]
    );
    let twice = e.deliveries("twice");
    assert_eq!(twice[0].body, twice[1].body, "the same delivery twice");
    assert!(twice.iter().all(|d| d.state == DeliveryState::Delivered));

    // Late: planned, not sent, until ten minutes have passed.
    let late = e.deliveries("late");
    assert_eq!(late.len(), 2);
    assert!(
        late.iter()
            .all(|d| d.state == DeliveryState::Scheduled && d.attempts.is_empty())
    );
    e.sandbox.advance(secs(600)).await;
    let late = e.deliveries("late");
    assert!(late.iter().all(|d| d.state == DeliveryState::Delivered));
    let sent = late[1].attempts[0].at.duration_since(late[1].created).unwrap();
    assert_eq!(sent, secs(600));

    // Out of order: the receiver saw SUCCESSFUL before IN_PROGRESS.
    let seen: Vec<String> = e
        .hooks
        .requests()
        .iter()
        .filter_map(|r| {
            let v: Value = serde_json::from_slice(&r.body).ok()?;
            (v["data"]["reference_id"] == "order").then(|| v["data"]["status"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(seen, ["SUCCESSFUL", "IN_PROGRESS"]);
    assert_eq!(
        e.deposit_status("order").await.status,
        types::DepositStatus::Successful
    );
    finish(&e.sandbox, "v3_money_webhook_numbers");
}

#[tokio::test]
async fn expired_or_cancelled_then_corrected_to_successful() {
    let e = Env::new(true).await;
    e.deposit("+254709999906", dec!(600), "exp-dep").await;
    e.payout("+254709999907", dec!(900), "can-wd").await;
    e.sandbox.advance(secs(5)).await;
    let d = e.deposit_status("exp-dep").await;
    assert_eq!(d.status, types::DepositStatus::Expired);
    assert_eq!(d.transaction_amount, dec!(0));
    assert_eq!(
        e.payout_status("can-wd").await.status,
        types::WithdrawalStatus::Cancelled
    );
    assert_eq!(
        e.balances("KES").await.0,
        dec!(99100),
        "the debit waits for the final status"
    );
    e.sandbox.advance(secs(59)).await;
    assert_eq!(
        e.deposit_status("exp-dep").await.status,
        types::DepositStatus::Expired
    );
    e.sandbox.advance(SEC).await;
    let d = e.deposit_status("exp-dep").await;
    assert_eq!(d.status, types::DepositStatus::Successful);
    assert_eq!(d.transaction_amount, dec!(615));
    assert_eq!(d.error_code, None);
    assert_eq!(
        e.payout_status("can-wd").await.status,
        types::WithdrawalStatus::Successful
    );
    assert_eq!(
        e.delivered("exp-dep", "/hook"),
        ["IN_PROGRESS", "EXPIRED", "SUCCESSFUL"]
    );
    assert_eq!(
        e.delivered("can-wd", "/hook"),
        ["IN_PROGRESS", "CANCELLED", "SUCCESSFUL"]
    );
    // Balances follow the final status.
    e.sandbox.advance(secs(30)).await;
    assert_eq!(e.balances("KES").await, (dec!(99100), dec!(600)));
    finish(&e.sandbox, "v3_money_corrected_statuses");
}

#[tokio::test]
async fn a_suspended_customer_gets_403_with_banned_until() {
    let e = Env::new(true).await;
    let key = e.customer("+256709999908").await;
    let err =
        e.v3.create_mobile_money_deposit()
            .body(deposit_body(&key, &e.kes, dec!(100)).reference_id(String::from("ban")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(403));
    assert!(err.is_customer_suspended(), "{err:?}");
    let until = err.banned_until().unwrap().to_string();
    assert!(
        err.message()
            .contains(&format!("Customer {key} is temporarily suspended until {until}")),
        "{}",
        err.message()
    );
    let err =
        e.v3.create_mobile_money_withdrawal()
            .body(payout_body(&key, &e.kes, dec!(100)).reference_id(String::from("ban-2")))
            .data()
            .await
            .unwrap_err();
    assert!(err.is_customer_suspended());
    assert_eq!(e.sandbox.v3_transaction_count(), 0);
    assert_eq!(e.balances("KES").await.0, dec!(100000));
    finish(&e.sandbox, "v3_money_suspended");
}

#[tokio::test]
async fn a_duplicate_pending_payout_waits_for_proceed_or_cancel() {
    let e = Env::new(true).await;
    e.payout("+254709999909", dec!(1000), "dup-go").await;
    e.payout("+254709999909", dec!(2000), "dup-stop").await;
    e.sandbox.advance(secs(60)).await;
    assert_eq!(
        e.payout_status("dup-go").await.status,
        types::WithdrawalStatus::DuplicatePending
    );
    assert_eq!(e.delivered("dup-go", "/hook"), ["DUPLICATE_PENDING"]);
    assert_eq!(e.balances("KES").await.0, dec!(97000));

    let resolve = |r: &'static str, action| {
        e.v3.resolve_duplicate_withdrawal()
            .reference_id(r)
            .body(types::ResolveDuplicateWithdrawalRequest::builder().action(action))
            .data()
    };
    let go = resolve("dup-go", types::ResolveDuplicateWithdrawalRequestAction::Proceed)
        .await
        .unwrap();
    assert_eq!(go["status"], "PENDING");
    let stop = resolve("dup-stop", types::ResolveDuplicateWithdrawalRequestAction::Cancel)
        .await
        .unwrap();
    assert_eq!(stop["status"], "CANCELLED");
    assert_eq!(
        e.balances("KES").await.0,
        dec!(99000),
        "the cancelled one's debit came back"
    );
    e.sandbox.advance(secs(5)).await;
    assert_eq!(
        e.payout_status("dup-go").await.status,
        types::WithdrawalStatus::Successful
    );
    assert_eq!(
        e.delivered("dup-go", "/hook"),
        ["DUPLICATE_PENDING", "PENDING", "IN_PROGRESS", "SUCCESSFUL"]
    );
    assert_eq!(
        e.delivered("dup-stop", "/hook"),
        ["DUPLICATE_PENDING", "CANCELLED"]
    );
    // Only a held payout can be resolved.
    let err = resolve("dup-go", types::ResolveDuplicateWithdrawalRequestAction::Proceed)
        .await
        .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    let err = resolve("nope", types::ResolveDuplicateWithdrawalRequestAction::Cancel)
        .await
        .unwrap_err();
    assert_eq!(status_code(&err), Some(404));
    finish(&e.sandbox, "v3_money_duplicate_pending");
}

#[tokio::test]
async fn a_reversed_deposit_takes_its_credit_back_and_an_unapproved_one_expires() {
    let e = Env::new(true).await;
    e.deposit("+254709999910", dec!(700), "rev").await;
    e.deposit("+233709999911", dec!(800), "exp").await;
    e.sandbox.advance(secs(35)).await;
    assert_eq!(
        e.deposit_status("rev").await.status,
        types::DepositStatus::Successful
    );
    assert_eq!(e.balances("KES").await.1, dec!(700), "credited on reconciliation");
    e.sandbox.advance(secs(59)).await;
    assert_eq!(
        e.deposit_status("rev").await.status,
        types::DepositStatus::Successful
    );
    e.sandbox.advance(SEC).await;
    let d = e.deposit_status("rev").await;
    assert_eq!(d.status, types::DepositStatus::Reversed);
    assert_eq!(e.balances("KES").await.1, dec!(0), "the credit was taken back");
    assert_eq!(
        e.delivered("rev", "/hook"),
        ["IN_PROGRESS", "SUCCESSFUL", "REVERSED"]
    );

    assert_eq!(
        e.deposit_status("exp").await.status,
        types::DepositStatus::InProgress
    );
    e.sandbox.advance(secs(30 * 60 - 96)).await;
    assert_eq!(
        e.deposit_status("exp").await.status,
        types::DepositStatus::InProgress
    );
    e.sandbox.advance(SEC).await;
    let d = e.deposit_status("exp").await;
    assert_eq!(d.status, types::DepositStatus::Expired);
    assert_eq!((d.transaction_amount, d.transaction_cost), (dec!(0), dec!(0)));
    assert_eq!(e.delivered("exp", "/hook"), ["IN_PROGRESS", "EXPIRED"]);
    finish(&e.sandbox, "v3_money_reversed_and_expired");
}

// -------------------------------------------------------------------------------------------
// Webhook destinations, formats, retries

#[tokio::test]
async fn without_a_secret_callbacks_are_bare_and_confirm_through_the_api() {
    let e = Env::new(false).await;
    let key = e.customer("+254700000001").await;
    e.v3.create_mobile_money_deposit()
        .body(
            deposit_body(&key, &e.kes, dec!(100))
                .reference_id(String::from("bare-dep"))
                .callback_url(e.callback()),
        )
        .data()
        .await
        .unwrap();
    e.v3.create_mobile_money_withdrawal()
        .body(
            payout_body(&key, &e.kes, dec!(100))
                .reference_id(String::from("bare-wd"))
                .callback_url(e.callback()),
        )
        .data()
        .await
        .unwrap();
    e.sandbox.advance(secs(5)).await;
    assert_eq!(e.delivered("bare-dep", "/hook"), ["IN_PROGRESS", "SUCCESSFUL"]);
    assert_eq!(e.delivered("bare-dep", "/cb"), ["IN_PROGRESS", "SUCCESSFUL"]);
    for r in e.hooks.requests() {
        assert!(r.headers.iter().all(|(k, _)| !k.starts_with("x-kotani")), "{r:?}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(v.get("event").is_none() && v.get("signature").is_none());
    }
    let dep = e.deliveries("bare-dep").pop().unwrap();
    let cb = wh::v3::parse_direct(&dep.body).unwrap();
    let TransactionCallback::Deposit(u) = cb.peek() else {
        panic!("{:?}", cb.peek())
    };
    assert_eq!(u.reference_id, "bare-dep");
    match cb.confirm(&e.v3).await.unwrap() {
        wh::Confirmed::Deposit(d) => assert_eq!(d.status, types::DepositStatus::Successful),
        other => panic!("{other:?}"),
    }
    let wd = e.deliveries("bare-wd").pop().unwrap();
    let cb = wh::v3::parse_direct(&wd.body).unwrap();
    assert!(
        matches!(cb.peek(), TransactionCallback::Withdrawal(_)),
        "{:?}",
        cb.peek()
    );
    match cb.confirm(&e.v3).await.unwrap() {
        wh::Confirmed::Withdrawal(w) => assert_eq!(w.status, types::WithdrawalStatus::Successful),
        other => panic!("{other:?}"),
    }
    // Onramp and offramp callbacks are recognised by their fields too.
    e.v3.create_onramp()
        .body(onramp_body("+254700000001", "bare-onr").callback_url(e.callback()))
        .data()
        .await
        .unwrap();
    e.v3.create_offramp()
        .body(offramp_body("+254700000001", dec!(2), "bare-ofr").callback_url(e.callback()))
        .data()
        .await
        .unwrap();
    e.sandbox.advance(secs(10)).await;
    let onr = e.deliveries("bare-onr").pop().unwrap();
    let cb = wh::v3::parse_direct(&onr.body).unwrap();
    assert!(
        matches!(cb.peek(), TransactionCallback::Onramp(_)),
        "{:?}",
        cb.peek()
    );
    match cb.confirm(&e.v3).await.unwrap() {
        wh::Confirmed::Onramp(o) => assert_eq!(o.onchain_status, types::DepositStatus::Successful),
        other => panic!("{other:?}"),
    }
    let ofr = e.deliveries("bare-ofr").pop().unwrap();
    let cb = wh::v3::parse_direct(&ofr.body).unwrap();
    assert!(
        matches!(cb.peek(), TransactionCallback::Offramp(_)),
        "{:?}",
        cb.peek()
    );
    match cb.confirm(&e.v3).await.unwrap() {
        wh::Confirmed::Offramp(o) => assert_eq!(o.status, "SUCCESSFUL"),
        other => panic!("{other:?}"),
    }
    finish(&e.sandbox, "v3_money_bare_callbacks");
}

#[tokio::test]
async fn a_failed_delivery_is_retried_after_a_minute() {
    let hooks = common::start(|n, _| {
        if n == 0 {
            common::json(500, "{}")
        } else {
            common::json(200, "{}")
        }
    })
    .await;
    let e = Env::with_receiver(true, hooks).await;
    e.deposit("+254700000001", dec!(100), "retry").await;
    e.sandbox.advance(SEC).await;
    let d = &e.deliveries("retry")[0];
    assert_eq!(d.state, DeliveryState::Retrying);
    assert_eq!(d.attempts[0].status, Some(500));
    e.sandbox.advance(secs(59)).await;
    assert_eq!(
        e.deliveries("retry")[0].state,
        DeliveryState::Retrying,
        "not before a minute"
    );
    e.sandbox.advance(SEC).await;
    let d = &e.deliveries("retry")[0];
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(d.attempts.len(), 2);
    assert_eq!(
        d.attempts[1].at.duration_since(d.attempts[0].at).unwrap(),
        secs(60)
    );
    let same = e.hooks.requests().iter().filter(|r| r.body == d.body).count();
    assert_eq!(same, 2, "the same bytes again");
    verify(d);
    // A replay is a new delivery with the same bytes.
    let again = e.sandbox.replay(d.id).await.unwrap();
    let replayed = &e.sandbox.deliveries()[again];
    assert_eq!(replayed.body, d.body);
    assert_eq!(replayed.state, DeliveryState::Delivered);
    finish(&e.sandbox, "v3_money_webhook_retry");
}

#[tokio::test]
async fn the_webhook_subscription_filters_the_integrator_url_not_the_callback() {
    let e = Env::new(true).await;
    e.v3.update_integrator_webhook()
        .body(
            types::UpdateIntegratorWebhookRequest::builder()
                .webhook_events(vec![types::WebhookEventInput::TransactionWithdrawalStatusUpdated]),
        )
        .data()
        .await
        .unwrap();
    let key = e.customer("+254700000001").await;
    e.v3.create_mobile_money_deposit()
        .body(
            deposit_body(&key, &e.kes, dec!(100))
                .reference_id(String::from("sub-dep"))
                .callback_url(e.callback()),
        )
        .data()
        .await
        .unwrap();
    e.payout("+254700000001", dec!(100), "sub-wd").await;
    e.sandbox.advance(secs(5)).await;
    assert!(e.delivered("sub-dep", "/hook").is_empty());
    assert_eq!(e.delivered("sub-dep", "/cb"), ["IN_PROGRESS", "SUCCESSFUL"]);
    assert_eq!(e.delivered("sub-wd", "/hook"), ["IN_PROGRESS", "SUCCESSFUL"]);
    finish(&e.sandbox, "v3_money_subscription");
}

// -------------------------------------------------------------------------------------------
// Card and bank checkout

#[tokio::test]
async fn card_and_bank_checkout_deposits_succeed_whatever_the_number() {
    let e = Env::new(true).await;
    let r =
        e.v3.create_card_deposit()
            .body(
                types::CreateCardDepositRequest::builder()
                    .full_name("Jane Doe")
                    .phone_number("+254700000010")
                    .currency("KES")
                    .amount(dec!(2000))
                    .reference_id(String::from("card-1"))
                    .callback_url(e.callback())
                    .card(
                        types::CardDetails::builder()
                            .number("4111111111111111")
                            .holder("Jane Doe")
                            .expiry_month("01")
                            .expiry_year("2030")
                            .cvv("123")
                            .payment_brand(types::CardBrand::Visa),
                    ),
            )
            .data()
            .await
            .unwrap();
    assert_eq!(r.reference_id, "card-1");
    let checkout =
        e.v3.create_bank_checkout_deposit()
            .body(
                types::CreateBankCheckoutRequest::builder()
                    .full_name("John Doe")
                    .phone_number(String::from("+254722000000"))
                    .payment_method(types::CheckoutPaymentMethodInput::Paybybank)
                    .currency("KES")
                    .amount(dec!(3000))
                    .reference_id(String::from("chk-1")),
            )
            .data()
            .await
            .unwrap();
    let details = checkout.bank_payment_details.unwrap();
    assert_eq!(details.amount, Some(dec!(3000)));
    assert!(details.reference.is_some());
    let hosted =
        e.v3.create_bank_checkout_deposit()
            .body(
                types::CreateBankCheckoutRequest::builder()
                    .full_name("John Doe")
                    .payment_method(types::CheckoutPaymentMethodInput::Card)
                    .currency("KES")
                    .amount(dec!(10))
                    .reference_id(String::from("chk-2")),
            )
            .data()
            .await
            .unwrap();
    assert!(hosted.redirect_url.unwrap().contains("chk-2"));

    e.sandbox.advance(secs(5)).await;
    let card =
        e.v3.get_card_deposit_status()
            .reference_id("card-1")
            .data()
            .await
            .unwrap();
    assert_eq!(card.status, types::DepositStatus::Successful);
    assert_eq!(
        (card.transaction_amount, card.transaction_cost),
        (dec!(2050), dec!(50))
    );
    let chk =
        e.v3.get_bank_checkout_status()
            .reference_id("chk-1")
            .data()
            .await
            .unwrap();
    assert_eq!(chk.status, Some(types::DepositStatus::Successful));
    // The deposit status endpoint knows every deposit.
    assert_eq!(
        e.deposit_status("chk-1").await.status,
        types::DepositStatus::Successful
    );
    assert_eq!(e.delivered("card-1", "/cb"), ["IN_PROGRESS", "SUCCESSFUL"]);
    e.sandbox.advance(secs(30)).await;
    assert_eq!(e.balances("KES").await.1, dec!(5010));
    let card =
        e.v3.get_card_deposit_status()
            .reference_id("card-1")
            .data()
            .await
            .unwrap();
    assert!(card.final_deposit_balance.is_some());
    // The card number never comes back.
    let har = e.sandbox.har().to_string();
    assert!(
        har.matches("4111111111111111").count() <= 1,
        "at most in the request itself"
    );
    // No wallet in the currency: refused.
    let err =
        e.v3.create_bank_checkout_deposit()
            .body(
                types::CreateBankCheckoutRequest::builder()
                    .full_name("X")
                    .payment_method(types::CheckoutPaymentMethodInput::Card)
                    .currency("ZAR")
                    .amount(dec!(10))
                    .reference_id(String::from("chk-zar")),
            )
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    finish(&e.sandbox, "v3_money_card_and_checkout");
}

// -------------------------------------------------------------------------------------------
// Onramp, crypto sends, offramp

fn onramp_body(phone: &str, reference: &str) -> types::builder::CreateOnrampRequest {
    types::CreateOnrampRequest::builder()
        .mobile_money(Some(
            types::MobileMoneyPayer::builder()
                .phone_number(phone)
                .account_name("Jane Doe")
                .provider_network("MPESA")
                .try_into()
                .unwrap(),
        ))
        .fiat_amount(dec!(1000))
        .currency("KES")
        .chain(types::ChainInput::Celo)
        .token(types::TokenInput::Usdt)
        .receiver_address("0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb")
        .reference_id(reference)
}

#[tokio::test]
async fn an_onramp_collects_then_sends_the_crypto() {
    let e = Env::new(true).await;
    let quote =
        e.v3.create_onramp_quote()
            .body(
                types::CreateOnrampQuoteRequest::builder()
                    .from("KES")
                    .to(types::QuoteToken::Usdt)
                    .fiat_amount(dec!(1000)),
            )
            .data()
            .await
            .unwrap();
    let r =
        e.v3.create_onramp()
            .body(
                onramp_body("+254700000001", "onr-1")
                    .rate_id(quote.id.clone())
                    .callback_url(e.callback()),
            )
            .data()
            .await
            .unwrap();
    assert_eq!(r.reference_id, "onr-1");
    assert!(!r.customer_key.is_empty());
    let s =
        e.v3.get_onramp_status()
            .reference_id("onr-1")
            .data()
            .await
            .unwrap();
    assert_eq!(
        (s.deposit_status.clone(), s.onchain_status.clone()),
        (types::DepositStatus::Pending, types::DepositStatus::Pending)
    );
    assert_eq!(s.crypto_amount, quote.crypto_amount, "the quoted amount");
    assert_eq!(s.fiat_fee, quote.fee);
    assert_eq!(s.fiat_amount_to_send, dec!(1000) - quote.fee);
    e.sandbox.advance(secs(5)).await;
    let s =
        e.v3.get_onramp_status()
            .reference_id("onr-1")
            .data()
            .await
            .unwrap();
    assert_eq!(s.deposit_status, types::DepositStatus::Successful);
    assert_eq!(s.onchain_status, types::DepositStatus::InProgress);
    assert!(
        e.deliveries("onr-1").is_empty(),
        "onramps are delivered at terminal statuses"
    );
    e.sandbox.advance(secs(5)).await;
    let s =
        e.v3.get_onramp_status()
            .reference_id("onr-1")
            .data()
            .await
            .unwrap();
    assert_eq!(s.onchain_status, types::DepositStatus::Successful);
    assert!(s.transaction_hash.is_some());
    assert_eq!(e.delivered("onr-1", "/hook"), ["SUCCESSFUL"]);
    assert_eq!(e.delivered("onr-1", "/cb"), ["SUCCESSFUL"]);
    let V3Payload::OnrampStatusUpdated(u) = verify(&e.deliveries("onr-1")[0]).into_payload() else {
        panic!()
    };
    assert_eq!(u.status, "SUCCESSFUL");
    assert_eq!(u.deposit_status, Some(wh::events::DepositStatus::Successful));
    assert_eq!(u.onchain_status, Some(wh::events::DepositStatus::Successful));
    assert_eq!(u.crypto_amount, Some(quote.crypto_amount));
    assert_eq!(u.transaction_hash, s.transaction_hash);
    assert_eq!(
        e.sandbox.v3_transaction_status("onr-1").as_deref(),
        Some("SUCCESSFUL")
    );

    // A collection that fails cancels the crypto leg.
    e.v3.create_onramp()
        .body(onramp_body("+256700000013", "onr-2"))
        .data()
        .await
        .unwrap();
    e.sandbox.advance(secs(60)).await;
    let s =
        e.v3.get_onramp_status()
            .reference_id("onr-2")
            .data()
            .await
            .unwrap();
    assert_eq!(s.deposit_status, types::DepositStatus::Failed);
    assert_eq!(s.onchain_status, types::DepositStatus::Cancelled);
    assert_eq!(s.error.unwrap().code.as_deref(), Some("CANCELLED_BY_CUSTOMER"));
    assert!(s.transaction_hash.is_none());
    assert_eq!(e.delivered("onr-2", "/hook"), ["FAILED"]);
    // Onramps move no wallet balance.
    assert_eq!(e.balances("KES").await, (dec!(100000), dec!(0)));
    // A rate id that is not a quote is refused.
    let err =
        e.v3.create_onramp()
            .body(onramp_body("+254700000001", "onr-3").rate_id(String::from("q_made_up")))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    finish(&e.sandbox, "v3_money_onramp");
}

#[tokio::test]
async fn a_crypto_send_debits_the_crypto_wallet() {
    let e = Env::new(true).await;
    let before = e.v3.list_crypto_wallets().data().await.unwrap()[0].balance;
    let s =
        e.v3.create_crypto_onramp()
            .body(
                types::CreateCryptoOnrampRequest::builder()
                    .receiver_address("0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb")
                    .chain(types::ChainInput::Polygon)
                    .token(types::TokenInput::Usdt)
                    .crypto_amount(dec!(10))
                    .reference_id("cr-1"),
            )
            .data()
            .await
            .unwrap();
    assert_eq!(s.status, "PENDING");
    assert_eq!(
        e.v3.list_crypto_wallets().data().await.unwrap()[0].balance,
        before - dec!(10)
    );
    e.sandbox.advance(secs(5)).await;
    let s =
        e.v3.get_crypto_onramp_status()
            .reference_id("cr-1")
            .data()
            .await
            .unwrap();
    assert_eq!(s.status, "SUCCESSFUL");
    assert!(s.transaction_hash.is_some());
    let err =
        e.v3.create_crypto_onramp()
            .body(
                types::CreateCryptoOnrampRequest::builder()
                    .receiver_address("0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb")
                    .chain(types::ChainInput::Polygon)
                    .token(types::TokenInput::Usdt)
                    .crypto_amount(dec!(1000000))
                    .reference_id("cr-2"),
            )
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    finish(&e.sandbox, "v3_money_crypto_send");
}

fn offramp_body(phone: &str, amount: Decimal, reference: &str) -> types::builder::CreateOfframpRequest {
    types::CreateOfframpRequest::builder()
        .mobile_money_receiver(Some(
            types::MobileMoneyReceiver::builder()
                .phone_number(phone)
                .account_name("Jane Doe")
                .network_provider("MPESA")
                .try_into()
                .unwrap(),
        ))
        .crypto_amount(amount)
        .currency("KES")
        .chain(types::ChainInput::Celo)
        .token(types::TokenInput::Usdc)
        .sender_address(String::from("0x8ba1f109551bD432803012645Ac136ddd64DBA72"))
        .reference_id(reference)
}

#[tokio::test]
async fn an_offramp_needs_a_funded_payout_balance_and_pays_out() {
    let e = Env::new(true).await;
    let quote =
        e.v3.create_offramp_quote()
            .body(
                types::CreateOfframpQuoteRequest::builder()
                    .from(types::QuoteToken::Usdc)
                    .to("KES")
                    .crypto_amount(dec!(10)),
            )
            .data()
            .await
            .unwrap();
    let o =
        e.v3.create_offramp()
            .body(offramp_body("+254700000001", dec!(10), "ofr-1").rate_id(quote.id.clone()))
            .data()
            .await
            .unwrap();
    assert_eq!(
        (o.status.as_str(), o.onchain_status.as_str()),
        ("PENDING", "PENDING")
    );
    assert_eq!(o.fiat_amount, quote.fiat_amount);
    assert_eq!(o.fiat_transaction_amount, quote.transaction_amount);
    assert!(o.escrow_address.starts_with("0x"));
    let debit = quote.wallet_debit_amount.unwrap();
    assert_eq!(
        e.balances("KES").await.0,
        dec!(100000) - debit,
        "debited at creation"
    );
    e.sandbox.advance(SEC).await;
    let o =
        e.v3.get_offramp_status()
            .reference_id("ofr-1")
            .data()
            .await
            .unwrap();
    assert_eq!(
        (o.status.as_str(), o.onchain_status.as_str()),
        ("CRYPTO_RECEIVED", "SUCCESSFUL")
    );
    assert_eq!(o.transaction_hash_amount, Some(dec!(10)));
    e.sandbox.advance(secs(4)).await;
    let o =
        e.v3.get_offramp_status()
            .reference_id("ofr-1")
            .data()
            .await
            .unwrap();
    assert_eq!(o.status, "SUCCESSFUL");
    assert_eq!(e.delivered("ofr-1", "/hook"), ["SUCCESSFUL"]);
    let V3Payload::OfframpStatusUpdated(u) = verify(&e.deliveries("ofr-1")[0]).into_payload() else {
        panic!()
    };
    assert_eq!(u.fiat_transaction_amount, Some(quote.transaction_amount));
    assert_eq!(u.escrow_address, Some(o.escrow_address.clone()));

    // A failed payout: fiatTransactionAmount 0, the debit reversed.
    e.v3.create_offramp()
        .body(offramp_body("+255700000012", dec!(5), "ofr-2"))
        .data()
        .await
        .unwrap();
    e.sandbox.advance(secs(5)).await;
    let o =
        e.v3.get_offramp_status()
            .reference_id("ofr-2")
            .data()
            .await
            .unwrap();
    assert_eq!(o.status, "FAILED");
    assert_eq!(o.fiat_transaction_amount, dec!(0));
    assert!(o.transaction_error.is_some());
    assert_eq!(e.balances("KES").await.0, dec!(100000) - debit);
    let V3Payload::OfframpStatusUpdated(u) = verify(&e.deliveries("ofr-2")[0]).into_payload() else {
        panic!()
    };
    assert_eq!(u.status, "FAILED");
    assert_eq!(u.fiat_transaction_amount, Some(dec!(0)));

    // Cancelled while PENDING: the debit comes back; once the crypto arrived, too late.
    e.v3.create_offramp()
        .body(offramp_body("+254700000001", dec!(3), "ofr-3"))
        .data()
        .await
        .unwrap();
    let c = e.v3.cancel_offramp().reference_id("ofr-3").data().await.unwrap();
    assert_eq!(c["status"], "CANCELLED");
    assert_eq!(e.balances("KES").await.0, dec!(100000) - debit);
    assert_eq!(e.delivered("ofr-3", "/hook"), ["CANCELLED"]);
    e.v3.create_offramp()
        .body(offramp_body("+254700000001", dec!(3), "ofr-4"))
        .data()
        .await
        .unwrap();
    e.sandbox.advance(SEC).await;
    let err =
        e.v3.cancel_offramp()
            .reference_id("ofr-4")
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));

    // More fiat than the payout balance holds: refused, nothing created.
    let err =
        e.v3.create_offramp()
            .body(offramp_body("+254700000001", dec!(1000000), "ofr-big"))
            .data()
            .await
            .unwrap_err();
    assert_eq!(status_code(&err), Some(400));
    assert!(err.message().contains("Insufficient balance"), "{err}");
    let all = e.v3.list_offramp_transactions().data().await.unwrap();
    assert_eq!(
        all.iter().map(|o| o.reference_id.as_str()).collect::<Vec<_>>(),
        ["ofr-4", "ofr-3", "ofr-2", "ofr-1"]
    );
    finish(&e.sandbox, "v3_money_offramp");
}
