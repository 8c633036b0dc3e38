//! Exact money: every `Decimal` field of the generated types gets the SDK's JSON form.

use quote::quote;

/// Gives every `Decimal`, `Option<Decimal>` and `Vec<Decimal>` field of the structs in `items`
/// its JSON form (`crate::money`): exact from the shortest text of the number a JavaScript
/// server wrote, and written back as JavaScript reads it. A decimal anywhere else (a map value,
/// a list of lists) is refused.
pub fn money_serde(items: &mut [syn::Item]) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(items: &[syn::Item]) -> String {
        items
            .iter()
            .map(|i| quote!(#i).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn decimal_fields_get_their_serde() {
        let mut file: syn::File = syn::parse_quote! {
            pub struct Payment {
                pub amount: ::rust_decimal::Decimal,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub fee: ::std::option::Option<::rust_decimal::Decimal>,
                pub rates: ::std::vec::Vec<::rust_decimal::Decimal>,
                pub note: ::std::string::String,
            }
        };
        money_serde(&mut file.items).unwrap();
        let text = fields(&file.items).replace(' ', "");
        assert!(
            text.contains(r#"#[serde(with="crate::money::decimal")]pubamount"#),
            "{text}"
        );
        // Already `default`: not added twice.
        assert!(
            text.contains(r#"#[serde(with="crate::money::decimal_opt")]pubfee"#)
                && text.matches("default").count() == 2,
            "{text}"
        );
        assert!(
            text.contains(r#"#[serde(with="crate::money::decimal_vec")]#[serde(default)]pubrates"#),
            "{text}"
        );
        assert!(text.contains("pubnote:::std::string::String"), "{text}");
    }

    #[test]
    fn decimals_elsewhere_are_refused() {
        let mut file: syn::File = syn::parse_quote! {
            pub struct Rates {
                pub by_currency: ::std::collections::HashMap<::std::string::String, ::rust_decimal::Decimal>,
            }
        };
        let e = money_serde(&mut file.items).unwrap_err();
        assert!(e.starts_with("Rates.by_currency: a decimal inside"), "{e}");

        let mut file: syn::File = syn::parse_quote! {
            pub struct Fee {
                #[serde(deserialize_with = "x")]
                pub amount: ::rust_decimal::Decimal,
            }
        };
        assert_eq!(
            money_serde(&mut file.items).unwrap_err(),
            "Fee.amount: already has a serde `with`"
        );
    }
}
