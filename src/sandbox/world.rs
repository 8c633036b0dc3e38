//! The sandbox's state: the clock, the scheduled jobs, the families' records, the webhook
//! deliveries waiting to be sent, and the helpers every family's handlers use to answer.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::deliver::{Delivery, Outgoing};
use super::{Config, merchant, v3};
use crate::meta::{Family, OperationMeta};

/// A request as a family's handler sees it.
pub(crate) struct Req<'a> {
    /// The operation the path and method matched.
    pub op: &'static OperationMeta,
    /// Path parameters by their spec names (percent-decoded).
    pub path: HashMap<String, String>,
    /// Query parameters in order (percent-decoded; `+` is a space).
    pub query: Vec<(String, String)>,
    /// Request headers, names lower case.
    pub headers: &'a http::HeaderMap,
    /// The credential the family's header carried (without `Bearer `), if any.
    pub credential: Option<String>,
    /// The body parsed as JSON (`Null` when there was none).
    pub json: Value,
    /// The raw body.
    pub raw: &'a [u8],
}

impl Req<'_> {
    /// A path parameter (empty when absent, which routing rules out).
    pub fn param(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or("")
    }

    /// The first query parameter of that name.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A string field of the JSON body.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.json.get(field).and_then(Value::as_str)
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the sandbox answers.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
    /// Commit, then close the connection without answering (the response is lost).
    pub drop_response: bool,
    /// Wall time to wait before answering (a slow provider).
    pub delay: Duration,
}

impl Reply {
    /// A reply with `status` and `body`.
    pub fn new(status: u16, body: Value) -> Self {
        Reply {
            status,
            body,
            drop_response: false,
            delay: Duration::ZERO,
        }
    }

    /// The same reply, sent after `delay` of wall time (the state changes at once).
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The same reply, lost on the way back: the connection closes after the state changed.
    pub fn lost(mut self) -> Self {
        self.drop_response = true;
        self
    }
}

/// The error body of `family` for `status`: v3 `{success, message, error_code, data}`, merchant
/// FastAPI `{detail}`.
pub(crate) fn error(family: Family, status: u16, message: &str) -> Reply {
    match family {
        Family::V3 => Reply::new(
            status,
            json!({"success": false, "message": message, "error_code": status, "data": {}}),
        ),
        Family::Merchant => Reply::new(status, json!({"detail": message})),
    }
}

/// A v3 400 validation failure: `message` "Validation failed: a, b" and `data.errors`.
pub(crate) fn v3_validation(errors: &[String]) -> Reply {
    Reply::new(
        400,
        json!({
            "success": false,
            "message": format!("Validation failed: {}", errors.join(", ")),
            "error_code": 400,
            "data": {"errors": errors},
        }),
    )
}

/// A merchant 422 (FastAPI `HTTPValidationError`): one issue per `(location, message, type)`.
pub(crate) fn merchant_validation(issues: &[(Vec<Value>, String, &str)]) -> Reply {
    let detail: Vec<Value> = issues
        .iter()
        .map(|(loc, msg, kind)| json!({"type": kind, "loc": loc, "msg": msg}))
        .collect();
    Reply::new(422, json!({"detail": detail}))
}

/// A v3 success: `{success: true, message, data}`, with the status the spec documents.
pub(crate) fn v3_ok(req: &Req<'_>, message: &str, data: Value) -> Reply {
    Reply::new(
        req.op.success_status,
        json!({"success": true, "message": message, "data": data}),
    )
}

/// A merchant success: `{data, message, status: "success"}`, with the status the spec documents.
pub(crate) fn merchant_ok(req: &Req<'_>, message: &str, data: Value) -> Reply {
    Reply::new(
        req.op.success_status,
        json!({"data": data, "message": message, "status": "success"}),
    )
}

/// A scheduled piece of work.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// A v3 state change (a status moving on, a reconciliation pass).
    V3(v3::Job),
    /// A merchant state change.
    Merchant(merchant::Job),
    /// A webhook delivery attempt (index into the delivery log).
    Deliver(usize),
}

