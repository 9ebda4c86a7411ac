//! The site's `_config.yml`: what inkgraph needs of it, plus the whole map for templates.

use super::{values, yaml, SiteUrl};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceKind, CONFIG_FILE};
use chrono_tz::Tz;
use serde_json::{Map, Value};

/// Jekyll's default excerpt separator: the first paragraph break.
pub const DEFAULT_EXCERPT_SEPARATOR: &str = "\n\n";

/// Site-wide settings from `_config.yml`, with Jekyll's defaults where a key is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Where the site is published: `url` (scheme and host, `https://example.org`) and
    /// `baseurl` (its sub-path, `/blog`), and every rule about which URLs are the site's.
    pub site: SiteUrl,
    /// Permalink template or style for posts (Jekyll's default is `date`).
    pub permalink: String,
    /// Zone of dates written without an offset.
    pub timezone: Option<Tz>,
    pub defaults: Vec<ScopedDefaults>,
    pub exclude: Vec<String>,
    pub excerpt_separator: String,
    /// Every key of the file, as parsed.
    pub data: Map<String, Value>,
}

/// One entry of `defaults:`: front-matter values for the files in a scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedDefaults {
    /// Root-relative path prefix; empty means every file.
    pub path: String,
    /// `posts` or `drafts`; `None` means any type.
    pub kind: Option<String>,
    pub values: Map<String, Value>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: None,
            description: None,
            site: SiteUrl::default(),
            permalink: "date".to_string(),
            timezone: None,
            defaults: Vec::new(),
            exclude: Vec::new(),
            excerpt_separator: DEFAULT_EXCERPT_SEPARATOR.to_string(),
            data: Map::new(),
        }
    }
}

