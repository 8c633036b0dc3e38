//! The conventions of `spec/README.md` as rules. Each rule looks at a loaded spec and returns
//! findings: where (a JSON pointer into the spec), how bad ([`Severity`]) and what.
//!
//! `build.rs` fails on any finding of severity [`Severity::Error`] (the generated client would be
//! wrong, or would not build); `cargo xtask spec lint` prints every finding and fails on any.
//! Validating examples against their schemas needs a JSON Schema validator and lives in the
//! lint (`xtask/src/spec_lint.rs`), which reports it as the rule `example`.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use heck::ToSnakeCase;
use serde_json::{Value, json};

use crate::family::Family;
use crate::load::Spec;
use crate::model::{EnumSides, Operation, PageStyle};
use crate::pointer::{
    RefError, SCHEMA_REF_PREFIX, child, deref, follow, is_json_pointer, pointer, pointer_tokens, ref_name,
    resolve_ref, schema_name,
};
use crate::walk::{entries, media_examples, object_shape, schema_roots, subschemas, walk_schema};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A convention that does not change the generated client (documentation, tags): the lint
    /// fails on it, the build does not.
    Warning,
    /// The generated client would be wrong or would not build: the build fails.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "ERROR",
            Self::Warning => "WARN",
        })
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's name ([`Rule::name`]).
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// JSON pointer into the spec document (`/paths/~1api~1v3~1wallet/get/responses/4XX`).
    pub pointer: String,
    /// The operationId, component name or path the pointer is in (`-` if none).
    pub subject: String,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    /// The finding as one line: `ERROR <file> <subject> <pointer>: <message>`.
    pub fn line(&self, file: &str) -> String {
        format!(
            "{} {file} {} {}: {}",
            self.severity, self.subject, self.pointer, self.message
        )
    }
}

/// One convention.
pub struct Rule {
    /// Its name, as findings carry it (`status_operation`).
    pub name: &'static str,
    /// The severity of its findings.
    pub severity: Severity,
    /// What it requires, in one sentence.
    pub summary: &'static str,
    check: fn(&Ctx<'_>, &mut Vec<(String, String)>),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.name)
            .field("severity", &self.severity)
            .finish()
    }
}

impl Rule {
    /// Runs this rule alone.
    pub fn check(&self, spec: &Spec, family: &Family) -> Vec<Finding> {
        let ctx = Ctx { spec, family };
        let mut found = Vec::new();
        (self.check)(&ctx, &mut found);
        let mut out: Vec<Finding> = Vec::new();
        for (pointer, message) in found {
            let finding = Finding {
                rule: self.name,
                severity: self.severity,
                subject: spec.subject(&pointer),
                pointer,
                message,
            };
            if !out.contains(&finding) {
                out.push(finding);
            }
        }
        out
    }
}

