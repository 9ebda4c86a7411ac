//! Fenced code blocks in Markdown: which lines are code. One rule for everything that
//! reads Markdown source before (or instead of) the Markdown pass, so the word count, the
//! rewrites of Jekyll syntax and the rendered HTML agree on what is code.

/// What a line of Markdown is, as far as fenced code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// Outside fenced code.
    Text,
    /// The fence that opens a code block.
    Opening,
    /// Inside a code block.
    Code,
    /// The fence that closes a code block.
    Closing,
}

/// Follows fenced code blocks line by line, by CommonMark's rules: a run of at least three
/// backticks or tildes, indented less than four spaces, opens a block (a backtick fence's
/// info string may not contain a backtick: `` ```x``` `` is a code span); a run of the same
/// character at least as long, indented less than four spaces and followed by nothing but
/// spaces, closes it; a block left open runs to the end of the text. Fences inside block
/// quotes and list items, and indented code blocks, are not followed.
#[derive(Debug, Clone, Default)]
pub struct Fences {
    /// The open fence's character and length.
    open: Option<(char, usize)>,
}

impl Fences {
    /// Classifies the next line (with or without its line ending).
    pub fn line(&mut self, line: &str) -> Line {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let run = |c: char| trimmed.chars().take_while(|x| *x == c).count();
        match self.open {
            Some((c, len)) => {
                if indent < 4 && run(c) >= len && trimmed[run(c)..].trim().is_empty() {
                    self.open = None;
                    Line::Closing
                } else {
                    Line::Code
                }
            }
            None => {
                let opener = ['`', '~'].into_iter().find(|c| indent < 4 && run(*c) >= 3);
                match opener {
                    Some(c) if !(c == '`' && trimmed[run(c)..].contains('`')) => {
                        self.open = Some((c, run(c)));
                        Line::Opening
                    }
                    _ => Line::Text,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Line> {
        let mut fences = Fences::default();
        text.lines().map(|l| fences.line(l)).collect()
    }

    #[test]
    fn a_fence_closes_only_with_a_run_as_long_of_its_character() {
        use Line::*;
        assert_eq!(
            kinds("a\n```sh\nx\n```\nb"),
            [Text, Opening, Code, Closing, Text]
        );
        assert_eq!(
            kinds("~~~~\nz\n~~~\nstill code\n```\n~~~~\nw"),
            [Opening, Code, Code, Code, Code, Closing, Text]
        );
        assert_eq!(
            kinds("```\n``` not a closing fence\n```"),
            [Opening, Code, Closing]
        );
    }

    #[test]
    fn code_spans_and_indented_runs_are_not_fences() {
        use Line::*;
        assert_eq!(kinds("```x``` y\nz"), [Text, Text]);
        assert_eq!(kinds("    ```\nz"), [Text, Text]);
        assert_eq!(kinds("   ~~~ info `ok`\nz"), [Opening, Code]);
    }
}
