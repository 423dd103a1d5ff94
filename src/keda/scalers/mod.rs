//! KEDA scalers as pure functions. [`build`] reads a trigger's metadata exactly as the upstream
//! scaler constructor does (required/optional/default parameters, enums, removed keys,
//! cross-field rules) and yields a [`Scaler`]: its HPA metric ([`MetricSpec`]: name, source,
//! target type and value), its activation threshold, the simulated [`Signal`] it reads and the
//! [`DelayClass`] of its backend. [`Scaler::evaluate`] turns one backend [`Observation`] into
//! the scaler's answer `(value, active)` or an error, as `GetMetricsAndActivity` would.
//!
//! One file per scaler family; the upstream source each follows is named in its doc.
//!
//! The rules, in the project's words: docs/keda.md#new-scaler.

mod aws_auth;
mod aws_cloudwatch;
mod aws_sqs;
mod azure;
mod cpu_memory;
mod cron;
mod datadog;
mod gcp;
mod kafka;
mod metrics_api;
mod new_relic;
pub(crate) mod observation;
mod prometheus;
mod rabbitmq;
mod redis;
mod unmodelled;
pub(crate) mod value_extract;

pub use self::cron::cron_window;
pub use aws_cloudwatch::query_window;
pub use kafka::{KafkaLagInput, KafkaLagResult, find_factors, kafka_total_lag, next_factor};
pub use observation::{
    HttpResponse, KafkaPartition, Observation, RabbitQueue, RedisKey, SqsAttributes,
};
pub use rabbitmq::compose_queues;

use super::catalog::{self, CatalogStatus, DelayClass, Signal};
use super::metric::{FetchError, FetchResult, MetricSource, Reading, TargetType};
use super::params::{AuthKnowledge, EnvKnowledge, ParamIssue, Params};
use serde::Serialize;
use std::collections::BTreeMap;

/// The HPA metric a trigger contributes to the generated HPA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSpec {
    /// Full metric name (`s0-aws-sqs-orders`; `cpu`/`memory` for resource metrics).
    pub name: String,
    pub(crate) source: MetricSource,
    pub target_type: TargetType,
    /// AverageValue/Value target in milli-units (None for Utilization or an unknown target).
    pub target_milli: Option<i64>,
    /// Utilization target in percent.
    pub(crate) average_utilization: Option<i32>,
    /// `cpu`/`memory` for resource metrics.
    pub(crate) resource: Option<String>,
    /// Container of a ContainerResource metric.
    pub(crate) container: Option<String>,
}

/// Per-scaler memory that upstream keeps inside the scaler instance (lost whenever KEDA
/// rebuilds the scalers after an error).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScalerMemory {
    /// Kafka `excludePersistentLag`: committed offset seen at the previous fetch, per partition.
    pub(crate) kafka_previous_offsets: BTreeMap<(String, i32), i64>,
}

/// A built scaler: what it reports to the HPA and how it evaluates backend state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaler {
    pub(crate) trigger_type: String,
    pub metric: MetricSpec,
    /// Activation threshold (`value > threshold` ⇒ active); None for cpu/memory.
    pub activation_threshold: Option<f64>,
    pub(crate) signal: Signal,
    pub(crate) delay: DelayClass,
    #[serde(skip)]
    pub kind: ScalerKind,
}

/// Scaler-specific configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ScalerKind {
    CpuMemory(cpu_memory::CpuMemory),
    Cron(cron::CronScaler),
    Sqs(aws_sqs::Sqs),
    CloudWatch(aws_cloudwatch::CloudWatch),
    Prometheus(prometheus::Prometheus),
    Kafka(kafka::Kafka),
    RabbitMq(rabbitmq::RabbitMq),
    Redis(redis::Redis),
    MetricsApi(metrics_api::MetricsApi),
    ServiceBus(azure::ServiceBus),
    AzureQueue(azure::AzureQueue),
    PubSub(gcp::PubSub),
    Stackdriver(gcp::Stackdriver),
    Datadog(datadog::Datadog),
    NewRelic(new_relic::NewRelic),
    /// Not reproduced: evaluates a bound named signal (`Observation::Value`); active when the
    /// value is above the activation threshold read from the metadata or the binding (default 0).
    #[default]
    Unmodelled,
}

