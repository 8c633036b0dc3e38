//! Findings, their kinds and severities, and the report they are gathered in.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use super::waivers::{Waiver, WaiverSet};

/// How bad a finding is. Ordered: `Info < Warn < Err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warn,
    Err,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Err => "ERR",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "ERR" | "ERROR" => Ok(Severity::Err),
            "WARN" | "WARNING" => Ok(Severity::Warn),
            "INFO" => Ok(Severity::Info),
            other => Err(format!("unknown severity `{other}` (ERR, WARN or INFO)")),
        }
    }
}

/// The kind of a finding; [`Kind::name`] is its fixed name in every output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    UnmatchedRequest,
    UndocumentedStatus,
    /// A 2xx the operation does not list: still checked against its success schema.
    UndocumentedSuccessStatus,
    ContentType,
    SchemaViolation,
    MissingRequired,
    UndocumentedField,
    UnknownEnumValue,
    DecodeFailure,
    InferredConfirmed,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::UnmatchedRequest,
        Kind::UndocumentedStatus,
        Kind::UndocumentedSuccessStatus,
        Kind::ContentType,
        Kind::SchemaViolation,
        Kind::MissingRequired,
        Kind::UndocumentedField,
        Kind::UnknownEnumValue,
        Kind::DecodeFailure,
        Kind::InferredConfirmed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::UnmatchedRequest => "unmatched_request",
            Kind::UndocumentedStatus => "undocumented_status",
            Kind::UndocumentedSuccessStatus => "undocumented_success_status",
            Kind::ContentType => "content_type",
            Kind::SchemaViolation => "schema_violation",
            Kind::MissingRequired => "missing_required",
            Kind::UndocumentedField => "undocumented_field",
            Kind::UnknownEnumValue => "unknown_enum_value",
            Kind::DecodeFailure => "decode_failure",
            Kind::InferredConfirmed => "inferred_confirmed",
        }
    }

    /// The documented default severity of each kind.
    pub fn default_severity(self) -> Severity {
        match self {
            Kind::SchemaViolation
            | Kind::MissingRequired
            | Kind::DecodeFailure
            | Kind::UndocumentedStatus => Severity::Err,
            Kind::UnmatchedRequest
            | Kind::UndocumentedSuccessStatus
            | Kind::ContentType
            | Kind::UndocumentedField
            | Kind::UnknownEnumValue => Severity::Warn,
            Kind::InferredConfirmed => Severity::Info,
        }
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown finding kind `{s}`"))
    }
}

/// Where an exchange came from: a HAR file and entry, a saved example of a Postman collection,
/// or a live call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    /// Index of the entry in the HAR file (0-based), of the saved example in the collection (in
    /// document order, 0-based), or of the call in a live run.
    pub entry: usize,
    /// The HAR entry's `comment` (provenance), if any.
    pub comment: Option<String>,
    /// A Postman example: its collection, folders, request and example names.
    pub postman: Option<Box<PostmanOrigin>>,
}

impl Source {
    /// A HAR entry (or a live call).
    pub fn entry(file: &str, entry: usize, comment: Option<String>) -> Self {
        Self {
            file: file.to_owned(),
            entry,
            comment,
            postman: None,
        }
    }
}

/// Where in a Postman collection a saved example is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostmanOrigin {
    /// The collection's `info.name`.
    pub collection: String,
    /// The folders from the top, outermost first.
    pub folders: Vec<String>,
    /// The request (item) name.
    pub request: String,
    /// The saved example (response) name.
    pub example: String,
}

/// One occurrence of a problem in one exchange, before aggregation.
#[derive(Debug, Clone)]
pub struct Observation {
    pub kind: Kind,
    pub family: Option<&'static str>,
    pub operation_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    /// Normalised pointer (array indices and map keys as `*`): part of the finding id.
    pub pointer: String,
    /// The concrete pointer of this occurrence (`/data/3/status`).
    pub instance: String,
    pub message: String,
    pub source: Source,
}

/// A finding: all observations with the same id, aggregated.
#[derive(Debug, Clone)]
pub struct Finding {
    pub id: String,
    pub kind: Kind,
    pub severity: Severity,
    pub family: Option<&'static str>,
    pub operation_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    pub pointer: String,
    pub instance: String,
    pub message: String,
    /// How many times it was observed.
    pub count: usize,
    pub first_seen: Source,
    /// The waiver that covers it, if one is active.
    pub waiver: Option<Waiver>,
}

impl Finding {
    /// Counts against `--fail-on`: at or above the level and not waived.
    pub fn fails(&self, fail_on: Severity) -> bool {
        self.severity >= fail_on && self.waiver.is_none()
    }
}

/// The stable id of a finding: `kind:operation_id:pointer` (`-` for no operation).
pub fn finding_id(kind: Kind, operation_id: Option<&str>, pointer: &str) -> String {
    format!("{}:{}:{}", kind.name(), operation_id.unwrap_or("-"), pointer)
}

/// Present / null / absent counts of one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presence {
    pub present: usize,
    pub null: usize,
    pub absent: usize,
}

/// Presence statistics of one operation and status.
#[derive(Debug, Clone, Default)]
pub struct PresenceTable {
    /// Number of bodies seen.
    pub samples: usize,
    /// Normalised pointer → counts.
    pub fields: BTreeMap<String, Presence>,
}

