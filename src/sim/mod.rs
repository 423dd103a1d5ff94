//! One simulation run: the world (data plane), the metrics pipeline and the autoscalers,
//! advanced together in simulated time. The run loop takes the earliest of the world's next
//! event and the control plane's next event; at equal instants the world goes first, so a
//! controller acting at t sees everything that happened up to and including t.

mod changes;
mod control_plane;
mod event_json;
mod event_log;
pub(crate) mod figures;
mod hpa_driver;
mod keda_driver;
pub(crate) mod metric_columns;
mod missing;
mod scrape_times;
pub(crate) mod series_stats;
pub(crate) mod slo;
pub(crate) mod summary;
pub(crate) mod verdict;

use crate::engine::{Agenda, key_time};
use crate::error::{InputError, Location};
use crate::hpa::{Decision, MetricReading};
use crate::metrics::{MetricsServer, Sampler};
use crate::record::{Distribution, RequestTotals, RowSink, Series};
use crate::settings::Scenario;
use crate::world::{NodeEvent, PodEvent, World, WorldConfig};
pub(crate) use event_log::{DecisionLog, LISTED_CAP};
use event_log::{Destination, EventLog};
use hpa_driver::HpaDriver;
use keda_driver::{ScaledJobDriver, ScaledObjectDriver};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use summary::ControlStats;
pub use summary::{ChartInfo, Summary};

/// Options of one run that are not part of the scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Log every autoscaler sync in the events, not only those that change something.
    pub log_every_sync: bool,
    /// Only the summary is wanted (sweep points): log no events (`RunResult::events` and the
    /// decision log stay empty) and skip the per-step latency quantiles of the time series. The summary is the same either way, but for the verdict's worst per-step
    /// p99 (absent).
    pub summary_only: bool,
    /// Told the simulated seconds reached, once per time-series step (for a progress display).
    pub progress: Option<ProgressHook>,
    /// Simulate autoscaler metrics that nothing feeds (no modelled signal, no `metrics:`
    /// binding) as failing, as upstream would, instead of stopping with an error.
    pub allow_missing_metrics: bool,
    /// Keep the latency histogram of every row ([`RunResult::latency_histograms`]), for the
    /// OpenMetrics export's `http_request_duration_seconds` histogram.
    pub latency_histograms: bool,
}

/// A callback told how far a run has got, in simulated seconds.
#[derive(Clone)]
pub struct ProgressHook(pub Arc<dyn Fn(f64) + Send + Sync>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

#[derive(Debug, Clone, Copy)]
enum Control {
    /// Close time-series row `row` at the end of its step.
    Sample { row: usize },
    /// A sync of hand-made HPA `i`.
    HpaSync(usize),
    /// KEDA's loop for ScaledObject `i`, of its loop epoch (ticks of an earlier epoch are
    /// dropped: an unpause restarts the loop and re-creates the HPA).
    KedaPoll(usize, u32),
    /// A sync of the HPA ScaledObject `i` generated, of its loop epoch.
    KedaHpaSync(usize, u32),
    /// KEDA's loop for ScaledJob `i`.
    JobPoll(usize),
    /// `changes[k]` of the scenario (an object created, updated or deleted).
    Change(usize),
    /// The control-plane component `faults[k]` took down starts again.
    ComponentStart(usize),
}

/// An autoscaler's decision, for `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct AutoscalerEvent {
    pub t: f64,
    pub(crate) autoscaler: String,
    pub(crate) kind: &'static str,
    pub decision: Box<Decision>,
}

/// A KEDA loop run (ScaledObject poll or ScaledJob poll), for `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct KedaEvent {
    pub t: f64,
    pub(crate) autoscaler: String,
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll: Option<Box<crate::keda::operator::PollDecision>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_poll: Option<Box<crate::keda::scaledjob::JobPollDecision>>,
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    Pod(PodEvent),
    Autoscaler(AutoscalerEvent),
    Keda(KedaEvent),
    /// A node provisioned, Ready, drained or removed (with `cluster.nodes`).
    Node(NodeEvent),
}

