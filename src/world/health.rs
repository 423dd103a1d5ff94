//! Pod health under overload: liveness probes that restart a saturated pod, and the CFS quota
//! that stalls a pod at its CPU limit.
//!
//! **Liveness** (`pods.liveness`): every `period` after `initial_delay` from its container's
//! start, the kubelet probes a running container. The probe is handled like one more request on
//! the pod: its response time is the pod's current queueing delay — for an http pod whose
//! workers are all busy, the time to serve the requests queued ahead of it,
//! (queued + 1) / concurrency × mean service time / current speed — plus its own work
//! (1 ms of CPU) at the pod's current speed, plus what is left of a CFS stall. Longer than
//! `timeout` is a failure; `failure_threshold` consecutive failures kill the container: what it
//! held is lost (http: dropped as `restarted`, or retried by clients that retry resets; queue:
//! redelivered), it leaves the endpoints (after `endpoint_delay`) and is not Ready. The kubelet
//! restarts it as CrashLoopBackOff does — the first restart at once, then after 10 s, 20 s,
//! 40 s … up to 5 min counted from the container's death, forgotten once a container has run
//! 10 minutes — and the new container boots (a fresh `startup` draw), is cold again (start-up
//! CPU burst, warm-up), and becomes Ready after its readiness delay.
//!
//! **CFS quota** (`pods.cpu_cfs`): see [`super::pod`]. A CFS event fires when a pod's quota
//! runs out (it stalls) and when its period ends (the quota is refilled); between them the
//! virtual clock runs at a constant speed, so completions stay exact. Stalled time is summed as
//! `throttled_s`.

use super::pod::Cfs;
use super::pod::Pod;
use super::{Event, PodEventKind, PodState, World, WorldConfig};
use crate::engine::Agenda;
use crate::record::DropReason;
use crate::settings::overload::{PROBE_WORK, RESTART_BACKOFF, RESTART_BACKOFF_RESET};
use crate::settings::workload::WorkloadKind;

impl World {
    // ---- CFS quota ---------------------------------------------------------------------

    /// The CFS period and CPU limit of pod `pod`'s quota, when one applies: quotas on, request
    /// level, a finite limit. (Whether it is modelled is [`WorldConfig::quota_can_bind`]'s.)
    pub(super) fn quota_of(&self, pod: u32) -> Option<(f64, f64)> {
        let period = self.cfg.overload.cfs_period?;
        let limit = self.pod_limit(pod);
        (self.cfg.fluid_step.is_none() && limit.is_finite()).then_some((period, limit))
    }

    /// A new container starts a fresh CFS period with a full quota — if its quota can run out
    /// at all: one that cannot ([`WorldConfig::quota_can_bind`]) would never stall the pod nor
    /// schedule an event, so it is left out and the pod's clock runs unquoted, to the same bits.
    /// The first quota that can run out makes the run no longer lean (`World::is_lean`).
    /// (Flow level keeps no per-period state: it models the quota's stalls from rates, see
    /// `fluid::cfs_stall`.)
    pub(super) fn start_cfs(&mut self, pod: u32, now: f64) {
        let Some((period, limit)) = self.quota_of(pod) else {
            return;
        };
        if !(self.cfg.quota_can_bind(limit) || model_every_quota()) {
            return;
        }
        self.quotas_bind = true;
        let p = &mut self.pods.by_id[pod as usize];
        let epoch = p.cfs.map_or(0, |c| c.epoch.wrapping_add(1));
        let mut c = Cfs::new(limit, period, now);
        c.epoch = epoch;
        p.cfs = Some(c);
    }

