//! The bytes of one `events.jsonl` line, exactly as `serde_json::to_writer` writes them, but
//! cheaper (see `docs/performance.md`). The line is a [`Line`], a buffer with room past its
//! text: a string is checked for characters JSON must escape and copied into the room eight
//! bytes at a time (a short one with two overlapping loads and stores), and when it has none
//! (nearly always) nothing else is done for it; integers are written digit pair by digit pair,
//! and whole floats as their integer and `.0`, without the formatter. Other floats are written
//! by serde_json's own compact formatter. A value this writer does not take (byte strings, map
//! keys that are not strings, serde_json's raw values) is [`Unsupported`], and the caller
//! writes the line with serde_json instead, so the output never depends on which writer ran.

use crate::text::{digit_count, fill_digits};
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
pub(crate) fn write_compact<T: Serialize + ?Sized>(out: &mut Line, value: &T) -> Result {
    value.serialize(&mut Writer { out })
}

/// Bytes being written: `buf[..len]` is the text, the rest room already allocated (and
/// zeroed once), so a write is a few stores into it, not a `Vec` push or copy call each.
#[derive(Debug, Default)]
pub(crate) struct Line {
    buf: Vec<u8>,
    len: usize,
}

impl Line {
    /// The text written.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Keep the first `len` bytes.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Room for `n` more bytes.
    #[inline]
    fn reserve(&mut self, n: usize) {
        if self.buf.len() - self.len < n {
            self.grow(n);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let want = (self.len + n).max(2 * self.buf.len()).max(4096);
        self.buf.resize(want, 0);
    }

    #[inline]
    pub(crate) fn push(&mut self, b: u8) {
        self.reserve(1);
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// Append a few bytes known at compile time.
    #[inline]
    fn put<const N: usize>(&mut self, bytes: &[u8; N]) {
        self.reserve(N);
        self.buf[self.len..self.len + N].copy_from_slice(bytes);
        self.len += N;
    }

    /// Append `bytes`.
    #[inline]
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Append the inside of a JSON string holding `s` (escaped as serde_json escapes).
    #[inline(always)]
    fn put_contents(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.reserve(bytes.len());
        let at = self.len;
        if copy_clean(&mut self.buf[at..at + bytes.len()], bytes) {
            self.len = at + bytes.len();
        } else {
            self.put_escaped(bytes);
        }
    }

    /// Append `s` as a JSON string, after a comma when `comma`, and a colon after it when
    /// `colon` (an object's key): one check for room, the string copied when it has nothing
    /// to escape and the quotes stored around it.
    #[inline(always)]
    fn put_quoted(&mut self, comma: bool, s: &str, colon: bool) {
        let bytes = s.as_bytes();
        let n = bytes.len();
        self.reserve(n + 4);
        let start = self.len;
        let into = &mut self.buf[start..start + n + 4];
        into[0] = b',';
        let open = usize::from(comma);
        into[open] = b'"';
        let body = &mut into[open + 1..];
        if copy_clean(&mut body[..n], bytes) {
            // The colon lands past the text when none is wanted.
            body[n] = b'"';
            body[n + 1] = b':';
            self.len = start + open + n + 2 + usize::from(colon);
        } else {
            self.len = start + open + 1;
            self.put_escaped(bytes);
            self.push(b'"');
            if colon {
                self.push(b':');
            }
        }
    }

    /// [`Line::put_contents`] for a string that has characters to escape.
    #[cold]
    fn put_escaped(&mut self, bytes: &[u8]) {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !byte_needs_escape(b) {
                continue;
            }
            self.extend_from_slice(&bytes[start..i]);
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
                    self.put(&[b'\\', b'u', b'0', b'0', hex[0], hex[1]]);
                    continue;
                }
            };
            self.put(&[b'\\', short]);
        }
        self.extend_from_slice(&bytes[start..]);
    }

    /// Append `s` as a JSON string.
    #[inline]
    fn put_string(&mut self, s: &str) {
        self.put_quoted(false, s, false);
    }

    /// Append `"key":`, after a comma when `comma`.
    #[inline]
    fn put_key(&mut self, comma: bool, key: &str) {
        self.put_quoted(comma, key, true);
    }

    /// Append `n` as `{}` writes it.
    #[inline]
    fn put_u64(&mut self, n: u64) {
        self.reserve(20);
        let len = digit_count(n);
        fill_digits(&mut self.buf[self.len..self.len + len], n);
        self.len += len;
    }

    /// Append `n` as `{}` writes it.
    #[inline]
    fn put_i64(&mut self, n: i64) {
        if n < 0 {
            self.push(b'-');
        }
        self.put_u64(n.unsigned_abs());
    }

    /// Append the finite `v` as serde_json writes it: a whole number below 10^15 as its
    /// digits and `.0` (what the shortest round-trip form is there), the rest through
    /// serde_json's formatter.
    #[inline]
    fn put_f64(&mut self, v: f64) {
        if v.abs() < 1e15 && v.trunc() == v {
            if v.is_sign_negative() {
                self.push(b'-');
            }
            // Below 1e15 the conversion of a whole number is exact.
            self.put_u64(v.abs() as u64);
            self.put(b".0");
        } else {
            self.put_formatted(|w| CompactFormatter.write_f64(w, v));
        }
    }

    /// Append what serde_json's formatter writes with `write` (at most 64 bytes).
    fn put_formatted(&mut self, write: impl FnOnce(&mut &mut [u8]) -> std::io::Result<()>) {
        let mut bytes = [0u8; 64];
        let mut rest = &mut bytes[..];
        // A number fits: serde_json's longest is 40 bytes (an i128).
        let _ = write(&mut rest);
        let len = 64 - rest.len();
        self.extend_from_slice(&bytes[..len]);
    }
}

