//! Apollo automatic persisted queries (APQ).
//!
//! A client first sends only `extensions.persistedQuery.sha256Hash`, typically by GET so a
//! CDN can cache the short URL. A server that knows the hash runs the stored query; otherwise it
//! answers `PersistedQueryNotFound` and the client sends the query with its hash once, which
//! registers it once it has validated and run (so refused queries cannot be replayed by hash
//! for the price of a few bytes). The store is per process and bounded (oldest first out); a
//! replica that has not seen a hash just asks for the query again.

use super::response_cache::BoundedMap;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Known queries by the SHA-256 of their text.
#[derive(Debug)]
pub struct PersistedQueries {
    store: BoundedMap<[u8; 32], Arc<str>>,
    enabled: bool,
}

/// What the `persistedQuery` extension of a request asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// No `persistedQuery` extension: an ordinary request.
    NotUsed,
    /// The hash was known, or the query came with a matching hash (to
    /// [`register`](PersistedQueries::register) once it has run).
    Query(Arc<str>),
    /// Hash only, and this process has not seen it: the client should resend the query.
    NotFound,
    /// Persisted queries are switched off (`--apq-entries 0`).
    NotSupported,
}

/// A malformed persisted-query request (always a 400).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApqError {
    #[error("extensions.persistedQuery must be an object like {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}}")]
    Malformed,
    #[error("unsupported persisted query version {0}; only version 1 is supported")]
    UnsupportedVersion(String),
    #[error("extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits, got `{0}`")]
    BadHash(String),
    #[error("provided sha does not match query (the SHA-256 of the query is {0})")]
    HashMismatch(String),
}

/// The error message Apollo clients look for to resend the full query.
pub const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";
/// The error message that makes Apollo clients stop sending hashes.
pub const NOT_SUPPORTED_MESSAGE: &str = "PersistedQueryNotSupported";

impl PersistedQueries {
    /// A store of at most `capacity` queries; 0 turns persisted queries off.
    pub fn new(capacity: usize) -> Self {
        PersistedQueries {
            store: BoundedMap::new(capacity),
            enabled: capacity > 0,
        }
    }

    /// Resolves the request's query from its `persistedQuery` extension.
    pub fn lookup(
        &self,
        query: Option<&str>,
        extensions: &Map<String, Value>,
    ) -> Result<Lookup, ApqError> {
        let Some(persisted) = extensions.get("persistedQuery") else {
            return Ok(Lookup::NotUsed);
        };
        let Value::Object(persisted) = persisted else {
            return Err(ApqError::Malformed);
        };
        match persisted.get("version") {
            Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
            Some(other) => return Err(ApqError::UnsupportedVersion(other.to_string())),
            None => return Err(ApqError::Malformed),
        }
        let hash = match persisted.get("sha256Hash") {
            Some(Value::String(hash)) => hash,
            _ => return Err(ApqError::Malformed),
        };
        let key =
            parse_hash(hash).ok_or_else(|| ApqError::BadHash(crate::text::shorten(hash, 80)))?;
        if !self.enabled {
            return Ok(Lookup::NotSupported);
        }
        match query {
            Some(query) => {
                let actual: [u8; 32] = Sha256::digest(query.as_bytes()).into();
                if actual != key {
                    return Err(ApqError::HashMismatch(hex(&actual)));
                }
                Ok(Lookup::Query(query.into()))
            }
            None => Ok(self.store.get(&key).map_or(Lookup::NotFound, Lookup::Query)),
        }
    }

    /// Remembers `query` under its hash, for later hash-only requests.
    pub fn register(&self, query: Arc<str>) {
        if self.enabled {
            self.store
                .insert(Sha256::digest(query.as_bytes()).into(), query);
        }
    }

    /// How many queries are stored.
    pub fn len(&self) -> usize {
        self.store.len()
    }
}

/// The lower-case hex SHA-256 of a query, as clients compute it.
pub fn sha256_hex(query: &str) -> String {
    hex(&Sha256::digest(query.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ext(hash: &str) -> Map<String, Value> {
        let Value::Object(map) = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
        else {
            unreachable!()
        };
        map
    }

    #[test]
    fn hash_only_then_register_then_hit() {
        let apq = PersistedQueries::new(10);
        let query = "{ site { title } }";
        let hash = sha256_hex(query);
        assert_eq!(apq.lookup(None, &ext(&hash)), Ok(Lookup::NotFound));
        assert_eq!(
            apq.lookup(Some(query), &ext(&hash)),
            Ok(Lookup::Query(query.into()))
        );
        assert_eq!(
            apq.lookup(None, &ext(&hash)),
            Ok(Lookup::NotFound),
            "not registered before it ran"
        );
        apq.register(query.into());
        assert_eq!(
            apq.lookup(None, &ext(&hash.to_uppercase())),
            Ok(Lookup::Query(query.into()))
        );
        assert_eq!(apq.lookup(Some(query), &Map::new()), Ok(Lookup::NotUsed));
    }

    #[test]
    fn bad_requests_are_named() {
        let apq = PersistedQueries::new(10);
        assert!(matches!(
            apq.lookup(Some("{ a }"), &ext(&sha256_hex("{ b }"))),
            Err(ApqError::HashMismatch(_))
        ));
        assert!(matches!(
            apq.lookup(None, &ext("xyz")),
            Err(ApqError::BadHash(_))
        ));
        let Value::Object(v2) = json!({"persistedQuery": {"version": 2, "sha256Hash": "00"}})
        else {
            unreachable!()
        };
        assert_eq!(
            apq.lookup(None, &v2),
            Err(ApqError::UnsupportedVersion("2".into()))
        );
        let off = PersistedQueries::new(0);
        assert_eq!(
            off.lookup(None, &ext(&sha256_hex("{ a }"))),
            Ok(Lookup::NotSupported)
        );
    }
}
