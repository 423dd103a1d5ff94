//! Control-loop tests: the polling loop, the executor (idle, paused, force-activation), the
//! HPA metric path with fallback (every behavior, Value metrics), scalingModifiers and
//! useCachedMetrics, all driven by a simulated clock.

use crate::keda::executor::{ScaleAction, ScaleReason};
use crate::keda::metric::{FetchError, FetchResult, Reading};
use crate::keda::metrics_server::{MetricRequestError, MetricResponse, external_metric_request};
use crate::keda::model::ScaledObjectModel;
use crate::keda::operator::poll;
use crate::keda::state::{ScaledObjectState, TargetView};
use crate::keda::testutil::*;

fn ok(value: f64, active: bool) -> FetchResult {
    Ok(Reading { value, active })
}
fn fail() -> FetchResult {
    Err(FetchError::new("backend down"))
}
fn view(spec: i32, ready: i32) -> TargetView {
    TargetView {
        spec_replicas: spec,
        ready_pods: ready,
    }
}

fn so(spec: &str, ann: &str, triggers: &str) -> ScaledObjectModel {
    model(&so_text(&format!("{spec}  triggers:\n{triggers}"), ann))
}

fn state(m: &ScaledObjectModel) -> ScaledObjectState {
    ScaledObjectState::new(0.0, m.triggers.len())
}

