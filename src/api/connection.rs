//! Relay cursor connections: page arguments, opaque key-based cursors, page slicing.

use super::error::{field_error, ErrorCode};
use async_graphql::{Error, SimpleObject};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cmp::Ordering;
use std::ops::Range;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The largest `first` or `last` accepted.
pub const MAX_PAGE_SIZE: usize = 100;

/// Relay paging arguments as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Relay page information.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// More items follow this page.
    pub has_next_page: bool,
    /// Items come before this page.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// One page out of an ordered list.
#[derive(Debug, Clone)]
pub struct Page {
    pub range: Range<usize>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl PageArgs {
    /// The page size asked for, validated.
    fn size(value: Option<i32>, name: &str) -> Result<Option<usize>, Error> {
        match value {
            None => Ok(None),
            Some(n) if n < 0 => Err(field_error(
                ErrorCode::InvalidPageSize,
                format!("`{name}` is {n}, but must not be negative"),
            )),
            Some(n) if n as usize > MAX_PAGE_SIZE => Err(field_error(
                ErrorCode::InvalidPageSize,
                format!(
                    "`{name}` is {n}, but at most {MAX_PAGE_SIZE} items can be requested per page"
                ),
            )),
            Some(n) => Ok(Some(n as usize)),
        }
    }

    /// Slices `items` (in the requested order) using `key`, which must be monotonic along
    /// `items` in `direction`. `kind` names the ordering, so a cursor from another ordering is
    /// refused instead of silently misplacing the page.
    pub fn page<T, K>(
        &self,
        items: &[T],
        kind: &str,
        descending: bool,
        key: impl Fn(&T) -> K,
    ) -> Result<Page, Error>
    where
        K: Ord + DeserializeOwned,
    {
        let first = Self::size(self.first, "first")?;
        let last = Self::size(self.last, "last")?;
        let in_order = |a: &K, b: &K| if descending { b.cmp(a) } else { a.cmp(b) };
        let mut start = 0;
        let mut end = items.len();
        if let Some(after) = &self.after {
            let cursor: K = decode_cursor(after, kind)?;
            start =
                items.partition_point(|item| in_order(&key(item), &cursor) != Ordering::Greater);
        }
        if let Some(before) = &self.before {
            let cursor: K = decode_cursor(before, kind)?;
            end = items.partition_point(|item| in_order(&key(item), &cursor) == Ordering::Less);
        }
        end = end.max(start);
        match (first, last) {
            (None, None) => end = end.min(start + DEFAULT_PAGE_SIZE),
            (first, last) => {
                if let Some(first) = first {
                    end = end.min(start + first);
                }
                if let Some(last) = last {
                    start = start.max(end.saturating_sub(last));
                }
            }
        }
        Ok(Page {
            has_previous_page: start > 0,
            has_next_page: end < items.len(),
            range: start..end,
        })
    }
}

/// An opaque cursor: the ordering's name and the item's sort key.
pub fn encode_cursor<K: Serialize>(kind: &str, key: &K) -> String {
    let json = serde_json::to_vec(&(kind, key)).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor<K: DeserializeOwned>(cursor: &str, kind: &str) -> Result<K, Error> {
    let invalid = || {
        field_error(
            ErrorCode::InvalidCursor,
            format!(
                "invalid cursor `{cursor}`: use a cursor from this connection's edges or pageInfo"
            ),
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid())?;
    let (cursor_kind, key): (String, K) = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if cursor_kind != kind {
        return Err(field_error(
            ErrorCode::InvalidCursor,
            format!(
                "cursor was made for ordering {cursor_kind}, but this query orders by {kind}: restart paging without after/before"
            ),
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> PageArgs {
        PageArgs {
            first,
            after,
            last,
            before,
        }
    }

    #[test]
    fn forward_and_backward_paging_cover_everything_once() {
        let items: Vec<u32> = (0..45).collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = args(Some(10), after.clone(), None, None)
                .page(&items, "N", false, |x| *x)
                .expect("page");
            seen.extend_from_slice(&items[page.range.clone()]);
            if !page.has_next_page {
                break;
            }
            after = Some(encode_cursor("N", &items[page.range.end - 1]));
        }
        assert_eq!(seen, items);
        let page = args(None, None, Some(5), None)
            .page(&items, "N", false, |x| *x)
            .expect("page");
        assert_eq!(page.range, 40..45);
        assert!(page.has_previous_page && !page.has_next_page);
    }

    #[test]
    fn descending_order_cursors() {
        let items: Vec<u32> = (0..10).rev().collect();
        let after = encode_cursor("N", &7u32);
        let page = args(Some(3), Some(after), None, None)
            .page(&items, "N", true, |x| *x)
            .expect("page");
        assert_eq!(&items[page.range], &[6, 5, 4]);
    }

    #[test]
    fn limits_and_bad_cursors_are_errors() {
        let items: Vec<u32> = vec![1, 2, 3];
        let err = args(Some(101), None, None, None)
            .page(&items, "N", false, |x| *x)
            .expect_err("too many");
        assert!(err.message.contains("at most 100"), "{}", err.message);
        assert!(args(Some(-1), None, None, None)
            .page(&items, "N", false, |x| *x)
            .is_err());
        let bad = args(None, Some("???".into()), None, None)
            .page(&items, "N", false, |x| *x)
            .expect_err("bad");
        assert!(bad.message.contains("invalid cursor"));
        let other = args(None, Some(encode_cursor("TITLE", &1u32)), None, None)
            .page(&items, "N", false, |x| *x)
            .expect_err("other ordering");
        assert!(other.message.contains("ordering TITLE"));
    }
}
