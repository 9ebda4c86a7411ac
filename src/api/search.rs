//! `search` and `suggest`: GraphQL over the served version's full-text search
//! (`site::search`), which does the work.

use super::connection::{encode_cursor, PageArgs, PageInfo, DEFAULT_PAGE_SIZE};
use super::cost;
use super::post::PostObject;
use super::tag::TagObject;
use super::Scope;
use crate::graph::{sort_value, PostIdx, SortKey, SortValue, TagIdx};
use crate::site::search::{
    self as site_search, FacetKinds, Highlighter, Hit, SearchOutcome, SearchRequest,
};
use async_graphql::{Context, Enum, Error, Object, SimpleObject};
use std::sync::Arc;

/// The order of search hits.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Best match first: BM25 over the fields that matched, the title weighing most, then
    /// tags, headings and description, then the body; ties newest first.
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// A facet that `search` can count over all its hits.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SearchFacet {
    /// Hits per tag.
    Tags,
    /// Hits per category.
    Categories,
    /// Hits per year (site time zone).
    Years,
    /// Hits per serial-number series.
    Series,
}

/// Whether the search index of the version being served is ready.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SearchStatus {
    /// Searched: the hits are complete.
    Ready,
    /// The index of this version is still being built (just after start-up, or after a
    /// reload that changed many posts): no hits yet, ask again shortly. Such answers are
    /// never cached.
    Indexing,
}

/// The field a highlight comes from.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    /// The post's title.
    Title,
    /// The serial number, when the query named it whole.
    SerialNumber,
    /// The matching tags, comma-separated.
    Tags,
    /// Up to three matching headings, separated by ` · `.
    Headings,
    /// The front-matter description.
    Description,
    /// The body text (Markdown source without markup), cut around the matches.
    Body,
}

impl From<site_search::HighlightField> for SearchField {
    fn from(field: site_search::HighlightField) -> Self {
        use site_search::HighlightField as F;
        match field {
            F::Title => SearchField::Title,
            F::SerialNumber => SearchField::SerialNumber,
            F::Tags => SearchField::Tags,
            F::Headings => SearchField::Headings,
            F::Description => SearchField::Description,
            F::Body => SearchField::Body,
        }
    }
}

/// One field of a hit with the words that matched marked.
#[derive(SimpleObject)]
pub struct Highlight {
    /// Which field.
    pub field: SearchField,
    /// HTML: the field's text, escaped, with each matching word in `<mark>…</mark>`; the body
    /// and a long description are cut to about 180 characters around the best run of
    /// matches, with `…` where cut.
    pub snippet: String,
}

/// Where a completion comes from.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionSource {
    /// A tag's name.
    Tag,
    /// A word of post titles.
    Title,
}

/// A completion for a search box.
#[derive(SimpleObject)]
pub struct Suggestion {
    /// The whole query completed: what was typed before the last word, then `completion`.
    pub text: String,
    /// The completed word (a title word, lower case) or tag name.
    pub completion: String,
    /// Posts whose titles have the word, or that have the tag.
    pub count: usize,
    /// Where the completion comes from.
    pub source: SuggestionSource,
}

/// A value of a facet and how many hits have it.
#[derive(SimpleObject)]
pub struct FacetCount {
    /// The category or series (as written in the posts).
    pub name: String,
    /// Hits with it.
    pub count: usize,
}

/// A year and how many hits are from it.
#[derive(SimpleObject)]
pub struct YearCount {
    /// The year (site time zone).
    pub year: i32,
    /// Hits from that year.
    pub count: usize,
}

/// A tag and how many hits have it.
pub struct TagCount<'a> {
    scope: Scope<'a>,
    idx: TagIdx,
    count: usize,
}

