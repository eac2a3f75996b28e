//! YAML documents built from granit-parser's events into [`Value`]s, one document at a
//! time, without recursion: scalars resolved by the core schema (`scalar.rs`), anchors
//! and aliases (an alias copies its anchor's value, and the copies of one document
//! may hold at most `max_record_bytes / 32` values, so an alias bomb is an error, not
//! gigabytes), merge keys (`<<: *base`), nesting up to [`MAX_NESTING_DEPTH`], and
//! repeated keys by [`DuplicateKeys`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use iterable_core::{DuplicateKeys, HeaderBuilder, MAX_NESTING_DEPTH, Row, Value};

use super::scalar;

/// Why a document could not be built.
#[derive(Debug)]
pub(super) enum DocumentError {
    /// The parser refused the text (or its input failed).
    Syntax(ScanError),
    /// The text parsed, but its content is refused; at `line`, (1-based) and the
    /// character `index`.
    Content {
        message: String,
        line: usize,
        index: usize,
    },
}

/// A collection being built.
enum Open {
    List {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        names: HeaderBuilder,
        values: Vec<Value>,
        /// The key read, waiting for its value; `<<` (plain) is a merge.
        key: Option<Key>,
        merges: Vec<Value>,
        anchor: usize,
    },
}

enum Key {
    Name(String),
    Merge,
}

/// Builds the documents of one stream.
pub(super) struct Documents<'p, I> {
    parser: &'p mut I,
    anchors: HashMap<usize, Value>,
    duplicates: DuplicateKeys,
    /// How many values the aliases of one document may copy in all.
    max_copied: u64,
    copied: u64,
}

