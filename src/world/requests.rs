//! Request-level traffic: every request is an arrival event, is balanced to a pod (http) or
//! waits in the shared backlog (queue), is served under processor-sharing CPU and completes,
//! times out or is dropped.
//!
//! A pod with a queue cap (`workload.max_queue`) answers 503 at once, at no CPU cost, when that
//! many requests already wait. With client retries (`workload.retries`) every unique request
//! is tracked by id until its client stops waiting: a failed attempt (timeout, 503, reset) comes
//! back after an exponential backoff with jitter as a new attempt — not a new arrival — routed
//! afresh. Timeouts are then detected at the deadline (an event), so the retry leaves on time,
//! while the abandoned attempt stays queued or in service on its pod (the server does not know
//! the client left: wasted work, the amplification of a retry storm) and counts nothing.
//!
//! The [`Requests`] part owns where requests come from and wait before service: the trace and
//! its arrival clock, the Service endpoints and the balancer (http), and the free worker slots
//! and shared backlog (queue).

use super::health::retime_cfs_of;
use super::{Event, InService, Pod, Recorder, Request, World};
use crate::engine::{Agenda, Timers};
use crate::rng::Stream;
use crate::trace::{ArrivalClock, Trace};
use std::collections::VecDeque;
use std::sync::Arc;

/// Arrivals, routing and the shared backlog.
pub(super) struct Requests {
    pub(super) trace: Arc<Trace>,
    /// The trace has recorded arrivals (`trace.arrivals` is set): read at every arrival, kept
    /// here so that no pointer is followed to learn it.
    recorded: bool,
    pub(super) arrival_clock: ArrivalClock,
    /// Next index into the trace's recorded arrivals (when it has them).
    pub(super) arrival_index: usize,
    pub(super) next_arrival: f64,
    pub(super) rng_arrivals: Stream,
    pub(super) rng_service: Stream,
    /// Pods in the Service endpoints (http), in the order they joined.
    pub(super) endpoints: Vec<u32>,
    pub(super) rng_balancer: Stream,
    pub(super) round_robin: usize,
    /// Free worker slots (queue workload), one entry per free worker, oldest first.
    pub(super) idle_slots: VecDeque<u32>,
    /// Shared backlog (queue workload).
    pub(super) backlog: VecDeque<Request>,
}

impl Requests {
    pub(super) fn new(trace: Arc<Trace>, seed: u64) -> Requests {
        Requests {
            recorded: trace.arrivals.is_some(),
            trace,
            arrival_clock: ArrivalClock::new(),
            arrival_index: 0,
            next_arrival: f64::INFINITY,
            rng_arrivals: Stream::new(seed, "arrivals"),
            rng_service: Stream::new(seed, "service"),
            endpoints: Vec::new(),
            rng_balancer: Stream::new(seed, "balancer"),
            round_robin: 0,
            idle_slots: VecDeque::new(),
            backlog: VecDeque::new(),
        }
    }
}
use crate::record::DropReason;
use crate::settings::jobs::JobMode;
use crate::settings::overload::Retries;
use crate::settings::workload::{Balancer, WorkloadKind};
use crate::world::{PodEventKind, PodState};

impl World {
    /// The next arrival instant (+∞ when the trace is over). Inlined into the event loop.
    #[inline(always)]
    pub(super) fn draw_next_arrival(&mut self) -> f64 {
        if self.requests.recorded {
            return self.next_recorded_arrival();
        }
        let gap = self.requests.rng_arrivals.exp1();
        self.requests
            .arrival_clock
            .advance(&self.requests.trace, gap)
            .unwrap_or(f64::INFINITY)
    }

    /// The next of the trace's recorded arrivals (+∞ after the last).
    fn next_recorded_arrival(&mut self) -> f64 {
        let list = self.requests.trace.arrivals.as_deref().unwrap_or_default();
        let t = list
            .get(self.requests.arrival_index)
            .copied()
            .unwrap_or(f64::INFINITY);
        self.requests.arrival_index += 1;
        t
    }

