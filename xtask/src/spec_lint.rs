//! `cargo xtask spec lint`: checks the hand-written OpenAPI specs against the rules in
//! `spec/README.md` (see `xtask/README.md` for the list of checks).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use anyhow::{Context, anyhow};
use serde_json::Value;

use crate::schema::{
    SCHEMA_REF_PREFIX, SchemaValidator, child, deref, pointer, pointer_tokens, resolve_ref, yaml_to_json,
};

/// HTTP methods that hold an Operation Object in a Path Item.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Values of `x-kotani-pagination.style`.
const PAGINATION_STYLES: [&str; 4] = ["page_per_page", "page_limit", "limit_offset", "page_size"];

/// Formats the APIs do not honour (timestamps come without an offset): strings instead.
const FORBIDDEN_FORMATS: [&str; 3] = ["date-time", "date", "uuid"];

/// How many schema errors one example reports at most.
const MAX_ERRORS_PER_EXAMPLE: usize = 5;

/// How long a validator message may get before it is cut (they quote the instance).
const MAX_MESSAGE_CHARS: usize = 240;

/// One lint finding, printed as `ERROR <file> <subject> <pointer>: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    /// The operationId, component name or path the finding belongs to (`-` if none).
    pub subject: String,
    /// JSON pointer into the spec document.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ERROR {} {} {}: {}",
            self.file, self.subject, self.pointer, self.message
        )
    }
}

/// The outcome of linting one spec file.
#[derive(Debug)]
pub struct Report {
    pub file: String,
    pub operations: usize,
    pub examples_checked: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "spec lint: {}: {} operations, {} examples checked, {} errors",
            self.file,
            self.operations,
            self.examples_checked,
            self.findings.len()
        )
    }
}

/// The API family of a spec, which fixes its one error schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFamily {
    /// Kotani Pay API v3: `ErrorBody`.
    KotaniV3,
    /// KutanaPay Merchant API v1: `MerchantError`.
    Merchant,
}

impl ErrorFamily {
    /// The family of a spec file, from its name (`kutanapay-merchant-v1.yaml` is the merchant one).
    pub fn for_file(path: &Path) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.contains("merchant") {
            Self::Merchant
        } else {
            Self::KotaniV3
        }
    }

    pub fn error_schema(self) -> &'static str {
        match self {
            Self::KotaniV3 => "ErrorBody",
            Self::Merchant => "MerchantError",
        }
    }
}

/// Lints the spec at `path`, naming it `display` in findings. `Err` is a tool error: the file
/// cannot be read or is not a YAML mapping.
pub fn lint_file(path: &Path, display: &str) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    lint_str(display, &text, ErrorFamily::for_file(path))
}

/// Lints spec text. `Err` when it is not YAML or not a mapping.
pub fn lint_str(display: &str, text: &str, family: ErrorFamily) -> anyhow::Result<Report> {
    let doc = yaml_to_json(text).map_err(|e| anyhow!("{display}: not YAML: {e}"))?;
    if !doc.is_object() {
        return Err(anyhow!(
            "{display}: not an OpenAPI document (the top level is not a mapping)"
        ));
    }
    let mut linter = Linter::new(display, &doc, family);
    linter.run();
    Ok(Report {
        file: display.to_owned(),
        operations: linter.ops.len(),
        examples_checked: linter.examples_checked,
        findings: linter.findings,
    })
}

/// An Operation Object with where it lives.
struct Operation<'a> {
    path: &'a str,
    method: &'static str,
    /// Pointer of the operation (`/paths/~1health/get`).
    ptr: String,
    op: &'a Value,
    id: Option<&'a str>,
}

struct Linter<'a> {
    file: String,
    doc: &'a Value,
    family: ErrorFamily,
    validator: SchemaValidator<'a>,
    ops: Vec<Operation<'a>>,
    findings: Vec<Finding>,
    examples_checked: usize,
}

