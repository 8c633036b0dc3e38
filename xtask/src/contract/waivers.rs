//! `spec/contract-waivers.yaml`: finding ids that may not fail the run, each with a reason and
//! an expiry date. A waiver past its date fails the run itself.
//!
//! ```yaml
//! - id: "undocumented_field:get_integrator:/data/legacy_flag"
//!   reason: Sent by the sandbox only; asked Kotani (ticket 123).
//!   expires: 2026-12-31
//! ```

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::schema::yaml_to_json;

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub id: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the waiver holds through that day (UTC).
    pub expires: String,
}

/// The waivers of a run, split by today's date.
#[derive(Debug, Default)]
pub struct WaiverSet {
    active: Vec<Waiver>,
    expired: Vec<Waiver>,
}

impl WaiverSet {
    /// Reads a waiver file. A missing file is an empty set only when `required` is false.
    pub fn load(path: &Path, display: &str, today: &str, required: bool) -> anyhow::Result<Self> {
        if !path.exists() && !required {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read waivers {display}"))?;
        let doc = yaml_to_json(&text).map_err(|e| anyhow!("{display}: not YAML: {e}"))?;
        Self::from_value(&doc, today).map_err(|e| anyhow!("{display}: {e}"))
    }

    pub fn from_value(doc: &Value, today: &str) -> anyhow::Result<Self> {
        let list = match doc {
            Value::Null => return Ok(Self::default()),
            Value::Array(list) => list,
            _ => bail!("a waiver file is a list of {{id, reason, expires}}"),
        };
        let mut set = Self::default();
        for (i, item) in list.iter().enumerate() {
            let field = |name: &str| -> anyhow::Result<String> {
                match item.get(name) {
                    Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                    _ => bail!("waiver {i}: `{name}` must be a non-empty string"),
                }
            };
            let waiver = Waiver {
                id: field("id")?,
                reason: field("reason")?,
                expires: field("expires")?,
            };
            if parse_date(&waiver.expires).is_none() {
                bail!(
                    "waiver {i} ({}): `expires` must be a date YYYY-MM-DD, got `{}`",
                    waiver.id,
                    waiver.expires
                );
            }
            if set.active.iter().chain(&set.expired).any(|w| w.id == waiver.id) {
                bail!("waiver {i}: `{}` is listed twice", waiver.id);
            }
            // ISO dates of the same shape compare as strings.
            if waiver.expires.as_str() < today {
                set.expired.push(waiver);
            } else {
                set.active.push(waiver);
            }
        }
        Ok(set)
    }

    /// The active waiver for a finding id.
    pub fn active(&self, id: &str) -> Option<&Waiver> {
        self.active.iter().find(|w| w.id == id)
    }

    pub fn active_all(&self) -> impl Iterator<Item = &Waiver> {
        self.active.iter()
    }

    pub fn expired(&self) -> impl Iterator<Item = &Waiver> {
        self.expired.iter()
    }
}

/// `YYYY-MM-DD` → (year, month, day), checked (leap years included).
pub fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    (1..=12).contains(&m).then_some(())?;
    (1..=days[m as usize - 1]).contains(&d).then_some(())?;
    Some((y, m, d))
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day) (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert!(parse_date(&today_utc()).is_some());
    }

    #[test]
    fn dates_are_checked() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-13-01").is_none());
        assert!(parse_date("2024-1-01").is_none());
    }

    #[test]
    fn splits_active_and_expired() {
        let doc = json!([
            {"id": "a:b:/c", "reason": "r", "expires": "2026-05-01"},
            {"id": "a:b:/d", "reason": "r", "expires": "2026-04-30"},
        ]);
        let set = WaiverSet::from_value(&doc, "2026-05-01").unwrap();
        assert!(set.active("a:b:/c").is_some(), "valid through its expiry day");
        assert!(set.active("a:b:/d").is_none());
        assert_eq!(set.expired().count(), 1);
        assert!(
            WaiverSet::from_value(
                &json!([{"id": "x", "reason": "r", "expires": "soon"}]),
                "2026-01-01"
            )
            .is_err()
        );
        assert!(WaiverSet::from_value(&json!([{"id": "x", "expires": "2026-01-01"}]), "2026-01-01").is_err());
        assert!(WaiverSet::from_value(&json!({"id": "x"}), "2026-01-01").is_err());
    }
}
