//! The blocking API, for scripts and synchronous code: an `Iterator` of rows.
//!
//! ```text
//! cargo run -p iterabledata --example blocking
//! ```

use iterable::{IterableOptions, blocking, row};

fn main() -> iterable::Result<()> {
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/people.jsonl");
    for row in blocking::open_iterable(input)? {
        let row = row?;
        println!("{}: {}", row["id"], row["name"]);
    }

    let dir = tempfile::tempdir().map_err(|e| iterable::Error::io("temp", e))?;
    let out = dir.path().join("scores.csv.gz");
    let mut dst = blocking::open(out.to_str().expect("UTF-8"), &IterableOptions::write())?;
    dst.write(&row! { "name" => "Anna", "score" => 9.5 })?;
    dst.write(&row! { "name" => "Ben", "score" => 7 })?;
    dst.close()?;
    println!(
        "{} rows back",
        blocking::open_iterable(out.to_str().expect("UTF-8"))?.count()
    );
    Ok(())
}
