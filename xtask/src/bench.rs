//! `cargo xtask bench`: builds the measuring binary (`bench/`, package `kotanipay-bench`) in
//! release mode, runs it, prints a table and writes `target/bench/report.json`.
//! `cargo xtask bench build`: the build cost of the library, measured on a copy of the
//! repository (the real specs are never touched): rebuilds of the crate, clean builds of three
//! small consumer crates (with and without the SDK), `cargo test --workspace` on a fresh clone.
//!
//! The report's shape is documented in `xtask/README.md` (section Bench).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

mod big;

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: Option<BenchCommand>,

    /// Fewer iterations and runs: a smoke run, not figures to quote.
    #[arg(long, global = true)]
    quick: bool,

    /// Only these sections (comma-separated): http, signing, webhooks, contract.
    #[arg(long, value_delimiter = ',', value_name = "SECTION")]
    only: Vec<String>,

    /// Also build xtask in release mode and time the contract check with it (`cargo xtask
    /// contract` runs the debug build, which is timed in any case). Adds a release build of
    /// xtask (minutes on 2 cores the first time).
    #[arg(long)]
    contract_release: bool,

    /// Do not pin the sequential cases (client thread and server) to one CPU.
    #[arg(long)]
    no_pin: bool,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Build cost: clean build of the library, and rebuild after a spec edit, on a copy of the
    /// repository with its own target directory; clean builds of three small consumer crates;
    /// `cargo test --workspace` on a fresh clone.
    Build {
        /// Which cargo profiles to measure in the rebuild part (default: dev and release; dev
        /// only with --quick).
        #[arg(long, value_enum)]
        profile: Vec<Profile>,

        /// Only these parts (repeatable or comma-separated; default: all). The report keeps
        /// what earlier runs measured of the other parts.
        #[arg(long, value_enum, value_delimiter = ',', value_name = "PART")]
        only: Vec<BuildPart>,
    },
}

/// The parts of `bench build`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BuildPart {
    /// `cargo build -p kotanipay`: clean, no-op, crate only, after a spec edit.
    Rebuild,
    /// Clean dev builds of three consumer crates (SDK default features, SDK merchant only,
    /// reqwest+serde+tokio without the SDK).
    Consumers,
    /// `cargo test --workspace` on a fresh clone of the committed HEAD.
    Test,
}

impl BuildPart {
    const ALL: [BuildPart; 3] = [BuildPart::Rebuild, BuildPart::Consumers, BuildPart::Test];
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Profile {
    Dev,
    Release,
}

impl Profile {
    fn name(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::Release => "release",
        }
    }
}

/// Target thresholds of issue #9.
const MAX_CPU_RATIO: f64 = 1.05;
/// Issue #15: the concurrent list case's (a)/(b) from its slowest to its fastest run.
const MAX_CPU_RATIO_SPREAD: f64 = 0.1;
const MAX_WEBHOOK_64K_US: f64 = 1_000.0;
/// Issue #15: merchant verification of 64 KB ≤ 3 × HMAC-SHA256 over the same bytes.
const MAX_MERCHANT_OVER_HMAC: f64 = 3.0;
/// Issue #15: v3 verification of 64 KB ≤ 5 × HMAC-SHA256 over the same bytes.
const MAX_V3_OVER_HMAC: f64 = 5.0;
const MAX_CONTRACT_MS: f64 = 1_000.0;
const MAX_SPEC_REBUILD_S: f64 = 5.0;

