//! A plain HTTP file server: GET and HEAD with `Range`, an ETag, a count of the body
//! bytes it served and of the requests per path, scripted 503s, and a gate that holds
//! the rest of a path's body (after its first bytes) until the test opens it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::sync::watch;

#[derive(Default)]
struct State {
    files: Mutex<HashMap<String, Bytes>>,
    failures: Mutex<HashMap<String, u32>>,
    requests: Mutex<HashMap<String, u32>>,
    gates: Mutex<HashMap<String, (watch::Receiver<bool>, usize)>>,
    served: AtomicU64,
}

/// A running HTTP server.
#[derive(Clone)]
pub struct HttpServer {
    pub base: String,
    state: Arc<State>,
}

/// Opens a gated path's response when dropped or opened.
pub struct Gate(watch::Sender<bool>);

impl Gate {
    pub fn open(&self) {
        let _ = self.0.send(true);
    }
}

impl HttpServer {
    pub async fn start() -> HttpServer {
        let state = Arc::new(State::default());
        let service_state = state.clone();
        let service = hyper::service::service_fn(move |req| {
            let state = service_state.clone();
            Box::pin(async move { Ok::<_, std::convert::Infallible>(respond(&state, req).await) })
                as super::Reply<_>
        });
        let addr = super::serve(service).await;
        HttpServer {
            base: format!("http://{addr}"),
            state,
        }
    }

    /// Serves `bytes` at `/{path}`.
    pub fn put(&self, path: &str, bytes: impl Into<Bytes>) {
        let mut files = self.state.files.lock().unwrap();
        files.insert(format!("/{path}"), bytes.into());
    }

    /// The URL of `/{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// The next `n` requests for `/{path}` get `503 Service Unavailable`.
    pub fn fail_next(&self, path: &str, n: u32) {
        let mut failures = self.state.failures.lock().unwrap();
        failures.insert(format!("/{path}"), n);
    }

    /// Requests seen for `/{path}` (failed ones included).
    pub fn requests(&self, path: &str) -> u32 {
        let requests = self.state.requests.lock().unwrap();
        requests.get(&format!("/{path}")).copied().unwrap_or(0)
    }

    /// Body bytes served so far, all paths together.
    pub fn bytes_served(&self) -> u64 {
        self.state.served.load(Ordering::SeqCst)
    }

    /// Responses for `/{path}` send their headers and first [`HELD_AFTER`] bytes,
    /// then hold the rest until the returned gate opens.
    pub fn hold(&self, path: &str) -> Gate {
        self.hold_after(path, HELD_AFTER)
    }

    /// Responses for `/{path}` send their headers and first `bytes` bytes, then hold
    /// the rest until the returned gate opens.
    pub fn hold_after(&self, path: &str, bytes: usize) -> Gate {
        let (tx, rx) = watch::channel(false);
        let mut gates = self.state.gates.lock().unwrap();
        gates.insert(format!("/{path}"), (rx, bytes));
        Gate(tx)
    }
}

/// How many body bytes a held response sends before waiting for its gate: more than
/// the 64 raw bytes opening a location peeks at for its codec's magic number, so an
/// open does not wait on the gate (it did, until the client's retry timeout).
pub const HELD_AFTER: usize = 128;

type Body = BoxBody<Bytes, std::convert::Infallible>;

async fn respond(state: &State, req: http::Request<Incoming>) -> http::Response<Body> {
    let path = req.uri().path().to_owned();
    *state
        .requests
        .lock()
        .unwrap()
        .entry(path.clone())
        .or_default() += 1;
    let gate = state.gates.lock().unwrap().get(&path).cloned();
    {
        let mut failures = state.failures.lock().unwrap();
        if let Some(n) = failures.get_mut(&path).filter(|n| **n > 0) {
            *n -= 1;
            return status(503);
        }
    }
    let Some(body) = state.files.lock().unwrap().get(&path).cloned() else {
        return status(404);
    };
    let len = body.len() as u64;
    let range = req
        .headers()
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, len));
    let (code, slice, content_range) = match range {
        Some((start, end)) => (
            206,
            body.slice(start as usize..end as usize),
            Some(format!("bytes {start}-{}/{len}", end - 1)),
        ),
        None => (200, body, None),
    };
    let mut builder = http::Response::builder()
        .status(code)
        .header(http::header::ETAG, format!("\"{len:x}-etag\""))
        .header(http::header::LAST_MODIFIED, "Sun, 01 Nov 2026 00:00:00 GMT")
        .header(http::header::ACCEPT_RANGES, "bytes")
        .header(http::header::CONTENT_LENGTH, slice.len());
    if let Some(cr) = content_range {
        builder = builder.header(http::header::CONTENT_RANGE, cr);
    }
    if req.method() == http::Method::HEAD {
        return builder.body(Full::new(Bytes::new()).boxed()).unwrap();
    }
    state.served.fetch_add(slice.len() as u64, Ordering::SeqCst);
    let body = match gate {
        Some((mut gate, after)) if slice.len() > after => {
            let head = slice.slice(..after);
            let rest = slice.slice(after..);
            let rest = async move {
                let _ = gate.wait_for(|open| *open).await;
                Ok(Frame::data(rest))
            };
            let frames = futures::stream::once(async move { Ok(Frame::data(head)) })
                .chain(futures::stream::once(rest));
            BodyExt::boxed(StreamBody::new(frames))
        }
        _ => Full::new(slice).boxed(),
    };
    builder.body(body).unwrap()
}

fn status(code: u16) -> http::Response<Body> {
    http::Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()).boxed())
        .unwrap()
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` -> the half-open range, clamped.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => (len.saturating_sub(n.parse().ok()?), len),
        (a, "") => (a.parse().ok()?, len),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.saturating_add(1).min(len),
        ),
    };
    (start < end).then_some((start, end))
}
