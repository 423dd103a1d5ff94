//! `advanced.scalingModifiers.formula`: an expr-lang expression over the triggers' metric values
//! (upstream pkg/scaling/modifiers/formula.go and the webhook's
//! `ValidateAndCompileScalingModifiers`).
//!
//! KEDA wraps the formula so it returns a float: `float(<formula>)`, or, when it contains `??`,
//! `let _kedaCompositeResult = (<formula>); _kedaCompositeResult == nil ? nil : float(...)` so a
//! `nil` result stays `nil` (the `scalingModifiers` fallback behavior then uses
//! `fallback.replicas × target`). Every named non-cpu/memory trigger is a variable; one whose
//! value is missing or past the fallback threshold is `nil`. Validation runs the formula once
//! with every variable at -1.

use expr::{Context, Program, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A compiled scalingModifiers formula.
#[derive(Debug, Clone)]
pub(crate) struct Formula {
    pub(crate) source: String,
    pub(crate) wrapped: String,
    program: Program,
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.wrapped == other.wrapped
    }
}

/// `castToFloatIfNecessary`.
pub(crate) fn cast_to_float_if_necessary(formula: &str) -> String {
    if formula.contains("??") {
        if formula.starts_with("let _kedaCompositeResult = ") {
            return formula.to_string();
        }
        return format!(
            "let _kedaCompositeResult = ({formula}); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)"
        );
    }
    if formula.starts_with("float(") {
        return formula.to_string();
    }
    format!("float({formula})")
}

const KEYWORDS: &[&str] = &[
    "true",
    "false",
    "nil",
    "let",
    "in",
    "not",
    "and",
    "or",
    "matches",
    "contains",
    "startsWith",
    "endsWith",
    "_kedaCompositeResult",
];

impl Formula {
    /// Wrap and compile (syntax only; variables are checked by [`Formula::validate`]).
    pub(crate) fn compile(formula: &str) -> Result<Formula, String> {
        let wrapped = cast_to_float_if_necessary(formula);
        let program = expr::compile(&wrapped).map_err(|e| e.to_string())?;
        Ok(Formula {
            source: formula.to_string(),
            wrapped,
            program,
        })
    }

    /// Run with these variables (`None` = nil). `Ok(None)` is a nil result.
    pub(crate) fn eval(&self, vars: &BTreeMap<String, Option<f64>>) -> Result<Option<f64>, String> {
        let mut ctx = Context::default();
        for (k, v) in vars {
            ctx.insert(k.clone(), v.map(Value::Float).unwrap_or(Value::Nil));
        }
        let program = &self.program;
        let out =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| expr::run(program, &ctx)))
                .map_err(|_| "formula evaluation failed (arithmetic overflow)".to_string())?
                .map_err(|e| e.to_string())?;
        match out {
            Value::Float(f) => Ok(Some(f)),
            Value::Nil => Ok(None),
            other => Err(format!("formula returned non-float result ({other})")),
        }
    }

    /// The webhook check: run once with every named non-cpu/memory trigger bound to -1.
    pub(crate) fn validate(&self, trigger_names: &BTreeSet<String>) -> Result<(), String> {
        let vars = trigger_names
            .iter()
            .map(|n| (n.clone(), Some(-1.0)))
            .collect();
        self.eval(&vars).map(|_| ())
    }

    /// Identifiers the formula mentions (for "formula ignores trigger X" warnings).
    pub(crate) fn identifiers(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let s = self.source.as_bytes();
        let mut i = 0;
        while i < s.len() {
            let c = s[i];
            if c == b'"' || c == b'\'' || c == b'`' {
                // skip string literals
                i += 1;
                while i < s.len() && s[i] != c {
                    if s[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                    i += 1;
                }
                let word = &self.source[start..i];
                let prev = self.source[..start].trim_end().chars().last();
                let next = self.source[i..].trim_start().chars().next();
                let is_member = matches!(prev, Some('.') | Some('#'));
                let is_call = next == Some('(');
                if !is_member && !is_call && !KEYWORDS.contains(&word) {
                    out.insert(word.to_string());
                }
                continue;
            }
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, Option<f64>)]) -> BTreeMap<String, Option<f64>> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn wraps_like_keda() {
        assert_eq!(cast_to_float_if_necessary("a + b"), "float(a + b)");
        assert_eq!(cast_to_float_if_necessary("float(a)"), "float(a)");
        assert!(
            cast_to_float_if_necessary("a ?? b")
                .starts_with("let _kedaCompositeResult = (a ?? b);")
        );
    }

    #[test]
    fn evaluates_documented_formulas() {
        let f = Formula::compile("(trig_one + trig_two) / 2").unwrap();
        assert_eq!(
            f.eval(&vars(&[("trig_one", Some(4.0)), ("trig_two", Some(2.0))])),
            Ok(Some(3.0))
        );
        let f = Formula::compile("trig_one < 2 ? trig_one + trig_two : 1").unwrap();
        assert_eq!(
            f.eval(&vars(&[("trig_one", Some(5.0)), ("trig_two", Some(2.0))])),
            Ok(Some(1.0))
        );
        let f = Formula::compile("count([a, b, c], {# > 1}) > 1 ? 5 : 0").unwrap();
        assert_eq!(
            f.eval(&vars(&[
                ("a", Some(2.0)),
                ("b", Some(3.0)),
                ("c", Some(0.0))
            ])),
            Ok(Some(5.0))
        );
    }

    #[test]
    fn nil_coalescing() {
        let f = Formula::compile("a ?? b ?? 8").unwrap();
        assert_eq!(f.eval(&vars(&[("a", None), ("b", None)])), Ok(Some(8.0)));
        assert_eq!(
            f.eval(&vars(&[("a", None), ("b", Some(3.0))])),
            Ok(Some(3.0))
        );
        let g = Formula::compile("a ?? b").unwrap();
        assert_eq!(g.eval(&vars(&[("a", None), ("b", None)])), Ok(None));
        // Without `??`, a nil operand is an error.
        let h = Formula::compile("a + 1").unwrap();
        assert!(h.eval(&vars(&[("a", None)])).is_err());
    }

    #[test]
    fn validation_catches_unknown_triggers() {
        let names: BTreeSet<String> = ["running".to_string(), "waiting".to_string()].into();
        assert!(
            Formula::compile("running + (waiting * 10)")
                .unwrap()
                .validate(&names)
                .is_ok()
        );
        assert!(
            Formula::compile("running + missing")
                .unwrap()
                .validate(&names)
                .is_err()
        );
        assert!(Formula::compile("running +").is_err());
        assert!(
            Formula::compile("running > 1")
                .unwrap()
                .validate(&names)
                .is_err(),
            "float(bool) fails"
        );
    }

    #[test]
    fn identifiers_skip_functions_and_members() {
        let f = Formula::compile("max(a, b.c) + count([x], {# > 1}) + \"str\" ?? nil").unwrap();
        let ids = f.identifiers();
        assert!(ids.contains("a") && ids.contains("b") && ids.contains("x"));
        assert!(
            !ids.contains("max")
                && !ids.contains("c")
                && !ids.contains("str")
                && !ids.contains("nil")
        );
    }
}