impl<'a> Linter<'a> {
    fn new(file: &str, doc: &'a Value, family: ErrorFamily) -> Self {
        let mut ops = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        ops.push(Operation {
                            path,
                            method,
                            ptr: pointer(["paths", path.as_str(), method]),
                            op,
                            id: op.get("operationId").and_then(Value::as_str),
                        });
                    }
                }
            }
        }
        Self {
            file: file.to_owned(),
            doc,
            family,
            validator: SchemaValidator::new(doc),
            ops,
            findings: Vec::new(),
            examples_checked: 0,
        }
    }

    fn run(&mut self) {
        if self.doc.get("paths").and_then(Value::as_object).is_none() {
            self.report("/paths", "the spec has no `paths` mapping");
        }
        self.check_operations();
        self.check_examples();
        self.check_response_enums();
        self.check_formats();
        self.check_refs();
    }

    /// The operationId, component name or path a pointer belongs to.
    fn subject_for(&self, ptr: &str) -> String {
        for op in &self.ops {
            if ptr == op.ptr || ptr.starts_with(&format!("{}/", op.ptr)) {
                return op.id.unwrap_or("-").to_owned();
            }
        }
        let tokens = pointer_tokens(ptr);
        match tokens.as_slice() {
            [first, _kind, name, ..] if first == "components" => name.clone(),
            [first, path, ..] if first == "paths" => path.clone(),
            _ => "-".to_owned(),
        }
    }

    fn report(&mut self, ptr: impl Into<String>, message: impl Into<String>) {
        let ptr = ptr.into();
        let finding = Finding {
            file: self.file.clone(),
            subject: self.subject_for(&ptr),
            pointer: ptr,
            message: message.into(),
        };
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    // ---- checks 1, 2, 3, 5, 7: per operation -------------------------------------------------

    fn check_operations(&mut self) {
        let declared_tags: BTreeSet<String> = self
            .doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut first_use: HashMap<&str, String> = HashMap::new();
        let mut success_refs: Vec<String> = Vec::new();

        for i in 0..self.ops.len() {
            let (op, ptr) = (self.ops[i].op, self.ops[i].ptr.clone());
            if !op.is_object() {
                self.report(ptr, "operation is not a mapping");
                continue;
            }
            if let Some(id) = self.ops[i].id
                && let Some(first) = first_use.get(id)
            {
                let message = format!("duplicate operationId `{id}` (first used at {first})");
                self.report(child(&ptr, &["operationId"]), message);
            } else if let Some(id) = self.ops[i].id {
                first_use.insert(id, ptr.clone());
            }
            self.check_identity(i, &declared_tags);
            if let Some(success) = self.check_responses(i)
                && !success_refs.contains(&success)
            {
                success_refs.push(success);
            }
            self.check_extensions(i);
        }
        for reference in success_refs {
            self.check_envelope(&reference);
        }
    }

    /// Check 1: operationId, tags, summary, description.
    fn check_identity(&mut self, i: usize, declared_tags: &BTreeSet<String>) {
        let (op, ptr) = (self.ops[i].op, self.ops[i].ptr.clone());
        match op.get("operationId") {
            None => self.report(&ptr, "missing `operationId`"),
            Some(Value::String(id)) if is_snake_case(id) => {}
            Some(other) => self.report(
                child(&ptr, &["operationId"]),
                format!("operationId {other} is not snake_case"),
            ),
        }
        match op.get("tags").and_then(Value::as_array) {
            Some(tags) if !tags.is_empty() => {
                for (n, tag) in tags.iter().enumerate() {
                    let known = tag.as_str().is_some_and(|t| declared_tags.contains(t));
                    if !known {
                        let message = format!("tag {tag} is not declared in the top-level `tags`");
                        self.report(child(&ptr, &["tags", &n.to_string()]), message);
                    }
                }
            }
            _ => self.report(&ptr, "missing `tags` (at least one)"),
        }
        for key in ["summary", "description"] {
            let present = op
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty());
            if !present {
                self.report(&ptr, format!("missing `{key}`"));
            }
        }
    }

    /// Checks 2 and 3 (one success schema, one error schema) and the success example. Returns
    /// the success schema `$ref`.
    fn check_responses(&mut self, i: usize) -> Option<String> {
        let doc = self.doc;
        let (op, ptr) = (self.ops[i].op, self.ops[i].ptr.clone());
        let is_health = self.ops[i].method == "get" && self.ops[i].path == "/health";
        let responses_ptr = child(&ptr, &["responses"]);
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            self.report(responses_ptr, "missing `responses`");
            return None;
        };

        let mut success: Vec<String> = Vec::new();
        let mut any_success = false;
        let mut success_example = false;
        let mut errors: Vec<(String, Option<String>)> = Vec::new();
        for (code, response) in responses {
            let response_ptr = child(&responses_ptr, &[code]);
            if code == "default" {
                self.report(
                    response_ptr,
                    "`default` response is not allowed (one success and one error schema)",
                );
                continue;
            }
            // A dangling `$ref` is reported by the `$ref` check.
            let Some((response, _)) = deref(doc, response, &response_ptr) else {
                continue;
            };
            let media = response.pointer("/content/application~1json");
            let schema_ref = media
                .and_then(|m| m.get("schema"))
                .and_then(|s| s.get("$ref"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            if code.starts_with('2') {
                any_success = true;
                match schema_ref {
                    Some(r) if !success.contains(&r) => success.push(r),
                    Some(_) => {}
                    None => self.report(
                        response_ptr,
                        "success response must have `application/json` content with a `$ref` schema",
                    ),
                }
                if let Some(media) = media {
                    success_example |= media_examples(doc, media, "").iter().any(|(_, v)| v.is_some());
                }
            } else if code.starts_with('4') || code.starts_with('5') {
                errors.push((code.clone(), schema_ref));
            }
        }

        if !any_success {
            self.report(&responses_ptr, "no 2xx response");
        } else if !success_example && !success.is_empty() {
            self.report(
                &responses_ptr,
                "no success response example (`example` or `examples.*.value` under application/json)",
            );
        }
        if success.len() > 1 {
            let message = format!("2xx responses use different schemas: {}", success.join(", "));
            self.report(&responses_ptr, message);
        }

        if !is_health {
            for family in ["4XX", "5XX"] {
                if !responses.contains_key(family) {
                    self.report(&responses_ptr, format!("missing `{family}` error response"));
                }
            }
        }
        let expected = format!("{SCHEMA_REF_PREFIX}{}", self.family.error_schema());
        for (code, schema_ref) in errors {
            let ok = schema_ref.as_deref() == Some(expected.as_str())
                || (is_health && schema_ref.is_some() && success.first() == schema_ref.as_ref());
            if !ok {
                let found = schema_ref.map_or("no application/json `$ref` schema".to_owned(), |r| {
                    format!("`{r}`")
                });
                let message = format!(
                    "error response must use the `{}` schema, found {found}",
                    self.family.error_schema()
                );
                self.report(child(&responses_ptr, &[&code]), message);
            }
        }
        success.into_iter().next()
    }

    /// Check 5: an envelope's `data` is required and a `$ref`, an array of `$ref` or free-form.
    fn check_envelope(&mut self, reference: &str) {
        let doc = self.doc;
        let Some(schema) = resolve_ref(doc, reference) else {
            return;
        };
        let shape = object_shape(doc, schema, reference.trim_start_matches('#'));
        let Some((data_ptr, data)) = shape
            .properties
            .iter()
            .find(|(p, _)| p.ends_with("/properties/data"))
            .cloned()
        else {
            return;
        };
        if !shape.required.contains("data") {
            self.report(
                &data_ptr,
                format!("envelope `{reference}`: `data` must be required"),
            );
        }
        let is_ref = |s: &Value| s.get("$ref").is_some();
        let valid = is_ref(data)
            || (data.get("type").and_then(Value::as_str) == Some("array")
                && data.get("items").is_some_and(is_ref))
            || (data.get("type").and_then(Value::as_str) == Some("object")
                && data.get("properties").is_none());
        if !valid {
            self.report(
                data_ptr,
                format!(
                    "envelope `{reference}`: `data` must be a `$ref`, an array whose `items` is a `$ref`, \
                     or a free-form object (`type: object` without `properties`)"
                ),
            );
        }
    }

    /// Check 7: the `x-kotani-*` operation extensions.
    fn check_extensions(&mut self, i: usize) {
        let doc = self.doc;
        let (op, ptr) = (self.ops[i].op, self.ops[i].ptr.clone());

        if let Some(pagination) = op.get("x-kotani-pagination") {
            let p_ptr = child(&ptr, &["x-kotani-pagination"]);
            if pagination.is_object() {
                let style = pagination.get("style");
                if !style
                    .and_then(Value::as_str)
                    .is_some_and(|s| PAGINATION_STYLES.contains(&s))
                {
                    let found = style.map_or("nothing".to_owned(), Value::to_string);
                    let message = format!(
                        "`style` must be one of {}, found {found}",
                        PAGINATION_STYLES.join(", ")
                    );
                    self.report(child(&p_ptr, &["style"]), message);
                }
                if !pagination.get("items").is_some_and(is_json_pointer) {
                    self.report(
                        child(&p_ptr, &["items"]),
                        "`items` must be a JSON pointer string (the array in the body, e.g. `/data`)",
                    );
                }
                if pagination.get("total_pages").is_some_and(|t| !is_json_pointer(t)) {
                    self.report(
                        child(&p_ptr, &["total_pages"]),
                        "`total_pages` must be a JSON pointer string",
                    );
                }
            } else {
                self.report(
                    p_ptr,
                    "`x-kotani-pagination` must be a mapping `{style, items, total_pages?}`",
                );
            }
        }

        if let Some(field) = op.get("x-kotani-idempotency-field") {
            let f_ptr = child(&ptr, &["x-kotani-idempotency-field"]);
            let body_schema = op
                .get("requestBody")
                .and_then(|b| deref(doc, b, ""))
                .and_then(|(b, _)| b.pointer("/content/application~1json/schema"))
                .and_then(|s| deref(doc, s, ""));
            match (field.as_str(), body_schema) {
                (None, _) => self.report(f_ptr, "`x-kotani-idempotency-field` must be a string"),
                (Some(name), None) => self.report(
                    f_ptr,
                    format!("names `{name}` but the operation has no application/json request body schema"),
                ),
                (Some(name), Some((schema, schema_ptr))) => {
                    let shape = object_shape(doc, schema, &schema_ptr);
                    let has = shape
                        .properties
                        .iter()
                        .any(|(p, _)| pointer_tokens(p).last().map(String::as_str) == Some(name));
                    if !has {
                        self.report(
                            f_ptr,
                            format!("`{name}` is not a property of the request body schema"),
                        );
                    }
                }
            }
        }

        for key in ["x-kotani-moves-money", "x-kotani-idempotent"] {
            if op.get(key).is_some_and(|v| !v.is_boolean()) {
                self.report(child(&ptr, &[key]), format!("`{key}` must be a boolean"));
            }
        }
    }

    // ---- check 4: examples ---------------------------------------------------------------------

    fn check_examples(&mut self) {
        let doc = self.doc;
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let item_ptr = pointer(["paths", path.as_str()]);
                self.check_parameter_list(item.get("parameters"), &child(&item_ptr, &["parameters"]));
            }
        }
        for i in 0..self.ops.len() {
            let (op, ptr) = (self.ops[i].op, self.ops[i].ptr.clone());
            self.check_parameter_list(op.get("parameters"), &child(&ptr, &["parameters"]));
            // `$ref`'d bodies and responses are checked once, under components.
            if let Some(body) = op.get("requestBody").filter(|b| b.get("$ref").is_none()) {
                self.check_content(body, &child(&ptr, &["requestBody"]));
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                for (code, response) in responses {
                    if response.get("$ref").is_none() {
                        self.check_response_examples(response, &child(&ptr, &["responses", code]));
                    }
                }
            }
        }
        for kind in ["parameters", "headers", "requestBodies", "responses"] {
            let entries = doc
                .pointer(&pointer(["components", kind]))
                .and_then(Value::as_object);
            for (name, holder) in entries.into_iter().flatten() {
                let ptr = pointer(["components", kind, name.as_str()]);
                match kind {
                    "parameters" | "headers" => self.check_parameter(holder, &ptr),
                    "requestBodies" => self.check_content(holder, &ptr),
                    _ => self.check_response_examples(holder, &ptr),
                }
            }
        }
        for (root_ptr, root) in schema_roots(doc) {
            walk_schema(root, &root_ptr, &mut |ptr, node| {
                if let Some(example) = node.get("example") {
                    self.check_example(node, example, &child(ptr, &["example"]));
                }
            });
        }
    }

    fn check_parameter_list(&mut self, list: Option<&Value>, ptr: &str) {
        for (n, parameter) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
            if parameter.get("$ref").is_none() {
                self.check_parameter(parameter, &child(ptr, &[&n.to_string()]));
            }
        }
    }

    /// A Parameter or Header Object: `example`/`examples` against `schema`, or its `content`.
    fn check_parameter(&mut self, parameter: &Value, ptr: &str) {
        if let Some(schema) = parameter.get("schema") {
            for (example_ptr, value) in media_examples(self.doc, parameter, ptr) {
                if let Some(value) = value {
                    self.check_example(schema, value, &example_ptr);
                }
            }
        }
        self.check_content(parameter, ptr);
    }

    fn check_response_examples(&mut self, response: &Value, ptr: &str) {
        self.check_content(response, ptr);
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            for (name, header) in headers {
                if header.get("$ref").is_none() {
                    self.check_parameter(header, &child(ptr, &["headers", name]));
                }
            }
        }
    }

    /// Every media type of `holder.content`: its examples against its schema.
    fn check_content(&mut self, holder: &Value, ptr: &str) {
        let Some(content) = holder.get("content").and_then(Value::as_object) else {
            return;
        };
        for (media_type, media) in content {
            let media_ptr = child(ptr, &["content", media_type]);
            let Some(schema) = media.get("schema") else {
                continue;
            };
            for (example_ptr, value) in media_examples(self.doc, media, &media_ptr) {
                match value {
                    Some(value) => self.check_example(schema, value, &example_ptr),
                    None => self.report(example_ptr, "example has no `value` (or its `$ref` dangles)"),
                }
            }
        }
    }

    fn check_example(&mut self, schema: &Value, example: &Value, ptr: &str) {
        self.examples_checked += 1;
        match self.validator.validate(schema, example) {
            Ok(mut errors) => {
                // One finding per failing location (`type` and `enum` often fail together).
                let mut seen = BTreeSet::new();
                errors.retain(|e| seen.insert(e.instance_path.clone()));
                for error in errors.iter().take(MAX_ERRORS_PER_EXAMPLE) {
                    let message = format!(
                        "example does not match its schema at {} (keyword `{}`): {}",
                        if error.instance_path.is_empty() {
                            "/"
                        } else {
                            &error.instance_path
                        },
                        error.keyword,
                        truncate(&error.message)
                    );
                    self.report(ptr, message);
                }
                if errors.len() > MAX_ERRORS_PER_EXAMPLE {
                    let message = format!(
                        "example: {} more schema errors",
                        errors.len() - MAX_ERRORS_PER_EXAMPLE
                    );
                    self.report(ptr, message);
                }
            }
            Err(e) => self.report(
                ptr,
                format!(
                    "cannot validate example: its schema does not compile: {}",
                    truncate(&e)
                ),
            ),
        }
    }

    // ---- check 6: enums and formats ------------------------------------------------------------

    /// Check 6a: every enum reachable from a response is a named component of `type: string`.
    fn check_response_enums(&mut self) {
        let doc = self.doc;
        let mut roots: Vec<(String, &Value)> = Vec::new();
        let mut add_response = |response: &'a Value, ptr: String| {
            for (media_type, media) in response
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(schema) = media.get("schema") {
                    roots.push((child(&ptr, &["content", media_type, "schema"]), schema));
                }
            }
        };
        for op in &self.ops {
            for (code, response) in op
                .op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                add_response(response, child(&op.ptr, &["responses", code]));
            }
        }
        for (name, response) in doc
            .pointer("/components/responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            add_response(response, pointer(["components", "responses", name]));
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
                    let target_ptr = reference.trim_start_matches('#').to_owned();
                    let is_named = reference.starts_with(SCHEMA_REF_PREFIX)
                        && !reference[SCHEMA_REF_PREFIX.len()..].contains('/');
                    stack.push((target_ptr, target, is_named));
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
        for (ptr, message) in found {
            self.report(ptr, message);
        }
    }

    /// Check 6b: no `format: date-time|date|uuid` in any schema.
    fn check_formats(&mut self) {
        let mut found = Vec::new();
        for (root_ptr, root) in schema_roots(self.doc) {
            walk_schema(root, &root_ptr, &mut |ptr, node| {
                if let Some(format) = node.get("format").and_then(Value::as_str)
                    && FORBIDDEN_FORMATS.contains(&format)
                {
                    found.push((child(ptr, &["format"]), format.to_owned()));
                }
            });
        }
        for (ptr, format) in found {
            self.report(
                ptr,
                format!("`format: {format}` is not allowed: the APIs do not honour it; use a plain string"),
            );
        }
    }

    // ---- check 8: references -------------------------------------------------------------------

    fn check_refs(&mut self) {
        let mut found = Vec::new();
        collect_refs(self.doc, &mut Vec::new(), &mut found);
        for (ptr, reference) in found {
            let message = match reference.as_str() {
                None => "`$ref` must be a string".to_owned(),
                Some(r) if !r.starts_with('#') => format!("external `$ref` `{r}` is not supported"),
                Some(r) if resolve_ref(self.doc, r).is_none() => format!("`$ref` `{r}` does not resolve"),
                Some(_) => continue,
            };
            self.report(ptr, message);
        }
    }
}

