//! Drives one HorizontalPodAutoscaler in the simulation: every sync period it builds the
//! [`Observation`] the real controller would read — the scale subresource, the selector's pods
//! and what the metrics APIs answer through the simulated pipeline — calls the pure decision core
//! ([`crate::hpa::reconcile`]) and applies the decision to the workload.
//!
//! When every metric that reads the pods is a Resource metric with a Utilization target, the
//! pods are not listed at all: the core's one pass reads them from the world through the
//! driver's view ([`HpaDriver::viewed_pods`]) and the reconcile is given its proposals; the list
//! is written (in place, as before) only when the pass does not answer.

use super::verdict::{LimitKind, LimitTimeline};
use crate::hpa::{
    ConditionStatus, ConditionType, ContainerSpec, ControllerSettings, Decision, HpaMemory,
    MetricReading, MetricSpec, Observation, PassPod, PodListToken, PodObservation, PodPhase,
    PodResourceUsage, PodStatus, PodValueSample, Proposal, ReadyCondition, Reason, Requests,
    ScaleObservation, TargetType, reconcile_listed, viewed_usage_proposal,
};
use crate::hpa::{HpaSpec, LoadedHpa, observation::Name};
use crate::metrics::{BackendKind, BackendTiming, MetricsServer, Sampler, Signal};
use crate::numeric;
use crate::settings::Scenario;
use crate::settings::workload::PodResources;
use crate::world::{Pod, PodSet, PodState, World};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where one metric of the HPA spec gets its values.
#[derive(Debug, Clone)]
enum Feed {
    /// metrics-server usage (Resource / ContainerResource).
    Resource,
    /// A bound signal through a sampler: per pod (Pods metric) or a total (Object / External).
    Sampler {
        sampler: usize,
        per_pod: bool,
        scale: f64,
    },
    /// An External metric served by KEDA's metrics adapter (the HPA a ScaledObject generates).
    Keda(String),
    /// No binding: the metrics API has nothing for it. `kind` is the metric type when a
    /// `metrics:` binding could feed it (Pods, Object, External), None for an unknown type.
    Missing {
        name: String,
        kind: Option<&'static str>,
    },
}

/// Time the HPA spent with a condition in a given state, for the run summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HpaStats {
    pub(crate) name: String,
    pub(crate) syncs: u64,
    pub(crate) rescales: u64,
    pub(crate) scale_ups: u64,
    pub(crate) scale_downs: u64,
    /// Seconds of the run the result was limited, by what limited it
    /// (e.g. `ScaleUpLimit: policy Pods 4 per 15s` → 45).
    pub(crate) limited_seconds: BTreeMap<String, f64>,
    /// Seconds a scale-down was held back by a stabilization window, by window.
    pub(crate) stabilized_seconds: BTreeMap<String, f64>,
    /// Seconds with `ScalingActive=False`, by reason (metrics failing, scaling disabled).
    pub inactive_seconds: BTreeMap<String, f64>,
    /// When each limit on adding capacity held (for the verdict; not in `summary.json`'s `hpa`).
    #[serde(skip)]
    pub(crate) limits: LimitTimeline,
}

pub(super) struct HpaDriver {
    pub(crate) name: String,
    /// What the controller read at the last sync (`namespace` is `metadata.namespace`, `default`
    /// when the manifest has none), refilled in place every sync so its pods and samples keep
    /// their allocations (docs/performance.md, "HPA decision core"); boxed, and taken out for a
    /// sync and put back after, so that a sync moves no observation.
    obs: Option<Box<Observation>>,
    /// Names the current version of `obs.pods`: a new one whenever a pod's name in it changes
    /// (see [`PodListToken`]), so that the core does not compare the names of an unchanged list.
    pods_token: PodListToken,
    spec: HpaSpec,
    /// Each metric's name as its time-series columns spell it (see [`Self::metric_labels`]).
    labels: Vec<String>,
    settings: ControllerSettings,
    memory: HpaMemory,
    feeds: Vec<Feed>,
    /// What the pods of each revision of the template request, as the HPA reads it (index =
    /// a pod's `revision`; docs/rollouts.md).
    shapes: Vec<PodShape>,
    pod_prefix: String,
    /// `<prefix>-<id>` for every pod id seen.
    names: Vec<Name>,
    pub(crate) stats: HpaStats,
    /// The latest decision (its `status_desired_replicas` feeds the time series).
    pub(crate) last: Option<Box<Decision>>,
    /// The decision before the last one, which the next sync writes over (see
    /// [`reconcile_listed`]).
    older: Option<Box<Decision>>,
    /// Scratch: the text of the last sync's limit (`Decision::limited_by`), reused.
    limit_text: String,
    /// Per metric, the direct sampler of its bound signal behind its `_true` column (see
    /// [`Self::add_truth_samplers`]); empty until then.
    truth: Vec<Option<usize>>,
    /// Which usages a resource metric of the spec reads (see [`Self::resource_usage`]).
    reads: ResourceReads,
    /// The spec's metrics when the core may read the pods through the driver's view instead
    /// of `obs.pods` (see [`viewable_metrics`]).
    viewable: Option<Vec<MetricSpec>>,
    /// Per revision, a pod of that template as the HPA lists it (its containers, pod-level
    /// requests and overhead; the status and name are not read): what a viewed pod's request
    /// is worked out from.
    templates: Vec<PodObservation>,
    /// Some pod is named by its StatefulSet ordinal, so two pods may share a name: the view,
    /// which needs a name of its own per pod, is not used.
    named_by_ordinal: bool,
    /// Scratch: the proposals the view worked out for the core, per metric.
    given: Vec<Option<Proposal>>,
    /// Per metric, its target and how its total is compared with it, as the spec sets them
    /// ([`Self::target`], [`Self::metric_norm`]): read for every row of the time series.
    column_facts: Vec<(Option<f64>, MetricNorm)>,
}

