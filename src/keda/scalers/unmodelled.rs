//! Triggers scalesim does not reproduce: core KEDA scalers outside the modelled set, and
//! unknown (external/add-on) types such as `kedify-otel`. The simulation binds them to a named
//! signal (`metrics:` in the scenario, by trigger name, metric name, type or index), whose value
//! is then the metric; the trigger is active when that value is above its activation
//! threshold (`value > activation`, as every KEDA scaler decides).
//!
//! Their External metric `s<i>-<type>` still needs the target KEDA would put in the HPA. It is
//! read from the trigger's metadata: for core scalers from the key the upstream scaler reads
//! ([`CORE_FIELDS`], from each `pkg/scalers/<name>_scaler.go` at main @ 8b4f083 — e.g.
//! postgresql `targetQueryValue`, activemq `targetQueueSize` default 10), with that scaler's
//! default; for unknown types from the keys scalers commonly use ([`GENERIC_TARGET_KEYS`]:
//! `targetValue`, `threshold`, `targetQueryValue`, `value`, …). When the metadata gives none,
//! the scenario's binding can (`target:`, `activation_target:`, `metric_type:`), which
//! `scenario::keda_bindings` applies; without either a run cannot build the HPA and stops.

use super::{BuildContext, Parts, ScalerKind, external_target_type};
use crate::keda::catalog::{CatalogStatus, DelayClass, Signal, status_of};
use crate::keda::metric::{MetricSource, indexed_name, normalize, target_milli_from_float};
use crate::keda::params::{Params, Spec};

/// Where a core scaler that scalesim does not model reads its target and activation.
#[derive(Debug, Clone, Copy)]
pub(super) struct CoreFields {
    pub(crate) trigger_type: &'static str,
    /// Metadata keys of the target, in the order the scaler prefers them (empty: the scaler's
    /// target is a constant, `default`).
    pub(crate) target: &'static [&'static str],
    /// The upstream default of the target (None: no default).
    pub(crate) default: Option<f64>,
    /// Metadata key of the activation threshold ("" when the scaler has none).
    pub(crate) activation: &'static str,
    pub(crate) activation_default: f64,
}

const fn f(
    trigger_type: &'static str,
    target: &'static [&'static str],
    default: Option<f64>,
    activation: &'static str,
    activation_default: f64,
) -> CoreFields {
    CoreFields {
        trigger_type,
        target,
        default,
        activation,
        activation_default,
    }
}

