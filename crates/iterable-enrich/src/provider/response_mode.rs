//! How the schema is sent: `response_format: json_schema`, `json_object`, or a tool call.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::EnrichError;
use crate::failure::is_schema_bug;

/// How the answer's schema reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// `response_format: {type: json_schema, strict: true}` (structured outputs).
    #[default]
    JsonSchema,
    /// `response_format: {type: json_object, schema}` with the schema in the system
    /// message too (servers that constrain output by `schema` do; others ignore it).
    JsonObject,
    /// One forced function call whose parameters are the schema.
    Tools,
}

impl ResponseMode {
    /// The name used in options and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ResponseMode::JsonSchema => "json-schema",
            ResponseMode::JsonObject => "json-object",
            ResponseMode::Tools => "tools",
        }
    }

    /// The mode to try when the server rejects this one (`None` after the last).
    pub fn fallback(self) -> Option<ResponseMode> {
        match self {
            ResponseMode::JsonSchema => Some(ResponseMode::JsonObject),
            ResponseMode::JsonObject => Some(ResponseMode::Tools),
            ResponseMode::Tools => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(code: u8) -> ResponseMode {
        match code {
            0 => ResponseMode::JsonSchema,
            1 => ResponseMode::JsonObject,
            _ => ResponseMode::Tools,
        }
    }
}

impl std::str::FromStr for ResponseMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "json-schema" => Ok(ResponseMode::JsonSchema),
            "json-object" => Ok(ResponseMode::JsonObject),
            "tools" | "tool" => Ok(ResponseMode::Tools),
            _ => Err(format!(
                "unknown response mode {s:?}: json-schema, json-object or tools"
            )),
        }
    }
}

/// The mode all rows use now; a fallback found on one row serves the rows after it.
#[derive(Debug)]
pub(crate) struct SharedMode {
    current: AtomicU8,
    fallback: bool,
}

impl SharedMode {
    pub(crate) fn new(start: ResponseMode, fallback: bool) -> Self {
        SharedMode {
            current: AtomicU8::new(start.code()),
            fallback,
        }
    }

    pub(crate) fn get(&self) -> ResponseMode {
        ResponseMode::from_code(self.current.load(Ordering::Relaxed))
    }

    /// Moves on from `failed` to its fallback (once, whichever row gets there first):
    /// `Some((mode now, whether this call moved it))`; `None` when fallbacks are off or
    /// none is left.
    pub(crate) fn fall_back(&self, failed: ResponseMode) -> Option<(ResponseMode, bool)> {
        if !self.fallback {
            return None;
        }
        let next = failed.fallback()?;
        let before = self.current.fetch_max(next.code(), Ordering::Relaxed);
        Some((self.get(), before < next.code()))
    }
}

/// Whether the server's error says it does not accept `mode`, whatever the status
/// (servers answer 400, 422 or 500 for the same refusal): the error text names the
/// parameter (`response_format`, `json_schema`, `json_object`, `tools`) and says it is
/// not supported, unknown or not one of the allowed values. A schema the server finds
/// wrong ("Invalid schema for response_format ...") is not a refusal of the mode.
pub fn rejects_mode(error: &EnrichError, mode: ResponseMode) -> bool {
    let EnrichError::Http {
        status, message, ..
    } = error
    else {
        return false;
    };
    if *status < 400 || matches!(status, 401 | 403 | 408 | 409 | 429) || is_schema_bug(error) {
        return false;
    }
    let m = message.to_ascii_lowercase();
    let about = match mode {
        ResponseMode::JsonSchema => {
            m.contains("json_schema")
                || m.contains("response_format")
                || m.contains("structured output")
        }
        ResponseMode::JsonObject => m.contains("json_object") || m.contains("response_format"),
        ResponseMode::Tools => m.contains("tool") || m.contains("function"),
    };
    about
        && [
            "support",
            "invalid",
            "unknown",
            "unrecognized",
            "unexpected",
            "not allowed",
            "not permitted",
            "input should be",
            "must be one of",
            "literal_error",
        ]
        .iter()
        .any(|w| m.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_moves_forward_once_and_stays() {
        let shared = SharedMode::new(ResponseMode::JsonSchema, true);
        assert_eq!(
            shared.fall_back(ResponseMode::JsonSchema),
            Some((ResponseMode::JsonObject, true))
        );
        // a late row that still used json_schema does not move it back, nor report a switch
        assert_eq!(
            shared.fall_back(ResponseMode::JsonSchema),
            Some((ResponseMode::JsonObject, false))
        );
        assert_eq!(shared.get(), ResponseMode::JsonObject);
        assert_eq!(
            shared.fall_back(ResponseMode::JsonObject),
            Some((ResponseMode::Tools, true))
        );
        assert_eq!(shared.fall_back(ResponseMode::Tools), None);
        let off = SharedMode::new(ResponseMode::JsonSchema, false);
        assert_eq!(off.fall_back(ResponseMode::JsonSchema), None);
    }

    fn http(status: u16, message: &str) -> EnrichError {
        EnrichError::Http {
            status,
            code: None,
            message: message.into(),
        }
    }

    #[test]
    fn recognises_a_refused_response_format_whatever_the_status() {
        let schema = ResponseMode::JsonSchema;
        assert!(rejects_mode(
            &http(
                400,
                "response_format json_schema is not supported by this model"
            ),
            schema
        ));
        assert!(rejects_mode(
            &http(
                500,
                "1 validation error for ChatCompletionRequest\nresponse_format.type\n  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema']"
            ),
            schema
        ));
        assert!(rejects_mode(
            &http(
                422,
                "body.response_format.type: Input should be 'text' or 'json_object'"
            ),
            schema
        ));
        assert!(!rejects_mode(&http(400, "messages: too long"), schema));
        assert!(!rejects_mode(
            &http(429, "response_format not supported on this tier"),
            schema
        ));
        assert!(!rejects_mode(
            &http(
                400,
                "Invalid schema for response_format 'extraction': 'minimum' is not permitted"
            ),
            schema
        ));
        assert!(rejects_mode(
            &http(400, "tool_choice is not supported"),
            ResponseMode::Tools
        ));
    }
}
