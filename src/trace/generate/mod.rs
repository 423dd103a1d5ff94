//! Synthetic load: the `generate:` block of a `trace:` and `scalesim trace gen`.
//!
//! A generator renders a rate on a uniform grid of `step` seconds (default: 1 s for spans up to
//! a day, 60 s beyond; children inherit their parent's step unless they set their own); each
//! row is the mean rate over its step. The span is the generator's `duration`, else (for
//! `concat`) the sum of its parts, else the scenario's `duration`; it is rounded up to whole
//! steps. Random generators (`mmpp`, `noise`) draw from their own seeded stream (see
//! [`random`]), so a trace is a pure function of its spec, the seed and the start time.
//!
//! Kinds and their fields (durations as `30s`, `5m`, `1h30m` or seconds; rates in req/s):
//!
//! | kind | fields |
//! |---|---|
//! | `constant` | `rate` |
//! | `step` | `from`, `to`, `at` |
//! | `ramp` | `from`, `to`, `at` (default 0), `over` (default: the rest of the span) |
//! | `spike` (`flash_crowd`) | `base`, `peak`, `at`, `rise` (0), `hold` (0), `decay` (0), `decay_curve: linear\|exponential` (exponential: `decay` is the half-life) |
//! | `diurnal` | `min`+`max` (+`peak_at`, default `"14:00"`) or `profile` (24 rates, h:30 knots); `weekend_factor` (1); `timezone` (IANA) |
//! | `sawtooth` | `from`, `to`, `period`, `at` (phase, 0): a linear climb from→to each period, then a snap back |
//! | `mmpp` (`markov`) | `rates: [r0, r1]`, `sojourn: [mean0, mean1]` (exponential sojourns; starts in state 0) |
//! | `noise` | `cv`, `distribution: lognormal\|gamma`, `every` (default: each row), `of` (one generator; without it, a mean-1 multiplier for `product`): an independent mean-1 factor every `every` |
//! | `sum`, `product` | `of: [generators]` (pointwise) |
//! | `concat` | `of: [generators]`, each with a `duration` (the last may take the rest) |
//!
//! Every kind also takes `step` and `duration` (`duration` only at the top and on the parts of a
//! `concat`). Unknown fields are rejected with their location; fields of another kind are
//! rejected naming the kind's own fields.

pub(crate) mod diurnal;
pub(crate) mod random;
pub(crate) mod shapes;

use self::diurnal::{Clock, DayShape, Diurnal};
use self::random::{NoiseDist, stream_rng};
use self::shapes::{Curve, Grid, Shape, mean_over, pieces, regrid, render_shape};
use super::Trace;
use crate::units::Seconds;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Most rows a generator may produce (about 160 MB of trace): a coarser `step` is needed beyond.
pub(crate) const MAX_ROWS: usize = 10_000_000;

