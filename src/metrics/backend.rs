//! Metric backends: how a signal reaches a controller. Each backend samples the world every
//! `interval`, keeps the samples, and answers a query at time t only from samples at least
//! `delay` old; rates and latency quantiles are computed over `window` (like PromQL `rate()`
//! and `histogram_quantile()`).
//!
//! | kind | interval | window | delay | models |
//! |---|---|---|---|---|
//! | `direct` | 1 s | 30 s | 0 | an API read at query time (SQS/RabbitMQ queue attributes, Kafka offsets) |
//! | `prometheus` | 30 s | 1 m | 0 | Prometheus scraping an exporter, queried with `rate(x[1m])` |
//! | `cloudwatch` | 60 s | 60 s | 60 s | a cloud metric at one-minute granularity, published late |

use crate::record::PromHistogram;
use crate::settings::backend::BackendTiming;
use crate::settings::signal::Signal;
use crate::trace::Trace;
use crate::world::{PodState, World};
use std::collections::VecDeque;

/// One pod's counters at a scrape.
#[derive(Debug, Clone, Copy)]
struct PodSample {
    pod: u32,
    routed: u64,
    served: u64,
    in_flight: u64,
    in_service: u64,
    queue: u64,
    cpu_seconds: f64,
    memory: f64,
}

/// The world at one scrape instant.
#[derive(Debug, Clone)]
struct Snapshot {
    t: f64,
    arrived: u64,
    served: u64,
    in_flight: u64,
    in_service: u64,
    backlog: u64,
    backlog_age: f64,
    cpu_seconds: f64,
    memory: f64,
    ready: u64,
    column: f64,
    pods: Vec<PodSample>,
}

/// A value per pod, as a per-pod metrics API returns it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PodValue {
    pub(crate) pod: u32,
    pub(crate) value: f64,
    pub(crate) timestamp: f64,
    pub(crate) window: f64,
}

/// Which of a scrape's world-wide figures a signal's total reads (the others cost a walk over
/// the pods or the backlog, and are left at 0).
#[derive(Debug, Clone, Copy)]
struct Reads {
    /// CPU-seconds, summed over the pods.
    cpu: bool,
    /// Memory, requests in service and Ready pods, summed over the pods.
    pod_figures: bool,
    /// The requests waiting in queues.
    backlog: bool,
    /// The oldest waiting request's age.
    backlog_age: bool,
    /// The latency histogram (left empty otherwise).
    latency: bool,
}

impl Reads {
    fn of(signal: &Signal) -> Reads {
        Reads {
            cpu: matches!(signal, Signal::Cpu),
            pod_figures: matches!(
                signal,
                Signal::Memory | Signal::InFlight | Signal::InService | Signal::ReadyPods
            ),
            backlog: matches!(signal, Signal::InFlight | Signal::Backlog),
            backlog_age: matches!(signal, Signal::BacklogAge),
            latency: signal.reads_latency(),
        }
    }
}

/// A backend instance serving one signal.
#[derive(Debug, Clone)]
pub(crate) struct Sampler {
    pub(crate) signal: Signal,
    pub(crate) timing: BackendTiming,
    per_pod: bool,
    /// What a scrape reads for `signal` (worked out once).
    reads: Reads,
    samples: VecDeque<Snapshot>,
    /// The latency histogram of each of `samples`, when the signal reads it (else empty): kept
    /// apart so that the snapshots of the other signals, scraped as often as every second,
    /// stay small.
    latencies: VecDeque<PromHistogram>,
    /// The scrape after the one at t = 0, when the job runs on a phase of its own
    /// (`super::phases`); `None`: one interval after it.
    second_scrape: Option<f64>,
}

impl Sampler {
    pub(crate) fn new(signal: Signal, timing: BackendTiming, per_pod: bool) -> Sampler {
        Sampler {
            reads: Reads::of(&signal),
            signal,
            timing,
            per_pod,
            samples: VecDeque::new(),
            latencies: VecDeque::new(),
            second_scrape: None,
        }
    }

    /// Scrape at `at` (in (0, interval]) after the scrape at t = 0, then every interval.
    pub(crate) fn set_second_scrape(&mut self, at: f64) {
        self.second_scrape = Some(at);
    }

    /// When to scrape after the scrape at `now`.
    pub(crate) fn next_scrape(&self, now: f64) -> f64 {
        match self.second_scrape {
            Some(at) if now < at => at,
            _ => now + self.timing.interval,
        }
    }

