//! One reconcile of one HPA (docs/hpa.md#reconcile), several metrics
//! (docs/hpa.md#several-metrics), scale to/from zero (docs/hpa.md#zero) and the conditions it
//! sets (docs/hpa.md#conditions): the pure decision core `reconcile`.
//!
//! It reads only the [`Observation`] and the HPA's [`HpaMemory`], never the simulated world, and
//! returns a [`Decision`]; the simulation applies `desired_replicas` when `rescale` is true.

use super::decision::{
    CurrentText, Decision, DecisionPath, DecisionReason, EventType, HpaEvent, LimitStep,
    MetricDecision, RescaleReason, StabilizationStep, Unchanged, WindowNote,
    selector_condition_message,
};
use super::memory::{HpaMemory, Recommendation};
use super::metric_texts::{MetricTexts, Texts};
use super::normalize::{self, Limited};
use super::observation::{
    ConditionStatus, MetricReading, Name, Observation, PodObservation, SelectorProblem,
};
use super::pod_slots::{PodIndex, PodListToken, Slots};
use super::reason::Reason;
use super::replica_calc::{self as rc, CalcContext, Proposal, Tolerances};
use super::settings::ControllerSettings;
use super::spec::{HpaSpec, LabelSelector, MetricSpec, MetricTarget, TargetType};
use super::status::{Condition, ConditionMessage, ConditionType};
use super::usage_pass::{self, PassPod};

/// Reconcile `spec` once at `obs.now`, updating `memory` (histories and status) in place.
pub fn reconcile(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
) -> Decision {
    *reconcile_listed(spec, settings, memory, obs, None, &mut [], None)
}

/// [`reconcile`] with `obs.pods` named by `pods` when the caller keeps that list between syncs
/// (see [`PodListToken`]): the same decision, without comparing the pod names with the last
/// sync's while the token is the same. `given[i]`, when set, is metric `i`'s proposal as
/// [`viewed_usage_proposal`] worked it out over the same pods; the metric then reads neither
/// `obs.pods` nor its reading (a caller that gives every metric reading pods its proposal
/// need not list the pods at all; docs/performance.md, "HPA decision core"). `reuse`, a
/// decision of an earlier sync, is written over, its lists keeping their allocations, so that
/// a caller deciding every sync neither allocates nor moves a decision.
pub(crate) fn reconcile_listed(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
    pods: Option<PodListToken>,
    given: &mut [Option<Proposal>],
    reuse: Option<Box<Decision>>,
) -> Box<Decision> {
    memory.pod_index.expect(pods);
    let mut d = match reuse {
        Some(mut d) => {
            let lists = DecisionLists::emptied_from(&mut d);
            *d = new_decision(spec, memory, obs, lists);
            d
        }
        None => Box::new(new_decision(spec, memory, obs, DecisionLists::default())),
    };
    decide(spec, settings, memory, obs, given, &mut d);
    d
}

/// Steps 1 to 6 into `d`, a decision before anything is decided.
fn decide(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
    given: &mut [Option<Proposal>],
    d: &mut Decision,
) {
    if read_scale(memory, obs, d) {
        record_first_sight(memory, obs);
        if let Some((desired, why)) = choose_desired(spec, settings, memory, obs, d, given) {
            apply_desired(spec, settings, memory, obs, d, desired, why);
        }
    }
    d.conditions.clone_from(&memory.status.conditions);
}

/// The lists a new decision starts with: empty, but keeping the allocations of an earlier
/// decision's when there is one, so that a caller deciding every sync does not allocate them
/// again.
#[derive(Default)]
struct DecisionLists {
    metrics: Vec<MetricDecision>,
    conditions: Vec<Condition>,
    events: Vec<HpaEvent>,
}

impl DecisionLists {
    /// `d`'s lists, taken out of it and emptied.
    fn emptied_from(d: &mut Decision) -> DecisionLists {
        let mut lists = DecisionLists {
            metrics: std::mem::take(&mut d.metrics),
            conditions: std::mem::take(&mut d.conditions),
            events: std::mem::take(&mut d.events),
        };
        lists.metrics.clear();
        lists.conditions.clear();
        lists.events.clear();
        lists
    }
}

/// The decision before anything is decided: no rescale, status as remembered, its lists
/// `lists`.
fn new_decision(
    spec: &HpaSpec,
    memory: &HpaMemory,
    obs: &Observation,
    lists: DecisionLists,
) -> Decision {
    let current = obs.scale.spec_replicas;
    Decision {
        now: obs.now,
        path: DecisionPath::Legacy,
        current_replicas: current,
        status_replicas: obs.scale.status_replicas,
        min_replicas: spec.min(),
        max_replicas: spec.max_replicas,
        desired_replicas: current,
        rescale: false,
        failed_rescale_to: None,
        status_desired_replicas: memory.status.desired_replicas,
        metrics: lists.metrics,
        proposal: None,
        proposal_metric: None,
        stabilization: None,
        limit: None,
        scale_from_zero_floor: None,
        conditions: lists.conditions,
        events: lists.events,
        reason: DecisionReason::NoChange {
            current,
            why: Unchanged::Plain,
        },
    }
}

/// Step 1, the scale subresource: `false` (and the decision complete) when it could not be read.
fn read_scale(memory: &mut HpaMemory, obs: &Observation, d: &mut Decision) -> bool {
    if let Some(err) = &obs.scale.get_error {
        warn(d, Reason::FailedGetScale, err.clone());
        memory.status.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::False,
            Reason::FailedGetScale,
            ConditionMessage::Text(format!(
                "the HPA controller was unable to get the target's current scale: {err}"
            )),
            obs.now,
        );
        d.path = DecisionPath::FailedGetScale;
        d.reason = DecisionReason::FailedGetScale(err.clone());
        return false;
    }
    memory.status.set_condition(
        ConditionType::AbleToScale,
        ConditionStatus::True,
        Reason::SucceededGetScale,
        ConditionMessage::Fixed("the HPA controller was able to get the target's current scale"),
        obs.now,
    );
    true
}

