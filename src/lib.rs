//! inkgraph: a GraphQL content API over a Jekyll-style blog folder.
//!
//! Data flows one way, and modules import only from the left:
//!
//! [`source`] finds and reads the files under a content root → [`corpus`] parses each into
//! a document (front matter, body, diagnostics) → [`graph`] builds one immutable, indexed
//! snapshot → [`render`] turns a post into HTML, headings, links and text (Liquid, then one
//! Markdown pass) → [`links`] builds the link graph of a snapshot per audience → [`site`]
//! holds one served version (snapshot, renderings, link graphs, diagnostics) and swaps it
//! atomically on reload → [`api`] answers GraphQL over it, [`outputs`] write the other
//! answers (the `check` report) → [`server`] serves HTTP.
//!
//! [`load`] drives `source`, `corpus` and `graph` to turn a folder (or a set of changed
//! files) into a new snapshot, incrementally; [`watch`] follows the folder and asks the live
//! site to reload. [`settings`] layers `inkgraph serve`'s configuration file under its flags
//! and environment; each setting is declared once, as a clap argument of the module that
//! uses it, with the value parsers of [`args`]. [`diagnostic`] and [`once_map`] are small
//! shared types; [`text`] holds the small text
//! helpers every stage shares (Markdown code fences, HTML escaping and tag scanning,
//! shortening) and imports nothing from the rest of the crate.

pub mod api;
pub mod args;
pub mod corpus;
pub mod diagnostic;
pub mod graph;
pub mod links;
pub mod load;
pub mod memory;
pub mod once_map;
pub mod outputs;
pub mod panics;
pub mod render;
pub mod server;
pub mod settings;
pub mod site;
pub mod source;
pub mod text;
pub mod watch;
