//! The fast path's record splitter: where the fields of a plain record lie.
//!
//! A plain record is whole in the input (it ends with LF or CRLF outside quotes), holds
//! no CR outside quotes but before its LF, and its quoted fields (if any) are quoted
//! whole, with no escape inside (doubled quotes and line ends inside are fine). Such a
//! record is split in one pass, 64 bytes at a time: SIMD compares give a bit mask of
//! where the delimiters, quotes, CRs and LFs lie, and a second mask of the bytes that
//! are not ASCII, so that a record of ASCII needs no UTF-8 check. Large blocks matter:
//! the loop over a block's bits ends at an unforeseeable point, once per block. The
//! fields found are exactly the ones csv-core would give; anything else is left to
//! csv-core.

/// What [`split`] found: the record without its terminator is `input[..body]`, with it
/// `input[..len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PlainRecord {
    pub(super) body: usize,
    pub(super) len: usize,
    /// LFs inside quoted fields (the record spans this many lines more than one).
    pub(super) newlines: u64,
    /// Bit `i` is set when field `i` holds doubled quotes, each one quote of its text.
    pub(super) escaped: u64,
    /// Every byte of the body is ASCII (so the body is UTF-8).
    pub(super) ascii: bool,
}

impl PlainRecord {
    /// The body of the record found at the start of `input`, if it is UTF-8.
    pub(super) fn text(self, input: &[u8]) -> Option<&str> {
        let body = &input[..self.body];
        if self.ascii {
            // SAFETY: every byte of `body` is ASCII, so it is UTF-8.
            Some(unsafe { std::str::from_utf8_unchecked(body) })
        } else {
            simdutf8::basic::from_utf8(body).ok()
        }
    }
}

/// The bytes that shape a record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Specials {
    pub(super) delimiter: u8,
    pub(super) quote: u8,
    pub(super) escape: Option<u8>,
    /// A doubled quote inside quotes stands for one quote.
    pub(super) double_quote: bool,
}

/// Splits the record at the start of `input`, putting field `i` at `spans[i]`
/// (`input[start..end]`); `None` when the record is not plain (or not whole).
#[inline(always)] // into the parser's loop (measured faster on the peer CSV)
pub(super) fn split(
    input: &[u8],
    specials: Specials,
    spans: &mut Vec<(usize, usize)>,
) -> Option<PlainRecord> {
    let Specials {
        delimiter, quote, ..
    } = specials;
    spans.clear();
    // The field being read starts at `at`; `quoted` while inside its quotes.
    let mut at = 0;
    let mut quoted = false;
    let mut newlines = 0;
    let mut escaped = 0;
    let mut non_ascii = false;
    // The hits of the next block to pass over (the second quote of a doubled one).
    let mut carried = 0;
    let mut base = 0;
    while base < input.len() {
        let (mut hits, high) = match input.get(base..base + BLOCK) {
            Some(block) => classify(block.try_into().ok()?, delimiter, quote),
            None => classify_tail(&input[base..], delimiter, quote),
        };
        hits &= !std::mem::take(&mut carried);
        while hits != 0 {
            let i = base + hits.trailing_zeros() as usize;
            hits &= hits - 1;
            let b = input[i];
            if quoted {
                if b != quote {
                    // a delimiter or line end inside the quotes
                    newlines += u64::from(b == b'\n');
                    continue;
                }
                if specials.double_quote && input.get(i + 1) == Some(&quote) {
                    // A doubled quote: text, and its second quote is no hit of its own.
                    escaped |= 1u64.checked_shl(spans.len() as u32)?;
                    match i + 1 - base {
                        BLOCK => carried = 1,
                        bit => hits &= !(1 << bit),
                    }
                    continue;
                }
                let field = (at + 1, i);
                if specials
                    .escape
                    .is_some_and(|e| input[field.0..field.1].contains(&e))
                {
                    return None;
                }
                match input.get(i + 1) {
                    Some(&next) if next == delimiter || next == b'\n' || next == b'\r' => {}
                    _ => return None, // text after the quote
                }
                spans.push(field);
                quoted = false;
                at = i + 2; // past the quote and the delimiter (skipped below)
            } else if b == b'\n' || b == b'\r' {
                let len = match b {
                    b'\n' => i + 1,
                    _ if input.get(i + 1) == Some(&b'\n') => i + 2,
                    _ => return None, // a CR that does not end the record
                };
                let before = (1u64 << (i - base)) - 1;
                non_ascii |= high & before != 0;
                if at <= i {
                    spans.push((at, i));
                }
                return Some(PlainRecord {
                    body: i,
                    len,
                    newlines,
                    escaped,
                    ascii: !non_ascii,
                });
            } else if i < at {
                // the delimiter right after a closing quote
            } else if b == quote {
                if i != at {
                    return None; // a quote inside an unquoted field
                }
                quoted = true;
            } else {
                spans.push((at, i));
                at = i + 1;
            }
        }
        non_ascii |= high != 0;
        base += BLOCK;
    }
    None // no record end in the input
}

