//! What a request may cost, so a small request cannot ask for a huge answer.
//!
//! Two lines of defence, both per HTTP request (a batch counts as one):
//! - **Before execution**, complexity: every field costs 1, a list its page size times its
//!   fields, and the fields that return big values cost the weights below. A batch's
//!   operations share one limit ([`CostExtension`] adds them up).
//! - **During execution**, bytes: resolvers of big values (HTML, Markdown, plain text,
//!   excerpts, the link graph, diagnostics) charge their size to the request's
//!   [`RequestBudget`] *before* producing them. Once the answer would pass the byte limit, they
//!   fail instead of producing, and the server answers one error naming the limit. The
//!   weights cannot know a post's size; the budget does, so it is what makes a field weigh
//!   what it returns.
//!
//! Without a budget in the request data (library use, tests) only the schema's depth and
//! complexity limits apply.

use super::error::{field_error, request_error, ErrorCode};
use super::post::TextFormat;
use super::QueryLimits;
use async_graphql::extensions::ExtensionContext;
use async_graphql::{Context, Error, ServerError, ValidationResult};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Cost of a field that returns a whole post body (`html`, `markdown`, `plainText`): tens of
/// kilobytes against tens of bytes for a scalar. 100 posts with their HTML (5,100) still fit
/// the default limit of 10,000; 2,800 aliased `post { html }` (142,800) do not.
pub const BODY_COST: usize = 50;

/// Extra cost of fields that read the link graph (`links`, `backlinks`, `related`), which
/// renders every post the first time.
pub const LINKS_COST: usize = 20;

/// Cost of `diagnostics`: every problem of every file, after rendering every post.
pub const DIAGNOSTICS_COST: usize = 500;

/// Cost of `linkGraph`: every visible post and link, the largest answer of the API. The
/// default limit allows 9 in one request, not 900.
pub const LINK_GRAPH_COST: usize = 1000;

/// Extra cost of `search`: it runs the query over every post and sorts all hits (the page
/// costs its size times its fields on top).
pub const SEARCH_COST: usize = 20;

/// Cost of a search hit's `highlights`: it reads the post's whole source and marks it, as
/// cheap as an excerpt but never free.
pub const HIGHLIGHTS_COST: usize = 10;

/// Extra cost of a search's `facets`: a pass over every hit.
pub const FACETS_COST: usize = 10;

/// Extra cost of `suggest` (its completions cost their number times their fields on top).
pub const SUGGEST_COST: usize = 5;

/// Cost of `excerpt`: 1 per 10 words it may return (2 for HTML, whose markup roughly doubles
/// the bytes), plus 1; never more than a whole body. It parses its Markdown on every call.
pub fn excerpt_cost(words: Option<i32>, format: Option<TextFormat>) -> usize {
    let words = words.unwrap_or(55).max(0) as usize;
    let per_ten_words = match format {
        Some(TextFormat::Html) => 2,
        _ => 1,
    };
    (1 + words.saturating_mul(per_ten_words) / 10).min(BODY_COST)
}

/// What one HTTP request may still spend: complexity (shared by a batch's operations) and
/// answer bytes. Attach it to each of the request's operations as `Arc<RequestBudget>` data.
#[derive(Debug)]
pub struct RequestBudget {
    complexity_limit: usize,
    complexity_used: AtomicUsize,
    bytes_limit: usize,
    bytes_used: AtomicUsize,
    /// Set once the bytes passed the limit, or when the request's caller stopped waiting
    /// (timeout): from then on, resolvers of big values produce nothing.
    stopped: AtomicBool,
    over_bytes: AtomicBool,
}

impl RequestBudget {
    /// A budget of `complexity_limit` (summed over operations) and `bytes_limit` bytes of
    /// big values.
    pub fn new(complexity_limit: usize, bytes_limit: usize) -> Self {
        RequestBudget {
            complexity_limit,
            complexity_used: AtomicUsize::new(0),
            bytes_limit,
            bytes_used: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            over_bytes: AtomicBool::new(false),
        }
    }

    /// Adds one operation's complexity; fails when the request's operations together cost
    /// more than the limit.
    pub fn spend_complexity(&self, cost: usize) -> Result<(), ServerError> {
        let before = self.complexity_used.fetch_add(cost, Ordering::SeqCst);
        let used = before.saturating_add(cost);
        if used <= self.complexity_limit {
            return Ok(());
        }
        Err(request_error(
            ErrorCode::QueryTooComplex,
            format!(
                "the operations of this request cost {used} together, over the limit of {} (--max-complexity / INKGRAPH_MAX_COMPLEXITY); send fewer or smaller operations at once",
                self.complexity_limit
            ),
            None,
        ))
    }

    /// Fails when nothing more may be produced (the byte limit was passed, or the caller
    /// stopped waiting). Call it before expensive work.
    pub fn check(&self) -> Result<(), Error> {
        if self.stopped.load(Ordering::SeqCst) {
            return Err(self.refusal());
        }
        Ok(())
    }

