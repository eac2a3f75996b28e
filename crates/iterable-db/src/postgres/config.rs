//! A PostgreSQL connection from a URL, as libpq reads one: `postgres://user:password@host:port/db`
//! with parameters (`host`, `port`, `user`, `password`, `dbname`, `sslmode`,
//! `sslrootcert`, `connect_timeout`, `application_name`, `options`), the environment
//! (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGAPPNAME`,
//! `PGCONNECT_TIMEOUT`, `PGSSLMODE`, `PGSSLROOTCERT`) for
//! what the URL leaves out, and the password file (`PGPASSFILE` or `~/.pgpass`) when no
//! password is given.

use std::path::{Path, PathBuf};
use std::time::Duration;

use iterable_core::{Error, Result};
use tokio_postgres::Config;

use super::tls::TlsPlan;

use crate::location::decode;

/// What a connection URL says, with the environment's defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConnectionSpec {
    /// Host names, IP addresses, or folders holding a server's Unix socket.
    pub hosts: Vec<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub dbname: Option<String>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub connect_timeout: Option<u64>,
    pub application_name: Option<String>,
    pub options: Option<String>,
}

/// Where the environment is read from: the process's own, or a map in tests.
pub(crate) trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's environment.
pub(crate) struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// The URL taken apart; `display` (the password masked) names it in errors.
pub(crate) fn parse_url(url: &str, display: &str) -> Result<ConnectionSpec> {
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| invalid(display, "a PostgreSQL URL starts with postgres://"))?;
    let (base, query) = match rest.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match base.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (base, None),
    };
    let mut spec = ConnectionSpec::default();
    let hosts = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            spec.user = Some(decode(user)).filter(|u| !u.is_empty());
            spec.password = password.map(decode);
            hosts
        }
        None => authority,
    };
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let (name, port) = split_port(host, display)?;
        if !name.is_empty() {
            spec.hosts.push(decode(name));
        }
        if let Some(port) = port {
            spec.port = Some(port);
        }
    }
    spec.dbname = path.map(decode).filter(|d| !d.is_empty());
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        match key {
            "host" => spec.hosts = value.split(',').map(str::to_owned).collect(),
            "port" => spec.port = Some(parse_port(&value, display)?),
            "user" => spec.user = Some(value),
            "password" => spec.password = Some(value),
            "dbname" => spec.dbname = Some(value),
            "sslmode" => spec.sslmode = Some(value),
            "sslrootcert" => spec.sslrootcert = Some(value),
            "connect_timeout" => {
                spec.connect_timeout = Some(value.parse().map_err(|_| {
                    invalid(
                        display,
                        &format!("connect_timeout {value:?} is not a number of seconds"),
                    )
                })?)
            }
            "application_name" => spec.application_name = Some(value),
            "options" => spec.options = Some(value),
            other => {
                return Err(invalid(
                    display,
                    &format!(
                        "the URL parameter {other:?} is not one of table, query, mode, key, schema, columns, \
                         or the connection's host, port, user, password, dbname, sslmode, sslrootcert, connect_timeout, \
                         application_name, options"
                    ),
                ));
            }
        }
    }
    Ok(spec)
}

fn split_port<'a>(host: &'a str, display: &str) -> Result<(&'a str, Option<u16>)> {
    if let Some(inner) = host.strip_prefix('[') {
        // An IPv6 address: [::1]:5432
        let (address, after) = inner
            .split_once(']')
            .ok_or_else(|| invalid(display, "an IPv6 host is written [address]"))?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((address, Some(parse_port(port, display)?))),
            None => Ok((address, None)),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) => Ok((name, Some(parse_port(port, display)?))),
        None => Ok((host, None)),
    }
}

fn parse_port(text: &str, display: &str) -> Result<u16> {
    text.parse()
        .map_err(|_| invalid(display, &format!("the port {text:?} is not a number")))
}

fn invalid(display: &str, message: &str) -> Error {
    Error::InvalidOption(format!("{display}: {message}"))
}

