//! KML (`.kml`) and GML (`.gml`), read on the XML reader: one row a KML `Placemark`
//! or a GML `featureMember`, the geometry as a GeoJSON object in the column
//! `geometry`. Read only.
//!
//! # KML
//!
//! Each `Placemark`, at any depth (in `Document`s and `Folder`s): its simple children
//! (`name`, `description`, ...) as text columns in their order, its attributes as
//! `@name` columns, the values of `ExtendedData` (`<Data name="k"><value>`, and
//! `<SimpleData name="k">` of `SchemaData`) as columns named by their `name`, other
//! children (`Style`, `TimeSpan`, ...) as maps the way XML reads them, and last
//! `geometry`: the first `Point`, `LineString`, `LinearRing` (as a LineString),
//! `Polygon` or `MultiGeometry` (a GeometryCollection), or null.
//!
//! # GML
//!
//! Each `featureMember` (GML 2, GML 3, as OGR and WFS 1.x write them): the feature
//! element inside it (any name) gives the row: its attributes (`gml:id` as `@id`),
//! its simple properties as text columns, and last `geometry`: the first property
//! that holds a geometry (`Point`, `LineString`, `LinearRing`, `Polygon`,
//! `MultiPoint`, `MultiLineString`/`MultiCurve`, `MultiPolygon`/`MultiSurface`),
//! read from `pos`, `posList` (with `srsDimension`), `coordinates` or `coord`.
//! `boundedBy` is not kept.
//!
//! Coordinates are in the order the file gives them (KML is longitude, latitude;
//! a GML file in EPSG:4326 may be latitude first: no axis is swapped) and numbers as
//! written (integers stay integers). Namespace prefixes are dropped. A geometry that
//! cannot be read (a Point with two positions, a bad number) is an error naming the
//! record, which ends the stream, as malformed XML does.

#[cfg(feature = "xml")]
mod geometry;

use iterable_core::Format;
#[cfg(feature = "xml")]
use iterable_core::{Row, Value};

use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer, Values};

/// KML's format name.
pub const KML_FORMAT: Format = Format::new("kml");
/// GML's format name.
pub const GML_FORMAT: Format = Format::new("gml");

const CAPABILITIES: Capabilities = Capabilities {
    read: true,
    write: false,
    values: Values::Text,
    record_boundaries: false,
    container: false,
    nulls: true,
    nested: true,
    marks_end: true,
    typed_columns: false,
    geometry: true,
    binary: false,
};

fn head_has(head: &[u8], needle: &[u8]) -> bool {
    crate::registry::text_start(head).is_some_and(|t| t.starts_with(b"<"))
        && memchr::memmem::find(head, needle).is_some()
}

/// The registry's description of KML.
pub static KML: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| head_has(head, b"<kml"),
    }),
    capabilities: CAPABILITIES,
    read_options: &[&crate::registry::options::MAX_RECORD_BYTES],
    write_options: &[],
    feature: "xml",
    builders: KML_BUILDERS,
    ..FormatSpec::new(
        KML_FORMAT,
        "KML: one row a Placemark, its geometry in `geometry` (read only)",
        &["kml"],
    )
};

/// The registry's description of GML.
pub static GML: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| head_has(head, b"opengis.net/gml") && head_has(head, b"featureMember"),
    }),
    capabilities: CAPABILITIES,
    read_options: &[&crate::registry::options::MAX_RECORD_BYTES],
    write_options: &[],
    feature: "xml",
    builders: GML_BUILDERS,
    ..FormatSpec::new(
        GML_FORMAT,
        "GML: one row a featureMember, its geometry in `geometry` (read only)",
        &["gml"],
    )
};

#[cfg(feature = "xml")]
const KML_BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, mut ctx| {
        ctx.options.xml.tagname = Some("Placemark".to_owned());
        ctx.options.xml.strip_namespaces = true;
        Box::pin(crate::xml::open_reshaped_reader(
            r,
            ctx,
            Some(placemark_row),
        ))
    }),
    ..Builders::NONE
});
#[cfg(not(feature = "xml"))]
const KML_BUILDERS: Option<Builders> = None;

#[cfg(feature = "xml")]
const GML_BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, mut ctx| {
        ctx.options.xml.tagname = Some("featureMember".to_owned());
        ctx.options.xml.strip_namespaces = true;
        Box::pin(crate::xml::open_reshaped_reader(
            r,
            ctx,
            Some(feature_member_row),
        ))
    }),
    ..Builders::NONE
});
#[cfg(not(feature = "xml"))]
const GML_BUILDERS: Option<Builders> = None;

#[cfg(feature = "xml")]
/// The row of a KML Placemark (as the XML reader gives it).
pub(crate) fn placemark_row(placemark: Row) -> Result<Row, String> {
    let mut row = Row::new();
    let mut shape = Value::Null;
    for (name, value) in placemark.iter() {
        if geometry::GEOMETRIES.contains(&name) {
            if shape.is_null() {
                // A repeated geometry element: the first one.
                let first = match value {
                    Value::List(items) => items.first().unwrap_or(&Value::Null),
                    one => one,
                };
                shape = geometry::convert(name, first)?;
            }
        } else if name == "ExtendedData" {
            extended_data(value, &mut row);
        } else {
            row.insert(name, value.clone());
        }
    }
    row.insert(crate::geojson::GEOMETRY, shape);
    Ok(row)
}

#[cfg(feature = "xml")]
/// The name/value pairs of KML's `ExtendedData`, as columns.
fn extended_data(value: &Value, row: &mut Row) {
    let Value::Map(data) = value else { return };
    let pairs = |items: Option<&Value>, value_key: &str, row: &mut Row| {
        let items: Vec<&Value> = match items {
            Some(Value::List(l)) => l.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for item in items {
            let Value::Map(m) = item else { continue };
            let Some(Value::String(name)) = m.get("@name") else {
                continue;
            };
            let v = m.get(value_key).cloned().unwrap_or(Value::Null);
            row.insert(name.as_str(), v);
        }
    };
    pairs(data.get("Data"), "value", row);
    let schemas: Vec<&Value> = match data.get("SchemaData") {
        Some(Value::List(l)) => l.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for schema in schemas {
        if let Value::Map(s) = schema {
            pairs(s.get("SimpleData"), "#text", row);
        }
    }
}

#[cfg(feature = "xml")]
/// The row of a GML featureMember: the feature element inside it.
pub(crate) fn feature_member_row(member: Row) -> Result<Row, String> {
    let Some(Value::Map(feature)) = member
        .iter()
        .find(|(name, _)| !name.starts_with('@'))
        .map(|(_, v)| v)
    else {
        return Err("a featureMember without a feature element".to_owned());
    };
    let mut row = Row::new();
    let mut shape = Value::Null;
    for (name, value) in feature.iter() {
        if name == "boundedBy" {
            continue;
        }
        let held = match value {
            Value::Map(property) => geometry::find(property),
            _ => None,
        };
        match held {
            Some((kind, g)) if shape.is_null() => shape = geometry::convert(kind, g)?,
            Some(_) => {}
            None if geometry::GEOMETRIES.contains(&name) && shape.is_null() => {
                shape = geometry::convert(name, value)?
            }
            None => {
                row.insert(name, value.clone());
            }
        }
    }
    row.insert(crate::geojson::GEOMETRY, shape);
    Ok(row)
}
