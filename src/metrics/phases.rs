//! Seeded phases of the metrics pipeline (`cluster.metric_phases: seeded`): when
//! metrics-server's ticker fires, when each kubelet collects its stats and when each Prometheus
//! scrape job runs, relative to t = 0. On a real cluster none of them is lined up with the
//! HPA's sync; `docs/metrics-pipeline.md` says how that changes reaction times.
//!
//! Every phase comes from the scenario's seed through its own named stream (`crate::rng`), so
//! a run stays byte-identical for a seed and a phase never shifts another stream's draws.

use super::BackendKind;
use super::backend::Sampler;
use crate::numeric;
use crate::rng::Stream;
use crate::settings::metric_phases::MetricPhases;

/// The kubelet's stats collection period (cAdvisor housekeeping, kubelet
/// `--housekeeping-interval`, 10 s by default): a pod's CPU and memory figures are those of
/// its kubelet's latest collection, not of the scrape instant.
pub(crate) const KUBELET_HOUSEKEEPING: f64 = 10.0;

/// Kubelet phases are whole tenths of the housekeeping period, so a metrics-server scrape
/// reads at most this many distinct collection instants.
pub(crate) const KUBELET_SLOTS: usize = 10;

/// The first metrics-server scrape after t = 0, in (0, resolution]: `resolution` when aligned.
pub(crate) fn metrics_server_first_scrape(mode: MetricPhases, seed: u64, resolution: f64) -> f64 {
    match mode {
        MetricPhases::Aligned => resolution,
        MetricPhases::Seeded => {
            resolution * (1.0 - Stream::new(seed, "metrics-server phase").uniform())
        }
    }
}

/// Which of [`KUBELET_SLOTS`] phases a kubelet collects on. `node` is true for a node's kubelet
/// (`key` its node id); without nodes each pod has a kubelet of its own (`key` its pod id).
pub(crate) fn kubelet_slot(seed: u64, node: bool, key: u32) -> u8 {
    let name = if node {
        "kubelet phase node"
    } else {
        "kubelet phase pod"
    };
    let mut s = Stream::new(
        seed ^ u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        name,
    );
    s.below(KUBELET_SLOTS) as u8
}

/// The offset of kubelet slot `slot` within the housekeeping period.
pub(crate) fn kubelet_offset(slot: u8) -> f64 {
    KUBELET_HOUSEKEEPING * f64::from(slot) / KUBELET_SLOTS as f64
}

/// The latest collection of a kubelet on `slot` at or before `t`.
pub(crate) fn kubelet_collection_before(slot: u8, t: f64) -> f64 {
    let phase = kubelet_offset(slot);
    phase + numeric::floor((t - phase) / KUBELET_HOUSEKEEPING + 1e-9) * KUBELET_HOUSEKEEPING
}

/// Give each Prometheus scrape job its own phase (seeded mode): it still scrapes at t = 0 (the
/// run's start), then at a seeded instant in (0, interval], then every interval. Other backends
/// keep theirs: `direct` reads at query time, CloudWatch aggregates on the minute.
pub(crate) fn assign_scrape_phases(samplers: &mut [Sampler], mode: MetricPhases, seed: u64) {
    if mode == MetricPhases::Aligned {
        return;
    }
    for (i, s) in samplers.iter_mut().enumerate() {
        if s.timing.kind != BackendKind::Prometheus {
            continue;
        }
        let u = Stream::new(seed, &format!("prometheus scrape phase {i}")).uniform();
        s.set_second_scrape(s.timing.interval * (1.0 - u));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_first_scrape_is_one_resolution() {
        assert_eq!(
            metrics_server_first_scrape(MetricPhases::Aligned, 7, 15.0),
            15.0
        );
    }

    #[test]
    fn seeded_phases_are_deterministic_within_range_and_vary_with_the_seed() {
        let firsts: Vec<f64> = (0..50)
            .map(|seed| metrics_server_first_scrape(MetricPhases::Seeded, seed, 15.0))
            .collect();
        assert!(firsts.iter().all(|&f| f > 0.0 && f <= 15.0));
        assert_eq!(
            firsts[3],
            metrics_server_first_scrape(MetricPhases::Seeded, 3, 15.0)
        );
        let spread = firsts.iter().cloned().fold(f64::MIN, f64::max)
            - firsts.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            spread > 10.0,
            "phases should cover the resolution, got {spread}"
        );
        let slots: std::collections::BTreeSet<u8> =
            (0..200).map(|k| kubelet_slot(1, false, k)).collect();
        assert_eq!(slots.len(), KUBELET_SLOTS);
        assert_eq!(kubelet_slot(1, true, 4), kubelet_slot(1, true, 4));
    }

    #[test]
    fn the_kubelet_collection_before_t_is_on_its_slot_and_at_most_a_period_old() {
        for slot in 0..KUBELET_SLOTS as u8 {
            for t in [0.5, 10.0, 15.0, 29.999, 30.0, 1234.5] {
                let h = kubelet_collection_before(slot, t);
                assert!(
                    h <= t + 1e-9 && t - h < KUBELET_HOUSEKEEPING,
                    "slot {slot} t {t} h {h}"
                );
                let k = (h - kubelet_offset(slot)) / KUBELET_HOUSEKEEPING;
                assert!((k - k.round()).abs() < 1e-9);
            }
        }
        assert_eq!(kubelet_collection_before(3, 33.0), 33.0);
        assert_eq!(kubelet_collection_before(3, 32.9), 23.0);
    }
}
