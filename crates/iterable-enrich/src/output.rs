//! Shaping results into rows: where the extracted fields go (prefixed columns or one
//! nested column), how many objects a row may give (one, a list column, or one output
//! row each), and what a failed row carries (the error column, null fields).

use iterable_core::{Row, Value};
use serde_json::Value as Json;

use crate::Schema;
use crate::provider::Usage;

/// Where the extracted fields go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// One column per property, named `prefix + property` (default: no prefix; a
    /// property with the name of an input column replaces it).
    Prefix(String),
    /// One column holding the extracted object as a map.
    Nested(String),
}

impl Default for Placement {
    fn default() -> Self {
        Placement::Prefix(String::new())
    }
}

/// How many objects one row gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Multiplicity {
    /// Exactly one object per row.
    #[default]
    One,
    /// Zero or more, as one list column (the nested column's name, or `prefix + "items"`).
    List,
    /// Zero or more, one output row each (a row with none comes out once, with null
    /// fields, so it is not lost).
    Explode,
}

/// How output rows are built from results.
#[derive(Debug, Clone)]
pub(crate) struct Shaper {
    pub schema: Schema,
    pub placement: Placement,
    pub multiplicity: Multiplicity,
    /// The error column, when failed rows pass on with it (null on success rows).
    pub error_column: Option<String>,
    /// A column with the row's token usage, if asked for.
    pub usage_column: Option<String>,
}

impl Shaper {
    /// The output rows of a successful extraction (`answer` fits the asked schema).
    pub fn success(&self, row: Row, answer: Json, usage: Usage, requests: u32) -> Vec<Row> {
        let base = self.with_bookkeeping(row, None, usage, requests);
        match self.multiplicity {
            Multiplicity::One => vec![self.place(base, Some(&answer))],
            Multiplicity::List => {
                let items = items_of(answer);
                let list = Value::List(items.iter().map(|i| self.object(i)).collect());
                let mut out = base;
                out.insert(self.list_column(), list);
                vec![out]
            }
            Multiplicity::Explode => {
                let items = items_of(answer);
                if items.is_empty() {
                    return vec![self.place(base, None)];
                }
                items
                    .iter()
                    .map(|item| self.place(base.clone(), Some(item)))
                    .collect()
            }
        }
    }

    /// The row of a failed extraction: its fields null, the error in the error column.
    pub fn failure(&self, row: Row, error: &str, usage: Usage, requests: u32) -> Row {
        let base = self.with_bookkeeping(row, Some(error), usage, requests);
        match self.multiplicity {
            Multiplicity::List => {
                let mut out = base;
                out.insert(self.list_column(), Value::Null);
                out
            }
            _ => self.place(base, None),
        }
    }

    fn with_bookkeeping(
        &self,
        mut row: Row,
        error: Option<&str>,
        usage: Usage,
        requests: u32,
    ) -> Row {
        if let Some(column) = &self.error_column {
            row.insert(column.clone(), error.map_or(Value::Null, Value::from));
        }
        if let Some(column) = &self.usage_column {
            let usage_row: Row = [
                ("prompt_tokens", Value::from(usage.prompt_tokens)),
                ("completion_tokens", Value::from(usage.completion_tokens)),
                ("requests", Value::from(u64::from(requests))),
            ]
            .into_iter()
            .collect();
            row.insert(column.clone(), Value::Map(usage_row));
        }
        row
    }

    /// `row` with one object's fields placed (all null when `object` is `None`).
    fn place(&self, mut row: Row, object: Option<&Json>) -> Row {
        match &self.placement {
            Placement::Prefix(prefix) => {
                for name in self.schema.properties() {
                    let value = object
                        .and_then(|o| o.get(name))
                        .cloned()
                        .map_or(Value::Null, Value::from);
                    row.insert(format!("{prefix}{name}"), value);
                }
            }
            Placement::Nested(column) => {
                let value = object.map_or(Value::Null, |o| self.object(o));
                row.insert(column.clone(), value);
            }
        }
        row
    }

    /// One object as a map, its keys in schema order.
    fn object(&self, object: &Json) -> Value {
        let map: Row = self
            .schema
            .properties()
            .iter()
            .map(|name| {
                let v = object.get(name).cloned().map_or(Value::Null, Value::from);
                (name.clone(), v)
            })
            .collect();
        Value::Map(map)
    }

    fn list_column(&self) -> String {
        match &self.placement {
            Placement::Prefix(prefix) => format!("{prefix}items"),
            Placement::Nested(column) => column.clone(),
        }
    }
}

fn items_of(answer: Json) -> Vec<Json> {
    match answer {
        Json::Object(mut map) => match map.remove("items") {
            Some(Json::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::row;
    use serde_json::json;

    fn shaper(placement: Placement, multiplicity: Multiplicity) -> Shaper {
        Shaper {
            schema: Schema::from_fields("name:string,age:integer").unwrap(),
            placement,
            multiplicity,
            error_column: Some("_error".into()),
            usage_column: None,
        }
    }

    #[test]
    fn prefix_adds_columns_in_schema_order() {
        let s = shaper(Placement::Prefix("x_".into()), Multiplicity::One);
        let out = s.success(
            row! {"id" => 1},
            json!({"age": 30, "name": "Ann"}),
            Usage::default(),
            1,
        );
        assert_eq!(
            out,
            vec![row! {"id" => 1, "_error" => Value::Null, "x_name" => "Ann", "x_age" => 30}]
        );
        let failed = s.failure(row! {"id" => 2}, "boom", Usage::default(), 3);
        assert_eq!(
            failed,
            row! {"id" => 2, "_error" => "boom", "x_name" => Value::Null, "x_age" => Value::Null}
        );
    }

    #[test]
    fn nested_list_and_explode() {
        let answer = json!({"items": [{"name": "A", "age": 1}, {"name": "B", "age": 2}]});
        let list = shaper(Placement::Nested("people".into()), Multiplicity::List).success(
            row! {"id" => 1},
            answer.clone(),
            Usage::default(),
            1,
        );
        assert_eq!(list.len(), 1);
        let Some(Value::List(items)) = list[0].get("people") else {
            panic!("{list:?}")
        };
        assert_eq!(items[1], Value::Map(row! {"name" => "B", "age" => 2}));

        let s = shaper(Placement::Prefix(String::new()), Multiplicity::Explode);
        let rows = s.success(row! {"id" => 1}, answer, Usage::default(), 1);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            row! {"id" => 1, "_error" => Value::Null, "name" => "B", "age" => 2}
        );
        let none = s.success(row! {"id" => 9}, json!({"items": []}), Usage::default(), 1);
        assert_eq!(
            none,
            vec![
                row! {"id" => 9, "_error" => Value::Null, "name" => Value::Null, "age" => Value::Null}
            ]
        );
    }
}