    pub(super) fn on_cfs(&mut self, now: f64, pod: u32, epoch: u32) {
        let cpr = self.cfg.cores_per_request;
        let p = &mut self.pods.by_id[pod as usize];
        if p.state == PodState::Gone || p.cfs.is_none_or(|c| c.epoch != epoch) {
            return;
        }
        p.advance(now, cpr);
        let rate = p.cpu_rate(cpr);
        let c = p.cfs.as_mut().expect("checked above");
        c.event_at = f64::INFINITY;
        let mut ended: Option<(f64, f64)> = None;
        if c.stalled {
            if now + 1e-12 >= c.period_end {
                ended = Some((c.stall_from, now));
                c.stalled = false;
                c.left = c.quota;
                c.period_end += c.period;
                if c.period_end <= now {
                    c.period_end = now + c.period;
                }
            }
        } else if c.left <= c.quota * 1e-9 || now + c.left / rate <= now {
            // Used up — or what is left would run out sooner than the clock can tell apart
            // from `now` (late in a long run a second holds fewer digits): waiting for it
            // would re-fire this event at `now` for ever.
            c.left = 0.0;
            c.stalled = true;
            c.stall_from = now;
        }
        if let Some((from, to)) = ended {
            self.add_throttled(pod, from, to);
        }
        self.pods.by_id[pod as usize].update_speed(cpr);
        self.reschedule(pod);
    }

    fn add_throttled(&mut self, pod: u32, from: f64, to: f64) {
        if !(to > from) {
            return;
        }
        self.pods.by_id[pod as usize].throttled_seconds += to - from;
        self.pods.throttled_seconds += to - from;
        self.recorder.series.add_throttled_span(from, to);
    }

    /// End the pod's stall at `now` (its container stops, or the run ends).
    pub(super) fn close_stall(&mut self, now: f64, pod: u32) {
        let p = &mut self.pods.by_id[pod as usize];
        let Some(c) = &mut p.cfs else {
            return;
        };
        if c.stalled {
            c.stalled = false;
            let from = c.stall_from;
            self.add_throttled(pod, from, now);
        }
    }

    pub(super) fn close_stalls(&mut self, end: f64) {
        for i in 0..self.pods.live_ids().len() {
            let id = self.pods.live_ids()[i];
            self.close_stall(end, id);
        }
    }

    // ---- liveness ----------------------------------------------------------------------

    /// Probe the container that started at `started` every period after the initial delay.
    pub(super) fn schedule_probe(&mut self, pod: u32, started: f64) {
        let Some(lv) = self.cfg.overload.liveness else {
            return;
        };
        let inc = self.pods.by_id[pod as usize].incarnation;
        let first = started.max(0.0) + lv.initial_delay + lv.period;
        self.agenda.schedule(first, Event::Probe { pod, inc });
    }

    /// How long the pod takes to answer a probe sent at `now`.
    pub(crate) fn probe_response(&mut self, now: f64, pod: u32) -> f64 {
        let cpr = self.cfg.cores_per_request;
        let conc = self.cfg.concurrency as f64;
        let mean = self.cfg.service.mean();
        let fluid_rate = self.fluid.as_ref().map(|_| self.fluid_servers(pod) / mean);
        let p = &mut self.pods.by_id[pod as usize];
        p.advance(now, cpr);
        let stall = p
            .cfs
            .filter(|c| c.stalled)
            .map_or(0.0, |c| (c.period_end - now).max(0.0));
        // The speed the pod's requests (and the probe) progress at, quota aside.
        let k = p.in_service.len() as f64;
        let cap = (p.cap - p.burst).max(p.cap * 0.05);
        let speed = if k > 0.0 {
            if k * cpr * p.warm > cap {
                cap / (k * cpr)
            } else {
                p.warm
            }
        } else if cpr * p.warm > cap {
            cap / cpr
        } else {
            p.warm
        };
        if !(speed > 0.0) {
            return f64::INFINITY;
        }
        let wait = match (fluid_rate, self.cfg.kind) {
            (Some(rate), WorkloadKind::Http) => {
                let waiting: u64 = p.cohorts.iter().map(|c| c.count).sum();
                if waiting > 0 && rate > 0.0 {
                    waiting as f64 / (rate * p.warm)
                } else {
                    0.0
                }
            }
            (None, WorkloadKind::Http) if k >= conc => {
                (p.queue.len() as f64 + 1.0) / conc * mean / speed
            }
            _ => 0.0,
        };
        stall + wait + PROBE_WORK / speed
    }