/// The spec's metrics, when every metric that reads the selector's pods is a Resource metric
/// with a Utilization target and every other one an External or Object metric with an
/// AverageValue target (which reads no pods): the core then needs no pod list when the one
/// pass over the view answers for each Resource metric (see [`HpaDriver::view_proposals`]).
fn viewable_metrics(spec: &HpaSpec) -> Option<Vec<MetricSpec>> {
    let metrics = spec.effective_metrics();
    let viewable = |m: &MetricSpec| match m {
        MetricSpec::Resource { target, .. } => {
            target.average_value.is_none() && target.average_utilization.is_some()
        }
        MetricSpec::External { target, .. } => target.average_value.is_some(),
        MetricSpec::Object { target, .. } => {
            target.target_type == TargetType::AverageValue && target.average_value.is_some()
        }
        _ => false,
    };
    let any_resource = metrics
        .iter()
        .any(|m| matches!(m, MetricSpec::Resource { .. }));
    (any_resource && metrics.iter().all(viewable)).then_some(metrics)
}

/// Which resources the spec's Resource and ContainerResource metrics read: the resource
/// metrics API's answer spells out only those (the calculator reads no other).
#[derive(Debug, Clone, Copy, Default)]
struct ResourceReads {
    cpu: bool,
    memory: bool,
}

impl ResourceReads {
    fn of(spec: &HpaSpec) -> Self {
        let mut r = ResourceReads::default();
        for m in spec.effective_metrics() {
            if let MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } =
                &m
            {
                r.cpu |= name == "cpu";
                r.memory |= name == "memory";
            }
        }
        r
    }
}