/// A problem with a generator spec: the dotted field path relative to the `generate:` block
/// (empty for the block itself) and the message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
    /// The field path under a prefix (`trace.generate` + `of[1].peak`).
    pub(crate) fn path_under(&self, prefix: &str) -> String {
        match (prefix.is_empty(), self.field.is_empty()) {
            (_, true) => prefix.to_string(),
            (true, false) => self.field.clone(),
            (false, false) if self.field.starts_with('[') => format!("{prefix}{}", self.field),
            (false, false) => format!("{prefix}.{}", self.field),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

/// A time of day: `"14:00"`, `"14:30:15"`, a duration (`14h`), or a number of hours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeOfDay(pub f64);

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TimeOfDay;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a time of day such as \"14:00\" or a number of hours")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeOfDay, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeOfDay, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimeOfDay, E> {
                if (0.0..24.0).contains(&v) {
                    Ok(TimeOfDay(v * 3600.0))
                } else {
                    Err(E::custom(format!(
                        "{v} is not an hour of the day (0 to 24)"
                    )))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeOfDay, E> {
                parse_time_of_day(v).map(TimeOfDay).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parse `"HH:MM[:SS]"` or a duration below 24 h into seconds after midnight.
pub(crate) fn parse_time_of_day(v: &str) -> Result<f64, String> {
    let parts: Vec<&str> = v.trim().split(':').collect();
    if parts.len() >= 2 && parts.len() <= 3 {
        let nums: Option<Vec<f64>> = parts.iter().map(|p| p.parse::<f64>().ok()).collect();
        if let Some(n) = nums {
            let s = n[0] * 3600.0 + n[1] * 60.0 + n.get(2).copied().unwrap_or(0.0);
            if n.iter().all(|x| *x >= 0.0) && n[1] < 60.0 && (0.0..86_400.0).contains(&s) {
                return Ok(s);
            }
        }
        return Err(format!(
            "{v:?} is not a time of day (expected HH:MM, e.g. \"14:00\")"
        ));
    }
    let d = crate::units::parse_duration(v)
        .map_err(|_| format!("{v:?} is not a time of day (expected HH:MM, e.g. \"14:00\")"))?;
    if d.0 < 86_400.0 {
        Ok(d.0)
    } else {
        Err(format!("{v:?} is not within a day"))
    }
}

/// The JSON Schema of what `TimeOfDay`'s deserializer reads.
impl schemars::JsonSchema for TimeOfDay {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeOfDay".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dur = crate::units::duration_regex();
        schemars::json_schema!({
            "description": "A time of day: \"14:00\", \"14:30:15\", a duration (14h), or a number of hours (0 to 24).",
            "type": ["number", "string"],
            "minimum": 0,
            "exclusiveMaximum": 24,
            "pattern": format!(r"^\s*([0-9.]+:[0-9.]+(:[0-9.]+)?|{dur})\s*$"),
        })
    }
}

/// The JSON Schema of a generator's `kind`: a name or alias of [`KINDS`], in any case.
pub(crate) fn kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = KINDS
        .iter()
        .flat_map(|(name, aliases, ..)| std::iter::once(*name).chain(aliases.iter().copied()))
        .collect();
    let any_case: Vec<String> = names
        .iter()
        .map(|n| {
            n.chars()
                .map(|c| match c {
                    'a'..='z' => format!("[{c}{}]", c.to_ascii_uppercase()),
                    '-' => r"\-".to_string(),
                    c => c.to_string(),
                })
                .collect()
        })
        .collect();
    schemars::json_schema!({
        "description": "The generator: constant, step, ramp, spike, diurnal, sawtooth, mmpp, noise, sum, product or concat.",
        "anyOf": [
            { "enum": names },
            { "type": "string", "pattern": format!(r"^\s*({})\s*$", any_case.join("|")) },
        ],
    })
}

/// `of:` — one generator or a list of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Of {
    One(Box<GeneratorSpec>),
    Many(Vec<GeneratorSpec>),
}

impl<'de> Deserialize<'de> for Of {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Of;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a generator ({kind: …}) or a list of generators")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Of, A::Error> {
                GeneratorSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|g| Of::One(Box::new(g)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Of, A::Error> {
                let mut v = Vec::new();
                while let Some(g) = seq.next_element::<GeneratorSpec>()? {
                    v.push(g);
                }
                Ok(Of::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON Schema of what `Of`'s deserializer reads.
impl schemars::JsonSchema for Of {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GeneratorOrList".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = g.subschema_for::<GeneratorSpec>();
        schemars::json_schema!({
            "description": "One generator ({kind: …}) or a list of them.",
            "anyOf": [one, { "type": "array", "items": one }],
        })
    }
}

/// The fields of [`GeneratorSpec`] that serde also reads under another name: (name, alias).
const FIELD_ALIASES: &[(&str, &str)] = &[("weekend_factor", "weekend")];

/// The schema of [`GeneratorSpec`] names each field's alias too (the schema accepts what the
/// loader accepts; `schemars` leaves serde's field aliases out).
fn field_aliases_in_schema(schema: &mut schemars::Schema) {
    let Some(serde_json::Value::Object(props)) = schema.get_mut("properties") else {
        return;
    };
    for (name, alias) in FIELD_ALIASES {
        if let Some(field) = props.get(*name).cloned() {
            props.insert((*alias).to_string(), field);
        }
    }
}

/// The YAML form of a generator, as written (`{kind: spike, base: 50, peak: 400, at: 10m, …}`).
///
/// All fields of all kinds live in one struct so that serde reads them without buffering and
/// every error keeps its line and column; [`GeneratorSpec::build`] then checks that each field
/// belongs to the kind and that the kind's required fields are there.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = field_aliases_in_schema)]
pub(crate) struct GeneratorSpec {
    #[schemars(schema_with = "kind_schema")]
    pub(crate) kind: String,
    pub(crate) step: Option<Seconds>,
    pub(crate) duration: Option<Seconds>,
    pub(crate) rate: Option<f64>,
    pub(crate) from: Option<f64>,
    pub(crate) to: Option<f64>,
    pub(crate) at: Option<Seconds>,
    pub(crate) over: Option<Seconds>,
    pub(crate) base: Option<f64>,
    pub(crate) peak: Option<f64>,
    pub(crate) rise: Option<Seconds>,
    pub(crate) hold: Option<Seconds>,
    pub(crate) decay: Option<Seconds>,
    pub(crate) decay_curve: Option<Curve>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) peak_at: Option<TimeOfDay>,
    pub(crate) profile: Option<Vec<f64>>,
    #[serde(alias = "weekend")] // also in FIELD_ALIASES
    pub(crate) weekend_factor: Option<f64>,
    pub(crate) timezone: Option<String>,
    pub(crate) period: Option<Seconds>,
    pub(crate) rates: Option<Vec<f64>>,
    pub(crate) sojourn: Option<Vec<Seconds>>,
    pub(crate) cv: Option<f64>,
    pub(crate) distribution: Option<NoiseDist>,
    pub(crate) every: Option<Seconds>,
    pub(crate) of: Option<Of>,
}

/// A kind: name, aliases, required fields, optional fields.
pub(crate) type KindInfo = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// The kinds, with their aliases and fields (required, optional), for checks and help.
pub(crate) const KINDS: &[KindInfo] = &[
    ("constant", &[], &["rate"], &[]),
    ("step", &[], &["from", "to", "at"], &[]),
    ("ramp", &[], &["from", "to"], &["at", "over"]),
    (
        "spike",
        &["flash_crowd", "flash-crowd"],
        &["base", "peak", "at"],
        &["rise", "hold", "decay", "decay_curve"],
    ),
    (
        "diurnal",
        &["daily"],
        &[],
        &[
            "min",
            "max",
            "peak_at",
            "profile",
            "weekend_factor",
            "timezone",
        ],
    ),
    ("sawtooth", &[], &["from", "to", "period"], &["at"]),
    ("mmpp", &["markov", "bursts"], &["rates", "sojourn"], &[]),
    ("noise", &[], &["cv"], &["distribution", "every", "of"]),
    ("sum", &[], &["of"], &[]),
    ("product", &[], &["of"], &[]),
    ("concat", &[], &["of"], &[]),
];

/// Resolve a kind name or alias to its canonical name.
pub(crate) fn canonical_kind(kind: &str) -> Option<&'static str> {
    let k = kind.trim().to_ascii_lowercase();
    KINDS
        .iter()
        .find(|(name, aliases, _, _)| *name == k || aliases.contains(&k.as_str()))
        .map(|(n, ..)| *n)
}

/// The fields of a kind, for help and messages: `(required, optional)`.
pub(crate) fn kind_fields(
    kind: &str,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    let k = canonical_kind(kind)?;
    KINDS
        .iter()
        .find(|(n, ..)| *n == k)
        .map(|(_, _, req, opt)| (*req, *opt))
}

/// A checked generator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Generator {
    pub(crate) kind: Kind,
    /// Resolution in seconds (inherited from the parent when `None`).
    pub(crate) step: Option<f64>,
    /// Own span in seconds (top level and `concat` parts).
    pub(crate) duration: Option<f64>,
}

/// What a generator draws.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Shape(Shape),
    Diurnal(Diurnal),
    Mmpp {
        rates: [f64; 2],
        sojourn: [f64; 2],
    },
    /// `every`: how often the factor changes (default: every row).
    Noise {
        cv: f64,
        distribution: NoiseDist,
        every: Option<f64>,
        of: Option<Box<Generator>>,
    },
    Sum(Vec<Generator>),
    Product(Vec<Generator>),
    Concat(Vec<Generator>),
}

