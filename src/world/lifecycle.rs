//! Pod lifecycle: the ReplicaSet controller creating and deleting pods, start-up, readiness,
//! and graceful termination (endpoint removal, SIGTERM after preStop, drain, kill at the end
//! of the grace period). With nodes, a new pod first waits for the scheduler to bind it to a
//! node; its start-up clock (image pull, boot) starts only then.

use super::{Event, Pod, PodEventKind, PodState, Request, World};
use crate::record::DropReason;
use crate::settings::jobs::{JobBehaviour, JobMode};
use crate::settings::workload::WorkloadKind;

impl World {
    /// The Deployment's `spec.replicas` set (an autoscaler, an applied Deployment). With one
    /// ReplicaSet its controller makes the number of non-terminating pods equal `replicas`;
    /// during or after a rollout the Deployment controller shares them among its sets
    /// (`rollout`).
    pub(crate) fn set_replicas(&mut self, now: f64, replicas: i32) {
        let replicas = replicas.max(0);
        if replicas != self.pods.spec_replicas {
            self.pods.replica_changes += 1;
            let direction: i8 = if replicas > self.pods.spec_replicas {
                1
            } else {
                -1
            };
            if self.pods.last_direction != 0 && direction != self.pods.last_direction {
                self.pods.direction_changes += 1;
            }
            self.pods.last_direction = direction;
        }
        self.pods.spec_replicas = replicas;
        self.account_pods(now);
        if self.pods.stateful.is_some() {
            self.sync_stateful_set(now);
            return;
        }
        if self.pods.sets.len() > 1 {
            self.reconcile_deployment(now);
            return;
        }
        let surge = super::rollout::fenceposts(self.pods.strategy, replicas).0;
        let set = &mut self.pods.sets[0];
        set.replicas = replicas;
        set.stamp(replicas, replicas + surge);
        self.sync_replica_set(now, 0);
    }

    /// The ReplicaSet controller of revision `rev`: make the number of its non-terminating
    /// pods equal its replicas, creating new pods or deleting the ones upstream ranks first
    /// for deletion.
    pub(super) fn sync_replica_set(&mut self, now: f64, rev: usize) {
        let replicas = self.pods.sets[rev].replicas;
        let active: Vec<u32> = self
            .pods
            .live()
            .filter(|p| p.is_active() && p.revision as usize == rev)
            .map(|p| p.id)
            .collect();
        let have = active.len() as i32;
        if replicas > have {
            for _ in 0..(replicas - have) {
                self.create_pod(now, rev as u32);
            }
        } else if replicas < have {
            let mut ranked = active;
            ranked.sort_by(|&a, &b| {
                deletion_rank(&self.pods.by_id[a as usize], &self.pods.by_id[b as usize])
            });
            for id in ranked.into_iter().take((have - replicas) as usize) {
                self.terminate(now, id);
            }
        }
    }

    /// A new pod of the workload, of template revision `rev`, replacing one that is going (an
    /// eviction). A StatefulSet's controller instead creates it again under its ordinal once
    /// the old one is gone (docs/statefulsets.md).
    pub(super) fn create_pod(&mut self, now: f64, rev: u32) {
        if self.pods.stateful.is_some() {
            self.sync_stateful_set(now);
            return;
        }
        self.create_pod_as(now, rev, None);
    }

    /// A new pod of template revision `rev`, with a StatefulSet's `ordinal`.
    pub(super) fn create_pod_as(&mut self, now: f64, rev: u32, ordinal: Option<u32>) {
        let id = self.pods.by_id.len() as u32;
        let mut pod = Pod::new(id, now);
        pod.revision = rev;
        pod.ordinal = ordinal;
        self.pods.push(pod);
        self.pods.counts.pending += 1;
        self.log(now, id, PodEventKind::Created, None);
        if let Some(e) = self.pods.events.last_mut() {
            if self.pods.sets.len() > 1 {
                e.revision = Some(rev);
            }
            e.ordinal = ordinal;
        }
        if self.cfg.cluster.is_some() {
            self.pods.by_id[id as usize].unscheduled = true;
            self.pods.counts.unscheduled += 1;
            self.nodes.unscheduled.push_back(id);
            self.schedule_pending(now);
            if self.pods.by_id[id as usize].node.is_none() {
                self.log(now, id, PodEventKind::Unschedulable, None);
                self.on_unschedulable(now);
            }
            return;
        }
        self.start_startup_clock(now, id);
    }

