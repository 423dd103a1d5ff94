//! A Deployment applied during a run with new resource requests rolls out a new ReplicaSet
//! (docs/rollouts.md), through the binary: the HPA's CPU utilization follows each pod's own
//! requests, a rolling update keeps within maxSurge / maxUnavailable, Recreate empties the old
//! pods before starting the new ones, and a bad `spec.strategy` is a located error.

use super::helpers::run_in;
use std::path::Path;

/// A scenario folder: `s.yaml` (an http service at `rate` requests/s of 10 m CPU each,
/// `body` after the head) and its files.
fn case(rate: f64, files: &[(&str, String)], body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let scenario = format!(
        "name: r\nstep: 1s\ntrace: {{generate: {{kind: constant, rate: {rate}}}}}\n\
         workload: {{kind: http, service_time: {{dist: constant, value: 100ms}}, cpu_per_request: 10m, concurrency: 16}}\n{body}"
    );
    std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
    dir
}

/// Deployment `web` with `replicas`, each pod requesting `cpu`, and `strategy` (spec lines
/// indented two spaces, or empty).
fn deployment(replicas: u32, cpu: &str, strategy: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: {replicas}\n{strategy}  template:\n    spec:\n      containers:\n      - name: app\n        image: app\n        resources: {{requests: {{cpu: {cpu}}}}}\n"
    )
}

/// An HPA on `web` between `min` and `max` at 50 % CPU, scaling down without a window.
fn hpa(min: u32, max: u32) -> String {
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  minReplicas: {min}\n  maxReplicas: {max}\n  metrics:\n  - type: Resource\n    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}\n  behavior:\n    scaleDown: {{stabilizationWindowSeconds: 60}}\n"
    )
}

const PODS: &str = "pods:\n  manifest: deploy.yaml\n  startup: {dist: uniform, min: 5s, max: 25s}\n  readiness: {initial_delay: 0s, period: 5s}\n";

