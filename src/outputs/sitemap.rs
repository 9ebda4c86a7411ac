//! The sitemap (sitemaps.org protocol 0.9): the site's root and every post the public sees,
//! with `lastmod`. Past [`MAX_URLS_PER_SITEMAP`] URLs, `/sitemap.xml` becomes a sitemap index
//! of pages `/sitemap/1.xml`, `/sitemap/2.xml`, … Only ever the public audience: a sitemap is
//! for crawlers, and a preview token shows nothing more here. And `robots.txt`, naming it.

use crate::graph::{Audience, PostIdx, Snapshot};
use crate::site::endpoints;
use crate::site::ServedSite;
use crate::text::html::escape;
use chrono::{DateTime, FixedOffset};
use std::fmt::Write;

/// Most URLs one sitemap file may list (the protocol's limit).
pub const MAX_URLS_PER_SITEMAP: usize = 50_000;

const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// One URL of the sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<DateTime<FixedOffset>>,
}

/// Every URL the sitemap lists: the site's root (last modified with its newest post), then
/// the public posts, newest first.
fn urls(snapshot: &Snapshot) -> Vec<SitemapUrl> {
    let view = snapshot.view(Audience::Public);
    let site = &snapshot.config.site;
    let lastmod = |idx: PostIdx| {
        let doc = &snapshot.post(idx).doc;
        doc.updated.unwrap_or(doc.date).max(doc.date)
    };
    let posts = view.index.newest_first();
    let mut urls = Vec::with_capacity(posts.len() + 1);
    urls.push(SitemapUrl {
        loc: endpoints::output_url(site, "/"),
        lastmod: posts.iter().map(|idx| lastmod(*idx)).max(),
    });
    urls.extend(posts.iter().map(|&idx| SitemapUrl {
        loc: endpoints::post_url(site, &snapshot.post(idx).doc.permalink),
        lastmod: Some(lastmod(idx)),
    }));
    urls
}

/// How many sitemap pages the site needs with `per_file` URLs per page: 1 means
/// `/sitemap.xml` is the sitemap itself.
pub fn page_count(served: &ServedSite, per_file: usize) -> usize {
    let total = served.snapshot.view(Audience::Public).index.len() + 1;
    total.div_ceil(per_file.max(1))
}

/// `/sitemap.xml`: the sitemap when the URLs fit one file of `per_file`, else the sitemap
/// index of its pages.
pub fn sitemap(served: &ServedSite, per_file: usize) -> String {
    let per_file = per_file.max(1);
    let urls = urls(&served.snapshot);
    if urls.len() <= per_file {
        return urlset(&urls);
    }
    let site = &served.snapshot.config.site;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{NAMESPACE}\">\n"
    );
    for (i, page) in urls.chunks(per_file).enumerate() {
        let loc = endpoints::output_url(site, &endpoints::sitemap_page_path(i + 1));
        let lastmod = page.iter().filter_map(|u| u.lastmod).max();
        out.push_str("  <sitemap>\n");
        let _ = writeln!(out, "    <loc>{}</loc>", escape(&loc));
        if let Some(lastmod) = lastmod {
            let _ = writeln!(out, "    <lastmod>{}</lastmod>", lastmod.to_rfc3339());
        }
        out.push_str("  </sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

/// Page `page` (from 1) of a sitemap split by an index; `None` when there is no such page
/// (including every page when the sitemap is not split).
pub fn sitemap_page(served: &ServedSite, page: usize, per_file: usize) -> Option<String> {
    let per_file = per_file.max(1);
    let urls = urls(&served.snapshot);
    if urls.len() <= per_file || page == 0 {
        return None;
    }
    urls.chunks(per_file).nth(page - 1).map(urlset)
}

fn urlset(urls: &[SitemapUrl]) -> String {
    let mut out = String::with_capacity(80 + urls.len() * 120);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{NAMESPACE}\">\n"
    );
    for url in urls {
        out.push_str("  <url>\n");
        let _ = writeln!(out, "    <loc>{}</loc>", escape(&url.loc));
        if let Some(lastmod) = url.lastmod {
            let _ = writeln!(out, "    <lastmod>{}</lastmod>", lastmod.to_rfc3339());
        }
        out.push_str("  </url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// `robots.txt`: everything may be crawled but the API, and the sitemap is named (when the
/// site's `url` is known: the `Sitemap:` line must be absolute).
pub fn robots_txt(served: &ServedSite) -> String {
    let site = &served.snapshot.config.site;
    let mut out = String::from(
        "# inkgraph: the API is not for crawlers; the posts are listed in the sitemap.\n\
         User-agent: *\nDisallow: /graphql\nDisallow: /admin/\n",
    );
    match site.url() {
        Some(_) => {
            let _ = writeln!(
                out,
                "\nSitemap: {}",
                endpoints::output_url(site, endpoints::SITEMAP_PATH)
            );
        }
        None => out.push_str(
            "\n# No Sitemap line: _config.yml has no `url`, and the line must be an absolute URL.\n",
        ),
    }
    out
}
