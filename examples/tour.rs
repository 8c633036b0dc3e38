//! The main job: a real integration, end to end, printed step by step.
//!
//! With no credentials in the environment it starts the built-in sandbox of both APIs and runs
//! the whole flow offline, moving money on the sandbox's clock:
//!
//! 1. sign in with a magic link, make an API key with a signing secret (secure mode), and
//!    register a webhook receiver (a small server in this process) with its secret;
//! 2. create a mobile-money customer;
//! 3. collect a deposit from them with our own reference;
//! 4. receive the signed webhooks and verify them with `kotanipay::webhook`;
//! 5. read the deposit's final status and, after reconciliation, the wallet balance;
//! 6. pay out to a number whose response is lost on the way back: the error says the outcome is
//!    unknown, a status check finds the payment, and nothing is paid twice;
//! 7. merchant API: register a webhook, create a checkout, let the simulated customer pay it,
//!    verify the `checkout.paid` webhook, and pay a supplier out.
//!
//! `--har FILE` writes the traffic as HAR (`cargo xtask contract --har FILE` checks it).
//!
//! With `KOTANI_BASE_URL` and `KOTANI_API_KEY` set it runs only read-only steps against that
//! server (plus the merchant ones when `KUTANAPAY_BASE_URL` and `KUTANAPAY_API_KEY` are set).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use kotanipay::prelude::*;
use kotanipay::sandbox::{Sandbox, numbers};
use kotanipay::webhook::{self, MerchantPayload, V3Payload};
use kotanipay::{Decimal, merchant, v3};

/// The v3 webhook secret this integrator configures.
const V3_SECRET: &str = "whsec_tour_v3";

