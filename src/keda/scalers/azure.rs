//! Azure queue scalers.
//!
//! `azure-servicebus` (upstream pkg/scalers/azure_servicebus_scaler.go, `getQueueLength`):
//! the `ActiveMessageCount` of a queue, or of a topic subscription — messages available for
//! delivery *and* those peek-locked by a receiver (in flight), which stay active until
//! completed; scheduled and dead-lettered messages are not counted; with `useRegex` the matching entities are combined by `operation` (sum, max, avg
//! with integer division). Target `messageCount` (default 5); active ⇔ count >
//! `activationMessageCount`. Metric `s<i>-azure-servicebus-<queue|topic>` (or `queue-regex` /
//! `topic-regex`).
//!
//! `azure-queue` (pkg/scalers/azure_queue_scaler.go): `ApproximateMessagesCount` (visible and
//! invisible); with `queueLengthStrategy: visibleonly` a 32-message peek is used when it returns
//! fewer than 32. Target `queueLength` (default 5); active ⇔ length > `activationQueueLength`.
//! Metric `s<i>-azure-queue-<queueName>`.

use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{FetchResult, Reading, indexed_name, normalize, target_milli_from_int};
use crate::keda::params::{AUTH_ENV, AUTH_META_ENV, Got, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBus {
    pub(crate) use_regex: bool,
    pub(crate) operation: String,
    pub(crate) activation: i64,
}

impl ServiceBus {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let count = match obs {
            Observation::Value { value } => *value as i64,
            Observation::Counts { counts } if self.use_regex => {
                let mut r: i64 = 0;
                for &c in counts {
                    match self.operation.as_str() {
                        "max" => r = r.max(c),
                        _ => r += c,
                    }
                }
                if self.operation == "avg" && !counts.is_empty() {
                    r / counts.len() as i64
                } else {
                    r
                }
            }
            Observation::Counts { counts } => counts.first().copied().unwrap_or(0),
            other => return Err(mismatch("azure-servicebus", other)),
        };
        Ok(Reading {
            value: count as f64,
            active: count > self.activation,
        })
    }
}

pub(super) fn build_servicebus(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let length = p.int(Spec::meta(&["messageCount"]).default("5"), 64);
    let activation = p
        .int(Spec::meta(&["activationMessageCount"]).optional(), 64)
        .unwrap_or(0);
    let queue = p.string(Spec::meta(&["queueName"]).optional());
    let topic = p.string(Spec::meta(&["topicName"]).optional());
    let subscription = p.string(Spec::meta(&["subscriptionName"]).optional());
    let connection = p.string(Spec::new(&["connection"], AUTH_ENV).optional());
    let namespace = p.string(Spec::meta(&["namespace"]).optional());
    let use_regex = p
        .boolean(Spec::meta(&["useRegex"]).optional())
        .unwrap_or(false);
    let operation = p.string(
        Spec::meta(&["operation"])
            .one_of(&["sum", "max", "avg"])
            .default("sum"),
    );
    p.mark_used(&["cloud", "endpointSuffix"]);
    let entity = servicebus_entity(p, &queue, &topic, &subscription, use_regex);
    servicebus_auth_checks(p, &connection, &namespace);
    if !p.errors.is_empty() {
        return None;
    }
    let entity = entity?;
    let (kind, name) = entity.split_once(':').unwrap_or(("queue", ""));
    let name = if use_regex {
        format!("{kind}-regex")
    } else {
        name.to_string()
    };
    let (target_type, length) = (target_type?, length?);
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("azure-servicebus-{name}")),
            ),
            target_type,
            target_milli_from_int(length),
        ),
        activation: Some(activation as f64),
        // ActiveMessageCount includes peek-locked (in-flight) messages.
        signal: Signal::QueueBacklog {
            visible: true,
            in_flight: true,
            delayed: false,
        },
        delay: DelayClass::Direct,
        kind: ScalerKind::ServiceBus(ServiceBus {
            use_regex,
            operation: operation.value().unwrap_or("sum").to_string(),
            activation,
        }),
    })
}