/// Where and when a generator runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GenContext {
    /// The scenario seed (split into per-node streams).
    pub(crate) seed: u64,
    /// Wall-clock instant of t = 0 (diurnal shapes follow it; the trace carries it).
    pub(crate) start_time: Option<DateTime<FixedOffset>>,
    /// The span to generate when the generator does not say (the scenario's `duration`).
    pub(crate) duration: Option<f64>,
}

impl GeneratorSpec {
    /// Check the spec and turn it into a [`Generator`]. Field paths in errors are relative to
    /// this spec (`peak`, `of[1].rate`).
    pub(crate) fn build(&self) -> Result<Generator, FieldError> {
        self.build_at("", Parent::Top)
    }

    /// Names of the fields that are set (besides `kind`).
    pub(crate) fn present(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        macro_rules! p {
            ($($f:ident),*) => { $( if self.$f.is_some() { v.push(stringify!($f)); } )* };
        }
        p!(
            step,
            duration,
            rate,
            from,
            to,
            at,
            over,
            base,
            peak,
            rise,
            hold,
            decay,
            decay_curve,
            min,
            max,
            peak_at,
            profile
        );
        p!(
            weekend_factor,
            timezone,
            period,
            rates,
            sojourn,
            cv,
            distribution,
            every,
            of
        );
        v
    }