    pub(super) fn on_probe(&mut self, now: f64, pod: u32, inc: u32) {
        let Some(lv) = self.cfg.overload.liveness else {
            return;
        };
        let p = &self.pods.by_id[pod as usize];
        if p.incarnation != inc
            || p.restarting
            || !matches!(p.state, PodState::Starting | PodState::Ready)
        {
            return;
        }
        self.agenda
            .schedule(now + lv.period, Event::Probe { pod, inc });
        let rt = self.probe_response(now, pod);
        let p = &mut self.pods.by_id[pod as usize];
        if rt > lv.timeout {
            p.liveness_failures += 1;
            let failures = p.liveness_failures;
            self.log(now, pod, PodEventKind::LivenessFailed, None);
            if failures >= lv.failure_threshold {
                self.restart(now, pod);
            }
        } else {
            p.liveness_failures = 0;
        }
    }

    /// The kubelet kills the container after failed liveness probes and restarts it.
    pub(super) fn restart(&mut self, now: f64, pod: u32) {
        self.account_pods(now);
        let cpr = self.cfg.cores_per_request;
        self.pods.by_id[pod as usize].advance(now, cpr);
        self.close_stall(now, pod);
        self.pods.restarts += 1;
        let i = self.recorder.series.slot_at(now);
        self.recorder.series.restarts[i] += 1;
        // What the container held is lost.
        let work = self.lose_held_work(now, pod, DropReason::Restarted);
        // Not Ready until the new container passes its readiness probe.
        let was_ready = self.pods.by_id[pod as usize].state == PodState::Ready;
        self.pods.changed();
        let p = &mut self.pods.by_id[pod as usize];
        if was_ready {
            p.state = PodState::Starting;
            p.ready_at = None;
            p.ready_transition = now;
        }
        p.accepting = false;
        p.restarting = true;
        p.restarts += 1;
        p.incarnation = p.incarnation.wrapping_add(1);
        p.liveness_failures = 0;
        p.burst = 0.0;
        p.warm = 1.0;
        p.completion_at = f64::INFINITY;
        self.completions.cancel(pod);
        let p = &mut self.pods.by_id[pod as usize];
        if let Some(c) = &mut p.cfs {
            c.epoch = c.epoch.wrapping_add(1);
        }
        p.cfs = None;
        p.update_speed(cpr);
        let backoff = crash_loop_backoff(p, now);
        let in_endpoints = p.in_endpoints;
        let was_consumer = p.consumer;
        if was_ready {
            self.pods.counts.ready -= 1;
            self.pods.counts.starting += 1;
        }
        if in_endpoints {
            self.agenda.schedule(
                now + self.cfg.endpoint_delay,
                Event::EndpointRemoved { pod },
            );
        }
        if was_consumer {
            self.release_partition(now, pod);
        }
        self.log(now, pod, PodEventKind::Restarted, Some(work.held));
        let boot = self.cfg.startup.sample(&mut self.pods.rng_restart).max(0.0);
        let inc = self.pods.by_id[pod as usize].incarnation;
        self.agenda
            .schedule(now + backoff + boot, Event::ContainerStart { pod, inc });
        if work.requeued > 0 {
            self.dispatch_backlog(now);
        }
    }

    /// The restarted container runs again.
    pub(super) fn on_container_start(&mut self, now: f64, pod: u32, inc: u32) {
        let p = &mut self.pods.by_id[pod as usize];
        if p.incarnation != inc || !p.restarting || p.state != PodState::Starting {
            return;
        }
        p.restarting = false;
        p.running_at = Some(now);
        p.scrape_at = now;
        p.cpu_at_scrape = p.cpu_seconds;
        self.pods.changed();
        self.log(now, pod, PodEventKind::ContainerStarted, None);
        self.boot(now, pod);
    }
}

