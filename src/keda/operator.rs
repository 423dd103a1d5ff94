//! One run of KEDA's polling loop for a ScaledObject (upstream pkg/scaling/scale_handler.go
//! `checkScalers` → `getScaledObjectState` → `RequestScale`). The simulation calls
//! [`poll`] at the loop's ticks (once when the object appears, then every `pollingInterval`).
//!
//! Per non-cpu/memory trigger: fetch, pass through fallback, and
//! `active = fallback engaged || scaler active` unless an error remains; `useCachedMetrics`
//! triggers store the record the HPA path will read. Object level: `isActive` = OR of the
//! triggers (with scalingModifiers: `composite > activationTarget`, and never while a trigger
//! errors); `isError` = any remaining error (which also makes KEDA rebuild its scalers); all
//! triggers cpu/memory ⇒ always active (unless error). Then the executor decides.
//!
//! The rules, in the project's words: docs/keda.md#polling.

use super::executor::{self, ExecutorDecision, ExecutorInputs, ScaleAction, ScaleReason};
use super::fallback;
use super::metric::{FetchResult, milli_to_f64, quantize};
use super::model::ScaledObjectModel;
use super::modifiers;
use super::state::{CachedRecord, MetricValue, ScaledObjectState, TargetView};
use serde::Serialize;
use std::fmt;

/// One trigger's part of a poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerPoll {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) metric_name: String,
    /// The scaler's raw value (before quantisation), when the fetch succeeded.
    pub raw_value: Option<f64>,
    /// The metric value handed on (after fallback), milli-units.
    pub metric_milli: Option<i64>,
    pub active: bool,
    pub(crate) fallback: bool,
    pub(crate) error: Option<String>,
    pub(crate) failures: Option<i32>,
}

/// The composite metric of scalingModifiers in this poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CompositePoll {
    pub(crate) milli: Option<i64>,
    pub(crate) activation_target: f64,
    pub(crate) error: Option<String>,
}

/// Everything one poll observed and decided (goes to `events.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollDecision {
    pub(crate) time: f64,
    pub triggers: Vec<TriggerPoll>,
    pub(crate) composite: Option<CompositePoll>,
    pub is_active: bool,
    pub is_error: bool,
    pub fallback_active: bool,
    pub(crate) current_replicas: i32,
    pub decision: ExecutorDecision,
    /// Why: written as text into `events.jsonl`.
    pub reason: PollReason,
}

impl PollDecision {
    /// A record that read no trigger and found the object inactive: a paused loop, or a change
    /// made to the object (`keda_events`) rather than a poll.
    pub(crate) fn without_triggers(
        now: f64,
        current: i32,
        action: ScaleAction,
        scale: ScaleReason,
        reason: PollReason,
    ) -> PollDecision {
        PollDecision {
            time: now,
            triggers: Vec::new(),
            composite: None,
            is_active: false,
            is_error: false,
            fallback_active: false,
            current_replicas: current,
            decision: ExecutorDecision {
                action,
                reason: scale,
                last_active_time_updated: false,
            },
            reason,
        }
    }
}

/// Why a poll decided what it did; its text is built when written.
#[derive(Debug, Clone, PartialEq)]
pub enum PollReason {
    /// The pause annotations stop KEDA's loop and the HPA.
    Paused,
    /// `scalingModifiers.activationTarget` does not parse (the message): KEDA skips the poll.
    ActivationTargetError(String),
    /// The executor's decision in the object's state (with the formula's error, if any).
    Decided {
        active: bool,
        error: bool,
        outcome: Outcome,
        formula_error: Option<String>,
    },
    /// A change the simulation applied to the object, as the simulation describes it.
    Event(String),
}

/// What the executor did, as the poll's reason tells it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Activated {
        from: i32,
        to: i32,
    },
    /// Scaled in after `cooldownPeriod` from the last active poll.
    CooledDown {
        from: i32,
        to: i32,
        cooldown_s: f64,
    },
    /// Scaled in after `initialCooldownPeriod` from creation (never active yet).
    InitialCooledDown {
        from: i32,
        to: i32,
        cooldown_s: f64,
    },
    RaisedToMin {
        from: i32,
        to: i32,
    },
    /// Any other executor reason, named as it is.
    Other(ScaleReason),
}

