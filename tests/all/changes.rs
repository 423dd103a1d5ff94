//! `changes:` (docs/scenario.md#changes-during-a-run): objects applied, annotated and deleted
//! during a run. The KEDA e2e tests that edit objects mid-test (kedacore/keda
//! `tests/internals/…`) re-expressed as scenarios, asserting what upstream asserts within
//! upstream's time bounds, under both `cluster.metric_phases` settings; then the semantics
//! the e2e tests rest on, and bad input.

use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{LogEvent, RunOptions, RunResult, run};
use scalesim::yaml::Source;

const PHASES: [&str; 2] = ["aligned", "seeded"];

/// A scenario folder: the scenario `s.yaml` (a queue worker reading `t.csv`, whose columns
/// the Prometheus triggers query) and its manifest files.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// `files`: (name, text) of manifests and traces; `body`: the scenario after its fixed
    /// head (`duration`, pods, `autoscaler.manifests: [so.yaml]`, `changes:` …).
    fn new(files: &[(&str, String)], body: &str, phases: &str) -> Case {
        Case::with_trace("t.csv", files, body, phases)
    }

    /// As [`Case::new`], reading the trace `trace`.
    fn with_trace(trace: &str, files: &[(&str, String)], body: &str, phases: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let scenario = format!(
            "name: c\nstep: 1s\ntrace: {{file: {trace}}}\nworkload: {{kind: queue, service_time: {{dist: exponential, mean: 1s}}, concurrency: 2}}\n\
             cluster: {{metric_phases: {phases}}}\n{body}"
        );
        std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
        Case { dir }
    }

    fn load(&self) -> Result<Scenario, String> {
        let src = Source::read(&self.dir.path().join("s.yaml")).unwrap();
        Scenario::from_source(&src, &Overrides::default()).map_err(|e| e.to_string())
    }

    fn run(&self) -> RunResult {
        let s = self.load().unwrap_or_else(|e| panic!("{e}"));
        let opts = RunOptions {
            log_every_sync: true,
            ..RunOptions::default()
        };
        run(&s, &opts).unwrap()
    }
}

/// A ScaledObject `worker` scaling Deployment `worker`: `annotations` (a flow map's body),
/// then the `spec` lines after scaleTargetRef (indented two spaces).
fn so(annotations: &str, spec: &str) -> String {
    format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: worker\n  annotations: {{{annotations}}}\nspec:\n  scaleTargetRef: {{name: worker}}\n{spec}"
    )
}

/// A Prometheus trigger reading trace column `column` against `threshold`.
fn prom(column: &str, threshold: &str) -> String {
    format!(
        "  - type: prometheus\n    metadata: {{serverAddress: 'http://prom:9090', query: '{column}', threshold: '{threshold}'}}\n"
    )
}

/// The pods of upstream's test deployments: Ready ~10 s after creation.
fn pods(replicas: u32) -> String {
    format!(
        "pods: {{replicas: {replicas}, cpu_request: 200m, startup: 5s, readiness: {{initial_delay: 0s, period: 5s}}}}\n"
    )
}

/// Ready pods at `t`.
fn ready_at(r: &RunResult, t: f64) -> u32 {
    r.series.ready_pods[r.series.row(t)]
}

/// Upstream's `WaitForDeploymentReplicaReadyCount(…, target, iterations, interval)` from `from`:
/// the ready count equals `target` at one of the checks `from + i·interval`.
fn ready_reached(r: &RunResult, from: f64, target: u32, iterations: u32, interval: f64) -> bool {
    (0..iterations).any(|i| ready_at(r, from + i as f64 * interval) == target)
}

/// The earliest instant from `from` at which `target` pods are ready (for messages).
fn first_ready(r: &RunResult, from: f64, target: u32) -> Option<f64> {
    (0..3600)
        .map(|i| from + i as f64)
        .find(|&t| ready_at(r, t) == target)
}

fn assert_reached(
    r: &RunResult,
    from: f64,
    target: u32,
    iterations: u32,
    interval: f64,
    what: &str,
) {
    assert!(
        ready_reached(r, from, target, iterations, interval),
        "{what}: {target} ready within {}s of {from}s (first at {:?}); spec.replicas then {:?}",
        iterations as f64 * interval,
        first_ready(r, from, target),
        &r.series.spec_replicas
            [r.series.row(from)..r.series.row(from + iterations as f64 * interval)]
            .iter()
            .step_by(30)
            .collect::<Vec<_>>()
    );
}

const REPLICA_UPDATE_SPEC: &str = "  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown:\n          stabilizationWindowSeconds: 0\n  pollingInterval: 10\n  cooldownPeriod: 1\n";

fn replica_update_so(min: u32, max: u32) -> String {
    so(
        "",
        &format!(
            "{REPLICA_UPDATE_SPEC}  minReplicaCount: {min}\n  maxReplicaCount: {max}\n  triggers:\n{}",
            prom("value", "2")
        ),
    )
}

