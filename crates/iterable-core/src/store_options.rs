//! Options of object store locations (`s3://`, `gs://`, `az://`, `http(s)://`, ...)
//! and of reads over many files (globs, prefixes, lists of locations).

use std::time::Duration;

/// How to reach an object store. Anything left unset comes from the backend's usual
/// environment variables (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, `AWS_ENDPOINT`,
/// `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// The region (S3).
    pub region: Option<String>,
    /// The endpoint, for S3-compatible servers (MinIO, R2, a local test server) or an
    /// Azure emulator: `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// Allow plain `http://` endpoints (default false: TLS only).
    pub allow_http: bool,
    /// Send unsigned requests (public buckets); no credentials are looked up.
    pub anonymous: bool,
    /// Backend configuration keys and values, as the backend names them
    /// (`aws_access_key_id`, `aws_secret_access_key`, `google_service_account`,
    /// `azure_storage_account_key`, ...). An unknown key is an error.
    pub config: Vec<(String, String)>,
    /// Retries of a failed request (server errors, 429, timeouts, connection resets,
    /// a response body cut short); 0 disables them. Default 10.
    pub max_retries: usize,
    /// The first wait before a retry; each next wait doubles, up to `max_backoff`.
    /// Default 100 ms.
    pub initial_backoff: Duration,
    /// The longest wait between retries. Default 15 s.
    pub max_backoff: Duration,
    /// No retry starts later than this after the first attempt. Default 3 minutes.
    pub retry_timeout: Duration,
    /// Writing: the size of each multipart upload part, in bytes (default 8 MiB; S3
    /// wants at least 5 MiB for every part but the last).
    pub part_size: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            region: None,
            endpoint: None,
            allow_http: false,
            anonymous: false,
            config: Vec::new(),
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            retry_timeout: Duration::from_secs(180),
            part_size: 8 << 20,
        }
    }
}

/// In which order a read over many files hands out rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileOrder {
    /// All rows of the first file, then all of the second, ... (the files are sorted
    /// by name for a glob or prefix, kept as given for a list). Later files are read
    /// ahead while earlier ones are handed out. The default.
    #[default]
    InOrder,
    /// Rows as they arrive from whichever file is ready; the rows of one file keep
    /// their order.
    AsArrive,
}

/// Options of a read over many files.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilesOptions {
    /// How many files are read at the same time (default 4, at least 1).
    pub concurrency: usize,
    /// File order or as rows arrive.
    pub order: FileOrder,
    /// When set, each row gets a last column of this name holding its file's location.
    pub location_column: Option<String>,
    /// Local folders and globs: follow links to directories (default false: a link to a
    /// directory is left out, so a walk never leaves the folder and never loops). When
    /// set, each real directory is still walked once: a link back to one already walked
    /// (`self -> .`, `up -> ..`) is skipped. Links to files are always read.
    pub follow_links: bool,
}

impl Default for FilesOptions {
    fn default() -> Self {
        FilesOptions {
            concurrency: 4,
            order: FileOrder::InOrder,
            location_column: None,
            follow_links: false,
        }
    }
}
