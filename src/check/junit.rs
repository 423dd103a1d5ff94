//! JUnit XML for CI systems (GitHub Actions reporters, GitLab `artifacts:reports:junit`,
//! Jenkins): one `testsuite` per scenario, one `testcase` per check. Times are always 0 —
//! outputs carry no wall-clock time, so the same inputs give the same file.

use crate::text::{Markup::XmlAttribute, escape};
use std::fmt::Write as _;

/// How one check ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Passed,
    /// The check ran and failed (`<failure>`): an SLO missed or a regression.
    Failed {
        message: String,
        detail: String,
    },
    /// The check could not run (`<error>`): bad input.
    Error {
        message: String,
    },
    /// Not checked (`<skipped>`), e.g. no baseline stored yet.
    Skipped {
        message: String,
    },
}

/// One `testcase`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) classname: String,
    pub(crate) outcome: Outcome,
}

/// One `testsuite` (a scenario).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Suite {
    pub(crate) name: String,
    pub(crate) cases: Vec<Case>,
}

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
    pub(crate) fn failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }
    pub(crate) fn errors(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Error { .. }))
    }
    pub(crate) fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped { .. }))
    }
}

/// Whether `bytes` are a JUnit report [`render`] wrote (so `check --junit` may replace it).
pub(crate) fn is_own(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    head.contains("<testsuites name=\"scalesim")
}

/// Render the report: `<testsuites name="…">` holding every suite.
pub(crate) fn render(name: &str, suites: &[Suite]) -> String {
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let errors: usize = suites.iter().map(Suite::errors).sum();
    let skipped: usize = suites.iter().map(Suite::skipped).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">",
        escape(name, XmlAttribute)
    );
    for s in suites {
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">",
            escape(&s.name, XmlAttribute),
            s.cases.len(),
            s.failures(),
            s.errors(),
            s.skipped()
        );
        for c in &s.cases {
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
                escape(&c.name, XmlAttribute),
                escape(&c.classname, XmlAttribute)
            );
            match &c.outcome {
                Outcome::Passed => {
                    let _ = writeln!(x, "{open}/>");
                }
                Outcome::Failed { message, detail } => {
                    let _ = writeln!(
                        x,
                        "{open}>\n      <failure message=\"{}\" type=\"failure\">{}</failure>\n    </testcase>",
                        escape(message, XmlAttribute),
                        escape(detail, XmlAttribute)
                    );
                }
                Outcome::Error { message } => {
                    let _ = writeln!(
                        x,
                        "{open}>\n      <error message=\"{}\" type=\"error\">{}</error>\n    </testcase>",
                        escape(message, XmlAttribute),
                        escape(message, XmlAttribute)
                    );
                }
                Outcome::Skipped { message } => {
                    let _ = writeln!(
                        x,
                        "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(message, XmlAttribute)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let suite = Suite {
            name: "a<b".into(),
            cases: vec![
                Case {
                    name: "slo latency_p99 <= 500ms".into(),
                    classname: "scalesim.a".into(),
                    outcome: Outcome::Passed,
                },
                Case {
                    name: "x".into(),
                    classname: "scalesim.a".into(),
                    outcome: Outcome::Failed {
                        message: "too \"slow\"".into(),
                        detail: "a & b\u{1}".into(),
                    },
                },
            ],
        };
        let x = render("scalesim check", &[suite]);
        assert!(x.contains("tests=\"2\" failures=\"1\" errors=\"0\""));
        assert!(x.contains("name=\"a&lt;b\""));
        assert!(x.contains("name=\"slo latency_p99 &lt;= 500ms\""));
        assert!(x.contains("message=\"too &quot;slow&quot;\""));
        assert!(x.contains(">a &amp; b</failure>"));
    }
}