/// A tag and how many hits have it.
#[Object]
impl<'a> TagCount<'a> {
    /// The tag's name (its most frequent spelling).
    async fn name(&self) -> &'a str {
        &self.scope.tag(self.idx).name
    }

    /// The tag's slug (for `tag:` in a query or a `tags` filter).
    async fn slug(&self) -> &'a str {
        &self.scope.tag(self.idx).slug
    }

    /// The tag.
    async fn tag(&self) -> TagObject<'a> {
        TagObject::new(self.scope, self.idx)
    }

    /// Hits with the tag.
    async fn count(&self) -> usize {
        self.count
    }
}

/// Counts over every hit of a search (not only the page); a facet not asked for in
/// `search(facets:)` is empty.
pub struct SearchFacets<'a> {
    tags: Vec<TagCount<'a>>,
    categories: Vec<FacetCount>,
    years: Vec<YearCount>,
    series: Vec<FacetCount>,
}

/// Counts over every hit of a search (not only the page); a facet not asked for in
/// `search(facets:)` is empty.
#[Object]
impl<'a> SearchFacets<'a> {
    /// Hits per tag, most first.
    async fn tags(
        &self,
        #[graphql(desc = "Only the first `first` tags (the most hits); all when not given.")]
        first: Option<i32>,
    ) -> Result<&[TagCount<'a>], Error> {
        leading(&self.tags, first)
    }

    /// Hits per category, most first.
    async fn categories(
        &self,
        #[graphql(desc = "Only the first `first` categories (the most hits); all when not given.")]
        first: Option<i32>,
    ) -> Result<&[FacetCount], Error> {
        leading(&self.categories, first)
    }

    /// Hits per year, newest year first.
    async fn years(&self) -> &[YearCount] {
        &self.years
    }

    /// Hits per serial-number series, most first.
    async fn series(
        &self,
        #[graphql(desc = "Only the first `first` series (the most hits); all when not given.")]
        first: Option<i32>,
    ) -> Result<&[FacetCount], Error> {
        leading(&self.series, first)
    }
}

/// The first `first` values of a facet (all when `None`); a negative `first` is an error.
fn leading<T>(values: &[T], first: Option<i32>) -> Result<&[T], Error> {
    match first {
        None => Ok(values),
        Some(n) if n < 0 => Err(Error::new(format!(
            "`first` is {n}, but must not be negative"
        ))),
        Some(n) => Ok(&values[..values.len().min(n as usize)]),
    }
}

/// One hit of a search.
pub struct SearchHit<'a> {
    scope: Scope<'a>,
    hit: Hit,
    highlighter: Arc<Highlighter>,
}

/// One hit of a search.
#[Object]
impl<'a> SearchHit<'a> {
    /// How well the post matches (higher is better; only comparable within one search).
    async fn score(&self) -> f64 {
        f64::from(self.hit.score)
    }

    /// The post.
    async fn post(&self) -> PostObject<'a> {
        PostObject::new(self.scope, self.hit.post)
    }

    /// The fields that matched with the matching words marked, in the order title, serial
    /// number, tags, headings, description, body.
    #[graphql(complexity = "cost::HIGHLIGHTS_COST")]
    async fn highlights(&self, ctx: &Context<'_>) -> Result<Vec<Highlight>, Error> {
        cost::check(ctx)?;
        let highlights = self.scope.served.search_highlights(
            self.scope.audience,
            &self.highlighter,
            self.hit.post,
        );
        cost::charge(ctx, highlights.iter().map(|h| h.snippet.len() + 30).sum())?;
        Ok(highlights
            .into_iter()
            .map(|h| Highlight {
                field: h.field.into(),
                snippet: h.snippet,
            })
            .collect())
    }
}

/// A search hit and its cursor.
pub struct SearchEdge<'a> {
    cursor: String,
    node: SearchHit<'a>,
}

/// A search hit and its cursor.
#[Object]
impl<'a> SearchEdge<'a> {
    /// Pass as `after` to page from here.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The hit.
    async fn node(&self) -> &SearchHit<'a> {
        &self.node
    }
}

