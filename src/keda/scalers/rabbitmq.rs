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
pub enum Mode {
    QueueLength,
    MessageRate,
    DeliverGetRate,
    PublishedToDeliveredRatio,
    ExpectedQueueConsumptionTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RabbitMq {
    pub mode: Mode,
    pub value: f64,
    pub activation: f64,
    /// `true` for HTTP (management API), `false` for AMQP.
    pub http: bool,
    pub use_regex: bool,
    pub exclude_unacknowledged: bool,
    pub operation: String,
}

impl RabbitMq {
    /// What the metric counts in this mode.
    pub fn unit(&self) -> &'static str {
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

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
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
    for k in [
        "ca",
        "cert",
        "key",
        "keyPassword",
        "workloadIdentityResource",
    ] {
        let names = [k];
        p.string(Spec::new(&names, AUTH).optional());
    }
    p.string(Spec::new(&["tls"], AUTH).default("disable"));
    p.boolean(Spec::meta(&["unsafeSsl"]).optional());
    if page_size.is_some_and(|s| s < 1) {
        p.error(Some("pageSize"), "pageSize should be 1 or greater");
    }
    if user.is_present() != pass.is_present() {
        p.error(None, "username and password must be given together");
    }
    // Protocol: explicit, or from the host URL scheme.
    let protocol = match protocol.value() {
        Some(pr @ ("amqp" | "http")) => Some(pr == "http"),
        Some("auto") | None => match &host {
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
    };
    let http = protocol.unwrap_or(false);
    if use_regex && !http && protocol.is_some() {
        p.error(
            Some("useRegex"),
            "configure useRegex=true only with HTTP protocol",
        );
    }
    if exclude_unacked && !http && protocol.is_some() {
        p.error(
            Some("excludeUnacknowledged"),
            "configure excludeUnacknowledged=true only with HTTP protocol",
        );
    }
    // validateTrigger
    let mode_str = mode.value().unwrap_or("Unknown").to_string();
    let (mode, value) = if queue_length == 0.0 && mode_str == "Unknown" && value == 0.0 {
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
        let m = match mode_str.as_str() {
            "QueueLength" => Some(Mode::QueueLength),
            "MessageRate" => Some(Mode::MessageRate),
            "DeliverGetRate" => Some(Mode::DeliverGetRate),
            "PublishedToDeliveredRatio" => Some(Mode::PublishedToDeliveredRatio),
            "ExpectedQueueConsumptionTime" => Some(Mode::ExpectedQueueConsumptionTime),
            _ => {
                p.error(
                    Some("mode"),
                    format!("trigger mode {mode_str} must be one of QueueLength, MessageRate, DeliverGetRate, PublishedToDeliveredRatio or ExpectedQueueConsumptionTime"),
                );
                None
            }
        };
        if let Some(m) = m
            && m != Mode::QueueLength
            && !http
            && protocol.is_some()
        {
            p.error(
                Some("mode"),
                format!("protocol amqp not supported; must be HTTP to use trigger mode {mode_str}"),
            );
        }
        if !http && protocol.is_some() && timeout.is_some_and(|t| t != 0.0) {
            p.error(
                Some("timeout"),
                "AMQP protocol doesn't support custom timeouts",
            );
        }
        (m, value)
    };
    if !p.errors.is_empty() {
        return None;
    }
    let queue = queue_name.value().unwrap_or("").to_string();
    let (target_type, mode) = (target_type?, mode?);
    let signal = match mode {
        Mode::QueueLength => Signal::QueueBacklog {
            visible: true,
            in_flight: http && !exclude_unacked,
            delayed: false,
        },
        Mode::MessageRate => Signal::Named {
            suggested: "publish_rate".into(),
        },
        Mode::DeliverGetRate => Signal::Named {
            suggested: "deliver_rate".into(),
        },
        Mode::PublishedToDeliveredRatio => Signal::Named {
            suggested: "publish_to_deliver_ratio".into(),
        },
        Mode::ExpectedQueueConsumptionTime => Signal::Named {
            suggested: "expected_queue_consumption_time".into(),
        },
    };
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("rabbitmq-{}", query_escape(&queue))),
            ),
            target_type,
            target_milli_from_float(value),
        ),
        activation: Some(activation),
        signal,
        delay: DelayClass::Direct,
        kind: ScalerKind::RabbitMq(RabbitMq {
            mode,
            value,
            activation,
            http,
            use_regex,
            exclude_unacknowledged: exclude_unacked,
            operation: operation.value().unwrap_or("sum").to_string(),
        }),
    })
}
