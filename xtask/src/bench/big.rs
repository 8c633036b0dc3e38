//! Big captures (issue #16): the contract check of the bench's 1,000-exchange HAR repeated to
//! 10,000 and 30,000 exchanges, each timed as a subprocess with the peak memory of the checking
//! process, side by side against the goals: 30,000 exchanges in ≤ 10 s and ≤ 150 MB, and a peak
//! that does not grow with the number of exchanges.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The sizes measured, in exchanges.
pub const SIZES: [usize; 3] = [1_000, 10_000, 30_000];
/// The size the goals are on.
pub const GOAL_SIZE: usize = 30_000;
/// Issue #16: the 30,000-exchange HAR checked in ≤ 10 s (wall)...
pub const MAX_WALL_S: f64 = 10.0;
/// ...with a peak resident set of ≤ 150 MB...
pub const MAX_PEAK_MB: f64 = 150.0;
/// ...that does not grow with the number of exchanges: the 30,000-exchange peak over the
/// 1,000-exchange one (the specs, the validators and the threads' buffers are the same).
pub const MAX_PEAK_GROWTH: f64 = 1.25;

/// How often the child's `/proc/<pid>/status` is read for its peak (`VmHWM`).
const POLL: Duration = Duration::from_millis(10);

/// Measures every size `runs` times with `xtask` (the binary `cargo xtask contract` runs).
/// `source` is the bench's 1,000-exchange HAR; the larger files are written next to it and
/// removed afterwards.
pub fn measure(root: &Path, source: &Path, xtask: &Path, runs: usize) -> Value {
    match measure_inner(root, source, xtask, runs) {
        Ok(v) => v,
        Err(e) => json!({"available": false, "reason": format!("{e:#}")}),
    }
}

fn measure_inner(root: &Path, source: &Path, xtask: &Path, runs: usize) -> anyhow::Result<Value> {
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let har: Value = serde_json::from_slice(
        &std::fs::read(source)
            .with_context(|| format!("no {} (the contract section writes it)", source.display()))?,
    )
    .context("the 1,000-exchange HAR")?;
    let entries: Vec<String> = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .context("the 1,000-exchange HAR has no log.entries")?
        .iter()
        .map(Value::to_string)
        .collect();
    if entries.is_empty() {
        bail!("the 1,000-exchange HAR is empty");
    }
    let dir = source.parent().unwrap_or(Path::new("."));
    let out = dir.join("contract-big.report.json");
    let mut sizes = Vec::new();
    for &n in &SIZES {
        let (path, generated) = if n == entries.len() {
            (source.to_path_buf(), false)
        } else {
            let path = dir.join(format!("contract-{n}.har"));
            write_repeated(&har, &entries, n, &path)?;
            (path, true)
        };
        let har_bytes = std::fs::metadata(&path)?.len();
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        let mut cpus = Vec::new();
        let mut exit_code = None;
        for _ in 0..runs {
            let m = run_once(root, xtask, &path, &out)?;
            walls.push(m.wall_s);
            if let Some(p) = m.peak_mb {
                peaks.push(p);
            }
            if let Some(c) = m.cpu_s {
                cpus.push(c);
            }
            exit_code = m.exit_code;
        }
        let report: Value = std::fs::read(&out)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if generated {
            let _ = std::fs::remove_file(&path);
        }
        let stat = |v: Vec<f64>| {
            if v.is_empty() {
                Value::Null
            } else {
                super::stat_json(v)
            }
        };
        sizes.push(json!({
            "exchanges": n,
            "har": shown(&path),
            "har_bytes": har_bytes,
            "runs": runs,
            "wall_s": stat(walls),
            "peak_rss_mb": stat(peaks),
            "cpu_s": stat(cpus),
            "exit_code": exit_code,
            "summary": report.get("summary").cloned().unwrap_or(Value::Null),
        }));
    }
    let _ = std::fs::remove_file(&out);
    let peak = |n: usize| {
        sizes
            .iter()
            .find(|s| s["exchanges"] == n)
            .and_then(|s| s.pointer("/peak_rss_mb/median"))
            .and_then(Value::as_f64)
    };
    let growth = match (peak(GOAL_SIZE), peak(SIZES[0])) {
        (Some(big), Some(small)) if small > 0.0 => json!(super::round3(big / small)),
        _ => Value::Null,
    };
    Ok(json!({
        "available": true,
        "source": shown(source),
        "binary": shown(xtask),
        "command": "xtask contract --har <file> --format json --output <file>",
        "cores": std::thread::available_parallelism().map_or(1, usize::from),
        "peak_memory": "VmHWM of the checking process, read from /proc/<pid>/status every 10 ms while it runs",
        "sizes": sizes,
        "peak_growth_30000_over_1000": growth,
    }))
}

