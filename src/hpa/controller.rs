//! One reconcile of one HPA (docs/hpa.md#reconcile), several metrics
//! (docs/hpa.md#several-metrics), scale to/from zero (docs/hpa.md#zero) and the conditions it
//! sets (docs/hpa.md#conditions): the pure decision core `reconcile`.
//!
//! It reads only the [`Observation`] and the HPA's [`HpaMemory`], never the simulated world, and
//! returns a [`Decision`]; the simulation applies `desired_replicas` when `rescale` is true.

use super::decision::{
    Decision, DecisionPath, HpaEvent, LimitStep, MetricDecision, StabilizationStep,
};
use super::memory::{HpaMemory, Recommendation};
use super::normalize::{self, Limited};
use super::observation::{ConditionStatus, MetricReading, Observation, SelectorProblem};
use super::replica_calc::{self as rc, CalcContext, CurrentValue, Proposal, Tolerances};
use super::settings::ControllerSettings;
use super::spec::{HpaSpec, LabelSelector, MetricSpec, MetricTarget, TargetType};
use super::status::ConditionType;
use crate::units::Quantity;

/// Reconcile `spec` once at `obs.now`, updating `memory` (histories and status) in place.
pub fn reconcile(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
) -> Decision {
    let now = obs.now;
    let min = spec.min();
    let max = spec.max_replicas;
    let gates = settings.feature_gates;
    let current = obs.scale.spec_replicas;
    let mut d = Decision {
        now,
        path: DecisionPath::Legacy,
        current_replicas: current,
        status_replicas: obs.scale.status_replicas,
        min_replicas: min,
        max_replicas: max,
        desired_replicas: current,
        rescale: false,
        failed_rescale_to: None,
        status_desired_replicas: memory.status.desired_replicas,
        metrics: Vec::new(),
        proposal: None,
        proposal_metric: None,
        stabilization: None,
        limit: None,
        scale_from_zero_floor: None,
        conditions: Vec::new(),
        events: Vec::new(),
        reason: String::new(),
    };
    let status = &mut memory.status;

    // 1. The scale subresource.
    if let Some(err) = &obs.scale.get_error {
        warn(&mut d, "FailedGetScale", err.clone());
        status.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::False,
            "FailedGetScale",
            format!("the HPA controller was unable to get the target's current scale: {err}"),
            now,
        );
        d.path = DecisionPath::FailedGetScale;
        d.reason = format!("unable to get the target's current scale: {err}");
        d.conditions = status.conditions.clone();
        return d;
    }
    status.set_condition(
        ConditionType::AbleToScale,
        ConditionStatus::True,
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale".into(),
        now,
    );

    // 2. First sight since the controller started: record the current count.
    if memory.recommendations.is_none() {
        memory.recommendations = Some(vec![Recommendation {
            replicas: current,
            time: now,
        }]);
    }

    let scaled_to_zero = gates.hpa_scale_to_zero && memory.status.scaled_to_zero();
    let obj_ext = spec.has_object_or_external_metric();
    let compute_from_zero = current == 0 && scaled_to_zero && (min != 0 || obj_ext);

    let mut desired: i32;
    let mut rescale_reason = String::new();

    // 4. Exactly one branch.
    if current == 0 && !compute_from_zero {
        memory.status.set_condition(
            ConditionType::ScalingActive,
            ConditionStatus::False,
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero".into(),
            now,
        );
        d.path = DecisionPath::ScalingDisabled;
        d.reason = "scaling is disabled since the replica count of the target is zero".into();
        finish_status(memory, current, 0, false, now);
        d.status_desired_replicas = 0;
        d.conditions = memory.status.conditions.clone();
        return d;
    } else if current > max {
        rescale_reason = "Current number of replicas above Spec.MaxReplicas".into();
        desired = max;
        d.path = DecisionPath::AboveMaxReplicas;
    } else if current < min && current != 0 {
        rescale_reason = "Current number of replicas below Spec.MinReplicas".into();
        desired = min;
        d.path = DecisionPath::BelowMinReplicas;
    } else {
        let outcome = compute_replicas_for_metrics(spec, settings, memory, obs, &mut d);
        let Some((proposal, metric_name)) = outcome else {
            // No scaling this cycle: status desired keeps its value, histories untouched.
            d.path = DecisionPath::MetricsFailed;
            memory.status.current_replicas = current;
            d.status_desired_replicas = memory.status.desired_replicas;
            d.conditions = memory.status.conditions.clone();
            return d;
        };
        d.proposal = Some(proposal);
        d.proposal_metric = Some(metric_name.clone());
        desired = 0;
        let mut rescale_metric = String::new();
        if proposal > desired {
            desired = proposal;
            rescale_metric = metric_name;
        }
        if desired > current {
            rescale_reason = format!("{rescale_metric} above target");
        }
        if desired < current {
            rescale_reason = "All metrics below target".into();
        }
        desired = match &spec.behavior {
            None => {
                d.path = DecisionPath::Legacy;
                normalize_legacy(settings, memory, current, desired, min, max, &mut d)
            }
            Some(behavior) => {
                d.path = DecisionPath::Behavior;
                normalize_with_behavior(
                    behavior, settings, memory, current, desired, min, max, &mut d,
                )
            }
        };
        // Scale-from-zero floor (docs/hpa.md#zero).
        if current == 0 && min != 0 && scaled_to_zero && desired < min {
            desired = min;
            d.scale_from_zero_floor = Some(min);
        }
    }

    let rescale = desired != current;
    if rescale {
        if let Some(err) = &obs.scale.update_error {
            warn(
                &mut d,
                "FailedRescale",
                format!("New size: {desired}; reason: {rescale_reason}; error: {err}"),
            );
            memory.status.set_condition(
                ConditionType::AbleToScale,
                ConditionStatus::False,
                "FailedUpdateScale",
                format!("the HPA controller was unable to update the target scale: {err}"),
                now,
            );
            memory.status.current_replicas = current;
            d.failed_rescale_to = Some(desired);
            d.status_desired_replicas = memory.status.desired_replicas;
            d.reason =
                format!("Failed to rescale to {desired}; reason: {rescale_reason}; error: {err}");
            d.conditions = memory.status.conditions.clone();
            return d;
        }
        memory.status.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            "SucceededRescale",
            format!("the HPA controller was able to update the target scale to {desired}"),
            now,
        );
        let message = format!("New size: {desired}; reason: {rescale_reason}");
        d.events.push(HpaEvent {
            event_type: "Normal".into(),
            reason: "SuccessfulRescale".into(),
            message: message.clone(),
        });
        d.reason = message + &stabilization_note(&d, current, desired);
        if let Some(behavior) = &spec.behavior {
            let (up, down) = behavior.effective(settings.downscale_window_seconds());
            normalize::store_scale_event(
                &up,
                &down,
                &mut memory.scale_up_events,
                &mut memory.scale_down_events,
                current,
                desired,
                now,
            );
        }
        if gates.hpa_scale_to_zero {
            if current > 0 && desired == 0 && min == 0 && obj_ext {
                memory.status.set_condition(
                    ConditionType::ScaledToZero,
                    ConditionStatus::True,
                    "ScaledToZero",
                    "the HPA controller scaled the workload to zero".into(),
                    now,
                );
            } else {
                memory.status.set_condition(
                    ConditionType::ScaledToZero,
                    ConditionStatus::False,
                    "NotScaledToZero",
                    "the HPA controller did not scale the workload to zero".into(),
                    now,
                );
            }
        } else {
            memory.status.remove_condition(ConditionType::ScaledToZero);
        }
    } else {
        desired = current;
        d.reason = no_change_reason(&d, current);
    }

    finish_status(memory, current, desired, rescale, now);
    d.desired_replicas = desired;
    d.rescale = rescale;
    d.status_desired_replicas = desired;
    d.conditions = memory.status.conditions.clone();
    d
}

