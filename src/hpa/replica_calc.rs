//! One metric → one replica proposal (docs/hpa.md#one-metric): tolerance band, pod grouping, utilization and
//! plain-average ratios, missing/unready adjustment, Object and External metrics.
//!
//! Mirrors `replica_calculator.go` and `metrics/utilization.go` operation for operation: integer
//! sums (exact, i128 here where upstream falls back to big integers), integer percent and
//! averages, float64 ratios, `ceil` of float64 products, and saturating conversions where Go would
//! overflow. Errors are returned as the messages upstream puts in its events and conditions.

use super::observation::{
    ConditionStatus, Name, PodObservation, PodPhase, PodResourceSample, PodResourceUsage,
    PodStatus, PodValueSample,
};
#[cfg(test)]
use super::pod_slots::PodIndex;
use super::pod_slots::{PodMetric, PodMetrics, Slots};
use serde::Serialize;
use std::collections::BTreeSet;

/// The usage-ratio band within which the current replica count is kept (docs/hpa.md#tolerance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerances {
    pub down: f64,
    pub up: f64,
}

impl Tolerances {
    pub fn both(t: f64) -> Self {
        Tolerances { down: t, up: t }
    }
    /// `(1 − down) ≤ ratio ≤ (1 + up)`, both ends inclusive, bounds formed first in float64.
    pub(crate) fn is_within(&self, ratio: f64) -> bool {
        (1.0 - self.down) <= ratio && ratio <= (1.0 + self.up)
    }
}

/// What the replica calculator needs besides the metric itself.
#[derive(Debug, Clone, Copy)]
pub struct CalcContext<'a> {
    pub now: f64,
    pub tolerances: Tolerances,
    /// CPU initialization period, seconds.
    pub cpu_initialization_period: f64,
    /// Initial readiness delay, seconds.
    pub initial_readiness_delay: f64,
    /// The PodLevelResources gate.
    pub pod_level_resources: bool,
    /// Pods returned by the selector.
    pub pods: &'a [PodObservation],
}

/// A metric's value as the HPA status reports it (`currentMetrics[i].current`), milli-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CurrentValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_utilization: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_value_milli: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_milli: Option<i64>,
}

/// How the selector's pods were grouped for a per-pod metric (docs/hpa.md#pod-grouping).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PodGroups {
    pub(crate) ready: usize,
    pub unready: BTreeSet<Name>,
    pub(crate) missing: BTreeSet<Name>,
    pub(crate) ignored: BTreeSet<Name>,
}

impl PodGroups {
    /// Count `pod` in `group`.
    pub(super) fn add(&mut self, group: Group, pod: &PodObservation) {
        self.add_name(group, &pod.name);
    }

    /// Count the pod named `name` in `group`.
    pub(super) fn add_name(&mut self, group: Group, name: &Name) {
        let set = match group {
            Group::Ready => {
                self.ready += 1;
                return;
            }
            Group::Unready => &mut self.unready,
            Group::Missing => &mut self.missing,
            Group::Ignored => &mut self.ignored,
        };
        set.insert(name.clone());
    }
}

/// One metric's proposal.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Proposal {
    pub(crate) replicas: i32,
    pub(crate) current: CurrentValue,
    /// The raw usage ratio (current / target) before any adjustment.
    pub(crate) usage_ratio: f64,
    /// The ratio after filling in missing/unready pods, when that step ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) adjusted_ratio: Option<f64>,
    /// Pod grouping (per-pod metrics only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<PodGroups>,
    /// Ready pods counted by an Object/External Value target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ready_pods: Option<i64>,
    /// The proposal is `current` because the ratio was within tolerance (or the adjustment flipped
    /// direction / was damped); for explanations.
    pub(crate) kept_current: bool,
}

/// `ceil` into int32, saturating (Go's out-of-range float conversion is undefined; we clamp).
pub(crate) fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

