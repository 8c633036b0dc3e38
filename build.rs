//! Generates the two API clients from `spec/*.yaml` with progenitor, plus the small tables the
//! hand-written layer needs (per-operation security, money movement, pagination, examples), the
//! open response enums, and the glue that gives every operation `call()`/`data()`.
//!
//! A spec that breaks the project's conventions (spec/README.md) fails the build with a message
//! naming the file and the operation.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use serde_json::Value;

struct Family {
    spec: &'static str,
    out: &'static str,
    module: &'static str,
}

const FAMILIES: &[Family] = &[
    Family {
        spec: "spec/kotani-v3.yaml",
        out: "kotani_v3.rs",
        module: "v3",
    },
    Family {
        spec: "spec/kutanapay-merchant-v1.yaml",
        out: "merchant_v1.rs",
        module: "merchant",
    },
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut failures = Vec::new();
    for family in FAMILIES {
        let path = root.join(family.spec);
        println!("cargo:rerun-if-changed={}", path.display());
        if let Err(e) = generate(family, &path, &out_dir) {
            failures.push(format!("{}: {e}", family.spec));
        }
    }
    if !failures.is_empty() {
        for f in &failures {
            println!("cargo:warning={f}");
        }
        eprintln!("\nkotanipay build failed: the specs do not generate a client.\n");
        for f in &failures {
            eprintln!("  {f}");
        }
        std::process::exit(1);
    }
}

fn generate(family: &Family, path: &Path, out_dir: &Path) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut raw: Value = serde_norway::from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    let _: openapiv3::OpenAPI =
        serde_norway::from_str(&text).map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    let inputs = split_request_enums(&mut raw)?;
    // Progenitor sees every operation's success as one `2XX` response: a server may answer
    // 200, 201 or 202 for the same operation (NestJS answers POSTs with 201), and each is
    // decoded with the success schema. The documented statuses stay in the tables.
    let mut for_progenitor = raw.clone();
    collapse_success_statuses(&mut for_progenitor);
    let spec: openapiv3::OpenAPI = serde_json::from_value(for_progenitor)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    let doc = Doc { raw: &raw };
    let ops = doc.operations()?;
    let open_enums = doc.open_enums(&ops)?;

    let module = family.module;
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(crate::hooks::Inner))
        .with_derive("PartialEq");
    // Fields marked `format: password` hold keys, tokens and secrets: a type that redacts itself.
    settings.with_conversion(
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("password".into()),
            ..Default::default()
        },
        "crate::Secret",
        std::iter::empty(),
    );
    // Amounts, fees, rates and balances (`type: number, format: decimal`) are exact decimals;
    // their serde is set field by field below (see `src/money.rs`).
    settings.with_conversion(
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::Number.into()),
            format: Some("decimal".into()),
            ..Default::default()
        },
        "::rust_decimal::Decimal",
        std::iter::empty(),
    );
    for name in &open_enums {
        let rust = sanitize(name);
        settings.with_replacement(
            &rust,
            format!("crate::{module}::open::{rust}"),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    let mut generator = Generator::new(&settings);
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| generator.generate_tokens(&spec)))
        .map_err(|p| format!("progenitor panicked: {}", panic_message(&p)))?
        .map_err(|e| format!("progenitor: {e}"))?;

    let mut open = open_enum_tokens(&doc, &open_enums)?;
    for (name, input) in &inputs {
        let (e, i) = (
            format_ident!("{}", sanitize(name)),
            format_ident!("{}", sanitize(input)),
        );
        open.extend(quote! {
            impl ::std::convert::From<super::types::#i> for #e {
                fn from(v: super::types::#i) -> Self {
                    Self::from(v.to_string().as_str())
                }
            }
        });
    }
    let glue = glue_tokens(&doc, &ops, module)?;
    let table = table_tokens(&ops, module);
    let decode = decode_tokens(&ops);
    let pagination = pagination_tokens(&doc, &ops)?;

    let mut file: syn::File =
        syn::parse2(quote!(#tokens)).map_err(|e| format!("generated code does not parse: {e}"))?;
    // Re-export the open enums from `types`, where users look for every schema type.
    for item in file.items.iter_mut() {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, content)) = m.content.as_mut()
        {
            content.push(syn::parse_quote!(
                pub use super::open::*;
            ));
            money_serde(content)?;
        }
    }
    let extra: syn::File = syn::parse2(quote! {
        /// Response enums that accept values the spec does not know (`Unknown`).
        pub mod open { #open }
        #glue
        #table
        #decode
        #pagination
    })
    .map_err(|e| format!("generated glue does not parse: {e}"))?;
    file.items.extend(extra.items);
    let out = prettyplease::unparse(&file);
    fs::write(out_dir.join(family.out), out).map_err(|e| format!("cannot write output: {e}"))?;
    Ok(())
}

