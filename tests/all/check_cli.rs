//! `scalesim check`: SLO pass/fail exit codes, bad input, baselines with tolerances and
//! `--update-baseline`, and the JUnit XML report (issue #7).

use crate::helpers;
use assert_cmd::Command;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    helpers::fixture("check", name)
}

/// Run `scalesim check ARGS…` in `dir`; returns (exit code, stdout, stderr).
fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn passing_scenario_exits_0_and_failing_exits_1() {
    let t = tempfile::tempdir().unwrap();
    let (pass, fail) = (fixture("pass.yaml"), fixture("fail.yaml"));
    let (code, out, err) = check(t.path(), &[path(&pass)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS  slo latency_p99 <= 1s"), "{out}");
    assert!(out.contains("PASS  verdict"), "{out}");
    assert!(out.contains("7 checks: 7 passed, 0 failed"), "{out}");

    let (code, out, err) = check(t.path(), &[path(&pass), path(&fail)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAIL  slo latency_p99 <= 100ms"), "{out}");
    assert!(out.contains("measured "), "{out}");
}

#[test]
fn bad_input_exits_2() {
    let t = tempfile::tempdir().unwrap();
    let bad_slo = t.path().join("bad.yaml");
    let text = std::fs::read_to_string(fixture("pass.yaml"))
        .unwrap()
        .replace("latency_p99: 1s", "latency_p99: 1s\n  latency_p42: 1s");
    std::fs::write(&bad_slo, text).unwrap();
    let (code, _, err) = check(t.path(), &[path(&bad_slo)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("latency_p42"), "{err}");

    let ratio = t.path().join("ratio.yaml");
    let text = std::fs::read_to_string(fixture("pass.yaml"))
        .unwrap()
        .replace("max_dropped_ratio: 0.001", "max_dropped_ratio: 5");
    std::fs::write(&ratio, text).unwrap();
    let (code, _, err) = check(t.path(), &[path(&ratio)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("slo.max_dropped_ratio"), "{err}");

    // Bad input wins over a failed check; the other scenarios still run.
    let (code, out, err) = check(t.path(), &["missing.yaml", path(&fixture("fail.yaml"))]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("missing.yaml") && out.contains("FAIL"),
        "{out}{err}"
    );

    let (code, _, err) = check(
        t.path(),
        &[
            path(&fixture("pass.yaml")),
            "--baseline",
            "b",
            "--tolerance",
            "p99=lots",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tolerance p99=lots"), "{err}");
}

#[test]
fn baseline_detects_regressions_and_update_rewrites_it() {
    let t = tempfile::tempdir().unwrap();
    let pass = fixture("pass.yaml");
    let baseline = t.path().join("baselines");
    let b = path(&baseline);

    // No baseline yet: skipped, not failed.
    let (code, out, _) = check(t.path(), &[path(&pass), "--baseline", b]);
    assert_eq!(code, 0);
    assert!(out.contains("SKIP  baseline"), "{out}");

    let (code, out, err) = check(
        t.path(),
        &[path(&pass), "--baseline", b, "--update-baseline"],
    );
    assert_eq!(code, 0, "{err}");
    let stored = baseline.join("pass/summary.json");
    assert!(stored.exists(), "{out}");

    // The same run against its own baseline: no regression.
    let (code, out, _) = check(t.path(), &[path(&pass), "--baseline", b, "--verbose"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS  baseline latency_p99_s"), "{out}");

    // A better baseline (p99 halved, pod-hours cut by 3 %) makes this run a regression in
    // p99 but not in pod-hours (within the default 5 %).
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stored).unwrap()).unwrap();
    let p99 = v["latency_s"]["p99"].as_f64().unwrap();
    v["latency_s"]["p99"] = (p99 / 2.0).into();
    let ph = v["replicas"]["pod_hours"].as_f64().unwrap();
    v["replicas"]["pod_hours"] = (ph * 0.97).into();
    std::fs::write(&stored, serde_json::to_string(&v).unwrap()).unwrap();
    let (code, out, _) = check(t.path(), &[path(&pass), "--baseline", b]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  baseline latency_p99_s"), "{out}");
    assert!(out.contains("higher is worse"), "{out}");
    assert!(!out.contains("FAIL  baseline pod_hours"), "{out}");

    // A per-metric tolerance lets it through; a tight global one catches pod-hours.
    let (code, out, _) = check(
        t.path(),
        &[
            path(&pass),
            "--baseline",
            b,
            "--tolerance",
            "latency_p99=150%",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = check(
        t.path(),
        &[
            path(&pass),
            "--baseline",
            b,
            "--tolerance",
            "1%",
            "--tolerance",
            "latency_p99=150%",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  baseline pod_hours"), "{out}");

    // --update-baseline rewrites it with this run's summary, byte for byte what `run` writes.
    let (code, _, _) = check(
        t.path(),
        &[path(&pass), "--baseline", b, "--update-baseline"],
    );
    assert_eq!(code, 0);
    let (code, out, _) = check(t.path(), &[path(&pass), "--baseline", b]);
    assert_eq!(code, 0, "{out}");
    let run_out = t.path().join("run");
    Command::cargo_bin("scalesim")
        .unwrap()
        .arg("run")
        .arg(&pass)
        .arg("--out")
        .arg(&run_out)
        .arg("-q")
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&stored).unwrap(),
        std::fs::read(run_out.join("summary.json")).unwrap()
    );
}

/// An element of the report: its name, attributes and children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Node>,
}

fn node(e: &BytesStart) -> Node {
    Node {
        name: e.name().0.to_string(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.0.to_string(),
                    a.normalized_value(XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        children: Vec::new(),
    }
}

/// Parse the whole document into a tree (quick-xml checks well-formedness on the way).
fn parse(xml: &str) -> Node {
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().trim_text(true);
    let mut stack = vec![Node::default()];
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(node(&e)),
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced document");
    stack.pop().unwrap().children.pop().unwrap()
}

fn num(n: &Node, attr: &str) -> usize {
    n.attrs
        .get(attr)
        .unwrap_or_else(|| panic!("<{}> lacks `{attr}`", n.name))
        .parse()
        .unwrap()
}

#[test]
fn junit_report_has_the_required_elements() {
    let t = tempfile::tempdir().unwrap();
    let report = t.path().join("report.xml");
    let (code, _, _) = check(
        t.path(),
        &[
            path(&fixture("pass.yaml")),
            path(&fixture("fail.yaml")),
            "missing.yaml",
            "--junit",
            path(&report),
            "--baseline",
            "none",
        ],
    );
    assert_eq!(code, 2);
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let root = parse(&xml);
    assert_eq!(root.name, "testsuites");
    let suites = &root.children;
    assert_eq!(suites.len(), 3, "one testsuite per scenario");
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for s in suites {
        assert_eq!(s.name, "testsuite");
        assert!(!s.attrs["name"].is_empty());
        assert_eq!(s.attrs["time"], "0");
        assert_eq!(num(s, "tests"), s.children.len());
        let count = |what: &str| {
            s.children
                .iter()
                .filter(|c| c.children.iter().any(|k| k.name == what))
                .count()
        };
        assert_eq!(num(s, "failures"), count("failure"));
        assert_eq!(num(s, "errors"), count("error"));
        assert_eq!(num(s, "skipped"), count("skipped"));
        for c in &s.children {
            assert_eq!(c.name, "testcase");
            assert!(!c.attrs["name"].is_empty());
            assert_eq!(
                c.attrs["classname"],
                format!("scalesim.{}", s.attrs["name"])
            );
            assert_eq!(c.attrs["time"], "0");
            for k in &c.children {
                assert!(["failure", "error", "skipped"].contains(&k.name.as_str()));
                assert!(!k.attrs["message"].is_empty());
            }
        }
        tests += num(s, "tests");
        failures += num(s, "failures");
        errors += num(s, "errors");
    }
    assert_eq!(num(&root, "tests"), tests);
    assert_eq!(num(&root, "failures"), failures);
    assert_eq!(num(&root, "errors"), errors);
    assert_eq!((failures, errors), (1, 1));
    let fail = suites.iter().find(|s| s.attrs["name"] == "fail").unwrap();
    let failed = fail
        .children
        .iter()
        .find(|c| !c.children.is_empty())
        .unwrap();
    assert_eq!(failed.attrs["name"], "slo latency_p99 <= 100ms");
    assert!(failed.children[0].attrs["message"].contains("measured"));
    let missing = suites
        .iter()
        .find(|s| s.attrs["name"] == "missing")
        .unwrap();
    assert_eq!(missing.children[0].children[0].name, "error");
}

/// A run that falls behind fails `check` by its verdict even when every `slo:` bound it names
/// holds; `--ignore-verdict` leaves the SLOs and baselines (issue 15: only `check` turns the
/// verdict into exit 1).
#[test]
fn a_run_that_fell_behind_fails_check_unless_the_verdict_is_ignored() {
    let t = tempfile::tempdir().unwrap();
    let behind = t.path().join("behind.yaml");
    std::fs::write(
        &behind,
        "name: behind\nduration: 2m\ntrace:\n  generate: {kind: constant, rate: 200}\n\
         workload:\n  kind: http\n  service_time: {dist: exponential, mean: 50ms}\n  concurrency: 4\n  \
         max_queue: 10\npods:\n  replicas: 2\nslo:\n  max_pod_hours: 1\n",
    )
    .unwrap();
    let (code, out, err) = check(t.path(), &[path(&behind)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("PASS  slo max_pod_hours"), "{out}");
    assert!(out.contains("FAIL  verdict"), "{out}");
    assert!(out.contains("fell behind: "), "{out}");
    assert!(out.contains("dropped"), "{out}");
    assert!(out.contains("2 checks: 1 passed, 1 failed"), "{out}");

    let junit = t.path().join("junit.xml");
    let (code, _, err) = check(t.path(), &[path(&behind), "--junit", path(&junit)]);
    assert_eq!(code, 1, "{err}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"<testcase name="verdict""#), "{xml}");
    assert!(xml.contains("fell behind: "), "{xml}");

    let (code, out, err) = check(t.path(), &[path(&behind), "--ignore-verdict"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("  verdict "), "{out}");
    assert!(
        out.contains("verdict: fell behind"),
        "the words stay: {out}"
    );
    assert!(out.contains("1 check: 1 passed, 0 failed"), "{out}");
}

/// An SLO that fails is one failed check, not two: the verdict check counts only what the
/// `slo:` lines do not already report.
#[test]
fn a_failed_slo_is_not_counted_again_by_the_verdict() {
    let t = tempfile::tempdir().unwrap();
    let (code, out, err) = check(t.path(), &[path(&fixture("fail.yaml"))]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("verdict: missed its objectives"), "{out}");
    assert!(out.contains("PASS  verdict"), "{out}");
    assert!(
        out.contains("kept up apart from the slo bounds below"),
        "{out}"
    );
    assert_eq!(out.matches("FAIL").count(), 1, "{out}");
}

/// `check --summary FILE`: a Markdown table per scenario (its verdict line) and per check, in
/// the text report's words; an empty file (as CI runners create for `$GITHUB_STEP_SUMMARY`) and
/// an earlier summary are replaced, a file of the user's is not.
#[test]
fn summary_is_a_markdown_verdict_table_written_safely() {
    let t = tempfile::tempdir().unwrap();
    let summary = t.path().join("summary.md");
    std::fs::write(&summary, "").unwrap();
    let (pass, fail) = (fixture("pass.yaml"), fixture("fail.yaml"));
    let args = [path(&pass), path(&fail), "--summary", path(&summary)];
    let (code, text, _) = check(t.path(), &args);
    assert_eq!(code, 1);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("<!-- scalesim check summary -->\n## scalesim check: ❌ failed\n"));
    assert!(
        md.contains("| Scenario | Result | Verdict |\n|---|---|---|\n"),
        "{md}"
    );
    assert!(md.contains("| fail | ❌ FAIL | verdict: "), "{md}");
    // Each scenario's verdict line is the text report's, word for word.
    let verdicts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("verdict: "))
        .collect();
    assert_eq!(verdicts.len(), 2, "{text}");
    for v in verdicts {
        let cell = v
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            md.contains(&format!(" | {} |\n", cell.replace('|', "\\|"))),
            "{v}\n{md}"
        );
    }
    assert!(
        md.contains("| fail | slo latency_p99 &lt;= 100ms | ❌ FAIL | measured "),
        "{md}"
    );
    assert!(md.contains("| pass | ") && md.contains("✅ PASS"), "{md}");
    let total = text.lines().last().unwrap();
    assert!(md.ends_with(&format!("{total}\n")), "{md}");
    // The same inputs give the same bytes, and the earlier summary is replaced.
    assert_eq!(check(t.path(), &args).0, 1);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), md);
    // A file scalesim did not write is kept, and the check refused before running (exit 2).
    std::fs::write(&summary, "# my notes\n").unwrap();
    let (code, _, err) = check(t.path(), &args);
    assert_eq!(code, 2);
    assert!(err.contains("holds a file scalesim did not write"), "{err}");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "# my notes\n");
}
