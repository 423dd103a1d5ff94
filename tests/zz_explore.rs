use scalesim::scenario::patch::{Patch, PatchTarget};
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, RunResult, run};
use std::path::Path;

fn simulate(file: &str, fidelity: &str, step: &str, seed: u64) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let mut patches = vec![Patch { target: PatchTarget::Scenario, path: "fidelity".into(), value: fidelity.into() }];
    if fidelity == "fluid" {
        patches.push(Patch { target: PatchTarget::Scenario, path: "fluid_step".into(), value: step.into() });
    }
    if std::env::var("CFS").is_ok() {
        patches.push(Patch { target: PatchTarget::Scenario, path: "pods.cpu_cfs".into(), value: "true".into() });
    }
    let overrides = Overrides { seed: Some(seed), patches, ..Default::default() };
    let scenario = Scenario::load(&path, &overrides).unwrap();
    run(&scenario, &RunOptions::default()).unwrap()
}
fn close(a: &RunResult, b: &RunResult) -> f64 {
    let (a, b) = (&a.series.spec_replicas, &b.series.spec_replicas);
    a.iter().zip(b).filter(|(x, y)| (**x - **y).abs() <= 1).count() as f64 / a.len() as f64
}
#[test]
#[ignore]
fn explore() {
    let names = std::env::var("SC").unwrap_or("checkout-spike".into());
    let steps = std::env::var("STEPS").unwrap_or("1,2".into());
    for name in names.split(',') {
        let file = format!("scenarios/{name}.yaml");
        let seeds: Vec<u64> = if name == "diurnal-day" { vec![1] } else { vec![1, 2, 3] };
        let reqs: Vec<RunResult> = seeds.iter().map(|&s| simulate(&file, "request", "1", s)).collect();
        for step in steps.split(',') {
            let mut line = format!("{name} step {step}:");
            for (i, &s) in seeds.iter().enumerate() {
                let fl = simulate(&file, "fluid", step, s);
                line += &format!(" [seed {s}: rep {:.1}% lat {:.4}/{:.4} p95 {:.4}/{:.4} backlog {:.2}/{:.2}]", 100.0 * close(&reqs[i], &fl),
                    reqs[i].latency.mean(), fl.latency.mean(), reqs[i].latency.quantile(0.95), fl.latency.quantile(0.95), reqs[i].summary.backlog.mean, fl.summary.backlog.mean);
            }
            println!("{line}");
        }
    }
}
#[test]
#[ignore]
fn selfagree() {
    let file = "scenarios/diurnal-day.yaml";
    let r: Vec<RunResult> = (1..=3).map(|s| simulate(file, "request", "1", s)).collect();
    let f: Vec<RunResult> = (1..=3).map(|s| simulate(file, "fluid", "2", s)).collect();
    for i in 0..3 { for j in 0..3 { println!("req{} vs req{}: {:.1}%  req{} vs fl{}: {:.1}%", i+1, j+1, 100.0*close(&r[i], &r[j]), i+1, j+1, 100.0*close(&r[i], &f[j])); } }
}
