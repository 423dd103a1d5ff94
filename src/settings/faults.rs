//! Backend outages (`faults:`) after resolution: which KEDA trigger's backend fails, when, and
//! with which error.

/// A resolved fault window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub(crate) target: String,
    pub(crate) from: f64,
    pub(crate) to: f64,
    pub(crate) error: String,
}