    /// A request arrives at `now`. Inlined into its one caller, the event loop's arrival branch.
    /// `LEAN`: the run is lean (see [`World::is_lean`]), its tests are left out.
    #[inline(always)]
    pub(super) fn arrive<const LEAN: bool>(&mut self, now: f64) {
        self.recorder.arrived(now);
        let work = self.cfg.service.sample(&mut self.requests.rng_service);
        let deadline = if LEAN {
            f64::INFINITY
        } else {
            self.cfg.timeout.map_or(f64::INFINITY, |t| now + t)
        };
        let mut req = Request::new(now, work, deadline);
        match self.cfg.kind {
            WorkloadKind::Http => {
                if !LEAN && self.cfg.overload.retries.is_some() {
                    req.id = self.clients.issue_id();
                    self.clients.wait_for(req);
                    if deadline.is_finite() {
                        self.agenda.schedule(
                            deadline,
                            Event::Deadline {
                                id: req.id,
                                attempt: 0,
                            },
                        );
                    }
                }
                self.send::<LEAN>(now, req);
            }
            WorkloadKind::Queue => {
                // Most arrivals under load find no free worker; most of the others find the
                // backlog empty and go straight to a worker.
                if self.requests.idle_slots.is_empty() {
                    self.requests.backlog.push_back(req);
                } else if self.requests.backlog.is_empty() {
                    self.serve_arrival::<LEAN>(now, req);
                } else {
                    self.requests.backlog.push_back(req);
                    self.dispatch_backlog(now);
                }
            }
        }
    }

    /// Send an http attempt to a Ready endpoint: serve it, queue it, or refuse it (`LEAN`: as
    /// for [`Self::arrive`]). Always inlined: a call's saved registers were about 16
    /// instructions of every http arrival.
    #[inline(always)]
    fn send<const LEAN: bool>(&mut self, now: f64, req: Request) {
        let Some(pod) = self.pick_endpoint() else {
            self.fail(now, req, DropReason::NoEndpoints);
            return;
        };
        let p = &mut self.pods.by_id[pod as usize];
        p.routed += 1;
        if !p.accepting {
            let why = if p.restarting {
                DropReason::Restarted
            } else {
                DropReason::RefusedTerminating
            };
            self.fail(now, req, why);
            return;
        }
        if p.in_service.len() < self.cfg.concurrency as usize {
            // Start serving it, and re-time the pod, looked up once.
            let cpr = self.cfg.cores_per_request;
            record_wait(&mut self.recorder, now, &req);
            start_on::<LEAN>(p, now, req, cpr);
            update_speed::<LEAN>(p, cpr);
            retime::<LEAN>(p, pod, cpr, &mut self.agenda, &mut self.completions);
        } else if self
            .cfg
            .overload
            .max_queue
            .is_some_and(|m| p.queue.len() >= m as usize)
        {
            // 503 at once: the pod spends nothing on it.
            self.recorder.totals.rejected += 1;
            let i = self.recorder.series.slot_at(now);
            self.recorder.series.rejected[i] += 1;
            self.fail(now, req, DropReason::Rejected);
        } else {
            p.queue.push_back(req);
        }
    }

    /// Is this the attempt its client is waiting for? (Always, for untracked requests.)
    #[inline]
    pub(super) fn is_current(&self, req: &Request) -> bool {
        req.id == 0 || self.clients.waits_for(req)
    }

    /// An attempt failed for `reason` at `now`: retried if the client retries it, else the
    /// request is dropped for that reason. An orphaned attempt counts nothing.
    pub(super) fn fail(&mut self, now: f64, req: Request, reason: DropReason) {
        if req.id == 0 {
            self.drop_request(now, reason);
            return;
        }
        if !self.is_current(&req) {
            return;
        }
        let Some(r) = self.cfg.overload.retries else {
            return;
        };
        let retried = match reason {
            DropReason::Rejected => r.on_rejected,
            _ => r.on_reset,
        };
        if retried && req.attempt < r.max {
            self.schedule_retry(now, req, &r);
        } else {
            self.clients.stop_waiting(req.id);
            self.drop_request(now, reason);
        }
    }

    /// The attempt's client gave up before it finished (checked lazily when the attempt is
    /// next touched): an untracked request times out now; a tracked one was already handled by
    /// its deadline event.
    #[inline]
    pub(super) fn lapse(&mut self, req: &Request) {
        if req.id == 0 {
            self.time_out(req.deadline);
        }
    }

