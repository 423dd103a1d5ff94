//! scalesim: simulate Kubernetes autoscaling (HPA, KEDA) against load traces, offline.
//!
//! The library is the product; the `scalesim` binary is a thin command-line front end.
//! Dependencies flow one way: `sim` (engine + world + metrics pipeline) drives the controllers
//! (`hpa`, `keda`), which read only what the metrics pipeline shows them; `report` reads finished
//! results. Nothing in the library prints or exits.

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
pub mod sim;
pub mod sweep;
pub mod trace;
pub mod units;
pub mod world;
pub mod yaml;

pub use error::{Error, InputError, Location, Result};
