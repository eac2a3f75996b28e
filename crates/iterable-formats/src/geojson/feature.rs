//! A GeoJSON Feature to a row and back: the properties are the columns, the geometry
//! the column `geometry`.

use std::sync::Arc;

use iterable_core::{Header, Row, Value};
use serde::Serialize;

/// The column that holds a feature's geometry.
pub const GEOMETRY: &str = "geometry";

/// Turns parsed Feature objects into rows, reusing the header while the columns stay
/// the same.
#[derive(Default)]
pub(crate) struct FeatureRows {
    header: Option<Arc<Header>>,
}

impl FeatureRows {
    /// The row of one Feature: its `properties` in their order, then `id` when the
    /// Feature has one and its properties do not, then `geometry` (null when the
    /// Feature's is). Other members (`type`, `bbox`, foreign members) are not kept.
    pub(crate) fn row(&mut self, feature: Row) -> Result<Row, String> {
        let mut names: Vec<&str> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let (header, mut parts) = feature.into_parts();
        let mut take = |name: &str| {
            header
                .position(name)
                .map(|i| std::mem::replace(&mut parts[i], Value::Null))
        };
        match take("type") {
            Some(Value::String(t)) if t.as_str() == "Feature" => {}
            Some(other) => return Err(format!("\"type\" is {other}, not \"Feature\"")),
            None => return Err("a feature has no \"type\"".to_owned()),
        }
        let properties = take("properties");
        let id = take("id");
        let geometry = take(GEOMETRY).unwrap_or(Value::Null);
        if !matches!(geometry, Value::Map(_) | Value::Null) {
            return Err(format!("\"geometry\" is {geometry}, not an object or null"));
        }
        let properties = match properties {
            Some(Value::Map(p)) => Some(p),
            Some(Value::Null) | None => None,
            Some(other) => return Err(format!("\"properties\" is {other}, not an object")),
        };
        if let Some(p) = &properties {
            for (name, value) in p.iter() {
                if name == GEOMETRY {
                    return Err(
                        "a property is named \"geometry\", the column of the feature's geometry"
                            .to_owned(),
                    );
                }
                names.push(name);
                values.push(value.clone());
            }
        }
        if let Some(id) = id
            && !names.contains(&"id")
        {
            names.push("id");
            values.push(id);
        }
        names.push(GEOMETRY);
        values.push(geometry);
        let header = match &self.header {
            Some(h) if h.matches(&names) => h.clone(),
            _ => {
                let h = Arc::new(Header::new(names.iter().map(|n| (*n).to_owned()).collect()));
                self.header = Some(h.clone());
                h
            }
        };
        Ok(Row::from_parts(header, values))
    }
}

/// Writes `row` as a GeoJSON Feature: `geometry` (an object, JSON text holding one, or
/// null; a missing column is null) and every other column under `properties`.
pub(crate) fn write_feature(row: &Row, out: &mut Vec<u8>) -> Result<(), String> {
    out.extend_from_slice(br#"{"type":"Feature","properties":{"#);
    let mut first = true;
    for (name, value) in row.iter() {
        if name == GEOMETRY {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        json(out, &name)?;
        out.push(b':');
        json(out, value)?;
    }
    out.extend_from_slice(br#"},"geometry":"#);
    match row.get(GEOMETRY) {
        None | Some(Value::Null) => out.extend_from_slice(b"null"),
        Some(geometry @ Value::Map(_)) => json(out, geometry)?,
        Some(Value::String(text)) => {
            // Parsed into a row, which keeps the members in their order.
            let parsed: Row = serde_json::from_str(text.as_str())
                .map_err(|_| format!("the geometry {:?} is not a GeoJSON object", text.as_str()))?;
            json(out, &parsed)?;
        }
        Some(other) => {
            return Err(format!(
                "the geometry is a {}, not a GeoJSON object",
                other.type_name()
            ));
        }
    }
    out.push(b'}');
    Ok(())
}

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), String> {
    serde_json::to_writer(out, value).map_err(|e| e.to_string())
}
