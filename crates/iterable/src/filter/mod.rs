//! Row filters written as text, for the command line's `filter` and for
//! [`Pipeline::filter_where`](crate::Pipeline::filter_where):
//!
//! ```text
//! amount > 100 and city in ('Berlin', 'Paris')
//! not (status = 'done' or note is null)
//! email ~ '@example\.org$' and created >= '2024-01-01'
//! ```
//!
//! - A name is a column (`city`), a dotted path into maps and lists (`user.name`,
//!   `tags.0`), or any name in double quotes or backticks (`"unit price"`). A column a
//!   row lacks is null there.
//! - Values: numbers, `'text'` (`''` is a quote in it), `true`, `false`, `null`.
//! - Tests: `= != < <= > >=` (`==` and `<>` too), `is null`, `is not null`,
//!   `in (...)`, `not in (...)`, `~ 'regex'` and `!~ 'regex'` (on the value's text).
//! - `and` binds before `or`; `not` and parentheses as usual; keywords in any case.
//! - Values compare by type: numbers by value (`2` = `2.0`); text compared with a
//!   number is read as one (CSV fields are text: `amount > 100` works on them), and
//!   the same for booleans and for dates and date-times (`created >= '2024-01-01'`,
//!   a date being its midnight); text with text by its characters. A test with null
//!   on either side is false (`!=` too), except `is null`; text that cannot be read
//!   as the other side's type is not equal to it, and neither less nor greater.
//!
//! ```
//! use iterable::{RowFilter, row};
//!
//! let filter = RowFilter::parse("amount > 100 and city in ('Berlin', 'Paris')").unwrap();
//! assert!(filter.matches(&row! { "amount" => "250", "city" => "Paris" }));
//! assert!(!filter.matches(&row! { "amount" => 99, "city" => "Paris" }));
//!
//! let err = RowFilter::parse("amount >").unwrap_err();
//! assert_eq!(err.to_string(), "filter: at character 9: expected a column or a value, found the end");
//! ```

mod eval;
mod lex;
mod parse;

use iterable_core::Row;

/// A parsed filter expression.
#[derive(Debug, Clone)]
pub struct RowFilter {
    expr: parse::Expr,
    text: String,
}

/// A filter expression that does not parse: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The 1-based character of the expression where the problem is.
    pub position: usize,
    /// What is wrong there.
    pub message: String,
}

impl FilterError {
    fn at(position: usize, message: String) -> Self {
        FilterError { position, message }
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "filter: at character {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for FilterError {}

impl From<FilterError> for iterable_core::Error {
    fn from(e: FilterError) -> Self {
        iterable_core::Error::InvalidOption(e.to_string())
    }
}

impl RowFilter {
    /// Reads `text` as a filter expression.
    pub fn parse(text: &str) -> Result<RowFilter, FilterError> {
        let tokens = lex::tokens(text)?;
        let end = text.chars().count() + 1;
        let expr = parse::parse(tokens, end)?;
        Ok(RowFilter {
            expr,
            text: text.to_owned(),
        })
    }

    /// Whether `row` passes.
    pub fn matches(&self, row: &Row) -> bool {
        eval::test(&self.expr, row)
    }

    /// The expression as it was written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::{Value, row};

    fn passes(expr: &str, row: &Row) -> bool {
        RowFilter::parse(expr).unwrap().matches(row)
    }

    #[test]
    fn values_compare_by_their_types_and_text_is_read_as_the_other_side() {
        let r =
            row! { "n" => "12", "x" => 2.5, "ok" => "TRUE", "day" => "2024-03-05", "s" => "abc" };
        assert!(passes("n > 9", &r), "text read as a number, not as text");
        assert!(passes("n = 12.0", &r));
        assert!(passes("x < 3 and x >= 2.5", &r));
        assert!(passes("ok = true", &r));
        assert!(passes("day > '2024-03-04T23:00:00Z'", &r));
        assert!(passes("s < 'abd' and s != 'ab'", &r));
        assert!(
            !passes("s > 5", &r),
            "text that is no number is not greater"
        );
        assert!(passes("s != 5", &r), "... and not equal");
    }

    #[test]
    fn nulls_missing_columns_lists_and_patterns() {
        let r = row! { "a" => Value::Null, "city" => "Paris", "user" => row! { "name" => "Ann" }, "tags" => vec![Value::from("x")] };
        assert!(passes("a is null and b is null and city is not null", &r));
        assert!(!passes("a = 1 or a != 1", &r), "null compares as neither");
        assert!(passes(
            "city in ('Berlin', 'Paris') and city not in ('Rome')",
            &r
        ));
        assert!(passes("city ~ '^P' and city !~ 'x'", &r));
        assert!(passes("user.name = 'Ann' and tags.0 = 'x'", &r));
        assert!(passes("not (city = 'Rome' or a is not null)", &r));
        assert!(
            passes("CITY = 'x' OR city = 'Paris'", &r),
            "keywords in any case; names exact"
        );
        assert!(passes("\"city\" = 'Paris' and `city` = 'Paris'", &r));
    }

    #[test]
    fn errors_say_where_and_what() {
        let err = |text: &str| RowFilter::parse(text).unwrap_err().to_string();
        assert_eq!(err("a = 'x"), "filter: at character 5: ' is not closed");
        assert_eq!(
            err("a = 1 b = 2"),
            "filter: at character 7: the name \"b\" after a whole expression (and/or missing?)"
        );
        assert_eq!(
            err("(a = 1"),
            "filter: at character 7: expected `)`, found the end"
        );
        assert_eq!(
            err("a in (1, b)"),
            "filter: at character 10: expected a value in the list, found the name \"b\""
        );
        assert!(
            err("a ~ '('")
                .starts_with("filter: at character 5: the pattern '(': regex parse error")
        );
        assert_eq!(
            err("a is 3"),
            "filter: at character 6: expected `null`, found the number 3"
        );
    }
}