impl SiteConfig {
    /// Reads `_config.yml`. Problems become diagnostics and the defaults stand in.
    pub fn parse(bytes: &[u8]) -> (SiteConfig, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.trim_start_matches('\u{feff}'),
            Err(err) => {
                diagnostics.push(Diagnostic::error(
                    CONFIG_FILE,
                    format!(
                        "not valid UTF-8 (at byte {}); using default settings",
                        err.valid_up_to()
                    ),
                ));
                return (SiteConfig::default(), diagnostics);
            }
        };
        let data = match yaml::parse_mapping(text) {
            Ok(data) => data,
            Err(err) => {
                let mut d = Diagnostic::error(
                    CONFIG_FILE,
                    format!("invalid YAML: {}; using default settings", err.message),
                );
                if let Some(line) = err.line {
                    d = d.at(line, err.column);
                }
                diagnostics.push(d);
                return (SiteConfig::default(), diagnostics);
            }
        };
        let mut config = SiteConfig::default();
        let get = |key: &str| data.get(key).unwrap_or(&Value::Null);
        config.title = values::text(get("title"), None);
        config.description = values::text(get("description"), None);
        config.site = SiteUrl::new(
            values::url(get("url")).as_deref(),
            values::url(get("baseurl")).as_deref().unwrap_or(""),
        );
        if let Some(permalink) = values::text(get("permalink"), None) {
            config.permalink = permalink;
        }
        // Jekyll: the posts collection's own `permalink` wins over the site's.
        if let Some(permalink) = get("collections")
            .get("posts")
            .and_then(|posts| posts.get("permalink"))
            .and_then(|p| values::text(p, None))
        {
            config.permalink = permalink;
        }
        if let Some(zone) = values::text(get("timezone"), None) {
            match zone.parse::<Tz>() {
                Ok(tz) => config.timezone = Some(tz),
                Err(_) => diagnostics.push(Diagnostic::warning(
                    CONFIG_FILE,
                    format!("unknown timezone `{zone}` (expected an IANA name such as Europe/Berlin); dates without an offset are read as UTC"),
                )),
            }
        }
        config.exclude = values::string_list(get("exclude"));
        if let Value::String(separator) = get("excerpt_separator") {
            config.excerpt_separator = separator.clone();
        }
        config.defaults = parse_defaults(get("defaults"));
        config.data = data;
        (config, diagnostics)
    }

    /// `url` + `baseurl`, when the site's url is known.
    pub fn site_url(&self) -> Option<String> {
        self.site.root_url()
    }

    /// The front-matter defaults that apply to a file, least specific first, merged into one
    /// map (Jekyll: a longer scope path, then a scope with a type, takes precedence).
    pub fn defaults_for(&self, path: &str, kind: SourceKind) -> Map<String, Value> {
        let mut scopes: Vec<&ScopedDefaults> = self
            .defaults
            .iter()
            .filter(|d| d.applies_to(path, kind))
            .collect();
        // Jekyll: a scope with more path segments wins, then one with a type.
        scopes.sort_by_key(|d| {
            (
                d.path
                    .trim_end_matches('/')
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .count(),
                d.kind.is_some(),
            )
        });
        let mut merged = Map::new();
        for scope in scopes {
            for (k, v) in &scope.values {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
    }
}

impl ScopedDefaults {
    /// Jekyll's `applies?`: the scope's `path` is the file's path or one of its folders (a
    /// path with `*` is a glob, matched against the file and each of its folders), and its
    /// `type` is the file's collection (`posts`, which holds drafts too, or `drafts`).
    fn applies_to(&self, path: &str, kind: SourceKind) -> bool {
        let kind_matches = match self.kind.as_deref() {
            None => true,
            Some("posts" | "post") => true,
            Some("drafts" | "draft") => kind == SourceKind::Draft,
            Some(_) => false,
        };
        kind_matches && self.path_matches(path)
    }

    fn path_matches(&self, path: &str) -> bool {
        let scope = self.path.trim_end_matches('/');
        if scope.is_empty() {
            return true;
        }
        let mut ancestors =
            std::iter::successors(Some(path), |p| p.rsplit_once('/').map(|(a, _)| a));
        if !scope.contains('*') {
            return ancestors.any(|a| a == scope);
        }
        let Ok(glob) = globset::GlobBuilder::new(scope)
            .literal_separator(true)
            .build()
        else {
            return false;
        };
        let matcher = glob.compile_matcher();
        ancestors.any(|a| matcher.is_match(a))
    }
}

fn parse_defaults(value: &Value) -> Vec<ScopedDefaults> {
    let Value::Array(entries) = value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let scope = entry.get("scope").unwrap_or(&Value::Null);
            let values = entry.get("values")?.as_object()?.clone();
            Some(ScopedDefaults {
                path: scope
                    .get("path")
                    .and_then(|p| values::text(p, None))
                    .unwrap_or_default()
                    .trim_start_matches("./")
                    .trim_start_matches('/')
                    .to_string(),
                kind: scope.get("type").and_then(|t| values::text(t, None)),
                values,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
title: From the Desk
url: "https://www.example.org/"
baseurl: ""
timezone: America/New_York
excerpt_separator: <!--more-->
exclude:
  - README.md
  - utilities/
defaults:
  - scope:
      path: ""
      type: posts
    values:
      layout: Post
      permalink: /:categories/:title
  - scope:
      path: notes
    values:
      layout: Note
"#;

    #[test]
    fn reads_the_keys_inkgraph_uses() {
        let (config, diagnostics) = SiteConfig::parse(CONFIG.as_bytes());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(config.title.as_deref(), Some("From the Desk"));
        assert_eq!(
            config.site_url().as_deref(),
            Some("https://www.example.org")
        );
        assert_eq!(config.timezone.map(|t| t.name()), Some("America/New_York"));
        assert_eq!(config.exclude, ["README.md", "utilities/"]);
        assert_eq!(config.excerpt_separator, "<!--more-->");
        assert_eq!(config.permalink, "date");
    }

    #[test]
    fn more_specific_defaults_win() {
        let (config, _) = SiteConfig::parse(CONFIG.as_bytes());
        let blog = config.defaults_for("blog/_posts/a.md", SourceKind::Post);
        assert_eq!(blog["layout"], "Post");
        assert_eq!(blog["permalink"], "/:categories/:title");
        let note = config.defaults_for("notes/_posts/a.md", SourceKind::Post);
        assert_eq!(note["layout"], "Note");
        assert_eq!(note["permalink"], "/:categories/:title");
    }

    #[test]
    fn bad_config_is_an_error_with_defaults_standing_in() {
        let (config, diagnostics) = SiteConfig::parse(b"title: [oops\n");
        assert_eq!(config, SiteConfig::default());
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].is_error());
        assert_eq!(diagnostics[0].path, "_config.yml");
        let (_, tz) = SiteConfig::parse(b"timezone: Mars/Olympus\n");
        assert!(tz[0].message.contains("Mars/Olympus"));
    }

    #[test]
    fn baseurl_is_normalised() {
        let (config, _) = SiteConfig::parse(b"url: https://x.org\nbaseurl: blog/\n");
        assert_eq!(config.site.baseurl(), "/blog");
        assert_eq!(config.site_url().as_deref(), Some("https://x.org/blog"));
    }
}
