//! `prometheus` (upstream pkg/scalers/prometheus_scaler.go): an instant query whose result must
//! hold 0 or 1 series. Empty result or empty value → 0 with `ignoreNullValues` (default true),
//! else an error; more than one series → error; ±Inf/NaN → 0 with `ignoreNullValues`, else an
//! error; a JSON `null` sample leaves the value at -1; HTTP status outside 2xx → error. Target
//! `threshold` (float); active ⇔ value > `activationThreshold`. Metric `s<i>-prometheus`
//! (`metricName` is ignored in v2).

use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, target_milli_from_float,
};
use crate::keda::params::{META_AUTH, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct Prometheus {
    pub(crate) query: String,
    pub(crate) activation: f64,
    pub(crate) ignore_null_values: bool,
}

impl Prometheus {
    /// The value of a query result (`ExecutePromQuery`).
    fn value_of(&self, obs: &Observation) -> Result<f64, FetchError> {
        let null_or = |what: &str| {
            if self.ignore_null_values {
                Ok(0.0)
            } else {
                Err(FetchError::new(format!(
                    "prometheus metrics 'prometheus' target may be lost, {what}"
                )))
            }
        };
        let v = match obs {
            Observation::NoData => return null_or("the result is empty"),
            Observation::Value { value } => *value,
            Observation::Series { values } => match values.len() {
                0 => return null_or("the result is empty"),
                1 => values[0],
                _ => {
                    return Err(FetchError::new(format!(
                        "prometheus query {} returned multiple elements",
                        self.query
                    )));
                }
            },
            Observation::Http(r) => return self.value_of_response(r.status, &r.body),
            other => return Err(mismatch("prometheus", other)),
        };
        self.check_finite(v)
    }

    fn check_finite(&self, v: f64) -> Result<f64, FetchError> {
        if v.is_nan() || v.is_infinite() {
            if self.ignore_null_values {
                return Ok(0.0);
            }
            return Err(FetchError::new(format!("prometheus query returns {v}")));
        }
        Ok(v)
    }

    fn value_of_response(&self, status: u16, body: &str) -> Result<f64, FetchError> {
        if !(200..=299).contains(&status) {
            return Err(FetchError::new(format!(
                "prometheus query api returned error. status: {status}"
            )));
        }
        let doc: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| FetchError::new(format!("invalid prometheus response: {e}")))?;
        let result = match doc.get("data").and_then(|d| d.get("result")) {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(FetchError::new(
                    "invalid prometheus response: data.result is not an array",
                ));
            }
        };
        if result.is_empty() {
            return if self.ignore_null_values {
                Ok(0.0)
            } else {
                Err(FetchError::new(
                    "prometheus metrics 'prometheus' target may be lost, the result is empty",
                ))
            };
        }
        if result.len() > 1 {
            return Err(FetchError::new(format!(
                "prometheus query {} returned multiple elements",
                self.query
            )));
        }
        let value = match result[0].get("value") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(FetchError::new(
                    "invalid prometheus response: value is not an array",
                ));
            }
        };
        if value.is_empty() {
            return if self.ignore_null_values {
                Ok(0.0)
            } else {
                Err(FetchError::new(
                    "prometheus metrics 'prometheus' target may be lost, the value list is empty",
                ))
            };
        }
        if value.len() < 2 {
            return Err(FetchError::new(format!(
                "prometheus query {} didn't return enough values",
                self.query
            )));
        }
        let v = match &value[1] {
            serde_json::Value::Null => -1.0,
            serde_json::Value::String(s) => {
                crate::keda::go::parse_float(s).map_err(FetchError::new)?
            }
            other => {
                return Err(FetchError::new(format!(
                    "prometheus sample value {other} is not a string"
                )));
            }
        };
        self.check_finite(v)
    }

    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let v = self.value_of(obs)?;
        Ok(Reading {
            value: v,
            active: v > self.activation,
        })
    }
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    p.string(Spec::meta(&["serverAddress"]));
    let query = p.string(Spec::meta(&["query"]));
    p.string(Spec::meta(&["queryParameters"]).optional());
    let threshold = p.float(Spec::meta(&["threshold"]));
    let activation = p
        .float(Spec::meta(&["activationThreshold"]).optional())
        .unwrap_or(0.0);
    p.string(Spec::meta(&["namespace"]).optional());
    p.string(Spec::meta(&["customHeaders"]).optional());
    let ignore_null = p.boolean(Spec::meta(&["ignoreNullValues"]).default("true"));
    p.boolean(Spec::meta(&["unsafeSsl"]).optional());
    p.string(Spec::new(&["awsRegion"], META_AUTH).optional());
    p.duration(Spec::meta(&["timeout"]).optional());
    p.string(Spec::meta(&["identityOwner"]).optional());
    p.mark_used(&["authModes"]);
    if !p.errors.is_empty() {
        return None;
    }
    let query = query.value().unwrap_or("").to_string();
    let (target_type, threshold, ignore_null) = (target_type?, threshold?, ignore_null?);
    Some(Parts {
        metric: external(
            indexed_name(ctx.trigger_index, "prometheus"),
            target_type,
            target_milli_from_float(threshold),
        ),
        activation: Some(activation),
        signal: Signal::Named {
            suggested: suggest_signal(&query),
        },
        delay: DelayClass::PrometheusScrape,
        kind: ScalerKind::Prometheus(Prometheus {
            query,
            activation,
            ignore_null_values: ignore_null,
        }),
    })
}

/// A guess at the simulated signal a PromQL query measures, from its metric names.
pub(crate) fn suggest_signal(query: &str) -> String {
    let q = query.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| q.contains(w));
    if has(&[
        "latency",
        "duration",
        "_seconds_bucket",
        "histogram_quantile",
    ]) {
        "latency_p95".into()
    } else if has(&["cpu"]) {
        "cpu".into()
    } else if has(&["in_flight", "inflight", "concurrent", "active_requests"]) {
        "in_flight".into()
    } else if has(&["queue", "backlog", "lag", "pending", "waiting"]) {
        "backlog".into()
    } else if has(&["request", "http_", "rate(", "irate("]) {
        "request_rate".into()
    } else {
        "value".into()
    }
}