/// Step 2, first sight since the controller started: record the current count.
fn record_first_sight(memory: &mut HpaMemory, obs: &Observation) {
    if memory.recommendations.is_none() {
        memory.recommendations = Some(vec![Recommendation {
            replicas: obs.scale.spec_replicas,
            time: obs.now,
        }]);
    }
}

/// Step 4, exactly one branch: the count to move to and why, or `None` (decision complete) when
/// scaling is disabled or the metrics failed.
fn choose_desired(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
    d: &mut Decision,
    given: &mut [Option<Proposal>],
) -> Option<(i32, RescaleReason)> {
    let current = obs.scale.spec_replicas;
    let (min, max) = (spec.min(), spec.max_replicas);
    let scaled_to_zero = settings.feature_gates.hpa_scale_to_zero && memory.status.scaled_to_zero();
    let compute_from_zero =
        current == 0 && scaled_to_zero && (min != 0 || spec.has_object_or_external_metric());
    if current == 0 && !compute_from_zero {
        scaling_disabled(memory, d);
        None
    } else if current > max {
        d.path = DecisionPath::AboveMaxReplicas;
        Some((max, RescaleReason::AboveMaxReplicas))
    } else if current < min && current != 0 {
        d.path = DecisionPath::BelowMinReplicas;
        Some((min, RescaleReason::BelowMinReplicas))
    } else {
        desired_from_metrics(spec, settings, memory, obs, d, scaled_to_zero, given)
    }
}

/// The target is at zero and may not scale from there.
fn scaling_disabled(memory: &mut HpaMemory, d: &mut Decision) {
    memory.status.set_condition(
        ConditionType::ScalingActive,
        ConditionStatus::False,
        Reason::ScalingDisabled,
        ConditionMessage::Fixed(
            "scaling is disabled since the replica count of the target is zero",
        ),
        d.now,
    );
    d.path = DecisionPath::ScalingDisabled;
    d.reason = DecisionReason::ScalingDisabled;
    finish_status(memory, d.current_replicas, 0, false, d.now);
    d.status_desired_replicas = 0;
}

/// The metrics path: proposal `P`, normalization, the scale-from-zero floor.
fn desired_from_metrics(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
    d: &mut Decision,
    scaled_to_zero: bool,
    given: &mut [Option<Proposal>],
) -> Option<(i32, RescaleReason)> {
    let current = obs.scale.spec_replicas;
    let (min, max) = (spec.min(), spec.max_replicas);
    let Some((proposal, metric_name)) =
        compute_replicas_for_metrics(spec, settings, memory, obs, d, given)
    else {
        // No scaling this cycle: status desired keeps its value, histories untouched.
        d.path = DecisionPath::MetricsFailed;
        memory.status.current_replicas = current;
        d.status_desired_replicas = memory.status.desired_replicas;
        return None;
    };
    d.proposal = Some(proposal);
    d.proposal_metric = Some(metric_name.clone());
    let (desired, why) = rescale_reason(proposal, metric_name, current);
    let mut desired = match &spec.behavior {
        None => {
            d.path = DecisionPath::Legacy;
            normalize_legacy(settings, memory, current, desired, min, max, d)
        }
        Some(behavior) => {
            d.path = DecisionPath::Behavior;
            normalize_with_behavior(behavior, settings, memory, current, desired, min, max, d)
        }
    };
    // Scale-from-zero floor (docs/hpa.md#zero).
    if current == 0 && min != 0 && scaled_to_zero && desired < min {
        desired = min;
        d.scale_from_zero_floor = Some(min);
    }
    Some((desired, why))
}

/// Upstream's `rescaleReason`, worded from the raw proposal only.
fn rescale_reason(proposal: i32, metric_name: Name, current: i32) -> (i32, RescaleReason) {
    let (desired, metric) = if proposal > 0 {
        (proposal, metric_name)
    } else {
        (0, Name::from(""))
    };
    let why = if desired > current {
        RescaleReason::MetricAboveTarget(metric)
    } else if desired < current {
        RescaleReason::AllMetricsBelowTarget
    } else {
        RescaleReason::Unstated
    };
    (desired, why)
}

/// Write `desired` when it differs from the current count, and record the outcome.
fn apply_desired(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    obs: &Observation,
    d: &mut Decision,
    desired: i32,
    why: RescaleReason,
) {
    let current = obs.scale.spec_replicas;
    let rescale = desired != current;
    if !rescale {
        d.reason = no_change_reason(d, current);
    } else if let Some(err) = &obs.scale.update_error {
        failed_rescale(memory, d, desired, why, err);
        return;
    } else {
        rescaled(spec, settings, memory, d, desired, why);
    }
    finish_status(memory, current, desired, rescale, obs.now);
    d.desired_replicas = desired;
    d.rescale = rescale;
    d.status_desired_replicas = desired;
}

/// The write failed: the target keeps its count.
fn failed_rescale(
    memory: &mut HpaMemory,
    d: &mut Decision,
    desired: i32,
    why: RescaleReason,
    err: &str,
) {
    warn(
        d,
        Reason::FailedRescale,
        format!("New size: {desired}; reason: {why}; error: {err}"),
    );
    memory.status.set_condition(
        ConditionType::AbleToScale,
        ConditionStatus::False,
        Reason::FailedUpdateScale,
        ConditionMessage::Text(format!(
            "the HPA controller was unable to update the target scale: {err}"
        )),
        d.now,
    );
    memory.status.current_replicas = d.current_replicas;
    d.failed_rescale_to = Some(desired);
    d.status_desired_replicas = memory.status.desired_replicas;
    d.reason = DecisionReason::FailedRescale {
        desired,
        why,
        error: err.to_string(),
    };
}

