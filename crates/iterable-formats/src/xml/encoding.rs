//! The text encoding of an XML document, found as the XML specification says (a byte
//! order mark, the first characters' bytes, then the declaration's `encoding`), and a
//! reader that turns any other encoding into UTF-8 before the parser, which reads
//! UTF-8 only.

use std::io::{self, BufRead, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// How far into the input the declaration is looked for.
const DECLARATION_MAX: usize = 1024;

/// `input` as UTF-8: as it is when it is UTF-8 (or ASCII), else decoded. An encoding
/// name the declaration gives that is not known is an error.
pub(super) fn utf8_input<R: BufRead + 'static>(mut input: R) -> Result<Box<dyn BufRead>, String> {
    let mut head = Vec::new();
    // The first bytes, up to the end of the declaration (or its limit, or the input's).
    loop {
        let buf = input.fill_buf().map_err(|e| e.to_string())?;
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min(DECLARATION_MAX - head.len());
        head.extend_from_slice(&buf[..take]);
        input.consume(take);
        if head.len() >= DECLARATION_MAX || head.contains(&b'>') {
            break;
        }
    }
    let encoding = encoding_of(&head)?;
    let whole = io::Cursor::new(head).chain(input);
    if encoding == UTF_8 {
        return Ok(Box::new(whole));
    }
    Ok(Box::new(io::BufReader::new(Decoded {
        inner: whole,
        decoder: encoding.new_decoder_with_bom_removal(),
        encoding,
        input: vec![0; 8192],
        start: 0,
        end: 0,
        eof: false,
        decoded: 0,
    })))
}

/// The encoding of a document that starts with `head`.
fn encoding_of(head: &[u8]) -> Result<&'static Encoding, String> {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return Ok(encoding);
    }
    // `<?` in UTF-16 without a byte order mark.
    if head.starts_with(b"<\0?\0") {
        return Ok(UTF_16LE);
    }
    if head.starts_with(b"\0<\0?") {
        return Ok(UTF_16BE);
    }
    let Some(rest) = head.strip_prefix(b"<?xml") else {
        return Ok(UTF_8);
    };
    let declaration = match rest.windows(2).position(|w| w == b"?>") {
        Some(end) => &rest[..end],
        None => rest,
    };
    let Some(at) = declaration.windows(8).position(|w| w == b"encoding") else {
        return Ok(UTF_8);
    };
    let value = declaration[at + 8..].trim_ascii_start();
    let Some(value) = value.strip_prefix(b"=") else {
        return Ok(UTF_8);
    };
    let value = value.trim_ascii_start();
    let Some((&quote, value)) = value.split_first() else {
        return Ok(UTF_8);
    };
    if quote != b'"' && quote != b'\'' {
        return Ok(UTF_8);
    }
    let label = match value.iter().position(|&b| b == quote) {
        Some(end) => &value[..end],
        None => value,
    };
    match Encoding::for_label(label) {
        // A UTF-16 declaration in a document whose bytes are ASCII-compatible (no BOM,
        // no NULs) is a mislabel: the bytes say UTF-8.
        Some(e) if e == UTF_16LE || e == UTF_16BE => Ok(UTF_8),
        Some(e) => Ok(e.output_encoding()),
        None => Err(format!(
            "the XML declaration names the encoding {:?}, which is not known",
            String::from_utf8_lossy(label)
        )),
    }
}

/// A reader of UTF-8 decoded from `inner`'s bytes in `encoding`; bytes that are not
/// valid in it are an error naming the offset.
struct Decoded<R> {
    inner: R,
    decoder: Decoder,
    encoding: &'static Encoding,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Input bytes decoded so far.
    decoded: u64,
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.eof = self.end == 0;
            }
            if out.len() < 4 {
                // Room for any one character; callers here read into large buffers.
                return Err(io::Error::other(
                    "the read buffer is too small to decode into",
                ));
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                out,
                self.eof,
            );
            self.start += read;
            self.decoded += read as u64;
            match result {
                DecoderResult::Malformed(bad, _) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "bytes not valid in {} at byte {}",
                            self.encoding.name(),
                            self.decoded.saturating_sub(u64::from(bad))
                        ),
                    ));
                }
                _ if written > 0 || self.eof => return Ok(written),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String, String> {
        let mut text = String::new();
        utf8_input(io::Cursor::new(bytes.to_vec()))?
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        Ok(text)
    }

    #[test]
    fn the_declared_encoding_and_utf16_are_decoded() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>Z\xfcrich</r>";
        assert!(decode(latin1).unwrap().ends_with("<r>Zürich</r>"));
        let text = "<?xml version=\"1.0\"?><r>Zoë</r>";
        let mut le: Vec<u8> = vec![0xff, 0xfe];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&le).unwrap(), text);
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&be).unwrap(), text);
        assert_eq!(decode(b"<r>plain</r>").unwrap(), "<r>plain</r>");
    }

    #[test]
    fn an_unknown_encoding_or_bad_bytes_are_errors() {
        let err = decode(b"<?xml version='1.0' encoding='klingon'?><r/>").unwrap_err();
        assert!(err.contains("\"klingon\", which is not known"), "{err}");
        let mut bad: Vec<u8> = vec![0xff, 0xfe];
        bad.extend("<r>".encode_utf16().flat_map(u16::to_le_bytes));
        bad.extend([0x00, 0xd8, b'x', 0]); // an unpaired surrogate
        let err = decode(&bad).unwrap_err();
        assert!(err.contains("not valid in UTF-16LE"), "{err}");
    }
}
