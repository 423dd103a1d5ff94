//! `scalesim compare` end to end, and `run --no-charts`: two runs of the shipped scenario with
//! different seeds, compared; bad run folders exit 2 naming the file.

use crate::helpers::scalesim;
use std::path::{Path, PathBuf};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-spike.yaml")
}

fn run_into(dir: &Path, seed: &str, extra: &[&str]) {
    scalesim()
        .arg("run")
        .arg(shipped())
        .args(["--seed", seed, "--quiet", "--out"])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
}

/// Two runs (seed 1 in `before/`, seed 2 in `after/`), without charts to keep it quick.
fn two_runs() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    run_into(&tmp.path().join("before"), "1", &["--no-charts"]);
    run_into(&tmp.path().join("after"), "2", &["--no-charts"]);
    tmp
}

#[test]
fn run_writes_charts_unless_told_not_to() {
    let tmp = tempfile::tempdir().unwrap();
    run_into(&tmp.path().join("with"), "1", &[]);
    run_into(&tmp.path().join("without"), "1", &["--no-charts"]);
    for f in ["chart.png", "chart.svg", "report.html"] {
        assert!(tmp.path().join("with").join(f).is_file(), "{f} missing");
        assert!(!tmp.path().join("without").join(f).exists(), "{f} written");
    }
    // The CSV and JSON are the same either way.
    for f in ["timeseries.csv", "summary.json", "events.jsonl"] {
        let a = std::fs::read(tmp.path().join("with").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("without").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
}

#[test]
fn a_run_without_charts_removes_an_earlier_runs_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    run_into(&dir, "1", &[]);
    for f in ["chart.png", "chart.svg", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} missing after the first run");
    }
    // The second run's CSV would not match the first run's pictures: they must go.
    run_into(&dir, "2", &["--no-charts"]);
    for f in ["chart.png", "chart.svg", "report.html"] {
        assert!(!dir.join(f).exists(), "stale {f} left beside the new run");
    }
    assert!(dir.join("timeseries.csv").is_file());
}

#[test]
fn compare_overlays_two_runs_and_tables_their_summaries() {
    let tmp = two_runs();
    let out = tmp.path().join("cmp");
    let assert = scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "after", "--out", "cmp"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for needle in [
        "before",
        "after",
        "after − before",
        "latency p99",
        "pod-hours",
        "timed out",
    ] {
        assert!(
            stdout.contains(needle),
            "stdout lacks {needle:?}:\n{stdout}"
        );
    }
    let png = std::fs::read(out.join("compare.png")).unwrap();
    let reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
    assert!(reader.info().width >= 1200);
    let svg = std::fs::read_to_string(out.join("compare.svg")).unwrap();
    assert!(svg.contains("compare: before vs after"));
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("<h2>Summaries</h2>") && html.contains("<svg "));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("src="));

    // Same inputs, same bytes.
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "after", "--out", "cmp2", "--quiet"])
        .assert()
        .success()
        .stdout("");
    for f in ["compare.png", "compare.svg", "compare.html"] {
        let a = std::fs::read(out.join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("cmp2").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
}

#[test]
fn compare_reads_runs_of_different_steps_and_lengths() {
    let tmp = two_runs();
    // Keep every 10th row of `after`, and only its first half: a coarser, shorter run.
    let csv = std::fs::read_to_string(tmp.path().join("after/timeseries.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let mut thin = vec![lines[0].to_string()];
    thin.extend(
        lines[1..lines.len() / 2]
            .iter()
            .step_by(10)
            .map(|l| l.to_string()),
    );
    std::fs::write(
        tmp.path().join("after/timeseries.csv"),
        thin.join("\n") + "\n",
    )
    .unwrap();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "after", "--out", "cmp", "--quiet"])
        .assert()
        .success();
}

#[test]
fn a_missing_run_folder_exits_2_naming_it() {
    let tmp = two_runs();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "nowhere", "--out", "cmp"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nowhere: no such run folder"));
    assert!(!tmp.path().join("cmp").exists());
}

#[test]
fn a_folder_that_is_not_a_run_exits_2_naming_the_file() {
    let tmp = two_runs();
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "empty"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("summary.json: missing"));
}

