//! Merchant money out in the sandbox: saved payment accounts, withdrawals (to the merchant's own
//! accounts) and payouts (to third parties), their statuses, balances and webhooks.
//!
//! A withdrawal or payout is debited from the available balance when it is created (`pending`),
//! becomes `processing` after the progress delay (1 s by default) and `completed` after the
//! settle delay (5 s), or `failed` with its debit reversed. Only a `pending` one can be
//! cancelled (its debit is reversed). How it ends is decided by the recipient's number, as on
//! Kotani's sandbox ([`numbers::outcome`], last nine digits): the mobile-money number
//! (`recipient_details.mobile_number`, or a saved account's `phone_number`), or for a bank
//! recipient its `recipient_phone`; a bank account that Kotani's sandbox reports NOT_FOUND
//! (`1000000005`) fails with "Account not found". Kotani's failure numbers fail, `700000020`
//! stays `processing`, `700000021` completes after 60 s; ours: `709999901` is taken and its
//! response lost, `709999902` is answered 503 once (nothing created), `709999903` sends each
//! webhook twice, `709999904` sends them 10 minutes late, `709999905` delivers `processing`
//! after `completed`. The v3-only numbers (suspended, duplicate, expiry, corrections) complete
//! normally here.

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::money::{Txn, usable_wallet};
use super::{
    Balance, Job, Movement, Timing, body_code, book, detail, emit_with, invalid_body, now_py, opt_str,
    page_size, paged, positive, query_code, query_enum,
};
use crate::sandbox::numbers::{self, FailureReason, Outcome};
use crate::sandbox::v3::num;
use crate::sandbox::world::{self, Reply, Req, World};

// ---------------------------------------------------------------------------------------------
// Payment accounts
// ---------------------------------------------------------------------------------------------

/// The detail fields of a payment account, kept as sent.
const ACCOUNT_FIELDS: [&str; 6] = [
    "account_name",
    "account_number",
    "bank_name",
    "bank_code",
    "phone_number",
    "network",
];

/// A saved bank or mobile-money account.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub account_type: String,
    pub currency_id: String,
    pub code: String,
    /// [`ACCOUNT_FIELDS`] that were given.
    pub fields: Map<String, Value>,
    pub provider_metadata: Option<Map<String, Value>>,
    pub is_default: bool,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

impl Account {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// The `PaymentAccount` schema.
    fn json(&self, merchant_id: &str) -> Value {
        let mut v = json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "account_type": self.account_type,
            "currency_id": self.currency_id,
            "currency_code": self.code,
            "provider_metadata": self.provider_metadata,
            "is_default": self.is_default,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
        });
        for f in ACCOUNT_FIELDS {
            v[f] = self.fields.get(f).cloned().unwrap_or(Value::Null);
        }
        v
    }
}

/// The field a type of account cannot do without.
fn required_field(account_type: &str) -> &'static str {
    if account_type == "bank" {
        "account_number"
    } else {
        "phone_number"
    }
}

/// `POST /payment-accounts`. `currency_id` is a wallet's `currency_id` (Get All Wallets); the
/// sandbox also takes a currency code there (`NGN`). A bank account needs `account_number`, a
/// mobile-money one `phone_number` (422). `is_default: true` takes the default from the other
/// accounts of its currency.
pub(super) fn add_payment_account(w: &mut World, req: &Req<'_>) -> Reply {
    let account_type = req.str("account_type").unwrap_or("bank").to_string();
    let given = req.str("currency_id").unwrap_or("").trim().to_string();
    let Some((currency_id, code)) = w
        .merchant
        .wallets
        .iter()
        .find(|x| x.currency_id == given || x.code.eq_ignore_ascii_case(&given))
        .map(|x| (x.currency_id.clone(), x.code.clone()))
    else {
        return detail(404, "Currency not found");
    };
    let needed = required_field(&account_type);
    if req.str(needed).is_none_or(|s| s.trim().is_empty()) {
        return invalid_body(&[needed], "Field required", "missing");
    }
    let mut fields = Map::new();
    for f in ACCOUNT_FIELDS {
        if let Some(v) = req.str(f) {
            fields.insert(f.into(), json!(v));
        }
    }
    let is_default = req
        .json
        .get("is_default")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = w.uuid();
    let at = now_py(w);
    let m = &mut w.merchant;
    if is_default {
        for a in m.accounts.iter_mut().filter(|a| a.code == code) {
            a.is_default = false;
        }
    }
    let account = Account {
        id,
        account_type,
        currency_id,
        code,
        fields,
        provider_metadata: req
            .json
            .get("provider_metadata")
            .and_then(Value::as_object)
            .cloned(),
        is_default,
        status: "active".to_string(),
        created_at: at.clone(),
        updated_at: at,
        deleted_at: None,
    };
    let body = account.json(&m.merchant_id);
    m.accounts.push(account);
    world::merchant_ok(req, "Payment account added successfully", body)
}

