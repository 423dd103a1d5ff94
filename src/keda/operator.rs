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

/// One trigger's part of a poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerPoll {
    pub index: usize,
    pub name: String,
    pub metric_name: String,
    /// The scaler's raw value (before quantisation), when the fetch succeeded.
    pub raw_value: Option<f64>,
    /// The metric value handed on (after fallback), milli-units.
    pub metric_milli: Option<i64>,
    pub active: bool,
    pub fallback: bool,
    pub error: Option<String>,
    pub failures: Option<i32>,
}

/// The composite metric of scalingModifiers in this poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompositePoll {
    pub milli: Option<i64>,
    pub activation_target: f64,
    pub error: Option<String>,
}

/// Everything one poll observed and decided (goes to `events.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollDecision {
    pub time: f64,
    pub triggers: Vec<TriggerPoll>,
    pub composite: Option<CompositePoll>,
    pub is_active: bool,
    pub is_error: bool,
    pub fallback_active: bool,
    pub current_replicas: i32,
    pub decision: ExecutorDecision,
    /// Free-text explanation of the decision.
    pub reason: String,
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
        let action = match model.annotations.paused_replica_count() {
            Some(Ok(n)) if n != cur => ScaleAction::SetReplicas { from: cur, to: n },
            _ => ScaleAction::None,
        };
        let decision = ExecutorDecision {
            action,
            reason: ScaleReason::Paused,
            last_active_time_updated: false,
        };
        return PollDecision {
            time: now,
            triggers: Vec::new(),
            composite: None,
            is_active: false,
            is_error: false,
            fallback_active: false,
            current_replicas: cur,
            decision,
            reason: "paused by annotation: KEDA's loop and the HPA are stopped".into(),
        };
    }
    let mut triggers = Vec::new();
    let mut is_active = false;
    let mut is_error = false;
    let mut fallback_active = false;
    let mut matching: Vec<MetricValue> = Vec::new();
    let mut fallback_metrics: Vec<MetricValue> = Vec::new();
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
            fallback_active = true;
            fallback_metrics.extend(out.metrics.iter().cloned());
        }
        if out.error.is_some() {
            is_error = true;
        } else if active {
            is_active = true;
        }
        matching.extend(out.metrics.iter().cloned());
        triggers.push(TriggerPoll {
            index: t.index,
            name: t.display_name(),
            metric_name,
            raw_value,
            metric_milli: out.metrics.first().map(|m| m.milli),
            active,
            fallback: out.fallback_active,
            error: out.error,
            failures: out.failures,
        });
    }
    if is_error {
        state.invalidate_scalers();
    }
    let mut composite = None;
    let mut reason_extra = String::new();
    if let Some(m) = &model.modifiers {
        let result = modifiers::apply(
            model,
            &state.health,
            matching,
            fallback_active,
            &fallback_metrics,
        );
        is_active = false;
        let activation: Result<f64, String> = if m.activation_target.trim().is_empty() {
            Ok(0.0)
        } else {
            m.activation_target
                .trim()
                .parse::<f64>()
                .map_err(|e| format!("scalingModifiers.ActivationTarget parsing error {e}"))
        };
        match (&result, &activation) {
            (_, Err(e)) if !is_error => {
                // Upstream returns an error from getScaledObjectState: RequestScale is not called.
                state.fallback_condition = fallback::exceeded_threshold(model, &state.health);
                return PollDecision {
                    time: now,
                    triggers,
                    composite: Some(CompositePoll {
                        milli: None,
                        activation_target: 0.0,
                        error: Some(e.clone()),
                    }),
                    is_active: false,
                    is_error: true,
                    fallback_active,
                    current_replicas: cur,
                    decision: ExecutorDecision {
                        action: ScaleAction::None,
                        reason: ScaleReason::NoChange,
                        last_active_time_updated: false,
                    },
                    reason: format!("{e}: KEDA skips this poll entirely"),
                };
            }
            (Ok(values), Ok(act)) if !is_error => {
                is_active = values.iter().any(|v| milli_to_f64(v.milli) > *act);
            }
            _ => {}
        }
        let act = activation.unwrap_or(0.0);
        composite = Some(match result {
            Ok(values) => CompositePoll {
                milli: values.first().map(|v| v.milli),
                activation_target: act,
                error: None,
            },
            Err(e) => {
                reason_extra = format!(" (formula: {e})");
                CompositePoll {
                    milli: None,
                    activation_target: act,
                    error: Some(e),
                }
            }
        });
    }
    if model.only_cpu_memory() && !is_error {
        is_active = true;
    }
    state.fallback_condition = fallback::exceeded_threshold(model, &state.health);
    let cooled = executor::cooldown_elapsed(model, state, now);
    let decision = executor::request_scale(
        model,
        ExecutorInputs {
            is_active,
            is_error,
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
    let reason = describe(&decision, is_active, is_error, model, never_active) + &reason_extra;
    PollDecision {
        time: now,
        triggers,
        composite,
        is_active,
        is_error,
        fallback_active,
        current_replicas: cur,
        decision,
        reason,
    }
}

fn describe(
    d: &ExecutorDecision,
    active: bool,
    error: bool,
    model: &ScaledObjectModel,
    never_active: bool,
) -> String {
    let state = match (active, error) {
        (true, false) => "active",
        (true, true) => "active with trigger errors",
        (false, false) => "inactive",
        (false, true) => "inactive with trigger errors",
    };
    let what = match (d.reason, d.action) {
        (ScaleReason::ActivatedFromZeroOrIdle, ScaleAction::SetReplicas { from, to }) => {
            format!("scale {from} → {to} (activation)")
        }
        (ScaleReason::DeactivatedToZeroOrIdle, ScaleAction::SetReplicas { from, to }) => {
            if never_active {
                format!(
                    "scale {from} → {to} after initialCooldownPeriod {} s (from creation; never active yet)",
                    model.initial_cooldown_period_s
                )
            } else {
                format!(
                    "scale {from} → {to} after cooldown {} s",
                    model.cooldown_period_s
                )
            }
        }
        (ScaleReason::RaisedToMin, ScaleAction::SetReplicas { from, to }) => {
            format!("scale {from} → {to} (below minReplicaCount)")
        }
        (r, _) => format!("{r:?}"),
    };
    format!("{state}: {what}")
}

#[cfg(test)]
mod tests;
