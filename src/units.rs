//! Units users write: Kubernetes quantities (`500m`, `1Gi`, `2.5`) and durations (`90s`, `1h30m`,
//! `80ms`, `1.5s`, or plain seconds).
//!
//! Quantities follow the Kubernetes `resource.Quantity` grammar (decimal SI, binary SI and
//! exponent suffixes) and convert to integer milli-units rounded up, as `MilliValue()` does.
//! Durations use `humantime` (which reads `1h30m`, `80ms`, `2 min`) and additionally accept a
//! plain number of seconds and a fractional value with one unit (`1.5s`), as Go's
//! `time.ParseDuration` does.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A Kubernetes quantity in integer milli-units (CPU: millicores; memory: milli-bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Quantity {
    pub(crate) milli: i64,
}

impl Quantity {
    pub const fn from_milli(milli: i64) -> Self {
        Quantity { milli }
    }
    /// The value in whole units (cores, bytes) as a float.
    pub(crate) fn as_f64(self) -> f64 {
        self.milli as f64 / 1000.0
    }
    pub(crate) fn from_f64(v: f64) -> Self {
        Quantity {
            milli: (v * 1000.0).ceil() as i64,
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli % 1000 == 0 {
            write!(f, "{}", self.milli / 1000)
        } else {
            write!(f, "{}m", self.milli)
        }
    }
}

/// Parse a Kubernetes quantity string into milli-units, rounding up like `MilliValue()`.
pub(crate) fn parse_quantity(s: &str) -> Result<Quantity, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty quantity".into());
    }
    // Split the numeric part from the suffix.
    let bytes = t.as_bytes();
    let mut i = 0;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        i += 1;
    }
    let num_start = i;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        i += 1;
    }
    let number = &t[..i];
    let digits = &t[num_start..i];
    if digits.is_empty() || digits == "." || digits.matches('.').count() > 1 {
        return Err(format!(
            "{s:?} is not a quantity (expected a number with an optional suffix such as 500m, 2, 1.5, 512Mi, 1G)"
        ));
    }
    let suffix = &t[i..];
    // (base, exponent) multiplier, applied as exact integer/decimal arithmetic below.
    let (mult_num, mult_den): (i128, i128) = match suffix {
        "" => (1, 1),
        "n" => (1, 1_000_000_000),
        "u" | "µ" => (1, 1_000_000),
        "m" => (1, 1000),
        "k" => (1000, 1),
        "M" => (1_000_000, 1),
        "G" => (1_000_000_000, 1),
        "T" => (1_000_000_000_000, 1),
        "P" => (1_000_000_000_000_000, 1),
        "E" => (1_000_000_000_000_000_000, 1),
        "Ki" => (1 << 10, 1),
        "Mi" => (1 << 20, 1),
        "Gi" => (1 << 30, 1),
        "Ti" => (1 << 40, 1),
        "Pi" => (1 << 50, 1),
        "Ei" => (1 << 60, 1),
        _ => {
            if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
                let e: i32 = exp
                    .parse()
                    .map_err(|_| format!("{s:?}: bad exponent suffix {suffix:?}"))?;
                if !(-18..=18).contains(&e) {
                    return Err(format!("{s:?}: exponent out of range"));
                }
                if e >= 0 {
                    (10i128.pow(e as u32), 1)
                } else {
                    (1, 10i128.pow((-e) as u32))
                }
            } else {
                return Err(format!(
                    "{s:?}: unknown quantity suffix {suffix:?} (expected one of m, k, M, G, T, Ki, Mi, Gi, Ti or none)"
                ));
            }
        }
    };
    // number = int_part.frac_part ; value_milli = number * mult * 1000, rounded up (toward +inf).
    let negative = number.starts_with('-');
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((a, b)) => (a, b),
        None => (digits, ""),
    };
    if frac_part.len() > 18 || int_part.len() > 20 {
        return Err(format!("{s:?}: too many digits"));
    }
    let scale = 10i128.pow(frac_part.len() as u32);
    let int_v: i128 = if int_part.is_empty() {
        0
    } else {
        int_part
            .parse()
            .map_err(|_| format!("{s:?} is not a quantity"))?
    };
    let frac_v: i128 = if frac_part.is_empty() {
        0
    } else {
        frac_part
            .parse()
            .map_err(|_| format!("{s:?} is not a quantity"))?
    };
    let mantissa = int_v
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_v))
        .ok_or_else(|| format!("{s:?}: too large"))?;
    // milli = mantissa * mult_num * 1000 / (scale * mult_den)
    let num = mantissa
        .checked_mul(mult_num)
        .and_then(|v| v.checked_mul(1000))
        .ok_or_else(|| format!("{s:?}: too large"))?;
    let den = scale * mult_den;
    let mut q = num / den;
    if num % den != 0 && !negative {
        q += 1; // round up, as Kubernetes does
    }
    let milli = if negative { -q } else { q };
    let milli: i64 = milli.try_into().map_err(|_| format!("{s:?}: too large"))?;
    Ok(Quantity { milli })
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as 250m, 1, 0.5 or 512Mi")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                v.checked_mul(1000)
                    .map(Quantity::from_milli)
                    .ok_or_else(|| E::custom("quantity too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("quantity too large"))
                    .and_then(|v| self.visit_i64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                if !v.is_finite() || v.abs() > 9e15 {
                    return Err(E::custom(format!("{v} is not a usable quantity")));
                }
                // The shortest decimal that reads back as `v` is what the user wrote (2.007, not
                // 2.00699…): parse it exactly, as the API server parses the YAML number.
                parse_quantity(&format!("{v}")).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                parse_quantity(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A non-negative duration in seconds.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Default)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl Seconds {}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_seconds(self.0))
    }
}

