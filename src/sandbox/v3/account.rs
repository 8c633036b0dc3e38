//! v3 accounts in the sandbox: credentials (API keys, secure-mode signatures, login sessions,
//! rate limits), magic-link logins, the integrator and its webhook settings, customers, fiat
//! and crypto wallets, account validation, and rates and quotes.
//!
//! Choices where Kotani's docs are silent (each one marked "our choice" where it is made):
//!
//! - **Credentials.** The issued key (`Sandbox::v3_api_key`) and every key made by
//!   `generate_api_key` / `generate_secure_api_key` work until [`Sandbox::revoke_v3_key`]; a
//!   revoked or unknown key gets 401 "Invalid API Key". A key with a secret (secure mode) must
//!   sign every request as `src/auth/signing.rs` does (GET: the last path segment; every other
//!   method: the exact body bytes, or `{}`), with a timestamp within 5 minutes of the *wall*
//!   clock (clients sign with wall time) and a nonce never seen before; otherwise 401.
//! - **Sessions.** Access tokens last one hour on the sandbox clock, then answer 401
//!   "Unauthorized" (the SDK refreshes and retries); refresh tokens last 30 days (our choice:
//!   Kotani documents no lifetime) and are single use: `refresh_token` rotates them, and an old
//!   one gets 404 "Invalid Refresh Token Passed" (the status and message of Kotani's OpenAPI
//!   file). Tokens look like JWTs but are opaque: they carry no `exp` the client could read.
//! - **Keys need a session.** `generate_api_key` and `generate_secure_api_key` take a login
//!   session's access token, as Kotani's API-keys guide says; an API key gets 403.
//! - **Logins.** Any e-mail address gets a link (the sandbox has no mailbox:
//!   [`Sandbox::magic_link`] reads it), valid for one hour on the sandbox clock and single use.
//!   Every link also has a verification token ([`Sandbox::human_verification_token`]) that
//!   `complete_human_verification` accepts instead of the link: Kotani routes only flagged
//!   logins there, and the sandbox flags none, so the test picks the route. Using either
//!   consumes both.
//! - **Customers.** A phone number must be international (`+254…`; a leading `+` or `00`, then
//!   10 to 15 digits, stored as `+digits`). Creating a customer whose phone number (bank payee:
//!   account number and bank code) is already registered returns the existing customer, same
//!   `customer_key`, 201, and changes nothing (our choice: Kotani's docs do not say).
//! - **Wallets.** One fiat wallet per currency and country: a second wallet in a currency is
//!   refused (400) unless both name different countries (XOF in SN and in CI). `locked: true`
//!   makes a wallet's status `inactive`, `locked: false` makes it `active` again.
//! - **Rates.** A fixed table ([`UNITS_PER_USD`]); every pair is the cross rate through USD to 8
//!   significant digits, and quotes are computed from that rate as shown, so a test can
//!   recompute them: collections (onramp, the collected leg of a fiat quote) pay
//!   [`COLLECTION_FEE`] on top, payouts (offramp, the paid leg) have [`PAYOUT_FEE`] deducted;
//!   fees are rounded first, fiat to the currency's unit (whole KES, UGX, TZS…; cents for USD,
//!   GHS, ZAR…).
//! - **Rate limits** (when on): Kotani's tiers per operation and per credential (the API key, or
//!   the login session whatever its current token), on the sandbox clock: reading 100 per 5 s
//!   and at most 20 per 5 s; moving money 60 per minute and at most 20 per 5 s; auth and key
//!   management 10 per minute and at most 3 per 10 s. A refused request is not counted. Public
//!   operations carry no key and are not limited (Kotani's per-IP edge cap is not simulated).

use std::collections::{HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, Mac};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::{CryptoWallet, Customer, FiatWallet, dec, num};
use crate::meta::{Credential, Family, OperationMeta};
use crate::sandbox::world::{self, Reply, Req, World, v3_ok, v3_validation};
use crate::sandbox::{Config, Sandbox, numbers};

/// An access token's life on the sandbox clock (Kotani: one hour).
const ACCESS_TTL_MS: i64 = 3_600_000;
/// A refresh token's life on the sandbox clock (our choice: Kotani documents none).
const REFRESH_TTL_MS: i64 = 30 * 86_400_000;
/// A magic link's life on the sandbox clock (Kotani: one hour).
const LINK_TTL_MS: i64 = 3_600_000;
/// How far a signed request's timestamp may be from the wall clock (Kotani: ±5 minutes).
const SIGNATURE_WINDOW_S: u64 = 300;

/// The collection fee (deposits, the fiat leg of an onramp, the collected leg of a fiat quote),
/// charged on top of the amount.
pub(crate) const COLLECTION_FEE: Decimal = Decimal::from_parts(25, 0, 0, false, 3);
/// The payout fee (withdrawals, the fiat leg of an offramp, the paid leg of a fiat quote),
/// deducted from the amount paid.
pub(crate) const PAYOUT_FEE: Decimal = Decimal::from_parts(2, 0, 0, false, 2);

/// A v3 API key.
struct ApiKey {
    key: String,
    /// The signing secret of a secure key.
    secret: Option<String>,
    revoked: bool,
}

/// A magic link sent by `send_magic_link`.
pub(crate) struct MagicLink {
    email: String,
    pub(crate) hash: String,
    /// What `complete_human_verification` accepts instead of the link.
    pub(crate) verification_token: String,
    issued_ms: i64,
    used: bool,
}

/// A login session.
struct LoginSession {
    user_id: String,
    session_id: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Access,
    Refresh,
}

/// A token of a login session.
struct Token {
    kind: TokenKind,
    /// Index into `Auth::sessions`.
    session: usize,
    expires_ms: i64,
}

/// A stored onramp or offramp quote (`rateId`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quote {
    /// `onramp` or `offramp`.
    pub kind: &'static str,
    /// The currency or token paid in.
    pub from: String,
    /// The currency or token paid out.
    pub to: String,
    /// The rate from `from` to `to`, as quoted.
    pub rate: Decimal,
    pub fiat_amount: Decimal,
    pub crypto_amount: Decimal,
    /// The fee, in the fiat currency.
    pub fee: Decimal,
    /// Onramp: the fiat converted after the fee; offramp: the fiat the recipient gets.
    pub transaction_amount: Decimal,
    /// Offramp: what the payout balance is debited.
    pub wallet_debit: Option<Decimal>,
    /// When it was made (sandbox clock, ms).
    pub created_ms: i64,
}

/// API keys, magic links, sessions, used nonces, rate-limit counters and quotes. Not `Debug`:
/// it holds secrets.
pub(crate) struct Auth {
    keys: Vec<ApiKey>,
    links: Vec<MagicLink>,
    /// `(lower-case e-mail, user id)`.
    users: Vec<(String, String)>,
    sessions: Vec<LoginSession>,
    tokens: HashMap<String, Token>,
    /// Nonces of signed requests, with their timestamp (wall clock, s).
    nonces: HashMap<String, u64>,
    /// Accepted requests per (credential identity, operation), sandbox ms, oldest first.
    hits: HashMap<(String, &'static str), VecDeque<i64>>,
    quotes: HashMap<String, Quote>,
}

impl Auth {
    pub(crate) fn new(config: &Config) -> Self {
        Auth {
            keys: vec![ApiKey {
                key: config.v3_api_key.clone(),
                secret: None,
                revoked: false,
            }],
            links: Vec::new(),
            users: Vec::new(),
            sessions: Vec::new(),
            tokens: HashMap::new(),
            nonces: HashMap::new(),
            hits: HashMap::new(),
            quotes: HashMap::new(),
        }
    }

    /// Revokes `key`; whether a working key was revoked.
    pub(crate) fn revoke(&mut self, key: &str) -> bool {
        match self.keys.iter_mut().find(|k| k.key == key && !k.revoked) {
            Some(k) => {
                k.revoked = true;
                true
            }
            None => false,
        }
    }

