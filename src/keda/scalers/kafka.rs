//! `kafka` (sarama-based, upstream pkg/scalers/kafka_scaler.go) and `apache-kafka` (franz-go,
//! pkg/scalers/apache_kafka_scaler.go): consumer-group lag summed over the topic's partitions.
//!
//! Per partition: `latest − committed`. No committed offset (-1): `latest` policy → lag 1
//! (0 with `scaleToZeroOnInvalidOffset`), `earliest` → the latest offset (0 with
//! `scaleToZeroOnInvalidOffset`). `excludePersistentLag`: a partition whose committed offset has
//! not moved since the previous fetch contributes 0 to the metric but still counts for
//! activation. Unless `allowIdleConsumers` (and neither limiting option), the metric is capped at
//! `partitions × lagThreshold` only when `lag / lagThreshold` (integer division) exceeds the
//! partition count (or the count of partitions with lag under `limitToPartitionsWithLag`);
//! `ensureEvenDistributionOfPartitions` first rounds the lag up to the next factor of the
//! partition count. Target `lagThreshold`; active ⇔ lag (with persistent) > activation.

use super::observation::{KafkaPartition, Observation};
use super::{
    BuildContext, Parts, ScalerKind, ScalerMemory, external, external_target_type, mismatch,
};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_int,
};
use crate::keda::params::{AUTH, AuthKnowledge, Got, META_AUTH, META_ENV, Params, Spec};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq)]
pub struct Kafka {
    pub(crate) apache: bool,
    pub(crate) topics: Vec<String>,
    pub(crate) partition_limitation: Option<Vec<i32>>,
    pub settings: KafkaSettings,
}

/// The settings that shape the lag computation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KafkaSettings {
    pub(crate) lag_threshold: i64,
    pub(crate) activation_lag_threshold: i64,
    /// `true` for `earliest`.
    pub(crate) offset_reset_earliest: bool,
    pub(crate) allow_idle_consumers: bool,
    pub(crate) exclude_persistent_lag: bool,
    pub(crate) scale_to_zero_on_invalid_offset: bool,
    pub(crate) limit_to_partitions_with_lag: bool,
    pub(crate) ensure_even_distribution_of_partitions: bool,
}

/// Divisors of `n`, ascending (`FindFactors`).
pub fn find_factors(n: i64) -> Vec<i64> {
    if n < 1 {
        return Vec::new();
    }
    let mut f = Vec::new();
    let mut i = 1;
    while i * i <= n {
        if n % i == 0 {
            f.push(i);
            if i != n / i {
                f.push(n / i);
            }
        }
        i += 1;
    }
    f.sort_unstable();
    f
}

/// `getNextFactorThatBalancesConsumersToTopicPartitions`.
pub fn next_factor(total_lag: i64, partitions: i64, lag_threshold: i64) -> i64 {
    find_factors(partitions)
        .into_iter()
        .find(|f| f.saturating_mul(lag_threshold) >= total_lag)
        .unwrap_or(partitions)
}

/// Inputs of the lag aggregation once per-partition lags are known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KafkaLagInput {
    pub total_lag: i64,
    pub total_lag_with_persistent: i64,
    pub partitions: i64,
    pub partitions_with_lag: i64,
}

/// The metric value and activity of one fetch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KafkaLagResult {
    pub metric: i64,
    pub active: bool,
}

/// The partition cap / even-distribution step of `getTotalLag`.
pub fn kafka_total_lag(input: &KafkaLagInput, s: &KafkaSettings) -> KafkaLagResult {
    let mut total = input.total_lag;
    if !s.allow_idle_consumers
        || s.limit_to_partitions_with_lag
        || s.ensure_even_distribution_of_partitions
    {
        let mut upper = input.partitions;
        if s.ensure_even_distribution_of_partitions {
            total = next_factor(total, input.partitions, s.lag_threshold)
                .saturating_mul(s.lag_threshold);
        }
        if s.limit_to_partitions_with_lag {
            upper = input.partitions_with_lag;
        }
        if s.lag_threshold > 0 && total / s.lag_threshold > upper {
            total = upper.saturating_mul(s.lag_threshold);
        }
    }
    KafkaLagResult {
        metric: total,
        active: input.total_lag_with_persistent > s.activation_lag_threshold,
    }
}

