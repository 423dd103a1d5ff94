//! `scalesim sweep`: grid size, determinism across thread counts and shards, sampling,
//! replications, sweep files, and bad paths (issue #7).

use crate::helpers;
use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    helpers::fixture("sweep", name)
}

const UTIL: &str = "hpa.spec.metrics[0].resource.target.averageUtilization=50,70";
const STARTUP: &str = "pods.startup.max=20s..40s:10s";

/// Run `scalesim sweep web.yaml ARGS… --out DIR -q`; returns (exit code, stdout, stderr).
fn sweep(out: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .arg("sweep")
        .arg(fixture("web.yaml"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(out: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = sweep(out, args);
    assert_eq!(code, 0, "stderr: {stderr}");
    stdout
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn csv_rows(dir: &Path) -> Vec<Vec<String>> {
    let text = String::from_utf8(read(&dir.join("sweep.csv"))).unwrap();
    text.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn one_row_per_grid_point_with_values_and_metrics() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    let stdout = ok(&out, &["--vary", UTIL, "--vary", STARTUP]);
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 1 + 2 * 3, "header + 2 × 3 points");
    let h = &rows[0];
    assert_eq!(h[0], "point");
    assert_eq!(
        h[1],
        "hpa.spec.metrics[0].resource.target.averageUtilization"
    );
    assert_eq!(h[2], "pods.startup.max");
    for col in [
        "served_ratio",
        "dropped_ratio",
        "timed_out_ratio",
        "latency_p99_s",
        "pod_hours",
        "backlog_age_max_s",
        "overload_s",
        "scale_events",
        "slo_pass",
        "slo_failed",
    ] {
        assert!(h.iter().any(|c| c == col), "missing column {col}: {h:?}");
    }
    // The first --vary changes slowest; range values are written with their unit.
    let values: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        values,
        [
            ("50", "20s"),
            ("50", "30s"),
            ("50", "40s"),
            ("70", "20s"),
            ("70", "30s"),
            ("70", "40s")
        ]
    );
    // The varied utilization target reaches the HPA: a higher target runs fewer pods.
    let pods = h.iter().position(|c| c == "pod_hours").unwrap();
    let cost = |r: &Vec<String>| r[pods].parse::<f64>().unwrap();
    assert!(cost(&rows[1]) > cost(&rows[4]), "{rows:?}");
    assert!(out.join("pareto.png").exists() && out.join("pareto.svg").exists());
    assert!(stdout.contains("meet the SLO"), "{stdout}");
}

#[test]
fn parallel_and_serial_sweeps_are_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("serial"), t.path().join("parallel"));
    ok(
        &a,
        &["--vary", UTIL, "--vary", STARTUP, "--jobs", "1", "-q"],
    );
    ok(
        &b,
        &["--vary", UTIL, "--vary", STARTUP, "--jobs", "4", "-q"],
    );
    for f in ["sweep.csv", "sweep.json", "pareto.svg", "pareto.png"] {
        assert!(read(&a.join(f)) == read(&b.join(f)), "{f} differs");
    }
}

#[test]
fn shards_merge_into_the_unsharded_sweep() {
    let t = tempfile::tempdir().unwrap();
    let whole = t.path().join("whole");
    let (s1, s2) = (t.path().join("s1"), t.path().join("s2"));
    let args = ["--vary", UTIL, "--vary", STARTUP, "-q"];
    ok(&whole, &args);
    ok(&s1, &[&args[..], &["--shard", "1/2"]].concat());
    ok(&s2, &[&args[..], &["--shard", "2/2"]].concat());
    assert_eq!(csv_rows(&s1).len(), 1 + 3);
    assert!(!s1.join("pareto.png").exists(), "a shard draws no chart");
    let merged = t.path().join("merged");
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .args(["sweep", "merge"])
        .arg(&s2)
        .arg(&s1)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for f in ["sweep.csv", "sweep.json", "pareto.svg"] {
        assert!(read(&whole.join(f)) == read(&merged.join(f)), "{f} differs");
    }
    // A missing shard is an input error.
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .args(["sweep", "merge"])
        .arg(&s1)
        .arg("--out")
        .arg(t.path().join("bad"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing shard 2/2"));
}

#[test]
fn sample_draws_that_many_distinct_points() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    let args = [
        "--vary",
        "hpa.spec.metrics[0].resource.target.averageUtilization=40..80:10",
        "--vary",
        "hpa.spec.maxReplicas=6,8,10,12",
        "--sample",
        "5",
        "-q",
    ];
    ok(&out, &args);
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 1 + 5);
    let mut combos: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    combos.sort();
    combos.dedup();
    assert_eq!(combos.len(), 5, "distinct points");
    let meta = String::from_utf8(read(&out.join("sweep.json"))).unwrap();
    assert!(meta.contains("\"grid_points\": 20") && meta.contains("\"sample\": 5"));
    // Seeded: the same sample again.
    let again = t.path().join("again");
    ok(&again, &args);
    assert!(read(&out.join("sweep.csv")) == read(&again.join("sweep.csv")));
}

