//! The root `Mutation` type: GraphQL over the content store ([`ContentStore`]).
//!
//! Mutations are in the one schema every client sees (so code generators and the
//! playground know them), but run only for a request the HTTP server has let through: a
//! `POST /graphql` of its own with `Authorization: Bearer <editor token>`. The server then
//! attaches [`Editing`] to the request; without it (a GET, a batch, a WebSocket, `inkgraph
//! query`) every mutation answers `UNAUTHENTICATED` before touching anything.
//!
//! Each mutation answers with the post as the version served right after the change shows
//! it (to a preview: an editor sees drafts), and that version. Errors carry
//! `extensions.code`: `CONFLICT` (with `currentRevision`), `VALIDATION_FAILED` (with the
//! would-be file's `diagnostics`), `NOT_FOUND`, `BAD_USER_INPUT`, `ALREADY_EXISTS`,
//! `UNSAFE_PATH`, `FRONT_MATTER_UNEDITABLE`, `WRITE_FAILED`.

use super::error::{field_error, ErrorCode};
use super::post::PostObject;
use super::site::Diagnostic;
use super::Scope;
use crate::graph::id::{decode, NodeRef};
use crate::graph::Audience;
use crate::site::store::{ContentStore, NewPost, PostUpdate, SerialRequest, StoreError, Written};
use async_graphql::{
    Context, Error, ErrorExtensions, InputObject, Json, MaybeUndefined, Object, OneofObject, ID,
};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use std::sync::Arc;

/// Request data that lets mutations run: the server attaches it to a request that carries
/// the editor token.
#[derive(Clone)]
pub struct Editing(pub Arc<ContentStore>);

/// The mutation root.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mutation;

/// A serial number to give a post: exactly one of `value` or `auto`.
#[derive(OneofObject, Clone)]
pub enum SerialNumberInput {
    /// This serial number, e.g. `2025.BLG.125`.
    Value(String),
    /// The next free number of this series (e.g. `BLG`) in the post's year:
    /// `2025.BLG.125` after `2025.BLG.124`.
    Auto(String),
}

impl From<SerialNumberInput> for SerialRequest {
    fn from(input: SerialNumberInput) -> Self {
        match input {
            SerialNumberInput::Value(v) => SerialRequest::Value(v),
            SerialNumberInput::Auto(series) => SerialRequest::Auto(series),
        }
    }
}

/// A new post.
#[derive(InputObject)]
pub struct CreatePostInput {
    /// The title (front-matter `title`).
    pub title: String,
    /// The URL slug, made the way Jekyll makes them (`My Post!` → `my-post`); default: the
    /// title's. The file is named after it.
    pub slug: Option<String>,
    /// Publication date (front-matter `date`); default: now. A draft without one has none,
    /// as in Jekyll.
    pub date: Option<DateTime<FixedOffset>>,
    /// Write to `_drafts/` instead of `_posts/`.
    #[graphql(default = false)]
    pub draft: bool,
    /// The category folder to write into (`blog` → `blog/_posts/`); default: the first
    /// category's folder when it has a `_posts` folder, else the root's `_posts/`.
    pub folder: Option<String>,
    /// Front-matter `tags`.
    pub tags: Option<Vec<String>>,
    /// Front-matter `categories` (a category the folder gives is not repeated).
    pub categories: Option<Vec<String>>,
    /// Front-matter `description`.
    pub description: Option<String>,
    /// Front-matter `image`.
    pub image: Option<String>,
    /// Front-matter `toc`.
    pub toc: Option<bool>,
    /// Front-matter `serial_number`: a value, or the next number of a series.
    pub serial_number: Option<SerialNumberInput>,
    /// More front-matter keys, as a JSON object (written after the ones above).
    pub front_matter: Option<Json<Value>>,
    /// The Markdown body.
    #[graphql(default)]
    pub markdown: String,
}

/// Changes to a post: only the fields given change; `null` removes a key.
#[derive(InputObject)]
pub struct UpdatePostInput {
    /// Front-matter `title`.
    pub title: MaybeUndefined<String>,
    /// Front-matter `date` (the file keeps its name; its permalink may change).
    pub date: MaybeUndefined<DateTime<FixedOffset>>,
    /// Front-matter `tags`.
    pub tags: MaybeUndefined<Vec<String>>,
    /// Front-matter `categories`.
    pub categories: MaybeUndefined<Vec<String>>,
    /// Front-matter `description`.
    pub description: MaybeUndefined<String>,
    /// Front-matter `image`.
    pub image: MaybeUndefined<String>,
    /// Front-matter `toc`.
    pub toc: MaybeUndefined<bool>,
    /// Front-matter `serial_number`: a value, or the next number of a series.
    pub serial_number: MaybeUndefined<SerialNumberInput>,
    /// Any front-matter keys, as a JSON object: each key is set to its value, or removed
    /// when the value is `null`.
    pub front_matter: Option<Json<Value>>,
    /// The new Markdown body.
    pub markdown: Option<String>,
}