    fn build_at(&self, path: &str, parent: Parent) -> Result<Generator, FieldError> {
        let at = At(path);
        let kind = self.check_fields(at, parent)?;
        let step = match self.step {
            Some(Seconds(s)) if s <= 0.0 => {
                return Err(at.err("step", "the step must be more than 0"));
            }
            s => s.map(|s| s.0),
        };
        let duration = match self.duration {
            Some(Seconds(d)) if d <= 0.0 => {
                return Err(at.err("duration", "the duration must be more than 0"));
            }
            d => d.map(|d| d.0),
        };
        let kind = match kind {
            "constant" | "step" | "ramp" | "spike" | "sawtooth" => {
                Kind::Shape(self.build_shape(at, kind)?)
            }
            "diurnal" => Kind::Diurnal(self.build_diurnal(at)?),
            "mmpp" => self.build_mmpp(at)?,
            "noise" => self.build_noise(at)?,
            "sum" | "product" | "concat" => self.build_combination(at, kind)?,
            _ => return Err(at.err("kind", format!("unknown generator kind {kind:?}"))),
        };
        Ok(Generator {
            kind,
            step,
            duration,
        })
    }

    /// The canonical kind, once every set field applies to it, every required one is set, and
    /// `duration` is where it may be.
    fn check_fields(&self, at: At<'_>, parent: Parent) -> Result<&'static str, FieldError> {
        let Some(kind) = canonical_kind(&self.kind) else {
            let names: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
            return Err(at.err(
                "kind",
                format!(
                    "unknown generator kind {:?} (expected one of {})",
                    self.kind,
                    names.join(", ")
                ),
            ));
        };
        let (required, optional) = kind_fields(kind).unwrap_or((&[], &[]));
        for f in self.present() {
            if f == "step" || f == "duration" || required.contains(&f) || optional.contains(&f) {
                continue;
            }
            let mut fields: Vec<&str> = required.iter().chain(optional.iter()).copied().collect();
            fields.extend(["step", "duration"]);
            return Err(at.err(
                f,
                format!(
                    "`{f}` does not apply to kind `{kind}` (its fields: {})",
                    fields.join(", ")
                ),
            ));
        }
        for f in required {
            if !self.present().contains(f) {
                return Err(FieldError::new(
                    at.0,
                    format!(
                        "kind `{kind}` needs `{f}` (fields: {})",
                        field_list(required, optional)
                    ),
                ));
            }
        }
        if self.duration.is_some() && parent == Parent::Pointwise {
            return Err(at.err("duration", "`duration` applies at the top level and to the parts of a `concat`, not inside `sum`, `product` or `noise`"));
        }
        Ok(kind)
    }

    /// A plain shape: `constant`, `step`, `ramp`, `spike` or `sawtooth`.
    fn build_shape(&self, at: At<'_>, kind: &str) -> Result<Shape, FieldError> {
        let secs = |v: Option<Seconds>| v.map(|s| s.0).unwrap_or(0.0);
        Ok(match kind {
            "constant" => Shape::Constant {
                rate: at.rate("rate", self.rate)?,
            },
            "step" => Shape::Step {
                from: at.rate("from", self.from)?,
                to: at.rate("to", self.to)?,
                at: secs(self.at),
            },
            "ramp" => Shape::Ramp {
                from: at.rate("from", self.from)?,
                to: at.rate("to", self.to)?,
                at: secs(self.at),
                // NaN = "the rest of the span", resolved at render time.
                over: self.over.map(|s| s.0).unwrap_or(f64::NAN),
            },
            "spike" => Shape::Spike {
                base: at.rate("base", self.base)?,
                peak: at.rate("peak", self.peak)?,
                at: secs(self.at),
                rise: secs(self.rise),
                hold: secs(self.hold),
                decay: secs(self.decay),
                curve: self.decay_curve.unwrap_or_default(),
            },
            _ => {
                let period = secs(self.period);
                if period <= 0.0 {
                    return Err(at.err("period", "the period must be more than 0"));
                }
                Shape::Sawtooth {
                    from: at.rate("from", self.from)?,
                    to: at.rate("to", self.to)?,
                    period,
                    at: secs(self.at),
                }
            }
        })
    }

    /// A `diurnal` generator: its day shape, weekend factor and time zone.
    fn build_diurnal(&self, at: At<'_>) -> Result<Diurnal, FieldError> {
        let shape = self.day_shape(at)?;
        let weekend_factor = at.rate("weekend_factor", Some(self.weekend_factor.unwrap_or(1.0)))?;
        let timezone = match &self.timezone {
            None => None,
            Some(name) => Some(
                name.parse::<chrono_tz::Tz>()
                    .map_err(|_| FieldError::new(at.field("timezone"), format!("{name:?} is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)")))?,
            ),
        };
        Ok(Diurnal {
            shape,
            weekend_factor,
            timezone,
        })
    }

    /// A diurnal day: 24 hourly rates (`profile`), or a sinusoid between `min` and `max`.
    fn day_shape(&self, at: At<'_>) -> Result<DayShape, FieldError> {
        Ok(match (&self.profile, self.min, self.max) {
            (Some(p), None, None) => {
                if self.peak_at.is_some() {
                    return Err(at.err("peak_at", "`peak_at` goes with `min`/`max`; a `profile` already says when the peak is"));
                }
                if p.len() != 24 {
                    return Err(at.err(
                        "profile",
                        format!(
                            "a profile has 24 hourly rates (00:30 … 23:30), found {}",
                            p.len()
                        ),
                    ));
                }
                for (i, &v) in p.iter().enumerate() {
                    at.rate(&format!("profile[{i}]"), Some(v))?;
                }
                DayShape::Profile(p.clone())
            }
            (None, Some(_), Some(_)) => {
                let (min, max) = (at.rate("min", self.min)?, at.rate("max", self.max)?);
                if min > max {
                    return Err(at.err("min", format!("min {min} is above max {max}")));
                }
                DayShape::Sine {
                    min,
                    max,
                    peak_at: self.peak_at.map(|t| t.0).unwrap_or(14.0 * 3600.0),
                }
            }
            (Some(_), _, _) => {
                return Err(at.err(
                    "profile",
                    "give either `profile` or `min` and `max`, not both",
                ));
            }
            _ => {
                return Err(FieldError::new(
                    at.0,
                    "kind `diurnal` needs `min` and `max` (a daily sinusoid) or `profile` (24 hourly rates)",
                ));
            }
        })
    }

    /// A 2-state `mmpp`: two rates and the mean sojourn in each.
    fn build_mmpp(&self, at: At<'_>) -> Result<Kind, FieldError> {
        let rates = self.rates.as_deref().unwrap_or(&[]);
        let sojourn = self.sojourn.as_deref().unwrap_or(&[]);
        if rates.len() != 2 {
            return Err(at.err(
                "rates",
                format!(
                    "a 2-state MMPP has two rates [low, high], found {}",
                    rates.len()
                ),
            ));
        }
        if sojourn.len() != 2 {
            return Err(at.err(
                "sojourn",
                format!(
                    "give the mean time in each state [for rates[0], for rates[1]], found {} values",
                    sojourn.len()
                ),
            ));
        }
        for (i, s) in sojourn.iter().enumerate() {
            if s.0 <= 0.0 {
                return Err(at.err(
                    &format!("sojourn[{i}]"),
                    "a mean sojourn must be more than 0",
                ));
            }
        }
        Ok(Kind::Mmpp {
            rates: [
                at.rate("rates[0]", Some(rates[0]))?,
                at.rate("rates[1]", Some(rates[1]))?,
            ],
            sojourn: [sojourn[0].0, sojourn[1].0],
        })
    }

    /// `noise` with its coefficient of variation, distribution, `every`, and the generator it
    /// applies to (`of`, one at most).
    fn build_noise(&self, at: At<'_>) -> Result<Kind, FieldError> {
        let cv = self.cv.unwrap_or(0.0);
        if !(cv.is_finite() && cv >= 0.0) {
            return Err(at.err(
                "cv",
                format!("{cv} is not a coefficient of variation (expected a number ≥ 0, e.g. 0.2)"),
            ));
        }
        let of = match &self.of {
            None => None,
            Some(Of::One(g)) => Some(Box::new(g.build_at(&at.field("of"), Parent::Pointwise)?)),
            Some(Of::Many(_)) => {
                return Err(at.err(
                    "of",
                    "noise applies to one generator: `of: {kind: …}`, not a list",
                ));
            }
        };
        let every = match self.every {
            Some(Seconds(e)) if e <= 0.0 => {
                return Err(at.err("every", "`every` must be more than 0"));
            }
            e => e.map(|e| e.0),
        };
        Ok(Kind::Noise {
            cv,
            distribution: self.distribution.unwrap_or_default(),
            every,
            of,
        })
    }

    /// `sum`, `product` or `concat` of the generators in `of` (every part of a `concat` but
    /// the last has a duration).
    fn build_combination(&self, at: At<'_>, kind: &str) -> Result<Kind, FieldError> {
        let list: Vec<&GeneratorSpec> = match &self.of {
            Some(Of::Many(v)) => v.iter().collect(),
            Some(Of::One(g)) => vec![g.as_ref()],
            None => vec![],
        };
        if list.is_empty() {
            return Err(at.err(
                "of",
                format!("`{kind}` needs at least one generator in `of`"),
            ));
        }
        let child_parent = if kind == "concat" {
            Parent::Concat
        } else {
            Parent::Pointwise
        };
        let kids = list
            .iter()
            .enumerate()
            .map(|(i, g)| g.build_at(&at.field(&format!("of[{i}]")), child_parent))
            .collect::<Result<Vec<_>, _>>()?;
        if kind == "concat" {
            for (i, k) in kids.iter().enumerate() {
                if i + 1 < kids.len() && k.natural_duration().is_none() {
                    return Err(at.err(
                        &format!("of[{i}]"),
                        "every part of a `concat` but the last needs a `duration`",
                    ));
                }
            }
        }
        Ok(match kind {
            "sum" => Kind::Sum(kids),
            "product" => Kind::Product(kids),
            _ => Kind::Concat(kids),
        })
    }
}

/// The path of the generator being built (`""` at the top, `of[1]` inside), for field paths
/// in errors.
#[derive(Debug, Clone, Copy)]
struct At<'a>(&'a str);