#[test]
fn a_malformed_timeseries_exits_2_naming_file_line_and_column() {
    let tmp = two_runs();
    let path = tmp.path().join("after/timeseries.csv");
    let csv = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    lines[3] = lines[3].replacen(",100,", ",1o0,", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "after"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "timeseries.csv:4: field `arrival_rate`: \"1o0\" is not a number",
        ));

    std::fs::write(&path, "time_s,arrival_rate\n0,1\n1,2,3\n").unwrap();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "after"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("timeseries.csv:3"));

    std::fs::write(tmp.path().join("after/summary.json"), "{\"seed\": 1,").unwrap();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "after"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("summary.json:1:"));
}

#[test]
fn compare_needs_two_runs() {
    scalesim().args(["compare", "one"]).assert().code(2);
}

fn run_scenario_into(scenario: &str, dir: &Path, seed: &str) {
    scalesim()
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario))
        .args(["--seed", seed, "--quiet", "--no-charts", "--out"])
        .arg(dir)
        .assert()
        .success();
}

fn compare_svg(dir: &Path) -> String {
    scalesim()
        .current_dir(dir)
        .args(["compare", "before", "after", "--out", "cmp", "--quiet"])
        .assert()
        .success();
    std::fs::read_to_string(dir.join("cmp/compare.svg")).unwrap()
}

#[test]
fn compare_draws_what_the_runs_agree_on_clock_units_and_reference_lines() {
    // sqs-worker starts at 06:00 +01:00 and scales on an SQS queue; run twice, the compared
    // charts read clock time and label the metric axis as `run` does.
    let tmp = tempfile::tempdir().unwrap();
    run_scenario_into("scenarios/sqs-worker.yaml", &tmp.path().join("before"), "1");
    run_scenario_into("scenarios/sqs-worker.yaml", &tmp.path().join("after"), "2");
    let svg = compare_svg(tmp.path());
    assert!(svg.contains("clock time (UTC+01:00)"), "no clock axis");
    assert!(svg.contains("messages per replica"));
    assert!(!svg.contains("time since start"));

    // Runs that disagree on the start draw elapsed time; an SLO both record is drawn.
    let edit = |run: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let path = tmp.path().join(run).join("summary.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    };
    edit("after", &|v| {
        v["chart"]["start_time"] = "2026-03-03T06:00:00+01:00".into();
    });
    for run in ["before", "after"] {
        edit(run, &|v| v["chart"]["slo_latency_p99_s"] = 30.0.into());
    }
    let svg = compare_svg(tmp.path());
    assert!(svg.contains("time since start (h:mm)") && !svg.contains("clock time"));
    assert!(svg.contains("SLO p99 30 s"));
}

#[test]
fn compare_shows_the_client_timeout_of_runs_that_share_it() {
    let tmp = two_runs();
    let svg = compare_svg(tmp.path());
    assert!(svg.contains("client timeout 10 s"));
    assert!(svg.contains("% of CPU request"));
}

#[test]
fn a_run_compared_with_itself_stays_visible_under_the_second() {
    // The same folder twice: identical lines. The second run is dashed, so the first shows in
    // its gaps; before, the second covered the first completely.
    let tmp = two_runs();
    scalesim()
        .current_dir(tmp.path())
        .args(["compare", "before", "before", "--out", "cmp", "--quiet"])
        .assert()
        .success();
    let (blue, orange) = ("#1F77B4", "#FF7F0E");
    let svg = std::fs::read_to_string(tmp.path().join("cmp/compare.svg")).unwrap();
    let paths = |colour: &str| svg.matches(&format!("stroke=\"{colour}\"")).count();
    // One solid path per series of the first run; the second's broken into dashes.
    assert!(paths(blue) >= 6, "{} blue paths", paths(blue));
    assert!(
        paths(orange) > 10 * paths(blue),
        "{} orange paths",
        paths(orange)
    );

    let png = std::fs::read(tmp.path().join("cmp/compare.png")).unwrap();
    let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
    let mut px = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut px).unwrap();
    let w = info.width as usize;
    // The load panel (below the 66-pixel title, 280 high), left of the legend.
    let count = |c: (u8, u8, u8)| {
        (70..340)
            .flat_map(|y| (100..w - 380).map(move |x| (y * w + x) * 3))
            .filter(|&i| (px[i], px[i + 1], px[i + 2]) == c)
            .count()
    };
    let (b, o) = (count((31, 119, 180)), count((255, 127, 14)));
    assert!(b > 300 && o > 300, "blue {b} and orange {o} pixels");
}
