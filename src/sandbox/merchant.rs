//! KutanaPay Merchant API v1 in the sandbox: the merchant's records, the credential check every
//! operation goes through, the helpers the handlers share (FastAPI errors, pagination, times),
//! the webhook deliveries, then `money` (wallets, checkouts, customer transactions, refunds,
//! settlements), `setup` (API keys, webhooks, branding) and `transfers` (payment accounts,
//! withdrawals, payouts).
//!
//! Choices of ours where KutanaPay publishes nothing (each repeated where it is implemented):
//!
//! - **Seed wallets** ([`SEED_WALLETS`]): KES, NGN, GHS and USD, their available balances funded so
//!   that payouts and withdrawals work at once, their holding balances empty.
//! - **Fees**: none. Every `fee_amount` is 0 and `net_amount` equals `amount`.
//! - **Settlement** ([`SETTLEMENT_DELAY`]): a paid checkout's deposit waits in the holding balance
//!   for 24 hours, then a settlement pass moves it to the available balance in a settlement batch.
//! - **Checkout expiry**: a checkout not paid within 24 hours (its `expires_at`) becomes `expired`.
//! - **Webhook subscriptions**: a webhook receives an event when it is active and its `events`
//!   list names the event or is empty (empty means every event, as in Kotani's v3). The published
//!   catalogue (and the request enum) holds only the `checkout.*` events; the others the sandbox
//!   raises ([`EVENTS`]) reach only webhooks registered with an empty list.
//! - **No deduplication on `reference`**: the spec says the `reference` of a payout, withdrawal or
//!   checkout is "not known to be deduplicated on", and the SDK never resends them; a repeated
//!   `reference` creates a second one.

mod money;
mod setup;
mod transfers;

use std::collections::HashSet;
use std::time::{Duration, UNIX_EPOCH};

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::Config;
use super::deliver::Outgoing;
use super::v3::{dec, num};
use super::world::{self, Reply, Req, World};
use crate::meta::Family;

/// The wallets every sandbox merchant starts with: `(currency_code, available_balance)`. The
/// available balances are funded so that payouts and withdrawals work at once; the holding
/// balances (deposits not settled yet) start empty.
pub(crate) const SEED_WALLETS: [(&str, i64); 4] = [
    ("KES", 100_000),
    ("NGN", 5_000_000),
    ("GHS", 10_000),
    ("USD", 1_000),
];

/// How long a paid checkout's deposit stays in the holding balance before the settlement pass
/// moves it to the available balance (our choice: KutanaPay publishes no schedule).
pub(crate) const SETTLEMENT_DELAY: Duration = Duration::from_secs(24 * 3600);

/// How long a checkout can be paid (its `expires_at`; the spec's examples show 24 hours).
pub(crate) const CHECKOUT_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Where a checkout's `checkout_url` points: a placeholder host (the sandbox has no hosted
/// payment page; [`super::Sandbox::pay_checkout`] plays the customer instead).
pub(crate) const CHECKOUT_HOST: &str = "https://checkout.sandbox.kutanapay.test";

/// Every event the sandbox raises. The first three are KutanaPay's published ones; the others
/// are ours, named `<object>.<status>`.
pub(crate) const EVENTS: [&str; 17] = [
    "checkout.created",
    "checkout.paid",
    "checkout.approved",
    "checkout.cancelled",
    "checkout.expired",
    "refund.completed",
    "settlement.completed",
    "payout.created",
    "payout.processing",
    "payout.completed",
    "payout.failed",
    "payout.cancelled",
    "withdrawal.created",
    "withdrawal.processing",
    "withdrawal.completed",
    "withdrawal.failed",
    "withdrawal.cancelled",
];

/// The merchant's wallet in one currency.
#[derive(Debug, Clone)]
pub(crate) struct Wallet {
    pub id: String,
    pub currency_id: String,
    pub code: String,
    /// Settled funds: what payouts, withdrawals and refunds of settled deposits draw on.
    pub available: Decimal,
    /// Deposits not settled yet: what refunds of unsettled deposits draw on.
    pub holding: Decimal,
    pub status: String,
    pub created_at: String,
    pub updated_at: Option<String>,
}

