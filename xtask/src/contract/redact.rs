//! Redaction for `--record`: what a live run saw, written as HAR without credentials, secrets or
//! phone numbers.
//!
//! - Headers: `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `x-api-key`,
//!   `x-signature` and any header whose name mentions a token, secret, key, signature or auth.
//! - JSON bodies (request and response), at any depth: the value of a key that names a secret
//!   (`token`, `refresh_token`, `key`, `api_key`, `key_hash`, `key_prefix`, `secret`,
//!   `password`, `signature`, `hash`, `pin`, `cvv`, card numbers, ...) becomes `"[REDACTED]"`
//!   (numbers `0`; objects and arrays are redacted leaf by leaf, so shapes survive for replay).
//!   Any string that looks like a JWT or a bearer credential is redacted wherever it is.
//! - Phone numbers: values of phone-like keys, any string of 9 to 15 digits (optionally `+`),
//!   and such path segments and query values in URLs are masked: country code and last two digits
//!   kept, the rest `*` (`+254700000001` → `+254*******01`).
//! - Query parameters whose name names a secret (`hash`, `token`, ...) are redacted.

use serde_json::Value;

use super::har::Exchange;

pub const REDACTED: &str = "[REDACTED]";

/// Redacts an exchange in place.
pub fn redact_exchange(ex: &mut Exchange) {
    ex.url = redact_url(&ex.url);
    redact_headers(&mut ex.request_headers);
    redact_headers(&mut ex.response_headers);
    if let Some(body) = ex.request_body.as_mut() {
        *body = redact_body(body);
    }
    if let Some(body) = ex.body.as_mut() {
        *body = redact_body(body);
    }
}

fn redact_headers(headers: &mut [(String, String)]) {
    for (name, value) in headers.iter_mut() {
        if is_secret_header(name) {
            *value = REDACTED.to_owned();
        }
    }
}

pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-api-key" | "x-signature"
    ) || ["token", "secret", "key", "signature", "auth", "session"]
        .iter()
        .any(|w| n.contains(w))
}

/// Whether a JSON key names a secret (compared without case, `_` and `-`).
pub fn is_secret_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    const EXACT: &[&str] = &[
        "key",
        "hash",
        "pin",
        "pan",
        "otp",
        "cvv",
        "cvc",
        "jwt",
        "authorization",
        "credentials",
    ];
    const CONTAINS: &[&str] = &[
        "token",
        "secret",
        "password",
        "passphrase",
        "signature",
        "apikey",
        "keyhash",
        "keyprefix",
        "privatekey",
        "cardnumber",
        "verificationcode",
    ];
    EXACT.contains(&k.as_str()) || CONTAINS.iter().any(|w| k.contains(w))
}

fn is_phone_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["phone", "msisdn", "mobile_number", "mobilenumber", "mobile"]
        .iter()
        .any(|w| k.contains(w))
}

