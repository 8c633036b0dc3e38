//! `cargo xtask bench`: builds the measuring binary (`bench/`, package `kotanipay-bench`) in
//! release mode, runs it, prints a table and writes `target/bench/report.json`.
//! `cargo xtask bench build`: the build cost of the library, measured on a copy of the
//! repository (the real specs are never touched).
//!
//! The report's shape is documented in `xtask/README.md` (section Bench).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

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
    /// repository with its own target directory.
    Build {
        /// Which cargo profiles to measure (default: dev and release; dev only with --quick).
        #[arg(long, value_enum)]
        profile: Vec<Profile>,
    },
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
const MAX_WEBHOOK_64K_US: f64 = 1_000.0;
const MAX_CONTRACT_MS: f64 = 1_000.0;
const MAX_SPEC_REBUILD_S: f64 = 5.0;

pub fn run(args: BenchArgs, root: &Path) -> ExitCode {
    let result = match args.command {
        None => runtime(root, &args),
        Some(BenchCommand::Build { profile }) => build_cost(root, args.quick, &profile),
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
    let path = bench_dir(root).join("report.json");
    let mut report = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(|v| v.get("version") == Some(&json!(1)))
        .unwrap_or_else(|| json!({"version": 1}));
    report[key] = section;
    report["targets"] = Value::Array(targets(&report));
    std::fs::create_dir_all(bench_dir(root))?;
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(report)
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
            name,
            f(case, "/cpu_ratio_sdk_over_serde/median"),
            MAX_CPU_RATIO,
            "ratio",
        ));
    }
    let hooks = report.pointer("/runtime/webhooks").and_then(Value::as_array);
    for w in hooks.into_iter().flatten() {
        if w["payload_bytes"].as_u64().is_some_and(|b| b >= 60 * 1024) {
            let name = format!("{} of a 64 KB delivery", w["what"].as_str().unwrap_or("?"));
            out.push(target(
                name,
                f(w, "/us_per_call/median"),
                MAX_WEBHOOK_64K_US,
                "µs",
            ));
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
            let _ = writeln!(
                t,
                "  {:<26} {:>6} B: {} µs",
                x["what"].as_str().unwrap_or("?"),
                x["payload_bytes"],
                stat(&x["us_per_call"], 1)
            );
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
    if let Some(b) = report.get("build") {
        let _ = writeln!(
            t,
            "\n4. Build cost (cargo build -p kotanipay, copy of the repository, own target dir; {} cores)",
            b["machine"]["cores"]
        );
        for p in b["profiles"].as_array().into_iter().flatten() {
            let _ = writeln!(
                t,
                "  {:<7} clean (with dependencies) {:>8.1} s | clean kotanipay only {} s | after a spec edit {} s | no-op {} s",
                p["profile"].as_str().unwrap_or("?"),
                p["clean_with_deps_s"].as_f64().unwrap_or(f64::NAN),
                stat(&p["clean_crate_s"], 1),
                stat(&p["spec_edit_rebuild_s"], 1),
                stat(&p["noop_rebuild_s"], 2),
            );
            if let Some(units) = p["spec_edit_units"].as_array() {
                let parts: Vec<String> = units.iter().map(unit_text).collect();
                let _ = writeln!(t, "          spec-edit rebuild: {}", parts.join(", "));
            }
        }
    }
    if let Some(ts) = report["targets"].as_array().filter(|a| !a.is_empty()) {
        let _ = writeln!(t, "\nTargets (issue #9, medians)");
        for x in ts {
            let verdict = match x["met"].as_bool() {
                Some(true) => "met   ",
                Some(false) => "MISSED",
                None => "n/a   ",
            };
            let value = x["value"].as_f64().map_or("-".into(), |v| format!("{v}"));
            let _ = writeln!(
                t,
                "  [{verdict}] {}: {value} {} (limit {})",
                x["name"].as_str().unwrap_or("?"),
                x["unit"].as_str().unwrap_or(""),
                x["limit"]
            );
        }
    }
    t
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

fn build_cost(root: &Path, quick: bool, profiles: &[Profile]) -> anyhow::Result<()> {
    let profiles: Vec<Profile> = match (profiles.is_empty(), quick) {
        (false, _) => profiles.to_vec(),
        (true, true) => vec![Profile::Dev],
        (true, false) => vec![Profile::Dev, Profile::Release],
    };
    let runs = if quick { 1 } else { 3 };
    let machine_before = machine(root);
    let copy = std::env::temp_dir().join(format!("kotanipay-bench-build-{}", std::process::id()));
    if copy.exists() {
        std::fs::remove_dir_all(&copy)?;
    }
    eprintln!("bench build: copying the repository to {}", copy.display());
    copy_tree(root, &copy)?;
    let stat_before = proc_stat();
    let result = measure_builds(&copy, &profiles, runs);
    let system_cpu = system_cpu(stat_before, proc_stat());
    let _ = std::fs::remove_dir_all(&copy);
    let measured = result?;
    let section = json!({
        "generated_at": now_utc(),
        "machine": machine_before,
        "load_after": loadavg(),
        "system_cpu": system_cpu,
        "quick": quick,
        "runs": runs,
        "command": "cargo build -p kotanipay [--release], CARGO_TARGET_DIR inside a copy of the repository",
        "spec_edit": "the `summary` of get_integrator in spec/kotani-v3.yaml (of the copy) changed, a different text each run",
        "profiles": measured,
    });
    let report = update_report(root, "build", section)?;
    print!("{}", table(&report));
    eprintln!(
        "bench build: wrote {}",
        bench_dir(root).join("report.json").display()
    );
    Ok(())
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

fn timed_cargo(dir: &Path, args: &[&str]) -> anyhow::Result<f64> {
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
    let s = t0.elapsed().as_secs_f64();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        bail!(
            "`cargo {}` failed in the copy:\n{}",
            args.join(" "),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(round3(s))
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
    fn targets_from_a_report() {
        let report = json!({
            "runtime": {
                "http": {"cases": [
                    {"body": "small", "mode": "sequential", "cpu_ratio_sdk_over_serde": {"median": 1.02}},
                    {"body": "list100", "mode": "concurrent", "cpu_ratio_sdk_over_serde": {"median": 1.2}},
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
        assert_eq!(met, vec![Some(true), Some(false), Some(true), None, Some(false)]);
        let text = table(&json!({"runtime": report["runtime"], "targets": t}));
        assert!(text.contains("MISSED"), "{text}");
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
