//! The report in its four formats: readable text (default), JSON, JUnit XML and Markdown.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::postman;
use super::report::{Finding, Kind, Report, Severity, Source};
use super::waivers::Waiver;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Junit,
    Markdown,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json_report(report)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Junit => junit(report),
        Format::Markdown => markdown(report),
    }
}

fn fail_on(report: &Report) -> Severity {
    report.fail_on.unwrap_or(Severity::Err)
}

fn summary_line(report: &Report) -> String {
    format!(
        "{} exchange(s), {} matched to {} operation(s); {} ERR, {} WARN, {} INFO, {} waived; fail on {} → {}",
        report.exchanges,
        report.matched,
        report.operations.len(),
        report.count(Severity::Err),
        report.count(Severity::Warn),
        report.count(Severity::Info),
        report.waived(),
        fail_on(report),
        report.verdict(),
    )
}

fn operation_title(f: &Finding) -> String {
    match &f.operation_id {
        Some(id) => format!("{id} ({}) {} {}", f.family.unwrap_or("-"), f.method, f.path),
        None => "unmatched requests".to_owned(),
    }
}

fn status_text(status: Option<u16>) -> String {
    status.map_or_else(|| "-".to_owned(), |s| s.to_string())
}

fn waiver_note(f: &Finding) -> String {
    f.waiver
        .as_ref()
        .map(|w| format!(" [waived until {}: {}]", w.expires, w.reason))
        .unwrap_or_default()
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "contract ({}): {}", report.mode, report.inputs.join(", "));
    for (_, group) in report.by_operation() {
        let first = group[0];
        let _ = writeln!(out, "\n{:<4} {}", first.severity, operation_title(first));
        for f in group {
            let times = if f.count > 1 {
                format!(" (×{})", f.count)
            } else {
                String::new()
            };
            let at = if f.pointer.is_empty() {
                "/".to_owned()
            } else {
                f.pointer.clone()
            };
            let _ = writeln!(
                out,
                "  {:<4} {:<19} {:>3} {at}: {}{times}{}",
                f.severity,
                f.kind.name(),
                status_text(f.status),
                f.message,
                waiver_note(f)
            );
            let _ = writeln!(out, "       id {}  (first seen: {})", f.id, source_text(f));
        }
    }
    write_waivers_text(
        &mut out,
        &report.expired_waivers,
        "EXPIRED waivers (they fail the run; renew or remove them):",
    );
    write_waivers_text(
        &mut out,
        &report.unused_waivers,
        "Unused waivers (no such finding in this run):",
    );
    let not_reads = report.skipped.iter().filter(|s| s.kind == "side_effects").count();
    let others: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.kind != "side_effects")
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "\nNot called ({}):", others.len());
        for s in others {
            let _ = writeln!(out, "  {} ({}): {}", s.operation_id, s.family, s.reason);
        }
    }
    if not_reads > 0 {
        let _ = writeln!(
            out,
            "\n{not_reads} operation(s) not called: not reads (writes run only with --allow-writes; see the JSON report)"
        );
    }
    if !report.transport_errors.is_empty() {
        let _ = writeln!(out, "\nUnreachable ({}):", report.transport_errors.len());
        for e in &report.transport_errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    let stats = varying_fields(report);
    if !stats.is_empty() {
        let _ = writeln!(out, "\nFields whose presence varied (present / null / absent):");
        for (op, status, samples, rows) in stats {
            let _ = writeln!(out, "  {op} {status} ({samples} bodies)");
            for (ptr, p) in rows {
                let _ = writeln!(out, "    {ptr:<40} {} / {} / {}", p.present, p.null, p.absent);
            }
        }
    }
    if report.bodies_missing > 0 {
        let _ = writeln!(
            out,
            "\n{} exchange(s) carried no response body to check.",
            report.bodies_missing
        );
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for note in &report.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

fn write_waivers_text(out: &mut String, waivers: &[Waiver], title: &str) {
    if waivers.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}");
    for w in waivers {
        let _ = writeln!(out, "  {} (expires {}): {}", w.id, w.expires, w.reason);
    }
}

/// Where a finding was first seen: `capture.har #4`, or for a Postman example
/// `kotani.postman_collection.json #3 (Kotani › Wallets › List wallets › example "200 OK")`.
pub fn source_name(s: &Source) -> String {
    match &s.postman {
        Some(origin) => format!("{} #{} ({})", s.file, s.entry, postman::origin_text(origin)),
        None => format!("{} #{}", s.file, s.entry),
    }
}

fn source_text(f: &Finding) -> String {
    let mut out = source_name(&f.first_seen);
    if !f.instance.is_empty() && f.instance != f.pointer {
        out.push_str(&format!(" at {}", f.instance));
    }
    out
}

/// Per operation and status, the fields whose presence varied: seen in at least two of the
/// states present / null / absent (the full table is in the JSON report).
type VaryingRows<'a> = Vec<(&'a str, u16, usize, Vec<(&'a str, super::report::Presence)>)>;

fn varying_fields(report: &Report) -> VaryingRows<'_> {
    report
        .presence
        .iter()
        .filter_map(|((op, status), table)| {
            let rows: Vec<_> = table
                .fields
                .iter()
                .filter(|(_, p)| [p.present, p.null, p.absent].iter().filter(|n| **n > 0).count() >= 2)
                .map(|(ptr, p)| (ptr.as_str(), *p))
                .collect();
            (!rows.is_empty()).then_some((op.as_str(), *status, table.samples, rows))
        })
        .collect()
}

/// `{"file", "entry", "comment"}`, and for a Postman example also `collection`, `folders` (the
/// folder names from the top), `request` and `example`.
fn source_json(s: &Source) -> Value {
    let mut v = json!({"file": s.file, "entry": s.entry, "comment": s.comment});
    if let Some(o) = &s.postman {
        v["collection"] = json!(o.collection);
        v["folders"] = json!(o.folders);
        v["request"] = json!(o.request);
        v["example"] = json!(o.example);
    }
    v
}

fn waiver_json(w: &Waiver) -> Value {
    json!({"id": w.id, "reason": w.reason, "expires": w.expires})
}

/// The JSON report (shape documented in `xtask/README.md`).
pub fn json_report(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "kind": f.kind.name(),
                "severity": f.severity.as_str(),
                "operation_id": f.operation_id,
                "family": f.family,
                "method": f.method,
                "path": f.path,
                "status": f.status,
                "pointer": f.pointer,
                "instance": f.instance,
                "message": f.message,
                "count": f.count,
                "fails": f.fails(fail_on(report)),
                "waiver": f.waiver.as_ref().map(waiver_json),
                "first_seen": source_json(&f.first_seen),
            })
        })
        .collect();
    let presence: Vec<Value> = report
        .presence
        .iter()
        .map(|((op, status), table)| {
            let fields: serde_json::Map<String, Value> = table
                .fields
                .iter()
                .map(|(ptr, p)| {
                    (
                        ptr.clone(),
                        json!({"present": p.present, "null": p.null, "absent": p.absent}),
                    )
                })
                .collect();
            json!({"operation_id": op, "status": status, "samples": table.samples, "fields": fields})
        })
        .collect();
    let by_severity = |s| report.count(s);
    json!({
        "version": 1,
        "mode": report.mode,
        "inputs": report.inputs,
        "fail_on": fail_on(report).as_str(),
        "verdict": report.verdict(),
        "exit_code": report.exit_code(),
        "summary": {
            "exchanges": report.exchanges,
            "matched": report.matched,
            "operations": report.operations.len(),
            "bodies_missing": report.bodies_missing,
            "findings": {"ERR": by_severity(Severity::Err), "WARN": by_severity(Severity::Warn), "INFO": by_severity(Severity::Info)},
            "failing": report.failing().count(),
            "waived": report.waived(),
        },
        "findings": findings,
        "expired_waivers": report.expired_waivers.iter().map(waiver_json).collect::<Vec<_>>(),
        "unused_waivers": report.unused_waivers.iter().map(waiver_json).collect::<Vec<_>>(),
        "presence": presence,
        "skipped": report.skipped.iter().map(|s| json!({"operation_id": s.operation_id, "family": s.family, "kind": s.kind, "reason": s.reason})).collect::<Vec<_>>(),
        "transport_errors": report.transport_errors,
        "notes": report.notes,
    })
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `<testcase>` per operation seen (failed by its failing findings), one for
/// unmatched requests, one for expired waivers.
fn junit(report: &Report) -> String {
    let level = fail_on(report);
    let mut cases: Vec<(String, String, Vec<&Finding>)> = report
        .operations
        .keys()
        .map(|(family, id)| {
            let findings = report
                .findings
                .iter()
                .filter(|f| f.operation_id.as_deref() == Some(id) && f.family == Some(family.as_str()))
                .collect();
            (family.clone(), id.clone(), findings)
        })
        .collect();
    let unmatched: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.kind == Kind::UnmatchedRequest)
        .collect();
    if !unmatched.is_empty() {
        cases.push(("unmatched".into(), "unmatched_requests".into(), unmatched));
    }
    let failures = cases
        .iter()
        .filter(|(_, _, fs)| fs.iter().any(|f| f.fails(level)))
        .count()
        + usize::from(!report.expired_waivers.is_empty());
    let tests = cases.len() + usize::from(!report.expired_waivers.is_empty());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"contract\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"contract ({})\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">",
        xml_escape(report.mode)
    );
    for (family, id, findings) in &cases {
        let _ = write!(
            out,
            "    <testcase classname=\"contract.{}\" name=\"{}\">",
            xml_escape(family),
            xml_escape(id)
        );
        let failing: Vec<&&Finding> = findings.iter().filter(|f| f.fails(level)).collect();
        let other: Vec<&&Finding> = findings.iter().filter(|f| !f.fails(level)).collect();
        if failing.is_empty() && other.is_empty() {
            out.push_str("</testcase>\n");
            continue;
        }
        out.push('\n');
        if !failing.is_empty() {
            let body: Vec<String> = failing.iter().map(|f| finding_line(f)).collect();
            let _ = writeln!(
                out,
                "      <failure message=\"{} finding(s) at or above {level}\" type=\"{}\">{}</failure>",
                failing.len(),
                failing[0].kind.name(),
                xml_escape(&body.join("\n"))
            );
        }
        if !other.is_empty() {
            let body: Vec<String> = other.iter().map(|f| finding_line(f)).collect();
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml_escape(&body.join("\n"))
            );
        }
        out.push_str("    </testcase>\n");
    }
    if !report.notes.is_empty() {
        let _ = writeln!(
            out,
            "    <system-out>{}</system-out>",
            xml_escape(&report.notes.join("\n"))
        );
    }
    if !report.expired_waivers.is_empty() {
        let body: Vec<String> = report
            .expired_waivers
            .iter()
            .map(|w| format!("{} expired {}: {}", w.id, w.expires, w.reason))
            .collect();
        let _ = writeln!(
            out,
            "    <testcase classname=\"contract.waivers\" name=\"expired_waivers\">\n      <failure message=\"{} expired waiver(s)\" type=\"expired_waiver\">{}</failure>\n    </testcase>",
            report.expired_waivers.len(),
            xml_escape(&body.join("\n"))
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn finding_line(f: &Finding) -> String {
    format!(
        "{} {} status {} {}: {} (id {}; first seen: {}){}",
        f.severity,
        f.kind.name(),
        status_text(f.status),
        if f.pointer.is_empty() { "/" } else { &f.pointer },
        f.message,
        f.id,
        source_name(&f.first_seen),
        waiver_note(f)
    )
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown for a pull-request comment: a verdict line, a findings table, waivers, presence.
fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let icon = match report.exit_code() {
        0 => "✅",
        1 => "❌",
        _ => "⚠️",
    };
    let _ = writeln!(
        out,
        "### {icon} Contract check ({}): {}\n",
        report.mode,
        report.verdict()
    );
    let _ = writeln!(out, "{}\n", summary_line(report));
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str("| severity | kind | operation | status | pointer | message | count | first seen |\n");
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for f in &report.findings {
            let sev = if f.waiver.is_some() {
                format!("{} (waived)", f.severity)
            } else {
                f.severity.to_string()
            };
            let op = f
                .operation_id
                .as_deref()
                .map(|id| format!("`{id}`"))
                .unwrap_or_else(|| format!("`{} {}`", f.method, f.path));
            let _ = writeln!(
                out,
                "| {sev} | `{}` | {op} | {} | `{}` | {} | {} | {} |",
                f.kind.name(),
                status_text(f.status),
                md_cell(if f.pointer.is_empty() { "/" } else { &f.pointer }),
                md_cell(&f.message),
                f.count,
                md_cell(&source_name(&f.first_seen))
            );
        }
    }
    if !report.notes.is_empty() {
        out.push_str("\n**Notes**\n\n");
        for note in &report.notes {
            let _ = writeln!(out, "- {}", md_cell(note));
        }
    }
    if !report.expired_waivers.is_empty() {
        out.push_str("\n**Expired waivers** (they fail the run):\n\n");
        for w in &report.expired_waivers {
            let _ = writeln!(out, "- `{}` expired {}: {}", w.id, w.expires, md_cell(&w.reason));
        }
    }
    let stats = varying_fields(report);
    if !stats.is_empty() {
        out.push_str("\n<details><summary>Fields whose presence varied</summary>\n\n");
        out.push_str("| operation | status | field | present | null | absent |\n|---|---|---|---|---|---|\n");
        for (op, status, _, rows) in stats {
            for (ptr, p) in rows {
                let _ = writeln!(
                    out,
                    "| `{op}` | {status} | `{}` | {} | {} | {} |",
                    md_cell(ptr),
                    p.present,
                    p.null,
                    p.absent
                );
            }
        }
        out.push_str("\n</details>\n");
    }
    out
}
