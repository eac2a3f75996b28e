//! [`abulk_convert`]: many inputs into many outputs, named by a pattern, some files at a
//! time, one report a file.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use iterable_core::{Codec, Error, Result};

use crate::convert::{ConvertOptions, ConvertReport, aconvert};

/// Files converted at a time by [`abulk_convert`], by default.
pub const DEFAULT_BULK_CONCURRENCY: usize = 4;

/// One input of a bulk conversion and what became of it.
#[derive(Debug)]
#[non_exhaustive]
pub struct FileOutcome {
    /// The input file.
    pub input: String,
    /// The output its name maps to.
    pub output: String,
    /// The conversion's report, or why it failed (no output was published then).
    pub result: Result<ConvertReport>,
}

/// What a bulk conversion did: one outcome a file, in the order of the inputs.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkReport {
    /// Each file's outcome, in input order.
    pub files: Vec<FileOutcome>,
    /// From the first file started to the last one finished.
    pub elapsed: Duration,
}

impl BulkReport {
    /// The files that converted.
    pub fn succeeded(&self) -> impl Iterator<Item = &ConvertReport> {
        self.files.iter().filter_map(|f| f.result.as_ref().ok())
    }

    /// The files that failed, with their errors.
    pub fn failed(&self) -> impl Iterator<Item = (&FileOutcome, &Error)> {
        self.files
            .iter()
            .filter_map(|f| f.result.as_ref().err().map(|e| (f, e)))
    }

    /// Whether every file converted.
    pub fn all_ok(&self) -> bool {
        self.failed().next().is_none()
    }

    /// Rows read, over the files that converted.
    pub fn rows_read(&self) -> u64 {
        self.succeeded().map(|r| r.rows_read).sum()
    }

    /// Rows written, over the files that converted.
    pub fn rows_written(&self) -> u64 {
        self.succeeded().map(|r| r.rows_written).sum()
    }

    /// Bad records skipped, over the files that converted.
    pub fn rows_skipped(&self) -> u64 {
        self.succeeded().map(|r| r.rows_skipped).sum()
    }

    /// Bytes read, over the files that converted.
    pub fn bytes_read(&self) -> u64 {
        self.succeeded().map(|r| r.bytes_read).sum()
    }

    /// Bytes written, over the files that converted.
    pub fn bytes_written(&self) -> u64 {
        self.succeeded().map(|r| r.bytes_written).sum()
    }
}

