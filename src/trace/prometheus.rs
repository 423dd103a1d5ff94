//! Prometheus HTTP API `query_range` JSON, as `curl …/api/v1/query_range?query=…` prints it:
//! `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},"values":[[t,"v"],…]}]}}`.
//! The `data` object alone, or the bare `result` list, is accepted too.
//!
//! - **Series**: with one series in the result it is used. With several, `series:` picks by
//!   label matchers (`{job="api",code!="500"}`, `job=api`, or a YAML map `{job: api}`; equality
//!   and inequality only, no regex), and `combine: sum` adds up all the series that match, at
//!   each timestamp, as PromQL's `sum()` would (a series without a sample at a timestamp adds
//!   nothing there). Several matching series without `combine: sum` are an error listing them.
//! - **Values** are the strings Prometheus emits: decimal numbers (`"1.5"`, `"1e+06"`), `"NaN"`,
//!   `"+Inf"`, `"-Inf"` (bare JSON numbers are accepted too). A sample has no usable value when it
//!   is NaN or ±Inf: strict, that is an error naming its line and column; lenient, it takes the
//!   previous sample's value (0 at the start). In a sum, a NaN in any series makes that sum NaN
//!   (as in PromQL) and is then handled the same way. A negative value is an error (lenient:
//!   clamped to 0).
//! - **Times**: Unix seconds (millisecond precision); the first sample sets the trace's
//!   `start_time` (UTC). Each sample holds until the next one; the trace ends one query step
//!   (the most common interval) after the last sample. Gaps (a series that vanished for a while)
//!   follow [`super::rows`]. Shorter holes — up to [`rows::GAP_FACTOR`] steps, where Prometheus
//!   left out a step or two because the series had no sample in its lookback window — are
//!   filled by the sample before them holding, with a warning that counts the missing steps and
//!   names the first. Prometheus `warnings` in the response are passed on as warnings.
//! - **Units**: values are read as requests per second (what `rate()` gives); `rate_unit`
//!   converts others, e.g. `count` for `increase(...[1m])` at a 1m step (see
//!   [`super::rate_unit`]).

use super::read::{ReadOptions, check_text};
use super::rows::{self, Pos, RawRows};
use super::{Loaded, Warning};
use crate::error::{InputError, Location};
use chrono::{TimeZone, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// One label matcher: `label="value"` or `label!="value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matcher {
    pub(crate) label: String,
    pub(crate) negate: bool,
    pub(crate) value: String,
}

/// Label matchers picking series (all must hold; an absent label reads as "").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub(crate) matchers: Vec<Matcher>,
}

impl Selector {
    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers.iter().all(|m| {
            let v = labels.get(&m.label).map(String::as_str).unwrap_or("");
            (v == m.value) != m.negate
        })
    }
}

impl FromStr for Selector {
    type Err = String;
    /// `{job="api", code!="500"}`, `job=api,code!=500`, or a metric name with matchers
    /// `http_requests_total{job="api"}` (the name matches `__name__`).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut s = s.trim();
        let mut matchers = Vec::new();
        if let Some(brace) = s.find('{') {
            let name = s[..brace].trim();
            if !name.is_empty() {
                matchers.push(Matcher {
                    label: "__name__".into(),
                    negate: false,
                    value: name.into(),
                });
            }
            s = s[brace + 1..].trim_end().strip_suffix('}').ok_or_else(|| {
                format!("{s:?}: missing closing `}}`", s = crate::error::shorten(s))
            })?;
        } else if !s.contains('=') && !s.is_empty() {
            matchers.push(Matcher {
                label: "__name__".into(),
                negate: false,
                value: s.into(),
            });
            return Ok(Selector { matchers });
        }
        for part in split_matchers(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if part.contains("=~") || part.contains("!~") {
                return Err(format!(
                    "{part:?}: regular-expression matchers are not supported; use = or !=",
                    part = crate::error::shorten(part)
                ));
            }
            let (label, negate, value) = if let Some((l, v)) = part.split_once("!=") {
                (l, true, v)
            } else if let Some((l, v)) = part.split_once('=') {
                (l, false, v)
            } else {
                return Err(format!(
                    "{part:?} is not a label matcher (expected label=\"value\" or label!=\"value\")",
                    part = crate::error::shorten(part)
                ));
            };
            let label = label.trim();
            if label.is_empty() {
                return Err(format!(
                    "{part:?}: missing label name",
                    part = crate::error::shorten(part)
                ));
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            matchers.push(Matcher {
                label: label.into(),
                negate,
                value: value.replace("\\\"", "\""),
            });
        }
        Ok(Selector { matchers })
    }
}