fn finish_status(memory: &mut HpaMemory, current: i32, desired: i32, rescale: bool, now: f64) {
    memory.status.current_replicas = current;
    memory.status.desired_replicas = desired;
    if rescale {
        memory.status.last_scale_time = Some(now);
    }
}

/// Upstream words the rescale reason from the raw proposal only (`rescaleReason` in
/// reconcileAutoscaler): a legacy scale-up that the rolling-maximum window alone caused — the
/// metrics proposed no more than the current count — reads `New size: 9; reason: ` (or even "All
/// metrics below target"). The event keeps upstream's text; the one-line summary adds scalesim's
/// own explanation.
fn stabilization_note(d: &Decision, current: i32, desired: i32) -> String {
    let (Some(p), Some(st)) = (d.proposal, &d.stabilization) else {
        return String::new();
    };
    if desired > current && p <= current && st.to > p {
        let window = st.window.as_deref().unwrap_or("the stabilization window");
        format!(
            " [scalesim: raised by the stabilization window — metrics proposed {p}, {window} holds a recommendation of {}]",
            st.to
        )
    } else {
        String::new()
    }
}

fn warn(d: &mut Decision, reason: &str, message: String) {
    d.events.push(HpaEvent {
        event_type: "Warning".into(),
        reason: reason.into(),
        message,
    });
}

fn no_change_reason(d: &Decision, current: i32) -> String {
    let mut why = String::new();
    if let Some(s) = &d.stabilization
        && s.from != s.to
    {
        why = format!(
            "recommendation {} held at {} by the {}",
            s.from,
            s.to,
            s.window
                .clone()
                .unwrap_or_else(|| "stabilization window".into())
        );
    } else if let Some(l) = &d.limit
        && l.from != l.to
    {
        why = format!(
            "recommendation {} limited to {} by {}",
            l.from,
            l.to,
            d.limited_by().unwrap_or_default()
        );
    } else if d.proposal == Some(current) {
        why = "the metrics recommend the current size".into();
    }
    if why.is_empty() {
        format!("No change: {current} replicas")
    } else {
        format!("No change: {current} replicas; {why}")
    }
}

/// Tolerances for this HPA: the cluster flag, replaced per direction by `behavior` (gate on).
pub fn tolerances_for(spec: &HpaSpec, settings: &ControllerSettings) -> Tolerances {
    // `tolerancesForHpa` (horizontal.go): the cluster tolerance, replaced per direction by the
    // HPA's `behavior.scale{Up,Down}.tolerance` (AsApproximateFloat64) under the gate.
    let mut t = Tolerances {
        down: settings.tolerance,
        up: settings.tolerance_up.unwrap_or(settings.tolerance),
    };
    if settings.feature_gates.hpa_configurable_tolerance
        && let Some(b) = &spec.behavior
    {
        if let Some(v) = b.scale_down.as_ref().and_then(|r| r.tolerance) {
            t.down = v;
        }
        if let Some(v) = b.scale_up.as_ref().and_then(|r| r.tolerance) {
            t.up = v;
        }
    }
    t
}

