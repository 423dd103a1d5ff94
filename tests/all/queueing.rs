//! Queueing truth: with a fixed number of pods and Poisson arrivals the simulator reproduces
//! queueing theory — M/M/c (Erlang C) for exponential service, M/D/c and M/G/c means for
//! constant and lognormal service, and independent M/M/1 queues behind a random balancer.

use crate::helpers::erlang_c;
use scalesim::scenario::{Overrides, Scenario};
use scalesim::sim::{RunOptions, RunResult, run};
use scalesim::yaml::Source;

fn simulate(yaml: &str) -> RunResult {
    let src = Source::from_string("test.yaml", yaml);
    let scenario = Scenario::from_source(&src, &Overrides::default()).expect("scenario loads");
    run(&scenario, &RunOptions::default()).expect("run")
}

/// A fixed pool of `pods` × `conc` servers, Poisson arrivals at `rate`, one service distribution.
fn fixed_pool(
    kind: &str,
    pods: u32,
    conc: u32,
    rate: f64,
    service: &str,
    duration: f64,
    seed: u64,
) -> String {
    format!(
        "name: q\nseed: {seed}\nduration: {duration}\nstep: {step}\ntrace: {{generate: {{kind: constant, rate: {rate}}}}}\n\
         workload: {{kind: {kind}, service_time: {service}, concurrency: {conc}}}\npods: {{replicas: {pods}}}\n",
        step = duration / 100.0
    )
}

