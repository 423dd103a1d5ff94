//! The autoscaler-metric columns of the time series (`keda_fallback`, `metric_<label>_seen`,
//! `_failed`, `_target`, `_true`; docs/outputs.md): which autoscalers they show at each
//! instant, how they are named, the exact readings behind `_true`, each metric's unit for the
//! charts, and the columns declared before the run.
//!
//! While the run never has two autoscalers (hand-made HPAs and ScaledObjects) at once, the
//! columns show one autoscaler at a time under these plain names: the first hand-made HPA
//! that exists, else the HPA of the first ScaledObject that exists (none while it is paused).
//! When two exist together at some point, every autoscaler shows its own columns for the
//! whole run, each name prefixed by its object's `<Kind>/<name>/`
//! (`ScaledObject/worker/metric_s0_prometheus_seen`, `ScaledObject/worker/keda_fallback`),
//! filled while that object exists ([`Run::plan_metric_columns`]). With `changes:`
//! autoscalers can be created, updated, deleted or handed over during the run, so the set of
//! columns is found before the run by walking the changes ([`Run::shown_candidates`],
//! [`Run::named_candidates`]): every autoscaler the columns will show gets its truth samplers
//! and its columns up front (those shown at t = 0 first, then the fault columns, then the
//! others in change order), and a column is filled only while its metric is shown: empty
//! cells elsewhere.

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
            Some((so.hpa.as_deref()?, Some(so)))
        }
    }
}

/// The columns `d`'s metrics fill, in the order they are first written: `keda_fallback` for
/// KEDA's HPA, then per metric `_seen`, `_failed`, `_target`, `metric_cpu_true` for `cpu`, and
/// `_true` when its true value can be read; each after `prefix` (empty, or the object's
/// `<Kind>/<name>/` when several autoscalers exist at once).
fn column_names(d: &HpaDriver, keda: bool, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    if keda {
        out.push(format!("{prefix}keda_fallback"));
    }
    for (i, label) in d.metric_labels().iter().enumerate() {
        for suffix in ["seen", "failed", "target"] {
            out.push(format!("{prefix}metric_{label}_{suffix}"));
        }
        if label == "cpu" {
            out.push(format!("{prefix}metric_cpu_true"));
        }
        if has_truth(d, i, keda) {
            out.push(format!("{prefix}metric_{label}_true"));
        }
    }
    out
}

/// The prefix of the columns of object `name` of `kind` when several autoscalers exist at
/// once: `<Kind>/<name>/`, the name with any character a Kubernetes name cannot hold (and that
/// would break a CSV header) spelled `_`.
pub(crate) fn object_prefix(kind: ObjectKind, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' => c,
            _ => '_',
        })
        .collect();
    format!("{}/{name}/", kind.as_str())
}

/// The metric a `…_seen` column is of, as the charts and `summary.json`'s units name it:
/// `<label>` for `metric_<label>_seen`, `<Kind>/<name>/<label>` for
/// `<Kind>/<name>/metric_<label>_seen`.
pub(crate) fn seen_metric(column: &str) -> Option<String> {
    let (prefix, rest) = split_prefix(column);
    let label = rest.strip_prefix("metric_")?.strip_suffix("_seen")?;
    Some(format!("{prefix}{label}"))
}

/// Column `<suffix>` (`seen`, `failed`, `target`, `true`) of the metric the charts call
/// `metric` (see [`seen_metric`]).
pub(crate) fn metric_column(metric: &str, suffix: &str) -> String {
    let (prefix, label) = split_prefix(metric);
    format!("{prefix}metric_{label}_{suffix}")
}

/// The `keda_fallback` column of the autoscaler of the metric the charts call `metric`.
pub(crate) fn fallback_column(metric: &str) -> String {
    format!("{}keda_fallback", split_prefix(metric).0)
}

