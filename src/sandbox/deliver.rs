//! Webhook deliveries: what the sandbox sends, every attempt, and the retry plans of each family.

use std::time::{Duration, SystemTime};

use crate::meta::Family;

/// How long a v3 delivery waits for the receiver's answer (Kotani documents none; ours).
pub(crate) const V3_TIMEOUT: Duration = Duration::from_secs(10);

/// A delivery as a family's handler builds it.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub family: Family,
    pub url: String,
    pub event: String,
    pub reference: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long an attempt waits for the receiver (merchant: the webhook's `timeout_seconds`).
    pub timeout: Duration,
}

/// One attempt to deliver a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// When it was made (sandbox clock).
    pub at: SystemTime,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed without a status (connection refused, timeout).
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryState {
    /// Not attempted yet (it is due later on the sandbox clock).
    Scheduled,
    /// Answered 2xx.
    Delivered,
    /// Failed; another attempt is scheduled.
    Retrying,
    /// Failed for good: the retry plan ran out, or (merchant) the receiver answered 4xx.
    GaveUp,
}

/// A webhook the sandbox sent or will send, with every attempt (`Sandbox::deliveries`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// Its index in `Sandbox::deliveries()`.
    pub id: usize,
    /// The family that sends it.
    pub family: Family,
    /// Where it goes.
    pub url: String,
    /// The event name (`transaction.deposit.status.updated`, `checkout.paid`); for a v3 direct
    /// callback (no webhook secret) the event it stands for, though the body carries none.
    pub event: String,
    /// The transaction's reference (v3) or the object's id (merchant), when it has one.
    pub reference: Option<String>,
    /// The headers sent, in order.
    pub headers: Vec<(String, String)>,
    /// The body sent, byte for byte.
    pub body: Vec<u8>,
    /// When it was created (sandbox clock).
    pub created: SystemTime,
    /// How long each attempt waits for the receiver's answer (wall time): merchant, the
    /// webhook's `timeout_seconds`; v3, 10 s (Kotani documents none).
    pub timeout: Duration,
    /// Every attempt so far.
    pub attempts: Vec<Attempt>,
    /// Where it stands.
    pub state: DeliveryState,
}

impl Delivery {
    pub(crate) fn new(id: usize, out: Outgoing, created: SystemTime) -> Self {
        Delivery {
            id,
            family: out.family,
            url: out.url,
            event: out.event,
            reference: out.reference,
            headers: out.headers,
            body: out.body,
            created,
            timeout: out.timeout,
            attempts: Vec::new(),
            state: DeliveryState::Scheduled,
        }
    }

    /// The body as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The headers as an `http::HeaderMap`, to hand to a verifier.
    pub fn header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in &self.headers {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                http::HeaderValue::from_str(v),
            ) {
                map.append(k, v);
            }
        }
        map
    }

    /// The body as the status the delivery reports (`data.status`, or `status` of a bare
    /// callback), when it has one.
    pub fn status(&self) -> Option<String> {
        let v = self.json()?;
        let s = v
            .pointer("/data/status")
            .or_else(|| v.get("status"))
            .and_then(serde_json::Value::as_str)?;
        Some(s.to_string())
    }
}

/// When the next attempt after `failed` failed attempts runs, per the family's documented plan;
/// `None` when the plan has run out. `client_error` is a 4xx answer.
///
/// - v3 (Kotani's webhooks page): non-2xx or no answer is retried with exponential back-off,
///   up to roughly every 2 hours, for at most 24 hours: 1 min, 2, 4, ... capped at 2 h.
/// - merchant (KutanaPay's guide): 5 min, 30 min, 6 h; a 4xx is permanent.
pub(crate) fn next_retry(
    family: Family,
    failed: usize,
    since_first: Duration,
    client_error: bool,
) -> Option<Duration> {
    match family {
        Family::V3 => {
            let step = Duration::from_secs(60u64.saturating_mul(1u64 << (failed - 1).min(7)))
                .min(Duration::from_secs(2 * 3600));
            (since_first + step <= Duration::from_secs(24 * 3600)).then_some(step)
        }
        Family::Merchant => {
            if client_error {
                return None;
            }
            [5 * 60, 30 * 60, 6 * 3600]
                .get(failed - 1)
                .map(|s| Duration::from_secs(*s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_plans() {
        let v3: Vec<u64> = (1..)
            .map_while(|n| next_retry(Family::V3, n, Duration::from_secs(0), false).map(|d| d.as_secs()))
            .take(10)
            .collect();
        assert_eq!(&v3[..8], &[60, 120, 240, 480, 960, 1920, 3840, 7200]);
        assert_eq!(
            next_retry(Family::V3, 3, Duration::from_secs(23 * 3600 + 3500), false),
            None
        );
        assert_eq!(
            next_retry(Family::Merchant, 1, Duration::ZERO, false),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            next_retry(Family::Merchant, 3, Duration::ZERO, false),
            Some(Duration::from_secs(6 * 3600))
        );
        assert_eq!(next_retry(Family::Merchant, 4, Duration::ZERO, false), None);
        assert_eq!(next_retry(Family::Merchant, 1, Duration::ZERO, true), None);
    }
}