/// The HPA's request for the scalingModifiers composite metric, with two ready replicas.
fn composite_request(
    m: &ScaledObjectModel,
    st: &mut ScaledObjectState,
    now: f64,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> Result<MetricResponse, MetricRequestError> {
    external_metric_request(m, st, now, "composite-metric", &view(2, 2), fetch)
}

fn to(action: ScaleAction) -> Option<i32> {
    match action {
        ScaleAction::SetReplicas { to, .. } => Some(to),
        ScaleAction::None => None,
    }
}

#[test]
fn activation_from_zero_and_cooldown_on_ticks() {
    let m = so(
        "  pollingInterval: 30\n  cooldownPeriod: 300\n",
        "",
        &prom("", "5", ""),
    );
    let mut st = state(&m);
    let d = poll(&m, &mut st, 0.0, &view(0, 0), &mut |_| ok(3.0, true));
    assert_eq!(to(d.decision.action), Some(1), "0 → max(min, 1)");
    assert_eq!(st.last_active_time, Some(0.0));
    let d = poll(&m, &mut st, 30.0, &view(4, 4), &mut |_| ok(3.0, true));
    assert_eq!(d.decision.reason, ScaleReason::ActiveHpaInCharge);
    assert_eq!(st.last_active_time, Some(30.0));
    // Inactive from t=60: cooling down until the first tick strictly after 30 + 300.
    let mut t = 60.0;
    loop {
        let d = poll(&m, &mut st, t, &view(4, 4), &mut |_| ok(0.0, false));
        if let Some(n) = to(d.decision.action) {
            assert_eq!(n, 0, "straight to zero, bypassing HPA policies");
            break;
        }
        assert_eq!(d.decision.reason, ScaleReason::CoolingDown);
        t += 30.0;
    }
    assert_eq!(t, 360.0);
}

#[test]
fn initial_cooldown_from_creation() {
    let m = so("  initialCooldownPeriod: 120\n", "", &prom("", "5", ""));
    let mut st = ScaledObjectState::new(1000.0, 1);
    let d = poll(&m, &mut st, 1100.0, &view(3, 3), &mut |_| ok(0.0, false));
    assert_eq!(d.decision.reason, ScaleReason::CoolingDown);
    let d = poll(&m, &mut st, 1120.0, &view(3, 3), &mut |_| ok(0.0, false));
    assert_eq!(
        d.decision.reason,
        ScaleReason::CoolingDown,
        "strict: 1000 + 120 < 1120 is false"
    );
    let d = poll(&m, &mut st, 1121.0, &view(3, 3), &mut |_| ok(0.0, false));
    assert_eq!(to(d.decision.action), Some(0));
}

#[test]
fn cpu_triggers_and_activation() {
    let cpu = "  - type: cpu\n    metricType: Utilization\n    metadata: {value: '50'}\n";
    // Mixed: cpu never contributes to activation.
    let m = so("", "", &format!("{}{cpu}", prom("", "5", "")));
    let mut st = state(&m);
    let mut fetched = Vec::new();
    let d = poll(&m, &mut st, 1.0, &view(5, 5), &mut |i| {
        fetched.push(i);
        ok(0.0, false)
    });
    assert_eq!(
        fetched,
        vec![0],
        "cpu/memory are not fetched by KEDA's loop"
    );
    assert!(!d.is_active);
    // Only cpu/memory: always active.
    let m = so("  minReplicaCount: 1\n", "", cpu);
    let d = poll(
        &m,
        &mut state(&m),
        1.0,
        &view(2, 2),
        &mut |_| unreachable!(),
    );
    assert!(d.is_active);
}

#[test]
fn errors_hold_and_refresh_rules() {
    let two = format!("{}{}", prom("a", "5", ""), prom("b", "5", ""));
    let m = so("", "", &two);
    let mut st = state(&m);
    st.last_active_time = Some(0.0);
    // Active + error: nothing happens and lastActiveTime is not refreshed.
    let d = poll(&m, &mut st, 10.0, &view(3, 3), &mut |i| {
        if i == 0 { ok(9.0, true) } else { fail() }
    });
    assert_eq!(d.decision.reason, ScaleReason::PartialTriggerError);
    assert_eq!(st.last_active_time, Some(0.0));
    // Inactive + error, no fallback: hold.
    let d = poll(&m, &mut st, 1000.0, &view(3, 3), &mut |i| {
        if i == 0 { ok(0.0, false) } else { fail() }
    });
    assert_eq!(d.decision.reason, ScaleReason::TriggerError);
    // fallback.replicas 0: the error path falls through to scale-to-zero.
    let m0 = so("  fallback: {failureThreshold: 5, replicas: 0}\n", "", &two);
    let mut st0 = state(&m0);
    let d = poll(&m0, &mut st0, 1000.0, &view(3, 3), &mut |i| {
        if i == 0 { ok(0.0, false) } else { fail() }
    });
    assert_eq!(to(d.decision.action), Some(0));
    // fallback.replicas ≠ 0: wait for fallback.
    let m2 = so("  fallback: {failureThreshold: 5, replicas: 2}\n", "", &two);
    let d = poll(&m2, &mut state(&m2), 1000.0, &view(3, 3), &mut |i| {
        if i == 0 { ok(0.0, false) } else { fail() }
    });
    assert_eq!(d.decision.reason, ScaleReason::WaitingForFallback);
}

#[test]
fn idle_mode() {
    let m = so(
        "  idleReplicaCount: 0\n  minReplicaCount: 3\n",
        "",
        &prom("", "5", ""),
    );
    let mut st = state(&m);
    // Active below min in idle mode: straight to min.
    let d = poll(&m, &mut st, 1.0, &view(1, 1), &mut |_| ok(9.0, true));
    assert_eq!(to(d.decision.action), Some(3));
    // Inactive above idle after the cooldown: to idle.
    let d = poll(&m, &mut st, 1000.0, &view(5, 5), &mut |_| ok(0.0, false));
    assert_eq!(to(d.decision.action), Some(0));
    // Inactive at idle: nothing (no raise-to-min in idle mode).
    let d = poll(&m, &mut st, 2000.0, &view(0, 0), &mut |_| ok(0.0, false));
    assert_eq!(d.decision.reason, ScaleReason::NoChange);
    // Without idle mode, inactive below min: raised now.
    let m = so("  minReplicaCount: 3\n", "", &prom("", "5", ""));
    let d = poll(&m, &mut state(&m), 1.0, &view(1, 1), &mut |_| {
        ok(0.0, false)
    });
    assert_eq!(
        (to(d.decision.action), d.decision.reason),
        (Some(3), ScaleReason::RaisedToMin)
    );
}

#[test]
fn annotations() {
    let p = prom("", "5", "");
    let paused = so("", "autoscaling.keda.sh/paused-replicas: '4'", &p);
    let d = poll(
        &paused,
        &mut state(&paused),
        1.0,
        &view(9, 9),
        &mut |_| unreachable!(),
    );
    assert_eq!(
        (to(d.decision.action), d.decision.reason),
        (Some(4), ScaleReason::Paused)
    );
    let paused = so("", "autoscaling.keda.sh/paused: 'true'", &p);
    let d = poll(
        &paused,
        &mut state(&paused),
        1.0,
        &view(9, 9),
        &mut |_| unreachable!(),
    );
    assert_eq!(
        (to(d.decision.action), d.decision.reason),
        (None, ScaleReason::Paused)
    );
    let not_paused = so("", "autoscaling.keda.sh/paused: 'false'", &p);
    let d = poll(
        &not_paused,
        &mut state(&not_paused),
        1.0,
        &view(0, 0),
        &mut |_| ok(1.0, true),
    );
    assert_eq!(to(d.decision.action), Some(1));
    let out = so("", "autoscaling.keda.sh/paused-scale-out: 'true'", &p);
    let d = poll(&out, &mut state(&out), 1.0, &view(0, 0), &mut |_| {
        ok(9.0, true)
    });
    assert_eq!(d.decision.reason, ScaleReason::ScaleOutPaused);
    let inn = so("", "autoscaling.keda.sh/paused-scale-in: 'true'", &p);
    let d = poll(&inn, &mut state(&inn), 1000.0, &view(4, 4), &mut |_| {
        ok(0.0, false)
    });
    assert_eq!(d.decision.reason, ScaleReason::ScaleInPaused);
    let forced = so(
        "  minReplicaCount: 0\n  idleReplicaCount: 0\n",
        "autoscaling.keda.sh/force-activation: 'true'",
        &p,
    );
    let mut st = state(&forced);
    let d = poll(&forced, &mut st, 1.0, &view(0, 0), &mut |_| ok(0.0, false));
    assert_eq!(to(d.decision.action), Some(1));
    assert_eq!(st.last_active_time, Some(1.0));
}

#[test]
fn fallback_counts_both_loops_and_activates() {
    let m = so(
        "  fallback: {failureThreshold: 2, replicas: 6}\n",
        "",
        &prom("", "10", ""),
    );
    let mut st = state(&m);
    let name = m.triggers[0].scaler.metric.name.clone();
    let v = view(0, 0);
    // poll: failure 1; HPA: failure 2 (≤ 2: error); poll: failure 3 → fallback, active.
    let d = poll(&m, &mut st, 0.0, &v, &mut |_| fail());
    assert!(d.is_error);
    assert!(external_metric_request(&m, &mut st, 5.0, &name, &v, &mut |_| fail()).is_err());
    let d = poll(&m, &mut st, 30.0, &v, &mut |_| fail());
    assert!(d.fallback_active && d.is_active && !d.is_error);
    assert_eq!(
        to(d.decision.action),
        Some(1),
        "fallback makes the trigger active: scale from zero"
    );
    let r =
        external_metric_request(&m, &mut st, 45.0, &name, &view(1, 1), &mut |_| fail()).unwrap();
    assert_eq!(r.total_milli(), 60_000, "static: target 10 × 6 replicas");
    assert!(st.fallback_condition);
    // First success resets the counter.
    external_metric_request(&m, &mut st, 60.0, &name, &view(6, 6), &mut |_| {
        ok(3.0, true)
    })
    .unwrap();
    assert_eq!(st.health[&name].failures, 0);
    assert!(!st.fallback_condition);
}

#[test]
fn fallback_behaviors_with_value_metrics() {
    let value_trigger = prom("", "4", "    metricType: Value\n");
    let cases = [
        ("static", 3, 6, 6.0),
        ("currentReplicas", 3, 6, 3.0),
        ("currentReplicasIfHigher", 8, 6, 8.0),
        ("currentReplicasIfHigher", 3, 6, 6.0),
        ("currentReplicasIfLower", 3, 6, 3.0),
        ("currentReplicasIfLower", 9, 6, 6.0),
    ];
    for (behavior, current, replicas, r) in cases {
        let m = so(
            &format!(
                "  fallback: {{failureThreshold: 0, replicas: {replicas}, behavior: {behavior}}}\n"
            ),
            "",
            &value_trigger,
        );
        let name = m.triggers[0].scaler.metric.name.clone();
        let mut st = state(&m);
        // Value: T·R / readyPods (ready = 2 here, spec replicas = current).
        let resp =
            external_metric_request(&m, &mut st, 1.0, &name, &view(current, 2), &mut |_| fail())
                .unwrap();
        let expected = (4.0 * 1000.0 * (r / 2.0)) as i64;
        assert_eq!(resp.total_milli(), expected, "{behavior} current {current}");
        // ... which the HPA turns back into R: ceil(M/T · ready).
        assert_eq!((resp.total_milli() as f64 / 4000.0 * 2.0).ceil(), r);
    }
    // Value metric with no ready pod: fallback fails, the error is returned.
    let m = so(
        "  fallback: {failureThreshold: 0, replicas: 3}\n",
        "",
        &value_trigger,
    );
    let name = m.triggers[0].scaler.metric.name.clone();
    let mut st = state(&m);
    assert!(
        external_metric_request(&m, &mut st, 1.0, &name, &view(2, 0), &mut |_| fail()).is_err()
    );
    assert_eq!(st.health[&name].failures, 1);
}

#[test]
fn scaling_modifiers_composite() {
    let triggers = format!("{}{}", prom("a", "5", ""), prom("b", "5", ""));
    let m = so(
        "  advanced:\n    scalingModifiers: {formula: 'a + b', target: '4', activationTarget: '10'}\n",
        "",
        &triggers,
    );
    let mut st = state(&m);
    let d = poll(&m, &mut st, 1.0, &view(0, 0), &mut |i| {
        ok(if i == 0 { 4.0 } else { 5.0 }, true)
    });
    assert!(
        !d.is_active,
        "composite 9 is not > activationTarget 10 although both triggers are active"
    );
    assert_eq!(d.composite.as_ref().unwrap().milli, Some(9000));
    let d = poll(&m, &mut st, 2.0, &view(0, 0), &mut |i| {
        ok(if i == 0 { 4.0 } else { 7.0 }, false)
    });
    assert!(
        d.is_active,
        "composite 11 > 10 although neither trigger is active"
    );
    // Any error: inactive.
    let d = poll(&m, &mut st, 3.0, &view(1, 1), &mut |i| {
        if i == 0 { ok(40.0, true) } else { fail() }
    });
    assert!(!d.is_active && d.is_error);
    // HPA request for the composite metric: every trigger is fetched.
    let r = composite_request(&m, &mut st, 4.0, &mut |i| ok(i as f64 + 1.0, true)).unwrap();
    assert_eq!(r.values[0].name, "composite-metric");
    assert_eq!(r.total_milli(), 3000);
    assert!(
        composite_request(&m, &mut st, 5.0, &mut |i| {
            if i == 0 { fail() } else { ok(1.0, true) }
        })
        .is_err()
    );
}

#[test]
fn scaling_modifiers_fallback() {
    let triggers = format!("{}{}", prom("a", "5", ""), prom("b", "5", ""));
    // Non-scalingModifiers behavior: the first fallback value becomes the composite (target 4 × 3).
    let m = so(
        "  fallback: {failureThreshold: 0, replicas: 3}\n  advanced:\n    scalingModifiers: {formula: 'a + b', target: '4'}\n",
        "",
        &triggers,
    );
    let mut st = state(&m);
    let r = composite_request(&m, &mut st, 1.0, &mut |i| {
        if i == 0 { fail() } else { ok(100.0, true) }
    })
    .unwrap();
    assert_eq!(r.total_milli(), 12_000);
    // behavior scalingModifiers: failing triggers are nil, `??` picks the next.
    let m = so(
        "  fallback: {failureThreshold: 0, replicas: 3, behavior: scalingModifiers}\n  advanced:\n    scalingModifiers: {formula: 'a ?? b', target: '4'}\n",
        "",
        &triggers,
    );
    let mut st = state(&m);
    let r = composite_request(&m, &mut st, 1.0, &mut |i| {
        if i == 0 { fail() } else { ok(7.0, true) }
    })
    .unwrap();
    assert_eq!(r.total_milli(), 7000);
    let r = composite_request(&m, &mut st, 2.0, &mut |_| fail()).unwrap();
    assert_eq!(
        r.total_milli(),
        12_000,
        "all nil: fallback.replicas × target"
    );
    // A non-integer target disables fallback entirely.
    let m = so(
        "  fallback: {failureThreshold: 0, replicas: 3}\n  advanced:\n    scalingModifiers: {formula: 'a + b', target: '4.5'}\n",
        "",
        &triggers,
    );
    let mut st = state(&m);
    assert!(
        composite_request(&m, &mut st, 1.0, &mut |i| {
            if i == 0 { fail() } else { ok(1.0, true) }
        })
        .is_err()
    );
    assert!(
        st.health.is_empty(),
        "no health tracking without a valid fallback"
    );
}

#[test]
fn cached_metrics_are_read_by_the_hpa() {
    let m = so("", "", &prom("", "5", "    useCachedMetrics: true\n"));
    let name = m.triggers[0].scaler.metric.name.clone();
    let mut st = state(&m);
    // Cache miss: live query.
    let r = external_metric_request(&m, &mut st, 0.0, &name, &view(1, 1), &mut |_| ok(2.0, true))
        .unwrap();
    assert_eq!(r.total_milli(), 2000);
    assert!(!r.triggers[0].cached);
    poll(&m, &mut st, 1.0, &view(1, 1), &mut |_| ok(8.0, true));
    let r = external_metric_request(&m, &mut st, 5.0, &name, &view(1, 1), &mut |_| {
        panic!("must read the cache")
    })
    .unwrap();
    assert_eq!(r.total_milli(), 8000);
    assert!(r.triggers[0].cached);
    // A cached error fails the HPA request too.
    poll(&m, &mut st, 31.0, &view(1, 1), &mut |_| fail());
    assert!(
        external_metric_request(&m, &mut st, 35.0, &name, &view(1, 1), &mut |_| panic!(
            "must read the cache"
        ))
        .is_err()
    );
}

#[test]
fn scaler_errors_drop_scaler_memory() {
    let kafka = "  - type: kafka\n    metadata: {bootstrapServers: 'k:9092', consumerGroup: g, topic: t, excludePersistentLag: 'true'}\n";
    let m = so("", "", &format!("{kafka}{}", prom("", "5", "")));
    let mut st = state(&m);
    st.memory(0)
        .kafka_previous_offsets
        .insert(("t".into(), 0), 5);
    poll(&m, &mut st, 1.0, &view(1, 1), &mut |i| {
        if i == 0 { ok(1.0, true) } else { fail() }
    });
    assert!(
        st.scaler_memory[0].kafka_previous_offsets.is_empty(),
        "KEDA rebuilds every scaler after an error"
    );
}

#[test]
fn metric_values_are_quantised_activation_uses_raw() {
    let m = so("", "", &prom("", "5", ""));
    let name = m.triggers[0].scaler.metric.name.clone();
    let mut st = state(&m);
    let r = external_metric_request(&m, &mut st, 0.0, &name, &view(1, 1), &mut |_| {
        ok(1.23456, true)
    })
    .unwrap();
    assert_eq!(r.total_milli(), 1235);
    let r = external_metric_request(&m, &mut st, 0.0, &name, &view(1, 1), &mut |_| {
        ok(-3.0, false)
    })
    .unwrap();
    assert_eq!(r.total_milli(), 0);
    let d = poll(&m, &mut st, 1.0, &view(0, 0), &mut |_| ok(0.0004, true));
    assert!(d.is_active, "0.0004 reports 0 but the scaler said active");
    assert_eq!(d.triggers[0].metric_milli, Some(0));
}
