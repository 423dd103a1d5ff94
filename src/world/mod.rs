//! The simulated data plane: pods and the work they do. Requests arrive from the trace, are
//! balanced to Ready pods (http) or wait in one shared backlog (queue), are served under the
//! pods' CPU, and finish, time out, or are dropped. Pods start, become Ready, and terminate
//! gracefully. The world is driven by the simulation (`sim`): it knows nothing of autoscalers;
//! it only learns the desired replica count through [`World::set_replicas`].
//!
//! Optional parts (all off unless the scenario turns them on): nodes that pods must fit on and
//! the node autoscaler that adds and removes them (`nodes`, `node_autoscaler`); client retries,
//! a per-pod queue cap answered 503, liveness restarts and CFS quota throttling (`health` and
//! the request path).

mod clients;
mod cohorts;
mod fluid;
mod health;
mod jobs;
mod lifecycle;
mod node_autoscaler;
mod nodes;
mod pod;
mod pod_set;
#[cfg(test)]
mod properties;
mod recorder;
mod requests;
mod rollout;
mod service_heap;
mod statefulset;

use crate::engine::{Agenda, Timers};
use crate::manifest::deployment::Strategy;
use crate::manifest::statefulset::StatefulSetSpec;
use crate::record::DropReason;
use crate::rng::Stream;
use crate::settings::Scenario;
use crate::settings::dist::Dist;
use crate::settings::nodes::Cluster;
use crate::settings::overload::Overload;
use crate::settings::workload::{Balancer, PodResources, WorkloadKind};
use crate::trace::Trace;
use clients::Clients;
pub(crate) use jobs::{JobEnd, JobTemplate};
pub(crate) use nodes::{NodeEvent, Nodes};
pub(crate) use pod::{InService, Pod, PodState, Request};
pub(crate) use pod_set::PodSet;
pub(crate) use recorder::Recorder;
use recorder::Records;
use requests::Requests;
use serde::Serialize;
use std::sync::Arc;

/// Everything the data plane needs to know, with defaults applied.
#[derive(Debug, Clone)]
pub(crate) struct WorldConfig {
    pub(crate) kind: WorkloadKind,
    pub(crate) service: Dist,
    pub(crate) concurrency: u32,
    pub(crate) cores_per_request: f64,
    /// Cores a pod may use (its CPU limit), +∞ without one.
    pub(crate) cpu_capacity: f64,
    pub(crate) timeout: Option<f64>,
    pub(crate) balancer: Balancer,
    pub(crate) startup: Dist,
    pub(crate) time_to_ready: f64,
    pub(crate) termination_grace: f64,
    pub(crate) endpoint_delay: f64,
    pub(crate) pre_stop: f64,
    pub(crate) memory_baseline: f64,
    pub(crate) memory_per_request: f64,
    /// Extra cores a pod burns for a while after its container starts: (cores, seconds).
    pub(crate) startup_burst: (f64, f64),
    /// A new pod serves at reduced speed for a while: (speed factor, seconds).
    pub(crate) warmup: (f64, f64),
    /// Flow-level traffic with this interval (None: every request simulated).
    pub(crate) fluid_step: Option<f64>,
    /// Topic partitions: at most this many pods consume a queue workload at once.
    pub(crate) partitions: Option<u32>,
    /// Retries, the per-pod queue cap, liveness probes, the CFS quota (all off by default).
    pub(crate) overload: Overload,
    /// Nodes and their autoscaler; `None`: an infinite cluster.
    pub(crate) cluster: Option<Cluster>,
    /// What the initial pods request (the first revision of the template).
    pub(crate) template: PodResources,
    /// The Deployment's `spec.strategy` until an applied one replaces it.
    pub(crate) strategy: Strategy,
    /// The workload is a StatefulSet: its policy and update strategy (docs/statefulsets.md).
    pub(crate) stateful: Option<StatefulSetSpec>,
}