#[test]
fn replica_update_so_max_replicas_up_and_down() {
    // tests/internals/replica_update_so: the metric at 100 (target 2) holds the deployment at
    // maxReplicaCount 5; raising it to 15 scales to 15, lowering it back to 5 scales to 5 —
    // each within WaitForDeploymentReplicaReadyCount(…, 180, 3), 540 s.
    for phases in PHASES {
        let files = [
            ("t.csv", "time,rps,value\n0,0,100\n".to_string()),
            ("so.yaml", replica_update_so(0, 5)),
            ("so-15.yaml", replica_update_so(0, 15)),
            ("so-5.yaml", replica_update_so(0, 5)),
        ];
        let body = format!(
            "duration: 30m\n{}autoscaler: {{manifests: [so.yaml]}}\nchanges:\n- {{at: 10m, apply: so-15.yaml}}\n- {{at: 20m, apply: so-5.yaml}}\n",
            pods(0)
        );
        let r = Case::new(&files, &body, phases).run();
        assert_reached(&r, 0.0, 5, 180, 3.0, phases);
        assert_reached(&r, 600.0, 15, 180, 3.0, phases);
        assert_reached(&r, 1200.0, 5, 180, 3.0, phases);
        assert_eq!(r.summary.hpa.len(), 1, "one HPA, updated in place");
    }
}

#[test]
fn replica_update_so_min_replicas_up_from_zero_and_down_to_zero() {
    // tests/internals/replica_update_so: the metric at 0; minReplicaCount 0 → 0 replicas;
    // raised to 5 → 5; back to 0 → 0 (KEDA scales the idle target to zero) — each within 540 s.
    for phases in PHASES {
        let files = [
            ("t.csv", "time,rps,value\n0,0,0\n".to_string()),
            ("so.yaml", replica_update_so(0, 5)),
            ("so-min5.yaml", replica_update_so(5, 5)),
            ("so-min0.yaml", replica_update_so(0, 5)),
        ];
        let body = format!(
            "duration: 30m\n{}autoscaler: {{manifests: [so.yaml]}}\nchanges:\n- {{at: 10m, apply: so-min5.yaml}}\n- {{at: 20m, apply: so-min0.yaml}}\n",
            pods(0)
        );
        let r = Case::new(&files, &body, phases).run();
        assert_reached(&r, 0.0, 0, 180, 3.0, phases);
        assert_reached(&r, 600.0, 5, 180, 3.0, phases);
        assert_reached(&r, 1200.0, 0, 180, 3.0, phases);
    }
}

fn trigger_update_so(triggers: &[&str]) -> String {
    let spec = "  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown:\n          stabilizationWindowSeconds: 10\n  pollingInterval: 10\n  minReplicaCount: 0\n  maxReplicaCount: 5\n  cooldownPeriod: 1\n  triggers:\n";
    so("", &(spec.to_string() + &triggers.concat()))
}

#[test]
fn trigger_update_so_removing_and_adding_a_trigger() {
    // tests/internals/trigger_update_so, testRemoveTrigger and testTwoTriggers: the metric at 5
    // (target 2: 3 replicas) and a second trigger whose value holds max (5); removing the
    // second trigger scales to midReplicas 3, adding it back to 5 — each within 540 s. The
    // added trigger is a new scaler reading a backend of its own.
    for phases in PHASES {
        let one = trigger_update_so(&[&prom("value", "2")]);
        let two = trigger_update_so(&[&prom("value", "2"), &prom("wl", "1")]);
        let files = [
            ("t.csv", "time,rps,value,wl\n0,0,5,5\n".to_string()),
            ("so.yaml", two.clone()),
            ("so-one.yaml", one),
            ("so-two.yaml", two),
        ];
        let body = format!(
            "duration: 30m\n{}autoscaler: {{manifests: [so.yaml]}}\nchanges:\n- {{at: 10m, apply: so-one.yaml}}\n- {{at: 20m, apply: so-two.yaml}}\n",
            pods(0)
        );
        let r = Case::new(&files, &body, phases).run();
        assert_reached(&r, 0.0, 5, 180, 3.0, phases);
        assert_reached(&r, 600.0, 3, 180, 3.0, phases);
        assert_reached(&r, 1200.0, 5, 180, 3.0, phases);
    }
}

#[test]
fn trigger_update_so_target_value_change() {
    // trigger_update_so testTargetValue, with the target changed instead of the metric: the
    // metric at 10, target 10 → 1 replica; the trigger's threshold updated to 2 → 5.
    for phases in PHASES {
        let files = [
            ("t.csv", "time,rps,value\n0,0,10\n".to_string()),
            ("so.yaml", trigger_update_so(&[&prom("value", "10")])),
            ("so-2.yaml", trigger_update_so(&[&prom("value", "2")])),
        ];
        let body = format!(
            "duration: 20m\n{}autoscaler: {{manifests: [so.yaml]}}\nchanges:\n- {{at: 10m, apply: so-2.yaml}}\n",
            pods(0)
        );
        let r = Case::new(&files, &body, phases).run();
        assert_reached(&r, 0.0, 1, 180, 3.0, phases);
        assert_eq!(ready_at(&r, 599.0), 1, "{phases}");
        assert_reached(&r, 600.0, 5, 180, 3.0, phases);
    }
}

/// The monitored workload's pod count (upstream's kubernetes-workload trigger) as trace
/// column `wl`.
const BIND_WL: &str = "metrics:\n  s0-prometheus: {signal: wl, backend: direct}\n";

const MONITORED_SPEC: &str = "  pollingInterval: 5\n  minReplicaCount: 0\n  maxReplicaCount: 10\n  cooldownPeriod: 0\n  triggers:\n";