pub(super) fn clamp_i64(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// metrics-server samples → per-pod values for `resource` (summed over containers, or the named
/// container), as the resource metrics client builds them.
pub(crate) fn resource_samples<'a>(
    samples: &'a [PodResourceSample],
    slots: &mut Slots<'a>,
    resource: &str,
    container: Option<&str>,
) -> Result<PodMetrics, String> {
    if samples.is_empty() {
        return Err("unable to get metrics for resource ".to_string()
            + resource
            + ": no metrics returned from resource metrics API");
    }
    let mut out = PodMetrics::with_slots(slots.len());
    let mut hint = 0;
    for s in samples {
        match container {
            Some(name) => {
                let Some(c) = s.containers.iter().find(|c| &*c.name == name) else {
                    return Err(format!(
                        "unable to get metrics for resource {resource}: failed to get container metrics: container {name} not present in metrics for pod {}",
                        s.pod
                    ));
                };
                if let Some(v) = c.get(resource) {
                    out.insert(
                        slots.of_sample(&s.pod, &mut hint),
                        PodMetric {
                            value: v,
                            timestamp: s.timestamp,
                            window: s.window,
                        },
                    );
                }
            }
            None => {
                let mut missing = s.containers.is_empty();
                let mut sum: i64 = 0;
                for c in &s.containers {
                    match c.get(resource) {
                        Some(v) => sum = sum.saturating_add(v),
                        None => {
                            missing = true;
                            break;
                        }
                    }
                }
                if !missing {
                    out.insert(
                        slots.of_sample(&s.pod, &mut hint),
                        PodMetric {
                            value: sum,
                            timestamp: s.timestamp,
                            window: s.window,
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

/// [`resource_samples`] for a [`super::MetricReading::PodUsages`] answer: the same per-pod
/// values and errors, read without names (entry `i` is pod `i`'s sample, so its slot is the
/// pod's, where a sample's name would find it).
pub(crate) fn resource_usages(
    usages: &[Option<PodResourceUsage>],
    slots: &Slots<'_>,
    resource: &str,
    container: Option<&str>,
) -> Result<PodMetrics, String> {
    let pods = slots.pods();
    let usages = &usages[..usages.len().min(pods.len())];
    if usages.iter().all(Option::is_none) {
        return Err("unable to get metrics for resource ".to_string()
            + resource
            + ": no metrics returned from resource metrics API");
    }
    let (cpu, memory) = (resource == "cpu", resource == "memory");
    let used = |u: &PodResourceUsage| match (cpu, memory) {
        (true, _) => Some(u.cpu_milli),
        (_, true) => Some(u.memory_milli),
        _ => None,
    };
    let mut out = PodMetrics::with_slots(slots.len());
    for (i, (u, pod)) in usages.iter().zip(pods).enumerate() {
        let Some(u) = u else {
            continue;
        };
        // The working container has all the usage; every other container reports zero.
        let value = match container {
            Some(name) => {
                let Some(k) = pod.containers.iter().position(|c| &*c.name == name) else {
                    return Err(format!(
                        "unable to get metrics for resource {resource}: failed to get container metrics: container {name} not present in metrics for pod {}",
                        pod.name
                    ));
                };
                used(u).map(|v| if k == u.main { v } else { 0 })
            }
            None if pod.containers.is_empty() => None,
            None => used(u).map(|v| if u.main < pod.containers.len() { v } else { 0 }),
        };
        if let Some(value) = value {
            out.insert(
                slots.of_pod(i),
                PodMetric {
                    value,
                    timestamp: u.timestamp,
                    window: u.window,
                },
            );
        }
    }
    Ok(out)
}

/// Custom-metrics per-pod values → per-pod samples (a later duplicate replaces an earlier one).
pub(crate) fn pod_value_samples<'a>(
    samples: &'a [PodValueSample],
    slots: &mut Slots<'a>,
) -> PodMetrics {
    let mut out = PodMetrics::with_slots(slots.len());
    let mut hint = 0;
    for s in samples {
        out.insert(
            slots.of_sample(&s.pod, &mut hint),
            PodMetric {
                value: s.value_milli,
                timestamp: s.timestamp,
                window: s.window,
            },
        );
    }
    out
}

/// Sort the selector's pods into ready / unready / missing / ignored (docs/hpa.md#pod-grouping, `groupPods`).
/// `resource` is the metric's resource name (`cpu` enables the readiness rules) or empty.
pub(crate) fn group_pods(
    slots: &Slots<'_>,
    metrics: &PodMetrics,
    resource: &str,
    ctx: &CalcContext<'_>,
) -> PodGroups {
    let mut g = PodGroups::default();
    let cpu_rules = resource == "cpu";
    for (i, pod) in ctx.pods.iter().enumerate() {
        let metric = || metrics.get(slots.of_pod(i));
        g.add(pod_group(pod, metric, cpu_rules, ctx), pod);
    }
    g
}

/// The group of one pod of the selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    Ready,
    Unready,
    Missing,
    Ignored,
}

/// The group `groupPods` puts `pod` in; `metric` is its sample, asked for only when the pod is
/// neither ignored nor pending. `cpu_rules`: the metric is `cpu`, whose readiness rules apply.
pub(super) fn pod_group<'m>(
    pod: &PodObservation,
    metric: impl FnOnce() -> Option<&'m PodMetric>,
    cpu_rules: bool,
    ctx: &CalcContext<'_>,
) -> Group {
    status_group(pod.status(), metric, cpu_rules, ctx)
}

/// [`pod_group`] of a pod with status `pod`.
pub(super) fn status_group<'m>(
    pod: PodStatus,
    metric: impl FnOnce() -> Option<&'m PodMetric>,
    cpu_rules: bool,
    ctx: &CalcContext<'_>,
) -> Group {
    if pod.deleting || pod.phase == PodPhase::Failed || pod.phase == PodPhase::Succeeded {
        return Group::Ignored;
    }
    if pod.phase == PodPhase::Pending {
        return Group::Unready;
    }
    let Some(metric) = metric() else {
        return Group::Missing;
    };
    if cpu_rules {
        let unready = match (pod.ready, pod.start_time) {
            (Some(cond), Some(start)) => {
                if start + ctx.cpu_initialization_period > ctx.now {
                    // Still initializing: a sample must cover a full window after the last
                    // readiness transition.
                    cond.status == ConditionStatus::False
                        || metric.timestamp < cond.last_transition_time + metric.window
                } else {
                    // Only pods that never became ready since starting are unready.
                    cond.status == ConditionStatus::False
                        && start + ctx.initial_readiness_delay > cond.last_transition_time
                }
            }
            _ => true,
        };
        if unready {
            return Group::Unready;
        }
    }
    Group::Ready
}

/// Per-pod requests for `resource` (docs/hpa.md#utilization, `calculateRequests`): regular containers plus
/// sidecars, one named container, or — with the PodLevelResources gate, pod-level requests set
/// and no container named — the pod-level total; a counted container without a request is an
/// error.
pub(crate) fn calculate_requests(
    slots: &Slots<'_>,
    container: Option<&str>,
    resource: &str,
    pod_level_resources: bool,
) -> Result<Vec<Option<i64>>, String> {
    let mut out = vec![None; slots.len()];
    // The previous pod and its request: a pod with the same containers (one shared list, as
    // a template's pods have) and the same pod-level requests and overhead requests the same.
    let mut previous: Option<(&PodObservation, i64)> = None;
    for (i, pod) in slots.pods().iter().enumerate() {
        if let Some((p, request)) = previous
            && same_request_inputs(p, pod)
        {
            out[slots.of_pod(i)] = Some(request);
            continue;
        }
        let request = pod_request(pod, container, resource, pod_level_resources)?;
        out[slots.of_pod(i)] = Some(request);
        previous = Some((pod, request));
    }
    Ok(out)
}

/// One pod's request for `resource`, as [`calculate_requests`] counts it.
pub(super) fn pod_request(
    pod: &PodObservation,
    container: Option<&str>,
    resource: &str,
    pod_level_resources: bool,
) -> Result<i64, String> {
    // `resourcehelpers.IsPodLevelRequestsSet`: a supported resource (cpu, memory) is set.
    let pod_level = pod_level_resources
        && container.is_none()
        && pod
            .pod_requests
            .is_some_and(|r| r.cpu_milli.is_some() || r.memory_milli.is_some());
    if pod_level {
        // `calculatePodLevelRequests`.
        pod_level_request(pod, resource).ok_or_else(|| {
            format!(
                "missing pod-level request for {resource} in Pod {}",
                pod.name
            )
        })
    } else {
        requests_from_containers(pod, container, resource)
    }
}

/// Do two pods request the same by construction: the same shared container list, the same
/// pod-level requests and overhead? (Only the name, used in error texts, may differ.)
pub(super) fn same_request_inputs(a: &PodObservation, b: &PodObservation) -> bool {
    std::sync::Arc::ptr_eq(&a.containers, &b.containers)
        && a.pod_requests == b.pod_requests
        && a.overhead == b.overhead
}

/// `resourcehelpers.PodRequests(pod, PodResourcesOptions{})` for one resource: the containers'
/// aggregate (`AggregateContainerRequests`: regular containers and sidecars summed, at least the
/// peak of any init container plus the sidecars started before it), then every resource set at
/// pod level replacing its aggregate, then `spec.overhead` added. `None` when nothing requests
/// the resource.
pub(crate) fn pod_level_request(pod: &PodObservation, resource: &str) -> Option<i64> {
    let add = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, None) => x,
        (None, y) => y,
    };
    let max = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    };
    let mut total: Option<i64> = None;
    for c in pod.containers.iter().filter(|c| !c.sidecar && !c.init) {
        total = add(total, c.requests.get(resource));
    }
    let mut sidecars: Option<i64> = None;
    let mut init_peak: Option<i64> = None;
    for c in pod.containers.iter().filter(|c| c.sidecar || c.init) {
        let r = c.requests.get(resource);
        let while_running = if c.sidecar {
            total = add(total, r);
            sidecars = add(sidecars, r);
            sidecars
        } else {
            add(r, sidecars)
        };
        init_peak = max(init_peak, while_running);
    }
    total = max(total, init_peak);
    if let Some(v) = pod.pod_requests.and_then(|r| r.get(resource)) {
        total = Some(v);
    }
    add(total, pod.overhead.and_then(|o| o.get(resource)))
}

