//! `scalesim run SCENARIO` (or `run --manifest FILE --trace FILE`, the one-command form):
//! simulate one scenario and write its outputs (CSV, JSON, and unless `--no-charts`, the charts
//! and the HTML report).

use super::progress::Progress;
use super::shared::{OverwriteOption, QuietOption, ScenarioOptions};
use crate::backtest::{self, BacktestRows, ObservedSeries};
use crate::export::openmetrics::{self, OpenMetricsWriter};
use crate::output::OutputDir;
use crate::report;
use crate::scenario::compose::{self, ComposeInput, WorkloadKind};
use crate::scenario::patch::{Patch, PatchTarget};
use crate::scenario::{Overrides, Scenario};
use crate::sim::{self, ProgressHook, RunOptions};
use crate::yaml::Source;
use clap::Args;
use std::path::{Path, PathBuf};

/// `--workload` of a one-command run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum WorkloadArg {
    Http,
    Queue,
}

/// `--export`: other formats a run can also be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// openmetrics.txt: the run under kube-state-metrics' and KEDA's metric names.
    Openmetrics,
}

impl ExportFormat {
    /// The file the format is written to, in the run's folder.
    fn file(self) -> &'static str {
        match self {
            ExportFormat::Openmetrics => openmetrics::FILE,
        }
    }
}

/// What a one-command run (no scenario file) and `init` take besides the manifests.
#[derive(Debug, Args, Default)]
pub(crate) struct ServiceArgs {
    /// The load trace (CSV, Prometheus `query_range` JSON or a request log): with --manifest,
    /// simulates your autoscaler without a scenario file.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// Time one request (or message) takes to serve, e.g. 80ms (default: assumed 100ms, said
    /// as a warning).
    #[arg(long, value_name = "DURATION", requires = "trace")]
    pub(crate) service_time: Option<String>,
    /// Requests (or messages) in service at once per pod (default: assumed 1).
    #[arg(long, value_name = "N", requires = "trace")]
    pub(crate) concurrency: Option<u32>,
    /// http (requests balanced to pods) or queue (a shared backlog); default: from the
    /// autoscaler's triggers.
    #[arg(long, value_enum, requires = "trace")]
    pub(crate) workload: Option<WorkloadArg>,
    /// Simulated time, e.g. 6h (default: the trace's span).
    #[arg(long, value_name = "DURATION", requires = "trace")]
    pub(crate) duration: Option<String>,
    /// A pod model fitted by `scalesim calibrate` (its calibration.yaml) instead of assumptions.
    #[arg(long, value_name = "FILE", requires = "trace")]
    pub(crate) calibration: Option<PathBuf>,
    /// The workload to simulate when the manifests autoscale several, by the name their
    /// autoscaler's scaleTargetRef gives it (a ScaledJob: its own name); default the first.
    #[arg(long, value_name = "NAME", requires = "trace")]
    pub(crate) target: Option<String>,
}

impl ServiceArgs {
    /// The composer's input, with these manifests.
    pub(crate) fn input(&self, manifests: &[PathBuf]) -> ComposeInput {
        ComposeInput {
            manifests: manifests.to_vec(),
            trace: self.trace.clone().unwrap_or_default(),
            service_time: self.service_time.clone(),
            concurrency: self.concurrency,
            workload: self.workload.map(|w| match w {
                WorkloadArg::Http => WorkloadKind::Http,
                WorkloadArg::Queue => WorkloadKind::Queue,
            }),
            duration: self.duration.clone(),
            calibration: self.calibration.clone(),
            target: self.target.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario file (YAML). Leave it out to run your manifests against a trace in one command:
    /// `scalesim run --manifest so.yaml --manifest deploy.yaml --trace rate.csv`.
    #[arg(required_unless_present = "trace", conflicts_with = "trace")]
    pub(crate) scenario: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) service: ServiceArgs,
    /// Output folder. Default: out/<scenario name>/ (one-command: out/<autoscaler name>/)
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) scenario_options: ScenarioOptions,
    /// Log every autoscaler sync in events.jsonl, not only the ones that change something.
    #[arg(long)]
    pub(crate) log_every_sync: bool,
    /// Simulate a hand-made HPA beside a ScaledObject on the same workload, both writing the
    /// replica count (as on clusters whose KEDA predates its admission check).
    #[arg(long)]
    pub(crate) allow_conflicts: bool,
    /// Also write the run as FORMAT: `openmetrics` writes openmetrics.txt, timestamped series
    /// under kube-state-metrics' and KEDA's names for Prometheus backfill (docs/outputs.md).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) export: Vec<ExportFormat>,
    /// Skip chart.png, chart.svg and report.html (faster; the CSV and JSON are still written).
    #[arg(long)]
    pub(crate) no_charts: bool,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    /// Backtest: the replica count the cluster recorded over the trace's period (Prometheus
    /// JSON or CSV); summary.json then says how closely the run followed it.
    #[arg(long, value_name = "FILE")]
    pub(crate) observed_replicas: Option<PathBuf>,
    /// Backtest: the p99 latency (seconds) the cluster recorded over the trace's period.
    #[arg(long, value_name = "FILE")]
    pub(crate) observed_latency_p99: Option<PathBuf>,
    /// Simulate an autoscaler metric that nothing feeds (no modelled signal, no `metrics:`
    /// binding) as failing, as upstream would, instead of stopping with an error.
    #[arg(long)]
    pub(crate) allow_missing_metrics: bool,
    /// Keep every row of the time series in memory and write the outputs from the whole series
    /// at the end, instead of streaming the rows: the reference the streamed outputs are tested
    /// against (the same bytes), not for everyday use.
    #[arg(long, hide = true)]
    pub(crate) keep_rows: bool,
    #[command(flatten)]
    pub(crate) quiet: QuietOption,
}

