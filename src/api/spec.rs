//! Where async-graphql 7.2 departs from the GraphQL specification, put right by
//! [`SpecRequest`], which the schema's one extension ([`super::extension::ApiExtension`])
//! runs for every transport (HTTP, WebSocket, `inkgraph query`):
//!
//! - **Operation and variables** (spec: *GetOperation*, *CoerceVariableValues*): before
//!   anything runs, the operation `operationName` selects must exist, and every variable it
//!   declares is coerced: a required one that is missing or `null`, or a value of the wrong
//!   type, is a request error (`BAD_USER_INPUT`, no `data`), and an omitted one takes its
//!   default value, so `@include(if: $v)`/`@skip` see it. async-graphql runs the query
//!   anyway ("Variable s is not defined." as a field error) and ignores defaults in
//!   `@skip`/`@include`.
//! - **Null propagation** (spec: *Handling Field Errors*): async-graphql leaves a field that
//!   errored out of `data` (its issue #531), and turns an object whose fields all errored or
//!   were skipped into `null`, even in a non-null position. [`propagate_nulls`] puts the
//!   errored field back as `null` and, when its type is non-null, nulls its nearest nullable
//!   ancestor (up to `data` itself), using the operation's selections (aliases and fragments)
//!   and the schema's field types.
//! - **Codes**: every error leaves with `extensions.code` (see [`ErrorCode`]).
//! - **Subscriptions sent to `Schema::execute`** (HTTP) are a coded request error.

use super::error::{has_code, request_error, set_code, ErrorCode};
use async_graphql::async_trait::async_trait;
use async_graphql::extensions::{
    Extension, ExtensionContext, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe,
};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet, VariableDefinition,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    Name, PathSegment, Positioned, Request, Response, ServerError, ServerResult, Value, Variables,
};
use futures_util::StreamExt;
use std::sync::{Arc, Mutex, OnceLock};

/// Validation errors, each with a code (`GRAPHQL_VALIDATION_FAILED` unless it has one).
pub(super) fn code_validation_errors(mut errors: Vec<ServerError>) -> Vec<ServerError> {
    for error in &mut errors {
        if !has_code(error) {
            set_code(error, ErrorCode::GraphqlValidationFailed);
        }
    }
    errors
}

/// One request's state: the operation it runs, once known.
#[derive(Default)]
pub(super) struct SpecRequest {
    selected: Arc<OnceLock<Selected>>,
    /// Every variable error; the first is the one `prepare_request` can return.
    variable_errors: Mutex<Vec<ServerError>>,
}

/// The document and the operation a request runs.
struct Selected {
    document: ExecutableDocument,
    /// The operation's name in the document (`None` for the single anonymous one).
    name: Option<Name>,
}

impl Selected {
    fn operation(&self) -> Option<&OperationDefinition> {
        match (&self.document.operations, &self.name) {
            (DocumentOperations::Single(operation), _) => Some(&operation.node),
            (DocumentOperations::Multiple(operations), Some(name)) => {
                operations.get(name).map(|operation| &operation.node)
            }
            (DocumentOperations::Multiple(_), None) => None,
        }
    }
}

#[async_trait]
impl Extension for SpecRequest {
    /// Wraps `Schema::execute` (never a stream: subscriptions go through `subscribe`).
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let kind = self
            .selected
            .get()
            .and_then(Selected::operation)
            .map(|op| op.ty);
        if kind == Some(OperationType::Subscription) {
            // async-graphql refuses it with an uncoded "not supported on this transport".
            return Response::from_errors(vec![request_error(
                ErrorCode::SubscriptionNotSupported,
                "subscriptions are served over WebSocket at /graphql/ws (protocol graphql-transport-ws or graphql-ws), not over HTTP",
                None,
            )]);
        }
        let mut variable_errors = self
            .variable_errors
            .lock()
            .map(|mut errors| std::mem::take(&mut *errors))
            .unwrap_or_default();
        if variable_errors.len() > 1 && response.data == Value::Null {
            // The request failed on its first variable error: report them all.
            response.errors.retain(|error| !is_variable_error(error));
            variable_errors.append(&mut response.errors);
            response.errors = variable_errors;
        }
        code_every_error(&mut response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let selected = self.selected.clone();
        let env = ctx.schema_env.clone();
        next.run(ctx, stream)
            .map(move |mut response| {
                if let Some(selected) = selected.get() {
                    propagate_nulls(&env.registry, selected, &mut response);
                }
                code_every_error(&mut response);
                response
            })
            .boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let operation_name = request.operation_name.clone();
        // A document that does not parse is reported by async-graphql's own parse, coded in
        // `parse_query`.
        let Ok(document) = request.parsed_query() else {
            return next.run(ctx, request).await;
        };
        let name = select_operation(document, operation_name.as_deref())?;
        let selected = Selected {
            document: document.clone(),
            name,
        };
        if let Some(operation) = selected.operation() {
            let errors = coerce_variables(
                &ctx.schema_env.registry,
                &operation.variable_definitions,
                &mut request.variables,
            );
            if let Some(first) = errors.first().cloned() {
                if let Ok(mut stored) = self.variable_errors.lock() {
                    *stored = errors;
                }
                return Err(first);
            }
        }
        let _ = self.selected.set(selected);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut error| {
            if !has_code(&error) {
                set_code(&mut error, ErrorCode::GraphqlParseFailed);
            }
            error
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if let Some(selected) = self.selected.get() {
            propagate_nulls(&ctx.schema_env.registry, selected, &mut response);
        }
        response
    }
}

/// Gives every error a code: a field error without one is a bug (`INTERNAL_SERVER_ERROR`,
/// every resolver codes its own errors); a request error without one was refused before
/// execution (`GRAPHQL_VALIDATION_FAILED`).
fn code_every_error(response: &mut Response) {
    for error in &mut response.errors {
        if !has_code(error) {
            let code = if error.path.is_empty() {
                ErrorCode::GraphqlValidationFailed
            } else {
                ErrorCode::InternalServerError
            };
            set_code(error, code);
        }
    }
}

fn is_variable_error(error: &ServerError) -> bool {
    error.path.is_empty()
        && error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|code| *code == Value::from(ErrorCode::BadUserInput.as_str()))
}

