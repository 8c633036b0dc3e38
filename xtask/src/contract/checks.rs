//! The checks of one exchange against the specs, and what accumulates across exchanges
//! (presence statistics, `x-kotani-inferred` confirmations).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::har::Exchange;
use super::report::{Kind, Observation, PresenceTable, Source, finding_id};
use super::specs::{Match, SpecOp, Specs, inferred_reason, path_pointer, url_host, url_path};
use super::walk::{Seen, ValidatorCache, Walker};
use crate::schema::{SchemaValidator, deref, escape_token};

/// Tally of one `x-kotani-inferred` item.
#[derive(Debug)]
struct InferredTally {
    family: &'static str,
    method: String,
    path: String,
    reason: String,
    clean: usize,
    dirty: usize,
    /// Sequence number of the exchange it was first seen in, and that exchange.
    first: u64,
    source: Source,
}

/// The position of an observation in the input: the exchange's sequence number (its place in
/// all inputs, in order) and the observation's place among that exchange's observations.
pub type Order = (u64, u32);

/// A finding id's first observation (in input order) and how many there were.
#[derive(Debug)]
pub struct Aggregated {
    pub order: Order,
    pub observation: Observation,
    pub count: usize,
}

/// Everything the checks keep across exchanges: findings aggregated by id, presence statistics,
/// `x-kotani-inferred` tallies, operations seen and counts. Its size depends on the specs and
/// the distinct findings, not on the number of exchanges. Tallies of disjoint sets of exchanges
/// merge into the tally of their union whatever the order they are merged in (counts add up, the
/// first observation is the one with the lowest [`Order`]), which is what makes the report the
/// same with any number of threads.
#[derive(Debug, Default)]
pub struct Tally {
    pub findings: BTreeMap<String, Aggregated>,
    pub presence: BTreeMap<(String, u16), PresenceTable>,
    /// (operation id, spec pointer; `""` for the operation itself) → tally.
    inferred: BTreeMap<(String, String), InferredTally>,
    pub operations: BTreeMap<(String, String), (String, String)>,
    pub exchanges: usize,
    pub matched: usize,
    pub bodies_missing: usize,
    /// Exchanges whose host is a Postman variable that was not set: (input, variable) → family
    /// they matched by path (`"none"`: no operation) → count.
    pub unknown_hosts: BTreeMap<(String, String), BTreeMap<&'static str, usize>>,
}

impl Tally {
    /// Records an observation made at `order`.
    pub fn observe(&mut self, order: Order, o: Observation) {
        let id = finding_id(o.kind, o.operation_id.as_deref(), &o.pointer);
        match self.findings.get_mut(&id) {
            Some(a) => {
                a.count += 1;
                if order < a.order {
                    a.order = order;
                    a.observation = o;
                }
            }
            None => {
                self.findings.insert(
                    id,
                    Aggregated {
                        order,
                        observation: o,
                        count: 1,
                    },
                );
            }
        }
    }

    /// Adds the tally of other exchanges.
    pub fn merge(&mut self, other: Tally) {
        for (id, a) in other.findings {
            match self.findings.get_mut(&id) {
                Some(mine) => {
                    mine.count += a.count;
                    if a.order < mine.order {
                        mine.order = a.order;
                        mine.observation = a.observation;
                    }
                }
                None => {
                    self.findings.insert(id, a);
                }
            }
        }
        for (key, table) in other.presence {
            let mine = self.presence.entry(key).or_default();
            mine.samples += table.samples;
            for (pointer, p) in table.fields {
                let counts = mine.fields.entry(pointer).or_default();
                counts.present += p.present;
                counts.null += p.null;
                counts.absent += p.absent;
            }
        }
        for (key, t) in other.inferred {
            match self.inferred.get_mut(&key) {
                Some(mine) => {
                    mine.clean += t.clean;
                    mine.dirty += t.dirty;
                    if t.first < mine.first {
                        mine.first = t.first;
                        mine.source = t.source;
                    }
                }
                None => {
                    self.inferred.insert(key, t);
                }
            }
        }
        self.operations.extend(other.operations);
        self.exchanges += other.exchanges;
        self.matched += other.matched;
        self.bodies_missing += other.bodies_missing;
        for (key, families) in other.unknown_hosts {
            let mine = self.unknown_hosts.entry(key).or_default();
            for (family, n) in families {
                *mine.entry(family).or_default() += n;
            }
        }
    }

