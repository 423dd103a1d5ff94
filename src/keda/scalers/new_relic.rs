//! `new-relic` (upstream pkg/scalers/newrelic_scaler.go): an NRQL query; the first numeric
//! value of the first result row. No rows or no numeric value → 0, or an error with
//! `noDataError`. Target `threshold` (0 under scalingModifiers); active ⇔ value >
//! `activationThreshold`. Metric `s<i>-new-relic`. `account` and `queryKey` are required
//! (metadata or TriggerAuthentication).
//!
//! Upstream picks "the first numeric value" by iterating a Go map, i.e. in random order when a
//! row has several numeric columns; scalesim takes them in the order given.

use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, target_milli_from_float,
};
use crate::keda::params::{AUTH_META, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct NewRelic {
    pub(crate) no_data_error: bool,
    pub(crate) activation: f64,
}

impl NewRelic {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let v = match obs {
            Observation::Value { value } => *value,
            Observation::NoData => {
                if self.no_data_error {
                    return Err(FetchError::new("query returned no results"));
                }
                0.0
            }
            Observation::NewRelic { rows } => match rows.first() {
                None if self.no_data_error => {
                    return Err(FetchError::new("query returned no results"));
                }
                None => 0.0,
                Some(row) => match row.iter().find_map(|v| v.as_f64()) {
                    Some(v) => v,
                    None if self.no_data_error => {
                        return Err(FetchError::new("query returned no numeric results"));
                    }
                    None => 0.0,
                },
            },
            other => return Err(mismatch("new-relic", other)),
        };
        Ok(Reading {
            value: v,
            active: v > self.activation,
        })
    }
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    p.int(Spec::new(&["account"], AUTH_META), 64);
    p.string(Spec::new(&["region"], AUTH_META).default("US"));
    p.string(Spec::new(&["queryKey"], AUTH_META));
    let no_data_error = p.boolean(Spec::meta(&["noDataError"]).default("false"));
    let nrql = p.string(Spec::meta(&["nrql"]));
    let threshold = p.float(Spec::meta(&["threshold"]));
    let activation = p.float(Spec::meta(&["activationThreshold"]).default("0"));
    if !p.errors.is_empty() {
        return None;
    }
    let threshold = if ctx.as_metric_source {
        0.0
    } else {
        threshold?
    };
    let (target_type, no_data_error, activation) = (target_type?, no_data_error?, activation?);
    Some(Parts {
        metric: external(
            indexed_name(ctx.trigger_index, "new-relic"),
            target_type,
            target_milli_from_float(threshold),
        ),
        activation: Some(activation),
        signal: Signal::Named {
            suggested: super::prometheus::suggest_signal(nrql.value().unwrap_or("")),
        },
        delay: DelayClass::CloudMetrics {
            granularity_s: 60.0,
            lag_s: 60.0,
            window_s: 60.0,
        },
        kind: ScalerKind::NewRelic(NewRelic {
            no_data_error,
            activation,
        }),
    })
}
