//! `scalesim init --manifest FILE… --trace FILE [-o scenario.yaml]`: write the scenario that the
//! one-command `run` simulates, every value commented with where it came from, so the user owns
//! a file that runs to the same bytes.

use super::run::ServiceArgs;
use super::shared::OverwriteOption;
use crate::output;
use crate::scenario::compose;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Autoscaler manifest(s) (ScaledObject, ScaledJob, HPA) and the Deployment they scale.
    #[arg(long = "manifest", value_name = "FILE", required = true)]
    pub(crate) manifests: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) service: ServiceArgs,
    /// Write the scenario here (paths in it are relative to its folder); default: standard
    /// output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
}

pub(super) fn run(a: InitArgs) -> Result<(), crate::Error> {
    if a.service.trace.is_none() {
        return Err(crate::InputError::new(
            Default::default(),
            "give the load with --trace FILE (CSV, Prometheus query_range JSON or a request log)",
        )
        .into());
    }
    if a.manifests.iter().any(|m| m.as_os_str() == "-") {
        return Err(crate::InputError::new(
            Default::default(),
            "init refers to manifests by path: save standard input to a file and pass that",
        )
        .into());
    }
    let overwrite = a.overwrite.mode();
    let base = match &a.output {
        Some(p) => {
            output::check_single(p, overwrite, compose::is_own)?;
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        }
        None => PathBuf::new(),
    };
    let mut composed = compose::compose(&a.service.input(&a.manifests), &base)?;
    // The probe loads the scenario from the current folder, so its paths are relative to it.
    let probe = compose::compose(&a.service.input(&a.manifests), Path::new(""))?;
    if let Some(snippet) = super::run::unfed_metrics(&probe, &Default::default())? {
        compose::add_bindings(&mut composed, &snippet);
    }
    for note in &composed.assumptions {
        eprintln!("warning: {note}");
    }
    match &a.output {
        Some(p) => {
            output::write_single(p, composed.yaml.as_bytes(), overwrite, compose::is_own)?;
            eprintln!(
                "wrote {}: run it with `scalesim run {}`",
                p.display(),
                p.display()
            );
            Ok(())
        }
        None => super::out::print(format_args!("{}", composed.yaml)),
    }
}
