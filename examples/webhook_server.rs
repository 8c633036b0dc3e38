//! A minimal webhook receiver for both families, with axum.
//!
//! ```sh
//! KOTANI_WEBHOOK_SECRET=whsec_new,whsec_old KUTANAPAY_WEBHOOK_SECRET=whsec_shop \
//!     cargo run --example webhook_server            # serves on 127.0.0.1:3000 (or $PORT)
//! cargo run --example webhook_server -- --self-test # offline: posts signed and tampered
//!                                                   # deliveries to itself, exits 0 or 1
//! ```
//!
//! Routes:
//! - `POST /webhooks/kotani`: signed v3 deliveries (`X-Kotani-Signature`).
//! - `POST /callbacks/kotani`: direct (unsigned) v3 callbacks, confirmed through the API when
//!   `KOTANI_API_KEY` is set.
//! - `POST /webhooks/kutanapay`: merchant deliveries (`X-Webhook-Signature`), de-duplicated.
//!
//! Answer 2xx quickly and do slow work elsewhere: both senders retry on timeouts.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use kotanipay::webhook::{
    IdempotencyStore, MemoryIdempotencyStore, MerchantPayload, V3Payload, WebhookError, merchant, testing, v3,
};

struct App {
    v3: v3::Verifier,
    merchant: merchant::Verifier,
    seen: MemoryIdempotencyStore,
    /// For confirming direct callbacks; `None` without credentials.
    client: Option<kotanipay::v3::Client>,
}