impl WorldConfig {
    pub(crate) fn from_scenario(s: &Scenario) -> WorldConfig {
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
            fluid_step: s.fluid_step(),
            partitions: s.workload.partitions,
            overload: s.overload,
            cluster: s.nodes.clone(),
            template: s.pods.resources(),
            strategy: s
                .pods
                .template
                .as_ref()
                .map(|t| t.strategy)
                .unwrap_or_default(),
            stateful: s.pods.template.as_ref().and_then(|t| t.stateful),
        }
    }

    /// Requests/s one Ready pod serves at most, nominally: `concurrency / mean service time`,
    /// or `cpu_limit / cpu_per_request` when the CPU limit binds first (the smaller of the two).
    /// Warm-up and start-up bursts are left out: this is the steady-state ceiling.
    pub(crate) fn pod_throughput(&self) -> f64 {
        self.pod_throughput_limited(self.cpu_capacity)
    }

    /// [`Self::pod_throughput`] for a pod whose CPU limit is `limit` cores (+∞ for none).
    pub(crate) fn pod_throughput_limited(&self, limit: f64) -> f64 {
        let mean = self.service.mean();
        let by_concurrency = if mean > 0.0 {
            self.concurrency as f64 / mean
        } else {
            f64::INFINITY
        };
        let cpu_per_request = self.cores_per_request * mean;
        let by_cpu = if cpu_per_request > 0.0 {
            limit / cpu_per_request
        } else {
            f64::INFINITY
        };
        by_concurrency.min(by_cpu)
    }

    /// [`Self::pod_throughput`] for a pod that may use at most `cores` (its share of its
    /// node's CPU, when nodes are simulated).
    pub(crate) fn pod_throughput_with(&self, cores: f64) -> f64 {
        let cpu_per_request = self.cores_per_request * self.service.mean();
        let by_cpu = if cpu_per_request > 0.0 {
            cores / cpu_per_request
        } else {
            f64::INFINITY
        };
        self.pod_throughput().min(by_cpu)
    }
}

/// A pod transition, for `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct PodEvent {
    pub(crate) t: f64,
    pub(crate) pod: u32,
    pub(crate) event: PodEventKind,
    /// Requests lost (killed) or returned to the backlog at this transition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) requests: Option<u64>,
    /// The node, for `scheduled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) node: Option<u32>,
    /// The pod template's revision, for `created` once a change rolled out a new one
    /// (docs/rollouts.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) revision: Option<u32>,
    /// A StatefulSet pod's ordinal, for `created` (docs/statefulsets.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ordinal: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PodEventKind {
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
    /// Bound to a node by the scheduler (with `cluster.nodes`).
    Scheduled,
    /// Fits on no node: stays Pending until one has room.
    Unschedulable,
    /// Evicted from a node being removed; the ReplicaSet replaces it.
    Evicted,
    /// A liveness probe failed (the pod answered too late).
    LivenessFailed,
    /// The container was killed after `failure_threshold` failed liveness probes.
    Restarted,
    /// The restarted container is running again.
    ContainerStarted,
    /// A job's container exited non-zero (`jobs.failure_probability`): the pod Failed.
    Failed,
    /// A job's container exited non-zero with `restartPolicy: OnFailure`: the kubelet
    /// restarts it in the same pod after its back-off.
    ContainerFailed,
}

/// Pod and cluster events (a pod's next request completion is a [`Timers`] deadline instead).
#[derive(Debug, Clone, Copy)]
enum Event {
    Running {
        pod: u32,
    },
    /// `inc`: the container incarnation the event belongs to (a restart makes it stale).
    Ready {
        pod: u32,
        inc: u32,
    },
    EndpointRemoved {
        pod: u32,
    },
    Sigterm {
        pod: u32,
    },
    Kill {
        pod: u32,
    },
    BurstEnd {
        pod: u32,
        inc: u32,
    },
    Warm {
        pod: u32,
        inc: u32,
    },
    /// One flow-level interval.
    FluidTick,
    /// A flow-level job finished its message, or a job's `duration` ran out.
    JobDone {
        pod: u32,
    },
    /// A Job's `activeDeadlineSeconds` ran out: its pods are killed, it is Failed.
    JobDeadline {
        job: u32,
    },
    /// The Job controller syncs a Job whose pod-failure back-off is over.
    JobSync {
        job: u32,
    },
    /// A client's per-attempt timeout (retries on).
    Deadline {
        id: u64,
        attempt: u32,
    },
    /// A client sends its retry.
    Retry {
        id: u64,
    },
    /// A liveness probe of the pod's container `inc`.
    Probe {
        pod: u32,
        inc: u32,
    },
    /// A restarted container starts running.
    ContainerStart {
        pod: u32,
        inc: u32,
    },
    /// The kubelet creates the new container of a Job's pod whose container failed
    /// (`restartPolicy: OnFailure`), its back-off over: the restart counts.
    JobContainerRestart {
        pod: u32,
        inc: u32,
    },
    /// The pod's CFS quota runs out, or its period ends.
    Cfs {
        pod: u32,
        epoch: u32,
    },
    /// A provisioned node becomes Ready.
    NodeReady {
        node: u32,
    },
    /// Cluster Autoscaler's loop.
    NodeScan,
    /// Karpenter: check whether the batch of pending pods is closed.
    KarpenterBatch,
    /// Karpenter's disruption controller looks for consolidation.
    Consolidate,
}