    /// The newest link sent to `email`.
    pub(crate) fn latest_link(&self, email: &str) -> Option<&MagicLink> {
        let email = email.trim().to_lowercase();
        self.links.iter().rev().find(|l| l.email == email)
    }
}

/// Who a credential is.
enum Who {
    /// A working API key (index into `Auth::keys`).
    Key(usize),
    /// A valid access token of this session.
    Session(usize),
    /// An access token past its hour.
    Expired,
    /// A refresh token, where an access token belongs.
    RefreshToken,
    /// Revoked or unknown.
    Unknown,
}

fn identify(auth: &Auth, credential: &str, now_ms: i64) -> Who {
    if let Some(i) = auth.keys.iter().position(|k| k.key == credential) {
        return if auth.keys[i].revoked {
            Who::Unknown
        } else {
            Who::Key(i)
        };
    }
    match auth.tokens.get(credential) {
        Some(t) if t.kind == TokenKind::Refresh => Who::RefreshToken,
        Some(t) if now_ms < t.expires_ms => Who::Session(t.session),
        Some(_) => Who::Expired,
        None => Who::Unknown,
    }
}

fn v3_error(status: u16, message: &str) -> Reply {
    world::error(Family::V3, status, message)
}

/// Checks the request's credential, then (when rate limits are on) its budget: `Err` is the
/// 401, 404 (a spent refresh token) or 429 to answer. Runs before every credentialed v3
/// operation, money included.
pub(crate) fn authenticate(w: &mut World, req: &Req<'_>) -> Result<(), Reply> {
    let now = w.now_ms();
    let Some(credential) = req.credential.as_deref() else {
        return Err(v3_error(401, "Unauthorized"));
    };
    let budget = if req.op.credential == Credential::RefreshToken {
        match w.v3.auth.tokens.get(credential) {
            Some(t) if t.kind == TokenKind::Refresh && now < t.expires_ms => {
                format!("session:{}", t.session)
            }
            _ => return Err(v3_error(404, "Invalid Refresh Token Passed")),
        }
    } else {
        match identify(&w.v3.auth, credential, now) {
            Who::Key(i) => {
                if let Some(secret) = w.v3.auth.keys[i].secret.clone() {
                    check_signature(&mut w.v3.auth, req, &secret)?;
                }
                format!("key:{i}")
            }
            Who::Session(s) => format!("session:{s}"),
            Who::Expired | Who::RefreshToken => return Err(v3_error(401, "Unauthorized")),
            Who::Unknown => return Err(v3_error(401, "Invalid API Key")),
        }
    };
    if w.config.rate_limits
        && let Err(retry_after) = throttle(&mut w.v3.auth, budget, req.op, now, w.config.rate_limit_factor)
    {
        return Err(Reply::new(
            429,
            json!({
                "statusCode": 429,
                "message": "ThrottlerException: Too Many Requests",
                "error": "Too Many Requests",
                "data": {"retryAfter": retry_after},
            }),
        ));
    }
    Ok(())
}

/// Secure mode: the three headers, the wall-clock window, a fresh nonce, and the HMAC over
/// `"{timestamp}.{nonce}.{payload}"` as `src/auth/signing.rs` computes it.
fn check_signature(auth: &mut Auth, req: &Req<'_>, secret: &str) -> Result<(), Reply> {
    let refuse = |why: &str| Err(v3_error(401, &format!("Unauthorized: {why}")));
    let header = |name: &str| req.header(name).map(str::trim).filter(|v| !v.is_empty());
    let (Some(ts), Some(nonce), Some(signature)) =
        (header("x-timestamp"), header("x-nonce"), header("x-signature"))
    else {
        return refuse("secure mode needs the x-timestamp, x-nonce and x-signature headers");
    };
    let Ok(timestamp) = ts.parse::<u64>() else {
        return refuse("x-timestamp is not a Unix time in seconds");
    };
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if wall.abs_diff(timestamp) > SIGNATURE_WINDOW_S {
        return refuse("x-timestamp is more than 5 minutes from the server's time");
    }
    if nonce.len() > 128 {
        return refuse("x-nonce is too long");
    }
    let Ok(given) = hex::decode(signature) else {
        return refuse("the signature does not match");
    };
    let matches = signed_payloads(req).iter().any(|payload| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(nonce.as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(&given).is_ok()
    });
    if !matches {
        return refuse("the signature does not match");
    }
    if auth.nonces.contains_key(nonce) {
        return refuse("the nonce has been used before");
    }
    // Nonces older than the window can no longer be replayed: forget them.
    if auth.nonces.len() > 10_000 {
        auth.nonces
            .retain(|_, t| wall.abs_diff(*t) <= 2 * SIGNATURE_WINDOW_S);
    }
    auth.nonces.insert(nonce.to_string(), timestamp);
    Ok(())
}

/// What the client may have signed: GET, the last path segment (as sent, percent-encoded or
/// not: the server sees it decoded); any other method, the body bytes or `{}`.
fn signed_payloads(req: &Req<'_>) -> Vec<Vec<u8>> {
    if req.op.method == "GET" {
        let last = req.op.path.rsplit('/').next().unwrap_or("");
        match last.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let decoded = req.param(name);
                let encoded = percent_encoding::utf8_percent_encode(decoded, PATH_SEGMENT).to_string();
                vec![decoded.as_bytes().to_vec(), encoded.into_bytes()]
            }
            None => vec![last.as_bytes().to_vec()],
        }
    } else if req.raw.is_empty() {
        vec![b"{}".to_vec()]
    } else {
        vec![req.raw.to_vec()]
    }
}

/// The characters a client percent-encodes in a path segment (the URL standard's set, as the
/// generated client encodes path parameters).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// Kotani's rate-limit tier of an operation: two `(requests, window in ms)` limits.
fn tier(op: &OperationMeta) -> [(usize, i64); 2] {
    const AUTH: [&str; 6] = [
        "send_magic_link",
        "verify_magic_link",
        "complete_human_verification",
        "refresh_token",
        "generate_api_key",
        "generate_secure_api_key",
    ];
    if AUTH.contains(&op.id) {
        [(10, 60_000), (3, 10_000)]
    } else if op.moves_money {
        [(60, 60_000), (20, 5_000)]
    } else {
        [(100, 5_000), (20, 5_000)]
    }
}

/// Counts one request of `who` to `op` at `now`, or says how many seconds to wait. `factor`
/// multiplies the tier's request counts (a raised account).
fn throttle(
    auth: &mut Auth,
    who: String,
    op: &'static OperationMeta,
    now: i64,
    factor: u32,
) -> Result<(), i64> {
    let limits = tier(op).map(|(n, window)| (n.saturating_mul(factor.max(1) as usize), window));
    let longest = limits.iter().map(|l| l.1).max().unwrap_or(0);
    let hits = auth.hits.entry((who, op.id)).or_default();
    while hits.front().is_some_and(|t| now - t >= longest) {
        hits.pop_front();
    }
    let mut wait_ms = 0;
    for (limit, window) in limits {
        let inside: Vec<i64> = hits.iter().copied().filter(|t| now - t < window).collect();
        if inside.len() >= limit {
            // The oldest requests have to leave the window until one more fits.
            let leaving = inside[inside.len() - limit];
            wait_ms = wait_ms.max(leaving + window - now);
        }
    }
    if wait_ms > 0 {
        return Err(((wait_ms + 999) / 1000).max(1));
    }
    hits.push_back(now);
    Ok(())
}

