//! Generates the enabled API clients from `spec/*.yaml` (Cargo features `v3`, `merchant`; with
//! `webhook`, the enums its events share with them). All of it lives in `kotanipay-codegen`
//! (`codegen/`): the loader, the conventions of `spec/README.md` as rules, progenitor and the
//! SDK's glue. A spec with an error finding fails the build, one line per finding naming the
//! file, the operation and the JSON pointer (`cargo xtask spec lint` prints warnings too).

fn main() {
    kotanipay_codegen::build_script();
}
