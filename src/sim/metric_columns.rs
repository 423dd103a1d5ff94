//! The autoscaler-metric columns of the time series (`keda_fallback`, `metric_<label>_seen`,
//! `_failed`, `_target`, `_true`; docs/outputs.md): which autoscaler they show at each
//! instant, the exact readings behind `_true`, each metric's unit for the charts, and the
//! columns declared before the run.
//!
//! The columns show one autoscaler at a time: the first hand-made HPA that exists, else the
//! HPA of the first ScaledObject that exists (none while it is paused). With `changes:` that
//! autoscaler can be created, updated, deleted or handed over during the run, so the set of
//! columns is found before the run by walking the changes ([`Run::shown_candidates`]): every
//! autoscaler the columns will show gets its truth samplers and its columns up front (those of
//! the one shown at t = 0 first, then the fault columns, then the others in change order), and
//! a column is filled only while its metric is shown: empty cells elsewhere.

use super::changes::Prepared;
use super::hpa_driver::{HpaDriver, MetricNorm};
use super::keda_driver::ScaledObjectDriver;
use super::{Run, control_plane};
use crate::metrics::Sampler;
use crate::settings::changes::{ChangeAction, ObjectKind};
use crate::settings::faults::Component;
use crate::world::World;
use std::collections::BTreeMap;

/// An autoscaler the columns may show, as the run set it up: a hand-made HPA or a
/// ScaledObject present at t = 0 (by index), or the driver prepared for change `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Candidate {
    Hpa(usize),
    ScaledObject(usize),
    Prepared(usize),
}

/// The autoscaler shown at an instant of the run: a hand-made HPA or a ScaledObject, by index.
#[derive(Debug, Clone, Copy)]
enum Shown {
    Hpa(usize),
    ScaledObject(usize),
}

/// The HPA behind a shown autoscaler and, for KEDA's, its ScaledObject (None while paused).
fn parts<'a>(
    hpas: &'a [HpaDriver],
    scaled_objects: &'a [ScaledObjectDriver],
    shown: Shown,
) -> Option<(&'a HpaDriver, Option<&'a ScaledObjectDriver>)> {
    match shown {
        Shown::Hpa(i) => Some((&hpas[i], None)),
        Shown::ScaledObject(i) => {
            let so = &scaled_objects[i];
            Some((so.hpa.as_ref()?, Some(so)))
        }
    }
}

/// The columns `d`'s metrics fill, in the order they are first written: `keda_fallback` for
/// KEDA's HPA, then per metric `_seen`, `_failed`, `_target`, `metric_cpu_true` for `cpu`, and
/// `_true` when its true value can be read.
fn column_names(d: &HpaDriver, keda: bool) -> Vec<String> {
    let mut out = Vec::new();
    if keda {
        out.push("keda_fallback".to_string());
    }
    for (i, label) in d.metric_labels().into_iter().enumerate() {
        for suffix in ["seen", "failed", "target"] {
            out.push(format!("metric_{label}_{suffix}"));
        }
        if label == "cpu" {
            out.push("metric_cpu_true".to_string());
        }
        if has_truth(d, i, keda) {
            out.push(format!("metric_{label}_true"));
        }
    }
    out
}

/// Does metric `i` of `d` have a `_true` column: a bound signal sampled directly, or an
/// External metric KEDA serves (read through its trigger's scaler)?
fn has_truth(d: &HpaDriver, i: usize, keda: bool) -> bool {
    d.truth_sampler(i).is_some() || (keda && d.keda_metric(i).is_some())
}

impl Run<'_, '_> {
    /// The autoscaler the columns show now: the first hand-made HPA not deleted, else the
    /// first ScaledObject not deleted.
    fn shown(&self) -> Option<Shown> {
        if let Some(i) = (0..self.hpas.len()).find(|&i| !self.change_state.hpa_deleted(i)) {
            return Some(Shown::Hpa(i));
        }
        (0..self.scaled_objects.len())
            .find(|&i| !self.scaled_objects[i].is_deleted())
            .map(Shown::ScaledObject)
    }

