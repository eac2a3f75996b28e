//! The byte layer: a location (a path, `file://`, `-` for stdin/stdout, an object store
//! URL with the store features) to its decoded bytes and back. Sources detect and
//! undo the codec; sinks compress and publish a local file only on a successful
//! `shutdown`, so a failed write leaves no complete-looking output.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use iterable::Codec;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("notes.txt.gz");
//! let path = path.to_str().unwrap();
//!
//! let mut sink = iterable::bytes::open_sink(path, Codec::Gzip, None).await?;
//! sink.write_all(b"hello\n").await.unwrap();
//! sink.shutdown().await.unwrap();
//!
//! let source = iterable::bytes::open_source(path, None, None).await?;
//! assert_eq!(source.codec, Codec::Gzip);
//! let mut text = String::new();
//! source.into_reader().read_to_string(&mut text).await.unwrap();
//! assert_eq!(text, "hello\n");
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```

pub use iterable_io::{
    ByteReader, ByteSink, ByteSource, expand, expand_with, has_glob, local_path, names_many,
    open_sink, open_sink_with, open_source, open_source_with, transcode_to_utf8,
};
