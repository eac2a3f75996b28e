//! What a location string names: a local path (plain or `file://`) or the standard
//! stream (`-`).

use std::path::PathBuf;

use iterable_core::{Error, Result};

/// A location this crate can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// `-`: stdin for reading, stdout for writing.
    Std,
    /// A local file.
    Path(PathBuf),
}

/// Parses `location`; a URL with a scheme other than `file` is [`Error::Unsupported`].
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
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(Error::unsupported(
                location,
                format!(
                    "`{scheme}://` URLs are not supported here; use a local path, a file:// path or -"
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
            parse("s3://b/k.csv"),
            Err(Error::Unsupported { .. })
        ));
        assert!(parse("").is_err());
        assert_eq!(
            local_path("file:///tmp/x.parquet"),
            Some("/tmp/x.parquet".into())
        );
        assert_eq!(local_path("-"), None);
        assert_eq!(local_path("s3://b/k.parquet"), None);
    }
}