    /// The HPA whose metrics the time series and charts show now, if any.
    pub(super) fn shown_hpa(&self) -> Option<&HpaDriver> {
        parts(&self.hpas, &self.scaled_objects, self.shown()?).map(|(d, _)| d)
    }

    /// Every autoscaler the columns will show, in the order each is first shown: the one at
    /// t = 0, then as the changes go by (a created object, an update that brings new metrics
    /// or triggers, an unpaused ScaledObject, the next one when the shown one is deleted).
    pub(super) fn shown_candidates(&self) -> Vec<Candidate> {
        let live = |name: &str, candidate, paused| Live {
            name: name.to_string(),
            candidate,
            paused,
        };
        let mut hpas: Vec<Live> = (self.hpas.iter().enumerate())
            .map(|(i, d)| live(&d.name, Candidate::Hpa(i), false))
            .collect();
        let mut sos: Vec<Live> = (self.scaled_objects.iter().enumerate())
            .map(|(i, s)| live(&s.name, Candidate::ScaledObject(i), s.hpa.is_none()))
            .collect();
        let mut out = Vec::new();
        let mut note_shown = |hpas: &[Live], sos: &[Live]| {
            if let Some(l) = hpas.first().or(sos.first())
                && !l.paused
                && !out.contains(&l.candidate)
            {
                out.push(l.candidate);
            }
        };
        note_shown(&hpas, &sos);
        for (k, c) in self.scenario.changes.iter().enumerate() {
            let prepared = self
                .change_state
                .prepared(k)
                .map(|_| Candidate::Prepared(k));
            match &c.action {
                ChangeAction::Hpa(h) => upsert(&mut hpas, &h.name, prepared, false),
                ChangeAction::ScaledObject(m) => {
                    upsert(&mut sos, &m.name, prepared, m.annotations.is_paused());
                }
                ChangeAction::Delete { kind, name } => match kind {
                    ObjectKind::HorizontalPodAutoscaler => hpas.retain(|l| l.name != *name),
                    ObjectKind::ScaledObject => sos.retain(|l| l.name != *name),
                    ObjectKind::ScaledJob | ObjectKind::Deployment => {}
                },
                ChangeAction::ScaledJob(_)
                | ChangeAction::DeploymentReplicas(_)
                | ChangeAction::DeploymentTemplate { .. } => {}
            }
            note_shown(&hpas, &sos);
        }
        out
    }

    /// The HPA a candidate stands for and, for KEDA's, its ScaledObject (None for a paused
    /// ScaledObject, which has no HPA).
    fn candidate(&self, c: Candidate) -> Option<(&HpaDriver, Option<&ScaledObjectDriver>)> {
        match c {
            Candidate::Hpa(i) => Some((&self.hpas[i], None)),
            Candidate::ScaledObject(i) => {
                let so = &self.scaled_objects[i];
                Some((so.hpa.as_ref()?, Some(so)))
            }
            Candidate::Prepared(k) => match self.change_state.prepared(k)? {
                Prepared::Hpa(d) => Some((d, None)),
                Prepared::ScaledObject(so) => Some((so.hpa.as_ref()?, Some(so))),
                Prepared::ScaledJob(_) => None,
            },
        }
    }

    /// As [`Self::candidate`], but for a ScaledObject paused at set-up, the HPA it will
    /// generate once unpaused.
    fn with_candidate<R>(
        &self,
        c: Candidate,
        f: impl FnOnce(&HpaDriver, Option<&ScaledObjectDriver>) -> R,
    ) -> Option<R> {
        if let Some((d, keda)) = self.candidate(c) {
            return Some(f(d, keda));
        }
        let so = match c {
            Candidate::ScaledObject(i) => &self.scaled_objects[i],
            Candidate::Prepared(k) => match self.change_state.prepared(k)? {
                Prepared::ScaledObject(so) => so,
                _ => return None,
            },
            Candidate::Hpa(_) => return None,
        };
        let d = so.generated_hpa_driver(self.scenario).ok()?;
        Some(f(&d, Some(so)))
    }

