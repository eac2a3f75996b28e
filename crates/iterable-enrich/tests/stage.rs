//! The enrichment stage against real servers on 127.0.0.1, built as one test binary
//! (one link instead of one a file); run one subject with
//! `cargo test -p iterable-enrich --test stage <module>::`. `rates` is a binary of its
//! own: it times how rows arrive, which other tests running beside it would disturb.

mod batch_server;
mod common;

mod anthropic;
mod batch;
mod chunks;
mod concurrency;
mod cost;
mod failures;
mod honest_failure;
mod results;
mod resume;
mod typed;
