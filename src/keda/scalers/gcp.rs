//! Google Cloud Monitoring scalers (both deprecated upstream in 2025 but still built).
//!
//! `gcp-pubsub` (upstream pkg/scalers/gcp_pubsub_scaler.go): an MQL query of
//! `pubsub.googleapis.com/<subscription|topic>/<snake_case(mode)>` (`SubscriptionSize` reads
//! `num_undelivered_messages`); exactly one of `subscriptionName`/`topicName`; the removed
//! `subscriptionSize` key fails. Target `value` (float, default 10); active ⇔ value >
//! `activationValue`. No series → `valueIfNull` if set, else an error. Metric
//! `s<i>-gcp-ps-<resource>`.
//!
//! `gcp-stackdriver` (pkg/scalers/gcp_stackdriver_scaler.go): a `filter` over the last
//! `filterDuration` minutes (default 2) with optional alignment; first point of the first
//! series. No series → `valueIfNull` if set, else an error; a series without points → -1
//! (reported as 0, inactive). Target `targetValue` (default 5). Metric
//! `s<i>-gcp-stackdriver-<projectId>`.
//!
//! Both need credentials: GCP pod identity, `GoogleApplicationCredentials` in the
//! TriggerAuthentication, or `credentialsFromEnv`/`credentialsFromEnvFile`.

use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_float,
};
use crate::keda::params::{AuthKnowledge, META_ENV, Params, Spec};

fn check_gcp_auth(p: &mut Params) {
    p.mark_used(&["credentials", "credentialsFromEnvFile"]);
    match p.auth.pod_identity() {
        None => return,
        Some(Some("gcp")) => return,
        _ => {}
    }
    if let AuthKnowledge::Known { params, .. } = p.auth
        && params.contains("GoogleApplicationCredentials")
    {
        return;
    }
    let has = |k: &str| p.metadata.get(k).is_some_and(|v| !v.is_empty());
    if !(has("credentialsFromEnv") || has("credentialsFromEnvFile")) {
        p.error(None, "google application credentials not found");
    }
}

