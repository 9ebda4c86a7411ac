//! The server's memory allocator, declared by `main` (and by the examples that measure what
//! `serve` does) with [`server_allocator!`](crate::server_allocator).
//!
//! On Unix that is jemalloc ([`tikv_jemallocator`]). A request allocates and frees many
//! small blocks (GraphQL values, futures, strings) on whichever thread runs it; glibc's
//! allocator spent about a sixth of a search's CPU in `malloc`, `free` and
//! `malloc_consolidate`, and a response-cache hit paid for it too. With jemalloc, on 10,000
//! posts and 2 cores (docs/PERFORMANCE.md, round twelve), a search took about 14 % less of the
//! server's CPU, an uncached page about 11 %, and cache hits ran about 15 % more a second. It
//! holds more memory than glibc for the same data (its size classes round blocks up): about
//! 30 MiB more on 10,000 real-size posts, paid for by packing HTML with zstd
//! ([`crate::text::packed::PackedText`]).
//!
//! [`JEMALLOC_SETTINGS`] are compiled in: `background_thread` returns unused pages from a
//! thread of jemalloc's own instead of on the request path, `dirty_decay_ms:1000` returns
//! them within a second (jemalloc's default keeps them ten seconds, which showed as a higher
//! peak after loading), and `muzzy_decay_ms:0` releases them in full. An operator's own
//! settings in `_RJEM_MALLOC_CONF` are read after these and win.
//!
//! Elsewhere (Windows) the system allocator stays.

/// The allocator [`server_allocator!`](crate::server_allocator) declares.
#[cfg(unix)]
pub use tikv_jemallocator::Jemalloc as ServerAllocator;

/// jemalloc's settings string (see the module documentation).
#[cfg(unix)]
pub const JEMALLOC_SETTINGS: &std::ffi::CStr =
    c"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

/// A C string pointer that jemalloc reads at start, as its `malloc_conf` symbol.
#[cfg(unix)]
#[repr(transparent)]
pub struct SettingsSymbol(pub *const std::ffi::c_char);

// SAFETY: the pointer is to a `'static` C string that is never written.
#[cfg(unix)]
unsafe impl Sync for SettingsSymbol {}

/// Declares [`ServerAllocator`] as the binary's global allocator, with
/// [`JEMALLOC_SETTINGS`]. Write `inkgraph::server_allocator!();` once, at the top level of a
/// binary; a binary with an allocator of its own (one that counts, say) declares only the
/// settings, with [`allocator_settings!`](crate::allocator_settings).
#[macro_export]
macro_rules! server_allocator {
    () => {
        #[cfg(unix)]
        #[global_allocator]
        static SERVER_ALLOCATOR: $crate::memory::ServerAllocator = $crate::memory::ServerAllocator;
        $crate::allocator_settings!();
    };
}

/// Declares [`JEMALLOC_SETTINGS`] as jemalloc's `malloc_conf` (see [`server_allocator!`](crate::server_allocator)).
#[macro_export]
macro_rules! allocator_settings {
    () => {
        #[cfg(unix)]
        #[export_name = "_rjem_malloc_conf"]
        static JEMALLOC_SETTINGS: $crate::memory::SettingsSymbol =
            $crate::memory::SettingsSymbol($crate::memory::JEMALLOC_SETTINGS.as_ptr());
    };
}

/// A `kB` field of this process's `/proc/self/status` (`"VmHWM:"`, `"VmRSS:"`), in bytes;
/// `None` where there is no such file or field (not Linux). For the examples and benches
/// that report what the process holds.
pub fn process_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    let mut fields = line[key.len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}
