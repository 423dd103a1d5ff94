//! One simulated pod: its lifecycle timestamps, its own wait queue (http), the requests it is
//! serving, and its CPU.
//!
//! CPU is processor sharing: every request in service wants `cores_per_request` cores; when the
//! pod's demand exceeds its capacity (the CPU limit) all of them slow down by the same factor.
//! A per-pod virtual clock advancing at that speed makes this exact: a request finishes when the
//! virtual clock reaches the virtual instant its work would be done.
//!
//! A pod's capacity (`cap`) is its CPU limit, bounded by its share of its node when the cluster
//! has nodes. With a CFS quota (`pods.cpu_cfs`), the limit is enforced per period instead: the
//! pod runs at full demand (bounded only by its node share) until it has used `limit × period`
//! CPU-seconds in the current period, then stalls — speed 0, the virtual clock stops — until the
//! period ends. The virtual clock stays exact: speed is piecewise constant between events.

use std::collections::VecDeque;

use super::service_heap::InServiceHeap;
use crate::numeric;

/// Lifecycle phase as the simulation tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PodState {
    /// Created; image pull and container start under way (Kubernetes phase Pending).
    Pending,
    /// Container running, readiness probe not yet passed (Running, Ready=False).
    Starting,
    /// Ready: in the Service's endpoints / pulling work.
    Ready,
    /// Deletion requested (deletionTimestamp set); draining.
    Terminating,
    /// Exited and removed.
    Gone,
}

/// A request as the data plane carries it: one attempt of a client's request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request {
    /// This attempt's arrival.
    pub(crate) arrival: f64,
    /// Service time at full speed, seconds.
    pub(crate) work: f64,
    /// When the client gives up on this attempt (+∞ without a timeout).
    pub(crate) deadline: f64,
    /// The first attempt's arrival: latency is measured from it (= `arrival` without retries).
    pub(crate) origin: f64,
    /// Client retries so far (0: first attempt).
    pub(crate) attempt: u32,
    /// Key of the client waiting for it when clients retry (0: untracked, no retries).
    pub(crate) id: u64,
}

impl Request {
    pub(crate) fn new(arrival: f64, work: f64, deadline: f64) -> Request {
        Request {
            arrival,
            work,
            deadline,
            origin: arrival,
            attempt: 0,
            id: 0,
        }
    }
}

/// CFS quota state of a pod whose limit is enforced per period.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(crate) struct Cfs {
    /// Quota used up: no CPU until `period_end`. First, so that `Option<Cfs>`'s `None` (kept in
    /// this field's spare values) is read from the pod's second cache line (see [`Pod`]).
    pub(crate) stalled: bool,
    /// Generation of the pending CFS event (its time is `event_at`).
    pub(crate) epoch: u32,
    /// CPU-seconds allowed per period (limit × period).
    pub(crate) quota: f64,
    pub(crate) period: f64,
    /// Quota left in the current period (up to `vclock_at`).
    pub(crate) left: f64,
    /// End of the current period.
    pub(crate) period_end: f64,
    pub(crate) stall_from: f64,
    /// Time of the pending CFS event.
    pub(crate) event_at: f64,
}

impl Cfs {
    pub(crate) fn new(limit: f64, period: f64, now: f64) -> Cfs {
        Cfs {
            quota: limit * period,
            period,
            left: limit * period,
            period_end: now + period,
            stalled: false,
            stall_from: now,
            epoch: 0,
            event_at: f64::INFINITY,
        }
    }
}

/// A request in service: finishes when the pod's virtual clock reaches `finish_v`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InService {
    pub(crate) finish_v: f64,
    pub(crate) req: Request,
}

