//! A change (`changes:`, `keda_events:`) applied to a running ScaledObject (the scenario side
//! is `scenario::changes`; the run side `sim::changes`): the object as it now is, compared with
//! what it was — pause and unpause through the pause annotations, a spec update (the generated
//! HPA updated in place, KEDA's loop restarted with fresh scalers), other annotations read at
//! the next poll — and deletion with `restoreToOriginalReplicaCount` (upstream
//! controllers/keda/scaledobject_finalizer.go: stop the loop; if the flag is set, set the
//! target's replicas to `status.originalReplicaCount`; the HPA is garbage-collected with its
//! owner). The rules: docs/keda.md#changes-during-a-run.

use super::{ScaledObjectDriver, generated_hpa};
use crate::keda::ScaledObjectModel;
use crate::keda::executor::{ScaleAction, ScaleReason};
use crate::keda::operator::{PollDecision, PollReason};
use crate::metrics::Sampler;
use crate::settings::Scenario;
use crate::settings::changes::Origin;
use crate::sim::hpa_driver::{HpaDriver, HpaStats};
use crate::world::World;

impl ScaledObjectDriver {
    /// Deleted by a `keda_events` entry: its loop and its HPA are gone for good.
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// The generated HPA's sync period (also while the HPA is absent).
    pub(crate) fn hpa_sync_period(&self) -> f64 {
        self.hpa_sync_period
    }

    /// The generated HPA's statistics over the run, also after it was deleted (a re-created
    /// HPA keeps counting into the same record).
    pub(crate) fn hpa_stats(&self) -> Option<HpaStats> {
        self.hpa
            .as_ref()
            .map(|h| h.stats.clone())
            .or_else(|| self.parked_hpa_stats.clone())
    }

    /// Remove the generated HPA, keeping its statistics.
    fn delete_hpa(&mut self) {
        if let Some(h) = self.hpa.take() {
            self.parked_hpa_stats = Some(h.stats);
        }
    }

    /// The object becomes `new` at `now` (`prepared`: a driver built for `new` at set-up when
    /// its triggers differ, whose scalers it takes). Returns what to log and what restarted.
    pub(crate) fn update(
        &mut self,
        now: f64,
        new: &ScaledObjectModel,
        prepared: Option<ScaledObjectDriver>,
        origin: Origin,
        cx: UpdateContext<'_>,
    ) -> Result<(Vec<PollDecision>, Restart), String> {
        let UpdateContext {
            world,
            samplers,
            scenario,
        } = cx;
        let old = std::mem::replace(&mut self.model, new.clone());
        let spec_changed = old.spec_differs(new);
        if spec_changed {
            self.fresh_scalers(prepared);
        }
        let (was, is) = (old.annotations.is_paused(), new.annotations.is_paused());
        let replicas = new.annotations.paused_replica_count().and_then(Result::ok);
        match (was, is) {
            (false, true) => Ok((
                vec![self.pause(now, replicas, world, origin)],
                Restart::None,
            )),
            (true, false) => {
                let out = self.unpause(now, world, samplers, scenario, origin)?;
                Ok((out, Restart::LoopAndHpa))
            }
            (true, true) if old.annotations.paused_replicas != new.annotations.paused_replicas => {
                Ok((
                    vec![self.pause(now, replicas, world, origin)],
                    Restart::None,
                ))
            }
            (true, true) => Ok((Vec::new(), Restart::None)),
            (false, false) => {
                let cx = UpdateContext {
                    world,
                    samplers,
                    scenario,
                };
                self.update_running(now, &old, spec_changed, origin, cx)
            }
        }
    }

