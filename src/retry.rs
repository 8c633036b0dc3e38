//! Retry policy: which failures are retried, how long to wait, when to give up.

use std::time::{Duration, Instant};

/// How the client retries.
///
/// Retried: GET/HEAD and operations the spec marks idempotent, plus money-moving operations
/// whose request carries the caller's reference (which the API deduplicates on); on 429
/// (waiting as long as the API asks), 502, 503, 504, connection failures and timeouts.
/// Waits grow exponentially with full jitter, within a maximum attempt count and an overall
/// deadline. A payment without a reference is sent exactly once.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry). Default 3.
    pub max_attempts: u32,
    /// First backoff ceiling. Default 200 ms.
    pub base_delay: Duration,
    /// Largest backoff ceiling. Default 5 s.
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt. Default 30 s.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// Sets the attempt count (first attempt included).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first and the largest backoff ceilings.
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// Sets the overall deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    pub(crate) fn enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// Full jitter: a random wait between zero and the exponential ceiling of this attempt.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        let ceiling = self.base_delay.saturating_mul(exp).min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }

    /// Whether waiting `wait` still starts the next attempt before the deadline.
    pub(crate) fn fits(&self, started: Instant, wait: Duration) -> bool {
        started.elapsed() + wait <= self.deadline
    }
}
