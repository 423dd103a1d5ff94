//! Text every output shares, below every module that writes one: numbers with trimmed
//! decimals (CSV cells, chart labels, summaries) and markup escaping (HTML reports, SVG, JUnit
//! XML). One place each, so two outputs never write the same number or text differently by
//! accident.

use std::fmt::Write as _;

/// `v` with at most `decimals` decimals, trailing zeros (and a bare point) removed, never `-0`.
pub(crate) fn decimals(v: f64, decimals: usize) -> String {
    let mut s = String::new();
    push_decimals(&mut s, v, decimals);
    s
}

/// Append `v` as [`decimals`] writes it.
pub(crate) fn push_decimals(out: &mut String, v: f64, decimals: usize) {
    if !push_decimals_fast(out, v, decimals) {
        push_decimals_formatted(out, v, decimals);
    }
}

/// [`push_decimals`] without the formatter (which writes the exact binary value rounded, ~900
/// instructions a number) when that rounding is plain: `v` scaled by 10^`decimals` computed in
/// floating point is off the exact product by at most half an ulp, so when it is further than
/// that from a rounding tie the nearest integer to both is the same, and it is what `{:.N}`
/// rounds to. False, with nothing written, otherwise (ties, large values, NaN, infinities).
fn push_decimals_fast(out: &mut String, v: f64, decimals: usize) -> bool {
    const POW10: [u64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let Some(&scale) = POW10.get(decimals) else {
        return false;
    };
    let y = v.abs() * scale as f64;
    if !(y < 1e15) {
        return false;
    }
    let floor = y.floor();
    let frac = y - floor; // exact below 2^52
    if (frac - 0.5).abs() <= y * f64::EPSILON {
        return false;
    }
    let n = floor as u64 + u64::from(frac > 0.5);
    let (whole, part) = (n / scale, n % scale);
    if v < 0.0 && n != 0 {
        out.push('-');
    }
    push_digits(out, whole);
    if part != 0 {
        let mut digits = [b'0'; 9];
        let mut rest = part;
        for d in digits[..decimals].iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let len = digits[..decimals]
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(0, |i| i + 1);
        out.push('.');
        out.push_str(std::str::from_utf8(&digits[..len]).unwrap_or_default());
    }
    true
}

/// Append the decimal digits of `n` (what `{}` writes, without the formatter's machinery).
fn push_digits(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// [`push_decimals`] through the formatter.
fn push_decimals_formatted(out: &mut String, v: f64, decimals: usize) {
    let start = out.len();
    // Writing to a String cannot fail.
    let _ = write!(out, "{v:.decimals$}");
    if out[start..].contains('.') {
        let kept = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(kept);
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// A number for a data file (`timeseries.csv`): empty when undefined, otherwise at most 6
/// decimals without trailing zeros (the CSV writer appends it with [`push_data_number`]).
pub(crate) fn data_number(v: f64) -> String {
    let mut s = String::new();
    push_data_number(&mut s, v);
    s
}

/// Append `v` as [`data_number`] writes it, without allocating: whole numbers (counts, times on
/// a whole-second grid) are written as integers directly, the rest through [`push_decimals`].
pub(crate) fn push_data_number(out: &mut String, v: f64) {
    if !v.is_finite() {
        return;
    }
    if v == v.trunc() && v.abs() < 1e15 {
        // Exact in an i64, and what `{:.6}` then trimming writes (`-0.0` as `0`).
        let n = v as i64;
        if n < 0 {
            out.push('-');
        }
        push_digits(out, n.unsigned_abs());
    } else {
        push_decimals(out, v, 6);
    }
}

/// A number for people (chart labels, report tables): at most 3 significant decimals, `k`/`M`
/// above ten thousand.
pub(crate) fn label_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", decimals(v / 1e6, 1))
    } else if a >= 1e4 {
        format!("{}k", decimals(v / 1e3, 1))
    } else if a >= 100.0 {
        format!("{}", v.round())
    } else if a >= 1.0 {
        decimals(v, 1)
    } else {
        decimals(v, 3)
    }
}

/// Where escaped text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup {
    /// HTML (and XML) content and attribute values of the reports: `'` as `&#39;`, newlines and
    /// tabs kept, other control characters shown as U+FFFD.
    Html,
    /// XML attributes and text (JUnit): `'` as `&apos;`, a newline as `&#10;` (attribute
    /// normalisation would turn it into a space), tab and CR as a space, other characters
    /// XML 1.0 cannot hold dropped.
    XmlAttribute,
}

/// Escape `s` for `markup`.
pub(crate) fn escape(s: &str, markup: Markup) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match (c, markup) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', _) => out.push_str("&gt;"),
            ('"', _) => out.push_str("&quot;"),
            ('\'', Markup::Html) => out.push_str("&#39;"),
            ('\'', Markup::XmlAttribute) => out.push_str("&apos;"),
            ('\n' | '\t', Markup::Html) => out.push(c),
            ('\n', Markup::XmlAttribute) => out.push_str("&#10;"),
            ('\t' | '\r', Markup::XmlAttribute) => out.push(' '),
            // Control characters are not allowed in HTML text (nor in XML 1.0).
            (c, Markup::Html) if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            (c, Markup::XmlAttribute)
                if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            (c, _) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formatter-free path writes what the formatter writes, wherever it answers: random
    /// values of every magnitude, near-ties at the last decimal, negatives, whole numbers.
    #[test]
    fn fast_decimals_match_the_formatter() {
        let mut rng = crate::rng::Stream::new(11, "decimals");
        let mut answered = 0;
        for i in 0..400_000u64 {
            let decimals = (i % 10) as usize;
            let v = match i % 5 {
                0 => (rng.uniform() - 0.3) * 10f64.powi(rng.below(16) as i32 - 4),
                1 => {
                    let k = rng.below(10_000_000) as f64;
                    (k + 0.5) / 10f64.powi(decimals as i32)
                }
                2 => rng.below(1_000_000) as f64 / 1e6 * if i % 2 == 0 { 1.0 } else { -1.0 },
                3 => f64::from_bits(rng.next_u64()) % 1e9,
                _ => (rng.below(100_000) as f64) * 0.1 + rng.uniform() * 1e-7,
            };
            let mut fast = String::from("x");
            if push_decimals_fast(&mut fast, v, decimals) {
                answered += 1;
                let mut slow = String::from("x");
                push_decimals_formatted(&mut slow, v, decimals);
                assert_eq!(fast, slow, "{v:e} at {decimals} decimals");
            }
        }
        assert!(answered > 250_000, "the fast path answered only {answered}");
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut s = String::new();
            push_digits(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for v in [
            0.0,
            -0.0,
            1e-9,
            -1e-9,
            0.5,
            2.5,
            -2.5,
            1e15,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(decimals(v, 6), {
                let mut s = String::new();
                push_decimals_formatted(&mut s, v, 6);
                s
            });
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(decimals(-0.0001, 2), "0");
        assert_eq!(decimals(2.50, 3), "2.5");
        assert_eq!(data_number(f64::NAN), "");
        for v in [
            0.0, -0.0, 3.0, -3.0, 1e14, -1e14, 1e15, 1e20, 0.5, -1e-7, 1e-7, 2.0000004,
        ] {
            let mut pushed = String::from("x");
            push_data_number(&mut pushed, v);
            assert_eq!(pushed[1..], decimals(v, 6), "{v}");
        }
        assert_eq!(data_number(1.0 / 3.0), "0.333333");
        assert_eq!(label_number(0.0), "0");
        assert_eq!(label_number(2.5), "2.5");
        assert_eq!(label_number(350.0), "350");
        assert_eq!(label_number(12_500.0), "12.5k");
        assert_eq!(label_number(0.12345), "0.123");
    }

    #[test]
    fn each_markup_escapes_as_it_must() {
        let s = "a<b>&\"c'\n\t\r\u{1}";
        assert_eq!(
            escape(s, Markup::Html),
            "a&lt;b&gt;&amp;&quot;c&#39;\n\t\u{FFFD}\u{FFFD}"
        );
        assert_eq!(
            escape(s, Markup::XmlAttribute),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;  "
        );
    }
}
