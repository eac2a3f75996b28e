//! The chat-completions JSON: request bodies out, answers and error bodies in.

use serde_json::{Value, json};

use super::{ChatRequest, ChatResponse, OpenAiConfig, ResponseMode, Usage};
use crate::EnrichError;

/// The body of `POST /chat/completions` for this request.
pub(crate) fn request_body(config: &OpenAiConfig, request: &ChatRequest) -> Value {
    let schema = &request.schema;
    let mut messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let mut body = json!({"model": config.model});
    match request.mode {
        ResponseMode::JsonSchema => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": schema.name(), "schema": schema.json(), "strict": true},
            });
        }
        ResponseMode::JsonObject => {
            // json_object only promises JSON; the schema travels in words, and in
            // `response_format.schema`, where vLLM, llama.cpp and several hosted servers
            // constrain the output with it (others ignore it).
            let insert_at = messages
                .iter()
                .take_while(|m| m["role"] == "system")
                .count();
            messages.insert(
                insert_at,
                json!({"role": "system", "content": format!(
                    "Answer with one JSON object, and nothing else, that fits this JSON schema:\n{}",
                    schema.json()
                )}),
            );
            body["response_format"] = json!({"type": "json_object", "schema": schema.json()});
        }
        ResponseMode::Tools => {
            body["tools"] = json!([{
                "type": "function",
                "function": {
                    "name": schema.name(),
                    "description": "Record the extracted data.",
                    "parameters": schema.json(),
                    "strict": true,
                },
            }]);
            body["tool_choice"] = json!({"type": "function", "function": {"name": schema.name()}});
        }
    }
    body["messages"] = Value::Array(messages);
    if let Some(t) = config.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = config.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let Some(n) = config.max_completion_tokens {
        body["max_completion_tokens"] = json!(n);
    }
    if let Some(seed) = config.seed {
        body["seed"] = json!(seed);
    }
    if let Some(effort) = &config.reasoning_effort {
        body["reasoning_effort"] = json!(effort);
    }
    if let Some(tier) = &config.service_tier {
        body["service_tier"] = json!(tier);
    }
    for (key, value) in &config.extra_body {
        body[key.as_str()] = value.clone();
    }
    body
}

/// A 2xx body: the first choice's content (or tool arguments), refusal, finish reason, usage.
pub(crate) fn parse_response(
    bytes: &[u8],
    mode: ResponseMode,
) -> Result<ChatResponse, EnrichError> {
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|e| EnrichError::BadResponse(format!("not JSON ({e}): {}", cut(bytes))))?;
    let choice = body
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| EnrichError::BadResponse(format!("no choices: {}", cut(bytes))))?;
    let message = &choice["message"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let tool_args = message
        .get("tool_calls")
        .and_then(|t| t.get(0))
        .map(|call| &call["function"]["arguments"])
        .and_then(|a| match a {
            Value::String(s) => Some(s.clone()),
            Value::Object(_) => Some(a.to_string()),
            _ => None,
        });
    let content = match mode {
        ResponseMode::Tools => tool_args.or_else(|| text(&message["content"])),
        _ => text(&message["content"]).or(tool_args),
    };
    let usage = &body["usage"];
    Ok(ChatResponse {
        content,
        refusal: text(&message["refusal"]).filter(|r| !r.is_empty()),
        finish_reason: text(&choice["finish_reason"]),
        usage: Usage {
            prompt_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
            completion_tokens: usage["completion_tokens"].as_u64().unwrap_or(0),
            cached_tokens: usage["prompt_tokens_details"]["cached_tokens"]
                .as_u64()
                .unwrap_or(0),
            reasoning_tokens: usage["completion_tokens_details"]["reasoning_tokens"]
                .as_u64()
                .unwrap_or(0),
        },
        rate: None,
    })
}

/// An error body: (code or type, message). OpenAI's `{"error": {"message", "type",
/// "code"}}`, a bare `{"error": "..."}` or `{"message": ...}`, and FastAPI's validation
/// errors `{"detail": [{"loc": [...], "msg": ...}]}` (the place and the complaint).
pub(crate) fn parse_error_body(bytes: &[u8]) -> (Option<String>, String) {
    let Ok(body) = serde_json::from_slice::<Value>(bytes) else {
        return (None, cut(bytes));
    };
    if let Some(detail) = body.get("detail") {
        return (None, detail_text(detail).unwrap_or_else(|| cut(bytes)));
    }
    let error = body.get("error").unwrap_or(&body);
    let code = ["code", "type"]
        .iter()
        .find_map(|k| error.get(*k).and_then(Value::as_str))
        .map(str::to_owned);
    let message = match error {
        Value::String(s) => s.clone(),
        _ => error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| cut(bytes)),
    };
    (code, message)
}

