//! The characters of a YAML stream, decoded from bytes as they arrive: UTF-8, or UTF-16
//! by its byte order mark (the encodings YAML allows that occur in practice). Bytes
//! that are not valid in the encoding are an error naming their offset, never
//! replaced.

use std::io::{self, BufRead};

use encoding_rs::{Decoder, DecoderResult, UTF_8};
use granit_parser::{ErrorKind, InputIoError};

/// A fallible iterator of the characters of `input`, for granit-parser.
pub(super) struct DecodedChars<R> {
    input: R,
    decoder: Decoder,
    text: String,
    pos: usize,
    /// Input bytes decoded so far.
    decoded: u64,
    done: bool,
}

impl<R: BufRead> DecodedChars<R> {
    pub fn new(input: R) -> Self {
        DecodedChars {
            input,
            decoder: UTF_8.new_decoder(),
            text: String::new(),
            pos: 0,
            decoded: 0,
            done: false,
        }
    }

    /// Decodes the next chunk of bytes into `text`; `false` at the end.
    fn refill(&mut self) -> Result<bool, io::Error> {
        self.text.clear();
        self.pos = 0;
        while self.text.is_empty() {
            let chunk = self.input.fill_buf()?;
            let last = chunk.is_empty();
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(chunk.len())
                .unwrap_or(chunk.len() * 3 + 16);
            self.text.reserve(room);
            let (result, read) =
                self.decoder
                    .decode_to_string_without_replacement(chunk, &mut self.text, last);
            self.input.consume(read);
            self.decoded += read as u64;
            if let DecoderResult::Malformed(bad, after) = result {
                let at = self.decoded - u64::from(bad) - u64::from(after);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the input is not valid {} at byte {at}",
                        self.decoder.encoding().name()
                    ),
                ));
            }
            if last {
                return Ok(!self.text.is_empty());
            }
        }
        Ok(true)
    }
}

impl<R: BufRead> Iterator for DecodedChars<R> {
    type Item = Result<char, ErrorKind>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.pos == self.text.len() {
            match self.refill() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(ErrorKind::InputIo {
                        error: InputIoError::from(e),
                    }));
                }
            }
        }
        let c = self.text[self.pos..].chars().next()?;
        self.pos += c.len_utf8();
        Some(Ok(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String, String> {
        // One byte at a time, so that every sequence is split.
        let reader = io::BufReader::with_capacity(1, bytes);
        DecodedChars::new(reader)
            .map(|c| c.map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn utf8_and_utf16_by_their_byte_order_marks() {
        assert_eq!(decode("a: é€😀".as_bytes()).unwrap(), "a: é€😀");
        assert_eq!(decode(b"\xef\xbb\xbfa: 1").unwrap(), "a: 1");
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("a: é".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&le).unwrap(), "a: é");
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("b: €".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be).unwrap(), "b: €");
    }

    #[test]
    fn bad_bytes_are_an_error_at_their_offset() {
        let err = decode(b"a: 1\nb: \xff\n").unwrap_err();
        assert!(err.contains("not valid UTF-8 at byte 8"), "{err}");
        let err = decode(b"a: \xe2\x82").unwrap_err();
        assert!(err.contains("not valid UTF-8 at byte 3"), "{err}");
    }
}
