//! Issue 14 (messages, encodings, determinism): valid inputs work whatever their encoding (BOM,
//! CRLF, YAML anchors and `<<` merge keys); every error names the file, line and field in
//! scalesim's own words; echoed values are shortened; outputs are the same bytes however the
//! scenario path is written.

use crate::helpers::{self, files_of};
use std::path::{Path, PathBuf};

const SCENARIO: &str = "name: t
duration: 2m
seed: 4
trace: {file: trace.csv}
workload:
  kind: http
  service_time: {dist: exponential, mean: 50ms}
  cpu_per_request: 10m
  concurrency: 4
pods:
  manifest: app.yaml
  startup: {dist: uniform, min: 10s, max: 20s}
autoscaler:
  manifests: [app.yaml]
";

const MANIFEST: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: web:1
        resources:
          requests: {cpu: 250m}
          limits: {cpu: \"1\"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 12
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 60}
";

/// The same manifest written with an anchor and `<<` merge keys.
const MANIFEST_MERGED: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: &labels {app: web}
  template:
    metadata:
      labels: *labels
    spec:
      containers:
      - name: app
        image: web:1
        resources:
          requests: {cpu: 250m}
          limits: {cpu: \"1\"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 12
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        <<: &util {type: Utilization}
        averageUtilization: 60
";

/// The same scenario with anchors and merge keys.
const SCENARIO_MERGED: &str = "name: t
duration: 2m
seed: &four 4
trace: {file: trace.csv}
workload:
  <<: {kind: http, cpu_per_request: 10m}
  service_time: {dist: exponential, mean: 50ms}
  concurrency: *four
pods:
  manifest: app.yaml
  startup: {dist: uniform, min: 10s, max: 20s}
autoscaler:
  manifests: [app.yaml]
";

const TRACE: &str = "time,rps\n0,20\n60,60\n120,60\n";

fn bom_crlf(text: &str) -> Vec<u8> {
    let mut v = b"\xef\xbb\xbf".to_vec();
    v.extend(text.replace('\n', "\r\n").into_bytes());
    v
}

fn scalesim(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = helpers::run_in(dir, args);
    (code, stderr)
}

fn write_case(dir: &Path, scenario: &[u8], manifest: &[u8], trace: &[u8]) {
    std::fs::write(dir.join("s.yaml"), scenario).unwrap();
    std::fs::write(dir.join("app.yaml"), manifest).unwrap();
    std::fs::write(dir.join("trace.csv"), trace).unwrap();
}

/// Run `s.yaml` in `dir` and return its summary.json.
fn summary_of(dir: &Path) -> String {
    let (code, err) = scalesim(dir, &["run", "s.yaml", "--out", "o", "--no-charts", "-q"]);
    assert_eq!(code, 0, "{err}");
    std::fs::read_to_string(dir.join("o/t/summary.json"))
        .or_else(|_| std::fs::read_to_string(dir.join("o/summary.json")))
        .unwrap()
}

#[test]
fn bom_crlf_anchors_and_merge_keys_read_as_the_plain_files() {
    let plain = tempfile::tempdir().unwrap();
    write_case(
        plain.path(),
        SCENARIO.as_bytes(),
        MANIFEST.as_bytes(),
        TRACE.as_bytes(),
    );
    let want = summary_of(plain.path());
    let dressed = tempfile::tempdir().unwrap();
    write_case(
        dressed.path(),
        &bom_crlf(SCENARIO),
        &bom_crlf(MANIFEST),
        &bom_crlf(TRACE),
    );
    assert_eq!(summary_of(dressed.path()), want, "BOM and CRLF");
    let merged = tempfile::tempdir().unwrap();
    write_case(
        merged.path(),
        &bom_crlf(SCENARIO_MERGED),
        &bom_crlf(MANIFEST_MERGED),
        TRACE.as_bytes(),
    );
    assert_eq!(summary_of(merged.path()), want, "anchors and merge keys");
}

#[test]
fn a_sweep_file_with_bom_crlf_and_anchors_works() {
    let d = tempfile::tempdir().unwrap();
    write_case(
        d.path(),
        SCENARIO.as_bytes(),
        MANIFEST.as_bytes(),
        TRACE.as_bytes(),
    );
    let sweep = "scenario: s.yaml\nx-values: &vals [2, 4]\nvary:\n  - path: workload.concurrency\n    values: *vals\nobjective: latency_p95\n";
    std::fs::write(d.path().join("sw.yaml"), bom_crlf(sweep)).unwrap();
    let (code, err) = scalesim(
        d.path(),
        &["sweep", "--file", "sw.yaml", "--out", "o", "-q"],
    );
    // `x-values` is not a sweep-file key: the file is read (BOM, CRLF, anchors) and that key
    // is the one refused, at its line.
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sw.yaml:2"), "{err}");
    let sweep = "scenario: s.yaml\nvary:\n  - path: workload.concurrency\n    values: &vals [2, 4]\n  - path: pods.startup.max\n    values: [20s, 30s]\nobjective: latency_p95\n";
    std::fs::write(d.path().join("sw.yaml"), bom_crlf(sweep)).unwrap();
    let (code, err) = scalesim(
        d.path(),
        &["sweep", "--file", "sw.yaml", "--out", "o", "-q"],
    );
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(d.path().join("o/sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
}

/// Write a scenario case and run it; returns (exit code, stderr).
fn run_text(scenario: &str, manifest: &str, trace: &str) -> (i32, String) {
    let d = tempfile::tempdir().unwrap();
    write_case(
        d.path(),
        scenario.as_bytes(),
        manifest.as_bytes(),
        trace.as_bytes(),
    );
    scalesim(
        d.path(),
        &["run", "s.yaml", "--out", "o", "--no-charts", "-q"],
    )
}

#[test]
fn a_missing_referenced_file_names_the_scenario_line_and_field() {
    for (from, to, want) in [
        (
            "trace: {file: trace.csv}",
            "trace: {file: nope.csv}",
            "s.yaml:4:15: field `trace.file`",
        ),
        (
            "  manifest: app.yaml",
            "  manifest: nope.yaml",
            "s.yaml:11:13: field `pods.manifest`",
        ),
        (
            "manifests: [app.yaml]",
            "manifests: [app.yaml, nope.yaml]",
            "s.yaml:14:25: field `autoscaler.manifests[1]`",
        ),
    ] {
        let (code, err) = run_text(&SCENARIO.replace(from, to), MANIFEST, TRACE);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "want {want:?} in: {err}");
        assert!(err.contains("nope."), "the missing path too: {err}");
        assert!(err.contains("not found"), "{err}");
    }
}

#[test]
fn sweep_file_errors_name_the_sweep_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    write_case(
        d.path(),
        SCENARIO.as_bytes(),
        MANIFEST.as_bytes(),
        TRACE.as_bytes(),
    );
    for (sweep, want) in [
        (
            "scenario: s.yaml\nvary:\n  - workload.concurrency=2,4\nobjective: latency_p77\n",
            "sw.yaml:4:12: field `objective`: unknown objective",
        ),
        (
            "scenario: s.yaml\nvary:\n  - workload.concurrency=2,4\n  - path: workload.concurrency\n    values: [8]\n",
            "sw.yaml:4:5: field `vary[1]`: workload.concurrency is varied twice",
        ),
        (
            "scenario: s.yaml\nvary: [workload.concurrency=2]\nreplications: 0\n",
            "sw.yaml:3:15: field `replications`: must be at least 1",
        ),
        (
            "scenario: nope.yaml\nvary: [workload.concurrency=2]\n",
            "sw.yaml:1:11: field `scenario`: nope.yaml: file not found",
        ),
    ] {
        std::fs::write(d.path().join("sw.yaml"), sweep).unwrap();
        let (code, err) = scalesim(
            d.path(),
            &["sweep", "--file", "sw.yaml", "--out", "o", "-q"],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "want {want:?} in: {err}");
    }
}

/// Words of the YAML library or of Rust that must never reach a user.
const LIBRARY_WORDS: &[&str] = &[
    "DuplicateKeyPolicy",
    "Options",
    "from_str",
    "Option<",
    "Cow<",
    "untagged enum",
    "struct ",
    "u32",
    "u64",
    "usize",
    "f64",
    "i64",
    "serde",
    "saphyr",
    "budget breached",
    "weak recursion",
    "mapping start",
    "consumed event",
    "scalar",
];

fn assert_own_words(err: &str) {
    for w in LIBRARY_WORDS {
        assert!(!err.contains(w), "library wording {w:?} in: {err}");
    }
}

#[test]
fn a_duplicate_key_names_the_key_and_where_it_was_first_given() {
    let scenario = SCENARIO.replace("  concurrency: 4\n", "  concurrency: 4\n  concurrency: 8\n");
    let (code, err) = run_text(&scenario, MANIFEST, TRACE);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s.yaml:10:"), "{err}");
    assert!(err.contains("key `concurrency` is given twice"), "{err}");
    assert!(err.contains("first at line 9, column 3"), "{err}");
    assert_own_words(&err);
    // In the second document of a manifest: file-wide lines.
    let manifest = MANIFEST.replace("  minReplicas: 2\n", "  minReplicas: 2\n  minReplicas: 3\n");
    let (code, err) = run_text(SCENARIO, &manifest, TRACE);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("app.yaml:27:"), "{err}");
    assert!(err.contains("first at line 26, column 3"), "{err}");
    assert_own_words(&err);
}

