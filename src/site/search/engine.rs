//! The tantivy side of search: the schema, building the in-RAM index from the posts,
//! updating it with only the posts that changed, and running a query against one version's
//! searcher with statistics drawn from the posts its audience sees.
//!
//! One [`SearchIndex`] lives as long as the site (reloads carry it over); each served version
//! gets a [`Searchable`]: tantivy `Searcher`s frozen at the commit that matches its snapshot,
//! plus the tables from tantivy documents to its posts (a document of a post changed or
//! removed since maps to none). A later commit never changes what an earlier `Searcher`
//! sees, so a request reading one version only ever finds posts of that version.

use super::analysis::{self, PLAIN, STEMMED, WHOLE};
use super::query::{ParsedQuery, Part};
use super::scoring::{self, TermsQuery, WeightedTerm};
use super::text::{post_text_marked, BodyMark};
use super::SearchError;
use crate::corpus::Document;
use crate::graph::{PostIdx, PostIndex};
use dashmap::DashMap;
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    AllQuery, Bm25StatisticsProvider, BooleanQuery, BoostQuery, EnableScoring, FuzzyTermQuery,
    Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
};
use tantivy::tokenizer::{Language, TextAnalyzer};
use tantivy::{
    DocId, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, SegmentReader,
    SingleSegmentIndexWriter, TantivyDocument, Term, TERMINATED,
};
use tantivy_fst::Automaton;

/// A tantivy document that is no post of the version (deleted, or not in its snapshot).
const NO_POST: PostIdx = PostIdx::MAX;

/// Memory for building a segment: tantivy's minimum (its term table starts at a third).
const WRITER_MEMORY: usize = 15_000_000;

/// How much each field weighs: a word in the title says more about a post than one in its
/// body. Tags and headings are short summaries the author wrote; serial numbers are exact
/// identifiers, so a match there is almost certainly the post wanted.
const TITLE_BOOST: f32 = 6.0;
const TAGS_BOOST: f32 = 3.0;
const HEADINGS_BOOST: f32 = 2.0;
const DESCRIPTION_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 1.0;
const SERIAL_BOOST: f32 = 10.0;

/// Words found with a typo score by BM25 at this fraction of the field's weight.
const TYPO_FACTOR: f32 = 0.6;
/// Prefix matches score a constant (tantivy's automaton queries do not score by BM25): this
/// much in the title, a fraction of the field weight elsewhere.
const TITLE_PREFIX_SCORE: f32 = 3.0;
const PREFIX_FACTOR: f32 = 0.5;

/// Shortest word (in characters) matched with a typo; from this length one edit is
/// tolerated, from [`TWO_TYPOS_FROM`] two (as MiniSearch's default fuzziness, 0.2 × length).
const ONE_TYPO_FROM: usize = 5;
const TWO_TYPOS_FROM: usize = 10;
/// Shortest prefix (in characters) looked up outside titles and tags: shorter ones match a
/// large part of the body vocabulary.
const BODY_PREFIX_FROM: usize = 3;

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    /// Which version of a post's document this is (stable while the document is unchanged).
    key: Field,
    pub title: Field,
    /// The title again, not stemmed: for typo and prefix matching against words as typed.
    title_plain: Field,
    pub tags: Field,
    pub headings: Field,
    pub description: Field,
    pub body: Field,
    pub serial: Field,
}

impl Fields {
    /// The stemmed text fields with their weights.
    fn weighted(&self) -> [(Field, f32); 5] {
        [
            (self.title, TITLE_BOOST),
            (self.tags, TAGS_BOOST),
            (self.headings, HEADINGS_BOOST),
            (self.description, DESCRIPTION_BOOST),
            (self.body, BODY_BOOST),
        ]
    }

    /// Every field scored by BM25 (whose statistics an audience needs).
    fn scored(&self) -> [Field; 6] {
        [
            self.title,
            self.tags,
            self.headings,
            self.description,
            self.body,
            self.serial,
        ]
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        )
    };
    let positions = IndexRecordOption::WithFreqsAndPositions;
    let fields = Fields {
        key: builder.add_u64_field("key", INDEXED | FAST),
        title: builder.add_text_field("title", text(STEMMED, positions)),
        title_plain: builder.add_text_field("title_plain", text(PLAIN, IndexRecordOption::Basic)),
        tags: builder.add_text_field("tags", text(STEMMED, positions)),
        headings: builder.add_text_field("headings", text(STEMMED, positions)),
        description: builder.add_text_field("description", text(STEMMED, positions)),
        body: builder.add_text_field("body", text(STEMMED, positions)),
        serial: builder.add_text_field("serial", text(WHOLE, IndexRecordOption::WithFreqs)),
    };
    (builder.build(), fields)
}

/// The search index of a site, carried across reloads and brought up to date with each new
/// version's posts.
///
/// It is made of shards, each an in-RAM tantivy index: base shards written once, in
/// parallel, by a full build, and a delta shard for the posts added or changed since. A post
/// changed or removed after the build stays in its base shard as a stale document, which no
/// version's table maps to a post, so it is never found or counted; once stale and delta
/// documents pass a quarter of the posts, the next update builds afresh.
pub struct SearchIndex {
    language: Option<Language>,
    schema: Schema,
    fields: Fields,
    state: Mutex<Option<Built>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// Posts per base shard: shards are built in parallel and each one's writer holds its
/// postings in memory until done, so smaller shards build faster and peak lower; every shard
/// costs each query a term-dictionary lookup per term.
const SHARD_POSTS: usize = 2_000;

/// An index with documents in it.
struct Built {
    base: Vec<Shard>,
    /// Made on the first incremental update.
    delta: Option<Delta>,
    /// Every indexed post by source path: its key, the document it was indexed from, and
    /// whether it is in the delta shard.
    docs: HashMap<String, Indexed>,
    /// Base-shard documents of posts changed or removed since the build.
    stale: usize,
    next_key: u64,
}

struct Indexed {
    key: u64,
    doc: Arc<Document>,
    /// Its headings and body marks, picked out while indexing it.
    text: IndexedText,
    in_delta: bool,
}

/// What highlights need of a post's text, picked out while indexing it, so they do not read
/// the whole body again: its headings, and where to start reading its body to reach a word
/// the index found. Shared by every version that has the post unchanged.
#[derive(Debug, Default)]
struct TextMap {
    /// The headings, one per line (a heading is one line of Markdown).
    headings: Box<str>,
    /// A mark every [`BODY_MARK_BYTES`] of body text, in order.
    body_marks: Box<[BodyMark]>,
}

type IndexedText = Arc<TextMap>;

/// Body text between two [`BodyMark`]s, about: a highlight sent to a run of matches reads
/// from the mark before it.
const BODY_MARK_BYTES: usize = 512;

/// Words of context a highlight reads before the run of matches it was sent to: a snippet
/// shows some text before its first match.
const LEAD_WORDS: u32 = 16;

/// Words a snippet shows, about: a run of matches is judged by how many fall within it.
const SNIPPET_WORDS: u32 = 30;

/// Positions of one word in one body that a highlight looks at, at most.
const MAX_POSITIONS: usize = 256;

/// Where a highlight of a post's body reads it ([`Searchable::body_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRead {
    /// Nowhere: the body has no marked word.
    None,
    /// From the start, as far as it takes.
    FromStart,
    /// From this Markdown offset, where a run of matches starts shortly after.
    Near(usize),
}

