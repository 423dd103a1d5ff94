//! Changes during the run (`changes:`, `keda_events:`; resolved by `crate::scenario::changes`)
//! carried out on the running controllers, as upstream carries out the same edits: an object
//! created mid-run starts as a new one does (KEDA's loop checks at once, its generated HPA is
//! first synced one resync period after creation, a hand-made HPA is queued at once); an
//! update keeps what the controllers keep (the HPA's recommendations, KEDA's status) and
//! restarts what they restart (KEDA's loop and scalers on a new generation); a deletion stops
//! the object's loops. The rules: docs/keda.md#changes-during-a-run.
//!
//! Drivers of objects created later are built at set-up ([`Run::prepare_changes`]), so their
//! metric backends scrape from t = 0 as a cluster's Prometheus would have.

use super::keda_driver::{Restart, ScaledJobDriver, ScaledObjectDriver, UpdateContext};
use super::{Control, HpaDriver, KedaEvent, LogEvent, Run};
use crate::error::{InputError, Location};
use crate::hpa::LoadedHpa;
use crate::keda::ScaledObjectModel;
use crate::keda::operator::PollDecision;
use crate::settings::changes::{Change, ChangeAction, ObjectKind};
use crate::settings::faults::Component;
use std::collections::{BTreeMap, BTreeSet};

/// A driver built at set-up for a change.
pub(super) enum Prepared {
    ScaledObject(ScaledObjectDriver),
    ScaledJob(ScaledJobDriver),
    Hpa(HpaDriver),
}

/// What the run keeps about changes: the prepared drivers, and which loops a change stopped.
#[derive(Default)]
pub(super) struct ChangeState {
    /// By change index (in `scenario.changes`).
    prepared: BTreeMap<usize, Prepared>,
    /// Hand-made HPAs deleted (their syncs stop).
    deleted_hpas: BTreeSet<usize>,
    /// ScaledJobs whose loop a change stopped (paused or deleted).
    stopped_jobs: BTreeSet<usize>,
    /// ScaledJobs deleted.
    deleted_jobs: BTreeSet<usize>,
}

impl ChangeState {
    /// Is hand-made HPA `i` deleted?
    pub(super) fn hpa_deleted(&self, i: usize) -> bool {
        self.deleted_hpas.contains(&i)
    }

    /// The driver built at set-up for change `k`, until the change takes it.
    pub(super) fn prepared(&self, k: usize) -> Option<&Prepared> {
        self.prepared.get(&k)
    }

    /// As [`Self::prepared`], to give it truth samplers before the run.
    pub(super) fn prepared_mut(&mut self, k: usize) -> Option<&mut Prepared> {
        self.prepared.get_mut(&k)
    }

    /// Has a change stopped ScaledJob `i`'s loop (paused or deleted)?
    pub(super) fn job_stopped(&self, i: usize) -> bool {
        self.stopped_jobs.contains(&i)
    }
}

/// The objects of each kind by name as the changes go by, to tell creations from updates at
/// set-up.
#[derive(Default)]
struct Names {
    scaled_objects: BTreeMap<String, ScaledObjectModel>,
    scaled_jobs: BTreeSet<String>,
    hpas: BTreeSet<String>,
}