/// Every rule, in the order they run.
pub static RULES: &[Rule] = &[
    Rule {
        name: "openapi",
        severity: Severity::Error,
        summary: "the document is OpenAPI 3.0.x (it parses as an OpenAPI 3.0 document)",
        check: check_openapi,
    },
    Rule {
        name: "paths",
        severity: Severity::Error,
        summary: "the spec has a `paths` mapping and every operation is a mapping",
        check: check_paths,
    },
    Rule {
        name: "operation_id",
        severity: Severity::Error,
        summary: "every operation has an operationId, snake_case (as the Rust method is named), unique",
        check: check_operation_id,
    },
    Rule {
        name: "tags",
        severity: Severity::Warning,
        summary: "every operation has at least one tag, each declared in the top-level `tags`",
        check: check_tags,
    },
    Rule {
        name: "description",
        severity: Severity::Warning,
        summary: "every operation has a non-empty `summary` and `description`",
        check: check_description,
    },
    Rule {
        name: "responses",
        severity: Severity::Error,
        summary: "`responses` has a 2xx, each 2xx a literal status code, and no `default` response",
        check: check_responses,
    },
    Rule {
        name: "success_schema",
        severity: Severity::Error,
        summary: "every 2xx has `application/json` with a `$ref` to a named schema, the same for all",
        check: check_success_schema,
    },
    Rule {
        name: "success_example",
        severity: Severity::Warning,
        summary: "the success response has an example",
        check: check_success_example,
    },
    Rule {
        name: "error_schema",
        severity: Severity::Error,
        summary: "every 4xx/5xx uses the family's error schema, other non-2xx a named one; one per operation",
        check: check_error_schema,
    },
    Rule {
        name: "error_responses",
        severity: Severity::Warning,
        summary: "every operation but `GET /health` documents `4XX` and `5XX`",
        check: check_error_responses,
    },
    Rule {
        name: "envelope",
        severity: Severity::Error,
        summary: "a success schema's `data` is required and a `$ref`, an array of a `$ref` or free-form",
        check: check_envelope,
    },
    Rule {
        name: "response_enums",
        severity: Severity::Error,
        summary: "every enum reachable from a response is a named component of `type: string`",
        check: check_response_enums,
    },
    Rule {
        name: "formats",
        severity: Severity::Error,
        summary: "no `format: date-time`, `date` or `uuid` (the APIs do not honour them)",
        check: check_formats,
    },
    Rule {
        name: "pagination",
        severity: Severity::Error,
        summary: "`x-kotani-pagination` has a known style, JSON pointers, the style's query parameters and a list envelope",
        check: check_pagination,
    },
    Rule {
        name: "idempotency_field",
        severity: Severity::Error,
        summary: "`x-kotani-idempotency-field` names a property of the JSON request body",
        check: check_idempotency_field,
    },
    Rule {
        name: "extension_types",
        severity: Severity::Error,
        summary: "`x-kotani-*` operation extensions have their documented types and values",
        check: check_extension_types,
    },
    Rule {
        name: "status_operation",
        severity: Severity::Error,
        summary: "a money-moving operation names, in `x-kotani-status-operation`, an operation of the spec",
        check: check_status_operation,
    },
    Rule {
        name: "security",
        severity: Severity::Error,
        summary: "an operation's `security` is a list",
        check: check_security,
    },
    Rule {
        name: "credential_scheme",
        severity: Severity::Warning,
        summary: "the spec's security schemes describe the family's credential header",
        check: check_credential_scheme,
    },
    Rule {
        name: "refs",
        severity: Severity::Error,
        summary: "every `$ref` is local, resolves and does not loop",
        check: check_refs,
    },
    Rule {
        name: "request_enum_twin",
        severity: Severity::Error,
        summary: "an enum used by requests and responses leaves the name `<Name>Input` for its request twin",
        check: check_request_enum_twin,
    },
];

/// The rule named `name`.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// Runs every rule on `spec` as a spec of `family`.
pub fn check(spec: &Spec, family: &Family) -> Vec<Finding> {
    RULES.iter().flat_map(|r| r.check(spec, family)).collect()
}

/// Whether any finding fails the build.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Formats the APIs do not honour (timestamps come without an offset): strings instead.
pub const FORBIDDEN_FORMATS: [&str; 3] = ["date-time", "date", "uuid"];

struct Ctx<'a> {
    spec: &'a Spec,
    family: &'a Family,
}

impl<'a> Ctx<'a> {
    fn doc(&self) -> &'a Value {
        &self.spec.doc
    }

    /// Every operation with its Operation Object.
    fn ops(&self) -> impl Iterator<Item = (&'a Operation, &'a Value)> + 'a {
        let doc = &self.spec.doc;
        self.spec
            .operations
            .iter()
            .map(move |o| (o, doc.pointer(&o.pointer).unwrap_or(&Value::Null)))
    }
}

fn is_health(op: &Operation) -> bool {
    op.method == "get" && op.path == "/health"
}

/// `create_mobile_money_deposit`: lowercase ASCII words joined by single underscores, which
/// progenitor keeps as the method name.
pub fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.to_snake_case() == s
}

/// The responses of an operation that resolve, with their codes and pointers (not `default`).
fn responses<'a>(
    doc: &'a Value,
    op: &'a Operation,
    obj: &'a Value,
) -> impl Iterator<Item = (&'a String, String, &'a Value)> + 'a {
    entries(obj.get("responses"))
        .filter(|(code, _)| *code != "default")
        .filter_map(move |(code, response)| {
            let ptr = child(&op.pointer, &["responses", code]);
            deref(doc, response, &ptr).map(|(r, _)| (code, ptr, r))
        })
}

