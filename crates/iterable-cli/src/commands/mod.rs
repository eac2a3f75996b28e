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
mod sql;
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
        Command::Cat { input, out } => {
            cat::run(&input.locations, &input.read, out.to, None, out.status()).await
        }
        Command::Head { n, input, out } => {
            cat::run(&input.locations, &input.read, out.to, Some(n), out.status()).await
        }
        Command::Tail { n, input, out } => {
            tail::run(&input.locations, &input.read, rows_out(&out, None), n).await
        }
        Command::Sample {
            n,
            seed,
            input,
            out,
        } => sample::run(&input.locations, &input.read, rows_out(&out, None), n, seed).await,
        Command::Select {
            columns,
            input,
            out,
        } => {
            select::run(
                &columns,
                &input.locations,
                &input.read,
                rows_out(&out, None),
            )
            .await
        }
        Command::Filter {
            expression,
            limit,
            input,
            out,
        } => {
            filter::run(
                &expression,
                &input.locations,
                &input.read,
                rows_out(&out, (limit > 0).then_some(limit)),
            )
            .await
        }
        Command::Stats { input, out } => {
            stats::run(&input.locations, &input.read, rows_out(&out, None)).await
        }
        Command::Validate {
            schema,
            max_errors,
            input,
            out,
        } => {
            validate::run(
                &schema,
                &input.locations,
                &input.read,
                out.to,
                max_errors,
                out.status(),
            )
            .await
        }
        Command::Frequency { limit, input, out } => {
            frequency::run(&input.locations, &input.read, rows_out(&out, None), limit).await
        }
        Command::Table {
            limit,
            width,
            input,
        } => table::run(&input.locations, &input.read, width, limit).await,
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
            decimals,
            schema,
            progress,
            quiet,
        } => {
            let output_as = convert::OutputAs {
                format: to,
                codec: to_codec,
                keep_text,
                decimals,
                schema,
                status: status::Status::new(progress, quiet),
            };
            convert::run(&inputs, &output, &read, &output_as).await
        }
        Command::Completions { shell } => manual::completions(shell),
        Command::Man => manual::man(),
        Command::Sql {
            query,
            output,
            tables,
            to,
            keep_text,
            read,
        } => {
            let query = sql::Query {
                text: &query,
                tables: &tables,
                keep_text,
            };
            sql::run(&query, output.as_deref(), to, &read).await
        }
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
