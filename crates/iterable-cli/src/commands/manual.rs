//! `completions` and `man`: the command line described for shells and for `man`,
//! with every flag the format registry adds.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::args::Cli;

/// The whole command line, as it parses (registry flags included).
fn command() -> clap::Command {
    crate::format_flags::augment(Cli::command())
}

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "iterable", &mut out);
    write_stdout(&out)
}

/// Writes the manual page (roff) to stdout.
pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command()).render(&mut out)?;
    write_stdout(&out)
}

/// Written, not printed: a closed stdout is an error to return, not a panic.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}
