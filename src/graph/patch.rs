//! Patching a snapshot after edits that leave every key alone.
//!
//! Most saves change a post's body or some front matter nothing is indexed by. Then the posts
//! keep their positions, slugs, tags, lookups and orders, and the new snapshot is the previous
//! one with those documents swapped in: no sorting, hashing or string building over the whole
//! corpus. Anything else (a new, removed or renamed post, a changed date, title, tag, slug,
//! permalink, serial number or status, or different settings) takes the full build.

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
    for (idx, loaded) in replacements {
        let post = &mut posts[idx as usize];
        if post.word_count != loaded.word_count {
            recounted.push(idx);
        }
        post.word_count = loaded.word_count;
        post.doc = loaded.doc.clone();
    }
    let (index, preview_index) = match recounted.is_empty() {
        false => (
            Arc::new(previous.index.with_new_word_counts(&posts, &recounted)),
            Arc::new(
                previous
                    .preview_index
                    .with_new_word_counts(&posts, &recounted),
            ),
        ),
        true => (previous.index.clone(), previous.preview_index.clone()),
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
        if !same_keys(old, &loaded.doc) {
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

/// Whether the graph would index `a` and `b` alike: everything slugs, orders, lookups, tags,
/// categories, series, the archive, statuses and rendering's site links read.
fn same_keys(a: &Document, b: &Document) -> bool {
    a.source_path == b.source_path
        && a.kind == b.kind
        && a.published == b.published
        && a.title == b.title
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
