//! Outputs other than GraphQL, each over one served version of the site: the `check` report
//! (text or JSON, for CI), the feeds (Atom, RSS, JSON Feed), the sitemap and `robots.txt`, the
//! embed card and its oEmbed answer, and the webhooks that tell other sites about each new
//! version. Where they are published is [`crate::site::endpoints`]; the HTTP routes are in
//! `server/outputs.rs`.

pub mod check_report;
pub mod feeds;
pub mod oembed;
pub mod post_info;
pub mod sitemap;
pub mod webhooks;

pub use check_report::CheckReport;
