//! The report `inkgraph check` prints: counts and diagnostics of one load.

use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::{LoadSummary, PostIdx, Snapshot, View};
use crate::links::{LinkCounts, LinkGraph, LinkKind};
use serde::Serialize;
use std::fmt::Write;

/// The `inkgraph check --format json` document. `files == posts + drafts + hidden + skipped`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport<'a> {
    pub root: String,
    pub version: &'a str,
    /// Every post candidate found.
    pub files: usize,
    /// Published posts.
    pub posts: usize,
    /// Files in `_drafts`, whether or not `--drafts` shows them.
    pub drafts: usize,
    /// `published: false` or future-dated, whether or not `--future` shows them.
    pub hidden: usize,
    /// Files with an ERROR, not loaded.
    pub skipped: usize,
    /// Distinct tags (case-insensitive) over every loaded post.
    pub tags: usize,
    /// Posts everyone sees (`posts`, plus drafts and future posts with `--drafts`/`--future`).
    pub public_posts: usize,
    /// Distinct tags of the public posts (what `serve` counts and `tagCloud` lists).
    pub public_tags: usize,
    /// Loaded posts with a serial number.
    pub serial_numbers: usize,
    /// Links in the visible posts by kind.
    pub links: LinkCounts,
    /// Every broken link, with file, line and href.
    pub broken_links: Vec<BrokenLink>,
    pub diagnostics: &'a [Diagnostic],
}

/// A link shaped like a link to a post that matches no post, alias or file.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenLink {
    pub path: String,
    pub line: Option<u32>,
    pub href: String,
}

impl<'a> CheckReport<'a> {
    /// The report of a snapshot with its diagnostics (load, render, links) and link graph.
    pub fn new(
        snapshot: &'a Snapshot,
        diagnostics: &'a [Diagnostic],
        links: &LinkGraph,
        view: View<'_>,
    ) -> Self {
        let broken_links = view
            .index
            .newest_first()
            .iter()
            .flat_map(|idx: &PostIdx| {
                let path = &snapshot.post(*idx).doc.source_path;
                links
                    .links(*idx)
                    .iter()
                    .filter(|l| l.kind == LinkKind::Broken)
                    .map(move |l| BrokenLink {
                        path: path.clone(),
                        line: l.line,
                        href: l.href.clone(),
                    })
            })
            .collect();
        let stats = snapshot.stats;
        let summary = LoadSummary::of(snapshot);
        CheckReport {
            root: snapshot.root.display().to_string(),
            version: &snapshot.version,
            files: stats.files,
            posts: stats.posts,
            drafts: stats.drafts,
            hidden: stats.hidden,
            skipped: stats.skipped,
            tags: summary.tags,
            public_posts: summary.public_posts,
            public_tags: summary.public_tags,
            serial_numbers: snapshot
                .posts
                .iter()
                .filter(|p| p.doc.serial_number.is_some())
                .count(),
            links: links.counts(),
            broken_links,
            diagnostics,
        }
    }

    /// The counts, as `serve` logs them too.
    pub fn summary(&self) -> LoadSummary {
        LoadSummary {
            files: self.files,
            posts: self.posts,
            drafts: self.drafts,
            hidden: self.hidden,
            skipped: self.skipped,
            loaded: self.files - self.skipped,
            public_posts: self.public_posts,
            tags: self.tags,
            public_tags: self.public_tags,
        }
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Human-readable report: one diagnostic per line (`ERROR path:line:col: message`), then
    /// the counts.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for d in self.diagnostics {
            let _ = writeln!(out, "{d}");
        }
        let _ = writeln!(
            out,
            "{}: {}; {} serial numbers (version {})",
            self.root,
            self.summary(),
            self.serial_numbers,
            self.version
        );
        let l = self.links;
        let _ = writeln!(
            out,
            "links: {} total, {} internal, {} site, {} external, {} broken",
            l.total, l.internal, l.site, l.external, l.broken
        );
        for b in &self.broken_links {
            let line = b.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "  broken: {}{line}: {}", b.path, b.href);
        }
        let _ = writeln!(
            out,
            "{} errors, {} warnings",
            self.error_count(),
            self.count(Severity::Warning)
        );
        out
    }
}