    /// The kubelet has the pod: image pull and container start take `startup`.
    pub(super) fn start_startup_clock(&mut self, now: f64, pod: u32) {
        self.pods.by_id[pod as usize].start_time = now;
        let startup = self.cfg.startup.sample(&mut self.pods.rng_startup).max(0.0);
        self.agenda.schedule(now + startup, Event::Running { pod });
    }

    pub(super) fn on_running(&mut self, now: f64, pod: u32) {
        if self.pods.by_id[pod as usize].state != PodState::Pending {
            return;
        }
        self.account_pods(now);
        self.pods.changed();
        let p = &mut self.pods.by_id[pod as usize];
        p.state = PodState::Starting;
        p.running_at = Some(now);
        p.vclock = now;
        p.vclock_at = now;
        p.scrape_at = now;
        self.pods.counts.pending -= 1;
        self.pods.counts.starting += 1;
        self.log(now, pod, PodEventKind::Running, None);
        self.boot(now, pod);
        if let Some(n) = self.pods.by_id[pod as usize].node {
            self.reshare(now, n);
        }
    }

    /// A container (first or restarted) has started: CPU burst, warm-up, quota, probes, and
    /// readiness after the probe's delay.
    pub(super) fn boot(&mut self, now: f64, pod: u32) {
        self.pods.changed();
        let inc = self.pods.by_id[pod as usize].incarnation;
        self.pods.by_id[pod as usize].advance(now, self.cfg.cores_per_request);
        if self.pods.by_id[pod as usize].node.is_none() {
            self.pods.by_id[pod as usize].cap = self.base_cap(self.pod_limit(pod));
        }
        self.start_cfs(pod, now);
        let (cores, secs) = self.cfg.startup_burst;
        if cores > 0.0 && secs > 0.0 {
            self.pods.by_id[pod as usize].burst = cores;
            self.agenda
                .schedule(now + secs, Event::BurstEnd { pod, inc });
        }
        let (speed, secs) = self.cfg.warmup;
        if speed < 1.0 && secs > 0.0 {
            self.pods.by_id[pod as usize].warm = speed;
            self.agenda.schedule(now + secs, Event::Warm { pod, inc });
        }
        // Under a quota, modelled or not (`start_cfs`): one left out leaves the pod exactly as
        // a modelled one would.
        if self.quota_of(pod).is_some() {
            self.pods.by_id[pod as usize].update_speed(self.cfg.cores_per_request);
            self.reschedule(pod);
        }
        let ready_in = if self.pods.by_id[pod as usize].job {
            0.0
        } else {
            self.cfg.time_to_ready
        };
        self.agenda
            .schedule(now + ready_in, Event::Ready { pod, inc });
        if self.cfg.overload.liveness.is_some() && !self.pods.by_id[pod as usize].job {
            self.schedule_probe(pod, now);
        }
    }

    pub(super) fn make_ready(&mut self, pod: u32, now: f64, log: bool) {
        self.account_pods(now);
        self.pods.changed();
        let p = &mut self.pods.by_id[pod as usize];
        match p.state {
            PodState::Pending => self.pods.counts.pending -= 1,
            PodState::Starting => self.pods.counts.starting -= 1,
            _ => return,
        }
        p.state = PodState::Ready;
        p.ready_at = Some(now);
        if log {
            p.ready_transition = now;
        }
        p.accepting = true;
        self.pods.counts.ready += 1;
        match self.cfg.kind {
            WorkloadKind::Http => {
                p.in_endpoints = true;
                self.requests.endpoints.push(pod);
            }
            WorkloadKind::Queue => {
                if p.job {
                    // A job takes one message at a time (a `sleep` job none).
                    if p.job_run.mode != JobMode::Sleep {
                        self.requests.idle_slots.push_back(pod);
                    }
                } else if self
                    .cfg
                    .partitions
                    .is_none_or(|n| self.consumers() < n as usize)
                {
                    self.become_consumer(pod);
                }
            }
        }
        if log {
            self.log(now, pod, PodEventKind::Ready, None);
        }
        if !self.pods.by_id[pod as usize].job {
            // A pod available: the rollout may go on.
            self.reconcile_workload(now);
        }
        if self.cfg.kind == WorkloadKind::Queue {
            self.start_job_clock(now, pod);
            self.dispatch_backlog(now);
            let p = &self.pods.by_id[pod as usize];
            if p.job && p.in_service.is_empty() && p.cohorts.is_empty() && self.fluid.is_none() {
                // Nothing to do: the job's container exits at once.
                self.finish_job(now, pod);
            }
        }
    }

