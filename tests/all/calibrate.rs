//! `scalesim calibrate` end to end, against recorded-style series from an independent model
//! with known parameters (written here, not scalesim's simulator): a diurnal request rate, an
//! HPA-like rule on CPU with a scale-down stabilization window, pods that become Ready after a
//! random start-up, CPU = a·rate + b·Ready + noise, and latency quantiles of an M/G/c station
//! per pod (lognormal service time, exponential waiting with the Erlang C probability), with
//! noise — exported as Prometheus `query_range` JSON and as CSV.

use crate::helpers::{erlang_c, stderr};
use assert_cmd::Command;
use serde_json::Value;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};

/// The truth the generator runs with.
const CPU_PER_REQUEST: f64 = 0.02;
const IDLE_CPU: f64 = 0.05;
const SERVICE_MEAN: f64 = 0.040;
const SERVICE_P99: f64 = 0.150;
const STARTUP_MEAN: f64 = 30.0;
const STARTUP_CV: f64 = 0.3;
const CONCURRENCY: u32 = 2;
const Z99: f64 = 2.326_347_874_040_841;
const T0: f64 = 1_700_000_000.0;

/// SplitMix64: a small generator of its own, so the test shares no code with scalesim.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
    }
}

/// σ of the service-time lognormal from its mean and p99 (the smaller root).
fn service_sigma() -> f64 {
    let l = (SERVICE_P99 / SERVICE_MEAN).ln();
    Z99 - (Z99 * Z99 - 2.0 * l).sqrt()
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 erf).
fn phi(x: f64) -> f64 {
    let z = x.abs() / 2f64.sqrt();
    let t = 1.0 / (1.0 + 0.3275911 * z);
    let y = 1.0
        - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
            + 0.254829592)
            * t
            * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

