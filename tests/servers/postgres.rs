//! A real PostgreSQL server for the tests: a throwaway cluster made by `initdb` in a
//! temporary folder and started on a free port of 127.0.0.1, with password (SCRAM)
//! authentication over TCP, and TLS offered (a certificate for `localhost` signed by a
//! throwaway root, both made with `openssl`). One server a test binary; each test
//! makes a database of its own. As root, the server runs as `nobody` (PostgreSQL
//! refuses root).
//!
//! The server stops and its folder goes when the test process ends: a small shell
//! script holds it and waits on a pipe whose other end this process keeps open.
//!
//! Without PostgreSQL's programs (Debian's `postgresql` package) the tests say so and
//! skip, unless `ITERABLE_REQUIRE_SERVERS` is set (as CI does): then it is a failure.

// Each server's file is also included alone (by the CLI's tests), so each includes it.
#[allow(clippy::duplicate_mod)]
#[path = "certificates.rs"]
mod certificates;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The user and password the tests connect with.
pub const USER: &str = "iterable";
pub const PASSWORD: &str = "s3cret-pw";

/// A running server.
pub struct Postgres {
    /// Its port on 127.0.0.1.
    pub port: u16,
    bin: PathBuf,
    /// The server's folder (its data, certificates and log).
    dir: PathBuf,
    /// Held open: the server stops when this end closes.
    _keeper: Mutex<(Child, ChildStdin)>,
}

impl Postgres {
    /// The server of this test binary, started on first use; `None` (after saying why)
    /// when PostgreSQL is not installed.
    pub fn get() -> Option<&'static Postgres> {
        static SERVER: OnceLock<Option<Postgres>> = OnceLock::new();
        SERVER
            .get_or_init(|| match find_bin() {
                Some(bin) => Some(start(bin)),
                None => {
                    let why = "PostgreSQL's initdb and postgres were not found (Debian's postgresql package)";
                    if std::env::var_os("ITERABLE_REQUIRE_SERVERS").is_some() {
                        panic!("{why}, and ITERABLE_REQUIRE_SERVERS is set");
                    }
                    eprintln!("skipping the PostgreSQL tests: {why}");
                    None
                }
            })
            .as_ref()
    }

    /// The URL of database `name` with the tests' user and password.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{name}",
            self.port
        )
    }

    /// A new, empty database for one test (dropped first if an earlier run left it).
    pub async fn database(&self, name: &str) -> String {
        let admin = self.client("postgres").await;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        self.url(name)
    }

    /// A client of database `name`, for setting up and checking what the tests do.
    pub async fn client(&self, name: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(
            &format!(
                "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname={name}",
                self.port
            ),
            tokio_postgres::NoTls,
        )
        .await
        .unwrap_or_else(|e| panic!("connecting to the test server: {e}"));
        tokio::spawn(connection);
        client
    }

    /// The folder of PostgreSQL's programs.
    pub fn bin(&self) -> &Path {
        &self.bin
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
}

/// PostgreSQL's programs: `ITERABLE_PG_BIN`, Debian's folder of the newest version, or
/// the `PATH`.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ITERABLE_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(newest) = versions.pop() {
        return Some(newest);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
    })
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program args…`, as `nobody` when this process is root.
fn command(program: &Path, as_nobody: bool) -> Command {
    if as_nobody {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start(bin: PathBuf) -> Postgres {
    let as_nobody = running_as_root();
    let dir = tempfile::Builder::new()
        .prefix("iterable-pg-")
        .tempdir()
        .unwrap()
        .keep();
    let data = dir.join("data");
    let password_file = dir.join("password");
    std::fs::write(&password_file, PASSWORD).unwrap();
    certificates::make(&dir);
    if as_nobody {
        let status = Command::new("chown")
            .args(["-R", "nobody:"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "chown of the test cluster's folder");
    }
    let output = command(&bin.join("initdb"), as_nobody)
        .arg("-D")
        .arg(&data)
        .args(["-U", USER, "-E", "UTF8", "--locale=C", "-N"])
        .arg(format!("--pwfile={}", password_file.display()))
        .args(["--auth-host=scram-sha-256", "--auth-local=trust"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "initdb failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for _attempt in 0..5 {
        let port = free_port();
        let script = format!(
            "{postgres} -D {data} -k {dir} -h 127.0.0.1 -p {port} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=100 -c shared_buffers=32MB \
             -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key \
             >{dir}/log 2>&1 & \
             pid=$!; read _; kill -INT $pid; wait $pid; rm -rf {dir}",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.display(),
        );
        let mut child = command(Path::new("sh"), as_nobody)
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        if wait_ready(&bin, port, &dir.join("log")) {
            return Postgres {
                port,
                bin,
                dir,
                _keeper: Mutex::new((child, stdin)),
            };
        }
        // The port was taken between finding and binding it, or the server failed.
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        eprintln!("the test PostgreSQL did not start on port {port}: {log}");
        let mut stdin = stdin;
        let _ = stdin.write_all(b"\n");
        let _ = child.wait();
    }
    panic!("the test PostgreSQL server did not start");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn wait_ready(bin: &Path, port: u16, log: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::fs::read_to_string(log).is_ok_and(|text| text.contains("FATAL")) {
            return false;
        }
        let ready = Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