impl fmt::Display for PollReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollReason::Paused => {
                f.write_str("paused by annotation: KEDA's loop and the HPA are stopped")
            }
            PollReason::ActivationTargetError(e) => write!(f, "{e}: KEDA skips this poll entirely"),
            PollReason::Decided {
                active,
                error,
                outcome,
                formula_error,
            } => {
                let state = match (active, error) {
                    (true, false) => "active",
                    (true, true) => "active with trigger errors",
                    (false, false) => "inactive",
                    (false, true) => "inactive with trigger errors",
                };
                write!(f, "{state}: {outcome}")?;
                match formula_error {
                    Some(e) => write!(f, " (formula: {e})"),
                    None => Ok(()),
                }
            }
            PollReason::Event(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Activated { from, to } => write!(f, "scale {from} → {to} (activation)"),
            Outcome::CooledDown {
                from,
                to,
                cooldown_s,
            } => {
                write!(f, "scale {from} → {to} after cooldown {cooldown_s} s")
            }
            Outcome::InitialCooledDown {
                from,
                to,
                cooldown_s,
            } => write!(
                f,
                "scale {from} → {to} after initialCooldownPeriod {cooldown_s} s (from creation; never active yet)"
            ),
            Outcome::RaisedToMin { from, to } => {
                write!(f, "scale {from} → {to} (below minReplicaCount)")
            }
            Outcome::Other(r) => write!(f, "{r:?}"),
        }
    }
}

