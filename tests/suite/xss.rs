//! `html(sanitize: true)` against the OWASP XSS Filter Evasion Cheat Sheet.
//!
//! Every vector in `fixtures/xss/owasp-vectors.txt` goes through
//! `Sanitizer::new(SanitizePolicy::default()).clean(...)` alone and inside realistic post
//! HTML (several positions), and the output must contain nothing executable. The checker
//! lowercases the output and decodes numeric character references and `&colon;`, `&tab;`
//! and `&newline;` before looking, so an encoded payload counts as a surviving one.

use inkgraph::render::sanitize::{SanitizePolicy, Sanitizer};

const VECTORS: &str = include_str!("../fixtures/xss/owasp-vectors.txt");

/// Iframe hosts of `SanitizePolicy::default()`; any other iframe in the output is a failure.
const ALLOWED_IFRAME_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "player.vimeo.com",
];

/// Tags that must not appear anywhere in the (lowercased, decoded) output. Text never
/// matches: the serializer escapes `<` in text as `&lt;`, which is not decoded.
const FORBIDDEN_TAGS: &[&str] = &[
    "<script", "<style", "<object", "<embed", "<base", "<meta", "<link", "<form",
];

/// Payload strings that must not appear inside any tag (attribute names and values).
///
/// Text between tags is not searched for these: it is inert (escaped), and a vector such
/// as the OWASP polyglot `javascript:/*--></title>...` legitimately leaves the words
/// `javascript:/*--&gt;` behind as visible text.
const FORBIDDEN_IN_MARKUP: &[&str] = &["javascript:", "vbscript:", "data:text/html", "expression("];

/// A realistic post as comrak renders it; `{V}` marks where a vector goes.
const POST: &str = r##"<h2 id="intro"><a href="#intro" aria-hidden="true" class="anchor" id="intro-anchor"></a>Intro</h2>
<p>Some <strong>text</strong> with a <a href="/about/">link</a>, <del>old</del> and <kbd>Ctrl</kbd>.{P}</p>
{B}
<pre class="syntax-highlighting"><code class="language-rust"><span class="source rust">fn main() {}</span></code></pre>
<table>
<thead>
<tr>
<th align="left">Name</th>
<th align="right">Value</th>
</tr>
</thead>
<tbody>
<tr>
<td align="left">{T}</td>
<td align="right">2</td>
</tr>
</tbody>
</table>
<div class="markdown-alert markdown-alert-tip">
<p class="markdown-alert-title">Tip</p>
<p>{A}</p>
</div>
<ul>
<li><input type="checkbox" checked="" disabled="" /> done {L}</li>
<li><input type="checkbox" disabled="" /> todo</li>
</ul>
<figure><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560" height="315" allowfullscreen></iframe><figcaption>Video {F}</figcaption></figure>
<p>Math <span data-math-style="inline">x^2</span> and a note<sup class="footnote-ref"><a href="#fn-1" id="fnref-1" data-footnote-ref>1</a></sup>.</p>
<section class="footnotes" data-footnotes>
<ol>
<li id="fn-1">
<p>The note. {N} <a href="#fnref-1" class="footnote-backref" data-footnote-backref data-footnote-backref-idx="1" aria-label="Back to reference 1">↩</a></p>
</li>
</ol>
</section>
"##;

/// The slots in [`POST`]: paragraph end, between blocks, table cell, alert, list item,
/// figcaption, footnote.
const SLOTS: &[&str] = &["{P}", "{B}", "{T}", "{A}", "{L}", "{F}", "{N}"];

fn vectors() -> Vec<&'static str> {
    VECTORS
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("# "))
        .collect()
}

/// Vectors that need characters a text fixture cannot hold comfortably (NUL, other C0
/// controls), from the same cheat sheet.
fn control_character_vectors() -> Vec<String> {
    vec![
        "<IMG SRC=java\0script:alert(\"XSS\")>".to_owned(),
        "<a href=\"java\0script:alert(1)\">x</a>".to_owned(),
        "<SCR\0IPT>alert(\"XSS\")</SCR\0IPT>".to_owned(),
        "<a href=\"\x01javascript:alert(1)\">x</a>".to_owned(),
        "<a href=\"\x0bjavascript:alert(1)\">x</a>".to_owned(),
        "<a href=\"\x0cjavascript:alert(1)\">x</a>".to_owned(),
        "<a href=\"java\rscript:alert(1)\">x</a>".to_owned(),
        "<img src=x\x0conerror=alert(1)>".to_owned(),
        "<img/src=x/onerror=alert(1)>".to_owned(),
    ]
}

fn post_with(vector: &str, slot: &str) -> String {
    let mut html = POST.to_owned();
    for s in SLOTS {
        html = html.replace(s, if *s == slot { vector } else { "" });
    }
    html
}

