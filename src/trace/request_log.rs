//! Request logs: one request per line, its timestamp first. The trace keeps the exact arrival
//! instants ([`Trace::arrivals`](super::Trace::arrivals): the engine replays those) and a binned
//! rate for display and metrics (count per bin ÷ bin width).
//!
//! A line is a timestamp optionally followed by anything after a comma, tab or space
//! (`1700000000.123,GET /api`), or an access-log line with a `[01/Jul/1995:00:00:01 -0400]`
//! stamp (Apache/nginx common and combined formats). An optional header line names the columns;
//! the time column is then found by name (`arrival_seconds`, `time`, …: see
//! [`super::csv::TIME_COLUMNS`]), so the Azure `*_arrivals.csv` files load as they are. Times
//! follow [`super::timefmt`]. Blank lines and `#` comments are skipped.
//!
//! - Relative times: t = 0 is time 0; absolute times: t = 0 is the first arrival rounded down
//!   to a whole bin of Unix time, which is the trace's `start_time`.
//! - Bins: `bin:` when given, else 1 s for a log spanning up to 6 h and 60 s beyond.
//! - Equal timestamps are separate requests (not duplicates). Out-of-order lines are an error
//!   naming the line (lenient: sorted, with a warning); negative relative times too (lenient:
//!   dropped).

use super::csv::TIME_COLUMNS;
use super::read::{ReadOptions, check_text};
use super::timefmt::{self, TimeParser};
use super::{Loaded, Trace, Warning};
use crate::error::{InputError, Location};
use chrono::{TimeZone, Utc};
use std::path::Path;

/// Default bin for logs spanning up to this long: 1 s; longer: 60 s.
pub(crate) const FINE_BIN_MAX_SPAN: f64 = 6.0 * 3600.0;

/// Parse a request log (see the module docs).
pub(crate) fn parse(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Loaded, InputError> {
    let bytes = check_text(path, bytes)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| InputError::in_file(path, "not valid UTF-8"))?;
    if let Some(b) = opts.bin
        && !(b.is_finite() && b > 0.0)
    {
        return Err(InputError::new(
            Location::file(path).with_field("bin"),
            format!("bin {b} must be a positive duration"),
        ));
    }
    let mut warnings = Vec::new();
    let (mut times, lines, parser) = read_times(path, text, opts)?;
    if times.is_empty() {
        return Err(InputError::in_file(
            path,
            "empty request log: no timestamps",
        ));
    }
    if let Some(w) = parser.warning() {
        warnings.push(Warning::new(Location::file(path), w));
    }
    if parser.naive_seen {
        warnings.push(Warning::new(
            Location::file(path),
            "timestamps without a UTC offset were read as UTC",
        ));
    }
    order_and_sign(
        path,
        &mut times,
        &lines,
        parser.is_absolute(),
        opts,
        &mut warnings,
    )?;
    let bin = choose_bin(path, &times, opts)?;
    let start_time = match parser.origin() {
        Some(origin) => Some(rebase_to_bin(path, &mut times, bin, origin)?),
        None => None,
    };
    Ok(Loaded {
        trace: bin_arrivals(times, bin, start_time),
        warnings,
    })
}

/// How the lines of a log are laid out, decided on its first meaningful line.
struct Layout {
    /// The time column.
    col: usize,
    delim: Option<char>,
    access_log: bool,
}

/// Every timestamp (in the parser's frame, file order) with its line number, and the parser
/// that read them (its origin, format warning, whether times are absolute).
fn read_times(
    path: &Path,
    text: &str,
    opts: &ReadOptions,
) -> Result<(Vec<f64>, Vec<u32>, TimeParser), InputError> {
    let mut parser: Option<TimeParser> = None;
    let mut layout = Layout {
        col: 0,
        delim: None,
        access_log: false,
    };
    let mut times: Vec<f64> = Vec::new();
    let mut lines: Vec<u32> = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let line_no = idx + 1;
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if parser.is_none() {
            // First meaningful line: decide the layout, maybe skip a header.
            let (found, millis_hint) = detect_layout(path, l, line_no)?;
            let header = millis_hint.is_some();
            layout = found;
            parser = Some(TimeParser::new(
                opts.time_format,
                millis_hint.unwrap_or(false),
            ));
            if header {
                continue;
            }
        }
        let Some(p) = parser.as_mut() else { continue };
        let c = cell(l, layout.delim, layout.col, layout.access_log);
        let t = p
            .parse(c)
            .map_err(|m| InputError::at_line(path, line_no, m))?;
        times.push(t);
        lines.push(line_no.min(u32::MAX as usize) as u32);
    }
    let parser = parser.unwrap_or_else(|| TimeParser::new(opts.time_format, false));
    Ok((times, lines, parser))
}