/// Split at commas outside double quotes.
fn split_matchers(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    out.push(&s[start..]);
    out
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{")?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(
                f,
                "{}{}\"{}\"",
                m.label,
                if m.negate { "!=" } else { "=" },
                m.value
            )?;
        }
        write!(f, "}}")
    }
}

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Selector;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("label matchers such as '{job=\"api\"}' or a map of label: value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Selector, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Selector, A::Error> {
                let mut matchers = Vec::new();
                while let Some((label, value)) = map.next_entry::<String, String>()? {
                    matchers.push(Matcher {
                        label,
                        negate: false,
                        value,
                    });
                }
                Ok(Selector { matchers })
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON Schema of what `Selector`'s deserializer reads.
impl schemars::JsonSchema for Selector {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Selector".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Label matchers picking series: '{job=\"api\"}' (= and !=), or a map of label: value.",
            "anyOf": [
                { "type": "string" },
                { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] } },
            ],
        })
    }
}

/// What to do when several series match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Exactly one series must match (an error lists them otherwise).
    #[default]
    One,
    /// Add up the matching series at each timestamp (PromQL `sum()`).
    Sum,
}

impl FromStr for Combine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "one" => Ok(Combine::One),
            "sum" => Ok(Combine::Sum),
            o => Err(format!("unknown combine {o:?} (expected one or sum)")),
        }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    status: Option<String>,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    // The `data` object given alone:
    #[serde(default, rename = "resultType")]
    result_type: Option<String>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(borrow)]
    result: &'a RawValue,
}

#[derive(Deserialize)]
struct Series<'a> {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default, borrow)]
    values: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    S(String),
    F(f64),
}

/// Parse a Prometheus value string: decimal, `NaN`, `+Inf`, `-Inf`.
pub(crate) fn parse_value(s: &str) -> Option<f64> {
    match s.trim() {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// Parse `query_range` JSON into a trace (see the module docs).
pub(crate) fn parse(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Loaded, InputError> {
    let bytes = check_text(path, bytes)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| InputError::in_file(path, "not valid UTF-8"))?;
    let mut warnings = Vec::new();
    let result = matrix_result(path, text, &mut warnings)?;
    let series: Vec<Series> = serde_json::from_str(result.get()).map_err(|e| {
        // Errors inside `result` are relative to it: report them at its start.
        let pos = position(text, result.get());
        InputError::new(
            Location::file(path).with_line(pos.line as usize, Some(pos.column as usize)),
            format!(
                "malformed result: {}",
                crate::yaml::messages::json_words(&e)
            ),
        )
    })?;
    let chosen = choose_series(path, &series, opts)?;
    let rate_name = if chosen.len() == 1 {
        labels(&chosen[0].metric)
    } else {
        format!("sum of {} series", chosen.len())
    };
    let mut samples = read_samples(path, text, &chosen)?;
    if chosen.len() > 1 {
        samples = sum_by_time(samples);
    }
    let t0 = samples.iter().map(|s| s.0).min().unwrap_or(0);
    let origin = Utc
        .timestamp_millis_opt(t0)
        .single()
        .ok_or_else(|| InputError::in_file(path, "sample times out of range"))?;
    let raw = RawRows {
        times: samples.iter().map(|s| (s.0 - t0) as f64 / 1000.0).collect(),
        rates: samples.iter().map(|s| s.1).collect(),
        pos: samples.iter().map(|s| s.2).collect(),
        columns: Vec::new(),
    };
    let origin = origin.fixed_offset();
    let missing = missing_steps(path, &raw, origin);
    let src = rows::Source {
        path,
        rate_name: &rate_name,
        origin: Some(origin),
    };
    let (mut trace, more) = rows::finish(&src, raw, opts.repair)?;
    warnings.extend(missing);
    warnings.extend(more);
    if let Some(unit) = opts.rate_unit {
        unit.apply(&mut trace);
    }
    Ok(Loaded { trace, warnings })
}

/// The `result` of a matrix response: a bare series list, or the envelope (full, or its `data`
/// alone) after refusing error responses, Loki log streams and instant queries. The
/// envelope's own warnings are passed on.
fn matrix_result<'t>(
    path: &Path,
    text: &'t str,
    warnings: &mut Vec<Warning>,
) -> Result<&'t RawValue, InputError> {
    let json_err = |e: serde_json::Error, what: &str| {
        InputError::new(
            Location::file(path).with_line(e.line().max(1), Some(e.column().max(1))),
            format!("{what}: {}", crate::yaml::messages::json_words(&e)),
        )
    };
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).map_err(|e| json_err(e, "not Prometheus JSON"));
    }
    let env: Envelope =
        serde_json::from_str(text).map_err(|e| json_err(e, "not Prometheus query_range JSON"))?;
    if env.status.as_deref() == Some("error") || env.error.is_some() {
        return Err(InputError::in_file(
            path,
            format!(
                "this is a Prometheus error response ({}): {}",
                env.error_type.as_deref().unwrap_or("error"),
                env.error.as_deref().unwrap_or("no message")
            ),
        ));
    }
    for w in &env.warnings {
        warnings.push(Warning::new(
            Location::file(path),
            format!("Prometheus warned: {w}"),
        ));
    }
    let (rt, result) = match (env.data, env.result_type, env.result) {
        (Some(d), _, _) => (d.result_type, d.result),
        (None, Some(rt), Some(r)) => (rt, r),
        _ => {
            return Err(InputError::in_file(
                path,
                "not Prometheus query_range JSON: expected {\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[…]}}",
            ));
        }
    };
    if rt == "streams" {
        return Err(InputError::in_file(
            path,
            "resultType is \"streams\": this is a Loki log query response (log lines), not metrics; a trace needs a metric query over a range, e.g. Loki's `sum(rate({app=\"api\"}[1m]))` or Prometheus' `/api/v1/query_range`, whose resultType is \"matrix\"",
        ));
    }
    if rt != "matrix" {
        return Err(InputError::in_file(
            path,
            format!(
                "resultType is {rt:?}: a trace needs a range query (`/api/v1/query_range`, resultType \"matrix\"), not an instant query",
                rt = crate::error::shorten(&rt)
            ),
        ));
    }
    Ok(result)
}

