//! A Resource metric's Utilization proposal from a [`MetricReading::PodUsages`] answer in one
//! pass over the pods (docs/performance.md, "HPA decision core").
//!
//! [`super::replica_calc::resource_usages`] then
//! [`super::replica_calc::resource_utilization_replicas_in`] build per-slot samples, group the
//! pods, drop the samples of the ignored and unready pods by name, work out every pod's request
//! and sum them, then on an adjustment fill the missing and unready pods by name and sum again.
//! When every pod has a slot of its own (no two pods share a name, the simulation's case) and
//! no container is named, all of that is one walk over the pods: each pod's group, its request
//! and its share of the sums are known where it stands, and the adjustment's fills are sums of
//! the missing and unready pods' requests kept on the way. The sums are exact integers, so
//! their order does not matter; anything else (an error on the way, shared names, a container)
//! goes the general way, which then answers as it always has.
//!
//! The walk itself is [`one_pass`] over [`PassPod`]s, so a caller that keeps no pod list can
//! give it the pods as it holds them: the simulation's driver walks its world's pods through
//! it (a borrowed view, see `crate::sim::hpa_driver`) and lists them only when the pass does
//! not answer.
//!
//! [`MetricReading::PodUsages`]: super::MetricReading::PodUsages

use super::observation::{Name, PodObservation, PodResourceUsage, PodStatus};
use super::pod_slots::{PodMetric, Slots};
use super::replica_calc::{
    CalcContext, CurrentValue, Group, PodGroups, Proposal, adjusted, clamp_i64, pod_request,
    same_request_inputs, status_group, unadjusted, utilization_of_sums,
};

/// Sums over a set of pods: usage and request (milli-units) and how many.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    usage: i128,
    request: i128,
    n: i128,
}

/// [`Sums`] as the walk adds them up, in 64 bits (fewer registers in the loop over the pods):
/// a sum that would overflow makes the one pass give up, and the general way, which sums in
/// 128 bits, answers.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    usage: i64,
    request: i64,
    n: i64,
}

impl Tally {
    /// Add a pod; `None` on overflow.
    #[inline]
    fn add(&mut self, usage: i64, request: i64) -> Option<()> {
        self.usage = self.usage.checked_add(usage)?;
        self.request = self.request.checked_add(request)?;
        self.n += 1;
        Some(())
    }

    fn wide(self) -> Sums {
        Sums {
            usage: self.usage.into(),
            request: self.request.into(),
            n: self.n.into(),
        }
    }
}

impl Sums {
    fn plus(self, o: Sums) -> Sums {
        Sums {
            usage: self.usage + o.usage,
            request: self.request + o.request,
            n: self.n + o.n,
        }
    }
}

/// One pod as the one pass reads it: its status, a pod with the same request inputs (the
/// pod itself, or another pod of its template: the same shared containers, pod-level requests
/// and overhead, see [`same_request_inputs`]), its name and metrics-server's sample of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PassPod<'a> {
    pub(crate) status: PodStatus,
    pub(crate) requests: &'a PodObservation,
    pub(crate) name: &'a Name,
    pub(crate) usage: Option<PodResourceUsage>,
}

/// The proposal of a Resource metric (`resource`, no container) with a `target_utilization`
/// target, from `usages` (entry `i` is pod `i`'s sample) on `slots`; exactly what
/// `resource_usages` then `resource_utilization_replicas_in` propose. `None` when the one pass
/// does not apply or either would fail: the caller then takes the general way.
pub(crate) fn usage_utilization_replicas(
    current: i32,
    target_utilization: i32,
    resource: &str,
    usages: &[Option<PodResourceUsage>],
    slots: &Slots<'_>,
    ctx: &CalcContext<'_>,
) -> Option<Proposal> {
    let pods = slots.pods();
    if pods.is_empty() || !slots.one_per_pod() || !std::ptr::eq(pods, ctx.pods) {
        return None;
    }
    // Entry `i` is pod `i`'s sample; pods past the entries have none.
    let mut samples = usages.iter();
    let walk = pods.iter().map(|pod| PassPod {
        status: pod.status(),
        requests: pod,
        name: &pod.name,
        usage: samples.next().copied().flatten(),
    });
    one_pass(current, target_utilization, resource, walk, ctx)
}

