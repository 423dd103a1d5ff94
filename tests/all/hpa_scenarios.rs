//! HPA behaviour users ask about, shown at scenario level (simulated pods, metrics pipeline,
//! controller), not only on isolated vectors.

use crate::helpers::sim::{self as common, Sim};
use scalesim::hpa::Decision;
use scalesim::sim::{LogEvent, RunOptions};

const CPU_50: &str = "metrics:\n- type: Resource\n  resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}";

/// Every HPA decision of the run (with `log_every_sync`), in time order.
fn decisions(out: &common::Outcome) -> Vec<(f64, Decision)> {
    out.result
        .events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Autoscaler(a) => Some((a.t, (*a.decision).clone())),
            _ => None,
        })
        .collect()
}

fn every_sync() -> RunOptions {
    RunOptions {
        log_every_sync: true,
        ..Default::default()
    }
}

#[test]
fn a_fresh_hpa_does_not_scale_down_for_five_minutes() {
    // 10 pods at ~8 % CPU: the metrics say 2 pods, but the first reconcile records 10.
    let out = Sim::new(40.0, "10m", 10)
        .hpa(&format!("minReplicas: 1\nmaxReplicas: 20\n{CPU_50}"))
        .run_with(&every_sync());
    let all = decisions(&out);
    let first_sync = all[0].0;
    // Every decision of the first window wants fewer pods and is held by the window.
    let inside: Vec<&(f64, Decision)> = all
        .iter()
        .filter(|(t, _)| *t - first_sync <= 300.0)
        .collect();
    assert!(
        inside.len() >= 20,
        "{} syncs in the first 5 minutes",
        inside.len()
    );
    for (t, d) in &inside {
        assert!(!d.rescale, "rescaled at {t} s: {}", d.reason);
        assert!(
            d.proposal.is_some_and(|p| p < d.current_replicas),
            "at {t} s the proposal {:?} is not below current {}",
            d.proposal,
            d.current_replicas
        );
        assert_eq!(
            d.condition_reason("AbleToScale"),
            Some("ScaleDownStabilized"),
            "at {t} s"
        );
    }
    // upstream stabilizeRecommendation drops only entries whose timestamp is Before(now −
    // window): the first recommendation, exactly 300 s old at the sync 300 s later, still
    // holds. The scale-down comes one sync after.
    assert!(
        inside.iter().any(|(t, _)| *t - first_sync == 300.0),
        "a sync falls exactly 300 s after the first"
    );
    let r = out.rescales();
    assert!(!r.is_empty(), "it does scale down eventually");
    assert_eq!(
        r[0].t - first_sync,
        315.0,
        "first scale-down one sync after the window"
    );
    assert!(r[0].to < 10);
    assert_eq!(out.replicas_at(first_sync + 300.0), 10);
}

#[test]
fn no_behavior_doubles_while_default_behavior_allows_four_more_pods() {
    // 3 pods at ~4x their target: the proposal is far above both limits.
    let load = 3.0 * 100.0; // 100 rps per pod = 1 core = 200 % of request
    let legacy = Sim::new(load, "2m", 3)
        .hpa(&format!("minReplicas: 1\nmaxReplicas: 50\n{CPU_50}"))
        .run();
    let with_behavior = Sim::new(load, "2m", 3)
        .hpa(&format!(
            "minReplicas: 1\nmaxReplicas: 50\n{CPU_50}\nbehavior: {{scaleUp: {{}}}}"
        ))
        .run();
    let first = |o: &common::Outcome| {
        let r = &o.rescales()[0];
        (r.from, r.to, r.decision.limited_by())
    };
    let (from, to, why) = first(&legacy);
    assert_eq!((from, to), (3, 6), "legacy path caps at max(2 × 3, 4) = 6");
    assert!(why.unwrap_or_default().starts_with("ScaleUpLimit"));
    let (from, to, why) = first(&with_behavior);
    assert_eq!(
        (from, to),
        (3, 7),
        "default policies: max(3 + 4, 3 × 2) = 7"
    );
    assert!(why.unwrap_or_default().contains("Pods 4 per 15s"));
}

#[test]
fn one_pod_per_minute_scale_down_is_a_staircase() {
    let out = Sim::new(20.0, "12m", 8)
        .hpa(&format!(
            "minReplicas: 1\nmaxReplicas: 20\n{CPU_50}\nbehavior:\n  scaleDown:\n    stabilizationWindowSeconds: 0\n    policies: [{{type: Pods, value: 1, periodSeconds: 60}}]"
        ))
        .run();
    let r = out.rescales();
    assert!(r.len() >= 5, "{} rescales", r.len());
    for w in r.windows(2) {
        assert_eq!(w[0].to - w[0].from, -1, "each step removes one pod");
        assert!(
            w[1].t - w[0].t >= 60.0,
            "steps at {} and {} are less than a period apart",
            w[0].t,
            w[1].t
        );
    }
    assert!(
        r[0].decision
            .limited_by()
            .unwrap_or_default()
            .contains("Pods 1 per 60s")
    );
}

