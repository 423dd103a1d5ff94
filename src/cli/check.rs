//! `scalesim check SCENARIO…`: run scenarios and verify their SLOs and (optionally) that nothing
//! regressed against stored baselines; text on stdout, JUnit XML for CI.

use super::shared::{JobsOption, OverwriteOption, ScenarioOptions};
use crate::check::baseline::Tolerances;
use crate::check::{self, CheckOptions, Outcome, VerdictCheck};
use crate::output::{self, OutputDir};
use crate::{Error, InputError, report};
use clap::Args;
use rayon::prelude::*;
use std::path::PathBuf;

const CHECK_HELP: &str = "\
SLOs come from each scenario's `slo:` block: latency_p99, latency_p95, latency_mean,
max_dropped_ratio, max_timed_out_ratio, max_backlog, max_backlog_age, max_pod_hours,
max_overload_seconds, max_scale_events, max_node_hours, max_cost, max_rejected_ratio,
max_backtest_replicas_mae, max_backtest_latency_p99_mape (upper bounds, inclusive) and
min_backtest_replicas_within_1_ratio (a lower bound: the backtest against the scenario's
`observed:` series, so CI fails when the model drifts from production).

Baselines: DIR/<scenario name>/summary.json (what `scalesim run` writes). Compared metrics, all
'higher is worse': latency mean/p50/p95/p99, wait p99, dropped and timed-out ratios, pod-hours,
backlog max, oldest waiting request, overload seconds, scale events, and the overload and node
metrics (503 ratio, retries, restarts, throttled and pending-pod seconds, node-hours, cost). A
metric regresses when it
exceeds the baseline by more than its tolerance: `--tolerance 5%` (the default) for all,
`--tolerance latency_p99=10%` or an absolute `--tolerance scale_events=2` / `latency_p99=50ms`
for one.

The verdict is a check: a run that did not keep up (dropped or timed out more than 0.1% of its
requests, overloaded more than 1% of the run, missed an `slo:` bound or ended with a backlog; see
docs/verdict.md) fails it. `--ignore-verdict` checks only the SLOs and baselines.

Exit codes: 0 every check passed, 1 a check failed, 2 bad input (the other scenarios still run
and the JUnit report records the error).";

