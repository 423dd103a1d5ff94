//! Drives KEDA in the simulation: a ScaledObject's polling loop (activation 0↔1, cooldown,
//! idle/min, fallback) and the HPA it generates (whose External metrics KEDA's metrics adapter
//! answers), and a ScaledJob's job loop. The KEDA logic itself is the pure core in
//! [`crate::keda`]; this module only builds what each scaler's backend would show from the
//! simulated world — queue attributes, consumer-group offsets, a Prometheus or CloudWatch value
//! through its scrape delay, the clock — and applies the decisions.

use super::hpa_driver::{HpaDriver, HpaStats};
use crate::hpa::{LoadedHpa, MetricReading, load_hpa};
use crate::keda::catalog::{DelayClass, Signal as KedaSignal};
use crate::keda::executor::ScaleAction;
use crate::keda::metric::{FetchResult, MetricSource, TargetType};
use crate::keda::scaledjob::{self, JobPod, JobPollDecision, JobRollout, JobView, ScaledJobState};
use crate::keda::scalers::{
    KafkaPartition, Observation, RabbitQueue, RedisKey, ScalerKind, ScalerMemory, SqsAttributes,
};
use crate::keda::{
    ScaledJobModel, ScaledObjectModel, ScaledObjectState, TargetView, metrics_server, operator,
};
use crate::metrics::{BackendKind, BackendTiming, Sampler, Signal};
use crate::settings::Scenario;
use crate::settings::faults::Fault;
use crate::settings::jobs::JobBehaviour;
use crate::world::{JobEnd, JobTemplate, PodState, World};
use crate::yaml::{Source, split_documents};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

#[path = "keda_events.rs"]
mod events;
pub(super) use events::{Restart, UpdateContext};

/// How long before its first check (at t = 0) a ScaledObject is created.
const CREATION_LEAD: f64 = 1e-3;

/// Where one trigger's backend state comes from.
#[derive(Debug, Clone)]
enum Backend {
    /// The queue itself, read directly (SQS attributes, RabbitMQ, Redis, Azure queues…).
    Queue {
        visible: bool,
        in_flight: bool,
        delayed: bool,
    },
    /// The queue read through a cloud metrics service that publishes it late (gcp-pubsub's
    /// Cloud Monitoring metric): a sampler with the scaler's declared lag.
    LaggedQueue { sampler: usize },
    /// Consumer-group offsets over the workload's partitions.
    Lag,
    /// A bound signal through its metrics backend.
    Sampled { sampler: usize, scale: f64 },
    /// Nothing to read (cron reads the clock; cpu/memory are HPA Resource metrics).
    None,
    /// Not bound to anything: every fetch fails. `missing`: the trigger has no modelled signal
    /// and no binding (rather than a binding that failed to resolve).
    Unbound { message: String, missing: bool },
}

/// What a KEDA object did over the run, for the summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KedaStats {
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) polls: u64,
    /// Scale-ups from zero/idle by KEDA itself.
    pub(crate) activations: u64,
    /// Scale-downs to zero/idle after the cooldown.
    pub(crate) deactivations: u64,
    /// Seconds (counted by poll interval) with at least one trigger in fallback.
    pub fallback_seconds: f64,
    /// Seconds with a trigger error not absorbed by fallback.
    pub(crate) error_seconds: f64,
    /// ScaledJob: jobs created.
    #[serde(skip_serializing_if = "is_zero")]
    pub jobs_created: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The triggers of a KEDA object bound to the simulated world.
struct Triggers {
    backends: Vec<Backend>,
    memories: Vec<ScalerMemory>,
    faults: Vec<Vec<Fault>>,
    /// Unix seconds of t = 0 (cron reads the wall clock).
    epoch0: f64,
    partitions: u32,
    /// (time, completions) at the previous RabbitMQ read, for its deliver rate.
    last_served: (f64, u64),
    /// Per trigger: its last fetch measured something — not a backend with no samples yet,
    /// nor the simulated queue read at t = 0, before the world has run (the scaler then
    /// reports 0, a start-up artefact rather than a reading).
    measured: Vec<bool>,
}

/// What binding a trigger to its backend reads: the scenario's `metrics:` bindings, the
/// trace's columns, and the object's name for warnings.
struct BindContext<'a> {
    scenario: &'a Scenario,
    columns: &'a [String],
    owner: &'a str,
}

