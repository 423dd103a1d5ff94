//! One simulation run: the world (data plane), the metrics pipeline and the autoscalers,
//! advanced together in simulated time. The run loop takes the earliest of the world's next
//! event and the control plane's next event; at equal instants the world goes first, so a
//! controller acting at t sees everything that happened up to and including t.

pub mod summary;

use crate::engine::Agenda;
use crate::metrics::MetricsServer;
use crate::record::{Distribution, RequestTotals, Series};
use crate::scenario::Scenario;
use crate::world::{PodEvent, World, WorldConfig};
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
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    Pod(PodEvent),
}

impl LogEvent {
    pub fn time(&self) -> f64 {
        match self {
            LogEvent::Pod(p) => p.t,
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

/// Simulate a scenario.
pub fn run(scenario: &Scenario, _opts: &RunOptions) -> crate::Result<RunResult> {
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
    let warnings = scenario.warnings.clone();

    // Steady-state guess for the pods that were already running at t = 0.
    let n0 = scenario.pods.replicas.max(1) as f64;
    let cpu0 =
        (trace.rate_at(0.0) * scenario.workload.cpu_per_request / n0).min(world.cfg.cpu_capacity);
    metrics_server.prime(0.0, &world, cpu0);

    let mut agenda: Agenda<Control> = Agenda::new();
    agenda.schedule(metrics_server.resolution.min(end), Control::Scrape);
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
        match ev {
            Control::Sample { row } => {
                world.sample(now, row, scenario.pods.cpu_request);
                world.series.desired_replicas[row] = world.spec_replicas;
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
        }
    }
    world.finish(end);

    let events: Vec<LogEvent> = world.pod_events.drain(..).map(LogEvent::Pod).collect();
    let summary = Summary::build(scenario, &world, &events);
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
