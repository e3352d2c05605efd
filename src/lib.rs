//! bilat: a static site generator for sourced explainers of the relations between two countries.
//!
//! The library is a pipeline of stages, each in its own module, each using only the ones before:
//! load ([`config`] for site.yaml, [`content`] + [`frontmatter`] + [`registry`]) → model
//! ([`site`]: index, checks, [`markdown`]) → [`views`] (what templates see) → [`render`] (the
//! templates over the built-in [`theme`]) → [`jobs`] (what to make) → [`engine`] (the one render path, into a sink) →
//! [`output`] (staging and writing). [`build`] runs them once; [`watch`] and [`serve`] keep a
//! prepared build in memory and re-run parts of it; [`check`] renders every job into a collection
//! and reads the HTML. `tests/module_graph.rs` keeps the imports among modules acyclic.

pub mod bounds;
pub mod cards;
pub mod chart;
pub mod check;
pub mod config;
pub mod content;
pub mod engine;
pub mod error;
pub mod frontmatter;
pub mod images;
pub mod jobs;
pub mod locale;
pub mod markdown;
pub mod minify;
pub mod output;
pub mod publish;
pub mod registry;
pub mod render;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod site;
pub mod sources;
pub mod text;
pub mod theme;
pub mod views;
pub mod watch;
pub mod yaml;

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
    /// Social cards drawn and taken from the cache.
    pub cards: cards::Stats,
    /// Image variants encoded and taken from the cache.
    pub images: images::Stats,
}

/// Builds the site into the output dir. On any error the previous output is left as it was.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    let output = output::check_output_dir(&opts.root, &opts.output_dir())?;
    let mut site = Site::load_with(opts, site::Retention::OneBuild)?;
    let warnings = std::mem::take(&mut site.warnings);
    let build = std::sync::Arc::new(engine::Build::prepare(site)?);
    let mut jobs = build.jobs();
    // The site-wide pages are the longest jobs by far: started first, they run beside the topic
    // pages instead of alone at the end.
    jobs.sort_by_key(|j| matches!(j, jobs::Job::Page(_) | jobs::Job::Alias { .. }));
    let staging = output::Staging::new(&output)?;
    // Each page is written as soon as it is rendered: memory holds the model and the pages being
    // rendered, whatever the size of the site, and the allocator reuses the same buffers instead
    // of the kernel zeroing fresh pages for each file.
    let pages = engine::render(&build, jobs, &mut engine::Staged(&staging))?;
    let (card_files, cards) = cards::outputs(&build.site)?;
    staging.write(&card_files)?;
    drop(card_files);
    let (image_files, images) = images::outputs(&build.site.images_shown(None))?;
    staging.write(&image_files)?;
    drop(image_files);
    let copies: Vec<&content::StaticFile> = build
        .site
        .static_files
        .iter()
        .chain(build.site.assets.iter())
        .collect();
    let files = staging.finish(&copies)?;
    drop(copies);
    // Freeing the model takes about 0.2 s per 10,000 topics and nothing needs to wait for it:
    // it happens beside whatever the caller does next, or not at all if the process exits first.
    std::thread::spawn(move || drop(build));
    Ok(BuildReport {
        pages,
        files,
        warnings,
        elapsed: start.elapsed(),
        cards,
        images,
    })
}
