//! The Job controller (batch/v1, `NonIndexed` completion mode) for the Jobs a ScaledJob
//! creates: a Job keeps up to `parallelism` pods active until `completions` of them have
//! succeeded (without `completions`: until one has succeeded and every other has exited), is
//! Failed when its `activeDeadlineSeconds` runs out (its active pods killed), and is
//! garbage-collected with its ScaledJob (its pods deleted gracefully, with the Job template's
//! grace period). What each pod does is `jobs:` ([`JobBehaviour`]). The rules, in the
//! project's words: docs/keda.md#what-a-job-does and docs/keda.md#changes-during-a-run.

use super::{Event, PodState, World};
use crate::settings::jobs::JobBehaviour;

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
}

/// The condition a finished Job carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobEnd {
    Complete,
    /// `DeadlineExceeded`.
    Failed,
}

/// One Job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    template: JobTemplate,
    /// Every pod it started, in order (exited ones included, as `kubectl get pods` lists them).
    pods: Vec<u32>,
    succeeded: u32,
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

/// The Jobs of every ScaledJob, by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jobs {
    by_id: Vec<Job>,
}

impl World {
    /// Create a Job at `now`: its first pods start at once.
    pub(crate) fn create_job(&mut self, now: f64, template: JobTemplate) -> u32 {
        let id = self.jobs.by_id.len() as u32;
        self.jobs.by_id.push(Job {
            template,
            pods: Vec::new(),
            succeeded: 0,
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
        for _ in active..want {
            let pod = self.spawn_job_pod(now, t.run);
            self.jobs.by_id[id as usize].pods.push(pod);
            self.pods.by_id[pod as usize].job_id = id;
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
            self.sync_job(now, id);
        }
    }

    /// The Job's `activeDeadlineSeconds` ran out: it is Failed (`DeadlineExceeded`) and its
    /// active pods are killed.
    pub(super) fn job_deadline(&mut self, now: f64, id: u32) {
        let job = &mut self.jobs.by_id[id as usize];
        if job.ended.is_some() || job.deleted {
            return;
        }
        job.ended = Some((JobEnd::Failed, now));
        for pod in job.pods.clone() {
            self.fail_job(now, pod);
        }
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
