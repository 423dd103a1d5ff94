//! Helpers shared by integration tests.
pub mod hpa_vectors;
