//! KML and GML geometries, as the XML reader gives them (maps of child elements,
//! namespaces stripped), turned into GeoJSON geometry objects.

use iterable_core::{Row, Value};

type Geo = Result<Value, String>;

/// The element names that are a geometry in KML or GML.
pub(super) const GEOMETRIES: &[&str] = &[
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiGeometry",
    "MultiPoint",
    "MultiLineString",
    "MultiCurve",
    "MultiPolygon",
    "MultiSurface",
];

fn geometry(kind: &str, coordinates: Value) -> Value {
    let mut g = Row::new();
    g.insert("type", kind);
    g.insert("coordinates", coordinates);
    Value::Map(g)
}

fn collection(parts: Vec<Value>) -> Value {
    let mut g = Row::new();
    g.insert("type", "GeometryCollection");
    g.insert("geometries", parts);
    Value::Map(g)
}

/// The occurrences of a child: one value, or each of a repeated child's.
fn each(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(items)) => items.iter().collect(),
        Some(one) => vec![one],
    }
}

/// A child's text (an element with attributes keeps it under `#text`).
fn text(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s.as_str()),
        Value::Map(m) => text(m.get("#text")),
        _ => None,
    }
}

/// A number as the file writes it: an integer when it is one, else a float.
fn number(token: &str) -> Result<Value, String> {
    if let Ok(i) = token.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    token
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Float)
        .ok_or_else(|| format!("{token:?} is not a coordinate"))
}

/// KML and GML 2 `coordinates`: tuples separated by white space, numbers by commas.
fn comma_tuples(text: &str) -> Result<Vec<Value>, String> {
    text.split_whitespace()
        .map(|tuple| {
            let numbers = tuple
                .split(',')
                .map(number)
                .collect::<Result<Vec<_>, _>>()?;
            if numbers.len() < 2 {
                return Err(format!("the position {tuple:?} has fewer than two numbers"));
            }
            Ok(Value::List(numbers))
        })
        .collect()
}

/// GML 3 `pos`/`posList`: numbers separated by white space, `dimension` a position.
fn spaced_tuples(text: &str, dimension: usize) -> Result<Vec<Value>, String> {
    let numbers = text
        .split_whitespace()
        .map(number)
        .collect::<Result<Vec<_>, _>>()?;
    if numbers.is_empty() || numbers.len() % dimension != 0 {
        return Err(format!(
            "{} numbers do not make positions of {dimension}",
            numbers.len()
        ));
    }
    Ok(numbers
        .chunks(dimension)
        .map(|c| Value::List(c.to_vec()))
        .collect())
}

/// The positions an element holds: `coordinates`, `posList`, or its `pos` children
/// (or GML 2's `coord` with `X`, `Y`, `Z`).
fn positions(element: &Row) -> Result<Vec<Value>, String> {
    if let Some(t) = text(element.get("coordinates")) {
        return comma_tuples(t);
    }
    if let Some(list) = element.get("posList") {
        let dimension = match list {
            Value::Map(m) => text(m.get("@srsDimension")).and_then(|d| d.parse().ok()),
            _ => None,
        }
        .or_else(|| text(element.get("@srsDimension")).and_then(|d| d.parse().ok()))
        .unwrap_or(2usize)
        .clamp(1, 4);
        return spaced_tuples(text(Some(list)).unwrap_or(""), dimension);
    }
    let mut out = Vec::new();
    for pos in each(element.get("pos")) {
        let t = text(Some(pos)).unwrap_or("");
        let n = t.split_whitespace().count().max(1);
        out.extend(spaced_tuples(t, n)?);
    }
    for coord in each(element.get("coord")) {
        let Value::Map(c) = coord else { continue };
        let parts = ["X", "Y", "Z"]
            .iter()
            .filter_map(|k| text(c.get(k)))
            .map(number)
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Value::List(parts));
    }
    if out.is_empty() {
        return Err("a geometry without coordinates".to_owned());
    }
    Ok(out)
}

/// The map of an element, or an error naming what it should have been.
fn element<'a>(value: &'a Value, what: &str) -> Result<&'a Row, String> {
    match value {
        Value::Map(m) => Ok(m),
        _ => Err(format!("<{what}> holds no geometry elements")),
    }
}

/// The rings of a polygon: KML `outerBoundaryIs`/`innerBoundaryIs`, GML 3
/// `exterior`/`interior`, GML 2 `outerBoundaryIs`/`innerBoundaryIs`; each holding a
/// `LinearRing`.
fn rings(polygon: &Row) -> Result<Value, String> {
    let mut rings = Vec::new();
    for key in ["outerBoundaryIs", "exterior", "innerBoundaryIs", "interior"] {
        for boundary in each(polygon.get(key)) {
            let boundary = element(boundary, key)?;
            for ring in each(boundary.get("LinearRing")) {
                rings.push(Value::List(positions(element(ring, "LinearRing")?)?));
            }
        }
    }
    if rings.is_empty() {
        return Err("a Polygon without rings".to_owned());
    }
    Ok(Value::List(rings))
}

/// The GeoJSON geometry of the element named `kind`.
pub(super) fn convert(kind: &str, value: &Value) -> Geo {
    let e = element(value, kind)?;
    match kind {
        "Point" => {
            let mut p = positions(e)?;
            if p.len() != 1 {
                return Err(format!("a Point with {} positions", p.len()));
            }
            Ok(geometry("Point", p.remove(0)))
        }
        "LineString" | "LinearRing" => Ok(geometry("LineString", Value::List(positions(e)?))),
        "Polygon" => Ok(geometry("Polygon", rings(e)?)),
        "MultiGeometry" => {
            let mut parts = Vec::new();
            for (name, child) in e.iter() {
                if GEOMETRIES.contains(&name) {
                    for one in each(Some(child)) {
                        parts.push(convert(name, one)?);
                    }
                }
            }
            Ok(collection(parts))
        }
        // GML's multi geometries: members (one each, or all in a `...Members` element).
        "MultiPoint" => multi(e, "Point", &["pointMember", "pointMembers"], "MultiPoint"),
        "MultiLineString" | "MultiCurve" => multi(
            e,
            "LineString",
            &["lineStringMember", "curveMember", "curveMembers"],
            "MultiLineString",
        ),
        "MultiPolygon" | "MultiSurface" => multi(
            e,
            "Polygon",
            &["polygonMember", "surfaceMember", "surfaceMembers"],
            "MultiPolygon",
        ),
        other => Err(format!("<{other}> is not a geometry")),
    }
}

fn multi(e: &Row, part: &str, members: &[&str], kind: &str) -> Geo {
    let mut coordinates = Vec::new();
    for key in members {
        for member in each(e.get(key)) {
            let member = element(member, key)?;
            for one in each(member.get(part)) {
                let Value::Map(g) = convert(part, one)? else {
                    unreachable!("a geometry is a map")
                };
                coordinates.push(g.get("coordinates").cloned().unwrap_or(Value::Null));
            }
        }
    }
    Ok(geometry(kind, Value::List(coordinates)))
}

/// The first geometry among `row`'s children, by name: its name and GeoJSON.
pub(super) fn find(row: &Row) -> Option<(&str, &Value)> {
    row.iter().find(|(name, _)| GEOMETRIES.contains(name))
}
