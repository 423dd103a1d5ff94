//! Nodes and overload, each mechanism switched on in a scenario and shown by its effect on the
//! numbers a user reads: the shipped node-bound spike against the same spike with spare nodes,
//! Cluster Autoscaler against Karpenter, the 503 gateway whose CPU stays low, retry storms,
//! liveness restarts, CFS throttling and cold pods.

use crate::helpers::sim::Sim;
use scalesim::scenario::patch::{Patch, PatchTarget};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, RunResult, run};
use serde_json::{Value, json};
use std::path::Path;

/// Run a shipped scenario with `(path, value)` changes to the scenario file.
fn shipped(name: &str, patches: &[(&str, Value)]) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let overrides = Overrides {
        patches: patches
            .iter()
            .map(|(p, v)| Patch {
                target: PatchTarget::Scenario,
                path: p.to_string(),
                value: v.clone(),
            })
            .collect(),
        ..Overrides::default()
    };
    let scenario = Scenario::load(&path, &overrides).unwrap_or_else(|e| panic!("{name}: {e}"));
    run(&scenario, &RunOptions::default()).unwrap()
}

/// First time at or after `from` that `ready_pods` reaches `n`.
fn ready_at_least(r: &RunResult, from: f64, n: u32) -> Option<f64> {
    let s = &r.series;
    (0..s.rows)
        .filter(|&i| s.time(i) >= from)
        .find(|&i| s.ready_pods[i] >= n)
        .map(|i| s.time(i))
}

fn ratio(n: u64, of: u64) -> f64 {
    n as f64 / of.max(1) as f64
}

#[test]
fn node_provisioning_not_pod_start_up_sets_the_lag_when_no_node_is_spare() {
    let tight = shipped("node-bound-spike", &[]);
    let spare = shipped("node-bound-spike-headroom", &[]);
    let (t, s) = (&tight.summary, &spare.summary);

    // Pods the HPA adds wait for a node in one, never in the other.
    assert!(t.pending_pod_s > 300.0, "pending {} pod-s", t.pending_pod_s);
    assert_eq!(s.pending_pod_s, 0.0);
    assert!(tight.series.unschedulable_pods.iter().any(|&n| n > 0));
    let tn = t.nodes.as_ref().unwrap();
    assert!(tn.added >= 2, "Cluster Autoscaler added {} nodes", tn.added);
    assert!(tn.removed >= 1, "and removed unneeded ones after the spike");

    // The spike starts at 10 min; 6 → 12 Ready pods takes a node provisioning (≥ 60 s) longer.
    let lag_tight = ready_at_least(&tight, 600.0, 12).unwrap() - 600.0;
    let lag_spare = ready_at_least(&spare, 600.0, 12).unwrap() - 600.0;
    assert!(
        lag_tight >= lag_spare + 60.0,
        "12 Ready pods {lag_tight} s after the spike without spare nodes, {lag_spare} s with"
    );

    // Users pay for the lag in timeouts, and for the headroom in node-hours.
    let to = |r: &RunResult| ratio(r.totals.timed_out, r.totals.arrived);
    assert!(
        to(&tight) > 2.0 * to(&spare),
        "timed out {} vs {}",
        to(&tight),
        to(&spare)
    );
    let sn = s.nodes.as_ref().unwrap();
    assert!(tn.node_hours < sn.node_hours);
    assert!((sn.node_hours - 6.0).abs() < 0.01, "six nodes for an hour");
    assert!((sn.cost - 6.0 * 0.192).abs() < 0.01, "priced per node-hour");
}

#[test]
fn karpenter_gets_nodes_sooner_than_cluster_autoscaler() {
    let ca = shipped("node-bound-spike", &[]);
    let k = shipped(
        "node-bound-spike",
        &[("cluster.node_autoscaler.kind", json!("karpenter"))],
    );
    assert_eq!(k.summary.nodes.as_ref().unwrap().autoscaler, "karpenter");
    assert!(
        k.summary.pending_pod_s < 0.8 * ca.summary.pending_pod_s,
        "pending pod-seconds: Karpenter {} vs Cluster Autoscaler {}",
        k.summary.pending_pod_s,
        ca.summary.pending_pod_s
    );
    assert!(k.totals.timed_out < ca.totals.timed_out);
}

