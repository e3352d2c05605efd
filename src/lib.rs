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
pub mod minify;
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

/// Builds the site into the output dir. On any error the previous output is left as it was.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    let output = opts.output_dir();
    output::check_output_dir(&opts.root, &output)?;
    let mut site = Site::load(opts)?;
    site.shed_for_render();
    let (templates, views, mut jobs) = site.render_plan()?;
    // The site-wide pages are the longest jobs by far: started first, they run beside the topic
    // pages instead of alone at the end.
    jobs.sort_by_key(|j| matches!(j, site::Job::Page(_) | site::Job::Alias { .. }));
    let staging = output::Staging::new(&output)?;
    // Render and write a slice of pages at a time: memory stays bounded on large sites, and the
    // allocator reuses the same buffers instead of the kernel zeroing fresh pages for each file.
    let mut pages = 0;
    let mut failed: Option<Error> = None;
    for chunk in jobs.chunks(RENDER_CHUNK) {
        match site.render(&templates, &views, chunk) {
            Ok(outputs) if failed.is_none() => {
                pages += outputs.iter().filter(|o| o.path.ends_with(".html")).count();
                staging.write(&outputs)?;
            }
            Ok(_) => {}
            // Keep rendering: every problem of the build is reported, not only the first chunk's.
            Err(Error::Build(d)) => match &mut failed {
                Some(Error::Build(all)) => all.extend(d),
                _ => failed = Some(Error::Build(d)),
            },
            Err(e) => return Err(e),
        }
    }
    if let Some(Error::Build(mut all)) = failed {
        // A template mistake fails pages in every chunk: report it once.
        let base = |d: &Diagnostic| {
            d.message
                .split(" (while rendering")
                .next()
                .unwrap_or("")
                .to_string()
        };
        all.sort_by(|a, b| {
            (&a.file, a.line, a.col, base(a)).cmp(&(&b.file, b.line, b.col, base(b)))
        });
        all.dedup_by(|a, b| (&a.file, a.line, a.col, base(a)) == (&b.file, b.line, b.col, base(b)));
        return Err(Error::Build(all));
    }
    let copies: Vec<&content::StaticFile> =
        site.static_files.iter().chain(site.assets.iter()).collect();
    let files = staging.finish(&copies)?;
    drop(copies);
    let warnings = std::mem::take(&mut site.warnings);
    // Freeing the model takes about 0.2 s per 10,000 topics and nothing needs to wait for it:
    // it happens beside whatever the caller does next, or not at all if the process exits first.
    std::thread::spawn(move || drop((site, views, templates, jobs)));
    Ok(BuildReport {
        pages,
        files,
        warnings,
        elapsed: start.elapsed(),
    })
}

/// How many rendering jobs `build` holds in memory at once.
const RENDER_CHUNK: usize = 512;