    /// Exact readings of the shown metrics, each step, for the charts: direct samplers of the
    /// signals they read. The autoscaler shown at t = 0 first, then, when the scenario has
    /// changes, every other one the columns will show. None when the rows are not kept
    /// (summary-only): only the rows' `_true` columns read them, and reading the world changes
    /// nothing in it.
    pub(super) fn add_truth_probes(&mut self) {
        if self.opts.summary_only {
            return;
        }
        let interval = self.scenario.step.min(1.0);
        if self.hpas.is_empty()
            && let Some(so) = self.scaled_objects.first_mut()
        {
            so.add_truth_probes(&mut self.samplers, interval);
        }
        if let Some(d) = self.hpas.first_mut() {
            d.add_truth_samplers(&mut self.samplers, interval);
        }
        if self.scenario.changes.is_empty() {
            return;
        }
        let start = self.start_candidate();
        for c in self.shown_candidates() {
            if Some(c) != start {
                self.add_truth_to(c, interval);
            }
        }
    }

    /// The autoscaler shown at t = 0, before any change.
    fn start_candidate(&self) -> Option<Candidate> {
        self.shown().map(|s| match s {
            Shown::Hpa(i) => Candidate::Hpa(i),
            Shown::ScaledObject(i) => Candidate::ScaledObject(i),
        })
    }

    /// Truth samplers for candidate `c` (see [`Self::add_truth_probes`]).
    fn add_truth_to(&mut self, c: Candidate, interval: f64) {
        let samplers = &mut self.samplers;
        match c {
            Candidate::Hpa(i) => self.hpas[i].add_truth_samplers(samplers, interval),
            Candidate::ScaledObject(i) => {
                self.scaled_objects[i].add_truth_probes(samplers, interval);
            }
            Candidate::Prepared(k) => match self.change_state.prepared_mut(k) {
                Some(Prepared::Hpa(d)) => d.add_truth_samplers(samplers, interval),
                Some(Prepared::ScaledObject(so)) => so.add_truth_probes(samplers, interval),
                Some(Prepared::ScaledJob(_)) | None => {}
            },
        }
    }

    /// The unit of each metric the columns will show, for the charts (the first autoscaler
    /// to show a label gives its unit).
    pub(super) fn metric_units(&self) -> BTreeMap<String, String> {
        let mut units = BTreeMap::new();
        for c in self.shown_candidates() {
            self.with_candidate(c, |d, keda| {
                for (i, label) in d.metric_labels().into_iter().enumerate() {
                    units
                        .entry(label)
                        .or_insert_with(|| d.metric_unit(i, &self.samplers, keda));
                }
            });
        }
        units
    }

    /// Declare every metric column before the run, in a fixed order: those of the autoscaler
    /// shown at t = 0, the fault columns, then those of every autoscaler a change will show.
    pub(super) fn declare_columns(&mut self) {
        let candidates = self.shown_candidates();
        let start = self.start_candidate();
        let mut names = Vec::new();
        // The one shown at t = 0 only when it shows something then (not paused).
        if let Some((d, keda)) = start.and_then(|c| self.candidate(c)) {
            names.extend(column_names(d, keda.is_some()));
        }
        names.extend(self.fault_columns());
        for c in candidates {
            let columns = self.with_candidate(c, |d, keda| column_names(d, keda.is_some()));
            names.extend(columns.unwrap_or_default());
        }
        let s = self.world.recorder_mut().series_mut();
        for name in names {
            s.extra_column(&name);
        }
    }

    /// The `fault_<component>` columns, one per component the scenario takes down.
    fn fault_columns(&self) -> Vec<String> {
        Component::ALL
            .into_iter()
            .filter(|&c| !control_plane::outages(&self.scenario.faults, c).is_empty())
            .map(|c| c.column())
            .collect()
    }

    /// Write the shown HPA's metrics into row `row`: as it saw them, their targets, their
    /// true values (nothing while no autoscaler is shown).
    pub(super) fn record_metric_columns(&mut self, row: usize, now: f64) {
        let Some(shown) = self.shown() else {
            return;
        };
        let Some((d, keda)) = parts(&self.hpas, &self.scaled_objects, shown) else {
            return;
        };
        record(d, keda, &mut self.world, row, now, &self.samplers);
    }
}

