//! Process-wide memory settings, applied first thing by `main` (and by the examples that
//! measure what `serve` holds).
//!
//! Loading a folder reads every file into a buffer, and building the search index fills
//! large per-thread buffers; all are freed once the site is ready. glibc's allocator raises
//! its mmap threshold as large blocks are freed (up to 32 MiB), so later large blocks come
//! from the heap and their pages stay with the process after they are freed: on 10,000
//! posts that kept the peak resident memory about 10 % higher than the data the server
//! holds. A fixed threshold of 128 KiB (glibc's starting value) keeps every large block in
//! its own mapping, returned to the system when freed.

/// glibc's default starting mmap threshold, kept fixed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Applies the allocator settings above, unless `MALLOC_MMAP_THRESHOLD_` is set (glibc reads
/// that itself, so an operator's own choice wins). Does nothing on other platforms.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: mallopt only changes a tuning parameter of the allocator; it is called
        // before this process starts any other thread.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
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