/// The write succeeded: the event, the scale-event history and `ScaledToZero`.
fn rescaled(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    d: &mut Decision,
    desired: i32,
    why: RescaleReason,
) {
    let (now, current) = (d.now, d.current_replicas);
    memory.status.set_condition(
        ConditionType::AbleToScale,
        ConditionStatus::True,
        Reason::SucceededRescale,
        ConditionMessage::Rescaled(desired),
        now,
    );
    d.events.push(HpaEvent {
        event_type: EventType::Normal,
        reason: Reason::SuccessfulRescale,
        message: format!("New size: {desired}; reason: {why}"),
    });
    d.reason = DecisionReason::Rescaled {
        desired,
        window_note: window_note(d, current, desired),
        why,
    };
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
    let to_zero = current > 0 && desired == 0 && spec.min() == 0;
    let to_zero = to_zero && spec.has_object_or_external_metric();
    set_scaled_to_zero(settings, memory, to_zero, now);
}

/// `ScaledToZero` after a rescale (gate on), removed with the gate off.
fn set_scaled_to_zero(
    settings: &ControllerSettings,
    memory: &mut HpaMemory,
    to_zero: bool,
    now: f64,
) {
    if !settings.feature_gates.hpa_scale_to_zero {
        memory.status.remove_condition(ConditionType::ScaledToZero);
    } else if to_zero {
        memory.status.set_condition(
            ConditionType::ScaledToZero,
            ConditionStatus::True,
            Reason::ScaledToZero,
            ConditionMessage::Fixed("the HPA controller scaled the workload to zero"),
            now,
        );
    } else {
        memory.status.set_condition(
            ConditionType::ScaledToZero,
            ConditionStatus::False,
            Reason::NotScaledToZero,
            ConditionMessage::Fixed("the HPA controller did not scale the workload to zero"),
            now,
        );
    }
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
fn window_note(d: &Decision, current: i32, desired: i32) -> Option<WindowNote> {
    let (Some(p), Some(st)) = (d.proposal, &d.stabilization) else {
        return None;
    };
    (desired > current && p <= current && st.to > p).then(|| WindowNote {
        proposal: p,
        window: st
            .window
            .clone()
            .unwrap_or_else(|| "the stabilization window".into()),
        held: st.to,
    })
}

fn warn(d: &mut Decision, reason: Reason, message: String) {
    d.events.push(HpaEvent {
        event_type: EventType::Warning,
        reason,
        message,
    });
}

fn no_change_reason(d: &Decision, current: i32) -> DecisionReason {
    let why = if let Some(s) = &d.stabilization
        && s.from != s.to
    {
        Unchanged::Held {
            from: s.from,
            to: s.to,
            window: s
                .window
                .clone()
                .unwrap_or_else(|| "stabilization window".into()),
        }
    } else if let Some(l) = &d.limit
        && l.from != l.to
    {
        Unchanged::Limited {
            from: l.from,
            to: l.to,
            by: d.limited_by().unwrap_or_default(),
        }
    } else if d.proposal == Some(current) {
        Unchanged::MetricsAgree
    } else {
        Unchanged::Plain
    };
    DecisionReason::NoChange { current, why }
}

/// Tolerances for this HPA: the cluster flag, replaced per direction by `behavior` (gate on).
pub(crate) fn tolerances_for(spec: &HpaSpec, settings: &ControllerSettings) -> Tolerances {
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
    given: &mut [Option<Proposal>],
) -> Option<(i32, Name)> {
    if let Some(problem) = &obs.scale.selector_problem {
        selector_failed(memory, problem, d);
        return None;
    }
    let ctx = calc_context(spec, settings, obs.now, &obs.pods);
    let metrics = spec.metrics_or_default();
    memory.pod_index.refresh(&obs.pods);
    memory.metric_texts.refresh(&metrics);
    let tally = evaluate_all(
        &metrics,
        obs,
        &ctx,
        (&memory.pod_index, &memory.metric_texts),
        given,
        d,
    );
    let spec_replicas = obs.scale.spec_replicas;
    if let Some(first) = tally.first_failure
        && (tally.invalid >= metrics.len() || tally.replicas < spec_replicas)
    {
        metrics_invalid(memory, d, first, tally.invalid, metrics.len());
        return None;
    }
    let metric = tally.metric.unwrap_or_else(|| Name::from(""));
    memory.status.set_condition(
        ConditionType::ScalingActive,
        ConditionStatus::True,
        Reason::ValidMetricFound,
        ConditionMessage::ValidMetric(metric.clone()),
        obs.now,
    );
    Some((tally.replicas, metric))
}

/// The scale's selector cannot be used: a warning and `ScalingActive=False`.
fn selector_failed(memory: &mut HpaMemory, problem: &SelectorProblem, d: &mut Decision) {
    let (event_reason, reason) = match problem {
        SelectorProblem::Missing => (Reason::SelectorRequired, Reason::InvalidSelector),
        SelectorProblem::Invalid(_) => (Reason::InvalidSelector, Reason::InvalidSelector),
        SelectorProblem::Ambiguous(_) => (Reason::AmbiguousSelector, Reason::AmbiguousSelector),
    };
    warn(d, event_reason, DecisionReason::selector_message(problem));
    memory.status.set_condition(
        ConditionType::ScalingActive,
        ConditionStatus::False,
        reason,
        ConditionMessage::Text(selector_condition_message(problem)),
        d.now,
    );
    d.reason = DecisionReason::Selector(problem.clone());
}

/// What evaluating every metric found: the largest proposal, its metric, the failures.
struct Tally {
    replicas: i32,
    /// `None` until a metric proposes (an empty name then).
    metric: Option<Name>,
    invalid: usize,
    first_failure: Option<FirstFailure>,
}

/// The first failed metric: its condition reason, event message and wrapped message.
struct FirstFailure {
    reason: Reason,
    inner: String,
    outer: String,
}

/// The calculator's context for the pods `pods` at `now`.
fn calc_context<'a>(
    spec: &HpaSpec,
    settings: &ControllerSettings,
    now: f64,
    pods: &'a [PodObservation],
) -> CalcContext<'a> {
    CalcContext {
        now,
        tolerances: tolerances_for(spec, settings),
        cpu_initialization_period: settings.cpu_initialization_period.0,
        initial_readiness_delay: settings.initial_readiness_delay.0,
        pod_level_resources: settings.feature_gates.pod_level_resources,
        pods,
    }
}

