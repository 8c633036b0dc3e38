//! The API families: one spec file each, with what the SDK needs to know about it that the spec
//! does not say in a form the generator reads.

use std::path::Path;

/// One API family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Family {
    /// Short name, as reports show it (`v3`, `merchant`).
    pub name: &'static str,
    /// What it is.
    pub title: &'static str,
    /// The spec file, relative to the workspace root.
    pub spec: &'static str,
    /// The Rust module of the generated client (`kotanipay::v3`).
    pub module: &'static str,
    /// The generated file in `OUT_DIR`.
    pub out: &'static str,
    /// The variant of `kotanipay::meta::Family`.
    pub variant: &'static str,
    /// The header that carries the credential (lower case, as on the wire).
    pub credential_header: &'static str,
    /// What comes before the credential in that header (`Bearer `), or `""`.
    pub credential_prefix: &'static str,
    /// Whether requests are signed in secure mode (`x-timestamp`, `x-nonce`, `x-signature`).
    pub signed: bool,
    /// The one error schema of every operation (`components/schemas/<name>`).
    pub error_schema: &'static str,
}

/// Kotani Pay API v3, the integrator API.
pub const V3: Family = Family {
    name: "v3",
    title: "Kotani Pay API v3",
    spec: "spec/kotani-v3.yaml",
    module: "v3",
    out: "kotani_v3.rs",
    variant: "V3",
    credential_header: "authorization",
    credential_prefix: "Bearer ",
    signed: true,
    error_schema: "ErrorBody",
};

/// The KutanaPay Merchant API v1.
pub const MERCHANT: Family = Family {
    name: "merchant",
    title: "KutanaPay Merchant API v1",
    spec: "spec/kutanapay-merchant-v1.yaml",
    module: "merchant",
    out: "merchant_v1.rs",
    variant: "Merchant",
    credential_header: "x-api-key",
    credential_prefix: "",
    signed: false,
    error_schema: "MerchantError",
};

/// Every family, in the order the SDK generates them.
pub const FAMILIES: &[Family] = &[V3, MERCHANT];

impl Family {
    /// The family of a spec file: the one whose spec has that file name, else by name: a file
    /// whose name contains `merchant` is a merchant spec, any other a v3 spec.
    pub fn for_path(path: &Path) -> &'static Family {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if let Some(family) = FAMILIES.iter().find(|f| {
            Path::new(f.spec)
                .file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        }) {
            return family;
        }
        if name.contains("merchant") {
            &FAMILIES[1]
        } else {
            &FAMILIES[0]
        }
    }

    /// The file of its open enums in `OUT_DIR` (`kotani_v3_open.rs`).
    pub fn open_out(&self) -> String {
        format!("{}_open.rs", self.out.trim_end_matches(".rs"))
    }

    /// The family named `name` (`v3`, `merchant`).
    pub fn named(name: &str) -> Option<&'static Family> {
        FAMILIES.iter().find(|f| f.name == name)
    }

    /// The credential header's value for a credential: `Bearer <key>` or `<key>`.
    pub fn credential_value(&self, credential: &str) -> String {
        format!("{}{credential}", self.credential_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_paths() {
        assert_eq!(
            Family::for_path(Path::new("spec/kutanapay-merchant-v1.yaml")),
            &MERCHANT
        );
        assert_eq!(Family::for_path(Path::new("/x/spec/kotani-v3.yaml")), &V3);
        assert_eq!(Family::for_path(Path::new("my-merchant-copy.yaml")), &MERCHANT);
        assert_eq!(Family::for_path(Path::new("other.yaml")), &V3);
        assert_eq!(Family::named("merchant"), Some(&MERCHANT));
        assert_eq!(Family::named("v4"), None);
    }

    #[test]
    fn credentials() {
        assert_eq!(V3.credential_value("k"), "Bearer k");
        assert_eq!(MERCHANT.credential_value("mk"), "mk");
        assert_eq!((V3.signed, MERCHANT.signed), (true, false));
        assert_eq!(
            (V3.error_schema, MERCHANT.error_schema),
            ("ErrorBody", "MerchantError")
        );
    }
}
