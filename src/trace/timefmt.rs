//! Time cells of imported traces: seconds or milliseconds from the start, Unix epoch seconds,
//! milliseconds, microseconds or nanoseconds, RFC 3339 instants (a naive `2024-03-04 08:00:00` is read as UTC, with a
//! warning), and the `[01/Jul/1995:00:00:01 -0400]` stamps of Apache/nginx access logs.
//!
//! `auto` decides once per file, from the first time cell:
//! - text that is not a number: RFC 3339 (or an access-log stamp);
//! - a number ≥ 1e17: Unix epoch nanoseconds (1e17 ns is March 1973);
//! - a number ≥ 1e14: Unix epoch microseconds (1e14 µs is March 1973; 1e14 ms would be year 5138);
//! - a number ≥ 1e11: Unix epoch milliseconds (1e11 ms is March 1973; 1e11 s would be year 5138);
//! - a number ≥ 1e8: Unix epoch seconds (1e8 s is March 1973);
//! - a smaller number: seconds from the start, or milliseconds when the column's name says so
//!   (`time_ms`, `timestamp_ms`, `*_millis`, `*_milliseconds`).
//!
//! Every later row must be written the same way. Absolute times are returned as seconds since
//! the first one seen (the origin); [`TimeParser::origin`] is that instant. An epoch time whose
//! year is not between [`PLAUSIBLE_YEARS`] is an error naming the unit that would fit (a
//! forced `time_format` in the wrong unit), and relative times that start [`EPOCH_LIKE_SECONDS`]
//! or more after 0 get a warning ([`TimeParser::warning`]): they look like epoch times read as
//! seconds from the start.

use super::spelling::{Spelled, add_aliases};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use std::str::FromStr;

/// How the time column is written (`time_format:` in a `trace:` block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = add_aliases::<TimeFormat>)]
pub enum TimeFormat {
    /// Decide from the first value (see the module docs).
    #[default]
    Auto,
    /// Seconds from the start of the trace.
    #[serde(alias = "s", alias = "relative")]
    Seconds,
    /// Milliseconds from the start of the trace.
    #[serde(alias = "ms", alias = "milliseconds")]
    Millis,
    /// Unix epoch seconds (may have a fraction).
    #[serde(alias = "epoch", alias = "unix")]
    EpochSeconds,
    /// Unix epoch milliseconds.
    #[serde(alias = "epoch_ms", alias = "unix_ms", alias = "epoch_milliseconds")]
    EpochMillis,
    /// Unix epoch microseconds.
    #[serde(alias = "epoch_us", alias = "unix_us", alias = "epoch_microseconds")]
    EpochMicros,
    /// Unix epoch nanoseconds.
    #[serde(alias = "epoch_ns", alias = "unix_ns", alias = "epoch_nanoseconds")]
    EpochNanos,
    /// RFC 3339 / ISO 8601 instants such as `2026-03-02T08:00:00Z` or `…+09:00`.
    #[serde(alias = "iso8601")]
    Rfc3339,
}

impl TimeFormat {
    pub(crate) const NAMES: &'static str =
        "auto, seconds, millis, epoch_seconds, epoch_millis, epoch_micros, epoch_nanos, rfc3339";

    /// The canonical name, as written in a scenario.
    pub(crate) fn name(self) -> &'static str {
        Spelled::name(self)
    }
}

/// Years an epoch time may fall in; outside, the unit is surely wrong.
pub(crate) const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// Relative times starting this late (about 31.7 years) look like epoch seconds.
pub(crate) const EPOCH_LIKE_SECONDS: f64 = 1e9;

/// The epoch formats and the seconds one unit of each is worth.
const EPOCH_UNITS: [(TimeFormat, f64); 4] = [
    (TimeFormat::EpochSeconds, 1.0),
    (TimeFormat::EpochMillis, 1e-3),
    (TimeFormat::EpochMicros, 1e-6),
    (TimeFormat::EpochNanos, 1e-9),
];

impl Spelled for TimeFormat {
    const SPELLINGS: &'static [(Self, &'static [&'static str])] = &[
        (TimeFormat::Auto, &["auto"]),
        (TimeFormat::Seconds, &["seconds", "s", "relative"]),
        (TimeFormat::Millis, &["millis", "ms", "milliseconds"]),
        (
            TimeFormat::EpochSeconds,
            &["epoch_seconds", "epoch", "unix"],
        ),
        (
            TimeFormat::EpochMillis,
            &["epoch_millis", "epoch_ms", "unix_ms", "epoch_milliseconds"],
        ),
        (
            TimeFormat::EpochMicros,
            &["epoch_micros", "epoch_us", "unix_us", "epoch_microseconds"],
        ),
        (
            TimeFormat::EpochNanos,
            &["epoch_nanos", "epoch_ns", "unix_ns", "epoch_nanoseconds"],
        ),
        (TimeFormat::Rfc3339, &["rfc3339", "iso8601"]),
    ];
}