/// The proposal [`reconcile`] reaches for metric `m` of `spec` (a Resource metric with a
/// Utilization target) at `now` through the one pass over the selector's pods as `pods` walks
/// them (see [`usage_pass::one_pass`]), or `None` when that pass does not apply (the metric is
/// then worked out from the listed pods).
pub(crate) fn viewed_usage_proposal<'a>(
    m: &MetricSpec,
    (spec, settings): (&HpaSpec, &ControllerSettings),
    spec_replicas: i32,
    now: f64,
    pods: impl Iterator<Item = PassPod<'a>>,
) -> Option<Proposal> {
    match m {
        MetricSpec::Resource { name, target } if target.average_value.is_none() => {
            let util = target.average_utilization?;
            let ctx = calc_context(spec, settings, now, &[]);
            usage_pass::one_pass(spec_replicas, util, name, pods, &ctx)
        }
        _ => None,
    }
}

/// Every metric against its reading (or its proposal in `given`), in order, each recorded in
/// `d.metrics`.
fn evaluate_all(
    metrics: &[MetricSpec],
    obs: &Observation,
    ctx: &CalcContext<'_>,
    (index, texts): (&PodIndex, &MetricTexts),
    given: &mut [Option<Proposal>],
    d: &mut Decision,
) -> Tally {
    let namespace = if obs.namespace.is_empty() {
        "default"
    } else {
        obs.namespace.as_str()
    };
    let scale = Replicas {
        spec: obs.scale.spec_replicas,
        status: obs.scale.status_replicas,
    };
    let mut t = Tally {
        replicas: 0,
        metric: None,
        invalid: 0,
        first_failure: None,
    };
    for (i, m) in metrics.iter().enumerate() {
        let reading = obs.metrics.get(i);
        let ev = match given.get_mut(i).and_then(Option::take) {
            // What `resource_one` answers when the one pass proposes.
            Some(p) => evaluated(texts.get(i), Ok((p, texts.get(i).success_name.clone()))),
            None => evaluate_metric_in(namespace, m, reading, scale, ctx, index, texts.get(i)),
        };
        if let Some(reason) = ev.decision.failure_reason {
            let inner = ev.decision.error.clone().unwrap_or_default();
            warn(d, reason, inner.clone());
            if t.first_failure.is_none() {
                let outer = ev.failure_wrapped.unwrap_or_default();
                t.first_failure = Some(FirstFailure {
                    reason,
                    inner,
                    outer,
                });
            }
            t.invalid += 1;
        } else if let Some(proposal) = ev.decision.proposal
            && (t.replicas == 0 || proposal > t.replicas)
        {
            t.replicas = proposal;
            t.metric = Some(ev.metric_name);
        }
        d.metrics.push(ev.decision);
    }
    t
}

/// Too many metrics failed to scale: a warning and `ScalingActive=False`.
fn metrics_invalid(
    memory: &mut HpaMemory,
    d: &mut Decision,
    first: FirstFailure,
    invalid: usize,
    total: usize,
) {
    let reason = DecisionReason::InvalidMetrics {
        invalid,
        total,
        first_error: first.outer,
    };
    warn(d, Reason::FailedComputeMetricsReplicas, reason.to_string());
    memory.status.set_condition(
        ConditionType::ScalingActive,
        ConditionStatus::False,
        first.reason,
        ConditionMessage::Text(format!(
            "the HPA was unable to compute the replica count: {}",
            first.inner
        )),
        d.now,
    );
    d.reason = reason;
}

/// A failed metric: condition reason, the message of its event, and the wrapped message that
/// `FailedComputeMetricsReplicas` repeats.
struct Failure {
    reason: Reason,
    inner: String,
    outer: String,
}

fn fail(reason: Reason, inner: String, outer: impl FnOnce(&str) -> String) -> Failure {
    let o = outer(&inner);
    Failure {
        reason,
        inner,
        outer: o,
    }
}

fn reading_kind(r: &MetricReading) -> &'static str {
    match r {
        MetricReading::PodResources(_) | MetricReading::PodUsages(_) => "resource-metrics",
        MetricReading::PodValues(_) => "per-pod custom-metrics",
        MetricReading::ObjectValue { .. } => "object",
        MetricReading::ExternalValues(_) => "external",
        MetricReading::Error(_) => "error",
    }
}

