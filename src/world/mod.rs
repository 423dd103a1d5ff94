//! The simulated data plane: pods and the work they do. Requests arrive from the trace, are
//! balanced to Ready pods (http) or wait in one shared backlog (queue), are served under the
//! pods' CPU, and finish, time out, or are dropped. Pods start, become Ready, and terminate
//! gracefully. The world is driven by the simulation (`sim`): it knows nothing of autoscalers;
//! it only learns the desired replica count through [`World::set_replicas`].

pub mod pod;

use crate::engine::Agenda;
use crate::record::{
    Distribution, DropReason, PromHistogram, RequestTotals, Series, StepLatencies,
};
use crate::rng::Stream;
use crate::scenario::{Balancer, Dist, Scenario, WorkloadKind};
use crate::trace::{ArrivalClock, Trace};
pub use pod::{InService, Pod, PodState, Request};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;

/// Everything the data plane needs to know, with defaults applied.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    pub kind: WorkloadKind,
    pub service: Dist,
    pub concurrency: u32,
    pub cores_per_request: f64,
    /// Cores a pod may use (its CPU limit), +∞ without one.
    pub cpu_capacity: f64,
    pub timeout: Option<f64>,
    pub balancer: Balancer,
    pub startup: Dist,
    pub time_to_ready: f64,
    pub termination_grace: f64,
    pub endpoint_delay: f64,
    pub pre_stop: f64,
    pub memory_baseline: f64,
    pub memory_per_request: f64,
    /// Extra cores a pod burns for a while after its container starts: (cores, seconds).
    pub startup_burst: (f64, f64),
    /// A new pod serves at reduced speed for a while: (speed factor, seconds).
    pub warmup: (f64, f64),
}

impl WorldConfig {
    pub fn from_scenario(s: &Scenario) -> WorldConfig {
        WorldConfig {
            kind: s.workload.kind,
            service: s.workload.service_time,
            concurrency: s.workload.concurrency,
            cores_per_request: s.workload.cores_per_request(),
            cpu_capacity: s.pods.cpu_limit.unwrap_or(f64::INFINITY),
            timeout: s.workload.timeout,
            balancer: s.workload.balancer,
            startup: s.pods.startup,
            time_to_ready: s.pods.readiness.time_to_ready(),
            termination_grace: s.pods.termination_grace,
            endpoint_delay: s.pods.endpoint_delay,
            pre_stop: s.pods.pre_stop,
            memory_baseline: s.pods.memory_baseline,
            memory_per_request: s.workload.memory_per_request,
            startup_burst: s.pods.startup_cpu,
            warmup: s.pods.warmup,
        }
    }
}

/// A pod transition, for `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct PodEvent {
    pub t: f64,
    pub pod: u32,
    pub event: PodEventKind,
    /// Requests lost (killed) or returned to the backlog at this transition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PodEventKind {
    Created,
    Running,
    Ready,
    /// Deletion requested by a scale-down.
    Terminating,
    RemovedFromEndpoints,
    Sigterm,
    /// Exited after draining its work.
    Exited,
    /// Killed at the end of the grace period with work still in flight.
    Killed,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Completion { pod: u32, generation: u32 },
    Running { pod: u32 },
    Ready { pod: u32 },
    EndpointRemoved { pod: u32 },
    Sigterm { pod: u32 },
    Kill { pod: u32 },
    BurstEnd { pod: u32 },
    Warm { pod: u32 },
}

/// Pod counts by phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PodCounts {
    pub pending: u32,
    pub starting: u32,
    pub ready: u32,
    pub terminating: u32,
}

impl PodCounts {
    /// Pods that exist (cost pod-seconds): everything not gone.
    pub fn total(&self) -> u32 {
        self.pending + self.starting + self.ready + self.terminating
    }
}

