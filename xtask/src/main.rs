//! Project tasks: `cargo xtask <command>` (an alias for `cargo run --package xtask --`).

mod contract;
mod schema;
mod spec_lint;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The specs `spec lint` and `contract` use by default, relative to the workspace root.
/// Every family's spec, from the codegen family list.
fn default_specs() -> Vec<&'static str> {
    kotanipay_codegen::FAMILIES.iter().map(|f| f.spec).collect()
}

#[derive(Parser)]
#[command(name = "cargo xtask", about = "kotanipay project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tasks on the OpenAPI specs in `spec/`.
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
    /// Check real traffic (HAR files or live calls) against the specs and the SDK's types.
    ///
    /// Exit status: 0 no finding at or above --fail-on, 1 drift (or an expired waiver),
    /// 2 tool error (bad spec, unreadable HAR, bad arguments), 3 live target unreachable or no
    /// credentials.
    Contract(contract::ContractArgs),
    /// Measure the SDK: per-request overhead against plain reqwest, signing, webhook
    /// verification, the contract check (`bench build`: build cost). Writes
    /// target/bench/report.json.
    Bench(bench::BenchArgs),
}

mod bench;

#[derive(Subcommand)]
enum SpecCommand {
    /// Check the specs against the rules of `spec/README.md`.
    ///
    /// Exit status: 0 clean, 1 lint findings, 2 tool error (unreadable file, not YAML).
    Lint {
        /// A spec file to lint (repeatable). Default: both specs in `spec/`.
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Spec {
            command: SpecCommand::Lint { specs },
        } => spec_lint_command(&specs),
        Command::Contract(args) => ExitCode::from(contract::run(args, &workspace_root(), &default_specs())),
        Command::Bench(args) => bench::run(args, &workspace_root()),
    }
}

/// The workspace root: xtask lives in `<root>/xtask`.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn spec_lint_command(specs: &[PathBuf]) -> ExitCode {
    let root = workspace_root();
    let files: Vec<PathBuf> = if specs.is_empty() {
        default_specs().iter().map(|p| root.join(p)).collect()
    } else {
        // A relative path is taken from the current directory, else from the workspace root.
        specs
            .iter()
            .map(|p| {
                if p.is_relative() && !p.exists() {
                    root.join(p)
                } else {
                    p.clone()
                }
            })
            .collect()
    };

    let (mut findings, mut tool_error) = (false, false);
    for file in &files {
        let display = file.strip_prefix(&root).unwrap_or(file).display().to_string();
        match spec_lint::lint_file(file, &display) {
            Ok(report) => {
                for finding in &report.findings {
                    println!("{finding}");
                }
                println!("{}", report.summary());
                findings |= !report.findings.is_empty();
            }
            Err(e) => {
                eprintln!("spec lint: error: {e:#}");
                tool_error = true;
            }
        }
    }
    if tool_error {
        ExitCode::from(2)
    } else if findings {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
