//! ScaledJob: no HPA; each poll KEDA computes how many Jobs to create (upstream
//! pkg/scaling/scaledjob/metrics.go, pkg/scaling/executor/scale_jobs.go,
//! apis/keda/v1alpha1/scaledjob_types.go).
//!
//! Per trigger: `queueLength` = its metric value, `target` = its AverageValue target (a `Value`
//! target counts as 0 ⇒ `maxValue` 0), `maxValue = min(queueLength / target, MaxRC)`.
//! Triggers combine by `multipleScalersCalculation` over active ones (`max`: the largest
//! queue > 0 wins, so an active trigger with an empty queue never activates the job; `min`: the
//! smallest, a 0 being overwritten; `avg`; `sum`); `minReplicaCount > 0` forces active.
//! `MaxRC = max − min` (max if min > max; 100 when max is unset), `MinRC = min` (≤ max).
//! Decision: below MinRC running jobs, create the difference; otherwise the strategy
//! (`default`, `custom`, `accurate`, `eager`) gives the effective maximum, and
//! `min(ceil(queue), effective)` Jobs are created while active.
//!
//! The rules, in the project's words: docs/keda.md#scaledjob; what the created jobs do (and
//! the Job spec fields that change their counts, [`JobSpecFacts`]): docs/keda.md#what-a-job-does.

use super::manifest::ScaledJobManifest;
use super::metric::{FetchResult, TargetType, milli_to_f64, quantize};
use super::model::TriggerModel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `scalingStrategy.strategy` as KEDA selects it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobStrategy {
    Default,
    /// `custom` with a parseable `customScalingRunningJobPercentage`.
    Custom {
        deduction: i64,
        percentage: f64,
    },
    Accurate,
    Eager,
}

impl JobStrategy {
    /// `NewScalingStrategy`: `custom` falls back to `default` when the percentage does not
    /// parse as a float (including when it is absent).
    pub fn select(
        strategy: Option<&str>,
        deduction: Option<i32>,
        percentage: Option<&str>,
    ) -> JobStrategy {
        match strategy.unwrap_or("") {
            "custom" => match percentage
                .map(str::trim)
                .and_then(|p| crate::keda::go::parse_float(p).ok())
            {
                Some(p) => JobStrategy::Custom {
                    deduction: deduction.unwrap_or(0) as i64,
                    percentage: p,
                },
                None => JobStrategy::Default,
            },
            "accurate" => JobStrategy::Accurate,
            "eager" => JobStrategy::Eager,
            _ => JobStrategy::Default,
        }
    }

    /// `GetEffectiveMaxScale(maxScale, running, pending, maxReplicaCount, scaleTo)` →
    /// `(effectiveMaxScale, scaleTo)`. `running` is already net of MinRC.
    pub fn effective_max_scale(
        self,
        max_scale: i64,
        running: i64,
        pending: i64,
        max_rc: i64,
        scale_to: i64,
    ) -> (i64, i64) {
        match self {
            JobStrategy::Default => (max_scale - running, scale_to),
            JobStrategy::Custom {
                deduction,
                percentage,
            } => {
                let r = max_scale - deduction - (running as f64 * percentage) as i64;
                (r.min(max_rc), scale_to)
            }
            JobStrategy::Accurate => {
                if max_scale + running - pending > max_rc {
                    (max_rc - running, scale_to)
                } else {
                    (max_scale - pending, scale_to)
                }
            }
            JobStrategy::Eager => ((max_rc - running - pending).min(max_scale), max_rc),
        }
    }
}

/// `multipleScalersCalculation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calculation {
    Max,
    Min,
    Avg,
    Sum,
}

impl Calculation {
    pub fn parse(s: Option<&str>) -> Calculation {
        match s.unwrap_or("") {
            "min" => Calculation::Min,
            "avg" => Calculation::Avg,
            "sum" => Calculation::Sum,
            _ => Calculation::Max,
        }
    }
}

/// One trigger's contribution (`ScalerMetrics`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalerMetrics {
    pub queue_length: f64,
    pub max_value: f64,
    pub is_active: bool,
}

/// `CalculateQueueLengthAndMaxValue` for a trigger with one metric: (queueLength, maxValue).
pub fn queue_length_and_max_value(
    metric_value: f64,
    target_average_value: f64,
    max_rc: i64,
) -> (f64, f64) {
    let max_value = if target_average_value != 0.0 {
        (metric_value / target_average_value).min(max_rc as f64)
    } else {
        0.0
    };
    (metric_value, max_value)
}