/// docs/hpa.md#several-metrics: every metric in order; `Some((P, metric name))`, or `None` when this cycle cannot scale.
fn compute_replicas_for_metrics(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
    d: &mut Decision,
) -> Option<(i32, String)> {
    let now = obs.now;
    let status = &mut memory.status;
    if let Some(problem) = &obs.scale.selector_problem {
        let (event_reason, reason, message) = match problem {
            SelectorProblem::Missing => (
                "SelectorRequired",
                "InvalidSelector",
                "the HPA target's scale is missing a selector".to_string(),
            ),
            SelectorProblem::Invalid(e) => (
                "InvalidSelector",
                "InvalidSelector",
                format!(
                    "couldn't convert selector into a corresponding internal selector object: {e}"
                ),
            ),
            SelectorProblem::Ambiguous(others) => (
                "AmbiguousSelector",
                "AmbiguousSelector",
                format!(
                    "pods by selector are controlled by multiple HPAs: [{}]",
                    others.join(" ")
                ),
            ),
        };
        let event_message = if matches!(problem, SelectorProblem::Missing) {
            "selector is required".into()
        } else {
            message.clone()
        };
        warn(d, event_reason, event_message.clone());
        status.set_condition(
            ConditionType::ScalingActive,
            ConditionStatus::False,
            reason,
            message,
            now,
        );
        d.reason = event_message;
        return None;
    }

    let ctx = CalcContext {
        now,
        tolerances: tolerances_for(spec, settings),
        cpu_initialization_period: settings.cpu_initialization_period.0,
        initial_readiness_delay: settings.initial_readiness_delay.0,
        pod_level_resources: settings.feature_gates.pod_level_resources,
        pods: &obs.pods,
    };
    let namespace = if obs.namespace.is_empty() {
        "default"
    } else {
        obs.namespace.as_str()
    };
    let metrics = spec.effective_metrics();
    let spec_replicas = obs.scale.spec_replicas;
    let status_replicas = obs.scale.status_replicas;

    let mut replicas: i32 = 0;
    let mut metric = String::new();
    let mut invalid = 0usize;
    let mut first_failure: Option<(String, String, String)> = None; // (reason, inner, outer)
    for (i, m) in metrics.iter().enumerate() {
        let reading = obs.metrics.get(i);
        let ev = evaluate_metric_in(namespace, m, reading, spec_replicas, status_replicas, &ctx);
        match (ev.decision.proposal, ev.failure_wrapped) {
            (Some(proposal), _) => {
                if replicas == 0 || proposal > replicas {
                    replicas = proposal;
                    metric = ev.metric_name;
                }
            }
            (None, outer) => {
                let reason = ev.decision.failure_reason.clone().unwrap_or_default();
                let inner = ev.decision.error.clone().unwrap_or_default();
                warn(d, &reason, inner.clone());
                if first_failure.is_none() {
                    first_failure = Some((reason, inner, outer.unwrap_or_default()));
                }
                invalid += 1;
            }
        }
        let md = ev.decision;
        d.metrics.push(md);
    }

    if let Some((reason, inner, outer)) = first_failure
        && (invalid >= metrics.len() || replicas < spec_replicas)
    {
        let message = format!(
            "invalid metrics ({invalid} invalid out of {}), first error is: {outer}",
            metrics.len()
        );
        warn(d, "FailedComputeMetricsReplicas", message.clone());
        status.set_condition(
            ConditionType::ScalingActive,
            ConditionStatus::False,
            &reason,
            format!("the HPA was unable to compute the replica count: {inner}"),
            now,
        );
        d.reason = message;
        return None;
    }
    status.set_condition(
        ConditionType::ScalingActive,
        ConditionStatus::True,
        "ValidMetricFound",
        format!("the HPA was able to successfully calculate a replica count from {metric}"),
        now,
    );
    Some((replicas, metric))
}

/// A failed metric: condition reason, the message of its event, and the wrapped message that
/// `FailedComputeMetricsReplicas` repeats.
struct Failure {
    reason: String,
    inner: String,
    outer: String,
}

fn fail(reason: &str, inner: String, outer: impl FnOnce(&str) -> String) -> Failure {
    let o = outer(&inner);
    Failure {
        reason: reason.into(),
        inner,
        outer: o,
    }
}

fn reading_kind(r: &MetricReading) -> &'static str {
    match r {
        MetricReading::PodResources(_) => "resource-metrics",
        MetricReading::PodValues(_) => "per-pod custom-metrics",
        MetricReading::ObjectValue { .. } => "object",
        MetricReading::ExternalValues(_) => "external",
        MetricReading::Error(_) => "error",
    }
}

type OneResult = Result<(Proposal, String), Failure>;

/// One metric evaluated: its decision record, the upstream "metric name" used in event reasons
/// (e.g. `cpu resource utilization (percentage of request)`), and on failure the wrapped error
/// message that `FailedComputeMetricsReplicas` repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricEvaluation {
    pub decision: MetricDecision,
    pub metric_name: String,
    pub failure_wrapped: Option<String>,
}

/// Evaluate one metric of the spec against its reading (docs/hpa.md#one-metric): the per-metric half of a
/// reconcile, public so it can be checked on its own.
pub fn evaluate_metric(
    m: &MetricSpec,
    reading: Option<&MetricReading>,
    spec_replicas: i32,
    status_replicas: i32,
    ctx: &CalcContext<'_>,
) -> MetricEvaluation {
    evaluate_metric_in("default", m, reading, spec_replicas, status_replicas, ctx)
}

/// [`evaluate_metric`] for an HPA in `namespace` (named in the Object/External error texts).
pub fn evaluate_metric_in(
    namespace: &str,
    m: &MetricSpec,
    reading: Option<&MetricReading>,
    spec_replicas: i32,
    status_replicas: i32,
    ctx: &CalcContext<'_>,
) -> MetricEvaluation {
    let (mut md, result) = compute_one(namespace, m, reading, spec_replicas, status_replicas, ctx);
    match result {
        Ok((proposal, name)) => {
            md.proposal = Some(proposal.replicas);
            md.current_value = Some(proposal.current);
            md.current = format_current(m, &proposal.current);
            md.detail = Some(proposal);
            MetricEvaluation {
                decision: md,
                metric_name: name,
                failure_wrapped: None,
            }
        }
        Err(f) => {
            md.error = Some(f.inner);
            md.failure_reason = Some(f.reason);
            MetricEvaluation {
                decision: md,
                metric_name: String::new(),
                failure_wrapped: Some(f.outer),
            }
        }
    }
}

