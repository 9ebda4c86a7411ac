//! A post's searchable text, straight from its Markdown source: no Liquid, no Markdown pass,
//! so the index never waits for rendering. Headings are picked out; the body keeps its prose
//! and inline code, and drops what a reader does not read as text: fenced code blocks, link
//! and image targets, HTML tags and comments, Liquid tags and output, kramdown attribute
//! lists, character references, link reference definitions, and the emphasis, code and
//! bracket characters around text.

/// What the index reads of one post's body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostText {
    /// ATX headings (`## Like this`), their text only, in document order.
    pub headings: Vec<String>,
    /// Everything else that reads as prose, a line per source line kept.
    pub body: String,
    /// Where `body` stopped early ([`post_text_within`]): the byte offset in the Markdown of
    /// the first prose line not taken, outside any code block, so `post_text` of the
    /// Markdown from there gives the rest of the body.
    pub rest: Option<usize>,
}

/// Splits a Markdown body into headings and prose (see the module documentation).
pub fn post_text(markdown: &str) -> PostText {
    post_text_within(markdown, usize::MAX)
}

/// [`post_text`], but reading stops at the first prose line after the body reached
/// `body_limit` bytes (`rest` says where), headings included: the headings and body of the
/// rest are those of `post_text(&markdown[rest..])`. What a highlight reads of a long post,
/// a part at a time, until a part matches.
pub fn post_text_within(markdown: &str, body_limit: usize) -> PostText {
    let mut rest = None;
    let mut text = read_post_text(markdown, body_limit, |body, offset| {
        if body.len() >= body_limit {
            rest = Some(offset);
        }
        rest.is_some()
    });
    text.rest = rest;
    text
}

/// A place in a post's body to start reading it from ([`post_text_within`] of the Markdown
/// from `offset`): a prose line outside any code block, whose first word is word `position`
/// of the body as the index's analyzers split it (tantivy's token position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyMark {
    pub position: u32,
    pub offset: u32,
}

/// [`post_text`], with a [`BodyMark`] at the first prose line after every `every` bytes of
/// body text: from the position of a word the index found, a highlight finds where to start
/// reading without reading the body before it.
pub fn post_text_marked(markdown: &str, every: usize) -> (PostText, Vec<BodyMark>) {
    let every = every.max(1);
    let mut marks = Vec::new();
    // Words in the body up to `counted` bytes, where the last mark is.
    let mut words = 0usize;
    let mut counted = 0;
    let text = read_post_text(markdown, usize::MAX, |body, offset| {
        if body.len() >= counted + every {
            // Both at line starts: a word never spans a line break.
            words += super::highlight::count_words(&body[counted..]);
            counted = body.len();
            if let (Ok(position), Ok(offset)) = (u32::try_from(words), u32::try_from(offset)) {
                marks.push(BodyMark { position, offset });
            }
        }
        false
    });
    (text, marks)
}

/// Reads `markdown` into its headings and prose; before each prose line (outside code
/// blocks, not a heading or reference definition), `stop_before(body so far, the line's
/// offset in the Markdown)` says whether to stop there.
fn read_post_text(
    markdown: &str,
    capacity_limit: usize,
    mut stop_before: impl FnMut(&str, usize) -> bool,
) -> PostText {
    let mut text = PostText {
        headings: Vec::new(),
        body: String::with_capacity(markdown.len().min(capacity_limit.saturating_add(256))),
        rest: None,
    };
    // The fence character and run length of the open fenced code block, if any.
    let mut fence: Option<(char, usize)> = None;
    for line in lines(markdown) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let run = |c: char| trimmed.chars().take_while(|x| *x == c).count();
        if let Some((c, len)) = fence {
            if indent < 4 && run(c) >= len && trimmed[run(c)..].trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if indent < 4 {
            if let Some(c) = ['`', '~'].into_iter().find(|c| run(*c) >= 3) {
                // A backtick fence's info string may not contain a backtick (else it is
                // inline code on one line).
                if !(c == '`' && trimmed[run(c)..].contains('`')) {
                    fence = Some((c, run(c)));
                    continue;
                }
            }
            if let Some(heading) = atx_heading(trimmed) {
                let cleaned = clean_inline(heading);
                let cleaned = cleaned.trim();
                if !cleaned.is_empty() {
                    text.headings.push(cleaned.to_string());
                }
                continue;
            }
            if is_reference_definition(trimmed) {
                continue;
            }
        }
        // A line of `markdown` (from `lines`), so its address is within it.
        if stop_before(
            &text.body,
            line.as_ptr() as usize - markdown.as_ptr() as usize,
        ) {
            break;
        }
        let start = text.body.len();
        clean_inline_into(line, &mut text.body);
        let kept = text.body[start..].trim_end().len();
        let blank = text.body[start..start + kept].trim_start().is_empty();
        text.body.truncate(if blank { start } else { start + kept });
        text.body.push('\n');
    }
    text
}

