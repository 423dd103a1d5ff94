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

/// `run --export openmetrics`: openmetrics.txt parses as OpenMetrics (a strict parser of the
/// spec's grammar), holds the names dashboards query, each series labelled with the run,
/// stamped from the scenario's `start_time` (no wall clock), and is the same bytes every time.
#[test]
fn openmetrics_export_parses_and_names_the_run() {
    let t = tempfile::tempdir().unwrap();
    let scenario = "scenarios/sqs-worker.yaml";
    let args = [
        "--fidelity",
        "fluid",
        "--no-charts",
        "--export",
        "openmetrics",
        "-q",
    ];
    let out = |d: &str| t.path().join(d).to_str().unwrap().to_string();
    for d in ["a", "b"] {
        let dir = out(d);
        let o = run(&[&["run", scenario, "--out", &dir][..], &args[..]].concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let text = std::fs::read_to_string(t.path().join("a/openmetrics.txt")).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(t.path().join("b/openmetrics.txt")).unwrap()
    );
    assert!(text.ends_with("\n# EOF\n"));
    // The series spilled to the staging folder while the run went are gone with it.
    let hidden: Vec<_> = std::fs::read_dir(t.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".scalesim-outputs.json")
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    let parsed = parse_each_instant(&text);
    let start = 1_772_427_600.0; // start_time: 2026-03-02T06:00:00+01:00
    for name in [
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas_ready",
        "kube_horizontalpodautoscaler_status_desired_replicas",
        "keda_scaler_metrics_value",
        "keda_scaler_active",
        "http_requests",
        "http_request_duration_seconds",
        "scalesim_step_latency_seconds",
    ] {
        let samples: Vec<_> = parsed
            .iter()
            .filter_map(|p| p.families.get(name))
            .flat_map(|f| f.iter_samples())
            .collect();
        assert!(!samples.is_empty(), "no {name}");
        for s in &samples {
            let labels = s.get_labelset().unwrap();
            assert_eq!(
                labels.get_label_value("scalesim_run"),
                Some("sqs-worker"),
                "{name}"
            );
            let ts = s.timestamp.unwrap();
            assert!(ts >= start && ts < start + 6.0 * 3600.0, "{name}: {ts}");
        }
    }
    // The replicas are timeseries.csv's, row for row.
    let rows = read_csv(&t.path().join("a/timeseries.csv"));
    let spec: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("kube_deployment_spec_replicas{"))
        .map(|l| l.split(' ').nth(1).unwrap().to_string())
        .collect();
    let csv: Vec<String> = rows.iter().map(|r| r["spec_replicas"].clone()).collect();
    assert_eq!(spec, csv);
    let gauge = |v: &openmetrics_parser::OpenMetricsValue| match v {
        openmetrics_parser::OpenMetricsValue::Gauge(n) => n.as_f64(),
        other => panic!("keda_scaler_active is not a gauge: {other:?}"),
    };
    let values: Vec<f64> = parsed
        .iter()
        .flat_map(|p| p.families["keda_scaler_active"].iter_samples())
        .map(|s| gauge(&s.value))
        .collect();
    assert!(values.iter().all(|&v| v == 0.0 || v == 1.0) && values.contains(&1.0));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("a/summary.json")).unwrap()).unwrap();
    check_latency_histogram(&parsed, &rows, &summary);
}

