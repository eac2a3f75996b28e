//! Spooling: a byte stream that cannot seek (stdin, a compressed `.parquet.gz`, a zip
//! member) is copied to an anonymous temporary file, which is then read with random
//! access. The file has no name (it is unlinked at once where the OS allows) and
//! disappears when the reader is dropped. It lives in the system temporary folder
//! (`TMPDIR`), so that folder needs room for the whole decompressed file.

use iterable_core::{Error, Result};
use tokio::io::{AsyncBufRead, AsyncSeekExt};

/// Copies `reader` to an anonymous temporary file and returns it rewound, with its size.
pub async fn spool_to_temp_file<R>(mut reader: R, location: &str) -> Result<(std::fs::File, u64)>
where
    R: AsyncBufRead + Send + Unpin,
{
    let file = tempfile::tempfile().map_err(|e| Error::io(location, e))?;
    let mut file = tokio::fs::File::from_std(file);
    let size = tokio::io::copy_buf(&mut reader, &mut file)
        .await
        .map_err(|e| Error::io(location, e))?;
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(|e| Error::io(location, e))?;
    Ok((file.into_std().await, size))
}
