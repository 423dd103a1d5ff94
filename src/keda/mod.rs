//! KEDA semantics as pure, testable code: ingest of `keda.sh/v1alpha1` ScaledObject/ScaledJob
//! manifests, validation exactly as KEDA's API server, admission webhook, controller and scaler
//! constructors apply it, the scalers as pure functions of backend state, and KEDA's control
//! loops as state machines driven by a simulated clock.
//!
//! Upstream baseline: kedacore/keda main @ 8b4f083 (after v2.20.2); the semantics are described in `docs/model.md` ("KEDA").
//!
//! Module map (one concept each):
//! * ingest — `manifest` (typed objects as written), [`cluster`] (workloads, HPAs,
//!   LimitRanges, TriggerAuthentications the rules may need), `go` (Go parsing rules),
//!   `params` (KEDA's typed scaler config);
//! * validation — `validate` (entry point [`validate_source`]), `triggers`,
//!   `findings`, `report` (findings + simulation plan), `catalog` (scaler types, signals,
//!   delay classes);
//! * scalers — [`scalers`] (build + `evaluate(observation)`), `cron` (robfig-compatible
//!   schedules), [`metric`] (quantisation, names, activation), `formula` (scalingModifiers);
//! * control loops — `model` (runnable ScaledObject), [`state`], [`operator`] (KEDA's
//!   polling loop), [`executor`] (scale decision), [`metrics_server`] (HPA metric requests),
//!   [`fallback`], [`modifiers`] (composite metric), `generated_hpa`, [`scaledjob`].
//!
//! The rules, in the project's words: docs/keda.md#validation.

//! # Using it from the simulation
//!
//! ```
//! use scalesim::keda::{validate_source, KedaObject, ScaledObjectState, TargetView, Observation};
//! use scalesim::keda::cluster::ClusterObjects;
//! use scalesim::keda::{operator, metrics_server};
//! use scalesim::yaml::Source;
//!
//! let yaml = r#"
//! apiVersion: keda.sh/v1alpha1
//! kind: ScaledObject
//! metadata: {name: worker}
//! spec:
//!   scaleTargetRef: {name: worker}
//!   fallback: {failureThreshold: 2, replicas: 4}
//!   triggers:
//!   - type: aws-sqs-queue
//!     metadata: {queueURL: orders, awsRegion: eu-west-1, identityOwner: operator, queueLength: 10}
//! "#;
//! // 1. Parse and validate (errors → exit code 2 via `report.to_error()`).
//! let report = validate_source(&Source::from_string("so.yaml", yaml), &ClusterObjects::default());
//! assert!(report.to_error().is_none());
//! let Some(KedaObject::ScaledObject(so)) = report.models().next().cloned() else { unreachable!() };
//! let plan = report.objects[0].report.plan.as_ref().unwrap();
//! assert_eq!(plan.triggers[0].metric.as_ref().unwrap().name, "s0-aws-sqs-orders");
//! assert_eq!(so.hpa.min_replicas, 1); // the HPA KEDA generates (legacy behavior: none given)
//!
//! // 2. One poll of KEDA's loop at t = 0 s: the scaler reads the simulated queue.
//! let mut state = ScaledObjectState::new(0.0, so.triggers.len());
//! let backlog = Observation::Sqs(scalesim::keda::scalers::SqsAttributes {
//!     visible: Some(25), not_visible: Some(5), delayed: Some(0),
//! });
//! let scaler = so.triggers[0].scaler.clone();
//! let target = TargetView { spec_replicas: 0, ready_pods: 0 };
//! let poll = operator::poll(&so, &mut state, 0.0, &target, &mut |i| {
//!     scaler.evaluate(&backlog, 0.0, &mut Default::default())
//! });
//! assert!(poll.is_active); // 30 messages > activation 0 → scale 0 → 1
//! assert_eq!(poll.decision.action, scalesim::keda::executor::ScaleAction::SetReplicas { from: 0, to: 1 });
//!
//! // 3. The HPA asks for the metric at t = 15 s while the queue API fails: the 3rd consecutive
//! //    failure (> failureThreshold 2) is replaced by fallback: 10 × 4 replicas.
//! let target = TargetView { spec_replicas: 1, ready_pods: 1 };
//! let name = so.hpa.metrics[0].name.clone();
//! let down = Observation::Unavailable { reason: "throttled".into() };
//! for t in [15.0, 30.0] {
//!     assert!(metrics_server::external_metric_request(&so, &mut state, t, &name, &target,
//!         &mut |_| scaler.evaluate(&down, t, &mut Default::default())).is_err());
//! }
//! let answer = metrics_server::external_metric_request(&so, &mut state, 45.0, &name, &target,
//!     &mut |_| scaler.evaluate(&down, 45.0, &mut Default::default())).unwrap();
//! assert!(answer.fallback_active);
//! assert_eq!(answer.total_milli(), 40_000);
//! ```

pub(crate) mod catalog;
mod changes;
pub mod cluster;
mod cron;
pub mod executor;
pub mod fallback;
mod findings;
mod formula;
pub(crate) mod generated_hpa;
mod go;
pub(crate) mod manifest;
pub mod metric;
pub mod metrics_server;
pub(crate) mod model;
pub mod modifiers;
pub mod operator;
mod params;
pub(crate) mod report;
pub mod scaledjob;
pub mod scalers;
pub mod state;
#[cfg(test)]
mod testutil;
mod triggers;
pub(crate) mod validate;

pub use cron::Schedule;
pub use metric::{FetchError, FetchResult, Reading};
pub use model::ScaledObjectModel;
pub use params::{AuthKnowledge, EnvKnowledge};
pub use report::{Finding, ObjectReport, Severity, SimulationPlan};
pub(crate) use scaledjob::ScaledJobModel;
pub use scalers::{Observation, Scaler};
pub use state::{ScaledObjectState, TargetView};
pub use validate::{KedaObject, SourceReport, ValidatedObject, validate_source};
