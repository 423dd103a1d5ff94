//! Helpers shared by the test modules of this binary: where the repository is, running the
//! `scalesim` binary (through `assert_cmd`), reading what it wrote, and the independent oracles
//! more than one module checks against. Also [`sim`] (a scenario builder for engine-level
//! tests), [`shared`] (the project's shared folder, e.g. the KEDA corpus) and [`hpa_vectors`]
//! (the HPA vector harness, shared with the `hpa_conformance` binary).
#![allow(dead_code)]

pub(crate) mod hpa_vectors;
pub(crate) mod shared;
pub(crate) mod sim;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root (tests run with it as their working directory too).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures/<group>/`.
pub(crate) fn fixture(group: &str, name: &str) -> PathBuf {
    root().join("tests/fixtures").join(group).join(name)
}

/// The `scalesim` binary this test build made, as an `assert_cmd` command.
pub(crate) fn scalesim() -> Command {
    Command::cargo_bin("scalesim").unwrap()
}

/// Run `scalesim args…` in `dir` and return what it did.
pub(crate) fn output_in(dir: &Path, args: &[&str]) -> Output {
    scalesim().current_dir(dir).args(args).output().unwrap()
}

/// Run `scalesim args…` from the repository root (shipped paths such as
/// `scenarios/checkout-spike.yaml` then work as written).
pub(crate) fn output_at_root(args: &[&str]) -> Output {
    output_in(&root(), args)
}

/// `scalesim run SCENARIO --out OUT -q EXTRA…` from the repository root, and what it did.
pub(crate) fn run_into(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    output_at_root(&args)
}

/// Run `scalesim args…` in `dir`: (exit code, or -1 when killed; stdout; stderr).
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = output_in(dir, args);
    (o.status.code().unwrap_or(-1), stdout(&o), stderr(&o))
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` (recursively) with its bytes, sorted by path relative to `dir`.
pub(crate) fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with `c` servers and
/// offered load `a` = λ/μ (1 when `a` ≥ `c`: the queue grows without bound).
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    if a >= c as f64 {
        return 1.0;
    }
    let rho = a / c as f64;
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let last = term * a / c as f64; // a^c / c!
    let top = last / (1.0 - rho);
    top / (sum + top)
}

/// Where proptest keeps the failing cases it found: `<file>.proptest-regressions` beside the
/// test module's source file (proptest's default would use a `proptest-regressions/` folder
/// beside `tests/all/`, since that folder holds a `main.rs`).
pub(crate) fn regressions() -> Option<Box<dyn proptest::test_runner::FailurePersistence>> {
    Some(Box::new(
        proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
    ))
}
