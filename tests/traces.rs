//! Traces as users meet them: every file shipped in `traces/` loads, the generated ones are
//! reproduced by the commands in `traces/README.md`, Prometheus `query_range` fixtures (several
//! series, NaN and ±Inf, string-encoded numbers) load as documented, and `scalesim trace`
//! behaves on the command line (exit 2 with the line on bad input).

use assert_cmd::Command;
use predicates::prelude::*;
use scalesim::trace::prometheus::Combine;
use scalesim::trace::rows::{GapFill, Repair};
use scalesim::trace::{Format, ReadOptions, read, stats};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/prometheus").join(name)
}

fn scalesim() -> Command {
    Command::cargo_bin("scalesim").unwrap()
}

const LENIENT: Repair = Repair {
    lenient: true,
    gap_fill: GapFill::Hold,
};

#[test]
fn every_shipped_trace_loads_without_warnings() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("traces")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let loaded = read::read(&path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            loaded.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            loaded.warnings
        );
        let t = &loaded.trace;
        assert!(
            t.times.len() > 100 && t.end > 0.0 && t.mean_rate() > 0.0,
            "{}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 8, "only {n} traces");
}

/// Split a README command line into arguments (single quotes group, no escapes needed).
fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

#[test]
fn generated_traces_are_reproduced_by_the_readme_commands() {
    let readme = std::fs::read_to_string(root().join("traces/README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for line in readme
        .lines()
        .filter(|l| l.starts_with("scalesim trace gen "))
    {
        let mut args = shell_words(line);
        let o = args
            .iter()
            .position(|a| a == "-o")
            .expect("command writes with -o");
        let shipped = root().join(&args[o + 1]);
        let fresh = dir.path().join(format!("{n}.csv"));
        args[o + 1] = fresh.display().to_string();
        scalesim().args(&args[1..]).assert().success();
        let (a, b) = (
            std::fs::read(&fresh).unwrap(),
            std::fs::read(&shipped).unwrap(),
        );
        assert!(
            a == b,
            "{} differs from what `{line}` writes",
            shipped.display()
        );
        n += 1;
    }
    assert_eq!(n, 6, "one README command per generated trace");
}

#[test]
fn real_traces_match_their_published_figures() {
    let nasa = read::read(
        &root().join("traces/nasa_http_jul1995_1min.csv"),
        &ReadOptions::default(),
    )
    .unwrap()
    .trace;
    let s = stats::stats(&nasa);
    assert_eq!(s.rows, 39_692);
    assert_eq!(s.resolution, 60.0);
    assert!((s.requests - 1_891_675.0).abs() < 50.0, "{}", s.requests);
    assert!((s.peak - 6.8167).abs() < 1e-3 && (s.mean - 0.7943).abs() < 1e-3);
    let rate = read::read(
        &root().join("traces/azure_llm_code_2023_1s.csv"),
        &ReadOptions::default(),
    )
    .unwrap()
    .trace;
    let log = read::read(
        &root().join("traces/azure_llm_code_2023_arrivals.csv"),
        &ReadOptions::default(),
    )
    .unwrap()
    .trace;
    assert_eq!(log.arrivals.as_ref().map(Vec::len), Some(8819));
    assert_eq!(
        log.rates, rate.rates,
        "binning the arrivals gives the published per-second counts"
    );
    let week = read::read(
        &root().join("traces/diurnal_week_5min.csv"),
        &ReadOptions::default(),
    )
    .unwrap()
    .trace;
    assert_eq!(
        week.start_time.unwrap().to_rfc3339(),
        "2024-03-04T00:00:00+00:00"
    );
}

fn prom(name: &str, opts: &ReadOptions) -> Result<scalesim::trace::Loaded, scalesim::InputError> {
    read::read(&fixture(name), opts)
}

/// 1-based line of the first occurrence of `needle` in a fixture.
fn line_of(name: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn prometheus_compact_output_of_curl() {
    let l = prom("sum_rate_compact.json", &ReadOptions::default()).unwrap();
    let t = &l.trace;
    assert_eq!(t.times.len(), 10);
    assert_eq!(t.rates[0], 152.46666666666667);
    assert_eq!(t.rates[4], 170.0, "string-encoded exponent");
    assert_eq!(t.end, 150.0, "one 15 s step after the last sample");
    assert_eq!(
        t.start_time.unwrap().to_rfc3339(),
        "2024-06-01T12:00:00+00:00"
    );
    assert_eq!(l.warnings.len(), 1);
    assert!(
        l.warnings[0].message.contains("retention"),
        "Prometheus' own warning is passed on"
    );
}

#[test]
fn prometheus_series_selection_sum_and_non_finite_values() {
    let f = "by_pod_nan_inf.json";
    let e = prom(f, &ReadOptions::default()).unwrap_err();
    assert!(
        e.message.contains("4 series match") && e.message.contains("combine: sum"),
        "{e}"
    );

    // One pod: its NaN is an error at its own line (strict) or holds the previous value.
    let one = |repair| ReadOptions {
        series: Some("{pod=\"api-7d9f-abcde\"}".parse().unwrap()),
        repair,
        ..Default::default()
    };
    let e = prom(f, &one(Repair::default())).unwrap_err();
    assert_eq!(e.location.line, Some(line_of(f, "\"NaN\"")), "{e}");
    assert!(e.message.contains("NaN"), "{e}");
    let t = prom(f, &one(LENIENT)).unwrap().trace;
    assert_eq!(t.rates, vec![40.5, 41.0, 41.0, 43.25, 44.0]);

    // Sum of the job's 200s: NaN and +Inf make their sums unusable, located at the culprit.
    let sum = |repair| ReadOptions {
        series: Some("{job=\"api\", code=\"200\"}".parse().unwrap()),
        combine: Combine::Sum,
        repair,
        ..Default::default()
    };
    let e = prom(f, &sum(Repair::default())).unwrap_err();
    assert_eq!(e.location.line, Some(line_of(f, "\"NaN\"")), "{e}");
    let l = prom(f, &sum(LENIENT)).unwrap();
    assert_eq!(l.trace.rates, vec![78.5, 80.5, 80.5, 80.5, 86.0]);
    assert!(
        l.warnings[0]
            .message
            .contains("2 rows without a usable rate"),
        "{:?}",
        l.warnings
    );

    // A sparse series (absent at the first and last steps) starts at its first sample.
    let t = prom(
        f,
        &ReadOptions {
            series: Some("code=500".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap()
    .trace;
    assert_eq!(t.rates, vec![0.5, 0.25, 0.0]);
    assert_eq!(
        t.start_time.unwrap().to_rfc3339(),
        "2024-06-01T12:00:15+00:00"
    );

    // -Inf is no usable value either.
    let worker = |repair| ReadOptions {
        series: Some("{job=\"worker\"}".parse().unwrap()),
        repair,
        ..Default::default()
    };
    let e = prom(f, &worker(Repair::default())).unwrap_err();
    assert_eq!(e.location.line, Some(line_of(f, "\"-Inf\"")));
    assert_eq!(
        prom(f, &worker(LENIENT)).unwrap().trace.rates,
        vec![0.0, 7.0, 7.0, 7.0, 7.0]
    );

    // Summing everything: absent samples add nothing at their timestamps.
    let all = prom(
        f,
        &ReadOptions {
            combine: Combine::Sum,
            repair: LENIENT,
            ..Default::default()
        },
    )
    .unwrap()
    .trace;
    assert_eq!(all.rates[1], 41.0 + 39.5 + 0.5 + 7.0);

    let e = prom(
        f,
        &ReadOptions {
            series: Some("{job=\"db\"}".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        e.message.contains("no series matches") && e.message.contains("worker-0"),
        "{e}"
    );
}

#[test]
fn prometheus_errors_and_instant_queries_are_explained() {
    let e = prom("error_response.json", &ReadOptions::default()).unwrap_err();
    assert!(
        e.message.contains("bad_data") && e.message.contains("parse error"),
        "{e}"
    );
    let e = prom("instant_vector.json", &ReadOptions::default()).unwrap_err();
    assert!(e.message.contains("query_range"), "{e}");
    // Format detection by content, whatever the extension.
    let text = std::fs::read(fixture("sum_rate_compact.json")).unwrap();
    let l = read::parse(Path::new("curl-output.txt"), &text, &ReadOptions::default()).unwrap();
    assert_eq!(l.trace.times.len(), 10);
    assert!(
        read::parse(
            Path::new("x.txt"),
            &text,
            &ReadOptions {
                format: Format::Csv,
                ..Default::default()
            }
        )
        .is_err()
    );
}

#[test]
fn cli_trace_show() {
    scalesim()
        .args(["trace", "show"])
        .arg(root().join("traces/nasa_http_jul1995_1min.csv"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("39692 rows at 1m resolution")
                .and(predicate::str::contains("peak/mean 8.58")),
        );
    scalesim()
        .args([
            "trace",
            "show",
            "--series",
            "{pod=\"api-7d9f-abcde\"}",
            "--lenient",
        ])
        .arg(fixture("by_pod_nan_inf.json"))
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning: ")
                .and(predicate::str::contains("took the previous row's rate")),
        );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "time,rps\n0,1\n60,-2\n").unwrap();
    scalesim()
        .args(["trace", "show"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.csv:3: `rps` is -2, negative"));
    scalesim()
        .args(["trace", "show", "--lenient"])
        .arg(&bad)
        .assert()
        .success()
        .stderr(predicate::str::contains("clamped to 0"));
    scalesim()
        .args(["trace", "show", "/no/such/trace.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not found"));
    scalesim()
        .args(["trace", "show", "-"])
        .write_stdin("1700000000.5\n1700000001.25\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("2 exact arrivals"));
}

#[test]
fn cli_trace_gen() {
    let out = scalesim()
        .args([
            "trace",
            "gen",
            "spike",
            "--base",
            "50",
            "--peak",
            "400",
            "--at",
            "10m",
            "--rise",
            "30s",
            "--hold=5m",
            "--decay",
            "2m",
            "--duration",
            "1h",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("time,rps\n0,50\n1,50\n"));
    assert_eq!(text.lines().count(), 3601);
    scalesim()
        .args([
            "trace",
            "gen",
            "spike",
            "--base",
            "50",
            "--peak",
            "-3",
            "--at",
            "1m",
            "--duration",
            "1h",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--peak"));
    scalesim()
        .args(["trace", "gen", "spike", "--bse", "50"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--base"));
    scalesim()
        .args(["trace", "gen", "constant", "--rate", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--duration"));
    scalesim()
        .args([
            "trace",
            "gen",
            "--spec",
            "{kind: sum, of: [{kind: constant, rate: 1}, {kind: spike, base: 0, peek: 3}]}",
            "--duration",
            "1m",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--spec:1:").and(predicate::str::contains("peek")));
    scalesim()
        .args([
            "trace",
            "gen",
            "diurnal",
            "--min",
            "1",
            "--max",
            "2",
            "--step",
            "1h",
            "--duration",
            "1d",
            "--start",
            "2024-03-04T00:00:00+01:00",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("\n2024-03-04T01:00:00+01:00,"));
}
