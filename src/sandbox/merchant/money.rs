//! Merchant money in the sandbox: wallets and their movements, checkouts and the deposits they
//! bring, customer transactions, refunds, settlement batches.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{
    Balance, CHECKOUT_HOST, CHECKOUT_LIFETIME, Job, Movement, SETTLEMENT_DELAY, body_code, book, detail,
    emit, invalid_body, now_py, opt_str, page_size, paged, positive, py, query_code, query_enum, query_int,
};
use crate::sandbox::v3::num;
use crate::sandbox::world::{self, Reply, Req, World};

// ---------------------------------------------------------------------------------------------
// Wallets
// ---------------------------------------------------------------------------------------------

/// `GET /wallet`: every wallet (KES, NGN, GHS, USD), in that order.
pub(super) fn get_all_wallets(w: &mut World, req: &Req<'_>) -> Reply {
    let m = &w.merchant;
    let list: Vec<Value> = m.wallets.iter().map(|x| x.json(&m.merchant_id)).collect();
    world::merchant_ok(req, "Wallets retrieved successfully", Value::Array(list))
}

/// `GET /wallet/{currency_code}` (case-insensitive); 404 for a currency without a wallet.
pub(super) fn get_wallet_by_currency(w: &mut World, req: &Req<'_>) -> Reply {
    let code = req.param("currency_code").trim().to_ascii_uppercase();
    let m = &w.merchant;
    match m.wallet(&code) {
        Some(x) => world::merchant_ok(req, "Wallet retrieved successfully", x.json(&m.merchant_id)),
        None => detail(404, &format!("Wallet not found for currency {code}")),
    }
}

/// `PATCH /wallet/{currency_code}/status`. A wallet that is not `active` refuses new checkouts,
/// payouts and withdrawals in its currency (400); what is under way goes on.
pub(super) fn update_wallet_status(w: &mut World, req: &Req<'_>) -> Reply {
    let code = req.param("currency_code").trim().to_ascii_uppercase();
    let at = now_py(w);
    let m = &mut w.merchant;
    let Some(x) = m.wallets.iter_mut().find(|x| x.code == code) else {
        return detail(404, &format!("Wallet not found for currency {code}"));
    };
    if let Some(s) = req.str("status") {
        x.status = s.to_string();
    }
    x.updated_at = Some(at);
    let body = x.json(&m.merchant_id);
    world::merchant_ok(req, "Wallet status updated successfully", body)
}

/// The wallet that takes money in `code`: 400 when there is none or it is not active.
pub(super) fn usable_wallet(w: &World, code: &str) -> Result<(), Reply> {
    match w.merchant.wallet(code) {
        None => Err(detail(400, &format!("Unsupported currency: {code}"))),
        Some(x) if x.status != "active" => Err(detail(400, &format!("The {code} wallet is {}", x.status))),
        Some(_) => Ok(()),
    }
}

/// `GET /wallet/transactions`: the balance movements (settlements, refunds, payouts,
/// withdrawals and their reversals), newest first, by `currency_code` (case-insensitive), paged
/// with `page`/`size`. A movement's `amount` is its size; `balance_before`/`balance_after` are
/// those of the balance it moved (the available balance, or the holding balance for a refund of
/// an unsettled deposit). Customer deposits are not here: they are customer transactions.
pub(super) fn get_wallet_transactions(w: &mut World, req: &Req<'_>) -> Reply {
    let (page, size) = match page_size(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let code = query_code(req);
    let m = &w.merchant;
    let items: Vec<Value> = m
        .wallet_txns
        .iter()
        .rev()
        .filter(|t| code.as_ref().is_none_or(|c| &t.code == c))
        .map(|t| t.json(&m.merchant_id))
        .collect();
    paged(
        req,
        "Wallet transactions retrieved successfully",
        items,
        page,
        size,
    )
}

/// A settlement batch: deposits of one currency moved from holding to available together.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    id: String,
    code: String,
    total: Decimal,
    count: usize,
    at: String,
}

