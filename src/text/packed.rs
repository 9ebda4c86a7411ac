//! [`PackedText`]: text kept compressed (zstd) while it waits to be read, for what a served
//! version holds for every post (each post's HTML and plain text) but reads a few at a time.
//! zstd at level 3 packs HTML about a third smaller than LZ4 did and unpacks at about a
//! gigabyte a second, so reading one costs microseconds (docs/PERFORMANCE.md, round twelve).

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::thread::LocalKey;

/// zstd's compression level: its default, the usual balance of speed and size.
const LEVEL: i32 = 3;

thread_local! {
    /// One compression and one decompression context per thread, made on first use: a
    /// context holds tables of hundreds of kilobytes, too many to make per text.
    static PACKER: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static UNPACKER: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn pack(text: &[u8]) -> io::Result<Vec<u8>> {
    with_context(
        &PACKER,
        || zstd::bulk::Compressor::new(LEVEL),
        |c| c.compress(text),
    )
}

fn unpack(bytes: &[u8], len: usize) -> io::Result<Vec<u8>> {
    with_context(&UNPACKER, zstd::bulk::Decompressor::new, |d| {
        d.decompress(bytes, len)
    })
}

/// Runs `work` with this thread's context in `slot`, made by `make` on first use.
fn with_context<C: 'static, R>(
    slot: &'static LocalKey<RefCell<Option<C>>>,
    make: impl FnOnce() -> io::Result<C>,
    work: impl FnOnce(&mut C) -> io::Result<R>,
) -> io::Result<R> {
    slot.with(|context| {
        let mut context = context.borrow_mut();
        match context.as_mut() {
            Some(context) => work(context),
            None => work(context.insert(make()?)),
        }
    })
}

/// A string stored zstd-compressed; [`unpack`](Self::unpack) gives it back.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PackedText {
    /// The zstd frame, or the text itself where it could not be compressed (see
    /// [`new`](Self::new)); empty for the empty string.
    bytes: Box<[u8]>,
    /// Whether `bytes` is a zstd frame.
    packed: bool,
    /// The text's length in bytes.
    len: usize,
}

impl PackedText {
    pub fn new(text: &str) -> PackedText {
        if text.is_empty() {
            return PackedText::default();
        }
        match pack(text.as_bytes()) {
            Ok(bytes) => PackedText {
                bytes: bytes.into_boxed_slice(),
                packed: true,
                len: text.len(),
            },
            // zstd fails only when it cannot get memory for its context.
            Err(err) => {
                tracing::warn!("a text is kept uncompressed: {err}");
                PackedText::stored(text)
            }
        }
    }

    /// The text kept as it is.
    fn stored(text: &str) -> PackedText {
        PackedText {
            bytes: text.as_bytes().into(),
            packed: false,
            len: text.len(),
        }
    }

    /// The text. Blocks are only ever made by [`new`](Self::new) from a `str`, so they
    /// unpack to the same UTF-8; anything else would be a bug, reported and read as empty.
    pub fn unpack(&self) -> String {
        if self.len == 0 {
            return String::new();
        }
        if !self.packed {
            return String::from_utf8_lossy(&self.bytes).into_owned();
        }
        let unpacked = unpack(&self.bytes, self.len)
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

    #[test]
    fn a_text_kept_as_it_is_comes_back_whole() {
        let text = "Caf\u{e9} \u{2014} na\u{ef}ve";
        let stored = PackedText::stored(text);
        assert_eq!(stored.unpack(), text);
        assert_eq!(stored.len(), text.len());
        assert_eq!(stored.packed_len(), text.len());
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
