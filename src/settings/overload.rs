//! Scenario keys for overload as it really behaves: client retries (`workload.retries`), a
//! per-pod queue cap answered with 503 (`workload.max_queue`), liveness probes that restart a
//! saturated pod (`pods.liveness`) and CPU limits enforced as a CFS quota per period
//! (`pods.cpu_cfs`, `pods.cfs_period`). Every one is off unless the scenario turns it on, but for
//! the CFS quota, which is on wherever pods have a CPU limit, as the kubelet's default is.

use crate::units::Seconds;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `workload.retries` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetriesSpec {
    /// Retries after the first attempt. Default 3.
    #[serde(default)]
    pub(crate) max: Option<u32>,
    /// Delay before the first retry. Default 100 ms.
    #[serde(default)]
    pub(crate) backoff: Option<Seconds>,
    /// Each further retry waits this many times longer. Default 2.
    #[serde(default)]
    pub(crate) multiplier: Option<f64>,
    /// Cap on the delay. Default none.
    #[serde(default)]
    pub(crate) max_backoff: Option<Seconds>,
    /// Each delay is multiplied by a uniform draw in [1 − jitter, 1 + jitter]. Default 0.5.
    #[serde(default)]
    pub(crate) jitter: Option<f64>,
    /// Which failures are retried. Default `[timeout, 503]`.
    #[serde(default)]
    pub(crate) on: Option<Vec<RetryOn>>,
}

/// A failure a client may retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum RetryOn {
    /// The client's per-attempt timeout fired.
    #[serde(rename = "timeout")]
    Timeout,
    /// A pod answered 503 (its queue was full).
    #[serde(rename = "503")]
    Rejected,
    /// The connection failed or was reset: no ready endpoint, refused by a terminating or
    /// restarting pod, or in flight when the pod was killed or restarted.
    #[serde(rename = "reset")]
    Reset,
}

impl<'de> Deserialize<'de> for RetryOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTED: &str = "one of timeout, 503, reset";
        impl Visitor<'_> for V {
            type Value = RetryOn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RetryOn, E> {
                match s {
                    "timeout" => Ok(RetryOn::Timeout),
                    "503" | "5xx" | "rejected" => Ok(RetryOn::Rejected),
                    "reset" | "connect-failure" => Ok(RetryOn::Reset),
                    other => Err(E::custom(format!(
                        "unknown retry condition {other:?}: expected {EXPECTED}"
                    ))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RetryOn, E> {
                if v == 503 {
                    Ok(RetryOn::Rejected)
                } else {
                    Err(E::custom(format!(
                        "status {v} is never produced: only 503 (queue full) is (expected {EXPECTED})"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RetryOn, E> {
                self.visit_u64(v.max(0) as u64)
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON Schema of what `RetryOn`'s deserializer reads.
impl schemars::JsonSchema for RetryOn {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RetryOn".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A failure clients retry: timeout, 503 (queue full; also 5xx, rejected) or reset (connect-failure).",
            "enum": ["timeout", "503", 503, "5xx", "rejected", "reset", "connect-failure"],
        })
    }
}

/// Client retries after defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Retries {
    pub(crate) max: u32,
    pub(crate) backoff: f64,
    pub(crate) multiplier: f64,
    pub(crate) max_backoff: f64,
    pub(crate) jitter: f64,
    pub(crate) on_timeout: bool,
    pub(crate) on_rejected: bool,
    pub(crate) on_reset: bool,
}

impl Retries {
    /// Delay before retry number `n` (1 for the first retry), before jitter.
    pub(crate) fn delay(&self, n: u32) -> f64 {
        (self.backoff * self.multiplier.powi(n.saturating_sub(1) as i32)).min(self.max_backoff)
    }

    /// Resolve the spec: `(field, message)` on a bad value.
    pub(crate) fn resolve(s: &RetriesSpec) -> Result<Retries, (&'static str, String)> {
        let backoff = s.backoff.map_or(0.1, |b| b.0);
        if !(backoff >= 0.0) {
            return Err(("backoff", "must be zero or more".into()));
        }
        let multiplier = s.multiplier.unwrap_or(2.0);
        if !(multiplier >= 1.0 && multiplier.is_finite()) {
            return Err(("multiplier", format!("{multiplier} must be at least 1")));
        }
        let jitter = s.jitter.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&jitter) {
            return Err((
                "jitter",
                format!("{jitter} is not a fraction between 0 and 1"),
            ));
        }
        let max_backoff = s.max_backoff.map_or(f64::INFINITY, |b| b.0);
        if !(max_backoff > 0.0) {
            return Err(("max_backoff", "must be above zero".into()));
        }
        let max = s.max.unwrap_or(3);
        if max > crate::limits::MAX_RETRIES {
            return Err((
                "max",
                format!(
                    "{max} retries per request is beyond what scalesim simulates ({}; see docs/limits.md)",
                    crate::limits::MAX_RETRIES
                ),
            ));
        }
        let on =
            s.on.clone()
                .unwrap_or_else(|| vec![RetryOn::Timeout, RetryOn::Rejected]);
        Ok(Retries {
            max,
            backoff,
            multiplier,
            max_backoff,
            jitter,
            on_timeout: on.contains(&RetryOn::Timeout),
            on_rejected: on.contains(&RetryOn::Rejected),
            on_reset: on.contains(&RetryOn::Reset),
        })
    }
}

/// `pods.liveness` as written (Kubernetes probe fields; success threshold is always 1).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LivenessSpec {
    /// `false` turns off the probe a manifest declares. Default true.
    #[serde(default)]
    pub(crate) enabled: Option<bool>,
    #[serde(default)]
    pub(crate) initial_delay: Option<Seconds>,
    #[serde(default)]
    pub(crate) period: Option<Seconds>,
    #[serde(default)]
    pub(crate) timeout: Option<Seconds>,
    #[serde(default)]
    pub(crate) failure_threshold: Option<u32>,
}

/// A liveness probe after defaults (Kubernetes: initial delay 0, period 10 s, timeout 1 s,
/// failure threshold 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Liveness {
    pub(crate) initial_delay: f64,
    pub(crate) period: f64,
    pub(crate) timeout: f64,
    pub(crate) failure_threshold: u32,
}

/// CPU-seconds of work a liveness probe's handler needs at full speed (it runs on the pod's CPU
/// like any request, so a CPU-starved pod answers it slowly).
pub(crate) const PROBE_WORK: f64 = 0.001;

/// CrashLoopBackOff: the kubelet waits 10 s before the first restart's container start, doubling
/// up to 5 minutes, and forgets the back-off once a container has run for 10 minutes.
pub(crate) const RESTART_BACKOFF: (f64, f64) = (10.0, 300.0);
pub(crate) const RESTART_BACKOFF_RESET: f64 = 600.0;

/// The Linux/Kubernetes default CFS period (`--cpu-cfs-quota-period`), seconds.
pub(crate) const DEFAULT_CFS_PERIOD: f64 = 0.1;

/// Overload mechanisms after defaults, for the world.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Overload {
    /// Waiting requests a pod holds before it answers new ones 503 (http).
    pub(crate) max_queue: Option<u32>,
    pub(crate) retries: Option<Retries>,
    pub(crate) liveness: Option<Liveness>,
    /// CFS period when CPU limits are enforced as a quota per period.
    pub(crate) cfs_period: Option<f64>,
}
