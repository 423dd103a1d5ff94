//! Sweep files (`scalesim sweep --file sweep.yaml`): a sweep written down, to review and rerun.
//! Paths are relative to the sweep file. Options given on the command line win; `--vary`
//! arguments add to the file's list.
//!
//! ```yaml
//! scenario: checkout-spike.yaml
//! vary:
//!   - hpa.spec.metrics[0].resource.target.averageUtilization=40..80:10   # as on the command line
//!   - path: pods.startup.max                                             # or as a map
//!     values: [30s, 60s, 120s]                                           # a list or a "1..5" string
//! sample: 20            # random points instead of the full grid
//! replications: 3       # seeds per point
//! seed: 7
//! objective: latency_p99
//! slo: {latency_p99: 500ms, max_dropped_ratio: 0.001}
//! fidelity: request
//! manifests: [extra.yaml]
//! ```

use super::SweepConfig;
use super::grid::{self, Vary, VaryValue};
use crate::error::{Error, InputError};
use crate::scenario::SloSpec;
use crate::scenario::patch::{Patch, PatchTarget};
use crate::yaml::{self, Document, Source};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepFile {
    /// The scenario file to sweep, relative to the sweep file. Required.
    #[serde(default)]
    pub(crate) scenario: Option<PathBuf>,
    /// The parameters to vary: `PATH=VALUES` as on the command line, or `{path, values}`.
    #[serde(default)]
    pub(crate) vary: Vec<VaryEntry>,
    /// Simulate this many random points of the grid instead of all of them.
    #[serde(default)]
    pub(crate) sample: Option<usize>,
    /// Seeds per point. Default 1.
    #[serde(default)]
    pub(crate) replications: Option<u32>,
    /// Seed of every point (default: the scenario's); also seeds `sample`.
    #[serde(default)]
    pub(crate) seed: Option<u64>,
    /// The metric the best points minimise, e.g. `latency_p99`, `pod_hours`.
    #[serde(default)]
    #[schemars(schema_with = "objective_schema")]
    pub(crate) objective: Option<String>,
    /// Objectives each point is marked against (instead of the scenario's `slo:`).
    #[serde(default)]
    pub(crate) slo: Option<SloSpec>,
    /// The traffic model of every point: `request`, `fluid` or `auto`.
    #[serde(default)]
    #[schemars(with = "Option<crate::settings::fidelity::FidelityMode>")]
    pub(crate) fidelity: Option<String>,
    /// Extra autoscaler manifests, relative to the sweep file.
    #[serde(default)]
    pub(crate) manifests: Vec<PathBuf>,
}

/// One entry of `vary:`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum VaryEntry {
    /// `PATH=VALUES`, as on the command line.
    Text(String),
    Map(VaryMap),
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VaryMap {
    /// What to vary, e.g. `pods.startup.max` or `hpa.spec.metrics[0].resource.target.averageUtilization`.
    pub(crate) path: String,
    /// The values: a list, or a string such as `40..80:10` or `1,2,3`.
    pub(crate) values: Values,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Values {
    /// `"40..80:10"` or `"1,2,3"`.
    Text(String),
    /// Any YAML values, including maps (`{dist: constant, value: 30s}`).
    List(Vec<Value>),
}

/// The JSON Schema of a sweep file (`scalesim schema sweep`), generated from [`SweepFile`].
pub(crate) fn schema_json() -> String {
    crate::scenario::schema::schema_json::<SweepFile>(crate::scenario::schema::SWEEP_TITLE)
}

/// The JSON Schema of `objective`: a metric name of `sim::figures` (seconds metrics also
/// without their `_s` suffix), as `load` checks it.
fn objective_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names = crate::sim::figures::names();
    let mut all: Vec<&str> = names.split(", ").collect();
    all.extend(names.split(", ").filter_map(|n| n.strip_suffix("_s")));
    all.sort_unstable();
    all.dedup();
    schemars::json_schema!({
        "description": "The metric the best points minimise, e.g. latency_p99 or pod_hours.",
        "enum": all,
    })
}

fn value_of(v: &Value) -> VaryValue {
    match v {
        Value::String(s) => grid::infer(s),
        other => VaryValue {
            label: other.to_string(),
            value: other.clone(),
        },
    }
}

/// Read a sweep file into a configuration (paths resolved against the file's folder).
pub fn load(path: &Path) -> Result<SweepConfig, Error> {
    let source = Source::read(path)?;
    let raw: SweepFile = yaml::parse(&source)?;
    let doc = Document {
        source: &source,
        index: 0,
        line_offset: 0,
        text: &source.text,
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let mut varies = Vec::new();
    for (i, v) in raw.vary.iter().enumerate() {
        let at = format!("vary[{i}]");
        let parsed = match v {
            VaryEntry::Text(t) => Vary::parse(t),
            VaryEntry::Map(m) => match &m.values {
                Values::Text(t) => grid::parse_values(t).and_then(|vals| Vary::new(&m.path, vals)),
                Values::List(l) => Vary::new(&m.path, l.iter().map(value_of).collect()),
            },
        };
        let parsed = parsed.map_err(|m| doc.error_at_path(&at, m))?;
        if let Some(j) = varies
            .iter()
            .position(|w: &Vary| w.target == parsed.target && w.field == parsed.field)
        {
            return Err(doc
                .error_at_path(
                    &at,
                    format!(
                        "{} is varied twice (also vary[{j}]): give it once",
                        parsed.path
                    ),
                )
                .into());
        }
        varies.push(parsed);
    }
    if raw.replications == Some(0) {
        return Err(doc
            .error_at_path("replications", "must be at least 1")
            .into());
    }
    if raw.sample == Some(0) {
        return Err(doc.error_at_path("sample", "must be at least 1").into());
    }
    if let Some(name) = &raw.objective
        && crate::sim::figures::find(name).is_none()
    {
        return Err(doc
            .error_at_path(
                "objective",
                format!(
                    "unknown objective {:?} (one of: {})",
                    crate::error::shorten(name),
                    crate::sim::figures::names()
                ),
            )
            .into());
    }
    if let Some(slo) = &raw.slo {
        slo.validate()
            .map_err(|(field, m)| doc.error_at_path(&format!("slo.{field}"), m))?;
    }
    let scenario = raw.scenario.as_ref().map(|s| base.join(s)).ok_or_else(|| {
        InputError::in_file(path, "missing `scenario` (the scenario file to sweep)")
    })?;
    crate::scenario::check_referenced(&doc, "scenario", &scenario)?;
    for (i, m) in raw.manifests.iter().enumerate() {
        crate::scenario::check_referenced(&doc, &format!("manifests[{i}]"), &base.join(m))?;
    }
    let patches = raw
        .fidelity
        .iter()
        .map(|f| Patch {
            target: PatchTarget::Scenario,
            path: "fidelity".into(),
            value: Value::String(f.clone()),
        })
        .collect();
    Ok(SweepConfig {
        scenario,
        varies,
        sample: raw.sample,
        replications: raw.replications,
        seed: raw.seed,
        manifests: raw.manifests.iter().map(|m| base.join(m)).collect(),
        patches,
        objective: raw.objective,
        slo: raw.slo,
        allow_conflicts: false,
    })
}
