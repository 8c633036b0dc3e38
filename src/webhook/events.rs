//! Typed webhook payloads of both families.
//!
//! Every payload type tolerates fields it does not know (they are ignored here, and kept in the
//! event's raw `data`), and every field is an `Option` unless the delivery cannot be acted on
//! without it (a transaction's `status` and reference). Amounts are exact
//! [`Decimal`](crate::Decimal)s, as in the generated client (`crate::money`), and are also read
//! from numeric strings; reference numbers are read from a number or a
//! string. A delivery of a known event whose `data` still does not fit its type becomes the
//! `Unknown` variant, with the raw JSON, rather than an error: the delivery is authentic, and
//! refusing it would only make the sender retry the same bytes for a day.
//!
//! Field names follow the docs: deposits are snake_case (except `transactionError`);
//! withdrawals, onramps, offramps, refunds and settlements are camelCase (except `created_at`
//! and `updated_at`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The open enums the events share with the clients (the same types as `merchant::types::…` and
/// `v3::types::…` when those are built).
pub use crate::enums::merchant::CheckoutStatus;
pub use crate::enums::v3::{Chain, DepositStatus, Token, WithdrawalStatus};

/// Every v3 event name in Kotani's `webhook_events` list (22).
pub const V3_EVENTS: [&str; 22] = [
    "transaction.status.updated",
    "transaction.deposit.status.updated",
    "transaction.withdrawal.status.updated",
    "transaction.onramp.status.updated",
    "transaction.offramp.status.updated",
    "payment.confirmed",
    "kyc.status.changed",
    "refund.lightning.invoice_needed",
    "refund.completed",
    "refund.failed",
    "settlement.approved",
    "settlement.rejected",
    "settlement.processed",
    "settlement.cancelled",
    "settlement.paused",
    "settlement.batch.approved",
    "settlement.batch.rejected",
    "settlement.batch.processed",
    "settlement.batch.partial",
    "settlement.batch.cancelled",
    "settlement.batch.consolidated",
    "system.event",
];

/// The merchant event types known (the published table was cut off after these three).
pub const MERCHANT_EVENTS: [&str; 3] = ["checkout.created", "checkout.paid", "checkout.approved"];

/// Deserializers that accept the loose shapes the docs show.
mod lenient {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A whole number, or a string holding one.
    pub(super) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected a whole number")),
            Some(Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| D::Error::custom("expected a whole number")),
            Some(_) => Err(D::Error::custom("expected a whole number")),
        }
    }

    /// A string, or a number kept as its text.
    pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(D::Error::custom("expected a string or a number")),
        }
    }
}

/// `data` of `transaction.deposit.status.updated` (snake_case), and the body of a direct
/// deposit callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DepositUpdate {
    /// The deposit's status.
    pub status: DepositStatus,
    /// Your reference.
    pub reference_id: String,
    /// Kotani's reference number (a number in the spec; older docs show a string).
    #[serde(default, deserialize_with = "lenient::text")]
    pub reference_number: Option<String>,
    /// Kotani's id of the deposit.
    #[serde(default)]
    pub id: Option<String>,
    /// The requested amount.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub amount: Option<Decimal>,
    /// The fiat wallet credited.
    #[serde(default)]
    pub wallet_id: Option<String>,
    /// The amount with fees (what the customer paid).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub transaction_amount: Option<Decimal>,
    /// The fee.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub transaction_cost: Option<Decimal>,
    /// The customer.
    #[serde(default)]
    pub customer_key: Option<String>,
    /// Where direct callbacks go.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// When the deposit was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The provider's transaction code (e.g. an M-Pesa receipt).
    #[serde(default, deserialize_with = "lenient::text")]
    pub telco_id: Option<String>,
    /// The provider's confirmation id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub confirmation_id: Option<String>,
    /// Bank deposits: the bank's name.
    #[serde(default)]
    pub bank_name: Option<String>,
    /// Bank deposits: the bank's code.
    #[serde(default, deserialize_with = "lenient::text")]
    pub bank_code: Option<String>,
    /// Card deposits: the card brand.
    #[serde(default)]
    pub payment_brand: Option<String>,
    /// Failures: the message (may be empty).
    #[serde(default)]
    pub error_message: Option<String>,
    /// Failures: the description (may be empty).
    #[serde(default)]
    pub error_description: Option<String>,
    /// Failures: a code such as `INSUFFICIENT_FUNDS`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Failures: the provider's error (a string or an object). camelCase in the payload.
    #[serde(default, rename = "transactionError")]
    pub transaction_error: Option<Value>,
    /// Shown by older docs.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// `data` of `transaction.withdrawal.status.updated` (camelCase), and the body of a direct