    /// An update of an object that is not paused: the generated HPA updated in place when its
    /// spec changed (upstream `updateHPAIfNeeded`), and KEDA's loop restarted (checking at
    /// once) when the object's generation changed.
    fn update_running(
        &mut self,
        now: f64,
        old: &ScaledObjectModel,
        spec_changed: bool,
        origin: Origin,
        cx: UpdateContext<'_>,
    ) -> Result<(Vec<PollDecision>, Restart), String> {
        let UpdateContext {
            world,
            samplers,
            scenario,
        } = cx;
        let cur = world.pods().spec_replicas();
        let hpa_changed = old.hpa != self.model.hpa;
        if hpa_changed && self.hpa.is_some() {
            let new = self.generated_hpa_driver(scenario)?;
            if let Some(hpa) = self.hpa.as_mut() {
                hpa.update_spec(new);
            }
        }
        let what = match (spec_changed, hpa_changed) {
            (true, true) => {
                "spec updated: HPA updated in place, KEDA's loop restarted with new scalers"
            }
            (true, false) => "spec updated: KEDA's loop restarted with new scalers",
            (false, true) => "annotations updated: HPA updated in place",
            (false, false) => "annotations updated",
        };
        let mut out = vec![event_record(
            now,
            cur,
            ScaleAction::None,
            ScaleReason::NoChange,
            format!("{what} ({})", origin.key()),
        )];
        if !spec_changed {
            return Ok((
                out,
                if hpa_changed {
                    Restart::HpaSync
                } else {
                    Restart::None
                },
            ));
        }
        self.loop_epoch += 1;
        out.push(self.poll(now, world, samplers));
        let restart = if hpa_changed {
            Restart::LoopAndHpaSync
        } else {
            Restart::Loop
        };
        Ok((out, restart))
    }

    /// New scalers (upstream clears the scalers cache when the generation changes): the
    /// prepared driver's trigger bindings when the triggers changed, else fresh memories.
    fn fresh_scalers(&mut self, prepared: Option<ScaledObjectDriver>) {
        match prepared {
            Some(p) => {
                self.triggers = p.triggers;
                // The new triggers' direct samplers, when the run gave it some (their `_true`
                // columns; sim::metric_columns).
                self.truth = p.truth;
            }
            None => {
                for m in &mut self.triggers.memories {
                    *m = Default::default();
                }
            }
        }
        let n = self.model.triggers.len();
        self.state.scaler_memory = vec![Default::default(); n];
    }

    /// The HPA this object generates, as a driver (fed by KEDA: it reads no sampler).
    pub(crate) fn generated_hpa_driver(&self, scenario: &Scenario) -> Result<HpaDriver, String> {
        let loaded = generated_hpa(&self.model)
            .map_err(|e| format!("the HPA KEDA generates does not load: {e}"))?;
        let mut scratch = Vec::new();
        let hpa = HpaDriver::new(&loaded, scenario, &mut scratch, true)?;
        debug_assert!(scratch.is_empty(), "a KEDA-fed HPA reads no sampler");
        Ok(hpa)
    }

    /// Created during the run at `now`: KEDA first sees it then (its creation time and
    /// `status.originalReplicaCount`).
    pub(crate) fn created_at(&mut self, now: f64, world: &World) {
        self.state = crate::keda::ScaledObjectState::new(
            now - super::CREATION_LEAD,
            self.model.triggers.len(),
        );
        self.original_replicas = world.pods().spec_replicas();
    }

    /// Deleted (`delete`): see [`Self::delete`].
    pub(crate) fn deleted_by(
        &mut self,
        now: f64,
        world: &mut World,
        origin: Origin,
    ) -> Vec<PollDecision> {
        if self.deleted {
            return Vec::new();
        }
        vec![self.delete(now, world, origin)]
    }

    /// The pause annotations set: the loop stops, the HPA is deleted, and with
    /// `paused-replicas` the target is set to that count.
    fn pause(
        &mut self,
        now: f64,
        replicas: Option<i32>,
        world: &mut World,
        origin: Origin,
    ) -> PollDecision {
        let cur = world.pods().spec_replicas();
        self.delete_hpa();
        let set = match replicas {
            Some(n) if n != cur => {
                world.set_replicas(now, n);
                ScaleAction::SetReplicas { from: cur, to: n }
            }
            _ => ScaleAction::None,
        };
        let key = origin.key();
        let text = match replicas {
            Some(n) => format!(
                "paused ({key}: paused-replicas {n}): KEDA's loop stopped, HPA deleted, replicas set to {n}"
            ),
            None => {
                format!("paused ({key}: paused): KEDA's loop stopped, HPA deleted, replicas kept")
            }
        };
        event_record(now, cur, set, ScaleReason::Paused, text)
    }

