//! JSON pointers into a spec document, and the one `$ref` resolver.
//!
//! Only local references (`#/...`) exist in the specs; an external one is an error. A chain of
//! references (a `$ref` to a `$ref`) is followed up to [`REF_LIMIT`] steps, so a loop ends.

use std::fmt;

use serde_json::Value;

/// Where named schemas live.
pub const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// How many `$ref`s a chain may have before it counts as a loop.
pub const REF_LIMIT: usize = 32;

/// Escapes one JSON-pointer reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer from raw (unescaped) tokens.
pub fn pointer<I, S>(tokens: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    tokens
        .into_iter()
        .map(|t| format!("/{}", escape_token(t.as_ref())))
        .collect()
}

/// Appends raw tokens to an existing JSON pointer.
pub fn child(base: &str, tokens: &[&str]) -> String {
    let mut out = base.to_owned();
    out.push_str(&pointer(tokens));
    out
}

/// Splits a JSON pointer into its unescaped tokens.
pub fn pointer_tokens(ptr: &str) -> Vec<String> {
    if ptr.is_empty() {
        return Vec::new();
    }
    ptr.trim_start_matches('/')
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Whether `value` is a JSON-pointer string (`""`, or `/` then tokens where `~` is only `~0`
/// or `~1`).
pub fn is_json_pointer(value: &Value) -> bool {
    let Some(s) = value.as_str() else { return false };
    if !(s.is_empty() || s.starts_with('/')) {
        return false;
    }
    let bytes = s.as_bytes();
    bytes
        .iter()
        .enumerate()
        .all(|(i, b)| *b != b'~' || matches!(bytes.get(i + 1), Some(b'0' | b'1')))
}

/// The name of a named schema a value refers to: `X` for `{$ref: "#/components/schemas/X"}`.
/// A reference into a schema (`.../X/properties/y`) names none.
pub fn ref_name(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str).and_then(schema_name)
}

/// The schema a reference names: `X` for `#/components/schemas/X`.
pub fn schema_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix(SCHEMA_REF_PREFIX)
        .filter(|name| !name.contains('/'))
}

/// The named schema `name` (`components/schemas/<name>`).
pub fn schema<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc.pointer(&format!("/components/schemas/{}", escape_token(name)))
}

/// Why a `$ref` cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// `$ref` is not a string.
    NotAString,
    /// A reference to another document.
    External(String),
    /// A local reference to nothing.
    Dangling(String),
    /// The chain goes on for more than [`REF_LIMIT`] steps (it loops).
    Loop(String),
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAString => f.write_str("`$ref` must be a string"),
            Self::External(r) => write!(f, "external `$ref` `{r}` is not supported"),
            Self::Dangling(r) => write!(f, "`$ref` `{r}` does not resolve"),
            Self::Loop(r) => write!(f, "`$ref` `{r}` starts a chain of references that loops"),
        }
    }
}

impl std::error::Error for RefError {}

/// Resolves one local reference (`#/components/schemas/Foo`) in `doc`, percent-decoding the
/// fragment. External references and dangling pointers give `None`.
pub fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = reference.strip_prefix('#')?;
    if !fragment.is_empty() && !fragment.starts_with('/') {
        return None;
    }
    doc.pointer(&percent_decode(fragment))
}

/// Follows a chain of `$ref`s from `value` (found at `ptr`) to the object it ends at, with that
/// object's pointer. A value without `$ref` is returned as it is.
pub fn follow<'a>(doc: &'a Value, value: &'a Value, ptr: &str) -> Result<(&'a Value, String), RefError> {
    let mut current = value;
    let mut current_ptr = ptr.to_owned();
    let first = value
        .get("$ref")
        .map(|r| r.as_str().unwrap_or_default().to_owned());
    for _ in 0..=REF_LIMIT {
        let Some(reference) = current.get("$ref") else {
            return Ok((current, current_ptr));
        };
        let reference = reference.as_str().ok_or(RefError::NotAString)?;
        if !reference.starts_with('#') {
            return Err(RefError::External(reference.to_owned()));
        }
        current = resolve_ref(doc, reference).ok_or_else(|| RefError::Dangling(reference.to_owned()))?;
        current_ptr = percent_decode(reference.trim_start_matches('#'));
    }
    Err(RefError::Loop(first.unwrap_or_default()))
}