#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(crate) struct Pod {
    // Fields in the order the per-step passes read them, laid out by cache line (64 bytes; the
    // alignment makes every pod start on a line, `#[repr(C)]` keeps this order):
    // - line 0: what gathers the flow level's group and what a group member's step reads
    //   first (state, cap, warm, burst, the interval's rates);
    // - line 1: the CPU clock, the request counters, the in-service count and whether a CFS
    //   quota applies (`cfs`'s first byte, `Cfs::stalled`, is where `Option` keeps `None`);
    // - line 2: the rest of the quota, the seconds stalled by it, and whether the pod holds
    //   flow-level work (`cohorts`' first word);
    // - then what the time-series sample and the metrics scrape read of a live pod (the CPU
    //   at the last sample and scrape, the queue) in one line, the request-level clock, and
    //   last what only lifecycle changes read.
    // `hot_fields_sit_in_their_cache_lines` (tests) keeps this true.
    pub(crate) state: PodState,
    /// Listed in the Service endpoints (http).
    pub(crate) in_endpoints: bool,
    /// Takes new work (false before Ready and after SIGTERM).
    pub(crate) accepting: bool,
    /// A ScaledJob's job: what it does is `job_run` (docs/keda.md#what-a-job-does).
    pub(crate) job: bool,
    /// The revision of the pod template it was created from (its ReplicaSet; docs/rollouts.md).
    pub(crate) revision: u32,
    /// Extra cores burnt right after start (JIT, cache loading), 0 once the burst is over.
    pub(crate) burst: f64,
    /// Cores the pod may use continuously: its CPU limit (without a CFS quota), bounded by its
    /// share of its node; +∞ when neither applies.
    pub(crate) cap: f64,
    /// Service speed factor while the pod warms up (1 = warm).
    pub(crate) warm: f64,
    pub(crate) running_at: Option<f64>,
    /// Flow level: cores the pod's served work burns over the current interval, accrued as
    /// time passes (so a CPU reading mid-interval counts the part of it that has elapsed).
    pub(crate) fluid_cpu: f64,
    /// Flow level: estimated requests in service (Little's law).
    pub(crate) fluid_in_service: u64,
    /// CPU-seconds used since creation (up to `vclock_at`).
    pub(crate) cpu_seconds: f64,
    pub(crate) vclock_at: f64,
    /// Requests the balancer sent to this pod (http) — a per-pod request counter.
    pub(crate) routed: u64,
    /// Requests this pod completed for a waiting client.
    pub(crate) served: u64,
    pub(crate) in_service: InServiceHeap,
    /// CFS quota state (with `pods.cpu_cfs` and a limit).
    pub(crate) cfs: Option<Cfs>,
    /// Seconds stalled by the CFS quota, ended stalls only.
    pub(crate) throttled_seconds: f64,
    /// Flow level: work waiting on this pod, oldest first.
    pub(crate) cohorts: super::cohorts::Cohorts,
    /// CPU-seconds at the previous time-series sample / metrics scrape.
    pub(crate) cpu_at_sample: f64,
    pub(crate) cpu_at_scrape: f64,
    pub(crate) scrape_at: f64,
    /// Waiting requests (http: the pod's accept queue).
    pub(crate) queue: VecDeque<Request>,
    /// When the pod became Gone (read by the sample only for Gone pods).
    pub(crate) gone_at: Option<f64>,
    /// Current processing speed (1 = full speed).
    pub(crate) speed: f64,
    /// Virtual clock and the real instant it was last brought up to date.
    pub(crate) vclock: f64,
    /// Time the pod's pending completion is due (+∞ if none; the deadline itself is kept in the
    /// world's completion timers).
    pub(crate) completion_at: f64,
    /// Flow level: fractional service capacity carried to the next interval.
    pub(crate) fluid_carry: f64,
    /// Flow level: requests routed to the pod in the current interval.
    pub(crate) fluid_offered: u64,
    // Read on lifecycle changes, not every step.
    pub(crate) id: u32,
    /// A StatefulSet's pod: its ordinal (its name is `<name>-<ordinal>`; docs/statefulsets.md).
    pub(crate) ordinal: Option<u32>,
    pub(crate) created_at: f64,
    /// Pod `status.startTime` (kubelet accepted the pod).
    pub(crate) start_time: f64,
    pub(crate) ready_at: Option<f64>,
    /// `lastTransitionTime` of the PodReady condition.
    pub(crate) ready_transition: f64,
    pub(crate) deleted_at: Option<f64>,
    /// Queue workload: this pod holds a partition and consumes (Kafka caps consumers at the
    /// topic's partition count; the rest idle).
    pub(crate) consumer: bool,
    /// A job's behaviour (`jobs:`); the default for every other pod.
    pub(crate) job_run: crate::settings::jobs::JobBehaviour,
    /// A job with a `duration` keeps running until this instant (its container start plus it).
    pub(crate) job_until: Option<f64>,
    /// A job killed at its `activeDeadlineSeconds`: its Job is Failed.
    pub(crate) job_failed: bool,
    /// A job's Job (`crate::world::jobs`).
    pub(crate) job_id: u32,
    /// A job whose container exits non-zero when its work is done (`jobs.failure_probability`).
    pub(crate) job_fails: bool,
    /// A job's container restarts in this pod (`restartPolicy: OnFailure`), as its
    /// `restartCount` reports them.
    pub(crate) job_restarts: u32,
    /// The node the pod is bound to (with `cluster.nodes`).
    pub(crate) node: Option<u32>,
    /// Waiting for the scheduler to find it a node.
    pub(crate) unscheduled: bool,
    /// Container starts: events of an earlier container carry an older value.
    pub(crate) incarnation: u32,
    /// Container restarts by the liveness probe.
    pub(crate) restarts: u32,
    /// Restarts within the CrashLoopBackOff window (the back-off exponent).
    pub(crate) crash_loop: u32,
    /// Consecutive failed liveness probes.
    pub(crate) liveness_failures: u32,
    /// Container down after a liveness restart, waiting out its back-off and boot.
    pub(crate) restarting: bool,
}

