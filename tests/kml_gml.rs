//! KML and GML on the XML reader: one row a Placemark or a featureMember, simple
//! children and extended data as columns, every geometry kind as GeoJSON, and a bad
//! geometry an error naming the record.

use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::collect;

async fn read(dir: &tempfile::TempDir, name: &str, text: &str) -> iterable::Result<Vec<Row>> {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    collect(IterableOptions::read().open(path.to_str().unwrap()).await?).await
}

fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

fn pos(x: impl Into<Value>, y: impl Into<Value>) -> Value {
    list(&[x.into(), y.into()])
}

fn geo(kind: &str, coordinates: Value) -> Value {
    Value::Map(row! { "type" => kind, "coordinates" => coordinates })
}

const KML: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>doc</name>
<Folder>
  <Placemark id="p1">
    <name>Lake</name>
    <ExtendedData>
      <Data name="depth"><value>120</value></Data>
      <Data name="fish"><value>trout</value></Data>
    </ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      8.5,47.2 8.6,47.2 8.6,47.3 8.5,47.2
    </coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>8.55,47.25,0 8.56,47.25,0 8.55,47.26,0 8.55,47.25,0</coordinates></LinearRing></innerBoundaryIs>
    </Polygon>
  </Placemark>
</Folder>
<Placemark>
  <name>Trail</name><description><![CDATA[<b>steep</b>]]></description>
  <ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="km">4.5</SimpleData></SchemaData></ExtendedData>
  <MultiGeometry><Point><coordinates>1,2</coordinates></Point><LineString><coordinates>0,0 1,1</coordinates></LineString></MultiGeometry>
</Placemark>
<Placemark><name>Nowhere</name></Placemark>
</Document></kml>"##;

#[tokio::test]
async fn kml_placemarks_at_any_depth_with_their_data_and_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let rows = read(&dir, "map.kml", KML).await.unwrap();
    let outer = list(&[
        pos(8.5, 47.2),
        pos(8.6, 47.2),
        pos(8.6, 47.3),
        pos(8.5, 47.2),
    ]);
    let inner = list(&[
        list(&[8.55.into(), 47.25.into(), 0.into()]),
        list(&[8.56.into(), 47.25.into(), 0.into()]),
        list(&[8.55.into(), 47.26.into(), 0.into()]),
        list(&[8.55.into(), 47.25.into(), 0.into()]),
    ]);
    let collection = Value::Map(row! {
        "type" => "GeometryCollection",
        "geometries" => vec![
            geo("Point", pos(1, 2)),
            geo("LineString", list(&[pos(0, 0), pos(1, 1)])),
        ],
    });
    assert_eq!(
        rows,
        [
            row! {
                "@id" => "p1", "name" => "Lake", "depth" => "120", "fish" => "trout",
                "geometry" => geo("Polygon", list(&[outer, inner])),
            },
            row! { "name" => "Trail", "description" => "<b>steep</b>", "km" => "4.5", "geometry" => collection },
            row! { "name" => "Nowhere", "geometry" => Value::Null },
        ]
    );
    // Known by its content under another name.
    assert_eq!(read(&dir, "map.export", KML).await.unwrap(), rows);
}

#[tokio::test]
async fn gml_feature_members_of_gml_2_and_3() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"<?xml version="1.0"?>
<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" xmlns:gml="http://www.opengis.net/gml">
  <gml:boundedBy><gml:Box><gml:coord><gml:X>0</gml:X><gml:Y>0</gml:Y></gml:coord></gml:Box></gml:boundedBy>
  <gml:featureMember>
    <ogr:roads gml:id="roads.0">
      <gml:boundedBy><gml:Envelope><gml:lowerCorner>0 0</gml:lowerCorner></gml:Envelope></gml:boundedBy>
      <ogr:geometryProperty><gml:LineString srsDimension="3"><gml:posList>0 0 1 2 2 3</gml:posList></gml:LineString></ogr:geometryProperty>
      <ogr:name>Main St</ogr:name>
      <ogr:lanes>2</ogr:lanes>
    </ogr:roads>
  </gml:featureMember>
  <gml:featureMember>
    <ogr:roads gml:id="roads.1">
      <ogr:geometryProperty><gml:MultiPolygon><gml:polygonMember><gml:Polygon>
        <gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 1,0 1,1 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs>
      </gml:Polygon></gml:polygonMember></gml:MultiPolygon></ogr:geometryProperty>
      <ogr:name>Square</ogr:name>
    </ogr:roads>
  </gml:featureMember>
  <gml:featureMember>
    <ogr:roads><ogr:where><gml:Point><gml:pos>5.5 -3</gml:pos></gml:Point></ogr:where></ogr:roads>
  </gml:featureMember>
</ogr:FeatureCollection>"#;
    let rows = read(&dir, "roads.gml", text).await.unwrap();
    let square = list(&[list(&[list(&[pos(0, 0), pos(1, 0), pos(1, 1), pos(0, 0)])])]);
    assert_eq!(
        rows,
        [
            row! {
                "@id" => "roads.0", "name" => "Main St", "lanes" => "2",
                "geometry" => geo("LineString", list(&[
                    list(&[0.into(), 0.into(), 1.into()]),
                    list(&[2.into(), 2.into(), 3.into()]),
                ])),
            },
            row! { "@id" => "roads.1", "name" => "Square", "geometry" => geo("MultiPolygon", square) },
            row! { "geometry" => geo("Point", pos(5.5, -3)) },
        ]
    );
}

#[tokio::test]
async fn a_bad_geometry_or_a_cut_file_is_an_error_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>ok</name><Point><coordinates>1,2</coordinates></Point></Placemark>
<Placemark><name>bad</name><Point><coordinates>1,north</coordinates></Point></Placemark>
</Document></kml>"#;
    let path = dir.path().join("bad.kml");
    std::fs::write(&path, text).unwrap();
    let mut src = IterableOptions::read()
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    let first = src.aread_bulk(1).await.unwrap();
    assert_eq!(
        first,
        [row! { "name" => "ok", "geometry" => geo("Point", pos(1, 2)) }]
    );
    let err = collect(src).await.unwrap_err().to_string();
    let at = text.find("<Placemark><name>bad").unwrap();
    assert!(
        err.contains(path.to_str().unwrap())
            && err.contains("record 2")
            && err.contains(&format!("byte {at}"))
            && err.contains(r#""north" is not a coordinate"#),
        "{err}"
    );
    let err = read(&dir, "cut.kml", &KML[..KML.len() / 2])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cut.kml") && err.contains("truncated"),
        "{err}"
    );
    // Read only: writing one is refused before anything is made.
    let out = dir.path().join("out.kml");
    assert!(
        IterableOptions::write()
            .open(out.to_str().unwrap())
            .await
            .is_err()
    );
    assert!(!out.exists());
}
