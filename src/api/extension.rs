//! The schema's one async-graphql extension, [`ApiExtension`]: the GraphQL-specification
//! fixes ([`super::spec`]), the depth and complexity limits ([`super::cost`]) and the hints
//! on validation errors ([`super::hints`]), run as one.
//!
//! async-graphql passes every field it resolves through each registered extension (a boxed
//! future per extension and field, whether or not the extension hooks field resolution): with
//! three extensions that was about 60 µs of a 180 µs uncached `posts(first: 20)` page
//! (docs/PERFORMANCE.md, round six). None of the three needs field resolution, so they share
//! one extension and a field pays for one.

use super::spec::SpecRequest;
use super::{cost, hints, spec, QueryLimits};
use async_graphql::async_trait::async_trait;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextRequest, NextSubscribe, NextValidation,
};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use std::sync::Arc;

/// The extension; add it to the schema once.
pub struct ApiExtension {
    /// The limits every operation meets.
    pub limits: QueryLimits,
}

impl ExtensionFactory for ApiExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ApiRequest {
            spec: SpecRequest::default(),
            limits: self.limits,
        })
    }
}

/// One request's state.
struct ApiRequest {
    spec: SpecRequest,
    limits: QueryLimits,
}

#[async_trait]
impl Extension for ApiRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        self.spec.request(ctx, next).await
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        self.spec.subscribe(ctx, stream, next)
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.spec.prepare_request(ctx, request, next).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        self.spec.parse_query(ctx, query, variables, next).await
    }

    /// Validation errors get their hints, then their codes; a valid operation is checked
    /// against the limits.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next
            .run(ctx)
            .await
            .map_err(|errors| spec::code_validation_errors(hints::with_hints(errors)))?;
        cost::check_validation(self.limits, ctx, &result)?;
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.spec.execute(ctx, operation_name, next).await
    }
}
