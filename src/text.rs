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
    let mut bytes = [0u8; 32];
    match decimals_fast(&mut bytes, v, decimals) {
        Some(len) => out.push_str(ascii(&bytes[..len])),
        None => push_decimals_formatted(out, v, decimals),
    }
}

/// Append `v` as [`decimals`] writes it, as bytes (the CSV writer's line buffer).
pub(crate) fn put_decimals(out: &mut Vec<u8>, v: f64, decimals: usize) {
    let start = out.len();
    out.extend_from_slice(&[0u8; 32]);
    let cell: &mut [u8; 32] = (&mut out[start..])
        .try_into()
        .expect("32 bytes were just appended");
    match decimals_fast(cell, v, decimals) {
        Some(len) => out.truncate(start + len),
        None => {
            out.truncate(start);
            let mut s = String::new();
            push_decimals_formatted(&mut s, v, decimals);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// ASCII digits, signs and points as a `str` (what the digit writers here produce).
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Powers of ten that fit a u64, by exponent.
pub(crate) const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// The two digits of each number below 100, in order.
pub(crate) const PAIRS: [[u8; 2]; 100] = {
    let mut p = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        p[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    p
};

/// How many decimal digits `n` has (1 for 0).
#[inline]
pub(crate) fn digit_count(n: u64) -> usize {
    let mut len = 1;
    while len < POW10.len() && n >= POW10[len] {
        len += 1;
    }
    len
}

/// Write the last `into.len()` decimal digits of `n` into `into`, zero-padded on the left.
#[inline]
pub(crate) fn fill_digits(into: &mut [u8], mut n: u64) {
    let mut i = into.len();
    while i >= 2 {
        let pair = PAIRS[(n % 100) as usize];
        into[i - 2] = pair[0];
        into[i - 1] = pair[1];
        n /= 100;
        i -= 2;
    }
    if i == 1 {
        into[0] = b'0' + (n % 10) as u8;
    }
}

/// Write the digits of `n` (what `{}` writes) at the start of `into`; their count.
#[inline]
fn write_digits(into: &mut [u8], n: u64) -> usize {
    let len = digit_count(n);
    fill_digits(&mut into[..len], n);
    len
}

/// Write `v` as [`decimals`] writes it at the start of `out`, without the formatter (which
/// writes the exact binary value rounded, ~900 instructions a number) when that rounding is
/// plain: `v` scaled by 10^`decimals` computed in floating point is off the exact product by at
/// most half an ulp, so when it is further than that from a rounding tie the nearest integer to
/// both is the same, and it is what `{:.N}` rounds to. The length written, or None, with
/// nothing meaningful written, otherwise (ties, large values, NaN, infinities).
#[inline]
fn decimals_fast(out: &mut [u8; 32], v: f64, decimals: usize) -> Option<usize> {
    if decimals >= 10 {
        return None;
    }
    let scale = POW10[decimals];
    let y = v.abs() * scale as f64;
    if !(y < 1e15) {
        return None;
    }
    // `y` is in [0, 1e15): the conversion truncates, which is the floor.
    let floor = y as u64;
    let frac = y - floor as f64; // exact below 2^52
    if (frac - 0.5).abs() <= y * f64::EPSILON {
        return None;
    }
    let n = floor + u64::from(frac > 0.5);
    let (whole, mut part) = (n / scale, n % scale);
    let mut len = usize::from(v < 0.0 && n != 0);
    out[0] = b'-';
    len += write_digits(&mut out[len..], whole);
    if part != 0 {
        let mut places = decimals;
        while part % 10 == 0 {
            part /= 10;
            places -= 1;
        }
        out[len] = b'.';
        fill_digits(&mut out[len + 1..len + 1 + places], part);
        len += 1 + places;
    }
    Some(len)
}

/// Append `n` as `{}` writes it, as bytes, without the formatter's machinery.
#[inline]
pub(crate) fn put_integer(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 2 * CELL];
    let mut at = write_digits_back(&mut buf, CELL, n.unsigned_abs());
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    Cell::from_back(&buf, at, CELL).append_to(out);
}

/// A number as a cell of a CSV line, a comma then the number as [`data_number`] or `{}`
/// writes it, held on the stack so that it can be kept and appended again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    bytes: [u8; CELL],
    len: usize,
}

impl Cell {
    /// No cell (a memo not yet filled): the only cell of length 0.
    pub(crate) const NONE: Cell = Cell {
        bytes: [0; CELL],
        len: 0,
    };

    /// The text at `buf[at..end]` (at most [`CELL`] bytes).
    #[inline(always)]
    fn from_back(buf: &[u8; 2 * CELL], at: usize, end: usize) -> Cell {
        Cell {
            bytes: buf[at..at + CELL]
                .try_into()
                .expect("a number starts in the first half of its buffer"),
            len: end - at,
        }
    }

    /// The length [`Cell::fixed`] copies.
    pub(crate) const FIXED: usize = CELL;

    /// The cell's bytes and what follows them up to [`Cell::FIXED`] bytes: copied as a
    /// whole, a fixed length compiles to a few moves, not a call to `memcpy`.
    #[inline(always)]
    pub(crate) fn fixed(&self) -> &[u8; CELL] {
        &self.bytes
    }

    /// How many of [`Cell::fixed`]'s bytes are the cell.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether this is [`Cell::NONE`].
    #[inline(always)]
    pub(crate) fn is_none(&self) -> bool {
        self.len == 0
    }

    /// Append the cell to `out`: a copy of a fixed [`CELL`] bytes, which compiles to a few
    /// moves instead of a call to `memcpy`, then a truncation.
    #[inline(always)]
    pub(crate) fn append_to(&self, out: &mut Vec<u8>) {
        let len = out.len();
        out.extend_from_slice(&self.bytes);
        out.truncate(len + self.len);
    }
}

/// `,` then `n` as `{}` writes it.
#[inline]
pub(crate) fn integer_cell(n: i64) -> Cell {
    let mut buf = [0u8; 2 * CELL];
    let mut at = write_digits_back(&mut buf, CELL, n.unsigned_abs());
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    at -= 1;
    buf[at] = b',';
    Cell::from_back(&buf, at, CELL)
}

/// `,` then `n` as `{}` writes it.
#[inline]
pub(crate) fn unsigned_cell(n: u64) -> Cell {
    let mut buf = [0u8; 2 * CELL];
    let mut at = write_digits_back(&mut buf, CELL, n);
    at -= 1;
    buf[at] = b',';
    Cell::from_back(&buf, at, CELL)
}

/// `,` then `v` as [`data_number`] writes it, or None when that is longer than a cell holds
/// or a tie to round (append it with [`put_data_number`] then).
#[inline]
pub(crate) fn data_cell(v: f64) -> Option<Cell> {
    let mut buf = [0u8; 2 * CELL];
    if !v.is_finite() {
        buf[0] = b',';
        return Some(Cell::from_back(&buf, 0, 1));
    }
    let mut at = data_number_fast(&mut buf, v)?;
    at -= 1;
    buf[at] = b',';
    let end = DATA_POINT + data_decimals_len(&buf);
    Some(Cell::from_back(&buf, at, end))
}

/// The longest number a cell holds, in bytes: an integer (a comma, a sign and 20 digits) or a
/// data number (a comma, a sign, 10 whole digits, a point and 6 decimals). Numbers are
/// written into a stack buffer of twice this, ending at or before its middle, so that
/// [`Cell::append_to`] copies a fixed length.
const CELL: usize = 24;

/// Write the digits of `n` into `buf` so that they end just before `end`; where they start.
#[inline(always)]
fn write_digits_back(buf: &mut [u8; 2 * CELL], end: usize, mut n: u64) -> usize {
    let mut at = end;
    while n >= 100 {
        let pair = PAIRS[(n % 100) as usize];
        n /= 100;
        at -= 2;
        buf[at] = pair[0];
        buf[at + 1] = pair[1];
    }
    if n >= 10 {
        let pair = PAIRS[n as usize];
        at -= 2;
        buf[at] = pair[0];
        buf[at + 1] = pair[1];
    } else {
        at -= 1;
        buf[at] = b'0' + n as u8;
    }
    at
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
/// decimals without trailing zeros (the CSV writer appends it with [`put_data_number`]).
pub(crate) fn data_number(v: f64) -> String {
    let mut bytes = Vec::with_capacity(32);
    put_data_number(&mut bytes, v);
    ascii(&bytes).to_string()
}

/// Append `v` as [`data_number`] writes it, as bytes, without allocating.
#[inline]
pub(crate) fn put_data_number(out: &mut Vec<u8>, v: f64) {
    let mut buf = [0u8; 2 * CELL];
    match data_number_fast(&mut buf, v) {
        Some(at) => {
            let end = DATA_POINT + data_decimals_len(&buf);
            Cell::from_back(&buf, at, end).append_to(out);
        }
        None => put_data_number_slow(out, v),
    }
}

/// `v` as [`data_number`] writes it (no comma), or None where [`data_cell`] gives None.
#[inline]
pub(crate) fn data_number_cell(v: f64) -> Option<Cell> {
    let mut buf = [0u8; 2 * CELL];
    if !v.is_finite() {
        return Some(Cell::NONE);
    }
    let at = data_number_fast(&mut buf, v)?;
    let end = DATA_POINT + data_decimals_len(&buf);
    Some(Cell::from_back(&buf, at, end))
}

/// Where a data number's decimal point goes in its cell: after a comma, a sign and 10 whole
/// digits (`|v|` rounds to at most 10⁹).
const DATA_POINT: usize = 12;

/// Write the whole part of data number `v` (a sign when negative and not `0`) into `cell`,
/// ending at [`DATA_POINT`], and, when it has decimals, a point and its 6 decimals after it
/// (the point's place left as it was when it has none, see [`data_decimals_len`]); where it
/// starts.
/// [`decimals_fast`] at 6 decimals with the scale a constant and the digits written backwards
/// in one go; None where that answers None (ties, `|v|` ≥ 10⁹, not finite).
#[inline(always)]
fn data_number_fast(buf: &mut [u8; 2 * CELL], v: f64) -> Option<usize> {
    const SCALE: u64 = 1_000_000;
    let y = v.abs() * SCALE as f64;
    if y.is_nan() || y >= 1e15 {
        return None;
    }
    // `y` is in [0, 1e15): the conversion truncates, which is the floor (through i64, one
    // instruction each way, the same integers as through u64 there).
    let floor = y as i64;
    let frac = y - floor as f64; // exact below 2^52
    if (frac - 0.5).abs() <= y * f64::EPSILON {
        return None;
    }
    let n = floor as u64 + u64::from(frac > 0.5);
    let (whole, part) = (n / SCALE, n % SCALE);
    let mut at = write_digits_back(buf, DATA_POINT, whole);
    if v < 0.0 && n != 0 {
        at -= 1;
        buf[at] = b'-';
    }
    if part != 0 {
        let (hi, mid, lo) = (part / 10_000, (part / 100) % 100, part % 100);
        buf[DATA_POINT] = b'.';
        buf[DATA_POINT + 1..DATA_POINT + 3].copy_from_slice(&PAIRS[hi as usize]);
        buf[DATA_POINT + 3..DATA_POINT + 5].copy_from_slice(&PAIRS[mid as usize]);
        buf[DATA_POINT + 5..DATA_POINT + 7].copy_from_slice(&PAIRS[lo as usize]);
    }
    Some(at)
}

/// How many bytes follow the whole part in a cell [`data_number_fast`] wrote: the point and
/// the decimals without trailing zeros, or nothing.
#[inline(always)]
fn data_decimals_len(buf: &[u8; 2 * CELL]) -> usize {
    // The buffer starts zeroed, so no point is there unless the number has decimals.
    if buf[DATA_POINT] != b'.' {
        return 0;
    }
    let mut len = 7;
    while buf[DATA_POINT + len - 1] == b'0' {
        len -= 1;
    }
    len
}

/// [`put_data_number`] where [`data_number_fast`] does not answer: whole numbers written as
/// integers directly, the rest through [`put_decimals`].
#[cold]
fn put_data_number_slow(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        return;
    }
    // Below 1e15 the conversion truncates exactly, so a whole number converts back to itself;
    // that is what `{:.6}` then trimming writes (`-0.0` as `0`).
    if v.abs() < 1e15 && (v as i64) as f64 == v {
        put_integer(out, v as i64);
    } else {
        put_decimals(out, v, 6);
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

    /// What the row writer puts after a cell's predecessor ("z") for `v`: its cell, or a comma
    /// and the number when the cell path declines.
    fn written_cell(v: f64) -> Vec<u8> {
        let mut cell = b"z".to_vec();
        match data_cell(v) {
            Some(c) => c.append_to(&mut cell),
            None => {
                cell.push(b',');
                put_data_number(&mut cell, v);
            }
        }
        cell
    }

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
            let mut cell = [0u8; 32];
            if let Some(len) = decimals_fast(&mut cell, v, decimals) {
                answered += 1;
                let mut slow = String::new();
                push_decimals_formatted(&mut slow, v, decimals);
                assert_eq!(ascii(&cell[..len]), slow, "{v:e} at {decimals} decimals");
                let mut bytes = b"x".to_vec();
                put_decimals(&mut bytes, v, decimals);
                assert_eq!(ascii(&bytes[1..]), slow, "{v:e} at {decimals} decimals");
            }
        }
        assert!(answered > 250_000, "the fast path answered only {answered}");
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut b = Vec::new();
            unsigned_cell(n).append_to(&mut b);
            assert_eq!(ascii(&b), format!(",{n}"));
        }
        for n in [
            0,
            1,
            -1,
            9,
            -10,
            99,
            100,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut b = Vec::new();
            put_integer(&mut b, n);
            assert_eq!(ascii(&b), n.to_string());
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

    proptest::proptest! {
        /// A data number is what `{:.6}` then trimming (and `-0` as `0`) writes, and an
        /// integer what `{}` writes: values of every magnitude and sign, whole numbers, and
        /// numbers at or next to a tie at the sixth decimal.
        #[test]
        fn data_numbers_match_the_formatter(
            bits in proptest::num::u64::ANY,
            mantissa in -2_000_000_000_000i64..2_000_000_000_000,
            exponent in -12i32..22,
            kind in 0u8..5,
            whole in proptest::num::i64::ANY,
        ) {
            let v = match kind {
                0 => f64::from_bits(bits),
                1 => mantissa as f64 * 10f64.powi(exponent - 10),
                // A tie at the sixth decimal, and the floats on either side of it.
                2 => (mantissa as f64 + 0.5) / 1e6,
                3 => f64::from_bits(((mantissa as f64 + 0.5) / 1e6).to_bits().wrapping_add(bits % 3).wrapping_sub(1)),
                _ => mantissa as f64,
            };
            let mut want = String::new();
            if v.is_finite() {
                push_decimals_formatted(&mut want, v, 6);
            }
            let mut got = b"x".to_vec();
            put_data_number(&mut got, v);
            proptest::prop_assert_eq!(ascii(&got[1..]), want.as_str(), "{:e}", v);
            proptest::prop_assert_eq!(data_number(v), want.clone());
            // The cell writer against the formula it replaced (integers directly, the rest
            // through `put_decimals`), comma and all.
            let mut old = Vec::new();
            put_data_number_slow(&mut old, v);
            let cell = written_cell(v);
            proptest::prop_assert_eq!(ascii(&cell[1..]), format!(",{}", ascii(&old)));
            proptest::prop_assert_eq!(ascii(&old), want.as_str());
            if let Some(c) = data_number_cell(v) {
                proptest::prop_assert_eq!(ascii(&c.fixed()[..c.len()]), want.as_str());
            }
            let mut int = b"y".to_vec();
            put_integer(&mut int, whole);
            proptest::prop_assert_eq!(ascii(&int[1..]), whole.to_string());
            let mut cells = b"w".to_vec();
            integer_cell(whole).append_to(&mut cells);
            unsigned_cell(bits).append_to(&mut cells);
            proptest::prop_assert_eq!(ascii(&cells[1..]), format!(",{whole},{bits}"));
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
            let mut put = b"x".to_vec();
            put_data_number(&mut put, v);
            assert_eq!(ascii(&put[1..]), decimals(v, 6), "{v}");
        }
        assert_eq!(data_number(1.0 / 3.0), "0.333333");
        // Around the fast path's edge (|v| rounding to 10⁹ at 6 decimals) and the cell's.
        for v in [
            999_999_999.999_999_5,
            -999_999_999.999_999_5,
            999_999_999.999_999,
            -999_999_999.999_999,
            999_999_999.0,
            1e9,
            -1e9,
            1e9 + 0.5,
            i64::MIN as f64,
            -9.22e18,
        ] {
            let mut want = String::new();
            push_decimals_formatted(&mut want, v, 6);
            let cell = written_cell(v);
            assert_eq!(ascii(&cell[1..]), format!(",{want}"), "{v}");
        }
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