    /// Record the world at `now`: the figures the signal reads are summed over the live pods —
    /// the others are left at 0 (reading a pod changes nothing, so a signal that reads no pod
    /// walks none).
    #[inline]
    pub(crate) fn scrape(&mut self, now: f64, world: &mut World, trace: &Trace) {
        let world: &World = world;
        let reads = self.reads;
        let mut pods = Vec::new();
        let mut cpu_seconds = world.pods().retired_cpu_seconds();
        let mut memory = 0.0;
        let mut in_service = 0u64;
        let mut ready = 0u64;
        let walked: &[u32] = if self.per_pod || reads.pod_figures || reads.cpu {
            world.pods().live_ids()
        } else {
            &[]
        };
        for &id in walked {
            let cpu = world.cpu_seconds(id, now);
            cpu_seconds += cpu;
            if !(self.per_pod || reads.pod_figures) {
                continue;
            }
            let mem = world.memory_bytes(id);
            let p = world.pods().get(id);
            memory += mem;
            in_service += p.in_service.len() as u64;
            ready += u64::from(p.state == PodState::Ready);
            if self.per_pod && p.running_at.is_some() {
                pods.push(PodSample {
                    pod: id,
                    routed: p.routed,
                    served: p.served,
                    in_flight: p.in_flight() as u64,
                    in_service: p.in_service.len() as u64,
                    queue: p.queue.len() as u64,
                    cpu_seconds: cpu,
                    memory: mem,
                });
            }
        }
        let backlog = if reads.backlog {
            world.backlog_len()
        } else {
            0
        };
        let backlog_age = if reads.backlog_age {
            world.oldest_waiting_age(now)
        } else {
            0.0
        };
        let column = match &self.signal {
            Signal::Column(c) => trace.column_at(c, now).unwrap_or(0.0),
            _ => 0.0,
        };
        self.samples.push_back(Snapshot {
            t: now,
            arrived: world.recorder().totals().arrived,
            served: world.recorder().totals().served,
            in_flight: backlog + in_service,
            in_service,
            backlog,
            backlog_age,
            cpu_seconds,
            memory,
            ready,
            column,
            pods,
        });
        if reads.latency {
            self.latencies.push_back(world.recorder().latency_buckets());
        }
        // Keep what a query can still need.
        let keep_from = now - self.timing.delay - self.timing.window - 2.0 * self.timing.interval;
        while self.samples.len() > 2 && self.samples[1].t < keep_from {
            self.samples.pop_front();
            self.latencies.pop_front();
        }
    }

    /// The visible samples for a query at `now`: (latest, the one a window before it).
    fn pair(&self, now: f64) -> Result<(&Snapshot, Option<&Snapshot>), String> {
        let (l, o) = self.pair_at(now)?;
        Ok((&self.samples[l], o.map(|o| &self.samples[o])))
    }

    /// [`Self::pair`] as indices into `samples` (and `latencies`).
    fn pair_at(&self, now: f64) -> Result<(usize, Option<usize>), String> {
        let horizon = now - self.timing.delay + 1e-9;
        let latest_idx = self
            .samples
            .iter()
            .rposition(|s| s.t <= horizon)
            .ok_or_else(|| self.no_data())?;
        let start = self.samples[latest_idx].t - self.timing.window - 1e-9;
        let older = self
            .samples
            .iter()
            .take(latest_idx)
            .position(|s| s.t >= start);
        Ok((latest_idx, older))
    }

    fn no_data(&self) -> String {
        format!(
            "no data yet for `{}` ({:?} backend)",
            self.signal, self.timing.kind
        )
    }

    /// The signal's total value as the backend answers at `now`.
    pub(crate) fn total(&self, now: f64) -> Result<f64, String> {
        let (l, o) = self.pair(now)?;
        let rate = |f: &dyn Fn(&Snapshot) -> f64| -> Result<f64, String> {
            let o = o.ok_or_else(|| self.no_data())?;
            Ok((f(l) - f(o)) / (l.t - o.t))
        };
        Ok(match &self.signal {
            Signal::RequestRate => rate(&|s| s.arrived as f64)?,
            Signal::ServedRate => rate(&|s| s.served as f64)?,
            Signal::Cpu => rate(&|s| s.cpu_seconds)?,
            Signal::LatencyP50 | Signal::LatencyP95 | Signal::LatencyP99 => {
                let q = match self.signal {
                    Signal::LatencyP50 => 0.5,
                    Signal::LatencyP95 => 0.95,
                    _ => 0.99,
                };
                let (l, o) = self.pair_at(now)?;
                let o = o.ok_or_else(|| self.no_data())?;
                // No request completed in the window: Prometheus returns NaN; report 0.
                self.latencies[l]
                    .quantile_since(&self.latencies[o], q)
                    .unwrap_or(0.0)
            }
            Signal::InFlight => l.in_flight as f64,
            Signal::InService => l.in_service as f64,
            Signal::Backlog => l.backlog as f64,
            Signal::BacklogAge => l.backlog_age,
            Signal::Memory => l.memory,
            Signal::ReadyPods => l.ready as f64,
            Signal::Column(_) => l.column,
        })
    }

    /// The signal per pod as the backend answers at `now` (pods present in the samples used).
    pub(crate) fn per_pod(&self, now: f64) -> Result<Vec<PodValue>, String> {
        if !self.signal.has_per_pod_value() {
            return Err(format!("`{}` has no per-pod value", self.signal));
        }
        let (l, o) = self.pair(now)?;
        let mut out = Vec::with_capacity(l.pods.len());
        for p in &l.pods {
            let prev = o.and_then(|o| o.pods.iter().find(|q| q.pod == p.pod));
            let window = o.map_or(0.0, |o| l.t - o.t);
            let value = match &self.signal {
                Signal::RequestRate | Signal::ServedRate | Signal::Cpu => {
                    let Some(prev) = prev else { continue };
                    let (a, b) = match self.signal {
                        Signal::RequestRate => (p.routed as f64, prev.routed as f64),
                        Signal::ServedRate => (p.served as f64, prev.served as f64),
                        _ => (p.cpu_seconds, prev.cpu_seconds),
                    };
                    (a - b) / window
                }
                Signal::InFlight => p.in_flight as f64,
                Signal::InService => p.in_service as f64,
                Signal::Backlog => p.queue as f64,
                Signal::Memory => p.memory,
                _ => continue,
            };
            out.push(PodValue {
                pod: p.pod,
                value,
                timestamp: l.t,
                window: window.max(self.timing.interval),
            });
        }
        Ok(out)
    }
}
