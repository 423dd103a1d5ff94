//! `scalesim check`: run scenarios and verify them — their SLOs (`slo:` in the scenario) and,
//! optionally, no regression against stored baselines — with results for people (text) and CI
//! systems (JUnit XML).
//!
//! - the named metrics of a run and the `slo:` judgement live with the summary they read
//!   (`crate::sim::figures`, `crate::sim::slo`): the run's verdict needs them too;
//! - [`baseline`]: comparison with `DIR/<scenario>/summary.json` under tolerances;
//! - [`junit`]: the JUnit XML report;
//! - [`summary_md`]: the Markdown summary for a CI page (`check --summary`).

pub mod baseline;
pub(crate) mod junit;
pub(crate) mod summary_md;

use crate::error::Error;
use crate::scenario::{Overrides, Scenario};
use crate::sim::figures::Metrics;
use crate::sim::slo::{self, SloResult};
use crate::sim::{self, RunOptions, RunResult};
use baseline::{Comparison, Tolerances};
use std::path::{Path, PathBuf};

/// What `check` compares against, beyond the scenario's own SLOs.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckOptions {
    /// Seed, extra manifests and patches (e.g. `fidelity`) for every scenario.
    pub(crate) overrides: Overrides,
    /// Folder of baselines (`<name>/summary.json`), if comparing.
    pub(crate) baseline: Option<PathBuf>,
    pub(crate) tolerances: Tolerances,
    /// Skip the comparison: the caller rewrites the baselines from these runs.
    pub(crate) update_baseline: bool,
    /// Count the run's verdict as a check (a run that fell behind fails); `check
    /// --ignore-verdict` turns this off, leaving the SLOs and baselines.
    pub(crate) verdict: VerdictCheck,
}

/// Whether a run that fell behind fails the check (see `docs/verdict.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum VerdictCheck {
    /// A run that did not keep up is a failed check.
    #[default]
    Checked,
    /// The verdict is printed as words only.
    Ignored,
}

/// How the baseline part of a check went.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BaselineStatus {
    /// No `--baseline`, or the baselines are being rewritten.
    NotCompared,
    /// `--baseline DIR` has nothing for this scenario yet (not a failure).
    Missing(PathBuf),
    Compared(Vec<Comparison>),
}

/// A scenario that ran, with every check.
#[derive(Debug)]
pub(crate) struct ScenarioCheck {
    pub(crate) file: PathBuf,
    pub(crate) name: String,
    /// `None` when the scenario has no `slo:` block.
    pub(crate) slo: Option<Vec<SloResult>>,
    pub(crate) baseline: BaselineStatus,
    pub(crate) verdict: VerdictCheck,
    pub(crate) run: RunResult,
}

impl ScenarioCheck {
    /// Every check passed (a missing baseline is not a failure).
    pub(crate) fn passed(&self) -> bool {
        self.failed() == 0
    }

    /// Number of failed checks.
    pub(crate) fn failed(&self) -> usize {
        let slo = self.slo.iter().flatten().filter(|r| !r.pass).count();
        let base = match &self.baseline {
            BaselineStatus::Compared(c) => c.iter().filter(|c| c.regressed).count(),
            _ => 0,
        };
        slo + base + usize::from(self.verdict_passed() == Some(false))
    }

    /// Number of checks made.
    pub(crate) fn checks(&self) -> usize {
        let base = match &self.baseline {
            BaselineStatus::Compared(c) => c.len(),
            _ => 0,
        };
        self.slo.as_ref().map_or(0, Vec::len) + base + usize::from(self.verdict_passed().is_some())
    }

    /// Whether the run kept up beyond its own `slo:` bounds (which are checks of their own),
    /// when the verdict is checked; `None` when it is not, or the summary has no verdict.
    pub(crate) fn verdict_passed(&self) -> Option<bool> {
        match self.verdict {
            VerdictCheck::Checked => {
                (self.run.summary.verdict.as_ref()).map(|v| v.failed_beyond_slo().is_empty())
            }
            VerdictCheck::Ignored => None,
        }
    }

    /// The verdict check in words: `kept up`, or what the run missed (`1.02% timed out, …`).
    fn verdict_detail(&self) -> String {
        let Some(v) = &self.run.summary.verdict else {
            return String::new();
        };
        let beyond = v.failed_beyond_slo();
        match (beyond.is_empty(), v.kept_up) {
            (false, _) => format!("fell behind: {}", beyond.join(", ")),
            (true, true) => "kept up".into(),
            (true, false) => "kept up apart from the slo bounds below".into(),
        }
    }
}

