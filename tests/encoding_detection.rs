//! A text file that is not UTF-8 and has no `encoding` option is read in the encoding
//! detected in its first 64 KiB, named in `info().encoding` and the convert report;
//! UTF-8 files and explicit options are left as they are.

use iterable::{ConvertOptions, IterableOptions, Row, aconvert, row};
use iterable_tests::collect;

fn cp1251(text: &str) -> Vec<u8> {
    // The bytes of windows-1251 for the Cyrillic letters used below, by hand so the
    // test does not trust the encoder it checks.
    let mut out = Vec::new();
    for c in text.chars() {
        match c {
            'А'..='я' => out.push((c as u32 - 'А' as u32 + 0xC0) as u8),
            c if c.is_ascii() => out.push(c as u8),
            other => panic!("{other} is not in this table"),
        }
    }
    out
}

#[tokio::test]
async fn legacy_text_is_detected_and_named_utf8_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,name,city\n1,Общество Вектор,Москва\n2,Программные технологии,Ростов\n";
    let expected: Vec<Row> = vec![
        row! { "id" => "1", "name" => "Общество Вектор", "city" => "Москва" },
        row! { "id" => "2", "name" => "Программные технологии", "city" => "Ростов" },
    ];
    let legacy = dir.path().join("firms.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &cp1251(text)).unwrap();
    std::fs::write(&legacy, gz.finish().unwrap()).unwrap();
    let legacy = legacy.to_str().unwrap();

    let src = IterableOptions::read().open(legacy).await.unwrap();
    assert_eq!(src.info().encoding, Some("windows-1251"));
    assert_eq!(collect(src).await.unwrap(), expected);

    let utf8 = dir.path().join("firms.tsv");
    std::fs::write(&utf8, text.replace(',', "\t")).unwrap();
    let src = IterableOptions::read()
        .open(utf8.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(src.info().encoding, None);
    assert_eq!(collect(src).await.unwrap(), expected);

    // The option wins over detection and is named the same way.
    let src = IterableOptions::read()
        .encoding("cp1251")
        .open(legacy)
        .await
        .unwrap();
    assert_eq!(src.info().encoding, Some("windows-1251"));
    assert_eq!(collect(src).await.unwrap(), expected);

    let out = dir.path().join("firms.jsonl");
    let report = aconvert(legacy, out.to_str().unwrap(), &ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(report.input_encoding, Some("windows-1251"));
    let back = collect(
        IterableOptions::read()
            .open(out.to_str().unwrap())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(back.unwrap(), expected);

    // LTSV and fixed width take the same road.
    let ltsv = dir.path().join("firms.ltsv");
    std::fs::write(&ltsv, cp1251("id:1\tcity:Москва Ростов Общество\n")).unwrap();
    let src = IterableOptions::read()
        .open(ltsv.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(src.info().encoding, Some("windows-1251"));
    assert_eq!(
        collect(src).await.unwrap(),
        [row! { "id" => "1", "city" => "Москва Ростов Общество" }]
    );
}