/// The data plane.
pub struct World {
    pub cfg: WorldConfig,
    pub pods: Vec<Pod>,
    /// Pods in the Service endpoints (http), in the order they joined.
    endpoints: Vec<u32>,
    /// Free worker slots (queue workload), one entry per free worker, oldest first.
    idle_slots: VecDeque<u32>,
    /// Shared backlog (queue workload).
    backlog: VecDeque<Request>,
    agenda: Agenda<Event>,
    trace: Arc<Trace>,
    arrival_clock: ArrivalClock,
    arrival_index: usize,
    next_arrival: f64,
    rng_arrivals: Stream,
    rng_service: Stream,
    rng_startup: Stream,
    rng_balancer: Stream,
    round_robin: usize,
    /// The ReplicaSet's spec.replicas.
    pub spec_replicas: i32,
    pub counts: PodCounts,
    pub totals: RequestTotals,
    pub series: Series,
    step_latencies: StepLatencies,
    pub latency: Distribution,
    pub wait: Distribution,
    /// Cumulative latency histogram with Prometheus' default buckets (what an exporter exposes).
    pub latency_buckets: PromHistogram,
    pub pod_events: Vec<PodEvent>,
    /// Times spec.replicas was changed.
    pub replica_changes: u32,
    /// CPU-seconds used by pods that have since exited.
    pub retired_cpu_seconds: f64,
    /// Integral of existing pods over time (pod-seconds) up to `pod_seconds_at`.
    pub pod_seconds: f64,
    pod_seconds_at: f64,
    pub end: f64,
}

impl World {
    /// A world with `replicas` pods already Ready at t = 0 (a running Deployment).
    pub fn new(
        cfg: WorldConfig,
        trace: Arc<Trace>,
        seed: u64,
        duration: f64,
        step: f64,
        replicas: i32,
    ) -> World {
        let mut w = World {
            cfg,
            pods: Vec::new(),
            endpoints: Vec::new(),
            idle_slots: VecDeque::new(),
            backlog: VecDeque::new(),
            agenda: Agenda::new(),
            trace,
            arrival_clock: ArrivalClock::new(),
            arrival_index: 0,
            next_arrival: f64::INFINITY,
            rng_arrivals: Stream::new(seed, "arrivals"),
            rng_service: Stream::new(seed, "service"),
            rng_startup: Stream::new(seed, "startup"),
            rng_balancer: Stream::new(seed, "balancer"),
            round_robin: 0,
            spec_replicas: replicas.max(0),
            counts: PodCounts::default(),
            totals: RequestTotals::default(),
            series: Series::new(duration, step),
            step_latencies: StepLatencies::default(),
            latency: Distribution::new(),
            wait: Distribution::new(),
            latency_buckets: PromHistogram::default(),
            pod_events: Vec::new(),
            replica_changes: 0,
            retired_cpu_seconds: 0.0,
            pod_seconds: 0.0,
            pod_seconds_at: 0.0,
            end: duration,
        };
        for _ in 0..w.spec_replicas {
            let id = w.pods.len() as u32;
            let mut p = Pod::new(id, 0.0);
            // Long-running: started well before the run, Ready since then.
            p.start_time = -1.0e6;
            p.ready_transition = -1.0e6;
            p.running_at = Some(-1.0e6);
            w.pods.push(p);
            w.counts.pending += 1;
            w.make_ready(id, 0.0, false);
        }
        w.next_arrival = w.draw_next_arrival();
        w
    }

    /// Instant of the next data-plane event (arrival or pod event).
    #[inline]
    pub fn next_time(&self) -> f64 {
        self.next_arrival.min(self.agenda.next_time())
    }

    /// Process the next data-plane event. Arrivals go after pod events at the same instant.
    #[inline]
    pub fn step(&mut self) {
        if self.agenda.next_time() <= self.next_arrival {
            if let Some((t, e)) = self.agenda.pop() {
                self.handle(t, e);
            }
        } else {
            let t = self.next_arrival;
            self.arrive(t);
            self.next_arrival = self.draw_next_arrival();
        }
    }

    fn draw_next_arrival(&mut self) -> f64 {
        if let Some(list) = &self.trace.arrivals {
            let t = list
                .get(self.arrival_index)
                .copied()
                .unwrap_or(f64::INFINITY);
            self.arrival_index += 1;
            return t;
        }
        let gap = self.rng_arrivals.exp1();
        self.arrival_clock
            .advance(&self.trace, gap)
            .unwrap_or(f64::INFINITY)
    }

