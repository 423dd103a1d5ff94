//! KEDA semantics as pure, testable code: ingest of `keda.sh/v1alpha1` ScaledObject/ScaledJob
//! manifests, validation exactly as KEDA's API server, admission webhook, controller and scaler
//! constructors apply it, the scalers as pure functions of backend state, and KEDA's control
//! loops as state machines driven by a simulated clock.
//!
//! Upstream baseline: kedacore/keda main @ 8b4f083 (after v2.20.2); see `shared/spec/keda.md`.
//!
//! Module map (one concept each):
//! * ingest — [`manifest`] (typed objects as written), [`cluster`] (workloads, HPAs,
//!   LimitRanges, TriggerAuthentications the rules may need), [`go`] (Go parsing rules),
//!   [`params`] (KEDA's typed scaler config);
//! * validation — [`validate`] (entry point [`validate::validate_source`]), [`triggers`],
//!   [`findings`], [`report`] (findings + simulation plan), [`catalog`] (scaler types, signals,
//!   delay classes);
//! * scalers — [`scalers`] (build + `evaluate(observation)`), [`cron`] (robfig-compatible
//!   schedules), [`metric`] (quantisation, names, activation), [`formula`] (scalingModifiers);
//! * control loops — [`model`] (runnable ScaledObject), [`state`], [`operator`] (KEDA's
//!   polling loop), [`executor`] (scale decision), [`metrics_server`] (HPA metric requests),
//!   [`fallback`], [`modifiers`] (composite metric), [`generated_hpa`], [`scaledjob`].

pub mod catalog;
pub mod cluster;
pub mod cron;
pub mod executor;
pub mod fallback;
pub mod findings;
pub mod formula;
pub mod generated_hpa;
pub mod go;
pub mod manifest;
pub mod metric;
pub mod metrics_server;
pub mod model;
pub mod modifiers;
pub mod operator;
pub mod params;
pub mod report;
pub mod scaledjob;
pub mod scalers;
pub mod state;
#[cfg(test)]
mod testutil;
pub mod triggers;
pub mod validate;

pub use metric::{FetchError, FetchResult, Reading};
pub use model::ScaledObjectModel;
pub use report::{Finding, ObjectReport, Severity, SimulationPlan};
pub use scaledjob::ScaledJobModel;
pub use scalers::{Observation, Scaler};
pub use state::{ScaledObjectState, TargetView};
pub use validate::{KedaObject, SourceReport, ValidatedObject, validate_source};
