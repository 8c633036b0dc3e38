//! Kotani Pay API v3 in the sandbox: the records both halves share (the integrator, customers,
//! wallets), then `account` (credentials, logins, sessions, keys, the integrator, customers,
//! wallets, validation, rates) and `money` (deposits, withdrawals, onramp, offramp, their
//! statuses, balances and webhooks).

mod account;
mod money;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Config;
use super::world::{Reply, Req, World};

/// The integrator the sandbox's API key belongs to.
#[derive(Clone)]
pub(crate) struct Integrator {
    pub id: String,
    pub organization: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    /// Where signed (or bare) webhooks go, besides each transaction's callback URL.
    pub webhook_url: Option<String>,
    /// Set: deliveries are signed envelopes. Unset: bare callbacks.
    pub webhook_secret: Option<String>,
    /// Subscribed events; empty means all.
    pub webhook_events: Vec<String>,
}

impl std::fmt::Debug for Integrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integrator")
            .field("id", &self.id)
            .field("organization", &self.organization)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("webhook_events", &self.webhook_events)
            .finish_non_exhaustive()
    }
}

impl Integrator {
    /// The `Integrator` schema.
    pub fn json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "organization": self.organization,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "webhook_events": self.webhook_events,
        });
        if let Some(u) = &self.webhook_url {
            v["webhook_url"] = json!(u);
        }
        v
    }
}

/// A mobile-money (or bank) customer.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub customer_key: String,
    /// The `Customer` schema as the API shows it (request fields kept as sent).
    pub json: Value,
}

impl Customer {
    /// The phone number, if any.
    pub fn phone(&self) -> Option<&str> {
        self.json.get("phone_number").and_then(Value::as_str)
    }
}

/// A fiat wallet with its two balances (Kotani's billing page): `balance` is the payout
/// balance withdrawals debit; `deposit_balance` is what collections credit.
#[derive(Debug, Clone)]
pub(crate) struct FiatWallet {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub country: Option<String>,
    pub status: String,
    pub balance: Decimal,
    pub deposit_balance: Decimal,
}

impl FiatWallet {
    /// The `FiatWallet` schema.
    pub fn json(&self, integrator: &str) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "type": "fiat",
            "currency": self.currency,
            "integrator": integrator,
            "status": self.status,
            "balance": num(self.balance),
            "deposit_balance": num(self.deposit_balance),
        });
        if let Some(c) = &self.country {
            v["country"] = json!(c);
        }
        v
    }
}

/// A crypto wallet.
#[derive(Debug, Clone)]
pub(crate) struct CryptoWallet {
    pub id: String,
    pub name: String,
    pub coin: String,
    pub chain: String,
    pub address: String,
    pub balance: Decimal,
}

impl CryptoWallet {
    /// The `CryptoWallet` schema.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "balance": num(self.balance),
            "address": self.address,
            "type": "crypto",
            "coin": self.coin,
            "chain": self.chain,
        })
    }
}

/// Every v3 record of one sandbox.
pub(crate) struct State {
    pub integrator: Integrator,
    pub customers: Vec<Customer>,
    pub fiat_wallets: Vec<FiatWallet>,
    pub crypto_wallets: Vec<CryptoWallet>,
    /// Keys, logins, sessions.
    pub auth: account::Auth,
    /// Transactions.
    pub ledger: money::Ledger,
}

/// The wallets every sandbox starts with (README, "The sandbox"): payout balances funded so
/// that withdrawals work at once; deposit balances empty.
const SEED_WALLETS: [(&str, &str, &str, i64); 3] = [
    ("KES wallet", "KES", "KE", 100_000),
    ("UGX wallet", "UGX", "UG", 5_000_000),
    ("GHS wallet", "GHS", "GH", 10_000),
];

