//! Parsed GraphQL documents: what a document selects once its fragments are expanded (checked
//! before async-graphql sees it), and the cache of documents by query text, so a repeated
//! query (the usual case: a front end sends the same few documents with different variables)
//! is parsed once.
//!
//! A parsed document takes far more memory than its text: from about 30 times for long
//! argument lists to about 240 times for `{x{y}}`-shaped text (measured with a counting
//! allocator on 64 KB documents). The cache is bounded by an estimate of that memory, and
//! only documents that validated and executed are kept, so invalid or refused documents
//! cannot fill it.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::{parse_query, Positioned};
use async_graphql::ServerError;
use dashmap::DashMap;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Estimated bytes of a parsed document per byte of its text: above the largest ratio
/// measured (≈240), so the cache's byte bound holds for any document.
pub const PARSED_BYTES_PER_QUERY_BYTE: usize = 256;

/// Deepest chain of nested selections and fragment spreads measured; deeper documents are
/// refused (async-graphql itself refuses nesting deeper than 32).
pub const MAX_NESTING: usize = 64;

/// A parsed document with what it selects.
#[derive(Debug)]
pub struct ParsedQuery {
    /// The document, cloned into each request that executes it.
    pub document: ExecutableDocument,
    /// What it selects, measured once when parsed.
    pub selections: Selections,
}

impl ParsedQuery {
    /// Parses and measures `query`. CPU-bound (tens of milliseconds for 64 KB): run it off
    /// the async workers.
    pub fn parse(query: &str) -> Result<ParsedQuery, ServerError> {
        let document = parse_query(query)?;
        let selections = Selections::of(&document);
        Ok(ParsedQuery {
            document,
            selections,
        })
    }
}

/// What a document selects, each fragment counted in full wherever it is spread. Validating
/// and executing a document walks its fragments that way, so ten spreads of a fragment that
/// spreads another ten times cost a hundred times that fragment; these counts are computed
/// once per fragment, so they cost little even when the expansion is astronomically large
/// (they saturate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selections {
    /// Fields of every operation plus those of every fragment definition (async-graphql
    /// validates each definition on its own too), fragments expanded.
    pub fields: usize,
    /// Aliased fields of every operation, fragments expanded: how many extra copies of
    /// fields an answer can hold.
    pub aliases: usize,
    /// Whether selections and spreads nest deeper than [`MAX_NESTING`] (then the counts are
    /// incomplete).
    pub too_deep: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    fields: usize,
    aliases: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
    }
}

impl Selections {
    /// Measures `document` in time linear in its size.
    pub fn of(document: &ExecutableDocument) -> Selections {
        let mut walk = Walk {
            document,
            fragments: HashMap::new(),
            too_deep: false,
        };
        let mut operations = Counts::default();
        for (_, operation) in document.operations.iter() {
            operations += walk.selection_set(&operation.node.selection_set, 0);
        }
        let mut fields = operations.fields;
        for name in document.fragments.keys() {
            fields = fields.saturating_add(walk.fragment(name, 0).fields);
        }
        Selections {
            fields,
            aliases: operations.aliases,
            too_deep: walk.too_deep,
        }
    }
}

struct Walk<'d> {
    document: &'d ExecutableDocument,
    /// Each fragment's counts; `None` while it is being measured (a cycle, which validation
    /// reports, counts nothing).
    fragments: HashMap<&'d str, Option<Counts>>,
    too_deep: bool,
}

impl<'d> Walk<'d> {
    fn selection_set(&mut self, set: &'d Positioned<SelectionSet>, depth: usize) -> Counts {
        let mut counts = Counts::default();
        if depth > MAX_NESTING {
            self.too_deep = true;
            return counts;
        }
        for item in &set.node.items {
            match &item.node {
                Selection::Field(field) => {
                    counts += Counts {
                        fields: 1,
                        aliases: usize::from(field.node.alias.is_some()),
                    };
                    counts += self.selection_set(&field.node.selection_set, depth + 1);
                }
                Selection::InlineFragment(inline) => {
                    counts += self.selection_set(&inline.node.selection_set, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    counts += self.fragment(&spread.node.fragment_name.node, depth + 1);
                }
            }
        }
        counts
    }

    fn fragment(&mut self, name: &'d str, depth: usize) -> Counts {
        if let Some(known) = self.fragments.get(name) {
            return known.unwrap_or_default();
        }
        // An unknown fragment counts nothing; validation reports it.
        let Some(definition) = self.document.fragments.get(name) else {
            return Counts::default();
        };
        self.fragments.insert(name, None);
        let counts = self.selection_set(&definition.node.selection_set, depth);
        self.fragments.insert(name, Some(counts));
        counts
    }
}

/// Parsed documents by query text, bounded by their estimated memory (oldest out first).
#[derive(Debug)]
pub struct DocumentCache {
    documents: DashMap<Arc<str>, Arc<ParsedQuery>>,
    order: Mutex<Order>,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Order {
    queries: VecDeque<Arc<str>>,
    bytes: usize,
}

impl DocumentCache {
    /// A cache holding documents of at most `max_bytes` (estimated); 0 keeps none.
    pub fn new(max_bytes: usize) -> Self {
        DocumentCache {
            documents: DashMap::new(),
            order: Mutex::new(Order::default()),
            max_bytes,
        }
    }

