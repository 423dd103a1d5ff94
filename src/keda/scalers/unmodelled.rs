//! Triggers scalesim does not reproduce: core KEDA scalers outside the modelled set, and
//! unknown (external/add-on) types. They contribute an External metric `s<i>-<type>` whose
//! target scalesim cannot know; the simulation may bind them to a named signal (the trigger's
//! `name`, or its type), whose value is then the metric and `value > 0` its activity.

use super::{BuildContext, Parts, ScalerKind, external_target_type};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{MetricSource, indexed_name, normalize};
use crate::keda::params::Params;

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx)?;
    Some(Parts {
        metric: super::MetricSpec {
            name: indexed_name(ctx.trigger_index, &normalize(ctx.trigger_type)),
            source: MetricSource::External,
            target_type,
            target_milli: None,
            average_utilization: None,
            resource: None,
            container: None,
        },
        activation: None,
        signal: Signal::Named {
            suggested: ctx.trigger_type.to_string(),
        },
        delay: DelayClass::Direct,
        kind: ScalerKind::Unmodelled,
    })
}