/// Converts each input file into its own output and says what became of each.
///
/// `inputs` are paths, URLs, globs, prefixes or folders (each of their files is one
/// input). `output` names each output by a pattern of the input's name:
/// `{stem}` (`jan` for `data/2024/jan.csv.gz`), `{ext}` (`csv.gz`), `{name}`
/// (`jan.csv.gz`) and `{dir}` (`data/2024`), as in `out/{stem}.parquet`; or it is a
/// folder (ending in `/`, or one that exists), and then each output is `{stem}` there
/// with the extension of the write options' format and codec. Each output's format and
/// codec come from its name, as for [`aconvert`], with the same options.
///
/// `concurrency` files convert at a time ([`ConvertOptions::concurrency`], default 4).
/// A file that fails does not stop the others: its error is in its outcome and its
/// output is not published. The call itself fails before converting anything when
/// the pattern is unusable, a glob matches nothing, or two inputs (or an input and
/// its own output) map to the same name.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use iterable::{ConvertOptions, IterableOptions, abulk_convert, row};
///
/// let dir = tempfile::tempdir().unwrap();
/// for month in ["jan", "feb"] {
///     let path = dir.path().join(format!("{month}.csv.gz"));
///     let mut out = IterableOptions::write().open(path.to_str().unwrap()).await?;
///     out.awrite(&row! { "month" => month, "sales" => "10" }).await?;
///     out.aclose().await?;
/// }
/// let inputs = [dir.path().join("*.csv.gz").to_string_lossy().into_owned()];
/// let pattern = dir.path().join("{stem}.parquet").to_string_lossy().into_owned();
/// let report = abulk_convert(&inputs, &pattern, &ConvertOptions::new()).await?;
/// assert!(report.all_ok());
/// assert_eq!(report.rows_written(), 2);
/// assert!(dir.path().join("jan.parquet").exists());
/// # Ok::<(), iterable::Error>(())
/// # }).unwrap();
/// ```
pub async fn abulk_convert<S: AsRef<str>>(
    inputs: &[S],
    output: &str,
    options: &ConvertOptions,
) -> Result<BulkReport> {
    let files = expand_inputs(inputs, options).await?;
    let pattern = OutputPattern::new(output, options).await?;
    let jobs = plan(&files, &pattern)?;
    create_folders(&jobs).await?;
    let started = Instant::now();
    let concurrency = options.concurrency_limit();
    let files: Vec<FileOutcome> = stream::iter(jobs)
        .map(|(input, output)| {
            // Each file on a task of its own, so that files parse on several cores;
            // aborted if this call is dropped, taking its unpublished output along.
            let task = Task(tokio::spawn({
                let (input, output, options) = (input.clone(), output.clone(), options.clone());
                async move { aconvert(&input, &output, &options).await }
            }));
            async move {
                let result = task.finish(&input).await;
                FileOutcome {
                    input,
                    output,
                    result,
                }
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    Ok(BulkReport {
        files,
        elapsed: started.elapsed(),
    })
}

/// A spawned conversion, aborted when dropped before it finished.
struct Task(tokio::task::JoinHandle<Result<ConvertReport>>);

impl Task {
    async fn finish(mut self, input: &str) -> Result<ConvertReport> {
        match (&mut self.0).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => {
                Err(Error::panicked(input, "the conversion", &*e.into_panic()))
            }
            Err(e) => Err(Error::io(input, std::io::Error::other(e.to_string()))),
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every input file: globs, prefixes and folders expanded, in order.
async fn expand_inputs<S: AsRef<str>>(
    inputs: &[S],
    options: &ConvertOptions,
) -> Result<Vec<String>> {
    let read = options.read_options().options();
    let mut files = Vec::new();
    for input in inputs {
        let input = input.as_ref();
        if iterable_io::names_many(input).await {
            files.extend(iterable_io::expand_with(input, &read.store, &read.files).await?);
        } else {
            files.push(input.to_owned());
        }
    }
    if files.is_empty() {
        return Err(Error::InvalidOption(
            "bulk convert: no input was given".to_owned(),
        ));
    }
    Ok(files)
}

/// Inputs paired with their outputs; refused when two map to one name.
fn plan(files: &[String], pattern: &OutputPattern) -> Result<Vec<(String, String)>> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut jobs = Vec::with_capacity(files.len());
    for file in files {
        let output = pattern.output_of(file);
        if output == *file {
            return Err(Error::InvalidOption(format!(
                "bulk convert: {file} would be written over itself; change the output pattern"
            )));
        }
        if let Some(other) = seen.insert(output.clone(), file) {
            return Err(Error::InvalidOption(format!(
                "bulk convert: {other} and {file} both map to {output}; use {{name}} or {{dir}} in the output pattern"
            )));
        }
        jobs.push((file.clone(), output));
    }
    Ok(jobs)
}

/// The local folders the outputs go into, made when missing (a pattern with `{dir}`
/// names folders of its own).
async fn create_folders(jobs: &[(String, String)]) -> Result<()> {
    for (_, output) in jobs {
        let remote = output.contains("://") && !output.starts_with("file://");
        if remote || output == "-" {
            continue;
        }
        let path = std::path::Path::new(output.strip_prefix("file://").unwrap_or(output));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| Error::io(&parent.to_string_lossy(), e))?;
        }
    }
    Ok(())
}

/// How an input's name becomes its output's.
#[derive(Debug)]
struct OutputPattern {
    pattern: String,
}

impl OutputPattern {
    async fn new(output: &str, options: &ConvertOptions) -> Result<OutputPattern> {
        if output.contains('{') {
            for placeholder in placeholders(output) {
                if !matches!(placeholder, "stem" | "ext" | "name" | "dir") {
                    return Err(Error::InvalidOption(format!(
                        "bulk convert: {{{placeholder}}} in {output:?} is not one of {{stem}}, {{ext}}, {{name}}, {{dir}}"
                    )));
                }
            }
            return Ok(OutputPattern {
                pattern: output.to_owned(),
            });
        }
        let folder =
            output.ends_with('/') || tokio::fs::metadata(output).await.is_ok_and(|m| m.is_dir());
        if !folder {
            return Err(Error::InvalidOption(format!(
                "bulk convert: the output {output:?} is neither a pattern ({{stem}}, {{ext}}, {{name}}, {{dir}}) nor a folder"
            )));
        }
        let write = options.write_options().options();
        let Some(format) = write.format else {
            return Err(Error::InvalidOption(format!(
                "bulk convert: into the folder {output:?} the write options must name a format (or give a pattern such as {output}/{{stem}}.parquet)"
            )));
        };
        let ext = crate::registry::spec(format)
            .and_then(|s| s.extensions.first().copied())
            .unwrap_or(format.name());
        let codec = match write.codec {
            Some(codec) if codec != Codec::None => format!(".{}", codec.extension()),
            _ => String::new(),
        };
        Ok(OutputPattern {
            pattern: format!("{}/{{stem}}.{ext}{codec}", output.trim_end_matches('/')),
        })
    }

    /// The output of `input`.
    fn output_of(&self, input: &str) -> String {
        let parts = NameOf::new(input);
        let mut out = String::with_capacity(self.pattern.len() + input.len());
        let mut rest = self.pattern.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            out.push_str(match &after[..close] {
                "stem" => parts.stem,
                "ext" => parts.ext,
                "name" => parts.name,
                "dir" => parts.dir,
                other => other,
            });
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// The `{...}` names in a pattern.
fn placeholders(pattern: &str) -> impl Iterator<Item = &str> {
    pattern
        .split('{')
        .skip(1)
        .map(|rest| rest.split('}').next().unwrap_or(rest))
}

/// An input's name taken apart for a pattern.
#[derive(Debug, PartialEq, Eq)]
struct NameOf<'a> {
    dir: &'a str,
    name: &'a str,
    stem: &'a str,
    ext: &'a str,
}

impl<'a> NameOf<'a> {
    fn new(location: &'a str) -> NameOf<'a> {
        let path = match location.find("://") {
            Some(_) => location.split(['?', '#']).next().unwrap_or(location),
            None => location,
        };
        let (dir, name) = match path.rfind(['/', '\\']) {
            Some(0) => ("/", &path[1..]),
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (".", path),
        };
        let parts = iterable_core::detect::name_parts(name);
        // The codec's extension (as written) and the format's come off the end.
        let mut cut = name.len();
        if parts.codec != Codec::None {
            cut = name[..cut].rfind('.').unwrap_or(cut);
        }
        if let Some(ext) = parts.format_extension
            && name[..cut].ends_with(ext)
            && cut > ext.len()
        {
            cut -= ext.len() + 1;
        }
        let (stem, ext) = if cut == 0 || cut >= name.len() {
            (name, "")
        } else {
            (&name[..cut], &name[cut + 1..])
        };
        NameOf {
            dir,
            name,
            stem,
            ext,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(location: &str) -> (&str, &str, &str, &str) {
        let n = NameOf::new(location);
        (n.dir, n.name, n.stem, n.ext)
    }

    #[test]
    fn names_come_apart_into_dir_stem_and_extensions() {
        assert_eq!(
            parts("data/2024/jan.csv.gz"),
            ("data/2024", "jan.csv.gz", "jan", "csv.gz")
        );
        assert_eq!(parts("jan.parquet"), (".", "jan.parquet", "jan", "parquet"));
        assert_eq!(
            parts("s3://bucket/logs/2024.01.02.JSONL.ZST?versionId=3"),
            (
                "s3://bucket/logs",
                "2024.01.02.JSONL.ZST",
                "2024.01.02",
                "JSONL.ZST"
            )
        );
        assert_eq!(parts("/notes.txt"), ("/", "notes.txt", "notes", "txt"));
        assert_eq!(parts("dump.zst"), (".", "dump.zst", "dump", "zst"));
        assert_eq!(parts("README"), (".", "README", "README", ""));
        assert_eq!(parts(".hidden"), (".", ".hidden", ".hidden", ""));
    }

    #[tokio::test]
    async fn patterns_name_each_output() {
        let options = ConvertOptions::new();
        let pattern = OutputPattern::new("out/{dir}/{stem}.parquet", &options)
            .await
            .unwrap();
        assert_eq!(pattern.output_of("in/a.csv.gz"), "out/in/a.parquet");
        let bad = OutputPattern::new("out/{base}.parquet", &options)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("{base} in \"out/{base}.parquet\" is not one of"),
            "{bad}"
        );
        let folder = OutputPattern::new(
            "out/",
            &ConvertOptions::new().write(
                crate::IterableOptions::write()
                    .format(iterable_core::Format::PARQUET)
                    .codec(Codec::None),
            ),
        )
        .await
        .unwrap();
        assert_eq!(folder.output_of("in/a.csv.gz"), "out/a.parquet");
        let jsonl_zst = OutputPattern::new(
            "out",
            &ConvertOptions::new().write(
                crate::IterableOptions::write()
                    .format(iterable_core::Format::JSONL)
                    .codec(Codec::Zstd),
            ),
        )
        .await;
        // "out" is not a folder here (nothing by that name exists).
        assert!(jsonl_zst.is_err());
    }

    #[test]
    fn two_inputs_mapping_to_one_output_are_refused() {
        let pattern = OutputPattern {
            pattern: "out/{stem}.parquet".into(),
        };
        let files = ["a/x.csv".to_owned(), "b/x.csv".to_owned()];
        let err = plan(&files, &pattern).unwrap_err().to_string();
        assert!(
            err.contains("a/x.csv and b/x.csv both map to out/x.parquet"),
            "{err}"
        );
        let same = OutputPattern {
            pattern: "{dir}/{name}".into(),
        };
        let err = plan(&files[..1], &same).unwrap_err().to_string();
        assert!(err.contains("would be written over itself"), "{err}");
    }
}
