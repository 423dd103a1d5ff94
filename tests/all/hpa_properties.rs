//! Property tests of the HPA decision core: no input panics it, and a normal reconcile never
//! writes a replica count outside `[minReplicas, maxReplicas]`.

use proptest::prelude::*;
use scalesim::hpa::*;
use scalesim::units::Quantity;

/// (phase, ready, deleting, start, ready flip, request, usage) of one generated pod.
type PodCase = (
    PodPhase,
    Option<ConditionStatus>,
    bool,
    f64,
    f64,
    Option<i64>,
    Option<i64>,
);

fn pod_strategy() -> impl Strategy<Value = PodCase> {
    (
        prop_oneof![
            Just(PodPhase::Running),
            Just(PodPhase::Pending),
            Just(PodPhase::Failed),
            Just(PodPhase::Succeeded)
        ],
        prop_oneof![
            Just(None),
            Just(Some(ConditionStatus::True)),
            Just(Some(ConditionStatus::False)),
            Just(Some(ConditionStatus::Unknown))
        ],
        any::<bool>(),
        -1.0e6f64..1.0e6,
        -1.0e6f64..1.0e6,
        prop_oneof![
            Just(None),
            (0i64..5_000).prop_map(Some),
            Just(Some(i64::MAX)),
            Just(Some(0))
        ],
        prop_oneof![
            Just(None),
            (-10i64..50_000).prop_map(Some),
            Just(Some(i64::MAX)),
            Just(Some(i64::MIN))
        ],
    )
}

fn build(now: f64, current: i32, status: i32, pods: &[PodCase], ext: Vec<i64>) -> Observation {
    let mut obs_pods = Vec::new();
    let mut samples = Vec::new();
    let mut values = Vec::new();
    for (i, (phase, ready, deleting, start, flip, req, usage)) in pods.iter().enumerate() {
        let name = format!("p{i}");
        obs_pods.push(PodObservation {
            name: name.as_str().into(),
            phase: *phase,
            ready: ready.map(|s| ReadyCondition {
                status: s,
                last_transition_time: *flip,
            }),
            deleting: *deleting,
            start_time: Some(*start),
            containers: vec![ContainerSpec {
                name: "app".into(),
                requests: Requests {
                    cpu_milli: *req,
                    memory_milli: *req,
                },
                sidecar: false,
                init: false,
            }]
            .into(),
            pod_requests: None,
            overhead: None,
        });
        if let Some(u) = usage {
            samples.push(PodResourceSample::cpu(&name, now, 60.0, *u));
            values.push(PodValueSample {
                pod: name.as_str().into(),
                value_milli: *u,
                timestamp: now,
                window: 60.0,
            });
        }
    }
    Observation {
        now,
        namespace: String::new(),
        scale: ScaleObservation {
            spec_replicas: current,
            status_replicas: status,
            ..Default::default()
        },
        pods: obs_pods,
        metrics: vec![
            MetricReading::PodResources(samples),
            MetricReading::PodValues(values),
            MetricReading::ExternalValues(ext.clone()),
            MetricReading::ObjectValue {
                value_milli: ext.first().copied().unwrap_or(0),
            },
        ],
    }
}

fn spec(min: i32, max: i32, behavior: bool, target: i64) -> HpaSpec {
    let q = Quantity::from_milli(target.max(1));
    HpaSpec {
        min_replicas: Some(min),
        max_replicas: max,
        metrics: vec![
            MetricSpec::resource(
                "cpu",
                MetricTarget::utilization((target % 500).max(1) as i32),
            ),
            MetricSpec::pods("rps", MetricTarget::average_value(q)),
            MetricSpec::external("queue", MetricTarget::average_value(q)),
            MetricSpec::object("Service", "svc", "hits", MetricTarget::value(q)),
        ],
        behavior: behavior.then(Behavior::default),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: crate::helpers::regressions(), ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_stays_in_bounds(
        pods in proptest::collection::vec(pod_strategy(), 0..8),
        min in 1i32..5,
        span in 0i32..20,
        current in 0i32..40,
        status in 0i32..40,
        behavior in any::<bool>(),
        target in 1i64..100_000,
        ext in proptest::collection::vec(prop_oneof![-5i64..1_000_000, Just(i64::MAX)], 0..3),
        now in 0.0f64..1.0e6,
        scale_to_zero in any::<bool>(),
    ) {
        let max = min + span;
        let s = spec(min, max, behavior, target);
        let mut settings = ControllerSettings::default();
        settings.feature_gates.hpa_scale_to_zero = scale_to_zero;
        let mut mem = HpaMemory::default();
        let obs = build(now, current, status, &pods, ext);
        let d = reconcile(&s, &settings, &mut mem, &obs);
        if d.rescale {
            prop_assert!(d.desired_replicas >= min && d.desired_replicas <= max,
                "wrote {} outside [{min}, {max}] from {current}: {}", d.desired_replicas, d.reason);
        } else {
            prop_assert_eq!(d.desired_replicas, current);
        }
        // A second reconcile on the same memory must also hold.
        let d2 = reconcile(&s, &settings, &mut mem, &build(now + 15.0, d.desired_replicas, status, &pods, vec![7]));
        if d2.rescale {
            prop_assert!(d2.desired_replicas >= min && d2.desired_replicas <= max);
        }
        let _ = serde_json::to_string(&d2).unwrap();
    }
}
