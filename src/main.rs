//! The `bilat` command line: parses arguments and calls the library. Errors are printed here, once.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "bilat", version, about = "Build sourced explainers of the relations between two countries")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output dir (default: <root>/public)
    Build {
        /// The site's root folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site
        #[arg(long)]
        output: Option<PathBuf>,
        /// Override base_url from site.yaml (e.g. https://owner.github.io/repo/)
        #[arg(long)]
        base_url: Option<String>,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build { root, output, base_url, drafts } => {
            let opts = bilat::BuildOptions { root, output, base_url, drafts, base_path: None };
            bilat::build(&opts).map(|report| {
                for w in &report.warnings {
                    eprintln!("{w}");
                }
                println!(
                    "built {} pages ({} files) in {} ms",
                    report.pages,
                    report.files,
                    report.elapsed.as_millis()
                );
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
