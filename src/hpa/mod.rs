//! The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) controller, exactly as upstream
//! (`kube-controller-manager`, `pkg/controller/podautoscaler`), as a pure decision core.
//!
//! The simulation calls [`reconcile`] once per sync period per HPA with what the real controller
//! would read at that instant ([`Observation`]) and the HPA's [`HpaMemory`]; it applies
//! [`Decision::desired_replicas`] to the scale target when [`Decision::rescale`] is true. Nothing
//! here reads a clock or the simulated world. Semantics follow `shared/spec/hpa.md` (the
//! v1.36/v1.37 line: configurable asymmetric tolerance with an inclusive band, deleted/Failed/
//! Succeeded pods ignored, missing pods at `max(100 %, target)` on scale-down, `ScaledToZero`).
//!
//! Module map:
//! - [`spec`]: the normalized HPA spec and API-server defaults for `behavior`;
//! - [`settings`]: the kube-controller-manager flags (`cluster.controller_manager:`);
//! - [`observation`]: what one reconcile reads (scale, pods, metrics API answers);
//! - [`memory`], [`status`]: recommendation/scale-event history and the HPA status/conditions;
//! - [`replica_calc`]: one metric → one proposal;
//! - [`normalize`]: stabilization, rate limits, min/max, event slot reuse;
//! - [`controller`]: one reconcile, several metrics, scale to/from zero, conditions;
//! - [`decision`], [`explain`]: what was decided and why, in `kubectl describe hpa` words;
//! - [`manifest`]: HorizontalPodAutoscaler YAML ingest with the API server's validation.

pub mod controller;
pub mod decision;
pub mod explain;
pub mod manifest;
pub mod memory;
pub mod normalize;
pub mod observation;
pub mod replica_calc;
pub mod settings;
pub mod spec;
pub mod status;

pub use controller::reconcile;
pub use decision::{
    Decision, DecisionPath, HpaEvent, LimitStep, MetricDecision, StabilizationStep,
};
pub use manifest::{LoadedHpa, load_hpa};
pub use memory::{HpaMemory, Recommendation, ScaleEvent};
pub use observation::{
    ConditionStatus, ContainerSpec, ContainerUsage, MetricReading, Observation, PodObservation,
    PodPhase, PodResourceSample, PodValueSample, ReadyCondition, Requests, ScaleObservation,
    SelectorProblem,
};
pub use settings::{ControllerSettings, FeatureGates};
pub use spec::{
    Behavior, HpaSpec, LabelSelector, MetricIdentifier, MetricSpec, MetricTarget, ObjectReference,
    PolicyType, ScalingPolicy, ScalingRules, SelectPolicy, TargetType,
};
pub use status::{Condition, ConditionType, HpaStatus};
