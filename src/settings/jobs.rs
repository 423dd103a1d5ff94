//! What a ScaledJob's job does once its pod runs (`jobs:`): take one message and exit, drain the
//! queue, or sleep a fixed time without consuming — and, with `duration`, how long it keeps
//! running; with `failure_probability`, how often its container exits non-zero. The Job spec fields that change job counts (`activeDeadlineSeconds`, `parallelism`)
//! come from the ScaledJob's `jobTargetRef` (`crate::keda::scaledjob::JobSpecFacts`), not from
//! here. The semantics, in the project's words: docs/keda.md#what-a-job-does.

use crate::units::Seconds;
use serde::Deserialize;

/// `jobs.mode`: how a job's container uses the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum JobMode {
    /// Takes one message, works its service time, exits (at once when none is waiting).
    #[default]
    OneMessage,
    /// Takes messages one after another until the queue is empty, then exits.
    Drain,
    /// Runs `duration` without consuming (KEDA's own e2e jobs: `sleep 300`).
    Sleep,
}

/// `jobs:` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobsSpec {
    /// `one-message` (default), `drain` or `sleep`.
    #[serde(default)]
    pub(crate) mode: Option<JobMode>,
    /// `sleep`: how long the job runs (required). `one-message`: the least time the container
    /// runs from its start (it takes its message, then keeps running until then). Not with `drain`.
    #[serde(default)]
    pub(crate) duration: Option<Seconds>,
    /// The chance (0 to 1) that a job pod's container exits non-zero once its work is done:
    /// the pod Failed, retried by the Job controller up to `backoffLimit`. Default 0.
    #[serde(default)]
    pub(crate) failure_probability: Option<f64>,
}

/// A job's behaviour after defaults.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct JobBehaviour {
    pub(crate) mode: JobMode,
    /// Seconds the container runs at least, from its start (`sleep`: exactly).
    pub(crate) duration: Option<f64>,
    /// The chance that a pod's container exits non-zero (0: never).
    pub(crate) failure_probability: f64,
}

impl JobsSpec {
    /// Check and default the key; the error names the field and what is expected.
    pub(crate) fn resolve(&self) -> Result<JobBehaviour, (&'static str, String)> {
        let mode = self.mode.unwrap_or_default();
        let duration = self.duration.map(|s| s.0);
        match (mode, duration) {
            (JobMode::Sleep, None) => Err((
                "duration",
                "a `sleep` job needs `duration`: how long it runs (e.g. 300s)".into(),
            )),
            (JobMode::Sleep, Some(d)) if d <= 0.0 => Err((
                "duration",
                "a `sleep` job's duration must be above zero".into(),
            )),
            (JobMode::Drain, Some(_)) => Err((
                "duration",
                "a `drain` job runs until the queue is empty: `duration` applies only to \
                 `one-message` and `sleep`"
                    .into(),
            )),
            _ => Ok(JobBehaviour {
                mode,
                duration,
                failure_probability: self.failure_probability()?,
            }),
        }
    }

    /// `failure_probability`, checked: a probability.
    fn failure_probability(&self) -> Result<f64, (&'static str, String)> {
        match self.failure_probability {
            None => Ok(0.0),
            Some(p) if (0.0..=1.0).contains(&p) => Ok(p),
            Some(p) => Err((
                "failure_probability",
                format!("{p} is not a probability: expected a number from 0 to 1"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: Option<JobMode>, duration: Option<f64>) -> JobsSpec {
        JobsSpec {
            mode,
            duration: duration.map(Seconds),
            failure_probability: None,
        }
    }

    #[test]
    fn defaults_to_one_message_without_a_duration() {
        assert_eq!(JobsSpec::default().resolve(), Ok(JobBehaviour::default()));
        assert_eq!(JobBehaviour::default().mode, JobMode::OneMessage);
    }

    #[test]
    fn sleep_needs_a_positive_duration_and_drain_takes_none() {
        assert_eq!(
            spec(Some(JobMode::Sleep), None).resolve().unwrap_err().0,
            "duration"
        );
        assert!(spec(Some(JobMode::Sleep), Some(0.0)).resolve().is_err());
        assert_eq!(
            spec(Some(JobMode::Sleep), Some(300.0)).resolve(),
            Ok(JobBehaviour {
                mode: JobMode::Sleep,
                duration: Some(300.0),
                failure_probability: 0.0,
            })
        );
        assert!(spec(Some(JobMode::Drain), Some(5.0)).resolve().is_err());
        assert!(
            spec(Some(JobMode::OneMessage), Some(900.0))
                .resolve()
                .is_ok()
        );
    }

    #[test]
    fn failure_probability_is_a_probability() {
        let with = |p: f64| JobsSpec {
            failure_probability: Some(p),
            ..JobsSpec::default()
        };
        assert_eq!(with(0.25).resolve().unwrap().failure_probability, 0.25);
        assert_eq!(with(1.0).resolve().unwrap().failure_probability, 1.0);
        for bad in [-0.1, 1.5, f64::NAN] {
            assert_eq!(with(bad).resolve().unwrap_err().0, "failure_probability");
        }
    }
}