impl LogEvent {
    pub(crate) fn time(&self) -> f64 {
        match self {
            LogEvent::Pod(p) => p.t,
            LogEvent::Node(n) => n.t,
            LogEvent::Autoscaler(a) => a.t,
            LogEvent::Keda(k) => k.t,
        }
    }
}

/// Everything a finished run produced.
#[derive(Debug)]
pub struct RunResult {
    /// Every row of the time series, unless the rows were streamed as the run went
    /// ([`run_streaming`], or a summary-only run): then only the last few.
    pub series: Series,
    /// Whether the rows were streamed (and `series` holds only the last few).
    pub(crate) series_streamed: bool,
    /// What the summary and verdict read from the series (the backtest judges again with it).
    pub(crate) stats: series_stats::SeriesStats,
    pub totals: RequestTotals,
    pub latency: Distribution,
    pub wait: Distribution,
    /// Every logged event, unless they were streamed to a file as the run went
    /// ([`run_streaming`]); then empty.
    pub events: Vec<LogEvent>,
    /// Whether `events.jsonl` was streamed (and `events` is empty).
    pub(crate) events_streamed: bool,
    /// The decisions the report lists, kept as they were logged.
    pub(crate) decisions: DecisionLog,
    /// Each KEDA ScaledObject's activity (name, time, active) at every poll where it changed.
    pub(crate) keda_activity: Vec<(String, f64, bool)>,
    /// The latency histogram of the requests served in each row, when
    /// [`RunOptions::latency_histograms`] asked for it.
    pub(crate) latency_histograms: Option<crate::record::RowHistograms>,
    pub summary: Summary,
    pub(crate) warnings: Vec<String>,
    /// The first error writing the streamed events ([`run_streaming`] returns it).
    stream_error: Option<std::io::Error>,
}

/// Simulate a scenario: set up the world and the controllers, run the event loop to the end,
/// then summarise.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> crate::Result<RunResult> {
    let (destination, rows) = if opts.summary_only {
        // A summary-only run keeps no rows at all.
        (Destination::Discard, Rows::Stream(Vec::new()))
    } else {
        (Destination::Keep, Rows::Keep)
    };
    run_with_log(scenario, opts, EventLog::new(destination), rows)
}

/// What becomes of a run's time-series rows.
pub(crate) enum Rows<'w> {
    /// Kept, every one, in [`RunResult::series`].
    Keep,
    /// Handed to these sinks as each becomes final (after the summary's own), and dropped.
    Stream(Vec<&'w mut dyn RowSink>),
}

/// [`run`], writing each line of `events.jsonl` to `events` as the event happens instead of
/// keeping the events in memory (`name` is the file's name for errors), and the time-series
/// rows where `rows` says: streamed rows are handed to their sinks as they become final. Memory
/// then stays bounded however many events and rows the run has.
pub(crate) fn run_streaming<'w>(
    scenario: &Scenario,
    opts: &RunOptions,
    events: &'w mut dyn Write,
    name: &std::path::Path,
    rows: Rows<'w>,
) -> crate::Result<RunResult> {
    let log = EventLog::new(Destination::Stream(events));
    let mut result = run_with_log(scenario, opts, log, rows);
    if let Ok(r) = &mut result
        && let Some(e) = r.stream_error.take()
    {
        return Err(crate::Error::io(
            format!("cannot write {}", name.display()),
            e,
        ));
    }
    result
}

fn run_with_log<'w>(
    scenario: &Scenario,
    opts: &RunOptions,
    log: EventLog<'w>,
    rows: Rows<'w>,
) -> crate::Result<RunResult> {
    let mut run = Run::set_up(scenario, opts, log);
    if let Rows::Stream(sinks) = rows {
        run.stream_rows(sinks);
    }
    let missing = run.add_autoscalers()?;
    run.prepare_changes()?;
    run.metrics_server
        .set_memory_read(reads_pod_memory(scenario));
    run.plan_metric_columns();
    crate::metrics::phases::assign_scrape_phases(
        &mut run.samplers,
        scenario.metric_phases,
        scenario.seed,
    );
    run.add_truth_probes();
    if !opts.summary_only {
        run.declare_columns();
    }
    let reads_latency = run.samplers.iter().any(|s| s.signal.reads_latency());
    run.world
        .recorder_mut()
        .record_latency_buckets(reads_latency);
    let metric_units = run.metric_units();
    run.schedule_controls();
    run.plan_control_plane_faults();
    run.event_loop()?;
    Ok(run.finish(metric_units, &missing))
}

