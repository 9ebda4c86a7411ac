//! Full-text search over one served version: a tantivy index in RAM ([`SearchIndex`], kept
//! for the life of the site and updated with only the posts that changed), a searcher per
//! version ([`SiteSearch`]) that finds only that version's posts, the query language
//! ([`query`]), highlights, facets and search-box completions.
//!
//! The index is built from each post's Markdown source ([`text`]), never from its rendering,
//! and in the background: a version whose index is not ready yet answers
//! [`SearchOutcome::Indexing`]. Hidden posts (drafts, future posts) are indexed too, and
//! every hit, count, facet and completion is drawn from the posts the reading audience sees,
//! with BM25 statistics over those posts only: the public's answers are those of the same
//! folder without its hidden posts.

mod analysis;
mod engine;
pub mod facets;
pub mod highlight;
pub mod query;
pub mod relevance;
mod scoring;
pub mod similar;
pub mod suggest;
pub mod text;

pub use analysis::{language_named, site_language};
pub use engine::{BodyRead, MatchOptions, Matches, SearchIndex, Searchable};
pub use facets::{FacetKinds, Facets};
pub use highlight::Highlighter;
pub use query::ParsedQuery;
pub use suggest::{Suggestion, SuggestionSource, Vocabulary};

use crate::corpus::Document;
use crate::graph::{tag_slug, Audience, PostIdx, Snapshot};
use crate::links::TextSimilarity;
use chrono::Datelike;
use highlight::SNIPPET_CHARS;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Posts a reload may re-index before it swaps (on the reloading thread, so the new version
/// is searchable the moment it is served); more than that are indexed in the background.
pub const SYNC_REINDEX_LIMIT: usize = 256;

/// How much of a hit's body text is read at a time for its snippet (about a screen), and
/// how much at most once something matched ([`body_snippet`]). Extracting and judging every
/// word of a long post for each hit was most of a search's time on real-size posts; search
/// engines bound it too (Elasticsearch's `index.highlight.max_analyzed_offset`).
pub const HIGHLIGHT_PART_BYTES: usize = 2 * 1024;
pub const HIGHLIGHT_BODY_BYTES: usize = 4 * 1024;
/// How much body text is read from just before the densest run of matches the index's word
/// positions show ([`BodyRead::Near`]): the run and the context after it.
pub const HIGHLIGHT_NEAR_BYTES: usize = 1536;

/// A search that could not run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed (building, updating or searching the index).
    #[error("search index error: {0}")]
    Index(String),
}

impl From<std::io::Error> for SearchError {
    fn from(err: std::io::Error) -> Self {
        SearchError::Index(err.to_string())
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(err: tantivy::TantivyError) -> Self {
        SearchError::Index(err.to_string())
    }
}

/// Whether a version can be searched yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStatus {
    /// Being built (or waiting for an earlier build): searches answer
    /// [`SearchOutcome::Indexing`].
    Indexing,
    /// Searches run.
    Ready,
    /// Building failed; searches fail with this message.
    Failed(String),
}

/// The order of hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Best match first (ties: newer first).
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// One search.
pub struct SearchRequest<'a> {
    /// The query as typed (see [`query`]).
    pub query: &'a str,
    /// The last word is a prefix (search-as-you-type).
    pub prefix: bool,
    /// Tolerate typos.
    pub fuzzy: bool,
    pub order: SearchOrder,
    /// Only posts this keeps (the API's `PostFilter`).
    pub keep: Option<&'a dyn Fn(PostIdx) -> bool>,
    /// `Some(n)`: only the first `n` hits are read in order (a first page), the rest may come
    /// in any order; `None`: every hit in order.
    pub ordered: Option<usize>,
}

/// A hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub post: PostIdx,
    /// BM25 over the fields that matched, weighted by field (higher is better); 1 for every
    /// hit of a query with no words.
    pub score: f32,
}

/// Every hit of a search, in order, and what marks their matches.
#[derive(Debug)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    pub highlighter: Highlighter,
}

/// What a search answers.
#[derive(Debug)]
pub enum SearchOutcome {
    /// The index of this version is not ready yet: ask again shortly.
    Indexing,
    /// The results (boxed: they are far larger than the other variant).
    Ready(Box<SearchResults>),
}

