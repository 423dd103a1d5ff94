//! The autoscaler-metric columns of runs whose autoscalers `changes:` create, update or delete
//! (docs/outputs.md, docs/scenario.md#changes-during-a-run), through the binary: the columns are
//! in `timeseries.csv` from the first row, filled only while their autoscaler and metric exist
//! (empty cells elsewhere, not zeros), their units are in `summary.json`, and `report.html`
//! draws them with gaps where they are empty.

use crate::helpers::run_in;
use serde_json::Value;
use std::path::Path;

/// A queue worker reading `t.csv` (columns `value`, `other`) for 5 minutes with these files and
/// this tail of the scenario; run into `out/`.
fn run_case(files: &[(&str, String)], tail: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "time,rps,value,other\n0,0,8,9\n").unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let scenario = format!(
        "name: c\nstep: 1s\nduration: 5m\ntrace: {{file: t.csv}}\n\
         workload: {{kind: queue, service_time: {{dist: exponential, mean: 1s}}, concurrency: 2}}\n\
         pods: {{replicas: 1, cpu_request: 200m, startup: 5s, readiness: {{initial_delay: 0s, period: 5s}}}}\n\
         {tail}"
    );
    std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
    let (code, _, err) = run_in(dir.path(), &["run", "s.yaml", "--out", "out", "-q"]);
    assert_eq!(code, 0, "{err}");
    dir
}

/// A ScaledObject `worker` with one Prometheus trigger per query in `queries`.
fn so(queries: &[&str]) -> String {
    let mut t = String::from(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: worker}\nspec:\n  scaleTargetRef: {name: worker}\n  pollingInterval: 30\n  minReplicaCount: 1\n  maxReplicaCount: 10\n  triggers:\n",
    );
    for q in queries {
        t.push_str(&format!(
            "  - type: prometheus\n    metadata: {{serverAddress: 'http://prom:9090', query: '{q}', threshold: '2'}}\n"
        ));
    }
    t
}

/// A hand-made HPA `web` on the External metric `value`.
fn hpa() -> String {
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}\n  minReplicas: 1\n  maxReplicas: 10\n  metrics:\n  - type: External\n    external: {metric: {name: value}, target: {type: AverageValue, averageValue: '1'}}\n".to_string()
}

/// `timeseries.csv`: its header and its rows, as cells.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(dir: &Path) -> Csv {
        let text = std::fs::read_to_string(dir.join("out/timeseries.csv")).unwrap();
        let mut lines = text.lines();
        let split = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
        let header = split(lines.next().unwrap());
        let rows: Vec<Vec<String>> = lines.map(split).collect();
        assert!(rows.iter().all(|r| r.len() == header.len()));
        Csv { header, rows }
    }

    /// Column `name` as (time, cell) pairs.
    fn column(&self, name: &str) -> Vec<(f64, &str)> {
        let i = (self.header.iter().position(|h| h == name))
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header));
        (self.rows.iter())
            .map(|r| (r[0].parse().unwrap(), r[i].as_str()))
            .collect()
    }

    /// Column `name` is empty at every row of `[from, to)`.
    fn empty_in(&self, name: &str, from: f64, to: f64) {
        for (t, cell) in self.column(name) {
            if t >= from && t < to {
                assert_eq!(cell, "", "{name} at {t}s is not empty");
            }
        }
    }

    /// Column `name` holds a number at every row of `[from, to)`.
    fn filled_in(&self, name: &str, from: f64, to: f64) {
        for (t, cell) in self.column(name) {
            if t >= from && t < to {
                assert!(cell.parse::<f64>().is_ok(), "{name} at {t}s: {cell:?}");
            }
        }
    }
}