/// The series to replay: those matching `opts.series` (all without one), at least one, and
/// only one unless `combine: sum`.
fn choose_series<'s, 'a>(
    path: &Path,
    series: &'s [Series<'a>],
    opts: &ReadOptions,
) -> Result<Vec<&'s Series<'a>>, InputError> {
    if series.is_empty() {
        return Err(InputError::in_file(
            path,
            "the query returned no series (empty result): nothing to replay",
        ));
    }
    let chosen: Vec<&Series> = match &opts.series {
        Some(sel) => series.iter().filter(|s| sel.matches(&s.metric)).collect(),
        None => series.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(InputError::in_file(
            path,
            format!(
                "no series matches {}; the file has: {}",
                opts.series
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                list(series.iter())
            ),
        ));
    }
    if chosen.len() > 1 && opts.combine == super::prometheus::Combine::One {
        return Err(InputError::in_file(
            path,
            format!(
                "{} series match: {}. Pick one with `series: '{{label=\"value\"}}'` (`--series` on the command line) or add them up with `combine: sum` (`--sum`)",
                chosen.len(),
                list(chosen.iter().copied())
            ),
        ));
    }
    Ok(chosen)
}

/// (time in ms, value, position) of every sample of the chosen series, in file order.
fn read_samples(
    path: &Path,
    text: &str,
    chosen: &[&Series],
) -> Result<Vec<(i64, f64, Pos)>, InputError> {
    let mut samples: Vec<(i64, f64, Pos)> = Vec::new();
    for s in chosen {
        for raw in &s.values {
            let pos = position(text, raw.get());
            let at = |msg: String| {
                InputError::new(
                    Location::file(path).with_line(pos.line as usize, Some(pos.column as usize)),
                    msg,
                )
            };
            let (t, v): (f64, Num) = serde_json::from_str(raw.get()).map_err(|_| {
                at(format!(
                    "a sample must be [unix_seconds, \"value\"], found {}",
                    raw.get()
                ))
            })?;
            let v = match v {
                Num::F(f) => f,
                Num::S(s) => parse_value(&s).ok_or_else(|| {
                    at(format!(
                        "sample value {s:?} is not a number",
                        s = crate::error::shorten(&s)
                    ))
                })?,
            };
            if !t.is_finite() || t.abs() > 1e13 {
                return Err(at(format!("sample time {t} is not a Unix time in seconds")));
            }
            samples.push(((t * 1000.0).round() as i64, v, pos));
        }
    }
    if samples.is_empty() {
        return Err(InputError::in_file(
            path,
            "the chosen series have no samples",
        ));
    }
    Ok(samples)
}