    fn schedule_retry(&mut self, now: f64, req: Request, r: &Retries) {
        let n = req.attempt + 1;
        let jitter = if r.jitter > 0.0 {
            1.0 - r.jitter + 2.0 * r.jitter * self.clients.jitter_draw()
        } else {
            1.0
        };
        let due = now + r.delay(n) * jitter;
        let next = Request {
            arrival: due,
            work: req.work,
            deadline: self.cfg.timeout.map_or(f64::INFINITY, |t| due + t),
            origin: req.origin,
            attempt: n,
            id: req.id,
        };
        self.clients.wait_for(next);
        self.agenda.schedule(due, Event::Retry { id: req.id });
    }

    /// A client sends its retry.
    pub(super) fn on_retry(&mut self, now: f64, id: u64) {
        let Some(req) = self.clients.current(id) else {
            return;
        };
        self.recorder.totals.retries += 1;
        let i = self.recorder.series.slot_at(now);
        self.recorder.series.retries[i] += 1;
        if req.deadline.is_finite() {
            self.agenda.schedule(
                req.deadline,
                Event::Deadline {
                    id,
                    attempt: req.attempt,
                },
            );
        }
        self.send::<false>(now, req);
    }

    /// A tracked attempt's timeout: if the client still waits for it, it retries or gives up.
    pub(super) fn on_deadline(&mut self, now: f64, id: u64, attempt: u32) {
        let Some(cur) = self.clients.current(id) else {
            return;
        };
        if cur.attempt != attempt {
            return;
        }
        let Some(r) = self.cfg.overload.retries else {
            return;
        };
        if r.on_timeout && attempt < r.max {
            self.schedule_retry(now, cur, &r);
        } else {
            self.clients.stop_waiting(id);
            self.time_out(now);
        }
    }

    /// The endpoint the balancer sends the next attempt to (none without endpoints). Always
    /// inlined into [`Self::send`], its one hot caller.
    #[inline(always)]
    pub(super) fn pick_endpoint(&mut self) -> Option<u32> {
        let n = self.requests.endpoints.len();
        if n == 0 {
            return None;
        }
        let i = match self.cfg.balancer {
            Balancer::Random => self.requests.rng_balancer.below(n),
            Balancer::RoundRobin => {
                self.requests.round_robin = (self.requests.round_robin + 1) % n;
                self.requests.round_robin
            }
            Balancer::LeastRequest => {
                let a = self.requests.rng_balancer.below(n);
                let b = self.requests.rng_balancer.below(n);
                // The two candidates' ids, read once: the one chosen is returned as read.
                let (ia, ib) = (self.requests.endpoints[a], self.requests.endpoints[b]);
                let (pa, pb) = (&self.pods.by_id[ia as usize], &self.pods.by_id[ib as usize]);
                return Some(if pb.in_flight() < pa.in_flight() {
                    ib
                } else {
                    ia
                });
            }
        };
        Some(self.requests.endpoints[i])
    }

    /// (Re)schedule the pod's next completion if it moved (and its CFS event, with a quota).
    /// Inlined: it runs after every start and completion of a request.
    #[inline(always)]
    pub(super) fn reschedule(&mut self, pod: u32) {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods.by_id[pod as usize];
        retime::<false>(p, pod, cpr, &mut self.agenda, &mut self.completions);
    }

