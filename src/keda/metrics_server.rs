//! The HPA asking KEDA's metrics adapter for one External metric (upstream
//! pkg/scaling/scale_handler.go `GetScaledObjectMetrics`). The simulation calls
//! [`external_metric_request`] at each HPA sync for each External metric of the generated HPA.
//!
//! * The requested metric's trigger is queried live — or, with `useCachedMetrics`, the record of
//!   the last poll is read (its error counts as a failure again; a live query on a cache miss).
//! * Every fetch goes through fallback (so failures are counted on HPA requests too).
//! * With scalingModifiers the request is for `composite-metric`: every trigger is fetched and
//!   the formula combines them.
//! * Any remaining error fails the request (the HPA sees FailedGetExternalMetric) unless a
//!   fallback is engaged.
//!
//! The rules, in the project's words: docs/keda.md#metrics-server.

use super::fallback;
use super::metric::{COMPOSITE_METRIC_NAME, FetchResult, quantize};
use super::model::ScaledObjectModel;
use super::modifiers;
use super::state::{MetricValue, ScaledObjectState, TargetView};
use serde::Serialize;

/// One trigger's part of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TriggerFetch {
    pub(crate) index: usize,
    pub(crate) metric_name: String,
    /// Served from the metrics cache of the last poll.
    pub(crate) cached: bool,
    pub(crate) metric_milli: Option<i64>,
    pub(crate) fallback: bool,
    pub(crate) error: Option<String>,
    pub(crate) failures: Option<i32>,
}

/// The adapter's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResponse {
    pub(crate) time: f64,
    pub(crate) metric_name: String,
    /// The values returned (the HPA sums them; KEDA returns one).
    pub(crate) values: Vec<MetricValue>,
    pub fallback_active: bool,
    pub(crate) triggers: Vec<TriggerFetch>,
}

impl MetricResponse {
    /// The total the HPA uses, in milli-units.
    pub fn total_milli(&self) -> i64 {
        self.values.iter().map(|v| v.milli).sum()
    }
}

/// A failed request (the HPA marks the metric invalid for this sync).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRequestError {
    pub(crate) time: f64,
    pub(crate) metric_name: String,
    pub(crate) message: String,
    pub(crate) triggers: Vec<TriggerFetch>,
}

