//! `check --summary FILE`: the check as Markdown for a CI page — GitHub's
//! `$GITHUB_STEP_SUMMARY`, a merge-request comment — in the same words as the text report:
//! a table of the scenarios with their verdict lines, a table of every check, and the total.
//! See `docs/sweeps-and-ci.md`.

use super::{Outcome, check_lines, total_line};

/// The first line of every summary (an HTML comment, invisible when rendered): how a later
/// `check --summary` recognises the file as its own.
const MARK: &str = "<!-- scalesim check summary -->";

/// Whether `bytes` are a summary [`render`] wrote, or an empty file (what a CI runner creates
/// for `$GITHUB_STEP_SUMMARY`): either may be replaced without `--overwrite`.
pub(crate) fn is_own(bytes: &[u8]) -> bool {
    bytes.is_empty() || bytes.starts_with(MARK.as_bytes())
}

/// Text for one table cell: `|` escaped, HTML markup shown as text, lines joined with `<br>`.
fn cell(s: &str) -> String {
    s.trim_end()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// The result word of a check, with a mark a reader finds at a glance.
fn badge(word: &str) -> String {
    let mark = match word {
        "PASS" => "✅",
        "FAIL" => "❌",
        "ERROR" => "⚠️",
        _ => "➖",
    };
    format!("{mark} {word}")
}

/// Render the summary of `outcomes` (`verbose` lists every baseline metric).
pub(crate) fn render(outcomes: &[Outcome], verbose: bool) -> String {
    let mut head = String::from("| Scenario | Result | Verdict |\n|---|---|---|\n");
    let mut rows = String::from("| Scenario | Check | Result | Detail |\n|---|---|---|---|\n");
    let (mut checks, mut failed, mut errors) = (0, 0, 0);
    for o in outcomes {
        let c = match &o.result {
            Err(e) => {
                errors += 1;
                let file = cell(&o.file.display().to_string());
                head += &format!(
                    "| {file} | {} | {} |\n",
                    badge("ERROR"),
                    cell(&e.to_string())
                );
                continue;
            }
            Ok(c) => c,
        };
        checks += c.checks();
        failed += c.failed();
        let name = cell(&c.name);
        let word = if c.passed() { "PASS" } else { "FAIL" };
        let verdict = crate::report::table::verdict_line(&c.run.summary);
        head += &format!("| {name} | {} | {} |\n", badge(word), cell(&verdict));
        for (word, what, detail) in check_lines(c, verbose) {
            rows += &format!(
                "| {name} | {} | {} | {} |\n",
                cell(&what),
                badge(word),
                cell(&detail)
            );
        }
    }
    let total = total_line(outcomes.len(), checks, failed, errors);
    let title = if errors > 0 {
        "⚠️ bad input"
    } else if failed > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let mut md = format!("{MARK}\n## scalesim check: {title}\n\n{head}\n");
    if checks > 0 || rows.lines().count() > 2 {
        md += &format!("{rows}\n");
    }
    md + &format!("{}\n", total.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc <x>"), "a\\|b<br>c &lt;x&gt;");
    }

    #[test]
    fn own_files_are_recognised() {
        assert!(is_own(b""));
        assert!(is_own(render(&[], false).as_bytes()));
        assert!(!is_own(b"# my notes\n"));
    }
}