/// Render seconds compactly for people: `80ms`, `15s`, `2m30s`, `1h`, `1.5s`.
pub(crate) fn format_seconds(s: f64) -> String {
    if !s.is_finite() {
        return format!("{s}");
    }
    if s != 0.0 && s.abs() < 1.0 {
        let ms = s * 1000.0;
        return if (ms - ms.round()).abs() < 1e-9 {
            format!("{}ms", ms.round() as i64)
        } else {
            format!("{ms:.3}ms")
        };
    }
    if (s - s.round()).abs() > 1e-9 {
        return format!("{s:.3}s");
    }
    let mut rest = s.round() as i64;
    if rest == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if rest < 0 {
        out.push('-');
        rest = -rest;
    }
    let (h, m, sec) = (rest / 3600, (rest % 3600) / 60, rest % 60);
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if sec > 0 {
        out += &format!("{sec}s");
    }
    out
}

/// Parse a duration: plain seconds (`30`, `0.5`), humantime (`1h30m`, `80ms`, `2min`), or a
/// fractional value with a single unit (`1.5s`, `0.25h`).
pub(crate) fn parse_duration(s: &str) -> Result<Seconds, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if t.starts_with('-') {
        return Err(format!(
            "{s:?} is negative; a duration must be zero or more"
        ));
    }
    if let Ok(v) = t.parse::<f64>() {
        return check_seconds(v).map_err(|e| format!("{s:?}: {e}"));
    }
    if let Ok(d) = humantime::parse_duration(t) {
        return Ok(Seconds(d.as_secs_f64()));
    }
    // `1.5s`-style: a decimal number followed by one unit.
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if let Ok(v) = num.parse::<f64>() {
        let mult = match unit.trim() {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad_duration(s)),
        };
        return check_seconds(v * mult).map_err(|e| format!("{s:?}: {e}"));
    }
    Err(bad_duration(s))
}

fn bad_duration(s: &str) -> String {
    format!(
        "{s:?} is not a duration (expected e.g. 30s, 1h30m, 80ms, 1.5s, or a number of seconds)"
    )
}

