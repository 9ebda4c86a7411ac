//! Jekyll's filters (`relative_url`, `absolute_url`, the `date_to_*` family, `jsonify`,
//! `xml_escape`, `cgi_escape`, `uri_escape`, `number_of_words`, `markdownify`,
//! `normalize_whitespace`, `to_integer`) and the URL and date helpers they use.

use super::LiquidResult;
use crate::corpus::site_url::{scheme_of, SiteUrl};
use crate::text::shorten;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use liquid_core::model::{Value, ValueCow, ValueView};
use liquid_core::parser::{FilterArguments, ParameterReflection};
use liquid_core::runtime::Runtime;
use liquid_core::{Error, Expression, Filter, FilterReflection, ParseFilter};
use std::fmt;
use std::sync::Arc;

/// Site settings the URL filters need.
#[derive(Debug)]
pub(super) struct UrlContext {
    pub(super) site: SiteUrl,
}

impl UrlContext {
    /// Jekyll's `relative_url`: baseurl + path, each with a leading slash; URLs with a
    /// scheme as they are.
    fn relative_url(&self, input: &str) -> String {
        match scheme_of(input) {
            Some(_) => input.to_owned(),
            None => self.site.relative(input),
        }
    }

    /// Jekyll's `absolute_url`: url + `relative_url`; URLs with a scheme as they are.
    fn absolute_url(&self, input: &str) -> String {
        match scheme_of(input) {
            Some(_) => input.to_owned(),
            None => self.site.absolute(input),
        }
    }
}

type FilterFn = fn(&UrlContext, &dyn ValueView, &[Value]) -> LiquidResult<Value>;

/// One of Jekyll's filters: a function of the input and up to `max_args` positional arguments.
#[derive(Clone, Debug)]
struct JekyllFilter {
    name: &'static str,
    description: &'static str,
    max_args: usize,
    urls: Arc<UrlContext>,
    apply: FilterFn,
}

impl FilterReflection for JekyllFilter {
    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        self.description
    }

    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }

    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for JekyllFilter {
    fn parse(&self, mut arguments: FilterArguments<'_>) -> LiquidResult<Box<dyn Filter>> {
        if let Some((key, _)) = arguments.keyword.next() {
            return Err(Error::with_msg(format!(
                "`{}` has no keyword argument `{key}`",
                self.name
            )));
        }
        let args: Vec<Expression> = arguments.positional.collect();
        if args.len() > self.max_args {
            return Err(Error::with_msg(format!(
                "`{}` takes at most {} argument(s), got {}",
                self.name,
                self.max_args,
                args.len()
            )));
        }
        Ok(Box::new(BoundFilter {
            filter: self.clone(),
            args,
        }))
    }

    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

#[derive(Debug)]
struct BoundFilter {
    filter: JekyllFilter,
    args: Vec<Expression>,
}

impl fmt::Display for BoundFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.filter.name)?;
        for (i, arg) in self.args.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            write!(f, "{arg}")?;
        }
        Ok(())
    }
}

impl Filter for BoundFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> LiquidResult<Value> {
        let args: Vec<Value> = self
            .args
            .iter()
            .map(|arg| {
                arg.try_evaluate(runtime)
                    .map_or(Value::Nil, ValueCow::into_owned)
            })
            .collect();
        (self.filter.apply)(&self.filter.urls, input, &args)
    }
}

/// Jekyll's own filters, bound to the site's URL settings.
pub(super) fn jekyll_filters(urls: &Arc<UrlContext>) -> Vec<Box<dyn ParseFilter>> {
    let filters: [(&'static str, &'static str, usize, FilterFn); 14] = [
        (
            "relative_url",
            "Prefixes a site path with the baseurl.",
            0,
            filter_relative_url,
        ),
        (
            "absolute_url",
            "Prefixes a site path with the site's url and baseurl.",
            0,
            filter_absolute_url,
        ),
        (
            "date_to_string",
            "`07 Aug 2025`; `\"ordinal\"` and `\"US\"` vary it.",
            2,
            filter_date_to_string,
        ),
        (
            "date_to_long_string",
            "`07 August 2025`; `\"ordinal\"` and `\"US\"` vary it.",
            2,
            filter_date_to_long_string,
        ),
        (
            "date_to_xmlschema",
            "ISO 8601 / RFC 3339 date.",
            0,
            filter_date_to_xmlschema,
        ),
        (
            "date_to_rfc822",
            "RFC 822 date, as in RSS.",
            0,
            filter_date_to_rfc822,
        ),
        ("jsonify", "The value as JSON.", 0, filter_jsonify),
        ("xml_escape", "Escapes text for XML.", 0, filter_xml_escape),
        (
            "cgi_escape",
            "Escapes text for a URL query (space becomes `+`).",
            0,
            filter_cgi_escape,
        ),
        (
            "uri_escape",
            "Percent-encodes characters not allowed in a URI.",
            0,
            filter_uri_escape,
        ),
        (
            "number_of_words",
            "Counts words; `\"cjk\"` or `\"auto\"` count CJK characters as words.",
            1,
            filter_number_of_words,
        ),
        (
            "markdownify",
            "Converts Markdown to HTML.",
            0,
            filter_markdownify,
        ),
        (
            "normalize_whitespace",
            "Collapses runs of whitespace into one space.",
            0,
            filter_normalize_whitespace,
        ),
        (
            "to_integer",
            "Converts to an integer.",
            0,
            filter_to_integer,
        ),
    ];
    filters
        .into_iter()
        .map(
            |(name, description, max_args, apply)| -> Box<dyn ParseFilter> {
                Box::new(JekyllFilter {
                    name,
                    description,
                    max_args,
                    urls: urls.clone(),
                    apply,
                })
            },
        )
        .collect()
}