impl Pod {
    pub(crate) fn new(id: u32, now: f64) -> Pod {
        Pod {
            id,
            revision: 0,
            ordinal: None,
            state: PodState::Pending,
            created_at: now,
            start_time: now,
            running_at: None,
            ready_at: None,
            ready_transition: now,
            deleted_at: None,
            gone_at: None,
            in_endpoints: false,
            accepting: false,
            queue: VecDeque::new(),
            in_service: InServiceHeap::new(),
            vclock: now,
            vclock_at: now,
            speed: 1.0,
            cpu_seconds: 0.0,
            completion_at: f64::INFINITY,
            cpu_at_sample: 0.0,
            cpu_at_scrape: 0.0,
            scrape_at: now,
            burst: 0.0,
            warm: 1.0,
            cohorts: super::cohorts::Cohorts::new(),
            fluid_carry: 0.0,
            fluid_offered: 0,
            fluid_in_service: 0,
            fluid_cpu: 0.0,
            consumer: false,
            job: false,
            job_run: Default::default(),
            job_until: None,
            job_failed: false,
            job_id: 0,
            job_fails: false,
            job_restarts: 0,
            routed: 0,
            served: 0,
            cap: f64::INFINITY,
            node: None,
            unscheduled: false,
            incarnation: 0,
            restarts: 0,
            crash_loop: 0,
            liveness_failures: 0,
            restarting: false,
            cfs: None,
            throttled_seconds: 0.0,
        }
    }

    /// Requests queued or in service on this pod.
    #[inline]
    pub(crate) fn in_flight(&self) -> usize {
        let requests = self.queue.len() + self.in_service.len();
        // A request-level pod holds no cohorts: the balancer's comparisons skip the walk.
        if self.cohorts.is_empty() {
            return requests;
        }
        requests + self.cohorts.iter().map(|c| c.count as usize).sum::<usize>()
    }

    /// Arrival time of the oldest request the pod holds waiting: its queue's head, else its
    /// oldest cohort's.
    #[inline]
    pub(crate) fn oldest_held(&self) -> Option<f64> {
        self.queue
            .front()
            .map(|r| r.arrival)
            .or(self.cohorts.front().map(|c| c.oldest()))
    }

    /// Bring the virtual clock and CPU accounting up to `now`. Always inlined: it runs at every
    /// start and end of a request, and a call's spills cost more than its few instructions.
    #[inline(always)]
    pub(crate) fn advance(&mut self, now: f64, cores_per_request: f64) {
        if self.cfs.is_some() {
            self.advance_under_quota(now, cores_per_request);
            return;
        }
        self.advance_unquoted(now, cores_per_request);
    }

    /// [`Self::advance`] of a pod without a CFS quota (`cfs` is `None`), for callers that know
    /// it without testing (the lean request path, see `World::run_until`).
    #[inline(always)]
    pub(crate) fn advance_unquoted(&mut self, now: f64, cores_per_request: f64) {
        debug_assert!(self.cfs.is_none());
        // Without a quota: nothing to do unless time passed (the general path's steps, with
        // the quota's left out; a NaN gap does nothing there either).
        let dt = now - self.vclock_at;
        if dt > 0.0 {
            let k = self.in_service.len();
            let mut work_rate = 0.0;
            if k > 0 {
                self.vclock += self.speed * dt;
                work_rate = self.speed * k as f64 * cores_per_request;
            }
            let mut cpu = self.cpu_seconds + work_rate * dt;
            cpu += self.fluid_cpu * dt;
            cpu += self.burst * dt;
            self.cpu_seconds = cpu;
            self.vclock_at = now;
        }
    }

