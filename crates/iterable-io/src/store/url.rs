//! Which object store backend a URL names, and the key inside it.

use iterable_core::{Error, Result};
use object_store::path::Path;
use url::Url;

/// An object store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// `s3://bucket/key` (and `s3a://`).
    S3,
    /// `gs://bucket/key`.
    Gcs,
    /// `az://container/key`, `abfs://`, `abfss://`, `adl://`, `azure://`.
    Azure,
    /// `http://host/path`, `https://host/path`.
    Http,
    /// `memory://name/key`: an in-process store, shared by every open of that name.
    Memory,
}

/// A parsed object store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreUrl {
    /// The URL as parsed.
    pub(crate) url: Url,
    /// Its backend.
    pub(crate) backend: Backend,
    /// The object key inside the bucket (or the path on an HTTP server).
    pub(crate) path: Path,
}

impl StoreUrl {
    /// Parses `location`, a URL whose scheme [`crate::location`] recognised as a store.
    pub(crate) fn parse(location: &str) -> Result<Self> {
        let url = Url::parse(location)
            .map_err(|e| Error::InvalidOption(format!("{location:?} is not a valid URL: {e}")))?;
        let backend = backend_of(url.scheme()).ok_or_else(|| {
            Error::unsupported(
                location,
                format!("`{}://` is not an object store", url.scheme()),
            )
        })?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidOption(format!(
                "{location:?} names no {}",
                if backend == Backend::Http {
                    "host"
                } else {
                    "bucket"
                }
            )));
        }
        let path = Path::from_url_path(url.path())
            .map_err(|e| Error::InvalidOption(format!("{location:?}: bad object key: {e}")))?;
        Ok(StoreUrl { url, backend, path })
    }
}

/// A GCS URL as object_store's builder takes it: `gcs://` written `gs://`.
#[cfg_attr(not(feature = "gcp"), allow(dead_code))]
pub(crate) fn gs_url(url: &url::Url) -> String {
    match url.as_str().strip_prefix("gcs://") {
        Some(rest) => format!("gs://{rest}"),
        None => url.as_str().to_owned(),
    }
}

/// The backend of a URL scheme, whether or not its feature is compiled in.
pub(crate) fn backend_of(scheme: &str) -> Option<Backend> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "s3" | "s3a" => Backend::S3,
        "gs" | "gcs" => Backend::Gcs,
        "az" | "adl" | "azure" | "abfs" | "abfss" => Backend::Azure,
        "http" | "https" => Backend::Http,
        "memory" => Backend::Memory,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcs_is_an_alias_of_gs() {
        let u = StoreUrl::parse("gcs://bucket/a/b.csv").unwrap();
        assert_eq!(u.backend, Backend::Gcs);
        assert_eq!(u.path.as_ref(), "a/b.csv");
        assert_eq!(gs_url(&u.url), "gs://bucket/a/b.csv");
        assert_eq!(
            gs_url(&StoreUrl::parse("gs://b/k").unwrap().url),
            "gs://b/k"
        );
    }

    #[test]
    fn urls() {
        let u = StoreUrl::parse("s3://bucket/logs/2024/a b.jsonl").unwrap();
        assert_eq!(u.backend, Backend::S3);
        assert_eq!(u.path.as_ref(), "logs/2024/a b.jsonl");
        let h = StoreUrl::parse("http://127.0.0.1:8080/data/rows.csv.gz").unwrap();
        assert_eq!(h.backend, Backend::Http);
        assert_eq!(h.path.as_ref(), "data/rows.csv.gz");
        assert_eq!(
            StoreUrl::parse("abfs://container/k").unwrap().backend,
            Backend::Azure
        );
        assert_eq!(
            StoreUrl::parse("memory://m/k").unwrap().backend,
            Backend::Memory
        );
        assert!(matches!(
            StoreUrl::parse("s3:///key"),
            Err(Error::InvalidOption(_))
        ));
    }
}
