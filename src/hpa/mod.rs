//! The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) controller, exactly as upstream
//! (`kube-controller-manager`, `pkg/controller/podautoscaler`), as a pure decision core.
//!
//! The simulation calls [`reconcile`] once per sync period per HPA with what the real controller
//! would read at that instant ([`Observation`]) and the HPA's [`HpaMemory`]; it applies
//! [`Decision::desired_replicas`] to the scale target when [`Decision::rescale`] is true. Nothing
//! here reads a clock or the simulated world. Semantics are described in `docs/model.md` ("HPA fidelity"; the
//! v1.36/v1.37 line: configurable asymmetric tolerance with an inclusive band, deleted/Failed/
//! Succeeded pods ignored, missing pods at `max(100 %, target)` on scale-down, `ScaledToZero`).
//!
//! Module map:
//! - `spec`: the normalized HPA spec and API-server defaults for `behavior`;
//! - `settings`: the kube-controller-manager flags (`cluster.controller_manager:`);
//! - `observation`: what one reconcile reads (scale, pods, metrics API answers);
//! - `memory`, `status`: recommendation/scale-event history and the HPA status/conditions;
//! - `replica_calc`: one metric → one proposal (`usage_pass`: the same for a utilization target
//!   read from `PodUsages`, in one pass);
//! - `normalize`: stabilization, rate limits, min/max, event slot reuse;
//! - `controller`: one reconcile, several metrics, scale to/from zero, conditions;
//! - `decision`, `reason`: what was decided and why, in `kubectl describe hpa` words;
//! - `manifest`: HorizontalPodAutoscaler YAML ingest with the API server's validation;
//!   `v1_annotations`: the autoscaling/v1 round-trip annotations; `tolerance`: exact tolerances.
//!
//! ```
//! use scalesim::hpa::*;
//! use scalesim::units::Quantity;
//!
//! let spec = HpaSpec {
//!     min_replicas: Some(2),
//!     max_replicas: 10,
//!     metrics: vec![MetricSpec::resource("cpu", MetricTarget::utilization(50))],
//!     behavior: Some(Behavior::default()), // API-server defaults for both directions
//! };
//! let settings = ControllerSettings::default(); // or from `cluster.controller_manager:`
//! let mut memory = HpaMemory::default(); // one per HPA, kept between syncs
//!
//! // What the controller sees at t = 600 s: 3 pods requesting 500m, using 450m each.
//! let pods = (0..3).map(|i| PodObservation::running(&format!("web-{i}"), 0.0, Requests::cpu(500))).collect();
//! let samples = (0..3).map(|i| PodResourceSample::cpu(&format!("web-{i}"), 600.0, 15.0, 450)).collect();
//! let obs = Observation {
//!     now: 600.0,
//!     namespace: "default".into(),
//!     scale: ScaleObservation::replicas(3),
//!     pods,
//!     metrics: vec![MetricReading::PodResources(samples)], // one reading per spec metric
//! };
//! let d = reconcile(&spec, &settings, &mut memory, &obs);
//! assert!(d.rescale);
//! assert_eq!(d.desired_replicas, 6); // 90 % of request against 50 % → ceil(1.8 × 3)
//! assert_eq!(d.metrics[0].current.to_string(), "90% (450m)");
//! assert_eq!(d.reason.to_string(), "New size: 6; reason: cpu resource utilization (percentage of request) above target");
//! assert_eq!(d.condition_reason("ScalingLimited"), Some("DesiredWithinRange"));
//! # let _ = Quantity::from_milli(1);
//! ```
//!
//! The rules, in the project's words: docs/hpa.md.

mod controller;
mod decision;
mod manifest;
mod memory;
mod metric_texts;
pub mod normalize;
pub(crate) mod observation;
mod pod_slots;
mod reason;
mod replica_calc;
mod settings;
pub(crate) mod spec;
mod status;
mod tolerance;
mod usage_pass;
mod v1_annotations;

pub use controller::{MetricEvaluation, evaluate_metric, reconcile};
pub(crate) use controller::{reconcile_listed, viewed_usage_proposal};
pub use decision::{
    CurrentText, Decision, DecisionPath, DecisionReason, EventType, HpaEvent, LimitStep,
    MetricDecision, RescaleReason, StabilizationStep, TargetText, Unchanged, WindowNote,
};
pub(crate) use manifest::{LoadedHpa, load_hpa};
pub use memory::{HpaMemory, Recommendation, ScaleEvent};
pub(crate) use observation::PodStatus;
pub use observation::{
    ConditionStatus, ContainerSpec, ContainerUsage, MetricReading, Observation, PodObservation,
    PodPhase, PodResourceSample, PodResourceUsage, PodValueSample, ReadyCondition, Requests,
    ScaleObservation, SelectorProblem,
};
pub(crate) use pod_slots::PodListToken;
pub use reason::Reason;
pub use replica_calc::{CalcContext, CurrentValue, PodGroups, Proposal, Tolerances};
pub use settings::{ControllerSettings, FeatureGates};
pub use spec::{
    Behavior, EffectiveRules, HpaSpec, LabelSelector, MetricIdentifier, MetricSpec, MetricTarget,
    ObjectReference, PolicyType, ScalingPolicy, ScalingRules, SelectPolicy, TargetType,
    complete_rules, default_scale_down_rules, default_scale_up_rules,
};
pub use status::{Condition, ConditionMessage, ConditionType, HpaStatus};
pub use tolerance::parse_tolerance;
pub(crate) use usage_pass::PassPod;