#[test]
fn pause_scale_in_restore() {
    // tests/internals/pause_scale_in_restore: 2 replicas, the monitored workload at 0 and
    // paused-scale-in set: the replicas do not change for 60 s; the ScaledObject replaced
    // without the annotation (the other annotation kept), the deployment reaches 0 within
    // WaitForDeploymentReplicaReadyCount(…, 60, 2), 120 s.
    for phases in PHASES {
        let paused = so(
            "autoscaling.keda.sh/paused-scale-in: \"true\", test-annotation: preserve-this",
            &(MONITORED_SPEC.to_string() + &prom("wl", "1")),
        );
        let restored = so(
            "test-annotation: preserve-this",
            &(MONITORED_SPEC.to_string() + &prom("wl", "1")),
        );
        let files = [
            ("t.csv", "time,rps,wl\n0,0,0\n".to_string()),
            ("so.yaml", paused),
            ("so-restored.yaml", restored),
        ];
        let body = format!(
            "duration: 5m\n{}autoscaler: {{manifests: [so.yaml]}}\n{BIND_WL}changes:\n- {{at: 70s, apply: so-restored.yaml}}\n",
            pods(2)
        );
        let r = Case::new(&files, &body, phases).run();
        // AssertReplicaCountNotChangeDuringTimePeriod(…, 2, 60) after set-up.
        for t in (10..=65).step_by(5) {
            assert_eq!(
                r.series.spec_replicas[r.series.row(t as f64)],
                2,
                "{phases} at {t}s"
            );
        }
        assert_reached(&r, 70.0, 0, 60, 2.0, phases);
    }
}

/// `paused`/`paused-replicas` precedence of tests/internals/pause_scaledobject_explicitly
/// (testBothPauseAnnotationActive) with the monitored workload at 10 (value 10, target 1),
/// max 10: adding `paused` then `paused-replicas: 5` holds 5; removing both scales out to 10;
/// adding `paused-replicas: 5` then `paused` holds 5 again — each within 60 × 1 min.
#[test]
fn pause_scaledobject_explicitly_paused_replicas_take_precedence() {
    for phases in PHASES {
        let spec = format!(
            "  pollingInterval: 5\n  minReplicaCount: 0\n  maxReplicaCount: 10\n  cooldownPeriod: 10\n  triggers:\n{}",
            prom("wl", "1")
        );
        let files = [
            ("t.csv", "time,rps,wl\n0,0,0\n120,0,10\n".to_string()),
            ("so.yaml", so("", &spec)),
        ];
        let ann = |set: &str| format!("annotate: {{object: ScaledObject/worker, set: {{{set}}}}}");
        let remove = "annotate: {object: ScaledObject/worker, remove: [autoscaling.keda.sh/paused, autoscaling.keda.sh/paused-replicas]}";
        let body = format!(
            "duration: 25m\n{}autoscaler: {{manifests: [so.yaml]}}\n{BIND_WL}changes:\n\
             - {{at: 60s, {}}}\n- {{at: 63s, {}}}\n- {{at: 10m, {remove}}}\n\
             - {{at: 15m, {}}}\n- {{at: 903s, {}}}\n",
            pods(0),
            ann("autoscaling.keda.sh/paused: \"true\""),
            ann("autoscaling.keda.sh/paused-replicas: \"5\""),
            ann("autoscaling.keda.sh/paused-replicas: \"5\""),
            ann("autoscaling.keda.sh/paused: \"true\""),
        );
        let r = Case::new(&files, &body, phases).run();
        assert_eq!(ready_at(&r, 59.0), 0, "{phases}: idle before");
        assert_reached(&r, 63.0, 5, 60, 60.0, phases);
        assert!(
            (130..599).all(|t| r.series.spec_replicas[r.series.row(t as f64)] == 5),
            "{phases}: held at 5 while the load asks for 10"
        );
        assert_reached(&r, 600.0, 10, 60, 60.0, phases);
        assert_reached(&r, 903.0, 5, 60, 60.0, phases);
        assert!(
            (910..1500).all(|t| r.series.spec_replicas[r.series.row(t as f64)] == 5),
            "{phases}: held at 5 again"
        );
    }
}

/// paused-scale-out and paused-scale-in set and removed on a running object
/// (tests/internals/pause_scale_out, pause_scale_in, edited in place as
/// pause_scaledobject_explicitly does): with scale-out paused, the idle object is not
/// activated however high the load; removing it scales to 5; with scale-in paused, the load
/// gone, the replicas stay; removing it scales to 0.
#[test]
fn paused_scale_out_and_scale_in_set_and_removed_during_the_run() {
    for phases in PHASES {
        let spec = format!(
            "  pollingInterval: 5\n  minReplicaCount: 0\n  maxReplicaCount: 5\n  cooldownPeriod: 0\n  advanced: {{horizontalPodAutoscalerConfig: {{behavior: {{scaleDown: {{stabilizationWindowSeconds: 0}}}}}}}}\n  triggers:\n{}",
            prom("wl", "1")
        );
        let files = [
            ("t.csv", "time,rps,wl\n0,0,0\n60,0,5\n900,0,0\n".to_string()),
            ("so.yaml", so("", &spec)),
        ];
        let key = |k: &str| format!("autoscaling.keda.sh/{k}");
        let body = format!(
            "duration: 25m\n{}autoscaler: {{manifests: [so.yaml]}}\n{BIND_WL}changes:\n\
             - {{at: 30s, annotate: {{object: ScaledObject/worker, set: {{{}: \"true\"}}}}}}\n\
             - {{at: 5m, annotate: {{object: so/worker, remove: [{}]}}}}\n\
             - {{at: 10m, annotate: {{object: ScaledObject/worker, set: {{{}: \"true\"}}}}}}\n\
             - {{at: 20m, annotate: {{object: ScaledObject/worker, remove: [{}]}}}}\n",
            pods(0),
            key("paused-scale-out"),
            key("paused-scale-out"),
            key("paused-scale-in"),
            key("paused-scale-in"),
        );
        let r = Case::new(&files, &body, phases).run();
        assert!(
            (60..299).all(|t| r.series.spec_replicas[r.series.row(t as f64)] == 0),
            "{phases}: scale-out paused: not activated"
        );
        assert_reached(&r, 300.0, 5, 60, 2.0, phases);
        assert!(
            (900..1199).all(|t| r.series.spec_replicas[r.series.row(t as f64)] == 5),
            "{phases}: scale-in paused: held at 5 with the load gone"
        );
        assert_reached(&r, 1200.0, 0, 60, 2.0, phases);
    }
}

