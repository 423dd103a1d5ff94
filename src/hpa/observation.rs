//! What the controller sees at one instant `now`: the scale subresource, the pods the selector
//! returns, and what each metrics API answers for each metric of the spec.
//!
//! The simulation builds one [`Observation`] per sync from its simulated pods and its simulated
//! metrics pipeline (with that pipeline's delays and staleness). All quantities are integer
//! milli-units (CPU millicores, memory milli-bytes), as `Quantity.MilliValue()` gives them; all
//! times are seconds on the simulation clock.

use serde::Serialize;
use std::sync::Arc;

/// A pod or container name: shared, so the observation built every sync clones it cheaply.
pub(crate) type Name = Arc<str>;

/// Everything one reconcile reads.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Observation {
    /// The evaluation instant (seconds); every window is relative to it.
    pub now: f64,
    /// The HPA's namespace, for the controller's messages (`default` when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub scale: ScaleObservation,
    /// Pods matching the target's selector, in the HPA's namespace (every ReplicaSet of a rollout).
    pub pods: Vec<PodObservation>,
    /// One reading per metric of `spec.effective_metrics()`, in the same order. A missing entry
    /// makes that metric fail ("no reading").
    pub metrics: Vec<MetricReading>,
}

/// The target's scale subresource (and what would happen when the controller writes it).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ScaleObservation {
    /// `scale.spec.replicas`: the workload's desired count (the HPA's "current replicas").
    pub spec_replicas: i32,
    /// `scale.status.replicas`: pods the workload currently has (surge pods included).
    pub status_replicas: i32,
    /// Reading the scale subresource fails with this message (`FailedGetScale`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_error: Option<String>,
    /// A problem with `scale.status.selector`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector_problem: Option<SelectorProblem>,
    /// Writing `scale.spec.replicas` would fail with this message (`FailedUpdateScale`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_error: Option<String>,
}

impl ScaleObservation {
    /// A readable, writable scale with `spec.replicas = status.replicas = replicas`.
    pub fn replicas(replicas: i32) -> Self {
        ScaleObservation {
            spec_replicas: replicas,
            status_replicas: replicas,
            ..Default::default()
        }
    }
}

/// Why the target's selector cannot be used (`ScalingActive=False`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SelectorProblem {
    /// The scale subresource has no selector (`InvalidSelector`, "selector is required").
    Missing,
    /// The selector does not parse (`InvalidSelector`).
    Invalid(String),
    /// The selected pods are also selected by these other HPAs (`AmbiguousSelector`).
    Ambiguous(Vec<String>),
}

/// A pod's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum PodPhase {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
    Unknown,
}

/// A condition status as the API writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum ConditionStatus {
    #[default]
    True,
    False,
    Unknown,
}

impl std::fmt::Display for ConditionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        })
    }
}

/// The pod's `PodReady` condition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReadyCondition {
    pub status: ConditionStatus,
    /// `lastTransitionTime` (seconds).
    pub last_transition_time: f64,
}

/// Requests of one container (or of the pod, with pod-level resources), milli-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Requests {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_milli: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_milli: Option<i64>,
}

impl Requests {
    pub fn cpu(milli: i64) -> Self {
        Requests {
            cpu_milli: Some(milli),
            memory_milli: None,
        }
    }
    /// The request for a resource name (`cpu`, `memory`); other names have none.
    pub(crate) fn get(&self, resource: &str) -> Option<i64> {
        match resource {
            "cpu" => self.cpu_milli,
            "memory" => self.memory_milli,
            _ => None,
        }
    }
}

/// A container of the pod spec: a regular container, a restartable (sidecar) init container,
/// or an ordinary init container. Init containers (sidecar or not) are listed in their
/// `initContainers` order, after or among the regular ones.
///
/// The per-container request sum counts regular containers and sidecars only; ordinary init
/// containers matter only to the pod-level aggregate (`resourcehelpers.PodRequests`, used with
/// pod-level resources), where the peak of the init phase can exceed the running pod's sum.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ContainerSpec {
    pub name: Name,
    pub requests: Requests,
    /// An init container with `restartPolicy: Always`.
    pub sidecar: bool,
    /// An ordinary (run-to-completion) init container.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
}

/// One pod returned by the selector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodObservation {
    pub name: Name,
    pub phase: PodPhase,
    /// The `PodReady` condition; `None` when the pod has none yet.
    pub ready: Option<ReadyCondition>,
    /// `metadata.deletionTimestamp` is set (terminating).
    pub deleting: bool,
    /// `status.startTime`; `None` before the kubelet accepted the pod.
    pub start_time: Option<f64>,
    /// Shared: the simulation's pods all have the same containers, cloned every sync.
    pub containers: Arc<[ContainerSpec]>,
    /// Pod-level `spec.resources.requests` (PodLevelResources), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_requests: Option<Requests>,
    /// `spec.overhead` (set by the RuntimeClass); added to the pod-level aggregate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Requests>,
}