impl Wallet {
    /// The `MerchantWallet` schema.
    fn json(&self, merchant_id: &str) -> Value {
        json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "currency_id": self.currency_id,
            "currency_code": self.code,
            "available_balance": num(self.available),
            "holding_balance": num(self.holding),
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// One movement of a wallet balance (`WalletTransaction`).
#[derive(Debug, Clone)]
pub(crate) struct WalletTxn {
    pub id: String,
    pub wallet_id: String,
    pub code: String,
    pub kind: &'static str,
    /// The size of the movement (always positive; `balance_before`/`balance_after` show its
    /// direction).
    pub amount: Decimal,
    pub before: Decimal,
    pub after: Decimal,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub related: Option<String>,
    pub created_at: String,
}

impl WalletTxn {
    fn json(&self, merchant_id: &str) -> Value {
        json!({
            "id": self.id,
            "wallet_id": self.wallet_id,
            "merchant_id": merchant_id,
            "currency_code": self.code,
            "transaction_type": self.kind,
            "amount": num(self.amount),
            "balance_before": num(self.before),
            "balance_after": num(self.after),
            "reference": self.reference,
            "description": self.description,
            "related_transaction_id": self.related,
            "created_at": self.created_at,
        })
    }
}

/// Every merchant record of one sandbox (one merchant: the one the issued key belongs to).
pub(crate) struct State {
    pub merchant_id: String,
    keys: Vec<setup::ApiKey>,
    wallets: Vec<Wallet>,
    wallet_txns: Vec<WalletTxn>,
    batches: Vec<money::Batch>,
    txns: Vec<money::Txn>,
    checkouts: Vec<money::Checkout>,
    webhooks: Vec<setup::Webhook>,
    branding: Map<String, Value>,
    accounts: Vec<transfers::Account>,
    transfers: Vec<transfers::Transfer>,
    /// The reserved "503 once" numbers (last nine digits) that have had their 503.
    unavailable_seen: HashSet<String>,
}

/// A UUID (v4 layout) from the seeded generator, before a `World` exists.
fn uuid_from(rng: &mut fastrand::Rng) -> String {
    let mut b = [0u8; 16];
    for x in &mut b {
        *x = rng.u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

impl State {
    pub(crate) fn new(rng: &mut fastrand::Rng, config: &Config) -> Self {
        let start = config
            .start_time
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let at = py(start);
        let merchant_id = uuid_from(rng);
        let issued = setup::ApiKey::issued(uuid_from(rng), &config.merchant_api_key, &at);
        let wallets = SEED_WALLETS
            .iter()
            .map(|(code, available)| Wallet {
                id: uuid_from(rng),
                currency_id: uuid_from(rng),
                code: (*code).to_string(),
                available: Decimal::from(*available),
                holding: Decimal::ZERO,
                status: "active".to_string(),
                created_at: at.clone(),
                updated_at: None,
            })
            .collect();
        let branding = setup::initial_branding(uuid_from(rng), &merchant_id, &at);
        State {
            merchant_id,
            keys: vec![issued],
            wallets,
            wallet_txns: Vec::new(),
            batches: Vec::new(),
            txns: Vec::new(),
            checkouts: Vec::new(),
            webhooks: Vec::new(),
            branding,
            accounts: Vec::new(),
            transfers: Vec::new(),
            unavailable_seen: HashSet::new(),
        }
    }

    /// The wallet in `code` (upper case).
    fn wallet(&self, code: &str) -> Option<&Wallet> {
        self.wallets.iter().find(|w| w.code == code)
    }
}

/// A scheduled merchant state change.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// A withdrawal or payout (by id) moves from pending to processing.
    Progress(String),
    /// A withdrawal or payout (by id) reaches its final status.
    Finish(String),
    /// A checkout (by id) still pending at its `expires_at` expires.
    ExpireCheckout(String),
    /// The settlement pass: deposits whose holding time is over move to the available balance.
    Settle,
}

/// Answers a merchant request from the state; `None` serves the spec example.
pub(crate) fn handle(w: &mut World, req: &Req<'_>) -> Option<Reply> {
    Some(match req.op.id {
        "create_api_key" => setup::create_api_key(w, req),
        "get_api_keys" => setup::get_api_keys(w, req),
        "revoke_api_key" => setup::revoke_api_key(w, req),
        "create_webhook" => setup::create_webhook(w, req),
        "get_webhooks" => setup::get_webhooks(w, req),
        "update_webhook" => setup::update_webhook(w, req),
        "delete_webhook" => setup::delete_webhook(w, req),
        "get_branding" => setup::get_branding(w, req),
        "update_branding" => setup::update_branding(w, req),
        "get_all_wallets" => money::get_all_wallets(w, req),
        "get_wallet_by_currency" => money::get_wallet_by_currency(w, req),
        "update_wallet_status" => money::update_wallet_status(w, req),
        "get_wallet_transactions" => money::get_wallet_transactions(w, req),
        "get_settlement_batches" => money::get_settlement_batches(w, req),
        "get_merchant_transactions" => money::get_merchant_transactions(w, req),
        "get_merchant_transaction" => money::get_merchant_transaction(w, req),
        "process_refund" => money::process_refund(w, req),
        "create_checkout" => money::create_checkout(w, req),
        "list_checkouts" => money::list_checkouts(w, req),
        "get_checkout" => money::get_checkout(w, req),
        "cancel_checkout" => money::cancel_checkout(w, req),
        "add_payment_account" => transfers::add_payment_account(w, req),
        "get_payment_accounts" => transfers::get_payment_accounts(w, req),
        "get_payment_account" => transfers::get_payment_account(w, req),
        "update_payment_account" => transfers::update_payment_account(w, req),
        "delete_payment_account" => transfers::delete_payment_account(w, req),
        "initiate_withdrawal" => transfers::initiate(w, req, transfers::Kind::Withdrawal),
        "get_withdrawal_history" => transfers::history(w, req, transfers::Kind::Withdrawal),
        "get_withdrawal" => transfers::get(w, req, transfers::Kind::Withdrawal),
        "cancel_withdrawal" => transfers::cancel(w, req, transfers::Kind::Withdrawal),
        "initiate_payout" => transfers::initiate(w, req, transfers::Kind::Payout),
        "get_payout_history" => transfers::history(w, req, transfers::Kind::Payout),
        "get_payout" => transfers::get(w, req, transfers::Kind::Payout),
        "cancel_payout" => transfers::cancel(w, req, transfers::Kind::Payout),
        _ => return None,
    })
}

/// Runs a scheduled merchant job.
pub(crate) fn run(w: &mut World, job: Job) {
    match job {
        Job::Progress(id) => transfers::progress(w, &id),
        Job::Finish(id) => transfers::finish(w, &id),
        Job::ExpireCheckout(id) => money::expire_checkout(w, &id),
        Job::Settle => money::settle(w),
    }
}

/// The `x-api-key` check: the key the sandbox issued and the keys created through the API work
/// until revoked; anything else is 401 `{"detail": ...}`. A key that works has its
/// `last_used_at` set.
pub(crate) fn authenticate(w: &mut World, req: &Req<'_>) -> Result<(), Reply> {
    let now = now_py(w);
    let Some(given) = req.credential.as_deref() else {
        return Err(world::error(Family::Merchant, 401, "Not authenticated"));
    };
    match w.merchant.keys.iter_mut().find(|k| k.matches(given)) {
        Some(k) if k.status == "active" => {
            k.last_used_at = Some(now);
            Ok(())
        }
        Some(_) => Err(world::error(Family::Merchant, 401, "API key has been revoked")),
        None => Err(world::error(Family::Merchant, 401, "Invalid API key")),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Milliseconds since the epoch as Python's `datetime.isoformat()` writes a naive UTC time
/// (`2025-11-19T16:16:50.676000`), as the spec's examples show every merchant time.
pub(crate) fn py(ms: i64) -> String {
    let s = world::format_ms(ms);
    match s.strip_suffix('Z') {
        Some(base) => format!("{base}000"),
        None => s,
    }
}

/// The sandbox clock's now, in the merchant API's time format.
fn now_py(w: &World) -> String {
    py(w.now_ms())
}

/// A FastAPI error `{"detail": message}`.
fn detail(status: u16, message: &str) -> Reply {
    world::error(Family::Merchant, status, message)
}

/// A FastAPI 422 about a body field (`loc` is `["body", ..path]`).
fn invalid_body(path: &[&str], msg: &str, kind: &str) -> Reply {
    let loc = std::iter::once("body")
        .chain(path.iter().copied())
        .map(|s| json!(s))
        .collect();
    world::merchant_validation(&[(loc, msg.to_string(), kind)])
}

/// A FastAPI 422 about a query parameter.
fn invalid_query(name: &str, msg: &str, kind: &str) -> Reply {
    world::merchant_validation(&[(vec![json!("query"), json!(name)], msg.to_string(), kind)])
}

/// The largest amount the sandbox takes (so that no sum of amounts can overflow).
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A body amount that must be a number above zero (pydantic's `gt=0`), at most
/// [`MAX_AMOUNT`].
fn positive(req: &Req<'_>, field: &str) -> Result<Decimal, Reply> {
    match req.json.get(field).and_then(dec) {
        Some(d) if d > Decimal::from(MAX_AMOUNT) => Err(invalid_body(
            &[field],
            &format!("Input should be less than or equal to {MAX_AMOUNT}"),
            "less_than_equal",
        )),
        Some(d) if d > Decimal::ZERO => Ok(d),
        Some(_) => Err(invalid_body(
            &[field],
            "Input should be greater than 0",
            "greater_than",
        )),
        None => Err(invalid_body(
            &[field],
            "Input should be a valid decimal",
            "decimal_parsing",
        )),
    }
}

/// A currency code from the body, upper case (codes compare case-insensitively).
fn body_code(req: &Req<'_>, field: &str) -> String {
    req.str(field).unwrap_or("").trim().to_ascii_uppercase()
}

/// An optional string field of the body.
fn opt_str(req: &Req<'_>, field: &str) -> Option<String> {
    req.str(field).map(str::to_string)
}

/// An integer query parameter within bounds, FastAPI's way: 422 when it is not an integer or
/// out of range.
fn query_int(req: &Req<'_>, name: &str, default: i64, min: i64, max: Option<i64>) -> Result<i64, Reply> {
    let Some(raw) = req.query(name) else {
        return Ok(default);
    };
    let Ok(n) = raw.trim().parse::<i64>() else {
        return Err(invalid_query(
            name,
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
        ));
    };
    if n < min {
        return Err(invalid_query(
            name,
            &format!("Input should be greater than or equal to {min}"),
            "greater_than_equal",
        ));
    }
    if let Some(max) = max
        && n > max
    {
        return Err(invalid_query(
            name,
            &format!("Input should be less than or equal to {max}"),
            "less_than_equal",
        ));
    }
    Ok(n)
}

/// `page` (from 1, default 1) and `size` (1 to 100, default 50), as Get Settlement Batches
/// documents them.
fn page_size(req: &Req<'_>) -> Result<(usize, usize), Reply> {
    let page = query_int(req, "page", 1, 1, None)?;
    let size = query_int(req, "size", 50, 1, Some(100))?;
    Ok((page as usize, size as usize))
}

/// An enum query parameter: `None` when absent, 422 when not one of `allowed`.
fn query_enum<'a>(req: &'a Req<'_>, name: &str, allowed: &[&str]) -> Result<Option<&'a str>, Reply> {
    let Some(v) = req.query(name) else {
        return Ok(None);
    };
    if allowed.contains(&v) {
        return Ok(Some(v));
    }
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    let list = match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    };
    Err(invalid_query(name, &format!("Input should be {list}"), "enum"))
}

/// A currency filter from the query, upper case.
fn query_code(req: &Req<'_>) -> Option<String> {
    req.query("currency_code")
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
}

/// One page of `items` (already in order) with its `pagination` metadata.
fn paged(req: &Req<'_>, message: &str, items: Vec<Value>, page: usize, size: usize) -> Reply {
    let total = items.len();
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    let mut reply = world::merchant_ok(req, message, Value::Array(data));
    reply.body["pagination"] = json!({
        "page": page,
        "size": size,
        "total": total,
        "total_pages": total.div_ceil(size),
    });
    reply
}

/// Which balance of a wallet moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Balance {
    Available,
    Holding,
}

/// A booked movement of one wallet balance.
struct Movement<'a> {
    code: &'a str,
    balance: Balance,
    /// Positive: credit; negative: debit.
    delta: Decimal,
    kind: &'static str,
    reference: Option<String>,
    description: String,
    related: Option<String>,
}

/// Moves a balance and records it as a wallet transaction.
fn book(w: &mut World, m: Movement<'_>) {
    let id = w.uuid();
    let at = now_py(w);
    let state = &mut w.merchant;
    let Some(wallet) = state.wallets.iter_mut().find(|x| x.code == m.code) else {
        return;
    };
    let slot = match m.balance {
        Balance::Available => &mut wallet.available,
        Balance::Holding => &mut wallet.holding,
    };
    let before = *slot;
    *slot += m.delta;
    let after = *slot;
    wallet.updated_at = Some(at.clone());
    let wallet_id = wallet.id.clone();
    state.wallet_txns.push(WalletTxn {
        id,
        wallet_id,
        code: m.code.to_string(),
        kind: m.kind,
        amount: m.delta.abs(),
        before,
        after,
        reference: m.reference,
        description: Some(m.description),
        related: m.related,
        created_at: at,
    });
}

/// How an event's deliveries go out.
#[derive(Debug, Clone, Copy, Default)]
struct Timing {
    /// Each delivery is made twice (same body, same idempotency key).
    twice: bool,
    /// The first attempt waits this long.
    delay: Duration,
}

/// Raises `event`: one delivery to every active webhook subscribed to it (its `events` name it,
/// or are empty), in KutanaPay's envelope `{"version":"v1","event_type","timestamp",
/// "idempotency_key","merchant_id","data"}` written compactly, signed over the raw body with the
/// webhook's own secret (`X-Webhook-Signature: sha256=<hex>`), with `X-Webhook-Event` and
/// `X-Webhook-Idempotency-Key`. The timestamp is the sandbox clock's (RFC 3339); one idempotency
/// key per event, the same for every webhook and every retry.
fn emit(w: &mut World, event: &str, reference: &str, data: Value) {
    emit_with(w, event, reference, data, Timing::default());
}

fn emit_with(w: &mut World, event: &str, reference: &str, data: Value, send: Timing) {
    debug_assert!(EVENTS.contains(&event), "{event} is not in EVENTS");
    let targets: Vec<(String, String, Duration)> = w
        .merchant
        .webhooks
        .iter()
        .filter(|h| h.receives(event))
        .map(|h| {
            let timeout = Duration::from_secs(h.timeout_seconds.clamp(1, 300) as u64);
            (h.url.clone(), h.secret.clone(), timeout)
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    let key = w.uuid();
    let body = format!(
        "{{\"version\":\"v1\",\"event_type\":{},\"timestamp\":{},\"idempotency_key\":{},\"merchant_id\":{},\"data\":{}}}",
        json!(event),
        json!(w.timestamp()),
        json!(key),
        json!(w.merchant.merchant_id),
        data,
    )
    .into_bytes();
    for (url, secret, timeout) in targets {
        let signed = crate::webhook::testing::merchant_headers(&secret, &body);
        let mut headers: Vec<(String, String)> = signed
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        headers.push((
            crate::webhook::merchant::EVENT_HEADER.to_string(),
            event.to_string(),
        ));
        headers.push((
            crate::webhook::merchant::IDEMPOTENCY_HEADER.to_string(),
            key.clone(),
        ));
        for _ in 0..if send.twice { 2 } else { 1 } {
            w.deliver(
                Outgoing {
                    family: Family::Merchant,
                    url: url.clone(),
                    event: event.to_string(),
                    reference: Some(reference.to_string()),
                    headers: headers.clone(),
                    body: body.clone(),
                    timeout,
                },
                send.delay,
            );
        }
    }
}

/// The merchant control endpoints of the sandbox process (`/_sandbox/merchant/...`): what the
/// `Sandbox` methods give a Rust test, for teammates driving the process over HTTP.
///
/// - `POST /_sandbox/merchant/checkouts/{id}/pay`: [`super::Sandbox::pay_checkout`];
/// - `POST /_sandbox/merchant/checkouts/{id}/approve`: [`super::Sandbox::approve_checkout`];
/// - `GET /_sandbox/merchant`: the merchant's id.
///
/// An action answers 200 `{"id", "status"}` once its webhooks are sent, or `{"error"}` with 404
/// (no such checkout) or 409 (not in the status the action needs).
pub(crate) async fn control(
    shared: &super::Shared,
    method: &str,
    segments: &[&str],
    _query: &std::collections::HashMap<String, String>,
) -> Option<(u16, Value)> {
    type Act = fn(&mut World, &str) -> Result<(), money::Refusal>;
    let (id, act): (&str, Act) = match (method, segments) {
        ("GET", ["merchant"]) => {
            return Some((200, json!({"merchant_id": shared.world().merchant.merchant_id})));
        }
        ("POST", ["merchant", "checkouts", id, "pay"]) => (id, money::pay),
        ("POST", ["merchant", "checkouts", id, "approve"]) => (id, money::approve),
        _ => return None,
    };
    let result = act(&mut shared.world(), id);
    shared.flush().await;
    Some(match result {
        Ok(()) => {
            let status = shared
                .world()
                .merchant
                .checkouts
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.status.clone());
            (200, json!({"id": id, "status": status}))
        }
        Err((code, why)) => (code, json!({"error": why})),
    })
}

impl super::Sandbox {
    /// Plays the customer of merchant checkout `id`: the checkout becomes `paid`; a `deposit`
    /// appears in the customer transactions (`completed`, `settlement_status` `unsettled`); its
    /// amount goes to the wallet's holding balance (the settlement pass moves it to the
    /// available balance 24 hours later); `checkout.paid` is delivered to the subscribed
    /// webhooks before this returns.
    ///
    /// Fails, changing nothing, when there is no such checkout or it is not `pending`
    /// (already paid, cancelled or expired).
    pub async fn pay_checkout(&self, id: &str) -> Result<(), String> {
        let result = money::pay(&mut self.shared.world(), id);
        self.shared.flush().await;
        result.map_err(|(_, why)| why)
    }

    /// Plays KutanaPay's admin approving the payment of merchant checkout `id`: a `paid`
    /// checkout becomes `approved` and `checkout.approved` is delivered before this returns.
    /// Money does not move (the deposit was taken when it was paid).
    ///
    /// Fails, changing nothing, when there is no such checkout or it is not `paid`.
    pub async fn approve_checkout(&self, id: &str) -> Result<(), String> {
        let result = money::approve(&mut self.shared.world(), id);
        self.shared.flush().await;
        result.map_err(|(_, why)| why)
    }

    /// The sandbox merchant's id (the `merchant_id` of its records and webhook deliveries).
    pub fn merchant_id(&self) -> String {
        self.shared.world().merchant.merchant_id.clone()
    }
}