/// Gives every `Decimal`, `Option<Decimal>` and `Vec<Decimal>` field of the generated types its
/// JSON form (`crate::money`): exact from the shortest text of the number a JavaScript server
/// wrote, and written back as JavaScript reads it.
fn money_serde(items: &mut [syn::Item]) -> Result<(), String> {
    fn kind(ty: &syn::Type) -> Option<&'static str> {
        let text = quote!(#ty).to_string().replace(' ', "");
        match text.as_str() {
            "::rust_decimal::Decimal" => Some("decimal"),
            "::std::option::Option<::rust_decimal::Decimal>" => Some("decimal_opt"),
            "::std::vec::Vec<::rust_decimal::Decimal>" => Some("decimal_vec"),
            _ if text.contains("rust_decimal") => Some(""),
            _ => None,
        }
    }
    for item in items {
        let syn::Item::Struct(st) = item else { continue };
        for field in st.fields.iter_mut() {
            let Some(module) = kind(&field.ty) else { continue };
            let name = field.ident.as_ref().map(ToString::to_string).unwrap_or_default();
            if module.is_empty() {
                return Err(format!(
                    "{}.{name}: a decimal inside {} is not supported; use it as a field, an optional \
                     field or a list",
                    st.ident,
                    {
                        let ty = &field.ty;
                        quote!(#ty)
                    }
                ));
            }
            let serde_attrs: String = field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("serde"))
                .map(|a| quote!(#a).to_string().replace(' ', ""))
                .collect();
            // `with=`, `serialize_with=`, `deserialize_with=` (a rename may contain "with").
            if serde_attrs.contains("with=") {
                return Err(format!("{}.{name}: already has a serde `with`", st.ident));
            }
            let path = format!("crate::money::{module}");
            field.attrs.push(syn::parse_quote!(#[serde(with = #path)]));
            // An optional field is `None` when absent: serde's own rule for `Option` does not
            // hold once `with` is set.
            if module != "decimal" && !serde_attrs.contains("default") {
                field.attrs.push(syn::parse_quote!(#[serde(default)]));
            }
        }
    }
    Ok(())
}

/// Replaces the documented 2xx responses of every operation by one `2XX` response with the
/// same content (the operations check has already made sure they share one schema).
fn collapse_success_statuses(raw: &mut Value) {
    let Some(paths) = raw.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(responses) = item
                .get_mut(*method)
                .and_then(|op| op.get_mut("responses"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let success: Vec<String> = responses.keys().filter(|k| k.starts_with('2')).cloned().collect();
            let mut first = None;
            for k in success {
                let r = responses.remove(&k);
                if first.is_none() {
                    first = r;
                }
            }
            if let Some(r) = first {
                responses.insert("2XX".into(), r);
            }
        }
    }
}

/// The status the built-in mock answers an operation with: 201 or 202 when the spec documents
/// one (what the real servers send for creations), else the lowest documented 2xx.
fn mock_status(documented: &[u16]) -> u16 {
    [201, 202]
        .into_iter()
        .find(|s| documented.contains(s))
        .or_else(|| documented.iter().copied().min())
        .unwrap_or(200)
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// Response enums are open; request enums stay closed. An enum component used on both sides
/// gets a closed twin `<Name>Input`, and every `$ref` to it in a request position (parameter
/// schemas, and schemas only requests use) is pointed at the twin. Returns (enum, twin) pairs.
fn split_request_enums(raw: &mut Value) -> Result<Vec<(String, String)>, String> {
    fn refs(v: &Value, schemas: &serde_json::Map<String, Value>, acc: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(n) = m
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && acc.insert(n.to_string())
                    && let Some(s) = schemas.get(n)
                {
                    refs(s, schemas, acc);
                }
                m.iter()
                    .filter(|(k, _)| *k != "$ref")
                    .for_each(|(_, x)| refs(x, schemas, acc));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, schemas, acc)),
            _ => {}
        }
    }
    fn retarget(v: &mut Value, twins: &BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get_mut("$ref")
                    && let Some(n) = r.strip_prefix("#/components/schemas/")
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
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let responses = raw
        .pointer("/components/responses")
        .cloned()
        .unwrap_or(Value::Null);
    let (mut response_side, mut request_side) = (BTreeSet::new(), BTreeSet::new());
    for item in raw
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
    {
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            if let Some(r) = op.get("responses") {
                refs(r, &schemas, &mut response_side);
            }
            for key in ["requestBody", "parameters"] {
                if let Some(x) = op.get(key) {
                    refs(x, &schemas, &mut request_side);
                }
            }
        }
    }
    refs(&responses, &schemas, &mut response_side);
    let is_enum = |n: &String| schemas.get(n).is_some_and(|s| s.get("enum").is_some());
    let twins: BTreeSet<String> = request_side
        .iter()
        .filter(|n| response_side.contains(*n) && is_enum(n))
        .cloned()
        .collect();
    if twins.is_empty() {
        return Ok(Vec::new());
    }
    let mut pairs = Vec::new();
    let comps = raw
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("no components/schemas")?;
    for name in &twins {
        let twin = format!("{name}Input");
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
        if request_side.contains(name) && !response_side.contains(name) {
            retarget(schema, &twins);
        }
    }
    if let Some(paths) = raw.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(*method) else { continue };
                if let Some(ps) = op.get_mut("parameters") {
                    retarget(ps, &twins);
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
                                    retarget(s, &twins);
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

/// typify's naming: PascalCase after replacing characters that cannot be in an identifier.
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .replace('\'', "")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    let out = cleaned.to_pascal_case();
    match out.chars().next() {
        None => "X".into(),
        Some(c) if c.is_alphabetic() || c == '_' => out,
        Some(_) => format!("X{out}"),
    }
}

struct Doc<'a> {
    raw: &'a Value,
}

/// What build.rs knows about one operation.
struct Op {
    id: String,
    method: String,
    path: String,
    /// `$ref` name of the success schema.
    success: String,
    /// Every documented 2xx status, ascending.
    success_statuses: Vec<u16>,
    /// `$ref` name of the error schema, if the operation documents one.
    error: Option<String>,
    example: Option<Value>,
    secured: bool,
    refresh_credential: bool,
    moves_money: bool,
    idempotency_field: Option<String>,
    idempotent: bool,
    pagination: Option<Value>,
    /// Query parameters: name and schema `type`.
    query: Vec<(String, String)>,
    /// The operation that tells a money movement's outcome (`x-kotani-status-operation`).
    status_operation: Option<String>,
}

impl<'a> Doc<'a> {
    fn resolve(&self, v: &'a Value) -> Result<&'a Value, String> {
        let mut cur = v;
        for _ in 0..16 {
            match cur.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let ptr = r
                        .strip_prefix('#')
                        .ok_or_else(|| format!("external $ref {r} is not supported"))?;
                    cur = self
                        .raw
                        .pointer(ptr)
                        .ok_or_else(|| format!("$ref {r} points at nothing"))?;
                }
                None => return Ok(cur),
            }
        }
        Err("$ref chain too long".into())
    }

    fn ref_name(v: &Value) -> Option<&str> {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
    }

    fn schema(&self, name: &str) -> Option<&'a Value> {
        self.raw.pointer(&format!(
            "/components/schemas/{}",
            name.replace('~', "~0").replace('/', "~1")
        ))
    }

    fn operations(&self) -> Result<Vec<Op>, String> {
        let global_security = self
            .raw
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        let paths = self
            .raw
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("no paths")?;
        let mut ops = Vec::new();
        let mut seen = BTreeSet::new();
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(*method) else { continue };
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{} {path}: no operationId", method.to_uppercase()))?;
                let at = |msg: String| format!("operation {id} ({} {path}): {msg}", method.to_uppercase());
                if id != id.to_snake_case() {
                    return Err(at("operationId must be snake_case".into()));
                }
                if !seen.insert(id.to_string()) {
                    return Err(at("duplicate operationId".into()));
                }
                let responses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .ok_or_else(|| at("no responses".into()))?;
                let mut success = None;
                let mut success_statuses = Vec::new();
                let mut error = None;
                for (status, resp) in responses {
                    let resp = self.resolve(resp).map_err(at)?;
                    let schema = resp.pointer("/content/application~1json/schema");
                    let is_success = status.starts_with('2');
                    if status == "default" {
                        return Err(at("a `default` response is not allowed (use 4XX/5XX)".into()));
                    }
                    let Some(schema) = schema else {
                        if is_success {
                            return Err(at(format!(
                                "success response {status} has no application/json schema"
                            )));
                        }
                        continue;
                    };
                    let name = Self::ref_name(schema)
                        .ok_or_else(|| {
                            at(format!(
                                "response {status} schema must be a $ref to a named component"
                            ))
                        })?
                        .to_string();
                    if self.schema(&name).is_none() {
                        return Err(at(format!("response {status} refers to missing schema {name}")));
                    }
                    if is_success {
                        let example = resp.pointer("/content/application~1json/example").cloned();
                        let code: u16 = status
                            .parse()
                            .ok()
                            .filter(|c| (200..300).contains(c))
                            .ok_or_else(|| at(format!("success status {status} is not a 2xx code")))?;
                        success_statuses.push(code);
                        match &success {
                            None => success = Some((name, example)),
                            Some((prev, prev_ex)) => {
                                if *prev != name {
                                    return Err(at(format!("two success schemas ({prev}, {name})")));
                                }
                                if prev_ex.is_none() && example.is_some() {
                                    success = Some((name, example));
                                }
                            }
                        }
                    } else {
                        match &error {
                            None => error = Some(name),
                            Some(prev) if *prev == name => {}
                            Some(prev) => return Err(at(format!("two error schemas ({prev}, {name})"))),
                        }
                    }
                }
                let (success, example) = success.ok_or_else(|| at("no 2xx response".into()))?;
                success_statuses.sort_unstable();
                let secured = match op.get("security") {
                    Some(Value::Array(a)) => !a.is_empty(),
                    Some(_) => return Err(at("security must be a list".into())),
                    None => global_security,
                };
                let flag = |k: &str| op.get(k).and_then(Value::as_bool).unwrap_or(false);
                ops.push(Op {
                    id: id.to_string(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    success,
                    success_statuses,
                    error,
                    example,
                    secured,
                    refresh_credential: op.get("x-kotani-credential").and_then(Value::as_str)
                        == Some("refresh_token"),
                    moves_money: flag("x-kotani-moves-money"),
                    idempotency_field: op
                        .get("x-kotani-idempotency-field")
                        .and_then(Value::as_str)
                        .map(String::from),
                    idempotent: flag("x-kotani-idempotent"),
                    pagination: op.get("x-kotani-pagination").cloned(),
                    query: self.query_params(op).map_err(at)?,
                    status_operation: op
                        .get("x-kotani-status-operation")
                        .and_then(Value::as_str)
                        .map(String::from),
                });
            }
        }
        for op in &ops {
            let at = format!("operation {} ({} {})", op.id, op.method, op.path);
            match &op.status_operation {
                Some(s) if !ops.iter().any(|o| &o.id == s) => {
                    return Err(format!("{at}: x-kotani-status-operation names no operation: {s}"));
                }
                None if op.moves_money => {
                    return Err(format!(
                        "{at}: moves money but has no x-kotani-status-operation (where to check its outcome)"
                    ));
                }
                _ => {}
            }
        }
        Ok(ops)
    }

    fn query_params(&self, op: &'a Value) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for p in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let p = self.resolve(p)?;
            if p.get("in").and_then(Value::as_str) != Some("query") {
                continue;
            }
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .ok_or("a parameter has no name")?;
            let schema = p.get("schema").map(|s| self.resolve(s)).transpose()?;
            let ty = schema
                .and_then(|s| s.get("type"))
                .and_then(Value::as_str)
                .unwrap_or("string");
            out.push((name.to_string(), ty.to_string()));
        }
        Ok(out)
    }

    /// Named string-enum components reachable from any success or error response. Fails on an
    /// inline enum inside a response tree, which could not be made open.
    fn open_enums(&self, ops: &[Op]) -> Result<BTreeSet<String>, String> {
        let mut found = BTreeSet::new();
        let mut visited = BTreeSet::new();
        for op in ops {
            for name in std::iter::once(&op.success).chain(op.error.iter()) {
                self.walk_named(name, &mut visited, &mut found)
                    .map_err(|e| format!("operation {}: {e}", op.id))?;
            }
        }
        Ok(found)
    }

    fn walk_named(
        &self,
        name: &str,
        visited: &mut BTreeSet<String>,
        found: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        if !visited.insert(name.to_string()) {
            return Ok(());
        }
        let schema = self
            .schema(name)
            .ok_or_else(|| format!("missing schema {name}"))?;
        if schema.get("enum").is_some() {
            if schema.get("type").and_then(Value::as_str) != Some("string") {
                return Err(format!("enum schema {name} must be type: string"));
            }
            found.insert(name.to_string());
            return Ok(());
        }
        self.walk_inline(schema, &format!("#/components/schemas/{name}"), visited, found)
    }

    fn walk_inline(
        &self,
        v: &Value,
        at: &str,
        visited: &mut BTreeSet<String>,
        found: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        if let Some(name) = Self::ref_name(v) {
            return self.walk_named(name, visited, found);
        }
        if v.get("enum").is_some() {
            return Err(format!(
                "inline enum at {at} is reachable from a response; make it a named component so it can be open"
            ));
        }
        if let Some(props) = v.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                self.walk_inline(p, &format!("{at}/properties/{k}"), visited, found)?;
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(x) = v.get(key).filter(|x| x.is_object()) {
                self.walk_inline(x, &format!("{at}/{key}"), visited, found)?;
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(list) = v.get(key).and_then(Value::as_array) {
                for (i, x) in list.iter().enumerate() {
                    self.walk_inline(x, &format!("{at}/{key}/{i}"), visited, found)?;
                }
            }
        }
        Ok(())
    }
}