/// Answers the accounts operations; `None` for others.
pub(crate) fn handle(w: &mut World, req: &Req<'_>) -> Option<Reply> {
    Some(match req.op.id {
        "check_api_key" => Reply::new(200, json!({"status": "ok", "timestamp": w.timestamp()})),
        "send_magic_link" => send_magic_link(w, req),
        "verify_magic_link" => verify_magic_link(w, req),
        "complete_human_verification" => complete_human_verification(w, req),
        "refresh_token" => refresh(w, req),
        "generate_api_key" => generate_key(w, req, false),
        "generate_secure_api_key" => generate_key(w, req, true),
        "get_integrator" => v3_ok(
            req,
            "The record has been successfully retrieved.",
            w.v3.integrator.json(),
        ),
        "create_integrator" => create_integrator(w, req),
        "update_integrator_webhook" => update_integrator_webhook(w, req),
        "create_customer" => create_customer(w, req),
        "list_customers" => list_customers(w, req),
        "get_customer" => match w.v3.customer(req.param("customer_key")) {
            Some(c) => v3_ok(req, "Customer fetched successfully.", c.json.clone()),
            None => v3_error(404, "Customer not found."),
        },
        "update_customer" => update_customer(w, req),
        "get_customer_by_phone" => get_customer_by_phone(w, req),
        "create_fiat_wallet" => create_fiat_wallet(w, req),
        "list_fiat_wallets" => {
            let id = w.v3.integrator.id.clone();
            let list: Vec<Value> = w.v3.fiat_wallets.iter().map(|f| f.json(&id)).collect();
            v3_ok(req, "Fiat wallet has been successfully retrieved.", json!(list))
        }
        "get_fiat_wallet" => {
            let id = w.v3.integrator.id.clone();
            match w.v3.fiat_wallets.iter().find(|f| f.id == req.param("id")) {
                Some(f) => v3_ok(req, "The wallet has been successfully retrieved.", f.json(&id)),
                None => v3_error(404, "Wallet Not Found"),
            }
        }
        "update_fiat_wallet" => update_fiat_wallet(w, req),
        "get_fiat_wallet_by_currency" => get_fiat_wallet_by_currency(w, req),
        "create_crypto_wallet" => create_crypto_wallet(w, req),
        "list_crypto_wallets" => {
            let list: Vec<Value> = w.v3.crypto_wallets.iter().map(|c| crypto_json(c, true)).collect();
            v3_ok(req, "Crypto wallet has been successfully retrieved.", json!(list))
        }
        "get_crypto_wallet" => match w.v3.crypto_wallets.iter().find(|c| c.id == req.param("id")) {
            Some(c) => v3_ok(
                req,
                "Crypto Wallet has been successfully retrieved.",
                crypto_json(c, true),
            ),
            None => v3_error(404, "Wallet Not Found"),
        },
        "validate_mobile_money_account" => validate_mobile_money(req),
        "validate_bank_account" => validate_bank(req),
        "list_rates" => v3_ok(req, "Available exchange rate.", rate_list()),
        "list_public_rates" => v3_ok(req, "Available exchange rates.", rate_list()),
        "get_rate" | "get_public_rate" => {
            let (from, to) = (req.param("from"), req.param("to"));
            match rate(from, to) {
                Some(r) => v3_ok(
                    req,
                    "Available exchange rate.",
                    json!({"from": from.trim().to_uppercase(), "to": to.trim().to_uppercase(), "value": r.to_string()}),
                ),
                None => v3_error(404, "Exchange rate not found"),
            }
        }
        "create_onramp_quote" => create_onchain_quote(w, req, true),
        "create_offramp_quote" => create_onchain_quote(w, req, false),
        "create_fiat_quote" => create_fiat_quote(req),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Logins, sessions, keys

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT-looking token (header, claims, signature) whose claims say nothing about its expiry.
fn jwt(w: &mut World, kind: &str, user_id: &str, session_id: &str) -> String {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({"sub": user_id, "sid": session_id, "typ": kind, "jti": w.hex(24)});
    let claims = b64(claims.to_string().as_bytes());
    let signature = hex::decode(w.hex(64)).unwrap_or_default();
    w.secret(format!("{header}.{claims}.{}", b64(&signature)))
}

/// Issues a fresh access and refresh token for session `s`.
fn issue_tokens(w: &mut World, s: usize) -> (String, String) {
    let (user_id, session_id) = {
        let session = &w.v3.auth.sessions[s];
        (session.user_id.clone(), session.session_id.clone())
    };
    let access = jwt(w, "access", &user_id, &session_id);
    let refresh = jwt(w, "refresh", &user_id, &session_id);
    let now = w.now_ms();
    w.v3.auth.tokens.insert(
        access.clone(),
        Token {
            kind: TokenKind::Access,
            session: s,
            expires_ms: now + ACCESS_TTL_MS,
        },
    );
    w.v3.auth.tokens.insert(
        refresh.clone(),
        Token {
            kind: TokenKind::Refresh,
            session: s,
            expires_ms: now + REFRESH_TTL_MS,
        },
    );
    (access, refresh)
}

/// Opens a session for `email`: the `SessionTokens` schema.
fn open_session(w: &mut World, email: &str) -> Value {
    let user_id = match w.v3.auth.users.iter().find(|(e, _)| e == email) {
        Some((_, id)) => id.clone(),
        None => {
            let id = w.hex(24);
            w.v3.auth.users.push((email.to_string(), id.clone()));
            id
        }
    };
    let session_id = w.uuid();
    let token_id = w.hex(24);
    w.v3.auth.sessions.push(LoginSession {
        user_id: user_id.clone(),
        session_id: session_id.clone(),
    });
    let s = w.v3.auth.sessions.len() - 1;
    let (token, refresh_token) = issue_tokens(w, s);
    json!({
        "user_id": user_id,
        "session_id": session_id,
        "token_id": token_id,
        "token": token,
        "refresh_token": refresh_token,
    })
}

/// Loosely: something@domain.tld, no spaces.
fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn send_magic_link(w: &mut World, req: &Req<'_>) -> Reply {
    let email = req.str("email").unwrap_or("").trim().to_lowercase();
    if email.is_empty() {
        return v3_validation(&["email should not be empty".into()]);
    }
    if !is_email(&email) {
        return v3_validation(&["email must be an email".into()]);
    }
    let hash = w.hex(64);
    let hash = w.secret(hash);
    let verification_token = w.uuid();
    let verification_token = w.secret(verification_token);
    let issued_ms = w.now_ms();
    w.v3.auth.links.push(MagicLink {
        email,
        hash,
        verification_token,
        issued_ms,
        used: false,
    });
    v3_ok(req, "login magic link sent to your email", json!({}))
}

/// Consumes link `i` if it can still be used: the e-mail it was sent to, or the 400 to answer.
fn consume_link(w: &mut World, i: usize) -> Result<String, Reply> {
    let now = w.now_ms();
    let link = &mut w.v3.auth.links[i];
    if link.used {
        return Err(v3_error(400, "This login link has already been used"));
    }
    if now - link.issued_ms >= LINK_TTL_MS {
        return Err(v3_error(400, "This login link has expired; request a new one"));
    }
    link.used = true;
    Ok(link.email.clone())
}

fn verify_magic_link(w: &mut World, req: &Req<'_>) -> Reply {
    let hash = req.query("hash").unwrap_or("").trim();
    if hash.is_empty() {
        return v3_validation(&["hash should not be empty".into()]);
    }
    let Some(i) = w.v3.auth.links.iter().position(|l| l.hash == hash) else {
        return v3_error(400, "Invalid login link");
    };
    match consume_link(w, i) {
        Ok(email) => {
            let tokens = open_session(w, &email);
            v3_ok(req, "ok", tokens)
        }
        Err(r) => r,
    }
}

fn complete_human_verification(w: &mut World, req: &Req<'_>) -> Reply {
    let token = req.str("verificationToken").unwrap_or("").trim();
    if token.is_empty() {
        return v3_validation(&["verificationToken should not be empty".into()]);
    }
    let Some(i) = w.v3.auth.links.iter().position(|l| l.verification_token == token) else {
        return v3_error(400, "Invalid verification token");
    };
    match consume_link(w, i) {
        Ok(email) => {
            let tokens = open_session(w, &email);
            v3_ok(req, "Human verification successful", tokens)
        }
        Err(r) => r,
    }
}

/// `refresh_token`: `authenticate` has checked the refresh token; rotate it.
fn refresh(w: &mut World, req: &Req<'_>) -> Reply {
    let Some(old) = req.credential.as_deref() else {
        return v3_error(404, "Invalid Refresh Token Passed");
    };
    let Some(s) =
        w.v3.auth
            .tokens
            .get(old)
            .filter(|t| t.kind == TokenKind::Refresh)
            .map(|t| t.session)
    else {
        return v3_error(404, "Invalid Refresh Token Passed");
    };
    w.v3.auth.tokens.remove(old);
    let (token, refresh_token) = issue_tokens(w, s);
    let session = &w.v3.auth.sessions[s];
    v3_ok(
        req,
        "ok",
        json!({
            "user_id": session.user_id,
            "session_id": session.session_id,
            "token": token,
            "refresh_token": refresh_token,
        }),
    )
}

fn generate_key(w: &mut World, req: &Req<'_>, secure: bool) -> Reply {
    let now = w.now_ms();
    let credential = req.credential.as_deref().unwrap_or("");
    let Who::Session(s) = identify(&w.v3.auth, credential, now) else {
        return v3_error(
            403,
            "Unauthorized: API keys are generated with a login session's access token, not with an API key",
        );
    };
    let user_id = w.v3.auth.sessions[s].user_id.clone();
    let claims = json!({"user_id": user_id, "created_at": w.timestamp()});
    let key = format!("{}.{}", b64(claims.to_string().as_bytes()), w.hex(64));
    let key = w.secret(key);
    let secret = secure.then(|| {
        let s = w.hex(64);
        w.secret(s)
    });
    w.v3.auth.keys.push(ApiKey {
        key: key.clone(),
        secret: secret.clone(),
        revoked: false,
    });
    let data = match secret {
        Some(secret) => json!({"key": key, "secret": secret}),
        None => json!({"key": key}),
    };
    v3_ok(req, "Api-key generated successfully", data)
}

// ---------------------------------------------------------------------------------------------
// The integrator

/// `Err`: the 400 for a URL that is not an http(s) URL (the sandbox accepts `http://`, so that
/// receivers on loopback work; Kotani asks for a public HTTPS URL).
fn check_url(field: &str, url: &str) -> Result<(), Reply> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(v3_validation(&[format!("{field} must be a URL address")])),
    }
}

/// Applies `webhook_url`, `webhook_secret` and `webhook_events` when present (`null` or `""`
/// clears the URL or the secret; `null` or `[]` means every event).
fn apply_webhook_settings(w: &mut World, body: &Value) -> Result<(), Reply> {
    let url = match body.get("webhook_url") {
        Some(Value::String(u)) if !u.trim().is_empty() => {
            check_url("webhook_url", u.trim())?;
            Some(Some(u.trim().to_string()))
        }
        Some(Value::String(_) | Value::Null) => Some(None),
        _ => None,
    };
    if let Some(Value::String(s)) = body.get("webhook_secret") {
        w.secret(s.clone());
    }
    let integrator = &mut w.v3.integrator;
    if let Some(url) = url {
        integrator.webhook_url = url;
    }
    match body.get("webhook_secret") {
        Some(Value::String(s)) if !s.is_empty() => integrator.webhook_secret = Some(s.clone()),
        Some(Value::String(_) | Value::Null) => integrator.webhook_secret = None,
        _ => {}
    }
    match body.get("webhook_events") {
        Some(Value::Array(events)) => {
            let mut list: Vec<String> = Vec::new();
            for e in events.iter().filter_map(Value::as_str) {
                if !list.iter().any(|x| x == e) {
                    list.push(e.to_string());
                }
            }
            integrator.webhook_events = list;
        }
        Some(Value::Null) => integrator.webhook_events.clear(),
        _ => {}
    }
    Ok(())
}

fn update_integrator_webhook(w: &mut World, req: &Req<'_>) -> Reply {
    if let Err(r) = apply_webhook_settings(w, &req.json) {
        return r;
    }
    v3_ok(
        req,
        "Integrator webhook settings updated successfully.",
        w.v3.integrator.json(),
    )
}

/// `create_integrator`: the sandbox has one integrator; signing up writes its profile (the id,
/// the keys and the wallets stay), and the webhook settings when given (our choice).
fn create_integrator(w: &mut World, req: &Req<'_>) -> Reply {
    let field = |name: &str| req.str(name).unwrap_or("").trim().to_string();
    let required = [
        "organization",
        "product_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "country_code",
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|f| field(f).is_empty())
        .map(|f| format!("{f} should not be empty"))
        .collect();
    if !missing.is_empty() {
        return v3_validation(&missing);
    }
    if !is_email(&field("email")) {
        return v3_validation(&["email must be an email".into()]);
    }
    if country(&field("country_code")).is_none() {
        return v3_validation(&["country_code must be a valid ISO 3166 country code".into()]);
    }
    if let Some(Value::String(u)) = req.json.get("webhook_url")
        && !u.trim().is_empty()
        && let Err(r) = check_url("webhook_url", u.trim())
    {
        return r;
    }
    let i = &mut w.v3.integrator;
    i.organization = field("organization");
    i.first_name = field("first_name");
    i.last_name = field("last_name");
    i.email = field("email").to_lowercase();
    i.phone = field("phone");
    if let Err(r) = apply_webhook_settings(w, &req.json) {
        return r;
    }
    v3_ok(
        req,
        "The record has been successfully created.",
        w.v3.integrator.json(),
    )
}

// ---------------------------------------------------------------------------------------------
// Countries and phone numbers

/// A country the sandbox knows: ISO-2, ISO-3, name, calling code, currency, mobile-money
/// networks `(prefixes after the calling code, network, operator)`, the first being the default.
struct Country {
    iso2: &'static str,
    iso3: &'static str,
    name: &'static str,
    calling: &'static str,
    currency: &'static str,
    networks: &'static [(&'static [&'static str], &'static str, &'static str)],
}

const COUNTRIES: &[Country] = &[
    Country {
        iso2: "KE",
        iso3: "KEN",
        name: "Kenya",
        calling: "254",
        currency: "KES",
        networks: &[
            (&[], "MPESA", "SAFARICOM KENYA"),
            (&["73", "75", "78", "10"], "AIRTEL", "AIRTEL KENYA"),
        ],
    },
    Country {
        iso2: "UG",
        iso3: "UGA",
        name: "Uganda",
        calling: "256",
        currency: "UGX",
        networks: &[
            (&[], "MTN", "MTN UGANDA"),
            (&["70", "74", "75", "20"], "AIRTEL", "AIRTEL UGANDA"),
        ],
    },
    Country {
        iso2: "GH",
        iso3: "GHA",
        name: "Ghana",
        calling: "233",
        currency: "GHS",
        networks: &[
            (&[], "MTN", "MTN GHANA"),
            (&["20", "50"], "VODAFONE", "TELECEL GHANA"),
            (&["26", "27", "56", "57"], "AIRTEL", "AIRTELTIGO GHANA"),
        ],
    },
    Country {
        iso2: "TZ",
        iso3: "TZA",
        name: "Tanzania",
        calling: "255",
        currency: "TZS",
        networks: &[
            (&[], "VODACOM", "VODACOM TANZANIA"),
            (&["65", "67", "71", "77"], "TIGO", "YAS TANZANIA"),
            (&["68", "69", "78"], "AIRTEL", "AIRTEL TANZANIA"),
            (&["62"], "HALOPESA", "HALOTEL TANZANIA"),
        ],
    },
    Country {
        iso2: "ZM",
        iso3: "ZMB",
        name: "Zambia",
        calling: "260",
        currency: "ZMW",
        networks: &[
            (&[], "MTN", "MTN ZAMBIA"),
            (&["97", "77"], "AIRTEL", "AIRTEL ZAMBIA"),
            (&["95"], "ZAMTEL", "ZAMTEL"),
        ],
    },
    Country {
        iso2: "RW",
        iso3: "RWA",
        name: "Rwanda",
        calling: "250",
        currency: "RWF",
        networks: &[
            (&[], "MTN", "MTN RWANDA"),
            (&["72", "73"], "AIRTEL", "AIRTEL RWANDA"),
        ],
    },
    Country {
        iso2: "NG",
        iso3: "NGA",
        name: "Nigeria",
        calling: "234",
        currency: "NGN",
        networks: &[(&[], "MTN", "MTN NIGERIA")],
    },
    Country {
        iso2: "ZA",
        iso3: "ZAF",
        name: "South Africa",
        calling: "27",
        currency: "ZAR",
        networks: &[(&[], "VODACOM", "VODACOM SOUTH AFRICA")],
    },
    Country {
        iso2: "CI",
        iso3: "CIV",
        name: "Côte d'Ivoire",
        calling: "225",
        currency: "XOF",
        networks: &[
            (&[], "ORANGE", "ORANGE COTE D'IVOIRE"),
            (&["05"], "MTN", "MTN COTE D'IVOIRE"),
            (&["01"], "MOOV", "MOOV AFRICA COTE D'IVOIRE"),
        ],
    },
    Country {
        iso2: "SN",
        iso3: "SEN",
        name: "Senegal",
        calling: "221",
        currency: "XOF",
        networks: &[
            (&[], "ORANGE", "ORANGE SENEGAL"),
            (&["76"], "FREE", "FREE SENEGAL"),
            (&["70"], "EXPRESSO", "EXPRESSO SENEGAL"),
        ],
    },
    Country {
        iso2: "CM",
        iso3: "CMR",
        name: "Cameroon",
        calling: "237",
        currency: "XAF",
        networks: &[
            (&[], "MTN", "MTN CAMEROON"),
            (&["69"], "ORANGE", "ORANGE CAMEROON"),
        ],
    },
    Country {
        iso2: "CD",
        iso3: "COD",
        name: "DR Congo",
        calling: "243",
        currency: "CDF",
        networks: &[
            (&[], "VODACOM", "VODACOM CONGO"),
            (&["97", "99"], "AIRTEL", "AIRTEL CONGO"),
            (&["84", "85", "89"], "ORANGE", "ORANGE RDC"),
        ],
    },
    Country {
        iso2: "MW",
        iso3: "MWI",
        name: "Malawi",
        calling: "265",
        currency: "MWK",
        networks: &[(&[], "AIRTEL", "AIRTEL MALAWI")],
    },
    Country {
        iso2: "ET",
        iso3: "ETH",
        name: "Ethiopia",
        calling: "251",
        currency: "ETB",
        networks: &[(&[], "MPESA", "SAFARICOM ETHIOPIA")],
    },
    Country {
        iso2: "EG",
        iso3: "EGY",
        name: "Egypt",
        calling: "20",
        currency: "EGP",
        networks: &[(&[], "VODAFONE", "VODAFONE EGYPT")],
    },
    Country {
        iso2: "BJ",
        iso3: "BEN",
        name: "Benin",
        calling: "229",
        currency: "XOF",
        networks: &[
            (&[], "MTN", "MTN BENIN"),
            (&["94", "95"], "MOOV", "MOOV AFRICA BENIN"),
        ],
    },
    Country {
        iso2: "TG",
        iso3: "TGO",
        name: "Togo",
        calling: "228",
        currency: "XOF",
        networks: &[
            (&[], "TMONEY", "TOGOCOM"),
            (&["79", "99"], "MOOV", "MOOV AFRICA TOGO"),
        ],
    },
    Country {
        iso2: "SL",
        iso3: "SLE",
        name: "Sierra Leone",
        calling: "232",
        currency: "SLE",
        networks: &[(&[], "ORANGE", "ORANGE SIERRA LEONE")],
    },
    Country {
        iso2: "MZ",
        iso3: "MOZ",
        name: "Mozambique",
        calling: "258",
        currency: "MZN",
        networks: &[(&[], "VODACOM", "VODACOM MOZAMBIQUE")],
    },
    Country {
        iso2: "US",
        iso3: "USA",
        name: "United States",
        calling: "1",
        currency: "USD",
        networks: &[],
    },
];

/// A country by ISO-2 or ISO-3 code (any case).
fn country(code: &str) -> Option<&'static Country> {
    let code = code.trim().to_uppercase();
    COUNTRIES.iter().find(|c| c.iso2 == code || c.iso3 == code)
}

/// A country code normalised to ISO-2 (Kotani accepts ISO-2 or ISO-3); an unknown two-letter
/// code is kept as sent, upper case. `None` for anything else.
fn iso2(code: &str) -> Option<String> {
    let code = code.trim();
    if let Some(c) = country(code) {
        return Some(c.iso2.to_string());
    }
    (code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic())).then(|| code.to_uppercase())
}

