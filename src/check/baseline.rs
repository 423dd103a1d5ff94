//! Baselines: a run compared metric by metric with a stored earlier result
//! (`DIR/<scenario name>/summary.json`, exactly what `scalesim run` writes), failing on a
//! regression larger than the tolerance.
//!
//! Every compared metric is "higher is worse": latencies, wait p99, dropped and timed-out
//! ratios, pod-hours (cost), backlog max and oldest-request age, overload seconds and scale
//! events (flapping). A metric regresses when
//! `current > baseline + allowance`, the allowance being `relative × |baseline|` for a relative
//! tolerance (`5%`) or the value itself for an absolute one (`50ms`, `2`).

use crate::error::{Error, InputError, Location};
use crate::sim::figures::{self, MetricDef, Metrics};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How much worse than the baseline a metric may get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tolerance {
    /// A fraction of the baseline value (0.05 = 5 %).
    Relative(f64),
    /// An amount in the metric's unit (seconds for durations).
    Absolute(f64),
}

impl Tolerance {
    /// `5%` (relative), `0.2` or `50ms` (absolute).
    pub(crate) fn parse(s: &str) -> Result<Tolerance, String> {
        let t = s.trim();
        let v = if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("{s:?} is not a percentage such as 5%"))?;
            Tolerance::Relative(v / 100.0)
        } else if let Ok(v) = t.parse::<f64>() {
            Tolerance::Absolute(v)
        } else {
            let d = crate::units::parse_duration(t).map_err(|_| {
                format!("{s:?} is not a tolerance (expected e.g. 5%, 0.01 or 50ms)")
            })?;
            Tolerance::Absolute(d.0)
        };
        match v {
            Tolerance::Relative(x) | Tolerance::Absolute(x) if !(x.is_finite() && x >= 0.0) => {
                Err(format!("{s:?}: a tolerance must be zero or more"))
            }
            v => Ok(v),
        }
    }

    /// How far above `baseline` a value may go.
    pub(crate) fn allowance(self, baseline: f64) -> f64 {
        match self {
            Tolerance::Relative(r) => r * baseline.abs(),
            Tolerance::Absolute(a) => a,
        }
    }

    pub(crate) fn display(self, metric: &MetricDef) -> String {
        match self {
            Tolerance::Relative(r) => format!("{}%", r * 100.0),
            Tolerance::Absolute(a) => metric.display(Some(a)),
        }
    }
}

/// The tolerance of every metric: one default and per-metric overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerances {
    pub(crate) default: Tolerance,
    pub(crate) per_metric: BTreeMap<&'static str, Tolerance>,
}

/// The default: 5 % on every metric.
pub(crate) const DEFAULT_TOLERANCE: Tolerance = Tolerance::Relative(0.05);

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            default: DEFAULT_TOLERANCE,
            per_metric: BTreeMap::new(),
        }
    }
}

impl Tolerances {
    /// Add one `--tolerance` argument: `5%` sets the default, `latency_p99=10%` one metric.
    pub(crate) fn add(&mut self, arg: &str) -> Result<(), String> {
        match arg.split_once('=') {
            None => self.default = Tolerance::parse(arg)?,
            Some((name, value)) => {
                let m = figures::find(name.trim()).ok_or_else(|| {
                    format!(
                        "unknown metric {:?} in --tolerance (one of: {})",
                        name.trim(),
                        figures::names()
                    )
                })?;
                self.per_metric.insert(m.name, Tolerance::parse(value)?);
            }
        }
        Ok(())
    }

    pub(crate) fn for_metric(&self, m: &MetricDef) -> Tolerance {
        self.per_metric.get(m.name).copied().unwrap_or(self.default)
    }
}

/// One metric compared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub(crate) metric: &'static MetricDef,
    pub(crate) baseline: Option<f64>,
    pub(crate) current: Option<f64>,
    pub(crate) tolerance: Tolerance,
    pub(crate) regressed: bool,
}

impl Comparison {
    /// `latency_p99_s (higher is worse)`.
    pub(crate) fn describe(&self) -> String {
        format!("baseline {}", self.metric.name)
    }

    /// `320ms vs baseline 300ms (+6.7%, tolerance 5%)`.
    pub(crate) fn detail(&self) -> String {
        let m = self.metric;
        let change = match (self.baseline, self.current) {
            (Some(b), Some(c)) if b != 0.0 => format!("{:+.1}%, ", 100.0 * (c - b) / b.abs()),
            (Some(b), Some(c)) if c != b => format!("+{}, ", m.display(Some(c - b))),
            (Some(_), None) => "no value now, ".into(),
            _ => String::new(),
        };
        format!(
            "{} vs baseline {} ({change}tolerance {}; higher is worse)",
            m.display(self.current),
            m.display(self.baseline),
            self.tolerance.display(m)
        )
    }
}

