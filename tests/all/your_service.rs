//! "Your service in one command": `run --manifest … --trace …` without a scenario file, `init`
//! writing the scenario that run used, and a manifest given where a scenario belongs.

use crate::helpers::{output_in as scalesim, root, stderr};
use std::path::Path;

/// A folder holding a shipped manifest and a shipped trace, as a user's repository would.
fn user_folder(manifest: &str, trace: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("scenarios/manifests").join(manifest),
        t.path().join(manifest),
    )
    .unwrap();
    std::fs::copy(root().join("traces").join(trace), t.path().join(trace)).unwrap();
    t
}

const OUTPUTS: [&str; 6] = [
    "timeseries.csv",
    "summary.json",
    "events.jsonl",
    "chart.png",
    "chart.svg",
    "report.html",
];

#[test]
fn a_scaled_object_and_a_trace_run_in_one_command() {
    let t = user_folder("sqs-worker.yaml", "batch_queue_fill_2h.csv");
    let o = scalesim(
        t.path(),
        &[
            "run",
            "--manifest",
            "sqs-worker.yaml",
            "--trace",
            "batch_queue_fill_2h.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = t.path().join("out/order-worker");
    for f in OUTPUTS {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let e = stderr(&o);
    // Every assumed value is said once, with how to measure it.
    assert_eq!(e.matches("assumed service time").count(), 1, "{e}");
    assert!(e.contains("--service-time"), "{e}");
    assert!(e.contains("assumed pod start-up"), "{e}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "order-worker");
    assert!(summary["requests"]["served"].as_f64().unwrap() > 0.0);
}

#[test]
fn given_values_are_not_assumed() {
    let t = user_folder("sqs-worker.yaml", "batch_queue_fill_2h.csv");
    let o = scalesim(
        t.path(),
        &[
            "run",
            "--manifest",
            "sqs-worker.yaml",
            "--trace",
            "batch_queue_fill_2h.csv",
            "--service-time",
            "1.5s",
            "--concurrency",
            "4",
            "--duration",
            "30m",
            "--no-charts",
            "--out",
            "o",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        !e.contains("assumed service time") && !e.contains("assumed messages in service"),
        "{e}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("o/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["duration_s"], 1800.0);
}

#[test]
fn an_hpa_with_its_deployment_reads_requests_from_the_deployment() {
    let t = user_folder("checkout.yaml", "checkout_spike_1h.csv");
    let o = scalesim(
        t.path(),
        &[
            "init",
            "--manifest",
            "checkout.yaml",
            "--trace",
            "checkout_spike_1h.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let yaml = String::from_utf8_lossy(&o.stdout);
    assert!(yaml.contains("kind: http"), "{yaml}");
    assert!(
        !yaml.contains("cpu_request"),
        "the Deployment requests 500m: {yaml}"
    );
    assert!(!yaml.contains("replicas:"), "the Deployment has 6: {yaml}");
}

#[test]
fn the_scenario_init_writes_runs_to_the_same_bytes() {
    let t = user_folder("sqs-worker.yaml", "batch_queue_fill_2h.csv");
    let common = [
        "--manifest",
        "sqs-worker.yaml",
        "--trace",
        "batch_queue_fill_2h.csv",
    ];
    let mut run = vec!["run"];
    run.extend(common);
    run.extend(["--out", "one", "-q"]);
    assert_eq!(scalesim(t.path(), &run).status.code(), Some(0));
    let mut init = vec!["init"];
    init.extend(common);
    init.extend(["-o", "scenario.yaml"]);
    let o = scalesim(t.path(), &init);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(t.path().join("scenario.yaml")).unwrap();
    assert!(
        text.contains("# ASSUMED"),
        "assumptions are marked in the file: {text}"
    );
    let o = scalesim(t.path(), &["run", "scenario.yaml", "--out", "file", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in OUTPUTS {
        let a = std::fs::read(t.path().join("one").join(f)).unwrap();
        let b = std::fs::read(t.path().join("file").join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the one-command run and its init file"
        );
    }
    // Written into another folder, its paths are relative to it and it runs to the same bytes.
    std::fs::create_dir(t.path().join("sub")).unwrap();
    let mut elsewhere = init.clone();
    *elsewhere.last_mut().unwrap() = "sub/scenario.yaml";
    assert_eq!(scalesim(t.path(), &elsewhere).status.code(), Some(0));
    let text = std::fs::read_to_string(t.path().join("sub/scenario.yaml")).unwrap();
    assert!(text.contains("../sqs-worker.yaml"), "{text}");
    let o = scalesim(
        t.path(),
        &["run", "sub/scenario.yaml", "--out", "sub-out", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in OUTPUTS {
        let a = std::fs::read(t.path().join("one").join(f)).unwrap();
        let b = std::fs::read(t.path().join("sub-out").join(f)).unwrap();
        assert!(a == b, "{f} differs for an init file in another folder");
    }
    // init replaces a scenario it wrote, never a user's file.
    assert_eq!(scalesim(t.path(), &init).status.code(), Some(0));
    std::fs::write(t.path().join("mine.yaml"), "name: mine\n").unwrap();
    let mut mine = init.clone();
    *mine.last_mut().unwrap() = "mine.yaml";
    let o = scalesim(t.path(), &mine);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(t.path().join("mine.yaml")).unwrap(),
        "name: mine\n"
    );
}

#[test]
fn a_manifest_given_as_the_scenario_says_how_to_run_it() {
    let t = user_folder("sqs-worker.yaml", "batch_queue_fill_2h.csv");
    let o = scalesim(t.path(), &["run", "sqs-worker.yaml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("this is a ScaledObject"), "{e}");
    assert!(
        e.contains("scalesim run --manifest sqs-worker.yaml --trace"),
        "{e}"
    );
    assert!(!e.contains("unknown field"), "{e}");
}

#[test]
fn manifests_without_an_autoscaler_are_refused() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    std::fs::write(t.path().join("t.csv"), "time,rps\n0,1\n60,1\n").unwrap();
    let o = scalesim(
        t.path(),
        &["run", "--manifest", "cm.yaml", "--trace", "t.csv"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no ScaledObject, ScaledJob or HorizontalPodAutoscaler"));
}

/// `spec_replicas` of a finished run as a recorded series (`time,replicas`, the time at the end
/// of each step, where the run reads its gauges), each value passed through `f`.
fn replica_history(run_dir: &Path, f: impl Fn(f64) -> f64) -> String {
    let mut r = csv::Reader::from_path(run_dir.join("timeseries.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (t, rep) = (col("time_s"), col("spec_replicas"));
    let rows: Vec<(f64, f64)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (x[t].parse().unwrap(), x[rep].parse().unwrap())
        })
        .collect();
    let step = rows[1].0 - rows[0].0;
    let mut text = String::from("time,replicas\n");
    for (t, v) in rows {
        text.push_str(&format!("{},{}\n", t + step, f(v)));
    }
    text
}

fn backtest_of(dir: &Path) -> serde_json::Value {
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    s["backtest"].clone()
}

#[test]
fn a_backtest_against_its_own_history_agrees_and_against_another_does_not() {
    let t = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/checkout-spike.yaml");
    let s = scenario.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["run", s, "--no-charts", "-q"];
        all.extend_from_slice(args);
        let o = scalesim(t.path(), &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    run(&["--out", "recorded", "--seed", "7"]);
    let own = replica_history(&t.path().join("recorded"), |v| v);
    std::fs::write(t.path().join("own.csv"), own).unwrap();
    let other = replica_history(&t.path().join("recorded"), |v| 2.0 * v + 3.0);
    std::fs::write(t.path().join("other.csv"), other).unwrap();
    // Another seed against its own configuration's history.
    run(&["--out", "a", "--observed-replicas", "own.csv"]);
    let b = backtest_of(&t.path().join("a"));
    let ratio = b["replicas"]["within_1_ratio"].as_f64().unwrap();
    assert!(ratio >= 0.9, "{b}");
    assert_eq!(b["replicas"]["observed"], "own.csv");
    // A clearly different configuration's history.
    run(&["--out", "b", "--observed-replicas", "other.csv"]);
    let b = backtest_of(&t.path().join("b"));
    assert!(
        b["replicas"]["within_1_ratio"].as_f64().unwrap() < 0.5,
        "{b}"
    );
    assert!(b["replicas"]["mae"].as_f64().unwrap() > 5.0, "{b}");
    // Without observed series there is no backtest.
    assert!(backtest_of(&t.path().join("recorded")).is_null());
}

#[test]
fn check_fails_when_the_model_drifts_from_the_recorded_replicas() {
    let t = tempfile::tempdir().unwrap();
    // The history is the model's own run under the scenario's own seed, the one the check
    // below runs: this test is about `check` passing a faithful history and failing a drifted
    // one. (Under another seed the metric phases differ too, and on this spike the replica
    // counts of two seeds are within ±1 between 72 % and 100 % of the time, as two clusters'
    // would be; the backtest test above compares across seeds.)
    let o = scalesim(
        t.path(),
        &[
            "run",
            root()
                .join("scenarios/checkout-spike.yaml")
                .to_str()
                .unwrap(),
            "--out",
            "rec",
            "--no-charts",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(
        t.path().join("own.csv"),
        replica_history(&t.path().join("rec"), |v| v),
    )
    .unwrap();
    std::fs::write(
        t.path().join("drift.csv"),
        replica_history(&t.path().join("rec"), |v| v + 4.0),
    )
    .unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/checkout-spike.yaml")).unwrap();
    let manifests = root().join("scenarios/manifests");
    let traces = root().join("traces");
    let text = text
        .replace("manifests/", &format!("{}/", manifests.display()))
        .replace("../traces/", &format!("{}/", traces.display()));
    for (file, code) in [("own.csv", 0), ("drift.csv", 1)] {
        let scenario = format!(
            "{text}\nobserved: {{replicas: {file}}}\nslo: {{min_backtest_replicas_within_1_ratio: 0.9}}\n"
        );
        std::fs::write(t.path().join("s.yaml"), scenario).unwrap();
        let o = scalesim(t.path(), &["check", "s.yaml", "--ignore-verdict"]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(code), "{file}: {out}{}", stderr(&o));
        assert!(
            out.contains("min_backtest_replicas_within_1_ratio >= "),
            "{out}"
        );
        // Regression: the verdict was judged before the backtest and said its bound had
        // "no value" while the SLO line below measured it.
        assert!(!out.contains("no value"), "{out}");
    }
}

#[test]
fn a_prometheus_trigger_is_bound_to_the_request_rate_and_said_as_assumed() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("so.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: api}\nspec:\n  \
         scaleTargetRef: {name: api}\n  maxReplicaCount: 20\n  triggers:\n  - type: prometheus\n    \
         metadata: {serverAddress: 'http://prometheus:9090', query: 'sum(chat_active_sessions)', threshold: '50'}\n",
    )
    .unwrap();
    std::fs::copy(
        root().join("traces/checkout_spike_1h.csv"),
        t.path().join("t.csv"),
    )
    .unwrap();
    let common = ["--manifest", "so.yaml", "--trace", "t.csv"];
    let mut run = vec!["run"];
    run.extend(common);
    run.extend(["--out", "one", "--no-charts"]);
    let o = scalesim(t.path(), &run);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("assumed metric s0-prometheus measures the request rate"),
        "{}",
        stderr(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("verdict: "));
    // The scenario init writes binds it the same way and runs to the same bytes.
    let mut init = vec!["init"];
    init.extend(common);
    init.extend(["-o", "s.yaml"]);
    assert_eq!(scalesim(t.path(), &init).status.code(), Some(0));
    let text = std::fs::read_to_string(t.path().join("s.yaml")).unwrap();
    assert!(
        text.contains("s0-prometheus: {signal: request_rate}"),
        "{text}"
    );
    let o = scalesim(
        t.path(),
        &["run", "s.yaml", "--out", "file", "--no-charts", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["timeseries.csv", "summary.json", "events.jsonl"] {
        let a = std::fs::read(t.path().join("one").join(f)).unwrap();
        let b = std::fs::read(t.path().join("file").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // --allow-missing-metrics keeps upstream's behaviour: the metric fails, nothing is bound.
    let mut allow = vec!["run"];
    allow.extend(common);
    allow.extend(["--out", "allow", "--no-charts", "--allow-missing-metrics"]);
    let o = scalesim(t.path(), &allow);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("assumed metric"), "{}", stderr(&o));
}

/// Autoscalers of several workloads in one file (a monitoring stack's five ScaledObjects): the
/// one-command run simulates the first one's workload and says so; `--target` picks another;
/// `init` writes `autoscaler.target` and its file runs to the same bytes; a target nothing
/// scales is exit 2 naming those there are. (Before: exit 2, "5 autoscalers for one workload".)
#[test]
fn autoscalers_of_several_workloads_simulate_one_chosen_by_target() {
    let t = tempfile::tempdir().unwrap();
    let so = |name: &str, target: &str, threshold: u32| {
        format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: {name}}}\nspec:\n  \
             scaleTargetRef: {{name: {target}}}\n  minReplicaCount: 1\n  maxReplicaCount: 10\n  triggers:\n  - type: cpu\n    \
             metricType: Utilization\n    metadata: {{value: '{threshold}'}}\n"
        )
    };
    let text = [so("web-keda", "web", 60), so("api-keda", "api", 50)].join("---\n");
    std::fs::write(t.path().join("stack.yaml"), text).unwrap();
    std::fs::copy(
        root().join("traces/checkout_spike_1h.csv"),
        t.path().join("rate.csv"),
    )
    .unwrap();
    let base = [
        "--manifest",
        "stack.yaml",
        "--trace",
        "rate.csv",
        "--duration",
        "10m",
    ];
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend(base);
        args.extend(extra);
        scalesim(t.path(), &args)
    };
    let o = run(&["--out", "first", "--no-charts"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(r#"the workload simulated is "web""#), "{err}");
    assert!(err.contains("--target NAME"), "{err}");
    let summary = std::fs::read_to_string(t.path().join("first/summary.json")).unwrap();
    assert!(summary.contains(r#""web-keda""#), "{summary}");
    assert!(!summary.contains(r#""api-keda""#), "{summary}");

    let o = run(&["--target", "api", "--out", "api", "--no-charts", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = std::fs::read_to_string(t.path().join("api/summary.json")).unwrap();
    assert!(summary.contains(r#""api-keda""#), "{summary}");
    assert!(
        stderr(&o).contains(r#"ScaledObject "web-keda" scales "web""#),
        "the other is named as not simulated: {}",
        stderr(&o)
    );

    let mut init = vec!["init"];
    init.extend(base);
    init.extend(["--target", "api", "-o", "s.yaml"]);
    assert_eq!(scalesim(t.path(), &init).status.code(), Some(0));
    let written = std::fs::read_to_string(t.path().join("s.yaml")).unwrap();
    assert!(written.contains("  target: api"), "{written}");
    let o = scalesim(
        t.path(),
        &["run", "s.yaml", "--out", "file", "--no-charts", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["summary.json", "timeseries.csv", "events.jsonl"] {
        let a = std::fs::read(t.path().join("api").join(f)).unwrap();
        let b = std::fs::read(t.path().join("file").join(f)).unwrap();
        assert!(a == b, "{f} differs between --target api and its init file");
    }

    let o = run(&["--target", "nope", "--out", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(r#"they scale "web", "api""#),
        "{}",
        stderr(&o)
    );
    assert!(!t.path().join("nope").exists());
}

/// Pixels of exactly `rgb` in a chart PNG.
fn pixels_of(png_path: &Path, rgb: [u8; 3]) -> usize {
    let bytes = std::fs::read(png_path).unwrap();
    let decoder = png::Decoder::new(bytes.as_slice());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| *p == rgb)
        .count()
}

#[test]
fn the_charts_draw_the_observed_series_over_the_simulated_ones() {
    let t = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/checkout-spike.yaml");
    let s = scenario.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["run", s, "-q"];
        all.extend_from_slice(args);
        let o = scalesim(t.path(), &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    run(&["--out", "recorded", "--seed", "7"]);
    let own = replica_history(&t.path().join("recorded"), |v| v + 2.0);
    std::fs::write(t.path().join("own.csv"), own).unwrap();
    std::fs::write(
        t.path().join("p99.csv"),
        "time,p99\n0,0.8\n30,0.8\n60,0.9\n",
    )
    .unwrap();
    run(&[
        "--out",
        "b",
        "--observed-replicas",
        "own.csv",
        "--observed-latency-p99",
        "p99.csv",
    ]);
    // The observed series' colour (pink) is drawn only when there is an observed series.
    const PINK: [u8; 3] = [227, 119, 194];
    let with = pixels_of(&t.path().join("b/chart.png"), PINK);
    let without = pixels_of(&t.path().join("recorded/chart.png"), PINK);
    assert_eq!(without, 0);
    assert!(with > 500, "only {with} pixels of the observed series");
    for file in ["chart.svg", "report.html"] {
        let text = std::fs::read_to_string(t.path().join("b").join(file)).unwrap();
        assert!(text.contains("observed replicas"), "{file}");
        assert!(text.contains("observed p99"), "{file}");
        let plain = std::fs::read_to_string(t.path().join("recorded").join(file)).unwrap();
        assert!(!plain.contains("observed replicas"), "{file}");
    }
}