/// A phone number in international form, `+` and its digits; `None` when it is not (a national
/// number with a leading 0, too short or long, not a number).
fn international(phone: &str) -> Option<String> {
    let cleaned: String = phone
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = cleaned
        .strip_prefix('+')
        .or_else(|| cleaned.strip_prefix("00"))
        .unwrap_or(&cleaned);
    let ok = digits.chars().all(|c| c.is_ascii_digit())
        && (10..=15).contains(&digits.len())
        && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// The country of an international number (`+digits`) by its calling code, and the national
/// part after it.
fn country_of_number(number: &str) -> Option<(&'static Country, &str)> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (1..=3).rev().find_map(|n| {
        let (code, rest) = (digits.get(..n)?, digits.get(n..)?);
        COUNTRIES.iter().find(|c| c.calling == code).map(|c| (c, rest))
    })
}

/// The network and operator of a national number.
fn network_of(c: &Country, national: &str) -> Option<(&'static str, &'static str)> {
    let found = c
        .networks
        .iter()
        .find(|(prefixes, _, _)| prefixes.iter().any(|p| national.starts_with(p)))
        .or(c.networks.first())?;
    Some((found.1, found.2))
}

// ---------------------------------------------------------------------------------------------
// Customers

/// The fields of `CreateCustomerRequest` / `UpdateCustomerRequest` a customer keeps.
const CUSTOMER_FIELDS: [&str; 13] = [
    "phone_number",
    "country_code",
    "network",
    "account_name",
    "account_number",
    "bank_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "id_number",
    "id_type",
    "image",
    "email",
];

