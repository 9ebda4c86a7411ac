//! Classifying one link of a post: does it lead to a post (INTERNAL), elsewhere on the site
//! (SITE), to another host (EXTERNAL), or is it shaped like a link to a post that does not
//! exist (BROKEN)?

use crate::graph::{permalink_key, PostIdx, View};
use std::collections::HashSet;
use std::path::Path;

/// What a link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// A post of this site.
    Internal,
    /// This site, but not a post: pages, assets, feeds, anchors.
    Site,
    /// Another host.
    External,
    /// Shaped like a link to a post, yet no post or alias matches and no file is there.
    Broken,
}

/// The outcome of resolving one href.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub kind: LinkKind,
    pub target: Option<PostIdx>,
    /// The host, for external links (without `www.`).
    pub domain: Option<String>,
}

impl Resolution {
    fn of(kind: LinkKind) -> Self {
        Resolution {
            kind,
            target: None,
            domain: None,
        }
    }
}

/// Everything needed to resolve links, built once per link graph.
pub struct Resolver<'a> {
    view: View<'a>,
    /// The site's host without `www.`, lower-cased.
    site_host: Option<String>,
    /// Permalink shapes of the posts: `/blog/*`, `/#/#/#/*` (digits as `#`, the last segment
    /// as `*`), so `/blog/no-such-post` is recognisably a post link.
    post_shapes: HashSet<String>,
    /// First segments of multi-segment post permalinks (`blog` for `/blog/x`): with
    /// `:categories` in the permalink, `/blog/any/thing` is shaped like a post link too.
    post_prefixes: HashSet<String>,
}

impl<'a> Resolver<'a> {
    pub fn new(view: View<'a>) -> Self {
        let snapshot = view.snapshot;
        let site_host = snapshot
            .config
            .url
            .as_deref()
            .and_then(host_of)
            .map(bare_host);
        let keys: Vec<String> = view
            .index
            .newest_first()
            .iter()
            .map(|idx| permalink_key(&snapshot.post(*idx).doc.permalink))
            .collect();
        // `/*` (a bare slug at the root) cannot tell a post from a page such as `/about`.
        let post_shapes = keys
            .iter()
            .map(|k| shape_of(k))
            .filter(|shape| shape != "/*")
            .collect();
        let post_prefixes = keys
            .iter()
            .filter_map(|k| {
                let mut segments = k.trim_matches('/').split('/');
                let first = segments.next()?;
                let is_word = !first.is_empty() && !first.chars().all(|c| c.is_ascii_digit());
                (segments.next().is_some() && is_word).then(|| first.to_string())
            })
            .collect();
        Resolver {
            view,
            site_host,
            post_shapes,
            post_prefixes,
        }
    }

    /// Resolves `href` written in the post at `from`.
    pub fn resolve(&self, from: PostIdx, href: &str) -> Resolution {
        let href = href.trim();
        let snapshot = self.view.snapshot;
        if href.is_empty() || href.starts_with('#') {
            return Resolution::of(LinkKind::Site);
        }
        if let Some(rest) = href.strip_prefix("//") {
            return self.resolve_absolute(&format!("https://{rest}"));
        }
        if let Some((scheme, _)) = href.split_once(':') {
            let is_scheme = !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !scheme.contains('/');
            if is_scheme {
                return match scheme.to_ascii_lowercase().as_str() {
                    "http" | "https" => self.resolve_absolute(href),
                    _ => Resolution {
                        kind: LinkKind::External,
                        target: None,
                        domain: None,
                    },
                };
            }
        }
        let path = strip_query_and_fragment(href);
        let from_doc = &snapshot.post(from).doc;
        // A link to a Markdown source file, relative to the post's folder (or the root).
        if is_markdown_path(path) {
            let source = if path.starts_with('/') {
                normalize(path.trim_start_matches('/'))
            } else {
                let folder = from_doc.source_path.rsplit_once('/').map_or("", |(d, _)| d);
                normalize(&format!("{folder}/{path}"))
            };
            if let Some(idx) = source.as_deref().and_then(|s| self.view.post_by_path(s)) {
                return internal(idx);
            }
            // `foo.md` may name a post in another folder by its file name.
            let name = path.rsplit('/').next().unwrap_or(path);
            if let Some(idx) = self.post_by_file_name(name) {
                return internal(idx);
            }
            return Resolution::of(LinkKind::Broken);
        }
        // `2020-05-06-foo` left as written by a `post_url` that found nothing.
        if !path.contains('/') && crate::corpus::date::file_name_date(path).is_some() {
            return match self.post_by_file_name(path) {
                Some(idx) => internal(idx),
                None => Resolution::of(LinkKind::Broken),
            };
        }
        let site_path = if path.starts_with('/') {
            path.to_string()
        } else {
            let base = from_doc
                .permalink
                .rsplit_once('/')
                .map_or("", |(dir, _)| dir);
            normalize(&format!("{base}/{path}"))
                .map_or_else(|| "/".to_string(), |p| format!("/{p}"))
        };
        self.resolve_site_path(&site_path)
    }

    fn resolve_absolute(&self, url: &str) -> Resolution {
        let Some(host) = host_of(url) else {
            return Resolution::of(LinkKind::External);
        };
        let host = bare_host(host);
        let is_local = host.starts_with("localhost") || host.starts_with("127.0.0.1");
        if self.site_host.as_deref() == Some(host.as_str()) || is_local {
            let path = url
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                .unwrap_or("/");
            return self.resolve_site_path(strip_query_and_fragment(path));
        }
        Resolution {
            kind: LinkKind::External,
            target: None,
            domain: Some(host),
        }
    }

