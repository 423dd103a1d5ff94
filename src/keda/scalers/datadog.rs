//! `datadog` (upstream pkg/scalers/datadog_scaler.go), API mode: `QueryMetrics` over
//! `[now − timeWindowOffset − age, now − timeWindowOffset]`. For each series the last non-null
//! point (moved back `lastAvailablePointOffset` points) is taken; several series need
//! `queryAggregator` (`max` default when set to anything but `average`). No series, or a null
//! point, gives `metricUnavailableValue` when set and an error otherwise; HTTP 422 also gives
//! the filler. Target `targetValue`/`queryValue` (required unless scalingModifiers); active ⇔
//! value > `activationQueryValue`. Metric `s<i>-datadog-<query up to '{'>`.
//!
//! Cluster Agent mode (`useClusterAgentProxy`): the value comes from the Datadog Cluster Agent;
//! metric `datadogmetric@<namespace>:<name>` (no `s<i>-` prefix); active ⇔ value >
//! `activationTargetValue`. Both modes need credentials from a TriggerAuthentication.

use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_float,
};
use crate::keda::params::{AUTH, Got, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct Datadog {
    pub(crate) cluster_agent: bool,
    pub(crate) activation: f64,
    pub(crate) filler: Option<f64>,
    pub(crate) aggregator: Option<String>,
    pub(crate) last_available_point_offset: usize,
}

impl Datadog {
    fn value(&self, obs: &Observation) -> Result<f64, FetchError> {
        let fill = |why: &str| {
            self.filler.ok_or_else(|| {
                FetchError::new(format!("error getting metrics from Datadog: {why}"))
            })
        };
        match obs {
            Observation::Value { value } => Ok(*value),
            Observation::NoData => fill("no Datadog metrics returned for the given time window"),
            Observation::Datadog { status, series } => {
                if *status == 422 && self.filler.is_some() {
                    return fill("");
                }
                if *status != 200 {
                    return Err(FetchError::new(format!(
                        "error when retrieving Datadog metrics (HTTP {status})"
                    )));
                }
                if series.is_empty() {
                    return fill("no Datadog metrics returned for the given time window");
                }
                if series.len() > 1 && self.aggregator.is_none() {
                    return Err(FetchError::new(
                        "query returned more than 1 series; modify the query to return only 1 series or add a queryAggregator",
                    ));
                }
                let mut results = Vec::with_capacity(series.len());
                for points in series {
                    let mut index = points.len() as i64 - 1;
                    for j in (0..points.len()).rev() {
                        if points[j].is_some() {
                            index = j as i64;
                            break;
                        }
                    }
                    if index < self.last_available_point_offset as i64 {
                        return Err(FetchError::new(
                            "index is smaller than the lastAvailablePointOffset",
                        ));
                    }
                    index -= self.last_available_point_offset as i64;
                    match points.get(index as usize).copied().flatten() {
                        Some(v) if !points.is_empty() => results.push(v),
                        _ => return fill("no Datadog metrics returned for the given time window"),
                    }
                }
                Ok(match self.aggregator.as_deref() {
                    Some("average") => results.iter().sum::<f64>() / results.len() as f64,
                    _ => results.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                })
            }
            other => Err(mismatch("datadog", other)),
        }
    }

    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let v = self.value(obs)?;
        Ok(Reading {
            value: v,
            active: v > self.activation,
        })
    }
}

/// Connection and credential parameters (from the TriggerAuthentication), read but not
/// checked.
const AUTH_KEYS: &[&str] = &[
    "datadogNamespace",
    "datadogMetricsService",
    "authMode",
    "token",
    "apiKey",
    "appKey",
];

/// Time parameters that must not be negative: (key, message).
const NON_NEGATIVE: &[(&str, &str)] = &[
    ("age", "age should not be smaller than 0 seconds"),
    (
        "timeWindowOffset",
        "timeWindowOffset should not be smaller than 0 seconds",
    ),
    (
        "lastAvailablePointOffset",
        "lastAvailablePointOffset should not be smaller than 0",
    ),
];

/// The metadata as the Datadog scaler reads it.
struct Meta {
    metric_name: Got,
    metric_ns: Got,
    activation_target: Option<f64>,
    query: Got,
    aggregator: Got,
    activation_query: Option<f64>,
    age: Option<i64>,
    offset: Option<i64>,
    lap: Option<i64>,
    cluster_agent: bool,
    filler: Option<f64>,
    target: Option<f64>,
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let m = read_meta(p);
    value_checks(p, &m);
    let mut target = m.target.unwrap_or(-1.0);
    if target == -1.0 {
        if ctx.as_metric_source {
            target = 0.0;
        } else {
            p.error(None, "no targetValue or queryValue given");
        }
    }
    type_check(p, ctx);
    let name = if m.cluster_agent {
        cluster_agent_name(p, &m)
    } else {
        api_name(p, ctx, &m)
    };
    if !p.errors.is_empty() {
        return None;
    }
    let activation = if m.cluster_agent {
        m.activation_target?
    } else {
        m.activation_query?
    };
    Some(Parts {
        metric: external(name, target_type?, target_milli_from_float(target)),
        activation: Some(activation),
        signal: Signal::Named {
            suggested: super::prometheus::suggest_signal(m.query.value().unwrap_or("")),
        },
        delay: DelayClass::CloudMetrics {
            granularity_s: 15.0,
            lag_s: m.offset.unwrap_or(0) as f64,
            window_s: m.age.unwrap_or(90) as f64,
        },
        kind: ScalerKind::Datadog(Datadog {
            cluster_agent: m.cluster_agent,
            activation,
            filler: m.filler,
            aggregator: m.aggregator.value().map(str::to_string),
            last_available_point_offset: m.lap.unwrap_or(0).max(0) as usize,
        }),
    })
}

