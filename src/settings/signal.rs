//! The measurable quantities of the simulated world that metrics (Prometheus series, cloud
//! metrics, queue attributes) can expose, by the names scenarios use to bind them.

use serde::Serialize;
use std::fmt;

/// A quantity the world can be measured by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Signal {
    /// Requests arriving per second (per pod: sent to that pod).
    RequestRate,
    /// Requests completed per second.
    ServedRate,
    /// Latency quantiles of completed requests over the window, from a Prometheus-style
    /// histogram (default buckets, linear interpolation).
    LatencyP50,
    LatencyP95,
    LatencyP99,
    /// Requests queued or in service.
    InFlight,
    /// Requests in service.
    InService,
    /// Requests waiting for a worker (queue: messages visible in the queue).
    Backlog,
    /// Age of the oldest waiting request, seconds.
    BacklogAge,
    /// CPU in use, cores (a rate over the window).
    Cpu,
    /// Memory in use, bytes.
    Memory,
    /// Ready pods.
    ReadyPods,
    /// A numeric column of the trace (e.g. `queue_length`).
    Column(String),
}

/// Every built-in signal name, for messages.
pub(crate) const SIGNAL_NAMES: &[&str] = &[
    "request_rate",
    "served_rate",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "in_flight",
    "in_service",
    "backlog",
    "backlog_age",
    "cpu",
    "memory",
    "ready_pods",
    "column:<trace column>",
];

impl Signal {
    /// Whether the signal is read from the latency histogram.
    pub(crate) fn reads_latency(&self) -> bool {
        matches!(
            self,
            Signal::LatencyP50 | Signal::LatencyP95 | Signal::LatencyP99
        )
    }

    /// Parse a signal name; a bare name that is a trace column reads that column.
    pub(crate) fn parse(name: &str, trace_columns: &[String]) -> Result<Signal, String> {
        Ok(match name {
            "request_rate" | "arrival_rate" => Signal::RequestRate,
            "served_rate" => Signal::ServedRate,
            "latency_p50" => Signal::LatencyP50,
            "latency_p95" => Signal::LatencyP95,
            "latency_p99" => Signal::LatencyP99,
            "in_flight" => Signal::InFlight,
            "in_service" => Signal::InService,
            "backlog" | "queue_length" if !trace_columns.iter().any(|c| c == name) => {
                Signal::Backlog
            }
            "backlog_age" => Signal::BacklogAge,
            "cpu" => Signal::Cpu,
            "memory" => Signal::Memory,
            "ready_pods" => Signal::ReadyPods,
            other => {
                let col = other.strip_prefix("column:").unwrap_or(other);
                if trace_columns.iter().any(|c| c == col) {
                    Signal::Column(col.to_string())
                } else if other.starts_with("column:") {
                    return Err(format!(
                        "the trace has no column `{col}` (its columns: {})",
                        if trace_columns.is_empty() {
                            "none".to_string()
                        } else {
                            trace_columns.join(", ")
                        }
                    ));
                } else {
                    return Err(format!(
                        "unknown signal `{other}`: expected one of {}",
                        SIGNAL_NAMES.join(", ")
                    ));
                }
            }
        })
    }

    /// The unit a value of this signal is in, for chart axes (`requests/s`, `seconds`; a trace
    /// column's own name).
    pub(crate) fn unit(&self) -> String {
        match self {
            Signal::RequestRate | Signal::ServedRate => "requests/s".into(),
            Signal::LatencyP50 | Signal::LatencyP95 | Signal::LatencyP99 | Signal::BacklogAge => {
                "seconds".into()
            }
            Signal::InFlight | Signal::InService | Signal::Backlog => "requests".into(),
            Signal::Cpu => "CPU cores".into(),
            Signal::Memory => "bytes".into(),
            Signal::ReadyPods => "pods".into(),
            Signal::Column(c) => c.clone(),
        }
    }

    /// Signals with a per-pod value (usable by HPA `Pods` metrics).
    pub(crate) fn has_per_pod_value(&self) -> bool {
        matches!(
            self,
            Signal::RequestRate
                | Signal::ServedRate
                | Signal::InFlight
                | Signal::InService
                | Signal::Cpu
                | Signal::Memory
                | Signal::Backlog
        )
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Signal::RequestRate => "request_rate",
            Signal::ServedRate => "served_rate",
            Signal::LatencyP50 => "latency_p50",
            Signal::LatencyP95 => "latency_p95",
            Signal::LatencyP99 => "latency_p99",
            Signal::InFlight => "in_flight",
            Signal::InService => "in_service",
            Signal::Backlog => "backlog",
            Signal::BacklogAge => "backlog_age",
            Signal::Cpu => "cpu",
            Signal::Memory => "memory",
            Signal::ReadyPods => "ready_pods",
            Signal::Column(c) => return write!(f, "column:{c}"),
        };
        f.write_str(s)
    }
}