fn compute_one(
    namespace: &str,
    m: &MetricSpec,
    reading: Option<&MetricReading>,
    spec_replicas: i32,
    status_replicas: i32,
    ctx: &CalcContext<'_>,
) -> (MetricDecision, OneResult) {
    let md = MetricDecision {
        metric_type: m.type_name().to_string(),
        name: m.name().to_string(),
        label: metric_label(m),
        current: "<unknown>".into(),
        target: m.target().map(format_target).unwrap_or_default(),
        current_value: None,
        proposal: None,
        detail: None,
        error: None,
        failure_reason: None,
    };
    let mismatch = |what: &str| match reading {
        None => format!("no reading for {what} metric from the metrics pipeline"),
        Some(r) => format!(
            "the metrics pipeline returned a {} reading for a {what} metric",
            reading_kind(r)
        ),
    };
    let result = match m {
        MetricSpec::Resource { name, target }
        | MetricSpec::ContainerResource { name, target, .. } => {
            let container = match m {
                MetricSpec::ContainerResource { container, .. } => Some(container.as_str()),
                _ => None,
            };
            let (reason, outer_what) = match container {
                Some(c) => ("FailedGetContainerResourceMetric", format!("{c} container")),
                None => ("FailedGetResourceMetric", format!("{name} resource")),
            };
            let outer = |inner: &str| format!("failed to get {outer_what} metric value: {inner}");
            let samples = match reading {
                Some(MetricReading::PodResources(s)) => Ok(s.as_slice()),
                Some(MetricReading::Error(e)) => Err(format!(
                    "unable to get metrics for resource {name}: unable to fetch metrics from resource metrics API: {e}"
                )),
                _ => Err(mismatch(m.type_name())),
            };
            if let Some(avg) = target.average_value {
                samples
                    .and_then(|s| {
                        let metrics = rc::resource_samples(s, name, container)?;
                        rc::plain_metric_replicas(metrics, spec_replicas, avg.milli, name, ctx)
                    })
                    .map(|p| (p, format!("{name} resource")))
                    .map_err(|e| fail(reason, format!("failed to get {name} usage: {e}"), outer))
            } else if let Some(util) = target.average_utilization {
                let metric_name = if container.is_some() {
                    format!("{name} container resource utilization (percentage of request)")
                } else {
                    format!("{name} resource utilization (percentage of request)")
                };
                samples
                    .and_then(|s| {
                        rc::resource_utilization_replicas(
                            spec_replicas,
                            util,
                            name,
                            container,
                            s,
                            ctx,
                        )
                    })
                    .map(|p| (p, metric_name))
                    .map_err(|e| {
                        fail(
                            reason,
                            format!("failed to get {name} utilization: {e}"),
                            outer,
                        )
                    })
            } else {
                Err(fail(
                    reason,
                    "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".into(),
                    outer,
                ))
            }
        }
        MetricSpec::Pods { metric, target } => {
            let outer = |inner: &str| format!("failed to get pods metric value: {inner}");
            match (target.average_value, reading) {
                (None, _) => Err(fail(
                    "FailedGetPodsMetric",
                    "invalid pods metric source: no averageValue target was set".into(),
                    outer,
                )),
                (Some(avg), Some(MetricReading::PodValues(samples))) => {
                    if samples.is_empty() {
                        Err(fail(
                            "FailedGetPodsMetric",
                            format!(
                                "unable to get metric {}: no metrics returned from custom metrics API",
                                metric.name
                            ),
                            outer,
                        ))
                    } else {
                        rc::plain_metric_replicas(
                            rc::pod_value_samples(samples),
                            spec_replicas,
                            avg.milli,
                            "",
                            ctx,
                        )
                        .map(|p| (p, format!("pods metric {}", metric.name)))
                        .map_err(|e| fail("FailedGetPodsMetric", e, outer))
                    }
                }
                // GetMetricReplicas wraps the custom metrics client's GetRawMetric error.
                (Some(_), Some(MetricReading::Error(e))) => Err(fail(
                    "FailedGetPodsMetric",
                    format!(
                        "unable to get metric {}: unable to fetch metrics from custom metrics API: {e}",
                        metric.name
                    ),
                    outer,
                )),
                (Some(_), _) => Err(fail("FailedGetPodsMetric", mismatch("Pods"), outer)),
            }
        }
        MetricSpec::Object {
            described_object,
            metric,
            target,
        } => {
            let outer = |inner: &str| format!("failed to get object metric value: {inner}");
            let value = match reading {
                Some(MetricReading::ObjectValue { value_milli }) => Ok(*value_milli),
                // GetObjectMetricReplicas / GetObjectPerPodMetricReplicas
                // (replica_calculator.go) word it exactly so, arguments in this order:
                // `unable to get metric %s: %v on %s %s/%s`, (metric, kind, namespace, name, err),
                // wrapping the custom metrics client's `unable to fetch metrics from custom
                // metrics API: %v`.
                Some(MetricReading::Error(e)) => Err(format!(
                    "unable to get metric {}: {} on {} {}/unable to fetch metrics from custom metrics API: {e}",
                    metric.name, described_object.kind, namespace, described_object.name
                )),
                _ => Err(mismatch("Object")),
            };
            if target.target_type == TargetType::Value
                && let Some(t) = target.value
            {
                value
                    .and_then(|v| rc::object_value_replicas(spec_replicas, t.milli, v, ctx))
                    .map(|p| {
                        (
                            p,
                            format!("{} metric {}", described_object.kind, metric.name),
                        )
                    })
                    .map_err(|e| fail("FailedGetObjectMetric", e, outer))
            } else if target.target_type == TargetType::AverageValue
                && let Some(t) = target.average_value
            {
                value
                    .map(|v| {
                        rc::object_average_value_replicas(
                            status_replicas,
                            t.milli,
                            v,
                            ctx.tolerances,
                        )
                    })
                    .map(|p| {
                        (
                            p,
                            format!(
                                "external metric {}({})",
                                metric.name,
                                go_selector(metric.selector.as_ref())
                            ),
                        )
                    })
                    .map_err(|e| fail("FailedGetObjectMetric", e, outer))
            } else {
                Err(fail(
                    "FailedGetObjectMetric",
                    "invalid object metric source: neither a value target nor an average value target was set".into(),
                    outer,
                ))
            }
        }
        MetricSpec::External { metric, target } => {
            let name = &metric.name;
            let outer =
                |inner: &str| format!("failed to get {name} external metric value: {inner}");
            // GetExternalMetricReplicas / GetExternalPerPodMetricReplicas: `unable to get
            // external metric %s/%s/%+v: %s` (namespace, metric, selector, the external metrics
            // client's error).
            let prefix = format!(
                "unable to get external metric {}/{name}/{}",
                namespace,
                go_selector(metric.selector.as_ref())
            );
            let values = match reading {
                Some(MetricReading::ExternalValues(v)) if v.is_empty() => Err(format!(
                    "{prefix}: no metrics returned from external metrics API"
                )),
                Some(MetricReading::ExternalValues(v)) => Ok(v.as_slice()),
                Some(MetricReading::Error(e)) => Err(format!(
                    "{prefix}: unable to fetch metrics from external metrics API: {e}"
                )),
                _ => Err(mismatch("External")),
            };
            let metric_name = format!(
                "external metric {name}({})",
                go_selector(metric.selector.as_ref())
            );
            if let Some(t) = target.average_value {
                values
                    .map(|v| {
                        rc::external_average_value_replicas(
                            status_replicas,
                            t.milli,
                            v,
                            ctx.tolerances,
                        )
                    })
                    .map(|p| (p, metric_name))
                    .map_err(|e| fail("FailedGetExternalMetric", e, outer))
            } else if let Some(t) = target.value {
                values
                    .and_then(|v| rc::external_value_replicas(spec_replicas, t.milli, v, ctx))
                    .map(|p| (p, metric_name))
                    .map_err(|e| fail("FailedGetExternalMetric", e, outer))
            } else {
                Err(fail(
                    "FailedGetExternalMetric",
                    "invalid external metric source: neither a value target nor an average value target was set".into(),
                    outer,
                ))
            }
        }
        MetricSpec::Unknown { type_name } => {
            let e = format!("unknown metric source type \"{type_name}\"");
            Err(Failure {
                reason: "InvalidMetricSourceType".into(),
                inner: e.clone(),
                outer: e,
            })
        }
    };
    (md, result)
}