    /// The pod's earliest request in service finishes at `now`. Inlined into its one caller,
    /// the event loop's completion branch. The pod is looked up once and borrowed beside the
    /// recorder, the backlog and the timers (each lookup is a bounds check and a multiply).
    ///
    /// Returns whether the pod's completion timer was re-armed (with a new stamp, so the
    /// deadline that fired is gone): the caller then need not look for it to drop it.
    /// `LEAN`: as for [`Self::arrive`] (every request untracked, none late).
    #[inline(always)]
    pub(super) fn complete<const LEAN: bool>(&mut self, now: f64, pod: u32) -> bool {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods.by_id[pod as usize];
        advance::<LEAN>(p, now, cpr);
        p.completion_at = f64::INFINITY;
        let Some(done) = p.in_service.pop() else {
            return false;
        };
        let req = done.req;
        // The common case keeps the pod's borrow (beside the recorder's); the others look it
        // up again.
        let p = if LEAN || (req.id == 0 && !(now > req.deadline)) {
            // An untracked request served in time: the common case.
            p.served += 1;
            self.recorder.served(now, now - req.origin);
            p
        } else {
            if now > req.deadline {
                self.lapse(&req);
            } else if self.is_current(&req) {
                // A tracked request (id ≠ 0) its client still waits for.
                self.clients.stop_waiting(req.id);
                self.pods.by_id[pod as usize].served += 1;
                self.recorder.served(now, now - req.origin);
            }
            // (An orphan — its client moved on — wasted its work and counts nothing.)
            &mut self.pods.by_id[pod as usize]
        };
        // Refill the freed slot (the pod's speed is updated once, below).
        match self.cfg.kind {
            WorkloadKind::Http => {
                while let Some(next) = p.queue.pop_front() {
                    if !LEAN && now >= next.deadline {
                        if next.id == 0 {
                            self.recorder.time_out_n(next.deadline, 1);
                        }
                        continue;
                    }
                    serve_advanced::<LEAN>(p, &mut self.recorder, now, next, cpr);
                    break;
                }
            }
            WorkloadKind::Queue => {
                if p.accepting && p.consumer && !p.job {
                    if let Some(next) =
                        pop_live::<LEAN>(&mut self.requests.backlog, &mut self.recorder, now)
                    {
                        serve_advanced::<LEAN>(p, &mut self.recorder, now, next, cpr);
                    } else {
                        self.requests.idle_slots.push_back(pod);
                    }
                } else if p.job && p.accepting && p.job_run.mode == JobMode::Drain {
                    // A draining job takes the next message; with none left it exits (below).
                    if let Some(next) =
                        pop_live::<LEAN>(&mut self.requests.backlog, &mut self.recorder, now)
                    {
                        serve_advanced::<LEAN>(p, &mut self.recorder, now, next, cpr);
                    }
                }
            }
        }
        update_speed::<LEAN>(p, cpr);
        retime::<LEAN>(p, pod, cpr, &mut self.agenda, &mut self.completions);
        // The completion was cleared above: a finite one now was set just now, with a new
        // stamp (whatever follows may drop it, never bring the fired one back).
        let rearmed = p.completion_at < f64::INFINITY;
        if p.job {
            if p.in_service.is_empty() {
                self.finish_job(now, pod);
            }
        } else if p.state == PodState::Terminating && !p.accepting && p.in_flight() == 0 {
            self.exit(now, pod, PodEventKind::Exited, None);
        }
        rearmed
    }

    /// A message arrives at `now` to an empty backlog while workers are free: exactly what
    /// queueing it and [`Self::dispatch_backlog`] would do, without the trip through the backlog.
    /// `LEAN`: as for [`Self::arrive`].
    #[inline]
    fn serve_arrival<const LEAN: bool>(&mut self, now: f64, req: Request) {
        let cpr = self.cfg.cores_per_request;
        while let Some(pod) = self.requests.idle_slots.pop_front() {
            let p = &mut self.pods.by_id[pod as usize];
            if !self.cfg.free_slot(p) {
                continue; // stale slot
            }
            if !LEAN && now >= req.deadline {
                // Expired on arrival (as `pop_live` would find it): the worker stays free.
                self.recorder.time_out_n(req.deadline, 1);
                self.requests.idle_slots.push_front(pod);
                return;
            }
            // It arrived now: its wait is exactly 0 (known here, so recording it is cheaper).
            debug_assert_eq!(req.arrival, now);
            self.recorder.waited_zero();
            start_on::<LEAN>(p, now, req, cpr);
            update_speed::<LEAN>(p, cpr);
            retime::<LEAN>(p, pod, cpr, &mut self.agenda, &mut self.completions);
            return;
        }
        self.requests.backlog.push_back(req);
    }

    /// Hand backlog messages to free workers.
    pub(super) fn dispatch_backlog(&mut self, now: f64) {
        let cpr = self.cfg.cores_per_request;
        while !self.requests.backlog.is_empty() {
            let Some(pod) = self.requests.idle_slots.pop_front() else {
                return;
            };
            let p = &mut self.pods.by_id[pod as usize];
            if !self.cfg.free_slot(p) {
                continue; // stale slot
            }
            match pop_live::<false>(&mut self.requests.backlog, &mut self.recorder, now) {
                Some(req) => {
                    serve_on(p, &mut self.recorder, now, req, cpr);
                    p.update_speed(cpr);
                    retime::<false>(p, pod, cpr, &mut self.agenda, &mut self.completions);
                }
                None => {
                    self.requests.idle_slots.push_front(pod);
                    return;
                }
            }
        }
    }
}

