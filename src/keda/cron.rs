//! Cron schedules exactly as KEDA's cron scaler evaluates them: the robfig/cron v3.0.1 standard
//! parser (5 fields, names, `*`, `?`, ranges, steps, lists, optional `TZ=`/`CRON_TZ=` prefix, no
//! `@descriptors`) and its `Next` search, run on the IANA zone of the trigger's `timezone`.
//!
//! Why not the `croner` crate: KEDA's semantics differ from croner's on exactly the cases a
//! simulation cares about. robfig walks wall-clock fields with Go's `time.Date` normalisation:
//! a firing inside a spring-forward gap is skipped for that day (croner fires at the end of the
//! gap), a firing inside a fall-back overlap fires twice (croner once), and `*/n` in a day field
//! clears the "star" bit so day-of-month and day-of-week are OR-ed. This module reproduces those
//! rules; croner is kept as a test-only cross-check on ordinary (non-DST) cases.
//!
//! Times are Unix seconds (the simulated clock); nothing here reads the wall clock.
//!
//! The rules, in the project's words: docs/keda.md#cron.

use chrono::{Datelike, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

const STAR_BIT: u64 = 1 << 63;

/// A parsed 5-field schedule (seconds fixed at 0), with an optional zone override.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    /// From a `TZ=`/`CRON_TZ=` prefix; otherwise the caller's zone applies.
    pub(crate) zone: Option<Tz>,
}

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// Load a zone the way Go's `time.LoadLocation` does for KEDA: `""` and `"UTC"` are UTC;
/// `"Local"` is the operator's local zone (UTC in a typical KEDA pod, assumed here).
pub(crate) fn load_zone(name: &str) -> Result<Tz, String> {
    match name {
        "" | "UTC" | "Local" => Ok(Tz::UTC),
        _ => name
            .parse::<Tz>()
            .map_err(|_| format!("unknown time zone {name}")),
    }
}

