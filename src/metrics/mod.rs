//! The metrics pipeline: how the control plane sees the world, late and coarse, as a real
//! cluster does. Controllers never read the world directly; they read what these backends
//! recorded at their own scrape instants.
//!
//! - [`metrics_server`]: per-pod CPU and memory for Resource metrics;
//! - [`signal`]: the quantities other metrics can expose;
//! - [`backend`]: how they are sampled and delayed (direct, Prometheus, CloudWatch);
//! - [`binding`]: the scenario's `metrics:` block tying metric names to signals and backends.

pub mod backend;
pub mod binding;
pub mod metrics_server;
pub mod signal;

pub use backend::{BackendKind, BackendSpec, BackendTiming, PodValue, Sampler};
pub use binding::{Binding, BindingSpec};
pub use metrics_server::{MetricsServer, PodUsage};
pub use signal::Signal;
