//! Flow-level traffic (`fidelity: fluid`): instead of one event per request, every `dt` the
//! arrivals of that interval (a whole number, rounded with a carried remainder so the total is
//! exact) are split across Ready pods (http) or added to the shared backlog (queue), and each pod
//! serves as many as its capacity allows — concurrency / mean service time, or its CPU limit /
//! CPU per request when that binds. Waiting work is kept as FIFO cohorts (arrival instant,
//! count), so timeouts, backlog age and the wait of served work stay exact at `dt` resolution.
//! Latency = FIFO wait + a queueing estimate while the pod keeps up (Erlang C with the
//! Allen–Cunneen correction for non-exponential service) + the mean service time (Little's law
//! in the large). Pods, metrics and controllers are the same as at request level.
//!
//! The counts keep request-level variability where it matters for queues: arrivals per interval
//! are Poisson, the random balancer splits them multinomially across pods (pods in the same
//! state take their part as one group and split it evenly: [`group`]), and a busy pod's
//! completions per interval vary with the service time's variance (a renewal count) — all from
//! the run's seeded streams.
//!
//! The overload mechanisms have flow-level counterparts: a pod with a queue cap admits at most
//! `max_queue + concurrency` waiting requests and answers the rest of its share 503; failed
//! cohorts (timed out, rejected, reset) whose clients retry come back as cohorts of the next
//! attempt after the mean backoff (jitter averages out; placed at interval resolution), carrying
//! the time since their first attempt for latency; liveness probes read a pod's backlog over its
//! service rate; a CFS quota bounds throughput like a limit and counts as throttled the share of
//! each saturated interval a pod would spend stalled, 1 − limit / demand (its tail latency is
//! not modelled at this level); capacity follows the pod's node share.

mod group;

use super::cohorts::Cohorts;
use super::pod::Pod;
use super::{Event, PodEventKind, PodState, World};
use crate::record::DropReason;
use crate::rng::Stream;
use crate::settings::dist::{Dist, QuantileTable};
use crate::settings::jobs::JobMode;
use crate::settings::workload::{Balancer, WorkloadKind};

/// Sub-batches per interval when a backlogged pod serves clients that may time out.
const SUB_BATCHES: u64 = 16;

/// `x ≥ 0` rounded to the nearest whole number, halves up: `f64::round` without the libm call
/// it compiles to on baseline x86-64 (the flow-level model rounds several times per pod and
/// interval).
#[inline]
fn round_up_half(x: f64) -> u64 {
    // Counts far below 2⁶³: the signed conversion is a single instruction.
    (x + 0.5) as i64 as u64
}

/// Requests that arrived over `[start, end)`, spread evenly, waiting to be served oldest first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cohort {
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) count: u64,
    /// Client retries before this attempt (0: first attempt).
    pub(crate) attempt: u32,
    /// Mean time from the requests' first attempt to this attempt's arrival (0 for first
    /// attempts): added to their latency.
    pub(crate) lag: f64,
}

impl Cohort {
    /// Arrival instant of the oldest request.
    pub(crate) fn oldest(&self) -> f64 {
        self.start
    }

    /// How many of these arrived before `t`.
    pub(crate) fn before(&self, t: f64) -> u64 {
        if t <= self.start {
            0
        } else if t >= self.end {
            self.count
        } else {
            round_up_half((t - self.start) / (self.end - self.start) * self.count as f64)
        }
    }

    /// Remove the `n` oldest requests, returning them as a cohort of their own.
    pub(crate) fn split_oldest(&mut self, n: u64) -> Cohort {
        let n = n.min(self.count);
        let cut = if self.count == 0 {
            self.end
        } else {
            self.start + (self.end - self.start) * n as f64 / self.count as f64
        };
        let head = Cohort {
            start: self.start,
            end: cut,
            count: n,
            attempt: self.attempt,
            lag: self.lag,
        };
        self.start = cut;
        self.count -= n;
        head
    }

    pub(crate) fn mid(&self) -> f64 {
        (self.start + self.end) / 2.0
    }

    /// First attempts over `[start, start + dt)`.
    pub(crate) fn fresh(start: f64, dt: f64, count: u64) -> Cohort {
        Cohort {
            start,
            end: start + dt,
            count,
            attempt: 0,
            lag: 0.0,
        }
    }
}

/// Flow-level state of the world.
#[derive(Debug, Clone)]
pub(super) struct FluidState {
    pub(crate) dt: f64,
    /// Exact-arrival traces: index of the next unread arrival.
    next_arrival: usize,
    /// Shared backlog (queue workload).
    pub(crate) backlog: Cohorts,
    round_robin: usize,
    /// Mean and squared coefficient of variation of the service time.
    mean_service: f64,
    scv: f64,
    /// Mean queueing wait of a warm pod, and the share of the interval it spends stalled by
    /// its CFS quota, by requests offered per interval (memoised below
    /// [`crate::limits::FLUID_WAIT_TABLE_ENTRIES`]), for pods that run `wait_servers` requests
    /// at full speed (a rollout that changes the CPU limit renews it).
    wait_by_offered: Vec<(f64, f64)>,
    wait_servers: f64,
    /// Retry cohorts not yet sent: (due, cohort), in the order they were failed.
    pub(crate) retries: Vec<(f64, Cohort)>,
    /// Pods not yet Gone, by id (a pod leaves once Gone; new pods join by id order).
    live: Vec<u32>,
    /// Pods created so far that `live` has taken in.
    seen: usize,
    /// Scratch for a tick: the pods that serve, and each endpoint's share of a cohort.
    serving: Vec<u32>,
    shares: Vec<u64>,
    normals: Vec<f64>,
    /// This interval's pods served as one group (see [`group`]).
    group: group::Group,
    /// The last interval's gather of the serving pods, kept while it holds.
    kept: KeptGather,
    /// Intervals that reused the kept gather (tests).
    #[cfg(test)]
    kept_reused: u64,
    /// Draws the service time each served batch records (see [`World::serve_n`]), from the
    /// service-time distribution tabulated once.
    latency_rng: Stream,
    service_table: QuantileTable,
    /// A pod's service rate, memoised for the last (CPU cap, start-up burst, warm-up factor, CPU
    /// limit): most pods share them.
    service_rate: ServiceRate,
}

/// What [`World::fluid_serving_pods`] last gathered, reused by the next interval while it would
/// gather the same: no pod changed in what decides whether it serves and what it is alike by
/// (counted by `PodSet::changed`), no pod was created, no member of the group was handed work
/// of its own (a group that could fall behind), and the pods served on their own are as alike
/// as they were (what they hold waiting changes from one interval to the next). Then no pod
/// has gone and no pod that stopped serving still burns CPU, so the walk would change nothing
/// either.
#[derive(Debug, Clone, Default)]
struct KeptGather {
    /// Whether it may be reused: gathered with grouping on, and no member handed work since.
    valid: bool,
    /// `PodSet::changes` when it was gathered.
    changes: u64,
    /// The group's members (empty when fewer than two joined).
    members: Vec<u32>,
    /// The pods served on their own, in the gather's order, and what each was alike by then.
    alone: Vec<u32>,
    alone_like: Vec<Option<group::Likeness>>,
}