fn requests_from_containers(
    pod: &PodObservation,
    container: Option<&str>,
    resource: &str,
) -> Result<i64, String> {
    // Regular containers first, then restartable init containers, as upstream appends them;
    // ordinary init containers are not among them.
    let ordered = pod
        .containers
        .iter()
        .filter(|c| !c.sidecar && !c.init)
        .chain(pod.containers.iter().filter(|c| c.sidecar));
    let mut request: i64 = 0;
    for c in ordered {
        if container.is_none() || container == Some(&*c.name) {
            let r = c.requests.get(resource).ok_or_else(|| {
                format!(
                    "missing request for {resource} in container {} of Pod {}",
                    c.name, pod.name
                )
            })?;
            request = request.saturating_add(r);
        }
        if container == Some(&*c.name) {
            return Ok(request);
        }
    }
    if let Some(name) = container {
        return Err(format!("container {name} not found in Pod {}", pod.name));
    }
    Ok(request)
}

/// `GetResourceUtilizationRatio`: `(ratio, utilization %, raw average)` over samples whose pod has
/// a request (samples of unknown pods are skipped).
pub(crate) fn resource_utilization_ratio(
    metrics: &PodMetrics,
    requests: &[Option<i64>],
    target_utilization: i32,
) -> Result<(f64, i32, i64), String> {
    let (mut usage, mut request, mut n): (i128, i128, i128) = (0, 0, 0);
    // Slot by slot; a slot past `requests` has no request.
    for (m, r) in metrics.by_slot().iter().zip(requests) {
        if let (Some(m), Some(r)) = (m, r) {
            usage += m.value as i128;
            request += *r as i128;
            n += 1;
        }
    }
    utilization_of_sums(usage, request, n, target_utilization)
}