/// payout callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WithdrawalUpdate {
    /// The payout's status.
    pub status: WithdrawalStatus,
    /// Your reference.
    pub reference_id: String,
    /// Kotani's reference number.
    #[serde(default, deserialize_with = "lenient::text")]
    pub reference_number: Option<String>,
    /// Kotani's id of the payout.
    #[serde(default)]
    pub id: Option<String>,
    /// The requested amount.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub amount: Option<Decimal>,
    /// The fiat wallet debited.
    #[serde(default)]
    pub wallet_id: Option<String>,
    /// What the recipient got.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub transaction_amount: Option<Decimal>,
    /// The fee.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub transaction_cost: Option<Decimal>,
    /// The recipient.
    #[serde(default)]
    pub customer_key: Option<String>,
    /// Where direct callbacks go.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// When the payout was created (snake_case in the payload).
    #[serde(default, rename = "created_at")]
    pub created_at: Option<String>,
    /// The provider's transaction code.
    #[serde(default, deserialize_with = "lenient::text")]
    pub telco_id: Option<String>,
    /// The provider's confirmation id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub confirmation_id: Option<String>,
    /// Your integrator fee.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub integrator_fee_amount: Option<Decimal>,
    /// Failures: the message.
    #[serde(default)]
    pub error_message: Option<String>,
    /// Failures: the provider's error (a string or an object).
    #[serde(default)]
    pub transaction_error: Option<Value>,
}

/// The quote an onramp or offramp used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Rate {
    /// Source currency or token.
    #[serde(default)]
    pub from: Option<String>,
    /// Target currency or token.
    #[serde(default)]
    pub to: Option<String>,
    /// Onramps: the crypto amount quoted.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub crypto_amount: Option<Decimal>,
    /// Offramps: the fiat amount quoted.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fiat_amount: Option<Decimal>,
}

/// Why a transaction failed (`error` of an onramp).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Failure {
    /// The message.
    #[serde(default)]
    pub message: Option<String>,
    /// A code such as `CRYPTO_TRANSFER_FAILED`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub code: Option<String>,
    /// Anything else the sender attached.
    #[serde(default)]
    pub details: Option<Value>,
}

/// `data` of `transaction.onramp.status.updated` (fiat in, crypto out), and the body of a
/// direct onramp callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OnrampUpdate {
    /// Overall status (free text, e.g. `PROCESSING`, `SUCCESS`).
    pub status: String,
    /// Your reference.
    pub reference_id: String,
    /// The fiat leg's status.
    #[serde(default)]
    pub deposit_status: Option<DepositStatus>,
    /// The crypto leg's status.
    #[serde(default)]
    pub onchain_status: Option<DepositStatus>,
    /// The chain.
    #[serde(default)]
    pub chain: Option<Chain>,
    /// The token.
    #[serde(default)]
    pub token: Option<Token>,
    /// The crypto amount to deliver.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub crypto_amount: Option<Decimal>,
    /// The crypto amount delivered.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub crypto_amount_received: Option<Decimal>,
    /// The fiat amount collected.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fiat_amount: Option<Decimal>,
    /// The fiat fee.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fiat_fee: Option<Decimal>,
    /// The fiat amount converted.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fiat_amount_to_send: Option<Decimal>,
    /// Where the crypto goes.
    #[serde(default)]
    pub receiver_address: Option<String>,
    /// The on-chain transaction, once sent.
    #[serde(default)]
    pub transaction_hash: Option<String>,
    /// The quote.
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<Failure>,
}

