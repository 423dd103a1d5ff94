//! The Job controller (batch/v1, `NonIndexed` completion mode) for the Jobs a ScaledJob
//! creates: a Job keeps up to `parallelism` pods active until `completions` of them have
//! succeeded (without `completions`: until one has succeeded and every other has exited), is
//! Failed when its `activeDeadlineSeconds` runs out (its active pods killed) or when its
//! containers failed more than its `backoffLimit` allows (`jobs.failure_probability`): with
//! `restartPolicy: Never` each failed pod is replaced after the pod-failure back-off, 10 s
//! doubling up to 10 min, and the Job fails once more pods failed than the limit; with
//! `OnFailure` the kubelet restarts the failed container in the same pod after its
//! CrashLoopBackOff (at once, then 10 s doubling up to 5 min) and the Job fails once its
//! running pods' restart counts add up to the limit (upstream `pastBackoffLimitOnFailure`).
//! A Job is garbage-collected with its ScaledJob (its pods deleted gracefully, with the Job
//! template's grace period). What each pod does is `jobs:` ([`JobBehaviour`]). The rules, in
//! the project's words: docs/keda.md#what-a-job-does and docs/keda.md#changes-during-a-run.

use super::{Event, PodEventKind, PodState, World};
use crate::keda::scaledjob::JobRestartPolicy;
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
    /// What a failed container does: a new pod (`Never`) or a restart in place (`OnFailure`).
    pub(crate) restart_policy: JobRestartPolicy,
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
            let fails = self.draw_job_failure(t.run);
            self.jobs.by_id[id as usize].pods.push(pod);
            let pod = &mut self.pods.by_id[pod as usize];
            pod.job_id = id;
            pod.job_fails = fails;
        }
    }

    /// Does the container about to run fail (`jobs.failure_probability`)? Nothing is drawn
    /// when it cannot.
    fn draw_job_failure(&mut self, run: JobBehaviour) -> bool {
        let p = run.failure_probability;
        p > 0.0 && self.jobs.rng.uniform() < p
    }

    /// A job's container exited non-zero: with `restartPolicy: Never` its pod is Failed,
    /// with `OnFailure` the kubelet restarts the container in the same pod.
    pub(super) fn job_container_failed(&mut self, now: f64, pod: u32) {
        let id = self.pods.by_id[pod as usize].job_id;
        match self.jobs.by_id[id as usize].template.restart_policy {
            JobRestartPolicy::Never => self.fail_job_pod(now, pod),
            JobRestartPolicy::OnFailure => self.restart_job_container(now, pod),
        }
    }

    /// `restartPolicy: OnFailure`: the pod stays Running and not Ready while the kubelet
    /// waits out the container's CrashLoopBackOff (counted from its death: at once the first
    /// time, then 10 s, 20 s … up to 5 min, forgotten once a container has run 10 minutes),
    /// then creates a new container ([`Self::on_job_container_restart`]).
    fn restart_job_container(&mut self, now: f64, pod: u32) {
        self.account_pods(now);
        self.pods.changed();
        let p = &mut self.pods.by_id[pod as usize];
        let backoff = super::health::crash_loop_backoff(p, now);
        let was_ready = p.state == PodState::Ready;
        if was_ready {
            p.state = PodState::Starting;
            p.ready_at = None;
            p.ready_transition = now;
            self.pods.counts.ready -= 1;
            self.pods.counts.starting += 1;
        }
        let p = &mut self.pods.by_id[pod as usize];
        p.accepting = false;
        p.restarting = true;
        p.incarnation = p.incarnation.wrapping_add(1);
        p.job_until = None;
        // The new container does what `jobs:` says afresh.
        p.served = 0;
        p.routed = 0;
        let inc = p.incarnation;
        self.log(now, pod, PodEventKind::ContainerFailed, None);
        self.agenda
            .schedule(now + backoff, Event::JobContainerRestart { pod, inc });
    }

    /// The kubelet creates the new container (its `restartCount` goes up): the Job
    /// controller fails the Job once its running pods' restarts reach `backoffLimit` (any
    /// restart with a limit of 0), killing its pods; otherwise the container boots.
    pub(super) fn on_job_container_restart(&mut self, now: f64, pod: u32, inc: u32) {
        let p = &mut self.pods.by_id[pod as usize];
        if p.incarnation != inc || !p.restarting || p.state != PodState::Starting {
            return;
        }
        p.job_restarts += 1;
        let (id, run) = (p.job_id, p.job_run);
        let job = &self.jobs.by_id[id as usize];
        if job.ended.is_some() || job.deleted {
            return;
        }
        let restarts: u32 = (job.pods.iter())
            .map(|&q| &self.pods.by_id[q as usize])
            .filter(|q| q.state != PodState::Gone)
            .map(|q| q.job_restarts)
            .sum();
        let limit = job.template.backoff_limit;
        if restarts >= limit.max(1) {
            // `BackoffLimitExceeded`.
            self.end_failed(now, id);
            return;
        }
        let fails = self.draw_job_failure(run);
        self.pods.by_id[pod as usize].job_fails = fails;
        let boot = self.cfg.startup.sample(&mut self.pods.rng_restart).max(0.0);
        self.agenda
            .schedule(now + boot, Event::ContainerStart { pod, inc });
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
