//! Redaction of secrets in JSON bodies, for body logging.

use serde_json::Value;

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
    use super::redact_body;

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