fn sanitizer() -> Sanitizer {
    Sanitizer::new(SanitizePolicy::default())
}

/// Decodes `&#NN;`, `&#xHH;` (semicolon optional, as browsers accept) and the named
/// `&colon;`, `&tab;` and `&newline;` in already-lowercased text.
fn decode_entities(lower: &str) -> String {
    let mut out = String::with_capacity(lower.len());
    let mut rest = lower;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let named = [("&colon;", ':'), ("&tab;", '\t'), ("&newline;", '\n')]
            .into_iter()
            .find(|(name, _)| rest.starts_with(name));
        if let Some((name, c)) = named {
            out.push(c);
            rest = &rest[name.len()..];
            continue;
        }
        if let Some(num) = rest.strip_prefix("&#") {
            let (radix, digits_start) = match num.strip_prefix('x') {
                Some(hex) => (16, hex),
                None => (10, num),
            };
            let len = digits_start
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits_start.len());
            if len > 0 {
                let value = u32::from_str_radix(&digits_start[..len], radix).unwrap_or(0xFFFD);
                out.push(char::from_u32(value).unwrap_or('\u{FFFD}'));
                let after = &digits_start[len..];
                rest = after.strip_prefix(';').unwrap_or(after);
                continue;
            }
        }
        out.push('&');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

/// Everything in `output` that could still execute or escape the sanitizer; empty when safe.
fn violations(output: &str) -> Vec<String> {
    let decoded = decode_entities(&output.to_lowercase());
    // Browsers drop tabs, newlines and NULs inside a URL scheme: check that view too.
    let compact: String = decoded
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r' | '\0'))
        .collect();
    let mut found = Vec::new();
    for needle in FORBIDDEN_TAGS {
        if decoded.contains(needle) || compact.contains(needle) {
            found.push(format!("contains {needle:?}"));
        }
    }
    let mut rest = decoded.as_str();
    while let Some(lt) = rest.find('<') {
        let from_lt = &rest[lt..];
        let end = from_lt.find('>').map_or(from_lt.len(), |gt| gt + 1);
        let tag = &from_lt[..end];
        let compact_tag: String = tag
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r' | '\0'))
            .collect();
        for needle in FORBIDDEN_IN_MARKUP {
            if compact_tag.contains(needle) {
                found.push(format!("{needle:?} in {tag:?}"));
            }
        }
        let names_only = without_quoted_values(tag);
        if let Some(handler) = attribute_named(&names_only, |name| {
            name.len() > 2 && name.starts_with("on") && name.bytes().all(|b| b.is_ascii_lowercase())
        }) {
            found.push(format!("event handler {handler:?} in {tag:?}"));
        }
        if attribute_named(&names_only, |name| name == "style").is_some() {
            found.push(format!("style attribute in {tag:?}"));
        }
        if tag.starts_with("<iframe") && !iframe_src_allowed(tag) {
            found.push(format!("iframe not on the allow-list: {tag:?}"));
        }
        rest = &from_lt[end..];
    }
    found
}

/// `tag` with the contents of quoted attribute values (`="..."`, `='...'`) removed, so
/// that only attribute names are left to search: `<img src="x/onerror=1">` is a harmless
/// relative URL, `<img src=""onerror=1>` is a handler.
fn without_quoted_values(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut chars = tag.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '=' {
            continue;
        }
        while let Some(ws) = chars.next_if(|c| c.is_ascii_whitespace()) {
            out.push(ws);
        }
        if let Some(quote) = chars.next_if(|c| *c == '"' || *c == '\'') {
            out.push(quote);
            for inner in chars.by_ref() {
                if inner == quote {
                    out.push(quote);
                    break;
                }
            }
        }
    }
    out
}

/// The first attribute-like `name=` in `tag` (after whitespace, `/`, `"` or `'`, then
/// `[a-z-]+`, optional whitespace, `=`) whose name satisfies `wanted`; e.g. with
/// `on[a-z]+` this is the `[\s/"']on[a-z]+\s*=` regex.
fn attribute_named(tag: &str, wanted: impl Fn(&str) -> bool) -> Option<&str> {
    let bytes = tag.as_bytes();
    for i in 1..bytes.len() {
        let separator = bytes[i - 1];
        if !(separator.is_ascii_whitespace() || matches!(separator, b'/' | b'"' | b'\'')) {
            continue;
        }
        let rest = &tag[i..];
        let len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        if len > 0 && wanted(name) && rest[len..].trim_start().starts_with('=') {
            return Some(name);
        }
    }
    None
}

/// `true` when an `<iframe ...>` tag has an `https` `src` on an allow-listed host.
fn iframe_src_allowed(tag: &str) -> bool {
    let Some(at) = tag.find(" src=\"") else {
        return false;
    };
    let value = &tag[at + " src=\"".len()..];
    let value = &value[..value.find('"').unwrap_or(value.len())];
    let Some(after_scheme) = value.strip_prefix("https://") else {
        return false;
    };
    let host = &after_scheme[..after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len())];
    ALLOWED_IFRAME_HOSTS.contains(&host)
}