/// [`usage_utilization_replicas`] over the selector's pods as `pods` walks them, which must be
/// pods with names of their own (no two share one), each with its sample: what the one pass
/// proposes for the same pods listed with their samples (docs/performance.md, "HPA decision
/// core"; the simulation's driver walks its world's pods through it without listing them).
/// `ctx.pods` is not read.
pub(crate) fn one_pass<'a>(
    current: i32,
    target_utilization: i32,
    resource: &str,
    pods: impl Iterator<Item = PassPod<'a>>,
    ctx: &CalcContext<'_>,
) -> Option<Proposal> {
    let cpu = match resource {
        "cpu" => true,
        "memory" => false,
        _ => return None,
    };
    let mut groups = PodGroups::default();
    let (mut ready, mut missing, mut unready) =
        (Tally::default(), Tally::default(), Tally::default());
    // On a scale-down a missing pod counts at `max(100 %, target)` of its request.
    let fallback = 100.max(target_utilization) as i128;
    let mut missing_down: i128 = 0;
    let mut any_sample = false;
    let mut previous: Option<(&PodObservation, i64)> = None;
    for pod in pods {
        let usage = pod.usage.as_ref();
        any_sample |= usage.is_some();
        let metric = usage.and_then(|u| pod_metric(u, pod.requests, cpu));
        let request = match previous {
            Some((p, r))
                if std::ptr::eq(p, pod.requests) || same_request_inputs(p, pod.requests) =>
            {
                r
            }
            _ => {
                let r = pod_request(pod.requests, None, resource, ctx.pod_level_resources).ok()?;
                previous = Some((pod.requests, r));
                r
            }
        };
        let group = status_group(pod.status, || metric.as_ref(), cpu, ctx);
        match group {
            Group::Ready => ready.add(metric.map_or(0, |m| m.value), request)?,
            Group::Missing => {
                missing.add(0, request)?;
                missing_down += clamp_i64(request as i128 * fallback / 100) as i128;
            }
            Group::Unready => unready.add(0, request)?,
            Group::Ignored => {}
        }
        groups.add_name(group, pod.name);
    }
    if !any_sample || groups.ready == 0 {
        return None;
    }
    let (ready, missing, unready) = (ready.wide(), missing.wide(), unready.wide());
    let (ratio, utilization, raw) =
        utilization_of_sums(ready.usage, ready.request, ready.n, target_utilization).ok()?;
    let current_value = CurrentValue {
        average_utilization: Some(utilization),
        average_value_milli: Some(raw),
        value_milli: None,
    };
    let p = match unadjusted(current, current_value, ratio, groups, ctx.tolerances) {
        Ok(p) => return Some(p),
        Err(p) => p,
    };
    // The missing pods filled in (at the fallback on a scale-down, at zero on a scale-up), and
    // the unready ones at zero on a scale-up.
    let mut filled = ready;
    if ratio < 1.0 {
        filled = filled.plus(Sums {
            usage: missing_down,
            ..missing
        });
    } else if ratio > 1.0 {
        filled = filled.plus(missing);
    }
    if unready.n > 0 && ratio > 1.0 {
        filled = filled.plus(unready);
    }
    let (new_ratio, _, _) =
        utilization_of_sums(filled.usage, filled.request, filled.n, target_utilization).ok()?;
    adjusted(
        p,
        current,
        ratio,
        new_ratio,
        filled.n as usize,
        ctx.tolerances,
    )
    .ok()
}