/// An operation the live run did not call, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub operation_id: String,
    pub family: &'static str,
    /// `side_effects` (not a read; writes need `--allow-writes`), `no_value` (a parameter no
    /// response supplied) or `unreachable`.
    pub kind: &'static str,
    pub reason: String,
}

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct Report {
    pub mode: &'static str,
    pub inputs: Vec<String>,
    pub fail_on: Option<Severity>,
    pub exchanges: usize,
    pub matched: usize,
    pub bodies_missing: usize,
    pub findings: Vec<Finding>,
    /// Keyed by (operation id, status).
    pub presence: BTreeMap<(String, u16), PresenceTable>,
    /// Operations seen: (family, operation id) → (method, path template).
    pub operations: BTreeMap<(String, String), (String, String)>,
    pub expired_waivers: Vec<Waiver>,
    pub unused_waivers: Vec<Waiver>,
    pub skipped: Vec<Skipped>,
    /// Live calls that got no HTTP response (the target was unreachable).
    pub transport_errors: Vec<String>,
    /// What the report should say about its inputs: a collection without saved responses, a
    /// Postman host variable that was not set, ...
    pub notes: Vec<String>,
}

impl Report {
    /// Aggregates observations into findings (by id), applies severities and waivers, and orders
    /// them: most severe first, then by operation and id. The first observation of an id (in the
    /// order given) is the one the finding shows.
    #[cfg(test)]
    pub fn add_observations(
        &mut self,
        observations: Vec<Observation>,
        severities: &HashMap<Kind, Severity>,
        waivers: &WaiverSet,
    ) {
        let mut by_id: BTreeMap<String, (Observation, usize)> = BTreeMap::new();
        for o in observations {
            let id = finding_id(o.kind, o.operation_id.as_deref(), &o.pointer);
            by_id.entry(id).or_insert((o, 0)).1 += 1;
        }
        self.add_aggregated(by_id, severities, waivers);
    }

    /// Adds findings already aggregated by id (finding id → its first observation and how many
    /// times it was observed), applies severities and waivers, and orders them: most severe
    /// first, then by operation and id.
    pub fn add_aggregated(
        &mut self,
        by_id: BTreeMap<String, (Observation, usize)>,
        severities: &HashMap<Kind, Severity>,
        waivers: &WaiverSet,
    ) {
        for (id, (o, count)) in by_id {
            let severity = severities
                .get(&o.kind)
                .copied()
                .unwrap_or_else(|| o.kind.default_severity());
            self.findings.push(Finding {
                waiver: waivers.active(&id).cloned(),
                id,
                kind: o.kind,
                severity,
                family: o.family,
                operation_id: o.operation_id,
                method: o.method,
                path: o.path,
                status: o.status,
                pointer: o.pointer,
                instance: o.instance,
                message: o.message,
                count,
                first_seen: o.source,
            });
        }
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.operation_id.cmp(&b.operation_id))
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.id.cmp(&b.id))
        });
        let ids: Vec<&str> = self.findings.iter().map(|f| f.id.as_str()).collect();
        self.expired_waivers = waivers.expired().cloned().collect();
        self.unused_waivers = waivers
            .active_all()
            .filter(|w| !ids.contains(&w.id.as_str()))
            .cloned()
            .collect();
    }

    /// Findings that fail the run.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        let level = self.fail_on.unwrap_or(Severity::Err);
        self.findings.iter().filter(move |f| f.fails(level))
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    pub fn waived(&self) -> usize {
        self.findings.iter().filter(|f| f.waiver.is_some()).count()
    }

    /// 1 when drift fails the run (a failing finding or an expired waiver), 3 when the live
    /// target could not be reached and nothing failed, else 0. (2, tool errors, never gets here.)
    pub fn exit_code(&self) -> u8 {
        if self.failing().next().is_some() || !self.expired_waivers.is_empty() {
            1
        } else if !self.transport_errors.is_empty() {
            3
        } else {
            0
        }
    }

    pub fn verdict(&self) -> &'static str {
        match self.exit_code() {
            0 => "pass",
            1 => "fail",
            _ => "inconclusive",
        }
    }

    /// Findings grouped by operation (`None`: unmatched requests), groups ordered by their most
    /// severe finding.
    pub fn by_operation(&self) -> Vec<(Option<&str>, Vec<&Finding>)> {
        let mut groups: Vec<(Option<&str>, Vec<&Finding>)> = Vec::new();
        for f in &self.findings {
            let key = f.operation_id.as_deref();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(f),
                None => groups.push((key, vec![f])),
            }
        }
        // Findings are sorted most severe first, so groups already are too.
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(kind: Kind, pointer: &str) -> Observation {
        Observation {
            kind,
            family: Some("v3"),
            operation_id: Some("get_x".into()),
            method: "GET".into(),
            path: "/x".into(),
            status: Some(200),
            pointer: pointer.into(),
            instance: pointer.replace('*', "0"),
            message: "m".into(),
            source: Source::entry("f", 0, None),
        }
    }

    #[test]
    fn aggregates_by_id_and_orders_by_severity() {
        let mut r = Report::default();
        r.add_observations(
            vec![
                obs(Kind::UndocumentedField, "/data/*/a"),
                obs(Kind::UndocumentedField, "/data/*/a"),
                obs(Kind::SchemaViolation, "/data/*/b"),
            ],
            &HashMap::new(),
            &WaiverSet::default(),
        );
        assert_eq!(r.findings.len(), 2);
        assert_eq!(r.findings[0].id, "schema_violation:get_x:/data/*/b");
        assert_eq!(r.findings[1].count, 2);
        assert_eq!(r.exit_code(), 1);
        r.fail_on = Some(Severity::Err);
        r.findings.remove(0);
        assert_eq!(r.exit_code(), 0);
    }

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>().unwrap(), k);
        }
        assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warn);
        assert!("fatal".parse::<Severity>().is_err());
    }
}