impl FromStr for TimeFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TimeFormat::from_spelling(s).ok_or_else(|| {
            let other = s.trim().to_ascii_lowercase().replace('-', "_");
            format!(
                "unknown time format {:?} (expected one of {})",
                crate::error::shorten(&other),
                TimeFormat::NAMES,
            )
        })
    }
}

/// Whether a time column's name says its unit is milliseconds.
pub(crate) fn name_says_millis(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with("_ms") || n.ends_with("millis") || n.ends_with("milliseconds") || n == "ms"
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Relative { scale: f64 },
    Epoch { scale: f64 },
    Text,
}

/// Parses the time cells of one file, deciding the format on the first cell.
#[derive(Debug, Clone)]
pub(crate) struct TimeParser {
    forced: TimeFormat,
    millis_hint: bool,
    kind: Option<Kind>,
    /// First epoch value seen (raw, in the file's unit).
    epoch_origin: f64,
    origin: Option<DateTime<FixedOffset>>,
    /// The first relative time (seconds), for [`TimeParser::warning`].
    first_relative: Option<f64>,
    /// Cells parsed so far.
    parsed: usize,
    /// A timestamp without a UTC offset was read as UTC.
    pub(crate) naive_seen: bool,
}

impl TimeParser {
    /// `millis_hint`: the column's name says milliseconds (see [`name_says_millis`]).
    pub(crate) fn new(forced: TimeFormat, millis_hint: bool) -> Self {
        TimeParser {
            forced,
            millis_hint,
            kind: None,
            epoch_origin: 0.0,
            origin: None,
            first_relative: None,
            parsed: 0,
            naive_seen: false,
        }
    }

    /// True once the file's times are known to be absolute (epoch or RFC 3339).
    pub(crate) fn is_absolute(&self) -> bool {
        matches!(self.kind, Some(Kind::Epoch { .. } | Kind::Text))
    }

    /// The wall-clock instant the returned times count from, for absolute times.
    pub(crate) fn origin(&self) -> Option<DateTime<FixedOffset>> {
        self.origin
    }

