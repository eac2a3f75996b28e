//! [`Metered`]: a reader that counts the bytes its parser takes since the current
//! record began and fails once they pass the record size limit. A parser on the
//! blocking bridge that buffers a whole value before handing it over (quick-xml's text
//! events, a YAML document) is thereby bounded by `max_record_bytes` instead of by the
//! input's size.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// The count behind a [`Metered`] reader, kept by the code that drives the parser.
#[derive(Debug)]
pub struct RecordMeter {
    max: u64,
    used: Cell<u64>,
    total: Cell<u64>,
    record_start: Cell<u64>,
    exceeded: Cell<bool>,
    lines: Cell<u64>,
}

impl RecordMeter {
    /// A meter for records of at most `max` bytes.
    pub fn new(max: usize) -> Rc<Self> {
        Rc::new(RecordMeter {
            max: max.max(1) as u64,
            used: Cell::new(0),
            total: Cell::new(0),
            record_start: Cell::new(0),
            exceeded: Cell::new(false),
            lines: Cell::new(0),
        })
    }

    /// A new record begins: the count starts from zero.
    pub fn restart(&self) {
        self.used.set(0);
        self.record_start.set(self.total.get());
    }

    /// True once a record passed the limit (the reader then fails every call).
    pub fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// The limit, in bytes.
    pub fn max(&self) -> usize {
        self.max as usize
    }

    /// The line feeds in the bytes the parser consumed (through [`BufRead::consume`]):
    /// the 1-based line of the next byte is this plus one.
    pub fn lines(&self) -> u64 {
        self.lines.get()
    }

    /// The offset, in the bytes read, at which the current record began.
    pub fn record_start(&self) -> u64 {
        self.record_start.get()
    }

    fn take(&self, n: usize) {
        self.used.set(self.used.get() + n as u64);
        self.total.set(self.total.get() + n as u64);
    }

    fn check(&self) -> io::Result<()> {
        if self.used.get() > self.max {
            self.exceeded.set(true);
            return Err(io::Error::other(format!(
                "record longer than max_record_bytes ({} bytes)",
                self.max
            )));
        }
        Ok(())
    }
}

/// `inner`, counted by a [`RecordMeter`].
pub struct Metered<R> {
    inner: R,
    meter: Rc<RecordMeter>,
}

impl<R> Metered<R> {
    /// `inner` counted by `meter`.
    pub fn new(inner: R, meter: Rc<RecordMeter>) -> Self {
        Metered { inner, meter }
    }

    /// The reader counted.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.meter.check()?;
        let n = self.inner.read(out)?;
        self.meter.take(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Metered<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.meter.check()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        // The bytes being consumed are still at the front of the buffer: counting
        // their line feeds costs no read.
        if let Ok(buf) = self.inner.fill_buf() {
            let seen = &buf[..n.min(buf.len())];
            let lines = memchr::memchr_iter(b'\n', seen).count() as u64;
            self.meter.lines.set(self.meter.lines.get() + lines);
        }
        self.meter.take(n);
        self.inner.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_past_the_limit_fails_the_next_read() {
        let meter = RecordMeter::new(10);
        let mut input = Metered::new(io::Cursor::new(vec![b'x'; 100]), meter.clone());
        let mut buf = [0u8; 8];
        assert_eq!(input.read(&mut buf).unwrap(), 8);
        meter.restart();
        assert_eq!(meter.record_start(), 8);
        input.read_exact(&mut buf).unwrap();
        assert_eq!(input.read(&mut buf).unwrap(), 8); // 16 used: over, seen next call
        assert!(!meter.exceeded());
        let err = input.read(&mut buf).unwrap_err();
        assert!(meter.exceeded());
        assert!(err.to_string().contains("max_record_bytes (10 bytes)"));
    }
}
