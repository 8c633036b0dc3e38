//! The two specs as the contract check sees them: their operations, and matching a request
//! (method + URL) to an operation's path template, aware of the servers' path prefixes.
//!
//! Specs are read through `kotanipay-codegen` (the one loader and operation model); this module
//! adds what only the contract check needs: server prefixes and request matching.

use std::path::Path;

use anyhow::anyhow;
use kotanipay::meta::Family;
pub use kotanipay_codegen::model::inferred_reason;
use serde_json::Value;

use crate::schema::escape_token;

/// The codegen family (spec file, credential header, error schema) of a runtime family.
pub fn codegen_family(family: Family) -> &'static kotanipay_codegen::Family {
    match family {
        Family::V3 => &kotanipay_codegen::family::V3,
        Family::Merchant => &kotanipay_codegen::family::MERCHANT,
    }
}

/// The runtime family of a codegen family.
pub fn meta_family(family: &kotanipay_codegen::Family) -> Family {
    if family.variant == kotanipay_codegen::family::MERCHANT.variant {
        Family::Merchant
    } else {
        Family::V3
    }
}

/// One loaded spec file.
pub struct Spec {
    pub family: Family,
    pub doc: Value,
    /// Its operations (`kotanipay_codegen`'s model).
    pub operations: Vec<kotanipay_codegen::Operation>,
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
    /// Everything the spec says about it (`kotanipay_codegen`'s operation model).
    pub model: kotanipay_codegen::Operation,
    /// The path template's segments (`["api", "v3", "wallet", "fiat", "{id}"]`).
    segments: Vec<String>,
    /// Number of path segments that are literal (not `{param}`): more is more specific.
    literal_segments: usize,
}

impl SpecOp {
    pub fn family_name(&self) -> &'static str {
        family_name(self.family)
    }
}

pub fn family_name(family: Family) -> &'static str {
    codegen_family(family).name
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
            for op in &spec.operations {
                ops.push(SpecOp {
                    spec: index,
                    family: spec.family,
                    id: op.id_or_dash().to_owned(),
                    method: op.http_method(),
                    path: op.path.clone(),
                    pointer: op.pointer.clone(),
                    inferred: op.inferred.clone(),
                    model: op.clone(),
                    segments: op.path.split('/').skip(1).map(str::to_owned).collect(),
                    literal_segments: op
                        .path
                        .split('/')
                        .filter(|s| !s.is_empty() && !is_template(s))
                        .count(),
                });
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

    /// The operation in the codegen model.
    pub fn model(&self, op: &SpecOp) -> Option<&kotanipay_codegen::Operation> {
        self.specs[op.spec]
            .operations
            .iter()
            .find(|o| o.pointer == op.pointer)
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
        let got: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<(&SpecOp, (usize, std::cmp::Reverse<usize>))> = None;
        let mut same_path = Vec::new();
        for op in &self.ops {
            let spec = &self.specs[op.spec];
            let Some(stripped) = spec.strip_to_match(&got, &op.segments) else {
                continue;
            };
            if !op.method.eq_ignore_ascii_case(method) {
                same_path.push(op);
                continue;
            }
            let score = (op.literal_segments, std::cmp::Reverse(stripped));
            if best.as_ref().is_none_or(|(_, s)| score > *s) {
                best = Some((op, score));
            }
        }
        match best {
            Some((op, _)) => Match::Operation(op),
            None => Match::Unmatched { same_path },
        }
    }

    /// Matches a request whose URL starts with an unknown part: a Postman variable that was not
    /// set, standing for the scheme, the host and maybe a path prefix. So `path` may be the end
    /// of an operation's path (server prefix included): `/wallet/fiat` of
    /// `{{base_url}}/wallet/fiat` is the end of `/api/v3/wallet/fiat`. Several candidates: the
    /// one with the most literal segments wins, then the one with the fewest segments unknown.
    pub fn match_request_suffix(&self, method: &str, path: &str) -> Match<'_> {
        let path = normalize_path(path);
        let got: Vec<&str> = path.split('/').skip(1).collect();
        type Score = (usize, std::cmp::Reverse<usize>);
        let mut best: Option<(&SpecOp, Score)> = None;
        let mut same_path = Vec::new();
        for op in &self.ops {
            let spec = &self.specs[op.spec];
            let want: Vec<&str> = op.segments.iter().map(String::as_str).collect();
            let unknown = spec
                .prefixes
                .iter()
                .map(|p| p.split('/').filter(|s| !s.is_empty()).collect::<Vec<_>>())
                .chain(std::iter::once(Vec::new()))
                .filter_map(|prefix| {
                    let full: Vec<&str> = prefix.into_iter().chain(want.iter().copied()).collect();
                    let missing = full.len().checked_sub(got.len())?;
                    segments_match(&got, &full[missing..]).then_some(missing)
                })
                .min();
            let Some(unknown) = unknown else { continue };
            if !op.method.eq_ignore_ascii_case(method) {
                same_path.push(op);
                continue;
            }
            let score = (op.literal_segments, std::cmp::Reverse(unknown));
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
    /// Loads a spec file; its family comes from its name ([`kotanipay_codegen::Family::for_path`]).
    pub fn load(path: &Path, display: &str) -> anyhow::Result<Self> {
        let spec = match kotanipay_codegen::Spec::load(path, display) {
            Ok(spec) => spec,
            Err(e) if e.kind == kotanipay_codegen::LoadErrorKind::NotMapping => {
                return Err(anyhow!("{display}: not an OpenAPI document (no `paths`)"));
            }
            Err(e) => return Err(e.into()),
        };
        if spec.doc.get("paths").is_none() {
            return Err(anyhow!("{display}: not an OpenAPI document (no `paths`)"));
        }
        let family = meta_family(kotanipay_codegen::Family::for_path(path));
        Ok(Self::with_operations(family, spec.doc, spec.operations))
    }

    /// A spec of `family` from a document in JSON form.
    #[cfg(test)]
    pub fn new(family: Family, doc: Value) -> Self {
        let operations = kotanipay_codegen::model::operations(&doc);
        Self::with_operations(family, doc, operations)
    }

    fn with_operations(family: Family, doc: Value, operations: Vec<kotanipay_codegen::Operation>) -> Self {
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
            operations,
            prefixes,
            any_prefix,
        }
    }

    /// If the path's segments `got` match the template's `want` after removing one of this
    /// spec's server prefixes, the number of segments removed (the fewest that match).
    fn strip_to_match(&self, got: &[&str], want: &[String]) -> Option<usize> {
        // Only the prefix of the right length can match.
        let n = got.len().checked_sub(want.len())?;
        if !segments_match(&got[n..], want) {
            return None;
        }
        let prefix_matches = self.any_prefix
            || self.prefixes.iter().any(|prefix| {
                prefix.split('/').filter(|s| !s.is_empty()).count() == n
                    && got[..n]
                        .iter()
                        .copied()
                        .eq(prefix.split('/').filter(|s| !s.is_empty()))
            });
        prefix_matches.then_some(n)
    }
}

