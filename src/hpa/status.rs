//! The HPA object's `status` as the controller writes it: replica counts, last scale time and the
//! conditions `kubectl describe hpa` shows (docs/hpa.md#conditions). Unlike the recommendation and scale-event
//! history, this lives in the API object and survives a controller restart.

use super::observation::{ConditionStatus, Name};
use super::reason::Reason;
use serde::Serialize;
use std::fmt;

/// Condition types of an HPA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConditionType {
    AbleToScale,
    ScalingActive,
    ScalingLimited,
    ScaledToZero,
}

impl fmt::Display for ConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConditionType::AbleToScale => "AbleToScale",
            ConditionType::ScalingActive => "ScalingActive",
            ConditionType::ScalingLimited => "ScalingLimited",
            ConditionType::ScaledToZero => "ScaledToZero",
        })
    }
}

impl ConditionType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "AbleToScale" => ConditionType::AbleToScale,
            "ScalingActive" => ConditionType::ScalingActive,
            "ScalingLimited" => ConditionType::ScalingLimited,
            "ScaledToZero" => ConditionType::ScaledToZero,
            _ => return None,
        })
    }
}

/// One `status.conditions` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub(crate) condition_type: ConditionType,
    pub(crate) status: ConditionStatus,
    pub(crate) reason: Reason,
    pub(crate) message: ConditionMessage,
    /// When `status` last changed (seconds).
    pub(crate) last_transition_time: f64,
}

/// A condition's message, spelled when written (the common ones are fixed texts or carry a
/// number or the metric's name, so setting them every sync formats nothing).
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionMessage {
    Fixed(&'static str),
    /// Built when the condition was set (errors, selector problems).
    Text(String),
    /// `the HPA controller was able to update the target scale to N`.
    Rescaled(i32),
    /// `the HPA was able to successfully calculate a replica count from <metric>`.
    ValidMetric(Name),
}

impl fmt::Display for ConditionMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConditionMessage::Fixed(t) => f.write_str(t),
            ConditionMessage::Text(t) => f.write_str(t),
            ConditionMessage::Rescaled(n) => write!(
                f,
                "the HPA controller was able to update the target scale to {n}"
            ),
            ConditionMessage::ValidMetric(m) => write!(
                f,
                "the HPA was able to successfully calculate a replica count from {m}"
            ),
        }
    }
}

impl Serialize for ConditionMessage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `status` of the HPA object.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HpaStatus {
    pub(crate) current_replicas: i32,
    pub(crate) desired_replicas: i32,
    pub(crate) last_scale_time: Option<f64>,
    pub(crate) conditions: Vec<Condition>,
}

impl HpaStatus {
    /// The condition of a type, if present.
    pub(crate) fn condition(&self, t: ConditionType) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.condition_type == t)
    }

    /// `setCondition`: update the entry of that type in place (appending when absent); the
    /// transition time moves only when the status changes.
    pub fn set_condition(
        &mut self,
        t: ConditionType,
        status: ConditionStatus,
        reason: Reason,
        message: ConditionMessage,
        now: f64,
    ) {
        let idx = match self.conditions.iter().position(|c| c.condition_type == t) {
            Some(i) => i,
            None => {
                self.conditions.push(Condition {
                    condition_type: t,
                    status,
                    reason,
                    message: ConditionMessage::Fixed(""),
                    last_transition_time: now,
                });
                self.conditions.len() - 1
            }
        };
        let c = &mut self.conditions[idx];
        if c.status != status {
            c.last_transition_time = now;
        }
        c.status = status;
        c.reason = reason;
        c.message = message;
    }

    pub(crate) fn remove_condition(&mut self, t: ConditionType) {
        self.conditions.retain(|c| c.condition_type != t);
    }

    /// `ScaledToZero=True` is present.
    pub(crate) fn scaled_to_zero(&self) -> bool {
        self.condition(ConditionType::ScaledToZero)
            .is_some_and(|c| c.status == ConditionStatus::True)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_condition_keeps_order_and_transition_time_when_status_unchanged() {
        let mut s = HpaStatus::default();
        s.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            Reason::SucceededGetScale,
            ConditionMessage::Fixed("a"),
            1.0,
        );
        s.set_condition(
            ConditionType::ScalingActive,
            ConditionStatus::True,
            Reason::ValidMetricFound,
            ConditionMessage::Fixed("b"),
            1.0,
        );
        s.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            Reason::ReadyForNewScale,
            ConditionMessage::Fixed("c"),
            5.0,
        );
        assert_eq!(s.conditions[0].reason, Reason::ReadyForNewScale);
        assert_eq!(s.conditions[0].last_transition_time, 1.0);
        s.set_condition(
            ConditionType::AbleToScale,
            ConditionStatus::False,
            Reason::FailedUpdateScale,
            ConditionMessage::Fixed("d"),
            9.0,
        );
        assert_eq!(s.conditions[0].last_transition_time, 9.0);
        assert_eq!(s.conditions[1].condition_type, ConditionType::ScalingActive);
    }
}
