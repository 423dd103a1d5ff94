//! Outputs are written complete or not at all, and never over a file scalesim did not write:
//! user files beside outputs, unusable output folders, runs killed mid-way (SIGKILL, SIGINT,
//! SIGTERM), and every command that writes.

use crate::helpers::{files_of, output_at_root as scalesim, run_into, stderr};
use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A short scenario (10 simulated minutes at flow level) that runs in well under a second.
fn quick_scenario(dir: &Path) -> PathBuf {
    let p = dir.join("quick.yaml");
    std::fs::write(
        &p,
        "name: quick\nduration: 10m\nstep: 10s\nfidelity: fluid\n\
         trace: {generate: {kind: constant, rate: 50}}\n\
         workload: {kind: http, service_time: {dist: exponential, mean: 50ms}, cpu_per_request: 10m, concurrency: 8}\n\
         pods: {replicas: 2, cpu_request: 500m, startup: 10s}\n",
    )
    .unwrap();
    p
}

/// Every file below `dir` (relative path → bytes), hidden staging folders included.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_of(dir)
        .into_iter()
        .map(|(p, b)| (p.to_string_lossy().into_owned(), b))
        .collect()
}

#[test]
fn a_users_file_in_the_way_is_refused_before_simulating_and_kept() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("chart.png"), b"my own picture").unwrap();
    let o = run_into(&s, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("chart.png") && e.contains("did not write"),
        "{e}"
    );
    assert!(e.contains("--overwrite"), "{e}");
    assert_eq!(
        snapshot(&out),
        vec![("chart.png".into(), b"my own picture".to_vec())],
        "nothing written, nothing removed"
    );
    // --overwrite is the user's explicit permission.
    let o = run_into(&s, &out, &["--overwrite"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(out.join("chart.png")).unwrap(),
        b"my own picture"
    );
}

