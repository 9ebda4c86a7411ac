//! [`PackedText`]: text kept compressed (LZ4) while it waits to be read, for what a served
//! version holds for every post (each post's HTML and plain text) but reads a few at a time.
//! LZ4 unpacks at gigabytes per second, so reading one costs microseconds.

use std::fmt;

/// A string stored LZ4-compressed; [`unpack`](Self::unpack) gives it back.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PackedText {
    /// The LZ4 block with the text's length in front; empty for the empty string.
    bytes: Box<[u8]>,
    /// The text's length in bytes.
    len: usize,
}

impl PackedText {
    pub fn new(text: &str) -> PackedText {
        if text.is_empty() {
            return PackedText::default();
        }
        PackedText {
            bytes: lz4_flex::compress_prepend_size(text.as_bytes()).into_boxed_slice(),
            len: text.len(),
        }
    }

    /// The text. Blocks are only ever made by [`new`](Self::new) from a `str`, so they
    /// unpack to the same UTF-8; anything else would be a bug, reported and read as empty.
    pub fn unpack(&self) -> String {
        if self.len == 0 {
            return String::new();
        }
        let unpacked = lz4_flex::decompress_size_prepended(&self.bytes)
            .map_err(|e| e.to_string())
            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| e.to_string()));
        unpacked.unwrap_or_else(|err| {
            debug_assert!(false, "a packed text does not unpack: {err}");
            tracing::error!("a packed text does not unpack: {err}");
            String::new()
        })
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held.
    pub fn packed_len(&self) -> usize {
        self.bytes.len()
    }
}

impl From<&str> for PackedText {
    fn from(text: &str) -> Self {
        PackedText::new(text)
    }
}

impl fmt::Debug for PackedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackedText({} bytes in {})", self.len, self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn html_comes_back_whole_and_smaller() {
        let html = "<pre><code><span class=\"k\">fn</span> <span class=\"n\">main</span>() {}\n</code></pre>\n<p>Caf\u{e9} \u{2014} na\u{ef}ve</p>\n".repeat(200);
        let packed = PackedText::new(&html);
        assert_eq!(packed.unpack(), html);
        assert_eq!(packed.len(), html.len());
        assert!(packed.packed_len() * 4 < html.len(), "{packed:?}");
        assert_eq!(PackedText::new("").unpack(), "");
        assert!(PackedText::new("").is_empty());
    }

    proptest! {
        #[test]
        fn any_text_comes_back_whole(text in any::<String>()) {
            let packed = PackedText::new(&text);
            prop_assert_eq!(packed.unpack(), text.clone());
            prop_assert_eq!(packed.len(), text.len());
            prop_assert_eq!(packed == PackedText::new(&text), true);
        }
    }
}