/// The lines of `text` as [`str::lines`] gives them (without `\n` or `\r\n`), its line
/// breaks found by `memchr`'s SIMD search: a post's lines are short, and finding each one's
/// end was a good part of reading a hit's text.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut starts = 0;
    let mut breaks = memchr::memchr_iter(b'\n', text.as_bytes());
    std::iter::from_fn(move || {
        if starts >= text.len() {
            return None;
        }
        let line = match breaks.next() {
            Some(end) => {
                let line = &text[starts..end];
                starts = end + 1;
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => {
                let line = &text[starts..];
                starts = text.len();
                line
            }
        };
        Some(line)
    })
}

/// The text of an ATX heading line (`### Title ###` → `Title`), without a trailing
/// `{#id}` attribute list.
fn atx_heading(line: &str) -> Option<&str> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    let rest = match rest.rfind('{') {
        Some(at) if rest.ends_with('}') => rest[..at].trim_end(),
        _ => rest,
    };
    let without_closing = rest.trim_end_matches('#');
    // A closing run of `#` counts only after a space (`# C#` keeps its `#`).
    let rest = if without_closing.is_empty() || without_closing.ends_with([' ', '\t']) {
        without_closing.trim_end()
    } else {
        rest
    };
    Some(rest)
}

/// `[label]: https://…` on a line of its own.
fn is_reference_definition(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    match rest.find("]:") {
        Some(at) => !rest[..at].is_empty() && !rest[..at].contains('['),
        None => false,
    }
}

/// One line of prose with markup that is not text removed (each removal leaves a space, so
/// words on either side stay apart).
fn clean_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    clean_inline_into(line, &mut out);
    out
}

/// The bytes at which markup may start: every other byte is copied as it is, a run at a time.
const MARKUP_START: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let bytes = b"{<]&*`[!";
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

