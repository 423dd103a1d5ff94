//! KEDA semantics.
pub mod catalog;
pub mod cron;
pub mod go;
pub mod manifest;
pub mod metric;
pub mod params;
pub mod scalers;
