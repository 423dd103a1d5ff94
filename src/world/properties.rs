//! Properties that must hold for any scenario: requests are conserved, pod counts stay
//! consistent and within bounds, and simulated time never goes backwards — also with nodes and
//! node autoscalers, queue caps, client retries, liveness restarts and CFS quotas switched on.

use super::nodes::NodeState;
use super::{PodState, World, WorldConfig};
use crate::settings::dist::Dist;
use crate::settings::nodes::{
    Cluster, ClusterAutoscaler, ConsolidationPolicy, Karpenter, NodeAutoscaler, NodePool,
};
use crate::settings::overload::{Liveness, Overload, Retries};
use crate::settings::workload::{Balancer, WorkloadKind};
use crate::trace::Trace;
use proptest::prelude::*;
use std::sync::Arc;

/// A pod template of twice the default size: 1 core requested, a 2-core limit.
pub(super) fn doubled() -> crate::settings::workload::PodResources {
    crate::settings::workload::PodResources {
        cpu_request: Some(1.0),
        cpu_limit: Some(2.0),
        ..Default::default()
    }
}

/// Step the world to `until`, calling `check` after every event.
pub(super) fn run(w: &mut World, until: f64, mut check: impl FnMut(&World)) {
    while w.next_time() <= until {
        w.step();
        check(w);
    }
}

/// An http workload of `conc` workers a pod, 100 ms requests, no timeout or limit, random
/// balancing, request level: the quiet world the controllers' unit tests drive.
pub(super) fn idle_config(conc: u32) -> WorldConfig {
    config(
        WorkloadKind::Http,
        conc,
        None,
        None,
        Balancer::Random,
        Dist::constant(0.1),
        false,
    )
}

pub(super) fn config(
    kind: WorkloadKind,
    conc: u32,
    timeout: Option<f64>,
    limit: Option<f64>,
    balancer: Balancer,
    service: Dist,
    fluid: bool,
) -> WorldConfig {
    WorldConfig {
        kind,
        service,
        concurrency: conc,
        cores_per_request: 0.5,
        cpu_capacity: limit.unwrap_or(f64::INFINITY),
        timeout,
        balancer,
        startup: Dist::Uniform {
            min: 1.0,
            max: 20.0,
        },
        time_to_ready: 3.0,
        termination_grace: 10.0,
        endpoint_delay: 1.0,
        pre_stop: 2.0,
        memory_baseline: 0.0,
        memory_per_request: 0.0,
        startup_burst: (0.5, 10.0),
        warmup: (0.5, 15.0),
        fluid_step: if fluid { Some(1.0) } else { None },
        partitions: None,
        overload: Overload::default(),
        cluster: None,
        template: Default::default(),
        strategy: Default::default(),
        stateful: None,
    }
}

/// The optional mechanisms a case turns on.
#[derive(Debug, Clone)]
struct Extras {
    max_queue: Option<u32>,
    retries: Option<(u32, f64, bool, bool, bool)>,
    liveness: Option<(f64, f64, u32)>,
    cfs: bool,
    /// (node cpu, max pods, initial nodes, max nodes, autoscaler 0 none / 1 CA / 2 Karpenter)
    nodes: Option<(f64, u32, u32, u32, u8)>,
}

fn arb_extras() -> impl Strategy<Value = Extras> {
    (
        proptest::option::of(0u32..6),
        proptest::option::of((
            0u32..4,
            0.0f64..2.0,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )),
        proptest::option::of((1.0f64..15.0, 0.05f64..2.0, 1u32..4)),
        any::<bool>(),
        proptest::option::of((0.6f64..4.0, 1u32..6, 0u32..4, 1u32..6, 0u8..3)),
    )
        .prop_map(|(max_queue, retries, liveness, cfs, nodes)| Extras {
            max_queue,
            retries,
            liveness,
            cfs,
            nodes,
        })
}

