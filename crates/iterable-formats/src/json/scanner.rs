//! The byte-level scanner of a JSON document: a state machine (depth, in-string,
//! escape) that finds the row elements of the array, one buffer at a time.

use iterable_core::{ParseError, Position};

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Where the scanner is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Matching a byte order mark (this many bytes so far).
    Bom(usize),
    /// Expecting the top-level `[` or `{`.
    Start,
    /// After the top-level `{`: a key or `}`.
    ObjOpen,
    /// After a `,` in the top-level object: a key.
    ObjAfterComma,
    /// Inside a key of the top-level object.
    ObjKey,
    /// After a key: `:`.
    ObjColon,
    /// After `:`: the value.
    ObjValue,
    /// Scanning over a value of another key.
    ObjSkip,
    /// After a value: `,` or `}`.
    ObjNext,
    /// After the row array's `[`: an element or `]`.
    ArrOpen,
    /// After a `,` in the row array: an element.
    ArrAfterComma,
    /// Inside an element.
    ArrElem,
    /// After an element: `,` or `]`.
    ArrNext,
    /// Inside the top-level object read as one row.
    Single,
    /// After the document: whitespace only.
    Trailing,
}

/// What one call of [`Scanner::feed`] found.
pub(super) enum Event<'a> {
    /// The buffer is used up; read more.
    NeedMore,
    /// The bytes of one element (or of the single top-level object).
    Element(&'a [u8], Position),
    /// The document is malformed or truncated: yield and end.
    Fatal(ParseError),
    /// The document ended well.
    End,
}

/// Finds the row elements of a JSON document in a byte stream, one buffer at a time.
pub(super) struct Scanner {
    state: State,
    location: String,
    tag: Option<String>,
    /// The array being streamed is the tag's value.
    in_tag_array: bool,
    /// The tag's value was found.
    found: bool,
    /// The current key may still be the tag (not too long to be it).
    key_buf: Vec<u8>,
    key_overflow: bool,
    key_escape: bool,
    // The value being scanned.
    depth: u32,
    in_str: bool,
    escape: bool,
    scalar: bool,
    elem: Vec<u8>,
    elem_pos: Position,
    max_elem: usize,
    /// Offset of the current buffer's first byte in the decoded stream.
    base: u64,
    /// The current line (1-based) at the scan point.
    line: u64,
    /// Elements started so far.
    records: u64,
}

impl Scanner {
    pub(super) fn new(location: String, tag: Option<String>, max_elem: usize) -> Self {
        Scanner {
            state: State::Bom(0),
            location,
            tag,
            in_tag_array: false,
            found: false,
            key_buf: Vec::new(),
            key_overflow: false,
            key_escape: false,
            depth: 0,
            in_str: false,
            escape: false,
            scalar: false,
            elem: Vec::new(),
            elem_pos: Position::default(),
            max_elem,
            base: 0,
            line: 1,
            records: 0,
        }
    }

    /// The caller consumed `n` bytes of the buffer it passed to `feed`.
    pub(super) fn consumed(&mut self, n: usize) {
        self.base += n as u64;
    }

    /// The decoded bytes consumed so far.
    pub(super) fn consumed_total(&self) -> u64 {
        self.base
    }

    fn fatal(&self, buf: &[u8], at: usize, message: impl Into<String>) -> ParseError {
        let pos = Position {
            line: self.line,
            record: self.records,
            byte: self.base + at as u64,
        };
        // One byte: what follows depends on how the input was split into reads.
        let raw = &buf[at.min(buf.len())..buf.len().min(at + 1)];
        ParseError::new(&self.location, pos, message, raw)
    }

    fn tag_name(&self) -> &str {
        self.tag.as_deref().unwrap_or_default()
    }