/// Runs every input through the sanitizer and reports the ones with violations.
fn assert_all_neutralised(inputs: &[(String, String)]) {
    let sanitizer = sanitizer();
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|(label, html)| {
            let output = sanitizer.clean(html);
            let found = violations(&output);
            (!found.is_empty()).then(|| format!("{label}\n  {found:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} inputs kept something dangerous:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_has_at_least_80_vectors() {
    let count = vectors().len();
    assert!(count >= 80, "only {count} vectors in owasp-vectors.txt");
}

#[test]
fn checker_flags_unsanitized_payloads() {
    for bad in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<img src=\"x\"onerror=alert(1)>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"&#0000106&#0000097vascript:alert(1)\">x</a>",
        "<a href=\"javascript&colon;alert(1)\">x</a>",
        "<a href=\"VBScript:msgbox(1)\">x</a>",
        "<div style=\"x\">",
        "<iframe src=\"https://evil.example/\"></iframe>",
        "<iframe src=\"http://www.youtube.com/embed/x\"></iframe>",
        "<iframe></iframe>",
        "<object data=x>",
        "<embed src=x>",
        "<base href=x>",
        "<meta http-equiv=refresh>",
        "<link rel=stylesheet>",
        "<form action=x>",
        "<p class=\"x\" title=\"width: expression(alert(1))\">",
        "<img src=\"\"onerror=alert(1)>",
        "<a href=\"data:text/html,x\">x</a>",
    ] {
        assert!(!violations(bad).is_empty(), "checker missed {bad:?}");
    }
    // Legitimate or inert output is not flagged.
    for fine in [
        "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>",
        "<span data-math-style=\"inline\">x</span>",
        "<img src=\"x/onerror=alert(1)\">",
        "<p>javascript:/*--&gt; and width: expression(1)</p>",
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
    ] {
        assert_eq!(violations(fine), Vec::<String>::new(), "{fine}");
    }
}

#[test]
fn benign_post_survives_and_passes_the_checker() {
    let output = sanitizer().clean(&post_with("", ""));
    assert_eq!(violations(&output), Vec::<String>::new(), "{output}");
    for kept in [
        "<h2 id=\"intro\"><a href=\"#intro\" aria-hidden=\"true\" class=\"anchor\" id=\"intro-anchor\"></a>Intro</h2>",
        "<a href=\"/about/\">link</a>",
        "<pre class=\"syntax-highlighting\"><code class=\"language-rust\"><span class=\"source rust\">",
        "<th align=\"left\">Name</th>",
        "<div class=\"markdown-alert markdown-alert-tip\">",
        "<input type=\"checkbox\" checked=\"\" disabled=\"\">",
        "<iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" width=\"560\" height=\"315\" allowfullscreen=\"\"></iframe>",
        "<span data-math-style=\"inline\">x^2</span>",
        "<a href=\"#fn-1\" id=\"fnref-1\" data-footnote-ref=\"\">1</a>",
        "<li id=\"fn-1\">",
        "aria-label=\"Back to reference 1\"",
    ] {
        assert!(output.contains(kept), "lost {kept:?} in:\n{output}");
    }
}

#[test]
fn owasp_vectors_alone_are_neutralised() {
    let inputs: Vec<(String, String)> = vectors()
        .into_iter()
        .map(|v| (format!("vector {v:?}"), v.to_owned()))
        .collect();
    assert_all_neutralised(&inputs);
}

#[test]
fn owasp_vectors_inside_a_post_are_neutralised() {
    let mut inputs = Vec::new();
    for vector in vectors() {
        for slot in SLOTS {
            inputs.push((
                format!("vector {vector:?} at {slot}"),
                post_with(vector, slot),
            ));
        }
    }
    assert_all_neutralised(&inputs);
}

#[test]
fn control_character_vectors_are_neutralised() {
    let mut inputs = Vec::new();
    for vector in control_character_vectors() {
        inputs.push((format!("vector {vector:?}"), vector.clone()));
        for slot in SLOTS {
            inputs.push((
                format!("vector {vector:?} at {slot}"),
                post_with(&vector, slot),
            ));
        }
    }
    assert_all_neutralised(&inputs);
}

#[test]
fn sanitizing_sanitized_output_changes_nothing() {
    let sanitizer = sanitizer();
    for vector in vectors() {
        for html in [vector.to_owned(), post_with(vector, "{B}")] {
            let once = sanitizer.clean(&html);
            let twice = sanitizer.clean(&once);
            assert_eq!(twice, once, "not stable for {vector:?}");
        }
    }
}