/// The layout from the first meaningful line `l`, and, when `l` is a header, whether its time
/// column's name says milliseconds (`None`: `l` is already data).
fn detect_layout(
    path: &Path,
    l: &str,
    line_no: usize,
) -> Result<(Layout, Option<bool>), InputError> {
    let access_log = l.contains('[') && l.contains(']') && !l.starts_with('[');
    let delim = if access_log {
        None
    } else if l.contains(',') {
        Some(',')
    } else if l.contains('\t') {
        Some('\t')
    } else {
        None
    };
    let first = cell(l, delim, 0, access_log);
    let is_time = timefmt::parse_instant(first).is_some() || first.parse::<f64>().is_ok();
    if is_time {
        let layout = Layout {
            col: 0,
            delim,
            access_log,
        };
        return Ok((layout, None));
    }
    let fields: Vec<&str> = split(l, delim).collect();
    let (t, r) = super::csv::find_columns(fields.iter().copied());
    if let Some(r) = r {
        return Err(InputError::at_line(
            path,
            line_no,
            format!(
                "this file has a rate column `{}`: it is a rate trace (`format: csv`), not a request log",
                fields[r]
            ),
        ));
    }
    let col = t.ok_or_else(|| {
        InputError::at_line(
            path,
            line_no,
            format!(
                "{first:?} is neither a timestamp nor a header naming a time column (one of {}): a request log has one timestamp per line",
                TIME_COLUMNS.join(", "), first = crate::error::shorten(first)),
        )
    })?;
    let millis_hint = timefmt::name_says_millis(fields[col]);
    let layout = Layout {
        col,
        delim,
        access_log,
    };
    Ok((layout, Some(millis_hint)))
}

