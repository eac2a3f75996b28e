//! Filter expressions read into a tree: `or` of `and`s of `not`s of tests, with
//! parentheses.

use iterable_core::Value;

use super::FilterError;
use super::lex::Token;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One side of a test: a column's value, or a literal.
#[derive(Debug, Clone)]
pub(super) enum Operand {
    Column(String),
    Literal(Value),
}

/// An expression.
#[derive(Debug, Clone)]
pub(super) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Cmp, Operand),
    IsNull(Operand, bool),
    In(Operand, Vec<Value>, bool),
    Matches(Operand, regex::Regex, bool),
}

/// Reads the tokens of a whole expression.
pub(super) fn parse(tokens: Vec<(Token, usize)>, end: usize) -> Result<Expr, FilterError> {
    let mut p = Parser { tokens, at: 0, end };
    let expr = p.or()?;
    match p.peek() {
        None => Ok(expr),
        Some((token, at)) => Err(FilterError::at(
            at,
            format!(
                "{} after a whole expression (and/or missing?)",
                describe(&token)
            ),
        )),
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    /// The position just after the text (for errors at its end).
    end: usize,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Name(n) => format!("the name {n:?}"),
        Token::Text(t) => format!("the text '{t}'"),
        Token::Int(n) => format!("the number {n}"),
        Token::Float(x) => format!("the number {x}"),
        Token::Op(op) => format!("`{op}`"),
        Token::Open => "`(`".to_owned(),
        Token::Close => "`)`".to_owned(),
        Token::Comma => "`,`".to_owned(),
        Token::Word(w) => format!("`{w}`"),
    }
}

impl Parser {
    fn peek(&self) -> Option<(Token, usize)> {
        self.tokens.get(self.at).cloned()
    }

    fn next(&mut self) -> Option<(Token, usize)> {
        let t = self.peek();
        self.at += 1;
        t
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let yes = matches!(self.peek(), Some((Token::Word(w), _)) if w == word);
        if yes {
            self.at += 1;
        }
        yes
    }

    /// An error at the next token (or the end): expected `what`.
    fn expected(&self, what: &str) -> FilterError {
        match self.peek() {
            Some((token, at)) => {
                FilterError::at(at, format!("expected {what}, found {}", describe(&token)))
            }
            None => FilterError::at(self.end, format!("expected {what}, found the end")),
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if matches!(self.peek(), Some((Token::Open, _))) {
            self.at += 1;
            let inner = self.or()?;
            return match self.next() {
                Some((Token::Close, _)) => Ok(inner),
                _ => {
                    self.at -= 1;
                    Err(self.expected("`)`"))
                }
            };
        }
        self.test()
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let operand = match self.peek() {
            Some((Token::Name(n), _)) => Operand::Column(n),
            Some((token, _)) => match literal(&token) {
                Some(value) => Operand::Literal(value),
                None => return Err(self.expected("a column or a value")),
            },
            None => return Err(self.expected("a column or a value")),
        };
        self.at += 1;
        Ok(operand)
    }

    /// `a op b`, `a is [not] null`, `a [not] in (...)`, `a ~ 'regex'`.
    fn test(&mut self) -> Result<Expr, FilterError> {
        let left = self.operand()?;
        let Some((token, at)) = self.next() else {
            self.at -= 1;
            return Err(self.expected("= != < <= > >= ~ !~ in or is after it"));
        };
        match token {
            Token::Op(op @ ("~" | "!~")) => {
                let Some((Token::Text(pattern), at)) = self.next() else {
                    self.at -= 1;
                    return Err(self.expected("a 'pattern' after the match"));
                };
                let regex = regex::Regex::new(&pattern)
                    .map_err(|e| FilterError::at(at, format!("the pattern '{pattern}': {e}")))?;
                Ok(Expr::Matches(left, regex, op == "!~"))
            }
            Token::Op(op) => {
                let cmp = match op {
                    "=" => Cmp::Eq,
                    "!=" | "<>" => Cmp::Ne,
                    "<" => Cmp::Lt,
                    "<=" => Cmp::Le,
                    ">" => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                let right = self.operand()?;
                Ok(Expr::Compare(left, cmp, right))
            }
            Token::Word("is") => {
                let negated = self.eat_word("not");
                if !self.eat_word("null") {
                    return Err(self.expected("`null`"));
                }
                Ok(Expr::IsNull(left, negated))
            }
            Token::Word("not") if self.eat_word("in") => self.list(left, true),
            Token::Word("in") => self.list(left, false),
            other => Err(FilterError::at(
                at,
                format!(
                    "expected = != < <= > >= ~ !~ in or is, found {}",
                    describe(&other)
                ),
            )),
        }
    }

    /// The `(a, b, ...)` of an `in`.
    fn list(&mut self, left: Operand, negated: bool) -> Result<Expr, FilterError> {
        if !matches!(self.next(), Some((Token::Open, _))) {
            self.at -= 1;
            return Err(self.expected("`(` and a list of values"));
        }
        let mut values = Vec::new();
        loop {
            match self.next() {
                Some((token, at)) => match literal(&token) {
                    Some(v) => values.push(v),
                    None => {
                        return Err(FilterError::at(
                            at,
                            format!("expected a value in the list, found {}", describe(&token)),
                        ));
                    }
                },
                None => return Err(self.expected("a value in the list")),
            }
            match self.next() {
                Some((Token::Comma, _)) => continue,
                Some((Token::Close, _)) => return Ok(Expr::In(left, values, negated)),
                _ => {
                    self.at -= 1;
                    return Err(self.expected("`,` or `)`"));
                }
            }
        }
    }
}

/// The value of a literal token.
fn literal(token: &Token) -> Option<Value> {
    Some(match token {
        Token::Text(t) => Value::from(t.as_str()),
        Token::Int(n) => Value::Int(*n),
        Token::Float(x) => Value::Float(*x),
        Token::Word("true") => Value::Bool(true),
        Token::Word("false") => Value::Bool(false),
        Token::Word("null") => Value::Null,
        _ => return None,
    })
}
