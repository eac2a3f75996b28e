//! Real servers on 127.0.0.1 for the tests: an S3-compatible server (s3s over a
//! folder), an HTTP file server with Range support, byte counting and scripted
//! failures, and PostgreSQL and MariaDB servers in throwaway data folders.

// Shared by several test binaries; each uses only part of it.
#![allow(dead_code)]
pub mod http;
pub mod mariadb;
pub mod postgres;
pub mod s3;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves `service` over HTTP/1 on a free loopback port until the runtime ends.
pub async fn serve<S, B>(service: S) -> SocketAddr
where
    S: Service<::http::Request<Incoming>, Response = ::http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    addr
}

/// A boxed future, for hand-written services.
pub type Reply<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send>>;
