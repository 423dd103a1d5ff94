//! A finished run's `summary.json` read back, typed: what the summary table of `report.html` and
//! `compare` (which reads run folders written by other versions) show.
//!
//! Each part is read on its own ([`crate::sim::figures::part`]): a part that is missing, or of
//! another shape, reads as absent and shows "–". A field renamed in the summary fails this
//! module's test against a real run instead of silently showing "–".

use crate::sim::ChartInfo;
use crate::sim::figures::{SummaryFigures, part};
use crate::sim::verdict::Verdict;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The parts of a stored summary that are shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredSummary {
    pub(crate) scenario: Option<String>,
    pub(crate) seed: Option<u64>,
    pub(crate) duration_s: Option<f64>,
    pub(crate) fidelity: FidelityPart,
    /// The figures the named metrics read (requests, latency, replicas, backlog, nodes…).
    pub(crate) figures: SummaryFigures,
    /// One entry per HPA.
    pub(crate) hpa: Vec<HpaPart>,
    pub(crate) chart: Option<ChartInfo>,
    pub(crate) verdict: Option<Verdict>,
    pub(crate) warnings: Vec<String>,
}

/// `fidelity`: the traffic model and, at flow level, its step.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub(crate) struct FidelityPart {
    pub(crate) model: Option<String>,
    pub(crate) step: Option<f64>,
}

/// One HPA's entry of `hpa`: its syncs, scale events, and seconds held back by each reason.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub(crate) struct HpaPart {
    pub(crate) name: Option<String>,
    pub(crate) syncs: Option<f64>,
    pub(crate) scale_ups: Option<f64>,
    pub(crate) scale_downs: Option<f64>,
    pub(crate) limited_seconds: BTreeMap<String, f64>,
    pub(crate) stabilized_seconds: BTreeMap<String, f64>,
    pub(crate) inactive_seconds: BTreeMap<String, f64>,
}

/// `hpa` as summaries hold it: one entry per HPA (older versions wrote one object).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
enum HpaParts {
    Many(Vec<HpaPart>),
    One(HpaPart),
    #[default]
    None,
}

impl StoredSummary {
    /// Read a summary in its JSON form; what is missing or misshapen reads as absent.
    pub(crate) fn from_json(summary: &Value) -> StoredSummary {
        let hpa = match part::<HpaParts>(summary, "hpa") {
            HpaParts::Many(all) => all,
            HpaParts::One(one) => vec![one],
            HpaParts::None => Vec::new(),
        };
        StoredSummary {
            scenario: part(summary, "scenario"),
            seed: part(summary, "seed"),
            duration_s: part(summary, "duration_s"),
            fidelity: part(summary, "fidelity"),
            figures: SummaryFigures::from_json(summary),
            hpa,
            chart: part(summary, "chart"),
            verdict: part(summary, "verdict"),
            warnings: part(summary, "warnings"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part shown is read from a real run's summary: a field renamed in `Summary` fails
    /// here instead of reading as "–" in `report.html` and `compare`.
    #[test]
    fn a_real_summary_reads_in_full() {
        let run = crate::sim::short_real_run();
        let s = StoredSummary::from_json(&serde_json::to_value(&run.summary).unwrap());
        assert_eq!(s.scenario.as_deref(), Some("node-bound-spike"));
        assert!(s.seed.is_some() && s.duration_s == Some(300.0));
        assert!(s.fidelity.model.is_some());
        assert!(s.chart.is_some() && s.verdict.is_some());
        let f = &s.figures;
        assert!(f.requests.in_flight_end.is_some() && f.replicas.ready_mean.is_some());
        let nodes = f.nodes.as_ref().expect("nodes");
        assert!(nodes.max.is_some() && nodes.mean.is_some());
        assert!(!s.hpa.is_empty() && s.hpa[0].syncs.is_some() && s.hpa[0].name.is_some());
    }

    #[test]
    fn misshapen_parts_read_as_absent_and_old_single_hpa_objects_still_read() {
        let s = StoredSummary::from_json(&serde_json::json!({
            "seed": "x", "fidelity": 3, "warnings": ["w"], "hpa": {"syncs": 4}
        }));
        assert_eq!(s.seed, None);
        assert_eq!(s.fidelity, FidelityPart::default());
        assert_eq!(s.warnings, vec!["w".to_string()]);
        assert_eq!(s.hpa.len(), 1);
        assert_eq!(s.hpa[0].syncs, Some(4.0));
    }
}
