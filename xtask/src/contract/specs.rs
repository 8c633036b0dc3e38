//! The two specs as the contract check sees them: their operations, and matching a request
//! (method + URL) to an operation's path template, aware of the servers' path prefixes.

use std::path::Path;

use anyhow::{Context, anyhow};
use kotanipay::meta::Family;
use serde_json::Value;

use crate::schema::{escape_token, pointer, yaml_to_json};

/// HTTP methods that hold an Operation Object in a Path Item.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One loaded spec file.
pub struct Spec {
    pub family: Family,
    pub doc: Value,
    /// Path prefixes of the spec's servers (`""` for a server at the host root).
    pub prefixes: Vec<String>,
    /// A server URL that is a variable (`{base_url}`) may carry any path prefix.
    pub any_prefix: bool,
}

/// One operation of a spec.
#[derive(Debug, Clone)]
pub struct SpecOp {
    /// Index of its spec in [`Specs::specs`].
    pub spec: usize,
    pub family: Family,
    pub id: String,
    /// Upper case.
    pub method: String,
    /// The path template (`/api/v3/wallet/fiat/{id}`).
    pub path: String,
    /// JSON pointer of the Operation Object in its spec.
    pub pointer: String,
    /// `x-kotani-inferred` on the operation: the reason.
    pub inferred: Option<String>,
}

impl SpecOp {
    pub fn family_name(&self) -> &'static str {
        family_name(self.family)
    }

    /// Number of path segments that are literal (not `{param}`): more is more specific.
    fn literal_segments(&self) -> usize {
        self.path
            .split('/')
            .filter(|s| !s.is_empty() && !is_template(s))
            .count()
    }
}

pub fn family_name(family: Family) -> &'static str {
    match family {
        Family::V3 => "v3",
        Family::Merchant => "merchant",
    }
}

fn is_template(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Both specs and every operation in them.
pub struct Specs {
    pub specs: Vec<Spec>,
    pub ops: Vec<SpecOp>,
}

/// What a request matched.
pub enum Match<'a> {
    Operation(&'a SpecOp),
    /// No operation: the operations whose path matched but whose method did not.
    Unmatched {
        same_path: Vec<&'a SpecOp>,
    },
}

impl Specs {
    /// Loads spec files; the family of each is taken from its name (`merchant` in it: merchant).
    pub fn load(files: &[(std::path::PathBuf, String)]) -> anyhow::Result<Self> {
        let mut specs = Vec::new();
        for (path, display) in files {
            specs.push(Spec::load(path, display)?);
        }
        Ok(Self::from_specs(specs))
    }

    pub fn from_specs(specs: Vec<Spec>) -> Self {
        let mut ops = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            let Some(paths) = spec.doc.get("paths").and_then(Value::as_object) else {
                continue;
            };
            for (path, item) in paths {
                for method in METHODS {
                    let Some(op) = item.get(method) else { continue };
                    let id = op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .unwrap_or("-")
                        .to_owned();
                    ops.push(SpecOp {
                        spec: index,
                        family: spec.family,
                        id,
                        method: method.to_ascii_uppercase(),
                        path: path.clone(),
                        pointer: pointer(["paths", path.as_str(), method]),
                        inferred: inferred_reason(op),
                    });
                }
            }
        }
        Self { specs, ops }
    }

    /// The Operation Object of `op`.
    pub fn op_object(&self, op: &SpecOp) -> &Value {
        self.specs[op.spec]
            .doc
            .pointer(&op.pointer)
            .unwrap_or(&Value::Null)
    }

    pub fn doc(&self, op: &SpecOp) -> &Value {
        &self.specs[op.spec].doc
    }

    /// Adds a path prefix for a family (the path of a configured base URL).
    pub fn add_prefix(&mut self, family: Family, prefix: &str) {
        let prefix = prefix.trim_end_matches('/').to_owned();
        for spec in self.specs.iter_mut().filter(|s| s.family == family) {
            if !spec.prefixes.contains(&prefix) {
                spec.prefixes.push(prefix.clone());
            }
        }
    }

    /// Matches a request to an operation. `path` is the URL path without query string.
    /// Several candidates: the one with the most literal segments wins (`/offramp/transactions`
    /// before `/offramp/{referenceId}`), then the one that strips the shortest server prefix.
    pub fn match_request(&self, method: &str, path: &str) -> Match<'_> {
        let path = normalize_path(path);
        let mut best: Option<(&SpecOp, (usize, std::cmp::Reverse<usize>))> = None;
        let mut same_path = Vec::new();
        for op in &self.ops {
            let spec = &self.specs[op.spec];
            let Some(stripped) = spec.strip_to_match(&path, &op.path) else {
                continue;
            };
            if !op.method.eq_ignore_ascii_case(method) {
                same_path.push(op);
                continue;
            }
            let score = (op.literal_segments(), std::cmp::Reverse(stripped));
            if best.as_ref().is_none_or(|(_, s)| score > *s) {
                best = Some((op, score));
            }
        }
        match best {
            Some((op, _)) => Match::Operation(op),
            None => Match::Unmatched { same_path },
        }
    }
}

