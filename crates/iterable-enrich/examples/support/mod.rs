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
