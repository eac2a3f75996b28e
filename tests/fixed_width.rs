//! Fixed-width text: columns from `--widths`/`--names`, a layout file or the header
//! line; text past the last column is a bad record with its position; a value wider
//! than its column is a write error that publishes nothing; a round trip keeps rows.

use iterable::{ErrorPolicy, IterableOptions, Row, row};
use iterable_tests::{collect, write_all};

fn read_options(pairs: &[(&str, &str)]) -> IterableOptions {
    pairs
        .iter()
        .fold(IterableOptions::read(), |o, (k, v)| o.set(k, v).unwrap())
}

fn write_options(pairs: &[(&str, &str)]) -> IterableOptions {
    pairs
        .iter()
        .fold(IterableOptions::write(), |o, (k, v)| o.set(k, v).unwrap())
}

async fn read(path: &str, pairs: &[(&str, &str)]) -> iterable::Result<Vec<Row>> {
    collect(read_options(pairs).open(path).await?).await
}

#[tokio::test]
async fn widths_and_names_cut_each_line_by_characters_and_trim_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.fixed");
    std::fs::write(&path, "1  John      \r\n22 Zoë Ångstr\n\n333\n").unwrap();
    let rows = read(
        path.to_str().unwrap(),
        &[("widths", "3,10"), ("names", "id,name")],
    )
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            row! { "id" => "1", "name" => "John" },
            row! { "id" => "22", "name" => "Zoë Ångstr" },
            row! { "id" => "333", "name" => "" },
        ]
    );
}

#[tokio::test]
async fn the_header_line_gives_names_and_column_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cities.fwf");
    std::fs::write(
        &path,
        "id  city      country\n1   Oslo      Norway\n22  São Paulo Brazil and more\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let rows = read(path, &[]).await.unwrap();
    assert_eq!(
        rows[1],
        row! { "id" => "22", "city" => "São Paulo", "country" => "Brazil and more" }
    );
    // Widths alone: the header line is cut at the same widths.
    let rows = read(path, &[("widths", "4,10,20")]).await.unwrap();
    assert_eq!(
        rows[0],
        row! { "id" => "1", "city" => "Oslo", "country" => "Norway" }
    );
}

#[tokio::test]
async fn text_past_the_last_column_is_a_bad_record_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.fwf");
    std::fs::write(&path, "1  John\n2  Mary      overflow\n3  Anna\n").unwrap();
    let path = path.to_str().unwrap();
    let opts = [("widths", "3,10"), ("names", "id,name")];
    let err = read(path, &opts).await.unwrap_err();
    let parse = err.as_parse().expect("a parse error");
    assert_eq!(
        (
            parse.position.line,
            parse.position.record,
            parse.position.byte
        ),
        (2, 2, 8)
    );
    let text = err.to_string();
    assert!(text.contains(path), "{text}");
    assert!(text.contains("text past the last column"), "{text}");
    assert!(text.contains("\"overflow\""), "{text}");

    let src = read_options(&opts)
        .errors(ErrorPolicy::Skip)
        .open(path)
        .await
        .unwrap();
    let rows = collect(src).await.unwrap();
    assert_eq!(rows.len(), 2, "skip goes on at the next line");
    assert_eq!(rows[1], row! { "id" => "3", "name" => "Anna" });
}

#[tokio::test]
async fn a_layout_file_names_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout.txt");
    std::fs::write(&layout, "# name,width\ncode,2\nlabel,6\n").unwrap();
    let path = dir.path().join("codes.fwf");
    std::fs::write(&path, "A1alpha \nB2beta\n").unwrap();
    let rows = read(
        path.to_str().unwrap(),
        &[("layout", layout.to_str().unwrap())],
    )
    .await
    .unwrap();
    assert_eq!(rows[1], row! { "code" => "B2", "label" => "beta" });

    let err = read(path.to_str().unwrap(), &[("widths", "2,x")])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("--widths takes whole numbers"), "{err}");
    let err = read(
        path.to_str().unwrap(),
        &[("widths", "2,6"), ("names", "a,b,c")],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("3 names for 2 widths"), "{err}");
}

#[tokio::test]
async fn writes_pad_to_the_widths_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        row! { "id" => "1", "name" => "Zürich" },
        row! { "id" => "22", "name" => "" },
        row! { "id" => "333", "name" => "東京" },
    ];
    // Given widths and names: full-length lines, no header line.
    let given = dir.path().join("given.fwf");
    let opts = [("widths", "3,8"), ("names", "id,name")];
    write_all(given.to_str().unwrap(), &write_options(&opts), &rows)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&given).unwrap(),
        "1  Zürich  \n22         \n333東京      \n"
    );
    assert_eq!(read(given.to_str().unwrap(), &opts).await.unwrap(), rows);

    // No widths: a header line, the widths from the rows, no trailing blanks.
    let inferred = dir.path().join("inferred.fwf");
    write_all(inferred.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&inferred).unwrap(),
        "id  name\n1   Zürich\n22\n333 東京\n"
    );
    assert_eq!(read(inferred.to_str().unwrap(), &[]).await.unwrap(), rows);
}

#[tokio::test]
async fn a_value_wider_than_its_column_is_an_error_and_nothing_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.fwf");
    let path = path.to_str().unwrap();
    let err = write_all(
        path,
        &write_options(&[("widths", "3,5")]),
        &[
            row! { "id" => "1", "name" => "Ann" },
            row! { "id" => "2", "name" => "Annabel" },
        ],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("row 2"), "{err}");
    assert!(
        err.contains("\"name\" (\"Annabel\") is 7 characters, wider than its column (5)"),
        "{err}"
    );
    assert!(
        !std::path::Path::new(path).exists(),
        "no output after a failed write"
    );

    let err = write_all(
        path,
        &IterableOptions::write(),
        &[row! { "a" => "line\nbreak" }],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("holds a line end"), "{err}");
    assert!(!std::path::Path::new(path).exists());
}
