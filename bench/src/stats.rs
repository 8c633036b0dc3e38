//! CPU clocks and the median/min/max summary every figure is reported with.

use std::time::Duration;

use serde::Serialize;

/// Median, min and max of several runs, with the runs themselves (in the order they ran).
#[derive(Debug, Clone, Serialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: Vec<f64>,
}

impl Stat {
    pub fn of(runs: Vec<f64>) -> Stat {
        assert!(!runs.is_empty(), "a figure needs at least one run");
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Stat {
            median: round(median),
            min: round(sorted[0]),
            max: round(sorted[n - 1]),
            runs: runs.into_iter().map(round).collect(),
        }
    }
}

/// Four significant digits are more than these measurements can tell apart.
fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 4 - x.abs().log10().ceil() as i32;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// User and system CPU time consumed so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTime {
    pub user: Duration,
    pub sys: Duration,
}

impl CpuTime {
    pub fn total(&self) -> Duration {
        self.user + self.sys
    }

    pub fn since(&self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            sys: self.sys.saturating_sub(earlier.sys),
        }
    }
}

fn rusage(who: libc::c_int) -> CpuTime {
    // SAFETY: getrusage only writes into the struct we pass; a zeroed rusage is a valid value.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        let rc = libc::getrusage(who, &mut ru);
        assert_eq!(rc, 0, "getrusage failed");
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    CpuTime {
        user: tv(ru.ru_utime),
        sys: tv(ru.ru_stime),
    }
}

/// CPU time of this process: every thread of it (the measured client and its runtime), and
/// nothing of the loopback server, which runs in a child process.
pub fn process_cpu() -> CpuTime {
    rusage(libc::RUSAGE_SELF)
}

/// CPU time of the children that have been waited for (the timed `xtask contract` runs).
pub fn children_cpu() -> CpuTime {
    rusage(libc::RUSAGE_CHILDREN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max() {
        let s = Stat::of(vec![3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Stat::of(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!(s.median, 2.5);
        assert_eq!(s.runs, vec![4.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn rounding_keeps_four_digits() {
        assert_eq!(round(123.456_78), 123.5);
        assert_eq!(round(0.012_345_6), 0.012_35);
        assert_eq!(round(98_765.4), 98_770.0);
    }
}