/// Compare every regression metric the baseline has. A metric the baseline lacks is skipped; one
/// the baseline has and the run lacks (a latency when nothing was served) regresses.
pub(crate) fn compare(baseline: &Metrics, current: &Metrics, tol: &Tolerances) -> Vec<Comparison> {
    figures::METRICS
        .iter()
        .filter(|m| m.regression)
        .filter_map(|m| {
            let b = baseline.get(m)?;
            let c = current.get(m);
            let tolerance = tol.for_metric(m);
            let regressed = match c {
                Some(c) => c > b + tolerance.allowance(b) + 1e-12 * b.abs().max(1.0),
                None => true,
            };
            Some(Comparison {
                metric: m,
                baseline: Some(b),
                current: c,
                tolerance,
                regressed,
            })
        })
        .collect()
}

/// Where the baseline of a scenario lives: `DIR/<name>/summary.json`.
pub(crate) fn path(dir: &Path, scenario: &str) -> PathBuf {
    dir.join(scenario).join("summary.json")
}

/// Read a stored baseline; `None` when there is none for this scenario yet.
pub fn read(dir: &Path, scenario: &str) -> Result<Option<Metrics>, Error> {
    let p = path(dir, scenario);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(InputError::in_file(&p, format!("cannot read baseline: {e}")).into());
        }
    };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        InputError::new(
            Location::file(&p).with_line(e.line(), Some(e.column())),
            format!(
                "not a summary.json: {}",
                crate::yaml::messages::json_words(&e)
            ),
        )
    })?;
    if !v.is_object() || v.get("requests").is_none() {
        return Err(InputError::in_file(
            &p,
            "not a summary.json written by scalesim (no `requests`)",
        )
        .into());
    }
    Ok(Some(Metrics::from_json(&v)))
}

/// Store a run's summary as the new baseline of its scenario.
pub(crate) fn write(
    dir: &Path,
    summary: &crate::sim::Summary,
    overwrite: crate::output::Overwrite,
) -> Result<PathBuf, Error> {
    let p = path(dir, &summary.scenario);
    let folder = p.parent().unwrap_or(dir);
    // A stored baseline that reads as one is what `--update-baseline` asks to replace.
    let overwrite = match read(dir, &summary.scenario) {
        Ok(Some(_)) => crate::output::Overwrite::Any,
        _ => overwrite,
    };
    let out = crate::output::OutputDir::open(folder, &["summary.json"], overwrite)?;
    out.write_with("summary.json", |w| crate::report::write_summary(w, summary))?;
    out.commit()?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tolerances_parse() {
        assert_eq!(Tolerance::parse("5%"), Ok(Tolerance::Relative(0.05)));
        assert_eq!(Tolerance::parse("2"), Ok(Tolerance::Absolute(2.0)));
        assert_eq!(Tolerance::parse("50ms"), Ok(Tolerance::Absolute(0.05)));
        assert!(Tolerance::parse("-5%").is_err());
        assert!(Tolerance::parse("lots").is_err());
        let mut t = Tolerances::default();
        t.add("10%").unwrap();
        t.add("latency_p99=20%").unwrap();
        assert!(t.add("latency_p77=1%").is_err());
        let p99 = figures::find("latency_p99_s").unwrap();
        let pods = figures::find("pod_hours").unwrap();
        assert_eq!(t.for_metric(p99), Tolerance::Relative(0.2));
        assert_eq!(t.for_metric(pods), Tolerance::Relative(0.1));
    }

    #[test]
    fn regression_is_worse_by_more_than_the_tolerance() {
        let base = Metrics::from_json(&json!({
            "requests": {"arrived": 100, "served": 100, "dropped": 0, "timed_out": 0},
            "latency_s": {"p99": 1.0}, "replicas": {"pod_hours": 10.0}, "scale_events": 4
        }));
        let cur = Metrics::from_json(&json!({
            "requests": {"arrived": 100, "served": 99, "dropped": 1, "timed_out": 0},
            "latency_s": {"p99": 1.05}, "replicas": {"pod_hours": 8.0}, "scale_events": 5
        }));
        let r = compare(&base, &cur, &Tolerances::default());
        let regressed: Vec<&str> = r
            .iter()
            .filter(|c| c.regressed)
            .map(|c| c.metric.name)
            .collect();
        // p99 +5% is within 5%; pod-hours improved; one drop against none and 4 → 5 events regress.
        assert_eq!(regressed, ["dropped_ratio", "scale_events"]);
        assert!(r.iter().all(|c| c.metric.name != "latency_mean_s"));
    }
}
