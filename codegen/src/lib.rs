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

#[cfg(feature = "emit")]
pub use emit::Generated;

/// Checks `spec` as a spec of `family` and, when no rule finds an error, generates its client.
/// `Err` holds every finding of severity [`Severity::Error`] (or the emitters' refusal).
#[cfg(feature = "emit")]
pub fn generate(spec: &Spec, family: &Family) -> Result<Generated, Vec<Finding>> {
    errors_of(spec, family)?;
    emit::generate(spec, family).map_err(|f| vec![f])
}

#[cfg(feature = "emit")]
fn errors_of(spec: &Spec, family: &Family) -> Result<(), Vec<Finding>> {
    let errors: Vec<Finding> = check(spec, family)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// What `build.rs` does for one family: loads `path` (named by the family's spec path),
/// checks it and generates the client (or, when `client` is false, only its open enums, which
/// the webhook events use). `Err` holds one line per error, naming the file, the operation (or
/// component) and the pointer: `ERROR spec/kotani-v3.yaml get_x /paths/...: ...`.
#[cfg(feature = "emit")]
pub fn generate_file(
    family: &Family,
    path: &std::path::Path,
    client: bool,
) -> Result<Generated, Vec<String>> {
    let spec = Spec::load(path, family.spec).map_err(|e| vec![format!("ERROR {e}")])?;
    let lines = |findings: Vec<Finding>| findings.iter().map(|f| f.line(&spec.file)).collect::<Vec<_>>();
    if client {
        generate(&spec, family).map_err(lines)
    } else {
        errors_of(&spec, family).map_err(lines)?;
        let open = emit::generate_open(&spec).map_err(|f| lines(vec![f]))?;
        Ok(Generated {
            client: String::new(),
            open,
            dispatch: String::new(),
        })
    }
}

/// The whole of the crate's `build.rs`. For each family whose Cargo feature is on
/// (`CARGO_FEATURE_V3`, `CARGO_FEATURE_MERCHANT`) it writes the client, its open enums and its
/// test dispatcher to `OUT_DIR`; with the `webhook` feature alone, only the open enums the
/// events use. A spec with an error finding fails the build with one line per finding.
#[cfg(feature = "emit")]
pub fn build_script() {
    use std::path::PathBuf;
    let var = |name: &str| std::env::var_os(name);
    let root = PathBuf::from(var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let webhook = var("CARGO_FEATURE_WEBHOOK").is_some();
    println!("cargo:rerun-if-changed=build.rs");
    let mut errors = Vec::new();
    let mut dispatchers = Vec::new();
    let write = |name: &str, code: &str, errors: &mut Vec<String>| {
        if let Err(e) = std::fs::write(out_dir.join(name), code) {
            errors.push(format!("ERROR {name}: cannot write output: {e}"));
        }
    };
    // What this build script is: a new codegen makes every cached output stale.
    let this = std::env::current_exe()
        .and_then(|p| p.metadata())
        .map(|m| format!("{:?} {}", m.modified().ok(), m.len()))
        .unwrap_or_default();
    for family in FAMILIES {
        let client = var(&format!("CARGO_FEATURE_{}", family.name.to_uppercase())).is_some();
        if !client && !webhook {
            continue;
        }
        let path = root.join(family.spec);
        println!("cargo:rerun-if-changed={}", path.display());
        // A family whose spec did not change since the last run keeps its output: a spec edit
        // regenerates only its own family.
        let text = std::fs::read(&path).unwrap_or_default();
        let stamp = fingerprint(&[&text, this.as_bytes(), &[u8::from(client)]]);
        let stamp_file = out_dir.join(format!("{}.stamp", family.name));
        let part_file = out_dir.join(format!("{}_dispatch_part.rs", family.name));
        let fresh = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
            && out_dir.join(family.open_out()).exists()
            && (!client || out_dir.join(family.out).exists());
        if fresh {
            if client && let Ok(part) = std::fs::read_to_string(&part_file) {
                dispatchers.push(part);
                continue;
            }
            if !client {
                continue;
            }
        }
        match generate_file(family, &path, client) {
            Ok(g) => {
                write(&family.open_out(), &g.open, &mut errors);
                if client {
                    write(family.out, &g.client, &mut errors);
                    write(
                        &format!("{}_dispatch_part.rs", family.name),
                        &g.dispatch,
                        &mut errors,
                    );
                    dispatchers.push(g.dispatch);
                }
                write(&format!("{}.stamp", family.name), &stamp, &mut errors);
            }
            Err(lines) => {
                let _ = std::fs::remove_file(&stamp_file);
                errors.extend(lines);
            }
        }
    }
    let dispatch = emit::dispatch_file(dispatchers.iter().map(String::as_str));
    write("dispatch.rs", &dispatch, &mut errors);
    if !errors.is_empty() {
        for line in &errors {
            println!("cargo:warning={line}");
        }
        eprintln!("\nkotanipay build failed: the specs do not generate a client.\n");
        for line in &errors {
            eprintln!("  {line}");
        }
        std::process::exit(1);
    }
}

/// A fingerprint of the inputs of one family's output (not cryptographic: a cache key).
#[cfg(feature = "emit")]
fn fingerprint(parts: &[&[u8]]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    format!("{:016x}", h.finish())
}