/// The live (not deleted) account `id`.
fn live_account(w: &World, id: &str) -> Option<usize> {
    w.merchant
        .accounts
        .iter()
        .position(|a| a.id == id && a.deleted_at.is_none())
}

/// `GET /payment-accounts`: the live accounts, oldest first.
pub(super) fn get_payment_accounts(w: &mut World, req: &Req<'_>) -> Reply {
    let m = &w.merchant;
    let list: Vec<Value> = m
        .accounts
        .iter()
        .filter(|a| a.deleted_at.is_none())
        .map(|a| a.json(&m.merchant_id))
        .collect();
    world::merchant_ok(req, "Payment accounts retrieved successfully", Value::Array(list))
}

/// `GET /payment-accounts/{account_id}`: 404 when unknown or deleted.
pub(super) fn get_payment_account(w: &mut World, req: &Req<'_>) -> Reply {
    match live_account(w, req.param("account_id")) {
        Some(i) => {
            let m = &w.merchant;
            world::merchant_ok(
                req,
                "Payment account retrieved successfully",
                m.accounts[i].json(&m.merchant_id),
            )
        }
        None => detail(404, "Payment account not found"),
    }
}

/// `PUT /payment-accounts/{account_id}`: changes the details, status, provider metadata and
/// default flag given. `account_type` and `currency_id` cannot change: a body that sends a
/// different one is refused (400) and changes nothing.
pub(super) fn update_payment_account(w: &mut World, req: &Req<'_>) -> Reply {
    let Some(i) = live_account(w, req.param("account_id")) else {
        return detail(404, "Payment account not found");
    };
    let at = now_py(w);
    let m = &mut w.merchant;
    let current = &m.accounts[i];
    if req.str("account_type").is_some_and(|t| t != current.account_type) {
        return detail(400, "account_type cannot be changed");
    }
    if req
        .str("currency_id")
        .is_some_and(|c| c != current.currency_id && !c.eq_ignore_ascii_case(&current.code))
    {
        return detail(400, "currency_id cannot be changed");
    }
    let needed = required_field(&current.account_type);
    if req.str(needed).is_some_and(|s| s.trim().is_empty()) {
        return invalid_body(
            &[needed],
            "String should have at least 1 character",
            "string_too_short",
        );
    }
    let code = current.code.clone();
    let is_default = req.json.get("is_default").and_then(Value::as_bool);
    if is_default == Some(true) {
        for a in m.accounts.iter_mut().filter(|a| a.code == code) {
            a.is_default = false;
        }
    }
    let a = &mut m.accounts[i];
    for f in ACCOUNT_FIELDS {
        if let Some(v) = req.str(f) {
            a.fields.insert(f.into(), json!(v));
        }
    }
    if let Some(p) = req.json.get("provider_metadata").and_then(Value::as_object) {
        a.provider_metadata = Some(p.clone());
    }
    if let Some(s) = req.str("status") {
        a.status = s.to_string();
    }
    if let Some(d) = is_default {
        a.is_default = d;
    }
    a.updated_at = at;
    let body = a.json(&m.merchant_id);
    world::merchant_ok(req, "Payment account updated successfully", body)
}

