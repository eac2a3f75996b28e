//! The words of a filter expression: names, literals, operators and parentheses,
//! each with the character where it starts (for errors).

use super::FilterError;

/// One word of an expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A column name: bare (`city`, `user.name`), or quoted with `"` or backticks.
    Name(String),
    /// A `'single quoted'` string (`''` is a quote inside).
    Text(String),
    Int(i64),
    Float(f64),
    /// `=` `==` `!=` `<>` `<` `<=` `>` `>=` `~` `!~`
    Op(&'static str),
    Open,
    Close,
    Comma,
    /// A keyword: and, or, not, is, null, in, true, false (any case).
    Word(&'static str),
}

const WORDS: [&str; 8] = ["and", "or", "not", "is", "null", "in", "true", "false"];

/// The tokens of `text`, each with its 1-based character position.
pub(super) fn tokens(text: &str) -> Result<Vec<(Token, usize)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op2 = ["==", "!=", "<>", "<=", ">=", "!~"]
            .into_iter()
            .find(|op| *op == two);
        if let Some(op) = op2 {
            out.push((Token::Op(if op == "==" { "=" } else { op }), at));
            i += 2;
            continue;
        }
        match c {
            '=' | '<' | '>' | '~' => {
                let op = match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    _ => "~",
                };
                out.push((Token::Op(op), at));
                i += 1;
            }
            '(' => {
                out.push((Token::Open, at));
                i += 1;
            }
            ')' => {
                out.push((Token::Close, at));
                i += 1;
            }
            ',' => {
                out.push((Token::Comma, at));
                i += 1;
            }
            '\'' | '"' | '`' => {
                let (text, next) = quoted(&chars, i, c, at)?;
                out.push((
                    if c == '\'' {
                        Token::Text(text)
                    } else {
                        Token::Name(text)
                    },
                    at,
                ));
                i = next;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_'))
                    || (i < chars.len()
                        && matches!(chars[i], '+' | '-')
                        && matches!(chars[i - 1], 'e' | 'E'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let token = match word.parse::<i64>() {
                    Ok(n) => Token::Int(n),
                    Err(_) => match word.parse::<f64>() {
                        Ok(x) if x.is_finite() => Token::Float(x),
                        _ => {
                            return Err(FilterError::at(at, format!("{word:?} is not a number")));
                        }
                    },
                };
                out.push((token, at));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let lower = word.to_lowercase();
                match WORDS.iter().find(|w| **w == lower) {
                    Some(w) => out.push((Token::Word(w), at)),
                    None => out.push((Token::Name(word), at)),
                }
            }
            other => {
                return Err(FilterError::at(
                    at,
                    format!(
                        "{other:?} is not part of a filter (names, 'text', numbers, = != < <= > >= ~ !~, and, or, not, in, is null)"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// The text of a quoted word starting at `chars[start]` (the quote), and where the
/// next word starts; a doubled quote is one quote inside.
fn quoted(
    chars: &[char],
    start: usize,
    quote: char,
    at: usize,
) -> Result<(String, usize), FilterError> {
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(FilterError::at(at, format!("{quote} is not closed"))),
            Some(&c) if c == quote => {
                if chars.get(i + 1) == Some(&quote) {
                    text.push(quote);
                    i += 2;
                } else {
                    return Ok((text, i + 1));
                }
            }
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}
