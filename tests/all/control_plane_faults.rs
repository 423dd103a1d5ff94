//! Control-plane faults (`faults:` with `component:`, docs/faults.md) end to end through the
//! binary: KEDA's metrics adapter, KEDA's operator (down, or failing over to a standby),
//! metrics-server and the controller manager, each as upstream behaves; the charts' shading;
//! the errors for bad entries. Every run is checked under both `cluster.metric_phases`.

use crate::helpers::run_in;
use serde_json::Value;
use std::path::Path;

const PHASES: [&str; 2] = ["seeded", "aligned"];

const CPU_HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 30
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
";

/// What one run wrote.
struct Out {
    events: Vec<Value>,
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
    report: String,
}

impl Out {
    fn column(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.header.iter().position(|h| h == name)?;
        Some(self.rows.iter().map(|r| r[i]).collect())
    }

    /// spec.replicas as sampled at each instant of `[from, to)` (a row's gauges are read at
    /// its end).
    fn replicas_between(&self, from: f64, to: f64) -> Vec<f64> {
        let t = self.column("time_s").unwrap();
        let step = t[1] - t[0];
        let r = self.column("spec_replicas").unwrap();
        t.iter()
            .zip(r)
            .filter(|(t, _)| **t + step >= from && **t + step < to)
            .map(|(_, r)| r)
            .collect()
    }

    /// HPA decisions: (t, decision).
    fn hpa(&self) -> Vec<(f64, &Value)> {
        self.events
            .iter()
            .filter(|e| e["type"] == "autoscaler")
            .map(|e| (e["t"].as_f64().unwrap(), &e["decision"]))
            .collect()
    }