/// The reading is missing or of another kind than the metric needs.
fn mismatch(reading: Option<&MetricReading>, what: &str) -> String {
    match reading {
        None => format!("no reading for {what} metric from the metrics pipeline"),
        Some(r) => format!(
            "the metrics pipeline returned a {} reading for a {what} metric",
            reading_kind(r)
        ),
    }
}

type OneResult = Result<(Proposal, Name), Failure>;

/// One metric evaluated: its decision record, the upstream "metric name" used in event reasons
/// (e.g. `cpu resource utilization (percentage of request)`), and on failure the wrapped error
/// message that `FailedComputeMetricsReplicas` repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricEvaluation {
    pub decision: MetricDecision,
    pub(crate) metric_name: Name,
    pub(crate) failure_wrapped: Option<String>,
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
    let index = PodIndex::of(ctx.pods);
    let scale = Replicas {
        spec: spec_replicas,
        status: status_replicas,
    };
    evaluate_metric_in("default", m, reading, scale, ctx, &index, &Texts::of(m))
}

/// [`evaluate_metric`] for an HPA in `namespace` (named in the Object/External error texts).
/// `index` is the [`PodIndex`] of `ctx.pods`, `texts` the metric's [`Texts`].
fn evaluate_metric_in(
    namespace: &str,
    m: &MetricSpec,
    reading: Option<&MetricReading>,
    scale: Replicas,
    ctx: &CalcContext<'_>,
    index: &PodIndex,
    texts: &Texts,
) -> MetricEvaluation {
    evaluated(
        texts,
        compute_one(namespace, m, reading, scale, ctx, index, texts),
    )
}

/// The evaluation of the metric whose texts are `texts` that computed `result`.
fn evaluated(texts: &Texts, result: OneResult) -> MetricEvaluation {
    let mut md = texts.header.clone();
    match result {
        Ok((proposal, name)) => {
            md.proposal = Some(proposal.replicas);
            md.current_value = Some(proposal.current);
            md.current = CurrentText(Some(proposal.current));
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
                metric_name: Name::from(""),
                failure_wrapped: Some(f.outer),
            }
        }
    }
}

/// `scale.spec.replicas` and `scale.status.replicas`.
#[derive(Clone, Copy)]
struct Replicas {
    spec: i32,
    status: i32,
}

/// One metric's proposal, by source type.
fn compute_one(
    namespace: &str,
    m: &MetricSpec,
    reading: Option<&MetricReading>,
    scale: Replicas,
    ctx: &CalcContext<'_>,
    index: &PodIndex,
    texts: &Texts,
) -> OneResult {
    let name = &texts.success_name;
    match m {
        MetricSpec::Resource { name: r, target } => resource_one(
            m,
            (r, None),
            target,
            reading,
            scale.spec,
            ctx,
            (index, name),
        ),
        MetricSpec::ContainerResource {
            name: r,
            target,
            container,
        } => resource_one(
            m,
            (r, Some(container.as_str())),
            target,
            reading,
            scale.spec,
            ctx,
            (index, name),
        ),
        MetricSpec::Pods { metric, target } => pods_one(
            &metric.name,
            target,
            reading,
            scale.spec,
            ctx,
            (index, name),
        ),
        MetricSpec::Object {
            described_object,
            metric,
            target,
        } => {
            let value = object_value(namespace, described_object, &metric.name, reading);
            object_one(target, value, scale, ctx, name)
        }
        MetricSpec::External { metric, target } => {
            let selector = &texts.selector;
            external_one(
                namespace,
                metric,
                target,
                reading,
                scale,
                ctx,
                (selector, name),
            )
        }
        MetricSpec::Unknown { type_name } => {
            let e = format!("unknown metric source type \"{type_name}\"");
            Err(Failure {
                reason: Reason::InvalidMetricSourceType,
                inner: e.clone(),
                outer: e,
            })
        }
    }
}

/// A Resource or ContainerResource metric: average value or utilization of a request.
fn resource_one(
    m: &MetricSpec,
    (name, container): (&str, Option<&str>),
    target: &MetricTarget,
    reading: Option<&MetricReading>,
    spec_replicas: i32,
    ctx: &CalcContext<'_>,
    (index, metric_name): (&PodIndex, &Name),
) -> OneResult {
    let reason = match container {
        Some(_) => Reason::FailedGetContainerResourceMetric,
        None => Reason::FailedGetResourceMetric,
    };
    let outer = |inner: &str| match container {
        Some(c) => format!("failed to get {c} container metric value: {inner}"),
        None => format!("failed to get {name} resource metric value: {inner}"),
    };
    if target.average_value.is_none() && target.average_utilization.is_none() {
        return Err(fail(
            reason,
            "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".into(),
            outer,
        ));
    }
    // The resource metrics client's per-pod values, on the slots of the selector's pods.
    let mut slots = Slots::new(ctx.pods, index);
    if let (Some(MetricReading::PodUsages(u)), None, None, Some(util)) = (
        reading,
        container,
        target.average_value,
        target.average_utilization,
    ) && let Some(p) =
        usage_pass::usage_utilization_replicas(spec_replicas, util, name, u, &slots, ctx)
    {
        return Ok((p, metric_name.clone()));
    }
    let metrics = match reading {
        Some(MetricReading::PodResources(s)) => {
            rc::resource_samples(s, &mut slots, name, container)
        }
        Some(MetricReading::PodUsages(u)) => rc::resource_usages(u, &slots, name, container),
        Some(MetricReading::Error(e)) => Err(format!(
            "unable to get metrics for resource {name}: unable to fetch metrics from resource metrics API: {e}"
        )),
        _ => Err(mismatch(reading, m.type_name())),
    };
    match (target.average_value, target.average_utilization) {
        (Some(avg), _) => metrics
            .and_then(|metrics| {
                rc::plain_metric_replicas(metrics, &slots, spec_replicas, avg.milli, name, ctx)
            })
            .map(|p| (p, metric_name.clone()))
            .map_err(|e| fail(reason, format!("failed to get {name} usage: {e}"), outer)),
        // `util` is set: a target with neither returned above.
        (None, util) => metrics
            .and_then(|metrics| {
                rc::resource_utilization_replicas_in(
                    spec_replicas,
                    util.unwrap_or_default(),
                    (name, container),
                    metrics,
                    &slots,
                    ctx,
                )
            })
            .map(|p| (p, metric_name.clone()))
            .map_err(|e| {
                fail(
                    reason,
                    format!("failed to get {name} utilization: {e}"),
                    outer,
                )
            }),
    }
}