pub fn run(args: BenchArgs, root: &Path) -> ExitCode {
    let result = match args.command {
        None => runtime(root, &args),
        Some(BenchCommand::Build { profile, only }) => build_cost(root, args.quick, &profile, &only),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

fn bench_dir(root: &Path) -> PathBuf {
    target_dir(root).join("bench")
}

fn release_build(root: &Path, package: &str, binary: &str) -> anyhow::Result<PathBuf> {
    eprintln!("bench: building {package} (release)");
    let status = Command::new(cargo())
        .args(["build", "--release", "--quiet", "-p", package])
        .current_dir(root)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building {package} failed");
    }
    Ok(target_dir(root)
        .join("release")
        .join(format!("{binary}{}", std::env::consts::EXE_SUFFIX)))
}

fn runtime(root: &Path, args: &BenchArgs) -> anyhow::Result<()> {
    let (quick, only) = (args.quick, &args.only);
    let exe = release_build(root, "kotanipay-bench", "kotanipay-bench")?;
    let wants_contract = only.is_empty() || only.iter().any(|s| s == "contract");
    let xtask_release = match args.contract_release && wants_contract {
        true => Some(release_build(root, "xtask", "xtask")?),
        false => None,
    };
    let dir = bench_dir(root);
    std::fs::create_dir_all(&dir)?;
    let raw = dir.join("runtime.json");
    // The contract check is timed on this very binary: what `cargo xtask contract` runs.
    let xtask = std::env::current_exe().context("cannot find the xtask binary")?;
    let machine_before = machine(root);
    let mut cmd = Command::new(&exe);
    cmd.arg("run")
        .arg("--xtask")
        .arg(&xtask)
        .arg("--root")
        .arg(root)
        .arg("--work")
        .arg(&dir)
        .arg("--out")
        .arg(&raw)
        .current_dir(root);
    if let Some(x) = &xtask_release {
        cmd.arg("--xtask-release").arg(x);
    }
    if quick {
        cmd.arg("--quick");
    }
    if args.no_pin {
        cmd.arg("--no-pin");
    }
    if !only.is_empty() {
        cmd.arg("--only").arg(only.join(","));
    }
    let started = Instant::now();
    let stat_before = proc_stat();
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let system_cpu = system_cpu(stat_before, proc_stat());
    if !status.success() {
        bail!("kotanipay-bench failed ({status})");
    }
    let mut section: Value = serde_json::from_slice(&std::fs::read(&raw)?).context("runtime.json")?;
    if wants_contract {
        eprintln!("bench: contract check of big captures (1,000 / 10,000 / 30,000 exchanges)");
        let runs = if quick { 1 } else { 3 };
        section["contract_big"] = big::measure(root, &dir.join("contract-1000.har"), &xtask, runs);
    }
    section["generated_at"] = json!(now_utc());
    section["elapsed_s"] = json!(round3(started.elapsed().as_secs_f64()));
    section["machine"] = machine_before;
    section["load_after"] = json!(loadavg());
    section["system_cpu"] = system_cpu;
    let report = update_report(root, "runtime", section)?;
    print!("{}", table(&report));
    eprintln!("bench: wrote {}", dir.join("report.json").display());
    Ok(())
}

/// Reads the existing report (if any), replaces one section, recomputes the targets, writes it.
fn update_report(root: &Path, key: &str, section: Value) -> anyhow::Result<Value> {
    rewrite_report(root, |report| report[key] = section)
}

/// Reads the existing report (if any), sets the keys of `section` in its section `key` (the
/// section's other keys stay), recomputes the targets, writes it.
fn merge_report(root: &Path, key: &str, section: Value) -> anyhow::Result<Value> {
    rewrite_report(root, |report| merge_section(report, key, section))
}

fn rewrite_report(root: &Path, change: impl FnOnce(&mut Value)) -> anyhow::Result<Value> {
    let path = bench_dir(root).join("report.json");
    let mut report = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(|v| v.get("version") == Some(&json!(1)))
        .unwrap_or_else(|| json!({"version": 1}));
    change(&mut report);
    report["targets"] = Value::Array(targets(&report));
    std::fs::create_dir_all(bench_dir(root))?;
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(report)
}

/// `report[key]` gets the keys of `section`, one by one: what `section` does not name stays
/// (e.g. `build.consumers` when only the rebuild part was measured again).
fn merge_section(report: &mut Value, key: &str, section: Value) {
    match (report.get_mut(key), section) {
        (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
        (_, section) => report[key] = section,
    }
}

fn f(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}

fn target(name: String, value: Option<f64>, limit: f64, unit: &str) -> Value {
    match value {
        Some(v) => json!({"name": name, "value": v, "limit": limit, "unit": unit, "met": v <= limit}),
        None => json!({"name": name, "value": null, "limit": limit, "unit": unit, "met": null}),
    }
}

/// A row without a goal: a figure to watch, not to pass or miss.
fn info(name: String, value: Option<f64>, unit: &str) -> Value {
    json!({"name": name, "value": value, "limit": null, "unit": unit, "met": null, "informational": true})
}

/// The targets of issue #9 against the medians in the report (`met: null`: not measured).
fn targets(report: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let cases = report.pointer("/runtime/http/cases").and_then(Value::as_array);
    for case in cases.into_iter().flatten() {
        let name = format!(
            "(a)/(b) CPU per request, {} body, {}",
            case["body"].as_str().unwrap_or("?"),
            case["mode"].as_str().unwrap_or("?")
        );
        out.push(target(
            name.clone(),
            f(case, "/cpu_ratio_sdk_over_serde/median"),
            MAX_CPU_RATIO,
            "ratio",
        ));
        // Issue #15: the ratio must be steady from run to run, or the median says little.
        let spread = f(case, "/cpu_ratio_sdk_over_serde/max")
            .zip(f(case, "/cpu_ratio_sdk_over_serde/min"))
            .map(|(max, min)| max - min);
        if case["body"] == "list100" && case["mode"] == "concurrent" {
            out.push(target(
                format!("{name}: spread (max - min over the runs)"),
                spread,
                MAX_CPU_RATIO_SPREAD,
                "ratio",
            ));
        } else {
            out.push(info(
                format!("{name}: spread (max - min over the runs)"),
                spread,
                "ratio",
            ));
        }
    }
    let hooks = report.pointer("/runtime/webhooks").and_then(Value::as_array);
    for w in hooks.into_iter().flatten() {
        if w["payload_bytes"].as_u64().is_some_and(|b| b >= 60 * 1024) {
            let what = w["what"].as_str().unwrap_or("?");
            // Issue #15: verification against HMAC-SHA256 over the same bytes, same runs.
            let over_hmac = match what {
                "merchant Verifier::verify" => Some(MAX_MERCHANT_OVER_HMAC),
                "v3 Verifier::verify" => Some(MAX_V3_OVER_HMAC),
                _ => None,
            };
            match over_hmac {
                Some(limit) if w.get("ratio_over_hmac").is_some() => out.push(target(
                    format!("{what} of a 64 KB delivery / HMAC-SHA256 of the same bytes"),
                    f(w, "/ratio_over_hmac/median"),
                    limit,
                    "ratio",
                )),
                _ if w.get("ratio_over_hmac").is_some() => out.push(info(
                    format!("{what} of a 64 KB delivery / HMAC-SHA256 of the same bytes"),
                    f(w, "/ratio_over_hmac/median"),
                    "ratio",
                )),
                _ => out.push(target(
                    format!("{what} of a 64 KB delivery"),
                    f(w, "/us_per_call/median"),
                    MAX_WEBHOOK_64K_US,
                    "µs",
                )),
            }
        }
    }
    for (key, build) in [
        ("contract", "debug build, as `cargo xtask contract` runs"),
        ("contract_release", "release build"),
    ] {
        if report["runtime"].get(key).is_some() {
            out.push(target(
                format!("contract check of a 1,000-exchange HAR, wall ({build})"),
                f(report, &format!("/runtime/{key}/wall_ms/median")),
                MAX_CONTRACT_MS,
                "ms",
            ));
        }
    }
    out.extend(big::targets(report));
    let builds = report.pointer("/build/profiles").and_then(Value::as_array);
    for p in builds.into_iter().flatten() {
        if p["profile"] == "dev" {
            out.push(target(
                "rebuild after a spec edit (dev profile)".into(),
                f(p, "/spec_edit_rebuild_s/median"),
                MAX_SPEC_REBUILD_S,
                "s",
            ));
        }
    }
    let consumers = report
        .pointer("/build/consumers/crates")
        .and_then(Value::as_array);
    for c in consumers.into_iter().flatten() {
        out.push(info(
            format!(
                "clean build of a consumer crate, {} (dev)",
                c["dependencies"].as_str().unwrap_or("?")
            ),
            f(c, "/clean_build_s"),
            "s",
        ));
    }
    if let Some(r) = report.pointer("/build/consumers/ratios") {
        for (key, name) in [
            ("default_over_raw_build", "default features"),
            ("merchant_over_raw_build", "merchant only"),
        ] {
            if r.get(key).is_some() {
                out.push(info(
                    format!("consumer clean build, SDK {name} / reqwest+serde+tokio (dev)"),
                    f(r, &format!("/{key}")),
                    "ratio",
                ));
            }
        }
    }
    if let Some(t) = report.pointer("/build/fresh_test") {
        out.push(info(
            "cargo test --workspace on a fresh clone, wall (compiling all dependencies included)".into(),
            f(t, "/wall_s"),
            "s",
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The table.

fn stat(v: &Value, digits: usize) -> String {
    match (v.get("median"), v.get("min"), v.get("max")) {
        (Some(m), Some(lo), Some(hi)) => {
            let n = |x: &Value| x.as_f64().map_or("?".into(), |x| format!("{x:.digits$}"));
            format!("{} [{}–{}]", n(m), n(lo), n(hi))
        }
        _ => "-".into(),
    }
}

fn table(report: &Value) -> String {
    let mut t = String::new();
    let rt = &report["runtime"];
    if let Some(m) = rt.get("machine") {
        let _ = writeln!(
            t,
            "\nmachine: {} cores, {}, {}, {}; commit {}{}; load average at start {}",
            m["cores"],
            m["cpu"].as_str().unwrap_or("?"),
            m["os"].as_str().unwrap_or("?"),
            m["rustc"].as_str().unwrap_or("?"),
            m["commit"].as_str().unwrap_or("?"),
            if m["dirty"] == true { " (dirty)" } else { "" },
            m["loadavg"].as_str().unwrap_or("?"),
        );
        if let Some(c) = rt.get("system_cpu").filter(|c| c.is_object()) {
            let _ = writeln!(
                t,
                "during the run: all cores {}% busy (the bench included), {}% stolen by the hypervisor",
                c["busy_percent"], c["steal_percent"]
            );
        }
        if rt["quick"] == true {
            let _ = writeln!(t, "QUICK RUN: fewer iterations and runs; not figures to quote.");
        }
        let _ = writeln!(
            t,
            "every figure: median [min–max] over {} runs",
            rt["plan"]["runs"]
        );
    }
    if let Some(cases) = rt.pointer("/http/cases").and_then(Value::as_array) {
        let _ = writeln!(
            t,
            "\n1. Per-request overhead (loopback GET; CPU = user+sys of the client process per request)"
        );
        let _ = writeln!(
            t,
            "{:<24} {:<18} {:>28} {:>24}",
            "body / mode", "client", "requests/s", "CPU µs/request"
        );
        for c in cases {
            let label = format!(
                "{} ({:.1} KB) {}",
                c["body"].as_str().unwrap_or("?"),
                c["body_bytes"].as_f64().unwrap_or(0.0) / 1024.0,
                if c["mode"] == "sequential" {
                    "seq"
                } else {
                    "64 conc"
                }
            );
            for (i, (key, name)) in [
                ("sdk", "(a) kotanipay"),
                ("reqwest_serde", "(b) reqwest+serde"),
                ("reqwest_value", "(c) reqwest+Value"),
            ]
            .into_iter()
            .enumerate()
            {
                let x = &c[key];
                let _ = writeln!(
                    t,
                    "{:<24} {:<18} {:>28} {:>24}",
                    if i == 0 { label.as_str() } else { "" },
                    name,
                    stat(&x["requests_per_s"], 0),
                    stat(&x["cpu_us_per_request"], 1),
                );
            }
            let _ = writeln!(
                t,
                "{:<24} {:<18} {:>28} {:>24}",
                "",
                "a/b",
                stat(&c["rps_ratio_sdk_over_serde"], 3),
                stat(&c["cpu_ratio_sdk_over_serde"], 3),
            );
        }
    }
    if let Some(s) = rt.get("signing").filter(|s| s.is_object()) {
        let _ = writeln!(t, "\n2a. Signing (secure mode)");
        for x in s["signature"].as_array().into_iter().flatten() {
            let _ = writeln!(
                t,
                "  signature() over {:>6} B: {} µs",
                x["payload_bytes"],
                stat(&x["us_per_call"], 2)
            );
        }
        for x in s["signed_requests"].as_array().into_iter().flatten() {
            let _ = writeln!(
                t,
                "  whole POST {} ({:>6} B), sequential: signed {} µs CPU, unsigned {} µs, signing adds {} µs",
                x["operation"].as_str().unwrap_or("?"),
                x["payload_bytes"],
                stat(&x["signed_cpu_us_per_request"], 1),
                stat(&x["unsigned_cpu_us_per_request"], 1),
                stat(&x["signing_cost_us"], 1),
            );
        }
    }
    if let Some(w) = rt.get("webhooks").and_then(Value::as_array) {
        let _ = writeln!(t, "\n2b. Webhook verification");
        for x in w {
            let _ = write!(
                t,
                "  {:<28} {:>6} B: {} µs",
                x["what"].as_str().unwrap_or("?"),
                x["payload_bytes"],
                stat(&x["us_per_call"], 1)
            );
            if x.get("ratio_over_hmac").is_some() {
                let _ = write!(
                    t,
                    "; HMAC-SHA256 of the same bytes {} µs; ratio {}",
                    stat(&x["hmac_us_per_call"], 1),
                    stat(&x["ratio_over_hmac"], 2)
                );
            }
            let _ = writeln!(t);
        }
    }
    for c in [rt.get("contract"), rt.get("contract_release")]
        .into_iter()
        .flatten()
    {
        if c == &rt["contract"] {
            let _ = writeln!(t, "\n3. Contract check");
        }
        if c["available"] == true {
            let _ = writeln!(
                t,
                "  {} exchanges ({:.1} MB HAR) with {}: wall {} ms, CPU {} ms (exit {}, findings {})",
                c["exchanges"],
                c["har_bytes"].as_f64().unwrap_or(0.0) / 1e6,
                c["binary"].as_str().unwrap_or("?"),
                stat(&c["wall_ms"], 0),
                stat(&c["cpu_ms"], 0),
                c["exit_code"],
                c["summary"]["findings"],
            );
        } else {
            let _ = writeln!(t, "  not available: {}", c["reason"].as_str().unwrap_or("?"));
        }
    }
    if let Some(b) = rt.get("contract_big") {
        big::table(&mut t, b);
    }
    if let Some(b) = report.get("build") {
        build_table(&mut t, b);
    }
    if let Some(ts) = report["targets"].as_array().filter(|a| !a.is_empty()) {
        let _ = writeln!(
            t,
            "\nTargets (issue #9, medians; info: one run, no goal, a figure to watch)"
        );
        for x in ts {
            let verdict = match (x["informational"] == true, x["met"].as_bool()) {
                (true, _) => "info  ",
                (false, Some(true)) => "met   ",
                (false, Some(false)) => "MISSED",
                (false, None) => "n/a   ",
            };
            let value = x["value"].as_f64().map_or("-".into(), |v| format!("{v}"));
            let limit = match x["limit"].as_f64() {
                Some(l) => format!(" (limit {l})"),
                None => String::new(),
            };
            let _ = writeln!(
                t,
                "  [{verdict}] {}: {value} {}{limit}",
                x["name"].as_str().unwrap_or("?"),
                x["unit"].as_str().unwrap_or(""),
            );
        }
    }
    t
}

/// Section 4 of the table: the parts of `bench build` that the report holds.
fn build_table(t: &mut String, b: &Value) {
    let cores = ["/machine", "/consumers/machine", "/fresh_test/machine"]
        .iter()
        .find_map(|m| b.pointer(m))
        .map_or(Value::Null, |m| m["cores"].clone());
    let _ = writeln!(
        t,
        "\n4. Build cost ({cores} cores; every build with its own target dir)"
    );
    if let Some(profiles) = b["profiles"].as_array() {
        let _ = writeln!(t, "  cargo build -p kotanipay, copy of the repository:");
        for p in profiles {
            let _ = writeln!(
                t,
                "    {:<7} clean (with dependencies) {:>8.1} s | clean kotanipay only {} s | after a spec edit {} s | no-op {} s",
                p["profile"].as_str().unwrap_or("?"),
                p["clean_with_deps_s"].as_f64().unwrap_or(f64::NAN),
                stat(&p["clean_crate_s"], 1),
                stat(&p["spec_edit_rebuild_s"], 1),
                stat(&p["noop_rebuild_s"], 2),
            );
            if let Some(units) = p["spec_edit_units"].as_array() {
                let parts: Vec<String> = units.iter().map(unit_text).collect();
                let _ = writeln!(t, "            spec-edit rebuild: {}", parts.join(", "));
            }
        }
    }
    if let Some(c) = b.get("consumers") {
        let crates = c["crates"].as_array().map_or(&[][..], Vec::as_slice);
        let raw = crates.iter().find(|x| x["key"] == "raw");
        let line = |value: &dyn Fn(&Value) -> Option<String>, key: &str| -> String {
            let parts: Vec<String> = crates
                .iter()
                .map(|x| {
                    let mut part = format!(
                        "{} {}",
                        x["label"].as_str().unwrap_or("?"),
                        value(x).unwrap_or_else(|| "?".into())
                    );
                    if let Some(raw) = raw.filter(|raw| *raw != x)
                        && let (Some(a), Some(b)) = (x[key].as_f64(), raw[key].as_f64())
                    {
                        let _ = write!(part, " ({:.2} x raw)", a / b);
                    }
                    part
                })
                .collect();
            parts.join(", ")
        };
        let _ = writeln!(
            t,
            "  consumer clean builds (dev): {}",
            line(
                &|x| x["clean_build_s"].as_f64().map(|s| format!("{s:.1} s")),
                "clean_build_s"
            )
        );
        let _ = writeln!(
            t,
            "  consumer binaries (dev, unstripped): {}",
            line(
                &|x| x["binary_bytes"].as_f64().map(|b| format!("{:.1} MB", b / 1e6)),
                "binary_bytes"
            )
        );
    }
    if let Some(f) = b.get("fresh_test") {
        let _ = writeln!(
            t,
            "  cargo test --workspace, fresh clone: {} s{} (compiling all dependencies included; commit {})",
            f["wall_s"].as_f64().map_or("?".into(), |s| format!("{s:.0}")),
            if f["ok"] == false { ", TESTS FAILED" } else { "" },
            f["commit"].as_str().unwrap_or("?"),
        );
    }
}

/// `kotanipay 5.9 s (frontend 4.4 s, codegen 1.5 s)`.
fn unit_text(u: &Value) -> String {
    let mut text = format!(
        "{} {:.1} s",
        u["unit"].as_str().unwrap_or("?"),
        u["s"].as_f64().unwrap_or(0.0)
    );
    let phases: Vec<String> = u["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get(0)?.as_str()?;
            let span = p.get(1)?;
            Some(format!(
                "{name} {:.1} s",
                span["end"].as_f64()? - span["start"].as_f64()?
            ))
        })
        .collect();
    if !phases.is_empty() {
        let _ = write!(text, " ({})", phases.join(", "));
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Build cost.

fn build_cost(root: &Path, quick: bool, profiles: &[Profile], only: &[BuildPart]) -> anyhow::Result<()> {
    let parts: &[BuildPart] = if only.is_empty() { &BuildPart::ALL } else { only };
    let wants = |p: BuildPart| parts.contains(&p);
    let tmp = std::env::temp_dir().join(format!("kotanipay-bench-build-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let result = (|| -> anyhow::Result<Value> {
        let copy = tmp.join("kotanipay");
        if wants(BuildPart::Rebuild) || wants(BuildPart::Consumers) {
            eprintln!("bench build: copying the repository to {}", copy.display());
            copy_tree(root, &copy)?;
        }
        let mut report = Value::Null;
        // Each part is written to the report as soon as it is measured: a later failure does not
        // lose it.
        if wants(BuildPart::Rebuild) {
            let section = rebuild_section(root, &copy, quick, profiles)?;
            report = merge_report(root, "build", section)?;
        }
        if wants(BuildPart::Consumers) {
            let section = consumers_section(root, &copy)?;
            report = merge_report(root, "build", json!({ "consumers": section }))?;
        }
        if wants(BuildPart::Test) {
            let section = fresh_test_section(root, &tmp.join("fresh"))?;
            report = merge_report(root, "build", json!({ "fresh_test": section }))?;
        }
        Ok(report)
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    let report = result?;
    print!("{}", table(&report));
    eprintln!(
        "bench build: wrote {}",
        bench_dir(root).join("report.json").display()
    );
    Ok(())
}

/// The rebuild part: `cargo build -p kotanipay` in the copy. Its keys sit at the top of `build`.
fn rebuild_section(root: &Path, copy: &Path, quick: bool, profiles: &[Profile]) -> anyhow::Result<Value> {
    let profiles: Vec<Profile> = match (profiles.is_empty(), quick) {
        (false, _) => profiles.to_vec(),
        (true, true) => vec![Profile::Dev],
        (true, false) => vec![Profile::Dev, Profile::Release],
    };
    let runs = if quick { 1 } else { 3 };
    let machine_before = machine(root);
    let spec = copy.join("spec/kotani-v3.yaml");
    let spec_text = std::fs::read(&spec).context("spec/kotani-v3.yaml of the copy")?;
    let stat_before = proc_stat();
    let result = measure_builds(copy, &profiles, runs);
    let system_cpu = system_cpu(stat_before, proc_stat());
    // The consumers build the copy next: with the spec as it is in the repository.
    std::fs::write(&spec, spec_text)?;
    Ok(json!({
        "generated_at": now_utc(),
        "machine": machine_before,
        "load_after": loadavg(),
        "system_cpu": system_cpu,
        "quick": quick,
        "runs": runs,
        "command": "cargo build -p kotanipay [--release], CARGO_TARGET_DIR inside a copy of the repository",
        "spec_edit": "the `summary` of get_integrator in spec/kotani-v3.yaml (of the copy) changed, a different text each run",
        "profiles": result?,
    }))
}

// ---------------------------------------------------------------------------------------------
// Consumer crates: what a user of the SDK pays to build it, against the same call with reqwest,
// serde and tokio alone.

struct Consumer {
    /// The key in the report (`default`, `merchant`, `raw`).
    key: &'static str,
    /// The table's name for it.
    label: &'static str,
    /// What it depends on, in words.
    dependencies: &'static str,
    /// The `[dependencies]` lines; `{sdk}` is replaced by the path of the SDK (the copy).
    deps: &'static str,
    main: &'static str,
}

const TOKIO_DEP: &str = r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#;

const CONSUMERS: [Consumer; 3] = [
    Consumer {
        key: "default",
        label: "default",
        dependencies: "kotanipay (default features: v3, merchant, webhook, rustls) + tokio",
        deps: r#"kotanipay = { path = "{sdk}" }"#,
        main: r#"use kotanipay::prelude::*;

#[tokio::main]
async fn main() {
    let client = kotanipay::merchant::Client::builder()
        .base_url("http://127.0.0.1:9")
        .api_key("k")
        .build()
        .expect("merchant client");
    match client.get_all_wallets().call().await {
        Ok(_) => println!("get_all_wallets: ok"),
        Err(e) => println!("get_all_wallets failed: {e}"),
    }
    let v3 = kotanipay::v3::Client::builder()
        .base_url("http://127.0.0.1:9")
        .api_key("k")
        .build()
        .expect("v3 client");
    println!("v3 client for {}", v3.baseurl());
}
"#,
    },
    Consumer {
        key: "merchant",
        label: "merchant only",
        dependencies: "kotanipay (merchant, rustls) + tokio",
        deps: r#"kotanipay = { path = "{sdk}", default-features = false, features = ["merchant", "rustls"] }"#,
        main: r#"use kotanipay::prelude::*;

#[tokio::main]
async fn main() {
    let client = kotanipay::merchant::Client::builder()
        .base_url("http://127.0.0.1:9")
        .api_key("k")
        .build()
        .expect("merchant client");
    match client.get_all_wallets().call().await {
        Ok(_) => println!("get_all_wallets: ok"),
        Err(e) => println!("get_all_wallets failed: {e}"),
    }
}
"#,
    },
    Consumer {
        key: "raw",
        label: "reqwest+serde+tokio",
        dependencies: "reqwest (json, rustls) + serde + serde_json + tokio, no SDK",
        deps: r#"reqwest = { version = "0.13", default-features = false, features = ["json", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1""#,
        main: r#"use serde::Deserialize;

#[derive(Deserialize)]
struct Wallets {
    data: Vec<serde_json::Value>,
}

async fn get_all_wallets(http: &reqwest::Client) -> Result<Wallets, reqwest::Error> {
    http.get("http://127.0.0.1:9/api/v1/merchants/wallet")
        .header("x-api-key", "k")
        .send()
        .await?
        .error_for_status()?
        .json::<Wallets>()
        .await
}

#[tokio::main]
async fn main() {
    let http = reqwest::Client::new();
    match get_all_wallets(&http).await {
        Ok(w) => println!("get_all_wallets: ok, {} wallets", w.data.len()),
        Err(e) => println!("get_all_wallets failed: {e}"),
    }
}
"#,
    },
];

impl Consumer {
    fn name(&self) -> String {
        format!("consumer-{}", self.key)
    }

    /// Its own `[workspace]`: not a member of the copied workspace it sits in.
    fn manifest(&self, sdk: &str) -> String {
        format!(
            "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             # Its own workspace: not a member of the repository's.\n[workspace]\n\n\
             [dependencies]\n{}\n{TOKIO_DEP}\n",
            self.name(),
            self.deps.replace("{sdk}", sdk),
        )
    }
}

/// Writes the consumer crates under `<copy>/bench-consumers/`, each with the repository's
/// `Cargo.lock` (the versions the repository uses; cargo drops what a crate does not use).
fn write_consumers(copy: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let lock = std::fs::read(copy.join("Cargo.lock")).context("Cargo.lock of the copy")?;
    let mut dirs = Vec::new();
    for c in &CONSUMERS {
        let dir = copy.join("bench-consumers").join(c.name());
        std::fs::create_dir_all(dir.join("src"))?;
        // Two levels up: the copy, as a relative path (no quoting of the temporary path).
        std::fs::write(dir.join("Cargo.toml"), c.manifest("../.."))?;
        std::fs::write(dir.join("src/main.rs"), c.main)?;
        std::fs::write(dir.join("Cargo.lock"), &lock)?;
        dirs.push(dir);
    }
    Ok(dirs)
}

fn consumers_section(root: &Path, copy: &Path) -> anyhow::Result<Value> {
    let machine_before = machine(root);
    let dirs = write_consumers(copy)?;
    let stat_before = proc_stat();
    let mut crates = Vec::new();
    for (c, dir) in CONSUMERS.iter().zip(&dirs) {
        eprintln!("bench build [consumers]: clean build of {} (dev)", c.name());
        let (s, offline) = timed_cargo_offline_first(dir, &["build"])?;
        let binary = dir
            .join("target/debug")
            .join(format!("{}{}", c.name(), std::env::consts::EXE_SUFFIX));
        let bytes = std::fs::metadata(&binary)
            .with_context(|| format!("no binary at {}", binary.display()))?
            .len();
        eprintln!("bench build [consumers]:   {s:.1} s, binary {bytes} B");
        crates.push(json!({
            "key": c.key,
            "name": c.name(),
            "label": c.label,
            "dependencies": c.dependencies,
            "clean_build_s": s,
            "binary_bytes": bytes,
            "offline": offline,
        }));
    }
    let system_cpu = system_cpu(stat_before, proc_stat());
    Ok(json!({
        "generated_at": now_utc(),
        "machine": machine_before,
        "load_after": loadavg(),
        "system_cpu": system_cpu,
        "command": "cargo build (dev profile, one run each) of a new binary crate with its own [workspace], the repository's Cargo.lock and its own CARGO_TARGET_DIR; --offline unless that failed",
        "ratios": consumer_ratios(&crates),
        "crates": crates,
    }))
}

/// Build time and binary size of the SDK consumers over the consumer without the SDK.
fn consumer_ratios(crates: &[Value]) -> Value {
    let by_key = |k: &str| crates.iter().find(|c| c["key"] == k);
    let mut out = serde_json::Map::new();
    let Some(raw) = by_key("raw") else {
        return Value::Object(out);
    };
    for sdk in ["default", "merchant"] {
        let Some(c) = by_key(sdk) else { continue };
        for (field, suffix) in [("clean_build_s", "build"), ("binary_bytes", "bytes")] {
            if let (Some(a), Some(b)) = (c[field].as_f64(), raw[field].as_f64())
                && b > 0.0
            {
                out.insert(format!("{sdk}_over_raw_{suffix}"), json!(round3(a / b)));
            }
        }
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// `cargo test --workspace` on a fresh clone.

fn fresh_test_section(root: &Path, clone: &Path) -> anyhow::Result<Value> {
    let machine_before = machine(root);
    eprintln!(
        "bench build [test]: git clone {} {}",
        root.display(),
        clone.display()
    );
    let status = Command::new("git")
        .arg("clone")
        .arg("--quiet")
        .arg(root)
        .arg(clone)
        .status()
        .context("cannot run git")?;
    if !status.success() {
        bail!("git clone of {} failed", root.display());
    }
    let commit = first_line("git", &["rev-parse", "--short", "HEAD"], clone);
    eprintln!("bench build [test]: cargo test --workspace --quiet (dependencies included)");
    let stat_before = proc_stat();
    let args = ["test", "--workspace", "--quiet"];
    let mut offline = true;
    let mut run = run_cargo(clone, &with_offline(&args))?;
    if let Err(e) = &run
        && e.offline
    {
        eprintln!("bench build [test]: --offline failed, again online");
        let _ = std::fs::remove_dir_all(clone.join("target"));
        offline = false;
        run = run_cargo(clone, &args)?;
    }
    let system_cpu = system_cpu(stat_before, proc_stat());
    let (wall, error) = match run {
        Ok(s) => (s, None),
        Err(e) => (e.s, Some(e.tail)),
    };
    eprintln!(
        "bench build [test]:   {wall:.0} s{}",
        if error.is_some() { ", FAILED" } else { "" }
    );
    Ok(json!({
        "generated_at": now_utc(),
        "machine": machine_before,
        "load_after": loadavg(),
        "system_cpu": system_cpu,
        "command": "git clone <repository> <tmp>; cargo test --workspace --quiet with CARGO_TARGET_DIR=<tmp>/target; --offline unless that failed",
        "includes": "compiling every dependency and the workspace (dev profile) before running the tests",
        "commit": commit,
        "wall_s": wall,
        "ok": error.is_none(),
        "offline": offline,
        "error": error,
    }))
}

/// Copies the repository, leaving out build output and version-control data.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).with_context(|| format!("cannot copy {}", src.display()))?;
        }
    }
    Ok(())
}

/// A cargo command that ran and failed.
struct CargoFailure {
    /// Wall seconds until it failed.
    s: f64,
    /// The last lines of its stderr.
    tail: String,
    /// Whether its stderr speaks of offline mode (a dependency missing from the local cache).
    offline: bool,
}

/// Runs cargo in `dir` with `CARGO_TARGET_DIR=<dir>/target`: wall seconds, or the failure.
fn run_cargo(dir: &Path, args: &[&str]) -> anyhow::Result<Result<f64, CargoFailure>> {
    let t0 = Instant::now();
    let out = Command::new(cargo())
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("cannot run cargo")?;
    let s = round3(t0.elapsed().as_secs_f64());
    if out.status.success() {
        return Ok(Ok(s));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err.lines().rev().take(15).collect();
    Ok(Err(CargoFailure {
        s,
        tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        offline: err.contains("offline"),
    }))
}

fn timed_cargo(dir: &Path, args: &[&str]) -> anyhow::Result<f64> {
    match run_cargo(dir, args)? {
        Ok(s) => Ok(s),
        Err(e) => bail!(
            "`cargo {}` failed in {}:\n{}",
            args.join(" "),
            dir.display(),
            e.tail
        ),
    }
}

fn with_offline<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.push("--offline");
    v
}

/// `cargo <args> --offline`; if that fails for want of something not in the local cache, the
/// target dir is removed and the command runs again online. Wall seconds and whether offline.
fn timed_cargo_offline_first(dir: &Path, args: &[&str]) -> anyhow::Result<(f64, bool)> {
    match run_cargo(dir, &with_offline(args))? {
        Ok(s) => Ok((s, true)),
        Err(e) if e.offline => {
            eprintln!(
                "bench build: `cargo {} --offline` failed, again online",
                args.join(" ")
            );
            let _ = std::fs::remove_dir_all(dir.join("target"));
            Ok((timed_cargo(dir, args)?, false))
        }
        Err(e) => bail!(
            "`cargo {} --offline` failed in {}:\n{}",
            args.join(" "),
            dir.display(),
            e.tail
        ),
    }
}

fn stat_json(mut runs: Vec<f64>) -> Value {
    let shown = runs.clone();
    runs.sort_by(f64::total_cmp);
    let n = runs.len();
    let median = if n % 2 == 1 {
        runs[n / 2]
    } else {
        (runs[n / 2 - 1] + runs[n / 2]) / 2.0
    };
    json!({"median": round3(median), "min": runs[0], "max": runs[n - 1], "runs": shown})
}

fn edit_spec(copy: &Path, k: usize) -> anyhow::Result<()> {
    let path = copy.join("spec/kotani-v3.yaml");
    let text = std::fs::read_to_string(&path)?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == "operationId: get_integrator")
        .context("get_integrator not found in the spec copy")?;
    let summary = (at..lines.len().min(at + 10))
        .find(|&i| lines[i].trim_start().starts_with("summary:"))
        .context("get_integrator has no summary line")?;
    let base = lines[summary]
        .split(" (bench edit")
        .next()
        .unwrap_or_default()
        .to_owned();
    lines[summary] = format!("{base} (bench edit {k})");
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(())
}

fn measure_builds(copy: &Path, profiles: &[Profile], runs: usize) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut edit = 0;
    for &profile in profiles {
        let mut build: Vec<&str> = vec!["build", "-p", "kotanipay"];
        let mut clean: Vec<&str> = vec!["clean", "-p", "kotanipay"];
        if profile == Profile::Release {
            build.push("--release");
            clean.push("--release");
        }
        eprintln!("bench build [{}]: clean build with dependencies", profile.name());
        let full = timed_cargo(copy, &build)?;
        eprintln!("bench build [{}]:   {full:.1} s", profile.name());
        let mut noop = Vec::new();
        for _ in 0..runs {
            noop.push(timed_cargo(copy, &build)?);
        }
        let mut crate_only = Vec::new();
        for _ in 0..runs {
            timed_cargo(copy, &clean)?;
            let s = timed_cargo(copy, &build)?;
            eprintln!(
                "bench build [{}]:   clean kotanipay only {s:.1} s",
                profile.name()
            );
            crate_only.push(s);
        }
        let mut spec_edit = Vec::new();
        for _ in 0..runs {
            edit += 1;
            edit_spec(copy, edit)?;
            let s = timed_cargo(copy, &build)?;
            eprintln!("bench build [{}]:   after a spec edit {s:.1} s", profile.name());
            spec_edit.push(s);
        }
        // One more edit with --timings, not counted: which unit the rebuild spends its time in.
        edit += 1;
        edit_spec(copy, edit)?;
        let mut with_timings = build.clone();
        with_timings.push("--timings");
        timed_cargo(copy, &with_timings)?;
        let units = timing_units(&copy.join("target/cargo-timings/cargo-timing.html"));
        out.push(json!({
            "profile": profile.name(),
            "clean_with_deps_s": full,
            "noop_rebuild_s": stat_json(noop),
            "clean_crate_s": stat_json(crate_only),
            "spec_edit_rebuild_s": stat_json(spec_edit),
            "spec_edit_units": units,
        }));
    }
    Ok(out)
}

/// The units of a `cargo build --timings` report (`UNIT_DATA` in its HTML): name and seconds.
fn timing_units(html: &Path) -> Value {
    let Ok(text) = std::fs::read_to_string(html) else {
        return Value::Null;
    };
    let Some(start) = text.find("const UNIT_DATA = ") else {
        return Value::Null;
    };
    let rest = &text[start + "const UNIT_DATA = ".len()..];
    let Some(end) = rest.find(";\n") else {
        return Value::Null;
    };
    let Ok(Value::Array(units)) = serde_json::from_str::<Value>(&rest[..end]) else {
        return Value::Null;
    };
    Value::Array(
        units
            .iter()
            // Fresh units are listed too, with a zero duration.
            .filter(|u| u["duration"].as_f64().is_some_and(|d| d > 0.0))
            .map(|u| {
                let target = u["target"].as_str().unwrap_or("").trim();
                let name = format!(
                    "{}{}",
                    u["name"].as_str().unwrap_or("?"),
                    if target.is_empty() {
                        String::new()
                    } else {
                        format!(" {target}")
                    }
                );
                // `sections`: rustc's phases, e.g. [["frontend", {"start": 0, "end": 4.4}], ...].
                json!({"unit": name, "s": u["duration"], "sections": u["sections"]})
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// The machine.

fn first_line(cmd: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(cmd).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned()
    })
}

/// The `cpu` line of `/proc/stat`: user, nice, system, idle, iowait, irq, softirq, steal (ticks).
fn proc_stat() -> Option<Vec<u64>> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    Some(
        line.split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|x| x.parse().ok())
            .collect(),
    )
}

/// Over the whole machine during the run: how busy all cores were (the bench included) and how
/// much time the hypervisor took away (steal). Steal inflates both wall and CPU time figures.
fn system_cpu(before: Option<Vec<u64>>, after: Option<Vec<u64>>) -> Value {
    let (Some(a), Some(b)) = (before, after) else {
        return Value::Null;
    };
    if a.len() < 8 || b.len() < 8 {
        return Value::Null;
    }
    let d: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| y.saturating_sub(*x) as f64)
        .collect();
    let total: f64 = d.iter().sum();
    if total == 0.0 {
        return Value::Null;
    }
    let idle = d[3] + d[4];
    json!({
        "busy_percent": round3(100.0 * (total - idle) / total),
        "steal_percent": round3(100.0 * d[7] / total),
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn machine(root: &Path) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root)
        .output()
        .ok()
        .map(|o| !o.stdout.is_empty());
    json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "os": format!("{} {} {}", std::env::consts::OS, std::env::consts::ARCH, kernel.trim()),
        "rustc": first_line("rustc", &["-V"], root),
        "commit": first_line("git", &["rev-parse", "--short", "HEAD"], root),
        "dirty": dirty,
        "loadavg": loadavg(),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_targets_on_the_ratio_over_hmac() {
        let report = json!({"runtime": {"webhooks": [
            {"what": "merchant Verifier::verify", "payload_bytes": 65512, "us_per_call": {"median": 300.0},
             "hmac_us_per_call": {"median": 70.0}, "ratio_over_hmac": {"median": 4.3, "min": 4.0, "max": 4.5}},
            {"what": "v3 Verifier::verify", "payload_bytes": 65454, "us_per_call": {"median": 260.0},
             "hmac_us_per_call": {"median": 70.0}, "ratio_over_hmac": {"median": 3.6}},
            {"what": "v3 verify + payload()", "payload_bytes": 65454, "us_per_call": {"median": 1200.0},
             "hmac_us_per_call": {"median": 70.0}, "ratio_over_hmac": {"median": 18.0}},
        ]}});
        let t = targets(&report);
        let met: Vec<Option<bool>> = t.iter().map(|x| x["met"].as_bool()).collect();
        assert_eq!(met, vec![Some(false), Some(true), None]);
        assert_eq!(
            (t[0]["limit"].as_f64(), t[1]["limit"].as_f64()),
            (Some(3.0), Some(5.0))
        );
        let text = table(&json!({"runtime": report["runtime"], "targets": t}));
        assert!(text.contains("ratio 4.30"), "{text}");
    }

    #[test]
    fn targets_from_a_report() {
        let report = json!({
            "runtime": {
                "http": {"cases": [
                    {"body": "small", "mode": "sequential",
                     "cpu_ratio_sdk_over_serde": {"median": 1.02, "min": 1.0, "max": 1.04}},
                    {"body": "list100", "mode": "concurrent",
                     "cpu_ratio_sdk_over_serde": {"median": 1.04, "min": 0.98, "max": 1.12}},
                ]},
                "webhooks": [
                    {"what": "v3 Verifier::verify", "payload_bytes": 1100, "us_per_call": {"median": 9.0}},
                    {"what": "v3 Verifier::verify", "payload_bytes": 65600, "us_per_call": {"median": 400.0}},
                ],
                "contract": {"available": false, "reason": "x"},
            },
            "build": {"profiles": [{"profile": "dev", "spec_edit_rebuild_s": {"median": 30.0}}]},
        });
        let t = targets(&report);
        let met: Vec<Option<bool>> = t.iter().map(|x| x["met"].as_bool()).collect();
        // small: ratio met, its spread a figure to watch; the concurrent list: ratio met, its
        // spread (0.14) over 0.1 missed; webhooks; the contract check unavailable; the rebuild.
        assert_eq!(
            met,
            vec![
                Some(true),
                None,
                Some(true),
                Some(false),
                Some(true),
                None,
                Some(false)
            ]
        );
        assert!(
            t[3]["name"]
                .as_str()
                .unwrap()
                .ends_with("spread (max - min over the runs)")
        );
        assert!((t[3]["value"].as_f64().unwrap() - 0.14).abs() < 1e-9);
        let text = table(&json!({"runtime": report["runtime"], "targets": t}));
        assert!(text.contains("MISSED"), "{text}");
    }

    #[test]
    fn the_spec_edit_goal_is_five_seconds() {
        let report = json!({"build": {"profiles": [
            {"profile": "dev", "spec_edit_rebuild_s": {"median": 4.9}},
            {"profile": "release", "spec_edit_rebuild_s": {"median": 40.0}},
        ]}});
        let t = targets(&report);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0]["limit"], json!(5.0));
        assert_eq!(t[0]["met"], json!(true));
    }

    #[test]
    fn merging_keeps_what_was_measured_before() {
        let mut report = json!({"version": 1, "runtime": {"quick": true}, "build": {
            "generated_at": "then", "profiles": [{"profile": "dev"}],
            "consumers": {"crates": []}, "fresh_test": {"wall_s": 400.0},
        }});
        merge_section(&mut report, "build", json!({"fresh_test": {"wall_s": 390.0}}));
        assert_eq!(report["build"]["fresh_test"], json!({"wall_s": 390.0}));
        assert_eq!(report["build"]["profiles"], json!([{"profile": "dev"}]));
        assert_eq!(report["build"]["consumers"], json!({"crates": []}));
        assert_eq!(report["build"]["generated_at"], "then");
        // The rebuild part: its own keys replaced, the other parts kept.
        merge_section(
            &mut report,
            "build",
            json!({"generated_at": "now", "profiles": [{"profile": "release"}]}),
        );
        assert_eq!(report["build"]["generated_at"], "now");
        assert_eq!(report["build"]["profiles"], json!([{"profile": "release"}]));
        assert_eq!(report["build"]["fresh_test"], json!({"wall_s": 390.0}));
        assert_eq!(report["runtime"], json!({"quick": true}));
        // No section yet, or not an object: set as given.
        let mut empty = json!({"version": 1});
        merge_section(&mut empty, "build", json!({"consumers": {"x": 1}}));
        assert_eq!(empty, json!({"version": 1, "build": {"consumers": {"x": 1}}}));
        let mut odd = json!({"build": 3});
        merge_section(&mut odd, "build", json!({"a": 1}));
        assert_eq!(odd, json!({"build": {"a": 1}}));
    }

    fn consumers_report() -> Value {
        let crates = vec![
            json!({"key": "default", "label": "default", "dependencies": "kotanipay (default) + tokio",
                   "clean_build_s": 95.1, "binary_bytes": 80_000_000}),
            json!({"key": "merchant", "label": "merchant only", "dependencies": "kotanipay (merchant) + tokio",
                   "clean_build_s": 80.2, "binary_bytes": 64_000_000}),
            json!({"key": "raw", "label": "reqwest+serde+tokio", "dependencies": "reqwest + serde + tokio",
                   "clean_build_s": 78.5, "binary_bytes": 50_000_000}),
        ];
        json!({"version": 1, "build": {
            "consumers": {"machine": {"cores": 2}, "ratios": consumer_ratios(&crates), "crates": crates},
            "fresh_test": {"machine": {"cores": 2}, "wall_s": 412.4, "ok": true, "commit": "abc1234"},
        }})
    }

    #[test]
    fn consumer_ratios_over_the_raw_crate() {
        let report = consumers_report();
        assert_eq!(
            report["build"]["consumers"]["ratios"],
            json!({
                "default_over_raw_build": 1.211, "default_over_raw_bytes": 1.6,
                "merchant_over_raw_build": 1.022, "merchant_over_raw_bytes": 1.28,
            })
        );
        assert_eq!(consumer_ratios(&[json!({"key": "default"})]), json!({}));
    }

    #[test]
    fn table_and_targets_of_consumers_and_the_fresh_clone_test() {
        let mut report = consumers_report();
        report["targets"] = Value::Array(targets(&report));
        let t = report["targets"].as_array().unwrap();
        assert_eq!(t.len(), 6, "{t:?}");
        assert!(t.iter().all(|x| x["informational"] == true && x["met"].is_null()));
        assert_eq!(t[0]["value"], json!(95.1));
        assert_eq!(t[3]["value"], json!(1.211));
        assert_eq!(t[5]["value"], json!(412.4));
        let text = table(&report);
        assert!(text.contains("\n4. Build cost (2 cores;"), "{text}");
        assert!(
            text.contains(
                "  consumer clean builds (dev): default 95.1 s (1.21 x raw), \
                 merchant only 80.2 s (1.02 x raw), reqwest+serde+tokio 78.5 s\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "  consumer binaries (dev, unstripped): default 80.0 MB (1.60 x raw), \
                 merchant only 64.0 MB (1.28 x raw), reqwest+serde+tokio 50.0 MB\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "  cargo test --workspace, fresh clone: 412 s (compiling all dependencies included; commit abc1234)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  [info  ] cargo test --workspace on a fresh clone, wall (compiling all dependencies included): 412.4 s\n"),
            "{text}"
        );
        assert!(!text.contains("limit"), "{text}");
        assert!(!text.contains("cargo build -p kotanipay"), "{text}");
        report["build"]["fresh_test"]["ok"] = json!(false);
        assert!(table(&report).contains("fresh clone: 412 s, TESTS FAILED ("));
    }

    #[test]
    fn consumer_crates_written() {
        let dir = std::env::temp_dir().join(format!("kotanipay-bench-consumers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Cargo.lock"), "# lock\n").unwrap();
        let dirs = write_consumers(&dir).unwrap();
        let read = |d: &Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
        let files: Vec<(String, String, String)> = dirs
            .iter()
            .map(|d| {
                (
                    read(d, "Cargo.toml"),
                    read(d, "src/main.rs"),
                    read(d, "Cargo.lock"),
                )
            })
            .collect();
        let names: Vec<String> = dirs
            .iter()
            .map(|d| d.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            names,
            [
                "bench-consumers/consumer-default",
                "bench-consumers/consumer-merchant",
                "bench-consumers/consumer-raw"
            ]
        );
        let tokio = "tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n";
        for (name, (manifest, main, lock)) in ["default", "merchant", "raw"].iter().zip(&files) {
            assert!(
                manifest.starts_with(&format!("[package]\nname = \"consumer-{name}\"\n")),
                "{manifest}"
            );
            assert!(manifest.contains("\n[workspace]\n"), "{manifest}");
            assert!(manifest.ends_with(tokio), "{manifest}");
            assert_eq!(lock, "# lock\n");
            assert!(
                main.contains("#[tokio::main]") && main.contains("get_all_wallets"),
                "{main}"
            );
        }
        let (default, merchant, raw) = (&files[0], &files[1], &files[2]);
        assert!(
            default.0.contains("\nkotanipay = { path = \"../..\" }\n"),
            "{}",
            default.0
        );
        assert!(default.1.contains("kotanipay::v3::Client::builder()"));
        assert!(
            merchant.0.contains(
                "\nkotanipay = { path = \"../..\", default-features = false, features = [\"merchant\", \"rustls\"] }\n"
            ),
            "{}",
            merchant.0
        );
        assert!(!merchant.1.contains("v3"));
        assert!(!raw.0.contains("kotanipay"), "{}", raw.0);
        assert!(raw.0.contains(
            "\nreqwest = { version = \"0.13\", default-features = false, features = [\"json\", \"rustls\"] }\n"
        ));
        assert!(
            raw.0
                .contains("\nserde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n")
        );
        assert!(
            raw.1.contains("\"http://127.0.0.1:9/api/v1/merchants/wallet\"")
                && raw.1.contains("\"x-api-key\"")
        );
    }

    #[test]
    fn build_parts_on_the_command_line() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        let parts = |args: &[&str]| match Cli::try_parse_from(args).unwrap().bench.command {
            Some(BenchCommand::Build { only, .. }) => only,
            None => panic!("no build command"),
        };
        assert_eq!(parts(&["x", "build"]), []);
        assert_eq!(
            parts(&["x", "build", "--only", "consumers,test"]),
            [BuildPart::Consumers, BuildPart::Test]
        );
        assert_eq!(
            parts(&["x", "--quick", "build", "--only", "rebuild", "--only", "test"]),
            [BuildPart::Rebuild, BuildPart::Test]
        );
        assert!(Cli::try_parse_from(["x", "build", "--only", "http"]).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(now_utc().len(), 20);
    }

    #[test]
    fn spec_edit_changes_one_line_each_time() {
        let dir = std::env::temp_dir().join(format!("kotanipay-bench-edit-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("spec")).unwrap();
        let spec = "paths:\n  /x:\n    get:\n      operationId: get_integrator\n      tags: [a]\n      summary: Read it\n";
        std::fs::write(dir.join("spec/kotani-v3.yaml"), spec).unwrap();
        edit_spec(&dir, 1).unwrap();
        edit_spec(&dir, 2).unwrap();
        let after = std::fs::read_to_string(dir.join("spec/kotani-v3.yaml")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(after.contains("summary: Read it (bench edit 2)\n"), "{after}");
        assert_eq!(after.lines().count(), spec.lines().count());
    }
}
