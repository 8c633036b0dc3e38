//! `cargo xtask contract`: checks real traffic (captured HAR files, or live calls) against the
//! specs and the SDK's generated types. See `xtask/README.md` for the checks, severities,
//! formats and exit codes.
//!
//! | module | what |
//! |---|---|
//! | `har` | HAR 1.2 in and out (read as a stream) |
//! | `postman` | Postman collections v2.0/v2.1 in (streamed, variables resolved) and out |
//! | `stream` | streaming the elements of a big JSON array, one at a time |
//! | `parallel` | checking exchanges on every core while they are read; deterministic merge |
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
mod parallel;
mod postman;
mod redact;
mod report;
mod specs;
mod stream;
mod waivers;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

pub use format::Format;
use report::{Kind, Report, Severity};

/// `--record-format`: what `--record` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordFormat {
    /// HAR 1.2.
    Har,
    /// A Postman collection v2.1.
    Postman,
}

impl RecordFormat {
    /// By the file name: `*.postman_collection.json` (Postman's own export name) is a Postman
    /// collection, anything else HAR.
    fn of(path: &Path) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".postman_collection.json") {
            RecordFormat::Postman
        } else {
            RecordFormat::Har
        }
    }
}

/// The default waiver file, relative to the workspace root.
const DEFAULT_WAIVERS: &str = "spec/contract-waivers.yaml";

/// `cargo xtask contract` arguments.
#[derive(clap::Args, Debug)]
pub struct ContractArgs {
    /// Replay captured traffic from HAR 1.2 files (browser devtools, mitmproxy, Postman, Insomnia).
    #[arg(long = "har", value_name = "FILE", num_args = 1.., required_unless_present_any = ["live", "postman"], conflicts_with = "live")]
    pub har: Vec<PathBuf>,

    /// Replay the saved examples (responses) of Postman collections, format v2.0 or v2.1.
    #[arg(long = "postman", value_name = "COLLECTION", num_args = 1.., conflicts_with = "live")]
    pub postman: Vec<PathBuf>,

    /// A Postman environment file whose values fill the collections' {{variables}}; overrides
    /// collection variables (repeatable; a later file overrides an earlier one).
    #[arg(long = "postman-env", value_name = "ENVIRONMENT", requires = "postman")]
    pub postman_env: Vec<PathBuf>,

    /// Set a Postman variable, e.g. `--var base_url=https://sandbox-api.kotanipay.com/api/v3`;
    /// overrides the collection and the environment (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "postman")]
    pub vars: Vec<String>,

    /// Call the real API: v3 at KOTANI_BASE_URL (default the sandbox) with KOTANI_API_KEY or
    /// KOTANI_JWT; merchant at KUTANAPAY_BASE_URL with KUTANAPAY_API_KEY. Reads only by default.
    #[arg(long)]
    pub live: bool,

    /// With --live: also run the creating operations, with the sandbox's test numbers.
    #[arg(long, requires = "live")]
    pub allow_writes: bool,

    /// With --live: write what was seen as HAR (or as a Postman collection, for a name ending in
    /// `.postman_collection.json`), credentials and secrets removed, phones masked.
    #[arg(long, value_name = "FILE", requires = "live")]
    pub record: Option<PathBuf>,

    /// What --record writes (default: by the file name, see --record).
    #[arg(long, value_enum, value_name = "FORMAT", requires = "record")]
    pub record_format: Option<RecordFormat>,

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

    /// Threads that check exchanges (default: the number of cores). The report is the same
    /// with any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
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