fn check_seconds(v: f64) -> Result<Seconds, String> {
    if !v.is_finite() {
        Err("not a finite number".into())
    } else if v < 0.0 {
        Err("negative; a duration must be zero or more".into())
    } else {
        Ok(Seconds(v))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 30s, 1h30m, 80ms or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
                check_seconds(v as f64).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
                check_seconds(v as f64).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
                check_seconds(v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Seconds, E> {
                parse_duration(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The units a duration string may carry: humantime's, plus those of the `1.5s` form.
const DURATION_UNITS: &str = "nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|\
minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|M|\
years|year|yrs|yr|y";

/// A regular expression (JSON Schema dialect, unanchored) for the strings [`parse_duration`]
/// accepts: a plain number of seconds, or numbers each followed by a unit (`1h30m`, `1.5s`,
/// `2 min`). Negative numbers are left to the schema's `minimum` / the parser.
pub(crate) fn duration_regex() -> String {
    let num = r"([0-9]+\.?[0-9]*|\.[0-9]+)";
    format!(r"(\+?{num}([eE][+-]?[0-9]+)?|({num}\s*({DURATION_UNITS})\s*)+)")
}

/// The JSON Schema of a duration string or number (`Seconds`).
impl schemars::JsonSchema for Seconds {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration: 30s, 1h30m, 80ms, 1.5s, or a number of seconds (zero or more).",
            "type": ["number", "string"],
            "minimum": 0,
            "pattern": format!(r"^\s*{}\s*$", duration_regex()),
        })
    }
}

/// The JSON Schema of a Kubernetes quantity (`Quantity`): what [`parse_quantity`] reads.
impl schemars::JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity: 250m, 1, 0.5, 512Mi, 1G, 1e3.",
            "type": ["number", "string"],
            "pattern": r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([numkMGTPE]|µ|[KMGTPE]i|[eE][+-]?[0-9]+)?\s*$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_round_up_to_milli() {
        let q = |s| parse_quantity(s).unwrap().milli;
        assert_eq!(q("500m"), 500);
        assert_eq!(q("1"), 1000);
        assert_eq!(q("0.5"), 500);
        assert_eq!(q("1.5"), 1500);
        assert_eq!(q("100Mi"), 100 * 1024 * 1024 * 1000);
        assert_eq!(q("1G"), 1_000_000_000_000);
        assert_eq!(q("2k"), 2_000_000);
        assert_eq!(q("1e3"), 1_000_000);
        assert_eq!(q("0.0001"), 1); // rounds up like MilliValue
        assert_eq!(q("1u"), 1);
        assert_eq!(q("-1"), -1000);
        let from_yaml = |y: &str| serde_saphyr::from_str::<Quantity>(y).unwrap().milli;
        assert_eq!(from_yaml("2.007"), 2007);
        assert_eq!(from_yaml("0.1"), 100);
        assert_eq!(from_yaml("3"), 3000);
        assert!(parse_quantity("abc").is_err());
        assert!(parse_quantity("5x").is_err());
        assert!(parse_quantity("").is_err());
        assert!(parse_quantity("1..2").is_err());
    }

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).unwrap().0;
        assert_eq!(d("30"), 30.0);
        assert_eq!(d("30s"), 30.0);
        assert_eq!(d("1h30m"), 5400.0);
        assert_eq!(d("80ms"), 0.08);
        assert_eq!(d("1.5s"), 1.5);
        assert_eq!(d("2m"), 120.0);
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
    }

    /// The schema's patterns accept what the parsers accept and reject what they reject.
    #[test]
    fn schema_patterns_agree_with_the_parsers() {
        let full = |r: String| regex::Regex::new(&format!(r"^\s*{r}\s*$")).unwrap();
        let duration = full(duration_regex());
        for s in [
            "30", "0.5", ".5", "1e3", "30s", "1h30m", "1h 30m", "80ms", "1.5s", "2 min", "2min",
            "5m", "1d", "3 hours", "10µs", " 15s ", "0",
        ] {
            assert!(parse_duration(s).is_ok(), "parser rejects {s:?}");
            assert!(duration.is_match(s), "pattern rejects {s:?}");
        }
        for s in [
            "soon",
            "",
            "5 x",
            "s",
            "1h-30m",
            "inf",
            "NaN",
            "30 s s s x",
            "1,5s",
            "5 sx",
        ] {
            assert!(parse_duration(s).is_err(), "parser accepts {s:?}");
            assert!(!duration.is_match(s), "pattern accepts {s:?}");
        }
        let quantity = regex::Regex::new(
            <Quantity as schemars::JsonSchema>::json_schema(&mut Default::default())
                .get("pattern")
                .and_then(|p| p.as_str())
                .unwrap(),
        )
        .unwrap();
        for s in [
            "500m", "1", "0.5", "1.5", "100Mi", "1G", "2k", "1e3", "1u", "-1", "2.", ".5",
        ] {
            assert!(parse_quantity(s).is_ok(), "parser rejects {s:?}");
            assert!(quantity.is_match(s), "pattern rejects {s:?}");
        }
        for s in ["abc", "5x", "", "1..2", "1 m", "15 cores", "1mi", "."] {
            assert!(parse_quantity(s).is_err(), "parser accepts {s:?}");
            assert!(!quantity.is_match(s), "pattern accepts {s:?}");
        }
    }

    #[test]
    fn seconds_format() {
        assert_eq!(format_seconds(0.08), "80ms");
        assert_eq!(format_seconds(90.0), "1m30s");
        assert_eq!(format_seconds(3600.0), "1h");
        assert_eq!(format_seconds(0.0), "0s");
    }
}
