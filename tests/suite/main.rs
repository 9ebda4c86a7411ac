//! inkgraph's integration tests: one test binary (it links once), a module per area. Shared
//! helpers are in `common` (fixtures, loading) and `http_support` (driving the router).
//!
//! Run one area with `cargo test --test suite <module>::`, e.g. `cargo test --test suite
//! render::`.

mod common;
mod http_support;

mod api;
mod authoring;
mod authoring_props;
mod cache_encodings;
mod cli;
mod clients;
mod fidelity;
mod first_hour;
mod generated_corpus;
mod hidden_posts;
mod hostile_content;
mod hostile_liquid;
mod hostile_ops;
mod hostile_requests;
mod hostile_requests_ws;
mod http;
mod http_caching;
mod http_conformance;
mod http_limits;
mod http_ops;
mod http_preview;
mod http_props;
mod http_serve;
mod links;
mod live_reload;
mod loader;
mod outputs;
mod paging_props;
mod parser_props;
mod reload_reuse;
mod render;
mod schema_drift;
mod search;
mod settings;
mod site_url;
mod slowloris;
mod text_rules;
mod webhooks;
mod xss;
