//! `gen-corpus`: writes a deterministic Jekyll corpus of generated posts, for benchmarks and
//! load tests. Run it with `cargo gen-corpus --posts 10000 DIR` (an alias in
//! `.cargo/config.toml`) or build it with `cargo build --release -p gen-corpus`.

use clap::Parser;
use gen_corpus::{generate, GenOptions, Profile};
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a deterministic Jekyll corpus of generated posts (for benchmarks).
#[derive(Parser)]
#[command(name = "gen-corpus", version)]
struct Args {
    /// How many posts.
    #[arg(long, default_value_t = 1000)]
    posts: usize,
    /// Random seed: the same seed and count give byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Body sizes: `small` (median ~4 KB, round one's corpus) or `real` (median ~15 KB, tail
    /// to 200 KB, more and longer code blocks, as real blogs).
    #[arg(long, default_value = "small", value_parser = parse_profile)]
    profile: Profile,
    /// An empty or missing folder to write into.
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = GenOptions {
        posts: args.posts,
        seed: args.seed,
        profile: args.profile,
    };
    match generate(&options, &args.out) {
        Ok(summary) => {
            println!(
                "wrote {} posts ({} bytes) to {}",
                summary.posts,
                summary.bytes,
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!(
                "error: cannot write the corpus to {}: {err}",
                args.out.display()
            );
            ExitCode::FAILURE
        }
    }
}

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::from_name(name).ok_or_else(|| format!("unknown profile {name:?}: use small or real"))
}
