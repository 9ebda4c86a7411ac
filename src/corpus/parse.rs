//! From a file's bytes to a [`Document`] and its diagnostics. Never panics, whatever the bytes.

use super::date::{file_name_date, in_zone, parse_date};
use super::document::{Document, SyndicationLink};
use super::front_matter::{split, UnclosedFrontMatter};
use super::permalink::{expand, PermalinkParts};
use super::serial::SerialNumber;
use super::site_config::SiteConfig;
use super::{values, yaml};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, SourceKind};
use chrono::{DateTime, NaiveTime, Utc};
use serde_json::{Map, Value};
use std::time::SystemTime;

/// The outcome of parsing one file: a document unless an ERROR stopped it.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub document: Option<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one post file. `modified` is used only when neither front matter nor file name
/// gives a date.
pub fn parse_file(
    file: &SourceFile,
    bytes: &[u8],
    modified: Option<SystemTime>,
    config: &SiteConfig,
) -> ParsedFile {
    let mut diagnostics = Vec::new();
    let document = parse_document(file, bytes, modified, config, &mut diagnostics);
    ParsedFile {
        document,
        diagnostics,
    }
}

fn parse_document(
    file: &SourceFile,
    bytes: &[u8],
    modified: Option<SystemTime>,
    config: &SiteConfig,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let path = file.path.as_str();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let (line, column) = position_of_byte(bytes, err.valid_up_to());
            diagnostics.push(
                Diagnostic::error(path, "not valid UTF-8: save the file as UTF-8")
                    .at(line, Some(column)),
            );
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parts = match split(text) {
        Ok(parts) => parts,
        Err(UnclosedFrontMatter) => {
            diagnostics.push(
                Diagnostic::error(
                    path,
                    "front matter opened with `---` is never closed: add a `---` line after it",
                )
                .at(1, Some(1)),
            );
            return None;
        }
    };
    let yaml_text = parts.yaml.unwrap_or("");
    let own = match yaml::parse_mapping(yaml_text) {
        Ok(map) => map,
        Err(err) => {
            let line = parts.yaml_line + err.line.unwrap_or(1).saturating_sub(1);
            diagnostics.push(
                Diagnostic::error(path, format!("invalid YAML front matter: {}", err.message))
                    .at(line, err.column),
            );
            return None;
        }
    };
    let key_lines = key_lines(&own, yaml_text, parts.yaml_line);
    let key_line = |key: &str| key_lines.iter().find(|(k, _)| k == key).map(|(_, l)| *l);
    let locate = |d: Diagnostic, key: &str| match key_line(key) {
        Some(line) => d.at(line, Some(1)),
        None => d,
    };

    // Defaults from _config.yml first, the file's own keys over them.
    let defaults = config.defaults_for(path, file.kind);
    let mut fields = defaults.clone();
    for (k, v) in &own {
        fields.insert(k.clone(), v.clone());
    }
    let get = |key: &str| fields.get(key).unwrap_or(&Value::Null);
    let raw = |key: &str| yaml::raw_top_level_scalar(yaml_text, key);

    let stem = file_stem(file.file_name());
    let name_date = file_name_date(stem);
    let file_slug = name_date.map_or(stem, |(_, rest)| rest);
    let slug = values::text(get("slug"), raw("slug")).unwrap_or_else(|| file_slug.to_string());

    let date = match get("date") {
        Value::Null => match name_date {
            Some((day, _)) => in_zone(day.and_time(NaiveTime::MIN), config.timezone),
            None => {
                let when: DateTime<Utc> = modified.map_or_else(Utc::now, DateTime::<Utc>::from);
                // Jekyll dates undated drafts by their modification time: only posts warn.
                if file.kind == SourceKind::Post {
                    diagnostics.push(Diagnostic::warning(
                        path,
                        "no date in front matter or file name (YYYY-MM-DD-title.md); using the file's modification time",
                    ));
                }
                when.fixed_offset()
            }
        },
        value => {
            let written = values::text(value, raw("date")).unwrap_or_default();
            match (parse_date(&written, config.timezone), name_date) {
                (Ok(date), _) => date,
                // Jekyll would have refused the file; the reader is better served by the post
                // with the date its name gives.
                (Err(message), Some((day, _))) => {
                    diagnostics.push(locate(
                        Diagnostic::warning(
                            path,
                            format!("{message}; using the date in the file name instead"),
                        ),
                        "date",
                    ));
                    in_zone(day.and_time(NaiveTime::MIN), config.timezone)
                }
                (Err(message), None) => {
                    diagnostics.push(locate(Diagnostic::error(path, message), "date"));
                    return None;
                }
            }
        }
    };
    let local_date = match config.timezone {
        Some(tz) => date.with_timezone(&tz).naive_local(),
        None => date.naive_utc(),
    };

    let updated = ["last_modified_at", "updated", "modified"]
        .iter()
        .find_map(|key| {
            let written = values::text(get(key), raw(key))?;
            match parse_date(&written, config.timezone) {
                Ok(d) => Some(d),
                Err(message) => {
                    diagnostics.push(locate(
                        Diagnostic::warning(path, format!("{message}; `{key}` ignored")),
                        key,
                    ));
                    None
                }
            }
        });

    let title = match values::text(get("title"), raw("title")) {
        Some(title) => title,
        None => {
            let derived = titleize(&slug);
            diagnostics.push(Diagnostic::warning(
                path,
                format!("no title in front matter; using \"{derived}\" from the file name"),
            ));
            derived
        }
    };

    let mut categories: Vec<String> = file.categories.clone();
    categories.extend(values::word_list(get("categories")));
    categories.extend(values::word_list(get("category")));
    dedup_case_insensitive(&mut categories);

    let mut tags = values::word_list(get("tags"));
    tags.extend(values::word_list(get("tag")));
    dedup_case_insensitive(&mut tags);

    let published = match get("published") {
        Value::Null => true,
        value => values::boolean(value).unwrap_or_else(|| {
            diagnostics.push(locate(
                Diagnostic::warning(
                    path,
                    "`published` should be true or false; treating the post as published",
                ),
                "published",
            ));
            true
        }),
    };

    let template = values::text(get("permalink"), None).unwrap_or_else(|| config.permalink.clone());
    let permalink = expand(
        &template,
        &PermalinkParts {
            categories: &categories,
            slug: &slug,
            date: local_date,
        },
    );

    let syndication = syndication_links(&fields);

    Some(Document {
        source_path: file.path.clone(),
        kind: file.kind,
        title,
        date,
        local_date,
        updated,
        slug,
        categories,
        tags,
        description: values::text(get("description"), raw("description")),
        image: image_url(get("image")),
        layout: values::text(get("layout"), None),
        serial_number: values::text(get("serial_number"), raw("serial_number"))
            .map(|s| SerialNumber::parse(&s)),
        published,
        has_toc: values::boolean(get("toc")).unwrap_or(false),
        permalink,
        aliases: values::string_list(get("redirect_from")),
        syndication,
        front_matter: own,
        defaults,
        body: parts.body.to_string(),
        body_line: parts.body_line,
        excerpt_separator: match get("excerpt_separator") {
            Value::String(s) => Some(s.clone()),
            _ => None,
        },
        key_lines,
        revision: crate::source::revision_of(bytes),
    })
}

