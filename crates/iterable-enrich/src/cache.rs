//! The on-disk answer cache: one JSON file per request, named by a 128-bit hash of
//! everything the provider sends (endpoint, model, options, messages, schema). The
//! file keeps the request beside the answer and a hit must match it byte for byte, so
//! a hash collision is a miss, never a wrong answer. Files appear by rename: a crash
//! leaves no half-written entry.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::EnrichError;
use crate::provider::ChatResponse;

/// A directory of cached answers.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    request: String,
    response: ChatResponse,
}

impl Cache {
    /// A cache in `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> Result<Cache, EnrichError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| cache_error(&dir, e))?;
        Ok(Cache { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        self.dir.join(format!("{:032x}.json", fnv1a_128(key)))
    }

    /// The cached answer to the request `key`, if there is one.
    pub async fn get(&self, key: &[u8]) -> Result<Option<ChatResponse>, EnrichError> {
        let path = self.path(key);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cache_error(&path, e)),
        };
        // An unreadable entry (another version, a disk error) is a miss; it is rewritten.
        Ok(serde_json::from_slice::<Entry>(&bytes)
            .ok()
            .filter(|entry| entry.request.as_bytes() == key)
            .map(|entry| entry.response))
    }

    /// Stores the answer to the request `key`.
    pub async fn put(&self, key: &[u8], response: &ChatResponse) -> Result<(), EnrichError> {
        let path = self.path(key);
        let entry = Entry {
            request: String::from_utf8_lossy(key).into_owned(),
            response: response.clone(),
        };
        let bytes = serde_json::to_vec(&entry).map_err(|e| EnrichError::Cache {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let tmp = self.dir.join(format!(".{:016x}.tmp", fastrand::u64(..)));
        tokio::fs::write(&tmp, &bytes)
            .await
            .map_err(|e| cache_error(&tmp, e))?;
        tokio::fs::rename(&tmp, &path).await.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            cache_error(&path, e)
        })
    }
}

fn cache_error(path: &Path, e: std::io::Error) -> EnrichError {
    EnrichError::Cache {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// FNV-1a, 128-bit: stable across builds and platforms (std's hashers are not).
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_and_finds_only_the_same_request() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("c")).unwrap();
        let answer = ChatResponse {
            content: Some("{\"a\":1}".into()),
            finish_reason: Some("stop".into()),
            ..Default::default()
        };
        assert_eq!(cache.get(b"req-1").await.unwrap(), None);
        cache.put(b"req-1", &answer).await.unwrap();
        assert_eq!(cache.get(b"req-1").await.unwrap(), Some(answer));
        assert_eq!(cache.get(b"req-2").await.unwrap(), None);
        let names: Vec<_> = std::fs::read_dir(cache.dir()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left");
    }

    #[test]
    fn hash_is_the_published_fnv1a_128() {
        // The FNV-1a 128-bit value of the empty input is its offset basis.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_ne!(fnv1a_128(b"a"), fnv1a_128(b"b"));
    }
}
