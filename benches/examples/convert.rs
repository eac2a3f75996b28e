//! `convert INPUT OUTPUT` (or `convert --rows INPUT`: read every row as a stream)
//! through the library with the system allocator (or mimalloc with the `mimalloc`
//! feature), so that heap profilers such as heaptrack see every allocation and the
//! allocators can be compared on the same work:
//!
//! ```text
//! cargo build --release -p iterable-benches --example convert
//! heaptrack target/release/examples/convert data.csv out.parquet
//! ```

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let rows = match args.as_slice() {
        [flag, input] if flag == "--rows" => runtime.block_on(count_rows(input)),
        [input, output] => runtime
            .block_on(iterable::aconvert(
                input,
                output,
                &iterable::ConvertOptions::new(),
            ))
            .map(|report| report.rows_written),
        _ => {
            eprintln!("usage: convert INPUT OUTPUT | convert --rows INPUT");
            std::process::exit(2);
        }
    };
    match rows {
        Ok(rows) => eprintln!("{rows} rows"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// Reads every row of `input` as a stream.
async fn count_rows(input: &str) -> iterable::Result<u64> {
    use futures::StreamExt;
    let mut rows = iterable::aopen_iterable(input).await?;
    let mut n = 0;
    while let Some(row) = rows.next().await {
        row?;
        n += 1;
    }
    Ok(n)
}