/// The state of one run: the world, the metrics pipeline, the controllers and the agenda of
/// control-plane events.
struct Run<'a, 'w> {
    scenario: &'a Scenario,
    opts: &'a RunOptions,
    trace: Arc<crate::trace::Trace>,
    world: World,
    metrics_server: MetricsServer,
    samplers: Vec<Sampler>,
    hpas: Vec<HpaDriver>,
    scaled_objects: Vec<ScaledObjectDriver>,
    scaled_jobs: Vec<ScaledJobDriver>,
    agenda: Agenda<Control>,
    /// Each sampler's next scrape and metrics-server's next act (last), beside the agenda (see
    /// [`scrape_times`]).
    scrapes: scrape_times::ScrapeTimes,
    log: EventLog<'w>,
    warnings: Vec<String>,
    end: f64,
    /// Periodic acts re-planned by a control-plane restart (`faults:`).
    restarted: control_plane::Restarted,
    change_state: changes::ChangeState,
    /// The metric columns are named after their objects (several autoscalers at once).
    columns_by_object: bool,
    /// Where each autoscaler's metric columns sit in the series.
    column_ids: metric_columns::ColumnIds,
    /// The summary's figures of the rows handed over.
    stats: series_stats::SeriesStats,
    /// Where streamed rows go besides `stats` (nothing when the rows are kept).
    sinks: Vec<&'w mut dyn RowSink>,
    streamed: bool,
}

impl<'a, 'w> Run<'a, 'w> {
    /// The world at t = 0, and metrics-server primed with a steady-state guess for the pods
    /// that were already running.
    fn set_up(scenario: &'a Scenario, opts: &'a RunOptions, log: EventLog<'w>) -> Self {
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
        if opts.summary_only {
            world.recorder_mut().skip_step_latencies();
        }
        if opts.latency_histograms {
            world.recorder_mut().keep_row_histograms();
        }
        let mut metrics_server = MetricsServer::new(
            scenario.metrics_server_resolution,
            scenario.metric_phases,
            scenario.seed,
        );
        let stats = {
            let s = world.recorder().series();
            series_stats::SeriesStats::new(s.rows, s.step)
        };
        let n0 = scenario.pods.replicas.max(1) as f64;
        let cpu0 = (trace.rate_at(0.0) * scenario.workload.cpu_per_request / n0)
            .min(world.config().cpu_capacity);
        metrics_server.prime(0.0, &world, cpu0);
        Run {
            scenario,
            opts,
            trace,
            world,
            metrics_server,
            samplers: Vec::new(),
            hpas: Vec::new(),
            scaled_objects: Vec::new(),
            scaled_jobs: Vec::new(),
            agenda: Agenda::new(),
            scrapes: scrape_times::ScrapeTimes::default(),
            log,
            warnings: scenario.warnings.clone(),
            end: scenario.duration,
            restarted: control_plane::Restarted::default(),
            change_state: changes::ChangeState::default(),
            columns_by_object: false,
            column_ids: metric_columns::ColumnIds::default(),
            stats,
            sinks: Vec::new(),
            streamed: false,
        }
    }

    /// Hold a window of rows only, handing each row to `sinks` once final. The window keeps
    /// rows for twice the longest an outcome can land behind the row being filled (a CFS
    /// stall, a flow-level interval), and at least 1,024; timeouts found later still reach
    /// the sinks as late timeouts.
    fn stream_rows(&mut self, sinks: Vec<&'w mut dyn RowSink>) {
        let step = self.scenario.step;
        let dt = self.scenario.fluid_step().unwrap_or(0.0);
        let rows_of = |s: f64| (s / step).ceil() as usize;
        let behind = rows_of(2.0 * dt.max(1.0) + 2.0 * step).max(1024);
        let ahead = rows_of(dt) + 4;
        self.world.recorder_mut().stream_rows(behind, ahead);
        self.sinks = sinks;
        self.streamed = true;
    }