/// The input as text (nil is empty).
fn input_text(input: &dyn ValueView) -> String {
    if input.is_nil() {
        String::new()
    } else {
        input.to_kstr().to_string()
    }
}

fn arg_text(args: &[Value], index: usize) -> Option<String> {
    args.get(index)
        .filter(|v| !v.is_nil())
        .map(|v| v.to_kstr().to_string())
}

fn filter_relative_url(
    urls: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    Ok(Value::scalar(urls.relative_url(&input_text(input))))
}

fn filter_absolute_url(
    urls: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    Ok(Value::scalar(urls.absolute_url(&input_text(input))))
}

/// Reads a date: RFC 3339, Jekyll's `2025-08-07 02:54:48 +0000`, RFC 2822, a date and time
/// without zone (taken as UTC), a bare date, a Unix timestamp, `now` or `today`.
fn parse_date(input: &dyn ValueView) -> Option<DateTime<FixedOffset>> {
    if input.type_name() == "whole number" {
        let seconds = input.as_scalar()?.to_integer()?;
        return DateTime::from_timestamp(seconds, 0).map(|d| d.fixed_offset());
    }
    parse_date_str(&input_text(input))
}

/// Dates as front matter writes them (the loader's own parser: `2025-08-07 02:54:48 +0000`,
/// RFC 3339, date only, …), plus `now`/`today`, RFC 2822 and `YYYY/MM/DD`.
fn parse_date_str(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if matches!(text, "now" | "today") {
        return Some(Utc::now().fixed_offset());
    }
    if let Ok(date) = crate::corpus::date::parse_date(text, None) {
        return Some(date);
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date);
    }
    NaiveDate::parse_from_str(text, "%Y/%m/%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().fixed_offset())
}

/// The input's date, or `Ok(None)` when the input is empty (Jekyll returns it unchanged).
fn input_date(input: &dyn ValueView) -> LiquidResult<Option<DateTime<FixedOffset>>> {
    let text = input_text(input);
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_date(input).map(Some).ok_or_else(|| {
        Error::with_msg(format!(
            "Invalid Date: `{}` is not a valid datetime",
            shorten(&text, 60)
        ))
    })
}

fn ordinal_suffix(day: u32) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// Jekyll's `stringify_date`: `07 Aug 2025`, or with `"ordinal"` `7th Aug 2025` and with
/// `"ordinal", "US"` `Aug 7th, 2025`.
fn stringify_date(input: &dyn ValueView, args: &[Value], month: &str) -> LiquidResult<Value> {
    let Some(date) = input_date(input)? else {
        return Ok(input.to_value());
    };
    let month_name = date.format(month).to_string();
    if arg_text(args, 0).as_deref() == Some("ordinal") {
        let day = format!("{}{}", date.day(), ordinal_suffix(date.day()));
        let text = if arg_text(args, 1).as_deref() == Some("US") {
            format!("{month_name} {day}, {}", date.year())
        } else {
            format!("{day} {month_name} {}", date.year())
        };
        return Ok(Value::scalar(text));
    }
    Ok(Value::scalar(
        date.format(&format!("%d {month} %Y")).to_string(),
    ))
}

fn filter_date_to_string(
    _: &UrlContext,
    input: &dyn ValueView,
    args: &[Value],
) -> LiquidResult<Value> {
    stringify_date(input, args, "%b")
}

fn filter_date_to_long_string(
    _: &UrlContext,
    input: &dyn ValueView,
    args: &[Value],
) -> LiquidResult<Value> {
    stringify_date(input, args, "%B")
}