/// `IsScaledJobActive` → (active, ceil(queueLength), ceil(maxValue), maxValue).
pub fn combine(
    metrics: &[ScalerMetrics],
    calc: Calculation,
    min_rc: i64,
    max_rc: i64,
) -> (bool, i64, i64, f64) {
    let mut queue = 0.0;
    let mut max_value = 0.0;
    let mut active = false;
    match calc {
        Calculation::Min => {
            for m in metrics {
                if (queue == 0.0 || m.queue_length < queue) && m.is_active {
                    queue = m.queue_length;
                    max_value = m.max_value;
                    active = m.is_active;
                }
            }
        }
        Calculation::Avg => {
            let (mut qs, mut ms, mut n) = (0.0, 0.0, 0);
            for m in metrics.iter().filter(|m| m.is_active) {
                qs += m.queue_length;
                ms += m.max_value;
                active = true;
                n += 1;
            }
            if n != 0 {
                queue = qs / n as f64;
                max_value = ms / n as f64;
            }
        }
        Calculation::Sum => {
            for m in metrics.iter().filter(|m| m.is_active) {
                queue += m.queue_length;
                max_value += m.max_value;
                active = true;
            }
        }
        Calculation::Max => {
            for m in metrics {
                if m.queue_length > queue && m.is_active {
                    queue = m.queue_length;
                    max_value = m.max_value;
                    active = m.is_active;
                }
            }
        }
    }
    if min_rc > 0 {
        active = true;
    }
    let max_value = max_value.min(max_rc as f64);
    (
        active,
        queue.ceil() as i64,
        max_value.ceil() as i64,
        max_value,
    )
}

/// `MaxReplicaCount()`: the scaling budget.
pub fn max_rc(min: Option<i32>, max: Option<i32>) -> i64 {
    match max {
        Some(mx) => match min {
            Some(mn) if mn > mx => mx as i64,
            _ => mx as i64 - min_rc(min, max),
        },
        None => 100,
    }
}

/// `MinReplicaCount()`.
pub fn min_rc(min: Option<i32>, max: Option<i32>) -> i64 {
    match (min, max) {
        (Some(mn), Some(mx)) if mn > mx => mx as i64,
        (Some(mn), _) => mn as i64,
        (None, _) => 0,
    }
}

/// `getScalingDecision` → (effectiveMaxScale, scaleTo), before clamping at 0.
pub fn scaling_decision(
    strategy: JobStrategy,
    min_rc: i64,
    max_rc: i64,
    running: i64,
    scale_to: i64,
    max_scale: i64,
    pending: i64,
) -> (i64, i64) {
    if running < min_rc {
        let n = min_rc - running;
        return (n, n);
    }
    strategy.effective_max_scale(max_scale, running - min_rc, pending, max_rc, scale_to)
}

/// A runnable ScaledJob.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaledJobModel {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) polling_interval_s: f64,
    pub(crate) successful_jobs_history_limit: i32,
    pub(crate) failed_jobs_history_limit: i32,
    pub(crate) min_replica_count: Option<i32>,
    pub(crate) max_replica_count: Option<i32>,
    pub(crate) strategy: JobStrategy,
    pub(crate) calculation: Calculation,
    pub(crate) pending_pod_conditions: Vec<String>,
    pub(crate) paused: bool,
    pub triggers: Vec<TriggerModel>,
    /// The Job spec fields of `jobTargetRef` that change job counts.
    #[serde(skip_serializing_if = "JobSpecFacts::is_unset")]
    pub(crate) job_spec: JobSpecFacts,
    /// `metadata.annotations` as written (a change during the run may set or remove some).
    #[serde(skip)]
    pub(crate) annotation_map: BTreeMap<String, String>,
    /// How KEDA treats the previous version's Jobs when the spec changes.
    #[serde(skip)]
    pub(crate) rollout: JobRollout,
    /// The spec as written: a change to it is a new generation (`metadata.generation`).
    #[serde(skip)]
    pub(crate) spec_text: String,
}

/// What KEDA does with the Jobs of a previous generation when it reconciles a ScaledJob
/// (upstream `deletePreviousVersionScaleJobs`): `gradual` keeps them; any other strategy
/// deletes them, with `rollout.propagationPolicy` (`background` unless `foreground`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum JobRollout {
    Gradual,
    #[default]
    DeleteBackground,
    /// A Job deleted in the foreground stays listed (and counted) until its pods are gone.
    DeleteForeground,
}

