//! The `scalesim` binary: parse arguments, run, exit with the documented code
//! (0 ok, 1 a check failed, 2 bad input or usage).

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    std::process::exit(cli::run(cli));
}
