//! The one loader: YAML text → one JSON document ([`serde_json::Value`]) and its operations.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::model::{Operation, operations};
use crate::pointer::pointer_tokens;

/// A loaded spec: the document as JSON, and its operations.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The name findings and errors give the file (`spec/kotani-v3.yaml`).
    pub file: String,
    /// The whole document.
    pub doc: Value,
    /// Every operation, in document order (paths as JSON objects order them, then methods).
    pub operations: Vec<Operation>,
    /// The YAML text, kept for OpenAPI validation with line numbers.
    source: Option<String>,
}

/// Why a spec could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file, as the caller names it.
    pub file: String,
    /// What went wrong.
    pub kind: LoadErrorKind,
    /// The underlying error's text (empty for [`LoadErrorKind::NotMapping`]).
    pub message: String,
}

/// The kinds of [`LoadError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The file cannot be read.
    Read,
    /// The text is not YAML.
    Yaml,
    /// The top level is not a mapping.
    NotMapping,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LoadErrorKind::Read => write!(f, "cannot read {}: {}", self.file, self.message),
            LoadErrorKind::Yaml => write!(f, "{}: not YAML: {}", self.file, self.message),
            LoadErrorKind::NotMapping => write!(
                f,
                "{}: not an OpenAPI document (the top level is not a mapping)",
                self.file
            ),
        }
    }
}

impl std::error::Error for LoadError {}

impl Spec {
    /// Reads and parses the spec at `path`, naming it `file` in errors and findings.
    pub fn load(path: &Path, file: impl Into<String>) -> Result<Self, LoadError> {
        let file = file.into();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(file, &text),
            Err(e) => Err(LoadError {
                file,
                kind: LoadErrorKind::Read,
                message: e.to_string(),
            }),
        }
    }

    /// Parses spec text. `Err` when it is not YAML or its top level is not a mapping; whether it
    /// is valid OpenAPI 3.0 is [`Spec::openapi`]'s question (a finding, not a load error).
    pub fn parse(file: impl Into<String>, text: &str) -> Result<Self, LoadError> {
        let file = file.into();
        let doc = yaml_to_json(text).map_err(|message| LoadError {
            file: file.clone(),
            kind: LoadErrorKind::Yaml,
            message,
        })?;
        let mut spec = Self::from_value(file, doc)?;
        spec.source = Some(text.to_owned());
        Ok(spec)
    }

    /// A spec from a document already in JSON form.
    pub fn from_value(file: impl Into<String>, doc: Value) -> Result<Self, LoadError> {
        let file = file.into();
        if !doc.is_object() {
            return Err(LoadError {
                file,
                kind: LoadErrorKind::NotMapping,
                message: String::new(),
            });
        }
        Ok(Self {
            operations: operations(&doc),
            file,
            doc,
            source: None,
        })
    }

    /// Whether the document is an OpenAPI 3.0 document progenitor can read: it deserializes
    /// into `openapiv3::OpenAPI` and its `openapi` version is `3.0.x`. The error names the line
    /// when the spec was parsed from text.
    pub fn openapi(&self) -> Result<(), String> {
        let parsed: Result<openapiv3::OpenAPI, String> = match &self.source {
            Some(text) => serde_norway::from_str(text).map_err(|e| e.to_string()),
            None => serde_json::from_value(self.doc.clone()).map_err(|e| e.to_string()),
        };
        let parsed = parsed.map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
        if !parsed.openapi.starts_with("3.0.") {
            return Err(format!(
                "`openapi: {}`: only OpenAPI 3.0.x is supported (progenitor does not read 3.1)",
                parsed.openapi
            ));
        }
        Ok(())
    }

    /// The operation with this operationId.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id.as_deref() == Some(id))
    }

    /// The operation at `method` (any case) and path template `path`.
    pub fn operation_at(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.path == path && o.method.eq_ignore_ascii_case(method))
    }

    /// The named schema `name`.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        crate::pointer::schema(&self.doc, name)
    }

    /// What a pointer belongs to: the operationId of the operation it is in (`-` when that has
    /// none), the component name under `/components/...`, the path under `/paths/...`, else `-`.
    pub fn subject(&self, ptr: &str) -> String {
        for op in &self.operations {
            if ptr == op.pointer || ptr.starts_with(&format!("{}/", op.pointer)) {
                return op.id.clone().unwrap_or_else(|| "-".to_owned());
            }
        }
        let tokens = pointer_tokens(ptr);
        match tokens.as_slice() {
            [first, _kind, name, ..] if first == "components" => name.clone(),
            [first, path, ..] if first == "paths" => path.clone(),
            _ => "-".to_owned(),
        }
    }
}

