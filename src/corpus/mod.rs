//! Parsing post files into [`Document`]s: front matter, dates, tags, permalinks, with
//! [`Diagnostic`](crate::diagnostic::Diagnostic)s for everything that is off.

pub mod date;
mod document;
pub mod front_matter;
mod parse;
pub mod permalink;
pub mod serial;
pub mod site_config;
pub mod site_url;
pub mod values;
pub(crate) mod yaml;

pub use document::{Document, SyndicationLink};
pub use parse::{parse_file, ParsedFile};
pub use serial::SerialNumber;
pub use site_config::SiteConfig;
pub use site_url::SiteUrl;
