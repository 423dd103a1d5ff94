//! `rabbitmq` (upstream pkg/scalers/rabbitmq_scaler.go). Mode/value: nothing given →
//! `QueueLength` 20; deprecated `queueLength: N` alone → `QueueLength` N (with mode/value: error);
//! otherwise both `mode` and `value`. The protocol follows the host's scheme unless `protocol` is
//! set. AMQP sees only ready messages and no rates; HTTP sees ready+unacked (ready only with
//! `excludeUnacknowledged`) and publish/deliver rates. `useRegex` queues are combined with
//! `operation` (sum, avg with integer division for counts, max). Activation per mode as
//! upstream (MessageRate also fires on a non-empty queue, …). Target `value`; metric
//! `s<i>-rabbitmq-<url-escaped queueName>`.

use super::observation::{Observation, RabbitQueue};
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::go::{query_escape, url_scheme};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_float,
};
use crate::keda::params::{AUTH, AUTH_ENV, Got, META_AUTH, META_AUTH_ENV, Params, Spec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    QueueLength,
    MessageRate,
    DeliverGetRate,
    PublishedToDeliveredRatio,
    ExpectedQueueConsumptionTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RabbitMq {
    pub(crate) mode: Mode,
    pub(crate) value: f64,
    pub(crate) activation: f64,
    /// `true` for HTTP (management API), `false` for AMQP.
    pub(crate) http: bool,
    pub(crate) use_regex: bool,
    pub(crate) exclude_unacknowledged: bool,
    pub(crate) operation: String,
}

impl RabbitMq {
    /// What the metric counts in this mode.
    pub(crate) fn unit(&self) -> &'static str {
        match self.mode {
            Mode::QueueLength => "messages",
            Mode::MessageRate | Mode::DeliverGetRate => "messages/s",
            Mode::PublishedToDeliveredRatio => "ratio",
            Mode::ExpectedQueueConsumptionTime => "seconds",
        }
    }
}

/// `getComposedQueue`: combine the queues a regex matched.
pub fn compose_queues(queues: &[RabbitQueue], operation: &str) -> Result<RabbitQueue, FetchError> {
    if queues.is_empty() {
        return Ok(RabbitQueue::default());
    }
    let n = queues.len() as i64;
    let sum = |f: &dyn Fn(&RabbitQueue) -> i64| queues.iter().map(f).sum::<i64>();
    let fsum = |f: &dyn Fn(&RabbitQueue) -> f64| queues.iter().map(f).sum::<f64>();
    match operation {
        "sum" => Ok(RabbitQueue {
            messages: sum(&|q| q.messages),
            messages_ready: sum(&|q| q.messages_ready),
            publish_rate: fsum(&|q| q.publish_rate),
            deliver_get_rate: fsum(&|q| q.deliver_get_rate),
        }),
        "avg" => Ok(RabbitQueue {
            messages: sum(&|q| q.messages) / n,
            messages_ready: sum(&|q| q.messages_ready) / n,
            publish_rate: fsum(&|q| q.publish_rate) / n as f64,
            deliver_get_rate: fsum(&|q| q.deliver_get_rate) / n as f64,
        }),
        "max" => Ok(RabbitQueue {
            messages: queues.iter().map(|q| q.messages).fold(0, i64::max),
            messages_ready: queues.iter().map(|q| q.messages_ready).fold(0, i64::max),
            publish_rate: queues.iter().map(|q| q.publish_rate).fold(0.0, f64::max),
            deliver_get_rate: queues
                .iter()
                .map(|q| q.deliver_get_rate)
                .fold(0.0, f64::max),
        }),
        other => Err(FetchError::new(format!(
            "operation mode {other} must be one of sum, avg, max"
        ))),
    }
}

impl RabbitMq {
    /// (messages, publish rate, deliver rate) as `getQueueStatus` reports them.
    fn status(&self, obs: &Observation) -> Result<(i64, f64, f64), FetchError> {
        let queue = match obs {
            Observation::Rabbit { queues } => {
                if self.use_regex {
                    compose_queues(queues, &self.operation)?
                } else {
                    queues.first().cloned().ok_or_else(|| {
                        FetchError::new("error inspecting RabbitMQ: queue not found")
                    })?
                }
            }
            Observation::Value { value } => {
                return Ok((*value as i64, 0.0, 0.0));
            }
            other => return Err(mismatch("rabbitmq", other)),
        };
        if self.http {
            let messages = if self.exclude_unacknowledged {
                queue.messages_ready
            } else {
                queue.messages
            };
            Ok((messages, queue.publish_rate, queue.deliver_get_rate))
        } else {
            Ok((queue.messages_ready, 0.0, 0.0))
        }
    }

    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let (messages, publish, deliver) = self.status(obs)?;
        let act = self.activation;
        let m = messages as f64;
        let (value, active) = match self.mode {
            Mode::QueueLength => (m, m > act),
            Mode::MessageRate => (publish, publish > act || m > act),
            Mode::DeliverGetRate => (deliver, deliver > act),
            Mode::PublishedToDeliveredRatio => {
                let ratio = if publish > 0.0 && deliver == 0.0 {
                    act
                } else if publish > 0.0 && deliver > 0.0 {
                    publish / deliver
                } else {
                    0.0
                };
                (ratio, ratio > act || (publish > 0.0 && deliver == 0.0))
            }
            Mode::ExpectedQueueConsumptionTime => {
                let eta = if messages == 0 {
                    0.0
                } else if deliver == 0.0 {
                    act
                } else {
                    (publish - deliver) / deliver + m / deliver
                };
                (eta, eta > act || (deliver == 0.0 && messages > 0))
            }
        };
        Ok(Reading { value, active })
    }
}

