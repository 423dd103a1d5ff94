//! The flow-level traffic model agrees with request level on the shipped scenarios: replica
//! count within ±1 for at least 95 % of the time, mean backlog and mean latency within 10 %,
//! and the latency tail (p95) within 20 % — flow level spreads recorded latencies as the
//! service times spread, so its quantiles are not those of means. Averaged over three seeds,
//! as single runs of a spike are noisy.
//!
//! Two allowances, both measured rather than assumed: where request level does not agree with
//! *itself* under another seed (a scale-to-zero sawtooth, a consumer group that flaps), the
//! replica criterion is what request level achieves against itself, less 5 points; and a mean
//! backlog under one request is compared in absolute terms (within 0.5 of a request).
//! Scenarios with node CPU contention, 503 caps and retries are not in this list: there flow
//! level is further off (docs/model.md, "Traffic models"), and `fidelity: auto` keeps them at request
//! level.

use scalesim::scenario::patch::{Patch, PatchTarget};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, RunResult, run};
use std::path::Path;

/// A shipped scenario at the given traffic model (and seed, else the scenario's own).
fn load(file: &str, fidelity: &str, seed: Option<u64>) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let overrides = Overrides {
        seed,
        patches: vec![Patch {
            target: PatchTarget::Scenario,
            path: "fidelity".into(),
            value: fidelity.into(),
        }],
        ..Default::default()
    };
    Scenario::load(&path, &overrides).unwrap()
}

fn simulate(file: &str, fidelity: &str, seed: u64) -> RunResult {
    run(&load(file, fidelity, Some(seed)), &RunOptions::default()).unwrap()
}

/// Fraction of samples where the two runs' spec.replicas are within ±1.
fn replicas_close(a: &RunResult, b: &RunResult) -> f64 {
    let (a, b) = (&a.series.spec_replicas, &b.series.spec_replicas);
    a.iter()
        .zip(b)
        .filter(|(x, y)| (**x - **y).abs() <= 1)
        .count() as f64
        / a.len() as f64
}

fn agree(name: &str) {
    let file = format!("scenarios/{name}.yaml");
    let (mut b_req, mut b_fl, mut l_req, mut l_fl) = (0.0, 0.0, 0.0, 0.0);
    let (mut q_req, mut q_fl) = (0.0, 0.0);
    // How closely request level agrees with itself: the worst pair among four seeds.
    let reqs: Vec<RunResult> = (1..=4).map(|s| simulate(&file, "request", s)).collect();
    let mut itself = 1.0f64;
    for i in 0..reqs.len() {
        for j in i + 1..reqs.len() {
            itself = itself.min(replicas_close(&reqs[i], &reqs[j]));
        }
    }
    let needed = 0.95f64.min(itself - 0.05);
    for (seed, req) in (1..=3).zip(&reqs) {
        let fl = simulate(&file, "fluid", seed);
        let close = replicas_close(req, &fl);
        assert!(
            close >= needed,
            "{name} seed {seed}: replicas within ±1 only {:.1}% of the time (needed {:.1}%)",
            100.0 * close,
            100.0 * needed
        );
        b_req += req.summary.backlog.mean;
        b_fl += fl.summary.backlog.mean;
        l_req += req.latency.mean();
        l_fl += fl.latency.mean();
        q_req += req.latency.quantile(0.95);
        q_fl += fl.latency.quantile(0.95);
        let t = &fl.totals;
        assert_eq!(
            t.arrived,
            t.served + t.dropped + t.timed_out + t.in_flight_end,
            "fluid conserves requests"
        );
    }
    let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-12);
    let (b_req, b_fl) = (b_req / 3.0, b_fl / 3.0);
    assert!(
        rel(b_req, b_fl) < 0.10 || (b_req < 1.0 && (b_req - b_fl).abs() < 0.5),
        "{name}: mean backlog {b_req} (request) vs {b_fl} (fluid)"
    );
    assert!(
        rel(l_req, l_fl) < 0.10,
        "{name}: mean latency {} (request) vs {} (fluid)",
        l_req / 3.0,
        l_fl / 3.0
    );
    assert!(
        rel(q_req, q_fl) < 0.20,
        "{name}: latency p95 {} (request) vs {} (fluid)",
        q_req / 3.0,
        q_fl / 3.0
    );
}

