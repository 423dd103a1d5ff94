//! A long, quiet trace at request level (run: `cargo bench --bench quiet_traces`): the cost
//! should follow the requests, not the simulated seconds.
//!
//! `nasa_aug_31_days`: `benches/fixtures/nasa_aug_quiet.yaml`, the NASA-HTTP August 1995 trace
//! (31 days at ~1.1 requests/s once scaled, with 37.7 h of no traffic at all) — about 3 million
//! requests, every one simulated, on 2–20 pods with a 1-core limit enforced as a CFS quota,
//! under a CPU HPA: 2.7 million simulated seconds of CFS periods, metrics-server scrapes, HPA
//! syncs and pod churn around a modest number of requests.

use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, run};

fn main() {
    divan::main();
}

/// About 3 million requests over 31 simulated days per iteration.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn nasa_aug_31_days(bencher: divan::Bencher) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/fixtures/nasa_aug_quiet.yaml");
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