impl BindContext<'_> {
    /// The backend trigger `t` reads: its binding under `metrics:` (by any of `names`), else
    /// the simulated queue or consumer lag its scaler reads, else scalesim's guess from its
    /// query (with a warning), else nothing (a missing metric, with a warning).
    fn backend(
        &self,
        t: &crate::keda::model::TriggerModel,
        names: &[String],
        samplers: &mut Vec<Sampler>,
        warnings: &mut Vec<String>,
    ) -> Backend {
        let binding = names
            .iter()
            .find_map(|n| self.scenario.metric_bindings.get(n).map(|b| (n.clone(), b)));
        match (&t.scaler.signal, binding) {
            (_, Some((name, b))) => {
                match b.resolve_over(&name, self.columns, timing_of(&t.scaler.delay)) {
                    Ok(bound) => sampled(samplers, bound.signal, bound.timing, bound.scale),
                    Err(e) => Backend::Unbound {
                        message: e,
                        missing: false,
                    },
                }
            }
            (
                KedaSignal::QueueBacklog {
                    visible,
                    in_flight,
                    delayed,
                },
                None,
            ) => match &t.scaler.delay {
                DelayClass::CloudMetrics { .. } => {
                    lagged_queue(samplers, *visible, *in_flight, timing_of(&t.scaler.delay))
                }
                _ => Backend::Queue {
                    visible: *visible,
                    in_flight: *in_flight,
                    delayed: *delayed,
                },
            },
            (KedaSignal::ConsumerLag, None) => Backend::Lag,
            (KedaSignal::Clock, None) | (KedaSignal::Resource { .. }, None) => Backend::None,
            (KedaSignal::Named { suggested }, None) => {
                self.guessed(t, suggested, samplers, warnings)
            }
        }
    }

    /// An unbound trigger whose query names something scalesim can read reads that (with a
    /// warning); otherwise the autoscaler never reads it.
    fn guessed(
        &self,
        t: &crate::keda::model::TriggerModel,
        suggested: &str,
        samplers: &mut Vec<Sampler>,
        warnings: &mut Vec<String>,
    ) -> Backend {
        let owner = self.owner;
        match Signal::parse(suggested, self.columns) {
            Ok(signal) => {
                warnings.push(format!(
                    "{owner}: trigger {} ({}) is not bound under `metrics:`; it reads `{signal}` (scalesim's guess from its query)",
                    t.display_name(),
                    t.trigger_type
                ));
                let timing = timing_of(&t.scaler.delay);
                sampled(samplers, signal, timing, 1.0)
            }
            Err(_) => {
                let msg = format!(
                    "{}: the autoscaler never reads it: it reads an external system scalesim cannot guess and has no binding under `metrics:` (key `{}`)",
                    super::missing::trigger_label(t),
                    t.scaler.metric.name
                );
                warnings.push(format!("{owner}: {msg}"));
                Backend::Unbound {
                    message: msg,
                    missing: true,
                }
            }
        }
    }
}

impl Triggers {
    /// Each trigger bound to the backend it reads, with the faults aimed at it.
    fn new(
        triggers: &[crate::keda::model::TriggerModel],
        scenario: &Scenario,
        samplers: &mut Vec<Sampler>,
        warnings: &mut Vec<String>,
        owner: &str,
    ) -> Triggers {
        let columns: Vec<String> = scenario
            .trace
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let mut backends = Vec::new();
        let mut faults = Vec::new();
        for t in triggers {
            let names = t.binding_keys();
            let bind = BindContext {
                scenario,
                columns: &columns,
                owner,
            };
            backends.push(bind.backend(t, &names, samplers, warnings));
            faults.push(
                scenario
                    .faults
                    .iter()
                    .filter(|f| {
                        f.backend_target()
                            .is_some_and(|t| names.iter().any(|n| n == t))
                    })
                    .cloned()
                    .collect(),
            );
        }
        Triggers {
            backends,
            memories: vec![ScalerMemory::default(); triggers.len()],
            measured: vec![true; triggers.len()],
            faults,
            epoch0: scenario.start_time.timestamp() as f64,
            partitions: scenario.workload.partitions.unwrap_or(1),
            last_served: (0.0, 0),
        }
    }

    /// Indexes (in the object's trigger list) of triggers with nothing to read.
    fn missing(&self) -> Vec<usize> {
        (0..self.backends.len())
            .filter(|&i| matches!(self.backends[i], Backend::Unbound { missing: true, .. }))
            .collect()
    }

    /// Evaluate trigger `i`'s scaler against the world at `now`.
    fn fetch(
        &mut self,
        i: usize,
        trigger: &crate::keda::model::TriggerModel,
        now: f64,
        world: &World,
        samplers: &[Sampler],
    ) -> FetchResult {
        let obs = match self.faults[i].iter().find(|f| f.from <= now && now < f.to) {
            Some(f) => Observation::Unavailable {
                reason: f.error().to_string(),
            },
            None => self.observe(i, trigger, now, world, samplers),
        };
        self.measured[i] = match &self.backends[i] {
            // At t = 0 the simulated queue has not received anything yet.
            Backend::Queue { .. } | Backend::LaggedQueue { .. } | Backend::Lag => now > 0.0,
            Backend::Sampled { .. } => !matches!(obs, Observation::NoData),
            Backend::None | Backend::Unbound { .. } => true,
        };
        trigger
            .scaler
            .evaluate(&obs, self.epoch0 + now, &mut self.memories[i])
    }