#[test]
fn a_scenario_of_several_documents_says_a_scenario_is_one_document() {
    let scenario = format!("{SCENARIO}---\n{MANIFEST}");
    let (code, err) = run_text(&scenario, MANIFEST, TRACE);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s.yaml:15"), "{err}");
    assert!(err.contains("a scenario is one YAML document"), "{err}");
    assert_own_words(&err);
}

#[test]
fn malformed_yaml_gets_scalesim_words_and_a_location() {
    let cases: Vec<String> = vec![
        SCENARIO.replace("concurrency: 4", "concurrency: -4"),
        SCENARIO.replace("concurrency: 4", "concurrency: four"),
        SCENARIO.replace("concurrency: 4", "concurrency: [4]"),
        SCENARIO.replace("concurrency: 4", "concurrency: 1.5"),
        SCENARIO.replace("seed: 4", "seed: {a: 1}"),
        SCENARIO.replace("seed: 4", "seed: 99999999999999999999999"),
        SCENARIO.replace("kind: http", "kind: [http]"),
        SCENARIO.replace("kind: http", "kind: htp"),
        SCENARIO.replace("workload:", "workload: *nope\nx:"),
        SCENARIO.replace("workload:", "workload:\n  <<: 3"),
        SCENARIO.replace("pods:", "pods: ["),
        SCENARIO.replace("pods:", "pods: {"),
        SCENARIO.replace("  concurrency: 4", "concurrency: 4"),
        SCENARIO.replace("  concurrency: 4", "\tconcurrency: 4"),
        SCENARIO.replace("name: t", "name: \"t"),
        SCENARIO.replace("name: t", "name: [a]"),
        SCENARIO.replace("duration: 2m", "duration: true"),
        SCENARIO.replace("duration: 2m", "duration:\n  - 2m"),
        SCENARIO.replace("trace: {file: trace.csv}", "trace: 3"),
        SCENARIO.replace("trace: {file: trace.csv}", "trace: {file: [a]}"),
        SCENARIO.replace("autoscaler:", "autoscaler: 1\nq:"),
        "- a\n- b\n".into(),
        "---\n---\n".into(),
        "[]\n".into(),
        "just text\n".into(),
        "a: &x [*x]\n".into(),
        "a: b: c\n".into(),
        "? [a, b]\n: c\n".into(),
        format!("{SCENARIO}...\nname: u\n"),
    ];
    for scenario in cases {
        let (code, err) = run_text(&scenario, MANIFEST, TRACE);
        assert_eq!(code, 2, "{scenario}\n{err}");
        assert!(err.contains("s.yaml"), "{scenario}\n{err}");
        assert!(!err.contains("panicked"), "{scenario}\n{err}");
        assert_own_words(&err);
    }
    for manifest in [
        MANIFEST.replace("replicas: 2", "replicas: two"),
        MANIFEST.replace("replicas: 2", "replicas: 2\n  replicas: 3"),
        MANIFEST.replace("maxReplicas: 12", "maxReplicas: [12]"),
        MANIFEST.replace("  name: cpu", "  name: *cpu"),
        MANIFEST.replace(
            "kind: HorizontalPodAutoscaler",
            "kind: [HorizontalPodAutoscaler]",
        ),
        MANIFEST.replace(
            "metadata:\n  name: web\nspec:\n  scaleTargetRef",
            "metadata: 5\nspec:\n  scaleTargetRef",
        ),
    ] {
        let (code, err) = run_text(SCENARIO, &manifest, TRACE);
        assert_eq!(code, 2, "{manifest}\n{err}");
        assert!(err.contains("app.yaml"), "{manifest}\n{err}");
        assert_own_words(&err);
    }
}