/// The `$ref` of a response's `application/json` schema.
fn json_schema_ref(response: &Value) -> Option<&str> {
    response
        .pointer("/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
}

fn check_openapi(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    if let Err(e) = ctx.spec.openapi() {
        out.push((String::new(), e));
    }
}

fn check_paths(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    if ctx.doc().get("paths").and_then(Value::as_object).is_none() {
        out.push(("/paths".into(), "the spec has no `paths` mapping".into()));
    }
    for (op, obj) in ctx.ops() {
        if !obj.is_object() {
            out.push((op.pointer.clone(), "operation is not a mapping".into()));
        }
    }
}

fn check_operation_id(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let mut first_use: HashMap<&str, &str> = HashMap::new();
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let at = child(&op.pointer, &["operationId"]);
        match obj.get("operationId") {
            None => out.push((op.pointer.clone(), "missing `operationId`".into())),
            Some(Value::String(id)) if is_snake_case(id) => {}
            Some(other) => out.push((at.clone(), format!("operationId {other} is not snake_case"))),
        }
        if let Some(id) = op.id.as_deref() {
            match first_use.get(id) {
                Some(first) => out.push((
                    at,
                    format!("duplicate operationId `{id}` (first used at {first})"),
                )),
                None => {
                    first_use.insert(id, &op.pointer);
                }
            }
        }
    }
}

fn check_tags(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let declared: BTreeSet<&str> = ctx
        .doc()
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        match obj.get("tags").and_then(Value::as_array) {
            Some(tags) if !tags.is_empty() => {
                for (n, tag) in tags.iter().enumerate() {
                    if !tag.as_str().is_some_and(|t| declared.contains(t)) {
                        out.push((
                            child(&op.pointer, &["tags", &n.to_string()]),
                            format!("tag {tag} is not declared in the top-level `tags`"),
                        ));
                    }
                }
            }
            _ => out.push((op.pointer.clone(), "missing `tags` (at least one)".into())),
        }
    }
}

fn check_description(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        for key in ["summary", "description"] {
            let present = obj
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty());
            if !present {
                out.push((op.pointer.clone(), format!("missing `{key}`")));
            }
        }
    }
}

fn check_responses(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let responses_ptr = child(&op.pointer, &["responses"]);
        let Some(all) = obj.get("responses").and_then(Value::as_object) else {
            out.push((responses_ptr, "missing `responses`".into()));
            continue;
        };
        if all.contains_key("default") {
            out.push((
                child(&responses_ptr, &["default"]),
                "`default` response is not allowed (one success and one error schema)".into(),
            ));
        }
        let mut any_success = false;
        for (code, ptr, _) in responses(doc, op, obj) {
            if !code.starts_with('2') {
                continue;
            }
            any_success = true;
            if !code.parse::<u16>().is_ok_and(|c| (200..300).contains(&c)) {
                out.push((
                    ptr,
                    format!(
                        "success status `{code}` is not a 2xx code: list each status the server answers \
                         (`200`, `201`); the SDK decodes any 2xx anyway"
                    ),
                ));
            }
        }
        if !any_success {
            out.push((responses_ptr, "no 2xx response".into()));
        }
    }
}

fn check_success_schema(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let mut refs: Vec<&str> = Vec::new();
        for (code, ptr, response) in responses(doc, op, obj) {
            if !code.starts_with('2') {
                continue;
            }
            match json_schema_ref(response) {
                Some(r) if schema_name(r).is_some() => {
                    if !refs.contains(&r) {
                        refs.push(r);
                    }
                }
                _ => out.push((
                    ptr,
                    "success response must have `application/json` content with a `$ref` schema to a \
                     named component (`#/components/schemas/<Name>`)"
                        .into(),
                )),
            }
        }
        if refs.len() > 1 {
            out.push((
                child(&op.pointer, &["responses"]),
                format!("2xx responses use different schemas: {}", refs.join(", ")),
            ));
        }
    }
}

fn check_success_example(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let mut with_schema = false;
        let mut example = false;
        for (code, _, response) in responses(doc, op, obj) {
            if !code.starts_with('2') {
                continue;
            }
            with_schema |= json_schema_ref(response).is_some();
            if let Some(media) = response.pointer("/content/application~1json") {
                example |= media_examples(doc, media, "").iter().any(|(_, v)| v.is_some());
            }
        }
        if with_schema && !example {
            out.push((
                child(&op.pointer, &["responses"]),
                "no success response example (`example` or `examples.*.value` under application/json)".into(),
            ));
        }
    }
}

