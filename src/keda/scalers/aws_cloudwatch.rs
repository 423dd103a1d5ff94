//! `aws-cloudwatch` (upstream pkg/scalers/aws_cloudwatch_scaler.go): either a Metrics Insights
//! `expression` or namespace + metricName + dimensions; `targetMetricValue` and (despite the
//! docs) `minMetricValue` are required. The query window ends at `now − metricEndTimeOffset`
//! truncated to `metricStatPeriod` and spans `metricCollectionTime`. Value = first datapoint of
//! the first result (newest first); a result with no datapoints gives `minMetricValue` when
//! `ignoreNullValues` (default true) and an error otherwise; no result at all gives
//! `minMetricValue`. Metric `s<i>-aws-cloudwatch`.

use super::aws_auth::check_aws_auth;
use super::observation::Observation;
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, target_milli_from_float,
};
use crate::keda::params::{Got, META_AUTH, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct CloudWatch {
    pub(crate) min_metric_value: f64,
    pub(crate) activation: f64,
    pub(crate) ignore_null_values: bool,
    pub(crate) period_s: i64,
    pub(crate) collection_time_s: i64,
    pub(crate) end_time_offset_s: i64,
}

/// Seconds from Go's zero time (0001-01-01 UTC) to the Unix epoch: `Truncate` counts from there.
const GO_ZERO_TO_UNIX: i64 = 62_135_596_800;

/// `computeQueryWindow`: (start, end) in Unix seconds.
pub fn query_window(now: f64, period_s: i64, end_offset_s: i64, collection_s: i64) -> (f64, f64) {
    let shifted = now - end_offset_s as f64;
    let since_zero = shifted + GO_ZERO_TO_UNIX as f64;
    let period = period_s.max(1) as f64;
    let end = (since_zero / period).floor() * period - GO_ZERO_TO_UNIX as f64;
    (end - collection_s as f64, end)
}

impl CloudWatch {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let value = match obs {
            Observation::Value { value } => *value,
            Observation::NoData => self.min_metric_value,
            Observation::Series { values } => match values.first() {
                Some(v) => *v,
                None if self.ignore_null_values => self.min_metric_value,
                None => {
                    return Err(FetchError::new(
                        "empty metric data received, ignoreNullValues is false, returning error",
                    ));
                }
            },
            other => return Err(mismatch("aws-cloudwatch", other)),
        };
        Ok(Reading {
            value,
            active: value > self.activation,
        })
    }
}

const STANDARD_UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let namespace = p.string(Spec::meta(&["namespace"]).optional());
    let metric_name = p.string(Spec::meta(&["metricName"]).optional());
    let dim_names = p.list(Spec::meta(&["dimensionName"]).optional().separator(";"));
    let dim_values = p.list(Spec::meta(&["dimensionValue"]).optional().separator(";"));
    let expression = p.string(Spec::meta(&["expression"]).optional());
    let target = p.float(Spec::meta(&["targetMetricValue"]));
    let activation = p
        .float(Spec::meta(&["activationTargetMetricValue"]).optional())
        .unwrap_or(0.0);
    let min_value = p.float(Spec::meta(&["minMetricValue"]));
    let ignore_null = p.boolean(Spec::meta(&["ignoreNullValues"]).default("true"));
    let collection = p.int(Spec::meta(&["metricCollectionTime"]).default("300"), 64);
    p.string(Spec::meta(&["metricStat"]).default("Average"));
    let unit = p.string(Spec::meta(&["metricUnit"]).optional());
    let period = p.int(Spec::meta(&["metricStatPeriod"]).default("300"), 64);
    let offset = p.int(Spec::meta(&["metricEndTimeOffset"]).default("0"), 64);
    p.string(Spec::meta(&["awsAccountId"]).optional());
    p.string(Spec::new(&["awsRegion"], META_AUTH));
    p.string(Spec::meta(&["awsEndpoint"]).optional());
    p.string(Spec::meta(&["identityOwner"]).optional());
    if expression.value().is_none() {
        metric_query_checks(p, &namespace, &metric_name, &dim_names, &dim_values, &unit);
    }
    if let Some(per) = period {
        period_checks(p, per, collection);
    }
    check_aws_auth(p);
    if !p.errors.is_empty() {
        return None;
    }
    let (target_type, target, min_value, ignore_null, collection, period, offset) = (
        target_type?,
        target?,
        min_value?,
        ignore_null?,
        collection?,
        period?,
        offset?,
    );
    Some(Parts {
        metric: external(
            indexed_name(ctx.trigger_index, "aws-cloudwatch"),
            target_type,
            target_milli_from_float(target),
        ),
        activation: Some(activation),
        signal: Signal::Named {
            suggested: expression
                .value()
                .or(metric_name.value())
                .unwrap_or("cloudwatch")
                .to_string(),
        },
        delay: DelayClass::CloudMetrics {
            granularity_s: period as f64,
            lag_s: offset as f64,
            window_s: collection as f64,
        },
        kind: ScalerKind::CloudWatch(CloudWatch {
            min_metric_value: min_value,
            activation,
            ignore_null_values: ignore_null,
            period_s: period,
            collection_time_s: collection,
            end_time_offset_s: offset,
        }),
    })
}

/// Without an `expression`: the namespace, metric name and matching dimensions are required,
/// and the unit must be a standard one.
fn metric_query_checks(
    p: &mut Params,
    namespace: &Got,
    metric_name: &Got,
    dim_names: &Option<Vec<String>>,
    dim_values: &Option<Vec<String>>,
    unit: &Got,
) {
    if namespace.value().is_none() {
        p.error(Some("namespace"), "namespace not given");
    } else if metric_name.value().is_none() {
        p.error(Some("metricName"), "metric name not given");
    } else if dim_names.is_none() {
        p.error(Some("dimensionName"), "dimension name not given");
    } else if dim_values.is_none() {
        p.error(Some("dimensionValue"), "dimension value not given");
    } else if dim_names.as_ref().map(Vec::len) != dim_values.as_ref().map(Vec::len) {
        p.error(
            Some("dimensionValue"),
            "dimensionName and dimensionValue are not matching in size",
        );
    } else if let Some(u) = unit.value()
        && !STANDARD_UNITS.contains(&u)
    {
        p.error(
            Some("metricUnit"),
            format!("metricUnit '{u}' is not one of {STANDARD_UNITS:?}"),
        );
    }
}

/// `metricStatPeriod` is 1, 5, 10, 30, 60 or a multiple of 60, and `metricCollectionTime` a
/// non-negative multiple of it.
fn period_checks(p: &mut Params, per: i64, collection: Option<i64>) {
    if per < 1 {
        p.error(
            Some("metricStatPeriod"),
            format!("metricStatPeriod can not be smaller than 1, however, {per} is provided"),
        );
    } else if per <= 60 && ![1, 5, 10, 30, 60].contains(&per) {
        p.error(
            Some("metricStatPeriod"),
            format!(
                "metricStatPeriod < 60 has to be one of [1, 5, 10, 30], however, {per} is provided"
            ),
        );
    } else if per > 60 && per % 60 != 0 {
        p.error(
            Some("metricStatPeriod"),
            format!(
                "metricStatPeriod >= 60 has to be a multiple of 60, however, {per} is provided"
            ),
        );
    } else if let Some(c) = collection
        && (c < 0 || c % per != 0)
    {
        p.error(
                Some("metricCollectionTime"),
                format!("metricCollectionTime must be greater than 0 and a multiple of metricStatPeriod({per}), {c} is given"),
            );
    }
}
