//! The test dispatcher: one function per family that calls any operation by its operationId with
//! parameters and a body given as JSON, so that the per-operation tests can be data (one fixture
//! per operation) driven by one runner.
//!
//! It is emitted into its own file in `OUT_DIR`, which only the test binary includes: the
//! library does not carry it. The parameter types are read off progenitor's builders (each
//! setter is `fn name<V>(self, value: V) where V: TryInto<T>`), so the dispatcher calls exactly
//! the public interface a user calls.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{EmitError, Op};
use crate::family::Family;

/// Setter name → the type its value converts into, per builder struct.
type Setters = BTreeMap<String, BTreeMap<String, syn::Type>>;

/// The setters of every operation builder in progenitor's `builder` module.
pub fn builder_setters(file: &syn::File) -> Setters {
    let mut out = Setters::new();
    let Some(items) = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return out;
    };
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(self_ty) = imp.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let setters = out.entry(name).or_default();
        for item in &imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            if let Some(ty) = setter_target(&f.sig) {
                setters.insert(f.sig.ident.to_string(), ty);
            }
        }
    }
    out
}

/// `T` of a setter `fn x<V>(mut self, value: V) -> Self where V: std::convert::TryInto<T>`.
fn setter_target(sig: &syn::Signature) -> Option<syn::Type> {
    let clause = sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(pt) = p else {
            return None;
        };
        let syn::Type::Path(bounded) = &pt.bounded_ty else {
            return None;
        };
        if !bounded.path.is_ident("V") {
            return None;
        }
        pt.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else {
                return None;
            };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
        })
    })
}

/// Rewrites a type as the generated module names it (`types::X`, `crate::v3::open::X`) into the
/// path a user's crate names it by (`kotanipay::v3::types::X`); a struct builder
/// (`types::builder::X`) becomes the struct itself, which converts into it.
fn public_type(ty: &syn::Type, module: &syn::Ident) -> TokenStream {
    let text = quote!(#ty).to_string().replace(' ', "");
    let text = text.replace("types::builder::", "types::");
    let text = if let Some(rest) = text.strip_prefix("types::") {
        format!("kotanipay::{module}::types::{rest}")
    } else if let Some(rest) = text.strip_prefix("crate::") {
        format!("kotanipay::{rest}")
    } else {
        text
    };
    text.parse().expect("a type that was parsed re-parses")
}

/// `decode_request(operation_id, body)`: decodes a request body into the type the operation's
/// builder takes (the spec's request schema), for the sandbox's request validation. `None` when
/// the operation is unknown or takes no body.
pub fn request_decode_tokens(file: &syn::File, ops: &[Op<'_>]) -> TokenStream {
    let setters = builder_setters(file);
    let arms = ops.iter().filter_map(|op| {
        let ty = setters.get(&super::sanitize(op.id))?.get("body")?;
        let text = quote!(#ty)
            .to_string()
            .replace(' ', "")
            .replace("types::builder::", "types::");
        let ty: TokenStream = text.parse().ok()?;
        let id = op.id;
        Some(quote! { #id => Some(crate::meta::try_decode::<#ty>(body)), })
    });
    quote! {
        /// Decodes a request body of `operation_id` into the type its builder takes: `None`
        /// when the operation is unknown or takes no body.
        pub fn decode_request(
            operation_id: &str,
            body: &[u8],
        ) -> Option<::std::result::Result<(), crate::meta::DecodeFailure>> {
            match operation_id {
                #(#arms)*
                _ => None,
            }
        }
    }
}

/// The dispatcher of `family`: `dispatch(client, operation_id, params, body)`.
///
/// `params` holds path, query and header parameters by their spec names; `body` is the request
/// body as JSON, decoded into the operation's body type. The outer `Err` is a fixture mistake
/// (unknown operation or parameter, a value that does not decode); the inner result is the call's.
pub fn dispatch_tokens(file: &syn::File, ops: &[Op<'_>], family: &Family) -> Result<TokenStream, EmitError> {
    let module = format_ident!("{}", family.module);
    let setters = builder_setters(file);
    let mut arms = TokenStream::new();
    for op in ops {
        let id = op.id;
        let method = format_ident!("{}", id);
        let builder = super::sanitize(id);
        let at = |m: String| (op.op.pointer.clone(), format!("operation {id}: dispatcher: {m}"));
        let own = setters
            .get(&builder)
            .ok_or_else(|| at(format!("no builder `{builder}` in progenitor's output")))?;
        let mut param_arms = TokenStream::new();
        for p in &op.op.parameters {
            let setter = p.name.to_snake_case();
            let ty = own
                .get(&setter)
                .ok_or_else(|| at(format!("parameter `{}` has no setter `{setter}`", p.name)))?;
            let ty = public_type(ty, &module);
            let name = &p.name;
            let setter = format_ident!("{}", setter);
            param_arms.extend(quote! {
                #name => b.#setter(arg::<#ty>(name, value)?),
            });
        }
        let body = match own.get("body") {
            Some(ty) => {
                let ty = public_type(ty, &module);
                quote! {
                    if let Some(value) = body {
                        b = b.body(arg::<#ty>("body", value)?);
                    }
                }
            }
            None => quote! {
                if body.is_some() {
                    return Err(format!("{}: takes no body", #id));
                }
            },
        };
        arms.extend(quote! {
            #id => {
                let mut b = client.#method();
                for (name, value) in params {
                    b = match name.as_str() {
                        #param_arms
                        other => return Err(format!("{}: no parameter `{other}`", #id)),
                    };
                }
                #body
                Ok(outcome(b.call().await))
            }
        });
    }
    Ok(quote! {
        /// Calls `operation` on `client` with `params` (by spec name) and `body`, both JSON.
        #[allow(clippy::all, unused_mut, unused_variables)]
        pub async fn dispatch(
            client: &kotanipay::#module::Client,
            operation: &str,
            params: &::serde_json::Map<String, ::serde_json::Value>,
            body: Option<&::serde_json::Value>,
        ) -> Result<Result<Outcome, kotanipay::Error>, String> {
            use kotanipay::prelude::*;
            match operation {
                #arms
                other => Err(format!("no operation `{other}` in {}", stringify!(#module))),
            }
        }
    })
}

/// What every family's dispatcher shares: the decoded value of a call and the JSON decoding of
/// arguments. Emitted once, before the families' `dispatch` modules.
pub fn dispatch_support() -> TokenStream {
    quote! {
        /// A successful call: the typed value serialized back to JSON, and its `Debug` text
        /// (which names enum variants and shows decimals as decoded).
        #[derive(Debug, Clone)]
        pub struct Outcome {
            /// The typed value as JSON.
            pub json: ::serde_json::Value,
            /// `format!("{:?}", value)`.
            pub debug: String,
        }

        fn outcome<T: ::serde::Serialize + ::std::fmt::Debug>(
            r: Result<T, kotanipay::Error>,
        ) -> Result<Outcome, kotanipay::Error> {
            r.map(|v| Outcome {
                json: ::serde_json::to_value(&v).unwrap_or_else(|e| ::serde_json::Value::String(format!("not serializable: {e}"))),
                debug: format!("{v:?}"),
            })
        }

        fn arg<T: ::serde::de::DeserializeOwned>(name: &str, value: &::serde_json::Value) -> Result<T, String> {
            ::serde_json::from_value(value.clone())
                .map_err(|e| format!("`{name}` = {value} does not decode as {}: {e}", ::std::any::type_name::<T>()))
        }
    }
}