/// How fast a pod serves, given what bounds it.
#[derive(Debug, Clone, Copy)]
struct ServiceRate {
    /// (cap, burst, warm, limit) it was computed for.
    key: (f64, f64, f64, f64),
    /// Requests it runs at full speed ([`World::fluid_servers`]).
    servers: f64,
    /// Completions per second when busy.
    rate: f64,
    /// Standard deviation of its completions per interval when busy (a renewal count).
    noise_sd: f64,
}

impl FluidState {
    pub(super) fn new(dt: f64, service: Dist, latency_rng: Stream) -> FluidState {
        let (mean_service, scv) = (service.mean(), service.scv());
        FluidState {
            dt,
            next_arrival: 0,
            backlog: Cohorts::new(),
            round_robin: 0,
            mean_service,
            scv,
            wait_by_offered: Vec::new(),
            wait_servers: f64::NAN,
            retries: Vec::new(),
            live: Vec::new(),
            seen: 0,
            serving: Vec::new(),
            shares: Vec::new(),
            normals: Vec::new(),
            group: group::Group::default(),
            kept: KeptGather::default(),
            #[cfg(test)]
            kept_reused: 0,
            latency_rng,
            service_table: QuantileTable::new(service),
            service_rate: ServiceRate {
                key: (f64::NAN, f64::NAN, f64::NAN, f64::NAN),
                servers: 0.0,
                rate: 0.0,
                noise_sd: 0.0,
            },
        }
    }
}

/// Mean extra time in a pod at its CPU limit: its cores, `servers` requests' worth (fractional),
/// are processor-shared among the requests in service, so with k requests in the pod the
/// service rate is μ·min(k, servers). The exact birth–death chain for Poisson arrivals and
/// exponential service (a PS queue's mean is insensitive to the service distribution): the
/// mean number in the pod by Little's law gives the mean sojourn, less the mean service time.
/// Overloaded pods (ρ ≥ 1) fall back to [`pod_wait`].
pub(super) fn ps_wait(servers: f64, lambda: f64, mean: f64) -> f64 {
    let mu = 1.0 / mean;
    let rho = lambda / (mu * servers);
    if !(lambda > 0.0) {
        return 0.0;
    }
    if !(rho < 1.0) || servers < 1.0 {
        return pod_wait(servers, lambda, mean, 1.0);
    }
    // States 0..=k0 by their rates; beyond k0 every state serves at μ·servers (ratio ρ).
    let k0 = servers.ceil() as u32;
    let (mut p, mut total, mut n) = (1.0f64, 1.0f64, 0.0f64);
    for k in 1..=k0 {
        p *= lambda / (mu * (k as f64).min(servers));
        total += p;
        n += k as f64 * p;
    }
    let tail = rho / (1.0 - rho);
    total += p * tail;
    n += p * (k0 as f64 * tail + rho / ((1.0 - rho) * (1.0 - rho)));
    (n / total / lambda - mean).max(0.0)
}

/// Stalls under a CFS quota. A pod whose quota is `servers` requests' worth of cores runs its
/// `K` requests in service at full speed until it has used the quota of a `period`, then
/// stalls to the period's end: over a period it progresses as if processor-shared at
/// `servers / K̄`, where K̄ is the period's average number in service. K̄ is taken as normal with
/// mean `a` = λ × mean service and the variance of the time-average of an M/M/∞ count over the
/// period (so short bursts inside a period cost nothing, unlike processor sharing at the limit).
/// Returns (extra time per unit of service, averaged over requests: E[K̄ (K̄/servers − 1)⁺] / a;
/// the share of time the pod is stalled: E[(1 − servers/K̄)⁺]).
pub(super) fn cfs_stall(servers: f64, lambda: f64, mean: f64, period: f64) -> (f64, f64) {
    let a = lambda * mean;
    if !(a > 0.0) || !(servers > 0.0) {
        return (0.0, 0.0);
    }
    let r = period / mean;
    let shrink = ((2.0 / r) * (1.0 - (1.0 - (-r).exp()) / r)).min(1.0);
    let sd = (a * shrink).sqrt();
    // Midpoint rule over ±6 sd.
    const STEPS: usize = 96;
    let (lo, hi) = ((a - 6.0 * sd).max(servers), a + 6.0 * sd);
    if hi <= lo {
        return (0.0, 0.0);
    }
    let h = (hi - lo) / STEPS as f64;
    let (mut extra, mut stalled) = (0.0, 0.0);
    for i in 0..STEPS {
        let k = lo + (i as f64 + 0.5) * h;
        let z = (k - a) / sd;
        let density = (-0.5 * z * z).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt());
        extra += density * h * k * (k / servers - 1.0);
        stalled += density * h * (1.0 - servers / k);
    }
    (extra / a, stalled)
}

/// Mean queueing delay of a pod that can run `servers` requests at full speed (fractional when its
/// CPU limit binds: limit / cores per request), each taking `mean` seconds: M/G/c with the
/// Allen–Cunneen correction, interpolated between the neighbouring whole numbers of servers (for
/// processor sharing the M/M/c mean response is the same as FCFS).
pub(super) fn pod_wait(servers: f64, lambda: f64, mean: f64, scv: f64) -> f64 {
    if servers < 1.0 {
        // One slowed server.
        return mgc_wait(1, lambda, servers / mean, scv);
    }
    let lo = servers.floor();
    let frac = servers - lo;
    let w_lo = mgc_wait(lo as u32, lambda, 1.0 / mean, scv);
    if frac < 1e-9 {
        return w_lo;
    }
    let w_hi = mgc_wait(lo as u32 + 1, lambda, 1.0 / mean, scv);
    // An overloaded floor (infinite queue) contributes the backlog, not a wait estimate.
    if lambda * mean >= lo {
        w_hi
    } else {
        w_lo * (1.0 - frac) + w_hi * frac
    }
}

/// Mean wait in queue of an M/G/c queue at utilisation below 1: Erlang C × (1 + cs²)/2 / (cμ − λ).
pub(super) fn mgc_wait(c: u32, lambda: f64, mu: f64, scv: f64) -> f64 {
    if lambda <= 0.0 || mu <= 0.0 {
        return 0.0;
    }
    let cf = c as f64;
    let a = lambda / mu;
    if a >= cf {
        return 0.0; // overloaded: the FIFO backlog carries the wait
    }
    // Erlang C by the stable recursion on Erlang B.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / cf;
    let erlang_c = b / (1.0 - rho + rho * b);
    erlang_c / (cf * mu - lambda) * (1.0 + scv) / 2.0
}

