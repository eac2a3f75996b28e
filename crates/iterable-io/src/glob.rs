//! Locations that name many files: glob patterns (`data/2024-*.csv.gz`,
//! `s3://bucket/logs/**/*.jsonl.zst`), prefixes (`s3://bucket/logs/`) and local
//! folders, expanded into a sorted list of files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use iterable_core::{Error, FilesOptions, Result, StoreOptions};

/// True when `location` has glob characters (`*`, `?`, `[`) in its path. `http(s)://`
/// URLs never do: a web server cannot be listed, and `?` starts a query there.
pub fn has_glob(location: &str) -> bool {
    !is_http(location) && path_part(location).contains(['*', '?', '['])
}

/// True when `location` names many files: a glob, a location ending with `/` (a
/// prefix or folder), or an existing local folder. A URL whose scheme is neither
/// `file://` nor an object store's (a database: `sqlite://db?table=t`) names one
/// location, whatever it holds.
pub async fn names_many(location: &str) -> bool {
    if is_http(location) || location == "-" {
        return false;
    }
    if let Some((scheme, _)) = location.split_once("://")
        && !scheme.eq_ignore_ascii_case("file")
        && !crate::location::is_store_scheme(scheme)
    {
        return false;
    }
    if has_glob(location) || location.ends_with('/') {
        return true;
    }
    match local_path(location) {
        Some(path) => tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir()),
        None => false,
    }
}

/// The files a glob, prefix or folder names, sorted by name. A pattern matches whole
/// names: `*` and `?` stay within one path segment, `**` crosses segments, and a
/// prefix or folder means every file under it. Local names starting with `.` (hidden
/// files, unfinished writes) are left out. No match is [`Error::NotFound`] naming the
/// pattern.
pub async fn expand(location: &str, store: &StoreOptions) -> Result<Vec<String>> {
    expand_with(location, store, &FilesOptions::default()).await
}

/// [`expand`], with the options of reads over many files (`follow_links` for local
/// folders and globs).
pub async fn expand_with(
    location: &str,
    store: &StoreOptions,
    files: &FilesOptions,
) -> Result<Vec<String>> {
    let found = match local_path(location) {
        Some(_) => expand_local(location, files.follow_links).await?,
        None => expand_store(location, store).await?,
    };
    if found.is_empty() {
        return Err(Error::NotFound {
            location: format!("{location} (no file matches)"),
        });
    }
    Ok(found)
}

#[cfg(feature = "store")]
async fn expand_store(location: &str, store: &StoreOptions) -> Result<Vec<String>> {
    crate::store::list::expand(location, store).await
}

#[cfg(not(feature = "store"))]
async fn expand_store(location: &str, _store: &StoreOptions) -> Result<Vec<String>> {
    // Parsing says which feature the URL needs.
    crate::location::parse(location)?;
    Err(Error::unsupported(location, "cannot list this location"))
}

fn is_http(location: &str) -> bool {
    let lower = location.get(..8).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The part of a location after `scheme://authority` (the whole of a local path).
fn path_part(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => location,
    }
}

/// The local path of a location, or `None` for a URL (other than `file://`).
fn local_path(location: &str) -> Option<&str> {
    if let Some(rest) = location.strip_prefix("file://") {
        return Some(rest.strip_prefix("localhost").unwrap_or(rest));
    }
    match location.split_once("://") {
        Some(_) => None,
        None => Some(location),
    }
}

/// Splits a `/`-separated pattern into its literal leading segments and the rest.
/// `a/b/*.csv` -> (`a/b`, `*.csv`); `logs/` -> (`logs`, ``).
pub(crate) fn split_literal(pattern: &str) -> (&str, &str) {
    let mut end = 0;
    for (i, segment) in pattern.split_inclusive('/').scan(0, |at, s| {
        let start = *at;
        *at += s.len();
        Some((start, s))
    }) {
        if segment.contains(['*', '?', '[']) {
            break;
        }
        end = i + segment.len();
    }
    if end == pattern.len() && !pattern.ends_with('/') {
        // No glob: the whole thing is a folder or prefix.
        return (pattern, "");
    }
    let base = pattern[..end].trim_end_matches('/');
    if base.is_empty() && pattern.starts_with('/') {
        return ("/", &pattern[end..]);
    }
    (base, &pattern[end..])
}

/// The matcher of a glob pattern: `*` stays within a segment, `**` crosses them.
pub(crate) fn matcher(location: &str, pattern: &str) -> Result<GlobMatcher> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::InvalidOption(format!("{location:?}: bad glob pattern: {e}")))
}

