//! v3 money in the sandbox: mobile-money, card and bank-checkout deposits; mobile-money, till
//! (Lipa na M-Pesa), paybill and bank withdrawals; onramp, crypto sends and offramp; their
//! statuses on the sandbox clock, the balances they move and the webhooks they send.
//!
//! # Lifecycle
//!
//! A transaction is created PENDING, moves to IN_PROGRESS after `delays.progress`, and settles
//! after `delays.settle` (`delays.slow_settle` for the slow number) by the reserved number of its
//! customer ([`numbers::outcome`]): the customer's phone for a deposit (by `customer_key`) or a
//! payout (the payee's customer, or the till / paybill `phoneNumber`), `mobileMoney.phoneNumber`
//! of an onramp, `mobileMoneyReceiver.phoneNumber` of an offramp. Kotani's sandbox does not
//! simulate bank and card payments (they go to the providers' sandboxes): in ours they succeed
//! after the usual delay whatever Kotani's numbers say, and only the sandbox's own numbers
//! (`7099999xx`, on the payer's or payee's `phoneNumber`) apply to them.
//!
//! - Deposits credit the wallet's `deposit_balance` on the reconciliation pass, `delays.reconcile`
//!   after they succeed (Kotani: "within about a minute of settling, not instantly").
//! - Payouts and offramps debit the wallet's payout `balance` when they are created and refuse an
//!   overdraft (400 "Insufficient balance"); a payout or offramp that fails or is cancelled gets
//!   its debit back (Kotani's withdrawal and offramp flow pages).
//! - Fees, as the account half's rates and quotes compute them (Kotani's billing page, fee
//!   rounded first to the currency's unit): a collection (deposit, an onramp's fiat leg) pays
//!   `account::COLLECTION_FEE` (2.5 %) on top: `transaction_cost` is the fee,
//!   `transaction_amount` the amount plus the fee, and the wallet is credited the amount. A
//!   payout (withdrawal, an offramp's fiat leg) has `account::PAYOUT_FEE` (2 %) deducted, the
//!   customer paying it (Kotani's default fee payer): the wallet is debited the amount,
//!   `transactionCost` is the fee and `transactionAmount` what the recipient gets. Crypto sends
//!   pay no fee. Failed transactions report the zeroed amounts Kotani's webhook examples show: a
//!   failed (or expired, cancelled) deposit has `transaction_amount` 0 and `transaction_cost` 0;
//!   a failed payout has `transactionCost` 0 and `transactionAmount` = `amount`; a failed
//!   offramp has `fiatTransactionAmount` 0.
//! - Onramp: the fiat leg (`depositStatus`) runs as a deposit; when it succeeds the crypto leg
//!   (`onchainStatus`) goes IN_PROGRESS and succeeds `delays.settle` later with a transaction
//!   hash. A failed fiat leg leaves `onchainStatus` CANCELLED. Onramps move no wallet balance
//!   (the fiat is converted and sent on). The crypto amount is the account half's onramp quote
//!   for the fiat amount; an offramp's fiat amount its offramp quote. A `rateId` must name a
//!   quote of that kind and pair (400 otherwise); the sandbox's rates are fixed, so the quote's
//!   rate is the rate used.
//! - Offramp: the crypto arrives at the escrow address after `delays.progress` (status
//!   CRYPTO_RECEIVED, `onchainStatus` SUCCESSFUL), and the fiat payout settles after
//!   `delays.settle`. `cancel_offramp` works while it is still PENDING.
//! - Crypto sends (`create_crypto_onramp`) debit the integrator's crypto wallet of that token and
//!   succeed after `delays.settle`.
//! - Payers and payees named by their details rather than a `customer_key` (an onramp's payer, an
//!   offramp's receiver, a card or bank-checkout payer, a bank, till or paybill payee) become
//!   customers, found again by phone number (or account number and bank code), as the
//!   `customerKey` of Kotani's receipts implies.
//! - Status endpoints find a transaction by its reference or by its operator receipt
//!   (`telco_id`), as Kotani's status pages say; an unknown one is 404 "Reference Id not found".
//!   Bank checkouts and card deposits need an active fiat wallet in their currency (400
//!   otherwise): their requests name no wallet.
//!
//! # The sandbox's own reserved numbers
//!
//! LOST_RESPONSE commits the transaction and drops the connection; UNAVAILABLE_ONCE answers the
//! first attempt per reference (per body when there is no reference) 503 and creates nothing;
//! WEBHOOK_TWICE sends every delivery twice; WEBHOOK_LATE sends them 10 minutes late;
//! OUT_OF_ORDER delivers the IN_PROGRESS webhook after the final one; EXPIRED_THEN_SUCCESSFUL and
//! CANCELLED_THEN_SUCCESSFUL report that status (with its webhook) at settle time and correct it
//! to SUCCESSFUL `delays.slow_settle` later (with another webhook; balances follow the final
//! status: a deposit is credited after the correction, a payout keeps its debit); SUSPENDED
//! answers 403 with `data.bannedUntil` (24 hours ahead); DUPLICATE_PENDING holds a payout until
//! `resolve_duplicate_withdrawal` (`proceed` continues it, `cancel` cancels it and returns the
//! debit); REVERSED_LATER reverses a successful deposit `delays.reconcile + delays.slow_settle`
//! after it succeeded and takes the credit back (the deposit balance may go negative if it was
//! already moved); EXPIRES expires a deposit (or an onramp's fiat leg) after 30 minutes.
//! DUPLICATE_PENDING applies to payouts only; REVERSED_LATER to deposits only; EXPIRES to
//! deposits and onramps: elsewhere those numbers settle as a success.
//!
//! # Webhooks
//!
//! Every status change is delivered (creation is not a change, except a payout held as
//! DUPLICATE_PENDING); onramps and offramps are delivered at their terminal statuses only, as
//! Kotani's onramp and offramp flow pages say. Each delivery goes to the integrator's
//! `webhook_url` (when the integrator's `webhook_events` subscribe to the event: empty means all,
//! and the deprecated `transaction.status.updated` stands for all four transaction events) and
//! to the transaction's `callbackUrl` / `callback_url` (always; once when it is the same URL).
//! With a webhook secret it is the signed envelope (`X-Kotani-Signature`, `X-Kotani-Event`,
//! `X-Kotani-Integrator`); without, the bare transaction object.
//!
//! # A reference sent again (the sandbox's choice)
//!
//! Kotani's docs promise that a reference sent again does not create a second transaction, but
//! do not say what the repeat returns. **The sandbox's choice:** the repeat is answered as the
//! first request was (same HTTP status, the same transaction: same id and reference number; an
//! offramp or crypto send as it stands now), and creates nothing, moves no money and sends no
//! webhook. References are per product (deposits, withdrawals, onramps, crypto sends,
//! offramps): a deposit and a withdrawal may share one. A deposit, or a mobile-money / till /
//! paybill payout, sent without a reference gets one generated (a UUID).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::account::{self, COLLECTION_FEE, PAYOUT_FEE};
use super::{dec, num};
use crate::meta::Family;
use crate::sandbox::Sandbox;
use crate::sandbox::deliver::{DeliveryState, Outgoing};
use crate::sandbox::numbers::{self, FailureReason, Outcome};
use crate::sandbox::world::{self, Reply, Req, World, error, format_ms, v3_ok, v3_validation};

/// How long an EXPIRES deposit waits for the customer.
const EXPIRY: Duration = Duration::from_secs(30 * 60);
/// How late WEBHOOK_LATE deliveries are.
const LATE: Duration = Duration::from_secs(10 * 60);
/// How long a SUSPENDED customer is banned for.
const BAN: Duration = Duration::from_secs(24 * 3600);
/// The largest amount the sandbox takes (JavaScript numbers stay exact well beyond it).
const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// What a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// `create_mobile_money_deposit`.
    Deposit,
    /// `create_card_deposit`.
    Card,
    /// `create_bank_checkout_deposit`.
    Checkout,
    /// `create_mobile_money_withdrawal`.
    Payout,
    /// `create_lipa_na_mpesa_withdrawal`.
    Till,
    /// `create_paybill_withdrawal`.
    Paybill,
    /// `create_bank_withdrawal`.
    BankPayout,
    /// `create_onramp`.
    Onramp,
    /// `create_crypto_onramp`.
    CryptoSend,
    /// `create_offramp`.
    Offramp,
}

/// Where a reference is unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ns {
    Deposit,
    Withdrawal,
    Onramp,
    CryptoSend,
    Offramp,
}

impl Kind {
    fn ns(self) -> Ns {
        match self {
            Kind::Deposit | Kind::Card | Kind::Checkout => Ns::Deposit,
            Kind::Payout | Kind::Till | Kind::Paybill | Kind::BankPayout => Ns::Withdrawal,
            Kind::Onramp => Ns::Onramp,
            Kind::CryptoSend => Ns::CryptoSend,
            Kind::Offramp => Ns::Offramp,
        }
    }

    fn is_deposit(self) -> bool {
        self.ns() == Ns::Deposit
    }

    fn is_payout(self) -> bool {
        self.ns() == Ns::Withdrawal
    }
}