    /// The document parsed from `query`, if kept.
    pub fn get(&self, query: &str) -> Option<Arc<ParsedQuery>> {
        self.documents.get(query).map(|entry| entry.value().clone())
    }

    /// Keeps `parsed` (parsed from `query`), evicting the oldest documents to stay within the
    /// byte bound. Call it only for documents that validated.
    pub fn insert(&self, query: Arc<str>, parsed: Arc<ParsedQuery>) {
        let size = estimated_bytes(&query);
        if size > self.max_bytes {
            return;
        }
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        if self.documents.contains_key(&query) {
            return;
        }
        while order.bytes + size > self.max_bytes {
            let Some(oldest) = order.queries.pop_front() else {
                break;
            };
            self.documents.remove(&oldest);
            order.bytes -= estimated_bytes(&oldest);
        }
        order.bytes += size;
        order.queries.push_back(query.clone());
        self.documents.insert(query, parsed);
    }

    /// Estimated bytes of the documents kept.
    pub fn bytes(&self) -> usize {
        self.order.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.documents.len()
    }
}

/// The memory a document parsed from `query` is assumed to take.
pub fn estimated_bytes(query: &str) -> usize {
    query.len().saturating_mul(PARSED_BYTES_PER_QUERY_BYTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(query: &str) -> Selections {
        ParsedQuery::parse(query).expect("parses").selections
    }

    #[test]
    fn counts_fields_and_aliases_with_fragments_expanded() {
        assert_eq!(
            measure("{ a: site { title } b: site { title } posts { totalCount } }"),
            Selections {
                fields: 6,
                aliases: 2,
                too_deep: false
            }
        );
        // The fragment's 2 fields: 3 spreads plus its definition.
        let spread =
            measure("{ ...F ...F x: site { ...F } } fragment F on Query { y: site { title } }");
        assert_eq!((spread.fields, spread.aliases), (1 + 3 * 2 + 2, 1 + 3));
    }

    #[test]
    fn fragment_fan_out_is_counted_without_expanding_it() {
        // Ten spreads per level, 30 levels: 10^30 fields, counted in microseconds.
        let mut query = String::from("{ ...F0 }");
        for level in 0..30 {
            let next = format!("...F{} ", level + 1);
            query.push_str(&format!(
                " fragment F{level} on Query {{ {} }}",
                next.repeat(10)
            ));
        }
        query.push_str(" fragment F30 on Query { site { title } }");
        let started = std::time::Instant::now();
        let selections = measure(&query);
        assert_eq!(selections.fields, usize::MAX);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn cycles_and_unknown_fragments_count_nothing_and_deep_chains_are_flagged() {
        let cycle = measure(
            "{ ...A } fragment A on Query { site { title } ...B } fragment B on Query { ...A }",
        );
        assert!(cycle.fields >= 2 && !cycle.too_deep, "{cycle:?}");
        assert_eq!(measure("{ ...Missing }").fields, 0);
        let mut chain = String::from("{ ...F0 }");
        for n in 0..100 {
            chain.push_str(&format!(" fragment F{n} on Query {{ ...F{} }}", n + 1));
        }
        chain.push_str(" fragment F100 on Query { site { title } }");
        assert!(measure(&chain).too_deep);
    }

    #[test]
    fn stays_within_its_byte_bound_oldest_out_first() {
        let query = |n: usize| -> Arc<str> { format!("{{ a{n}: site {{ title }} }}").into() };
        let one = estimated_bytes(&query(10));
        let cache = DocumentCache::new(3 * one);
        let parsed = |q: &Arc<str>| Arc::new(ParsedQuery::parse(q).expect("parses"));
        for n in 10..20 {
            let q = query(n);
            cache.insert(q.clone(), parsed(&q));
            assert!(cache.bytes() <= 3 * one);
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&query(19)).is_some());
        assert!(cache.get(&query(10)).is_none(), "oldest out");
        let again = cache.get(&query(19)).expect("kept");
        cache.insert(query(19), parsed(&query(19)));
        assert!(Arc::ptr_eq(&again, &cache.get(&query(19)).expect("kept")));
        let none = DocumentCache::new(0);
        none.insert(query(1), parsed(&query(1)));
        assert_eq!(none.len(), 0);
    }
}
