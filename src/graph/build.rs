//! Building a [`Snapshot`] from parsed files: unique slugs, tags, lookups, indexes, version.

use super::index::{compare, PostIndex, SortKey};
use super::{
    id, permalink_key, tag_slug, LoadStats, Lookup, Post, PostIdx, PostStatus, Snapshot, Tag,
    TagIdx, Visibility,
};
use crate::corpus::site_url::decode_path;
use crate::corpus::{Document, SerialNumber, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::source::{Layout, SourceKind};
use crate::text::fence::{Fences, Line};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a snapshot is built from.
pub struct SnapshotInput {
    pub root: PathBuf,
    pub layout: Layout,
    pub config: SiteConfig,
    /// Content hash of the files the public sees (see `reload`).
    pub version: String,
    /// Content hash of every candidate file (see `reload`).
    pub preview_version: String,
    /// Number of post candidates found.
    pub files: usize,
    /// Documents that loaded (shared with the reloader, which keeps them per file).
    pub documents: Vec<Arc<LoadedDocument>>,
    /// Every diagnostic so far (config and files).
    pub diagnostics: Vec<Diagnostic>,
    /// Candidate files the public does not see (see [`Snapshot::is_public_file`]).
    pub hidden_files: Arc<HashSet<String>>,
    pub visibility: Visibility,
    /// "Now", for deciding which posts are in the future.
    pub now: DateTime<Utc>,
}

/// A parsed document with what the graph derives from it alone, computed once per parse: the
/// reloader keeps these per file and hands unchanged ones to the next build as they are.
#[derive(Debug, Clone)]
pub struct LoadedDocument {
    pub doc: Arc<Document>,
    pub word_count: u32,
    /// The post's opaque id.
    pub id: String,
    /// The slug of each of `doc.tags`, in order.
    pub tag_slugs: Vec<String>,
    /// Lower-cased title, the title order's key.
    pub title_key: String,
}

impl LoadedDocument {
    pub fn new(doc: Document) -> Self {
        LoadedDocument {
            word_count: count_words(&doc.body),
            id: id::post_id(&doc.source_path),
            tag_slugs: doc.tags.iter().map(|name| tag_slug(name)).collect(),
            title_key: doc.title.to_lowercase(),
            doc: Arc::new(doc),
        }
    }
}

/// Builds the immutable snapshot. Never fails: collisions become warnings.
pub fn build_snapshot(input: SnapshotInput) -> Snapshot {
    let SnapshotInput {
        root,
        layout,
        config,
        version,
        preview_version,
        files,
        mut documents,
        mut diagnostics,
        hidden_files,
        visibility,
        now,
    } = input;

    // Who keeps a contested slug, serial number, permalink or alias: the posts the public
    // sees first, then those only a preview sees, then those nobody sees; within each, the
    // oldest (then by path). So each audience gets exactly the keys it would get if the posts
    // it cannot see did not exist.
    let rank = |doc: &Document| claim_rank(visibility, status_of(doc, now));
    documents.sort_by(|a, b| {
        rank(&a.doc)
            .cmp(&rank(&b.doc))
            .then_with(|| a.doc.date.cmp(&b.doc.date))
            .then_with(|| a.doc.source_path.cmp(&b.doc.source_path))
    });
    let ranks: Vec<usize> = documents.iter().map(|d| rank(&d.doc)).collect();
    // Graph diagnostics are appended after the inputs' ones; the snapshot keeps them apart.
    let input_diagnostics = diagnostics.len();
    let slugs = unique_slugs(&documents, &mut diagnostics);

    let (public_tags, preview_tags, tag_by_slug) = collect_tags(&documents, &ranks);
    let preview_tags = Arc::new(preview_tags);
    // Usually no hidden post spells a tag differently: then both audiences share one list.
    let public_tags = match public_tags == *preview_tags {
        true => preview_tags.clone(),
        false => Arc::new(public_tags),
    };
    // Each post with its position in claim order.
    let mut posts: Vec<(usize, Post)> = documents
        .into_iter()
        .zip(slugs)
        .enumerate()
        .map(|(claim, (loaded, slug))| {
            let tag_ids = loaded
                .tag_slugs
                .iter()
                .filter_map(|slug| tag_by_slug.get(slug).copied())
                .collect();
            let post = Post {
                id: loaded.id.clone(),
                status: status_of(&loaded.doc, now),
                word_count: loaded.word_count,
                tags: tag_ids,
                slug,
                title_key: loaded.title_key.clone(),
                doc: loaded.doc.clone(),
            };
            (claim, post)
        })
        .collect();
    // Newest first: the exact reverse of ascending (date, slug).
    posts.sort_by(|(_, a), (_, b)| {
        b.doc
            .date
            .cmp(&a.doc.date)
            .then_with(|| b.slug.cmp(&a.slug))
    });
    let mut claim_order: Vec<PostIdx> = vec![0; posts.len()];
    for (idx, (claim, _)) in posts.iter().enumerate() {
        claim_order[*claim] = idx as PostIdx;
    }
    let posts: Vec<Post> = posts.into_iter().map(|(_, post)| post).collect();

    // The lookups and the two audiences' indexes are independent: build them side by side.
    let (lookup, (index, preview_index)) = rayon::join(
        || build_lookup(&posts, &claim_order, tag_by_slug, &mut diagnostics),
        || {
            rayon::join(
                || PostIndex::build(&posts, public_tags, |p| visibility.shows(p.status)),
                || {
                    PostIndex::build(&posts, preview_tags.clone(), |p| {
                        Visibility::PREVIEW.shows(p.status)
                    })
                },
            )
        },
    );
    let graph_diagnostics = diagnostics.split_off(input_diagnostics);
    diagnostics.extend(graph_diagnostics.iter().cloned());
    let stats = LoadStats {
        files,
        posts: count(&posts, PostStatus::Published),
        drafts: count(&posts, PostStatus::Draft),
        hidden: count(&posts, PostStatus::Unpublished) + count(&posts, PostStatus::Future),
        skipped: files - posts.len(),
    };
    crate::diagnostic::sort(&mut diagnostics);
    debug_assert!(index.newest_first().windows(2).all(|w| compare(
        &posts,
        SortKey::Date,
        w[0],
        w[1]
    )
    .is_gt()));

    Snapshot {
        root,
        layout,
        config,
        version,
        preview_version,
        loaded_at: now,
        preview_loaded_at: now,
        posts,
        tags: preview_tags,
        diagnostics,
        stats,
        visibility,
        index: Arc::new(index),
        preview_index: Arc::new(preview_index),
        lookup: Arc::new(lookup),
        keys: Arc::default(),
        graph_diagnostics: Arc::new(graph_diagnostics),
        hidden_files,
    }
}

/// The order in which posts claim contested keys: 0 for what `visibility` shows, 1 for what
/// only a preview sees, 2 for posts nobody sees (`published: false`).
fn claim_rank(visibility: Visibility, status: PostStatus) -> usize {
    if visibility.shows(status) {
        0
    } else if Visibility::PREVIEW.shows(status) {
        1
    } else {
        2
    }
}

fn count(posts: &[Post], status: PostStatus) -> usize {
    posts.iter().filter(|p| p.status == status).count()
}

pub fn status_of(doc: &Document, now: DateTime<Utc>) -> PostStatus {
    if doc.kind == SourceKind::Draft {
        PostStatus::Draft
    } else if !doc.published {
        PostStatus::Unpublished
    } else if doc.date > now {
        PostStatus::Future
    } else {
        PostStatus::Published
    }
}

/// Each document's slug, in order: the first post (in claim order) keeps a slug; later ones
/// get `-2`, `-3`, ….
fn unique_slugs(
    documents: &[Arc<LoadedDocument>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut slugs = Vec::with_capacity(documents.len());
    for doc in documents.iter().map(|d| &*d.doc) {
        let wanted = doc.slug.clone();
        let std::collections::hash_map::Entry::Occupied(owner) = owners.entry(wanted.clone())
        else {
            owners.insert(wanted.clone(), doc.source_path.clone());
            slugs.push(wanted);
            continue;
        };
        let owner = owner.get().clone();
        let mut n = 2;
        let unique = loop {
            let candidate = format!("{wanted}-{n}");
            if !owners.contains_key(&candidate) {
                break candidate;
            }
            n += 1;
        };
        let mut d = Diagnostic::warning(
            &doc.source_path,
            format!(
                "duplicate slug `{wanted}`: {owner} already has it; this post's slug is `{unique}`"
            ),
        );
        if let Some(line) = doc.key_line("slug") {
            d = d.at(line, Some(1));
        }
        diagnostics.push(d);
        owners.insert(unique.clone(), doc.source_path.clone());
        slugs.push(unique);
    }
    slugs
}

/// One tag per slug, named by its most frequent spelling (ties: the alphabetically first)
/// among the posts an audience sees: the public's names count only the documents of claim
/// rank 0, the preview's ranks 0 and 1 (see [`claim_rank`]). A tag no post of an audience has
/// takes its name from all posts. Returns the public's tags, the preview's, and the index of
/// each slug (the same in both).
fn collect_tags(
    documents: &[Arc<LoadedDocument>],
    ranks: &[usize],
) -> (Vec<Tag>, Vec<Tag>, HashMap<String, TagIdx>) {
    let mut spellings: BTreeMap<String, BTreeMap<&str, [usize; 3]>> = BTreeMap::new();
    for (loaded, &rank) in documents.iter().zip(ranks) {
        for (name, slug) in loaded.doc.tags.iter().zip(&loaded.tag_slugs) {
            if slug.is_empty() {
                continue;
            }
            let names = match spellings.get_mut(slug) {
                Some(names) => names,
                None => spellings.entry(slug.clone()).or_default(),
            };
            names.entry(name.trim()).or_default()[rank] += 1;
        }
    }
    let mut by_slug = HashMap::with_capacity(spellings.len());
    let mut public = Vec::with_capacity(spellings.len());
    let mut preview = Vec::with_capacity(spellings.len());
    for (i, (slug, names)) in spellings.into_iter().enumerate() {
        // The most frequent spelling among posts of rank `..=max_rank`, if any has the tag.
        let name_within = |max_rank: usize| {
            names
                .iter()
                .map(|(name, counts)| (*name, counts[..=max_rank].iter().sum::<usize>()))
                .filter(|(_, count)| *count > 0)
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(name, _)| name.to_string())
        };
        let preview_name = name_within(1)
            .or_else(|| name_within(2))
            .unwrap_or_else(|| slug.clone());
        let public_name = name_within(0).unwrap_or_else(|| preview_name.clone());
        let tag = |name: String| Tag {
            id: id::tag_id(&slug),
            slug: slug.clone(),
            name_key: name.to_lowercase(),
            name,
        };
        public.push(tag(public_name));
        preview.push(tag(preview_name));
        by_slug.insert(slug, i as TagIdx);
    }
    (public, preview, by_slug)
}

/// Key → post maps. Posts claim keys in `claim_order` (see [`claim_rank`]): for a contested
/// serial number or permalink the first claimer wins and the others get a warning naming
/// both files; the first claimer of a `redirect_from` alias keeps it.
fn build_lookup(
    posts: &[Post],
    claim_order: &[PostIdx],
    tag_by_slug: HashMap<String, TagIdx>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Lookup {
    let mut lookup = Lookup {
        tag_by_slug,
        ..Lookup::default()
    };
    for &idx in claim_order {
        let post = &posts[idx as usize];
        let doc = &post.doc;
        lookup.by_slug.insert(post.slug.clone(), idx);
        lookup.by_path.insert(doc.source_path.clone(), idx);
        if let Some(serial) = &doc.serial_number {
            let key = SerialNumber::key(&serial.value);
            claim(
                &mut lookup.by_serial,
                key,
                idx,
                posts,
                "serial_number",
                &serial.value,
                diagnostics,
            );
        }
        let key = permalink_key(&decode_path(&doc.permalink));
        claim(
            &mut lookup.by_permalink,
            key,
            idx,
            posts,
            "permalink",
            &doc.permalink,
            diagnostics,
        );
        for alias in &doc.aliases {
            lookup
                .by_alias
                .entry(permalink_key(&decode_path(alias)))
                .or_insert(idx);
        }
    }
    lookup
}

fn claim(
    map: &mut HashMap<String, PostIdx>,
    key: String,
    idx: PostIdx,
    posts: &[Post],
    what: &str,
    value: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    match map.get(&key) {
        None => {
            map.insert(key, idx);
        }
        Some(&owner) => {
            let owner_path = &posts[owner as usize].doc.source_path;
            let doc = &posts[idx as usize].doc;
            let mut d = Diagnostic::warning(
                &doc.source_path,
                format!("duplicate {what} `{value}`: {owner_path} already has it, so lookups find that post"),
            );
            if let Some(line) = doc.key_line(what) {
                d = d.at(line, Some(1));
            }
            diagnostics.push(d);
        }
    }
}

/// Words of prose in Markdown: fenced code blocks (by [`Fences`]' rules, as rendering
/// reads them), HTML tags, link and image targets and punctuation-only tokens do not count.
pub fn count_words(markdown: &str) -> u32 {
    let mut fences = Fences::default();
    markdown
        .lines()
        .filter(|line| fences.line(line) == Line::Text)
        .map(count_prose_words)
        .sum()
}

/// Words of one prose line: runs of non-space characters with at least one letter or digit,
/// where an HTML tag or autolink (`<...>`) and a link target (`](...)`) count as a space.
/// One pass over the characters, no allocation (this runs over every byte of the corpus at
/// load).
fn count_prose_words(line: &str) -> u32 {
    let mut count = 0;
    // Inside a word, and whether it has a letter or digit yet.
    let (mut in_word, mut alphanumeric) = (false, false);
    let mut end_word = |in_word: &mut bool, alphanumeric: &mut bool| {
        if *in_word && *alphanumeric {
            count += 1;
        }
        *in_word = false;
        *alphanumeric = false;
    };
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // An HTML tag or autolink: skip to its end.
            '<' => {
                for d in chars.by_ref() {
                    if d == '>' {
                        break;
                    }
                }
                end_word(&mut in_word, &mut alphanumeric);
            }
            // A link or image target: `](...)`.
            ']' if chars.peek() == Some(&'(') => {
                for d in chars.by_ref() {
                    if d == ')' {
                        break;
                    }
                }
                end_word(&mut in_word, &mut alphanumeric);
            }
            c if c.is_whitespace() => end_word(&mut in_word, &mut alphanumeric),
            c => {
                in_word = true;
                alphanumeric |= c.is_alphanumeric();
            }
        }
    }
    end_word(&mut in_word, &mut alphanumeric);
    count
}

#[cfg(test)]
mod tests {
    use super::count_words;

    #[test]
    fn counts_prose_words_only() {
        assert_eq!(
            count_words("Hello, *world* -- and [a link](https://x.org/a-b-c) <br> here."),
            6
        );
        assert_eq!(
            count_words("Text\n\n```rust\nfn main() {}\n```\nmore words"),
            3
        );
        assert_eq!(count_words("## Heading\n\n- item one\n- item two"), 5);
        assert_eq!(count_words("a<b>c d](e) f]g -- 1"), 5);
        assert_eq!(count_words("   \t "), 0);
    }
}