    fn handle(&mut self, t: f64, e: Event) {
        match e {
            Event::Completion { pod, generation } => {
                if self.pods[pod as usize].completion_gen == generation {
                    self.complete(t, pod);
                }
            }
            Event::Running { pod } => self.on_running(t, pod),
            Event::Ready { pod } => {
                if self.pods[pod as usize].state == PodState::Starting {
                    self.make_ready(pod, t, true);
                }
            }
            Event::EndpointRemoved { pod } => self.remove_endpoint(t, pod),
            Event::Sigterm { pod } => self.sigterm(t, pod),
            Event::Kill { pod } => self.kill(t, pod),
            Event::BurstEnd { pod } => self.change_speed(t, pod, |p| p.burst = 0.0),
            Event::Warm { pod } => self.change_speed(t, pod, |p| p.warm = 1.0),
        }
    }

    /// Apply a change to a pod's speed factors and re-time its completions.
    fn change_speed(&mut self, now: f64, pod: u32, change: impl FnOnce(&mut Pod)) {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods[pod as usize];
        if p.state == PodState::Gone {
            return;
        }
        p.advance(now, cpr);
        change(p);
        p.update_speed(cpr, self.cfg.cpu_capacity);
        self.reschedule(pod);
    }

    // ---- requests ----------------------------------------------------------------------

    fn arrive(&mut self, now: f64) {
        let row = self.series.row(now);
        self.totals.arrived += 1;
        self.series.arrivals[row] += 1;
        let work = self.cfg.service.sample(&mut self.rng_service);
        let deadline = self.cfg.timeout.map_or(f64::INFINITY, |t| now + t);
        let req = Request {
            arrival: now,
            work,
            deadline,
        };
        match self.cfg.kind {
            WorkloadKind::Http => {
                let Some(pod) = self.pick_endpoint() else {
                    self.drop_request(now, DropReason::NoEndpoints);
                    return;
                };
                let p = &mut self.pods[pod as usize];
                p.routed += 1;
                if !p.accepting {
                    self.drop_request(now, DropReason::RefusedTerminating);
                    return;
                }
                if p.in_service.len() < self.cfg.concurrency as usize {
                    self.start_service(now, pod, req);
                    self.reschedule(pod);
                } else {
                    p.queue.push_back(req);
                }
            }
            WorkloadKind::Queue => {
                self.backlog.push_back(req);
                self.dispatch_backlog(now);
            }
        }
    }

    fn pick_endpoint(&mut self) -> Option<u32> {
        let n = self.endpoints.len();
        if n == 0 {
            return None;
        }
        let i = match self.cfg.balancer {
            Balancer::Random => self.rng_balancer.below(n),
            Balancer::RoundRobin => {
                self.round_robin = (self.round_robin + 1) % n;
                self.round_robin
            }
            Balancer::LeastRequest => {
                let a = self.rng_balancer.below(n);
                let b = self.rng_balancer.below(n);
                let (pa, pb) = (
                    &self.pods[self.endpoints[a] as usize],
                    &self.pods[self.endpoints[b] as usize],
                );
                if pb.in_flight() < pa.in_flight() {
                    b
                } else {
                    a
                }
            }
        };
        Some(self.endpoints[i])
    }

    /// Start serving `req` on `pod` (a free slot is guaranteed by the caller).
    #[inline]
    fn start_service(&mut self, now: f64, pod: u32, req: Request) {
        self.wait.record(now - req.arrival);
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods[pod as usize];
        p.advance(now, cpr);
        p.in_service.push(InService {
            finish_v: p.vclock + req.work,
            req,
        });
        p.update_speed(cpr, self.cfg.cpu_capacity);
    }

