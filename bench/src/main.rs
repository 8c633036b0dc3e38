//! The measuring binary of `cargo xtask bench` (see `xtask/README.md`, section Bench).
//!
//! ```text
//! kotanipay-bench run [--quick] [--no-pin] [--only SECTION,...] [--xtask PATH] [--xtask-release PATH]
//!                     [--root DIR] [--work DIR] [--out FILE]
//! kotanipay-bench serve      # the loopback server (started by `run` as a child process)
//! kotanipay-bench profile <sdk|serde|value>:<small|list100>[:concurrent] [N]
//! kotanipay-bench profile <webhook-v3|webhook-merchant> [N]   # one case in a loop, for perf
//! ```
//!
//! `run` measures and writes raw figures as JSON (`--out`, default standard output); `cargo
//! xtask bench` builds this binary in release mode, runs it, and writes the report and table.
//! Sections: `http` (per-request overhead), `signing`, `webhooks`, `contract`.

mod bodies;
mod contract;
mod crypto;
mod http;
mod plain;
mod server;
mod stats;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

struct Args {
    quick: bool,
    pin: bool,
    only: Option<Vec<String>>,
    xtask: Option<PathBuf>,
    xtask_release: Option<PathBuf>,
    root: PathBuf,
    work: PathBuf,
    out: Option<PathBuf>,
}

const SECTIONS: [&str; 4] = ["http", "signing", "webhooks", "contract"];

fn parse(mut it: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is inside the workspace")
        .to_path_buf();
    let mut args = Args {
        quick: false,
        pin: true,
        only: None,
        xtask: None,
        xtask_release: None,
        work: root.join("target/bench"),
        root,
        out: None,
    };
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} takes a value"));
        match a.as_str() {
            "--quick" => args.quick = true,
            "--no-pin" => args.pin = false,
            "--only" => {
                let list: Vec<String> = value()?.split(',').map(str::to_owned).collect();
                if let Some(bad) = list.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                    bail!("unknown section {bad:?} (sections: {})", SECTIONS.join(", "));
                }
                args.only = Some(list);
            }
            "--xtask" => args.xtask = Some(value()?.into()),
            "--xtask-release" => args.xtask_release = Some(value()?.into()),
            "--root" => args.root = value()?.into(),
            "--work" => args.work = value()?.into(),
            "--out" => args.out = Some(value()?.into()),
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(args)
}

fn run(args: Args) -> anyhow::Result<()> {
    let wants = |s: &str| args.only.as_ref().is_none_or(|o| o.iter().any(|x| x == s));
    let plan = http::Plan::new(args.quick);
    let runs = plan.runs;
    let run_time = Duration::from_millis(if args.quick { 50 } else { 300 });
    let mut out = json!({
        "quick": args.quick,
        "plan": plan,
        "cpu_clock": "getrusage(RUSAGE_SELF): user + system time of every thread of the bench process; the loopback server is a child process and is not included",
    });

    if wants("http") {
        eprintln!("bench: per-request overhead (loopback server in a child process)");
        out["http"] = json!({
            "in_flight_concurrent": http::CONCURRENCY,
            "cases": http::overhead(&plan, args.pin)?,
        });
    }
    if wants("signing") {
        eprintln!("bench: signing");
        out["signing"] = json!({
            "signature": crypto::signatures(runs, run_time),
            "signed_requests": http::signed_requests(&plan, args.pin)?,
        });
    }
    if wants("webhooks") {
        eprintln!("bench: webhook verification");
        out["webhooks"] = serde_json::to_value(crypto::webhooks(runs, run_time)?)?;
    }
    if wants("contract") {
        eprintln!("bench: contract check of a 1,000-exchange HAR");
        out["contract"] = serde_json::to_value(contract::measure(
            &args.root,
            &args.work,
            args.xtask.as_deref(),
            runs,
        ))?;
        if let Some(release) = &args.xtask_release {
            eprintln!("bench: contract check again, release build of xtask");
            out["contract_release"] =
                serde_json::to_value(contract::measure(&args.root, &args.work, Some(release), runs))?;
        }
    }
    write(&out, args.out.as_deref())
}

fn write(v: &Value, to: Option<&Path>) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    match to {
        Some(p) => {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))
        }
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// `profile <case> [N]`: one case in a loop, nothing else, for a profiler.
fn profile(args: Vec<String>) -> anyhow::Result<()> {
    let case = args
        .first()
        .context("profile takes a case, e.g. sdk:small or webhook-v3")?;
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(20_000);
    if case.starts_with("webhook-") {
        return crypto::profile_webhook(case, n);
    }
    http::profile_loop(case, n)
}

fn main() -> std::process::ExitCode {
    let mut argv = std::env::args().skip(1);
    let result = match argv.next().as_deref() {
        Some("serve") => server::serve(),
        Some("run") => parse(argv).and_then(run),
        Some("profile") => profile(argv.collect()),
        _ => Err(anyhow::anyhow!(
            "usage: kotanipay-bench run [--quick] [--no-pin] [--only http,signing,webhooks,contract] [--xtask PATH] [--root DIR] [--work DIR] [--out FILE]\n       kotanipay-bench profile <sdk|serde|value>:<small|list100>[:concurrent] [N]\n       kotanipay-bench profile <webhook-v3|webhook-merchant> [N]"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kotanipay-bench: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