impl State {
    pub(crate) fn new(rng: &mut fastrand::Rng, config: &Config) -> Self {
        let mut hex = |n: usize| -> String {
            (0..n)
                .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
                .collect()
        };
        let integrator = Integrator {
            id: hex(24),
            organization: "Sandbox Integrator Ltd".into(),
            first_name: "Sandy".into(),
            last_name: "Box".into(),
            email: "integrator@sandbox.kotanipay.test".into(),
            phone: "+254700000001".into(),
            webhook_url: config.webhook_url.clone(),
            webhook_secret: config.webhook_secret.clone(),
            webhook_events: Vec::new(),
        };
        let fiat_wallets = SEED_WALLETS
            .iter()
            .map(|(name, currency, country, balance)| FiatWallet {
                id: hex(24),
                name: (*name).into(),
                currency: (*currency).into(),
                country: Some((*country).into()),
                status: "active".into(),
                balance: Decimal::from(*balance),
                deposit_balance: Decimal::ZERO,
            })
            .collect();
        let crypto_wallets = vec![CryptoWallet {
            id: hex(24),
            name: "USDT on Polygon".into(),
            coin: "USDT".into(),
            chain: "POLYGON".into(),
            address: format!("0x{}", hex(40)),
            balance: Decimal::from(1_000),
        }];
        let auth = account::Auth::new(config);
        State {
            integrator,
            customers: Vec::new(),
            fiat_wallets,
            crypto_wallets,
            auth,
            ledger: money::Ledger::default(),
        }
    }

    /// The fiat wallet with this id.
    pub fn wallet_mut(&mut self, id: &str) -> Option<&mut FiatWallet> {
        self.fiat_wallets.iter_mut().find(|w| w.id == id)
    }

    /// The customer with this key.
    pub fn customer(&self, key: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.customer_key == key)
    }
}

/// A scheduled v3 state change: transactions moving on (tokens and login links expire when
/// they are next used, so accounts schedule nothing).
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// Transactions moving on.
    Money(money::Job),
}

/// Checks a v3 request's credential (and counts it against its rate limit): `Err` is the
/// answer. The server calls it before it reads the body, for operations that need a credential.
pub(crate) fn authenticate(w: &mut World, req: &Req<'_>) -> Result<(), Reply> {
    account::authenticate(w, req)
}

/// Answers a v3 request from the state; `None` serves the spec example.
pub(crate) fn handle(w: &mut World, req: &Req<'_>) -> Option<Reply> {
    if let Some(r) = account::handle(w, req) {
        return Some(r);
    }
    money::handle(w, req)
}

/// Runs a scheduled v3 job.
pub(crate) fn run(w: &mut World, job: Job) {
    match job {
        Job::Money(j) => money::run(w, j),
    }
}

/// The v3 control endpoints of the sandbox process (`/_sandbox/v3/...`): what the `Sandbox`
/// accessors give a Rust test, for teammates driving the process over HTTP.
pub(crate) fn control(
    shared: &super::Shared,
    method: &str,
    segments: &[&str],
    query: &std::collections::HashMap<String, String>,
) -> Option<(u16, Value)> {
    let w = || shared.world();
    let email = || query.get("email").map(String::as_str).unwrap_or("");
    let missing = |what: &str| (404, json!({"error": format!("no {what}")}));
    Some(match (method, segments) {
        ("GET", ["v3", "magic-link"]) => match w().v3.auth.latest_link(email()) {
            Some(l) => (
                200,
                json!({"link": format!("{}/api/v3/auth/verify?hash={}", shared.base_url, l.hash)}),
            ),
            None => missing("magic link for that email"),
        },
        ("GET", ["v3", "human-verification-token"]) => match w().v3.auth.latest_link(email()) {
            Some(l) => (200, json!({"verificationToken": l.verification_token})),
            None => missing("magic link for that email"),
        },
        ("POST", ["v3", "keys", "revoke"]) => {
            let key = query.get("key").map(String::as_str).unwrap_or("");
            (200, json!({"revoked": w().v3.auth.revoke(key)}))
        }
        ("GET", ["v3", "transactions", reference]) => match w().v3.ledger.status_of(reference) {
            Some(status) => (200, json!({"reference": reference, "status": status})),
            None => missing("transaction with that reference"),
        },
        _ => return None,
    })
}

/// A decimal as the JSON number Node writes: integers without a fraction (`1000`, not
/// `1000.0`), others as the nearest double.
pub(crate) fn num(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Ok(i) = i64::try_from(d)
    {
        return json!(i);
    }
    d.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A JSON number (or numeric string) as an exact decimal.
pub(crate) fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok().or_else(|| {
            n.as_f64()
                .and_then(Decimal::from_f64_retain)
                .map(|d| d.normalize())
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