    fn observe(
        &mut self,
        i: usize,
        trigger: &crate::keda::model::TriggerModel,
        now: f64,
        world: &World,
        samplers: &[Sampler],
    ) -> Observation {
        match &self.backends[i] {
            Backend::Queue { .. } => {
                let obs = self.queue_observation(i, trigger, now, world);
                if matches!(trigger.scaler.kind, ScalerKind::RabbitMq(_)) {
                    self.last_served = (now, world.recorder().totals().served);
                }
                obs
            }
            Backend::LaggedQueue { sampler } => {
                // Before the run has `delay` of history the service shows the queue as it was
                // at t = 0 (the world's state before the run).
                let s = &samplers[*sampler];
                match s.total(now.max(s.timing.delay)) {
                    Ok(v) => Observation::Value { value: v },
                    Err(_) => Observation::NoData,
                }
            }
            Backend::Lag => {
                let lag = world.backlog_len() + world.in_service();
                let arrived = world.recorder().totals().arrived;
                let n = self.partitions.max(1) as u64;
                let topic = match &trigger.scaler.kind {
                    ScalerKind::Kafka(k) => k.topics.first().cloned().unwrap_or_default(),
                    _ => String::new(),
                };
                let partitions = (0..n)
                    .map(|p| {
                        let share = |total: u64| total / n + u64::from(p < total % n);
                        let latest = share(arrived) as i64;
                        KafkaPartition {
                            topic: topic.clone(),
                            partition: p as i32,
                            latest,
                            committed: Some(latest - share(lag) as i64),
                        }
                    })
                    .collect();
                Observation::Kafka { partitions }
            }
            Backend::Sampled { sampler, scale } => match samplers[*sampler].total(now) {
                Ok(v) => Observation::Value { value: v * scale },
                Err(_) => Observation::NoData,
            },
            Backend::None => Observation::Value { value: 0.0 },
            Backend::Unbound { message, .. } => Observation::Unavailable {
                reason: message.clone(),
            },
        }
    }

    /// The queue's attributes as trigger `i`'s scaler reads them at `now` (read only: the
    /// RabbitMQ deliver rate is measured since the previous poll, which the caller records).
    fn queue_observation(
        &self,
        i: usize,
        trigger: &crate::keda::model::TriggerModel,
        now: f64,
        world: &World,
    ) -> Observation {
        let Backend::Queue {
            visible,
            in_flight,
            delayed,
        } = &self.backends[i]
        else {
            return Observation::NoData;
        };
        let _ = delayed; // no delayed messages in the simulated queue
        let waiting = world.backlog_len() as i64;
        let busy = world.in_service() as i64;
        match &trigger.scaler.kind {
            ScalerKind::Sqs(_) => Observation::Sqs(SqsAttributes {
                visible: Some(waiting),
                not_visible: Some(busy),
                delayed: Some(0),
            }),
            ScalerKind::RabbitMq(_) => {
                let (t0, s0) = self.last_served;
                let deliver = if now > t0 {
                    (world.recorder().totals().served - s0) as f64 / (now - t0)
                } else {
                    0.0
                };
                Observation::Rabbit {
                    queues: vec![RabbitQueue {
                        messages: waiting + busy,
                        messages_ready: waiting,
                        publish_rate: world_rate(world, now),
                        deliver_get_rate: deliver,
                    }],
                }
            }
            ScalerKind::Redis(_) => Observation::Redis {
                key: RedisKey::List(waiting),
            },
            ScalerKind::AzureQueue(_) => Observation::AzureQueue {
                approximate: waiting + busy,
                peeked_visible: waiting.min(32),
            },
            _ => {
                let v = if *visible { waiting } else { 0 } + if *in_flight { busy } else { 0 };
                Observation::Value { value: v as f64 }
            }
        }
    }