/// `data` of `transaction.offramp.status.updated` (crypto in, fiat out), and the body of a
/// direct offramp callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OfframpUpdate {
    /// Status (free text: `PENDING`, `CRYPTO_RECEIVED`, `SUCCESSFUL`, `REFUNDED`, ...).
    pub status: String,
    /// Your reference.
    pub reference_id: String,
    /// The crypto leg's status (free text).
    #[serde(default)]
    pub onchain_status: Option<String>,
    /// The fiat amount requested.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fiat_amount: Option<Decimal>,
    /// The fiat amount paid out.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fiat_transaction_amount: Option<Decimal>,
    /// The crypto amount expected.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub crypto_amount: Option<Decimal>,
    /// The fiat currency.
    #[serde(default)]
    pub fiat_currency: Option<String>,
    /// The recipient.
    #[serde(default)]
    pub customer_key: Option<String>,
    /// Who sent the crypto.
    #[serde(default)]
    pub sender_address: Option<String>,
    /// Where the crypto was to be sent.
    #[serde(default)]
    pub escrow_address: Option<String>,
    /// The fiat wallet used.
    #[serde(default)]
    pub fiat_wallet_id: Option<String>,
    /// The on-chain transaction received.
    #[serde(default)]
    pub transaction_hash: Option<String>,
    /// The amount of that transaction.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub transaction_hash_amount: Option<Decimal>,
    /// The quote.
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Whether your integrated wallet sent the crypto.
    #[serde(default)]
    pub using_integrated_wallet: Option<bool>,
    /// Created (snake_case in the payload).
    #[serde(default, rename = "created_at")]
    pub created_at: Option<String>,
    /// Updated (snake_case in the payload).
    #[serde(default, rename = "updated_at")]
    pub updated_at: Option<String>,
    /// The crypto leg's error.
    #[serde(default)]
    pub onchain_error: Option<Value>,
    /// The fiat leg's error (an object or a string).
    #[serde(default)]
    pub transaction_error: Option<Value>,
}

/// `data` of `refund.completed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundCompleted {
    /// The offramp's reference.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// The offramp's status (`REVERSED`).
    #[serde(default)]
    pub status: Option<String>,
    /// `SUCCESSFUL`.
    #[serde(default)]
    pub refund_status: Option<String>,
    /// The refund's on-chain transaction.
    #[serde(default)]
    pub refund_transaction_hash: Option<String>,
    /// The amount refunded.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub refund_amount: Option<Decimal>,
    /// The chain.
    #[serde(default)]
    pub chain: Option<Chain>,
    /// The token.
    #[serde(default)]
    pub token: Option<Token>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// When.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// `data` of `refund.failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundFailed {
    /// The offramp's reference.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// `FAILED`.
    #[serde(default)]
    pub refund_status: Option<String>,
    /// The amount that was to be refunded.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub refund_amount: Option<Decimal>,
    /// The chain.
    #[serde(default)]
    pub chain: Option<Chain>,
    /// The token.
    #[serde(default)]
    pub token: Option<Token>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Why (a string or an object).
    #[serde(default)]
    pub error: Option<Value>,
    /// How many attempts were made.
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_retries: Option<u64>,
    /// When.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// `data` of `refund.lightning.invoice_needed`: submit a BOLT11 invoice to receive a refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LightningInvoiceNeeded {
    /// The offramp's reference.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// The offramp's status.
    #[serde(default)]
    pub status: Option<String>,
    /// The crypto leg's status.
    #[serde(default)]
    pub onchain_status: Option<String>,
    /// `INVOICE_NEEDED`.
    #[serde(default)]
    pub refund_status: Option<String>,
    /// The refund in millisatoshis.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub refund_amount: Option<Decimal>,
    /// The refund in satoshis.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub refund_amount_sats: Option<Decimal>,
    /// `LIGHTNING`.
    #[serde(default)]
    pub chain: Option<Chain>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// `true`.
    #[serde(default)]
    pub requires_action: Option<bool>,
    /// What to do.
    #[serde(default)]
    pub action: Option<InvoiceAction>,
    /// When.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// The action of [`LightningInvoiceNeeded`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InvoiceAction {
    /// `SUBMIT_LIGHTNING_INVOICE`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Human description.
    #[serde(default)]
    pub description: Option<String>,
    /// Where to submit the invoice.
    #[serde(default)]
    pub submit_url: Option<String>,
    /// `POST`.
    #[serde(default)]
    pub method: Option<String>,
    /// The body to send (`{invoice}`).
    #[serde(default)]
    pub body: Option<Value>,
    /// What the invoice must satisfy (`amount`, `currency: "SATS"`, `format: "bolt11"`, ...).
    #[serde(default)]
    pub invoice_requirements: Option<Value>,
}