/// `create_mobile_money_deposit`: lowercase ASCII words joined by single underscores.
fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_json_pointer(value: &Value) -> bool {
    let Some(s) = value.as_str() else { return false };
    if !(s.is_empty() || s.starts_with('/')) {
        return false;
    }
    // `~` only as `~0` or `~1`.
    let bytes = s.as_bytes();
    bytes
        .iter()
        .enumerate()
        .all(|(i, b)| *b != b'~' || matches!(bytes.get(i + 1), Some(b'0' | b'1')))
}

fn truncate(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{cut}…")
}

/// The examples of a Media Type, Parameter or Header Object: `example`, and the `value` of each
/// `examples` entry (following `$ref` to `components/examples`). `None` when an entry has no
/// `value` (e.g. `externalValue`) or its `$ref` dangles.
fn media_examples<'v>(doc: &'v Value, holder: &'v Value, ptr: &str) -> Vec<(String, Option<&'v Value>)> {
    let mut out = Vec::new();
    if let Some(example) = holder.get("example") {
        out.push((child(ptr, &["example"]), Some(example)));
    }
    for (name, entry) in holder
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let entry_ptr = child(ptr, &["examples", name]);
        let resolved = deref(doc, entry, &entry_ptr).map(|(e, _)| e);
        if resolved.is_some_and(|e| e.get("externalValue").is_some() && e.get("value").is_none()) {
            continue;
        }
        out.push((
            child(&entry_ptr, &["value"]),
            resolved.and_then(|e| e.get("value")),
        ));
    }
    out
}

