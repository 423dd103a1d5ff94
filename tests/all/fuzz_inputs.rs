//! Fuzzing every input parser (issue 14): the shipped files (scenarios, manifests, traces, test
//! fixtures) mutated structurally (lines dropped, duplicated, swapped; values replaced with huge,
//! negative, empty or wrong-typed ones) and byte-wise (flipped, inserted, truncated), fed to the
//! library's entry points: scenario load, manifest validation, the trace readers in every
//! format, sweep files, baselines and `--vary` expressions. Nothing may panic, and every error
//! names a file.
//!
//! Bounded: `SCALESIM_FUZZ_CASES` cases per entry point (default 500, about 10 s; e.g.
//! `SCALESIM_FUZZ_CASES=5000 cargo test --release --test all fuzz_inputs::` for a long campaign).
//! Every crash found is kept: proptest writes it to `tests/all/fuzz_inputs.proptest-regressions`
//! (replayed first on every run) and the ones fixed have their own `#[test]` below. No simulation
//! runs: only reading and validating.

use proptest::prelude::*;
use proptest::test_runner::Config;
use scalesim::Error;
use scalesim::scenario::{Overrides, Scenario};
use scalesim::trace::read::{Format, ReadOptions};
use scalesim::yaml::Source;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> u32 {
    std::env::var("SCALESIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: crate::helpers::regressions(),
        max_shrink_iters: 200,
        ..Config::default()
    }
}

/// Seeds over 32 KiB are cut (at a line end) so each case stays fast.
const SEED_BYTES: usize = 32 * 1024;

fn read_seed(p: &Path) -> Vec<u8> {
    let mut b = std::fs::read(p).unwrap();
    if b.len() > SEED_BYTES {
        let cut = b[..SEED_BYTES]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(SEED_BYTES, |i| i + 1);
        b.truncate(cut);
    }
    b
}

fn files_in(dir: &str, ext: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| ext.iter().any(|x| e == *x)))
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| {
            let b = read_seed(&p);
            (p, b)
        })
        .collect()
}

struct Seeds {
    scenarios: Vec<(PathBuf, Vec<u8>)>,
    manifests: Vec<(PathBuf, Vec<u8>)>,
    traces: Vec<(PathBuf, Vec<u8>)>,
    sweeps: Vec<(PathBuf, Vec<u8>)>,
}

fn seeds() -> &'static Seeds {
    static S: OnceLock<Seeds> = OnceLock::new();
    S.get_or_init(|| {
        let mut manifests = files_in("scenarios/manifests", &["yaml", "yml"]);
        manifests.extend(files_in("tests/fixtures/sweep/manifests", &["yaml"]));
        let mut scenarios = files_in("scenarios", &["yaml"]);
        scenarios.extend(files_in("tests/fixtures/check", &["yaml"]));
        let mut traces = files_in("traces", &["csv"]);
        traces.extend(files_in("tests/fixtures/prometheus", &["json"]));
        Seeds {
            scenarios,
            manifests,
            traces,
            sweeps: files_in("tests/fixtures/sweep", &["yaml"]),
        }
    })
}

/// Values that break assumptions: empty, negative, huge, not finite, wrong types, YAML aliases.
const HOSTILE: &[&str] = &[
    "",
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "99999999999999999999999",
    "18446744073709551616",
    ".nan",
    ".inf",
    "NaN",
    "~",
    "[]",
    "{}",
    "[1, [2, [3]]]",
    "{a: {b: 1}}",
    "\"\"",
    "'x'",
    "true",
    "*nope",
    "&a 1",
    "!!binary dA==",
    "1ns",
    "-5s",
    "100000000h",
    "0.000000001s",
    "1e-300s",
    "300%",
    "-",
    "..",
    "1..1000000:0",
    "2026-13-45T99:99:99Z",
    "\u{feff}",
    "é\u{202e}",
    "\t",
    "|\n  block",
    "---",
];