fn open_enum_tokens(doc: &Doc, names: &BTreeSet<String>) -> Result<TokenStream, String> {
    let mut out = TokenStream::new();
    for name in names {
        let schema = doc.schema(name).expect("walked before");
        let values: Vec<String> = schema["enum"]
            .as_array()
            .expect("checked")
            .iter()
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
    Ok(out)
}

/// `impl Envelope` for every envelope schema, and `impl Operation` for every builder.
fn glue_tokens(doc: &Doc, ops: &[Op], module: &str) -> Result<TokenStream, String> {
    let family = format_ident!("{}", if module == "v3" { "V3" } else { "Merchant" });
    let mut out = TokenStream::new();
    let mut done = BTreeSet::new();
    for op in ops {
        let at = |m: String| format!("operation {} ({} {}): {m}", op.id, op.method, op.path);
        let success = format_ident!("{}", sanitize(&op.success));
        if done.insert(op.success.clone()) {
            let schema = doc.schema(&op.success).expect("checked");
            if let Some(data) = schema.pointer("/properties/data") {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !required.contains(&"data") {
                    return Err(at(format!(
                        "envelope {} must list `data` as required",
                        op.success
                    )));
                }
                let data_ty = data_type(data).ok_or_else(|| {
                    at(format!(
                        "envelope {}: `data` must be a $ref, an array of a $ref, or a free-form object",
                        op.success
                    ))
                })?;
                let message = if schema.pointer("/properties/message").is_none() {
                    quote!(None)
                } else if required.contains(&"message") {
                    quote!(Some(self.message.as_str()))
                } else {
                    quote!(self.message.as_deref())
                };
                out.extend(quote! {
                    impl crate::Envelope for types::#success {
                        type Data = #data_ty;
                        fn data(&self) -> &Self::Data { &self.data }
                        fn into_data(self) -> Self::Data { self.data }
                        fn message(&self) -> Option<&str> { #message }
                    }
                });
            }
        }
        let builder = format_ident!("{}", sanitize(&op.id));
        let id = &op.id;
        let err = match &op.error {
            Some(e) => {
                let e = format_ident!("{}", sanitize(e));
                quote!(types::#e)
            }
            None => quote!(()),
        };
        out.extend(quote! {
            impl<'a> crate::Operation for builder::#builder<'a> {
                const ID: &'static str = #id;
                const FAMILY: crate::meta::Family = crate::meta::Family::#family;
                type Success = types::#success;
                type ErrorBody = #err;
                fn send_raw(self) -> impl ::std::future::Future<
                    Output = ::std::result::Result<
                        progenitor_client::ResponseValue<Self::Success>,
                        progenitor_client::Error<Self::ErrorBody>,
                    >,
                > + Send {
                    builder::#builder::send(self)
                }
            }
        });
    }
    Ok(out)
}

/// `impl Paginated` for the builder of every list operation the spec annotates.
fn pagination_tokens(doc: &Doc, ops: &[Op]) -> Result<TokenStream, String> {
    let mut out = TokenStream::new();
    for op in ops {
        let Some(p) = &op.pagination else { continue };
        let at = |m: String| {
            format!(
                "operation {} ({} {}): x-kotani-pagination: {m}",
                op.id, op.method, op.path
            )
        };
        let style = p.get("style").and_then(Value::as_str).unwrap_or_default();
        let (first, second) = match style {
            "page_per_page" => ("page", "per_page"),
            "page_limit" => ("page", "limit"),
            "limit_offset" => ("limit", "offset"),
            "page_size" => ("page", "size"),
            other => return Err(at(format!("unknown style {other:?}"))),
        };
        let setter = |name: &str, value: TokenStream| -> Result<TokenStream, String> {
            let (_, ty) = op
                .query
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| at(format!("style {style} needs a `{name}` query parameter")))?;
            let m = format_ident!("{}", name.to_snake_case());
            Ok(match ty.as_str() {
                "integer" => quote!(.#m(i64::try_from(#value).unwrap_or(i64::MAX))),
                "number" => quote!(.#m(#value as f64)),
                _ => quote!(.#m((#value).to_string())),
            })
        };
        let set = if style == "limit_offset" {
            let a = setter("limit", quote!(size))?;
            let b = setter("offset", quote!((page - 1).saturating_mul(size)))?;
            quote!(self #a #b)
        } else {
            let a = setter(first, quote!(page))?;
            let b = setter(second, quote!(size))?;
            quote!(self #a #b)
        };
        let schema = doc.schema(&op.success).expect("checked");
        let item = schema
            .pointer("/properties/data")
            .filter(|d| d.get("type").and_then(Value::as_str) == Some("array"))
            .and_then(|d| d.get("items"))
            .and_then(Doc::ref_name)
            .ok_or_else(|| {
                at(format!(
                    "envelope {} must have `data` as an array of a $ref",
                    op.success
                ))
            })?;
        let item = format_ident!("{}", sanitize(item));
        let builder = format_ident!("{}", sanitize(&op.id));
        let total = match p.get("total_pages").and_then(Value::as_str) {
            Some(ptr) => quote! {
                ::serde_json::to_value(body).ok().and_then(|v| v.pointer(#ptr).and_then(::serde_json::Value::as_u64))
            },
            None => quote!({
                let _ = body;
                None
            }),
        };
        out.extend(quote! {
            impl<'a> crate::pagination::Paginated for builder::#builder<'a> {
                type Item = types::#item;
                fn at_page(self, page: u64, size: u64) -> Self {
                    #set
                }
                fn total_pages(body: &Self::Success) -> Option<u64> {
                    #total
                }
            }
        });
    }
    Ok(out)
}

fn data_type(data: &Value) -> Option<TokenStream> {
    if let Some(name) = Doc::ref_name(data) {
        let i = format_ident!("{}", sanitize(name));
        return Some(quote!(types::#i));
    }
    match data.get("type").and_then(Value::as_str) {
        Some("array") => {
            let name = Doc::ref_name(data.get("items")?)?;
            let i = format_ident!("{}", sanitize(name));
            Some(quote!(::std::vec::Vec<types::#i>))
        }
        Some("object") if data.get("properties").is_none() => {
            Some(quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>))
        }
        _ => None,
    }
}

/// `decode(operation_id, status, body)`: decodes a body into the generated type the operation
/// documents for that status (for the contract check and tests).
fn decode_tokens(ops: &[Op]) -> TokenStream {
    let arms = ops.iter().map(|op| {
        let id = &op.id;
        let success = format_ident!("{}", sanitize(&op.success));
        let error = match &op.error {
            Some(e) => {
                let e = format_ident!("{}", sanitize(e));
                quote!(Some(crate::meta::try_decode::<types::#e>(body)))
            }
            None => quote!(None),
        };
        quote! {
            #id => if (200..300).contains(&status) {
                Some(crate::meta::try_decode::<types::#success>(body))
            } else {
                #error
            },
        }
    });
    quote! {
        /// Decodes `body` into the generated type `operation_id` documents for `status`: `None`
        /// when the operation is unknown or documents no body for that status.
        pub fn decode(
            operation_id: &str,
            status: u16,
            body: &[u8],
        ) -> Option<::std::result::Result<(), crate::meta::DecodeFailure>> {
            match operation_id {
                #(#arms)*
                _ => None,
            }
        }
    }
}

fn table_tokens(ops: &[Op], module: &str) -> TokenStream {
    let family = format_ident!("{}", if module == "v3" { "V3" } else { "Merchant" });
    // Literal paths before templated ones, so that `/offramp/transactions` is not taken for
    // `/offramp/{referenceId}` by anything that matches in order.
    let mut sorted: Vec<&Op> = ops.iter().collect();
    sorted.sort_by_key(|o| (o.path.matches('{').count(), std::cmp::Reverse(o.path.len())));
    let rows = sorted.iter().map(|op| {
        let id = &op.id;
        let method = &op.method;
        let path = &op.path;
        let success_status = mock_status(&op.success_statuses);
        let success_statuses = &op.success_statuses;
        let credential = if !op.secured {
            quote!(crate::meta::Credential::None)
        } else if op.refresh_credential {
            quote!(crate::meta::Credential::RefreshToken)
        } else {
            quote!(crate::meta::Credential::Standard)
        };
        let moves_money = op.moves_money;
        let idem_field = match &op.idempotency_field {
            Some(f) => quote!(Some(#f)),
            None => quote!(None),
        };
        let idempotent = op.idempotent || matches!(op.method.as_str(), "GET" | "HEAD");
        let status_operation = match &op.status_operation {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let example = match &op.example {
            Some(v) => {
                let s = serde_json::to_string(v).expect("json");
                quote!(Some(#s))
            }
            None => quote!(None),
        };
        let pagination = match &op.pagination {
            Some(p) => {
                let style = match p.get("style").and_then(Value::as_str) {
                    Some("page_per_page") => quote!(PagePerPage),
                    Some("page_limit") => quote!(PageLimit),
                    Some("limit_offset") => quote!(LimitOffset),
                    Some("page_size") => quote!(PageSize),
                    _ => quote!(PageLimit),
                };
                let items = p.get("items").and_then(Value::as_str).unwrap_or("/data");
                let total = match p.get("total_pages").and_then(Value::as_str) {
                    Some(t) => quote!(Some(#t)),
                    None => quote!(None),
                };
                quote!(Some(crate::meta::Pagination {
                    style: crate::meta::PageStyle::#style,
                    items: #items,
                    total_pages: #total,
                }))
            }
            None => quote!(None),
        };
        quote! {
            crate::meta::OperationMeta {
                family: crate::meta::Family::#family,
                id: #id,
                method: #method,
                path: #path,
                success_status: #success_status,
                success_statuses: &[#(#success_statuses),*],
                credential: #credential,
                moves_money: #moves_money,
                idempotency_field: #idem_field,
                idempotent: #idempotent,
                status_operation: #status_operation,
                pagination: #pagination,
                example: #example,
            }
        }
    });
    // (operationId, index into OPERATIONS), sorted by id for binary search.
    let mut by_id: Vec<(&str, usize)> = sorted
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();
    by_id.sort();
    let (ids, idx): (Vec<&str>, Vec<usize>) = by_id.into_iter().unzip();
    quote! {
        /// Every operation of this family, as the spec describes it (literal paths first).
        pub static OPERATIONS: &[crate::meta::OperationMeta] = &[ #(#rows),* ];
        /// `(operationId, index into OPERATIONS)`, sorted by operationId.
        pub(crate) static OPERATIONS_BY_ID: &[(&str, usize)] = &[ #((#ids, #idx)),* ];
    }
}
