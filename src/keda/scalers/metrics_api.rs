//! `metrics-api` (upstream pkg/scalers/metrics_api_scaler.go): GET `url`, read the number at
//! `valueLocation` in the body (`format` json/yaml/prometheus/xml, see [`super::value_extract`]).
//! A non-200 response is an error. With `aggregateFromKubeServiceEndpoints` every ready endpoint
//! is queried and results combined by `aggregationType` (average over successful ones, sum, max,
//! min); all failing is an error. `targetValue` is required unless the ScaledObject uses
//! scalingModifiers. Metric `s<i>-metric-api-<valueLocation>`.
//!
//! Upstream quirk reproduced: `format: xml` decodes into a Go map, which `encoding/xml` does not
//! support, so every fetch fails.

use super::observation::{HttpResponse, Observation};
use super::value_extract::value_from_body;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_float,
};
use crate::keda::params::{Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct MetricsApi {
    pub(crate) value_location: String,
    pub(crate) format: String,
    pub(crate) activation: f64,
    pub(crate) aggregate: bool,
    pub(crate) aggregation: String,
}

impl MetricsApi {
    pub(super) fn warning(&self) -> Option<String> {
        if self.format == "xml" {
            return Some(
                "format `xml` always fails in KEDA (Go's encoding/xml cannot decode into a map): every fetch of this trigger errors".into(),
            );
        }
        let l = &self.value_location;
        if self.format == "json" && (l.starts_with('@') || l.contains("#(") || l.contains('|')) {
            return Some(format!(
                "valueLocation {l:?} uses GJSON queries/modifiers, which scalesim does not evaluate: fetches of this trigger fail in the simulation"
            ));
        }
        None
    }

    fn one(&self, r: &HttpResponse) -> Result<f64, String> {
        if r.status != 200 {
            return Err(format!("api returned {}", r.status));
        }
        value_from_body(&r.body, &self.value_location, &self.format)
    }

    fn value(&self, obs: &Observation) -> Result<f64, String> {
        match obs {
            Observation::Value { value } => Ok(*value),
            Observation::Http(r) => self.one(r),
            Observation::HttpEndpoints { responses } => {
                if responses.is_empty() {
                    return Err("no endpoints URLs were given for the service name".into());
                }
                let values: Vec<Result<f64, String>> = responses
                    .iter()
                    .map(|r| {
                        r.as_ref()
                            .ok_or_else(|| "request failed".to_string())
                            .and_then(|r| self.one(r))
                    })
                    .collect();
                let ok: Vec<f64> = values
                    .iter()
                    .filter_map(|v| v.as_ref().ok().copied())
                    .collect();
                if ok.is_empty() {
                    return Err(format!(
                        "could not get any metric successfully from the {} provided endpoints",
                        responses.len()
                    ));
                }
                Ok(match self.aggregation.as_str() {
                    "min" => ok.iter().copied().fold(f64::INFINITY, f64::min),
                    "max" => ok.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    "sum" => ok.iter().sum(),
                    _ => ok.iter().sum::<f64>() / ok.len() as f64,
                })
            }
            other => Err(mismatch("metrics-api", other).message),
        }
    }

    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let v = self
            .value(obs)
            .map_err(|e| FetchError::new(format!("error requesting metrics endpoint: {e}")))?;
        Ok(Reading {
            value: v,
            active: v > self.activation,
        })
    }
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let target = p
        .float(Spec::meta(&["targetValue"]).optional())
        .unwrap_or(0.0);
    let activation = p.float(Spec::meta(&["activationTargetValue"]).default("0"));
    p.string(Spec::meta(&["url"]));
    let format = p.string(Spec::meta(&["format"]).default("json").one_of(&[
        "prometheus",
        "json",
        "xml",
        "yaml",
    ]));
    let location = p.string(Spec::meta(&["valueLocation"]));
    p.boolean(Spec::meta(&["unsafeSsl"]).default("false"));
    let aggregate = p.boolean(Spec::meta(&["aggregateFromKubeServiceEndpoints"]).default("false"));
    let aggregation = p.string(
        Spec::meta(&["aggregationType"])
            .default("average")
            .one_of(&["average", "sum", "max", "min"]),
    );
    p.duration(Spec::meta(&["timeout"]).optional());
    p.mark_used(&["authMode", "method", "keyParamName"]);
    if target == 0.0 && !ctx.as_metric_source {
        p.error(Some("targetValue"), "no targetValue given in metadata");
    }
    if !p.errors.is_empty() {
        return None;
    }
    let location = location.value()?.to_string();
    let (target_type, activation, aggregate) = (target_type?, activation?, aggregate?);
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("metric-api-{location}")),
            ),
            target_type,
            target_milli_from_float(target),
        ),
        activation: Some(activation),
        signal: Signal::Named {
            suggested: super::prometheus::suggest_signal(&location),
        },
        delay: DelayClass::Direct,
        kind: ScalerKind::MetricsApi(MetricsApi {
            value_location: location,
            format: format.value().unwrap_or("json").to_string(),
            activation,
            aggregate,
            aggregation: aggregation.value().unwrap_or("average").to_string(),
        }),
    })
}
