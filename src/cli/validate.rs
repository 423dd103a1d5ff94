//! `scalesim validate FILE...|-`: parse and validate manifests, and print per object what will
//! be simulated and what is not modelled.

use crate::error::{InputError, Location};
use crate::manifest::read_source;
use crate::report::validate::{render_text, validate_inputs};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Manifest files (multi-document YAML), read together so cross-object rules apply;
    /// `-` reads standard input (e.g. from `helm template`).
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Print only errors and warnings.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// Exit code: 0 everything would be accepted, 2 an error (rejected object, scaler that cannot
/// be built, unreadable file, YAML syntax error) or a usage problem.
pub(super) fn run(args: ValidateArgs) -> i32 {
    if args.files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return super::report_error(
            &InputError::new(
                Location::file("-"),
                "standard input can be read only once (`-` given twice)",
            )
            .into(),
        );
    }
    let inputs: Vec<_> = args.files.iter().map(|p| read_source(p)).collect();
    let report = validate_inputs(&inputs);
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => {
                if let Err(e) = super::out::println(s) {
                    return super::report_error(&e);
                }
            }
            Err(e) => {
                eprintln!("error: cannot serialize the report: {e}");
                return 1;
            }
        }
    } else {
        if let Err(e) = super::out::print(render_text(&report, args.quiet)) {
            return super::report_error(&e);
        }
    }
    if report.has_errors() {
        let n = report.summary.errors;
        eprintln!(
            "error: {n} {} — KEDA or the API server would reject these manifests (or they cannot be read)",
            if n == 1 { "error" } else { "errors" }
        );
        2
    } else {
        0
    }
}