impl Schedule {
    /// Parse like `cron.NewParser(Minute|Hour|Dom|Month|Dow).Parse`.
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        if spec.is_empty() {
            return Err("empty spec string".into());
        }
        let mut spec = spec;
        let mut zone = None;
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            let eq = spec.find('=').unwrap_or(0);
            // Go slices spec[eq+1:i] with i = index of the first space (-1 ⇒ panic, an error here).
            let Some(space) = spec.find(' ') else {
                return Err(format!(
                    "provided bad location {}: missing schedule after the zone",
                    &spec[eq + 1..]
                ));
            };
            let name = &spec[eq + 1..space];
            zone = Some(load_zone(name).map_err(|e| format!("provided bad location {name}: {e}"))?);
            spec = spec[space..].trim();
        }
        if spec.starts_with('@') {
            return Err(format!("parser does not accept descriptors: {spec}"));
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            ));
        }
        Ok(Schedule {
            minute: get_field(fields[0], &MINUTES)?,
            hour: get_field(fields[1], &HOURS)?,
            dom: get_field(fields[2], &DOM)?,
            month: get_field(fields[3], &MONTHS)?,
            dow: get_field(fields[4], &DOW)?,
            zone,
        })
    }

    fn day_matches(&self, day: u32, weekday: u32) -> bool {
        let dom_match = self.dom & (1 << day) != 0;
        let dow_match = self.dow & (1 << weekday) != 0;
        if self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    }

    /// robfig `SpecSchedule.Next`: the first firing strictly after `now` (Unix seconds, may be
    /// fractional), evaluated in `zone` (or the schedule's own `TZ=` zone). `None` is Go's zero
    /// time: no firing within five years.
    pub(crate) fn next(&self, now: f64, zone: Tz) -> Option<i64> {
        let loc = self.zone.unwrap_or(zone);
        // Start at the upcoming whole second.
        let mut t = now.floor() as i64 + 1;
        let mut added = false;
        let year_limit = fields(t, loc).year + 5;
        let mut budget = 2_000_000u32;
        'wrap: loop {
            budget = budget.checked_sub(1)?;
            let f = fields(t, loc);
            if f.year > year_limit {
                return None;
            }
            while self.month & (1 << fields(t, loc).month) == 0 {
                budget = budget.checked_sub(1)?;
                if !added {
                    added = true;
                    let f = fields(t, loc);
                    t = go_date(f.year, f.month as i64, 1, 0, 0, 0, loc)?;
                }
                t = add_date(t, 0, 1, 0, loc)?;
                if fields(t, loc).month == 1 {
                    continue 'wrap;
                }
            }
            loop {
                let f = fields(t, loc);
                if self.day_matches(f.day, f.weekday) {
                    break;
                }
                budget = budget.checked_sub(1)?;
                if !added {
                    added = true;
                    t = go_date(f.year, f.month as i64, f.day as i64, 0, 0, 0, loc)?;
                }
                t = add_date(t, 0, 0, 1, loc)?;
                // A zone where midnight does not exist: move back onto the intended day.
                let h = fields(t, loc).hour as i64;
                if h != 0 {
                    if h > 12 {
                        t += (24 - h) * 3600;
                    } else {
                        t -= h * 3600;
                    }
                }
                if fields(t, loc).day == 1 {
                    continue 'wrap;
                }
            }
            while self.hour & (1 << fields(t, loc).hour) == 0 {
                budget = budget.checked_sub(1)?;
                if !added {
                    added = true;
                    let f = fields(t, loc);
                    t = go_date(
                        f.year,
                        f.month as i64,
                        f.day as i64,
                        f.hour as i64,
                        0,
                        0,
                        loc,
                    )?;
                }
                t += 3600;
                if fields(t, loc).hour == 0 {
                    continue 'wrap;
                }
            }
            while self.minute & (1 << fields(t, loc).minute) == 0 {
                budget = budget.checked_sub(1)?;
                if !added {
                    added = true;
                    t -= t.rem_euclid(60);
                }
                t += 60;
                if fields(t, loc).minute == 0 {
                    continue 'wrap;
                }
            }
            // Seconds: the standard parser fixes the second field at 0.
            while fields(t, loc).second != 0 {
                budget = budget.checked_sub(1)?;
                if !added {
                    added = true;
                }
                t += 1;
                if fields(t, loc).second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t);
        }
    }
}

fn get_field(field: &str, b: &Bounds) -> Result<u64, String> {
    let mut bits = 0u64;
    for expr in field.split(',').filter(|s| !s.is_empty()) {
        bits |= get_range(expr, b)?;
    }
    Ok(bits)
}