/// Each mode's metadata name, and the signal scalesim suggests binding for the rate modes.
const MODES: &[(&str, Mode, Option<&str>)] = &[
    ("QueueLength", Mode::QueueLength, None),
    ("MessageRate", Mode::MessageRate, Some("publish_rate")),
    ("DeliverGetRate", Mode::DeliverGetRate, Some("deliver_rate")),
    (
        "PublishedToDeliveredRatio",
        Mode::PublishedToDeliveredRatio,
        Some("publish_to_deliver_ratio"),
    ),
    (
        "ExpectedQueueConsumptionTime",
        Mode::ExpectedQueueConsumptionTime,
        Some("expected_queue_consumption_time"),
    ),
];

/// Authentication parameters read (and only checked for presence).
const AUTH_KEYS: &[&str] = &[
    "ca",
    "cert",
    "key",
    "keyPassword",
    "workloadIdentityResource",
];

/// The metadata as `parseRabbitMQMetadata` reads it.
struct Meta {
    queue_name: Got,
    mode: Got,
    queue_length: f64,
    value: f64,
    activation: f64,
    host: Got,
    protocol: Got,
    use_regex: bool,
    exclude_unacked: bool,
    operation: Got,
    timeout: Option<f64>,
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let m = read_meta(p);
    // Protocol: explicit, or from the host URL scheme (Some(true) for HTTP).
    let protocol = protocol_of(p, &m.protocol, &m.host);
    let http = protocol.unwrap_or(false);
    let amqp_known = !http && protocol.is_some();
    if m.use_regex && amqp_known {
        p.error(
            Some("useRegex"),
            "configure useRegex=true only with HTTP protocol",
        );
    }
    if m.exclude_unacked && amqp_known {
        p.error(
            Some("excludeUnacknowledged"),
            "configure excludeUnacknowledged=true only with HTTP protocol",
        );
    }
    let (mode, value) = validate_trigger(p, &m, amqp_known);
    if !p.errors.is_empty() {
        return None;
    }
    let queue = m.queue_name.value().unwrap_or("").to_string();
    let (target_type, mode) = (target_type?, mode?);
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("rabbitmq-{}", query_escape(&queue))),
            ),
            target_type,
            target_milli_from_float(value),
        ),
        activation: Some(m.activation),
        signal: signal_of(mode, http && !m.exclude_unacked),
        delay: DelayClass::Direct,
        kind: ScalerKind::RabbitMq(RabbitMq {
            mode,
            value,
            activation: m.activation,
            http,
            use_regex: m.use_regex,
            exclude_unacknowledged: m.exclude_unacked,
            operation: m.operation.value().unwrap_or("sum").to_string(),
        }),
    })
}

/// Read every parameter, with the checks KEDA makes on them one by one.
fn read_meta(p: &mut Params) -> Meta {
    let queue_name = p.string(Spec::meta(&["queueName"]));
    let mode = p.string(Spec::meta(&["mode"]).optional().default("Unknown"));
    let queue_length = p
        .float(Spec::meta(&["queueLength"]).optional())
        .unwrap_or(0.0);
    let value = p.float(Spec::meta(&["value"]).optional()).unwrap_or(0.0);
    let activation = p
        .float(Spec::meta(&["activationValue"]).optional())
        .unwrap_or(0.0);
    let host = p.string(Spec::new(&["host"], META_AUTH_ENV));
    let protocol = p.string(Spec::new(&["protocol"], META_AUTH).default("auto"));
    p.string(Spec::new(&["vhostName"], META_AUTH).optional());
    let use_regex = p
        .boolean(Spec::meta(&["useRegex"]).optional())
        .unwrap_or(false);
    let exclude_unacked = p
        .boolean(Spec::meta(&["excludeUnacknowledged"]).optional())
        .unwrap_or(false);
    let page_size = p.int(Spec::meta(&["pageSize"]).default("100"), 64);
    let operation = p.string(Spec::meta(&["operation"]).default("sum"));
    let timeout = p.duration(Spec::meta(&["timeout"]).optional());
    let user = p.string(Spec::new(&["username"], AUTH_ENV).optional());
    let pass = p.string(Spec::new(&["password"], AUTH_ENV).optional());
    for k in AUTH_KEYS {
        p.string(Spec::new(std::slice::from_ref(k), AUTH).optional());
    }
    p.string(Spec::new(&["tls"], AUTH).default("disable"));
    p.boolean(Spec::meta(&["unsafeSsl"]).optional());
    if page_size.is_some_and(|s| s < 1) {
        p.error(Some("pageSize"), "pageSize should be 1 or greater");
    }
    if user.is_present() != pass.is_present() {
        p.error(None, "username and password must be given together");
    }
    Meta {
        queue_name,
        mode,
        queue_length,
        value,
        activation,
        host,
        protocol,
        use_regex,
        exclude_unacked,
        operation,
        timeout,
    }
}

