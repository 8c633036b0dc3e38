//! The emitters: a family's client as Rust source. Progenitor generates the client and its
//! types; then come the SDK's own parts, each from the operation model:
//!
//! - [`enums`]: open response enums (`Unknown(String)`) and the closed request twins
//!   (`<Name>Input`);
//! - [`money`]: the JSON form of every `Decimal` field (`crate::money::*`);
//! - [`glue`]: `impl Envelope` / `impl Operation` for every envelope and builder, the
//!   `OPERATIONS` table, `decode`, and `impl Paginated` for list operations.
//!
//! They run only on a spec without error findings ([`crate::generate`] checks); what they can
//! still refuse is returned as a finding of the rule `generate`.

pub mod builders;
pub mod dispatch;
pub mod enums;
pub mod glue;
pub mod money;
pub mod send;

use heck::ToPascalCase;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use serde_json::Value;

use crate::family::Family;
use crate::load::Spec;
use crate::model::{METHODS, Operation};
use crate::rules::{Finding, Severity};

/// The name of the findings the emitters return.
pub const RULE: &str = "generate";

/// An operation the emitters can use: it has an operationId and a success schema.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    /// The operation.
    pub op: &'a Operation,
    /// Its operationId.
    pub id: &'a str,
    /// Its success schema.
    pub success: &'a str,
}

/// Something the emitters cannot generate: (pointer into the spec, message).
pub type EmitError = (String, String);

/// The operations of `spec` for the emitters.
pub fn checked_ops(spec: &Spec) -> Result<Vec<Op<'_>>, EmitError> {
    spec.operations
        .iter()
        .map(|op| {
            let id = op
                .id
                .as_deref()
                .ok_or_else(|| (op.pointer.clone(), "no operationId".to_owned()))?;
            let success = op
                .success
                .as_deref()
                .ok_or_else(|| (op.pointer.clone(), "no success schema".to_owned()))?;
            Ok(Op { op, id, success })
        })
        .collect()
}