/// The `q`-quantile of latency = lognormal service + waiting (0 w.p. 1−pw, else Exp(θ)).
fn latency_quantile(q: f64, pw: f64, theta: f64) -> f64 {
    let sigma = service_sigma();
    let mu = SERVICE_MEAN.ln() - sigma * sigma / 2.0;
    let f_service = |x: f64| {
        if x <= 0.0 {
            0.0
        } else {
            phi((x.ln() - mu) / sigma)
        }
    };
    let cdf = |x: f64| {
        if pw < 1e-6 {
            return f_service(x);
        }
        // ∫ F_S(x − w) θ e^{−θw} dw over [0, x] (nothing beyond 25/θ), midpoint rule.
        let n = 100;
        let h = x.min(25.0 / theta) / n as f64;
        let wait: f64 = (0..n)
            .map(|k| {
                let w = (k as f64 + 0.5) * h;
                f_service(x - w) * theta * (-theta * w).exp() * h
            })
            .sum();
        (1.0 - pw) * f_service(x) + pw * wait
    };
    let (mut lo, mut hi) = (0.0, 30.0);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < q { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Recorded series, sampled every `STEP` seconds at Unix times.
#[derive(Debug)]
struct Recorded {
    times: Vec<f64>,
    rate: Vec<f64>,
    cpu: Vec<f64>,
    ready: Vec<f64>,
    desired: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
}

const STEP: f64 = 15.0;
/// The HPA syncs every 15 s, 7 s out of phase with the scrapes.
const SYNC_OFFSET: f64 = 7.0;

/// The day most tests share, generated once.
fn day7() -> &'static Recorded {
    static DAY: std::sync::OnceLock<Recorded> = std::sync::OnceLock::new();
    DAY.get_or_init(|| generate(7))
}

/// One day of the independent model (see the module docs).
fn generate(seed: u64) -> Recorded {
    generate_steps(seed, usize::MAX)
}

/// The first `steps` rows of [`generate`]'s day (the same rows: the model runs forward in
/// time, so stopping early changes none of them; computing the latency quantiles of a whole
/// day only to keep 40 rows made these tests the slowest of the suite).
fn generate_steps(seed: u64, steps: usize) -> Recorded {
    let mut rng = Rng(seed);
    let day = 86_400.0;
    // A flash crowd doubles the load for half an hour in the afternoon.
    let crowd = |t: f64| {
        if (54_000.0..55_800.0).contains(&t) {
            2.0
        } else {
            1.0
        }
    };
    let rate_at =
        |t: f64| crowd(t) * (5.0 + 195.0 * (0.5 - 0.5 * (2.0 * PI * t / day).cos()).powf(1.5));
    // Pods: Ready-at time (f64::INFINITY never; a finite time in the future: starting).
    let mut pods: Vec<f64> = vec![0.0; 2];
    let mut desired = 2usize;
    let mut recs: Vec<(f64, usize)> = Vec::new();
    let mut out = Recorded {
        times: vec![],
        rate: vec![],
        cpu: vec![],
        ready: vec![],
        desired: vec![],
        p50: vec![],
        p99: vec![],
    };
    let (sigma_s, mu_s) = {
        let s = (1.0 + STARTUP_CV * STARTUP_CV).ln().sqrt();
        (s, STARTUP_MEAN.ln() - s * s / 2.0)
    };
    let mut last_cpu = 0.2;
    let mut t = 0.0;
    while t < day && out.times.len() < steps {
        // HPA sync (between scrapes): on the CPU it last saw, target 0.3 cores per pod.
        let sync = t + SYNC_OFFSET;
        let ready_now = pods.iter().filter(|&&r| r <= sync).count().max(1);
        let util = last_cpu / ready_now as f64 / 0.3;
        let raw = if (util - 1.0).abs() <= 0.1 {
            ready_now
        } else {
            (ready_now as f64 * util).ceil() as usize
        };
        recs.push((sync, raw.clamp(2, 60)));
        recs.retain(|r| r.0 > sync - 300.0);
        let want = recs.iter().map(|r| r.1).max().unwrap_or(2);
        let want = if want > desired {
            raw.clamp(2, 60).max(desired)
        } else {
            want
        };
        desired = want;
        while pods.len() < desired {
            pods.push(sync + (mu_s + sigma_s * rng.normal()).exp());
        }
        while pods.len() > desired {
            // Starting pods go first (the latest Ready-at), as a ReplicaSet deletes them.
            let i = (0..pods.len())
                .max_by(|&a, &b| pods[a].total_cmp(&pods[b]))
                .unwrap();
            pods.swap_remove(i);
        }
        // Scrape at the next step.
        t += STEP;
        let ready = pods.iter().filter(|&&r| r <= t).count();
        let rate = rate_at(t) * (1.0 + 0.05 * rng.normal());
        let cpu = (CPU_PER_REQUEST * rate + IDLE_CPU * ready as f64) * (1.0 + 0.03 * rng.normal());
        last_cpu = cpu;
        let per_pod = rate / ready.max(1) as f64;
        let a = per_pod * SERVICE_MEAN;
        let pw = erlang_c(CONCURRENCY, a);
        let theta = (CONCURRENCY as f64 - a).max(0.05) / SERVICE_MEAN;
        let noise = |rng: &mut Rng| (0.05 * rng.normal()).exp();
        out.times.push(T0 + t);
        out.rate.push(rate);
        out.cpu.push(cpu);
        out.ready.push(ready as f64);
        out.desired.push(desired as f64);
        out.p50
            .push(latency_quantile(0.5, pw, theta) * noise(&mut rng));
        out.p99
            .push(latency_quantile(0.99, pw, theta) * noise(&mut rng));
    }
    out
}

fn prometheus_json(times: &[f64], values: &[f64], name: &str) -> String {
    let samples: Vec<String> = times
        .iter()
        .zip(values)
        .map(|(t, v)| format!("[{t},\"{v}\"]"))
        .collect();
    format!(
        "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{{\"metric\":{{\"__name__\":\"{name}\",\"app\":\"api\"}},\"values\":[\n{}\n]}}]}}}}\n",
        samples.join(",\n")
    )
}

/// CSV with the series' own name as the value column (`time,cpu`), as exports name it.
fn csv(times: &[f64], values: &[f64], name: &str) -> String {
    let mut s = format!("time,{name}\n");
    for (t, v) in times.iter().zip(values) {
        s.push_str(&format!("{t},{v}\n"));
    }
    s
}

/// Write every series in `dir` as `<role>.json` or `<role>.csv`; returns the file per role.
fn write_series(dir: &Path, r: &Recorded, ext: &str) -> Vec<(&'static str, PathBuf)> {
    let series: [(&str, &[f64]); 6] = [
        ("rate", &r.rate),
        ("cpu", &r.cpu),
        ("replicas", &r.ready),
        ("desired-replicas", &r.desired),
        ("latency-p50", &r.p50),
        ("latency-p99", &r.p99),
    ];
    series
        .iter()
        .map(|(role, v)| {
            let p = dir.join(format!("{role}.{ext}"));
            let text = if ext == "json" {
                prometheus_json(&r.times, v, role)
            } else {
                csv(&r.times, v, role)
            };
            std::fs::write(&p, text).unwrap();
            (*role, p)
        })
        .collect()
}

fn calibrate(dir: &Path, files: &[(&str, PathBuf)], extra: &[&str]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("scalesim").unwrap();
    cmd.current_dir(dir).arg("calibrate");
    for (role, p) in files {
        cmd.arg(format!("--{role}")).arg(p.file_name().unwrap());
    }
    cmd.args(extra).output().unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn within(got: &Value, want: f64, tol: f64, what: &str) {
    let g = got.as_f64().unwrap_or_else(|| panic!("{what} is {got}"));
    assert!(
        (g - want).abs() <= tol * want,
        "{what}: got {g}, want {want} ± {:.0} %",
        tol * 100.0
    );
}

fn check_recovery(ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), day7(), ext);
    let out = calibrate(dir.path(), &files, &["--concurrency", "2", "--out", "cal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json(&dir.path().join("cal/calibration.json"));
    within(
        &j["cpu_per_request_s"],
        CPU_PER_REQUEST,
        0.05,
        "cpu_per_request_s",
    );
    within(
        &j["idle_cpu_per_pod_cores"],
        IDLE_CPU,
        0.25,
        "idle_cpu_per_pod_cores",
    );
    within(
        &j["service_time"]["mean_s"],
        SERVICE_MEAN,
        0.10,
        "service_time.mean_s",
    );
    within(
        &j["service_time"]["p99_s"],
        SERVICE_P99,
        0.20,
        "service_time.p99_s",
    );
    within(
        &j["startup"]["mean_s"],
        STARTUP_MEAN,
        0.25,
        "startup.mean_s",
    );
    assert!(
        j["fit"]["cpu"]["r2"].as_f64().unwrap() > 0.9,
        "{}",
        j["fit"]
    );
}

#[test]
fn recovers_known_parameters_from_prometheus_json() {
    check_recovery("json");
}

#[test]
fn recovers_known_parameters_from_csv() {
    check_recovery("csv");
}

/// The first `n` rows of every series.
fn head(r: &Recorded, n: usize) -> Recorded {
    slice(r, 0, n)
}

#[test]
fn the_generator_stopped_early_gives_the_first_rows_of_a_longer_run() {
    let short = generate_steps(5, 40);
    let long = head(&generate_steps(5, 400), 40);
    assert_eq!(format!("{short:?}"), format!("{long:?}"));
    assert_eq!(short.times.len(), 40);
}

/// Rows `a..b` of every series.
fn slice(r: &Recorded, a: usize, b: usize) -> Recorded {
    let cut = |v: &[f64]| v[a..b].to_vec();
    Recorded {
        times: cut(&r.times),
        rate: cut(&r.rate),
        cpu: cut(&r.cpu),
        ready: cut(&r.ready),
        desired: cut(&r.desired),
        p50: cut(&r.p50),
        p99: cut(&r.p99),
    }
}

#[test]
fn outputs_schema_and_determinism() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), &generate(11), "json");
    let out = calibrate(dir.path(), &files, &["--concurrency", "2", "--out", "a"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("service time: mean") && stdout.contains("outputs in a"),
        "{stdout}"
    );
    let j = json(&dir.path().join("a/calibration.json"));
    for key in ["cpu_per_request_s", "idle_cpu_per_pod_cores"] {
        assert!(j[key].is_number(), "{key}: {j}");
    }
    assert!(j["service_time"]["mean_s"].is_number() && j["service_time"]["p99_s"].is_number());
    assert!(j["startup"]["mean_s"].is_number() && j["startup"]["p90_s"].is_number());
    for fit in ["cpu", "service_time", "startup"] {
        let f = &j["fit"][fit];
        assert!(f["samples"].as_u64().unwrap() > 0, "{fit}: {f}");
        assert!(
            f.get("reason").is_some() && f.get("interval").is_some(),
            "{fit}: {f}"
        );
    }
    assert!(j["fit"]["cpu"]["r2"].is_number());
    let png = std::fs::read(dir.path().join("a/calibration.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // Same inputs, another folder: byte-identical, and no path but file names inside.
    let out = calibrate(dir.path(), &files, &["--concurrency", "2", "--out", "b"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in ["calibration.yaml", "calibration.json", "calibration.png"] {
        let (a, b) = (dir.path().join("a").join(f), dir.path().join("b").join(f));
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{f} differs"
        );
    }
    let yaml = std::fs::read_to_string(dir.path().join("a/calibration.yaml")).unwrap();
    let tmp = dir.path().to_string_lossy().into_owned();
    assert!(!yaml.contains(&tmp) && !j.to_string().contains(&tmp));
    // Rerunning over its own outputs replaces them without --overwrite.
    let out = calibrate(dir.path(), &files, &["--concurrency", "2", "--out", "a"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn nulls_with_reasons_when_the_data_cannot_identify_a_value() {
    let dir = tempfile::tempdir().unwrap();
    // Two hours of night: low load all along, no scale-up, and no latency series given.
    let files = write_series(dir.path(), &generate_steps(3, 480), "csv");
    let some: Vec<(&str, PathBuf)> = files
        .iter()
        .filter(|f| ["rate", "cpu", "replicas", "desired-replicas"].contains(&f.0))
        .cloned()
        .collect();
    let out = calibrate(dir.path(), &some, &["--out", "o"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&dir.path().join("o/calibration.json"));
    assert!(j["service_time"]["mean_s"].is_null() && j["service_time"]["p99_s"].is_null());
    let reason = j["fit"]["service_time"]["reason"].as_str().unwrap();
    assert!(reason.contains("--latency-p50"), "{reason}");
    assert!(j["startup"]["mean_s"].is_null());
    let reason = j["fit"]["startup"]["reason"].as_str().unwrap();
    assert!(reason.contains("never rises"), "{reason}");
    let yaml = std::fs::read_to_string(dir.path().join("o/calibration.yaml")).unwrap();
    assert!(yaml.contains("# service_time: not identified"), "{yaml}");
    assert!(yaml.contains("pods: {}"), "{yaml}");
    // A busy period only (no quiet one): the service time cannot be learned.
    // Around noon (12 h = sample 2880): busy all along.
    let busy = slice(&generate_steps(3, 3100), 2700, 3100);
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), &busy, "json");
    let out = calibrate(dir.path(), &files, &["--concurrency", "1", "--out", "o"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&dir.path().join("o/calibration.json"));
    assert!(j["service_time"]["mean_s"].is_null(), "{j}");
    let reason = j["fit"]["service_time"]["reason"].as_str().unwrap();
    assert!(reason.contains("no low-load period"), "{reason}");
    // Without --desired-replicas: start-up is null, and says which series it needs.
    let no_desired: Vec<(&str, PathBuf)> = files
        .iter()
        .filter(|f| f.0 != "desired-replicas")
        .cloned()
        .collect();
    let out = calibrate(dir.path(), &no_desired, &["--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&dir.path().join("p/calibration.json"));
    let reason = j["fit"]["startup"]["reason"].as_str().unwrap();
    assert!(reason.contains("--desired-replicas"), "{reason}");
}

#[test]
fn a_bad_series_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), &generate_steps(5, 40), "csv");
    let cpu = dir.path().join("cpu.csv");
    let text = std::fs::read_to_string(&cpu).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[5] = format!("{},lots", lines[5].split(',').next().unwrap());
    std::fs::write(&cpu, lines.join("\n") + "\n").unwrap();
    let out = calibrate(dir.path(), &files, &["--out", "o"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cpu.csv:6") && err.contains("not a number"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    assert!(
        !dir.path().join("o").exists(),
        "nothing written on bad input"
    );
    // Prometheus JSON: line and column of the bad sample.
    let files = write_series(dir.path(), &generate_steps(5, 40), "json");
    let rate = dir.path().join("rate.json");
    let text = std::fs::read_to_string(&rate).unwrap();
    let bad: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                l.replace(",\"", ",\"x")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&rate, bad.join("\n")).unwrap();
    let out = calibrate(dir.path(), &files, &["--out", "o"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rate.json:3:"), "{}", stderr(&out));
    // Series with no time in common.
    let files = write_series(dir.path(), &generate_steps(5, 40), "csv");
    let shifted: String = std::fs::read_to_string(dir.path().join("cpu.csv"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| match (i, l.split_once(',')) {
            (0, _) | (_, None) => format!("{l}\n"),
            (_, Some((t, v))) => format!("{},{v}\n", t.parse::<f64>().unwrap() + 86_400.0),
        })
        .collect();
    std::fs::write(dir.path().join("cpu.csv"), shifted).unwrap();
    let out = calibrate(dir.path(), &files, &["--out", "o"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("do not overlap"), "{}", stderr(&out));
}

#[test]
fn a_foreign_calibration_file_is_not_replaced_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), &generate_steps(5, 60), "csv");
    std::fs::create_dir(dir.path().join("o")).unwrap();
    std::fs::write(dir.path().join("o/calibration.json"), "{\"mine\": 1}\n").unwrap();
    let out = calibrate(dir.path(), &files, &["--out", "o"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--overwrite"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("o/calibration.json")).unwrap(),
        "{\"mine\": 1}\n"
    );
    let out = calibrate(dir.path(), &files, &["--out", "o", "--overwrite"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(json(&dir.path().join("o/calibration.json"))["written_by"].is_string());
}

#[test]
fn concurrency_and_readiness_delay_come_from_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), day7(), "json");
    std::fs::write(
        dir.path().join("app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: app\n        env: [{name: WEB_CONCURRENCY, value: \"2\"}]\n        readinessProbe: {initialDelaySeconds: 10, periodSeconds: 5}\n",
    )
    .unwrap();
    let out = calibrate(
        dir.path(),
        &files,
        &["--manifest", "app.yaml", "--out", "o"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&dir.path().join("o/calibration.json"));
    assert_eq!(j["concurrency"]["value"], 2);
    assert!(
        j["concurrency"]["source"]
            .as_str()
            .unwrap()
            .contains("WEB_CONCURRENCY")
    );
    assert_eq!(j["fit"]["startup"]["readiness_delay_s"], 10.0);
    let f = scalesim::calibrate::load_fragment(&dir.path().join("o/calibration.yaml")).unwrap();
    let measured = j["startup"]["mean_s"].as_f64().unwrap();
    let startup = f.startup.unwrap().mean();
    assert!(
        (startup - (measured - 10.0)).abs() < 0.1,
        "{startup} vs {measured} − 10 s"
    );
}

/// The fragment's `workload:`/`pods:` keys put into a shipped scenario load with the scenario
/// loader, and the loaded scenario carries the calibrated values.
#[test]
fn the_fragment_loads_into_a_shipped_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), day7(), "json");
    let out = calibrate(dir.path(), &files, &["--concurrency", "2", "--out", "o"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let f = scalesim::calibrate::load_fragment(&dir.path().join("o/calibration.yaml")).unwrap();
    assert_eq!(f.patches().len(), 4, "{:?}", f.patches());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let overrides = scalesim::scenario::Overrides {
        patches: f.patches(),
        ..Default::default()
    };
    let s =
        scalesim::scenario::Scenario::load(&root.join("scenarios/checkout-spike.yaml"), &overrides)
            .unwrap();
    let j = json(&dir.path().join("o/calibration.json"));
    let mean = j["service_time"]["mean_s"].as_f64().unwrap();
    assert!((s.workload.service_time.mean() - mean).abs() < 0.01 * mean);
    assert!(
        (s.workload.cpu_per_request - 0.02).abs() < 1e-9,
        "{}",
        s.workload.cpu_per_request
    );
    assert_eq!(s.workload.concurrency, 2);
    let startup = j["startup"]["mean_s"].as_f64().unwrap();
    assert!((s.pods.startup.mean() - startup).abs() < 0.01 * startup);
}

/// The calibration feeds the one-command run and `init`: the fitted values replace the
/// assumptions (none of them is said as assumed any more), and `init` comments where they came
/// from.
#[test]
fn the_calibration_replaces_the_one_command_runs_assumptions() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_series(dir.path(), day7(), "json");
    let out = calibrate(dir.path(), &files, &["--concurrency", "2", "--out", "cal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("scenarios/manifests/checkout.yaml"),
        dir.path().join("checkout.yaml"),
    )
    .unwrap();
    let common = [
        "--manifest",
        "checkout.yaml",
        "--trace",
        "rate.json",
        "--calibration",
        "cal/calibration.yaml",
    ];
    let run = Command::cargo_bin("scalesim")
        .unwrap()
        .current_dir(dir.path())
        .arg("run")
        .args(common)
        .args(["--duration", "2h", "--no-charts", "--out", "r", "-q"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let e = stderr(&run);
    for fitted in [
        "service time",
        "in service at once",
        "CPU per request",
        "pod start-up",
    ] {
        assert!(
            !e.contains(&format!("assumed {fitted}")),
            "{fitted} assumed: {e}"
        );
    }
    let init = Command::cargo_bin("scalesim")
        .unwrap()
        .current_dir(dir.path())
        .arg("init")
        .args(common)
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", stderr(&init));
    let yaml = String::from_utf8_lossy(&init.stdout);
    assert!(yaml.contains("from calibration calibration.yaml"), "{yaml}");
    assert!(yaml.contains("cpu_per_request:"), "{yaml}");
}