/// tests/internals/pause_scaledjob: one message, jobs `sleep 15`, pollingInterval 5, at most
/// 3: one job runs; `kubectl annotate scaledjob … paused=true` — after 30 × 1 s no job runs;
/// the annotation removed — after 30 × 1 s one runs again.
#[test]
fn pause_scaledjob() {
    for phases in PHASES {
        let sj = "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: sj}\nspec:\n  pollingInterval: 5\n  maxReplicaCount: 3\n  minReplicaCount: 0\n  successfulJobsHistoryLimit: 0\n  failedJobsHistoryLimit: 0\n  jobTargetRef:\n    backoffLimit: 1\n    template:\n      spec:\n        containers: [{name: external-executor, image: busybox, command: [sleep, '15']}]\n        restartPolicy: Never\n  triggers:\n  - type: rabbitmq\n    metadata: {queueName: hello, host: 'http://user:password@rabbitmq:15672/', mode: QueueLength, value: '1'}\n";
        let files = [
            ("publish.log", "0\n".to_string()),
            ("so.yaml", sj.to_string()),
        ];
        let body = "duration: 2m\npods: {replicas: 0, cpu_request: 100m, startup: 1s, readiness: {initial_delay: 0s, period: 1s}}\n\
             autoscaler: {manifests: [so.yaml]}\njobs: {mode: sleep, duration: 15s}\nchanges:\n\
             - {at: 16s, annotate: {object: ScaledJob/sj, set: {autoscaling.keda.sh/paused: \"true\"}}}\n\
             - {at: 47s, annotate: {object: ScaledJob/sj, remove: [autoscaling.keda.sh/paused]}}\n";
        let r = Case::with_trace("publish.log", &files, body, phases).run();
        let running = |t: f64| r.series.desired_replicas[r.series.row(t)];
        // A row is sampled at its end: row(t - 1) holds the count at t.
        assert_eq!(
            running(13.0),
            1,
            "{phases}: one job at the 15th check (14 s)"
        );
        assert_eq!(running(16.0 + 29.0), 0, "{phases}: none 30 s after pausing");
        assert_eq!(
            running(47.0 + 29.0),
            1,
            "{phases}: one 30 s after unpausing"
        );
    }
}

/// A ScaledJob `sj` on a RabbitMQ queue, at most 3 jobs, polling every 5 s; `job`: lines of
/// its `jobTargetRef` before the template (indented 4), `pod`: lines of the template's pod spec
/// (indented 8).
fn sj_manifest(job: &str, pod: &str) -> String {
    format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {{name: sj}}\nspec:\n  pollingInterval: 5\n  maxReplicaCount: 3\n  jobTargetRef:\n{job}    template:\n      spec:\n{pod}        containers: [{{name: w, image: busybox}}]\n        restartPolicy: Never\n  triggers:\n  - type: rabbitmq\n    metadata: {{queueName: hello, host: 'http://user:password@rabbitmq:15672/', mode: QueueLength, value: '1'}}\n"
    )
}

/// `sj_manifest(job, pod)` run with 3 messages published at t = 0, `jobs` the scenario's
/// `jobs:` and `changes` its `changes:` list.
fn sj_case(job: &str, pod: &str, jobs: &str, changes: &str) -> RunResult {
    let files = [
        ("publish.log", "0\n0\n0\n".to_string()),
        ("sj.yaml", sj_manifest(job, pod)),
    ];
    let body = format!(
        "duration: 2m\npods: {{replicas: 0, cpu_request: 100m, startup: 2s, readiness: {{initial_delay: 0s, period: 1s}}}}\n\
         autoscaler: {{manifests: [sj.yaml]}}\n{jobs}{changes}"
    );
    Case::with_trace("publish.log", &files, &body, "aligned").run()
}

/// Pods of any phase but gone at `t` (a row holds the count at its end).
fn pods_at(r: &RunResult, t: f64) -> u32 {
    let i = r.series.row(t - 1.0);
    r.series.starting_pods[i] + r.series.ready_pods[i] + r.series.terminating_pods[i]
}

