//! Opening a location for writing: the encoder, and atomic publication of local files
//! (a temporary file in the same folder, renamed onto the target by a successful
//! `shutdown`, deleted otherwise).

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use iterable_core::{Codec, Error, Result, StoreOptions};
use tokio::io::{AsyncWrite, BufWriter};

use crate::BUF_SIZE;
use crate::codec::{ByteWriter, encoder};
use crate::encode_behind::encode_behind;
use crate::location::{Location, parse};

/// A byte sink: an [`AsyncWrite`] that encodes with its codec.
///
/// Its `poll_shutdown` finishes the encoder (writes trailers), flushes, and for a local
/// file renames the temporary file onto the target: only a successful shutdown publishes
/// the file. Dropped without one, it deletes the temporary file, so no complete-looking
/// output ever appears. An object store URL is written by multipart upload: shutdown
/// completes it, a failure or a drop aborts it, so no object appears either. Writing
/// to stdout (`-`) has no such atomicity.
pub struct ByteSink {
    location: String,
    writer: Option<ByteWriter>,
    /// The temporary file while it is not published.
    temp: Option<PathBuf>,
    target: Option<PathBuf>,
    state: State,
}

enum State {
    Open,
    Renaming(Pin<Box<dyn Future<Output = io::Result<()>> + Send>>),
    Done,
    Failed,
}

impl fmt::Debug for ByteSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteSink")
            .field("location", &self.location)
            .field("temp", &self.temp)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ByteSink {
    fn closed() -> io::Error {
        io::Error::other("the sink is shut down or failed; nothing more can be written")
    }

    fn writer(&mut self) -> io::Result<Pin<&mut ByteWriter>> {
        match (&self.state, self.writer.as_mut()) {
            (State::Open, Some(w)) => Ok(Pin::new(w)),
            _ => Err(Self::closed()),
        }
    }

    /// Records the outcome of a write-side poll: an error fails the sink for good.
    fn check<T>(&mut self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(_)) = &poll {
            self.state = State::Failed;
        }
        poll
    }
}

impl AsyncWrite for ByteSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = match this.writer() {
            Ok(w) => w.poll_write(cx, buf),
            Err(e) => return Poll::Ready(Err(e)),
        };
        this.check(poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if matches!(this.state, State::Done) {
            return Poll::Ready(Ok(()));
        }
        let poll = match this.writer() {
            Ok(w) => w.poll_flush(cx),
            Err(e) => return Poll::Ready(Err(e)),
        };
        this.check(poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Open => {
                    let Some(writer) = this.writer.as_mut() else {
                        return Poll::Ready(Err(Self::closed()));
                    };
                    let poll = Pin::new(writer).poll_shutdown(cx);
                    ready!(this.check(poll))?;
                    this.writer = None; // closes the file before the rename
                    this.state = match (&this.temp, &this.target) {
                        (Some(temp), Some(target)) => State::Renaming(Box::pin(tokio::fs::rename(
                            temp.clone(),
                            target.clone(),
                        ))),
                        _ => State::Done,
                    };
                }
                State::Renaming(rename) => {
                    let result = ready!(rename.as_mut().poll(cx));
                    if let Err(e) = result {
                        this.state = State::Failed;
                        return Poll::Ready(Err(e));
                    }
                    if let Some(temp) = this.temp.take() {
                        crate::temp_files::forget(&temp);
                    }
                    this.state = State::Done;
                }
                State::Done => return Poll::Ready(Ok(())),
                State::Failed => return Poll::Ready(Err(Self::closed())),
            }
        }
    }
}

impl Drop for ByteSink {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&temp);
            crate::temp_files::forget(&temp);
        }
    }
}

/// Opens `location` for writing: a local path or `file://` path (written to a temporary
/// file `.{name}.{random}.tmp` in the same folder, renamed onto the target by a
/// successful shutdown), or `-` for stdout (no atomicity).
///
/// `codec`: the codec to encode with ([`Codec::None`]: plain). `level`: the codec's
/// compression level; `None` is a sensible default (gzip 6, zstd 3, brotli 5, xz 6).
/// [`Codec::Zip`] is [`Error::Unsupported`]: zip archives are read, never written.
pub async fn open_sink(location: &str, codec: Codec, level: Option<i32>) -> Result<ByteSink> {
    open_sink_with(location, codec, level, &StoreOptions::default()).await
}

/// [`open_sink`], also taking object store URLs (with the matching cargo feature):
/// the object is written by multipart upload with `store`'s credentials, endpoint,
/// retry policy and part size; it appears only when a shutdown completes the upload.
pub async fn open_sink_with(
    location: &str,
    codec: Codec,
    level: Option<i32>,
    store: &StoreOptions,
) -> Result<ByteSink> {
    if codec == Codec::Zip {
        return Err(Error::unsupported(
            location,
            "writing zip archives is not supported; use .gz or .zst",
        ));
    }
    let (out, temp, target): (ByteWriter, _, _) = match parse(location)? {
        Location::Std => (Box::new(tokio::io::stdout()), None, None),
        Location::Path(target) => {
            let (file, temp) = create_temp(location, &target).await?;
            (
                Box::new(BufWriter::with_capacity(BUF_SIZE, file)),
                Some(temp),
                Some(target),
            )
        }
        #[cfg(feature = "store")]
        Location::Store(url) => {
            let upload =
                crate::store::multipart_sink::open_multipart(location, &url, store).await?;
            (Box::new(upload), None, None)
        }
    };
    #[cfg(not(feature = "store"))]
    let _ = store;
    let writer: ByteWriter = match codec {
        Codec::None => match &temp {
            Some(_) => out, // already buffered
            None => Box::new(BufWriter::with_capacity(BUF_SIZE, out)),
        },
        _ => match encode_behind(codec, level, out) {
            Ok(behind) => Box::new(behind),
            Err(out) => Box::new(BufWriter::with_capacity(
                BUF_SIZE,
                encoder(codec, out, level),
            )),
        },
    };
    Ok(ByteSink {
        location: location.to_owned(),
        writer: Some(writer),
        temp,
        target,
        state: State::Open,
    })
}

/// Creates the temporary file next to `target`.
async fn create_temp(location: &str, target: &Path) -> Result<(tokio::fs::File, PathBuf)> {
    let fail = |message: String| Error::Io {
        location: location.to_owned(),
        source: io::Error::new(io::ErrorKind::NotFound, message),
    };
    let name = target
        .file_name()
        .ok_or_else(|| Error::InvalidOption(format!("{location:?} names no file")))?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    match tokio::fs::metadata(dir).await {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(fail(format!("{} is not a folder", dir.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(fail(format!("folder {} does not exist", dir.display())));
        }
        Err(e) => return Err(Error::io(location, e)),
    }
    let mut attempt = 0;
    loop {
        let temp = dir.join(format!(".{}.{:016x}.tmp", name.to_string_lossy(), random()));
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .await
        {
            Ok(file) => {
                crate::temp_files::register(&temp);
                // Replacing a file keeps its permissions (an executable script, a
                // private 0600 file), as writing into it would.
                if let Ok(meta) = tokio::fs::metadata(target).await
                    && meta.is_file()
                {
                    let _ = tokio::fs::set_permissions(&temp, meta.permissions()).await;
                }
                return Ok((file, temp));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(Error::io(location, e)),
        }
    }
}

/// A random number for temporary names (std's randomly keyed hasher over the process
/// id, the time and a counter).
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}
