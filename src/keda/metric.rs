//! Metric plumbing shared by every scaler: what one fetch returns ([`Reading`] / [`FetchError`]),
//! how KEDA turns a float into the milli-quantity the HPA sees (`%.3f`, NaN/±Inf/negative → 0,
//! since v2.20), metric names (`s<index>-<name>`, normalised), target types, and the strict
//! activation comparison.

use crate::numeric;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One successful scaler fetch: the raw metric value and the scaler's own activity verdict
/// (computed on the raw value, before quantisation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub value: f64,
    pub active: bool,
}

/// A failed scaler fetch (backend unreachable, bad response, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchError {
    pub message: String,
}

impl FetchError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of asking one trigger's scaler for its metric.
pub type FetchResult = Result<Reading, FetchError>;

/// HPA metric target type (`triggers[].metricType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TargetType {
    AverageValue,
    Value,
    Utilization,
}

impl TargetType {
    pub(crate) fn parse(s: &str) -> Option<TargetType> {
        match s {
            "AverageValue" => Some(TargetType::AverageValue),
            "Value" => Some(TargetType::Value),
            "Utilization" => Some(TargetType::Utilization),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::AverageValue => "AverageValue",
            TargetType::Value => "Value",
            TargetType::Utilization => "Utilization",
        }
    }
}

/// Where the HPA reads a metric from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum MetricSource {
    /// Served by KEDA's metrics adapter (every scaler except cpu/memory).
    External,
    /// Pod resource metric from metrics-server (cpu/memory).
    Resource,
    /// Per-container resource metric (cpu/memory with `containerName`).
    ContainerResource,
}

impl MetricSource {
    /// The `MetricSourceType` string the generated HPA sorts its metrics by.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MetricSource::External => "External",
            MetricSource::Resource => "Resource",
            MetricSource::ContainerResource => "ContainerResource",
        }
    }
}

/// `quantityFromFloat64` (v2.20+): NaN, ±Inf and negatives become 0; everything else is
/// formatted with three decimals and read back as a quantity. Returns milli-units.
pub fn quantize(value: f64) -> i64 {
    if value.is_nan() || value.is_infinite() || value < 0.0 {
        return 0;
    }
    milli_rounded(value).unwrap_or_else(|| milli_from_formatted(value))
}

/// The `%.3f` rounding without formatting, when the float product cannot land on the other
/// side of a half-milli from the exact one: below 10⁹ the product `value × 1000` is within
/// 2⁻¹⁴ of the exact product, so a fractional part more than 10⁻³ away from ½ rounds the same
/// way. `None` near a tie (or for large values): [`milli_from_formatted`] decides.
fn milli_rounded(value: f64) -> Option<i64> {
    if !(0.0..1e9).contains(&value) {
        return None;
    }
    // Below 10¹² the product splits exactly, its integer part being its floor, and away from a
    // tie rounding half away from zero is a comparison.
    let (whole, fraction) = numeric::whole_and_fraction(value * 1000.0)?;
    ((fraction - 0.5).abs() > 1e-3).then(|| whole + i64::from(fraction > 0.5))
}

/// `%.3f` then parse: exact decimal rounding of the binary value, as Go's formatter does.
fn milli_from_formatted(value: f64) -> i64 {
    let text = format!("{value:.3}");
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), "0"));
    let negative = int_part.starts_with('-');
    let int_digits = int_part.trim_start_matches('-');
    let int_v: i128 = int_digits.parse().unwrap_or(i128::MAX / 1000);
    let frac_v: i128 = format!("{frac_part:0<3}")[..3].parse().unwrap_or(0);
    let milli = int_v.saturating_mul(1000).saturating_add(frac_v);
    let milli = if negative { -milli } else { milli };
    milli.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// A target written as a float (`GetMetricTargetMili`): quantised like a metric value.
pub(crate) fn target_milli_from_float(value: f64) -> i64 {
    quantize(value)
}

/// A target written as an integer (`GetMetricTarget`): `NewQuantity(v)`.
pub(crate) fn target_milli_from_int(value: i64) -> i64 {
    value.saturating_mul(1000)
}

