//! CSV traces: a header naming a time column and a rate column (`time,rps` or
//! `timestamp_seconds,requests_per_second`, as in the shipped public traces), plus any further
//! numeric columns (`queue_length`, `kafka_lag`, …), kept by name for scalers and metrics to read.
//!
//! Times are read by [`super::timefmt`] (seconds, milliseconds, Unix epoch, RFC 3339; detected
//! or forced); absolute times set the trace's `start_time`. Rows are validated (or leniently
//! repaired) by [`super::rows`]. A UTF-8 byte-order mark is skipped; the delimiter is `,`, or
//! tab / `;` when the header has no comma; lines starting with `#` are comments. A column whose
//! first value is text (a label, a URL) is ignored with a warning.
//!
//! Errors and warnings name the physical line of the file (LF, CRLF or bare-CR line ends, blank
//! and `#` comment lines counted), found from each record's byte offset by counting line ends
//! once through the file.
//!
//! The rate column is read as requests per second unless `rate_unit` says otherwise (see
//! [`super::rate_unit`]); a column named `requests` or `count` without an explicit `rate_unit`
//! gets a warning, since such exports are often per-bucket counts.
//!
//! The reader works on `csv::ByteRecord`s and parses numbers in place: a million rows take well
//! under a second (`cargo bench --bench trace_read`).
//!
//! [`write`] produces the same format (`time,rps[,column…]`), with full `f64` precision unless
//! asked to round, so generated traces round-trip exactly.

use super::read::ReadOptions;
use super::rows::{self, Pos, RawRows};
use super::timefmt::{self, TimeParser};
use super::{Column, Loaded, Trace, Warning};
use crate::error::{InputError, Location};
use chrono::SecondsFormat;
use std::io::{self, Write};
use std::path::Path;

/// Accepted names for the time column (compared case-insensitively).
pub(crate) const TIME_COLUMNS: &[&str] = &[
    "time",
    "timestamp_seconds",
    "timestamp",
    "t",
    "ts",
    "time_s",
    "seconds",
    "time_ms",
    "timestamp_ms",
    "date",
    "datetime",
    "arrival_seconds",
    "arrival_time",
    "arrival",
];
/// Accepted names for the rate column.
pub(crate) const RATE_COLUMNS: &[&str] = &[
    "rps",
    "requests_per_second",
    "rate",
    "arrival_rate",
    "value",
    "qps",
    "requests",
    "count",
];
/// Rate-column names that often hold per-bucket counts: read as req/s with a warning unless
/// `rate_unit` is given.
pub(crate) const COUNT_LIKE_COLUMNS: &[&str] = &["requests", "count"];

/// Position of the time and rate columns in a header, if present.
pub(crate) fn find_columns<'a>(
    headers: impl Iterator<Item = &'a str> + Clone,
) -> (Option<usize>, Option<usize>) {
    let find = |names: &[&str]| {
        let hs = headers.clone();
        names
            .iter()
            .find_map(|n| hs.clone().position(|h| h.trim().eq_ignore_ascii_case(n)))
    };
    (find(TIME_COLUMNS), find(RATE_COLUMNS))
}

