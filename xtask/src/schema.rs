//! OpenAPI 3.0 helpers shared by the spec lint and (later) the contract check:
//! YAML loading, local `$ref` resolution, JSON-pointer helpers, the conversion of OpenAPI 3.0
//! Schema Objects to JSON Schema 2020-12, and validation of instances (examples, live bodies)
//! against a spec schema.

use std::fmt;

use serde_json::{Map, Value};

/// Where named schemas live; `$ref`s to them are kept as references in converted schemas.
pub const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

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

/// Parses a YAML document into JSON. Non-string mapping keys (`200:` unquoted) become strings,
/// and YAML merge keys (`<<`) are applied.
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

/// Escapes one JSON-pointer reference token (`/` → `~1`, `~` → `~0`).
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

/// Resolves a local reference (`#/components/schemas/Foo`) in `doc`. External references and
/// dangling pointers give `None`.
pub fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = reference.strip_prefix('#')?;
    if !fragment.is_empty() && !fragment.starts_with('/') {
        return None;
    }
    doc.pointer(&percent_decode(fragment))
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

/// Follows `$ref` chains (a Response, Parameter or Schema that is only a reference) to the
/// object they point at, together with its JSON pointer. `None` if a reference dangles or loops.
pub fn deref<'a>(doc: &'a Value, value: &'a Value, ptr: &str) -> Option<(&'a Value, String)> {
    let mut current = value;
    let mut current_ptr = ptr.to_owned();
    for _ in 0..32 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                current = resolve_ref(doc, reference)?;
                current_ptr = reference.trim_start_matches('#').to_owned();
            }
            None => return Some((current, current_ptr)),
        }
    }
    None
}

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
    fn yaml_keys_become_strings() {
        let v = yaml_to_json("200: {a: 1}\ntrue: 2\n").unwrap();
        assert_eq!(v, json!({"200": {"a": 1}, "true": 2}));
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

    #[test]
    fn pointers_round_trip() {
        let p = pointer(["paths", "/api/v1/x", "get"]);
        assert_eq!(p, "/paths/~1api~1v1~1x/get");
        assert_eq!(pointer_tokens(&p), vec!["paths", "/api/v1/x", "get"]);
    }
}
