//! Renderings cached per post for one snapshot.
//!
//! A cache belongs to one snapshot version: the server pairs each snapshot with a fresh cache,
//! so no entry outlives its version. Each entry is a `OnceLock`, so concurrent first requests
//! for one post wait for a single render instead of rendering twice, and the map's shard lock
//! is never held while rendering.

use super::RenderedPost;
use crate::graph::PostIdx;
use dashmap::DashMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

/// Values computed at most once per key, even under concurrent first use.
#[derive(Debug)]
pub struct OnceMap<K: Eq + Hash, V> {
    entries: DashMap<K, Arc<OnceLock<V>>>,
}

impl<K: Eq + Hash, V> Default for OnceMap<K, V> {
    fn default() -> Self {
        OnceMap {
            entries: DashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> OnceMap<K, V> {
    /// The value for `key`, computing it with `make` on first use.
    pub fn get_or_init(&self, key: K, make: impl FnOnce() -> V) -> V {
        // Clone the slot out so the shard lock is released before computing.
        let slot = self.entries.entry(key).or_default().clone();
        slot.get_or_init(make).clone()
    }

    /// The value for `key`, if computed.
    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key).and_then(|slot| slot.get().cloned())
    }

    /// A map holding `value` for `key`, for each computed entry that `keep` maps to a key.
    pub fn carried_over(&self, mut keep: impl FnMut(&K, &V) -> Option<K>) -> Self {
        let entries = DashMap::with_capacity(self.entries.len());
        for entry in self.entries.iter() {
            let Some(value) = entry.value().get() else {
                continue;
            };
            if let Some(key) = keep(entry.key(), value) {
                entries.insert(key, Arc::new(OnceLock::from(value.clone())));
            }
        }
        OnceMap { entries }
    }

    /// How many values are computed.
    pub fn len(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.value().get().is_some())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every rendering of one snapshot's posts.
#[derive(Debug, Default)]
pub struct RenderCache {
    /// The full Markdown pass per post.
    pub posts: OnceMap<PostIdx, Arc<RenderedPost>>,
    /// `html(sanitize: true)` per post.
    pub sanitized: OnceMap<PostIdx, Arc<str>>,
}

impl RenderCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The renderings to keep for the next snapshot: `keep` gets each rendered post's index
    /// and rendering and says where that post is in the next snapshot, if its rendering
    /// still holds there. Sanitized HTML follows its post.
    pub fn carried_over(
        &self,
        mut keep: impl FnMut(PostIdx, &RenderedPost) -> Option<PostIdx>,
    ) -> RenderCache {
        let mut moved = std::collections::HashMap::new();
        let posts = self.posts.carried_over(|idx, rendered| {
            let to = keep(*idx, rendered)?;
            moved.insert(*idx, to);
            Some(to)
        });
        let sanitized = self
            .sanitized
            .carried_over(|idx, _| moved.get(idx).copied());
        RenderCache { posts, sanitized }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn concurrent_first_requests_compute_once() {
        let map: OnceMap<u32, Arc<str>> = OnceMap::default();
        let computed = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let value = map.get_or_init(3, || {
                        computed.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Arc::from("<p>x</p>")
                    });
                    assert_eq!(&*value, "<p>x</p>");
                });
            }
        });
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert_eq!(map.len(), 1);
    }
}
