//! `rate_unit`: what the numbers in a trace's rate column (or a Prometheus series) count.
//!
//! A trace holds requests per second. Exports often hold something else: per-minute rates, or
//! counts of requests per bucket (`time,requests` with one row a minute, or a Prometheus
//! `increase(...[1m])` at a 1m step). `rate_unit` says which, and the values are converted once
//! the rows are validated:
//!
//! | `rate_unit`  | a value `v` in row i means     | rate (req/s)              |
//! |--------------|--------------------------------|---------------------------|
//! | `per_second` | v requests per second (default)| v                         |
//! | `per_minute` | v requests per minute          | v / 60                    |
//! | `per_hour`   | v requests per hour            | v / 3600                  |
//! | `count`      | v requests in the row's bucket | v / (t₍ᵢ₊₁₎ − tᵢ)         |
//!
//! A row's bucket is the time until the next row (the last row's: the trace's resolution), so
//! with `count` the trace's expected number of requests is exactly the sum of the column.
//! Extra columns are never converted: they are metrics, not rates.

use super::Trace;
use serde::Deserialize;
use std::str::FromStr;

/// The unit of a trace's rate values (`rate_unit:` in a `trace:` block, `--rate-unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateUnit {
    /// Requests per second.
    #[default]
    PerSecond,
    /// Requests per minute.
    PerMinute,
    /// Requests per hour.
    PerHour,
    /// A number of requests in the row's bucket (from its time to the next row's).
    Count,
}

impl RateUnit {
    pub(crate) const NAMES: &'static str = "per_second, per_minute, per_hour, count";

    /// Convert the rates of `trace` (validated rows, in this unit) to requests per second.
    pub(crate) fn apply(self, trace: &mut Trace) {
        match self {
            RateUnit::PerSecond => {}
            RateUnit::PerMinute => trace.scale_rates(1.0 / 60.0),
            RateUnit::PerHour => trace.scale_rates(1.0 / 3600.0),
            RateUnit::Count => {
                for i in 0..trace.rates.len() {
                    let width = trace.row_end(i) - trace.times[i];
                    if width > 0.0 {
                        trace.rates[i] /= width;
                    }
                }
            }
        }
    }
}

impl FromStr for RateUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "per_second" => RateUnit::PerSecond,
                "per_minute" => RateUnit::PerMinute,
                "per_hour" => RateUnit::PerHour,
                "count" => RateUnit::Count,
                o => {
                    return Err(format!(
                        "unknown rate unit {o:?} (expected one of {})",
                        RateUnit::NAMES
                    ));
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let base = || Trace::from_rows(vec![0.0, 60.0, 90.0], vec![600.0, 30.0, 120.0], 150.0);
        let mut t = base();
        RateUnit::PerMinute.apply(&mut t);
        assert_eq!(t.rates, vec![10.0, 0.5, 2.0]);
        let mut t = base();
        RateUnit::PerHour.apply(&mut t);
        assert_eq!(t.rates, vec![600.0 / 3600.0, 30.0 / 3600.0, 120.0 / 3600.0]);
        // Counts: each over its own bucket; the total is the column's sum.
        let mut t = base();
        RateUnit::Count.apply(&mut t);
        assert_eq!(t.rates, vec![10.0, 1.0, 2.0]);
        assert_eq!(t.integral(0.0, t.end), 750.0);
        let mut t = base();
        RateUnit::PerSecond.apply(&mut t);
        assert_eq!(t, base());
        assert_eq!("per-minute".parse::<RateUnit>(), Ok(RateUnit::PerMinute));
        assert!(
            "per_day"
                .parse::<RateUnit>()
                .unwrap_err()
                .contains("per_hour")
        );
    }
}