    /// What the file's times turned out to be, for messages.
    pub(crate) fn describe(&self) -> &'static str {
        match self.kind {
            None => "undecided",
            Some(Kind::Relative { scale: 1.0 }) => "seconds from the start",
            Some(Kind::Relative { .. }) => "milliseconds from the start",
            Some(Kind::Epoch { scale }) => epoch_unit_name(scale),
            Some(Kind::Text) => "timestamps",
        }
    }

    /// A note about the times as a whole, once parsed: relative times that start so late
    /// ([`EPOCH_LIKE_SECONDS`]) they must be epoch times read as seconds from the start.
    pub(crate) fn warning(&self) -> Option<String> {
        let first = self.first_relative?;
        if first < EPOCH_LIKE_SECONDS {
            return None;
        }
        let (what, fmt) = match self.kind {
            Some(Kind::Relative { scale: 1.0 }) => ("Unix epoch seconds", "epoch_seconds"),
            _ => ("Unix epoch milliseconds", "epoch_millis"),
        };
        Some(format!(
            "the first time is {} from the start (that many days without load come first): \
             these look like {what}, not {}; `time_format: {fmt}` (`--time-format {fmt}`) \
             reads them as instants",
            super::stats::dur(first),
            self.describe()
        ))
    }

    /// Parse one cell into seconds: from the start for relative times, from the first absolute
    /// time seen for absolute ones. The error is a message without location.
    pub(crate) fn parse(&mut self, cell: &str) -> Result<f64, String> {
        let t = self.parse_cell(cell)?;
        if self.parsed == 0 && matches!(self.kind, Some(Kind::Relative { .. })) {
            self.first_relative = Some(t);
        }
        self.parsed += 1;
        Ok(t)
    }

    fn parse_cell(&mut self, cell: &str) -> Result<f64, String> {
        let kind = match self.kind {
            Some(k) => k,
            None => {
                let k = self.decide(cell)?;
                self.kind = Some(k);
                k
            }
        };
        match kind {
            Kind::Relative { scale } => {
                let v = number(cell).ok_or_else(|| self.mismatch(cell))?;
                if !v.is_finite() {
                    return Err(format!(
                        "time {cell:?} is not a finite number",
                        cell = crate::error::shorten(cell)
                    ));
                }
                Ok(v * scale)
            }
            Kind::Epoch { scale } => {
                let v = number(cell).ok_or_else(|| self.mismatch(cell))?;
                if !v.is_finite() {
                    return Err(format!(
                        "time {cell:?} is not a finite number",
                        cell = crate::error::shorten(cell)
                    ));
                }
                if self.origin.is_none() {
                    self.epoch_origin = v;
                    let secs = v * scale;
                    let whole = secs.floor();
                    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
                    let dt = (whole.abs() < 1e15)
                        .then(|| Utc.timestamp_opt(whole as i64, nanos).single())
                        .flatten()
                        .filter(|d| PLAUSIBLE_YEARS.contains(&chrono::Datelike::year(d)));
                    let dt = dt.ok_or_else(|| implausible_epoch(cell, v, scale))?;
                    self.origin = Some(dt.fixed_offset());
                }
                Ok((v - self.epoch_origin) * scale)
            }
            Kind::Text => {
                if number(cell).is_some() {
                    return Err(self.mismatch(cell));
                }
                let (dt, naive) = parse_text(cell)?;
                self.naive_seen |= naive;
                let o = *self.origin.get_or_insert(dt);
                let ns = (dt - o).num_nanoseconds().ok_or_else(|| {
                    format!(
                        "time {cell:?} is too far from the first row",
                        cell = crate::error::shorten(cell)
                    )
                })?;
                Ok(ns as f64 / 1e9)
            }
        }
    }

    fn mismatch(&self, cell: &str) -> String {
        if self.parsed == 0 {
            // Only a forced format can reject the first cell.
            let name = self.forced.name();
            let what = match self.kind {
                Some(Kind::Text) => "an RFC 3339 timestamp such as 2026-03-02T08:00:00Z",
                Some(Kind::Relative { scale: 1.0 }) => "a number of seconds from the start",
                Some(Kind::Relative { .. }) => "a number of milliseconds from the start",
                _ => "a number (a Unix epoch time)",
            };
            return format!(
                "time {cell:?} is not {what}, as `time_format: {name}` (`--time-format {name}`) says",
                cell = crate::error::shorten(cell)
            );
        }
        format!(
            "time {cell:?} is not written like the rows before it (they are {})",
            self.describe(),
            cell = crate::error::shorten(cell)
        )
    }

    fn decide(&self, cell: &str) -> Result<Kind, String> {
        let ms = |hint: bool| if hint { 0.001 } else { 1.0 };
        match self.forced {
            TimeFormat::Seconds => Ok(Kind::Relative { scale: 1.0 }),
            TimeFormat::Millis => Ok(Kind::Relative { scale: 0.001 }),
            TimeFormat::EpochSeconds => Ok(Kind::Epoch { scale: 1.0 }),
            TimeFormat::EpochMillis => Ok(Kind::Epoch { scale: 1e-3 }),
            TimeFormat::EpochMicros => Ok(Kind::Epoch { scale: 1e-6 }),
            TimeFormat::EpochNanos => Ok(Kind::Epoch { scale: 1e-9 }),
            TimeFormat::Rfc3339 => Ok(Kind::Text),
            TimeFormat::Auto => match number(cell) {
                Some(v) if v.abs() >= 1e17 => Ok(Kind::Epoch { scale: 1e-9 }),
                Some(v) if v.abs() >= 1e14 => Ok(Kind::Epoch { scale: 1e-6 }),
                Some(v) if v.abs() >= 1e11 => Ok(Kind::Epoch { scale: 1e-3 }),
                Some(v) if v.abs() >= 1e8 && !self.millis_hint => Ok(Kind::Epoch { scale: 1.0 }),
                Some(_) => Ok(Kind::Relative {
                    scale: ms(self.millis_hint),
                }),
                None => {
                    // Only call it text if it reads as a time; otherwise say what was expected.
                    parse_text(cell)?;
                    Ok(Kind::Text)
                }
            },
        }
    }
}

fn epoch_unit_name(scale: f64) -> &'static str {
    if scale == 1.0 {
        "Unix epoch seconds"
    } else if scale == 1e-3 {
        "Unix epoch milliseconds"
    } else if scale == 1e-6 {
        "Unix epoch microseconds"
    } else {
        "Unix epoch nanoseconds"
    }
}

