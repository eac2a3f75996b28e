//! Type inference for CSV fields (the `infer_types` option).

use iterable_core::Value;

/// The typed value a CSV field stands for, under `infer_types`:
///
/// - `""` is [`Value::Null`];
/// - an integer (optional sign, digits, no leading zero except `0` itself) that fits
///   an `i64` is [`Value::Int`];
/// - a decimal number with a `.` or an exponent (`1.5`, `-2e10`, `.5`) is
///   [`Value::Float`]; the words `nan` and `inf` are not numbers here;
/// - `true` and `false` in any case are [`Value::Bool`];
/// - anything else (including `007` and integers too big for an `i64`) stays a
///   [`Value::String`], exactly as written.
///
/// ```
/// use iterable_core::Value;
/// use iterable_formats::csv::infer_value;
///
/// assert_eq!(infer_value("42"), Value::Int(42));
/// assert_eq!(infer_value("-1.5e3"), Value::Float(-1500.0));
/// assert_eq!(infer_value("TRUE"), Value::Bool(true));
/// assert_eq!(infer_value("007"), Value::from("007"));
/// assert_eq!(infer_value(""), Value::Null);
/// ```
pub fn infer_value(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    match infer_scalar(text) {
        Some(Scalar::Int(i)) => Value::Int(i),
        Some(Scalar::Float(f)) => Value::Float(f),
        Some(Scalar::Bool(b)) => Value::Bool(b),
        None => Value::from(text),
    }
}

/// A number or a boolean read from text (see [`infer_scalar`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// What [`infer_value`] makes of a non-empty `text` when it is a number or a boolean,
/// without making a [`Value`]; `None` for text (and for `""`).
pub(crate) fn infer_scalar(text: &str) -> Option<Scalar> {
    let first = *text.as_bytes().first()?;
    match first {
        b'0'..=b'9' | b'+' | b'-' | b'.' => number(text),
        b't' | b'T' if text.eq_ignore_ascii_case("true") => Some(Scalar::Bool(true)),
        b'f' | b'F' if text.eq_ignore_ascii_case("false") => Some(Scalar::Bool(false)),
        _ => None,
    }
}

/// An integer or a float, when `text` is one by the rules of [`infer_value`].
fn number(text: &str) -> Option<Scalar> {
    let bytes = text.as_bytes();
    let unsigned = match bytes[0] {
        b'+' | b'-' => &bytes[1..],
        _ => bytes,
    };
    let int_len = unsigned.iter().take_while(|b| b.is_ascii_digit()).count();
    let int_part = &unsigned[..int_len];
    if int_len > 1 && int_part[0] == b'0' {
        return None;
    }
    let rest = &unsigned[int_len..];
    if rest.is_empty() {
        if int_len == 0 {
            return None;
        }
        return text.parse::<i64>().ok().map(Scalar::Int);
    }
    // A float: [digits] [. digits] [e [sign] digits], with at least one mantissa digit.
    let mut i = 0;
    let mut frac_len = 0;
    if rest[0] == b'.' {
        i = 1;
        frac_len = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        i += frac_len;
    }
    if int_len + frac_len == 0 {
        return None;
    }
    if i < rest.len() && (rest[i] == b'e' || rest[i] == b'E') {
        i += 1;
        if i < rest.len() && (rest[i] == b'+' || rest[i] == b'-') {
            i += 1;
        }
        let exp_len = rest[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_len == 0 {
            return None;
        }
        i += exp_len;
    }
    if i != rest.len() {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Scalar::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(infer_value("0"), Value::Int(0));
        assert_eq!(infer_value("-17"), Value::Int(-17));
        assert_eq!(infer_value("+5"), Value::Int(5));
        assert_eq!(infer_value("9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(
            infer_value("9223372036854775808"),
            Value::from("9223372036854775808")
        );
        assert_eq!(infer_value("0123"), Value::from("0123"));
        assert_eq!(infer_value("-"), Value::from("-"));
        assert_eq!(infer_value("1 "), Value::from("1 "));
    }

    #[test]
    fn floats() {
        assert_eq!(infer_value("1.5"), Value::Float(1.5));
        assert_eq!(infer_value("0.25"), Value::Float(0.25));
        assert_eq!(infer_value(".5"), Value::Float(0.5));
        assert_eq!(infer_value("5."), Value::Float(5.0));
        assert_eq!(infer_value("1e3"), Value::Float(1000.0));
        assert_eq!(infer_value("-2.5E-2"), Value::Float(-0.025));
        assert_eq!(infer_value("1e999"), Value::from("1e999"));
        for s in [
            "nan", "NaN", "inf", "-inf", "infinity", ".", "e5", "1e", "1.2.3", "00.5", "1e+",
        ] {
            assert_eq!(infer_value(s), Value::from(s), "{s}");
        }
    }

    #[test]
    fn booleans_null_and_text() {
        assert_eq!(infer_value("true"), Value::Bool(true));
        assert_eq!(infer_value("False"), Value::Bool(false));
        assert_eq!(infer_value(""), Value::Null);
        assert_eq!(infer_value("yes"), Value::from("yes"));
        assert_eq!(infer_value("truex"), Value::from("truex"));
    }
}
