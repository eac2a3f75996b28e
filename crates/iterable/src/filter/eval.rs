//! A filter expression tested on a row: values compared by their types, text read as
//! a number, a boolean or a date where the other side is one.

use std::cmp::Ordering;

use iterable_core::{Row, Value};
use iterable_formats::csv::instant_of;

use super::parse::{Cmp, Expr, Operand};

static NULL: Value = Value::Null;

/// Whether `row` passes `expr`.
pub(super) fn test(expr: &Expr, row: &Row) -> bool {
    match expr {
        Expr::And(a, b) => test(a, row) && test(b, row),
        Expr::Or(a, b) => test(a, row) || test(b, row),
        Expr::Not(e) => !test(e, row),
        Expr::Compare(a, cmp, b) => {
            let (a, b) = (value(a, row), value(b, row));
            if a.is_null() || b.is_null() {
                return false;
            }
            let order = compare(a, b);
            match cmp {
                Cmp::Eq => order == Some(Ordering::Equal),
                Cmp::Ne => order != Some(Ordering::Equal),
                Cmp::Lt => order == Some(Ordering::Less),
                Cmp::Le => matches!(order, Some(Ordering::Less | Ordering::Equal)),
                Cmp::Gt => order == Some(Ordering::Greater),
                Cmp::Ge => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
            }
        }
        Expr::IsNull(a, negated) => value(a, row).is_null() != *negated,
        Expr::In(a, list, negated) => {
            let a = value(a, row);
            if a.is_null() {
                return false;
            }
            let found = list.iter().any(|b| compare(a, b) == Some(Ordering::Equal));
            found != *negated
        }
        Expr::Matches(a, regex, negated) => {
            let a = value(a, row);
            if a.is_null() {
                return false;
            }
            let found = match a {
                Value::String(s) => regex.is_match(s),
                other => regex.is_match(&other.to_string()),
            };
            found != *negated
        }
    }
}

/// An operand's value in `row`: a literal, the column's value, or the value at a
/// dotted path into maps and lists (`user.name`, `tags.0`); null when there is none.
fn value<'a>(operand: &'a Operand, row: &'a Row) -> &'a Value {
    match operand {
        Operand::Literal(v) => v,
        Operand::Column(name) => row.get(name).or_else(|| path(row, name)).unwrap_or(&NULL),
    }
}

fn path<'a>(row: &'a Row, name: &str) -> Option<&'a Value> {
    let mut parts = name.split('.');
    let mut at = row.get(parts.next()?)?;
    for part in parts {
        at = match at {
            Value::Map(inner) => inner.get(part)?,
            Value::List(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// A number's value as a float, for comparing it with another kind of number.
fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Decimal(d) => Some(d.unscaled as f64 / 10f64.powi(i32::from(d.scale))),
        _ => None,
    }
}

/// Text read as a number (integers exactly).
fn number_in(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::Int(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Value::Float)
}

/// How `a` compares with `b`: numbers by value, text that is a number (or a
/// boolean, or a date) as one when the other side is, text by text; `None` when
/// they cannot be compared.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Int(_) | Float(_) | Decimal(_), Int(_) | Float(_) | Decimal(_)) => {
            float(a)?.partial_cmp(&float(b)?)
        }
        (Int(_) | Float(_) | Decimal(_), String(s)) => compare(a, &number_in(s)?),
        (String(s), Int(_) | Float(_) | Decimal(_)) => compare(&number_in(s)?, b),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Bool(x), String(s)) | (String(s), Bool(x)) => {
            let y = match s.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            let order = x.cmp(&y);
            Some(if matches!(a, Bool(_)) {
                order
            } else {
                order.reverse()
            })
        }
        (Date(_) | Timestamp(_), _) | (_, Date(_) | Timestamp(_)) => {
            Some(instant_of(a)?.cmp(&instant_of(b)?))
        }
        (String(x), String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => Some(a.to_string().cmp(&b.to_string())),
    }
}