    /// (Re)schedule the pod's next completion if it moved.
    #[inline]
    fn reschedule(&mut self, pod: u32) {
        let p = &mut self.pods[pod as usize];
        let next = p.next_completion();
        let moved =
            (next - p.completion_at).abs() > 1e-9 * (1.0 + next.abs().min(p.completion_at.abs()));
        if next.is_finite() && (moved || !p.completion_at.is_finite()) {
            p.completion_gen = p.completion_gen.wrapping_add(1);
            p.completion_at = next;
            self.agenda.schedule(
                next,
                Event::Completion {
                    pod,
                    generation: p.completion_gen,
                },
            );
        } else if !next.is_finite() {
            p.completion_at = f64::INFINITY;
        }
    }

    fn complete(&mut self, now: f64, pod: u32) {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods[pod as usize];
        p.advance(now, cpr);
        p.completion_at = f64::INFINITY;
        let Some(done) = p.in_service.pop() else {
            return;
        };
        let req = done.req;
        if now > req.deadline {
            self.time_out(req.deadline);
        } else {
            self.totals.served += 1;
            self.pods[pod as usize].served += 1;
            let row = self.series.row(now);
            self.series.served[row] += 1;
            let latency = now - req.arrival;
            self.latency.record(latency);
            self.latency_buckets.record(latency);
            self.step_latencies.push(row, latency, &mut self.series);
        }
        // Refill the freed slot.
        match self.cfg.kind {
            WorkloadKind::Http => {
                while let Some(next) = self.pods[pod as usize].queue.pop_front() {
                    if now >= next.deadline {
                        self.time_out(next.deadline);
                        continue;
                    }
                    self.start_service(now, pod, next);
                    break;
                }
            }
            WorkloadKind::Queue => {
                if self.pods[pod as usize].accepting {
                    if let Some(next) = self.pop_backlog(now) {
                        self.start_service(now, pod, next);
                    } else {
                        self.idle_slots.push_back(pod);
                    }
                }
            }
        }
        let p = &mut self.pods[pod as usize];
        p.update_speed(cpr, self.cfg.cpu_capacity);
        self.reschedule(pod);
        let p = &self.pods[pod as usize];
        if p.state == PodState::Terminating && !p.accepting && p.in_flight() == 0 {
            self.exit(now, pod, PodEventKind::Exited, None);
        }
    }

    fn pop_backlog(&mut self, now: f64) -> Option<Request> {
        while let Some(r) = self.backlog.pop_front() {
            if now >= r.deadline {
                self.time_out(r.deadline);
                continue;
            }
            return Some(r);
        }
        None
    }

    /// Hand backlog messages to free workers.
    fn dispatch_backlog(&mut self, now: f64) {
        while !self.backlog.is_empty() {
            let Some(pod) = self.idle_slots.pop_front() else {
                return;
            };
            let p = &self.pods[pod as usize];
            if !p.accepting || p.in_service.len() >= self.cfg.concurrency as usize {
                continue; // stale slot
            }
            match self.pop_backlog(now) {
                Some(req) => {
                    self.start_service(now, pod, req);
                    self.reschedule(pod);
                }
                None => {
                    self.idle_slots.push_front(pod);
                    return;
                }
            }
        }
    }

    fn time_out(&mut self, deadline: f64) {
        self.totals.timed_out += 1;
        let row = self.series.row(deadline);
        self.series.timed_out[row] += 1;
    }

    fn drop_request(&mut self, now: f64, reason: DropReason) {
        self.drop_requests(now, reason, 1);
    }

    fn drop_requests(&mut self, now: f64, reason: DropReason, n: u64) {
        if n == 0 {
            return;
        }
        self.totals.dropped += n;
        match reason {
            DropReason::NoEndpoints => self.totals.dropped_no_endpoints += n,
            DropReason::RefusedTerminating => self.totals.dropped_refused_terminating += n,
            DropReason::KilledOnShutdown => self.totals.dropped_killed_on_shutdown += n,
        }
        let row = self.series.row(now);
        self.series.dropped[row] += n as u32;
    }

    // ---- pods --------------------------------------------------------------------------

    fn log(&mut self, t: f64, pod: u32, event: PodEventKind, requests: Option<u64>) {
        self.pod_events.push(PodEvent {
            t,
            pod,
            event,
            requests,
        });
    }

