//! Which locations are databases, and what their URLs say: `sqlite://PATH?table=t`
//! (also `&query=…`, `&mode=create|append|replace|upsert`, `&key=a,b`), or a local file
//! named `.sqlite`, `.sqlite3` or `.db`.

use iterable_core::{DatabaseOptions, Error, Result, TableMode};

/// The kinds of database this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseKind {
    /// An SQLite file.
    Sqlite,
}

/// A database location taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseLocation {
    /// Which database.
    pub kind: DatabaseKind,
    /// The file (SQLite) as a local path.
    pub path: String,
    /// The options, the URL's parameters over those given in code.
    pub options: DatabaseOptions,
}

/// File extensions that name an SQLite database.
pub const SQLITE_EXTENSIONS: [&str; 3] = ["sqlite", "sqlite3", "db"];

/// `location` as a database, when it names one; the URL's parameters are laid over
/// `given`. A URL parameter that is not known is an error.
///
/// ```
/// use iterable_core::{DatabaseOptions, TableMode};
/// use iterable_db::{DatabaseKind, database_location};
///
/// let db = database_location("sqlite://out/sales.db?table=sales&mode=upsert&key=id", &DatabaseOptions::default())
///     .unwrap()
///     .unwrap();
/// assert_eq!((db.kind, db.path.as_str()), (DatabaseKind::Sqlite, "out/sales.db"));
/// assert_eq!(db.options.table.as_deref(), Some("sales"));
/// assert_eq!((db.options.mode, db.options.keys), (TableMode::Upsert, vec!["id".to_owned()]));
/// assert!(database_location("data.csv", &DatabaseOptions::default()).unwrap().is_none());
/// ```
pub fn database_location(
    location: &str,
    given: &DatabaseOptions,
) -> Result<Option<DatabaseLocation>> {
    if let Some(rest) = strip_scheme(location, "sqlite://") {
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err(Error::InvalidOption(format!(
                "{location}: an sqlite:// URL names a file (sqlite://data/app.db?table=t)"
            )));
        }
        let mut options = given.clone();
        if let Some(query) = query {
            apply_query(location, query, &mut options)?;
        }
        return Ok(Some(DatabaseLocation {
            kind: DatabaseKind::Sqlite,
            path: decode(path),
            options,
        }));
    }
    if location.contains("://") {
        return Ok(None);
    }
    let extension = location
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    if extension.is_some_and(|ext| SQLITE_EXTENSIONS.contains(&ext.as_str())) {
        return Ok(Some(DatabaseLocation {
            kind: DatabaseKind::Sqlite,
            path: location.to_owned(),
            options: given.clone(),
        }));
    }
    Ok(None)
}

fn strip_scheme<'a>(location: &'a str, scheme: &str) -> Option<&'a str> {
    let head = location.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &location[scheme.len()..])
}

fn apply_query(location: &str, query: &str, options: &mut DatabaseOptions) -> Result<()> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        match key {
            "table" => options.table = Some(value),
            "query" => options.query = Some(value),
            "mode" => options.mode = parse_mode(location, &value)?,
            "key" | "keys" => {
                options.keys = value
                    .split(',')
                    .map(|k| k.trim().to_owned())
                    .filter(|k| !k.is_empty())
                    .collect();
            }
            other => {
                return Err(Error::InvalidOption(format!(
                    "{location}: the URL parameter {other:?} is not one of table, query, mode, key"
                )));
            }
        }
    }
    Ok(())
}

/// `create`, `append`, `replace` or `upsert`.
pub fn parse_mode(location: &str, text: &str) -> Result<TableMode> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "create" => TableMode::Create,
        "append" | "insert" => TableMode::Append,
        "replace" => TableMode::Replace,
        "upsert" => TableMode::Upsert,
        other => {
            return Err(Error::InvalidOption(format!(
                "{location}: mode {other:?} is not one of create, append, replace, upsert"
            )));
        }
    })
}

/// Percent-decoding (`%20`, and `+` as a space) of a URL part; malformed escapes are
/// kept as they are.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_decoded_and_unknown_parameters_refused() {
        let db = database_location(
            "sqlite:///tmp/a.db?query=SELECT%20*%20FROM+t%20WHERE%20x%3D1",
            &DatabaseOptions::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(db.path, "/tmp/a.db");
        assert_eq!(
            db.options.query.as_deref(),
            Some("SELECT * FROM t WHERE x=1")
        );
        let err = database_location("sqlite://a.db?tabel=t", &DatabaseOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"tabel\" is not one of table, query, mode, key"),
            "{err}"
        );
        let err = database_location("sqlite://a.db?mode=merge", &DatabaseOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("mode \"merge\" is not one of"), "{err}");
    }

    #[test]
    fn files_are_databases_by_their_extension() {
        let none = DatabaseOptions::default();
        assert!(database_location("x/y.SQLite3", &none).unwrap().is_some());
        assert!(database_location("y.db", &none).unwrap().is_some());
        assert!(database_location("y.dbf", &none).unwrap().is_none());
        assert!(database_location("s3://b/y.db", &none).unwrap().is_none());
    }
}
