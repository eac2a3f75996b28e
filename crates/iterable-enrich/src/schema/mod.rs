//! What to extract: a JSON schema, made valid for strict structured outputs.
//!
//! Three ways to get one: from a Rust type ([`Schema::from_type`], via `schemars`),
//! from a field list ([`Schema::from_fields`], `name:string,age:integer`), or planned
//! by the model from a question and sample rows ([`plan_schema`], one call). A schema
//! serialises to JSON, so a planned one can be inspected, saved and reused.

mod fields;
mod plan;
mod strict;

pub use fields::{Field, FieldType, parse_fields};
pub use plan::{plan_queries, plan_schema};
pub use strict::strict;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::EnrichError;

/// A named JSON schema for the answer, strict-mode normalised, with its top-level
/// properties in the order the output columns take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default)]
    properties: Vec<String>,
    schema: Value,
}

impl Schema {
    /// A schema from a JSON schema object (normalised for strict mode). `properties`
    /// keep the order of the schema's `required` list, then the rest by name.
    pub fn from_json(name: &str, schema: Value) -> Result<Schema, EnrichError> {
        if schema.get("type").and_then(Value::as_str) != Some("object")
            || !schema.get("properties").is_some_and(Value::is_object)
        {
            return Err(EnrichError::Schema(
                "the top level must be an object with properties".into(),
            ));
        }
        let mut properties: Vec<String> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for key in schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if !properties.contains(key) {
                properties.push(key.clone());
            }
        }
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Schema {
            name: clean_name(name),
            description,
            properties,
            schema: strict(schema),
        })
    }

    /// The schema of a Rust type that derives `schemars::JsonSchema`.
    pub fn from_type<T: schemars::JsonSchema>() -> Result<Schema, EnrichError> {
        let generated = schemars::schema_for!(T);
        let value =
            serde_json::to_value(&generated).map_err(|e| EnrichError::Schema(e.to_string()))?;
        Schema::from_json(&T::schema_name(), value)
    }

    /// A schema from a field list: `name:string,age:integer?:age in years`. See
    /// [`parse_fields`] for the syntax.
    pub fn from_fields(spec: &str) -> Result<Schema, EnrichError> {
        Ok(Schema::from_field_list("extraction", &parse_fields(spec)?))
    }

    /// A schema from parsed fields.
    pub fn from_field_list(name: &str, fields: &[Field]) -> Schema {
        let mut properties = serde_json::Map::new();
        for field in fields {
            properties.insert(field.name.clone(), field.json_schema());
        }
        let schema = json!({
            "type": "object",
            "properties": properties,
            "required": fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "additionalProperties": false,
        });
        Schema {
            name: clean_name(name),
            description: None,
            properties: fields.iter().map(|f| f.name.clone()).collect(),
            schema: strict(schema),
        }
    }

    /// A schema saved earlier with `serde_json::to_string(&schema)`.
    pub fn from_saved(text: &str) -> Result<Schema, EnrichError> {
        let saved: Schema =
            serde_json::from_str(text).map_err(|e| EnrichError::Schema(e.to_string()))?;
        let mut schema = Schema::from_json(&saved.name, saved.schema)?;
        schema.properties = saved.properties;
        schema.description = saved.description.or(schema.description);
        Ok(schema)
    }

    /// This schema with a description the model reads (the question it answers).
    pub fn with_description(mut self, description: impl Into<String>) -> Schema {
        self.description = Some(description.into());
        self
    }

    /// The name sent with the schema (letters, digits, `_` and `-`, at most 64).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the extraction is for, if said.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The top-level properties, in output column order.
    pub fn properties(&self) -> &[String] {
        &self.properties
    }

    /// The JSON schema itself.
    pub fn json(&self) -> &Value {
        &self.schema
    }

    /// One schema answering several questions in one request: an object with a
    /// property (a sub-object) per part, named by the part's name (made unique with
    /// `_2`, `_3`, ...). The description lists each part's question.
    pub fn combine(name: &str, parts: &[Schema]) -> Schema {
        let mut properties = serde_json::Map::new();
        let mut names = Vec::new();
        let mut defs = serde_json::Map::new();
        let mut questions = Vec::new();
        for part in parts {
            let base = part.name.clone();
            let mut key = base.clone();
            let mut n = 1;
            while properties.contains_key(&key) {
                n += 1;
                key = format!("{base}_{n}");
            }
            let mut sub = part.schema.clone();
            if let Some(Value::Object(d)) = sub.as_object_mut().and_then(|o| o.remove("$defs")) {
                defs.extend(d);
            }
            if let Some(q) = &part.description {
                questions.push(format!("{key}: {q}"));
            }
            properties.insert(key.clone(), sub);
            names.push(key);
        }
        let mut schema = json!({
            "type": "object",
            "properties": properties,
            "required": names,
            "additionalProperties": false,
        });
        if !defs.is_empty() {
            schema["$defs"] = Value::Object(defs);
        }
        Schema {
            name: clean_name(name),
            description: (!questions.is_empty()).then(|| {
                format!(
                    "answer each question in its own object. {}",
                    questions.join("; ")
                )
            }),
            properties: names,
            schema,
        }
    }

    /// The schema of an answer that holds zero or more of these objects:
    /// `{"items": [ ... ]}` (the top level of a structured answer must be an object).
    pub fn list_of(&self) -> Schema {
        let mut item = self.schema.clone();
        let defs = item.as_object_mut().and_then(|o| o.remove("$defs"));
        let mut schema = json!({
            "type": "object",
            "properties": {"items": {"type": "array", "items": item}},
            "required": ["items"],
            "additionalProperties": false,
        });
        if let Some(defs) = defs {
            schema["$defs"] = defs;
        }
        Schema {
            name: clean_name(&format!("{}_list", self.name)),
            description: self.description.clone(),
            properties: vec!["items".into()],
            schema,
        }
    }
}

fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "extraction".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_parts_get_unique_names_and_stay_strict() {
        let a = Schema::from_fields("name:string")
            .unwrap()
            .with_description("who?");
        let b = Schema::from_fields("age:integer").unwrap();
        let both = Schema::combine("answers", &[a, b]);
        assert_eq!(both.properties(), ["extraction", "extraction_2"]);
        assert_eq!(
            both.json()["required"],
            json!(["extraction", "extraction_2"])
        );
        assert_eq!(both.json()["additionalProperties"], json!(false));
        assert_eq!(
            both.json()["properties"]["extraction_2"]["properties"]["age"]["type"],
            json!("integer")
        );
        assert_eq!(
            both.description(),
            Some("answer each question in its own object. extraction: who?")
        );
    }

    #[test]
    fn field_list_keeps_order_and_round_trips_through_json() {
        let s = Schema::from_fields("name:string:the full name,age:integer?").unwrap();
        assert_eq!(s.properties(), ["name", "age"]);
        assert_eq!(
            s.json()["properties"]["age"]["type"],
            json!(["integer", "null"])
        );
        assert_eq!(
            s.json()["properties"]["name"]["description"],
            "the full name"
        );
        let saved = serde_json::to_string(&s.clone().with_description("people")).unwrap();
        let back = Schema::from_saved(&saved).unwrap();
        assert_eq!(back.properties(), ["name", "age"]);
        assert_eq!(back.description(), Some("people"));
        assert_eq!(back.json(), s.json());
    }

    #[test]
    fn list_of_wraps_items_and_keeps_defs_at_the_top() {
        let s = Schema::from_json(
            "Thing",
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}},
                   "required": ["a"], "$defs": {"A": {"type": "string"}}}),
        )
        .unwrap();
        let list = s.list_of();
        assert_eq!(list.name(), "Thing_list");
        assert_eq!(list.json()["$defs"]["A"]["type"], "string");
        assert!(
            list.json()["properties"]["items"]["items"]
                .get("$defs")
                .is_none()
        );
    }

    #[test]
    fn a_non_object_schema_is_refused() {
        let e = Schema::from_json("x", json!({"type": "string"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "schema: the top level must be an object with properties"
        );
    }
}
