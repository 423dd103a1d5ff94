//! Properties that must hold for any scenario: requests are conserved, pod counts stay
//! consistent and within bounds, and simulated time never goes backwards.

use proptest::prelude::*;
use scalesim::scenario::{Balancer, Dist, WorkloadKind};
use scalesim::trace::Trace;
use scalesim::world::{PodState, World, WorldConfig};
use std::sync::Arc;

fn config(
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
    }
}

fn arb_service() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0.01f64..2.0).prop_map(|m| Dist::Exponential { mean: m }),
        (0.0f64..1.0).prop_map(Dist::constant),
        (0.05f64..1.0, 0.1f64..3.0).prop_map(|(m, cv)| Dist::lognormal_from_cv(m, cv).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

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
    ) {
        let kind = if queue { WorkloadKind::Queue } else { WorkloadKind::Http };
        let n = rates.len();
        let times: Vec<f64> = (0..n).map(|i| i as f64 * 60.0).collect();
        let trace = Arc::new(Trace::from_rows(times, rates, n as f64 * 60.0));
        let duration = 300.0;
        let mut world = World::new(config(kind, conc, timeout, limit, balancer, service, fluid), trace, seed, duration, 5.0, initial);
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
            let active = world.pods.iter().filter(|p| p.is_active()).count() as i32;
            prop_assert_eq!(active, world.spec_replicas);
            let c = world.counts;
            let not_gone = world.pods.iter().filter(|p| p.state != PodState::Gone).count() as u32;
            prop_assert_eq!(c.total(), not_gone);
            prop_assert!(world.spec_replicas >= 0 && world.spec_replicas <= max_replicas.max(initial));
            for p in &world.pods {
                prop_assert!(p.in_service.len() <= conc as usize);
            }
        }
        world.finish(duration);
        let t = &world.totals;
        prop_assert_eq!(t.arrived, t.served + t.dropped + t.timed_out + t.in_flight_end);
        prop_assert_eq!(t.dropped, t.dropped_no_endpoints + t.dropped_refused_terminating + t.dropped_killed_on_shutdown);
        let s = &world.series;
        let per_step = |v: &[u32]| v.iter().map(|&x| x as u64).sum::<u64>();
        prop_assert_eq!(per_step(&s.arrivals), t.arrived);
        prop_assert_eq!(per_step(&s.served), t.served);
        prop_assert_eq!(per_step(&s.dropped), t.dropped);
        prop_assert_eq!(per_step(&s.timed_out), t.timed_out);
        prop_assert_eq!(world.latency.count(), t.served);
    }
}