    /// What trigger `i`'s scaler would report at `now` reading the world itself: no backend
    /// scrape delay or window, no metrics cache, no injected fault, and no cap (Kafka's lag is
    /// the whole lag, not `partitions × lagThreshold`). `truth` is a direct sampler of the
    /// trigger's bound signal, when it has one. None when there is nothing to read.
    fn true_value(
        &self,
        i: usize,
        trigger: &crate::keda::model::TriggerModel,
        now: f64,
        world: &World,
        samplers: &[Sampler],
        truth: Option<usize>,
    ) -> Option<f64> {
        let obs = match &self.backends[i] {
            Backend::Queue { .. } => self.queue_observation(i, trigger, now, world),
            // The queue as it is now, not as the cloud metric publishes it later.
            Backend::LaggedQueue { sampler } => {
                let (waiting, busy) = (world.backlog_len(), world.in_service());
                let value = match samplers[*sampler].signal {
                    Signal::InFlight => waiting + busy,
                    Signal::InService => busy,
                    _ => waiting,
                };
                Observation::Value {
                    value: value as f64,
                }
            }
            // A bare lag value: the scaler applies no partition cap to it.
            Backend::Lag => Observation::Value {
                value: (world.backlog_len() + world.in_service()) as f64,
            },
            Backend::Sampled { scale, .. } => Observation::Value {
                value: samplers[truth?].total(now).ok()? * scale,
            },
            Backend::None => Observation::Value { value: 0.0 },
            Backend::Unbound { .. } => return None,
        };
        // A fresh memory: Kafka's `excludePersistentLag` needs two fetches to exclude anything.
        let mut memory = ScalerMemory::default();
        let r = trigger
            .scaler
            .evaluate(&obs, self.epoch0 + now, &mut memory)
            .ok()?;
        r.value.is_finite().then_some(r.value)
    }

    /// A direct sampler of each sampled trigger's signal (read every `interval`), for
    /// [`Self::true_value`]; None for the other triggers.
    fn truth_samplers(&self, samplers: &mut Vec<Sampler>, interval: f64) -> Vec<Option<usize>> {
        self.backends
            .iter()
            .map(|b| match b {
                Backend::Sampled { sampler, .. } => {
                    let timing = BackendTiming {
                        kind: BackendKind::Direct,
                        interval,
                        window: 30.0,
                        delay: 0.0,
                    };
                    samplers.push(Sampler::new(
                        samplers[*sampler].signal.clone(),
                        timing,
                        false,
                    ));
                    Some(samplers.len() - 1)
                }
                _ => None,
            })
            .collect()
    }
}

fn world_rate(world: &World, now: f64) -> f64 {
    world.arrival_rate_at(now)
}

fn sampled(
    samplers: &mut Vec<Sampler>,
    signal: Signal,
    timing: BackendTiming,
    scale: f64,
) -> Backend {
    samplers.push(Sampler::new(signal, timing, false));
    Backend::Sampled {
        sampler: samplers.len() - 1,
        scale,
    }
}

/// A queue count read through a sampler with `timing` (visible and/or in-flight messages).
fn lagged_queue(
    samplers: &mut Vec<Sampler>,
    visible: bool,
    in_flight: bool,
    timing: BackendTiming,
) -> Backend {
    let signal = match (visible, in_flight) {
        (true, true) => Signal::InFlight,
        (false, true) => Signal::InService,
        _ => Signal::Backlog,
    };
    samplers.push(Sampler::new(signal, timing, false));
    Backend::LaggedQueue {
        sampler: samplers.len() - 1,
    }
}

fn default_backend(delay: &DelayClass) -> BackendKind {
    match delay {
        DelayClass::PrometheusScrape => BackendKind::Prometheus,
        DelayClass::CloudMetrics { .. } => BackendKind::Cloudwatch,
        _ => BackendKind::Direct,
    }
}

/// A signal's unit, times the binding's scale when it has one (`requests/s × 0.001`).
pub(super) fn scaled_unit(signal: &Signal, scale: f64) -> String {
    let unit = signal.unit();
    if scale == 1.0 {
        unit
    } else {
        format!("{unit} × {}", crate::text::decimals(scale, 6))
    }
}

/// The backend timing a scaler's delay class implies.
fn timing_of(delay: &DelayClass) -> BackendTiming {
    match delay {
        DelayClass::CloudMetrics {
            granularity_s,
            lag_s,
            window_s,
        } => BackendTiming {
            kind: BackendKind::Cloudwatch,
            interval: *granularity_s,
            window: *window_s,
            delay: *lag_s,
        },
        other => BackendTiming::of(default_backend(other)),
    }
}

