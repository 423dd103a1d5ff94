//! KEDA's scale decision for a ScaledObject after each poll (upstream
//! pkg/scaling/executor/scale_scaledobjects.go `RequestScale`). KEDA itself only moves the
//! target across 0/idle ↔ min; everything between is the HPA's job.
//!
//! Active (or `force-activation`):
//! 1. `idle` set and `cur < min`, or `cur == 0` → set `max(min, 1)` (blocked by
//!    paused-scale-out), refresh `lastActiveTime` on success;
//! 2. else any trigger errored → nothing, `lastActiveTime` NOT refreshed;
//! 3. else → nothing, refresh `lastActiveTime`.
//!
//! Inactive:
//! 1. error and a fallback with `replicas ≠ 0` → hold (let the fallback engage);
//! 2. error and no fallback → hold (Ready=False);
//! 3. `idle` set and `cur > idle`, or `cur > 0` and `min == 0` → after the cooldown jump
//!    straight to `idle` (or `min`) (blocked by paused-scale-in);
//! 4. `idle` unset and `cur < min` → set `min` now;
//! 5. else nothing.
//!
//! Cooldown: `lastActiveTime + cooldownPeriod < now`, or, before any activity,
//! `creationTimestamp + initialCooldownPeriod < now` (both strict).
//!
//! The rules, in the project's words: docs/keda.md#cooldown.

use super::model::ScaledObjectModel;
use super::state::ScaledObjectState;
use serde::Serialize;

/// What KEDA does to the target's replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScaleAction {
    None,
    SetReplicas { from: i32, to: i32 },
}

/// Why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleReason {
    /// `paused`/`paused-replicas`: the loop does nothing (paused-replicas sets the count once).
    Paused,
    /// Active and at 0 (or below min in idle mode): scaled to `max(min, 1)`.
    ActivatedFromZeroOrIdle,
    /// Would activate, but `paused-scale-out` is set.
    ScaleOutPaused,
    /// Active but some trigger errored: no change, lastActiveTime not refreshed.
    PartialTriggerError,
    /// Active, replicas > 0: the HPA is in charge.
    ActiveHpaInCharge,
    /// Inactive with an error and `fallback.replicas ≠ 0`: waiting for fallback.
    WaitingForFallback,
    /// Inactive with an error and no fallback.
    TriggerError,
    /// Inactive and cooled down: scaled to idle/min (0).
    DeactivatedToZeroOrIdle,
    /// Would deactivate, but `paused-scale-in` is set.
    ScaleInPaused,
    /// Inactive, waiting for the cooldown.
    CoolingDown,
    /// Inactive below `minReplicaCount` (no idle mode): raised to min immediately.
    RaisedToMin,
    /// Inactive, nothing to do.
    NoChange,
    /// The ScaledObject was deleted: loop stopped, HPA gone; with
    /// `restoreToOriginalReplicaCount` the target is set back to its original count.
    Deleted,
}

/// The executor's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExecutorDecision {
    pub action: ScaleAction,
    pub reason: ScaleReason,
    pub last_active_time_updated: bool,
}

/// The executor's inputs besides the ScaledObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExecutorInputs {
    pub is_active: bool,
    pub is_error: bool,
    pub current_replicas: i32,
    pub cooldown_elapsed: bool,
}

/// Has the cooldown (or, before any activity, the initial cooldown) elapsed at `now`?
pub fn cooldown_elapsed(model: &ScaledObjectModel, state: &ScaledObjectState, now: f64) -> bool {
    match state.last_active_time {
        Some(t) => t + model.cooldown_period_s < now,
        None => state.created_at + model.initial_cooldown_period_s < now,
    }
}

/// `RequestScale` (not paused).
pub fn request_scale(model: &ScaledObjectModel, inp: ExecutorInputs) -> ExecutorDecision {
    let ann = &model.annotations;
    let cur = inp.current_replicas;
    let min = model.min_replicas();
    let idle = model.idle_replica_count;
    let decide = |action, reason, refreshed| ExecutorDecision {
        action,
        reason,
        last_active_time_updated: refreshed,
    };
    if ann.is_paused() {
        return decide(ScaleAction::None, ScaleReason::Paused, false);
    }
    if inp.is_active || ann.force_activation {
        if (idle.is_some() && cur < min) || cur == 0 {
            if ann.paused_scale_out {
                return decide(ScaleAction::None, ScaleReason::ScaleOutPaused, false);
            }
            let to = if min > 0 { min } else { 1 };
            return decide(
                ScaleAction::SetReplicas { from: cur, to },
                ScaleReason::ActivatedFromZeroOrIdle,
                true,
            );
        }
        if inp.is_error {
            return decide(ScaleAction::None, ScaleReason::PartialTriggerError, false);
        }
        return decide(ScaleAction::None, ScaleReason::ActiveHpaInCharge, true);
    }
    if inp.is_error && model.fallback.as_ref().is_some_and(|f| f.replicas != 0) {
        return decide(ScaleAction::None, ScaleReason::WaitingForFallback, false);
    }
    if inp.is_error && model.fallback.is_none() {
        return decide(ScaleAction::None, ScaleReason::TriggerError, false);
    }
    if idle.is_some_and(|i| cur > i) || (cur > 0 && min == 0) {
        if ann.paused_scale_in {
            return decide(ScaleAction::None, ScaleReason::ScaleInPaused, false);
        }
        if !inp.cooldown_elapsed {
            return decide(ScaleAction::None, ScaleReason::CoolingDown, false);
        }
        let to = idle.unwrap_or(model.min_replica_count.unwrap_or(0));
        return decide(
            ScaleAction::SetReplicas { from: cur, to },
            ScaleReason::DeactivatedToZeroOrIdle,
            false,
        );
    }
    if idle.is_none() && cur < min {
        return decide(
            ScaleAction::SetReplicas { from: cur, to: min },
            ScaleReason::RaisedToMin,
            false,
        );
    }
    decide(ScaleAction::None, ScaleReason::NoChange, false)
}
