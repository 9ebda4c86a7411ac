//! One engine per build (see Cargo.toml features).

#[cfg(any(feature = "syntect-onig", feature = "syntect-fancy"))]
mod syntect_compact;
#[cfg(any(feature = "syntect-onig", feature = "syntect-fancy"))]
pub use syntect_compact::Engine;

#[cfg(feature = "giallo")]
mod giallo_engine;
#[cfg(feature = "giallo")]
pub use giallo_engine::Engine;

#[cfg(feature = "arborium")]
mod arborium_engine;
#[cfg(feature = "arborium")]
pub use arborium_engine::Engine;
