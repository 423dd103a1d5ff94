//! The serving model and the pods after defaults: workload kind, load balancer, service
//! time, concurrency, readiness probe timing, start-up, grace and the manifest's pod facts.

use super::dist::Dist;
use crate::manifest::deployment::PodTemplateFacts;
use serde::Deserialize;

/// `workload.kind`: how requests reach the pods.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WorkloadKind {
    /// Requests load-balanced to ready pods, each with its own wait queue.
    Http,
    /// One shared FIFO backlog pulled by every pod's workers.
    Queue,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Balancer {
    /// kube-proxy iptables mode: each request to a uniformly random endpoint.
    Random,
    RoundRobin,
    /// Envoy-style power of two choices: the less busy of two random endpoints.
    LeastRequest,
}

/// The serving model after defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub(crate) kind: WorkloadKind,
    pub service_time: Dist,
    /// CPU-seconds one request needs at full speed.
    pub cpu_per_request: f64,
    pub concurrency: u32,
    pub(crate) timeout: Option<f64>,
    pub(crate) balancer: Balancer,
    /// Bytes held per in-flight request.
    pub(crate) memory_per_request: f64,
    /// Topic partitions (queue workload): consumers are capped at this many pods.
    pub(crate) partitions: Option<u32>,
}

impl Workload {
    /// Cores one request in service uses at full speed.
    pub(crate) fn cores_per_request(&self) -> f64 {
        let mean = self.service_time.mean();
        if mean > 0.0 {
            self.cpu_per_request / mean
        } else {
            0.0
        }
    }
}

/// Readiness probe timing after defaults (Kubernetes defaults: 0 s, 10 s, 1, 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Readiness {
    pub(crate) initial_delay: f64,
    pub(crate) period: f64,
    pub(crate) success_threshold: u32,
    pub(crate) failure_threshold: u32,
}

impl Readiness {
    /// Seconds from container start to Ready when every probe succeeds.
    pub(crate) fn time_to_ready(&self) -> f64 {
        self.initial_delay + self.period * (self.success_threshold.saturating_sub(1)) as f64
    }
}

/// The pods after defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Pods {
    pub(crate) replicas: i32,
    /// Cores.
    pub(crate) cpu_request: Option<f64>,
    pub(crate) cpu_limit: Option<f64>,
    /// Bytes.
    pub(crate) memory_request: Option<f64>,
    pub(crate) memory_baseline: f64,
    pub startup: Dist,
    pub(crate) readiness: Readiness,
    pub(crate) termination_grace: f64,
    pub(crate) endpoint_delay: f64,
    pub(crate) pre_stop: f64,
    /// (cores, seconds) of start-up CPU burst; (0, 0) when off.
    pub(crate) startup_cpu: (f64, f64),
    /// (speed factor, seconds) of warm-up; (1, 0) when off.
    pub(crate) warmup: (f64, f64),
    /// Facts from the workload manifest, when one was given.
    pub(crate) template: Option<PodTemplateFacts>,
}
