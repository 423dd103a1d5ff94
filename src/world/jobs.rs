//! The Job controller (batch/v1, `NonIndexed` completion mode) for the Jobs a ScaledJob
//! creates: a Job keeps up to `parallelism` pods active until `completions` of them have
//! succeeded (without `completions`: until one has succeeded and every other has exited), is
//! Failed when its `activeDeadlineSeconds` runs out (its active pods killed) or when more pods
//! failed than its `backoffLimit` allows (`jobs.failure_probability`: each failed pod replaced
//! after the pod-failure back-off, 10 s doubling up to 10 min), and is garbage-collected with its ScaledJob (its pods deleted gracefully, with the Job template's
//! grace period). What each pod does is `jobs:` ([`JobBehaviour`]). The rules, in the
//! project's words: docs/keda.md#what-a-job-does and docs/keda.md#changes-during-a-run.

use super::{Event, PodEventKind, PodState, World};
use crate::rng::Stream;
use crate::settings::jobs::JobBehaviour;

/// Upstream `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff` (seconds).
const POD_FAILURE_BACKOFF: (f64, f64) = (10.0, 600.0);

/// What one Job runs: the counted fields of the ScaledJob's `jobTargetRef` and the scenario's
/// `jobs:`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct JobTemplate {
    pub(crate) run: JobBehaviour,
    /// Pods active at once at most.
    pub(crate) parallelism: u32,
    /// Successful pods the Job needs; None: any one success completes it.
    pub(crate) completions: Option<u32>,
    /// `activeDeadlineSeconds`, from the Job's creation.
    pub(crate) deadline: Option<f64>,
    /// The pods' `terminationGracePeriodSeconds` (when the Job is deleted).
    pub(crate) grace: f64,
    /// Failed pods tolerated: one more fails the Job (`backoffLimit`, default 6).
    pub(crate) backoff_limit: u32,
}

/// The condition a finished Job carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobEnd {
    Complete,
    /// `DeadlineExceeded` or `BackoffLimitExceeded`.
    Failed,
}

/// One Job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    template: JobTemplate,
    /// Every pod it started, in order (exited ones included, as `kubectl get pods` lists them).
    pods: Vec<u32>,
    succeeded: u32,
    failed: u32,
    /// Failed pods since the last success (the back-off's exponent).
    failures_in_a_row: u32,
    /// No pod is created before this instant (the pod-failure back-off).
    create_after: f64,
    ended: Option<(JobEnd, f64)>,
    deleted: bool,
}

impl Job {
    pub(crate) fn pods(&self) -> &[u32] {
        &self.pods
    }

    /// Its Complete or Failed condition and when it was set; None while it runs.
    pub(crate) fn ended(&self) -> Option<(JobEnd, f64)> {
        self.ended
    }
}

/// The Jobs of every ScaledJob, by id, and the draws of which of their pods fail.
#[derive(Debug, Clone)]
pub(crate) struct Jobs {
    by_id: Vec<Job>,
    rng: Stream,
}

impl Jobs {
    pub(crate) fn new(seed: u64) -> Jobs {
        Jobs {
            by_id: Vec::new(),
            rng: Stream::new(seed, "job-failures"),
        }
    }
}

impl World {
    /// Create a Job at `now`: its first pods start at once.
    pub(crate) fn create_job(&mut self, now: f64, template: JobTemplate) -> u32 {
        let id = self.jobs.by_id.len() as u32;
        self.jobs.by_id.push(Job {
            template,
            pods: Vec::new(),
            succeeded: 0,
            failed: 0,
            failures_in_a_row: 0,
            create_after: now,
            ended: None,
            deleted: false,
        });
        if let Some(d) = template.deadline {
            self.agenda
                .schedule(now + d, Event::JobDeadline { job: id });
        }
        self.sync_job(now, id);
        id
    }

    pub(crate) fn job(&self, id: u32) -> &Job {
        &self.jobs.by_id[id as usize]
    }