impl At<'_> {
    /// The path of field `f` of this generator.
    fn field(self, f: &str) -> String {
        if self.0.is_empty() {
            f.to_string()
        } else {
            format!("{}.{f}", self.0)
        }
    }

    fn err(self, f: &str, message: impl Into<String>) -> FieldError {
        FieldError::new(self.field(f), message)
    }

    /// Field `f` as a rate: unset is 0; negative or not finite is an error.
    fn rate(self, f: &str, v: Option<f64>) -> Result<f64, FieldError> {
        let v = v.unwrap_or(0.0);
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(FieldError::new(
                self.field(f),
                format!("{v} is not a rate (expected a number ≥ 0)"),
            ))
        }
    }
}

fn field_list(required: &[&str], optional: &[&str]) -> String {
    let mut v: Vec<String> = required.iter().map(|s| s.to_string()).collect();
    v.extend(optional.iter().map(|s| format!("[{s}]")));
    v.extend(["[step]".to_string(), "[duration]".to_string()]);
    v.join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    Top,
    Pointwise,
    Concat,
}

/// The default resolution for a span: 1 s up to a day, 60 s beyond.
pub(crate) fn default_step(span: f64) -> f64 {
    if span <= 86_400.0 { 1.0 } else { 60.0 }
}

impl Generator {
    /// The span this generator knows by itself: its `duration`, or a `concat`'s total.
    pub(crate) fn natural_duration(&self) -> Option<f64> {
        if let Some(d) = self.duration {
            return Some(d);
        }
        match &self.kind {
            Kind::Concat(kids) => kids.iter().map(|k| k.natural_duration()).sum(),
            _ => None,
        }
    }