/// Several series added up at each timestamp (sorted by time); a sum made unusable by a
/// sample points at that sample.
fn sum_by_time(mut samples: Vec<(i64, f64, Pos)>) -> Vec<(i64, f64, Pos)> {
    samples.sort_by_key(|s| s.0);
    let mut merged: Vec<(i64, f64, Pos)> = Vec::with_capacity(samples.len());
    for s in samples {
        match merged.last_mut() {
            Some(last) if last.0 == s.0 => {
                // Point errors at the sample that made the sum unusable.
                if !s.1.is_finite() && last.1.is_finite() {
                    last.2 = s.2;
                }
                last.1 += s.1;
            }
            _ => merged.push(s),
        }
    }
    merged
}

/// A warning counting the steps missing from the query's step grid in holes too short to be
/// gaps (see [`rows`]), which are filled by the sample before each hole holding; `None` when
/// no step is missing. Larger holes are gaps: an error, or a repair with its own warning.
fn missing_steps(
    path: &Path,
    raw: &RawRows,
    origin: chrono::DateTime<chrono::FixedOffset>,
) -> Option<Warning> {
    let times = &raw.times;
    let step = rows::most_common_step(times)?;
    let regular = rows::is_regular(times, step);
    let mut missing = 0u64;
    let mut first: Option<(f64, Pos)> = None;
    for i in 1..times.len() {
        let d = times[i] - times[i - 1];
        let steps = (d / step).round();
        if steps.is_nan() || steps < 2.0 || (regular && d > rows::GAP_FACTOR * step * (1.0 + 1e-9))
        {
            continue;
        }
        missing += steps as u64 - 1;
        first.get_or_insert((times[i - 1] + step, raw.pos[i]));
    }
    let (at, pos) = first?;
    let instant = origin
        .checked_add_signed(chrono::TimeDelta::milliseconds((at * 1000.0).round() as i64))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| format!("{at} s"));
    let (n, each) = if missing == 1 {
        ("1 step is".to_string(), "it holds")
    } else {
        (format!("{missing} steps are"), "each holds")
    };
    Some(Warning::new(
        pos.location(path),
        format!(
            "{n} missing from the {} query step grid (the first at {instant}, just before this sample; Prometheus leaves a step out when the series had no sample to look back to): {each} the value of the sample before it",
            crate::units::format_seconds(step)
        ),
    ))
}

fn labels(m: &BTreeMap<String, String>) -> String {
    let name = m.get("__name__").cloned().unwrap_or_default();
    let rest: Vec<String> = m
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    format!("{name}{{{}}}", rest.join(", "))
}

fn list<'a, 'b: 'a>(series: impl Iterator<Item = &'a Series<'b>>) -> String {
    let all: Vec<String> = series.map(|s| labels(&s.metric)).collect();
    let n = all.len();
    let mut shown: Vec<String> = all.into_iter().take(10).collect();
    if n > 10 {
        shown.push(format!("… ({} more)", n - 10));
    }
    shown.join(", ")
}