/// Answer an HPA request for `metric_name` at `now`.
pub fn external_metric_request(
    model: &ScaledObjectModel,
    state: &mut ScaledObjectState,
    now: f64,
    metric_name: &str,
    target: &TargetView,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> Result<MetricResponse, MetricRequestError> {
    match answer(model, state, metric_name, target, fetch, Record::Kept) {
        Ok(a) => Ok(MetricResponse {
            time: now,
            metric_name: metric_name.to_string(),
            values: a.values,
            fallback_active: a.fallback_active,
            triggers: a.traces,
        }),
        Err((message, traces)) => Err(MetricRequestError {
            time: now,
            metric_name: metric_name.to_string(),
            message,
            triggers: traces,
        }),
    }
}

/// [`external_metric_request`] as the HPA reads it: the values' milli-units, or the error
/// message; the same state changes, without the per-trigger record nobody reads.
pub(crate) fn external_metric_values(
    model: &ScaledObjectModel,
    state: &mut ScaledObjectState,
    metric_name: &str,
    target: &TargetView,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> Result<Vec<i64>, String> {
    // `into_iter` keeps the values' allocation for the milli-units (an in-place collect).
    answer(model, state, metric_name, target, fetch, Record::Skipped)
        .map(|a| a.values.into_iter().map(|v| v.milli).collect())
        .map_err(|(message, _)| message)
}

/// Whether a request keeps the record of each trigger it read (an API response shows it; the
/// HPA's own read at a sync does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Kept,
    Skipped,
}

/// A request answered: its values, whether fallback is active, the per-trigger record.
struct Answer {
    values: Vec<MetricValue>,
    fallback_active: bool,
    traces: Vec<TriggerFetch>,
}

/// Answer a request for `metric_name` (the record of each trigger only when it is `Kept`); an error
/// is its message and the record.
fn answer(
    model: &ScaledObjectModel,
    state: &mut ScaledObjectState,
    metric_name: &str,
    target: &TargetView,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
    record: Record,
) -> Result<Answer, (String, Vec<TriggerFetch>)> {
    let round = fetch_wanted(model, state, metric_name, target, fetch, record);
    state.fallback_condition = fallback::exceeded_threshold(model, &state.health);
    if round.scaler_error {
        state.invalidate_scalers();
        if !round.fallback_active {
            return Err((
                format!("metric:{metric_name} encountered error"),
                round.traces,
            ));
        }
    }
    if round.matching.is_empty() {
        return Err((
            format!("no matching metrics found for {metric_name}"),
            round.traces,
        ));
    }
    let values = match modifiers::apply(
        model,
        &state.health,
        round.matching,
        round.fallback_active,
        &round.fallback_metrics,
    ) {
        Ok(v) => v,
        // Upstream logs the formula error and returns no items: the HPA gets no value.
        Err(e) => {
            return Err((
                format!("no metric value returned for {COMPOSITE_METRIC_NAME}: {e}"),
                round.traces,
            ));
        }
    };
    Ok(Answer {
        values,
        fallback_active: round.fallback_active,
        traces: round.traces,
    })
}

/// What the triggers a request reads answered.
struct FetchRound {
    traces: Vec<TriggerFetch>,
    matching: Vec<MetricValue>,
    fallback_metrics: Vec<MetricValue>,
    fallback_active: bool,
    scaler_error: bool,
}

/// Does a request for `metric_name` read the trigger metric `name` (`getTrueMetricArray`)?
/// With a scalingModifiers target it reads every external metric.
fn wanted(model: &ScaledObjectModel, metric_name: &str, name: &str) -> bool {
    match &model.modifiers {
        Some(m) if !m.target.is_empty() => true,
        _ => super::model::same_metric_name(metric_name, name),
    }
}

/// Read each wanted trigger — from the `useCachedMetrics` record or a fresh fetch — and pass
/// it through fallback; keep a record of each unless `record` says it is skipped.
fn fetch_wanted(
    model: &ScaledObjectModel,
    state: &mut ScaledObjectState,
    metric_name: &str,
    target: &TargetView,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
    record: Record,
) -> FetchRound {
    let mut round = FetchRound {
        traces: Vec::new(),
        matching: Vec::new(),
        fallback_metrics: Vec::new(),
        fallback_active: false,
        scaler_error: false,
    };
    for t in model.triggers.iter().filter(|t| !t.is_cpu_memory()) {
        if !wanted(model, metric_name, &t.scaler.metric.name) {
            continue;
        }
        let name = t.scaler.metric.name.as_str();
        let cached = if t.use_cached_metrics {
            state.metrics_cache.get(name).cloned()
        } else {
            None
        };
        let from_cache = cached.is_some();
        let fetched: Result<Vec<MetricValue>, String> = match cached {
            Some(rec) => match rec.error {
                Some(e) => Err(e),
                None => Ok(rec.metrics.unwrap_or_default()),
            },
            None => fetch(t.index)
                .map(|r| {
                    vec![MetricValue {
                        name: fetched_name(model, name, record),
                        milli: quantize(r.value),
                    }]
                })
                .map_err(|e| e.message),
        };
        let out = fallback::process(
            model,
            &mut state.health,
            name,
            &t.scaler.metric,
            fetched,
            target,
        );
        if out.fallback_active {
            round.fallback_active = true;
            round.fallback_metrics.extend(out.metrics.iter().cloned());
        }
        if out.error.is_some() {
            round.scaler_error = true;
        }
        let metric_milli = out.metrics.first().map(|m| m.milli);
        if round.matching.is_empty() {
            // The first trigger's values are the list (no copy into a new one).
            round.matching = out.metrics;
        } else {
            round.matching.extend(out.metrics);
        }
        if record == Record::Skipped {
            continue;
        }
        round.traces.push(TriggerFetch {
            index: t.index,
            metric_name: name.to_string(),
            cached: from_cache,
            metric_milli,
            fallback: out.fallback_active,
            error: out.error,
            failures: out.failures,
        });
    }
    round
}

/// The name a freshly fetched value carries: the trigger's metric, except in the HPA's own read
/// (`Record::Skipped`) without scalingModifiers, where only the milli-units are read (fallback
/// names its own values, and no formula looks a trigger up by name) and the name is left empty
/// rather than copied at every sync.
fn fetched_name(model: &ScaledObjectModel, name: &str, record: Record) -> String {
    if record == Record::Skipped && model.modifiers.is_none() {
        String::new()
    } else {
        name.to_string()
    }
}