    let threads = args.threads.map_or_else(parallel::default_threads, usize::from);
    let mut report = Report {
        fail_on: Some(args.fail_on),
        ..Report::default()
    };
    let mut tally = if args.live {
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
            record(&specs, &outcome.exchanges, path, args.record_format)?;
        }
        if let Some(first) = report.transport_errors.first() {
            eprintln!(
                "contract: {} call(s) got no answer (first: {first}); the run is inconclusive",
                report.transport_errors.len()
            );
        }
        let exchanges = outcome.exchanges;
        parallel::check_all(&specs, threads, |sink| exchanges.into_iter().try_for_each(sink))?.1
    } else {
        report.mode = match (args.har.is_empty(), args.postman.is_empty()) {
            (false, true) => "har",
            (true, false) => "postman",
            _ => "har+postman",
        };
        let mut variables = postman::Variables::default();
        for p in &args.postman_env {
            let path = resolve(root, p);
            variables.load_environment(&path, &display(root, &path))?;
        }
        for pair in &args.vars {
            variables.add_command_line(pair)?;
        }
        let har_files: Vec<(PathBuf, String)> = args.har.iter().map(|p| shown(root, p)).collect();
        let collections: Vec<(PathBuf, String)> = args.postman.iter().map(|p| shown(root, p)).collect();
        report.inputs = har_files
            .iter()
            .chain(&collections)
            .map(|(_, s)| s.clone())
            .collect();
        // HAR files first, then collections, each in the order given: the order decides which
        // occurrence of a finding is shown first.
        let (summaries, mut tally) = parallel::check_all(&specs, threads, |sink| {
            for (path, shown) in &har_files {
                har::stream(path, shown, sink)?;
            }
            let mut summaries = Vec::new();
            for (path, shown) in &collections {
                let summary = postman::stream(path, shown, &variables, sink)?;
                summaries.push((shown.clone(), summary));
            }
            Ok(summaries)
        })?;
        report.notes = postman_notes(&summaries, &std::mem::take(&mut tally.unknown_hosts));
        for (shown, s) in &summaries {
            if s.examples == 0 {
                eprintln!(
                    "contract: note: {shown}: no saved response (example) in the collection: nothing to check"
                );
            }
        }
        tally
    };

    report.exchanges = tally.exchanges;
    report.matched = tally.matched;
    report.bodies_missing = tally.bodies_missing;
    report.presence = std::mem::take(&mut tally.presence);
    report.operations = std::mem::take(&mut tally.operations);
    report.add_aggregated(tally.into_findings(), &severities, &waiver_set);

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

/// A path as given (from the current directory, else the workspace root) and as shown.
fn shown(root: &Path, p: &Path) -> (PathBuf, String) {
    let path = resolve(root, p);
    let shown = display(root, &path);
    (path, shown)
}

/// Writes what a live run saw (`--record`), redacted, as HAR or as a Postman collection.
fn record(
    specs: &specs::Specs,
    exchanges: &[har::Exchange],
    path: &Path,
    format: Option<RecordFormat>,
) -> anyhow::Result<()> {
    let mut recorded = exchanges.to_vec();
    recorded.iter_mut().for_each(redact::redact_exchange);
    let comment = format!(
        "Recorded by `cargo xtask contract --live` on {}; credentials, secrets and tokens removed, phone numbers masked.",
        live::now_iso()
    );
    let doc = match format.unwrap_or_else(|| RecordFormat::of(path)) {
        RecordFormat::Har => har::to_har(&recorded, &comment),
        RecordFormat::Postman => postman::to_collection(
            &recorded,
            &format!("kotanipay contract --live {}", live::now_iso()),
            &comment,
            |ex| {
                let path = specs::url_path(&ex.url);
                match specs.match_request(&ex.method, &path) {
                    specs::Match::Operation(op) => (op.family_name().to_owned(), op.id.clone()),
                    specs::Match::Unmatched { .. } => {
                        ("unmatched".to_owned(), format!("{} {path}", ex.method))
                    }
                }
            },
        ),
    };
    std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The report's notes on the collections read: what was checked, and the variables that were
/// not set (a host variable with the families its examples matched by path).
fn postman_notes(
    summaries: &[(String, postman::Summary)],
    unknown_hosts: &std::collections::BTreeMap<
        (String, String),
        std::collections::BTreeMap<&'static str, usize>,
    >,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (file, s) in summaries {
        let what = format!(
            "{file}: Postman collection \"{}\" (schema v{})",
            s.name, s.version
        );
        notes.push(if s.requests == 0 {
            format!("{what} has no requests: nothing to check")
        } else if s.examples == 0 {
            format!(
                "{what} has {} request(s) but no saved response (example), so there is nothing to check: \
                 send the requests in Postman, save each response as an example, and export the collection again",
                s.requests
            )
        } else {
            let mut line = format!(
                "{what}: {} saved example(s) of {} request(s) checked",
                s.examples, s.with_examples
            );
            if s.requests > s.with_examples {
                line.push_str(&format!(
                    "; {} other request(s) have no saved response",
                    s.requests - s.with_examples
                ));
            }
            line
        });
        for ((f, var), families) in unknown_hosts.range((file.clone(), String::new())..) {
            if f != file {
                break;
            }
            let total: usize = families.values().sum();
            let by_family: Vec<String> = families
                .iter()
                .map(|(family, n)| match *family {
                    "none" => format!("{n} to no operation"),
                    family => format!("{n} to {family}"),
                })
                .collect();
            notes.push(format!(
                "{file}: {{{{{var}}}}} is not set (no collection variable, --postman-env value or --var): \
                 it stands for the scheme, host and any path prefix of {total} example(s), \
                 matched to the family whose paths match ({})",
                by_family.join(", ")
            ));
        }
        for (var, n) in &s.unresolved {
            notes.push(format!(
                "{file}: {{{{{var}}}}} is not set: left as written in {n} example(s)"
            ));
        }
    }
    notes
}