/// A ScaledObject and the HPA it generates.
pub(super) struct ScaledObjectDriver {
    pub(crate) name: String,
    pub(crate) model: ScaledObjectModel,
    state: ScaledObjectState,
    triggers: Triggers,
    /// The generated HPA (absent while the object is paused: KEDA deletes it).
    /// Boxed: a sync takes it out of the object and puts it back, which moves a pointer, not
    /// the whole driver.
    pub(crate) hpa: Option<Box<HpaDriver>>,
    pub(crate) stats: KedaStats,
    /// (active, error, fallback) at the previous poll, to log only changes.
    last_flags: Option<(bool, bool, bool)>,
    /// Fallback was active at the latest poll (for the time series).
    fallback_now: bool,
    /// Per trigger, the direct sampler behind its true value (see [`Self::add_truth_probes`]).
    truth: Vec<Option<usize>>,
    /// Per External metric: the adapter's last answer rested on measurements (see
    /// [`Self::measured`]).
    measured: BTreeMap<String, bool>,
    /// Deleted by a change (see `events`).
    deleted: bool,
    /// Incremented when KEDA's loop and the generated HPA start afresh (an unpause): the
    /// simulation's pending ticks of the earlier loop are then stale and dropped.
    pub(crate) loop_epoch: u32,
    /// Incremented when the generated HPA is created anew (an unpause): its pending syncs are
    /// then stale and dropped.
    pub(crate) hpa_epoch: u32,
    /// The statistics of the generated HPA while it is deleted (paused or object deleted).
    parked_hpa_stats: Option<HpaStats>,
    /// The target's replicas when KEDA first saw it (`status.originalReplicaCount`).
    original_replicas: i32,
    hpa_sync_period: f64,
}

impl ScaledObjectDriver {
    /// Did the object's activity, error or fallback state change at this poll?
    pub(super) fn state_changed(&mut self, poll: &operator::PollDecision) -> bool {
        let flags = (poll.is_active, poll.is_error, poll.fallback_active);
        self.last_flags.replace(flags) != Some(flags)
    }

    pub(super) fn new(
        model: &ScaledObjectModel,
        scenario: &Scenario,
        samplers: &mut Vec<Sampler>,
        warnings: &mut Vec<String>,
    ) -> Result<ScaledObjectDriver, String> {
        let owner = format!("ScaledObject {:?}", model.name);
        let triggers = Triggers::new(&model.triggers, scenario, samplers, warnings, &owner);
        let hpa = if model.annotations.is_paused() {
            None
        } else {
            let loaded = generated_hpa(model)
                .map_err(|e| format!("{owner}: the HPA KEDA generates does not load: {e}"))?;
            Some(Box::new(HpaDriver::new(&loaded, scenario, samplers, true)?))
        };
        Ok(ScaledObjectDriver {
            name: model.name.clone(),
            model: model.clone(),
            // Created at t = 0; its first check runs a moment later (the controller reconciles
            // after creation), so `creation + initialCooldownPeriod < now` holds at that check.
            state: ScaledObjectState::new(-CREATION_LEAD, model.triggers.len()),
            triggers,
            hpa,
            stats: KedaStats {
                name: model.name.clone(),
                kind: "ScaledObject",
                ..Default::default()
            },
            last_flags: None,
            fallback_now: false,
            truth: Vec::new(),
            measured: BTreeMap::new(),
            deleted: false,
            loop_epoch: 0,
            hpa_epoch: 0,
            parked_hpa_stats: None,
            original_replicas: scenario.pods.replicas,
            hpa_sync_period: scenario.controller_manager.sync_period.0,
        })
    }

    /// Give every trigger read through a metrics backend a direct sampler of the same signal
    /// (scraped every `interval`), so [`Self::true_value`] can read it without the backend's
    /// delay. Only the time series and charts use it.
    pub(super) fn add_truth_probes(&mut self, samplers: &mut Vec<Sampler>, interval: f64) {
        self.truth = self.triggers.truth_samplers(samplers, interval);
    }

    /// The true value of the External metric `metric` at `now`: what its trigger's scaler would
    /// report reading the world directly (no scrape delay, cache, fault or cap), as a total
    /// (before the HPA divides an AverageValue metric by the replicas). None for a metric no
    /// single trigger produces (the scalingModifiers composite) or that reads nothing.
    pub(super) fn true_value(
        &self,
        metric: &str,
        now: f64,
        world: &World,
        samplers: &[Sampler],
    ) -> Option<f64> {
        let t = self.model.trigger_for_metric(metric)?;
        let truth = self.truth.get(t.index).copied().flatten();
        self.triggers
            .true_value(t.index, t, now, world, samplers, truth)
    }

    /// The unit of the External metric `metric` as its trigger's scaler reports it, before the
    /// HPA divides by replicas: the bound signal's unit when the trigger reads one (a
    /// Prometheus query bound under `metrics:`), else the scaler's own ([`Scaler::unit`]:
    /// `lag`, `messages`, `desired replicas`…).
    ///
    /// [`Scaler::unit`]: crate::keda::scalers::Scaler::unit
    pub(super) fn metric_unit(&self, metric: &str, samplers: &[Sampler]) -> String {
        let Some(t) = self.model.trigger_for_metric(metric) else {
            return "value".into();
        };
        match self.triggers.backends.get(t.index) {
            Some(Backend::Sampled { sampler, scale }) => {
                scaled_unit(&samplers[*sampler].signal, *scale)
            }
            _ => t.scaler.unit().to_string(),
        }
    }

