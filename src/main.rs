//! The `inkgraph` command line: a thin layer over the library.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use inkgraph::check::CheckReport;
use inkgraph::graph::{self, LoadOptions, Visibility};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "inkgraph",
    version,
    about = "A fast GraphQL content API over a Jekyll-style blog folder"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the content folder and report counts and problems; exits 1 when any ERROR exists.
    Check {
        #[command(flatten)]
        content: ContentArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Where the blog is and which posts are shown.
#[derive(clap::Args)]
struct ContentArgs {
    /// The blog's root folder (a Jekyll site or a plain folder of Markdown).
    #[arg(long, env = "INKGRAPH_CONTENT", default_value = "./content")]
    content: PathBuf,
    /// Include posts from `_drafts` folders (like `jekyll --drafts`).
    #[arg(long, env = "INKGRAPH_DRAFTS")]
    drafts: bool,
    /// Include posts dated in the future (like `jekyll --future`).
    #[arg(long, env = "INKGRAPH_FUTURE")]
    future: bool,
}

impl ContentArgs {
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            root: self.content.clone(),
            visibility: Visibility {
                drafts: self.drafts,
                future: self.future,
            },
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Exit code when the content folder cannot be used at all.
const EXIT_BAD_CONTENT_ROOT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { content, format } => {
            let snapshot = match graph::load(&content.load_options()) {
                Ok(snapshot) => snapshot,
                Err(err) => {
                    eprintln!("error: {err}");
                    return Ok(ExitCode::from(EXIT_BAD_CONTENT_ROOT));
                }
            };
            let report = CheckReport::new(&snapshot);
            match format {
                Format::Text => print!("{}", report.to_text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).context("serializing the report")?
                ),
            }
            Ok(if report.error_count() > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