/// The file line of each top-level key of `own` (in `own`'s order; keys not found written
/// plainly at the start of a line, such as quoted ones, are left out): the first line that
/// starts with the key followed by optional blanks and `:`, the key ending at the line's
/// first `:` or at its first `:` followed by a blank (`a:b: 1`). One pass over the lines
/// (a front matter of 50,000 keys must not mean 50,000 passes).
fn key_lines(own: &Map<String, Value>, yaml_text: &str, first_line: u32) -> Vec<(String, u32)> {
    let mut found: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for (i, line) in yaml_text.lines().enumerate() {
        let first = line.find(':');
        let spaced = line
            .match_indices(':')
            .map(|(at, _)| at)
            .find(|at| line[at + 1..].is_empty() || line[at + 1..].starts_with([' ', '\t']));
        for colon in [first, spaced].into_iter().flatten() {
            let key = line[..colon].trim_end_matches([' ', '\t']);
            if !key.is_empty() && own.contains_key(key) {
                found.entry(key).or_insert(first_line + i as u32);
            }
        }
    }
    own.keys()
        .filter_map(|key| Some((key.clone(), *found.get(key.as_str())?)))
        .collect()
}

/// `image: /a.png`, or the `path`/`url` of an image map as some themes write it.
fn image_url(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => ["path", "url", "src"]
            .iter()
            .find_map(|k| map.get(*k).and_then(values::url)),
        other => values::url(other),
    }
}

/// `*_status_url` keys and a `syndication` list or map; `false` and empty values skipped.
fn syndication_links(fields: &Map<String, Value>) -> Vec<SyndicationLink> {
    let mut links = Vec::new();
    for (key, value) in fields {
        if let Some(network) = key.strip_suffix("_status_url") {
            if let Some(url) = values::url(value) {
                links.push(SyndicationLink {
                    network: network.to_string(),
                    url,
                });
            }
        }
    }
    match fields.get("syndication") {
        Some(Value::Object(map)) => {
            for (network, value) in map {
                if let Some(url) = values::url(value) {
                    links.push(SyndicationLink {
                        network: network.clone(),
                        url,
                    });
                }
            }
        }
        Some(value) => {
            for url in values::string_list(value) {
                if values::url(&Value::String(url.clone())).is_some() {
                    links.push(SyndicationLink {
                        network: super::site_url::parse_absolute(&url)
                            .and_then(|u| super::site_url::domain_of(&u))
                            .unwrap_or_else(|| "web".to_owned()),
                        url,
                    });
                }
            }
        }
        None => {}
    }
    links
}

fn file_stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// `untitled-thoughts` → `Untitled Thoughts` (Jekyll's `titleize_slug`).
fn titleize(slug: &str) -> String {
    slug.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn dedup_case_insensitive(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(item.to_lowercase()));
}

