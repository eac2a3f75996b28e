//! One module per subcommand.

mod by_column;
mod cat;
mod convert;
mod count;
pub mod enrich;
mod filter;
mod frequency;
mod manual;
mod sample;
mod schema;
mod select;
mod stats;
mod status;
pub use status::Status;
mod table;
mod tail;
mod validate;

use anyhow::Result;

use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Cat {
            locations,
            read,
            out,
        } => cat::run(&locations, &read, out.to, None, out.status()).await,
        Command::Head {
            n,
            locations,
            read,
            out,
        } => cat::run(&locations, &read, out.to, Some(n), out.status()).await,
        Command::Tail {
            n,
            locations,
            read,
            out,
        } => tail::run(&locations, &read, rows_out(&out, None), n).await,
        Command::Sample {
            n,
            seed,
            locations,
            read,
            out,
        } => sample::run(&locations, &read, rows_out(&out, None), n, seed).await,
        Command::Select {
            columns,
            locations,
            read,
            out,
        } => select::run(&columns, &locations, &read, rows_out(&out, None)).await,
        Command::Filter {
            expression,
            limit,
            locations,
            read,
            out,
        } => {
            filter::run(
                &expression,
                &locations,
                &read,
                rows_out(&out, (limit > 0).then_some(limit)),
            )
            .await
        }
        Command::Stats {
            locations,
            read,
            out,
        } => stats::run(&locations, &read, rows_out(&out, None)).await,
        Command::Validate {
            schema,
            max_errors,
            locations,
            read,
            out,
        } => validate::run(&schema, &locations, &read, out.to, max_errors, out.status()).await,
        Command::Frequency {
            limit,
            locations,
            read,
            out,
        } => frequency::run(&locations, &read, rows_out(&out, None), limit).await,
        Command::Table {
            limit,
            width,
            locations,
            read,
        } => table::run(&locations, &read, width, limit).await,
        Command::Count {
            locations,
            read,
            progress,
            quiet,
        } => count::run(&locations, &read, Status::new(progress, quiet)).await,
        Command::Enrich(args) => enrich::run(&args).await,
        Command::Convert {
            inputs,
            output,
            read,
            to,
            to_codec,
            keep_text,
            schema,
            progress,
            quiet,
        } => {
            let output_as = convert::OutputAs {
                format: to,
                codec: to_codec,
                keep_text,
                schema,
                status: status::Status::new(progress, quiet),
            };
            convert::run(&inputs, &output, &read, &output_as).await
        }
        Command::Completions { shell } => manual::completions(shell),
        Command::Man => manual::man(),
        Command::Schema {
            location,
            sheets,
            read,
        } => schema::run(&location, sheets, &read).await,
    }
}

/// Where a command's rows go, from its output flags and a limit.
fn rows_out(out: &crate::args::OutArgs, limit: Option<usize>) -> cat::Output {
    cat::Output {
        to: out.to,
        status: out.status(),
        limit,
    }
}

/// Tells stderr how many bad records a reader skipped, if any.
/// A note on stderr when the input's text encoding was detected (not given with
/// `--encoding`), so a wrong guess is seen and can be overridden.
fn report_encoding(location: &str, encoding: Option<&str>, options: &iterable::IterableOptions) {
    if let (Some(encoding), None) = (encoding, &options.options().csv.encoding) {
        let location = iterable::mask_password(location);
        eprintln!(
            "iterable: {location}: not UTF-8; read as {encoding} (detected; give --encoding to choose another)"
        );
    }
}

fn report_skipped(location: &str, skipped: u64) {
    if skipped > 0 {
        let location = iterable::mask_password(location);
        eprintln!("iterable: {location}: skipped {skipped} bad record(s)");
    }
}
