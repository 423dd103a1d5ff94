//! `run --export openmetrics` backfilled with Prometheus' own tool (issue #19): `promtool tsdb
//! create-blocks-from openmetrics` (Debian's `prometheus` package, which `.ci/run` installs;
//! the server is never started) turns openmetrics.txt into TSDB blocks, and `promtool tsdb dump`
//! reads back what was written. Checked: the backfill succeeds and writes blocks; the dump holds
//! exactly the file's samples (same series, labels, millisecond timestamps and values — none
//! dropped or merged); the names production dashboards query are there, each series labelled
//! with the run, one sample per row of timeseries.csv. A run whose samples a backfill would
//! silently drop (rows closer than 1 ms, a start before 1970) is refused before simulating.
//!
//! Without promtool the backfill tests fail, unless `SCALESIM_SKIP_PROMTOOL` is set (then they
//! say they skipped).

use crate::helpers::{output_at_root, run_in, stderr};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One sample: family name, labels (sorted), timestamp in milliseconds, value's bits.
type Sample = (String, Vec<(String, String)>, i64, u64);

/// The promtool to use, or `None` when the test may skip (`SCALESIM_SKIP_PROMTOOL` set).
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var_os("SCALESIM_SKIP_PROMTOOL").is_some() => {
            eprintln!("promtool: not on PATH; skipped (SCALESIM_SKIP_PROMTOOL is set)");
            None
        }
        None => panic!(
            "promtool not found: .ci/run installs Debian's prometheus package (or set \
             SCALESIM_SKIP_PROMTOOL=1 to skip the backfill tests)"
        ),
    }
}

/// Run promtool with `args`; panics with its output unless it succeeds. Returns stdout.
fn promtool_ok(promtool: &Path, args: &[&str]) -> String {
    let o = Command::new(promtool).args(args).output().unwrap();
    let (out, err) = (text_of(&o.stdout), text_of(&o.stderr));
    assert!(
        o.status.success(),
        "promtool {args:?} failed:\n{out}\n{err}"
    );
    out
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `promtool tsdb create-blocks-from openmetrics FILE DIR`, then `promtool tsdb dump DIR`:
/// the samples the blocks hold. (promtool 2.42's dump opens the folder as a database, which
/// needs a `wal` folder; a backfill writes none.)
fn backfill_and_dump(promtool: &Path, file: &Path, blocks: &Path) -> Vec<Sample> {
    let (f, b) = (file.to_str().unwrap(), blocks.to_str().unwrap());
    promtool_ok(
        promtool,
        &["tsdb", "create-blocks-from", "openmetrics", f, b],
    );
    let written: Vec<_> = std::fs::read_dir(blocks)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").is_file() && p.join("index").is_file())
        .collect();
    assert!(!written.is_empty(), "no block in {}", blocks.display());
    std::fs::create_dir_all(blocks.join("wal")).unwrap();
    let dump = promtool_ok(promtool, &["tsdb", "dump", b]);
    let mut samples: Vec<Sample> = dump.lines().map(parse_dump_line).collect();
    samples.sort();
    samples
}

/// A line of `promtool tsdb dump`: `{__name__="x", a="1"} VALUE MILLISECONDS`.
fn parse_dump_line(line: &str) -> Sample {
    let (series, rest) = line.rsplit_once("} ").expect(line);
    let (value, ms) = rest.split_once(' ').expect(line);
    let mut name = String::new();
    let mut labels = Vec::new();
    for pair in series.trim_start_matches('{').split(", ") {
        let (k, v) = pair.split_once('=').expect(line);
        let v = v.trim_matches('"').to_string();
        match k {
            "__name__" => name = v,
            _ => labels.push((k.to_string(), v)),
        }
    }
    labels.sort();
    let value: f64 = value.parse().expect(line);
    (name, labels, ms.parse().expect(line), value.to_bits())
}

/// The samples of openmetrics.txt (`name{a="1",…} VALUE SECONDS.mmm`), in the same form.
fn parse_export(text: &str) -> Vec<Sample> {
    let mut samples: Vec<Sample> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let (series, rest) = line.rsplit_once("} ").expect(line);
            let (value, seconds) = rest.split_once(' ').expect(line);
            let (name, labels) = series.split_once('{').expect(line);
            let mut labels: Vec<(String, String)> = labels
                .split("\",")
                .map(|pair| {
                    let (k, v) = pair.split_once("=\"").expect(line);
                    (k.to_string(), v.trim_end_matches('"').to_string())
                })
                .collect();
            labels.sort();
            let (whole, millis) = seconds.split_once('.').expect(line);
            assert_eq!(millis.len(), 3, "{line}");
            let ms = whole.parse::<i64>().unwrap() * 1000 + millis.parse::<i64>().unwrap();
            let value: f64 = value.parse().expect(line);
            (name.to_string(), labels, ms, value.to_bits())
        })
        .collect();
    samples.sort();
    samples
}