/// The protocol: `http`/`amqp` as written, or with `auto` from the host's URL scheme
/// (`Some(true)` for HTTP; `None` when it cannot be told, with the error reported).
fn protocol_of(p: &mut Params, protocol: &Got, host: &Got) -> Option<bool> {
    match protocol.value() {
        Some(pr @ ("amqp" | "http")) => Some(pr == "http"),
        Some("auto") | None => match host {
            Got::Value(h) => match url_scheme(h) {
                Ok(Some(s)) if s == "amqp" || s == "amqps" => Some(false),
                Ok(Some(s)) if s == "http" || s == "https" => Some(true),
                Ok(s) => {
                    p.error(
                        Some("host"),
                        format!("unknown host URL scheme: `{}`", s.unwrap_or_default()),
                    );
                    None
                }
                Err(e) => {
                    p.error(
                        Some("host"),
                        format!("can't parse host to find protocol: {e}"),
                    );
                    None
                }
            },
            _ => {
                p.unchecked(Some("host"), "the protocol (AMQP or HTTP) follows the host URL, which scalesim cannot see; AMQP assumed");
                Some(false)
            }
        },
        Some(other) => {
            p.error(
                Some("protocol"),
                format!("the protocol has to be either `amqp`, `http`, or `auto` but is `{other}`"),
            );
            None
        }
    }
}

/// `validateTrigger`: the mode and its target value (the deprecated `queueLength`, or `mode`
/// and `value`), and what the AMQP protocol cannot do.
fn validate_trigger(p: &mut Params, m: &Meta, amqp_known: bool) -> (Option<Mode>, f64) {
    let mode_str = m.mode.value().unwrap_or("Unknown").to_string();
    let (queue_length, value) = (m.queue_length, m.value);
    if queue_length == 0.0 && mode_str == "Unknown" && value == 0.0 {
        (Some(Mode::QueueLength), 20.0)
    } else if queue_length != 0.0 && (mode_str != "Unknown" || value != 0.0) {
        p.error(
            Some("queueLength"),
            "queueLength is deprecated; use mode and value",
        );
        (None, 0.0)
    } else if queue_length != 0.0 {
        (Some(Mode::QueueLength), queue_length)
    } else if mode_str == "Unknown" {
        p.error(Some("mode"), "mode must be specified");
        (None, 0.0)
    } else if value == 0.0 {
        p.error(Some("value"), "value must be specified");
        (None, 0.0)
    } else {
        let mode = MODES
            .iter()
            .find(|(n, ..)| *n == mode_str)
            .map(|(_, m, _)| *m);
        match mode {
            None => p.error(
                Some("mode"),
                format!("trigger mode {mode_str} must be one of QueueLength, MessageRate, DeliverGetRate, PublishedToDeliveredRatio or ExpectedQueueConsumptionTime"),
            ),
            Some(md) if md != Mode::QueueLength && amqp_known => p.error(
                Some("mode"),
                format!("protocol amqp not supported; must be HTTP to use trigger mode {mode_str}"),
            ),
            Some(_) => {}
        }
        if amqp_known && m.timeout.is_some_and(|t| t != 0.0) {
            p.error(
                Some("timeout"),
                "AMQP protocol doesn't support custom timeouts",
            );
        }
        (mode, value)
    }
}

/// The signal a mode reads: the queue backlog (with unacknowledged messages when the HTTP API
/// counts them), or a named rate.
fn signal_of(mode: Mode, in_flight: bool) -> Signal {
    match MODES.iter().find(|(_, m, _)| *m == mode) {
        Some((_, _, Some(suggested))) => Signal::Named {
            suggested: (*suggested).into(),
        },
        _ => Signal::QueueBacklog {
            visible: true,
            in_flight,
            delayed: false,
        },
    }
}
