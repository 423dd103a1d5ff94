//! Reading trace files: the options every importer shares and format detection.
//!
//! `format: auto` (the default) decides by extension, then content:
//! - `.json`, or content starting with `{` or `[`: Prometheus `query_range` JSON;
//! - `.log`: a request log;
//! - otherwise the first non-comment line: a header with a rate column (`rps`, …) is a CSV rate
//!   trace; a header with only a time column (`arrival_seconds`, …), a single timestamp, or an
//!   access-log line with a `[…]` stamp is a request log; anything else is read as CSV (whose
//!   errors then say what header was expected).

use super::prometheus::{Combine, Selector};
use super::rate_unit::RateUnit;
use super::rows::Repair;
use super::spelling::{Spelled, add_aliases};
use super::timefmt::{self, TimeFormat};
use super::{Loaded, csv, prometheus, request_log};
use crate::error::{InputError, Location};
use serde::Deserialize;
use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;

/// What a trace file holds (`format:` in a `trace:` block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = add_aliases::<Format>)]
pub enum Format {
    /// Detect from the extension and content.
    #[default]
    Auto,
    /// A rate trace: `time,rps[,column…]`.
    Csv,
    /// Prometheus HTTP API `query_range` JSON (`resultType: matrix`).
    #[serde(alias = "prom")]
    Prometheus,
    /// One timestamp per line: exact arrivals.
    #[serde(alias = "request_log", alias = "log", alias = "arrivals")]
    Requests,
}

impl Format {
    pub(crate) const NAMES: &'static str = "auto, csv, prometheus, requests";
}

impl Spelled for Format {
    const SPELLINGS: &'static [(Self, &'static [&'static str])] = &[
        (Format::Auto, &["auto"]),
        (Format::Csv, &["csv"]),
        (Format::Prometheus, &["prometheus", "prom"]),
        (
            Format::Requests,
            &["requests", "request_log", "log", "arrivals"],
        ),
    ];
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::from_spelling(s).ok_or_else(|| {
            format!(
                "unknown trace format {:?} (expected one of {})",
                s.trim().to_ascii_lowercase().replace('-', "_"),
                Format::NAMES
            )
        })
    }
}

/// Options shared by the importers (the file-related keys of a `trace:` block, or the flags of
/// `scalesim trace show`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    pub format: Format,
    pub time_format: TimeFormat,
    /// Prometheus: which series to use (label matchers).
    pub series: Option<Selector>,
    /// Prometheus: what to do when several series match.
    pub combine: Combine,
    /// Request logs: width of the bins of the displayed rate (default: 1 s for logs spanning up
    /// to 6 h, else 60 s).
    pub bin: Option<f64>,
    /// Strict validation or lenient repair (see [`super::rows`]).
    pub repair: Repair,
    /// CSV and Prometheus: what the rate values count (see [`super::rate_unit`]); `None` when
    /// not given (read as per second, with a warning for a CSV column named like a count).
    pub rate_unit: Option<RateUnit>,
}

/// Read a trace file (`-` reads standard input).
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Loaded, InputError> {
    let bytes = read_bytes(path)?;
    parse(path, &bytes, opts)
}

/// Parse a trace held in memory (named `path` in errors and for extension-based detection).
pub fn parse(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Loaded, InputError> {
    let format = match opts.format {
        Format::Auto => detect(path, bytes),
        f => f,
    };
    match format {
        Format::Prometheus => prometheus::parse(path, bytes, opts),
        Format::Requests if opts.rate_unit.is_some() => Err(InputError::new(
            Location::file(path).with_field("rate_unit"),
            "this is a request log (one timestamp per request): its rate is counted from the arrivals, so `rate_unit` (`--rate-unit`) does not apply; remove it",
        )),
        Format::Requests => request_log::parse(path, bytes, opts),
        Format::Csv | Format::Auto => csv::parse(path, bytes, opts),
    }
}

/// The bytes of a file, or of standard input for `-`.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    if path.as_os_str() == "-" {
        use std::io::Read;
        let mut v = Vec::new();
        std::io::stdin()
            .read_to_end(&mut v)
            .map_err(|e| InputError::in_file(path, format!("cannot read standard input: {e}")))?;
        return Ok(v);
    }
    std::fs::read(path).map_err(|e| {
        InputError::in_file(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => "trace file not found".to_string(),
                _ => format!("cannot read trace: {e}"),
            },
        )
    })
}