/// Target and activation keys of the core scalers scalesim does not model, from their typed
/// configs upstream (`keda:"name=…, default=…"` tags in `pkg/scalers/<name>_scaler.go`).
/// Defaults of 0 are listed as no default: a zero target cannot drive an HPA.
#[rustfmt::skip]
pub(super) const CORE_FIELDS: &[CoreFields] = &[
    f("activemq", &["targetQueueSize"], Some(10.0), "activationTargetQueueSize", 0.0),
    f("arangodb", &["queryValue"], None, "activationQueryValue", 0.0),
    f("artemis-queue", &["queueLength"], Some(10.0), "activationQueueLength", 10.0),
    f("aws-dynamodb", &["targetValue"], None, "activationTargetValue", 0.0),
    f("aws-dynamodb-streams", &["shardCount"], Some(2.0), "activationShardCount", 0.0),
    f("aws-kinesis-stream", &["shardCount"], Some(2.0), "activationShardCount", 0.0),
    f("azure-app-insights", &["targetValue"], None, "activationTargetValue", 0.0),
    f("azure-blob", &["blobCount"], Some(5.0), "activationBlobCount", 0.0),
    f("azure-data-explorer", &["threshold"], None, "activationThreshold", 0.0),
    f("azure-eventhub", &["unprocessedEventThreshold"], Some(64.0), "activationUnprocessedEventThreshold", 0.0),
    f("azure-log-analytics", &["threshold"], None, "activationThreshold", 0.0),
    f("azure-monitor", &["targetValue"], None, "activationTargetValue", 0.0),
    f("azure-pipelines", &["targetPipelinesQueueLength"], Some(1.0), "activationTargetPipelinesQueueLength", 0.0),
    f("beanstalkd", &["value"], None, "activationValue", 0.0),
    f("cassandra", &["targetQueryValue"], None, "activationTargetQueryValue", 0.0),
    f("clickhouse", &["targetQueryValue"], None, "activationTargetQueryValue", 0.0),
    f("couchdb", &["queryValue"], None, "activationQueryValue", 0.0),
    f("dynatrace", &["threshold"], None, "activationThreshold", 0.0),
    f("elastic-forecast", &["targetValue"], None, "activationTargetValue", 0.0),
    f("elasticsearch", &["targetValue"], None, "activationTargetValue", 0.0),
    f("etcd", &["value"], None, "activationValue", 0.0),
    f("forgejo-runner", &[], Some(1.0), "", 0.0),
    f("gcp-cloudtasks", &["value"], Some(100.0), "activationValue", 0.0),
    f("gcp-spanner", &["targetValue"], Some(5.0), "activationValue", 0.0),
    f("gcp-storage", &["targetObjectCount"], Some(100.0), "activationTargetObjectCount", 0.0),
    f("github-runner", &["targetWorkflowQueueLength"], Some(1.0), "", 0.0),
    f("graphite", &["threshold"], Some(100.0), "activationThreshold", 0.0),
    f("huawei-cloudeye", &["targetMetricValue"], None, "activationTargetMetricValue", 0.0),
    f("ibmmq", &["queueDepth"], Some(20.0), "activationQueueDepth", 0.0),
    f("influxdb", &["thresholdValue"], None, "activationThresholdValue", 0.0),
    f("kubernetes-resource", &["targetValue"], None, "activationTargetValue", 0.0),
    f("kubernetes-workload", &["value"], None, "activationValue", 0.0),
    f("liiklus", &["lagThreshold"], Some(10.0), "activationLagThreshold", 0.0),
    f("loki", &["threshold"], None, "activationThreshold", 0.0),
    f("mongodb", &["queryValue"], None, "activationQueryValue", 0.0),
    f("mssql", &["targetValue"], None, "activationTargetValue", 0.0),
    f("mysql", &["queryValue"], None, "activationQueryValue", 0.0),
    f("nats-jetstream", &["lagThreshold"], Some(10.0), "activationLagThreshold", 0.0),
    f("nsq", &["depthThreshold"], Some(10.0), "activationDepthThreshold", 0.0),
    f("opensearch", &["targetValue"], None, "activationTargetValue", 0.0),
    f("openstack-metric", &["threshold"], None, "activationThreshold", 0.0),
    f("openstack-swift", &["objectCount"], Some(2.0), "activationObjectCount", 0.0),
    f("postgresql", &["targetQueryValue"], None, "activationTargetQueryValue", 0.0),
    f("predictkube", &["threshold"], None, "activationThreshold", 0.0),
    f("pulsar", &["msgBacklogThreshold"], Some(10.0), "activationMsgBacklogThreshold", 0.0),
    f("redis-cluster-streams", &["lagCount", "pendingEntriesCount", "streamLength"], Some(5.0), "activationLagCount", 0.0),
    f("redis-sentinel-streams", &["lagCount", "pendingEntriesCount", "streamLength"], Some(5.0), "activationLagCount", 0.0),
    f("redis-streams", &["lagCount", "pendingEntriesCount", "streamLength"], Some(5.0), "activationLagCount", 0.0),
    f("selenium-grid", &[], Some(1.0), "activationThreshold", 0.0),
    f("solace-event-queue", &["messageCountTarget", "messageSpoolUsageTarget", "messageReceiveRateTarget"], None, "activationMessageCountTarget", 0.0),
    f("solarwinds", &["targetValue"], None, "activationValue", 0.0),
    f("solr", &["targetQueryValue"], None, "activationTargetQueryValue", 0.0),
    f("splunk", &["targetValue"], None, "activationValue", 0.0),
    f("splunk-observability", &["targetValue"], None, "activationTargetValue", 0.0),
    f("sumologic", &["threshold"], None, "activationThreshold", 0.0),
    f("temporal", &["targetQueueSize"], Some(5.0), "activationTargetQueueSize", 0.0),
];