/// The name of the operation `operation_name` selects (spec: *GetOperation*), or the request
/// error `OPERATION_RESOLUTION_FAILURE`.
fn select_operation(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> ServerResult<Option<Name>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(_), None) => Ok(None),
        (DocumentOperations::Single(_), Some(name)) => Err(request_error(
            ErrorCode::OperationResolutionFailure,
            format!("operationName is \"{name}\", but the document's only operation has no name; send no operationName"),
            None,
        )),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .keys()
            .find(|key| key.as_str() == name)
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                request_error(
                    ErrorCode::OperationResolutionFailure,
                    format!(
                        "the document has no operation named \"{name}\" (it has {})",
                        names(operations.keys())
                    ),
                    None,
                )
            }),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            Ok(operations.keys().next().cloned())
        }
        (DocumentOperations::Multiple(operations), None) => Err(request_error(
            ErrorCode::OperationResolutionFailure,
            format!(
                "the document has several operations ({}); send operationName to choose one",
                names(operations.keys())
            ),
            None,
        )),
    }
}

fn names<'a>(names: impl Iterator<Item = &'a Name>) -> String {
    let mut names: Vec<String> = names.map(|name| format!("\"{name}\"")).collect();
    names.sort();
    names.join(", ")
}

// ---------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------

/// A response as it leaves on the wire, and whether it is a request error. A request error
/// (nothing ran: the document did not validate, a limit was hit, a variable did not coerce)
/// has no `data` key at all (spec: *Response Format*); async-graphql would write
/// `"data": null`. Every transport that prints a response uses this: HTTP and
/// `inkgraph query`.
pub fn response_json(response: &Response) -> (serde_json::Value, bool) {
    let request_error = !response.errors.is_empty()
        && response.data == Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut value = serde_json::to_value(response).unwrap_or_else(|err| {
        serde_json::json!({"errors": [{
            "message": format!("could not serialize the response: {err}"),
            "extensions": {"code": ErrorCode::InternalServerError.as_str()},
        }]})
    });
    if request_error {
        if let serde_json::Value::Object(map) = &mut value {
            map.remove("data");
        }
    }
    (value, request_error)
}

/// Coerces the request's variables for an operation's definitions (spec:
/// *CoerceVariableValues*): fills in defaults for omitted variables, and returns one error
/// per variable that is missing, `null` where it may not be, or of the wrong type.
pub fn coerce_variables(
    registry: &Registry,
    definitions: &[Positioned<VariableDefinition>],
    variables: &mut Variables,
) -> Vec<ServerError> {
    let mut errors = Vec::new();
    for definition in definitions {
        let pos = definition.pos;
        let definition = &definition.node;
        let name = &definition.name.node;
        let ty = definition.var_type.node.to_string();
        match variables.get(name) {
            None => match &definition.default_value {
                Some(default) => {
                    variables.insert(name.clone(), default.node.clone());
                }
                None if !definition.var_type.node.nullable => errors.push(request_error(
                    ErrorCode::BadUserInput,
                    format!("Variable \"${name}\" of required type \"{ty}\" was not provided."),
                    Some(pos),
                )),
                None => {}
            },
            Some(Value::Null) if !definition.var_type.node.nullable => errors.push(request_error(
                ErrorCode::BadUserInput,
                format!("Variable \"${name}\" of non-null type \"{ty}\" must not be null."),
                Some(pos),
            )),
            Some(value) => {
                let mut at = Vec::new();
                if let Err(expected) = check_input(registry, &ty, value, &mut at) {
                    let shown =
                        serde_json::to_string(&value.clone().into_json().ok()).unwrap_or_default();
                    let shown: String = shown.chars().take(200).collect();
                    let place = if at.is_empty() {
                        String::new()
                    } else {
                        format!(" at \"{name}{}\"", at.concat())
                    };
                    errors.push(request_error(
                        ErrorCode::BadUserInput,
                        format!(
                            "Variable \"${name}\" got invalid value {shown}{place}; {expected}"
                        ),
                        Some(pos),
                    ));
                }
            }
        }
    }
    errors
}