/// A page of search hits (Relay connection), with counts over all hits.
pub struct SearchConnection<'a> {
    scope: Scope<'a>,
    status: SearchStatus,
    page: Vec<(String, Hit)>,
    page_info: PageInfo,
    /// Every hit (the page's first), for the count and the facets.
    all: Vec<Hit>,
    facet_kinds: FacetKinds,
    highlighter: Option<Arc<Highlighter>>,
}

/// A page of search hits (Relay connection), with counts over all hits.
#[Object]
impl<'a> SearchConnection<'a> {
    /// READY, or INDEXING while this version's index is being built (then there are no hits
    /// yet).
    async fn status(&self) -> SearchStatus {
        self.status
    }

    /// The hits of this page with their cursors.
    async fn edges(&self) -> Vec<SearchEdge<'a>> {
        self.hits()
            .map(|(cursor, node)| SearchEdge {
                cursor: cursor.clone(),
                node,
            })
            .collect()
    }

    /// The hits of this page.
    async fn nodes(&self) -> Vec<SearchHit<'a>> {
        self.hits().map(|(_, node)| node).collect()
    }

    /// Where this page sits among all hits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many posts match, over all pages.
    async fn total_count(&self) -> usize {
        self.all.len()
    }

    /// Counts per tag, category, year and series over all hits (those asked for in
    /// `search(facets:)`, or all when it is not given).
    #[graphql(complexity = "cost::FACETS_COST + child_complexity")]
    async fn facets(&self) -> SearchFacets<'a> {
        let hits = self.all.iter().map(|hit| hit.post);
        let counted = site_search::facets::count(*self.scope, hits, self.facet_kinds);
        let names = |list: Vec<(String, usize)>| {
            list.into_iter()
                .map(|(name, count)| FacetCount { name, count })
                .collect()
        };
        SearchFacets {
            tags: counted
                .tags
                .into_iter()
                .map(|(idx, count)| TagCount {
                    scope: self.scope,
                    idx,
                    count,
                })
                .collect(),
            categories: names(counted.categories),
            years: counted
                .years
                .into_iter()
                .map(|(year, count)| YearCount { year, count })
                .collect(),
            series: names(counted.series),
        }
    }
}

