//! Walks a response body alongside its OpenAPI schema.
//!
//! A JSON Schema validator alone cannot report what the contract check needs: it accepts
//! undocumented properties unless a schema says `additionalProperties: false`, it buries an enum
//! or `required` failure under a vague `anyOf` error once `nullable` wraps a `$ref`, and it keeps
//! no statistics. So the walker does the structure itself — `$ref`, `nullable`, `allOf` merging,
//! `oneOf`/`anyOf` branch choice, object properties, array items, maps — and hands every node's
//! own assertions (type, format, pattern, bounds, ...) to the `jsonschema` crate through
//! [`SchemaValidator`] (the same OpenAPI → JSON Schema conversion as the spec lint).
//!
//! Per node it reports:
//! - `schema_violation`: the node fails its own assertions, or matches no `oneOf`/`anyOf` branch;
//! - `missing_required`: a `required` property is absent;
//! - `undocumented_field`: a property the schema does not list, whatever `additionalProperties`
//!   says, unless the object is free-form (no `properties`);
//! - `unknown_enum_value`: a value outside the documented enum (response enums are open: the SDK
//!   decodes it as `Unknown`, so this is drift, not breakage).
//!
//! It also records the presence of every documented property and which `x-kotani-inferred`
//! schemas were crossed, and whether cleanly.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::report::Kind;
use super::specs::inferred_reason;
use crate::schema::{SCHEMA_REF_PREFIX, SchemaValidator, escape_token, resolve_ref};

/// Keywords the walker handles itself; the rest of a node is validated by `jsonschema`.
const STRUCTURAL: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "enum",
    "allOf",
    "anyOf",
    "oneOf",
    "discriminator",
    "nullable",
];

/// Keywords that assert nothing.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "example",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// How long a validator message may get (they quote the instance).
const MAX_MESSAGE: usize = 200;

/// One problem in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub kind: Kind,
    /// Normalised pointer: array indices and map keys are `*`.
    pub pointer: String,
    /// The concrete pointer.
    pub instance: String,
    pub message: String,
}

/// Whether a documented property was present, null or absent in one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Present,
    Null,
    Absent,
}

/// An `x-kotani-inferred` schema the body went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferredHit {
    /// Pointer of the schema in the spec.
    pub pointer: String,
    pub reason: String,
    /// No issue inside it.
    pub clean: bool,
}

type Compiled = Rc<Result<jsonschema::Validator, String>>;

/// What the walker learns once per schema node and reuses for every body: resolved schemas
/// (`$ref`s followed, `allOf` merged) with the validator of their own assertions, and compiled
/// validators, keyed by the JSON of the schema they check. One per spec document (`'d`); not
/// shared between threads.
pub struct ValidatorCache<'d> {
    compiled: HashMap<String, Compiled>,
    /// Schema node (its address, then its spec pointer) → resolved. A node is a part of the
    /// document (`'d`) or of a resolved schema held here, so its address stays its own while
    /// the cache lives.
    resolved: HashMap<usize, Vec<(String, Rc<Resolved>)>>,
    /// Schema node (address) → the validator of the whole schema (`oneOf`/`anyOf` branches).
    whole: HashMap<usize, Compiled>,
    doc: PhantomData<&'d Value>,
}

impl Default for ValidatorCache<'_> {
    fn default() -> Self {
        Self {
            compiled: HashMap::new(),
            resolved: HashMap::new(),
            whole: HashMap::new(),
            doc: PhantomData,
        }
    }
}

/// A schema node, resolved: its effective schema, the `x-kotani-inferred` schemas crossed on the
/// way, and the validator of its own assertions (`None`: it has none).
struct Resolved {
    eff: Effective,
    markers: Vec<(String, String)>,
    own: Option<Compiled>,
}

/// A body pointer: the normalised one (array indices and map keys as `*`), built as the walk
/// descends, and the concrete one, built only when an issue needs it (from the chain of
/// parents).
#[derive(Debug, Default)]
struct Ptr<'p> {
    normal: String,
    parent: Option<&'p Ptr<'p>>,
    /// This level's concrete token (`None`: the root).
    token: Option<Token<'p>>,
}