    /// Render the trace: rows every `step` over the span (rounded up to whole steps).
    pub(crate) fn generate(&self, ctx: &GenContext) -> Result<Trace, FieldError> {
        let span = self.natural_duration().or(ctx.duration).ok_or_else(|| {
            FieldError::new("duration", "a generated trace needs a length: set `duration` here or the scenario's `duration`")
        })?;
        if !(span.is_finite() && span > 0.0) {
            return Err(FieldError::new(
                "duration",
                format!("{span} is not a usable span"),
            ));
        }
        let step = self.step.unwrap_or_else(|| default_step(span));
        // With the default step it is the span that is too long: blame `duration`.
        let at_fault = if self.step.is_some() {
            "step"
        } else {
            "duration"
        };
        let n = rows_for(span, step).ok_or_else(|| {
            FieldError::new(
                at_fault,
                format!(
                    "{} at a {} step is more than {MAX_ROWS} rows: {}",
                    crate::units::format_seconds(span),
                    crate::units::format_seconds(step),
                    if self.step.is_some() {
                        "use a coarser `step`"
                    } else {
                        "shorten `duration` (or set a coarser `trace.generate.step`)"
                    }
                ),
            )
        })?;
        let grid = Grid {
            origin: 0.0,
            step,
            n,
        };
        let env = Env {
            seed: ctx.seed,
            start_time: ctx.start_time,
        };
        let values = self.render_kind(&grid, &env, "")?;
        let mut trace = Trace::uniform(step, values);
        trace.start_time = ctx.start_time;
        Ok(trace)
    }