/// Run `scenario` (a path from the repository root) with `--export openmetrics` into `dir`.
fn export(scenario: &str, dir: &Path) -> String {
    let d = dir.to_str().unwrap();
    let o = output_at_root(&[
        "run",
        scenario,
        "--fidelity",
        "fluid",
        "--no-charts",
        "--export",
        "openmetrics",
        "--out",
        d,
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(dir.join("openmetrics.txt")).unwrap()
}

/// A KEDA scenario (so every family is written) backfills into blocks holding exactly the
/// file's samples, under the names dashboards query, each labelled with the run. Regression:
/// `keda_scaler_metrics_value` held every extra column of timeseries.csv (targets, true values,
/// the failed and fallback flags) as if each were a metric KEDA reported.
#[test]
fn promtool_backfills_every_sample_of_the_export() {
    let Some(promtool) = promtool() else { return };
    let t = tempfile::tempdir().unwrap();
    let text = export("scenarios/sqs-worker.yaml", &t.path().join("run"));
    let exported = parse_export(&text);
    let stored = backfill_and_dump(
        &promtool,
        &t.path().join("run/openmetrics.txt"),
        &t.path().join("blocks"),
    );
    assert_eq!(
        stored.len(),
        exported.len(),
        "samples backfilled vs written"
    );
    assert!(
        stored == exported,
        "the blocks hold other samples than the file"
    );

    let csv = std::fs::read_to_string(t.path().join("run/timeseries.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let rows = csv.lines().count() - 1;
    let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, labels, _, _) in &stored {
        *per_name.entry(name).or_default() += 1;
        assert!(
            labels.contains(&("scalesim_run".into(), "sqs-worker".into())),
            "{name}{labels:?} has no scalesim_run label"
        );
    }
    for (name, series) in [
        ("kube_deployment_spec_replicas", 1),
        ("kube_deployment_status_replicas_ready", 1),
        ("kube_horizontalpodautoscaler_status_desired_replicas", 1),
        ("keda_scaler_active", 1),
        ("http_requests_total", 1),
        ("http_request_duration_seconds_bucket", 12),
        ("http_request_duration_seconds_count", 1),
        ("http_request_duration_seconds_sum", 1),
    ] {
        assert_eq!(
            per_name.get(name).copied(),
            Some(series * rows),
            "{name}: one sample per row of timeseries.csv ({rows}) for each of {series} series"
        );
    }
    // One keda_scaler_metrics_value series per autoscaler metric (`metric_<name>_seen`), a
    // point per value the HPA had seen — and nothing else of timeseries.csv's metric columns.
    let seen: BTreeMap<&str, usize> = header
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((c.strip_prefix("metric_")?.strip_suffix("_seen")?, i)))
        .map(|(metric, i)| {
            let cells = csv.lines().skip(1).map(|l| l.split(',').nth(i).unwrap());
            (metric, cells.filter(|v| !v.is_empty()).count())
        })
        .collect();
    assert!(!seen.is_empty(), "no metric column in {header:?}");
    let mut stored_metrics: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, labels, _, _) in stored.iter().filter(|s| s.0 == "keda_scaler_metrics_value") {
        let metric = labels
            .iter()
            .find(|(k, _)| k == "metric")
            .expect("metric label");
        *stored_metrics.entry(metric.1.as_str()).or_default() += 1;
    }
    assert_eq!(
        stored_metrics, seen,
        "keda_scaler_metrics_value: points per metric"
    );
    let quantiles = per_name.get("scalesim_step_latency_seconds").copied();
    assert!(
        quantiles.is_some_and(|n| n > 0 && n <= 2 * rows),
        "{quantiles:?}"
    );
}

/// Rows 1 ms apart (the finest step the export takes) keep one sample each in the blocks.
#[test]
fn promtool_keeps_every_row_of_a_one_millisecond_step() {
    let Some(promtool) = promtool() else { return };
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("ms.yaml"), scenario("ms", "1ms", None)).unwrap();
    let o = run_in(
        t.path(),
        &[
            "run",
            "ms.yaml",
            "--no-charts",
            "--export",
            "openmetrics",
            "--out",
            "o",
            "-q",
        ],
    );
    assert_eq!(o.0, 0, "{}", o.2);
    let text = std::fs::read_to_string(t.path().join("o/openmetrics.txt")).unwrap();
    let stored = backfill_and_dump(
        &promtool,
        &t.path().join("o/openmetrics.txt"),
        &t.path().join("blocks"),
    );
    let replicas = stored
        .iter()
        .filter(|s| s.0 == "kube_deployment_spec_replicas")
        .count();
    assert_eq!(replicas, 1000, "1 s at 1 ms rows");
    assert!(stored == parse_export(&text));
}

/// A small scenario with `step` and, optionally, `start_time`.
fn scenario(name: &str, step: &str, start: Option<&str>) -> String {
    let start = start.map_or(String::new(), |s| format!("start_time: \"{s}\"\n"));
    format!(
        "name: {name}\nduration: 1s\nstep: {step}\n{start}\
         trace: {{generate: {{kind: constant, rate: 5}}}}\n\
         workload: {{kind: http, service_time: 10ms}}\npods: {{replicas: 1}}\n"
    )
}

/// Regression: rows closer than 1 ms were written with equal millisecond timestamps, and
/// promtool kept one sample of each instant (a 0.5 ms step lost most of its samples without a
/// word); samples before 1970 were dropped the same way. Both are refused, before simulating.
#[test]
fn an_export_a_backfill_would_thin_out_is_refused() {
    let t = tempfile::tempdir().unwrap();
    for (file, yaml, field, says) in [
        (
            "fine.yaml",
            scenario("fine", "0.5ms", None),
            "field `step`",
            "use a step of at least 1ms with --export openmetrics",
        ),
        (
            "old.yaml",
            scenario("old", "1s", Some("1969-12-31T23:59:00Z")),
            "field `start_time`",
            "before 1970-01-01",
        ),
    ] {
        std::fs::write(t.path().join(file), yaml).unwrap();
        let args = ["run", file, "--export", "openmetrics", "--out", "o", "-q"];
        let (code, _, err) = run_in(t.path(), &args);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains(file) && err.contains(field), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!t.path().join("o").exists(), "{file}: wrote outputs");
        // Without the export the same scenario runs.
        let (code, _, err) = run_in(t.path(), &["run", file, "--no-charts", "--out", "o", "-q"]);
        assert_eq!(code, 0, "{file}: {err}");
        std::fs::remove_dir_all(t.path().join("o")).unwrap();
    }
}
