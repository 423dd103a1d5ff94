//! The `trace:` block of a scenario: where the load comes from (a file or a generator), how the
//! file is read, and the transforms applied to it, resolved into a [`Loaded`] trace.
//!
//! ```yaml
//! trace:
//!   file: traces/nasa_http_jul1995_1min.csv   # or `generate: {kind: …}` (exactly one of the two)
//!   format: auto            # auto | csv | prometheus | requests
//!   time_format: auto       # auto | seconds | millis | epoch_seconds | epoch_millis | epoch_micros | epoch_nanos | rfc3339
//!   rate_unit: per_second   # csv, prometheus: per_second | per_minute | per_hour | count (per row's bucket)
//!   series: '{job="api"}'   # prometheus: which series (or a map {job: api})
//!   combine: one            # prometheus: one | sum
//!   bin: 1s                 # requests: bin width of the displayed rate
//!   lenient: false          # repair (with warnings) instead of rejecting
//!   gap_fill: hold          # lenient gaps: hold | zero
//!   window: {start: 2h, end: 26h}    # offsets, or RFC 3339 instants
//!   repeat: 2
//!   time_scale: 1d -> 1h    # or a factor such as 0.5
//!   shift: 10m              # may be negative: -10m
//!   resample: 1m
//!   scale: 1.5
//!   clip: {min: 0, max: 500}
//! ```
//!
//! The transforms apply in the order of [`super::transform`] whatever order they are written in.

use super::generate::{FieldError, GenContext, GeneratorSpec};
use super::prometheus::{Combine, Selector};
use super::rate_unit::RateUnit;
use super::read::{Format, ReadOptions};
use super::rows::{GapFill, Repair};
use super::timefmt::TimeFormat;
use super::transform::Transforms;
use super::{Loaded, Trace, Warning};
use crate::error::{InputError, Location};
use crate::units::Seconds;
use crate::yaml::Document;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::path::{Path, PathBuf};

/// `trace:` in a scenario file.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TraceSpec {
    /// Trace file, relative to the scenario file.
    #[serde(default)]
    pub(crate) file: Option<PathBuf>,
    /// A generated load instead of a file.
    #[serde(default)]
    pub(crate) generate: Option<GeneratorSpec>,
    #[serde(default)]
    pub(crate) format: Format,
    #[serde(default)]
    pub(crate) time_format: TimeFormat,
    /// What the rate values count (see [`super::rate_unit`]); per second when not given.
    #[serde(default)]
    pub(crate) rate_unit: Option<RateUnit>,
    #[serde(default)]
    pub(crate) series: Option<Selector>,
    #[serde(default)]
    pub(crate) combine: Combine,
    #[serde(default)]
    pub(crate) bin: Option<Seconds>,
    #[serde(default)]
    pub(crate) lenient: bool,
    #[serde(default)]
    pub(crate) gap_fill: GapFill,
    #[serde(default)]
    pub(crate) window: Option<WindowSpec>,
    #[serde(default)]
    pub(crate) repeat: Option<u32>,
    #[serde(default)]
    pub(crate) time_scale: Option<TimeScale>,
    #[serde(default)]
    pub(crate) shift: Option<SignedSeconds>,
    #[serde(default)]
    pub(crate) resample: Option<Seconds>,
    /// Multiplies every rate.
    #[serde(default)]
    pub(crate) scale: Option<f64>,
    #[serde(default)]
    pub(crate) clip: Option<ClipSpec>,
}

/// `window: {start, end}`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WindowSpec {
    #[serde(default)]
    pub(crate) start: Option<TimePoint>,
    #[serde(default)]
    pub(crate) end: Option<TimePoint>,
}

/// `clip: {min, max}`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClipSpec {
    #[serde(default)]
    pub(crate) min: Option<f64>,
    #[serde(default)]
    pub(crate) max: Option<f64>,
}

/// A point of a trace: an offset from its start (`2h`) or a wall-clock instant (RFC 3339).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TimePoint {
    Offset(f64),
    Instant(DateTime<FixedOffset>),
}

