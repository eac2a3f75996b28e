//! `convert`: rows from one location to another, format and codec from each name; or,
//! when the output is a pattern (`out/{stem}.parquet`), each input file to its own.

use anyhow::{Result, bail};
use iterable::{
    Codec, ConvertOptions, Format, IterableOptions, ProgressEvery, abulk_convert, aconvert,
    aconvert_many,
};

use super::status::{self, Status};
use crate::args::ReadArgs;

/// How the output is written, beyond the write flags.
pub struct OutputAs {
    /// `--to`: the format, instead of the name's.
    pub format: Option<Format>,
    /// `--to-codec`: the codec, instead of the name's.
    pub codec: Option<Codec>,
    /// `--keep-text`: text stays text in typed columns.
    pub keep_text: bool,
    /// `--decimals`: numbers with a fraction become exact decimals.
    pub decimals: bool,
    /// `--schema FILE`: the output's columns and types.
    pub schema: Option<std::path::PathBuf>,
    /// What to say on stderr while converting and at the end.
    pub status: Status,
}

/// Copies every row of `input` into `output`; the output appears only when all is written.
pub async fn run(
    inputs: &[String],
    output: &str,
    read: &ReadArgs,
    output_as: &OutputAs,
) -> Result<()> {
    for input in inputs {
        read.check_read_flags(input)?;
    }
    if !is_pattern(output) {
        read.check_write_flags(output, output_as.format)?;
    }
    let mut write = read.write_options(IterableOptions::write())?;
    if let Some(format) = output_as.format {
        write = write.format(format);
    }
    if let Some(codec) = output_as.codec {
        write = write.codec(codec);
    }
    if let Some(file) = &output_as.schema {
        write = write.schema(read_schema(file)?);
    }
    let read_options = read.options()?;
    let mut options = ConvertOptions::new()
        .read(read_options.clone())
        .write(write);
    if output_as.keep_text {
        options = options.type_text(false);
    }
    if output_as.decimals {
        options = options.decimals(true);
    }
    if is_pattern(output) {
        let options = options.concurrency(read.file_concurrency.max(1));
        return bulk(inputs, output, &options).await;
    }
    if output_as.status.live {
        options = options.on_progress(ProgressEvery::Time(status::REDRAW), |event| {
            if event.done {
                status::clear();
            } else {
                status::draw(event);
            }
        });
    }
    let converted = match inputs {
        [one] => aconvert(one, output, &options).await,
        many => aconvert_many(many, output, &options).await,
    };
    if output_as.status.live {
        status::clear();
    }
    let report = converted?;
    if output_as.status.summary {
        eprintln!("{}", status::summary(&report));
    }
    super::report_encoding(&report.input, report.input_encoding, &read_options);
    super::report_skipped(&report.input, report.rows_skipped);
    Ok(())
}

/// Whether `output` names each output by the input's name.
fn is_pattern(output: &str) -> bool {
    ["{stem}", "{name}", "{ext}", "{dir}"]
        .iter()
        .any(|p| output.contains(p))
}

/// Each file of `input` to the output its name maps to: a line on stderr for each
/// file that failed (the others are converted), and exit code 1 if any did.
async fn bulk(inputs: &[String], output: &str, options: &ConvertOptions) -> Result<()> {
    let report = abulk_convert(inputs, output, options).await?;
    for file in &report.files {
        match &file.result {
            Ok(done) => {
                super::report_encoding(&file.input, done.input_encoding, options.read_options());
                super::report_skipped(&file.input, done.rows_skipped);
            }
            Err(e) => eprintln!("iterable: {e}"),
        }
    }
    let failed = report.failed().count();
    if failed > 0 {
        bail!(
            "{failed} of {} files failed; the others were converted",
            report.files.len()
        );
    }
    Ok(())
}

/// The `name: type` lines of a schema file, as `iterable schema` prints them; blank
/// lines and `#` comments are skipped.
fn read_schema(file: &std::path::Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("--schema {}: {e}", file.display()))?;
    let mut columns = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(": ") {
            Some((name, kind)) if !name.trim().is_empty() && !kind.trim().is_empty() => {
                columns.push((name.trim().to_owned(), kind.trim().to_owned()));
            }
            _ => bail!(
                "--schema {}: line {}: {line:?} is not `name: type` (as `iterable schema` prints)",
                file.display(),
                i + 1
            ),
        }
    }
    if columns.is_empty() {
        bail!("--schema {}: no columns in it", file.display());
    }
    Ok(columns)
}