#[test]
fn replications_report_mean_and_spread() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    ok(
        &out,
        &[
            "--vary",
            "workload.concurrency=2,4",
            "--replications",
            "3",
            "-q",
        ],
    );
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 3);
    let h = &rows[0];
    let std = h.iter().position(|c| c == "latency_p99_s_std").unwrap();
    assert_eq!(h[std - 1], "latency_p99_s");
    let spread: f64 = rows[2][std].parse().unwrap();
    assert!(spread > 0.0, "three seeds differ: {rows:?}");
    assert!(
        String::from_utf8(read(&out.join("sweep.json")))
            .unwrap()
            .contains("\"replications\": 3")
    );
}

#[test]
fn sweep_file_holds_the_same_sweep() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .args(["sweep", "--file"])
        .arg(fixture("sweep.yaml"))
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 1 + 4);
    assert_eq!(rows[2][2], "40s");
    assert!(rows[0].iter().any(|c| c == "latency_p95_s_std"));
    let meta = String::from_utf8(read(&out.join("sweep.json"))).unwrap();
    assert!(meta.contains("\"objective\": \"latency_p95_s\""), "{meta}");
}

#[test]
fn a_path_no_manifest_has_exits_2_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    for (vary, needle) in [
        (
            "scaledobject.spec.cooldownPeriod=60,120",
            "--vary scaledobject.spec.cooldownPeriod",
        ),
        ("hpa.spec.maxReplica=10,20", "--vary hpa.spec.maxReplica"),
        (
            "Deployment[nope].spec.replicas=1",
            "--vary Deployment[nope].spec.replicas",
        ),
        ("pods.startupp.max=10s", "startupp"),
        (
            "hpa.spec.metrics[3].type=Pods",
            "--vary hpa.spec.metrics[3].type",
        ),
        ("hpa.spec.maxReplicas", "PATH=VALUES"),
    ] {
        let (code, _, stderr) = sweep(&out, &["--vary", vary]);
        assert_eq!(code, 2, "{vary}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{vary}: stderr lacks {needle:?}:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!out.exists(), "nothing written on bad input");
}

#[test]
fn bad_sweep_options_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    for (args, needle) in [
        (vec!["--vary", UTIL, "--shard", "3/2"], "shard"),
        (
            vec!["--vary", UTIL, "--objective", "latency_p77"],
            "latency_p77",
        ),
        (
            vec!["--vary", UTIL, "--slo", "latency_p999=1s"],
            "latency_p999",
        ),
        (vec!["--vary", "workload.concurrency=1..3:0"], "step"),
        (vec!["--vary", UTIL, "--vary", UTIL], "given twice"),
    ] {
        let (code, _, stderr) = sweep(&out, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn the_best_points_charts_draw_the_sweeps_slo() {
    // web.yaml's own `slo:` says latency_p99 1s; `--slo` replaces it for the sweep, and the
    // best point's chart shows the sweep's bound, which is the one its rank rests on.
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    ok(&out, &["--vary", UTIL, "--slo", "latency_p99=2s", "-q"]);
    let best = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("best-1-")
        })
        .expect("a best-1 folder");
    let svg = String::from_utf8(read(&best.join("chart.svg"))).unwrap();
    assert!(svg.contains("SLO p99 2 s"), "no SLO p99 2 s line");
    assert!(!svg.contains("SLO p99 1 s"));
    let summary = String::from_utf8(read(&best.join("summary.json"))).unwrap();
    assert!(summary.contains("\"slo_latency_p99_s\": 2.0"), "{summary}");
}

/// The example Indexed Job (`examples/kubernetes/`): its folder, and the container's args and
/// `completions` read from `sweep-job.yaml`.
fn indexed_job() -> (PathBuf, Vec<String>, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes");
    let text = std::fs::read_to_string(dir.join("sweep-job.yaml")).unwrap();
    let job: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let args = spec["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    (dir, args, spec["completions"].as_u64().unwrap() as usize)
}

/// `scalesim ARGS…` as one pod of the Indexed Job runs it: in the shared volume, with
/// `JOB_COMPLETION_INDEX` set (or not), the ConfigMap's `/scenario` being the example's folder.
fn pod(shared: &Path, args: &[String], index: Option<&str>) -> std::process::Child {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes/scenario");
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("scalesim"));
    c.current_dir(shared)
        .args(
            args.iter()
                .map(|a| a.replace("/scenario", scenario.to_str().unwrap())),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    match index {
        Some(i) => c.env("JOB_COMPLETION_INDEX", i),
        None => c.env_remove("JOB_COMPLETION_INDEX"),
    };
    c.spawn().unwrap()
}

/// The example Indexed Job's contract, run locally: its N pods at once (`JOB_COMPLETION_INDEX`
/// 0…N−1, `--shard auto/N`) into one shared folder, then the merge Job's command, give the
/// same bytes as one process sweeping everything.
#[test]
fn indexed_job_shards_merge_byte_identical_to_one_process() {
    let (dir, args, completions) = indexed_job();
    let shard = args.iter().position(|a| a == "--shard").unwrap();
    assert_eq!(
        args[shard + 1],
        format!("auto/{completions}"),
        "completions = N"
    );
    let t = tempfile::tempdir().unwrap();
    let shared = t.path().join("results");
    std::fs::create_dir(&shared).unwrap();
    let pods: Vec<_> = (0..completions)
        .map(|i| pod(&shared, &args, Some(&i.to_string())))
        .collect();
    let mut one = args.clone();
    one.drain(shard..shard + 2);
    one.extend(["--out".into(), "../whole".into(), "-q".into()]);
    let whole = pod(&shared, &one, None).wait_with_output().unwrap();
    for p in pods {
        let o = p.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let merge_job = std::fs::read_to_string(dir.join("merge-job.yaml")).unwrap();
    let command = merge_job
        .lines()
        .find_map(|l| l.trim().strip_prefix("- exec scalesim "))
        .expect("merge-job.yaml runs `exec scalesim …`");
    let o = std::process::Command::new("/bin/sh")
        .current_dir(&shared)
        .arg("-c")
        .arg(format!("exec \"$SCALESIM\" {command}"))
        .env("SCALESIM", assert_cmd::cargo::cargo_bin("scalesim"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shards = std::fs::read_dir(shared.join("out/web-sweep"))
        .unwrap()
        .count();
    assert_eq!(shards, completions);
    let whole = t.path().join("whole");
    for f in ["sweep.csv", "sweep.json", "pareto.svg", "pareto.png"] {
        let merged = read(&shared.join("sweep").join(f));
        assert!(read(&whole.join(f)) == merged, "{f} differs");
    }
}

/// `--shard auto/N` outside an Indexed Job, or with an index the Job's completions do not
/// allow, is a usage error that says which.
#[test]
fn shard_auto_needs_a_job_completion_index_in_range() {
    let t = tempfile::tempdir().unwrap();
    for (index, needle) in [
        (None, "JOB_COMPLETION_INDEX is not set"),
        (
            Some("3"),
            "JOB_COMPLETION_INDEX is \"3\", not a whole number from 0 to 2",
        ),
        (Some("x"), "JOB_COMPLETION_INDEX is \"x\""),
    ] {
        let args: Vec<String> = [
            "sweep",
            "--file",
            "/scenario/sweep.yaml",
            "--shard",
            "auto/3",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        let o = pod(t.path(), &args, index).wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(needle), "{index:?}: {err}");
    }
    let (code, _, err) = sweep(&t.path().join("o"), &["--vary", UTIL, "--shard", "auto/0"]);
    assert_eq!(code, 2);
    assert!(err.contains("such as auto/4"), "{err}");
    assert!(!t.path().join("out").exists(), "nothing written");
}
