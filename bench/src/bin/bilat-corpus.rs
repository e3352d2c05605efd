//! Generates a deterministic benchmark corpus: `bilat-corpus <N> <out> [--hugo <dir>]`.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bilat-corpus",
    about = "Generate a deterministic benchmark site of N topics"
)]
struct Cli {
    /// Number of topic pages
    topics: usize,
    /// Where to write the bilat site (replaced if it exists)
    out: PathBuf,
    /// Also write the same content as a minimal Hugo site here (replaced if it exists)
    #[arg(long)]
    hugo: Option<PathBuf>,
    /// Repository root to copy layouts/ and assets/ from
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    layouts_from: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = corpus::CorpusOptions {
        topics: cli.topics,
        out: cli.out,
        layouts_from: cli.layouts_from,
        hugo_out: cli.hugo,
    };
    match corpus::generate(&opts) {
        Ok(r) => {
            println!(
                "generated {} topics ({} words, {}–{} per topic, {} sources, {} people, {} terms, {} tags) in {}",
                r.topics,
                r.words,
                r.min_words,
                r.max_words,
                r.sources,
                r.people,
                r.terms,
                r.tags,
                opts.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bilat-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}