type Reply = (StatusCode, &'static str);

/// A self-test delivery: what, route, headers, body, expected status and text.
type Case = (&'static str, &'static str, HeaderMap, Vec<u8>, u16, &'static str);

fn rejected(e: &WebhookError) -> Reply {
    // Never echo the error to the sender; log it here.
    tracing::warn!(kind = ?e.kind(), "{e}");
    (e.http_status(), "rejected")
}

async fn kotani(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Reply {
    let event = match app.v3.verify(&headers, &body) {
        Ok(e) => e,
        Err(e) => return rejected(&e),
    };
    match event.payload() {
        V3Payload::DepositStatusUpdated(d) => {
            tracing::info!(reference = %d.reference_id, status = ?d.status, "deposit updated");
        }
        V3Payload::WithdrawalStatusUpdated(w) => {
            tracing::info!(reference = %w.reference_id, status = ?w.status, "payout updated");
        }
        V3Payload::OnrampStatusUpdated(o) => {
            tracing::info!(reference = %o.reference_id, status = %o.status, "onramp")
        }
        V3Payload::OfframpStatusUpdated(o) => {
            tracing::info!(reference = %o.reference_id, status = %o.status, "offramp")
        }
        V3Payload::RefundLightningInvoiceNeeded(r) => {
            tracing::info!(reference = ?r.reference_id, "submit a BOLT11 invoice to receive the refund");
        }
        V3Payload::SettlementProcessed(s) => {
            tracing::info!(settlement = ?s.settlement_id, "settlement processed")
        }
        V3Payload::Unknown(data) => {
            tracing::info!(event = event.name(), %data, "event this SDK does not type")
        }
        other => tracing::info!(event = event.name(), ?other, "event"),
    }
    (StatusCode::OK, "ok")
}

async fn kotani_direct(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    let callback = match v3::parse_direct(&body) {
        Ok(c) => c,
        Err(e) => return rejected(&e),
    };
    // Unsigned: anyone can post this. Ask the API before acting on it.
    tracing::info!(reference = ?callback.peek().reference_id(), "unverified callback");
    if let Some(client) = app.client.clone() {
        tokio::spawn(async move {
            match callback.confirm(&client).await {
                Ok(confirmed) => tracing::info!(?confirmed, "confirmed through the API"),
                Err(e) => tracing::warn!("could not confirm the callback: {e}"),
            }
        });
    }
    (StatusCode::OK, "ok")
}

async fn kutanapay(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Reply {
    let event = match app.merchant.verify(&headers, &body) {
        Ok(e) => e,
        Err(e) => return rejected(&e),
    };
    if app.seen.seen_before(event.idempotency_key()) {
        return (StatusCode::OK, "duplicate"); // processed already: 2xx stops the retries
    }
    match event.payload() {
        MerchantPayload::CheckoutPaid(c) => {
            tracing::info!(checkout = ?c.id, amount = ?c.amount, "checkout paid")
        }
        other => tracing::info!(event = event.event_type(), ?other, "merchant event"),
    }
    // Had processing failed: `app.seen.forget(event.idempotency_key())` and answer 500.
    (StatusCode::OK, "ok")
}

fn router(app: App) -> Router {
    Router::new()
        .route("/webhooks/kotani", post(kotani))
        .route("/callbacks/kotani", post(kotani_direct))
        .route("/webhooks/kutanapay", post(kutanapay))
        .with_state(Arc::new(app))
}

fn secrets(var: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--self-test") {
        match self_test().await {
            Ok(n) => println!("webhook_server self-test: {n} deliveries answered as expected"),
            Err(e) => {
                eprintln!("webhook_server self-test FAILED: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    tracing_subscriber::fmt().init();
    let (v3_secrets, shop_secrets) = (
        secrets("KOTANI_WEBHOOK_SECRET"),
        secrets("KUTANAPAY_WEBHOOK_SECRET"),
    );
    if v3_secrets.is_empty() || shop_secrets.is_empty() {
        // The verifiers answer 500 until configured, so senders keep retrying meanwhile.
        tracing::warn!(
            "set KOTANI_WEBHOOK_SECRET and KUTANAPAY_WEBHOOK_SECRET (comma-separated while rotating)"
        );
    }
    let app = App {
        v3: v3::Verifier::new(v3_secrets),
        merchant: merchant::Verifier::new(shop_secrets),
        seen: MemoryIdempotencyStore::default(),
        client: match std::env::var("KOTANI_API_KEY") {
            Ok(_) => kotanipay::v3::Client::from_env().ok(),
            Err(_) => None,
        },
    };
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, router(app)).await.expect("serve");
}

/// Serves on a free loopback port and posts signed, tampered and duplicate deliveries of both
/// families to itself. No network beyond loopback.
async fn self_test() -> Result<usize, String> {
    const V3_SECRET: &str = "whsec_selftest_v3";
    const SHOP_SECRET: &str = "whsec_selftest_shop";
    let app = App {
        v3: v3::Verifier::new(["whsec_selftest_rotated_out", V3_SECRET]),
        merchant: merchant::Verifier::new([SHOP_SECRET])
            .with_tolerance(std::time::Duration::from_secs(7 * 3600)),
        seen: MemoryIdempotencyStore::default(),
        client: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let server = tokio::spawn(async move { axum::serve(listener, router(app)).await });

    let tamper = |body: &[u8]| -> Vec<u8> {
        // One byte of `data` changed.
        String::from_utf8_lossy(body)
            .replacen("1025", "1026", 1)
            .into_bytes()
    };
    let (v3_headers, v3_body) = testing::sign_v3(
        V3_SECRET,
        "transaction.deposit.status.updated",
        r#"{"status":"SUCCESSFUL","reference_id":"dep-1","amount":1000,"transaction_amount":1025,"customer_key":"cus_1"}"#,
    );
    let (shop_headers, shop_body) = testing::sign_merchant(
        SHOP_SECRET,
        "checkout.paid",
        r#"{"id":"5e70bd2a","amount":1025,"currency_code":"NGN","status":"paid"}"#,
    );
    let mut unsigned = v3_headers.clone();
    unsigned.remove(v3::SIGNATURE_HEADER);

    let direct = br#"{"status":"SUCCESSFUL","reference_id":"dep-1"}"#.to_vec();
    let (kotani, shop, callback) = ("/webhooks/kotani", "/webhooks/kutanapay", "/callbacks/kotani");
    // (what, route, headers, body, expected status, expected text)
    let cases: Vec<Case> = vec![
        (
            "v3 signed",
            kotani,
            v3_headers.clone(),
            v3_body.clone(),
            200,
            "ok",
        ),
        (
            "v3 tampered",
            kotani,
            v3_headers.clone(),
            tamper(&v3_body),
            401,
            "rejected",
        ),
        ("v3 unsigned", kotani, unsigned, v3_body.clone(), 400, "rejected"),
        (
            "merchant signed",
            shop,
            shop_headers.clone(),
            shop_body.clone(),
            200,
            "ok",
        ),
        (
            "merchant retry",
            shop,
            shop_headers.clone(),
            shop_body.clone(),
            200,
            "duplicate",
        ),
        (
            "merchant tampered",
            shop,
            shop_headers,
            tamper(&shop_body),
            401,
            "rejected",
        ),
        (
            "v3 direct callback",
            callback,
            HeaderMap::new(),
            direct,
            200,
            "ok",
        ),
    ];
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for (name, path, headers, body, want_status, want_text) in &cases {
        let resp = http
            .post(format!("{base}{path}"))
            .headers(headers.clone())
            .body(body.clone())
            .send()
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| format!("{name}: {e}"))?;
        let class_ok = (*want_status / 100) == (status / 100);
        if !class_ok || status != *want_status || text != *want_text {
            failures.push(format!(
                "{name}: got {status} {text:?}, want {want_status} {want_text:?}"
            ));
        }
    }
    server.abort();
    if failures.is_empty() {
        Ok(cases.len())
    } else {
        Err(failures.join("; "))
    }
}