/// The first word position of the run of [`SNIPPET_WORDS`] words that holds the most of
/// `positions` (the earliest such run); `None` when there are none.
fn densest_run(positions: &mut [u32]) -> Option<u32> {
    positions.sort_unstable();
    let mut best: Option<(usize, u32)> = None;
    let mut end = 0;
    for (i, start) in positions.iter().enumerate() {
        end = end.max(i);
        while positions
            .get(end)
            .is_some_and(|p| *p < start.saturating_add(SNIPPET_WORDS))
        {
            end += 1;
        }
        if best.is_none_or(|(count, _)| end - i > count) {
            best = Some((end - i, *start));
        }
    }
    best.map(|(_, start)| start)
}

/// An index no update changes once built.
struct Shard {
    reader: IndexReader,
    /// The text maps of its posts, in order.
    texts: Vec<IndexedText>,
}

/// The shard that takes the posts added or changed after the full build.
struct Delta {
    writer: IndexWriter,
    reader: IndexReader,
    /// Live documents in it.
    docs: usize,
}

impl Built {
    /// How far this index is from `posts`: the documents an update would add or forget,
    /// and (at most) the stale and delta documents there would be after it.
    fn distance(&self, posts: &[Arc<Document>]) -> (usize, usize) {
        let mut changed = 0;
        let mut changed_in_base = 0;
        let mut present = 0;
        for doc in posts {
            match self.docs.get(&doc.source_path) {
                Some(indexed) if same_document(&indexed.doc, doc) => present += 1,
                Some(indexed) => {
                    present += 1;
                    changed += 1;
                    changed_in_base += usize::from(!indexed.in_delta);
                }
                None => changed += 1,
            }
        }
        let removed = self.docs.len().saturating_sub(present);
        let delta_docs = self.delta.as_ref().map_or(0, |d| d.docs);
        let overhead = self.stale + changed_in_base + removed + delta_docs + changed;
        (changed + removed, overhead)
    }
}

/// Whether an index with `overhead` stale and delta documents should be built afresh.
fn needs_rebuild(overhead: usize, posts: usize) -> bool {
    overhead > posts / 4 + 64
}

impl SearchIndex {
    /// An empty index whose text is stemmed in `language` (none: words as written).
    pub fn new(language: Option<Language>) -> SearchIndex {
        let (schema, fields) = schema();
        SearchIndex {
            language,
            schema,
            fields,
            state: Mutex::new(None),
        }
    }

    /// The stemmer language.
    pub fn language(&self) -> Option<Language> {
        self.language
    }