#[test]
fn no_charts_keeps_a_users_pictures_and_removes_only_its_own() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    // A folder that never held a run: the user's chart files stay.
    let mine = t.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    for f in ["chart.png", "chart.svg", "report.html"] {
        std::fs::write(mine.join(f), b"user").unwrap();
    }
    let o = run_into(&s, &mine, &["--no-charts"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["chart.png", "chart.svg", "report.html"] {
        assert_eq!(std::fs::read(mine.join(f)).unwrap(), b"user", "{f}");
    }
    assert!(mine.join("summary.json").is_file());
    // A folder of an earlier full run: its charts were scalesim's and are removed.
    let ours = t.path().join("ours");
    assert!(run_into(&s, &ours, &[]).status.success());
    assert!(ours.join("chart.png").is_file());
    let o = scalesim(&[
        "run",
        s.to_str().unwrap(),
        "--out",
        ours.to_str().unwrap(),
        "--no-charts",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!ours.join("chart.png").exists());
    assert!(stderr(&o).contains("removed chart.png"), "{}", stderr(&o));
}

#[test]
fn an_own_file_the_user_edited_is_not_replaced() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let out = t.path().join("out");
    assert!(run_into(&s, &out, &["--no-charts"]).status.success());
    std::fs::write(out.join("summary.json"), b"{\"edited\": true}").unwrap();
    let o = run_into(&s, &out, &["--no-charts"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("changed since"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("summary.json")).unwrap(),
        b"{\"edited\": true}"
    );
}

#[test]
fn a_rerun_replaces_its_own_results_and_leaves_no_staging() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let out = t.path().join("out");
    assert!(run_into(&s, &out, &[]).status.success());
    let first = snapshot(&out);
    let o = run_into(&s, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(snapshot(&out), first, "same inputs, same bytes, same files");
    let names: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
    assert!(names.iter().all(|n| !n.contains("staging")), "{names:?}");
    assert!(
        names.contains(&".scalesim-outputs.json".to_string()),
        "{names:?}"
    );
}

#[test]
fn unusable_output_folders_are_usage_errors_before_simulating() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let file = t.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let o = run_into(&s, &file, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a-file") && stderr(&o).contains("is a file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    // A folder that cannot be created (even root cannot create folders in /proc).
    let o = run_into(&s, Path::new("/proc/scalesim-cannot-be-here"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/proc/scalesim-cannot-be-here"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn single_file_outputs_refuse_to_replace_a_users_file() {
    let t = tempfile::tempdir().unwrap();
    let csv = t.path().join("trace.csv");
    std::fs::write(&csv, b"mine").unwrap();
    let gen_args = [
        "trace",
        "gen",
        "constant",
        "--rate",
        "5",
        "--duration",
        "1m",
        "-o",
    ];
    let mut args = gen_args.to_vec();
    args.push(csv.to_str().unwrap());
    let o = scalesim(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(&csv).unwrap(), b"mine");
    args.push("--overwrite");
    let o = scalesim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with("time"));
    // trace show --plot: a picture scalesim drew may be redrawn, a user's file may not.
    let png = t.path().join("plot.png");
    let show = |p: &Path| {
        scalesim(&[
            "trace",
            "show",
            "traces/checkout_spike_1h.csv",
            "--plot",
            p.to_str().unwrap(),
        ])
    };
    assert_eq!(show(&png).status.code(), Some(0));
    assert_eq!(
        show(&png).status.code(),
        Some(0),
        "its own picture is replaced"
    );
    std::fs::write(&png, b"user picture").unwrap();
    let o = show(&png);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(&png).unwrap(), b"user picture");
}

#[test]
fn junit_and_compare_follow_the_same_rules() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let junit = t.path().join("junit.xml");
    std::fs::write(&junit, b"<mine/>").unwrap();
    let o = scalesim(&[
        "check",
        s.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(&junit).unwrap(), b"<mine/>");
    std::fs::remove_file(&junit).unwrap();
    let o = scalesim(&[
        "check",
        s.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = scalesim(&[
        "check",
        s.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "its own report is replaced: {}",
        stderr(&o)
    );

    let (a, b) = (t.path().join("a"), t.path().join("b"));
    assert!(run_into(&s, &a, &["--no-charts"]).status.success());
    assert!(
        run_into(&s, &b, &["--no-charts", "--seed", "2"])
            .status
            .success()
    );
    let cmp = t.path().join("cmp");
    std::fs::create_dir(&cmp).unwrap();
    std::fs::write(cmp.join("compare.html"), b"notes").unwrap();
    let args = [
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
        "-q",
    ];
    let o = scalesim(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(cmp.join("compare.html")).unwrap(), b"notes");
}

/// A run long enough to be stopped mid-way: request level, 14.4 M requests (under the
/// request-level limit).
fn slow_scenario(dir: &Path) -> PathBuf {
    let p = dir.join("slow.yaml");
    std::fs::write(
        &p,
        "name: slow\nduration: 2h\nstep: 1s\nfidelity: request\n\
         trace: {generate: {kind: constant, rate: 2000}}\n\
         workload: {kind: http, service_time: {dist: exponential, mean: 20ms}, cpu_per_request: 10m, concurrency: 8}\n\
         pods: {replicas: 8, cpu_request: 500m, startup: 10s}\n",
    )
    .unwrap();
    p
}

/// Start a slow run into `out`, let it work, then send `signal`; returns its exit status.
fn stop_mid_run(scenario: &Path, out: &Path, signal: &str) -> std::process::ExitStatus {
    let bin = assert_cmd::cargo::cargo_bin("scalesim");
    let mut child = std::process::Command::new(bin)
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be stopped"
    );
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap()
}

#[test]
fn a_run_stopped_mid_way_leaves_the_earlier_result_exactly() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let quick = quick_scenario(t.path());
    assert!(run_into(&quick, &out, &[]).status.success());
    let before = snapshot(&out);
    let slow = slow_scenario(t.path());
    for (signal, code) in [("-INT", Some(130)), ("-TERM", Some(143)), ("-KILL", None)] {
        let status = stop_mid_run(&slow, &out, signal);
        assert_eq!(status.code(), code, "{signal}");
        let after: Vec<_> = snapshot(&out)
            .into_iter()
            .filter(|(n, _)| !n.starts_with(".scalesim-staging-"))
            .collect();
        assert_eq!(after, before, "{signal}: the earlier result changed");
        if code.is_some() {
            assert_eq!(
                snapshot(&out),
                before,
                "{signal}: staging files left behind"
            );
        }
    }
    // The next run clears what SIGKILL left.
    assert!(run_into(&quick, &out, &[]).status.success());
    assert_eq!(snapshot(&out), before);
}

/// A long flow-level run whose HPA logs every sync (with `--log-every-sync`): its
/// `events.jsonl` grows in the staging folder from the first simulated minutes.
fn chatty_scenario(dir: &Path) -> PathBuf {
    let m = format!(
        "{}/scenarios/manifests/checkout.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let p = dir.join("chatty.yaml");
    std::fs::write(
        &p,
        format!(
            "name: chatty\nduration: 30d\nstep: 60s\nfidelity: fluid\n\
             trace: {{generate: {{kind: constant, rate: 200}}}}\n\
             workload: {{kind: http, service_time: {{dist: exponential, mean: 50ms}}, cpu_per_request: 20m, concurrency: 16}}\n\
             pods: {{manifest: {m}, startup: 30s}}\nautoscaler: {{manifests: [{m}]}}\n"
        ),
    )
    .unwrap();
    p
}

/// The size of `name` in a staging folder of `out`, if there is one.
fn staged_len(out: &Path, name: &str) -> Option<u64> {
    std::fs::read_dir(out).ok()?.flatten().find_map(|e| {
        let folder = e.file_name().to_string_lossy().into_owned();
        if !folder.starts_with(".scalesim-staging-") {
            return None;
        }
        std::fs::metadata(e.path().join(name)).ok().map(|m| m.len())
    })
}

/// `events.jsonl` is written into the staging folder as the run goes, not held until the end;
/// a run stopped while it streams still leaves the earlier result exactly as it was.
#[test]
fn a_run_stopped_while_streaming_events_leaves_the_earlier_result_exactly() {
    stop_while_streaming("events.jsonl", &["--log-every-sync"]);
}

/// So is `timeseries.csv`, row by row (the charts keep a bounded copy of the rows).
#[test]
fn a_run_stopped_while_streaming_its_time_series_leaves_the_earlier_result_exactly() {
    stop_while_streaming("timeseries.csv", &[]);
}

/// `--export openmetrics` spills each series into a folder of the staging folder as the run
/// goes: a run stopped while it spills leaves no spill file, and the folder exactly as before.
#[test]
fn a_run_stopped_while_spilling_its_export_leaves_no_spill_file() {
    stop_while_streaming(".openmetrics-spill/requests", &["--export", "openmetrics"]);
}

/// Start a long run into a folder holding an earlier result, wait until `file` has grown in
/// the staging folder, stop the run: the folder is exactly as before.
fn stop_while_streaming(file: &str, extra: &[&str]) {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let quick = quick_scenario(t.path());
    assert!(run_into(&quick, &out, &[]).status.success());
    let before = snapshot(&out);
    let chatty = chatty_scenario(t.path());
    let bin = assert_cmd::cargo::cargo_bin("scalesim");
    let mut child = std::process::Command::new(bin)
        .args([
            "run",
            chatty.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .arg("-q")
        .args(extra)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut streamed = 0;
    for _ in 0..400 {
        streamed = staged_len(&out, file).unwrap_or(0);
        if streamed > 0 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be stopped"
    );
    assert!(
        streamed > 0,
        "nothing streamed into the staging folder's {file}"
    );
    let visible: Vec<_> = snapshot(&out)
        .into_iter()
        .filter(|(n, _)| !n.starts_with(".scalesim-staging-"))
        .collect();
    assert_eq!(
        visible, before,
        "the streamed {file} reached the folder early"
    );
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(snapshot(&out), before, "the earlier result changed");
}

/// A tmpfs of `size` mounted at `dir` (`ro` for read-only), unmounted on drop; `None` (said on
/// stderr) where this machine does not let the test mount one.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs", dir.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here (needs root); full and read-only disks untested"
            );
        }
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_exit_2_naming_the_file_and_leaves_no_truncated_file() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let Some(_m) = Mount::tmpfs(&t.path().join("full"), "size=16k") else {
        return;
    };
    let out = t.path().join("full/out");
    let o = run_into(&s, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("No space left on device") && e.contains("full/out/"),
        "{e}"
    );
    assert!(!e.contains("os error"), "{e}");
    assert!(
        !out.exists(),
        "no partial file, and the folder it made is gone"
    );
    // A single-file output: no 4,096-byte stub either.
    let png = t.path().join("full/plot.png");
    let o = scalesim(&[
        "trace",
        "show",
        "traces/checkout_spike_1h.csv",
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!png.exists());
    assert_eq!(
        std::fs::read_dir(t.path().join("full")).unwrap().count(),
        0,
        "nothing left"
    );
}

#[test]
fn a_read_only_folder_is_refused_before_simulating() {
    let t = tempfile::tempdir().unwrap();
    let s = quick_scenario(t.path());
    let Some(_m) = Mount::tmpfs(&t.path().join("ro"), "ro,size=16k") else {
        return;
    };
    let o = run_into(&s, &t.path().join("ro"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("cannot write into the output folder") && e.contains("Read-only"),
        "{e}"
    );
}

#[test]
fn long_work_prints_plain_progress_lines_when_stderr_is_not_a_terminal() {
    let t = tempfile::tempdir().unwrap();
    // The slow scenario cut to 10 minutes, its lines shown from the start.
    let text = std::fs::read_to_string(slow_scenario(t.path())).unwrap();
    let slow = t.path().join("slow10.yaml");
    std::fs::write(&slow, text.replace("duration: 2h", "duration: 10m")).unwrap();
    let out = t.path().join("out");
    let args = [
        "run",
        slow.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ];
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .env("SCALESIM_PROGRESS_AFTER", "0")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    let lines: Vec<&str> = e.lines().filter(|l| l.starts_with("run slow: ")).collect();
    assert!(
        lines.len() >= 2,
        "a line at the start and one at the end: {e}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.contains("600/600 simulated s") && last.contains("done in"),
        "{e}"
    );
    let o = Command::cargo_bin("scalesim")
        .unwrap()
        .env("SCALESIM_PROGRESS_AFTER", "0")
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        !stderr(&o).contains("run slow: "),
        "--quiet silences progress: {}",
        stderr(&o)
    );
    // A sweep: a line at the start and one at the end.
    let quick = quick_scenario(t.path());
    let sw = t.path().join("sw");
    let o = scalesim(&[
        "sweep",
        quick.to_str().unwrap(),
        "--vary",
        "pods.replicas=1,2",
        "--out",
        sw.to_str().unwrap(),
        "--charts",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("sweep quick: 0/2 runs") && e.contains("sweep quick: 2/2 runs"),
        "{e}"
    );
}
