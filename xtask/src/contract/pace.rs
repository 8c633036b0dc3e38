//! Pacing live calls to Kotani's rate tiers (`shared/reference/kotani-api.md` A.2), so that a
//! full run sees no 429: a token bucket per (family, tier).
//!
//! | tier | documented limits | bucket (capacity, refill) |
//! |---|---|---|
//! | reading | 100 / 5 s and 20 / 5 s | 10, 2 / s |
//! | moving money | 60 / min and 20 / 5 s | 17, 1 / 2 s |
//! | auth & keys | 10 / min and 3 / 10 s | 2, 1 / 12 s |
//!
//! A bucket of capacity `C` refilled at `r` per second lets at most `C + r·W` calls through in
//! any window of `W` seconds; the refill is half the strictest sustained rate and the capacity
//! what is left of each limit, so every documented window holds with room to spare (the limits
//! count per endpoint, we count per tier: stricter still).

use std::collections::HashMap;

use kotanipay::meta::Family;

/// Kotani's rate tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Status, lists, lookups.
    Reading,
    /// Deposits, payouts, transfers.
    MovingMoney,
    /// Auth and key management.
    Auth,
}

impl Tier {
    /// The tier of an operation (the codegen model): `auth` / `api-keys` tag, else
    /// `x-kotani-moves-money`, else reading.
    pub fn of(op: &kotanipay_codegen::Operation) -> Tier {
        let tagged = |t: &str| op.tags.iter().any(|x| x == t);
        if tagged("auth") || tagged("api-keys") {
            Tier::Auth
        } else if op.moves_money {
            Tier::MovingMoney
        } else {
            Tier::Reading
        }
    }

    /// The documented limits: (calls, window in seconds).
    pub fn limits(self) -> &'static [(f64, f64)] {
        match self {
            Tier::Reading => &[(100.0, 5.0), (20.0, 5.0)],
            Tier::MovingMoney => &[(60.0, 60.0), (20.0, 5.0)],
            Tier::Auth => &[(10.0, 60.0), (3.0, 10.0)],
        }
    }

    /// (capacity, refill per second) derived from [`Tier::limits`].
    pub fn bucket(self) -> (f64, f64) {
        let limits = self.limits();
        let rate = limits.iter().map(|(n, w)| n / w).fold(f64::INFINITY, f64::min) / 2.0;
        let capacity = limits
            .iter()
            .map(|(n, w)| n - rate * w)
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(1.0);
        (capacity, rate)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: f64,
}

/// Token buckets per (family, tier). Time is passed in (seconds since the run started), so the
/// arithmetic is tested without sleeping.
#[derive(Debug, Default)]
pub struct Pacer {
    buckets: HashMap<(Family, Tier), Bucket>,
}

impl Pacer {
    /// Reserves a call at time `now`; returns how long to wait before making it.
    pub fn reserve(&mut self, family: Family, tier: Tier, now: f64) -> f64 {
        let (capacity, rate) = tier.bucket();
        let b = self.buckets.entry((family, tier)).or_insert(Bucket {
            capacity,
            rate,
            tokens: capacity,
            last: now,
        });
        b.tokens = (b.tokens + (now - b.last).max(0.0) * b.rate).min(b.capacity);
        b.last = now;
        b.tokens -= 1.0;
        if b.tokens >= 0.0 { 0.0 } else { -b.tokens / b.rate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls as fast as the pacer allows for a while and checks every documented window.
    #[test]
    fn no_documented_window_is_exceeded() {
        for tier in [Tier::Reading, Tier::MovingMoney, Tier::Auth] {
            let mut pacer = Pacer::default();
            let mut now = 0.0;
            let mut times = Vec::new();
            for _ in 0..200 {
                now += pacer.reserve(Family::V3, tier, now);
                times.push(now);
            }
            for &(n, w) in tier.limits() {
                for (i, &t) in times.iter().enumerate() {
                    let in_window = times[i..].iter().take_while(|&&u| u < t + w).count();
                    assert!(
                        in_window as f64 <= n,
                        "{tier:?}: {in_window} calls in {w}s from t={t}"
                    );
                }
            }
        }
    }

    #[test]
    fn buckets_are_per_family_and_tier() {
        let mut pacer = Pacer::default();
        let (capacity, _) = Tier::Auth.bucket();
        assert_eq!(capacity, 2.0);
        assert_eq!(pacer.reserve(Family::V3, Tier::Auth, 0.0), 0.0);
        assert_eq!(pacer.reserve(Family::V3, Tier::Auth, 0.0), 0.0);
        assert!(pacer.reserve(Family::V3, Tier::Auth, 0.0) > 10.0);
        assert_eq!(pacer.reserve(Family::Merchant, Tier::Auth, 0.0), 0.0);
        assert_eq!(pacer.reserve(Family::V3, Tier::Reading, 0.0), 0.0);
    }

    #[test]
    fn tiers_from_operations() {
        let doc = serde_json::json!({"paths": {
            "/a": {"post": {"operationId": "login", "tags": ["auth"]}},
            "/m": {"post": {"operationId": "pay", "tags": ["deposits"], "x-kotani-moves-money": true}},
            "/r": {"get": {"operationId": "read"}},
        }});
        let ops = kotanipay_codegen::model::operations(&doc);
        let tier = |id: &str| Tier::of(ops.iter().find(|o| o.id.as_deref() == Some(id)).unwrap());
        assert_eq!(tier("login"), Tier::Auth);
        assert_eq!(tier("pay"), Tier::MovingMoney);
        assert_eq!(tier("read"), Tier::Reading);
    }
}
