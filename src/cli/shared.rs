//! Options several subcommands share, declared once (clap `Args` groups flattened into each
//! subcommand) so their names, help text and behaviour cannot drift apart.

use crate::output::Overwrite;
use crate::scenario::Overrides;
use crate::scenario::patch::{Patch, PatchTarget};
use crate::{Error, InputError};
use clap::Args;
use std::path::PathBuf;

/// `--fidelity`: the scenario's traffic model, passed through as a patch of its `fidelity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Fidelity {
    Request,
    Fluid,
    Auto,
}

impl Fidelity {
    /// The scenario patch that sets `fidelity` (the loader decides which models exist).
    pub(crate) fn patch(self) -> Patch {
        let name = match self {
            Fidelity::Request => "request",
            Fidelity::Fluid => "fluid",
            Fidelity::Auto => "auto",
        };
        Patch {
            target: PatchTarget::Scenario,
            path: "fidelity".into(),
            value: name.into(),
        }
    }
}

/// What `run`, `sweep` and `check` change in every scenario they load.
#[derive(Debug, Args, Default)]
pub(crate) struct ScenarioOptions {
    /// Seed for every random stream (overrides the scenario's `seed`, and a sweep file's).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Extra autoscaler manifest(s) for every scenario; `-` reads standard input (e.g. from
    /// `helm template`) for `run` and for a `check` of one scenario.
    #[arg(long = "manifest", value_name = "FILE")]
    pub(crate) manifests: Vec<PathBuf>,
    /// Traffic model (sets the scenario's `fidelity`): `request` simulates every request,
    /// `fluid` whole counts per interval (fast), `auto` picks fluid above 2 million requests.
    #[arg(long, value_enum)]
    pub(crate) fidelity: Option<Fidelity>,
}

impl ScenarioOptions {
    /// The loader's overrides for these options (no conflicting autoscalers allowed).
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            seed: self.seed,
            manifests: self.manifests.clone(),
            patches: self.fidelity.map(Fidelity::patch).into_iter().collect(),
            allow_conflicts: false,
        }
    }
}

/// `--jobs`: threads of a command that runs many simulations.
#[derive(Debug, Args, Default)]
pub(crate) struct JobsOption {
    /// Threads (default: one per core; at most 4 per core — more is cut to that, with a warning).
    #[arg(long, short = 'j')]
    pub(crate) jobs: Option<usize>,
}

impl JobsOption {
    /// Refuse `--jobs 0`.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.jobs == Some(0) {
            return Err(InputError::new(Default::default(), "--jobs must be at least 1").into());
        }
        Ok(())
    }

    /// The thread count to use: more than the machine's cap is cut to it, said as a warning on
    /// standard error.
    pub(crate) fn threads(&self) -> usize {
        let (jobs, cut) = crate::limits::capped_jobs(self.jobs);
        if let Some(w) = cut {
            eprintln!("warning: {w}");
        }
        jobs
    }
}

/// `--overwrite`: the ledger rule of every output (see `docs/outputs.md`).
#[derive(Debug, Args, Default)]
pub(crate) struct OverwriteOption {
    /// Replace output files that scalesim cannot prove it wrote (by default such a file is
    /// left alone and the command refused, exit 2).
    #[arg(long)]
    pub(crate) overwrite: bool,
}

impl OverwriteOption {
    /// The output layer's overwrite mode.
    pub(crate) fn mode(&self) -> Overwrite {
        Overwrite::from_flag(self.overwrite)
    }
}

/// `--quiet` of the commands that write files and print a table.
#[derive(Debug, Args, Default)]
pub(crate) struct QuietOption {
    /// Print nothing on standard output and show no progress (warnings and errors still go to
    /// standard error).
    #[arg(long, short)]
    pub(crate) quiet: bool,
}