fn get_range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end, mut extra);
    if low_high[0] == "*" || low_high[0] == "?" {
        start = b.min;
        end = b.max;
        extra = STAR_BIT;
    } else {
        start = int_or_name(low_high[0], b)?;
        end = match low_high.len() {
            1 => start,
            2 => int_or_name(low_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    let mut i = start;
    while i <= end {
        bits |= 1 << i;
        match i.checked_add(step) {
            Some(n) => i = n,
            None => break,
        }
    }
    Ok(bits | extra)
}

fn int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    must_parse_int(expr)
}

/// `strconv.Atoi` then non-negative.
fn must_parse_int(expr: &str) -> Result<u32, String> {
    let n = super::go::parse_int(expr, 64)
        .map_err(|e| format!("failed to parse int from {expr}: {e}"))?;
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    // Larger values fail the bounds check later; keep them large.
    Ok(n.min(u32::MAX as i64) as u32)
}

/// Wall-clock fields of an instant in a zone.
#[derive(Debug, Clone, Copy)]
struct Fields {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: u32,
}

fn fields(t: i64, tz: Tz) -> Fields {
    let Some(dt) = tz.timestamp_opt(t, 0).single() else {
        // Outside chrono's range: a year far past any search limit ends the search.
        return Fields {
            year: i32::MAX,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            weekday: 0,
        };
    };
    Fields {
        year: dt.year(),
        month: dt.month(),
        day: dt.day(),
        hour: dt.hour(),
        minute: dt.minute(),
        second: dt.second(),
        weekday: dt.weekday().num_days_from_sunday(),
    }
}

/// The zone's UTC offset (seconds) at an instant.
fn offset_at(t: i64, tz: Tz) -> i64 {
    let utc = chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default();
    tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64
}

/// Go's `time.Date(y, m, d, h, mi, s, 0, loc)`: out-of-range fields normalise (month 13 is
/// January next year, day 32 rolls over), and a wall time that does not exist or exists twice
/// is resolved the way Go does (offset of the zone period containing the wall time read as UTC,
/// corrected once).
fn go_date(
    year: i32,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    tz: Tz,
) -> Option<i64> {
    let m0 = month - 1;
    let y = year as i64 + m0.div_euclid(12);
    let m = m0.rem_euclid(12) + 1;
    let first = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m as u32, 1)?;
    let date = first.checked_add_signed(chrono::Duration::days(day - 1))?;
    let wall =
        date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + hour * 3600 + minute * 60 + second;
    let off1 = offset_at(wall, tz);
    let utc = wall - off1;
    let off2 = offset_at(utc, tz);
    Some(if off2 == off1 { utc } else { wall - off2 })
}

/// Go's `t.AddDate(y, m, d)`: re-normalises the wall-clock fields.
fn add_date(t: i64, years: i32, months: i64, days: i64, tz: Tz) -> Option<i64> {
    let f = fields(t, tz);
    go_date(
        f.year + years,
        f.month as i64 + months,
        f.day as i64 + days,
        f.hour as i64,
        f.minute as i64,
        f.second as i64,
        tz,
    )
}

