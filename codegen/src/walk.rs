//! Walking a spec's schemas and examples: the traversals the rules and the lint share.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::METHODS;
use crate::pointer::{child, deref, pointer};

/// The entries of a mapping (none when `value` is not one).
pub fn entries(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
}

/// The direct subschemas of a Schema Object, with their pointers: `properties`, `items`,
/// `additionalProperties`, `not`, `allOf`, `anyOf`, `oneOf`.
pub fn subschemas<'v>(schema: &'v Value, ptr: &str) -> Vec<(String, &'v Value)> {
    let mut out = Vec::new();
    for (name, prop) in entries(schema.get("properties")) {
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
pub fn walk_schema<'v>(schema: &'v Value, ptr: &str, f: &mut impl FnMut(&str, &'v Value)) {
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
pub fn schema_roots<'v>(doc: &'v Value) -> Vec<(String, &'v Value)> {
    let mut roots = Vec::new();

    fn holder_schemas<'v>(holder: &'v Value, ptr: &str, roots: &mut Vec<(String, &'v Value)>) {
        if let Some(schema) = holder.get("schema") {
            roots.push((child(ptr, &["schema"]), schema));
        }
        for (media_type, media) in entries(holder.get("content")) {
            if let Some(schema) = media.get("schema") {
                roots.push((child(ptr, &["content", media_type, "schema"]), schema));
            }
        }
        for (name, header) in entries(holder.get("headers")) {
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
    // The parameters of a Path Item or an Operation Object.
    let parameters = |holder: &'v Value, ptr: &str, roots: &mut Vec<(String, &'v Value)>| {
        for (n, parameter) in holder
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            holder_schemas(parameter, &child(ptr, &["parameters", &n.to_string()]), roots);
        }
    };
    for (path, item) in entries(doc.get("paths")) {
        let item_ptr = pointer(["paths", path.as_str()]);
        parameters(item, &item_ptr, &mut roots);
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_ptr = child(&item_ptr, &[method]);
            parameters(op, &op_ptr, &mut roots);
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

/// The examples of a Media Type, Parameter or Header Object: `example`, and the `value` of each
/// `examples` entry (following `$ref` to `components/examples`). `None` when an entry has no
/// `value` (an `externalValue` entry is skipped) or its `$ref` dangles.
pub fn media_examples<'v>(doc: &'v Value, holder: &'v Value, ptr: &str) -> Vec<(String, Option<&'v Value>)> {
    let mut out = Vec::new();
    if let Some(example) = holder.get("example") {
        out.push((child(ptr, &["example"]), Some(example)));
    }
    for (name, entry) in entries(holder.get("examples")) {
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
#[derive(Debug, Default)]
pub struct ObjectShape<'v> {
    /// Every property: (pointer of its schema, its schema).
    pub properties: Vec<(String, &'v Value)>,
    /// Every required name.
    pub required: BTreeSet<String>,
}

/// The [`ObjectShape`] of `schema` (at `ptr`).
pub fn object_shape<'v>(doc: &'v Value, schema: &'v Value, ptr: &str) -> ObjectShape<'v> {
    let mut shape = ObjectShape::default();
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
        for (name, prop) in entries(node.get("properties")) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "paths": {"/a": {
                "parameters": [{"name": "p", "in": "query", "schema": {"type": "string"}}],
                "get": {
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"200": {
                        "headers": {"X-Id": {"schema": {"type": "string"}}},
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Both"},
                            "example": {"a": 1},
                            "examples": {
                                "one": {"value": {"a": 2}},
                                "named": {"$ref": "#/components/examples/Named"},
                                "far": {"externalValue": "https://x"},
                                "broken": {"$ref": "#/components/examples/Nope"},
                            }
                        }}
                    }}
                }
            }},
            "components": {
                "examples": {"Named": {"value": {"a": 3}}},
                "schemas": {
                    "Base": {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
                    "Both": {
                        "allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["b"], "properties": {"b": {"type": "array", "items": {"type": "string"}}}}],
                        "not": {"type": "null"}
                    }
                }
            }
        })
    }

    #[test]
    fn subschemas_and_walks() {
        let d = doc();
        let both = d.pointer("/components/schemas/Both").unwrap();
        let subs: Vec<String> = subschemas(both, "/B").into_iter().map(|(p, _)| p).collect();
        assert_eq!(subs, ["/B/not", "/B/allOf/0", "/B/allOf/1"]);
        let mut seen = Vec::new();
        walk_schema(both, "/B", &mut |p, _| seen.push(p.to_owned()));
        assert!(
            seen.contains(&"/B/allOf/1/properties/b/items".to_owned()),
            "{seen:?}"
        );
    }

    #[test]
    fn every_schema_root() {
        let d = doc();
        let roots: Vec<String> = schema_roots(&d).into_iter().map(|(p, _)| p).collect();
        for want in [
            "/components/schemas/Base",
            "/paths/~1a/parameters/0/schema",
            "/paths/~1a/get/requestBody/content/application~1json/schema",
            "/paths/~1a/get/responses/200/content/application~1json/schema",
            "/paths/~1a/get/responses/200/headers/X-Id/schema",
        ] {
            assert!(roots.contains(&want.to_owned()), "{want} not in {roots:?}");
        }
    }

    #[test]
    fn examples_of_a_media_type() {
        let d = doc();
        let media = d
            .pointer("/paths/~1a/get/responses/200/content/application~1json")
            .unwrap();
        let found: Vec<(String, Option<Value>)> = media_examples(&d, media, "/m")
            .into_iter()
            .map(|(p, v)| (p, v.cloned()))
            .collect();
        assert_eq!(
            found,
            [
                ("/m/example".to_owned(), Some(json!({"a": 1}))),
                ("/m/examples/broken/value".to_owned(), None),
                ("/m/examples/named/value".to_owned(), Some(json!({"a": 3}))),
                ("/m/examples/one/value".to_owned(), Some(json!({"a": 2}))),
            ]
        );
    }

    #[test]
    fn object_shapes_merge_all_of() {
        let d = doc();
        let both = d.pointer("/components/schemas/Both").unwrap();
        let shape = object_shape(&d, both, "/components/schemas/Both");
        let props: Vec<&str> = shape.properties.iter().map(|(p, _)| p.as_str()).collect();
        assert!(
            props.contains(&"/components/schemas/Base/properties/a"),
            "{props:?}"
        );
        assert!(
            props.contains(&"/components/schemas/Both/allOf/1/properties/b"),
            "{props:?}"
        );
        assert_eq!(shape.required.iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