impl JobRollout {
    /// From the spec: `rolloutStrategy` when non-empty, else `rollout.strategy`.
    fn read(s: &super::manifest::ScaledJobSpec) -> JobRollout {
        let strategy = s
            .rollout_strategy
            .as_deref()
            .filter(|v| !v.is_empty())
            .or(s.rollout.as_ref().and_then(|r| r.strategy.as_deref()));
        let foreground = s
            .rollout
            .as_ref()
            .and_then(|r| r.propagation_policy.as_deref())
            == Some("foreground");
        match (strategy, foreground) {
            (Some("gradual"), _) => JobRollout::Gradual,
            (_, true) => JobRollout::DeleteForeground,
            (_, false) => JobRollout::DeleteBackground,
        }
    }
}

/// The fields of the ScaledJob's `jobTargetRef` (a batch/v1 JobSpec) that change how many jobs
/// run and for how long, as the Job controller reads them; each `None` when the manifest has
/// none (a value the Job API rejects is a validation error, [`JobSpecFacts::problems`]). What
/// they do: docs/keda.md#what-a-job-does.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub(crate) struct JobSpecFacts {
    /// Seconds from the Job's start after which its pods are killed and it is Failed (≥ 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) active_deadline_seconds: Option<i64>,
    /// Pods the Job runs at once (≥ 0; Kubernetes default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parallelism: Option<i32>,
    /// Successful pods the Job needs (≥ 0); unset, any one pod's success completes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) completions: Option<i32>,
    /// Pod failures retried before the Job is Failed (≥ 0; Kubernetes default 6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backoff_limit: Option<i32>,
    /// `template.spec.terminationGracePeriodSeconds` (≥ 0; Kubernetes default 30): how long a
    /// deleted Job's pods have to exit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) termination_grace_period_seconds: Option<i64>,
    /// `template.spec.restartPolicy`: what a failed container does (KEDA sets `OnFailure`
    /// when the template has none). Not a count, so not in the model's JSON.
    #[serde(skip)]
    pub(crate) restart_policy: JobRestartPolicy,
}

/// A Job pod template's `restartPolicy` (the Job API allows these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum JobRestartPolicy {
    /// The kubelet restarts a failed container in the same pod, after its back-off.
    #[default]
    OnFailure,
    /// A failed container fails its pod; the Job controller creates a new one.
    Never,
}

/// The counted fields: (path under `jobTargetRef`, whether the API holds it in 32 bits).
const COUNTED_FIELDS: [(&str, bool); 5] = [
    ("activeDeadlineSeconds", false),
    ("parallelism", true),
    ("completions", true),
    ("backoffLimit", true),
    ("template.spec.terminationGracePeriodSeconds", false),
];

/// Where a Job's pod template sets its restart policy, under `jobTargetRef`.
const RESTART_POLICY: &str = "template.spec.restartPolicy";

/// The value at a dotted `path` under `job`.
fn at<'v>(job: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(job, |v, k| v.get(k))
}

impl JobSpecFacts {
    /// Read the counted fields from a `jobTargetRef` value.
    pub(crate) fn read(job: Option<&serde_json::Value>) -> JobSpecFacts {
        let int = |key: &str| {
            job.and_then(|j| at(j, key))
                .and_then(serde_json::Value::as_i64)
                .filter(|v| *v >= 0)
        };
        let int32 = |key: &str| int(key).and_then(|v| i32::try_from(v).ok());
        JobSpecFacts {
            active_deadline_seconds: int("activeDeadlineSeconds"),
            parallelism: int32("parallelism"),
            completions: int32("completions"),
            backoff_limit: int32("backoffLimit"),
            termination_grace_period_seconds: int("template.spec.terminationGracePeriodSeconds"),
            restart_policy: match job.and_then(|j| at(j, RESTART_POLICY)?.as_str()) {
                Some("Never") => JobRestartPolicy::Never,
                _ => JobRestartPolicy::OnFailure,
            },
        }
    }

    /// The counted fields the API server rejects when KEDA creates a Job (not a whole number
    /// of the field's size, or negative — upstream `validateJobSpec`), so every Job creation
    /// would fail: (field path under `spec.jobTargetRef`, what is wrong).
    pub(crate) fn problems(job: &serde_json::Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (key, is32) in COUNTED_FIELDS {
            let Some(v) = at(job, key) else { continue };
            let n = v.as_i64().filter(|n| !is32 || i32::try_from(*n).is_ok());
            let problem = match n {
                None => format!(
                    "{v}: must be a whole number{}",
                    if is32 { " (32-bit)" } else { "" }
                ),
                Some(n) if n < 0 => format!("{n}: must be greater than or equal to 0"),
                Some(_) => continue,
            };
            out.push((format!("spec.jobTargetRef.{key}"), problem));
        }
        // KEDA fills an empty policy with OnFailure; the Job API takes only these two.
        if let Some(v) = at(job, RESTART_POLICY)
            && !matches!(v.as_str(), Some("" | "OnFailure" | "Never"))
        {
            out.push((
                format!("spec.jobTargetRef.{RESTART_POLICY}"),
                format!("{v}: supported values: \"OnFailure\", \"Never\""),
            ));
        }
        out
    }