impl Batch {
    fn json(&self, merchant_id: &str) -> Value {
        json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "currency_code": self.code,
            "status": "completed",
            "total_amount": num(self.total),
            "fee_amount": 0,
            "net_amount": num(self.total),
            "transaction_count": self.count,
            "settled_at": self.at,
            "created_at": self.at,
            "updated_at": self.at,
        })
    }
}

/// `GET /wallet/settlements`: the settlement batches, newest first, by `currency_code` and
/// `status`, paged with `page`/`size`. Batches are made complete (the pass is instantaneous).
pub(super) fn get_settlement_batches(w: &mut World, req: &Req<'_>) -> Reply {
    let (page, size) = match page_size(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let status = match query_enum(req, "status", &["pending", "processing", "completed", "failed"]) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let code = query_code(req);
    let m = &w.merchant;
    let items: Vec<Value> = m
        .batches
        .iter()
        .rev()
        .filter(|b| code.as_ref().is_none_or(|c| &b.code == c))
        .filter(|_| status.is_none_or(|s| s == "completed"))
        .map(|b| b.json(&m.merchant_id))
        .collect();
    paged(
        req,
        "Settlement batches retrieved successfully",
        items,
        page,
        size,
    )
}

/// The settlement pass (scheduled [`SETTLEMENT_DELAY`] after each payment): every completed
/// deposit whose holding time is over moves, net of its refunds, from the holding to the
/// available balance, one batch per currency; `settlement.completed` is raised per batch.
pub(super) fn settle(w: &mut World) {
    let now = w.now_ms();
    let at = py(now);
    let mut codes: Vec<String> = Vec::new();
    for t in &w.merchant.txns {
        if t.is_due(now) && !codes.contains(&t.code) {
            codes.push(t.code.clone());
        }
    }
    for code in codes {
        let mut total = Decimal::ZERO;
        let mut count = 0;
        for t in w
            .merchant
            .txns
            .iter_mut()
            .filter(|t| t.is_due(now) && t.code == code)
        {
            total += t.amount - t.refunded;
            count += 1;
            t.settlement = Some("settled");
            t.settled_at = Some(at.clone());
            t.updated_at = Some(at.clone());
        }
        let id = w.uuid();
        let description = format!("Settlement batch {}", at.get(..10).unwrap_or(&at));
        // One movement, of the available balance (as the spec's example shows a settlement);
        // the holding balance gives the same amount up.
        if let Some(x) = w.merchant.wallets.iter_mut().find(|x| x.code == code) {
            x.holding -= total;
        }
        book(
            w,
            Movement {
                code: &code,
                balance: Balance::Available,
                delta: total,
                kind: "settlement",
                reference: Some(id.clone()),
                description,
                related: None,
            },
        );
        let batch = Batch {
            id: id.clone(),
            code,
            total,
            count,
            at: at.clone(),
        };
        let data = batch.json(&w.merchant.merchant_id);
        w.merchant.batches.push(batch);
        emit(w, "settlement.completed", &id, data);
    }
}

// ---------------------------------------------------------------------------------------------
// Customer transactions and refunds
// ---------------------------------------------------------------------------------------------

/// A customer transaction: a checkout's deposit, a refund of one, or a payout.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    pub id: String,
    pub code: String,
    pub currency_id: String,
    pub kind: &'static str,
    pub status: String,
    /// Deposits and refunds: `unsettled` or `settled`; payouts have none.
    pub settlement: Option<&'static str>,
    pub amount: Decimal,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub original_id: Option<String>,
    pub checkout_id: Option<String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub settled_at: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    /// Deposits: how much has been refunded so far.
    pub refunded: Decimal,
    /// Deposits: when the settlement pass takes it (ms since the epoch).
    pub settle_due_ms: i64,
}