/// The outcome of a mutation.
pub struct PostMutationPayload(Written);

#[Object]
impl PostMutationPayload {
    /// The post as the version served right after the change shows it (to a preview, so a
    /// draft shows too); null after `deletePost`.
    async fn post(&self) -> Option<PostObject<'_>> {
        let served = &self.0.served;
        let audience = Audience::Preview;
        let scope = Scope {
            view: served.snapshot.view(audience),
            audience,
            served,
        };
        self.0.post.map(|idx| PostObject::new(scope, idx))
    }

    /// The post's file, relative to the content root (after a delete: the deleted file).
    async fn path(&self) -> &str {
        &self.0.path
    }

    /// The file's new revision: pass it as `ifRevision` to change the post again. Null
    /// after `deletePost`.
    async fn revision(&self) -> Option<&str> {
        self.0.revision.as_deref()
    }

    /// The revision the change replaced; null for `createPost`.
    async fn previous_revision(&self) -> Option<&str> {
        self.0.previous_revision.as_deref()
    }

    /// The public version served right after the change (`site.version`).
    async fn version(&self) -> &str {
        &self.0.served.snapshot.version
    }

    /// The preview's version served right after the change (it changes with drafts too).
    async fn preview_version(&self) -> &str {
        &self.0.served.snapshot.preview_version
    }

    /// The git commit recording the change, when the content folder is in a git work tree.
    async fn commit(&self) -> Option<&str> {
        self.0.commit.as_deref()
    }

    /// Where the replaced or deleted version was copied (`.inkgraph-trash/…`), when it was.
    async fn trash(&self) -> Option<&str> {
        self.0.trash.as_deref()
    }

    /// The problems (warnings) the served version reports about the post's file.
    async fn diagnostics(&self) -> Vec<Diagnostic<'_>> {
        self.0
            .served
            .snapshot
            .diagnostics
            .iter()
            .filter(|d| d.path == self.0.path)
            .map(Diagnostic)
            .collect()
    }
}

/// Changes to the content folder (POST with the editor token only; see the README's
/// "Editing content").
#[Object]
impl Mutation {
    /// Writes a new post: `_posts/YYYY-MM-DD-slug.md` (or the category folder's, or
    /// `_drafts/slug.md` for a draft). Refused, with nothing written, when the file would
    /// have an ERROR or take another post's slug, serial number or permalink.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        input: CreatePostInput,
    ) -> Result<PostMutationPayload, Error> {
        let store = store(ctx)?;
        let mut fields: Vec<(String, Value)> = Vec::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                fields.push((key.to_string(), value));
            }
        };
        put("tags", input.tags.map(strings));
        put("categories", input.categories.map(strings));
        put("description", input.description.map(Value::String));
        put("image", input.image.map(Value::String));
        put("toc", input.toc.map(Value::Bool));
        for (key, value) in extra_keys(input.front_matter)? {
            if key == "title" || key == "date" || fields.iter().any(|(k, _)| *k == key) {
                return Err(bad_input(format!(
                    "`{key}` is given twice: as a field and in `frontMatter`"
                )));
            }
            if let Some(value) = value {
                fields.push((key, value));
            }
        }
        let post = NewPost {
            title: input.title,
            slug: input.slug,
            date: input.date,
            draft: input.draft,
            folder: input.folder,
            fields,
            serial: input.serial_number.map(SerialRequest::from),
            markdown: input.markdown,
        };
        run(move || store.create(post))
    }

    /// Changes the keys given (and the body, if given) of a post whose file is still at
    /// `ifRevision` (`Post.revision`); every other line of the file keeps its bytes. A stale
    /// revision answers `CONFLICT` with `currentRevision`.
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePostInput,
        if_revision: String,
    ) -> Result<PostMutationPayload, Error> {
        let store = store(ctx)?;
        let path = post_path(&id)?;
        let mut fields: Vec<(String, Option<Value>)> = Vec::new();
        let mut put = |key: &str, value: MaybeUndefined<Value>| match value {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => fields.push((key.to_string(), None)),
            MaybeUndefined::Value(v) => fields.push((key.to_string(), Some(v))),
        };
        put("title", input.title.map_value(Value::String));
        put(
            "date",
            input
                .date
                .map_value(|d| Value::String(d.format("%Y-%m-%d %H:%M:%S %z").to_string())),
        );
        put("tags", input.tags.map_value(strings));
        put("categories", input.categories.map_value(strings));
        put("description", input.description.map_value(Value::String));
        put("image", input.image.map_value(Value::String));
        put("toc", input.toc.map_value(Value::Bool));
        let serial = match input.serial_number {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(SerialRequest::from(v))),
        };
        for (key, value) in extra_keys(input.front_matter)? {
            if fields.iter().any(|(k, _)| *k == key) || (key == "serial_number" && serial.is_some())
            {
                return Err(bad_input(format!(
                    "`{key}` is given twice: as a field and in `frontMatter`"
                )));
            }
            fields.push((key, value));
        }
        let update = PostUpdate {
            fields,
            serial,
            markdown: input.markdown,
        };
        run(move || store.update(&path, update, &if_revision))
    }

    /// Renames a post: its file takes the new slug (normalised), a front-matter `slug`
    /// follows, and the old permalink is added to `redirect_from` so no link breaks.
    async fn rename_post(
        &self,
        ctx: &Context<'_>,
        id: ID,
        slug: String,
        if_revision: String,
    ) -> Result<PostMutationPayload, Error> {
        let store = store(ctx)?;
        let path = post_path(&id)?;
        run(move || store.rename(&path, &slug, &if_revision))
    }

    /// Publishes a draft: moves it from `_drafts/` to `_posts/YYYY-MM-DD-slug.md` and sets
    /// its `date` (default: now). Its id changes with its path.
    async fn publish_draft(
        &self,
        ctx: &Context<'_>,
        id: ID,
        date: Option<DateTime<FixedOffset>>,
        if_revision: Option<String>,
    ) -> Result<PostMutationPayload, Error> {
        let store = store(ctx)?;
        let path = post_path(&id)?;
        run(move || store.publish_draft(&path, date, if_revision.as_deref()))
    }

    /// Moves a post back to `_drafts/` (its date kept in its front matter).
    async fn unpublish_post(
        &self,
        ctx: &Context<'_>,
        id: ID,
        if_revision: Option<String>,
    ) -> Result<PostMutationPayload, Error> {
        let store = store(ctx)?;
        let path = post_path(&id)?;
        run(move || store.unpublish(&path, if_revision.as_deref()))
    }

    /// Deletes a post whose file is still at `ifRevision`; its last version stays in the
    /// history (a git commit, or `.inkgraph-trash/`).
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        id: ID,
        if_revision: String,
    ) -> Result<PostMutationPayload, Error> {
        let store = store(ctx)?;
        let path = post_path(&id)?;
        run(move || store.delete(&path, &if_revision))
    }
}

