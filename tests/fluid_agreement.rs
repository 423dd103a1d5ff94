//! The flow-level traffic model agrees with request level on the shipped scenarios: replica
//! count within ±1 for at least 95 % of the time, mean backlog and mean latency within 10 %
//! (averaged over three seeds, as single runs of a spike are noisy).

use scalesim::scenario::patch::{Patch, PatchTarget};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, RunResult, run};
use std::path::Path;

fn simulate(file: &str, fidelity: &str, seed: u64) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let overrides = Overrides {
        seed: Some(seed),
        patches: vec![Patch {
            target: PatchTarget::Scenario,
            path: "fidelity".into(),
            value: fidelity.into(),
        }],
        ..Default::default()
    };
    let scenario = Scenario::load(&path, &overrides).unwrap();
    run(&scenario, &RunOptions::default()).unwrap()
}

fn agree(file: &str) {
    let (mut b_req, mut b_fl, mut l_req, mut l_fl) = (0.0, 0.0, 0.0, 0.0);
    for seed in 1..=3 {
        let req = simulate(file, "request", seed);
        let fl = simulate(file, "fluid", seed);
        let (a, b) = (&req.series.spec_replicas, &fl.series.spec_replicas);
        let close = a
            .iter()
            .zip(b)
            .filter(|(x, y)| (**x - **y).abs() <= 1)
            .count() as f64
            / a.len() as f64;
        assert!(
            close >= 0.95,
            "{file} seed {seed}: replicas within ±1 only {:.1}% of the time",
            100.0 * close
        );
        b_req += req.summary.backlog.mean;
        b_fl += fl.summary.backlog.mean;
        l_req += req.latency.mean();
        l_fl += fl.latency.mean();
        let t = &fl.totals;
        assert_eq!(
            t.arrived,
            t.served + t.dropped + t.timed_out + t.in_flight_end,
            "fluid conserves requests"
        );
    }
    let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-12);
    assert!(
        rel(b_req, b_fl) < 0.10,
        "{file}: mean backlog {} (request) vs {} (fluid)",
        b_req / 3.0,
        b_fl / 3.0
    );
    assert!(
        rel(l_req, l_fl) < 0.10,
        "{file}: mean latency {} (request) vs {} (fluid)",
        l_req / 3.0,
        l_fl / 3.0
    );
}

#[test]
fn checkout_spike() {
    agree("scenarios/checkout-spike.yaml");
}