/// Read every parameter, with the checks KEDA's typed config makes on each.
fn read_meta(p: &mut Params) -> Meta {
    for k in AUTH_KEYS {
        p.string(Spec::new(std::slice::from_ref(k), AUTH).optional());
    }
    p.int(
        Spec::new(&["datadogMetricsServicePort"], AUTH).default("8443"),
        64,
    );
    p.string(Spec::new(&["datadogSite"], AUTH).default("datadoghq.com"));
    let metric_name = p.string(Spec::meta(&["datadogMetricName"]).optional());
    let metric_ns = p.string(Spec::meta(&["datadogMetricNamespace"]).optional());
    let activation_target = p.float(Spec::meta(&["activationTargetValue"]).default("0"));
    let query = p.string(Spec::meta(&["query"]).optional());
    let aggregator = p.string(
        Spec::meta(&["queryAggregator"])
            .optional()
            .one_of(&["average", "max"]),
    );
    let activation_query = p.float(Spec::meta(&["activationQueryValue"]).default("0"));
    let age = p.int(Spec::meta(&["age"]).default("90"), 64);
    let offset = p.int(Spec::meta(&["timeWindowOffset"]).default("0"), 64);
    let lap = p.int(Spec::meta(&["lastAvailablePointOffset"]).default("0"), 64);
    let cluster_agent = p
        .boolean(Spec::meta(&["useClusterAgentProxy"]).default("false"))
        .unwrap_or(false);
    p.string(Spec::meta(&["hpaMetricName"]).optional());
    let filler = p.float(Spec::meta(&["metricUnavailableValue"]).optional());
    let target = p.float(Spec::meta(&["targetValue", "queryValue"]).default("-1"));
    p.duration(Spec::meta(&["timeout"]).optional());
    p.mark_used(&["type"]);
    Meta {
        metric_name,
        metric_ns,
        activation_target,
        query,
        aggregator,
        activation_query,
        age,
        offset,
        lap,
        cluster_agent,
        filler,
        target,
    }
}

/// Negative time parameters, and a query without a scope.
fn value_checks(p: &mut Params, m: &Meta) {
    for (&(key, message), v) in NON_NEGATIVE.iter().zip([m.age, m.offset, m.lap]) {
        if v.is_some_and(|a| a < 0) {
            p.error(Some(key), message);
        }
    }
    if let Some(q) = m.query.value()
        && !(q.contains('{') && q[q.find('{').unwrap_or(0)..].contains('}'))
    {
        p.error(
            Some("query"),
            "error in query: malformed Datadog query: missing query scope",
        );
    }
}

/// The deprecated `metadata.type`: not with a trigger-level `metricType`, and only
/// `global` or `average`.
fn type_check(p: &mut Params, ctx: &BuildContext) {
    if let Some(t) = p
        .metadata
        .get("type")
        .map(|s| s.trim().to_ascii_lowercase())
    {
        if ctx.metric_type.is_some() {
            p.error(
                Some("type"),
                "only one of trigger.metadata.type or trigger.metricType should be defined",
            );
        } else if t != "average" && t != "global" {
            p.error(Some("type"), "type has to be global or average");
        }
    }
}

fn auth_known(p: &Params) -> bool {
    !matches!(p.auth, crate::keda::params::AuthKnowledge::None)
}

/// Cluster Agent mode: the service and the DatadogMetric's name and namespace are required;
/// the metric is named after the DatadogMetric.
fn cluster_agent_name(p: &mut Params, m: &Meta) -> String {
    if !auth_known(p) {
        p.error(None, "datadog metrics service is required");
    }
    if !m.metric_name.is_present() {
        p.error(Some("datadogMetricName"), "datadog metric name is required");
    }
    if !m.metric_ns.is_present() {
        p.error(
            Some("datadogMetricNamespace"),
            "datadog metric namespace is required",
        );
    }
    format!(
        "datadogmetric@{}:{}",
        m.metric_ns.value().unwrap_or(""),
        m.metric_name.value().unwrap_or("")
    )
}

/// API mode: the keys and a query are required; the metric is named after the query's head.
fn api_name(p: &mut Params, ctx: &BuildContext, m: &Meta) -> String {
    if !auth_known(p) {
        p.error(None, "error parsing Datadog metadata: missing AppKey");
    }
    match m.query.value() {
        None => {
            p.error(
                Some("query"),
                "error parsing Datadog metadata: missing Query",
            );
            String::new()
        }
        Some(q) => {
            let head = q.split('{').next().unwrap_or("").to_string();
            indexed_name(ctx.trigger_index, &normalize(&format!("datadog-{head}")))
        }
    }
}
