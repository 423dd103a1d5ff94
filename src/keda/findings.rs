//! Collecting findings while validating one object, and locating them in the user's file.

use super::report::{Finding, Severity};
use crate::yaml::Document;

#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) items: Vec<Finding>,
}

impl Findings {
    pub(crate) fn push(
        &mut self,
        severity: Severity,
        rule: &str,
        field: Option<String>,
        message: impl Into<String>,
    ) {
        self.items
            .push(Finding::new(severity, rule, field, message));
    }
    pub(crate) fn error(&mut self, rule: &str, field: Option<String>, message: impl Into<String>) {
        self.push(Severity::Error, rule, field, message);
    }
    pub(crate) fn warn(&mut self, rule: &str, field: Option<String>, message: impl Into<String>) {
        self.push(Severity::Warning, rule, field, message);
    }
    pub(crate) fn unchecked(
        &mut self,
        rule: &str,
        field: Option<String>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Unchecked, rule, field, message);
    }
    pub(crate) fn not_modelled(
        &mut self,
        rule: &str,
        field: Option<String>,
        message: impl Into<String>,
    ) {
        self.push(Severity::NotModelled, rule, field, message);
    }
    pub(crate) fn has_errors(&self) -> bool {
        self.items.iter().any(|f| f.severity == Severity::Error)
    }

    /// Fill in file/line/column from the document.
    pub(crate) fn locate(mut self, doc: &Document) -> Vec<Finding> {
        let file = doc.source.path.display().to_string();
        for f in &mut self.items {
            f.file = Some(file.clone());
            if f.line.is_none() {
                let pos = match &f.field {
                    Some(p) => doc.locate(p),
                    None => None,
                };
                let pos = pos.or_else(|| Some((doc.line_offset + 1, 1)));
                if let Some((l, c)) = pos {
                    f.line = Some(l);
                    f.column = Some(c);
                }
            }
        }
        self.items
    }
}
