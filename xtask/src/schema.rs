//! JSON Schema for the spec lint and the contract check: the conversion of OpenAPI 3.0 Schema
//! Objects to JSON Schema 2020-12, and validation of instances (examples, live bodies) against a
//! spec schema. Loading, JSON pointers and `$ref` resolution are `kotanipay-codegen`'s (the one
//! spec model); they are re-exported here for the modules that use them with the validator.

use std::fmt;

pub use kotanipay_codegen::load::yaml_to_json;
pub use kotanipay_codegen::pointer::{SCHEMA_REF_PREFIX, child, deref, escape_token, pointer, resolve_ref};
use serde_json::{Map, Value};

/// Formats that OpenAPI defines for code generation but that are not JSON Schema formats to
/// assert (`password` marks a secret, `int64` a width). They are dropped on conversion; the
/// widths of integers become bounds (see [`integer_range`]).
const OPENAPI_ONLY_FORMATS: &[&str] = &["password", "int32", "int64", "float", "double", "byte", "binary"];

/// Schema Object keys that are OpenAPI annotations, not JSON Schema assertions.
const DROPPED_KEYS: &[&str] = &[
    "nullable",
    "example",
    "discriminator",
    "xml",
    "externalDocs",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Converts an OpenAPI 3.0 Schema Object to JSON Schema 2020-12.
///
/// - `$ref`s to `#/components/schemas/*` are kept (the validation root carries the converted
///   components under the same pointer); other local `$ref`s are inlined.
/// - `nullable: true` allows `null`: `type` becomes `[type, "null"]` and `null` joins an `enum`;
///   a schema built from `$ref`/`allOf`/`anyOf`/`oneOf`/`not` is wrapped in
///   `anyOf: [{type: null}, <schema>]`.
/// - `x-*`, `example`, `discriminator`, `xml`, `externalDocs`, `deprecated`, `readOnly`,
///   `writeOnly` are dropped, and so are OpenAPI-only formats (`password`, `int64`, ...).
/// - `type: integer` with `format: int32` or `int64` gets the width's `minimum`/`maximum`
///   (tighter bounds of its own are kept).
/// - Boolean `exclusiveMinimum`/`exclusiveMaximum` become the 2020-12 numeric form.
pub fn to_json_schema(doc: &Value, schema: &Value) -> Value {
    convert(doc, schema, &mut Vec::new())
}

fn convert(doc: &Value, schema: &Value, inlining: &mut Vec<String>) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    let nullable = obj.get("nullable").and_then(Value::as_bool).unwrap_or(false);

    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        // OpenAPI 3.0 ignores the siblings of `$ref` (we honour `nullable` and keep `description`).
        let mut converted =
            if reference.starts_with(SCHEMA_REF_PREFIX) || inlining.iter().any(|r| r == reference) {
                let mut m = Map::new();
                m.insert("$ref".into(), Value::String(reference.to_owned()));
                Value::Object(m)
            } else if let Some(target) = resolve_ref(doc, reference) {
                inlining.push(reference.to_owned());
                let inlined = convert(doc, target, inlining);
                inlining.pop();
                inlined
            } else {
                // Dangling: keep it so that compiling reports it.
                let mut m = Map::new();
                m.insert("$ref".into(), Value::String(reference.to_owned()));
                Value::Object(m)
            };
        if let (Some(description), Some(m)) = (obj.get("description"), converted.as_object_mut()) {
            m.entry("description").or_insert_with(|| description.clone());
        }
        return if nullable {
            wrap_nullable(converted)
        } else {
            converted
        };
    }

    let mut out = Map::new();
    for (key, value) in obj {
        if key.starts_with("x-") || DROPPED_KEYS.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "properties" | "patternProperties" => {
                let props = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, s)| (name.clone(), convert(doc, s, inlining)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" | "propertyNames" => {
                out.insert(key.clone(), convert(doc, value, inlining));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .map(|list| list.iter().map(|s| convert(doc, s, inlining)).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            "format" => {
                if value.as_str().is_some_and(|f| !OPENAPI_ONLY_FORMATS.contains(&f)) {
                    out.insert(key.clone(), value.clone());
                }
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                let bound = if key == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                match value {
                    Value::Bool(true) => {
                        if let Some(limit) = obj.get(bound) {
                            out.insert(key.clone(), limit.clone());
                        }
                    }
                    Value::Bool(false) => {}
                    other => {
                        out.insert(key.clone(), other.clone());
                    }
                }
            }
            "minimum" | "maximum" => {
                let exclusive = if key == "minimum" {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                if obj.get(exclusive) != Some(&Value::Bool(true)) {
                    out.insert(key.clone(), value.clone());
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }

    if let Some((low, high)) = integer_range(obj) {
        out.entry("minimum").or_insert_with(|| Value::from(low));
        out.entry("maximum").or_insert_with(|| Value::from(high));
    }

    if !nullable {
        return Value::Object(out);
    }
    let composite = ["allOf", "anyOf", "oneOf", "not"]
        .iter()
        .any(|k| out.contains_key(*k));
    if composite {
        return wrap_nullable(Value::Object(out));
    }
    if let Some(Value::String(t)) = out.get("type").cloned() {
        out.insert(
            "type".into(),
            Value::Array(vec![Value::String(t), Value::String("null".into())]),
        );
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}

/// The range an integer schema declares with its `format` (`int32`, `int64`): what the SDK's
/// `i32`/`i64` can hold.
fn integer_range(schema: &Map<String, Value>) -> Option<(i64, i64)> {
    if schema.get("type").and_then(Value::as_str) != Some("integer") {
        return None;
    }
    match schema.get("format").and_then(Value::as_str)? {
        "int32" => Some((i32::MIN.into(), i32::MAX.into())),
        "int64" => Some((i64::MIN, i64::MAX)),
        _ => None,
    }
}

fn wrap_nullable(schema: Value) -> Value {
    let mut null = Map::new();
    null.insert("type".into(), Value::String("null".into()));
    let mut m = Map::new();
    m.insert("anyOf".into(), Value::Array(vec![Value::Object(null), schema]));
    Value::Object(m)
}

/// One way an instance fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceError {
    /// JSON pointer inside the instance (`""` is the whole instance).
    pub instance_path: String,
    /// The JSON Schema keyword that failed (`type`, `required`, `enum`, `format`, ...).
    pub keyword: String,
    /// The validator's message.
    pub message: String,
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at} ({}): {}", self.keyword, self.message)
    }
}

/// Validates instances against the schemas of one OpenAPI document. It converts
/// `components/schemas` once; each schema to check is compiled with them as its root document.
pub struct SchemaValidator<'d> {
    doc: &'d Value,
    components: Value,
}

impl<'d> SchemaValidator<'d> {
    pub fn new(doc: &'d Value) -> Self {
        let converted: Map<String, Value> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|schemas| {
                schemas
                    .iter()
                    .map(|(name, s)| (name.clone(), to_json_schema(doc, s)))
                    .collect()
            })
            .unwrap_or_default();
        let mut schemas = Map::new();
        schemas.insert("schemas".into(), Value::Object(converted));
        Self {
            doc,
            components: Value::Object(schemas),
        }
    }

    /// The JSON Schema document used to validate against an OpenAPI `schema`.
    pub fn root_schema(&self, schema: &Value) -> Value {
        let converted = to_json_schema(self.doc, schema);
        let mut root = match converted {
            Value::Object(m) => m,
            // `true`/`false` schemas do not occur in OpenAPI 3.0; treat anything else as `{}`.
            _ => Map::new(),
        };
        root.insert(
            "$schema".into(),
            Value::String("https://json-schema.org/draft/2020-12/schema".into()),
        );
        root.insert("components".into(), self.components.clone());
        Value::Object(root)
    }

    /// Validates `instance` against the OpenAPI `schema`, formats included. `Err` when the
    /// schema itself does not compile (e.g. a dangling `$ref`).
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<Vec<InstanceError>, String> {
        let root = self.root_schema(schema);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| e.to_string())?;
        Ok(validator
            .iter_errors(instance)
            .map(|e| InstanceError {
                instance_path: e.instance_path().as_str().to_owned(),
                keyword: e.kind().keyword().to_owned(),
                message: e.to_string(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        yaml_to_json(
            r##"
components:
  schemas:
    Status:
      type: string
      enum: [active, closed]
    MaybeStatus:
      type: string
      enum: [active, closed]
      nullable: true
    Wallet:
      type: object
      required: [id]
      properties:
        id: {type: string}
        status:
          $ref: "#/components/schemas/Status"
          nullable: true
        owner:
          nullable: true
          allOf:
            - $ref: "#/components/schemas/Owner"
        email: {type: string, format: email, x-note: kept out}
        secret: {type: string, format: password}
        balance: {type: number, nullable: true, example: 3}
        count: {type: integer, format: int64}
        small: {type: integer, format: int32, minimum: 0, nullable: true}
    Owner:
      type: object
      properties:
        name: {type: string}
"##,
        )
        .unwrap()
    }

    #[test]
    fn conversion_drops_openapi_keys_and_handles_nullable() {
        let d = doc();
        let wallet = to_json_schema(&d, d.pointer("/components/schemas/Wallet").unwrap());
        assert_eq!(
            wallet.pointer("/properties/status"),
            Some(&json!({"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/Status"}]}))
        );
        assert_eq!(
            wallet.pointer("/properties/email"),
            Some(&json!({"type": "string", "format": "email"}))
        );
        assert_eq!(
            wallet.pointer("/properties/secret"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(
            wallet.pointer("/properties/balance"),
            Some(&json!({"type": ["number", "null"]}))
        );
        assert_eq!(
            wallet.pointer("/properties/count"),
            Some(&json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}))
        );
        assert_eq!(
            wallet.pointer("/properties/small"),
            Some(&json!({"type": ["integer", "null"], "minimum": 0, "maximum": i32::MAX}))
        );
        let maybe = to_json_schema(&d, d.pointer("/components/schemas/MaybeStatus").unwrap());
        assert_eq!(
            maybe,
            json!({"type": ["string", "null"], "enum": ["active", "closed", null]})
        );
    }

    #[test]
    fn validates_nullable_ref_enum_and_formats() {
        let d = doc();
        let v = SchemaValidator::new(&d);
        let wallet = json!({"$ref": "#/components/schemas/Wallet"});
        let ok = json!({"id": "w1", "status": null, "owner": null, "email": "a@b.co", "balance": null});
        assert_eq!(v.validate(&wallet, &ok).unwrap(), vec![]);
        let ok2 = json!({"id": "w1", "status": "closed", "owner": {"name": "x"}});
        assert_eq!(v.validate(&wallet, &ok2).unwrap(), vec![]);

        let bad_email = v
            .validate(&wallet, &json!({"id": "w1", "email": "not an email"}))
            .unwrap();
        assert_eq!(bad_email.len(), 1);
        assert_eq!(bad_email[0].instance_path, "/email");
        assert_eq!(bad_email[0].keyword, "format");

        let missing = v.validate(&wallet, &json!({"status": "active"})).unwrap();
        assert_eq!(missing[0].keyword, "required");

        let bad_status = v
            .validate(&wallet, &json!({"id": "w", "status": "weird"}))
            .unwrap();
        assert_eq!(bad_status[0].instance_path, "/status");

        // Integer widths are asserted: 2^63 does not fit an int64, 2^31 not an int32.
        let ok3 = json!({"id": "w", "count": i64::MAX, "small": i32::MAX});
        assert_eq!(v.validate(&wallet, &ok3).unwrap(), vec![]);
        let wide = v
            .validate(
                &wallet,
                &json!({"id": "w", "count": 1e20, "small": 2_147_483_648_u64}),
            )
            .unwrap();
        let at: Vec<(&str, &str)> = wide
            .iter()
            .map(|e| (e.instance_path.as_str(), e.keyword.as_str()))
            .collect();
        assert!(at.contains(&("/count", "maximum")), "{at:?}");
        assert!(at.contains(&("/small", "maximum")), "{at:?}");

        let maybe = json!({"$ref": "#/components/schemas/MaybeStatus"});
        assert!(v.validate(&maybe, &Value::Null).unwrap().is_empty());
        assert_eq!(v.validate(&maybe, &json!("other")).unwrap()[0].keyword, "enum");
    }

    #[test]
    fn dangling_ref_fails_to_compile() {
        let d = doc();
        let v = SchemaValidator::new(&d);
        assert!(
            v.validate(&json!({"$ref": "#/components/schemas/Nope"}), &json!(1))
                .is_err()
        );
    }
}
