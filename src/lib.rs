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
pub mod editions;
pub mod engine;
pub mod error;
pub mod fingerprint;
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
pub mod render_cache;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod site;
pub mod sources;
pub mod text;
pub mod theme;
pub mod timings;
pub mod translate;
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
    /// Files whose bytes were those of the previous output's: linked from it, not written.
    pub unchanged: usize,
    /// Of those, the ones not even made again: the render cache (`render_cache`) knew their
    /// inputs had not changed.
    pub kept: usize,
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
    /// Social cards drawn and taken from the cache.
    pub cards: cards::Stats,
    /// Image variants encoded and taken from the cache.
    pub images: images::Stats,
    /// How long each stage took.
    pub timings: timings::Timings,
}

/// Builds the site into the output dir, every edition of it. On any error the previous output is
/// left as it was.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    let mut timings = timings::Timings::start();
    let output = output::check_output_dir(&opts.root, &opts.output_dir())?;
    let mut editions = Site::load_editions_timed(opts, site::Retention::OneBuild, &mut timings)?;
    let warnings = std::mem::take(&mut editions[0].warnings);
    let staging = output::Staging::new(&output)?;
    let cache = render_cache::Cache::open(&opts.root, &output, staging.dir());
    let mut pages = 0;
    let mut builds = Vec::with_capacity(editions.len());
    for site in editions {
        let mut build = engine::Build::prepare(site)?;
        build.cache = Some(cache.for_edition(
            &build.site,
            &build.templates,
            (&build.views.site, &build.views.explainer),
        ));
        timings.lap(timings::Stage::Prepare);
        let build = std::sync::Arc::new(build);
        let mut jobs = build.jobs();
        // The site-wide pages are the longest jobs by far: started first, they run beside the
        // topic pages instead of alone at the end.
        jobs.sort_by_key(|j| matches!(j, jobs::Job::Page(_) | jobs::Job::Alias { .. }));
        // Each page is written as soon as it is rendered: memory holds the model and the pages
        // being rendered, whatever the size of the site, and the allocator reuses the same
        // buffers instead of the kernel zeroing fresh pages for each file.
        let folder = build.site.edition.prefix.clone();
        let mut staged = engine::Staged(&staging);
        let mut sink = engine::InFolder {
            folder: &folder,
            inner: &mut staged,
        };
        pages += engine::render(&build, jobs, &mut sink)?;
        timings.lap(timings::Stage::Render);
        builds.push(build);
    }
    let sites: Vec<&Site> = builds.iter().map(|b| &b.site).collect();
    let (card_files, cards) = cards::outputs_of(&sites)?;
    staging.write(&card_files)?;
    drop(card_files);
    timings.lap(timings::Stage::Cards);
    // Static files, assets and image variants are the same for every edition: made once, at
    // the root (an edition's pages link to them there).
    let (image_files, images) = match Site::images_shown_by(&sites) {
        Some(wanted) => images::outputs(&wanted)?,
        None => Default::default(),
    };
    drop(sites);
    staging.write(&image_files)?;
    drop(image_files);
    timings.lap(timings::Stage::Images);
    let first = &builds[0].site;
    let copies: Vec<&content::StaticFile> = first
        .static_files
        .iter()
        .chain(first.assets.iter())
        .collect();
    let output::Finished {
        files,
        unchanged,
        kept,
    } = staging.finish(&copies)?;
    drop(copies);
    cache.save();
    timings.lap(timings::Stage::Finish);
    // Freeing the model takes about 0.2 s per 10,000 topics and nothing needs to wait for it:
    // it happens beside whatever the caller does next, or not at all if the process exits first.
    std::thread::spawn(move || drop(builds));
    Ok(BuildReport {
        pages,
        files,
        unchanged,
        kept,
        warnings,
        elapsed: start.elapsed(),
        cards,
        images,
        timings,
    })
}