    /// Whether the last value served for `metric` rested on a measurement. Before a metrics
    /// backend has two samples (a Prometheus `rate()` has none at t = 0) or while the
    /// simulated queue has not yet run, the scaler reports 0; the charts leave such values
    /// out rather than draw a 0 nobody measured.
    /// Was fallback active at the latest poll?
    pub(super) fn fallback_active(&self) -> bool {
        self.fallback_now
    }

    pub(super) fn measured(&self, metric: &str) -> bool {
        self.measured.get(metric).copied().unwrap_or(true)
    }

    pub(super) fn polling_interval(&self) -> f64 {
        self.model.polling_interval_s
    }

    /// A new KEDA operator leads (docs/faults.md#keda-operator): its scalers and metrics cache
    /// are built afresh; `status` (last active time, fallback health) is read back.
    pub(super) fn restart_operator(&mut self) {
        self.state.metrics_cache.clear();
        self.state.invalidate_scalers();
        self.triggers.memories.fill(ScalerMemory::default());
    }

    fn target(world: &World) -> TargetView {
        TargetView {
            spec_replicas: world.pods().spec_replicas(),
            ready_pods: world.pods().counts().ready as i32,
        }
    }

    /// One run of KEDA's loop at `now`; applies its decision to the workload.
    pub(super) fn poll(
        &mut self,
        now: f64,
        world: &mut World,
        samplers: &[Sampler],
    ) -> operator::PollDecision {
        let target = Self::target(world);
        let model = &self.model;
        let triggers = &mut self.triggers;
        let w: &World = world;
        let decision = operator::poll(model, &mut self.state, now, &target, &mut |i| {
            triggers.fetch(i, &model.triggers[i], now, w, samplers)
        });
        self.stats.polls += 1;
        self.fallback_now = decision.fallback_active;
        let period = self.model.polling_interval_s;
        if decision.fallback_active {
            self.stats.fallback_seconds += period;
        }
        if decision.is_error {
            self.stats.error_seconds += period;
        }
        if let ScaleAction::SetReplicas { from, to } = decision.decision.action {
            if from < to {
                self.stats.activations += 1;
            } else {
                self.stats.deactivations += 1;
            }
            world.set_replicas(now, to);
        }
        decision
    }

    /// KEDA's metrics adapter answering the HPA for `metric` at `now`.
    pub(super) fn external_metric(
        &mut self,
        now: f64,
        metric: &str,
        world: &World,
        samplers: &[Sampler],
    ) -> MetricReading {
        let target = Self::target(world);
        let model = &self.model;
        let triggers = &mut self.triggers;
        let mut measured = true;
        let answer = metrics_server::external_metric_values(
            model,
            &mut self.state,
            metric,
            &target,
            &mut |i| {
                let r = triggers.fetch(i, &model.triggers[i], now, world, samplers);
                measured &= triggers.measured[i];
                r
            },
        );
        match self.measured.get_mut(metric) {
            Some(m) => *m = measured,
            None => {
                self.measured.insert(metric.to_string(), measured);
            }
        }
        match answer {
            Ok(values) => MetricReading::ExternalValues(values),
            Err(message) => MetricReading::Error(message),
        }
    }
}

/// The generated HPA as an autoscaling/v2 manifest, loaded through the HPA core's own reader.
fn generated_hpa(model: &ScaledObjectModel) -> Result<LoadedHpa, String> {
    let h = &model.hpa;
    let metrics: Vec<serde_json::Value> = h
        .metrics
        .iter()
        .map(|m| {
            let target = match m.target_type {
                TargetType::Utilization => json!({"type": "Utilization", "averageUtilization": m.average_utilization.unwrap_or(0)}),
                TargetType::AverageValue => json!({"type": "AverageValue", "averageValue": format!("{}m", m.target_milli.unwrap_or(0))}),
                TargetType::Value => json!({"type": "Value", "value": format!("{}m", m.target_milli.unwrap_or(0))}),
            };
            match m.source {
                MetricSource::External => json!({"type": "External", "external": {
                    "metric": {"name": m.name, "selector": {"matchLabels": {"scaledobject.keda.sh/name": model.name}}},
                    "target": target}}),
                MetricSource::Resource => json!({"type": "Resource", "resource": {"name": m.resource.clone().unwrap_or_default(), "target": target}}),
                MetricSource::ContainerResource => json!({"type": "ContainerResource", "containerResource": {
                    "name": m.resource.clone().unwrap_or_default(), "container": m.container.clone().unwrap_or_default(), "target": target}}),
            }
        })
        .collect();
    let mut spec = json!({
        "scaleTargetRef": {"apiVersion": model.target.api_version, "kind": model.target.kind, "name": model.target.name},
        "minReplicas": h.min_replicas,
        "maxReplicas": h.max_replicas,
        "metrics": metrics,
    });
    if let Some(b) = &h.behavior {
        spec["behavior"] = b.clone();
    }
    let doc = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": h.name}, "spec": spec});
    let source = Source::from_string(format!("{} (generated by KEDA)", h.name), doc.to_string());
    let docs = split_documents(&source);
    let gates = crate::hpa::FeatureGates::default();
    load_hpa(&docs[0], &gates).map_err(|e| e.to_string())
}

