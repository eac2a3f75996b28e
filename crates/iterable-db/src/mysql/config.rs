//! A MySQL/MariaDB connection from a URL: `mysql://user:password@host:port/db`, with
//! `socket=PATH` for a local server's socket; the environment (`MYSQL_HOST`,
//! `MYSQL_TCP_PORT`, `MYSQL_PWD`, `USER`) for what the URL leaves out. Each session is
//! set to UTC and to strict mode, so that timestamps read as they are stored and a
//! value that does not fit its column is an error, not a warning.
//!
//! TLS (rustls with ring) as the MySQL client's `--ssl-mode` says, from `ssl-mode`
//! (or `sslmode`) and `ssl-ca` in the URL:
//!
//! | `ssl-mode` | TLS | the server's certificate |
//! |---|---|---|
//! | `DISABLED` | never | - |
//! | `PREFERRED` (the default) | when the server offers it | checked against `ssl-ca` when one is given, else not checked |
//! | `REQUIRED` | always | as for `PREFERRED` |
//! | `VERIFY_CA` | always | signed by a root of `ssl-ca` (else the web's roots); see below |
//! | `VERIFY_IDENTITY` | always | as `VERIFY_CA`, and naming the host |
//!
//! A socket connection never uses TLS. mysql_async 0.37 cannot check the chain without
//! the name with the rustls of this workspace (it looks for the error's old wording),
//! so where only the chain is to be checked and the certificate does not name the host,
//! the connection is refused with an error that says so: connect by a name the
//! certificate holds.

use std::path::PathBuf;

use iterable_core::{Error, Result};
use mysql_async::{Opts, OptsBuilder, SslOpts};

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

/// How a connection is made: the driver's options, and for `PREFERRED` TLS the options
/// to retry with, without TLS, when the server offers none.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub opts: Opts,
    pub without_tls: Option<Opts>,
    /// Whether the mode checks the certificate's chain but not its name (`VERIFY_CA`,
    /// or `PREFERRED`/`REQUIRED` with `ssl-ca`), which the driver cannot do alone.
    pub chain_only: bool,
}

/// The TLS a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl SslMode {
    fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_uppercase().replace('-', "_").as_str() {
            "DISABLED" | "DISABLE" => Self::Disabled,
            "PREFERRED" | "PREFER" => Self::Preferred,
            "REQUIRED" | "REQUIRE" => Self::Required,
            "VERIFY_CA" => Self::VerifyCa,
            "VERIFY_IDENTITY" | "VERIFY_FULL" => Self::VerifyIdentity,
            _ => return None,
        })
    }

    /// The driver's TLS options, `None` for no TLS.
    fn ssl_opts(self, ca: Option<&PathBuf>) -> Option<SslOpts> {
        let mut ssl = SslOpts::default();
        if let Some(ca) = ca {
            ssl = ssl
                .with_root_certs(vec![ca.clone().into()])
                .with_disable_built_in_roots(true);
        }
        let checks_chain = ca.is_some() || self >= Self::VerifyCa;
        Some(match self {
            Self::Disabled => return None,
            _ if !checks_chain => ssl
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
            Self::VerifyIdentity => ssl,
            _ => ssl.with_danger_skip_domain_validation(true),
        })
    }
}

impl PartialOrd for SslMode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some((*self as u8).cmp(&(*other as u8)))
    }
}

/// The connection `url` asks for; `display` (the password masked) names it in errors.
pub(crate) fn connection(url: &str, display: &str, env: &dyn Environment) -> Result<Connection> {
    let (builder, mode, ca) = parse(url, display, env)?;
    let tls = mode.ssl_opts(ca.as_ref());
    let chain_only = mode != SslMode::Disabled
        && mode != SslMode::VerifyIdentity
        && (ca.is_some() || mode == SslMode::VerifyCa);
    let without_tls =
        (mode == SslMode::Preferred).then(|| builder.clone().ssl_opts(None::<SslOpts>).into());
    Ok(Connection {
        opts: builder.ssl_opts(tls).into(),
        without_tls,
        chain_only,
    })
}

/// The driver's options for `url` without TLS (for tests of the URL's reading).
#[cfg(test)]
pub(crate) fn options(url: &str, display: &str, env: &dyn Environment) -> Result<Opts> {
    parse(url, display, env).map(|(builder, _, _)| builder.into())
}

fn parse(
    url: &str,
    display: &str,
    env: &dyn Environment,
) -> Result<(OptsBuilder, SslMode, Option<PathBuf>)> {
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
    let mut ssl_mode = SslMode::Preferred;
    let mut ssl_ca = None;
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
            "ssl-mode" | "ssl_mode" | "sslmode" => {
                ssl_mode = SslMode::parse(&value).ok_or_else(|| {
                    invalid(format!(
                        "ssl-mode={value} is not one of DISABLED, PREFERRED, REQUIRED, \
                         VERIFY_CA, VERIFY_IDENTITY"
                    ))
                })?;
            }
            "ssl-ca" | "ssl_ca" | "sslrootcert" => {
                let path = PathBuf::from(&value);
                if !path.is_file() {
                    return Err(invalid(format!("ssl-ca {value}: no such file")));
                }
                ssl_ca = Some(path);
            }
            other => {
                return Err(invalid(format!(
                    "the URL parameter {other:?} is not one of table, query, mode, key, schema, columns, \
                     or the connection's host, port, user, password, dbname, socket, ssl-mode, ssl-ca"
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
    if socket.is_some() {
        ssl_mode = SslMode::Disabled;
    }
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
    Ok((builder, ssl_mode, ssl_ca))
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

    #[test]
    fn ssl_mode_decides_tls_and_a_fallback_without_it() {
        let none = Vars(HashMap::new());
        let connect = |url: &str| connection(url, "x", &none).unwrap();
        // PREFERRED by default: TLS, with a retry without it for a server with none.
        let preferred = connect("mysql://h/db");
        assert!(preferred.opts.ssl_opts().is_some());
        assert!(preferred.without_tls.as_ref().unwrap().ssl_opts().is_none());
        assert!(!preferred.chain_only);
        let required = connect("mysql://h/db?ssl-mode=required");
        let ssl = required.opts.ssl_opts().unwrap();
        assert!(ssl.accept_invalid_certs() && ssl.skip_domain_validation());
        assert!(required.without_tls.is_none());
        assert!(
            connect("mysql://h/db?sslmode=DISABLED")
                .opts
                .ssl_opts()
                .is_none()
        );
        let full = connect("mysql://h/db?ssl-mode=VERIFY_IDENTITY");
        let ssl = full.opts.ssl_opts().unwrap();
        assert!(!ssl.accept_invalid_certs() && !ssl.skip_domain_validation());
        assert!(connect("mysql://h/db?ssl-mode=verify_ca").chain_only);
        // A socket never uses TLS.
        assert!(
            connect("mysql://h/db?socket=/run/my.sock")
                .opts
                .ssl_opts()
                .is_none()
        );
    }
}