fn check_error_schema(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    let family_schema = ctx.family.error_schema;
    let expected = format!("{SCHEMA_REF_PREFIX}{family_schema}");
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let success = op.success.as_deref().map(|s| format!("{SCHEMA_REF_PREFIX}{s}"));
        let mut names: Vec<&str> = Vec::new();
        let mut reported = false;
        for (code, ptr, response) in responses(doc, op, obj) {
            if code.starts_with('2') {
                continue;
            }
            let schema_ref = json_schema_ref(response);
            if let Some(name) = schema_ref.and_then(schema_name)
                && !names.contains(&name)
            {
                names.push(name);
            }
            if code.starts_with('4') || code.starts_with('5') {
                let ok = schema_ref == Some(expected.as_str())
                    || (is_health(op) && schema_ref.is_some() && schema_ref == success.as_deref());
                if !ok {
                    let found = schema_ref.map_or("no application/json `$ref` schema".to_owned(), |r| {
                        format!("`{r}`")
                    });
                    out.push((
                        ptr,
                        format!("error response must use the `{family_schema}` schema, found {found}"),
                    ));
                    reported = true;
                }
            } else if response.pointer("/content/application~1json/schema").is_some()
                && schema_ref.and_then(schema_name).is_none()
            {
                out.push((
                    ptr,
                    format!("response {code} must have a `$ref` schema to a named component"),
                ));
                reported = true;
            }
        }
        if !reported && names.len() > 1 {
            out.push((
                child(&op.pointer, &["responses"]),
                format!(
                    "two error schemas ({}): an operation has one error type",
                    names.join(", ")
                ),
            ));
        }
    }
}

fn check_error_responses(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let Some(all) = obj.get("responses").and_then(Value::as_object) else {
            continue;
        };
        if is_health(op) {
            continue;
        }
        for range in ["4XX", "5XX"] {
            if !all.contains_key(range) {
                out.push((
                    child(&op.pointer, &["responses"]),
                    format!("missing `{range}` error response"),
                ));
            }
        }
    }
}

fn check_envelope(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for op in &ctx.spec.operations {
        let Some(name) = op.success.as_deref() else {
            continue;
        };
        if !done.insert(name) {
            continue;
        }
        let reference = format!("{SCHEMA_REF_PREFIX}{name}");
        let Some(schema) = ctx.spec.schema(name) else {
            continue;
        };
        let shape = object_shape(doc, schema, &pointer(["components", "schemas", name]));
        let Some((data_ptr, data)) = shape
            .properties
            .iter()
            .find(|(p, _)| p.ends_with("/properties/data"))
            .cloned()
        else {
            continue;
        };
        if !shape.required.contains("data") {
            out.push((
                data_ptr.clone(),
                format!("envelope `{reference}`: `data` must be required"),
            ));
        }
        let named = |s: &Value| ref_name(s).is_some();
        let kind = data.get("type").and_then(Value::as_str);
        let valid = named(data)
            || (kind == Some("array") && data.get("items").is_some_and(named))
            || (kind == Some("object") && data.get("properties").is_none());
        if !valid {
            out.push((
                data_ptr,
                format!(
                    "envelope `{reference}`: `data` must be a `$ref`, an array whose `items` is a `$ref`, \
                     or a free-form object (`type: object` without `properties`)"
                ),
            ));
        }
    }
}

fn check_response_enums(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    let mut roots: Vec<(String, &Value)> = Vec::new();
    fn response_schemas<'v>(response: &'v Value, ptr: &str, roots: &mut Vec<(String, &'v Value)>) {
        for (media_type, media) in entries(response.get("content")) {
            if let Some(schema) = media.get("schema") {
                roots.push((child(ptr, &["content", media_type, "schema"]), schema));
            }
        }
    }
    for (op, obj) in ctx.ops() {
        for (code, response) in entries(obj.get("responses")) {
            response_schemas(response, &child(&op.pointer, &["responses", code]), &mut roots);
        }
    }
    for (name, response) in entries(doc.pointer("/components/responses")) {
        response_schemas(response, &pointer(["components", "responses", name]), &mut roots);
    }

    let mut visited: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<(String, &Value, bool)> = roots.into_iter().map(|(p, s)| (p, s, false)).collect();
    let mut found: Vec<(String, String)> = Vec::new();
    while let Some((ptr, node, named)) = stack.pop() {
        let Some(obj) = node.as_object() else { continue };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            if visited.insert(reference.to_owned())
                && let Some(target) = resolve_ref(doc, reference)
            {
                let is_named = ref_name(node).is_some();
                stack.push((reference.trim_start_matches('#').to_owned(), target, is_named));
            }
            continue;
        }
        if obj.contains_key("enum") {
            if !named {
                found.push((
                    child(&ptr, &["enum"]),
                    "inline `enum` in a schema reachable from a response: make it a named component \
                     (`$ref`) of `type: string`"
                        .to_owned(),
                ));
            } else if obj.get("type").and_then(Value::as_str) != Some("string") {
                found.push((
                    ptr.clone(),
                    "enum reachable from a response must have `type: string`".to_owned(),
                ));
            }
        }
        for (child_ptr, child_schema) in subschemas(node, &ptr) {
            stack.push((child_ptr, child_schema, false));
        }
    }
    found.sort();
    out.extend(found);
}

