//! `keda_events:` applied to a running ScaledObject (the scenario side is
//! `scenario::keda_events`): pause and unpause through the pause annotations, and deletion with
//! `restoreToOriginalReplicaCount` (upstream controllers/keda/scaledobject_finalizer.go:
//! stop the loop; if the flag is set, set the target's replicas to
//! `status.originalReplicaCount`; the HPA is garbage-collected with its owner).

use super::{ScaledObjectDriver, generated_hpa};
use crate::keda::executor::{ScaleAction, ScaleReason};
use crate::keda::operator::{PollDecision, PollReason};
use crate::metrics::Sampler;
use crate::settings::Scenario;
use crate::settings::keda_events::KedaAction;
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

    /// Apply one event at `now`. Returns what to log: a KEDA record of the change (and, after
    /// an unpause, of the check the restarted loop runs at once).
    pub(crate) fn apply_event(
        &mut self,
        now: f64,
        action: KedaAction,
        world: &mut World,
        samplers: &[Sampler],
        scenario: &Scenario,
    ) -> Result<Vec<PollDecision>, String> {
        if self.deleted {
            return Ok(Vec::new());
        }
        match action {
            KedaAction::Pause { replicas } => Ok(vec![self.pause(now, replicas, world)]),
            KedaAction::Unpause => self.unpause(now, world, samplers, scenario),
            KedaAction::Delete => Ok(vec![self.delete(now, world)]),
        }
    }

    /// The pause annotations set: the loop stops, the HPA is deleted, and with
    /// `paused-replicas` the target is set to that count.
    fn pause(&mut self, now: f64, replicas: Option<i32>, world: &mut World) -> PollDecision {
        let cur = world.pods().spec_replicas();
        let ann = &mut self.model.annotations;
        match replicas {
            Some(n) => ann.paused_replicas = Some(n.to_string()),
            None => ann.paused = true,
        }
        self.delete_hpa();
        let set = match replicas {
            Some(n) if n != cur => {
                world.set_replicas(now, n);
                ScaleAction::SetReplicas { from: cur, to: n }
            }
            _ => ScaleAction::None,
        };
        let text = match replicas {
            Some(n) => format!(
                "paused (keda_events: paused-replicas {n}): KEDA's loop stopped, HPA deleted, replicas set to {n}"
            ),
            None => "paused (keda_events: paused): KEDA's loop stopped, HPA deleted, replicas kept"
                .into(),
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
    ) -> Result<Vec<PollDecision>, String> {
        let cur = world.pods().spec_replicas();
        let ann = &mut self.model.annotations;
        let was_paused = ann.is_paused();
        ann.paused = false;
        ann.paused_replicas = None;
        if !was_paused {
            return Ok(Vec::new());
        }
        let loaded = generated_hpa(&self.model)
            .map_err(|e| format!("the HPA KEDA generates does not load: {e}"))?;
        let mut scratch = Vec::new();
        let mut hpa = HpaDriver::new(&loaded, scenario, &mut scratch, true)?;
        debug_assert!(scratch.is_empty(), "a KEDA-fed HPA reads no sampler");
        if let Some(stats) = self.parked_hpa_stats.take() {
            hpa.stats = stats;
        }
        self.hpa = Some(hpa);
        // A new loop and a new HPA: the caller arms their ticks from `now`.
        self.loop_epoch += 1;
        let mut out = vec![event_record(
            now,
            cur,
            ScaleAction::None,
            ScaleReason::NoChange,
            "unpaused (keda_events): HPA created again, KEDA's loop restarted".into(),
        )];
        // The restarted loop checks at once.
        out.push(self.poll(now, world, samplers));
        Ok(out)
    }

    /// Deleted: the loop stops for good, the HPA goes with its owner, and with
    /// `restoreToOriginalReplicaCount` the target gets back its original replicas.
    fn delete(&mut self, now: f64, world: &mut World) -> PollDecision {
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
                    "deleted (keda_events): loop stopped, HPA removed, replicas restored to the original {to} (restoreToOriginalReplicaCount)"
                ),
            )
        } else {
            (
                ScaleAction::None,
                format!("deleted (keda_events): loop stopped, HPA removed, replicas left at {cur}"),
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