/// An object that exists at a point of [`Run::shown_candidates`]'s walk through the changes.
struct Live {
    name: String,
    /// The driver that stands for it now.
    candidate: Candidate,
    /// A paused ScaledObject (no HPA: nothing shown).
    paused: bool,
}

/// The object named `name` applied: its driver becomes `new` when the change prepared one
/// (created, or updated with new triggers or a new spec), and it is `paused` or not.
fn upsert(list: &mut Vec<Live>, name: &str, new: Option<Candidate>, paused: bool) {
    match list.iter_mut().find(|l| l.name == name) {
        Some(l) => {
            l.candidate = new.unwrap_or(l.candidate);
            l.paused = paused;
        }
        None => list.extend(new.map(|candidate| Live {
            name: name.to_string(),
            candidate,
            paused,
        })),
    }
}

/// Write `d`'s metrics as it saw them, their targets, and their true values into the series
/// (the columns of [`column_names`], in that order). `keda` is the ScaledObject that generated
/// the HPA, if it did.
fn record(
    d: &HpaDriver,
    keda: Option<&ScaledObjectDriver>,
    world: &mut World,
    row: usize,
    now: f64,
    samplers: &[Sampler],
) {
    let c = world.pods().counts();
    let ready = c.ready.max(1) as f64;
    // `scale.status.replicas`: pods not terminating (at least one, to stay defined at zero).
    let replicas = (c.pending + c.starting + c.ready).max(1) as f64;
    if let Some(so) = keda {
        let fallback = if so.fallback_active() { 1.0 } else { 0.0 };
        world
            .recorder_mut()
            .series_mut()
            .set_extra("keda_fallback", row, fallback);
    }
    for (i, label) in d.metric_labels().into_iter().enumerate() {
        // A value KEDA served before anything was measured is left out (see `measured`).
        let measured = match (keda, d.keda_metric(i)) {
            (Some(so), Some(metric)) => so.measured(metric),
            _ => true,
        };
        let seen = d.seen(i).filter(|_| measured).unwrap_or(f64::NAN);
        let s = world.recorder_mut().series_mut();
        // The column names are spelled into one buffer (this runs every row).
        let mut column = String::with_capacity(label.len() + 15);
        s.set_extra(column_name(&mut column, &label, "_seen"), row, seen);
        // 1 while the autoscaler's last read of the metric failed (the chart shades it).
        let failed = if d.failed(i) { 1.0 } else { 0.0 };
        s.set_extra(column_name(&mut column, &label, "_failed"), row, failed);
        // The target is drawn even while the HPA computes nothing (e.g. scaled to zero).
        let target = d.target(i).unwrap_or(f64::NAN);
        s.set_extra(column_name(&mut column, &label, "_target"), row, target);
        if label == "cpu" {
            let true_util = s.cpu_utilization[s.slot(row)];
            s.set_extra("metric_cpu_true", row, true_util);
        }
        if !has_truth(d, i, keda.is_some()) {
            continue;
        }
        let total = match (d.truth_sampler(i), keda, d.keda_metric(i)) {
            (Some((sampler, scale)), _, _) => samplers[sampler].total(now).ok().map(|v| v * scale),
            (None, Some(so), Some(metric)) => so.true_value(metric, now, world, samplers),
            _ => None,
        };
        let v = total.map_or(f64::NAN, |v| match d.metric_norm(i) {
            MetricNorm::Total => v,
            MetricNorm::PerReplica => v / replicas,
            MetricNorm::PerReadyPod => v / ready,
        });
        world.recorder_mut().series_mut().set_extra(
            column_name(&mut column, &label, "_true"),
            row,
            v,
        );
    }
}

/// `metric_<label><suffix>`, spelled into `buf`.
fn column_name<'a>(buf: &'a mut String, label: &str, suffix: &str) -> &'a str {
    buf.clear();
    buf.push_str("metric_");
    buf.push_str(label);
    buf.push_str(suffix);
    buf
}
