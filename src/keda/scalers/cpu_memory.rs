//! `cpu` and `memory` triggers: no KEDA-side metric at all. They become an HPA `Resource`
//! (or `ContainerResource` with `containerName`) metric read from metrics-server, are always
//! "active" in KEDA's loop but never count towards activation unless every trigger is
//! cpu/memory. `metricType` must be given at trigger level (`Utilization` or `AverageValue`);
//! the old `metadata.type` key fails since v2.18.

use super::{BuildContext, MetricSpec, Parts, ScalerKind};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{MetricSource, TargetType};
use crate::keda::params::{Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct CpuMemory {
    pub(crate) resource: String,
    pub(crate) container: Option<String>,
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let resource = ctx.trigger_type.to_string();
    p.get(
        Spec::meta(&["type"])
            .optional()
            .one_of(&["Utilization", "AverageValue"])
            .deprecated("The 'type' setting is DEPRECATED and is removed in v2.18 - Use 'metricType' instead."),
    );
    let value = p.string(Spec::meta(&["value"]));
    let container = p
        .string(Spec::meta(&["containerName"]).optional())
        .value()
        .map(str::to_string);
    if !p.errors.is_empty() {
        return None;
    }
    let value = value.value()?.to_string();
    let metric_type = ctx.metric_type.unwrap_or("");
    let (target_type, target_milli, average_utilization) = match metric_type {
        "AverageValue" => match crate::units::parse_quantity(&value) {
            Ok(q) => (TargetType::AverageValue, Some(q.milli), None),
            Err(e) => {
                p.error(
                    Some("value"),
                    format!("invalid quantity for AverageValue: {e}"),
                );
                return None;
            }
        },
        "Utilization" => match crate::keda::go::parse_int(&value, 32) {
            Ok(n) => (TargetType::Utilization, None, Some(n as i32)),
            Err(e) => {
                p.error(Some("value"), e);
                return None;
            }
        },
        other => {
            p.error(
                None,
                format!("unknown metric type: {other}, allowed values are 'Utilization' or 'AverageValue' (set the trigger-level `metricType`)"),
            );
            return None;
        }
    };
    let source = if container.is_some() {
        MetricSource::ContainerResource
    } else {
        MetricSource::Resource
    };
    let spec = MetricSpec {
        name: resource.clone(),
        source,
        target_type,
        target_milli,
        average_utilization,
        resource: Some(resource.clone()),
        container: container.clone(),
    };
    let signal = Signal::Resource {
        resource: resource.clone(),
        container: container.clone(),
    };
    Some(Parts {
        metric: spec,
        activation: None,
        signal,
        delay: DelayClass::MetricsServer,
        kind: ScalerKind::CpuMemory(CpuMemory {
            resource,
            container,
        }),
    })
}