    /// Brings the index to exactly `posts` (a version's posts, by `PostIdx`) and returns the
    /// searcher for them. Only posts whose document changed are indexed again; when too many
    /// did, the index is built afresh. Blocks while another update runs.
    pub fn update(&self, posts: &[Arc<Document>]) -> Result<Searchable, SearchError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.update_locked(&mut state, posts)
    }

    /// As [`update`](Self::update) with the posts `posts` gives once it is this caller's
    /// turn; `None` (and nothing done) when it gives none (the version is gone).
    pub fn update_with(
        &self,
        posts: impl FnOnce() -> Option<Vec<Arc<Document>>>,
    ) -> Option<Result<Searchable, SearchError>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let posts = posts()?;
        Some(self.update_locked(&mut state, &posts))
    }

    /// As [`update`](Self::update), but only when the index is built, no other update is
    /// running, at most `max_changes` posts changed and no fresh build is due; `None`
    /// otherwise (nothing was done).
    pub fn try_update(
        &self,
        posts: &[Arc<Document>],
        max_changes: usize,
    ) -> Option<Result<Searchable, SearchError>> {
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let (changes, overhead) = state.as_ref()?.distance(posts);
        if changes > max_changes || needs_rebuild(overhead, posts.len()) {
            return None;
        }
        Some(self.update_locked(&mut state, posts))
    }

    fn update_locked(
        &self,
        state: &mut Option<Built>,
        posts: &[Arc<Document>],
    ) -> Result<Searchable, SearchError> {
        let rebuild = match state.as_ref() {
            None => true,
            Some(built) => needs_rebuild(built.distance(posts).1, posts.len()),
        };
        if rebuild {
            *state = None; // frees the old index before the new one is built
            *state = Some(self.build(posts)?);
        } else if let Some(built) = state.as_mut() {
            self.apply_changes(built, posts)?;
        }
        match state.as_ref() {
            Some(built) => self.searchable(built, posts),
            None => Err(SearchError::Index("the index was not built".into())),
        }
    }

    /// An empty in-RAM index with the analyzers registered.
    fn empty_index(&self) -> Index {
        let index = Index::create_in_ram(self.schema.clone());
        let analyzers = [
            (STEMMED, analysis::stemmed(self.language)),
            (PLAIN, analysis::plain()),
            (WHOLE, analysis::whole()),
        ];
        for (name, analyzer) in analyzers {
            index.tokenizers().register(name, analyzer);
        }
        index
    }

    /// A fresh index of `posts`: base shards of [`SHARD_POSTS`] posts, each written as one
    /// segment by one thread (up to one thread per core), with nothing queued, so no copy of
    /// the corpus's text waits in memory.
    fn build(&self, posts: &[Arc<Document>]) -> Result<Built, SearchError> {
        let chunks: Vec<(usize, &[Arc<Document>])> = posts
            .chunks(SHARD_POSTS)
            .enumerate()
            .map(|(i, chunk)| (i * SHARD_POSTS, chunk))
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4)
            .min(chunks.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let built: Vec<Result<(usize, Shard), SearchError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let Some((first_key, chunk)) = chunks.get(i) else {
                                break;
                            };
                            out.push(self.build_shard(*first_key, chunk).map(|s| (i, s)));
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join().unwrap_or_else(|_| {
                        vec![Err(SearchError::Index(
                            "an indexing thread panicked".into(),
                        ))]
                    })
                })
                .collect()
        });
        let mut shards: Vec<(usize, Shard)> = built.into_iter().collect::<Result<_, _>>()?;
        shards.sort_by_key(|(i, _)| *i);
        let texts = shards
            .iter_mut()
            .flat_map(|(_, shard)| std::mem::take(&mut shard.texts));
        let docs = posts
            .iter()
            .zip(texts)
            .enumerate()
            .map(|(key, (doc, text))| {
                let indexed = Indexed {
                    key: key as u64,
                    doc: doc.clone(),
                    text,
                    in_delta: false,
                };
                (doc.source_path.clone(), indexed)
            })
            .collect();
        Ok(Built {
            base: shards.into_iter().map(|(_, shard)| shard).collect(),
            delta: None,
            docs,
            stale: 0,
            next_key: posts.len() as u64,
        })
    }

    /// One base shard: `posts`, keyed from `first_key` on.
    fn build_shard(&self, first_key: usize, posts: &[Arc<Document>]) -> Result<Shard, SearchError> {
        let mut writer: SingleSegmentIndexWriter<TantivyDocument> =
            SingleSegmentIndexWriter::new(self.empty_index(), WRITER_MEMORY)?;
        let mut texts = Vec::with_capacity(posts.len());
        for (i, doc) in posts.iter().enumerate() {
            let (document, text) = self.document((first_key + i) as u64, doc);
            writer.add_document(document)?;
            texts.push(text);
        }
        let index = writer.finalize()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Shard { reader, texts })
    }

    /// Indexes the changed and new posts into the delta shard (replacing their earlier delta
    /// documents), forgets removed ones, commits and reloads the delta reader.
    fn apply_changes(&self, built: &mut Built, posts: &[Arc<Document>]) -> Result<(), SearchError> {
        let wanted: HashMap<&str, ()> =
            posts.iter().map(|d| (d.source_path.as_str(), ())).collect();
        let mut delta_deletes: Vec<u64> = Vec::new();
        let mut stale = 0;
        built.docs.retain(|path, indexed| {
            let keep = wanted.contains_key(path.as_str());
            if !keep {
                match indexed.in_delta {
                    true => delta_deletes.push(indexed.key),
                    false => stale += 1,
                }
            }
            keep
        });
        let mut adds: Vec<&Arc<Document>> = Vec::new();
        for doc in posts {
            match built.docs.get_mut(&doc.source_path) {
                Some(indexed) if same_document(&indexed.doc, doc) => indexed.doc = doc.clone(),
                Some(indexed) => {
                    match indexed.in_delta {
                        true => delta_deletes.push(indexed.key),
                        false => stale += 1,
                    }
                    adds.push(doc);
                }
                None => adds.push(doc),
            }
        }
        built.stale += stale;
        if delta_deletes.is_empty() && adds.is_empty() {
            return Ok(());
        }
        if built.delta.is_none() {
            let index = self.empty_index();
            let options = tantivy::indexer::IndexWriterOptions::builder()
                .memory_budget_per_thread(WRITER_MEMORY)
                .num_worker_threads(1)
                .num_merge_threads(1)
                .build();
            let writer = index.writer_with_options(options)?;
            let reader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            built.delta = Some(Delta {
                writer,
                reader,
                docs: 0,
            });
        }
        let Some(delta) = built.delta.as_mut() else {
            return Err(SearchError::Index("no delta shard".into()));
        };
        delta.docs = delta.docs.saturating_sub(delta_deletes.len());
        for key in delta_deletes {
            delta
                .writer
                .delete_term(Term::from_field_u64(self.fields.key, key));
        }
        for doc in adds {
            let key = built.next_key;
            built.next_key += 1;
            let (document, text) = self.document(key, doc);
            delta.writer.add_document(document)?;
            delta.docs += 1;
            let indexed = Indexed {
                key,
                doc: doc.clone(),
                text,
                in_delta: true,
            };
            built.docs.insert(doc.source_path.clone(), indexed);
        }
        delta.writer.commit()?;
        delta.reader.reload()?;
        Ok(())
    }

    /// The tantivy document of a post, and its text map.
    fn document(&self, key: u64, doc: &Document) -> (TantivyDocument, IndexedText) {
        let f = &self.fields;
        let (text, body_marks) = post_text_marked(&doc.body, BODY_MARK_BYTES);
        let mut out = TantivyDocument::default();
        out.add_u64(f.key, key);
        out.add_text(f.title, &doc.title);
        out.add_text(f.title_plain, &doc.title);
        for tag in &doc.tags {
            out.add_text(f.tags, tag);
        }
        for heading in &text.headings {
            out.add_text(f.headings, heading);
        }
        if let Some(description) = &doc.description {
            out.add_text(f.description, description);
        }
        out.add_text(f.body, &text.body);
        if let Some(serial) = &doc.serial_number {
            out.add_text(f.serial, &serial.value);
        }
        let map = TextMap {
            headings: text.headings.join("\n").into(),
            body_marks: body_marks.into(),
        };
        (out, Arc::new(map))
    }

    /// The searchers of the shards as they are now, with the tables from their documents to
    /// the positions of `posts` (which the index must hold exactly).
    fn searchable(
        &self,
        built: &Built,
        posts: &[Arc<Document>],
    ) -> Result<Searchable, SearchError> {
        let mut texts: Vec<IndexedText> = Vec::with_capacity(posts.len());
        let mut post_of_key: HashMap<u64, PostIdx> = HashMap::with_capacity(posts.len());
        for (idx, doc) in posts.iter().enumerate() {
            match built.docs.get(&doc.source_path) {
                Some(indexed) => {
                    post_of_key.insert(indexed.key, idx as PostIdx);
                    texts.push(indexed.text.clone());
                }
                None => texts.push(IndexedText::default()),
            }
        }
        let readers = built
            .base
            .iter()
            .map(|shard| &shard.reader)
            .chain(built.delta.as_ref().map(|delta| &delta.reader));
        let mut shards = Vec::new();
        let mut doc_of_post = vec![None; posts.len()];
        for (shard, reader) in readers.enumerate() {
            let searcher = reader.searcher();
            let mut posts_by_doc = Vec::with_capacity(searcher.segment_readers().len());
            for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
                let keys = segment.fast_fields().u64("key")?;
                let alive = segment.alive_bitset();
                let table: Vec<PostIdx> = (0..segment.max_doc())
                    .map(|doc| {
                        if alive.is_some_and(|a| !a.is_alive(doc)) {
                            return NO_POST;
                        }
                        keys.first(doc)
                            .and_then(|key| post_of_key.get(&key).copied())
                            .unwrap_or(NO_POST)
                    })
                    .collect();
                for (doc, idx) in table.iter().enumerate() {
                    if let Some(slot) = doc_of_post.get_mut(*idx as usize) {
                        *slot = Some(DocAddress {
                            shard,
                            segment: segment_ord,
                            doc: doc as DocId,
                        });
                    }
                }
                posts_by_doc.push(table);
            }
            shards.push(ShardView {
                searcher,
                posts_by_doc,
            });
        }
        Ok(Searchable {
            shards,
            doc_of_post,
            texts,
            fields: self.fields,
            stemmed: analysis::stemmed(self.language),
            totals: [OnceLock::new(), OnceLock::new()],
            doc_freqs: [DashMap::new(), DashMap::new()],
            similar_doc_freqs: [DashMap::new(), DashMap::new()],
        })
    }
}

