//! scalesim: simulate Kubernetes autoscaling (HPA, KEDA) against load traces, offline.
//!
//! The library is the product; the `scalesim` binary is a thin command-line front end.
//! Dependencies flow one way, up the layers of `docs/architecture.md` (kept by the test in
//! `src/layers.rs`): foundations (`units`, `rng`, `error`, `yaml`, …), input formats (`trace`,
//! `manifest`) and the pure controllers (`hpa`, `keda`); `settings`, the resolved run
//! configuration that `scenario` parses YAML into; `engine`, `record`, `world`, `metrics`; `sim`,
//! which drives the controllers against the world through the metrics pipeline; what is made of
//! runs (`report`, `calibrate`, `backtest`, `check`, `sweep`); and on top `cli`, the command line,
//! the only module that prints or decides an exit code (`main.rs` just calls [`cli::main`]).
//!
//! ## The public API
//! Modules are private, and items `pub(crate)`, unless they are one of these, deliberately public
//! so that other programs (and this crate's integration tests and benchmarks) can use them:
//! - [`cli::main`], the whole command line;
//! - the controllers as pure functions: [`hpa`] (the HorizontalPodAutoscaler's replica
//!   calculation and behavior rules) and [`keda`] (ScaledObject/ScaledJob validation, scalers,
//!   the operator's decisions) — the conformance runners drive them directly;
//! - loading and running: [`scenario`], [`sim`], [`sweep`], [`check`], [`calibrate`], [`trace`],
//!   [`yaml`], [`units`], and what is made of a run ([`report`], [`record`]) (the simulated
//!   cluster, `world`, is private: its property tests are unit tests in `src/world/properties.rs`);
//! - the error types [`Error`], [`InputError`], [`Location`], [`Result`].

mod backtest;
pub mod calibrate;
pub mod check;
pub mod cli;
mod engine;
pub mod error;
mod export;
pub mod hpa;
pub mod keda;
mod limits;
mod manifest;
mod metrics;
mod numeric;
mod output;
pub mod record;
pub mod report;
mod rng;
pub mod scenario;
mod settings;
pub mod sim;
pub mod sweep;
mod text;
pub mod trace;
pub mod units;
mod world;
pub mod yaml;

#[cfg(test)]
mod layers;

pub use error::{Error, InputError, Location, Result};
