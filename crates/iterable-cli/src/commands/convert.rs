//! `convert`: rows from one location to another, format and codec from each name.

use anyhow::Result;
use iterable::{Codec, ConvertOptions, Format, IterableOptions, aconvert};

use crate::args::ReadArgs;

/// How the output is written, beyond the write flags.
pub struct OutputAs {
    /// `--to`: the format, instead of the name's.
    pub format: Option<Format>,
    /// `--to-codec`: the codec, instead of the name's.
    pub codec: Option<Codec>,
    /// `--keep-text`: text stays text in typed columns.
    pub keep_text: bool,
}

/// Copies every row of `input` into `output`; the output appears only when all is written.
pub async fn run(input: &str, output: &str, read: &ReadArgs, output_as: &OutputAs) -> Result<()> {
    let mut write = read.write_options(IterableOptions::write())?;
    if let Some(format) = output_as.format {
        write = write.format(format);
    }
    if let Some(codec) = output_as.codec {
        write = write.codec(codec);
    }
    let mut options = ConvertOptions::new().read(read.options()?).write(write);
    if output_as.keep_text {
        options = options.type_text(false);
    }
    let report = aconvert(input, output, &options).await?;
    super::report_skipped(input, report.rows_skipped);
    Ok(())
}