fn check_formats(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    for (root_ptr, root) in schema_roots(ctx.doc()) {
        walk_schema(root, &root_ptr, &mut |ptr, node| {
            if let Some(format) = node.get("format").and_then(Value::as_str)
                && FORBIDDEN_FORMATS.contains(&format)
            {
                out.push((
                    child(ptr, &["format"]),
                    format!(
                        "`format: {format}` is not allowed: the APIs do not honour it; use a plain string"
                    ),
                ));
            }
        });
    }
}

fn check_pagination(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let Some(pagination) = obj.get("x-kotani-pagination") else {
            continue;
        };
        let p_ptr = child(&op.pointer, &["x-kotani-pagination"]);
        if !pagination.is_object() {
            out.push((
                p_ptr,
                "`x-kotani-pagination` must be a mapping `{style, items, total_pages?}`".into(),
            ));
            continue;
        }
        let style_value = pagination.get("style");
        let style = style_value.and_then(Value::as_str).and_then(PageStyle::parse);
        match style {
            None => {
                let found = style_value.map_or("nothing".to_owned(), Value::to_string);
                let known: Vec<&str> = PageStyle::ALL.iter().map(|s| s.as_str()).collect();
                out.push((
                    child(&p_ptr, &["style"]),
                    format!("`style` must be one of {}, found {found}", known.join(", ")),
                ));
            }
            Some(style) => {
                let (first, second) = style.params();
                for name in [first, second] {
                    if !op.query().any(|p| p.name == name) {
                        out.push((
                            child(&p_ptr, &["style"]),
                            format!("style {} needs a `{name}` query parameter", style.as_str()),
                        ));
                    }
                }
            }
        }
        if !pagination.get("items").is_some_and(is_json_pointer) {
            out.push((
                child(&p_ptr, &["items"]),
                "`items` must be a JSON pointer string (the array in the body, e.g. `/data`)".into(),
            ));
        }
        if pagination.get("total_pages").is_some_and(|t| !is_json_pointer(t)) {
            out.push((
                child(&p_ptr, &["total_pages"]),
                "`total_pages` must be a JSON pointer string".into(),
            ));
        }
        // An array whose items are no `$ref` is the `envelope` rule's finding.
        if let Some(success) = op.success.as_deref()
            && let Some(schema) = ctx.spec.schema(success)
        {
            let list = schema
                .pointer("/properties/data")
                .is_some_and(|d| d.get("type").and_then(Value::as_str) == Some("array"));
            if !list {
                out.push((
                    p_ptr,
                    format!("the success envelope {success} must have `data` as an array of a `$ref`"),
                ));
            }
        }
    }
}

fn check_idempotency_field(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        let Some(field) = obj.get("x-kotani-idempotency-field") else {
            continue;
        };
        let f_ptr = child(&op.pointer, &["x-kotani-idempotency-field"]);
        let body_schema = obj
            .get("requestBody")
            .and_then(|b| deref(doc, b, ""))
            .and_then(|(b, _)| b.pointer("/content/application~1json/schema"))
            .and_then(|s| deref(doc, s, ""));
        match (field.as_str(), body_schema) {
            (None, _) => out.push((f_ptr, "`x-kotani-idempotency-field` must be a string".into())),
            (Some(name), None) => out.push((
                f_ptr,
                format!("names `{name}` but the operation has no application/json request body schema"),
            )),
            (Some(name), Some((schema, schema_ptr))) => {
                let shape = object_shape(doc, schema, &schema_ptr);
                let has = shape
                    .properties
                    .iter()
                    .any(|(p, _)| pointer_tokens(p).last().map(String::as_str) == Some(name));
                if !has {
                    out.push((
                        f_ptr,
                        format!("`{name}` is not a property of the request body schema"),
                    ));
                }
            }
        }
    }
}

