//! Traces as users meet them: every file shipped in `traces/` loads, the generated ones are
//! reproduced by the commands in `traces/README.md`, Prometheus `query_range` fixtures (several
//! series, NaN and ±Inf, string-encoded numbers, missing steps) load as documented, and
//! `scalesim trace` behaves on the command line (exit 2 with the physical line on bad input,
//! whatever the line ends; rate units; epoch units; the one-minute rise), as do the trace
//! warnings of `scalesim run`.

use crate::helpers::{self, root, scalesim};
use predicates::prelude::*;
use scalesim::trace::{Combine, Format, GapFill, ReadOptions, Repair, read, stats};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    helpers::fixture("prometheus", name)
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
        .stderr(
            predicate::str::contains("bad.csv:3: `rps` is -2, negative")
                .and(predicate::str::contains("`lenient: true`, or `--lenient`")),
        );
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

/// `scalesim ARGS…` with `files` (name, content) written into a fresh folder that is also the
/// working directory; returns (exit code, stdout, stderr).
fn in_dir(files: &[(&str, &[u8])], args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let o = scalesim()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `scalesim trace show t.csv ARGS…` on `text`.
fn show(text: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["trace", "show", "t.csv"];
    all.extend_from_slice(args);
    in_dir(&[("t.csv", text.as_bytes())], &all)
}

/// Errors and lenient warnings name the physical line of the file: CRLF line ends, blank and
/// `#` comment lines in the middle, bare-CR files.
#[test]
fn csv_errors_name_the_physical_line() {
    // A CRLF export: a bad number on line 5000.
    let mut big = String::from("time,rps\r\n");
    for i in 0..4998 {
        big += &format!("{i},{}\r\n", i % 7);
    }
    big += "4998,1x\r\n";
    let (code, _, err) = show(&big, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("t.csv:5000: column `rps`: \"1x\" is not a number"),
        "{err}"
    );

    // A regular trace (1-minute rows) for the gap.
    let mut gap = String::from("time,rps\r\n");
    for k in 0..9 {
        gap += &format!("{},1\r\n", k * 60);
    }
    gap += "\r\n1200,1\r\n";
    for (text, expect) in [
        ("time,rps\n0,1\n\n1,x\n", "t.csv:4: column `rps`"),
        (
            "# export\r\ntime,rps\r\n0,1\r\n# paused\r\n\r\n60,-2\r\n",
            "t.csv:6: `rps` is -2, negative",
        ),
        (
            "time,rps\r\n0,1\r\n\r\n1,NaN\r\n",
            "t.csv:4: `rps` has no value",
        ),
        (
            "time,rps\r\n0,1\r\n# again\r\n0,2\r\n",
            "t.csv:4: duplicate time 0",
        ),
        (
            "time,rps\r\n5,1\r\n\r\n3,1\r\n",
            "t.csv:4: time 3 is earlier",
        ),
        ("time,rps\r0,1\r\r7,x\r", "t.csv:4: column `rps`"),
        (gap.as_str(), "t.csv:12: gap: no row for 12m"),
    ] {
        let (code, _, err) = show(text, &[]);
        assert_eq!(code, 2, "{text:?}");
        assert!(err.contains(expect), "{text:?}: {err}");
    }
    let (code, _, err) = show(
        "time,rps\r\n5,1\r\n\r\n3,1\r\n# end\r\n\r\n3,2\r\n",
        &["--lenient"],
    );
    assert_eq!(code, 0);
    assert!(
        err.contains("warning: t.csv:4: 1 row out of time order: sorted by time")
            && err.contains("warning: t.csv:7: 1 row repeats the time of an earlier row"),
        "{err}"
    );
}

/// Files with bare-CR line ends (classic Mac OS) read as lines, not as one.
#[test]
fn bare_cr_files_load() {
    let (code, out, err) = show("time,rps\r0,1\r1,2\r2,3\r", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 rows at 1s resolution"), "{out}");
    let (code, out, err) = in_dir(&[("r.txt", b"0.5\r1\r2.5\r")], &["trace", "show", "r.txt"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 exact arrivals"), "{out}");
}

/// Per-minute counts loaded as req/s would be 60× too high: a `requests` column warns and says
/// how to read it otherwise, and `--rate-unit` converts.
#[test]
fn rate_unit_reads_counts_and_per_minute_rates() {
    let counts = "time,requests\n0,600\n60,600\n120,1200\n";
    let (code, out, err) = show(counts, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("mean 800 "), "{out}");
    assert!(
        err.contains("warning: t.csv:1: column `requests` was read as requests per second")
            && err.contains("--rate-unit count"),
        "{err}"
    );
    let (code, out, err) = show(counts, &["--rate-unit", "count"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("min 10  mean 13.3  p99 20  peak 20 req/s"),
        "{out}"
    );
    assert!(out.contains("2400 expected"), "the counts add up: {out}");
    assert!(err.is_empty(), "{err}");
    let (_, out, _) = show("time,rps\n0,600\n60,1200\n", &["--rate-unit", "per_minute"]);
    assert!(
        out.contains("min 10  mean 15  p99 20  peak 20 req/s"),
        "{out}"
    );
    let (_, out, _) = show(
        "time,rps\n0,36000\n60,36000\n",
        &["--rate-unit", "per-hour"],
    );
    assert!(out.contains("mean 10 "), "{out}");
    let (code, _, err) = show(counts, &["--rate-unit", "per_day"]);
    assert_eq!(code, 2);
    assert!(err.contains("per_hour"), "{err}");
}

/// Epoch micro- and nanoseconds are detected; a unit forced wrong is an error naming the
/// year and the unit that fits, and epoch times forced to relative seconds warn.
#[test]
fn epoch_units_are_detected_or_explained() {
    let micros = "time,rps\n1700000000000000,1\n1700000060000000,2\n";
    let nanos = "time,rps\n1700000000000000000,1\n1700000060000000000,2\n";
    for text in [micros, nanos] {
        let (code, out, err) = show(text, &[]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("start       2023-11-14T22:13:20Z")
                && out.contains("2m (2 rows at 1m resolution)"),
            "{out}"
        );
    }
    let (code, _, err) = show(micros, &["--time-format", "epoch_millis"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("t.csv:2: column `time`")
            && err.contains("year 55840")
            && err.contains("--time-format epoch_micros"),
        "{err}"
    );
    let (code, out, err) = show(
        "time,rps\n1700000000,1\n1700000060,2\n",
        &["--time-format", "seconds"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("19675d"), "{out}");
    assert!(
        err.contains("look like Unix epoch seconds") && err.contains("--time-format epoch_seconds"),
        "{err}"
    );
    let (code, _, err) = show(
        "time,rps\n1700000000,1\n1700000060,2\n",
        &["--time-format", "rfc3339"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("t.csv:2: column `time`: time \"1700000000\" is not an RFC 3339 timestamp"),
        "{err}"
    );
}

/// Steps missing from a Prometheus query's grid are filled, with a warning saying how many,
/// where the first is and how they were filled; strict reading still succeeds.
#[test]
fn prometheus_missing_steps_warn() {
    let f = "missing_steps.json";
    let l = prom(f, &ReadOptions::default()).unwrap();
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    let w = &l.warnings[0];
    assert_eq!(w.location.line, Some(line_of(f, "[1717243350,")));
    assert!(
        w.message.starts_with(
            "3 steps are missing from the 30s query step grid (the first at 2024-06-01T12:02:00Z"
        ) && w
            .message
            .contains("each holds the value of the sample before it"),
        "{w}"
    );
    // The sample before each hole holds across it.
    assert_eq!(l.trace.rate_at(125.0), 14.0);
    assert_eq!(l.trace.rate_at(330.0), 16.5);
    scalesim()
        .args(["trace", "show"])
        .arg(fixture(f))
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning: ")
                .and(predicate::str::contains("3 steps are missing")),
        );
    // A complete grid: no warning.
    assert!(
        prom("sum_rate_compact.json", &ReadOptions::default())
            .unwrap()
            .warnings
            .iter()
            .all(|w| !w.message.contains("missing"))
    );
}

/// The `+X req/s` of `trace show`'s one-minute rise line.
fn rise_of(out: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with("1-min rise"))
        .unwrap_or_else(|| panic!("no rise line in {out}"));
    match line.split_once('+') {
        Some((_, rest)) => rest.split(' ').next().unwrap().parse().unwrap(),
        None => 0.0,
    }
}

/// The one-minute rise compares one-minute means: per-second noise around a steady rate is
/// not a rise, a step is, by its height, wherever it falls.
#[test]
fn one_minute_rise_is_between_minute_means() {
    let dir = tempfile::tempdir().unwrap();
    let gen_show = |spec: &str, name: &str| -> String {
        let file = dir.path().join(name);
        scalesim()
            .args([
                "trace",
                "gen",
                "--spec",
                spec,
                "--duration",
                "1h",
                "--seed",
                "4",
                "-o",
            ])
            .arg(&file)
            .assert()
            .success();
        let o = scalesim()
            .args(["trace", "show"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    // Noisy steady state (120 req/s, cv 0.25, a new factor every second): its per-second rate
    // jumps by 200 req/s and more, its minute means move by a few req/s.
    let noisy = gen_show(
        "{kind: noise, cv: 0.25, of: {kind: constant, rate: 120}}",
        "noisy.csv",
    );
    assert!(noisy.contains("from one minute to the next"), "{noisy}");
    let per_second = stats::max_rise(
        &read::read(&dir.path().join("noisy.csv"), &ReadOptions::default())
            .unwrap()
            .trace,
        1.0,
    )
    .0;
    let rise = rise_of(&noisy);
    assert!(rise > 0.0 && rise < 0.2 * 120.0, "{rise}");
    assert!(per_second > 10.0 * rise, "{per_second} vs {rise}");
    let shipped = scalesim()
        .args(["trace", "show"])
        .arg(root().join("traces/noisy_steady_1h.csv"))
        .output()
        .unwrap();
    let rise = rise_of(&String::from_utf8(shipped.stdout).unwrap());
    assert!(rise < 0.2 * 120.0, "{rise}");

    // A step, off the whole minute: the rise is the step, into the instant it happens.
    let step = gen_show("{kind: step, from: 20, to: 140, at: 10m30s}", "step.csv");
    assert_eq!(rise_of(&step), 120.0, "{step}");
    assert!(step.contains("into t=10m30s"), "{step}");
    // The same step under the same noise: the step, give or take the noise of two means.
    let noisy_step = gen_show(
        "{kind: noise, cv: 0.25, of: {kind: step, from: 20, to: 140, at: 10m30s}}",
        "noisy_step.csv",
    );
    let rise = rise_of(&noisy_step);
    assert!((rise - 120.0).abs() < 0.2 * 120.0, "{rise}");
}

/// A minimal scenario around `trace`, with an optional `start_time`.
fn scenario(trace: &str, start_time: Option<&str>) -> String {
    format!(
        "name: t\nduration: 2m\n{}trace: {trace}\nworkload:\n  kind: http\n  service_time: {{dist: exponential, mean: 50ms}}\n  concurrency: 4\npods:\n  replicas: 2\n  cpu_request: 250m\n",
        start_time
            .map(|s| format!("start_time: {s}\n"))
            .unwrap_or_default()
    )
}

/// A scenario `start_time` other than an absolute trace's own first timestamp relabels the
/// trace: `scalesim run` says so, with both instants and the way to start later instead.
#[test]
fn start_time_relabelling_an_absolute_trace_is_announced() {
    let csv = b"time,rps\n1700000000,5\n1700000060,5\n1700000120,5\n";
    let run = |yaml: String| {
        in_dir(
            &[("t.csv", csv), ("s.yaml", yaml.as_bytes())],
            &["run", "s.yaml", "--no-charts", "--quiet", "--out", "o"],
        )
    };
    let (code, _, err) = run(scenario("{file: t.csv}", Some("2024-01-01T00:00:00Z")));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("start_time 2024-01-01T00:00:00+00:00 is not the trace's own first timestamp 2023-11-14T22:13:20+00:00")
            && err.contains("the trace plays from its first row at start_time")
            && err.contains("trace.window"),
        "{err}"
    );
    for (trace, start) in [
        ("{file: t.csv}", None),
        ("{file: t.csv}", Some("2023-11-14T22:13:20Z")),
        (
            "{file: t.csv, window: {start: '2023-11-14T22:14:20Z'}}",
            Some("2023-11-14T22:14:20Z"),
        ),
    ] {
        let (code, _, err) = run(scenario(trace, start));
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains("start_time"), "{trace} {start:?}: {err}");
    }
}

/// A request log shorter than the run: its arrivals stop when it ends (no rate "holds").
#[test]
fn a_short_request_log_stops_its_arrivals() {
    let yaml = scenario("{file: r.log}", None);
    let (code, _, err) = in_dir(
        &[("r.log", b"0.5\n1\n1.5\n"), ("s.yaml", yaml.as_bytes())],
        &["run", "s.yaml", "--no-charts", "--quiet", "--out", "o"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("longer than the request log's span 2s: arrivals stop when the log ends"),
        "{err}"
    );
    assert!(!err.contains("holds until the end"), "{err}");
}
