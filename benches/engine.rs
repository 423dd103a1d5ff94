//! Simulated requests per second of wall time (run: `cargo bench --bench engine`).
//!
//! - `mmc_queue`: M/M/10 at utilisation 0.9 (a queue workload, fixed pods), the same model as
//!   `benches/simpy_mmc.py` so the two can be compared side by side on one core.
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