/// The entity read: `queue:NAME` or `topic:NAME` (with its subscription), exactly one of them.
fn servicebus_entity(
    p: &mut Params,
    queue: &Got,
    topic: &Got,
    subscription: &Got,
    use_regex: bool,
) -> Option<String> {
    let mut entity = None;
    if let Some(q) = queue.value() {
        entity = Some(format!("queue:{q}"));
        if subscription.is_present() {
            p.error(
                Some("subscriptionName"),
                "subscription name provided with queue name",
            );
        }
        if use_regex && regex::Regex::new(q).is_err() {
            p.error(
                Some("queueName"),
                "queueName is not a valid regular expression",
            );
        }
    }
    if let Some(t) = topic.value() {
        if entity.is_some() {
            p.error(
                Some("topicName"),
                "both topic and queue name metadata provided",
            );
        }
        entity = Some(format!("topic:{t}"));
        match subscription.value() {
            None => p.error(
                Some("topicName"),
                "no subscription name provided with topic name",
            ),
            Some(s) if use_regex && regex::Regex::new(s).is_err() => p.error(
                Some("subscriptionName"),
                "subscriptionName is not a valid regular expression",
            ),
            _ => {}
        }
    }
    if entity.is_none() {
        p.error(None, "no service bus entity type set");
    }
    entity
}

/// A connection string without pod identity, a namespace with workload identity, and no
/// other identity provider.
fn servicebus_auth_checks(p: &mut Params, connection: &Got, namespace: &Got) {
    match p.auth.pod_identity() {
        None => {}
        Some(None) if !connection.is_present() => {
            p.error(None, "no connection setting given");
        }
        Some(Some("azure-workload")) if !namespace.is_present() => {
            p.error(
                Some("namespace"),
                "namespace are required when using pod identity",
            );
        }
        Some(None | Some("azure-workload")) => {}
        Some(Some(other)) => {
            let other = other.to_string();
            p.error(
                None,
                format!("azure service bus doesn't support pod identity {other}"),
            );
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AzureQueue {
    pub(crate) visible_only: bool,
    pub(crate) activation: i64,
}

impl AzureQueue {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let n = match obs {
            Observation::Value { value } => *value as i64,
            Observation::AzureQueue {
                approximate,
                peeked_visible,
            } => {
                if self.visible_only && *peeked_visible < 32 {
                    *peeked_visible
                } else {
                    *approximate
                }
            }
            other => return Err(mismatch("azure-queue", other)),
        };
        Ok(Reading {
            value: n as f64,
            active: n > self.activation,
        })
    }
}

#[allow(clippy::collapsible_match)]
pub(super) fn build_queue(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let activation = p.int(Spec::meta(&["activationQueueLength"]).default("0"), 64);
    let queue = p.string(Spec::meta(&["queueName"]));
    let length = p.int(Spec::meta(&["queueLength"]).default("5"), 64);
    let connection = p.string(Spec::new(&["connection"], AUTH_META_ENV).optional());
    let account = p.string(Spec::meta(&["accountName"]).optional());
    p.string(Spec::meta(&["endpointSuffix"]).optional());
    let strategy = p.string(
        Spec::meta(&["queueLengthStrategy"])
            .one_of(&["all", "visibleonly"])
            .default("all"),
    );
    p.mark_used(&["cloud"]);
    match p.auth.pod_identity() {
        None => {}
        Some(None) => {
            if !connection.is_present() {
                p.error(None, "no connection setting given");
            }
        }
        Some(Some("azure-workload")) => {
            if !account.is_present() {
                p.error(Some("accountName"), "no accountName given");
            }
        }
        Some(Some(other)) => {
            let other = other.to_string();
            p.error(
                None,
                format!("pod identity {other} not supported for azure storage queues"),
            );
        }
    }
    if !p.errors.is_empty() {
        return None;
    }
    let queue = queue.value()?.to_string();
    let visible_only = strategy.value() == Some("visibleonly");
    let (target_type, length, activation) = (target_type?, length?, activation?);
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("azure-queue-{queue}")),
            ),
            target_type,
            target_milli_from_int(length),
        ),
        activation: Some(activation as f64),
        signal: Signal::QueueBacklog {
            visible: true,
            in_flight: !visible_only,
            delayed: false,
        },
        delay: DelayClass::Direct,
        kind: ScalerKind::AzureQueue(AzureQueue {
            visible_only,
            activation,
        }),
    })
}