/// Parse CSV bytes (named `path` in errors).
pub(crate) fn parse(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Loaded, InputError> {
    let bytes = super::read::check_text(path, bytes)?;
    let bytes: &[u8] = &bytes;
    let (header_line_no, delimiter) = sniff_header(bytes);
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(delimiter)
        .trim(::csv::Trim::All)
        .comment(Some(b'#'))
        .flexible(true)
        .from_reader(bytes);
    let mut header = read_header(path, &mut rdr, header_line_no)?;
    let mut parser = TimeParser::new(
        opts.time_format,
        timefmt::name_says_millis(&header.time_name),
    );
    let mut warnings: Vec<Warning> = Vec::new();
    let mut raw = read_rows(
        path,
        bytes,
        &mut rdr,
        &mut header,
        &mut parser,
        opts,
        &mut warnings,
    )?;
    if raw.times.is_empty() {
        return Err(InputError::in_file(
            path,
            "empty trace: the header is there but no data rows follow",
        ));
    }
    raw.columns = header
        .extra
        .into_iter()
        .filter(|c| c.numeric)
        .map(|c| Column {
            name: c.name,
            values: c.values,
        })
        .collect();
    if parser.naive_seen {
        warnings.push(Warning::new(
            Location::file(path),
            "timestamps without a UTC offset were read as UTC",
        ));
    }
    let rate_name = header.rate_name;
    let src = rows::Source {
        path,
        rate_name: &rate_name,
        origin: parser.origin(),
    };
    if let Some(w) = parser.warning() {
        warnings.push(Warning::new(Location::file(path), w));
    }
    let (mut trace, more) = rows::finish(&src, raw, opts.repair)?;
    warnings.extend(more);
    match opts.rate_unit {
        Some(unit) => unit.apply(&mut trace),
        None if COUNT_LIKE_COLUMNS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&rate_name)) =>
        {
            warnings.push(Warning::new(
                Location::file(path).with_line(header_line_no, None),
                format!(
                    "column `{rate_name}` was read as requests per second; if each row is a count of the requests in its bucket (e.g. requests per minute, one row a minute), set `rate_unit: count` (`--rate-unit count`), or per_minute / per_hour for rates per minute or hour; `rate_unit: per_second` keeps this reading and silences this warning", rate_name = crate::error::shorten(&rate_name)),
            ));
        }
        None => {}
    }
    Ok(Loaded { trace, warnings })
}

/// The header's line number (the first line neither blank nor a `#` comment) and the
/// delimiter it uses: `,`, else tab, else `;`.
fn sniff_header(bytes: &[u8]) -> (usize, u8) {
    let (header_idx, header_line) = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .find(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()) && l[0] != b'#')
        .unwrap_or((0, b""));
    let delimiter = if header_line.contains(&b',') {
        b','
    } else if header_line.contains(&b'\t') {
        b'\t'
    } else if header_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    (header_idx + 1, delimiter)
}

/// What the header says: where the time and rate columns are, and the further columns.
struct Header {
    time_col: usize,
    rate_col: usize,
    time_name: String,
    rate_name: String,
    extra: Vec<ExtraColumn>,
}

/// A further column, with the values read so far (NaN for a blank cell).
struct ExtraColumn {
    index: usize,
    name: String,
    /// False once its first value was text: the column is ignored.
    numeric: bool,
    values: Vec<f64>,
}

/// Read and check the header: present, not data, naming a time and a rate column.
fn read_header(
    path: &Path,
    rdr: &mut ::csv::Reader<&[u8]>,
    header_line_no: usize,
) -> Result<Header, InputError> {
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
    let first = headers.get(0).unwrap_or("");
    if first.parse::<f64>().is_ok() || timefmt::parse_instant(first).is_some() {
        return Err(InputError::at_line(
            path,
            header_line_no,
            format!(
                "the first line {first:?}… looks like data, not a header: add a header line such as `time,rps`",
                first = crate::error::shorten(first)
            ),
        ));
    }
    let joined = headers.iter().collect::<Vec<_>>().join(",");
    let (time_col, rate_col) = find_columns(headers.iter());
    let time_col = time_col.ok_or_else(|| {
        InputError::at_line(
            path,
            header_line_no,
            format!(
                "no time column in header {joined:?}: expected one of {}",
                TIME_COLUMNS.join(", "),
                joined = crate::error::shorten(&joined)
            ),
        )
    })?;
    let rate_col = rate_col.ok_or_else(|| {
        InputError::at_line(
            path,
            header_line_no,
            format!(
                "no rate column in header {joined:?}: expected one of {} (a file of timestamps alone is a request log: `format: requests`)",
                RATE_COLUMNS.join(", "), joined = crate::error::shorten(&joined)),
        )
    })?;
    let extra = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| *i != time_col && *i != rate_col && !h.is_empty())
        .map(|(index, h)| ExtraColumn {
            index,
            name: h.to_string(),
            numeric: true,
            values: Vec::new(),
        })
        .collect();
    Ok(Header {
        time_col,
        rate_col,
        time_name: headers.get(time_col).unwrap_or("time").to_string(),
        rate_name: headers.get(rate_col).unwrap_or("rps").to_string(),
        extra,
    })
}