/// What a metrics-server scrape reads of a pod ([`World::scrape_pod`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PodScrape {
    /// CPU-seconds the pod has used by now.
    pub(crate) cpu_seconds: f64,
    /// CPU-seconds at the previous scrape.
    pub(crate) cpu_at_last: f64,
    /// When the previous scrape was (or the container (re)started, whichever is later).
    pub(crate) last_at: f64,
    /// When the pod's container started running.
    pub(crate) running_at: Option<f64>,
}

/// Pod counts by phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct PodCounts {
    pub(crate) pending: u32,
    /// Of the pending pods, those not bound to a node (no node has room).
    pub(crate) unscheduled: u32,
    pub(crate) starting: u32,
    pub(crate) ready: u32,
    pub(crate) terminating: u32,
}

impl PodCounts {
    /// Pods that exist (cost pod-seconds): everything not gone.
    pub(crate) fn total(&self) -> u32 {
        self.pending + self.starting + self.ready + self.terminating
    }
}

/// The data plane, as owned parts: the pods, the requests, the clients, the nodes and the
/// recorder (each its own module), driven by one event agenda.
pub(crate) struct World {
    cfg: WorldConfig,
    pods: PodSet,
    requests: Requests,
    clients: Clients,
    nodes: Nodes,
    /// The Jobs of ScaledJobs.
    jobs: jobs::Jobs,
    recorder: Recorder,
    agenda: Agenda<Event>,
    /// Each pod's next request completion (slot = pod id), stamped by `agenda`.
    completions: Timers,
    /// Flow-level traffic state (`fidelity: fluid`).
    fluid: Option<Box<fluid::FluidState>>,
    /// Some pod has had a CFS quota that can run out (one that cannot is left out:
    /// `World::start_cfs`): from then on the run is not lean.
    quotas_bind: bool,
    end: f64,
}

impl World {
    /// A world with `replicas` pods already Ready at t = 0 (a running Deployment).
    pub(crate) fn new(
        cfg: WorldConfig,
        trace: Arc<Trace>,
        seed: u64,
        duration: f64,
        step: f64,
        replicas: i32,
    ) -> World {
        let first = {
            let r = replicas.max(0);
            let surge = rollout::fenceposts(cfg.strategy, r).0;
            // The scenario's pods are scheduled by `cluster.nodes`' pod shape.
            let requests = cfg
                .cluster
                .as_ref()
                .map_or((0.0, 0.0), |c| (c.pod_cpu, c.pod_memory));
            let shape = (cfg.cpu_capacity, requests);
            rollout::ReplicaSet::new(cfg.template.clone(), shape, r, r + surge)
        };
        let strategy = cfg.strategy;
        let mut w = World {
            cfg,
            pods: PodSet::new(seed, replicas, first, strategy),
            requests: Requests::new(trace, seed),
            clients: Clients::new(seed),
            nodes: Nodes::new(seed),
            jobs: jobs::Jobs::new(seed),
            recorder: Recorder::new(duration, step),
            agenda: Agenda::new(),
            completions: Timers::new(),
            fluid: None,
            quotas_bind: false,
            end: duration,
        };
        w.init_nodes();
        w.start_initial_pods();
        // The StatefulSet's controller takes over once its pods of t = 0 exist.
        w.pods.stateful = w.cfg.stateful.map(statefulset::StatefulState::new);
        if let Some(a) = w.cfg.cluster.as_ref().map(|c| c.autoscaler) {
            for n in 0..w.nodes.by_id.len() as u32 {
                w.reshare(0.0, n);
            }
            w.start_node_autoscaler(a);
        }
        if w.cfg.overload.liveness.is_some() {
            for id in 0..w.pods.by_id.len() as u32 {
                if w.pods.by_id[id as usize].running_at.is_some() {
                    w.schedule_probe(id, 0.0);
                }
            }
        }
        w.start_traffic(seed);
        w
    }