/// The customer fields of a request body, checked and normalised (phone number international,
/// country code ISO-2), or the 400.
fn customer_fields(req: &Req<'_>) -> Result<Map<String, Value>, Reply> {
    let mut fields = Map::new();
    for name in CUSTOMER_FIELDS {
        if let Some(v) = req.json.get(name).filter(|v| !v.is_null()) {
            fields.insert(name.to_string(), v.clone());
        }
    }
    let country_code = fields
        .get("country_code")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if country_code.is_empty() {
        return Err(v3_validation(&["country_code should not be empty".into()]));
    }
    let Some(code) = iso2(&country_code) else {
        return Err(v3_validation(&[
            "country_code must be a valid ISO 3166 alpha-2 or alpha-3 code".into(),
        ]));
    };
    fields.insert("country_code".into(), json!(code));
    let phone = fields
        .get("phone_number")
        .and_then(Value::as_str)
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    match phone {
        Some(p) => match international(&p) {
            Some(n) => {
                fields.insert("phone_number".into(), json!(n));
            }
            None => {
                return Err(v3_validation(&[
                    "phone_number must be a valid phone number in international format (e.g. +254712345678)"
                        .into(),
                ]));
            }
        },
        None => {
            fields.remove("phone_number");
        }
    }
    Ok(fields)
}

/// Whether customer `c` is the same payer or payee as `fields` (same phone number; without one,
/// same account number and bank code).
fn same_party(c: &Customer, fields: &Map<String, Value>) -> bool {
    let get = |m: &Value, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    match fields.get("phone_number").and_then(Value::as_str) {
        Some(p) => c.phone() == Some(p),
        None => {
            let (acc, bank) = (
                fields.get("account_number").and_then(Value::as_str),
                fields.get("bank_code").and_then(Value::as_str),
            );
            c.phone().is_none()
                && acc.is_some()
                && get(&c.json, "account_number").as_deref() == acc
                && get(&c.json, "bank_code").as_deref() == bank
        }
    }
}

fn create_customer(w: &mut World, req: &Req<'_>) -> Reply {
    let fields = match customer_fields(req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let has_account = fields
        .get("account_number")
        .and_then(Value::as_str)
        .is_some_and(|a| !a.trim().is_empty());
    if !fields.contains_key("phone_number") && !has_account {
        return v3_validation(&["phone_number should not be empty".into()]);
    }
    if let Some(existing) = w.v3.customers.iter().find(|c| same_party(c, &fields)) {
        return v3_ok(req, "Customer already exists.", existing.json.clone());
    }
    let id = w.hex(24);
    let customer_key = w.uuid();
    let mut json = Value::Object(fields);
    json["id"] = json!(id);
    json["customer_key"] = json!(customer_key);
    json["integrator"] = json!(w.v3.integrator.id);
    w.v3.customers.push(Customer {
        customer_key,
        json: json.clone(),
    });
    v3_ok(req, "Customer has been successfully created.", json)
}

fn update_customer(w: &mut World, req: &Req<'_>) -> Reply {
    let key = req.param("customer_key");
    let Some(i) = w.v3.customers.iter().position(|c| c.customer_key == key) else {
        return v3_error(404, "Customer not found.");
    };
    let fields = match customer_fields(req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(phone) = fields.get("phone_number").and_then(Value::as_str)
        && w.v3
            .customers
            .iter()
            .enumerate()
            .any(|(j, c)| j != i && c.phone() == Some(phone))
    {
        return v3_error(400, "Another customer already has this phone number");
    }
    let customer = &mut w.v3.customers[i];
    for (k, v) in fields {
        customer.json[k] = v;
    }
    v3_ok(
        req,
        "Bio Data has been successfully updated.",
        customer.json.clone(),
    )
}

/// A positive integer query parameter, its default when absent, or the 400.
fn positive(req: &Req<'_>, name: &str, default: u64) -> Result<u64, Reply> {
    match req.query(name).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(v3_validation(&[format!("{name} must be a positive number")])),
        },
    }
}

/// `list_customers`: oldest first; `page` 1-based (default 1), `limit` default 20, at most 100
/// (our choice: Kotani documents neither).
fn list_customers(w: &mut World, req: &Req<'_>) -> Reply {
    let (page, limit) = match (positive(req, "page", 1), positive(req, "limit", 20)) {
        (Ok(p), Ok(l)) => (p, l.min(100)),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let skip = (page - 1).saturating_mul(limit);
    let list: Vec<Value> =
        w.v3.customers
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(limit as usize)
            .map(|c| c.json.clone())
            .collect();
    v3_ok(req, "Customers successfully retrieved.", json!(list))
}

fn get_customer_by_phone(w: &mut World, req: &Req<'_>) -> Reply {
    let wanted = international(req.param("phone_number"));
    match w
        .v3
        .customers
        .iter()
        .find(|c| wanted.is_some() && c.phone() == wanted.as_deref())
    {
        Some(c) => v3_ok(req, "Customer fetched successfully.", c.json.clone()),
        None => v3_error(404, "Customer not found."),
    }
}

// ---------------------------------------------------------------------------------------------
// Wallets

/// The 400 for an empty required string field, else its trimmed value.
fn required(req: &Req<'_>, field: &str) -> Result<String, Reply> {
    match req.str(field).map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(s.to_string()),
        None => Err(v3_validation(&[format!("{field} should not be empty")])),
    }
}

/// An optional country code field, normalised to ISO-2, or the 400.
fn optional_country(req: &Req<'_>, field: &str) -> Result<Option<String>, Reply> {
    match req.str(field).map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(c) => iso2(c).map(Some).ok_or_else(|| {
            v3_validation(&[format!(
                "{field} must be a valid ISO 3166 alpha-2 or alpha-3 code"
            )])
        }),
    }
}

fn create_fiat_wallet(w: &mut World, req: &Req<'_>) -> Reply {
    let (name, currency, country) = match (
        required(req, "name"),
        required(req, "currency"),
        optional_country(req, "country"),
    ) {
        (Ok(n), Ok(c), Ok(k)) => (n, c.to_uppercase(), k),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return v3_validation(&["currency must be a 3-letter ISO 4217 code".into()]);
    }
    let clash = w.v3.fiat_wallets.iter().any(|f| {
        f.currency == currency
            && match (&f.country, &country) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    });
    if clash {
        return v3_error(400, &format!("A {currency} fiat wallet already exists"));
    }
    let wallet = FiatWallet {
        id: w.hex(24),
        name,
        currency,
        country,
        status: "active".into(),
        balance: Decimal::ZERO,
        deposit_balance: Decimal::ZERO,
    };
    let json = wallet.json(&w.v3.integrator.id);
    w.v3.fiat_wallets.push(wallet);
    v3_ok(req, "Fiat wallet has been successfully created.", json)
}