/// One scenario file's outcome: checked, or unusable input.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) file: PathBuf,
    pub(crate) result: Result<ScenarioCheck, Error>,
}

/// Load, run and check one scenario.
pub(crate) fn check_scenario(path: &Path, opts: &CheckOptions) -> Result<ScenarioCheck, Error> {
    let scenario = Scenario::load(path, &opts.overrides)?;
    let mut run = sim::run(&scenario, &RunOptions::default())?;
    crate::backtest::attach(&scenario, &mut run)?;
    let values = Metrics::from_summary(&run.summary);
    let slo = scenario.slo.as_ref().map(|s| slo::evaluate(s, &values));
    let baseline = match (&opts.baseline, opts.update_baseline) {
        (Some(dir), false) => match baseline::read(dir, &scenario.name)? {
            Some(b) => BaselineStatus::Compared(baseline::compare(&b, &values, &opts.tolerances)),
            None => BaselineStatus::Missing(baseline::path(dir, &scenario.name)),
        },
        _ => BaselineStatus::NotCompared,
    };
    Ok(ScenarioCheck {
        file: path.to_path_buf(),
        name: scenario.name.clone(),
        slo,
        baseline,
        verdict: opts.verdict,
        run,
    })
}

/// Two scenario files with the same `name` would share an output and a baseline folder.
pub(crate) fn duplicate_names(outcomes: &[Outcome]) -> Option<(String, PathBuf, PathBuf)> {
    let ok: Vec<&ScenarioCheck> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .collect();
    for (i, a) in ok.iter().enumerate() {
        if let Some(b) = ok[i + 1..].iter().find(|b| b.name == a.name) {
            return Some((a.name.clone(), a.file.clone(), b.file.clone()));
        }
    }
    None
}

fn stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into())
}

/// The JUnit suites of a check: per scenario a `run` case (an error when the input was
/// unusable), one case per SLO and one per baseline metric (or a skipped `baseline` case when
/// there is none yet).
pub(crate) fn junit_suites(outcomes: &[Outcome]) -> Vec<junit::Suite> {
    use junit::{Case, Outcome as O};
    outcomes
        .iter()
        .map(|o| {
            let name = match &o.result {
                Ok(c) => c.name.clone(),
                Err(_) => stem(&o.file),
            };
            let classname = format!("scalesim.{name}");
            let case = |n: String, outcome| Case {
                name: n,
                classname: classname.clone(),
                outcome,
            };
            let mut cases = Vec::new();
            match &o.result {
                Err(e) => cases.push(case(
                    "run".into(),
                    O::Error {
                        message: e.to_string(),
                    },
                )),
                Ok(c) => {
                    cases.push(case("run".into(), O::Passed));
                    if let Some(kept_up) = c.verdict_passed() {
                        let outcome = if kept_up {
                            O::Passed
                        } else {
                            O::Failed {
                                message: c.verdict_detail(),
                                detail: format!(
                                    "{}: {}",
                                    o.file.display(),
                                    crate::report::table::verdict_line(&c.run.summary)
                                ),
                            }
                        };
                        cases.push(case("verdict".into(), outcome));
                    }
                    for r in c.slo.iter().flatten() {
                        let outcome = if r.pass {
                            O::Passed
                        } else {
                            O::Failed {
                                message: format!(
                                    "SLO {} missed: {}",
                                    r.describe(),
                                    r.measured_text()
                                ),
                                detail: format!(
                                    "{}: {} ({}); {}",
                                    o.file.display(),
                                    r.describe(),
                                    r.measured_text(),
                                    crate::report::table::verdict_line(&c.run.summary)
                                ),
                            }
                        };
                        cases.push(case(format!("slo {}", r.describe()), outcome));
                    }
                    match &c.baseline {
                        BaselineStatus::NotCompared => {}
                        BaselineStatus::Missing(p) => cases.push(case(
                            "baseline".into(),
                            O::Skipped {
                                message: format!("no baseline at {}", p.display()),
                            },
                        )),
                        BaselineStatus::Compared(cs) => {
                            for cmp in cs {
                                let outcome = if cmp.regressed {
                                    O::Failed {
                                        message: format!(
                                            "regression in {}: {}",
                                            cmp.metric.name,
                                            cmp.detail()
                                        ),
                                        detail: format!(
                                            "{}: {}; {}",
                                            o.file.display(),
                                            cmp.detail(),
                                            crate::report::table::verdict_line(&c.run.summary)
                                        ),
                                    }
                                } else {
                                    O::Passed
                                };
                                cases.push(case(cmp.describe(), outcome));
                            }
                        }
                    }
                }
            }
            junit::Suite { name, cases }
        })
        .collect()
}

