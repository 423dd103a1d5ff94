//! Resources stay bounded whatever the input asks (issue 14, docs/limits.md): huge rates,
//! durations, counts and tiny periods are refused with exit 2 naming the file, the line and the
//! field at fault (never a panic, an abort or a hang); `--jobs` is capped with a warning;
//! `validate` is linear in a huge trigger type.

use assert_cmd::Command;
use std::path::Path;
use std::time::{Duration, Instant};

/// A small flow-level scenario of a constant load, `{rate}` and `{extra}` filled in.
const SCENARIO: &str = "name: t
fidelity: fluid
duration: 10m
trace:
  generate: {kind: constant, rate: RATE}
workload:
  kind: http
  service_time: {dist: exponential, mean: 50ms}
  concurrency: 4
  timeout: 10s
pods:
  replicas: 2
  cpu_request: 250m
EXTRA
";

const HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: MAX
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
";

fn scenario(rate: &str, extra: &str) -> String {
    SCENARIO.replace("RATE", rate).replace("EXTRA", extra)
}

/// Run `scalesim ARGS…` in `dir` with a time limit; returns (exit code, stderr). A run that
/// outlives the limit is a hang and fails the test.
fn run_in(dir: &Path, args: &[&str], limit: Duration) -> (i32, String) {
    let out = Command::cargo_bin("scalesim")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .timeout(limit)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap_or(-1), err)
}

/// Write `s.yaml` (and any other files) into a fresh folder and run it.
fn run_files(files: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    run_in(
        dir.path(),
        &["run", "s.yaml", "--out", "o", "-q", "--no-charts"],
        Duration::from_secs(60),
    )
}

/// The scenario is refused (exit 2) naming every needle.
fn refused(files: &[(&str, &str)], needles: &[&str]) {
    let (code, err) = run_files(files);
    assert_eq!(code, 2, "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr should contain {n:?}:\n{err}");
    }
}

#[test]
fn flow_level_rates_beyond_the_limit_are_refused_not_a_panic_or_an_abort() {
    // 1e18 panicked with `capacity overflow`; 1e9 aborted allocating 24 GB.
    for rate in ["1e18", "1e9"] {
        refused(
            &[("s.yaml", &scenario(rate, ""))],
            &[
                "s.yaml:5:",
                "field `trace.generate`",
                "1e7 requests/s",
                "docs/limits.md",
            ],
        );
    }
    // `scale` is named when it is what lifts the rate.
    let scaled = scenario("100", "").replace("rate: 100}", "rate: 100}\n  scale: 1e12");
    refused(&[("s.yaml", &scaled)], &["field `trace.scale`"]);
}

#[test]
fn a_flow_level_rate_at_the_limit_runs() {
    let (code, err) = run_files(&[("s.yaml", &scenario("1e7", ""))]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_huge_rate_in_a_csv_or_prometheus_trace_is_refused_on_its_line() {
    let s = scenario("0", "").replace("generate: {kind: constant, rate: 0}", "file: trace.csv");
    let s = s.replace("fidelity: fluid", "fidelity: auto");
    refused(
        &[("s.yaml", &s), ("trace.csv", "time,rps\n0,10\n60,1e20\n")],
        &["trace.csv:3", "1e20", "docs/limits.md"],
    );
    let prom = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1717243200,"10"],
[1717243215,"99999999999999999999999"]]}]}}"#;
    let s = s.replace("trace.csv", "q.json");
    refused(
        &[("s.yaml", &s), ("q.json", prom)],
        &["q.json:2", "docs/limits.md"],
    );
}