impl<'p, 'input, I> Documents<'p, I>
where
    I: Iterator<Item = Result<(Event<'input>, Span), ScanError>>,
{
    pub fn new(parser: &'p mut I, duplicates: DuplicateKeys, max_record_bytes: usize) -> Self {
        Documents {
            parser,
            anchors: HashMap::new(),
            duplicates,
            max_copied: (max_record_bytes / size_of::<Value>().max(1)) as u64,
            copied: 0,
        }
    }

    /// The next document's value (`Null` for an empty one), or `None` at the end.
    pub fn next_document(&mut self) -> Result<Option<Value>, DocumentError> {
        let mut stack: Vec<Open> = Vec::new();
        let mut root: Option<Value> = None;
        loop {
            let Some(event) = self.parser.next() else {
                return Ok(None);
            };
            let (event, span) = event.map_err(DocumentError::Syntax)?;
            let at = |message: String| DocumentError::Content {
                message,
                line: span.start.line(),
                index: span.start.index(),
            };
            match event {
                Event::StreamStart => {}
                Event::StreamEnd => return Ok(None),
                Event::DocumentStart(..) => {
                    stack.clear();
                    root = None;
                    self.anchors.clear();
                    self.copied = 0;
                }
                Event::DocumentEnd => return Ok(Some(root.take().unwrap_or(Value::Null))),
                Event::Scalar(text, style, anchor, tag) => {
                    let tag = tag.as_deref();
                    let awaiting_key = matches!(stack.last(), Some(Open::Map { key: None, .. }));
                    if awaiting_key {
                        if anchor != 0 {
                            let value = scalar::resolve(&text, style, tag).map_err(at)?;
                            self.anchors.insert(anchor, value);
                        }
                        let key = if style == ScalarStyle::Plain && text == "<<" && tag.is_none() {
                            Key::Merge
                        } else {
                            Key::Name(text.into_owned())
                        };
                        set_key(&mut stack, key);
                        continue;
                    }
                    let value = scalar::resolve(&text, style, tag).map_err(at)?;
                    if anchor != 0 {
                        self.anchors.insert(anchor, value.clone());
                    }
                    self.add(&mut stack, &mut root, value).map_err(at)?;
                }
                Event::Alias(id) => {
                    let value =
                        self.anchors.get(&id).cloned().ok_or_else(|| {
                            at("an alias to an anchor not defined before it".into())
                        })?;
                    if matches!(stack.last(), Some(Open::Map { key: None, .. })) {
                        let key =
                            key_text(&value).ok_or_else(|| {
                                at("a mapping key is an alias to a collection; keys must be scalars"
                                .into())
                            })?;
                        set_key(&mut stack, Key::Name(key));
                        continue;
                    }
                    self.copied += count_values(&value);
                    if self.copied > self.max_copied {
                        return Err(at(format!(
                            "the aliases of this document copy more than {} values; raise --max-record-bytes to read it",
                            self.max_copied
                        )));
                    }
                    self.add(&mut stack, &mut root, value).map_err(at)?;
                }
                Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                    if matches!(stack.last(), Some(Open::Map { key: None, .. })) {
                        return Err(at(
                            "a mapping key is a collection; keys must be scalars".into()
                        ));
                    }
                    if stack.len() >= MAX_NESTING_DEPTH {
                        return Err(at(format!(
                            "values nested deeper than {MAX_NESTING_DEPTH} levels (the limit of every format)"
                        )));
                    }
                    stack.push(if matches!(event, Event::SequenceStart(..)) {
                        Open::List {
                            items: Vec::new(),
                            anchor,
                        }
                    } else {
                        Open::Map {
                            names: HeaderBuilder::new(),
                            values: Vec::new(),
                            key: None,
                            merges: Vec::new(),
                            anchor,
                        }
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (value, anchor) = match stack.pop() {
                        Some(Open::List { items, anchor }) => (Value::List(items), anchor),
                        Some(Open::Map {
                            names,
                            values,
                            merges,
                            anchor,
                            ..
                        }) => (Value::Map(merged(names, values, merges)), anchor),
                        None => return Err(at("a collection ends that did not start".into())),
                    };
                    if anchor != 0 {
                        self.anchors.insert(anchor, value.clone());
                    }
                    self.add(&mut stack, &mut root, value).map_err(at)?;
                }
                // Not emitted with the options used; nothing to build.
                _ => {}
            }
        }
    }

    /// Puts a finished value where it belongs: in the open list, under the open map's
    /// key, or as the document's root.
    fn add(
        &self,
        stack: &mut [Open],
        root: &mut Option<Value>,
        value: Value,
    ) -> Result<(), String> {
        match stack.last_mut() {
            None => *root = Some(value),
            Some(Open::List { items, .. }) => items.push(value),
            Some(Open::Map {
                names,
                values,
                key,
                merges,
                ..
            }) => match key.take() {
                Some(Key::Merge) => match value {
                    Value::Map(_) => merges.push(value),
                    Value::List(list) if list.iter().all(|v| matches!(v, Value::Map(_))) => {
                        merges.extend(list)
                    }
                    _ => {
                        return Err("a merge key (<<) takes a mapping or a list of mappings".into());
                    }
                },
                Some(Key::Name(name)) => match (names.position(&name), self.duplicates) {
                    (None, _) => {
                        names.add(Cow::Owned(name));
                        values.push(value);
                    }
                    (Some(at), DuplicateKeys::Last) => values[at] = value,
                    (Some(_), DuplicateKeys::First) => {}
                    (Some(_), DuplicateKeys::Error) => return Err(DuplicateKeys::message(&name)),
                },
                None => unreachable!("a key is read before its value"),
            },
        }
        Ok(())
    }
}

fn set_key(stack: &mut [Open], new: Key) {
    if let Some(Open::Map { key, .. }) = stack.last_mut() {
        *key = Some(new);
    }
}

/// A map's own entries, then those of its merges (the first merge first) that it does
/// not have.
fn merged(mut names: HeaderBuilder, mut values: Vec<Value>, merges: Vec<Value>) -> Row {
    for merge in merges {
        let Value::Map(row) = merge else { continue };
        for (k, v) in row.iter() {
            if names.position(k).is_none() {
                names.add(Cow::Borrowed(k));
                values.push(v.clone());
            }
        }
    }
    Row::from_parts(Arc::new(names.into_header()), values)
}

/// The text of a scalar value used as a key.
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::List(_) | Value::Map(_) => None,
        Value::Null => Some(String::new()),
        Value::String(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

/// How many values `value` holds, itself included.
fn count_values(value: &Value) -> u64 {
    let mut count = 0;
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        count += 1;
        match v {
            Value::List(items) => pending.extend(items),
            Value::Map(row) => pending.extend(row.values()),
            _ => {}
        }
    }
    count
}

/// A parser over `chars`, with the options the reader uses.
pub(super) fn parser<I>(chars: I) -> Parser<'static, granit_parser::FallibleBufferedInput<I>>
where
    I: Iterator<Item = Result<char, granit_parser::ErrorKind>>,
{
    Parser::new_from_fallible_iter(chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Value>, String> {
        read_with(text, DuplicateKeys::Last, 1 << 20)
    }

    fn read_with(text: &str, dup: DuplicateKeys, max: usize) -> Result<Vec<Value>, String> {
        let mut parser = Parser::new_from_str(text);
        let mut docs = Documents::new(&mut parser, dup, max);
        let mut out = Vec::new();
        loop {
            match docs.next_document() {
                Ok(Some(v)) => out.push(v),
                Ok(None) => return Ok(out),
                Err(DocumentError::Syntax(e)) => return Err(e.to_string()),
                Err(DocumentError::Content { message, line, .. }) => {
                    return Err(format!("line {line}: {message}"));
                }
            }
        }
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(pairs.iter().map(|(k, v)| (*k, v.clone())).collect())
    }

    #[test]
    fn documents_mappings_and_sequences() {
        let docs = read("a: 1\nb: [x, 017, '017']\n---\n- c: ~\n...\n").unwrap();
        assert_eq!(
            docs,
            [
                map(&[
                    ("a", Value::Int(1)),
                    (
                        "b",
                        Value::List(vec!["x".into(), Value::Int(17), "017".into()])
                    )
                ]),
                Value::List(vec![map(&[("c", Value::Null)])]),
            ]
        );
        assert_eq!(read("").unwrap(), Vec::<Value>::new());
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "base: &b {x: 1, y: 2}\nrow:\n  <<: *b\n  y: 3\n  same: *b\n";
        let docs = read(text).unwrap();
        let base = map(&[("x", Value::Int(1)), ("y", Value::Int(2))]);
        assert_eq!(
            docs[0],
            map(&[
                ("base", base.clone()),
                (
                    "row",
                    map(&[("y", Value::Int(3)), ("same", base), ("x", Value::Int(1))])
                )
            ])
        );
    }

    #[test]
    fn an_alias_bomb_is_an_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let err = read(&text).unwrap_err();
        assert!(err.contains("copy more than"), "{err}");
    }

    #[test]
    fn repeated_keys_follow_the_rule() {
        let text = "a: 1\nb: 2\na: 3\n";
        assert_eq!(
            read(text).unwrap()[0],
            map(&[("a", Value::Int(3)), ("b", Value::Int(2))])
        );
        assert_eq!(
            read_with(text, DuplicateKeys::First, 1 << 20).unwrap()[0],
            map(&[("a", Value::Int(1)), ("b", Value::Int(2))])
        );
        let err = read_with(text, DuplicateKeys::Error, 1 << 20).unwrap_err();
        assert!(err.contains("line 3: the key \"a\" is repeated"), "{err}");
    }

    #[test]
    fn deep_nesting_and_collection_keys_are_errors() {
        let deep = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        let err = read(&deep).unwrap_err();
        assert!(err.contains("deeper than 128 levels"), "{err}");
        let err = read("? [a, b]\n: 1\n").unwrap_err();
        assert!(err.contains("keys must be scalars"), "{err}");
        // Keys are their text, whatever their type would be as values.
        assert_eq!(
            read("1: a\ntrue: b\n").unwrap()[0],
            map(&[("1", "a".into()), ("true", "b".into())])
        );
    }
}
