//! Go standard-library parsing rules that KEDA's behaviour depends on, reimplemented so that a
//! manifest is accepted or rejected exactly as KEDA (written in Go) would: `strconv.ParseBool`,
//! `strconv.ParseInt`, `strconv.ParseFloat`, `encoding/json` numbers (how KEDA's typed scaler
//! config reads `int`/`float64` metadata), `time.ParseDuration`, `url.QueryEscape`, and the
//! small part of `net/url` the scalers use.

/// `strconv.ParseBool`: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `strconv.ParseInt(s, 10, bits)`: optional sign, ASCII digits, range-checked.
pub(crate) fn parse_int(s: &str, bits: u32) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseInt: parsing {s:?}: invalid syntax"));
    }
    let v: i128 = s
        .parse()
        .map_err(|_| format!("strconv.ParseInt: parsing {s:?}: value out of range"))?;
    let max = (1i128 << (bits - 1)) - 1;
    let min = -(1i128 << (bits - 1));
    if v > max || v < min {
        return Err(format!(
            "strconv.ParseInt: parsing {s:?}: value out of range"
        ));
    }
    Ok(v as i64)
}

/// True when `s` is a number in JSON's grammar (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// How KEDA's typed config reads an integer field: `json.Unmarshal` into an `int64`/`int32`.
/// `"5"` works; `"5.0"`, `"+5"`, `"05"`, `"1e3"` and quoted strings are errors.
pub(crate) fn json_int(s: &str, bits: u32) -> Result<i64, String> {
    if !is_json_number(s) {
        return Err(format!("{s:?} is not a JSON number"));
    }
    if s.contains(['.', 'e', 'E']) {
        return Err(format!("cannot unmarshal number {s} into an integer"));
    }
    parse_int(s, bits).map_err(|_| format!("number {s} overflows a {bits}-bit integer"))
}

/// How KEDA's typed config reads a `float64` field: `json.Unmarshal`. `".5"`, `"+1"`, `"NaN"`,
/// `"Inf"` are errors; `"1e3"` and `"0.80"` work.
pub(crate) fn json_float(s: &str) -> Result<f64, String> {
    if !is_json_number(s) {
        return Err(format!("{s:?} is not a JSON number"));
    }
    s.parse::<f64>().map_err(|e| format!("{s:?}: {e}"))
}

/// `strconv.ParseFloat(s, 64)`: decimal numbers with optional sign and exponent, `Inf`,
/// `Infinity`, `NaN` (any case), underscores not allowed. Hexadecimal floats are rare in metric
/// payloads and are rejected here.
pub(crate) fn parse_float(s: &str) -> Result<f64, String> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    let neg = s.starts_with('-');
    if lower == "inf" || lower == "infinity" {
        return Ok(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" && body.len() == s.len() {
        return Ok(f64::NAN);
    }
    let ok_chars = body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if body.is_empty() || !ok_chars || !body.bytes().any(|c| c.is_ascii_digit()) {
        return Err(format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"));
    }
    s.parse::<f64>()
        .map_err(|_| format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"))
}

/// `time.ParseDuration`, in seconds: `300ms`, `1.5h`, `1m30s`, `-2s`, `0`.
pub(crate) fn parse_duration(s: &str) -> Result<f64, String> {
    let err = || format!("time: invalid duration {s:?}");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0.0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return Err(err());
        }
        let number: f64 = rest[..num_end].parse().map_err(|_| err())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(err()),
        };
        rest = &rest[unit_end..];
        total += number * scale;
    }
    Ok(if neg { -total } else { total })
}

/// KEDA's typed-config duration: a Go duration string, else a whole number of milliseconds;
/// negative values are errors. Returns seconds.
pub(crate) fn typed_config_duration(s: &str) -> Result<f64, String> {
    if let Ok(d) = parse_duration(s) {
        if d < 0.0 {
            return Err(format!("duration cannot be negative: {s:?}"));
        }
        return Ok(d);
    }
    let ms = parse_int(s, 64).map_err(|_| {
        format!("unable to parse duration value {s:?}: must be either a duration string (e.g. '30s', '5m') or a number of milliseconds")
    })?;
    if ms < 0 {
        return Err(format!("duration cannot be negative: {ms} milliseconds"));
    }
    Ok(ms as f64 / 1000.0)
}

/// `url.QueryEscape`: unreserved characters kept, space as `+`, everything else `%XX`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The scheme of a URL as `net/url` sees it (lowercased), or `None` when the string has none.
/// An error when the string starts with `:` ("missing protocol scheme").
pub(crate) fn url_scheme(s: &str) -> Result<Option<String>, String> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme".into()),
            ':' => return Ok(Some(s[..i].to_ascii_lowercase())),
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// The (percent-decoded) path of `s` when `url.ParseRequestURI` accepts it, else `None`.
/// ParseRequestURI accepts absolute URIs (with a scheme) and absolute paths; the query is cut
/// off; fragments are not recognised (a `#` stays in the path).
pub(crate) fn request_uri_path(s: &str) -> Option<String> {
    let rest = match url_scheme(s) {
        Ok(Some(scheme)) => &s[scheme.len() + 1..],
        Ok(None) if s.starts_with('/') => s,
        _ => return None,
    };
    let rest = rest.split('?').next().unwrap_or("");
    let path = if let Some(after) = rest.strip_prefix("//") {
        match after.find('/') {
            Some(i) => &after[i..],
            None => "",
        }
    } else if rest.starts_with('/') {
        rest
    } else {
        // "scheme:opaque" form: ParseRequestURI rejects opaque URIs without a leading slash.
        return None;
    };
    percent_decode(path)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_follow_strconv() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("tRUE"), None);
    }

    #[test]
    fn json_numbers_are_strict() {
        assert_eq!(json_int("5", 64), Ok(5));
        assert!(json_int("5.0", 64).is_err());
        assert!(json_int("+5", 64).is_err());
        assert!(json_int("05", 64).is_err());
        assert!(json_int("2147483648", 32).is_err());
        assert_eq!(json_float("0.80"), Ok(0.8));
        assert_eq!(json_float("1e3"), Ok(1000.0));
        assert!(json_float(".5").is_err());
        assert!(json_float("NaN").is_err());
        assert!(json_float("5.").is_err());
    }

    #[test]
    fn parse_float_accepts_go_spellings() {
        assert_eq!(parse_float("+Inf"), Ok(f64::INFINITY));
        assert!(parse_float("NaN").unwrap().is_nan());
        assert_eq!(parse_float("1.5e2"), Ok(150.0));
        assert!(parse_float("1_0").is_err());
        assert!(parse_float("").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m30s"), Ok(90.0));
        assert_eq!(parse_duration("300ms"), Ok(0.3));
        assert!(parse_duration("5").is_err());
        assert_eq!(typed_config_duration("5000"), Ok(5.0));
        assert!(typed_config_duration("-1s").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(query_escape("a b/c"), "a+b%2Fc");
        assert_eq!(url_scheme("AMQP://x").unwrap().as_deref(), Some("amqp"));
        assert_eq!(url_scheme("<put-url>").unwrap(), None);
        assert_eq!(
            request_uri_path("https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ?x=1")
                .as_deref(),
            Some("/account_id/DeleteArtifactQ")
        );
        assert_eq!(request_uri_path("demo-keda"), None);
        assert_eq!(request_uri_path("/a/b").as_deref(), Some("/a/b"));
    }
}
