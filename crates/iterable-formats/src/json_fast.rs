//! A JSON record parser for the common case, straight from `&str` into a [`Row`]: one
//! pass, no serde visitor calls, the previous row's header reused when the keys match.
//!
//! It takes on well-formed records only, and is strict: anything it does not take on
//! (bad syntax, lone surrogate escapes, nesting deeper than serde_json's limit) makes it
//! answer `None`, and the caller parses the record with serde_json, which gives the row
//! or the error, with its message and column. So the rows are serde_json's, and errors
//! read exactly as before, with one exception made on purpose: an integer beyond 64
//! bits, which serde_json rounds to a float, is kept exact here (a `Decimal` of scale 0
//! up to 38 digits, its text beyond).
//!
//! What a record becomes is what [`RowSeed`](iterable_core::RowSeed) makes of it:
//! integers are `Int` (above `i64::MAX`, up to `u64::MAX`, an exact `Decimal`), `-0` and
//! numbers with a fraction or exponent are `Float` (correctly rounded; out of the `f64`
//! range is serde_json's error), `null` is
//! `Null`, objects are `Map`s, arrays `List`s, and a repeated key keeps its last value
//! at its first position.

use std::borrow::Cow;
use std::sync::Arc;

use iterable_core::{DuplicateKeys, Header, HeaderBuilder, Row, Text, Value};

use crate::csv::exact_decimal;

/// serde_json's default recursion limit: deeper records go to serde_json for its error.
const MAX_DEPTH: usize = iterable_core::MAX_NESTING_DEPTH;

/// The bytes that end a plain run inside a JSON string: the quote, the backslash and the
/// control characters (which JSON does not allow there).
static STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Where the plain run of string bytes from `from` ends: sixteen bytes at a time where
/// SSE2 is (every x86-64), then eight at a time, then byte by byte for the tail. Inline
/// loops, not a call to a SIMD search: strings in records are short, and a call costs
/// more than it saves.
fn plain_run(bytes: &[u8], from: usize) -> usize {
    let i = plain_run_wide(bytes, from);
    if bytes.get(i).is_some_and(|&b| STOP[b as usize]) {
        return i;
    }
    plain_run_words(bytes, i)
}

/// The start of the first 16-byte block from `from` that holds a stop byte (at it, when
/// it is found there), or where fewer than 16 bytes are left.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn plain_run_wide(bytes: &[u8], from: usize) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut i = from;
    // SAFETY: SSE2 is part of x86-64's baseline, and each load reads the 16 bytes
    // `i..i + 16`, inside `bytes` by the loop's condition.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below_space = _mm_set1_epi8(0x1f);
        while i + 16 <= bytes.len() {
            let block = _mm_loadu_si128(bytes.as_ptr().add(i).cast::<__m128i>());
            // A byte is a control character when the smaller of it and 0x1f is itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(block, below_space), block);
            let stops = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(block, quote),
                    _mm_cmpeq_epi8(block, backslash),
                ),
                control,
            );
            let mask = _mm_movemask_epi8(stops) as u32;
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    i
}

/// Elsewhere: the words and bytes of [`plain_run_words`] do it all.
#[cfg(not(target_arch = "x86_64"))]
fn plain_run_wide(_bytes: &[u8], from: usize) -> usize {
    from
}

/// Where the plain run from `from` ends, eight bytes at a time, then byte by byte.
fn plain_run_words(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // The lowest flagged byte of each mask is exact (borrows only flag bytes above it).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let quote = zero(w ^ (ONES * u64::from(b'"')));
        let backslash = zero(w ^ (ONES * u64::from(b'\\')));
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let stops = quote | backslash | control;
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !STOP[bytes[i] as usize] {
        i += 1;
    }
    i
}

#[cfg(feature = "arrow")] // The columnar road of JSON Lines.
/// Whether `name` is written in JSON as its own bytes (no quote, backslash or control
/// character to escape), so [`Scanner::key_is`] can look for it as it is.
pub(crate) fn plain_key(name: &str) -> bool {
    !name.bytes().any(|b| STOP[b as usize])
}

