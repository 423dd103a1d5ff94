//! scalesim: simulate Kubernetes autoscaling (HPA, KEDA) against load traces, offline.
//!
//! The library is the product; the `scalesim` binary is a thin command-line front end.
//! Dependencies flow one way, up the layers of `docs/architecture.md` (kept by the test in
//! `src/layers.rs`): foundations (`units`, `rng`, `error`, `yaml`, …), input formats (`trace`,
//! `manifest`) and the pure controllers (`hpa`, `keda`); `settings`, the resolved run
//! configuration that `scenario` parses YAML into; `engine`, `record`, `world`, `metrics`; `sim`,
//! which drives the controllers against the world through the metrics pipeline; and what is made
//! of runs (`report`, `calibrate`, `backtest`, `check`, `sweep`). Nothing in the library prints or
//! exits.

pub mod backtest;
pub mod calibrate;
pub mod check;
pub mod engine;
pub mod error;
pub mod export;
pub mod hpa;
pub mod keda;
pub mod limits;
pub mod manifest;
pub mod metrics;
pub mod output;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod settings;
pub mod sim;
pub mod sweep;
pub mod text;
pub mod trace;
pub mod units;
pub mod world;
pub mod yaml;

#[cfg(test)]
mod layers;

pub use error::{Error, InputError, Location, Result};
