//! The field-list syntax: `name:string,age:integer?:age in years,tags:string[]`.
//!
//! Fields are separated by commas; each is `name:type` with an optional `:description`
//! (quote it with `"..."` to use commas in it). Types: `string`, `integer`, `number`,
//! `boolean`, `date` (ISO `YYYY-MM-DD`), and lists of them as `type[]`. A `?` after
//! the type lets the value be null.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::EnrichError;

/// One field of a field list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The property and column name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether it is a list of `ty`.
    #[serde(default)]
    pub list: bool,
    /// Whether it may be null.
    #[serde(default)]
    pub nullable: bool,
    /// What the model should put there.
    #[serde(default)]
    pub description: Option<String>,
}

/// The scalar types of a field list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An ISO date, as text.
    Date,
}

impl FieldType {
    /// Parses a type name (`str`, `int`, `float`, `bool` are accepted too).
    pub fn parse(name: &str) -> Option<FieldType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" | "str" | "text" => FieldType::String,
            "integer" | "int" => FieldType::Integer,
            "number" | "float" | "double" => FieldType::Number,
            "boolean" | "bool" => FieldType::Boolean,
            "date" => FieldType::Date,
            _ => return None,
        })
    }

    fn schema(self) -> Value {
        match self {
            FieldType::String => json!({"type": "string"}),
            FieldType::Integer => json!({"type": "integer"}),
            FieldType::Number => json!({"type": "number"}),
            FieldType::Boolean => json!({"type": "boolean"}),
            FieldType::Date => json!({"type": "string", "format": "date"}),
        }
    }
}

impl Field {
    /// The field's JSON schema.
    pub fn json_schema(&self) -> Value {
        let mut schema = if self.list {
            json!({"type": "array", "items": self.ty.schema()})
        } else {
            self.ty.schema()
        };
        if self.nullable {
            let t = schema["type"].clone();
            schema["type"] = json!([t, "null"]);
        }
        if let Some(d) = &self.description {
            schema["description"] = json!(d);
        }
        schema
    }
}

/// Parses a field list (see the module docs).
pub fn parse_fields(spec: &str) -> Result<Vec<Field>, EnrichError> {
    let mut fields: Vec<Field> = Vec::new();
    for part in split_outside_quotes(spec, ',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let mut pieces = part.splitn(3, ':');
        let name = pieces.next().unwrap_or("").trim();
        let ty = pieces.next().map(str::trim).unwrap_or("");
        let description = pieces
            .next()
            .map(|d| d.trim().trim_matches('"').trim().to_owned())
            .filter(|d| !d.is_empty());
        if name.is_empty() || ty.is_empty() {
            return Err(EnrichError::Schema(format!(
                "field {part:?}: write name:type (e.g. age:integer)"
            )));
        }
        let (ty, nullable) = match ty.strip_suffix('?') {
            Some(t) => (t, true),
            None => (ty, false),
        };
        let (ty, list) = match ty.strip_suffix("[]") {
            Some(t) => (t, true),
            None => (ty, false),
        };
        let ty = FieldType::parse(ty).ok_or_else(|| {
            EnrichError::Schema(format!(
                "field {name:?}: unknown type {ty:?}; use string, integer, number, boolean or date (add [] for a list, ? for nullable)"
            ))
        })?;
        if fields.iter().any(|f| f.name == name) {
            return Err(EnrichError::Schema(format!(
                "field {name:?} is listed twice"
            )));
        }
        fields.push(Field {
            name: name.to_owned(),
            ty,
            list,
            nullable,
            description,
        });
    }
    if fields.is_empty() {
        return Err(EnrichError::Schema("the field list is empty".into()));
    }
    Ok(fields)
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types_lists_nullables_and_quoted_descriptions() {
        let f =
            parse_fields(r#"name:string, age:int?:age in years, tags:string[]:"labels, short""#)
                .unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[1].ty, FieldType::Integer);
        assert!(f[1].nullable);
        assert_eq!(f[1].description.as_deref(), Some("age in years"));
        assert!(f[2].list);
        assert_eq!(f[2].description.as_deref(), Some("labels, short"));
        assert_eq!(
            f[2].json_schema(),
            json!({"type": "array", "items": {"type": "string"}, "description": "labels, short"})
        );
    }

    #[test]
    fn bad_lists_say_what_is_wrong() {
        let e = |s: &str| parse_fields(s).unwrap_err().to_string();
        assert_eq!(
            e("name"),
            "schema: field \"name\": write name:type (e.g. age:integer)"
        );
        assert!(e("a:colour").contains("unknown type \"colour\""));
        assert_eq!(e("a:string,a:int"), "schema: field \"a\" is listed twice");
        assert_eq!(e(" , "), "schema: the field list is empty");
    }
}
