//! CSV traces: a header naming a time column and a rate column (`time,rps` or
//! `timestamp_seconds,requests_per_second`, as in the shipped public traces), plus any further
//! numeric columns, kept by name for scalers and metrics to read.
//!
//! Times are seconds from the start, or RFC 3339 instants (which then set the trace's
//! `start_time`). Rows must be in strictly increasing time order; rates must be finite and not
//! negative. Every problem is reported with its line number.

use super::{Column, Trace};
use crate::error::InputError;
use chrono::{DateTime, FixedOffset};
use std::path::Path;

/// Accepted names for the time column (first match wins; compared case-insensitively).
pub const TIME_COLUMNS: &[&str] = &[
    "time",
    "timestamp_seconds",
    "timestamp",
    "t",
    "ts",
    "time_s",
    "seconds",
];
/// Accepted names for the rate column.
pub const RATE_COLUMNS: &[&str] = &[
    "rps",
    "requests_per_second",
    "rate",
    "arrival_rate",
    "value",
];

/// Read a CSV trace file.
pub fn read(path: &Path) -> Result<Trace, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::in_file(
            path,
            if e.kind() == std::io::ErrorKind::NotFound {
                "trace file not found".to_string()
            } else {
                format!("cannot read trace: {e}")
            },
        )
    })?;
    parse(path, &bytes)
}

/// Parse CSV bytes (named `path` in errors).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Trace, InputError> {
    if bytes.contains(&0) {
        return Err(InputError::in_file(
            path,
            "this is a binary file, not a CSV trace",
        ));
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(InputError::in_file(
            path,
            "not valid UTF-8 text, not a CSV trace",
        ));
    }
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(::csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| InputError::at_line(path, 1, format!("cannot read the CSV header: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Err(InputError::in_file(
            path,
            "empty trace: expected a header such as `time,rps`",
        ));
    }
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let time_col = find(TIME_COLUMNS).ok_or_else(|| {
        InputError::at_line(
            path,
            1,
            format!(
                "no time column in header {:?}: expected one of {}",
                headers.iter().collect::<Vec<_>>().join(","),
                TIME_COLUMNS.join(", ")
            ),
        )
    })?;
    let rate_col = find(RATE_COLUMNS).ok_or_else(|| {
        InputError::at_line(
            path,
            1,
            format!(
                "no rate column in header {:?}: expected one of {}",
                headers.iter().collect::<Vec<_>>().join(","),
                RATE_COLUMNS.join(", ")
            ),
        )
    })?;
    let extra: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != time_col && *i != rate_col)
        .map(|(i, h)| (i, h.to_string()))
        .collect();

    let mut times: Vec<f64> = Vec::new();
    let mut rates: Vec<f64> = Vec::new();
    let mut extra_values: Vec<Vec<f64>> = vec![Vec::new(); extra.len()];
    let mut absolute: Option<bool> = None;
    let mut origin: Option<DateTime<FixedOffset>> = None;
    let mut record = ::csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            InputError::at_line(path, line.max(1), format!("malformed CSV row: {e}"))
        })?;
        if !more {
            break;
        }
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or("");
        let tstr = field(time_col);
        let t = if let Ok(v) = tstr.parse::<f64>() {
            if absolute == Some(true) {
                return Err(InputError::at_line(
                    path,
                    line,
                    format!("time {tstr:?} is a number but earlier rows use RFC 3339 timestamps"),
                ));
            }
            absolute = Some(false);
            if !v.is_finite() {
                return Err(InputError::at_line(
                    path,
                    line,
                    format!("time {tstr:?} is not a finite number"),
                ));
            }
            v
        } else if let Ok(dt) = DateTime::parse_from_rfc3339(tstr) {
            if absolute == Some(false) {
                return Err(InputError::at_line(
                    path,
                    line,
                    format!("time {tstr:?} is a timestamp but earlier rows use seconds"),
                ));
            }
            absolute = Some(true);
            let o = *origin.get_or_insert(dt);
            (dt - o).num_milliseconds() as f64 / 1000.0
        } else {
            return Err(InputError::at_line(
                path,
                line,
                format!(
                    "column `{}`: {tstr:?} is not a time (expected seconds from the start or an RFC 3339 timestamp)",
                    headers.get(time_col).unwrap_or("time")
                ),
            ));
        };
        if let Some(&prev) = times.last() {
            if t == prev {
                return Err(InputError::at_line(
                    path,
                    line,
                    format!("duplicate time {tstr}: each row must have its own time"),
                ));
            }
            if t < prev {
                return Err(InputError::at_line(
                    path,
                    line,
                    format!(
                        "time {tstr} is out of order (earlier than the row before): rows must be sorted by time"
                    ),
                ));
            }
        }
        let rate = parse_value(
            path,
            line,
            headers.get(rate_col).unwrap_or("rps"),
            field(rate_col),
        )?;
        times.push(t);
        rates.push(rate);
        for (k, (i, name)) in extra.iter().enumerate() {
            let raw = field(*i);
            let v = if raw.is_empty() {
                f64::NAN
            } else {
                parse_number(path, line, name, raw)?
            };
            extra_values[k].push(v);
        }
    }
    if times.is_empty() {
        return Err(InputError::in_file(
            path,
            "empty trace: the header is there but no data rows follow",
        ));
    }
    // Rows before the first time carry no load.
    let first = times[0];
    if absolute != Some(true) && first > 0.0 {
        times.insert(0, 0.0);
        rates.insert(0, 0.0);
        for v in &mut extra_values {
            v.insert(0, f64::NAN);
        }
    } else if first < 0.0 {
        return Err(InputError::at_line(
            path,
            2,
            format!("time {first} is negative: times are seconds from the start of the trace"),
        ));
    }
    let n = times.len();
    let delta = if n >= 2 {
        times[n - 1] - times[n - 2]
    } else {
        1.0
    };
    let end = times[n - 1] + delta;
    let columns = extra
        .into_iter()
        .zip(extra_values)
        .filter(|(_, vals)| vals.iter().any(|v| !v.is_nan()))
        .map(|((_, name), mut values)| {
            // A blank cell holds the previous value (forward fill); leading blanks read as 0.
            let mut last = 0.0;
            for v in &mut values {
                if v.is_nan() {
                    *v = last;
                } else {
                    last = *v;
                }
            }
            Column { name, values }
        })
        .collect();
    Ok(Trace {
        times,
        rates,
        end,
        start_time: origin,
        columns,
        arrivals: None,
    })
}