/// The end of `GetResourceUtilizationRatio` from its sums: the usage and the request of the
/// `n` samples counted.
pub(super) fn utilization_of_sums(
    usage: i128,
    request: i128,
    n: i128,
    target_utilization: i32,
) -> Result<(f64, i32, i64), String> {
    if request == 0 || n == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let percent = usage * 100 / request;
    let utilization = i32::try_from(percent)
        .map_err(|_| format!("resource utilization {percent} is outside the int32 range"))?;
    let raw_average = clamp_i64(usage / n);
    Ok((
        utilization as f64 / target_utilization as f64,
        utilization,
        raw_average,
    ))
}

/// `GetMetricUsageRatio`: `(ratio, average)` over every sample (unknown pods included).
pub(crate) fn metric_usage_ratio(metrics: &PodMetrics, target_usage: i64) -> (f64, i64) {
    let total: i128 = metrics.iter().map(|(_, m)| m.value as i128).sum();
    let n = (metrics.len() as i128).max(1);
    let usage = clamp_i64(total / n);
    (usage as f64 / target_usage as f64, usage)
}

/// Resource / ContainerResource with a Utilization target (docs/hpa.md#utilization, `GetResourceReplicas`).
#[cfg(test)]
pub(crate) fn resource_utilization_replicas<'a>(
    current: i32,
    target_utilization: i32,
    resource: &str,
    container: Option<&str>,
    samples: &'a [PodResourceSample],
    ctx: &CalcContext<'a>,
) -> Result<Proposal, String> {
    let index = PodIndex::of(ctx.pods);
    let mut slots = Slots::new(ctx.pods, &index);
    let metrics = resource_samples(samples, &mut slots, resource, container)?;
    resource_utilization_replicas_in(
        current,
        target_utilization,
        (resource, container),
        metrics,
        &slots,
        ctx,
    )
}

/// [`resource_utilization_replicas`] with the samples already turned into per-pod values on
/// the slots of `ctx.pods`.
pub(crate) fn resource_utilization_replicas_in(
    current: i32,
    target_utilization: i32,
    (resource, container): (&str, Option<&str>),
    metrics: PodMetrics,
    slots: &Slots<'_>,
    ctx: &CalcContext<'_>,
) -> Result<Proposal, String> {
    let (mut metrics, groups) = ready_metrics(metrics, slots, resource, ctx)?;
    let requests = calculate_requests(slots, container, resource, ctx.pod_level_resources)?;
    let (ratio, utilization, raw) =
        resource_utilization_ratio(&metrics, &requests, target_utilization)?;
    let current_value = CurrentValue {
        average_utilization: Some(utilization),
        average_value_milli: Some(raw),
        value_milli: None,
    };
    let p = match unadjusted(current, current_value, ratio, groups, ctx.tolerances) {
        Ok(p) => return Ok(p),
        Err(p) => p,
    };
    let Some(groups) = &p.groups else {
        return Ok(p);
    };
    if ratio < 1.0 {
        // Scale-down: missing pods use 100 % of request, or the target when it exceeds 100 %.
        let fallback = 100.max(target_utilization) as i128;
        for name in &groups.missing {
            let slot = slots.find(name);
            let request = slot.and_then(|s| requests[s]).unwrap_or(0) as i128;
            fill(
                &mut metrics,
                slots,
                [name],
                clamp_i64(request * fallback / 100),
            );
        }
    } else if ratio > 1.0 {
        fill(&mut metrics, slots, &groups.missing, 0);
    }
    if !groups.unready.is_empty() && ratio > 1.0 {
        fill(&mut metrics, slots, &groups.unready, 0);
    }
    let (new_ratio, _, _) = resource_utilization_ratio(&metrics, &requests, target_utilization)?;
    adjusted(p, current, ratio, new_ratio, metrics.len(), ctx.tolerances)
}

/// Steps 1–2 shared by utilization and plain metrics: the pods grouped, the metrics of ignored
/// and unready pods dropped; an error when no pod or no usable metric is left.
fn ready_metrics(
    mut metrics: PodMetrics,
    slots: &Slots<'_>,
    resource: &str,
    ctx: &CalcContext<'_>,
) -> Result<(PodMetrics, PodGroups), String> {
    if ctx.pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let groups = group_pods(slots, &metrics, resource, ctx);
    for name in groups.ignored.iter().chain(groups.unready.iter()) {
        if let Some(slot) = slots.find(name) {
            metrics.remove(slot);
        }
    }
    if metrics.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    Ok((metrics, groups))
}

/// Step 3: with no pod missing and no unready pod on a scale-up, the ratio over the ready pods
/// decides (`Ok`); otherwise `Err` hands the proposal on to be adjusted.
// `Err` hands the proposal on to be adjusted: not an error, and built once per sync.
#[allow(clippy::result_large_err)]
pub(super) fn unadjusted(
    current: i32,
    current_value: CurrentValue,
    ratio: f64,
    groups: PodGroups,
    tol: Tolerances,
) -> Result<Proposal, Proposal> {
    let mut p = Proposal {
        replicas: current,
        current: current_value,
        usage_ratio: ratio,
        ..Default::default()
    };
    let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && groups.missing.is_empty() {
        if tol.is_within(ratio) {
            p.kept_current = true;
        } else {
            p.replicas = ceil_i32(ratio * groups.ready as f64);
        }
        p.groups = Some(groups);
        return Ok(p);
    }
    p.groups = Some(groups);
    Err(p)
}

