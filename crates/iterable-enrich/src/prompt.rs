//! The prompt template: text with `{field}` placeholders filled from each row.
//!
//! `{name}` is the row's `name` field as plain text (strings as they are, lists and
//! maps as JSON), `{*}` is the whole row as a JSON object, `{{` and `}}` are literal
//! braces. A row without a named field fails with an error naming the field.

use iterable_core::Row;

use crate::EnrichError;

/// The template used when none is given: the whole row as JSON.
pub const DEFAULT_TEMPLATE: &str = "Extract the requested data from this record:\n{*}";

/// A parsed prompt template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(String),
    WholeRow,
}

impl Default for PromptTemplate {
    fn default() -> Self {
        PromptTemplate::parse(DEFAULT_TEMPLATE).expect("the default template parses")
    }
}

impl PromptTemplate {
    /// Parses a template; an unclosed `{` or a stray `}` is an error.
    pub fn parse(template: &str) -> Result<PromptTemplate, EnrichError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    let name = name.trim();
                    if name.is_empty() || !closed {
                        return Err(EnrichError::Prompt(format!(
                            "empty or unclosed placeholder in template {template:?}"
                        )));
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(if name == "*" {
                        Part::WholeRow
                    } else {
                        Part::Field(name.to_owned())
                    });
                }
                '}' => {
                    return Err(EnrichError::Prompt(format!(
                        "stray `}}` in template {template:?} (write `}}}}` for a brace)"
                    )));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(PromptTemplate { parts })
    }

    /// The fields the template names.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(f.as_str()),
            _ => None,
        })
    }

    /// The prompt for one row.
    pub fn render(&self, row: &Row) -> Result<String, EnrichError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(name) => match row.get(name) {
                    Some(value) => value.write_text(&mut out),
                    None => {
                        return Err(EnrichError::Prompt(format!(
                            "the template names field {name:?}, which this row does not have (it has: {})",
                            row.keys().collect::<Vec<_>>().join(", ")
                        )));
                    }
                },
                Part::WholeRow => out.push_str(
                    &serde_json::to_string(row).map_err(|e| EnrichError::Prompt(e.to_string()))?,
                ),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::row;

    #[test]
    fn fills_fields_whole_rows_and_escapes() {
        let r = row! { "id" => 7, "text" => "Ann is 30", "tags" => vec!["a", "b"] };
        let t = PromptTemplate::parse("#{id} {{raw}}: {text} {tags}").unwrap();
        assert_eq!(t.render(&r).unwrap(), r#"#7 {raw}: Ann is 30 ["a","b"]"#);
        assert_eq!(
            PromptTemplate::default().render(&r).unwrap(),
            "Extract the requested data from this record:\n{\"id\":7,\"text\":\"Ann is 30\",\"tags\":[\"a\",\"b\"]}"
        );
        assert_eq!(t.fields().collect::<Vec<_>>(), ["id", "text", "tags"]);
    }

    #[test]
    fn a_missing_field_is_named() {
        let t = PromptTemplate::parse("{bio}").unwrap();
        let e = t.render(&row! { "id" => 1 }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompt: the template names field \"bio\", which this row does not have (it has: id)"
        );
        assert!(PromptTemplate::parse("{open").is_err());
        assert!(PromptTemplate::parse("a } b").is_err());
    }
}