/// Reject binary and non-UTF-8 input; strip a UTF-8 byte-order mark. A file whose lines end in
/// a bare CR (classic Mac OS) comes back with LF line ends, so every importer sees its lines and
/// counts them right.
pub(crate) fn check_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, InputError> {
    if bytes.contains(&0) {
        return Err(InputError::in_file(
            path,
            "this is a binary file, not a trace",
        ));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(InputError::in_file(
            path,
            format!(
                "not valid UTF-8 text (byte {}), not a trace",
                e.valid_up_to()
            ),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.contains(&b'\r') && !bytes.contains(&b'\n') {
        return Ok(Cow::Owned(
            bytes
                .iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect(),
        ));
    }
    Ok(Cow::Borrowed(bytes))
}

/// Guess the format of a file (see the module docs).
pub(crate) fn detect(path: &Path, bytes: &[u8]) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => return Format::Prometheus,
        Some("log") => return Format::Requests,
        _ => {}
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || (trimmed.starts_with('[') && looks_like_json_array(trimmed)) {
        return Format::Prometheus;
    }
    // Split at CR too: a file with bare-CR line ends (classic Mac OS) has lines as well.
    let Some(line) = text
        .split(['\n', '\r'])
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return Format::Csv;
    };
    if line.contains('[') && line.contains(']') && !line.starts_with('[') {
        return Format::Requests;
    }
    let delim = if line.contains(',') {
        ','
    } else if line.contains('\t') {
        '\t'
    } else {
        ';'
    };
    let fields: Vec<&str> = line.split(delim).map(str::trim).collect();
    let (time_col, rate_col) = csv::find_columns(fields.iter().copied());
    if rate_col.is_some() {
        return Format::Csv;
    }
    if time_col.is_some() {
        return Format::Requests;
    }
    let first = line.split([',', '\t', ' ']).next().unwrap_or("");
    let is_time = first.parse::<f64>().is_ok()
        || timefmt::parse_instant(line).is_some()
        || timefmt::parse_instant(first).is_some();
    if is_time && fields.len() == 1 {
        return Format::Requests;
    }
    Format::Csv
}

/// `[` starts JSON (a bare Prometheus result list) unless it is an access-log stamp.
fn looks_like_json_array(s: &str) -> bool {
    s[1..].trim_start().starts_with('{') || s[1..].trim_start().starts_with(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let d = |name: &str, s: &str| detect(Path::new(name), s.as_bytes());
        assert_eq!(d("a.json", ""), Format::Prometheus);
        assert_eq!(d("a.txt", "  {\"status\":\"success\"}"), Format::Prometheus);
        assert_eq!(d("a.txt", "[{\"metric\":{}}]"), Format::Prometheus);
        assert_eq!(d("a.csv", "# c\ntime,rps\n0,1\n"), Format::Csv);
        assert_eq!(
            d("a.csv", "arrival_seconds,context_tokens\n0.1,5\n"),
            Format::Requests
        );
        assert_eq!(d("a.txt", "1700000000.1\n1700000000.2\n"), Format::Requests);
        assert_eq!(d("a.txt", "2024-01-01T00:00:00Z\n"), Format::Requests);
        assert_eq!(
            d(
                "access",
                "h - - [01/Jul/1995:00:00:01 -0400] \"GET / HTTP/1.0\" 200 1\n"
            ),
            Format::Requests
        );
        assert_eq!(d("a.log", "whatever"), Format::Requests);
        assert_eq!(d("a.csv", "0,1\n"), Format::Csv);
        assert_eq!("prom".parse::<Format>().unwrap(), Format::Prometheus);
    }
}