/// The whole state of one sandbox.
pub(crate) struct World {
    /// Virtual time, milliseconds since the Unix epoch.
    now_ms: i64,
    /// The seeded generator every id and key comes from.
    pub rng: fastrand::Rng,
    seq: u64,
    queue: BTreeMap<(i64, u64), Job>,
    /// v3 records.
    pub v3: v3::State,
    /// Merchant records.
    pub merchant: merchant::State,
    /// Every delivery made or planned, in the order it was created.
    pub deliveries: Vec<Delivery>,
    /// Deliveries whose attempt is due now, to be sent outside the lock.
    pub(crate) sending: Vec<usize>,
    /// The options the sandbox was built with.
    pub config: Config,
    /// Responses the sandbox wrote that its own spec types do not decode (a sandbox bug).
    pub violations: Vec<String>,
    /// Every credential and secret the sandbox issued or was given, scrubbed from its HAR.
    pub secrets: Vec<String>,
}

impl World {
    pub(crate) fn new(config: Config) -> Self {
        let now_ms = config
            .start_time
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let v3 = v3::State::new(&mut rng, &config);
        let merchant = merchant::State::new(&mut rng, &config);
        let secrets = [
            Some(config.v3_api_key.clone()),
            Some(config.merchant_api_key.clone()),
            config.webhook_secret.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        World {
            now_ms,
            rng,
            seq: 0,
            queue: BTreeMap::new(),
            v3,
            merchant,
            deliveries: Vec::new(),
            sending: Vec::new(),
            config,
            violations: Vec::new(),
            secrets,
        }
    }

    /// Remembers `s` as a secret (an issued key, token or signing secret) and returns it: the
    /// HAR never shows it.
    pub fn secret(&mut self, s: String) -> String {
        if !self.secrets.contains(&s) {
            self.secrets.push(s.clone());
        }
        s
    }

    /// Virtual now.
    pub fn now(&self) -> SystemTime {
        if self.now_ms >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.now_ms as u64)
        } else {
            UNIX_EPOCH
        }
    }

    /// Virtual now in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Virtual now as RFC 3339 (`2026-12-01T10:00:00.000Z`), as Node writes dates.
    pub fn timestamp(&self) -> String {
        format_ms(self.now_ms)
    }

    /// Runs `job` when the clock reaches now + `after`.
    pub fn schedule(&mut self, after: Duration, job: Job) {
        self.seq += 1;
        let at = self.now_ms + after.as_millis() as i64;
        self.queue.insert((at, self.seq), job);
    }

    /// A fresh UUID (v4 layout) from the seeded generator.
    pub fn uuid(&mut self) -> String {
        let mut b = [0u8; 16];
        for x in &mut b {
            *x = self.rng.u8(..);
        }
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        uuid::Uuid::from_bytes(b).to_string()
    }

    /// `n` lowercase hex digits from the seeded generator (ids like Mongo's).
    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.rng.u32(..16), 16).unwrap_or('0'))
            .collect()
    }

    /// Queues a webhook delivery; its first attempt runs after `after`.
    pub fn deliver(&mut self, out: Outgoing, after: Duration) -> usize {
        let id = self.deliveries.len();
        self.deliveries.push(Delivery::new(id, out, self.now()));
        self.schedule(after, Job::Deliver(id));
        id
    }

    /// The next job due at or before `until_ms`, with the clock moved to its time.
    pub(crate) fn pop_due(&mut self, until_ms: i64) -> Option<Job> {
        let (&key, _) = self.queue.iter().next()?;
        if key.0 > until_ms {
            return None;
        }
        let job = self.queue.remove(&key)?;
        if key.0 > self.now_ms {
            self.now_ms = key.0;
        }
        Some(job)
    }

    /// Moves the clock to `to_ms` (never backwards).
    pub(crate) fn set_now(&mut self, to_ms: i64) {
        if to_ms > self.now_ms {
            self.now_ms = to_ms;
        }
    }

    /// Runs one job.
    pub(crate) fn run(&mut self, job: Job) {
        match job {
            Job::V3(j) => v3::run(self, j),
            Job::Merchant(j) => merchant::run(self, j),
            Job::Deliver(id) => self.sending.push(id),
        }
    }
}

/// Milliseconds since the epoch as RFC 3339 with milliseconds and `Z`.
pub(crate) fn format_ms(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    let base = crate::time::format_rfc3339(t);
    // `format_rfc3339` writes whole seconds (`...:00Z`); add the milliseconds as Date does.
    match base.strip_suffix('Z') {
        Some(s) => format!("{s}.{:03}Z", ms.rem_euclid(1000)),
        None => base,
    }
}