impl<'de> Deserialize<'de> for TimePoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TimePoint;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an offset such as 2h or an RFC 3339 instant such as 2024-03-04T08:00:00Z",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimePoint, E> {
                Ok(TimePoint::Offset(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimePoint, E> {
                if v < 0 {
                    Err(E::custom("a window bound cannot be negative"))
                } else {
                    Ok(TimePoint::Offset(v as f64))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimePoint, E> {
                if v.is_finite() && v >= 0.0 {
                    Ok(TimePoint::Offset(v))
                } else {
                    Err(E::custom("a window bound must be a number ≥ 0"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimePoint, E> {
                if let Ok(dt) = DateTime::parse_from_rfc3339(v.trim()) {
                    return Ok(TimePoint::Instant(dt));
                }
                crate::units::parse_duration(v)
                    .map(|s| TimePoint::Offset(s.0))
                    .map_err(|_| E::custom(format!("{v:?} is neither a duration (2h) nor an RFC 3339 instant (2024-03-04T08:00:00Z)")))
            }
        }
        d.deserialize_any(V)
    }
}

/// `time_scale`: a factor on times, or `A -> B` (a span A of the source plays in B).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeScale(pub f64);

impl std::str::FromStr for TimeScale {
    type Err = String;
    fn from_str(v: &str) -> Result<Self, String> {
        if let Some((a, b)) = v.split_once("->") {
            let a = crate::units::parse_duration(a)?.0;
            let b = crate::units::parse_duration(b)?.0;
            if a <= 0.0 || b <= 0.0 {
                return Err(format!("{v:?}: both spans must be more than 0"));
            }
            return Ok(TimeScale(b / a));
        }
        match v.trim().parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(TimeScale(f)),
            _ => Err(format!(
                "{v:?} is not a time scale (expected a factor such as 0.5, or `1d -> 1h`)"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for TimeScale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TimeScale;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a factor such as 0.5, or `1d -> 1h`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeScale, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeScale, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimeScale, E> {
                if v.is_finite() && v > 0.0 {
                    Ok(TimeScale(v))
                } else {
                    Err(E::custom(format!(
                        "{v} is not a time factor (expected a number > 0)"
                    )))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeScale, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration that may be negative (`-10m`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SignedSeconds(pub f64);

impl std::str::FromStr for SignedSeconds {
    type Err = String;
    fn from_str(v: &str) -> Result<Self, String> {
        let t = v.trim();
        match t.strip_prefix('-') {
            Some(rest) => crate::units::parse_duration(rest).map(|s| SignedSeconds(-s.0)),
            None => crate::units::parse_duration(t.strip_prefix('+').unwrap_or(t))
                .map(|s| SignedSeconds(s.0)),
        }
    }
}

impl<'de> Deserialize<'de> for SignedSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SignedSeconds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 10m or -10m")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SignedSeconds, E> {
                Ok(SignedSeconds(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SignedSeconds, E> {
                Ok(SignedSeconds(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SignedSeconds, E> {
                if v.is_finite() {
                    Ok(SignedSeconds(v))
                } else {
                    Err(E::custom("not a finite number"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SignedSeconds, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// An RFC 3339 instant as a regular expression (JSON Schema dialect, unanchored).
const INSTANT_REGEX: &str = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})";

/// The JSON Schema of what `TimePoint`'s deserializer reads.
impl schemars::JsonSchema for TimePoint {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimePoint".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dur = crate::units::duration_regex();
        schemars::json_schema!({
            "description": "An offset from the trace's start (2h, or seconds) or an RFC 3339 instant (2024-03-04T08:00:00Z).",
            "type": ["number", "string"],
            "minimum": 0,
            "pattern": format!(r"^\s*({dur}|{INSTANT_REGEX})\s*$"),
        })
    }
}

/// The JSON Schema of what `TimeScale`'s deserializer reads.
impl schemars::JsonSchema for TimeScale {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeScale".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dur = crate::units::duration_regex();
        schemars::json_schema!({
            "description": "A factor on times (0.5 plays twice as fast), or `A -> B`: a span A of the source plays in B (`1d -> 1h`).",
            "type": ["number", "string"],
            "exclusiveMinimum": 0,
            "pattern": format!(r"^\s*({dur}\s*->\s*{dur}|\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)\s*$"),
        })
    }
}

/// The JSON Schema of what `SignedSeconds`' deserializer reads.
impl schemars::JsonSchema for SignedSeconds {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SignedDuration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dur = crate::units::duration_regex();
        schemars::json_schema!({
            "description": "A duration that may be negative: 10m, -10m, or a number of seconds.",
            "type": ["number", "string"],
            "pattern": format!(r"^\s*[+-]?\s*{dur}\s*$"),
        })
    }
}

/// What the scenario knows when a trace is resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadContext<'a> {
    /// Directory of the scenario file (relative trace paths resolve against it).
    pub(crate) base_dir: &'a Path,
    /// The scenario file (for error messages about the `trace:` block).
    pub(crate) scenario_file: &'a Path,
    /// The scenario's `duration`, when given (generators need a span).
    pub(crate) duration: Option<f64>,
    /// The scenario seed; traces draw from their own streams of it.
    pub(crate) seed: u64,
    /// The scenario's `start_time`, when given: the wall clock of t = 0 for generators
    /// (diurnal shapes follow it). A file with absolute times brings its own.
    pub(crate) start_time: Option<DateTime<FixedOffset>>,
    /// The scenario document, to give errors about `trace:` fields a line and column.
    pub(crate) document: Option<&'a Document<'a>>,
    /// Dotted path of the trace block in the document (`trace`).
    pub(crate) path: &'a str,
    /// Traces already parsed by other runs (a sweep's points), to reuse.
    pub(crate) memo: Option<&'a super::memo::TraceMemo>,
}

impl<'a> LoadContext<'a> {
    /// A context for a scenario file; duration, seed and start time unset.
    pub(crate) fn new(base_dir: &'a Path, scenario_file: &'a Path) -> Self {
        LoadContext {
            base_dir,
            scenario_file,
            duration: None,
            seed: 0,
            start_time: None,
            document: None,
            path: "trace",
            memo: None,
        }
    }
    pub(crate) fn with_memo(mut self, memo: Option<&'a super::memo::TraceMemo>) -> Self {
        self.memo = memo;
        self
    }
    pub(crate) fn with_duration(mut self, d: Option<f64>) -> Self {
        self.duration = d;
        self
    }
    pub(crate) fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub(crate) fn with_start_time(mut self, s: Option<DateTime<FixedOffset>>) -> Self {
        self.start_time = s;
        self
    }
    pub(crate) fn with_document(mut self, doc: &'a Document<'a>, path: &'a str) -> Self {
        self.document = Some(doc);
        self.path = path;
        self
    }

    /// An error about a field of the trace block (`scale`, `generate.of[1].peak`), located in
    /// the scenario document when there is one.
    pub(crate) fn field_error(&self, field: &str, message: impl Into<String>) -> InputError {
        let path = if field.is_empty() {
            self.path.to_string()
        } else {
            format!("{}.{field}", self.path)
        };
        match self.document {
            Some(doc) => doc.error_at_path(&path, message),
            None => InputError::new(Location::file(self.scenario_file).with_field(path), message),
        }
    }

    fn field_warning(&self, field: &str, message: String) -> Warning {
        let e = self.field_error(field, "");
        Warning::new(e.location, message)
    }
}

/// Read and parse the trace file at `path`.
fn read_file(path: &Path, opts: &ReadOptions, ctx: &LoadContext<'_>) -> Result<Loaded, InputError> {
    // A missing or unreadable file: point at `trace.file` too.
    let bytes = super::read::read_bytes(path)
        .map_err(|e| ctx.field_error("file", format!("{}: {}", path.display(), e.message)))?;
    super::read::parse(path, &bytes, opts).map_err(|e| {
        // An option that does not fit the file: point at the option.
        match e.location.field.as_deref() {
            Some("rate_unit") => {
                ctx.field_error("rate_unit", format!("{}: {}", path.display(), e.message))
            }
            _ => e,
        }
    })
}

impl TraceSpec {
    /// The read options of this block.
    pub(crate) fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            time_format: self.time_format,
            series: self.series.clone(),
            combine: self.combine,
            bin: self.bin.map(|b| b.0),
            repair: Repair {
                lenient: self.lenient,
                gap_fill: self.gap_fill,
            },
            rate_unit: self.rate_unit,
        }
    }

    /// Resolve into a trace: read or generate, then transform. Repairs and notes come back as
    /// warnings; nothing is printed.
    ///
    /// `start_time`: a file with absolute times sets `trace.start_time` (the scenario's default
    /// start time); a generated trace carries the context's `start_time`; `window` and `shift`
    /// move it so that it stays the wall clock of t = 0.
    pub(crate) fn load(&self, ctx: &LoadContext<'_>) -> Result<Loaded, InputError> {
        let mut warnings = Vec::new();
        let trace = match (&self.file, &self.generate) {
            (Some(file), None) => {
                let path = ctx.base_dir.join(file);
                let opts = self.read_options();
                let l = match ctx.memo {
                    Some(memo) => memo.parsed(&path, &opts, || read_file(&path, &opts, ctx))?,
                    None => read_file(&path, &opts, ctx)?,
                };
                warnings.extend(l.warnings);
                l.trace
            }
            (None, Some(_)) if self.rate_unit.is_some() => {
                return Err(ctx.field_error(
                    "rate_unit",
                    "`rate_unit` says how a trace file's rate column is written; a generator's rates are already requests per second",
                ));
            }
            (None, Some(spec)) => {
                let gen_err = |e: FieldError| ctx.field_error(&e.path_under("generate"), e.message);
                let generator = spec.build().map_err(gen_err)?;
                let gctx = GenContext {
                    seed: ctx.seed,
                    start_time: ctx.start_time,
                    duration: ctx.duration,
                };
                generator.generate(&gctx).map_err(|e| {
                    let scenario_span =
                        e.field == "duration" && generator.natural_duration().is_none();
                    if let (true, Some(_), Some(doc)) = (scenario_span, ctx.duration, ctx.document)
                    {
                        // The scenario's own `duration` set the span.
                        doc.error_at_path("duration", e.message)
                    } else if scenario_span {
                        ctx.field_error("generate", e.message)
                    } else {
                        gen_err(e)
                    }
                })?
            }
            (Some(_), Some(_)) => {
                return Err(ctx.field_error("", "give either `file` or `generate`, not both"));
            }
            (None, None) => {
                return Err(
                    ctx.field_error("", "expected `file: <path>` or `generate: {kind: ...}`")
                );
            }
        };
        let transforms = self.transforms(&trace, ctx)?;
        let (trace, notes) = transforms
            .apply(trace, ctx.seed)
            .map_err(|(f, m)| ctx.field_error(f, m))?;
        warnings.extend(notes.into_iter().map(|(f, m)| ctx.field_warning(f, m)));
        Ok(Loaded { trace, warnings })
    }

    /// The transforms of this block, with window instants turned into offsets of `trace`.
    pub(crate) fn transforms(
        &self,
        trace: &Trace,
        ctx: &LoadContext<'_>,
    ) -> Result<Transforms, InputError> {
        let point = |p: Option<TimePoint>, field: &str| -> Result<Option<f64>, InputError> {
            match p {
                None => Ok(None),
                Some(TimePoint::Offset(x)) => Ok(Some(x)),
                Some(TimePoint::Instant(i)) => match trace.time_of(i) {
                    Some(x) if x >= 0.0 => Ok(Some(x)),
                    Some(_) => Err(ctx.field_error(field, format!("{} is before the trace starts", i.to_rfc3339()))),
                    None => Err(ctx.field_error(field, "an instant needs a trace with absolute times (this one counts seconds from 0): use an offset such as 2h")),
                },
            }
        };
        let window = match &self.window {
            None => None,
            Some(w) => Some((point(w.start, "window.start")?, point(w.end, "window.end")?)),
        };
        Ok(Transforms {
            window,
            repeat: self.repeat,
            time_scale: self.time_scale.map(|t| t.0),
            shift: self.shift.map(|s| s.0),
            resample: self.resample.map(|s| s.0),
            scale: self.scale,
            clip: self.clip.as_ref().map(|c| (c.min, c.max)),
        })
    }
}

#[cfg(test)]
mod tests;