/// `data` of the single-settlement events (`settlement.approved|rejected|processed|cancelled|
/// paused`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SettlementUpdate {
    /// The settlement's id.
    #[serde(default)]
    pub settlement_id: Option<String>,
    /// Its reference.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// `APPROVED`, `PROCESSED`, `REJECTED`, `PAUSED`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Gross amount.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub amount: Option<Decimal>,
    /// Fee.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fee: Option<Decimal>,
    /// Fee percentage.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub fee_percentage: Option<Decimal>,
    /// Net amount.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub net_amount: Option<Decimal>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Gross amount in USD (tentative).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub tentative_usd_amount: Option<Decimal>,
    /// Fee in USD (tentative).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub tentative_usd_fee: Option<Decimal>,
    /// Net amount in USD (tentative).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub tentative_usd_net_amount: Option<Decimal>,
    /// `PAYOUT`, `DEPOSIT` or `ADMIN_SELECT`.
    #[serde(default)]
    pub balance_source: Option<String>,
    /// The batch it belongs to.
    #[serde(default)]
    pub batch_id: Option<String>,
    /// Its reference within the batch.
    #[serde(default)]
    pub sub_reference: Option<String>,
    /// Where the money goes.
    #[serde(default)]
    pub beneficiary_details: Option<Value>,
    /// When.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// `settlement.paused`: why.
    #[serde(default)]
    pub pause_reason: Option<String>,
    /// `settlement.paused`: until when.
    #[serde(default)]
    pub paused_until: Option<String>,
}

/// `data` of the batch events (`settlement.batch.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SettlementBatchUpdate {
    /// The batch's id.
    #[serde(default)]
    pub batch_id: Option<String>,
    /// Your batch reference.
    #[serde(default)]
    pub batch_reference: Option<String>,
    /// The batch's status.
    #[serde(default)]
    pub status: Option<String>,
    /// Total in USD (tentative).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub total_tentative_usd_amount: Option<Decimal>,
    /// The settlements of the batch.
    #[serde(default)]
    pub settlements: Option<Vec<BatchSettlement>>,
    /// `settlement.batch.partial`: how many were processed.
    #[serde(default, deserialize_with = "lenient::count")]
    pub processed_count: Option<u64>,
    /// `settlement.batch.partial`: how many were rejected.
    #[serde(default, deserialize_with = "lenient::count")]
    pub rejected_count: Option<u64>,
    /// `settlement.batch.partial`: how many failed.
    #[serde(default, deserialize_with = "lenient::count")]
    pub failed_count: Option<u64>,
    /// `settlement.batch.partial`: how many in all.
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_count: Option<u64>,
}

/// One settlement of a [`SettlementBatchUpdate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BatchSettlement {
    /// The settlement's id (`_id` in the payload).
    #[serde(default, rename = "_id")]
    pub id: Option<String>,
    /// Its reference within the batch.
    #[serde(default)]
    pub sub_reference: Option<String>,
    /// Its status.
    #[serde(default)]
    pub status: Option<String>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Net amount.
    #[serde(default, with = "crate::money::decimal_opt")]
    pub net_amount: Option<Decimal>,
    /// Net amount in USD (tentative).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub tentative_usd_net_amount: Option<Decimal>,
    /// Its reference.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// Payout channels.
    #[serde(default)]
    pub channels: Option<Value>,
}

/// Which product a transaction callback is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionKind {
    /// A collection.
    Deposit,
    /// A payout.
    Withdrawal,
    /// Fiat to crypto.
    Onramp,
    /// Crypto to fiat.
    Offramp,
}