    /// Hand the rows before `upto` to the summary's figures and the sinks.
    fn hand_over(&mut self, upto: usize) {
        let mut all: Vec<&mut dyn RowSink> = Vec::with_capacity(1 + self.sinks.len());
        all.push(&mut self.stats);
        for s in self.sinks.iter_mut() {
            all.push(&mut **s);
        }
        self.world.recorder_mut().hand_over(upto, &mut all);
    }

    /// Autoscalers and the metric backends they read; an error when one reads a metric nothing
    /// feeds (unless allowed), else those metrics.
    fn add_autoscalers(&mut self) -> crate::Result<Vec<missing::MissingMetric>> {
        let scenario = self.scenario;
        let config_error = |m: String| -> crate::Error {
            InputError::new(Location::file(&scenario.file).with_field("metrics"), m).into()
        };
        for loaded in &scenario.autoscalers.hpas {
            let d = HpaDriver::new(loaded, scenario, &mut self.samplers, false)
                .map_err(|m| config_error(format!("HPA {:?}: {m}", loaded.name)))?;
            for (name, _) in d.unbound_metrics() {
                self.warnings.push(format!("HPA {:?}: metric `{name}` is not bound to a signal (add it under `metrics:`); the HPA never reads it", d.name));
            }
            self.hpas.push(d);
        }
        for so in &scenario.autoscalers.scaled_objects {
            self.scaled_objects.push(
                ScaledObjectDriver::new(so, scenario, &mut self.samplers, &mut self.warnings)
                    .map_err(config_error)?,
            );
        }
        for sj in &scenario.autoscalers.scaled_jobs {
            let d = ScaledJobDriver::new(sj, scenario, &mut self.samplers, &mut self.warnings);
            self.scaled_jobs.push(d);
        }
        let missing = missing_metrics(&self.hpas, &self.scaled_objects, &self.scaled_jobs);
        if !missing.is_empty() && !self.opts.allow_missing_metrics {
            return Err(missing::error(scenario, &missing));
        }
        Ok(missing)
    }

    /// The first control-plane events: scrapes, scenario events on KEDA objects, every
    /// controller's first act, the first time-series row.
    fn schedule_controls(&mut self) {
        let (agenda, end) = (&mut self.agenda, self.end);
        // metrics-server's and the samplers' scrapes are planned beside the agenda, stamped
        // where scheduling them as events would stamp them.
        let metrics_server = self.samplers.len();
        self.scrapes = scrape_times::ScrapeTimes::new(metrics_server + 1);
        let first = self.metrics_server.first_due().min(end);
        self.scrapes.plan(metrics_server, agenda.stamp(first));
        for i in 0..self.samplers.len() {
            self.scrapes.plan(i, agenda.stamp(0.0));
        }
        // Changes to objects go first among controls at the same instant.
        for (k, c) in self.scenario.changes.iter().enumerate() {
            agenda.schedule(c.at, Control::Change(k));
        }
        // Every controller acts at once when it appears (t = 0), then on its own period; KEDA's
        // loop goes before the HPA it generates (whose sync keeps its period while the HPA is
        // deleted by a pause, so it resumes when unpaused).
        for i in 0..self.scaled_objects.len() {
            agenda.schedule(0.0, Control::KedaPoll(i, 0));
            agenda.schedule(0.0, Control::KedaHpaSync(i, 0));
        }
        for i in 0..self.scaled_jobs.len() {
            agenda.schedule(0.0, Control::JobPoll(i));
        }
        for i in 0..self.hpas.len() {
            agenda.schedule(0.0, Control::HpaSync(i));
        }
        agenda.schedule(self.scenario.step.min(end), Control::Sample { row: 0 });
    }

