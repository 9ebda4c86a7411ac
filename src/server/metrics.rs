//! Counters for `GET /metrics`, written in the Prometheus text exposition format.
//!
//! Hand-written rather than pulled from a metrics crate: a dozen series, all atomics, and
//! label values that are either fixed words or checked GraphQL names (no escaping needed).

use crate::graph::Audience;
use crate::site::ServedSite;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Distinct operation names kept as labels; later names count under `other`, so a client
/// inventing names cannot grow `/metrics` without bound.
pub const MAX_OPERATION_LABELS: usize = 100;

/// Labels that are fixed words, not operation names: always kept, never counted against
/// [`MAX_OPERATION_LABELS`].
const FIXED_LABELS: [&str; 5] = ["anonymous", "unparsed", "batch", "invalid", "other"];

/// Marks a response whose operation parsed and validated (response extension): only such
/// operations may claim a label for their name.
#[derive(Debug, Clone, Copy)]
pub struct Validated;

/// Everything `/metrics` reports besides what it reads from the snapshot.
#[derive(Debug)]
pub struct Metrics {
    requests: Mutex<RequestCounts>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    /// Answers served from the in-memory response cache.
    pub cache_hits: AtomicU64,
    /// Cacheable requests the in-memory response cache did not hold.
    pub cache_misses: AtomicU64,
    /// `304 Not Modified` answers to `If-None-Match`.
    pub not_modified: AtomicU64,
    /// Persisted-query hashes found in the store.
    pub apq_hits: AtomicU64,
    /// Persisted-query hashes not found (the client then resends the query).
    pub apq_misses: AtomicU64,
    /// Executions stopped by the execution timeout.
    pub timeouts: AtomicU64,
    /// Snapshots swapped in after start-up.
    pub reloads: AtomicU64,
    /// Reloads that failed (the previous snapshot kept serving).
    pub reload_failures: AtomicU64,
    started: SystemTime,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Mutex::new(RequestCounts::default()),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            latency_count: AtomicU64::new(0),
            latency_sum_nanos: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            apq_hits: AtomicU64::new(0),
            apq_misses: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
            started: SystemTime::now(),
        }
    }
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// What `/metrics` reads from the running server besides [`Metrics`].
#[derive(Debug, Clone, Copy)]
pub struct Gauges<'a> {
    pub served: &'a ServedSite,
    pub cache_entries: usize,
    pub cache_bytes: usize,
    pub apq_entries: usize,
    /// Swaps and failures of the live corpus (watcher, SIGHUP, admin endpoint).
    pub live_reloads: u64,
    pub live_reload_failures: u64,
}

impl Metrics {
    /// Records one answered GraphQL request. `operation` becomes a label of its own when it
    /// is a fixed word, or a name seen before, or `validated` and fewer than
    /// [`MAX_OPERATION_LABELS`] names have one; else the request counts under `other`.
    pub fn observe(&self, operation: &str, validated: bool, status: u16, elapsed: Duration) {
        {
            let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            let known = FIXED_LABELS.contains(&operation)
                || requests.names.contains(operation)
                || (validated
                    && requests.names.len() < MAX_OPERATION_LABELS
                    && requests.names.insert(operation.to_string()));
            let label = if known { operation } else { "other" };
            *requests
                .counts
                .entry((label.to_string(), status))
                .or_insert(0) += 1;
        }
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|upper| seconds <= *upper) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_nanos.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The whole exposition, `text/plain; version=0.0.4`.
    pub fn render(&self, gauges: Gauges<'_>) -> String {
        let mut out = String::with_capacity(4096);
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let gauge = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };

        out.push_str("# HELP inkgraph_http_requests_total GraphQL requests answered, by operation name and HTTP status.\n");
        out.push_str("# TYPE inkgraph_http_requests_total counter\n");
        {
            let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            for ((operation, status), count) in requests.counts.iter() {
                let _ = writeln!(
                    out,
                    "inkgraph_http_requests_total{{operation=\"{operation}\",status=\"{status}\"}} {count}"
                );
            }
        }