/// Render an instant as RFC 3339 in a zone (`2024-01-02T06:00:00+05:30`).
pub(crate) fn format_local(t: i64, tz: Tz) -> String {
    match tz.timestamp_opt(t, 0).single() {
        Some(dt) => dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> f64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp() as f64
    }

    fn next_local(spec: &str, zone: &str, from: &str) -> String {
        let tz = load_zone(zone).unwrap();
        let n = Schedule::parse(spec).unwrap().next(at(from), tz).unwrap();
        format_local(n, tz)
    }

    #[test]
    fn parses_like_robfig() {
        assert!(Schedule::parse("0 0 * * Thu").is_ok());
        assert!(
            Schedule::parse("0 0 * * 7").is_err(),
            "dow 7 is out of range in robfig"
        );
        assert!(Schedule::parse("@hourly").is_err());
        assert!(Schedule::parse("0 0 * *").is_err());
        assert!(
            Schedule::parse("0 0 0 * * *").is_err(),
            "six fields are rejected"
        );
        assert!(Schedule::parse("*/0 * * * *").is_err());
        assert!(
            Schedule::parse("0/4294967295 * * * *").is_ok(),
            "a huge step must not overflow"
        );
        assert!(
            Schedule::parse("TZ=Europe/Paris 0 6 * * *")
                .unwrap()
                .zone
                .is_some()
        );
        assert!(Schedule::parse("TZ=Nowhere/X 0 6 * * *").is_err());
        assert!(Schedule::parse("0 0 ? * MON-fri").is_ok());
    }

    #[test]
    fn next_basic() {
        assert_eq!(
            next_local("0 6 * * *", "Asia/Kolkata", "2024-01-01T14:30:00Z"),
            "2024-01-02T06:00:00+05:30"
        );
        assert_eq!(
            next_local("59 23 * * Thu", "Etc/UTC", "2024-01-04T23:59:30Z"),
            "2024-01-11T23:59:00+00:00"
        );
        // Exactly at a firing: the next one is strictly later.
        assert_eq!(
            next_local("0 20 * * *", "Asia/Kolkata", "2024-01-01T14:30:00Z"),
            "2024-01-02T20:00:00+05:30"
        );
    }

    #[test]
    fn spring_forward_gap_is_skipped() {
        // 02:30 does not exist in New York on 2024-03-10: robfig skips to the next day.
        assert_eq!(
            next_local("30 2 * * *", "America/New_York", "2024-03-10T05:00:00Z"),
            "2024-03-11T02:30:00-04:00"
        );
    }

    #[test]
    fn fall_back_overlap_fires_twice() {
        let first = next_local("0 1 * * *", "America/New_York", "2024-11-03T04:00:00Z");
        assert_eq!(first, "2024-11-03T01:00:00-04:00");
        let second = next_local("0 1 * * *", "America/New_York", "2024-11-03T05:00:00Z");
        assert_eq!(second, "2024-11-03T01:00:00-05:00");
        let third = next_local("0 1 * * *", "America/New_York", "2024-11-03T06:00:00Z");
        assert_eq!(third, "2024-11-04T01:00:00-05:00");
    }

    #[test]
    fn east_of_utc_dst() {
        // Paris, 2024-03-31: 02:00 → 03:00. A 02:30 firing is skipped that day.
        assert_eq!(
            next_local("30 2 * * *", "Europe/Paris", "2024-03-30T23:00:00Z"),
            "2024-04-01T02:30:00+02:00"
        );
        // Paris, 2024-10-27: 03:00 → 02:00. 02:30 happens twice.
        assert_eq!(
            next_local("30 2 * * *", "Europe/Paris", "2024-10-26T23:00:00Z"),
            "2024-10-27T02:30:00+02:00"
        );
        assert_eq!(
            next_local("30 2 * * *", "Europe/Paris", "2024-10-27T00:31:00Z"),
            "2024-10-27T02:30:00+01:00"
        );
    }

    #[test]
    fn dom_dow_or_rule() {
        // Both restricted: OR. 2024-01-13 is a Saturday; the 15th is a Monday.
        assert_eq!(
            next_local("0 0 15 * 6", "UTC", "2024-01-10T00:00:00Z"),
            "2024-01-13T00:00:00+00:00"
        );
        // dom `*` keeps the star bit: AND (only Saturdays).
        assert_eq!(
            next_local("0 0 * * 6", "UTC", "2024-01-14T00:00:00Z"),
            "2024-01-20T00:00:00+00:00"
        );
        // `*/2` in dom clears the star bit: OR with dow (Mondays or odd days).
        assert_eq!(
            next_local("0 0 */2 * 1", "UTC", "2024-01-01T12:00:00Z"),
            "2024-01-03T00:00:00+00:00"
        );
    }

    #[test]
    fn impossible_date_is_zero_time() {
        let s = Schedule::parse("0 0 30 2 *").unwrap();
        assert_eq!(s.next(at("2024-01-01T00:00:00Z"), Tz::UTC), None);
    }

    #[test]
    fn agrees_with_croner_on_ordinary_cases() {
        use chrono::TimeZone as _;
        let specs = [
            "0 6 * * *",
            "*/15 9-17 * * 1-5",
            "5,35 */3 * * *",
            "0 0 1 * *",
            "30 12 * jan,jul sun",
        ];
        let tz: Tz = "Asia/Tokyo".parse().unwrap(); // no DST
        for spec in specs {
            let ours = Schedule::parse(spec).unwrap();
            let theirs = croner::parser::CronParser::new().parse(spec).unwrap();
            let mut t = at("2024-02-27T10:17:03Z");
            for _ in 0..50 {
                let a = ours.next(t, tz).unwrap();
                let start = tz.timestamp_opt(t as i64, 0).unwrap();
                let b = theirs
                    .find_next_occurrence(&start, false)
                    .unwrap()
                    .timestamp();
                assert_eq!(a, b, "{spec} after {t}");
                t = a as f64;
            }
        }
    }
}