    fn account_pods(&mut self, now: f64) {
        let dt = now - self.pod_seconds_at;
        if dt > 0.0 {
            self.pod_seconds += dt * self.counts.total() as f64;
            self.pod_seconds_at = now;
        }
    }

    /// The ReplicaSet controller: make the number of non-terminating pods equal `replicas`,
    /// creating new pods or deleting the ones upstream ranks first for deletion.
    pub fn set_replicas(&mut self, now: f64, replicas: i32) {
        let replicas = replicas.max(0);
        if replicas != self.spec_replicas {
            self.replica_changes += 1;
        }
        self.spec_replicas = replicas;
        self.account_pods(now);
        let active: Vec<u32> = self
            .pods
            .iter()
            .filter(|p| p.is_active())
            .map(|p| p.id)
            .collect();
        let have = active.len() as i32;
        if replicas > have {
            for _ in 0..(replicas - have) {
                self.create_pod(now);
            }
        } else if replicas < have {
            let mut ranked = active;
            ranked.sort_by(|&a, &b| deletion_rank(&self.pods[a as usize], &self.pods[b as usize]));
            for id in ranked.into_iter().take((have - replicas) as usize) {
                self.terminate(now, id);
            }
        }
    }

    fn create_pod(&mut self, now: f64) {
        let id = self.pods.len() as u32;
        self.pods.push(Pod::new(id, now));
        self.counts.pending += 1;
        self.log(now, id, PodEventKind::Created, None);
        let startup = self.cfg.startup.sample(&mut self.rng_startup).max(0.0);
        self.agenda
            .schedule(now + startup, Event::Running { pod: id });
    }

    fn on_running(&mut self, now: f64, pod: u32) {
        if self.pods[pod as usize].state != PodState::Pending {
            return;
        }
        self.account_pods(now);
        let p = &mut self.pods[pod as usize];
        p.state = PodState::Starting;
        p.running_at = Some(now);
        p.vclock = now;
        p.vclock_at = now;
        p.scrape_at = now;
        self.counts.pending -= 1;
        self.counts.starting += 1;
        self.log(now, pod, PodEventKind::Running, None);
        let (cores, secs) = self.cfg.startup_burst;
        if cores > 0.0 && secs > 0.0 {
            self.pods[pod as usize].burst = cores;
            self.agenda.schedule(now + secs, Event::BurstEnd { pod });
        }
        let (speed, secs) = self.cfg.warmup;
        if speed < 1.0 && secs > 0.0 {
            self.pods[pod as usize].warm = speed;
            self.agenda.schedule(now + secs, Event::Warm { pod });
        }
        self.agenda
            .schedule(now + self.cfg.time_to_ready, Event::Ready { pod });
    }

    fn make_ready(&mut self, pod: u32, now: f64, log: bool) {
        self.account_pods(now);
        let p = &mut self.pods[pod as usize];
        match p.state {
            PodState::Pending => self.counts.pending -= 1,
            PodState::Starting => self.counts.starting -= 1,
            _ => return,
        }
        p.state = PodState::Ready;
        p.ready_at = Some(now);
        if log {
            p.ready_transition = now;
        }
        p.accepting = true;
        self.counts.ready += 1;
        match self.cfg.kind {
            WorkloadKind::Http => {
                p.in_endpoints = true;
                self.endpoints.push(pod);
            }
            WorkloadKind::Queue => {
                for _ in 0..self.cfg.concurrency {
                    self.idle_slots.push_back(pod);
                }
            }
        }
        if log {
            self.log(now, pod, PodEventKind::Ready, None);
        }
        if self.cfg.kind == WorkloadKind::Queue {
            self.dispatch_backlog(now);
        }
    }