/// Go's `%+v` of a `*LabelSelector` as it appears in upstream metric names.
fn go_selector(s: Option<&LabelSelector>) -> String {
    match s {
        // The generated `(*LabelSelector).String()` answers "nil" for a nil pointer, which is
        // what `%+v` prints (`external metric queue(nil)` in `kubectl describe hpa`).
        None => "nil".into(),
        Some(s) => {
            let labels: String = s
                .match_labels
                .iter()
                .map(|(k, v)| format!("{k}: {v},"))
                .collect();
            let exprs: String = s
                .match_expressions
                .iter()
                .map(|e| {
                    format!(
                        "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                        e.key,
                        e.operator,
                        e.values.join(" ")
                    )
                })
                .collect();
            format!(
                "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
            )
        }
    }
}

/// The `kubectl describe hpa` label of a metric.
pub fn metric_label(m: &MetricSpec) -> String {
    let utilization =
        |t: &MetricTarget| t.average_value.is_none() && t.average_utilization.is_some();
    match m {
        MetricSpec::Resource { name, target } => {
            if utilization(target) {
                format!("resource {name} on pods  (as a percentage of request)")
            } else {
                format!("resource {name} on pods")
            }
        }
        MetricSpec::ContainerResource {
            name,
            container,
            target,
        } => {
            if utilization(target) {
                format!(
                    "resource {name} of container \"{container}\" on pods  (as a percentage of request)"
                )
            } else {
                format!("resource {name} of container \"{container}\" on pods")
            }
        }
        MetricSpec::Pods { metric, .. } => format!("\"{}\" on pods", metric.name),
        MetricSpec::Object {
            described_object,
            metric,
            target,
        } => {
            let which = if target.target_type == TargetType::AverageValue {
                "target average value"
            } else {
                "target value"
            };
            format!(
                "\"{}\" on {}/{} ({which})",
                metric.name, described_object.kind, described_object.name
            )
        }
        MetricSpec::External { metric, target } => {
            let which = if target.average_value.is_some() {
                "target average value"
            } else {
                "target value"
            };
            format!("\"{}\" ({which})", metric.name)
        }
        MetricSpec::Unknown { type_name } => format!("<unknown metric type {type_name}>"),
    }
}

fn format_target(t: &MetricTarget) -> String {
    match t.target_type {
        TargetType::Utilization => match t.average_utilization {
            Some(u) => format!("{u}%"),
            None => t
                .average_value
                .map(|q| q.to_string())
                .unwrap_or_else(|| "<unset>".into()),
        },
        TargetType::AverageValue => t
            .average_value
            .map(|q| q.to_string())
            .unwrap_or_else(|| "<unset>".into()),
        TargetType::Value => t
            .value
            .map(|q| q.to_string())
            .unwrap_or_else(|| "<unset>".into()),
    }
}