impl Run<'_, '_> {
    /// Build the drivers the changes will need: every object created during the run, and a
    /// ScaledObject whose triggers an update changes (its new scalers' backends). An error
    /// when one reads a metric nothing feeds (unless allowed).
    pub(super) fn prepare_changes(&mut self) -> crate::Result<()> {
        let scenario = self.scenario;
        let a = &scenario.autoscalers;
        let mut names = Names {
            scaled_objects: a
                .scaled_objects
                .iter()
                .map(|s| (s.name.clone(), s.clone()))
                .collect(),
            scaled_jobs: a.scaled_jobs.iter().map(|s| s.name.clone()).collect(),
            hpas: a.hpas.iter().map(|h| h.name.clone()).collect(),
        };
        let mut missing = Vec::new();
        for (k, c) in scenario.changes.iter().enumerate() {
            let field_error = |m: String| -> crate::Error {
                InputError::new(Location::file(&scenario.file).with_field(c.field()), m).into()
            };
            let prepared = match &c.action {
                ChangeAction::ScaledObject(m) => {
                    let prior = names.scaled_objects.insert(m.name.clone(), (**m).clone());
                    if prior.is_some_and(|p| p.triggers == m.triggers) {
                        continue;
                    }
                    let d = ScaledObjectDriver::new(
                        m,
                        scenario,
                        &mut self.samplers,
                        &mut self.warnings,
                    )
                    .map_err(field_error)?;
                    missing.extend(d.missing_metrics());
                    Prepared::ScaledObject(d)
                }
                ChangeAction::ScaledJob(m) => {
                    if !names.scaled_jobs.insert(m.name.clone()) {
                        continue;
                    }
                    let d =
                        ScaledJobDriver::new(m, scenario, &mut self.samplers, &mut self.warnings);
                    missing.extend(d.missing_metrics());
                    Prepared::ScaledJob(d)
                }
                ChangeAction::Hpa(h) => {
                    names.hpas.insert(h.name.clone());
                    Prepared::Hpa(self.hand_made_hpa(h).map_err(field_error)?)
                }
                ChangeAction::Delete { kind, name } => {
                    match kind {
                        ObjectKind::ScaledObject => drop(names.scaled_objects.remove(name)),
                        ObjectKind::ScaledJob => drop(names.scaled_jobs.remove(name)),
                        ObjectKind::HorizontalPodAutoscaler => drop(names.hpas.remove(name)),
                        ObjectKind::Deployment => {}
                    }
                    continue;
                }
                ChangeAction::DeploymentReplicas(_) => continue,
                ChangeAction::DeploymentTemplate { template, .. } => {
                    if let Some(cluster) = &scenario.nodes {
                        let field = c.field();
                        self.warnings
                            .extend(unplaceable_warnings(&field, template, cluster));
                    }
                    continue;
                }
            };
            self.change_state.prepared.insert(k, prepared);
        }
        if !missing.is_empty() && !self.opts.allow_missing_metrics {
            return Err(super::missing::error(scenario, &missing));
        }
        Ok(())
    }

    /// A hand-made HPA's driver, with a warning for each metric nothing feeds.
    fn hand_made_hpa(&mut self, h: &LoadedHpa) -> Result<HpaDriver, String> {
        let d = HpaDriver::new(h, self.scenario, &mut self.samplers, false)
            .map_err(|m| format!("HPA {:?}: {m}", h.name))?;
        for (name, _) in d.unbound_metrics() {
            self.warnings.push(format!("HPA {:?}: metric `{name}` is not bound to a signal (add it under `metrics:`); the HPA never reads it", d.name));
        }
        Ok(d)
    }

    /// Carry out `scenario.changes[k]` at `now`.
    pub(super) fn on_change(&mut self, now: f64, k: usize) -> crate::Result<()> {
        let scenario = self.scenario;
        let c = &scenario.changes[k];
        if c.action.is_keda_reconciled()
            && let Some(back) = self.keda_operator_back_at(now)
        {
            // No operator leads: the edit waits in the API server until one starts and
            // reconciles it (docs/faults.md#keda-operator).
            self.agenda.schedule(back, Control::Change(k));
            return Ok(());
        }
        match &c.action {
            ChangeAction::ScaledObject(m) => self.change_scaled_object(now, k, c, m)?,
            ChangeAction::ScaledJob(m) => self.change_scaled_job(now, k, m),
            ChangeAction::Hpa(_) => self.change_hpa(now, k),
            ChangeAction::DeploymentReplicas(n) => {
                if self.world.pods().spec_replicas() != *n {
                    self.world.set_replicas(now, *n);
                }
            }
            ChangeAction::DeploymentTemplate {
                replicas,
                template,
                strategy,
                stateful_update,
            } => {
                // One update of the Deployment: its replicas, then its new template rolled out
                // (docs/rollouts.md).
                if let Some(n) = replicas
                    && self.world.pods().spec_replicas() != *n
                {
                    self.world.set_replicas(now, *n);
                }
                match stateful_update {
                    Some(u) => self
                        .world
                        .update_stateful_set(now, (**template).clone(), *u),
                    None => self.world.roll_out(now, (**template).clone(), *strategy),
                }
            }
            ChangeAction::Delete { kind, name } => self.delete(now, c, *kind, name),
        }
        Ok(())
    }