impl Kafka {
    /// Lag of one partition: (lag for the metric, lag for activation).
    fn partition_lag(
        &self,
        p: &KafkaPartition,
        memory: &mut ScalerMemory,
    ) -> Result<(i64, i64), FetchError> {
        let s = &self.settings;
        let committed = match (p.committed, self.apache) {
            (Some(c), _) => c,
            (None, false) => {
                return Err(FetchError::new(format!(
                    "error finding offset block for topic {} and partition {} from offset block",
                    p.topic, p.partition
                )));
            }
            // franz-go: a partition missing from the committed offsets reads as offset 0.
            (None, true) => 0,
        };
        if committed == -1 {
            if !s.offset_reset_earliest {
                let v = if s.scale_to_zero_on_invalid_offset {
                    0
                } else {
                    1
                };
                return Ok((v, v));
            }
            if s.scale_to_zero_on_invalid_offset {
                return Ok((0, 0));
            }
            return Ok((p.latest, p.latest));
        }
        if s.exclude_persistent_lag {
            let key = (p.topic.clone(), p.partition);
            match memory.kafka_previous_offsets.get(&key) {
                Some(prev) if *prev == committed => {
                    return Ok((0, p.latest.saturating_sub(committed)));
                }
                _ => {
                    memory.kafka_previous_offsets.insert(key, committed);
                }
            }
        }
        let lag = p.latest.saturating_sub(committed);
        Ok((lag, lag))
    }

    pub(super) fn evaluate(&self, obs: &Observation, memory: &mut ScalerMemory) -> FetchResult {
        let partitions = match obs {
            Observation::Kafka { partitions } => partitions,
            Observation::Value { value } => {
                // A bare lag value: one partition per topic is unknown, so no cap applies.
                return Ok(Reading {
                    value: *value,
                    active: *value > self.settings.activation_lag_threshold as f64,
                });
            }
            other => return Err(mismatch("kafka", other)),
        };
        let selected: Vec<&KafkaPartition> = partitions
            .iter()
            .filter(|p| self.topics.is_empty() || self.topics.contains(&p.topic))
            .filter(|p| {
                self.partition_limitation
                    .as_ref()
                    .is_none_or(|l| l.contains(&p.partition))
            })
            .collect();
        if selected.is_empty() {
            return Err(FetchError::new(format!(
                "expected at least one active partition within the topic '{}'",
                self.topics.join(",")
            )));
        }
        let mut input = KafkaLagInput {
            partitions: selected.len() as i64,
            ..Default::default()
        };
        for p in selected {
            let (lag, with_persistent) = self.partition_lag(p, memory)?;
            input.total_lag = input.total_lag.saturating_add(lag);
            input.total_lag_with_persistent = input
                .total_lag_with_persistent
                .saturating_add(with_persistent);
            if lag > 0 {
                input.partitions_with_lag += 1;
            }
        }
        let r = kafka_total_lag(&input, &self.settings);
        Ok(Reading {
            value: r.metric as f64,
            active: r.active,
        })
    }
}

fn parse_partition_limitation(s: &str) -> Result<Vec<i32>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let bad = || format!("invalid partition limitation: {part}");
        if part.contains('-') {
            let r: Vec<&str> = part.split('-').collect();
            if r.len() != 2 {
                return Err(format!("invalid partition limitation range: {part}"));
            }
            let a = crate::keda::go::parse_int(r[0].trim(), 32).map_err(|_| bad())?;
            let b = crate::keda::go::parse_int(r[1].trim(), 32).map_err(|_| bad())?;
            out.extend((a..=b).map(|v| v as i32));
        } else {
            out.push(crate::keda::go::parse_int(part, 32).map_err(|_| bad())? as i32);
        }
    }
    Ok(out)
}

fn kafka_version_ok(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric && (parts.len() == 3 || (parts.len() == 4 && parts[0] == "0"))
}