fn apply(cfg: &mut WorldConfig, x: &Extras) {
    let http = cfg.kind == WorkloadKind::Http;
    cfg.overload = Overload {
        max_queue: x.max_queue.filter(|_| http),
        retries: x
            .retries
            .filter(|_| http)
            .map(|(max, backoff, t, r, reset)| Retries {
                max,
                backoff,
                multiplier: 2.0,
                max_backoff: 5.0,
                jitter: 0.5,
                on_timeout: t,
                on_rejected: r,
                on_reset: reset,
            }),
        liveness: x
            .liveness
            .map(|(period, timeout, failure_threshold)| Liveness {
                initial_delay: 0.0,
                period,
                timeout,
                failure_threshold,
            }),
        cfs_period: if x.cfs { Some(0.1) } else { None },
    };
    cfg.cluster = x
        .nodes
        .map(|(cpu, max_pods, initial, max, kind)| cluster(cpu, max_pods, initial, max, kind));
}

/// Nodes of 2 cores and 4 pod slots, one at the start, up to 4 under the Cluster Autoscaler.
pub(super) fn apply_nodes(cfg: &mut WorldConfig) {
    cfg.cluster = Some(cluster(2.0, 4, 1, 4, 1));
}

/// One pool of nodes of `cpu` cores and `max_pods` slots, `initial` of them at the start, at
/// most `max`, under node autoscaler `kind` (see [`autoscaler`]).
fn cluster(cpu: f64, max_pods: u32, initial: u32, max: u32, kind: u8) -> Cluster {
    Cluster {
        pools: vec![NodePool {
            name: "p".into(),
            node_type: "t".into(),
            cpu,
            memory: 8e9,
            max_pods,
            daemonset_cpu: 0.1,
            daemonset_memory: 1e8,
            price_per_hour: 0.1,
            initial,
            min: 0,
            max: max.max(initial),
            provisioning: Dist::Uniform {
                min: 5.0,
                max: 40.0,
            },
        }],
        autoscaler: autoscaler(kind),
        pod_cpu: 0.25,
        pod_memory: 1e8,
    }
}

/// A trace of `rates` (requests a second), one a minute, ending after the last minute.
pub(super) fn minute_trace(rates: Vec<f64>) -> Arc<Trace> {
    let n = rates.len();
    let times: Vec<f64> = (0..n).map(|i| i as f64 * 60.0).collect();
    Arc::new(Trace::from_rows(times, rates, n as f64 * 60.0))
}

/// Liveness probes of (period, timeout, failure threshold) from each container's start.
pub(super) fn liveness_of(probe: Option<(f64, f64, u32)>) -> Option<Liveness> {
    probe.map(|(period, timeout, failure_threshold)| Liveness {
        initial_delay: 0.0,
        period,
        timeout,
        failure_threshold,
    })
}

/// Run `w` to `duration` through replica `changes` (instant, replicas; in any order), each
/// leg by `run_to`, and finish it.
pub(super) fn run_through_changes(
    w: &mut World,
    changes: &[(f64, i32)],
    duration: f64,
    mut run_to: impl FnMut(&mut World, f64),
) {
    let mut changes = changes.to_vec();
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (at, replicas) in changes {
        run_to(w, at);
        w.set_replicas(at, replicas);
    }
    run_to(w, duration);
    w.finish(duration);
}

/// Everything a run leaves behind that the request path writes: the totals, the time series,
/// the latency and wait distributions, and every pod (its clock and CPU integral to the bit,
/// its counters).
pub(super) fn outcome(w: &World) -> String {
    let r = w.recorder();
    let pods: Vec<_> = w.pods().iter().collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        r.totals(),
        r.series(),
        r.latency(),
        r.wait(),
        pods
    )
}

/// A node autoscaler: 0 none, 1 Cluster Autoscaler, else Karpenter (short timers).
fn autoscaler(kind: u8) -> NodeAutoscaler {
    match kind {
        0 => NodeAutoscaler::None,
        1 => NodeAutoscaler::ClusterAutoscaler(ClusterAutoscaler {
            scan_interval: 10.0,
            utilization_threshold: 0.5,
            unneeded_time: 30.0,
            delay_after_add: 20.0,
            scale_down_enabled: true,
            max_empty_bulk_delete: 10,
        }),
        _ => NodeAutoscaler::Karpenter(Karpenter {
            batch_idle: 1.0,
            batch_max: 10.0,
            consolidation: ConsolidationPolicy::WhenEmptyOrUnderutilized,
            consolidate_after: 0.0,
            budget: 0.1,
            poll: 10.0,
            validation: 15.0,
        }),
    }
}

