//! Hand-written serde structs for baseline (b): what an integrator without the SDK would write
//! for the two measured responses. Field for field and type for type the same as the generated
//! `kotanipay::v3::types` (checked at start-up by [`check_equivalent`]), including the open
//! enums (an unknown value decodes to `Unknown`, read through a `Cow<str>` like the generated
//! ones) and the untagged `reference_number`, so that (a)/(b) measures the pipeline and not a
//! cheaper data model.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $($variant,)*
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <Cow<'de, str>>::deserialize(d)?;
                Ok(match s.as_ref() {
                    $($text => Self::$variant,)*
                    other => Self::Unknown(other.to_string()),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

open_enum!(DepositStatus {
    Pending = "PENDING",
    Initiated = "INITIATED",
    Successful = "SUCCESSFUL",
    Failed = "FAILED",
    Expired = "EXPIRED",
    Cancelled = "CANCELLED",
    Declined = "DECLINED",
    Reversed = "REVERSED",
    InProgress = "IN_PROGRESS",
    Duplicate = "DUPLICATE",
    ErrorOccurred = "ERROR_OCCURRED",
    RequireReview = "REQUIRE_REVIEW",
    Success = "SUCCESS",
    Retry = "RETRY",
    PermanentlyFailed = "PERMANENTLY_FAILED",
});

open_enum!(WebhookEvent {
    TransactionStatusUpdated = "transaction.status.updated",
    TransactionDepositStatusUpdated = "transaction.deposit.status.updated",
    TransactionWithdrawalStatusUpdated = "transaction.withdrawal.status.updated",
    TransactionOnrampStatusUpdated = "transaction.onramp.status.updated",
    TransactionOfframpStatusUpdated = "transaction.offramp.status.updated",
    PaymentConfirmed = "payment.confirmed",
    KycStatusChanged = "kyc.status.changed",
    RefundLightningInvoiceNeeded = "refund.lightning.invoice_needed",
    RefundCompleted = "refund.completed",
    RefundFailed = "refund.failed",
    SettlementApproved = "settlement.approved",
    SettlementRejected = "settlement.rejected",
    SettlementProcessed = "settlement.processed",
    SettlementCancelled = "settlement.cancelled",
    SettlementPaused = "settlement.paused",
    SettlementBatchApproved = "settlement.batch.approved",
    SettlementBatchRejected = "settlement.batch.rejected",
    SettlementBatchProcessed = "settlement.batch.processed",
    SettlementBatchPartial = "settlement.batch.partial",
    SettlementBatchCancelled = "settlement.batch.cancelled",
    SettlementBatchConsolidated = "settlement.batch.consolidated",
    SystemEvent = "system.event",
});

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ReferenceNumber {
    String(String),
    Number(f64),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DepositTransaction {
    pub amount: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub customer_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_brand: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_reference: Option<String>,
    pub reference_id: String,
    pub reference_number: ReferenceNumber,
    pub status: DepositStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telco_id: Option<String>,
    pub transaction_amount: f64,
    pub transaction_cost: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaginationMeta {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DepositTransactionListEnvelope {
    pub data: Vec<DepositTransaction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub meta: PaginationMeta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Integrator {
    pub email: String,
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub last_name: String,
    pub organization: String,
    pub phone: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_events: Vec<WebhookEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct IntegratorEnvelope {
    pub data: Integrator,
    pub message: String,
    pub success: bool,
}

/// Decodes `body` with the generated type `G` and the hand-written `H` and fails unless both
/// read the same thing (compared through their serialized JSON).
pub fn check_equivalent<G, H>(what: &str, body: &[u8]) -> anyhow::Result<()>
where
    G: serde::de::DeserializeOwned + Serialize,
    H: serde::de::DeserializeOwned + Serialize,
{
    let generated: G = serde_json::from_slice(body)?;
    let hand: H = serde_json::from_slice(body)?;
    // Numbers compare by value: the generated types hold money as exact decimals and write a
    // whole amount as `500`, the plain structs as the `f64` `500.0`.
    fn numbers_as_f64(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) => {
                if let Some(f) = n.as_f64().and_then(serde_json::Number::from_f64) {
                    *n = f;
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(numbers_as_f64),
            serde_json::Value::Object(o) => o.values_mut().for_each(numbers_as_f64),
            _ => {}
        }
    }
    let (mut g, mut h) = (serde_json::to_value(&generated)?, serde_json::to_value(&hand)?);
    numbers_as_f64(&mut g);
    numbers_as_f64(&mut h);
    anyhow::ensure!(
        g == h,
        "{what}: the hand-written structs do not decode the body like the generated types"
    );
    Ok(())
}
