//! bilat: a static site generator for sourced explainers of the relations between two countries.
//!
//! The library is a pipeline of stages, each in its own module:
//! [`config`] (site.yaml) → [`content`] + [`frontmatter`] + [`registry`] (load) →
//! [`site`] (model and checks) → [`markdown`] → [`views`] + [`render`] (templates) → [`output`].
//! [`build`] runs them once; `watch` and `serve` keep the model in memory and re-run parts of it.

pub mod check;
pub mod config;
pub mod content;
pub mod corpus;
pub mod error;
pub mod frontmatter;
pub mod markdown;
pub mod output;
pub mod publish;
pub mod registry;
pub mod render;
pub mod scaffold;
pub mod serve;
pub mod site;
pub mod text;
pub mod views;
pub mod watch;

pub use error::{Diagnostic, Error, Result, Severity};
pub use site::{BuildOptions, Site};

use std::time::{Duration, Instant};

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
}

/// Loads, checks and renders the site, all in memory, without writing anything.
pub fn render_site(opts: &BuildOptions) -> Result<(Site, Vec<site::Output>)> {
    let site = Site::load(opts)?;
    let templates = site.templates()?;
    let views = views::build(&site);
    let jobs = site.jobs(&views, &templates);
    let outputs = site.render(&templates, &views, &jobs)?;
    Ok((site, outputs))
}

/// Builds the site into the output dir. On any error the previous output is left as it was.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    let output = opts.output_dir();
    output::check_output_dir(&opts.root, &output)?;
    let (site, outputs) = render_site(opts)?;
    let copies: Vec<&content::StaticFile> =
        site.static_files.iter().chain(site.assets.iter()).collect();
    let files = output::write_site(&output, &outputs, &copies)?;
    Ok(BuildReport {
        pages: outputs.iter().filter(|o| o.path.ends_with(".html")).count(),
        files,
        warnings: site.warnings,
        elapsed: start.elapsed(),
    })
}
