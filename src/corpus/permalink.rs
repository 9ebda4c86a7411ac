//! Jekyll permalinks: built-in styles and `:placeholder` templates.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// What a permalink template can refer to.
#[derive(Debug, Clone)]
pub struct PermalinkParts<'a> {
    pub categories: &'a [String],
    /// The post's slug: front-matter `slug`, else the file name without date and extension.
    pub slug: &'a str,
    /// The post's date on the site's wall clock.
    pub date: NaiveDateTime,
}

/// The template for one of Jekyll's built-in permalink styles, or the text itself.
pub fn style_template(style: &str) -> &str {
    match style {
        "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        other => other,
    }
}

/// Expands a template into a site-relative path that starts with `/`, with no `//`.
pub fn expand(template: &str, parts: &PermalinkParts<'_>) -> String {
    let template = style_template(template.trim());
    let mut out = String::with_capacity(template.len() + parts.slug.len());
    let mut rest = template;
    while let Some(start) = rest.find(':') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        match placeholder(&after[..name_len], parts) {
            Some(value) => out.push_str(&value),
            // Not a placeholder (e.g. a literal colon): keep it.
            None => out.push_str(&rest[start..start + 1 + name_len]),
        }
        rest = &after[name_len..];
    }
    out.push_str(rest);
    normalize(&out)
}

fn placeholder(name: &str, parts: &PermalinkParts<'_>) -> Option<String> {
    let d = parts.date;
    Some(match name {
        "year" => format!("{:04}", d.year()),
        "short_year" => format!("{:02}", d.year() % 100),
        "month" => format!("{:02}", d.month()),
        "i_month" => d.month().to_string(),
        "short_month" => d.format("%b").to_string(),
        "long_month" => d.format("%B").to_string(),
        "day" => format!("{:02}", d.day()),
        "i_day" => d.day().to_string(),
        "y_day" => format!("{:03}", d.ordinal()),
        "week" => format!("{:02}", d.iso_week().week()),
        "short_day" => d.format("%a").to_string(),
        "long_day" => d.format("%A").to_string(),
        "hour" => format!("{:02}", d.hour()),
        "minute" => format!("{:02}", d.minute()),
        "second" => format!("{:02}", d.second()),
        "title" => slugify_pretty(parts.slug),
        "slug" => slugify(parts.slug),
        "name" => slugify(parts.slug),
        "categories" => {
            let mut seen: Vec<String> = Vec::new();
            for c in parts.categories {
                let c = c.to_lowercase();
                if !seen.contains(&c) {
                    seen.push(c);
                }
            }
            seen.join("/")
        }
        "output_ext" => ".html".to_string(),
        _ => return None,
    })
}

/// Jekyll's default slugify: lower case, every run of non-alphanumerics becomes one `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Jekyll's "pretty" slugify with case kept, used for `:title`: keeps URL-safe punctuation.
fn slugify_pretty(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || "._~!$&'()+,;=@".contains(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn parts<'a>(categories: &'a [String], slug: &'a str) -> PermalinkParts<'a> {
        PermalinkParts {
            categories,
            slug,
            date: NaiveDate::from_ymd_opt(2025, 8, 7)
                .and_then(|d| d.and_hms_opt(2, 54, 48))
                .expect("valid"),
        }
    }

    #[test]
    fn built_in_styles() {
        let cats = vec!["Blog".to_string()];
        assert_eq!(
            expand("date", &parts(&cats, "hello")),
            "/blog/2025/08/07/hello.html"
        );
        assert_eq!(expand("pretty", &parts(&[], "hello")), "/2025/08/07/hello/");
        assert_eq!(expand("none", &parts(&cats, "hello")), "/blog/hello.html");
        assert_eq!(
            expand("ordinal", &parts(&[], "hello")),
            "/2025/219/hello.html"
        );
    }

    #[test]
    fn templates_with_placeholders() {
        let cats = vec!["blog".to_string(), "blog".to_string()];
        assert_eq!(
            expand("/:categories/:title", &parts(&cats, "im-more-optimistic")),
            "/blog/im-more-optimistic"
        );
        assert_eq!(
            expand(
                "/:short_year/:i_month/:i_day/:slug/",
                &parts(&[], "A Title")
            ),
            "/25/8/7/a-title/"
        );
        assert_eq!(expand("/custom/:title/", &parts(&[], "x")), "/custom/x/");
        assert_eq!(expand("/:categories/:title", &parts(&[], "x")), "/x");
    }

    #[test]
    fn slugify_like_jekyll() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  a--b  "), "a-b");
    }
}