impl super::WorldConfig {
    /// Can `p`, popped from the free worker slots, take a message now? (A slot goes stale when
    /// its pod stops accepting or fills up after it was queued.)
    #[inline(always)]
    fn free_slot(&self, p: &Pod) -> bool {
        let busy = if p.job {
            // A one-message job that has served its message takes no other.
            !p.in_service.is_empty() || (p.served > 0 && p.job_run.mode == JobMode::OneMessage)
        } else {
            p.in_service.len() >= self.concurrency as usize
        };
        p.accepting && !busy && (p.consumer || p.job)
    }
}

/// The next backlog message whose client still waits at `now`; the ones found expired are
/// counted as timed out on the way (`LEAN`: none expires, the first is taken).
#[inline(always)]
fn pop_live<const LEAN: bool>(
    backlog: &mut VecDeque<Request>,
    recorder: &mut Recorder,
    now: f64,
) -> Option<Request> {
    if LEAN {
        return backlog.pop_front();
    }
    while let Some(r) = backlog.pop_front() {
        if now >= r.deadline {
            recorder.time_out_n(r.deadline, 1);
            continue;
        }
        return Some(r);
    }
    None
}

/// Start serving `req` on `p` at `now` (its wait recorded); the caller updates the speed.
#[inline(always)]
fn serve_on(p: &mut Pod, recorder: &mut Recorder, now: f64, req: Request, cpr: f64) {
    recorder.waited(now - req.arrival);
    start_on::<false>(p, now, req, cpr);
}

/// [`serve_on`] without recording the wait (`LEAN`: as for [`World::arrive`]).
#[inline(always)]
fn start_on<const LEAN: bool>(p: &mut Pod, now: f64, req: Request, cpr: f64) {
    advance::<LEAN>(p, now, cpr);
    p.in_service.push(InService {
        finish_v: p.vclock + req.work,
        req,
    });
}

/// [`serve_on`] for a pod whose clock was just brought to `now`. Without a CFS quota, advancing
/// it again is a no-op (no time passes); with one, it is still done: a period that ends now
/// may roll over again.
#[inline(always)]
fn serve_advanced<const LEAN: bool>(
    p: &mut Pod,
    recorder: &mut Recorder,
    now: f64,
    req: Request,
    cpr: f64,
) {
    if !LEAN && p.cfs.is_some() {
        p.advance(now, cpr);
    }
    debug_assert!(p.vclock_at >= now);
    recorder.waited(now - req.arrival);
    p.in_service.push(InService {
        finish_v: p.vclock + req.work,
        req,
    });
}

/// Record the wait of `req`, starting at `now`. An http attempt starts when it is sent (its
/// arrival): its wait is 0, recorded as such, whose histogram slot is known. (A zero of either
/// sign records alike.)
#[inline(always)]
fn record_wait(recorder: &mut Recorder, now: f64, req: &Request) {
    let wait = now - req.arrival;
    if wait == 0.0 {
        recorder.waited_zero();
    } else {
        recorder.waited(wait);
    }
}

/// [`Pod::advance`], its quota test left out on the lean path (no pod has a quota).
#[inline(always)]
fn advance<const LEAN: bool>(p: &mut Pod, now: f64, cpr: f64) {
    if LEAN {
        p.advance_unquoted(now, cpr);
    } else {
        p.advance_inlined(now, cpr);
    }
}

/// [`Pod::update_speed`], its quota test left out on the lean path (no pod has a quota).
#[inline(always)]
fn update_speed<const LEAN: bool>(p: &mut Pod, cpr: f64) {
    if LEAN {
        p.update_speed_unquoted(cpr);
    } else {
        p.update_speed(cpr);
    }
}

/// [`World::reschedule`] for pod `pod`, `p`, already looked up: its CFS event (with a quota;
/// `LEAN`: none has one), then its next completion.
#[inline(always)]
fn retime<const LEAN: bool>(
    p: &mut Pod,
    pod: u32,
    cpr: f64,
    agenda: &mut Agenda<Event>,
    completions: &mut Timers,
) {
    if !LEAN && p.cfs.is_some() {
        retime_cfs_of(p, pod, cpr, agenda);
    }
    retime_completion(p, pod, agenda, completions);
}

