//! Reading an object as a byte stream: one GET, streamed (no copy of the whole object).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{StreamExt, TryStreamExt};
use iterable_core::{Result, StoreOptions};
use object_store::GetOptions;
use tokio_util::io::StreamReader;

use super::config::build_store;
use super::store_error;
use super::url::StoreUrl;
use crate::ByteReader;

/// Opens `url` for reading: the raw (still compressed) bytes as they arrive, counted
/// into `count`, and the object's size.
///
/// A missing object is [`iterable_core::Error::NotFound`] naming `location`; transient
/// errors are retried by the store client (see [`super::retry`]).
pub(crate) async fn open_object(
    location: &str,
    url: &StoreUrl,
    options: &StoreOptions,
    count: Arc<AtomicU64>,
) -> Result<(ByteReader, Option<u64>)> {
    let store = build_store(location, url, options)?;
    let result = store
        .get_opts(&url.path, GetOptions::default())
        .await
        .map_err(|e| store_error(location, e))?;
    let size = result.meta.size;
    let stream = result
        .into_stream()
        .inspect_ok(move |chunk| {
            count.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        })
        .map_err(io::Error::other)
        .boxed();
    Ok((Box::new(StreamReader::new(stream)), Some(size)))
}