#[derive(Debug, Clone, Copy)]
enum Token<'p> {
    Key(&'p str),
    Index(usize),
}

impl<'p> Ptr<'p> {
    fn key<'c>(&'c self, key: &'c str) -> Ptr<'c> {
        Ptr {
            normal: joined(&self.normal, &token(key)),
            parent: Some(self),
            token: Some(Token::Key(key)),
        }
    }

    /// An array index: data, not structure.
    fn index(&self, i: usize) -> Ptr<'_> {
        Ptr {
            normal: joined(&self.normal, "*"),
            parent: Some(self),
            token: Some(Token::Index(i)),
        }
    }

    /// A map key: data, not structure.
    fn map_key<'c>(&'c self, key: &'c str) -> Ptr<'c> {
        Ptr {
            normal: joined(&self.normal, "*"),
            parent: Some(self),
            token: Some(Token::Key(key)),
        }
    }

    /// The concrete pointer (`/data/3/amount`).
    fn concrete(&self) -> String {
        let mut tokens = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            if let Some(t) = p.token {
                tokens.push(t);
            }
            at = p.parent;
        }
        let mut out = String::new();
        for t in tokens.iter().rev() {
            out.push('/');
            match t {
                Token::Key(k) => out.push_str(&token(k)),
                Token::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

/// A JSON pointer token, escaped only when it has to be.
fn token(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        std::borrow::Cow::Owned(escape_token(key))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// `base/token`.
fn joined(base: &str, token: &str) -> String {
    let mut s = String::with_capacity(base.len() + 1 + token.len());
    s.push_str(base);
    s.push('/');
    s.push_str(token);
    s
}

/// A schema with `$ref`s followed and `allOf` merged.
struct Effective {
    schema: Map<String, Value>,
    nullable: bool,
    /// The component it came from (`Checkout`), for messages.
    name: Option<String>,
    /// Spec pointer of the schema (after the last `$ref`).
    pointer: String,
    /// Spec pointer of each property's schema.
    prop_ptrs: HashMap<String, String>,
}

/// Walks bodies of one spec.
pub struct Walker<'a, 'd> {
    doc: &'d Value,
    validator: &'a SchemaValidator<'d>,
    cache: &'a mut ValidatorCache<'d>,
    pub issues: Vec<Issue>,
    pub presence: Vec<(String, Seen)>,
    pub inferred: Vec<InferredHit>,
}

impl<'a, 'd> Walker<'a, 'd> {
    pub fn new(
        doc: &'d Value,
        validator: &'a SchemaValidator<'d>,
        cache: &'a mut ValidatorCache<'d>,
    ) -> Self {
        Self {
            doc,
            validator,
            cache,
            issues: Vec::new(),
            presence: Vec::new(),
            inferred: Vec::new(),
        }
    }

    /// Walks `body` against the Schema Object at `schema_ptr` of the spec (`schema` is that
    /// node of the document).
    pub fn walk_body(&mut self, schema: &'d Value, schema_ptr: &str, body: &Value) {
        self.walk(schema, schema_ptr, body, &Ptr::default());
    }

    fn issue(&mut self, kind: Kind, at: &Ptr<'_>, message: String) {
        self.issues.push(Issue {
            kind,
            pointer: at.normal.clone(),
            instance: at.concrete(),
            message,
        });
    }

    fn walk(&mut self, schema: &Value, schema_ptr: &str, inst: &Value, at: &Ptr<'_>) {
        let resolved = self.resolved(schema, schema_ptr);
        if inst.is_null() && resolved.eff.nullable {
            return;
        }
        let before = self.issues.len();
        self.walk_effective(&resolved, inst, at);
        let clean = self.issues[before..].is_empty();
        for (pointer, reason) in &resolved.markers {
            self.inferred.push(InferredHit {
                pointer: pointer.clone(),
                reason: reason.clone(),
                clean,
            });
        }
    }

    /// The schema node resolved, from the cache when it was resolved before. `schema` is a node
    /// of the document or of a schema the cache holds (see [`ValidatorCache`]).
    fn resolved(&mut self, schema: &Value, schema_ptr: &str) -> Rc<Resolved> {
        let address = std::ptr::from_ref(schema) as usize;
        if let Some(list) = self.cache.resolved.get(&address)
            && let Some((_, r)) = list.iter().find(|(p, _)| p == schema_ptr)
        {
            return Rc::clone(r);
        }
        let mut markers = Vec::new();
        let eff = self.resolve(schema, schema_ptr, &mut markers, 0);
        let own: Map<String, Value> = eff
            .schema
            .iter()
            .filter(|(k, _)| {
                !STRUCTURAL.contains(&k.as_str())
                    && !ANNOTATIONS.contains(&k.as_str())
                    && !k.starts_with("x-")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let own = (!own.is_empty()).then(|| self.compiled(&Value::Object(own)));
        let resolved = Rc::new(Resolved { eff, markers, own });
        self.cache
            .resolved
            .entry(address)
            .or_default()
            .push((schema_ptr.to_owned(), Rc::clone(&resolved)));
        resolved
    }

    /// Follows `$ref`s and merges `allOf`, noting `x-kotani-inferred` schemas on the way.
    fn resolve(
        &self,
        schema: &Value,
        schema_ptr: &str,
        markers: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Effective {
        let mut current = schema;
        let mut ptr = schema_ptr.to_owned();
        let mut nullable = false;
        let mut name = None;
        for _ in 0..32 {
            if let Some(reason) = inferred_reason(current) {
                markers.push((ptr.clone(), reason));
            }
            nullable |= current.get("nullable").and_then(Value::as_bool).unwrap_or(false);
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(target) = resolve_ref(self.doc, reference) else {
                break;
            };
            if let Some(n) = reference.strip_prefix(SCHEMA_REF_PREFIX) {
                name = Some(n.to_owned());
            }
            ptr = reference.trim_start_matches('#').to_owned();
            current = target;
        }
        let mut schema = current.as_object().cloned().unwrap_or_default();
        schema.remove("$ref");
        let mut prop_ptrs = HashMap::new();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for p in props.keys() {
                prop_ptrs.insert(p.clone(), format!("{ptr}/properties/{}", escape_token(p)));
            }
        }
        let mut eff = Effective {
            schema,
            nullable,
            name,
            pointer: ptr,
            prop_ptrs,
        };
        if let Some(Value::Array(members)) = eff.schema.remove("allOf")
            && depth < 16
        {
            for (j, member) in members.iter().enumerate() {
                let m = self.resolve(member, &format!("{}/allOf/{j}", eff.pointer), markers, depth + 1);
                merge(&mut eff, m);
            }
        }
        eff
    }

    fn walk_effective(&mut self, resolved: &Resolved, inst: &Value, at: &Ptr<'_>) {
        let eff = &resolved.eff;
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = eff.schema.get(key) {
                self.shallow(resolved.own.as_deref(), inst, at);
                self.walk_branches(key, branches, &eff.pointer, inst, at);
                return;
            }
        }
        if !self.shallow(resolved.own.as_deref(), inst, at) {
            // A type mismatch: descending would only repeat it.
            return;
        }
        if let Some(Value::Array(values)) = eff.schema.get("enum")
            && !inst.is_null()
            && !values.contains(inst)
        {
            let documented: Vec<String> = values.iter().map(Value::to_string).collect();
            let of = eff
                .name
                .as_deref()
                .map(|n| format!(" of {n}"))
                .unwrap_or_default();
            self.issue(
                Kind::UnknownEnumValue,
                at,
                format!(
                    "{} is not a documented value{of} ({}); the SDK decodes it as Unknown",
                    short(&inst.to_string()),
                    short(&documented.join(", "))
                ),
            );
        }
        match inst {
            Value::Object(map) if is_object_schema(&eff.schema) => self.walk_object(eff, map, at),
            Value::Array(items) => {
                if let Some(item_schema) = eff.schema.get("items") {
                    let item_ptr = format!("{}/items", eff.pointer);
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item_schema, &item_ptr, item, &at.index(i));
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_object(&mut self, eff: &Effective, map: &Map<String, Value>, at: &Ptr<'_>) {
        let empty = Map::new();
        let props = eff
            .schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: &[Value] = eff
            .schema
            .get("required")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let is_required = |name: &str| required.iter().any(|r| r.as_str() == Some(name));
        let additional = eff.schema.get("additionalProperties");
        let of = || {
            eff.name
                .as_deref()
                .map(|n| format!(" of {n}"))
                .unwrap_or_default()
        };
        for (name, prop_schema) in props {
            let child = at.key(name);
            let prop_ptr = eff.prop_ptrs.get(name).map_or("", String::as_str);
            match map.get(name) {
                None => {
                    if is_required(name) {
                        self.issue(
                            Kind::MissingRequired,
                            &child,
                            format!("required property `{name}`{} is absent", of()),
                        );
                    }
                    self.presence.push((child.normal, Seen::Absent));
                }
                Some(value) => {
                    let seen = if value.is_null() {
                        Seen::Null
                    } else {
                        Seen::Present
                    };
                    self.walk(prop_schema, prop_ptr, value, &child);
                    self.presence.push((child.normal, seen));
                }
            }
        }
        for name in required
            .iter()
            .filter_map(Value::as_str)
            .filter(|r| !props.contains_key(*r))
        {
            if !map.contains_key(name) {
                self.issue(
                    Kind::MissingRequired,
                    &at.key(name),
                    format!("required property `{name}`{} is absent", of()),
                );
            }
        }
        let documented = !props.is_empty() || additional == Some(&Value::Bool(false));
        let ap_ptr = format!("{}/additionalProperties", eff.pointer);
        for (name, value) in map {
            if props.contains_key(name) {
                continue;
            }
            match additional {
                Some(map_schema @ Value::Object(_)) => {
                    self.walk(map_schema, &ap_ptr, value, &at.map_key(name));
                }
                _ if documented => {
                    let child = at.key(name);
                    self.presence.push((
                        child.normal.clone(),
                        if value.is_null() {
                            Seen::Null
                        } else {
                            Seen::Present
                        },
                    ));
                    self.issue(
                        Kind::UndocumentedField,
                        &child,
                        format!(
                            "property `{name}` ({}) is not in the schema{}",
                            json_type(value),
                            of()
                        ),
                    );
                }
                // A free-form object: its contents are not described.
                _ => {}
            }
        }
    }

    fn walk_branches(&mut self, key: &str, branches: &[Value], schema_ptr: &str, inst: &Value, at: &Ptr<'_>) {
        let valid: Vec<usize> = (0..branches.len())
            .filter(|&i| self.is_valid(&branches[i], inst))
            .collect();
        if key == "oneOf" && valid.len() > 1 {
            self.issue(
                Kind::SchemaViolation,
                at,
                format!(
                    "matches {} of the oneOf alternatives; exactly one expected",
                    valid.len()
                ),
            );
        }
        let chosen = valid.first().copied().or_else(|| {
            (0..branches.len()).find(|&i| {
                let eff = self.resolve(&branches[i], "", &mut Vec::new(), 0);
                type_matches(&eff.schema, inst)
            })
        });
        match chosen {
            Some(i) => self.walk(&branches[i], &format!("{schema_ptr}/{key}/{i}"), inst, at),
            None => {
                let types: Vec<String> = branches
                    .iter()
                    .map(|b| {
                        let eff = self.resolve(b, "", &mut Vec::new(), 0);
                        eff.name
                            .or_else(|| eff.schema.get("type").map(|t| t.to_string().replace('"', "")))
                            .unwrap_or_else(|| "{}".into())
                    })
                    .collect();
                self.issue(
                    Kind::SchemaViolation,
                    at,
                    format!(
                        "{} matches none of the {key} alternatives ({})",
                        json_type(inst),
                        types.join(", ")
                    ),
                );
            }
        }
    }

    /// Whether `inst` is valid against `schema` as a whole (enums included). `schema` is a node
    /// of the document or of a schema the cache holds.
    fn is_valid(&mut self, schema: &Value, inst: &Value) -> bool {
        let address = std::ptr::from_ref(schema) as usize;
        let compiled = match self.cache.whole.get(&address) {
            Some(c) => Rc::clone(c),
            None => {
                let c = self.compiled(schema);
                self.cache.whole.insert(address, Rc::clone(&c));
                c
            }
        };
        match &*compiled {
            Ok(v) => v.is_valid(inst),
            Err(_) => false,
        }
    }

    /// Validates the node's own assertions (not its structure) with their validator (`None`:
    /// the node has none). False on a failure.
    fn shallow(
        &mut self,
        own: Option<&Result<jsonschema::Validator, String>>,
        inst: &Value,
        at: &Ptr<'_>,
    ) -> bool {
        let Some(own) = own else {
            return true;
        };
        if let Ok(v) = own
            && v.is_valid(inst)
        {
            return true;
        }
        let errors: Vec<(String, String)> = match own {
            Ok(v) => v
                .iter_errors(inst)
                .map(|e| {
                    (
                        e.instance_path().as_str().to_owned(),
                        format!("{}: {}", e.kind().keyword(), e),
                    )
                })
                .collect(),
            Err(e) => vec![(
                String::new(),
                format!("cannot check, the spec schema does not compile: {e}"),
            )],
        };
        for (path, message) in &errors {
            self.issues.push(Issue {
                kind: Kind::SchemaViolation,
                pointer: format!("{}{path}", at.normal),
                instance: format!("{}{path}", at.concrete()),
                message: short(message),
            });
        }
        errors.is_empty()
    }

    fn compiled(&mut self, schema: &Value) -> Compiled {
        let key = schema.to_string();
        let validator = self.validator;
        Rc::clone(self.cache.compiled.entry(key).or_insert_with(|| {
            let root = validator.root_schema(schema);
            Rc::new(
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .map_err(|e| e.to_string()),
            )
        }))
    }
}

/// Merges an `allOf` member into the schema being built.
fn merge(into: &mut Effective, member: Effective) {
    for (key, value) in member.schema {
        match (key.as_str(), into.schema.get_mut(&key)) {
            ("properties", Some(Value::Object(props))) => {
                if let Value::Object(more) = value {
                    for (k, v) in more {
                        props.entry(k).or_insert(v);
                    }
                }
            }
            ("required", Some(Value::Array(req))) => {
                if let Value::Array(more) = value {
                    for r in more {
                        if !req.contains(&r) {
                            req.push(r);
                        }
                    }
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                into.schema.insert(key, value);
            }
        }
    }
    for (k, v) in member.prop_ptrs {
        into.prop_ptrs.entry(k).or_insert(v);
    }
    if into.name.is_none() {
        into.name = member.name;
    }
}

fn is_object_schema(schema: &Map<String, Value>) -> bool {
    schema.contains_key("properties")
        || schema.contains_key("additionalProperties")
        || schema.get("type").and_then(Value::as_str) == Some("object")
}

fn type_matches(schema: &Map<String, Value>, inst: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => inst.as_i64().is_some() || inst.as_u64().is_some(),
        Some(t) => t == json_type(inst) || (t == "number" && json_type(inst) == "integer"),
        None => is_object_schema(schema) && inst.is_object(),
    }
}

/// The JSON type of a value, `integer` for whole numbers.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(MAX_MESSAGE).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::yaml_to_json;
    use serde_json::json;

    fn doc() -> Value {
        yaml_to_json(
            r##"
components:
  schemas:
    Status:
      type: string
      enum: [active, closed]
    Number:
      oneOf:
        - type: string
        - type: number
    Wallet:
      type: object
      x-kotani-inferred: guessed
      required: [id, status]
      properties:
        id: {type: string}
        status:
          $ref: "#/components/schemas/Status"
        owner:
          nullable: true
          allOf:
            - $ref: "#/components/schemas/Owner"
        email: {type: string, format: email}
        ref: {$ref: "#/components/schemas/Number"}
        meta: {type: object, additionalProperties: true}
        balances:
          type: object
          additionalProperties: {type: number}
    Owner:
      type: object
      required: [name]
      properties:
        name: {type: string}
    Envelope:
      type: object
      additionalProperties: true
      properties:
        data:
          type: array
          items: {$ref: "#/components/schemas/Wallet"}
"##,
        )
        .unwrap()
    }

    fn walk(body: Value) -> (Vec<Issue>, Vec<(String, Seen)>, Vec<InferredHit>) {
        let d = doc();
        let root = json!({"$ref": "#/components/schemas/Envelope"});
        let v = SchemaValidator::new(&d);
        let mut cache = ValidatorCache::default();
        let mut w = Walker::new(&d, &v, &mut cache);
        w.walk_body(&root, "/x", &body);
        // A second body reuses what the first resolved, with the same result.
        let first = (w.issues.clone(), w.presence.clone(), w.inferred.clone());
        let mut w = Walker::new(&d, &v, &mut cache);
        w.walk_body(&root, "/x", &body);
        assert_eq!(
            (&w.issues, &w.presence, &w.inferred),
            (&first.0, &first.1, &first.2)
        );
        (w.issues, w.presence, w.inferred)
    }

    fn kinds(issues: &[Issue]) -> Vec<(Kind, &str)> {
        issues.iter().map(|i| (i.kind, i.pointer.as_str())).collect()
    }

    #[test]
    fn clean_body() {
        let (issues, presence, inferred) = walk(json!({"data": [
            {"id": "w", "status": "active", "owner": null, "email": "a@b.co", "ref": "12",
             "meta": {"anything": [1]}, "balances": {"KES": 1.5}},
            {"id": "v", "status": "closed", "owner": {"name": "n"}, "ref": 12}
        ]}));
        assert_eq!(issues, vec![]);
        assert!(presence.contains(&("/data/*/owner".into(), Seen::Null)));
        assert!(presence.contains(&("/data/*/email".into(), Seen::Absent)));
        assert_eq!(inferred.len(), 2);
        assert!(
            inferred
                .iter()
                .all(|h| h.clean && h.pointer == "/components/schemas/Wallet")
        );
    }

    #[test]
    fn each_problem_has_its_kind_and_pointer() {
        let (issues, _, inferred) = walk(json!({"data": [
            {"id": 5, "status": "frozen", "owner": {}, "email": "nope", "ref": true,
             "extra": 1, "balances": {"KES": "x"}, "meta": {"free": "form"}}
        ], "top": "envelope is open but documented"}));
        let k = kinds(&issues);
        assert!(k.contains(&(Kind::SchemaViolation, "/data/*/id")), "{k:?}");
        assert!(k.contains(&(Kind::UnknownEnumValue, "/data/*/status")), "{k:?}");
        assert!(
            k.contains(&(Kind::MissingRequired, "/data/*/owner/name")),
            "{k:?}"
        );
        assert!(k.contains(&(Kind::SchemaViolation, "/data/*/email")), "{k:?}");
        assert!(k.contains(&(Kind::SchemaViolation, "/data/*/ref")), "{k:?}");
        assert!(k.contains(&(Kind::UndocumentedField, "/data/*/extra")), "{k:?}");
        assert!(
            k.contains(&(Kind::SchemaViolation, "/data/*/balances/*")),
            "{k:?}"
        );
        assert!(k.contains(&(Kind::UndocumentedField, "/top")), "{k:?}");
        assert_eq!(k.len(), 8, "{k:?}");
        let enum_issue = issues.iter().find(|i| i.kind == Kind::UnknownEnumValue).unwrap();
        assert_eq!(enum_issue.instance, "/data/0/status");
        assert!(enum_issue.message.contains("of Status"), "{}", enum_issue.message);
        assert!(inferred.iter().all(|h| !h.clean));
    }

    #[test]
    fn missing_required_and_null_where_not_nullable() {
        let (issues, _, _) = walk(json!({"data": [{"status": null}]}));
        let k = kinds(&issues);
        assert!(k.contains(&(Kind::MissingRequired, "/data/*/id")), "{k:?}");
        assert!(k.contains(&(Kind::SchemaViolation, "/data/*/status")), "{k:?}");
    }
}
