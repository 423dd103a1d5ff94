//! The texts one metric's evaluation repeats at every sync — its decision header (type, name,
//! `kubectl describe hpa` label, target), Go's `%+v` of its selector and the upstream metric
//! name a successful evaluation reports — spelled once per metric of the spec instead of at
//! every reconcile (docs/performance.md, "HPA decision core"). A cache: the texts are exactly
//! those spelled anew, rebuilt whenever the spec's metric differs from the one they describe.

use super::controller::{go_selector, metric_label};
use super::decision::{CurrentText, MetricDecision, TargetText};
use super::observation::Name;
use super::spec::{MetricSpec, TargetType};

/// The texts of each metric of a spec, in order.
#[derive(Clone, Default)]
pub(crate) struct MetricTexts {
    of: Vec<Texts>,
    /// The legacy downscale stabilization window's text and the window it spells (see
    /// [`Self::downscale_window`]).
    downscale_window: Option<(f64, String)>,
}

/// The texts of one metric.
#[derive(Clone)]
pub(crate) struct Texts {
    /// The metric they describe.
    spec: MetricSpec,
    /// The metric's decision record before evaluation: current unknown, no proposal.
    pub(crate) header: MetricDecision,
    /// Go's `%+v` of the metric's selector (`nil` without one; empty for a resource metric).
    pub(crate) selector: String,
    /// The metric name upstream puts in event reasons when the metric yields a proposal
    /// (e.g. `cpu resource utilization (percentage of request)`); empty when it cannot.
    pub(crate) success_name: Name,
}

impl MetricTexts {
    /// Make these the texts of `metrics`, spelling only those of metrics that changed.
    pub(crate) fn refresh(&mut self, metrics: &[MetricSpec]) {
        self.of.truncate(metrics.len());
        for (i, m) in metrics.iter().enumerate() {
            match self.of.get_mut(i) {
                Some(t) if t.spec == *m => {}
                Some(t) => *t = Texts::of(m),
                None => self.of.push(Texts::of(m)),
            }
        }
    }

    /// The texts of metric `i` (after [`Self::refresh`] with the spec's metrics).
    pub(crate) fn get(&self, i: usize) -> &Texts {
        &self.of[i]
    }

    /// `downscale stabilization window <window>`, spelled once per window.
    pub(crate) fn downscale_window(&mut self, window: f64) -> &str {
        let spelled = |w| {
            format!(
                "downscale stabilization window {}",
                crate::units::format_seconds(w)
            )
        };
        let stale =
            (self.downscale_window.as_ref()).is_none_or(|(w, _)| w.to_bits() != window.to_bits());
        if stale {
            self.downscale_window = Some((window, spelled(window)));
        }
        self.downscale_window.as_ref().map_or("", |(_, text)| text)
    }
}

/// A cache, not state: two caches never make two memories differ.
impl PartialEq for MetricTexts {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for MetricTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MetricTexts({} metrics)", self.of.len())
    }
}

impl Texts {
    /// Spell the texts of `m`.
    pub(crate) fn of(m: &MetricSpec) -> Texts {
        let selector = match m {
            MetricSpec::Pods { metric, .. }
            | MetricSpec::Object { metric, .. }
            | MetricSpec::External { metric, .. } => go_selector(metric.selector.as_ref()),
            _ => String::new(),
        };
        Texts {
            spec: m.clone(),
            header: MetricDecision {
                metric_type: m.type_name().into(),
                name: m.name().into(),
                label: metric_label(m).into(),
                current: CurrentText(None),
                target: TargetText(m.target().cloned()),
                current_value: None,
                proposal: None,
                detail: None,
                error: None,
                failure_reason: None,
            },
            success_name: success_name(m, &selector).into(),
            selector,
        }
    }
}

/// The metric name of a successful evaluation, by source type and target (`computeReplicasForMetric`).
fn success_name(m: &MetricSpec, selector: &str) -> String {
    match m {
        MetricSpec::Resource { name, target } if target.average_value.is_some() => {
            format!("{name} resource")
        }
        MetricSpec::Resource { name, .. } => {
            format!("{name} resource utilization (percentage of request)")
        }
        MetricSpec::ContainerResource { name, target, .. } if target.average_value.is_some() => {
            format!("{name} resource")
        }
        MetricSpec::ContainerResource { name, .. } => {
            format!("{name} container resource utilization (percentage of request)")
        }
        MetricSpec::Pods { metric, .. } => format!("pods metric {}", metric.name),
        MetricSpec::Object {
            described_object,
            metric,
            target,
        } => {
            if target.target_type == TargetType::Value && target.value.is_some() {
                format!("{} metric {}", described_object.kind, metric.name)
            } else {
                format!("external metric {}({selector})", metric.name)
            }
        }
        MetricSpec::External { metric, .. } => {
            format!("external metric {}({selector})", metric.name)
        }
        MetricSpec::Unknown { .. } => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept window text is the one spelled afresh, for each window in turn.
    #[test]
    fn the_downscale_window_text_is_spelled_for_its_window() {
        let mut texts = MetricTexts::default();
        for w in [300.0, 300.0, 90.0, 300.0, 0.5] {
            let fresh = format!(
                "downscale stabilization window {}",
                crate::units::format_seconds(w)
            );
            assert_eq!(texts.downscale_window(w), fresh);
        }
    }
}