impl Serialize for PollReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Run one poll at `now`. `fetch(i)` asks trigger `i`'s scaler (the simulation evaluates the
/// scaler against its world, e.g. `model.triggers[i].scaler.evaluate(&obs, now, state.memory(i))`).
pub fn poll(
    model: &ScaledObjectModel,
    state: &mut ScaledObjectState,
    now: f64,
    target: &TargetView,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> PollDecision {
    let cur = target.spec_replicas;
    if model.annotations.is_paused() {
        return paused(model, now, cur);
    }
    let mut round = poll_triggers(model, state, target, fetch);
    if round.is_error {
        state.invalidate_scalers();
    }
    let mut composite = None;
    let mut formula_error = None;
    if let Some(m) = &model.modifiers {
        match composite_metric(model, state, m, &mut round) {
            Ok((c, e)) => {
                composite = Some(c);
                formula_error = e;
            }
            Err((c, e)) => {
                // Upstream returns an error from getScaledObjectState: RequestScale is not called.
                state.fallback_condition = fallback::exceeded_threshold(model, &state.health);
                return skipped(now, cur, round, c, e);
            }
        }
    }
    if model.only_cpu_memory() && !round.is_error {
        round.is_active = true;
    }
    state.fallback_condition = fallback::exceeded_threshold(model, &state.health);
    let cooled = executor::cooldown_elapsed(model, state, now);
    let decision = executor::request_scale(
        model,
        ExecutorInputs {
            is_active: round.is_active,
            is_error: round.is_error,
            current_replicas: cur,
            cooldown_elapsed: cooled,
        },
    );
    if decision.last_active_time_updated {
        state.last_active_time = Some(now);
    }
    // Never active yet: the scale-in waited for initialCooldownPeriod (from creation), not
    // for cooldownPeriod (from the last active poll).
    let never_active = state.last_active_time.is_none();
    let reason = PollReason::Decided {
        active: round.is_active,
        error: round.is_error,
        outcome: outcome(&decision, model, never_active),
        formula_error,
    };
    PollDecision {
        time: now,
        triggers: round.triggers,
        composite,
        is_active: round.is_active,
        is_error: round.is_error,
        fallback_active: round.fallback_active,
        current_replicas: cur,
        decision,
        reason,
    }
}

/// A paused object: KEDA's loop does nothing but set `paused-replicas` once.
fn paused(model: &ScaledObjectModel, now: f64, cur: i32) -> PollDecision {
    let action = match model.annotations.paused_replica_count() {
        Some(Ok(n)) if n != cur => ScaleAction::SetReplicas { from: cur, to: n },
        _ => ScaleAction::None,
    };
    PollDecision::without_triggers(now, cur, action, ScaleReason::Paused, PollReason::Paused)
}

/// What the triggers said in one poll.
struct TriggerRound {
    triggers: Vec<TriggerPoll>,
    is_active: bool,
    is_error: bool,
    fallback_active: bool,
    /// Every metric handed on (after fallback), for scalingModifiers.
    matching: Vec<MetricValue>,
    /// The metrics fallback replaced.
    fallback_metrics: Vec<MetricValue>,
}

/// Fetch each non-cpu/memory trigger, pass it through fallback, store the
/// `useCachedMetrics` record, and fold the results into the object's activity and error.
fn poll_triggers(
    model: &ScaledObjectModel,
    state: &mut ScaledObjectState,
    target: &TargetView,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> TriggerRound {
    let mut round = TriggerRound {
        triggers: Vec::new(),
        is_active: false,
        is_error: false,
        fallback_active: false,
        matching: Vec::new(),
        fallback_metrics: Vec::new(),
    };
    for t in model.triggers.iter().filter(|t| !t.is_cpu_memory()) {
        let metric_name = t.scaler.metric.name.clone();
        let raw = fetch(t.index);
        let (raw_value, raw_active) = match &raw {
            Ok(r) => (Some(r.value), r.active),
            Err(_) => (None, false),
        };
        let fetched = raw
            .map(|r| {
                vec![MetricValue {
                    name: metric_name.clone(),
                    milli: quantize(r.value),
                }]
            })
            .map_err(|e| e.message);
        let out = fallback::process(
            model,
            &mut state.health,
            &metric_name,
            &t.scaler.metric,
            fetched,
            target,
        );
        let active = out.error.is_none() && (out.fallback_active || raw_active);
        if t.use_cached_metrics {
            state.metrics_cache.insert(
                metric_name.clone(),
                CachedRecord {
                    active: out.fallback_active || raw_active,
                    metrics: if out.error.is_none() {
                        Some(out.metrics.clone())
                    } else {
                        None
                    },
                    error: out.error.clone(),
                },
            );
        }
        if out.fallback_active {
            round.fallback_active = true;
            round.fallback_metrics.extend(out.metrics.iter().cloned());
        }
        if out.error.is_some() {
            round.is_error = true;
        } else if active {
            round.is_active = true;
        }
        let metric_milli = out.metrics.first().map(|m| m.milli);
        round.matching.extend(out.metrics);
        round.triggers.push(TriggerPoll {
            index: t.index,
            name: t.display_name(),
            metric_name,
            raw_value,
            metric_milli,
            active,
            fallback: out.fallback_active,
            error: out.error,
            failures: out.failures,
        });
    }
    round
}

/// scalingModifiers: the composite metric, and activity as `composite > activationTarget`
/// (never while a trigger errors). `Ok((composite, formula error))`, or `Err` when the
/// activation target does not parse and no trigger errored: KEDA skips the poll.
fn composite_metric(
    model: &ScaledObjectModel,
    state: &ScaledObjectState,
    m: &super::model::Modifiers,
    round: &mut TriggerRound,
) -> Result<(CompositePoll, Option<String>), (CompositePoll, String)> {
    let result = modifiers::apply(
        model,
        &state.health,
        std::mem::take(&mut round.matching),
        round.fallback_active,
        &round.fallback_metrics,
    );
    round.is_active = false;
    let activation: Result<f64, String> = if m.activation_target.trim().is_empty() {
        Ok(0.0)
    } else {
        m.activation_target
            .trim()
            .parse::<f64>()
            .map_err(|e| format!("scalingModifiers.ActivationTarget parsing error {e}"))
    };
    match (&result, &activation) {
        (_, Err(e)) if !round.is_error => {
            let skipped = CompositePoll {
                milli: None,
                activation_target: 0.0,
                error: Some(e.clone()),
            };
            return Err((skipped, e.clone()));
        }
        (Ok(values), Ok(act)) if !round.is_error => {
            round.is_active = values.iter().any(|v| milli_to_f64(v.milli) > *act);
        }
        _ => {}
    }
    let act = activation.unwrap_or(0.0);
    Ok(match result {
        Ok(values) => (
            CompositePoll {
                milli: values.first().map(|v| v.milli),
                activation_target: act,
                error: None,
            },
            None,
        ),
        Err(e) => (
            CompositePoll {
                milli: None,
                activation_target: act,
                error: Some(e.clone()),
            },
            Some(e),
        ),
    })
}

/// The poll KEDA skips (scalingModifiers' activation target does not parse).
fn skipped(
    now: f64,
    cur: i32,
    round: TriggerRound,
    composite: CompositePoll,
    error: String,
) -> PollDecision {
    PollDecision {
        time: now,
        triggers: round.triggers,
        composite: Some(composite),
        is_active: false,
        is_error: true,
        fallback_active: round.fallback_active,
        current_replicas: cur,
        decision: ExecutorDecision {
            action: ScaleAction::None,
            reason: ScaleReason::NoChange,
            last_active_time_updated: false,
        },
        reason: PollReason::ActivationTargetError(error),
    }
}

/// The executor's decision as the reason tells it.
fn outcome(d: &ExecutorDecision, model: &ScaledObjectModel, never_active: bool) -> Outcome {
    match (d.reason, d.action) {
        (ScaleReason::ActivatedFromZeroOrIdle, ScaleAction::SetReplicas { from, to }) => {
            Outcome::Activated { from, to }
        }
        (ScaleReason::DeactivatedToZeroOrIdle, ScaleAction::SetReplicas { from, to }) => {
            if never_active {
                Outcome::InitialCooledDown {
                    from,
                    to,
                    cooldown_s: model.initial_cooldown_period_s,
                }
            } else {
                Outcome::CooledDown {
                    from,
                    to,
                    cooldown_s: model.cooldown_period_s,
                }
            }
        }
        (ScaleReason::RaisedToMin, ScaleAction::SetReplicas { from, to }) => {
            Outcome::RaisedToMin { from, to }
        }
        (r, _) => Outcome::Other(r),
    }
}

#[cfg(test)]
mod tests;