/// A field a highlight comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighlightField {
    Title,
    SerialNumber,
    Tags,
    Headings,
    Description,
    Body,
}

/// A field of a hit with its matching words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub field: HighlightField,
    /// HTML: the field's text escaped, matches in `<mark>`; cut around the matches (with `…`)
    /// for the body.
    pub snippet: String,
}

/// Search for one served version.
pub struct SiteSearch {
    index: Arc<SearchIndex>,
    version: Arc<VersionIndex>,
    /// Completions per audience (public, preview), built on first use.
    vocabularies: [OnceLock<Vocabulary>; 2],
}

impl std::fmt::Debug for SiteSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteSearch")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// One version's posts and, once indexed, its searcher.
struct VersionIndex {
    /// The documents of the version's posts, by `PostIdx`.
    posts: Vec<Arc<Document>>,
    ready: OnceLock<Result<Arc<Searchable>, SearchError>>,
    started: AtomicBool,
}

impl SiteSearch {
    /// Search for `snapshot` on a new, empty index (built by [`start`](Self::start) or the
    /// first search).
    pub fn new(snapshot: &Snapshot) -> SiteSearch {
        let index = Arc::new(SearchIndex::new(site_language(&snapshot.config)));
        Self::on(index, snapshot)
    }

    /// Search for `snapshot`, reloaded after `previous`: the same index, brought up to date
    /// right away when few posts changed and no other update is running, else in the
    /// background. A new stemming language (`lang` changed) starts a new index.
    pub fn following(previous: &SiteSearch, snapshot: &Snapshot) -> SiteSearch {
        if previous.index.language() != site_language(&snapshot.config) {
            return Self::new(snapshot);
        }
        let search = Self::on(previous.index.clone(), snapshot);
        if let Some(result) = search
            .index
            .try_update(&search.version.posts, SYNC_REINDEX_LIMIT)
        {
            search.set_ready(result.map(Arc::new));
        }
        search
    }

    fn on(index: Arc<SearchIndex>, snapshot: &Snapshot) -> SiteSearch {
        SiteSearch {
            index,
            version: Arc::new(VersionIndex {
                posts: snapshot.posts.iter().map(|p| p.doc.clone()).collect(),
                ready: OnceLock::new(),
                started: AtomicBool::new(false),
            }),
            vocabularies: [OnceLock::new(), OnceLock::new()],
        }
    }

    fn set_ready(&self, result: Result<Arc<Searchable>, SearchError>) {
        set_ready(&self.version, result);
    }

    /// Whether this version can be searched yet.
    pub fn status(&self) -> IndexStatus {
        match self.version.ready.get() {
            None => IndexStatus::Indexing,
            Some(Ok(_)) => IndexStatus::Ready,
            Some(Err(err)) => IndexStatus::Failed(err.to_string()),
        }
    }