impl ConnectionSpec {
    /// What the URL left out, from the environment and then libpq's own defaults: the
    /// user is the login name, the database is named as the user, the host is the
    /// local socket folder when there is one, else `localhost`.
    pub(crate) fn with_defaults(mut self, env: &dyn Environment) -> ConnectionSpec {
        if self.hosts.is_empty() {
            self.hosts = match env.var("PGHOST") {
                Some(hosts) => hosts.split(',').map(str::to_owned).collect(),
                None => vec![default_host()],
            };
        }
        if self.port.is_none() {
            self.port = env.var("PGPORT").and_then(|p| p.parse().ok());
        }
        self.user = self
            .user
            .or_else(|| env.var("PGUSER"))
            .or_else(|| env.var("USER"))
            .or_else(|| env.var("LOGNAME"));
        self.dbname = self
            .dbname
            .or_else(|| env.var("PGDATABASE"))
            .or_else(|| self.user.clone());
        self.password = self.password.or_else(|| env.var("PGPASSWORD"));
        self.sslmode = self.sslmode.or_else(|| env.var("PGSSLMODE"));
        self.sslrootcert = self.sslrootcert.or_else(|| env.var("PGSSLROOTCERT"));
        self.application_name = self
            .application_name
            .or_else(|| env.var("PGAPPNAME"))
            .or_else(|| Some("iterable".to_owned()));
        if self.connect_timeout.is_none() {
            self.connect_timeout = env.var("PGCONNECT_TIMEOUT").and_then(|t| t.parse().ok());
        }
        if self.password.is_none() {
            let file = env
                .var("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".pgpass")));
            if let Some(text) = file.and_then(|f| read_password_file(&f)) {
                self.password = self.password_from_file(&text);
            }
        }
        self
    }

    /// The first line of a `.pgpass` file (`host:port:database:user:password`, `*` for
    /// any, `\:` and `\\` escaped) that matches this connection.
    pub(crate) fn password_from_file(&self, text: &str) -> Option<String> {
        let port = self.port.unwrap_or(5432).to_string();
        let host = self.hosts.first().map(|h| {
            if h.starts_with('/') {
                "localhost".to_owned()
            } else {
                h.clone()
            }
        });
        let wanted = [
            host.unwrap_or_default(),
            port,
            self.dbname.clone().unwrap_or_default(),
            self.user.clone().unwrap_or_default(),
        ];
        text.lines()
            .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
            .find_map(|line| {
                let fields = split_password_line(line);
                if fields.len() != 5 {
                    return None;
                }
                let matches = fields[..4]
                    .iter()
                    .zip(&wanted)
                    .all(|(field, want)| field == "*" || field == want);
                matches.then(|| fields[4].clone())
            })
    }

    /// The driver's configuration.
    pub(crate) fn config(&self, display: &str) -> Result<Config> {
        let mut config = Config::new();
        for host in &self.hosts {
            if host.starts_with('/') {
                config.host_path(host);
            } else {
                config.host(host);
            }
        }
        if let Some(port) = self.port {
            config.port(port);
        }
        if let Some(user) = &self.user {
            config.user(user);
        }
        if let Some(password) = &self.password {
            config.password(password);
        }
        if let Some(dbname) = &self.dbname {
            config.dbname(dbname);
        }
        if let Some(name) = &self.application_name {
            config.application_name(name);
        }
        if let Some(options) = &self.options {
            config.options(options);
        }
        if let Some(seconds) = self.connect_timeout.filter(|s| *s > 0) {
            config.connect_timeout(Duration::from_secs(seconds));
        }
        config.ssl_mode(self.tls(display)?.mode);
        Ok(config)
    }

    /// The TLS the connection asks for (see [`super::tls`]).
    pub(crate) fn tls(&self, display: &str) -> Result<TlsPlan> {
        TlsPlan::new(
            self.sslmode.as_deref(),
            self.sslrootcert.as_deref(),
            super::tls::home().as_deref(),
            display,
        )
    }
}

/// The local server's socket folder, as Debian's and most builds of libpq look for it.
fn default_host() -> String {
    ["/var/run/postgresql", "/tmp"]
        .iter()
        .find(|dir| {
            std::fs::read_dir(dir).is_ok_and(|mut entries| {
                entries.any(|e| {
                    e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".s.PGSQL."))
                })
            })
        })
        .map_or_else(|| "localhost".to_owned(), |dir| (*dir).to_owned())
}