fn update_fiat_wallet(w: &mut World, req: &Req<'_>) -> Reply {
    let Some(i) = w.v3.fiat_wallets.iter().position(|f| f.id == req.param("id")) else {
        return v3_error(404, "Wallet Not Found");
    };
    let (name, country) = match (required(req, "name"), optional_country(req, "country")) {
        (Ok(n), Ok(c)) => (n, c),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let integrator = w.v3.integrator.id.clone();
    let wallet = &mut w.v3.fiat_wallets[i];
    wallet.name = name;
    if country.is_some() {
        wallet.country = country;
    }
    match req.json.get("locked").and_then(Value::as_bool) {
        Some(true) => wallet.status = "inactive".into(),
        Some(false) => wallet.status = "active".into(),
        None => {}
    }
    v3_ok(
        req,
        "Fiat wallet has been successfully updated.",
        wallet.json(&integrator),
    )
}

fn get_fiat_wallet_by_currency(w: &mut World, req: &Req<'_>) -> Reply {
    let currency = req.param("currency").trim().to_uppercase();
    let country = req.query("country").and_then(iso2);
    let id = w.v3.integrator.id.clone();
    match w.v3.fiat_wallets.iter().find(|f| {
        f.currency == currency
            && match &country {
                Some(c) => f.country.as_deref() == Some(c.as_str()),
                None => true,
            }
    }) {
        Some(f) => v3_ok(req, "The wallet has been successfully retrieved.", f.json(&id)),
        None => v3_error(404, "Wallet Not Found"),
    }
}

/// The token a new wallet on `chain` holds (Kotani: "the token follows from the chain").
fn chain_token(chain: &str) -> &'static str {
    match chain {
        "LIGHTNING" => "SAT",
        "CARDANO" => "ADA",
        "HEDERA" => "HBAR",
        "PROVENANCE" => "HASH",
        "FUSE" => "FUSE",
        "STELLAR" | "SOLANA" | "BASE" => "USDC",
        _ => "USDT",
    }
}

/// A made-up address of the shape `chain` uses.
fn chain_address(w: &mut World, chain: &str) -> String {
    const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut pick = |alphabet: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| char::from(alphabet[w.rng.usize(..alphabet.len())]))
            .collect()
    };
    match chain {
        "TRON" => format!("T{}", pick(BASE58, 33)),
        "SOLANA" => pick(BASE58, 44),
        "STELLAR" => format!("G{}", pick(BASE32, 55)),
        "LIGHTNING" => format!("02{}", w.hex(64)),
        "CARDANO" => format!("addr1{}", pick(b"023456789acdefghjklmnpqrstuvwxyz", 53)),
        "HEDERA" => format!("0.0.{}", w.rng.u32(100_000..10_000_000)),
        _ => format!("0x{}", w.hex(40)),
    }
}

/// The block explorer page of an address, for the chains that have a well-known one.
fn explorer(chain: &str, address: &str) -> Option<String> {
    let base = match chain {
        "ETHEREUM" => "https://etherscan.io/address/",
        "CELO" => "https://celoscan.io/address/",
        "POLYGON" => "https://polygonscan.com/address/",
        "BINANCE" => "https://bscscan.com/address/",
        "ARBITRUM" => "https://arbiscan.io/address/",
        "OPTIMISM" => "https://optimistic.etherscan.io/address/",
        "AVALANCHE" => "https://snowtrace.io/address/",
        "BASE" => "https://basescan.org/address/",
        "TRON" => "https://tronscan.org/#/address/",
        "SOLANA" => "https://solscan.io/account/",
        "STELLAR" => "https://stellar.expert/explorer/public/account/",
        _ => return None,
    };
    Some(format!("{base}{address}"))
}

/// The `CryptoWallet` schema (`details`: `CryptoWalletDetails`, with the public address and
/// explorer link), with the token balance and its USD value.
fn crypto_json(c: &CryptoWallet, details: bool) -> Value {
    let usd = rate(&c.coin, "USD")
        .and_then(|r| c.balance.checked_mul(r))
        .map(|v| v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
        .unwrap_or(Decimal::ZERO);
    let mut v = c.json();
    v["tokenBalance"] = json!([{
        "token": c.coin,
        "balance": c.balance.normalize().to_string(),
        "fiatValue": usd.normalize().to_string(),
    }]);
    v["fiatBalance"] = num(usd);
    v["fiatCurrency"] = json!("USD");
    if details {
        v["publicAddress"] = json!(c.address);
        if let Some(url) = explorer(&c.chain, &c.address) {
            v["explorerUrl"] = json!(url);
        }
    }
    v
}

fn create_crypto_wallet(w: &mut World, req: &Req<'_>) -> Reply {
    let name = match required(req, "name") {
        Ok(n) => n,
        Err(r) => return r,
    };
    let chain = req.str("chain").unwrap_or("CELO").trim().to_uppercase();
    let address = chain_address(w, &chain);
    let wallet = CryptoWallet {
        id: w.hex(24),
        name,
        coin: chain_token(&chain).to_string(),
        chain,
        address,
        balance: Decimal::ZERO,
    };
    let json = crypto_json(&wallet, false);
    w.v3.crypto_wallets.push(wallet);
    v3_ok(req, "Wallet has been successfully created.", json)
}

// ---------------------------------------------------------------------------------------------
// Account validation

const FIRST_NAMES: [&str; 16] = [
    "AMINA", "BRIAN", "CAROLINE", "DAVID", "ESTHER", "FRANCIS", "GRACE", "HASSAN", "IRENE", "JOSEPH",
    "KEVIN", "LUCY", "MOSES", "NAOMI", "OMAR", "PATIENCE",
];
const LAST_NAMES: [&str; 12] = [
    "ACHIENG", "BANDA", "DANSO", "KAMAU", "MENSAH", "MUTUA", "NAKATO", "NDLOVU", "OKELLO", "OTIENO", "OWUSU",
    "WANJIRU",
];
const BUSINESS_NAMES: [&str; 6] = [
    "UPANDE TRADERS",
    "SAFARI SUPPLIES LIMITED",
    "JUA KALI HARDWARE",
    "NYOTA GENERAL STORES",
    "BAHARI FRESH FOODS",
    "KILELE ENTERPRISES",
];

/// A stable number from a string (FNV-1a), so the same account always gets the same name.
fn stable(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The name an ordinary (not reserved) account is registered to: the same for the same
/// account, every run.
fn person_name(seed: &str) -> String {
    let n = stable(seed);
    format!(
        "{} {}",
        FIRST_NAMES[(n % 16) as usize],
        LAST_NAMES[((n / 16) % 12) as usize]
    )
}

/// What a lookup found: the reserved outcome, or MATCHED with a generated name and ACTIVE.
fn found(
    reserved: Option<numbers::Lookup>,
    name: String,
) -> (&'static str, Option<String>, Option<&'static str>) {
    match reserved {
        Some(l) => (l.status, l.name.map(str::to_string), l.account_status),
        None => ("MATCHED", Some(name), Some("ACTIVE")),
    }
}

/// Why a lookup ended as it did (Kotani fills `nameLookupReason` for every status but MATCHED).
fn lookup_reason(status: &str) -> Option<&'static str> {
    Some(match status {
        "NOT_FOUND" => "No account is registered to this number.",
        "ACCOUNT_UNAVAILABLE" => "The account exists but cannot receive money.",
        "UNSUPPORTED" => "Name lookup is not available for this network or corridor.",
        "TIMEOUT" => "The provider did not answer in time; retry the lookup.",
        "ERROR" => "The provider returned an error; retry the lookup.",
        _ => return None,
    })
}

/// Compares `provided` with the registered name: `(score, matched, masked)`. Token by token as
/// Kotani does (`numbers::names_match`): 100 when every registered name is given in full, 90
/// when a middle name is left out or given as an initial; a masked name (`J*** M*** D**`) can
/// only be "not contradicted": 75 when every initial fits, else 0; a mismatch scores the share
/// of registered names given in full, below the threshold of 70.
fn name_match(provided: &str, registered: &str) -> (f64, bool, bool) {
    let tokens = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == '.' || c == ',')
            .filter(|t| !t.is_empty())
            .map(str::to_uppercase)
            .collect()
    };
    let (given, reg) = (tokens(provided), tokens(registered));
    if registered.contains('*') {
        let mut initials: Vec<char> = reg.iter().filter_map(|t| t.chars().next()).collect();
        let fits = !given.is_empty()
            && given.iter().all(|g| {
                let Some(c) = g.chars().next() else { return false };
                match initials.iter().position(|i| *i == c) {
                    Some(p) => {
                        initials.remove(p);
                        true
                    }
                    None => false,
                }
            });
        return if fits {
            (75.0, true, true)
        } else {
            (0.0, false, true)
        };
    }
    if numbers::names_match(provided, registered) {
        let full = reg.iter().all(|r| given.contains(r));
        return (if full { 100.0 } else { 90.0 }, true, false);
    }
    let common = reg.iter().filter(|r| given.contains(r)).count();
    let score = if reg.is_empty() {
        0.0
    } else {
        ((common * 100 / reg.len()) as f64).min(60.0)
    };
    (score, false, false)
}

/// Adds the lookup result and, when a name was given and one was found, the name match.
fn add_lookup(
    data: &mut Value,
    status: &str,
    name: Option<&str>,
    account_status: Option<&str>,
    provided: Option<&str>,
) {
    data["nameLookupStatus"] = json!(status);
    if let Some(r) = lookup_reason(status) {
        data["nameLookupReason"] = json!(r);
    }
    if let Some(n) = name {
        data["accountName"] = json!(n);
    }
    if let Some(s) = account_status {
        data["accountStatus"] = json!(s);
    }
    if let (Some(p), Some(n)) = (provided.map(str::trim).filter(|p| !p.is_empty()), name) {
        let (score, matched, masked) = name_match(p, n);
        data["matchScore"] = json!(score);
        data["nameMatch"] = json!({
            "provided": p,
            "score": score,
            "matched": matched,
            "threshold": 70,
            "masked": masked,
        });
    }
}