/// A Deployment whose containers request nothing and whose pod requests 500m at pod level.
const POD_LEVEL_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      resources:
        requests: {cpu: 500m}
      containers:
      - {name: app, image: app}
      - {name: proxy, image: envoy}
";

#[test]
fn pod_level_requests_are_what_utilization_divides_by() {
    // 45 req/s × 10m = 0.45 cores over 2 pods requesting 500m each at pod level: ~45 %
    // against 50 % stays, 90 req/s (~90 %) scales up. No container has a request, so without
    // PodLevelResources upstream cannot compute utilization at all.
    let run = |gate: bool| {
        let mut sim = Sim::new(90.0, "3m", 2)
            .deployment(POD_LEVEL_DEPLOYMENT)
            .hpa(&format!("minReplicas: 1\nmaxReplicas: 10\n{CPU_50}"));
        if !gate {
            sim = sim.controller_manager("feature_gates: {PodLevelResources: false}");
        }
        sim.run_with(&every_sync())
    };
    let on = run(true);
    let r = on.rescales();
    assert!(!r.is_empty(), "scales up on pod-level requests");
    let m = &r[0].decision.metrics[0];
    assert!(r[0].to > 2, "{}", r[0].decision.reason);
    let u = m
        .current_value
        .as_ref()
        .and_then(|v| v.average_utilization)
        .expect("a utilization is reported");
    assert!(
        (70..=110).contains(&u),
        "utilization {u} % of the pod-level 500m"
    );

    let off = run(false);
    assert!(off.rescales().is_empty(), "no request to divide by");
    let (_, d) = &decisions(&off)[0];
    let err = d.metrics[0].error.as_deref().unwrap_or_default();
    assert!(
        err.contains("missing request for cpu"),
        "upstream's error: {err}"
    );
}

#[test]
fn a_scenario_cpu_request_overrides_the_manifest_for_the_hpa_too() {
    // The same 0.45 cores per pod, but `pods.cpu_request: 1` in the scenario: ~45 %, no scale-up.
    let out = Sim::new(90.0, "2m", 2)
        .deployment(POD_LEVEL_DEPLOYMENT)
        .pods("cpu_request: 1")
        .hpa(&format!("minReplicas: 1\nmaxReplicas: 10\n{CPU_50}"))
        .run_with(&every_sync());
    let all = decisions(&out);
    let (_, d) = all.last().unwrap();
    let u = d.metrics[0]
        .current_value
        .as_ref()
        .and_then(|v| v.average_utilization)
        .unwrap_or_else(|| panic!("no utilization: {:?}", d.metrics[0].error));
    assert!(
        (35..=55).contains(&u),
        "utilization {u} % of the scenario's 1 core"
    );
    assert!(out.rescales().is_empty());
}

#[test]
fn two_metrics_take_the_max() {
    // CPU is below target (~30 %) but requests per pod (15/s) are above theirs (10/s): the
    // Pods metric, served by Prometheus (two scrapes needed for a rate), wins.
    let out = Sim::new(45.0, "3m", 3)
        .hpa(&format!(
            "minReplicas: 1\nmaxReplicas: 30\n{CPU_50}\n- type: Pods\n  pods: {{metric: {{name: http_requests_per_second}}, target: {{type: AverageValue, averageValue: \"10\"}}}}"
        ))
        .metric("http_requests_per_second", "{signal: request_rate, backend: prometheus}")
        .run();
    let r = out.rescales();
    assert!(!r.is_empty());
    let d = &r[0].decision;
    let proposals: Vec<i32> = d.metrics.iter().filter_map(|m| m.proposal).collect();
    assert_eq!(proposals.len(), 2, "both metrics computed: {:?}", d.metrics);
    assert_eq!(d.proposal, proposals.iter().copied().max());
    assert!(
        proposals[1] > proposals[0],
        "the Pods metric proposes more: {proposals:?}"
    );
    assert!(
        d.reason.to_string().contains("http_requests_per_second"),
        "{}",
        d.reason
    );
}

