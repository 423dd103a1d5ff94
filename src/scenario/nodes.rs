//! Resolving `cluster.nodes` / `cluster.node_pools` and `cluster.node_autoscaler` into
//! [`crate::settings::nodes`], with the upstream defaults documented there.

use crate::settings::dist::Dist;
pub(crate) use crate::settings::nodes::*;
use crate::units::Seconds;

/// Resolve the node autoscaler: `(field, message)` on a setting that does not belong to it or
/// a bad value.
pub(crate) fn resolve_autoscaler(
    s: Option<&NodeAutoscalerSpec>,
) -> Result<NodeAutoscaler, (&'static str, String)> {
    let Some(s) = s else {
        return Ok(NodeAutoscaler::None);
    };
    let ca_fields = [
        ("scan_interval", s.scan_interval.is_some()),
        (
            "scale_down_utilization_threshold",
            s.scale_down_utilization_threshold.is_some(),
        ),
        (
            "scale_down_unneeded_time",
            s.scale_down_unneeded_time.is_some(),
        ),
        (
            "scale_down_delay_after_add",
            s.scale_down_delay_after_add.is_some(),
        ),
        ("scale_down_enabled", s.scale_down_enabled.is_some()),
    ];
    let k_fields = [
        ("batch_idle_duration", s.batch_idle_duration.is_some()),
        ("batch_max_duration", s.batch_max_duration.is_some()),
        ("consolidation_policy", s.consolidation_policy.is_some()),
        ("consolidate_after", s.consolidate_after.is_some()),
        ("disruption_budget", s.disruption_budget.is_some()),
    ];
    let foreign = |fields: &[(&'static str, bool)], kind: &str| {
        fields
            .iter()
            .find(|(_, set)| *set)
            .map(|(f, _)| (*f, format!("is not a {kind} setting")))
    };
    let pos =
        |f: &'static str, v: Option<Seconds>, d: f64| -> Result<f64, (&'static str, String)> {
            let v = v.map_or(d, |s| s.0);
            if v > 0.0 {
                Ok(v)
            } else {
                Err((f, "must be above zero".into()))
            }
        };
    match s.kind {
        NodeAutoscalerKind::None => {
            if let Some(e) = foreign(&ca_fields, "`kind: none`") {
                return Err(e);
            }
            if let Some(e) = foreign(&k_fields, "`kind: none`") {
                return Err(e);
            }
            Ok(NodeAutoscaler::None)
        }
        NodeAutoscalerKind::ClusterAutoscaler => {
            if let Some(e) = foreign(&k_fields, "cluster-autoscaler") {
                return Err(e);
            }
            let threshold = s.scale_down_utilization_threshold.unwrap_or(0.5);
            if !(0.0..=1.0).contains(&threshold) {
                return Err((
                    "scale_down_utilization_threshold",
                    format!("{threshold} is not a fraction between 0 and 1"),
                ));
            }
            Ok(NodeAutoscaler::ClusterAutoscaler(ClusterAutoscaler {
                scan_interval: pos("scan_interval", s.scan_interval, 10.0)?,
                utilization_threshold: threshold,
                unneeded_time: s.scale_down_unneeded_time.map_or(600.0, |d| d.0.max(0.0)),
                delay_after_add: s.scale_down_delay_after_add.map_or(600.0, |d| d.0.max(0.0)),
                scale_down_enabled: s.scale_down_enabled.unwrap_or(true),
                max_empty_bulk_delete: 10,
            }))
        }
        NodeAutoscalerKind::Karpenter => {
            if let Some(e) = foreign(&ca_fields, "karpenter") {
                return Err(e);
            }
            let budget = s.disruption_budget.unwrap_or(0.1);
            if !(0.0..=1.0).contains(&budget) {
                return Err((
                    "disruption_budget",
                    format!("{budget} is not a fraction between 0 and 1 (0.1 = nodes: 10%)"),
                ));
            }
            let batch_idle = pos("batch_idle_duration", s.batch_idle_duration, 1.0)?;
            let batch_max = pos("batch_max_duration", s.batch_max_duration, 10.0)?;
            Ok(NodeAutoscaler::Karpenter(Karpenter {
                batch_idle,
                batch_max: batch_max.max(batch_idle),
                consolidation: s
                    .consolidation_policy
                    .unwrap_or(ConsolidationPolicy::WhenEmptyOrUnderutilized),
                consolidate_after: s.consolidate_after.map_or(0.0, |d| d.0.max(0.0)),
                budget,
                poll: 10.0,
                validation: 15.0,
            }))
        }
    }
}

/// Resolve one pool. `default_initial` applies when the spec gives none; `index` names
/// pools of a list. `(field, message)` on a bad value.
pub(crate) fn resolve_pool(
    s: &NodePoolSpec,
    index: Option<usize>,
    autoscaler: &NodeAutoscaler,
) -> Result<NodePool, (&'static str, String)> {
    let node_type = s.node_type.clone().unwrap_or_else(|| "node".into());
    let name = s.name.clone().unwrap_or_else(|| match index {
        Some(i) => format!("pool-{i}"),
        None => s.node_type.clone().unwrap_or_else(|| "default".into()),
    });
    let cpu = s.cpu.as_f64();
    let memory = s.memory.as_f64();
    if !(cpu > 0.0) {
        return Err(("cpu", "a node needs allocatable CPU above zero".into()));
    }
    if !(memory > 0.0) {
        return Err((
            "memory",
            "a node needs allocatable memory above zero".into(),
        ));
    }
    let ds = s.daemonset.clone().unwrap_or_default();
    let ds_cpu = ds.cpu.map_or(0.0, |q| q.as_f64());
    let ds_mem = ds.memory.map_or(0.0, |q| q.as_f64());
    if ds_cpu < 0.0 || ds_cpu >= cpu {
        return Err((
            "daemonset.cpu",
            format!("{ds_cpu} cores leaves nothing of the node's {cpu}"),
        ));
    }
    if ds_mem < 0.0 || ds_mem >= memory {
        return Err((
            "daemonset.memory",
            "leaves nothing of the node's allocatable memory".into(),
        ));
    }
    let price = s.price_per_hour.unwrap_or(0.0);
    if !(price >= 0.0 && price.is_finite()) {
        return Err(("price_per_hour", format!("{price} must be zero or more")));
    }
    let max_pods = s.max_pods.unwrap_or(110);
    if max_pods == 0 {
        return Err(("max_pods", "a node holds at least one pod".into()));
    }
    let min = s.min.unwrap_or(0);
    let max = s.max.unwrap_or(u32::MAX);
    if max < min {
        return Err(("max", format!("max {max} is below min {min}")));
    }
    if max != u32::MAX && i64::from(max) > crate::limits::MAX_NODES {
        return Err((
            "max",
            format!(
                "{max} nodes is beyond what scalesim simulates ({}; see docs/limits.md)",
                crate::limits::MAX_NODES
            ),
        ));
    }
    let provisioning = s.provisioning.unwrap_or(match autoscaler {
        NodeAutoscaler::Karpenter(_) => Dist::Uniform {
            min: 30.0,
            max: 60.0,
        },
        _ => Dist::Uniform {
            min: 60.0,
            max: 120.0,
        },
    });
    Ok(NodePool {
        name,
        node_type,
        cpu,
        memory,
        max_pods,
        daemonset_cpu: ds_cpu,
        daemonset_memory: ds_mem,
        price_per_hour: price,
        initial: s.initial.unwrap_or(0),
        min,
        max,
        provisioning,
    })
}