/// Copy `from` into `into` (as long) unless it holds a character JSON escapes; whether it did.
#[inline(always)]
fn copy_clean(into: &mut [u8], from: &[u8]) -> bool {
    if from.len() >= 8 {
        copy_clean_words(into, from)
    } else {
        copy_clean_short(into, from)
    }
}

/// Copy `from` (eight bytes or more) to the start of `into` a word at a time, the last word
/// overlapping the one before it, unless it holds a character JSON escapes; whether it did.
#[inline]
fn copy_clean_words(into: &mut [u8], from: &[u8]) -> bool {
    let n = from.len();
    let mut i = 0;
    while i + 8 < n {
        let w = load8(from, i);
        if word_needs_escape(w) {
            return false;
        }
        into[i..i + 8].copy_from_slice(&w.to_le_bytes());
        i += 8;
    }
    let last = load8(from, n - 8);
    if word_needs_escape(last) {
        return false;
    }
    into[n - 8..n].copy_from_slice(&last.to_le_bytes());
    true
}

/// Copy `from` (fewer than eight bytes) to the start of `into` with two overlapping loads
/// and stores, unless it holds a character JSON escapes; whether it did. (A short string put
/// together byte by byte in a word would wait on the stores.)
#[inline(always)]
fn copy_clean_short(into: &mut [u8], from: &[u8]) -> bool {
    const PAD: u64 = ONES * b'a' as u64;
    let n = from.len();
    if n >= 4 {
        let (a, b) = (load4(from, 0), load4(from, n - 4));
        if word_needs_escape(u64::from(a) | u64::from(b) << 32) {
            return false;
        }
        into[n - 4..n].copy_from_slice(&b.to_le_bytes());
        into[..4].copy_from_slice(&a.to_le_bytes());
    } else if n >= 2 {
        let a = u16::from_le_bytes([from[0], from[1]]);
        let b = u16::from_le_bytes([from[n - 2], from[n - 1]]);
        if word_needs_escape(u64::from(a) | u64::from(b) << 16 | (PAD << 32)) {
            return false;
        }
        into[n - 2..n].copy_from_slice(&b.to_le_bytes());
        into[..2].copy_from_slice(&a.to_le_bytes());
    } else if n == 1 {
        if byte_needs_escape(from[0]) {
            return false;
        }
        into[0] = from[0];
    }
    true
}

#[inline]
fn load8(from: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&from[at..at + 8]);
    u64::from_le_bytes(w)
}

#[inline]
fn load4(from: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&from[at..at + 4]);
    u32::from_le_bytes(w)
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

/// Escapes what a `Display` writes, piece by piece, into the string being written.
struct Escaping<'o>(&'o mut Line);

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_contents(s);
        Ok(())
    }
}

struct Writer<'o> {
    out: &'o mut Line,
}