    fn terminate(&mut self, now: f64, pod: u32) {
        self.account_pods(now);
        let p = &mut self.pods[pod as usize];
        match p.state {
            PodState::Pending => self.counts.pending -= 1,
            PodState::Starting => self.counts.starting -= 1,
            PodState::Ready => self.counts.ready -= 1,
            _ => return,
        }
        let was_pending = p.state == PodState::Pending;
        p.state = PodState::Terminating;
        p.deleted_at = Some(now);
        self.counts.terminating += 1;
        self.log(now, pod, PodEventKind::Terminating, None);
        if was_pending {
            // No container yet: nothing to drain.
            self.exit(now, pod, PodEventKind::Exited, None);
            return;
        }
        if self.pods[pod as usize].in_endpoints {
            self.agenda.schedule(
                now + self.cfg.endpoint_delay,
                Event::EndpointRemoved { pod },
            );
        }
        let grace = self.cfg.termination_grace;
        self.agenda
            .schedule(now + self.cfg.pre_stop.min(grace), Event::Sigterm { pod });
        self.agenda.schedule(now + grace, Event::Kill { pod });
    }

    fn remove_endpoint(&mut self, now: f64, pod: u32) {
        let p = &mut self.pods[pod as usize];
        if !p.in_endpoints {
            return;
        }
        p.in_endpoints = false;
        if let Some(i) = self.endpoints.iter().position(|&e| e == pod) {
            self.endpoints.remove(i);
        }
        self.log(now, pod, PodEventKind::RemovedFromEndpoints, None);
    }

    fn sigterm(&mut self, now: f64, pod: u32) {
        let p = &mut self.pods[pod as usize];
        if p.state != PodState::Terminating || !p.accepting && p.gone_at.is_some() {
            return;
        }
        p.accepting = false;
        self.log(now, pod, PodEventKind::Sigterm, None);
        if self.pods[pod as usize].in_flight() == 0 {
            self.exit(now, pod, PodEventKind::Exited, None);
        }
    }

    fn kill(&mut self, now: f64, pod: u32) {
        if self.pods[pod as usize].state != PodState::Terminating {
            return;
        }
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods[pod as usize];
        p.advance(now, cpr);
        let mut lost: Vec<Request> = p.queue.drain(..).collect();
        lost.extend(p.in_service.drain().map(|s| s.req));
        lost.sort_by(|a, b| a.arrival.total_cmp(&b.arrival));
        let mut dropped = 0;
        let mut requeued = 0;
        for r in lost {
            if now > r.deadline {
                self.time_out(r.deadline);
            } else if self.cfg.kind == WorkloadKind::Queue {
                requeued += 1;
                self.backlog.push_front(r);
            } else {
                dropped += 1;
            }
        }
        // push_front reversed the order; restore oldest-first.
        if requeued > 1 {
            self.backlog.make_contiguous()[..requeued].reverse();
        }
        self.totals.redelivered += requeued as u64;
        self.drop_requests(now, DropReason::KilledOnShutdown, dropped);
        self.exit(
            now,
            pod,
            PodEventKind::Killed,
            Some(dropped + requeued as u64),
        );
        if requeued > 0 {
            self.dispatch_backlog(now);
        }
    }

    fn exit(&mut self, now: f64, pod: u32, how: PodEventKind, requests: Option<u64>) {
        self.account_pods(now);
        self.remove_endpoint(now, pod);
        let p = &mut self.pods[pod as usize];
        if p.state != PodState::Terminating {
            return;
        }
        p.advance(now, self.cfg.cores_per_request);
        self.retired_cpu_seconds += p.cpu_seconds;
        p.state = PodState::Gone;
        p.gone_at = Some(now);
        p.accepting = false;
        p.completion_gen = p.completion_gen.wrapping_add(1);
        p.completion_at = f64::INFINITY;
        self.counts.terminating -= 1;
        self.log(now, pod, how, requests);
    }

    // ---- observation -------------------------------------------------------------------

    /// Requests waiting for a worker (shared backlog plus every pod's queue).
    pub fn backlog_len(&self) -> u64 {
        match self.cfg.kind {
            WorkloadKind::Queue => self.backlog.len() as u64,
            WorkloadKind::Http => self
                .pods
                .iter()
                .filter(|p| p.state != PodState::Gone)
                .map(|p| p.queue.len() as u64)
                .sum(),
        }
    }

    /// Requests in service across pods.
    pub fn in_service(&self) -> u64 {
        self.pods
            .iter()
            .filter(|p| p.state != PodState::Gone)
            .map(|p| p.in_service.len() as u64)
            .sum()
    }