/// The check report for people: per scenario its verdict line (`verdict: kept up — …`),
/// the verdict as a check (unless ignored), one line per SLO, then the baseline — every
/// compared metric when `verbose`, else the regressions and one line for the rest — then a
/// total.
pub(crate) fn render_text(outcomes: &[Outcome], verbose: bool) -> String {
    let mut out = String::new();
    let (mut checks, mut failed, mut errors) = (0, 0, 0);
    for o in outcomes {
        let c = match &o.result {
            Err(e) => {
                errors += 1;
                out += &format!("{}\n  ERROR {e}\n", o.file.display());
                continue;
            }
            Ok(c) => c,
        };
        checks += c.checks();
        failed += c.failed();
        out += &format!("{} ({})\n", c.name, o.file.display());
        out += &format!("  {}\n", crate::report::table::verdict_line(&c.run.summary));
        let lines = check_lines(c, verbose);
        if lines.is_empty() {
            out += "  (nothing to check: no `slo:` block and no baseline)\n";
        }
        let width = lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
        for (verdict, what, detail) in lines {
            out += &format!("  {verdict}  {what:width$}  {detail}\n");
        }
    }
    out += &total_line(outcomes.len(), checks, failed, errors);
    out
}

/// One scenario's checks as `(PASS|FAIL|SKIP, what, detail)`: each SLO, then the baseline —
/// every compared metric when `verbose`, else the regressions and one line for the rest.
pub(crate) fn check_lines(c: &ScenarioCheck, verbose: bool) -> Vec<(&'static str, String, String)> {
    let mut lines: Vec<(&'static str, String, String)> = Vec::new();
    let verdict = |pass: bool| if pass { "PASS" } else { "FAIL" };
    if let Some(kept_up) = c.verdict_passed() {
        lines.push((verdict(kept_up), "verdict".into(), c.verdict_detail()));
    }
    for r in c.slo.iter().flatten() {
        lines.push((
            verdict(r.pass),
            format!("slo {}", r.describe()),
            r.measured_text(),
        ));
    }
    match &c.baseline {
        BaselineStatus::NotCompared => {}
        BaselineStatus::Missing(p) => lines.push((
            "SKIP",
            "baseline".into(),
            format!("none at {} (--update-baseline writes it)", p.display()),
        )),
        BaselineStatus::Compared(cs) => {
            let quiet_passes = cs.iter().filter(|c| !c.regressed).count();
            for cmp in cs.iter().filter(|c| verbose || c.regressed) {
                lines.push((verdict(!cmp.regressed), cmp.describe(), cmp.detail()));
            }
            if !verbose && quiet_passes > 0 {
                lines.push((
                    "PASS",
                    "baseline".into(),
                    format!(
                        "{quiet_passes} metric{} within tolerance (--verbose lists them)",
                        if quiet_passes == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
    }
    lines
}

/// The last line of a check report: `2 scenarios, 5 checks: 4 passed, 1 failed`.
pub(crate) fn total_line(scenarios: usize, checks: usize, failed: usize, errors: usize) -> String {
    format!(
        "{} scenario{}, {checks} check{}: {} passed, {failed} failed{}\n",
        scenarios,
        if scenarios == 1 { "" } else { "s" },
        if checks == 1 { "" } else { "s" },
        checks - failed,
        if errors > 0 {
            format!(
                ", {errors} scenario{} with bad input",
                if errors == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    )
}

/// Exit code of a check: 2 when any scenario was unusable, 1 when any check failed, else 0.
pub(crate) fn exit_code(outcomes: &[Outcome]) -> i32 {
    if outcomes.iter().any(|o| o.result.is_err()) {
        2
    } else if outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|c| !c.passed()))
    {
        1
    } else {
        0
    }
}