impl World {
    /// How many requests a pod can run at full speed: its concurrency, or fewer (fractional)
    /// when its CPU limit binds first.
    pub(super) fn fluid_servers(&self, pod: u32) -> f64 {
        let p = &self.pods.by_id[pod as usize];
        let slots = self.cfg.concurrency as f64;
        // Its limit (a CFS quota bounds throughput like one), or its node share.
        let capacity = p.cap.min(self.pod_limit(pod));
        if self.cfg.cores_per_request > 0.0 && capacity.is_finite() {
            let cores = (capacity - p.burst).max(capacity * 0.05);
            slots.min(cores / self.cfg.cores_per_request)
        } else {
            slots
        }
    }

    /// Requests waiting for a retry that has not been sent yet.
    pub(super) fn fluid_retrying(&self) -> u64 {
        self.fluid
            .as_ref()
            .map_or(0, |f| f.retries.iter().map(|(_, c)| c.count).sum())
    }

    /// `g` failed for `reason` at `at` (flow level): its clients retry it after the mean backoff
    /// if they retry that failure and have retries left; otherwise it is lost for that reason
    /// (`None`: timed out, recorded at `at`).
    fn fluid_fail(
        &mut self,
        fl: Option<&mut FluidState>,
        at: f64,
        g: Cohort,
        reason: Option<DropReason>,
    ) {
        if g.count == 0 {
            return;
        }
        let retried = self.cfg.overload.retries.filter(|r| {
            g.attempt < r.max
                && match reason {
                    None => r.on_timeout,
                    Some(DropReason::Rejected) => r.on_rejected,
                    Some(_) => r.on_reset,
                }
        });
        match (retried, fl) {
            (Some(r), fl) => {
                let due = at + r.delay(g.attempt + 1);
                let next = Cohort {
                    start: due,
                    end: due,
                    count: g.count,
                    attempt: g.attempt + 1,
                    lag: g.lag + (due - g.mid()).max(0.0),
                };
                match fl {
                    Some(fl) => fl.retries.push((due, next)),
                    // Called outside a tick: park it in the world's fluid state.
                    None => {
                        debug_assert!(self.fluid.is_some(), "flow-level failure outside the model");
                        if let Some(fl) = self.fluid.as_mut() {
                            fl.retries.push((due, next));
                        }
                    }
                }
            }
            (None, _) => match reason {
                None => self.time_out_n(at, g.count),
                Some(why) => self.drop_requests(at, why, g.count),
            },
        }
    }

    /// A pod's container dies (kill at shutdown, liveness restart) at flow level: its waiting
    /// cohorts are lost — timed out if their clients had already left, else failed for
    /// `reason` (and retried by clients that retry resets). Returns how many failed for
    /// `reason` (not those that had timed out).
    pub(super) fn fluid_lose(&mut self, now: f64, pod: u32, reason: DropReason) -> u64 {
        let timeout = self.cfg.timeout.unwrap_or(f64::INFINITY);
        let mut lost = 0;
        for mut c in self.fluid_take_all(pod) {
            let gone = c.before(now - timeout);
            if gone > 0 {
                let g = c.split_oldest(gone);
                self.fluid_fail(None, g.mid() + timeout, g, None);
            }
            lost += c.count;
            self.fluid_fail(None, now, c, Some(reason));
        }
        lost
    }

    /// One flow-level interval starting at `t`.
    pub(super) fn fluid_tick(&mut self, t: f64) {
        let Some(mut fl) = self.fluid.take() else {
            return;
        };
        let dt = fl.dt;
        let mid = t + dt / 2.0;
        // Which pods serve depends on their state alone, not on this interval's arrivals.
        let mut ids = self.fluid_serving_pods(t, &mut fl);
        self.fluid_arrivals(t, &mut fl);
        self.fluid_due_retries(t, &mut fl);
        ids.extend_from_slice(&fl.group.fallen);
        self.fluid_serve_group(t, &mut fl);
        for &id in &ids {
            self.fluid_serve_pod(t, id, &mut fl);
        }
        fl.group.disband();
        self.fluid_expire_backlog(mid, &mut fl);
        fl.serving = ids;
        self.fluid = Some(fl);
        self.agenda.schedule(t + dt, Event::FluidTick);
    }

    /// Arrivals of [t, t + dt): routed to pods (http) or queued in the shared backlog.
    fn fluid_arrivals(&mut self, t: f64, fl: &mut FluidState) {
        let dt = fl.dt;
        let arrivals = match &self.requests.trace.arrivals {
            Some(list) => {
                let start = fl.next_arrival;
                while fl.next_arrival < list.len() && list[fl.next_arrival] < t + dt {
                    fl.next_arrival += 1;
                }
                (fl.next_arrival - start) as u64
            }
            None => poisson(
                &mut self.requests.rng_arrivals,
                self.requests.trace.integral(t, t + dt),
            ),
        };
        if arrivals > 0 {
            self.recorder.totals.arrived += arrivals;
            let i = self.recorder.series.slot_at(t);
            self.recorder.series.arrivals[i] += arrivals as u32;
            let fresh = Cohort::fresh(t, dt, arrivals);
            match self.cfg.kind {
                WorkloadKind::Http => self.fluid_route_fresh(t, fresh, fl),
                WorkloadKind::Queue => fl.backlog.push_back(fresh),
            }
        }
    }

    /// Route an interval's first attempts: to this interval's group and the other endpoints,
    /// or to every endpoint one by one when there is no group.
    fn fluid_route_fresh(&mut self, t: f64, fresh: Cohort, fl: &mut FluidState) {
        if fl.group.members.is_empty() {
            self.fluid_route(t, fresh, fl);
        } else {
            self.fluid_route_grouped(t, fresh, fl);
        }
    }

    /// Retries due in this interval (late ones go now: interval resolution).
    fn fluid_due_retries(&mut self, t: f64, fl: &mut FluidState) {
        if fl.retries.is_empty() {
            return;
        }
        let dt = fl.dt;
        let mut due = Vec::new();
        fl.retries.retain(|&(d, c)| {
            if d < t + dt {
                due.push(c);
                false
            } else {
                true
            }
        });
        if !due.is_empty() {
            // Routed to every endpoint, the group's members too: the next interval gathers
            // afresh.
            fl.kept.valid = false;
        }
        for mut c in due {
            self.recorder.totals.retries += c.count;
            let i = self.recorder.series.slot_at(t);
            self.recorder.series.retries[i] += c.count as u32;
            c.lag += (t - c.start).max(0.0);
            c.start = t;
            c.end = t + dt;
            self.fluid_route(t, c, fl);
        }
    }

