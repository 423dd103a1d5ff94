//! The binary end to end: the shipped scenario tells its story, outputs are deterministic,
//! and every shipped trace loads and simulates.

use crate::helpers::{output_at_root as run, root};
use std::path::Path;

fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &std::collections::BTreeMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap_or(f64::NAN)
}

#[test]
fn same_seed_same_bytes_different_seed_different_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for (name, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
        let o = run(&[
            "run",
            "scenarios/checkout-spike.yaml",
            "--out",
            &out(name),
            "--seed",
            seed,
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for file in ["timeseries.csv", "summary.json", "events.jsonl"] {
        let a = std::fs::read(dir.path().join("a").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(file)).unwrap();
        assert!(a == b, "{file} differs between two runs with the same seed");
    }
    let a = std::fs::read(dir.path().join("a/summary.json")).unwrap();
    let c = std::fs::read(dir.path().join("c/summary.json")).unwrap();
    assert_ne!(a, c, "a different seed should give a different run");
    // No absolute paths or wall-clock times leak into outputs.
    let text =
        String::from_utf8(std::fs::read(dir.path().join("a/events.jsonl")).unwrap()).unwrap();
    assert!(!text.contains(&*root().to_string_lossy()));
}

#[test]
fn the_checkout_spike_scales_out_late_then_in_after_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "run",
        "scenarios/checkout-spike.yaml",
        "--out",
        &dir.path().to_string_lossy(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = read_csv(&dir.path().join("timeseries.csv"));
    let at = |t: f64| rows.iter().find(|r| num(r, "time_s") >= t).unwrap();
    let window = |a: f64, b: f64| {
        rows.iter()
            .filter(move |r| (a..b).contains(&num(r, "time_s")))
    };
    // Before the spike: 6 pods, no backlog to speak of.
    assert_eq!(num(at(590.0), "spec_replicas"), 6.0);
    // The spike outruns pod start-up: backlog and p99 latency climb.
    let backlog = window(600.0, 720.0)
        .map(|r| num(r, "backlog"))
        .fold(0.0, f64::max);
    let p99 = window(600.0, 720.0)
        .map(|r| num(r, "latency_p99_s"))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    assert!(backlog > 1000.0, "backlog peaked at {backlog}");
    assert!(p99 > 5.0, "p99 peaked at {p99}");
    // The HPA scales out.
    let peak = window(600.0, 1200.0)
        .map(|r| num(r, "spec_replicas"))
        .fold(0.0, f64::max);
    assert!(peak >= 20.0, "scaled out to {peak}");
    // Load falls at ~1320 s; nothing is removed until the 5-minute window has passed.
    let held = num(at(1330.0), "spec_replicas");
    for r in window(1330.0, 1320.0 + 180.0) {
        assert_eq!(
            num(r, "spec_replicas"),
            held,
            "scale-in before the stabilization window at {}",
            r["time_s"]
        );
    }
    assert_eq!(
        num(rows.last().unwrap(), "spec_replicas"),
        6.0,
        "back to 6 pods by the end"
    );
}

#[test]
fn every_shipped_trace_loads_and_simulates() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("traces")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let scenario = dir.path().join(format!(
            "{}.yaml",
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(
            &scenario,
            format!(
                "duration: 30m\nfidelity: auto\ntrace: {{file: {:?}}}\nworkload: {{kind: queue, service_time: {{dist: exponential, mean: 100ms}}, concurrency: 4}}\npods: {{replicas: 3}}\n",
                path
            ),
        )
        .unwrap();
        let o = run(&[
            "run",
            &scenario.to_string_lossy(),
            "--out",
            &dir.path().join("out").to_string_lossy(),
            "-q",
        ]);
        assert!(
            o.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
                .unwrap();
        let r = &summary["requests"];
        let total = |k: &str| r[k].as_u64().unwrap();
        assert_eq!(
            total("arrived"),
            total("served") + total("dropped") + total("timed_out") + total("in_flight_end")
        );
        n += 1;
    }
    assert!(n >= 8, "{n} traces");
}
