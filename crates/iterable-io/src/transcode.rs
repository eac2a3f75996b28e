//! Text in another encoding as UTF-8, through encoding_rs's streaming decoder.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use encoding_rs::{Decoder, Encoding};
use iterable_core::{Error, Result};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use crate::ByteReader;
use crate::peek::poll_read_buffered;

/// How much input one decode step takes.
const STEP: usize = 16 * 1024;

/// Wraps `reader` so that text in `encoding` (a WHATWG label such as `windows-1251`,
/// `latin1`, `utf-16le`) comes out as UTF-8. Characters split across reads are handled;
/// a byte order mark is handled as encoding_rs does (it wins over the label and is
/// removed); malformed sequences become U+FFFD. An unknown label is
/// [`Error::InvalidOption`].
pub fn transcode_to_utf8(reader: ByteReader, encoding: &str) -> Result<ByteReader> {
    let enc = Encoding::for_label(encoding.trim().as_bytes()).ok_or_else(|| {
        Error::InvalidOption(format!(
            "unknown encoding {encoding:?}: not a WHATWG encoding label (try utf-8, windows-1251, latin1, utf-16le)"
        ))
    })?;
    Ok(Box::new(Transcoder {
        inner: reader,
        decoder: enc.new_decoder(),
        out: Vec::new(),
        pos: 0,
        finished: false,
    }))
}

struct Transcoder {
    inner: ByteReader,
    decoder: Decoder,
    out: Vec<u8>,
    pos: usize,
    finished: bool,
}

impl AsyncBufRead for Transcoder {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.pos == this.out.len() && !this.finished {
            let input = ready!(Pin::new(&mut this.inner).poll_fill_buf(cx))?;
            let last = input.is_empty();
            let input = &input[..input.len().min(STEP)];
            let room = this
                .decoder
                .max_utf8_buffer_length(input.len())
                .unwrap_or(4 * STEP + 16);
            this.out.clear();
            this.out.resize(room, 0);
            this.pos = 0;
            let (_, read, written, _) = this.decoder.decode_to_utf8(input, &mut this.out, last);
            this.out.truncate(written);
            Pin::new(&mut this.inner).consume(read);
            this.finished = last;
        }
        Poll::Ready(Ok(&this.out[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.out.len());
    }
}

impl AsyncRead for Transcoder {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_buffered(self, cx, buf)
    }
}
