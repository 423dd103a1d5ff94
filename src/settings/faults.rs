//! Backend outages (`faults:`) after resolution: which KEDA trigger's backend fails, when, and
//! with which error.

/// A resolved fault window.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub target: String,
    pub from: f64,
    pub to: f64,
    pub error: String,
}
