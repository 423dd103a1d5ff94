//! The bytes of one `events.jsonl` line, exactly as `serde_json::to_writer` writes them, but
//! cheaper: a string is checked for characters JSON must escape eight bytes at a time and, when
//! it has none (nearly always), copied whole into the line. Numbers are written by serde_json's
//! own compact formatter. A value this writer does not take (byte strings, map keys that are
//! not strings, serde_json's raw values) is [`Unsupported`], and the caller writes the line with
//! serde_json instead, so the output never depends on which writer ran.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::ser::{CompactFormatter, Formatter};
use std::fmt::Display;

/// A value outside what [`write_compact`] writes; serde_json writes the line instead.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value the fast event writer does not take")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: Display>(_: T) -> Self {
        Unsupported
    }
}

/// Append `value` as compact JSON to `out`, byte for byte what `serde_json::to_writer` writes;
/// on [`Unsupported`] `out` holds a partial value the caller must cut off.
pub(crate) fn write_compact<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result {
    value.serialize(&mut Writer { out })
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `w` is zero (exact as to whether there is one).
#[inline]
fn has_zero(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

/// Whether any byte of the word must be escaped: below 0x20, `"` or `\`.
#[inline]
fn word_needs_escape(w: u64) -> bool {
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    (control | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))) != 0
}

#[inline]
fn byte_needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether `bytes` hold a character JSON escapes: a word at a time, the last word overlapping
/// the one before it, a short string padded with letters.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    let word = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    let n = bytes.len();
    if n < 8 {
        let mut padded = [b'a'; 8];
        padded[..n].copy_from_slice(bytes);
        return word_needs_escape(u64::from_le_bytes(padded));
    }
    let mut words = bytes.chunks_exact(8);
    for c in &mut words {
        if word_needs_escape(word(c)) {
            return true;
        }
    }
    !words.remainder().is_empty() && word_needs_escape(word(&bytes[n - 8..]))
}

/// Append the inside of a JSON string holding `s` (escaped as serde_json escapes).
#[inline]
fn write_contents(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !byte_needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0C => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let hex = [HEX[(b >> 4) as usize], HEX[(b & 0xF) as usize]];
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex[0], hex[1]]);
                continue;
            }
        };
        out.extend_from_slice(&[b'\\', short]);
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Append `s` as a JSON string.
#[inline]
fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_contents(out, s);
    out.push(b'"');
}

/// Escapes what a `Display` writes, piece by piece, into the string being written.
struct Escaping<'o>(&'o mut Vec<u8>);

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        write_contents(self.0, s);
        Ok(())
    }
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

type Result = std::result::Result<(), Unsupported>;

/// Writes into a `Vec`, which cannot fail.
fn fmt(r: std::io::Result<()>) -> Result {
    r.map_err(|_| Unsupported)
}

impl<'a, 'o> ser::Serializer for &'a mut Writer<'o> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result {
        self.out
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result {
        fmt(CompactFormatter.write_i64(self.out, v))
    }
    fn serialize_i128(self, v: i128) -> Result {
        fmt(CompactFormatter.write_i128(self.out, v))
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result {
        fmt(CompactFormatter.write_u64(self.out, v))
    }
    fn serialize_u128(self, v: u128) -> Result {
        fmt(CompactFormatter.write_u128(self.out, v))
    }
    fn serialize_f32(self, v: f32) -> Result {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        fmt(CompactFormatter.write_f32(self.out, v))
    }
    fn serialize_f64(self, v: f64) -> Result {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        fmt(CompactFormatter.write_f64(self.out, v))
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        write_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(
        self,
        len: Option<usize>,
    ) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        Ok(self.open(b'[', b']', len))
    }
    fn serialize_tuple(self, len: usize) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        self.open_variant(variant);
        self.serialize_seq(Some(len))
    }
    fn serialize_map(
        self,
        len: Option<usize>,
    ) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        Ok(self.open(b'{', b'}', len))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        // serde_json's private tokens (raw values, arbitrary-precision numbers).
        if name.starts_with("$serde_json") {
            return Err(Unsupported);
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Compound<'a, 'o>, Unsupported> {
        self.open_variant(variant);
        self.serialize_map(Some(len))
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result {
        use std::fmt::Write;
        self.out.push(b'"');
        write!(Escaping(self.out), "{value}").map_err(|_| Unsupported)?;
        self.out.push(b'"');
        Ok(())
    }
}

impl<'a, 'o> Writer<'o> {
    /// `{"variant":` of an externally tagged variant.
    fn open_variant(&mut self, variant: &str) {
        self.out.push(b'{');
        write_string(self.out, variant);
        self.out.push(b':');
    }

    /// An array or object opened with `open` (closed at once when known empty).
    fn open(&'a mut self, open: u8, close: u8, len: Option<usize>) -> Compound<'a, 'o> {
        self.out.push(open);
        let state = if len == Some(0) {
            self.out.push(close);
            State::Empty
        } else {
            State::First
        };
        Compound { w: self, state }
    }
}

#[derive(PartialEq, Eq)]
enum State {
    Empty,
    First,
    Rest,
}

/// An array or object being written.
struct Compound<'a, 'o> {
    w: &'a mut Writer<'o>,
    state: State,
}

impl Compound<'_, '_> {
    /// The comma before every element but the first.
    #[inline]
    fn separate(&mut self) {
        if self.state != State::First {
            self.w.out.push(b',');
        }
        self.state = State::Rest;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.separate();
        value.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        self.separate();
        write_string(self.w.out, key);
        self.w.out.push(b':');
        value.serialize(&mut *self.w)
    }