    /// The live ScaledObject named `name`, if any.
    fn live_scaled_object(&self, name: &str) -> Option<usize> {
        self.scaled_objects
            .iter()
            .position(|s| s.name == name && !s.is_deleted())
    }

    fn change_scaled_object(
        &mut self,
        now: f64,
        k: usize,
        c: &Change,
        m: &ScaledObjectModel,
    ) -> crate::Result<()> {
        let prepared = match self.change_state.prepared.remove(&k) {
            Some(Prepared::ScaledObject(d)) => Some(d),
            _ => None,
        };
        let Some(i) = self.live_scaled_object(&m.name) else {
            let Some(mut d) = prepared else {
                return Ok(());
            };
            d.created_at(now, &self.world);
            self.scaled_objects.push(d);
            let i = self.scaled_objects.len() - 1;
            // A new object: KEDA's loop checks at once; its HPA is first synced one resync
            // period after creation.
            self.agenda.schedule(now, Control::KedaPoll(i, 0));
            let period = self.scaled_objects[i].hpa_sync_period();
            self.agenda
                .schedule(now + period, Control::KedaHpaSync(i, 0));
            return Ok(());
        };
        let scenario = self.scenario;
        let so = &mut self.scaled_objects[i];
        let cx = UpdateContext {
            world: &mut self.world,
            samplers: &self.samplers,
            scenario,
        };
        let (records, restart) = so.update(now, m, prepared, c.origin, cx).map_err(|msg| {
            crate::Error::from(InputError::new(
                Location::file(&scenario.file).with_field(c.field()),
                format!("ScaledObject {:?}: {msg}", m.name),
            ))
        })?;
        self.log_keda_records(i, now, records);
        self.arm_restart(now, i, restart);
        Ok(())
    }

    /// Log KEDA records of ScaledObject `i`.
    fn log_keda_records(&mut self, i: usize, now: f64, records: Vec<PollDecision>) {
        let name = &self.scaled_objects[i].name;
        for r in records {
            self.log.push(LogEvent::Keda(KedaEvent {
                t: now,
                autoscaler: name.clone(),
                kind: "ScaledObject",
                poll: Some(Box::new(r)),
                job_poll: None,
            }));
        }
    }

    /// Arm the ticks of what a change restarted on ScaledObject `i`.
    fn arm_restart(&mut self, now: f64, i: usize, restart: Restart) {
        let so = &self.scaled_objects[i];
        let (poll, epoch) = (so.polling_interval(), so.loop_epoch);
        let (hpa_epoch, hpa_period) = (so.hpa_epoch, so.hpa_sync_period());
        match restart {
            Restart::None => {}
            Restart::HpaSync => self.sync_keda_hpa_now(now, i),
            Restart::Loop => self
                .agenda
                .schedule(now + poll, Control::KedaPoll(i, epoch)),
            Restart::LoopAndHpaSync => {
                self.agenda
                    .schedule(now + poll, Control::KedaPoll(i, epoch));
                self.sync_keda_hpa_now(now, i);
            }
            Restart::LoopAndHpa => {
                // Restarted (an unpause): the loop ran its first check just now; the new HPA
                // is synced one resync period after it was created, as the HPA controller's
                // queue delays every add.
                self.agenda
                    .schedule(now + poll, Control::KedaPoll(i, epoch));
                self.agenda
                    .schedule(now + hpa_period, Control::KedaHpaSync(i, hpa_epoch));
            }
        }
    }

    /// One sync of ScaledObject `i`'s HPA at `now`, outside its cadence (an updated spec is
    /// reconciled at once; docs/hpa.md).
    fn sync_keda_hpa_now(&mut self, now: f64, i: usize) {
        if !self.is_down(Component::ControllerManager, now) {
            self.sync_keda_hpa(now, i);
        }
    }

