//! The visible text of an HTML page, and its title, as a reader would see them:
//! tags dropped; `script`, `style`, `noscript`, `template` and `head` content left
//! out (the `title` kept apart); block elements (`p`, `div`, headings, list items,
//! table rows, `br`, ...) end lines, list items start with `- `; character
//! references decoded (`&amp;`, `&#233;`, `&#xE9;` and the common named ones); runs
//! of white space (line ends included) collapsed; no empty lines. A `<` that does
//! not start markup (`a < b`) is text; broken markup (an unclosed tag or comment)
//! ends the text there, never an error.

/// Elements whose content is not text.
const SKIPPED: &[&str] = &["script", "style", "noscript", "template", "head"];

/// Elements that end a line (before and after).
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
];

/// The page's title (null when it has none) and its visible text.
pub(crate) fn html_text(html: &str) -> (Option<String>, String) {
    let mut title = None;
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        push_text(&mut out, &rest[..at]);
        rest = &rest[at..];
        let starts_markup = rest[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_markup {
            out.push('<'); // "a < b": text, not a tag
            rest = &rest[1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(end) = tag_end(rest) else {
            rest = "";
            break;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() {
            continue; // <!DOCTYPE>, <?xml?>, a stray '<'
        }
        if !closing && name == "title" {
            let (text, after) = raw_content(rest, "title");
            let text = collapse(&decode_entities(text));
            if title.is_none() && !text.is_empty() {
                title = Some(text);
            }
            rest = after;
            continue;
        }
        if !closing && SKIPPED.contains(&name.as_str()) && !tag.ends_with('/') {
            rest = if name == "head" {
                // The head's title still counts: look for it, then go on after </head>.
                let (head, after) = raw_content(rest, "head");
                if title.is_none() {
                    title = html_text(head).0;
                }
                after
            } else {
                raw_content(rest, &name).1
            };
            continue;
        }
        if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
            if name == "li" && !closing {
                out.push_str("- ");
            }
        } else if matches!(name.as_str(), "td" | "th") && !closing {
            out.push(' ');
        }
    }
    push_text(&mut out, rest);
    (title, tidy(&out))
}

/// Where the tag starting `text` (at its `<`) ends: its `>`, quotes respected.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The raw content up to `</name>` (any case), and what follows that end tag.
fn raw_content<'a>(text: &'a str, name: &str) -> (&'a str, &'a str) {
    let lower = text.to_ascii_lowercase();
    let close = format!("</{name}");
    match lower.find(&close) {
        Some(at) => {
            let after = &text[at..];
            let end = after.find('>').map_or(after.len(), |e| e + 1);
            (&text[..at], &after[end..])
        }
        None => (text, ""),
    }
}

/// Text of the page: its line ends are white space like any other (only blocks
/// end lines).
fn push_text(out: &mut String, text: &str) {
    if !text.is_empty() {
        out.extend(decode_entities(text).chars().map(|c| match c {
            '\n' | '\r' => ' ',
            c => c,
        }));
    }
}

/// White space runs as one space, on one line.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each line collapsed; empty lines (and empty list items) dropped.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let line = collapse(line);
        if line.is_empty() || line == "-" {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&line);
    }
    out
}

/// `&amp;`, `&#233;`, `&#xE9;` and the common named references; an unknown one is
/// kept as written.
pub(crate) fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|e| e + 1);
        let decoded = end
            .filter(|&e| rest[e..].starts_with(';'))
            .and_then(|e| reference(&rest[1..e]).map(|c| (c, e + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn reference(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).or(Some('\u{fffd}'));
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        "times" => '×',
        "divide" => '÷',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "szlig" => 'ß',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_and_title() {
        let page = "<!DOCTYPE html><html><head><title>Q3 &amp; Q4</title>\
            <style>p{color:red}</style><script>var x = '<p>';</script></head>\
            <body><h1>Sales</h1><p>Up   <b>12%</b>,\n  in Lyon&nbsp;&#38; Caf&#xE9;s.</p>\
            <!-- a comment <p> --><ul><li>one</li><li>two</li></ul>\
            <table><tr><td>a</td><td>b</td></tr></table><p>&unknown; x</p></body></html>";
        let (title, text) = html_text(page);
        assert_eq!(title.as_deref(), Some("Q3 & Q4"));
        assert_eq!(
            text,
            "Sales\nUp 12%, in Lyon & Cafés.\n- one\n- two\na b\n&unknown; x"
        );
    }

    #[test]
    fn broken_markup_ends_the_text_without_an_error() {
        assert_eq!(
            html_text("<p>kept</p><div class=\"x"),
            (None, "kept".into())
        );
        assert_eq!(html_text("<p>kept</p><!-- open"), (None, "kept".into()));
        assert_eq!(html_text(""), (None, String::new()));
        assert_eq!(html_text("a < b <p>c"), (None, "a < b\nc".into()));
    }
}