/// P(response > t) for M/M/c (wait + exponential service).
fn mmc_response_tail(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let pw = erlang_c(c, lambda / mu);
    let theta = c as f64 * mu - lambda; // wait tail rate
    if (theta - mu).abs() < 1e-9 {
        return (-mu * t).exp() * (1.0 + pw * mu * t);
    }
    // T = W + S, W = 0 w.p. 1-pw, else Exp(theta).
    (1.0 - pw) * (-mu * t).exp()
        + pw * (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
}

fn quantile_from_tail(tail: impl Fn(f64) -> f64, q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while tail(hi) > 1.0 - q {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if tail(mid) > 1.0 - q {
            lo = mid
        } else {
            hi = mid
        }
    }
    (lo + hi) / 2.0
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn check_mmc(c: u32, rho: f64, customers: f64, seed: u64) {
    let mean_service = 0.1;
    let mu = 1.0 / mean_service;
    let lambda = rho * c as f64 * mu;
    let duration = customers / lambda;
    let r = simulate(&fixed_pool(
        "queue",
        c,
        1,
        lambda,
        "{dist: exponential, mean: 100ms}",
        duration,
        seed,
    ));
    let pw = erlang_c(c, lambda / mu);
    let wq = pw / (c as f64 * mu - lambda);
    let resp = wq + mean_service;
    let p99 = quantile_from_tail(|t| mmc_response_tail(c, lambda, mu, t), 0.99);
    let got_wait = r.wait.mean();
    let got_resp = r.latency.mean();
    let got_p99 = r.latency.quantile(0.99);
    let t = &r.totals;
    assert_eq!(
        t.arrived,
        t.served + t.dropped + t.timed_out + t.in_flight_end
    );
    eprintln!(
        "M/M/{c} rho={rho}: wait {got_wait:.5} vs {wq:.5} ({:.2}%), resp {got_resp:.5} vs {resp:.5} ({:.2}%), p99 {got_p99:.5} vs {p99:.5} ({:.2}%), n={}",
        100.0 * rel(got_wait, wq),
        100.0 * rel(got_resp, resp),
        100.0 * rel(got_p99, p99),
        t.served
    );
    assert!(
        rel(got_wait, wq) < 0.06,
        "mean wait {got_wait} vs Erlang C {wq}"
    );
    assert!(
        rel(got_resp, resp) < 0.03,
        "mean response {got_resp} vs {resp}"
    );
    assert!(rel(got_p99, p99) < 0.05, "p99 response {got_p99} vs {p99}");
}

#[test]
fn mm1_moderate_and_heavy_load() {
    check_mmc(1, 0.5, 400_000.0, 11);
    check_mmc(1, 0.8, 2_000_000.0, 12);
}

#[test]
fn mm1_at_95_percent() {
    check_mmc(1, 0.95, 16_000_000.0, 13);
    check_mmc(1, 0.95, 16_000_000.0, 99);
    check_mmc(1, 0.95, 16_000_000.0, 98);
}

#[test]
fn mmc_ten_and_fifty_servers() {
    check_mmc(10, 0.9, 2_000_000.0, 14);
    check_mmc(50, 0.95, 3_000_000.0, 15);
}

/// Mean response of an FCFS c-server queue by the Kiefer–Wolfowitz workload recursion, with its
/// own random numbers: an independent calculation to compare the event simulation against.
fn kiefer_wolfowitz(
    c: usize,
    lambda: f64,
    service: impl Fn(&mut u64) -> f64,
    n: usize,
    mut state: u64,
) -> f64 {
    fn uniform(s: &mut u64) -> f64 {
        // xorshift64*
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        ((s.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    let mut w = vec![0.0f64; c]; // remaining work at each server, sorted ascending
    let mut total = 0.0;
    for _ in 0..n {
        let s = service(&mut state);
        let wait = w[0];
        total += wait + s;
        w[0] += s;
        let gap = -uniform(&mut state).ln() / lambda;
        for x in w.iter_mut() {
            *x = (*x - gap).max(0.0);
        }
        w.sort_by(|a, b| a.total_cmp(b));
    }
    total / n as f64
}

fn lognormal_sampler(mean: f64, cv: f64) -> impl Fn(&mut u64) -> f64 {
    let sigma = (1.0 + cv * cv).ln().sqrt();
    let mu = mean.ln() - sigma * sigma / 2.0;
    move |s: &mut u64| {
        let mut u = || {
            *s ^= *s >> 12;
            *s ^= *s << 25;
            *s ^= *s >> 27;
            ((s.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let (u1, u2) = (u(), u());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (mu + sigma * z).exp()
    }
}

#[test]
fn md1_and_mg1_match_pollaczek_khinchine() {
    // M/G/1: W = λ E[S²] / (2 (1 - ρ)); response = W + E[S].
    let s = 0.1;
    for (service, scv, seed) in [
        ("{dist: constant, value: 100ms}", 0.0, 21),
        ("{dist: lognormal, mean: 100ms, cv: 1.5}", 2.25, 22),
    ] {
        let rho = 0.8;
        let lambda = rho / s;
        let customers = if scv > 1.0 { 8_000_000.0 } else { 1_000_000.0 };
        let r = simulate(&fixed_pool(
            "queue",
            1,
            1,
            lambda,
            service,
            customers / lambda,
            seed,
        ));
        let es2 = s * s * (1.0 + scv);
        let resp = lambda * es2 / (2.0 * (1.0 - rho)) + s;
        let got = r.latency.mean();
        eprintln!(
            "M/G/1 scv={scv}: resp {got:.5} vs P-K {resp:.5} ({:.2}%)",
            100.0 * rel(got, resp)
        );
        assert!(
            rel(got, resp) < 0.03,
            "{service}: mean response {got} vs Pollaczek-Khinchine {resp}"
        );
    }
}

#[test]
fn mdc_and_mgc_match_an_fcfs_recursion() {
    let c = 8;
    let rho = 0.9;
    let lambda = rho * c as f64 / 0.1;
    let n = 2_000_000;
    // (service time as YAML, the same draw for the recursion, seed)
    type Case = (&'static str, Box<dyn Fn(&mut u64) -> f64>, u64);
    let cases: Vec<Case> = vec![
        (
            "{dist: constant, value: 100ms}",
            Box::new(|_: &mut u64| 0.1),
            31,
        ),
        (
            "{dist: lognormal, mean: 100ms, cv: 1.0}",
            Box::new(lognormal_sampler(0.1, 1.0)),
            32,
        ),
    ];
    for (service, sampler, seed) in cases {
        let expected = kiefer_wolfowitz(c, lambda, sampler, n, 0x1234_5678 + seed);
        let r = simulate(&fixed_pool(
            "queue",
            c as u32,
            1,
            lambda,
            service,
            n as f64 / lambda,
            seed,
        ));
        let got = r.latency.mean();
        eprintln!(
            "M/G/{c} {service}: resp {got:.5} vs recursion {expected:.5} ({:.2}%)",
            100.0 * rel(got, expected)
        );
        assert!(rel(got, expected) < 0.03, "{service}: {got} vs {expected}");
    }
}

#[test]
fn http_random_balancer_is_independent_mm1_queues() {
    // c pods behind a random balancer: each pod is an M/M/1 queue with λ/c.
    let c = 5;
    let rho = 0.7;
    let lambda = rho * c as f64 / 0.1;
    let r = simulate(&fixed_pool(
        "http",
        c,
        1,
        lambda,
        "{dist: exponential, mean: 100ms}",
        1_000_000.0 / lambda,
        41,
    ));
    let expected = 1.0 / (10.0 - lambda / c as f64);
    let got = r.latency.mean();
    let p99 = -(0.01f64).ln() * expected; // M/M/1 response is exponential
    eprintln!(
        "http random c={c}: resp {got:.5} vs {expected:.5}, p99 {:.5} vs {p99:.5}",
        r.latency.quantile(0.99)
    );
    assert!(rel(got, expected) < 0.03);
    assert!(rel(r.latency.quantile(0.99), p99) < 0.05);
    // And with more concurrency per pod than one, the same pool is an M/M/conc per pod.
    let r = simulate(&fixed_pool(
        "http",
        2,
        4,
        60.0,
        "{dist: exponential, mean: 100ms}",
        20_000.0,
        42,
    ));
    let pw = erlang_c(4, 3.0);
    let expected = pw / (40.0 - 30.0) + 0.1;
    assert!(
        rel(r.latency.mean(), expected) < 0.03,
        "{} vs {expected}",
        r.latency.mean()
    );
}