impl Spec {
    pub fn load(path: &Path, display: &str) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {display}"))?;
        let doc = yaml_to_json(&text).map_err(|e| anyhow!("{display}: not YAML: {e}"))?;
        if !doc.is_object() || doc.get("paths").is_none() {
            return Err(anyhow!("{display}: not an OpenAPI document (no `paths`)"));
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let family = if name.contains("merchant") {
            Family::Merchant
        } else {
            Family::V3
        };
        Ok(Self::new(family, doc))
    }

    pub fn new(family: Family, doc: Value) -> Self {
        let mut prefixes = Vec::new();
        let mut any_prefix = false;
        let servers = doc.get("servers").and_then(Value::as_array);
        for server in servers.into_iter().flatten() {
            let Some(url) = server.get("url").and_then(Value::as_str) else {
                continue;
            };
            if url.starts_with('{') {
                // The whole URL is a variable: its value may hold a path.
                any_prefix = true;
                continue;
            }
            let prefix = url_path(&substitute_variables(url, server))
                .trim_end_matches('/')
                .to_owned();
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
        if prefixes.is_empty() {
            prefixes.push(String::new());
        }
        Self {
            family,
            doc,
            prefixes,
            any_prefix,
        }
    }

    /// If `path` matches `template` after removing one of this spec's server prefixes, the
    /// number of segments removed.
    fn strip_to_match(&self, path: &str, template: &str) -> Option<usize> {
        let got: Vec<&str> = path.split('/').skip(1).collect();
        let want: Vec<&str> = template.split('/').skip(1).collect();
        let mut candidates: Vec<usize> = Vec::new();
        for prefix in &self.prefixes {
            let n = prefix.split('/').filter(|s| !s.is_empty()).count();
            if got.len() >= n
                && got[..n]
                    .iter()
                    .copied()
                    .eq(prefix.split('/').filter(|s| !s.is_empty()))
            {
                candidates.push(n);
            }
        }
        if self.any_prefix {
            candidates.extend(0..got.len());
        }
        candidates.sort_unstable();
        candidates.into_iter().find(|&n| segments_match(&got[n..], &want))
    }
}

fn segments_match(got: &[&str], want: &[&str]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| if is_template(w) { !g.is_empty() } else { g == w })
}

/// `x-kotani-inferred` on a spec object: the reason given (or a placeholder).
pub fn inferred_reason(value: &Value) -> Option<String> {
    match value.get("x-kotani-inferred")? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(false) | Value::Null => None,
        _ => Some("inferred".to_owned()),
    }
}