    /// [`Self::advance`] with its quota part inlined as well: for the request path's start and
    /// end of a request, where most pods of a run with quotas have one.
    #[inline(always)]
    pub(crate) fn advance_inlined(&mut self, now: f64, cores_per_request: f64) {
        if self.cfs.is_some() {
            self.advance_quota_steps(now, cores_per_request);
            return;
        }
        self.advance_unquoted(now, cores_per_request);
    }

    /// [`Self::advance`] for a pod with a CFS quota: a period may end, also when no time passed.
    /// Out of line: [`Self::advance`] is inlined everywhere, this larger part once.
    #[inline(never)]
    fn advance_under_quota(&mut self, now: f64, cores_per_request: f64) {
        self.advance_quota_steps(now, cores_per_request);
    }

    /// The steps of [`Self::advance_under_quota`].
    #[inline(always)]
    fn advance_quota_steps(&mut self, now: f64, cores_per_request: f64) {
        // Also when no time passed: a period may end exactly now.
        let dt = (now - self.vclock_at).max(0.0);
        let k = self.in_service.len();
        let mut work_rate = 0.0;
        if dt > 0.0 && k > 0 {
            self.vclock += self.speed * dt;
            work_rate = self.speed * k as f64 * cores_per_request;
        }
        self.cpu_seconds = self.cpu_after(dt, work_rate);
        if let Some(c) = &mut self.cfs
            && !c.stalled
        {
            let rate = work_rate + self.burst;
            c.left -= rate * dt;
            // Also when no time passed: a period that ends exactly now rolls over.
            if now >= c.period_end {
                // Periods that began since: the rate was constant, and at most the quota per
                // period (else an exhaustion event would have come first).
                let nb = c.period_end + numeric::floor((now - c.period_end) / c.period) * c.period;
                c.left = c.quota - rate * (now - nb);
                c.period_end = nb + c.period;
            }
        }
        if dt > 0.0 {
            self.vclock_at = now;
        }
    }

    /// CPU-seconds used since creation, read at `now` (not before the clock's last update)
    /// without bringing the clock up to date: the value [`Self::advance`] stores, computed from
    /// the state since the last change and left unstored, so a reading (a metrics scrape,
    /// a time-series sample) never splits the integral and never changes the run.
    #[inline]
    pub(crate) fn cpu_seconds_at(&self, now: f64, cores_per_request: f64) -> f64 {
        let dt = (now - self.vclock_at).max(0.0);
        let k = self.in_service.len();
        if dt == 0.0 {
            return self.cpu_seconds;
        }
        let work_rate = if k > 0 {
            self.speed * k as f64 * cores_per_request
        } else {
            0.0
        };
        self.cpu_after(dt, work_rate)
    }

    /// The CPU-seconds after `dt` more seconds at `work_rate` cores for the requests in
    /// service, plus the flow-level work and the start-up burst (none while stalled by the
    /// CFS quota): the one formula [`Self::advance`] stores and [`Self::cpu_seconds_at`] reads.
    #[inline(always)]
    fn cpu_after(&self, dt: f64, work_rate: f64) -> f64 {
        let mut cpu = self.cpu_seconds + work_rate * dt;
        cpu += self.fluid_cpu * dt;
        if !self.cfs.is_some_and(|c| c.stalled) {
            cpu += self.burst * dt;
        }
        cpu
    }

    /// Cores the pod burns at its current speed (0 while stalled by its CFS quota).
    #[inline]
    pub(crate) fn cpu_rate(&self, cores_per_request: f64) -> f64 {
        if self.cfs.is_some_and(|c| c.stalled) {
            return 0.0;
        }
        self.speed * self.in_service.len() as f64 * cores_per_request + self.burst
    }

    /// Recompute the processing speed after the number of requests in service changed.
    #[inline]
    pub(crate) fn update_speed(&mut self, cores_per_request: f64) {
        if self.cfs.is_some_and(|c| c.stalled) {
            self.speed = 0.0;
            return;
        }
        self.update_speed_unquoted(cores_per_request);
    }

    /// [`Self::update_speed`] of a pod not stalled by a CFS quota, for callers that know it
    /// without testing (the lean request path, where no pod has a quota: see
    /// `World::run_until`).
    #[inline(always)]
    pub(crate) fn update_speed_unquoted(&mut self, cores_per_request: f64) {
        debug_assert!(!self.cfs.is_some_and(|c| c.stalled));
        if self.cap == f64::INFINITY {
            // No limit: what the formula below gives (nothing exceeds an infinite capacity).
            self.speed = self.warm;
            return;
        }
        // A cold pod works at `warm` speed; a start-up burst takes its cores off the limit first.
        let capacity = (self.cap - self.burst).max(self.cap * 0.05);
        let full = self.in_service.len() as f64 * cores_per_request;
        self.speed = if full * self.warm > capacity {
            capacity / full
        } else {
            self.warm
        };
    }