    /// Adds the `inferred_confirmed` findings: inferred items seen only without violations.
    /// Call once, after the last merge.
    pub fn finish(&mut self) {
        for ((op_id, pointer), t) in std::mem::take(&mut self.inferred) {
            if t.clean == 0 || t.dirty > 0 {
                continue;
            }
            let what = if pointer.is_empty() {
                "operation".to_owned()
            } else if pointer.starts_with("/paths/") {
                format!("response {pointer}")
            } else {
                format!("schema {pointer}")
            };
            let message = format!(
                "x-kotani-inferred {what} matched {} response(s) without violations (inferred because: {})",
                t.clean, t.reason
            );
            self.observe(
                (t.first, u32::MAX),
                Observation {
                    kind: Kind::InferredConfirmed,
                    family: Some(t.family),
                    operation_id: Some(op_id),
                    method: t.method,
                    path: t.path,
                    status: None,
                    pointer,
                    instance: String::new(),
                    message,
                    source: t.source,
                },
            );
        }
    }

    /// The findings by id: each one's first observation and count.
    pub fn into_findings(self) -> BTreeMap<String, (Observation, usize)> {
        self.findings
            .into_iter()
            .map(|(id, a)| (id, (a.observation, a.count)))
            .collect()
    }
}

/// Checks exchanges one by one and keeps what spans them in a [`Tally`].
pub struct Checker<'s> {
    specs: &'s Specs,
    validators: Vec<SchemaValidator<'s>>,
    caches: Vec<ValidatorCache<'s>>,
    pub tally: Tally,
    /// The exchange being checked: its sequence number and how many observations it made.
    seq: u64,
    sub: u32,
}

/// A problem found in one exchange, before it becomes an observation.
struct Found {
    kind: Kind,
    pointer: String,
    instance: String,
    message: String,
}

impl<'s> Checker<'s> {
    pub fn new(specs: &'s Specs) -> Self {
        Self {
            specs,
            validators: specs.specs.iter().map(|s| SchemaValidator::new(&s.doc)).collect(),
            caches: specs.specs.iter().map(|_| ValidatorCache::default()).collect(),
            tally: Tally::default(),
            seq: 0,
            sub: 0,
        }
    }

    fn observe(&mut self, o: Observation) {
        let order = (self.seq, self.sub);
        self.sub += 1;
        self.tally.observe(order, o);
    }

    /// Checks one exchange; `seq` is its place in all inputs (it decides which occurrence of a
    /// finding is shown as the first).
    pub fn check(&mut self, seq: u64, ex: &Exchange) {
        self.seq = seq;
        self.sub = 0;
        self.tally.exchanges += 1;
        let path = url_path(&ex.url);
        let mut matched = self.specs.match_request(&ex.method, &path);
        if let Some(var) = &ex.host_variable {
            // The host is an unset Postman variable: it may stand for a path prefix too, so the
            // path seen may be the end of an operation's path.
            if matches!(matched, Match::Unmatched { .. }) {
                matched = self.specs.match_request_suffix(&ex.method, &path);
            }
            let family = match &matched {
                Match::Operation(op) => op.family_name(),
                Match::Unmatched { .. } => "none",
            };
            *self
                .tally
                .unknown_hosts
                .entry((ex.source.file.clone(), var.clone()))
                .or_default()
                .entry(family)
                .or_default() += 1;
        }
        match matched {
            Match::Operation(op) => self.check_operation(op, ex),
            Match::Unmatched { same_path } => {
                let host = url_host(&ex.url).map(|h| format!(" on {h}")).unwrap_or_default();
                let mut message = format!("no operation in either spec matches {} {path}{host}", ex.method);
                if !same_path.is_empty() {
                    let others: Vec<String> = same_path
                        .iter()
                        .map(|o| format!("{} ({})", o.method, o.id))
                        .collect();
                    message.push_str(&format!("; the path is documented for {}", others.join(", ")));
                }
                self.observe(Observation {
                    kind: Kind::UnmatchedRequest,
                    family: None,
                    operation_id: None,
                    method: ex.method.clone(),
                    path: path.clone(),
                    status: (ex.status != 0).then_some(ex.status),
                    pointer: path_pointer(&path, &ex.method),
                    instance: String::new(),
                    message,
                    source: ex.source.clone(),
                });
            }
        }
    }

