//! `scalesim calibrate`: fit the pod model (CPU per request, idle CPU per pod, service time,
//! start-up) to series the cluster already records, and write `calibration.yaml`,
//! `calibration.json` and `calibration.png` (see `docs/calibrate.md`).

use super::shared::{OverwriteOption, QuietOption};
use crate::Error;
use crate::calibrate::{self, ConcurrencySource, Inputs, Options, fragment, series};
use crate::output::OutputDir;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub(crate) struct CalibrateArgs {
    /// Request rate (requests/s): Prometheus query_range JSON, or CSV with a time column.
    #[arg(long, value_name = "FILE")]
    pub(crate) rate: PathBuf,
    /// CPU cores used by the workload's pods, summed over them.
    #[arg(long, value_name = "FILE")]
    pub(crate) cpu: PathBuf,
    /// Ready replicas.
    #[arg(long, value_name = "FILE")]
    pub(crate) replicas: PathBuf,
    /// The replica count the autoscaler asked for (for start-up).
    #[arg(long, value_name = "FILE")]
    pub(crate) desired_replicas: Option<PathBuf>,
    /// Median latency, seconds (for the service time).
    #[arg(long, value_name = "FILE")]
    pub(crate) latency_p50: Option<PathBuf>,
    /// 99th-percentile latency, seconds (for the service time).
    #[arg(long, value_name = "FILE")]
    pub(crate) latency_p99: Option<PathBuf>,
    /// Requests in service at once per pod (default: from the manifest, else 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) concurrency: Option<u32>,
    /// The workload's manifest(s): concurrency and readiness probe delay.
    #[arg(long = "manifest", value_name = "FILE")]
    pub(crate) manifests: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Repair what strict reading rejects (a NaN latency holds the previous value, …).
    #[arg(long)]
    pub(crate) lenient: bool,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    #[command(flatten)]
    pub(crate) quiet: QuietOption,
}

fn read(path: &Path, lenient: bool) -> Result<series::Series, Error> {
    let (s, warnings) = series::read(path, lenient)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(s)
}

fn read_opt(path: &Option<PathBuf>, lenient: bool) -> Result<Option<series::Series>, Error> {
    path.as_deref().map(|p| read(p, lenient)).transpose()
}

fn options(args: &CalibrateArgs) -> Result<Options, Error> {
    let facts = calibrate::manifest::read(&args.manifests)?;
    if facts.is_none() && !args.manifests.is_empty() {
        eprintln!(
            "note: no Deployment, StatefulSet, ReplicaSet, Rollout or Knative Service in the manifests: concurrency and readiness delay not taken from them"
        );
    }
    let mut o = Options::default();
    if let Some(f) = &facts {
        o.readiness = (f.readiness_delay > 0.0).then(|| {
            (
                f.readiness_delay,
                format!("readiness probe of {} in {}", f.workload, f.file),
            )
        });
    }
    match (
        args.concurrency,
        facts
            .as_ref()
            .and_then(|f| f.concurrency.clone().map(|c| (c, f))),
    ) {
        (Some(n), _) => (o.concurrency, o.concurrency_source) = (n, ConcurrencySource::Flag),
        (None, Some(((n, what), f))) => {
            o.concurrency = n;
            o.concurrency_source = ConcurrencySource::Manifest {
                file: f.file.clone(),
                what: format!("{what} of {}", f.workload),
            };
        }
        (None, None) => {}
    }
    Ok(o)
}

pub(super) fn run(args: CalibrateArgs) -> Result<(), Error> {
    let out = OutputDir::open(&args.out, &calibrate::output::FILES, args.overwrite.mode())?;
    let inputs = Inputs {
        rate: read(&args.rate, args.lenient)?,
        cpu: read(&args.cpu, args.lenient)?,
        ready: read(&args.replicas, args.lenient)?,
        desired: read_opt(&args.desired_replicas, args.lenient)?,
        p50: read_opt(&args.latency_p50, args.lenient)?,
        p99: read_opt(&args.latency_p99, args.lenient)?,
    };
    let opts = options(&args)?;
    let cal = calibrate::calibrate(&inputs, &opts)?;
    out.write_bytes("calibration.yaml", fragment::to_yaml(&cal).as_bytes())?;
    out.write_bytes("calibration.json", fragment::to_json(&cal).as_bytes())?;
    out.write_bytes("calibration.png", &calibrate::chart::png(&cal)?)?;
    out.commit()?;
    if !args.quiet.quiet {
        super::out::print(format_args!(
            "{}outputs in {}\n",
            summary(&cal),
            args.out.display()
        ))?;
    }
    Ok(())
}

/// What was found, one line a value.
fn summary(c: &calibrate::Calibration) -> String {
    let why = |q: &calibrate::stats::Quality| {
        format!(
            "not identified: {}",
            q.reason.as_deref().unwrap_or("no fit")
        )
    };
    let sig = fragment::sig;
    let dur = fragment::duration;
    let cpu = match (c.cpu.per_request, c.cpu.idle_per_pod) {
        (Some(a), b) => format!(
            "{} CPU-s per request, idle {} cores per pod (r² {}, {} samples)",
            sig(a, 3),
            b.map_or("–".into(), |b| sig(b, 3)),
            c.cpu.quality.r2.map_or("–".into(), |r| sig(r, 3)),
            c.cpu.quality.samples
        ),
        _ => why(&c.cpu.quality),
    };
    let service = match (c.service.mean, c.service.p99) {
        (Some(m), Some(p)) => format!(
            "mean {}, p99 {} ({} low-load samples)",
            dur(m),
            dur(p),
            c.service.quality.samples
        ),
        _ => why(&c.service.quality),
    };
    let startup = match (c.startup.mean, c.startup.p90) {
        (Some(m), Some(p)) => format!(
            "mean {}, p90 {} created → Ready ({} pods, {} scale-ups)",
            dur(m),
            dur(p),
            c.startup.quality.samples,
            c.startup.events
        ),
        _ => why(&c.startup.quality),
    };
    format!("cpu:          {cpu}\nservice time: {service}\nstart-up:     {startup}\n")
}