    /// Whether the key just read is the tag.
    fn key_is_tag(&self) -> bool {
        let Some(tag) = self.tag.as_deref() else {
            return false;
        };
        if self.key_overflow {
            return false;
        }
        if !self.key_buf.contains(&b'\\') {
            return self.key_buf == tag.as_bytes();
        }
        let mut quoted = Vec::with_capacity(self.key_buf.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(&self.key_buf);
        quoted.push(b'"');
        serde_json::from_slice::<String>(&quoted).is_ok_and(|k| k == tag)
    }

    /// Starts scanning a value whose first byte is `b`, going to `state`.
    fn begin_value(
        &mut self,
        buf: &[u8],
        i: usize,
        state: State,
    ) -> std::result::Result<(), ParseError> {
        let b = buf[i];
        if matches!(b, b',' | b':' | b']' | b'}') {
            return Err(self.fatal(buf, i, format!("expected a value, found {:?}", b as char)));
        }
        self.depth = 0;
        self.in_str = false;
        self.escape = false;
        self.scalar = !matches!(b, b'{' | b'[' | b'"');
        self.elem.clear();
        if state == State::ArrElem {
            self.records += 1;
        }
        self.elem_pos = Position {
            line: self.line,
            record: self.records,
            byte: self.base + i as u64,
        };
        self.state = state;
        Ok(())
    }

    /// Scans the value in progress from `i`; the index just past its end when it ends
    /// in `buf`.
    fn scan_value(&mut self, buf: &[u8], mut i: usize) -> Option<usize> {
        if self.scalar {
            while i < buf.len() {
                match buf[i] {
                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b':' => return Some(i),
                    _ => i += 1,
                }
            }
            return None;
        }
        while i < buf.len() {
            if self.escape {
                self.escape = false;
                if buf[i] == b'\n' {
                    self.line += 1;
                }
                i += 1;
            } else if self.in_str {
                match memchr::memchr3(b'"', b'\\', b'\n', &buf[i..]) {
                    None => return None,
                    Some(k) => {
                        i += k;
                        match buf[i] {
                            b'"' => {
                                self.in_str = false;
                                i += 1;
                                if self.depth == 0 {
                                    return Some(i);
                                }
                            }
                            b'\\' => {
                                self.escape = true;
                                i += 1;
                            }
                            _ => {
                                self.line += 1;
                                i += 1;
                            }
                        }
                    }
                }
            } else {
                let b = buf[i];
                i += 1;
                match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(i);
                        }
                    }
                    b'\n' => self.line += 1,
                    _ => {}
                }
            }
        }
        None
    }

    /// Scans the key in progress from `i`; the index just past its closing quote when
    /// it ends in `buf`.
    fn scan_key(&mut self, buf: &[u8], mut i: usize) -> Option<usize> {
        let limit = self.tag.as_ref().map_or(0, |t| t.len() * 6 + 8);
        let start = i;
        let mut end = None;
        while i < buf.len() {
            let b = buf[i];
            if self.key_escape {
                self.key_escape = false;
            } else if b == b'\\' {
                self.key_escape = true;
            } else if b == b'"' {
                end = Some(i);
                break;
            }
            if b == b'\n' {
                self.line += 1;
            }
            i += 1;
        }
        let stop = end.unwrap_or(buf.len());
        if !self.key_overflow {
            if self.key_buf.len() + (stop - start) > limit {
                self.key_overflow = true;
                self.key_buf.clear();
            } else {
                self.key_buf.extend_from_slice(&buf[start..stop]);
            }
        }
        end.map(|e| e + 1)
    }

    /// After the row array's closing `]`.
    fn after_array(&mut self) {
        if self.in_tag_array {
            self.in_tag_array = false;
            self.found = true;
            self.state = State::ObjNext;
        } else {
            self.state = State::Trailing;
        }
    }

    /// Steps over `buf` until an element, an error or the end of the document; returns
    /// how many bytes of `buf` to consume and what was found. `eof`: `buf` is empty
    /// because the input ended. Returns `NeedMore` only when all of `buf` is consumed.
    pub(super) fn feed<'a>(&'a mut self, buf: &'a [u8], eof: bool) -> (usize, Event<'a>) {
        let mut i = 0;
        loop {
            match self.state {
                State::ArrElem | State::Single | State::ObjSkip => {
                    let keep = self.state != State::ObjSkip;
                    let start = i;
                    let end = self.scan_value(buf, i);
                    let stop = end.unwrap_or(buf.len());
                    if keep && self.elem.len() + (stop - start) > self.max_elem {
                        let message =
                            iterable_core::limits::record_too_large("element", self.max_elem);
                        let pos = self.elem_pos;
                        let take = self.max_elem.saturating_sub(self.elem.len());
                        let raw = if self.elem.is_empty() {
                            &buf[start..start + take]
                        } else {
                            self.elem.extend_from_slice(&buf[start..start + take]);
                            &self.elem[..]
                        };
                        return (
                            stop,
                            Event::Fatal(ParseError::new(&self.location, pos, message, raw)),
                        );
                    }
                    let Some(end) = end else {
                        if keep {
                            self.elem.extend_from_slice(&buf[start..]);
                        }
                        if eof {
                            return (buf.len(), Event::Fatal(self.truncated(buf)));
                        }
                        return (buf.len(), Event::NeedMore);
                    };
                    i = end;
                    self.state = match self.state {
                        State::ArrElem => State::ArrNext,
                        State::Single => State::Trailing,
                        _ => State::ObjNext,
                    };
                    if keep {
                        let pos = self.elem_pos;
                        let bytes = if self.elem.is_empty() {
                            &buf[start..end]
                        } else {
                            self.elem.extend_from_slice(&buf[start..end]);
                            &self.elem[..]
                        };
                        return (i, Event::Element(bytes, pos));
                    }
                }
                State::ObjKey => match self.scan_key(buf, i) {
                    Some(end) => {
                        i = end;
                        self.state = State::ObjColon;
                    }
                    None if eof => return (buf.len(), Event::Fatal(self.truncated(buf))),
                    None => return (buf.len(), Event::NeedMore),
                },
                State::Bom(matched) => {
                    if i == buf.len() {
                        if eof {
                            return (
                                i,
                                Event::Fatal(self.fatal(
                                    buf,
                                    i,
                                    "empty document: expected a JSON array or object",
                                )),
                            );
                        }
                        return (i, Event::NeedMore);
                    }
                    if buf[i] == BOM[matched] {
                        i += 1;
                        self.state = if matched + 1 == BOM.len() {
                            State::Start
                        } else {
                            State::Bom(matched + 1)
                        };
                    } else if matched == 0 {
                        self.state = State::Start;
                    } else {
                        return (
                            i,
                            Event::Fatal(self.fatal(buf, i, "invalid byte order mark")),
                        );
                    }
                }
                state => {
                    // Structural: skip whitespace, then look at one byte.
                    while i < buf.len() {
                        match buf[i] {
                            b' ' | b'\t' | b'\r' => i += 1,
                            b'\n' => {
                                self.line += 1;
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    if i == buf.len() {
                        if !eof {
                            return (i, Event::NeedMore);
                        }
                        return match state {
                            State::Trailing => (i, Event::End),
                            State::Start => (
                                i,
                                Event::Fatal(self.fatal(
                                    buf,
                                    i,
                                    "empty document: expected a JSON array or object",
                                )),
                            ),
                            _ => (i, Event::Fatal(self.truncated(buf))),
                        };
                    }
                    if let Err(e) = self.structural(buf, &mut i, state) {
                        return (i, Event::Fatal(e));
                    }
                }
            }
        }
    }

    /// Handles the structural byte `buf[*i]` in `state`.
    fn structural(
        &mut self,
        buf: &[u8],
        i: &mut usize,
        state: State,
    ) -> std::result::Result<(), ParseError> {
        let b = buf[*i];
        match (state, b) {
            (State::Start, b'[') if self.tag.is_some() => Err(self.fatal(
                buf,
                *i,
                format!(
                    "expected a top-level object holding the key {:?}, found an array",
                    self.tag_name()
                ),
            )),
            (State::Start, b'[') => {
                *i += 1;
                self.state = State::ArrOpen;
                Ok(())
            }
            (State::Start, b'{') if self.tag.is_some() => {
                *i += 1;
                self.state = State::ObjOpen;
                Ok(())
            }
            (State::Start, b'{') => {
                self.records = 1;
                self.begin_value(buf, *i, State::Single)
            }
            (State::Start, _) => {
                Err(self.fatal(buf, *i, "expected a JSON array or object at the top level"))
            }
            (State::ArrOpen, b']') | (State::ArrNext, b']') => {
                *i += 1;
                self.after_array();
                Ok(())
            }
            (State::ArrAfterComma, b']') => Err(self.fatal(buf, *i, "trailing comma in the array")),
            (State::ArrOpen | State::ArrAfterComma, _) => self.begin_value(buf, *i, State::ArrElem),
            (State::ArrNext, b',') => {
                *i += 1;
                self.state = State::ArrAfterComma;
                Ok(())
            }
            (State::ArrNext, _) => {
                Err(self.fatal(buf, *i, "expected ',' or ']' after an array element"))
            }
            (State::ObjOpen | State::ObjAfterComma, b'"') => {
                *i += 1;
                self.key_buf.clear();
                self.key_overflow = false;
                self.key_escape = false;
                self.state = State::ObjKey;
                Ok(())
            }
            (State::ObjOpen, b'}') | (State::ObjNext, b'}') => {
                if !self.found {
                    let message = format!(
                        "key {:?} not found in the top-level object",
                        self.tag_name()
                    );
                    return Err(self.fatal(buf, *i, message));
                }
                *i += 1;
                self.state = State::Trailing;
                Ok(())
            }
            (State::ObjOpen | State::ObjAfterComma, _) => {
                Err(self.fatal(buf, *i, "expected a key in the top-level object"))
            }
            (State::ObjColon, b':') => {
                *i += 1;
                self.state = State::ObjValue;
                Ok(())
            }
            (State::ObjColon, _) => Err(self.fatal(buf, *i, "expected ':' after a key")),
            (State::ObjValue, _) if !self.found && self.key_is_tag() => {
                if b != b'[' {
                    let message =
                        format!("the value of the key {:?} is not an array", self.tag_name());
                    return Err(self.fatal(buf, *i, message));
                }
                *i += 1;
                self.in_tag_array = true;
                self.state = State::ArrOpen;
                Ok(())
            }
            (State::ObjValue, _) => self.begin_value(buf, *i, State::ObjSkip),
            (State::ObjNext, b',') => {
                *i += 1;
                self.state = State::ObjAfterComma;
                Ok(())
            }
            (State::ObjNext, _) => {
                Err(self.fatal(buf, *i, "expected ',' or '}' in the top-level object"))
            }
            (State::Trailing, _) => {
                Err(self.fatal(buf, *i, "unexpected data after the end of the document"))
            }
            (
                State::Bom(_) | State::ObjKey | State::ObjSkip | State::ArrElem | State::Single,
                _,
            ) => {
                unreachable!("not a structural state")
            }
        }
    }

    fn truncated(&self, buf: &[u8]) -> ParseError {
        let what = match self.state {
            State::ObjOpen
            | State::ObjAfterComma
            | State::ObjKey
            | State::ObjColon
            | State::ObjValue
            | State::ObjSkip
            | State::ObjNext => "the top-level object",
            State::Single => "the object",
            _ => "the array",
        };
        self.fatal(
            buf,
            buf.len(),
            format!("unexpected end of input inside {what} (truncated document?)"),
        )
    }
}