    /// The Job controller's sync: the Job is Complete once it has its successes and no pod
    /// is active; otherwise it starts pods up to the number it wants active (upstream
    /// `syncJob` and `manageJob`).
    fn sync_job(&mut self, now: f64, id: u32) {
        let job = &self.jobs.by_id[id as usize];
        if job.ended.is_some() || job.deleted {
            return;
        }
        let active = job
            .pods
            .iter()
            .filter(|&&p| self.pods.by_id[p as usize].state != PodState::Gone)
            .count() as u32;
        let (t, succeeded) = (job.template, job.succeeded);
        let (complete, want) = match t.completions {
            None if succeeded > 0 => (active == 0, active),
            None => (false, t.parallelism),
            Some(c) => (
                succeeded >= c && active == 0,
                c.saturating_sub(succeeded).min(t.parallelism),
            ),
        };
        if complete {
            self.jobs.by_id[id as usize].ended = Some((JobEnd::Complete, now));
            return;
        }
        if now < job.create_after {
            return; // backing off after a failed pod: its JobSync comes
        }
        for _ in active..want {
            let pod = self.spawn_job_pod(now, t.run);
            let p = t.run.failure_probability;
            let fails = p > 0.0 && self.jobs.rng.uniform() < p;
            self.jobs.by_id[id as usize].pods.push(pod);
            let pod = &mut self.pods.by_id[pod as usize];
            pod.job_id = id;
            pod.job_fails = fails;
        }
    }

    /// A pod of a Job failed (its container exited non-zero): the Job is Failed once more pods
    /// failed than `backoffLimit` (`BackoffLimitExceeded`, its other pods killed); otherwise
    /// its replacement is created after the back-off (10 s, doubling per failure since the last
    /// success, at most 10 min).
    pub(super) fn job_pod_failed(&mut self, now: f64, pod: u32) {
        let id = self.pods.by_id[pod as usize].job_id;
        let job = &mut self.jobs.by_id[id as usize];
        if job.ended.is_some() || job.deleted {
            return;
        }
        job.failed += 1;
        job.failures_in_a_row += 1;
        if job.failed > job.template.backoff_limit {
            self.end_failed(now, id);
            return;
        }
        let (base, max) = POD_FAILURE_BACKOFF;
        let delay = (base * 2f64.powi(job.failures_in_a_row as i32 - 1)).min(max);
        job.create_after = now + delay;
        self.agenda
            .schedule(now + delay, Event::JobSync { job: id });
        self.sync_job(now, id);
    }

    /// The Job controller syncs Job `id` (its back-off over).
    pub(super) fn on_job_sync(&mut self, now: f64, id: u32) {
        self.sync_job(now, id);
    }

    /// A job pod's container exits non-zero: the pod is Failed.
    pub(super) fn fail_job_pod(&mut self, now: f64, pod: u32) {
        self.pods.by_id[pod as usize].job_failed = true;
        self.end_job(now, pod, PodEventKind::Failed, None);
        self.job_pod_failed(now, pod);
    }

    /// The Job is Failed at `now`: its active pods are killed.
    fn end_failed(&mut self, now: f64, id: u32) {
        let job = &mut self.jobs.by_id[id as usize];
        job.ended = Some((JobEnd::Failed, now));
        for pod in job.pods.clone() {
            self.fail_job(now, pod);
        }
    }

    /// A pod of a Job succeeded (its container exited 0): the controller counts it and syncs.
    pub(super) fn job_pod_succeeded(&mut self, now: f64, pod: u32) {
        let id = self.pods.by_id[pod as usize].job_id;
        let Some(job) = self.jobs.by_id.get_mut(id as usize) else {
            return;
        };
        if job.ended.is_none() && !job.deleted {
            job.succeeded += 1;
            job.failures_in_a_row = 0;
            self.sync_job(now, id);
        }
    }

    /// The Job's `activeDeadlineSeconds` ran out: it is Failed (`DeadlineExceeded`) and its
    /// active pods are killed.
    pub(super) fn job_deadline(&mut self, now: f64, id: u32) {
        let job = &self.jobs.by_id[id as usize];
        if job.ended.is_some() || job.deleted {
            return;
        }
        self.end_failed(now, id);
    }

    /// The Job is deleted — its ScaledJob was, and the garbage collector removes its
    /// dependents: every pod not yet gone is deleted as any pod is (SIGTERM at once — a Job
    /// pod has no endpoints to leave nor preStop hook here — and killed after the grace period).
    pub(crate) fn delete_job(&mut self, now: f64, id: u32) {
        let job = &mut self.jobs.by_id[id as usize];
        if std::mem::replace(&mut job.deleted, true) {
            return;
        }
        let grace = job.template.grace;
        for pod in job.pods.clone() {
            self.terminate_with(now, pod, 0.0, grace);
        }
    }
}