    /// The Deployment's pods at t = 0: long-running and Ready, each on a node when there are
    /// nodes (Pending when the initial nodes have no room).
    fn start_initial_pods(&mut self) {
        for i in 0..self.pods.spec_replicas {
            let id = self.pods.by_id.len() as u32;
            // A StatefulSet's pods are its ordinals 0, 1, …
            let ordinal = self.cfg.stateful.as_ref().map(|_| i as u32);
            let node = if self.cfg.cluster.is_some() {
                match self.find_node(self.pods.sets[0].requests) {
                    Some(n) => Some(n),
                    None => {
                        // No room on the initial nodes: this one starts Pending.
                        self.create_pod_as(0.0, 0, ordinal);
                        continue;
                    }
                }
            } else {
                None
            };
            let mut p = Pod::new(id, 0.0);
            p.ordinal = ordinal;
            // Long-running: started well before the run, Ready since then.
            p.start_time = -1.0e6;
            p.ready_transition = -1.0e6;
            p.running_at = Some(-1.0e6);
            p.cap = self.base_cap(self.cfg.cpu_capacity);
            self.pods.push(p);
            self.pods.counts.pending += 1;
            if let Some(n) = node {
                self.bind(0.0, id, n, false);
            }
            self.start_cfs(id, 0.0);
            self.make_ready(id, 0.0, false);
        }
    }

    /// The first arrival, or the flow-level model's first interval.
    fn start_traffic(&mut self, seed: u64) {
        match self.cfg.fluid_step {
            Some(dt) => {
                self.fluid = Some(Box::new(fluid::FluidState::new(
                    dt,
                    self.cfg.service,
                    Stream::new(seed, "fluid-latency"),
                )));
                self.agenda.schedule(0.0, Event::FluidTick);
            }
            None => self.requests.next_arrival = self.draw_next_arrival(),
        }
    }

    /// Instant of the next data-plane event (arrival, completion or pod event).
    #[inline]
    pub(crate) fn next_time(&self) -> f64 {
        // Plain comparisons: no time is NaN.
        let (event, completion) = (self.agenda.next_time(), self.completions.next_time());
        let due = if completion < event {
            completion
        } else {
            event
        };
        if self.requests.next_arrival < due {
            self.requests.next_arrival
        } else {
            due
        }
    }

    #[cfg(test)]
    /// Process the next data-plane event. Arrivals go after pod events at the same instant;
    /// completions and other pod events go in the order they were scheduled.
    #[inline]
    pub(crate) fn step(&mut self) {
        let (event, completion) = (self.agenda.next_time(), self.completions.next_time());
        if event <= self.requests.next_arrival || completion <= self.requests.next_arrival {
            let first = completion < event
                || (completion == event && self.completions.next_key() < self.agenda.next_key());
            if first {
                self.fire_completion::<false>();
            } else if let Some((t, e)) = self.agenda.pop() {
                self.handle(t, e);
            }
        } else {
            let t = self.requests.next_arrival;
            self.arrive::<false>(t);
            self.requests.next_arrival = self.draw_next_arrival();
        }
    }

    /// Is the run lean: no pod has had a CFS quota that can run out, no client timeout, no
    /// client retries (the common case)? Then no pod has a quota (one that cannot run out is
    /// left out, see `start_cfs`), every request's deadline is +∞ and every request is
    /// untracked (id 0, ids are issued for retries only): the request path's tests of those
    /// have known outcomes, and [`Self::run_until`] takes the path compiled without them
    /// (`LEAN`), the same steps otherwise. Its outputs are the general path's to the bit (the
    /// property `lean_path_is_the_general_path` runs random lean worlds down both;
    /// docs/performance.md, "Request level"). A run stops being lean, for good, when a pod
    /// boots with a quota that can run out; the lean loop returns after that event.
    #[inline]
    pub(crate) fn is_lean(&self) -> bool {
        !self.quotas_bind && self.cfg.timeout.is_none() && self.cfg.overload.retries.is_none()
    }

    /// Process data-plane events while the next is due at or before `limit`, down the lean
    /// path when the run is lean (see [`Self::is_lean`]).
    #[inline]
    pub(crate) fn run_until(&mut self, limit: f64) {
        if self.is_lean() {
            self.run_lean_until(limit);
            if self.is_lean() {
                return;
            }
            // A pod booted with a quota that can run out: the rest down the general path.
        }
        self.run_events_until::<false>(limit);
    }

