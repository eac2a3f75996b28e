//! An S3-compatible server in-process: `s3s` over an `s3s-fs` folder, with signed
//! requests checked, and a switch that fails part uploads to test aborts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hyper::body::Incoming;
use hyper::service::Service;
use iterable::IterableOptions;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};

pub const BUCKET: &str = "bucket";
const ACCESS_KEY: &str = "test-access-key";
const SECRET_KEY: &str = "test-secret-key";

/// A running S3 server; its objects live in files under `root/bucket/`.
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
    fail_parts: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl S3Server {
    pub async fn start() -> S3Server {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir(root.join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(&root).unwrap();
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let fail_parts = Arc::new(AtomicBool::new(false));
        let service = FailingParts {
            inner: builder.build(),
            fail: fail_parts.clone(),
        };
        let addr = super::serve(service).await;
        S3Server {
            endpoint: format!("http://{addr}"),
            root,
            fail_parts,
            _dir: dir,
        }
    }

    /// Options that reach this server with its credentials; no retries, so scripted
    /// failures show at once.
    pub fn options(&self, base: IterableOptions) -> IterableOptions {
        base.endpoint(&self.endpoint)
            .allow_http(true)
            .region("us-east-1")
            .store_option("aws_access_key_id", ACCESS_KEY)
            .store_option("aws_secret_access_key", SECRET_KEY)
            .max_retries(0)
    }

    /// `s3://bucket/{key}`.
    pub fn url(&self, key: &str) -> String {
        format!("s3://{BUCKET}/{key}")
    }

    /// Puts a file straight into the bucket's folder.
    pub fn put_file(&self, key: &str, bytes: &[u8]) {
        let path = self.root.join(BUCKET).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// The object's bytes, if it exists.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.join(BUCKET).join(key)).ok()
    }

    /// Part files of multipart uploads not completed nor aborted.
    pub fn pending_parts(&self) -> Vec<String> {
        list_names(&self.root)
            .into_iter()
            .filter(|n| n.starts_with(".upload_id-"))
            .collect()
    }

    /// From now on, uploading part 2 of any upload fails with a server error.
    pub fn fail_second_part(&self) {
        self.fail_parts.store(true, Ordering::SeqCst);
    }
}

fn list_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The S3 service, except that part 2 of an upload fails while `fail` is set.
#[derive(Clone)]
struct FailingParts {
    inner: S3Service,
    fail: Arc<AtomicBool>,
}

impl Service<http::Request<Incoming>> for FailingParts {
    type Response = http::Response<s3s::Body>;
    type Error = s3s::HttpError;
    type Future = <S3Service as Service<http::Request<Incoming>>>::Future;

    fn call(&self, req: http::Request<Incoming>) -> Self::Future {
        let is_part_2 = req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv == "partNumber=2"));
        if is_part_2 && self.fail.load(Ordering::SeqCst) {
            return Box::pin(async {
                Ok(http::Response::builder()
                    .status(500)
                    .body(s3s::Body::from(
                        "<Error><Code>InternalError</Code></Error>".to_owned(),
                    ))
                    .unwrap())
            });
        }
        Service::call(&self.inner, req)
    }
}
