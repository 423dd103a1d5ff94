//! The autoscalers a run simulates, as loaded and validated from its manifests: HPAs,
//! ScaledObjects and ScaledJobs, the workloads found beside them, and notes on what is not
//! modelled. Loading them is `crate::scenario::autoscalers`.

use crate::hpa::LoadedHpa;
use crate::keda::{ScaledJobModel, ScaledObjectModel};
use crate::manifest::deployment::PodTemplateFacts;

/// What the autoscaler manifests contained.
#[derive(Debug, Clone, Default)]
pub struct Autoscalers {
    pub hpas: Vec<LoadedHpa>,
    pub(crate) scaled_objects: Vec<ScaledObjectModel>,
    pub(crate) scaled_jobs: Vec<ScaledJobModel>,
    /// Workloads found beside the autoscalers (used for pod facts when `pods.manifest` is absent).
    pub(crate) workloads: Vec<PodTemplateFacts>,
    /// One line per document or field that is not modelled, and KEDA's warnings.
    pub(crate) notes: Vec<String>,
}