    /// HPA rescales: (t, from, to).
    fn rescales(&self) -> Vec<(f64, i64, i64)> {
        self.hpa()
            .into_iter()
            .filter(|(_, d)| d["rescale"] == true)
            .map(|(t, d)| {
                (
                    t,
                    d["current_replicas"].as_i64().unwrap(),
                    d["desired_replicas"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    /// KEDA's own scalings: (t, from, to).
    fn keda_scalings(&self) -> Vec<(f64, i64, i64)> {
        self.events
            .iter()
            .filter(|e| e["type"] == "keda")
            .filter_map(|e| {
                let a = &e["poll"]["decision"]["action"];
                (a["kind"] == "set_replicas").then(|| {
                    (
                        e["t"].as_f64().unwrap(),
                        a["from"].as_i64().unwrap(),
                        a["to"].as_i64().unwrap(),
                    )
                })
            })
            .collect()
    }

    /// Times of the KEDA polls logged.
    fn keda_polls(&self) -> Vec<f64> {
        self.events
            .iter()
            .filter(|e| e["type"] == "keda")
            .map(|e| e["t"].as_f64().unwrap())
            .collect()
    }
}

/// The reason of condition `kind` in an HPA decision.
fn condition(d: &Value, kind: &str) -> Option<(String, String)> {
    d["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or("").to_string(),
                c["reason"].as_str().unwrap_or("").to_string(),
            )
        })
}

/// Write `files` and `s.yaml` into a temp folder and run it with `--log-every-sync`.
fn run(scenario: &str, files: &[(&str, &str)]) -> Out {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_scenario(dir.path(), scenario, files);
    assert_eq!(code, 0, "{err}\n{scenario}");
    let o = dir.path().join("o");
    let events = std::fs::read_to_string(o.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let csv = std::fs::read_to_string(o.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let report = std::fs::read_to_string(o.join("report.html")).unwrap_or_default();
    Out {
        events,
        header,
        rows,
        report,
    }
}

fn run_scenario(dir: &Path, scenario: &str, files: &[(&str, &str)]) -> (i32, String, String) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(dir.join("s.yaml"), scenario).unwrap();
    run_in(
        dir,
        &["run", "s.yaml", "--out", "o", "-q", "--log-every-sync"],
    )
}

/// An http service on an HPA reading CPU, with `trace`, over `duration`.
fn cpu_scenario(phases: &str, duration: &str, trace: &str, faults: &str) -> String {
    cpu_scenario_from(2, phases, duration, trace, faults)
}

/// As [`cpu_scenario`], starting with `replicas` pods.
fn cpu_scenario_from(
    replicas: u32,
    phases: &str,
    duration: &str,
    trace: &str,
    faults: &str,
) -> String {
    format!(
        "name: t\nduration: {duration}\nstep: 5s\ntrace: {trace}\n\
         workload: {{kind: http, service_time: {{dist: exponential, mean: 50ms}}, cpu_per_request: 10m, concurrency: 8}}\n\
         pods: {{replicas: {replicas}, cpu_request: 500m, startup: 10s, readiness: {{initial_delay: 5s, period: 5s}}}}\n\
         autoscaler: {{manifests: [hpa.yaml]}}\ncluster: {{metric_phases: {phases}}}\n{faults}"
    )
}

/// Every HPA sync in `window` (there is one at least) finds the metric failing with `reason`
/// (`ScalingActive` False) and rescales nothing.
fn every_sync_fails_without_a_rescale(
    out: &Out,
    window: std::ops::Range<f64>,
    reason: &str,
    phases: &str,
) {
    let during: Vec<_> = out
        .hpa()
        .into_iter()
        .filter(|(t, _)| window.contains(t))
        .collect();
    assert!(!during.is_empty(), "{phases}: no HPA sync in {window:?}");
    for (t, d) in &during {
        assert_eq!(
            condition(d, "ScalingActive"),
            Some(("False".into(), reason.into())),
            "{phases} at {t}"
        );
        assert_eq!(d["rescale"], false, "{phases} at {t}");
    }
}

/// The first HPA scale-up at or after `t`.
fn first_scale_up_after(out: &Out, t: f64) -> Option<f64> {
    out.rescales()
        .into_iter()
        .find(|&(at, from, to)| at >= t && to > from)
        .map(|(at, _, _)| at)
}

#[test]
fn metrics_server_down_fails_resource_metrics_and_holds_the_replicas() {
    let trace = "{generate: {kind: step, from: 40, to: 200, at: 6m}}";
    let faults = "faults:\n- {component: metrics-server, from: 5m, duration: 5m}\n";
    for phases in PHASES {
        let out = run(
            &cpu_scenario(phases, "16m", trace, faults),
            &[("hpa.yaml", CPU_HPA)],
        );
        every_sync_fails_without_a_rescale(&out, 300.0..600.0, "FailedGetResourceMetric", phases);
        let held = out.replicas_between(300.0, 600.0);
        assert!(held.iter().all(|&r| r == held[0]), "{phases}: {held:?}");
        // The load rose at 6 min; the HPA scales up only once metrics-server answers again,
        // after one resolution without samples (a CPU rate needs two scrapes).
        let up = first_scale_up_after(&out, 300.0).expect("a scale-up after the outage");
        assert!((615.0..=700.0).contains(&up), "{phases}: scale-up at {up}");
        // Without the fault it comes within a minute of the step.
        let base = run(
            &cpu_scenario(phases, "16m", trace, ""),
            &[("hpa.yaml", CPU_HPA)],
        );
        let up = first_scale_up_after(&base, 300.0).unwrap();
        assert!(up < 460.0, "{phases}: baseline scale-up at {up}");
    }
}

/// A worker on a ScaledObject whose trigger reads the request rate through Prometheus.
const SO: &str = "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker}
spec:
  scaleTargetRef: {name: worker}
  pollingInterval: 30
  cooldownPeriod: 60
  minReplicaCount: MIN
  maxReplicaCount: 20
  triggers:
  - type: prometheus
    name: rps
    metadata: {serverAddress: 'http://prometheus:9090', query: 'sum(rate(http_requests_total[1m]))', threshold: '20'}
";

fn keda_scenario(phases: &str, min: u32, replicas: u32, trace: &str, faults: &str) -> String {
    format!(
        "name: t\nduration: 14m\nstep: 5s\ntrace: {trace}\n\
         workload: {{kind: http, service_time: {{dist: exponential, mean: 50ms}}, cpu_per_request: 10m, concurrency: 8}}\n\
         pods: {{replicas: {replicas}, cpu_request: 500m, startup: 10s, readiness: {{initial_delay: 5s, period: 5s}}}}\n\
         autoscaler: {{manifests: [so{min}.yaml]}}\ncluster: {{metric_phases: {phases}}}\n\
         metrics:\n  rps: {{signal: request_rate, backend: prometheus}}\n{faults}"
    )
}

fn so_files() -> Vec<(String, String)> {
    (0..2)
        .map(|m| (format!("so{m}.yaml"), SO.replace("MIN", &m.to_string())))
        .collect()
}

fn run_keda(phases: &str, min: u32, replicas: u32, trace: &str, faults: &str) -> Out {
    let files = so_files();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    run(&keda_scenario(phases, min, replicas, trace, faults), &refs)
}

#[test]
fn keda_metrics_apiserver_down_fails_external_metrics_without_a_rescale() {
    let trace = "{generate: {kind: step, from: 40, to: 200, at: 5m}}";
    let faults = "faults:\n- {component: keda-metrics-apiserver, from: 4m, to: 9m}\n";
    for phases in PHASES {
        let out = run_keda(phases, 1, 2, trace, faults);
        every_sync_fails_without_a_rescale(&out, 240.0..540.0, "FailedGetExternalMetric", phases);
        let held = out.replicas_between(240.0, 540.0);
        assert!(held.iter().all(|&r| r == held[0]), "{phases}: {held:?}");
        // KEDA's own loop keeps polling through the outage.
        assert!(
            out.keda_polls().iter().any(|t| (240.0..540.0).contains(t)),
            "{phases}"
        );
        let up = first_scale_up_after(&out, 240.0).expect("a scale-up after the outage");
        assert!((540.0..=600.0).contains(&up), "{phases}: scale-up at {up}");
    }
}

#[test]
fn keda_operator_down_makes_no_activation_and_the_next_leader_checks_at_once() {
    // Requests from 4 min; the operator is down from 3 min to 8 min.
    let trace = "{generate: {kind: step, from: 0, to: 40, at: 4m}}";
    let faults = "faults:\n- {component: keda-operator, from: 3m, to: 8m}\n";
    for phases in PHASES {
        let out = run_keda(phases, 0, 0, trace, faults);
        assert!(
            out.keda_polls().iter().all(|t| !(180.0..480.0).contains(t)),
            "{phases}: no KEDA loop while no operator runs"
        );
        assert!(
            out.replicas_between(0.0, 480.0).iter().all(|&r| r == 0.0),
            "{phases}"
        );
        // The restarted operator's first check is at its start, and it activates.
        assert_eq!(
            out.keda_scalings().first(),
            Some(&(480.0, 0, 1)),
            "{phases}"
        );
        // Without the fault, the first poll after the load activates.
        let base = run_keda(phases, 0, 0, trace, "");
        let first = base.keda_scalings()[0];
        assert!(
            first.0 > 240.0 && first.0 <= 300.0 && first.2 == 1,
            "{phases}: {first:?}"
        );
    }
}

#[test]
fn keda_operator_failover_hands_over_after_the_lease_and_the_hpa_external_metric_fails() {
    let trace = "{generate: {kind: step, from: 0, to: 40, at: 4m}}";
    // Polls at 0, 30 s, …: the leader is lost at 4 m 20 s; a standby leads 15 s later and
    // checks at once (the poll due at 4 m 30 s is lost with the leader).
    let faults = "faults:\n- {component: keda-operator, from: 260s, failover: 15s}\n";
    for phases in PHASES {
        let out = run_keda(phases, 0, 0, trace, faults);
        assert_eq!(
            out.keda_scalings().first(),
            Some(&(275.0, 0, 1)),
            "{phases}"
        );
        // From then on the new leader polls every 30 s from its start.
        let after: Vec<f64> = out
            .keda_polls()
            .into_iter()
            .filter(|&t| t >= 275.0)
            .collect();
        assert_eq!(&after[..3], &[275.0, 305.0, 335.0], "{phases}");
    }
    // The generated HPA keeps syncing, but its External metric fails: the adapter asks the
    // operator for every value, whatever `useCachedMetrics` says.
    let trace = "{generate: {kind: step, from: 40, to: 200, at: 5m}}";
    let cached = SO
        .replace("name: rps\n", "name: rps\n    useCachedMetrics: true\n")
        .replace("MIN", "1");
    for phases in PHASES {
        let s = keda_scenario(
            phases,
            1,
            2,
            trace,
            "faults:\n- {component: keda-operator, from: 4m, duration: 5m}\n",
        );
        let out = run(&s, &[("so1.yaml", &cached)]);
        every_sync_fails_without_a_rescale(&out, 240.0..540.0, "FailedGetExternalMetric", phases);
    }
}

#[test]
fn keda_operator_down_through_the_cooldown_deactivates_at_its_restart() {
    // Requests until 2 min, cooldown 60 s; the operator is down from 2 m 30 s to 5 min. The
    // last active time is in the ScaledObject's status: the restarted operator finds the
    // cooldown over and scales to zero at its first check.
    let trace = "{file: t.csv}";
    let faults = "faults:\n- {component: keda-operator, from: 150s, to: 5m}\n";
    for phases in PHASES {
        let s = keda_scenario(phases, 0, 1, trace, faults);
        let mut files = so_files();
        files.push(("t.csv".into(), "time,rps\n0,40\n120,0\n".into()));
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let out = run(&s, &refs);
        // (At t = 0 Prometheus has no rate yet: KEDA scales to zero, then back at 30 s.)
        let to_zero = |out: &Out| -> Vec<f64> {
            out.keda_scalings()
                .into_iter()
                .filter(|s| s.2 == 0 && s.0 > 120.0)
                .map(|s| s.0)
                .collect()
        };
        assert_eq!(to_zero(&out).first(), Some(&300.0), "{phases}");
        let base = run(&keda_scenario(phases, 0, 1, trace, ""), &refs);
        let base_down = to_zero(&base)[0];
        assert!(
            base_down < 300.0,
            "{phases}: without the fault at {base_down}"
        );
    }
}

/// An HPA on CPU with a `behavior` (indented under `behavior:`).
fn hpa_with(behavior: &str) -> String {
    let b: String = behavior.lines().map(|l| format!("    {l}\n")).collect();
    format!("{CPU_HPA}  behavior:\n{b}")
}

/// The first scale-down at or after `t`.
fn first_scale_down_after(out: &Out, t: f64) -> Option<f64> {
    out.rescales()
        .into_iter()
        .find(|&(at, from, to)| at >= t && to < from)
        .map(|(at, _, _)| at)
}

#[test]
fn controller_manager_restart_stops_syncs_and_forgets_the_recommendations() {
    // 8 pods at 200 requests/s, then 40 from 2 min: the default 5-minute stabilization window
    // lets the scale-down through about 5 minutes after the last high recommendation. A restart
    // at 4 min loses those recommendations; the first sync after it (15 s after the start)
    // records the current count, so the scale-down waits a full window from there.
    let trace = "{file: t.csv}";
    let faults = "faults:\n- {component: controller-manager, from: 4m, duration: 30s}\n";
    for phases in PHASES {
        let files = [
            ("hpa.yaml", CPU_HPA),
            ("t.csv", "time,rps\n0,200\n120,40\n"),
        ];
        let with = run(&cpu_scenario(phases, "16m", trace, faults), &files);
        let syncs: Vec<f64> = with.hpa().into_iter().map(|(t, _)| t).collect();
        assert!(
            syncs.iter().all(|t| !(240.0..285.0).contains(t)),
            "{phases}: {syncs:?}"
        );
        assert!(
            syncs.contains(&285.0),
            "{phases}: first sync one period after the start"
        );
        let held = with.replicas_between(240.0, 285.0);
        assert!(held.iter().all(|&r| r == held[0]), "{phases}: {held:?}");
        let down = first_scale_down_after(&with, 120.0).expect("a scale-down");
        assert!(down >= 285.0 + 300.0, "{phases}: scale-down at {down}");
        let base = run(&cpu_scenario(phases, "16m", trace, ""), &files);
        let base_down = first_scale_down_after(&base, 120.0).unwrap();
        assert!(
            base_down < 285.0 + 300.0,
            "{phases}: baseline scale-down at {base_down}"
        );
    }
}

#[test]
fn controller_manager_restart_forgets_the_scale_events_a_policy_counts() {
    // 8 pods, load falling at 2 min; scale-down limited to 1 pod per 10 minutes, no
    // stabilization: after the first step the next waits 10 minutes — unless the controller
    // restarts in between and forgets the step (its first sync is 15 s after the start).
    let behavior = "scaleDown:\n  stabilizationWindowSeconds: 0\n  policies: [{type: Pods, value: 1, periodSeconds: 600}]";
    let hpa = hpa_with(behavior);
    let trace = "{file: t.csv}";
    let faults = "faults:\n- {component: controller-manager, from: 5m, duration: 15s}\n";
    for phases in PHASES {
        let files = [
            ("hpa.yaml", hpa.as_str()),
            ("t.csv", "time,rps\n0,200\n120,20\n"),
        ];
        let downs = |out: &Out| -> Vec<f64> {
            out.rescales()
                .into_iter()
                .filter(|r| r.2 < r.1)
                .map(|r| r.0)
                .collect()
        };
        let base = downs(&run(
            &cpu_scenario_from(8, phases, "20m", trace, ""),
            &files,
        ));
        assert!(
            base.len() >= 2 && base[1] - base[0] >= 600.0,
            "{phases}: {base:?}"
        );
        let with = downs(&run(
            &cpu_scenario_from(8, phases, "20m", trace, faults),
            &files,
        ));
        assert_eq!(with[0], base[0], "{phases}");
        assert_eq!(with[1], 315.0 + 15.0, "{phases}: {with:?}");
    }
}

#[test]
fn fault_windows_are_columns_and_shaded_with_a_label_per_component() {
    let trace = "{generate: {kind: constant, rate: 100}}";
    let faults = "faults:\n- {component: metrics-server, from: 2m, duration: 1m}\n- {component: controller-manager, from: 5m, duration: 30s}\n";
    for phases in PHASES {
        let out = run(
            &cpu_scenario(phases, "8m", trace, faults),
            &[("hpa.yaml", CPU_HPA)],
        );
        let t = out.column("time_s").unwrap();
        let ms = out
            .column("fault_metrics_server")
            .expect("the metrics-server column");
        let cm = out
            .column("fault_controller_manager")
            .expect("the controller-manager column");
        for (i, &at) in t.iter().enumerate() {
            assert_eq!(
                ms[i],
                if (120.0..180.0).contains(&at) {
                    1.0
                } else {
                    0.0
                },
                "{at}"
            );
            assert_eq!(
                cm[i],
                if (300.0..330.0).contains(&at) {
                    1.0
                } else {
                    0.0
                },
                "{at}"
            );
        }
        assert!(out.column("fault_keda_operator").is_none());
        assert!(out.report.contains("metrics-server down"), "{phases}");
        assert!(
            out.report.contains("controller manager restarting"),
            "{phases}"
        );
    }
    let plain = run(
        &cpu_scenario("seeded", "4m", trace, ""),
        &[("hpa.yaml", CPU_HPA)],
    );
    assert!(!plain.header.iter().any(|h| h.starts_with("fault_")));
    assert!(!plain.report.contains("metrics-server down"));
}

#[test]
fn bad_fault_entries_are_located_errors() {
    let hpa_only = |faults: &str| {
        cpu_scenario(
            "seeded",
            "4m",
            "{generate: {kind: constant, rate: 10}}",
            faults,
        )
    };
    let cases: [(String, &[&str]); 7] = [
        (
            hpa_only("faults:\n- {component: kube-scheduler, from: 1m, duration: 1m}\n"),
            &["faults[0]", "kube-scheduler"],
        ),
        (
            hpa_only(
                "faults:\n- {target: rps, component: metrics-server, from: 1m, duration: 1m}\n",
            ),
            &["faults[0].component", "not both"],
        ),
        (
            hpa_only("faults:\n- {from: 1m, duration: 1m}\n"),
            &["faults[0]", "`component`"],
        ),
        (
            hpa_only("faults:\n- {component: metrics-server, from: 1m, failover: 15s}\n"),
            &[
                "faults[0].failover",
                "applies to `component: keda-operator` only",
            ],
        ),
        (
            hpa_only("faults:\n- {component: keda-operator, from: 1m, duration: 1m}\n"),
            &["faults[0].component", "no ScaledObject or ScaledJob"],
        ),
        (
            hpa_only(
                "faults:\n- {component: metrics-server, from: 1m, duration: 1m, error: boom}\n",
            ),
            &["faults[0].error", "backend fault"],
        ),
        (
            hpa_only("faults:\n- {component: metrics-server, from: 2m, to: 1m}\n"),
            &["faults[0].to", "must end after it starts"],
        ),
    ];
    for (scenario, wanted) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, err) = run_scenario(dir.path(), &scenario, &[("hpa.yaml", CPU_HPA)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("s.yaml:"), "located: {err}");
        for w in wanted {
            assert!(err.contains(w), "{w:?} in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    // `failover` with `duration` on the operator (which needs a KEDA object).
    let dir = tempfile::tempdir().unwrap();
    let files = so_files();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let s = keda_scenario(
        "seeded",
        1,
        1,
        "{generate: {kind: constant, rate: 10}}",
        "faults:\n- {component: keda-operator, from: 1m, duration: 2m, failover: 15s}\n",
    );
    let (code, _, err) = run_scenario(dir.path(), &s, &refs);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("faults[0].failover") && err.contains("drop `to`/`duration`"),
        "{err}"
    );
}

#[test]
fn keda_operator_down_creates_no_job_and_the_next_leader_polls_at_once() {
    let sj = "apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: batch}
spec:
  jobTargetRef:
    template:
      spec:
        containers: [{name: w, image: worker}]
  pollingInterval: 30
  maxReplicaCount: 20
  triggers:
  - type: aws-sqs-queue
    metadata: {queueURL: jobs, awsRegion: eu-west-1, identityOwner: operator, queueLength: '1'}
";
    for phases in PHASES {
        let s = format!(
            "name: j\nduration: 6m\nstep: 5s\ntrace: {{generate: {{kind: step, from: 0, to: 1, at: 1m}}}}\n\
             workload: {{kind: queue, service_time: {{dist: exponential, mean: 1s}}, concurrency: 1}}\n\
             pods: {{replicas: 0, cpu_request: 100m, startup: 2s, readiness: {{initial_delay: 0s, period: 1s}}}}\n\
             autoscaler: {{manifests: [sj.yaml]}}\ncluster: {{metric_phases: {phases}}}\n\
             faults:\n- {{component: keda-operator, from: 50s, to: 200s}}\n"
        );
        let out = run(&s, &[("sj.yaml", sj)]);
        let polls: Vec<(f64, i64)> = out
            .events
            .iter()
            .filter(|e| e["type"] == "keda")
            .map(|e| {
                let n = e["job_poll"]["jobs_to_create"].as_i64().unwrap();
                (e["t"].as_f64().unwrap(), n)
            })
            .collect();
        let times: Vec<f64> = polls.iter().map(|p| p.0).collect();
        assert_eq!(&times[..4], &[0.0, 30.0, 200.0, 230.0], "{phases}");
        // Messages wait from 1 min; the first job is created by the next leader at 200 s.
        assert_eq!(polls[2].0, 200.0);
        assert!(polls[2].1 > 0, "{phases}: {polls:?}");
        assert!(out.replicas_between(0.0, 200.0).iter().all(|&r| r == 0.0));
    }
}

#[test]
fn a_restart_between_two_syncs_still_moves_the_next_sync_to_one_period_after_the_start() {
    // Syncs at 0, 15, …, 300; the controller manager is down from 302 s to 307 s, when no sync
    // was due. The sync the old process would have made at 315 s does not happen: the new one
    // syncs the HPA 15 s after its start, at 322 s, then every 15 s.
    let trace = "{generate: {kind: constant, rate: 100}}";
    let faults = "faults:\n- {component: controller-manager, from: 302s, to: 307s}\n";
    for phases in PHASES {
        let out = run(
            &cpu_scenario(phases, "6m", trace, faults),
            &[("hpa.yaml", CPU_HPA)],
        );
        let syncs: Vec<f64> = out
            .hpa()
            .into_iter()
            .map(|(t, _)| t)
            .filter(|&t| (285.0..=340.0).contains(&t))
            .collect();
        assert_eq!(syncs, vec![285.0, 300.0, 322.0, 337.0], "{phases}");
    }
}

#[test]
fn a_keda_edit_while_no_operator_leads_is_reconciled_when_one_starts() {
    // Paused at 2 min; no operator leads from 3 min to 6 min; the pause annotation is removed
    // at 4 min. The edit waits in the API server until the next leader reconciles it at 6 min.
    let trace = "{generate: {kind: constant, rate: 100}}";
    let extra = "changes:\n\
        - {at: 2m, annotate: {object: ScaledObject/worker, set: {autoscaling.keda.sh/paused: \"true\"}}}\n\
        - {at: 4m, annotate: {object: ScaledObject/worker, remove: [autoscaling.keda.sh/paused]}}\n\
        faults:\n- {component: keda-operator, from: 3m, to: 6m}\n";
    for phases in PHASES {
        let out = run_keda(phases, 1, 2, trace, extra);
        let at = |what: &str| -> Vec<f64> {
            out.events
                .iter()
                .filter(|e| e["type"] == "keda" && e.to_string().contains(what))
                .map(|e| e["t"].as_f64().unwrap())
                .collect()
        };
        // The record's text starts with what happened (a JSON string: after its quote).
        assert_eq!(at("\"paused (changes"), vec![120.0], "{phases}");
        assert_eq!(at("\"unpaused (changes"), vec![360.0], "{phases}");
    }
}

#[test]
fn an_hpa_updated_while_the_controller_manager_is_down_is_first_synced_after_its_start() {
    // Syncs at 0, 15, …, 180; the controller manager is down from 190 s to 230 s; the HPA's
    // spec is updated at 200 s. No sync follows the update at once: the new process syncs the
    // HPA, new spec and all, one period after its start (245 s).
    let trace = "{generate: {kind: constant, rate: 100}}";
    let extra = "changes:\n- {at: 200s, apply: hpa2.yaml}\n\
        faults:\n- {component: controller-manager, from: 190s, to: 230s}\n";
    let hpa2 = CPU_HPA.replace("minReplicas: 1", "minReplicas: 12");
    for phases in PHASES {
        let out = run(
            &cpu_scenario(phases, "5m", trace, extra),
            &[("hpa.yaml", CPU_HPA), ("hpa2.yaml", &hpa2)],
        );
        let syncs: Vec<f64> = out
            .hpa()
            .into_iter()
            .map(|(t, _)| t)
            .filter(|&t| (180.0..=260.0).contains(&t))
            .collect();
        assert_eq!(syncs, vec![180.0, 245.0, 260.0], "{phases}");
        let (_, first) = out.hpa().into_iter().find(|(t, _)| *t == 245.0).unwrap();
        assert!(
            first["desired_replicas"].as_i64().unwrap() >= 12,
            "{phases}: {first}"
        );
    }
}
