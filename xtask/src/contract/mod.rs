//! `cargo xtask contract`: checks real traffic (captured HAR files, or live calls) against the
//! specs and the SDK's generated types. See `xtask/README.md` for the checks, severities,
//! formats and exit codes.
//!
//! | module | what |
//! |---|---|
//! | `har` | HAR 1.2 in and out |
//! | `specs` | the specs' operations; matching a request to one (server prefix aware) |
//! | `walk` | a body against its schema: violations, missing/undocumented fields, enums, presence |
//! | `checks` | one exchange: status, content type, body, SDK decoding; inferred confirmations |
//! | `report` | kinds, severities, findings and their aggregation; exit code |
//! | `format` | text, JSON, JUnit, Markdown |
//! | `waivers` | `spec/contract-waivers.yaml` |
//! | `live` | calling the API (discovery, writes, pacing) |
//! | `pace` | token buckets per rate tier |
//! | `redact` | credentials, secrets and phone numbers out of `--record` |

mod checks;
mod format;
mod har;
mod live;
mod pace;
mod redact;
mod report;
mod specs;
mod waivers;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

pub use format::Format;
use report::{Kind, Report, Severity};

/// The default waiver file, relative to the workspace root.
const DEFAULT_WAIVERS: &str = "spec/contract-waivers.yaml";

/// `cargo xtask contract` arguments.
#[derive(clap::Args, Debug)]
pub struct ContractArgs {
    /// Replay captured traffic from HAR 1.2 files (browser devtools, mitmproxy, Postman, Insomnia).
    #[arg(long = "har", value_name = "FILE", num_args = 1.., required_unless_present = "live", conflicts_with = "live")]
    pub har: Vec<PathBuf>,

    /// Call the real API: v3 at KOTANI_BASE_URL (default the sandbox) with KOTANI_API_KEY or
    /// KOTANI_JWT; merchant at KUTANAPAY_BASE_URL with KUTANAPAY_API_KEY. Reads only by default.
    #[arg(long)]
    pub live: bool,

    /// With --live: also run the creating operations, with the sandbox's test numbers.
    #[arg(long, requires = "live")]
    pub allow_writes: bool,

    /// With --live: write what was seen as HAR, credentials and secrets removed, phones masked.
    #[arg(long, value_name = "FILE.har", requires = "live")]
    pub record: Option<PathBuf>,

    /// With --live: only these operations (operationId, repeatable).
    #[arg(long = "operation", value_name = "OPERATION_ID", requires = "live")]
    pub operations: Vec<String>,

    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Write the report to FILE instead of standard output (a summary line still goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Fail (exit 1) on findings at or above this severity: ERR, WARN or INFO.
    #[arg(long, value_name = "LEVEL", default_value = "ERR")]
    pub fail_on: Severity,

    /// Override a kind's severity, e.g. `--severity undocumented_field=ERR` (repeatable).
    #[arg(long = "severity", value_name = "KIND=LEVEL")]
    pub severities: Vec<String>,

    /// Waiver file. Default: spec/contract-waivers.yaml (if present).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// A spec file (repeatable). Default: both specs in spec/.
    #[arg(long = "spec", value_name = "FILE")]
    pub specs: Vec<PathBuf>,

    /// Today's date for waiver expiry (YYYY-MM-DD; default: today, UTC). For tests.
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,

    /// With --live against loopback targets only: no pacing. For tests.
    #[arg(long, hide = true)]
    pub no_pace: bool,
}

/// An error that is exit 3 (live target unreachable or no credentials), not 2.
#[derive(Debug)]
struct Unreachable(String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// Runs the contract check; returns the exit code (0, 1, 2 or 3).
pub fn run(args: ContractArgs, root: &Path, default_specs: &[&str]) -> u8 {
    match run_inner(args, root, default_specs) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("contract: error: {e:#}");
            if e.downcast_ref::<Unreachable>().is_some() {
                3
            } else {
                2
            }
        }
    }
}

/// A relative path is taken from the current directory, else from the workspace root.
fn resolve(root: &Path, p: &Path) -> PathBuf {
    if p.is_relative() && !p.exists() {
        root.join(p)
    } else {
        p.to_path_buf()
    }
}

