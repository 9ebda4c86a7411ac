//! The root `Query` type.

use super::connection::{PageArgs, DEFAULT_PAGE_SIZE};
use super::cost::{self, DIAGNOSTICS_COST, LINK_GRAPH_COST};
use super::error::{field_error, ErrorCode};
use super::filter::PostFilter;
use super::link_graph::{link_graph, LinkGraph};
use super::node::Node;
use super::post::{ordered_posts, PostConnection, PostObject, PostOrder};
use super::search::{self, SearchArgs, SearchConnection, SearchFacet, SearchOrder, Suggestion};
use super::site::{
    archive_of, ArchiveYear, CategoryCount, Diagnostic, SeriesCount, Severity, Site,
};
use super::tag::{tag_cloud, TagCloudEntry, TagConnection, TagObject, TagOrder};
use super::{scope, Scope};
use crate::graph::id::{decode, NodeRef};
use crate::graph::PostIdx;
use async_graphql::{Context, Error, Object, ID};

/// Entry points of the API.
pub struct Query;

/// Cost of a connection field: its page size times the cost of one item.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .map_or(DEFAULT_PAGE_SIZE, |n| n.max(0) as usize);
    size.max(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Visible posts matching an optional filter, newest first.
fn filtered(scope: Scope<'_>, filter: Option<&PostFilter>) -> Result<Option<Vec<PostIdx>>, Error> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let compiled = filter.compile(scope.snapshot)?;
    Ok(Some(compiled.apply(
        scope.snapshot,
        scope.index.newest_first().iter().copied(),
    )))
}

/// Entry points: posts, tags, the tag cloud, site facts and load diagnostics.
#[Object]
impl Query {
    /// Any object by its id (a post or a tag).
    async fn node<'ctx>(&self, ctx: &Context<'ctx>, id: ID) -> Result<Option<Node<'ctx>>, Error> {
        let scope = scope(ctx)?;
        Ok(match decode(&id) {
            Some(NodeRef::Post(_)) => scope
                .post_by_id(&id)
                .map(|p| Node::Post(PostObject::new(scope, p))),
            Some(NodeRef::Tag(slug)) => scope
                .tag_by_slug(&slug)
                .map(|t| Node::Tag(TagObject::new(scope, t))),
            None => None,
        })
    }

    /// The site and the loaded corpus.
    async fn site<'ctx>(&self, ctx: &Context<'ctx>) -> Result<Site<'ctx>, Error> {
        Ok(Site { scope: scope(ctx)? })
    }

    /// One post by exactly one key: slug, id, serial number (case-insensitive), source path,
    /// or URL (permalink, absolute URL or `redirect_from` alias). None or several keys is an
    /// error; an unknown key gives null.
    async fn post<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        slug: Option<String>,
        id: Option<ID>,
        serial_number: Option<String>,
        path: Option<String>,
        url: Option<String>,
    ) -> Result<Option<PostObject<'ctx>>, Error> {
        let scope = scope(ctx)?;
        let given = [
            slug.is_some(),
            id.is_some(),
            serial_number.is_some(),
            path.is_some(),
            url.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(field_error(
                ErrorCode::BadUserInput,
                format!(
                    "post(...) takes exactly one of slug, id, serialNumber, path or url; {given} were given"
                ),
            ));
        }
        let found = if let Some(slug) = slug {
            scope.post_by_slug(&slug)
        } else if let Some(id) = id {
            scope.post_by_id(&id)
        } else if let Some(serial) = serial_number {
            scope.post_by_serial(&serial)
        } else if let Some(path) = path {
            scope.post_by_path(&path)
        } else {
            url.and_then(|u| scope.post_by_url(&u))
        };
        Ok(found.map(|p| PostObject::new(scope, p)))
    }

    /// One post by any way people refer to it: serial number, slug, an old slug or URL from
    /// `redirect_from`, a permalink or absolute URL, a source path, an id, or a title as in a
    /// wiki link (case-insensitive).
    async fn resolve<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        #[graphql(name = "ref")] reference: String,
    ) -> Result<Option<PostObject<'ctx>>, Error> {
        let scope = scope(ctx)?;
        let reference = reference.trim();
        let wanted = reference.to_lowercase();
        let by_title = || {
            scope
                .index
                .newest_first()
                .iter()
                .copied()
                .find(|p| scope.snapshot.post(*p).doc.title.to_lowercase() == wanted)
        };
        let found = scope
            .post_by_serial(reference)
            .or_else(|| scope.post_by_slug(reference))
            .or_else(|| scope.post_by_url(reference))
            .or_else(|| scope.post_by_path(reference))
            .or_else(|| scope.post_by_id(reference))
            .or_else(by_title);
        Ok(found.map(|p| PostObject::new(scope, p)))
    }

    /// The whole link graph in one query, for graph views: posts (optionally only a filter's)
    /// as nodes and links between them as edges; with `includeTags`, tags as nodes and
    /// taggings as edges too.
    #[graphql(complexity = "LINK_GRAPH_COST + child_complexity")]
    async fn link_graph<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        filter: Option<PostFilter>,
        #[graphql(default_with = "Some(false)")] include_tags: Option<bool>,
    ) -> Result<LinkGraph<'ctx>, Error> {
        cost::check(ctx)?;
        let scope = scope(ctx)?;
        let posts = match filtered(scope, filter.as_ref())? {
            Some(posts) => posts,
            None => scope.index.newest_first().to_vec(),
        };
        let graph = link_graph(scope, &posts, include_tags.unwrap_or(false));
        cost::charge(ctx, graph.answer_bytes())?;
        Ok(graph)
    }

    /// A post by serial number, e.g. "2025.BLG.124" (case-insensitive, surrounding space
    /// ignored).
    async fn post_by_serial<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        serial_number: String,
    ) -> Result<Option<PostObject<'ctx>>, Error> {
        let scope = scope(ctx)?;
        Ok(scope
            .post_by_serial(&serial_number)
            .map(|p| PostObject::new(scope, p)))
    }

    /// Posts, filtered and sorted (default: DATE DESC, newest first), as a Relay connection.
    /// `first`/`last` default to 20 and may be at most 100. Cursors encode the sort key, so
    /// paging stays consistent across reloads.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn posts<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PostFilter>,
        order_by: Option<PostOrder>,
    ) -> Result<PostConnection<'ctx>, Error> {
        let scope = scope(ctx)?;
        let order = order_by.unwrap_or(PostOrder::DEFAULT);
        let posts = match filter {
            None => ordered_posts(scope, order, |_| true),
            Some(filter) => {
                let compiled = filter.compile(scope.snapshot)?;
                ordered_posts(scope, order, compiled.keeps(*scope))
            }
        };
        PostConnection::new(
            scope,
            &posts,
            order,
            &PageArgs {
                first,
                after,
                last,
                before,
            },
        )
    }

    /// A tag by slug or name (case-insensitive).
    async fn tag<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        slug: String,
    ) -> Result<Option<TagObject<'ctx>>, Error> {
        let scope = scope(ctx)?;
        Ok(scope.tag_by_slug(&slug).map(|t| TagObject::new(scope, t)))
    }

    /// Tags with at least one visible post (default: COUNT DESC, most used first).
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn tags<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<TagOrder>,
    ) -> Result<TagConnection<'ctx>, Error> {
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        TagConnection::new(scope(ctx)?, order_by, &args)
    }

    /// The most used tags (over all posts, or over a filter's posts) with a weight
    /// (count / max count in the result) and a level in 1..levels on a log scale of count.
    #[graphql(
        complexity = "(limit.unwrap_or(50).max(0) as usize).saturating_mul(child_complexity) + 1"
    )]
    async fn tag_cloud<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        #[graphql(default = 50)] limit: Option<i32>,
        #[graphql(default = 1)] min_count: Option<i32>,
        #[graphql(default = 5)] levels: Option<i32>,
        filter: Option<PostFilter>,
    ) -> Result<Vec<TagCloudEntry<'ctx>>, Error> {
        let scope = scope(ctx)?;
        let posts = filtered(scope, filter.as_ref())?;
        // An explicit null means the default.
        let (limit, min_count, levels) = (
            limit.unwrap_or(50),
            min_count.unwrap_or(1),
            levels.unwrap_or(5),
        );
        tag_cloud(scope, posts.as_deref(), limit, min_count, levels)
    }

    /// Visible posts per category, most posts first.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<CategoryCount>, Error> {
        Ok(scope(ctx)?
            .index
            .categories
            .iter()
            .map(|c| CategoryCount {
                name: c.name.clone(),
                count: c.count,
            })
            .collect())
    }

    /// Serial-number series (e.g. `BLG`) with their counts and latest post.
    async fn series<'ctx>(&self, ctx: &Context<'ctx>) -> Result<Vec<SeriesCount<'ctx>>, Error> {
        let scope = scope(ctx)?;
        Ok(scope
            .index
            .series
            .iter()
            .map(|entry| SeriesCount { scope, entry })
            .collect())
    }

    /// Posts per year and month (site time zone), newest first.
    async fn archive(
        &self,
        ctx: &Context<'_>,
        filter: Option<PostFilter>,
    ) -> Result<Vec<ArchiveYear>, Error> {
        let scope = scope(ctx)?;
        Ok(match filtered(scope, filter.as_ref())? {
            None => scope.index.archive.iter().map(ArchiveYear::from).collect(),
            Some(posts) => archive_of(scope, &posts),
        })
    }

    /// Problems found while loading, rendering and link checking, by file and line. Without
    /// preview access, problems in drafts and other hidden posts are not shown.
    #[graphql(complexity = "DIAGNOSTICS_COST + child_complexity")]
    async fn diagnostics<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        severity: Option<Severity>,
    ) -> Result<Vec<Diagnostic<'ctx>>, Error> {
        cost::check(ctx)?;
        let scope = scope(ctx)?;
        let shown: Vec<Diagnostic<'ctx>> = scope
            .served
            .diagnostics(scope.audience)
            .iter()
            .filter(|d| severity.is_none_or(|s| Severity::from(d.severity) == s))
            .map(Diagnostic)
            .collect();
        // Each at most `{"severity":"WARNING","path":…,"line":…,"column":…,"message":…}`.
        let bytes = shown
            .iter()
            .map(|d| d.0.path.len() + d.0.message.len() + 80)
            .sum();
        cost::charge(ctx, bytes)?;
        Ok(shown)
    }

    /// Full-text search over the posts this request may see: ranked (BM25, title first),
    /// typo-tolerant, with highlights and facet counts over all hits. While the index of the
    /// version being served is still being built, `status` is INDEXING and there are no hits
    /// (such answers are not cached). The query is what a person types: words (all must
    /// match), `"exact phrases"`, `-excluded` words or phrases, `tag:NAME` or
    /// `tag:"two words"` (only posts with that tag), `year:2024` (only posts from that year;
    /// several years: any of them), and `word*` for a word that starts so. Nothing in a query
    /// is an error: what does not parse is searched as plain words.
    #[graphql(complexity = "cost::SEARCH_COST + page_cost(first, None, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn search<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        #[graphql(
            desc = "What to look for, as typed into a search box (see the field's description for the syntax). Empty (or only `tag:`/`year:`): every post the filters keep."
        )]
        query: String,
        #[graphql(
            desc = "Only posts this filter keeps (combined with `tag:`/`year:` in the query by AND)."
        )]
        filter: Option<PostFilter>,
        #[graphql(desc = "Hits per page: 20 when not given, at most 100.")] first: Option<i32>,
        #[graphql(
            desc = "A cursor from this search's `edges` or `pageInfo.endCursor`: the page after it."
        )]
        after: Option<String>,
        #[graphql(
            default_with = "Some(SearchOrder::Relevance)",
            desc = "RELEVANCE (best match first) or DATE (newest first)."
        )]
        order_by: Option<SearchOrder>,
        #[graphql(
            default_with = "Some(true)",
            desc = "Tolerate typos: a word that no post the request may see contains, of 5 to 9 letters, matches words within one edit (a letter added, missing, wrong or two swapped), a longer one within two; a word the posts contain is matched as typed, unless the whole query then finds nothing, when every word is tried with typos. A word found as typed scores more than one found with a typo."
        )]
        fuzzy: Option<bool>,
        #[graphql(
            default_with = "Some(false)",
            desc = "Search-as-you-type: the last word matches any word starting with it (unless the query ends with a space), as a trailing `*` does."
        )]
        prefix: Option<bool>,
        #[graphql(
            desc = "Which facet counts to compute over all hits (`facets` of the result); all when not given."
        )]
        facets: Option<Vec<SearchFacet>>,
    ) -> Result<SearchConnection<'ctx>, Error> {
        cost::check(ctx)?;
        let scope = scope(ctx)?;
        let args = SearchArgs {
            query,
            first,
            after,
            order: order_by.unwrap_or_default(),
            fuzzy: fuzzy.unwrap_or(true),
            prefix: prefix.unwrap_or(false),
            facets,
        };
        match filter {
            None => search::search(ctx, scope, args, None),
            Some(filter) => {
                let compiled = filter.compile(scope.snapshot)?;
                let keep = compiled.keeps(*scope);
                search::search(ctx, scope, args, Some(&keep))
            }
        }
    }

    /// Completions for a search box: the last word of `prefix` completed from the words of
    /// post titles and the names of tags (a tag of several words also completes from the
    /// whole prefix), the most frequent first. Only posts this request may see count.
    #[graphql(
        complexity = "cost::SUGGEST_COST + (first.unwrap_or(8).max(0) as usize).saturating_mul(child_complexity)"
    )]
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "What has been typed so far. Nothing is completed after a trailing space."
        )]
        prefix: String,
        #[graphql(
            default_with = "Some(8)",
            desc = "How many completions at most (0..50)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<Suggestion>, Error> {
        search::suggest(scope(ctx)?, &prefix, first.unwrap_or(8))
    }
}
