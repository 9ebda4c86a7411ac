//! Where posts are written: paths built only from normalised slugs and folder names, in the
//! site's convention (`[folder/]_posts/YYYY-MM-DD-slug.md`, `[folder/]_drafts/slug.md`, or
//! `[folder/]slug.md` in a plain folder of Markdown).

use super::StoreError;
use crate::corpus::permalink::slugify;
use chrono::NaiveDate;

/// The longest slug accepted, in bytes (file names stay well under 255 bytes).
pub const MAX_SLUG_BYTES: usize = 200;

/// Jekyll's slug of `text` (lower case, runs of anything but letters and digits as `-`);
/// refuses what leaves nothing or too much.
pub fn normalize_slug(text: &str) -> Result<String, StoreError> {
    let slug = slugify(text);
    if slug.is_empty() {
        return Err(StoreError::BadInput(format!(
            "`{text}` has no letters or digits to make a slug of"
        )));
    }
    if slug.len() > MAX_SLUG_BYTES {
        return Err(StoreError::BadInput(format!(
            "the slug is {} bytes, more than {MAX_SLUG_BYTES}; shorten it",
            slug.len()
        )));
    }
    Ok(slug)
}

/// A folder below the root for a category (`blog`, `notes/daily`): each part lower-case
/// letters, digits, `-` and `_`, not starting with `_` or `.` (those are Jekyll's own
/// folders or hidden).
pub fn normalize_folder(text: &str) -> Result<String, StoreError> {
    // Relative to the content root: an absolute path is refused, not reinterpreted.
    let absolute = text.trim().starts_with(['/', '\\']);
    let trimmed = text.trim().trim_end_matches('/');
    let parts: Vec<&str> = trimmed.split('/').collect();
    let fine = |part: &&str| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    };
    if absolute || trimmed.is_empty() || parts.len() > 8 || !parts.iter().all(fine) {
        return Err(StoreError::BadInput(format!(
            "`{text}` is not a category folder: use lower-case letters, digits, `-` and `_`, parts separated by `/`, e.g. `blog`"
        )));
    }
    Ok(parts.join("/"))
}

/// Which convention new files follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// `_posts/YYYY-MM-DD-slug.md` and `_drafts/slug.md`.
    Jekyll,
    /// `slug.md` (every Markdown file is a post; there are no drafts).
    Plain,
}

/// The path of a new post.
pub fn new_post_path(
    convention: Convention,
    folder: Option<&str>,
    draft: bool,
    date: NaiveDate,
    slug: &str,
) -> Result<String, StoreError> {
    let prefix = folder.map(|f| format!("{f}/")).unwrap_or_default();
    match (convention, draft) {
        (Convention::Jekyll, false) => Ok(format!(
            "{prefix}_posts/{}-{slug}.md",
            date.format("%Y-%m-%d")
        )),
        (Convention::Jekyll, true) => Ok(format!("{prefix}_drafts/{slug}.md")),
        (Convention::Plain, false) => Ok(format!("{prefix}{slug}.md")),
        (Convention::Plain, true) => Err(StoreError::BadInput(
            "this content folder has no `_posts` folder, so it has no drafts either (every Markdown file is a post); create the post with `draft: false` and `frontMatter: {published: false}` to keep it hidden".into(),
        )),
    }
}

/// A path's folder ("" at the root) and file name.
pub fn split_path(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => ("", path),
    }
}

/// A file name's stem and extension (`md` when it has none).
pub fn stem_and_extension(name: &str) -> (&str, &str) {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext),
        _ => (name, "md"),
    }
}

/// A file name's date prefix (`2025-08-07-`), if it has one.
pub fn date_prefix(name: &str) -> Option<&str> {
    let (stem, _) = stem_and_extension(name);
    crate::corpus::date::file_name_date(stem).map(|(_, rest)| &name[..stem.len() - rest.len()])
}

/// The path with the innermost `from` folder part (`_drafts`, `_posts`) replaced by `to`.
pub fn swap_marker(dir: &str, from: &str, to: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').collect();
    let at = parts.iter().rposition(|p| *p == from)?;
    parts[at] = to;
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_folders_are_normalised_or_refused() {
        assert_eq!(normalize_slug("../../etc/x").expect("slug"), "etc-x");
        assert_eq!(
            normalize_slug("Hello, World!").expect("slug"),
            "hello-world"
        );
        assert!(normalize_slug("../..").is_err());
        assert!(normalize_slug(&"a".repeat(300)).is_err());
        assert_eq!(normalize_folder("blog/").expect("folder"), "blog");
        for bad in [
            "../etc", "_posts", ".git", "Blog", "a//b", "", "a/../b", "/tmp", "\\tmp",
        ] {
            assert!(normalize_folder(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_follow_the_convention() {
        let date = NaiveDate::from_ymd_opt(2025, 8, 7).expect("date");
        let path = |c, f, d| new_post_path(c, f, d, date, "x").expect("path");
        assert_eq!(
            path(Convention::Jekyll, None, false),
            "_posts/2025-08-07-x.md"
        );
        assert_eq!(
            path(Convention::Jekyll, Some("blog"), true),
            "blog/_drafts/x.md"
        );
        assert_eq!(
            path(Convention::Plain, Some("essays"), false),
            "essays/x.md"
        );
        assert!(new_post_path(Convention::Plain, None, true, date, "x").is_err());
        assert_eq!(date_prefix("2025-08-07-x.md"), Some("2025-08-07-"));
        assert_eq!(date_prefix("x.md"), None);
        assert_eq!(
            swap_marker("blog/_drafts", "_drafts", "_posts").as_deref(),
            Some("blog/_posts")
        );
    }
}
