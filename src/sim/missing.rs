//! Autoscaler metrics that read nothing: an HPA Pods/Object/External metric with no `metrics:`
//! binding, or a KEDA trigger scalesim does not model and nobody bound. A run of such a
//! scenario would only show an autoscaler that never reads its metric (`served 0`,
//! `replicas 0`), so it stops with an error that names each one and prints the `metrics:`
//! snippet to paste — unless `--allow-missing-metrics` asks to simulate the failing metric,
//! as upstream would. See `docs/verdict.md`.

use super::verdict::NeverRead;
use crate::error::{InputError, Location};
use crate::keda::model::TriggerModel;
use crate::settings::Scenario;
use crate::settings::workload::WorkloadKind;

/// One metric an autoscaler asks for that nothing answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MissingMetric {
    /// `HPA "web"`, `ScaledObject "orders"`.
    pub(crate) owner: String,
    /// `metric `rps` (External)`, `triggers[0] nats-jetstream`, `trigger "lag" (nats-jetstream)`.
    pub(crate) what: String,
    /// The metric name the HPA asks for: the `metrics:` key that binds it.
    pub(crate) key: String,
}

impl MissingMetric {
    /// An HPA metric (`kind`: Pods, Object, External) with no binding.
    pub(crate) fn hpa(hpa: &str, name: &str, kind: &str) -> MissingMetric {
        MissingMetric {
            owner: format!("HPA {hpa:?}"),
            what: format!("metric `{name}` ({kind})"),
            key: name.to_string(),
        }
    }

    /// A KEDA trigger with no modelled signal and no binding.
    pub(crate) fn trigger(owner: &str, t: &TriggerModel) -> MissingMetric {
        MissingMetric {
            owner: owner.to_string(),
            what: trigger_label(t),
            key: t.scaler.metric.name.clone(),
        }
    }

    pub(crate) fn never_read(&self) -> NeverRead {
        NeverRead {
            autoscaler: self.owner.clone(),
            metric: self.key.clone(),
        }
    }
}

/// A trigger as a person finds it in the manifest: its `name`, else its index and type
/// (`triggers[0] nats-jetstream`) — never an empty string.
pub(crate) fn trigger_label(t: &TriggerModel) -> String {
    match t.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(n) => format!("trigger {n:?} ({})", t.trigger_type),
        None => format!("triggers[{}] {}", t.index, t.trigger_type),
    }
}

/// The signal to suggest: what a queue's autoscaler usually measures, else the request rate.
fn suggested_signal(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Queue => "backlog",
        WorkloadKind::Http => "request_rate",
    }
}

/// The `metrics:` block that binds every missing metric (valid YAML, to paste as is).
pub(crate) fn snippet(missing: &[MissingMetric], kind: WorkloadKind) -> String {
    let signal = suggested_signal(kind);
    let mut out = String::from("metrics:\n");
    let mut seen: Vec<&str> = Vec::new();
    for m in missing {
        if seen.contains(&m.key.as_str()) {
            continue;
        }
        seen.push(&m.key);
        out += &format!("  {}: {{signal: {signal}}}\n", crate::yaml::scalar(&m.key));
    }
    out
}

/// The error that stops the run (exit 2).
pub(crate) fn error(scenario: &Scenario, missing: &[MissingMetric]) -> crate::Error {
    let names: Vec<String> = missing
        .iter()
        .map(|m| format!("{}: {}", m.owner, m.what))
        .collect();
    let (has, it) = if missing.len() == 1 {
        ("has", "it")
    } else {
        ("have", "them")
    };
    let message = format!(
        "{} {has} no signal scalesim models and no `metrics:` binding, so the autoscaler would \
         never read {it}. Add this to the scenario (pick the signal the metric measures: \
         request_rate, backlog, in_flight, latency_p99, cpu, a trace column…; see \
         docs/verdict.md), or run with --allow-missing-metrics to simulate the metric failing \
         as it would upstream:",
        names.join("; ")
    );
    let mut e = InputError::new(
        Location::file(&scenario.file).with_field("metrics"),
        message,
    );
    e.snippet = Some(
        snippet(missing, scenario.workload.kind)
            .trim_end()
            .to_string(),
    );
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_yaml_would_misread_are_quoted() {
        let yaml_key = crate::yaml::scalar;
        assert_eq!(yaml_key("s0-nats-jetstream"), "s0-nats-jetstream");
        assert_eq!(yaml_key("rps"), "rps");
        assert_eq!(yaml_key("a: b"), "\"a: b\"");
        assert_eq!(yaml_key("*x"), "\"*x\"");
    }

    #[test]
    fn the_snippet_binds_each_key_once() {
        let m = MissingMetric {
            owner: "ScaledObject \"o\"".into(),
            what: "triggers[0] nats-jetstream".into(),
            key: "s0-nats-jetstream".into(),
        };
        let s = snippet(&[m.clone(), m], WorkloadKind::Queue);
        assert_eq!(s, "metrics:\n  s0-nats-jetstream: {signal: backlog}\n");
    }
}