/// Read every data row: its time and rate into the raw rows, further cells into `header.extra`.
fn read_rows(
    path: &Path,
    bytes: &[u8],
    rdr: &mut ::csv::Reader<&[u8]>,
    header: &mut Header,
    parser: &mut TimeParser,
    opts: &ReadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<RawRows, InputError> {
    let mut raw = RawRows::default();
    let mut record = ::csv::ByteRecord::new();
    let mut first_row = true;
    let mut lines = LineCounter::new(bytes);
    loop {
        let more = rdr.read_byte_record(&mut record).map_err(|e| {
            let line = e
                .position()
                .map(|p| lines.line_of_record(p.byte() as usize))
                .unwrap_or(1);
            InputError::at_line(path, line, format!("malformed CSV row: {e}"))
        })?;
        if !more {
            break;
        }
        let line = record
            .position()
            .map(|p| lines.line_of_record(p.byte() as usize))
            .unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |i: usize| {
            record
                .get(i)
                .and_then(|f| std::str::from_utf8(f).ok())
                .unwrap_or("")
        };
        let (t, rate) = time_and_rate(path, line, header, parser, field)?;
        raw.times.push(t);
        raw.rates.push(rate);
        raw.pos.push(Pos::line(line));
        for col in &mut header.extra {
            let v = extra_cell(path, line, col, field(col.index), first_row, opts, warnings)?;
            col.values.push(v);
        }
        first_row = false;
    }
    Ok(raw)
}

/// A row's time (required) and rate (NaN when blank).
fn time_and_rate<'r>(
    path: &Path,
    line: usize,
    header: &Header,
    parser: &mut TimeParser,
    field: impl Fn(usize) -> &'r str,
) -> Result<(f64, f64), InputError> {
    let time_name = &header.time_name;
    let tcell = field(header.time_col);
    if tcell.is_empty() {
        return Err(InputError::at_line(
            path,
            line,
            format!(
                "column `{time_name}` is empty: every row needs a time",
                time_name = crate::error::shorten(time_name)
            ),
        ));
    }
    let t = parser.parse(tcell).map_err(|m| {
        InputError::at_line(
            path,
            line,
            format!(
                "column `{time_name}`: {m}",
                time_name = crate::error::shorten(time_name)
            ),
        )
    })?;
    let rcell = field(header.rate_col);
    let rate = if rcell.is_empty() {
        f64::NAN
    } else {
        rcell.parse::<f64>().map_err(|_| {
            InputError::at_line(
                path,
                line,
                format!(
                    "column `{rate_name}`: {rcell:?} is not a number",
                    rcell = crate::error::shorten(rcell),
                    rate_name = crate::error::shorten(&header.rate_name)
                ),
            )
        })?
    };
    Ok((t, rate))
}

/// One cell of a further column: NaN when blank (or unusable, lenient); a column whose first
/// value is text is ignored with a warning; text later in a numeric column is an error.
fn extra_cell(
    path: &Path,
    line: usize,
    col: &mut ExtraColumn,
    cell: &str,
    first_row: bool,
    opts: &ReadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<f64, InputError> {
    if cell.is_empty() {
        return Ok(f64::NAN);
    }
    let name = &col.name;
    Ok(match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        Ok(_) if opts.repair.lenient => f64::NAN,
        Ok(_) => {
            return Err(InputError::at_line(
                path,
                line,
                format!(
                    "column `{name}`: {cell} is not a usable value (`lenient: true`, or `--lenient`, holds the previous value)",
                    cell = crate::error::shorten(cell),
                    name = crate::error::shorten(name)
                ),
            ));
        }
        Err(_) if first_row => {
            warnings.push(Warning::new(
                Location::file(path).with_line(line, None),
                format!(
                    "column `{name}` holds text ({cell:?}), not numbers: ignored",
                    cell = crate::error::shorten(cell),
                    name = crate::error::shorten(name)
                ),
            ));
            col.numeric = false;
            f64::NAN
        }
        Err(_) if !col.numeric => f64::NAN,
        Err(_) => {
            return Err(InputError::at_line(
                path,
                line,
                format!(
                    "column `{name}`: {cell:?} is not a number",
                    cell = crate::error::shorten(cell),
                    name = crate::error::shorten(name)
                ),
            ));
        }
    })
}