/// The pod conditions that are True for a simulated pod, as the kubelet would report them
/// (what `scalingStrategy.pendingPodConditions` is checked against, upstream
/// pkg/scaling/executor/scale_jobs.go `areAllPendingPodConditionsFulfilled`): PodScheduled
/// once bound to a node, Initialized once its (absent) init containers are done and the
/// container starts, ContainersReady and Ready while the readiness probe passes. A job whose
/// container exited keeps PodScheduled and Initialized.
fn true_conditions(p: &crate::world::Pod) -> Vec<String> {
    let scheduled = ["PodScheduled"];
    let started = ["PodScheduled", "Initialized"];
    let ready = ["PodScheduled", "Initialized", "ContainersReady", "Ready"];
    let list: &[&str] = match p.state {
        PodState::Pending if p.unscheduled => &[],
        PodState::Pending => &scheduled,
        PodState::Ready if !p.restarting => &ready,
        PodState::Ready | PodState::Starting | PodState::Terminating | PodState::Gone => &started,
    };
    list.iter().map(|c| c.to_string()).collect()
}

/// A ScaledJob: every poll it counts its jobs and creates more.
pub(super) struct ScaledJobDriver {
    pub(crate) name: String,
    model: ScaledJobModel,
    state: ScaledJobState,
    triggers: Triggers,
    /// The jobs this ScaledJob created and not yet deleted.
    jobs: Vec<SimJob>,
    /// What each job's pods do (`jobs:`).
    run: JobBehaviour,
    /// `metadata.generation`, counted from 0: each spec change adds one.
    pub(super) generation: u64,
    pub(crate) stats: KedaStats,
}

/// One Job of a ScaledJob: its name, the world's Job (`crate::world::JobTemplate`), the
/// ScaledJob generation that created it, and whether it is being deleted in the foreground
/// (still listed until its pods are gone).
struct SimJob {
    id: String,
    job: u32,
    generation: u64,
    deleting: bool,
}

impl SimJob {
    /// Deleted and every pod gone: the Job object is removed.
    fn gone(&self, world: &World) -> bool {
        self.deleting
            && world
                .job(self.job)
                .pods()
                .iter()
                .all(|&p| world.pods().get(p).state == PodState::Gone)
    }

    /// The Job as KEDA lists it: finished once the Job controller set its Complete or Failed
    /// condition (upstream `isJobFinished`), with every pod it started.
    fn view(&self, world: &World) -> JobView {
        let job = world.job(self.job);
        let pods: Vec<&crate::world::Pod> =
            job.pods().iter().map(|&id| world.pods().get(id)).collect();
        JobView {
            id: self.id.clone(),
            finished: job.ended().map(|(end, _)| end == JobEnd::Complete),
            completion_time: job.ended().map(|(_, at)| at),
            pods: pods
                .iter()
                .map(|p| JobPod {
                    phase: job_pod_phase(p).into(),
                    true_conditions: true_conditions(p),
                })
                .collect(),
        }
    }
}

/// A job pod's phase as the kubelet reports it.
fn job_pod_phase(p: &crate::world::Pod) -> &'static str {
    match p.state {
        PodState::Pending => "Pending",
        PodState::Starting | PodState::Ready | PodState::Terminating => "Running",
        PodState::Gone if p.job_failed => "Failed",
        PodState::Gone => "Succeeded",
    }
}

impl ScaledJobDriver {
    pub(super) fn new(
        model: &ScaledJobModel,
        scenario: &Scenario,
        samplers: &mut Vec<Sampler>,
        warnings: &mut Vec<String>,
    ) -> ScaledJobDriver {
        let owner = format!("ScaledJob {:?}", model.name);
        ScaledJobDriver {
            name: model.name.clone(),
            model: model.clone(),
            state: ScaledJobState::default(),
            triggers: Triggers::new(&model.triggers, scenario, samplers, warnings, &owner),
            jobs: Vec::new(),
            run: scenario.jobs,
            generation: 0,
            stats: KedaStats {
                name: model.name.clone(),
                kind: "ScaledJob",
                ..Default::default()
            },
        }
    }

