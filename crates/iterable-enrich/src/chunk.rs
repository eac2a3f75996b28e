//! Long documents in pieces: a row whose text column holds more than a token budget
//! is asked about piece by piece (the other fields as they are), and the answers of
//! its pieces are merged into the row's one answer.
//!
//! Pieces are cut at the last paragraph break (a blank line) that keeps a piece
//! within the budget, else the last line break, else the end of a sentence, else a
//! space, else (one long word) at the budget itself; tokens are estimated at 4 bytes
//! each, as the rate limiter estimates them. Merging: with a list of objects a row
//! ([`Multiplicity::List`] or [`Multiplicity::Explode`]) the pieces' lists are
//! joined in order, an object repeated word for word kept once; with one object a row
//! each field takes the first piece's non-null value, and list fields are joined the
//! same way.

use iterable_core::{Row, Value};
use serde_json::{Map, Value as Json};

use crate::EnrichError;
use crate::output::Multiplicity;
use crate::prompt::PromptTemplate;

/// Bytes a token is assumed to take.
const BYTES_PER_TOKEN: usize = 4;

/// How long texts are cut (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunking {
    /// The column whose text is cut (default `text`, the document formats' column).
    pub column: String,
    /// The most tokens a piece holds (at least 1).
    pub max_tokens: usize,
}

impl Chunking {
    /// Pieces of at most `max_tokens` tokens of the `text` column.
    pub fn new(max_tokens: usize) -> Self {
        Chunking {
            column: "text".to_owned(),
            max_tokens: max_tokens.max(1),
        }
    }

    /// Cuts this column instead of `text`.
    pub fn column(mut self, name: impl Into<String>) -> Self {
        self.column = name.into();
        self
    }

    /// The pieces of `text` (one, itself, when it fits).
    pub fn split<'t>(&self, text: &'t str) -> Vec<&'t str> {
        split(text, self.max_tokens.saturating_mul(BYTES_PER_TOKEN))
    }
}

/// The prompts of `row`: one, or one a piece of its long text.
pub(crate) fn prompts(
    template: &PromptTemplate,
    chunking: Option<&Chunking>,
    row: &Row,
) -> Result<Vec<String>, EnrichError> {
    let long = chunking.and_then(|c| match row.get(&c.column) {
        Some(Value::String(text)) => {
            let pieces = c.split(text);
            (pieces.len() > 1).then_some((c, pieces))
        }
        _ => None,
    });
    let Some((chunking, pieces)) = long else {
        return Ok(vec![template.render(row)?]);
    };
    let mut piece_row = row.clone();
    pieces
        .into_iter()
        .map(|piece| {
            piece_row.insert(chunking.column.clone(), piece);
            template.render(&piece_row)
        })
        .collect()
}

/// `text` cut into pieces of at most `max_bytes` (see the module docs); pieces are
/// trimmed, and blank ones left out.
fn split(text: &str, max_bytes: usize) -> Vec<&str> {
    let max_bytes = max_bytes.max(BYTES_PER_TOKEN);
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while rest.len() > max_bytes {
        let window = &rest[..floor_char_boundary(rest, max_bytes)];
        let cut = ["\n\n", "\n", ". ", "? ", "! ", "; ", " "]
            .iter()
            .find_map(|sep| {
                window
                    .rfind(sep)
                    .map(|at| at + sep.len())
                    .filter(|&at| at > sep.len())
            })
            .unwrap_or(
                window
                    .len()
                    .max(rest.chars().next().map_or(1, char::len_utf8)),
            );
        let (piece, after) = rest.split_at(cut);
        let piece = piece.trim();
        if !piece.is_empty() {
            pieces.push(piece);
        }
        rest = after.trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// The largest char boundary of `text` at or before `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One answer from the answers of a row's pieces, in piece order (see the module docs).
pub(crate) fn merge(answers: Vec<Json>, multiplicity: Multiplicity) -> Json {
    match multiplicity {
        Multiplicity::List | Multiplicity::Explode => {
            let mut items = Vec::new();
            for answer in answers {
                if let Json::Object(mut object) = answer
                    && let Some(Json::Array(list)) = object.remove("items")
                {
                    join_lists(&mut items, list);
                }
            }
            serde_json::json!({ "items": items })
        }
        Multiplicity::One => {
            let mut merged = Map::new();
            for answer in answers {
                let Json::Object(object) = answer else {
                    continue;
                };
                for (key, value) in object {
                    match (merged.get_mut(&key), value) {
                        (Some(Json::Array(have)), Json::Array(more)) => join_lists(have, more),
                        (Some(have), value) if have.is_null() => *have = value,
                        (Some(_), _) => {}
                        (None, value) => {
                            merged.insert(key, value);
                        }
                    }
                }
            }
            Json::Object(merged)
        }
    }
}

/// Appends the items of `more` that `list` does not hold yet.
fn join_lists(list: &mut Vec<Json>, more: Vec<Json>) {
    for item in more {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_within_the_budget_is_one_piece() {
        assert_eq!(split("  short text \n", 100), ["short text"]);
    }

    #[test]
    fn pieces_end_at_paragraphs_then_lines_then_sentences_then_spaces() {
        let text = "First paragraph here.\n\nSecond one, longer than the rest.\nIts second line.";
        assert_eq!(
            split(text, 40),
            [
                "First paragraph here.",
                "Second one, longer than the rest.",
                "Its second line."
            ]
        );
        assert_eq!(
            split("One. Two words. Three more words here", 16),
            ["One. Two words.", "Three more", "words here"]
        );
        for piece in split(&"word ".repeat(100), 20) {
            assert!(piece.len() <= 20 && piece.starts_with("word"), "{piece:?}");
        }
    }

    #[test]
    fn a_long_word_is_cut_at_the_budget_on_a_char_boundary() {
        let pieces = split("ééééééééé", 5);
        assert_eq!(pieces.concat(), "ééééééééé");
        assert!(
            pieces.iter().all(|p| p.len() <= 5 && !p.is_empty()),
            "{pieces:?}"
        );
    }

    #[test]
    fn lists_join_in_order_without_repeats() {
        let merged = merge(
            vec![
                json!({"items": [{"name": "Lyon"}, {"name": "Paris"}]}),
                json!({"items": [{"name": "Paris"}, {"name": "Nice"}]}),
                json!({"items": []}),
            ],
            Multiplicity::List,
        );
        assert_eq!(
            merged,
            json!({"items": [{"name": "Lyon"}, {"name": "Paris"}, {"name": "Nice"}]})
        );
    }

    #[test]
    fn one_object_takes_the_first_non_null_value_and_joins_lists() {
        let merged = merge(
            vec![
                json!({"title": null, "year": 2024, "cities": ["Lyon"]}),
                json!({"title": "Report", "year": 2025, "cities": ["Lyon", "Nice"]}),
            ],
            Multiplicity::One,
        );
        assert_eq!(
            merged,
            json!({"title": "Report", "year": 2024, "cities": ["Lyon", "Nice"]})
        );
    }
}