/// How many bytes [`classify`] looks at.
const BLOCK: usize = 64;

/// Bit `i` of the first mask is set where `block[i]` is the delimiter, the quote, CR
/// or LF; of the second, where it is not ASCII.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify(block: &[u8; BLOCK], delimiter: u8, quote: u8) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut hits = 0;
    let mut high = 0;
    for (i, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86_64 target, so its intrinsics may be
        // called; `lane` is 16 readable bytes, and the load has no alignment
        // requirement.
        let (lane_hits, lane_high) = unsafe {
            let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let is = |b: u8| _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b as i8));
            let special = _mm_or_si128(
                _mm_or_si128(is(delimiter), is(quote)),
                _mm_or_si128(is(b'\n'), is(b'\r')),
            );
            (_mm_movemask_epi8(special), _mm_movemask_epi8(bytes))
        };
        hits |= u64::from(lane_hits as u16) << (16 * i);
        high |= u64::from(lane_high as u16) << (16 * i);
    }
    (hits, high)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify(block: &[u8; BLOCK], delimiter: u8, quote: u8) -> (u64, u64) {
    classify_tail(block, delimiter, quote)
}

/// [`classify`] one byte at a time, for the last bytes of the input (fewer than a
/// block) and targets without the SIMD version.
fn classify_tail(bytes: &[u8], delimiter: u8, quote: u8) -> (u64, u64) {
    let mut hits = 0;
    let mut high = 0;
    for (i, &b) in bytes.iter().enumerate().take(BLOCK) {
        let special = b == delimiter || b == quote || b == b'\n' || b == b'\r';
        hits |= u64::from(special) << i;
        high |= u64::from(!b.is_ascii()) << i;
    }
    (hits, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: Specials = Specials {
        delimiter: b',',
        quote: b'"',
        escape: None,
        double_quote: true,
    };

    /// The fields' text: each span of `line`, its doubled quotes made one if escaped.
    fn texts(line: &[u8], spans: &[(usize, usize)], escaped: u64) -> Vec<Vec<u8>> {
        spans
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| {
                let field = String::from_utf8_lossy(&line[s..e]);
                match escaped >> i & 1 {
                    1 => field.replace("\"\"", "\"").into_bytes(),
                    _ => field.into_owned().into_bytes(),
                }
            })
            .collect()
    }

    fn fields(line: &str) -> Option<(Vec<String>, usize, bool)> {
        let mut spans = Vec::new();
        let found = split(line.as_bytes(), CSV, &mut spans)?;
        let fields = texts(line.as_bytes(), &spans, found.escaped)
            .into_iter()
            .map(|f| String::from_utf8(f).unwrap())
            .collect();
        Some((fields, found.len, found.ascii))
    }

    #[test]
    fn plain_records_are_split_like_csv_core() {
        let strings = |fields: &[&str]| fields.iter().map(|&f| f.to_owned()).collect();
        assert_eq!(
            fields("a,b,c\nnext"),
            Some((strings(&["a", "b", "c"]), 6, true))
        );
        assert_eq!(fields("a,,\r\n"), Some((strings(&["a", "", ""]), 5, true)));
        assert_eq!(
            fields("\"x, y\",2,\"\"\n"),
            Some((strings(&["x, y", "2", ""]), 12, true))
        );
        assert_eq!(fields("1,\"q\"\r\n"), Some((strings(&["1", "q"]), 7, true)));
        // Long lines cross several blocks; non-ASCII text is flagged.
        let long = format!("{},ü,{}\n", "x".repeat(70), "y".repeat(70));
        let (got, len, ascii) = fields(&long).unwrap();
        assert_eq!(got, ["x".repeat(70), "ü".into(), "y".repeat(70)]);
        assert_eq!((len, ascii), (long.len(), false));
        // Non-ASCII after the line end does not count.
        assert_eq!(fields("a\nü"), Some((strings(&["a"]), 2, true)));
        // Line ends inside quotes are text, and their LFs are counted.
        let record = "\"a\nb\",\"c\r\nd\r\",e\r\nnext\n";
        let mut spans = Vec::new();
        let found = split(record.as_bytes(), CSV, &mut spans).unwrap();
        let got: Vec<&str> = spans.iter().map(|&(s, e)| &record[s..e]).collect();
        assert_eq!(got, ["a\nb", "c\r\nd\r", "e"]);
        assert_eq!((found.len, found.newlines), (17, 2));
        // Doubled quotes are one quote each, also where a block ends between them.
        assert_eq!(
            fields("1,\"say \"\"hi\"\"\",\"\"\"\"\"\"\n"),
            Some((
                vec!["1".into(), "say \"hi\"".into(), "\"\"".into()],
                22,
                true
            ))
        );
        for cut in 58..66 {
            let line = format!("{},\"{}\"\"{}\"\n", "x".repeat(cut), "a", "b");
            let (got, ..) = fields(&line).unwrap();
            assert_eq!(got, ["x".repeat(cut), "a\"b".to_owned()], "{cut}");
        }
    }

    #[test]
    fn anything_else_is_left_to_csv_core() {
        for line in [
            "a,b",                // no line end
            "a\rb\n",             // a lone CR
            "\"a\"b,c\n",         // text after a closing quote
            "a\"b,c\n",           // a quote inside an unquoted field
            "\"a,b\r\n",          // quotes open at the input's end
            "\"abcdefghijklmnop", // quotes open at the input's end
        ] {
            assert_eq!(fields(line), None, "{line:?}");
        }
        let escaped = Specials {
            escape: Some(b'\\'),
            double_quote: false,
            ..CSV
        };
        assert_eq!(split(b"\"a\\\"\",b\n", escaped, &mut Vec::new()), None);
        // Doubled quotes are marked for the first 64 fields only.
        let many = format!("{}\"a\"\"b\"\n", "x,".repeat(64));
        assert_eq!(split(many.as_bytes(), CSV, &mut Vec::new()), None);
        let fewer = format!("{}\"a\"\"b\"\n", "x,".repeat(63));
        assert_eq!(fields(&fewer).unwrap().0[63], "a\"b");
    }

    /// A xorshift generator: the same numbers on every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// What csv-core makes of the first record of `input`: its fields and the bytes
    /// it took (terminator included).
    fn csv_core_record(input: &[u8]) -> (Vec<Vec<u8>>, usize) {
        let mut core = csv_core::ReaderBuilder::new()
            .terminator(csv_core::Terminator::CRLF)
            .build();
        let (mut out, mut ends) = (vec![0; 1024], vec![0; 128]);
        let (result, used, _, nends) = core.read_record(input, &mut out, &mut ends);
        assert_eq!(result, csv_core::ReadRecordResult::Record, "{input:?}");
        let mut start = 0;
        let fields = ends[..nends]
            .iter()
            .map(|&end| {
                let field = out[start..end].to_vec();
                start = end;
                field
            })
            .collect();
        (fields, used)
    }

    #[test]
    fn random_plain_records_give_csv_cores_fields() {
        // Mostly plain records, with every special byte now and then.
        let pieces: [&[u8]; 10] = [
            b",",
            b"\"",
            b"\r",
            b"\n",
            b"\r\n",
            b"abc",
            b"x",
            "ü".as_bytes(),
            b" ",
            b"\"q,q\"",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut plain = 0;
        for _ in 0..20_000 {
            let mut line = Vec::new();
            let len = next(&mut state) % 40;
            for _ in 0..len {
                line.extend_from_slice(pieces[(next(&mut state) % 10) as usize]);
            }
            line.extend_from_slice(if next(&mut state).is_multiple_of(2) {
                b"\n"
            } else {
                b"\r\n"
            });
            if line[0] == b'\n' || line[0] == b'\r' {
                continue; // line ends before a record are skipped, not split
            }
            let mut spans = Vec::new();
            let Some(found) = split(&line, CSV, &mut spans) else {
                continue;
            };
            plain += 1;
            let (fields, used) = csv_core_record(&line);
            let ours = texts(&line, &spans, found.escaped);
            assert_eq!(ours, fields, "{:?}", String::from_utf8_lossy(&line));
            // csv-core stops at the CR of a CRLF; the LF after it is skipped later.
            let terminator = usize::from(line[..found.len].ends_with(b"\r\n"));
            assert_eq!(found.len, used + terminator, "{line:?}");
            assert_eq!(found.ascii, line[..found.body].is_ascii());
            let lfs = line[..found.body].iter().filter(|&&b| b == b'\n').count();
            assert_eq!(found.newlines, lfs as u64);
        }
        assert!(plain > 2_000, "only {plain} plain records were tried");
    }

    #[test]
    fn the_simd_masks_match_the_bytewise_ones() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let alphabet = b",\"\r\na\xc3\xbc \t|";
        for _ in 0..2000 {
            let mut block = [0u8; BLOCK];
            for b in &mut block {
                *b = alphabet[(next(&mut state) % alphabet.len() as u64) as usize];
            }
            for (delimiter, quote) in [(b',', b'"'), (b'\t', b'\''), (b'|', b'"')] {
                assert_eq!(
                    classify(&block, delimiter, quote),
                    classify_tail(&block, delimiter, quote)
                );
            }
        }
    }
}