    /// Starts indexing this version on a thread of its own, once; returns at once. The
    /// thread gives up if the version is dropped (a newer one replaced it) before its turn.
    pub fn start(&self) {
        if self.version.ready.get().is_some() || self.version.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let index = self.index.clone();
        let version = Arc::downgrade(&self.version);
        let spawned = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                let started = Instant::now();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    index.update_with(|| version.upgrade().map(|v| v.posts.clone()))
                }));
                let Some(version) = version.upgrade() else {
                    return;
                };
                let result = match outcome {
                    Ok(Some(result)) => result,
                    Ok(None) => return,
                    Err(_) => Err(SearchError::Index("indexing panicked".into())),
                };
                match &result {
                    Ok(_) => tracing::info!(
                        "search index ready: {} posts in {} ms",
                        version.posts.len(),
                        started.elapsed().as_millis()
                    ),
                    Err(err) => tracing::error!("{err}; search answers with an error"),
                }
                set_ready(&version, result.map(Arc::new));
            });
        if let Err(err) = spawned {
            self.set_ready(Err(SearchError::Index(format!(
                "cannot start the indexing thread: {err}"
            ))));
        }
    }

    /// Indexes this version now, on this thread, unless it is ready already (waits for an
    /// update in progress). For tools, tests and benchmarks; a server calls
    /// [`start`](Self::start).
    pub fn wait_until_ready(&self) -> IndexStatus {
        if self.version.ready.get().is_none() {
            let result = self.index.update(&self.version.posts).map(Arc::new);
            set_ready(&self.version, result);
        }
        self.status()
    }

    /// Searches as `audience` sees `snapshot` (the snapshot of this version).
    pub fn search(
        &self,
        snapshot: &Snapshot,
        audience: Audience,
        request: &SearchRequest<'_>,
    ) -> Result<SearchOutcome, SearchError> {
        let searchable = match self.version.ready.get() {
            None => {
                self.start();
                return Ok(SearchOutcome::Indexing);
            }
            Some(Err(err)) => return Err(err.clone()),
            Some(Ok(searchable)) => searchable,
        };
        let parsed = ParsedQuery::parse(request.query, request.prefix);
        let view = snapshot.view(audience);
        let options = MatchOptions {
            fuzzy: request.fuzzy,
        };
        let matches = searchable.matches(&parsed, options, slot(audience), view.index)?;
        // `tag:` names every hit must have (an unknown tag: no hits), `year:` any of these.
        let tags: Option<Vec<_>> = parsed
            .tags
            .iter()
            .map(|name| snapshot.tag_by_slug(&tag_slug(name)))
            .collect();
        let Some(tags) = tags else {
            return Ok(self.ready(Vec::new(), &parsed, &matches.typo_stems));
        };
        // Without filters no hit's post is looked at here.
        let filtered = !tags.is_empty() || !parsed.years.is_empty() || request.keep.is_some();
        let mut hits: Vec<Hit> = matches
            .hits
            .into_iter()
            .filter(|(idx, _)| {
                if !filtered {
                    return true;
                }
                let post = snapshot.post(*idx);
                tags.iter().all(|t| post.tags.contains(t))
                    && (parsed.years.is_empty()
                        || parsed.years.contains(&post.doc.local_date.year()))
                    && request.keep.is_none_or(|keep| keep(*idx))
            })
            .map(|(post, score)| Hit { post, score })
            .collect();
        // Posts are stored newest first, so a lower index is newer (or, same date, the
        // later slug): the tie-break of both orders.
        let order = |a: &Hit, b: &Hit| match request.order {
            SearchOrder::Relevance => b
                .score
                .total_cmp(&a.score)
                .then_with(|| a.post.cmp(&b.post)),
            SearchOrder::Date => a.post.cmp(&b.post),
        };
        match request.ordered {
            // Put the first `n` in place without sorting the others.
            Some(n) if n < hits.len() => first_in_order(&mut hits, n, order),
            _ => hits.sort_unstable_by(order),
        }
        Ok(self.ready(hits, &parsed, &matches.typo_stems))
    }

    fn ready(&self, hits: Vec<Hit>, parsed: &ParsedQuery, typo_stems: &[String]) -> SearchOutcome {
        SearchOutcome::Ready(Box::new(SearchResults {
            hits,
            highlighter: Highlighter::new(parsed, typo_stems, self.index.language()),
        }))
    }

    /// The highlights of one hit: each field with a match, in the order title, serial
    /// number, tags, headings, description, body. The body is read only as far as its
    /// snippet needs ([`body_snippet`]).
    pub fn highlights(
        &self,
        snapshot: &Snapshot,
        audience: Audience,
        highlighter: &Highlighter,
        idx: PostIdx,
    ) -> Vec<Highlight> {
        let post = snapshot.post(idx);
        let doc = &post.doc;
        let view = snapshot.view(audience);
        let mut out = Vec::new();
        let mut push = |field, snippet: Option<String>| {
            if let Some(snippet) = snippet {
                out.push(Highlight { field, snippet });
            }
        };
        let mut marker = highlighter.marker();
        push(HighlightField::Title, marker.whole(&doc.title));
        push(
            HighlightField::SerialNumber,
            doc.serial_number
                .as_ref()
                .and_then(|s| highlighter.serial(&s.value)),
        );
        let tags: Vec<String> = post
            .tags
            .iter()
            .filter_map(|t| marker.whole(&view.tag(*t).name))
            .collect();
        push(
            HighlightField::Tags,
            (!tags.is_empty()).then(|| tags.join(", ")),
        );
        let searchable = match self.version.ready.get() {
            Some(Ok(searchable)) => Some(searchable),
            _ => None,
        };
        // Headings the index says have no marked word are not marked: a hit may match only in
        // its title or tags, and a long post has many headings. They were picked out when
        // the post was indexed: the body is not read for them.
        let extracted;
        let headings: Box<dyn Iterator<Item = &str>> = match searchable {
            Some(searchable)
                if highlighter
                    .marked_stems()
                    .is_some_and(|stems| !searchable.headings_have_any(idx, stems)) =>
            {
                Box::new(std::iter::empty())
            }
            Some(searchable) => Box::new(searchable.headings(idx)),
            None => {
                extracted = text::post_text(&doc.body).headings;
                Box::new(extracted.iter().map(String::as_str))
            }
        };
        let headings: Vec<String> = headings.filter_map(|h| marker.whole(h)).take(3).collect();
        push(
            HighlightField::Headings,
            (!headings.is_empty()).then(|| headings.join(" · ")),
        );
        push(
            HighlightField::Description,
            doc.description.as_deref().and_then(|d| marker.snippet(d)),
        );
        // Read near the densest run of marked words the index knows of, else from the start.
        let read = match (searchable, highlighter.marked_stems()) {
            (Some(searchable), Some(stems)) => searchable.body_read(idx, stems),
            _ => BodyRead::FromStart,
        };
        let body = match read {
            BodyRead::None => None,
            BodyRead::FromStart => Some((doc.body.as_str(), false)),
            BodyRead::Near(start) => Some(match doc.body.get(start..) {
                Some(near) => (near, true),
                None => (doc.body.as_str(), false),
            }),
        };
        push(
            HighlightField::Body,
            body.and_then(|(markdown, near)| {
                body_snippet(&mut marker, highlighter, markdown, near)
            }),
        );
        out
    }

    /// Completions of `prefix` from the titles and tags `audience` sees.
    pub fn suggest(
        &self,
        snapshot: &Snapshot,
        audience: Audience,
        prefix: &str,
        first: usize,
    ) -> Vec<Suggestion> {
        self.vocabularies[slot(audience)]
            .get_or_init(|| Vocabulary::build(snapshot.view(audience), self.index.language()))
            .complete(prefix, first)
    }

    /// The posts whose words are most like those of post `idx`, as `audience` sees
    /// `snapshot` (the snapshot of this version), most similar first. An error while the
    /// index is not ready (see [`status`](Self::status)); not cached here.
    pub fn similar(
        &self,
        snapshot: &Snapshot,
        audience: Audience,
        idx: PostIdx,
    ) -> Result<Vec<(PostIdx, TextSimilarity)>, SearchError> {
        let searchable = match self.version.ready.get() {
            None => return Err(SearchError::Index("the index is not ready".into())),
            Some(Err(err)) => return Err(err.clone()),
            Some(Ok(searchable)) => searchable,
        };
        let Some(doc) = self.version.posts.get(idx as usize) else {
            return Ok(Vec::new());
        };
        let visible = snapshot.view(audience).index;
        let language = self.index.language();
        similar::similar_posts(searchable, language, doc, idx, slot(audience), visible)
    }
}