/// 1-based line and column of a byte offset.
fn position_of_byte(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use std::path::PathBuf;

    fn post(path: &str) -> SourceFile {
        SourceFile {
            path: path.to_string(),
            abs_path: PathBuf::from(path),
            kind: SourceKind::Post,
            categories: vec!["blog".into()],
        }
    }

    fn parse(path: &str, text: &str) -> ParsedFile {
        parse_file(&post(path), text.as_bytes(), None, &SiteConfig::default())
    }

    #[test]
    fn reads_a_typical_jekyll_post() {
        let parsed = parse(
            "blog/_posts/2025-08-07-im-more-optimistic.md",
            "---\ntitle: I'm more optimistic\ndate: '2025-08-07 02:54:48 +0000'\ntags: llm ai\nserial_number: 2025.BLG.124\ntoc: true\nmastodon_social_status_url: https://mastodon.social/@j/1\nbluesky_status_url: false\nredirect_from:\n  - /old/\n---\nBody text\n",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let doc = parsed.document.expect("loaded");
        assert_eq!(doc.title, "I'm more optimistic");
        assert_eq!(doc.date.to_rfc3339(), "2025-08-07T02:54:48+00:00");
        assert_eq!(doc.slug, "im-more-optimistic");
        assert_eq!(doc.tags, ["llm", "ai"]);
        assert_eq!(doc.categories, ["blog"]);
        assert_eq!(doc.serial_number.map(|s| s.number), Some(Some(124)));
        assert!(doc.has_toc);
        assert_eq!(doc.permalink, "/blog/2025/08/07/im-more-optimistic.html");
        assert_eq!(doc.aliases, ["/old/"]);
        assert_eq!(
            doc.syndication,
            [SyndicationLink {
                network: "mastodon_social".into(),
                url: "https://mastodon.social/@j/1".into()
            }]
        );
        assert_eq!(doc.body, "Body text\n");
        assert_eq!(doc.body_line, 12);
        let keys: Vec<&str> = doc.front_matter.keys().map(String::as_str).collect();
        assert_eq!(keys[..3], ["title", "date", "tags"]);
    }

    #[test]
    fn yaml_errors_point_at_the_file_line() {
        let parsed = parse(
            "_posts/2024-01-01-x.md",
            "---\ntitle: ok\ntags: [a, b\nx: 1\n---\n",
        );
        assert!(parsed.document.is_none());
        let d = &parsed.diagnostics[0];
        assert_eq!(d.severity, Severity::Error);
        assert!(d.line.is_some_and(|l| (3..=5).contains(&l)), "{d}");
        assert!(d.message.starts_with("invalid YAML front matter"), "{d}");
    }

    #[test]
    fn bad_date_is_an_error_on_the_date_line() {
        let parsed = parse(
            "_posts/x.md",
            "---\ntitle: x\ndate: 2024-13-45 99:00\n---\n",
        );
        assert!(parsed.document.is_none());
        assert_eq!(parsed.diagnostics[0].line, Some(3));
        assert!(parsed.diagnostics[0].message.contains("2024-13-45"));
    }

    #[test]
    fn bad_date_with_a_dated_file_name_is_a_warning_and_the_post_loads() {
        let parsed = parse(
            "_posts/2024-01-01-x.md",
            "---\ntitle: x\ndate: 2024-13-45 99:00\n---\n",
        );
        let doc = parsed.document.expect("loaded with the file name's date");
        assert_eq!(doc.date.to_rfc3339(), "2024-01-01T00:00:00+00:00");
        let d = &parsed.diagnostics[0];
        assert_eq!((d.severity, d.line), (Severity::Warning, Some(3)));
        assert!(
            d.message.contains("2024-13-45") && d.message.contains("file name"),
            "{d}"
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let bytes = b"---\ntitle: x\n---\nok\nbad \xff here\n";
        let parsed = parse_file(&post("_posts/a.md"), bytes, None, &SiteConfig::default());
        assert!(parsed.document.is_none());
        assert_eq!(parsed.diagnostics[0].line, Some(5));
        assert_eq!(parsed.diagnostics[0].column, Some(5));
    }

    #[test]
    fn missing_title_and_date_are_warnings() {
        let parsed = parse("essays/why-maps.md", "No front matter at all.\n");
        let doc = parsed.document.expect("loaded");
        assert_eq!(doc.title, "Why Maps");
        assert_eq!(parsed.diagnostics.len(), 2);
        assert!(parsed
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn numbers_booleans_and_false_urls() {
        let parsed = parse(
            "_posts/2024-01-01-x.md",
            "---\ntitle: 1.10\ndescription:\nimage: false\ntoc: yes\npublished: no\n---\n",
        );
        let doc = parsed.document.expect("loaded");
        assert_eq!(doc.title, "1.10");
        assert_eq!(doc.description, None);
        assert_eq!(doc.image, None);
        assert!(doc.has_toc);
        assert!(!doc.published);
    }

    #[test]
    fn never_panics_on_odd_front_matter() {
        for text in [
            "---\n- a\n---\n",
            "---\n---",
            "---\n: :\n---\n",
            "\u{feff}---\ntitle: x\n---\n",
            "---\r\ntitle: x\r\n---\r\n",
        ] {
            let _ = parse("_posts/x.md", text);
        }
    }
}