pub(super) fn run(args: RunArgs) -> Result<(), crate::Error> {
    let overrides = Overrides {
        allow_conflicts: args.allow_conflicts,
        ..args.scenario_options.overrides()
    };
    let scenario = load(&args, overrides)?;
    if args.export.contains(&ExportFormat::Openmetrics) {
        crate::export::openmetrics::check_backfillable(&scenario)?;
    }
    let opts = RunOptions {
        log_every_sync: args.log_every_sync,
        allow_missing_metrics: args.allow_missing_metrics,
        latency_histograms: args.export.contains(&ExportFormat::Openmetrics),
        ..RunOptions::default()
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
    let out = OutputDir::open(
        &dir,
        &planned_files(args.no_charts, &args.export),
        args.overwrite.mode(),
    )?;
    let observed = ObservedSeries::read(
        args.observed_replicas
            .as_deref()
            .or(scenario.observed.replicas.as_deref()),
        args.observed_latency_p99
            .as_deref()
            .or(scenario.observed.latency_p99.as_deref()),
    )?;
    let progress = Progress::start_after(
        &format!("run {}", scenario.name),
        scenario.duration.ceil() as u64,
        "simulated s",
        args.quiet.quiet,
        super::progress::quiet_for_short_work(),
    );
    let opts = RunOptions {
        progress: Some(run_progress(&progress)),
        ..opts
    };
    // events.jsonl is streamed into the staging folder as the run logs it, and so are
    // timeseries.csv and the export's spill files, row by row; the charts, the summary and a
    // backtest gather what they need of each row as it goes (unless --keep-rows).
    let mut events = out.open_stream(report::EVENTS_FILE)?;
    let events_path = dir.join(report::EVENTS_FILE);
    let mut sinks = RowSinks::open(&out, &args, &scenario, &observed)?;
    let rows = sinks.rows();
    let result = sim::run_streaming(&scenario, &opts, &mut events, &events_path, rows);
    let result = result.and_then(|r| out.close_stream(report::EVENTS_FILE, events).map(|_| r));
    let result = result.and_then(|r| match sinks.csv.take() {
        Some(w) => w.finish(&out).map(|_| r),
        None => Ok(r),
    });
    if result.is_ok() {
        progress.handle().set(scenario.duration.ceil() as u64);
    }
    progress.finish();
    let mut result = result?;
    match sinks.backtest.take() {
        Some(b) => backtest::attach_streamed(&scenario, &mut result, b)?,
        None => backtest::attach_series(&scenario, &mut result, &observed)?,
    }
    out.fill(|staging| {
        report::write_run(staging, &result)?;
        match sinks.charts.take() {
            Some(rows) => report::write_streamed_charts(staging, &result, &scenario, rows)?,
            None if !args.no_charts => report::write_charts(staging, &result, &scenario)?,
            None => {}
        }
        match sinks.openmetrics.take() {
            Some(w) => write_openmetrics(staging, w, &result, args.keep_rows),
            None => Ok(()),
        }
    })?;
    let removed = out.commit()?;
    if !removed.is_empty() && !args.quiet.quiet {
        eprintln!(
            "note: removed {} of an earlier run in {} (this run did not write them)",
            removed.join(", "),
            dir.display()
        );
    }
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    if !args.quiet.quiet {
        super::out::print(format_args!(
            "{}\n{}\noutputs in {}\n",
            report::table::verdict_line(&result.summary),
            report::table::summary_table(&result.summary),
            dir.display()
        ))?;
    }
    Ok(())
}

/// The scenario file, or the one-command scenario composed from the manifests and the trace
/// (its assumptions said on stderr).
fn load(args: &RunArgs, mut overrides: Overrides) -> Result<Scenario, crate::Error> {
    if let Some(path) = &args.scenario {
        return Scenario::load(path, &overrides);
    }
    // File manifests are in the composed scenario; standard input is still read as --manifest -.
    overrides.manifests.retain(|m| m.as_os_str() == "-");
    let mut composed = compose::compose(
        &args.service.input(&args.scenario_options.manifests),
        Path::new(""),
    )?;
    if !args.allow_missing_metrics
        && let Some(snippet) = unfed_metrics(&composed, &overrides)?
    {
        compose::add_bindings(&mut composed, &snippet);
    }
    for a in &composed.assumptions {
        eprintln!("warning: {a}");
    }
    let source = Source::from_string(compose::label(&composed.name), composed.yaml);
    Scenario::from_source(&source, &overrides)
}

/// The `metrics:` snippet binding each metric of `composed` that nothing feeds, if any.
///
/// A one-command run (and `init`) binds each metric nothing feeds — a prometheus query, a
/// metrics-api endpoint — to the signal it most likely measures (the request rate, or the
/// backlog of a queue workload), and says so as an assumption, where a scenario file stops
/// with the snippet to paste. Found by loading the composed scenario and setting up a one-minute
/// run, which stops at that check before simulating anything.
pub(super) fn unfed_metrics(
    composed: &compose::Composed,
    overrides: &Overrides,
) -> Result<Option<String>, crate::Error> {
    let mut probe = overrides.clone();
    probe.patches.push(Patch {
        target: PatchTarget::Scenario,
        path: "duration".into(),
        value: "1m".into(),
    });
    let source = Source::from_string(compose::label(&composed.name), composed.yaml.clone());
    let scenario = Scenario::from_source(&source, &probe)?;
    match sim::run(&scenario, &RunOptions::default()) {
        Err(crate::Error::Input(e))
            if e.location.field.as_deref() == Some("metrics")
                && e.snippet
                    .as_deref()
                    .is_some_and(|s| s.starts_with("metrics:")) =>
        {
            Ok(e.snippet)
        }
        _ => Ok(None),
    }
}

/// A hook that moves `progress` to the simulated second reached (at most every 50 ms of work,
/// so a run of many short steps is not slowed by it).
fn run_progress(progress: &Progress) -> ProgressHook {
    let shared = progress.handle();
    let last = std::sync::Mutex::new(std::time::Instant::now());
    ProgressHook(std::sync::Arc::new(move |t: f64| {
        let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
        if l.elapsed() >= std::time::Duration::from_millis(50) {
            *l = std::time::Instant::now();
            shared.set(t as u64);
        }
    }))
}

/// Where a run's rows go as they become final: `timeseries.csv`, the charts' copy, a
/// backtest, the OpenMetrics export — none with `--keep-rows` but the export, which is then
/// handed the kept rows after the run.
struct RowSinks {
    keep: bool,
    csv: Option<report::TimeseriesWriter>,
    charts: Option<report::chart::ChartRows>,
    backtest: Option<BacktestRows>,
    openmetrics: Option<OpenMetricsWriter>,
}

impl RowSinks {
    /// The sinks `args` ask for, their files in `out`'s staging folder.
    fn open(
        out: &OutputDir,
        args: &RunArgs,
        scenario: &Scenario,
        observed: &ObservedSeries,
    ) -> Result<RowSinks, crate::Error> {
        let keep = args.keep_rows;
        let csv = match keep {
            false => Some(report::TimeseriesWriter::open(out)?),
            true => None,
        };
        let clock = backtest::clock_start(scenario);
        let charts = (!keep && !args.no_charts).then(|| {
            let columns = backtest::chart_columns(observed, scenario.step, clock);
            columns
                .into_iter()
                .fold(report::chart::ChartRows::new(), |c, (name, at)| {
                    c.with_observed(name, at)
                })
        });
        let backtest = (!keep && !observed.is_empty()).then(|| BacktestRows::new(observed, clock));
        let openmetrics = match args.export.contains(&ExportFormat::Openmetrics) {
            true => Some(out.create_with(openmetrics::SPILL_DIR, |p| {
                OpenMetricsWriter::create(p, scenario, true)
            })?),
            false => None,
        };
        Ok(RowSinks {
            keep,
            csv,
            charts,
            backtest,
            openmetrics,
        })
    }

    /// What the run does with its rows.
    fn rows(&mut self) -> sim::Rows<'_> {
        if self.keep {
            return sim::Rows::Keep;
        }
        let mut sinks: Vec<&mut dyn crate::record::RowSink> = Vec::new();
        if let Some(w) = self.csv.as_mut() {
            sinks.push(w);
        }
        if let Some(c) = self.charts.as_mut() {
            sinks.push(c);
        }
        if let Some(b) = self.backtest.as_mut() {
            sinks.push(b);
        }
        if let Some(w) = self.openmetrics.as_mut() {
            sinks.push(w);
        }
        sim::Rows::Stream(sinks)
    }
}

/// Complete `openmetrics.txt` in `dir` from the writer the run's rows went to (or, with
/// `--keep-rows`, the kept rows handed to it now).
fn write_openmetrics(
    dir: &Path,
    mut w: OpenMetricsWriter,
    result: &crate::sim::RunResult,
    kept: bool,
) -> Result<(), crate::Error> {
    if kept {
        openmetrics::hand_kept_rows(result, &mut w);
    }
    let path = dir.join(openmetrics::FILE);
    w.finish(&path, result)
        .map_err(|e| crate::Error::io(format!("cannot write {}", path.display()), e))
}

/// The files a run writes into its folder.
fn planned_files(no_charts: bool, exports: &[ExportFormat]) -> Vec<&'static str> {
    let mut names = report::RUN_FILES.to_vec();
    if !no_charts {
        names.extend(report::CHART_FILES);
    }
    for f in exports {
        if !names.contains(&f.file()) {
            names.push(f.file());
        }
    }
    names
}