    /// No counted field is set (the restart policy is not one).
    fn is_unset(&self) -> bool {
        JobSpecFacts {
            restart_policy: JobRestartPolicy::default(),
            ..*self
        } == JobSpecFacts::default()
    }

    /// Pods a Job runs at once: `parallelism`, 1 when unset.
    pub(crate) fn parallelism(&self) -> u32 {
        self.parallelism.unwrap_or(1).max(0) as u32
    }

    /// Successful pods a Job needs; None: any one pod's success completes it.
    pub(crate) fn completions(&self) -> Option<u32> {
        self.completions.map(|c| c.max(0) as u32)
    }

    /// Failed pods a Job tolerates: `backoffLimit`, 6 when unset.
    pub(crate) fn backoff_limit(&self) -> u32 {
        self.backoff_limit.unwrap_or(6).max(0) as u32
    }

    /// Seconds a deleted Job's pods have to exit: `terminationGracePeriodSeconds`, 30 unset.
    pub(crate) fn grace_seconds(&self) -> f64 {
        self.termination_grace_period_seconds.unwrap_or(30) as f64
    }
}

impl ScaledJobModel {
    pub(crate) fn max_rc(&self) -> i64 {
        max_rc(self.min_replica_count, self.max_replica_count)
    }
    pub(crate) fn min_rc(&self) -> i64 {
        min_rc(self.min_replica_count, self.max_replica_count)
    }

    /// The non-trigger part of a ScaledJob model from its manifest (defaults applied).
    pub(crate) fn from_manifest(
        m: &ScaledJobManifest,
        triggers: Vec<TriggerModel>,
        paused: bool,
    ) -> ScaledJobModel {
        let s = &m.spec;
        let ss = s.scaling_strategy.clone().unwrap_or_default();
        ScaledJobModel {
            name: m.metadata.name.clone().unwrap_or_default(),
            namespace: m.metadata.namespace.clone(),
            polling_interval_s: s.polling_interval.unwrap_or(30) as f64,
            successful_jobs_history_limit: s.successful_jobs_history_limit.unwrap_or(100),
            failed_jobs_history_limit: s.failed_jobs_history_limit.unwrap_or(100),
            min_replica_count: s.min_replica_count,
            max_replica_count: s.max_replica_count,
            strategy: JobStrategy::select(
                ss.strategy.as_deref(),
                ss.custom_scaling_queue_length_deduction,
                ss.custom_scaling_running_job_percentage
                    .as_ref()
                    .map(|p| p.as_str()),
            ),
            calculation: Calculation::parse(ss.multiple_scalers_calculation.as_deref()),
            pending_pod_conditions: ss.pending_pod_conditions.clone(),
            paused,
            triggers,
            job_spec: JobSpecFacts::read(s.job_target_ref.as_ref()),
            annotation_map: m
                .metadata
                .annotation_pairs()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            rollout: JobRollout::read(s),
            spec_text: serde_json::to_string(s).unwrap_or_default(),
        }
    }
}

/// A pod of a Job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobPod {
    /// `Pending`, `Running`, `Succeeded`, `Failed`.
    pub phase: String,
    /// Pod conditions that are True (e.g. `PodScheduled`, `Ready`).
    #[serde(default)]
    pub true_conditions: Vec<String>,
}

/// A Job of the ScaledJob as KEDA lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: String,
    /// `Some(true)` Complete, `Some(false)` Failed, None still running.
    pub finished: Option<bool>,
    pub completion_time: Option<f64>,
    #[serde(default)]
    pub pods: Vec<JobPod>,
}