/// The HAR `har` with `n` entries: its own entries, repeated in turn. Written as a stream.
fn write_repeated(har: &Value, entries: &[String], n: usize, path: &Path) -> anyhow::Result<()> {
    let mut log = har["log"].clone();
    if let Some(log) = log.as_object_mut() {
        log.remove("entries");
        log.insert(
            "comment".into(),
            json!(format!(
                "The bench's 1,000-exchange HAR repeated to {n} exchanges."
            )),
        );
    }
    let head = serde_json::to_string(&log)?;
    let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    // `{"log": {<the log's other fields>, "entries": [...]}}`
    w.write_all(b"{\"log\":")?;
    w.write_all(&head.as_bytes()[..head.len() - 1])?;
    w.write_all(if head.len() > 2 {
        b",\"entries\":["
    } else {
        b"\"entries\":["
    })?;
    for i in 0..n {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(entries[i % entries.len()].as_bytes())?;
    }
    w.write_all(b"]}}")?;
    w.flush()?;
    Ok(())
}

struct Measured {
    wall_s: f64,
    peak_mb: Option<f64>,
    cpu_s: Option<f64>,
    exit_code: Option<i32>,
}

/// One run of `xtask contract` on `har`: wall time, and the peak resident set and CPU time of
/// the child as last read from `/proc` before it exited (`None` without `/proc`).
fn run_once(root: &Path, xtask: &Path, har: &Path, out: &Path) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let mut child = Command::new(xtask)
        .args(["contract", "--har"])
        .arg(har)
        .args(["--format", "json", "--output"])
        .arg(out)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", xtask.display()))?;
    let proc_dir = PathBuf::from(format!("/proc/{}", child.id()));
    let (mut peak_kb, mut cpu_ticks) = (None, None);
    let status = loop {
        if let Some(kb) = vm_hwm_kb(&proc_dir) {
            peak_kb = Some(kb);
        }
        if let Some(t) = cpu_ticks_of(&proc_dir) {
            cpu_ticks = Some(t);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(POLL);
    };
    let wall_s = started.elapsed().as_secs_f64();
    let code = status.code();
    if !matches!(code, Some(0 | 1)) {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        let err = err.lines().take(5).collect::<Vec<_>>().join(" | ");
        bail!(
            "`xtask contract` failed on {} (exit {code:?}): {err}",
            har.display()
        );
    }
    Ok(Measured {
        wall_s: super::round3(wall_s),
        peak_mb: peak_kb.map(|kb| super::round3(kb as f64 / 1024.0)),
        // USER_HZ is 100 on Linux.
        cpu_s: cpu_ticks.map(|t| t as f64 / 100.0),
        exit_code: code,
    })
}