impl Scaler {
    /// What the scaler's metric counts, for chart axes: `lag` (Kafka), `messages` (queues),
    /// `desired replicas` (cron), `value` when it depends on a query.
    pub(crate) fn unit(&self) -> &'static str {
        match &self.kind {
            ScalerKind::Kafka(_) => "lag",
            ScalerKind::Cron(_) => "desired replicas",
            ScalerKind::RabbitMq(r) => r.unit(),
            ScalerKind::Sqs(_)
            | ScalerKind::Redis(_)
            | ScalerKind::AzureQueue(_)
            | ScalerKind::ServiceBus(_)
            | ScalerKind::PubSub(_) => "messages",
            _ => "value",
        }
    }

    /// One fetch: the scaler's answer for this backend state. `now` is the simulated clock in
    /// Unix seconds (cron reads it; CloudWatch/Datadog windows depend on it).
    pub fn evaluate(&self, obs: &Observation, now: f64, memory: &mut ScalerMemory) -> FetchResult {
        if let Observation::Unavailable { reason } = obs {
            return Err(FetchError::new(reason.clone()));
        }
        match &self.kind {
            ScalerKind::CpuMemory(_) => Ok(Reading {
                value: 0.0,
                active: true,
            }),
            ScalerKind::Cron(s) => s.evaluate(now),
            ScalerKind::Sqs(s) => s.evaluate(obs),
            ScalerKind::CloudWatch(s) => s.evaluate(obs),
            ScalerKind::Prometheus(s) => s.evaluate(obs),
            ScalerKind::Kafka(s) => s.evaluate(obs, memory),
            ScalerKind::RabbitMq(s) => s.evaluate(obs),
            ScalerKind::Redis(s) => s.evaluate(obs),
            ScalerKind::MetricsApi(s) => s.evaluate(obs),
            ScalerKind::ServiceBus(s) => s.evaluate(obs),
            ScalerKind::AzureQueue(s) => s.evaluate(obs),
            ScalerKind::PubSub(s) => s.evaluate(obs),
            ScalerKind::Stackdriver(s) => s.evaluate(obs),
            ScalerKind::Datadog(s) => s.evaluate(obs),
            ScalerKind::NewRelic(s) => s.evaluate(obs),
            ScalerKind::Unmodelled => match obs {
                Observation::Value { value } => Ok(Reading {
                    value: *value,
                    active: *value > self.activation_threshold.unwrap_or(0.0),
                }),
                other => Err(mismatch("a bound signal", other)),
            },
        }
    }
}

/// The error for an observation that does not fit the scaler (a wiring mistake in the caller).
pub(crate) fn mismatch(scaler: &str, obs: &Observation) -> FetchError {
    FetchError::new(format!(
        "observation of kind `{}` does not fit the {scaler} scaler",
        obs.kind()
    ))
}

/// Everything a scaler constructor gets besides the metadata (upstream `ScalerConfig`).
#[derive(Debug, Clone)]
pub struct BuildContext<'a> {
    pub trigger_index: usize,
    pub trigger_type: &'a str,
    /// Trigger-level `metricType` as written (None when absent).
    pub metric_type: Option<&'a str>,
    /// The ScaledObject uses scalingModifiers (`AsMetricSource`).
    pub as_metric_source: bool,
    pub auth: &'a AuthKnowledge,
    pub env: &'a EnvKnowledge,
}

/// The outcome of building one trigger's scaler.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub scaler: Option<Scaler>,
    /// Why KEDA would fail to build the scaler (each names the metadata key when known).
    pub errors: Vec<ParamIssue>,
    /// Parameters that come from sources scalesim cannot see.
    pub(crate) unchecked: Vec<ParamIssue>,
    /// Accepted but probably not what was meant.
    pub(crate) warnings: Vec<ParamIssue>,
    /// Metadata keys this scaler ignores.
    pub(crate) ignored_keys: Vec<String>,
}