#[test]
fn checkout_spike() {
    agree("checkout-spike");
}

#[test]
fn sqs_worker() {
    agree("sqs-worker");
}

#[test]
fn kafka_consumer() {
    agree("kafka-consumer");
}

#[test]
fn cron_lunch() {
    agree("cron-lunch");
}

#[test]
fn prometheus_outage() {
    agree("prometheus-outage");
}

/// The sweep benchmark's day (17 million requests): one seed, as request level takes a while
/// here, and the replica criterion measured as in `agree` against request level under a second
/// seed. With seeded metric phases (the default) request level agrees with itself 91–93 % of
/// the time on this day (seeds 1–4; 95–98 % with `aligned` phases): the HPA crosses its
/// tolerance on a slow ramp, and when it does moves with each seed's noise and phases.
#[test]
fn diurnal_day() {
    let file = "scenarios/diurnal-day.yaml";
    let req = simulate(file, "request", 1);
    let itself = replicas_close(&req, &simulate(file, "request", 2));
    let needed = 0.95f64.min(itself - 0.05);
    let fl = simulate(file, "fluid", 1);
    let close = replicas_close(&req, &fl);
    assert!(
        close >= needed,
        "replicas within ±1 only {:.1}% of the time (needed {:.1}%)",
        100.0 * close,
        100.0 * needed
    );
    let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-12);
    let (l_req, l_fl) = (req.latency.mean(), fl.latency.mean());
    assert!(rel(l_req, l_fl) < 0.10, "mean latency {l_req} vs {l_fl}");
    let (q_req, q_fl) = (req.latency.quantile(0.95), fl.latency.quantile(0.95));
    assert!(rel(q_req, q_fl) < 0.20, "latency p95 {q_req} vs {q_fl}");
    let (b_req, b_fl) = (req.summary.backlog.mean, fl.summary.backlog.mean);
    assert!(
        rel(b_req, b_fl) < 0.10 || (b_req - b_fl).abs() < 0.5,
        "mean backlog {b_req} vs {b_fl}"
    );
}

/// Sweep points run summary-only (no per-step latency quantiles): the summary they rank by
/// must be exactly that of a full run, at both traffic models (but for the verdict's worst
/// per-step p99, which a summary-only run does not have).
#[test]
fn summary_only_runs_give_the_full_runs_summary() {
    for fidelity in ["request", "fluid"] {
        let scenario = load("scenarios/checkout-spike.yaml", fidelity, None);
        let full = run(&scenario, &RunOptions::default()).unwrap();
        let lean = run(
            &scenario,
            &RunOptions {
                summary_only: true,
                ..RunOptions::default()
            },
        )
        .unwrap();
        // All but the verdict's worst per-step p99, which needs the per-step quantiles.
        let without_step_p99 = |s: &scalesim::sim::Summary| {
            let mut s = s.clone();
            if let Some(v) = s.verdict.as_mut() {
                v.worst.latency_p99_s = None;
            }
            s
        };
        assert!(
            lean.summary
                .verdict
                .as_ref()
                .unwrap()
                .worst
                .latency_p99_s
                .is_none()
        );
        assert!(
            full.summary
                .verdict
                .as_ref()
                .unwrap()
                .worst
                .latency_p99_s
                .is_some()
        );
        assert_eq!(
            without_step_p99(&full.summary),
            without_step_p99(&lean.summary),
            "{fidelity}"
        );
        assert!(lean.series.latency_p99.iter().all(|v| v.is_nan()));
        assert!(full.series.latency_p99.iter().any(|v| !v.is_nan()));
    }
}