    /// [`Self::run_until`] down the lean path. Out of line: the general path stays inlined into
    /// the simulation's loop as it was (moving it out cost http50 about 1 %), the lean one is
    /// a function of its own.
    #[inline(never)]
    fn run_lean_until(&mut self, limit: f64) {
        self.run_events_until::<true>(limit);
    }

    /// [`Self::run_until`] down the lean path (`LEAN`, only for a lean run) or the general one.
    #[inline]
    pub(crate) fn run_events_until<const LEAN: bool>(&mut self, limit: f64) {
        debug_assert!(!LEAN || self.is_lean());
        // `step`'s choice inlined, so each event reads the three clocks once.
        loop {
            let (event, completion) = (self.agenda.next_time(), self.completions.next_time());
            let arrival = self.requests.next_arrival;
            if event <= arrival || completion <= arrival {
                let first = completion < event
                    || (completion == event
                        && self.completions.next_key() < self.agenda.next_key());
                if (if first { completion } else { event }) > limit {
                    return;
                }
                if first {
                    self.fire_completion::<LEAN>();
                } else if let Some((t, e)) = self.agenda.pop() {
                    self.handle(t, e);
                    if LEAN && self.quotas_bind {
                        // A pod booted with a quota that can run out: the general path from here.
                        return;
                    }
                }
            } else {
                if arrival > limit {
                    return;
                }
                self.arrive::<LEAN>(arrival);
                self.requests.next_arrival = self.draw_next_arrival();
            }
        }
    }

    /// The earliest pod completion is due: complete it. Completing re-arms the pod's deadline
    /// in place when it has more work; the deadline that fired is dropped otherwise.
    #[inline]
    fn fire_completion<const LEAN: bool>(&mut self) {
        let Some(due) = self.completions.due() else {
            return;
        };
        if !self.complete::<LEAN>(due.at, due.slot) {
            self.completions.cancel_due(due);
        }
    }

    fn handle(&mut self, t: f64, e: Event) {
        if !matches!(e, Event::FluidTick) {
            // Besides the changes counted where they happen: whatever an event changes, the
            // flow level's next interval gathers its serving pods afresh.
            self.pods.changed();
        }
        match e {
            Event::Running { pod } => self.on_running(t, pod),
            Event::Ready { pod, inc } => {
                let p = &self.pods.by_id[pod as usize];
                if p.state == PodState::Starting && p.incarnation == inc && !p.restarting {
                    self.make_ready(pod, t, true);
                }
            }
            Event::EndpointRemoved { pod } => self.remove_endpoint(t, pod),
            Event::Sigterm { pod } => self.sigterm(t, pod),
            Event::Kill { pod } => self.kill(t, pod),
            Event::BurstEnd { pod, inc } => {
                if self.pods.by_id[pod as usize].incarnation == inc {
                    self.change_speed(t, pod, |p| p.burst = 0.0)
                }
            }
            Event::Warm { pod, inc } => {
                if self.pods.by_id[pod as usize].incarnation == inc {
                    self.change_speed(t, pod, |p| p.warm = 1.0)
                }
            }
            Event::FluidTick => self.fluid_tick(t),
            Event::JobDone { pod } => self.finish_job(t, pod),
            Event::JobDeadline { job } => self.job_deadline(t, job),
            Event::JobSync { job } => self.on_job_sync(t, job),
            Event::Deadline { id, attempt } => self.on_deadline(t, id, attempt),
            Event::Retry { id } => self.on_retry(t, id),
            Event::Probe { pod, inc } => self.on_probe(t, pod, inc),
            Event::ContainerStart { pod, inc } => self.on_container_start(t, pod, inc),
            Event::JobContainerRestart { pod, inc } => self.on_job_container_restart(t, pod, inc),
            Event::Cfs { pod, epoch } => self.on_cfs(t, pod, epoch),
            Event::NodeReady { node } => self.on_node_ready(t, node),
            Event::NodeScan => self.on_node_scan(t),
            Event::KarpenterBatch => self.on_karpenter_batch(t),
            Event::Consolidate => self.on_consolidate(t),
        }
    }