    /// Pods consuming the queue now.
    fn consumers(&self) -> usize {
        self.pods.live().filter(|p| p.consumer).count()
    }

    /// Give the pod a partition: its workers start pulling.
    fn become_consumer(&mut self, pod: u32) {
        self.pods.by_id[pod as usize].consumer = true;
        for _ in 0..self.cfg.concurrency {
            self.requests.idle_slots.push_back(pod);
        }
    }

    /// A consumer left: hand its partition to the longest-ready idle pod (a rebalance).
    pub(super) fn release_partition(&mut self, now: f64, pod: u32) {
        if !std::mem::replace(&mut self.pods.by_id[pod as usize].consumer, false) {
            return;
        }
        if self.cfg.partitions.is_none() {
            return;
        }
        let next = self
            .pods
            .live()
            .filter(|p| !p.job && !p.consumer && p.accepting && p.state == PodState::Ready)
            .min_by(|a, b| {
                a.ready_at
                    .unwrap_or(0.0)
                    .total_cmp(&b.ready_at.unwrap_or(0.0))
                    .then(a.id.cmp(&b.id))
            })
            .map(|p| p.id);
        if let Some(n) = next {
            self.become_consumer(n);
            self.dispatch_backlog(now);
        }
    }

    /// Create a pod of a Job (`crate::world::jobs`): it starts, then does what `run` says
    /// (docs/keda.md#what-a-job-does).
    pub(super) fn spawn_job_pod(&mut self, now: f64, run: JobBehaviour) -> u32 {
        self.create_pod_as(now, 0, None);
        let id = self.pods.by_id.len() as u32 - 1;
        self.pods.changed();
        let p = &mut self.pods.by_id[id as usize];
        p.job = true;
        p.job_run = run;
        id
    }

    /// A job with a `duration` runs until its container start plus it.
    fn start_job_clock(&mut self, now: f64, pod: u32) {
        let p = &mut self.pods.by_id[pod as usize];
        if let (true, Some(d)) = (p.job, p.job_run.duration) {
            p.job_until = Some(now + d);
            self.agenda.schedule(now + d, Event::JobDone { pod });
        }
    }

    /// A job's `activeDeadlineSeconds` ran out: its Job failed and its pod is killed; a message
    /// in progress was not acknowledged and goes back to the queue (as at any kill).
    pub(super) fn fail_job(&mut self, now: f64, pod: u32) {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods.by_id[pod as usize];
        if !p.job || p.state == PodState::Gone {
            return;
        }
        p.advance(now, cpr);
        p.job_failed = true;
        p.job_until = None;
        if std::mem::replace(&mut p.unscheduled, false) {
            self.pods.counts.unscheduled -= 1;
            self.nodes.unscheduled.retain(|&q| q != pod);
        }
        let work = self.lose_held_work(now, pod, DropReason::KilledOnShutdown);
        self.end_job(now, pod, PodEventKind::Killed, Some(work.lost));
        if self.cfg.kind == WorkloadKind::Queue {
            self.dispatch_backlog(now);
        }
    }

    /// A job's container exits (its message done, or none to take) — not before its
    /// `duration` has run and its message is done.
    pub(super) fn finish_job(&mut self, now: f64, pod: u32) {
        let p = &self.pods.by_id[pod as usize];
        if !p.job || p.state == PodState::Gone {
            return;
        }
        // A deleted job's container exits once its message is done, its `duration` or not.
        let deleted = p.deleted_at.is_some();
        if deleted && !p.in_service.is_empty() {
            return;
        }
        if let Some(until) = p.job_until
            && !deleted
            && (now < until || !p.in_service.is_empty())
        {
            return;
        }
        if deleted {
            self.end_job(now, pod, PodEventKind::Exited, None);
        } else if p.job_fails {
            self.job_container_failed(now, pod);
        } else {
            self.end_job(now, pod, PodEventKind::Exited, None);
            self.job_pod_succeeded(now, pod);
        }
    }