    /// A path on this site (with or without baseurl).
    fn resolve_site_path(&self, path: &str) -> Resolution {
        let path = strip_query_and_fragment(path);
        if let Some(idx) = self.view.post_by_url(path) {
            return internal(idx);
        }
        let snapshot = self.view.snapshot;
        let baseurl = snapshot.config.baseurl.as_str();
        let relative = path
            .strip_prefix(baseurl)
            .filter(|_| !baseurl.is_empty())
            .unwrap_or(path)
            .trim_start_matches('/');
        if !relative.is_empty() && file_exists(&snapshot.root, relative) {
            return Resolution::of(LinkKind::Site);
        }
        if let Some(idx) = self.post_by_moved_url(path) {
            return internal(idx);
        }
        if self.is_post_shaped(path) {
            return Resolution::of(LinkKind::Broken);
        }
        Resolution::of(LinkKind::Site)
    }

    /// Whether a site path looks like a link to a post: it has a post's permalink shape, or
    /// starts with a posts' category folder (`/blog/…`) and goes one level deeper.
    fn is_post_shaped(&self, path: &str) -> bool {
        let key = permalink_key(path);
        if key == "/" {
            return false;
        }
        if self.post_shapes.contains(&shape_of(&key)) {
            return true;
        }
        let mut segments = key.trim_matches('/').split('/');
        let first = segments.next().unwrap_or("");
        segments.next().is_some() && self.post_prefixes.contains(first)
    }

    /// A post whose category folders changed since the link was written
    /// (`/blog/practicing/some-post` for a post now at `/blog/some-post`): the last segment
    /// is its slug and the first is one of its categories.
    fn post_by_moved_url(&self, path: &str) -> Option<PostIdx> {
        let key = permalink_key(path);
        let segments: Vec<&str> = key.trim_matches('/').split('/').collect();
        let (first, last) = (segments.first()?, segments.last()?);
        if segments.len() < 2 {
            return None;
        }
        let idx = self.view.post_by_slug(last)?;
        let categories = &self.view.snapshot.post(idx).doc.categories;
        categories
            .iter()
            .any(|c| c.eq_ignore_ascii_case(first))
            .then_some(idx)
    }

    fn post_by_file_name(&self, name: &str) -> Option<PostIdx> {
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        self.view.index.newest_first().iter().copied().find(|idx| {
            let path = &self.view.snapshot.post(*idx).doc.source_path;
            let file = path.rsplit('/').next().unwrap_or(path);
            file.rsplit_once('.').map_or(file, |(s, _)| s) == stem
        })
    }
}

fn internal(idx: PostIdx) -> Resolution {
    Resolution {
        kind: LinkKind::Internal,
        target: Some(idx),
        domain: None,
    }
}

fn strip_query_and_fragment(href: &str) -> &str {
    href.split(['?', '#']).next().unwrap_or("")
}

fn is_markdown_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    crate::source::MARKDOWN_EXTENSIONS
        .iter()
        .any(|ext| lower.ends_with(&format!(".{ext}")))
}

/// `a/b/../c/./d` → `a/c/d`; `None` when `..` climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// `https://www.Example.org:443/x` → `www.Example.org:443`.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    (!host.is_empty()).then_some(host)
}

fn bare_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    host.strip_suffix(":443")
        .or_else(|| host.strip_suffix(":80"))
        .unwrap_or(host)
        .to_string()
}

/// The shape of a permalink: digits-only segments as `#`, any other last segment as `*`
/// (`/blog/some-post` → `/blog/*`, `/2020/01/05/x` → `/#/#/#/*`, `/210672355` → `/#`).
fn shape_of(key: &str) -> String {
    let segments: Vec<&str> = key.trim_matches('/').split('/').collect();
    let last = segments.len().saturating_sub(1);
    let shaped: Vec<&str> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "#"
            } else if i == last {
                "*"
            } else {
                s
            }
        })
        .collect();
    format!("/{}", shaped.join("/"))
}

fn file_exists(root: &Path, relative: &str) -> bool {
    let Some(clean) = normalize(relative) else {
        return false;
    };
    let path = root.join(&clean);
    path.is_file() || path.join("index.html").is_file() || path.join("index.md").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_generalise_dates_and_slugs() {
        assert_eq!(shape_of("/blog/some-post"), "/blog/*");
        assert_eq!(shape_of("/2020/01/05/x"), "/#/#/#/*");
        assert_eq!(shape_of("/x"), "/*");
        assert_eq!(shape_of("/210672355"), "/#");
        assert_eq!(shape_of("/notes/123"), "/notes/#");
    }

    #[test]
    fn paths_normalise() {
        assert_eq!(
            normalize("blog/_posts/../_posts/./a.md").as_deref(),
            Some("blog/_posts/a.md")
        );
        assert_eq!(normalize("../x"), None);
    }

    #[test]
    fn hosts_compare_without_www_and_default_ports() {
        assert_eq!(bare_host("WWW.JoshBeckman.org"), "joshbeckman.org");
        assert_eq!(bare_host("example.org:443"), "example.org");
        assert_eq!(
            host_of("https://user@www.x.org:8080/a"),
            Some("www.x.org:8080")
        );
    }
}
