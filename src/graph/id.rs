//! Opaque, stable node ids: the same source file (or tag slug) always gets the same id, on any
//! machine, across reloads.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// What a node id refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeRef {
    /// A post, by source path.
    Post(String),
    /// A tag, by slug.
    Tag(String),
}

pub fn post_id(source_path: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("Post:{source_path}"))
}

pub fn tag_id(slug: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("Tag:{slug}"))
}

/// Reads an id made by [`post_id`] or [`tag_id`]; anything else is `None`.
pub fn decode(id: &str) -> Option<NodeRef> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, key) = text.split_once(':')?;
    match kind {
        "Post" => Some(NodeRef::Post(key.to_string())),
        "Tag" => Some(NodeRef::Tag(key.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_junk() {
        let id = post_id("blog/_posts/2025-01-01-a.md");
        assert_eq!(
            decode(&id),
            Some(NodeRef::Post("blog/_posts/2025-01-01-a.md".into()))
        );
        assert_eq!(decode(&tag_id("llm")), Some(NodeRef::Tag("llm".into())));
        assert_eq!(decode("not base64 !"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("User:1")), None);
    }
}
