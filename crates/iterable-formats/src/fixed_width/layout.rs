//! Where the columns of a fixed-width file are: from the `widths` and `names` options,
//! from a layout file (`layout`), or from the header line itself.

use iterable_core::{Error, Options, Result};

/// The columns of a fixed-width file: their widths in characters and, when known
/// before the first line, their names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Layout {
    /// Each column's width in characters; empty when it is to be found from the header
    /// line (reading) or from the first rows (writing).
    pub widths: Vec<usize>,
    /// The names; empty when the file's first line holds them.
    pub names: Vec<String>,
}

impl Layout {
    /// The layout the options give: `layout` (a file), else `widths` and `names`.
    pub async fn from_options(options: &Options, location: &str) -> Result<Layout> {
        let get = |key: &str| options.format_options.get(key).map(|v| v.trim());
        let mut layout = match get("layout") {
            Some(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    Error::InvalidOption(format!("--layout {path:?} cannot be read: {e}"))
                })?;
                parse_layout_file(&text, path)?
            }
            None => Layout::default(),
        };
        if let Some(widths) = get("widths") {
            layout.widths = parse_widths(widths)?;
        }
        if let Some(names) = get("names") {
            layout.names = names.split(',').map(|n| n.trim().to_owned()).collect();
        }
        if !layout.names.is_empty() && layout.names.len() != layout.widths.len() {
            return Err(Error::InvalidOption(format!(
                "{location}: {} names for {} widths: give one name a column (--names with --widths)",
                layout.names.len(),
                layout.widths.len()
            )));
        }
        Ok(layout)
    }
}

/// `3,10,5`: whole numbers above zero.
fn parse_widths(text: &str) -> Result<Vec<usize>> {
    text.split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::InvalidOption(format!(
                "--widths takes whole numbers above 0, comma separated (3,10), not {text:?}"
            ))),
        })
        .collect()
}

/// One column a line, `name,width` (or the two separated by a tab or spaces); blank
/// lines and lines starting with `#` are skipped.
fn parse_layout_file(text: &str, path: &str) -> Result<Layout> {
    let mut layout = Layout::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let width = match parts.as_slice() {
            [_, width] => width.parse::<usize>().ok().filter(|&w| w > 0),
            _ => None,
        };
        let Some(width) = width else {
            return Err(Error::InvalidOption(format!(
                "layout file {path:?}, line {}: expected `name,width` (a width above 0), found {line:?}",
                i + 1
            )));
        };
        layout.names.push(parts[0].to_owned());
        layout.widths.push(width);
    }
    if layout.widths.is_empty() {
        return Err(Error::InvalidOption(format!(
            "layout file {path:?} names no columns"
        )));
    }
    Ok(layout)
}

/// The widths a header line gives: a column starts where a name starts (the first at
/// the line's start) and ends where the next one starts; the last one's width is
/// `usize::MAX` (it runs to the end of the line).
pub(crate) fn widths_from_header(line: &str) -> (Vec<usize>, Vec<String>) {
    let mut starts = Vec::new();
    let mut names = Vec::new();
    let mut previous_space = true;
    for (column, c) in line.chars().enumerate() {
        if !c.is_whitespace() && previous_space {
            starts.push(if starts.is_empty() { 0 } else { column });
        }
        previous_space = c.is_whitespace();
    }
    let mut widths: Vec<usize> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    if !starts.is_empty() {
        widths.push(usize::MAX);
    }
    for field in cut(line, &widths) {
        names.push(field.trim().to_owned());
    }
    (widths, names)
}

/// `line` cut into fields of `widths` characters, untrimmed; fields past the line's
/// end are empty. The text past the last field is the last item when there is any.
pub(crate) fn cut<'a>(line: &'a str, widths: &[usize]) -> Vec<&'a str> {
    let mut fields = Vec::with_capacity(widths.len() + 1);
    let mut start: usize = 0; // byte offset
    if line.is_ascii() {
        for &w in widths {
            let end = start.saturating_add(w).min(line.len());
            fields.push(&line[start..end]);
            start = end;
        }
    } else {
        let mut chars = line.char_indices().map(|(i, _)| i).chain([line.len()]);
        let mut at_char = 0usize;
        let mut next_boundary = chars.next().unwrap_or(line.len());
        for &w in widths {
            let target = at_char.saturating_add(w);
            let begin = next_boundary;
            while at_char < target && next_boundary < line.len() {
                next_boundary = chars.next().unwrap_or(line.len());
                at_char += 1;
            }
            fields.push(&line[begin..next_boundary]);
        }
        start = next_boundary;
    }
    if start < line.len() {
        fields.push(&line[start..]);
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_by_characters() {
        assert_eq!(cut("1  John      ", &[3, 10]), ["1  ", "John      "]);
        assert_eq!(cut("1  Jo", &[3, 10]), ["1  ", "Jo"]);
        assert_eq!(cut("1", &[3, 10]), ["1", ""]);
        assert_eq!(cut("12345", &[2, 2]), ["12", "34", "5"]);
        assert_eq!(cut("Zü rich", &[2, 9]), ["Zü", " rich"]);
        assert_eq!(cut("東京x🎉yz", &[2, 1, 1]), ["東京", "x", "🎉", "yz"]);
    }

    #[test]
    fn header_lines_give_starts() {
        let (widths, names) = widths_from_header("id  name    city");
        assert_eq!(widths, [4, 8, usize::MAX]);
        assert_eq!(names, ["id", "name", "city"]);
        let (widths, names) = widths_from_header("  id name");
        assert_eq!(widths, [5, usize::MAX]);
        assert_eq!(names, ["id", "name"]);
    }

    #[test]
    fn layout_files_and_widths() {
        let layout = parse_layout_file("# columns\nid,3\nname 10\n", "l.txt").unwrap();
        assert_eq!(layout.widths, [3, 10]);
        assert_eq!(layout.names, ["id", "name"]);
        let err = parse_layout_file("id,x\n", "l.txt")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1: expected `name,width`"), "{err}");
        assert!(parse_widths("3,0").is_err());
        assert_eq!(parse_widths(" 3, 10 ").unwrap(), [3, 10]);
    }
}