fn parse_number(path: &Path, line: usize, column: &str, raw: &str) -> Result<f64, InputError> {
    let v: f64 = raw.parse().map_err(|_| {
        InputError::at_line(
            path,
            line,
            format!("column `{column}`: {raw:?} is not a number"),
        )
    })?;
    if v.is_nan() {
        return Err(InputError::at_line(
            path,
            line,
            format!("column `{column}`: NaN is not a usable value"),
        ));
    }
    if v.is_infinite() {
        return Err(InputError::at_line(
            path,
            line,
            format!("column `{column}`: {raw} is not finite"),
        ));
    }
    Ok(v)
}

fn parse_value(path: &Path, line: usize, column: &str, raw: &str) -> Result<f64, InputError> {
    let v = parse_number(path, line, column, raw)?;
    if v < 0.0 {
        return Err(InputError::at_line(
            path,
            line,
            format!("column `{column}`: {raw} is negative; a rate must be zero or more"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Trace, InputError> {
        parse(Path::new("t.csv"), s.as_bytes())
    }

    #[test]
    fn reads_both_headers_and_spans_one_more_interval() {
        let t = p("time,rps\n0,1\n10,2\n").unwrap();
        assert_eq!(t.end, 20.0);
        let t = p("timestamp_seconds,requests_per_second\n0,0.5\n60,0.7\n120,1\n").unwrap();
        assert_eq!(t.end, 180.0);
        assert_eq!(t.rates, vec![0.5, 0.7, 1.0]);
    }

    #[test]
    fn rfc3339_sets_start_time() {
        let t = p(
            "time,rps,queue_length\n2026-03-02T08:00:00+09:00,1,5\n2026-03-02T08:01:00+09:00,2,\n",
        )
        .unwrap();
        assert_eq!(t.times, vec![0.0, 60.0]);
        assert_eq!(
            t.start_time.unwrap().to_rfc3339(),
            "2026-03-02T08:00:00+09:00"
        );
        assert_eq!(t.columns[0].values, vec![5.0, 5.0]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = p("time,rps\n0,1\n5,abc\n").unwrap_err();
        assert_eq!(e.location.line, Some(3));
        assert!(e.message.contains("not a number"), "{e}");
        assert_eq!(
            p("time,rps\n0,1\n5,-1\n").unwrap_err().location.line,
            Some(3)
        );
        assert_eq!(
            p("time,rps\n0,1\n5,NaN\n").unwrap_err().location.line,
            Some(3)
        );
        assert!(
            p("time,rps\n10,1\n5,1\n")
                .unwrap_err()
                .message
                .contains("out of order")
        );
        assert!(
            p("time,rps\n10,1\n10,1\n")
                .unwrap_err()
                .message
                .contains("duplicate")
        );
        assert!(p("time,rps\n").unwrap_err().message.contains("empty"));
        assert!(p("").unwrap_err().message.contains("empty"));
        assert!(
            p("a,b\n1,2\n")
                .unwrap_err()
                .message
                .contains("no time column")
        );
        assert!(
            parse(Path::new("x"), b"\x00\x01\x02")
                .unwrap_err()
                .message
                .contains("binary")
        );
    }

    #[test]
    fn leading_gap_has_no_load() {
        let t = p("time,rps\n60,2\n120,2\n").unwrap();
        assert_eq!(t.times, vec![0.0, 60.0, 120.0]);
        assert_eq!(t.integral(0.0, 180.0), 240.0);
    }
}
