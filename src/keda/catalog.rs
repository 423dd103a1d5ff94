//! The catalogue of KEDA trigger types: every core scaler KEDA builds (its `buildScaler` switch,
//! main @ 8b4f083), which of them scalesim models numerically, and the vocabulary the simulation
//! uses to wire a scaler to the world: the [`Signal`] it reads and the [`DelayClass`] of its
//! backend.

use serde::{Deserialize, Serialize};

/// Every trigger `type` upstream KEDA can build (pkg/scaling/scalers_builder.go).
pub(crate) const CORE_SCALERS: &[&str] = &[
    "activemq",
    "apache-kafka",
    "arangodb",
    "artemis-queue",
    "aws-cloudwatch",
    "aws-dynamodb",
    "aws-dynamodb-streams",
    "aws-kinesis-stream",
    "aws-sqs-queue",
    "azure-app-insights",
    "azure-blob",
    "azure-data-explorer",
    "azure-eventhub",
    "azure-log-analytics",
    "azure-monitor",
    "azure-pipelines",
    "azure-queue",
    "azure-servicebus",
    "beanstalkd",
    "cassandra",
    "clickhouse",
    "couchdb",
    "cpu",
    "cron",
    "datadog",
    "dynatrace",
    "elastic-forecast",
    "elasticsearch",
    "etcd",
    "external",
    "external-mock",
    "external-push",
    "forgejo-runner",
    "gcp-cloudtasks",
    "gcp-pubsub",
    "gcp-spanner",
    "gcp-stackdriver",
    "gcp-storage",
    "github-runner",
    "graphite",
    "huawei-cloudeye",
    "ibmmq",
    "influxdb",
    "kafka",
    "kubernetes-resource",
    "kubernetes-workload",
    "liiklus",
    "loki",
    "memory",
    "metrics-api",
    "mongodb",
    "mssql",
    "mysql",
    "nats-jetstream",
    "new-relic",
    "nsq",
    "opensearch",
    "openstack-metric",
    "openstack-swift",
    "postgresql",
    "predictkube",
    "prometheus",
    "pulsar",
    "rabbitmq",
    "redis",
    "redis-cluster",
    "redis-cluster-streams",
    "redis-sentinel",
    "redis-sentinel-streams",
    "redis-streams",
    "selenium-grid",
    "solace-direct-messaging",
    "solace-event-queue",
    "solarwinds",
    "solr",
    "splunk",
    "splunk-observability",
    "sumologic",
    "temporal",
];

/// Trigger types whose metadata, metric and activity scalesim reproduces exactly.
pub(crate) const MODELLED_SCALERS: &[&str] = &[
    "apache-kafka",
    "aws-cloudwatch",
    "aws-sqs-queue",
    "azure-queue",
    "azure-servicebus",
    "cpu",
    "cron",
    "datadog",
    "gcp-pubsub",
    "gcp-stackdriver",
    "kafka",
    "memory",
    "metrics-api",
    "new-relic",
    "prometheus",
    "rabbitmq",
    "redis",
    "redis-cluster",
    "redis-sentinel",
];

/// How scalesim knows a trigger type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CatalogStatus {
    /// A core KEDA scaler whose behaviour scalesim reproduces.
    Modelled,
    /// A core KEDA scaler scalesim does not reproduce numerically; it can be bound to a named
    /// signal (the simulation then treats its value as the metric).
    CoreNotModelled,
    /// Not a core KEDA scaler (an external/add-on scaler or a typo): upstream KEDA would fail to
    /// build it ("no scaler found for type"); it can be bound to a named signal.
    Unknown,
}

pub(crate) fn status_of(trigger_type: &str) -> CatalogStatus {
    if MODELLED_SCALERS.contains(&trigger_type) {
        CatalogStatus::Modelled
    } else if CORE_SCALERS.contains(&trigger_type) {
        CatalogStatus::CoreNotModelled
    } else {
        CatalogStatus::Unknown
    }
}

/// The closest core scaler name to a misspelt type (edit distance ≤ 2), for error hints. Names
/// whose lengths differ by more than 2 are more than 2 edits apart and are not compared, so a
/// hint costs time linear in the type's length however long it is.
pub(crate) fn suggest(trigger_type: &str) -> Option<&'static str> {
    let len = trigger_type.chars().count();
    CORE_SCALERS
        .iter()
        .filter(|c| c.chars().count().abs_diff(len) <= 2)
        .map(|c| (edit_distance(c, trigger_type), *c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// What a scaler reads from the simulated world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Signal {
    /// A queue's backlog; which parts count (visible/ready, in flight/unacked, delayed).
    QueueBacklog {
        visible: bool,
        in_flight: bool,
        delayed: bool,
    },
    /// Consumer-group lag over a topic's partitions.
    ConsumerLag,
    /// A named signal of the simulation (`request_rate`, `latency_p95`, `in_flight`, `backlog`,
    /// `cpu`, or a trace column); `suggested` is scalesim's guess from the trigger's query.
    Named { suggested: String },
    /// The wall clock (cron).
    Clock,
    /// Pod resource usage read by the HPA from metrics-server.
    Resource {
        resource: String,
        container: Option<String>,
    },
}

/// How fresh and how coarse the backend's view of the signal is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum DelayClass {
    /// Read directly from the system (queue API, broker offsets, HTTP endpoint): near real time.
    Direct,
    /// An approximate near-real-time API (e.g. SQS attribute counts).
    NearRealTimeApi,
    /// A Prometheus query: scrape interval and `rate()` window apply.
    PrometheusScrape,
    /// A cloud metrics service: datapoints of `granularity_s`, available `lag_s` late, averaged
    /// over `window_s`.
    CloudMetrics {
        granularity_s: f64,
        lag_s: f64,
        window_s: f64,
    },
    /// metrics-server resource metrics (HPA side).
    MetricsServer,
    /// No backend: computed from the clock.
    Clock,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_classifies() {
        assert_eq!(status_of("kafka"), CatalogStatus::Modelled);
        assert_eq!(status_of("mysql"), CatalogStatus::CoreNotModelled);
        assert_eq!(status_of("kedify-otel"), CatalogStatus::Unknown);
        assert!(MODELLED_SCALERS.iter().all(|m| CORE_SCALERS.contains(m)));
        assert_eq!(CORE_SCALERS.len(), 79);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("prometeus"), Some("prometheus"));
        assert_eq!(suggest("aws-sqs"), None);
        assert_eq!(suggest("rabitmq"), Some("rabbitmq"));
    }
}