impl HpaDriver {
    /// Build the driver, creating samplers for bound Pods/Object/External metrics (their
    /// default backend is Prometheus, served through an adapter). Fails with a message naming
    /// a metric that has no binding.
    pub(super) fn new(
        loaded: &LoadedHpa,
        scenario: &Scenario,
        samplers: &mut Vec<Sampler>,
        keda_fed: bool,
    ) -> Result<HpaDriver, String> {
        let columns: Vec<String> = scenario
            .trace
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let mut feeds = Vec::new();
        for m in loaded.spec.effective_metrics() {
            feeds.push(feed_for(&m, scenario, &columns, samplers, keda_fed)?);
        }
        let shapes = vec![PodShape::of(&scenario.pods.resources())];
        let templates = shapes.iter().map(PodShape::template).collect();
        let target = &loaded.scale_target_ref.name;
        Ok(HpaDriver {
            name: loaded.name.clone(),
            obs: Some(Box::new(Observation {
                namespace: loaded
                    .namespace
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "default".into()),
                ..Default::default()
            })),
            pods_token: PodListToken::new(),
            spec: loaded.spec.clone(),
            labels: labels_of(&loaded.spec),
            settings: scenario.controller_manager.clone(),
            memory: HpaMemory::default(),
            feeds,
            shapes,
            names: Vec::new(),
            pod_prefix: if target.is_empty() {
                scenario.name.clone()
            } else {
                target.clone()
            },
            stats: HpaStats {
                name: loaded.name.clone(),
                ..Default::default()
            },
            last: None,
            older: None,
            limit_text: String::new(),
            truth: Vec::new(),
            reads: ResourceReads::of(&loaded.spec),
            viewable: viewable_metrics(&loaded.spec),
            templates,
            named_by_ordinal: false,
            given: Vec::new(),
            column_facts: column_facts(&loaded.spec),
        })
    }

    /// Give every metric read through a bound signal a direct sampler of the same signal
    /// (scraped every `interval`), for its "true value" column. Only the time series and charts
    /// use it.
    pub(super) fn add_truth_samplers(&mut self, samplers: &mut Vec<Sampler>, interval: f64) {
        self.truth = (0..self.feeds.len())
            .map(|i| {
                let (signal, _) = self.bound_signal(i, samplers)?;
                let timing = BackendTiming {
                    kind: BackendKind::Direct,
                    interval,
                    window: 30.0,
                    delay: 0.0,
                };
                samplers.push(Sampler::new(signal, timing, false));
                Some(samplers.len() - 1)
            })
            .collect();
    }

    /// The direct sampler behind metric `i`'s true value and the binding's scale, when it has
    /// one (see [`Self::add_truth_samplers`]).
    pub(super) fn truth_sampler(&self, i: usize) -> Option<(usize, f64)> {
        let sampler = (*self.truth.get(i)?)?;
        match self.feeds.get(i)? {
            Feed::Sampler { scale, .. } => Some((sampler, *scale)),
            _ => None,
        }
    }

    /// Metrics a `metrics:` binding could feed but none does, as (name, type): the HPA sees
    /// them fail.
    pub(super) fn unbound_metrics(&self) -> Vec<(String, &'static str)> {
        self.feeds
            .iter()
            .filter_map(|f| match f {
                Feed::Missing {
                    name,
                    kind: Some(kind),
                } => Some((name.clone(), *kind)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn sync_period(&self) -> f64 {
        self.settings.sync_period.0
    }

    /// kube-controller-manager restarted: the controller's in-memory histories are gone, the
    /// HPA's status is kept (docs/faults.md#controller-manager).
    pub(super) fn restart_controller(&mut self) {
        self.memory.restart_controller();
    }

    /// A spec update during the run (docs/keda.md#changes-during-a-run): the new spec and
    /// metric feeds of `new`; the controller's memory (recommendations, stabilization) and the
    /// statistics are kept, as the HPA controller keeps them across an update.
    pub(super) fn update_spec(&mut self, new: HpaDriver) {
        self.spec = new.spec;
        self.column_facts = new.column_facts;
        self.reads = new.reads;
        self.viewable = new.viewable;
        self.labels = new.labels;
        self.feeds = new.feeds;
        self.truth = new.truth;
    }

    fn pod_name(&self, id: u32) -> Name {
        match self.names.get(id as usize) {
            Some(n) => n.clone(),
            None => format!("{}-{id}", self.pod_prefix).into(),
        }
    }

    /// Name every pod the world has created so far (names are built once, then cloned): a
    /// StatefulSet's pod by its ordinal (docs/statefulsets.md), any other by its id.
    fn name_pods(&mut self, pods: &PodSet) {
        while self.names.len() < pods.len() {
            let id = self.names.len();
            let ordinal = pods.get(id as u32).ordinal;
            self.named_by_ordinal |= ordinal.is_some();
            let n = ordinal.map_or(id, |o| o as usize);
            self.names.push(format!("{}-{n}", self.pod_prefix).into());
        }
    }

    /// The pod as the API server reports it: phase, the `PodReady` condition with its true
    /// `lastTransitionTime`, deletion and `status.startTime`.
    ///
    /// `Pod::ready_transition` is when the Ready condition last flipped: the pod's creation for
    /// a pod that has never been Ready, the readiness probe's success, or the container's death
    /// after a liveness kill (health.rs moves a Ready pod back to Starting and stamps the flip).
    /// Upstream `groupPods` (replica_calculator.go) tells a pod that was Ready and went unready
    /// (transition after `startTime + initialReadinessDelay`, counted as ready once the CPU
    /// initialization period is over) from one that never became Ready, so the time must be the
    /// real one, not the pod's creation.
    fn observe_pod(&self, p: &Pod) -> PodObservation {
        let mut o = self.templates[p.revision as usize].clone();
        o.name = self.pod_name(p.id);
        observe_status(&mut o, p);
        o
    }

    /// The selector's pods as the core's one pass reads them, straight from the world (the
    /// borrowed view; docs/performance.md, "HPA decision core"): the pods [`Self::observe_pods`]
    /// would list, in its order, each with the status it would write, its template's request
    /// inputs, its name and the sample [`Self::resource_usage`] gives it.
    fn viewed_pods<'a>(&'a self, world: &'a World, ms: &'a MetricsServer) -> ViewedPods<'a> {
        let set = world.pods();
        ViewedPods {
            ids: set.live_ids().iter(),
            set,
            driver: self,
            ms,
        }
    }

    /// Work out through the view the proposal of every metric that reads the pods, into
    /// `self.given`; true when each got one (the core then needs no pod list), false when the
    /// pods must be listed (the spec or a StatefulSet's names do not allow the view, or the
    /// one pass does not answer for a metric).
    fn view_proposals(
        &mut self,
        now: f64,
        world: &World,
        ms: &MetricsServer,
        scale: &ScaleObservation,
    ) -> bool {
        let mut given = std::mem::take(&mut self.given);
        given.clear();
        let mut all = false;
        if let Some(metrics) = self.viewable.as_ref().filter(|_| !self.named_by_ordinal) {
            all = true;
            for m in metrics {
                let p = match m {
                    MetricSpec::Resource { .. } => {
                        let pods = self.viewed_pods(world, ms);
                        let calc = (&self.spec, &self.settings);
                        let p = viewed_usage_proposal(m, calc, scale.spec_replicas, now, pods);
                        all &= p.is_some();
                        p
                    }
                    _ => None,
                };
                if !all {
                    break;
                }
                given.push(p);
            }
        }
        self.given = given;
        all
    }

    /// The requests of the pod's template revision.
    fn shape(&self, p: &Pod) -> &PodShape {
        &self.shapes[p.revision as usize]
    }

    /// Learn the templates a rollout has added since the last sync.
    fn learn_shapes(&mut self, world: &World) {
        let pods = world.pods();
        while self.shapes.len() < pods.revisions() {
            let rev = self.shapes.len() as u32;
            let shape = PodShape::of(pods.template(rev));
            self.templates.push(shape.template());
            self.shapes.push(shape);
        }
    }

    /// Observe every pod of the workload into `pods`, updating in place the entries that
    /// already describe the same pod (same name) at the same position; with `usages`, also
    /// metrics-server's answer for the same pods in the same walk (see [`Self::resource_usage`]).
    /// Returns whether a pod's name in `pods` changed (a pod came, went or moved).
    fn observe_pods(
        &self,
        world: &World,
        pods: &mut Vec<PodObservation>,
        mut usages: Option<(&MetricsServer, &mut Vec<Option<PodResourceUsage>>)>,
    ) -> bool {
        let set = world.pods();
        let ids = set.live_ids();
        if let Some((_, u)) = usages.as_mut() {
            u.clear();
            u.reserve(ids.len());
        }
        // Every pod the world created has its name ([`Self::name_pods`]).
        let names = &self.names[..];
        let mut renamed = false;
        let mut k = 0;
        for &id in ids {
            let p = set.get(id);
            if p.job {
                continue;
            }
            match pods.get_mut(k) {
                Some(o) if Arc::ptr_eq(&names[id as usize], &o.name) => observe_status(o, p),
                Some(o) => {
                    *o = self.observe_pod(p);
                    renamed = true;
                }
                None => {
                    pods.push(self.observe_pod(p));
                    renamed = true;
                }
            }
            if let Some((ms, u)) = usages.as_mut() {
                u.push(self.resource_usage(ms, p));
            }
            k += 1;
        }
        renamed |= pods.len() != k;
        pods.truncate(k);
        renamed
    }

    /// The sample buffer of the previous sync's first resource-metrics answer, emptied, to be
    /// refilled (none when there was none).
    fn usage_buffer(readings: &mut [MetricReading]) -> Vec<Option<PodResourceUsage>> {
        readings
            .iter_mut()
            .find_map(|r| match r {
                MetricReading::PodUsages(u) => Some(std::mem::take(u)),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Does a metric read metrics-server?
    fn reads_resources(&self) -> bool {
        self.feeds.iter().any(|f| matches!(f, Feed::Resource))
    }

    /// What the metrics APIs answer for each metric at `now`. `usages` is the resource metrics
    /// API's answer for the observed pods (see [`Self::observe_pods`]), `None` when
    /// metrics-server is not serving; `readings` holds the previous sync's answers.
    fn readings(
        &self,
        now: f64,
        samplers: &[Sampler],
        external: &mut dyn FnMut(&str) -> MetricReading,
        mut usages: Option<Vec<Option<PodResourceUsage>>>,
        readings: &mut Vec<MetricReading>,
    ) {
        readings.clear();
        let mut first_usages: Option<usize> = None;
        for feed in &self.feeds {
            let r = match feed {
                Feed::Resource => match (usages.take(), first_usages) {
                    (Some(u), _) => {
                        first_usages = Some(readings.len());
                        MetricReading::PodUsages(u)
                    }
                    // Every resource metric reads the same answer.
                    (None, Some(i)) => readings[i].clone(),
                    (None, None) => {
                        MetricReading::Error(super::control_plane::METRICS_SERVER_DOWN.into())
                    }
                },
                Feed::Sampler {
                    sampler,
                    per_pod: true,
                    scale,
                } => self.per_pod_reading(&samplers[*sampler], now, *scale),
                Feed::Sampler {
                    sampler,
                    per_pod: false,
                    scale,
                } => match samplers[*sampler].total(now) {
                    Ok(v) => match self.is_object(feed) {
                        true => MetricReading::ObjectValue {
                            value_milli: to_milli(v * scale),
                        },
                        false => MetricReading::ExternalValues(vec![to_milli(v * scale)]),
                    },
                    Err(e) => MetricReading::Error(e),
                },
                Feed::Keda(name) => external(name),
                Feed::Missing { name, .. } => MetricReading::Error(format!(
                    "no metric `{name}`: bind it to a signal in the scenario's `metrics:` block"
                )),
            };
            readings.push(r);
        }
    }

    /// The resource metrics API's entry for pod `p`: metrics-server's latest sample of it, all
    /// its usage in the pod's main container (sidecars idle). A usage no metric of the spec
    /// reads is left at zero (the calculator reads only the metric's own resource).
    #[inline]
    fn resource_usage(&self, ms: &MetricsServer, p: &Pod) -> Option<PodResourceUsage> {
        let reads = self.reads;
        ms.sample(p.id).map(|u| PodResourceUsage {
            timestamp: u.timestamp,
            window: u.window,
            main: self.shape(p).main,
            cpu_milli: if reads.cpu {
                round_milli(u.cpu_cores)
            } else {
                0
            },
            memory_milli: if reads.memory {
                round_milli(u.memory_bytes)
            } else {
                0
            },
        })
    }

    /// A Pods metric: the sampler's value for every pod, scaled.
    fn per_pod_reading(&self, sampler: &Sampler, now: f64, scale: f64) -> MetricReading {
        match sampler.per_pod(now) {
            Ok(values) => MetricReading::PodValues(
                values
                    .into_iter()
                    .map(|v| PodValueSample {
                        pod: self.pod_name(v.pod),
                        value_milli: to_milli(v.value * scale),
                        timestamp: v.timestamp,
                        window: v.window,
                    })
                    .collect(),
            ),
            Err(e) => MetricReading::Error(e),
        }
    }

    fn is_object(&self, feed: &Feed) -> bool {
        let metrics = self.spec.metrics_or_default();
        self.feeds
            .iter()
            .position(|f| std::ptr::eq(f, feed))
            .is_some_and(|i| matches!(metrics.get(i), Some(MetricSpec::Object { .. })))
    }

    /// One sync at `now`: observe, decide, apply. Returns the decision and whether it should be
    /// logged (it changed the replicas or a condition, or `log_every_sync`).
    pub(super) fn sync(
        &mut self,
        now: f64,
        world: &mut World,
        ms: &MetricsServer,
        samplers: &[Sampler],
        log_every_sync: bool,
        external: &mut dyn FnMut(&str) -> MetricReading,
    ) -> Option<Box<Decision>> {
        let logged = self.decide(now, world, ms, samplers, log_every_sync, external);
        self.apply(now, world);
        logged
    }

    /// Write the last decision's replica count into the workload (the scale subresource).
    pub(super) fn apply(&mut self, now: f64, world: &mut World) {
        if let Some(d) = &self.last
            && d.rescale
        {
            world.set_replicas(now, d.desired_replicas);
        }
    }

    /// Observe and decide at `now` without touching the world; the decision is kept as the
    /// last one, and returned when it is worth logging (a rescale, a change of desired replicas
    /// or of a condition, or every sync with `log_every_sync`).
    pub(super) fn decide(
        &mut self,
        now: f64,
        world: &World,
        ms: &MetricsServer,
        samplers: &[Sampler],
        log_every_sync: bool,
        external: &mut dyn FnMut(&str) -> MetricReading,
    ) -> Option<Box<Decision>> {
        self.name_pods(world.pods());
        self.learn_shapes(world);
        let mut obs = (self.obs.take()).expect("the observation is put back after every sync");
        obs.now = now;
        // The scale subresource as read: its counts, no error nor selector problem.
        // Every field named, so that a new one cannot be left from the last sync.
        let ScaleObservation {
            spec_replicas,
            status_replicas,
            get_error,
            selector_problem,
            update_error,
        } = &mut obs.scale;
        *spec_replicas = world.pods().spec_replicas();
        *status_replicas = world.pods().status_replicas();
        (*get_error, *selector_problem, *update_error) = (None, None, None);
        let mut usages = (self.reads_resources() && ms.serving(now))
            .then(|| Self::usage_buffer(&mut obs.metrics));
        let viewed = usages.is_some() && self.view_proposals(now, world, ms, &obs.scale);
        if viewed {
            // The core reads neither the pods nor the resource metrics' reading: every metric
            // that would has its proposal (`obs.pods` keeps the last list, and its token).
            if let Some(u) = usages.as_mut() {
                u.clear();
            }
        } else {
            self.given.clear();
            if self.observe_pods(world, &mut obs.pods, usages.as_mut().map(|u| (ms, u))) {
                self.pods_token = PodListToken::new();
            }
        }
        self.readings(now, samplers, external, usages, &mut obs.metrics);
        let token = Some(self.pods_token);
        let (spec, settings, given) = (&self.spec, &self.settings, &mut self.given);
        let reuse = self.older.take();
        let d = reconcile_listed(spec, settings, &mut self.memory, &obs, token, given, reuse);
        self.obs = Some(obs);
        let period = self.sync_period();
        self.stats.syncs += 1;
        if d.rescale {
            self.stats.rescales += 1;
            if d.desired_replicas > d.current_replicas {
                self.stats.scale_ups += 1;
            } else {
                self.stats.scale_downs += 1;
            }
        }
        if let Some(l) = d.limit.as_ref().filter(|l| l.to != l.from) {
            // `Decision::limited_by`, spelled into a reused buffer.
            let text = &mut self.limit_text;
            text.clear();
            text.push_str(l.reason.text());
            if let Some(b) = &l.bound_by {
                text.push_str(": ");
                text.push_str(b);
            }
            let key = limit_key(text, &self.settings);
            if !add_seconds(&mut self.stats.limited_seconds, &key, period) {
                self.stats.limited_seconds.insert(key.into_owned(), period);
            }
        }
        if let Some(s) = &d.stabilization
            && s.to != s.from
        {
            let key = s.window.as_deref().unwrap_or(s.reason.text());
            // Drop the per-sync detail "(highest recent recommendation N)".
            let key = key.split(" (").next().unwrap_or(key);
            if !add_seconds(&mut self.stats.stabilized_seconds, key, period) {
                self.stats
                    .stabilized_seconds
                    .insert(key.to_string(), period);
            }
        }
        if let Some(c) = d
            .conditions
            .iter()
            .find(|c| c.condition_type == ConditionType::ScalingActive)
            && c.status == ConditionStatus::False
        {
            *self
                .stats
                .inactive_seconds
                .entry(c.reason.to_string())
                .or_default() += period;
        }
        record_limits(&mut self.stats.limits, &d, &self.settings, now, period);
        let changed = d.rescale
            || self.last.as_ref().is_none_or(|prev| {
                prev.desired_replicas != d.desired_replicas
                    || prev.conditions.len() != d.conditions.len()
                    || prev.conditions.iter().zip(&d.conditions).any(|(a, b)| {
                        a.condition_type != b.condition_type
                            || a.status != b.status
                            || a.reason != b.reason
                    })
            });
        let logged = (changed || log_every_sync).then(|| d.clone());
        self.older = self.last.replace(d);
        logged
    }

    /// Numeric value of metric `i` as the HPA last saw it, in the target's unit (percent for
    /// Utilization, otherwise the value). None before the first sync, or when the last sync
    /// computed no value for it (metric unavailable, or scaling disabled at zero replicas).
    pub(super) fn seen(&self, i: usize) -> Option<f64> {
        let cv = self.last.as_ref()?.metrics.get(i)?.current_value?;
        cv.average_utilization
            .map(|u| u as f64)
            .or(cv.average_value_milli.map(|v| v as f64 / 1000.0))
            .or(cv.value_milli.map(|v| v as f64 / 1000.0))
    }

    /// Did the last sync fail to read metric `i`? (`false` before the first sync.)
    pub(super) fn failed(&self, i: usize) -> bool {
        self.last
            .as_ref()
            .and_then(|d| d.metrics.get(i))
            .is_some_and(|m| m.error.is_some())
    }

    /// The target of metric `i` as the spec sets it (percent for Utilization).
    pub(super) fn target(&self, i: usize) -> Option<f64> {
        self.column_facts.get(i)?.0
    }

    /// Short column names for the HPA's metrics (`cpu`, `http_requests_per_second`, …).
    pub(super) fn metric_labels(&self) -> &[String] {
        &self.labels
    }

    /// The signal behind metric `i` when it is bound to one (for its "true value" column), and
    /// its scale.
    pub(super) fn bound_signal(&self, i: usize, samplers: &[Sampler]) -> Option<(Signal, f64)> {
        match self.feeds.get(i)? {
            Feed::Sampler { sampler, scale, .. } => {
                Some((samplers[*sampler].signal.clone(), *scale))
            }
            _ => None,
        }
    }

    /// The External metric KEDA's adapter serves for metric `i`, when it is one.
    pub(super) fn keda_metric(&self, i: usize) -> Option<&str> {
        match self.feeds.get(i)? {
            Feed::Keda(name) => Some(name),
            _ => None,
        }
    }

    /// The unit of metric `i` as the HPA compares it with its target, for chart axes:
    /// `% of CPU request`, `CPU cores per pod`, a bound signal's unit (`requests/s per
    /// replica`), or for a metric KEDA serves its trigger's (`lag per replica`, `messages per
    /// replica`, `desired replicas per replica`).
    pub(super) fn metric_unit(
        &self,
        i: usize,
        samplers: &[Sampler],
        keda: Option<&super::keda_driver::ScaledObjectDriver>,
    ) -> String {
        let metrics = self.spec.metrics_or_default();
        let Some(m) = metrics.get(i) else {
            return "value".into();
        };
        if let MetricSpec::Resource { name, target }
        | MetricSpec::ContainerResource { name, target, .. } = m
        {
            let (what, unit) = match name.as_str() {
                "cpu" => ("CPU", "CPU cores"),
                "memory" => ("memory", "bytes"),
                other => (other, other),
            };
            return match target.average_utilization {
                Some(_) => format!("% of {what} request"),
                None => format!("{unit} per pod"),
            };
        }
        let base = match self.feeds.get(i) {
            Some(Feed::Sampler { sampler, scale, .. }) => {
                super::keda_driver::scaled_unit(&samplers[*sampler].signal, *scale)
            }
            Some(Feed::Keda(name)) => {
                keda.map_or("value".into(), |k| k.metric_unit(name, samplers))
            }
            _ => "value".into(),
        };
        match self.metric_norm(i) {
            MetricNorm::Total => base,
            MetricNorm::PerReplica => format!("{base} per replica"),
            MetricNorm::PerReadyPod => format!("{base} per pod"),
        }
    }

    /// How the HPA turns metric `i`'s total into the value it compares with the target.
    pub(super) fn metric_norm(&self, i: usize) -> MetricNorm {
        self.column_facts
            .get(i)
            .map_or(MetricNorm::Total, |&(_, norm)| norm)
    }
}

/// Per metric of `spec`, its target (percent for Utilization) and how the HPA turns its total
/// into the value it compares with the target (see [`HpaDriver::column_facts`]).
fn column_facts(spec: &HpaSpec) -> Vec<(Option<f64>, MetricNorm)> {
    let metrics = spec.metrics_or_default();
    (0..metrics.len())
        .map(|i| (spec_target(&metrics, i), spec_norm(&metrics, i)))
        .collect()
}

/// The target of metric `i` of `metrics` (percent for Utilization).
fn spec_target(metrics: &[MetricSpec], i: usize) -> Option<f64> {
    let target = metrics.get(i)?.target()?;
    target
        .average_utilization
        .map(|u| u as f64)
        .or(target.average_value.map(|q| q.as_f64()))
        .or(target.value.map(|q| q.as_f64()))
}

/// How the HPA turns the total of metric `i` of `metrics` into the value it compares with the
/// target.
fn spec_norm(metrics: &[MetricSpec], i: usize) -> MetricNorm {
    match metrics.get(i) {
        Some(MetricSpec::Pods { .. }) => MetricNorm::PerReadyPod,
        Some(MetricSpec::External { target, .. } | MetricSpec::Object { target, .. })
            if target.average_value.is_some() =>
        {
            MetricNorm::PerReplica
        }
        _ => MetricNorm::Total,
    }
}

/// The pod's status as the API server reports it, written into its observation: phase, the
/// `PodReady` condition with its true `lastTransitionTime`, deletion and `status.startTime`
/// (see [`HpaDriver::observe_pod`]).
fn observe_status(o: &mut PodObservation, p: &Pod) {
    o.set_status(pod_status(p));
}

/// The walk of [`HpaDriver::viewed_pods`]: one step per pod, inlined into the one pass that
/// reads it.
struct ViewedPods<'a> {
    ids: std::slice::Iter<'a, u32>,
    set: &'a PodSet,
    driver: &'a HpaDriver,
    ms: &'a MetricsServer,
}

impl<'a> Iterator for ViewedPods<'a> {
    type Item = PassPod<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<PassPod<'a>> {
        loop {
            let id = *self.ids.next()?;
            let p = self.set.get(id);
            if p.job {
                continue;
            }
            let d = self.driver;
            return Some(PassPod {
                status: pod_status(p),
                requests: &d.templates[p.revision as usize],
                name: &d.names[id as usize],
                usage: d.resource_usage(self.ms, p),
            });
        }
    }
}

/// The status of pod `p` as the API server reports it (see [`observe_status`]).
#[inline]
fn pod_status(p: &Pod) -> PodStatus {
    let not_ready = (ConditionStatus::False, p.ready_transition);
    let (phase, ready) = match p.state {
        PodState::Pending => (PodPhase::Pending, Some(not_ready)),
        PodState::Starting => (PodPhase::Running, Some(not_ready)),
        PodState::Ready | PodState::Terminating => (
            PodPhase::Running,
            Some(if p.ready_at.is_some() {
                (ConditionStatus::True, p.ready_transition)
            } else {
                not_ready
            }),
        ),
        PodState::Gone => (PodPhase::Succeeded, None),
    };
    PodStatus {
        phase,
        ready: ready.map(|(status, t)| ReadyCondition {
            status,
            last_transition_time: t,
        }),
        deleting: p.state == PodState::Terminating,
        start_time: Some(p.start_time),
    }
}

/// How a metric's total becomes the value the HPA compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MetricNorm {
    /// Compared as it is (a `Value` target).
    Total,
    /// Divided by the workload's replicas (`scale.status.replicas`): External and Object
    /// metrics with an `AverageValue` target.
    PerReplica,
    /// Averaged over the pods that report it (Ready pods): Pods metrics.
    PerReadyPod,
}

/// A limit described without the numbers that change every sync, so the summary adds up the
/// time per rule: `legacy scale-up cap max(2×6, 4) = 12` → `legacy scale-up cap max(2×current, 4)`,
/// with the scenario's `legacy_scale_up_limit_factor` and `legacy_scale_up_limit_minimum`.
/// Note what held this decision back from adding capacity over `[now, now + period)`: the
/// maximum, a scale-up policy, the scale-up stabilization window, a metric that failed.
fn record_limits(
    limits: &mut LimitTimeline,
    d: &Decision,
    settings: &ControllerSettings,
    now: f64,
    period: f64,
) {
    let to = now + period;
    if let Some(l) = d.limit.as_ref().filter(|l| l.to != l.from) {
        let kind = match l.reason {
            Reason::TooManyReplicas => Some(LimitKind::MaxReplicas),
            Reason::ScaleUpLimit => Some(LimitKind::ScaleUpPolicy),
            _ => None,
        };
        if let Some(kind) = kind {
            let detail = l.bound_by.clone().unwrap_or_else(|| l.reason.to_string());
            limits.record(kind, limit_key(&detail, settings).into_owned(), now, to);
        }
    }
    if let Some(s) = d
        .stabilization
        .as_ref()
        .filter(|s| s.to != s.from && s.reason == Reason::ScaleUpStabilized)
    {
        let detail = s.window.clone().unwrap_or_else(|| s.reason.to_string());
        let detail = detail.split(" (").next().unwrap_or(&detail).to_string();
        limits.record(LimitKind::Stabilization, detail, now, to);
    }
    for m in d.metrics.iter().filter(|m| m.error.is_some()) {
        limits.record(LimitKind::MetricUnavailable, m.name.to_string(), now, to);
    }
}

/// Add `period` to `key`'s seconds when the map has `key` already (no allocation); false when
/// it has not.
fn add_seconds(seconds: &mut BTreeMap<String, f64>, key: &str, period: f64) -> bool {
    match seconds.get_mut(key) {
        Some(v) => {
            *v += period;
            true
        }
        None => false,
    }
}

fn limit_key<'a>(l: &'a str, settings: &ControllerSettings) -> Cow<'a, str> {
    match l.find("legacy scale-up cap") {
        Some(i) => Cow::Owned(format!(
            "{}legacy scale-up cap max({}×current, {})",
            &l[..i],
            settings.legacy_scale_up_limit_factor,
            settings.legacy_scale_up_limit_minimum
        )),
        None => Cow::Borrowed(l),
    }
}