    /// Real instant of the next completion under the current speed.
    #[inline]
    pub(crate) fn next_completion(&self) -> f64 {
        match self.in_service.peek() {
            Some(_) if !(self.speed > 0.0) => f64::INFINITY,
            Some(top) => {
                // `max(0.0)` as one comparison (NaN gives 0 either way).
                let left = top.finish_v - self.vclock;
                let left = if left > 0.0 { left } else { 0.0 };
                self.vclock_at + left / self.speed
            }
            None => f64::INFINITY,
        }
    }

    /// Is the pod counted by the ReplicaSet (not a job, not terminating or gone)?
    pub(crate) fn is_active(&self) -> bool {
        !self.job && self.state < PodState::Terminating
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// The layout [`Pod`]'s comment promises: every pod starts on a cache line; what a group's
    /// gathering and a member's step read lies in lines 0 and 1 (the quota's rest, the stalls
    /// and whether cohorts are held in line 2); what the sample and the scrape read of a live
    /// pod in one line; and `Option<Cfs>` keeps `None` in `Cfs::stalled`, `cfs`'s first byte.
    #[test]
    fn hot_fields_sit_in_their_cache_lines() {
        assert_eq!(align_of::<Pod>(), 64);
        let line_of = |offset: usize| offset / 64;
        let sampled = line_of(offset_of!(Pod, cpu_at_sample));
        let last_byte = |offset: usize, size: usize| offset + size - 1;
        for (name, offset, line) in [
            ("state", offset_of!(Pod, state), 0),
            ("burst", offset_of!(Pod, burst), 0),
            ("cap", offset_of!(Pod, cap), 0),
            ("warm", offset_of!(Pod, warm), 0),
            ("running_at", offset_of!(Pod, running_at), 0),
            ("fluid_cpu", offset_of!(Pod, fluid_cpu), 0),
            ("fluid_in_service", offset_of!(Pod, fluid_in_service), 0),
            ("cpu_seconds", offset_of!(Pod, cpu_seconds), 1),
            ("vclock_at", offset_of!(Pod, vclock_at), 1),
            ("routed", offset_of!(Pod, routed), 1),
            ("served", offset_of!(Pod, served), 1),
            ("in_service", offset_of!(Pod, in_service), 1),
            (
                "in_service's end",
                last_byte(offset_of!(Pod, in_service), size_of::<InServiceHeap>()),
                1,
            ),
            ("cfs", offset_of!(Pod, cfs), 1),
            ("throttled_seconds", offset_of!(Pod, throttled_seconds), 2),
            ("cohorts", offset_of!(Pod, cohorts), 2),
            ("cpu_at_scrape", offset_of!(Pod, cpu_at_scrape), sampled),
            ("scrape_at", offset_of!(Pod, scrape_at), sampled),
            ("queue", offset_of!(Pod, queue), sampled),
            (
                "queue's end",
                last_byte(offset_of!(Pod, queue), size_of::<VecDeque<Request>>()),
                sampled,
            ),
        ] {
            assert_eq!(line_of(offset), line, "{name} at {offset}");
        }
        assert_eq!(size_of::<Option<Cfs>>(), size_of::<Cfs>());
        assert_eq!(offset_of!(Cfs, stalled), 0);
    }

    /// A pod burning CPU three ways: flow-level work, a start-up burst, a request in service.
    fn busy_pod() -> Pod {
        let mut p = Pod::new(0, 0.0);
        p.fluid_cpu = 0.37;
        p.burst = 0.11;
        p.in_service.push(InService {
            finish_v: 1e9,
            req: Request::new(0.0, 1e9, f64::INFINITY),
        });
        p.speed = 0.83;
        p
    }

    /// [`Pod::advance`], [`Pod::update_speed`] and [`Pod::next_completion`] as they were
    /// written before their fast paths for a pod without a quota or a limit: the reference.
    fn reference_advance(p: &mut Pod, now: f64, cpr: f64) {
        let dt = (now - p.vclock_at).max(0.0);
        if dt == 0.0 && p.cfs.is_none() {
            return;
        }
        let k = p.in_service.len();
        let mut work_rate = 0.0;
        if dt > 0.0 && k > 0 {
            p.vclock += p.speed * dt;
            work_rate = p.speed * k as f64 * cpr;
        }
        p.cpu_seconds = p.cpu_after(dt, work_rate);
        if dt > 0.0 {
            p.vclock_at = now;
        }
    }

    fn reference_speed(p: &Pod, cpr: f64) -> f64 {
        let capacity = (p.cap - p.burst).max(p.cap * 0.05);
        let full = p.in_service.len() as f64 * cpr;
        if full * p.warm > capacity {
            capacity / full
        } else {
            p.warm
        }
    }

    #[allow(clippy::neg_cmp_op_on_partial_ord)] // verbatim, NaN speed included
    fn reference_next_completion(p: &Pod) -> f64 {
        match p.in_service.peek() {
            Some(_) if !(p.speed > 0.0) => f64::INFINITY,
            Some(top) => p.vclock_at + (top.finish_v - p.vclock).max(0.0) / p.speed,
            None => f64::INFINITY,
        }
    }

    proptest::proptest! {
        /// Without a quota, the clock, the CPU integral, the speed and the next completion
        /// come out to the bit as the general formulas give them, limited or not, at any
        /// sequence of instants (repeated ones and ones in the past included).
        #[test]
        fn fast_paths_match_the_general_formulas(
            limited in proptest::bool::ANY,
            cap in 0.1f64..8.0,
            warm in proptest::sample::select(vec![1.0, 0.4]),
            burst in proptest::sample::select(vec![0.0, 0.3]),
            fluid in proptest::sample::select(vec![0.0, 0.2]),
            cpr in proptest::sample::select(vec![0.0, 0.02, 1.0]),
            steps in proptest::collection::vec((-0.5f64..2.0, 0usize..4, 0.0f64..3.0), 1..40),
        ) {
            let mut p = Pod::new(0, 0.0);
            p.cap = if limited { cap } else { f64::INFINITY };
            (p.warm, p.burst, p.fluid_cpu) = (warm, burst, fluid);
            let mut r = p.clone();
            let mut now = 0.0;
            for (gap, change, work) in steps {
                // Gaps below zero stand for a repeated instant.
                now += gap.max(0.0);
                p.advance(now, cpr);
                reference_advance(&mut r, now, cpr);
                for q in [&mut p, &mut r] {
                    match change {
                        0 => {}
                        1 => {
                            let _ = q.in_service.pop();
                        }
                        _ => q.in_service.push(InService {
                            finish_v: q.vclock + work,
                            req: Request::new(now, work, f64::INFINITY),
                        }),
                    }
                }
                p.update_speed(cpr);
                r.speed = reference_speed(&r, cpr);
                for (a, b) in [
                    (p.vclock, r.vclock),
                    (p.vclock_at, r.vclock_at),
                    (p.cpu_seconds, r.cpu_seconds),
                    (p.speed, r.speed),
                    (p.next_completion(), reference_next_completion(&r)),
                ] {
                    proptest::prop_assert_eq!(a.to_bits(), b.to_bits());
                }
            }
        }
    }

    #[test]
    fn reading_the_cpu_clock_gives_what_advancing_it_stores_and_changes_nothing() {
        let cpr = 0.015;
        let (mut read, mut unread) = (busy_pod(), busy_pod());
        read.advance(0.3, cpr);
        unread.advance(0.3, cpr);
        let mut readings = Vec::new();
        for i in 1..=40 {
            readings.push(read.cpu_seconds_at(0.3 + i as f64 * 0.0731, cpr));
        }
        // Read often or not at all, the clock integrates the same pieces.
        read.advance(3.3, cpr);
        unread.advance(3.3, cpr);
        assert_eq!(read.cpu_seconds.to_bits(), unread.cpu_seconds.to_bits());
        assert_eq!(read.vclock.to_bits(), unread.vclock.to_bits());
        // A reading is what an update at that instant would store.
        let mut at = busy_pod();
        at.advance(0.3, cpr);
        let t = 0.3 + 17.0 * 0.0731;
        let reading = at.cpu_seconds_at(t, cpr);
        at.advance(t, cpr);
        assert_eq!(reading.to_bits(), at.cpu_seconds.to_bits());
        assert_eq!(readings[16].to_bits(), reading.to_bits());
        assert!(readings.windows(2).all(|w| w[0] < w[1]));
    }
}