#[test]
fn a_huge_csv_cell_is_quoted_shortened() {
    let cell = "x".repeat(100_000);
    for trace in [
        format!("time,rps\n0,20\n60,{cell}\n"),
        format!("time,rps\n0,20\n{cell},5\n"),
        format!("time,rps,{cell}\n0,20,1\n60,20,abc\n"),
        format!("{cell}\n0,20\n"),
    ] {
        let (code, err) = run_text(SCENARIO, MANIFEST, &trace);
        assert_eq!(code, 2, "{}", &err[..err.len().min(500)]);
        assert!(err.len() < 2_000, "{} bytes: {}…", err.len(), &err[..300]);
        assert!(err.contains("trace.csv"), "{err}");
    }
    let (_, err) = run_text(SCENARIO, MANIFEST, &format!("time,rps\n0,20\n60,{cell}\n"));
    assert!(err.contains(&format!("\"{}…\"", "x".repeat(40))), "{err}");
}

/// A scenario whose manifests bring warnings (a workload warning and an ignored document), run
/// by relative path, absolute path, through a symlink and from another working directory.
#[test]
fn outputs_are_the_same_however_the_scenario_path_is_written() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().canonicalize().unwrap();
    let proj = root.join("proj");
    std::fs::create_dir_all(proj.join("sc/manifests")).unwrap();
    std::fs::create_dir_all(proj.join("traces")).unwrap();
    std::fs::write(proj.join("traces/trace.csv"), TRACE).unwrap();
    // A Service beside the autoscaler: listed as not modelled, naming its file.
    let manifest = format!(
        "{MANIFEST}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n---\napiVersion: example/v1\nkind: Widget\nmetadata: {{name: w}}\n"
    );
    std::fs::write(proj.join("sc/manifests/app.yaml"), manifest).unwrap();
    let scenario = SCENARIO
        .replace("trace.csv", "../traces/trace.csv")
        .replace("app.yaml", "manifests/app.yaml")
        .replace("duration: 2m", "duration: 3m");
    std::fs::write(proj.join("sc/s.yaml"), scenario).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(proj.join("sc"), root.join("link")).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    let abs = proj.join("sc/s.yaml");
    let runs: Vec<(PathBuf, String)> = vec![
        (proj.clone(), "sc/s.yaml".into()),
        (proj.join("sc"), "s.yaml".into()),
        (root.join("elsewhere"), abs.display().to_string()),
        (root.join("elsewhere"), "../proj/sc/s.yaml".into()),
        #[cfg(unix)]
        (root.join("elsewhere"), "../link/s.yaml".into()),
    ];
    let mut first: Option<Vec<(PathBuf, Vec<u8>)>> = None;
    for (i, (cwd, path)) in runs.iter().enumerate() {
        let out = root.join(format!("out{i}"));
        let charts = if i < 2 { vec![] } else { vec!["--no-charts"] };
        let mut args = vec!["run", path.as_str(), "--out", out.to_str().unwrap(), "-q"];
        args.extend(charts);
        let (code, err) = scalesim(cwd, &args);
        assert_eq!(code, 0, "{path}: {err}");
        let mut files = files_of(&out);
        let summary = files
            .iter()
            .find(|(p, _)| p.ends_with("summary.json"))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap();
        assert!(
            summary.contains("app.yaml") && !summary.contains("manifests/app.yaml"),
            "{summary}"
        );
        assert!(!summary.contains(root.to_str().unwrap()), "{summary}");
        assert!(!summary.contains("sc/manifests"), "{summary}");
        if i >= 2 {
            // Compared without the charts the first runs drew.
            files.retain(|(p, _)| {
                !p.to_string_lossy().contains("chart")
                    && !p.ends_with("report.html")
                    && !p.ends_with(".scalesim-outputs.json")
            });
        }
        match &first {
            None => first = Some(files),
            Some(want) => {
                let want: Vec<_> = want
                    .iter()
                    .filter(|(p, _)| files.iter().any(|(q, _)| q == p))
                    .cloned()
                    .collect();
                assert_eq!(want.len(), files.len(), "{path}");
                for ((p, a), (_, b)) in want.iter().zip(&files) {
                    assert!(a == b, "{path}: {} differs", p.display());
                }
            }
        }
    }
}

#[test]
fn a_huge_duration_is_blamed_on_duration_not_on_the_generator_step() {
    let scenario = SCENARIO
        .replace("duration: 2m", "duration: 100000000h")
        .replace(
            "trace: {file: trace.csv}",
            "trace:\n  generate: {kind: constant, rate: 10}",
        );
    let (code, err) = run_text(&scenario, MANIFEST, TRACE);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s.yaml:2:11: field `duration`"), "{err}");
    assert!(!err.contains("generate.step`:"), "{err}");
}
