//! inkgraph: a GraphQL content API over a Jekyll-style blog folder.
//!
//! Data flows one way: [`source`] finds and reads files → [`corpus`] parses them into
//! documents → [`graph`] builds one immutable, indexed snapshot.

pub mod check;
pub mod corpus;
pub mod diagnostic;
pub mod graph;
pub mod source;