/// Physical line numbers of CSV records, from their byte offsets.
///
/// The csv crate's own line count is one short after CRLF line ends and skips nothing it
/// discarded, so the line is found here: a record's offset is where the reader stood after the
/// previous record, i.e. possibly before the line end that closed it, blank lines and `#`
/// comment lines (exactly what csv-core skips before a record starts). Those are stepped over,
/// then the LFs before the record's first byte are counted, incrementally (records come in file
/// order), so the whole file is scanned once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Everything before this offset has been counted...
    offset: usize,
    /// ...and holds this many LFs.
    newlines: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            offset: 0,
            newlines: 0,
        }
    }

    /// The 1-based line on which the record that the reader started at `byte` begins.
    fn line_of_record(&mut self, byte: usize) -> usize {
        let b = self.bytes;
        let mut i = byte.min(b.len());
        loop {
            match b.get(i) {
                Some(b'\r' | b'\n') => i += 1,
                Some(b'#') => match b[i..].iter().position(|&c| c == b'\n') {
                    Some(k) => i += k + 1,
                    None => i = b.len(),
                },
                _ => break,
            }
        }
        if i < self.offset {
            // Not expected (records come in order), but never count backwards.
            self.offset = 0;
            self.newlines = 0;
        }
        self.newlines += b[self.offset..i].iter().filter(|&&c| c == b'\n').count();
        self.offset = i;
        self.newlines + 1
    }
}

/// How [`write`] renders times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TimeOut {
    /// Seconds from the start (always possible).
    #[default]
    Seconds,
    /// RFC 3339 instants (needs a `start_time`; falls back to seconds without one).
    Rfc3339,
    /// Unix epoch seconds (needs a `start_time`; falls back to seconds without one).
    Epoch,
}

impl std::str::FromStr for TimeOut {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "seconds" | "s" | "relative" => Ok(TimeOut::Seconds),
            "rfc3339" | "iso8601" => Ok(TimeOut::Rfc3339),
            "epoch" | "epoch_seconds" | "unix" => Ok(TimeOut::Epoch),
            o => Err(format!(
                "unknown output time format {o:?} (expected seconds, rfc3339 or epoch)"
            )),
        }
    }
}

/// Options for [`write`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WriteOptions {
    pub(crate) time: TimeOut,
    /// Round rates (and column values) to this many decimals; `None` writes the shortest text
    /// that reads back as the same `f64`.
    pub(crate) decimals: Option<usize>,
}

/// Write a trace as CSV: `time,rps` plus its extra columns. Exact arrivals are not written
/// (the binned rate is).
pub(crate) fn write(trace: &Trace, out: &mut dyn Write, opts: &WriteOptions) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    write!(out, "time,rps")?;
    for c in &trace.columns {
        write!(out, ",{}", c.name)?;
    }
    writeln!(out)?;
    let mut num = String::new();
    for (i, &t) in trace.times.iter().enumerate() {
        match (opts.time, trace.start_time) {
            (TimeOut::Rfc3339, Some(_)) => match trace.wall_clock(t) {
                Some(dt) => write!(out, "{}", dt.to_rfc3339_opts(SecondsFormat::AutoSi, true))?,
                None => write!(out, "{t}")?,
            },
            (TimeOut::Epoch, Some(s)) => {
                let e = s.timestamp() as f64 + s.timestamp_subsec_nanos() as f64 / 1e9 + t;
                write!(out, "{e}")?
            }
            _ => write!(out, "{t}")?,
        }
        fmt_value(&mut num, trace.rates[i], opts.decimals);
        write!(out, ",{num}")?;
        for c in &trace.columns {
            fmt_value(&mut num, c.values[i], opts.decimals);
            write!(out, ",{num}")?;
        }
        writeln!(out)?;
    }
    out.flush()
}

fn fmt_value(buf: &mut String, v: f64, decimals: Option<usize>) {
    use std::fmt::Write as _;
    buf.clear();
    match decimals {
        None => {
            let _ = write!(buf, "{v}");
        }
        Some(d) => {
            let _ = write!(buf, "{v:.d$}");
            if buf.contains('.') {
                while buf.ends_with('0') {
                    buf.pop();
                }
                if buf.ends_with('.') {
                    buf.pop();
                }
            }
            if buf == "-0" {
                buf.clear();
                buf.push('0');
            }
        }
    }
}