/// A transaction object: the `data` of the deprecated `transaction.status.updated` event, and
/// the body of a direct (unsigned) callback.
///
/// The product is recognised by its fields: `reference_id` (snake_case) is a deposit;
/// `escrowAddress`, `senderAddress`, `fiatTransactionAmount` or `fiatWalletId` an offramp;
/// `depositStatus`, `fiatAmountToSend` or `receiverAddress` an onramp; `referenceId` with
/// `walletId`, `customerKey` or `transactionAmount` a withdrawal. Anything else, or an object
/// that does not fit the recognised type, is `Unknown` with the raw JSON.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TransactionCallback {
    /// A deposit.
    Deposit(DepositUpdate),
    /// A withdrawal.
    Withdrawal(WithdrawalUpdate),
    /// An onramp.
    Onramp(OnrampUpdate),
    /// An offramp.
    Offramp(OfframpUpdate),
    /// Not recognised.
    Unknown(Value),
}

impl TransactionCallback {
    /// Recognises the product and reads the typed transaction.
    pub fn from_value(data: Value) -> Self {
        let kind = match &data {
            Value::Object(m) => {
                let has = |k: &str| m.contains_key(k);
                if has("reference_id") {
                    Some(TransactionKind::Deposit)
                } else if [
                    "escrowAddress",
                    "senderAddress",
                    "fiatTransactionAmount",
                    "fiatWalletId",
                ]
                .iter()
                .any(|k| has(k))
                {
                    Some(TransactionKind::Offramp)
                } else if ["depositStatus", "fiatAmountToSend", "receiverAddress"]
                    .iter()
                    .any(|k| has(k))
                {
                    Some(TransactionKind::Onramp)
                } else if has("referenceId")
                    && ["walletId", "customerKey", "transactionAmount"]
                        .iter()
                        .any(|k| has(k))
                {
                    Some(TransactionKind::Withdrawal)
                } else {
                    None
                }
            }
            _ => None,
        };
        match kind {
            Some(k) => Self::from_value_as(k, data),
            None => TransactionCallback::Unknown(data),
        }
    }

    /// Reads the typed transaction of a product you know (e.g. from the callback URL you gave
    /// it); `Unknown` if it does not fit.
    pub fn from_value_as(kind: TransactionKind, data: Value) -> Self {
        let typed = match kind {
            TransactionKind::Deposit => DepositUpdate::deserialize(&data).map(Self::Deposit),
            TransactionKind::Withdrawal => WithdrawalUpdate::deserialize(&data).map(Self::Withdrawal),
            TransactionKind::Onramp => OnrampUpdate::deserialize(&data).map(Self::Onramp),
            TransactionKind::Offramp => OfframpUpdate::deserialize(&data).map(Self::Offramp),
        };
        typed.unwrap_or(TransactionCallback::Unknown(data))
    }

    /// The product, when recognised.
    pub fn kind(&self) -> Option<TransactionKind> {
        match self {
            Self::Deposit(_) => Some(TransactionKind::Deposit),
            Self::Withdrawal(_) => Some(TransactionKind::Withdrawal),
            Self::Onramp(_) => Some(TransactionKind::Onramp),
            Self::Offramp(_) => Some(TransactionKind::Offramp),
            Self::Unknown(_) => None,
        }
    }

    /// Your reference of the transaction, when recognised.
    pub fn reference_id(&self) -> Option<&str> {
        match self {
            Self::Deposit(d) => Some(&d.reference_id),
            Self::Withdrawal(w) => Some(&w.reference_id),
            Self::Onramp(o) => Some(&o.reference_id),
            Self::Offramp(o) => Some(&o.reference_id),
            Self::Unknown(_) => None,
        }
    }
}

