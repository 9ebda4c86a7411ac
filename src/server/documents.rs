//! Parsed GraphQL documents by query text, so a repeated query (the usual case: a front end
//! sends the same few documents with different variables) is parsed once, and a response-
//! cache hit costs no parse at all.

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use async_graphql::ServerError;
use dashmap::DashMap;
use std::sync::Arc;

/// At most this many documents are kept; when full, the cache starts over.
const CAPACITY: usize = 1024;

/// Parsed documents by query text. Documents that do not parse are not kept.
#[derive(Debug, Default)]
pub struct DocumentCache {
    documents: DashMap<Arc<str>, Arc<ExecutableDocument>>,
}

impl DocumentCache {
    /// `query` parsed, from the cache when it was parsed before.
    pub fn parse(&self, query: &Arc<str>) -> Result<Arc<ExecutableDocument>, ServerError> {
        if let Some(document) = self.documents.get(query) {
            return Ok(document.clone());
        }
        let document = Arc::new(parse_query(&**query)?);
        if self.documents.len() >= CAPACITY {
            self.documents.clear();
        }
        self.documents.insert(query.clone(), document.clone());
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_and_stays_bounded() {
        let cache = DocumentCache::default();
        let query: Arc<str> = "{ site { title } }".into();
        let first = cache.parse(&query).expect("parses");
        let again = cache
            .parse(&Arc::from("{ site { title } }"))
            .expect("parses");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(cache.parse(&Arc::from("{ site {")).is_err());
        assert_eq!(cache.documents.len(), 1);
        for n in 0..CAPACITY + 10 {
            cache
                .parse(&Arc::from(format!(
                    "{{ site {{ title }} a{n}: site {{ title }} }}"
                )))
                .expect("parses");
        }
        assert!(cache.documents.len() <= CAPACITY);
    }
}
