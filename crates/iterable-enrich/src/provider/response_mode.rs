//! How the schema is sent: `response_format: json_schema`, `json_object`, or a tool call.

use std::sync::atomic::{AtomicU8, Ordering};

/// How the answer's schema reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// `response_format: {type: json_schema, strict: true}` (structured outputs).
    #[default]
    JsonSchema,
    /// `response_format: {type: json_object}` with the schema in the system message.
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

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> ResponseMode {
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

    /// Moves on from `failed` to its fallback (once, whichever row gets there first);
    /// `None` when fallbacks are off or none is left.
    pub(crate) fn fall_back(&self, failed: ResponseMode) -> Option<ResponseMode> {
        if !self.fallback {
            return None;
        }
        let next = failed.fallback()?;
        let _ = self.current.fetch_max(next.code(), Ordering::Relaxed);
        Some(self.get())
    }
}

/// Whether a 400 says the server does not support `mode`.
pub(crate) fn rejects_mode(status: u16, message: &str, mode: ResponseMode) -> bool {
    if !(status == 400 || status == 422 || status == 501) {
        return false;
    }
    let m = message.to_ascii_lowercase();
    let about = match mode {
        ResponseMode::JsonSchema => m.contains("json_schema") || m.contains("response_format"),
        ResponseMode::JsonObject => m.contains("json_object") || m.contains("response_format"),
        ResponseMode::Tools => false,
    };
    about
        && (m.contains("support")
            || m.contains("invalid")
            || m.contains("unknown")
            || m.contains("unrecognized")
            || m.contains("not allowed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_moves_forward_once_and_stays() {
        let shared = SharedMode::new(ResponseMode::JsonSchema, true);
        assert_eq!(
            shared.fall_back(ResponseMode::JsonSchema),
            Some(ResponseMode::JsonObject)
        );
        // a late row that still used json_schema does not move it back
        assert_eq!(
            shared.fall_back(ResponseMode::JsonSchema),
            Some(ResponseMode::JsonObject)
        );
        assert_eq!(shared.get(), ResponseMode::JsonObject);
        assert_eq!(
            shared.fall_back(ResponseMode::JsonObject),
            Some(ResponseMode::Tools)
        );
        assert_eq!(shared.fall_back(ResponseMode::Tools), None);
        let off = SharedMode::new(ResponseMode::JsonSchema, false);
        assert_eq!(off.fall_back(ResponseMode::JsonSchema), None);
    }

    #[test]
    fn recognises_unsupported_response_format() {
        assert!(rejects_mode(
            400,
            "response_format json_schema is not supported by this model",
            ResponseMode::JsonSchema
        ));
        assert!(!rejects_mode(
            400,
            "messages: too long",
            ResponseMode::JsonSchema
        ));
        assert!(!rejects_mode(
            500,
            "response_format not supported",
            ResponseMode::JsonSchema
        ));
    }
}