/// `kubectl delete scaledjob sj` mid-run: KEDA's finalizer stops the loop and the garbage
/// collector deletes the Jobs KEDA created with the ScaledJob as their controller owner, and
/// their pods: each gets SIGTERM and is killed after its template's grace period.
#[test]
fn deleting_a_scaledjob_garbage_collects_its_jobs_and_their_pods() {
    // Sleepers (`sleep` ignores SIGTERM) with a 10 s grace period: 3 jobs from 0 s, the
    // ScaledJob deleted at 30 s, the pods killed at 40 s. Without `changes` they run on.
    let grace = "        terminationGracePeriodSeconds: 10\n";
    let sleep = "jobs: {mode: sleep, duration: 300s}\n";
    let deleted = "changes:\n- {at: 30s, delete: ScaledJob/sj}\n";
    let r = sj_case("", grace, sleep, deleted);
    let running = |t: f64| r.series.desired_replicas[r.series.row(t - 1.0)];
    assert_eq!((running(29.0), pods_at(&r, 29.0)), (3, 3));
    assert_eq!(running(31.0), 0, "the Jobs are gone with their owner");
    assert_eq!(pods_at(&r, 39.0), 3, "terminating through the grace period");
    assert_eq!(r.series.terminating_pods[r.series.row(38.0)], 3);
    assert_eq!(
        pods_at(&r, 41.0),
        0,
        "killed at the end of the grace period"
    );
    assert_eq!(
        r.summary.keda[0].jobs_created, 3,
        "no Job after the deletion"
    );
    let kept = sj_case("", grace, sleep, "");
    assert_eq!(pods_at(&kept, 41.0), 3);
    // The default grace period is 30 s.
    let r = sj_case("", "", sleep, deleted);
    assert_eq!((pods_at(&r, 59.0), pods_at(&r, 61.0)), (3, 0));
}

#[test]
fn a_deleted_jobs_message_in_flight_goes_back_to_the_queue() {
    // One-message jobs on 100 s messages: each of the 3 holds one when the ScaledJob is
    // deleted at 30 s. They stop taking messages at SIGTERM but cannot finish within the
    // default 30 s: killed at 60 s, the messages are not acknowledged and go back to the
    // queue, where nothing takes them any more.
    let files = [
        ("publish.log", "0\n0\n0\n".to_string()),
        ("sj.yaml", sj_manifest("", "")),
    ];
    let body = "duration: 2m\npods: {replicas: 0, cpu_request: 100m, startup: 2s, readiness: {initial_delay: 0s, period: 1s}}\n\
         autoscaler: {manifests: [sj.yaml]}\nchanges:\n- {at: 30s, delete: ScaledJob/sj}\n";
    let dir = Case::with_trace("publish.log", &files, body, "aligned");
    let text = std::fs::read_to_string(dir.dir.path().join("s.yaml"))
        .unwrap()
        .replace(
            "service_time: {dist: exponential, mean: 1s}",
            "service_time: 100s",
        );
    std::fs::write(dir.dir.path().join("s.yaml"), text).unwrap();
    let r = dir.run();
    assert_eq!(r.totals.served, 0);
    assert_eq!(r.totals.redelivered, 3, "{:?}", r.totals);
    assert_eq!(pods_at(&r, 59.0), 3);
    assert_eq!(pods_at(&r, 61.0), 0);
    assert_eq!(r.series.backlog[r.series.row(70.0)], 3);
    // A message done within the grace period is acknowledged and the pod exits: 40 s
    // messages started before 10 s are done before the kill at 60 s.
    let dir = Case::with_trace("publish.log", &files, body, "aligned");
    let text = std::fs::read_to_string(dir.dir.path().join("s.yaml"))
        .unwrap()
        .replace(
            "service_time: {dist: exponential, mean: 1s}",
            "service_time: 40s",
        );
    std::fs::write(dir.dir.path().join("s.yaml"), text).unwrap();
    let r = dir.run();
    assert_eq!((r.totals.served, r.totals.redelivered), (3, 0));
    assert_eq!((pods_at(&r, 31.0), pods_at(&r, 59.0)), (3, 0));
}

/// A ScaledJob updated mid-run (`apply` of a new spec: maxReplicaCount 3 → 2) with `rollout`
/// (a flow map, or none): KEDA's reconcile deletes the previous generation's Jobs unless the
/// strategy is `gradual` (upstream `deletePreviousVersionScaleJobs`), then its loop checks at
/// once. Sleepers with a 10 s grace period, 3 messages no job takes.
fn rollout_case(rollout: &str) -> RunResult {
    let grace = "        terminationGracePeriodSeconds: 10\n";
    let v1 = sj_manifest("", grace).replace(
        "  pollingInterval: 5\n",
        &format!("  pollingInterval: 5\n{rollout}"),
    );
    let v2 = v1.replace("maxReplicaCount: 3", "maxReplicaCount: 2");
    let files = [
        ("publish.log", "0\n0\n0\n".to_string()),
        ("sj.yaml", v1),
        ("sj2.yaml", v2),
    ];
    let body = "duration: 2m\npods: {replicas: 0, cpu_request: 100m, startup: 2s, readiness: {initial_delay: 0s, period: 1s}}\n\
         autoscaler: {manifests: [sj.yaml]}\njobs: {mode: sleep, duration: 300s}\nchanges:\n- {at: 30s, apply: sj2.yaml}\n";
    Case::with_trace("publish.log", &files, body, "aligned").run()
}