/// `http_request_duration_seconds` is a histogram with a point at every row: its buckets are
/// cumulative over `le` (the service's bounds, up to `+Inf` = `_count`) and never fall over
/// time; `_count` is the running total of timeseries.csv's `served` (at the end, summary.json's
/// served requests) and `_sum / _count` is the run's mean latency.
fn check_latency_histogram(
    parsed: &[Exposition],
    rows: &[std::collections::BTreeMap<String, String>],
    summary: &serde_json::Value,
) {
    let bounds = [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
        5.0,
        10.0,
        f64::INFINITY,
    ];
    let points: Vec<(Vec<u64>, u64, f64)> = parsed
        .iter()
        .filter_map(|p| p.families.get("http_request_duration_seconds"))
        .flat_map(|f| f.iter_samples())
        .map(|s| match &s.value {
            openmetrics_parser::OpenMetricsValue::Histogram(h) => {
                let le: Vec<f64> = h.buckets.iter().map(|b| b.upper_bound).collect();
                assert_eq!(le, bounds);
                let buckets = h.buckets.iter().map(|b| b.count.as_f64() as u64).collect();
                (buckets, h.count.unwrap(), h.sum.as_ref().unwrap().as_f64())
            }
            other => panic!("http_request_duration_seconds is not a histogram: {other:?}"),
        })
        .collect();
    assert_eq!(points.len(), rows.len(), "a point per row");
    let mut served = 0u64;
    let mut before = (vec![0u64; bounds.len()], 0.0);
    for ((buckets, count, sum), row) in points.iter().zip(rows) {
        assert!(buckets.is_sorted(), "not cumulative over le: {buckets:?}");
        assert_eq!(buckets.last(), Some(count), "+Inf is _count");
        assert!(
            buckets.iter().zip(&before.0).all(|(a, b)| a >= b),
            "a bucket fell"
        );
        assert!(*sum >= before.1, "_sum fell");
        served += row["served"].parse::<u64>().unwrap();
        assert_eq!(*count, served, "_count is the served requests so far");
        before = (buckets.clone(), *sum);
    }
    let (_, count, sum) = points.last().unwrap();
    assert_eq!(*count, summary["requests"]["served"].as_u64().unwrap());
    assert!(
        *count > 0 && before.0[0] < *count,
        "the run's latencies span buckets"
    );
    let mean = summary["latency_s"]["mean"].as_f64().unwrap();
    let got = sum / *count as f64;
    assert!(
        (got - mean).abs() <= 1e-6 * mean,
        "_sum/_count {got} vs mean {mean}"
    );
}

type Exposition = openmetrics_parser::MetricsExposition<
    openmetrics_parser::OpenMetricsType,
    openmetrics_parser::OpenMetricsValue,
>;

/// Parse an OpenMetrics file that holds many points per series (as backfill files do) with a
/// strict parser that takes one point per series: check each series' points come in rising
/// time order, then parse the file cut into one exposition per instant (each family with a
/// point at that instant: its metadata and those samples; then `# EOF`). Every sample line is
/// parsed.
fn parse_each_instant(text: &str) -> Vec<Exposition> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    // Each family: its metadata lines, and its sample lines by timestamp (in file order).
    type Samples<'a> = BTreeMap<u64, Vec<&'a str>>;
    let mut families: Vec<(Vec<&str>, Samples<'_>)> = Vec::new();
    let mut last: HashMap<&str, f64> = Default::default();
    let mut instants = BTreeSet::new();
    for line in text.lines().filter(|l| *l != "# EOF") {
        if line.starts_with("# TYPE ") {
            families.push((vec![line], BTreeMap::new()));
            continue;
        }
        let family = families.last_mut().unwrap();
        if line.starts_with('#') {
            family.0.push(line);
            continue;
        }
        let (series, ts) = line.rsplit_once(' ').unwrap();
        let (series, _) = series.rsplit_once(' ').unwrap();
        let ts: f64 = ts.parse().unwrap();
        assert!(
            last.insert(series, ts).is_none_or(|t| t < ts),
            "{line}: time went back"
        );
        instants.insert(ts.to_bits());
        family.1.entry(ts.to_bits()).or_default().push(line);
    }
    instants
        .into_iter()
        .map(|bits| {
            let mut one = String::new();
            // A family without a point at this instant is left out: the parser misreads an
            // empty family (no sample) followed by another.
            for (meta, samples) in &families {
                let Some(samples) = samples.get(&bits) else {
                    continue;
                };
                meta.iter().for_each(|m| one += &format!("{m}\n"));
                for s in samples {
                    one += &format!("{s}\n");
                }
            }
            one += "# EOF\n";
            let at = f64::from_bits(bits);
            openmetrics_parser::openmetrics::parse_openmetrics(&one)
                .unwrap_or_else(|e| panic!("not OpenMetrics at {at:.3}: {e:?}\n{one}"))
        })
        .collect()
}