impl<'a> SearchConnection<'a> {
    fn hits(&self) -> impl Iterator<Item = (&String, SearchHit<'a>)> + '_ {
        self.page.iter().filter_map(|(cursor, hit)| {
            let highlighter = self.highlighter.clone()?;
            Some((
                cursor,
                SearchHit {
                    scope: self.scope,
                    hit: *hit,
                    highlighter,
                },
            ))
        })
    }
}

/// The arguments of `search`.
pub struct SearchArgs {
    pub query: String,
    pub first: Option<i32>,
    pub after: Option<String>,
    pub order: SearchOrder,
    pub fuzzy: bool,
    pub prefix: bool,
    pub facets: Option<Vec<SearchFacet>>,
}

/// A page key: the order's sort value (score, then date and slug; or date and slug).
type RelevanceKey = (u32, SortValue);

/// A score as a number that orders the same way (scores are not negative).
fn score_key(score: f32) -> u32 {
    score.max(0.0).to_bits()
}

/// Runs a search for `scope`, keeping only posts `keep` keeps.
pub fn search<'a>(
    ctx: &Context<'_>,
    scope: Scope<'a>,
    args: SearchArgs,
    keep: Option<&dyn Fn(PostIdx) -> bool>,
) -> Result<SearchConnection<'a>, Error> {
    let request = SearchRequest {
        query: &args.query,
        prefix: args.prefix,
        fuzzy: args.fuzzy,
        order: match args.order {
            SearchOrder::Relevance => site_search::SearchOrder::Relevance,
            SearchOrder::Date => site_search::SearchOrder::Date,
        },
        keep,
        // A first page needs only its own hits in order.
        ordered: match &args.after {
            None => Some(args.first.map_or(DEFAULT_PAGE_SIZE, |n| n.max(0) as usize)),
            Some(_) => None,
        },
    };
    let facet_kinds = match &args.facets {
        None => FacetKinds::ALL,
        Some(kinds) => FacetKinds {
            tags: kinds.contains(&SearchFacet::Tags),
            categories: kinds.contains(&SearchFacet::Categories),
            years: kinds.contains(&SearchFacet::Years),
            series: kinds.contains(&SearchFacet::Series),
        },
    };
    let page_args = PageArgs {
        first: args.first,
        after: args.after,
        ..PageArgs::default()
    };
    let results = match scope.served.search(scope.audience, &request) {
        Err(err) => return Err(Error::new(err.to_string())),
        Ok(SearchOutcome::Indexing) => {
            // Not an answer for this version: caches must not keep it.
            ctx.insert_http_header("cache-control", "no-store");
            // Validate the paging arguments all the same.
            page_args.page(&[] as &[PostIdx], "SEARCH", true, |idx| *idx)?;
            return Ok(SearchConnection {
                scope,
                status: SearchStatus::Indexing,
                page: Vec::new(),
                page_info: PageInfo {
                    has_next_page: false,
                    has_previous_page: false,
                    start_cursor: None,
                    end_cursor: None,
                },
                all: Vec::new(),
                facet_kinds,
                highlighter: None,
            });
        }
        Ok(SearchOutcome::Ready(results)) => results,
    };
    let snapshot = scope.snapshot;
    let date = |idx: PostIdx| sort_value(snapshot.post(idx), SortKey::Date);
    let (range, has_next_page, has_previous_page, cursors): (_, _, _, Vec<String>) =
        match args.order {
            SearchOrder::Relevance => {
                let kind = "SEARCH_RELEVANCE";
                let key = |hit: &Hit| -> RelevanceKey { (score_key(hit.score), date(hit.post)) };
                let page = page_args.page(&results.hits, kind, true, key)?;
                let cursors = results.hits[page.range.clone()]
                    .iter()
                    .map(|hit| encode_cursor(kind, &key(hit)))
                    .collect();
                (
                    page.range,
                    page.has_next_page,
                    page.has_previous_page,
                    cursors,
                )
            }
            SearchOrder::Date => {
                let kind = "SEARCH_DATE";
                let page = page_args.page(&results.hits, kind, true, |hit| date(hit.post))?;
                let cursors = results.hits[page.range.clone()]
                    .iter()
                    .map(|hit| encode_cursor(kind, &date(hit.post)))
                    .collect();
                (
                    page.range,
                    page.has_next_page,
                    page.has_previous_page,
                    cursors,
                )
            }
        };
    let page: Vec<(String, Hit)> = cursors
        .into_iter()
        .zip(results.hits[range].iter().copied())
        .collect();
    Ok(SearchConnection {
        scope,
        status: SearchStatus::Ready,
        page_info: PageInfo {
            has_next_page,
            has_previous_page,
            start_cursor: page.first().map(|(c, _)| c.clone()),
            end_cursor: page.last().map(|(c, _)| c.clone()),
        },
        page,
        all: results.hits,
        facet_kinds,
        highlighter: Some(Arc::new(results.highlighter)),
    })
}

/// Completions of `prefix` for `scope`'s audience.
pub fn suggest(scope: Scope<'_>, prefix: &str, first: i32) -> Result<Vec<Suggestion>, Error> {
    let max = site_search::suggest::MAX_SUGGESTIONS as i32;
    if !(0..=max).contains(&first) {
        return Err(Error::new(format!(
            "`first` is {first}, but must be 0..{max}"
        )));
    }
    Ok(scope
        .served
        .suggest(scope.audience, prefix, first as usize)
        .into_iter()
        .map(|s| Suggestion {
            text: s.text,
            completion: s.completion,
            count: s.count,
            source: match s.source {
                site_search::SuggestionSource::Tag => SuggestionSource::Tag,
                site_search::SuggestionSource::Title => SuggestionSource::Title,
            },
        })
        .collect())
}