    /// Apply a change to a pod's speed factors and re-time its completions.
    fn change_speed(&mut self, now: f64, pod: u32, change: impl FnOnce(&mut Pod)) {
        self.pods.changed();
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods.by_id[pod as usize];
        if p.state == PodState::Gone {
            return;
        }
        p.advance(now, cpr);
        change(p);
        p.update_speed(cpr);
        self.reschedule(pod);
    }

    // ---- requests ----------------------------------------------------------------------

    fn time_out(&mut self, deadline: f64) {
        self.recorder.time_out_n(deadline, 1);
    }

    fn time_out_n(&mut self, deadline: f64, n: u64) {
        self.recorder.time_out_n(deadline, n);
    }

    fn drop_request(&mut self, now: f64, reason: DropReason) {
        self.recorder.drop_requests(now, reason, 1);
    }

    fn drop_requests(&mut self, now: f64, reason: DropReason, n: u64) {
        self.recorder.drop_requests(now, reason, n);
    }

    // ---- pods --------------------------------------------------------------------------

    fn log(&mut self, t: f64, pod: u32, event: PodEventKind, requests: Option<u64>) {
        self.pods.events.push(PodEvent {
            t,
            pod,
            event,
            requests,
            node: None,
            revision: None,
            ordinal: None,
        });
    }

    fn account_pods(&mut self, now: f64) {
        let dt = now - self.pods.pod_seconds_at;
        if dt > 0.0 {
            self.pods.pod_seconds += dt * self.pods.counts.total() as f64;
            if self.cfg.cluster.is_some() {
                self.nodes.pending_pod_seconds += dt * self.pods.counts.unscheduled as f64;
                for &id in &self.nodes.live {
                    let pool = self.nodes.by_id[id as usize].pool;
                    self.nodes.node_seconds[pool] += dt;
                }
            }
            self.pods.pod_seconds_at = now;
        }
    }

    // ---- observation -------------------------------------------------------------------

    /// The offered load (trace rate) at `t`, requests per second.
    pub(crate) fn arrival_rate_at(&self, t: f64) -> f64 {
        self.requests.trace.rate_at(t)
    }

    /// Requests waiting for a worker (shared backlog plus every pod's queue).
    pub(crate) fn backlog_len(&self) -> u64 {
        let shared = self.fluid.as_ref().map_or(0, |f| f.backlog.count());
        match self.cfg.kind {
            WorkloadKind::Queue => self.requests.backlog.len() as u64 + shared,
            WorkloadKind::Http => self
                .pods
                .live()
                .map(|p| p.queue.len() as u64 + p.cohorts.count())
                .sum(),
        }
    }

    /// Requests in service across pods.
    pub(crate) fn in_service(&self) -> u64 {
        self.pods
            .live()
            .map(|p| p.in_service.len() as u64 + p.fluid_in_service)
            .sum()
    }

    /// Age of the oldest waiting request at `now` (0 if none).
    pub(crate) fn oldest_waiting_age(&self, now: f64) -> f64 {
        let oldest = match self.cfg.kind {
            WorkloadKind::Queue => self
                .requests
                .backlog
                .front()
                .map(|r| r.arrival)
                .or_else(|| {
                    self.fluid
                        .as_ref()
                        .and_then(|f| f.backlog.front().map(|c| c.oldest()))
                }),
            WorkloadKind::Http => self
                .pods
                .live()
                .filter_map(|p| p.oldest_held())
                .reduce(f64::min),
        };
        oldest.map_or(0.0, |a| (now - a).max(0.0))
    }

    /// CPU-seconds the pod had used by `now`: a pure reading (see [`Pod::cpu_seconds_at`]).
    pub(crate) fn cpu_seconds(&self, pod: u32, now: f64) -> f64 {
        self.pods.by_id[pod as usize].cpu_seconds_at(now, self.cfg.cores_per_request)
    }

    /// Bytes of memory the pod uses at this instant (baseline + per in-flight request).
    #[inline]
    pub(crate) fn memory_bytes(&self, pod: u32) -> f64 {
        let p = &self.pods.by_id[pod as usize];
        self.cfg.memory_baseline + self.cfg.memory_per_request * p.in_flight() as f64
    }

    /// Cores pod `pod` may use: its template's CPU limit, +∞ without one.
    pub(super) fn pod_limit(&self, pod: u32) -> f64 {
        let rev = self.pods.by_id[pod as usize].revision as usize;
        self.pods.sets[rev].cpu_limit
    }

