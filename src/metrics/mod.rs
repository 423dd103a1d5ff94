//! The metrics pipeline: how the control plane sees the world, late and coarse, as a real
//! cluster does. Controllers never read the world directly; they read what these backends
//! recorded at their own scrape instants.

pub mod metrics_server;

pub use metrics_server::{MetricsServer, PodUsage};