    pub(super) fn polling_interval(&self) -> f64 {
        self.model.polling_interval_s
    }

    /// One poll at `now`: list jobs, ask the triggers, create jobs.
    pub(super) fn poll(
        &mut self,
        now: f64,
        world: &mut World,
        samplers: &[Sampler],
    ) -> JobPollDecision {
        self.forget_deleted(world);
        let views: Vec<JobView> = self.jobs.iter().map(|j| j.view(world)).collect();
        let model = &self.model;
        let triggers = &mut self.triggers;
        let w: &World = world;
        let d = scaledjob::poll(model, &mut self.state, now, &views, &mut |i| {
            triggers.fetch(i, &model.triggers[i], now, w, samplers)
        });
        self.stats.polls += 1;
        if d.is_error {
            self.stats.error_seconds += model.polling_interval_s;
        }
        for _ in 0..d.jobs_to_create.max(0) {
            self.create_job(now, world);
        }
        // History limits: deleted finished jobs are forgotten.
        let deleted: BTreeMap<&str, ()> =
            d.jobs_to_delete.iter().map(|s| (s.as_str(), ())).collect();
        if !deleted.is_empty() {
            self.jobs.retain(|j| !deleted.contains_key(j.id.as_str()));
        }
        d
    }

    /// Create one Job: its pods (docs/keda.md#what-a-job-does), named after the first.
    fn create_job(&mut self, now: f64, world: &mut World) {
        let spec = self.model.job_spec;
        let job = world.create_job(
            now,
            JobTemplate {
                run: self.run,
                parallelism: spec.parallelism(),
                completions: spec.completions(),
                deadline: spec.active_deadline_seconds.map(|s| s as f64),
                grace: spec.grace_seconds(),
                backoff_limit: spec.backoff_limit(),
                restart_policy: spec.restart_policy,
            },
        );
        let id = match world.job(job).pods().first() {
            Some(first) => format!("{}-{first}", self.name),
            None => format!("{}-unstarted-{}", self.name, self.stats.jobs_created),
        };
        self.jobs.push(SimJob {
            id,
            job,
            generation: self.generation,
            deleting: false,
        });
        self.stats.jobs_created += 1;
    }

    /// Jobs not yet finished (a Job deleted in the foreground until its pods are gone).
    pub(super) fn running(&self, world: &World) -> i32 {
        self.jobs
            .iter()
            .filter(|j| world.job(j.job).ended().is_none() && !j.gone(world))
            .count() as i32
    }

    /// KEDA reconciles the ScaledJob (an update, or an unpause): unless its rollout is
    /// `gradual`, the Jobs of an earlier generation are deleted (upstream
    /// `deletePreviousVersionScaleJobs`; docs/keda.md#changes-during-a-run).
    pub(super) fn roll_out(&mut self, now: f64, world: &mut World) {
        let rollout = self.model.rollout;
        if rollout == JobRollout::Gradual {
            return;
        }
        for j in self.jobs.iter_mut() {
            if j.generation != self.generation && !j.deleting {
                world.delete_job(now, j.job);
                j.deleting = true;
            }
        }
        if rollout == JobRollout::DeleteBackground {
            self.jobs.retain(|j| !j.deleting);
        }
    }

    /// Jobs deleted in the foreground leave the list once their pods are gone.
    fn forget_deleted(&mut self, world: &World) {
        self.jobs.retain(|j| !j.gone(world));
    }

    /// The ScaledJob is deleted: the garbage collector deletes the Jobs it owns (KEDA sets
    /// itself as their controller owner, `blockOwnerDeletion`), and their pods with them.
    pub(super) fn delete_jobs(&mut self, now: f64, world: &mut World) {
        for j in self.jobs.drain(..) {
            world.delete_job(now, j.job);
        }
    }
}

impl ScaledObjectDriver {
    /// Triggers with no modelled signal and no `metrics:` binding.
    pub(crate) fn missing_metrics(&self) -> Vec<super::missing::MissingMetric> {
        let owner = format!("ScaledObject {:?}", self.name);
        self.triggers
            .missing()
            .into_iter()
            .map(|i| super::missing::MissingMetric::trigger(&owner, &self.model.triggers[i]))
            .collect()
    }
}

impl ScaledJobDriver {
    /// Triggers with no modelled signal and no `metrics:` binding.
    pub(crate) fn missing_metrics(&self) -> Vec<super::missing::MissingMetric> {
        let owner = format!("ScaledJob {:?}", self.name);
        self.triggers
            .missing()
            .into_iter()
            .map(|i| super::missing::MissingMetric::trigger(&owner, &self.model.triggers[i]))
            .collect()
    }
}
