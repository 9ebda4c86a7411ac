//! HTTP caching: request keys and their strong ETags, `If-None-Match`, and the bounded
//! in-memory response cache.
//!
//! A key hashes the corpus version with everything that can change an answer: method, media
//! type, audience, document, variables (canonical JSON) and operation name. Replicas that
//! load the same files compute the same version, so they hand out the same ETags, and a CDN
//! or nginx in front of several replicas can revalidate against any of them.

use crate::graph::Audience;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use dashmap::DashMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::negotiate::MediaType;

/// What identifies one cacheable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestKey([u8; 32]);

/// The parts of a request that decide its answer.
#[derive(Debug, Clone, Copy)]
pub struct KeyParts<'a> {
    /// The corpus version (a content hash).
    pub version: &'a str,
    /// `GET` or `POST` (`HEAD` counts as `GET`).
    pub method: &'a str,
    pub media: MediaType,
    pub audience: Audience,
    pub query: &'a str,
    pub variables: &'a Map<String, Value>,
    pub operation_name: Option<&'a str>,
}

impl RequestKey {
    /// Hashes the parts, each length-prefixed so no two requests can collide by shifting
    /// text from one part to the next.
    pub fn new(parts: KeyParts<'_>) -> RequestKey {
        let mut hasher = blake3::Hasher::new();
        let variables = canonical_json(&Value::Object(parts.variables.clone()));
        let audience = match parts.audience {
            Audience::Public => "public",
            Audience::Preview => "preview",
        };
        for part in [
            "inkgraph-request-v1",
            parts.version,
            parts.method,
            parts.media.as_str(),
            audience,
            parts.query,
            &variables,
            parts.operation_name.unwrap_or("\u{0}"),
        ] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        RequestKey(*hasher.finalize().as_bytes())
    }

    /// The key of a GET answer of the outputs other than GraphQL (feeds, sitemap, oEmbed):
    /// the audience's version, the audience and the request target (path and query string),
    /// hashed apart from GraphQL keys so the two can never collide.
    pub fn for_output(version: &str, audience: Audience, target: &str) -> RequestKey {
        let mut hasher = blake3::Hasher::new();
        let audience = match audience {
            Audience::Public => "public",
            Audience::Preview => "preview",
        };
        for part in ["inkgraph-output-v1", version, audience, target] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        RequestKey(*hasher.finalize().as_bytes())
    }

    /// The strong ETag for this key: `"` + 32 hex digits + `"`.
    pub fn etag(&self) -> String {
        // blake3's hex is written on the stack: one allocation, the ETag's.
        let hex = blake3::Hash::from_bytes(self.0).to_hex();
        let mut etag = String::with_capacity(34);
        etag.push('"');
        etag.push_str(&hex[..32]);
        etag.push('"');
        etag
    }
}