/// The snippet of a body, read a part of [`HIGHLIGHT_PART_BYTES`] of text at a time until
/// the densest window of matches shows as many matches as the query has words (or three),
/// or [`HIGHLIGHT_BODY_BYTES`] were read and something matched; a body with no match there
/// is read on until one does. A post is read only as far as its snippet needs. `near`: the
/// Markdown starts shortly before the densest run of matches the index knows of, so a part
/// of [`HIGHLIGHT_NEAR_BYTES`] with a match is enough.
fn body_snippet(
    marker: &mut highlight::Marker<'_>,
    highlighter: &Highlighter,
    markdown: &str,
    near: bool,
) -> Option<String> {
    let part_bytes = if near {
        HIGHLIGHT_NEAR_BYTES
    } else {
        HIGHLIGHT_PART_BYTES
    };
    let wanted = highlighter.required().clamp(1, 3);
    let mut text = String::new();
    let mut marks = Vec::new();
    let mut from = 0;
    // Reads the next part: appends its text and marks; where the Markdown goes on, if it does.
    let mut read_part = |from: usize, text: &mut String, marks: &mut Vec<Range<usize>>| {
        let part = text::post_text_within(&markdown[from..], part_bytes);
        let offset = text.len();
        text.push_str(&part.body);
        let found = marker.marks(&part.body);
        marks.extend(found.into_iter().map(|m| m.start + offset..m.end + offset));
        // `rest` is past the part's lines, so every part moves on.
        part.rest.filter(|rest| *rest > 0).map(|rest| from + rest)
    };
    loop {
        let next = read_part(from, &mut text, &mut marks);
        let window = highlight::densest_window(&marks);
        let enough = match window {
            None => false,
            Some((shown, _)) => near || shown >= wanted || text.len() >= HIGHLIGHT_BODY_BYTES,
        };
        match next {
            Some(next) if !enough => from = next,
            // The window may run past the text read: one more part gives its context.
            Some(next) if window.is_some_and(|(_, at)| at + 4 * SNIPPET_CHARS > text.len()) => {
                read_part(next, &mut text, &mut marks);
                break;
            }
            _ => break,
        }
    }
    highlight::snippet_around(&text, &marks)
}

