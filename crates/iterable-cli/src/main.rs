//! The `iterable` command: stream rows out of any supported file, count them, or
//! convert between formats and codecs. Errors go to stderr with the location and
//! position, and the exit code is non-zero.

#![deny(unsafe_code)]

mod args;
mod commands;
mod exit;
mod format_flags;
mod quiet_panics;
mod split_alloc;
mod stop_signals;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::Cli;

/// Small blocks from mimalloc, large ones from the system allocator: see [`split_alloc`].
#[global_allocator]
static GLOBAL: split_alloc::SplitAlloc = split_alloc::SplitAlloc;

fn main() -> ExitCode {
    split_alloc::keep_large_blocks();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("iterable: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The command line, parsed and run.
async fn run() -> ExitCode {
    let args = line_count_flags(std::env::args_os().collect());
    let matches = format_flags::augment(Cli::command()).get_matches_from(args);
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some((_, sub)) = matches.subcommand() {
        cli.command.take_format_flags(sub);
    }
    quiet_panics::install();
    let stop = stop_signals::listen();
    let run = std::panic::AssertUnwindSafe(commands::run(cli));
    let outcome = tokio::select! {
        outcome = futures::FutureExt::catch_unwind(run) => outcome,
        stopped = stop => stop_signals::stop(stopped),
    };
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Ok(Err(err)) if err.downcast_ref::<exit::RowsFailed>().is_some() => {
            eprintln!("iterable: {err}");
            ExitCode::from(exit::ROWS_FAILED)
        }
        Ok(Err(err)) => {
            eprintln!("iterable: {}", error_text(&err));
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!(
                "iterable: internal error: {}; please report it",
                quiet_panics::last()
            );
            ExitCode::from(101)
        }
    }
}

/// The error and its causes, each cause left out when the text before already says
/// it (our errors quote their source: `file: message` over `message`).
fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

/// `head -5` and `tail -5` as Unix writes them: `-N` after `head` or `tail` is `-n N`.
fn line_count_flags(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_count = |a: &std::ffi::OsString| {
        a.to_str()
            .and_then(|s| s.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match args.get(1).and_then(|a| a.to_str()) {
        Some("head" | "tail") => {}
        _ => return args,
    }
    let mut out = Vec::with_capacity(args.len() + 1);
    for (i, arg) in args.into_iter().enumerate() {
        if i >= 2 && is_count(&arg) {
            out.push("-n".into());
            out.push(arg.to_string_lossy()[1..].to_owned().into());
        } else {
            out.push(arg);
        }
    }
    out
}

/// `iterable cat big.csv | head` closes our stdout early: that is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