/// The message of a mutation sent without the editor's access.
pub const UNAUTHENTICATED_MESSAGE: &str = "mutations need the editor token: send each one by POST /graphql on its own (not batched, not over WebSocket) with `Authorization: Bearer <INKGRAPH_EDITOR_TOKEN>`";

fn store(ctx: &Context<'_>) -> Result<Arc<ContentStore>, Error> {
    ctx.data_opt::<Editing>()
        .map(|editing| editing.0.clone())
        .ok_or_else(|| field_error(ErrorCode::Unauthenticated, UNAUTHENTICATED_MESSAGE))
}

/// The source path a post id names (checked against the loaded posts by the store).
fn post_path(id: &ID) -> Result<String, Error> {
    match decode(id) {
        Some(NodeRef::Post(path)) => Ok(path),
        _ => Err(field_error(
            ErrorCode::NotFound,
            format!("`{}` is not a post id (use `Post.id`)", id.as_str()),
        )),
    }
}

fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn bad_input(message: String) -> Error {
    field_error(ErrorCode::BadUserInput, message)
}

/// The keys of a `frontMatter` object (`None` values: remove).
fn extra_keys(object: Option<Json<Value>>) -> Result<Vec<(String, Option<Value>)>, Error> {
    match object.map(|Json(v)| v) {
        None => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map
            .into_iter()
            .map(|(k, v)| (k, (!v.is_null()).then_some(v)))
            .collect()),
        Some(other) => Err(bad_input(format!(
            "`frontMatter` must be a JSON object of keys and values, not {other}"
        ))),
    }
}

/// Runs a store call (it blocks: file I/O and the reload) and turns its error into a
/// GraphQL error with a code.
fn run(call: impl FnOnce() -> Result<Written, StoreError>) -> Result<PostMutationPayload, Error> {
    call().map(PostMutationPayload).map_err(|err| {
        let code = ErrorCode::parse(err.code()).unwrap_or(ErrorCode::InternalServerError);
        let message = err.to_string();
        Error::new(message).extend_with(|_, e| {
            e.set("code", code.as_str());
            match &err {
                StoreError::Conflict { current, .. } => e.set("currentRevision", current.as_str()),
                StoreError::Invalid { diagnostics } => {
                    let list: Vec<Value> = diagnostics
                        .iter()
                        .map(|d| {
                            serde_json::json!({
                                "path": d.path,
                                "line": d.line,
                                "column": d.column,
                                "severity": if d.is_error() { "ERROR" } else { "WARNING" },
                                "message": d.message,
                            })
                        })
                        .collect();
                    e.set(
                        "diagnostics",
                        async_graphql::Value::from_json(Value::Array(list))
                            .unwrap_or(async_graphql::Value::Null),
                    );
                }
                _ => {}
            }
        })
    })
}