    /// The pause annotations removed: the HPA is created anew and the loop restarts, checking
    /// at once.
    fn unpause(
        &mut self,
        now: f64,
        world: &mut World,
        samplers: &[Sampler],
        scenario: &Scenario,
        origin: Origin,
    ) -> Result<Vec<PollDecision>, String> {
        let cur = world.pods().spec_replicas();
        let loaded = generated_hpa(&self.model)
            .map_err(|e| format!("the HPA KEDA generates does not load: {e}"))?;
        let mut scratch = Vec::new();
        let mut hpa = HpaDriver::new(&loaded, scenario, &mut scratch, true)?;
        debug_assert!(scratch.is_empty(), "a KEDA-fed HPA reads no sampler");
        if let Some(stats) = self.parked_hpa_stats.take() {
            hpa.stats = stats;
        }
        self.hpa = Some(Box::new(hpa));
        // A new loop and a new HPA: the caller arms their ticks from `now`.
        self.loop_epoch += 1;
        self.hpa_epoch += 1;
        let mut out = vec![event_record(
            now,
            cur,
            ScaleAction::None,
            ScaleReason::NoChange,
            format!(
                "unpaused ({}): HPA created again, KEDA's loop restarted",
                origin.key()
            ),
        )];
        // The restarted loop checks at once.
        out.push(self.poll(now, world, samplers));
        Ok(out)
    }

    /// Deleted: the loop stops for good, the HPA goes with its owner, and with
    /// `restoreToOriginalReplicaCount` the target gets back its original replicas.
    fn delete(&mut self, now: f64, world: &mut World, origin: Origin) -> PollDecision {
        let key = origin.key();
        let cur = world.pods().spec_replicas();
        self.deleted = true;
        self.delete_hpa();
        let (set, text) = if self.model.restore_to_original_replica_count {
            let to = self.original_replicas;
            if to != cur {
                world.set_replicas(now, to);
            }
            (
                if to != cur {
                    ScaleAction::SetReplicas { from: cur, to }
                } else {
                    ScaleAction::None
                },
                format!(
                    "deleted ({key}): loop stopped, HPA removed, replicas restored to the original {to} (restoreToOriginalReplicaCount)"
                ),
            )
        } else {
            (
                ScaleAction::None,
                format!("deleted ({key}): loop stopped, HPA removed, replicas left at {cur}"),
            )
        };
        event_record(now, cur, set, ScaleReason::Deleted, text)
    }
}

/// A KEDA record of a `keda_events` change at `now`, with `current` replicas before it.
fn event_record(
    now: f64,
    current: i32,
    action: ScaleAction,
    reason: ScaleReason,
    text: String,
) -> PollDecision {
    PollDecision::without_triggers(now, current, action, reason, PollReason::Event(text))
}

/// What a change restarted: the simulation arms the new ticks from `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restart {
    None,
    /// The generated HPA's spec changed: it is reconciled at once (its cadence unchanged).
    HpaSync,
    /// KEDA's loop restarted (it checked just now).
    Loop,
    /// Both of the above.
    LoopAndHpaSync,
    /// Unpaused: a new loop (it checked just now) and a new HPA, first synced one resync period
    /// after its creation.
    LoopAndHpa,
}

/// What updating a driver reads and writes besides the driver.
pub(crate) struct UpdateContext<'a> {
    pub(crate) world: &'a mut World,
    pub(crate) samplers: &'a [Sampler],
    pub(crate) scenario: &'a Scenario,
}

impl super::ScaledJobDriver {
    /// The ScaledJob as a change left it (annotations or spec); returns what it was.
    pub(crate) fn replace_model(
        &mut self,
        new: crate::keda::ScaledJobModel,
    ) -> crate::keda::ScaledJobModel {
        std::mem::replace(&mut self.model, new)
    }
}