/// `(v * 1000.0).round() as i64`: milli-units, half away from zero.
#[inline]
fn round_milli(v: f64) -> i64 {
    numeric::round_to_i64(v * 1000.0)
}

/// [`round_milli`] of a finite value (saturating), 0 for NaN and the infinities.
fn to_milli(v: f64) -> i64 {
    if v.is_finite() { round_milli(v) } else { 0 }
}

/// Where one metric of an HPA comes from: metrics-server, KEDA, a bound signal's sampler
/// (created here; Prometheus by default, served through an adapter), or nothing.
fn feed_for(
    m: &MetricSpec,
    scenario: &Scenario,
    columns: &[String],
    samplers: &mut Vec<Sampler>,
    keda_fed: bool,
) -> Result<Feed, String> {
    Ok(match m {
        MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. } => Feed::Resource,
        MetricSpec::External { metric, .. } if keda_fed => Feed::Keda(metric.name.clone()),
        MetricSpec::Pods { metric, .. }
        | MetricSpec::Object { metric, .. }
        | MetricSpec::External { metric, .. } => {
            let per_pod = matches!(m, MetricSpec::Pods { .. });
            match scenario.metric_bindings.get(&metric.name) {
                Some(b) => {
                    let binding = b.resolve(&metric.name, columns, BackendKind::Prometheus)?;
                    if per_pod && !binding.signal.has_per_pod_value() {
                        return Err(format!(
                            "Pods metric `{}` is bound to `{}`, which has no per-pod value",
                            metric.name, binding.signal
                        ));
                    }
                    samplers.push(Sampler::new(
                        binding.signal.clone(),
                        binding.timing,
                        per_pod,
                    ));
                    Feed::Sampler {
                        sampler: samplers.len() - 1,
                        per_pod,
                        scale: binding.scale,
                    }
                }
                None => Feed::Missing {
                    name: metric.name.clone(),
                    kind: Some(match m {
                        MetricSpec::Pods { .. } => "Pods",
                        MetricSpec::Object { .. } => "Object",
                        _ => "External",
                    }),
                },
            }
        }
        MetricSpec::Unknown { .. } => Feed::Missing {
            name: m.type_name().to_string(),
            kind: None,
        },
    })
}

