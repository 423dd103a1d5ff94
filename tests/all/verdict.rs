//! The verdict end to end through the binary (docs/verdict.md): `run` prints it first and
//! writes it into summary.json; a metric nothing feeds stops the run with the snippet to paste
//! unless `--allow-missing-metrics`; `validate` warns about unrendered template text.

use crate::helpers::{root, run_in as scalesim};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn verdict(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["verdict"].clone()
}

/// Run a shipped scenario without charts into `out`: (stdout, verdict object).
fn run_shipped(name: &str, out: &Path) -> (String, Value) {
    let scenario = format!("scenarios/{name}.yaml");
    let o = out.to_str().unwrap();
    let (code, stdout, stderr) = scalesim(&root(), &["run", &scenario, "--out", o, "--no-charts"]);
    assert_eq!(code, 0, "{stderr}");
    (stdout, verdict(out))
}

#[test]
fn a_run_that_keeps_up_says_so_on_its_first_line() {
    let t = tempfile::tempdir().unwrap();
    let (stdout, v) = run_shipped("cron-lunch", t.path());
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with("verdict: kept up — "), "{stdout}");
    assert!(first.contains("3–24 replicas"), "{first}");
    assert_eq!(v["kept_up"], true, "{v}");
    assert_eq!(v["failed"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["replicas_min"], 3);
    assert_eq!(v["replicas_max"], 24);
    // The table follows the verdict.
    assert!(stdout.lines().nth(1).unwrap().starts_with('┌'), "{stdout}");
}

#[test]
fn timing_out_one_percent_of_requests_is_falling_behind() {
    // checkout-spike times out 1.63 % of its requests during the spike: far above the 0.1 %
    // a run may lose and still count as keeping up.
    let t = tempfile::tempdir().unwrap();
    let (stdout, v) = run_shipped("checkout-spike", t.path());
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with("verdict: fell behind for "), "{first}");
    assert!(first.contains("1.63% timed out"), "{first}");
    assert_eq!(v["kept_up"], false, "{v}");
    assert!(v["overloaded_s"].as_f64().unwrap() > 0.0, "{v}");
    let from = v["behind_from_s"].as_f64().unwrap();
    let to = v["behind_to_s"].as_f64().unwrap();
    assert!(
        from >= 600.0 && to > from,
        "the spike starts at 10 min: {v}"
    );
    // The worst moments fall in the spike.
    let worst = &v["worst"];
    assert!(worst["backlog"]["value"].as_u64().unwrap() > 1000, "{v}");
    assert!(
        worst["latency_p99_s"]["t_s"].as_f64().unwrap() >= 600.0,
        "{v}"
    );
}

#[test]
fn quiet_silences_stdout_but_never_warnings() {
    let t = tempfile::tempdir().unwrap();
    let o = t.path().to_str().unwrap();
    let args = [
        "run",
        "scenarios/checkout-spike.yaml",
        "--out",
        o,
        "--no-charts",
        "-q",
    ];
    let (code, stdout, stderr) = scalesim(&root(), &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("warning: "), "{stderr}");
}

/// A scenario folder with an HPA capped at `max` replicas on CPU, under a load that needs far
/// more.
fn capped_scenario(dir: &Path, max: u32) -> PathBuf {
    std::fs::write(
        dir.join("hpa.yaml"),
        format!(
            "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: 1
  maxReplicas: {max}
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}
"
        ),
    )
    .unwrap();
    let path = dir.join("capped.yaml");
    std::fs::write(
        &path,
        "name: capped
duration: 15m
trace: {generate: {kind: step, from: 2, to: 200, at: 2m}}
workload: {kind: http, service_time: {dist: exponential, mean: 100ms}, cpu_per_request: 100m, concurrency: 4, timeout: 5s}
pods: {replicas: 1, cpu_request: 500m, startup: 10s}
autoscaler: {manifests: [hpa.yaml]}
",
    )
    .unwrap();
    path
}

#[test]
fn limited_by_names_max_replicas_when_it_caps_the_autoscaler() {
    let t = tempfile::tempdir().unwrap();
    capped_scenario(t.path(), 3);
    let (code, stdout, stderr) = scalesim(
        t.path(),
        &["run", "capped.yaml", "--out", "out", "--no-charts"],
    );
    assert_eq!(code, 0, "{stderr}");
    let v = verdict(&t.path().join("out"));
    assert_eq!(v["kept_up"], false, "{v}");
    let first_limit = &v["limited_by"][0];
    assert_eq!(first_limit["by"], "max_replicas", "{v}");
    assert_eq!(first_limit["detail"], "maxReplicas 3", "{v}");
    assert_eq!(first_limit["autoscaler"], "HPA web", "{v}");
    assert!(first_limit["from_s"].as_f64().unwrap() >= 120.0, "{v}");
    let first = stdout.lines().next().unwrap();
    assert!(first.contains("limited by maxReplicas 3 ("), "{first}");
    // `run` exits 0 whatever the verdict.
    assert_eq!(code, 0);
}

const NATS_SCALED_OBJECT: &str = "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: orders-consumer
spec:
  scaleTargetRef:
    name: orders-consumer
  minReplicaCount: 1
  maxReplicaCount: 10
  triggers:
  - type: nats-jetstream
    metadata:
      natsServerMonitoringEndpoint: \"nats.nats.svc.cluster.local:8222\"
      account: \"$G\"
      stream: orders
      consumer: orders-consumer
      lagThreshold: \"10\"
