//! Site-wide objects: `Site`, categories, series, the date archive and diagnostics.

use super::post::PostObject;
use super::Scope;
use crate::diagnostic;
use crate::graph::{self, PostIdx};
use async_graphql::{Enum, Object, SimpleObject, ID};
use chrono::{DateTime, FixedOffset};

pub struct Site<'a> {
    pub(super) scope: Scope<'a>,
}

/// The id of the one `Site`: `Site` base64url-encoded, the same in every answer.
pub const SITE_ID: &str = "U2l0ZQ";

/// The site (from `_config.yml`) and the loaded corpus.
#[Object]
impl<'a> Site<'a> {
    /// A stable id for the one site, the same in every answer (normalized client caches then
    /// keep one `Site` record, updated by each answer).
    async fn id(&self) -> ID {
        ID(SITE_ID.to_string())
    }

    /// `_config.yml` title.
    async fn title(&self) -> Option<&'a str> {
        self.scope.snapshot.config.title.as_deref()
    }

    /// `_config.yml` description.
    async fn description(&self) -> Option<&'a str> {
        self.scope.snapshot.config.description.as_deref()
    }

    /// `_config.yml` url + baseurl, when known.
    async fn url(&self) -> Option<String> {
        self.scope.snapshot.config.site_url()
    }

    /// Content hash of the corpus as this audience sees it: equal corpora give equal
    /// versions, and files the audience cannot see (drafts, future and unpublished posts for
    /// the public) do not count.
    async fn version(&self) -> &'a str {
        self.scope.version()
    }

    /// When this version was loaded.
    async fn loaded_at(&self) -> DateTime<FixedOffset> {
        self.scope.loaded_at().fixed_offset()
    }

    /// Visible posts.
    async fn post_count(&self) -> usize {
        self.scope.index.len()
    }

    /// Tags with at least one visible post.
    async fn tag_count(&self) -> usize {
        self.scope.index.tags_by_count().len()
    }
}

/// Posts in one category.
#[derive(SimpleObject)]
pub struct CategoryCount {
    /// The category, as written (folder above `_posts` or front-matter `categories`).
    pub name: String,
    /// Visible posts in it.
    pub count: usize,
}

pub struct SeriesCount<'a> {
    pub(super) scope: Scope<'a>,
    pub(super) entry: &'a graph::SeriesEntry,
}

/// Posts in one serial-number series.
#[Object]
impl<'a> SeriesCount<'a> {
    /// The series code, e.g. `BLG`.
    async fn series(&self) -> &'a str {
        &self.entry.series
    }

    /// Visible posts in the series.
    async fn count(&self) -> usize {
        self.entry.count
    }

    /// The newest post of the series.
    async fn latest(&self) -> Option<PostObject<'a>> {
        Some(PostObject::new(self.scope, self.entry.latest))
    }
}

/// Posts per year.
#[derive(SimpleObject)]
pub struct ArchiveYear {
    /// The year, on the site's clock.
    pub year: i32,
    /// Posts in the year.
    pub count: usize,
    /// Months with posts, newest first.
    pub months: Vec<ArchiveMonth>,
}

/// Posts per month.
#[derive(SimpleObject)]
pub struct ArchiveMonth {
    /// 1..12.
    pub month: u32,
    /// Posts in the month.
    pub count: usize,
}

impl From<&graph::ArchiveYear> for ArchiveYear {
    fn from(year: &graph::ArchiveYear) -> Self {
        ArchiveYear {
            year: year.year,
            count: year.count,
            months: year
                .months
                .iter()
                .map(|m| ArchiveMonth {
                    month: m.month,
                    count: m.count,
                })
                .collect(),
        }
    }
}

/// The archive of some posts, newest year first (on the site's clock).
pub fn archive_of(scope: Scope<'_>, posts: &[PostIdx]) -> Vec<ArchiveYear> {
    graph::archive_of(
        posts
            .iter()
            .map(|idx| scope.snapshot.post(*idx).doc.local_date),
    )
    .iter()
    .map(ArchiveYear::from)
    .collect()
}

/// How bad a problem is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The file was skipped.
    Error,
    /// The file loaded, but something was guessed or ignored.
    Warning,
}

impl From<diagnostic::Severity> for Severity {
    fn from(s: diagnostic::Severity) -> Self {
        match s {
            diagnostic::Severity::Error => Severity::Error,
            diagnostic::Severity::Warning => Severity::Warning,
        }
    }
}

pub struct Diagnostic<'a>(pub(super) &'a diagnostic::Diagnostic);

/// A problem found while loading, located in a file.
#[Object]
impl<'a> Diagnostic<'a> {
    /// ERROR: the file was skipped; WARNING: it loaded with something guessed or ignored.
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }

    /// Path relative to the content root.
    async fn path(&self) -> &'a str {
        &self.0.path
    }

    /// 1-based line, when known.
    async fn line(&self) -> Option<u32> {
        self.0.line
    }

    /// 1-based column, when known.
    async fn column(&self) -> Option<u32> {
        self.0.column
    }

    /// What is wrong and what to do.
    async fn message(&self) -> &'a str {
        &self.0.message
    }
}
