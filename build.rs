//! Generates the two API clients from `spec/*.yaml`. All of it lives in `kotanipay-codegen`
//! (`codegen/`): the loader, the conventions of `spec/README.md` as rules, progenitor and the
//! SDK's glue. A spec with an error finding fails the build, one line per finding naming the
//! file, the operation and the JSON pointer (`cargo xtask spec lint` prints warnings too).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut errors = Vec::new();
    for family in kotanipay_codegen::FAMILIES {
        let path = root.join(family.spec);
        println!("cargo:rerun-if-changed={}", path.display());
        match kotanipay_codegen::generate_file(family, &path) {
            Ok(code) => std::fs::write(out_dir.join(family.out), code)
                .unwrap_or_else(|e| errors.push(format!("ERROR {}: cannot write output: {e}", family.out))),
            Err(lines) => errors.extend(lines),
        }
    }
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