/// Line and column (1-based) of a slice of `text` (a borrowed `RawValue`).
fn position(text: &str, part: &str) -> Pos {
    let offset = (part.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    Pos {
        line: line as u32,
        column: (offset - line_start + 1) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::rows::{GapFill, Repair};

    const TWO: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
{"metric":{"job":"api","code":"200"},"values":[[1700000000,"1.5"],[1700000015,"2"],[1700000030,"2.5"]]},
{"metric":{"job":"api","code":"500"},"values":[[1700000000,"0.5"],[1700000015,"NaN"],[1700000030,"1e+00"]]}
]}}"#;

    fn p(text: &str, opts: &ReadOptions) -> Result<Loaded, InputError> {
        parse(Path::new("q.json"), text.as_bytes(), opts)
    }

    #[test]
    fn selects_and_sums() {
        let e = p(TWO, &ReadOptions::default()).unwrap_err();
        assert!(e.message.contains("2 series match"), "{e}");
        let opts = ReadOptions {
            series: Some("{code=\"200\"}".parse().unwrap()),
            ..Default::default()
        };
        let t = p(TWO, &opts).unwrap().trace;
        assert_eq!(t.rates, vec![1.5, 2.0, 2.5]);
        assert_eq!(t.end, 45.0);
        assert_eq!(
            t.start_time.unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        let opts = ReadOptions {
            combine: Combine::Sum,
            ..Default::default()
        };
        let e = p(TWO, &opts).unwrap_err();
        assert_eq!(
            (e.location.line, e.location.column),
            (Some(3), Some(67)),
            "{e}"
        );
        let opts = ReadOptions {
            combine: Combine::Sum,
            repair: Repair {
                lenient: true,
                gap_fill: GapFill::Hold,
            },
            ..Default::default()
        };
        let l = p(TWO, &opts).unwrap();
        assert_eq!(l.trace.rates, vec![2.0, 2.0, 3.5]);
        assert_eq!(l.warnings.len(), 1);
    }

    /// Steps missing from the query's grid are filled (the sample before holds) with one
    /// warning counting them and naming the first; a grid without holes gets none.
    #[test]
    fn missing_steps_warn() {
        let series = |ts: &[i64]| {
            let values: Vec<String> = ts
                .iter()
                .map(|t| format!("[{},\"{}\"]", 1_700_000_000 + t, t))
                .collect();
            format!(
                "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[\n{{\"metric\":{{}},\"values\":[\n{}\n]}}]}}}}",
                values.join(",\n")
            )
        };
        let full: Vec<i64> = (0..12).map(|k| k * 15).collect();
        let l = p(&series(&full), &ReadOptions::default()).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        // Steps 3, 7 and 8 missing (a hole of one step, then of two).
        let holed: Vec<i64> = full
            .iter()
            .copied()
            .filter(|t| ![45, 105, 120].contains(t))
            .collect();
        let l = p(&series(&holed), &ReadOptions::default()).unwrap();
        assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
        let w = &l.warnings[0];
        // The sample after the first hole (t = 60) is the 4th, on line 6.
        assert_eq!(w.location.line, Some(6), "{w}");
        assert!(
            w.message.starts_with("3 steps are missing from the 15s query step grid (the first at 2023-11-14T22:14:05Z")
                && w.message.contains("each holds the value of the sample before it"),
            "{w}"
        );
        assert_eq!(l.trace.rate_at(45.0), 30.0);
        assert_eq!(l.trace.rate_at(125.0), 90.0);
    }

    #[test]
    fn rate_unit_converts_values() {
        let opts = ReadOptions {
            series: Some("{code=\"200\"}".parse().unwrap()),
            rate_unit: Some(crate::trace::RateUnit::Count),
            ..Default::default()
        };
        // increase() over each 15 s step: counts per step.
        let t = p(TWO, &opts).unwrap().trace;
        assert_eq!(t.rates, vec![0.1, 2.0 / 15.0, 2.5 / 15.0]);
    }

    #[test]
    fn selectors_parse() {
        let s: Selector = "http_requests_total{job=\"api\", code!=\"5,00\"}"
            .parse()
            .unwrap();
        assert_eq!(s.matchers.len(), 3);
        assert!(s.matchers[2].negate);
        assert_eq!(s.matchers[2].value, "5,00");
        assert!("{code=~\"5..\"}".parse::<Selector>().is_err());
        let s: Selector = "job=api".parse().unwrap();
        assert_eq!(s.to_string(), "{job=\"api\"}");
    }

    #[test]
    fn rejects_other_shapes() {
        let e = p(
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("bad_data"), "{e}");
        let e = p(
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("range query"), "{e}");
        let e = p(
            r#"{"status":"success","data":{"resultType":"streams","result":[]}}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            e.message.contains("Loki log query") && !e.message.contains("instant"),
            "{e}"
        );
        let e = p("{\"status\":\n\"success\",", &ReadOptions::default()).unwrap_err();
        assert_eq!(e.location.line, Some(2));
    }
}