/// (Re)schedule pod `pod`'s next completion in `completions` if it moved (stamped by
/// `agenda`); cancel it while the pod is stalled.
#[inline(always)]
fn retime_completion(p: &mut Pod, pod: u32, agenda: &mut Agenda<Event>, completions: &mut Timers) {
    let next = p.next_completion();
    // Whether it moved is worked out only when a completion was pending (after a completion
    // none is: the common case skips the arithmetic).
    let moved = |at: f64| (next - at).abs() > 1e-9 * (1.0 + smaller(next.abs(), at.abs()));
    // `is_finite` as one comparison: these instants are never NaN nor −∞ (a completion is due
    // at or after the pod's clock, and +∞ stands for none).
    let finite = |t: f64| t < f64::INFINITY;
    debug_assert!(!next.is_nan() && next != f64::NEG_INFINITY && !p.completion_at.is_nan());
    if finite(next) && (!finite(p.completion_at) || moved(p.completion_at)) {
        p.completion_at = next;
        let key = agenda.stamp(next);
        completions.set(pod, key);
    } else if !finite(next) {
        if !p.in_service.is_empty() {
            // Stalled (CFS quota): the pending completion must not fire.
            completions.cancel(pod);
        }
        p.completion_at = f64::INFINITY;
    }
}

/// `a.min(b)` for two numbers that are not NaN, without `min`'s NaN handling (the same value:
/// with neither NaN they differ only when equal, and `retime_completion` passes magnitudes, so
/// no zero of the other sign).
#[inline(always)]
fn smaller(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::smaller;

    proptest::proptest! {
        /// `smaller` is `f64::min` to the bit on the magnitudes `retime_completion` gives it.
        #[test]
        fn smaller_is_min_on_magnitudes(a in proptest::num::f64::ANY, b in proptest::num::f64::ANY) {
            let (a, b) = (a.abs(), b.abs());
            if !a.is_nan() && !b.is_nan() {
                proptest::prop_assert_eq!(smaller(a, b).to_bits(), a.min(b).to_bits());
            }
        }
    }
}

#[cfg(test)]
mod lean_path_tests {
    use super::super::World;
    use super::super::properties::{
        arb_service, config, liveness_of, minute_trace, outcome, run_through_changes,
    };
    use crate::settings::workload::{Balancer, WorkloadKind};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))), ..ProptestConfig::default() })]

        /// A lean run (no quota, timeout or retries: [`World::is_lean`]) comes out the same to
        /// the bit down the lean path and down the general one, whatever the workload, the
        /// pods' limit and concurrency, the balancer, the service time, the traffic, the
        /// replica changes, the queue cap and the liveness probes.
        #[test]
        fn lean_path_is_the_general_path(
            queue in any::<bool>(),
            conc in 1u32..5,
            limit in proptest::option::of(0.2f64..3.0),
            balancer in prop_oneof![Just(Balancer::Random), Just(Balancer::RoundRobin), Just(Balancer::LeastRequest)],
            service in arb_service(),
            rates in proptest::collection::vec(0.0f64..40.0, 1..6),
            initial in 0i32..6,
            changes in proptest::collection::vec((0.0f64..300.0, 0i32..12), 0..8),
            max_queue in proptest::option::of(0u32..6),
            liveness in proptest::option::of((1.0f64..15.0, 0.05f64..2.0, 1u32..4)),
            seed in any::<u64>(),
        ) {
            let kind = if queue { WorkloadKind::Queue } else { WorkloadKind::Http };
            let trace = minute_trace(rates);
            let mut cfg = config(kind, conc, None, limit, balancer, service, false);
            cfg.overload.max_queue = max_queue.filter(|_| !queue);
            cfg.overload.liveness = liveness_of(liveness);
            let duration = 300.0;
            let run = |lean: bool| {
                let mut w = World::new(cfg.clone(), trace.clone(), seed, duration, 5.0, initial);
                assert!(w.is_lean());
                let run_to = |w: &mut World, limit: f64| {
                    if lean {
                        w.run_events_until::<true>(limit);
                    } else {
                        w.run_events_until::<false>(limit);
                    }
                };
                run_through_changes(&mut w, &changes, duration, run_to);
                outcome(&w)
            };
            prop_assert_eq!(run(true), run(false));
        }
    }
}