/// JSON with object keys sorted at every level, so `{"a":1,"b":2}` and `{"b":2,"a":1}` give
/// the same key.
pub fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(value, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Whether the request's `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for
/// this header; `*` matches any).
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// A map that never holds more than `capacity` entries: inserting into a full map first
/// evicts the oldest insertion (FIFO). Lookups never block one another (dashmap shards); the
/// order queue is a std mutex held only for a push or a pop, never across an `.await`.
#[derive(Debug)]
pub struct BoundedMap<K: Eq + Hash + Clone, V: Clone> {
    map: DashMap<K, V>,
    order: Mutex<VecDeque<K>>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedMap<K, V> {
    /// A map of at most `capacity` entries; 0 stores nothing.
    pub fn new(capacity: usize) -> Self {
        BoundedMap {
            map: DashMap::new(),
            order: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    /// A clone of the value under `key`. The shard guard is dropped before returning.
    pub fn get(&self, key: &K) -> Option<V> {
        self.map.get(key).map(|entry| entry.value().clone())
    }

    /// Stores `value` unless `key` is present (or the capacity is 0). Returns whether it was
    /// stored and the values evicted to make room.
    pub fn insert(&self, key: K, value: V) -> (bool, Vec<V>) {
        let mut evicted = Vec::new();
        if self.capacity == 0 || self.map.contains_key(&key) {
            return (false, evicted);
        }
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        while self.map.len() >= self.capacity || order.len() >= self.capacity * 2 {
            let Some(oldest) = order.pop_front() else {
                break;
            };
            if let Some((_, value)) = self.map.remove(&oldest) {
                evicted.push(value);
            }
        }
        order.push_back(key.clone());
        drop(order);
        if let Some(replaced) = self.map.insert(key, value) {
            // Another thread stored the same key in between: both values are equivalent.
            evicted.push(replaced);
        }
        (true, evicted)
    }

    /// Removes the oldest entry; `None` when empty.
    pub fn pop_oldest(&self) -> Option<V> {
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(oldest) = order.pop_front() {
            if let Some((_, value)) = self.map.remove(&oldest) {
                return Some(value);
            }
        }
        None
    }

    /// Empties the map.
    pub fn clear(&self) {
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        order.clear();
        self.map.clear();
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

/// One stored answer, with its compressed variants, each made on its first request and
/// then kept, so a hit does no serialization and no compression.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub body: Bytes,
    brotli: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
}

/// A content coding a cached answer can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The quality the compression layer uses too (`CompressionLevel::Precise(4)`): brotli's
/// default (11) costs far more CPU than it saves on JSON answers.
const COMPRESSION_QUALITY: u32 = 4;

impl CachedResponse {
    /// An answer to store.
    pub fn new(status: StatusCode, body: Bytes) -> CachedResponse {
        CachedResponse {
            status,
            body,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The body compressed with `encoding`, made on first use and kept; `None` only if the
    /// compressor fails (then send the body as it is).
    pub fn encoded(&self, encoding: Encoding) -> Option<Bytes> {
        let slot = match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
        };
        if let Some(done) = slot.get() {
            return Some(done.clone());
        }
        let compressed = compress(encoding, &self.body).ok()?;
        Some(slot.get_or_init(|| compressed).clone())
    }
}

fn compress(encoding: Encoding, body: &[u8]) -> std::io::Result<Bytes> {
    use std::io::Write;
    let mut out = Vec::with_capacity(body.len() / 4 + 64);
    match encoding {
        Encoding::Brotli => {
            let mut writer = brotli::CompressorWriter::new(&mut out, 4096, COMPRESSION_QUALITY, 22);
            writer.write_all(body)?;
            writer.flush()?;
        }
        Encoding::Gzip => {
            let mut writer = flate2::write::GzEncoder::new(
                &mut out,
                flate2::Compression::new(COMPRESSION_QUALITY),
            );
            writer.write_all(body)?;
            writer.finish()?;
        }
    }
    Ok(Bytes::from(out))
}

/// The coding to send a cached answer in for `Accept-Encoding`: brotli, else gzip, when the
/// client accepts it (a q-value of 0 refuses), else `None` (the body as it is).
pub fn preferred_encoding(headers: &HeaderMap) -> Option<Encoding> {
    let (mut brotli, mut gzip) = (false, false);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|param| {
                let param = param.trim();
                param
                    .strip_prefix("q=")
                    .or_else(|| param.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            if name.eq_ignore_ascii_case("br") {
                brotli = true;
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = true;
            }
        }
    }
    if brotli {
        Some(Encoding::Brotli)
    } else if gzip {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

/// Answers to recent requests, for the current corpus version only, bounded by entry count and
/// total body bytes. Only successful public answers are stored.
#[derive(Debug)]
pub struct ResponseCache {
    entries: BoundedMap<RequestKey, Arc<CachedResponse>>,
    bytes: AtomicUsize,
    max_bytes: usize,
    version: Mutex<String>,
}

impl ResponseCache {
    /// A cache of at most `max_entries` answers totalling at most `max_bytes` of body.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        ResponseCache {
            entries: BoundedMap::new(max_entries),
            bytes: AtomicUsize::new(0),
            max_bytes,
            version: Mutex::new(String::new()),
        }
    }

    /// The stored answer for `key`, if any.
    pub fn get(&self, key: &RequestKey) -> Option<Arc<CachedResponse>> {
        self.entries.get(key)
    }

    /// Stores an answer computed at `version`; a new version first empties the cache, since
    /// no key of the old one can be asked for again.
    pub fn insert(&self, version: &str, key: RequestKey, response: CachedResponse) {
        let size = response.body.len();
        if size > self.max_bytes {
            return;
        }
        {
            let mut current = self.version.lock().unwrap_or_else(|e| e.into_inner());
            if *current != version {
                self.entries.clear();
                self.bytes.store(0, Ordering::Relaxed);
                *current = version.to_string();
            }
        }
        while self.bytes.load(Ordering::Relaxed) + size > self.max_bytes {
            match self.entries.pop_oldest() {
                Some(old) => self.release(old.body.len()),
                None => break,
            }
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
        let (stored, evicted) = self.entries.insert(key, Arc::new(response));
        if !stored {
            self.release(size);
        }
        for old in evicted {
            self.release(old.body.len());
        }
    }

    fn release(&self, size: usize) {
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_sub(size))
            });
    }

    /// How many answers it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Total body bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(query: &str, variables: Value, audience: Audience) -> RequestKey {
        let Value::Object(variables) = variables else {
            panic!("object")
        };
        RequestKey::new(KeyParts {
            version: "v1",
            method: "GET",
            media: MediaType::Json,
            audience,
            query,
            variables: &variables,
            operation_name: None,
        })
    }

    #[test]
    fn keys_ignore_variable_order_but_not_audience() {
        let a = key(
            "{ a }",
            json!({"x": 1, "y": {"b": 2, "a": 1}}),
            Audience::Public,
        );
        let b = key(
            "{ a }",
            json!({"y": {"a": 1, "b": 2}, "x": 1}),
            Audience::Public,
        );
        assert_eq!(a, b);
        assert_ne!(a, key("{ a }", json!({"x": 1}), Audience::Public));
        assert_ne!(
            a,
            key(
                "{ a }",
                json!({"x": 1, "y": {"b": 2, "a": 1}}),
                Audience::Preview
            )
        );
        assert_eq!(a.etag().len(), 34);
    }

    #[test]
    fn the_etag_is_the_keys_first_sixteen_bytes_in_hex() {
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(17) ^ 0xa5;
        }
        let expected: String = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(RequestKey(bytes).etag(), format!("\"{expected}\""));
        assert_eq!(
            RequestKey([0xff; 32]).etag(),
            format!("\"{}\"", "f".repeat(32))
        );
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            "\"x\", W/\"abc\"".parse().expect("header"),
        );
        assert!(if_none_match(&headers, "\"abc\""));
        assert!(!if_none_match(&headers, "\"abd\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"abc\""));
    }

    #[test]
    fn accept_encoding_prefers_brotli_and_honours_q_zero() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                value.parse().expect("header value"),
            );
            preferred_encoding(&headers)
        };
        assert_eq!(with("gzip, deflate, br"), Some(Encoding::Brotli));
        assert_eq!(with("gzip"), Some(Encoding::Gzip));
        assert_eq!(with("br;q=0, gzip;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(with("identity"), None);
        assert_eq!(preferred_encoding(&HeaderMap::new()), None);
    }

    #[test]
    fn compressed_variants_decode_to_the_body_and_are_kept() {
        use std::io::Read;
        let body = Bytes::from("{\"data\":{\"x\":\"".to_string() + &"abc ".repeat(500) + "\"}}");
        let cached = CachedResponse::new(StatusCode::OK, body.clone());
        let gz = cached.encoded(Encoding::Gzip).expect("gzip");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .expect("gunzip");
        assert_eq!(plain, body);
        let br = cached.encoded(Encoding::Brotli).expect("br");
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut plain)
            .expect("unbrotli");
        assert_eq!(plain, body);
        assert!(br.len() < body.len() / 4);
        // The second request gets the very same bytes (no compression again).
        assert_eq!(
            cached.encoded(Encoding::Brotli).expect("br").as_ptr(),
            br.as_ptr()
        );
    }

    #[test]
    fn bounded_map_evicts_oldest_first() {
        let map = BoundedMap::new(2);
        map.insert(1, "a");
        map.insert(2, "b");
        assert_eq!(map.insert(3, "c"), (true, vec!["a"]));
        assert_eq!(map.insert(3, "d"), (false, vec![]));
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(&1), None);
        assert_eq!(map.get(&3), Some("c"));
        let none = BoundedMap::new(0);
        none.insert(1, "a");
        assert_eq!(none.len(), 0);
    }

    #[test]
    fn response_cache_respects_its_byte_budget_and_version() {
        let cache = ResponseCache::new(10, 10);
        let answer = |n: usize| CachedResponse {
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
            status: StatusCode::OK,
            body: Bytes::from(vec![b'x'; n]),
        };
        let k = |q: &str| key(q, json!({}), Audience::Public);
        cache.insert("v1", k("a"), answer(6));
        cache.insert("v1", k("b"), answer(6));
        assert!(cache.get(&k("a")).is_none(), "evicted for room");
        assert!(cache.get(&k("b")).is_some());
        assert_eq!(cache.bytes(), 6);
        cache.insert("v1", k("big"), answer(11));
        assert!(cache.get(&k("big")).is_none(), "larger than the budget");
        cache.insert("v1", k("b"), answer(6));
        assert_eq!(
            cache.bytes(),
            6,
            "a second store of the same key counts once"
        );
        cache.insert("v2", k("c"), answer(1));
        assert_eq!((cache.len(), cache.bytes()), (1, 1));
    }
}