fn filter_date_to_xmlschema(
    _: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    Ok(match input_date(input)? {
        Some(date) => Value::scalar(date.format("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        None => input.to_value(),
    })
}

fn filter_date_to_rfc822(
    _: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    Ok(match input_date(input)? {
        Some(date) => Value::scalar(date.format("%a, %d %b %Y %H:%M:%S %z").to_string()),
        None => input.to_value(),
    })
}

fn filter_jsonify(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    serde_json::to_string(&input.to_value())
        .map(Value::scalar)
        .map_err(|err| Error::with_msg(format!("cannot convert to JSON: {err}")))
}

fn filter_xml_escape(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    let text = input_text(input);
    Ok(Value::scalar(crate::text::html::escape(&text).into_owned()))
}

/// Percent-encodes every byte for which `keep` is false (hex in upper case).
fn percent_encode(text: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if space_as_plus && byte == b' ' {
            out.push('+');
        } else if keep(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn filter_cgi_escape(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    let keep = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~');
    Ok(Value::scalar(percent_encode(
        &input_text(input),
        keep,
        true,
    )))
}

fn filter_uri_escape(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    // Unreserved and reserved characters of RFC 3986 stay, and so do existing escapes.
    let keep = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'['
                    | b']'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
            )
    };
    Ok(Value::scalar(percent_encode(
        &input_text(input),
        keep,
        false,
    )))
}

/// Han, Hiragana, Katakana and Hangul characters, which Jekyll's `cjk` mode counts as words.
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x11FF
        | 0x2E80..=0x2FDF
        | 0x3005..=0x3007
        | 0x3021..=0x3029
        | 0x3038..=0x303B
        | 0x3040..=0x30FF
        | 0x3130..=0x318F
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F
        | 0x20000..=0x3134F)
}

fn filter_number_of_words(
    _: &UrlContext,
    input: &dyn ValueView,
    args: &[Value],
) -> LiquidResult<Value> {
    let text = input_text(input);
    let cjk = text.chars().filter(|&c| is_cjk(c)).count();
    let others = || {
        text.split(|c: char| c.is_whitespace() || is_cjk(c))
            .filter(|w| !w.is_empty())
            .count()
    };
    let count = match arg_text(args, 0).as_deref() {
        Some("cjk") => cjk + others(),
        Some("auto") if cjk > 0 => cjk + others(),
        _ => text.split_whitespace().count(),
    };
    Ok(Value::scalar(i64::try_from(count).unwrap_or(i64::MAX)))
}

fn filter_markdownify(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    Ok(Value::scalar(crate::render::markdown_to_html_string(
        &input_text(input),
    )))
}