type Result = std::result::Result<(), Unsupported>;

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
        match v {
            true => self.out.put(b"true"),
            false => self.out.put(b"false"),
        }
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
        self.out.put_i64(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.out
            .put_formatted(|w| CompactFormatter.write_i128(w, v));
        Ok(())
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
        self.out.put_u64(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.out
            .put_formatted(|w| CompactFormatter.write_u128(w, v));
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        self.out.put_formatted(|w| CompactFormatter.write_f32(w, v));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        self.out.put_f64(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        self.out.put_string(v);
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
        self.out.put(b"null");
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
        self.out.put_string(variant);
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
        let comma = self.state != State::First;
        self.state = State::Rest;
        self.w.out.put_key(comma, key);
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
fn close_keeping<'a>(c: Compound<'a, '_>, close: u8) -> &'a mut Line {
    let Compound { w, state } = c;
    if state != State::Empty {
        w.out.push(close);
    }
    &mut *w.out
}

/// A map key: strings only (serde_json also takes numbers and booleans, quoted; those lines
/// go to serde_json).
struct MapKey<'k> {
    out: &'k mut Line,
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
        self.out.put_string(v);
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
        let mut fast = Line::default();
        write_compact(&mut fast, v).expect("written");
        (fast.as_bytes().to_vec(), serde_json::to_vec(v).unwrap())
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
        let mut out = Line::default();
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

        /// Several strings and numbers in one line, written over the bytes of a line written
        /// before and cut back.
        #[test]
        fn a_reused_line_holds_what_serde_json_writes(
            first in prop::collection::vec("(\\PC|[\"\\n]){0,20}", 0..30),
            second in prop::collection::vec(("(\\PC|[\"\\n]){0,20}", any::<i64>()), 0..30),
        ) {
            let mut line = Line::default();
            write_compact(&mut line, &first).expect("written");
            let expected = serde_json::to_vec(&first).unwrap();
            prop_assert_eq!(line.as_bytes(), expected.as_slice());
            line.truncate(line.len() / 2);
            let kept = line.as_bytes().to_vec();
            write_compact(&mut line, &second).expect("written");
            let mut expected = kept;
            expected.extend(serde_json::to_vec(&second).unwrap());
            prop_assert_eq!(line.as_bytes(), expected.as_slice());
        }

        /// Any float, by its bits (NaN and infinities included), as serde_json writes it.
        #[test]
        fn floats_are_written_as_serde_json_writes_them(bits in any::<u64>()) {
            let (fast, slow) = both(&f64::from_bits(bits));
            prop_assert_eq!(fast, slow);
        }

        /// Whole floats, where the digit writer takes over from serde_json's formatter, and
        /// the decimals a simulation writes, around the 10^15 bound and below.
        #[test]
        fn whole_and_short_floats_are_written_as_serde_json_writes_them(
            whole in -2e16f64..2e16,
            near in -2_000_000i64..2_000_000,
            cents in -1_000_000i64..1_000_000,
            shift in 0u32..17,
        ) {
            for v in [
                whole.trunc(),
                whole.trunc() / 10f64.powi(shift as i32),
                1e15 + near as f64,
                -1e15 + near as f64,
                (near as f64) * 2f64.powi(shift as i32 * 3),
                cents as f64 / 100.0,
                cents as f64 / 1000.0,
                cents as f64 * 1e-9,
            ] {
                let (fast, slow) = both(&v);
                prop_assert_eq!(fast, slow, "{}", v);
            }
        }

        /// Any integer of any width, as serde_json writes it.
        #[test]
        fn integers_are_written_as_serde_json_writes_them(
            i in any::<i64>(), u in any::<u64>(), small in any::<i32>(), wide in any::<i128>(),
        ) {
            let (fast, slow) = both(&(i, u, small, wide, wide as u128, small as u8, small as i16));
            prop_assert_eq!(fast, slow);
            let (fast, slow) = both(&(i >> (u % 64), u >> (i as u64 % 64)));
            prop_assert_eq!(fast, slow);
        }
    }

    /// The edges of the number writers: zero signs, powers of ten, the extremes.
    #[test]
    fn number_edges_are_written_as_serde_json_writes_them() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1e15,
            -1e15,
            1e15 - 1.0,
            1e16,
            1e-7,
            5e-324,
        ] {
            same(&v);
        }
        for p in 0..20 {
            let n = 10u64.pow(p);
            same(&(n, n - 1, n + 1, n as f64, n as f64 - 1.0, -(n as f64)));
        }
        same(&(
            u64::MAX,
            i64::MIN,
            i64::MAX,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
        ));
        same(&(f32::MAX, f32::MIN_POSITIVE, 0.1f32, -0.0f32, f32::NAN));
    }

    /// A line longer than any the buffer held before grows to take it.
    #[test]
    fn a_long_line_grows_the_buffer() {
        let long: Vec<String> = (0..2000).map(|i| format!("value {i} \u{1}")).collect();
        same(&long);
        same(&"x".repeat(100_000));
    }
}