/// The properties and `required` names of an object schema, merged over `allOf` (following
/// `$ref`s). Properties come with their pointers.
struct ObjectShape<'v> {
    properties: Vec<(String, &'v Value)>,
    required: BTreeSet<String>,
}

fn object_shape<'v>(doc: &'v Value, schema: &'v Value, ptr: &str) -> ObjectShape<'v> {
    let mut shape = ObjectShape {
        properties: Vec::new(),
        required: BTreeSet::new(),
    };
    let mut stack = vec![(schema, ptr.to_owned())];
    let mut steps = 0;
    while let Some((node, node_ptr)) = stack.pop() {
        steps += 1;
        if steps > 64 {
            break;
        }
        let Some((node, node_ptr)) = deref(doc, node, &node_ptr) else {
            continue;
        };
        for (name, prop) in node
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            shape
                .properties
                .push((child(&node_ptr, &["properties", name]), prop));
        }
        for name in node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str() {
                shape.required.insert(name.to_owned());
            }
        }
        for (n, member) in node
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            stack.push((member, child(&node_ptr, &["allOf", &n.to_string()])));
        }
    }
    shape
}

/// The direct subschemas of a Schema Object, with their pointers.
fn subschemas<'v>(schema: &'v Value, ptr: &str) -> Vec<(String, &'v Value)> {
    let mut out = Vec::new();
    for (name, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        out.push((child(ptr, &["properties", name]), prop));
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = schema.get(key).filter(|s| s.is_object()) {
            out.push((child(ptr, &[key]), sub));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (n, sub) in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push((child(ptr, &[key, &n.to_string()]), sub));
        }
    }
    out
}