#[test]
fn updating_a_scaledjob_deletes_the_previous_versions_jobs_unless_gradual() {
    let running = |r: &RunResult, t: f64| r.series.desired_replicas[r.series.row(t - 1.0)];
    // Default (background): the 3 Jobs go at once, 2 new ones start at the check at 30 s;
    // the old pods are killed at 40 s.
    let r = rollout_case("");
    assert_eq!(running(&r, 29.0), 3);
    assert_eq!(running(&r, 31.0), 2);
    assert_eq!((pods_at(&r, 39.0), pods_at(&r, 41.0)), (5, 2));
    assert_eq!(r.summary.keda[0].jobs_created, 5);
    // gradual: the running Jobs are kept and, 3 ≥ 2, none is added.
    let r = rollout_case("  rollout: {strategy: gradual}\n");
    assert_eq!((running(&r, 31.0), pods_at(&r, 41.0)), (3, 3));
    assert_eq!(r.summary.keda[0].jobs_created, 3);
    // The deprecated field wins when set.
    let r = rollout_case("  rolloutStrategy: gradual\n  rollout: {strategy: immediate}\n");
    assert_eq!(r.summary.keda[0].jobs_created, 3);
    // foreground: a deleted Job stays listed, and counted, until its pods are gone (40 s).
    let r = rollout_case("  rollout: {propagationPolicy: foreground}\n");
    assert_eq!((running(&r, 31.0), running(&r, 39.0)), (3, 3));
    assert_eq!(running(&r, 50.0), 2);
    assert_eq!(r.summary.keda[0].jobs_created, 5);
}

/// A ScaledObject held at `paused-replicas` by the file `apply`, for sweeps and errors.
fn held_case(changes: &str) -> Case {
    let spec = format!(
        "  pollingInterval: 5\n  minReplicaCount: 1\n  maxReplicaCount: 10\n  triggers:\n{}",
        prom("value", "2")
    );
    let files = [
        ("t.csv", "time,rps,value\n0,0,4\n".to_string()),
        ("so.yaml", so("", &spec)),
        (
            "held-3.yaml",
            so("autoscaling.keda.sh/paused-replicas: \"3\"", &spec),
        ),
        (
            "held-8.yaml",
            so("autoscaling.keda.sh/paused-replicas: \"8\"", &spec),
        ),
    ];
    let body = format!(
        "duration: 20m\n{}autoscaler: {{manifests: [so.yaml]}}\n{changes}",
        pods(2)
    );
    Case::new(&files, &body, "aligned")
}

#[test]
fn a_sweep_varies_a_changes_time_and_content() {
    // `changes[0].at` and `changes[0].apply` are scenario paths like any other: holding 8 pods
    // from 2 min costs more than holding 3 from then, and more than holding 8 from 10 min.
    let case = held_case("changes:\n- {at: 10m, apply: held-3.yaml}\n");
    let out = case.dir.path().join("sweep");
    let o = assert_cmd::Command::cargo_bin("scalesim")
        .unwrap()
        .arg("sweep")
        .arg(case.dir.path().join("s.yaml"))
        .args([
            "--vary",
            "changes[0].at=2m,10m",
            "--vary",
            "changes[0].apply=held-3.yaml,held-8.yaml",
            "-q",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let h = &rows[0];
    assert_eq!((h[1], h[2]), ("changes[0].at", "changes[0].apply"));
    let pods = h.iter().position(|c| *c == "pod_hours").unwrap();
    let cost = |at: &str, file: &str| -> f64 {
        let r = rows[1..]
            .iter()
            .find(|r| r[1] == at && r[2] == file)
            .unwrap();
        r[pods].parse().unwrap()
    };
    assert!(
        cost("2m", "held-8.yaml") > cost("2m", "held-3.yaml"),
        "{text}"
    );
    assert!(
        cost("2m", "held-8.yaml") > cost("10m", "held-8.yaml"),
        "{text}"
    );
}

/// `scalesim run` of the case: (exit code, stderr).
fn run_cli(case: &Case) -> (i32, String) {
    let o = assert_cmd::Command::cargo_bin("scalesim")
        .unwrap()
        .arg("run")
        .arg(case.dir.path().join("s.yaml"))
        .arg("-q")
        .arg("--out")
        .arg(case.dir.path().join("out"))
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn bad_changes_are_located_errors_exiting_2() {
    let cases: [(&str, &[&str]); 8] = [
        (
            "- {at: 1m, delete: ScaledObject/wroker}",
            &["changes[0].delete", "`wroker`", "`worker`", "s.yaml:10:"],
        ),
        (
            "- {at: 1m, apply: nowhere.yaml}",
            &["changes[0].apply", "nowhere.yaml", "not found"],
        ),
        (
            "- {at: 30m, delete: so/worker}",
            &["changes[0].at", "after the end"],
        ),
        (
            "- {at: -1m, delete: so/worker}",
            &["changes[0].at", "negative"],
        ),
        (
            "- {at: 1m, delete: ConfigMap/x}",
            &["changes[0].delete", "ConfigMap", "HorizontalPodAutoscaler"],
        ),
        (
            "- {at: 1m, delete: worker}",
            &["changes[0].delete", "Kind/name"],
        ),
        (
            "- {at: 1m, delete: so/worker}\n- {at: 2m, annotate: {object: so/worker, set: {a: b}}}",
            &["changes[1]", "deleted by changes[0]"],
        ),
        (
            "- {at: 1m, delete: so/worker, apply: held-3.yaml}",
            &["changes[0]", "exactly one"],
        ),
    ];
    for (changes, wanted) in cases {
        let case = held_case(&format!("changes:\n{changes}\n"));
        let (code, err) = run_cli(&case);
        assert_eq!(code, 2, "{changes}: {err}");
        for w in wanted {
            assert!(err.contains(w), "{changes}: `{w}` not in {err}");
        }
        assert!(err.contains("s.yaml"), "{err}");
    }
}

#[test]
fn changes_at_one_instant_apply_in_order_and_keda_events_resolve_the_same_way() {
    // `keda_events: pause` is `annotate … paused-replicas`: the same run, the same records
    // but for the key they name.
    let a = held_case(
        "keda_events:\n- {at: 5m, pause: worker, replicas: 3}\n- {at: 10m, unpause: worker}\n",
    )
    .run();
    let b = held_case(
        "changes:\n- {at: 5m, annotate: {object: ScaledObject/worker, set: {autoscaling.keda.sh/paused-replicas: \"3\"}}}\n- {at: 10m, annotate: {object: ScaledObject/worker, remove: [autoscaling.keda.sh/paused, autoscaling.keda.sh/paused-replicas]}}\n",
    )
    .run();
    assert_eq!(a.series.spec_replicas, b.series.spec_replicas);
    let texts = |r: &RunResult| -> Vec<String> {
        r.events
            .iter()
            .filter_map(|e| match e {
                LogEvent::Keda(k) => k.poll.as_ref().map(|p| p.reason.to_string()),
                _ => None,
            })
            .filter(|t| t.contains("paused") || t.contains("unpaused"))
            .collect()
    };
    let (ta, tb) = (texts(&a), texts(&b));
    assert!(
        ta.iter()
            .any(|t| t.contains("paused (keda_events: paused-replicas 3)")),
        "{ta:?}"
    );
    assert_eq!(ta.len(), tb.len());
    for (x, y) in ta.iter().zip(&tb) {
        assert_eq!(x.replace("keda_events", "changes"), *y);
    }
}

/// A hand-made HPA `web` on an External metric read from trace column `value` (per replica,
/// target 1), with `extra` spec lines.
fn hpa(max: u32, extra: &str) -> String {
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: worker}}\n  minReplicas: 1\n  maxReplicas: {max}\n  metrics:\n  - type: External\n    external: {{metric: {{name: value}}, target: {{type: AverageValue, averageValue: '1'}}}}\n{extra}"
    )
}

