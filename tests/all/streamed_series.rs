//! `scalesim run` streams `timeseries.csv` row by row and gathers the summary, the verdict and
//! the charts' data as rows go (`src/record.rs`, `src/sim/series_stats.rs`): its outputs are
//! those of a run that keeps the whole series (the hidden `--keep-rows`), including timeouts
//! found long after their row was written — with the OpenMetrics export (spilled series by
//! series, then joined) and a backtest (rows paired with the observed series as they go).

use crate::helpers::run_into;
use std::path::Path;

/// One slow pod (a 30 s request, one at a time) offered a request a second with a 1 s client
/// timeout, at a 10 ms step: the requests queued behind the one in service time out, but each
/// is found only when the pod next takes from its queue — up to 30 s, 3,000 rows, after the
/// row of its deadline was streamed (more than the window of rows kept), and the last ones at
/// the end of the run. 30,000 rows: few enough for the charts to keep every row.
fn late_timeouts_scenario(dir: &Path, fidelity: &str) -> std::path::PathBuf {
    let p = dir.join(format!("late-{fidelity}.yaml"));
    std::fs::write(
        &p,
        format!(
            "name: late\nduration: 5m\nstep: 10ms\nfidelity: {fidelity}\n\
             trace: {{generate: {{kind: constant, rate: 1}}}}\n\
             workload: {{kind: http, service_time: {{dist: constant, value: 30s}}, cpu_per_request: 10m, concurrency: 1, timeout: 1s}}\n\
             pods: {{replicas: 1, cpu_request: 500m, startup: 10s}}\n"
        ),
    )
    .unwrap();
    p
}

fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    let o = run_into(scenario, out, extra);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn streamed_rows_give_the_outputs_of_kept_rows() {
    let t = tempfile::tempdir().unwrap();
    for fidelity in ["request", "fluid"] {
        let scenario = late_timeouts_scenario(t.path(), fidelity);
        let (streamed, kept) = (t.path().join("streamed"), t.path().join("kept"));
        let observed = t.path().join("observed.csv");
        std::fs::write(
            &observed,
            "t,replicas\n0,1\n60,2\n120,1\n180,1\n240,3\n300,1\n",
        )
        .unwrap();
        let extra = [
            "--export",
            "openmetrics",
            "--observed-replicas",
            observed.to_str().unwrap(),
        ];
        run(&scenario, &streamed, &extra);
        run(&scenario, &kept, &[&extra[..], &["--keep-rows"]].concat());
        for file in [
            "timeseries.csv",
            "summary.json",
            "events.jsonl",
            "chart.svg",
            "report.html",
            "openmetrics.txt",
        ] {
            let a = std::fs::read(streamed.join(file)).unwrap();
            let b = std::fs::read(kept.join(file)).unwrap();
            assert!(a == b, "{fidelity}: {file} differs");
        }
        let csv = std::fs::read_to_string(streamed.join("timeseries.csv")).unwrap();
        assert_eq!(csv.lines().count(), 30_001, "{fidelity}");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(streamed.join("summary.json")).unwrap()).unwrap();
        let timed_out = summary["requests"]["timed_out"].as_u64().unwrap();
        assert!(timed_out > 100, "{fidelity}: {timed_out} timed out");
        let samples = summary["backtest"]["replicas"]["samples"].as_u64().unwrap();
        assert!(samples > 20_000, "{fidelity}: {samples} rows paired");
        let svg = std::fs::read_to_string(streamed.join("chart.svg")).unwrap();
        assert!(svg.contains("observed replicas"), "{fidelity}");
        let names: Vec<_> = std::fs::read_dir(&streamed)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.contains("spill") && !n.contains("staging")),
            "{fidelity}: {names:?}"
        );
    }
}