/// Whether an indexed document still holds: the same parse, or an equal one.
fn same_document(indexed: &Arc<Document>, doc: &Arc<Document>) -> bool {
    Arc::ptr_eq(indexed, doc) || **indexed == **doc
}

/// One shard as one version sees it.
struct ShardView {
    searcher: Searcher,
    /// Per segment (by ordinal), the post of each tantivy document, or [`NO_POST`].
    posts_by_doc: Vec<Vec<PostIdx>>,
}

impl ShardView {
    /// Each segment with its table.
    fn segments(&self) -> impl Iterator<Item = (&SegmentReader, &Vec<PostIdx>)> {
        self.searcher
            .segment_readers()
            .iter()
            .zip(&self.posts_by_doc)
    }
}

/// Whether `postings` has document `doc`, moving to it. `seek` only moves forward: a term
/// whose first document is past `doc` does not have it.
fn has_doc(postings: &mut SegmentPostings, doc: DocId) -> bool {
    match postings.doc() {
        first if first < doc => postings.seek(doc) == doc,
        first => first == doc,
    }
}

/// A tantivy document: its shard, segment (by ordinal) and id.
#[derive(Debug, Clone, Copy)]
struct DocAddress {
    shard: usize,
    segment: usize,
    doc: DocId,
}

/// One version's view of the index: what its requests search.
pub struct Searchable {
    shards: Vec<ShardView>,
    /// Where each post of the version is indexed, by `PostIdx`.
    doc_of_post: Vec<Option<DocAddress>>,
    /// The text map of each post of the version, by `PostIdx`.
    texts: Vec<IndexedText>,
    fields: Fields,
    stemmed: TextAnalyzer,
    /// Per audience (public, preview): document count and tokens per field over the posts
    /// it sees, for BM25.
    totals: [OnceLock<Totals>; 2],
    /// Per audience (public, preview): the visible posts with each term asked about so far.
    /// A version's searchers and its audiences' posts never change, so a count holds for
    /// every later query of the version; at most [`DOC_FREQ_CACHE_TERMS`] are kept.
    doc_freqs: [DashMap<Term, u64>; 2],
    /// The same counts for the similar-text lookups of `Post.related`, kept apart: they ask
    /// about every word of a post, and a crawl of related posts would otherwise keep
    /// emptying the searches' cache.
    similar_doc_freqs: [DashMap<Term, u64>; 2],
}

/// Terms whose document frequency one audience's cache keeps (a few megabytes at most);
/// past that it starts over.
const DOC_FREQ_CACHE_TERMS: usize = 100_000;

impl std::fmt::Debug for Searchable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searchable")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Totals {
    docs: u64,
    tokens: HashMap<Field, u64>,
}

/// How a query is matched.
#[derive(Debug, Clone, Copy)]
pub struct MatchOptions {
    /// Tolerate typos in longer words.
    pub fuzzy: bool,
}

/// Most index terms a word with a typo is expanded to (closest first, then most frequent).
const MAX_TYPO_TERMS: usize = 6;

/// Levenshtein automaton builders for one and two edits (transpositions cost one), made once:
/// building one takes milliseconds, a word's automaton then microseconds.
fn automaton_builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static BUILDERS: [OnceLock<LevenshteinAutomatonBuilder>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let slot = usize::from(distance.clamp(1, 2)) - 1;
    BUILDERS[slot].get_or_init(|| LevenshteinAutomatonBuilder::new(distance.clamp(1, 2), true))
}

/// A Levenshtein DFA as an automaton over a term dictionary.
struct Typos<'a>(&'a DFA);

impl Automaton for Typos<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// What [`Searchable::matches`] found.
#[derive(Debug, Default)]
pub struct Matches {
    /// Every matching post with its score, in no order.
    pub hits: Vec<(PostIdx, f32)>,
    /// The index stems the query's required words were expanded to for their typos: the
    /// words highlights mark besides the query's own stems.
    pub typo_stems: Vec<String>,
}

/// A query built from a parsed one, with what building it learnt.
struct BuiltQuery {
    /// What the required words and phrases match (each is required).
    required: Vec<PartQuery>,
    /// What the excluded words and phrases match.
    excluded: Vec<PartQuery>,
    /// The stems the required words' typos were expanded to.
    typo_stems: Vec<String>,
    /// A word was left unexpanded because the audience's posts have it.
    skipped_known: bool,
}