#[test]
fn without_a_node_autoscaler_pods_stay_pending_and_capacity_is_capped() {
    let r = shipped(
        "node-bound-spike",
        &[("cluster.node_autoscaler.kind", json!("none"))],
    );
    let s = &r.series;
    // One node holds 7 pods; the HPA asks for far more, the rest stay Pending.
    assert!(s.ready_pods.iter().all(|&n| n <= 7));
    assert!(s.spec_replicas.iter().any(|&n| n > 7));
    let at_peak = s.row(1200.0);
    assert_eq!(
        s.unschedulable_pods[at_peak] as i32,
        s.spec_replicas[at_peak] - 7
    );
    assert_eq!(r.summary.nodes.as_ref().unwrap().max, 1);
}

#[test]
fn a_full_pod_queue_answers_503_while_the_cpu_hpa_sees_nothing() {
    let capped = shipped("overload-503", &[]);
    let t = &capped.totals;
    // Most requests fail, answered 503 at once...
    assert!(ratio(t.dropped_rejected, t.arrived) > 0.5);
    assert!(
        t.rejected > t.dropped_rejected,
        "retried 503s are counted too"
    );
    // ...yet CPU never passes 40 % of the request (5 ms of CPU per 200 ms held thread), below
    // the 60 % target, so the HPA never adds a pod.
    let s = &capped.series;
    let max_cpu = s.cpu_utilization.iter().cloned().fold(0.0, f64::max);
    assert!(max_cpu <= 41.0, "CPU reached {max_cpu} %");
    assert!(s.spec_replicas.iter().all(|&n| n == 4));
    // Failing fast: what is served is served within the cap's queueing, not at the timeout.
    assert!(capped.summary.latency_s.p99.unwrap() < 2.5);

    // Without the cap the same overload queues up to the client timeout instead.
    let uncapped = shipped(
        "overload-503",
        &[
            ("workload.max_queue", json!(1_000_000)),
            ("workload.retries.max", json!(0)),
        ],
    );
    assert_eq!(uncapped.totals.rejected, 0);
    assert!(uncapped.totals.timed_out > uncapped.totals.arrived / 3);
    let p99 = |r: &RunResult| r.summary.latency_s.p99.unwrap();
    assert!(
        p99(&uncapped) > 1.5 * p99(&capped),
        "{} vs {}",
        p99(&uncapped),
        p99(&capped)
    );
}

#[test]
fn retries_amplify_the_load_into_a_storm() {
    let with = shipped("overload-503", &[]);
    let without = shipped("overload-503", &[("workload.retries.max", json!(0))]);
    // The same unique requests...
    assert_eq!(with.totals.arrived, without.totals.arrived);
    assert_eq!(without.totals.retries, 0);
    // ...become more than twice as many attempts, and a retried request more often succeeds.
    let attempts = with.totals.arrived + with.totals.retries;
    assert!(attempts > 2 * with.totals.arrived, "{attempts} attempts");
    assert!(with.totals.rejected > 2 * without.totals.rejected);
    assert!(with.totals.dropped < without.totals.dropped);
    // Retries happen when the pods are full, not before the load steps up at 5 min.
    let s = &with.series;
    let before: u64 = (0..s.row(240.0)).map(|i| s.retries[i] as u64).sum();
    let after: u64 = (s.row(360.0)..s.rows).map(|i| s.retries[i] as u64).sum();
    assert!(
        after > 100 * before.max(1),
        "{before} before, {after} after"
    );
}

/// Two pods that can serve 2 × 8 / 50 ms = 320 requests/s at most, offered `rate`.
fn saturated(rate: f64) -> Sim {
    Sim::new(rate, "10m", 2)
}

#[test]
fn liveness_probes_restart_saturated_pods_with_crash_loop_backoff() {
    let probe = "liveness: {period: 5s, timeout: 1s, failure_threshold: 3}";
    let healthy = saturated(200.0).pods(probe).run();
    assert_eq!(
        healthy.result.summary.restarts, 0,
        "probes pass below saturation"
    );

    let plain = saturated(500.0).run();
    let probed = saturated(500.0).pods(probe).run();
    let r = &probed.result;
    assert!(r.summary.restarts >= 4, "{} restarts", r.summary.restarts);
    assert!(r.totals.dropped_restarted > 0, "in-flight work is lost");
    // Back-off 0, 10, 20, 40, 80, 160 s… from each death: at most ~7 restarts per pod in 10 min.
    assert!(r.summary.restarts <= 2 * 7);
    // Restarted pods are not Ready while they boot: less capacity, fewer served.
    assert!(r.series.ready_pods.iter().any(|&n| n < 2));
    assert!(r.totals.served < plain.result.totals.served);
}

