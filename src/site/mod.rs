//! The served site: one version of the site as it is served ([`ServedSite`]: a snapshot, its
//! renderings, link graphs and diagnostics per audience), the version currently served
//! ([`CurrentSite`], swapped atomically), the reloader that follows the content folder
//! ([`LiveSite`]) and the bus that announces each swap ([`SiteEvents`]).
//!
//! Everything that answers from the site — the GraphQL API, the other outputs, the HTTP
//! server — reads a [`ServedSite`]; everything that changes it goes through [`LiveSite`].
//! The content store ([`store::ContentStore`]) writes posts for the GraphQL mutations and
//! applies each change through the [`LiveSite`] before answering.

pub mod endpoints;
pub mod events;
mod live;
mod renderings;
pub mod search;
mod served;
pub mod store;

pub use events::{SiteChange, SiteEvents, SwapEvent};
pub use live::{LiveSite, Swap};
pub use served::{CurrentSite, ServedSite};