/// The error for an epoch time outside [`PLAUSIBLE_YEARS`] in the unit chosen, naming the unit
/// that fits when one does.
fn implausible_epoch(cell: &str, v: f64, scale: f64) -> String {
    let year = |s: f64| 1970.0 + v * s / (365.2425 * 86_400.0);
    let unit = epoch_unit_name(scale).trim_start_matches("Unix epoch ");
    let fits = EPOCH_UNITS.iter().find(|(_, s)| {
        let y = year(*s);
        y >= *PLAUSIBLE_YEARS.start() as f64 && y < (*PLAUSIBLE_YEARS.end() + 1) as f64
    });
    let hint = match fits {
        Some((f, s)) => format!(
            "; read as {} it is the year {:.0}: set `time_format: {}` (`--time-format {}`)",
            epoch_unit_name(*s).trim_start_matches("Unix epoch "),
            year(*s).floor(),
            f.name(),
            f.name()
        ),
        None => String::new(),
    };
    format!(
        "time {cell:?} read as Unix epoch {unit} is the year {:.0}, not a plausible time (expected {}–{}){hint}",
        year(scale).floor(),
        PLAUSIBLE_YEARS.start(),
        PLAUSIBLE_YEARS.end(),
        cell = crate::error::shorten(cell)
    )
}

fn parse_text(cell: &str) -> Result<(DateTime<FixedOffset>, bool), String> {
    parse_instant(cell).ok_or_else(|| {
        format!(
            "{cell:?} is not a time (expected seconds from the start, a Unix epoch time in s, ms, µs or ns, or an RFC 3339 timestamp such as 2026-03-02T08:00:00Z)", cell = crate::error::shorten(cell))
    })
}

/// A plain decimal number (no `inf`/`nan` words: those are not times).
fn number(cell: &str) -> Option<f64> {
    let b = cell.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    cell.parse().ok()
}

