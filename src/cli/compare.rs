//! `scalesim compare RUN_DIR RUN_DIR... [--out DIR]`: overlay finished runs and put their
//! summaries side by side (compare.png, compare.svg, compare.html, and a table on stdout).

use clap::Args;
use scalesim::report::compare;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run folders written by `scalesim run` (each with timeseries.csv and summary.json).
    #[arg(required = true, num_args = 2.., value_name = "RUN_DIR")]
    pub runs: Vec<PathBuf>,
    /// Output folder for compare.png, compare.svg and compare.html. Default: out/compare/
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: CompareArgs) -> Result<(), scalesim::Error> {
    let runs = compare::read_runs(&args.runs)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join("compare"));
    compare::write_compare(&out, &runs)?;
    if !args.quiet {
        super::out::print(format_args!(
            "{}\n{}\noutputs in {}\n",
            compare::verdict_lines(&runs).join("\n"),
            compare::summary_table(&runs),
            out.display()
        ))?;
    }
    Ok(())
}