/// `sasl` values of the Sarama-based `kafka` scaler and of `apache-kafka`.
const SASL_KAFKA: &[&str] = &[
    "none",
    "plaintext",
    "scram_sha256",
    "scram_sha512",
    "oauthbearer",
    "gssapi",
];
const SASL_APACHE: &[&str] = &[
    "none",
    "plaintext",
    "scram_sha256",
    "scram_sha512",
    "gssapi",
    "aws_msk_iam",
];
/// TLS and SASL credentials (read from metadata or the TriggerAuthentication, not checked).
const AUTH_KEYS: &[&str] = &["ca", "cert", "key", "keyPassword", "username", "password"];

/// The metadata both Kafka scalers read.
struct Meta {
    group: Got,
    topic: Got,
    limitation: Got,
    lag_threshold: Option<i64>,
    activation: Option<i64>,
    policy: Got,
    allow_idle: bool,
    exclude_persistent: bool,
    zero_on_invalid: bool,
    limit_with_lag: bool,
    even: bool,
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext, apache: bool) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let m = read_meta(p, apache);
    let sasl = read_sasl(p, apache, &m.topic);
    p.string(
        Spec::new(&["tls"], META_AUTH)
            .default("disable")
            .one_of(&["enable", "disable"]),
    );
    p.boolean(Spec::meta(&["unsafeSsl"]).default("false"));
    p.string(Spec::meta(&["awsRegion"]).optional());
    for k in AUTH_KEYS {
        p.string(Spec::new(std::slice::from_ref(k), AUTH).optional());
    }
    setting_checks(p, apache, &m, &sasl);
    let partition_limitation = partition_limitation(p, &m);
    if !p.errors.is_empty() {
        return None;
    }
    let topics: Vec<String> = match m.topic.value() {
        Some(t) if apache => t.split(',').map(|s| s.trim().to_string()).collect(),
        Some(t) => vec![t.to_string()],
        None => Vec::new(),
    };
    let group = m.group.value().unwrap_or("<from-env>").to_string();
    let name = if !topics.is_empty() {
        format!("kafka-{}", topics.join(","))
    } else if m.topic.is_present() {
        "kafka-<from-env>".to_string()
    } else {
        format!("kafka-{group}-topics")
    };
    let (target_type, lag_threshold, activation) = (target_type?, m.lag_threshold?, m.activation?);
    let settings = KafkaSettings {
        lag_threshold,
        activation_lag_threshold: activation,
        offset_reset_earliest: m.policy.value() == Some("earliest"),
        allow_idle_consumers: m.allow_idle,
        exclude_persistent_lag: m.exclude_persistent,
        scale_to_zero_on_invalid_offset: m.zero_on_invalid,
        limit_to_partitions_with_lag: m.limit_with_lag,
        ensure_even_distribution_of_partitions: m.even,
    };
    Some(Parts {
        metric: external(
            indexed_name(ctx.trigger_index, &normalize(&name)),
            target_type,
            target_milli_from_int(lag_threshold),
        ),
        activation: Some(activation as f64),
        signal: Signal::ConsumerLag,
        delay: DelayClass::Direct,
        kind: ScalerKind::Kafka(Kafka {
            apache,
            topics,
            partition_limitation,
            settings,
        }),
    })
}

/// The servers, group, topic, thresholds and flags (the flags default to `false` in `kafka`
/// and are optional in `apache-kafka`).
fn read_meta(p: &mut Params, apache: bool) -> Meta {
    p.list(Spec::new(&["bootstrapServers"], META_ENV));
    let group = p.string(Spec::new(&["consumerGroup"], META_ENV));
    let topic = p.string(Spec::new(&["topic"], META_ENV).optional());
    let limitation = p.string(Spec::meta(&["partitionLimitation"]).optional());
    let lag_threshold = p.int(Spec::meta(&["lagThreshold"]).default("10"), 64);
    let activation = p.int(Spec::meta(&["activationLagThreshold"]).default("0"), 64);
    let policy = p.string(
        Spec::meta(&["offsetResetPolicy"])
            .default("latest")
            .one_of(&["latest", "earliest"]),
    );
    let mut flag = |name: &'static str| -> bool {
        let names = [name];
        let spec = if apache {
            Spec::meta(&names).optional()
        } else {
            Spec::meta(&names).default("false")
        };
        p.boolean(spec).unwrap_or(false)
    };
    Meta {
        allow_idle: flag("allowIdleConsumers"),
        exclude_persistent: flag("excludePersistentLag"),
        zero_on_invalid: flag("scaleToZeroOnInvalidOffset"),
        limit_with_lag: flag("limitToPartitionsWithLag"),
        even: flag("ensureEvenDistributionOfPartitions"),
        group,
        topic,
        limitation,
        lag_threshold,
        activation,
        policy,
    }
}