/// The typed `data` of a signed v3 event, one variant per event name.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum V3Payload {
    /// `transaction.status.updated` (deprecated, any product).
    TransactionStatusUpdated(TransactionCallback),
    /// `transaction.deposit.status.updated`.
    DepositStatusUpdated(DepositUpdate),
    /// `transaction.withdrawal.status.updated`.
    WithdrawalStatusUpdated(WithdrawalUpdate),
    /// `transaction.onramp.status.updated`.
    OnrampStatusUpdated(OnrampUpdate),
    /// `transaction.offramp.status.updated`.
    OfframpStatusUpdated(OfframpUpdate),
    /// `payment.confirmed` (payload undocumented: the raw JSON).
    PaymentConfirmed(Value),
    /// `kyc.status.changed` (payload undocumented: the raw JSON).
    KycStatusChanged(Value),
    /// `refund.lightning.invoice_needed`.
    RefundLightningInvoiceNeeded(LightningInvoiceNeeded),
    /// `refund.completed`.
    RefundCompleted(RefundCompleted),
    /// `refund.failed`.
    RefundFailed(RefundFailed),
    /// `settlement.approved`.
    SettlementApproved(SettlementUpdate),
    /// `settlement.rejected`.
    SettlementRejected(SettlementUpdate),
    /// `settlement.processed`.
    SettlementProcessed(SettlementUpdate),
    /// `settlement.cancelled`.
    SettlementCancelled(SettlementUpdate),
    /// `settlement.paused`.
    SettlementPaused(SettlementUpdate),
    /// `settlement.batch.approved`.
    SettlementBatchApproved(SettlementBatchUpdate),
    /// `settlement.batch.rejected`.
    SettlementBatchRejected(SettlementBatchUpdate),
    /// `settlement.batch.processed`.
    SettlementBatchProcessed(SettlementBatchUpdate),
    /// `settlement.batch.partial`.
    SettlementBatchPartial(SettlementBatchUpdate),
    /// `settlement.batch.cancelled`.
    SettlementBatchCancelled(SettlementBatchUpdate),
    /// `settlement.batch.consolidated` (payload undocumented; read as a batch, which is
    /// inferred).
    SettlementBatchConsolidated(SettlementBatchUpdate),
    /// `system.event` (payload undocumented: the raw JSON).
    SystemEvent(Value),
    /// An event name this SDK does not know, or a known one whose `data` did not fit its type:
    /// the raw `data`.
    Unknown(Value),
}

fn typed<T: for<'de> Deserialize<'de>>(data: &Value, wrap: fn(T) -> V3Payload) -> Option<V3Payload> {
    match T::deserialize(data) {
        Ok(v) => Some(wrap(v)),
        Err(e) => {
            tracing::warn!(error = %e, "webhook data does not fit its event's type; kept as Unknown");
            None
        }
    }
}

impl V3Payload {
    /// Types `data` by event name.
    pub fn from_parts(event: &str, data: Value) -> Self {
        Self::from_ref(event, &data)
    }

    /// Types `data` by event name, copying it only for the variants that keep raw JSON.
    pub(crate) fn from_ref(event: &str, d: &Value) -> Self {
        use V3Payload as P;
        let data = || d.clone();
        let parsed = match event {
            "transaction.status.updated" => {
                return P::TransactionStatusUpdated(TransactionCallback::from_value(data()));
            }
            "transaction.deposit.status.updated" => typed(d, P::DepositStatusUpdated),
            "transaction.withdrawal.status.updated" => typed(d, P::WithdrawalStatusUpdated),
            "transaction.onramp.status.updated" => typed(d, P::OnrampStatusUpdated),
            "transaction.offramp.status.updated" => typed(d, P::OfframpStatusUpdated),
            "payment.confirmed" => return P::PaymentConfirmed(data()),
            "kyc.status.changed" => return P::KycStatusChanged(data()),
            "system.event" => return P::SystemEvent(data()),
            "refund.lightning.invoice_needed" => typed(d, P::RefundLightningInvoiceNeeded),
            "refund.completed" => typed(d, P::RefundCompleted),
            "refund.failed" => typed(d, P::RefundFailed),
            "settlement.approved" => typed(d, P::SettlementApproved),
            "settlement.rejected" => typed(d, P::SettlementRejected),
            "settlement.processed" => typed(d, P::SettlementProcessed),
            "settlement.cancelled" => typed(d, P::SettlementCancelled),
            "settlement.paused" => typed(d, P::SettlementPaused),
            "settlement.batch.approved" => typed(d, P::SettlementBatchApproved),
            "settlement.batch.rejected" => typed(d, P::SettlementBatchRejected),
            "settlement.batch.processed" => typed(d, P::SettlementBatchProcessed),
            "settlement.batch.partial" => typed(d, P::SettlementBatchPartial),
            "settlement.batch.cancelled" => typed(d, P::SettlementBatchCancelled),
            "settlement.batch.consolidated" => typed(d, P::SettlementBatchConsolidated),
            _ => None,
        };
        parsed.unwrap_or_else(|| P::Unknown(data()))
    }

