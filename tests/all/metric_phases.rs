//! `cluster.metric_phases` (docs/metrics-pipeline.md): `aligned` puts metrics-server, the
//! kubelets and Prometheus on the run's grid, so an HPA reads a 0 s old sample; `seeded` (the
//! default) gives each a phase of its own from the seed, so reactions come later and spread,
//! deterministically, and the same at both traffic models.

use crate::helpers::sim::{Outcome, Sim};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{LogEvent, RunOptions};
use scalesim::yaml::Source;

const CPU_50: &str = "metrics:\n- type: Resource\n  resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}";

/// A load step from 40 to 200 requests/s at `at` s, an HPA on CPU, `metric_phases: mode`
/// (`default`: the key left out).
fn step_up(mode: &str, seed: u64, at: u32) -> Outcome {
    let mut sim = Sim::new(40.0, "14m", 2)
        .trace(&format!(
            "{{generate: {{kind: step, from: 40, to: 200, at: {at}s}}}}"
        ))
        .hpa(&format!("minReplicas: 1\nmaxReplicas: 30\n{CPU_50}"));
    if mode != "default" {
        sim = sim.metric_phases(mode);
    }
    sim.lines.push(format!("seed: {seed}"));
    sim.run()
}

#[test]
fn seeded_is_the_default() {
    let rescales = |mode: &str, seed: u64| -> Vec<(f64, i32)> {
        step_up(mode, seed, 600)
            .rescales()
            .iter()
            .map(|r| (r.t, r.to))
            .collect()
    };
    let mut off_grid = false;
    for seed in 1..=4 {
        let default = rescales("default", seed);
        assert_eq!(default, rescales("seeded", seed), "seed {seed}");
        off_grid |= default != rescales("aligned", seed);
    }
    assert!(off_grid, "no seed told the default from aligned");
}

/// Seconds from the step at `at` to the first scale-up after it.
fn reaction(out: &Outcome, at: f64) -> f64 {
    out.rescales()
        .iter()
        .find(|r| r.t >= at && r.to > r.from)
        .map(|r| r.t - at)
        .expect("the HPA scales up after the step")
}

#[test]
fn aligned_sees_a_step_on_the_grid_one_sync_later_and_seeded_later_still() {
    let at = 600.0;
    // Aligned: the scrape at 615 covers [600, 615], all after the step; the sync at 615 acts.
    for seed in [1, 2, 3] {
        let r = reaction(&step_up("aligned", seed, 600), at);
        assert_eq!(r, 15.0, "seed {seed}");
    }
    // Seeded: the sample the sync reads ends at a kubelet collection before the last scrape.
    let seeded: Vec<f64> = (1..=8)
        .map(|seed| reaction(&step_up("seeded", seed, 600), at))
        .collect();
    assert!(seeded.iter().all(|&r| r >= 15.0), "{seeded:?}");
    assert!(
        seeded.iter().any(|&r| r >= 30.0),
        "some phase makes the HPA wait one more sync: {seeded:?}"
    );
}

#[test]
fn seeded_phases_are_deterministic_and_the_seed_moves_them() {
    let times = |seed: u64| -> Vec<(f64, i32)> {
        step_up("seeded", seed, 607)
            .rescales()
            .iter()
            .map(|r| (r.t, r.to))
            .collect()
    };
    assert_eq!(times(5), times(5));
    let reactions: std::collections::BTreeSet<u64> = (1..=8)
        .map(|seed| reaction(&step_up("seeded", seed, 607), 607.0) as u64)
        .collect();
    assert!(
        reactions.len() >= 2,
        "one reaction for every seed: {reactions:?}"
    );
}

/// The instants at which the HPA's reading of its Pods metric changed from the previous sync.
fn reading_changes(mode: &str, seed: u64) -> Vec<f64> {
    reading_changes_at(mode, seed, "request")
}

/// [`reading_changes`] at traffic model `fidelity` (`request` or `fluid`).
fn reading_changes_at(mode: &str, seed: u64, fidelity: &str) -> Vec<f64> {
    let mut sim = Sim::new(100.0, "6m", 4)
        .hpa("minReplicas: 4\nmaxReplicas: 4\nmetrics:\n- type: Pods\n  pods:\n    metric: {name: http_requests_per_second}\n    target: {type: AverageValue, averageValue: \"25\"}")
        .metric("http_requests_per_second", "{signal: request_rate, backend: prometheus}")
        .metric_phases(mode);
    sim.lines.push(format!("seed: {seed}"));
    sim.lines.push(format!("fidelity: {fidelity}"));
    let out = sim.run_with(&RunOptions {
        log_every_sync: true,
        ..Default::default()
    });
    let readings: Vec<(f64, String)> = out
        .result
        .events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Autoscaler(a) => Some((a.t, a.decision.metrics[0].current.to_string())),
            _ => None,
        })
        .collect();
    readings
        .windows(2)
        .filter(|w| w[0].1 != w[1].1)
        .map(|w| w[1].0)
        .collect()
}

#[test]
fn prometheus_scrapes_on_the_grid_when_aligned_and_on_its_own_phase_when_seeded() {
    // Scrapes every 30 s, syncs every 15 s: aligned, a new reading appears at syncs on 30 s.
    let aligned = reading_changes("aligned", 1);
    assert!(aligned.len() >= 8, "{aligned:?}");
    assert!(aligned.iter().all(|t| t % 30.0 == 0.0), "{aligned:?}");
    // Seeded, a scrape phase in (0, 15] shows its readings at the syncs in between.
    let off_grid = (1..=8).any(|seed| {
        let c = reading_changes("seeded", seed);
        !c.is_empty() && c.iter().all(|t| t % 30.0 == 15.0)
    });
    assert!(off_grid, "no seed put the scrape job off the 30 s grid");
}

#[test]
fn the_phases_are_the_seeds_alone_the_same_at_request_and_flow_level() {
    // Scrapes every 30 s, syncs every 15 s: a scrape job's phase shows as the half of the 30 s
    // grid on which the HPA's reading changes. Request and flow level under one seed must
    // agree on it, so that comparing them compares the traffic models, not two phase draws.
    let residues = |seed: u64, fidelity: &str| -> std::collections::BTreeSet<u64> {
        reading_changes_at("seeded", seed, fidelity)
            .iter()
            .map(|t| (t % 30.0) as u64)
            .collect()
    };
    let mut off_grid = false;
    for seed in 1..=6 {
        let request = residues(seed, "request");
        assert_eq!(request.len(), 1, "seed {seed}: {request:?}");
        assert_eq!(request, residues(seed, "fluid"), "seed {seed}");
        off_grid |= request.contains(&15);
    }
    assert!(off_grid, "no seed put the scrape job off the 30 s grid");
}

#[test]
fn an_unknown_metric_phases_value_is_an_error_naming_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(
        &path,
        "duration: 1m\ntrace: {generate: {kind: constant, rate: 1}}\nworkload: {kind: http, service_time: {dist: constant, value: 10ms}}\npods: {replicas: 1}\ncluster:\n  metric_phases: jittered\n",
    )
    .unwrap();
    let err = Scenario::from_source(&Source::read(&path).unwrap(), &Overrides::default())
        .expect_err("jittered is not a mode")
        .to_string();
    assert!(err.contains("metric_phases"), "{err}");
    assert!(err.contains("aligned") && err.contains("seeded"), "{err}");
}