/// One transaction.
#[derive(Debug, Clone)]
pub(crate) struct Tx {
    pub id: String,
    pub kind: Kind,
    pub reference: String,
    pub number: i64,
    /// The status (an onramp's: its fiat leg's).
    pub status: String,
    /// Onramp / offramp: the on-chain leg's status.
    pub onchain: String,
    /// The fiat amount: asked for (deposit, payout, onramp), or converted (offramp).
    pub amount: Decimal,
    /// The fiat fee: on top of a collection, deducted from a payout.
    pub fee: Decimal,
    /// Onramp, offramp, crypto send: the crypto amount.
    pub crypto_amount: Decimal,
    pub currency: String,
    /// The fiat wallet (the crypto wallet of a crypto send).
    pub wallet_id: String,
    pub customer_key: String,
    pub callback_url: Option<String>,
    pub outcome: Outcome,
    pub created: i64,
    pub updated: i64,
    pub completed: Option<i64>,
    pub telco_id: Option<String>,
    /// Error code and message, while the status is not a success.
    pub failure: Option<(String, String)>,
    /// What the wallet was debited and has not had back.
    pub debit: Decimal,
    /// Whether the deposit balance was credited.
    pub credited: bool,
    /// The deposit balance before and after the credit.
    pub deposit_balances: Option<(Decimal, Decimal)>,
    pub tx_hash: Option<String>,
    /// Kind-specific fields echoed in its views (network, chain, token, addresses, rate...).
    pub info: Map<String, Value>,
}

impl Tx {
    fn info_str(&self, k: &str) -> Option<&str> {
        self.info.get(k).and_then(Value::as_str)
    }

    /// Failed, expired, cancelled or declined: the amounts read zero.
    fn zeroed(&self) -> bool {
        matches!(
            self.status.as_str(),
            "FAILED" | "EXPIRED" | "CANCELLED" | "DECLINED"
        )
    }

    fn success(&self) -> bool {
        self.status == "SUCCESSFUL"
    }
}

/// Every transaction of the sandbox.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// In creation order; a transaction's index never changes.
    pub txs: Vec<Tx>,
    refs: HashMap<(Ns, String), usize>,
    /// UNAVAILABLE_ONCE attempts already refused, by reference (or body).
    refused_once: HashSet<(Ns, String)>,
    numbers: i64,
}

impl Ledger {
    fn find(&self, ns: Ns, reference: &str) -> Option<usize> {
        self.refs.get(&(ns, reference.to_string())).copied()
    }
}

impl Ledger {
    /// The status of the transaction with this reference (an onramp's overall status); the
    /// first made with it when products share a reference.
    pub(crate) fn status_of(&self, reference: &str) -> Option<String> {
        self.txs
            .iter()
            .find(|t| t.reference == reference)
            .map(|t| match t.kind {
                Kind::Onramp => onramp_overall(t).to_string(),
                _ => t.status.clone(),
            })
    }
}

/// A scheduled transaction change (the index of the transaction in the ledger).
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// PENDING -> IN_PROGRESS (an offramp: the crypto arrives).
    Progress(usize),
    /// The outcome.
    Settle(usize),
    /// EXPIRED / CANCELLED corrected to SUCCESSFUL.
    Correct(usize),
    /// A successful deposit reversed.
    Reverse(usize),
    /// The reconciliation pass credits a successful deposit.
    Reconcile(usize),
    /// An onramp's crypto leg completes.
    Onchain(usize),
}

fn schedule(w: &mut World, after: Duration, job: Job) {
    w.schedule(after, world::Job::V3(super::Job::Money(job)));
}

