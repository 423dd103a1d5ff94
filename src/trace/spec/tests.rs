use super::*;
use crate::yaml::{Source, split_documents};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    trace: TraceSpec,
}

/// Load the `trace:` block of a scenario text, with files under `dir`.
fn load_in(dir: &Path, yaml: &str, duration: Option<f64>) -> Result<Loaded, InputError> {
    let src = Source::from_string(dir.join("s.yaml"), yaml);
    let docs = split_documents(&src);
    let doc = &docs[0];
    let scn: Scenario = doc.parse()?;
    let file = dir.join("s.yaml");
    let ctx = LoadContext::new(dir, &file)
        .with_duration(duration)
        .with_seed(7)
        .with_document(doc, "trace");
    scn.trace.load(&ctx)
}

fn load(yaml: &str) -> Result<Loaded, InputError> {
    load_in(Path::new("."), yaml, Some(3600.0))
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn generate_block_from_the_brief() {
    let l = load("trace:\n  generate: {kind: spike, base: 50, peak: 400, at: 10m, rise: 30s, hold: 5m, decay: 2m}\n").unwrap();
    assert!(l.warnings.is_empty());
    assert_eq!(l.trace.peak_rate(), 400.0);
    assert_eq!(l.trace.end, 3600.0);
}

#[test]
fn generator_errors_point_at_the_line() {
    let e = load("trace:\n  generate:\n    kind: ramp\n    from: 1\n    to: 2\n    peak: 3\n")
        .unwrap_err();
    assert_eq!(e.location.line, Some(6), "{e}");
    assert_eq!(e.location.field.as_deref(), Some("trace.generate.peak"));
    let e = load("trace:\n  generate:\n    kind: sum\n    of:\n      - {kind: constant, rate: 1}\n      - {kind: constant, rate: -2}\n").unwrap_err();
    assert_eq!(e.location.line, Some(6), "{e}");
    assert_eq!(
        e.location.field.as_deref(),
        Some("trace.generate.of[1].rate")
    );
    let e = load("trace:\n  generate: {kind: constant, rate: 1}\n  scale: -1\n").unwrap_err();
    assert_eq!(e.location.line, Some(3), "{e}");
    let e = load("trace:\n  generate: {kind: constant, rate: 1}\n  wobble: 3\n").unwrap_err();
    assert_eq!(e.location.line, Some(3), "{e}");
    let e = load_in(
        Path::new("."),
        "trace:\n  generate: {kind: constant, rate: 1}\n",
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("needs a length"), "{e}");
    assert!(
        load("trace: {}\n")
            .unwrap_err()
            .message
            .contains("expected `file")
    );
}

#[test]
fn file_with_transforms_in_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    // One hour of 1-minute rows: 10 req/s, 100 in minute 30.
    let mut csv = String::from("time,rps\n");
    for m in 0..60 {
        csv += &format!("{},{}\n", m * 60, if m == 30 { 100 } else { 10 });
    }
    write(dir.path(), "t.csv", &csv);
    // Written in reverse order on purpose: the documented order applies regardless.
    let yaml = "trace:\n  file: t.csv\n  clip: {max: 50}\n  scale: 2\n  resample: 5m\n  shift: 1m\n  time_scale: 1h -> 30m\n  repeat: 2\n  window: {start: 10m, end: 50m}\n";
    let t = load_in(dir.path(), yaml, None).unwrap().trace;
    // window 40 min → repeat 80 min → ×0.5: 40 min → shift: 41 min → resample 5 min: 9 rows.
    assert_eq!(t.end, 41.0 * 60.0);
    assert_eq!(t.times.len(), 9);
    // The spike (minute 30 → 20 after the window → 10 after time_scale → 11 after shift) is
    // averaged into the 10–15 min bucket: (4.5 min·10 + 0.5 min·100)/5 = 19; ×2 = 38 (under 50).
    assert!((t.rates[2] - 38.0).abs() < 1e-9, "{:?}", t.rates);
    assert!(t.rates.iter().all(|&r| r <= 50.0));
}

