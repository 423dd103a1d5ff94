//! `aws-sqs-queue` (upstream pkg/scalers/aws_sqs_queue_scaler.go): value =
//! ApproximateNumberOfMessages (+ NotVisible when `scaleOnInFlight`, default true) (+ Delayed
//! when `scaleOnDelayed`); a requested attribute missing from the response is an error. Target
//! `queueLength` (int, default 5); active ⇔ value > `activationQueueLength`. Metric
//! `s<i>-aws-sqs-<queueName>`, the queue name being the last path segment of a request-URI
//! `queueURL` (`/<account>/<name>` required) or the whole value otherwise.

use super::aws_auth::check_aws_auth;
use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_int,
};
use crate::keda::params::{META_AUTH, META_ENV, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct Sqs {
    pub(crate) queue_name: String,
    pub(crate) activation: i64,
    pub(crate) scale_on_in_flight: bool,
    pub(crate) scale_on_delayed: bool,
}

impl Sqs {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let Observation::Sqs(a) = obs else {
            if let Observation::Value { value } = obs {
                return Ok(Reading {
                    value: *value,
                    active: *value > self.activation as f64,
                });
            }
            return Err(mismatch("aws-sqs-queue", obs));
        };
        let mut total: i64 = 0;
        let wanted = [
            ("ApproximateNumberOfMessages", a.visible, true),
            (
                "ApproximateNumberOfMessagesNotVisible",
                a.not_visible,
                self.scale_on_in_flight,
            ),
            (
                "ApproximateNumberOfMessagesDelayed",
                a.delayed,
                self.scale_on_delayed,
            ),
        ];
        for (name, v, requested) in wanted {
            if !requested {
                continue;
            }
            let v = v.ok_or_else(|| {
                FetchError::new(format!("metric {name} not found in SQS queue attributes"))
            })?;
            total = total.saturating_add(v);
        }
        Ok(Reading {
            value: total as f64,
            active: total > self.activation,
        })
    }
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let queue_length = p.int(Spec::meta(&["queueLength"]).default("5"), 64);
    let activation = p.int(Spec::meta(&["activationQueueLength"]).default("0"), 64);
    let queue_url = p.string(Spec::new(&["queueURL"], META_ENV));
    let _region = p.string(Spec::new(&["awsRegion"], META_AUTH));
    p.string(Spec::meta(&["awsEndpoint"]).optional());
    let in_flight = p.boolean(Spec::meta(&["scaleOnInFlight"]).default("true"));
    let delayed = p.boolean(Spec::meta(&["scaleOnDelayed"]).default("false"));
    p.string(Spec::meta(&["identityOwner"]).optional());
    let queue_name = match queue_url.value() {
        Some(url) => match crate::keda::go::request_uri_path(url) {
            None => Some(url.to_string()),
            Some(path) => {
                let parts: Vec<&str> = path.split('/').collect();
                if parts.len() != 3 || parts[2].is_empty() {
                    p.error(Some("queueURL"), "cannot get queueName from queueURL");
                    None
                } else {
                    Some(parts[2].to_string())
                }
            }
        },
        None => None,
    };
    check_aws_auth(p);
    if !p.errors.is_empty() {
        return None;
    }
    let queue_name = queue_name.unwrap_or_else(|| "<from-env>".to_string());
    let (target_type, queue_length, activation, in_flight, delayed) = (
        target_type?,
        queue_length?,
        activation?,
        in_flight?,
        delayed?,
    );
    Some(Parts {
        metric: external(
            indexed_name(
                ctx.trigger_index,
                &normalize(&format!("aws-sqs-{queue_name}")),
            ),
            target_type,
            target_milli_from_int(queue_length),
        ),
        activation: Some(activation as f64),
        signal: Signal::QueueBacklog {
            visible: true,
            in_flight,
            delayed,
        },
        delay: DelayClass::NearRealTimeApi,
        kind: ScalerKind::Sqs(Sqs {
            queue_name,
            activation,
            scale_on_in_flight: in_flight,
            scale_on_delayed: delayed,
        }),
    })
}
