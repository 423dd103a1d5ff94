//! Rendering the charts of a 24 h run at 1 s resolution (86,400 rows) must stay under a second.
//!
//! `cargo bench --bench charts`. The series is synthetic (a diurnal load with noise, spikes and
//! NaN gaps in the latency columns) and built once; each iteration builds the figure and renders
//! it to PNG and SVG, as `scalesim run` does.

use scalesim::record::Series;
use scalesim::report::chart::{ChartOptions, Figure, RunData};
use std::sync::LazyLock;

const ROWS: usize = 86_400;

static DATA: LazyLock<RunData> = LazyLock::new(|| RunData::from_series("day", &series()));

fn series() -> Series {
    let mut s = Series::new(ROWS as f64, 1.0);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut noise = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 10_000) as f64 / 10_000.0
    };
    let mut replicas = 6i32;
    for r in 0..ROWS {
        let day = (r as f64 / ROWS as f64 * std::f64::consts::TAU).sin();
        let rate = 300.0 + 200.0 * day + 40.0 * noise() + if r % 7_919 == 0 { 900.0 } else { 0.0 };
        if r % 15 == 0 {
            replicas = ((rate / 35.0).ceil() as i32).clamp(3, 40);
        }
        s.arrival_rate[r] = rate;
        s.desired_replicas[r] = replicas;
        s.spec_replicas[r] = replicas;
        s.ready_pods[r] = replicas as u32;
        s.starting_pods[r] = (noise() * 3.0) as u32;
        s.terminating_pods[r] = (noise() * 2.0) as u32;
        s.ready_capacity[r] = replicas as f64 * 50.0;
        s.backlog[r] = (noise() * 50.0) as u64 + if r % 7_919 < 30 { 4_000 } else { 0 };
        s.backlog_age[r] = noise();
        s.served[r] = rate as u32;
        s.dropped[r] = (noise() < 0.01) as u32 * 5;
        s.timed_out[r] = (noise() < 0.01) as u32 * 3;
        if r % 97 != 0 {
            s.latency_p50[r] = 0.04 + 0.01 * noise();
            s.latency_p99[r] = 0.2 + 0.5 * noise();
        }
        s.cpu_utilization[r] = 70.0 * rate / (50.0 * replicas as f64);
    }
    s.extra_column("metric_cpu_seen");
    s.extra_column("metric_cpu_target");
    s.extra_column("metric_cpu_true");
    for r in 0..ROWS {
        let v = s.cpu_utilization[r];
        s.extra[0].1[r] = (v / 5.0).round() * 5.0;
        s.extra[1].1[r] = 70.0;
        s.extra[2].1[r] = v;
    }
    s
}

fn main() {
    LazyLock::force(&DATA);
    divan::main();
}

/// Build the figure and render both PNG and SVG.
#[divan::bench(sample_count = 10)]
fn png_and_svg_86400_rows() -> (usize, usize) {
    let opts = ChartOptions::default();
    let figure = Figure::run(&DATA, &opts);
    let png = figure.png().expect("png");
    let svg = figure.svg().expect("svg");
    (png.len(), svg.len())
}

#[divan::bench(sample_count = 10)]
fn png_only_86400_rows() -> usize {
    let opts = ChartOptions::default();
    Figure::run(&DATA, &opts).png().expect("png").len()
}

#[divan::bench(sample_count = 10)]
fn svg_only_86400_rows() -> usize {
    let opts = ChartOptions::default();
    Figure::run(&DATA, &opts).svg().expect("svg").len()
}
