//! Classifying one link of a post: does it lead to a post (INTERNAL), elsewhere on the site
//! (SITE), to another host (EXTERNAL), or is it shaped like a link to a post that does not
//! exist (BROKEN)?

use crate::corpus::site_url::{self, SiteUrl};
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
    /// The host, for external links (without `www.`, see [`site_url::domain_of`]).
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
    /// Which absolute URLs are the site's, and the site paths they name.
    site: &'a SiteUrl,
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
            site: &snapshot.config.site,
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
        if site_url::is_absolute(href) {
            return self.resolve_absolute(href);
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

    /// An href with a scheme (or `//host`): the site's own URLs resolve as site paths
    /// ([`SiteUrl::is_internal`]); other http(s) URLs are EXTERNAL with their domain, and
    /// other schemes (`mailto:`) or unparseable URLs EXTERNAL without one.
    fn resolve_absolute(&self, href: &str) -> Resolution {
        let Some(url) = site_url::parse_absolute(href) else {
            return Resolution::of(LinkKind::External);
        };
        if self.site.is_internal(&url) {
            return self.resolve_site_path(url.path());
        }
        let domain = match url.scheme() {
            "http" | "https" => site_url::domain_of(&url),
            _ => None,
        };
        Resolution {
            kind: LinkKind::External,
            target: None,
            domain,
        }
    }

    /// A path on this site (with or without baseurl, query or fragment).
    fn resolve_site_path(&self, path: &str) -> Resolution {
        if let Some(idx) = self.view.post_by_url(path) {
            return internal(idx);
        }
        let Some(path) = self.site.site_path(path) else {
            return Resolution::of(LinkKind::Site);
        };
        let relative = path.trim_start_matches('/');
        if !relative.is_empty() && file_exists(&self.view.snapshot.root, relative) {
            return Resolution::of(LinkKind::Site);
        }
        if let Some(idx) = self.post_by_moved_url(&path) {
            return internal(idx);
        }
        if self.is_post_shaped(&path) {
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
}