/// An absolute instant: RFC 3339 (`T` or space separator), a naive date-time read as UTC
/// (second value `true`), or an access-log stamp `01/Jul/1995:00:00:01 -0400`.
pub(crate) fn parse_instant(cell: &str) -> Option<(DateTime<FixedOffset>, bool)> {
    let c = cell.trim().trim_start_matches('[').trim_end_matches(']');
    if let Ok(dt) = DateTime::parse_from_rfc3339(c) {
        return Some((dt, false));
    }
    if let Ok(dt) = DateTime::parse_from_str(c, "%d/%b/%Y:%H:%M:%S %z") {
        return Some((dt, false));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(c, f) {
            return Some((Utc.from_utc_datetime(&n).fixed_offset(), true));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(fmt: TimeFormat, hint: bool, cells: &[&str]) -> (Vec<f64>, TimeParser) {
        let mut p = TimeParser::new(fmt, hint);
        let v = cells.iter().map(|c| p.parse(c).unwrap()).collect();
        (v, p)
    }

    #[test]
    fn auto_detects_by_magnitude() {
        let (v, p) = all(TimeFormat::Auto, false, &["0", "60", "120.5"]);
        assert_eq!(v, vec![0.0, 60.0, 120.5]);
        assert!(!p.is_absolute());
        let (v, p) = all(TimeFormat::Auto, false, &["1700000000", "1700000060"]);
        assert_eq!(v, vec![0.0, 60.0]);
        assert_eq!(
            p.origin().unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        let (v, p) = all(TimeFormat::Auto, false, &["1700000000000", "1700000000250"]);
        assert_eq!(v, vec![0.0, 0.25]);
        assert!(p.is_absolute());
        let (v, _) = all(TimeFormat::Auto, true, &["0", "1500"]);
        assert_eq!(v, vec![0.0, 1.5]);
        let (v, _) = all(TimeFormat::Millis, false, &["0", "1500"]);
        assert_eq!(v, vec![0.0, 1.5]);
    }

    #[test]
    fn epoch_micro_and_nanoseconds() {
        let (v, p) = all(
            TimeFormat::Auto,
            false,
            &["1700000000000000", "1700000000250000"],
        );
        assert_eq!(v, vec![0.0, 0.25]);
        assert_eq!(
            p.origin().unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        assert_eq!(p.describe(), "Unix epoch microseconds");
        let (v, p) = all(
            TimeFormat::Auto,
            false,
            &["1700000000000000000", "1700000001500000000"],
        );
        assert_eq!(v, vec![0.0, 1.5]);
        assert_eq!(
            p.origin().unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        let (v, _) = all(
            TimeFormat::EpochMicros,
            false,
            &["1700000000000000", "1700000060000000"],
        );
        assert_eq!(v, vec![0.0, 60.0]);
        assert_eq!("epoch_ns".parse::<TimeFormat>(), Ok(TimeFormat::EpochNanos));
    }

    /// A forced unit that puts the first time in an implausible year is an error naming the
    /// year and the unit that fits.
    #[test]
    fn implausible_epoch_years_are_errors() {
        let mut p = TimeParser::new(TimeFormat::EpochMillis, false);
        let e = p.parse("1700000000000000").unwrap_err();
        assert!(e.contains("year 55840"), "{e}");
        assert!(e.contains("`time_format: epoch_micros`"), "{e}");
        assert!(e.contains("year 2023"), "{e}");
        let mut p = TimeParser::new(TimeFormat::EpochSeconds, false);
        let e = p.parse("1700000000000").unwrap_err();
        assert!(e.contains("epoch_millis"), "{e}");
        let mut p = TimeParser::new(TimeFormat::EpochSeconds, false);
        let e = p.parse("-9000000000").unwrap_err();
        assert!(e.contains("year 1684") && e.contains("epoch_millis"), "{e}");
        let mut p = TimeParser::new(TimeFormat::EpochSeconds, false);
        assert!(
            p.parse("1e300")
                .unwrap_err()
                .contains("not a plausible time")
        );
    }

    #[test]
    fn epoch_like_relative_times_warn() {
        let (_, p) = all(TimeFormat::Seconds, false, &["1700000000", "1700000060"]);
        let w = p.warning().unwrap();
        assert!(w.contains("19675d") && w.contains("epoch_seconds"), "{w}");
        let (_, p) = all(TimeFormat::Millis, false, &["1700000000000"]);
        assert!(p.warning().unwrap().contains("epoch_millis"));
        let (_, p) = all(TimeFormat::Seconds, false, &["0", "1700000000"]);
        assert_eq!(p.warning(), None, "only the start matters");
        let (_, p) = all(TimeFormat::Auto, false, &["1700000000"]);
        assert_eq!(p.warning(), None);
    }

    #[test]
    fn text_times() {
        let (v, p) = all(
            TimeFormat::Auto,
            false,
            &["2026-03-02T08:00:00+09:00", "2026-03-02T08:00:30.5+09:00"],
        );
        assert_eq!(v, vec![0.0, 30.5]);
        assert_eq!(
            p.origin().unwrap().to_rfc3339(),
            "2026-03-02T08:00:00+09:00"
        );
        assert!(!p.naive_seen);
        let (v, p) = all(
            TimeFormat::Auto,
            false,
            &["2024-01-01 00:00:00", "2024-01-01 00:01:00"],
        );
        assert_eq!(v, vec![0.0, 60.0]);
        assert!(p.naive_seen);
        let (v, p) = all(
            TimeFormat::Auto,
            false,
            &[
                "[01/Jul/1995:00:00:01 -0400]",
                "[01/Jul/1995:00:00:09 -0400]",
            ],
        );
        assert_eq!(v, vec![0.0, 8.0]);
        assert_eq!(
            p.origin().unwrap().to_rfc3339(),
            "1995-07-01T00:00:01-04:00"
        );
    }

    #[test]
    fn mixed_and_bad_cells_are_errors() {
        let mut p = TimeParser::new(TimeFormat::Auto, false);
        p.parse("0").unwrap();
        assert!(
            p.parse("2026-03-02T08:00:00Z")
                .unwrap_err()
                .contains("not written like")
        );
        let mut p = TimeParser::new(TimeFormat::Auto, false);
        assert!(p.parse("soon").unwrap_err().contains("not a time"));
        let mut p = TimeParser::new(TimeFormat::Rfc3339, false);
        let e = p.parse("12").unwrap_err();
        assert!(
            e.contains("not an RFC 3339 timestamp") && e.contains("--time-format rfc3339"),
            "{e}"
        );
        let mut p = TimeParser::new(TimeFormat::Seconds, false);
        let e = p.parse("2024-01-01T00:00:00Z").unwrap_err();
        assert!(e.contains("not a number of seconds"), "{e}");
        let mut p = TimeParser::new(TimeFormat::Rfc3339, false);
        p.parse("2024-01-01T00:00:00Z").unwrap();
        assert!(p.parse("12").unwrap_err().contains("rows before it"));
        assert_eq!(
            "epoch_ms".parse::<TimeFormat>().unwrap(),
            TimeFormat::EpochMillis
        );
        assert!("weird".parse::<TimeFormat>().is_err());
    }
}
