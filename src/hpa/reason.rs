//! The reasons the controller writes on status conditions and events (`kubectl describe hpa`'s
//! `Reason` column), as one enum: compared by value in the code, spelled only when written.

use serde::Serialize;
use std::fmt;

/// A condition or event reason. Serialized, displayed and parsed as its upstream spelling, which
/// is the variant name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Reason {
    // AbleToScale
    SucceededGetScale,
    FailedGetScale,
    SucceededRescale,
    FailedUpdateScale,
    ReadyForNewScale,
    ScaleUpStabilized,
    ScaleDownStabilized,
    // ScalingActive
    ScalingDisabled,
    InvalidSelector,
    AmbiguousSelector,
    ValidMetricFound,
    FailedGetResourceMetric,
    FailedGetContainerResourceMetric,
    FailedGetPodsMetric,
    FailedGetObjectMetric,
    FailedGetExternalMetric,
    InvalidMetricSourceType,
    // ScalingLimited
    DesiredWithinRange,
    TooManyReplicas,
    TooFewReplicas,
    ScaleUpLimit,
    ScaleDownLimit,
    // ScaledToZero
    ScaledToZero,
    NotScaledToZero,
    // Events only
    SelectorRequired,
    FailedComputeMetricsReplicas,
    FailedRescale,
    SuccessfulRescale,
}

/// Every reason, for [`Reason::parse`].
const ALL: [Reason; 28] = [
    Reason::SucceededGetScale,
    Reason::FailedGetScale,
    Reason::SucceededRescale,
    Reason::FailedUpdateScale,
    Reason::ReadyForNewScale,
    Reason::ScaleUpStabilized,
    Reason::ScaleDownStabilized,
    Reason::ScalingDisabled,
    Reason::InvalidSelector,
    Reason::AmbiguousSelector,
    Reason::ValidMetricFound,
    Reason::FailedGetResourceMetric,
    Reason::FailedGetContainerResourceMetric,
    Reason::FailedGetPodsMetric,
    Reason::FailedGetObjectMetric,
    Reason::FailedGetExternalMetric,
    Reason::InvalidMetricSourceType,
    Reason::DesiredWithinRange,
    Reason::TooManyReplicas,
    Reason::TooFewReplicas,
    Reason::ScaleUpLimit,
    Reason::ScaleDownLimit,
    Reason::ScaledToZero,
    Reason::NotScaledToZero,
    Reason::SelectorRequired,
    Reason::FailedComputeMetricsReplicas,
    Reason::FailedRescale,
    Reason::SuccessfulRescale,
];

impl Reason {
    /// The upstream spelling, e.g. `ScaleUpLimit`.
    pub fn text(self) -> &'static str {
        use Reason::*;
        match self {
            SucceededGetScale => "SucceededGetScale",
            FailedGetScale => "FailedGetScale",
            SucceededRescale => "SucceededRescale",
            FailedUpdateScale => "FailedUpdateScale",
            ReadyForNewScale => "ReadyForNewScale",
            ScaleUpStabilized => "ScaleUpStabilized",
            ScaleDownStabilized => "ScaleDownStabilized",
            ScalingDisabled => "ScalingDisabled",
            InvalidSelector => "InvalidSelector",
            AmbiguousSelector => "AmbiguousSelector",
            ValidMetricFound => "ValidMetricFound",
            FailedGetResourceMetric => "FailedGetResourceMetric",
            FailedGetContainerResourceMetric => "FailedGetContainerResourceMetric",
            FailedGetPodsMetric => "FailedGetPodsMetric",
            FailedGetObjectMetric => "FailedGetObjectMetric",
            FailedGetExternalMetric => "FailedGetExternalMetric",
            InvalidMetricSourceType => "InvalidMetricSourceType",
            DesiredWithinRange => "DesiredWithinRange",
            TooManyReplicas => "TooManyReplicas",
            TooFewReplicas => "TooFewReplicas",
            ScaleUpLimit => "ScaleUpLimit",
            ScaleDownLimit => "ScaleDownLimit",
            ScaledToZero => "ScaledToZero",
            NotScaledToZero => "NotScaledToZero",
            SelectorRequired => "SelectorRequired",
            FailedComputeMetricsReplicas => "FailedComputeMetricsReplicas",
            FailedRescale => "FailedRescale",
            SuccessfulRescale => "SuccessfulRescale",
        }
    }

    /// The reason spelled `s`, if it is one the controller writes.
    pub fn parse(s: &str) -> Option<Reason> {
        ALL.into_iter().find(|r| r.text() == s)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_parses_back_and_serializes_as_its_text() {
        for r in ALL {
            assert_eq!(Reason::parse(r.text()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.text())
            );
            assert_eq!(format!("{r:?}"), r.text());
        }
        assert_eq!(Reason::parse("NoSuchReason"), None);
    }
}