    /// The configuration the world was built with.
    pub(crate) fn config(&self) -> &WorldConfig {
        &self.cfg
    }

    /// The pods, their counts and the ReplicaSet's desired count.
    pub(crate) fn pods(&self) -> &PodSet {
        &self.pods
    }

    /// The cluster's nodes (none without `cluster.nodes`).
    pub(crate) fn nodes(&self) -> &Nodes {
        &self.nodes
    }

    /// The run's measurements so far.
    pub(crate) fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The run's measurements, to switch parts of them off or fill the simulation's own columns.
    pub(crate) fn recorder_mut(&mut self) -> &mut Recorder {
        &mut self.recorder
    }

    /// Are pod or node transitions waiting to be taken by [`Self::take_events`]?
    #[inline]
    pub(crate) fn has_events(&self) -> bool {
        !self.pods.events.is_empty() || !self.nodes.events.is_empty()
    }

    /// Take the pod and node transitions logged so far, for `events.jsonl`.
    pub(crate) fn take_events(&mut self) -> (Vec<PodEvent>, Vec<NodeEvent>) {
        (self.pods.take_events(), self.nodes.take_events())
    }

    /// End the world, handing over its measurements.
    pub(crate) fn into_records(self) -> Records {
        self.recorder.into_records()
    }

    /// A metrics-server scrape of the pod at `now`: its CPU-seconds now and at the previous
    /// scrape. The pod is marked scraped at `now` when `now` is later than its last scrape.
    pub(crate) fn scrape_pod(&mut self, pod: u32, now: f64) -> PodScrape {
        let cpu_seconds = self.cpu_seconds(pod, now);
        let p = &mut self.pods.by_id[pod as usize];
        let scrape = PodScrape {
            cpu_seconds,
            cpu_at_last: p.cpu_at_scrape,
            last_at: p.scrape_at,
            running_at: p.running_at,
        };
        if now - p.scrape_at > 0.0 {
            p.cpu_at_scrape = cpu_seconds;
            p.scrape_at = now;
        }
        scrape
    }

    /// Record gauges for the step ending at `now` (row `row`).
    pub(crate) fn sample(&mut self, now: f64, row: usize) {
        self.account_pods(now);
        let cpr = self.cfg.cores_per_request;
        let step = self.recorder.series.step;
        let mut cpu_used = 0.0;
        let mut requested = 0.0;
        let has_request = self
            .pods
            .sets
            .iter()
            .any(|s| s.template.cpu_request.is_some());
        let mut sampled = self.pods.take_sampled();
        // One pass over the sampled pods (the live ones and those gone within the step, the
        // others dropped for good): their CPU, and for the live ones what they hold, as `backlog_len`, `in_service` and
        // `oldest_waiting_age` would find it walking the live pods.
        let http = self.cfg.kind == WorkloadKind::Http;
        let (mut held, mut in_service) = (0u64, 0u64);
        let mut oldest: Option<f64> = None;
        let mut request = pod_set::ByRevision::new(0.0);
        let mut kept = 0;
        for i in 0..sampled.len() {
            let id = sampled[i];
            let p = &mut self.pods.by_id[id as usize];
            if PodSet::done_sampling(p, now, step) {
                continue;
            }
            sampled[kept] = id;
            kept += 1;
            let cpu = p.cpu_seconds_at(now, cpr);
            cpu_used += cpu - p.cpu_at_sample;
            p.cpu_at_sample = cpu;
            if p.state == PodState::Gone {
                continue;
            }
            if matches!(
                p.state,
                PodState::Starting | PodState::Ready | PodState::Terminating
            ) {
                let sets = &self.pods.sets;
                requested += request.get(p.revision, || {
                    sets[p.revision as usize]
                        .template
                        .cpu_request
                        .unwrap_or(0.0)
                });
            }
            in_service += p.in_service.len() as u64 + p.fluid_in_service;
            if http {
                held += p.queue.len() as u64 + p.cohorts.count();
                if let Some(a) = p.oldest_held() {
                    oldest = Some(oldest.map_or(a, |o: f64| o.min(a)));
                }
            }
        }
        sampled.truncate(kept);
        self.pods.return_sampled(sampled);
        let (backlog, backlog_age) = if http {
            let shared = self.fluid.as_ref().map_or(0, |f| f.backlog.count());
            (held + shared, oldest.map_or(0.0, |a| (now - a).max(0.0)))
        } else {
            (self.backlog_len(), self.oldest_waiting_age(now))
        };
        let capacity = self.ready_capacity();
        let s = &mut self.recorder.series;
        let i = s.slot(row);
        s.cpu_cores[i] = cpu_used / step;
        if has_request && requested > 0.0 {
            s.cpu_utilization[i] = 100.0 * cpu_used / step / requested;
        }
        s.spec_replicas[i] = self.pods.spec_replicas;
        s.ready_pods[i] = self.pods.counts.ready;
        s.starting_pods[i] = self.pods.counts.pending + self.pods.counts.starting;
        s.terminating_pods[i] = self.pods.counts.terminating;
        s.backlog[i] = backlog;
        s.backlog_age[i] = backlog_age;
        s.ready_capacity[i] = if capacity.is_finite() {
            capacity
        } else {
            f64::NAN
        };
        s.in_flight[i] = backlog + in_service;
        s.arrival_rate[i] = self.requests.trace.rate_at(s.time(row));
        s.unschedulable_pods[i] = self.pods.counts.unscheduled;
        s.nodes[i] = self.nodes.live();
        s.nodes_ready[i] = self.nodes.ready();
        self.recorder.close_step_latencies();
    }