async fn expand_local(location: &str, follow_links: bool) -> Result<Vec<String>> {
    let scheme = if location.starts_with("file://") {
        "file://"
    } else {
        ""
    };
    let pattern = local_path(location).unwrap_or(location).to_owned();
    let (base, rest) = split_literal(&pattern);
    let (base, rest) = (base.to_owned(), rest.to_owned());
    let location_owned = location.to_owned();
    let files = tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
        let root = if base.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(&base)
        };
        let full = if rest.is_empty() {
            None
        } else {
            Some(matcher(&location_owned, &rest)?)
        };
        let depth = match &full {
            Some(_) if !rest.contains("**") => Some(rest.split('/').count()),
            _ => None,
        };
        let mut out = Vec::new();
        let mut walk_state = Walk {
            follow_links,
            walked: HashSet::new(),
        };
        walk_state.walked.extend(std::fs::canonicalize(&root).ok());
        walk_state
            .walk(&root, Path::new(""), depth, &mut |rel| {
                let rel = rel.to_string_lossy();
                let rel = rel.replace('\\', "/");
                if full.as_ref().is_none_or(|m| m.is_match(&rel)) {
                    let joined = match base.as_str() {
                        "" => rel,
                        "/" => format!("/{rel}"),
                        _ => format!("{base}/{rel}"),
                    };
                    out.push(format!("{scheme}{joined}"));
                }
            })
            .map_err(|e| Error::io(&location_owned, e))?;
        out.sort();
        Ok(out)
    })
    .await
    .map_err(|e| Error::io(location, std::io::Error::other(e)))??;
    Ok(files)
}

/// A walk of a local folder.
struct Walk {
    /// Follow links to directories.
    follow_links: bool,
    /// The real (canonical) directories walked so far: each one is walked once.
    walked: HashSet<PathBuf>,
}

impl Walk {
    /// Calls `found` with the path (relative to `root`) of every file under `root`, at
    /// most `depth` segments deep; hidden names are skipped, and so are links to
    /// directories unless `follow_links` is set (then a directory already walked is
    /// skipped, which ends every link loop).
    fn walk(
        &mut self,
        root: &Path,
        rel: &Path,
        depth: Option<usize>,
        found: &mut dyn FnMut(&Path),
    ) -> std::io::Result<()> {
        let dir = root.join(rel);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let child = rel.join(&name);
            let kind = entry.file_type()?;
            let is_link = kind.is_symlink();
            let is_dir = kind.is_dir() || (is_link && entry.path().is_dir());
            if !is_dir {
                found(&child);
                continue;
            }
            if is_link && !self.follow_links {
                continue;
            }
            // Each real directory once: a link back to one walked ends here.
            let fresh = std::fs::canonicalize(entry.path())
                .map(|real| self.walked.insert(real))
                .unwrap_or(true);
            if !fresh {
                continue;
            }
            if depth.is_none_or(|d| d > 1) {
                self.walk(root, &child, depth.map(|d| d - 1), found)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefix_and_pattern() {
        assert_eq!(split_literal("a/b/*.csv"), ("a/b", "*.csv"));
        assert_eq!(split_literal("logs/**/*.jsonl"), ("logs", "**/*.jsonl"));
        assert_eq!(split_literal("*.csv"), ("", "*.csv"));
        assert_eq!(split_literal("logs/"), ("logs", ""));
        assert_eq!(split_literal("data"), ("data", ""));
        assert_eq!(split_literal("/abs/x-*/y.csv"), ("/abs", "x-*/y.csv"));
        assert_eq!(split_literal("/x*.csv"), ("/", "x*.csv"));
    }

    #[test]
    fn globs_only_in_the_path() {
        assert!(has_glob("data/2024-*.csv.gz"));
        assert!(has_glob("s3://bucket/logs/**/*.jsonl.zst"));
        assert!(!has_glob("https://example.com/rows.csv?x=1"));
        assert!(!has_glob("data/rows.csv"));
    }

    #[tokio::test]
    async fn local_glob_folder_and_misses() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        for name in ["2024-01.csv", "2024-02.csv", "2023-12.csv", ".hidden.csv"] {
            std::fs::write(dir.path().join(name), "a\n1\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/2024-03.csv"), "a\n").unwrap();
        let o = StoreOptions::default();
        assert_eq!(
            expand(&format!("{d}/2024-*.csv"), &o).await.unwrap(),
            [format!("{d}/2024-01.csv"), format!("{d}/2024-02.csv")]
        );
        assert_eq!(
            expand(&format!("{d}/**/2024-*.csv"), &o).await.unwrap(),
            [
                format!("{d}/2024-01.csv"),
                format!("{d}/2024-02.csv"),
                format!("{d}/sub/2024-03.csv")
            ]
        );
        assert_eq!(expand(&format!("{d}/"), &o).await.unwrap().len(), 4);
        assert!(names_many(d).await);
        let err = expand(&format!("{d}/1999-*.csv"), &o).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("1999-*.csv"), "{err}");
    }
}
