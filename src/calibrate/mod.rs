//! Calibration of the pod model from what a cluster already records (`scalesim calibrate`):
//! request rate, CPU used, Ready and asked-for replicas, latency quantiles — in, and the
//! scenario's `workload.service_time`, `workload.cpu_per_request` and `pods.startup` out, each
//! with its fit quality, or null with the reason the data cannot identify it.
//!
//! Module map: [`series`] (reading and aligning the series), [`cpu`] (CPU per request and idle
//! CPU per pod), [`service_time`] (lognormal service time at low load), [`startup`] (created →
//! Ready lag), [`stats`] (shared statistics), [`manifest`] (concurrency and readiness delay from
//! the workload's manifest), [`fragment`] (`calibration.yaml` and `calibration.json`, and
//! reading the fragment back), [`chart`] (`calibration.png`), [`output`] (writing the files).
//! The user's guide is `docs/calibrate.md`.
//!
//! Everything here is a pure function of its inputs: the same series give byte-identical
//! outputs.

// `InputError` is the crate's located input error, returned by value as everywhere else.
#![allow(clippy::result_large_err)]

pub(crate) mod chart;
pub(crate) mod cpu;
pub(crate) mod fragment;
pub(crate) mod manifest;
pub(crate) mod output;
pub(crate) mod series;
pub(crate) mod service_time;
pub(crate) mod startup;
pub(crate) mod stats;

pub use fragment::{CalibrationFragment, load_fragment};
pub(crate) use series::{Aligned, Series};

use crate::error::{InputError, Location};

/// The recorded series, read.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    pub(crate) rate: Series,
    pub(crate) cpu: Series,
    pub(crate) ready: Series,
    pub(crate) desired: Option<Series>,
    pub(crate) p50: Option<Series>,
    pub(crate) p99: Option<Series>,
}

/// Where the concurrency (requests in service per pod) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConcurrencySource {
    /// `--concurrency`.
    Flag,
    /// A manifest: file name and what in it (`env WEB_CONCURRENCY`, `containerConcurrency`).
    Manifest { file: String, what: String },
    /// Nothing said: 1.
    Default,
}

impl ConcurrencySource {
    pub(crate) fn describe(&self) -> String {
        match self {
            ConcurrencySource::Flag => "--concurrency".into(),
            ConcurrencySource::Manifest { file, what } => format!("{what} in {file}"),
            ConcurrencySource::Default => {
                "default (neither --concurrency nor a manifest said)".into()
            }
        }
    }
}

/// Options that are not series.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) concurrency: u32,
    pub(crate) concurrency_source: ConcurrencySource,
    /// Readiness delay to subtract from the created → Ready lag, and the manifest it came from.
    pub(crate) readiness: Option<(f64, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: 1,
            concurrency_source: ConcurrencySource::Default,
            readiness: None,
        }
    }
}

/// Everything calibration found.
#[derive(Debug, Clone)]
pub(crate) struct Calibration {
    pub(crate) aligned: Aligned,
    pub(crate) cpu: cpu::CpuFit,
    pub(crate) service: service_time::ServiceFit,
    pub(crate) startup: startup::StartupFit,
    pub(crate) options: Options,
    /// File names of the inputs, by role (`rate`, `cpu`, …), in a fixed order.
    pub(crate) inputs: Vec<(&'static str, String)>,
}

/// Align the series and run every fit.
pub(crate) fn calibrate(inputs: &Inputs, options: &Options) -> Result<Calibration, InputError> {
    let mut all: Vec<&Series> = vec![&inputs.rate, &inputs.cpu, &inputs.ready];
    all.extend(inputs.desired.iter());
    all.extend(inputs.p50.iter());
    all.extend(inputs.p99.iter());
    series::check_clocks(&all)?;
    let aligned = series::align(
        &inputs.rate,
        &inputs.cpu,
        &inputs.ready,
        inputs.p50.as_ref(),
        inputs.p99.as_ref(),
    );
    if aligned.is_empty() {
        return Err(InputError::new(
            Location::file(&inputs.rate.name),
            format!(
                "no timestamp of the request rate has a value in both {} (CPU) and {} (Ready replicas): the series do not overlap in time",
                inputs.cpu.name, inputs.ready.name
            ),
        ));
    }
    let cpu = cpu::fit(&aligned.rate, &aligned.ready, &aligned.cpu);
    let service = service_time::fit(
        service_time::Samples {
            rate: &aligned.rate,
            ready: &aligned.ready,
            p50: inputs.p50.as_ref().map(|_| aligned.p50.as_slice()),
            p99: inputs.p99.as_ref().map(|_| aligned.p99.as_slice()),
        },
        options.concurrency,
    );
    let startup = match &inputs.desired {
        Some(d) => startup::fit(d, &inputs.ready),
        None => startup::StartupFit::without_desired(),
    };
    let mut names: Vec<(&'static str, String)> = vec![
        ("rate", inputs.rate.name.clone()),
        ("cpu", inputs.cpu.name.clone()),
        ("replicas", inputs.ready.name.clone()),
    ];
    let optional = [
        ("desired_replicas", &inputs.desired),
        ("latency_p50", &inputs.p50),
        ("latency_p99", &inputs.p99),
    ];
    for (role, s) in optional {
        if let Some(s) = s {
            names.push((role, s.name.clone()));
        }
    }
    Ok(Calibration {
        aligned,
        cpu,
        service,
        startup,
        options: options.clone(),
        inputs: names,
    })
}