/// Fills a server URL's `{variables}` with their defaults.
fn substitute_variables(url: &str, server: &Value) -> String {
    let mut out = url.to_owned();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            if let Some(default) = var.get("default").and_then(Value::as_str) {
                out = out.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    out
}

/// The path of a URL (`https://h/a/b?q` → `/a/b`); a relative URL is taken as a path.
pub fn url_path(url: &str) -> String {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let without_query = without_fragment.split('?').next().unwrap_or_default();
    match without_query.find("://") {
        Some(i) => {
            let rest = &without_query[i + 3..];
            match rest.find('/') {
                Some(j) => rest[j..].to_owned(),
                None => "/".to_owned(),
            }
        }
        None => without_query.to_owned(),
    }
}

/// The host (with port) of an absolute URL.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    Some(authority.rsplit('@').next().unwrap_or(authority))
}

/// `/a/b/` → `/a/b`, empty → `/`.
fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// The spec pointer where an undocumented path would go (`/paths/~1api~1x/get`).
pub fn path_pointer(path: &str, method: &str) -> String {
    format!(
        "/paths/{}/{}",
        escape_token(path),
        escape_token(&method.to_ascii_lowercase())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs() -> Specs {
        let v3 = json!({
            "servers": [{"url": "https://sandbox.example/"}],
            "paths": {
                "/health": {"get": {"operationId": "get_health"}},
                "/api/v3/offramp/{referenceId}": {"get": {"operationId": "get_offramp"}},
                "/api/v3/offramp/transactions": {"get": {"operationId": "list_offramp"}},
            }
        });
        let merchant = json!({
            "servers": [{"url": "{base_url}", "variables": {"base_url": {"default": "https://m.invalid"}}}],
            "paths": {
                "/api/v1/merchants/checkouts/{checkout_id}": {"get": {"operationId": "get_checkout", "x-kotani-inferred": "guess"}},
            }
        });
        Specs::from_specs(vec![
            Spec::new(Family::V3, v3),
            Spec::new(Family::Merchant, merchant),
        ])
    }

    fn matched(s: &Specs, method: &str, path: &str) -> Option<String> {
        match s.match_request(method, path) {
            Match::Operation(op) => Some(op.id.clone()),
            Match::Unmatched { .. } => None,
        }
    }

    #[test]
    fn literal_segments_win() {
        let s = specs();
        assert_eq!(
            matched(&s, "GET", "/api/v3/offramp/transactions").as_deref(),
            Some("list_offramp")
        );
        assert_eq!(
            matched(&s, "get", "/api/v3/offramp/R1/").as_deref(),
            Some("get_offramp")
        );
        assert_eq!(matched(&s, "POST", "/api/v3/offramp/R1"), None);
        match s.match_request("POST", "/api/v3/offramp/R1") {
            Match::Unmatched { same_path } => assert_eq!(same_path[0].id, "get_offramp"),
            Match::Operation(_) => panic!(),
        }
    }

    #[test]
    fn server_prefixes() {
        let mut s = specs();
        assert_eq!(matched(&s, "GET", "/v9/health"), None);
        s.add_prefix(Family::V3, "/v9/");
        assert_eq!(matched(&s, "GET", "/v9/health").as_deref(), Some("get_health"));
        // A variable server URL may carry any prefix.
        assert_eq!(
            matched(&s, "GET", "/gateway/api/v1/merchants/checkouts/c1").as_deref(),
            Some("get_checkout")
        );
        assert_eq!(
            s.ops
                .iter()
                .find(|o| o.id == "get_checkout")
                .unwrap()
                .inferred
                .as_deref(),
            Some("guess")
        );
    }

    #[test]
    fn url_parts() {
        assert_eq!(url_path("https://h:1/a/b?x=1#f"), "/a/b");
        assert_eq!(url_path("https://h"), "/");
        assert_eq!(url_host("https://u@h:8/a"), Some("h:8"));
        assert_eq!(path_pointer("/api/x", "GET"), "/paths/~1api~1x/get");
    }
}
