//! Object store locations (`s3://`, `gs://`, `az://`/`abfs://`, `http(s)://`,
//! `memory://`) through the `object_store` crate: reading as a byte stream, writing by
//! multipart upload, listing for globs and prefixes.
//!
//! One file per job: [`url`] (which backend, which key), [`config`] (the client, from
//! options and environment), [`retry`] (backoff policy), [`read`] (a GET as a byte
//! stream), [`multipart_sink`] (an upload as an `AsyncWrite`), [`list`] (keys under a
//! prefix).

pub(crate) mod config;
pub(crate) mod list;
pub(crate) mod multipart_sink;
pub(crate) mod read;
#[cfg(feature = "remote")]
pub(crate) mod retry;
pub(crate) mod url;

use iterable_core::Error;

/// The store client and object key of a store URL; `None` for any other location.
/// For readers that need random access (Parquet's ranged reads).
pub fn object_store_at(
    location: &str,
    options: &iterable_core::StoreOptions,
) -> iterable_core::Result<
    Option<(
        std::sync::Arc<dyn object_store::ObjectStore>,
        object_store::path::Path,
    )>,
> {
    match crate::location::parse(location)? {
        crate::location::Location::Store(url) => {
            let store = config::build_store(location, &url, options)?;
            Ok(Some((store, url.path.clone())))
        }
        _ => Ok(None),
    }
}

/// A store error as ours: a missing object is [`Error::NotFound`] naming the URL.
pub fn store_error(location: &str, e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound {
            location: location.to_owned(),
        },
        other => Error::Store {
            location: location.to_owned(),
            source: Box::new(other),
        },
    }
}