    /// The pods that serve this interval on their own: running and Ready or Terminating, less
    /// those alike enough to be served as one group (http, no retries due; see [`group`]). A
    /// pod that stopped serving has its last interval's work done. One pass over the live pods,
    /// which also retires the Gone.
    fn fluid_serving_pods(&mut self, t: f64, fl: &mut FluidState) -> Vec<u32> {
        let mut ids = std::mem::take(&mut fl.serving);
        ids.clear();
        let grouping = self.cfg.kind == WorkloadKind::Http
            && !fl.retries.iter().any(|&(due, _)| due < t + fl.dt);
        fl.group.open();
        if grouping && self.fluid_gather_holds(fl) {
            fl.group.members.extend_from_slice(&fl.kept.members);
            ids.extend_from_slice(&fl.kept.alone);
            #[cfg(debug_assertions)]
            self.fluid_check_kept_gather(fl);
            #[cfg(test)]
            {
                fl.kept_reused += 1;
            }
            return ids;
        }
        self.fluid_gather(t, grouping, &mut ids, fl);
        // Kept for the next interval (see [`KeptGather`]).
        let kept = &mut fl.kept;
        kept.valid = grouping;
        kept.changes = self.pods.changes();
        kept.members.clone_from(&fl.group.members);
        kept.alone.clone_from(&ids);
        ids
    }

    /// Whether the last interval's gather ([`KeptGather`]) is this one's: nothing it depends
    /// on changed, and each pod served on its own is alike by what it was.
    fn fluid_gather_holds(&self, fl: &FluidState) -> bool {
        let kept = &fl.kept;
        if !kept.valid || kept.changes != self.pods.changes() || fl.seen != self.pods.by_id.len() {
            return false;
        }
        let mut limit = super::pod_set::ByRevision::new(0);
        kept.alone
            .iter()
            .zip(&kept.alone_like)
            .all(|(&id, &like)| self.fluid_likeness(id, &mut limit) == like)
    }

    /// Walk the live pods (retiring the Gone): the serving ones join the group if `grouping`
    /// and they can, the rest of them go into `ids` (what each was alike by into the kept
    /// gather's `alone_like`); a pod that stopped serving has its last interval's work done.
    fn fluid_gather(&mut self, t: f64, grouping: bool, ids: &mut Vec<u32>, fl: &mut FluidState) {
        fl.live.extend(fl.seen as u32..self.pods.by_id.len() as u32);
        fl.seen = self.pods.by_id.len();
        fl.kept.alone_like.clear();
        let cores_per_request = self.cfg.cores_per_request;
        let mut live = std::mem::take(&mut fl.live);
        let mut kept = 0;
        let mut limit = super::pod_set::ByRevision::new(0);
        for i in 0..live.len() {
            let id = live[i];
            let p = &self.pods.by_id[id as usize];
            if p.state == PodState::Gone {
                continue;
            }
            live[kept] = id;
            kept += 1;
            if serves_at_flow_level(p) {
                if grouping {
                    let like = self.fluid_likeness(id, &mut limit);
                    if !fl.group.join(id, like) {
                        ids.push(id);
                        fl.kept.alone_like.push(like);
                    }
                } else {
                    ids.push(id);
                }
            } else if p.fluid_cpu != 0.0 {
                let p = &mut self.pods.by_id[id as usize];
                p.advance(t, cores_per_request);
                p.fluid_cpu = 0.0;
            }
        }
        live.truncate(kept);
        fl.live = live;
        if fl.group.members.len() < 2 {
            // A group of one is a pod on its own.
            ids.extend_from_slice(&fl.group.members);
            if let Some(&id) = fl.group.members.first() {
                let like = self.fluid_likeness(id, &mut limit);
                fl.kept.alone_like.push(like);
            }
            fl.group.disband();
        }
    }

    /// Debug builds: the kept gather is what walking the pods afresh gathers, and that walk
    /// would change nothing (no live pod Gone, none that stopped serving burning CPU).
    #[cfg(debug_assertions)]
    fn fluid_check_kept_gather(&self, fl: &FluidState) {
        let mut group = group::Group::default();
        let mut alone = Vec::new();
        let mut limit = super::pod_set::ByRevision::new(0);
        for &id in &fl.live {
            let p = &self.pods.by_id[id as usize];
            assert_ne!(
                p.state,
                PodState::Gone,
                "pod {id} went without a change counted"
            );
            if serves_at_flow_level(p) {
                if !group.join(id, self.fluid_likeness(id, &mut limit)) {
                    alone.push(id);
                }
            } else {
                assert_eq!(p.fluid_cpu, 0.0, "pod {id} stopped serving unseen");
            }
        }
        if group.members.len() < 2 {
            alone.append(&mut group.members);
        }
        assert_eq!(
            (&group.members, &alone),
            (&fl.kept.members, &fl.kept.alone),
            "the kept gather is not the pods' gather"
        );
    }

    /// Pod `id`'s service rate: (servers, requests per second, noise of an interval's count);
    /// memoised by what shapes it (CPU cap, start-up burst, warm-up, its revision's CPU limit).
    fn fluid_service_rate(&self, id: u32, fl: &mut FluidState) -> (f64, f64, f64) {
        let p = &self.pods.by_id[id as usize];
        let key = (p.cap, p.burst, p.warm, self.pod_limit(id));
        if fl.service_rate.key != key {
            let servers = self.fluid_servers(id);
            let rate = servers / fl.mean_service * p.warm;
            fl.service_rate = ServiceRate {
                key,
                servers,
                rate,
                noise_sd: (rate * fl.dt * fl.scv).sqrt(),
            };
        }
        let ServiceRate {
            servers,
            rate,
            noise_sd,
            ..
        } = fl.service_rate;
        (servers, rate, noise_sd)
    }

    /// Requests pod `id` can complete this interval: its expected count with noise, the
    /// fraction carried to the next interval (a job takes one message, once).
    fn fluid_capacity(&mut self, id: u32, rate: f64, noise_sd: f64, dt: f64) -> u64 {
        let p = &mut self.pods.by_id[id as usize];
        let expected = rate * dt;
        let noise = if noise_sd > 0.0 {
            noise_sd * self.requests.rng_service.normal()
        } else {
            0.0
        };
        let budget = (expected + noise + p.fluid_carry).max(0.0);
        // Counts here are far below 2⁶³: the signed conversions are single instructions.
        let whole = budget as i64; // floor: budget ≥ 0
        p.fluid_carry = budget - whole as f64;
        if p.job {
            match p.job_run.mode {
                // A one-message job takes one message, once (`routed` marks that it has).
                JobMode::OneMessage => u64::from(p.routed == 0),
                JobMode::Drain => whole as u64,
                JobMode::Sleep => 0,
            }
        } else {
            whole as u64
        }
    }