/// Service times: exponential, constant or lognormal, of random means and spreads.
pub(super) fn arb_service() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0.01f64..2.0).prop_map(|m| Dist::Exponential { mean: m }),
        (0.0f64..1.0).prop_map(Dist::constant),
        (0.05f64..1.0, 0.1f64..3.0).prop_map(|(m, cv)| Dist::lognormal_from_cv(m, cv).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))), ..ProptestConfig::default() })]

    #[test]
    fn conservation_bounds_and_monotone_time(
        queue in any::<bool>(),
        fluid in any::<bool>(),
        conc in 1u32..5,
        timeout in proptest::option::of(0.05f64..5.0),
        limit in proptest::option::of(0.2f64..3.0),
        balancer in prop_oneof![Just(Balancer::Random), Just(Balancer::RoundRobin), Just(Balancer::LeastRequest)],
        service in arb_service(),
        rates in proptest::collection::vec(0.0f64..40.0, 1..6),
        initial in 0i32..6,
        changes in proptest::collection::vec((0.0f64..300.0, 0i32..12), 0..8),
        seed in any::<u64>(),
        extras in proptest::option::of(arb_extras()),
    ) {
        let kind = if queue { WorkloadKind::Queue } else { WorkloadKind::Http };
        let n = rates.len();
        let times: Vec<f64> = (0..n).map(|i| i as f64 * 60.0).collect();
        let trace = Arc::new(Trace::from_rows(times, rates, n as f64 * 60.0));
        let duration = 300.0;
        let mut cfg = config(kind, conc, timeout, limit, balancer, service, fluid);
        if let Some(x) = &extras {
            apply(&mut cfg, x);
        }
        let nodes = cfg.cluster.clone();
        let mut world = World::new(cfg, trace, seed, duration, 5.0, initial);
        let mut changes = changes;
        changes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut next_change = 0;
        let mut last_t = 0.0f64;
        let mut max_replicas = initial;
        loop {
            let t = world.next_time();
            let tc = changes.get(next_change).map_or(f64::INFINITY, |c| c.0);
            if t.min(tc) > duration { break; }
            if tc < t {
                world.set_replicas(tc, changes[next_change].1);
                max_replicas = max_replicas.max(changes[next_change].1);
                next_change += 1;
                continue;
            }
            prop_assert!(t >= last_t, "time went backwards: {t} < {last_t}");
            last_t = t;
            world.step();
            let pods = world.pods();
            prop_assert_eq!(pods.active(), pods.spec_replicas());
            let c = pods.counts();
            let not_gone = pods.iter().filter(|p| p.state != PodState::Gone).count() as u32;
            prop_assert_eq!(c.total(), not_gone);
            prop_assert!(pods.spec_replicas() >= 0 && pods.spec_replicas() <= max_replicas.max(initial));
            for p in pods.iter() {
                prop_assert!(p.in_service.len() <= conc as usize);
            }
            if let Some(c) = &nodes {
                // Every live pod is bound to a live node or waiting for one; no node holds
                // more than it has room for.
                let unscheduled = pods.iter().filter(|p| p.unscheduled).count() as u32;
                prop_assert_eq!(unscheduled, pods.counts().unscheduled);
                for p in pods.iter().filter(|p| p.state != PodState::Gone) {
                    match p.node {
                        Some(n) => {
                            let node = world.nodes().get(n);
                            prop_assert!(node.state != NodeState::Gone && node.pods.contains(&p.id));
                            prop_assert!(node.state != NodeState::Provisioning);
                        }
                        None => prop_assert!(p.unscheduled && p.state == PodState::Pending),
                    }
                }
                for node in world.nodes().iter() {
                    let pool = &c.pools[node.pool];
                    prop_assert!(node.pods.len() as u32 <= pool.max_pods);
                    prop_assert!(pool.daemonset_cpu + node.cpu_requested <= pool.cpu + 1e-6);
                    if node.state == NodeState::Gone {
                        prop_assert!(node.pods.is_empty());
                    }
                }
                let live = world.nodes().live();
                prop_assert!(live <= c.pools[0].max.max(c.pools[0].initial));
            }
        }
        world.finish(duration);
        let t = world.recorder().totals();
        prop_assert_eq!(t.arrived, t.served + t.dropped + t.timed_out + t.in_flight_end);
        prop_assert_eq!(
            t.dropped,
            t.dropped_no_endpoints + t.dropped_refused_terminating + t.dropped_killed_on_shutdown
                + t.dropped_rejected + t.dropped_restarted
        );
        prop_assert!(t.rejected >= t.dropped_rejected);
        if extras.as_ref().is_none_or(|x| x.retries.is_none()) || queue {
            prop_assert_eq!(t.retries, 0);
        }
        let s = world.recorder().series();
        let per_step = |v: &[u32]| v.iter().map(|&x| x as u64).sum::<u64>();
        prop_assert_eq!(per_step(&s.arrivals), t.arrived);
        prop_assert_eq!(per_step(&s.served), t.served);
        prop_assert_eq!(per_step(&s.dropped), t.dropped);
        prop_assert_eq!(per_step(&s.timed_out), t.timed_out);
        prop_assert_eq!(per_step(&s.retries), t.retries);
        prop_assert_eq!(per_step(&s.rejected), t.rejected);
        prop_assert_eq!(per_step(&s.restarts), world.pods().restarts());
        let throttled: f64 = s.throttled_s.iter().sum();
        prop_assert!((throttled - world.pods().throttled_seconds()).abs() < 1e-6 * (1.0 + throttled));
        prop_assert_eq!(world.recorder().latency().count(), t.served);
        // Time-weighted integrals are bounded by what existed.
        if let Some(c) = &nodes {
            let max_nodes = world.nodes().len() as f64;
            prop_assert!(world.nodes().node_seconds() <= max_nodes * duration + 1e-6);
            prop_assert!(world.nodes().pending_pod_seconds() <= world.pods().pod_seconds() + 1e-6);
            if matches!(c.autoscaler, NodeAutoscaler::None) {
                // Fixed nodes: each is billed for the whole run.
                let billed = world.nodes().node_seconds();
                let expected = c.pools[0].initial as f64 * duration;
                prop_assert!((billed - expected).abs() < 1e-6 * (1.0 + expected), "{billed} vs {expected}");
            }
        }
    }
}