/// Render a trace as CSV text (see [`write`]).
#[cfg(test)]
pub(crate) fn to_string(trace: &Trace, opts: &WriteOptions) -> String {
    let mut v = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(trace, &mut v, opts);
    String::from_utf8(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::rate_unit::RateUnit;
    use crate::trace::rows::{GapFill, Repair};
    use crate::trace::timefmt::TimeFormat;

    fn p(s: &str) -> Result<Trace, InputError> {
        parse(Path::new("t.csv"), s.as_bytes(), &ReadOptions::default()).map(|l| l.trace)
    }
    fn lenient(s: &str) -> Loaded {
        let opts = ReadOptions {
            repair: Repair {
                lenient: true,
                gap_fill: GapFill::Hold,
            },
            ..Default::default()
        };
        parse(Path::new("t.csv"), s.as_bytes(), &opts).unwrap()
    }

    #[test]
    fn reads_both_headers_and_spans_one_more_interval() {
        let t = p("time,rps\n0,1\n10,2\n").unwrap();
        assert_eq!(t.end, 20.0);
        let t = p("timestamp_seconds,requests_per_second\n0,0.5\n60,0.7\n120,1\n").unwrap();
        assert_eq!(t.end, 180.0);
        assert_eq!(t.rates, vec![0.5, 0.7, 1.0]);
        let t = p("\u{feff}Time;RPS\n0;1\n1;2\n").unwrap();
        assert_eq!(t.rates, vec![1.0, 2.0]);
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
    fn epoch_times_set_start_time() {
        let t = p("time,rps,kafka_lag\n1700000000,1,10\n1700000060,2,20\n1700000120,3,\n").unwrap();
        assert_eq!(t.times, vec![0.0, 60.0, 120.0]);
        assert_eq!(
            t.start_time.unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        assert_eq!(t.column_at("kafka_lag", 130.0), Some(20.0));
        let t = p("timestamp_ms,rps\n1700000000000,1\n1700000000500,2\n").unwrap();
        assert_eq!(t.times, vec![0.0, 0.5]);
        let opts = ReadOptions {
            time_format: TimeFormat::Millis,
            ..Default::default()
        };
        let t = parse(Path::new("t.csv"), b"time,rps\n0,1\n500,2\n", &opts)
            .unwrap()
            .trace;
        assert_eq!(t.times, vec![0.0, 0.5]);
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
        assert_eq!(
            p("# comment\ntime,rps\n0,1\n5,\n")
                .unwrap_err()
                .location
                .line,
            Some(4)
        );
        let e = p("time,rps\n10,1\n5,1\n").unwrap_err();
        assert!(e.message.contains("earlier"), "{e}");
        assert_eq!(e.location.line, Some(3));
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
            p("0,1\n1,2\n")
                .unwrap_err()
                .message
                .contains("looks like data")
        );
        assert!(
            p("time,rps\nsoon,1\n")
                .unwrap_err()
                .message
                .contains("not a time")
        );
        let e = p("time,rps\n0,1\n2026-03-02T08:00:00Z,1\n").unwrap_err();
        assert_eq!(e.location.line, Some(3));
        assert!(
            parse(Path::new("x"), b"\x00\x01\x02", &ReadOptions::default())
                .unwrap_err()
                .message
                .contains("binary")
        );
        let e = p("time,rps,lag\n0,1,3\n1,1,x\n").unwrap_err();
        assert!(e.to_string().starts_with("t.csv:3: column `lag`"), "{e}");
    }

    /// Lines are physical lines: CRLF ends, blank and `#` comment lines mid-file, a comment
    /// before the header, and a bare-CR file all count.
    #[test]
    fn errors_name_the_physical_line() {
        let line = |s: &str| p(s).unwrap_err().location.line;
        assert_eq!(line("time,rps\n0,1\n\n1,x\n"), Some(4));
        assert_eq!(line("time,rps\r\n0,1\r\n1,x\r\n"), Some(3));
        assert_eq!(line("time,rps\r\n0,1\r\n\r\n# note\r\n1,x"), Some(5));
        assert_eq!(line("# a\n# b\ntime,rps\n# c\n0,1\n  \n2,-1\n"), Some(7));
        assert_eq!(line("time,rps\r0,1\r\r1,NaN\r"), Some(4));
        assert_eq!(line("time,rps\r\n5,1\r\n\r\n3,1\r\n"), Some(4));
        assert_eq!(line("time,rps\r\n5,1\r\n# dup\r\n5,1\r\n"), Some(4));
        // Thousands of CRLF rows: no drift.
        let mut s = String::from("time,rps\r\n");
        for i in 0..4996 {
            s += &format!("{i},1\r\n");
            if i == 2000 {
                s += "# halfway\r\n\r\n";
            }
        }
        s += "9999,x\r\n";
        assert_eq!(line(&s), Some(5000));
        let l = lenient("time,rps\r\n0,1\r\n\r\n2,1\r\n# c\r\n1,1\r\n");
        assert!(
            l.warnings[0]
                .to_string()
                .starts_with("t.csv:6: 1 row out of time order"),
            "{}",
            l.warnings[0]
        );
    }

    #[test]
    fn rate_units_and_count_like_columns() {
        let l = parse(
            Path::new("t.csv"),
            b"time,requests\n0,600\n60,1200\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(l.trace.rates, vec![600.0, 1200.0]);
        assert_eq!(l.warnings.len(), 1);
        let w = l.warnings[0].to_string();
        assert!(
            w.starts_with("t.csv:1: column `requests` was read as requests per second")
                && w.contains("rate_unit: count")
                && w.contains("--rate-unit count"),
            "{w}"
        );
        let with = |unit| ReadOptions {
            rate_unit: Some(unit),
            ..Default::default()
        };
        let l = parse(
            Path::new("t.csv"),
            b"time,count\n0,600\n60,1200\n",
            &with(RateUnit::Count),
        )
        .unwrap();
        assert!(l.warnings.is_empty());
        assert_eq!(l.trace.rates, vec![10.0, 20.0]);
        assert_eq!(l.trace.integral(0.0, l.trace.end), 1800.0);
        let l = parse(
            Path::new("t.csv"),
            b"time,rps\n0,600\n60,1200\n",
            &with(RateUnit::PerMinute),
        )
        .unwrap();
        assert_eq!(l.trace.rates, vec![10.0, 20.0]);
        assert!(lenient("time,rps\n0,1\n1,2\n").warnings.is_empty());
    }

    #[test]
    fn lenient_repairs_and_warns() {
        let l = lenient("time,rps\n0,1\n2,NaN\n1,-3\n2,4\n");
        assert_eq!(l.trace.rates, vec![1.0, 0.0, 4.0]);
        let text: Vec<String> = l.warnings.iter().map(|w| w.to_string()).collect();
        assert!(text.iter().any(|w| w.contains("sorted")), "{text:?}");
        assert!(text.iter().any(|w| w.contains("clamped")), "{text:?}");
        let l = lenient("time,rps,note\n0,1,hello\n1,2,world\n");
        assert!(l.trace.columns.is_empty());
        assert!(l.warnings[0].message.contains("ignored"));
    }

    #[test]
    fn leading_gap_has_no_load() {
        let t = p("time,rps\n60,2\n120,2\n").unwrap();
        assert_eq!(t.times, vec![0.0, 60.0, 120.0]);
        assert_eq!(t.integral(0.0, 180.0), 240.0);
    }

    #[test]
    fn write_round_trips() {
        let mut t = Trace::uniform(0.5, vec![0.1 + 0.2, 1e-9, 12345.678, 0.0]);
        t.columns.push(Column {
            name: "queue_length".into(),
            values: vec![1.0, 2.0, 3.5, 0.0],
        });
        let back = p(&to_string(&t, &WriteOptions::default())).unwrap();
        assert_eq!(back, t);
        t.start_time = chrono::DateTime::parse_from_rfc3339("2024-03-04T00:00:00+01:00").ok();
        for time in [TimeOut::Rfc3339, TimeOut::Epoch] {
            let back = p(&to_string(
                &t,
                &WriteOptions {
                    time,
                    decimals: None,
                },
            ))
            .unwrap();
            assert_eq!(back.times, t.times);
            assert_eq!(
                back.start_time.map(|s| s.timestamp()),
                t.start_time.map(|s| s.timestamp())
            );
        }
        let s = to_string(
            &t,
            &WriteOptions {
                time: TimeOut::Seconds,
                decimals: Some(2),
            },
        );
        assert!(s.contains("\n0,0.3,1\n"), "{s}");
    }
}