    /// One serving pod's interval: a pod that keeps up is served in closed form, one with a
    /// queue serves its oldest requests first (clients that gave up leave), then CPU throttling
    /// and the end of the interval.
    fn fluid_serve_pod(&mut self, t: f64, id: u32, fl: &mut FluidState) {
        let (servers, rate, noise_sd) = self.fluid_service_rate(id, fl);
        let offered = self.pods.by_id[id as usize].fluid_offered;
        let warm = self.pods.by_id[id as usize].warm;
        let capacity = self.fluid_capacity(id, rate, noise_sd, fl.dt);
        let p = &mut self.pods.by_id[id as usize];
        let is_job = p.job;
        p.fluid_offered = 0;
        let kept_up = p.cohorts.len() <= 1;
        let (wq, stalled) = if kept_up {
            self.fluid_wait(fl, id, servers, offered)
        } else {
            (0.0, 0.0)
        };
        if !is_job && self.fluid_serve_kept_up(t, id, capacity, (wq, stalled), fl) {
            return;
        }
        let pulls_shared = self.cfg.kind == WorkloadKind::Queue;
        let p = &self.pods.by_id[id as usize];
        if pulls_shared && (!p.accepting || !(p.consumer || p.job) || capacity == 0) {
            self.fluid_close_interval(t, id, 0, fl);
            return;
        }
        // A pod with more waiting than it can serve this interval has every slot busy: each
        // request then spends concurrency / throughput in service (Little), e.g. stretched
        // by processor sharing at the CPU limit.
        let waiting: u64 = if pulls_shared {
            fl.backlog.count()
        } else {
            self.pods.by_id[id as usize].cohorts.count()
        };
        let mean = fl.mean_service;
        let sojourn = if waiting >= capacity && rate > 0.0 {
            (mean / warm).max(self.cfg.concurrency as f64 / rate)
        } else {
            mean / warm + wq
        };
        let served = self.fluid_serve_queue(t, id, (capacity, waiting), (sojourn, warm), fl);
        let saturated = waiting >= capacity;
        self.fluid_stall(t, id, (capacity, saturated, warm), stalled, fl.dt);
        self.fluid_close_interval(t, id, served, fl);
        if is_job {
            self.fluid_job_interval_end(t, id, served, sojourn, fl);
        } else {
            self.fluid_exit_if_drained(t, id, fl.dt);
        }
    }

    /// A job after its interval: a one-message job that took its message exits when it is
    /// done, one with nothing to take exits now; a draining job exits once an interval
    /// leaves nothing to serve.
    fn fluid_job_interval_end(
        &mut self,
        t: f64,
        id: u32,
        served: u64,
        sojourn: f64,
        fl: &FluidState,
    ) {
        let p = &mut self.pods.by_id[id as usize];
        match p.job_run.mode {
            JobMode::OneMessage => {
                if served > 0 {
                    p.routed = 1;
                    self.agenda
                        .schedule(t + sojourn, Event::JobDone { pod: id });
                } else if p.routed == 0 {
                    self.finish_job(t, id); // nothing to take
                }
            }
            JobMode::Drain => {
                if served > 0 {
                    p.routed = 1;
                } else if fl.backlog.iter().all(|c| c.count == 0) {
                    self.finish_job(t, id);
                }
            }
            JobMode::Sleep => {}
        }
    }

    /// Serve up to `capacity` of the oldest waiting requests (the pod's own queue, or the
    /// shared backlog); the number served.
    fn fluid_serve_queue(
        &mut self,
        t: f64,
        id: u32,
        (capacity, waiting): (u64, u64),
        (sojourn, warm): (f64, f64),
        fl: &mut FluidState,
    ) -> u64 {
        let dt = fl.dt;
        let mean = fl.mean_service;
        let pulls_shared = self.cfg.kind == WorkloadKind::Queue;
        let timeout = self.cfg.timeout.unwrap_or(f64::INFINITY);
        // With client timeouts and a queue, serve in sub-batches across the interval so the
        // head of the queue ages while it is served (a request starting at age ~timeout is
        // wasted work, as at request level); otherwise one batch at mid-interval.
        let batches: u64 = if timeout.is_finite() && waiting >= capacity {
            SUB_BATCHES.min(capacity.max(1))
        } else {
            1
        };
        let mut served = 0u64;
        let total = capacity;
        for b in 0..batches {
            let mut cap = total / batches + u64::from(b < total % batches);
            let at = t + (b as f64 + 0.5) * dt / batches as f64;
            while cap > 0 {
                let queue = if pulls_shared {
                    &mut fl.backlog
                } else {
                    &mut self.pods.by_id[id as usize].cohorts
                };
                let Some(front) = queue.front_mut() else {
                    break;
                };
                // Clients that gave up while waiting leave without using the pod.
                let gone = front.before(at - timeout);
                let gone = if gone > 0 {
                    Some(front.split_oldest(gone))
                } else {
                    None
                };
                let mut taken = front.split_oldest(cap);
                if front.count == 0 {
                    queue.pop_front();
                }
                if let Some(g) = gone {
                    self.fluid_fail(Some(&mut *fl), g.mid() + timeout, g, None);
                }
                if taken.count == 0 {
                    continue;
                }
                cap -= taken.count;
                served += taken.count;
                // Of those served now, the ones whose client leaves before they finish are wasted.
                let late = taken.before(at + sojourn - timeout);
                if late > 0 {
                    let l = taken.split_oldest(late);
                    self.fluid_fail(Some(&mut *fl), l.mid() + timeout, l, None);
                }
                if taken.count > 0 {
                    let wait = (at - taken.mid()).max(0.0);
                    let extra = (sojourn - mean / warm).max(0.0);
                    let latency = taken.lag + wait + sojourn;
                    let service = mean / warm;
                    self.serve_n(t, id, (latency, service), wait + extra, taken.count, fl);
                }
            }
        }
        served
    }

    /// A CFS quota: a saturated pod bursts at its full demand, then stalls; one that keeps up
    /// stalls the share `fluid_wait` estimated (`stalled`).
    fn fluid_stall(
        &mut self,
        t: f64,
        id: u32,
        (capacity, saturated, warm): (u64, bool, f64),
        stalled: f64,
        dt: f64,
    ) {
        let limit = self.pod_limit(id);
        let stalled = if self.cfg.overload.cfs_period.is_some() && saturated {
            let p = &self.pods.by_id[id as usize];
            let demand = self.cfg.concurrency as f64 * self.cfg.cores_per_request * warm + p.burst;
            if capacity > 0 && demand > limit {
                1.0 - limit / demand
            } else {
                0.0
            }
        } else {
            stalled
        };
        if stalled > 0.0 {
            self.fluid_throttle(t, id, dt * stalled);
        }
    }