/// `summary.json`'s `chart.metric_units`.
fn metric_units(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("out/summary.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["chart"]["metric_units"].clone()
}

/// The explorer's figure data embedded in `report.html`.
fn figure(dir: &Path) -> Value {
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    let start = html
        .find("id=\"scalesim-data\"")
        .expect("the figure's data");
    let start = start + html[start..].find('>').unwrap() + 1;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// In the figure, the series labelled `label` of the panel titled `title`: its values (null
/// for a gap), one per row.
fn figure_series(fig: &Value, title: &str, label: &str) -> Vec<Option<f64>> {
    let panel = (fig["panels"].as_array().unwrap().iter())
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no panel {title:?}"));
    let series = (panel["series"].as_array().unwrap().iter())
        .find(|s| s["label"] == label)
        .unwrap_or_else(|| panic!("no series {label:?} in {title:?}: {panel}"));
    series["v"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_f64)
        .collect()
}

#[test]
fn a_scaledobject_created_then_deleted_mid_run_has_columns_only_while_it_exists() {
    let files = [("so.yaml", so(&["value"]))];
    let dir = run_case(
        &files,
        "changes:\n- {at: 100s, apply: so.yaml}\n- {at: 200s, delete: ScaledObject/worker}\n",
    );
    let csv = Csv::read(dir.path());
    let m = "metric_s0_prometheus";
    for suffix in ["seen", "failed", "target", "true"] {
        let name = format!("{m}_{suffix}");
        csv.empty_in(&name, 0.0, 99.0);
        csv.empty_in(&name, 200.0, 300.0);
    }
    for suffix in ["failed", "target", "true"] {
        csv.filled_in(&format!("{m}_{suffix}"), 100.0, 199.0);
    }
    // Seen from its HPA's first sync, one resync period after creation.
    csv.filled_in(&format!("{m}_seen"), 116.0, 199.0);
    csv.filled_in("keda_fallback", 100.0, 199.0);
    csv.empty_in("keda_fallback", 200.0, 300.0);
    assert_eq!(
        metric_units(dir.path())["s0_prometheus"],
        "value per replica"
    );
    // The report draws the true value, with a gap outside the object's life.
    let truth = figure_series(
        &figure(dir.path()),
        "Autoscaler metric: s0_prometheus",
        "true value (no delay or cap)",
    );
    assert_eq!(truth.len(), 300);
    assert!(truth[..99].iter().all(Option::is_none), "{truth:?}");
    assert!(truth[100..199].iter().all(Option::is_some), "{truth:?}");
    assert!(truth[200..].iter().all(Option::is_none), "{truth:?}");
}

#[test]
fn a_hand_made_hpa_deleted_mid_run_leaves_its_columns_empty_and_its_desired_replicas() {
    let files = [("hpa.yaml", hpa())];
    let dir = run_case(
        &files,
        "metrics:\n  value: {signal: value, backend: direct}\nchanges:\n- {at: 100s, apply: hpa.yaml}\n- {at: 200s, delete: HorizontalPodAutoscaler/web}\n",
    );
    let csv = Csv::read(dir.path());
    for suffix in ["seen", "failed", "target", "true"] {
        let name = format!("metric_value_{suffix}");
        csv.empty_in(&name, 0.0, 99.0);
        csv.filled_in(&name, 100.0, 199.0);
        csv.empty_in(&name, 200.0, 300.0);
    }
    assert_eq!(metric_units(dir.path())["value"], "value per replica");
    // With no autoscaler left, the desired replicas are the Deployment's.
    let desired = csv.column("desired_replicas");
    let spec = csv.column("spec_replicas");
    assert!(
        desired[150].1 != "1",
        "the HPA scaled up: {:?}",
        desired[150]
    );
    for r in 200..300 {
        assert_eq!(desired[r].1, spec[r].1, "at {}s", desired[r].0);
    }
}

#[test]
fn a_trigger_added_then_removed_has_columns_only_while_it_exists() {
    let files = [
        ("so-one.yaml", so(&["value"])),
        ("so-two.yaml", so(&["value", "other"])),
        ("so-last.yaml", so(&["other"])),
    ];
    let dir = run_case(
        &files,
        "autoscaler: {manifests: [so-one.yaml]}\nchanges:\n- {at: 100s, apply: so-two.yaml}\n- {at: 200s, apply: so-last.yaml}\n",
    );
    let csv = Csv::read(dir.path());
    // KEDA names each metric by its trigger's index: `s0-prometheus` reads `value` and then,
    // once `value`'s trigger is gone, `other`; `s1-prometheus` exists from 100 s to 200 s.
    let metric_columns: Vec<&str> = (csv.header.iter())
        .filter(|h| h.starts_with("metric_") || *h == "keda_fallback")
        .map(String::as_str)
        .collect();
    assert_eq!(
        metric_columns,
        [
            "keda_fallback",
            "metric_s0_prometheus_seen",
            "metric_s0_prometheus_failed",
            "metric_s0_prometheus_target",
            "metric_s0_prometheus_true",
            "metric_s1_prometheus_seen",
            "metric_s1_prometheus_failed",
            "metric_s1_prometheus_target",
            "metric_s1_prometheus_true",
        ]
    );
    for suffix in ["failed", "target", "true"] {
        csv.filled_in(&format!("metric_s0_prometheus_{suffix}"), 0.0, 300.0);
        let s1 = format!("metric_s1_prometheus_{suffix}");
        csv.empty_in(&s1, 0.0, 99.0);
        csv.filled_in(&s1, 100.0, 199.0);
        csv.empty_in(&s1, 200.0, 300.0);
    }
    assert!(metric_units(dir.path())["s1_prometheus"].is_string());
    let fig = figure(dir.path());
    let seen = figure_series(
        &fig,
        "Autoscaler metric: s1_prometheus",
        "as the autoscaler saw it",
    );
    assert!(seen[..99].iter().all(Option::is_none), "{seen:?}");
    assert!(seen[130..199].iter().all(Option::is_some), "{seen:?}");
    assert!(seen[200..].iter().all(Option::is_none), "{seen:?}");
}

#[test]
fn a_scaledobject_paused_at_the_start_and_unpaused_mid_run_has_its_columns_and_units() {
    let paused = so(&["value"]).replace(
        "metadata: {name: worker}",
        "metadata: {name: worker, annotations: {autoscaling.keda.sh/paused: \"true\"}}",
    );
    let files = [("so.yaml", paused)];
    let dir = run_case(
        &files,
        "autoscaler: {manifests: [so.yaml]}\nchanges:\n- {at: 100s, annotate: {object: ScaledObject/worker, remove: [autoscaling.keda.sh/paused]}}\n",
    );
    let csv = Csv::read(dir.path());
    for suffix in ["seen", "failed", "target", "true"] {
        let name = format!("metric_s0_prometheus_{suffix}");
        csv.empty_in(&name, 0.0, 99.0);
        if suffix != "seen" {
            csv.filled_in(&name, 100.0, 300.0);
        }
    }
    csv.filled_in("metric_s0_prometheus_seen", 130.0, 300.0);
    assert_eq!(
        metric_units(dir.path())["s0_prometheus"],
        "value per replica"
    );
}

/// In the figure, the titles of the autoscaler-metric panels, in order.
fn metric_panels(fig: &Value) -> Vec<String> {
    (fig["panels"].as_array().unwrap().iter())
        .filter_map(|p| p["title"].as_str())
        .filter(|t| t.starts_with("Autoscaler metric: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_scaledobject_created_while_a_hand_made_hpa_lives_has_columns_of_its_own() {
    let files = [("hpa.yaml", hpa()), ("so.yaml", so(&["value"]))];
    let dir = run_case(
        &files,
        "metrics:\n  value: {signal: value, backend: direct}\nautoscaler: {manifests: [hpa.yaml], allow_conflicts: true}\nchanges:\n- {at: 100s, apply: so.yaml}\n- {at: 200s, delete: HorizontalPodAutoscaler/web}\n",
    );
    let csv = Csv::read(dir.path());
    let metric_columns: Vec<&str> = (csv.header.iter())
        .filter(|h| h.contains('/'))
        .map(String::as_str)
        .collect();
    assert_eq!(
        metric_columns,
        [
            "HorizontalPodAutoscaler/web/metric_value_seen",
            "HorizontalPodAutoscaler/web/metric_value_failed",
            "HorizontalPodAutoscaler/web/metric_value_target",
            "HorizontalPodAutoscaler/web/metric_value_true",
            "ScaledObject/worker/keda_fallback",
            "ScaledObject/worker/metric_s0_prometheus_seen",
            "ScaledObject/worker/metric_s0_prometheus_failed",
            "ScaledObject/worker/metric_s0_prometheus_target",
            "ScaledObject/worker/metric_s0_prometheus_true",
        ]
    );
    assert!(!csv.header.iter().any(|h| h.starts_with("metric_")));
    // The HPA's while it lives (0 s – 200 s), the ScaledObject's from its creation on: both
    // from 100 s to 200 s.
    for suffix in ["seen", "failed", "target", "true"] {
        let hpa = format!("HorizontalPodAutoscaler/web/metric_value_{suffix}");
        csv.filled_in(&hpa, 0.0, 199.0);
        csv.empty_in(&hpa, 199.0, 300.0);
        let so = format!("ScaledObject/worker/metric_s0_prometheus_{suffix}");
        csv.empty_in(&so, 0.0, 99.0);
        if suffix != "seen" {
            csv.filled_in(&so, 99.0, 300.0);
        }
    }
    csv.filled_in(
        "ScaledObject/worker/metric_s0_prometheus_seen",
        116.0,
        300.0,
    );
    csv.filled_in("ScaledObject/worker/keda_fallback", 99.0, 300.0);
    let units = metric_units(dir.path());
    assert_eq!(
        units["HorizontalPodAutoscaler/web/value"],
        "value per replica"
    );
    assert_eq!(
        units["ScaledObject/worker/s0_prometheus"],
        "value per replica"
    );
    // The report draws both, each with its true value and its gaps.
    let fig = figure(dir.path());
    assert_eq!(
        metric_panels(&fig),
        [
            "Autoscaler metric: HorizontalPodAutoscaler/web/value",
            "Autoscaler metric: ScaledObject/worker/s0_prometheus",
        ]
    );
    let truth = "true value (no delay or cap)";
    let hpa = figure_series(
        &fig,
        "Autoscaler metric: HorizontalPodAutoscaler/web/value",
        truth,
    );
    assert!(hpa[..199].iter().all(Option::is_some), "{hpa:?}");
    assert!(hpa[199..].iter().all(Option::is_none), "{hpa:?}");
    let so = figure_series(
        &fig,
        "Autoscaler metric: ScaledObject/worker/s0_prometheus",
        truth,
    );
    assert!(so[..99].iter().all(Option::is_none), "{so:?}");
    assert!(so[99..].iter().all(Option::is_some), "{so:?}");
}

#[test]
fn two_scaledobjects_alive_together_keep_apart_their_same_named_metrics() {
    let second = so(&["other"])
        .replace("metadata: {name: worker}", "metadata: {name: second}")
        .replace("threshold: '2'", "threshold: '3'");
    let files = [("so.yaml", so(&["value"])), ("second.yaml", second)];
    let dir = run_case(
        &files,
        "metrics:\n  value: {signal: value, backend: direct}\n  other: {signal: other, backend: direct}\nautoscaler: {manifests: [so.yaml]}\nchanges:\n- {at: 100s, apply: second.yaml}\n- {at: 200s, delete: ScaledObject/second}\n",
    );
    let csv = Csv::read(dir.path());
    let first = "ScaledObject/worker/metric_s0_prometheus";
    let second = "ScaledObject/second/metric_s0_prometheus";
    for suffix in ["failed", "target", "true"] {
        csv.filled_in(&format!("{first}_{suffix}"), 0.0, 300.0);
        let name = format!("{second}_{suffix}");
        csv.empty_in(&name, 0.0, 99.0);
        csv.filled_in(&name, 99.0, 199.0);
        csv.empty_in(&name, 199.0, 300.0);
    }
    csv.empty_in("ScaledObject/second/keda_fallback", 199.0, 300.0);
    // Each shows its own target: 2 and 3.
    let cell = |name: &str| csv.column(name)[150].1.to_string();
    assert_eq!(cell(&format!("{first}_target")), "2");
    assert_eq!(cell(&format!("{second}_target")), "3");
    let fig = figure(dir.path());
    assert_eq!(
        metric_panels(&fig),
        [
            "Autoscaler metric: ScaledObject/worker/s0_prometheus",
            "Autoscaler metric: ScaledObject/second/s0_prometheus",
        ]
    );
}

#[test]
fn a_hand_made_hpa_replaced_by_another_never_alive_together_keeps_plain_names() {
    let other = hpa().replace("metadata: {name: web}", "metadata: {name: api}");
    let files = [("hpa.yaml", hpa()), ("api.yaml", other)];
    let dir = run_case(
        &files,
        "metrics:\n  value: {signal: value, backend: direct}\nautoscaler: {manifests: [hpa.yaml]}\nchanges:\n- {at: 100s, delete: HorizontalPodAutoscaler/web}\n- {at: 150s, apply: api.yaml}\n",
    );
    let csv = Csv::read(dir.path());
    assert!(
        !csv.header.iter().any(|h| h.contains('/')),
        "{:?}",
        csv.header
    );
    csv.filled_in("metric_value_seen", 0.0, 99.0);
    csv.empty_in("metric_value_seen", 100.0, 149.0);
    csv.filled_in("metric_value_true", 150.0, 300.0);
}