fn format_current(m: &MetricSpec, c: &CurrentValue) -> String {
    let q = |v: i64| Quantity::from_milli(v).to_string();
    match (c.average_utilization, c.average_value_milli, c.value_milli) {
        (Some(u), Some(v), _) => format!("{u}% ({})", q(v)),
        (Some(u), None, _) => format!("{u}%"),
        (None, Some(v), _) => q(v),
        (None, None, Some(v)) => q(v),
        _ => {
            let _ = m;
            "<unknown>".into()
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn normalize_legacy(
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    current: i32,
    proposal: i32,
    min: i32,
    max: i32,
    d: &mut Decision,
) -> i32 {
    let now = d.now;
    let window = settings.downscale_stabilization.0;
    let recs = memory.recommendations.get_or_insert_with(Vec::new);
    let s = normalize::stabilize_legacy(recs, now, window, proposal);
    let reason = if s != proposal {
        memory.status.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation".into(),
            now,
        );
        "ScaleDownStabilized"
    } else {
        memory.status.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            "ReadyForNewScale",
            "recommended size matches current size".into(),
            now,
        );
        "ReadyForNewScale"
    };
    d.stabilization = Some(StabilizationStep {
        from: proposal,
        to: s,
        reason: reason.into(),
        window: (s != proposal).then(|| {
            format!(
                "downscale stabilization window {}",
                crate::units::format_seconds(window)
            )
        }),
    });
    let l = normalize::convert_with_rules(
        current,
        s,
        min,
        max,
        settings.legacy_scale_up_limit_factor,
        settings.legacy_scale_up_limit_minimum,
    );
    let bound_by = match l.reason {
        "ScaleUpLimit" => Some(format!(
            "legacy scale-up cap max({}×{current}, {}) = {}",
            settings.legacy_scale_up_limit_factor,
            settings.legacy_scale_up_limit_minimum,
            l.legacy_cap.unwrap_or_default()
        )),
        "TooManyReplicas" => Some(format!("maxReplicas {max}")),
        "TooFewReplicas" => Some(format!("minReplicas {min}")),
        _ => None,
    };
    apply_limited(memory, s, l, bound_by, d)
}

fn apply_limited(
    memory: &mut HpaMemory,
    s: i32,
    l: Limited,
    bound_by: Option<String>,
    d: &mut Decision,
) -> i32 {
    let status = if l.replicas == s {
        ConditionStatus::False
    } else {
        ConditionStatus::True
    };
    memory.status.set_condition(
        ConditionType::ScalingLimited,
        status,
        l.reason,
        l.message.into(),
        d.now,
    );
    d.limit = Some(LimitStep {
        from: s,
        to: l.replicas,
        reason: l.reason.into(),
        message: l.message.into(),
        bound_by,
        rate: l.rate,
    });
    l.replicas
}

#[allow(clippy::too_many_arguments)]
fn normalize_with_behavior(
    behavior: &super::spec::Behavior,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    current: i32,
    proposal: i32,
    min: i32,
    max: i32,
    d: &mut Decision,
) -> i32 {
    let now = d.now;
    let (up, down) = behavior.effective(settings.downscale_window_seconds());
    let recs = memory.recommendations.get_or_insert_with(Vec::new);
    let st = normalize::stabilize_with_behavior(
        recs,
        now,
        up.stabilization_window_seconds,
        down.stabilization_window_seconds,
        current,
        proposal,
    );
    let s = st.replicas;
    let (reason, message) = if s != proposal {
        (st.reason, st.message)
    } else {
        ("ReadyForNewScale", "recommended size matches current size")
    };
    memory.status.set_condition(
        ConditionType::AbleToScale,
        ConditionStatus::True,
        reason,
        message.into(),
        now,
    );
    let window = if s < proposal {
        Some(format!(
            "scaleUp stabilization window {}s (lowest recent recommendation {})",
            up.stabilization_window_seconds, st.up_bound
        ))
    } else if s > proposal {
        Some(format!(
            "scaleDown stabilization window {}s (highest recent recommendation {})",
            down.stabilization_window_seconds, st.down_bound
        ))
    } else {
        None
    };
    d.stabilization = Some(StabilizationStep {
        from: proposal,
        to: s,
        reason: reason.into(),
        window,
    });
    let l = normalize::convert_with_behavior_rate(
        current,
        s,
        min,
        max,
        &up,
        &down,
        &memory.scale_up_events,
        &memory.scale_down_events,
        now,
    );
    let bound_by = match l.reason {
        "ScaleUpLimit" | "ScaleDownLimit" => l.rate.as_ref().map(|r| r.describe()),
        "TooManyReplicas" => Some(format!("maxReplicas {max}")),
        "TooFewReplicas" => Some(format!("minReplicas {min}")),
        _ => None,
    };
    apply_limited(memory, s, l, bound_by, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::observation::{PodObservation, PodResourceSample, Requests, ScaleObservation};
    use crate::hpa::spec::{Behavior, ScalingPolicy, ScalingRules};

    fn cpu_hpa(min: i32, max: i32, target: i32) -> HpaSpec {
        HpaSpec {
            min_replicas: Some(min),
            max_replicas: max,
            metrics: vec![MetricSpec::resource(
                "cpu",
                MetricTarget::utilization(target),
            )],
            behavior: None,
        }
    }

    /// `usages.len()` Running/Ready pods with 1000m requests, started long ago.
    fn cpu_obs(now: f64, spec_replicas: i32, usages: &[i64]) -> Observation {
        let pods = (0..usages.len())
            .map(|i| PodObservation::running(&format!("p{i}"), now - 3600.0, Requests::cpu(1000)))
            .collect();
        let samples = usages
            .iter()
            .enumerate()
            .map(|(i, u)| PodResourceSample::cpu(&format!("p{i}"), now, 60.0, *u))
            .collect();
        Observation {
            now,
            namespace: String::new(),
            scale: ScaleObservation::replicas(spec_replicas),
            pods,
            metrics: vec![MetricReading::PodResources(samples)],
        }
    }

    fn external_obs(now: f64, replicas: i32, value: i64) -> Observation {
        Observation {
            now,
            namespace: String::new(),
            scale: ScaleObservation::replicas(replicas),
            pods: (0..replicas)
                .map(|i| {
                    PodObservation::running(&format!("p{i}"), now - 3600.0, Requests::cpu(100))
                })
                .collect(),
            metrics: vec![MetricReading::ExternalValues(vec![value])],
        }
    }

    #[test]
    fn decision_says_why_in_describe_hpa_words() {
        let mut spec = cpu_hpa(1, 20, 50);
        spec.behavior = Some(Behavior::default());
        let mut mem = HpaMemory::default();
        let d = reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut mem,
            &cpu_obs(1000.0, 3, &[1000, 1000, 1000]),
        );
        // util 100 → P = 6; default policies: max(3+4, 3*2) = 7 ≥ 6 → 6
        assert_eq!(
            (d.proposal, d.stabilized(), d.desired_replicas, d.rescale),
            (Some(6), Some(6), 6, true)
        );
        assert_eq!(
            d.reason,
            "New size: 6; reason: cpu resource utilization (percentage of request) above target"
        );
        assert_eq!(d.metrics[0].current, "100% (1)");
        assert_eq!(d.metrics[0].target, "50%");
        assert_eq!(
            d.metrics[0].label,
            "resource cpu on pods  (as a percentage of request)"
        );
        assert_eq!(d.condition_reason("AbleToScale"), Some("SucceededRescale"));
        assert_eq!(
            d.condition_reason("ScalingActive"),
            Some("ValidMetricFound")
        );
        assert_eq!(
            d.condition_reason("ScalingLimited"),
            Some("DesiredWithinRange")
        );
        assert_eq!(d.events[0].reason, "SuccessfulRescale");
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.contains("\"desired_replicas\":6"), "{json}");

        // Next sync, load doubles again: the Pods 4 / 15 s policy binds.
        let d = reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut mem,
            &cpu_obs(1015.0, 6, &[2000; 6]),
        );
        assert_eq!(d.proposal, Some(24));
        // the previous scale-up of 3 is exactly 15 s old: outside the period, start = 6
        assert_eq!(d.desired_replicas, 12);
        assert_eq!(
            d.limited_by().as_deref(),
            Some("ScaleUpLimit: policy Percent 100 per 15s")
        );
        assert_eq!(mem.scale_up_events.len(), 2);
    }

    #[test]
    fn legacy_scale_down_waits_for_the_window() {
        let spec = cpu_hpa(1, 10, 50);
        let s = ControllerSettings::default();
        let mut mem = HpaMemory::default();
        // t=0: first sight, load says 2 but 5 is recorded
        let d = reconcile(&spec, &s, &mut mem, &cpu_obs(0.0, 5, &[200; 5]));
        assert_eq!((d.desired_replicas, d.rescale), (5, false));
        assert_eq!(
            d.condition_reason("AbleToScale"),
            Some("ScaleDownStabilized")
        );
        assert!(d.reason.contains("held at 5"), "{}", d.reason);
        // t=300: the 5 recorded at t=0 is exactly 300 s old → still inside the legacy window
        let d = reconcile(&spec, &s, &mut mem, &cpu_obs(300.0, 5, &[200; 5]));
        assert!(!d.rescale);
        // t=315: gone → scale down to 2, and no scale events are stored without behavior
        let d = reconcile(&spec, &s, &mut mem, &cpu_obs(315.0, 5, &[200; 5]));
        assert_eq!((d.desired_replicas, d.rescale), (2, true));
        assert_eq!(d.reason, "New size: 2; reason: All metrics below target");
        assert!(mem.scale_down_events.is_empty());
        assert_eq!(mem.status.last_scale_time, Some(315.0));
    }

    #[test]
    fn failed_get_scale_stops_before_recording() {
        let spec = cpu_hpa(1, 10, 50);
        let mut mem = HpaMemory::default();
        let mut o = cpu_obs(0.0, 3, &[500; 3]);
        o.scale.get_error = Some("deployments.apps \"web\" not found".into());
        let d = reconcile(&spec, &ControllerSettings::default(), &mut mem, &o);
        assert_eq!(d.path, DecisionPath::FailedGetScale);
        assert!(!d.rescale);
        assert_eq!(d.condition_reason("AbleToScale"), Some("FailedGetScale"));
        assert!(mem.recommendations.is_none());
    }

    #[test]
    fn failed_update_stores_nothing_and_keeps_status_desired() {
        let mut spec = cpu_hpa(1, 10, 50);
        spec.behavior = Some(Behavior::default());
        let mut mem = HpaMemory::default();
        mem.status.desired_replicas = 3;
        let mut o = cpu_obs(0.0, 3, &[1000; 3]);
        o.scale.update_error = Some("conflict".into());
        let d = reconcile(&spec, &ControllerSettings::default(), &mut mem, &o);
        assert_eq!(
            (d.rescale, d.desired_replicas, d.failed_rescale_to),
            (false, 3, Some(6))
        );
        assert_eq!(d.condition_reason("AbleToScale"), Some("FailedUpdateScale"));
        assert!(mem.scale_up_events.is_empty());
        assert_eq!(mem.status.desired_replicas, 3);
        assert_eq!(d.events[0].reason, "FailedRescale");
    }

    #[test]
    fn metric_failure_keeps_previous_status_desired_and_histories() {
        let spec = cpu_hpa(1, 10, 50);
        let mut mem = HpaMemory::default();
        reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut mem,
            &cpu_obs(0.0, 3, &[500; 3]),
        );
        mem.status.desired_replicas = 4; // pretend an earlier reconcile wrote 4
        let recs_before = mem.recommendations.clone();
        let mut o = cpu_obs(15.0, 3, &[500; 3]);
        o.metrics = vec![MetricReading::Error("metrics-server unavailable".into())];
        let d = reconcile(&spec, &ControllerSettings::default(), &mut mem, &o);
        assert_eq!(d.path, DecisionPath::MetricsFailed);
        assert_eq!(
            (d.rescale, d.desired_replicas, d.status_desired_replicas),
            (false, 3, 4)
        );
        assert_eq!(mem.recommendations, recs_before);
        assert_eq!(
            d.condition_reason("ScalingActive"),
            Some("FailedGetResourceMetric")
        );
        assert!(d.reason.starts_with("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value"), "{}", d.reason);
    }

    #[test]
    fn selector_problems_set_scaling_active_false() {
        let spec = cpu_hpa(1, 10, 50);
        for (p, reason) in [
            (SelectorProblem::Missing, "InvalidSelector"),
            (SelectorProblem::Invalid("bad".into()), "InvalidSelector"),
            (
                SelectorProblem::Ambiguous(vec!["default/other".into()]),
                "AmbiguousSelector",
            ),
        ] {
            let mut mem = HpaMemory::default();
            let mut o = cpu_obs(0.0, 3, &[1000; 3]);
            o.scale.selector_problem = Some(p);
            let d = reconcile(&spec, &ControllerSettings::default(), &mut mem, &o);
            assert!(!d.rescale);
            assert_eq!(d.condition_reason("ScalingActive"), Some(reason));
        }
    }

    #[test]
    fn scale_to_zero_and_back() {
        let mut s = ControllerSettings::default();
        s.feature_gates.hpa_scale_to_zero = true;
        let spec = HpaSpec {
            min_replicas: Some(0),
            max_replicas: 10,
            metrics: vec![MetricSpec::external(
                "queue",
                MetricTarget::average_value(Quantity::from_milli(5000)),
            )],
            behavior: Some(Behavior {
                scale_down: Some(ScalingRules {
                    stabilization_window_seconds: Some(0),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        let mut mem = HpaMemory::default();
        let d = reconcile(&spec, &s, &mut mem, &external_obs(0.0, 2, 0));
        assert_eq!((d.desired_replicas, d.rescale), (0, true));
        assert_eq!(d.condition_reason("ScaledToZero"), Some("ScaledToZero"));
        // at zero with the condition: metrics are computed; AverageValue uses status replicas (0)
        let d = reconcile(&spec, &s, &mut mem, &external_obs(15.0, 0, 0));
        assert_eq!((d.desired_replicas, d.rescale), (0, false));
        let d = reconcile(&spec, &s, &mut mem, &external_obs(30.0, 0, 12_000));
        assert_eq!(
            (d.proposal, d.desired_replicas, d.rescale),
            (Some(3), 3, true)
        );
        assert_eq!(d.condition_reason("ScaledToZero"), Some("NotScaledToZero"));
        // someone sets replicas to 0 by hand: the condition is False now → disabled
        let d = reconcile(&spec, &s, &mut mem, &external_obs(45.0, 0, 12_000));
        assert_eq!(d.path, DecisionPath::ScalingDisabled);
    }

    #[test]
    fn scale_from_zero_floor_raises_to_min() {
        let mut s = ControllerSettings::default();
        s.feature_gates.hpa_scale_to_zero = true;
        let spec = HpaSpec {
            min_replicas: Some(2),
            max_replicas: 10,
            metrics: vec![MetricSpec::external(
                "queue",
                MetricTarget::value(Quantity::from_milli(10_000)),
            )],
            // The behavior path applies no min bound on a scale-up, so the floor is what lifts 1 to 2.
            behavior: Some(Behavior::default()),
        };
        let mut mem = HpaMemory::default();
        mem.status.set_condition(
            ConditionType::ScaledToZero,
            ConditionStatus::True,
            "ScaledToZero",
            String::new(),
            0.0,
        );
        let d = reconcile(&spec, &s, &mut mem, &external_obs(10.0, 0, 1));
        assert_eq!(d.proposal, Some(1));
        assert_eq!((d.desired_replicas, d.scale_from_zero_floor), (2, Some(2)));
    }

    #[test]
    fn out_of_range_targets_move_at_once_and_store_events_with_behavior() {
        let mut spec = cpu_hpa(2, 5, 50);
        spec.behavior = Some(Behavior {
            scale_down: Some(ScalingRules {
                policies: Some(vec![ScalingPolicy::pods(1, 60)]),
                ..Default::default()
            }),
            ..Default::default()
        });
        let mut mem = HpaMemory::default();
        let d = reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut mem,
            &cpu_obs(0.0, 9, &[500; 9]),
        );
        // no stabilization or policy: straight to max, reason upstream's
        assert_eq!(
            (d.path, d.desired_replicas),
            (DecisionPath::AboveMaxReplicas, 5)
        );
        assert_eq!(
            d.reason,
            "New size: 5; reason: Current number of replicas above Spec.MaxReplicas"
        );
        assert_eq!(mem.scale_down_events.len(), 1);
        assert_eq!(mem.scale_down_events[0].change, 4);
        let d = reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut mem,
            &cpu_obs(15.0, 1, &[500]),
        );
        assert_eq!(
            (d.path, d.desired_replicas),
            (DecisionPath::BelowMinReplicas, 2)
        );
    }

    #[test]
    fn restart_forgets_histories_but_not_status() {
        let mut mem = HpaMemory::default();
        let spec = cpu_hpa(1, 10, 50);
        reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut mem,
            &cpu_obs(0.0, 5, &[200; 5]),
        );
        mem.restart_controller();
        assert!(mem.recommendations.is_none());
        assert!(!mem.status.conditions.is_empty());
    }

    #[test]
    fn max_of_several_metrics_and_metric_name_of_the_winner() {
        let mut spec = cpu_hpa(1, 100, 50);
        spec.metrics.push(MetricSpec::external(
            "queue",
            MetricTarget::value(Quantity::from_milli(1000)),
        ));
        let mut o = cpu_obs(0.0, 3, &[500; 3]);
        o.metrics.push(MetricReading::ExternalValues(vec![4000]));
        let mut mem = HpaMemory::default();
        let d = reconcile(&spec, &ControllerSettings::default(), &mut mem, &o);
        // cpu within tolerance → 3; external 4 × 3 ready pods = 12
        assert_eq!(
            d.metrics.iter().map(|m| m.proposal).collect::<Vec<_>>(),
            vec![Some(3), Some(12)]
        );
        assert_eq!(d.proposal, Some(12));
        assert_eq!(
            d.proposal_metric.as_deref(),
            Some("external metric queue(nil)")
        );
    }

    #[test]
    fn a_legacy_scale_up_raised_only_by_the_window_says_so() {
        let spec = cpu_hpa(1, 20, 50);
        let mut mem = HpaMemory::default();
        let settings = ControllerSettings::default();
        // util 150 % of a 50 % target: P = 9, the legacy cap max(2×3, 4) = 6 binds.
        let d = reconcile(&spec, &settings, &mut mem, &cpu_obs(1000.0, 3, &[1500; 3]));
        assert_eq!((d.proposal, d.desired_replicas), (Some(9), 6));
        // At 6 pods the metrics are on target (P = 6), but the rolling maximum still holds 9.
        let d = reconcile(&spec, &settings, &mut mem, &cpu_obs(1015.0, 6, &[500; 6]));
        assert_eq!(
            (d.proposal, d.stabilized(), d.desired_replicas),
            (Some(6), Some(9), 9)
        );
        // The event keeps upstream's words (an empty reason); the summary explains.
        assert_eq!(d.events[0].message, "New size: 9; reason: ");
        assert!(
            d.reason
                .starts_with("New size: 9; reason:  [scalesim: raised by the stabilization window"),
            "{}",
            d.reason
        );
        assert!(d.reason.contains("metrics proposed 6"), "{}", d.reason);
        assert!(d.reason.contains("recommendation of 9"), "{}", d.reason);
    }

    #[test]
    fn object_and_external_failures_read_as_upstream_words_them() {
        use crate::hpa::spec::LabelSelector;
        let mut spec = HpaSpec {
            min_replicas: Some(1),
            max_replicas: 10,
            metrics: vec![
                MetricSpec::object(
                    "Service",
                    "web",
                    "hits",
                    MetricTarget::value(Quantity::from_milli(10_000)),
                ),
                MetricSpec::external(
                    "queue_ready",
                    MetricTarget::average_value(Quantity::from_milli(5_000)),
                ),
                MetricSpec::external("lag", MetricTarget::value(Quantity::from_milli(5_000))),
            ],
            behavior: None,
        };
        if let MetricSpec::External { metric, .. } = &mut spec.metrics[1] {
            let mut sel = LabelSelector::default();
            sel.match_labels.insert("queue".into(), "jobs".into());
            metric.selector = Some(sel);
        }
        let mut obs = external_obs(1000.0, 3, 0);
        obs.namespace = "prod".into();
        obs.metrics = vec![
            MetricReading::Error("boom".into()),
            MetricReading::Error("boom".into()),
            MetricReading::ExternalValues(vec![]),
        ];
        let d = reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut HpaMemory::default(),
            &obs,
        );
        let errors: Vec<&str> = d
            .metrics
            .iter()
            .map(|m| m.error.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            errors[0],
            "unable to get metric hits: Service on prod web/unable to fetch metrics from custom metrics API: boom"
        );
        assert_eq!(
            errors[1],
            "unable to get external metric prod/queue_ready/&LabelSelector{MatchLabels:map[string]string{queue: jobs,},MatchExpressions:[]LabelSelectorRequirement{},}: unable to fetch metrics from external metrics API: boom"
        );
        assert_eq!(
            errors[2],
            "unable to get external metric prod/lag/nil: no metrics returned from external metrics API"
        );
        // Without a namespace the controller's messages say `default`.
        obs.namespace.clear();
        let d = reconcile(
            &spec,
            &ControllerSettings::default(),
            &mut HpaMemory::default(),
            &obs,
        );
        assert!(
            d.metrics[0]
                .error
                .as_deref()
                .unwrap()
                .contains("on default web/")
        );
    }
}
