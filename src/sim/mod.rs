//! One simulation run: the world (data plane), the metrics pipeline and the autoscalers,
//! advanced together in simulated time. The run loop takes the earliest of the world's next
//! event and the control plane's next event; at equal instants the world goes first, so a
//! controller acting at t sees everything that happened up to and including t.

pub mod hpa_driver;
pub mod summary;

use crate::engine::Agenda;
use crate::error::{InputError, Location};
use crate::hpa::Decision;
use crate::metrics::{BackendKind, BackendTiming, MetricsServer, Sampler};
use crate::record::{Distribution, RequestTotals, Series};
use crate::scenario::Scenario;
use crate::world::{PodEvent, World, WorldConfig};
use hpa_driver::HpaDriver;
use serde::Serialize;
use std::sync::Arc;
pub use summary::Summary;

/// Options of one run that are not part of the scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Log every autoscaler sync in the events, not only those that change something.
    pub log_every_sync: bool,
}

#[derive(Debug, Clone, Copy)]
enum Control {
    /// Close time-series row `row` at the end of its step.
    Sample { row: usize },
    /// metrics-server scrape.
    Scrape,
    /// A metrics backend scrape.
    SamplerScrape { sampler: usize },
    /// An HPA sync.
    HpaSync,
}

/// An autoscaler's decision, for `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct AutoscalerEvent {
    pub t: f64,
    pub autoscaler: String,
    pub kind: &'static str,
    pub decision: Box<Decision>,
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    Pod(PodEvent),
    Autoscaler(AutoscalerEvent),
}

impl LogEvent {
    pub fn time(&self) -> f64 {
        match self {
            LogEvent::Pod(p) => p.t,
            LogEvent::Autoscaler(a) => a.t,
        }
    }
}

/// Everything a finished run produced.
#[derive(Debug)]
pub struct RunResult {
    pub series: Series,
    pub totals: RequestTotals,
    pub latency: Distribution,
    pub wait: Distribution,
    pub events: Vec<LogEvent>,
    pub summary: Summary,
    pub warnings: Vec<String>,
}

/// The "true value" of an autoscaler metric, read exactly each step for the charts.
struct TruthProbe {
    column: String,
    sampler: usize,
    per_pod: bool,
    scale: f64,
}