/// A Pods metric: the average of per-pod values against `averageValue`.
fn pods_one(
    metric: &str,
    target: &MetricTarget,
    reading: Option<&MetricReading>,
    spec_replicas: i32,
    ctx: &CalcContext<'_>,
    (index, metric_name): (&PodIndex, &Name),
) -> OneResult {
    let outer = |inner: &str| format!("failed to get pods metric value: {inner}");
    let reason = Reason::FailedGetPodsMetric;
    match (target.average_value, reading) {
        (None, _) => Err(fail(
            reason,
            "invalid pods metric source: no averageValue target was set".into(),
            outer,
        )),
        (Some(_), Some(MetricReading::PodValues(samples))) if samples.is_empty() => Err(fail(
            reason,
            format!("unable to get metric {metric}: no metrics returned from custom metrics API"),
            outer,
        )),
        (Some(avg), Some(MetricReading::PodValues(samples))) => {
            let mut slots = Slots::new(ctx.pods, index);
            let metrics = rc::pod_value_samples(samples, &mut slots);
            rc::plain_metric_replicas(metrics, &slots, spec_replicas, avg.milli, "", ctx)
        }
        .map(|p| (p, metric_name.clone()))
        .map_err(|e| fail(reason, e, outer)),
        // GetMetricReplicas wraps the custom metrics client's GetRawMetric error.
        (Some(_), Some(MetricReading::Error(e))) => Err(fail(
            reason,
            format!(
                "unable to get metric {metric}: unable to fetch metrics from custom metrics API: {e}"
            ),
            outer,
        )),
        (Some(_), _) => Err(fail(reason, mismatch(reading, "Pods"), outer)),
    }
}

/// The value an Object metric reads, or the error upstream words for it.
fn object_value(
    namespace: &str,
    object: &super::spec::ObjectReference,
    metric: &str,
    reading: Option<&MetricReading>,
) -> Result<i64, String> {
    match reading {
        Some(MetricReading::ObjectValue { value_milli }) => Ok(*value_milli),
        // GetObjectMetricReplicas / GetObjectPerPodMetricReplicas
        // (replica_calculator.go) word it exactly so, arguments in this order:
        // `unable to get metric %s: %v on %s %s/%s`, (metric, kind, namespace, name, err),
        // wrapping the custom metrics client's `unable to fetch metrics from custom
        // metrics API: %v`.
        Some(MetricReading::Error(e)) => Err(format!(
            "unable to get metric {metric}: {} on {namespace} {}/unable to fetch metrics from custom metrics API: {e}",
            object.kind, object.name
        )),
        _ => Err(mismatch(reading, "Object")),
    }
}

/// An Object metric: a value target, or an average value over the pods.
fn object_one(
    target: &MetricTarget,
    value: Result<i64, String>,
    scale: Replicas,
    ctx: &CalcContext<'_>,
    metric_name: &Name,
) -> OneResult {
    let outer = |inner: &str| format!("failed to get object metric value: {inner}");
    let reason = Reason::FailedGetObjectMetric;
    if target.target_type == TargetType::Value
        && let Some(t) = target.value
    {
        value
            .and_then(|v| rc::object_value_replicas(scale.spec, t.milli, v, ctx))
            .map(|p| (p, metric_name.clone()))
            .map_err(|e| fail(reason, e, outer))
    } else if target.target_type == TargetType::AverageValue
        && let Some(t) = target.average_value
    {
        value
            .map(|v| rc::object_average_value_replicas(scale.status, t.milli, v, ctx.tolerances))
            .map(|p| (p, metric_name.clone()))
            .map_err(|e| fail(reason, e, outer))
    } else {
        Err(fail(
            reason,
            "invalid object metric source: neither a value target nor an average value target was set".into(),
            outer,
        ))
    }
}

/// An External metric: a value target, or an average value over the pods.
fn external_one(
    namespace: &str,
    metric: &super::spec::MetricIdentifier,
    target: &MetricTarget,
    reading: Option<&MetricReading>,
    scale: Replicas,
    ctx: &CalcContext<'_>,
    (selector, metric_name): (&str, &Name),
) -> OneResult {
    let name = &metric.name;
    let outer = |inner: &str| format!("failed to get {name} external metric value: {inner}");
    let reason = Reason::FailedGetExternalMetric;
    // GetExternalMetricReplicas / GetExternalPerPodMetricReplicas: `unable to get
    // external metric %s/%s/%+v: %s` (namespace, metric, selector, the external metrics
    // client's error).
    let prefix = || format!("unable to get external metric {namespace}/{name}/{selector}");
    let values = match reading {
        Some(MetricReading::ExternalValues(v)) if v.is_empty() => Err(format!(
            "{}: no metrics returned from external metrics API",
            prefix()
        )),
        Some(MetricReading::ExternalValues(v)) => Ok(v.as_slice()),
        Some(MetricReading::Error(e)) => Err(format!(
            "{}: unable to fetch metrics from external metrics API: {e}",
            prefix()
        )),
        _ => Err(mismatch(reading, "External")),
    };
    if let Some(t) = target.average_value {
        values
            .map(|v| rc::external_average_value_replicas(scale.status, t.milli, v, ctx.tolerances))
            .map(|p| (p, metric_name.clone()))
            .map_err(|e| fail(reason, e, outer))
    } else if let Some(t) = target.value {
        values
            .and_then(|v| rc::external_value_replicas(scale.spec, t.milli, v, ctx))
            .map(|p| (p, metric_name.clone()))
            .map_err(|e| fail(reason, e, outer))
    } else {
        Err(fail(
            reason,
            "invalid external metric source: neither a value target nor an average value target was set".into(),
            outer,
        ))
    }
}