    fn check_operation(&mut self, op: &'s SpecOp, ex: &Exchange) {
        self.tally.matched += 1;
        self.tally.operations.insert(
            (op.family_name().to_owned(), op.id.clone()),
            (op.method.clone(), op.path.clone()),
        );
        if ex.status == 0 {
            // The capture holds no response (blocked or aborted request).
            self.tally.bodies_missing += 1;
            return;
        }
        let mut found = Vec::new();
        let status = ex.status;
        let doc = self.specs.doc(op);
        let op_obj = self.specs.op_object(op);
        let responses = op_obj.get("responses").and_then(Value::as_object);
        let body_json: Option<Result<Value, String>> = ex
            .body
            .as_deref()
            .filter(|b| !b.iter().all(u8::is_ascii_whitespace))
            .map(|b| serde_json::from_slice(b).map_err(|e| e.to_string()));
        let success = (200..300).contains(&status);
        let listed = || -> String {
            responses
                .map(|r| r.keys().map(String::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        };
        // A 2xx the operation does not list is still a success: the SDK decodes every 2xx with
        // the operation's success schema, so the body is checked against it, and the status is
        // reported (WARN) for the spec to list it.
        let documented = responses.and_then(|r| find_response(r, status));
        let substitute = match documented {
            Some(_) => None,
            None if success => responses.and_then(success_response),
            None => None,
        };
        let mut documented_2xx = false;
        let mut inferred_response: Option<(String, String)> = None;
        match documented.or(substitute) {
            None => {
                found.push(Found {
                    kind: Kind::UndocumentedStatus,
                    pointer: format!("/responses/{status}"),
                    instance: String::new(),
                    message: format!("status {status} is not documented (documented: {})", listed()),
                });
            }
            Some((key, response)) => {
                if substitute.is_some() {
                    found.push(Found {
                        kind: Kind::UndocumentedSuccessStatus,
                        pointer: format!("/responses/{status}"),
                        instance: String::new(),
                        message: format!(
                            "status {status} is not documented (documented: {}); the body was checked \
                             against the {key} response, as the SDK decodes every 2xx with the \
                             success schema: list {status} in the spec",
                            listed()
                        ),
                    });
                } else {
                    documented_2xx = success;
                }
                let base = format!("{}/responses/{}", op.pointer, escape_token(key));
                let (response, response_ptr) = deref(doc, response, &base).unwrap_or((response, base));
                if documented_2xx
                    && key == status.to_string()
                    && let Some(reason) = inferred_reason(response)
                {
                    inferred_response = Some((response_ptr.clone(), reason));
                }
                let content = response.get("content").and_then(Value::as_object);
                self.check_body(
                    op,
                    ex,
                    key,
                    content,
                    &response_ptr,
                    body_json.as_ref(),
                    &mut found,
                );
            }
        }

        // The SDK decodes every 2xx with the success schema and the other documented statuses
        // with the error schema (an undocumented non-2xx is an unexpected-response error).
        if let Some(Ok(_)) = &body_json
            && (documented.is_some() || substitute.is_some())
            && let Some(Err(failure)) =
                kotanipay::meta::decode(op.family, &op.id, status, ex.body.as_deref().unwrap_or_default())
        {
            let (instance, pointer) = serde_path_to_pointers(&failure.path);
            let at = if failure.path.is_empty() {
                "the root".to_owned()
            } else {
                format!("`{}`", failure.path)
            };
            found.push(Found {
                kind: Kind::DecodeFailure,
                pointer,
                instance,
                message: format!(
                    "the SDK's generated type does not decode the body at {at}: {}",
                    failure.message
                ),
            });
        }

        if let Some(reason) = &op.inferred {
            let clean = documented_2xx && found.is_empty();
            self.tally_inferred(op, String::new(), reason, clean, &ex.source);
        }
        if let Some((pointer, reason)) = inferred_response {
            let clean = found.is_empty();
            self.tally_inferred(op, pointer, &reason, clean, &ex.source);
        }
        for f in found {
            self.observe(Observation {
                kind: f.kind,
                family: Some(op.family_name()),
                operation_id: Some(op.id.clone()),
                method: op.method.clone(),
                path: op.path.clone(),
                status: Some(status),
                pointer: f.pointer,
                instance: f.instance,
                message: f.message,
                source: ex.source.clone(),
            });
        }
    }

    /// Content type and body checks against the documented response `key`.
    #[allow(clippy::too_many_arguments)]
    fn check_body(
        &mut self,
        op: &'s SpecOp,
        ex: &Exchange,
        key: &str,
        content: Option<&'s Map<String, Value>>,
        response_ptr: &str,
        body_json: Option<&Result<Value, String>>,
        found: &mut Vec<Found>,
    ) {
        let content = content.filter(|c| !c.is_empty());
        let documented: Vec<&str> = content
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let Some(body) = ex.body.as_deref() else {
            self.tally.bodies_missing += 1;
            return;
        };
        if body_json.is_none() {
            // An empty body.
            if content.is_some() && !matches!(ex.status, 204 | 205 | 304) {
                found.push(Found {
                    kind: Kind::SchemaViolation,
                    pointer: String::new(),
                    instance: String::new(),
                    message: format!(
                        "the body is empty; the spec documents {} for {key}",
                        documented.join(", ")
                    ),
                });
            }
            return;
        }
        let received = ex.content_type.as_deref().map(media_type);
        let Some(content) = content else {
            found.push(Found {
                kind: Kind::ContentType,
                pointer: format!("/responses/{}/content", escape_token(key)),
                instance: String::new(),
                message: format!(
                    "the spec documents no body for {key}; got {} ({} bytes)",
                    received.as_deref().unwrap_or("no Content-Type"),
                    body.len()
                ),
            });
            return;
        };
        let matched = received.as_deref().and_then(|ct| match_media(content, ct));
        if matched.is_none() {
            let got = received.clone().unwrap_or_default();
            found.push(Found {
                kind: Kind::ContentType,
                pointer: format!("/responses/{}/content/{}", escape_token(key), escape_token(&got)),
                instance: String::new(),
                message: match &received {
                    Some(ct) => format!(
                        "{ct} is not documented for {key} (documented: {})",
                        documented.join(", ")
                    ),
                    None => format!(
                        "the response has no Content-Type (documented: {})",
                        documented.join(", ")
                    ),
                },
            });
        }
        // Validate against the matched JSON media type, or against the documented JSON one when
        // the body is JSON under another label.
        let json_media = matched
            .filter(|(name, _)| is_json(name))
            .or_else(|| match body_json {
                Some(Ok(_)) => content
                    .iter()
                    .find(|(name, _)| is_json(name))
                    .map(|(n, m)| (n.as_str(), m)),
                _ => None,
            });
        let Some((media_name, media)) = json_media else {
            return;
        };
        let Some(schema) = media.get("schema") else { return };
        match body_json {
            Some(Err(e)) => found.push(Found {
                kind: Kind::SchemaViolation,
                pointer: String::new(),
                instance: String::new(),
                message: format!("the body is not valid JSON: {e}"),
            }),
            Some(Ok(value)) => {
                let schema_ptr = format!("{response_ptr}/content/{}/schema", escape_token(media_name));
                let spec = op.spec;
                let mut walker = Walker::new(
                    &self.specs.specs[spec].doc,
                    &self.validators[spec],
                    &mut self.caches[spec],
                );
                walker.walk_body(schema, &schema_ptr, value);
                let Walker {
                    issues,
                    presence,
                    inferred,
                    ..
                } = walker;
                let table = self.tally.presence.entry((op.id.clone(), ex.status)).or_default();
                table.samples += 1;
                for (pointer, seen) in presence {
                    let counts = table.fields.entry(pointer).or_default();
                    match seen {
                        Seen::Present => counts.present += 1,
                        Seen::Null => counts.null += 1,
                        Seen::Absent => counts.absent += 1,
                    }
                }
                for hit in inferred {
                    self.tally_inferred(op, hit.pointer, &hit.reason, hit.clean, &ex.source);
                }
                found.extend(issues.into_iter().map(|i| Found {
                    kind: i.kind,
                    pointer: i.pointer,
                    instance: i.instance,
                    message: i.message,
                }));
            }
            None => {}
        }
    }

    fn tally_inferred(&mut self, op: &SpecOp, pointer: String, reason: &str, clean: bool, source: &Source) {
        let seq = self.seq;
        let tally = self
            .tally
            .inferred
            .entry((op.id.clone(), pointer))
            .or_insert_with(|| InferredTally {
                family: op.family_name(),
                method: op.method.clone(),
                path: op.path.clone(),
                reason: reason.to_owned(),
                clean: 0,
                dirty: 0,
                first: seq,
                source: source.clone(),
            });
        if clean {
            tally.clean += 1;
        } else {
            tally.dirty += 1;
        }
    }
}

/// The operation's success response (the lowest documented 2xx): what the SDK decodes any 2xx
/// with. Every 2xx of an operation has the same schema (spec lint check 2).
fn success_response(responses: &Map<String, Value>) -> Option<(&str, &Value)> {
    responses
        .iter()
        .filter(|(k, _)| k.starts_with('2'))
        .min_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(k, v)| (k.as_str(), v))
}

/// The documented response for a status: exact code, then its range (`4XX`), then `default`.
fn find_response(responses: &Map<String, Value>, status: u16) -> Option<(&str, &Value)> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    responses
        .get_key_value(&exact)
        .or_else(|| responses.iter().find(|(k, _)| k.eq_ignore_ascii_case(&range)))
        .or_else(|| responses.get_key_value("default"))
        .map(|(k, v)| (k.as_str(), v))
}