#[cfg(feature = "arrow")] // The columnar road of JSON Lines.
/// Whether `a` and `b` (of one length) hold the same bytes: eight at a time, for the
/// short keys of records, where a call to `memcmp` costs more than the comparing.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let word = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or_default());
    let mut a = a.chunks_exact(8);
    let mut b = b.chunks_exact(8);
    for (x, y) in (&mut a).zip(&mut b) {
        if word(x) != word(y) {
            return false;
        }
    }
    a.remainder().iter().zip(b.remainder()).all(|(x, y)| x == y)
}

/// The record in `text` as a row, reusing `previous` when its keys are the record's;
/// `None` when serde_json should parse it.
///
/// A key repeated among the record's own keys follows `duplicates` (under
/// [`DuplicateKeys::Error`] the record goes to serde_json, which gives the error);
/// nested maps keep the last value.
pub(crate) fn parse_record(
    text: &str,
    previous: Option<&Arc<Header>>,
    duplicates: DuplicateKeys,
) -> Option<Row> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        duplicates,
    };
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return None;
    }
    p.at += 1;
    let row = p.object(previous, 1)?;
    p.skip_ws();
    (p.at == p.bytes.len()).then_some(row)
}

#[cfg(feature = "arrow")] // The columnar road of JSON Lines.
/// One JSON scalar, as [`Scanner::scalar`] reads it.
#[derive(Debug, PartialEq)]
pub(crate) enum JsonScalar<'a> {
    Null,
    Bool(bool),
    /// An integer in `i64`'s range.
    Int(i64),
    /// A number with a fraction or an exponent, or `-0` (as the row parser reads it).
    Float(f64),
    /// A string without escapes: its text in the line.
    String(&'a str),
    /// A string that held escapes: its text, unescaped, is `start..end` of the buffer
    /// given to [`Scanner::scalar`].
    Escaped {
        start: usize,
        end: usize,
    },
}

#[cfg(feature = "arrow")] // The columnar road of JSON Lines.
/// One JSON text read token by token with this parser's own rules for strings and
/// numbers, so a reader that does not make rows (the columnar road of JSON Lines) reads
/// the same values. Every method answers `None` (or `false`) where the parser would
/// give up, and the caller then parses the text by rows.
pub(crate) struct Scanner<'a>(Parser<'a>);

