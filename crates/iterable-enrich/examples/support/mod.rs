//! What the examples share: rows in memory and a chat-completions answer made from
//! the prompt.

use iterable::{AsyncIterable, Codec, Format, IterableInfo, Mode, Progress, Row, row};
use serde_json::{Value, json};

/// The answer to a request: a person named by the prompt's last word.
pub fn person_answer(body: &Value) -> Value {
    let prompt = body["messages"][1]["content"].as_str().unwrap_or("");
    let name = prompt.rsplit(' ').next().unwrap_or("nobody");
    let answer = json!({"name": name, "age": 30});
    json!({
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer.to_string()}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8}
    })
}

/// Rows in memory: "My name is person<i>".
pub struct People(std::vec::IntoIter<Row>, IterableInfo);

impl futures::Stream for People {
    type Item = iterable::Result<Row>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next().map(Ok))
    }
}

impl AsyncIterable for People {
    fn info(&self) -> &IterableInfo {
        &self.1
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

pub fn people(n: usize) -> People {
    let rows: Vec<Row> = (0..n)
        .map(|i| row! {"text" => format!("My name is person{i}")})
        .collect();
    People(
        rows.into_iter(),
        IterableInfo {
            encoding: None,
            location: "memory".into(),
            format: Format::JSONL,
            codec: Codec::None,
            mode: Mode::Read,
        },
    )
}

/// Seconds to enrich `rows` people with `options`, every row checked.
pub async fn timed_run(
    provider: std::sync::Arc<dyn iterable_enrich::Provider>,
    schema: &iterable_enrich::Schema,
    rows: usize,
    options: iterable_enrich::EnrichOptions,
) -> f64 {
    use futures::StreamExt;
    let start = std::time::Instant::now();
    let mut stage =
        iterable_enrich::enrich(people(rows), provider, schema.clone(), options).unwrap();
    let mut done = 0;
    while let Some(row) = stage.next().await {
        let row = row.unwrap();
        assert!(row["_enrich_error"].is_null(), "{row:?}");
        done += 1;
    }
    assert_eq!(done, rows);
    start.elapsed().as_secs_f64()
}