    /// The earliest of the world's next event and the next control event (an agenda event or
    /// a sampler's scrape, in the order of their keys), until the end; at equal instants the
    /// world goes first.
    ///
    /// Out of line on purpose: inlined into [`run_with_log`] it changed the request path's
    /// code layout and made `http50` about 2.5 % slower (see docs/performance.md, "Request
    /// level").
    #[inline(never)]
    fn event_loop(&mut self) -> crate::Result<()> {
        loop {
            let tw = self.world.next_time();
            let tc = self.agenda.next_time().min(self.scrapes.next_time());
            if tw.min(tc) > self.end {
                break;
            }
            if tw <= tc {
                // Data-plane events up to the next control event (or the end), in one tight loop.
                self.world.run_until(tc.min(self.end));
                continue;
            }
            drain_world_events(&mut self.world, &mut self.log);
            // Which of the two comes first, by key when they fall at the same instant.
            let (scrape, slot) = self.scrapes.next();
            if scrape < self.agenda.next_key() {
                let now = key_time(scrape);
                if slot < self.samplers.len() {
                    self.on_sampler_scrape(now, slot);
                } else {
                    self.on_metrics_server_due(now, slot);
                }
                continue;
            }
            let Some((now, ev)) = self.agenda.pop() else {
                break;
            };
            self.on_control(now, ev)?;
        }
        Ok(())
    }

    /// What metrics-server has due at `now` (a kubelet collection read, a scrape), then its
    /// next (`slot`: its place among the scrapes).
    fn on_metrics_server_due(&mut self, now: f64, slot: usize) {
        let next = self.metrics_server.on_due(now, &mut self.world);
        self.scrapes.plan(slot, self.agenda.stamp(next));
    }

    /// Sampler `sampler`'s scrape at `now`, then its next.
    fn on_sampler_scrape(&mut self, now: f64, sampler: usize) {
        let s = &mut self.samplers[sampler];
        s.scrape(now, &mut self.world, &self.trace);
        let next = s.next_scrape(now);
        self.scrapes.plan(sampler, self.agenda.stamp(next));
    }

    fn on_control(&mut self, now: f64, ev: Control) -> crate::Result<()> {
        match ev {
            Control::Sample { row } => self.on_sample(now, row),
            Control::HpaSync(i) => self.on_hpa_sync(now, i),
            Control::KedaPoll(i, epoch) => self.on_keda_poll(now, i, epoch),
            Control::KedaHpaSync(i, epoch) => self.on_keda_hpa_sync(now, i, epoch),
            Control::Change(k) => self.on_change(now, k)?,
            Control::JobPoll(i) => self.on_job_poll(now, i),
            Control::ComponentStart(k) => self.on_component_start(now, k),
        }
        Ok(())
    }

    /// Close time-series row `row`: the world's gauges, the desired replicas, the metric columns.
    fn on_sample(&mut self, now: f64, row: usize) {
        self.world.sample(now, row);
        let desired = if let Some(j) = self.scaled_jobs.first() {
            j.running(&self.world)
        } else {
            self.shown_hpa()
                .and_then(|d| d.last.as_ref())
                .filter(|_| self.world.pods().spec_replicas() > 0)
                .map_or(self.world.pods().spec_replicas(), |d| {
                    d.status_desired_replicas
                })
        };
        let s = self.world.recorder_mut().series_mut();
        let i = s.slot(row);
        s.desired_replicas[i] = desired;
        if let Some(hook) = &self.opts.progress {
            (hook.0)(now);
        }
        // The metric columns feed timeseries.csv and the charts only.
        if !self.opts.summary_only {
            self.record_metric_columns(row, now);
            self.record_fault_columns(row, now);
        }
        if row + 1 < self.world.recorder().series().rows {
            self.agenda.schedule(
                ((row + 2) as f64 * self.scenario.step).min(self.end),
                Control::Sample { row: row + 1 },
            );
        }
        if let Some(upto) = self.world.recorder().hand_over_due(row) {
            self.hand_over(upto);
        }
    }

    /// A sync of hand-made HPA `i`, then the next on its period.
    fn on_hpa_sync(&mut self, now: f64, i: usize) {
        if self.change_state.hpa_deleted(i) || self.hpa_sync_held(now, i) {
            return;
        }
        self.sync_hand_made_hpa(now, i);
        let next = now + self.hpas[i].sync_period();
        self.agenda.schedule(next, Control::HpaSync(i));
    }

