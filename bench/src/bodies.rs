//! The payloads the bench sends and serves, built deterministically (same bytes every run)
//! from the spec examples with varied values.

use kotanipay::meta::{Family, OperationMeta};
use serde_json::{Value, json};

/// An operation of the v3 spec; panics on an id the spec does not have.
pub fn v3_op(id: &str) -> &'static OperationMeta {
    kotanipay::meta::operation(Family::V3, id).unwrap_or_else(|| panic!("no v3 operation {id}"))
}

/// A tiny deterministic generator (SplitMix64), so bodies are identical run to run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len).map(|_| *self.pick(CHARS) as char).collect()
    }
}

/// The small body: the spec's `get_integrator` success example (a few hundred bytes).
pub fn integrator_body() -> Vec<u8> {
    v3_op("get_integrator")
        .example
        .expect("get_integrator has a spec example")
        .as_bytes()
        .to_vec()
}

const RAILS: &[(&str, &str, &str)] = &[
    ("KES", "KE", "MPESA"),
    ("KES", "KE", "MPESA"),
    ("KES", "KE", "AIRTEL"),
    ("UGX", "UG", "MTN"),
    ("UGX", "UG", "AIRTEL"),
    ("GHS", "GH", "MTN"),
    ("GHS", "GH", "VODAFONE"),
    ("TZS", "TZ", "VODACOM"),
    ("ZMW", "ZM", "MTN"),
    ("XOF", "CI", "ORANGE"),
    ("ZAR", "ZA", "CARD"),
    ("NGN", "NG", "BANK"),
];

const STATUSES: &[&str] = &[
    "SUCCESSFUL",
    "SUCCESSFUL",
    "SUCCESSFUL",
    "SUCCESSFUL",
    "SUCCESSFUL",
    "PENDING",
    "FAILED",
    "EXPIRED",
    "IN_PROGRESS",
    "REVERSED",
    "CANCELLED",
    "REQUIRE_REVIEW",
];

fn timestamp(rng: &mut Rng, day: u64) -> (String, u64) {
    let secs = rng.below(86_400);
    let text = format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        1 + day / 28 % 12,
        1 + day % 28,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        rng.below(1000)
    );
    (text, secs)
}

/// One deposit of the history list, shaped like the spec example of
/// `list_deposit_transactions`, with the optional fields the rail would fill.
pub fn deposit_item(rng: &mut Rng, i: u64) -> Value {
    let (currency, country, network) = *rng.pick(RAILS);
    let status = *rng.pick(STATUSES);
    let amount = match rng.below(4) {
        0 => (10 + rng.below(990)) as f64,
        1 => (1_000 + rng.below(99_000)) as f64,
        2 => (100 + rng.below(50_000)) as f64 + rng.below(100) as f64 / 100.0,
        _ => 1_000.0 * (1 + rng.below(50)) as f64,
    };
    let cost = (amount * 0.025 * 100.0).round() / 100.0;
    let (created, _) = timestamp(rng, i);
    let mut item = json!({
        "id": format!("{:024x}", 0x6650_a1b2_c3d4_e5f6_a7b8_c9d0_u128 + u128::from(rng.next() >> 16)),
        "reference_id": format!("dep-2025{:02}{:02}-{:04}", 1 + i / 28 % 12, 1 + i % 28, i + 1),
        "reference_number": if i % 7 == 3 {
            json!(format!("KTN{}", 1_000_000_000 + rng.below(8_999_999_999)))
        } else {
            json!(1_000_000_000 + rng.below(8_999_999_999))
        },
        "status": status,
        "amount": amount,
        "transaction_amount": ((amount + cost) * 100.0).round() / 100.0,
        "transaction_cost": cost,
        "currency": currency,
        "country": country,
        "network": network,
        "customer_key": format!("customer-key-{:05}", rng.below(100_000)),
        "telco_id": rng.alnum(10),
        "created_at": created,
    });
    let obj = item.as_object_mut().expect("an object");
    if matches!(
        status,
        "SUCCESSFUL" | "FAILED" | "EXPIRED" | "REVERSED" | "CANCELLED"
    ) {
        obj.insert("completed_at".into(), json!(timestamp(rng, i).0));
    }
    if matches!(network, "CARD" | "BANK") {
        obj.insert("bank_code".into(), json!(format!("{:06}", rng.below(1_000_000))));
        obj.insert(
            "bank_name".into(),
            json!(*rng.pick(&["Capitec Bank", "Standard Bank", "Access Bank", "Zenith Bank"])),
        );
        obj.insert("payment_brand".into(), json!(*rng.pick(&["VISA", "MASTERCARD"])));
        obj.insert(
            "provider_reference".into(),
            json!(format!("psp_{}", rng.alnum(16).to_lowercase())),
        );
    }
    if status == "FAILED" {
        obj.insert(
            "error_message".into(),
            json!(*rng.pick(&[
                "Insufficient funds in the customer's wallet",
                "The customer cancelled the prompt",
                "Request timed out at the operator"
            ])),
        );
    }
    item
}

