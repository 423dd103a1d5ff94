//! HPA behaviour users ask about, shown at scenario level (simulated pods, metrics pipeline,
//! controller), not only on isolated vectors.

mod common;
use common::Sim;

const CPU_50: &str = "metrics:\n- type: Resource\n  resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}";

#[test]
fn a_fresh_hpa_does_not_scale_down_for_five_minutes() {
    // 10 pods at ~8 % CPU: the metrics say 2 pods, but the first reconcile records 10.
    let out = Sim::new(40.0, "10m", 10)
        .hpa(&format!("minReplicas: 1\nmaxReplicas: 20\n{CPU_50}"))
        .run();
    let r = out.rescales();
    assert!(!r.is_empty(), "it does scale down eventually");
    assert!(
        r[0].t >= 300.0,
        "first scale-down at {} s, inside the 5-minute window",
        r[0].t
    );
    assert!(r[0].to < 10);
    assert_eq!(out.replicas_at(290.0), 10);
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
        d.reason.contains("http_requests_per_second"),
        "{}",
        d.reason
    );
}

#[test]
fn the_cpu_initialization_period_ignores_a_start_up_burst() {
    // 3 pods at ~40 % CPU; minReplicas 5 adds two pods that burn 2 cores for 20 s while not
    // yet Ready (readiness passes at 20 s). Upstream treats those samples as unready.
    let base = || {
        Sim::new(60.0, "4m", 3)
            .pods("startup_cpu: {cores: 2, duration: 20s}")
            .hpa(&format!("minReplicas: 5\nmaxReplicas: 30\n{CPU_50}"))
    };
    let mut protected = base();
    protected.lines[5] = protected.lines[5].replace("initial_delay: 5s", "initial_delay: 20s");
    let out = protected.run();
    let r = out.rescales();
    assert_eq!(
        r.len(),
        1,
        "only the move to minReplicas: {:?}",
        r.iter().map(|x| (x.t, x.from, x.to)).collect::<Vec<_>>()
    );
    assert_eq!((r[0].from, r[0].to), (3, 5));

    // Without the protection (no init period, no readiness delay), the same burst scales up.
    let mut exposed = base()
        .controller_manager("cpu_initialization_period: 0s")
        .controller_manager("initial_readiness_delay: 0s");
    exposed.lines[5] = exposed.lines[5].replace("initial_delay: 5s", "initial_delay: 20s");
    let out = exposed.run();
    assert!(
        out.rescales().iter().any(|x| x.to > 5),
        "the burst should look like load without the protection"
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