/// Target keys tried, in order, for trigger types not in [`CORE_FIELDS`] (external and vendor
/// scalers, `external`, `external-push`); the activation key of each is `activation` + the key
/// with its first letter upper-cased (`targetValue` → `activationTargetValue`).
pub(super) const GENERIC_TARGET_KEYS: &[&str] = &[
    "targetValue",
    "threshold",
    "targetQueryValue",
    "value",
    "queryValue",
    "targetMetricValue",
    "thresholdValue",
    "queueLength",
    "lagThreshold",
    "messageCount",
    "listLength",
    "targetQueueSize",
    "queueDepth",
];

/// The core fields of a trigger type, if it is one scalesim knows the keys of.
pub(super) fn core_fields(trigger_type: &str) -> Option<&'static CoreFields> {
    CORE_FIELDS.iter().find(|c| c.trigger_type == trigger_type)
}

fn activation_key_for(target_key: &str) -> String {
    let mut c = target_key.chars();
    match c.next() {
        Some(first) => format!("activation{}{}", first.to_ascii_uppercase(), c.as_str()),
        None => String::new(),
    }
}

/// A value of an add-on scaler's metadata: scalesim does not know how it parses, so a value
/// that is not a number is a warning and is treated as absent.
fn lenient(p: &mut Params, key: &str) -> Option<f64> {
    let raw = p.raw(key)?;
    match crate::keda::go::parse_float(&raw) {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            p.warn(
                Some(key),
                format!("`{key}: {raw}` is not a number; scalesim ignores it"),
            );
            None
        }
    }
}

/// (target, activation) from the metadata of a trigger scalesim does not model.
fn read_fields(p: &mut Params, ctx: &BuildContext) -> (Option<f64>, Option<f64>) {
    if let Some(c) = core_fields(ctx.trigger_type) {
        let mut target = None;
        for key in c.target {
            if let Some(v) = p.float(Spec::meta(&[*key]).optional()) {
                target = Some(v);
                break;
            }
        }
        let activation = if c.activation.is_empty() {
            c.activation_default
        } else {
            p.float(Spec::meta(&[c.activation]).optional())
                .unwrap_or(c.activation_default)
        };
        if target.is_none() && c.default.is_none() && !ctx.as_metric_source {
            let keys = c
                .target
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            p.warn(
                None,
                format!(
                    "{keys} is not set and the upstream {} scaler has no default for it (KEDA will probably fail to build the scaler); to simulate it, set it or give `target:` in the scenario's binding",
                    ctx.trigger_type
                ),
            );
        }
        return (target.or(c.default), Some(activation));
    }
    for key in GENERIC_TARGET_KEYS {
        if let Some(v) = lenient(p, key) {
            let activation = lenient(p, &activation_key_for(key));
            return (Some(v), activation);
        }
    }
    (None, None)
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx)?;
    let (target, activation) = read_fields(p, ctx);
    if status_of(ctx.trigger_type) == CatalogStatus::Unknown
        && target.is_none()
        && !ctx.as_metric_source
    {
        p.warn(
            None,
            format!(
                "no target found in the metadata (looked for {}); to simulate the trigger, give `target:` in the scenario's binding",
                GENERIC_TARGET_KEYS
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    Some(Parts {
        metric: super::MetricSpec {
            name: indexed_name(ctx.trigger_index, &normalize(ctx.trigger_type)),
            source: MetricSource::External,
            target_type,
            target_milli: target.map(target_milli_from_float).filter(|m| *m > 0),
            average_utilization: None,
            resource: None,
            container: None,
        },
        activation,
        signal: Signal::Named {
            suggested: ctx.trigger_type.to_string(),
        },
        delay: DelayClass::Direct,
        kind: ScalerKind::Unmodelled,
    })
}