";

fn nats_scenario(dir: &Path, extra: &str) {
    std::fs::write(dir.join("so.yaml"), NATS_SCALED_OBJECT).unwrap();
    std::fs::write(
        dir.join("nats.yaml"),
        format!(
            "name: nats
duration: 10m
trace: {{generate: {{kind: constant, rate: 20}}}}
workload: {{kind: queue, service_time: {{dist: lognormal, mean: 200ms, p99: 1s}}}}
pods: {{replicas: 1}}
autoscaler: {{manifests: [so.yaml]}}
{extra}"
        ),
    )
    .unwrap();
}

#[test]
fn a_trigger_nothing_feeds_stops_the_run_with_the_snippet_to_paste() {
    let t = tempfile::tempdir().unwrap();
    nats_scenario(t.path(), "");
    let (code, stdout, stderr) = scalesim(t.path(), &["run", "nats.yaml", "--out", "out"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("triggers[0] nats-jetstream"), "{stderr}");
    assert!(
        stderr.contains("ScaledObject \"orders-consumer\""),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-missing-metrics"), "{stderr}");
    let snippet = "metrics:\n  s0-nats-jetstream: {signal: backlog}\n";
    assert!(stderr.contains(snippet), "{stderr}");
    assert!(!t.path().join("out/summary.json").exists());
    // The snippet, pasted as printed, makes the scenario run and the trigger read its signal.
    nats_scenario(t.path(), snippet);
    let (code, stdout, stderr) = scalesim(t.path(), &["run", "nats.yaml", "--out", "out"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("verdict: "), "{stdout}");
    let v = verdict(&t.path().join("out"));
    assert!(v.get("never_read").is_none(), "{v}");
    assert!(
        v["replicas_max"].as_i64().unwrap() > 1,
        "it scales on the bound backlog: {v}"
    );
}

#[test]
fn allow_missing_metrics_runs_and_the_verdict_says_the_metric_was_never_read() {
    let t = tempfile::tempdir().unwrap();
    nats_scenario(t.path(), "");
    let args = [
        "run",
        "nats.yaml",
        "--out",
        "out",
        "--no-charts",
        "--allow-missing-metrics",
    ];
    let (code, stdout, stderr) = scalesim(t.path(), &args);
    assert_eq!(code, 0, "{stderr}");
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with("verdict: "), "{first}");
    assert!(
        first.contains("never read metric s0-nats-jetstream"),
        "{first}"
    );
    assert!(stderr.contains("triggers[0] nats-jetstream"), "{stderr}");
    let v = verdict(&t.path().join("out"));
    assert_eq!(v["never_read"][0]["metric"], "s0-nats-jetstream", "{v}");
    assert_eq!(
        v["never_read"][0]["autoscaler"],
        "ScaledObject \"orders-consumer\""
    );
    assert!(
        v["limited_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["by"] == "metric_unavailable"),
        "{v}"
    );
}

#[test]
fn an_hpa_metric_nothing_feeds_is_named_with_its_binding() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("hpa.yaml"),
        "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: External
    external:
      metric: {name: http_requests_per_second}
      target: {type: AverageValue, averageValue: \"50\"}
",
    )
    .unwrap();
    std::fs::write(
        t.path().join("s.yaml"),
        "duration: 5m
trace: {generate: {kind: constant, rate: 20}}
workload: {kind: http, service_time: {dist: exponential, mean: 50ms}}
pods: {replicas: 1}
autoscaler: {manifests: [hpa.yaml]}
",
    )
    .unwrap();
    let (code, _, stderr) = scalesim(t.path(), &["run", "s.yaml", "--out", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("HPA \"api\": metric `http_requests_per_second` (External)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("metrics:\n  http_requests_per_second: {signal: request_rate}"),
        "{stderr}"
    );
}

#[test]
fn validate_warns_about_unrendered_template_text() {
    let t = tempfile::tempdir().unwrap();
    let manifest = "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
  labels: {release: \"{{ .Values.release }}\"}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 1
  triggers:
  - type: cpu
    metricType: Utilization
    metadata: {value: \"60\"}
";
    std::fs::write(t.path().join("so.yaml"), manifest).unwrap();
    let (code, stdout, stderr) = scalesim(t.path(), &["validate", "so.yaml"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let warning = stdout
        .lines()
        .find(|l| l.contains("input.template-text"))
        .unwrap_or_else(|| panic!("no template warning:\n{stdout}"));
    assert!(warning.contains("warning: so.yaml:5"), "{warning}");
    assert!(warning.contains("metadata.labels.release"), "{warning}");
    assert!(warning.contains("{{ .Values.release }}"), "{warning}");
    // An envsubst variable too.
    let env = manifest.replace("\"60\"", "\"${CPU_TARGET}\"");
    std::fs::write(t.path().join("so.yaml"), env).unwrap();
    let (_, stdout, _) = scalesim(t.path(), &["validate", "so.yaml"]);
    assert!(
        stdout.contains("`${CPU_TARGET}` looks like unrendered template text"),
        "{stdout}"
    );
}