/// Run scenarios and check their SLOs and baselines (exit 1 when any check fails).
#[derive(Debug, Args)]
#[command(after_long_help = CHECK_HELP)]
pub(crate) struct CheckArgs {
    /// Scenario files (YAML).
    #[arg(required = true)]
    pub(crate) scenarios: Vec<PathBuf>,
    /// Folder of baselines: DIR/<scenario name>/summary.json.
    #[arg(long, value_name = "DIR")]
    pub(crate) baseline: Option<PathBuf>,
    /// Allowed regression: `5%` for every metric, or `METRIC=10%` / `METRIC=50ms` for one.
    /// Repeatable.
    #[arg(long, value_name = "[METRIC=]TOL")]
    pub(crate) tolerance: Vec<String>,
    /// Write these runs' summaries as the new baselines instead of comparing.
    #[arg(long, requires = "baseline")]
    pub(crate) update_baseline: bool,
    /// Write a JUnit XML report (one testcase per scenario and check).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write a Markdown verdict table, e.g. to $GITHUB_STEP_SUMMARY or for a merge-request
    /// comment (an empty file, as CI runners create, is replaced).
    #[arg(long, value_name = "FILE")]
    pub(crate) summary: Option<PathBuf>,
    /// Also write each run's outputs into DIR/<scenario name>/.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) scenario_options: ScenarioOptions,
    #[command(flatten)]
    pub(crate) jobs: JobsOption,
    /// Check only the SLOs and baselines: a run that fell behind (see its verdict) does not
    /// fail the check by itself.
    #[arg(long)]
    pub(crate) ignore_verdict: bool,
    /// List every baseline metric, not only the regressions.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    #[command(flatten)]
    pub(crate) overwrite: OverwriteOption,
    /// Print only errors.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

fn input(m: impl Into<String>) -> Error {
    InputError::new(Default::default(), m).into()
}

fn options(a: &CheckArgs) -> Result<CheckOptions, Error> {
    let mut tolerances = Tolerances::default();
    for t in &a.tolerance {
        tolerances
            .add(t)
            .map_err(|m| input(format!("--tolerance {t}: {m}")))?;
    }
    if a.scenarios.len() > 1
        && a.scenario_options
            .manifests
            .iter()
            .any(|m| m.as_os_str() == "-")
    {
        return Err(input(
            "--manifest - reads standard input once; with several scenarios write the manifests to a file",
        ));
    }
    a.jobs.check()?;
    Ok(CheckOptions {
        overrides: a.scenario_options.overrides(),
        baseline: a.baseline.clone(),
        tolerances,
        update_baseline: a.update_baseline,
        verdict: if a.ignore_verdict {
            VerdictCheck::Ignored
        } else {
            VerdictCheck::Checked
        },
    })
}

/// Refuse, before any scenario runs, output places that cannot be used.
fn check_outputs(a: &CheckArgs) -> Result<(), Error> {
    let overwrite = a.overwrite.mode();
    if let Some(dir) = &a.out {
        OutputDir::open(dir, &[], overwrite)?;
    }
    if a.update_baseline
        && let Some(dir) = &a.baseline
    {
        OutputDir::open(dir, &[], overwrite)?;
    }
    if let Some(path) = &a.junit {
        output::check_single(path, overwrite, check::junit::is_own)?;
    }
    if let Some(path) = &a.summary {
        output::check_single(path, overwrite, check::summary_md::is_own)?;
    }
    Ok(())
}

/// Write each run's outputs under `--out`, the new baselines, and the JUnit report.
fn write_outputs(a: &CheckArgs, outcomes: &[Outcome]) -> Result<(), Error> {
    let overwrite = a.overwrite.mode();
    for c in outcomes.iter().filter_map(|o| o.result.as_ref().ok()) {
        if let Some(dir) = &a.out {
            let out = OutputDir::open(&dir.join(&c.name), &report::RUN_FILES, overwrite)?;
            out.fill(|staging| report::write_run(staging, &c.run))?;
            out.commit()?;
        }
        if a.update_baseline
            && let Some(dir) = &a.baseline
        {
            let p = check::baseline::write(dir, &c.run.summary, overwrite)?;
            if !a.quiet {
                super::out::println(format_args!("baseline written: {}", p.display()))?;
            }
        }
    }
    if let Some(path) = &a.junit {
        let xml = check::junit::render("scalesim check", &check::junit_suites(outcomes));
        output::write_single(path, xml.as_bytes(), overwrite, check::junit::is_own)?;
    }
    if let Some(path) = &a.summary {
        let md = check::summary_md::render(outcomes, a.verbose);
        output::write_single(path, md.as_bytes(), overwrite, check::summary_md::is_own)?;
    }
    Ok(())
}

/// Run the check; returns the exit code.
pub(super) fn run(a: CheckArgs) -> i32 {
    let opts = match options(&a).and_then(|o| check_outputs(&a).map(|()| o)) {
        Ok(o) => o,
        Err(e) => return super::report_error(&e),
    };
    let jobs = a.jobs.threads();
    let outcomes: Vec<Outcome> = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(|| {
            a.scenarios
                .par_iter()
                .map(|f| Outcome {
                    file: f.clone(),
                    result: check::check_scenario(f, &opts),
                })
                .collect()
        }),
        Err(e) => {
            return super::report_error(&Error::io(
                "cannot start threads",
                std::io::Error::other(e),
            ));
        }
    };
    if let Some((name, f1, f2)) = check::duplicate_names(&outcomes) {
        return super::report_error(&input(format!(
            "{} and {} are both named {name:?}: they would share an output and a baseline folder (give one a different `name:`)",
            f1.display(),
            f2.display()
        )));
    }
    let mut code = check::exit_code(&outcomes);
    for o in &outcomes {
        match &o.result {
            Err(e) => eprintln!("error: {e}"),
            Ok(c) if !a.quiet => {
                for w in &c.run.warnings {
                    eprintln!("warning: {}: {w}", c.name);
                }
            }
            Ok(_) => {}
        }
    }
    if let Err(e) = write_outputs(&a, &outcomes) {
        code = code.max(super::report_error(&e));
    }
    if !a.quiet
        && let Err(e) = super::out::print(check::render_text(&outcomes, a.verbose))
    {
        code = code.max(super::report_error(&e));
    }
    code
}