/// The settings progenitor generates a family's client with.
pub fn settings(family: &Family, open_enums: &std::collections::BTreeSet<String>) -> GenerationSettings {
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
    // their serde is set field by field (see `money` and `src/money.rs`).
    settings.with_conversion(
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::Number.into()),
            format: Some("decimal".into()),
            ..Default::default()
        },
        "::rust_decimal::Decimal",
        std::iter::empty(),
    );
    for name in open_enums {
        let rust = sanitize(name);
        settings.with_replacement(
            &rust,
            format!("crate::{module}::open::{rust}"),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

/// What the emitters make of one family's spec: three Rust files for `OUT_DIR`.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client (progenitor's output and the glue), included as `kotanipay::<module>`.
    pub client: String,
    /// The open response enums, which the webhook events share with the client; they build
    /// without it (`kotanipay::enums::<module>`, re-exported as `<module>::open`).
    pub open: String,
    /// The test dispatcher of this family (a `pub mod <module>` for [`dispatch_file`]).
    pub dispatch: String,
}

/// The file the test binary includes: what every dispatcher shares, then each family's module
/// (the `dispatch` parts of [`Generated`]).
pub fn dispatch_file<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out =
        prettyplease::unparse(&syn::parse2(dispatch::dispatch_support()).expect("the support parses"));
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Generates the client of `family` from `spec` (which must have no error findings).
pub fn generate(spec: &Spec, family: &Family) -> Result<Generated, Finding> {
    generate_inner(spec, family).map_err(|(pointer, message)| Finding {
        rule: RULE,
        severity: Severity::Error,
        subject: spec.subject(&pointer),
        pointer,
        message,
    })
}

/// Only the open enums of `family` (for a build with its webhooks but not its client): no
/// progenitor run.
pub fn generate_open(spec: &Spec) -> Result<String, Finding> {
    let inner = || -> Result<String, EmitError> {
        let ops = checked_ops(spec)?;
        let names = enums::open_enums(&spec.doc, &ops)?;
        let file: syn::File = syn::parse2(enums::open_enum_tokens(&spec.doc, &names))
            .map_err(|e| (String::new(), format!("generated open enums do not parse: {e}")))?;
        Ok(prettyplease::unparse(&file))
    };
    inner().map_err(|(pointer, message)| Finding {
        rule: RULE,
        severity: Severity::Error,
        subject: spec.subject(&pointer),
        pointer,
        message,
    })
}

fn generate_inner(spec: &Spec, family: &Family) -> Result<Generated, EmitError> {
    let whole = |m: String| (String::new(), m);
    let mut raw = spec.doc.clone();
    let inputs = enums::split_request_enums(&mut raw).map_err(whole)?;
    // Progenitor sees every operation's success as one `2XX` response: a server may answer
    // 200, 201 or 202 for the same operation (NestJS answers POSTs with 201), and each is
    // decoded with the success schema. The documented statuses stay in the tables.
    collapse_success_statuses(&mut raw);
    let request_side = crate::model::EnumSides::of(&raw).request_side;
    let openapi: openapiv3::OpenAPI =
        serde_json::from_value(raw).map_err(|e| whole(format!("not a valid OpenAPI 3.0 document: {e}")))?;
    let ops = checked_ops(spec)?;
    let open_enums = enums::open_enums(&spec.doc, &ops)?;

    let settings = settings(family, &open_enums);
    let mut generator = Generator::new(&settings);
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&openapi)
    }))
    .map_err(|p| whole(format!("progenitor panicked: {}", panic_message(&p))))?
    .map_err(|e| whole(format!("progenitor: {e}")))?;

    let open = enums::open_enum_tokens(&spec.doc, &open_enums);
    let conversions = enums::input_conversions(&inputs);
    let glue = glue::glue_tokens(&spec.doc, &ops, family)?;
    let table = glue::table_tokens(&ops, family);
    let decode = glue::decode_tokens(&ops);
    let pagination = glue::pagination_tokens(&spec.doc, &ops)?;

    let mut file: syn::File =
        syn::parse2(quote!(#tokens)).map_err(|e| whole(format!("generated code does not parse: {e}")))?;
    send::rewrite(&mut file, ops.len()).map_err(whole)?;
    let dispatch = dispatch::dispatch_tokens(&file, &ops, family)?;
    let decode_request = dispatch::request_decode_tokens(&file, &ops);
    let keep = builders::kept(&file, &request_side);
    // Re-export the open enums from `types`, where users look for every schema type.
    for item in file.items.iter_mut() {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, content)) = m.content.as_mut()
        {
            content.push(syn::parse_quote!(
                pub use super::open::*;
            ));
            money::money_serde(content).map_err(whole)?;
            builders::prune(content, &keep);
        }
    }
    let module = quote::format_ident!("{}", family.module);
    let extra: syn::File = syn::parse2(quote! {
        /// Response enums that accept values the spec does not know (`Unknown`).
        pub use crate::enums::#module as open;
        #conversions
        #glue
        #table
        #decode
        #decode_request
        #pagination
    })
    .map_err(|e| whole(format!("generated glue does not parse: {e}")))?;
    file.items.extend(extra.items);
    let unparse = |tokens: proc_macro2::TokenStream, what: &str| -> Result<String, EmitError> {
        let file: syn::File =
            syn::parse2(tokens).map_err(|e| whole(format!("generated {what} does not parse: {e}")))?;
        Ok(prettyplease::unparse(&file))
    };
    Ok(Generated {
        client: prettyplease::unparse(&file),
        open: unparse(open, "open enums")?,
        dispatch: unparse(
            quote! {
                /// Calls any operation of this family by its operationId.
                pub mod #module {
                    use super::{Outcome, arg, outcome};
                    #dispatch
                }
            },
            "dispatcher",
        )?,
    })
}

/// Replaces the documented 2xx responses of every operation by one `2XX` response with the
/// content of the first (the `success_schema` rule has made sure they share one schema).
pub fn collapse_success_statuses(raw: &mut Value) {
    let Some(paths) = raw.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(responses) = item
                .get_mut(method)
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

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// typify's naming: PascalCase after replacing characters that cannot be in an identifier.
pub fn sanitize(name: &str) -> String {
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

#[cfg(test)]
mod tests;