/// One change to a file.
#[derive(Debug, Clone)]
enum Mutation {
    DropLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// Replace the value after `: ` (or the `- ` item, or the CSV cell) on a line.
    ReplaceValue(usize, usize, usize),
    /// A hostile value repeated (a 10,000-digit number, a 50,000-character word).
    HugeValue(usize, usize),
    FlipByte(usize, u8),
    InsertByte(usize, u8),
    InsertText(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::ReplaceValue(a, b, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::HugeValue(a, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::FlipByte(a, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::InsertByte(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::InsertText(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split_inclusive(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Replace the value part of a line: after `: `, after `- `, or one CSV cell.
fn replace_value(line: &[u8], which: usize, value: &[u8]) -> Vec<u8> {
    let end = line
        .iter()
        .rposition(|&c| c != b'\n' && c != b'\r')
        .map_or(0, |i| i + 1);
    let (body, tail) = line.split_at(end);
    let find = |pat: &[u8]| body.windows(pat.len()).position(|w| w == pat);
    let start = if let Some(i) = find(b": ") {
        i + 2
    } else if let Some(i) = find(b"- ") {
        i + 2
    } else {
        let commas: Vec<usize> = body
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == b',')
            .map(|(i, _)| i)
            .collect();
        if commas.is_empty() {
            0
        } else {
            let k = which % (commas.len() + 1);
            let from = if k == 0 { 0 } else { commas[k - 1] + 1 };
            let to = commas.get(k).copied().unwrap_or(body.len());
            let mut out = body[..from].to_vec();
            out.extend_from_slice(value);
            out.extend_from_slice(&body[to..]);
            out.extend_from_slice(tail);
            return out;
        }
    };
    let mut out = body[..start].to_vec();
    out.extend_from_slice(value);
    out.extend_from_slice(tail);
    out
}

fn apply(mut b: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let mut ls = lines(&b);
    let n = ls.len().max(1);
    match *m {
        Mutation::DropLine(i) if !ls.is_empty() => {
            ls.remove(i % n);
        }
        Mutation::DuplicateLine(i) if !ls.is_empty() => {
            let l = ls[i % n].clone();
            ls.insert(i % n, l);
        }
        Mutation::SwapLines(i, j) if !ls.is_empty() => ls.swap(i % n, j % n),
        Mutation::ReplaceValue(i, w, v) if !ls.is_empty() => {
            ls[i % n] = replace_value(&ls[i % n], w, HOSTILE[v % HOSTILE.len()].as_bytes());
        }
        Mutation::HugeValue(i, w) if !ls.is_empty() => {
            let huge = if w % 2 == 0 {
                "9".repeat(10_000)
            } else {
                "x".repeat(50_000)
            };
            ls[i % n] = replace_value(&ls[i % n], w, huge.as_bytes());
        }
        Mutation::FlipByte(i, x) if !b.is_empty() => {
            let k = i % b.len();
            b[k] ^= x | 1;
            return b;
        }
        Mutation::InsertByte(i, x) => {
            b.insert(i % (b.len() + 1), x);
            return b;
        }
        Mutation::InsertText(i, v) => {
            let at = i % (b.len() + 1);
            b.splice(at..at, HOSTILE[v % HOSTILE.len()].bytes());
            return b;
        }
        Mutation::Truncate(i) => {
            b.truncate(i % (b.len() + 1));
            return b;
        }
        _ => return b,
    }
    ls.concat()
}

fn mutated(seeds: &[(PathBuf, Vec<u8>)]) -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..seeds.len(), prop::collection::vec(mutation(), 1..5))
}

fn mutate(seeds: &[(PathBuf, Vec<u8>)], (i, ms): &(usize, Vec<Mutation>)) -> (PathBuf, Vec<u8>) {
    let (p, b) = &seeds[*i];
    (p.clone(), ms.iter().fold(b.clone(), apply))
}

/// Run `f`; a panic fails the case naming the input.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        TestCaseError::fail(format!("panic on {what}: {msg}"))
    })
}

/// Words of the YAML and JSON libraries or of Rust that must never reach a user.
const LIBRARY_WORDS: &[&str] = &[
    "DuplicateKeyPolicy",
    "Options",
    "from_str",
    "Option<",
    "untagged enum",
    "expected struct",
    "expected u8",
    "expected u16",
    "expected u32",
    "expected u64",
    "expected usize",
    "expected i32",
    "expected i64",
    "expected f64",
    "expected ident",
    "EOF while",
    "saphyr",
    "budget breached",
    "mapping start",
    "externally tagged",
];

/// Every input error names a file, in scalesim's words.
fn names_a_file(e: &Error) -> Result<(), TestCaseError> {
    let ok = match e {
        Error::Input(i) => i.location.file.is_some(),
        Error::Inputs(v) => !v.is_empty() && v.iter().all(|i| i.location.file.is_some()),
        _ => false,
    };
    prop_assert!(ok, "an error without a file: {e}");
    own_words(&e.to_string())
}

fn own_words(msg: &str) -> Result<(), TestCaseError> {
    let first = msg.lines().next().unwrap_or("");
    for w in LIBRARY_WORDS {
        prop_assert!(!first.contains(w), "library wording {w:?} in: {first}");
    }
    Ok(())
}

fn load_scenario(path: &Path, bytes: Vec<u8>) -> Result<(), Error> {
    let source = Source::from_bytes(path, bytes)?;
    Scenario::from_source(&source, &Overrides::default()).map(|_| ())
}

fn check_scenario(path: &Path, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    // Beside the real file, so its trace and manifests resolve.
    let at = path.with_file_name(format!(
        "fuzz-{}",
        path.file_name().unwrap().to_string_lossy()
    ));
    match no_panic(&at.display().to_string(), || load_scenario(&at, bytes))? {
        Ok(()) => Ok(()),
        Err(e) => names_a_file(&e),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scenarios(case in mutated(&seeds().scenarios)) {
        let (p, b) = mutate(&seeds().scenarios, &case);
        check_scenario(&p, b)?;
    }

    #[test]
    fn manifests(case in mutated(&seeds().manifests)) {
        let (p, b) = mutate(&seeds().manifests, &case);
        check_manifest(&p, b)?;
    }

    #[test]
    fn traces(case in mutated(&seeds().traces), format in 0usize..4) {
        let (p, b) = mutate(&seeds().traces, &case);
        check_trace(&p, &b, format)?;
    }

    #[test]
    fn sweep_files(case in mutated(&seeds().sweeps)) {
        let (p, b) = mutate(&seeds().sweeps, &case);
        check_sweep(&p, b)?;
    }

    #[test]
    fn baselines(ms in prop::collection::vec(mutation(), 1..5)) {
        let b = ms.iter().fold(BASELINE.as_bytes().to_vec(), apply);
        check_baseline(b)?;
    }

    #[test]
    fn vary_expressions(i in 0usize..VARIES.len(), ms in prop::collection::vec(mutation(), 1..4)) {
        let b = ms.iter().fold(VARIES[i].as_bytes().to_vec(), apply);
        let text = String::from_utf8_lossy(&b).into_owned();
        no_panic(&text, || {
            let _ = scalesim::sweep::grid::Vary::parse(&text);
            let _ = scalesim::sweep::grid::parse_values(&text);
        })?;
    }
}

const FORMATS: [Format; 4] = [
    Format::Auto,
    Format::Csv,
    Format::Prometheus,
    Format::Requests,
];

fn check_trace(path: &Path, bytes: &[u8], format: usize) -> Result<(), TestCaseError> {
    let name = Path::new(path.file_name().unwrap());
    let opts = ReadOptions {
        format: FORMATS[format],
        ..ReadOptions::default()
    };
    let r = no_panic(&name.display().to_string(), || {
        scalesim::trace::read::parse(name, bytes, &opts)
    })?;
    if let Err(e) = r {
        prop_assert!(e.location.file.as_deref() == Some(name), "{e}");
        own_words(&e.to_string())?;
    }
    Ok(())
}

/// A scenario reading the mutated manifest (for the workload and the autoscalers), with a
/// generated trace so that only the manifest varies.
fn check_manifest(path: &Path, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join(path.file_name().unwrap());
    std::fs::write(&m, &bytes).unwrap();
    let validated = no_panic("validate", || {
        let src = Source::from_bytes(&m, bytes.clone());
        scalesim::report::validate::validate_inputs(&[src])
    })?;
    let _ = validated;
    let scenario = format!(
        "name: f\nduration: 5m\ntrace: {{generate: {{kind: constant, rate: 20}}}}\nworkload:\n  kind: queue\n  service_time: {{dist: constant, value: 50ms}}\npods:\n  manifest: {0}\nautoscaler:\n  manifests: [{0}]\n  allow_conflicts: true\n",
        m.file_name().unwrap().to_string_lossy()
    );
    let s = dir.path().join("s.yaml");
    let r = no_panic("scenario with the manifest", || {
        load_scenario(&s, scenario.clone().into_bytes())
    })?;
    match r {
        Ok(()) => Ok(()),
        Err(e) => names_a_file(&e),
    }
}

/// The sweep fixtures copied once into a temporary folder; the mutated sweep file is written
/// beside them.
fn sweep_dir() -> &'static Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let src = repo().join("tests/fixtures/sweep");
        std::fs::create_dir_all(d.path().join("manifests")).unwrap();
        for f in ["web.yaml", "manifests/web.yaml"] {
            std::fs::copy(src.join(f), d.path().join(f)).unwrap();
        }
        d
    })
    .path()
}