#[cfg(feature = "arrow")]
impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner(Parser {
            text,
            bytes: text.as_bytes(),
            at: 0,
            duplicates: DuplicateKeys::Error,
        })
    }

    /// Skips whitespace, then takes `byte` if it is next.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        self.0.skip_ws();
        let next = self.0.peek() == Some(byte);
        if next {
            self.0.at += 1;
        }
        next
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.0.skip_ws();
        self.0.at == self.0.bytes.len()
    }

    /// After a key's opening quote: takes the key when it is `name` written without
    /// escapes, with its closing quote. `name` must be [`plain_key`]: a name holding a
    /// quote, a backslash or a control character is written with escapes, so it could
    /// match here only wrongly.
    pub(crate) fn key_is(&mut self, name: &str) -> bool {
        debug_assert!(plain_key(name));
        let p = &mut self.0;
        let name = name.as_bytes();
        // A key written without escapes is its text: the name's bytes, then the closing
        // quote.
        let Some(head) = p.bytes.get(p.at..p.at + name.len() + 1) else {
            return false;
        };
        let same = head[name.len()] == b'"' && same_bytes(&head[..name.len()], name);
        if same {
            p.at += name.len() + 1;
        }
        same
    }

    /// After a string's opening quote: the rest of the string.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        self.0.string()
    }

    /// The next value when it is a scalar; `None` for an object, an array or bad syntax.
    /// A string that holds escapes is unescaped onto the end of `unescaped`.
    pub(crate) fn scalar(&mut self, unescaped: &mut String) -> Option<JsonScalar<'a>> {
        let p = &mut self.0;
        p.skip_ws();
        Some(match p.peek()? {
            b'"' => {
                p.at += 1;
                let start = p.at;
                let end = plain_run(p.bytes, start);
                if p.bytes.get(end) == Some(&b'"') {
                    p.at = end + 1;
                    JsonScalar::String(&p.text[start..end])
                } else {
                    let from = unescaped.len();
                    p.unescape_onto(start, end, unescaped)?;
                    JsonScalar::Escaped {
                        start: from,
                        end: unescaped.len(),
                    }
                }
            }
            b'-' | b'0'..=b'9' => match p.number_read()? {
                Number::Int(i) => JsonScalar::Int(i),
                Number::Float(f) => JsonScalar::Float(f),
                // Beyond 64 bits: the row parser keeps it exact.
                Number::Big(_) => return None,
            },
            b't' => p
                .literal(b"true", Value::Null)
                .map(|_| JsonScalar::Bool(true))?,
            b'f' => p
                .literal(b"false", Value::Null)
                .map(|_| JsonScalar::Bool(false))?,
            b'n' => p.literal(b"null", Value::Null).map(|_| JsonScalar::Null)?,
            _ => return None,
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// The rule for the record's own keys (nested maps: the last value wins).
    duplicates: DuplicateKeys,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The members of an object whose `{` was just read, up to its `}`.
    fn object(&mut self, previous: Option<&Arc<Header>>, depth: usize) -> Option<Row> {
        let expected_len = previous.map_or(0, |h| h.len());
        let mut values: Vec<Value> = Vec::with_capacity(expected_len.max(4));
        // `None` while every key so far matched `previous` in place.
        let mut new_names: Option<HeaderBuilder> = None;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return None;
                }
                self.at += 1;
                let i = values.len();
                let expected = match (&new_names, previous) {
                    (None, Some(h)) => h.names().get(i).map(String::as_str),
                    _ => None,
                };
                // The expected key, matched byte for byte when the key holds no escape
                // (so its bytes are its text), without making it a string.
                let matched = expected.is_some_and(|name| {
                    let end = plain_run(self.bytes, self.at);
                    let same = self.bytes.get(end) == Some(&b'"')
                        && &self.bytes[self.at..end] == name.as_bytes();
                    if same {
                        self.at = end + 1;
                    }
                    same
                });
                let key = if matched { None } else { Some(self.string()?) };
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return None;
                }
                self.at += 1;
                let in_place = matched || key.as_deref().is_some_and(|k| expected == Some(k));
                if in_place {
                    self.value_into(&mut values, depth)?;
                } else {
                    let key = key?;
                    let names = new_names.get_or_insert_with(|| {
                        HeaderBuilder::from_distinct(
                            previous.map_or_else(Vec::new, |h| h.names()[..i].to_vec()),
                        )
                    });
                    let value = self.value(depth)?;
                    let rule = if depth == 1 {
                        self.duplicates
                    } else {
                        DuplicateKeys::Last
                    };
                    match (names.add(key), rule) {
                        (None, _) => values.push(value),
                        (Some(at), DuplicateKeys::Last) => values[at] = value,
                        (Some(_), DuplicateKeys::First) => {}
                        (Some(_), DuplicateKeys::Error) => return None,
                    }
                }
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let header = match (new_names, previous) {
            (None, Some(h)) if h.len() == values.len() => h.clone(),
            (None, Some(h)) => Arc::new(Header::new(h.names()[..values.len()].to_vec())),
            (None, None) => Arc::new(Header::default()),
            (Some(names), _) => Arc::new(names.into_header()),
        };
        Some(Row::from_parts(header, values))
    }

    /// One value, pushed onto `values` where it is made (not returned and copied).
    fn value_into(&mut self, values: &mut Vec<Value>, depth: usize) -> Option<()> {
        self.skip_ws();
        match self.peek()? {
            b'"' => {
                self.at += 1;
                let s = self.string()?;
                values.push(Value::String(Text::from(s)));
            }
            b'-' | b'0'..=b'9' => values.push(self.number()?),
            _ => values.push(self.value(depth)?),
        }
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.skip_ws();
        Some(match self.peek()? {
            b'"' => {
                self.at += 1;
                Value::String(Text::from(self.string()?))
            }
            b'-' | b'0'..=b'9' => self.number()?,
            b'{' if depth < MAX_DEPTH => {
                self.at += 1;
                Value::Map(self.object(None, depth + 1)?)
            }
            b'[' if depth < MAX_DEPTH => {
                self.at += 1;
                Value::List(self.array(depth + 1)?)
            }
            b't' => self.literal(b"true", Value::Bool(true))?,
            b'f' => self.literal(b"false", Value::Bool(false))?,
            b'n' => self.literal(b"null", Value::Null)?,
            _ => return None,
        })
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Some(value)
        } else {
            None
        }
    }

    /// The items of an array whose `[` was just read, up to its `]`.
    fn array(&mut self, depth: usize) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(items);
        }
        loop {
            self.value_into(&mut items, depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    /// The rest of a string whose opening quote was just read: borrowed when it has no
    /// escapes. A control character, a bad or lone-surrogate escape, or no closing
    /// quote is `None`.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        let end = plain_run(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.at = end + 1;
            return Some(Cow::Borrowed(&self.text[start..end]));
        }
        let mut out = String::with_capacity(end - start + 16);
        self.unescape_onto(start, end, &mut out)?;
        Some(Cow::Owned(out))
    }

    /// The rest of a string whose plain run `start..end` stops short of its closing
    /// quote: the run and what follows, unescaped, pushed onto `out`, up to and past
    /// the closing quote. `None` at a control character or a bad escape.
    fn unescape_onto(&mut self, start: usize, end: usize, out: &mut String) -> Option<()> {
        if self.bytes.get(end)? != &b'\\' {
            return None; // a control character
        }
        out.push_str(&self.text[start..end]);
        self.at = end;
        loop {
            // At a backslash: the escape, then the plain run after it.
            let escape = *self.bytes.get(self.at + 1)?;
            self.at += 2;
            out.push(match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => self.unicode_escape()?,
                _ => return None,
            });
            let start = self.at;
            let end = plain_run(self.bytes, start);
            out.push_str(&self.text[start..end]);
            match self.bytes.get(end)? {
                b'"' => {
                    self.at = end + 1;
                    return Some(());
                }
                b'\\' => self.at = end,
                _ => return None, // a control character
            }
        }
    }

    /// The character of a `\u` escape whose `\u` was just read: a pair of escapes for a
    /// character beyond the BMP; a lone surrogate is `None`.
    fn unicode_escape(&mut self) -> Option<char> {
        let unit = self.hex4()?;
        match unit {
            0xD800..=0xDBFF => {
                if !self.bytes[self.at..].starts_with(b"\\u") {
                    return None;
                }
                self.at += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(unit),
        }
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + (d as char).to_digit(16)?;
        }
        self.at += 4;
        Some(n)
    }

    /// A number, by JSON's grammar: `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?
    #[inline]
    fn number(&mut self) -> Option<Value> {
        Some(match self.number_read()? {
            Number::Int(i) => Value::Int(i),
            Number::Float(x) => Value::Float(x),
            Number::Big(literal) => big_integer(literal),
        })
    }

    /// A number (see [`number`](Self::number)) without making a [`Value`] of it.
    ///
    /// The digits are gathered as they are scanned, so the commonest numbers are made
    /// without reading their text again: an integer of at most 18 digits (it cannot
    /// overflow), and a number with a fraction but no exponent of at most 15 digits in
    /// all ([`exact_decimal`]: the double `str::parse` gives). Others are parsed from
    /// their text.
    #[inline]
    fn number_read(&mut self) -> Option<Number<'a>> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let digits_start = self.at;
        let mut mantissa: u64 = 0;
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => mantissa = self.digits(0),
            _ => return None,
        }
        let int_end = self.at;
        let mut places = None;
        if self.peek() == Some(b'.') {
            self.at += 1;
            let frac = self.at;
            mantissa = self.digits(mantissa);
            if self.at == frac {
                return None;
            }
            places = Some(self.at - frac);
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            let exp = self.at;
            while let Some(b'0'..=b'9') = self.peek() {
                self.at += 1;
            }
            if self.at == exp {
                return None;
            }
            // Out of range (`1e400`) is serde_json's error to give.
            let x: f64 = self.text[start..self.at].parse().ok()?;
            return x.is_finite().then_some(Number::Float(x));
        }
        if let Some(places) = places {
            // The integer part's digits and the fraction's.
            let count = int_end - digits_start + places;
            let x = match exact_decimal(mantissa, count, places, negative) {
                Some(x) => x,
                None => self.text[start..self.at].parse().ok()?,
            };
            return Some(Number::Float(x));
        }
        let literal = &self.text[start..int_end];
        let magnitude = if int_end - digits_start <= 18 {
            mantissa
        } else {
            match self.text[digits_start..int_end].parse::<u64>() {
                Ok(magnitude) => magnitude,
                Err(_) => return Some(Number::Big(literal)),
            }
        };
        if !negative {
            return Some(i64::try_from(magnitude).map_or(Number::Big(literal), Number::Int));
        }
        if magnitude == 0 {
            return Some(Number::Float(-0.0)); // as serde_json reads `-0`
        }
        Some(
            0i64.checked_sub_unsigned(magnitude)
                .map_or(Number::Big(literal), Number::Int),
        )
    }

    /// Takes the run of digits next, as `mantissa` followed by them (wrapping past
    /// `u64`: only runs short enough not to are used).
    #[inline]
    fn digits(&mut self, mut mantissa: u64) -> u64 {
        while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.at) {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            self.at += 1;
        }
        mantissa
    }
}

