//! What a location string names: a local path (plain or `file://`), the standard
//! stream (`-`), or an object store URL (`s3://`, `gs://`, `az://`, `http(s)://`,
//! `memory://`) when its cargo feature is on.

use std::path::PathBuf;

use iterable_core::{Error, Result};

/// A location this crate can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// `-`: stdin for reading, stdout for writing.
    Std,
    /// A local file.
    Path(PathBuf),
    /// An object in a store.
    #[cfg(feature = "store")]
    Store(Box<crate::store::url::StoreUrl>),
}

/// A store URL scheme: the cargo feature that reads it, what it is called in errors,
/// and whether that feature is on.
struct StoreScheme {
    feature: &'static str,
    what: &'static str,
    compiled: bool,
}

/// Whether `scheme` names an object store (compiled in or not).
pub(crate) fn is_store_scheme(scheme: &str) -> bool {
    store_scheme(scheme).is_some()
}

fn store_scheme(scheme: &str) -> Option<StoreScheme> {
    let (feature, what, compiled) = match scheme.to_ascii_lowercase().as_str() {
        "s3" | "s3a" => ("aws", "s3:// URLs", cfg!(feature = "aws")),
        "gs" | "gcs" => ("gcp", "gs:// and gcs:// URLs", cfg!(feature = "gcp")),
        "az" | "adl" | "azure" | "abfs" | "abfss" => {
            ("azure", "az:// and abfs:// URLs", cfg!(feature = "azure"))
        }
        "http" | "https" => ("http", "http:// and https:// URLs", cfg!(feature = "http")),
        "memory" => ("store", "memory:// URLs", cfg!(feature = "store")),
        _ => return None,
    };
    Some(StoreScheme {
        feature,
        what,
        compiled,
    })
}

/// Parses `location`. A store URL whose backend is compiled out is
/// [`Error::FeatureDisabled`] naming the feature; any other scheme is
/// [`Error::Unsupported`].
pub(crate) fn parse(location: &str) -> Result<Location> {
    if location == "-" {
        return Ok(Location::Std);
    }
    if let Some(rest) = location.strip_prefix("file://") {
        let rest = rest
            .strip_prefix("localhost")
            .filter(|r| r.starts_with('/'))
            .unwrap_or(rest);
        if rest.is_empty() {
            return Err(Error::InvalidOption(format!("{location:?} names no file")));
        }
        return Ok(Location::Path(PathBuf::from(rest)));
    }
    if let Some((scheme, _)) = location.split_once("://") {
        // Without the `store` feature the block holds only the check: not collapsed.
        #[allow(clippy::collapsible_if)]
        if let Some(store) = store_scheme(scheme) {
            if !store.compiled {
                return Err(Error::FeatureDisabled {
                    what: store.what.to_owned(),
                    feature: store.feature.to_owned(),
                });
            }
            #[cfg(feature = "store")]
            return Ok(Location::Store(Box::new(
                crate::store::url::StoreUrl::parse(location)?,
            )));
        }
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(Error::unsupported(
                location,
                format!(
                    "`{scheme}://` URLs are not supported; use a local path, a file:// path, - or an s3://, gs://, az://, abfs://, http(s):// or memory:// URL"
                ),
            ));
        }
    }
    if location.is_empty() {
        return Err(Error::InvalidOption("empty location".to_owned()));
    }
    Ok(Location::Path(PathBuf::from(location)))
}

/// The local file `location` names (a plain or `file://` path); `None` for stdin (`-`),
/// URLs and locations that name nothing. Formats that need random access (Parquet)
/// open such a file in place instead of streaming it.
pub fn local_path(location: &str) -> Option<PathBuf> {
    match parse(location) {
        Ok(Location::Path(path)) => Some(path),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(parse("-").unwrap(), Location::Std);
        assert_eq!(parse("a/b.csv").unwrap(), Location::Path("a/b.csv".into()));
        assert_eq!(
            parse("file:///tmp/x.csv").unwrap(),
            Location::Path("/tmp/x.csv".into())
        );
        assert_eq!(
            parse("file://localhost/tmp/x").unwrap(),
            Location::Path("/tmp/x".into())
        );
        assert!(matches!(
            parse("ftp://b/k.csv"),
            Err(Error::Unsupported { .. })
        ));
        #[cfg(not(feature = "aws"))]
        assert!(matches!(
            parse("s3://b/k.csv"),
            Err(Error::FeatureDisabled { feature, .. }) if feature == "aws"
        ));
        #[cfg(feature = "aws")]
        assert!(matches!(parse("s3://b/k.csv"), Ok(Location::Store(_))));
        assert!(parse("").is_err());
        assert_eq!(
            local_path("file:///tmp/x.parquet"),
            Some("/tmp/x.parquet".into())
        );
        assert_eq!(local_path("-"), None);
        assert_eq!(local_path("s3://b/k.parquet"), None);
    }
}