/// FastAPI's `detail`: a string, or a list of `{loc, msg, type}` read as
/// `body.response_format.type: Input should be ... (literal_error)`.
fn detail_text(detail: &Value) -> Option<String> {
    match detail {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| {
                    let place = item["loc"]
                        .as_array()
                        .map(|loc| {
                            loc.iter()
                                .map(|p| match p {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    let msg = item["msg"].as_str().unwrap_or("");
                    let kind = item["type"]
                        .as_str()
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default();
                    format!("{place}: {msg}{kind}")
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

/// The start of a body, for an error message.
pub(crate) fn cut(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    if bytes.len() > 200 {
        text + "…"
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_gives_code_and_message() {
        let (code, message) = parse_error_body(
            br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
        );
        assert_eq!(code.as_deref(), Some("insufficient_quota"));
        assert_eq!(message, "You exceeded your current quota");
        assert_eq!(
            parse_error_body(b"gateway down"),
            (None, "gateway down".into())
        );
    }

    #[test]
    fn a_fastapi_validation_error_names_the_place() {
        let (code, message) = parse_error_body(
            br#"{"detail":[{"type":"literal_error","loc":["body","response_format","type"],"msg":"Input should be 'text' or 'json_object'","input":"json_schema"}]}"#,
        );
        assert_eq!(code, None);
        assert_eq!(
            message,
            "body.response_format.type: Input should be 'text' or 'json_object' (literal_error)"
        );
    }

    #[test]
    fn json_object_mode_sends_the_schema_in_the_response_format_and_in_words() {
        let schema = crate::Schema::from_fields("name:string").unwrap();
        let request = ChatRequest {
            messages: vec![crate::Message::user("hi")],
            schema: schema.clone(),
            mode: ResponseMode::JsonObject,
        };
        let body = request_body(&OpenAiConfig::default(), &request);
        assert_eq!(body["response_format"]["type"], "json_object");
        assert_eq!(&body["response_format"]["schema"], schema.json());
        assert!(
            body["messages"][0]["content"]
                .as_str()
                .unwrap()
                .contains("\"name\"")
        );
    }

    #[test]
    fn tool_call_arguments_are_the_content() {
        let body = br#"{"choices":[{"finish_reason":"stop","message":{"content":null,
            "tool_calls":[{"type":"function","function":{"name":"x","arguments":"{\"a\":1}"}}]}}],
            "usage":{"prompt_tokens":7,"completion_tokens":3}}"#;
        let r = parse_response(body, ResponseMode::Tools).unwrap();
        assert_eq!(r.content.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(r.usage.total(), 10);
    }

    #[test]
    fn cached_and_reasoning_tokens_are_read() {
        let body = br#"{"choices":[{"finish_reason":"stop","message":{"content":"{}"}}],
            "usage":{"prompt_tokens":2006,"completion_tokens":300,
                     "prompt_tokens_details":{"cached_tokens":1920},
                     "completion_tokens_details":{"reasoning_tokens":256}}}"#;
        let u = parse_response(body, ResponseMode::JsonSchema)
            .unwrap()
            .usage;
        assert_eq!(
            (
                u.prompt_tokens,
                u.completion_tokens,
                u.cached_tokens,
                u.reasoning_tokens
            ),
            (2006, 300, 1920, 256)
        );
    }

    #[test]
    fn sampling_and_reasoning_options_and_extra_body_reach_the_body() {
        let mut config = OpenAiConfig {
            max_completion_tokens: Some(500),
            seed: Some(7),
            reasoning_effort: Some("low".into()),
            service_tier: Some("flex".into()),
            ..Default::default()
        };
        config.extra_body.insert("top_k".into(), json!(20));
        config.extra_body.insert("temperature".into(), json!(0.1));
        let request = ChatRequest {
            messages: vec![crate::Message::user("hi")],
            schema: crate::Schema::from_fields("a:string").unwrap(),
            mode: ResponseMode::JsonSchema,
        };
        let body = request_body(&config, &request);
        assert_eq!(body["max_completion_tokens"], 500);
        assert_eq!(body["seed"], 7);
        assert_eq!(body["reasoning_effort"], "low");
        assert_eq!(body["service_tier"], "flex");
        assert_eq!(body["top_k"], 20);
        assert_eq!(body["temperature"], 0.1, "extra_body wins");
    }

    #[test]
    fn a_body_without_choices_is_a_bad_response() {
        let e = parse_response(br#"{"id":"x"}"#, ResponseMode::JsonSchema).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"malformed response from the server: no choices: {"id":"x"}"#
        );
    }
}
