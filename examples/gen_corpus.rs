//! Writes a generated Jekyll corpus (see `inkgraph::gen_corpus`) into a new or empty folder.
//!
//! ```sh
//! cargo run --release --example gen_corpus -- --posts 10000 --seed 42 /tmp/corpus-10k
//! ```

use inkgraph::gen_corpus::{generate, GenOptions};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: gen_corpus [--posts N] [--seed S] OUT";

fn main() -> ExitCode {
    let mut options = GenOptions {
        posts: 1_000,
        seed: 42,
    };
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let number = |value: Option<String>| value.and_then(|v| v.parse::<u64>().ok());
        match arg.as_str() {
            "--posts" => match number(args.next()) {
                Some(n) => options.posts = n as usize,
                None => return fail("--posts takes a number"),
            },
            "--seed" => match number(args.next()) {
                Some(n) => options.seed = n,
                None => return fail("--seed takes a number"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with('-') || out.is_some() => {
                return fail(&format!("unexpected argument {arg}"))
            }
            _ => out = Some(PathBuf::from(arg)),
        }
    }
    let Some(out) = out else {
        return fail("missing OUT folder");
    };
    match generate(&options, &out) {
        Ok(summary) => {
            println!(
                "wrote {} posts ({:.1} MB) to {}",
                summary.posts,
                summary.bytes as f64 / 1e6,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot generate into {}: {e}", out.display())),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("gen_corpus: {message}\n{USAGE}");
    ExitCode::from(2)
}
