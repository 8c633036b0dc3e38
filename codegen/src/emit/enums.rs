//! Enums: response enums are open (`Unknown(String)`), request enums stay closed, and an enum
//! used on both sides gets a closed twin `<Name>Input` for request positions.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{EmitError, Op, sanitize};
use crate::model::{EnumSides, METHODS};
use crate::pointer::{SCHEMA_REF_PREFIX, pointer, ref_name, schema};

/// Gives every enum component used on both sides a closed twin `<Name>Input` in `raw`, and
/// points every `$ref` to it in a request position (parameter schemas, inline request-body
/// schemas and the schemas only requests use) at the twin. Returns the (enum, twin) pairs.
pub fn split_request_enums(raw: &mut Value) -> Result<Vec<(String, String)>, String> {
    fn retarget(v: &mut Value, twins: &BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get_mut("$ref")
                    && let Some(n) = r.strip_prefix(SCHEMA_REF_PREFIX)
                    && twins.contains(n)
                {
                    *r = format!("{r}Input");
                }
                m.values_mut().for_each(|x| retarget(x, twins));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| retarget(x, twins)),
            _ => {}
        }
    }
    let sides = EnumSides::of(raw);
    let twins = &sides.twins;
    if twins.is_empty() {
        return Ok(Vec::new());
    }
    let mut pairs = Vec::new();
    let comps = raw
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("no components/schemas")?;
    for name in twins {
        let twin = EnumSides::twin_name(name);
        if comps.contains_key(&twin) {
            return Err(format!(
                "schema {twin} already exists; it is the name of {name}'s closed request twin"
            ));
        }
        let mut copy = comps[name].clone();
        if let Some(m) = copy.as_object_mut() {
            m.insert(
                "description".into(),
                Value::String(format!(
                    "`{name}` as a request value: only the values the spec lists."
                )),
            );
        }
        comps.insert(twin.clone(), copy);
        pairs.push((name.clone(), twin));
    }
    // Request-only schemas, then the operations' parameters and request bodies.
    for (name, schema) in comps.iter_mut() {
        if sides.request_side.contains(name) && !sides.response_side.contains(name) {
            retarget(schema, twins);
        }
    }
    if let Some(paths) = raw.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(method) else { continue };
                if let Some(ps) = op.get_mut("parameters") {
                    retarget(ps, twins);
                }
                if let Some(Value::Object(body)) = op.get_mut("requestBody") {
                    // Inline body schemas only: a $ref'd body schema was handled above when
                    // requests alone use it.
                    for (k, v) in body.iter_mut() {
                        if k == "content" {
                            for media in v.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                                if let Some(s) = media.get_mut("schema")
                                    && s.get("$ref").is_none()
                                {
                                    retarget(s, twins);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(pairs)
}

/// Named string-enum components reachable from any success or error schema. Fails on an inline
/// enum inside a response tree, which could not be made open (the `response_enums` rule).
pub fn open_enums(doc: &Value, ops: &[Op<'_>]) -> Result<BTreeSet<String>, EmitError> {
    let mut found = BTreeSet::new();
    let mut visited = BTreeSet::new();
    for op in ops {
        for name in std::iter::once(op.success).chain(op.op.error.as_deref()) {
            walk_named(doc, name, &mut visited, &mut found)
                .map_err(|e| (op.op.pointer.clone(), format!("operation {}: {e}", op.id)))?;
        }
    }
    Ok(found)
}

fn walk_named(
    doc: &Value,
    name: &str,
    visited: &mut BTreeSet<String>,
    found: &mut BTreeSet<String>,
) -> Result<(), String> {
    if !visited.insert(name.to_string()) {
        return Ok(());
    }
    let s = schema(doc, name).ok_or_else(|| format!("missing schema {name}"))?;
    if s.get("enum").is_some() {
        if s.get("type").and_then(Value::as_str) != Some("string") {
            return Err(format!("enum schema {name} must be type: string"));
        }
        found.insert(name.to_string());
        return Ok(());
    }
    walk_inline(doc, s, &pointer(["components", "schemas", name]), visited, found)
}

fn walk_inline(
    doc: &Value,
    v: &Value,
    at: &str,
    visited: &mut BTreeSet<String>,
    found: &mut BTreeSet<String>,
) -> Result<(), String> {
    if let Some(name) = ref_name(v) {
        return walk_named(doc, name, visited, found);
    }
    if v.get("enum").is_some() {
        return Err(format!(
            "inline enum at {at} is reachable from a response; make it a named component so it can be open"
        ));
    }
    if let Some(props) = v.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            walk_inline(doc, p, &format!("{at}/properties/{k}"), visited, found)?;
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(x) = v.get(key).filter(|x| x.is_object()) {
            walk_inline(doc, x, &format!("{at}/{key}"), visited, found)?;
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            for (i, x) in list.iter().enumerate() {
                walk_inline(doc, x, &format!("{at}/{key}/{i}"), visited, found)?;
            }
        }
    }
    Ok(())
}

/// The open enum type of every name in `names` (named string-enum components of `doc`).
pub fn open_enum_tokens(doc: &Value, names: &BTreeSet<String>) -> TokenStream {
    let mut out = TokenStream::new();
    for name in names {
        let Some(schema) = schema(doc, name) else { continue };
        let values: Vec<String> = schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        let ident = format_ident!("{}", sanitize(name));
        let mut used = BTreeSet::new();
        let mut variants = Vec::new();
        for value in &values {
            let mut base = sanitize(value);
            if base == "Unknown" {
                base = "UnknownValue".into();
            }
            let mut v = base.clone();
            let mut n = 2;
            while !used.insert(v.clone()) {
                v = format!("{base}{n}");
                n += 1;
            }
            variants.push((format_ident!("{}", v), value.clone()));
        }
        let doc_line = schema
            .get("description")
            .and_then(Value::as_str)
            .map(|d| d.trim().to_string())
            .unwrap_or_else(|| format!("The `{name}` enum of the spec."));
        let v_idents: Vec<_> = variants.iter().map(|(i, _)| i).collect();
        let v_strs: Vec<_> = variants.iter().map(|(_, s)| s).collect();
        let v_docs: Vec<_> = v_strs.iter().map(|s| format!("`{s}`")).collect();
        out.extend(quote! {
            #[doc = #doc_line]
            ///
            /// Open: a value the spec does not list decodes to `Unknown` with the text received.
            #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum #ident {
                #( #[doc = #v_docs] #v_idents, )*
                /// A value this version of the spec does not know.
                Unknown(::std::string::String),
            }
            impl #ident {
                /// Every value the spec lists.
                pub const KNOWN: &'static [&'static str] = &[#(#v_strs),*];
                /// The value as the API spells it.
                pub fn as_str(&self) -> &str {
                    match self {
                        #( Self::#v_idents => #v_strs, )*
                        Self::Unknown(s) => s.as_str(),
                    }
                }
                /// Whether this is a value the spec does not list.
                pub fn is_unknown(&self) -> bool {
                    matches!(self, Self::Unknown(_))
                }
            }
            impl ::std::convert::From<&str> for #ident {
                fn from(s: &str) -> Self {
                    match s {
                        #( #v_strs => Self::#v_idents, )*
                        other => Self::Unknown(other.to_string()),
                    }
                }
            }
            impl ::std::str::FromStr for #ident {
                type Err = ::std::convert::Infallible;
                fn from_str(s: &str) -> ::std::result::Result<Self, ::std::convert::Infallible> {
                    Ok(Self::from(s))
                }
            }
            impl ::std::convert::TryFrom<&::std::string::String> for #ident {
                type Error = ::std::convert::Infallible;
                fn try_from(s: &::std::string::String) -> ::std::result::Result<Self, ::std::convert::Infallible> {
                    Ok(Self::from(s.as_str()))
                }
            }
            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                    s.serialize_str(self.as_str())
                }
            }
            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                    let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                    Ok(Self::from(s.as_ref()))
                }
            }
        });
    }
    out
}

/// `From<types::<Name>Input> for <Name>` for every (enum, twin) pair.
pub fn input_conversions(pairs: &[(String, String)]) -> TokenStream {
    let mut out = TokenStream::new();
    for (name, input) in pairs {
        let (e, i) = (
            format_ident!("{}", sanitize(name)),
            format_ident!("{}", sanitize(input)),
        );
        out.extend(quote! {
            impl ::std::convert::From<types::#i> for open::#e {
                fn from(v: types::#i) -> Self {
                    Self::from(v.to_string().as_str())
                }
            }
        });
    }
    out
}
