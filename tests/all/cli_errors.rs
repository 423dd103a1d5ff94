//! Bad input exits 2 naming the file, the line and the field; never a panic, never exit 0.

use assert_cmd::Command;
use std::path::Path;

const GOOD: &str = "name: t\nduration: 60s\ntrace: {file: trace.csv}\nworkload:\n  kind: http\n  service_time: {dist: exponential, mean: 50ms}\n  concurrency: 2\npods:\n  replicas: 2\n  cpu_request: 250m\n";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(scenario: &str, trace: &[u8]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.yaml"), scenario).unwrap();
        std::fs::write(dir.path().join("trace.csv"), trace).unwrap();
        Case { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Run and return (exit code, stderr).
    fn run(&self) -> (i32, String) {
        let out = Command::cargo_bin("scalesim")
            .unwrap()
            .current_dir(self.path())
            .args(["run", "s.yaml", "--out", "o", "-q"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

const TRACE: &[u8] = b"time,rps\n0,10\n30,20\n";

fn expect_error(scenario: &str, trace: &[u8], needles: &[&str]) {
    let c = Case::new(scenario, trace);
    let (code, err) = c.run();
    assert_eq!(code, 2, "exit code for:\n{scenario}\nstderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr should contain {n:?}:\n{err}");
    }
}

#[test]
fn good_scenario_runs() {
    let c = Case::new(GOOD, TRACE);
    let (code, err) = c.run();
    assert_eq!(code, 0, "{err}");
    assert!(c.path().join("o/summary.json").exists());
}

#[test]
fn yaml_syntax_error() {
    expect_error(
        &GOOD.replace("concurrency: 2", "concurrency: [2"),
        TRACE,
        &["s.yaml:7:"],
    );
}

#[test]
fn missing_scenario_and_trace_files() {
    let c = Case::new(GOOD, TRACE);
    let out = Command::cargo_bin("scalesim")
        .unwrap()
        .current_dir(c.path())
        .args(["run", "nope.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.yaml: file not found"));
    expect_error(
        &GOOD.replace("trace.csv", "missing.csv"),
        TRACE,
        &["missing.csv", "not found"],
    );
}

#[test]
fn unknown_kind_and_dist() {
    expect_error(
        &GOOD.replace("kind: http", "kind: htp"),
        TRACE,
        &["s.yaml:5:", "workload.kind", "htp"],
    );
    expect_error(
        &GOOD.replace("dist: exponential", "dist: gamma"),
        TRACE,
        &["s.yaml:6:", "workload.service_time", "unknown dist"],
    );
}

#[test]
fn bad_durations_and_quantities() {
    expect_error(
        &GOOD.replace("duration: 60s", "duration: -5s"),
        TRACE,
        &["s.yaml:2:", "duration", "negative"],
    );
    expect_error(
        &GOOD.replace("duration: 60s", "duration: soon"),
        TRACE,
        &["s.yaml:2:", "duration"],
    );
    expect_error(
        &GOOD.replace("cpu_request: 250m", "cpu_request: 250x"),
        TRACE,
        &["s.yaml:10:", "pods.cpu_request", "suffix"],
    );
}

#[test]
fn zero_concurrency_and_negative_replicas() {
    expect_error(
        &GOOD.replace("concurrency: 2", "concurrency: 0"),
        TRACE,
        &["s.yaml:7:", "workload.concurrency", "at least 1"],
    );
    expect_error(
        &GOOD.replace("replicas: 2", "replicas: -1"),
        TRACE,
        &["s.yaml:9:", "pods.replicas"],
    );
}

#[test]
fn unknown_field_is_named() {
    expect_error(
        &GOOD.replace("concurrency: 2", "concurency: 2"),
        TRACE,
        &["s.yaml:7:", "concurency"],
    );
}

#[test]
fn bad_trace_lines() {
    expect_error(
        GOOD,
        b"time,rps\n0,10\n30,abc\n",
        &["trace.csv:3", "not a number"],
    );
    expect_error(GOOD, b"time,rps\n0,10\n30,NaN\n", &["trace.csv:3", "NaN"]);
    expect_error(
        GOOD,
        b"time,rps\n0,10\n30,-4\n",
        &["trace.csv:3", "negative"],
    );
    expect_error(
        GOOD,
        b"time,rps\n0,10\n30,1\n20,1\n",
        &["trace.csv:4", "earlier than the row before"],
    );
    expect_error(GOOD, b"", &["trace.csv", "empty"]);
    expect_error(GOOD, b"time,rps\n", &["trace.csv", "empty"]);
    expect_error(GOOD, b"\x00\x01\x02\xff\xfe", &["trace.csv", "binary"]);
}

/// Standard output of `scalesim ARGS…`, which must succeed.
fn stdout_of(args: &[&str]) -> String {
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `scalesim completions SHELL` completes every subcommand and option (the script comes from
/// the parser's own definitions); bash's parses as bash. An unknown shell is a usage error.
#[test]
fn completions_cover_subcommands_and_options() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        // Options as each shell spells them (fish: `-l summary`).
        for word in [
            "scalesim",
            "sweep",
            "merge",
            "check",
            "summary",
            "fidelity",
            "openmetrics",
        ] {
            assert!(script.contains(word), "{shell}: no {word:?}");
        }
    }
    let bash = stdout_of(&["completions", "bash"]);
    assert!(bash.contains("--summary") && bash.contains("--shard"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.bash"), &bash).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(dir.path().join("c.bash"))
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `scalesim man` is one roff page: the command, then each subcommand (nested ones too) with
/// its options; groff formats it when it is installed.
#[test]
fn man_page_lists_every_subcommand_with_its_options() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH scalesim 1"),
        "{}",
        &page[..200]
    );
    for section in [
        "SCALESIM RUN",
        "SCALESIM SWEEP",
        "SCALESIM SWEEP MERGE",
        "SCALESIM CHECK",
    ] {
        assert!(
            page.contains(&format!(".SH \"{section}\"")),
            "no section {section}"
        );
    }
    assert!(page.contains("\\-\\-shard") && page.contains("\\-\\-summary"));
    assert_eq!(stdout_of(&["man"]), page, "the same bytes every time");
    let Ok(mut groff) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou"]) // plain text: no overstrike bold or underline
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    else {
        return; // no groff on this machine: the roff checks above stand
    };
    use std::io::Write;
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let text = groff.wait_with_output().unwrap();
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("SCALESIM SWEEP MERGE"));
}