    /// Whether this is the `Unknown` variant.
    pub fn is_unknown(&self) -> bool {
        matches!(self, V3Payload::Unknown(_))
    }
}

/// A KutanaPay checkout, as carried by the `checkout.*` events.
///
/// The webhook payload is not published: these fields are the checkout object of our merchant
/// spec, itself partly inferred, plus `checkout_id`, which ODOS (a public KutanaPay integration)
/// reads from the event data before falling back to `id`. All are optional; use
/// [`Checkout::checkout_id_or_id`] to find the checkout either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkout {
    /// The checkout's UUID, when the data carries it as `checkout_id`.
    #[serde(default)]
    pub checkout_id: Option<String>,
    /// The UUID of the object the data describes: the checkout's, unless `checkout_id` is also
    /// there (then `id` may name something else, such as the payment).
    #[serde(default)]
    pub id: Option<String>,
    /// KutanaPay's reference for the payment, e.g. `PAY-K7M2Q9X4` (not the checkout's id).
    #[serde(default)]
    pub payment_reference: Option<String>,
    /// The merchant.
    #[serde(default)]
    pub merchant_id: Option<String>,
    /// The amount, in major units (`150.00` GHS, not pesewas).
    #[serde(default, with = "crate::money::decimal_opt")]
    pub amount: Option<Decimal>,
    /// The currency.
    #[serde(default)]
    pub currency_code: Option<String>,
    /// The status.
    #[serde(default)]
    pub status: Option<CheckoutStatus>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Your reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// Customer name.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Customer e-mail.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// Customer phone.
    #[serde(default)]
    pub customer_phone: Option<String>,
    /// The hosted page.
    #[serde(default)]
    pub checkout_url: Option<String>,
    /// Where the customer goes after paying.
    #[serde(default)]
    pub success_url: Option<String>,
    /// Where the customer goes after cancelling.
    #[serde(default)]
    pub cancel_url: Option<String>,
    /// Your `meta_data`, as given when the checkout was created.
    #[serde(default)]
    pub meta_data: Option<Value>,
    /// The same, should the server spell it `metadata`.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Expiry.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// When it was paid.
    #[serde(default)]
    pub paid_at: Option<String>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl Checkout {
    /// The checkout's id: `checkout_id` when the data has it, else `id` (what ODOS does).
    pub fn checkout_id_or_id(&self) -> Option<&str> {
        self.checkout_id.as_deref().or(self.id.as_deref())
    }
}

/// The typed `data` of a merchant event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MerchantPayload {
    /// `checkout.created`: a customer started paying.
    CheckoutCreated(Checkout),
    /// `checkout.paid`: the customer marked the checkout as paid.
    CheckoutPaid(Checkout),
    /// `checkout.approved`: an admin approved the payment.
    CheckoutApproved(Checkout),
    /// An event type this SDK does not know, or `data` that did not fit: the raw JSON.
    Unknown(Value),
}

impl MerchantPayload {
    /// Types `data` by event type.
    pub fn from_parts(event_type: &str, data: Value) -> Self {
        let wrap: fn(Checkout) -> Self = match event_type {
            "checkout.created" => MerchantPayload::CheckoutCreated,
            "checkout.paid" => MerchantPayload::CheckoutPaid,
            "checkout.approved" => MerchantPayload::CheckoutApproved,
            _ => return MerchantPayload::Unknown(data),
        };
        match Checkout::deserialize(&data) {
            Ok(c) => wrap(c),
            Err(e) => {
                tracing::warn!(error = %e, "merchant webhook data does not fit a checkout; kept as Unknown");
                MerchantPayload::Unknown(data)
            }
        }
    }

    /// Whether this is the `Unknown` variant.
    pub fn is_unknown(&self) -> bool {
        matches!(self, MerchantPayload::Unknown(_))
    }
}
