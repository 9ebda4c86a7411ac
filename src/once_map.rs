//! [`OnceMap`]: values computed at most once per key, shared by the caches of a served
//! version (renderings, related posts).
//!
//! Each entry is a `OnceLock`, so concurrent first requests for one key wait for a single
//! computation instead of computing twice, and the map's shard lock is never held while
//! computing.

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
