//! `cargo xtask spec lint`: every finding of the rules in `kotanipay-codegen` (the conventions of
//! `spec/README.md`, the same rules `build.rs` fails on) plus the one check that needs a JSON
//! Schema validator: every example validates against its schema (see `xtask/README.md`).

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use kotanipay_codegen::walk::{media_examples, schema_roots, walk_schema};
use kotanipay_codegen::{Family, Severity, Spec};
use serde_json::Value;

use crate::schema::{SchemaValidator, child, pointer};

/// The name of the findings of example validation.
pub const EXAMPLE_RULE: &str = "example";

/// How many schema errors one example reports at most.
const MAX_ERRORS_PER_EXAMPLE: usize = 5;

/// How long a validator message may get before it is cut (they quote the instance).
const MAX_MESSAGE_CHARS: usize = 240;

/// One lint finding, printed as `<SEVERITY> <file> <subject> <pointer>: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    /// The rule that found it (a `kotanipay_codegen` rule, or `example`).
    pub rule: &'static str,
    /// `ERROR` fails the build too; `WARN` only the lint.
    pub severity: Severity,
    /// The operationId, component name or path the finding belongs to (`-` if none).
    pub subject: String,
    /// JSON pointer into the spec document.
    pub pointer: String,
    pub message: String,
}

impl Finding {
    fn new(file: &str, finding: kotanipay_codegen::Finding) -> Self {
        Self {
            file: file.to_owned(),
            rule: finding.rule,
            severity: finding.severity,
            subject: finding.subject,
            pointer: finding.pointer,
            message: finding.message,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}: {}",
            self.severity, self.file, self.subject, self.pointer, self.message
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
    /// `spec lint: <file>: N operations, M examples checked, K errors` (and `, W warnings` when
    /// there are any).
    pub fn summary(&self) -> String {
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let warnings = self.findings.len() - errors;
        let mut line = format!(
            "spec lint: {}: {} operations, {} examples checked, {errors} errors",
            self.file, self.operations, self.examples_checked
        );
        if warnings > 0 {
            line.push_str(&format!(", {warnings} warnings"));
        }
        line
    }
}

/// Lints the spec at `path`, naming it `display` in findings; its family comes from its file
/// name ([`Family::for_path`]). `Err` is a tool error: the file cannot be read or is not a YAML
/// mapping.
pub fn lint_file(path: &Path, display: &str) -> anyhow::Result<Report> {
    let spec = Spec::load(path, display)?;
    Ok(lint_spec(&spec, Family::for_path(path)))
}

/// Lints spec text as a spec of `family`. `Err` when it is not YAML or not a mapping.
#[cfg(test)]
pub fn lint_str(display: &str, text: &str, family: &Family) -> anyhow::Result<Report> {
    let spec = Spec::parse(display, text)?;
    Ok(lint_spec(&spec, family))
}

/// Every finding of the rules, then of example validation.
pub fn lint_spec(spec: &Spec, family: &Family) -> Report {
    let mut findings: Vec<Finding> = kotanipay_codegen::check(spec, family)
        .into_iter()
        .map(|f| Finding::new(&spec.file, f))
        .collect();
    let mut examples = Examples {
        spec,
        validator: SchemaValidator::new(&spec.doc),
        findings: Vec::new(),
        checked: 0,
    };
    examples.run();
    for finding in examples.findings {
        if !findings.contains(&finding) {
            findings.push(finding);
        }
    }
    Report {
        file: spec.file.clone(),
        operations: spec.operations.len(),
        examples_checked: examples.checked,
        findings,
    }
}

/// Validates every example of a spec against its schema.
struct Examples<'a> {
    spec: &'a Spec,
    validator: SchemaValidator<'a>,
    findings: Vec<Finding>,
    checked: usize,
}

impl Examples<'_> {
    fn report(&mut self, ptr: impl Into<String>, message: impl Into<String>) {
        let pointer = ptr.into();
        let finding = Finding {
            file: self.spec.file.clone(),
            rule: EXAMPLE_RULE,
            severity: Severity::Error,
            subject: self.spec.subject(&pointer),
            pointer,
            message: message.into(),
        };
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    fn run(&mut self) {
        let doc = &self.spec.doc;
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let item_ptr = pointer(["paths", path.as_str()]);
                self.check_parameter_list(item.get("parameters"), &child(&item_ptr, &["parameters"]));
            }
        }
        for op in &self.spec.operations {
            let Some(obj) = doc.pointer(&op.pointer) else {
                continue;
            };
            let ptr = &op.pointer;
            self.check_parameter_list(obj.get("parameters"), &child(ptr, &["parameters"]));
            // `$ref`'d bodies and responses are checked once, under components.
            if let Some(body) = obj.get("requestBody").filter(|b| b.get("$ref").is_none()) {
                self.check_content(body, &child(ptr, &["requestBody"]));
            }
            if let Some(responses) = obj.get("responses").and_then(Value::as_object) {
                for (code, response) in responses {
                    if response.get("$ref").is_none() {
                        self.check_response_examples(response, &child(ptr, &["responses", code]));
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
            for (example_ptr, value) in media_examples(&self.spec.doc, parameter, ptr) {
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
            for (example_ptr, value) in media_examples(&self.spec.doc, media, &media_ptr) {
                match value {
                    Some(value) => self.check_example(schema, value, &example_ptr),
                    None => self.report(example_ptr, "example has no `value` (or its `$ref` dangles)"),
                }
            }
        }
    }

    fn check_example(&mut self, schema: &Value, example: &Value, ptr: &str) {
        self.checked += 1;
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
}

fn truncate(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests;