/// Order and sign: lines out of time order and negative relative times are errors naming the
/// first such line, or (lenient) sorted and dropped with a warning.
fn order_and_sign(
    path: &Path,
    times: &mut Vec<f64>,
    lines: &[u32],
    absolute: bool,
    opts: &ReadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(), InputError> {
    let mut unsorted = None;
    let mut negative = None;
    for i in 0..times.len() {
        if i > 0 && times[i] < times[i - 1] && unsorted.is_none() {
            unsorted = Some(i);
            if !opts.repair.lenient {
                return Err(InputError::at_line(
                    path,
                    lines[i] as usize,
                    "timestamp earlier than the line before: a request log must be in time order (`lenient: true`, or `--lenient`, sorts it)",
                ));
            }
        }
        if !absolute && times[i] < 0.0 && negative.is_none() {
            negative = Some(i);
            if !opts.repair.lenient {
                return Err(InputError::at_line(
                    path,
                    lines[i] as usize,
                    "negative time: relative times count seconds from the start",
                ));
            }
        }
    }
    if let Some(i) = unsorted {
        times.sort_by(f64::total_cmp);
        warnings.push(Warning::new(
            Location::file(path).with_line(lines[i] as usize, None),
            "lines out of time order: sorted",
        ));
    }
    if let Some(i) = negative {
        let before = times.len();
        times.retain(|&t| t >= 0.0);
        warnings.push(Warning::new(
            Location::file(path).with_line(lines[i] as usize, None),
            format!(
                "{} requests at negative times: dropped",
                before - times.len()
            ),
        ));
        if times.is_empty() {
            return Err(InputError::in_file(
                path,
                "no requests left after dropping negative times",
            ));
        }
    }
    Ok(())
}

/// The bin: `bin:` when given, else 1 s up to [`FINE_BIN_MAX_SPAN`] and 60 s beyond; too many
/// bins is an error.
fn choose_bin(path: &Path, times: &[f64], opts: &ReadOptions) -> Result<f64, InputError> {
    let first = times[0];
    let last = times[times.len() - 1];
    let bin = opts.bin.unwrap_or(if last - first <= FINE_BIN_MAX_SPAN {
        1.0
    } else {
        60.0
    });
    let bins = ((last - first) / bin).ceil() + 1.0;
    if bins > super::generate::MAX_ROWS as f64 {
        return Err(InputError::in_file(
            path,
            format!(
                "the log spans {}: more than {} bins of {}; set a wider `bin` (--bin)",
                crate::units::format_seconds(last - first),
                super::generate::MAX_ROWS,
                crate::units::format_seconds(bin)
            ),
        ));
    }
    Ok(bin)
}

/// Absolute times: t = 0 at the first arrival rounded down to a whole bin of Unix time, which
/// is returned as the start time.
fn rebase_to_bin(
    path: &Path,
    times: &mut [f64],
    bin: f64,
    origin: chrono::DateTime<chrono::FixedOffset>,
) -> Result<chrono::DateTime<chrono::FixedOffset>, InputError> {
    let first = times[0];
    let epoch_first =
        origin.timestamp() as f64 + origin.timestamp_subsec_nanos() as f64 / 1e9 + first;
    let base = (epoch_first / bin).floor() * bin;
    let shift = epoch_first - base;
    for t in times.iter_mut() {
        *t = *t - first + shift;
    }
    let whole = base.floor();
    let nanos = ((base - whole) * 1e9).round().min(999_999_999.0) as u32;
    let st = Utc
        .timestamp_opt(whole as i64, nanos)
        .single()
        .ok_or_else(|| InputError::in_file(path, "times out of range"))?;
    Ok(st.with_timezone(origin.offset()))
}

/// A trace of exact arrivals (sorted, ≥ 0) with their rate binned at `bin` seconds.
pub(crate) fn bin_arrivals(
    arrivals: Vec<f64>,
    bin: f64,
    start_time: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Trace {
    let last = arrivals.last().copied().unwrap_or(0.0).max(0.0);
    let n = (last / bin).floor() as usize + 1;
    let mut counts = vec![0u64; n];
    for &t in &arrivals {
        let k = ((t / bin).floor() as usize).min(n - 1);
        counts[k] += 1;
    }
    let rates = counts.into_iter().map(|c| c as f64 / bin).collect();
    let mut trace = Trace::uniform(bin, rates);
    trace.start_time = start_time;
    trace.arrivals = Some(arrivals);
    trace
}

fn split(l: &str, delim: Option<char>) -> Box<dyn Iterator<Item = &str> + '_> {
    match delim {
        Some(d) => Box::new(l.split(d).map(str::trim)),
        None => Box::new(l.split_whitespace()),
    }
}

fn cell(l: &str, delim: Option<char>, col: usize, access_log: bool) -> &str {
    if access_log
        && let (Some(a), Some(b)) = (l.find('['), l.find(']'))
        && a < b
    {
        return &l[a + 1..b];
    }
    split(l, delim).nth(col).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::rows::{GapFill, Repair};

    fn p(s: &str) -> Result<Loaded, InputError> {
        parse(Path::new("r.log"), s.as_bytes(), &ReadOptions::default())
    }

    #[test]
    fn relative_and_header() {
        let t = p("arrival_seconds,context_tokens,generated_tokens\n0.2,1,2\n0.7,1,2\n2.5,3,3\n")
            .unwrap()
            .trace;
        assert_eq!(t.arrivals.as_deref(), Some(&[0.2, 0.7, 2.5][..]));
        assert_eq!(t.rates, vec![2.0, 0.0, 1.0]);
        assert_eq!(t.end, 3.0);
        assert_eq!(t.integral(0.0, t.end), 3.0);
        assert!(t.start_time.is_none());
    }

    #[test]
    fn absolute_times_floor_to_bin() {
        let t = p("1700000000.5\n1700000000.5\n1700000001.25 GET /x\n")
            .unwrap()
            .trace;
        assert_eq!(
            t.start_time.unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        assert_eq!(t.arrivals.as_deref(), Some(&[0.5, 0.5, 1.25][..]));
        assert_eq!(t.rates, vec![2.0, 1.0]);
        let t = p("h - - [01/Jul/1995:00:00:01 -0400] \"GET / HTTP/1.0\" 200 1\nh - - [01/Jul/1995:00:00:09 -0400] \"GET /a\" 200 1\n")
            .unwrap()
            .trace;
        assert_eq!(
            t.start_time.unwrap().to_rfc3339(),
            "1995-07-01T00:00:01-04:00"
        );
        assert_eq!(t.arrivals.as_deref(), Some(&[0.0, 8.0][..]));
    }

    /// Bare-CR line ends (classic Mac OS) are lines too: every arrival is kept, and errors
    /// name the line.
    #[test]
    fn bare_cr_line_ends() {
        let t = p("0.5\r1\r2.5\r").unwrap().trace;
        assert_eq!(t.arrivals.as_deref(), Some(&[0.5, 1.0, 2.5][..]));
        let e =
            crate::trace::read::parse(Path::new("r.txt"), b"0\r1\rsoon\r", &ReadOptions::default())
                .unwrap_err();
        assert_eq!(e.location.line, Some(3), "{e}");
    }

    #[test]
    fn errors_and_lenient() {
        let e = p("5\n3\n").unwrap_err();
        assert_eq!(e.location.line, Some(2));
        let e = p("time,rps\n0,1\n").unwrap_err();
        assert!(e.message.contains("rate trace"), "{e}");
        let e = p("0\nsoon\n").unwrap_err();
        assert_eq!(e.location.line, Some(2));
        assert!(p("0\n1e12\n").unwrap_err().message.contains("wider `bin`"));
        let opts = ReadOptions {
            repair: Repair {
                lenient: true,
                gap_fill: GapFill::Hold,
            },
            ..Default::default()
        };
        let e = crate::trace::read::parse(
            Path::new("r.log"),
            b"1\n2\n",
            &ReadOptions {
                rate_unit: Some(crate::trace::RateUnit::Count),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.location.field.as_deref(), Some("rate_unit"));
        assert!(e.message.contains("request log"), "{e}");
        let l = parse(Path::new("r.log"), b"5\n3\n-1\n", &opts).unwrap();
        assert_eq!(l.trace.arrivals.as_deref(), Some(&[3.0, 5.0][..]));
        assert_eq!(l.warnings.len(), 2);
    }
}