impl Txn {
    fn is_due(&self, now: i64) -> bool {
        self.kind == "deposit"
            && self.status == "completed"
            && self.settlement == Some("unsettled")
            && self.settle_due_ms <= now
    }

    /// The `MerchantTransaction` schema (no fees in the sandbox: `fee_amount` 0).
    pub(crate) fn json(&self, merchant_id: &str) -> Value {
        let mut v = json!({
            "transaction_id": self.id,
            "merchant_id": merchant_id,
            "currency_id": self.currency_id,
            "currency_code": self.code,
            "transaction_type": self.kind,
            "status": self.status,
            "amount": num(self.amount),
            "fee_amount": 0,
            "net_amount": num(self.amount),
            "reference": self.reference,
            "description": self.description,
            "original_transaction_id": self.original_id,
            "checkout_id": self.checkout_id,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "customer_phone": self.customer_phone,
            "settled_at": self.settled_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        });
        if let Some(s) = self.settlement {
            v["settlement_status"] = json!(s);
        }
        v
    }
}

/// `GET /customer/transactions`: deposits, refunds and payouts, newest first, by `currency_code`
/// (case-insensitive), `transaction_type` and `status`, paged with `page`/`size`. A payout shows
/// here with its own id as `transaction_id`, `pending` until it completes, fails or is
/// cancelled.
pub(super) fn get_merchant_transactions(w: &mut World, req: &Req<'_>) -> Reply {
    let (page, size) = match page_size(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let kind = match query_enum(req, "transaction_type", &["deposit", "payout", "refund"]) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let status = match query_enum(req, "status", &["pending", "completed", "failed", "cancelled"]) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let code = query_code(req);
    let m = &w.merchant;
    let items: Vec<Value> = m
        .txns
        .iter()
        .rev()
        .filter(|t| code.as_ref().is_none_or(|c| &t.code == c))
        .filter(|t| kind.is_none_or(|k| t.kind == k))
        .filter(|t| status.is_none_or(|s| t.status == s))
        .map(|t| t.json(&m.merchant_id))
        .collect();
    paged(req, "Transactions retrieved successfully", items, page, size)
}

/// `GET /customer/transactions/{transaction_id}`.
pub(super) fn get_merchant_transaction(w: &mut World, req: &Req<'_>) -> Reply {
    let m = &w.merchant;
    match m.txns.iter().find(|t| t.id == req.param("transaction_id")) {
        Some(t) => world::merchant_ok(req, "Transaction retrieved successfully", t.json(&m.merchant_id)),
        None => detail(404, "Transaction not found"),
    }
}

/// `POST /wallet/refund`: refunds all or part of a completed deposit, at once (the refund is a
/// `completed` customer transaction of type `refund`, and `refund.completed` is raised).
///
/// Refused: an unknown transaction (404); one that is not a deposit, or not completed; a
/// currency other than the deposit's; more than the deposit minus its earlier refunds; more than
/// the balance it draws on (400, FastAPI `detail`); an amount not above zero (422). An unsettled
/// deposit is refunded from the holding balance, a settled one from the available balance.
pub(super) fn process_refund(w: &mut World, req: &Req<'_>) -> Reply {
    let amount = match positive(req, "refund_amount") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let code = body_code(req, "currency_code");
    let reason = opt_str(req, "reason");
    let original_id = req.str("original_transaction_id").unwrap_or("");
    let Some(i) = w.merchant.txns.iter().position(|t| t.id == original_id) else {
        return detail(404, "Transaction not found");
    };
    let orig = w.merchant.txns[i].clone();
    if orig.kind != "deposit" {
        return detail(400, "Only deposits can be refunded");
    }
    if orig.status != "completed" {
        return detail(400, "Only completed deposits can be refunded");
    }
    if orig.code != code {
        return detail(
            400,
            &format!(
                "Currency {code} does not match the transaction's currency {}",
                orig.code
            ),
        );
    }
    let refundable = orig.amount - orig.refunded;
    if amount > refundable {
        return detail(
            400,
            &format!(
                "Refund amount exceeds the refundable amount of {} {code}",
                refundable.normalize()
            ),
        );
    }
    let (balance, available) = match (orig.settlement, w.merchant.wallet(&code)) {
        (_, None) => return detail(400, &format!("Unsupported currency: {code}")),
        (Some("settled"), Some(x)) => (Balance::Available, x.available),
        (_, Some(x)) => (Balance::Holding, x.holding),
    };
    if amount > available {
        return detail(400, "Insufficient balance");
    }
    let id = w.uuid();
    let at = now_py(w);
    w.merchant.txns[i].refunded += amount;
    w.merchant.txns[i].updated_at = Some(at.clone());
    book(
        w,
        Movement {
            code: &code,
            balance,
            delta: -amount,
            kind: "refund",
            reference: orig.reference.clone(),
            description: reason.clone().unwrap_or_else(|| "Refund".to_string()),
            related: Some(id.clone()),
        },
    );
    let refund = Txn {
        id: id.clone(),
        code,
        currency_id: orig.currency_id.clone(),
        kind: "refund",
        status: "completed".to_string(),
        settlement: orig.settlement,
        amount,
        reference: orig.reference.clone(),
        description: reason,
        original_id: Some(orig.id.clone()),
        checkout_id: orig.checkout_id.clone(),
        customer_name: orig.customer_name.clone(),
        customer_email: orig.customer_email.clone(),
        customer_phone: orig.customer_phone.clone(),
        settled_at: None,
        created_at: at.clone(),
        updated_at: Some(at),
        refunded: Decimal::ZERO,
        settle_due_ms: 0,
    };
    let body = refund.json(&w.merchant.merchant_id);
    w.merchant.txns.push(refund);
    emit(w, "refund.completed", &id, body.clone());
    world::merchant_ok(req, "Refund processed successfully", body)
}

// ---------------------------------------------------------------------------------------------
// Checkouts
// ---------------------------------------------------------------------------------------------

/// A hosted checkout session.
#[derive(Debug, Clone)]
pub(crate) struct Checkout {
    pub id: String,
    pub amount: Decimal,
    pub code: String,
    pub status: String,
    pub description: Option<String>,
    pub reference: Option<String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub payment_reference: String,
    pub meta_data: Option<Map<String, Value>>,
    pub expires_at: String,
    pub paid_at: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
}

impl Checkout {
    /// The `Checkout` schema. `checkout_url` is `https://checkout.sandbox.kutanapay.test/<id>`,
    /// a placeholder: the sandbox serves no payment page ([`crate::sandbox::Sandbox::pay_checkout`]
    /// plays the customer).
    fn json(&self, merchant_id: &str) -> Value {
        json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "amount": num(self.amount),
            "currency_code": self.code,
            "status": self.status,
            "description": self.description,
            "reference": self.reference,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "customer_phone": self.customer_phone,
            "checkout_url": format!("{CHECKOUT_HOST}/{}", self.id),
            "success_url": self.success_url,
            "cancel_url": self.cancel_url,
            "payment_reference": self.payment_reference,
            "meta_data": self.meta_data,
            "expires_at": self.expires_at,
            "paid_at": self.paid_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// The `data` of a `checkout.*` event: the checkout, plus `checkout_id` (what ODOS reads
    /// first).
    fn event_data(&self, merchant_id: &str) -> Value {
        let mut v = self.json(merchant_id);
        v["checkout_id"] = json!(self.id);
        v
    }
}

/// `POST /checkouts`: a `pending` checkout payable for 24 hours, with a `checkout_url` and a
/// `payment_reference` (`PAY-` and 8 hex digits); `checkout.created` is raised. The amount must
/// be above zero (422) and the currency one of the merchant's active wallets (400).
pub(super) fn create_checkout(w: &mut World, req: &Req<'_>) -> Reply {
    let amount = match positive(req, "amount") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let code = body_code(req, "currency_code");
    if let Err(r) = usable_wallet(w, &code) {
        return r;
    }
    for f in ["success_url", "cancel_url"] {
        if let Some(u) = req.str(f)
            && url::Url::parse(u).is_err()
        {
            return invalid_body(
                &[f],
                "Input should be a valid URL, relative URL without a base",
                "url_parsing",
            );
        }
    }
    let id = w.uuid();
    let payment_reference = format!("PAY-{}", w.hex(8).to_ascii_uppercase());
    let now = w.now_ms();
    let at = py(now);
    let checkout = Checkout {
        id: id.clone(),
        amount,
        code,
        status: "pending".to_string(),
        description: opt_str(req, "description"),
        reference: opt_str(req, "reference"),
        customer_name: opt_str(req, "customer_name"),
        customer_email: opt_str(req, "customer_email"),
        customer_phone: opt_str(req, "customer_phone"),
        success_url: opt_str(req, "success_url"),
        cancel_url: opt_str(req, "cancel_url"),
        payment_reference,
        meta_data: req.json.get("meta_data").and_then(Value::as_object).cloned(),
        expires_at: py(now + CHECKOUT_LIFETIME.as_millis() as i64),
        paid_at: None,
        created_at: at.clone(),
        updated_at: Some(at),
    };
    let mid = w.merchant.merchant_id.clone();
    let body = checkout.json(&mid);
    let data = checkout.event_data(&mid);
    w.merchant.checkouts.push(checkout);
    w.schedule(
        CHECKOUT_LIFETIME,
        world::Job::Merchant(Job::ExpireCheckout(id.clone())),
    );
    emit(w, "checkout.created", &id, data);
    world::merchant_ok(req, "Checkout created successfully", body)
}

/// `GET /checkouts`: newest first, `limit` (1 to 100, default 50) from `offset` (default 0).
pub(super) fn list_checkouts(w: &mut World, req: &Req<'_>) -> Reply {
    let limit = match query_int(req, "limit", 50, 1, Some(100)) {
        Ok(l) => l as usize,
        Err(r) => return r,
    };
    let offset = match query_int(req, "offset", 0, 0, None) {
        Ok(o) => o as usize,
        Err(r) => return r,
    };
    let m = &w.merchant;
    let list: Vec<Value> = m
        .checkouts
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|c| c.json(&m.merchant_id))
        .collect();
    world::merchant_ok(req, "Checkouts retrieved successfully", Value::Array(list))
}

/// `GET /checkouts/{checkout_id}`.
pub(super) fn get_checkout(w: &mut World, req: &Req<'_>) -> Reply {
    let m = &w.merchant;
    match m.checkouts.iter().find(|c| c.id == req.param("checkout_id")) {
        Some(c) => world::merchant_ok(req, "Checkout retrieved successfully", c.json(&m.merchant_id)),
        None => detail(404, "Checkout not found"),
    }
}

/// `POST /checkouts/{checkout_id}/cancel`: only a `pending` checkout (400 otherwise); it moves
/// no money; `checkout.cancelled` is raised.
pub(super) fn cancel_checkout(w: &mut World, req: &Req<'_>) -> Reply {
    let at = now_py(w);
    let mid = w.merchant.merchant_id.clone();
    let Some(c) = w
        .merchant
        .checkouts
        .iter_mut()
        .find(|c| c.id == req.param("checkout_id"))
    else {
        return detail(404, "Checkout not found");
    };
    if c.status != "pending" {
        return detail(400, &format!("Checkout cannot be cancelled: it is {}", c.status));
    }
    c.status = "cancelled".to_string();
    c.updated_at = Some(at);
    let (id, body, data) = (c.id.clone(), c.json(&mid), c.event_data(&mid));
    emit(w, "checkout.cancelled", &id, data);
    world::merchant_ok(req, "Checkout cancelled successfully", body)
}

/// Why a simulated customer or admin action was refused: 404 (no such checkout) or 409 (not in
/// the status the action needs), with the reason.
pub(crate) type Refusal = (u16, String);

/// The simulated customer pays checkout `id` (see [`crate::sandbox::Sandbox::pay_checkout`]).
pub(super) fn pay(w: &mut World, id: &str) -> Result<(), Refusal> {
    let now = w.now_ms();
    let at = py(now);
    let Some(i) = w.merchant.checkouts.iter().position(|c| c.id == id) else {
        return Err((404, format!("no merchant checkout {id:?}")));
    };
    let status = w.merchant.checkouts[i].status.clone();
    if status != "pending" {
        return Err((
            409,
            format!("checkout {id} is {status}: only a pending checkout can be paid"),
        ));
    }
    let code = w.merchant.checkouts[i].code.clone();
    let Some(currency_id) = w.merchant.wallet(&code).map(|x| x.currency_id.clone()) else {
        return Err((409, format!("the merchant has no {code} wallet")));
    };
    let txn_id = w.uuid();
    let mid = w.merchant.merchant_id.clone();
    let c = &mut w.merchant.checkouts[i];
    c.status = "paid".to_string();
    c.paid_at = Some(at.clone());
    c.updated_at = Some(at.clone());
    let c = c.clone();
    let deposit = Txn {
        id: txn_id,
        code: code.clone(),
        currency_id,
        kind: "deposit",
        status: "completed".to_string(),
        settlement: Some("unsettled"),
        amount: c.amount,
        reference: c.reference.clone(),
        description: c.description.clone(),
        original_id: None,
        checkout_id: Some(c.id.clone()),
        customer_name: c.customer_name.clone(),
        customer_email: c.customer_email.clone(),
        customer_phone: c.customer_phone.clone(),
        settled_at: None,
        created_at: at.clone(),
        updated_at: Some(at.clone()),
        refunded: Decimal::ZERO,
        settle_due_ms: now + SETTLEMENT_DELAY.as_millis() as i64,
    };
    w.merchant.txns.push(deposit);
    // A customer payment is not a wallet movement (Get Wallet Transactions lists internal
    // operations only): the holding balance grows without one.
    if let Some(x) = w.merchant.wallets.iter_mut().find(|x| x.code == code) {
        x.holding += c.amount;
        x.updated_at = Some(at);
    }
    w.schedule(SETTLEMENT_DELAY, world::Job::Merchant(Job::Settle));
    emit(w, "checkout.paid", &c.id, c.event_data(&mid));
    Ok(())
}

/// A checkout still `pending` at its `expires_at` becomes `expired`; `checkout.expired` is raised.
pub(super) fn expire_checkout(w: &mut World, id: &str) {
    let at = now_py(w);
    let mid = w.merchant.merchant_id.clone();
    let Some(c) = w
        .merchant
        .checkouts
        .iter_mut()
        .find(|c| c.id == id && c.status == "pending")
    else {
        return;
    };
    c.status = "expired".to_string();
    c.updated_at = Some(at);
    let data = c.event_data(&mid);
    emit(w, "checkout.expired", id, data);
}

/// KutanaPay's admin approves the payment of checkout `id` (see
/// [`crate::sandbox::Sandbox::approve_checkout`]).
pub(super) fn approve(w: &mut World, id: &str) -> Result<(), Refusal> {
    let at = now_py(w);
    let mid = w.merchant.merchant_id.clone();
    let Some(c) = w.merchant.checkouts.iter_mut().find(|c| c.id == id) else {
        return Err((404, format!("no merchant checkout {id:?}")));
    };
    if c.status != "paid" {
        return Err((
            409,
            format!(
                "checkout {id} is {}: only a paid checkout can be approved",
                c.status
            ),
        ));
    }
    c.status = "approved".to_string();
    c.updated_at = Some(at);
    let data = c.event_data(&mid);
    emit(w, "checkout.approved", id, data);
    Ok(())
}