    /// Queue workload: messages that waited past their deadline while no pod pulled.
    fn fluid_expire_backlog(&mut self, mid: f64, fl: &mut FluidState) {
        let Some(timeout) = self.cfg.timeout else {
            return;
        };
        while let Some(front) = fl.backlog.front_mut() {
            let gone = front.before(mid - timeout);
            if gone == 0 {
                break;
            }
            let g = front.split_oldest(gone);
            if front.count == 0 {
                fl.backlog.pop_front();
            }
            self.fluid_fail(Some(&mut *fl), g.mid() + timeout, g, None);
        }
    }

    /// Mean queueing wait of a kept-up pod offered `offered` requests this interval, that can
    /// run `servers` requests at once at speed `warm`; memoised by `offered` where every such
    /// pod has the same servers (warm, no start-up burst, no node shares).
    fn fluid_wait(&self, fl: &mut FluidState, id: u32, servers: f64, offered: u64) -> (f64, f64) {
        if offered == 0 {
            return (0.0, 0.0);
        }
        let p = &self.pods.by_id[id as usize];
        // The memo covers the offers up to a fixed size, so its memory does not grow with the
        // rate; larger offers are computed each time (the same values).
        let memoised = p.warm == 1.0
            && p.burst == 0.0
            && self.cfg.cluster.is_none()
            && offered < crate::limits::FLUID_WAIT_TABLE_ENTRIES as u64;
        if memoised && servers.to_bits() != fl.wait_servers.to_bits() {
            // Another revision's CPU limit: the table was for other pods.
            fl.wait_by_offered.clear();
            fl.wait_servers = servers;
        }
        if memoised
            && let Some(&known) = fl.wait_by_offered.get(offered as usize)
            && !known.0.is_nan()
        {
            return known; // most pods, most intervals: nothing below is needed
        }
        let (dt, mean, warm) = (fl.dt, fl.mean_service, p.warm);
        let slots = self.cfg.concurrency as f64;
        let lambda = offered as f64 / dt;
        let cfs_period = self.cfg.overload.cfs_period;
        let wait_of = |mean: f64| {
            if servers >= slots {
                (pod_wait(servers, lambda, mean, fl.scv), 0.0)
            } else if let Some(period) = cfs_period {
                // Under a CFS quota requests run at full speed (queueing only for the request
                // slots) and lose time to the quota's stalls.
                let (extra, stalled) = cfs_stall(servers, lambda, mean, period);
                (
                    pod_wait(slots, lambda, mean, fl.scv) + extra * mean,
                    stalled,
                )
            } else {
                // At its CPU limit (fewer servers than request slots) the pod processor-shares
                // its cores among the requests in service: see `ps_wait`.
                (ps_wait(servers, lambda, mean), 0.0)
            }
        };
        if memoised {
            let i = offered as usize;
            if fl.wait_by_offered.len() <= i {
                fl.wait_by_offered.resize(i + 1, (f64::NAN, 0.0));
            }
            if fl.wait_by_offered[i].0.is_nan() {
                fl.wait_by_offered[i] = wait_of(mean);
            }
            fl.wait_by_offered[i]
        } else {
            wait_of(mean / warm)
        }
    }

    /// The common case, served without the general path's sub-batches and cohort splits: an
    /// http pod whose only waiting work arrived this interval, fewer than it can serve in it
    /// (`capacity`), with no client timing out. It serves all of it at mid-interval, exactly as
    /// the general path would. Returns false (nothing done) otherwise.
    fn fluid_serve_kept_up(
        &mut self,
        t: f64,
        id: u32,
        capacity: u64,
        (wq, stalled): (f64, f64),
        fl: &mut FluidState,
    ) -> bool {
        let p = &self.pods.by_id[id as usize];
        if self.cfg.kind != WorkloadKind::Http || p.cohorts.len() > 1 {
            return false;
        }
        let waiting = p.cohorts.front().map_or(0, |c| c.count);
        if waiting > 0 && (waiting >= capacity || p.cohorts.front().is_some_and(|c| c.start != t)) {
            return false; // busy all interval, or left over from an earlier one
        }
        let (dt, mean) = (fl.dt, fl.mean_service);
        let service = mean / p.warm;
        let sojourn = service + wq;
        if sojourn + dt / 2.0 > self.cfg.timeout.unwrap_or(f64::INFINITY) {
            return false; // some would be served after their client left
        }
        if let Some(c) = self.pods.by_id[id as usize].cohorts.pop_front() {
            self.serve_n(t, id, (c.lag + sojourn, service), wq, c.count, fl);
        }
        self.fluid_close_interval(t, id, waiting, fl);
        if stalled > 0.0 {
            self.fluid_throttle(t, id, dt * stalled);
        }
        self.fluid_exit_if_drained(t, id, dt);
        true
    }

    /// `pod` serves `served` requests over the interval `[t, t + dt)`: its CPU accrues at that
    /// rate from now (see [`super::Pod::fluid_cpu`]), and that many are in service on average
    /// (Little's law).
    #[inline(always)]
    fn fluid_close_interval(&mut self, t: f64, pod: u32, served: u64, fl: &FluidState) {
        let rates = self.fluid_interval_rates(served, fl);
        let cores_per_request = self.cfg.cores_per_request;
        close_interval(
            &mut self.pods.by_id[pod as usize],
            t,
            cores_per_request,
            rates,
        );
    }

    /// What serving `served` requests over an interval means for a pod: (cores its work burns,
    /// requests in service on average).
    #[inline(always)]
    fn fluid_interval_rates(&self, served: u64, fl: &FluidState) -> (f64, u64) {
        let (cores_per_request, concurrency) = (self.cfg.cores_per_request, self.cfg.concurrency);
        let (dt, mean) = (fl.dt, fl.mean_service);
        (
            served as f64 * cores_per_request * mean / dt,
            round_up_half(served as f64 / dt * mean).min(concurrency as u64),
        )
    }

    /// A terminating pod that has stopped taking work and holds none exits at the interval's
    /// end (within the run).
    #[inline]
    fn fluid_exit_if_drained(&mut self, t: f64, pod: u32, dt: f64) {
        let p = &self.pods.by_id[pod as usize];
        if p.state == PodState::Terminating && !p.accepting && p.cohorts.is_empty() {
            self.exit(
                (t + dt).min(self.end.max(t)),
                pod,
                PodEventKind::Exited,
                None,
            );
        }
    }