fn display(root: &Path, p: &Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    abs.strip_prefix(&root).unwrap_or(p).display().to_string()
}

fn run_inner(args: ContractArgs, root: &Path, default_specs: &[&str]) -> anyhow::Result<u8> {
    let spec_files: Vec<(PathBuf, String)> = if args.specs.is_empty() {
        default_specs
            .iter()
            .map(|p| (root.join(p), (*p).to_owned()))
            .collect()
    } else {
        args.specs
            .iter()
            .map(|p| {
                let path = resolve(root, p);
                let shown = display(root, &path);
                (path, shown)
            })
            .collect()
    };
    let mut specs = specs::Specs::load(&spec_files)?;

    let mut severities: HashMap<Kind, Severity> = HashMap::new();
    for s in &args.severities {
        let (kind, level) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("--severity takes KIND=LEVEL, got `{s}`"))?;
        severities.insert(
            kind.parse().map_err(|e: String| anyhow!(e))?,
            level.parse().map_err(|e: String| anyhow!(e))?,
        );
    }

    let today = match args.today {
        Some(t) if waivers::parse_date(&t).is_some() => t,
        Some(t) => bail!("--today takes YYYY-MM-DD, got `{t}`"),
        None => waivers::today_utc(),
    };
    let (waiver_path, waiver_required) = match &args.waivers {
        Some(p) => (resolve(root, p), true),
        None => (root.join(DEFAULT_WAIVERS), false),
    };
    let waiver_set = waivers::WaiverSet::load(
        &waiver_path,
        &display(root, &waiver_path),
        &today,
        waiver_required,
    )?;

    let mut report = Report {
        fail_on: Some(args.fail_on),
        ..Report::default()
    };
    let exchanges = if args.live {
        report.mode = "live";
        let targets = live::targets_from_env(&|k| std::env::var(k).ok()).map_err(|e| match e {
            live::SetupError::NoCredentials(m) => anyhow::Error::new(Unreachable(m)),
            live::SetupError::Config(m) => anyhow!(m),
        })?;
        for t in &targets {
            report
                .inputs
                .push(format!("{} {}", specs::family_name(t.family), t.base_url));
            // A base URL with a path (a gateway prefix) is a server prefix too.
            let prefix = specs::url_path(&t.base_url);
            if prefix != "/" {
                specs.add_prefix(t.family, &prefix);
            }
        }
        let opts = live::LiveOptions {
            allow_writes: args.allow_writes,
            operations: args.operations.clone(),
            no_pace: args.no_pace,
        };
        let outcome = live::run(&specs, &targets, &opts)?;
        report.skipped = outcome.skipped;
        report.transport_errors = outcome.transport_errors;
        if let Some(path) = &args.record {
            let mut recorded = outcome.exchanges.clone();
            recorded.iter_mut().for_each(redact::redact_exchange);
            let comment = format!(
                "Recorded by `cargo xtask contract --live` on {}; credentials, secrets and tokens removed, phone numbers masked.",
                live::now_iso()
            );
            let har = har::to_har(&recorded, &comment);
            std::fs::write(path, serde_json::to_string_pretty(&har)? + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if let Some(first) = report.transport_errors.first() {
            eprintln!(
                "contract: {} call(s) got no answer (first: {first}); the run is inconclusive",
                report.transport_errors.len()
            );
        }
        outcome.exchanges
    } else {
        report.mode = "har";
        let mut all = Vec::new();
        for p in &args.har {
            let path = resolve(root, p);
            let shown = display(root, &path);
            all.extend(har::load(&path, &shown)?);
            report.inputs.push(shown);
        }
        all
    };

    let mut checker = checks::Checker::new(&specs);
    for ex in &exchanges {
        checker.check(ex);
    }
    checker.finish();
    report.exchanges = checker.exchanges;
    report.matched = checker.matched;
    report.bodies_missing = checker.bodies_missing;
    report.presence = std::mem::take(&mut checker.presence);
    report.operations = std::mem::take(&mut checker.operations);
    let observations = std::mem::take(&mut checker.observations);
    report.add_observations(observations, &severities, &waiver_set);

    let rendered = format::render(&report, args.format);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &rendered).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("contract: report written to {}", path.display());
        }
        None => print!("{rendered}"),
    }
    Ok(report.exit_code())
}