fn segments_match<W: AsRef<str>>(got: &[&str], want: &[W]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            let w = w.as_ref();
            if is_template(w) { !g.is_empty() } else { *g == w }
        })
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

/// The path of a URL (`https://h/a/b?q` → `/a/b`); a relative URL is taken as a path. A URL
/// that starts with a Postman variable that was not set (`{{base_url}}/wallet`) has the path
/// after it (`/wallet`): the variable stands for the scheme and host.
pub fn url_path(url: &str) -> String {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let without_query = without_fragment.split('?').next().unwrap_or_default();
    let rest = match without_query.find("://") {
        Some(i) => &without_query[i + 3..],
        None if without_query.starts_with("{{") => without_query,
        None => return without_query.to_owned(),
    };
    match rest.find('/') {
        Some(j) => rest[j..].to_owned(),
        None => "/".to_owned(),
    }
}

/// The host (with port) of an absolute URL; the variable of a URL that starts with a Postman
/// variable that was not set (`{{base_url}}`).
pub fn url_host(url: &str) -> Option<&str> {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None if url.starts_with("{{") => url,
        None => return None,
    };
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
    fn families_are_codegens() {
        for family in [Family::V3, Family::Merchant] {
            assert_eq!(meta_family(codegen_family(family)), family);
        }
        assert_eq!(family_name(Family::Merchant), "merchant");
        let s = specs();
        let op = s.ops.iter().find(|o| o.id == "get_health").unwrap();
        assert_eq!(
            (op.method.as_str(), op.pointer.as_str()),
            ("GET", "/paths/~1health/get")
        );
        assert_eq!(op.model.id.as_deref(), Some("get_health"));
    }

    #[test]
    fn unknown_host_matches_the_end_of_a_path() {
        let s = specs();
        let suffix = |method: &str, path: &str| match s.match_request_suffix(method, path) {
            Match::Operation(op) => Some(op.id.clone()),
            Match::Unmatched { .. } => None,
        };
        // `{{base_url}}` = `https://sandbox.example/api/v3`.
        assert_eq!(suffix("GET", "/offramp/R1").as_deref(), Some("get_offramp"));
        assert_eq!(
            suffix("GET", "/offramp/transactions").as_deref(),
            Some("list_offramp")
        );
        // The whole path, host only in the variable.
        assert_eq!(
            suffix("GET", "/api/v1/merchants/checkouts/c1").as_deref(),
            Some("get_checkout")
        );
        assert_eq!(suffix("GET", "/checkouts/c1").as_deref(), Some("get_checkout"));
        assert_eq!(suffix("GET", "/nothing/here"), None);
        assert_eq!(suffix("DELETE", "/offramp/R1"), None);
    }

    #[test]
    fn url_parts() {
        assert_eq!(url_path("https://h:1/a/b?x=1#f"), "/a/b");
        assert_eq!(url_path("https://h"), "/");
        assert_eq!(url_path("{{base_url}}/wallet/fiat?x=1"), "/wallet/fiat");
        assert_eq!(url_path("{{host}}:{{port}}/a"), "/a");
        assert_eq!(url_path("{{base_url}}"), "/");
        assert_eq!(url_host("{{base_url}}/wallet"), Some("{{base_url}}"));
        assert_eq!(url_host("/relative"), None);
        assert_eq!(url_host("https://u@h:8/a"), Some("h:8"));
        assert_eq!(path_pointer("/api/x", "GET"), "/paths/~1api~1x/get");
    }
}
