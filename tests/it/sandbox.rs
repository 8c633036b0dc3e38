//! The sandbox's core: routing, credentials, request validation, overrides, the clock, webhook
//! delivery and retries, HAR recording. The family lifecycles are in `sandbox_v3_account`,
//! `sandbox_v3_money` and `sandbox_merchant`.

use kotanipay::sandbox::Sandbox;

/// Ends a sandbox test: every response the sandbox wrote decoded into the SDK's types, and its
/// traffic goes to `target/tmp/sandbox-har/<name>.har`, which CI checks with
/// `cargo xtask contract`.
pub fn finish(sandbox: &Sandbox, name: &str) {
    assert_eq!(sandbox.violations(), Vec::<String>::new(), "{name}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox-har");
    std::fs::create_dir_all(&dir).unwrap();
    sandbox.write_har(dir.join(format!("{name}.har"))).unwrap();
}