    /// A job's pod is gone, logged as `how`.
    pub(super) fn end_job(&mut self, now: f64, pod: u32, how: PodEventKind, requests: Option<u64>) {
        self.account_pods(now);
        match self.pods.by_id[pod as usize].state {
            PodState::Pending => self.pods.counts.pending -= 1,
            PodState::Starting => self.pods.counts.starting -= 1,
            PodState::Ready => self.pods.counts.ready -= 1,
            PodState::Terminating => self.pods.counts.terminating -= 1,
            PodState::Gone => return,
        }
        self.pods.changed();
        self.pods.by_id[pod as usize].state = PodState::Terminating;
        self.pods.counts.terminating += 1;
        self.exit(now, pod, how, requests);
    }

    pub(super) fn terminate(&mut self, now: f64, pod: u32) {
        let (pre_stop, grace) = (self.cfg.pre_stop, self.cfg.termination_grace);
        self.terminate_with(now, pod, pre_stop, grace);
    }

    /// Delete `pod` gracefully: SIGTERM after its preStop hook (`pre_stop`, at most `grace`),
    /// killed `grace` after the deletion.
    pub(super) fn terminate_with(&mut self, now: f64, pod: u32, pre_stop: f64, grace: f64) {
        self.account_pods(now);
        self.pods.changed();
        let p = &mut self.pods.by_id[pod as usize];
        match p.state {
            PodState::Pending => self.pods.counts.pending -= 1,
            PodState::Starting => self.pods.counts.starting -= 1,
            PodState::Ready => self.pods.counts.ready -= 1,
            _ => return,
        }
        let was_pending = p.state == PodState::Pending;
        let unbound = p.unscheduled;
        p.unscheduled = false;
        p.state = PodState::Terminating;
        p.deleted_at = Some(now);
        self.pods.counts.terminating += 1;
        if unbound {
            self.pods.counts.unscheduled -= 1;
            self.nodes.unscheduled.retain(|&q| q != pod);
        }
        self.log(now, pod, PodEventKind::Terminating, None);
        if was_pending {
            // No container yet: nothing to drain.
            self.exit(now, pod, PodEventKind::Exited, None);
            return;
        }
        if self.pods.by_id[pod as usize].in_endpoints {
            self.agenda.schedule(
                now + self.cfg.endpoint_delay,
                Event::EndpointRemoved { pod },
            );
        }
        self.agenda
            .schedule(now + pre_stop.min(grace), Event::Sigterm { pod });
        self.agenda.schedule(now + grace, Event::Kill { pod });
    }

    pub(super) fn remove_endpoint(&mut self, now: f64, pod: u32) {
        let p = &mut self.pods.by_id[pod as usize];
        if !p.in_endpoints {
            return;
        }
        p.in_endpoints = false;
        self.pods.changed();
        if let Some(i) = self.requests.endpoints.iter().position(|&e| e == pod) {
            self.requests.endpoints.remove(i);
        }
        self.log(now, pod, PodEventKind::RemovedFromEndpoints, None);
    }

    pub(super) fn sigterm(&mut self, now: f64, pod: u32) {
        let p = &mut self.pods.by_id[pod as usize];
        if p.state != PodState::Terminating || !p.accepting && p.gone_at.is_some() {
            return;
        }
        p.accepting = false;
        self.pods.changed();
        self.log(now, pod, PodEventKind::Sigterm, None);
        self.release_partition(now, pod);
        let p = &self.pods.by_id[pod as usize];
        // A `sleep` job's process ignores SIGTERM (a `sleep` as PID 1 has no handler): it
        // runs on until its sleep ends or the grace period kills it (one waiting out its
        // restart back-off has no process to run on).
        let ignores = p.job && p.job_run.mode == JobMode::Sleep && !p.restarting;
        if p.in_flight() == 0 && !ignores {
            self.exit(now, pod, PodEventKind::Exited, None);
        }
    }