/// Step 4–5: give each named pod the metric `value`.
fn fill<'n>(
    metrics: &mut PodMetrics,
    slots: &Slots<'_>,
    names: impl IntoIterator<Item = &'n Name>,
    value: i64,
) {
    for slot in names.into_iter().filter_map(|n| slots.find(n)) {
        metrics.insert(
            slot,
            PodMetric {
                value,
                timestamp: 0.0,
                window: 0.0,
            },
        );
    }
}

/// Steps 6–7 shared by utilization and plain metrics.
pub(super) fn adjusted(
    mut p: Proposal,
    current: i32,
    ratio: f64,
    new_ratio: f64,
    n: usize,
    tol: Tolerances,
) -> Result<Proposal, String> {
    p.adjusted_ratio = Some(new_ratio);
    if tol.is_within(new_ratio)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        p.replicas = current;
        p.kept_current = true;
        return Ok(p);
    }
    let new_replicas = ceil_i32(new_ratio * n as f64);
    if (new_ratio < 1.0 && new_replicas > current) || (new_ratio > 1.0 && new_replicas < current) {
        p.replicas = current;
        p.kept_current = true;
        return Ok(p);
    }
    p.replicas = new_replicas;
    Ok(p)
}

/// Plain per-pod values (docs/hpa.md#plain-values, `calcPlainMetricReplicas`): Resource AverageValue (pass the
/// resource name, so `cpu` readiness rules apply) and Pods metrics (pass `""`).
pub(crate) fn plain_metric_replicas(
    metrics: PodMetrics,
    slots: &Slots<'_>,
    current: i32,
    target_usage: i64,
    resource: &str,
    ctx: &CalcContext<'_>,
) -> Result<Proposal, String> {
    let (mut metrics, groups) = ready_metrics(metrics, slots, resource, ctx)?;
    let (ratio, usage) = metric_usage_ratio(&metrics, target_usage);
    let current_value = CurrentValue {
        average_value_milli: Some(usage),
        ..Default::default()
    };
    let p = match unadjusted(current, current_value, ratio, groups, ctx.tolerances) {
        Ok(p) => return Ok(p),
        Err(p) => p,
    };
    let Some(groups) = &p.groups else {
        return Ok(p);
    };
    if ratio < 1.0 {
        fill(&mut metrics, slots, &groups.missing, target_usage);
    } else if ratio > 1.0 {
        fill(&mut metrics, slots, &groups.missing, 0);
    }
    if !groups.unready.is_empty() && ratio > 1.0 {
        fill(&mut metrics, slots, &groups.unready, 0);
    }
    let (new_ratio, _) = metric_usage_ratio(&metrics, target_usage);
    adjusted(p, current, ratio, new_ratio, metrics.len(), ctx.tolerances)
}

/// Pods that are Running and Ready (Object/External Value targets).
fn ready_pods_count(pods: &[PodObservation]) -> Result<i64, String> {
    if pods.is_empty() {
        return Err("unable to calculate ready pods: no pods returned by selector while calculating replica count".into());
    }
    Ok(pods.iter().filter(|p| p.is_running_and_ready()).count() as i64)
}

/// `getUsageRatioReplicaCount`: tolerance and ready pods when `current ≠ 0`; `ceil(ratio)` at zero.
fn usage_ratio_replica_count(
    current: i32,
    ratio: f64,
    ctx: &CalcContext<'_>,
    p: &mut Proposal,
) -> Result<(), String> {
    if current != 0 {
        if ctx.tolerances.is_within(ratio) {
            p.replicas = current;
            p.kept_current = true;
            return Ok(());
        }
        let ready = ready_pods_count(ctx.pods)?;
        p.ready_pods = Some(ready);
        p.replicas = ceil_i32(ratio * ready as f64);
    } else {
        p.replicas = ceil_i32(ratio);
    }
    Ok(())
}

/// Object metric, Value target (docs/hpa.md#object-external).
pub(crate) fn object_value_replicas(
    current: i32,
    target_milli: i64,
    value_milli: i64,
    ctx: &CalcContext<'_>,
) -> Result<Proposal, String> {
    let ratio = value_milli as f64 / target_milli as f64;
    let mut p = Proposal {
        current: CurrentValue {
            value_milli: Some(value_milli),
            ..Default::default()
        },
        usage_ratio: ratio,
        ..Default::default()
    };
    usage_ratio_replica_count(current, ratio, ctx, &mut p)?;
    Ok(p)
}

/// Object metric, AverageValue target: uses `scale.status.replicas` (docs/hpa.md#object-external).
pub(crate) fn object_average_value_replicas(
    status_replicas: i32,
    target_milli: i64,
    value_milli: i64,
    tol: Tolerances,
) -> Proposal {
    let ratio = value_milli as f64 / (target_milli as f64 * status_replicas as f64);
    let mut replicas = status_replicas;
    let within = tol.is_within(ratio);
    if !within {
        replicas = ceil_i32(value_milli as f64 / target_milli as f64);
    }
    let reported = (value_milli as f64 / status_replicas as f64).ceil() as i64;
    Proposal {
        replicas,
        current: CurrentValue {
            average_value_milli: Some(reported),
            ..Default::default()
        },
        usage_ratio: ratio,
        kept_current: within,
        ..Default::default()
    }
}