/// `DELETE /payment-accounts/{account_id}`: answered with `deleted_at` set and status
/// `inactive`; it is then 404 to every operation (deleting it again included).
pub(super) fn delete_payment_account(w: &mut World, req: &Req<'_>) -> Reply {
    let Some(i) = live_account(w, req.param("account_id")) else {
        return detail(404, "Payment account not found");
    };
    let at = now_py(w);
    let m = &mut w.merchant;
    let a = &mut m.accounts[i];
    a.deleted_at = Some(at.clone());
    a.status = "inactive".to_string();
    a.is_default = false;
    a.updated_at = at;
    let body = a.json(&m.merchant_id);
    world::merchant_ok(req, "Payment account deleted successfully", body)
}

// ---------------------------------------------------------------------------------------------
// Withdrawals and payouts
// ---------------------------------------------------------------------------------------------

/// Which of the two money-out operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// To the merchant's own account.
    Withdrawal,
    /// To a third party.
    Payout,
}

impl Kind {
    /// The event and wallet-movement prefix (`payout`).
    fn name(self) -> &'static str {
        match self {
            Kind::Withdrawal => "withdrawal",
            Kind::Payout => "payout",
        }
    }

    /// For messages (`Payout`).
    fn title(self) -> &'static str {
        match self {
            Kind::Withdrawal => "Withdrawal",
            Kind::Payout => "Payout",
        }
    }

    /// The path parameter of its id.
    fn param(self) -> &'static str {
        match self {
            Kind::Withdrawal => "withdrawal_id",
            Kind::Payout => "payout_id",
        }
    }
}

/// A withdrawal or payout.
#[derive(Debug, Clone)]
pub(crate) struct Transfer {
    kind: Kind,
    id: String,
    account_id: Option<String>,
    payout_type: String,
    details: Option<Value>,
    amount: Decimal,
    code: String,
    status: String,
    reference: Option<String>,
    description: Option<String>,
    failure_reason: Option<String>,
    completed_at: Option<String>,
    cancelled_at: Option<String>,
    created_at: String,
    updated_at: String,
    /// How it ends, from the recipient's number.
    outcome: Outcome,
}

