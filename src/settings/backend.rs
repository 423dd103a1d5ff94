//! Metric backend kinds and their timing as a scenario sets them (`backend:` of a `metrics:`
//! binding): how often the world is sampled, over which window a rate is taken, and how late
//! a sample becomes visible. The sampling itself is `crate::metrics::backend`.
//!
//! | kind | interval | window | delay | models |
//! |---|---|---|---|---|
//! | `direct` | 1 s | 30 s | 0 | an API read at query time (SQS/RabbitMQ queue attributes, Kafka offsets) |
//! | `prometheus` | 30 s | 1 m | 0 | Prometheus scraping an exporter, queried with `rate(x[1m])` |
//! | `cloudwatch` | 60 s | 60 s | 60 s | a cloud metric at one-minute granularity, published late |

use crate::units::Seconds;
use serde::Deserialize;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BackendKind {
    Direct,
    Prometheus,
    Cloudwatch,
}

impl BackendKind {
    /// (interval, window, delay) defaults.
    pub(crate) fn defaults(self) -> (f64, f64, f64) {
        match self {
            BackendKind::Direct => (1.0, 30.0, 0.0),
            BackendKind::Prometheus => (30.0, 60.0, 0.0),
            BackendKind::Cloudwatch => (60.0, 60.0, 60.0),
        }
    }
}

/// `backend:` of a binding: a kind, or a kind with overrides.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum BackendSpec {
    Kind(BackendKind),
    Full {
        kind: BackendKind,
        #[serde(default)]
        scrape_interval: Option<Seconds>,
        #[serde(default)]
        window: Option<Seconds>,
        #[serde(default)]
        delay: Option<Seconds>,
    },
}

/// Resolved backend timing.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub(crate) struct BackendTiming {
    pub(crate) kind: BackendKind,
    pub(crate) interval: f64,
    pub(crate) window: f64,
    pub(crate) delay: f64,
}

impl BackendTiming {
    /// The kind's default timing.
    pub(crate) fn of(kind: BackendKind) -> BackendTiming {
        let (interval, window, delay) = kind.defaults();
        BackendTiming {
            kind,
            interval,
            window,
            delay,
        }
    }
}

impl BackendSpec {
    pub(crate) fn timing(&self) -> BackendTiming {
        self.timing_over(BackendTiming::of(self.kind()))
    }

    fn kind(&self) -> BackendKind {
        match *self {
            BackendSpec::Kind(kind) | BackendSpec::Full { kind, .. } => kind,
        }
    }

    /// The timing with `base` as the defaults when it is of the same kind (a scaler's own
    /// backend, e.g. gcp-pubsub's Cloud Monitoring with its 120 s lag), else the kind's
    /// defaults; the fields written override either.
    pub(crate) fn timing_over(&self, base: BackendTiming) -> BackendTiming {
        let base = if base.kind == self.kind() {
            base
        } else {
            BackendTiming::of(self.kind())
        };
        match *self {
            BackendSpec::Kind(_) => base,
            BackendSpec::Full {
                scrape_interval,
                window,
                delay,
                ..
            } => BackendTiming {
                interval: scrape_interval.map_or(base.interval, |s| s.0),
                window: window.map_or(base.window, |s| s.0),
                delay: delay.map_or(base.delay, |s| s.0),
                ..base
            },
        }
    }
}