#[test]
fn the_cpu_initialization_period_ignores_a_start_up_burst() {
    // 3 pods at ~40 % CPU; minReplicas 5 adds two pods that burn 2 cores for 20 s from their
    // container start (t ≈ 10 s). Upstream treats those samples as unready. The sample windows
    // below are metrics-server's on the run's grid (`metric_phases: aligned`): with seeded
    // phases a window can begin after the readiness flip and still hold the burst's tail,
    // which upstream counts (docs/metrics-pipeline.md).
    let base = |ready_after: &str| {
        let mut s = Sim::new(60.0, "4m", 3)
            .pods("startup_cpu: {cores: 2, duration: 20s}")
            .hpa(&format!("minReplicas: 5\nmaxReplicas: 30\n{CPU_50}"))
            .metric_phases("aligned");
        s.lines[5] = s.lines[5].replace(
            "initial_delay: 5s",
            &format!("initial_delay: {ready_after}"),
        );
        s
    };
    let only_min = |out: &common::Outcome| {
        let r = out.rescales();
        assert_eq!(
            r.len(),
            1,
            "only the move to minReplicas: {:?}",
            r.iter().map(|x| (x.t, x.from, x.to)).collect::<Vec<_>>()
        );
        assert_eq!((r[0].from, r[0].to), (3, 5));
    };

    // Not Ready until after the burst (Ready at ~30 s): Ready=False makes the samples unready.
    only_min(&base("20s").run());

    // Ready at ~20 s, 10 s before the burst ends: the pod is Ready, but the 15 s sample ending
    // at 30 s began before the readiness flip (timestamp < lastTransitionTime + window), so
    // inside the CPU initialization period it is still unready — groupPods' sample-window rule.
    let out = base("10s").run_with(&every_sync());
    only_min(&out);
    let new_pods = ["web-3", "web-4"];
    let held_back_while_ready = decisions(&out).iter().any(|(t, d)| {
        let ready = out.result.series.ready_pods[out.result.series.row(*t)];
        let groups = d
            .metrics
            .first()
            .and_then(|m| m.detail.as_ref())
            .and_then(|p| p.groups.as_ref());
        ready == 5 && groups.is_some_and(|g| new_pods.iter().all(|p| g.unready.contains(*p)))
    });
    assert!(
        held_back_while_ready,
        "some sync should see the new pods Ready yet unready by the sample window"
    );

    // Without the protection (no init period, no readiness delay), the same burst scales up.
    let exposed = base("20s")
        .controller_manager("cpu_initialization_period: 0s")
        .controller_manager("initial_readiness_delay: 0s");
    let out = exposed.run();
    assert!(
        out.rescales().iter().any(|x| x.to > 5),
        "the burst should look like load without the protection"
    );
}

#[test]
fn a_pod_restarted_by_its_liveness_probe_still_counts_as_once_ready() {
    // One pod; minReplicas 3 adds two more at the first sync, Ready at ~15 s and past the
    // (shortened) CPU initialization period at 30 s. From 2 min the load saturates all three
    // and liveness probes kill containers: such a pod is Ready=False since its kill, long after
    // startTime + initialReadinessDelay. Upstream groupPods counts it as ready (it was Ready
    // before) and uses its CPU; only pods that never became Ready are unready.
    let out = Sim::new(30.0, "6m", 1)
        .trace("{generate: {kind: step, from: 30, to: 700, at: 2m}}")
        .pods("liveness: {period: 5s, timeout: 1s, failure_threshold: 3}")
        .hpa(&format!("minReplicas: 3\nmaxReplicas: 3\n{CPU_50}"))
        .controller_manager("cpu_initialization_period: 30s")
        .run_with(&every_sync());
    assert!(
        out.result.summary.restarts >= 2,
        "{} restarts",
        out.result.summary.restarts
    );
    let series = &out.result.series;
    let mut saw_restarting = 0;
    for (t, d) in decisions(&out).iter().filter(|(t, _)| *t >= 60.0) {
        let Some(groups) = d
            .metrics
            .first()
            .and_then(|m| m.detail.as_ref())
            .and_then(|p| p.groups.as_ref())
        else {
            continue;
        };
        assert!(
            groups.unready.is_empty(),
            "at {t} s pods {:?} were grouped unready, but every pod had been Ready",
            groups.unready
        );
        if series.ready_pods[series.row(*t)] < 3 {
            saw_restarting += 1;
        }
    }
    assert!(
        saw_restarting > 0,
        "some sync should happen while a restarted pod is not Ready"
    );
}

#[test]
fn overrides_patch_the_scenario_and_its_manifests() {
    use scalesim::scenario::patch::{Patch, PatchTarget};
    use scalesim::scenario::{Overrides, Scenario};
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-spike.yaml");
    let overrides = Overrides {
        patches: vec![
            Patch {
                target: PatchTarget::Scenario,
                path: "pods.startup.max".into(),
                value: serde_json::json!("90s"),
            },
            Patch {
                target: PatchTarget::Manifest {
                    kind: "HorizontalPodAutoscaler".into(),
                    name: None,
                },
                path: "spec.metrics[0].resource.target.averageUtilization".into(),
                value: serde_json::json!(45),
            },
        ],
        ..Default::default()
    };
    let s = Scenario::load(&dir, &overrides).unwrap();
    assert_eq!(s.pods.startup.max(), 90.0);
    let target = s.autoscalers.hpas[0].spec.metrics[0]
        .target()
        .unwrap()
        .average_utilization;
    assert_eq!(target, Some(45));
    let bad = Overrides {
        patches: vec![Patch {
            target: PatchTarget::Manifest {
                kind: "ScaledObject".into(),
                name: None,
            },
            path: "spec.x".into(),
            value: 1.into(),
        }],
        ..Default::default()
    };
    let e = Scenario::load(&dir, &bad).unwrap_err().to_string();
    assert!(e.contains("no ScaledObject"), "{e}");
}