        out.push_str(
            "# HELP inkgraph_http_request_duration_seconds Time to answer GraphQL requests.\n",
        );
        out.push_str("# TYPE inkgraph_http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (upper, count) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "inkgraph_http_request_duration_seconds_bucket{{le=\"{upper}\"}} {cumulative}"
            );
        }
        let total = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(
            out,
            "inkgraph_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}\n\
             inkgraph_http_request_duration_seconds_sum {sum}\n\
             inkgraph_http_request_duration_seconds_count {total}"
        );

        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            &mut out,
            "inkgraph_response_cache_hits_total",
            "Answers served from the in-memory response cache.",
            load(&self.cache_hits),
        );
        counter(
            &mut out,
            "inkgraph_response_cache_misses_total",
            "Cacheable requests the in-memory response cache did not hold.",
            load(&self.cache_misses),
        );
        gauge(
            &mut out,
            "inkgraph_response_cache_entries",
            "Answers held by the in-memory response cache.",
            gauges.cache_entries as u64,
        );
        gauge(
            &mut out,
            "inkgraph_response_cache_bytes",
            "Body bytes held by the in-memory response cache.",
            gauges.cache_bytes as u64,
        );
        counter(
            &mut out,
            "inkgraph_not_modified_total",
            "304 Not Modified answers to If-None-Match.",
            load(&self.not_modified),
        );
        counter(
            &mut out,
            "inkgraph_persisted_query_hits_total",
            "Persisted-query hashes found in the store.",
            load(&self.apq_hits),
        );
        counter(
            &mut out,
            "inkgraph_persisted_query_misses_total",
            "Persisted-query hashes not found (the client resends the query).",
            load(&self.apq_misses),
        );
        gauge(
            &mut out,
            "inkgraph_persisted_queries",
            "Queries held by the persisted-query store.",
            gauges.apq_entries as u64,
        );
        counter(
            &mut out,
            "inkgraph_execution_timeouts_total",
            "Executions stopped by the execution timeout.",
            load(&self.timeouts),
        );
        counter(
            &mut out,
            "inkgraph_reloads_total",
            "Snapshots swapped in after start-up.",
            load(&self.reloads) + gauges.live_reloads,
        );
        counter(
            &mut out,
            "inkgraph_reload_failures_total",
            "Reloads that failed (the previous snapshot kept serving).",
            load(&self.reload_failures) + gauges.live_reload_failures,
        );

        // Only what the public sees: `/metrics` is often reachable by anyone, so neither the
        // number of hidden posts nor a version that changes with them may show here.
        let public = gauges.served.snapshot.view(Audience::Public);
        out.push_str("# HELP inkgraph_posts Posts the served snapshot shows the public.\n");
        out.push_str("# TYPE inkgraph_posts gauge\n");
        let _ = writeln!(
            out,
            "inkgraph_posts{{audience=\"public\"}} {}",
            public.index.len()
        );
        out.push_str(
            "# HELP inkgraph_corpus_info The served corpus version the public sees (a content hash).\n",
        );
        out.push_str("# TYPE inkgraph_corpus_info gauge\n");
        let _ = writeln!(
            out,
            "inkgraph_corpus_info{{version=\"{}\"}} 1",
            label_value(public.version())
        );
        let started = self
            .started
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        out.push_str(
            "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n",
        );
        out.push_str("# TYPE process_start_time_seconds gauge\n");
        let _ = writeln!(out, "process_start_time_seconds {started}");
        out
    }
}

/// Requests by (operation label, status), and the operation names given a label so far.
#[derive(Debug, Default)]
struct RequestCounts {
    counts: BTreeMap<(String, u16), u64>,
    names: HashSet<String>,
}

/// Escapes a label value as the exposition format asks.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The label for an operation: its name when it is a valid GraphQL name of reasonable
/// length, `anonymous` when it has none, `invalid` otherwise.
pub fn operation_label(name: Option<&str>) -> String {
    match name {
        None | Some("") => "anonymous".into(),
        Some(name)
            if name.len() <= 64
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            name.into()
        }
        Some(_) => "invalid".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded_and_checked() {
        assert_eq!(operation_label(Some("Posts")), "Posts");
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("a\"b")), "invalid");
        let metrics = Metrics::default();
        metrics.observe("Junk", false, 400, Duration::from_millis(1));
        for i in 0..(MAX_OPERATION_LABELS + 5) {
            metrics.observe(&format!("Op{i}"), true, 200, Duration::from_millis(1));
        }
        metrics.observe("Op0", true, 200, Duration::from_millis(1));
        metrics.observe("Op1", false, 304, Duration::from_millis(1));
        metrics.observe("anonymous", true, 200, Duration::from_millis(1));
        let requests = metrics.requests.lock().expect("lock");
        assert_eq!(requests.counts.get(&("other".to_string(), 200)), Some(&5));
        assert_eq!(requests.counts.get(&("other".to_string(), 400)), Some(&1));
        assert_eq!(requests.counts.get(&("Op0".to_string(), 200)), Some(&2));
        assert_eq!(requests.counts.get(&("Op1".to_string(), 304)), Some(&1));
        assert_eq!(
            requests.counts.get(&("anonymous".to_string(), 200)),
            Some(&1)
        );
        assert!(!requests.names.contains("Junk"));
    }
}
