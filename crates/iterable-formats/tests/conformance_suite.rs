//! Every registered, compiled-in format runs the conformance suite
//! (`iterable_formats::testing::conformance::check_format`): a format added to the
//! registry is checked without being added here.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_format_keeps_the_promises() {
    let mut failures = Vec::new();
    let mut checked = Vec::new();
    for spec in iterable_formats::registry::all() {
        if !spec.is_available() {
            println!("not built: {} (feature `{}`)", spec.format, spec.feature);
            continue;
        }
        match iterable_formats::testing::conformance::check_format(spec).await {
            Ok(()) => checked.push(spec.format.name()),
            Err(e) => failures.push(e),
        }
    }
    println!("conformance suite passed: {}", checked.join(", "));
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        checked.contains(&"csv") && checked.contains(&"ltsv"),
        "{checked:?}"
    );
}

/// The suite fails a format that does not read back what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_catches_a_format_that_loses_rows() {
    use iterable_core::Format;
    use iterable_formats::registry::{Builders, Capabilities, FormatSpec};
    static BROKEN: FormatSpec = FormatSpec {
        capabilities: Capabilities::TEXT,
        builders: Some(Builders {
            // Writes CSV, reads it as if it had no header: one row too many.
            reader: Some(|r, mut ctx| {
                ctx.options.csv.has_header = false;
                Box::pin(iterable_formats::csv::open_reader(r, ctx))
            }),
            writer: Some(|w, ctx| Box::pin(iterable_formats::csv::open_writer(w, ctx))),
            ..Builders::NONE
        }),
        ..FormatSpec::new(Format::new("broken"), "loses its header", &["broken"])
    };
    let err = iterable_formats::testing::conformance::check_format(&BROKEN)
        .await
        .unwrap_err();
    assert!(err.contains("broken: read in"), "{err}");
}
