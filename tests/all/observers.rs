//! Observing a run never changes it: reading a pod's CPU (the time-series sample, the 1 s
//! true-value sampler, a metrics scrape) computes the value without advancing the pod's CPU
//! clock, so how often the run is observed — the time-series step — moves none of its own
//! outcomes (docs/performance.md, "Flow level under KEDA").

use crate::helpers::{root, run_into};
use serde_json::Value;
use std::path::Path;

/// `scenarios/cron-lunch.yaml` (CPU limits, a CPU trigger: throttling and CPU reads
/// throughout) cut to its first hour, with the time-series step `step`, written into `dir`.
fn cron_lunch_with_step(dir: &Path, step: &str) -> std::path::PathBuf {
    let shipped = std::fs::read_to_string(root().join("scenarios/cron-lunch.yaml")).unwrap();
    assert!(
        shipped.contains("\nduration: 6h\n"),
        "the shipped scenario changed"
    );
    let yaml = shipped.replace(
        "\nduration: 6h\n",
        &format!("\nduration: 1h\nstep: {step}\n"),
    );
    std::fs::create_dir_all(dir.join("manifests")).unwrap();
    std::fs::copy(
        root().join("scenarios/manifests/cron-lunch.yaml"),
        dir.join("manifests/cron-lunch.yaml"),
    )
    .unwrap();
    let path = dir.join(format!("cron-lunch-{step}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path
}

/// The run's own outcomes in `summary.json` (not those sampled per row, which depend on the
/// step by design): its latencies, waits, totals and CPU throttling.
fn outcomes(out: &Path) -> Vec<Value> {
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    ["latency_s", "wait_s", "requests", "throttled_s"]
        .iter()
        .map(|k| {
            s.get(*k)
                .cloned()
                .unwrap_or_else(|| panic!("no {k} in {s}"))
        })
        .collect()
}

/// Sampling four times as often reads every pod's CPU four times as often: the outcomes stay
/// the same to the last bit (they moved in their last digits when a reading advanced the
/// pod's CPU clock and so split its integral at every observation).
#[test]
fn the_time_series_step_does_not_change_the_runs_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for step in ["1s", "250ms"] {
        let scenario = cron_lunch_with_step(dir.path(), step);
        let out = dir.path().join(format!("out-{step}"));
        let o = run_into(&scenario, &out, &["--no-charts"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        seen.push(outcomes(&out));
    }
    assert_eq!(seen[0], seen[1]);
}
