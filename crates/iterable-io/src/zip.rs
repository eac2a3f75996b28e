//! Reading one member of a local zip archive. The `zip` crate is blocking: it runs in
//! `spawn_blocking` and streams the member's decompressed bytes over a bounded channel
//! (a few 64 KiB chunks), so memory stays constant. Dropping the reader ends the task.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use iterable_core::{Error, Result};
use tokio::sync::mpsc;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::channel::{ChannelReader, Chunk};
use crate::counting::CountingStdReader;
use crate::thread_panic::report_panics;
use crate::{BUF_SIZE, ByteReader};

type Archive = ZipArchive<BufReader<CountingStdReader<File>>>;

/// How many chunks may wait in the channel.
const CHANNEL_CHUNKS: usize = 4;

/// Opens the member of the zip archive at `path` that `wanted` names (or its only file
/// member), returning the reader of its bytes and its name.
pub(crate) async fn open_member(
    location: &str,
    path: PathBuf,
    wanted: Option<&str>,
    count: Arc<AtomicU64>,
) -> Result<(ByteReader, String)> {
    let loc = location.to_owned();
    let wanted = wanted.map(str::to_owned);
    let (archive, index, name) =
        tokio::task::spawn_blocking(move || select(&loc, path, wanted.as_deref(), count))
            .await
            .map_err(|e| Error::io(location, io::Error::other(e)))??;
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let panic_tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        report_panics(panic_tx, "the zip member's decoder", || {
            pump(archive, index, &tx)
        })
    });
    Ok((Box::new(ChannelReader::new(rx)), name))
}

/// Opens the archive and picks the member.
fn select(
    location: &str,
    path: PathBuf,
    wanted: Option<&str>,
    count: Arc<AtomicU64>,
) -> Result<(Archive, usize, String)> {
    let file = File::open(path).map_err(|e| Error::io(location, e))?;
    let reader = BufReader::with_capacity(BUF_SIZE, CountingStdReader::new(file, count));
    let archive = ZipArchive::new(reader).map_err(|e| Error::io(location, zip_error(e)))?;
    let mut members = Vec::new();
    for index in 0..archive.len() {
        let Some(name) = archive.name_for_index(index) else {
            continue;
        };
        let name = name.map_err(|e| Error::io(location, zip_error(e)))?;
        if !name.ends_with('/') {
            members.push((index, name.into_owned()));
        }
    }
    let listing = || {
        members
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen = match wanted {
        Some(wanted) => members.iter().find(|(_, n)| n == wanted).ok_or_else(|| {
            Error::InvalidOption(format!(
                "{location}: zip archive has no member {wanted:?}; members: {}",
                listing()
            ))
        })?,
        None => match members.as_slice() {
            [one] => one,
            [] => {
                return Err(Error::io(
                    location,
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "zip archive holds no file (only folders, or nothing): nothing to read",
                    ),
                ));
            }
            _ => {
                return Err(Error::InvalidOption(format!(
                    "{location}: zip archive has {} members, choose one: {}",
                    members.len(),
                    listing()
                )));
            }
        },
    };
    let (index, name) = chosen.clone();
    Ok((archive, index, name))
}

/// Sends the member's bytes until its end, an error, or a closed channel.
fn pump(mut archive: Archive, index: usize, tx: &mpsc::Sender<Chunk>) {
    let mut member = match archive.by_index(index) {
        Ok(member) => member,
        Err(e) => {
            let _ = tx.blocking_send(Err(zip_error(e)));
            return;
        }
    };
    loop {
        let mut buf = vec![0u8; BUF_SIZE];
        let n = match member.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = tx.blocking_send(Err(zip_error(ZipError::Io(e))));
                return;
            }
        };
        buf.truncate(n);
        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
            return; // the reader is gone
        }
    }
}

/// A zip error as an I/O error that says what is wrong.
fn zip_error(e: ZipError) -> io::Error {
    match e {
        ZipError::Io(e) if e.raw_os_error().is_some() => e,
        e @ (ZipError::Io(_) | ZipError::InvalidArchive(_)) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("zip archive is truncated or corrupt: {e}"),
        ),
        other => io::Error::new(io::ErrorKind::Unsupported, format!("zip archive: {other}")),
    }
}
