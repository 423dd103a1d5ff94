//! The serving model and the pods after defaults: workload kind, load balancer, service
//! time, concurrency, readiness probe timing, start-up, grace and the manifest's pod facts.

use super::dist::Dist;
use crate::manifest::deployment::{ContainerFacts, PodLevelRequests, PodTemplateFacts};
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

/// What one revision of the pod template asks for: the pods of a ReplicaSet carry it
/// (docs/rollouts.md). The first revision is the scenario's pods; an applied Deployment with
/// other requests or limits makes the next.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct PodResources {
    /// Cores.
    pub(crate) cpu_request: Option<f64>,
    pub(crate) cpu_limit: Option<f64>,
    /// Bytes.
    pub(crate) memory_request: Option<f64>,
    /// Bytes: the manifest's memory limit (the scheduler's request when none is set).
    pub(crate) memory_limit: Option<f64>,
    /// The manifest's containers (none without a manifest: one `app` container with the
    /// requests above), and its pod-level requests: what the HPA's Resource metrics divide by.
    pub(crate) containers: Vec<ContainerFacts>,
    pub(crate) pod_requests: Option<PodLevelRequests>,
}

impl Pods {
    /// The first revision of the template: the scenario's requests and limit.
    pub(crate) fn resources(&self) -> PodResources {
        PodResources {
            cpu_request: self.cpu_request,
            cpu_limit: self.cpu_limit,
            memory_request: self.memory_request,
            memory_limit: self
                .template
                .as_ref()
                .and_then(|t| t.memory_limit.map(|q| q.as_f64())),
            containers: self
                .template
                .as_ref()
                .map(|t| t.containers.clone())
                .unwrap_or_default(),
            pod_requests: self.template.as_ref().and_then(|t| t.pod_requests),
        }
    }
}

impl PodResources {
    /// The template an applied Deployment makes of this one: its requests and limits, and
    /// this one's where it sets none (the scenario's `pods:` may set them).
    pub(crate) fn applied(&self, w: &PodTemplateFacts) -> PodResources {
        let cores = |q: Option<crate::units::Quantity>| q.map(|q| q.milli as f64 / 1000.0);
        PodResources {
            cpu_request: cores(w.cpu_request).or(self.cpu_request),
            cpu_limit: cores(w.cpu_limit).or(self.cpu_limit),
            memory_request: cores(w.memory_request).or(self.memory_request),
            memory_limit: w.memory_limit.map(|q| q.as_f64()).or(self.memory_limit),
            containers: w.containers.clone(),
            pod_requests: w.pod_requests,
        }
    }

    /// Does the pod as scalesim simulates it differ (its CPU or memory request, its CPU limit,
    /// what the scheduler places it by)?
    pub(crate) fn differs_from(&self, other: &PodResources) -> bool {
        let ne = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() > 1e-9,
            (a, b) => a.is_some() != b.is_some(),
        };
        ne(self.cpu_request, other.cpu_request)
            || ne(self.cpu_limit, other.cpu_limit)
            || ne(self.memory_request, other.memory_request)
            || ne(self.scheduled_memory(), other.scheduled_memory())
    }

    /// What the scheduler places a pod of this template by (cores, bytes): its requests, or
    /// its limits where it sets no request (as the API server defaults them) — the same rule
    /// as `cluster.nodes` applies to the scenario's pods (docs/nodes-and-overload.md).
    pub(crate) fn scheduling_requests(&self) -> (f64, f64) {
        let cpu = self.cpu_request.or(self.cpu_limit).unwrap_or(0.0);
        (cpu, self.scheduled_memory().unwrap_or(0.0))
    }

    fn scheduled_memory(&self) -> Option<f64> {
        self.memory_request.or(self.memory_limit)
    }
}
