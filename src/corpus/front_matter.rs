//! Splitting a file into its YAML front matter and its Markdown body, as Jekyll does: the file
//! starts with a `---` line and the front matter ends at the next `---` (or `...`) line.

/// A file's text cut into front matter and body, with the lines where each starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the fences, or `None` when the file has no front matter.
    pub yaml: Option<&'a str>,
    /// 1-based line of the first YAML line (the one after the opening `---`).
    pub yaml_line: u32,
    pub body: &'a str,
    /// 1-based line where the body starts.
    pub body_line: u32,
}

/// The front matter opens but never closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclosedFrontMatter;

/// The front matter of a file's text as a map: `None` when the file has none (for Jekyll a
/// static file, not a page), an empty map when it cannot be read.
pub fn front_matter_map(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let text = text.trim_start_matches('\u{feff}');
    let yaml = split(text).ok()?.yaml?;
    Some(super::yaml::parse_mapping(yaml).unwrap_or_default())
}

/// Splits `text` (a UTF-8 byte-order mark, if any, already removed).
pub fn split(text: &str) -> Result<Split<'_>, UnclosedFrontMatter> {
    let mut lines = LineSpans::new(text);
    let no_front_matter = Split {
        yaml: None,
        yaml_line: 1,
        body: text,
        body_line: 1,
    };
    match lines.next() {
        Some((_, line)) if is_fence(line, &["---"]) => {}
        _ => return Ok(no_front_matter),
    }
    let yaml_start = lines.offset;
    for (number, line) in lines.by_ref() {
        if is_fence(line, &["---", "..."]) {
            let line_start = lines.offset - line.len() - lines.last_newline_len;
            return Ok(Split {
                yaml: Some(&text[yaml_start..line_start]),
                yaml_line: 2,
                body: &text[lines.offset..],
                body_line: number + 1,
            });
        }
    }
    Err(UnclosedFrontMatter)
}

fn is_fence(line: &str, fences: &[&str]) -> bool {
    let trimmed = line.trim_end_matches([' ', '\t', '\r']);
    fences.contains(&trimmed)
}

/// Iterates lines with their 1-based numbers, tracking the byte offset after each line.
struct LineSpans<'a> {
    text: &'a str,
    offset: usize,
    number: u32,
    last_newline_len: usize,
}

impl<'a> LineSpans<'a> {
    fn new(text: &'a str) -> Self {
        LineSpans {
            text,
            offset: 0,
            number: 0,
            last_newline_len: 0,
        }
    }
}

impl<'a> Iterator for LineSpans<'a> {
    type Item = (u32, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.offset >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.offset..];
        let (line, newline) = match rest.find('\n') {
            Some(i) => (&rest[..i], 1),
            None => (rest, 0),
        };
        self.offset += line.len() + newline;
        self.last_newline_len = newline;
        self.number += 1;
        Some((self.number, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body_with_line_numbers() {
        let s = split("---\ntitle: A\ntags: x\n---\nHello\n").expect("closed");
        assert_eq!(s.yaml, Some("title: A\ntags: x\n"));
        assert_eq!(s.body, "Hello\n");
        assert_eq!(s.body_line, 5);
        assert_eq!(s.yaml_line, 2);
    }

    #[test]
    fn handles_crlf_trailing_spaces_and_dots() {
        let s = split("--- \r\ntitle: A\r\n...\r\nBody").expect("closed");
        assert_eq!(s.yaml, Some("title: A\r\n"));
        assert_eq!(s.body, "Body");
    }

    #[test]
    fn empty_front_matter_and_none() {
        let s = split("---\n---\nx").expect("closed");
        assert_eq!(s.yaml, Some(""));
        assert_eq!(s.body, "x");
        let none = split("# Title\n---\n").expect("no front matter");
        assert_eq!(none.yaml, None);
        assert_eq!(none.body, "# Title\n---\n");
        let end_at_eof = split("---\na: 1\n---").expect("closed at end");
        assert_eq!(end_at_eof.body, "");
    }

    #[test]
    fn unclosed_is_an_error() {
        assert_eq!(split("---\ntitle: x\nbody"), Err(UnclosedFrontMatter));
    }
}
