//! `scalesim schema scenario|sweep` (docs/editors.md): the printed JSON Schemas accept every
//! shipped scenario and sweep file, and reject the mistakes the loader rejects (unknown keys,
//! wrong types, values outside an enum, unparsable durations and quantities).

use crate::helpers::{output_at_root, root, run_in, stderr, stdout};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The schema `scalesim schema KIND` prints.
fn schema(kind: &str) -> Value {
    let o = output_at_root(&["schema", kind]);
    assert!(o.status.success(), "schema {kind}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("the schema is JSON")
}

fn validator(kind: &str) -> jsonschema::Validator {
    jsonschema::validator_for(&schema(kind)).expect("the schema is a valid JSON Schema")
}

/// A YAML file as the JSON value an editor's YAML language server sees.
fn yaml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The errors `validator` finds in `value`, one line each (empty when it is valid).
fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn yaml_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every scenario shipped: `scenarios/*.yaml` and the Kubernetes example's.
fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files = yaml_files_in(&root().join("scenarios"));
    files.push(root().join("examples/kubernetes/scenario/web.yaml"));
    files
}

/// Every sweep file shipped (and the one the sweep tests use).
fn shipped_sweep_files() -> Vec<PathBuf> {
    vec![
        root().join("examples/kubernetes/scenario/sweep.yaml"),
        root().join("tests/fixtures/sweep/sweep.yaml"),
    ]
}

#[test]
fn the_scenario_schema_is_json_with_its_dialect_and_descriptions() {
    let o = output_at_root(&["schema", "scenario"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(s["title"], "scalesim scenario");
    assert_eq!(s["additionalProperties"], false);
    let mut required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["pods", "trace", "workload"]);
    // Descriptions come from the loader's doc comments, defaults from its serde defaults.
    let fluid = s["properties"]["fluid_step"]["description"]
        .as_str()
        .unwrap();
    assert!(fluid.contains("flow-level model"), "{fluid}");
    let defs = &s["definitions"];
    assert_eq!(
        defs["MetricsServerSpec"]["properties"]["resolution"]["default"],
        15.0
    );
    let cm = &defs["ClusterSpec"]["properties"]["controller_manager"];
    assert_eq!(cm["properties"]["sync_period"]["default"], "15s");
    // The same bytes every time.
    assert_eq!(stdout(&output_at_root(&["schema", "scenario"])), stdout(&o));
}

#[test]
fn every_shipped_scenario_is_valid() {
    let v = validator("scenario");
    for file in shipped_scenarios() {
        let e = errors(&v, &yaml_file(&file));
        assert!(e.is_empty(), "{}:\n{}", file.display(), e.join("\n"));
    }
}

#[test]
fn every_shipped_sweep_file_is_valid() {
    let v = validator("sweep");
    for file in shipped_sweep_files() {
        let e = errors(&v, &yaml_file(&file));
        assert!(e.is_empty(), "{}:\n{}", file.display(), e.join("\n"));
    }
}

/// `scenarios/cron-lunch.yaml` (a generated trace, so it needs no trace file) with its
/// manifest paths made absolute, so a changed copy loads from any folder.
fn cron_lunch() -> Value {
    let mut v = yaml_file(&root().join("scenarios/cron-lunch.yaml"));
    let manifest = root().join("scenarios/manifests/cron-lunch.yaml");
    let manifest = manifest.to_str().unwrap();
    v["pods"]["manifest"] = json!(manifest);
    v["autoscaler"]["manifests"] = json!([manifest]);
    v
}

/// Set the value at a dotted path (objects only).
fn set(v: &mut Value, path: &str, new: Value) {
    let mut at = v;
    let keys: Vec<&str> = path.split('.').collect();
    for k in &keys[..keys.len() - 1] {
        at = &mut at[*k];
    }
    at[keys[keys.len() - 1]] = new;
}

/// Write `v` as a file (JSON is YAML) and run the loader on it: its exit code and stderr.
fn load(dir: &Path, name: &str, v: &Value, args: &[&str]) -> (i32, String) {
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_string_pretty(v).unwrap()).unwrap();
    let mut all: Vec<&str> = args.to_vec();
    all.push(file.to_str().unwrap());
    let (code, _, err) = run_in(dir, &all);
    (code, err)
}