    /// A ScaledJob applied or annotated: created, or updated (a new generation or an unpause
    /// restarts its loop, which checks at once; a pause stops it).
    fn change_scaled_job(&mut self, now: f64, k: usize, m: &crate::keda::ScaledJobModel) {
        let live = (0..self.scaled_jobs.len()).find(|&j| {
            self.scaled_jobs[j].name == m.name && !self.change_state.deleted_jobs.contains(&j)
        });
        let i = match live {
            Some(i) => {
                let old = self.scaled_jobs[i].replace_model(m.clone());
                if old == *m {
                    return;
                }
                if old.spec_text != m.spec_text {
                    self.scaled_jobs[i].generation += 1;
                }
                i
            }
            None => {
                let Some(Prepared::ScaledJob(d)) = self.change_state.prepared.remove(&k) else {
                    return;
                };
                self.scaled_jobs.push(d);
                self.scaled_jobs.len() - 1
            }
        };
        if m.paused {
            self.change_state.stopped_jobs.insert(i);
            return;
        }
        self.change_state.stopped_jobs.remove(&i);
        self.scaled_jobs[i].roll_out(now, &mut self.world);
        self.plan_job_poll(i, now);
    }

    /// A hand-made HPA applied: created (queued at once), or its spec updated (memory kept,
    /// reconciled at once, cadence unchanged).
    fn change_hpa(&mut self, now: f64, k: usize) {
        let Some(Prepared::Hpa(d)) = self.change_state.prepared.remove(&k) else {
            return;
        };
        let live = (0..self.hpas.len())
            .find(|&j| self.hpas[j].name == d.name && !self.change_state.hpa_deleted(j));
        match live {
            Some(i) => {
                self.hpas[i].update_spec(d);
                self.sync_hpa_now(now, i);
            }
            None => {
                self.hpas.push(d);
                self.agenda
                    .schedule(now, Control::HpaSync(self.hpas.len() - 1));
            }
        }
    }

    /// One sync of hand-made HPA `i` at `now`, outside its cadence (none while the controller
    /// manager is down: its restart syncs every HPA).
    fn sync_hpa_now(&mut self, now: f64, i: usize) {
        if !self.is_down(Component::ControllerManager, now) {
            self.sync_hand_made_hpa(now, i);
        }
    }

    /// An object deleted: its loops stop.
    fn delete(&mut self, now: f64, c: &Change, kind: ObjectKind, name: &str) {
        match kind {
            ObjectKind::ScaledObject => {
                let Some(i) = self.live_scaled_object(name) else {
                    return;
                };
                let records = self.scaled_objects[i].deleted_by(now, &mut self.world, c.origin);
                self.log_keda_records(i, now, records);
            }
            ObjectKind::ScaledJob => {
                let st = &mut self.change_state;
                if let Some(i) = (0..self.scaled_jobs.len())
                    .find(|&j| self.scaled_jobs[j].name == name && !st.deleted_jobs.contains(&j))
                {
                    st.deleted_jobs.insert(i);
                    st.stopped_jobs.insert(i);
                    self.scaled_jobs[i].delete_jobs(now, &mut self.world);
                }
            }
            ObjectKind::HorizontalPodAutoscaler => {
                let st = &mut self.change_state;
                if let Some(i) = (0..self.hpas.len())
                    .find(|&j| self.hpas[j].name == name && !st.deleted_hpas.contains(&j))
                {
                    st.deleted_hpas.insert(i);
                }
            }
            ObjectKind::Deployment => {}
        }
    }
}

/// A warning per node pool that cannot hold one pod of a rolled-out template (its new pods stay
/// Pending there), as for the scenario's pods (docs/rollouts.md).
fn unplaceable_warnings(
    field: &str,
    template: &crate::settings::workload::PodResources,
    cluster: &crate::settings::nodes::Cluster,
) -> Vec<String> {
    let (cpu, memory) = template.scheduling_requests();
    cluster
        .pools
        .iter()
        .filter(|p| p.pods_per_node(cpu, memory) == 0)
        .map(|p| {
            format!(
                "{field}: a pod of the new template (requests {cpu} cores, {memory} bytes) fits on no node of pool {:?}: it stays Pending there",
                p.name
            )
        })
        .collect()
}