const BIND_VALUE: &str = "metrics:\n  value: {signal: value, backend: direct}\n";

/// The instants of the HPA syncs logged (every sync is logged in these runs).
fn hpa_syncs(r: &RunResult) -> Vec<f64> {
    r.events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Autoscaler(a) => Some(a.t),
            _ => None,
        })
        .collect()
}

#[test]
fn an_updated_hpa_keeps_its_stabilization_memory_and_is_reconciled_at_once() {
    // The load drops at 5 min; the 300 s scale-down window holds 10 replicas until ~10 min.
    // An update at 370 s (lowering maxReplicas to 8, off the 15 s sync grid) is reconciled at
    // once (capped to 8 then), and the window still holds 8 afterwards, until 300 s after the
    // last high recommendation: the controller kept its recommendations.
    for phases in PHASES {
        let window = "  behavior: {scaleDown: {stabilizationWindowSeconds: 300}}\n";
        let files = [
            ("t.csv", "time,rps,value\n0,0,10\n300,0,2\n".to_string()),
            ("hpa.yaml", hpa(20, window)),
            ("hpa-8.yaml", hpa(8, window)),
        ];
        let body = format!(
            "duration: 15m\n{}autoscaler: {{manifests: [hpa.yaml]}}\n{BIND_VALUE}changes:\n- {{at: 370s, apply: hpa-8.yaml}}\n",
            pods(1)
        );
        let r = Case::new(&files, &body, phases).run();
        let spec = |t: f64| r.series.spec_replicas[r.series.row(t)];
        assert_eq!(spec(290.0), 10, "{phases}");
        assert!(
            hpa_syncs(&r).contains(&370.0),
            "{phases}: reconciled at the update"
        );
        assert_eq!(
            spec(371.0),
            8,
            "{phases}: capped by the new maxReplicas at once"
        );
        assert_eq!(
            spec(560.0),
            8,
            "{phases}: still stabilized after the update"
        );
        // The window counts from the last high recommendation (~5 min), not from the update:
        // a controller that forgot them would record the current 10 at 370 s and hold 8
        // until 670 s.
        assert_eq!(
            spec(660.0),
            2,
            "{phases}: scaled down once the window passed"
        );
        assert_eq!(r.summary.hpa.len(), 1);
    }
}

#[test]
fn a_hand_made_hpa_created_mid_run_is_synced_at_once_and_a_deleted_one_stops() {
    let files = [
        ("t.csv", "time,rps,value\n0,0,6\n".to_string()),
        ("hpa.yaml", hpa(10, "")),
    ];
    let body = format!(
        "duration: 5m\n{}{BIND_VALUE}changes:\n- {{at: 100s, apply: hpa.yaml}}\n- {{at: 200s, delete: HorizontalPodAutoscaler/web}}\n",
        pods(1)
    );
    let r = Case::new(&files, &body, "aligned").run();
    let syncs = hpa_syncs(&r);
    assert_eq!(syncs.first(), Some(&100.0), "queued at once: {syncs:?}");
    assert!(syncs.windows(2).all(|w| w[1] - w[0] == 15.0), "{syncs:?}");
    assert_eq!(
        syncs.last(),
        Some(&190.0),
        "no sync after the deletion: {syncs:?}"
    );
    assert_eq!(r.series.spec_replicas[r.series.row(99.0)], 1);
    assert_eq!(r.series.spec_replicas[r.series.row(150.0)], 6);
    assert_eq!(
        r.series.spec_replicas[r.series.row(290.0)],
        6,
        "left as it was"
    );
}

