//! The one spec model of the kotanipay SDK.
//!
//! The SDK is generated from two hand-written OpenAPI 3.0 specs (`spec/`). Everything that reads
//! them reads them through this crate:
//!
//! - `build.rs` (the client: [`generate_file`]);
//! - `cargo xtask spec lint` (every finding of the [`rules`], plus example validation);
//! - `cargo xtask contract` and the bench (the [`Spec`] loader and the operation [`model`]).
//!
//! The stages, each usable alone:
//!
//! 1. [`load`]: YAML text → one JSON document ([`Spec::doc`]) with its [`Spec::operations`];
//!    OpenAPI 3.0 validation is [`Spec::openapi`].
//! 2. [`pointer`]: JSON pointers and the one `$ref` resolver ([`pointer::follow`], with a limit
//!    that ends loops).
//! 3. [`model`]: the operation model ([`Operation`]).
//! 4. [`family`]: the API families ([`FAMILIES`]): spec file, module, credential header and
//!    prefix, signing, error schema.
//! 5. [`rules`]: the conventions of `spec/README.md`; each returns [`Finding`]s with a JSON
//!    pointer and a [`Severity`].
//! 6. [`emit`] (feature `emit`, on by default): progenitor and the SDK's glue.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod family;
pub mod load;
pub mod model;
pub mod pointer;
pub mod rules;
pub mod walk;

#[cfg(feature = "emit")]
pub mod emit;

pub use family::{FAMILIES, Family};
pub use load::{LoadError, LoadErrorKind, Spec, yaml_to_json};
pub use model::{Credential, Operation, PageStyle, Pagination, Parameter};
pub use rules::{Finding, RULES, Rule, Severity, check};

/// Checks `spec` as a spec of `family` and, when no rule finds an error, generates its client.
/// `Err` holds every finding of severity [`Severity::Error`] (or the emitters' refusal).
#[cfg(feature = "emit")]
pub fn generate(spec: &Spec, family: &Family) -> Result<String, Vec<Finding>> {
    let errors: Vec<Finding> = check(spec, family)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    emit::generate(spec, family).map_err(|f| vec![f])
}

/// What `build.rs` does for one family: loads `path` (named by the family's spec path),
/// checks it and generates the client. `Err` holds one line per error, naming the file, the
/// operation (or component) and the pointer: `ERROR spec/kotani-v3.yaml get_x /paths/...: ...`.
#[cfg(feature = "emit")]
pub fn generate_file(family: &Family, path: &std::path::Path) -> Result<String, Vec<String>> {
    let spec = Spec::load(path, family.spec).map_err(|e| vec![format!("ERROR {e}")])?;
    generate(&spec, family).map_err(|findings| findings.iter().map(|f| f.line(&spec.file)).collect())
}