    /// One sync of hand-made HPA `i` at `now`, logged.
    fn sync_hand_made_hpa(&mut self, now: f64, i: usize) {
        let no_external = &mut |_: &str| {
            MetricReading::Error("no external metrics adapter for this metric".into())
        };
        let d = &mut self.hpas[i];
        let logged = d.sync(
            now,
            &mut self.world,
            &self.metrics_server,
            &self.samplers,
            self.opts.log_every_sync,
            no_external,
        );
        if let Some(decision) = logged {
            self.log.push(LogEvent::Autoscaler(AutoscalerEvent {
                t: now,
                autoscaler: d.name.clone(),
                kind: "HorizontalPodAutoscaler",
                decision,
            }));
        }
    }

    /// KEDA's loop for ScaledObject `i`.
    fn on_keda_poll(&mut self, now: f64, i: usize, epoch: u32) {
        let so = &mut self.scaled_objects[i];
        if so.is_deleted() || epoch != so.loop_epoch {
            return;
        }
        if self.keda_poll_held(now, i, epoch) {
            return;
        }
        let so = &mut self.scaled_objects[i];
        let poll = so.poll(now, &mut self.world, &self.samplers);
        let changed = !matches!(
            poll.decision.action,
            crate::keda::executor::ScaleAction::None
        );
        // Every poll updates the remembered state (a short-circuit here left it stale
        // after a scaling poll, and the next poll logged a change that was none).
        let state_changed = so.state_changed(&poll);
        if changed || self.opts.log_every_sync || state_changed {
            self.log.push(LogEvent::Keda(KedaEvent {
                t: now,
                autoscaler: so.name.clone(),
                kind: "ScaledObject",
                poll: Some(Box::new(poll)),
                job_poll: None,
            }));
        }
        self.agenda
            .schedule(now + so.polling_interval(), Control::KedaPoll(i, epoch));
    }

    /// A sync of the HPA ScaledObject `i` generated, then the next on its period (kept while
    /// a pause has deleted the HPA, so it resumes when unpaused).
    fn on_keda_hpa_sync(&mut self, now: f64, i: usize, epoch: u32) {
        if epoch != self.scaled_objects[i].hpa_epoch || self.keda_hpa_sync_held(now, i, epoch) {
            return;
        }
        let period = match self.sync_keda_hpa(now, i) {
            Some(period) => period,
            None if self.scaled_objects[i].is_deleted() => return,
            None => self.scaled_objects[i].hpa_sync_period(),
        };
        self.agenda
            .schedule(now + period, Control::KedaHpaSync(i, epoch));
    }

    /// One sync at `now` of the HPA ScaledObject `i` generated, logged; its sync period, or
    /// `None` when the HPA does not exist (paused or deleted).
    fn sync_keda_hpa(&mut self, now: f64, i: usize) -> Option<f64> {
        let so = &mut self.scaled_objects[i];
        let mut hpa = so.hpa.take()?;
        let logged = {
            let w: &World = &self.world;
            let samplers = &self.samplers;
            let faults = &self.scenario.faults;
            let mut external = |metric: &str| {
                control_plane::external_outage(faults, now)
                    .unwrap_or_else(|| so.external_metric(now, metric, w, samplers))
            };
            hpa.decide(
                now,
                w,
                &self.metrics_server,
                samplers,
                self.opts.log_every_sync,
                &mut external,
            )
        };
        hpa.apply(now, &mut self.world);
        if let Some(decision) = logged {
            self.log.push(LogEvent::Autoscaler(AutoscalerEvent {
                t: now,
                autoscaler: hpa.name.clone(),
                kind: "HorizontalPodAutoscaler (generated by KEDA)",
                decision,
            }));
        }
        let period = hpa.sync_period();
        so.hpa = Some(hpa);
        Some(period)
    }

    /// KEDA's loop for ScaledJob `i`.
    fn on_job_poll(&mut self, now: f64, i: usize) {
        if self.change_state.job_stopped(i) || self.job_poll_held(now, i) {
            return;
        }
        let sj = &mut self.scaled_jobs[i];
        let d = sj.poll(now, &mut self.world, &self.samplers);
        if d.jobs_to_create > 0 || self.opts.log_every_sync {
            self.log.push(LogEvent::Keda(KedaEvent {
                t: now,
                autoscaler: sj.name.clone(),
                kind: "ScaledJob",
                poll: None,
                job_poll: Some(Box::new(d)),
            }));
        }
        self.agenda
            .schedule(now + sj.polling_interval(), Control::JobPoll(i));
    }