    /// Close an array (`]`) or object (`}`) unless it was closed when opened.
    fn close(self, close: u8) -> Result {
        if self.state != State::Empty {
            self.w.out.push(close);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        let out = close_keeping(self, b']');
        out.push(b'}');
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.separate();
        key.serialize(MapKey { out: self.w.out })
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.w.out.push(b':');
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        let out = close_keeping(self, b'}');
        out.push(b'}');
        Ok(())
    }
}

/// Close `c` with `close` (unless closed when opened), handing back the line to go on with.
fn close_keeping<'a>(c: Compound<'a, '_>, close: u8) -> &'a mut Vec<u8> {
    let Compound { w, state } = c;
    if state != State::Empty {
        w.out.push(close);
    }
    &mut *w.out
}

/// A map key: strings only (serde_json also takes numbers and booleans, quoted; those lines
/// go to serde_json).
struct MapKey<'k> {
    out: &'k mut Vec<u8>,
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result {
        write_string(self.out, v);
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result {
        Err(Unsupported)
    }
    fn serialize_i8(self, _: i8) -> Result {
        Err(Unsupported)
    }
    fn serialize_i16(self, _: i16) -> Result {
        Err(Unsupported)
    }
    fn serialize_i32(self, _: i32) -> Result {
        Err(Unsupported)
    }
    fn serialize_i64(self, _: i64) -> Result {
        Err(Unsupported)
    }
    fn serialize_u8(self, _: u8) -> Result {
        Err(Unsupported)
    }
    fn serialize_u16(self, _: u16) -> Result {
        Err(Unsupported)
    }
    fn serialize_u32(self, _: u32) -> Result {
        Err(Unsupported)
    }
    fn serialize_u64(self, _: u64) -> Result {
        Err(Unsupported)
    }
    fn serialize_f32(self, _: f32) -> Result {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(Unsupported)
    }
    fn serialize_char(self, _: char) -> Result {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(Unsupported)
    }
    fn serialize_seq(
        self,
        _: Option<usize>,
    ) -> std::result::Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(
        self,
        _: Option<usize>,
    ) -> std::result::Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn both<T: Serialize + ?Sized>(v: &T) -> (Vec<u8>, Vec<u8>) {
        let mut fast = Vec::new();
        write_compact(&mut fast, v).expect("written");
        (fast, serde_json::to_vec(v).unwrap())
    }

    fn same<T: Serialize + ?Sized>(v: &T) {
        let (fast, slow) = both(v);
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            String::from_utf8(slow).unwrap()
        );
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        New(f64),
        Tuple(u8, i64),
        Struct { a: Option<u32>, b: Vec<String> },
        EmptyTuple(),
        EmptyStruct {},
    }

    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        One { x: f32 },
        Two(Inner),
    }

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "we\"ird\n")]
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        map: BTreeMap<String, (bool, char)>,
        unit: (),
        nested: Vec<Vec<i128>>,
    }

    /// Every shape serde derives, as serde_json writes it.
    #[test]
    fn shapes_are_written_as_serde_json_writes_them() {
        for s in [
            Shape::Unit,
            Shape::New(0.1),
            Shape::New(f64::NAN),
            Shape::New(-1e300),
            Shape::Tuple(7, -3),
            Shape::Struct { a: None, b: vec![] },
            Shape::Struct {
                a: Some(4),
                b: vec!["x".into(), "\u{1}é\\".into()],
            },
            Shape::EmptyTuple(),
            Shape::EmptyStruct {},
        ] {
            same(&s);
        }
        same(&Tagged::One { x: f32::INFINITY });
        same(&Tagged::One { x: 1.5 });
        let mut map = BTreeMap::new();
        map.insert("k\t".to_string(), (true, '"'));
        map.insert("l".to_string(), (false, 'ß'));
        let inner = Inner {
            name: "n".into(),
            skipped: None,
            map,
            unit: (),
            nested: vec![vec![], vec![i128::MIN, 3]],
        };
        same(&Tagged::Two(inner));
        same(&BTreeMap::<String, u8>::new());
        same(&(1u64, u64::MAX, i64::MIN, 2.5f32, "s"));
        same(&format_args!("a{}b\"c", 1));
    }

    /// What this writer does not take is refused, for serde_json to write.
    #[test]
    fn byte_strings_and_number_keys_are_refused() {
        let mut out = Vec::new();
        let mut keys = BTreeMap::new();
        keys.insert(1u8, 2u8);
        assert!(write_compact(&mut out, &keys).is_err());
        assert!(write_compact(&mut out, serde_bytes_like()).is_err());
        let raw = serde_json::value::RawValue::from_string("[1]".into()).unwrap();
        assert!(write_compact(&mut out, &raw).is_err());
    }

    fn serde_bytes_like() -> &'static impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_bytes(b"ab")
            }
        }
        &Bytes
    }

    /// Every event of a real run (every sync logged), as serde_json writes it.
    #[test]
    fn a_real_runs_events_are_written_as_serde_json_writes_them() {
        let opts = crate::sim::RunOptions {
            log_every_sync: true,
            ..Default::default()
        };
        let run = crate::sim::run(&crate::sim::short_real_scenario(), &opts).unwrap();
        assert!(run.events.len() > 10, "{}", run.events.len());
        for e in &run.events {
            same(e);
        }
    }

    proptest! {
        /// Any string, control characters, quotes, backslashes and non-ASCII included.
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(
            s in "(\\PC|[\\x00-\\x1f\"\\\\\\x7f]){0,40}"
        ) {
            let (fast, slow) = both(&s);
            prop_assert_eq!(fast, slow);
            let (fast, slow) = both(&format_args!("{s}{s}"));
            prop_assert_eq!(fast, slow);
        }
    }
}