/// The pieces each scaler family returns.
pub(crate) struct Parts {
    pub(crate) metric: MetricSpec,
    pub(crate) activation: Option<f64>,
    pub(crate) signal: Signal,
    pub(crate) delay: DelayClass,
    pub(crate) kind: ScalerKind,
}

/// `GetMetricTargetType`: unset ⇒ AverageValue; `Utilization` is rejected for external metrics.
pub(crate) fn external_target_type(p: &mut Params, ctx: &BuildContext) -> Option<TargetType> {
    match ctx.metric_type.unwrap_or("") {
        "" => Some(TargetType::AverageValue),
        "Utilization" => {
            p.error(
                None,
                "'Utilization' metric type is unsupported for external metrics, allowed values are 'Value' or 'AverageValue'",
            );
            None
        }
        "AverageValue" => Some(TargetType::AverageValue),
        "Value" => Some(TargetType::Value),
        other => {
            p.error(
                None,
                format!("metricType {other:?} is not an HPA target type (AverageValue or Value)"),
            );
            None
        }
    }
}

/// An External metric spec.
pub(crate) fn external(name: String, target_type: TargetType, target_milli: i64) -> MetricSpec {
    MetricSpec {
        name,
        source: MetricSource::External,
        target_type,
        target_milli: Some(target_milli),
        average_utilization: None,
        resource: None,
        container: None,
    }
}

/// Build the scaler of one trigger.
pub fn build(ctx: &BuildContext, metadata: &BTreeMap<String, String>) -> Built {
    let status = catalog::status_of(ctx.trigger_type);
    let mut p = Params::new(ctx.trigger_type, metadata, ctx.env, ctx.auth);
    let parts = match ctx.trigger_type {
        "cpu" | "memory" => cpu_memory::build(&mut p, ctx),
        "cron" => cron::build(&mut p, ctx),
        "aws-sqs-queue" => aws_sqs::build(&mut p, ctx),
        "aws-cloudwatch" => aws_cloudwatch::build(&mut p, ctx),
        "prometheus" => prometheus::build(&mut p, ctx),
        "kafka" => kafka::build(&mut p, ctx, false),
        "apache-kafka" => kafka::build(&mut p, ctx, true),
        "rabbitmq" => rabbitmq::build(&mut p, ctx),
        "redis" | "redis-cluster" | "redis-sentinel" => redis::build(&mut p, ctx),
        "metrics-api" => metrics_api::build(&mut p, ctx),
        "azure-servicebus" => azure::build_servicebus(&mut p, ctx),
        "azure-queue" => azure::build_queue(&mut p, ctx),
        "gcp-pubsub" => gcp::build_pubsub(&mut p, ctx),
        "gcp-stackdriver" => gcp::build_stackdriver(&mut p, ctx),
        "datadog" => datadog::build(&mut p, ctx),
        "new-relic" => new_relic::build(&mut p, ctx),
        _ => unmodelled::build(&mut p, ctx),
    };
    let mut warnings = std::mem::take(&mut p.warnings);
    if let ScalerKind::MetricsApi(m) = parts
        .as_ref()
        .map(|x| &x.kind)
        .unwrap_or(&ScalerKind::Unmodelled)
        && let Some(w) = m.warning()
    {
        warnings.push(ParamIssue {
            key: Some("format".into()),
            message: w,
        });
    }
    let ignored_keys = if status == CatalogStatus::Modelled {
        p.ignored_keys()
    } else {
        Vec::new()
    };
    let scaler = if p.errors.is_empty() {
        parts.map(|x| Scaler {
            trigger_type: ctx.trigger_type.to_string(),
            metric: x.metric,
            activation_threshold: x.activation,
            signal: x.signal,
            delay: x.delay,
            kind: x.kind,
        })
    } else {
        None
    };
    Built {
        scaler,
        errors: p.errors,
        unchecked: p.unchecked,
        warnings,
        ignored_keys,
    }
}

#[cfg(test)]
mod tests;
