//! `behavior.scale{Up,Down}.tolerance` as the controller reads it: the quantity's exact decimal
//! value turned into a float64 by `Quantity.AsApproximateFloat64()` (apimachinery
//! `resource/quantity.go`), which `horizontal.go` calls on `Tolerance`.
//!
//! [`crate::units::Quantity`] keeps milli-units only, which would round `0.0005` up to `0.001`
//! and `1500u` to `0.002`; a tolerance keeps every digit down to the nano-units
//! `ParseQuantity` keeps (finer digits round up to a nano, as it rounds them).

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A tolerance as written, with its float64 value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tolerance {
    /// The text of the quantity (for messages).
    pub(crate) text: String,
    /// `AsApproximateFloat64()` of the parsed quantity.
    pub(crate) value: f64,
}

/// `math.Pow10(n)`: the float64 nearest `10^n` (exact powers up to 10^22, then a correctly
/// rounded division for negative `n`, as Go's table-driven version gives).
fn pow10(n: i32) -> f64 {
    if n >= 0 {
        format!("1e{n}").parse().unwrap_or(f64::INFINITY)
    } else {
        format!("1e{n}").parse().unwrap_or(0.0)
    }
}

/// Parse a quantity string into `(mantissa, decimal exponent)` as `ParseQuantity` stores it
/// (an `int64Amount`, or an `inf.Dec` rounded up to nano-units), then `AsApproximateFloat64`.
pub fn parse_tolerance(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "{s:?} is not a quantity (expected a number with an optional suffix such as 0.05, 50m, 1500u)"
        )
    };
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(end);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
        return Err(bad());
    }
    // Decimal exponent of the suffix; binary suffixes multiply by a power of two.
    let (exp10, pow2): (i32, i32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        other => match other.strip_prefix(['e', 'E']).map(str::parse::<i32>) {
            Some(Ok(e)) if (-18..=18).contains(&e) => (e, 0),
            _ => return Err(bad()),
        },
    };
    let digits: String = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 36 {
        return Err(format!("{s:?}: too many digits"));
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| bad())?
    };
    let mut scale = exp10 - frac_part.len() as i32;
    if scale < -9 {
        // Below nano-units ParseQuantity rounds up (away from zero) to a nano.
        let div = 10i128.pow((-9 - scale) as u32);
        mantissa = (mantissa + div - 1) / div;
        scale = -9;
    }
    let signed = if negative { -mantissa } else { mantissa };
    let value = signed as f64 * pow10(scale) * 2f64.powi(pow2);
    if !value.is_finite() {
        return Err(format!("{s:?}: too large"));
    }
    Ok(value)
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Tolerance;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as 0.05, 50m or 1500u")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tolerance, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tolerance, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tolerance, E> {
                if !v.is_finite() {
                    return Err(E::custom(format!("{v} is not a usable quantity")));
                }
                // The shortest decimal that reads back as `v` is what was written.
                self.visit_str(&format!("{v}"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tolerance, E> {
                let value = parse_tolerance(v).map_err(E::custom)?;
                Ok(Tolerance {
                    text: v.to_string(),
                    value,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_milli_tolerances_keep_their_precision() {
        assert_eq!(parse_tolerance("0.0005").unwrap(), 0.0005);
        assert_eq!(parse_tolerance("1500u").unwrap(), 0.0015);
        assert_eq!(parse_tolerance("0.05").unwrap(), 0.05);
        assert_eq!(parse_tolerance("50m").unwrap(), 0.05);
        assert_eq!(parse_tolerance("100m").unwrap(), 0.1);
        assert_eq!(parse_tolerance("2").unwrap(), 2.0);
        assert_eq!(parse_tolerance("1e-2").unwrap(), 0.01);
        assert_eq!(parse_tolerance("0").unwrap(), 0.0);
        // Finer than a nano rounds up to one, as ParseQuantity does.
        assert_eq!(parse_tolerance("0.0000000001").unwrap(), 1e-9);
        assert_eq!(parse_tolerance("-0.1").unwrap(), -0.1);
        assert!(parse_tolerance("abc").is_err());
        assert!(parse_tolerance("1.2.3").is_err());
        assert!(parse_tolerance("5x").is_err());
    }

    #[test]
    fn matches_go_float_arithmetic_for_a_mantissa_and_exponent() {
        // Go: float64(15) * math.Pow10(-4) for "1500u" (stored as 1500 × 10^-6).
        assert_eq!(parse_tolerance("1500u").unwrap(), 1500.0 * 1e-6);
        assert_eq!(parse_tolerance("0.013").unwrap(), 13.0 * 1e-3);
    }
}
