//! Rendered output cached per post for one snapshot.
//!
//! A cache belongs to one snapshot version: the server pairs each snapshot with a fresh cache,
//! so no entry outlives its version. Each entry is a `OnceLock`, so concurrent first requests
//! for one post wait for a single render instead of rendering twice, and the map's shard lock
//! is never held while rendering.

use crate::graph::PostIdx;
use dashmap::DashMap;
use std::sync::{Arc, OnceLock};

/// Which rendering of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    Html,
}

/// Rendered strings by post and variant, for one snapshot version.
#[derive(Debug, Default)]
pub struct RenderCache {
    entries: DashMap<(PostIdx, Variant), Arc<OnceLock<Arc<str>>>>,
}

impl RenderCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached value, rendering it with `render` on first use.
    pub fn get_or_render(
        &self,
        post: PostIdx,
        variant: Variant,
        render: impl FnOnce() -> String,
    ) -> Arc<str> {
        // Clone the slot out so the shard lock is released before rendering.
        let slot = self.entries.entry((post, variant)).or_default().clone();
        slot.get_or_init(|| Arc::from(render())).clone()
    }

    /// How many renderings are cached.
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
    fn concurrent_first_requests_render_once() {
        let cache = RenderCache::new();
        let renders = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let html = cache.get_or_render(3, Variant::Html, || {
                        renders.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        "<p>x</p>".to_string()
                    });
                    assert_eq!(&*html, "<p>x</p>");
                });
            }
        });
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert_eq!(cache.len(), 1);
    }
}