/// The password file's text, unless others may read it (libpq ignores such a file).
fn read_password_file(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    std::fs::read_to_string(path).ok()
}

fn split_password_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("one field").push(next);
                }
            }
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Vars(HashMap<&'static str, &'static str>);

    impl Environment for Vars {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    #[test]
    fn urls_give_user_password_hosts_port_and_database() {
        let spec = parse_url(
            "postgres://ana:p%40ss@db1,db2:6543/shop?sslmode=disable",
            "x",
        )
        .unwrap();
        assert_eq!(spec.user.as_deref(), Some("ana"));
        assert_eq!(spec.password.as_deref(), Some("p@ss"));
        assert_eq!(spec.hosts, ["db1", "db2"]);
        assert_eq!(spec.port, Some(6543));
        assert_eq!(spec.dbname.as_deref(), Some("shop"));
        assert_eq!(spec.sslmode.as_deref(), Some("disable"));
        let spec = parse_url(
            "postgresql://[::1]:5433/db?host=%2Fvar%2Frun%2Fpostgresql",
            "x",
        )
        .unwrap();
        assert_eq!(
            (spec.hosts, spec.port),
            (vec!["/var/run/postgresql".to_owned()], Some(5433))
        );
        let err = parse_url("postgres://h/db?colour=red", "postgres://h/db?colour=red")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"colour\" is not one of table"), "{err}");
    }

    #[test]
    fn the_environment_fills_what_the_url_leaves_out() {
        let env = Vars(HashMap::from([
            ("PGHOST", "envhost"),
            ("PGPORT", "7000"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
        ]));
        let spec = parse_url("postgres://", "x").unwrap().with_defaults(&env);
        assert_eq!(spec.hosts, ["envhost"]);
        assert_eq!(spec.port, Some(7000));
        assert_eq!(spec.user.as_deref(), Some("envuser"));
        assert_eq!(spec.password.as_deref(), Some("envpw"));
        assert_eq!(spec.dbname.as_deref(), Some("envdb"));
        let spec = parse_url("postgres://ana:urlpw@h/db", "x")
            .unwrap()
            .with_defaults(&env);
        assert_eq!(
            (spec.user.as_deref(), spec.password.as_deref()),
            (Some("ana"), Some("urlpw"))
        );
        assert_eq!(spec.dbname.as_deref(), Some("db"));
    }

    #[test]
    fn the_password_file_gives_the_first_line_that_matches() {
        let spec = ConnectionSpec {
            hosts: vec!["db".to_owned()],
            port: Some(5433),
            user: Some("ana".to_owned()),
            dbname: Some("shop".to_owned()),
            ..ConnectionSpec::default()
        };
        let file = "# comment\nother:*:*:*:no\ndb:5433:shop:bob:no\ndb:*:shop:ana:a\\:b\\\\c\n*:*:*:*:fallback\n";
        assert_eq!(spec.password_from_file(file).as_deref(), Some("a:b\\c"));
        let socket = ConnectionSpec {
            hosts: vec!["/tmp".to_owned()],
            ..spec
        };
        assert_eq!(
            socket
                .password_from_file("localhost:5433:shop:ana:sock\n")
                .as_deref(),
            Some("sock")
        );
    }

    #[test]
    fn an_unknown_tls_mode_is_refused_by_name() {
        let spec = ConnectionSpec {
            sslmode: Some("on".to_owned()),
            ..ConnectionSpec::default()
        };
        let err = spec.config("postgres://h/db").unwrap_err().to_string();
        assert!(err.contains("sslmode=on is not one of"), "{err}");
    }
}