/// [`clean_inline`], appending to `out`.
fn clean_inline_into(line: &str, out: &mut String) {
    let bytes = line.as_bytes();
    // Text from `copied` to `i` is kept and not yet copied. Markup starts at an ASCII byte
    // and every skip ends after an ASCII byte, so both are always at character boundaries.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !MARKUP_START[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        let rest = &line[i..];
        let skip_to = |close: &str, from: usize| rest[from..].find(close).map(|at| from + at);
        let skipped = match bytes[i] {
            // Liquid tags and output.
            b'{' if rest.starts_with("{%") => skip_to("%}", 2).map(|at| at + 2),
            b'{' if rest.starts_with("{{") => skip_to("}}", 2).map(|at| at + 2),
            // kramdown attribute lists: `{: .class}`, `{:.class}`, `{#id}`.
            b'{' if rest.starts_with("{:") || rest.starts_with("{#") => {
                skip_to("}", 1).map(|at| at + 1)
            }
            // HTML comments, tags and autolinks.
            b'<' if rest.starts_with("<!--") => {
                Some(skip_to("-->", 4).map_or(rest.len(), |at| at + 3))
            }
            b'<' if rest[1..]
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') =>
            {
                skip_to(">", 1).map(|at| at + 1)
            }
            // A link or image target: `](…)`; the label before it stays.
            b']' if rest.starts_with("](") => skip_to(")", 2).map(|at| at + 1),
            // Character references: `&amp;`, `&#8212;`, `&#x2014;`.
            b'&' => {
                let name = rest[1..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
                    .count();
                (name > 0 && rest[1 + name..].starts_with(';')).then_some(name + 2)
            }
            // Emphasis, code and link brackets: markup around text, dropped without a gap.
            b'*' | b'`' | b'[' | b']' => Some(0),
            b'!' if rest.starts_with("![") => Some(0),
            _ => None,
        };
        match skipped {
            // Not markup: the byte is text.
            None => i += 1,
            Some(len) => {
                out.push_str(&line[copied..i]);
                if len == 0 {
                    i += 1;
                } else {
                    out.push(' ');
                    i += len;
                }
                copied = i;
            }
        }
    }
    out.push_str(&line[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_picked_out_and_code_blocks_dropped() {
        let text = post_text(
            "Intro line.\n\n## Getting *started* {#start}\n\n```rust\nfn hidden() {}\n```\n\n### C# ###\nAfter `inline code`.\n",
        );
        assert_eq!(text.headings, vec!["Getting started", "C#"]);
        assert!(text.body.contains("Intro line."));
        assert!(text.body.contains("After inline code."));
        assert!(!text.body.contains("hidden"), "{}", text.body);
        assert!(!text.body.contains("Getting"));
    }

    #[test]
    fn markup_that_is_not_text_goes() {
        let text = post_text(
            "See [the docs](https://example.org/very/long-path) and <a href=\"x\">this</a>.\n\
             {% include note.html %} {{ page.title }} &amp; done{: .wide}\n\
             [ref]: https://example.org/ref\n<!-- a comment -->a < b",
        );
        let body = text.body;
        assert!(body.contains("See the docs"), "{body}");
        assert!(!body.contains("example.org"), "{body}");
        assert!(!body.contains("href"), "{body}");
        assert!(body.contains("this"), "{body}");
        assert!(
            !body.contains("include") && !body.contains("page.title"),
            "{body}"
        );
        assert!(!body.contains("amp") && body.contains("done"), "{body}");
        assert!(!body.contains("wide"), "{body}");
        assert!(
            !body.contains("comment") && body.contains("a < b"),
            "{body}"
        );
    }

    #[test]
    fn text_around_markup_is_kept_byte_for_byte() {
        let text =
            post_text("Café – naïve ![a *ünï* image](x.png) & „quotes“ {: .x} 日本語 `x`!\n");
        assert_eq!(
            text.body,
            "Café – naïve a ünï image  & „quotes“   日本語 x!\n"
        );
        assert_eq!(post_text("   \n<b>\n").body, "\n\n");
    }

    #[test]
    fn a_limited_body_stops_early_and_the_rest_reads_on_from_there() {
        let markdown = "First line of prose.\n## Early\nSecond line.\nThird line.\n\n### Late heading\nLast line.\n";
        let whole = post_text(markdown);
        assert!(whole.rest.is_none());
        let cut = post_text_within(markdown, 10);
        let rest = cut.rest.expect("cut");
        assert_eq!(cut.body, "First line of prose.\n");
        // The rest of the body is the Markdown's from where it stopped.
        assert!(markdown[rest..].starts_with("Second line."));
        assert_eq!(
            cut.body.clone() + &post_text(&markdown[rest..]).body,
            whole.body
        );
        // Headings too: those read before it stopped, then those of the rest.
        assert_eq!(cut.headings, vec!["Early"]);
        let rest_text = post_text(&markdown[rest..]);
        assert_eq!(rest_text.headings, vec!["Late heading"]);
        assert_eq!([cut.headings, rest_text.headings].concat(), whole.headings);
        // A limit the body never reaches changes nothing.
        assert_eq!(post_text_within(markdown, whole.body.len() + 1), whole);
    }

    #[test]
    fn unclosed_constructs_keep_their_text() {
        let text = post_text("An [unclosed](link and {% tag and <b unclosed");
        assert!(text.body.contains("link and"));
        assert!(text.body.contains("unclosed"));
        let fenced = post_text("```\nnever closed\n");
        assert!(!fenced.body.contains("never"));
    }

    /// The words of `text` as the index's analyzers split them.
    fn words(text: &str) -> usize {
        use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};
        let mut tokenizer = SimpleTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut count = 0;
        while stream.advance() {
            count += 1;
        }
        count
    }

    #[test]
    fn marks_fall_on_prose_lines_every_so_often() {
        let prose = "Some prose with seven words in it.\n";
        let markdown = format!(
            "{}```\ncode {{ inside }}\n```\n## A heading\n{}",
            prose.repeat(20),
            prose.repeat(20)
        );
        let (text, marks) = post_text_marked(&markdown, 100);
        assert_eq!(text, post_text(&markdown));
        // About every 100 bytes of a 1,400-byte body, never inside the code block.
        assert!((10..=14).contains(&marks.len()), "{marks:?}");
        for mark in &marks {
            let from = &markdown[mark.offset as usize..];
            assert!(from.starts_with("Some prose"), "{from}");
        }
        assert!(marks.windows(2).all(|w| w[0].position < w[1].position));
    }

    proptest::proptest! {
        /// Reading from a mark gives the rest of the body, and the mark's position is the
        /// number of words before it.
        #[test]
        fn a_mark_is_where_the_rest_of_the_body_starts(
            lines in proptest::collection::vec(
                "(```|~~~|## [a-z ]{0,12}|\\[r\\]: x|    indented code|[a-zé{}<>`*&;]{0,3}[ a-zé0-9.,-]{0,40}|)",
                0..60,
            ),
            every in 1usize..200,
        ) {
            let markdown = lines.join("\n");
            let (text, marks) = post_text_marked(&markdown, every);
            proptest::prop_assert_eq!(&text, &post_text(&markdown));
            for mark in marks {
                let rest = post_text(&markdown[mark.offset as usize..]).body;
                proptest::prop_assert!(text.body.ends_with(&rest), "{:?} / {:?}", text.body, rest);
                let before = &text.body[..text.body.len() - rest.len()];
                proptest::prop_assert_eq!(mark.position as usize, words(before));
            }
        }

        #[test]
        fn lines_are_those_of_str_lines(text in "(a|b\\r|\\n|\\r\\n|\\r|é|  )*") {
            proptest::prop_assert_eq!(
                lines(&text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>()
            );
        }
    }
}
