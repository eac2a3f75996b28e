//! Strict-mode normalisation: what OpenAI's structured outputs (`strict: true`) accept.
//!
//! Every object gets `additionalProperties: false` and lists all its properties as
//! required; a property that was optional becomes nullable instead (a type array with
//! `"null"`, or `anyOf` with a null schema). `oneOf` becomes `anyOf`; keywords strict
//! mode rejects (`$schema`, `default`, unknown `format`s) are dropped.

use serde_json::{Map, Value, json};

/// The `format`s strict mode accepts.
const FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// `schema` normalised for strict mode (see the module docs).
pub fn strict(mut schema: Value) -> Value {
    normalise(&mut schema);
    schema
}

fn normalise(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    obj.remove("$schema");
    obj.remove("default");
    if obj
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !FORMATS.contains(&f))
    {
        obj.remove("format");
    }
    if let Some(one_of) = obj.remove("oneOf") {
        obj.insert("anyOf".into(), one_of);
    }
    if obj.get("properties").is_some_and(Value::is_object) {
        let required: Vec<String> = match obj.get("required") {
            Some(Value::Array(r)) => r
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let Some(Value::Object(props)) = obj.get_mut("properties") else {
            return;
        };
        for (name, prop) in props.iter_mut() {
            normalise(prop);
            if !required.contains(name) {
                make_nullable(prop);
            }
        }
        let all: Vec<Value> = props.keys().map(|k| Value::String(k.clone())).collect();
        obj.insert("required".into(), Value::Array(all));
        obj.insert("additionalProperties".into(), Value::Bool(false));
    } else if obj.get("type").and_then(Value::as_str) == Some("object")
        && !obj.contains_key("additionalProperties")
    {
        obj.insert("properties".into(), Value::Object(Map::new()));
        obj.insert("required".into(), json!([]));
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(inner) = obj.get_mut(key) {
            normalise(inner);
        }
    }
    for key in ["anyOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(normalise);
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = obj.get_mut(key) {
            defs.values_mut().for_each(normalise);
        }
    }
}

/// Lets `schema` also take `null`.
fn make_nullable(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    match obj.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = std::mem::take(t);
            obj.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
        }
        Some(_) => {}
        None => {
            if let Some(Value::Array(any)) = obj.get_mut("anyOf") {
                if !any.iter().any(|s| s.get("type") == Some(&json!("null"))) {
                    any.push(json!({"type": "null"}));
                }
            } else {
                let inner = std::mem::take(obj);
                obj.insert(
                    "anyOf".into(),
                    json!([Value::Object(inner), {"type": "null"}]),
                );
                return;
            }
        }
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_becomes_nullable_and_everything_required() {
        let s = strict(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer", "format": "uint8", "minimum": 0},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "pet": {"$ref": "#/$defs/Pet"},
                "tags": {"type": "array", "items": {"type": "object", "properties": {"t": {"type": "string"}}}},
                "either": {"oneOf": [{"type": "string"}, {"type": "integer"}], "default": 1}
            },
            "required": ["name"],
            "$defs": {"Pet": {"type": "object", "properties": {"n": {"type": "string"}}}}
        }));
        assert!(s.get("$schema").is_none());
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"].as_array().unwrap().len(), 6);
        let p = &s["properties"];
        assert_eq!(p["name"]["type"], "string");
        assert_eq!(p["age"], json!({"type": ["integer", "null"], "minimum": 0}));
        assert_eq!(p["kind"]["enum"], json!(["a", "b", null]));
        assert_eq!(
            p["pet"],
            json!({"anyOf": [{"$ref": "#/$defs/Pet"}, {"type": "null"}]})
        );
        assert_eq!(p["tags"]["items"]["additionalProperties"], false);
        assert_eq!(p["tags"]["items"]["required"], json!(["t"]));
        assert_eq!(
            p["either"],
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
        );
        assert_eq!(s["$defs"]["Pet"]["additionalProperties"], false);
        assert_eq!(
            s["$defs"]["Pet"]["properties"]["n"]["type"],
            json!(["string", "null"])
        );
    }
}
