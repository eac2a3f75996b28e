//! What a failure means: for the request (retry or not), for the row, and for the
//! stage (stop at once when no row can succeed). Decided from what the server says,
//! not only from the status: servers differ (a refused request parameter comes back
//! as 400, 422 or 500 depending on the server).

use crate::EnrichError;

/// Whether the error text is a request-validation error: the same request will be
/// refused the same way, whatever the status (FastAPI/pydantic bodies, OpenAI's
/// `invalid_request_error`).
pub(crate) fn is_validation_error(error: &EnrichError) -> bool {
    let EnrichError::Http { code, message, .. } = error else {
        return false;
    };
    if code.as_deref() == Some("invalid_request_error") {
        return true;
    }
    let m = message.to_ascii_lowercase();
    [
        "validation error",
        "input should be",
        "field required",
        "extra inputs are not permitted",
        "literal_error",
        "unrecognized request argument",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Whether the server says the schema itself is wrong (OpenAI: "Invalid schema for
/// response_format ..."): a bug to fix, not a reason to try a weaker mode.
pub(crate) fn is_schema_bug(error: &EnrichError) -> bool {
    let EnrichError::Http { message, .. } = error else {
        return false;
    };
    let m = message.to_ascii_lowercase();
    m.contains("invalid schema")
        || m.contains("schema is invalid")
        || m.contains("invalid json schema")
}

/// Why no row can succeed after this error, if that is so: the stage stops at once
/// instead of paying for the same failure on every row.
pub(crate) fn fatal_reason(error: &EnrichError) -> Option<&'static str> {
    match error {
        EnrichError::ModeRejected { .. } => {
            Some("the server refuses every way of sending the schema")
        }
        EnrichError::Http { status, code, .. } => {
            let code = code.as_deref().unwrap_or("");
            if matches!(code, "insufficient_quota" | "billing_hard_limit_reached") {
                return Some("the account's quota is spent");
            }
            if matches!(
                code,
                "invalid_api_key" | "authentication_error" | "permission_error"
            ) || matches!(status, 401 | 403)
            {
                return Some("the server refuses the credentials");
            }
            if code == "model_not_found" || code == "not_found_error" || *status == 404 {
                return Some("the model or the endpoint does not exist");
            }
            if is_schema_bug(error) {
                return Some("the server refuses the schema; fix the schema");
            }
            None
        }
        _ => None,
    }
}

/// Whether a row that failed this way failed for good, so the cache keeps the
/// failure and a re-run does not pay for it again: the answer itself was wrong (not
/// valid, refused, cut) or the server refused this row's request. Transient failures
/// (timeouts, dropped connections, 5xx and 429 after every retry) and failures of
/// the stage (a stop, a spent budget) are not kept: a re-run asks those rows again.
pub(crate) fn is_final_for_row(error: &EnrichError) -> bool {
    match error {
        EnrichError::Invalid { .. } | EnrichError::Refused(_) | EnrichError::Truncated => true,
        EnrichError::Http { status, .. } => {
            (400..500).contains(status)
                && !matches!(status, 408 | 409 | 429)
                && fatal_reason(error).is_none()
        }
        _ => false,
    }
}

/// The part of an error that stays the same when the same thing goes wrong on other
/// rows: two failures with one signature are "the same way".
pub(crate) fn signature(error: &EnrichError) -> String {
    match error {
        EnrichError::Http {
            status,
            code,
            message,
        } => format!("HTTP {status} {} {message}", code.as_deref().unwrap_or("")),
        EnrichError::Timeout(_) => "timeout".into(),
        EnrichError::Connection(_) => "connection".into(),
        EnrichError::BadResponse(_) => "bad response".into(),
        EnrichError::Truncated => "truncated".into(),
        EnrichError::Refused(_) => "refused".into(),
        EnrichError::Invalid { .. } => "invalid answer".into(),
        EnrichError::FailedBefore { kind, .. } => kind.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, code: Option<&str>, message: &str) -> EnrichError {
        EnrichError::Http {
            status,
            code: code.map(str::to_owned),
            message: message.into(),
        }
    }

    #[test]
    fn validation_errors_are_recognised_whatever_the_status() {
        assert!(is_validation_error(&http(
            500,
            None,
            "1 validation error for ChatCompletionRequest: response_format.type: Input should be 'text' or 'json_object'"
        )));
        assert!(is_validation_error(&http(
            400,
            Some("invalid_request_error"),
            "x"
        )));
        assert!(!is_validation_error(&http(500, None, "CUDA out of memory")));
    }

    #[test]
    fn fatal_errors_name_why() {
        assert_eq!(
            fatal_reason(&http(429, Some("insufficient_quota"), "quota")),
            Some("the account's quota is spent")
        );
        assert_eq!(
            fatal_reason(&http(401, None, "no")),
            Some("the server refuses the credentials")
        );
        assert_eq!(
            fatal_reason(&http(
                404,
                Some("model_not_found"),
                "The model `x` does not exist"
            )),
            Some("the model or the endpoint does not exist")
        );
        assert!(
            fatal_reason(&http(
                400,
                Some("invalid_request_error"),
                "Invalid schema for response_format 'extraction': 'minimum' is not permitted"
            ))
            .is_some()
        );
        assert_eq!(
            fatal_reason(&http(429, Some("rate_limit_exceeded"), "slow")),
            None
        );
        assert_eq!(fatal_reason(&http(500, None, "boom")), None);
    }

    #[test]
    fn only_failures_of_the_row_itself_are_final() {
        assert!(is_final_for_row(&EnrichError::Truncated));
        assert!(is_final_for_row(&http(
            400,
            Some("context_length_exceeded"),
            "too long"
        )));
        assert!(!is_final_for_row(&http(500, None, "boom")));
        assert!(!is_final_for_row(&http(429, None, "slow")));
        assert!(!is_final_for_row(&http(401, None, "key")));
        assert!(!is_final_for_row(&EnrichError::Timeout(
            std::time::Duration::from_secs(1)
        )));
        assert!(!is_final_for_row(&EnrichError::Stopped("x".into())));
    }

    #[test]
    fn the_same_failure_on_other_rows_has_one_signature() {
        let a = EnrichError::Invalid {
            attempts: 3,
            message: "missing age".into(),
        };
        let b = EnrichError::Invalid {
            attempts: 3,
            message: "not JSON".into(),
        };
        assert_eq!(signature(&a), signature(&b));
        assert_ne!(
            signature(&http(400, None, "a")),
            signature(&http(400, None, "b"))
        );
    }
}
