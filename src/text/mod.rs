//! Small text helpers every stage shares, so each rule is written once: Markdown code
//! fences ([`fence`]), HTML escaping and tag scanning ([`html`]), text kept compressed
//! ([`packed`]), and cutting text short for messages ([`shorten`]). Imports nothing from the
//! rest of the crate.

pub mod fence;
pub mod html;
pub mod packed;

/// `text` cut to `max_chars` characters, with `…` as the last of them when it was longer
/// (for quoting input in messages and diagnostics).
pub fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Byte offset of the first ASCII-case-insensitive occurrence of `needle` in `haystack`.
pub fn find_ignore_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_with_an_ellipsis() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("exactly10!", 10), "exactly10!");
        assert_eq!(shorten("a longer text", 5), "a lo…");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }

    #[test]
    fn finds_without_ascii_case() {
        assert_eq!(find_ignore_ascii_case("a</IFRAME>", "</iframe>"), Some(1));
        assert_eq!(find_ignore_ascii_case("abc", "x"), None);
        assert_eq!(find_ignore_ascii_case("ab", "abc"), None);
    }
}
