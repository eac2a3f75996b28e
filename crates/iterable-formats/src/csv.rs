//! Placeholder: being written.

use iterable_core::{BoxIterable, Error, Result};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::{ReadContext, WriteContext};

/// Opens a reader.
pub async fn open_reader<R>(_reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Err(Error::unsupported(&ctx.info.location, "not yet"))
}

/// Opens a writer.
pub async fn open_writer<W>(_writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Err(Error::unsupported(&ctx.info.location, "not yet"))
}
