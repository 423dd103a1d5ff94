//! The metrics pipeline: how the control plane sees the world, late and coarse, as a real
//! cluster does. Controllers never read the world directly; they read what these backends
//! recorded at their own scrape instants.
//!
//! - [`metrics_server`]: per-pod CPU and memory for Resource metrics;
//! - [`signal`]: the quantities other metrics can expose;
//! - [`backend`]: how they are sampled and delayed (direct, Prometheus, CloudWatch);
//! - [`phases`]: when each of them samples, on the run's grid or on seeded phases
//!   (`docs/metrics-pipeline.md`);
//! - [`binding`]: the scenario's `metrics:` block tying metric names to signals and backends.

pub(crate) mod backend;
pub(crate) mod metrics_server;
pub(crate) mod phases;

pub(crate) use backend::Sampler;
// The metric settings (kinds, timings, bindings, signals) live in `crate::settings`; re-exported
// here for the layers above that name them by these paths.
pub(crate) use crate::settings::backend::{BackendKind, BackendTiming};
pub(crate) use crate::settings::signal::Signal;
pub(crate) use metrics_server::MetricsServer;