    /// Requests/s the Ready pods serve at most: each at its limit (its template's), and with
    /// nodes at most its share of its node.
    fn ready_capacity(&self) -> f64 {
        let ready = || self.pods.live().filter(|p| p.state == PodState::Ready);
        if self.cfg.cluster.is_some() {
            // Pods on a busy node get only their share of its CPU.
            ready().map(|p| self.cfg.pod_throughput_with(p.cap)).sum()
        } else if self.pods.sets.len() > 1 {
            // Pods of several templates (a rollout): each at its own limit.
            ready()
                .map(|p| {
                    let limit = self.pods.sets[p.revision as usize].cpu_limit;
                    self.cfg.pod_throughput_limited(limit)
                })
                .sum()
        } else {
            self.pods.counts.ready as f64 * self.cfg.pod_throughput()
        }
    }

    /// Close the run at `end`: whatever is still queued or in service is `in_flight_end`,
    /// except requests whose client had already given up (timed out).
    pub(crate) fn finish(&mut self, end: f64) {
        self.account_pods(end);
        self.recorder.close_step_latencies();
        self.close_stalls(end);
        if self.cfg.overload.retries.is_some() && self.fluid.is_none() {
            // Every request a client still waits for (an attempt in flight, or a retry not yet
            // sent) is in flight; orphaned attempts count nothing.
            self.recorder.totals.in_flight_end =
                self.clients.waiting_count() + self.fluid_retrying();
            return;
        }
        let mut deadlines: Vec<f64> = Vec::new();
        let mut in_flight = 0u64;
        for r in self.requests.backlog.iter() {
            if end > r.deadline {
                deadlines.push(r.deadline)
            } else {
                in_flight += 1
            }
        }
        for p in self.pods.live() {
            for r in p.queue.iter().chain(p.in_service.iter().map(|s| &s.req)) {
                if end > r.deadline {
                    deadlines.push(r.deadline)
                } else {
                    in_flight += 1
                }
            }
        }
        // Flow level: cohorts still waiting.
        let timeout = self.cfg.timeout.unwrap_or(f64::INFINITY);
        let mut cohorts: Vec<fluid::Cohort> = self
            .fluid
            .as_ref()
            .map(|f| f.backlog.iter().copied().collect())
            .unwrap_or_default();
        for p in self.pods.live() {
            cohorts.extend(p.cohorts.iter().copied());
        }
        let mut late: Vec<(f64, u64)> = Vec::new();
        let retries = self.cfg.overload.retries;
        for mut c in cohorts {
            let gone = c.before(end - timeout);
            if gone > 0 {
                let g = c.split_oldest(gone);
                match retries {
                    // The client would retry after the end: still in flight.
                    Some(r) if r.on_timeout && g.attempt < r.max => in_flight += g.count,
                    _ => late.push(((g.start + g.end) / 2.0 + timeout, g.count)),
                }
            }
            in_flight += c.count;
        }
        in_flight += self.fluid_retrying();
        for d in deadlines {
            self.time_out(d);
        }
        for (d, n) in late {
            self.time_out_n(d, n);
        }
        self.recorder.totals.in_flight_end = in_flight;
    }
}