/// `resource.NewMilliQuantity(int64(v*1000))`: truncation toward zero, negatives kept (used by
/// fallback values and the scalingModifiers composite metric).
pub(crate) fn milli_truncated(value: f64) -> i64 {
    let m = value * 1000.0;
    if m.is_nan() {
        return 0;
    }
    m.clamp(i64::MIN as f64, i64::MAX as f64) as i64
}

/// Milli-units back to a float (`AsApproximateFloat64`).
pub fn milli_to_f64(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

/// Activation everywhere in KEDA: strictly greater than the activation threshold.
pub fn is_active(value: f64, activation_threshold: f64) -> bool {
    value > activation_threshold
}

/// `kedautil.NormalizeString`: `/ . : % ( )` become `-`.
pub(crate) fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '/' | '.' | ':' | '%' | '(' | ')') {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// `GenerateMetricNameWithIndex`: `s<index>-<name>`.
pub(crate) fn indexed_name(trigger_index: usize, name: &str) -> String {
    format!("s{trigger_index}-{name}")
}

/// The name of the single External metric that replaces all others under scalingModifiers.
pub(crate) const COMPOSITE_METRIC_NAME: &str = "composite-metric";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_matches_v2_20() {
        assert_eq!(quantize(1.5), 1500);
        assert_eq!(quantize(0.0004), 0);
        assert_eq!(quantize(0.0006), 1);
        assert_eq!(quantize(2147483648.0), 2147483648000);
        assert_eq!(quantize(-5.0), 0);
        assert_eq!(quantize(f64::NAN), 0);
        assert_eq!(quantize(f64::INFINITY), 0);
        assert_eq!(quantize(100.5), 100500);
        // %.3f rounds the exact binary value: 1.0005 is 1.000499999… (down), 2.0005 is
        // 2.000500000…08 (up).
        assert_eq!(quantize(1.0005), 1000);
        assert_eq!(quantize(2.0005), 2001);
    }

    proptest::proptest! {
        /// Away from a tie the fast rounding is `round`'s; within 10⁻³ of one it does not answer.
        #[test]
        fn the_fast_rounding_is_round_away_from_ties(value in 0.0..1e9f64) {
            let x = value * 1000.0;
            let fraction = x - x.floor();
            let library = ((fraction - 0.5).abs() > 1e-3).then(|| x.round() as i64);
            proptest::prop_assert_eq!(milli_rounded(value), library);
        }

        /// The fast rounding agrees with `%.3f` then parse wherever it answers, ties included.
        #[test]
        fn fast_rounding_matches_the_formatted_one(
            milli in 0u64..2_000_000_000_000,
            offset in -1.0e-3f64..1.0e-3,
            scale in 0u32..4,
        ) {
            let value = (milli as f64 + 0.5 + offset) / 1000.0 / 10f64.powi(scale as i32);
            proptest::prop_assert_eq!(quantize(value), milli_from_formatted(value));
            let plain = milli as f64 / 1000.0;
            proptest::prop_assert_eq!(quantize(plain), milli_from_formatted(plain));
        }
    }

    #[test]
    fn the_fast_rounding_leaves_near_ties_to_the_formatter() {
        assert_eq!(milli_rounded(1.0005), None);
        assert_eq!(milli_rounded(2.0005), None);
        assert_eq!(milli_rounded(1e9), None);
        assert_eq!(milli_rounded(1.2345678), Some(1235));
        assert_eq!(milli_rounded(0.0), Some(0));
    }

    #[test]
    fn truncation_keeps_sign() {
        assert_eq!(milli_truncated(-1.0), -1000);
        assert_eq!(milli_truncated(1.9999), 1999);
    }

    #[test]
    fn names() {
        assert_eq!(normalize("cron-Etc/UTC-00xxThu"), "cron-Etc-UTC-00xxThu");
        assert_eq!(indexed_name(3, "prometheus"), "s3-prometheus");
        assert!(!is_active(0.0, 0.0));
        assert!(is_active(0.001, 0.0));
    }
}