#[test]
fn absolute_times_surface_as_start_time_and_window_by_instant() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("time,rps\n");
    for m in 0..120 {
        csv += &format!("{},{}\n", 1_700_000_000 + m * 60, m);
    }
    write(dir.path(), "t.csv", &csv);
    let t = load_in(dir.path(), "trace:\n  file: t.csv\n", None)
        .unwrap()
        .trace;
    assert_eq!(
        t.start_time.unwrap().to_rfc3339(),
        "2023-11-14T22:13:20+00:00"
    );
    let yaml = "trace:\n  file: t.csv\n  window: {start: '2023-11-14T23:13:20Z', end: 90m}\n";
    let t = load_in(dir.path(), yaml, None).unwrap().trace;
    assert_eq!(
        t.start_time.unwrap().to_rfc3339(),
        "2023-11-14T23:13:20+00:00"
    );
    assert_eq!(t.rates[0], 60.0);
    assert_eq!(t.end, 30.0 * 60.0);
    let t = load_in(dir.path(), "trace:\n  file: t.csv\n  shift: 10m\n", None)
        .unwrap()
        .trace;
    assert_eq!(
        t.start_time.unwrap().to_rfc3339(),
        "2023-11-14T22:03:20+00:00"
    );
    assert_eq!(t.rate_at(0.0), 0.0);
}

#[test]
fn lenient_file_returns_warnings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.csv", "time,rps\n0,1\n1,-2\n2,3\n");
    let e = load_in(dir.path(), "trace: {file: t.csv}\n", None).unwrap_err();
    assert_eq!(e.location.line, Some(3));
    let l = load_in(dir.path(), "trace: {file: t.csv, lenient: true}\n", None).unwrap();
    assert_eq!(l.trace.rates, vec![1.0, 0.0, 3.0]);
    assert_eq!(l.warnings.len(), 1);
    assert!(
        l.warnings[0]
            .to_string()
            .contains("t.csv:3: 1 row with a negative rate: clamped to 0"),
        "{}",
        l.warnings[0]
    );
}

#[test]
fn prometheus_and_request_log_options() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"pod":"a"},"values":[[1700000000,"1"],[1700000060,"2"]]},
 {"metric":{"pod":"b"},"values":[[1700000000,"3"],[1700000060,"4"]]}]}}"#;
    write(dir.path(), "q.json", json);
    let t = load_in(
        dir.path(),
        "trace: {file: q.json, series: {pod: b}}\n",
        None,
    )
    .unwrap()
    .trace;
    assert_eq!(t.rates, vec![3.0, 4.0]);
    let t = load_in(dir.path(), "trace: {file: q.json, combine: sum}\n", None)
        .unwrap()
        .trace;
    assert_eq!(t.rates, vec![4.0, 6.0]);
    write(dir.path(), "r.txt", "0.5\n1.5\n1.7\n");
    let t = load_in(
        dir.path(),
        "trace: {file: r.txt, format: requests, bin: 2s}\n",
        None,
    )
    .unwrap()
    .trace;
    assert_eq!(t.rates, vec![1.5]);
    assert_eq!(t.arrivals.as_deref(), Some(&[0.5, 1.5, 1.7][..]));
}

#[test]
fn scalar_forms() {
    assert_eq!("1d -> 1h".parse::<TimeScale>().unwrap().0, 1.0 / 24.0);
    assert_eq!("0.5".parse::<TimeScale>().unwrap().0, 0.5);
    assert!("0".parse::<TimeScale>().is_err());
    assert_eq!("-10m".parse::<SignedSeconds>().unwrap().0, -600.0);
}

/// `rate_unit` converts a file's rate column; it is an error, at its own line, with a
/// generator or a request log.
#[test]
fn rate_unit_in_the_trace_block() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.csv", "time,requests\n0,600\n60,1200\n");
    let l = load_in(dir.path(), "trace: {file: c.csv, rate_unit: count}\n", None).unwrap();
    assert_eq!(l.trace.rates, vec![10.0, 20.0]);
    assert!(l.warnings.is_empty());
    let l = load_in(dir.path(), "trace: {file: c.csv}\n", None).unwrap();
    assert_eq!(l.trace.rates, vec![600.0, 1200.0]);
    assert!(l.warnings[0].message.contains("rate_unit: count"));
    let e = load_in(
        dir.path(),
        "trace: {file: c.csv, rate_unit: per_day}\n",
        None,
    )
    .unwrap_err();
    assert_eq!(e.location.line, Some(1), "{e}");
    write(dir.path(), "r.log", "0.5\n1.5\n");
    let e = load_in(
        dir.path(),
        "trace:\n  file: r.log\n  rate_unit: per_second\n",
        None,
    )
    .unwrap_err();
    assert_eq!(e.location.line, Some(3), "{e}");
    assert!(e.message.contains("request log"), "{e}");
    let e = load("trace:\n  generate: {kind: constant, rate: 1}\n  rate_unit: per_minute\n")
        .unwrap_err();
    assert_eq!(e.location.line, Some(3), "{e}");
    assert!(e.message.contains("generator"), "{e}");
}