/// CrashLoopBackOff, as the kubelet computes it when a container dies: the first restart at
/// once, then 10 s doubling up to 5 min, forgotten once the container had run 10 minutes.
/// Counts the restart on `p` and returns how long the next container waits.
pub(super) fn crash_loop_backoff(p: &mut Pod, now: f64) -> f64 {
    let since_last = now - p.running_at.unwrap_or(f64::NEG_INFINITY);
    if p.crash_loop > 0 && since_last > RESTART_BACKOFF_RESET {
        p.crash_loop = 0;
    }
    let backoff = if p.crash_loop == 0 {
        0.0
    } else {
        (RESTART_BACKOFF.0 * 2f64.powi(p.crash_loop as i32 - 1)).min(RESTART_BACKOFF.1)
    };
    p.crash_loop += 1;
    backoff
}

#[cfg(test)]
thread_local! {
    /// Tests: model every quota, also one that cannot run out, to compare with leaving it out.
    pub(super) static MODEL_EVERY_QUOTA: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Is every quota to be modelled, also one that cannot run out? Only a test asks for that.
#[inline]
fn model_every_quota() -> bool {
    #[cfg(test)]
    return MODEL_EVERY_QUOTA.with(std::cell::Cell::get);
    #[cfg(not(test))]
    false
}

/// How far below a CFS quota a pod's peak CPU must stay for the quota to be left out: a
/// relative margin, so the quota refills at least `QUOTA_MARGIN × period` before it could run
/// out — far above the rounding of the clock and of the quota's running balance.
const QUOTA_MARGIN: f64 = 1e-3;

impl WorldConfig {
    /// Can a pod with CPU limit `limit` (cores) ever use up its CFS quota? A pod burns at most
    /// [`Self::peak_cores`]; a quota of at least that (less [`QUOTA_MARGIN`]) holds out to the
    /// end of every period, whatever the rates within it, so it never stalls the pod and never
    /// schedules an event: its per-period balance is bookkeeping nothing reads
    /// (docs/nodes-and-overload.md, "CFS quota"). NaN counts as able to bind.
    pub(super) fn quota_can_bind(&self, limit: f64) -> bool {
        !(self.peak_cores() <= limit * (1.0 - QUOTA_MARGIN))
    }

    /// The most CPU a pod can burn at request level, in cores: every worker slot busy at full
    /// speed (a pod's speed is at most its warm-up factor, at most 1) plus its start-up burst.
    /// A job pod serves one message at a time, and concurrency is at least 1.
    fn peak_cores(&self) -> f64 {
        f64::from(self.concurrency.max(1)) * self.cores_per_request + self.startup_burst.0.max(0.0)
    }
}

/// (Re)schedule the next CFS event of pod `pod`, `p`: quota exhaustion, or the period end that
/// refills a stalled quota (or precedes an exhaustion in the next period). Inlined into the
/// request path (every start and end of a request on a pod with a quota); scheduling the
/// event, the rarer part, stays out of line.
#[inline(always)]
pub(super) fn retime_cfs_of(p: &mut Pod, pod: u32, cpr: f64, agenda: &mut Agenda<Event>) {
    if p.state == PodState::Gone {
        return;
    }
    let rate = p.cpu_rate(cpr);
    let at = p.vclock_at;
    let Some(c) = &mut p.cfs else {
        return;
    };
    let next = if c.stalled {
        c.period_end
    } else if rate > 0.0 {
        let exhaust = at + c.left.max(0.0) / rate;
        if exhaust < c.period_end {
            exhaust
        } else if rate * c.period > c.quota * (1.0 + 1e-12) {
            c.period_end
        } else {
            // The quota outlasts this period and the pod's rate cannot use up the next ones:
            // no event (the common case of a pod well under its quota), answered here without
            // the finiteness test below.
            c.event_at = f64::INFINITY;
            return;
        }
    } else {
        f64::INFINITY
    };
    if !next.is_finite() {
        // No event (the common case of a pod well under its quota): nothing is compared.
        c.event_at = f64::INFINITY;
        return;
    }
    let moved = (next - c.event_at).abs() > 1e-12 * (1.0 + next.abs().min(c.event_at.abs()));
    if moved || !c.event_at.is_finite() {
        c.epoch = c.epoch.wrapping_add(1);
        c.event_at = next;
        let epoch = c.epoch;
        schedule_cfs(agenda, next, pod, epoch);
    }
}

/// Schedule the pod's CFS event of generation `epoch` at `at`.
#[inline(never)]
fn schedule_cfs(agenda: &mut Agenda<Event>, at: f64, pod: u32, epoch: u32) {
    agenda.schedule(at, Event::Cfs { pod, epoch });
}

#[cfg(test)]
mod tests {
    use super::super::properties::{
        apply_nodes, arb_service, config, liveness_of, minute_trace, outcome, run_through_changes,
    };
    use super::super::{World, WorldConfig};
    use super::MODEL_EVERY_QUOTA;
    use crate::scenario::{Overrides, Scenario};
    use crate::settings::dist::Dist;
    use crate::settings::workload::{Balancer, WorkloadKind};
    use crate::trace::Trace;
    use crate::yaml::Source;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn one_pod_world() -> World {
        let yaml = "name: t\nfidelity: request\nduration: 1h\n\
            trace: {generate: {kind: constant, rate: 1}}\n\
            workload: {kind: http, service_time: 100ms}\n\
            pods: {replicas: 1, cpu_limit: '1'}\n";
        let s = Scenario::from_source(&Source::from_string("t.yaml", yaml), &Overrides::default())
            .expect("scenario loads");
        let cfg = WorldConfig::from_scenario(&s);
        World::new(
            cfg,
            Arc::new(s.trace.clone()),
            s.seed,
            s.duration,
            s.step,
            1,
        )
    }

    /// A world of `replicas` http pods (`conc` workers each, `cpr` cores a request, start-up
    /// burst `burst` cores) with a CFS quota of `limit` cores per pod.
    fn quota_world(conc: u32, cpr: f64, burst: f64, limit: f64, replicas: i32) -> World {
        let mut cfg = config(
            WorkloadKind::Http,
            conc,
            None,
            Some(limit),
            Balancer::RoundRobin,
            Dist::Exponential { mean: 0.1 },
            false,
        );
        cfg.cores_per_request = cpr;
        cfg.startup_burst = (burst, 10.0);
        cfg.overload.cfs_period = Some(0.1);
        let trace = Arc::new(Trace::from_rows(vec![0.0], vec![50.0], 600.0));
        World::new(cfg, trace, 7, 600.0, 5.0, replicas)
    }

    /// A quota below the pods' peak (4 × 0.25 + 0.5 = 1.5 cores) is modelled and the run is
    /// not lean; one at or above it (less the margin) is left out and the run stays lean.
    #[test]
    fn only_a_quota_that_can_run_out_is_modelled() {
        for (limit, modelled) in [(1.0, true), (1.4985, true), (1.5, true), (1.502, false)] {
            let w = quota_world(4, 0.25, 0.5, limit, 3);
            for p in w.pods().iter() {
                assert_eq!(p.cfs.is_some(), modelled, "limit {limit}");
            }
            assert_eq!(w.is_lean(), !modelled, "limit {limit}");
        }
    }

    /// A pod that boots mid-run with a quota that can run out ends the lean path: the rest of
    /// the run takes the general one, and comes out as a run down the general path from the
    /// start (a world of no pods, then three, with a binding quota).
    #[test]
    fn a_quota_booted_mid_run_ends_the_lean_path() {
        let run = |general_only: bool| {
            let mut w = quota_world(4, 0.25, 0.5, 1.0, 0);
            assert!(w.is_lean(), "no pod, no quota yet");
            w.set_replicas(0.0, 3);
            if general_only {
                w.run_events_until::<false>(120.0);
            } else {
                w.run_until(120.0);
            }
            assert!(!w.is_lean());
            assert!(w.pods().iter().all(|p| p.cfs.is_some()));
            assert!(w.recorder().totals().served > 0);
            w.finish(120.0);
            outcome(&w)
        };
        assert_eq!(run(false), run(true));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))), ..ProptestConfig::default() })]

        /// A quota that cannot run out, left out, gives the run its full model gives, to the
        /// bit (totals, series, latency and wait distributions, every pod's clock and CPU):
        /// whatever the workload, concurrency, CPU a request, start-up burst, how far the limit
        /// sits above the peak, the period, the service time, the traffic, replica changes, a
        /// timeout, liveness probes and nodes.
        #[test]
        fn a_quota_that_cannot_run_out_changes_nothing(
            queue in any::<bool>(),
            conc in 1u32..6,
            cpr in 0.01f64..1.0,
            burst in prop_oneof![Just(0.0), 0.0f64..2.0],
            headroom in prop_oneof![1.0011f64..1.01, 1.01f64..3.0],
            period in 0.001f64..1.0,
            service in arb_service(),
            rates in proptest::collection::vec(0.0f64..40.0, 1..6),
            initial in 0i32..6,
            changes in proptest::collection::vec((0.0f64..300.0, 0i32..12), 0..8),
            timeout in proptest::option::of(0.2f64..5.0),
            liveness in proptest::option::of((1.0f64..15.0, 0.05f64..2.0, 1u32..4)),
            nodes in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let kind = if queue { WorkloadKind::Queue } else { WorkloadKind::Http };
            let trace = minute_trace(rates);
            let peak = f64::from(conc) * cpr + burst;
            let mut cfg = config(kind, conc, timeout, Some(peak * headroom), Balancer::LeastRequest, service, false);
            cfg.cores_per_request = cpr;
            cfg.startup_burst = (burst, 10.0);
            cfg.overload.cfs_period = Some(period);
            cfg.overload.liveness = liveness_of(liveness);
            if nodes {
                apply_nodes(&mut cfg);
            }
            let duration = 300.0;
            let run = |model_every: bool| {
                MODEL_EVERY_QUOTA.with(|m| m.set(model_every));
                let mut w = World::new(cfg.clone(), trace.clone(), seed, duration, 5.0, initial);
                run_through_changes(&mut w, &changes, duration, World::run_until);
                MODEL_EVERY_QUOTA.with(|m| m.set(false));
                // The quota's own state aside (its balance, its period), which nothing reads.
                for p in &mut w.pods.by_id {
                    p.cfs = None;
                }
                outcome(&w)
            };
            prop_assert_eq!(run(false), run(true));
        }
    }

    /// Late in a long run (t = 10⁷ s, ~116 days) a second holds ~2·10⁻⁹ s of resolution: a
    /// quota rest of 5·10⁻¹⁰ CPU-seconds at 1 core runs out in less time than the clock can
    /// add to `now`. The quota event must stall the pod there, not re-fire at `now` for ever
    /// (which hung request-level runs of month-long traces).
    #[test]
    fn a_quota_rest_below_the_clocks_resolution_stalls_the_pod() {
        let mut w = one_pod_world();
        let now = 1.0e7;
        let p = &mut w.pods.by_id[0];
        p.vclock_at = now;
        p.burst = 1.0;
        let c = p.cfs.as_mut().expect("a CFS quota");
        c.left = 5.0e-10;
        c.period_end = now + 0.05;
        assert!(c.left > c.quota * 1e-9, "above the old threshold");
        assert_eq!(now + c.left / 1.0, now, "below the clock's resolution");
        let epoch = c.epoch;
        w.on_cfs(now, 0, epoch);
        let c = w.pods.by_id[0].cfs.expect("a CFS quota");
        assert!(c.stalled, "the pod stalls");
        assert!(
            c.event_at > now,
            "its next event is the period's end: {}",
            c.event_at
        );
    }
}