impl Transfer {
    /// The `Withdrawal` / `Payout` schema (no fees in the sandbox: `fee_amount` 0).
    fn json(&self, merchant_id: &str) -> Value {
        json!({
            "id": self.id,
            "merchant_id": merchant_id,
            "payment_account_id": self.account_id,
            "payout_type": self.payout_type,
            "recipient_details": self.details,
            "amount": num(self.amount),
            "fee_amount": 0,
            "currency_code": self.code,
            "status": self.status,
            "reference": self.reference,
            "description": self.description,
            "failure_reason": self.failure_reason,
            "completed_at": self.completed_at,
            "cancelled_at": self.cancelled_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// The recipient fields each `payout_type` requires (the spec's `RecipientDetails`).
fn required_recipient_fields(payout_type: &str) -> &'static [&'static str] {
    if payout_type == "bank" {
        &[
            "recipient_name",
            "bank_account_number",
            "bank_name",
            "account_holder_name",
        ]
    } else {
        &["recipient_name", "mobile_number"]
    }
}

/// How a transfer to this number (and bank account) ends in the sandbox.
fn decide(phone: Option<&str>, bank_account: Option<&str>) -> Outcome {
    if bank_account
        .and_then(numbers::bank_lookup)
        .is_some_and(|l| l.status == "NOT_FOUND")
    {
        return Outcome::Failed(FailureReason::AccountNotFound);
    }
    match phone.map(numbers::outcome) {
        Some(
            o @ (Outcome::SlowSuccess
            | Outcome::Failed(_)
            | Outcome::NeverSettles
            | Outcome::LostResponse
            | Outcome::UnavailableOnce
            | Outcome::WebhookTwice
            | Outcome::WebhookLate
            | Outcome::OutOfOrder),
        ) => o,
        _ => Outcome::Success,
    }
}

/// Where the money goes: a saved account, or the recipient given inline.
struct Recipient {
    account_id: Option<String>,
    payout_type: String,
    details: Option<Value>,
    phone: Option<String>,
    bank_account: Option<String>,
    name: Option<String>,
    email: Option<String>,
}

fn recipient(w: &World, req: &Req<'_>, code: &str) -> Result<Recipient, Reply> {
    if let Some(id) = req.str("payment_account_id") {
        let Some(i) = live_account(w, id) else {
            return Err(detail(404, "Payment account not found"));
        };
        let a = &w.merchant.accounts[i];
        if a.status != "active" {
            return Err(detail(400, &format!("Payment account is {}", a.status)));
        }
        if a.code != code {
            return Err(detail(
                400,
                &format!("Payment account is in {}, not {code}", a.code),
            ));
        }
        let bank = a.account_type == "bank";
        return Ok(Recipient {
            account_id: Some(a.id.clone()),
            payout_type: a.account_type.clone(),
            details: None,
            phone: a.field("phone_number").map(str::to_string),
            bank_account: a.field("account_number").filter(|_| bank).map(str::to_string),
            name: a.field("account_name").map(str::to_string),
            email: None,
        });
    }
    let Some(payout_type) = req.str("payout_type") else {
        return Err(world::merchant_validation(&[(
            vec![json!("body")],
            "Value error, give either payment_account_id, or payout_type with recipient_details".to_string(),
            "value_error",
        )]));
    };
    let Some(details) = req.json.get("recipient_details").filter(|d| d.is_object()) else {
        return Err(invalid_body(&["recipient_details"], "Field required", "missing"));
    };
    let text = |f: &str| {
        details
            .get(f)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    for f in required_recipient_fields(payout_type) {
        if text(f).is_none() {
            return Err(invalid_body(
                &["recipient_details", f],
                "Field required",
                "missing",
            ));
        }
    }
    let bank = payout_type == "bank";
    Ok(Recipient {
        account_id: None,
        payout_type: payout_type.to_string(),
        details: Some(details.clone()),
        phone: text(if bank { "recipient_phone" } else { "mobile_number" }).map(str::to_string),
        bank_account: text("bank_account_number").filter(|_| bank).map(str::to_string),
        name: text("recipient_name").map(str::to_string),
        email: text("recipient_email").map(str::to_string),
    })
}

/// `POST /withdrawals` and `POST /payouts`.
///
/// Checks, in order: the amount above zero (422); a saved account (404 unknown or deleted, 400
/// inactive or in another currency) or `payout_type` with the recipient fields it requires
/// (422); the currency's wallet exists and is active (400); the reserved "503 once" number (503,
/// nothing created); the available balance covers the amount (400 "Insufficient balance").
/// Then the transfer is created `pending`, the amount debited from the available balance (a
/// wallet movement of type `withdrawal` or `payout`), a payout also shows as a `pending`
/// customer transaction, and `withdrawal.created` / `payout.created` is raised.
///
/// A repeated `reference` creates another transfer (our choice: the spec says `reference` is not
/// known to be deduplicated on, and the SDK never resends these requests).
pub(super) fn initiate(w: &mut World, req: &Req<'_>, kind: Kind) -> Reply {
    let amount = match positive(req, "amount") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let code = body_code(req, "currency_code");
    let to = match recipient(w, req, &code) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Err(r) = usable_wallet(w, &code) {
        return r;
    }
    let outcome = decide(to.phone.as_deref(), to.bank_account.as_deref());
    if outcome == Outcome::UnavailableOnce
        && w.merchant
            .unavailable_seen
            .insert(numbers::last_nine(to.phone.as_deref().unwrap_or_default()))
    {
        return detail(503, "Service temporarily unavailable, please retry");
    }
    let Some((available, currency_id)) = w
        .merchant
        .wallet(&code)
        .map(|x| (x.available, x.currency_id.clone()))
    else {
        return detail(400, &format!("Unsupported currency: {code}"));
    };
    if amount > available {
        return detail(400, "Insufficient balance");
    }
    let id = w.uuid();
    let at = now_py(w);
    let t = Transfer {
        kind,
        id: id.clone(),
        account_id: to.account_id,
        payout_type: to.payout_type,
        details: to.details,
        amount,
        code: code.clone(),
        status: "pending".to_string(),
        reference: opt_str(req, "reference"),
        description: opt_str(req, "description"),
        failure_reason: None,
        completed_at: None,
        cancelled_at: None,
        created_at: at.clone(),
        updated_at: at.clone(),
        outcome,
    };
    book(
        w,
        Movement {
            code: &code,
            balance: Balance::Available,
            delta: -amount,
            kind: kind.name(),
            reference: t.reference.clone(),
            description: t.description.clone().unwrap_or_else(|| kind.title().to_string()),
            related: Some(id.clone()),
        },
    );
    if kind == Kind::Payout {
        w.merchant.txns.push(Txn {
            id: id.clone(),
            code: code.clone(),
            currency_id,
            kind: "payout",
            status: "pending".to_string(),
            settlement: None,
            amount,
            reference: t.reference.clone(),
            description: t.description.clone(),
            original_id: None,
            checkout_id: None,
            customer_name: to.name,
            customer_email: to.email,
            customer_phone: to.phone,
            settled_at: None,
            created_at: at.clone(),
            updated_at: Some(at),
            refunded: Decimal::ZERO,
            settle_due_ms: 0,
        });
    }
    let body = t.json(&w.merchant.merchant_id);
    w.merchant.transfers.push(t);
    let delays = w.config.delays;
    w.schedule(delays.progress, world::Job::Merchant(Job::Progress(id.clone())));
    match outcome {
        Outcome::NeverSettles => {}
        Outcome::SlowSuccess => w.schedule(delays.slow_settle, world::Job::Merchant(Job::Finish(id.clone()))),
        _ => w.schedule(delays.settle, world::Job::Merchant(Job::Finish(id.clone()))),
    }
    raise(w, &id, "created");
    let reply = world::merchant_ok(req, &format!("{} initiated successfully", kind.title()), body);
    if outcome == Outcome::LostResponse {
        reply.lost()
    } else {
        reply
    }
}

/// Raises `<kind>.<stage>` for transfer `id`, timed by its reserved number.
fn raise(w: &mut World, id: &str, stage: &str) {
    let Some(t) = w.merchant.transfers.iter().find(|t| t.id == id) else {
        return;
    };
    let delays = w.config.delays;
    let timing = match t.outcome {
        Outcome::WebhookTwice => Timing {
            twice: true,
            delay: Duration::ZERO,
        },
        Outcome::WebhookLate => Timing {
            twice: false,
            delay: Duration::from_secs(600),
        },
        Outcome::OutOfOrder if stage == "processing" => Timing {
            twice: false,
            delay: delays.settle.saturating_sub(delays.progress) + Duration::from_secs(1),
        },
        _ => Timing::default(),
    };
    let event = format!("{}.{stage}", t.kind.name());
    let data = t.json(&w.merchant.merchant_id);
    emit_with(w, &event, id, data, timing);
}

/// The customer transaction of payout `id` follows it.
fn follow(w: &mut World, id: &str, status: &str, at: &str) {
    if let Some(x) = w
        .merchant
        .txns
        .iter_mut()
        .find(|x| x.id == id && x.kind == "payout")
    {
        x.status = status.to_string();
        x.updated_at = Some(at.to_string());
    }
}

/// Gives back the debit of transfer `i` (a `reversal` wallet movement).
fn reverse(w: &mut World, i: usize) {
    let t = w.merchant.transfers[i].clone();
    book(
        w,
        Movement {
            code: &t.code,
            balance: Balance::Available,
            delta: t.amount,
            kind: "reversal",
            reference: t.reference.clone(),
            description: format!("Reversal of {} {}", t.kind.name(), t.id),
            related: Some(t.id.clone()),
        },
    );
}

/// Job: a `pending` transfer becomes `processing`.
pub(super) fn progress(w: &mut World, id: &str) {
    let at = now_py(w);
    let Some(t) = w
        .merchant
        .transfers
        .iter_mut()
        .find(|t| t.id == id && t.status == "pending")
    else {
        return;
    };
    t.status = "processing".to_string();
    t.updated_at = at;
    raise(w, id, "processing");
}

/// Job: a transfer still under way completes, or fails with its debit reversed.
pub(super) fn finish(w: &mut World, id: &str) {
    let at = now_py(w);
    let Some(i) = w
        .merchant
        .transfers
        .iter()
        .position(|t| t.id == id && matches!(t.status.as_str(), "pending" | "processing"))
    else {
        return;
    };
    let t = &mut w.merchant.transfers[i];
    t.updated_at = at.clone();
    match t.outcome {
        Outcome::Failed(reason) => {
            t.status = "failed".to_string();
            t.failure_reason = Some(reason.message().to_string());
            reverse(w, i);
            follow(w, id, "failed", &at);
            raise(w, id, "failed");
        }
        _ => {
            t.status = "completed".to_string();
            t.completed_at = Some(at.clone());
            follow(w, id, "completed", &at);
            raise(w, id, "completed");
        }
    }
}

/// `POST /withdrawals/{withdrawal_id}/cancel` and `POST /payouts/{payout_id}/cancel`: only while
/// `pending` (400 once processing or final); the debit is reversed and `<kind>.cancelled`
/// raised.
pub(super) fn cancel(w: &mut World, req: &Req<'_>, kind: Kind) -> Reply {
    let id = req.param(kind.param()).to_string();
    let Some(i) = w
        .merchant
        .transfers
        .iter()
        .position(|t| t.id == id && t.kind == kind)
    else {
        return detail(404, &format!("{} not found", kind.title()));
    };
    let at = now_py(w);
    let t = &mut w.merchant.transfers[i];
    if t.status != "pending" {
        return detail(
            400,
            &format!("{} cannot be cancelled: it is {}", kind.title(), t.status),
        );
    }
    t.status = "cancelled".to_string();
    t.cancelled_at = Some(at.clone());
    t.updated_at = at.clone();
    reverse(w, i);
    follow(w, &id, "cancelled", &at);
    raise(w, &id, "cancelled");
    let body = w.merchant.transfers[i].json(&w.merchant.merchant_id);
    world::merchant_ok(req, &format!("{} cancelled successfully", kind.title()), body)
}

/// `GET /withdrawals/{withdrawal_id}` and `GET /payouts/{payout_id}`.
pub(super) fn get(w: &mut World, req: &Req<'_>, kind: Kind) -> Reply {
    let id = req.param(kind.param());
    let m = &w.merchant;
    match m.transfers.iter().find(|t| t.id == id && t.kind == kind) {
        Some(t) => world::merchant_ok(
            req,
            &format!("{} retrieved successfully", kind.title()),
            t.json(&m.merchant_id),
        ),
        None => detail(404, &format!("{} not found", kind.title())),
    }
}

/// `GET /withdrawals` and `GET /payouts`: newest first, by `status` and `currency_code`
/// (case-insensitive), paged with `page`/`size`.
pub(super) fn history(w: &mut World, req: &Req<'_>, kind: Kind) -> Reply {
    let (page, size) = match page_size(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let status = match query_enum(
        req,
        "status",
        &["pending", "processing", "completed", "failed", "cancelled"],
    ) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let code = query_code(req);
    let m = &w.merchant;
    let items: Vec<Value> = m
        .transfers
        .iter()
        .rev()
        .filter(|t| t.kind == kind)
        .filter(|t| code.as_ref().is_none_or(|c| &t.code == c))
        .filter(|t| status.is_none_or(|s| t.status == s))
        .map(|t| t.json(&m.merchant_id))
        .collect();
    let message = match kind {
        Kind::Withdrawal => "Withdrawals retrieved successfully",
        Kind::Payout => "Payouts retrieved successfully",
    };
    paged(req, message, items, page, size)
}