/// `Application/JSON; charset=utf-8` → `application/json`.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The documented media type matching `received`: exact, then `type/*`, then `*/*`.
fn match_media<'c>(content: &'c Map<String, Value>, received: &str) -> Option<(&'c str, &'c Value)> {
    let main = received.split('/').next().unwrap_or_default();
    let find = |want: &str| {
        content
            .iter()
            .find(|(k, _)| media_type(k) == want)
            .map(|(k, v)| (k.as_str(), v))
    };
    find(received)
        .or_else(|| find(&format!("{main}/*")))
        .or_else(|| find("*/*"))
}

fn is_json(media: &str) -> bool {
    let m = media_type(media);
    m == "application/json" || m.ends_with("+json")
}

/// `data[3].amount` (serde_path_to_error) → (`/data/3/amount`, `/data/*/amount`).
pub fn serde_path_to_pointers(path: &str) -> (String, String) {
    let (mut concrete, mut normal) = (String::new(), String::new());
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    let flush = |key: &mut String, concrete: &mut String, normal: &mut String| {
        if !key.is_empty() {
            let t = escape_token(key);
            concrete.push_str(&format!("/{t}"));
            normal.push_str(&format!("/{t}"));
            key.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut key, &mut concrete, &mut normal),
            '[' => {
                flush(&mut key, &mut concrete, &mut normal);
                let index: String = chars.by_ref().take_while(|c| *c != ']').collect();
                concrete.push_str(&format!("/{}", escape_token(&index)));
                normal.push_str("/*");
            }
            c => key.push(c),
        }
    }
    flush(&mut key, &mut concrete, &mut normal);
    (concrete, normal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn observation(instance: &str, entry: usize) -> Observation {
        Observation {
            kind: Kind::UndocumentedField,
            family: Some("v3"),
            operation_id: Some("get_x".into()),
            method: "GET".into(),
            path: "/x".into(),
            status: Some(200),
            pointer: "/data/*/extra".into(),
            instance: instance.into(),
            message: format!("seen in {entry}"),
            source: Source::entry("f.har", entry, None),
        }
    }

    #[test]
    fn tallies_merge_the_same_in_any_order() {
        let tally = |seqs: &[u64]| {
            let mut t = Tally::default();
            for &seq in seqs {
                t.observe((seq, 0), observation(&format!("/data/{seq}/extra"), seq as usize));
                t.exchanges += 1;
                let table = t.presence.entry(("get_x".into(), 200)).or_default();
                table.samples += 1;
                table.fields.entry("/data/*/extra".into()).or_default().present += 1;
            }
            t
        };
        let merged = |parts: Vec<Tally>| {
            let mut total = Tally::default();
            for p in parts {
                total.merge(p);
            }
            total.finish();
            let a = &total.findings["undocumented_field:get_x:/data/*/extra"];
            (
                a.count,
                a.order,
                a.observation.instance.clone(),
                a.observation.message.clone(),
                total.exchanges,
                total.presence[&("get_x".to_owned(), 200)].fields["/data/*/extra"],
            )
        };
        let one = merged(vec![tally(&[7, 3, 9, 12])]);
        assert_eq!(one.0, 4);
        assert_eq!(
            (one.1, one.2.as_str(), one.3.as_str()),
            ((3, 0), "/data/3/extra", "seen in 3")
        );
        assert_eq!(one, merged(vec![tally(&[9, 12]), tally(&[7, 3])]));
        assert_eq!(
            one,
            merged(vec![tally(&[7]), tally(&[12]), tally(&[]), tally(&[9, 3])])
        );
        assert_eq!(one.5.present, 4);
    }

    #[test]
    fn serde_paths() {
        assert_eq!(serde_path_to_pointers(""), (String::new(), String::new()));
        assert_eq!(
            serde_path_to_pointers("data[3].amount"),
            ("/data/3/amount".into(), "/data/*/amount".into())
        );
        assert_eq!(
            serde_path_to_pointers("error_code"),
            ("/error_code".into(), "/error_code".into())
        );
        assert_eq!(
            serde_path_to_pointers("a.b/c"),
            ("/a/b~1c".into(), "/a/b~1c".into())
        );
    }

    #[test]
    fn responses_and_media() {
        let r = json!({"200": 1, "4XX": 2, "default": 3});
        let r = r.as_object().unwrap();
        assert_eq!(find_response(r, 200).unwrap().0, "200");
        assert_eq!(find_response(r, 404).unwrap().0, "4XX");
        assert_eq!(find_response(r, 503).unwrap().0, "default");
        let created = json!({"201": 1, "200": 2, "4XX": 3});
        assert_eq!(success_response(created.as_object().unwrap()).unwrap().0, "200");
        let only_errors = json!({"4XX": 1, "5XX": 2});
        assert!(success_response(only_errors.as_object().unwrap()).is_none());
        let no_default = json!({"200": 1, "4xx": 2});
        assert!(find_response(no_default.as_object().unwrap(), 500).is_none());
        assert_eq!(
            find_response(no_default.as_object().unwrap(), 401).unwrap().0,
            "4xx"
        );
        let c = json!({"application/json": {}, "text/*": {}});
        let c = c.as_object().unwrap();
        assert_eq!(
            match_media(c, &media_type("Application/JSON; charset=utf-8"))
                .unwrap()
                .0,
            "application/json"
        );
        assert_eq!(match_media(c, "text/html").unwrap().0, "text/*");
        assert!(match_media(c, "image/png").is_none());
        assert!(is_json("application/problem+json"));
    }
}