/// The large body: a page of `items` deposits (100 make about 40 KB).
pub fn deposit_list_body(items: u64) -> Vec<u8> {
    let mut rng = Rng::new(0x6b6f_7461_6e69);
    let data: Vec<Value> = (0..items).map(|i| deposit_item(&mut rng, i)).collect();
    let body = json!({
        "success": true,
        "message": "Deposit transactions retrieved.",
        "data": data,
        "meta": {"total": 1187, "page": 1, "per_page": items, "total_pages": 1187_u64.div_ceil(items)},
    });
    serde_json::to_vec(&body).expect("serializable")
}

/// A `preview_bulk_payment` request body (a payroll) of at least `min_bytes`.
pub fn bulk_payment_request(min_bytes: usize) -> Value {
    let mut rng = Rng::new(0xb01c);
    let names = [
        "Jane Doe",
        "John Mwangi",
        "Achieng Otieno",
        "Kwame Mensah",
        "Wanjikũ Njoroge",
        "Amina Yusuf",
    ];
    let mut recipients = Vec::new();
    loop {
        let body = json!({
            "batchName": "January payroll",
            "batchDescription": "Casual staff, Nairobi and Kisumu sites",
            "recipients": recipients,
            "walletSelections": [{"currency": "KES", "walletId": "f053188c-d924-4423-bbba-871eda0b1cd9"}],
            "callbackUrl": "https://example.com/kotani/bulk",
        });
        if serde_json::to_vec(&body).expect("serializable").len() >= min_bytes {
            return body;
        }
        let n = recipients.len() + 1;
        let name = *rng.pick(&names);
        recipients.push(json!({
            "recipientName": name,
            "recipientEmail": format!("staff{n:04}@example.com"),
            "recipientPhone": format!("+2547{:08}", rng.below(100_000_000)),
            "amount": 250 + rng.below(40) * 25,
            "currency": "KES",
            "reference": format!("PAY-{n:04}"),
            "network": "MPESA",
        }));
    }
}

/// The `data` of a v3 `transaction.deposit.status.updated` delivery, padded with a
/// `metadata.history` of deposits until the JSON text is at least `min_bytes` long. Strings with
/// non-ASCII text, quotes and slashes make the canonical re-serialization do real escaping work.
pub fn webhook_data(min_bytes: usize) -> String {
    let mut rng = Rng::new(0x7765_6268);
    let mut history = Vec::new();
    loop {
        let data = json!({
            "id": "6650a1b2c3d4e5f6a7b8c9d0",
            "reference_id": "dep-20250101-0001",
            "status": "SUCCESSFUL",
            "amount": 1000,
            "transaction_amount": 1025.5,
            "transaction_cost": 25.5,
            "currency": "KES",
            "country": "KE",
            "network": "MPESA",
            "customer_key": "customer-key-123",
            "customer_name": "Wanjikũ Njoroge",
            "telco_id": "OEI2AK4D9X",
            "description": "M-PESA receipt “OEI2AK4D9X” — paid at 10:00 \"Nairobi\" / Westlands",
            "callback_url": "https://example.com/kotani/callback?site=westlands&shift=2",
            "completed_at": "2025-01-01T10:00:07.000Z",
            "created_at": "2025-01-01T10:00:00.000Z",
            "metadata": {"history": history},
        });
        let text = serde_json::to_string(&data).expect("serializable");
        if text.len() >= min_bytes {
            return text;
        }
        let i = history.len() as u64;
        history.push(deposit_item(&mut rng, i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_list_is_about_40_kb_and_decodes() {
        let body = deposit_list_body(100);
        assert!((35_000..46_000).contains(&body.len()), "{} bytes", body.len());
        crate::plain::check_equivalent::<
            kotanipay::v3::types::DepositTransactionListEnvelope,
            crate::plain::DepositTransactionListEnvelope,
        >("list", &body)
        .unwrap();
        assert_eq!(body, deposit_list_body(100), "deterministic");
    }

    #[test]
    fn integrator_body_decodes() {
        crate::plain::check_equivalent::<
            kotanipay::v3::types::IntegratorEnvelope,
            crate::plain::IntegratorEnvelope,
        >("integrator", &integrator_body())
        .unwrap();
    }

    #[test]
    fn sizes() {
        let b = serde_json::to_vec(&bulk_payment_request(1024)).unwrap();
        assert!((1024..1400).contains(&b.len()));
        let w = webhook_data(64 * 1024);
        assert!((64 * 1024..66 * 1024).contains(&w.len()));
    }
}
