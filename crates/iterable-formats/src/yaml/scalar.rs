//! What a YAML scalar is, by YAML 1.2's core schema: a plain scalar is null, a
//! boolean, an integer or a float when its text says so and text otherwise; a quoted
//! or block scalar is always text; a core tag (`!!str`, `!!int`, ...) decides.
//!
//! Two choices beyond the schema, so that no value changes without a word: an integer
//! beyond 64 bits stays exact (a decimal of scale 0 up to 38 digits, its text beyond),
//! as in JSON, and a tagged scalar that is not what its tag says is an error.

use granit_parser::{ScalarStyle, Tag};
use iterable_core::{Decimal, Value};

/// The value of a scalar `text` written in `style` with `tag`.
pub(super) fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        if let Some(kind) = tag.core_suffix() {
            return tagged(text, kind);
        }
        if tag.suffix_in_namespace("tag:yaml.org,2002:").as_deref() == Some("binary") {
            return base64(text).map(Value::Bytes);
        }
        // A local or unknown tag: the text is read as if it had none.
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into()));
    }
    Ok(plain(text))
}

/// A plain scalar by the core schema.
fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(v) = integer(text) {
        return v;
    }
    if let Some(f) = float(text) {
        return Value::Float(f);
    }
    Value::String(text.into())
}

fn tagged(text: &str, kind: &str) -> Result<Value, String> {
    let refused = || format!("{text:?} is not a YAML !!{kind}");
    Ok(match kind {
        "str" => Value::String(text.into()),
        "null" => match plain(text) {
            Value::Null => Value::Null,
            _ => return Err(refused()),
        },
        "bool" => match plain(text) {
            v @ Value::Bool(_) => v,
            _ => return Err(refused()),
        },
        "int" => integer(text).ok_or_else(refused)?,
        "float" => match integer(text) {
            Some(Value::Int(i)) => Value::Float(i as f64),
            _ => Value::Float(float(text).ok_or_else(refused)?),
        },
        // !!seq and !!map on a scalar: the parser refuses those; any other core
        // suffix reads as text.
        _ => Value::String(text.into()),
    })
}

/// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
fn integer(text: &str) -> Option<Value> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(octal) = text.strip_prefix("0o") {
        (8, octal)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (16, hex)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    if radix != 10 {
        return i64::from_str_radix(digits, radix)
            .map(Value::Int)
            .or_else(|_| u64::from_str_radix(digits, radix).map(Value::from))
            .ok();
    }
    let trimmed = digits.trim_start_matches('0');
    let exact = if trimmed.is_empty() { "0" } else { trimmed };
    let signed = if negative {
        format!("-{exact}")
    } else {
        exact.to_owned()
    };
    Some(match signed.parse::<i64>() {
        Ok(i) => Value::Int(i),
        Err(_) => match signed.parse::<i128>() {
            Ok(unscaled) if exact.len() <= 38 => Value::Decimal(Decimal { unscaled, scale: 0 }),
            _ => Value::String(signed.into()),
        },
    })
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan`.
fn float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    match unsigned {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        ".nan" | ".NaN" | ".NAN" if unsigned.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    let bytes = unsigned.as_bytes();
    let mut i = 0;
    let int_digits = count_digits(&bytes[i..]);
    i += int_digits;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(&bytes[i..]);
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp_digits = count_digits(&bytes[i..]);
        if exp_digits == 0 {
            return None;
        }
        i += exp_digits;
    }
    if i != bytes.len() {
        return None;
    }
    text.parse().ok()
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// The bytes of a `!!binary` scalar: base64, white space ignored.
fn base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    let mut padding = 0;
    for c in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            _ => {
                return Err(format!(
                    "a !!binary scalar holds {:?}, not base64",
                    c as char
                ));
            }
        };
        if padding > 0 {
            return Err("a !!binary scalar has text after its padding".into());
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Value {
        resolve(text, ScalarStyle::Plain, None).unwrap()
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        assert_eq!(p("~"), Value::Null);
        assert_eq!(p(""), Value::Null);
        assert_eq!(p("True"), Value::Bool(true));
        assert_eq!(p("NO"), Value::from("NO"));
        assert_eq!(p("yes"), Value::from("yes"));
        assert_eq!(p("017"), Value::Int(17));
        assert_eq!(p("-017"), Value::Int(-17));
        assert_eq!(p("+5"), Value::Int(5));
        assert_eq!(p("0o17"), Value::Int(15));
        assert_eq!(p("0x1F"), Value::Int(31));
        assert_eq!(p("1.5"), Value::Float(1.5));
        assert_eq!(p(".5"), Value::Float(0.5));
        assert_eq!(p("1e3"), Value::Float(1000.0));
        assert_eq!(p("-.inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(p(".NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(p("1_000"), Value::from("1_000"));
        assert_eq!(p("2024-02-29"), Value::from("2024-02-29"));
        assert_eq!(p("1."), Value::Float(1.0));
        assert_eq!(p("."), Value::from("."));
        assert_eq!(p("1e"), Value::from("1e"));
        assert_eq!(p("-"), Value::from("-"));
    }

    #[test]
    fn integers_beyond_64_bits_stay_exact() {
        assert_eq!(
            p("123456789012345678901234567890"),
            Value::Decimal(Decimal {
                unscaled: 123_456_789_012_345_678_901_234_567_890,
                scale: 0
            })
        );
        assert_eq!(p("18446744073709551615"), Value::from(u64::MAX));
        let huge = "9".repeat(50);
        assert_eq!(p(&huge), Value::from(huge.as_str()));
    }

    #[test]
    fn quoted_scalars_are_text_and_tags_decide() {
        let q = |t: &str| resolve(t, ScalarStyle::SingleQuoted, None).unwrap();
        assert_eq!(q("017"), Value::from("017"));
        assert_eq!(q("true"), Value::from("true"));
        let core = |suffix: &str| Tag::new("tag:yaml.org,2002:", suffix);
        let t = |text: &str, suffix: &str| resolve(text, ScalarStyle::Plain, Some(&core(suffix)));
        assert_eq!(t("017", "str").unwrap(), Value::from("017"));
        assert_eq!(t("3", "float").unwrap(), Value::Float(3.0));
        assert_eq!(
            t("aGVsbG8=", "binary").unwrap(),
            Value::Bytes(b"hello".to_vec())
        );
        assert!(
            t("abc", "int")
                .unwrap_err()
                .contains("\"abc\" is not a YAML !!int")
        );
        let local = Tag::new("!", "thing");
        assert_eq!(
            resolve("7", ScalarStyle::Plain, Some(&local)).unwrap(),
            Value::Int(7)
        );
    }
}