/// `VmHWM` (peak resident set, kB) of a running process.
fn vm_hwm_kb(proc_dir: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(proc_dir.join("status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// User + system CPU time of a process in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
fn cpu_ticks_of(proc_dir: &Path) -> Option<u64> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    parse_cpu_ticks(&stat)
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The goal rows of issue #16 for `targets` (`met: null` when not measured).
pub fn targets(report: &Value) -> Vec<Value> {
    let Some(big) = report
        .pointer("/runtime/contract_big")
        .filter(|b| b["available"] == true)
    else {
        return Vec::new();
    };
    let goal = big["sizes"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["exchanges"] == GOAL_SIZE));
    let at = |pointer: &str| goal.and_then(|g| g.pointer(pointer)).and_then(Value::as_f64);
    let mb = goal
        .and_then(|g| g["har_bytes"].as_f64())
        .map_or(String::new(), |b| format!(" ({:.0} MB)", b / 1e6));
    vec![
        super::target(
            format!("contract check of a 30,000-exchange HAR{mb}, wall (debug build, issue #16)"),
            at("/wall_s/median"),
            MAX_WALL_S,
            "s",
        ),
        super::target(
            format!("contract check of a 30,000-exchange HAR{mb}, peak memory (issue #16)"),
            at("/peak_rss_mb/median"),
            MAX_PEAK_MB,
            "MB",
        ),
        super::target(
            "contract check peak memory, 30,000 / 1,000 exchanges (flat: does not grow with the exchanges)"
                .into(),
            big["peak_growth_30000_over_1000"].as_f64(),
            MAX_PEAK_GROWTH,
            "ratio",
        ),
    ]
}

/// The table's lines for the big captures.
pub fn table(t: &mut String, big: &Value) {
    use std::fmt::Write as _;
    if big["available"] != true {
        let _ = writeln!(
            t,
            "\n3b. Big captures: not available: {}",
            big["reason"].as_str().unwrap_or("?")
        );
        return;
    }
    let _ = writeln!(
        t,
        "\n3b. Big captures (the 1,000-exchange HAR repeated; {} cores; peak = VmHWM of the checking process; median [min–max] of {} runs)",
        big["cores"],
        big.pointer("/sizes/0/runs").unwrap_or(&Value::Null)
    );
    let _ = writeln!(
        t,
        "  {:>9} {:>8} {:>24} {:>24} {:>24}",
        "exchanges", "HAR MB", "wall s", "peak RSS MB", "CPU s"
    );
    for s in big["sizes"].as_array().into_iter().flatten() {
        let _ = writeln!(
            t,
            "  {:>9} {:>8.1} {:>24} {:>24} {:>24}",
            s["exchanges"].as_u64().unwrap_or(0),
            s["har_bytes"].as_f64().unwrap_or(0.0) / 1e6,
            super::stat(&s["wall_s"], 2),
            super::stat(&s["peak_rss_mb"], 0),
            super::stat(&s["cpu_s"], 1),
        );
    }
    let _ = writeln!(
        t,
        "  goals (issue #16): 30,000 exchanges in ≤ {MAX_WALL_S} s and ≤ {MAX_PEAK_MB} MB; peak 30,000 / 1,000 ≤ {MAX_PEAK_GROWTH} (is {})",
        big["peak_growth_30000_over_1000"]
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_parsing() {
        assert_eq!(
            parse_vm_hwm("Name:\txtask\nVmPeak:\t  900 kB\nVmHWM:\t   73412 kB\nVmRSS:\t 1 kB\n"),
            Some(73_412)
        );
        assert_eq!(parse_vm_hwm("Name: zombie\n"), None);
        let stat = "4242 (x task) R 1 2 3 4 5 6 7 8 9 10 250 37 0 0 20 0 3 0 100";
        assert_eq!(parse_cpu_ticks(stat), Some(287));
    }

    #[test]
    fn repeated_har_reads_back() {
        let dir = std::env::temp_dir().join(format!("xtask-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let har =
            json!({"log": {"version": "1.2", "creator": {"name": "b"}, "entries": [{"a": 1}, {"a": 2}]}});
        let entries: Vec<String> = har["log"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        let path = dir.join("r.har");
        write_repeated(&har, &entries, 5, &path).unwrap();
        let back: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(back["log"]["entries"].as_array().unwrap().len(), 5);
        assert_eq!(back["log"]["entries"][4], json!({"a": 1}));
        assert_eq!(back["log"]["version"], "1.2");
    }

    #[test]
    fn goals_against_a_report() {
        let report = json!({"runtime": {"contract_big": {
        "available": true, "cores": 2, "peak_growth_30000_over_1000": 1.02,
        "sizes": [
            {"exchanges": 1000, "har_bytes": 5.9e6, "wall_s": {"median": 0.7}, "peak_rss_mb": {"median": 71.0}},
            {"exchanges": 30000, "har_bytes": 1.777e8, "wall_s": {"median": 8.8}, "peak_rss_mb": {"median": 72.5}}
        ]}}});
        let rows = targets(&report);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["value"], 8.8);
        assert_eq!(rows[0]["met"], true);
        assert!(rows[0]["name"].as_str().unwrap().contains("(178 MB)"));
        assert_eq!(rows[1]["value"], 72.5);
        assert_eq!(rows[2]["met"], true);
        let mut t = String::new();
        table(&mut t, &report["runtime"]["contract_big"]);
        assert!(t.contains("30000"), "{t}");
        assert!(targets(&json!({"runtime": {}})).is_empty());
    }
}
