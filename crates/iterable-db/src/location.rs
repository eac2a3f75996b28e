//! Which locations are databases, and what their URLs say: `sqlite://PATH?table=t`
//! (also `&query=…`, `&mode=create|append|replace|upsert`, `&key=a,b`), a local file
//! named `.sqlite`, `.sqlite3` or `.db`, and `postgres://user:password@host:port/db?table=t`
//! (also `postgresql://`; `&schema=`, `&columns=`, and the server's own connection
//! parameters such as `sslmode` or `connect_timeout`), and
//! `mysql://user:password@host:port/db?table=t` (also `mariadb://`).

use iterable_core::{DatabaseOptions, Error, Result, TableMode};

/// The kinds of database this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseKind {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
    /// A MySQL or MariaDB server.
    Mysql,
}

/// A database location taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseLocation {
    /// Which database.
    pub kind: DatabaseKind,
    /// The file (SQLite) as a local path, or the server's connection URL with this
    /// crate's own parameters taken out (PostgreSQL).
    pub path: String,
    /// The options, the URL's parameters over those given in code.
    pub options: DatabaseOptions,
    /// The location as errors and progress show it: its password masked.
    pub display: String,
}

impl DatabaseLocation {
    /// The table a write goes to: an error when none is named, when a query is given
    /// instead, or when an upsert has no key columns.
    pub fn table_to_write(&self) -> Result<String> {
        let location = &self.display;
        let Some(table) = self.options.table.clone() else {
            return Err(Error::InvalidOption(format!(
                "{location}: writing a database needs a table (?table=NAME)"
            )));
        };
        if self.options.query.is_some() {
            return Err(Error::InvalidOption(format!(
                "{location}: a query is for reading; writing takes a table"
            )));
        }
        if self.options.mode == TableMode::Upsert && self.options.keys.is_empty() {
            return Err(Error::InvalidOption(format!(
                "{location}: mode upsert needs its key columns (&key=id or keys in the options)"
            )));
        }
        Ok(table)
    }

    /// The select list of a table read: its `columns`, quoted by `quote`, or `*`.
    pub fn select_list(&self, quote: impl Fn(&str) -> String) -> String {
        if self.options.columns.is_empty() {
            return "*".to_owned();
        }
        let names: Vec<String> = self.options.columns.iter().map(|c| quote(c)).collect();
        names.join(", ")
    }
}

/// File extensions that name an SQLite database.
pub const SQLITE_EXTENSIONS: [&str; 3] = ["sqlite", "sqlite3", "db"];

/// The URL parameters this crate reads itself; a server URL passes the others on to
/// the server's connection.
const OWN_PARAMETERS: [&str; 7] = ["table", "query", "mode", "key", "keys", "schema", "columns"];

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
///
/// let pg = database_location("postgres://ana:s3cret@db:5433/shop?table=orders&sslmode=disable", &DatabaseOptions::default())
///     .unwrap()
///     .unwrap();
/// assert_eq!((pg.kind, pg.path.as_str()), (DatabaseKind::Postgres, "postgres://ana:s3cret@db:5433/shop?sslmode=disable"));
/// assert_eq!(pg.display, "postgres://ana:***@db:5433/shop?table=orders&sslmode=disable");
/// ```
pub fn database_location(
    location: &str,
    given: &DatabaseOptions,
) -> Result<Option<DatabaseLocation>> {
    let display = mask_password(location);
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
            let unknown = apply_query(&display, query, &mut options)?;
            if let Some((other, _)) = unknown.first() {
                return Err(unknown_parameter(&display, other));
            }
        }
        return Ok(Some(DatabaseLocation {
            kind: DatabaseKind::Sqlite,
            path: decode(path),
            options,
            display,
        }));
    }
    if let Some(kind) = server_kind(location) {
        let (base, query) = match location.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (location, None),
        };
        let mut options = given.clone();
        let mut path = base.to_owned();
        if let Some(query) = query {
            let passed: Vec<String> = apply_query(&display, query, &mut options)?
                .into_iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            if !passed.is_empty() {
                path.push('?');
                path.push_str(&passed.join("&"));
            }
        }
        return Ok(Some(DatabaseLocation {
            kind,
            path,
            options,
            display,
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
            display,
        }));
    }
    Ok(None)
}

/// The server a URL's scheme names.
fn server_kind(location: &str) -> Option<DatabaseKind> {
    let named = |schemes: &[&str]| schemes.iter().any(|s| strip_scheme(location, s).is_some());
    if named(&["postgres://", "postgresql://"]) {
        Some(DatabaseKind::Postgres)
    } else if named(&["mysql://", "mariadb://"]) {
        Some(DatabaseKind::Mysql)
    } else {
        None
    }
}

/// `location` with the password of its URL (`user:password@`, `password=`) shown as
/// `***`; anything else as it is.
///
/// ```
/// use iterable_db::mask_password;
///
/// assert_eq!(mask_password("postgres://ana:pw@h/db"), "postgres://ana:***@h/db");
/// assert_eq!(mask_password("postgres://h/db?password=pw&table=t"), "postgres://h/db?password=***&table=t");
/// assert_eq!(mask_password("data/a.csv"), "data/a.csv");
/// ```
pub fn mask_password(location: &str) -> String {
    let Some(scheme_end) = location.find("://") else {
        return location.to_owned();
    };
    let start = scheme_end + 3;
    let (base, query) = match location.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (location, None),
    };
    let mut out = String::with_capacity(location.len());
    let authority_end = base[start..].find('/').map_or(base.len(), |i| start + i);
    let authority = &base[start..authority_end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            out.push_str(&base[..start]);
            out.push_str(user);
            out.push_str(":***@");
            out.push_str(host);
            out.push_str(&base[authority_end..]);
        }
        _ => out.push_str(base),
    }
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

fn strip_scheme<'a>(location: &'a str, scheme: &str) -> Option<&'a str> {
    let head = location.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &location[scheme.len()..])
}

/// Lays this crate's parameters of `query` over `options`; the other pairs, as they
/// were, for the server.
fn apply_query<'q>(
    location: &str,
    query: &'q str,
    options: &mut DatabaseOptions,
) -> Result<Vec<(&'q str, &'q str)>> {
    let mut others = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(raw);
        match key {
            "table" => options.table = Some(value),
            "query" => options.query = Some(value),
            "schema" => options.schema = Some(value),
            "mode" => options.mode = parse_mode(location, &value)?,
            "key" | "keys" => options.keys = list(&value),
            "columns" => options.columns = list(&value),
            other => others.push((other, raw)),
        }
    }
    debug_assert!(others.iter().all(|(k, _)| !OWN_PARAMETERS.contains(k)));
    Ok(others)
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect()
}

fn unknown_parameter(location: &str, name: &str) -> Error {
    Error::InvalidOption(format!(
        "{location}: the URL parameter {name:?} is not one of table, query, mode, key, schema, columns"
    ))
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
pub(crate) fn decode(text: &str) -> String {
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
            err.contains("\"tabel\" is not one of table, query, mode, key, schema, columns"),
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
