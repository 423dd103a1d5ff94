//! ScaledObjects paused, unpaused or deleted during the run (`keda_events:`), after
//! resolution: when, which object, what happens. Parsing and checking them is
//! `crate::scenario::keda_events`; carrying them out is `crate::sim::keda_events`.

/// What happens to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KedaAction {
    Pause { replicas: Option<i32> },
    Unpause,
    Delete,
}

/// A resolved event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KedaObjectEvent {
    pub(crate) at: f64,
    /// The ScaledObject's name.
    pub(crate) object: String,
    pub(crate) action: KedaAction,
}