/// What the pods of one template revision request, as the HPA's resource metrics read it.
struct PodShape {
    /// The containers (name, requests, sidecar).
    containers: Arc<[ContainerSpec]>,
    /// Pod-level requests (PodLevelResources), when the template sets any.
    pod_requests: Option<Requests>,
    /// The container that does the work (the first that is not a sidecar).
    main: usize,
}

impl PodShape {
    /// A pod of this template as the HPA lists it, before its name and status are known.
    fn template(&self) -> PodObservation {
        PodObservation {
            name: Name::from(""),
            phase: PodPhase::Running,
            ready: None,
            deleting: false,
            start_time: None,
            containers: self.containers.clone(),
            pod_requests: self.pod_requests,
            // `spec.overhead` is set by a RuntimeClass at admission, which scalesim does not model.
            overhead: None,
        }
    }

    /// The template's containers and their requests: the manifest's, else one `app`
    /// container with the scenario's requests.
    fn of(t: &PodResources) -> PodShape {
        let milli = |v: Option<f64>| v.map(|v| (v * 1000.0).round() as i64);
        let containers: Vec<ContainerSpec> = if t.containers.is_empty() {
            vec![ContainerSpec {
                name: "app".into(),
                requests: Requests {
                    cpu_milli: milli(t.cpu_request),
                    memory_milli: milli(t.memory_request),
                },
                sidecar: false,
                init: false,
            }]
        } else {
            t.containers
                .iter()
                .map(|c| ContainerSpec {
                    name: c.name.as_str().into(),
                    requests: Requests {
                        cpu_milli: c.cpu_request.map(|q| q.milli),
                        memory_milli: c.memory_request.map(|q| q.milli),
                    },
                    sidecar: c.sidecar,
                    init: false,
                })
                .collect()
        };
        PodShape {
            main: containers.iter().position(|c| !c.sidecar).unwrap_or(0),
            containers: containers.into(),
            pod_requests: t.pod_requests.map(|r| Requests {
                cpu_milli: r.cpu.map(|q| q.milli),
                memory_milli: r.memory.map(|q| q.milli),
            }),
        }
    }
}