/// What the pod grouping reads of a pod's status: its phase, `PodReady` condition, deletion and
/// `status.startTime` (see [`PodObservation`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PodStatus {
    pub(crate) phase: PodPhase,
    pub(crate) ready: Option<ReadyCondition>,
    pub(crate) deleting: bool,
    pub(crate) start_time: Option<f64>,
}

impl PodObservation {
    /// The pod's status fields.
    pub(crate) fn status(&self) -> PodStatus {
        PodStatus {
            phase: self.phase,
            ready: self.ready,
            deleting: self.deleting,
            start_time: self.start_time,
        }
    }

    /// Write the pod's status fields.
    pub(crate) fn set_status(&mut self, s: PodStatus) {
        self.phase = s.phase;
        self.ready = s.ready;
        self.deleting = s.deleting;
        self.start_time = s.start_time;
    }

    /// A Running, Ready pod started at `start_time` (ready since then) with one container.
    pub fn running(name: &str, start_time: f64, requests: Requests) -> Self {
        PodObservation {
            name: name.into(),
            phase: PodPhase::Running,
            ready: Some(ReadyCondition {
                status: ConditionStatus::True,
                last_transition_time: start_time,
            }),
            deleting: false,
            start_time: Some(start_time),
            containers: vec![ContainerSpec {
                name: "app".into(),
                requests,
                sidecar: false,
                init: false,
            }]
            .into(),
            pod_requests: None,
            overhead: None,
        }
    }

    /// Phase Running and `PodReady=True` (what `getReadyPodsCount` counts for Object/External).
    pub(crate) fn is_running_and_ready(&self) -> bool {
        self.phase == PodPhase::Running
            && self
                .ready
                .is_some_and(|r| r.status == ConditionStatus::True)
    }
}

/// What the metrics APIs answer for one metric of the spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum MetricReading {
    /// metrics-server `PodMetrics` for the selector (Resource / ContainerResource metrics).
    PodResources(Vec<PodResourceSample>),
    /// The same answer in the simulation's shape, read without pod names: entry `i` is the
    /// sample of `Observation::pods[i]` (entries past the pods are ignored). It means exactly
    /// what [`PodResourceUsage::as_sample`] of every entry means as a `PodResources` reading
    /// (docs/performance.md, "HPA decision core").
    PodUsages(Vec<Option<PodResourceUsage>>),
    /// Custom metrics API per-pod values (Pods metrics).
    PodValues(Vec<PodValueSample>),
    /// Custom metrics API value for the described object (Object metrics), milli-units.
    ObjectValue { value_milli: i64 },
    /// External metrics API series values (External metrics; the controller sums them), milli-units.
    ExternalValues(Vec<i64>),
    /// The API call fails with this message.
    Error(String),
}

/// One pod's entry from metrics-server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodResourceSample {
    pub pod: Name,
    /// Sample timestamp (end of its window), seconds.
    pub timestamp: f64,
    /// The window the usage was averaged over (metrics-server resolution), seconds.
    pub window: f64,
    pub containers: Vec<ContainerUsage>,
}

/// One container's usage in a metrics-server sample, milli-units; `None` = not reported.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ContainerUsage {
    pub name: Name,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_milli: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_milli: Option<i64>,
}

impl ContainerUsage {
    pub(crate) fn get(&self, resource: &str) -> Option<i64> {
        match resource {
            "cpu" => self.cpu_milli,
            "memory" => self.memory_milli,
            _ => None,
        }
    }
}

impl PodResourceSample {
    /// A sample with one container `app` using `cpu_milli`.
    pub fn cpu(pod: &str, timestamp: f64, window: f64, cpu_milli: i64) -> Self {
        PodResourceSample {
            pod: pod.into(),
            timestamp,
            window,
            containers: vec![ContainerUsage {
                name: "app".into(),
                cpu_milli: Some(cpu_milli),
                memory_milli: None,
            }],
        }
    }
}

/// One pod's metrics-server sample when all its usage is in one container: the container at
/// `main` in the pod's `containers` uses `cpu_milli` and `memory_milli`, every other container
/// reports zero of both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PodResourceUsage {
    /// Sample timestamp (end of its window), seconds.
    pub timestamp: f64,
    /// The window the usage was averaged over, seconds.
    pub window: f64,
    /// The index of the working container in the pod's `containers`.
    pub main: usize,
    pub cpu_milli: i64,
    pub memory_milli: i64,
}

impl PodResourceUsage {
    /// The metrics-server sample of `pod` this usage stands for.
    pub fn as_sample(&self, pod: &PodObservation) -> PodResourceSample {
        PodResourceSample {
            pod: pod.name.clone(),
            timestamp: self.timestamp,
            window: self.window,
            containers: pod
                .containers
                .iter()
                .enumerate()
                .map(|(i, c)| ContainerUsage {
                    name: c.name.clone(),
                    cpu_milli: Some(if i == self.main { self.cpu_milli } else { 0 }),
                    memory_milli: Some(if i == self.main { self.memory_milli } else { 0 }),
                })
                .collect(),
        }
    }
}

/// One pod's value of a custom per-pod metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodValueSample {
    pub pod: Name,
    pub value_milli: i64,
    pub timestamp: f64,
    pub window: f64,
}
