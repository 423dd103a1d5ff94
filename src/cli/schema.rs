//! `scalesim schema scenario|sweep`: the JSON Schema of a scenario or sweep file, for editors
//! (completion, hover documentation, validation as you type; `docs/editors.md`).

use super::shared::OverwriteOption;
use crate::output;
use crate::scenario::schema;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// `scalesim schema FILE_KIND [--out FILE]`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Which file the schema describes.
    #[arg(value_enum)]
    pub(crate) kind: FileKind,
    /// Write the schema to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
}

/// The files scalesim has a schema for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FileKind {
    /// A scenario file (`scalesim run scenario.yaml`).
    Scenario,
    /// A sweep file (`scalesim sweep --file sweep.yaml`).
    Sweep,
}

/// Print (or write) the schema of `a.kind`.
pub(super) fn run(a: SchemaArgs) -> Result<(), crate::Error> {
    let text = match a.kind {
        FileKind::Scenario => schema::scenario_schema_json(),
        FileKind::Sweep => crate::sweep::file::schema_json(),
    };
    match &a.out {
        Some(path) => {
            output::write_single(path, text.as_bytes(), a.overwrite.mode(), schema::is_own)
        }
        None => super::out::print(text),
    }
}