    /// The container of `pod` dies at `now` (killed at shutdown, restarted by its liveness
    /// probe): every request it held is lost for `why`. A client that retries sees its
    /// connection reset; one already past its deadline has timed out; queue messages go back to
    /// the front of the backlog, oldest first; the rest are dropped. Flow-level cohorts go too.
    pub(super) fn lose_held_work(&mut self, now: f64, pod: u32, why: DropReason) -> HeldWork {
        let p = &mut self.pods.by_id[pod as usize];
        let mut held: Vec<Request> = p.queue.drain(..).collect();
        held.extend(p.in_service.drain().map(|s| s.req));
        held.sort_by(|a, b| a.arrival.total_cmp(&b.arrival));
        let n_held = held.len() as u64;
        let (mut dropped, mut requeued, mut reset) = (0u64, 0usize, 0u64);
        for r in held {
            if r.id != 0 {
                reset += 1;
                self.fail(now, r, why);
            } else if now > r.deadline {
                self.time_out(r.deadline);
            } else if self.cfg.kind == WorkloadKind::Queue {
                requeued += 1;
                self.requests.backlog.push_front(r);
            } else {
                dropped += 1;
            }
        }
        // push_front reversed the order; restore oldest-first.
        if requeued > 1 {
            self.requests.backlog.make_contiguous()[..requeued].reverse();
        }
        self.recorder.totals.redelivered += requeued as u64;
        self.drop_requests(now, why, dropped);
        // Flow level: the pod's waiting cohorts are lost (http); queue pods hold none.
        let fluid = self.fluid_lose(now, pod, why);
        HeldWork {
            held: n_held + fluid,
            lost: dropped + requeued as u64 + reset + fluid,
            requeued,
        }
    }

    pub(super) fn kill(&mut self, now: f64, pod: u32) {
        if self.pods.by_id[pod as usize].state != PodState::Terminating {
            return;
        }
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods.by_id[pod as usize];
        p.advance(now, cpr);
        let work = self.lose_held_work(now, pod, DropReason::KilledOnShutdown);
        self.exit(now, pod, PodEventKind::Killed, Some(work.lost));
        if work.requeued > 0 {
            self.dispatch_backlog(now);
        }
    }

    pub(super) fn exit(&mut self, now: f64, pod: u32, how: PodEventKind, requests: Option<u64>) {
        self.account_pods(now);
        self.pods.changed();
        self.remove_endpoint(now, pod);
        let p = &mut self.pods.by_id[pod as usize];
        if p.state != PodState::Terminating {
            return;
        }
        p.advance(now, self.cfg.cores_per_request);
        p.fluid_cpu = 0.0;
        self.pods.retired_cpu_seconds += p.cpu_seconds;
        p.state = PodState::Gone;
        p.gone_at = Some(now);
        p.accepting = false;
        let was_consumer = p.consumer;
        p.completion_at = f64::INFINITY;
        if let Some(c) = &mut p.cfs {
            c.epoch = c.epoch.wrapping_add(1);
        }
        self.completions.cancel(pod);
        self.pods.counts.terminating -= 1;
        self.pods.mark_gone(pod);
        self.close_stall(now, pod);
        self.log(now, pod, how, requests);
        if was_consumer {
            self.release_partition(now, pod);
        }
        if self.pods.by_id[pod as usize].node.is_some() {
            self.unbind(now, pod);
        }
        if !self.pods.by_id[pod as usize].job {
            // An old pod gone: a Recreate rollout may start the new ones.
            self.reconcile_workload(now);
        }
    }
}

/// Upstream ReplicaSet ranking for scale-down (`controller.ActivePodsWithRanks`): pods earlier
/// in this order are deleted first — unscheduled, then pending, then not ready, then the most
/// recently ready, then the newest.
fn deletion_rank(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let phase = |p: &Pod| match p.state {
        // Only with nodes can a pending pod be unbound.
        PodState::Pending if p.unscheduled => 0,
        PodState::Pending => 1,
        PodState::Starting => 2,
        _ => 3,
    };
    phase(a)
        .cmp(&phase(b))
        .then_with(|| match (a.ready_at, b.ready_at) {
            // Both ready: the one ready for less time goes first.
            (Some(x), Some(y)) => y.total_cmp(&x),
            _ => Ordering::Equal,
        })
        .then_with(|| b.created_at.total_cmp(&a.created_at))
        .then_with(|| b.id.cmp(&a.id))
}

/// What a dying container held (see [`World::lose_held_work`]).
pub(super) struct HeldWork {
    /// Requests it held, at request and flow level.
    pub(crate) held: u64,
    /// Of those, the ones lost, redelivered or reset (not those that had already timed out).
    pub(crate) lost: u64,
    /// Queue messages put back at the front of the backlog.
    pub(crate) requeued: usize,
}
