//! Rewriting Markdown source outside code. Jekyll/kramdown syntax (attribute lists, wiki links)
//! is rewritten before the Markdown pass, but never inside fenced code or code spans, where it
//! is an example, not markup.

/// Applies `rewrite` to every stretch of `text` outside fenced code blocks. Inline code spans
/// inside those stretches are hidden from `rewrite` (replaced by placeholders and restored).
pub fn map_outside_code(text: &str, mut rewrite: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prose = String::new();
    let mut fence: Option<(char, usize)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let run = |c: char| trimmed.chars().take_while(|x| *x == c).count();
        match fence {
            Some((c, len)) => {
                out.push_str(line);
                if indent < 4 && run(c) >= len && trimmed[run(c)..].trim().is_empty() {
                    fence = None;
                }
            }
            None => {
                let opener = ['`', '~'].into_iter().find(|c| indent < 4 && run(*c) >= 3);
                match opener {
                    Some(c) if !(c == '`' && trimmed[run(c)..].contains('`')) => {
                        out.push_str(&rewrite_prose(&prose, &mut rewrite));
                        prose.clear();
                        fence = Some((c, run(c)));
                        out.push_str(line);
                    }
                    _ => prose.push_str(line),
                }
            }
        }
    }
    out.push_str(&rewrite_prose(&prose, &mut rewrite));
    out
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Hides code spans behind placeholders, rewrites, then restores them.
fn rewrite_prose(prose: &str, rewrite: &mut impl FnMut(&str) -> String) -> String {
    if prose.is_empty() {
        return String::new();
    }
    let mut spans: Vec<&str> = Vec::new();
    let mut hidden = String::with_capacity(prose.len());
    let bytes = prose.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
            let after = i + run;
            let closing = find_backtick_run(&prose[after..], run).map(|p| after + p);
            if let Some(close) = closing {
                hidden.push_str(&prose[copied..i]);
                hidden.push(OPEN);
                hidden.push_str(&spans.len().to_string());
                hidden.push(CLOSE);
                spans.push(&prose[i..close + run]);
                i = close + run;
                copied = i;
                continue;
            }
            i = after;
            continue;
        }
        i += 1;
    }
    hidden.push_str(&prose[copied..]);
    if spans.is_empty() {
        return rewrite(prose);
    }
    let rewritten = rewrite(&hidden);
    let mut restored = String::with_capacity(rewritten.len() + prose.len());
    let mut rest = rewritten.as_str();
    while let Some(start) = rest.find(OPEN) {
        restored.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        match after
            .find(CLOSE)
            .and_then(|end| Some((end, after[..end].parse::<usize>().ok()?)))
        {
            Some((end, n)) if n < spans.len() => {
                restored.push_str(spans[n]);
                rest = &after[end + CLOSE.len_utf8()..];
            }
            _ => {
                restored.push(OPEN);
                rest = after;
            }
        }
    }
    restored.push_str(rest);
    restored
}

/// Position of the next run of exactly `len` backticks.
fn find_backtick_run(text: &str, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(text: &str) -> String {
        map_outside_code(text, |s| s.to_uppercase())
    }

    #[test]
    fn fenced_code_and_code_spans_are_left_alone() {
        assert_eq!(upper("a `b` c\n"), "A `b` C\n");
        assert_eq!(
            upper("x\n```sh\nif [[ a ]]\n```\ny\n"),
            "X\n```sh\nif [[ a ]]\n```\nY\n"
        );
        assert_eq!(
            upper("~~~~\nz\n~~~\nstill code\n~~~~\nw"),
            "~~~~\nz\n~~~\nstill code\n~~~~\nW"
        );
        assert_eq!(upper("``a`b`` c"), "``a`b`` C");
        assert_eq!(upper("unclosed ` tick"), "UNCLOSED ` TICK");
    }
}
