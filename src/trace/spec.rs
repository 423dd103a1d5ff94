//! The `trace:` block of a scenario: where the load comes from (a file or a generator) and the
//! transforms applied to it, resolved into a [`Trace`].

use super::Trace;
use crate::error::{InputError, Location};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `trace:` in a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// CSV file, relative to the scenario file.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// A generated load instead of a file.
    #[serde(default)]
    pub generate: Option<Generator>,
    /// Multiplies every rate.
    #[serde(default = "one")]
    pub scale: f64,
}

fn one() -> f64 {
    1.0
}

/// A synthetic load shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Generator {
    /// The same rate throughout.
    Constant { rate: f64 },
}

/// What the scenario knows when a trace is resolved.
#[derive(Debug, Clone, Copy)]
pub struct LoadContext<'a> {
    /// Directory of the scenario file (relative trace paths resolve against it).
    pub base_dir: &'a Path,
    /// The scenario file (for error messages about the `trace:` block).
    pub scenario_file: &'a Path,
    /// The scenario's `duration`, when given (generators need a span).
    pub duration: Option<f64>,
    pub seed: u64,
}

impl TraceSpec {
    /// Resolve into a trace: read or generate, then apply `scale`.
    pub fn load(&self, ctx: &LoadContext<'_>) -> Result<Trace, InputError> {
        let field_err = |field: &str, msg: String| {
            InputError::new(Location::file(ctx.scenario_file).with_field(field), msg)
        };
        if !(self.scale.is_finite() && self.scale >= 0.0) {
            return Err(field_err(
                "trace.scale",
                format!(
                    "{} is not a usable multiplier (expected a number ≥ 0)",
                    self.scale
                ),
            ));
        }
        let mut trace = match (&self.file, &self.generate) {
            (Some(file), None) => super::csv::read(&ctx.base_dir.join(file))?,
            (None, Some(generator)) => {
                let span = ctx.duration.ok_or_else(|| {
                    field_err(
                        "duration",
                        "a generated trace needs the scenario's `duration` to know how long to run"
                            .into(),
                    )
                })?;
                generator
                    .generate(span)
                    .map_err(|m| field_err("trace.generate", m))?
            }
            (Some(_), Some(_)) => {
                return Err(field_err(
                    "trace",
                    "give either `file` or `generate`, not both".into(),
                ));
            }
            (None, None) => {
                return Err(field_err(
                    "trace",
                    "expected `file: <path.csv>` or `generate: {kind: ...}`".into(),
                ));
            }
        };
        if self.scale != 1.0 {
            trace.scale_rates(self.scale);
        }
        Ok(trace)
    }
}

impl Generator {
    pub fn generate(&self, span: f64) -> Result<Trace, String> {
        match *self {
            Generator::Constant { rate } => {
                if !(rate.is_finite() && rate >= 0.0) {
                    return Err(format!("rate {rate} must be a finite number ≥ 0"));
                }
                Ok(Trace::constant(rate, span))
            }
        }
    }
}