#[test]
fn a_request_level_run_far_beyond_its_size_is_refused_naming_fidelity() {
    // 1e6 requests/s for 10 minutes: 600 million requests grew to GBs at request level.
    let s = scenario("1e6", "").replace("fidelity: fluid", "fidelity: request");
    refused(
        &[("s.yaml", &s)],
        &["s.yaml:2:", "field `fidelity`", "fidelity: fluid"],
    );
    // Without `fidelity` (request level by default) the field is named all the same.
    let s = scenario("1e6", "").replace("fidelity: fluid\n", "");
    refused(&[("s.yaml", &s)], &["field `fidelity`"]);
    // `auto` picks the flow-level model and runs.
    let s = scenario("1e6", "").replace("fidelity: fluid", "fidelity: auto");
    let (code, err) = run_files(&[("s.yaml", &s)]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_huge_duration_is_blamed_on_duration() {
    let s = scenario("10", "").replace("duration: 10m", "duration: 1000000000000");
    refused(
        &[("s.yaml", &s)],
        &["s.yaml:3:", "field `duration`", "366 days"],
    );
    // A trace file spanning more than the limit, without `duration`, is blamed on the trace.
    let s = scenario("0", "")
        .replace("duration: 10m\n", "")
        .replace("generate: {kind: constant, rate: 0}", "file: trace.csv");
    refused(
        &[
            ("s.yaml", &s),
            ("trace.csv", "time,rps\n0,10\n1000000000000,10\n"),
        ],
        &["field `trace`", "give a shorter `duration`"],
    );
}

#[test]
fn every_loop_period_has_a_floor_naming_its_field() {
    // `fluid_step: 1ns` ran forever.
    let s = scenario("10", "").replace("fidelity: fluid", "fidelity: fluid\nfluid_step: 1ns");
    refused(
        &[("s.yaml", &s)],
        &["s.yaml:3:", "field `fluid_step`", "1ms"],
    );
    // A fluid step above the floor but with too many intervals over the run.
    let s = scenario("10", "")
        .replace("fidelity: fluid", "fidelity: fluid\nfluid_step: 1ms")
        .replace("duration: 10m", "duration: 30d");
    refused(
        &[("s.yaml", &s)],
        &["field `fluid_step`", "use a period of at least"],
    );
    for (extra, field) in [
        (
            "cluster: {controller_manager: {sync_period: 1ms}}",
            "cluster.controller_manager.sync_period",
        ),
        (
            "cluster: {metrics_server: {resolution: 1ns}}",
            "cluster.metrics_server.resolution",
        ),
        (
            "cluster:\n  nodes: {cpu: 4, memory: 16Gi}\n  node_autoscaler: {kind: cluster-autoscaler, scan_interval: 1ms}",
            "cluster.node_autoscaler.scan_interval",
        ),
    ] {
        refused(
            &[("s.yaml", &scenario("10", extra))],
            &[
                &format!("field `{field}`"),
                "shortest period",
                "docs/limits.md",
            ],
        );
    }
    let s = scenario("10", "").replace("pods:\n", "pods:\n  liveness: {period: 1ns}\n");
    refused(&[("s.yaml", &s)], &["field `pods.liveness.period`"]);
}

#[test]
fn huge_counts_are_refused_naming_their_field() {
    let s = scenario("10", "").replace("concurrency: 4", "concurrency: 4000000000");
    refused(
        &[("s.yaml", &s)],
        &["s.yaml:9:", "field `workload.concurrency`"],
    );
    let s = scenario(
        "10",
        "cluster: {nodes: {cpu: 4, memory: 16Gi, initial: 4000000000}}",
    );
    refused(
        &[("s.yaml", &s)],
        &["field `cluster.nodes.initial`", "10000"],
    );
    let s = scenario("10", "").replace("replicas: 2", "replicas: 100001");
    refused(&[("s.yaml", &s)], &["field `pods.replicas`", "100000"]);
    let s = scenario("10", "autoscaler: {manifests: [hpa.yaml]}");
    refused(
        &[
            ("s.yaml", &s),
            ("hpa.yaml", &HPA.replace("MAX", "2000000000")),
        ],
        &["maxReplicas of HPA \"web\"", "100000"],
    );
}

#[test]
fn a_step_that_would_count_past_its_counters_is_refused_naming_step() {
    let s = scenario("9e6", "").replace("duration: 10m", "duration: 10m\nstep: 5m");
    refused(
        &[("s.yaml", &s)],
        &["s.yaml:4:", "field `step`", "give a `step` of at most"],
    );
}

#[test]
fn a_hundred_thousand_replicas_run() {
    let s = scenario("1000", "")
        .replace("replicas: 2", "replicas: 100000")
        .replace("duration: 10m", "duration: 1m");
    let (code, err) = run_files(&[("s.yaml", &s)]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn jobs_are_capped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("10", "").replace("duration: 10m", "duration: 1m");
    std::fs::write(dir.path().join("s.yaml"), s).unwrap();
    let (code, err) = run_in(
        dir.path(),
        &[
            "sweep",
            "s.yaml",
            "--vary",
            "workload.concurrency=4",
            "--jobs",
            "1000000",
            "--out",
            "sw",
            "-q",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("--jobs 1000000 is more than 4 threads per core"),
        "{err}"
    );
    let (code, err) = run_in(
        dir.path(),
        &["check", "s.yaml", "--jobs", "1000000", "--out", "ck"],
        Duration::from_secs(60),
    );
    assert!(code == 0 || code == 1, "{err}");
    assert!(
        err.contains("--jobs 1000000 is more than 4 threads per core"),
        "{err}"
    );
}

#[test]
fn sweep_runs_are_bounded_replications_included() {
    // Four billion replications of one point allocated a task for each before running any.
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("10", "").replace("duration: 10m", "duration: 1m");
    std::fs::write(dir.path().join("s.yaml"), s).unwrap();
    let (code, err) = run_in(
        dir.path(),
        &[
            "sweep",
            "s.yaml",
            "--vary",
            "workload.concurrency=4",
            "--replications",
            "4000000000",
            "--out",
            "sw",
            "-q",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("replications") && err.contains("1000000 runs"),
        "{err}"
    );
}

#[test]
fn validate_is_linear_in_a_huge_trigger_type() {
    let dir = tempfile::tempdir().unwrap();
    let so = format!(
        "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {{name: w}}
spec:
  scaleTargetRef: {{name: web}}
  triggers:
  - type: {}
    metadata: {{value: '1'}}
",
        "x".repeat(2_000_000)
    );
    std::fs::write(dir.path().join("so.yaml"), so).unwrap();
    let start = Instant::now();
    let out = Command::cargo_bin("scalesim")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "so.yaml"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    // 16 s in a release build before; well under a second now, even unoptimised.
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    // The warning quotes the type shortened (the report lists it as written).
    assert!(
        text.contains("… (2000000 characters)` is not a core KEDA scaler"),
        "{}",
        &text[..text.len().min(2000)]
    );
}

#[test]
fn a_timeseries_over_five_million_rows_is_still_refused_naming_step() {
    let s = scenario("10", "").replace("duration: 10m", "duration: 100d\nstep: 1s");
    refused(
        &[("s.yaml", &s)],
        &["s.yaml:4:", "field `step`", "5 million rows"],
    );
}