/// Running (unfinished) and pending job counts (`getRunningJobCount`, `getPendingJobCount`).
pub(crate) fn count_jobs(jobs: &[JobView], pending_pod_conditions: &[String]) -> (i64, i64) {
    let mut running = 0;
    let mut pending = 0;
    for j in jobs.iter().filter(|j| j.finished.is_none()) {
        running += 1;
        let started = if pending_pod_conditions.is_empty() {
            j.pods
                .iter()
                .any(|p| p.phase == "Running" || p.phase == "Succeeded")
        } else {
            // Upstream counts the distinct listed conditions a pod has True and compares with
            // the list's length (so a duplicated entry can never be fulfilled).
            j.pods.iter().any(|p| {
                let fulfilled: std::collections::BTreeSet<&String> = pending_pod_conditions
                    .iter()
                    .filter(|c| p.true_conditions.contains(c))
                    .collect();
                fulfilled.len() == pending_pod_conditions.len()
            })
        };
        if !started {
            pending += 1;
        }
    }
    (running, pending)
}

/// Finished jobs beyond the history limits, oldest completion first (`cleanUp`).
pub(crate) fn jobs_to_delete(
    jobs: &[JobView],
    successful_limit: i32,
    failed_limit: i32,
) -> Vec<String> {
    let mut out = Vec::new();
    for (ok, limit) in [(true, successful_limit), (false, failed_limit)] {
        let mut done: Vec<&JobView> = jobs.iter().filter(|j| j.finished == Some(ok)).collect();
        done.sort_by(|a, b| {
            a.completion_time
                .unwrap_or(0.0)
                .total_cmp(&b.completion_time.unwrap_or(0.0))
        });
        let excess = done.len().saturating_sub(limit.max(0) as usize);
        out.extend(done.iter().take(excess).map(|j| j.id.clone()));
    }
    out
}

/// KEDA's memory of one ScaledJob.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ScaledJobState {
    pub(crate) last_active_time: Option<f64>,
}

/// One trigger's part of a ScaledJob poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct JobTriggerPoll {
    pub(crate) index: usize,
    pub(crate) metric_name: String,
    pub(crate) queue_length: Option<f64>,
    pub(crate) max_value: Option<f64>,
    pub(crate) active: bool,
    pub(crate) error: Option<String>,
}

/// Everything one ScaledJob poll observed and decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPollDecision {
    pub(crate) time: f64,
    pub(crate) triggers: Vec<JobTriggerPoll>,
    pub is_active: bool,
    pub(crate) is_error: bool,
    pub queue_length: i64,
    pub(crate) max_scale: i64,
    pub running: i64,
    pub pending: i64,
    pub effective_max_scale: i64,
    pub scale_to: i64,
    pub jobs_to_create: i64,
    pub jobs_to_delete: Vec<String>,
    pub(crate) reason: JobPollReason,
}

/// Why a ScaledJob poll created the Jobs it did; its text (in `events.jsonl`) is built when
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobPollReason {
    Paused,
    Inactive,
    /// Active, but the strategy's effective maximum leaves no Job to create.
    AllJobsExist {
        running: i64,
        pending: i64,
    },
    Create {
        scale_to: i64,
        effective: i64,
        create: i64,
    },
}

impl fmt::Display for JobPollReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            JobPollReason::Paused => f.write_str("paused by annotation"),
            JobPollReason::Inactive => f.write_str("inactive: no jobs created"),
            JobPollReason::AllJobsExist { running, pending } => write!(
                f,
                "active, but all requested jobs already exist ({running} running, {pending} pending)"
            ),
            JobPollReason::Create {
                scale_to,
                effective,
                create,
            } => write!(
                f,
                "active: create min(scaleTo {scale_to}, effectiveMaxScale {effective}) = {create} jobs"
            ),
        }
    }
}