    /// Values on `grid`, honouring this node's own `step`.
    fn render(&self, grid: &Grid, env: &Env, path: &str) -> Result<Vec<f64>, FieldError> {
        match self.step {
            Some(s) if s != grid.step => {
                let n = rows_for(grid.span(), s).ok_or_else(|| {
                    FieldError::new(join(path, "step"), "too many rows at this step")
                })?;
                let own = Grid {
                    origin: grid.origin,
                    step: s,
                    n,
                };
                let v = self.render_kind(&own, env, path)?;
                Ok(regrid(pieces(&v, &own, 0.0, grid.span()), grid))
            }
            _ => self.render_kind(grid, env, path),
        }
    }

    fn render_kind(&self, grid: &Grid, env: &Env, path: &str) -> Result<Vec<f64>, FieldError> {
        Ok(match &self.kind {
            Kind::Shape(shape) => render_plain_shape(shape, grid, path)?,
            Kind::Diurnal(d) => render_diurnal(d, grid, env),
            Kind::Mmpp { rates, sojourn } => render_mmpp(*rates, *sojourn, grid, env, path)?,
            Kind::Noise {
                cv,
                distribution,
                every,
                of,
            } => {
                let base = match of {
                    Some(g) => g.render(grid, env, &join(path, "of"))?,
                    None => vec![1.0; grid.n],
                };
                let f = noise_factors(*cv, *distribution, *every, grid, env, path)?;
                base.iter().zip(f).map(|(b, f)| b * f).collect()
            }
            Kind::Sum(kids) => render_pointwise(kids, true, grid, env, path)?,
            Kind::Product(kids) => render_pointwise(kids, false, grid, env, path)?,
            Kind::Concat(kids) => render_concat(kids, grid, env, path)?,
        })
    }
}

/// The random stream's label for the generator at `path`.
fn stream_label(path: &str) -> String {
    if path.is_empty() {
        "trace.generate".to_string()
    } else {
        format!("trace.generate.{path}")
    }
}

/// A plain shape on `grid` (a ramp without `over` runs to the end of the span).
fn render_plain_shape(shape: &Shape, grid: &Grid, path: &str) -> Result<Vec<f64>, FieldError> {
    if let Shape::Sawtooth { period, .. } = shape
        && *period < grid.step
    {
        return Err(FieldError::new(
            join(path, "period"),
            format!(
                "the period ({}) is shorter than the step ({}): use a finer `step`",
                crate::units::format_seconds(*period),
                crate::units::format_seconds(grid.step)
            ),
        ));
    }
    let mut s = shape.clone();
    if let Shape::Ramp { at, over, .. } = &mut s
        && over.is_nan()
    {
        *over = (grid.span() - *at).max(0.0);
    }
    Ok(render_shape(&s, grid))
}

/// A diurnal day on `grid`: each row the mean over its step of the local-time rate.
fn render_diurnal(d: &Diurnal, grid: &Grid, env: &Env) -> Vec<f64> {
    let clock = Clock::new(env.start_time, d.timezone);
    let mut breaks = Vec::new();
    (0..grid.n)
        .map(|k| {
            let (a, b) = (k as f64 * grid.step, (k + 1) as f64 * grid.step);
            let (la, lb) = (clock.local(grid.origin + a), clock.local(grid.origin + b));
            breaks.clear();
            Diurnal::local_breaks(la, lb, &mut breaks);
            for x in &mut breaks {
                *x = a + (*x - la);
            }
            mean_over(
                &|t| d.at_local(clock.local(grid.origin + t)),
                a,
                b,
                &mut breaks,
            )
        })
        .collect()
}

