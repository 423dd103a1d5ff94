//! Sweep throughput (run: `cargo bench --bench sweep`): points of a 24 h, ~200 requests/s
//! scenario (`scenarios/diurnal-day.yaml`, flow-level model) simulated per second on two
//! threads — the bar is 1,000 such points in under a minute on 2 cores (≥ 16.7
//! points/s). Each iteration runs a 20-point grid.

use scalesim::sweep::grid::Vary;
use scalesim::sweep::{Sweep, SweepConfig, run_points};

fn main() {
    divan::main();
}

fn plan(points: usize) -> Sweep {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/diurnal-day.yaml");
    let values: Vec<String> = (0..points).map(|i| (40 + i).to_string()).collect();
    let vary = Vary::parse(&format!(
        "hpa.spec.metrics[0].resource.target.averageUtilization={}",
        values.join(",")
    ))
    .unwrap();
    Sweep::plan(SweepConfig {
        scenario,
        varies: vec![vary],
        ..Default::default()
    })
    .expect("sweep plans")
}

/// 20 points of a day each, two threads.
#[divan::bench(sample_count = 3)]
fn diurnal_day_20_points_2_threads(bencher: divan::Bencher) {
    let sweep = plan(20);
    bencher
        .counter(divan::counter::ItemsCount::new(20usize))
        .bench(|| {
            run_points(divan::black_box(&sweep), &sweep.points, 2, &|| {})
                .unwrap()
                .len()
        });
}
