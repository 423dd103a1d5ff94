//! What one HPA carries from one reconcile to the next: the controller's in-memory
//! recommendation and scale-event histories (lost on a controller restart, docs/hpa.md#sync-loop), and the
//! HPA object's status (kept in the API server).

use super::metric_texts::MetricTexts;
use super::pod_slots::PodIndex;
use super::status::HpaStatus;
use serde::Serialize;

/// A recorded raw proposal `P` and when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Recommendation {
    pub replicas: i32,
    /// Seconds.
    pub time: f64,
}

/// A past rescale in one direction (`change > 0`) with the "outdated" flag used for slot reuse.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScaleEvent {
    pub change: i32,
    /// Seconds.
    pub time: f64,
    pub outdated: bool,
}

/// Per-HPA memory between reconciles.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HpaMemory {
    /// Recommendation history; `None` until the first reconcile after a controller start (which
    /// then records the current replica count, docs/hpa.md#reconcile).
    pub recommendations: Option<Vec<Recommendation>>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
    /// The HPA object's status (conditions, desired replicas, last scale time).
    pub status: HpaStatus,
    /// The slots of the last reconcile's pod names, reused while the selector returns the same
    /// names (docs/performance.md, "HPA decision core"). A cache: it never changes a decision,
    /// and two memories that differ only in it are equal.
    #[serde(skip)]
    pub(crate) pod_index: PodIndex,
    /// The texts of the spec's metrics, spelled once (a cache like `pod_index`).
    #[serde(skip)]
    pub(crate) metric_texts: MetricTexts,
}

impl HpaMemory {
    /// A controller restart: the in-memory histories are gone, the object's status is not.
    pub(crate) fn restart_controller(&mut self) {
        self.recommendations = None;
        self.scale_up_events.clear();
        self.scale_down_events.clear();
    }
}
