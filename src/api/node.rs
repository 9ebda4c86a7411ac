//! The Relay `Node` interface: any object fetchable by its id.

use super::post::PostObject;
use super::tag::TagObject;
use async_graphql::{Interface, ID};

/// An object with an opaque id, stable across restarts and reloads for the same source file
/// (posts) or tag slug (tags). Fetch any of them with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque, stable id."))]
pub enum Node<'a> {
    Post(PostObject<'a>),
    Tag(TagObject<'a>),
}