/// `sasl` (and, for `kafka`, `fullMetadata`, `version` and `saslTokenProvider`).
fn read_sasl(p: &mut Params, apache: bool, topic: &Got) -> Got {
    if apache {
        return p.string(
            Spec::new(&["sasl"], META_AUTH)
                .default("none")
                .one_of(SASL_APACHE),
        );
    }
    let full_metadata = p.boolean(Spec::meta(&["fullMetadata"]).default("true"));
    if let Some(v) = p.string(Spec::meta(&["version"]).optional()).value()
        && !kafka_version_ok(v)
    {
        let v = v.to_string();
        p.error(
            Some("version"),
            format!("error parsing kafka version: invalid version `{v}`"),
        );
    }
    let sasl = p.string(
        Spec::new(&["sasl"], META_AUTH)
            .optional()
            .one_of(SASL_KAFKA),
    );
    p.string(
        Spec::new(&["saslTokenProvider"], META_AUTH)
            .optional()
            .one_of(&["bearer", "aws_msk_iam"]),
    );
    if full_metadata == Some(false) && topic.value().is_none() {
        p.error(
            Some("fullMetadata"),
            "topic must be specified when fullMetadata is false",
        );
    }
    sasl
}

/// The checks across settings: SASL credentials, thresholds, and the flags that exclude each
/// other or need a topic.
fn setting_checks(p: &mut Params, apache: bool, m: &Meta, sasl: &Got) {
    if let Some(mode) = sasl.value()
        && matches!(mode, "plaintext" | "scram_sha256" | "scram_sha512")
        && matches!(p.auth, AuthKnowledge::None)
    {
        let msg = if apache {
            "username and password must be set when using SASL/PLAINTEXT"
        } else {
            "no username given"
        };
        p.error(Some("sasl"), msg);
    }
    if let Some(t) = m.lag_threshold
        && t <= 0
    {
        let msg = if apache {
            "lagThreshold must be a positive number".to_string()
        } else {
            "\"lagThreshold\" must be positive number".to_string()
        };
        p.error(Some("lagThreshold"), msg);
    }
    if let Some(a) = m.activation
        && a < 0
    {
        p.error(
            Some("activationLagThreshold"),
            "activationLagThreshold must be a non-negative number",
        );
    }
    let has_topic = m.topic.is_present();
    if m.allow_idle && m.limit_with_lag {
        p.error(
            Some("limitToPartitionsWithLag"),
            "allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously",
        );
    }
    if !has_topic && m.limit_with_lag {
        p.error(
            Some("limitToPartitionsWithLag"),
            "topic must be specified when using limitToPartitionsWithLag",
        );
    }
    if !apache {
        if m.limit_with_lag && m.even {
            p.error(
                Some("ensureEvenDistributionOfPartitions"),
                "limitToPartitionsWithLag and ensureEvenDistributionOfPartitions cannot be set simultaneously",
            );
        }
        if !has_topic && m.even {
            p.error(
                Some("ensureEvenDistributionOfPartitions"),
                "topic must be specified when using ensureEvenDistributionOfPartitions",
            );
        }
    }
}

/// `partitionLimitation`, parsed; it applies only with a topic.
fn partition_limitation(p: &mut Params, m: &Meta) -> Option<Vec<i32>> {
    let parsed = match m.limitation.value() {
        Some(l) => match parse_partition_limitation(l) {
            Ok(v) => Some(v),
            Err(e) => {
                p.error(Some("partitionLimitation"), e);
                None
            }
        },
        None => None,
    };
    parsed.filter(|_| m.topic.is_present())
}
