//! A real MariaDB server for the tests: a throwaway data folder made by
//! `mariadb-install-db` in a temporary folder and `mariadbd` on a free port of
//! 127.0.0.1, with a user that signs in by password, and TLS offered (a certificate
//! for `localhost` signed by a throwaway root, both made with `openssl`). One server a
//! test binary; each test makes a database of its own. As root, the server runs as
//! `nobody`.
//!
//! The server stops and its folder goes when the test process ends (a shell script
//! holds it and waits on a pipe whose other end this process keeps open). Without
//! MariaDB (Debian's `mariadb-server`) the tests say so and skip, unless
//! `ITERABLE_REQUIRE_SERVERS` is set (as CI does).

// Each server's file is also included alone (by the CLI's tests), so each includes it.
#[allow(clippy::duplicate_mod)]
#[path = "certificates.rs"]
mod certificates;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

/// The user and password the tests connect with.
pub const USER: &str = "iterable";
pub const PASSWORD: &str = "s3cret-my";

/// A running server.
pub struct Mariadb {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The server's folder (its data, certificates and log).
    dir: PathBuf,
    _keeper: Mutex<(Child, ChildStdin)>,
}

impl Mariadb {
    /// The server of this test binary, started on first use; `None` (after saying why)
    /// when MariaDB is not installed.
    pub fn get() -> Option<&'static Mariadb> {
        static SERVER: OnceLock<Option<Mariadb>> = OnceLock::new();
        SERVER
            .get_or_init(|| match find("mariadbd").zip(find("mariadb-install-db")) {
                Some((server, install)) => Some(start(&server, &install)),
                None => {
                    let why = "MariaDB's mariadbd and mariadb-install-db were not found (Debian's mariadb-server package)";
                    if std::env::var_os("ITERABLE_REQUIRE_SERVERS").is_some() {
                        panic!("{why}, and ITERABLE_REQUIRE_SERVERS is set");
                    }
                    eprintln!("skipping the MariaDB tests: {why}");
                    None
                }
            })
            .as_ref()
    }

    /// The root certificate (PEM) that signed the server's certificate, which names
    /// `localhost` only (not 127.0.0.1).
    pub fn root_certificate(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// A root certificate (PEM) that signed nothing the server has.
    pub fn other_root_certificate(&self) -> PathBuf {
        self.dir.join("other-ca.crt")
    }

    /// The URL of database `name` with the tests' user and password.
    pub fn url(&self, name: &str) -> String {
        format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database for one test.
    pub async fn database(&self, name: &str) -> String {
        let mut admin = self.conn(None).await;
        admin
            .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        admin
            .query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            .await
            .unwrap();
        self.url(name)
    }

    /// A connection as the tests' user, to database `name` when given.
    pub async fn conn(&self, name: Option<&str>) -> mysql_async::Conn {
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.port)
            .user(Some(USER))
            .pass(Some(PASSWORD))
            .db_name(name)
            .prefer_socket(false);
        mysql_async::Conn::new(opts)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test server: {e}"))
    }
}

fn find(program: &str) -> Option<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter()
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn command(program: &Path, as_nobody: bool) -> Command {
    if as_nobody {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start(server: &Path, install: &Path) -> Mariadb {
    let as_nobody = running_as_root();
    let dir = tempfile::Builder::new()
        .prefix("iterable-my-")
        .tempdir()
        .unwrap()
        .keep();
    certificates::make(&dir);
    if as_nobody {
        let status = Command::new("chown")
            .args(["-R", "nobody:"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "chown of the test server's folder");
    }
    let data = dir.join("data");
    let output = command(install, as_nobody)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "mariadb-install-db failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for _attempt in 0..5 {
        let port = free_port();
        let script = format!(
            "{server} --no-defaults --datadir={data} --socket={dir}/sock --port={port} \
             --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin \
             --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 \
             --ssl-cert={dir}/server.crt --ssl-key={dir}/server.key --ssl-ca={dir}/ca.crt \
             --log-error={dir}/log --pid-file={dir}/pid >/dev/null 2>&1 & \
             pid=$!; read _; kill $pid; wait $pid; rm -rf {dir}",
            server = server.display(),
            data = data.display(),
            dir = dir.display(),
        );
        let mut child = command(Path::new("sh"), as_nobody)
            .args(["-c", &script])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        if make_user(port) {
            return Mariadb {
                port,
                dir,
                _keeper: Mutex::new((child, stdin)),
            };
        }
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        eprintln!("the test MariaDB did not start on port {port}: {log}");
        let mut stdin = stdin;
        let _ = stdin.write_all(b"\n");
        let _ = child.wait();
    }
    panic!("the test MariaDB server did not start");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits for the server, then makes the tests' user (root has no password here).
fn make_user(port: u16) -> bool {
    // A runtime of its own, on a thread of its own: the caller may be inside one.
    std::thread::spawn(move || make_user_now(port))
        .join()
        .unwrap()
}

fn make_user_now(port: u16) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let opts = mysql_async::OptsBuilder::default()
                .ip_or_hostname("127.0.0.1")
                .tcp_port(port)
                .user(Some("root"))
                .prefer_socket(false);
            if let Ok(mut root) = mysql_async::Conn::new(opts).await {
                root.query_drop(format!(
                    "CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; \
                     GRANT ALL ON *.* TO '{USER}'@'%'"
                ))
                .await
                .unwrap();
                let _ = root.disconnect().await;
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    })
}
