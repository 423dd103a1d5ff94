//! Simulated requests per second of wall time (run: `cargo bench --bench engine`).
//!
//! `mmc_queue`: M/M/10 at utilisation 0.9 (a queue workload, fixed pods), the same model as
//! `benches/simpy_mmc.py` so the two can be compared side by side on one core.

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

const MMC: &str = "name: mmc\nduration: 20000\nstep: 100\ntrace: {generate: {kind: constant, rate: 90}}\n\
workload: {kind: queue, service_time: {dist: exponential, mean: 100ms}}\npods: {replicas: 10}\n";

/// About 1.8 million requests per iteration.
#[divan::bench(sample_count = 10)]
fn mmc_queue(bencher: divan::Bencher) {
    let s = scenario(MMC);
    let requests = run(&s, &RunOptions::default()).unwrap().totals.arrived;
    bencher
        .counter(divan::counter::ItemsCount::new(requests))
        .bench(|| {
            run(divan::black_box(&s), &RunOptions::default())
                .unwrap()
                .totals
                .arrived
        });
}

/// An http service on 50 pods under a CPU HPA (benches/fixtures/http50.yaml): about 9.5 million
/// requests per iteration, balancer, processor-sharing CPU, metrics-server and HPA syncs included.
#[divan::bench(sample_count = 5)]
fn http_50_pods_hpa(bencher: divan::Bencher) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures/http50.yaml");
    let s = Scenario::load(&path, &Overrides::default()).expect("bench scenario loads");
    let requests = run(&s, &RunOptions::default()).unwrap().totals.arrived;
    bencher
        .counter(divan::counter::ItemsCount::new(requests))
        .bench(|| {
            run(divan::black_box(&s), &RunOptions::default())
                .unwrap()
                .totals
                .arrived
        });
}