/// Whether `value` can be coerced to the input type `ty` (as the registry spells types,
/// e.g. `[String!]`); the error says what was expected, and `at` where (`.month`, `[2]`).
/// Types the registry does not know are left to validation.
fn check_input(
    registry: &Registry,
    ty: &str,
    value: &Value,
    at: &mut Vec<String>,
) -> Result<(), String> {
    match MetaTypeName::create(ty) {
        MetaTypeName::NonNull(inner) => match value {
            Value::Null => Err(format!("expected a non-null value of type \"{ty}\"")),
            _ => check_input(registry, inner, value, at),
        },
        MetaTypeName::List(item) => match value {
            Value::Null => Ok(()),
            Value::List(items) => {
                for (index, element) in items.iter().enumerate() {
                    at.push(format!("[{index}]"));
                    check_input(registry, item, element, at)?;
                    at.pop();
                }
                Ok(())
            }
            // A single value stands for a list of one.
            other => check_input(registry, item, other, at),
        },
        MetaTypeName::Named(name) => {
            if *value == Value::Null {
                return Ok(());
            }
            check_named(registry, name, value, at)
        }
    }
}

fn check_named(
    registry: &Registry,
    name: &str,
    value: &Value,
    at: &mut Vec<String>,
) -> Result<(), String> {
    let expected = || Err(format!("expected type \"{name}\""));
    match name {
        "Int" => match value {
            Value::Number(n) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => Ok(()),
            _ => Err("Int cannot represent this value (a whole number from -2^31 to 2^31-1 is expected)".into()),
        },
        "Float" => match value {
            Value::Number(_) => Ok(()),
            _ => expected(),
        },
        "String" => match value {
            Value::String(_) => Ok(()),
            _ => expected(),
        },
        "Boolean" => match value {
            Value::Boolean(_) => Ok(()),
            _ => expected(),
        },
        "ID" => match value {
            Value::String(_) => Ok(()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
            _ => expected(),
        },
        "DateTime" => match value {
            Value::String(text)
                if text.parse::<chrono::DateTime<chrono::FixedOffset>>().is_ok() =>
            {
                Ok(())
            }
            _ => Err("expected a DateTime: an RFC 3339 date-time with an offset, such as \"2024-05-01T09:30:00+02:00\"".into()),
        },
        _ => match registry.types.get(name) {
            Some(MetaType::Scalar {
                is_valid: Some(is_valid),
                ..
            }) => match is_valid(value) {
                true => Ok(()),
                false => expected(),
            },
            Some(MetaType::Enum { enum_values, .. }) => match value {
                Value::String(text) if enum_values.contains_key(text.as_str()) => Ok(()),
                Value::Enum(text) if enum_values.contains_key(text.as_str()) => Ok(()),
                _ => Err(format!(
                    "expected one of {} (enum \"{name}\")",
                    enum_values
                        .keys()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            Some(MetaType::InputObject { input_fields, .. }) => {
                let Value::Object(fields) = value else {
                    return Err(format!("expected an object of type \"{name}\""));
                };
                if let Some(unknown) = fields
                    .keys()
                    .find(|key| !input_fields.contains_key(key.as_str()))
                {
                    return Err(format!(
                        "field \"{unknown}\" is not defined by type \"{name}\""
                    ));
                }
                for field in input_fields.values() {
                    at.push(format!(".{}", field.name));
                    match fields.get(field.name.as_str()) {
                        Some(inner) => check_input(registry, &field.ty, inner, at)?,
                        None if MetaTypeName::create(&field.ty).is_non_null()
                            && field.default_value.is_none() =>
                        {
                            return Err(format!(
                                "field \"{}\" of required type \"{}\" was not provided",
                                field.name, field.ty
                            ));
                        }
                        None => {}
                    }
                    at.pop();
                }
                Ok(())
            }
            // Scalars without a validator (JSON) take anything; other names are left to
            // validation.
            _ => Ok(()),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Null propagation
// ---------------------------------------------------------------------------------------

/// The selections that apply at one place of the response: selection sets, each with the
/// type it selects on (the parent type, or a fragment's type condition).
type Sets<'d> = Vec<(&'d SelectionSet, &'d str)>;

/// What one error's path goes through: for each segment, whether the value there is in a
/// non-null position, and (for fields) the response keys of its parent in selection order.
struct ErrorPath {
    path: Vec<PathSegment>,
    non_null: Vec<bool>,
    key_order: Vec<Vec<Name>>,
}

/// Applies the specification's rules for field errors to an executed response: each field
/// an error names is `null` in `data` (async-graphql leaves it out), and a `null` in a
/// non-null position moves up to the nearest nullable ancestor, or makes `data` itself
/// `null`. Objects async-graphql turned into `null` because all their fields errored or were
/// skipped come back as objects where their position is non-null.
fn propagate_nulls(registry: &Registry, selected: &Selected, response: &mut Response) {
    let Some(operation) = selected.operation() else {
        return;
    };
    let root = match operation.ty {
        OperationType::Query => Some(registry.query_type.as_str()),
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    };
    let Some(root) = root else {
        return;
    };
    let document = &selected.document;
    let root_sets: Sets<'_> = vec![(&operation.selection_set.node, root)];
    let errors: Vec<ErrorPath> = response
        .errors
        .iter()
        .filter(|error| !error.path.is_empty())
        .map(|error| trace(registry, document, &root_sets, &error.path))
        .collect();
    if !errors.is_empty() {
        // First every object async-graphql collapsed on an error's way back to `{}` (its
        // fields ran, so it was an object), then the nulls, which may null those again.
        for error in &errors {
            materialize(&mut response.data, &error.path);
        }
        for error in &errors {
            null_out(&mut response.data, error);
        }
    }
    if has_conditions(document) {
        restore_skipped_objects(registry, document, &root_sets, &mut response.data);
    }
}

/// Follows an error's path through the selections.
fn trace<'d>(
    registry: &'d Registry,
    document: &'d ExecutableDocument,
    root: &Sets<'d>,
    path: &[PathSegment],
) -> ErrorPath {
    let mut non_null = Vec::with_capacity(path.len());
    let mut key_order = Vec::with_capacity(path.len());
    let mut sets = root.clone();
    // The type of the value at the current position, once known.
    let mut current: Option<String> = None;
    let mut lost = false;
    for segment in path {
        if lost {
            non_null.push(false);
            key_order.push(Vec::new());
            continue;
        }
        match segment {
            PathSegment::Field(key) => {
                let mut order = Vec::new();
                collect_keys(document, &sets, &mut order);
                key_order.push(order);
                match find_field(registry, document, &sets, key) {
                    Some((ty, children)) => {
                        non_null.push(ty.ends_with('!'));
                        current = Some(ty);
                        sets = children;
                    }
                    None => {
                        non_null.push(false);
                        lost = true;
                    }
                }
            }
            PathSegment::Index(_) => {
                key_order.push(Vec::new());
                match current.as_deref().and_then(list_item) {
                    Some(item) => {
                        non_null.push(item.ends_with('!'));
                        current = Some(item.to_string());
                    }
                    None => {
                        non_null.push(false);
                        lost = true;
                    }
                }
            }
        }
    }
    ErrorPath {
        path: path.to_vec(),
        non_null,
        key_order,
    }
}

/// The type of the field answered under response key `key` in `sets`, and the selections
/// under it. Validation makes every field answered under one key agree on its type's shape;
/// if they disagree on nullability anyway, the nullable reading wins (it nulls less).
fn find_field<'d>(
    registry: &'d Registry,
    document: &'d ExecutableDocument,
    sets: &Sets<'d>,
    key: &str,
) -> Option<(String, Sets<'d>)> {
    let mut found: Option<String> = None;
    let mut children: Sets<'d> = Vec::new();
    visit_fields(document, sets, &mut |field, parent| {
        if field.response_key().node.as_str() != key {
            return;
        }
        let ty = match field.name.node.as_str() {
            "__typename" => Some("String!".to_string()),
            name => registry
                .types
                .get(parent)
                .and_then(|t| t.field_by_name(name))
                .map(|f| f.ty.clone()),
        };
        let Some(ty) = ty else {
            return;
        };
        let named = named_type(&ty);
        if let Some((name, _)) = registry.types.get_key_value(named) {
            children.push((&field.selection_set.node, name.as_str()));
        }
        found = Some(match found.take() {
            Some(previous) if previous.ends_with('!') && !ty.ends_with('!') => ty,
            Some(previous) => previous,
            None => ty,
        });
    });
    found.map(|ty| (ty, children))
}

/// Calls `f` for every field of `sets`, with the type it is selected on, through fragment
/// spreads and inline fragments whatever their type condition (the response says which
/// applied).
fn visit_fields<'d>(
    document: &'d ExecutableDocument,
    sets: &Sets<'d>,
    f: &mut dyn FnMut(&'d async_graphql::parser::types::Field, &'d str),
) {
    fn walk<'d>(
        document: &'d ExecutableDocument,
        set: &'d SelectionSet,
        parent: &'d str,
        f: &mut dyn FnMut(&'d async_graphql::parser::types::Field, &'d str),
        depth: usize,
    ) {
        // Validation refuses fragment cycles; this bounds a walk anyway.
        if depth > 64 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => f(&field.node, parent),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let condition = fragment.node.type_condition.node.on.node.as_str();
                        walk(
                            document,
                            &fragment.node.selection_set.node,
                            condition,
                            f,
                            depth + 1,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    let condition = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    walk(
                        document,
                        &inline.node.selection_set.node,
                        condition,
                        f,
                        depth + 1,
                    );
                }
            }
        }
    }
    for (set, parent) in sets {
        walk(document, set, parent, f, 0);
    }
}

/// The response keys of `sets` in selection order (first appearance).
fn collect_keys(document: &ExecutableDocument, sets: &Sets<'_>, keys: &mut Vec<Name>) {
    visit_fields(document, sets, &mut |field, _| {
        let key = &field.response_key().node;
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    });
}

/// `[Post!]!` → `Post!`, `[Post]` → `Post`; `None` for a type that is not a list.
fn list_item(ty: &str) -> Option<&str> {
    let list = ty.strip_suffix('!').unwrap_or(ty);
    list.strip_prefix('[')?.strip_suffix(']')
}

/// `[Post!]!` → `Post`.
fn named_type(ty: &str) -> &str {
    ty.trim_matches(|c| c == '[' || c == ']' || c == '!')
}

/// Turns objects async-graphql collapsed to `null` on the way to an error back into objects
/// (`{}`; their keys come back with [`null_out`]). A position an error passes through held an
/// object: a field under it ran.
fn materialize(data: &mut Value, path: &[PathSegment]) {
    let mut current = data;
    for (i, segment) in path.iter().enumerate() {
        if *current == Value::Null {
            if matches!(segment, PathSegment::Field(_)) {
                *current = Value::Object(Default::default());
            }
            return;
        }
        if i + 1 == path.len() {
            return;
        }
        current = match (current, segment) {
            (Value::Object(map), PathSegment::Field(key)) => match map.get_mut(key.as_str()) {
                Some(next) => next,
                None => return,
            },
            (Value::List(items), PathSegment::Index(index)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
}

/// Where setting a null stopped: the value at `path[..=i]` is absent from its object.
struct Absent(usize);

/// Nulls the error's field, or its nearest nullable ancestor when it is non-null.
fn null_out(data: &mut Value, error: &ErrorPath) {
    let mut end = error.path.len();
    loop {
        let mut level = end;
        while level > 0 && error.non_null[level - 1] {
            level -= 1;
        }
        match set_null(data, error, level) {
            Ok(()) => return,
            // async-graphql dropped a whole list for an item's error: the list is what is
            // absent, so it is the one to null (and its ancestors, if it is non-null).
            Err(Absent(i)) if i + 1 < end => end = i + 1,
            Err(Absent(_)) => return,
        }
    }
}

/// Sets the value at `error.path[..level]` to `null` (inserting the key in selection order);
/// nothing when an ancestor is already `null`.
fn set_null(data: &mut Value, error: &ErrorPath, level: usize) -> Result<(), Absent> {
    if level == 0 {
        *data = Value::Null;
        return Ok(());
    }
    let mut current = data;
    for (i, segment) in error.path[..level - 1].iter().enumerate() {
        current = match (current, segment) {
            (Value::Null, _) => return Ok(()),
            (Value::Object(map), PathSegment::Field(key)) => match map.get_mut(key.as_str()) {
                Some(next) => next,
                None => return Err(Absent(i)),
            },
            (Value::List(items), PathSegment::Index(index)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
    }
    match (current, &error.path[level - 1]) {
        (Value::Object(map), PathSegment::Field(key)) => {
            let order = &error.key_order[level - 1];
            map.insert(Name::new(key), Value::Null);
            let position = |name: &Name| order.iter().position(|k| k == name).unwrap_or(usize::MAX);
            map.sort_by(|a, _, b, _| position(a).cmp(&position(b)));
        }
        (Value::List(items), PathSegment::Index(index)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether the document uses `@skip` or `@include` anywhere.
fn has_conditions(document: &ExecutableDocument) -> bool {
    fn in_set(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| {
            let conditional =
                |directives: &[Positioned<async_graphql::parser::types::Directive>]| {
                    directives
                        .iter()
                        .any(|d| matches!(d.node.name.node.as_str(), "skip" | "include"))
                };
            match &item.node {
                Selection::Field(field) => {
                    conditional(&field.node.directives) || in_set(&field.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => conditional(&spread.node.directives),
                Selection::InlineFragment(inline) => {
                    conditional(&inline.node.directives) || in_set(&inline.node.selection_set.node)
                }
            }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, op)| in_set(&op.node.selection_set.node))
        || document
            .fragments
            .values()
            .any(|fragment| in_set(&fragment.node.selection_set.node))
}

/// A non-null object position holding `null` with no error under it is an object whose
/// fields were all skipped, which async-graphql collapses to `null`: it is `{}`.
fn restore_skipped_objects<'d>(
    registry: &'d Registry,
    document: &'d ExecutableDocument,
    sets: &Sets<'d>,
    value: &mut Value,
) {
    let Value::Object(map) = value else {
        return;
    };
    for (key, child) in map.iter_mut() {
        if let Some((ty, children)) = find_field(registry, document, sets, key.as_str()) {
            restore_at(registry, document, &ty, &children, child);
        }
    }
}

fn restore_at<'d>(
    registry: &'d Registry,
    document: &'d ExecutableDocument,
    ty: &str,
    sets: &Sets<'d>,
    value: &mut Value,
) {
    match value {
        Value::Null => {
            let composite = registry
                .types
                .get(named_type(ty))
                .is_some_and(MetaType::is_composite);
            if ty.ends_with('!') && list_item(ty).is_none() && composite {
                *value = Value::Object(Default::default());
            }
        }
        Value::List(items) => {
            if let Some(item) = list_item(ty) {
                for element in items {
                    restore_at(registry, document, item, sets, element);
                }
            }
        }
        Value::Object(_) => restore_skipped_objects(registry, document, sets, value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::field_error;
    use crate::api::extension::ApiExtension;
    use crate::api::QueryLimits;
    use async_graphql::{EmptyMutation, EmptySubscription, Error, Interface, Object, Schema};
    use serde_json::{json, Value as Json};

    fn boom() -> Error {
        field_error(ErrorCode::BadUserInput, "boom")
    }

    struct Root;

    /// Fields of every shape, some of which fail.
    #[Object]
    impl Root {
        async fn ok(&self) -> i32 {
            1
        }
        async fn fail(&self) -> Result<i32, Error> {
            Err(boom())
        }
        async fn maybe_fail(&self) -> Result<Option<i32>, Error> {
            Err(boom())
        }
        async fn item(&self) -> Option<Item> {
            Some(Item(1))
        }
        async fn sure_item(&self) -> Item {
            Item(0)
        }
        async fn items(&self) -> Vec<Item> {
            (0..3).map(Item).collect()
        }
        async fn maybe_items(&self) -> Option<Vec<Option<Item>>> {
            Some((0..3).map(|n| Some(Item(n))).collect())
        }
        async fn nested(&self) -> Vec<Vec<Item>> {
            vec![vec![Item(0)], vec![Item(2), Item(1)]]
        }
        async fn maybe_nested(&self) -> Vec<Option<Vec<Item>>> {
            vec![Some(vec![Item(0)]), Some(vec![Item(2), Item(1)])]
        }
        async fn results(&self) -> Option<Vec<Result<Option<i32>, Error>>> {
            Some(vec![Ok(Some(0)), Err(boom()), Ok(Some(2))])
        }
        async fn thing(&self) -> Option<Thing> {
            Some(Thing::Item(Item(1)))
        }
        async fn echo(&self, n: i32) -> i32 {
            n
        }
        async fn echo_optional(&self, n: Option<i32>) -> Option<i32> {
            n
        }
        async fn echo_filter(&self, filter: Filter) -> i32 {
            filter.month
        }
    }

    /// An input object.
    #[derive(async_graphql::InputObject)]
    struct Filter {
        month: i32,
        tags: Option<Vec<String>>,
    }

    struct Item(i32);

    /// `fail` fails on odd items.
    #[Object]
    impl Item {
        async fn n(&self) -> i32 {
            self.0
        }
        async fn fail(&self) -> Result<i32, Error> {
            match self.0 % 2 {
                0 => Ok(self.0),
                _ => Err(boom()),
            }
        }
        async fn maybe_fail(&self) -> Result<Option<i32>, Error> {
            match self.0 % 2 {
                0 => Ok(Some(self.0)),
                _ => Err(boom()),
            }
        }
        async fn child(&self) -> Option<Item> {
            Some(Item(self.0 + 1))
        }
        async fn sure_child(&self) -> Item {
            Item(self.0 + 1)
        }
    }

    struct Other;

    #[Object]
    impl Other {
        async fn n(&self) -> i32 {
            7
        }
    }

    #[derive(Interface)]
    #[graphql(field(name = "n", ty = "i32"))]
    enum Thing {
        Item(Item),
        Other(Other),
    }

    fn run(query: &str, variables: Json) -> Json {
        let schema = Schema::build(Root, EmptyMutation, EmptySubscription)
            .register_output_type::<Thing>()
            .extension(ApiExtension {
                limits: QueryLimits::default(),
            })
            .finish();
        let request = Request::new(query).variables(Variables::from_json(variables));
        let response = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(schema.execute(request));
        serde_json::to_value(&response).expect("json")
    }

    /// `data` of an answer, checking that every error has a code.
    fn data(query: &str) -> Json {
        let answer = run(query, json!({}));
        for error in answer["errors"].as_array().into_iter().flatten() {
            assert!(error["extensions"]["code"].is_string(), "{answer}");
        }
        answer["data"].clone()
    }

    #[test]
    fn an_errored_nullable_field_is_null() {
        assert_eq!(
            data("{ ok maybeFail }"),
            json!({"ok": 1, "maybeFail": null})
        );
        // In selection order, and when every root field failed (async-graphql: data null).
        assert_eq!(
            data("{ a: maybeFail ok b: maybeFail }"),
            json!({"a": null, "ok": 1, "b": null})
        );
        assert_eq!(
            data("{ a: maybeFail b: maybeFail }"),
            json!({"a": null, "b": null})
        );
    }

    #[test]
    fn a_non_null_error_nulls_the_nearest_nullable_ancestor() {
        assert_eq!(data("{ ok fail }"), Json::Null);
        assert_eq!(
            data("{ item { n fail } ok }"),
            json!({"item": null, "ok": 1})
        );
        assert_eq!(data("{ item { fail } }"), json!({"item": null}));
        assert_eq!(data("{ sureItem { n sureChild { fail } } }"), Json::Null);
        assert_eq!(
            data("{ sureItem { n child { sureChild { sureChild { fail } } } } }"),
            json!({"sureItem": {"n": 0, "child": null}})
        );
        assert_eq!(
            data("{ sureItem { child { n maybeFail } } }"),
            json!({"sureItem": {"child": {"n": 1, "maybeFail": null}}})
        );
    }

    #[test]
    fn list_items_follow_their_item_type() {
        // [Item!]!: one failing item nulls the list, which nulls `data`.
        assert_eq!(data("{ ok items { n fail } }"), Json::Null);
        // [Item]: only the failing item is null.
        assert_eq!(
            data("{ maybeItems { n fail } }"),
            json!({"maybeItems": [{"n": 0, "fail": 0}, null, {"n": 2, "fail": 2}]})
        );
        assert_eq!(
            data("{ items { n maybeFail } }"),
            json!({"items": [
                {"n": 0, "maybeFail": 0},
                {"n": 1, "maybeFail": null},
                {"n": 2, "maybeFail": 2}
            ]})
        );
        // [[Item!]!]!: up to data; [[Item!]]!: the inner list.
        assert_eq!(data("{ ok nested { fail } }"), Json::Null);
        assert_eq!(
            data("{ maybeNested { n fail } }"),
            json!({"maybeNested": [[{"n": 0, "fail": 0}], null]})
        );
        // async-graphql drops a whole list when an item itself fails: it becomes null (the
        // specification would keep the other items), never a missing key.
        assert_eq!(data("{ ok results }"), json!({"ok": 1, "results": null}));
    }

    #[test]
    fn aliases_and_fragments_are_followed() {
        assert_eq!(
            data("{ a: item { x: fail } b: item { n } }"),
            json!({"a": null, "b": {"n": 1}})
        );
        assert_eq!(
            data("{ item { ...F } } fragment F on Item { n child { n fail } }"),
            json!({"item": {"n": 1, "child": {"n": 2, "fail": 2}}})
        );
        assert_eq!(
            data("{ sureItem { ...F } } fragment F on Item { n child { ...G } } fragment G on Item { n fail }"),
            json!({"sureItem": {"n": 0, "child": null}})
        );
        assert_eq!(
            data("{ thing { n ... on Item { sureChild { n } fail } } }"),
            json!({"thing": null})
        );
        assert_eq!(
            data("{ thing { __typename ... on Item { m: maybeFail child { n } } ... on Other { n } } }"),
            json!({"thing": {"__typename": "Item", "m": null, "child": {"n": 2}}})
        );
    }

    #[test]
    fn objects_whose_fields_are_all_skipped_stay_objects() {
        assert_eq!(
            data("{ sureItem { n @skip(if: true) } }"),
            json!({"sureItem": {}})
        );
        assert_eq!(
            data("{ items { n @include(if: false) } }"),
            json!({"items": [{}, {}, {}]})
        );
    }

    #[test]
    fn omitted_variables_take_their_default_in_directives_and_arguments() {
        let query = "query($v: Boolean = true, $n: Int = 5) { sureItem { n @include(if: $v) } echo(n: $n) }";
        assert_eq!(
            run(query, json!({}))["data"],
            json!({"sureItem": {"n": 0}, "echo": 5})
        );
        assert_eq!(
            run(query, json!({"v": false, "n": 2}))["data"],
            json!({"sureItem": {}, "echo": 2})
        );
        let skip = "query($s: Boolean = true) { ok maybeFail @skip(if: $s) }";
        assert_eq!(run(skip, json!({}))["data"], json!({"ok": 1}));
    }

    fn request_error_messages(answer: &Json) -> Vec<String> {
        assert!(answer.get("data").is_none_or(Json::is_null), "{answer}");
        answer["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                assert!(e.get("path").is_none(), "{e}");
                format!(
                    "{}: {}",
                    e["extensions"]["code"].as_str().unwrap_or("-"),
                    e["message"].as_str().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn missing_null_or_mistyped_variables_are_request_errors() {
        let query = "query($n: Int!, $m: Int!) { echo(n: $n) other: echo(n: $m) }";
        assert_eq!(
            request_error_messages(&run(query, json!({"m": 1}))),
            ["BAD_USER_INPUT: Variable \"$n\" of required type \"Int!\" was not provided."]
        );
        assert_eq!(
            request_error_messages(&run(query, json!({"n": null}))),
            [
                "BAD_USER_INPUT: Variable \"$n\" of non-null type \"Int!\" must not be null.",
                "BAD_USER_INPUT: Variable \"$m\" of required type \"Int!\" was not provided."
            ]
        );
        let wrong = request_error_messages(&run(query, json!({"n": "x", "m": 3_000_000_000u64})));
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(
            wrong[0].starts_with("BAD_USER_INPUT: Variable \"$n\" got invalid value \"x\""),
            "{wrong:?}"
        );
        let filter = "query($f: Filter!) { echoFilter(filter: $f) }";
        assert_eq!(
            run(filter, json!({"f": {"month": 3}}))["data"],
            json!({"echoFilter": 3})
        );
        for (bad, expected) in [
            (
                json!({"f": {}}),
                "field \"month\" of required type \"Int!\" was not provided",
            ),
            (
                json!({"f": {"month": 1, "nope": 1}}),
                "field \"nope\" is not defined by type \"Filter\"",
            ),
            (
                json!({"f": {"month": 1, "tags": ["a", 2]}}),
                "at \"f.tags[1]\"; expected type \"String\"",
            ),
        ] {
            let messages = request_error_messages(&run(filter, bad));
            assert!(messages[0].contains(expected), "{messages:?}");
        }
        // A nullable variable may be omitted or null.
        let optional = "query($n: Int) { echoOptional(n: $n) }";
        assert_eq!(
            run(optional, json!({"n": null}))["data"],
            json!({"echoOptional": null})
        );
        assert_eq!(
            run(optional, json!({}))["data"],
            json!({"echoOptional": null})
        );
    }

    #[test]
    fn operations_are_selected_or_refused_with_a_code() {
        let two = "query A { ok } query B { echo(n: 2) }";
        assert_eq!(
            request_error_messages(&run(two, json!({}))),
            ["OPERATION_RESOLUTION_FAILURE: the document has several operations (\"A\", \"B\"); send operationName to choose one"]
        );
        let schema = Schema::build(Root, EmptyMutation, EmptySubscription)
            .extension(ApiExtension {
                limits: QueryLimits::default(),
            })
            .finish();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let b = runtime.block_on(schema.execute(Request::new(two).operation_name("B")));
        assert_eq!(b.data.into_json().ok(), Some(json!({"echo": 2})));
        let c = runtime.block_on(schema.execute(Request::new(two).operation_name("C")));
        assert_eq!(
            c.errors[0].message,
            "the document has no operation named \"C\" (it has \"A\", \"B\")"
        );
        let invalid = run("{ nope }", json!({}));
        assert_eq!(
            invalid["errors"][0]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );
        let unparsable = run("{ ok", json!({}));
        assert_eq!(
            unparsable["errors"][0]["extensions"]["code"],
            "GRAPHQL_PARSE_FAILED"
        );
    }
}
