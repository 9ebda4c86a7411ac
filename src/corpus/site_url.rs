//! The site's address: `_config.yml`'s `url` and `baseurl`, parsed once into a [`SiteUrl`]
//! that every stage asks whether a URL is the site's and what path it names (the link graph,
//! `post(url:)` and `resolve`, `html(sanitize: true)`, Liquid's URL filters, and the outputs
//! that need absolute URLs).

use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use url::Url;

/// Hosts of a local development server (`jekyll serve`): always the site's own.
const LOCAL_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// Where the site is published, and whether a URL or path points into it.
///
/// Built once from `_config.yml` (`url: https://example.org`, `baseurl: /blog`). The rules
/// are the same for every caller:
///
/// * **The site's absolute URLs** are `url` (as written, without a trailing `/`), then
///   `baseurl`, then a site path ([`SiteUrl::absolute`]). Without a `url` they are
///   site-relative (`baseurl` and path), as Jekyll's `absolute_url` makes them.
/// * **Which URLs are the site's** ([`SiteUrl::is_internal`]): an `http` or `https` URL
///   (either scheme, whichever `url` names) whose host is the site's, compared without case,
///   without one leading `www.` (`example.org` and `www.example.org` are the same site) and
///   without a trailing dot, and whose port is the site's: when `url` names no port, a URL
///   may name none or the default of its own scheme (`:443` for https, `:80` for http);
///   `https://example.org:8443/` is another site, and so is `https://example.org:80/`. User
///   info is ignored (`https://me@example.org/x` reaches the same host); in
///   `https://example.org@evil.example/` the host is `evil.example`. A local development
///   server (`localhost`, `127.0.0.1`, `[::1]`, any port) counts as the site too: posts
///   written against `jekyll serve` link there. A `url` without a scheme (`example.org`) is
///   read as `https://example.org` for these comparisons; without a `url`, only local
///   development URLs are the site's.
/// * **Site paths** ([`SiteUrl::site_path`]): of one of the site's URLs, or of a reference
///   without a scheme (`/blog/x/`), the path: percent-decoded, without query and fragment,
///   and without the site's prefix (the path of `url`, if it has one, then `baseurl`) when it
///   starts with that prefix at a segment boundary (with `baseurl: /blog`, `/blog/x` → `/x`
///   and `/blog` → `/`, while `/blogroll` stays). A path without the prefix is taken as it is.
///   What else identifies a post (a trailing `/`, `.html`, `index.html`) is the permalink
///   key's business (`graph::permalink_key`), not this type's.
///
/// A scheme-relative reference (`//example.org/x`) is read as `https:`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteUrl {
    /// `url` as written, trimmed, without a trailing `/`.
    url: Option<String>,
    /// `/blog`, or empty; never a trailing `/`.
    baseurl: String,
    /// The host and port of `url`, when it has one.
    host: Option<SiteHost>,
    /// Path of `url` + `baseurl`: what the site's paths start with (`/blog`), or empty.
    prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SiteHost {
    /// Lower case, without `www.` and a trailing dot.
    name: String,
    /// The port `url` names, unless it is its scheme's default.
    port: Option<u16>,
}