    /// Age of the oldest waiting request at `now` (0 if none).
    pub fn oldest_waiting_age(&self, now: f64) -> f64 {
        let oldest = match self.cfg.kind {
            WorkloadKind::Queue => self.backlog.front().map(|r| r.arrival),
            WorkloadKind::Http => self
                .pods
                .iter()
                .filter_map(|p| p.queue.front().map(|r| r.arrival))
                .reduce(f64::min),
        };
        oldest.map_or(0.0, |a| (now - a).max(0.0))
    }

    /// CPU-seconds the pod had used by `now`.
    pub fn cpu_seconds(&mut self, pod: u32, now: f64) -> f64 {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods[pod as usize];
        p.advance(now, cpr);
        p.cpu_seconds
    }

    /// Bytes of memory the pod uses at this instant (baseline + per in-flight request).
    pub fn memory_bytes(&self, pod: u32) -> f64 {
        let p = &self.pods[pod as usize];
        self.cfg.memory_baseline + self.cfg.memory_per_request * p.in_flight() as f64
    }

    /// Record gauges for the step ending at `now` (row `row`).
    pub fn sample(&mut self, now: f64, row: usize, cpu_request: Option<f64>) {
        self.account_pods(now);
        let cpr = self.cfg.cores_per_request;
        let step = self.series.step;
        let mut cpu_used = 0.0;
        let mut requested = 0.0;
        for p in self.pods.iter_mut() {
            if p.state == PodState::Gone && p.gone_at.is_some_and(|g| g < now - step) {
                continue;
            }
            p.advance(now, cpr);
            cpu_used += p.cpu_seconds - p.cpu_at_sample;
            p.cpu_at_sample = p.cpu_seconds;
            if matches!(
                p.state,
                PodState::Starting | PodState::Ready | PodState::Terminating
            ) {
                requested += cpu_request.unwrap_or(0.0);
            }
        }
        let backlog = self.backlog_len();
        let in_service = self.in_service();
        let backlog_age = self.oldest_waiting_age(now);
        let s = &mut self.series;
        s.cpu_cores[row] = cpu_used / step;
        if cpu_request.is_some() && requested > 0.0 {
            s.cpu_utilization[row] = 100.0 * cpu_used / step / requested;
        }
        s.spec_replicas[row] = self.spec_replicas;
        s.ready_pods[row] = self.counts.ready;
        s.starting_pods[row] = self.counts.pending + self.counts.starting;
        s.terminating_pods[row] = self.counts.terminating;
        s.backlog[row] = backlog;
        s.backlog_age[row] = backlog_age;
        s.in_flight[row] = backlog + in_service;
        s.arrival_rate[row] = self.trace.rate_at(s.time(row));
        self.step_latencies.close(&mut self.series);
    }

    /// Close the run at `end`: whatever is still queued or in service is `in_flight_end`,
    /// except requests whose client had already given up (timed out).
    pub fn finish(&mut self, end: f64) {
        self.account_pods(end);
        self.step_latencies.close(&mut self.series);
        let mut deadlines: Vec<f64> = Vec::new();
        let mut in_flight = 0u64;
        for r in self.backlog.iter() {
            if end > r.deadline {
                deadlines.push(r.deadline)
            } else {
                in_flight += 1
            }
        }
        for p in self.pods.iter().filter(|p| p.state != PodState::Gone) {
            for r in p.queue.iter().chain(p.in_service.iter().map(|s| &s.req)) {
                if end > r.deadline {
                    deadlines.push(r.deadline)
                } else {
                    in_flight += 1
                }
            }
        }
        for d in deadlines {
            self.time_out(d);
        }
        self.totals.in_flight_end = in_flight;
    }
}

/// Upstream ReplicaSet ranking for scale-down (`controller.ActivePodsWithRanks`): pods earlier
/// in this order are deleted first — unscheduled, then pending, then not ready, then the most
/// recently ready, then the newest.
fn deletion_rank(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let phase = |p: &Pod| match p.state {
        PodState::Pending => 0,
        PodState::Starting => 1,
        _ => 2,
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