/// `+254700000001` or `0712345678`: 9 to 15 digits, optionally after `+`.
pub fn looks_like_phone(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (9..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Keeps a leading `+`, the first three digits and the last two; the rest becomes `*`.
pub fn mask_phone(s: &str) -> String {
    let total = s.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= 3 || seen > total.saturating_sub(2) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

fn looks_like_credential(s: &str) -> bool {
    let jwt = s.starts_with("eyJ") && s.matches('.').count() >= 2 && s.len() > 20;
    let bearer = s.len() > 7 && s[..7].eq_ignore_ascii_case("bearer ");
    jwt || bearer
}

fn redact_body(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redact_json(&mut v);
            serde_json::to_vec(&v).unwrap_or_default()
        }
        // Not JSON: mask what looks like a phone number or a credential word by word.
        Err(_) => String::from_utf8_lossy(body)
            .split_inclusive(|c: char| c.is_whitespace() || c == '&' || c == '=' || c == '"')
            .map(|part| {
                let word =
                    part.trim_end_matches(|c: char| c.is_whitespace() || c == '&' || c == '=' || c == '"');
                let rest = &part[word.len()..];
                if looks_like_phone(word) {
                    format!("{}{rest}", mask_phone(word))
                } else if looks_like_credential(word) {
                    format!("{REDACTED}{rest}")
                } else {
                    part.to_owned()
                }
            })
            .collect::<String>()
            .into_bytes(),
    }
}

/// Redacts secrets and masks phone numbers in a JSON value, at any depth.
pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if is_secret_key(k) {
                    blank(child);
                } else if is_phone_key(k) {
                    mask_all(child);
                } else {
                    redact_json(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::String(s) => {
            if looks_like_credential(s) {
                *s = REDACTED.to_owned();
            } else if looks_like_phone(s) {
                *s = mask_phone(s);
            }
        }
        _ => {}
    }
}

/// Replaces every leaf, keeping the shape: strings `[REDACTED]`, numbers `0`.
fn blank(v: &mut Value) {
    match v {
        Value::String(s) => *s = REDACTED.to_owned(),
        Value::Number(_) => *v = Value::from(0),
        Value::Object(map) => map.values_mut().for_each(blank),
        Value::Array(items) => items.iter_mut().for_each(blank),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Masks the digits of every leaf of a phone field (numbers keep their type: masked digits 0).
fn mask_all(v: &mut Value) {
    match v {
        Value::String(s) => *s = mask_phone(s),
        Value::Number(n) => {
            let masked = mask_phone(&n.to_string()).replace('*', "0");
            *v = masked.parse::<u64>().map(Value::from).unwrap_or(Value::from(0));
        }
        Value::Object(map) => map.values_mut().for_each(mask_all),
        Value::Array(items) => items.iter_mut().for_each(mask_all),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Masks phone-like path segments and query values, redacts secret query parameters.
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = before_query.find("://").map_or(0, |i| i + 3);
    let path_start = before_query[scheme_end..]
        .find('/')
        .map_or(before_query.len(), |i| i + scheme_end);
    let (origin, path) = before_query.split_at(path_start);
    let path: Vec<String> = path
        .split('/')
        .map(|seg| {
            let decoded = seg.replace("%2B", "+").replace("%2b", "+");
            if looks_like_phone(&decoded) {
                mask_phone(&decoded).replace('+', "%2B")
            } else {
                seg.to_owned()
            }
        })
        .collect();
    let mut out = format!("{origin}{}", path.join("/"));
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| {
                let (name, value) = p.split_once('=').unwrap_or((p, ""));
                let decoded = value.replace("%2B", "+").replace("%2b", "+");
                if is_secret_key(name) {
                    format!("{name}={REDACTED}")
                } else if is_phone_key(name) || looks_like_phone(&decoded) {
                    format!("{name}={}", mask_phone(&decoded).replace('+', "%2B"))
                } else {
                    p.to_owned()
                }
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys() {
        for k in [
            "token",
            "refresh_token",
            "key",
            "api_key",
            "apiKey",
            "key_hash",
            "key_prefix",
            "secret",
            "webhook_secret",
            "password",
            "x-signature",
            "cvv",
            "card_number",
            "hash",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "key_name",
            "customer_key",
            "id",
            "status",
            "company",
            "reference_id",
            "amount",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn bodies_keep_their_shape() {
        let mut v = json!({
            "data": {"key": "abc", "secret": "s", "token_id": 5, "meta": {"token": ["a", "b"]},
                     "phone_number": "+254700000001", "alt": "0712345678", "jwt_like": "eyJa.eyJb.sig-xxxxxxxxxxxxxxx",
                     "msisdn": 254700000001u64, "name": "Jane"}
        });
        redact_json(&mut v);
        assert_eq!(v["data"]["key"], "[REDACTED]");
        assert_eq!(v["data"]["secret"], "[REDACTED]");
        assert_eq!(v["data"]["token_id"], 0);
        assert_eq!(v["data"]["meta"]["token"], json!(["[REDACTED]", "[REDACTED]"]));
        assert_eq!(v["data"]["phone_number"], "+254*******01");
        assert_eq!(v["data"]["alt"], "071*****78");
        assert_eq!(v["data"]["jwt_like"], "[REDACTED]");
        assert_eq!(v["data"]["msisdn"], 254000000001u64);
        assert_eq!(v["data"]["name"], "Jane");
    }

    #[test]
    fn urls() {
        assert_eq!(
            redact_url("https://h/api/v3/customer/mobile-money/phone/%2B254700000001?hash=abc&page=1"),
            "https://h/api/v3/customer/mobile-money/phone/%2B254*******01?hash=[REDACTED]&page=1"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8/a/254700000001"),
            "http://127.0.0.1:8/a/254*******01"
        );
    }
}