/// Found by the property above: a CFS period that ended with quota left, at an instant the
/// pod's clock had already reached, was never rolled over (`Pod::advance` skipped it when no
/// time had passed) and its event fired forever.
#[test]
fn cfs_on_a_shared_node_does_not_hang() {
    let service = Dist::Lognormal {
        mu: -1.1746758334487764,
        sigma: 1.1017926911105216,
    };
    let mut cfg = config(
        WorkloadKind::Queue,
        3,
        None,
        Some(1.1016993835562034),
        Balancer::RoundRobin,
        service,
        false,
    );
    apply(
        &mut cfg,
        &Extras {
            max_queue: None,
            retries: None,
            liveness: None,
            cfs: true,
            nodes: Some((3.845759672260794, 5, 3, 4, 1)),
        },
    );
    let trace = Arc::new(Trace::from_rows(
        vec![0.0, 60.0],
        vec![39.135882835987836, 6.616633073014116],
        120.0,
    ));
    let mut world = World::new(cfg, trace, 5561994406041423523, 300.0, 5.0, 2);
    let changes = [(142.7553974900935, 8), (157.44476164974472, 9)];
    let mut next_change = 0;
    let mut steps = 0u64;
    loop {
        let t = world.next_time();
        let tc = changes.get(next_change).map_or(f64::INFINITY, |c| c.0);
        if t.min(tc) > 300.0 {
            break;
        }
        if tc < t {
            world.set_replicas(tc, changes[next_change].1);
            next_change += 1;
        } else {
            world.step();
        }
        steps += 1;
        assert!(steps < 5_000_000, "stuck at t = {t}");
    }
}

