//! Scoring a query made of terms only, term at a time.
//!
//! Most searches are a few plain words: each word is a union of terms (the stem in each
//! field its posts have it in, typo neighbours, a serial number), every word is required
//! and some may be excluded. tantivy runs that as an intersection of unions, visiting each
//! matching document through nested scorers; with common words that is most of the corpus
//! and most of a search's time. Here each term's postings are read once, block by block,
//! into per-document accumulators (a score and a bit per word), and the documents with every
//! word and no excluded one are the hits. The terms' BM25 weights are tantivy's own, made
//! once per query from the audience's statistics, so the scores are tantivy's (up to the
//! order in which a document's term scores are added).

use crate::graph::{PostIdx, PostIndex};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{SegmentReader, Term};

/// A term and the weight its BM25 score is multiplied by.
pub(super) type WeightedTerm = (Term, f32);

/// Most required words one query scores here: one bit each.
pub(super) const MAX_REQUIRED: usize = 63;

/// The bit that marks a document with an excluded term.
const EXCLUDED: u64 = 1 << 63;

/// A query of terms only: every `required` word (any of its terms) and none of the
/// `excluded` ones.
pub(super) struct TermsQuery<'q> {
    pub required: Vec<&'q [WeightedTerm]>,
    pub excluded: Vec<&'q [WeightedTerm]>,
}

/// A term ready to score: its field's postings are read per segment.
struct Scorer<'q> {
    term: &'q Term,
    weight: Bm25Weight,
}

impl TermsQuery<'_> {
    /// Every visible post that has every required word and no excluded one, with its score
    /// (the sum of its terms' weighted BM25 scores). `segments` are the index's segments,
    /// each with its table from documents to posts (`no_post` for none).
    pub(super) fn hits<'s>(
        &self,
        segments: impl Iterator<Item = (&'s SegmentReader, &'s Vec<PostIdx>)>,
        statistics: &dyn Bm25StatisticsProvider,
        visible: &PostIndex,
        no_post: PostIdx,
    ) -> tantivy::Result<Vec<(PostIdx, f32)>> {
        debug_assert!(!self.required.is_empty() && self.required.len() <= MAX_REQUIRED);
        let required = self.scorers(statistics)?;
        let all_words: u64 = (1u64 << self.required.len()) - 1;
        let segments: Vec<_> = segments.collect();
        // Room for every document at once: common words match most of them.
        let mut hits = Vec::with_capacity(segments.iter().map(|(_, table)| table.len()).sum());
        let mut scores: Vec<f32> = Vec::new();
        let mut words: Vec<u64> = Vec::new();
        for (segment, table) in segments {
            self.accumulate(segment, &required, &mut scores, &mut words)?;
            for (doc, found) in words.iter().enumerate() {
                if *found != all_words {
                    continue;
                }
                let idx = table.get(doc).copied().unwrap_or(no_post);
                if idx != no_post && visible.contains(idx) {
                    hits.push((idx, scores[doc]));
                }
            }
        }
        Ok(hits)
    }

    /// Every visible post that has any of the required words and no excluded one, with its
    /// score and which words it has (bit `i` for word `i`): what [`hits`](Self::hits) asks
    /// of every word, asked of one.
    pub(super) fn any_hits<'s>(
        &self,
        segments: impl Iterator<Item = (&'s SegmentReader, &'s Vec<PostIdx>)>,
        statistics: &dyn Bm25StatisticsProvider,
        visible: &PostIndex,
        no_post: PostIdx,
    ) -> tantivy::Result<Vec<(PostIdx, f32, u64)>> {
        debug_assert!(self.required.len() <= MAX_REQUIRED);
        let required = self.scorers(statistics)?;
        let mut hits = Vec::new();
        let mut scores: Vec<f32> = Vec::new();
        let mut words: Vec<u64> = Vec::new();
        for (segment, table) in segments {
            self.accumulate(segment, &required, &mut scores, &mut words)?;
            for (doc, found) in words.iter().enumerate() {
                if *found == 0 || *found & EXCLUDED != 0 {
                    continue;
                }
                let idx = table.get(doc).copied().unwrap_or(no_post);
                if idx != no_post && visible.contains(idx) {
                    hits.push((idx, scores[doc], *found));
                }
            }
        }
        Ok(hits)
    }

    /// Each required word's terms, ready to score: weighed as `TermQuery` weighs a term,
    /// boosted as `BoostQuery` boosts it, once per query.
    fn scorers(
        &self,
        statistics: &dyn Bm25StatisticsProvider,
    ) -> tantivy::Result<Vec<Vec<Scorer<'_>>>> {
        let mut required = Vec::with_capacity(self.required.len());
        for word in &self.required {
            let mut scorers = Vec::with_capacity(word.len());
            for (term, boost) in word.iter() {
                let weight =
                    Bm25Weight::for_terms(statistics, std::slice::from_ref(term))?.boost_by(*boost);
                scorers.push(Scorer { term, weight });
            }
            required.push(scorers);
        }
        Ok(required)
    }

    /// Scores every document of `segment` term at a time: `scores` gets each one's score,
    /// `words` its words (bit `i` for required word `i`, [`EXCLUDED`] for an excluded one).
    fn accumulate(
        &self,
        segment: &SegmentReader,
        required: &[Vec<Scorer<'_>>],
        scores: &mut Vec<f32>,
        words: &mut Vec<u64>,
    ) -> tantivy::Result<()> {
        let docs = segment.max_doc() as usize;
        scores.clear();
        scores.resize(docs, 0.0);
        words.clear();
        words.resize(docs, 0);
        for (bit, scorers) in required.iter().enumerate() {
            for scorer in scorers {
                add_scores(segment, scorer, 1 << bit, scores, words)?;
            }
        }
        for term in self.excluded.iter().flat_map(|word| word.iter()) {
            mark(segment, &term.0, words)?;
        }
        Ok(())
    }
}

/// Adds a term's score to each document of `segment` that has it, and `bit` to its words.
fn add_scores(
    segment: &SegmentReader,
    scorer: &Scorer<'_>,
    bit: u64,
    scores: &mut [f32],
    words: &mut [u64],
) -> tantivy::Result<()> {
    let field = scorer.term.field();
    let inverted = segment.inverted_index(field)?;
    let Some(mut postings) =
        inverted.read_block_postings(scorer.term, IndexRecordOption::WithFreqs)?
    else {
        return Ok(());
    };
    // As `TermWeight` scores: a field without norms counts as one token long.
    let norms = segment
        .fieldnorms_readers()
        .get_field(field)?
        .unwrap_or_else(|| FieldNormReader::constant(segment.max_doc(), 1));
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            return Ok(());
        }
        // A field indexed without frequencies counts each term once, as tantivy does.
        let freqs = postings.freqs();
        for (i, doc) in docs.iter().enumerate() {
            let at = *doc as usize;
            if let (Some(score), Some(found)) = (scores.get_mut(at), words.get_mut(at)) {
                let freq = freqs.get(i).copied().unwrap_or(1);
                *score += scorer.weight.score(norms.fieldnorm_id(*doc), freq);
                *found |= bit;
            }
        }
        postings.advance();
    }
}

/// Marks each document of `segment` with `term` as excluded.
fn mark(segment: &SegmentReader, term: &Term, words: &mut [u64]) -> tantivy::Result<()> {
    let inverted = segment.inverted_index(term.field())?;
    let Some(mut postings) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else {
        return Ok(());
    };
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            return Ok(());
        }
        for doc in docs {
            if let Some(found) = words.get_mut(*doc as usize) {
                *found |= EXCLUDED;
            }
        }
        postings.advance();
    }
}
