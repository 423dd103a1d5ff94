//! Scaler unit tests.