/// External metric, Value target: the series are summed (saturating at MaxInt64), then as Object.
pub(crate) fn external_value_replicas(
    current: i32,
    target_milli: i64,
    values: &[i64],
    ctx: &CalcContext<'_>,
) -> Result<Proposal, String> {
    let mut usage: i64 = 0;
    for &v in values {
        if v > 0 && usage > i64::MAX - v {
            usage = i64::MAX;
            break;
        }
        usage = usage.wrapping_add(v);
    }
    object_value_replicas(current, target_milli, usage, ctx)
}

/// External metric, AverageValue target (`GetExternalPerPodMetricReplicas`).
pub(crate) fn external_average_value_replicas(
    status_replicas: i32,
    target_milli: i64,
    values: &[i64],
    tol: Tolerances,
) -> Proposal {
    let mut usage: i64 = 0;
    for &v in values {
        usage = usage.wrapping_add(v);
        if usage < 0 {
            // Upstream's overflow guard (it also catches a negative sum).
            usage = i64::MAX;
            break;
        }
    }
    let ratio = usage as f64 / (target_milli as f64 * status_replicas as f64);
    let within = tol.is_within(ratio);
    let mut replicas = status_replicas;
    if !within {
        replicas = ceil_i32(usage as f64 / target_milli as f64);
    }
    let reported = if usage as f64 >= i64::MAX as f64 {
        i64::MAX
    } else {
        (usage as f64 / status_replicas as f64).ceil() as i64
    };
    Proposal {
        replicas,
        current: CurrentValue {
            average_value_milli: Some(reported),
            ..Default::default()
        },
        usage_ratio: ratio,
        kept_current: within,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::observation::{ContainerSpec, ReadyCondition, Requests};

    fn pod(name: &str, req: i64) -> PodObservation {
        PodObservation::running(name, -3600.0, Requests::cpu(req))
    }
    fn ctx<'a>(pods: &'a [PodObservation]) -> CalcContext<'a> {
        CalcContext {
            now: 0.0,
            tolerances: Tolerances::both(0.1),
            cpu_initialization_period: 120.0,
            initial_readiness_delay: 10.0,
            pod_level_resources: true,
            pods,
        }
    }
    /// The pods grouped against cpu samples, for `resource`.
    fn groups(pods: &[PodObservation], samples: &[(&str, i64)], resource: &str) -> PodGroups {
        let samples = cpu(samples);
        let c = ctx(pods);
        let index = PodIndex::of(pods);
        let mut slots = Slots::new(pods, &index);
        let metrics = resource_samples(&samples, &mut slots, "cpu", None).unwrap();
        group_pods(&slots, &metrics, resource, &c)
    }
    /// The request of the first pod.
    fn request(
        pods: &[PodObservation],
        container: Option<&str>,
        resource: &str,
        gate: bool,
    ) -> Result<i64, String> {
        let index = PodIndex::of(pods);
        let slots = Slots::new(pods, &index);
        calculate_requests(&slots, container, resource, gate).map(|r| r[0].unwrap())
    }
    fn cpu(samples: &[(&str, i64)]) -> Vec<PodResourceSample> {
        samples
            .iter()
            .map(|(n, v)| PodResourceSample::cpu(n, 0.0, 60.0, *v))
            .collect()
    }

    #[test]
    fn pods_sharing_containers_still_differ_by_pod_level_requests_and_overhead() {
        let a = pod("a", 300);
        let b = PodObservation {
            name: "b".into(),
            pod_requests: Some(Requests::cpu(700)),
            ..a.clone()
        };
        let c = PodObservation {
            name: "c".into(),
            overhead: Some(Requests::cpu(50)),
            ..b.clone()
        };
        let d = PodObservation {
            name: "d".into(),
            ..c.clone()
        };
        let pods = [a, b, c, d];
        let index = PodIndex::of(&pods);
        let slots = Slots::new(&pods, &index);
        let r = calculate_requests(&slots, None, "cpu", true).unwrap();
        assert_eq!(r, [Some(300), Some(700), Some(750), Some(750)]);
        // The first pod that cannot be counted is the one named.
        let e = calculate_requests(&slots, None, "memory", false).unwrap_err();
        assert_eq!(e, "missing request for memory in container app of Pod a");
    }

    #[test]
    fn tolerance_band_is_inclusive_at_both_ends() {
        let t = Tolerances::both(0.1);
        assert!(t.is_within(1.1)); // 110/100 is the same double as 1+0.1
        assert!(t.is_within(110.0 / 100.0));
        assert!(t.is_within(0.9));
        assert!(!t.is_within(1.1000000000000003));
        assert!(!t.is_within(0.8999999999999999));
        // the pre-1.33 symmetric form would have said no at 1.1
        assert!((1.0f64 - 1.1).abs() > 0.1);
    }

    #[test]
    fn v02_rounding_halfway_ceil_is_4() {
        // util 40, target 30: the double nearest 40/30 times 3 rounds to exactly 4.0
        let pods = vec![pod("a", 1000), pod("b", 1000), pod("c", 1000)];
        let p = resource_utilization_replicas(
            3,
            30,
            "cpu",
            None,
            &cpu(&[("a", 400), ("b", 400), ("c", 400)]),
            &ctx(&pods),
        )
        .unwrap();
        assert_eq!(p.current.average_utilization, Some(40));
        assert_eq!(p.replicas, 4);
    }

    #[test]
    fn pods_sharing_a_name_share_its_sample_and_samples_of_unknown_pods_are_skipped() {
        // As upstream's name-keyed maps: both pods `a` read a's sample and count as ready;
        // `z` matches no pod, so it has no request and stays out of the utilization.
        let pods = vec![pod("a", 1000), pod("a", 1000), pod("b", 1000)];
        let p = resource_utilization_replicas(
            3,
            50,
            "cpu",
            None,
            &cpu(&[("b", 800), ("z", 5000), ("a", 800)]),
            &ctx(&pods),
        )
        .unwrap();
        assert_eq!(p.current.average_utilization, Some(80));
        assert_eq!(p.groups.as_ref().unwrap().ready, 3);
        assert_eq!(p.replicas, 5); // ceil(1.6 × 3)
    }

    #[test]
    fn missing_pods_on_scale_down_use_target_when_above_100_percent() {
        // target 200%: ratio < 1 -> missing pod counted at 200% of its request
        let pods = vec![pod("a", 1000), pod("b", 1000), pod("c", 1000)];
        let p = resource_utilization_replicas(
            3,
            200,
            "cpu",
            None,
            &cpu(&[("a", 100), ("b", 100)]),
            &ctx(&pods),
        )
        .unwrap();
        // util=10, ratio 0.05; adjusted: (100+100+2000)*100/3000 = 73 -> 0.365 -> ceil(1.095)=2
        assert_eq!(p.adjusted_ratio, Some(73.0 / 200.0));
        assert_eq!(p.replicas, 2);
    }

    #[test]
    fn missing_pods_not_added_when_ratio_is_exactly_one() {
        // V27: ratio exactly 1 -> missing pods added neither way; new ratio = 1 within -> current
        let pods = vec![pod("a", 1000), pod("b", 1000), pod("c", 1000)];
        let p = resource_utilization_replicas(
            3,
            50,
            "cpu",
            None,
            &cpu(&[("a", 500), ("b", 500)]),
            &ctx(&pods),
        )
        .unwrap();
        assert_eq!(p.usage_ratio, 1.0);
        assert_eq!(p.adjusted_ratio, Some(1.0));
        assert_eq!(p.replicas, 3);
    }

    #[test]
    fn unready_pods_stay_out_on_scale_down() {
        // V19-like: an unready pod with a high sample is dropped; ratio < 1 so it is not re-added
        let mut pods = vec![pod("a", 1000), pod("b", 1000), pod("c", 1000)];
        pods[2].ready = Some(ReadyCondition {
            status: ConditionStatus::False,
            last_transition_time: -3600.0,
        });
        let p = resource_utilization_replicas(
            3,
            50,
            "cpu",
            None,
            &cpu(&[("a", 100), ("b", 100), ("c", 900)]),
            &ctx(&pods),
        )
        .unwrap();
        assert_eq!(p.current.average_utilization, Some(10));
        assert_eq!(p.replicas, 1); // ceil(0.2 * 2)
    }

    #[test]
    fn pod_that_became_unready_later_is_counted_after_init_period() {
        // Started 3600 s ago, ready at +5 s (before start+delay 10 s) then went unready at -100 s:
        // lastTransitionTime (-100) >= start+delay -> counted as ready, its CPU used.
        let mut pods = vec![pod("a", 1000), pod("b", 1000)];
        pods[1].ready = Some(ReadyCondition {
            status: ConditionStatus::False,
            last_transition_time: -100.0,
        });
        let p = resource_utilization_replicas(
            2,
            50,
            "cpu",
            None,
            &cpu(&[("a", 1000), ("b", 1000)]),
            &ctx(&pods),
        )
        .unwrap();
        assert_eq!(p.groups.as_ref().unwrap().ready, 2);
        assert_eq!(p.replicas, 4);
        // never ready since start (transition before start+delay): unready
        pods[1].ready = Some(ReadyCondition {
            status: ConditionStatus::False,
            last_transition_time: -3595.0,
        });
        let p = resource_utilization_replicas(
            2,
            50,
            "cpu",
            None,
            &cpu(&[("a", 1000), ("b", 1000)]),
            &ctx(&pods),
        )
        .unwrap();
        assert_eq!(p.groups.as_ref().unwrap().unready.len(), 1);
    }

    #[test]
    fn ready_unknown_behaves_as_true_and_missing_condition_is_unready() {
        let mut pods = vec![pod("a", 1000), pod("b", 1000)];
        pods[0].ready = Some(ReadyCondition {
            status: ConditionStatus::Unknown,
            last_transition_time: -3600.0,
        });
        pods[1].ready = None;
        let g = groups(&pods, &[("a", 1), ("b", 1)], "cpu");
        assert_eq!(g.ready, 1);
        assert!(g.unready.contains("b"));
        // memory ignores readiness entirely
        let g = groups(&pods, &[("a", 1), ("b", 1)], "memory");
        assert_eq!(g.ready, 2);
    }

    #[test]
    fn succeeded_pods_are_ignored_not_missing() {
        let mut pods = vec![pod("a", 1000), pod("b", 1000)];
        pods[1].phase = PodPhase::Succeeded;
        let g = groups(&pods, &[("a", 1)], "cpu");
        assert!(g.ignored.contains("b"));
        assert!(g.missing.is_empty());
    }

    #[test]
    fn sidecar_requests_count_and_missing_request_errors() {
        let mut p = pod("a", 500);
        p.containers = [
            p.containers[0].clone(),
            ContainerSpec {
                name: "proxy".into(),
                requests: Requests::cpu(100),
                sidecar: true,
                init: false,
            },
        ]
        .into();
        assert_eq!(
            request(std::slice::from_ref(&p), None, "cpu", true).unwrap(),
            600
        );
        assert_eq!(
            request(std::slice::from_ref(&p), Some("proxy"), "cpu", true).unwrap(),
            100
        );
        let e = request(std::slice::from_ref(&p), Some("nope"), "cpu", true).unwrap_err();
        assert!(e.contains("container nope not found"), "{e}");
        let mut more = p.containers.to_vec();
        more.push(ContainerSpec {
            name: "nolimit".into(),
            requests: Requests::default(),
            sidecar: false,
            init: false,
        });
        p.containers = more.into();
        let e = request(std::slice::from_ref(&p), None, "cpu", true).unwrap_err();
        assert!(
            e.contains("missing request for cpu in container nolimit"),
            "{e}"
        );
        // pod-level requests win when the gate is on and no container is named
        p.pod_requests = Some(Requests::cpu(2000));
        assert_eq!(
            request(std::slice::from_ref(&p), None, "cpu", true).unwrap(),
            2000
        );
        assert!(request(std::slice::from_ref(&p), None, "cpu", false).is_err());
    }

    #[test]
    fn sample_missing_a_container_resource_means_no_sample() {
        let mut s = PodResourceSample::cpu("a", 0.0, 60.0, 100);
        s.containers.push(Default::default());
        let index = PodIndex::default();
        let mut slots = Slots::new(&[], &index);
        let one = [s];
        assert!(
            resource_samples(&one, &mut slots, "cpu", None)
                .unwrap()
                .is_empty()
        );
        assert!(resource_samples(&one, &mut slots, "cpu", Some("other")).is_err());
        assert!(resource_samples(&[], &mut slots, "cpu", None).is_err());
    }

    #[test]
    fn huge_values_saturate_without_panicking() {
        let pods = vec![pod("a", 1)];
        let e = resource_utilization_replicas(
            1,
            50,
            "cpu",
            None,
            &cpu(&[("a", i64::MAX)]),
            &ctx(&pods),
        )
        .unwrap_err();
        assert!(e.contains("outside the int32 range"), "{e}");
        let p = external_value_replicas(3, 1, &[i64::MAX, i64::MAX], &ctx(&pods)).unwrap();
        assert_eq!(p.current.value_milli, Some(i64::MAX));
        assert_eq!(p.replicas, i32::MAX); // one ready pod: ceil(9.2e18 × 1) saturates at MaxInt32
        let p = external_average_value_replicas(0, 1000, &[5000], Tolerances::both(0.1));
        assert_eq!(p.replicas, 5);
        assert_eq!(p.current.average_value_milli, Some(i64::MAX));
    }

    #[test]
    fn pod_level_requests_aggregate_containers_override_set_resources_and_add_overhead() {
        let c = |name: &str, cpu: Option<i64>, mem: Option<i64>, sidecar: bool, init: bool| {
            ContainerSpec {
                name: name.into(),
                requests: Requests {
                    cpu_milli: cpu,
                    memory_milli: mem,
                },
                sidecar,
                init,
            }
        };
        let mut p = pod("a", 500);
        p.containers = [
            c("app", Some(500), Some(1000), false, false),
            c("proxy", Some(100), Some(200), true, false),
            // runs after the sidecar started: 2000 + 100 cpu at its peak
            c("migrate", Some(2000), None, false, true),
        ]
        .into();
        // Only cpu set at pod level: a memory metric uses the containers' aggregate (the old
        // code failed with "missing pod-level request").
        p.pod_requests = Some(Requests::cpu(800));
        p.overhead = Some(Requests {
            cpu_milli: Some(250),
            memory_milli: Some(64),
        });
        let pods = std::slice::from_ref(&p);
        assert_eq!(request(pods, None, "cpu", true).unwrap(), 800 + 250);
        assert_eq!(
            request(pods, None, "memory", true).unwrap(),
            1000 + 200 + 64
        );
        // Without the pod-level cpu the init container's peak (migrate + proxy) sets the
        // aggregate, but only pod-level requests switch to it: here memory is set at pod level.
        p.pod_requests = Some(Requests {
            cpu_milli: None,
            memory_milli: Some(4000),
        });
        let pods = std::slice::from_ref(&p);
        assert_eq!(pod_level_request(&p, "cpu"), Some(2100 + 250));
        assert_eq!(request(pods, None, "cpu", true).unwrap(), 2350);
        assert_eq!(request(pods, None, "memory", true).unwrap(), 4064);
        // The per-container path never counts an ordinary init container.
        assert_eq!(request(pods, None, "cpu", false).unwrap(), 600);
        assert!(request(pods, Some("migrate"), "cpu", true).is_err());
        // Nothing requests the resource anywhere: upstream's error.
        p.overhead = None;
        p.pod_requests = Some(Requests::cpu(800));
        p.containers = [c("app", Some(500), None, false, false)].into();
        let e = request(std::slice::from_ref(&p), None, "memory", true).unwrap_err();
        assert!(
            e.contains("missing pod-level request for memory in Pod a"),
            "{e}"
        );
        assert_eq!(
            request(std::slice::from_ref(&p), None, "cpu", true).unwrap(),
            800
        );
    }
}