fn check_extension_types(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        for key in ["x-kotani-moves-money", "x-kotani-idempotent"] {
            if obj.get(key).is_some_and(|v| !v.is_boolean()) {
                out.push((child(&op.pointer, &[key]), format!("`{key}` must be a boolean")));
            }
        }
        if obj
            .get("x-kotani-credential")
            .is_some_and(|v| v.as_str() != Some("refresh_token"))
        {
            out.push((
                child(&op.pointer, &["x-kotani-credential"]),
                "`x-kotani-credential` must be `refresh_token` (leave it out for the family's credential)"
                    .into(),
            ));
        }
        if obj
            .get("x-kotani-status-operation")
            .is_some_and(|v| !v.is_string())
        {
            out.push((
                child(&op.pointer, &["x-kotani-status-operation"]),
                "`x-kotani-status-operation` must be an operationId".into(),
            ));
        }
    }
}

fn check_status_operation(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let ids: BTreeSet<&str> = ctx
        .spec
        .operations
        .iter()
        .filter_map(|o| o.id.as_deref())
        .collect();
    for op in &ctx.spec.operations {
        match &op.status_operation {
            Some(s) if !ids.contains(s.as_str()) => out.push((
                child(&op.pointer, &["x-kotani-status-operation"]),
                format!("`x-kotani-status-operation` names no operation of this spec: `{s}`"),
            )),
            None if op.moves_money => out.push((
                op.pointer.clone(),
                "moves money but has no `x-kotani-status-operation` (the operation that tells its outcome)"
                    .into(),
            )),
            _ => {}
        }
    }
}

fn check_security(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    for (op, obj) in ctx.ops().filter(|(_, o)| o.is_object()) {
        if obj.get("security").is_some_and(|s| !s.is_array()) {
            out.push((
                child(&op.pointer, &["security"]),
                "`security` must be a list".into(),
            ));
        }
    }
}

fn check_credential_scheme(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let Some(schemes) = ctx
        .doc()
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    else {
        return;
    };
    let family = ctx.family;
    let bearer = family.credential_header == "authorization"
        && family.credential_prefix.eq_ignore_ascii_case("bearer ");
    let describes = |s: &Value| {
        let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
        if bearer {
            text("type") == "http" && text("scheme").eq_ignore_ascii_case("bearer")
        } else {
            text("type") == "apiKey"
                && text("in") == "header"
                && text("name").eq_ignore_ascii_case(family.credential_header)
                && family.credential_prefix.is_empty()
        }
    };
    if !schemes.values().any(describes) {
        out.push((
            "/components/securitySchemes".into(),
            format!(
                "no security scheme describes the {} credential (`{}: {}<credential>`)",
                family.name, family.credential_header, family.credential_prefix
            ),
        ));
    }
}

fn check_refs(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let doc = ctx.doc();
    let mut found = Vec::new();
    collect_refs(doc, &mut Vec::new(), &mut found);
    for (ptr, reference) in found {
        let holder = json!({ "$ref": reference });
        let message = match follow(doc, &holder, &ptr) {
            Ok(_) => continue,
            Err(RefError::Loop(_)) => {
                let r = reference.as_str().unwrap_or_default();
                format!("`$ref` `{r}` starts a chain of references that loops")
            }
            Err(e) => e.to_string(),
        };
        out.push((ptr, message));
    }
}

/// Collects every `$ref` in the document with its pointer, skipping example payloads and
/// vendor extensions (their contents are data, not OpenAPI objects).
fn collect_refs<'v>(value: &'v Value, tokens: &mut Vec<String>, out: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(map) => {
            let in_properties = tokens.last().is_some_and(|t| t == "properties");
            let in_examples = tokens.len() >= 2 && tokens[tokens.len() - 2] == "examples";
            for (key, sub) in map {
                if key == "$ref" && !in_properties {
                    out.push((pointer(tokens.iter()), sub));
                    continue;
                }
                let is_payload = ((key == "example" || key.starts_with("x-")) && !in_properties)
                    || (key == "value" && in_examples);
                if is_payload {
                    continue;
                }
                tokens.push(key.clone());
                collect_refs(sub, tokens, out);
                tokens.pop();
            }
        }
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                tokens.push(n.to_string());
                collect_refs(item, tokens, out);
                tokens.pop();
            }
        }
        _ => {}
    }
}

fn check_request_enum_twin(ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
    let sides = EnumSides::of(ctx.doc());
    for name in &sides.twins {
        let twin = EnumSides::twin_name(name);
        if ctx.spec.schema(&twin).is_some() {
            out.push((
                pointer(["components", "schemas", twin.as_str()]),
                format!("schema {twin} already exists; it is the name of {name}'s closed request twin"),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
