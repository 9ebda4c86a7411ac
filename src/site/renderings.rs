//! Renderings cached per post for one served version.
//!
//! Each served version pairs its snapshot with its own renderings, so no entry outlives its
//! version, except those a reload carries over because their inputs did not change.

use crate::graph::PostIdx;
use crate::once_map::OnceMap;
use crate::render::RenderedPost;
use crate::text::packed::PackedText;
use std::sync::Arc;

/// Every rendering of one version's posts.
#[derive(Debug, Default)]
pub struct Renderings {
    /// The full Markdown pass per post.
    pub posts: OnceMap<PostIdx, Arc<RenderedPost>>,
    /// `html(sanitize: true)` per post.
    pub sanitized: OnceMap<PostIdx, Arc<str>>,
    /// `plainText` per post, kept compressed; made only for the posts asked for.
    pub plain_texts: OnceMap<PostIdx, Arc<PackedText>>,
}

impl Renderings {
    /// The renderings to keep for the next snapshot: `keep` gets each rendered post's index
    /// and rendering and says where that post is in the next snapshot, if its rendering
    /// still holds there. Sanitized HTML and plain text follow their post's rendering (a plain
    /// text made for a post that was not rendered is made again when next asked for).
    pub fn carried_over(
        &self,
        mut keep: impl FnMut(PostIdx, &RenderedPost) -> Option<PostIdx>,
    ) -> Renderings {
        let mut moved = std::collections::HashMap::new();
        let posts = self.posts.carried_over(|idx, rendered| {
            let to = keep(*idx, rendered)?;
            moved.insert(*idx, to);
            Some(to)
        });
        let sanitized = self
            .sanitized
            .carried_over(|idx, _| moved.get(idx).copied());
        let plain_texts = self
            .plain_texts
            .carried_over(|idx, _| moved.get(idx).copied());
        Renderings {
            posts,
            sanitized,
            plain_texts,
        }
    }
}