    /// Charges `bytes` about to be produced; fails (and stops the request) when the answer
    /// would pass the byte limit. Call it before producing (cloning) a big value.
    pub fn charge(&self, bytes: usize) -> Result<(), Error> {
        self.check()?;
        let used = self
            .bytes_used
            .fetch_add(bytes, Ordering::SeqCst)
            .saturating_add(bytes);
        if used > self.bytes_limit {
            self.exceed();
            return Err(self.refusal());
        }
        Ok(())
    }

    /// Records that the answer passed the byte limit (as measured once serialized), and stops
    /// the request.
    pub fn exceed(&self) {
        self.over_bytes.store(true, Ordering::SeqCst);
        self.stop();
    }

    /// Makes every later [`check`](Self::check) and [`charge`](Self::charge) fail, so work
    /// nobody waits for any more ends soon.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Whether a charge passed the byte limit.
    pub fn is_over_bytes(&self) -> bool {
        self.over_bytes.load(Ordering::SeqCst)
    }

    /// The byte limit.
    pub fn bytes_limit(&self) -> usize {
        self.bytes_limit
    }

    fn refusal(&self) -> Error {
        field_error(
            ErrorCode::ResponseTooLarge,
            format!(
                "the answer would be larger than the limit of {} bytes",
                self.bytes_limit
            ),
        )
    }
}

/// The request's budget, if it has one.
fn budget<'a>(ctx: &Context<'a>) -> Option<&'a RequestBudget> {
    ctx.data_opt::<Arc<RequestBudget>>().map(|b| &**b)
}

/// [`RequestBudget::check`] on the request's budget (nothing without one).
pub fn check(ctx: &Context<'_>) -> Result<(), Error> {
    budget(ctx).map_or(Ok(()), RequestBudget::check)
}

/// [`RequestBudget::charge`] on the request's budget (nothing without one).
pub fn charge(ctx: &Context<'_>, bytes: usize) -> Result<(), Error> {
    budget(ctx).map_or(Ok(()), |b| b.charge(bytes))
}

/// Checks an operation's depth and complexity (as validation computed them) against the
/// limits, with coded errors that name the limit and its setting, and adds the complexity to
/// the request's budget, so the operations of a batch share one complexity limit. Run by the
/// schema's extension ([`super::extension`]) after validation.
pub fn check_validation(
    limits: QueryLimits,
    ctx: &ExtensionContext<'_>,
    result: &ValidationResult,
) -> Result<(), Vec<ServerError>> {
    check_limits(limits, result).map_err(|err| vec![err])?;
    if let Some(budget) = ctx.data_opt::<Arc<RequestBudget>>() {
        budget
            .spend_complexity(result.complexity)
            .map_err(|err| vec![err])?;
    }
    Ok(())
}

/// The request error for an operation deeper or costlier than `limits`.
fn check_limits(limits: QueryLimits, result: &ValidationResult) -> Result<(), ServerError> {
    if result.depth > limits.depth {
        return Err(request_error(
            ErrorCode::QueryTooDeep,
            format!(
                "the query is nested {} levels deep, over the limit of {} levels (--max-depth / INKGRAPH_MAX_DEPTH); split it into several queries",
                result.depth, limits.depth
            ),
            None,
        ));
    }
    if result.complexity > limits.complexity {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!(
                "the query costs {}, over the limit of {} (--max-complexity / INKGRAPH_MAX_COMPLEXITY): every field costs 1 and a list costs its page size (first/last/limit) times its fields; ask for smaller pages or fewer fields",
                result.complexity, limits.complexity
            ),
            None,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cost_by_the_words_they_may_return() {
        assert_eq!(excerpt_cost(None, None), 6);
        assert_eq!(excerpt_cost(None, Some(TextFormat::Html)), 12);
        assert_eq!(
            excerpt_cost(Some(100_000), Some(TextFormat::Html)),
            BODY_COST
        );
        assert_eq!(excerpt_cost(Some(-5), None), 1);
    }

    #[test]
    fn the_byte_budget_stops_the_request_once_passed() {
        let budget = RequestBudget::new(100, 10);
        assert!(budget.charge(6).is_ok());
        assert!(!budget.is_over_bytes());
        let refused = budget.charge(6).expect_err("over");
        assert!(refused.message.contains("limit of 10 bytes"), "{refused:?}");
        assert!(budget.is_over_bytes());
        assert!(budget.check().is_err(), "nothing more is produced");
        assert!(budget.charge(0).is_err());

        let timed_out = RequestBudget::new(100, 10);
        timed_out.stop();
        assert!(timed_out.check().is_err());
        assert!(!timed_out.is_over_bytes());
    }

    #[test]
    fn complexity_adds_up_over_operations() {
        let budget = RequestBudget::new(100, 10);
        assert!(budget.spend_complexity(60).is_ok());
        let err = budget.spend_complexity(60).expect_err("120 > 100");
        assert!(err.message.contains("cost 120 together"), "{}", err.message);
    }
}