/// Calls `f` on every Schema Object of the tree at `schema` (not following `$ref`).
fn walk_schema<'v>(schema: &'v Value, ptr: &str, f: &mut impl FnMut(&str, &'v Value)) {
    if !schema.is_object() {
        return;
    }
    f(ptr, schema);
    for (child_ptr, sub) in subschemas(schema, ptr) {
        walk_schema(sub, &child_ptr, f);
    }
}

/// Every schema tree written in the document: component schemas and the schemas of
/// parameters, headers, request bodies and responses (in operations and in components).
fn schema_roots(doc: &Value) -> Vec<(String, &Value)> {
    let mut roots = Vec::new();

    fn holder_schemas<'v>(holder: &'v Value, ptr: &str, roots: &mut Vec<(String, &'v Value)>) {
        if let Some(schema) = holder.get("schema") {
            roots.push((child(ptr, &["schema"]), schema));
        }
        for (media_type, media) in holder
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(schema) = media.get("schema") {
                roots.push((child(ptr, &["content", media_type, "schema"]), schema));
            }
        }
        for (name, header) in holder
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            holder_schemas(header, &child(ptr, &["headers", name]), roots);
        }
    }

    for (name, schema) in entries(doc.pointer("/components/schemas")) {
        roots.push((pointer(["components", "schemas", name]), schema));
    }
    for kind in ["parameters", "headers", "requestBodies", "responses"] {
        for (name, holder) in entries(doc.pointer(&pointer(["components", kind]))) {
            holder_schemas(holder, &pointer(["components", kind, name]), &mut roots);
        }
    }
    for (path, item) in entries(doc.get("paths")) {
        let item_ptr = pointer(["paths", path.as_str()]);
        for (n, parameter) in item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            holder_schemas(
                parameter,
                &child(&item_ptr, &["parameters", &n.to_string()]),
                &mut roots,
            );
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_ptr = child(&item_ptr, &[method]);
            for (n, parameter) in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                holder_schemas(
                    parameter,
                    &child(&op_ptr, &["parameters", &n.to_string()]),
                    &mut roots,
                );
            }
            if let Some(body) = op.get("requestBody") {
                holder_schemas(body, &child(&op_ptr, &["requestBody"]), &mut roots);
            }
            for (code, response) in entries(op.get("responses")) {
                holder_schemas(response, &child(&op_ptr, &["responses", code]), &mut roots);
            }
        }
    }
    roots
}

fn entries(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
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

#[cfg(test)]
mod tests;
