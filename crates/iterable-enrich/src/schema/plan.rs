//! Planning a schema from a question and sample rows: one call (plus re-asks if the
//! plan itself does not fit) that returns a field list, turned into a [`Schema`] the
//! caller can inspect, save and reuse.

use std::sync::Arc;

use iterable_core::Row;
use serde_json::{Value, json};

use super::{Field, Schema};
use crate::EnrichError;
use crate::extract::Caller;
use crate::journal::Journal;
use crate::provider::{Message, Provider, ResponseMode, Usage};
use crate::retry::RetryPolicy;

const PLANNER: &str = "You design the output schema of a data extraction. Given a question \
and sample records, list the fields that answer it for one record: short snake_case names, \
a type each (string, integer, number, boolean, date; add [] for a list), and a one-line \
description. Prefer few, specific fields. Also give the schema a short snake_case name.";

/// The schema of the planner's own answer.
fn plan_schema_schema() -> Schema {
    let field = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": [
                "string", "integer", "number", "boolean", "date",
                "string[]", "integer[]", "number[]", "boolean[]", "date[]"]},
            "description": {"type": "string"}
        },
        "required": ["name", "type", "description"],
    });
    Schema::from_json(
        "schema_plan",
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "fields": {"type": "array", "items": field}
            },
            "required": ["name", "fields"],
        }),
    )
    .expect("the planner's schema is valid")
}

/// Plans the schema that answers `query` for rows like `samples` (a handful is
/// plenty), in one call to `provider`. The schema's description is the query, so the
/// extraction prompt carries it. Returns the schema and the tokens the plan cost.
pub async fn plan_schema(
    provider: Arc<dyn Provider>,
    query: &str,
    samples: &[Row],
    retry: RetryPolicy,
) -> Result<(Schema, Usage), EnrichError> {
    plan_one(provider, query, samples, retry, None).await
}

async fn plan_one(
    provider: Arc<dyn Provider>,
    query: &str,
    samples: &[Row],
    retry: RetryPolicy,
    cache: Option<&Journal>,
) -> Result<(Schema, Usage), EnrichError> {
    let mut caller = Caller::standalone(provider, retry, ResponseMode::JsonSchema, true, 1);
    caller.completion_estimate = 512;
    caller.journal = cache.cloned();
    let rows: Vec<String> = samples
        .iter()
        .map(|r| serde_json::to_string(r).unwrap_or_default())
        .collect();
    let messages = vec![
        Message::system(PLANNER),
        Message::user(format!(
            "Question: {query}\n\nSample records (JSON, one a line):\n{}",
            rows.join("\n")
        )),
    ];
    let answer = caller.ask(messages, &plan_schema_schema()).await;
    let plan = answer.value?;
    let fields = fields_of(&plan)?;
    let name = plan["name"].as_str().unwrap_or("extraction");
    Ok((
        Schema::from_field_list(name, &fields).with_description(query),
        answer.usage,
    ))
}

/// Plans one schema answering every question in `queries`, one planning call each,
/// combined with a sub-object per question ([`Schema::combine`]) so a row is still
/// one request; a single question gives its plan as it is. With a `cache`, the
/// plans are cached like answers: a re-run with the same questions and samples gets
/// the same schema without a request, so the rows' cached answers match it too.
pub async fn plan_queries(
    provider: Arc<dyn Provider>,
    queries: &[String],
    samples: &[Row],
    retry: RetryPolicy,
    cache: Option<&Journal>,
) -> Result<(Schema, Usage), EnrichError> {
    let mut parts = Vec::with_capacity(queries.len());
    let mut usage = Usage::default();
    for query in queries {
        let (schema, used) = plan_one(provider.clone(), query, samples, retry, cache).await?;
        usage.add(used);
        parts.push(schema);
    }
    match parts.len() {
        0 => Err(EnrichError::Schema("no question to plan from".into())),
        1 => Ok((parts.remove(0), usage)),
        _ => Ok((Schema::combine("answers", &parts), usage)),
    }
}

fn fields_of(plan: &Value) -> Result<Vec<Field>, EnrichError> {
    let mut fields: Vec<Field> = Vec::new();
    for f in plan["fields"].as_array().into_iter().flatten() {
        let name = f["name"].as_str().unwrap_or_default().trim().to_owned();
        let ty = f["type"].as_str().unwrap_or_default();
        let (ty, list) = match ty.strip_suffix("[]") {
            Some(t) => (t, true),
            None => (ty, false),
        };
        let ty = super::FieldType::parse(ty).ok_or_else(|| {
            EnrichError::Schema(format!("planned field {name:?} has type {ty:?}"))
        })?;
        if name.is_empty() || fields.iter().any(|g| g.name == name) {
            continue;
        }
        fields.push(Field {
            name,
            ty,
            list,
            nullable: true,
            description: f["description"].as_str().map(str::to_owned),
        });
    }
    if fields.is_empty() {
        return Err(EnrichError::Schema(
            "the planned schema has no fields".into(),
        ));
    }
    Ok(fields)
}
