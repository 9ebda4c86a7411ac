//! inkgraph: a GraphQL content API over a Jekyll-style blog folder.
//!
//! Data flows one way: [`source`] finds and reads files → [`corpus`] parses them into
//! documents → [`graph`] builds one immutable, indexed snapshot → [`render`] turns Markdown
//! into HTML (cached per snapshot) → [`api`] answers GraphQL from a snapshot → [`server`]
//! serves it over HTTP. [`watch`] keeps the served snapshot in step with the folder (live
//! reload and `corpusChanged` subscriptions).

pub mod api;
pub mod check;
pub mod config;
pub mod corpus;
pub mod diagnostic;
pub mod graph;
pub mod links;
pub mod render;
pub mod server;
pub mod source;
pub mod watch;
