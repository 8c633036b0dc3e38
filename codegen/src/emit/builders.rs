//! Keeps typify's struct builders (`types::X::builder()`, `types::builder::X`) only for the
//! types a user builds: request bodies and what they contain.
//!
//! typify writes a builder for every struct. Response types are only ever decoded, and their
//! builders were half of the generated code (920 KB of the v3 client's 1.85 MB), compiled on
//! every build of the crate. Request types keep theirs: they are how a body is written
//! (`types::CreateDepositRequest::builder().amount(..)`), and the operation builders store the
//! body as its builder (`body_map`).

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;

/// The names of the struct types whose builders stay: those the operation builders name as
/// `types::builder::X` (request bodies), the `request_side` schemas of the spec, and every
/// struct their fields contain, transitively.
pub fn kept(file: &syn::File, request_side: &BTreeSet<String>) -> BTreeSet<String> {
    let types = module(file, "types");
    let Some(types) = types else {
        return BTreeSet::new();
    };
    let structs: BTreeMap<String, &syn::ItemStruct> = types
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some((s.ident.to_string(), s)),
            _ => None,
        })
        .collect();
    let mut keep: BTreeSet<String> = request_side
        .iter()
        .map(|n| super::sanitize(n))
        .filter(|n| structs.contains_key(n))
        .collect();
    if let Some(builders) = module(file, "builder") {
        for item in builders {
            let text = item.to_token_stream().to_string().replace(' ', "");
            for part in text.split("types::builder::").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if structs.contains_key(&name) {
                    keep.insert(name);
                }
            }
        }
    }
    let mut todo: Vec<String> = keep.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        let Some(s) = structs.get(&name) else { continue };
        let text = s.fields.to_token_stream().to_string();
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if structs.contains_key(word) && keep.insert(word.to_string()) {
                todo.push(word.to_string());
            }
        }
    }
    keep
}

fn module<'a>(file: &'a syn::File, name: &str) -> Option<&'a Vec<syn::Item>> {
    file.items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    })
}

/// The last path segment of an impl's self type (`super::X` → `X`).
fn self_name(imp: &syn::ItemImpl) -> Option<String> {
    match imp.self_ty.as_ref() {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Removes the builders of every struct not in `keep` from the `types` module's items: the
/// `builder()` constructor and the conversions in `types`, the builder and its impls in
/// `types::builder`. Returns how many builders went.
pub fn prune(types: &mut Vec<syn::Item>, keep: &BTreeSet<String>) -> usize {
    let gone = |name: Option<String>| name.is_some_and(|n| !keep.contains(&n));
    let mut removed = 0;
    types.retain(|item| match item {
        // `impl X { pub fn builder() -> builder::X }`
        syn::Item::Impl(imp) if imp.trait_.is_none() && gone(self_name(imp)) => !imp
            .items
            .iter()
            .any(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "builder")),
        _ => true,
    });
    for item in types.iter_mut() {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        let Some((_, items)) = m.content.as_mut() else {
            continue;
        };
        items.retain(|item| {
            let name = match item {
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                syn::Item::Impl(imp) => self_name(imp),
                _ => None,
            };
            let drop = gone(name);
            if drop && matches!(item, syn::Item::Struct(_)) {
                removed += 1;
            }
            !drop
        });
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_request_types_and_what_they_contain_keep_their_builders() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Req { pub inner: Inner, pub list: Vec<Item> }
                pub struct Inner { pub n: i64 }
                pub struct Item { pub s: String }
                pub struct Resp { pub inner: Inner }
                impl Req { pub fn builder() -> builder::Req { Default::default() } }
                impl Resp { pub fn builder() -> builder::Resp { Default::default() } }
                impl Resp { pub fn other(&self) {} }
                pub mod builder {
                    pub struct Req { inner: Result<super::Inner, String> }
                    impl Default for Req { fn default() -> Self { todo!() } }
                    pub struct Resp { inner: Result<super::Inner, String> }
                    impl Default for Resp { fn default() -> Self { todo!() } }
                    impl TryFrom<Resp> for super::Resp { type Error = String; fn try_from(v: Resp) -> Result<Self, String> { todo!() } }
                    impl From<super::Resp> for Resp { fn from(v: super::Resp) -> Self { todo!() } }
                    pub struct Inner {}
                    pub struct Item {}
                }
            }
            pub mod builder {
                pub struct SendReq<'a> { body: Result<types::builder::Req, String>, c: &'a () }
            }
        };
        let keep = kept(&file, &BTreeSet::new());
        assert_eq!(
            keep,
            ["Inner", "Item", "Req"].into_iter().map(String::from).collect()
        );
        let syn::Item::Mod(types) = &mut file.items[0] else {
            panic!()
        };
        let items = &mut types.content.as_mut().unwrap().1;
        assert_eq!(prune(items, &keep), 1);
        let text = quote::quote!(#(#items)*).to_string().replace(' ', "");
        assert!(!text.contains("implResp{pubfnbuilder"), "{text}");
        assert!(text.contains("implResp{pubfnother"), "{text}");
        assert!(!text.contains("pubstructResp{inner"), "{text}");
        assert!(!text.contains("TryFrom<Resp>"), "{text}");
        assert!(text.contains("implReq{pubfnbuilder"), "{text}");
        assert!(text.contains("pubstructReq{inner"), "{text}");
        // The response struct itself stays.
        assert!(text.contains("pubstructResp{pubinner:Inner}"), "{text}");
    }
}