    /// Count `seconds` of the interval starting at `t` that `pod` spent stalled by its CFS quota.
    fn fluid_throttle(&mut self, t: f64, pod: u32, seconds: f64) {
        let slot = self.recorder.series.slot_at(t);
        self.fluid_throttle_in(slot, pod, seconds);
    }

    /// [`Self::fluid_throttle`] with the interval's row slot found (`Series::slot_at`).
    #[inline]
    fn fluid_throttle_in(&mut self, slot: usize, pod: u32, seconds: f64) {
        self.pods.by_id[pod as usize].throttled_seconds += seconds;
        self.pods.throttled_seconds += seconds;
        self.recorder.series.throttled_s[slot] += seconds;
    }

    /// Split the cohort `c` (arrivals of one interval) across the endpoints (evenly; the
    /// remainder round-robin).
    fn fluid_route(&mut self, t: f64, c: Cohort, fl: &mut FluidState) {
        let n = c.count;
        let k = self.requests.endpoints.len() as u64;
        if k == 0 {
            self.fluid_fail(Some(&mut *fl), t, c, Some(DropReason::NoEndpoints));
            return;
        }
        let mut shares = std::mem::take(&mut fl.shares);
        self.fluid_split((n, k), fl.round_robin, fl, &mut shares);
        for i in 0..k {
            let share = shares[i as usize];
            if share == 0 {
                continue;
            }
            let id = self.requests.endpoints[i as usize];
            self.fluid_admit(t, id, Cohort { count: share, ..c }, fl);
        }
        fl.round_robin = (fl.round_robin + (n % k) as usize) % k as usize;
        fl.shares = shares;
    }

    /// Split `n` requests over the `k` endpoints as the balancer would: at random
    /// (multinomial), or evenly with the remainder rotating (round-robin, least-request).
    fn fluid_split(
        &mut self,
        (n, k): (u64, u64),
        rotation: usize,
        fl: &mut FluidState,
        shares: &mut Vec<u64>,
    ) {
        match self.cfg.balancer {
            Balancer::Random => multinomial_even_into(
                &mut self.requests.rng_balancer,
                n,
                k as usize,
                &mut fl.normals,
                shares,
            ),
            _ => {
                let (base, extra) = (n / k, n % k);
                shares.clear();
                shares.extend(
                    (0..k).map(|i| base + u64::from((i + k - (rotation as u64 % k)) % k < extra)),
                );
            }
        }
    }

    /// Pod `id` receives its share `part` of an interval's arrivals: refused while it does not
    /// accept, else queued up to its queue cap, the rest rejected (503).
    #[inline]
    fn fluid_admit(&mut self, t: f64, id: u32, part: Cohort, fl: &mut FluidState) {
        let p = &mut self.pods.by_id[id as usize];
        p.routed += part.count;
        if p.accepting && self.cfg.overload.max_queue.is_none() && part.count > 0 {
            // The common case, inline: all of it queues.
            p.fluid_offered += part.count;
            p.cohorts.push_back(part);
            return;
        }
        self.fluid_admit_or_refuse(t, id, part, fl);
    }

    /// [`Self::fluid_admit`] for a pod that refuses work or has a queue cap (after counting
    /// the share as routed).
    #[inline(never)]
    fn fluid_admit_or_refuse(&mut self, t: f64, id: u32, part: Cohort, fl: &mut FluidState) {
        let share = part.count;
        let p = &mut self.pods.by_id[id as usize];
        if !p.accepting {
            let why = if p.restarting {
                DropReason::Restarted
            } else {
                DropReason::RefusedTerminating
            };
            self.fluid_fail(Some(&mut *fl), t, part, Some(why));
            return;
        }
        let mut admitted = share;
        if let Some(m) = self.cfg.overload.max_queue {
            // The pod holds at most `max_queue + concurrency` at any instant, and frees
            // room as it serves during the interval.
            let waiting = p.cohorts.count();
            let warm = p.warm;
            let served = (self.fluid_servers(id) / fl.mean_service * warm * fl.dt).floor();
            let room =
                (m as u64 + self.cfg.concurrency as u64 + served as u64).saturating_sub(waiting);
            admitted = share.min(room);
        }
        let p = &mut self.pods.by_id[id as usize];
        p.fluid_offered += admitted;
        if admitted > 0 {
            p.cohorts.push_back(Cohort {
                count: admitted,
                ..part
            });
        }
        if admitted < share {
            let rejected = share - admitted;
            self.recorder.totals.rejected += rejected;
            let i = self.recorder.series.slot_at(t);
            self.recorder.series.rejected[i] += rejected as u32;
            let lost = Cohort {
                count: rejected,
                ..part
            };
            self.fluid_fail(Some(&mut *fl), t, lost, Some(DropReason::Rejected));
        }
    }

    /// Record `n` requests served by `pod` with the given wait and mean latency, of which
    /// `service` is their mean service time. The batch records one latency in which the mean
    /// service time is replaced by a draw from the service-time distribution (scaled alike), so
    /// the recorded latencies spread as the service times do: per-step and run quantiles (p99)
    /// are not those of means. Means are unchanged in expectation; a draw past the client's
    /// timeout records the timeout.
    #[inline(always)]
    fn serve_n(
        &mut self,
        t: f64,
        pod: u32,
        (latency, service): (f64, f64),
        wait: f64,
        n: u64,
        fl: &mut FluidState,
    ) {
        let drawn = fl.service_table.draw(&mut fl.latency_rng) / fl.mean_service * service;
        let latency = (latency - service + drawn)
            .max(0.0)
            .min(self.cfg.timeout.unwrap_or(f64::INFINITY));
        self.pods.by_id[pod as usize].served += n;
        self.recorder.served_n(t, latency, wait, n);
    }

    /// Work a pod holds at its kill (flow level): all its cohorts.
    pub(super) fn fluid_take_all(&mut self, pod: u32) -> Vec<Cohort> {
        self.pods.changed();
        let p = &mut self.pods.by_id[pod as usize];
        p.fluid_in_service = 0;
        p.cohorts.take_all()
    }
}

/// Whether pod `p` serves an interval at flow level (alone or in the group): running, and
/// Ready or Terminating.
#[inline(always)]
fn serves_at_flow_level(p: &super::Pod) -> bool {
    matches!(p.state, PodState::Ready | PodState::Terminating) && p.running_at.is_some()
}

/// A Poisson count with mean `mean` (exact inversion for small means, normal approximation
/// with continuity correction above 30).
/// Pod `p`'s interval closes at `t`: its CPU clock catches up, then its work burns `cpu` cores
/// with `in_service` requests in service from now on ([`World::fluid_interval_rates`]).
#[inline(always)]
pub(super) fn close_interval(
    p: &mut Pod,
    t: f64,
    cores_per_request: f64,
    (cpu, in_service): (f64, u64),
) {
    p.advance(t, cores_per_request);
    p.fluid_cpu = cpu;
    p.fluid_in_service = in_service;
}