/// `validate_mobile_money_account`. A phone number: Kotani's reserved numbers
/// (`numbers::phone_lookup`, last nine digits) give their fixed results; any other number is
/// MATCHED to a name made from the number. `isValid` is false when the number is not usable
/// (not international, an unknown country) or the lookup proves nothing is there (NOT_FOUND);
/// a name mismatch leaves it true (Kotani's account-validation page: check `nameMatch.matched`).
/// Paybills and tills: `numbers::shortcode_lookup`, others MATCHED to a business name.
fn validate_mobile_money(req: &Req<'_>) -> Reply {
    let account_type = req.str("accountType").unwrap_or("mobile_money");
    let provided = req.str("accountName");
    if account_type != "mobile_money" {
        let code = match required(req, "shortCode") {
            Ok(c) => c,
            Err(r) => return r,
        };
        let c = country(req.str("countryCode").unwrap_or("KE")).unwrap_or(&COUNTRIES[0]);
        let business = BUSINESS_NAMES[(stable(&code) % BUSINESS_NAMES.len() as u64) as usize];
        let (status, name, account_status) = found(numbers::shortcode_lookup(&code), business.to_string());
        let mut data = json!({
            "isValid": status != "NOT_FOUND",
            "isSupported": true,
            "accountType": account_type,
            "countryCode": c.iso2,
            "countryName": c.name,
            "currency": c.currency,
        });
        add_lookup(&mut data, status, name.as_deref(), account_status, provided);
        let message = if status == "NOT_FOUND" {
            "Short code not found."
        } else {
            "Short code validated successfully."
        };
        return v3_ok(req, message, data);
    }
    let phone = match required(req, "phoneNumber") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let Some(number) = international(&phone) else {
        let national = digits.starts_with('0') && (9..=11).contains(&digits.len());
        let data = json!({
            "isValid": false,
            "isSupported": false,
            "requiresInternationalization": national,
            "accountType": "mobile_money",
            "nationalNumber": digits,
            "message": if national {
                "Send the phone number in international format, with its country code (e.g. +254712345678)."
            } else {
                "Invalid phone number."
            },
        });
        return v3_ok(req, "Phone number validated successfully.", data);
    };
    let Some((c, national)) = country_of_number(&number) else {
        let data = json!({
            "isValid": false,
            "isSupported": false,
            "requiresInternationalization": false,
            "accountType": "mobile_money",
            "internationalNumber": number,
            "message": "Mobile money is not supported for this country.",
        });
        return v3_ok(req, "Phone number validated successfully.", data);
    };
    let mut data = json!({
        "isSupported": !c.networks.is_empty(),
        "requiresInternationalization": false,
        "accountType": "mobile_money",
        "countryCode": c.iso2,
        "countryName": c.name,
        "callingCode": c.calling,
        "internationalNumber": number,
        "nationalNumber": format!("0{national}"),
        "currency": c.currency,
    });
    let network = req.str("network").filter(|n| !n.is_empty());
    match (network, network_of(c, national)) {
        (Some(n), guess) => {
            data["network"] = json!(n);
            if let Some((g, mno)) = guess
                && g == n
            {
                data["mno"] = json!(mno);
            }
        }
        (None, Some((n, mno))) => {
            data["network"] = json!(n);
            data["mno"] = json!(mno);
        }
        (None, None) => {}
    }
    if c.networks.is_empty() {
        data["isValid"] = json!(false);
        data["message"] = json!("Mobile money is not supported for this country.");
        add_lookup(&mut data, "UNSUPPORTED", None, None, None);
        return v3_ok(req, "Phone number validated successfully.", data);
    }
    let (status, name, account_status) = found(
        numbers::phone_lookup(&number),
        person_name(&numbers::last_nine(&number)),
    );
    let usable = !matches!(status, "NOT_FOUND" | "ACCOUNT_UNAVAILABLE");
    data["isValid"] = json!(usable);
    if !usable {
        data["message"] = json!("No mobile-money account is registered to this number.");
    }
    add_lookup(&mut data, status, name.as_deref(), account_status, provided);
    let reply = v3_ok(req, "Phone number validated successfully.", data);
    // Kotani's sandbox answers its TIMEOUT number after about 1.5 s, as a provider that did not
    // answer would.
    if status == "TIMEOUT" {
        reply.after(LOOKUP_TIMEOUT)
    } else {
        reply
    }
}

