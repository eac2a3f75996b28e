//! Listing a bucket for a glob or prefix: `s3://bucket/logs/**/*.jsonl.zst`,
//! `s3://bucket/logs/`.

use futures_util::TryStreamExt;
use iterable_core::{Error, Result, StoreOptions};
use object_store::path::Path;

use super::config::build_store;
use super::store_error;
use super::url::{Backend, StoreUrl};
use crate::glob::{matcher, split_literal};

/// The URLs of the objects a glob or prefix URL names, sorted by key.
pub(crate) async fn expand(location: &str, options: &StoreOptions) -> Result<Vec<String>> {
    // Split by hand: `?` and `[` are glob characters here, not URL syntax.
    let (scheme, rest) = location
        .split_once("://")
        .ok_or_else(|| Error::InvalidOption(format!("{location:?} is not a URL")))?;
    let (authority, key_pattern) = rest.split_once('/').unwrap_or((rest, ""));
    let root = format!("{scheme}://{authority}/");
    let url = StoreUrl::parse(&root)?;
    if url.backend == Backend::Http {
        return Err(Error::unsupported(
            location,
            "an HTTP server cannot be listed: name each file",
        ));
    }
    let (prefix, pattern) = split_literal(key_pattern);
    let glob = match pattern {
        "" => None,
        _ => Some(matcher(location, key_pattern)?),
    };
    let prefix = Path::parse(prefix)
        .map_err(|e| Error::InvalidOption(format!("{location:?}: bad key prefix: {e}")))?;
    let store = build_store(location, &url, options)?;
    let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
    let mut keys: Vec<String> = store
        .list(prefix.as_ref())
        .map_ok(|meta| meta.location.to_string())
        .try_filter(|key| {
            let keep = glob.as_ref().is_none_or(|g| g.is_match(key));
            std::future::ready(keep)
        })
        .try_collect()
        .await
        .map_err(|e| store_error(location, e))?;
    keys.sort();
    Ok(keys.into_iter().map(|key| format!("{root}{key}")).collect())
}