/// What one word or phrase of a query matches.
enum PartQuery {
    /// Any of these terms, each scored by BM25 times its weight: most words.
    Terms(Vec<WeightedTerm>),
    /// What terms alone cannot say (phrases, prefixes, words of several terms).
    Query(Box<dyn Query>),
}

impl PartQuery {
    fn into_query(self) -> Box<dyn Query> {
        match self {
            PartQuery::Terms(terms) => {
                let clauses = terms
                    .into_iter()
                    .map(|(term, weight)| {
                        let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                        (Occur::Should, boosted(query, weight))
                    })
                    .collect();
                Box::new(BooleanQuery::new(clauses))
            }
            PartQuery::Query(query) => query,
        }
    }

    fn terms(&self) -> Option<&[WeightedTerm]> {
        match self {
            PartQuery::Terms(terms) => Some(terms),
            PartQuery::Query(_) => None,
        }
    }
}

impl BuiltQuery {
    /// The query as terms only, when it is one (it has required words, not too many, and
    /// every part is terms): then it is scored term at a time.
    fn as_terms(&self) -> Option<TermsQuery<'_>> {
        if self.required.is_empty() || self.required.len() > scoring::MAX_REQUIRED {
            return None;
        }
        Some(TermsQuery {
            required: self
                .required
                .iter()
                .map(PartQuery::terms)
                .collect::<Option<_>>()?,
            excluded: self
                .excluded
                .iter()
                .map(PartQuery::terms)
                .collect::<Option<_>>()?,
        })
    }

    /// The query for tantivy: every required part (or every post), none of the excluded.
    fn into_query(self) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for part in self.required {
            clauses.push((Occur::Must, part.into_query()));
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        for part in self.excluded {
            clauses.push((Occur::MustNot, part.into_query()));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// The analyzers and what was learnt while one query is built.
struct Building<'s> {
    stemmed: TextAnalyzer,
    plain: TextAnalyzer,
    /// Typo expansions of the required words (exclusions are matched exactly).
    typo_stems: Vec<String>,
    /// The audience's statistics: whether its posts have a word.
    statistics: &'s AudienceStatistics<'s>,
    /// Expand words the audience's posts have too.
    expand_known: bool,
    /// A word was not expanded because the posts have it.
    skipped_known: bool,
}

impl Building<'_> {
    /// Whether a word long enough for typos is expanded to its typo neighbours: when the
    /// audience's posts do not have its stem in any field (a word that is there was most
    /// likely typed as meant, as Typesense's `typo_tokens_threshold` assumes), or always
    /// with `expand_known`.
    fn expands(&mut self, stem: &str, fields: &Fields) -> tantivy::Result<bool> {
        if self.expand_known {
            return Ok(true);
        }
        if self.statistics.stem_docs(fields, stem)? > 0 {
            self.skipped_known = true;
            return Ok(false);
        }
        Ok(true)
    }
}

impl Searchable {
    /// The headings of a post of the version, in order (none for an index out of range).
    pub fn headings(&self, idx: PostIdx) -> impl Iterator<Item = &str> {
        let lines = self
            .texts
            .get(idx as usize)
            .map_or("", |text| &text.headings[..]);
        lines.split('\n').filter(|heading| !heading.is_empty())
    }