fn filter_normalize_whitespace(
    _: &UrlContext,
    input: &dyn ValueView,
    _: &[Value],
) -> LiquidResult<Value> {
    let text = input_text(input);
    Ok(Value::scalar(
        text.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

fn filter_to_integer(_: &UrlContext, input: &dyn ValueView, _: &[Value]) -> LiquidResult<Value> {
    let Some(scalar) = input.as_scalar() else {
        return Ok(Value::scalar(0i64));
    };
    if let Some(b) = scalar.to_bool() {
        return Ok(Value::scalar(i64::from(b)));
    }
    if let Some(i) = scalar.to_integer() {
        return Ok(Value::scalar(i));
    }
    if let Some(f) = scalar.to_float() {
        // Saturating float-to-integer conversion, like Ruby's `round` for sane values.
        #[allow(clippy::cast_possible_truncation)]
        return Ok(Value::scalar(f.round() as i64));
    }
    // Ruby's `to_i`: leading digits, else 0.
    let text = scalar.to_kstr();
    let text = text.trim_start();
    let sign_len = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign_len..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |p| p + sign_len);
    Ok(Value::scalar(text[..digits].parse::<i64>().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use crate::render::liquid::tests::{clean, page, render, FakeLinks};
    use crate::render::liquid::JekyllLiquid;
    use std::sync::Arc;

    #[test]
    fn url_filters() {
        assert_eq!(
            clean("{{ \"/img.png\" | relative_url }} {{ \"img.png\" | relative_url }} {{ \"https://x.org/a\" | relative_url }} {{ page.url | absolute_url }} {{ \"\" | absolute_url }}"),
            "/blog/img.png /blog/img.png https://x.org/a https://example.org/blog/2025/08/07/hello/ https://example.org/blog"
        );
        let bare = JekyllLiquid::new(
            &serde_json::Map::new(),
            &crate::corpus::SiteUrl::default(),
            None,
            Arc::new(FakeLinks),
        );
        let out = bare.render(
            "{{ 'a.png' | relative_url }} {{ 'a.png' | absolute_url }} [{{ site.baseurl }}]",
            &page(),
            "p.md",
            1,
        );
        assert_eq!(out.text, "/a.png /a.png []");
    }

    #[test]
    fn date_filters() {
        assert_eq!(
            clean("{{ page.date | date_to_string }}|{{ page.date | date_to_string: \"ordinal\" }}|{{ page.date | date_to_string: \"ordinal\", \"US\" }}"),
            "07 Aug 2025|7th Aug 2025|Aug 7th, 2025"
        );
        assert_eq!(
            clean("{{ page.date | date_to_long_string }}|{{ '2021-03-22' | date_to_long_string: 'ordinal' }}|{{ '2021-12-01T10:00:00Z' | date_to_long_string: 'ordinal', 'US' }}"),
            "07 August 2025|22nd March 2021|December 1st, 2021"
        );
        assert_eq!(
            clean("{{ page.date | date_to_xmlschema }}|{{ '2025-08-07T02:54:48+02:00' | date_to_xmlschema }}"),
            "2025-08-07T02:54:48+00:00|2025-08-07T02:54:48+02:00"
        );
        assert_eq!(
            clean("{{ page.date | date_to_rfc822 }}|{{ '2025-08-07 10:00:00' | date_to_rfc822 }}"),
            "Thu, 07 Aug 2025 02:54:48 +0000|Thu, 07 Aug 2025 10:00:00 +0000"
        );
        assert_eq!(clean("[{{ page.nope | date_to_string }}]"), "[]");
        let out = render("a\n{{ 'someday' | date_to_string }} b {{ page.title }}");
        assert_eq!(out.text, "a\n b Hello <World>");
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].line, Some(6));
        assert!(
            out.diagnostics[0].message.contains("Invalid Date"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn text_filters() {
        assert_eq!(
            clean("{{ \"Hello, World! Ça va?\" | slugify }}"),
            "hello-world-ça-va"
        );
        assert_eq!(
            clean("{{ page.tags | jsonify }} {{ page.title | jsonify }}"),
            "[\"rust\",\"liquid\",\"jekyll\"] \"Hello <World>\""
        );
        assert_eq!(
            clean("{{ page.title | xml_escape }}"),
            "Hello &lt;World&gt;"
        );
        assert_eq!(
            clean("{{ 'a&b \"c\"' | xml_escape }}"),
            "a&amp;b &quot;c&quot;"
        );
        assert_eq!(
            clean("{{ \"foo, bar; baz?~\" | cgi_escape }}"),
            "foo%2C+bar%3B+baz%3F~"
        );
        assert_eq!(
            clean("{{ \"foo, bar \\baz?é\" | uri_escape }}"),
            "foo,%20bar%20%5Cbaz?%C3%A9"
        );
        assert_eq!(clean("{{ \"one two\n three \" | number_of_words }}"), "3");
        assert_eq!(
            clean("{{ \"日本語 text\" | number_of_words: \"cjk\" }}"),
            "4"
        );
        assert_eq!(
            clean("{{ \"日本語 text\" | number_of_words: \"auto\" }}"),
            "4"
        );
        assert_eq!(
            clean("{{ \"plain text\" | number_of_words: \"auto\" }}"),
            "2"
        );
        assert_eq!(
            clean("{{ \"Some *emphasis*\" | markdownify }}"),
            "<p>Some <em>emphasis</em></p>\n"
        );
        assert_eq!(
            clean("{{ \"  a \n\t b  \" | normalize_whitespace }}"),
            "a b"
        );
        assert_eq!(
            clean("{{ \"42abc\" | to_integer }} {{ 2.6 | to_integer }} {{ true | to_integer }}"),
            "42 3 1"
        );
    }

    #[test]
    fn array_filters() {
        assert_eq!(
            clean("{{ page.tags | array_to_sentence_string }}"),
            "rust, liquid, and jekyll"
        );
        assert_eq!(
            clean("{{ page.tags | sort | join: \",\" }}"),
            "jekyll,liquid,rust"
        );
        assert_eq!(
            clean("{{ page.items | sort: \"n\" | map: \"name\" | join: \",\" }}"),
            "a,b,c"
        );
        assert_eq!(
            clean("{% assign hits = page.items | where: \"name\", \"c\" %}{{ hits.first.n }} {{ site.authors | where: \"name\", \"Bob\" | size }}"),
            "3 1"
        );
        assert_eq!(clean("{{ page.tags | push: \"x\" | last }}"), "x");
    }
}