/// How long Kotani's sandbox takes to report a lookup TIMEOUT (sandbox-scenarios page: ~1.5 s).
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// `validate_bank_account`: Kotani's reserved accounts (`numbers::bank_lookup`, exact), any
/// other account MATCHED to a name made from the number, ACTIVE. `isValid` is false when the
/// lookup proves the account cannot take a payment: NOT_FOUND, or a FROZEN account (our
/// reading: Kotani returns a frozen account as MATCHED with its `accountStatus`; a RESTRICTED
/// one stays valid). A name mismatch leaves it true.
fn validate_bank(req: &Req<'_>) -> Reply {
    let (account, bank_code, country_code) = match (
        required(req, "accountNumber"),
        required(req, "bankCode"),
        required(req, "countryCode"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let Some(c) = country(&country_code) else {
        let data = json!({
            "isValid": false,
            "isSupported": false,
            "accountType": "bank",
            "bankName": bank_code,
            "message": "Bank payouts are not supported for this country.",
        });
        return v3_ok(req, "Bank account validated successfully.", data);
    };
    let (status, name, account_status) = found(numbers::bank_lookup(&account), person_name(&account));
    let frozen = account_status == Some("FROZEN");
    let usable = !matches!(status, "NOT_FOUND" | "ACCOUNT_UNAVAILABLE") && !frozen;
    let mut data = json!({
        "isValid": usable,
        "isSupported": true,
        "accountType": "bank",
        "countryCode": c.iso2,
        "countryName": c.name,
        "bankName": bank_code,
        "currency": c.currency,
    });
    if frozen {
        data["message"] = json!("The account is frozen and cannot receive money.");
    } else if !usable {
        data["message"] = json!("No account with this number at this bank.");
    }
    add_lookup(
        &mut data,
        status,
        name.as_deref(),
        account_status,
        req.str("accountName"),
    );
    v3_ok(req, "Bank account validated successfully.", data)
}

// ---------------------------------------------------------------------------------------------
// Rates and quotes

/// The sandbox's fixed rate table: units of each currency or token one US dollar buys.
/// Fiat currencies first (listed by `list_rates` as USD pairs), then tokens. Every other pair
/// is the cross rate through USD ([`rate`]).
pub(crate) const UNITS_PER_USD: &[(&str, &str)] = &[
    ("KES", "129.5"),
    ("UGX", "3700"),
    ("GHS", "15.2"),
    ("TZS", "2650"),
    ("NGN", "1550"),
    ("ZAR", "18.5"),
    ("XOF", "605"),
    ("XAF", "605"),
    ("ZMW", "26.5"),
    ("RWF", "1380"),
    ("CDF", "2850"),
    ("ETB", "57.5"),
    ("MWK", "1735"),
    ("EGP", "48.5"),
    ("SLE", "22.5"),
    ("MZN", "64"),
    ("EUR", "0.92"),
    ("USD", "1"),
    ("USDT", "1"),
    ("USDT0", "1"),
    ("USDC", "1"),
    ("CUSD", "1"),
    ("USDGLO", "1"),
    ("CKES", "129.5"),
    ("CGHS", "15.2"),
    ("BTC", "0.000016"),
    ("SAT", "1600"),
    ("MSAT", "1600000"),
    ("ADA", "2.5"),
    ("XLM", "10"),
    ("HBAR", "20"),
];

/// Units of `currency` per US dollar.
fn per_usd(currency: &str) -> Option<Decimal> {
    let currency = currency.trim().to_uppercase();
    UNITS_PER_USD
        .iter()
        .find(|(c, _)| *c == currency)
        .and_then(|(_, v)| v.parse().ok())
}

/// The rate from `from` to `to` (units of `to` per unit of `from`), to 8 significant digits:
/// the value `get_rate` shows and every quote uses. `None` for a currency not in the table.
pub(crate) fn rate(from: &str, to: &str) -> Option<Decimal> {
    let (f, t) = (per_usd(from)?, per_usd(to)?);
    if f.is_zero() {
        return None;
    }
    Some((t / f).round_sf(8)?.normalize())
}

/// Whether `code` is a fiat currency of the table (not a token).
fn is_fiat(code: &str) -> bool {
    let code = code.trim().to_uppercase();
    UNITS_PER_USD
        .iter()
        .take_while(|(c, _)| *c != "USDT")
        .any(|(c, _)| *c == code)
}

/// `amount` rounded to the smallest unit of fiat `currency`: whole units for KES, UGX, TZS,
/// NGN, XOF…; cents for USD, EUR, GHS, ZAR, ZMW, EGP, ETB, SLE, MZN (half away from zero).
pub(crate) fn round_fiat(currency: &str, amount: Decimal) -> Decimal {
    let dp = match currency.trim().to_uppercase().as_str() {
        "USD" | "EUR" | "GHS" | "ZAR" | "ZMW" | "EGP" | "ETB" | "SLE" | "MZN" => 2,
        _ => 0,
    };
    amount
        .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// `amount` rounded to what `token` carries: 6 decimals for stablecoins and ADA, 8 for BTC,
/// whole SAT and MSAT, 7 for XLM (half away from zero).
fn round_token(token: &str, amount: Decimal) -> Decimal {
    let dp = match token.trim().to_uppercase().as_str() {
        "SAT" | "MSAT" => 0,
        "BTC" => 8,
        "XLM" => 7,
        _ => 6,
    };
    amount
        .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The fee of `rate` (a fraction such as [`COLLECTION_FEE`]) on `amount` in fiat `currency`,
/// rounded to the currency's unit (fees are rounded first).
pub(crate) fn fee(currency: &str, amount: Decimal, rate: Decimal) -> Decimal {
    round_fiat(currency, amount.checked_mul(rate).unwrap_or(amount))
}

/// An onramp quote (fiat `from` to token `to`): the collection fee comes off the fiat amount,
/// and the rest is converted. `None` for an unknown pair.
pub(crate) fn onramp_quote(from: &str, to: &str, fiat_amount: Decimal) -> Option<Quote> {
    let value = rate(from, to)?;
    let fee = fee(from, fiat_amount, COLLECTION_FEE);
    let transaction_amount = fiat_amount - fee;
    Some(Quote {
        kind: "onramp",
        from: from.trim().to_uppercase(),
        to: to.trim().to_uppercase(),
        rate: value,
        fiat_amount,
        crypto_amount: round_token(to, transaction_amount.checked_mul(value)?),
        fee,
        transaction_amount,
        wallet_debit: None,
        created_ms: 0,
    })
}

/// An offramp quote (token `from` to fiat `to`): the crypto is converted, and the payout fee
/// comes off what the recipient gets; the payout balance is debited the whole fiat amount (the
/// customer pays the fee, Kotani's default fee payer). `None` for an unknown pair.
pub(crate) fn offramp_quote(from: &str, to: &str, crypto_amount: Decimal) -> Option<Quote> {
    let value = rate(from, to)?;
    let fiat_amount = round_fiat(to, crypto_amount.checked_mul(value)?);
    let fee = fee(to, fiat_amount, PAYOUT_FEE);
    Some(Quote {
        kind: "offramp",
        from: from.trim().to_uppercase(),
        to: to.trim().to_uppercase(),
        rate: value,
        fiat_amount,
        crypto_amount,
        fee,
        transaction_amount: fiat_amount - fee,
        wallet_debit: Some(fiat_amount),
        created_ms: 0,
    })
}

/// A quote made by `create_onramp_quote` / `create_offramp_quote`, by its id (the `rateId` of
/// an onramp or offramp).
pub(crate) fn quote(w: &World, id: &str) -> Option<Quote> {
    w.v3.auth.quotes.get(id).cloned()
}

fn rate_list() -> Value {
    let list: Vec<Value> = UNITS_PER_USD
        .iter()
        .take_while(|(c, _)| *c != "USD")
        .filter_map(|(c, _)| Some(json!({"from": "USD", "to": c, "value": rate("USD", c)?.to_string()})))
        .collect();
    json!(list)
}

/// The largest amount a quote takes (our limit, so that no conversion can overflow).
const MAX_QUOTE_AMOUNT: Decimal = Decimal::from_parts(0xa4c6_8000, 0x38d7e, 0, false, 0);

/// A positive amount field (at most [`MAX_QUOTE_AMOUNT`]), or the 400.
fn positive_amount(req: &Req<'_>, field: &str) -> Result<Decimal, Reply> {
    match req.json.get(field).and_then(dec) {
        Some(a) if a > MAX_QUOTE_AMOUNT => Err(v3_validation(&[format!(
            "{field} must not be greater than {MAX_QUOTE_AMOUNT}"
        )])),
        Some(a) if a > Decimal::ZERO => Ok(a),
        _ => Err(v3_validation(&[format!("{field} must be a positive number")])),
    }
}

fn create_onchain_quote(w: &mut World, req: &Req<'_>, onramp: bool) -> Reply {
    let (from, to) = (
        req.str("from").unwrap_or("").trim().to_uppercase(),
        req.str("to").unwrap_or("").trim().to_uppercase(),
    );
    let fiat = if onramp { &from } else { &to };
    if !is_fiat(fiat) {
        return v3_error(400, &format!("Currency {fiat} is not supported"));
    }
    let amount_field = if onramp { "fiatAmount" } else { "cryptoAmount" };
    let amount = match positive_amount(req, amount_field) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let quote = if onramp {
        onramp_quote(&from, &to, amount)
    } else {
        offramp_quote(&from, &to, amount)
    };
    let Some(mut quote) = quote else {
        return v3_error(404, "Exchange rate not found");
    };
    if quote.transaction_amount <= Decimal::ZERO {
        return v3_validation(&[format!("{amount_field} is too small to cover the fee")]);
    }
    let id = format!("q_{}_{}", if onramp { "onr" } else { "ofr" }, w.hex(12));
    quote.created_ms = w.now_ms();
    let mut data = json!({
        "from": quote.from,
        "to": quote.to,
        "value": quote.rate.to_string(),
        "id": id,
        "fiatAmount": num(quote.fiat_amount),
        "cryptoAmount": num(quote.crypto_amount),
        "transactionAmount": num(quote.transaction_amount),
        "fee": num(quote.fee),
    });
    if let Some(debit) = quote.wallet_debit {
        data["walletDebitAmount"] = num(debit);
    }
    w.v3.auth.quotes.insert(id, quote);
    v3_ok(req, "Available exchange rate.", data)
}

/// `create_fiat_quote`: the collected leg pays [`COLLECTION_FEE`] on top, the paid leg has
/// [`PAYOUT_FEE`] deducted.
fn create_fiat_quote(req: &Req<'_>) -> Reply {
    let (from, to) = (
        req.str("from").unwrap_or("").trim().to_uppercase(),
        req.str("to").unwrap_or("").trim().to_uppercase(),
    );
    let amount = match positive_amount(req, "amount") {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !is_fiat(&from) || !is_fiat(&to) {
        return v3_error(404, "Exchange rate not found");
    }
    let Some(value) = rate(&from, &to) else {
        return v3_error(404, "Exchange rate not found");
    };
    let deposit_fee = fee(&from, amount, COLLECTION_FEE);
    let Some(withdrawal) = amount.checked_mul(value).map(|a| round_fiat(&to, a)) else {
        return v3_validation(&["amount is too large".into()]);
    };
    let withdrawal_fee = fee(&to, withdrawal, PAYOUT_FEE);
    v3_ok(
        req,
        "Available exchange rate.",
        json!({
            "from": from,
            "to": to,
            "value": value.to_string(),
            "depositAmount": num(amount),
            "withdrawalAmount": num(withdrawal),
            "depositTransactionAmount": num(amount + deposit_fee),
            "withdrawalTransactionAmount": num(withdrawal - withdrawal_fee),
            "depositFee": num(deposit_fee),
            "withdrawalFee": num(withdrawal_fee),
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// The public handle

impl Sandbox {
    /// The magic link most recently sent to `email` by `send_magic_link` (`Client::login`), as
    /// the e-mail would carry it: `{base_url}/api/v3/auth/verify?hash=<hash>`. Pass it to
    /// `Client::verify`. The link works once, for an hour of sandbox time. `None` if no link
    /// was sent to that address (compared without case).
    pub fn magic_link(&self, email: &str) -> Option<String> {
        let hash = self.shared.world().v3.auth.latest_link(email)?.hash.clone();
        Some(format!("{}/api/v3/auth/verify?hash={hash}", self.base_url()))
    }

    /// The human-verification token of the magic link most recently sent to `email`: what
    /// `complete_human_verification` (`Client::human_verify`) takes to finish a login Kotani
    /// held for a human check. In the sandbox every link has one, and completing either way
    /// uses up the link. `None` if no link was sent to that address.
    pub fn human_verification_token(&self, email: &str) -> Option<String> {
        Some(
            self.shared
                .world()
                .v3
                .auth
                .latest_link(email)?
                .verification_token
                .clone(),
        )
    }

    /// Revokes a v3 API key (the issued one, or one made by `generate_api_key` /
    /// `generate_secure_api_key`): every later request with it gets 401 "Invalid API Key".
    /// Kotani revokes keys in its dashboard; the v3 API has no operation for it, so the
    /// sandbox offers this instead. Returns whether a working key was revoked (`false` for an
    /// unknown or already revoked key).
    pub fn revoke_v3_key(&self, key: &str) -> bool {
        self.shared.world().v3.auth.revoke(key)
    }
}