    /// Whether a post's headings have any of `stems` (as the index analyzed them): `false`
    /// only when they surely have none, so a highlight need not mark them. (Its body:
    /// [`Searchable::body_read`].)
    pub fn headings_have_any<'s>(
        &self,
        idx: PostIdx,
        stems: impl IntoIterator<Item = &'s str>,
    ) -> bool {
        let field = self.fields.headings;
        let Some((inverted, doc)) = self.inverted_index(idx, field) else {
            return true;
        };
        stems.into_iter().any(|stem| {
            let term = Term::from_field_text(field, stem);
            match inverted.read_postings(&term, IndexRecordOption::Basic) {
                Ok(Some(mut postings)) => has_doc(&mut postings, doc),
                Ok(None) => false,
                Err(_) => true,
            }
        })
    }

    /// Where a highlight of a post's body reads it: not at all when the body surely has none
    /// of `stems` (as the index analyzed them), else near the densest run of them the
    /// index's word positions show (or from the start, when they cannot be read).
    pub fn body_read<'s>(
        &self,
        idx: PostIdx,
        stems: impl IntoIterator<Item = &'s str>,
    ) -> BodyRead {
        let field = self.fields.body;
        let Some((inverted, doc)) = self.inverted_index(idx, field) else {
            return BodyRead::FromStart;
        };
        let mut positions = Vec::new();
        let mut found = Vec::new();
        for stem in stems {
            let term = Term::from_field_text(field, stem);
            match inverted.read_postings(&term, IndexRecordOption::WithFreqsAndPositions) {
                Ok(Some(mut postings)) => {
                    if has_doc(&mut postings, doc) {
                        postings.positions(&mut found);
                        positions.extend(found.iter().take(MAX_POSITIONS));
                    }
                }
                Ok(None) => {}
                Err(_) => return BodyRead::FromStart,
            }
        }
        let Some(densest) = densest_run(&mut positions) else {
            return BodyRead::None;
        };
        let marks = self
            .texts
            .get(idx as usize)
            .map_or(&[][..], |t| &t.body_marks[..]);
        let start = marks
            .iter()
            .rev()
            .find(|mark| mark.position.saturating_add(LEAD_WORDS) <= densest)
            .map_or(0, |mark| mark.offset as usize);
        BodyRead::Near(start)
    }

    /// The inverted index of `field` in the segment that holds `idx`, and its document there.
    fn inverted_index(
        &self,
        idx: PostIdx,
        field: Field,
    ) -> Option<(Arc<tantivy::InvertedIndexReader>, DocId)> {
        let at = (*self.doc_of_post.get(idx as usize)?)?;
        let segment = self
            .shards
            .get(at.shard)?
            .searcher
            .segment_readers()
            .get(at.segment)?;
        Some((segment.inverted_index(field).ok()?, at.doc))
    }

    /// Every post `visible` holds that matches `query`'s words, phrases and exclusions
    /// (not its `tag:`/`year:` filters), with its score, in no order. `slot` names the
    /// audience (0 public, 1 preview) whose statistics are cached.
    ///
    /// Scores use BM25 statistics over the posts `visible` holds only (document count,
    /// average field lengths, document frequencies), so what an audience cannot see never
    /// changes the scores it gets: the public's scores are those of the same folder without
    /// its hidden posts, however the index is sharded or how often it was updated.
    pub fn matches(
        &self,
        query: &ParsedQuery,
        options: MatchOptions,
        slot: usize,
        visible: &PostIndex,
    ) -> Result<Matches, SearchError> {
        let statistics = self.statistics(slot, visible);
        // Words the audience's posts have are matched as typed; only the others are
        // expanded to their typo neighbours, unless that finds nothing.
        let mut built = self.build_query(query, options, &statistics, false)?;
        let skipped_known = built.skipped_known;
        let mut typo_stems = std::mem::take(&mut built.typo_stems);
        let mut hits = self.run(built, &statistics, visible)?;
        if hits.is_empty() && skipped_known {
            let mut built = self.build_query(query, options, &statistics, true)?;
            typo_stems = std::mem::take(&mut built.typo_stems);
            hits = self.run(built, &statistics, visible)?;
        }
        Ok(Matches { hits, typo_stems })
    }

    /// The BM25 statistics of the audience in `slot` (0 public, 1 preview), which sees the
    /// posts `visible` holds, for a search.
    fn statistics<'s>(&'s self, slot: usize, visible: &'s PostIndex) -> AudienceStatistics<'s> {
        self.statistics_in(&self.doc_freqs, slot, visible)
    }

    /// The same statistics for a similar-text lookup (their counts cached apart).
    fn similar_statistics<'s>(
        &'s self,
        slot: usize,
        visible: &'s PostIndex,
    ) -> AudienceStatistics<'s> {
        self.statistics_in(&self.similar_doc_freqs, slot, visible)
    }

    fn statistics_in<'s>(
        &'s self,
        doc_freqs: &'s [DashMap<Term, u64>; 2],
        slot: usize,
        visible: &'s PostIndex,
    ) -> AudienceStatistics<'s> {
        let slot = slot.min(1);
        AudienceStatistics {
            searchable: self,
            totals: self.totals[slot].get_or_init(|| self.totals_over(visible)),
            visible,
            doc_freqs: &doc_freqs[slot],
        }
    }

    /// How many posts the audience in `slot` sees, and about how many of them have `stem` in
    /// a text field: as many as the field that has it in most posts, which is exact when
    /// that is under two (so "only one post has it" is never a guess).
    pub fn stem_frequency(
        &self,
        stem: &str,
        slot: usize,
        visible: &PostIndex,
    ) -> Result<(u64, u64), SearchError> {
        let statistics = self.similar_statistics(slot, visible);
        let (mut most, mut sum) = (0, 0);
        for (field, _) in self.fields.weighted() {
            let docs = statistics.doc_freq(&Term::from_field_text(field, stem))?;
            most = most.max(docs);
            sum += docs;
        }
        if most < 2 && sum >= 2 {
            // In one field of one post, another field of another, or both of the same?
            let mut posts: Vec<PostIdx> = Vec::new();
            for (field, _) in self.fields.weighted() {
                let term = Term::from_field_text(field, stem);
                self.each_visible_post_with(&term, visible, |idx| {
                    if !posts.contains(&idx) {
                        posts.push(idx);
                    }
                })?;
            }
            most = posts.len() as u64;
        }
        Ok((statistics.totals.docs, most))
    }

    /// Calls `each` with every post `visible` holds that has `term`: its postings, read
    /// through the version's tables.
    fn each_visible_post_with(
        &self,
        term: &Term,
        visible: &PostIndex,
        mut each: impl FnMut(PostIdx),
    ) -> tantivy::Result<()> {
        for (segment, table) in self.segments() {
            let inverted = segment.inverted_index(term.field())?;
            let Some(mut postings) = inverted.read_postings(term, IndexRecordOption::Basic)? else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                let idx = table.get(doc as usize).copied().unwrap_or(NO_POST);
                if idx != NO_POST && visible.contains(idx) {
                    each(idx);
                }
                doc = postings.advance();
            }
        }
        Ok(())
    }

    /// Every visible post with any of `stems` (as the index analyzed them, at most
    /// [`scoring::MAX_REQUIRED`]) in a text field, with its score — the sum of its stems'
    /// BM25 scores, each times its field's weight and its own — and which stems it has (bit
    /// `i` for `stems[i]`), in no order.
    pub fn any_of(
        &self,
        stems: &[(&str, f32)],
        slot: usize,
        visible: &PostIndex,
    ) -> Result<Vec<(PostIdx, f32, u64)>, SearchError> {
        let statistics = self.similar_statistics(slot, visible);
        let mut words: Vec<Vec<WeightedTerm>> = Vec::new();
        for (stem, weight) in stems.iter().take(scoring::MAX_REQUIRED) {
            let mut terms = Vec::new();
            for (field, boost) in self.fields.weighted() {
                let term = Term::from_field_text(field, stem);
                if statistics.doc_freq(&term)? > 0 {
                    terms.push((term, boost * weight));
                }
            }
            words.push(terms);
        }
        let query = TermsQuery {
            required: words.iter().map(Vec::as_slice).collect(),
            excluded: Vec::new(),
        };
        Ok(query.any_hits(self.segments(), &statistics, visible, NO_POST)?)
    }

    /// Every visible post `built` matches, with its score: term at a time when the query is
    /// terms only, else by tantivy.
    fn run(
        &self,
        built: BuiltQuery,
        statistics: &AudienceStatistics<'_>,
        visible: &PostIndex,
    ) -> Result<Vec<(PostIdx, f32)>, SearchError> {
        match built.as_terms() {
            Some(terms) => Ok(terms.hits(self.segments(), statistics, visible, NO_POST)?),
            None => self.run_tantivy(&*built.into_query(), statistics, visible),
        }
    }

    /// Every visible post `query` matches, with its score, as tantivy finds them.
    fn run_tantivy(
        &self,
        query: &dyn Query,
        statistics: &AudienceStatistics<'_>,
        visible: &PostIndex,
    ) -> Result<Vec<(PostIdx, f32)>, SearchError> {
        let mut hits = Vec::new();
        for shard in &self.shards {
            let weight = query.weight(EnableScoring::enabled_from_statistics_provider(
                statistics,
                &shard.searcher,
            ))?;
            for (segment, table) in shard.segments() {
                weight.for_each(segment, &mut |doc: DocId, score| {
                    let idx = table.get(doc as usize).copied().unwrap_or(NO_POST);
                    if idx != NO_POST && visible.contains(idx) {
                        hits.push((idx, score));
                    }
                })?;
            }
        }
        Ok(hits)
    }

    /// Every segment of every shard, with its table.
    fn segments(&self) -> impl Iterator<Item = (&SegmentReader, &Vec<PostIdx>)> {
        self.shards.iter().flat_map(ShardView::segments)
    }

    fn totals_over(&self, visible: &PostIndex) -> Totals {
        let mut totals = Totals::default();
        for (segment, table) in self.segments() {
            let seen: Vec<DocId> = (0..segment.max_doc())
                .filter(|doc| {
                    let idx = table[*doc as usize];
                    idx != NO_POST && visible.contains(idx)
                })
                .collect();
            totals.docs += seen.len() as u64;
            for field in self.fields.scored() {
                let Ok(norms) = segment.get_fieldnorms_reader(field) else {
                    continue;
                };
                let sum: u64 = seen
                    .iter()
                    .map(|doc| u64::from(norms.fieldnorm(*doc)))
                    .sum();
                *totals.tokens.entry(field).or_default() += sum;
            }
        }
        totals
    }

    /// The tantivy query for a parsed query, the stems its required words' typos were
    /// expanded to, and whether a word was left unexpanded because the audience's posts have
    /// it (with `expand_known`, every word long enough is expanded).
    fn build_query(
        &self,
        parsed: &ParsedQuery,
        options: MatchOptions,
        statistics: &AudienceStatistics<'_>,
        expand_known: bool,
    ) -> Result<BuiltQuery, SearchError> {
        let mut building = Building {
            stemmed: self.stemmed.clone(),
            plain: analysis::plain(),
            typo_stems: Vec::new(),
            statistics,
            expand_known,
            skipped_known: false,
        };
        let mut required = Vec::new();
        for part in &parsed.required {
            required.extend(self.part_query(part, options, &mut building)?);
        }
        let typo_stems = std::mem::take(&mut building.typo_stems);
        let mut excluded = Vec::new();
        let exact = MatchOptions { fuzzy: false };
        for part in &parsed.excluded {
            let part = match part {
                Part::Word { text, .. } => Part::Word {
                    text: text.clone(),
                    prefix: false,
                },
                phrase => phrase.clone(),
            };
            excluded.extend(self.part_query(&part, exact, &mut building)?);
        }
        Ok(BuiltQuery {
            required,
            excluded,
            typo_stems,
            skipped_known: building.skipped_known,
        })
    }

    /// What one word or phrase matches; `None` when it has no terms (punctuation only).
    fn part_query(
        &self,
        part: &Part,
        options: MatchOptions,
        building: &mut Building<'_>,
    ) -> Result<Option<PartQuery>, SearchError> {
        let stems = analysis::terms(&mut building.stemmed, part.text());
        let words = analysis::terms(&mut building.plain, part.text());
        let exact = MatchOptions { fuzzy: false };
        let text_query = match part {
            Part::Phrase(_) => match stems.as_slice() {
                [] => return Ok(None),
                [stem] => self.term_query(stem, None, false, exact, building)?,
                _ => PartQuery::Query(self.phrase_query(&stems)),
            },
            Part::Word { prefix, .. } => match stems.len() {
                0 => return Ok(None),
                1 => self.term_query(&stems[0], words.first(), *prefix, options, building)?,
                // `e-mail`, `2025.BLG.124`: every term, and a bonus where they are adjacent.
                n => {
                    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(n + 1);
                    for (i, stem) in stems.iter().enumerate() {
                        let last_prefix = *prefix && i == n - 1;
                        let term =
                            self.term_query(stem, words.get(i), last_prefix, options, building)?;
                        clauses.push((Occur::Must, term.into_query()));
                    }
                    clauses.push((Occur::Should, self.phrase_query(&stems)));
                    PartQuery::Query(Box::new(BooleanQuery::new(clauses)))
                }
            },
        };
        // A serial number matches whole, as typed (when a post the audience sees has it).
        let whole = part.text().trim().to_lowercase();
        let serial = Term::from_field_text(self.fields.serial, &whole);
        if building.statistics.doc_freq(&serial)? == 0 {
            return Ok(Some(text_query));
        }
        Ok(Some(match text_query {
            // One more term of the union.
            PartQuery::Terms(mut terms) => {
                terms.push((serial, SERIAL_BOOST));
                PartQuery::Terms(terms)
            }
            PartQuery::Query(text_query) => {
                let serial = TermQuery::new(serial, IndexRecordOption::WithFreqs);
                PartQuery::Query(Box::new(BooleanQuery::new(vec![
                    (Occur::Should, text_query),
                    (Occur::Should, boosted(serial, SERIAL_BOOST)),
                ])))
            }
        }))
    }

    /// One term in any field, scored by BM25; with `options.fuzzy` (and a word of
    /// [`ONE_TYPO_FROM`] characters or more) also the index's terms within one or two edits,
    /// scored by BM25 at [`TYPO_FACTOR`]; with `prefix`, any word starting with it, at a
    /// constant score.
    fn term_query(
        &self,
        stem: &str,
        word: Option<&String>,
        prefix: bool,
        options: MatchOptions,
        building: &mut Building<'_>,
    ) -> Result<PartQuery, SearchError> {
        let f = self.fields;
        let statistics = building.statistics;
        let mut terms: Vec<WeightedTerm> = Vec::new();
        // Only the fields where the audience's posts have the term: a field without it
        // would add nothing to any score, only a scorer to every union.
        let add_term =
            |terms: &mut Vec<WeightedTerm>, stem: &str, factor: f32| -> tantivy::Result<()> {
                for (field, boost) in f.weighted() {
                    let term = Term::from_field_text(field, stem);
                    if statistics.doc_freq(&term)? > 0 {
                        terms.push((term, boost * factor));
                    }
                }
                Ok(())
            };
        add_term(&mut terms, stem, 1.0)?;
        let word = word.map(String::as_str).unwrap_or(stem);
        let length = word.chars().count();
        if options.fuzzy && length >= ONE_TYPO_FROM && building.expands(stem, &f)? {
            let distance = if length >= TWO_TYPOS_FROM { 2 } else { 1 };
            for candidate in self.typo_terms(stem, word, distance, building)? {
                add_term(&mut terms, &candidate, TYPO_FACTOR)?;
                building.typo_stems.push(candidate);
            }
        }
        if !prefix {
            return Ok(PartQuery::Terms(terms));
        }
        // A word being typed: also any word starting with it, which tantivy matches.
        let mut should = vec![(Occur::Should, PartQuery::Terms(terms).into_query())];
        let title = FuzzyTermQuery::new_prefix(Term::from_field_text(f.title_plain, word), 0, true);
        should.push((Occur::Should, boosted(title, TITLE_PREFIX_SCORE)));
        for (field, boost) in f.weighted().into_iter().skip(1) {
            if field != f.tags && length < BODY_PREFIX_FROM {
                continue;
            }
            let query = FuzzyTermQuery::new_prefix(Term::from_field_text(field, word), 0, true);
            should.push((Occur::Should, boosted(query, boost * PREFIX_FACTOR)));
        }
        Ok(PartQuery::Query(Box::new(BooleanQuery::new(should))))
    }

    /// The stems of the index's words within `distance` edits of `word` (as typed, against
    /// the unstemmed titles) or of `stem` (against the stemmed body and tags), the exact stem
    /// left out, and only those some post the audience sees has: the closest first, then
    /// those in most of its posts; at most [`MAX_TYPO_TERMS`].
    fn typo_terms(
        &self,
        stem: &str,
        word: &str,
        distance: u8,
        building: &mut Building<'_>,
    ) -> Result<Vec<String>, SearchError> {
        let stemmed = &mut building.stemmed;
        let builder = automaton_builder(distance);
        let word_dfa = builder.build_dfa(word);
        let stem_dfa = builder.build_dfa(stem);
        // Stem → (edits, documents).
        let mut found: HashMap<String, (u8, u64)> = HashMap::new();
        let mut note = |term: String, dfa: &DFA, docs: u64| {
            let edits = match dfa.eval(term.as_bytes()) {
                Distance::Exact(d) => d,
                Distance::AtLeast(d) => d,
            };
            let entry = found.entry(term).or_insert((edits, 0));
            entry.0 = entry.0.min(edits);
            entry.1 += docs;
        };
        for (segment, _) in self.segments() {
            for (field, dfa) in [
                (self.fields.title_plain, &word_dfa),
                (self.fields.body, &stem_dfa),
                (self.fields.tags, &stem_dfa),
            ] {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().search(Typos(dfa)).into_stream()?;
                while stream.advance() {
                    let Ok(text) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    let docs = u64::from(stream.value().doc_freq);
                    if field == self.fields.title_plain {
                        // A title word as written: match it by its stem everywhere.
                        for term in analysis::terms(stemmed, text) {
                            note(term, dfa, docs);
                        }
                    } else {
                        note(text.to_string(), dfa, docs);
                    }
                }
            }
        }
        found.remove(stem);
        // The term dictionaries count every indexed document, hidden and replaced ones
        // included: rank by, and keep only, the posts the audience sees, so what it cannot
        // see never takes a candidate's place.
        let mut candidates: Vec<(String, (u8, u64))> = Vec::with_capacity(found.len());
        for (term, (edits, _)) in found {
            let visible = building.statistics.stem_docs(&self.fields, &term)?;
            if visible > 0 {
                candidates.push((term, (edits, visible)));
            }
        }
        candidates.sort_by(|(a, (ea, da)), (b, (eb, db))| {
            ea.cmp(eb).then(db.cmp(da)).then_with(|| a.cmp(b))
        });
        Ok(candidates
            .into_iter()
            .take(MAX_TYPO_TERMS)
            .map(|(term, _)| term)
            .collect())
    }

    /// The terms in this order, in any one text field.
    fn phrase_query(&self, stems: &[String]) -> Box<dyn Query> {
        let clauses = self
            .fields
            .weighted()
            .into_iter()
            .map(|(field, boost)| {
                let terms = stems
                    .iter()
                    .map(|stem| Term::from_field_text(field, stem))
                    .collect();
                (Occur::Should, boosted(PhraseQuery::new(terms), boost))
            })
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }
}