/// Two pools (a small and a large node type) with a node autoscaler (`kind` 1: Cluster
/// Autoscaler, else Karpenter); the scenario's pods request 250m and 100 MB.
fn mixed_cluster(kind: u8, small_cpu: f64, initial: u32) -> Cluster {
    let pool = |name: &str, cpu: f64, memory: f64, max_pods: u32, initial: u32| NodePool {
        name: name.into(),
        node_type: name.into(),
        cpu,
        memory,
        max_pods,
        daemonset_cpu: 0.1,
        daemonset_memory: 1e8,
        price_per_hour: cpu / 10.0,
        initial,
        min: 0,
        max: 4,
        provisioning: Dist::Uniform {
            min: 5.0,
            max: 40.0,
        },
    };
    Cluster {
        pools: vec![
            pool("small", small_cpu, 2e9, 6, initial),
            pool("large", 4.0, 8e9, 20, 0),
        ],
        autoscaler: autoscaler(kind),
        pod_cpu: 0.25,
        pod_memory: 1e8,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))), ..ProptestConfig::default() })]

    /// Rollouts to templates of other requests (bigger, smaller, too big for a node type) while
    /// the replicas change: no node is ever promised more than its allocatable, a node's
    /// requests are those of the pods bound to it, and no waiting pod fits on a Ready node
    /// (a big waiting pod never holds back a smaller one).
    #[test]
    fn node_allocations_stay_within_allocatable_with_mixed_shapes(
        kind in 1u8..3,
        small_cpu in 0.6f64..2.0,
        initial_nodes in 0u32..3,
        initial in 0i32..8,
        rollouts in proptest::collection::vec((0.0f64..300.0, 0.05f64..5.0, 5e7f64..3e9, any::<bool>()), 1..4),
        changes in proptest::collection::vec((0.0f64..300.0, 0i32..14), 0..6),
        rate in 0.0f64..40.0,
        seed in any::<u64>(),
    ) {
        use crate::manifest::deployment::Strategy as Rollout;
        use crate::settings::workload::PodResources;
        let trace = Arc::new(Trace::from_rows(vec![0.0], vec![rate], 300.0));
        let mut cfg = config(WorkloadKind::Http, 2, Some(5.0), None, Balancer::Random, Dist::constant(0.1), false);
        cfg.cluster = Some(mixed_cluster(kind, small_cpu, initial_nodes));
        let c = cfg.cluster.clone().unwrap();
        let mut world = World::new(cfg, trace, seed, 300.0, 5.0, initial);
        // (time, Some(template) for a rollout or None, replicas)
        let mut agenda: Vec<(f64, Option<PodResources>, i32)> = changes.iter().map(|&(t, n)| (t, None, n)).collect();
        for &(t, cpu, memory, recreate) in &rollouts {
            let template = PodResources { cpu_request: Some(cpu), memory_request: Some(memory), cpu_limit: Some(cpu * 2.0), ..Default::default() };
            agenda.push((t, Some(template), if recreate { 1 } else { 0 }));
        }
        agenda.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut next = 0;
        loop {
            let t = world.next_time();
            let tc = agenda.get(next).map_or(f64::INFINITY, |a| a.0);
            if t.min(tc) > 300.0 { break; }
            if tc < t {
                match agenda[next].1.clone() {
                    Some(template) => {
                        let strategy = if agenda[next].2 == 1 { Rollout::Recreate } else { Rollout::default() };
                        world.roll_out(tc, template, strategy);
                    }
                    None => world.set_replicas(tc, agenda[next].2),
                }
                next += 1;
            } else {
                world.step();
            }
            let pods = world.pods();
            for node in world.nodes().live_nodes() {
                let pool = &c.pools[node.pool];
                prop_assert!(node.pods.len() as u32 <= pool.max_pods);
                let (cpu, memory) = node.pods.iter().fold((0.0, 0.0), |a, &p| {
                    let s = world.pod_shape(p);
                    (a.0 + s.0, a.1 + s.1)
                });
                prop_assert!((cpu - node.cpu_requested).abs() < 1e-6, "node {} holds {cpu} cores of pods, counts {}", node.id, node.cpu_requested);
                prop_assert!((memory - node.memory_requested).abs() < 1.0);
                prop_assert!(pool.daemonset_cpu + cpu <= pool.cpu + 1e-6, "node {} ({}): {cpu} cores requested", node.id, pool.name);
                prop_assert!(pool.daemonset_memory + memory <= pool.memory + 1.0);
            }
            for p in pods.iter().filter(|p| p.unscheduled) {
                prop_assert_eq!(p.state, PodState::Pending);
                prop_assert!(world.find_node(world.pod_shape(p.id)).is_none(), "pod {} waits though a node has room", p.id);
            }
        }
    }
}