fn check_sweep(path: &Path, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir_in(sweep_dir()).unwrap();
    let at = dir.path().join(path.file_name().unwrap());
    std::fs::write(&at, &bytes).unwrap();
    // Sweep files name `web.yaml` beside them; the scenario fixture is also fuzzed as one.
    std::fs::copy(sweep_dir().join("web.yaml"), dir.path().join("web.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("manifests")).unwrap();
    std::fs::copy(
        sweep_dir().join("manifests/web.yaml"),
        dir.path().join("manifests/web.yaml"),
    )
    .unwrap();
    let r = no_panic(&at.display().to_string(), || {
        scalesim::sweep::file::load(&at)
            .and_then(|cfg| scalesim::sweep::Sweep::plan(cfg).map(|_| ()))
    })?;
    if let Err(e) = r {
        let msg = e.to_string();
        prop_assert!(msg.contains(".yaml"), "no file named: {msg}");
        own_words(&msg)?;
    }
    Ok(())
}

const BASELINE: &str = r#"{
  "scenario": "web",
  "seed": 3,
  "duration_s": 240.0,
  "requests": {
    "offered": 20000,
    "completed": 19990,
    "timed_out": 0,
    "dropped": 0
  },
  "latency_s": {"p50": 0.05, "p95": 0.2, "p99": 0.4, "max": 1.2},
  "pods": {"max": 6, "mean": 3.5},
  "cost": {"pod_hours": 0.3}
}
"#;

fn check_baseline(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::write(dir.path().join("web/summary.json"), bytes).unwrap();
    let r = no_panic("baseline", || {
        scalesim::check::baseline::read(dir.path(), "web")
    })?;
    if let Err(e) = r {
        names_a_file(&e)?;
    }
    Ok(())
}

const VARIES: &[&str] = &[
    "hpa.spec.metrics[0].resource.target.averageUtilization=40..80:10",
    "pods.startup.max=20s,40s,60s",
    "workload.concurrency=1..8",
    "scaledobject.spec.triggers[0].metadata.queueLength=5,10",
    "Deployment[web].spec.replicas=1..3",
    "pods.startup={dist: constant, value: 30s}",
    "workload.service_time.mean=10ms..100ms:10ms",
];

// Crashes the harness found, kept as plain tests (each failed before its fix).

#[test]
fn a_dangling_alias_in_a_scenario_is_an_error_naming_the_file() {
    let p = repo().join("scenarios/fuzz-alias.yaml");
    let e = load_scenario(&p, b"name: x\nworkload: *nope\n".to_vec()).unwrap_err();
    assert!(e.to_string().contains("fuzz-alias.yaml"), "{e}");
}

#[test]
fn the_mutations_change_what_they_say() {
    let seed = b"a: 1\nb: 2\n".to_vec();
    assert_eq!(apply(seed.clone(), &Mutation::DropLine(1)), b"a: 1\n");
    assert_eq!(
        apply(seed.clone(), &Mutation::SwapLines(0, 1)),
        b"b: 2\na: 1\n"
    );
    assert_eq!(
        apply(seed.clone(), &Mutation::ReplaceValue(0, 0, 1)),
        b"a: -1\nb: 2\n"
    );
    assert_eq!(replace_value(b"0,20,x\n", 1, b"y"), b"0,y,x\n");
    assert_eq!(apply(seed, &Mutation::Truncate(3)), b"a: ");
}

#[test]
fn json_and_yaml_reader_jargon_is_translated() {
    let opts = ReadOptions {
        format: Format::Prometheus,
        ..ReadOptions::default()
    };
    let e = scalesim::trace::read::parse(Path::new("p.json"), b"{\"status\": tru}", &opts)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("p.json:1:"), "{e}");
    assert!(!e.contains("ident"), "{e}");
    let p = repo().join("scenarios/fuzz-eof.yaml");
    let e = load_scenario(&p, b"name: x\nworkload:\n  - [a,\n".to_vec())
        .unwrap_err()
        .to_string();
    assert!(!e.contains("EOF") && !e.contains("scalar"), "{e}");
}
