//! What a scaler's backend shows at one instant ([`Observation`]): the input of a pure scaler
//! evaluation. The simulation builds one per fetch from its simulated world (queue counts,
//! partition offsets, a Prometheus query result, an HTTP body, …); tests and conformance vectors
//! build them directly. Every scaler also accepts the generic forms [`Observation::Value`]
//! (the backend answered with this number), [`Observation::NoData`] (it answered with nothing)
//! and [`Observation::Unavailable`] (the request failed).

use serde::{Deserialize, Serialize};

/// SQS `GetQueueAttributes` counts (absent attribute = `None`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SqsAttributes {
    pub visible: Option<i64>,
    pub not_visible: Option<i64>,
    pub delayed: Option<i64>,
}

/// One Kafka partition as the scaler sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KafkaPartition {
    pub topic: String,
    pub partition: i32,
    /// Latest (producer) offset.
    pub latest: i64,
    /// Committed offset of the consumer group: `Some(-1)` when nothing is committed yet,
    /// `None` when the broker returned no offset block for it (an error for `kafka`).
    pub committed: Option<i64>,
}

/// One RabbitMQ queue from the management API (HTTP) or a passive declare (AMQP, where only
/// `messages_ready` is known).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RabbitQueue {
    pub messages: i64,
    pub messages_ready: i64,
    pub publish_rate: f64,
    pub deliver_get_rate: f64,
}

/// The type and size of a Redis key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedisKey {
    Missing,
    List(i64),
    Set(i64),
    SortedSet(i64),
    Hash(i64),
    /// Another type (string, stream, …): an error for the list scaler.
    Other(String),
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// A backend state for one scaler fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observation {
    /// The backend answered with this single number (query result, queue length, …).
    Value {
        value: f64,
    },
    /// The backend answered with no data at all (empty result).
    NoData,
    /// The request failed (unreachable backend, timeout, auth error).
    Unavailable {
        reason: String,
    },
    /// A series of values, newest first (CloudWatch datapoints, several Prometheus series, …).
    Series {
        values: Vec<f64>,
    },
    Sqs(SqsAttributes),
    Kafka {
        partitions: Vec<KafkaPartition>,
    },
    Rabbit {
        queues: Vec<RabbitQueue>,
    },
    Redis {
        key: RedisKey,
    },
    /// One HTTP response (Prometheus query API, metrics-api endpoint).
    Http(HttpResponse),
    /// One response per endpoint (metrics-api `aggregateFromKubeServiceEndpoints`); a `None`
    /// entry is a failed request.
    HttpEndpoints {
        responses: Vec<Option<HttpResponse>>,
    },
    /// Message counts of several entities (Service Bus with `useRegex`).
    Counts {
        counts: Vec<i64>,
    },
    /// Azure Storage queue: the approximate total and the number of messages a 32-message
    /// peek returns (visible ones).
    AzureQueue {
        approximate: i64,
        peeked_visible: i64,
    },
    /// Datadog `QueryMetrics`: HTTP status and per-series point lists (`None` = null point).
    Datadog {
        status: u16,
        series: Vec<Vec<Option<f64>>>,
    },
    /// New Relic NRQL: the first result row's values in the order NRDB returned them.
    NewRelic {
        rows: Vec<Vec<serde_json::Value>>,
    },
}

impl Observation {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Observation::Value { .. } => "value",
            Observation::NoData => "no_data",
            Observation::Unavailable { .. } => "unavailable",
            Observation::Series { .. } => "series",
            Observation::Sqs(_) => "sqs",
            Observation::Kafka { .. } => "kafka",
            Observation::Rabbit { .. } => "rabbit",
            Observation::Redis { .. } => "redis",
            Observation::Http(_) => "http",
            Observation::HttpEndpoints { .. } => "http_endpoints",
            Observation::Counts { .. } => "counts",
            Observation::AzureQueue { .. } => "azure_queue",
            Observation::Datadog { .. } => "datadog",
            Observation::NewRelic { .. } => "new_relic",
        }
    }
}