/// Go's `%+v` of a `*LabelSelector` as it appears in upstream metric names.
pub(crate) fn go_selector(s: Option<&LabelSelector>) -> String {
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
pub(crate) fn metric_label(m: &MetricSpec) -> String {
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
            Reason::ScaleDownStabilized,
            ConditionMessage::Fixed("recent recommendations were higher than current one, applying the highest recent recommendation"),
            now,
        );
        Reason::ScaleDownStabilized
    } else {
        memory.status.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            Reason::ReadyForNewScale,
            ConditionMessage::Fixed("recommended size matches current size"),
            now,
        );
        Reason::ReadyForNewScale
    };
    d.stabilization = Some(StabilizationStep {
        from: proposal,
        to: s,
        reason,
        window: (s != proposal).then(|| memory.metric_texts.downscale_window(window).to_string()),
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
        Reason::ScaleUpLimit => Some(format!(
            "legacy scale-up cap max({}×{current}, {}) = {}",
            settings.legacy_scale_up_limit_factor,
            settings.legacy_scale_up_limit_minimum,
            l.legacy_cap.unwrap_or_default()
        )),
        Reason::TooManyReplicas => Some(format!("maxReplicas {max}")),
        Reason::TooFewReplicas => Some(format!("minReplicas {min}")),
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
        ConditionMessage::Fixed(l.message),
        d.now,
    );
    d.limit = Some(LimitStep {
        from: s,
        to: l.replicas,
        reason: l.reason,
        message: l.message,
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
        (
            Reason::ReadyForNewScale,
            "recommended size matches current size",
        )
    };
    memory.status.set_condition(
        ConditionType::AbleToScale,
        ConditionStatus::True,
        reason,
        ConditionMessage::Fixed(message),
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
        reason,
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
        Reason::ScaleUpLimit | Reason::ScaleDownLimit => l.rate.as_ref().map(|r| r.describe()),
        Reason::TooManyReplicas => Some(format!("maxReplicas {max}")),
        Reason::TooFewReplicas => Some(format!("minReplicas {min}")),
        _ => None,
    };
    apply_limited(memory, s, l, bound_by, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::observation::{PodObservation, PodResourceSample, Requests, ScaleObservation};
    use crate::hpa::spec::{Behavior, ScalingPolicy, ScalingRules};
    use crate::units::Quantity;

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

    /// Deciding into an earlier sync's decision gives the decision deciding afresh gives,
    /// through scale-ups, stabilized scale-downs, limits and failing metrics.
    #[test]
    fn a_decision_written_over_an_earlier_one_is_the_fresh_decision() {
        let mut spec = cpu_hpa(1, 6, 50);
        spec.behavior = Some(Behavior::default());
        let settings = ControllerSettings::default();
        let (mut fresh_mem, mut into_mem) = (HpaMemory::default(), HpaMemory::default());
        let mut reused: Option<Box<Decision>> = None;
        let loads: [&[i64]; 6] = [
            &[1000, 1000, 1000],
            &[100, 100, 100, 100, 100, 100],
            &[2000, 2000],
            &[],
            &[10, 10, 10, 10],
            &[900, 900, 900, 900, 900, 900],
        ];
        for (k, usages) in loads.iter().enumerate() {
            let now = 1000.0 + 15.0 * k as f64;
            let obs = cpu_obs(now, usages.len().max(1) as i32, usages);
            let fresh = reconcile(&spec, &settings, &mut fresh_mem, &obs);
            let earlier = reused.take();
            let wrote_over = earlier.is_some();
            let mut given = [];
            let d = reconcile_listed(
                &spec,
                &settings,
                &mut into_mem,
                &obs,
                None,
                &mut given,
                earlier,
            );
            assert_eq!(wrote_over, k > 0);
            reused = Some(d);
            assert_eq!(reused.as_deref(), Some(&fresh), "sync {k}");
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
            d.reason.to_string(),
            "New size: 6; reason: cpu resource utilization (percentage of request) above target"
        );
        assert_eq!(d.metrics[0].current.to_string(), "100% (1)");
        assert_eq!(d.metrics[0].target.to_string(), "50%");
        assert_eq!(
            &*d.metrics[0].label,
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
        assert_eq!(d.events[0].reason, Reason::SuccessfulRescale);
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
        assert!(d.reason.to_string().contains("held at 5"), "{}", d.reason);
        // t=300: the 5 recorded at t=0 is exactly 300 s old → still inside the legacy window
        let d = reconcile(&spec, &s, &mut mem, &cpu_obs(300.0, 5, &[200; 5]));
        assert!(!d.rescale);
        // t=315: gone → scale down to 2, and no scale events are stored without behavior
        let d = reconcile(&spec, &s, &mut mem, &cpu_obs(315.0, 5, &[200; 5]));
        assert_eq!((d.desired_replicas, d.rescale), (2, true));
        assert_eq!(
            d.reason.to_string(),
            "New size: 2; reason: All metrics below target"
        );
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
        assert_eq!(d.events[0].reason, Reason::FailedRescale);
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
        assert!(d.reason.to_string().starts_with("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value"), "{}", d.reason);
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
            Reason::ScaledToZero,
            ConditionMessage::Fixed(""),
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
            d.reason.to_string(),
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
                .to_string()
                .starts_with("New size: 9; reason:  [scalesim: raised by the stabilization window"),
            "{}",
            d.reason
        );
        assert!(
            d.reason.to_string().contains("metrics proposed 6"),
            "{}",
            d.reason
        );
        assert!(
            d.reason.to_string().contains("recommendation of 9"),
            "{}",
            d.reason
        );
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

/// The name-free metrics-server answer ([`MetricReading::PodUsages`]) against the answer it
/// stands for ([`MetricReading::PodResources`] of every entry's [`PodResourceUsage::as_sample`]):
/// every Resource and ContainerResource metric decides the same from both.
#[cfg(test)]
mod pod_usages_tests {
    use super::*;
    use crate::hpa::observation::{
        ContainerSpec, PodObservation, PodPhase, PodResourceUsage, ReadyCondition, Requests,
    };
    use crate::units::Quantity;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// A few container lists, shared as a template's pods share theirs.
    fn shapes() -> Vec<Arc<[ContainerSpec]>> {
        let c = |name: &str, cpu: Option<i64>, memory: Option<i64>, sidecar: bool| ContainerSpec {
            name: name.into(),
            requests: Requests {
                cpu_milli: cpu,
                memory_milli: memory,
            },
            sidecar,
            init: false,
        };
        vec![
            Arc::from(Vec::new()),
            Arc::from(vec![c("app", Some(500), Some(1_000_000), false)]),
            Arc::from(vec![
                c("app", Some(400), Some(2_000_000), false),
                c("proxy", Some(100), None, true),
            ]),
            Arc::from(vec![
                c("app", None, Some(5), false),
                c("app", Some(7), None, false),
            ]),
        ]
    }

    fn pod() -> impl Strategy<Value = PodObservation> {
        (
            (0..4usize, 0..4usize, 0..4u8),
            (
                any::<bool>(),
                0.0..200.0f64,
                prop::option::of(0.0..150.0f64),
            ),
            (any::<bool>(), any::<bool>(), prop::option::of(0..900i64)),
        )
            .prop_map(
                |(
                    (name, shape, phase),
                    (ready, transition, start),
                    (has_ready, deleting, pod_cpu),
                )| {
                    PodObservation {
                        name: ["a", "b", "c", "d"][name].into(),
                        phase: [
                            PodPhase::Running,
                            PodPhase::Running,
                            PodPhase::Pending,
                            PodPhase::Failed,
                        ][phase as usize],
                        ready: has_ready.then_some(ReadyCondition {
                            status: if ready {
                                ConditionStatus::True
                            } else {
                                ConditionStatus::False
                            },
                            last_transition_time: transition,
                        }),
                        deleting,
                        start_time: start,
                        containers: shapes()[shape].clone(),
                        pod_requests: pod_cpu.map(Requests::cpu),
                        overhead: None,
                    }
                },
            )
    }

    fn usage() -> impl Strategy<Value = Option<PodResourceUsage>> {
        prop::option::weighted(
            0.8,
            (
                50.0..200.0f64,
                prop::sample::select(vec![15.0, 60.0]),
                0..3usize,
                prop_oneof![0..3000i64, Just(i64::MAX), Just(-1)],
                0..5_000_000i64,
            )
                .prop_map(|(timestamp, window, main, cpu_milli, memory_milli)| {
                    PodResourceUsage {
                        timestamp,
                        window,
                        main,
                        cpu_milli,
                        memory_milli,
                    }
                }),
        )
    }

    fn metric() -> impl Strategy<Value = MetricSpec> {
        let utilization =
            prop::sample::select(vec![20, 50, 80, 150]).prop_map(MetricTarget::utilization);
        let average =
            (1..2000i64).prop_map(|m| MetricTarget::average_value(Quantity::from_milli(m)));
        let target = prop_oneof![utilization, average];
        (target, 0..7usize).prop_map(|(target, kind)| match kind {
            0 => MetricSpec::resource("cpu", target),
            1 => MetricSpec::resource("memory", target),
            2 => MetricSpec::resource("gpu", target),
            3 => MetricSpec::container_resource("cpu", "app", target),
            4 => MetricSpec::container_resource("cpu", "proxy", target),
            5 => MetricSpec::container_resource("memory", "sidecar", target),
            _ => MetricSpec::resource("cpu", MetricTarget::value(Quantity::from_milli(1))),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn usages_decide_as_the_samples_they_stand_for(
            pods in prop::collection::vec(pod(), 0..6),
            usages in prop::collection::vec(usage(), 0..8),
            m in metric(),
            current in 0..8i32,
            gate in any::<bool>(),
        ) {
            let ctx = CalcContext {
                now: 120.0,
                tolerances: Tolerances::both(0.1),
                cpu_initialization_period: 60.0,
                initial_readiness_delay: 30.0,
                pod_level_resources: gate,
                pods: &pods,
            };
            let samples = usages
                .iter()
                .zip(&pods)
                .filter_map(|(u, p)| Some(u.as_ref()?.as_sample(p)))
                .collect();
            let fast = MetricReading::PodUsages(usages.clone());
            let slow = MetricReading::PodResources(samples);
            prop_assert_eq!(
                evaluate_metric(&m, Some(&fast), current, current, &ctx),
                evaluate_metric(&m, Some(&slow), current, current, &ctx)
            );
        }
    }
}
