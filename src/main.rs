//! The `scalesim` binary: everything is in the library's `cli` module, which parses the arguments,
//! runs and returns the documented exit code (0 ok, 1 a check failed, 2 bad input or usage).

fn main() {
    std::process::exit(scalesim::cli::main());
}
