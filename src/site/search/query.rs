//! The query language a person types into a search box:
//!
//! - `rust parser`: words; every one must match (in any field, typos tolerated).
//! - `"exact phrase"`: the words in this order.
//! - `-word`, `-"a phrase"`: posts without it.
//! - `tag:rust`, `tag:"machine learning"`: only posts with that tag (as the `tags` filter).
//! - `year:2024`: only posts from that year.
//! - `pars*`: a word that starts so (search-as-you-type; also the last word with
//!   `prefix: true`).
//!
//! Nothing is an error: what does not parse as one of these is read as plain words (an
//! unclosed quote is dropped, `year:soon` is the words `year` and `soon`, a lone `-` or `*`
//! is nothing). Parsing only splits the text; the analyzer decides what a word's terms are.

/// A query, split into its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Words and phrases every hit must contain.
    pub required: Vec<Part>,
    /// Words and phrases no hit may contain.
    pub excluded: Vec<Part>,
    /// `tag:` names, as written.
    pub tags: Vec<String>,
    /// `year:` values.
    pub years: Vec<i32>,
}

/// One word or phrase of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A word as typed (it may still make several terms, e.g. `e-mail`).
    Word {
        text: String,
        /// Matches any word starting with it.
        prefix: bool,
    },
    /// A quoted phrase, without its quotes.
    Phrase(String),
}

impl Part {
    /// The text as typed, without quotes or `*`.
    pub fn text(&self) -> &str {
        match self {
            Part::Word { text, .. } | Part::Phrase(text) => text,
        }
    }
}

impl ParsedQuery {
    /// Parses `query`. With `prefix`, the last word is a prefix unless the query ends in
    /// whitespace (the person finished typing it).
    pub fn parse(query: &str, prefix: bool) -> ParsedQuery {
        let mut parsed = ParsedQuery::default();
        let mut rest = query;
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let (negated, body) = match rest.strip_prefix('-') {
                Some(body) if !body.is_empty() && !body.starts_with(char::is_whitespace) => {
                    (true, body)
                }
                Some(body) => {
                    rest = body;
                    continue;
                }
                None => (false, rest),
            };
            let (part, after) = if let Some(quoted) = body.strip_prefix('"') {
                match quoted.find('"') {
                    Some(end) => (
                        Some(Part::Phrase(quoted[..end].to_string())),
                        &quoted[end + 1..],
                    ),
                    // An unclosed quote: the quote goes, the words stay.
                    None => {
                        rest = quoted;
                        continue;
                    }
                }
            } else {
                let (token, after) = split_token(body);
                match (negated, shorthand(token)) {
                    (false, Some(Shorthand::Tag(tag))) => {
                        parsed.tags.push(tag);
                        (None, after)
                    }
                    (false, Some(Shorthand::QuotedTag)) => {
                        // `tag:"two words"`: the name runs to the closing quote.
                        let quoted = &body["tag:\"".len()..];
                        match quoted.find('"') {
                            Some(end) => {
                                let name = quoted[..end].trim();
                                if !name.is_empty() {
                                    parsed.tags.push(name.to_string());
                                }
                                (None, &quoted[end + 1..])
                            }
                            None => (word(token), after),
                        }
                    }
                    (false, Some(Shorthand::Year(year))) => {
                        parsed.years.push(year);
                        (None, after)
                    }
                    _ => (word(token), after),
                }
            };
            if let Some(part) = part.filter(|p| !p.text().trim().is_empty()) {
                match negated {
                    true => parsed.excluded.push(match part {
                        Part::Word { text, .. } => Part::Word {
                            text,
                            prefix: false,
                        },
                        phrase => phrase,
                    }),
                    false => parsed.required.push(part),
                }
            }
            rest = after;
        }
        if prefix && !query.ends_with(char::is_whitespace) {
            if let Some(Part::Word { prefix, .. }) = parsed.required.last_mut() {
                *prefix = true;
            }
        }
        parsed
    }

    /// Whether the query asks for nothing but filters (or nothing at all): then every post
    /// the filters keep matches.
    pub fn has_no_words(&self) -> bool {
        self.required.is_empty()
    }
}

enum Shorthand {
    Tag(String),
    QuotedTag,
    Year(i32),
}

/// `tag:NAME`, `tag:"…`, `year:YYYY`; anything else (an empty name, a year that is not a
/// number) is not a shorthand.
fn shorthand(token: &str) -> Option<Shorthand> {
    let (key, value) = token.split_once(':')?;
    match key.to_ascii_lowercase().as_str() {
        "tag" if value.starts_with('"') => Some(Shorthand::QuotedTag),
        "tag" if !value.is_empty() => Some(Shorthand::Tag(value.to_string())),
        "year" => value
            .parse::<i32>()
            .ok()
            .filter(|y| (1..=9999).contains(y))
            .map(Shorthand::Year),
        _ => None,
    }
}

/// A word, with a trailing `*` meaning a prefix; `None` for a lone `*`.
fn word(token: &str) -> Option<Part> {
    let text = token.trim_end_matches('*');
    (!text.is_empty()).then(|| Part::Word {
        text: text.to_string(),
        prefix: text.len() < token.len(),
    })
}

/// The text up to the next whitespace, and the rest.
fn split_token(text: &str) -> (&str, &str) {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Part {
        Part::Word {
            text: text.into(),
            prefix: false,
        }
    }

    #[test]
    fn words_phrases_exclusions_and_shorthands() {
        let q = ParsedQuery::parse(
            r#"rust "tile renderer" -draft -"old news" tag:maps TAG:"hand tools" year:2024 pars*"#,
            false,
        );
        assert_eq!(
            q.required,
            vec![
                word("rust"),
                Part::Phrase("tile renderer".into()),
                Part::Word {
                    text: "pars".into(),
                    prefix: true
                }
            ]
        );
        assert_eq!(
            q.excluded,
            vec![word("draft"), Part::Phrase("old news".into())]
        );
        assert_eq!(q.tags, vec!["maps", "hand tools"]);
        assert_eq!(q.years, vec![2024]);
    }

    #[test]
    fn malformed_parts_are_plain_words() {
        let q = ParsedQuery::parse(r#""unclosed quote year:soon tag: - * -"#, false);
        assert_eq!(
            q.required,
            vec![
                word("unclosed"),
                word("quote"),
                word("year:soon"),
                word("tag:")
            ]
        );
        assert!(q.excluded.is_empty() && q.tags.is_empty() && q.years.is_empty());
        let q = ParsedQuery::parse(r#"tag:"never closed"#, false);
        assert_eq!(q.required, vec![word("tag:\"never"), word("closed")]);
        assert!(ParsedQuery::parse("   ", true).has_no_words());
        assert!(ParsedQuery::parse("tag:rust", false).has_no_words());
    }

    #[test]
    fn prefix_applies_to_the_last_word_being_typed() {
        let typing = ParsedQuery::parse("tile rend", true);
        assert_eq!(
            typing.required.last(),
            Some(&Part::Word {
                text: "rend".into(),
                prefix: true
            })
        );
        let finished = ParsedQuery::parse("tile rend ", true);
        assert_eq!(finished.required.last(), Some(&word("rend")));
    }
}