fn set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() {
    let mut har = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--har" => match args.next() {
                Some(path) => har = Some(path),
                None => fail("--har needs a file name"),
            },
            other => fail(&format!("unknown argument {other:?} (the tour takes --har FILE)")),
        }
    }
    let result = if set("KOTANI_BASE_URL") && set("KOTANI_API_KEY") {
        live().await
    } else {
        offline(har.as_deref()).await
    };
    if let Err(e) = result {
        fail(&format!("tour failed: {e}"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}

/// What the tour's webhook receiver got: path, headers, body.
type Inbox = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// A webhook receiver on loopback that answers 200 to everything and keeps what arrived.
async fn receiver() -> Result<(SocketAddr, Inbox), String> {
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
        let kept = kept.clone();
        async move {
            kept.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((uri.path().to_string(), headers, body));
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("no loopback port for the receiver: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, inbox))
}

/// Takes what arrived at `path` since the last call.
fn take(inbox: &Inbox, path: &str) -> Vec<(HeaderMap, Bytes)> {
    let mut all = inbox.lock().unwrap_or_else(|p| p.into_inner());
    let (mine, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|(p, _, _)| p == path);
    *all = rest;
    mine.into_iter().map(|(_, h, b)| (h, b)).collect()
}

async fn offline(har: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await;
    let (addr, inbox) = receiver().await?;
    println!(
        "No KOTANI_BASE_URL/KOTANI_API_KEY: running against the built-in sandbox at {}\n",
        sandbox.base_url()
    );
    // 1. Sign in with a magic link (the sandbox shows the link instead of e-mailing it), then
    //    make an API key with a signing secret: from here on every request is signed.
    let anon = v3::Client::builder().base_url(sandbox.base_url()).build()?;
    let email = "you@yourcompany.com";
    let sent = anon.login(email).await?;
    let link = sandbox
        .magic_link(email)
        .ok_or("the sandbox sent no magic link")?;
    let session = anon.verify(&link).await?;
    let secure = anon
        .with_session(session)
        .generate_secure_api_key()
        .data()
        .await?;
    let secret = secure.secret.clone().ok_or("no signing secret was returned")?;
    println!(
        "1. login: {sent}; API key ({} characters) and signing secret {:?}, shown once",
        secure.key.expose().len(),
        secret
    );
    let v3c = anon
        .with_api_key(secure.key.expose())
        .with_signing_secret(secret.expose());

    // Where Kotani sends webhooks, and the secret it signs them with.
    let hooks = format!("http://{addr}/kotani");
    v3c.update_integrator_webhook()
        .body(
            v3::types::UpdateIntegratorWebhookRequest::builder()
                .webhook_url(hooks.clone())
                .webhook_secret(kotanipay::Secret::from(V3_SECRET)),
        )
        .call()
        .await?;
    println!("   webhooks: signed, to {hooks}");

    // 2. A mobile-money customer.
    let customer = v3c
        .create_customer()
        .body(
            v3::types::CreateCustomerRequest::builder()
                .phone_number(String::from("+254712345678"))
                .country_code("KE")
                .account_name(String::from("Jane Wanjiku")),
        )
        .data()
        .await?;
    let customer_key = customer.customer_key.clone().unwrap_or_default();
    println!(
        "2. customer {customer_key} for {}",
        customer.phone_number.as_deref().unwrap_or("?")
    );

    // 3. A deposit from them, with our own reference: sending it again cannot charge twice.
    let kes = v3c.get_fiat_wallet_by_currency().currency("KES").data().await?;
    println!(
        "3. KES wallet {}: deposit balance {}, payout balance {}",
        kes.id,
        kes.deposit_balance.unwrap_or_default(),
        kes.balance
    );
    let receipt = v3c
        .create_mobile_money_deposit()
        .body(
            v3::types::CreateDepositRequest::builder()
                .customer_key(customer_key.clone())
                .amount(Decimal::from(1500))
                .wallet_id(kes.id.clone())
                .reference_id(String::from("order-1042")),
        )
        .data()
        .await?;
    println!(
        "   deposit {} accepted: {}",
        receipt.reference_id, receipt.message
    );

    // 4. The customer approves on their phone; Kotani's webhooks arrive, signed.
    sandbox.advance(Duration::from_secs(6)).await;
    let verifier = webhook::v3::Verifier::new([V3_SECRET]);
    println!("4. webhooks received and verified:");
    for (headers, body) in take(&inbox, "/kotani") {
        let event = verifier
            .verify(&headers, &body)
            .map_err(|e| format!("a webhook did not verify: {e}"))?;
        if let V3Payload::DepositStatusUpdated(u) = event.payload() {
            println!("   {}: {} is {}", event.name(), u.reference_id, u.status);
        }
    }

    // 5. The status from the API (the authority), and the balance after reconciliation.
    let status = v3c.get_deposit_status().reference_id("order-1042").data().await?;
    println!(
        "5. order-1042: {} (customer paid {}, fee {})",
        status.status, status.transaction_amount, status.transaction_cost
    );
    sandbox.advance(Duration::from_secs(60)).await;
    let kes = v3c.get_fiat_wallet().id(kes.id.clone()).data().await?;
    println!(
        "   after reconciliation: deposit balance {}",
        kes.deposit_balance.unwrap_or_default()
    );

    // 6. A payout whose response is lost on the way back.
    let payee = v3c
        .create_customer()
        .body(
            v3::types::CreateCustomerRequest::builder()
                .phone_number(format!("+254{}", numbers::LOST_RESPONSE))
                .country_code("KE"),
        )
        .data()
        .await?;
    let payee_key = payee.customer_key.unwrap_or_default();
    let before = kes.balance;
    // This client sends once: what your code sees when the SDK's own retry (which resends with
    // the same reference, and so is safe) is off or spent.
    let once = v3::Client::builder()
        .base_url(sandbox.base_url())
        .api_key(secure.key.expose())
        .signing_secret(secret.expose())
        .retry(kotanipay::RetryPolicy::disabled())
        .build()?;
    let lost = once
        .create_mobile_money_withdrawal()
        .body(
            v3::types::CreateWithdrawalRequest::builder()
                .customer_key(payee_key)
                .amount(Decimal::from(800))
                .wallet_id(kes.id.clone())
                .reference_id(String::from("payout-77")),
        )
        .data()
        .await;
    match lost {
        Err(e) if e.is_outcome_unknown() => println!("6. payout-77: outcome unknown ({e})"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("payout-77 was answered: the sandbox should have lost it".into()),
    }
    let found = v3c
        .get_withdrawal_status()
        .reference_id("payout-77")
        .data()
        .await?;
    println!(
        "   status check: payout-77 exists, {}; not sent again",
        found.status
    );
    sandbox.advance(Duration::from_secs(6)).await;
    let found = v3c
        .get_withdrawal_status()
        .reference_id("payout-77")
        .data()
        .await?;
    let kes = v3c.get_fiat_wallet().id(kes.id.clone()).data().await?;
    println!(
        "   payout-77 {}; payout balance {} -> {}: paid once, not retried blindly",
        found.status, before, kes.balance
    );
    take(&inbox, "/kotani");

    // 7. Merchant API: a checkout paid by the customer, its webhook, a payout.
    let shop = sandbox.merchant_client()?;
    let hook = shop
        .create_webhook()
        .body(
            merchant::types::CreateWebhookRequest::builder()
                .url(format!("http://{addr}/shop"))
                .events(vec![
                    merchant::types::MerchantWebhookEventInput::CheckoutCreated,
                    merchant::types::MerchantWebhookEventInput::CheckoutPaid,
                ]),
        )
        .data()
        .await?;
    let shop_secret = hook
        .secret
        .clone()
        .map(|s| s.expose().to_string())
        .unwrap_or_default();
    println!("7. merchant webhook {} registered", hook.id);
    let checkout = shop
        .create_checkout()
        .body(
            merchant::types::CreateCheckoutRequest::builder()
                .amount(Decimal::from(250))
                .currency_code("KES")
                .description(String::from("Order 1043")),
        )
        .data()
        .await?;
    println!(
        "   checkout {} for {} {}: {}",
        checkout.id,
        checkout.amount.unwrap_or_default(),
        checkout.currency_code.as_deref().unwrap_or("?"),
        checkout.checkout_url.as_deref().unwrap_or("-")
    );
    sandbox
        .pay_checkout(&checkout.id)
        .await
        .map_err(|e| format!("the customer could not pay: {e}"))?;
    let verifier = webhook::merchant::Verifier::new([shop_secret.as_str()]);
    for (headers, body) in take(&inbox, "/shop") {
        let event = verifier
            .verify(&headers, &body)
            .map_err(|e| format!("a webhook did not verify: {e}"))?;
        if let MerchantPayload::CheckoutPaid(c) = event.payload() {
            println!(
                "   webhook {} verified: checkout {} is {}",
                event.event_type(),
                c.id.as_deref().unwrap_or("?"),
                c.status.as_ref().map(|s| s.to_string()).unwrap_or_default()
            );
        }
    }
    let paid = shop
        .get_checkout()
        .checkout_id(checkout.id.clone())
        .data()
        .await?;
    println!(
        "   checkout {} is {}",
        paid.id,
        paid.status.map(|s| s.to_string()).unwrap_or_default()
    );
    let payout = shop
        .initiate_payout()
        .body(
            merchant::types::InitiatePayoutRequest::builder()
                .amount(Decimal::from(100))
                .currency_code("KES")
                .payout_type(Some(merchant::types::PayoutTypeInput::MobileMoney))
                .recipient_details(Some(merchant::types::RecipientDetails {
                    recipient_name: Some("Supplier Ltd".into()),
                    mobile_number: Some("+254712000111".into()),
                    ..Default::default()
                }))
                .reference(String::from("supplier-9")),
        )
        .data()
        .await?;
    sandbox.advance(Duration::from_secs(6)).await;
    let payout = shop
        .get_payout()
        .payout_id(payout.id.clone().unwrap_or_default())
        .data()
        .await?;
    println!(
        "   payout {} of {} {} to Supplier Ltd: {}",
        payout.reference.as_deref().unwrap_or("?"),
        payout.amount.unwrap_or_default(),
        payout.currency_code.as_deref().unwrap_or("?"),
        payout.status.map(|s| s.to_string()).unwrap_or_default()
    );

    if let Some(path) = har {
        sandbox
            .write_har(path)
            .map_err(|e| format!("could not write {path}: {e}"))?;
        println!("\nTraffic written to {path}");
    }
    println!("\nTour complete: every step answered by the sandbox.");
    Ok(())
}

async fn live() -> Result<(), Box<dyn std::error::Error>> {
    let client = v3::Client::from_env()?;
    println!("Live run against {} (read-only steps)\n", client.baseurl());
    let health = client.get_health().call().await?;
    println!("health: {}", health.status);
    let me = client.get_integrator().data().await?;
    println!("integrator: {} ({})", me.organization, me.email);
    let wallets = client.list_fiat_wallets().data().await?;
    println!("fiat wallets: {}", wallets.len());
    if set("KUTANAPAY_BASE_URL") && set("KUTANAPAY_API_KEY") {
        let shop = merchant::Client::from_env()?;
        let keys = shop.get_api_keys().data().await?;
        println!("merchant keys: {}", keys.len());
    }
    Ok(())
}