/// [`follow`], `None` when the chain cannot be followed.
pub fn deref<'a>(doc: &'a Value, value: &'a Value, ptr: &str) -> Option<(&'a Value, String)> {
    follow(doc, value, ptr).ok()
}

/// URI fragments may percent-encode characters; spec authors rarely do, but decode anyway.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "components": {
                "schemas": {
                    "A": {"$ref": "#/components/schemas/B"},
                    "B": {"type": "string"},
                    "a/b": {"type": "integer"},
                    "Loop1": {"$ref": "#/components/schemas/Loop2"},
                    "Loop2": {"$ref": "#/components/schemas/Loop1"},
                    "Bad": {"$ref": 3},
                },
                "responses": {"Error": {"description": "x"}},
            }
        })
    }

    #[test]
    fn pointers_round_trip() {
        let p = pointer(["paths", "/api/v1/x", "get"]);
        assert_eq!(p, "/paths/~1api~1v1~1x/get");
        assert_eq!(pointer_tokens(&p), vec!["paths", "/api/v1/x", "get"]);
        assert_eq!(child("/a", &["b~c", "d/e"]), "/a/b~0c/d~1e");
        assert_eq!(pointer_tokens(""), Vec::<String>::new());
    }

    #[test]
    fn json_pointer_strings() {
        assert!(is_json_pointer(&json!("")));
        assert!(is_json_pointer(&json!("/data")));
        assert!(is_json_pointer(&json!("/a~1b/~0")));
        assert!(!is_json_pointer(&json!("data")));
        assert!(!is_json_pointer(&json!("/a~2")));
        assert!(!is_json_pointer(&json!(3)));
    }

    #[test]
    fn names_of_named_schemas_only() {
        assert_eq!(
            ref_name(&json!({"$ref": "#/components/schemas/Wallet"})),
            Some("Wallet")
        );
        assert_eq!(
            ref_name(&json!({"$ref": "#/components/schemas/Wallet/properties/id"})),
            None
        );
        assert_eq!(ref_name(&json!({"$ref": "#/components/responses/Error"})), None);
        assert_eq!(ref_name(&json!({"type": "string"})), None);
        assert_eq!(schema(&doc(), "a/b"), Some(&json!({"type": "integer"})));
    }

    #[test]
    fn follows_chains() {
        let d = doc();
        let a = d.pointer("/components/schemas/A").unwrap();
        let (target, at) = follow(&d, a, "/components/schemas/A").unwrap();
        assert_eq!(target, &json!({"type": "string"}));
        assert_eq!(at, "/components/schemas/B");
        // Not a reference: itself.
        let b = d.pointer("/components/schemas/B").unwrap();
        assert_eq!(follow(&d, b, "/x").unwrap().1, "/x");
        // Percent-encoded fragments.
        let enc = json!({"$ref": "#/components/schemas/a~1b"});
        assert_eq!(follow(&d, &enc, "").unwrap().0, &json!({"type": "integer"}));
        let pct = json!({"$ref": "#/components/schemas/%42"});
        assert_eq!(follow(&d, &pct, "").unwrap().1, "/components/schemas/B");
    }

    #[test]
    fn errors_of_chains() {
        let d = doc();
        let dangling = json!({"$ref": "#/components/schemas/Nope"});
        assert_eq!(
            follow(&d, &dangling, "").unwrap_err(),
            RefError::Dangling("#/components/schemas/Nope".into())
        );
        let external = json!({"$ref": "other.yaml#/x"});
        assert_eq!(
            follow(&d, &external, "").unwrap_err().to_string(),
            "external `$ref` `other.yaml#/x` is not supported"
        );
        let looped = json!({"$ref": "#/components/schemas/Loop1"});
        assert!(
            matches!(follow(&d, &looped, ""), Err(RefError::Loop(r)) if r == "#/components/schemas/Loop1")
        );
        assert_eq!(deref(&d, &looped, ""), None);
        let bad = d.pointer("/components/schemas/Bad").unwrap();
        assert_eq!(follow(&d, bad, "").unwrap_err(), RefError::NotAString);
    }
}