fn boosted(query: impl Query + 'static, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), boost))
}

/// BM25 statistics over the posts one audience sees, whatever shard they are in.
struct AudienceStatistics<'a> {
    searchable: &'a Searchable,
    totals: &'a Totals,
    visible: &'a PostIndex,
    /// The audience's counts, shared by every query of the version (asked once per shard
    /// and per query: counted once per version).
    doc_freqs: &'a DashMap<Term, u64>,
}

impl AudienceStatistics<'_> {
    /// The audience's posts with `stem` in each stemmed text field, summed over the fields
    /// (a ranking weight: a post with it in two fields counts twice); 0 when none has it.
    fn stem_docs(&self, fields: &Fields, stem: &str) -> tantivy::Result<u64> {
        let mut docs = 0;
        for (field, _) in fields.weighted() {
            docs += self.doc_freq(&Term::from_field_text(field, stem))?;
        }
        Ok(docs)
    }
}

impl Bm25StatisticsProvider for AudienceStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self.totals.tokens.get(&field).copied().unwrap_or(0))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        // At least one, so an audience that sees nothing does not divide by zero.
        Ok(self.totals.docs.max(1))
    }

    /// Visible posts with the term.
    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(count) = self.doc_freqs.get(term) {
            return Ok(*count);
        }
        let mut count = 0;
        self.searchable
            .each_visible_post_with(term, self.visible, |_| count += 1)?;
        if self.doc_freqs.len() >= DOC_FREQ_CACHE_TERMS {
            self.doc_freqs.clear();
        }
        self.doc_freqs.insert(term.clone(), count);
        Ok(count)
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
