//! Checks an answer against the schema subset this crate generates: `type` (one or a
//! list), `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`,
//! `anyOf`/`oneOf`/`allOf`, local `$ref`s, `minimum`/`maximum` and the `date` format.
//! The first problem comes back as `$.path: what is wrong`, the text a re-ask shows
//! the model.

use serde_json::Value;

/// `Ok` when `value` fits `schema`, else the first problem found.
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    check(schema, schema, value, "$")
}

fn check(root: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let Some(s) = schema.as_object() else {
        return Ok(()); // `true` or an empty schema takes anything
    };
    if let Some(Value::String(r)) = s.get("$ref") {
        let target = resolve(root, r).ok_or_else(|| format!("{path}: unknown $ref {r}"))?;
        check(root, target, value, path)?;
    }
    if let Some(types) = s.get("type") {
        let ok = match types {
            Value::String(t) => has_type(value, t),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| has_type(value, t)),
            _ => true,
        };
        if !ok {
            return Err(format!(
                "{path}: expected {}, got {}",
                type_text(types),
                show(value)
            ));
        }
    }
    if let Some(allowed) = s
        .get("enum")
        .and_then(Value::as_array)
        .filter(|a| !a.contains(value))
    {
        let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
        return Err(format!(
            "{path}: {} is not one of {}",
            show(value),
            list.join(", ")
        ));
    }
    if let Some(c) = s.get("const").filter(|c| *c != value) {
        return Err(format!("{path}: expected {c}, got {}", show(value)));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = s.get("minimum").and_then(Value::as_f64).filter(|m| n < *m) {
            return Err(format!("{path}: {n} is below the minimum {min}"));
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64).filter(|m| n > *m) {
            return Err(format!("{path}: {n} is above the maximum {max}"));
        }
    }
    let date = (s.get("format").and_then(Value::as_str) == Some("date"))
        .then(|| value.as_str())
        .flatten();
    if let Some(text) = date.filter(|t| !is_iso_date(t)) {
        return Err(format!("{path}: {text:?} is not a date (YYYY-MM-DD)"));
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            check(root, sub, value, path)?;
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(any)) = s.get(key) {
            let mut first = None;
            if !any.iter().any(|sub| match check(root, sub, value, path) {
                Ok(()) => true,
                Err(e) => {
                    first.get_or_insert(e);
                    false
                }
            }) {
                return Err(first.unwrap_or_else(|| format!("{path}: matches no allowed schema")));
            }
        }
    }
    match value {
        Value::Object(map) => check_object(root, s, map, path),
        Value::Array(items) => {
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(root, item_schema, item, &format!("{path}[{i}]"))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_object(
    root: &Value,
    s: &serde_json::Map<String, Value>,
    map: &serde_json::Map<String, Value>,
    path: &str,
) -> Result<(), String> {
    let props = s.get("properties").and_then(Value::as_object);
    if let Some(Value::Array(required)) = s.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(name) {
                return Err(format!("{path}: missing required field {name:?}"));
            }
        }
    }
    for (key, v) in map {
        let child = format!("{path}.{key}");
        match props.and_then(|p| p.get(key)) {
            Some(prop) => check(root, prop, v, &child)?,
            None => match s.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    return Err(format!("{path}: unexpected field {key:?}"));
                }
                Some(extra @ Value::Object(_)) => check(root, extra, v, &child)?,
                _ => {}
            },
        }
    }
    Ok(())
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn type_text(types: &Value) -> String {
    match types {
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        other => other.as_str().unwrap_or("?").to_owned(),
    }
}

fn show(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => return "an array".into(),
        Value::Object(_) => return "an object".into(),
    };
    let mut text = value.to_string();
    if let Some((cut, _)) = text.char_indices().nth(60) {
        text.truncate(cut);
        text.push('…');
    }
    format!("{kind} {text}")
}

fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&text[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&text[8..10].parse::<u32>().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn person() -> Value {
        crate::Schema::from_fields("name:string,age:integer?,born:date?,tags:string[]")
            .unwrap()
            .json()
            .clone()
    }

    #[test]
    fn accepts_a_fitting_answer() {
        let v = json!({"name": "Ann", "age": null, "born": "1990-02-03", "tags": ["a"]});
        assert_eq!(validate(&person(), &v), Ok(()));
        let v = json!({"name": "Ann", "age": 30.0, "born": null, "tags": []});
        assert_eq!(validate(&person(), &v), Ok(()));
    }

    #[test]
    fn names_the_path_and_the_problem() {
        let s = person();
        let v = |v: Value| validate(&s, &v).unwrap_err();
        assert_eq!(
            v(json!({"name": "Ann", "age": null, "born": null})),
            "$: missing required field \"tags\""
        );
        assert_eq!(
            v(json!({"name": "Ann", "age": "forty", "born": null, "tags": []})),
            "$.age: expected integer or null, got string \"forty\""
        );
        assert_eq!(
            v(json!({"name": "Ann", "age": 1, "born": null, "tags": [1]})),
            "$.tags[0]: expected string, got number 1"
        );
        assert_eq!(
            v(json!({"name": "Ann", "age": 1, "born": "May 3", "tags": []})),
            "$.born: \"May 3\" is not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            v(json!({"name": "A", "age": 1, "born": null, "tags": [], "x": 1})),
            "$: unexpected field \"x\""
        );
    }

    #[test]
    fn follows_refs_enums_and_any_of() {
        let s = json!({"type": "object", "properties": {
            "k": {"anyOf": [{"$ref": "#/$defs/K"}, {"type": "null"}]}},
            "required": ["k"], "$defs": {"K": {"type": "string", "enum": ["a", "b"]}}});
        assert_eq!(validate(&s, &json!({"k": "a"})), Ok(()));
        assert_eq!(validate(&s, &json!({"k": null})), Ok(()));
        assert_eq!(
            validate(&s, &json!({"k": "c"})).unwrap_err(),
            "$.k: string \"c\" is not one of \"a\", \"b\""
        );
    }
}