/// Puts the first `n` of `hits` by `order` (a strict order: no two hits equal) at the front,
/// in order, and the others after them in no order. A page's few are found in one pass with
/// a small sorted buffer and swapped to the front (`select_nth_unstable` for more).
fn first_in_order(hits: &mut [Hit], n: usize, order: impl Fn(&Hit, &Hit) -> std::cmp::Ordering) {
    use std::cmp::Ordering::Less;
    if n == 0 {
        return;
    }
    if n >= hits.len() {
        hits.sort_unstable_by(order);
        return;
    }
    if n > FIRST_BY_BUFFER {
        hits.select_nth_unstable_by(n, &order);
        hits[..n].sort_unstable_by(order);
        return;
    }
    // The best so far, in order, with where each is in `hits`.
    let mut best: Vec<(Hit, usize)> = Vec::with_capacity(n + 1);
    for (i, hit) in hits.iter().enumerate() {
        if best.len() == n
            && best
                .last()
                .is_some_and(|(last, _)| order(hit, last) != Less)
        {
            continue;
        }
        let at = best.partition_point(|(b, _)| order(b, hit) == Less);
        best.insert(at, (*hit, i));
        best.truncate(n);
    }
    // Swapped to the front in the order of their places: each goes to a place before its
    // own, and what it displaces is none of them (those still to come sit further on).
    let mut places: Vec<usize> = best.iter().map(|(_, i)| *i).collect();
    places.sort_unstable();
    for (front, place) in places.into_iter().enumerate() {
        hits.swap(front, place);
    }
    for (slot, (hit, _)) in hits.iter_mut().zip(&best) {
        *slot = *hit;
    }
}

/// Most hits [`first_in_order`] keeps in its buffer (a page is 10 or 20).
const FIRST_BY_BUFFER: usize = 100;

fn set_ready(version: &VersionIndex, result: Result<Arc<Searchable>, SearchError>) {
    // Whoever finishes first (the background thread or a synchronous wait) wins; both hold
    // the same posts.
    let _ = version.ready.set(result);
}

fn slot(audience: Audience) -> usize {
    match audience {
        Audience::Public => 0,
        Audience::Preview => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_first_hits_are_those_a_full_sort_puts_first(
            scores in proptest::collection::vec(0u8..20, 0..300),
            n in 0usize..150,
        ) {
            let hits: Vec<Hit> = scores
                .iter()
                .enumerate()
                .map(|(i, s)| Hit { post: i as PostIdx, score: f32::from(*s) })
                .collect();
            let order = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then_with(|| a.post.cmp(&b.post));
            let mut sorted = hits.clone();
            sorted.sort_by(order);
            let mut first = hits.clone();
            first_in_order(&mut first, n, order);
            let shown = n.min(hits.len());
            proptest::prop_assert_eq!(&first[..shown], &sorted[..shown]);
            let mut all: Vec<PostIdx> = first.iter().map(|h| h.post).collect();
            all.sort_unstable();
            proptest::prop_assert_eq!(all, (0..hits.len() as PostIdx).collect::<Vec<_>>());
        }
    }
}