/// A column or metric name as its object prefix (through the last `/`, empty when none) and
/// the rest: a metric's label never holds a `/`.
pub(crate) fn split_prefix(name: &str) -> (&str, &str) {
    match name.rfind('/') {
        Some(i) => name.split_at(i + 1),
        None => ("", name),
    }
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
        let mut out = Vec::new();
        self.walk_changes(|hpas, sos| {
            if let Some(l) = hpas.first().or(sos.first())
                && !l.paused
                && !out.contains(&l.candidate)
            {
                out.push(l.candidate);
            }
        });
        out
    }

    /// Do two autoscalers (hand-made HPAs, ScaledObjects, paused or not) exist at once at
    /// some point of the run? Then every autoscaler's columns are named after its object.
    fn several_at_once(&self) -> bool {
        let mut several = false;
        self.walk_changes(|hpas, sos| several |= hpas.len() + sos.len() >= 2);
        several
    }

    /// Decide, before the run, how the metric columns are named: after their objects when
    /// several autoscalers exist at once ([`Self::several_at_once`]), else plainly.
    pub(super) fn plan_metric_columns(&mut self) {
        self.columns_by_object = self.several_at_once();
    }

    /// Every autoscaler that will have columns when they are named after their objects, with
    /// its prefix, in the order each first exists unpaused: those at t = 0 (`at_start`), then
    /// as the changes go by.
    fn named_candidates(&self) -> Vec<Named> {
        let mut out: Vec<Named> = Vec::new();
        let mut at_start = true;
        self.walk_changes(|hpas, sos| {
            let kinds = [
                ObjectKind::HorizontalPodAutoscaler,
                ObjectKind::ScaledObject,
            ];
            for (kind, list) in kinds.into_iter().zip([hpas, sos]) {
                for l in list.iter().filter(|l| !l.paused) {
                    if !out.iter().any(|n| n.candidate == l.candidate) {
                        out.push(Named {
                            candidate: l.candidate,
                            prefix: object_prefix(kind, &l.name),
                            at_start,
                        });
                    }
                }
            }
            at_start = false;
        });
        out
    }

    /// Walk the autoscalers that exist (hand-made HPAs, ScaledObjects) through the changes:
    /// `visit` sees them at t = 0, then after each change.
    fn walk_changes(&self, mut visit: impl FnMut(&[Live], &[Live])) {
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
        visit(&hpas, &sos);
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
            visit(&hpas, &sos);
        }
    }

    /// The HPA a candidate stands for and, for KEDA's, its ScaledObject (None for a paused
    /// ScaledObject, which has no HPA).
    fn candidate(&self, c: Candidate) -> Option<(&HpaDriver, Option<&ScaledObjectDriver>)> {
        match c {
            Candidate::Hpa(i) => Some((&self.hpas[i], None)),
            Candidate::ScaledObject(i) => {
                let so = &self.scaled_objects[i];
                Some((so.hpa.as_deref()?, Some(so)))
            }
            Candidate::Prepared(k) => match self.change_state.prepared(k)? {
                Prepared::Hpa(d) => Some((d, None)),
                Prepared::ScaledObject(so) => Some((so.hpa.as_deref()?, Some(so))),
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
        if self.scenario.changes.is_empty() && !self.columns_by_object {
            return;
        }
        let start = self.start_candidate();
        let candidates = if self.columns_by_object {
            self.named_candidates()
                .into_iter()
                .map(|n| n.candidate)
                .collect()
        } else {
            self.shown_candidates()
        };
        for c in candidates {
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
    /// to show a label gives its unit), under the name the charts give it
    /// ([`seen_metric`]).
    pub(super) fn metric_units(&self) -> BTreeMap<String, String> {
        let mut units = BTreeMap::new();
        for (c, prefix) in self.column_candidates() {
            self.with_candidate(c, |d, keda| {
                for (i, label) in d.metric_labels().iter().enumerate() {
                    units
                        .entry(format!("{prefix}{label}"))
                        .or_insert_with(|| d.metric_unit(i, &self.samplers, keda));
                }
            });
        }
        units
    }

    /// Every autoscaler the columns will show, with the prefix of its columns.
    fn column_candidates(&self) -> Vec<(Candidate, String)> {
        if self.columns_by_object {
            let named = self.named_candidates().into_iter();
            named.map(|n| (n.candidate, n.prefix)).collect()
        } else {
            let shown = self.shown_candidates().into_iter();
            shown.map(|c| (c, String::new())).collect()
        }
    }

    /// Declare every metric column before the run, in a fixed order: those of the
    /// autoscalers shown at t = 0, the fault columns, then those of every autoscaler a change
    /// will show.
    pub(super) fn declare_columns(&mut self) {
        let mut names = Vec::new();
        // Those shown at t = 0 only when they show something then (not paused).
        let start: Vec<(Candidate, String)> = if self.columns_by_object {
            let named = self.named_candidates().into_iter().filter(|n| n.at_start);
            named.map(|n| (n.candidate, n.prefix)).collect()
        } else {
            let start = self.start_candidate().into_iter();
            start.map(|c| (c, String::new())).collect()
        };
        for (c, prefix) in start {
            if let Some((d, keda)) = self.candidate(c) {
                names.extend(column_names(d, keda.is_some(), &prefix));
            }
        }
        names.extend(self.fault_columns());
        for (c, prefix) in self.column_candidates() {
            let columns =
                self.with_candidate(c, |d, keda| column_names(d, keda.is_some(), &prefix));
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
    /// true values (nothing while no autoscaler is shown). When the columns are named after
    /// their objects, every autoscaler that exists writes its own.
    pub(super) fn record_metric_columns(&mut self, row: usize, now: f64) {
        if self.columns_by_object {
            self.record_every_autoscaler(row, now);
            return;
        }
        let Some(shown) = self.shown() else {
            return;
        };
        let Some((d, keda)) = parts(&self.hpas, &self.scaled_objects, shown) else {
            return;
        };
        let at = (&mut self.world, &mut self.column_ids);
        record(d, keda, "", at, row, now, &self.samplers);
    }

    /// Every hand-made HPA not deleted and every ScaledObject not deleted nor paused writes
    /// its columns, under its object's prefix.
    fn record_every_autoscaler(&mut self, row: usize, now: f64) {
        let hpa = ObjectKind::HorizontalPodAutoscaler;
        for (i, d) in self.hpas.iter().enumerate() {
            if !self.change_state.hpa_deleted(i) {
                let prefix = object_prefix(hpa, &d.name);
                let at = (&mut self.world, &mut self.column_ids);
                record(d, None, &prefix, at, row, now, &self.samplers);
            }
        }
        for so in self.scaled_objects.iter().filter(|s| !s.is_deleted()) {
            if let Some(d) = &so.hpa {
                let prefix = object_prefix(ObjectKind::ScaledObject, &so.name);
                let at = (&mut self.world, &mut self.column_ids);
                record(d, Some(so), &prefix, at, row, now, &self.samplers);
            }
        }
    }
}

/// An autoscaler with columns named after its object (see [`Run::named_candidates`]).
struct Named {
    candidate: Candidate,
    /// `<Kind>/<name>/`.
    prefix: String,
    /// It has columns at t = 0.
    at_start: bool,
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

/// Where each autoscaler's columns sit among the series' extra columns, found by name the
/// first time it writes them rather than every row. An entry is keyed by the column prefix and
/// the metric labels the names are spelled from, so a spec update that renames a metric gets
/// its own entry.
#[derive(Default)]
pub(super) struct ColumnIds {
    entries: Vec<ColumnIdEntry>,
}

struct ColumnIdEntry {
    prefix: String,
    labels: Vec<String>,
    /// `keda_fallback`, then per label `_seen`, `_failed`, `_target`, `cpu_true`, `_true`.
    ids: Vec<Option<usize>>,
}

/// Per label: `_seen`, `_failed`, `_target`, `cpu_true` and `_true`.
const PER_LABEL: usize = 5;

impl ColumnIds {
    fn of(&mut self, prefix: &str, labels: &[String]) -> &mut [Option<usize>] {
        let found = self
            .entries
            .iter()
            .position(|e| e.prefix == prefix && e.labels == labels);
        let i = found.unwrap_or_else(|| {
            self.entries.push(ColumnIdEntry {
                prefix: prefix.to_string(),
                labels: labels.to_vec(),
                ids: vec![None; 1 + PER_LABEL * labels.len()],
            });
            self.entries.len() - 1
        });
        &mut self.entries[i].ids
    }
}

/// Set row `row` of the extra column `id` stands for, finding it by the name `spell` writes
/// (and creating it, as [`crate::record::Series::set_extra`] would) the first time.
fn put(
    world: &mut World,
    id: &mut Option<usize>,
    spell: impl FnOnce(&mut String),
    row: usize,
    v: f64,
) {
    let s = world.recorder_mut().series_mut();
    let idx = *id.get_or_insert_with(|| {
        let mut name = String::with_capacity(48);
        spell(&mut name);
        s.extra_index(&name)
    });
    s.set_extra_at(idx, row, v);
}

/// Write `d`'s metrics as it saw them, their targets, and their true values into the series
/// (the columns of [`column_names`] after `prefix`, in that order). `keda` is the ScaledObject
/// that generated the HPA, if it did.
fn record(
    d: &HpaDriver,
    keda: Option<&ScaledObjectDriver>,
    prefix: &str,
    (world, ids): (&mut World, &mut ColumnIds),
    row: usize,
    now: f64,
    samplers: &[Sampler],
) {
    let c = world.pods().counts();
    let ready = c.ready.max(1) as f64;
    // `scale.status.replicas`: pods not terminating (at least one, to stay defined at zero).
    let replicas = (c.pending + c.starting + c.ready).max(1) as f64;
    let labels = d.metric_labels();
    let ids = ids.of(prefix, labels);
    if let Some(so) = keda {
        let fallback = if so.fallback_active() { 1.0 } else { 0.0 };
        let spell = |n: &mut String| {
            n.push_str(prefix);
            n.push_str("keda_fallback");
        };
        put(world, &mut ids[0], spell, row, fallback);
    }
    for (i, label) in labels.iter().enumerate() {
        let id = &mut ids[1 + PER_LABEL * i..1 + PER_LABEL * (i + 1)];
        let name =
            |suffix: &'static str| move |n: &mut String| column_name(n, prefix, label, suffix);
        // A value KEDA served before anything was measured is left out (see `measured`).
        let measured = match (keda, d.keda_metric(i)) {
            (Some(so), Some(metric)) => so.measured(metric),
            _ => true,
        };
        let seen = d.seen(i).filter(|_| measured).unwrap_or(f64::NAN);
        put(world, &mut id[0], name("_seen"), row, seen);
        // 1 while the autoscaler's last read of the metric failed (the chart shades it).
        let failed = if d.failed(i) { 1.0 } else { 0.0 };
        put(world, &mut id[1], name("_failed"), row, failed);
        // The target is drawn even while the HPA computes nothing (e.g. scaled to zero).
        let target = d.target(i).unwrap_or(f64::NAN);
        put(world, &mut id[2], name("_target"), row, target);
        if label == "cpu" {
            let s = world.recorder().series();
            let true_util = s.cpu_utilization[s.slot(row)];
            let spell = |n: &mut String| column_name(n, prefix, "cpu", "_true");
            put(world, &mut id[3], spell, row, true_util);
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
        put(world, &mut id[4], name("_true"), row, v);
    }
}

/// `<prefix>metric_<label><suffix>`, spelled into `buf`.
fn column_name(buf: &mut String, prefix: &str, label: &str, suffix: &str) {
    buf.clear();
    buf.push_str(prefix);
    buf.push_str("metric_");
    buf.push_str(label);
    buf.push_str(suffix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_and_their_columns_round_trip_with_and_without_a_prefix() {
        assert_eq!(seen_metric("metric_cpu_seen").as_deref(), Some("cpu"));
        assert_eq!(metric_column("cpu", "true"), "metric_cpu_true");
        assert_eq!(fallback_column("s0_prometheus"), "keda_fallback");
        let prefix = object_prefix(ObjectKind::ScaledObject, "worker");
        let column = format!("{prefix}metric_s0_prometheus_seen");
        let metric = seen_metric(&column).unwrap();
        assert_eq!(metric, "ScaledObject/worker/s0_prometheus");
        assert_eq!(metric_column(&metric, "seen"), column);
        assert_eq!(
            fallback_column(&metric),
            "ScaledObject/worker/keda_fallback"
        );
        assert_eq!(seen_metric("ScaledObject/worker/keda_fallback"), None);
        assert_eq!(seen_metric("fault_prometheus"), None);
        // A name a CSV header could not hold is spelled safely.
        assert_eq!(
            object_prefix(ObjectKind::HorizontalPodAutoscaler, "a,b/c"),
            "HorizontalPodAutoscaler/a_b_c/"
        );
    }
}