impl Serialize for JobPollReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Run one ScaledJob poll at `now`.
pub fn poll(
    model: &ScaledJobModel,
    state: &mut ScaledJobState,
    now: f64,
    jobs: &[JobView],
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> JobPollDecision {
    let (running, pending) = count_jobs(jobs, &model.pending_pod_conditions);
    if model.paused {
        return paused(now, running, pending);
    }
    let delete = jobs_to_delete(
        jobs,
        model.successful_jobs_history_limit,
        model.failed_jobs_history_limit,
    );
    let max_rc = model.max_rc();
    let (metrics, traces, is_error) = poll_triggers(model, max_rc, fetch);
    let (is_active, queue_ceil, max_scale, _) =
        combine(&metrics, model.calculation, model.min_rc(), max_rc);
    let (effective, scale_to) = scaling_decision(
        model.strategy,
        model.min_rc(),
        max_rc,
        running,
        queue_ceil,
        max_scale,
        pending,
    );
    let effective = effective.max(0);
    let create = if is_active && effective > 0 {
        scale_to.min(effective)
    } else {
        0
    };
    if is_active {
        state.last_active_time = Some(now);
    }
    let reason = if !is_active {
        JobPollReason::Inactive
    } else if effective <= 0 {
        JobPollReason::AllJobsExist { running, pending }
    } else {
        JobPollReason::Create {
            scale_to,
            effective,
            create,
        }
    };
    JobPollDecision {
        time: now,
        triggers: traces,
        is_active,
        is_error,
        queue_length: queue_ceil,
        max_scale,
        running,
        pending,
        effective_max_scale: effective,
        scale_to,
        jobs_to_create: create,
        jobs_to_delete: delete,
        reason,
    }
}

/// A paused ScaledJob: nothing is created or deleted.
fn paused(now: f64, running: i64, pending: i64) -> JobPollDecision {
    JobPollDecision {
        time: now,
        triggers: Vec::new(),
        is_active: false,
        is_error: false,
        queue_length: 0,
        max_scale: 0,
        running,
        pending,
        effective_max_scale: 0,
        scale_to: 0,
        jobs_to_create: 0,
        jobs_to_delete: Vec::new(),
        reason: JobPollReason::Paused,
    }
}

/// Fetch each non-cpu/memory trigger: its queue length and maximum (against `max_rc`), the
/// per-trigger trace, and whether any fetch failed.
fn poll_triggers(
    model: &ScaledJobModel,
    max_rc: i64,
    fetch: &mut dyn FnMut(usize) -> FetchResult,
) -> (Vec<ScalerMetrics>, Vec<JobTriggerPoll>, bool) {
    let mut metrics = Vec::new();
    let mut traces = Vec::new();
    let mut is_error = false;
    for t in model.triggers.iter().filter(|t| !t.is_cpu_memory()) {
        let name = t.scaler.metric.name.clone();
        match fetch(t.index) {
            Err(e) => {
                is_error = true;
                traces.push(JobTriggerPoll {
                    index: t.index,
                    metric_name: name,
                    queue_length: None,
                    max_value: None,
                    active: false,
                    error: Some(e.message),
                });
            }
            Ok(r) => {
                let value = milli_to_f64(quantize(r.value));
                let target = match t.scaler.metric.target_type {
                    TargetType::AverageValue => t
                        .scaler
                        .metric
                        .target_milli
                        .map(milli_to_f64)
                        .unwrap_or(0.0),
                    _ => 0.0,
                };
                let (q, mv) = queue_length_and_max_value(value, target, max_rc);
                metrics.push(ScalerMetrics {
                    queue_length: q,
                    max_value: mv,
                    is_active: r.active,
                });
                traces.push(JobTriggerPoll {
                    index: t.index,
                    metric_name: name,
                    queue_length: Some(q),
                    max_value: Some(mv),
                    active: r.active,
                    error: None,
                });
            }
        }
    }
    (metrics, traces, is_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets() {
        assert_eq!(max_rc(Some(2), Some(10)), 8);
        assert_eq!(max_rc(Some(12), Some(10)), 10);
        assert_eq!(
            max_rc(Some(5), None),
            100,
            "100 when max is unset, even with min"
        );
        assert_eq!(min_rc(Some(12), Some(10)), 10);
        assert_eq!(min_rc(None, Some(10)), 0);
    }

    #[test]
    fn every_strategy() {
        assert_eq!(
            JobStrategy::Default.effective_max_scale(5, 2, 0, 10, 1),
            (3, 1)
        );
        let custom = JobStrategy::select(Some("custom"), Some(1), Some("0.5"));
        assert_eq!(custom.effective_max_scale(10, 4, 0, 10, 1), (7, 1));
        assert_eq!(
            JobStrategy::select(Some("custom"), Some(1), None),
            JobStrategy::Default
        );
        assert_eq!(
            JobStrategy::select(Some("custom"), Some(1), Some("x")),
            JobStrategy::Default
        );
        assert_eq!(
            JobStrategy::Accurate.effective_max_scale(5, 2, 0, 5, 1),
            (3, 1)
        );
        assert_eq!(
            JobStrategy::Accurate.effective_max_scale(3, 4, 2, 10, 1),
            (1, 1)
        );
        assert_eq!(
            JobStrategy::Eager.effective_max_scale(4, 3, 0, 10, 1),
            (4, 10)
        );
        assert_eq!(
            JobStrategy::Eager.effective_max_scale(15, 0, 2, 10, 1),
            (8, 10)
        );
    }

    #[test]
    fn combine_quirks() {
        let m = |q: f64, mv: f64, a: bool| ScalerMetrics {
            queue_length: q,
            max_value: mv,
            is_active: a,
        };
        // max: an active trigger with an empty queue never activates.
        assert!(!combine(&[m(0.0, 0.0, true)], Calculation::Max, 0, 100).0);
        // min: 0 is overwritten by the next active trigger.
        assert_eq!(
            combine(
                &[m(0.0, 0.0, true), m(5.0, 5.0, true)],
                Calculation::Min,
                0,
                100
            )
            .1,
            5
        );
        // avg: ceil of averages over active triggers.
        assert_eq!(
            combine(
                &[m(3.0, 3.0, true), m(4.0, 1.5, true), m(9.0, 9.0, false)],
                Calculation::Avg,
                0,
                100
            ),
            (true, 4, 3, 2.25)
        );
        // maxValue capped at MaxRC.
        assert_eq!(
            combine(&[m(50.0, 50.0, true)], Calculation::Sum, 0, 10).2,
            10
        );
    }

    #[test]
    fn pending_and_history() {
        let pod = |phase: &str, conds: &[&str]| JobPod {
            phase: phase.into(),
            true_conditions: conds.iter().map(|s| s.to_string()).collect(),
        };
        let jobs = vec![
            JobView {
                id: "a".into(),
                finished: None,
                completion_time: None,
                pods: vec![pod("Pending", &[])],
            },
            JobView {
                id: "b".into(),
                finished: None,
                completion_time: None,
                pods: vec![pod("Running", &["Ready"])],
            },
            JobView {
                id: "c".into(),
                finished: Some(true),
                completion_time: Some(5.0),
                pods: vec![],
            },
            JobView {
                id: "d".into(),
                finished: Some(true),
                completion_time: Some(1.0),
                pods: vec![],
            },
            JobView {
                id: "e".into(),
                finished: Some(false),
                completion_time: Some(2.0),
                pods: vec![],
            },
        ];
        assert_eq!(count_jobs(&jobs, &[]), (2, 1));
        assert_eq!(count_jobs(&jobs, &["PodScheduled".to_string()]), (2, 2));
        assert_eq!(
            jobs_to_delete(&jobs, 1, 0),
            vec!["d".to_string(), "e".to_string()]
        );
    }

    #[test]
    fn job_spec_facts_read_the_counted_fields() {
        let j = serde_json::json!({"activeDeadlineSeconds": 600, "parallelism": 5,
            "completions": 1, "backoffLimit": 6,
            "template": {"spec": {"terminationGracePeriodSeconds": 5}}});
        let f = JobSpecFacts::read(Some(&j));
        assert_eq!(f.active_deadline_seconds, Some(600));
        assert_eq!(
            (f.parallelism(), f.completions(), f.backoff_limit),
            (5, Some(1), Some(6))
        );
        assert_eq!(f.grace_seconds(), 5.0);
        assert!(JobSpecFacts::problems(&j).is_empty());
        let j = serde_json::json!({"parallelism": 3, "activeDeadlineSeconds": 0});
        let f = JobSpecFacts::read(Some(&j));
        assert_eq!((f.parallelism(), f.active_deadline_seconds), (3, Some(0)));
        assert_eq!((f.completions(), f.grace_seconds()), (None, 30.0));
        assert_eq!(JobSpecFacts::default().parallelism(), 1);
        // Read from a manifest's jobTargetRef; KEDA's default restart policy is OnFailure.
        let m = sj_model("");
        assert_eq!(m.job_spec, JobSpecFacts::default());
        assert_eq!(m.job_spec.restart_policy, JobRestartPolicy::OnFailure);
        let j = serde_json::json!({"template": {"spec": {"restartPolicy": "Never"}}});
        let f = JobSpecFacts::read(Some(&j));
        assert_eq!(f.restart_policy, JobRestartPolicy::Never);
        assert!(f.is_unset(), "not a counted field");
    }

    #[test]
    fn job_spec_values_the_job_api_rejects_are_problems() {
        let j = serde_json::json!({"parallelism": "3", "backoffLimit": -1, "completions": 4294967296u64,
            "activeDeadlineSeconds": 1.5, "template": {"spec": {"terminationGracePeriodSeconds": -2}}});
        let fields: Vec<String> = JobSpecFacts::problems(&j)
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(
            fields,
            [
                "spec.jobTargetRef.activeDeadlineSeconds",
                "spec.jobTargetRef.parallelism",
                "spec.jobTargetRef.completions",
                "spec.jobTargetRef.backoffLimit",
                "spec.jobTargetRef.template.spec.terminationGracePeriodSeconds"
            ]
        );
        let j = serde_json::json!({"template": {"spec": {"restartPolicy": "Always"}}});
        assert_eq!(
            JobSpecFacts::problems(&j),
            [(
                "spec.jobTargetRef.template.spec.restartPolicy".to_string(),
                "\"Always\": supported values: \"OnFailure\", \"Never\"".to_string()
            )]
        );
        for ok in ["", "OnFailure", "Never"] {
            let j = serde_json::json!({"template": {"spec": {"restartPolicy": ok}}});
            assert!(JobSpecFacts::problems(&j).is_empty(), "{ok}");
        }
        let j = serde_json::json!({"completions": -1});
        assert_eq!(
            JobSpecFacts::problems(&j),
            [(
                "spec.jobTargetRef.completions".to_string(),
                "-1: must be greater than or equal to 0".to_string()
            )]
        );
    }

    fn sj_model(spec: &str) -> ScaledJobModel {
        let text = format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {{name: sj}}\nspec:\n  jobTargetRef:\n    template:\n      spec:\n        containers: [{{name: w, image: w}}]\n{spec}  triggers:\n  - type: redis\n    metadata: {{address: 'r:6379', listName: jobs, listLength: '2'}}\n"
        );
        let r = crate::keda::testutil::report(&text);
        match r.objects.into_iter().next().and_then(|o| o.model) {
            Some(crate::keda::validate::KedaObject::ScaledJob(m)) => m,
            other => panic!("not a runnable ScaledJob: {other:?}"),
        }
    }

    fn running(n: usize, pending: usize) -> Vec<JobView> {
        (0..n)
            .map(|i| JobView {
                id: format!("j{i}"),
                finished: None,
                completion_time: None,
                pods: vec![JobPod {
                    phase: if i < pending {
                        "Pending".into()
                    } else {
                        "Running".into()
                    },
                    true_conditions: vec![],
                }],
            })
            .collect()
    }

    fn run(m: &ScaledJobModel, queue: f64, jobs: &[JobView]) -> JobPollDecision {
        let scaler = m.triggers[0].scaler.clone();
        poll(m, &mut ScaledJobState::default(), 0.0, jobs, &mut |_| {
            scaler.evaluate(
                &crate::keda::scalers::Observation::Value { value: queue },
                0.0,
                &mut Default::default(),
            )
        })
    }

    #[test]
    fn poll_strategies_end_to_end() {
        // queue 20 / target 2 = 10 jobs wanted, budget 8, 3 running of which 2 pending.
        let jobs = running(3, 2);
        let d = run(&sj_model("  maxReplicaCount: 8\n"), 20.0, &jobs);
        assert_eq!(
            (d.max_scale, d.effective_max_scale, d.jobs_to_create),
            (8, 5, 5),
            "default: maxScale − running"
        );
        let d = run(
            &sj_model("  maxReplicaCount: 8\n  scalingStrategy: {strategy: accurate}\n"),
            20.0,
            &jobs,
        );
        assert_eq!(
            (d.effective_max_scale, d.jobs_to_create),
            (5, 5),
            "accurate: 8+3−2 > 8 → 8−3"
        );
        let d = run(
            &sj_model("  maxReplicaCount: 8\n  scalingStrategy: {strategy: eager}\n"),
            20.0,
            &jobs,
        );
        assert_eq!(
            (d.effective_max_scale, d.scale_to, d.jobs_to_create),
            (3, 8, 3),
            "eager: min(8−3−2, 8)"
        );
        let d = run(
            &sj_model(
                "  maxReplicaCount: 8\n  scalingStrategy: {strategy: custom, customScalingQueueLengthDeduction: 1, customScalingRunningJobPercentage: '0.5'}\n",
            ),
            20.0,
            &jobs,
        );
        assert_eq!(
            d.effective_max_scale,
            8 - 1 - 1,
            "custom: maxScale − deduction − int(running × 0.5)"
        );
        // Below MinRC: create the difference regardless of the queue and the strategy.
        let d = run(
            &sj_model("  minReplicaCount: 2\n  maxReplicaCount: 8\n"),
            0.0,
            &[],
        );
        assert!(d.is_active);
        assert_eq!(d.jobs_to_create, 2);
        // Inactive: nothing, even with budget.
        let d = run(&sj_model(""), 0.0, &[]);
        assert_eq!((d.is_active, d.jobs_to_create), (false, 0));
        // Paused: nothing at all.
        let mut paused = sj_model("");
        paused.paused = true;
        assert_eq!(run(&paused, 50.0, &[]).jobs_to_create, 0);
    }
}