pub(super) fn poisson(rng: &mut Stream, mean: f64) -> u64 {
    if !(mean > 0.0) {
        return 0;
    }
    if mean < 30.0 {
        let limit = (-mean).exp();
        let mut k = 0u64;
        let mut p = rng.uniform();
        while p > limit {
            k += 1;
            p *= rng.uniform();
        }
        return k;
    }
    (mean + mean.sqrt() * rng.normal() + 0.5).floor().max(0.0) as u64
}

/// Split `n` items uniformly at random over `k` bins (a multinomial draw): one uniform per item
/// while that is cheap (n ≤ 4k), a normal approximation otherwise.
#[cfg(test)]
pub(super) fn multinomial_even(rng: &mut Stream, n: u64, k: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(k);
    multinomial_even_into(rng, n, k, &mut Vec::new(), &mut out);
    out
}

/// [`multinomial_even`] into reused buffers (the flow-level model draws one per interval;
/// `scratch` holds the normals). Above 4k items, bin i gets n/k + √(n/k)·(zᵢ − z̄) with zᵢ
/// independent standard normals — exactly the multinomial's means and covariances
/// n/k·(δᵢⱼ − 1/k), summing to n — rounded by cumulative sums so the counts sum to n exactly
/// (a rare negative share rounds to 0 and leaves its deficit to the next bin).
pub(super) fn multinomial_even_into(
    rng: &mut Stream,
    n: u64,
    k: usize,
    scratch: &mut Vec<f64>,
    out: &mut Vec<u64>,
) {
    out.clear();
    out.resize(k, 0);
    if k == 1 {
        out[0] = n;
        return;
    }
    if n <= 4 * k as u64 {
        for _ in 0..n {
            out[rng.below(k)] += 1;
        }
        return;
    }
    scratch.clear();
    scratch.extend((0..k).map(|_| rng.normal()));
    let z_mean = scratch.iter().sum::<f64>() / k as f64;
    let share = n as f64 / k as f64;
    let sd = share.sqrt();
    let (mut cumulative, mut given) = (0.0f64, 0u64);
    for (slot, z) in out.iter_mut().zip(scratch.iter()).take(k - 1) {
        cumulative += share + sd * (z - z_mean);
        // Round half up; never below what is already given nor above n.
        // ≥ 0 and far below 2⁶³: the signed conversion is one instruction.
        let upto = ((cumulative + 0.5).max(0.0) as i64 as u64).clamp(given, n);
        *slot = upto - given;
        given = upto;
    }
    out[k - 1] = n - given;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_and_multinomial_have_the_right_moments() {
        let mut rng = Stream::new(3, "t");
        for mean in [0.5, 7.0, 80.0] {
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, mean) as f64).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
            assert!((m - mean).abs() < 0.05 * mean + 0.02, "mean {m} vs {mean}");
            assert!(
                (v - mean).abs() < 0.1 * mean + 0.05,
                "variance {v} vs {mean}"
            );
        }
        for n in [3u64, 50, 5000] {
            let split = multinomial_even(&mut rng, n, 7);
            assert_eq!(split.iter().sum::<u64>(), n);
        }
    }

    #[test]
    fn multinomial_bins_have_binomial_means_and_variances() {
        let mut rng = Stream::new(11, "split");
        let (n, k, draws) = (600u64, 12usize, 4_000);
        let p = 1.0 / k as f64;
        let mut sum = vec![0.0; k];
        let mut sq = vec![0.0; k];
        for _ in 0..draws {
            let split = multinomial_even(&mut rng, n, k);
            assert_eq!(split.iter().sum::<u64>(), n);
            for (i, &x) in split.iter().enumerate() {
                sum[i] += x as f64;
                sq[i] += (x * x) as f64;
            }
        }
        let (mean, var) = (n as f64 * p, n as f64 * p * (1.0 - p));
        for i in 0..k {
            let m = sum[i] / draws as f64;
            let v = sq[i] / draws as f64 - m * m;
            assert!(
                (m - mean).abs() < 0.1 * var.sqrt(),
                "bin {i}: mean {m} vs {mean}"
            );
            assert!(
                (v - var).abs() < 0.1 * var,
                "bin {i}: variance {v} vs {var}"
            );
        }
    }

    #[test]
    fn cfs_stalls_grow_with_load_and_shrink_with_the_period() {
        // 2.5 requests' worth of quota, 50 ms requests, 100 ms periods.
        let at = |lambda: f64, period: f64| cfs_stall(2.5, lambda, 0.05, period);
        let idle = at(5.0, 0.1);
        assert!(
            idle.0 < 1e-6 && idle.1 < 1e-6,
            "far below the quota: {idle:?}"
        );
        let (low, mid, high) = (at(20.0, 0.1), at(35.0, 0.1), at(45.0, 0.1));
        assert!(low.0 < mid.0 && mid.0 < high.0, "{low:?} {mid:?} {high:?}");
        assert!(low.1 < mid.1 && mid.1 < high.1);
        assert!(high.1 < 1.0);
        // Over a 1 s period, bursts average out under the quota.
        assert!(at(35.0, 1.0).0 < 0.5 * mid.0);
    }

    #[test]
    fn ps_wait_is_erlang_c_for_whole_servers_and_between_for_fractions() {
        for (c, lambda) in [(1u32, 5.0), (2, 30.0), (3, 50.0), (8, 120.0)] {
            let exact = mgc_wait(c, lambda, 20.0, 1.0);
            let ps = ps_wait(c as f64, lambda, 0.05);
            assert!(
                (exact - ps).abs() < 1e-9 * (1.0 + exact),
                "c={c}: {exact} vs {ps}"
            );
        }
        // 2.5 servers' worth of cores wait less than 2 and more than 3.
        let (w2, w25, w3) = (
            ps_wait(2.0, 35.0, 0.05),
            ps_wait(2.5, 35.0, 0.05),
            ps_wait(3.0, 35.0, 0.05),
        );
        assert!(w2 > w25 && w25 > w3, "{w2} {w25} {w3}");
    }

    #[test]
    fn mgc_wait_matches_erlang_c_for_mm1() {
        // M/M/1 at rho 0.5: Wq = rho / (mu - lambda) = 0.5 / 5 = 0.1
        assert!((mgc_wait(1, 5.0, 10.0, 1.0) - 0.1).abs() < 1e-12);
        // M/D/1 halves it (Pollaczek–Khinchine).
        assert!((mgc_wait(1, 5.0, 10.0, 0.0) - 0.05).abs() < 1e-12);
        assert_eq!(mgc_wait(2, 30.0, 10.0, 1.0), 0.0);
    }
}