    /// The world's last events, the controllers' statistics and the summary.
    fn finish(
        mut self,
        metric_units: BTreeMap<String, String>,
        missing: &[missing::MissingMetric],
    ) -> RunResult {
        let scenario = self.scenario;
        self.world.finish(self.end);
        drain_world_events(&mut self.world, &mut self.log);
        let rows = self.world.recorder().series().rows;
        self.hand_over(rows);
        let mut hpa_stats: Vec<_> = self.hpas.iter().map(|d| d.stats.clone()).collect();
        hpa_stats.extend(self.scaled_objects.iter().filter_map(|s| s.hpa_stats()));
        let keda_stats = self
            .scaled_objects
            .iter()
            .map(|s| s.stats.clone())
            .chain(self.scaled_jobs.iter().map(|s| s.stats.clone()))
            .collect();
        let chart = ChartInfo::new(scenario, metric_units);
        let never_read = missing.iter().map(|m| m.never_read()).collect();
        let control = ControlStats {
            hpa: hpa_stats,
            keda: keda_stats,
            never_read,
        };
        let summary = Summary::build(
            scenario,
            &self.world,
            &self.stats,
            control,
            &self.warnings,
            chart,
        );
        let records = self.world.into_records();
        RunResult {
            series: records.series,
            series_streamed: self.streamed,
            stats: self.stats,
            totals: records.totals,
            latency: records.latency,
            wait: records.wait,
            events_streamed: self.log.streamed(),
            stream_error: self.log.take_error(),
            events: self.log.all,
            decisions: self.log.decisions,
            keda_activity: self.log.keda_activity,
            latency_histograms: records.row_histograms,
            summary,
            warnings: self.warnings,
        }
    }
}

/// Every metric the autoscalers ask for that nothing feeds.
fn missing_metrics(
    hpas: &[HpaDriver],
    scaled_objects: &[ScaledObjectDriver],
    scaled_jobs: &[ScaledJobDriver],
) -> Vec<missing::MissingMetric> {
    let mut out: Vec<missing::MissingMetric> = hpas
        .iter()
        .flat_map(|d| {
            d.unbound_metrics()
                .into_iter()
                .map(|(name, kind)| missing::MissingMetric::hpa(&d.name, &name, kind))
        })
        .collect();
    out.extend(scaled_objects.iter().flat_map(|s| s.missing_metrics()));
    out.extend(scaled_jobs.iter().flat_map(|s| s.missing_metrics()));
    out
}

/// Does an autoscaler of the scenario, at the start or brought by a change, read a resource
/// other than CPU through the resource metrics API (a hand-made HPA's Resource or
/// ContainerResource metric, a ScaledObject's memory trigger)? Only then are the pods' memory
/// figures worked out at metrics-server's reads.
fn reads_pod_memory(scenario: &Scenario) -> bool {
    use crate::hpa::{HpaSpec, MetricSpec};
    use crate::keda::ScaledObjectModel;
    use crate::settings::changes::ChangeAction;
    let hpa_reads = |spec: &HpaSpec| {
        spec.metrics.iter().any(|m| {
            matches!(m, MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } if name != "cpu")
        })
    };
    let keda_reads = |so: &ScaledObjectModel| {
        (so.hpa.metrics.iter()).any(|m| m.resource.as_deref().is_some_and(|r| r != "cpu"))
    };
    let autoscalers = &scenario.autoscalers;
    autoscalers.hpas.iter().any(|h| hpa_reads(&h.spec))
        || autoscalers.scaled_objects.iter().any(keda_reads)
        || scenario.changes.iter().any(|c| match &c.action {
            ChangeAction::Hpa(h) => hpa_reads(&h.spec),
            ChangeAction::ScaledObject(so) => keda_reads(so),
            _ => false,
        })
}

/// Move the world's pod and node transitions into the event log, in time order.
#[inline(always)]
fn drain_world_events(world: &mut World, log: &mut EventLog<'_>) {
    // Most control events find no transition to log.
    if world.has_events() {
        log_world_events(world, log);
    }
}

