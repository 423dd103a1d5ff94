//! Simulated requests per second of wall time (run: `cargo bench --bench engine`).
//!
//! - `mmc_queue`: M/M/10 at utilisation 0.9 (a queue workload, fixed pods), the same model as
//!   `benches/simpy_mmc.py` so the two can be compared side by side on one core.
//! - `mmc_reference_event_heap`, `mmc_reference_recursion`: the same M/M/10 as the least a
//!   simulator must do, for scale: a bare event-heap simulation (arrivals and completions in a
//!   binary heap, a FIFO queue, the response times summed) and the Kiefer–Wolfowitz recursion
//!   for a FIFO multi-server queue (each customer starts on the server that frees first).
//!   `benches/side_by_side.sh` runs these, `mmc_queue` and SimPy in alternating rounds.
//! - `http_50_pods_hpa`: an http service on 50 pods under a CPU HPA.
//! - `nasa_aug_31_days`, `worldcup98_87_days`, `nyc_taxi_215_days`: long, quiet traces at
//!   request level (about 3 million requests each), whose cost should follow the requests, not
//!   the simulated seconds.
//! - `flow_day_100_pods`, `flow_day_10k_pods`, `flow_30d_churn`: flow level under a KEDA
//!   ScaledObject (Prometheus and CPU triggers): a day at ~100 pods, the same day at ~10,000,
//!   and 30 days of daily scaling (docs/performance.md, "Flow level under KEDA").

use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, run};
use scalesim::yaml::Source;

fn main() {
    divan::main();
}

fn scenario(yaml: &str) -> Scenario {
    Scenario::from_source(
        &Source::from_string("bench.yaml", yaml),
        &Overrides::default(),
    )
    .expect("bench scenario loads")
}

fn fixture(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/fixtures")
        .join(name);
    Scenario::load(&path, &Overrides::default()).expect("bench scenario loads")
}

/// Time whole runs of `s`, counting the requests each one simulates.
fn bench_runs(bencher: divan::Bencher, s: &Scenario) {
    let requests = run(s, &RunOptions::default()).unwrap().totals.arrived;
    bencher
        .counter(divan::counter::ItemsCount::new(requests))
        .bench(|| {
            run(divan::black_box(s), &RunOptions::default())
                .unwrap()
                .totals
                .arrived
        });
}

const MMC: &str = "name: mmc\nduration: 20000\nstep: 100\ntrace: {generate: {kind: constant, rate: 90}}\n\
workload: {kind: queue, service_time: {dist: exponential, mean: 100ms}}\npods: {replicas: 10}\n";

/// About 1.8 million requests per iteration.
#[divan::bench(sample_count = 10)]
fn mmc_queue(bencher: divan::Bencher) {
    bench_runs(bencher, &scenario(MMC));
}

/// An http service on 50 pods under a CPU HPA (benches/fixtures/http50.yaml): about 9.5 million
/// requests per iteration, balancer, processor-sharing CPU, metrics-server and HPA syncs included.
#[divan::bench(sample_count = 5)]
fn http_50_pods_hpa(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("http50.yaml"));
}

/// `benches/fixtures/nasa_aug_quiet.yaml`: the NASA-HTTP August 1995 trace (31 days at ~1.1
/// requests/s once scaled, with 37.7 h of no traffic at all) — about 3 million requests, every
/// one simulated, on 2–20 pods with a 1-core limit enforced as a CFS quota, under a CPU HPA:
/// 2.7 million simulated seconds of CFS periods, metrics-server scrapes, HPA syncs and pod churn
/// around a modest number of requests.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn nasa_aug_31_days(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("nasa_aug_quiet.yaml"));
}

/// `benches/fixtures/worldcup98_quiet.yaml`: the 1998 World Cup web site trace (87 days, flash
/// crowds during matches) scaled to about 3 million requests, the NASA fixture's service, pods
/// and CPU HPA: 7.5 million simulated seconds.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn worldcup98_87_days(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("worldcup98_quiet.yaml"));
}

/// `benches/fixtures/nyc_taxi_quiet.yaml`: NYC taxi passengers per 30 minutes (215 days) taken
/// as requests and scaled to about 3 million, the NASA fixture's service, pods and CPU HPA:
/// 18.6 million simulated seconds at ~0.16 requests/s.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn nyc_taxi_215_days(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("nyc_taxi_quiet.yaml"));
}

/// `benches/fixtures/flow_day_100_pods.yaml`: 24 h of diurnal traffic at flow level (156 M
/// requests) against an API that KEDA scales between 10 and ~90 pods on a Prometheus
/// request-rate trigger and a CPU trigger (issue 17's "flow level, 24 h, ~100 pods").
#[divan::bench(sample_count = 5, sample_size = 1)]
fn flow_day_100_pods(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("flow_day_100_pods.yaml"));
}

