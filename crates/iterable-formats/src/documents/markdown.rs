//! Markdown (`.md`, `.markdown`), read only: a row a document, `location`, `title`
//! and `text`. The text is the Markdown as written (models read Markdown well); the
//! title is the front matter's `title:`, else the first heading (`# Title`, or a
//! line underlined with `===`), else null. A YAML front matter (`---` ... `---` at
//! the top) is left out of the text.

use iterable_core::{BoxIterable, Format, Result};
use tokio::io::AsyncBufRead;

use super::{document_builders, document_spec, read_document};
use crate::ReadContext;
use crate::registry::FormatSpec;

/// Markdown's format name.
pub const MARKDOWN_FORMAT: Format = Format::new("md");

/// The registry's description of Markdown.
pub static MARKDOWN: FormatSpec = document_spec(
    MARKDOWN_FORMAT,
    "Markdown: a row a document with its title and text (read only)",
    &["md", "markdown"],
    document_builders(|r, ctx| Box::pin(open_reader(r, ctx))),
);

/// Opens a Markdown reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    read_document(reader, ctx, title_and_text).await
}

/// The title (front matter, else the first heading) and the text without the front
/// matter.
fn title_and_text(document: &str) -> (Option<String>, String) {
    let (front, body) = split_front_matter(document);
    let title = front
        .and_then(front_matter_title)
        .or_else(|| first_heading(body));
    (title, body.trim().to_owned())
}

/// The front matter (between `---` lines at the very top) and the rest.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// `title: ...` in the front matter, quotes removed.
fn front_matter_title(front: &str) -> Option<String> {
    front.lines().find_map(|line| {
        let value = line.strip_prefix("title:")?.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// The first heading outside code blocks: `# Title` (any level, closing `#`s
/// dropped) or a line underlined with `===` or `---`.
fn first_heading(body: &str) -> Option<String> {
    let mut in_code = false;
    let mut previous: Option<&str> = None;
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            previous = None;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            let rest = rest.trim_start_matches('#');
            if rest.starts_with(' ') || rest.is_empty() {
                let title = rest.trim().trim_end_matches('#').trim();
                if !title.is_empty() {
                    return Some(title.to_owned());
                }
            }
        }
        let underline = !trimmed.is_empty()
            && (trimmed.chars().all(|c| c == '=') || trimmed.chars().all(|c| c == '-'));
        if underline && let Some(text) = previous.filter(|p| !p.trim().is_empty()) {
            return Some(text.trim().to_owned());
        }
        previous = Some(line);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_comes_from_the_front_matter_then_the_first_heading() {
        let (front, body) = split_front_matter("---\ntitle: \"Q3 report\"\n---\n# Other\ntext\n");
        assert_eq!(
            front.and_then(front_matter_title).as_deref(),
            Some("Q3 report")
        );
        assert_eq!(body, "# Other\ntext\n");
        assert_eq!(
            first_heading("```\n# not a title\n```\nIntro\n## Sales ##\n").as_deref(),
            Some("Sales")
        );
        assert_eq!(
            first_heading("Big Title\n=========\n").as_deref(),
            Some("Big Title")
        );
        assert_eq!(first_heading("#hashtag is not a heading\n"), None);
        assert_eq!(split_front_matter("---\nno end\n"), (None, "---\nno end\n"));
    }
}