/// Run the case; its output folder.
fn run(dir: &Path) -> std::path::PathBuf {
    let (code, _, err) = run_in(dir, &["run", "s.yaml", "-q", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    dir.join("out")
}

/// The named columns of `timeseries.csv`, one row per step.
fn columns(out: &Path, names: &[&str]) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let idx: Vec<usize> = names
        .iter()
        .map(|n| header.iter().position(|h| h == n).unwrap())
        .collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            idx.iter()
                .map(|&i| cells[i].parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

/// Pod events of `events.jsonl`: (t, pod, event, revision).
fn pod_events(out: &Path) -> Vec<(f64, u64, String, Option<u64>)> {
    std::fs::read_to_string(out.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "pod")
        .map(|v| {
            (
                v["t"].as_f64().unwrap(),
                v["pod"].as_u64().unwrap(),
                v["event"].as_str().unwrap().to_string(),
                v["revision"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn doubled_requests_halve_a_cpu_hpas_replicas() {
    // 200 requests/s × 10 m = 2 cores. At 250 m requested per pod and a 50 % target, the HPA
    // holds 2 / (0.5 × 0.25) = 16 pods; at 500 m, 2 / (0.5 × 0.5) = 8. Were the requests one
    // value for the workload (or the rollout refused), the count would stay at 16.
    let files = [
        ("deploy.yaml", deployment(16, "250m", "")),
        ("deploy-v2.yaml", deployment(16, "500m", "")),
        ("hpa.yaml", hpa(1, 40)),
    ];
    let body = format!(
        "duration: 30m\n{PODS}autoscaler: {{manifests: [hpa.yaml]}}\nchanges:\n- {{at: 10m, apply: deploy-v2.yaml}}\n"
    );
    let dir = case(200.0, &files, &body);
    let out = run(dir.path());
    let rows = columns(
        &out,
        &["time_s", "spec_replicas", "ready_pods", "cpu_utilization"],
    );
    let at = |t: f64| rows.iter().find(|r| r[0] >= t).unwrap();
    let before = at(590.0);
    assert!((15.0..=17.0).contains(&before[1]), "before: {before:?}");
    assert!((40.0..=60.0).contains(&before[3]), "before: {before:?}");
    let after = rows.last().unwrap();
    assert!((7.0..=9.0).contains(&after[1]), "after: {after:?}");
    assert_eq!(after[2], after[1], "{after:?}");
    assert!((40.0..=60.0).contains(&after[3]), "after: {after:?}");
    // Every pod still running at the end is of the new template.
    let events = pod_events(&out);
    let new: Vec<u64> = events
        .iter()
        .filter(|e| e.2 == "created" && e.3 == Some(1))
        .map(|e| e.1)
        .collect();
    let gone = |pod: u64| {
        events
            .iter()
            .any(|e| e.1 == pod && (e.2 == "exited" || e.2 == "killed"))
    };
    for pod in 0..16 {
        assert!(gone(pod), "old pod {pod} still running");
    }
    let live_new = new.iter().filter(|&&p| !gone(p)).count() as f64;
    assert_eq!(live_new, after[1]);
}

#[test]
fn a_rolling_update_keeps_within_max_surge_and_max_unavailable() {
    // 10 replicas held by the HPA's bounds; maxSurge 2, maxUnavailable 1: never more than 12
    // pods (terminating ones aside), never fewer than 9 Ready.
    let strategy = "  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 2, maxUnavailable: 1}\n";
    let files = [
        ("deploy.yaml", deployment(10, "250m", strategy)),
        ("deploy-v2.yaml", deployment(10, "500m", strategy)),
        ("hpa.yaml", hpa(10, 10)),
    ];
    let body = format!(
        "duration: 10m\n{PODS}autoscaler: {{manifests: [hpa.yaml]}}\nchanges:\n- {{at: 2m, apply: deploy-v2.yaml}}\n"
    );
    let dir = case(100.0, &files, &body);
    let out = run(dir.path());
    let rows = columns(
        &out,
        &[
            "time_s",
            "spec_replicas",
            "ready_pods",
            "starting_pods",
            "terminating_pods",
        ],
    );
    let mut surged = false;
    for r in &rows {
        assert_eq!(r[1], 10.0, "{r:?}");
        assert!(r[2] + r[3] <= 12.0, "more than replicas + maxSurge: {r:?}");
        assert!(
            r[2] >= 9.0,
            "fewer than replicas - maxUnavailable Ready: {r:?}"
        );
        surged |= r[2] + r[3] > 10.0;
    }
    assert!(surged, "the rollout never used its surge");
    let events = pod_events(&out);
    let created: Vec<&(f64, u64, String, Option<u64>)> =
        events.iter().filter(|e| e.2 == "created").collect();
    assert_eq!(created.len(), 10, "each new pod created once");
    assert!(created.iter().all(|e| e.3 == Some(1) && e.0 >= 120.0));
    let last = rows.last().unwrap();
    assert_eq!((last[2], last[3], last[4]), (10.0, 0.0, 0.0), "{last:?}");
}

#[test]
fn recreate_deletes_every_old_pod_before_creating_new_ones() {
    let strategy = "  strategy: {type: Recreate}\n";
    let files = [
        ("deploy.yaml", deployment(6, "250m", strategy)),
        ("deploy-v2.yaml", deployment(6, "500m", strategy)),
        ("hpa.yaml", hpa(6, 6)),
    ];
    let body = format!(
        "duration: 6m\n{PODS}autoscaler: {{manifests: [hpa.yaml]}}\nchanges:\n- {{at: 2m, apply: deploy-v2.yaml}}\n"
    );
    let dir = case(50.0, &files, &body);
    let out = run(dir.path());
    let events = pod_events(&out);
    let old_gone = events
        .iter()
        .filter(|e| e.1 < 6 && (e.2 == "exited" || e.2 == "killed"))
        .map(|e| e.0)
        .collect::<Vec<_>>();
    assert_eq!(old_gone.len(), 6, "every old pod is gone");
    let last_gone = old_gone.iter().cloned().fold(0.0, f64::max);
    let first_new = events
        .iter()
        .filter(|e| e.2 == "created")
        .map(|e| e.0)
        .fold(f64::INFINITY, f64::min);
    assert!(first_new >= last_gone, "{first_new} < {last_gone}");
    let rows = columns(&out, &["time_s", "ready_pods"]);
    assert!(rows.iter().any(|r| r[1] == 0.0), "Recreate has a gap");
    assert_eq!(rows.last().unwrap()[1], 6.0);
}

#[test]
fn an_invalid_strategy_is_a_located_error() {
    let cases = [
        (
            "  strategy: {type: BlueGreen}\n",
            &[
                "deploy-v2.yaml:6",
                "spec.strategy.type",
                "`BlueGreen`",
                "`Recreate`",
            ][..],
        ),
        (
            "  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}\n",
            &["deploy-v2.yaml:", "maxUnavailable", "may not be 0"][..],
        ),
        (
            "  strategy:\n    rollingUpdate: {maxSurge: 2x}\n",
            &["deploy-v2.yaml:", "maxSurge", "percentage"][..],
        ),
        (
            "  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n",
            &["deploy-v2.yaml:", "rollingUpdate", "Recreate"][..],
        ),
    ];
    for (strategy, wanted) in cases {
        let files = [
            ("deploy.yaml", deployment(4, "250m", "")),
            ("deploy-v2.yaml", deployment(4, "500m", strategy)),
            ("hpa.yaml", hpa(1, 10)),
        ];
        let body = format!(
            "duration: 5m\n{PODS}autoscaler: {{manifests: [hpa.yaml]}}\nchanges:\n- {{at: 2m, apply: deploy-v2.yaml}}\n"
        );
        let dir = case(50.0, &files, &body);
        let (code, _, err) = run_in(dir.path(), &["run", "s.yaml", "-q", "--out", "out"]);
        assert_eq!(code, 2, "{strategy}: {err}");
        for w in wanted {
            assert!(err.contains(w), "{strategy}: `{w}` not in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
}
