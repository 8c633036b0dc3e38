//! Redaction of secrets: secret-looking JSON values in logged bodies, and every credential a
//! client holds wherever it turns up in text the SDK prints or keeps (a server may echo one).

use std::borrow::Cow;

use serde_json::Value;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Shorter secrets are not searched for: replacing every `ab` in a message would hide the
/// message, and a credential that short protects nothing.
const MIN_SECRET_LEN: usize = 4;

/// The credentials a client holds, as the texts to remove from anything it prints: each secret
/// as it is, and as a JSON string would carry it (`\/`, `\"`, `\\` escaped).
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    needles: Vec<String>,
}

impl Scrubber {
    /// A scrubber for these secrets (empty and very short ones are ignored).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut needles: Vec<String> = Vec::new();
        for s in secrets {
            if s.len() < MIN_SECRET_LEN {
                continue;
            }
            let json = serde_json::to_string(s).unwrap_or_default();
            let json = json
                .get(1..json.len().saturating_sub(1))
                .unwrap_or_default()
                .to_string();
            for v in [s.to_string(), json.replace('/', "\\/"), json] {
                if v.len() >= MIN_SECRET_LEN && !needles.contains(&v) {
                    needles.push(v);
                }
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Scrubber { needles }
    }

    /// Whether there is nothing to remove.
    pub(crate) fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret replaced by `[REDACTED]`.
    pub(crate) fn str<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = Cow::Owned(out.replace(n.as_str(), REDACTED));
            }
        }
        out
    }

    /// `bytes` with every secret replaced by `[REDACTED]` (bytes that are not UTF-8 are
    /// searched as they are).
    pub(crate) fn bytes<'b>(&self, bytes: &'b [u8]) -> Cow<'b, [u8]> {
        let mut out = Cow::Borrowed(bytes);
        for n in &self.needles {
            let n = n.as_bytes();
            if find(&out, n).is_none() {
                continue;
            }
            let mut buf = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = find(rest, n) {
                buf.extend_from_slice(&rest[..i]);
                buf.extend_from_slice(REDACTED.as_bytes());
                rest = &rest[i + n.len()..];
            }
            buf.extend_from_slice(rest);
            out = Cow::Owned(buf);
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Keys whose values are secrets, compared lower-case with `_` and `-` removed.
const SECRET_KEYS: &[&str] = &[
    "key",
    "apikey",
    "keyhash",
    "token",
    "accesstoken",
    "refreshtoken",
    "verificationtoken",
    "secret",
    "webhooksecret",
    "signingsecret",
    "password",
    "signature",
    "authorization",
    "cvv",
    "pin",
    "hash",
];

fn normalized(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_secret(key: &str, parent: Option<&str>) -> bool {
    let k = normalized(key);
    SECRET_KEYS.contains(&k.as_str()) || (k == "number" && parent.is_some_and(|p| normalized(p) == "card"))
}

fn walk(v: &mut Value, parent: Option<&str>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if is_secret(k, parent) && !child.is_null() {
                    *child = Value::String("[REDACTED]".into());
                } else {
                    walk(child, Some(k));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| walk(c, parent)),
        _ => {}
    }
}

/// The body as text for a log line: JSON with every secret value replaced by `[REDACTED]`;
/// anything that is not JSON is summarised by its length only (it could hold anything).
pub fn redact_body(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            walk(&mut v, None);
            v.to_string()
        }
        Err(_) => format!("<{} bytes, not JSON, not logged>", body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Scrubber, redact_body};

    #[test]
    fn scrubber_removes_each_secret_and_its_json_escaped_form() {
        let s = Scrubber::new(["mk_live_9f8e7d", "a/b+c=", "ab", ""]);
        assert_eq!(
            s.str("invalid x-api-key mk_live_9f8e7d (mk_live_9f8e7d)"),
            "invalid x-api-key [REDACTED] ([REDACTED])"
        );
        assert_eq!(s.str(r#"{"k":"a\/b+c="}"#), r#"{"k":"[REDACTED]"}"#);
        assert_eq!(
            s.str("a/b+c= ab"),
            "[REDACTED] ab",
            "too-short secrets are left alone"
        );
        assert_eq!(&*s.bytes(b"x mk_live_9f8e7d\xff y"), b"x [REDACTED]\xff y");
        assert!(matches!(s.str("nothing here"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_are_replaced_at_any_depth_and_the_rest_is_kept() {
        let body = br#"{"data":{"key":"K1","secret":"S1","customer_key":"cust","items":[{"refresh_token":"R1","amount":5}]},
            "card":{"number":"4111111111111111","cvv":"123","holder":"A B"},"webhookSecret":"W1","message":"ok"}"#;
        let out = redact_body(body);
        for s in ["K1", "S1", "R1", "4111111111111111", "123", "W1"] {
            assert!(!out.contains(s), "{s} in {out}");
        }
        for keep in ["cust", "\"amount\":5", "A B", "\"message\":\"ok\""] {
            assert!(out.contains(keep), "{keep} missing from {out}");
        }
    }

    #[test]
    fn non_json_is_not_logged() {
        assert_eq!(redact_body(b"token=abc"), "<9 bytes, not JSON, not logged>");
    }
}