/// `benches/fixtures/flow_day_10k_pods.yaml`: the same day at 100 times the traffic, 1,000 to
/// ~9,500 pods (its cost per pod against `flow_day_100_pods`'s).
#[divan::bench(sample_count = 1, sample_size = 1)]
fn flow_day_10k_pods(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("flow_day_10k_pods.yaml"));
}

/// `benches/fixtures/flow_30d_churn.yaml`: `flow_day_100_pods` for 30 days, KEDA scaling up
/// and down every day (its cost against 30 times `flow_day_100_pods`'s).
#[divan::bench(sample_count = 1, sample_size = 1)]
fn flow_30d_churn(bencher: divan::Bencher) {
    bench_runs(bencher, &fixture("flow_30d_churn.yaml"));
}

/// Customers per iteration of the reference benches: `mmc_queue`'s 20,000 s at 90/s.
const MMC_CUSTOMERS: u64 = 1_800_000;

/// A bare event-heap simulation of `mmc_queue`'s M/M/10 (see the module's doc).
#[divan::bench(sample_count = 10)]
fn mmc_reference_event_heap(bencher: divan::Bencher) {
    bencher
        .counter(divan::counter::ItemsCount::new(MMC_CUSTOMERS))
        .bench(|| reference::event_heap(divan::black_box(MMC_CUSTOMERS)));
}

/// The Kiefer–Wolfowitz recursion for `mmc_queue`'s M/M/10 (see the module's doc).
#[divan::bench(sample_count = 10)]
fn mmc_reference_recursion(bencher: divan::Bencher) {
    bencher
        .counter(divan::counter::ItemsCount::new(MMC_CUSTOMERS))
        .bench(|| reference::recursion(divan::black_box(MMC_CUSTOMERS)));
}

/// Minimal M/M/10 simulations at utilisation 0.9 (90 arrivals/s, 100 ms mean service, FIFO),
/// each returning the mean response time so the work cannot be optimised away.
mod reference {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Exp};
    use rand_pcg::Pcg64Mcg;
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};

    const SERVERS: usize = 10;

    fn draws() -> (Pcg64Mcg, Exp<f64>, Exp<f64>) {
        let arrivals = Exp::new(90.0).expect("positive rate");
        let service = Exp::new(10.0).expect("positive rate");
        (Pcg64Mcg::seed_from_u64(1), arrivals, service)
    }

    /// Arrivals and completions as events in a binary heap keyed by time (non-negative
    /// `f64`s order as their bits), a FIFO queue of arrival instants, the busy servers counted.
    pub(super) fn event_heap(customers: u64) -> f64 {
        let (mut rng, arrivals, service) = draws();
        // (time bits, arrival instant bits of a completion; u64::MAX marks an arrival)
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::with_capacity(SERVERS + 1);
        let mut queue: VecDeque<f64> = VecDeque::new();
        let (mut busy, mut arrived, mut done, mut sum) = (0usize, 1u64, 0u64, 0.0f64);
        heap.push(Reverse((arrivals.sample(&mut rng).to_bits(), u64::MAX)));
        while let Some(Reverse((bits, tag))) = heap.pop() {
            let now = f64::from_bits(bits);
            if tag == u64::MAX {
                if arrived < customers {
                    arrived += 1;
                    let next = now + arrivals.sample(&mut rng);
                    heap.push(Reverse((next.to_bits(), u64::MAX)));
                }
                if busy < SERVERS {
                    busy += 1;
                    let end = now + service.sample(&mut rng);
                    heap.push(Reverse((end.to_bits(), now.to_bits())));
                } else {
                    queue.push_back(now);
                }
            } else {
                done += 1;
                sum += now - f64::from_bits(tag);
                match queue.pop_front() {
                    Some(at) => {
                        let end = now + service.sample(&mut rng);
                        heap.push(Reverse((end.to_bits(), at.to_bits())));
                    }
                    None => busy -= 1,
                }
            }
        }
        sum / done as f64
    }

    /// The Kiefer–Wolfowitz recursion: each customer, in arrival order, starts when it arrives
    /// or when the earliest-free server frees, whichever is later.
    pub(super) fn recursion(customers: u64) -> f64 {
        let (mut rng, arrivals, service) = draws();
        let mut free = [0.0f64; SERVERS];
        let (mut now, mut sum) = (0.0f64, 0.0f64);
        for _ in 0..customers {
            now += arrivals.sample(&mut rng);
            let (slot, earliest) = free.iter().enumerate().fold(
                (0, f64::INFINITY),
                |m, (i, &f)| if f < m.1 { (i, f) } else { m },
            );
            let end = now.max(earliest) + service.sample(&mut rng);
            free[slot] = end;
            sum += end - now;
        }
        sum / customers as f64
    }
}