/// A JSON number as [`Parser::number_read`] reads it.
enum Number<'a> {
    Int(i64),
    /// A number with a fraction or an exponent, or `-0`.
    Float(f64),
    /// An integer beyond `i64`: its text.
    Big(&'a str),
}

/// An integer beyond `i64`, kept exact (serde_json would round one beyond `u64` to a
/// float): a decimal of scale 0 while it fits 38 digits, its text beyond that.
fn big_integer(literal: &str) -> Value {
    match literal.parse::<i128>() {
        Ok(unscaled) => Value::Decimal(iterable_core::Decimal { unscaled, scale: 0 }),
        Err(_) => Value::from(literal),
    }
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeSeed;

    use super::*;
    use iterable_core::RowSeed;

    /// What serde_json makes of `text` through `RowSeed`.
    fn by_serde(text: &str, previous: Option<&Arc<Header>>) -> Option<Row> {
        let mut de = serde_json::Deserializer::from_str(text);
        let row = RowSeed::reusing(previous.cloned())
            .deserialize(&mut de)
            .ok()?;
        de.end().ok().map(|()| row)
    }

    fn pairs(row: &Row) -> Vec<(String, Value)> {
        row.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect()
    }

    /// Records the fast parser must take, each giving serde_json's row exactly.
    const TAKEN: &[&str] = &[
        r#"{}"#,
        r#" { "a" : 1 , "b" : -2 } "#,
        r#"{"a":0,"b":-0,"c":1.5,"d":-1.5e3,"e":2E-2,"f":9223372036854775807}"#,
        r#"{"big":18446744073709551615,"min":-9223372036854775808}"#,
        r#"{"t":true,"f":false,"n":null}"#,
        r#"{"s":"","e":"a\"b\\c\/d\b\f\n\r\t","u":"\u00e9\u4e2d\ud83d\ude00x"}"#,
        r#"{"plain":"Zoë Łukasz 😀","long":"a string long enough to live on the heap"}"#,
        r#"{"list":[1,"x",[],{},[null,[true]]],"map":{"k":{"deep":[{"z":1}]}}}"#,
        r#"{"a":1,"a":2,"b":3}"#,
        r#"{"a":1,"b":2,"a":3}"#,
        "{\"ws\":\t[ 1 ,\r\n2 ]}\r",
    ];

    /// Records it must leave to serde_json (which then gives the row or the error).
    const LEFT: &[&str] = &[
        r#"{"a":1"#,
        r#"{"a":1,}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":1e}"#,
        r#"{"a":-}"#,
        r#"{"a":+1}"#,
        r#"{"a":1e400}"#,
        r#"{"a":-1e400}"#,
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\udc00x"}"#,
        r#"{"a":"\x"}"#,
        "{\"a\":\"tab\tinside\"}",
        r#"{"a":tru}"#,
        r#"{"a":nulls}"#,
        r#"{a:1}"#,
        r#"{"a" 1}"#,
        r#"{"a":1} x"#,
        r#"[1]"#,
        r#"{"a":"unterminated}"#,
    ];

    #[test]
    fn rows_are_serde_jsons_rows() {
        for text in TAKEN {
            let fast = parse_record(text, None, DuplicateKeys::Last)
                .unwrap_or_else(|| panic!("not taken: {text}"));
            let serde = by_serde(text, None).unwrap();
            assert_eq!(pairs(&fast), pairs(&serde), "{text}");
        }
    }

    /// Integers beyond 64 bits stay exact (serde_json would give floats).
    #[test]
    fn integers_beyond_64_bits_stay_exact() {
        let dec = |unscaled| Value::Decimal(iterable_core::Decimal { unscaled, scale: 0 });
        let cases = [
            ("18446744073709551616", dec(18_446_744_073_709_551_616)),
            ("-9223372036854775809", dec(-9_223_372_036_854_775_809)),
            (
                "123456789012345678901234567890",
                dec(123_456_789_012_345_678_901_234_567_890),
            ),
            (
                "1234567890123456789012345678901234567890",
                Value::from("1234567890123456789012345678901234567890"),
            ),
        ];
        for (literal, want) in cases {
            let row =
                parse_record(&format!("{{\"a\":{literal}}}"), None, DuplicateKeys::Last).unwrap();
            assert_eq!(row["a"], want, "{literal}");
            assert_eq!(
                serde_json::to_string(&row).unwrap(),
                if matches!(want, Value::Decimal(_)) {
                    format!("{{\"a\":{literal}}}")
                } else {
                    format!("{{\"a\":\"{literal}\"}}")
                },
                "{literal}"
            );
        }
    }

    /// Numbers made from the digits as they are scanned are bit for bit those that
    /// parsing their text gives: decimals of 1 to 17 digits with the point anywhere,
    /// both signs, integers of up to 17 digits, and the ends of `i64`.
    #[test]
    fn numbers_read_in_one_pass_are_those_parsing_gives() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let value_of = |literal: &str| {
            let row = parse_record(&format!("{{\"a\":{literal}}}"), None, DuplicateKeys::Last)
                .unwrap_or_else(|| panic!("not taken: {literal}"));
            row["a"].clone()
        };
        for _ in 0..200_000 {
            let count = 1 + (next() % 17) as usize;
            let mut digits: String = (0..count)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let whole = 1 + (next() % count as u64) as usize;
            if whole > 1 && digits.starts_with('0') {
                digits.replace_range(0..1, "7");
            }
            let sign = if next() % 2 == 0 { "-" } else { "" };
            let literal = if whole == count {
                format!("{sign}{digits}")
            } else {
                format!("{sign}{}.{}", &digits[..whole], &digits[whole..])
            };
            let got = value_of(&literal);
            if whole == count && literal != "-0" {
                assert_eq!(got, Value::Int(literal.parse().unwrap()), "{literal}");
            } else {
                let Value::Float(x) = got else {
                    panic!("{literal}: {got:?}");
                };
                let want: f64 = literal.parse().unwrap();
                assert_eq!(x.to_bits(), want.to_bits(), "{literal}");
            }
        }
        for literal in ["9223372036854775807", "-9223372036854775808", "0.0", "-0.0"] {
            let want = by_serde(&format!("{{\"a\":{literal}}}"), None).unwrap();
            assert_eq!(value_of(literal), want["a"], "{literal}");
        }
    }

    #[test]
    fn anything_unusual_is_left_to_serde_json() {
        for text in LEFT {
            assert!(
                parse_record(text, None, DuplicateKeys::Last).is_none(),
                "taken: {text}"
            );
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert!(parse_record(&deep, None, DuplicateKeys::Last).is_none());
    }

    /// Random records written by serde_json (escapes, non-ASCII text, every kind of
    /// number, nesting) read back by both parsers: the same rows, every time.
    #[test]
    fn random_records_read_like_serde_json() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        fn text(r: &mut impl FnMut() -> u64) -> String {
            const PIECES: [&str; 10] =
                ["a", "Zoë", "\"", "\\", "\n", "\u{1}", "😀", "中", " ", "/"];
            (0..r() % 6).map(|_| PIECES[(r() % 10) as usize]).collect()
        }
        fn value(r: &mut impl FnMut() -> u64, depth: u32) -> serde_json::Value {
            use serde_json::Value as J;
            match r() % if depth > 2 { 6 } else { 8 } {
                0 => J::Null,
                1 => J::Bool(r().is_multiple_of(2)),
                2 => J::from(r() as i64 >> (r() % 64)),
                3 => J::from(r()),
                4 => J::from((r() as f64 / 7.0) * if r().is_multiple_of(2) { 1e-30 } else { 1e30 }),
                5 => J::String(text(r)),
                6 => J::Array((0..r() % 4).map(|_| value(r, depth + 1)).collect()),
                _ => J::Object(
                    (0..r() % 4)
                        .map(|_| (text(r), value(r, depth + 1)))
                        .collect(),
                ),
            }
        }
        let mut previous: Option<Arc<Header>> = None;
        for _ in 0..2000 {
            let record: serde_json::Map<String, serde_json::Value> = (0..next() % 6)
                .map(|i| (format!("k{}", i + next() % 2), value(&mut next, 0)))
                .collect();
            let text = serde_json::to_string(&record).unwrap();
            let fast = parse_record(&text, previous.as_ref(), DuplicateKeys::Last)
                .unwrap_or_else(|| panic!("not taken: {text}"));
            let serde = by_serde(&text, previous.as_ref()).unwrap();
            assert_eq!(pairs(&fast), pairs(&serde), "{text}");
            previous = Some(fast.header().clone());
        }
    }

    /// The word-at-a-time scan stops exactly where a byte-by-byte scan stops.
    #[test]
    fn plain_runs_end_at_the_first_stop_byte() {
        let alphabet = [
            b'a', b'"', b'\\', 0x1f, 0x00, 0x20, 0x7f, 0x80, 0xc3, 0xff, b'!',
        ];
        let mut state = 0x1234_5678_9abc_def1u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Up to 80 bytes, with stops rare in some strings, so the 16-byte blocks,
            // the 8-byte words and the tail each find some.
            let len = (state % 80) as usize;
            let spread = [16, 64, 512][(state % 3) as usize];
            let bytes: Vec<u8> = (0..len)
                .map(|k| {
                    let pick = (state.rotate_right(k as u32 * 7) ^ (k as u64 * 0x9E37)) % spread;
                    if pick < alphabet.len() as u64 {
                        alphabet[pick as usize]
                    } else {
                        b'x'
                    }
                })
                .collect();
            for from in 0..=len.min(19) {
                let slow = (from..len)
                    .find(|&i| STOP[bytes[i] as usize])
                    .unwrap_or(len);
                assert_eq!(plain_run(&bytes, from), slow, "{bytes:?} from {from}");
            }
        }
    }

    #[test]
    fn the_previous_header_is_reused_when_the_keys_match() {
        let first = parse_record(r#"{"a":1,"b":2}"#, None, DuplicateKeys::Last).unwrap();
        let same = parse_record(
            r#"{"a":3,"b":4}"#,
            Some(first.header()),
            DuplicateKeys::Last,
        )
        .unwrap();
        assert!(Arc::ptr_eq(first.header(), same.header()));
        for text in [
            r#"{"a":3}"#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"b":2,"c":3}"#,
            r#"{"a":1,"a":2}"#,
        ] {
            let fast = parse_record(text, Some(first.header()), DuplicateKeys::Last).unwrap();
            let serde = by_serde(text, Some(first.header())).unwrap();
            assert_eq!(pairs(&fast), pairs(&serde), "{text}");
            assert!(!Arc::ptr_eq(first.header(), fast.header()), "{text}");
        }
    }

    #[test]
    fn keys_with_escapes_match_the_previous_header_only_by_their_text() {
        // Names that JSON writes escaped: a backslash, a quote, a control character.
        let first =
            parse_record(r#"{"a\\":1,"q\"":2,"t\t":3}"#, None, DuplicateKeys::Last).unwrap();
        let names = first.header().names().to_vec();
        assert_eq!(names, ["a\\", "q\"", "t\t"]);
        let again = parse_record(
            r#"{"a\\":4,"q\"":5,"t\t":6}"#,
            Some(first.header()),
            DuplicateKeys::Last,
        )
        .unwrap();
        assert!(Arc::ptr_eq(first.header(), again.header()));
        // Bytes that equal a name but are not that key: `a\` here starts an escape.
        for text in [r#"{"a\":1,"b":2}"#, r#"{"a\\\\":1}"#, r#"{"q"":1}"#] {
            let fast = parse_record(text, Some(first.header()), DuplicateKeys::Last);
            let serde = by_serde(text, Some(first.header()));
            assert_eq!(
                fast.as_ref().map(pairs),
                serde.as_ref().map(pairs),
                "{text}"
            );
        }
    }
}