/// Parses a YAML document into JSON. Non-string mapping keys (`200:` unquoted) become strings,
/// YAML merge keys (`<<`) are applied and tags are dropped.
pub fn yaml_to_json(text: &str) -> Result<Value, String> {
    let mut yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    yaml.apply_merge().map_err(|e| e.to_string())?;
    convert_yaml(yaml)
}

fn convert_yaml(yaml: serde_norway::Value) -> Result<Value, String> {
    use serde_norway::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("number {f} cannot be represented in JSON"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(convert_yaml).collect::<Result<_, _>>()?),
        Y::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_owned(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                map.insert(key, convert_yaml(value)?);
            }
            Value::Object(map)
        }
        Y::Tagged(tagged) => convert_yaml(tagged.value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MINIMAL: &str = r#"
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /a:
    get:
      operationId: get_a
      responses:
        "200": {description: ok}
components:
  schemas:
    Base: &base {type: object}
    Merged:
      <<: *base
      description: merged
"#;

    #[test]
    fn yaml_keys_become_strings_and_merges_apply() {
        let v = yaml_to_json("200: {a: 1}\ntrue: 2\n~: 3\n").unwrap();
        assert_eq!(v, json!({"200": {"a": 1}, "true": 2, "null": 3}));
        let spec = Spec::parse("m.yaml", MINIMAL).unwrap();
        assert_eq!(
            spec.schema("Merged"),
            Some(&json!({"type": "object", "description": "merged"}))
        );
        assert_eq!(
            yaml_to_json("x: 1.5\ny: !tag 2").unwrap(),
            json!({"x": 1.5, "y": 2})
        );
    }

    #[test]
    fn load_errors_name_the_file() {
        let e = Spec::parse("spec/x.yaml", "a: [").unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::Yaml);
        assert!(e.to_string().starts_with("spec/x.yaml: not YAML: "), "{e}");
        let e = Spec::parse("spec/x.yaml", "just a string").unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec/x.yaml: not an OpenAPI document (the top level is not a mapping)"
        );
        let e = Spec::load(Path::new("/nonexistent/k.yaml"), "k.yaml").unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::Read);
        assert!(e.to_string().starts_with("cannot read k.yaml: "), "{e}");
    }

    #[test]
    fn openapi_validation_is_separate_and_names_the_line() {
        let spec = Spec::parse("m.yaml", MINIMAL).unwrap();
        assert_eq!(spec.openapi(), Ok(()));
        assert_eq!(spec.operations.len(), 1);

        // Not OpenAPI (no `info`), yet loaded: the lint still checks it.
        let spec = Spec::parse(
            "m.yaml",
            &MINIMAL.replace("info: {title: T, version: \"1\"}\n", ""),
        )
        .unwrap();
        let e = spec.openapi().unwrap_err();
        assert!(
            e.contains("not a valid OpenAPI 3.0 document") && e.contains("line"),
            "{e}"
        );

        let spec = Spec::parse("m.yaml", &MINIMAL.replace("3.0.3", "3.1.0")).unwrap();
        assert!(spec.openapi().unwrap_err().contains("only OpenAPI 3.0.x"));

        // From a value: no line, same verdict.
        let v = Spec::from_value("v", json!({"openapi": "3.0.3", "paths": {}})).unwrap();
        assert!(
            v.openapi()
                .unwrap_err()
                .contains("not a valid OpenAPI 3.0 document")
        );
    }

    #[test]
    fn subjects() {
        let spec = Spec::parse("m.yaml", MINIMAL).unwrap();
        assert_eq!(spec.subject("/paths/~1a/get/responses/200"), "get_a");
        assert_eq!(spec.subject("/paths/~1a/get"), "get_a");
        assert_eq!(spec.subject("/paths/~1a/getx"), "/a");
        assert_eq!(spec.subject("/components/schemas/Base/type"), "Base");
        assert_eq!(spec.subject("/info"), "-");
        assert_eq!(spec.operation("get_a").map(|o| o.path.as_str()), Some("/a"));
        assert!(spec.operation_at("GET", "/a").is_some());
    }
}