/// Each metric of `spec` named as its time-series columns spell it: its name with every
/// character but ASCII letters and digits as `_`.
fn labels_of(spec: &HpaSpec) -> Vec<String> {
    spec.metrics_or_default()
        .iter()
        .map(|m| {
            m.name()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A value read as milli-units rounds as the library does, saturating, with 0 for NaN
        /// and the infinities (the clamped `round` it was written as).
        #[test]
        fn to_milli_is_the_clamped_library_rounding(v in proptest::num::f64::ANY) {
            let want = if v.is_finite() {
                (v * 1000.0).round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
            } else {
                0
            };
            proptest::prop_assert_eq!(to_milli(v), want);
        }
    }

    #[test]
    fn the_legacy_cap_key_uses_the_scenario_settings() {
        let settings = ControllerSettings {
            legacy_scale_up_limit_factor: 3.0,
            legacy_scale_up_limit_minimum: 5.0,
            ..Default::default()
        };
        assert_eq!(
            limit_key(
                "ScaleUpLimit: legacy scale-up cap max(3×6, 5) = 18",
                &settings
            ),
            "ScaleUpLimit: legacy scale-up cap max(3×current, 5)"
        );
        assert_eq!(
            limit_key(
                "ScaleUpLimit: legacy scale-up cap max(2×6, 4) = 12",
                &ControllerSettings::default()
            ),
            "ScaleUpLimit: legacy scale-up cap max(2×current, 4)"
        );
        assert_eq!(
            limit_key("TooManyReplicas: maxReplicas 10", &settings),
            "TooManyReplicas: maxReplicas 10"
        );
    }
}