#[test]
fn the_scenario_schema_rejects_what_the_loader_rejects() {
    let v = validator("scenario");
    let dir = tempfile::tempdir().unwrap();
    let good = cron_lunch();
    assert!(errors(&v, &good).is_empty());
    let cases: &[(&str, &str, Value)] = &[
        ("unknown top-level key", "replica", json!(3)),
        ("unknown nested key", "workload.kindd", json!("http")),
        (
            "unknown key in a generator",
            "trace.generate.peak_rate",
            json!(3),
        ),
        ("wrong type", "seed", json!("many")),
        ("wrong type, nested", "workload.concurrency", json!([16])),
        ("bad enum value", "workload.kind", json!("grpc")),
        (
            "bad enum value, nested",
            "workload.balancer",
            json!("fastest"),
        ),
        ("bad duration", "pods.termination_grace", json!("soon")),
        ("negative duration", "workload.timeout", json!(-5)),
        (
            "bad quantity",
            "workload.cpu_per_request",
            json!("15 cores"),
        ),
        (
            "bad distribution",
            "pods.startup",
            json!({"dist": "gaussian", "mean": "30s"}),
        ),
        (
            "distribution field of another kind",
            "pods.startup",
            json!({"dist": "exponential", "mean": "30s", "max": "1m"}),
        ),
        ("bad generator kind", "trace.generate.kind", json!("zigzag")),
        (
            "unknown controller-manager flag",
            "cluster.controller_manager.sync_periods",
            json!("15s"),
        ),
    ];
    for (what, path, value) in cases {
        let mut bad = good.clone();
        set(&mut bad, path, value.clone());
        let (code, err) = load(dir.path(), "bad.yaml", &bad, &["run", "-q", "--out", "out"]);
        assert_eq!(code, 2, "{what}: the loader accepts {path}: {value}\n{err}");
        assert!(
            !errors(&v, &bad).is_empty(),
            "{what}: the schema accepts {path}: {value} (the loader says: {err})"
        );
    }
}

#[test]
fn the_sweep_schema_rejects_what_the_loader_rejects() {
    let v = validator("sweep");
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("examples/kubernetes/scenario/web.yaml");
    let mut good = yaml_file(&root().join("examples/kubernetes/scenario/sweep.yaml"));
    good["scenario"] = json!(scenario.to_str().unwrap());
    assert!(errors(&v, &good).is_empty());
    let cases: &[(&str, &str, Value)] = &[
        ("unknown key", "replication", json!(2)),
        ("wrong type", "replications", json!("two")),
        ("bad enum value", "fidelity", json!("exact")),
        ("unknown objective", "objective", json!("latency")),
        (
            "unknown key in a vary map",
            "vary",
            json!([{"path": "pods.startup.max", "value": ["20s"]}]),
        ),
    ];
    for (what, path, value) in cases {
        let mut bad = good.clone();
        set(&mut bad, path, value.clone());
        let (code, err) = load(
            dir.path(),
            "sweep.yaml",
            &bad,
            &["sweep", "-q", "--out", "out", "--file"],
        );
        assert_eq!(code, 2, "{what}: the loader accepts {path}: {value}\n{err}");
        assert!(
            !errors(&v, &bad).is_empty(),
            "{what}: the schema accepts {path}: {value} (the loader says: {err})"
        );
    }
}

#[test]
fn an_unknown_file_kind_is_a_usage_error() {
    let (code, out, err) = run_in(&root(), &["schema", "deployment"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("scenario") && err.contains("sweep"), "{err}");
}

#[test]
fn out_writes_the_schema_and_replaces_only_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scalesim-sweep.schema.json");
    let (code, out, err) = run_in(
        dir.path(),
        &["schema", "sweep", "--out", "scalesim-sweep.schema.json"],
    );
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let printed = stdout(&output_at_root(&["schema", "sweep"]));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed);
    // Its own file is replaced; a user's file is not, unless --overwrite.
    let (code, _, err) = run_in(
        dir.path(),
        &["schema", "sweep", "--out", "scalesim-sweep.schema.json"],
    );
    assert_eq!(code, 0, "{err}");
    std::fs::write(&file, "{\"mine\": true}").unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &["schema", "sweep", "--out", "scalesim-sweep.schema.json"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"mine\": true}");
}
