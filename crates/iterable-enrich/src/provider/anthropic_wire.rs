//! The Messages API's JSON: request bodies out, answers in.
//!
//! Structure comes from tool use: the schema is the input schema of one tool the model
//! is made to call (`tool_choice: {type: tool}`), for the json-schema and tools modes
//! alike; json-object asks for the JSON in words, with the schema in the system prompt.

use serde_json::{Value, json};

use super::{AnthropicConfig, ChatRequest, ChatResponse, ResponseMode, Role, Usage};
use crate::EnrichError;

/// The body of `POST /v1/messages` for this request.
pub(crate) fn request_body(config: &AnthropicConfig, request: &ChatRequest) -> Value {
    let schema = &request.schema;
    let mut system: Vec<&str> = request
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let in_words;
    if request.mode == ResponseMode::JsonObject {
        in_words = format!(
            "Answer with one JSON object, and nothing else, that fits this JSON schema:\n{}",
            schema.json()
        );
        system.push(&in_words);
    }
    let messages: Vec<Value> = request
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let mut body = json!({
        "model": config.model,
        "max_tokens": config.max_tokens,
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    if request.mode != ResponseMode::JsonObject {
        body["tools"] = json!([{
            "name": schema.name(),
            "description": "Record the extracted data.",
            "input_schema": schema.json(),
        }]);
        body["tool_choice"] = json!({"type": "tool", "name": schema.name()});
    }
    if let Some(t) = config.temperature {
        body["temperature"] = json!(t);
    }
    body
}

/// A 2xx body: the tool call's input (or the text), the stop reason, usage.
pub(crate) fn parse_response(bytes: &[u8]) -> Result<ChatResponse, EnrichError> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        EnrichError::BadResponse(format!(
            "not JSON ({e}): {}",
            super::openai_wire::cut(bytes)
        ))
    })?;
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            EnrichError::BadResponse(format!("no content: {}", super::openai_wire::cut(bytes)))
        })?;
    let tool_input = blocks
        .iter()
        .find(|b| b["type"] == "tool_use")
        .map(|b| b["input"].to_string());
    let text: String = blocks
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect();
    let stop = body["stop_reason"].as_str();
    let (finish_reason, refusal) = match stop {
        Some("max_tokens") => (Some("length".to_owned()), None),
        Some("refusal") => (
            Some("stop".to_owned()),
            Some(if text.is_empty() {
                "the model declined to answer".to_owned()
            } else {
                text.clone()
            }),
        ),
        other => (other.map(str::to_owned), None),
    };
    let usage = &body["usage"];
    let count = |key: &str| usage[key].as_u64().unwrap_or(0);
    Ok(ChatResponse {
        content: tool_input.or((!text.is_empty()).then_some(text)),
        refusal,
        finish_reason,
        usage: Usage {
            prompt_tokens: count("input_tokens")
                + count("cache_read_input_tokens")
                + count("cache_creation_input_tokens"),
            completion_tokens: count("output_tokens"),
            cached_tokens: count("cache_read_input_tokens"),
            reasoning_tokens: 0,
        },
        rate: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, Schema};

    fn request(mode: ResponseMode) -> ChatRequest {
        ChatRequest {
            messages: vec![Message::system("be brief"), Message::user("Ann, 31")],
            schema: Schema::from_fields("name:string,age:integer").unwrap(),
            mode,
        }
    }

    #[test]
    fn structure_travels_as_a_forced_tool() {
        let config = AnthropicConfig::new("claude-x");
        let body = request_body(&config, &request(ResponseMode::JsonSchema));
        assert_eq!(body["system"], "be brief");
        assert_eq!(
            body["messages"],
            json!([{"role": "user", "content": "Ann, 31"}])
        );
        assert_eq!(body["max_tokens"], 1024);
        assert_eq!(body["tools"][0]["name"], "extraction");
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
        assert_eq!(
            body["tool_choice"],
            json!({"type": "tool", "name": "extraction"})
        );
        let words = request_body(&config, &request(ResponseMode::JsonObject));
        assert!(words.get("tools").is_none());
        assert!(
            words["system"]
                .as_str()
                .unwrap()
                .contains("fits this JSON schema")
        );
    }

    #[test]
    fn answers_stop_reasons_and_usage() {
        let r = parse_response(
            br#"{"content":[{"type":"tool_use","id":"t","name":"extraction","input":{"name":"Ann","age":31}}],
                "stop_reason":"tool_use","usage":{"input_tokens":20,"cache_read_input_tokens":5,"output_tokens":7}}"#,
        )
        .unwrap();
        let content: Value = serde_json::from_str(r.content.as_deref().unwrap()).unwrap();
        assert_eq!(content, json!({"name": "Ann", "age": 31}));
        assert_eq!(
            r.usage,
            Usage {
                prompt_tokens: 25,
                completion_tokens: 7,
                cached_tokens: 5,
                reasoning_tokens: 0
            }
        );
        let cut = parse_response(
            br#"{"content":[{"type":"text","text":"{\"na"}],"stop_reason":"max_tokens"}"#,
        )
        .unwrap();
        assert_eq!(cut.finish_reason.as_deref(), Some("length"));
        let no = parse_response(br#"{"content":[],"stop_reason":"refusal"}"#).unwrap();
        assert_eq!(no.refusal.as_deref(), Some("the model declined to answer"));
    }
}