/// A 2-state MMPP on `grid`, from this node's own random stream.
fn render_mmpp(
    rates: [f64; 2],
    sojourn: [f64; 2],
    grid: &Grid,
    env: &Env,
    path: &str,
) -> Result<Vec<f64>, FieldError> {
    if grid.span() / sojourn[0].min(sojourn[1]) > MAX_ROWS as f64 {
        return Err(FieldError::new(
            join(path, "sojourn"),
            format!("sojourns this short switch state more than {MAX_ROWS} times over the span"),
        ));
    }
    let mut rng = stream_rng(env.seed, &stream_label(path));
    Ok(regrid(
        random::mmpp_pieces(&mut rng, grid.span(), rates, sojourn),
        grid,
    ))
}

/// Mean-1 noise factors on `grid`, a new one every `every` (default: each row).
fn noise_factors(
    cv: f64,
    distribution: NoiseDist,
    every: Option<f64>,
    grid: &Grid,
    env: &Env,
    path: &str,
) -> Result<Vec<f64>, FieldError> {
    let nstep = every.unwrap_or(grid.step);
    let nn = rows_for(grid.span(), nstep)
        .ok_or_else(|| FieldError::new(join(path, "every"), "too many rows at this step"))?;
    let ngrid = Grid {
        origin: grid.origin,
        step: nstep,
        n: nn,
    };
    let mut rng = stream_rng(env.seed, &stream_label(path));
    let f = random::noise_factors(&mut rng, nn, cv, distribution);
    Ok(if nstep == grid.step {
        f
    } else {
        regrid(pieces(&f, &ngrid, 0.0, grid.span()), grid)
    })
}

/// The pointwise sum (`is_sum`) or product of the children on `grid`.
fn render_pointwise(
    kids: &[Generator],
    is_sum: bool,
    grid: &Grid,
    env: &Env,
    path: &str,
) -> Result<Vec<f64>, FieldError> {
    let mut acc = vec![if is_sum { 0.0 } else { 1.0 }; grid.n];
    for (i, k) in kids.iter().enumerate() {
        let v = k.render(grid, env, &join(path, &format!("of[{i}]")))?;
        for (a, x) in acc.iter_mut().zip(v) {
            if is_sum {
                *a += x;
            } else {
                *a *= x;
            }
        }
    }
    Ok(acc)
}

/// The children one after another, each on its own step, until the span is full.
fn render_concat(
    kids: &[Generator],
    grid: &Grid,
    env: &Env,
    path: &str,
) -> Result<Vec<f64>, FieldError> {
    let mut all = Vec::new();
    let mut offset = 0.0;
    for (i, k) in kids.iter().enumerate() {
        let p = join(path, &format!("of[{i}]"));
        let dur = match k.natural_duration() {
            Some(d) => d,
            None => grid.span() - offset,
        };
        if dur <= 0.0 {
            return Err(FieldError::new(
                p,
                "no time left for this part: the parts before it fill the whole span",
            ));
        }
        let step = k.step.unwrap_or(grid.step);
        let n = rows_for(dur, step)
            .ok_or_else(|| FieldError::new(join(&p, "step"), "too many rows at this step"))?;
        let own = Grid {
            origin: grid.origin + offset,
            step,
            n,
        };
        let v = k.render_kind(&own, env, &p)?;
        all.extend(pieces(&v, &own, offset, dur));
        offset += dur;
        if offset >= grid.span() {
            break;
        }
    }
    Ok(regrid(all, grid))
}

struct Env {
    seed: u64,
    start_time: Option<DateTime<FixedOffset>>,
}

fn join(path: &str, f: &str) -> String {
    if path.is_empty() {
        f.to_string()
    } else {
        format!("{path}.{f}")
    }
}

fn rows_for(span: f64, step: f64) -> Option<usize> {
    let n = (span / step - 1e-9).ceil().max(1.0);
    (n.is_finite() && n <= MAX_ROWS as f64).then_some(n as usize)
}

#[cfg(test)]
mod tests;