impl SiteUrl {
    /// The site at `url` (e.g. `https://example.org`, or `None` when unknown) under `baseurl`
    /// (`/blog`, `blog/` or empty: any surrounding slashes).
    pub fn new(url: Option<&str>, baseurl: &str) -> SiteUrl {
        let url = url
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let base = baseurl.trim().trim_matches('/');
        let baseurl = match base.is_empty() {
            true => String::new(),
            false => format!("/{base}"),
        };
        let parsed = url.as_deref().and_then(parse_site_url);
        let host = parsed.as_ref().and_then(|u| {
            Some(SiteHost {
                name: host_name(u)?,
                port: u.port(),
            })
        });
        let url_path = parsed
            .as_ref()
            .map(|u| decode_path(u.path()).trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let prefix = format!("{url_path}{baseurl}");
        SiteUrl {
            url,
            baseurl,
            host,
            prefix,
        }
    }

    /// `url` as written (without a trailing `/`), when the site has one.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The site's sub-path (`/blog`), or empty.
    pub fn baseurl(&self) -> &str {
        &self.baseurl
    }

    /// `url` + `baseurl`: the address of the site's root, when `url` is known.
    pub fn root_url(&self) -> Option<String> {
        self.url.as_ref().map(|u| format!("{u}{}", self.baseurl))
    }

    /// A site path with `baseurl` in front (Jekyll's `relative_url`): `/x/` → `/blog/x/`,
    /// `x.png` → `/blog/x.png`, `` → `/blog`.
    pub fn relative(&self, path: &str) -> String {
        let mut out = String::with_capacity(self.baseurl.len() + path.len() + 1);
        out.push_str(&self.baseurl);
        if !path.is_empty() && !path.starts_with('/') {
            out.push('/');
        }
        out.push_str(path);
        out
    }

    /// The absolute URL of a site path (Jekyll's `absolute_url`): `url` + [`Self::relative`];
    /// site-relative when the site has no `url`.
    pub fn absolute(&self, path: &str) -> String {
        let relative = self.relative(path);
        match &self.url {
            Some(url) => format!("{url}{relative}"),
            None => relative,
        }
    }

    /// Whether `url` is one of the site's (see the type's rules): http(s), the site's host
    /// with or without `www.`, the site's port, or a local development server.
    pub fn is_internal(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(name) = host_name(url) else {
            return false;
        };
        LOCAL_HOSTS.contains(&name.as_str())
            || self
                .host
                .as_ref()
                .is_some_and(|site| site.name == name && site.port == url.port())
    }

    /// The site path a URL or reference names (see the type's rules), or `None` when it is
    /// absolute and not the site's (another host, port or scheme, or not a valid URL).
    pub fn site_path(&self, reference: &str) -> Option<String> {
        let reference = reference.trim();
        if is_absolute(reference) {
            let url = parse_absolute(reference)?;
            return self.is_internal(&url).then(|| self.path_of(&url));
        }
        let path = reference.split(['?', '#']).next().unwrap_or("");
        Some(self.without_prefix(&decode_path(path)))
    }

    /// The site path of one of the site's URLs (whose [`Self::is_internal`] is true).
    pub fn path_of(&self, url: &Url) -> String {
        self.without_prefix(&decode_path(url.path()))
    }

    /// `path` without the site's prefix at a segment boundary, with a leading `/`.
    fn without_prefix(&self, path: &str) -> String {
        let prefix = self.prefix.as_str();
        let rest = match path.strip_prefix(prefix) {
            Some(rest) if !prefix.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
            _ => path,
        };
        match rest.starts_with('/') {
            true => rest.to_owned(),
            false => format!("/{rest}"),
        }
    }
}

/// The scheme of an absolute reference (`https` of `https://x`, `mailto` of `mailto:a@b`):
/// the text before the first `:` when it is a valid scheme (a letter, then letters, digits,
/// `+`, `-` or `.`), so `/a:b` and `a b:c` have none.
pub fn scheme_of(reference: &str) -> Option<&str> {
    let (scheme, _) = reference.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// Whether a reference is absolute: it has a scheme, or is scheme-relative (`//host/x`).
pub fn is_absolute(reference: &str) -> bool {
    reference.starts_with("//") || scheme_of(reference).is_some()
}

/// An absolute reference parsed (a scheme-relative one as `https:`); `None` when it is
/// relative or not a valid URL.
pub fn parse_absolute(reference: &str) -> Option<Url> {
    if let Some(rest) = reference.strip_prefix("//") {
        return Url::parse(&format!("https://{rest}")).ok();
    }
    scheme_of(reference)?;
    Url::parse(reference).ok()
}

/// A URL's host as people name a site: lower case, without `www.` and a trailing dot,
/// international names as written (not punycode), with the port when it is not the
/// scheme's default (`https://WWW.Example.org:8080/x` → `example.org:8080`).
pub fn domain_of(url: &Url) -> Option<String> {
    let name = host_name(url)?;
    let (unicode, result) = idna::domain_to_unicode(&name);
    let name = if result.is_ok() { unicode } else { name };
    Some(match url.port() {
        Some(port) => format!("{name}:{port}"),
        None => name,
    })
}

/// The host of `url`, lower case (punycode for international names), without one leading
/// `www.` and a trailing dot; `None` when it has no host.
fn host_name(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let host = host
        .strip_prefix("www.")
        .map_or(host.clone(), str::to_owned);
    (!host.is_empty()).then_some(host)
}

/// `url` of `_config.yml` parsed: an http(s) URL, or a bare host read as `https://host`.
fn parse_site_url(url: &str) -> Option<Url> {
    let parsed = Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    match parsed {
        Some(url) => Some(url),
        None if !url.contains("://") => Url::parse(&format!("https://{url}"))
            .ok()
            .filter(|u| u.host_str().is_some()),
        None => None,
    }
}

/// Percent-decodes a path (`/caf%C3%A9/` → `/café/`), as [`SiteUrl::site_path`] does; kept
/// as it is when the result would not be UTF-8. Keys built from written paths (permalinks,
/// aliases) go through it too, so they meet the paths of URLs.
pub fn decode_path(path: &str) -> Cow<'_, str> {
    match percent_decode_str(path).decode_utf8() {
        Ok(decoded) => decoded,
        Err(_) => Cow::Borrowed(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteUrl {
        SiteUrl::new(Some("https://example.org/"), "blog/")
    }

    fn internal(site: &SiteUrl, url: &str) -> bool {
        site.is_internal(&parse_absolute(url).expect("a URL"))
    }

    #[test]
    fn url_and_baseurl_are_normalised() {
        let site = site();
        assert_eq!(site.url(), Some("https://example.org"));
        assert_eq!(site.baseurl(), "/blog");
        assert_eq!(site.root_url().as_deref(), Some("https://example.org/blog"));
        assert_eq!(SiteUrl::new(None, "/").baseurl(), "");
        assert_eq!(SiteUrl::new(Some("  "), "").url(), None);
    }

    #[test]
    fn absolute_and_relative_urls_of_site_paths() {
        let site = site();
        assert_eq!(
            site.absolute("/2020/x/"),
            "https://example.org/blog/2020/x/"
        );
        assert_eq!(site.absolute("a.png"), "https://example.org/blog/a.png");
        assert_eq!(site.absolute(""), "https://example.org/blog");
        assert_eq!(site.relative("/x/"), "/blog/x/");
        let bare = SiteUrl::new(None, "");
        assert_eq!(bare.absolute("/x/"), "/x/");
        assert_eq!(bare.relative("x.png"), "/x.png");
        // The url is kept as written.
        let written = SiteUrl::new(Some("https://Example.org"), "");
        assert_eq!(written.absolute("/x/"), "https://Example.org/x/");
    }

    #[test]
    fn the_sites_host_with_or_without_www_either_scheme_default_ports() {
        let site = site();
        for url in [
            "https://example.org/blog/x/",
            "https://www.example.org/blog/x/",
            "https://WWW.EXAMPLE.ORG/blog/x/",
            "http://example.org/blog/x/",
            "https://example.org:443/blog/x/",
            "http://example.org:80/blog/x/",
            "https://example.org./blog/x/",
            "//example.org/blog/x/",
            "https://me:secret@example.org/blog/x/",
            "http://localhost:4000/blog/x/",
            "http://127.0.0.1:4000/x/",
            "http://[::1]/x/",
        ] {
            assert!(internal(&site, url), "{url} is the site's");
        }
        for url in [
            "https://example.org:8443/blog/x/",
            "https://example.org:80/blog/x/",
            "http://example.org:443/blog/x/",
            "https://sub.example.org/blog/x/",
            "https://notexample.org/blog/x/",
            "https://example.org.evil.example/blog/x/",
            "https://example.org@evil.example/blog/x/",
            "https://localhost.evil.example/x/",
            "ftp://example.org/blog/x/",
            "mailto:me@example.org",
        ] {
            assert!(!internal(&site, url), "{url} is not the site's");
        }
    }

    #[test]
    fn a_www_site_url_accepts_the_bare_host() {
        let site = SiteUrl::new(Some("https://www.example.org"), "");
        assert!(internal(&site, "https://example.org/x/"));
        assert!(internal(&site, "https://www.example.org/x/"));
    }

    #[test]
    fn an_explicit_port_must_match() {
        let site = SiteUrl::new(Some("http://example.org:8080"), "");
        assert!(internal(&site, "http://example.org:8080/x"));
        assert!(internal(&site, "https://www.example.org:8080/x"));
        assert!(!internal(&site, "http://example.org/x"));
        // A default port written in `url` is no port.
        let site = SiteUrl::new(Some("https://example.org:443"), "");
        assert!(internal(&site, "https://example.org/x"));
    }

    #[test]
    fn a_url_without_scheme_is_read_as_https() {
        let site = SiteUrl::new(Some("example.org"), "");
        assert!(internal(&site, "https://www.example.org/x"));
        let unknown = SiteUrl::new(None, "");
        assert!(!internal(&unknown, "https://example.org/x"));
        assert!(internal(&unknown, "http://localhost:4000/x"));
    }

    /// Asserts the site path of each reference.
    #[track_caller]
    fn assert_site_paths(site: &SiteUrl, cases: &[(&str, Option<&str>)]) {
        for (reference, expected) in cases {
            assert_eq!(
                site.site_path(reference).as_deref(),
                *expected,
                "{reference}"
            );
        }
    }

    #[test]
    fn site_paths_drop_query_fragment_and_the_prefix_at_a_boundary() {
        assert_site_paths(
            &site(),
            &[
                ("https://example.org/blog/x/", Some("/x/")),
                (
                    "https://www.example.org:443/blog/x.html?a=1#f",
                    Some("/x.html"),
                ),
                ("https://user@example.org/blog/x", Some("/x")),
                ("/blog/x/index.html#top", Some("/x/index.html")),
                ("/blog", Some("/")),
                ("/blogroll/", Some("/blogroll/")),
                ("/other/x", Some("/other/x")),
                ("x/y", Some("/x/y")),
                ("https://example.org:8443/blog/x/", None),
                ("https://other.example/blog/x/", None),
                ("mailto:me@example.org", None),
                ("https://exa mple.org/x", None),
            ],
        );
    }

    #[test]
    fn site_paths_are_percent_decoded() {
        assert_site_paths(
            &SiteUrl::new(Some("https://example.org"), ""),
            &[
                ("https://example.org/caf%C3%A9/", Some("/café/")),
                ("https://example.org/café/", Some("/café/")),
                ("/a%20b", Some("/a b")),
                ("/bad%FF", Some("/bad%FF")),
            ],
        );
    }

    #[test]
    fn a_path_in_url_is_part_of_the_prefix() {
        let site = SiteUrl::new(Some("https://example.org/site/"), "/blog");
        assert_eq!(site.absolute("/x/"), "https://example.org/site/blog/x/");
        assert_eq!(
            site.site_path(&site.absolute("/x/")).as_deref(),
            Some("/x/")
        );
    }

    #[test]
    fn schemes_and_absolute_references() {
        assert_eq!(scheme_of("https://x"), Some("https"));
        assert_eq!(scheme_of("mailto:a@b"), Some("mailto"));
        assert_eq!(scheme_of("/a:b"), None);
        assert_eq!(scheme_of("a b:c"), None);
        assert_eq!(scheme_of("1x:y"), None);
        assert!(is_absolute("//cdn.example/x"));
        assert!(!is_absolute("/x"));
        assert_eq!(
            parse_absolute("//cdn.example/x").map(|u| u.to_string()),
            Some("https://cdn.example/x".to_owned())
        );
    }

    #[test]
    fn hosts_compare_without_www_and_default_ports() {
        for (url, expected) in [
            ("https://WWW.JoshBeckman.org/", Some("joshbeckman.org")),
            ("https://example.org:443/", Some("example.org")),
            ("https://user@www.x.org:8080/a", Some("x.org:8080")),
            ("https://bücher.example/", Some("bücher.example")),
            ("mailto:a@b.example", None),
        ] {
            let domain = parse_absolute(url).and_then(|u| domain_of(&u));
            assert_eq!(domain.as_deref(), expected, "{url}");
        }
    }

    proptest::proptest! {
        /// Every absolute URL the site makes leads back to the path it was made from.
        #[test]
        fn absolute_urls_round_trip(
            base in "(/[a-z]{1,6}){0,2}",
            path in "(/[a-z0-9-]{1,8}){0,3}/?",
        ) {
            let site = SiteUrl::new(Some("https://example.org"), &base);
            let path = if path.is_empty() { "/".to_owned() } else { path };
            let url = site.absolute(&path);
            proptest::prop_assert_eq!(site.site_path(&url), Some(path.clone()));
            let www = url.replacen("https://", "http://www.", 1);
            proptest::prop_assert_eq!(site.site_path(&www), Some(path));
        }
    }
}
