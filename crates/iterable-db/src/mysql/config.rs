//! A MySQL/MariaDB connection from a URL: `mysql://user:password@host:port/db`, with
//! `socket=PATH` for a local server's socket; the environment (`MYSQL_HOST`,
//! `MYSQL_TCP_PORT`, `MYSQL_PWD`, `USER`) for what the URL leaves out. Each session is
//! set to UTC and to strict mode, so that timestamps read as they are stored and a
//! value that does not fit its column is an error, not a warning.

use iterable_core::{Error, Result};
use mysql_async::{Opts, OptsBuilder};

use crate::location::decode;

/// Where the environment is read from.
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

/// The driver's options for `url`; `display` (the password masked) names it in errors.
pub(crate) fn options(url: &str, display: &str, env: &dyn Environment) -> Result<Opts> {
    let invalid = |message: String| Error::InvalidOption(format!("{display}: {message}"));
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, db) = base.split_once('/').unwrap_or((base, ""));
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    let (mut user, mut password) = match userinfo.map(|u| u.split_once(':').unwrap_or((u, ""))) {
        Some((user, password)) => (
            Some(decode(user)).filter(|u| !u.is_empty()),
            Some(decode(password)).filter(|_| userinfo.is_some_and(|u| u.contains(':'))),
        ),
        None => (None, None),
    };
    let (name, port_text) = match host.strip_prefix('[') {
        // An IPv6 address: [::1]:3306
        Some(inner) => match inner.split_once(']') {
            Some((address, after)) => (address, after.strip_prefix(':')),
            None => return Err(invalid("an IPv6 host is written [address]".to_owned())),
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let mut host = decode(name);
    let mut port = match port_text {
        Some(text) => Some(
            text.parse::<u16>()
                .map_err(|_| invalid(format!("the port {text:?} is not a number")))?,
        ),
        None => None,
    };
    let mut db = Some(decode(db)).filter(|d| !d.is_empty());
    let mut socket = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        match key {
            "host" => host = value,
            "port" => {
                port = Some(
                    value
                        .parse()
                        .map_err(|_| invalid(format!("the port {value:?} is not a number")))?,
                )
            }
            "user" => user = Some(value),
            "password" => password = Some(value),
            "dbname" | "database" => db = Some(value),
            "socket" => socket = Some(value),
            other => {
                return Err(invalid(format!(
                    "the URL parameter {other:?} is not one of table, query, mode, key, schema, columns, \
                     or the connection's host, port, user, password, dbname, socket"
                )));
            }
        }
    }
    if host.is_empty() {
        host = env
            .var("MYSQL_HOST")
            .unwrap_or_else(|| "localhost".to_owned());
    }
    let port = port
        .or_else(|| env.var("MYSQL_TCP_PORT").and_then(|p| p.parse().ok()))
        .unwrap_or(3306);
    let user = user.or_else(|| env.var("USER"));
    let password = password.or_else(|| env.var("MYSQL_PWD"));
    let builder = OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(user)
        .pass(password)
        .db_name(db)
        .socket(socket)
        .prefer_socket(false)
        .init(vec![
            "SET time_zone = '+00:00'",
            "SET sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES')",
        ]);
    Ok(builder.into())
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
    fn urls_and_the_environment_give_the_connection() {
        let none = Vars(HashMap::new());
        let opts = options("mysql://ana:p%40ss@db:3307/shop", "x", &none).unwrap();
        assert_eq!((opts.ip_or_hostname(), opts.tcp_port()), ("db", 3307));
        assert_eq!(
            (opts.user(), opts.pass(), opts.db_name()),
            (Some("ana"), Some("p@ss"), Some("shop"))
        );
        let env = Vars(HashMap::from([
            ("MYSQL_HOST", "envhost"),
            ("MYSQL_PWD", "envpw"),
            ("USER", "me"),
        ]));
        let opts = options("mariadb:///shop", "x", &env).unwrap();
        assert_eq!((opts.ip_or_hostname(), opts.tcp_port()), ("envhost", 3306));
        assert_eq!((opts.user(), opts.pass()), (Some("me"), Some("envpw")));
        let err = options("mysql://h/db?colour=red", "mysql://h/db?colour=red", &none)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"colour\" is not one of table"), "{err}");
    }
}
