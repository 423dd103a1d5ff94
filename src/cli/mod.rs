//! The command line: argument definitions (clap) and one handler per subcommand.
//!
//! This is the only place that prints to the terminal or decides exit codes; everything it does
//! is a call into the library. Each subcommand lives in its own file.

mod calibrate;
mod check;
mod compare;
mod init;
mod out;
mod progress;
mod run;
mod schema;
mod shared;
mod shell;
mod signals;
mod sweep;
mod trace;
mod validate;

use clap::{Parser, Subcommand};

/// Parse the process's arguments, run the command, and return the exit code.
pub fn main() -> i32 {
    run(Cli::parse())
}

/// scalesim: replay load against simulated pods under a Kubernetes HPA or KEDA configuration,
/// and see replicas, backlog, latency, dropped work and cost, in seconds, offline.
#[derive(Debug, Parser)]
#[command(name = "scalesim", version, about, long_about = None, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The exit codes, shown under every `--help`.
const EXIT_CODES: &str = "\
Exit codes: 0 success; 1 a check failed (`check` only); 2 bad input or usage, or an output that
cannot be written (a file in the way, a read-only folder, a full disk); 130 interrupted (SIGINT),
143 terminated (SIGTERM) — either way no partial output is left and earlier results are kept.";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Simulate a scenario and write timeseries.csv, summary.json, events.jsonl, chart.png,
    /// chart.svg and report.html.
    Run(run::RunArgs),
    /// Write the scenario a one-command run (`run --manifest … --trace …`) uses, every value
    /// commented with where it came from.
    Init(init::InitArgs),
    /// Simulate a scenario at every point of a parameter grid, in parallel (`sweep merge` joins
    /// shards).
    ///
    /// Writes sweep.csv, a cost/SLO Pareto chart, and prints the cheapest points that meet the
    /// SLO.
    Sweep(sweep::SweepArgs),
    /// Run scenarios and check their SLOs and baselines; JUnit XML for CI (exit 1 on failure).
    Check(check::CheckArgs),
    /// Look at a trace file (`show`) or generate one (`gen`).
    Trace(trace::TraceArgs),
    /// Validate manifests (ScaledObject, ScaledJob, HPA, …) and show what will be simulated.
    Validate(validate::ValidateArgs),
    /// Overlay finished runs on the same charts and put their summaries side by side.
    Compare(compare::CompareArgs),
    /// Fit the pod model (CPU per request, service time, start-up) to series the cluster
    /// records; writes calibration.yaml, calibration.json and calibration.png.
    Calibrate(calibrate::CalibrateArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell (or elvish).
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff), e.g. `scalesim man > ~/.local/share/man/man1/scalesim.1`.
    Man(shell::ManArgs),
    /// Print the JSON Schema of a scenario or sweep file, for editor completion and validation
    /// (`docs/editors.md`).
    Schema(schema::SchemaArgs),
}

/// Run the parsed command. Returns the process exit code.
pub(crate) fn run(cli: Cli) -> i32 {
    signals::install();
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Init(args) => init::run(args),
        Command::Check(args) => return check::run(args),
        Command::Trace(args) => return trace::run(args),
        Command::Validate(args) => return validate::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(args),
        Command::Schema(args) => schema::run(args),
    };
    match outcome {
        Ok(()) => 0,
        Err(e) => report_error(&e),
    }
}

/// Print an error the way every subcommand does, and return its exit code.
pub(crate) fn report_error(e: &crate::Error) -> i32 {
    eprintln!("error: {e}");
    e.exit_code()
}
