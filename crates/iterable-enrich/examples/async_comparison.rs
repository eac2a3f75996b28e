//! The comparison from instructor's post on async extraction, with this crate's stage:
//! a sequential loop, an unbounded `gather`, `as_completed`, and `gather` and
//! `as_completed` bounded at 2, against a local chat-completions server that answers
//! every request after a fixed latency. Each line shows the ideal time
//! (rows / concurrency × latency, rounded up to whole waves) beside ours.
//!
//! ```text
//! cargo run -p iterable-enrich --example async_comparison -- [ROWS] [LATENCY_MS]
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use iterable_enrich::{EnrichOptions, OpenAiConfig, OpenAiProvider, Order, Schema};
use serde_json::Value;

mod support;

/// Answers every request after `latency` with a person extracted from the prompt.
async fn chat(State(latency): State<Duration>, body: axum::Json<Value>) -> axum::Json<Value> {
    tokio::time::sleep(latency).await;
    axum::Json(support::person_answer(&body))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(12);
    let latency = Duration::from_millis(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(250));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(latency);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = OpenAiConfig::new(format!("http://{addr}/v1"), "local");
    let provider: Arc<dyn iterable_enrich::Provider> =
        Arc::new(OpenAiProvider::new(config).unwrap());
    let schema = Schema::from_fields("name:string,age:integer").unwrap();

    let cases = [
        ("sequential loop", 1, Order::Input),
        ("gather (unbounded)", rows, Order::Input),
        ("as_completed (unbounded)", rows, Order::Completion),
        ("gather, bounded at 2", 2, Order::Input),
        ("as_completed, bounded at 2", 2, Order::Completion),
    ];
    println!(
        "{rows} rows, {} ms latency per request\n",
        latency.as_millis()
    );
    println!(
        "| {:<28} | {:>11} | {:>9} | {:>9} | {:>10} |",
        "method", "concurrency", "ideal s", "ours s", "ours/ideal"
    );
    println!(
        "|{:-<30}|{:->13}|{:->11}|{:->11}|{:->12}|",
        "", "", "", "", ""
    );
    let mut worst: f64 = 0.0;
    for (name, concurrency, order) in cases {
        let options = EnrichOptions::new()
            .concurrency(concurrency)
            .order(order)
            .prompt("Extract: {text}");
        let ours = support::timed_run(provider.clone(), &schema, rows, options).await;
        let ideal = rows.div_ceil(concurrency) as f64 * latency.as_secs_f64();
        let ratio = ours / ideal;
        worst = worst.max(ratio);
        println!("| {name:<28} | {concurrency:>11} | {ideal:>9.3} | {ours:>9.3} | {ratio:>10.3} |");
    }
    println!(
        "\nworst ours/ideal: {worst:.3} ({})",
        if worst <= 1.15 {
            "within 15% of the ideal"
        } else {
            "MORE than 15% over the ideal"
        }
    );
}
