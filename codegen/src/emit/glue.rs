//! The SDK's glue over progenitor's builders: envelopes and operations as the hand-written layer
//! sees them, the operation table the sandbox and the retry policy read, `decode` for the contract
//! check, and pagination.

use std::collections::BTreeSet;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{EmitError, Op, sanitize};
use crate::family::Family;
use crate::model::{Credential, PageStyle};
use crate::pointer::{ref_name, schema};

/// `impl Envelope` for every envelope schema, and `impl Operation` for every builder.
pub fn glue_tokens(doc: &Value, ops: &[Op<'_>], family: &Family) -> Result<TokenStream, EmitError> {
    let variant = format_ident!("{}", family.variant);
    let mut out = TokenStream::new();
    let mut done = BTreeSet::new();
    let order = table_order(ops);
    for op in ops {
        let row = order.iter().position(|o| o.id == op.id).unwrap_or_default();
        let at = |m: String| {
            (
                op.op.pointer.clone(),
                format!(
                    "operation {} ({} {}): {m}",
                    op.id,
                    op.op.http_method(),
                    op.op.path
                ),
            )
        };
        let success = format_ident!("{}", sanitize(op.success));
        if done.insert(op.success) {
            let schema =
                schema(doc, op.success).ok_or_else(|| at(format!("missing schema {}", op.success)))?;
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
        let builder = format_ident!("{}", sanitize(op.id));
        let id = op.id;
        let err = match &op.op.error {
            Some(e) => {
                let e = format_ident!("{}", sanitize(e));
                quote!(types::#e)
            }
            None => quote!(()),
        };
        out.extend(quote! {
            impl<'a> crate::Operation for builder::#builder<'a> {
                const ID: &'static str = #id;
                const FAMILY: crate::meta::Family = crate::meta::Family::#variant;
                const META: &'static crate::meta::OperationMeta = &OPERATIONS[#row];
                type Success = types::#success;
                type ErrorBody = #err;
                fn send_in(
                    self,
                    record: &mut crate::hooks::Record,
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<
                        progenitor_client::ResponseValue<Self::Success>,
                        progenitor_client::Error<Self::ErrorBody>,
                    >,
                > + Send {
                    builder::#builder::send_in(self, record)
                }
            }
        });
    }
    Ok(out)
}

/// `impl Paginated` for the builder of every list operation the spec annotates.
pub fn pagination_tokens(doc: &Value, ops: &[Op<'_>]) -> Result<TokenStream, EmitError> {
    let mut out = TokenStream::new();
    for op in ops {
        let Some(p) = &op.op.pagination else { continue };
        let at = |m: String| {
            (
                op.op.pointer.clone(),
                format!(
                    "operation {} ({} {}): x-kotani-pagination: {m}",
                    op.id,
                    op.op.http_method(),
                    op.op.path
                ),
            )
        };
        let style = p.style.as_str();
        let setter = |name: &str, value: TokenStream| -> Result<TokenStream, EmitError> {
            let param = op
                .op
                .query()
                .find(|q| q.name == name)
                .ok_or_else(|| at(format!("style {style} needs a `{name}` query parameter")))?;
            let m = format_ident!("{}", name.to_snake_case());
            Ok(match param.schema_type.as_str() {
                "integer" => quote!(.#m(i64::try_from(#value).unwrap_or(i64::MAX))),
                "number" => quote!(.#m(#value as f64)),
                _ => quote!(.#m((#value).to_string())),
            })
        };
        let set = if p.style == PageStyle::LimitOffset {
            let a = setter("limit", quote!(size))?;
            let b = setter("offset", quote!((page - 1).saturating_mul(size)))?;
            quote!(self #a #b)
        } else {
            let (first, second) = p.style.params();
            let a = setter(first, quote!(page))?;
            let b = setter(second, quote!(size))?;
            quote!(self #a #b)
        };
        let item = schema(doc, op.success)
            .and_then(|s| s.pointer("/properties/data"))
            .filter(|d| d.get("type").and_then(Value::as_str) == Some("array"))
            .and_then(|d| d.get("items"))
            .and_then(ref_name)
            .ok_or_else(|| {
                at(format!(
                    "envelope {} must have `data` as an array of a $ref",
                    op.success
                ))
            })?;
        let item = format_ident!("{}", sanitize(item));
        let builder = format_ident!("{}", sanitize(op.id));
        let total = match &p.total_pages {
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

/// The Rust type of an envelope's `data`: a named schema, a list of one, or a free-form map.
pub fn data_type(data: &Value) -> Option<TokenStream> {
    if let Some(name) = ref_name(data) {
        let i = format_ident!("{}", sanitize(name));
        return Some(quote!(types::#i));
    }
    match data.get("type").and_then(Value::as_str) {
        Some("array") => {
            let name = ref_name(data.get("items")?)?;
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
pub fn decode_tokens(ops: &[Op<'_>]) -> TokenStream {
    let arms = ops.iter().map(|op| {
        let id = op.id;
        let success = format_ident!("{}", sanitize(op.success));
        let error = match &op.op.error {
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

/// The status the built-in sandbox answers an operation with: 201 or 202 when the spec documents
/// one (what the real servers send for creations), else the lowest documented 2xx.
pub fn mock_status(documented: &[u16]) -> u16 {
    [201, 202]
        .into_iter()
        .find(|s| documented.contains(s))
        .or_else(|| documented.iter().copied().min())
        .unwrap_or(200)
}

/// The order of `OPERATIONS`: literal paths before templated ones, so that
/// `/offramp/transactions` is not taken for `/offramp/{referenceId}` by anything that matches in
/// order.
fn table_order<'o, 'a>(ops: &'o [Op<'a>]) -> Vec<&'o Op<'a>> {
    let mut sorted: Vec<&Op<'_>> = ops.iter().collect();
    sorted.sort_by_key(|o| (o.op.path.matches('{').count(), std::cmp::Reverse(o.op.path.len())));
    sorted
}

/// `OPERATIONS` (every operation's `crate::meta::OperationMeta`, literal paths first) and
/// `OPERATIONS_BY_ID`.
pub fn table_tokens(ops: &[Op<'_>], family: &Family) -> TokenStream {
    let variant = format_ident!("{}", family.variant);
    let sorted = table_order(ops);
    let rows = sorted.iter().map(|op| {
        let m = op.op;
        let id = op.id;
        let method = m.http_method();
        let path = &m.path;
        let success_status = mock_status(&m.success_statuses);
        let success_statuses = &m.success_statuses;
        let credential = match m.credential {
            Credential::None => quote!(crate::meta::Credential::None),
            Credential::RefreshToken => quote!(crate::meta::Credential::RefreshToken),
            Credential::Standard => quote!(crate::meta::Credential::Standard),
        };
        let moves_money = m.moves_money;
        let idem_field = match &m.idempotency_field {
            Some(f) => quote!(Some(#f)),
            None => quote!(None),
        };
        let idempotent = m.retry_safe();
        let status_operation = match &m.status_operation {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let example = match &m.example {
            Some(v) => {
                let s = serde_json::to_string(v).expect("a JSON value serializes");
                quote!(Some(#s))
            }
            None => quote!(None),
        };
        let pagination = match &m.pagination {
            Some(p) => {
                let style = format_ident!("{}", p.style.variant());
                let items = &p.items;
                let total = match &p.total_pages {
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
                family: crate::meta::Family::#variant,
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
    // (operationId, index into OPERATIONS), sorted by the id's length and then the id, for a
    // binary search whose comparisons mostly stop at the length.
    let mut by_id: Vec<(&str, usize)> = sorted.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    by_id.sort_by_key(|&(id, _)| (id.len(), id));
    let (ids, idx): (Vec<&str>, Vec<usize>) = by_id.into_iter().unzip();
    let (header, prefix, signed) = (family.credential_header, family.credential_prefix, family.signed);
    quote! {
        /// Every request goes through the SDK's one pipeline (`crate::hooks`): JS-exact body
        /// and session refresh before it is sent, then credentials, signing, retries, tracing.
        /// The generated `send_in` calls the pipeline itself, handing it the call's record
        /// (`kotanipay-codegen` `emit::send`); these are progenitor's entry points to the same
        /// pipeline, for code that goes through the trait.
        impl progenitor_client::ClientHooks<crate::hooks::Inner> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                let mut record = crate::hooks::Record::default();
                crate::hooks::pre(&self.client, &self.baseurl, &self.inner, request, info, &mut record)
                    .await
                    .map_err(progenitor_client::Error::Custom)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let mut record = crate::hooks::Record::default();
                crate::hooks::exec(&self.client, &self.baseurl, &self.inner, request, info, &mut record).await
            }
        }
        /// Every operation of this family, as the spec describes it (literal paths first).
        pub static OPERATIONS: &[crate::meta::OperationMeta] = &[ #(#rows),* ];
        /// `(operationId, index into OPERATIONS)`, sorted by the operationId's length, then by it.
        pub(crate) static OPERATIONS_BY_ID: &[(&str, usize)] = &[ #((#ids, #idx)),* ];
        /// What the runtime needs of this family (the family list of `kotanipay-codegen`). The
        /// family's module defines `SESSION_REFRESH` (its session refresh, if it has sessions).
        pub(crate) static INFO: crate::meta::FamilyInfo = crate::meta::FamilyInfo {
            family: crate::meta::Family::#variant,
            operations: OPERATIONS,
            by_id: OPERATIONS_BY_ID,
            decode,
            decode_request,
            credential_header: #header,
            credential_prefix: #prefix,
            signs_requests: #signed,
            refresh: SESSION_REFRESH,
        };
    }
}