/// Simulate a scenario.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> crate::Result<RunResult> {
    let trace = Arc::new(scenario.trace.clone());
    let cfg = WorldConfig::from_scenario(scenario);
    let mut world = World::new(
        cfg,
        trace.clone(),
        scenario.seed,
        scenario.duration,
        scenario.step,
        scenario.pods.replicas,
    );
    let mut metrics_server = MetricsServer::new(scenario.metrics_server_resolution);
    let end = scenario.duration;
    let mut warnings = scenario.warnings.clone();
    let mut events: Vec<LogEvent> = Vec::new();

    // Steady-state guess for the pods that were already running at t = 0.
    let n0 = scenario.pods.replicas.max(1) as f64;
    let cpu0 =
        (trace.rate_at(0.0) * scenario.workload.cpu_per_request / n0).min(world.cfg.cpu_capacity);
    metrics_server.prime(0.0, &world, cpu0);

    // Autoscalers and the metric backends they read.
    let mut samplers: Vec<Sampler> = Vec::new();
    let mut hpa: Option<HpaDriver> = match scenario.autoscalers.hpas.first() {
        Some(loaded) => {
            let d = HpaDriver::new(loaded, scenario, &mut samplers).map_err(|m| {
                InputError::new(
                    Location::file(&scenario.file).with_field("metrics"),
                    format!("HPA {:?}: {m}", loaded.name),
                )
            })?;
            for name in d.unbound_metrics() {
                warnings.push(format!(
                    "HPA {:?}: metric `{name}` is not bound to a signal (add it under `metrics:`); the HPA sees it fail",
                    d.name
                ));
            }
            Some(d)
        }
        None => None,
    };
    let mut probes: Vec<TruthProbe> = Vec::new();
    if let Some(d) = &hpa {
        for (i, label) in d.metric_labels().into_iter().enumerate() {
            if let Some((signal, per_pod, scale)) = d.bound_signal(i, &samplers) {
                let timing = BackendTiming {
                    kind: BackendKind::Direct,
                    interval: scenario.step.min(1.0),
                    window: 30.0,
                    delay: 0.0,
                };
                samplers.push(Sampler::new(signal, timing, false));
                probes.push(TruthProbe {
                    column: format!("metric_{label}_true"),
                    sampler: samplers.len() - 1,
                    per_pod,
                    scale,
                });
            }
        }
    }

    let mut agenda: Agenda<Control> = Agenda::new();
    agenda.schedule(metrics_server.resolution.min(end), Control::Scrape);
    for (i, s) in samplers.iter().enumerate() {
        agenda.schedule(0.0, Control::SamplerScrape { sampler: i });
        let _ = s;
    }
    if hpa.is_some() {
        // A new HPA is reconciled at once, then every sync period.
        agenda.schedule(0.0, Control::HpaSync);
    }
    agenda.schedule(scenario.step.min(end), Control::Sample { row: 0 });

    loop {
        let tw = world.next_time();
        let tc = agenda.next_time();
        if tw.min(tc) > end {
            break;
        }
        if tw <= tc {
            world.step();
            continue;
        }
        let Some((now, ev)) = agenda.pop() else { break };
        events.extend(world.pod_events.drain(..).map(LogEvent::Pod));
        match ev {
            Control::Sample { row } => {
                world.sample(now, row, scenario.pods.cpu_request);
                let desired = hpa
                    .as_ref()
                    .and_then(|d| d.last.as_ref())
                    .map_or(world.spec_replicas, |d| d.status_desired_replicas);
                world.series.desired_replicas[row] = desired;
                if let Some(d) = &hpa {
                    record_metric_columns(d, &mut world, row, now, &samplers, &probes);
                }
                if row + 1 < world.series.rows {
                    agenda.schedule(
                        ((row + 2) as f64 * scenario.step).min(end),
                        Control::Sample { row: row + 1 },
                    );
                }
            }
            Control::Scrape => {
                metrics_server.scrape(now, &mut world);
                agenda.schedule(now + metrics_server.resolution, Control::Scrape);
            }
            Control::SamplerScrape { sampler } => {
                let s = &mut samplers[sampler];
                s.scrape(now, &mut world, &trace);
                agenda.schedule(now + s.timing.interval, Control::SamplerScrape { sampler });
            }
            Control::HpaSync => {
                if let Some(d) = hpa.as_mut() {
                    let (decision, log) = d.sync(
                        now,
                        &mut world,
                        &metrics_server,
                        &samplers,
                        opts.log_every_sync,
                    );
                    if log {
                        events.push(LogEvent::Autoscaler(AutoscalerEvent {
                            t: now,
                            autoscaler: d.name.clone(),
                            kind: "HorizontalPodAutoscaler",
                            decision: Box::new(decision),
                        }));
                    }
                    agenda.schedule(now + d.sync_period(), Control::HpaSync);
                }
            }
        }
    }
    world.finish(end);
    events.extend(world.pod_events.drain(..).map(LogEvent::Pod));

    let hpa_stats = hpa.as_ref().map(|d| d.stats.clone());
    let summary = Summary::build(scenario, &world, hpa_stats, &warnings);
    Ok(RunResult {
        series: world.series,
        totals: world.totals,
        latency: world.latency,
        wait: world.wait,
        events,
        summary,
        warnings,
    })
}

/// Write the HPA's metrics as it saw them, their targets, and their true values into the series.
fn record_metric_columns(
    d: &HpaDriver,
    world: &mut World,
    row: usize,
    now: f64,
    samplers: &[Sampler],
    probes: &[TruthProbe],
) {
    for (i, label) in d.metric_labels().into_iter().enumerate() {
        if let Some((seen, target)) = d.seen_and_target(i) {
            world.series.extra_column(&format!("metric_{label}_seen"))[row] = seen;
            world.series.extra_column(&format!("metric_{label}_target"))[row] = target;
        }
        if label == "cpu" {
            let true_util = world.series.cpu_utilization[row];
            world.series.extra_column("metric_cpu_true")[row] = true_util;
        }
    }
    let running = world.counts.ready.max(1) as f64;
    for p in probes {
        if let Ok(v) = samplers[p.sampler].total(now) {
            let v = v * p.scale / if p.per_pod { running } else { 1.0 };
            world.series.extra_column(&p.column)[row] = v;
        }
    }
}
