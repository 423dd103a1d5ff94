//! Output into a closed pipe (`scalesim trace show f.csv | head -4`): every subcommand that
//! prints to standard output stops quietly and exits as it would have, instead of panicking
//! with exit 101 ("failed printing to stdout: Broken pipe").
//!
//! Each command runs with its standard output on a pipe whose reading end is already closed,
//! so the first write fails with EPIPE every time (no race with a reader).

use crate::helpers::root;
use std::path::Path;
use std::process::{Command, Output};

/// Run `scalesim ARGS…` in `dir` with standard output on a closed pipe.
fn into_closed_pipe(dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .current_dir(dir)
        .args(args)
        .stdout(writer)
        .output()
        .expect("runs")
}

fn assert_quiet_exit(out: &Output, code: i32, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
}

#[test]
fn trace_commands_survive_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let nasa = root().join("traces/nasa_http_jul1995_1min.csv");
    let nasa = nasa.to_str().unwrap();
    for args in [
        vec!["trace", "show", nasa],
        vec![
            "trace",
            "gen",
            "constant",
            "--rate",
            "5",
            "--duration",
            "1d",
        ],
        vec!["trace", "gen", "spike", "--help"],
    ] {
        assert_quiet_exit(&into_closed_pipe(dir.path(), &args), 0, &args.join(" "));
    }
    // An error is still an error (and goes to standard error).
    let out = into_closed_pipe(dir.path(), &["trace", "show", "/no/such.csv"]);
    assert_quiet_exit(&out, 2, "missing file");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}

#[test]
fn run_compare_validate_check_and_sweep_survive_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let pass = root().join("tests/fixtures/check/pass.yaml");
    let pass = pass.to_str().unwrap();
    let manifests = root().join("scenarios/manifests/checkout.yaml");
    let manifests = manifests.to_str().unwrap();
    for (args, code) in [
        (vec!["run", pass, "--no-charts", "--out", "a"], 0),
        (
            vec!["run", pass, "--no-charts", "--out", "b", "--seed", "2"],
            0,
        ),
        (vec!["compare", "a", "b", "--out", "cmp"], 0),
        (vec!["check", pass], 0),
        (vec!["validate", manifests], 0),
        (vec!["validate", "--json", manifests], 0),
        // Bad input: the report still goes to the closed pipe, the exit code stays 2.
        (vec!["validate", pass], 2),
    ] {
        let out = into_closed_pipe(dir.path(), &args);
        assert_quiet_exit(&out, code, &args.join(" "));
    }
    // The outputs were written all the same.
    assert!(dir.path().join("a/summary.json").is_file());
    assert!(dir.path().join("cmp/compare.html").is_file());

    let web = root().join("tests/fixtures/sweep/web.yaml");
    let args = [
        "sweep",
        web.to_str().unwrap(),
        "--vary",
        "pods.startup.max=20s,40s",
        "--charts",
        "0",
        "--out",
        "sw",
        "--quiet",
    ];
    // --quiet prints nothing; without it the best-points table goes to the closed pipe.
    assert_quiet_exit(&into_closed_pipe(dir.path(), &args), 0, "sweep --quiet");
    let loud: Vec<&str> = args.iter().copied().filter(|a| *a != "--quiet").collect();
    assert_quiet_exit(&into_closed_pipe(dir.path(), &loud), 0, "sweep");
    assert!(dir.path().join("sw/sweep.csv").is_file());
}
