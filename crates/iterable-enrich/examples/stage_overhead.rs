//! What the stage costs a row, beyond the HTTP request itself: a local
//! chat-completions server that answers at once, the same requests sent by a bare
//! client loop (reqwest, the same concurrency, no stage), then through `enrich` in
//! input and completion order. Prints rows a second for each, and the stage's
//! overhead per row over the bare loop.
//!
//! ```text
//! cargo run --release -p iterable-enrich --example stage_overhead -- [ROWS] [CONCURRENCY]
//! ```

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::routing::post;
use futures::StreamExt;
use iterable_enrich::{EnrichOptions, OpenAiConfig, OpenAiProvider, Order, Schema};
use serde_json::{Value, json};

mod support;

/// Answers every request at once with a person named in the prompt.
async fn chat(body: axum::Json<Value>) -> axum::Json<Value> {
    axum::Json(support::person_answer(&body))
}

/// The same number of requests, sent by a bare loop at `concurrency`.
async fn bare_loop(url: &str, rows: usize, concurrency: usize) -> f64 {
    let client = reqwest::Client::new();
    let start = Instant::now();
    futures::stream::iter(0..rows)
        .map(|i| {
            let client = client.clone();
            async move {
                let body = json!({"model": "local", "messages": [
                    {"role": "system", "content": "extract"},
                    {"role": "user", "content": format!("Extract: My name is person{i}")}]});
                let answer: Value = client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(answer["choices"][0]["message"]["content"].is_string());
            }
        })
        .buffer_unordered(concurrency)
        .count()
        .await;
    start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/v1/chat/completions", post(chat));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("http://{addr}/v1/chat/completions");

    let config = OpenAiConfig::new(format!("http://{addr}/v1"), "local");
    let provider: Arc<dyn iterable_enrich::Provider> =
        Arc::new(OpenAiProvider::new(config).unwrap());
    let schema = Schema::from_fields("name:string,age:integer").unwrap();

    // warm the connection pool and the server
    bare_loop(&url, concurrency * 4, concurrency).await;
    let bare = bare_loop(&url, rows, concurrency).await;
    println!(
        "{rows} rows, concurrency {concurrency}, a server that answers at once (same process)\n"
    );
    println!(
        "| {:<32} | {:>8} | {:>9} | {:>17} |",
        "method", "s", "rows/s", "µs/row over bare"
    );
    println!("|{:-<34}|{:->10}|{:->11}|{:->19}|", "", "", "", "");
    println!(
        "| {:<32} | {bare:>8.3} | {:>9.0} | {:>17} |",
        "bare reqwest loop (no stage)",
        rows as f64 / bare,
        "-"
    );
    for (name, order) in [
        ("enrich, input order", Order::Input),
        ("enrich, completion order", Order::Completion),
    ] {
        let options = EnrichOptions::new()
            .concurrency(concurrency)
            .order(order)
            .prompt("Extract: {text}");
        let ours = support::timed_run(provider.clone(), &schema, rows, options).await;
        let over = (ours - bare) / rows as f64 * 1e6;
        println!(
            "| {name:<32} | {ours:>8.3} | {:>9.0} | {over:>17.1} |",
            rows as f64 / ours
        );
    }
}
