//! Request-level traffic: every request is an arrival event, is balanced to a pod (http) or
//! waits in the shared backlog (queue), is served under processor-sharing CPU and completes,
//! times out or is dropped.

use super::{Event, InService, Request, World};
use crate::record::DropReason;
use crate::scenario::{Balancer, WorkloadKind};
use crate::world::{PodEventKind, PodState};

impl World {
    pub(super) fn draw_next_arrival(&mut self) -> f64 {
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

    pub(super) fn arrive(&mut self, now: f64) {
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

    pub(super) fn pick_endpoint(&mut self) -> Option<u32> {
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
    pub(super) fn start_service(&mut self, now: f64, pod: u32, req: Request) {
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
    pub(super) fn reschedule(&mut self, pod: u32) {
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

    pub(super) fn complete(&mut self, now: f64, pod: u32) {
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
                let p = &self.pods[pod as usize];
                if p.accepting && p.consumer && !p.job {
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
        if p.job {
            self.finish_job(now, pod);
        } else if p.state == PodState::Terminating && !p.accepting && p.in_flight() == 0 {
            self.exit(now, pod, PodEventKind::Exited, None);
        }
    }

    pub(super) fn pop_backlog(&mut self, now: f64) -> Option<Request> {
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
    pub(super) fn dispatch_backlog(&mut self, now: f64) {
        while !self.backlog.is_empty() {
            let Some(pod) = self.idle_slots.pop_front() else {
                return;
            };
            let p = &self.pods[pod as usize];
            let busy = if p.job {
                !p.in_service.is_empty() || p.served > 0
            } else {
                p.in_service.len() >= self.cfg.concurrency as usize
            };
            if !p.accepting || busy || !(p.consumer || p.job) {
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
}
