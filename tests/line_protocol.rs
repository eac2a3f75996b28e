//! InfluxDB line protocol: points with tags, typed fields and nanosecond times;
//! comments skipped; a bad point a bad record with its position; tags written back as
//! tags when named.

use iterable::{ErrorPolicy, IterableOptions, Row, Value};
use iterable_tests::{collect, write_all};

async fn read(path: &std::path::Path, options: IterableOptions) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

const POINTS: &str = "# written by telegraf\n\
cpu,host=a,region=eu usage=0.5,cores=8i,up=t 1733220000000000000\n\
cpu,host=b usage=1 1733220000500000000\n";

#[tokio::test]
async fn points_read_with_tags_fields_and_times_and_write_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.lp");
    std::fs::write(&path, POINTS).unwrap();
    let rows = read(&path, IterableOptions::read()).await.unwrap();
    assert_eq!(rows.len(), 2);
    let keys: Vec<&str> = rows[0].keys().collect();
    assert_eq!(
        keys,
        [
            "measurement",
            "host",
            "region",
            "usage",
            "cores",
            "up",
            "time"
        ]
    );
    assert_eq!(rows[0]["cores"], Value::Int(8));
    assert_eq!(rows[0]["up"], Value::Bool(true));
    assert_eq!(rows[1]["usage"], Value::Float(1.0));
    let Value::Timestamp(t) = &rows[1]["time"] else {
        panic!()
    };
    assert_eq!(t.datetime.to_string(), "2024-12-03 10:00:00.500");

    let out = dir.path().join("copy.ilp");
    let options = IterableOptions::write().set("tags", "host,region").unwrap();
    write_all(out.to_str().unwrap(), &options, &rows)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "cpu,host=a,region=eu usage=0.5,cores=8i,up=true 1733220000000000000\n\
         cpu,host=b usage=1.0 1733220000500000000\n"
    );
    assert_eq!(read(&out, IterableOptions::read()).await.unwrap(), rows);
}

#[tokio::test]
async fn a_bad_point_is_a_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.lp");
    let text = "cpu usage=0.5\ncpu usage=lots\ncpu\ncpu usage=1\n";
    std::fs::write(&path, text).unwrap();
    let err = read(&path, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2")
            && err.contains("byte 14")
            && err.contains("\"lots\" is not a field value"),
        "{err}"
    );
    let rows = read(&path, IterableOptions::read().errors(ErrorPolicy::Skip))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
}