fn value_or_null(
    obs: &Observation,
    value_if_null: Option<f64>,
    what: &str,
) -> Result<f64, FetchError> {
    match obs {
        Observation::Value { value } => Ok(*value),
        Observation::Series { values } if !values.is_empty() => Ok(values[0]),
        // A series without points: the value stays at its initial -1.
        Observation::Series { .. } => Ok(-1.0),
        Observation::NoData => value_if_null.ok_or_else(|| {
            FetchError::new(format!("could not find stackdriver metric with {what}"))
        }),
        other => Err(mismatch("gcp", other)),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PubSub {
    pub(crate) activation: f64,
    pub(crate) value_if_null: Option<f64>,
}

impl PubSub {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let v = value_or_null(obs, self.value_if_null, "query")?;
        Ok(Reading {
            value: v,
            active: v > self.activation,
        })
    }
}

fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn build_pubsub(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    p.get(Spec::meta(&["subscriptionSize"]).optional().deprecated(
        "The 'subscriptionSize' setting is DEPRECATED and is removed in v2.20 - Use 'mode' and 'value' instead",
    ));
    let mode = p.string(Spec::meta(&["mode"]).default("SubscriptionSize"));
    let value = p.float(Spec::meta(&["value"]).default("10"));
    let activation = p.float(Spec::meta(&["activationValue"]).default("0"));
    p.string(Spec::meta(&["aggregation"]).optional());
    p.duration(Spec::meta(&["timeHorizon"]).optional());
    let value_if_null = p.float(Spec::meta(&["valueIfNull"]).optional());
    let sub = p.string(Spec::new(&["subscriptionName"], META_ENV).optional());
    let topic = p.string(Spec::new(&["topicName"], META_ENV).optional());
    if sub.is_present() == topic.is_present() {
        p.error(
            None,
            "exactly one of subscription or topic name must be given",
        );
    }
    check_gcp_auth(p);
    if !p.errors.is_empty() {
        return None;
    }
    let resource = sub
        .value()
        .or(topic.value())
        .unwrap_or("<from-env>")
        .to_string();
    let mode = mode.value().unwrap_or("SubscriptionSize").to_string();
    let metric_mode = if mode == "SubscriptionSize" {
        "NumUndeliveredMessages".to_string()
    } else {
        mode.clone()
    };
    let snake = snake_case(&metric_mode);
    let (target_type, value, activation) = (target_type?, value?, activation?);
    let signal = if snake == "num_undelivered_messages" {
        Signal::QueueBacklog {
            visible: true,
            in_flight: true,
            delayed: false,
        }
    } else {
        Signal::Named { suggested: snake }
    };
    Some(Parts {
        metric: external(
            indexed_name(ctx.trigger_index, &normalize(&format!("gcp-ps-{resource}"))),
            target_type,
            target_milli_from_float(value),
        ),
        activation: Some(activation),
        signal,
        delay: DelayClass::CloudMetrics {
            granularity_s: 60.0,
            lag_s: 120.0,
            window_s: 60.0,
        },
        kind: ScalerKind::PubSub(PubSub {
            activation,
            value_if_null,
        }),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stackdriver {
    pub(crate) activation: f64,
    pub(crate) value_if_null: Option<f64>,
}

impl Stackdriver {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let v = value_or_null(obs, self.value_if_null, "filter")?;
        Ok(Reading {
            value: v,
            active: v > self.activation,
        })
    }
}

const ALIGNERS: &[&str] = &[
    "",
    "none",
    "delta",
    "rate",
    "interpolate",
    "next_older",
    "min",
    "max",
    "mean",
    "count",
    "sum",
    "stddev",
    "count_true",
    "count_false",
    "fraction_true",
    "percentile_99",
    "percentile_95",
    "percentile_50",
    "percentile_05",
    "percent_change",
];
const REDUCERS: &[&str] = &[
    "",
    "none",
    "mean",
    "min",
    "max",
    "sum",
    "stddev",
    "count",
    "count_true",
    "count_false",
    "fraction_true",
    "percentile_99",
    "percentile_95",
    "percentile_50",
    "percentile_05",
];

pub(super) fn build_stackdriver(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let project = p.string(Spec::meta(&["projectId"]));
    let filter = p.string(Spec::meta(&["filter"]));
    let target = p.float(Spec::meta(&["targetValue"]).default("5"));
    let activation = p.float(Spec::meta(&["activationTargetValue"]).default("0"));
    let value_if_null = p.float(Spec::meta(&["valueIfNull"]).optional());
    let duration_min = p.int(Spec::meta(&["filterDuration"]).optional(), 64);
    let period = p
        .int(Spec::meta(&["alignmentPeriodSeconds"]).optional(), 64)
        .unwrap_or(0);
    let aligner = p.string(Spec::meta(&["alignmentAligner"]).optional());
    let reducer = p.string(Spec::meta(&["alignmentReducer"]).optional());
    if period != 0 && period < 60 {
        p.error(
            Some("alignmentPeriodSeconds"),
            "alignmentPeriodSeconds must be at least 60",
        );
    }
    check_gcp_auth(p);
    if period != 0 {
        let a = aligner.value().unwrap_or("").to_ascii_lowercase();
        if !ALIGNERS.contains(&a.as_str()) {
            p.error(Some("alignmentAligner"), format!("unknown aligner: {a}"));
        }
        let r = reducer.value().unwrap_or("").to_ascii_lowercase();
        if !REDUCERS.contains(&r.as_str()) {
            p.error(Some("alignmentReducer"), format!("unknown reducer: {r}"));
        }
    }
    if !p.errors.is_empty() {
        return None;
    }
    let project = project.value()?.to_string();
    let window = match duration_min {
        Some(d) if d > 0 => d as f64 * 60.0,
        _ => 120.0,
    };
    let (target_type, target, activation) = (target_type?, target?, activation?);
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("gcp-stackdriver-{project}")),
            ),
            target_type,
            target_milli_from_float(target),
        ),
        activation: Some(activation),
        signal: Signal::Named {
            suggested: super::prometheus::suggest_signal(filter.value().unwrap_or("")),
        },
        delay: DelayClass::CloudMetrics {
            granularity_s: 60.0,
            lag_s: 120.0,
            window_s: window,
        },
        kind: ScalerKind::Stackdriver(Stackdriver {
            activation,
            value_if_null,
        }),
    })
}