/// Pod `pod`'s sample of `usage` (cpu, else memory) as the resource metrics client reads it: all
/// of it in the working container, none when the pod has no container.
fn pod_metric(u: &PodResourceUsage, pod: &PodObservation, cpu: bool) -> Option<PodMetric> {
    if pod.containers.is_empty() {
        return None;
    }
    let used = if cpu { u.cpu_milli } else { u.memory_milli };
    Some(PodMetric {
        value: if u.main < pod.containers.len() {
            used
        } else {
            0
        },
        timestamp: u.timestamp,
        window: u.window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::observation::{
        ConditionStatus, ContainerSpec, PodPhase, ReadyCondition, Requests,
    };
    use crate::hpa::pod_slots::PodIndex;
    use crate::hpa::replica_calc::{Tolerances, resource_usages, resource_utilization_replicas_in};
    use proptest::prelude::*;
    use std::sync::Arc;

    /// The general way: per-slot samples, then the calculator.
    fn general(
        current: i32,
        target: i32,
        resource: &str,
        usages: &[Option<PodResourceUsage>],
        slots: &Slots<'_>,
        ctx: &CalcContext<'_>,
    ) -> Result<Proposal, String> {
        let metrics = resource_usages(usages, slots, resource, None)?;
        resource_utilization_replicas_in(current, target, (resource, None), metrics, slots, ctx)
    }

    fn shapes() -> Vec<Arc<[ContainerSpec]>> {
        let c = |name: &str, cpu: Option<i64>, sidecar: bool| ContainerSpec {
            name: name.into(),
            requests: Requests {
                cpu_milli: cpu,
                memory_milli: Some(256_000),
            },
            sidecar,
            init: false,
        };
        vec![
            vec![c("app", Some(500), false)].into(),
            vec![c("app", Some(1000), false), c("proxy", Some(100), true)].into(),
            vec![c("app", None, false)].into(),
            Vec::new().into(),
        ]
    }

    #[derive(Debug, Clone)]
    struct PodCase {
        name: u8,
        shape: usize,
        phase: u8,
        ready: u8,
        transition: f64,
        start: Option<f64>,
        deleting: bool,
        pod_requests: Option<i64>,
        usage: Option<(i64, i64, f64, usize)>,
    }

    fn pod_case() -> impl Strategy<Value = PodCase> {
        (
            (0u8..40, 0usize..4, 0u8..6, 0u8..4, -200.0..100.0f64),
            (
                proptest::option::weighted(0.9, -300.0..100.0f64),
                proptest::bool::weighted(0.1),
                proptest::option::weighted(0.1, 0i64..2000),
                proptest::option::weighted(
                    0.8,
                    (0i64..3000, 0i64..1_000_000, -100.0..100.0f64, 0usize..3),
                ),
            ),
        )
            .prop_map(
                |(
                    (name, shape, phase, ready, transition),
                    (start, deleting, pod_requests, usage),
                )| {
                    PodCase {
                        name,
                        shape,
                        phase,
                        ready,
                        transition,
                        start,
                        deleting,
                        pod_requests,
                        usage,
                    }
                },
            )
    }

    /// The calculator's context the property tests share: upstream's default periods and
    /// tolerances over `pods`, the PodLevelResources gate as given.
    fn context(pods: &[PodObservation], gate: bool) -> CalcContext<'_> {
        CalcContext {
            now: 0.0,
            tolerances: Tolerances {
                down: 0.1,
                up: 0.05,
            },
            cpu_initialization_period: 120.0,
            initial_readiness_delay: 30.0,
            pod_level_resources: gate,
            pods,
        }
    }

    fn build(
        cases: &[PodCase],
        shapes: &[Arc<[ContainerSpec]>],
        common_shape: bool,
    ) -> (Vec<PodObservation>, Vec<Option<PodResourceUsage>>) {
        let pods = cases
            .iter()
            .map(|c| PodObservation {
                name: format!("web-{}", c.name).into(),
                phase: [
                    PodPhase::Running,
                    PodPhase::Running,
                    PodPhase::Running,
                    PodPhase::Pending,
                    PodPhase::Failed,
                    PodPhase::Succeeded,
                ][c.phase as usize],
                ready: match c.ready {
                    0 => None,
                    1 => Some(ReadyCondition {
                        status: ConditionStatus::False,
                        last_transition_time: c.transition,
                    }),
                    _ => Some(ReadyCondition {
                        status: ConditionStatus::True,
                        last_transition_time: c.transition,
                    }),
                },
                deleting: c.deleting,
                start_time: c.start,
                containers: shapes[if common_shape { 0 } else { c.shape }].clone(),
                pod_requests: c.pod_requests.map(Requests::cpu),
                overhead: None,
            })
            .collect();
        let usages = cases
            .iter()
            .map(|c| {
                c.usage.map(|(cpu, mem, t, main)| PodResourceUsage {
                    timestamp: t,
                    window: 15.0,
                    main,
                    cpu_milli: cpu,
                    memory_milli: mem,
                })
            })
            .collect();
        (pods, usages)
    }

    #[test]
    fn sums_past_64_bits_are_left_to_the_general_way() {
        let shapes = shapes();
        let case = |name| PodCase {
            name,
            shape: 0,
            phase: 0,
            ready: 2,
            transition: -500.0,
            start: Some(-500.0),
            deleting: false,
            pod_requests: None,
            usage: Some((i64::MAX / 2 + 1, 0, -10.0, 0)),
        };
        let (pods, usages) = build(&[case(1), case(2), case(3)], &shapes, true);
        let ctx = context(&pods, false);
        let index = PodIndex::of(&pods);
        let slots = Slots::new(&pods, &index);
        // The general way answers (here: a utilization past int32) as it always has.
        assert!(usage_utilization_replicas(3, 50, "cpu", &usages, &slots, &ctx).is_none());
        assert!(general(3, 50, "cpu", &usages, &slots, &ctx).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Whenever the one pass answers, it answers what the general way does; it answers
        /// whenever every pod has a name of its own and the general way proposes.
        #[test]
        fn the_one_pass_proposes_what_the_general_way_does(
            cases in proptest::collection::vec(pod_case(), 0..12),
            current in 0i32..20,
            target in prop_oneof![Just(0), 1i32..200],
            common_shape in proptest::bool::ANY,
            gate in proptest::bool::ANY,
            memory in proptest::bool::weighted(0.2),
            short in 0usize..3,
        ) {
            let shapes = shapes();
            let (pods, mut usages) = build(&cases, &shapes, common_shape);
            usages.truncate(usages.len().saturating_sub(short));
            let resource = if memory { "memory" } else { "cpu" };
            let ctx = context(&pods, gate);
            let index = PodIndex::of(&pods);
            let slots = Slots::new(&pods, &index);
            let want = general(current, target, resource, &usages, &slots, &ctx);
            let got = usage_utilization_replicas(current, target, resource, &usages, &slots, &ctx);
            if let Some(got) = &got {
                // Debug text: a NaN ratio (a zero target) is then equal to itself.
                prop_assert_eq!(format!("{:?}", Ok::<_, String>(got)), format!("{:?}", want.as_ref()));
            }
            let mut names: Vec<u8> = cases.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            if names.len() == cases.len() && want.is_ok() {
                prop_assert!(got.is_some());
            }
        }

        /// Over pods with names of their own, the pass walked from a view — each pod's request
        /// inputs read from another pod of its template, whose name and status differ —
        /// proposes what the pass over the listed pods does.
        #[test]
        fn the_pass_over_a_view_proposes_what_the_pass_over_the_list_does(
            cases in proptest::collection::vec(pod_case(), 0..12),
            current in 0i32..20,
            target in prop_oneof![Just(0), 1i32..200],
            common_shape in proptest::bool::ANY,
            gate in proptest::bool::ANY,
            memory in proptest::bool::weighted(0.2),
            short in 0usize..3,
        ) {
            let shapes = shapes();
            let mut cases = cases;
            for (i, c) in cases.iter_mut().enumerate() {
                c.name = i as u8;
            }
            let (pods, mut usages) = build(&cases, &shapes, common_shape);
            usages.truncate(usages.len().saturating_sub(short));
            let resource = if memory { "memory" } else { "cpu" };
            let ctx = context(&pods, gate);
            let index = PodIndex::of(&pods);
            let slots = Slots::new(&pods, &index);
            let listed = usage_utilization_replicas(current, target, resource, &usages, &slots, &ctx);
            // One template per distinct set of request inputs, named and set apart from its pods.
            let templates: Vec<PodObservation> = pods
                .iter()
                .map(|p| PodObservation {
                    name: "template".into(),
                    phase: PodPhase::Unknown,
                    ready: None,
                    deleting: true,
                    start_time: None,
                    ..p.clone()
                })
                .collect();
            let walk = pods.iter().zip(&templates).enumerate().map(|(i, (p, t))| PassPod {
                status: p.status(),
                requests: t,
                name: &p.name,
                usage: usages.get(i).copied().flatten(),
            });
            let view_ctx = CalcContext { pods: &[], ..ctx };
            let viewed = one_pass(current, target, resource, walk, &view_ctx);
            prop_assert_eq!(format!("{viewed:?}"), format!("{listed:?}"));
        }
    }
}