#[test]
fn a_cfs_quota_throttles_a_pod_whose_average_is_below_its_limit() {
    // One pod at 30 requests/s × 10 ms of CPU = 0.3 cores on average, 60 % of its 500m limit;
    // but 8 requests in service at once want 1.6 cores, so inside a 100 ms period the pod
    // spends its 50 ms of quota early and stalls until the period ends.
    let run = |pods: &str| {
        let mut s = Sim::new(30.0, "5m", 1);
        if !pods.is_empty() {
            s = s.pods(pods);
        }
        s.run().result
    };
    let unlimited = run("");
    let smooth = run("cpu_limit: 500m\ncpu_cfs: false");
    // The quota is on by default wherever there is a limit, as the kubelet's is.
    let cfs = run("cpu_limit: 500m");
    assert_eq!(
        cfs.summary,
        run("cpu_limit: 500m\ncpu_cfs: true").summary,
        "on by default"
    );
    let long_period = run("cpu_limit: 500m\ncpu_cfs: true\ncfs_period: 1s");

    assert_eq!(unlimited.summary.throttled_s, 0.0);
    assert_eq!(smooth.summary.throttled_s, 0.0, "a smooth cap never stalls");
    let throttled = cfs.summary.throttled_s;
    assert!(throttled > 5.0, "throttled {throttled} s");
    let in_series: f64 = cfs.series.throttled_s.iter().sum();
    assert!((in_series - throttled).abs() < 1e-6 * throttled);

    // Throttling is latency the unlimited pod does not have...
    let p99 = |r: &RunResult| r.summary.latency_s.p99.unwrap();
    assert!(
        p99(&cfs) > 1.15 * p99(&unlimited),
        "{} vs {}",
        p99(&cfs),
        p99(&unlimited)
    );
    // ...and, unlike a smooth cap, it depends on the period: over a 1 s period the bursts
    // average out under the quota, so the pod is rarely throttled.
    assert!(long_period.summary.throttled_s < 0.2 * throttled);
    assert!(
        p99(&long_period) < p99(&cfs),
        "p99 {} with a 1 s period vs {} with 100 ms",
        p99(&long_period),
        p99(&cfs)
    );
}

#[test]
fn cold_pods_serve_slower_until_warm() {
    // Two warm pods; the HPA's minReplicas adds four cold ones at once, which the balancer
    // gives their share of requests from the moment they are Ready.
    let hpa = "minReplicas: 6\nmaxReplicas: 6\nmetrics:\n- type: Resource\n  resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}";
    let run = |warmup: bool| {
        let mut s = Sim::new(200.0, "5m", 2).hpa(hpa);
        if warmup {
            s = s.pods("warmup: {duration: 120s, speed: 0.25}");
        }
        s.run().result
    };
    let warm = run(false);
    let cold = run(true);
    let mean_latency = |r: &RunResult, from: f64, to: f64| {
        let s = &r.series;
        let rows = s.row(from)..s.row(to);
        rows.clone().map(|i| s.latency_p50[i]).sum::<f64>() / rows.len() as f64
    };
    // While the new pods warm up (Ready at ~20 s, warm at ~140 s), median latency is higher...
    assert!(mean_latency(&cold, 40.0, 120.0) > 1.5 * mean_latency(&warm, 40.0, 120.0));
    // ...and once they are warm the two runs agree.
    let (a, b) = (
        mean_latency(&cold, 200.0, 300.0),
        mean_latency(&warm, 200.0, 300.0),
    );
    assert!((a - b).abs() < 0.2 * b, "{a} vs {b} when warm");
}

/// A Deployment whose container declares a liveness probe, and a scenario saturating it.
fn with_manifest_probe(pods_extra: &str) -> RunResult {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: web:1
        resources: {requests: {cpu: 500m}}
        livenessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 5
          timeoutSeconds: 1
          failureThreshold: 3
",
    )
    .unwrap();
    let scenario = format!(
        "name: probe
duration: 10m
trace: {{generate: {{kind: constant, rate: 500}}}}
workload: {{kind: http, service_time: {{dist: exponential, mean: 50ms}}, cpu_per_request: 10m, concurrency: 8}}
pods:
  manifest: deploy.yaml
  startup: 10s
{pods_extra}"
    );
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, scenario).unwrap();
    let s = Scenario::load(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    run(&s, &RunOptions::default()).unwrap()
}

#[test]
fn a_manifest_liveness_probe_runs_as_the_kubelet_runs_it_unless_turned_off() {
    let probed = with_manifest_probe("");
    assert!(
        probed.summary.restarts > 0,
        "the manifest's probe restarts saturated pods"
    );
    let off = with_manifest_probe("  liveness: {enabled: false}\n");
    assert_eq!(off.summary.restarts, 0);
}
