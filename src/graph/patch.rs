//! Patching a snapshot after edits that leave every key but titles alone.
//!
//! Most saves change a post's body, title or some front matter nothing is indexed by. Then the
//! posts keep their positions, slugs, tags, lookups and orders, and the new snapshot is the
//! previous one with those documents swapped in: no sorting, hashing or string building over
//! the whole corpus. A new title moves its post within the title order (and gives the
//! snapshot keys of its own: see [`build_after`]). Anything else (a new, removed or renamed
//! post, a changed date, tag, slug, permalink, serial number or status, or different
//! settings) takes the full build.

use super::build::{build_snapshot, status_of, LoadedDocument, SnapshotInput};
use super::{PostIdx, Snapshot};
use crate::corpus::Document;
use std::sync::Arc;

/// The snapshot `input` builds: `previous` patched when that gives the same result, else a
/// full build.
pub fn build_after(previous: Option<&Snapshot>, input: SnapshotInput) -> Snapshot {
    let Some((previous, replacements)) = previous.and_then(|p| Some((p, replacements(p, &input)?)))
    else {
        return build_snapshot(input);
    };
    let mut posts = previous.posts.clone();
    let mut recounted = Vec::new();
    let mut retitled = Vec::new();
    for (idx, loaded) in replacements {
        let post = &mut posts[idx as usize];
        if post.word_count != loaded.word_count {
            recounted.push(idx);
        }
        if post.title_key != loaded.title_key {
            retitled.push(idx);
        }
        post.word_count = loaded.word_count;
        post.title_key = loaded.title_key.clone();
        post.doc = loaded.doc.clone();
    }
    let (index, preview_index) = match recounted.is_empty() && retitled.is_empty() {
        false => (
            Arc::new(
                previous
                    .index
                    .with_moved_posts(&posts, &recounted, &retitled),
            ),
            Arc::new(
                previous
                    .preview_index
                    .with_moved_posts(&posts, &recounted, &retitled),
            ),
        ),
        true => (previous.index.clone(), previous.preview_index.clone()),
    };
    // No lookup is keyed by title, but what was derived from the titles elsewhere (the
    // renderer's wiki names) must be made again: a retitled snapshot has keys of its own, so
    // `Snapshot::same_keys` tells them apart.
    let keys = match retitled.is_empty() {
        true => previous.keys.clone(),
        false => Arc::default(),
    };
    let mut diagnostics = input.diagnostics;
    diagnostics.extend(previous.graph_diagnostics.iter().cloned());
    crate::diagnostic::sort(&mut diagnostics);
    Snapshot {
        root: input.root,
        layout: input.layout,
        config: input.config,
        version: input.version,
        preview_version: input.preview_version,
        loaded_at: input.now,
        preview_loaded_at: input.now,
        posts,
        tags: previous.tags.clone(),
        diagnostics,
        stats: previous.stats,
        visibility: input.visibility,
        index,
        preview_index,
        lookup: previous.lookup.clone(),
        keys,
        graph_diagnostics: previous.graph_diagnostics.clone(),
        hidden_files: input.hidden_files,
    }
}

/// The posts whose documents changed, with their new documents; `None` when the input does
/// not have the same posts with the same keys as `previous`.
fn replacements<'a>(
    previous: &Snapshot,
    input: &'a SnapshotInput,
) -> Option<Vec<(PostIdx, &'a LoadedDocument)>> {
    let same_settings = input.root == previous.root
        && input.layout == previous.layout
        && input.visibility == previous.visibility
        && input.files == previous.stats.files
        && input.documents.len() == previous.posts.len()
        && input.config == previous.config;
    if !same_settings {
        return None;
    }
    // "Now" moved on: a post dated in the future may have become due.
    if previous
        .posts
        .iter()
        .any(|post| status_of(&post.doc, input.now) != post.status)
    {
        return None;
    }
    let mut changed = Vec::new();
    for loaded in &input.documents {
        // Paths are unique on both sides and the counts are equal, so this pairs them all.
        let idx = previous.loaded_post_by_path(&loaded.doc.source_path)?;
        let old = &previous.post(idx).doc;
        if Arc::ptr_eq(old, &loaded.doc) {
            continue;
        }
        if !same_keys_but_title(old, &loaded.doc) {
            return None;
        }
        // A graph diagnostic may point at a front-matter line that moved.
        if old.key_lines != loaded.doc.key_lines
            && previous
                .graph_diagnostics
                .iter()
                .any(|d| d.path == loaded.doc.source_path)
        {
            return None;
        }
        changed.push((idx, &**loaded));
    }
    Some(changed)
}

/// Whether the graph would index `a` and `b` alike but for the title order: everything
/// slugs, the other orders, lookups, tags, categories, series, the archive and statuses read.
/// A title (an editor's most common change after the body) only moves the post within the
/// title order, and changes the wiki names rendering resolves (see [`build_after`]).
fn same_keys_but_title(a: &Document, b: &Document) -> bool {
    a.source_path == b.source_path
        && a.kind == b.kind
        && a.published == b.published
        && a.date == b.date
        && a.date.offset() == b.date.offset()
        && a.local_date == b.local_date
        && a.slug == b.slug
        && a.categories == b.categories
        && a.tags == b.tags
        && a.serial_number == b.serial_number
        && a.permalink == b.permalink
        && a.aliases == b.aliases
}