#[test]
fn a_scaledobject_created_mid_run_checks_at_once_and_its_hpa_syncs_a_resync_period_later() {
    let spec = format!(
        "  pollingInterval: 30\n  minReplicaCount: 1\n  maxReplicaCount: 10\n  triggers:\n{}",
        prom("value", "2")
    );
    let so_text = so("", &spec);
    let files = [
        ("t.csv", "time,rps,value\n0,0,8\n".to_string()),
        ("so.yaml", so_text),
    ];
    let body = format!(
        "duration: 4m\n{}changes:\n- {{at: 95s, apply: so.yaml}}\n",
        pods(1)
    );
    let r = Case::new(&files, &body, "aligned").run();
    let polls: Vec<f64> = r
        .events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Keda(k) => Some(k.t),
            _ => None,
        })
        .collect();
    assert_eq!(&polls[..3], &[95.0, 125.0, 155.0], "{polls:?}");
    assert_eq!(hpa_syncs(&r).first(), Some(&110.0));
    assert_eq!(r.series.spec_replicas[r.series.row(94.0)], 1);
    assert_eq!(r.series.spec_replicas[r.series.row(200.0)], 4);
}

#[test]
fn an_applied_deployment_sets_the_replicas() {
    let spec = format!(
        "  minReplicaCount: 1\n  maxReplicaCount: 10\n  triggers:\n{}",
        prom("value", "2")
    );
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  replicas: 4\n  template:\n    spec:\n      containers: [{name: w, image: w, resources: {requests: {cpu: 200m}}}]\n";
    let files = [
        ("t.csv", "time,rps,value\n0,0,8\n".to_string()),
        ("so.yaml", so("autoscaling.keda.sh/paused: \"true\"", &spec)),
        ("deploy.yaml", deploy.to_string()),
    ];
    let body = format!(
        "duration: 3m\n{}autoscaler: {{manifests: [so.yaml]}}\nchanges:\n- {{at: 60s, apply: deploy.yaml}}\n",
        pods(2)
    );
    let r = Case::new(&files, &body, "aligned").run();
    assert_eq!(r.series.spec_replicas[r.series.row(58.0)], 2);
    assert_eq!(r.series.spec_replicas[r.series.row(120.0)], 4);
    // Other requests: the same replicas, on pods of a new template rolled out
    // (docs/rollouts.md; tests/all/rolling_update.rs).
    let bigger = deploy.replace("200m", "500m");
    let files = [
        ("t.csv", "time,rps,value\n0,0,8\n".to_string()),
        ("so.yaml", so("autoscaling.keda.sh/paused: \"true\"", &spec)),
        ("deploy.yaml", bigger),
    ];
    let r = Case::new(&files, &body, "aligned").run();
    assert_eq!(r.series.spec_replicas[r.series.row(120.0)], 4);
    assert_eq!(ready_at(&r, 170.0), 4);
    // The new template's pods replaced the four (two of them created by the same apply).
    let new_pods = r
        .events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Pod(p) => Some(serde_json::to_value(p).unwrap()),
            _ => None,
        })
        .filter(|v| v["event"] == "created" && v["revision"] == 1)
        .count();
    assert_eq!(new_pods, 4);
}

#[test]
fn force_activation_set_and_removed_during_the_run() {
    // autoscaling.keda.sh/force-activation (tests/internals/force_activation, set by
    // `kubectl annotate`): an idle object (metric 0) is treated as active — scaled from 0 to
    // minReplicaCount's floor of 1 at its next check; removed, it is idle again and scaled to
    // 0 after the cooldown.
    for phases in PHASES {
        let spec = format!(
            "  pollingInterval: 5\n  minReplicaCount: 0\n  maxReplicaCount: 5\n  cooldownPeriod: 30\n  triggers:\n{}",
            prom("value", "2")
        );
        let files = [
            ("t.csv", "time,rps,value\n0,0,0\n".to_string()),
            ("so.yaml", so("", &spec)),
        ];
        let key = "autoscaling.keda.sh/force-activation";
        let body = format!(
            "duration: 6m\n{}autoscaler: {{manifests: [so.yaml]}}\nchanges:\n\
             - {{at: 1m, annotate: {{object: ScaledObject/worker, set: {{{key}: \"true\"}}}}}}\n\
             - {{at: 3m, annotate: {{object: ScaledObject/worker, remove: [{key}]}}}}\n",
            pods(0)
        );
        let r = Case::new(&files, &body, phases).run();
        let spec = |t: f64| r.series.spec_replicas[r.series.row(t)];
        assert_eq!(spec(58.0), 0, "{phases}: idle before");
        assert_eq!(spec(70.0), 1, "{phases}: forced active");
        assert_eq!(spec(178.0), 1, "{phases}: still forced");
        assert_eq!(spec(300.0), 0, "{phases}: idle again after the cooldown");
    }
}