/// Log the pod and node transitions waiting in `world`, in time order.
#[inline(never)]
fn log_world_events(world: &mut World, log: &mut EventLog<'_>) {
    let (pod_events, node_events) = world.take_events();
    if node_events.is_empty() {
        pod_events
            .into_iter()
            .for_each(|e| log.push(LogEvent::Pod(e)));
        return;
    }
    let mut batch: Vec<LogEvent> = pod_events.into_iter().map(LogEvent::Pod).collect();
    batch.extend(node_events.into_iter().map(LogEvent::Node));
    // Stable: pod transitions keep their order.
    batch.sort_by(|a, b| a.time().total_cmp(&b.time()));
    batch.into_iter().for_each(|e| log.push(e));
}

/// `scenarios/node-bound-spike.yaml` (nodes, an HPA, a verdict) cut to 5 minutes.
#[cfg(test)]
pub(crate) fn short_real_scenario() -> Scenario {
    use crate::scenario::patch::{Patch, PatchTarget};
    use crate::scenario::{Overrides, Scenario};
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/node-bound-spike.yaml");
    let mut o = Overrides::default();
    o.patches.push(Patch {
        target: PatchTarget::Scenario,
        path: "duration".into(),
        value: "5m".into(),
    });
    Scenario::load(&path, &o).expect("the shipped scenario loads")
}

/// A real run for tests that need every part of a summary: [`short_real_scenario`].
#[cfg(test)]
pub(crate) fn short_real_run() -> RunResult {
    run(&short_real_scenario(), &RunOptions::default()).expect("the shipped scenario runs")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streaming events gives the lines keeping them would, and the same decision log.
    #[test]
    fn streamed_events_are_the_kept_events() {
        let scenario = short_real_scenario();
        let opts = RunOptions {
            log_every_sync: true,
            ..RunOptions::default()
        };
        let kept = run(&scenario, &opts).unwrap();
        let mut streamed_bytes = Vec::new();
        let name = std::path::Path::new("events.jsonl");
        let streamed =
            run_streaming(&scenario, &opts, &mut streamed_bytes, name, Rows::Keep).unwrap();
        let mut kept_bytes = Vec::new();
        for e in &kept.events {
            serde_json::to_writer(&mut kept_bytes, e).unwrap();
            kept_bytes.push(b'\n');
        }
        assert!(kept.events.len() > 10, "{}", kept.events.len());
        assert_eq!(
            String::from_utf8(streamed_bytes).unwrap(),
            String::from_utf8(kept_bytes).unwrap()
        );
        assert!(streamed.events.is_empty() && streamed.events_streamed);
        assert_eq!(streamed.decisions.total, kept.decisions.total);
        assert!(kept.decisions.total > 0);
        let summary_only = RunOptions {
            summary_only: true,
            ..opts
        };
        let quiet = run(&scenario, &summary_only).unwrap();
        assert!(quiet.events.is_empty() && quiet.decisions.total == 0);
    }

    /// metrics-server works out the pods' memory only for a scenario whose autoscalers read it:
    /// not for a CPU-only HPA, and as soon as one metric reads memory.
    #[test]
    fn pod_memory_is_read_only_when_an_autoscaler_reads_it() {
        use crate::hpa::{MetricSpec, MetricTarget};
        let mut scenario = short_real_scenario();
        assert!(!scenario.autoscalers.hpas.is_empty());
        assert!(!reads_pod_memory(&scenario));
        scenario.autoscalers.hpas[0]
            .spec
            .metrics
            .push(MetricSpec::resource(
                "memory",
                MetricTarget::utilization(80),
            ));
        assert!(reads_pod_memory(&scenario));
    }

    /// A failing event stream is an error naming the file, not a silent loss.
    #[test]
    fn a_failing_event_stream_is_an_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let name = std::path::Path::new("out/events.jsonl");
        let e = run_streaming(
            &short_real_scenario(),
            &RunOptions::default(),
            &mut Full,
            name,
            Rows::Keep,
        )
        .unwrap_err();
        assert!(e.to_string().contains("out/events.jsonl"), "{e}");
    }
}
