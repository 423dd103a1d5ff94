//! Every shipped scenario's `summary.json`, pinned by an insta snapshot (`snapshots/`): a
//! change that moves a shipped number shows up here as a diff to review. The figures README.md
//! and docs/examples.md quote are checked against those snapshots, so the prose cannot drift
//! from the runs it describes.

use crate::helpers::{root, scalesim};
use serde_json::Value;

/// Run `scenarios/NAME.yaml` as a user would (its own seed, from the repository root) and
/// return its summary.json.
fn summary_of(name: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    let path = format!("scenarios/{name}.yaml");
    scalesim()
        .current_dir(root())
        .args(["run", &path, "-q", "--no-charts", "--out"])
        .arg(out.path())
        .assert()
        .success();
    std::fs::read_to_string(out.path().join("summary.json")).unwrap()
}

macro_rules! shipped {
    ($($test:ident => $name:literal,)*) => {
        /// The shipped scenarios, each with a snapshot test below.
        const SHIPPED: &[&str] = &[$($name),*];
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!($name, summary_of($name));
            }
        )*
    };
}

shipped! {
    checkout_spike => "checkout-spike",
    cron_lunch => "cron-lunch",
    diurnal_day => "diurnal-day",
    kafka_consumer => "kafka-consumer",
    node_bound_spike => "node-bound-spike",
    node_bound_spike_headroom => "node-bound-spike-headroom",
    overload_503 => "overload-503",
    prometheus_outage => "prometheus-outage",
    sqs_worker => "sqs-worker",
}

#[test]
fn every_shipped_scenario_has_a_snapshot_test() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, SHIPPED, "add the new scenario to `shipped!` above");
}

/// The summary pinned in the snapshot of scenario `name` (what the README quotes from).
fn snapshot(name: &str) -> Value {
    let path = root().join(format!(
        "tests/all/snapshots/all__shipped_summaries__{name}.snap"
    ));
    let text = std::fs::read_to_string(&path).unwrap();
    // An insta file: a `---` header block, then the snapshot itself.
    let body = text.splitn(3, "---\n").nth(2).unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn num(v: &Value, path: &str) -> f64 {
    path.split('.')
        .fold(v, |v, k| &v[k])
        .as_f64()
        .unwrap_or_else(|| panic!("no number at {path}"))
}

/// The row of README.md's shipped-scenarios table for `name`.
fn readme_row(readme: &str, name: &str) -> String {
    let start = format!("| `{name}`");
    readme
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("README.md has no table row for {name}"))
        .to_string()
}

#[test]
fn readme_table_figures_match_the_snapshots() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();

    let s = snapshot("checkout-spike");
    let row = readme_row(&readme, "checkout-spike");
    let timed_out = 100.0 * num(&s, "requests.timed_out") / num(&s, "requests.arrived");
    let want = format!("{:.0} % times out", timed_out);
    assert!(row.contains(&want), "{row}\nwanted: {want}");
    let want = format!(
        "{} → {} pods",
        num(&s, "replicas.min"),
        num(&s, "replicas.max")
    );
    assert!(row.contains(&want), "{row}\nwanted: {want}");

    // (The sawtooth's low point, 3, is in the time series, not the summary.)
    let s = snapshot("sqs-worker");
    let row = readme_row(&readme, "sqs-worker");
    let want = format!("and {} pods", num(&s, "replicas.max"));
    assert!(row.contains(&want), "{row}\nwanted: {want}");

    let s = snapshot("kafka-consumer");
    let row = readme_row(&readme, "kafka-consumer");
    let want = format!("at {} pods", num(&s, "replicas.max"));
    assert!(row.contains(&want), "{row}\nwanted: {want}");
    let want = format!("grows to {:.0} k", num(&s, "backlog.max") / 1000.0);
    assert!(row.contains(&want), "{row}\nwanted: {want}");
}

/// docs/examples.md's paragraph about `name` (from its bold name to the next blank line).
fn examples_paragraph(examples: &str, name: &str) -> String {
    let start = examples
        .find(&format!("\n**{name}**"))
        .unwrap_or_else(|| panic!("docs/examples.md has no paragraph for {name}"));
    let rest = &examples[start + 1..];
    rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
}

/// The first `N scale events` and `N.NN pod-hours` of each scenario's paragraph in
/// docs/examples.md are its shipped run's (later ones are variants).
#[test]
fn examples_figures_match_the_snapshots() {
    let examples = std::fs::read_to_string(root().join("docs/examples.md")).unwrap();
    let first_before = |text: &str, unit: &str| -> Option<String> {
        let i = text.find(unit)?;
        let head = text[..i].trim_end();
        let start = head
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .map_or(0, |k| k + 1);
        Some(head[start..].replace(',', ""))
    };
    for name in [
        "checkout-spike",
        "sqs-worker",
        "kafka-consumer",
        "cron-lunch",
        "prometheus-outage",
        "diurnal-day",
        "overload-503",
    ] {
        let s = snapshot(name);
        let text = examples_paragraph(&examples, name).replace('\n', " ");
        let hours = first_before(&text, " pod-hours");
        let events = first_before(&text, " scale events");
        assert!(
            hours.is_some() || events.is_some(),
            "{name}: no figure found"
        );
        if let Some(h) = hours {
            assert_eq!(
                h,
                format!("{:.2}", num(&s, "replicas.pod_hours")),
                "{name}: pod-hours"
            );
        }
        if let Some(e) = events {
            assert_eq!(
                e,
                num(&s, "scale_events").to_string(),
                "{name}: scale events"
            );
        }
    }
    // The node-bound pair is a table: node-hours / cost / pod-hours of each.
    let row = examples
        .lines()
        .find(|l| l.starts_with("| node-hours / cost / pod-hours"))
        .expect("docs/examples.md's node-bound table");
    for name in ["node-bound-spike", "node-bound-spike-headroom"] {
        let s = snapshot(name);
        let want = format!(
            "{:.2} / {:.2} / {:.2}",
            num(&s, "nodes.node_hours"),
            num(&s, "nodes.cost"),
            num(&s, "replicas.pod_hours")
        );
        assert!(row.contains(&want), "{name}: {row}\nwanted: {want}");
    }
}