/// Answers the money operations; `None` for others.
pub(crate) fn handle(w: &mut World, req: &Req<'_>) -> Option<Reply> {
    Some(match req.op.id {
        "create_mobile_money_deposit" => create(w, req, Kind::Deposit),
        "create_card_deposit" => create(w, req, Kind::Card),
        "create_bank_checkout_deposit" => create(w, req, Kind::Checkout),
        "create_mobile_money_withdrawal" => create(w, req, Kind::Payout),
        "create_lipa_na_mpesa_withdrawal" => create(w, req, Kind::Till),
        "create_paybill_withdrawal" => create(w, req, Kind::Paybill),
        "create_bank_withdrawal" => create(w, req, Kind::BankPayout),
        "create_onramp" => create(w, req, Kind::Onramp),
        "create_crypto_onramp" => create(w, req, Kind::CryptoSend),
        "create_offramp" => create(w, req, Kind::Offramp),
        "get_deposit_status" => status(w, req, "reference_id", |t| t.kind.is_deposit(), deposit_details),
        "get_card_deposit_status" => status(w, req, "reference_id", |t| t.kind == Kind::Card, card_details),
        "get_bank_checkout_status" => status(
            w,
            req,
            "reference_id",
            |t| t.kind == Kind::Checkout,
            checkout_status,
        ),
        "get_withdrawal_status" => status(w, req, "reference_id", |t| t.kind.is_payout(), withdrawal_details),
        "get_bank_withdrawal_status" => status(
            w,
            req,
            "referenceId",
            |t| t.kind == Kind::BankPayout,
            bank_withdrawal_status,
        ),
        "get_onramp_status" => status(w, req, "referenceId", |t| t.kind == Kind::Onramp, onramp_details),
        "get_crypto_onramp_status" => {
            status(w, req, "referenceId", |t| t.kind == Kind::CryptoSend, crypto_send)
        }
        "get_offramp_status" => status(w, req, "referenceId", |t| t.kind == Kind::Offramp, offramp),
        "list_deposit_transactions" => list_page(w, req, Ns::Deposit),
        "list_withdrawal_transactions" => list_page(w, req, Ns::Withdrawal),
        "list_offramp_transactions" => list_offramps(w, req),
        "resolve_duplicate_withdrawal" => resolve_duplicate(w, req),
        "cancel_offramp" => cancel_offramp(w, req),
        "transfer_deposit_balance" => transfer_deposit_balance(w, req),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Creation

/// What a create request resolved to, before anything is written.
struct Draft {
    kind: Kind,
    reference: Option<String>,
    amount: Decimal,
    fee: Decimal,
    crypto_amount: Decimal,
    currency: String,
    wallet_id: String,
    /// The customer, found or to be created on commit.
    customer: Payer,
    /// The phone the outcome was read from, if any.
    phone: Option<String>,
    callback_url: Option<String>,
    outcome: Outcome,
    /// What the payout balance (or crypto wallet) is debited at creation.
    debit: Decimal,
    info: Map<String, Value>,
}

/// Who pays or is paid.
enum Payer {
    Known(String),
    /// A customer made on commit from the payer details of the request.
    New(Value),
}

impl Payer {
    fn key_hint(&self, phone: Option<&str>) -> String {
        match self {
            Payer::Known(k) => k.clone(),
            Payer::New(_) => phone.unwrap_or("unknown").to_string(),
        }
    }
}

fn not_found(message: &str) -> Reply {
    error(Family::V3, 404, message)
}

fn bad_request(message: &str) -> Reply {
    error(Family::V3, 400, message)
}

fn create(w: &mut World, req: &Req<'_>, kind: Kind) -> Reply {
    let ns = kind.ns();
    let field = req.op.idempotency_field.unwrap_or("referenceId");
    let reference = req
        .str(field)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if let Some(r) = &reference
        && let Some(i) = w.v3.ledger.find(ns, r)
    {
        return receipt(w, req, i);
    }
    if reference.is_none()
        && matches!(
            kind,
            Kind::BankPayout | Kind::Onramp | Kind::CryptoSend | Kind::Offramp
        )
    {
        return v3_validation(&[format!("{field} should not be empty")]);
    }
    let draft = match draft(w, req, kind) {
        Ok(d) => d,
        Err(reply) => return reply,
    };
    if draft.outcome == Outcome::Suspended {
        let until = format_ms(w.now_ms() + BAN.as_millis() as i64);
        let who = draft.customer.key_hint(draft.phone.as_deref());
        return Reply::new(
            403,
            json!({
                "success": false,
                "message": format!("Customer {who} is temporarily suspended until {until}"),
                "error_code": 403,
                "data": {"bannedUntil": until},
            }),
        );
    }
    if draft.outcome == Outcome::UnavailableOnce {
        let key = reference
            .clone()
            .unwrap_or_else(|| format!("body:{}", String::from_utf8_lossy(req.raw)));
        if w.v3.ledger.refused_once.insert((ns, key)) {
            return error(Family::V3, 503, "Service Unavailable");
        }
    }
    if draft.debit > Decimal::ZERO {
        let available = if kind == Kind::CryptoSend {
            w.v3.crypto_wallets
                .iter()
                .find(|c| c.id == draft.wallet_id)
                .map(|c| c.balance)
        } else {
            w.v3.fiat_wallets
                .iter()
                .find(|f| f.id == draft.wallet_id)
                .map(|f| f.balance)
        };
        if available.unwrap_or_default() < draft.debit {
            return bad_request("Insufficient balance");
        }
    }
    let lost = draft.outcome == Outcome::LostResponse;
    let i = commit(w, draft, reference);
    let reply = receipt(w, req, i);
    if lost { reply.lost() } else { reply }
}

/// A positive amount within the sandbox's range, or the class-validator message.
fn amount(req: &Req<'_>, field: &str) -> Result<Decimal, Reply> {
    let Some(a) = req.json.get(field).and_then(dec) else {
        return Err(v3_validation(&[format!("{field} must be a positive number")]));
    };
    if a <= Decimal::ZERO {
        return Err(v3_validation(&[format!("{field} must be a positive number")]));
    }
    if a > Decimal::from(MAX_AMOUNT) {
        return Err(v3_validation(&[format!(
            "{field} must not be greater than {MAX_AMOUNT}"
        )]));
    }
    Ok(a.normalize())
}

/// The fiat wallet by id: active, in the request's currency if it names one.
fn wallet_by_id(w: &World, id: &str, currency: Option<&str>) -> Result<(String, String), Reply> {
    let Some(wallet) = w.v3.fiat_wallets.iter().find(|f| f.id == id) else {
        return Err(not_found("Wallet Not Found"));
    };
    if wallet.status != "active" {
        return Err(bad_request(&format!("Wallet {id} is {}", wallet.status)));
    }
    if let Some(c) = currency.map(str::trim).filter(|c| !c.is_empty())
        && !c.eq_ignore_ascii_case(&wallet.currency)
    {
        return Err(bad_request(&format!(
            "currency {c} does not match the wallet's currency {}",
            wallet.currency
        )));
    }
    Ok((wallet.id.clone(), wallet.currency.clone()))
}

/// The integrator's active fiat wallet in `currency` (bank, card and crypto products name a
/// currency, not a wallet).
fn wallet_by_currency(w: &World, currency: &str) -> Result<(String, String), Reply> {
    let currency = currency.trim().to_uppercase();
    w.v3.fiat_wallets
        .iter()
        .find(|f| f.currency.eq_ignore_ascii_case(&currency) && f.status == "active")
        .map(|f| (f.id.clone(), f.currency.clone()))
        .ok_or_else(|| {
            bad_request(&format!(
                "No active {currency} fiat wallet: create one with create_fiat_wallet first"
            ))
        })
}

/// The outcome of a payment Kotani's sandbox does not simulate (bank, card): Kotani's numbers
/// succeed; the sandbox's own still apply.
fn unsimulated(phone: Option<&str>) -> Outcome {
    match phone.map(numbers::outcome) {
        None | Some(Outcome::Success | Outcome::SlowSuccess | Outcome::Failed(_) | Outcome::NeverSettles) => {
            Outcome::Success
        }
        Some(o) => o,
    }
}

/// Keeps the product-specific numbers to their products.
fn effective(kind: Kind, outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::DuplicatePending if !kind.is_payout() => Outcome::Success,
        Outcome::ReversedLater if !kind.is_deposit() => Outcome::Success,
        Outcome::Expires if !(kind.is_deposit() || kind == Kind::Onramp) => Outcome::Success,
        o => o,
    }
}

fn opt_str(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn put(info: &mut Map<String, Value>, k: &str, v: Option<String>) {
    if let Some(v) = v {
        info.insert(k.to_string(), Value::String(v));
    }
}

fn draft(w: &World, req: &Req<'_>, kind: Kind) -> Result<Draft, Reply> {
    let j = &req.json;
    let mut d = Draft {
        kind,
        reference: None,
        amount: Decimal::ZERO,
        fee: Decimal::ZERO,
        crypto_amount: Decimal::ZERO,
        currency: String::new(),
        wallet_id: String::new(),
        customer: Payer::Known(String::new()),
        phone: None,
        callback_url: opt_str(j, "/callbackUrl"),
        outcome: Outcome::Success,
        debit: Decimal::ZERO,
        info: Map::new(),
    };
    match kind {
        Kind::Deposit | Kind::Payout => {
            d.amount = amount(req, "amount")?;
            let wallet_field = if kind == Kind::Deposit {
                "wallet_id"
            } else {
                "walletId"
            };
            (d.wallet_id, d.currency) =
                wallet_by_id(w, req.str(wallet_field).unwrap_or_default(), req.str("currency"))?;
            let key = req.str("customer_key").unwrap_or_default();
            let Some(c) = w.v3.customer(key) else {
                return Err(not_found("Customer not found."));
            };
            d.phone = c.phone().map(str::to_string);
            d.outcome = c.phone().map(numbers::outcome).unwrap_or(Outcome::Success);
            d.customer = Payer::Known(c.customer_key.clone());
            put(
                &mut d.info,
                "network",
                opt_str(j, "/network").or_else(|| opt_str(&c.json, "/network")),
            );
            put(
                &mut d.info,
                "customer_redirect_url",
                opt_str(j, "/customer_redirect_url"),
            );
            put(
                &mut d.info,
                "customer_id_number",
                opt_str(j, "/customer_id_number"),
            );
            if kind == Kind::Deposit {
                d.callback_url = opt_str(j, "/callback_url");
                d.fee = account::fee(&d.currency, d.amount, COLLECTION_FEE);
            } else {
                d.fee = account::fee(&d.currency, d.amount, PAYOUT_FEE);
                d.debit = d.amount;
            }
        }
        Kind::Till | Kind::Paybill => {
            d.amount = amount(req, "amount")?;
            (d.wallet_id, d.currency) = wallet_by_id(w, req.str("walletId").unwrap_or_default(), None)?;
            let (details, code_field, account_field) = if kind == Kind::Till {
                ("/lipaNaMpesaDetails", "businessShortcode", "accountReference")
            } else {
                ("/paybillDetails", "paybillNumber", "accountNumber")
            };
            let shortcode = opt_str(j, &format!("{details}/{code_field}"))
                .ok_or_else(|| v3_validation(&[format!("{code_field} should not be empty")]))?;
            d.phone = opt_str(j, &format!("{details}/phoneNumber"));
            d.outcome = d
                .phone
                .as_deref()
                .map(numbers::outcome)
                .unwrap_or(Outcome::Success);
            put(&mut d.info, "network", Some("MPESA".into()));
            put(&mut d.info, "shortcode", Some(shortcode.clone()));
            put(
                &mut d.info,
                "account_reference",
                opt_str(j, &format!("{details}/{account_field}")),
            );
            let country = country_of(&d.currency);
            d.customer = match &d.phone {
                Some(p) => payer_by_phone(w, p, None, country),
                None => payer_by_account(w, &shortcode, None, None, country),
            };
            d.fee = account::fee(&d.currency, d.amount, PAYOUT_FEE);
            d.debit = d.amount;
        }
        Kind::BankPayout => {
            d.amount = amount(req, "amount")?;
            (d.wallet_id, d.currency) = wallet_by_currency(w, req.str("currency").unwrap_or_default())?;
            d.phone = opt_str(j, "/bankDetails/phoneNumber");
            let account_number = opt_str(j, "/bankDetails/accountNumber")
                .ok_or_else(|| v3_validation(&["accountNumber should not be empty".into()]))?;
            let country =
                opt_str(j, "/bankDetails/country").unwrap_or_else(|| country_of(&d.currency).into());
            if let Some(b) = j.get("bankDetails") {
                d.info.insert("bankDetails".into(), b.clone());
            }
            d.customer = payer_by_account(
                w,
                &account_number,
                opt_str(j, "/bankDetails/bankCode").as_deref(),
                opt_str(j, "/bankDetails/name").as_deref(),
                &country,
            );
            d.outcome = unsimulated(d.phone.as_deref());
            d.fee = account::fee(&d.currency, d.amount, PAYOUT_FEE);
            d.debit = d.amount;
        }
        Kind::Card | Kind::Checkout => {
            d.amount = amount(req, "amount")?;
            (d.wallet_id, d.currency) = wallet_by_currency(w, req.str("currency").unwrap_or_default())?;
            d.phone = opt_str(j, "/phoneNumber");
            let name = opt_str(j, "/fullName");
            let country = opt_str(j, "/country").unwrap_or_else(|| country_of(&d.currency).into());
            put(&mut d.info, "fullName", name.clone());
            put(&mut d.info, "phoneNumber", d.phone.clone());
            put(&mut d.info, "country", Some(country.clone()));
            put(
                &mut d.info,
                "customerRedirectUrl",
                opt_str(j, "/customerRedirectUrl"),
            );
            if kind == Kind::Card {
                // Never the card number or CVV: only the brand is kept.
                put(&mut d.info, "payment_brand", opt_str(j, "/card/paymentBrand"));
            } else {
                put(&mut d.info, "paymentMethod", opt_str(j, "/paymentMethod"));
            }
            d.customer = match &d.phone {
                Some(p) => payer_by_phone(w, p, name.as_deref(), &country),
                None => Payer::New(customer_json(None, None, None, name.as_deref(), &country)),
            };
            d.outcome = unsimulated(d.phone.as_deref());
            d.fee = account::fee(&d.currency, d.amount, COLLECTION_FEE);
        }
        Kind::Onramp => {
            let fiat = amount(req, "fiatAmount")?;
            let currency = req.str("currency").unwrap_or_default().trim().to_uppercase();
            let token = req.str("token").unwrap_or_default().to_string();
            locked_rate(w, req, "onramp", &currency, &token)?;
            let Some(quote) = account::onramp_quote(&currency, &token, fiat) else {
                return Err(bad_request("Chain or Token not supported"));
            };
            if quote.transaction_amount <= Decimal::ZERO {
                return Err(v3_validation(
                    &["fiatAmount is too small to cover the fee".into()],
                ));
            }
            if let Some(id) = req.str("fiatWalletId") {
                d.wallet_id = wallet_by_id(w, id, Some(&currency))?.0;
            } else if let Ok((id, _)) = wallet_by_currency(w, &currency) {
                d.wallet_id = id;
            }
            let mm = j.get("mobileMoney").filter(|v| v.is_object());
            let bank = j.get("bankCheckout").filter(|v| v.is_object());
            let (payer, name_field, method) = match (mm, bank) {
                (Some(m), None) => (m, "/accountName", "mobileMoney"),
                (None, Some(b)) => (b, "/fullName", "bankCheckout"),
                _ => {
                    return Err(v3_validation(&[
                        "exactly one of mobileMoney or bankCheckout must be given".into(),
                    ]));
                }
            };
            let p = opt_str(payer, "/phoneNumber")
                .ok_or_else(|| v3_validation(&["phoneNumber should not be empty".into()]))?;
            d.outcome = if method == "mobileMoney" {
                numbers::outcome(&p)
            } else {
                unsimulated(Some(&p))
            };
            let name = opt_str(payer, name_field);
            d.customer = payer_by_phone(w, &p, name.as_deref(), country_of(&currency));
            d.phone = Some(p);
            d.amount = fiat;
            d.fee = quote.fee;
            d.crypto_amount = quote.crypto_amount;
            d.currency = currency.clone();
            put(&mut d.info, "method", Some(method.into()));
            put(&mut d.info, "chain", req.str("chain").map(str::to_string));
            put(&mut d.info, "token", Some(token.clone()));
            put(&mut d.info, "receiverAddress", opt_str(j, "/receiverAddress"));
            put(&mut d.info, "rateId", opt_str(j, "/rateId"));
            d.info.insert(
                "rate".into(),
                json!({
                    "from": currency,
                    "to": token,
                    "value": quote.rate.to_string(),
                    "cryptoAmount": num(quote.crypto_amount),
                }),
            );
        }
        Kind::CryptoSend => {
            d.crypto_amount = amount(req, "cryptoAmount")?;
            let token = req.str("token").unwrap_or_default().to_string();
            let chain = req.str("chain").unwrap_or_default().to_string();
            let wallet =
                w.v3.crypto_wallets
                    .iter()
                    .find(|c| c.coin == token && c.chain == chain)
                    .or_else(|| w.v3.crypto_wallets.iter().find(|c| c.coin == token))
                    .ok_or_else(|| bad_request(&format!("No {token} crypto wallet to send from")))?;
            d.wallet_id = wallet.id.clone();
            d.debit = d.crypto_amount;
            put(&mut d.info, "chain", Some(chain));
            put(&mut d.info, "token", Some(token));
            put(&mut d.info, "receiverAddress", opt_str(j, "/receiverAddress"));
        }
        Kind::Offramp => {
            let crypto = amount(req, "cryptoAmount")?;
            let currency = req.str("currency").unwrap_or_default().trim().to_uppercase();
            let token = req.str("token").unwrap_or_default().to_string();
            locked_rate(w, req, "offramp", &token, &currency)?;
            let Some(quote) = account::offramp_quote(&token, &currency, crypto) else {
                return Err(bad_request("Chain or Token not supported"));
            };
            if quote.transaction_amount <= Decimal::ZERO {
                return Err(v3_validation(&[
                    "cryptoAmount is too small to cover the fee".into()
                ]));
            }
            (d.wallet_id, d.currency) = wallet_by_currency(w, &currency)?;
            let receivers: Vec<&str> = [
                "mobileMoneyReceiver",
                "bankReceiver",
                "lipaNaMpesaReceiver",
                "paybillReceiver",
            ]
            .into_iter()
            .filter(|k| j.get(*k).is_some_and(Value::is_object))
            .collect();
            let [receiver] = receivers.as_slice() else {
                return Err(v3_validation(&[
                    "exactly one of mobileMoneyReceiver, bankReceiver, lipaNaMpesaReceiver or paybillReceiver must be given".into(),
                ]));
            };
            let receiver = *receiver;
            let r = &j[receiver];
            let country = country_of(&d.currency);
            match receiver {
                "mobileMoneyReceiver" => {
                    let p = opt_str(r, "/phoneNumber")
                        .ok_or_else(|| v3_validation(&["phoneNumber should not be empty".into()]))?;
                    let name = opt_str(r, "/accountName");
                    d.customer = payer_by_phone(w, &p, name.as_deref(), country);
                    d.outcome = numbers::outcome(&p);
                    d.phone = Some(p);
                }
                "bankReceiver" => {
                    let account_number = opt_str(r, "/accountNumber")
                        .ok_or_else(|| v3_validation(&["accountNumber should not be empty".into()]))?;
                    d.customer = payer_by_account(
                        w,
                        &account_number,
                        opt_str(r, "/bankCode").as_deref(),
                        opt_str(r, "/name").as_deref(),
                        country,
                    );
                    d.phone = opt_str(r, "/phoneNumber");
                    d.outcome = unsimulated(d.phone.as_deref());
                }
                _ => {
                    let code = opt_str(r, "/businessShortcode")
                        .or_else(|| opt_str(r, "/paybillNumber"))
                        .unwrap_or_default();
                    d.customer = payer_by_account(w, &code, None, None, country);
                }
            }
            let mut named = Map::new();
            named.insert(receiver.to_string(), r.clone());
            d.info.insert("receiver".into(), Value::Object(named));
            d.amount = quote.fiat_amount;
            d.fee = quote.fee;
            d.crypto_amount = crypto;
            d.debit = quote.wallet_debit.unwrap_or(quote.fiat_amount);
            put(&mut d.info, "chain", req.str("chain").map(str::to_string));
            put(&mut d.info, "token", Some(token.clone()));
            put(
                &mut d.info,
                "senderAddress",
                Some(opt_str(j, "/senderAddress").unwrap_or_default()),
            );
            d.info.insert(
                "rate".into(),
                json!({
                    "from": token,
                    "to": d.currency,
                    "value": quote.rate.to_string(),
                    "fiatAmount": num(quote.fiat_amount),
                }),
            );
        }
    }
    d.outcome = effective(kind, d.outcome);
    Ok(d)
}

/// A `rateId`, when given, must be a quote of this kind for this pair (the sandbox's rates are
/// fixed, so a quote's rate is the rate the transaction uses).
fn locked_rate(w: &World, req: &Req<'_>, kind: &str, from: &str, to: &str) -> Result<(), Reply> {
    let Some(id) = req.str("rateId").map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    match account::quote(w, id) {
        Some(q) if q.kind == kind && q.from.eq_ignore_ascii_case(from) && q.to.eq_ignore_ascii_case(to) => {
            Ok(())
        }
        Some(_) => Err(bad_request(&format!("rateId {id} is a quote for another pair"))),
        None => Err(bad_request(&format!("rateId {id} not found"))),
    }
}

/// Writes the transaction: customer, debit, record, first jobs and (a held payout's) webhook.
fn commit(w: &mut World, mut d: Draft, reference: Option<String>) -> usize {
    d.reference = reference;
    let customer_key = match d.customer {
        Payer::Known(k) => k,
        Payer::New(json) => new_customer(w, json),
    };
    if d.debit > Decimal::ZERO {
        if d.kind == Kind::CryptoSend {
            if let Some(c) = w.v3.crypto_wallets.iter_mut().find(|c| c.id == d.wallet_id) {
                c.balance -= d.debit;
            }
        } else if let Some(f) = w.v3.wallet_mut(&d.wallet_id) {
            f.balance -= d.debit;
        }
    }
    let id = w.hex(24);
    let reference = d.reference.unwrap_or_else(|| w.uuid());
    w.v3.ledger.numbers += 1;
    let number = 1_000_000_000 + w.v3.ledger.numbers;
    if d.kind == Kind::Offramp {
        let escrow = format!("0x{}", w.hex(40));
        d.info.insert("escrowAddress".into(), Value::String(escrow));
    }
    if d.kind == Kind::Checkout {
        let details = checkout_destination(&d.info, d.amount, &reference, number);
        d.info.extend(details);
    }
    let now = w.now_ms();
    let tx = Tx {
        id,
        kind: d.kind,
        reference: reference.clone(),
        number,
        status: "PENDING".into(),
        onchain: "PENDING".into(),
        amount: d.amount,
        fee: d.fee,
        crypto_amount: d.crypto_amount,
        currency: d.currency,
        wallet_id: d.wallet_id,
        customer_key,
        callback_url: d.callback_url,
        outcome: d.outcome,
        created: now,
        updated: now,
        completed: None,
        telco_id: None,
        failure: None,
        debit: d.debit,
        credited: false,
        deposit_balances: None,
        tx_hash: None,
        info: d.info,
    };
    let ledger = &mut w.v3.ledger;
    let i = ledger.txs.len();
    ledger.txs.push(tx);
    ledger.refs.insert((d.kind.ns(), reference), i);
    if d.outcome == Outcome::DuplicatePending {
        set_status(w, i, "DUPLICATE_PENDING");
        notify(w, i, Duration::ZERO);
    } else {
        start(w, i);
    }
    i
}

/// Schedules a PENDING transaction's progress and outcome from now.
fn start(w: &mut World, i: usize) {
    let delays = w.config.delays;
    let tx = &w.v3.ledger.txs[i];
    let settle = match tx.outcome {
        Outcome::SlowSuccess => Some(delays.slow_settle),
        Outcome::Expires => Some(EXPIRY),
        Outcome::NeverSettles => None,
        _ => Some(delays.settle),
    };
    schedule(w, delays.progress, Job::Progress(i));
    if let Some(after) = settle {
        schedule(w, after.max(delays.progress), Job::Settle(i));
    }
}

/// Where a bank checkout's customer pays: a hosted page (card, Capitec Pay) or PesaLink account
/// details (PAYBYBANK).
fn checkout_destination(
    info: &Map<String, Value>,
    amount: Decimal,
    reference: &str,
    number: i64,
) -> Map<String, Value> {
    let mut m = Map::new();
    if info.get("paymentMethod").and_then(Value::as_str) == Some("PAYBYBANK") {
        m.insert(
            "bankPaymentDetails".into(),
            json!({
                "bankName": "Sandbox Bank",
                "accountName": "Kotani Pay Sandbox Collections",
                "accountNumber": format!("{:010}", number % 10_000_000_000),
                "amount": num(amount),
                "reference": format!("KP{number}"),
            }),
        );
    } else {
        m.insert(
            "redirectUrl".into(),
            Value::String(format!("https://checkout.sandbox.kotanipay.test/pay/{reference}")),
        );
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Customers made by the money operations (onramp payers, offramp and bank payees)

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn payer_by_phone(w: &World, phone: &str, name: Option<&str>, country: &str) -> Payer {
    let want = digits(phone);
    match w
        .v3
        .customers
        .iter()
        .find(|c| c.phone().is_some_and(|p| !want.is_empty() && digits(p) == want))
    {
        Some(c) => Payer::Known(c.customer_key.clone()),
        None => Payer::New(customer_json(Some(phone), None, None, name, country)),
    }
}

fn payer_by_account(
    w: &World,
    account: &str,
    bank_code: Option<&str>,
    name: Option<&str>,
    country: &str,
) -> Payer {
    let found = w.v3.customers.iter().find(|c| {
        c.json.get("account_number").and_then(Value::as_str) == Some(account)
            && (bank_code.is_none() || c.json.get("bank_code").and_then(Value::as_str) == bank_code)
    });
    match found {
        Some(c) => Payer::Known(c.customer_key.clone()),
        None => Payer::New(customer_json(None, Some(account), bank_code, name, country)),
    }
}

fn customer_json(
    phone: Option<&str>,
    account: Option<&str>,
    bank_code: Option<&str>,
    name: Option<&str>,
    country: &str,
) -> Value {
    let mut v = json!({"country_code": country});
    // Stored as the account half stores phone numbers: `+` and the digits.
    let phone = phone.map(|p| {
        let d = digits(p);
        if (10..=15).contains(&d.len()) {
            format!("+{d}")
        } else {
            p.to_string()
        }
    });
    let phone = phone.as_deref();
    for (k, x) in [
        ("phone_number", phone),
        ("account_number", account),
        ("bank_code", bank_code),
        ("account_name", name),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    v
}

fn new_customer(w: &mut World, mut json: Value) -> String {
    let id = w.hex(24);
    let key = w.uuid();
    json["id"] = json!(id);
    json["customer_key"] = json!(key);
    json["integrator"] = json!(w.v3.integrator.id);
    w.v3.customers.push(super::Customer {
        customer_key: key.clone(),
        json,
    });
    key
}

// ---------------------------------------------------------------------------------------------
// Currencies

/// The ISO-2 country of a currency (for the customers the money operations make).
fn country_of(currency: &str) -> &'static str {
    match currency {
        "UGX" => "UG",
        "GHS" => "GH",
        "TZS" => "TZ",
        "NGN" => "NG",
        "ZAR" => "ZA",
        "RWF" => "RW",
        "ZMW" => "ZM",
        "XOF" => "SN",
        "XAF" => "CM",
        "CDF" => "CD",
        "ETB" => "ET",
        "EGP" => "EG",
        "MWK" => "MW",
        "SLE" => "SL",
        _ => "KE",
    }
}

// ---------------------------------------------------------------------------------------------
// Receipts and views

/// What a create operation answers: for the first request and for a repeat alike.
fn receipt(w: &World, req: &Req<'_>, i: usize) -> Reply {
    let tx = &w.v3.ledger.txs[i];
    match req.op.id {
        "create_mobile_money_deposit" | "create_card_deposit" => {
            let mut d = json!({
                "id": tx.id,
                "message": "Deposit request sent successfully",
                "reference_id": tx.reference,
                "reference_number": tx.number,
                "customer_key": tx.customer_key,
            });
            if let Some(u) = tx.info_str("redirectUrl") {
                d["redirect_url"] = json!(u);
            }
            let msg = if req.op.id == "create_card_deposit" {
                "Card deposit has been successfully created."
            } else {
                "Deposit has been successfully created."
            };
            v3_ok(req, msg, d)
        }
        "create_bank_checkout_deposit" => {
            let mut d = json!({
                "id": tx.id,
                "referenceId": tx.reference,
                "referenceNumber": tx.number,
                "message": "Deposit request sent successfully",
                "customerKey": tx.customer_key,
                "currency": tx.currency,
                "amount": num(tx.amount),
            });
            for k in [
                "redirectUrl",
                "bankPaymentDetails",
                "fullName",
                "phoneNumber",
                "paymentMethod",
                "country",
                "customerRedirectUrl",
            ] {
                if let Some(v) = tx.info.get(k) {
                    d[k] = v.clone();
                }
            }
            if let Some(u) = &tx.callback_url {
                d["callbackUrl"] = json!(u);
            }
            v3_ok(req, "Checkout Created successfully created.", d)
        }
        "create_onramp" => v3_ok(
            req,
            "Request has been successfully created",
            json!({
                "id": tx.id,
                "referenceId": tx.reference,
                "referenceNumber": tx.number,
                "message": "Deposit request sent successfully",
                "customerKey": tx.customer_key,
            }),
        ),
        "create_crypto_onramp" => v3_ok(req, "Request has been successfully created", crypto_send(w, tx)),
        "create_offramp" => v3_ok(req, "Offramp has been successfully created", offramp(w, tx)),
        // The four payouts.
        _ => v3_ok(
            req,
            "Withdrawal has been successfully created.",
            json!({
                "id": tx.id,
                "message": "Withdrawal request sent successfully",
                "referenceId": tx.reference,
                "referenceNumber": tx.number,
            }),
        ),
    }
}

fn status(
    w: &World,
    req: &Req<'_>,
    param: &str,
    accepts: fn(&Tx) -> bool,
    view: fn(&World, &Tx) -> Value,
) -> Reply {
    let reference = req.param(param);
    let found =
        w.v3.ledger
            .txs
            .iter()
            .filter(|t| accepts(t))
            .find(|t| t.reference == reference || t.telco_id.as_deref() == Some(reference));
    match found {
        Some(t) => v3_ok(req, "Transaction status retrieved.", view(w, t)),
        None => not_found("Reference Id not found"),
    }
}

fn ts(ms: i64) -> Value {
    Value::String(format_ms(ms))
}

fn opt_ts(ms: Option<i64>) -> Value {
    ms.map(ts).unwrap_or(Value::Null)
}

/// The transaction's error fields, when it did not succeed.
fn error_code(tx: &Tx) -> Option<&str> {
    tx.failure.as_ref().map(|(c, _)| c.as_str())
}

fn error_message(tx: &Tx) -> Option<&str> {
    tx.failure.as_ref().map(|(_, m)| m.as_str())
}

/// A collection's `transaction_amount` (the amount with the fee on top) and
/// `transaction_cost` (the fee): both zero when it failed.
fn deposit_amounts(tx: &Tx) -> (Value, Value) {
    if tx.zeroed() {
        (json!(0), json!(0))
    } else {
        (num(tx.amount + tx.fee), num(tx.fee))
    }
}

/// A payout's `transactionAmount` (what the recipient gets: the amount less the fee) and
/// `transactionCost` (the fee); a failed payout reports the amount and a zero fee.
fn payout_amounts(tx: &Tx) -> (Value, Value) {
    if tx.zeroed() {
        (num(tx.amount), json!(0))
    } else {
        (num(tx.amount - tx.fee), num(tx.fee))
    }
}

/// An offramp's `fiatTransactionAmount`: what the recipient gets, zero when it failed.
fn offramp_paid(tx: &Tx) -> Value {
    if tx.zeroed() {
        json!(0)
    } else {
        num(tx.amount - tx.fee)
    }
}

/// The callback-delivery state of the transaction's callback URL (0 completed, 1 pending,
/// -1 failed and retrying, -2 given up).
fn callback_state(w: &World, tx: &Tx) -> Option<i64> {
    let url = tx.callback_url.as_deref()?;
    let last = w
        .deliveries
        .iter()
        .rev()
        .find(|d| d.url == url && d.reference.as_deref() == Some(tx.reference.as_str()));
    Some(match last.map(|d| d.state) {
        Some(DeliveryState::Delivered) => 0,
        Some(DeliveryState::Retrying) => -1,
        Some(DeliveryState::GaveUp) => -2,
        _ => 1,
    })
}

/// `DepositDetails` (snake_case).
fn deposit_details(w: &World, tx: &Tx) -> Value {
    let (amount, cost) = deposit_amounts(tx);
    let mut d = json!({
        "id": tx.id,
        "status": tx.status,
        "amount": num(tx.amount),
        "wallet_id": tx.wallet_id,
        "reference_id": tx.reference,
        "reference_number": tx.number,
        "currency": tx.currency,
        "created_at": ts(tx.created),
        "updatedAt": ts(tx.updated),
        "transaction_cost": cost,
        "transaction_amount": amount,
        "customer_key": tx.customer_key,
        "confirmation_id": tx.telco_id,
        "telco_id": tx.telco_id,
        "environment": "sandbox",
        "provider": match tx.kind { Kind::Card => "card", Kind::Checkout => "bank", _ => "mobile_money" },
        "error_message": error_message(tx),
        "error_code": error_code(tx),
        "error_description": error_message(tx),
    });
    if let Some(u) = &tx.callback_url {
        d["callback_url"] = json!(u);
    }
    if let Some(s) = callback_state(w, tx) {
        d["callbackUrlStatus"] = json!(s);
    }
    for k in [
        "network",
        "customer_redirect_url",
        "customer_id_number",
        "payment_brand",
    ] {
        if let Some(v) = tx.info_str(k) {
            d[k] = json!(v);
        }
    }
    if let Some((before, after)) = tx.deposit_balances {
        d["initialDepositBalance"] = num(before);
        d["finalDepositBalance"] = num(after);
    }
    d
}

/// `DepositTransaction` (list item).
fn deposit_item(w: &World, tx: &Tx) -> Value {
    let (amount, cost) = deposit_amounts(tx);
    let mut d = json!({
        "id": tx.id,
        "reference_id": tx.reference,
        "reference_number": tx.number,
        "status": tx.status,
        "amount": num(tx.amount),
        "transaction_amount": amount,
        "transaction_cost": cost,
        "currency": tx.currency,
        "country": wallet_country(w, tx),
        "customer_key": tx.customer_key,
        "telco_id": tx.telco_id,
        "completed_at": opt_ts(tx.completed),
        "error_message": error_message(tx),
        "created_at": ts(tx.created),
    });
    for k in ["network", "payment_brand"] {
        if let Some(v) = tx.info_str(k) {
            d[k] = json!(v);
        }
    }
    d
}

fn wallet_country(w: &World, tx: &Tx) -> Value {
    w.v3.fiat_wallets
        .iter()
        .find(|f| f.id == tx.wallet_id)
        .and_then(|f| f.country.clone())
        .map(Value::String)
        .unwrap_or_else(|| json!(country_of(&tx.currency)))
}

/// `CardDepositDetails` (camelCase).
fn card_details(_w: &World, tx: &Tx) -> Value {
    let (amount, cost) = deposit_amounts(tx);
    let mut d = json!({
        "id": tx.id,
        "status": tx.status,
        "amount": num(tx.amount),
        "walletId": tx.wallet_id,
        "referenceId": tx.reference,
        "referenceNumber": tx.number,
        "createdAt": ts(tx.created),
        "transactionCost": cost,
        "transactionAmount": amount,
        "customerKey": tx.customer_key,
    });
    if let Some(u) = &tx.callback_url {
        d["callbackUrl"] = json!(u);
    }
    if let Some((before, after)) = tx.deposit_balances {
        d["initialDepositBalance"] = num(before);
        d["finalDepositBalance"] = num(after);
    }
    d
}

/// `BankCheckoutStatus`.
fn checkout_status(_w: &World, tx: &Tx) -> Value {
    let mut d = json!({
        "id": tx.id,
        "referenceId": tx.reference,
        "referenceNumber": tx.number,
        "message": "Deposit request sent successfully",
        "customerKey": tx.customer_key,
        "status": tx.status,
    });
    for k in ["redirectUrl", "bankPaymentDetails"] {
        if let Some(v) = tx.info.get(k) {
            d[k] = v.clone();
        }
    }
    d
}

/// `WithdrawalDetails` (camelCase with stragglers).
fn withdrawal_details(_w: &World, tx: &Tx) -> Value {
    let (paid, cost) = payout_amounts(tx);
    let mut d = json!({
        "id": tx.id,
        "status": tx.status,
        "amount": num(tx.amount),
        "walletId": tx.wallet_id,
        "referenceId": tx.reference,
        "referenceNumber": tx.number,
        "currency": tx.currency,
        "created_at": ts(tx.created),
        "transactionCost": cost,
        "transactionAmount": paid,
        "customerKey": tx.customer_key,
        "confirmationId": tx.telco_id,
        "integratorFeeAmount": 0,
        "integratorFee": 0,
        "integratorCommissionType": "NONE",
        "errorMessage": error_message(tx).unwrap_or(""),
        "transactionError": error_code(tx),
        "telcoId": tx.telco_id,
        "completed_at": opt_ts(tx.completed),
    });
    if let Some(u) = &tx.callback_url {
        d["callbackUrl"] = json!(u);
    }
    if let Some(n) = tx.info_str("network") {
        d["network"] = json!(n);
    }
    d
}

/// The v2 bank payout status (free-form): the payout's fields and its bank details.
fn bank_withdrawal_status(w: &World, tx: &Tx) -> Value {
    let mut d = withdrawal_details(w, tx);
    if let Some(b) = tx.info.get("bankDetails") {
        d["bankDetails"] = b.clone();
    }
    d
}

/// `WithdrawalTransaction` (list item, snake_case).
fn withdrawal_item(w: &World, tx: &Tx) -> Value {
    let (paid, cost) = payout_amounts(tx);
    let mut d = json!({
        "id": tx.id,
        "reference_id": tx.reference,
        "reference_number": tx.number,
        "status": tx.status,
        "amount": num(tx.amount),
        "transaction_amount": paid,
        "transaction_cost": cost,
        "currency": tx.currency,
        "country": wallet_country(w, tx),
        "customer_key": tx.customer_key,
        "telco_id": tx.telco_id,
        "integrator_fee_amount": 0,
        "completed_at": opt_ts(tx.completed),
        "transaction_error": error_message(tx),
        "created_at": ts(tx.created),
    });
    if let Some(n) = tx.info_str("network") {
        d["network"] = json!(n);
    }
    d
}

/// An onramp's overall status, from its two legs.
fn onramp_overall(tx: &Tx) -> &str {
    match (tx.status.as_str(), tx.onchain.as_str()) {
        ("SUCCESSFUL", "SUCCESSFUL") => "SUCCESSFUL",
        ("PENDING", _) => "PENDING",
        ("IN_PROGRESS" | "SUCCESSFUL", "FAILED") => "FAILED",
        ("IN_PROGRESS" | "SUCCESSFUL", _) => "PROCESSING",
        (other, _) => other,
    }
}

fn onramp_error(tx: &Tx) -> Value {
    match &tx.failure {
        Some((code, message)) => json!({"message": message, "code": code}),
        None => Value::Null,
    }
}

/// `OnrampDetails`.
fn onramp_details(_w: &World, tx: &Tx) -> Value {
    json!({
        "referenceId": tx.reference,
        "depositStatus": tx.status,
        "onchainStatus": tx.onchain,
        "transactionHash": tx.tx_hash,
        "rate": tx.info.get("rate").cloned().unwrap_or_else(|| json!({})),
        "fiatAmount": num(tx.amount),
        "fiatFee": num(tx.fee),
        "fiatAmountToSend": num(tx.amount - tx.fee),
        "cryptoAmount": num(tx.crypto_amount),
        "error": onramp_error(tx),
    })
}

/// `CryptoOnramp`.
fn crypto_send(_w: &World, tx: &Tx) -> Value {
    json!({
        "referenceId": tx.reference,
        "status": tx.status,
        "cryptoAmount": num(tx.crypto_amount),
        "cryptoAmountReceived": num(tx.crypto_amount),
        "feeInCrypto": 0,
        "feeType": "NONE",
        "cryptoWallet": tx.wallet_id,
        "chain": tx.info_str("chain").unwrap_or_default(),
        "token": tx.info_str("token").unwrap_or_default(),
        "amountToSend": num(tx.crypto_amount),
        "transactionHash": tx.tx_hash,
    })
}

/// `Offramp` (the API's view and the webhook's data).
fn offramp(_w: &World, tx: &Tx) -> Value {
    let received = tx.onchain == "SUCCESSFUL";
    json!({
        "referenceId": tx.reference,
        "status": tx.status,
        "onchainStatus": tx.onchain,
        "fiatAmount": num(tx.amount),
        "fiatTransactionAmount": offramp_paid(tx),
        "cryptoAmount": num(tx.crypto_amount),
        "fiatCurrency": tx.currency,
        "customerKey": tx.customer_key,
        "fiatWalletId": tx.wallet_id,
        "senderAddress": tx.info_str("senderAddress").unwrap_or_default(),
        "escrowAddress": tx.info_str("escrowAddress").unwrap_or_default(),
        "transactionHash": tx.tx_hash,
        "transactionHashAmount": if received { num(tx.crypto_amount) } else { Value::Null },
        "rate": tx.info.get("rate").cloned().unwrap_or_else(|| json!({})),
        "usingIntegratedWallet": false,
        "created_at": ts(tx.created),
        "updated_at": ts(tx.updated),
        "onchainError": Value::Null,
        "transactionError": match &tx.failure {
            Some((code, message)) => json!({"code": code, "message": message}),
            None => Value::Null,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Lists

fn query_number(req: &Req<'_>, name: &str, default: u64) -> Result<u64, Reply> {
    match req.query(name).map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| v3_validation(&[format!("{name} must be a positive integer")])),
    }
}

fn query_date(req: &Req<'_>, name: &str) -> Result<Option<String>, Reply> {
    let Some(s) = req.query(name).map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let day = s.get(..10).unwrap_or_default();
    let b = day.as_bytes();
    let ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if ok {
        Ok(Some(day.to_string()))
    } else {
        Err(v3_validation(&[format!(
            "{name} must be a valid ISO 8601 date string"
        )]))
    }
}

fn list_page(w: &World, req: &Req<'_>, ns: Ns) -> Reply {
    let parsed = (|| {
        Ok::<_, Reply>((
            query_number(req, "page", 1)?,
            query_number(req, "per_page", 20)?.min(100),
            query_date(req, "start_date")?,
            query_date(req, "end_date")?,
        ))
    })();
    let (page, per_page, start, end) = match parsed {
        Ok(p) => p,
        Err(r) => return r,
    };
    let status = req.query("status").map(str::trim).filter(|s| !s.is_empty());
    let telco = req.query("telco_id").map(str::trim).filter(|s| !s.is_empty());
    let currency = req.query("currency").map(str::trim).filter(|s| !s.is_empty());
    let matching: Vec<&Tx> =
        w.v3.ledger
            .txs
            .iter()
            .rev()
            .filter(|t| t.kind.ns() == ns)
            .filter(|t| status.is_none_or(|s| t.status.eq_ignore_ascii_case(s)))
            .filter(|t| telco.is_none_or(|s| t.telco_id.as_deref() == Some(s)))
            .filter(|t| currency.is_none_or(|c| t.currency.eq_ignore_ascii_case(c)))
            .filter(|t| {
                let day = &format_ms(t.created)[..10];
                start.as_deref().is_none_or(|s| day >= s) && end.as_deref().is_none_or(|e| day <= e)
            })
            .collect();
    let total = matching.len() as u64;
    let skip = (page - 1).saturating_mul(per_page);
    let data: Vec<Value> = matching
        .iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(per_page as usize)
        .map(|t| {
            if ns == Ns::Deposit {
                deposit_item(w, t)
            } else {
                withdrawal_item(w, t)
            }
        })
        .collect();
    let message = if ns == Ns::Deposit {
        "Deposit transactions retrieved."
    } else {
        "Withdrawal transactions retrieved."
    };
    Reply::new(
        200,
        json!({
            "success": true,
            "message": message,
            "data": data,
            "meta": {
                "total": total,
                "page": page,
                "per_page": per_page,
                "total_pages": total.div_ceil(per_page),
            },
        }),
    )
}

fn list_offramps(w: &World, req: &Req<'_>) -> Reply {
    let data: Vec<Value> =
        w.v3.ledger
            .txs
            .iter()
            .rev()
            .filter(|t| t.kind == Kind::Offramp)
            .map(|t| offramp(w, t))
            .collect();
    v3_ok(req, "Offramp transactions retrieved", Value::Array(data))
}

// ---------------------------------------------------------------------------------------------
// Actions on existing transactions

fn resolve_duplicate(w: &mut World, req: &Req<'_>) -> Reply {
    let reference = req.param("referenceId");
    let Some(i) = w.v3.ledger.find(Ns::Withdrawal, reference) else {
        return not_found("Reference Id not found");
    };
    if w.v3.ledger.txs[i].status != "DUPLICATE_PENDING" {
        return bad_request("Withdrawal is not pending duplicate resolution");
    }
    match req.str("action") {
        Some("proceed") => {
            w.v3.ledger.txs[i].outcome = Outcome::Success;
            set_status(w, i, "PENDING");
            notify(w, i, Duration::ZERO);
            start(w, i);
        }
        Some("cancel") => {
            close(w, i, "CANCELLED", ("CANCELLED", "Cancelled as a duplicate"), true);
        }
        _ => return v3_validation(&["action must be one of the following values: proceed, cancel".into()]),
    }
    let tx = &w.v3.ledger.txs[i];
    v3_ok(
        req,
        "Duplicate withdrawal resolved",
        json!({"referenceId": tx.reference, "status": tx.status}),
    )
}

fn cancel_offramp(w: &mut World, req: &Req<'_>) -> Reply {
    let reference = req.param("referenceId");
    let Some(i) = w.v3.ledger.find(Ns::Offramp, reference) else {
        return not_found("Offramp not found");
    };
    if w.v3.ledger.txs[i].status != "PENDING" {
        let s = w.v3.ledger.txs[i].status.clone();
        return bad_request(&format!("Offramp cannot be cancelled: its status is {s}"));
    }
    w.v3.ledger.txs[i].onchain = "CANCELLED".into();
    close(
        w,
        i,
        "CANCELLED",
        ("CANCELLED", "Cancelled by the integrator"),
        true,
    );
    let tx = &w.v3.ledger.txs[i];
    v3_ok(
        req,
        "Offramp cancelled successfully",
        json!({"referenceId": tx.reference, "status": tx.status}),
    )
}

fn transfer_deposit_balance(w: &mut World, req: &Req<'_>) -> Reply {
    let id = req.str("walletId").unwrap_or_default().to_string();
    let requested = match req.json.get("amount") {
        None | Some(Value::Null) => None,
        Some(_) => match amount(req, "amount") {
            Ok(a) => Some(a),
            Err(r) => return r,
        },
    };
    let integrator = w.v3.integrator.id.clone();
    let Some(wallet) = w.v3.wallet_mut(&id) else {
        return not_found("Wallet Not Found");
    };
    let amount = requested.unwrap_or(wallet.deposit_balance);
    if amount <= Decimal::ZERO || amount > wallet.deposit_balance {
        return bad_request("Insufficient deposit balance");
    }
    wallet.deposit_balance -= amount;
    wallet.balance += amount;
    let data = wallet.json(&integrator);
    v3_ok(req, "Transfer deposit balance has been successfully done.", data)
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// Runs a scheduled transaction job.
pub(crate) fn run(w: &mut World, job: Job) {
    match job {
        Job::Progress(i) => progress(w, i),
        Job::Settle(i) => settle(w, i),
        Job::Correct(i) => correct(w, i),
        Job::Reverse(i) => reverse(w, i),
        Job::Reconcile(i) => reconcile(w, i),
        Job::Onchain(i) => onchain(w, i),
    }
}

fn set_status(w: &mut World, i: usize, status: &str) {
    let now = w.now_ms();
    if let Some(t) = w.v3.ledger.txs.get_mut(i) {
        t.status = status.to_string();
        t.updated = now;
    }
}

fn progress(w: &mut World, i: usize) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    if tx.status != "PENDING" {
        return;
    }
    let (kind, outcome) = (tx.kind, tx.outcome);
    match kind {
        Kind::Offramp => {
            let hash = format!("0x{}", w.hex(64));
            let t = &mut w.v3.ledger.txs[i];
            t.onchain = "SUCCESSFUL".into();
            t.tx_hash = Some(hash);
            set_status(w, i, "CRYPTO_RECEIVED");
        }
        Kind::Onramp | Kind::CryptoSend => set_status(w, i, "IN_PROGRESS"),
        _ => {
            set_status(w, i, "IN_PROGRESS");
            let delays = w.config.delays;
            let extra = if outcome == Outcome::OutOfOrder {
                delays.settle.saturating_sub(delays.progress) + Duration::from_secs(1)
            } else {
                Duration::ZERO
            };
            notify(w, i, extra);
        }
    }
}

fn settle(w: &mut World, i: usize) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    let ready = match tx.kind {
        Kind::Offramp => tx.status == "CRYPTO_RECEIVED",
        _ => matches!(tx.status.as_str(), "PENDING" | "IN_PROGRESS"),
    };
    if !ready {
        return;
    }
    let delays = w.config.delays;
    let outcome = tx.outcome;
    match outcome {
        Outcome::Failed(r) => fail(w, i, r),
        Outcome::ExpiredThenSuccessful => {
            interim(w, i, "EXPIRED", ("EXPIRED", "The transaction expired"));
            schedule(w, delays.slow_settle, Job::Correct(i));
        }
        Outcome::CancelledThenSuccessful => {
            let r = FailureReason::CancelledByCustomer;
            interim(w, i, "CANCELLED", (r.code(), r.message()));
            schedule(w, delays.slow_settle, Job::Correct(i));
        }
        Outcome::Expires => close(
            w,
            i,
            "EXPIRED",
            ("EXPIRED", "The customer did not approve the payment in time"),
            true,
        ),
        Outcome::ReversedLater => {
            succeed(w, i);
            schedule(w, delays.reconcile + delays.slow_settle, Job::Reverse(i));
        }
        _ => succeed(w, i),
    }
}

/// A success: the deposit waits for reconciliation, the onramp's crypto leg starts, the rest
/// is done.
fn succeed(w: &mut World, i: usize) {
    let telco = w.hex(10).to_uppercase();
    let now = w.now_ms();
    let delays = w.config.delays;
    let t = &mut w.v3.ledger.txs[i];
    t.failure = None;
    let kind = t.kind;
    match kind {
        Kind::Onramp => {
            t.onchain = "IN_PROGRESS".into();
            set_status(w, i, "SUCCESSFUL");
            schedule(w, delays.settle, Job::Onchain(i));
            return;
        }
        Kind::CryptoSend | Kind::Offramp => {}
        _ => t.telco_id = Some(telco),
    }
    t.completed = Some(now);
    if kind == Kind::CryptoSend {
        let hash = format!("0x{}", w.hex(64));
        w.v3.ledger.txs[i].tx_hash = Some(hash);
    }
    set_status(w, i, "SUCCESSFUL");
    if kind.is_deposit() {
        schedule(w, delays.reconcile, Job::Reconcile(i));
    }
    notify(w, i, Duration::ZERO);
}

fn fail(w: &mut World, i: usize, r: FailureReason) {
    close(w, i, "FAILED", (r.code(), r.message()), true);
}

/// A final status other than success: error fields, the debit back, the webhook.
fn close(w: &mut World, i: usize, status: &str, (code, message): (&str, &str), refund: bool) {
    let now = w.now_ms();
    let t = &mut w.v3.ledger.txs[i];
    t.failure = Some((code.to_string(), message.to_string()));
    t.completed = Some(now);
    if t.kind == Kind::Onramp {
        t.onchain = "CANCELLED".into();
    }
    if refund {
        refund_debit(w, i);
    }
    set_status(w, i, status);
    notify(w, i, Duration::ZERO);
}

/// EXPIRED or CANCELLED, to be corrected: the money stays where it is until the final status.
fn interim(w: &mut World, i: usize, status: &str, failure: (&str, &str)) {
    close(w, i, status, failure, false);
    w.v3.ledger.txs[i].completed = None;
}

fn refund_debit(w: &mut World, i: usize) {
    let t = &mut w.v3.ledger.txs[i];
    let debit = std::mem::take(&mut t.debit);
    if debit <= Decimal::ZERO {
        return;
    }
    let (kind, wallet) = (t.kind, t.wallet_id.clone());
    if kind == Kind::CryptoSend {
        if let Some(c) = w.v3.crypto_wallets.iter_mut().find(|c| c.id == wallet) {
            c.balance += debit;
        }
    } else if let Some(f) = w.v3.wallet_mut(&wallet) {
        f.balance += debit;
    }
}

fn correct(w: &mut World, i: usize) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    if matches!(tx.status.as_str(), "EXPIRED" | "CANCELLED") {
        succeed(w, i);
    }
}

fn reverse(w: &mut World, i: usize) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    if !tx.success() || !tx.kind.is_deposit() {
        return;
    }
    let (credited, amount, wallet) = (tx.credited, tx.amount, tx.wallet_id.clone());
    if credited && let Some(f) = w.v3.wallet_mut(&wallet) {
        f.deposit_balance -= amount;
    }
    let t = &mut w.v3.ledger.txs[i];
    t.credited = false;
    t.failure = Some((
        "REVERSED".into(),
        "The payment was reversed by the provider".into(),
    ));
    set_status(w, i, "REVERSED");
    notify(w, i, Duration::ZERO);
}

fn reconcile(w: &mut World, i: usize) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    if !tx.success() || tx.credited {
        return;
    }
    let (amount, wallet) = (tx.amount, tx.wallet_id.clone());
    let Some(f) = w.v3.wallet_mut(&wallet) else { return };
    let before = f.deposit_balance;
    f.deposit_balance += amount;
    let after = f.deposit_balance;
    let t = &mut w.v3.ledger.txs[i];
    t.credited = true;
    t.deposit_balances = Some((before, after));
}

fn onchain(w: &mut World, i: usize) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    if tx.kind != Kind::Onramp || !tx.success() || tx.onchain != "IN_PROGRESS" {
        return;
    }
    let hash = format!("0x{}", w.hex(64));
    let now = w.now_ms();
    let t = &mut w.v3.ledger.txs[i];
    t.onchain = "SUCCESSFUL".into();
    t.tx_hash = Some(hash);
    t.completed = Some(now);
    t.updated = now;
    notify(w, i, Duration::ZERO);
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/// The event and `data` of the transaction's current state (`None`: nothing is delivered).
fn payload(w: &World, tx: &Tx) -> Option<(&'static str, Value)> {
    Some(match tx.kind {
        Kind::Deposit | Kind::Card | Kind::Checkout => {
            let (amount, cost) = deposit_amounts(tx);
            let mut d = json!({
                "status": tx.status,
                "reference_id": tx.reference,
                "reference_number": tx.number,
                "id": tx.id,
                "amount": num(tx.amount),
                "wallet_id": tx.wallet_id,
                "transaction_amount": amount,
                "transaction_cost": cost,
                "customer_key": tx.customer_key,
                "created_at": ts(tx.created),
            });
            if let Some(u) = &tx.callback_url {
                d["callback_url"] = json!(u);
            }
            if let Some(t) = &tx.telco_id {
                d["telco_id"] = json!(t);
                d["confirmation_id"] = json!(t);
            }
            if let Some(b) = tx.info_str("payment_brand") {
                d["payment_brand"] = json!(b);
            }
            if let Some((code, message)) = &tx.failure {
                d["error_message"] = json!(message);
                d["error_description"] = json!(message);
                d["error_code"] = json!(code);
                d["transactionError"] = json!(message);
            }
            ("transaction.deposit.status.updated", d)
        }
        Kind::Payout | Kind::Till | Kind::Paybill | Kind::BankPayout => {
            let (paid, cost) = payout_amounts(tx);
            let mut d = json!({
                "status": tx.status,
                "referenceId": tx.reference,
                "referenceNumber": tx.number,
                "id": tx.id,
                "amount": num(tx.amount),
                "walletId": tx.wallet_id,
                "transactionAmount": paid,
                "transactionCost": cost,
                "customerKey": tx.customer_key,
                "created_at": ts(tx.created),
                "integratorFeeAmount": 0,
            });
            if let Some(u) = &tx.callback_url {
                d["callbackUrl"] = json!(u);
            }
            if let Some(t) = &tx.telco_id {
                d["telcoId"] = json!(t);
                d["confirmationId"] = json!(t);
            }
            if let Some((code, message)) = &tx.failure {
                d["errorMessage"] = json!(message);
                d["transactionError"] = json!(code);
            }
            ("transaction.withdrawal.status.updated", d)
        }
        Kind::Onramp => {
            let d = json!({
                "referenceId": tx.reference,
                "status": onramp_overall(tx),
                "depositStatus": tx.status,
                "onchainStatus": tx.onchain,
                "chain": tx.info_str("chain").unwrap_or_default(),
                "token": tx.info_str("token").unwrap_or_default(),
                "cryptoAmount": num(tx.crypto_amount),
                "cryptoAmountReceived": if tx.onchain == "SUCCESSFUL" { num(tx.crypto_amount) } else { json!(0) },
                "fiatAmount": num(tx.amount),
                "fiatFee": num(tx.fee),
                "fiatAmountToSend": num(tx.amount - tx.fee),
                "receiverAddress": tx.info_str("receiverAddress").unwrap_or_default(),
                "transactionHash": tx.tx_hash,
                "rate": tx.info.get("rate").cloned().unwrap_or_else(|| json!({})),
                "error": onramp_error(tx),
            });
            ("transaction.onramp.status.updated", d)
        }
        Kind::Offramp => ("transaction.offramp.status.updated", offramp(w, tx)),
        Kind::CryptoSend => return None,
    })
}

/// Whether the integrator's subscription covers `event` (empty: all events).
fn subscribed(events: &[String], event: &str) -> bool {
    events.is_empty()
        || events
            .iter()
            .any(|e| e == event || e == "transaction.status.updated")
}

/// Whether every number in `v` is one a JavaScript sender can write (the signing helper
/// refuses others).
fn js_safe(v: &Value) -> bool {
    const MAX: u64 = 1 << 53;
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|u| u <= MAX)
            .or_else(|| n.as_i64().map(|i| i.unsigned_abs() <= MAX))
            .unwrap_or_else(|| n.as_f64().is_some_and(f64::is_finite)),
        Value::Array(a) => a.iter().all(js_safe),
        Value::Object(o) => o.values().all(js_safe),
        _ => true,
    }
}

/// The headers and body of one delivery: the signed envelope with a secret, the bare object
/// without.
fn envelope(w: &World, event: &str, data: &Value) -> (Vec<(String, String)>, Vec<u8>) {
    let integrator = &w.v3.integrator;
    match integrator.webhook_secret.as_deref().filter(|s| !s.is_empty()) {
        // `sign_v3` panics on what JavaScript could not have written (a number a double cannot
        // hold, nesting past the verifier's limit): checked first, never reached with the
        // sandbox's own payloads.
        Some(secret)
            if js_safe(data)
                && crate::webhook::canonical::render(
                    data.to_string().as_bytes(),
                    crate::webhook::canonical::Mode::Js,
                    1,
                )
                .is_ok() =>
        {
            let (map, body) = crate::webhook::testing::sign_v3(secret, event, &data.to_string());
            let mut headers: Vec<(String, String)> = map
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                .collect();
            headers.push(("x-kotani-integrator".into(), integrator.id.clone()));
            (headers, body)
        }
        _ => (
            vec![("content-type".into(), "application/json".into())],
            data.to_string().into_bytes(),
        ),
    }
}

/// Queues the webhooks of the transaction's current status, `extra` late (OUT_OF_ORDER).
fn notify(w: &mut World, i: usize, extra: Duration) {
    let Some(tx) = w.v3.ledger.txs.get(i) else { return };
    if matches!(tx.kind, Kind::Onramp | Kind::Offramp) && !terminal(tx) {
        return;
    }
    let Some((event, data)) = payload(w, tx) else {
        return;
    };
    let integrator = &w.v3.integrator;
    let mut urls: Vec<String> = Vec::new();
    if let Some(u) = integrator.webhook_url.as_deref().filter(|u| !u.trim().is_empty())
        && subscribed(&integrator.webhook_events, event)
    {
        urls.push(u.to_string());
    }
    if let Some(u) = tx.callback_url.as_deref()
        && !urls.iter().any(|x| x == u)
    {
        urls.push(u.to_string());
    }
    if urls.is_empty() {
        return;
    }
    let after = extra
        + if tx.outcome == Outcome::WebhookLate {
            LATE
        } else {
            Duration::ZERO
        };
    let copies = if tx.outcome == Outcome::WebhookTwice { 2 } else { 1 };
    let reference = tx.reference.clone();
    let (headers, body) = envelope(w, event, &data);
    for url in urls {
        for _ in 0..copies {
            w.deliver(
                Outgoing {
                    family: Family::V3,
                    url: url.clone(),
                    event: event.to_string(),
                    reference: Some(reference.clone()),
                    headers: headers.clone(),
                    body: body.clone(),
                    timeout: crate::sandbox::deliver::V3_TIMEOUT,
                },
                after,
            );
        }
    }
}

/// Onramps and offramps are delivered at these statuses only.
fn terminal(tx: &Tx) -> bool {
    let status = if tx.kind == Kind::Onramp {
        onramp_overall(tx)
    } else {
        tx.status.as_str()
    };
    matches!(
        status,
        "SUCCESSFUL" | "FAILED" | "EXPIRED" | "CANCELLED" | "DECLINED" | "REVERSED"
    )
}

// ---------------------------------------------------------------------------------------------
// The test's view

impl Sandbox {
    /// The status of the v3 transaction with this reference (deposits, payouts, onramps, crypto
    /// sends and offramps; an onramp's overall status), or `None` when there is none. When
    /// products share a reference, the first transaction made with it.
    pub fn v3_transaction_status(&self, reference: &str) -> Option<String> {
        self.shared.world().v3.ledger.status_of(reference)
    }

    /// How many v3 transactions the sandbox holds (every product), to check that a retry or a
    /// resent reference made no second one.
    pub fn v3_transaction_count(&self) -> usize {
        self.shared.world().v3.ledger.txs.len()
    }
}
