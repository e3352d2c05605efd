//! The one render path of every command: a prepared [`Build`] (the checked model, its compiled
//! templates and its views) renders any set of [`Job`]s into a [`Sink`] the caller chooses — the
//! staging dir for `build`, a buffer written if changed for `watch` and `serve`, one entry per job
//! for `check` (as ripgrep's searcher hands matches to a `Sink`).
//!
//! It owns template loading for a site, the executor (jobs rendered in parallel, each job's files
//! handed to the sink on the calling thread as soon as they are made), the render watchdog's
//! reports, the search index and redirect pages. What to render is [`crate::jobs`]; what templates
//! see is [`crate::views`]; where files go is [`crate::output`].

use crate::content::PageKind;
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::jobs::{self, Job, Listing, SEARCH_DIR};
use crate::output::Output;
use crate::render::{self, Helpers, Templates};
use crate::site::Site;
use crate::views::{self, Paging, Views};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

/// Everything rendering needs, derived once from the loaded site.
pub struct Build {
    pub site: Site,
    pub templates: Templates,
    pub views: Views,
    /// What `build` may keep of the previous output; none for `watch`, `serve` and `check`.
    pub cache: Option<crate::render_cache::EditionCache>,
}

impl Build {
    /// Compiles the templates and converts the views of a loaded site.
    pub fn prepare(site: Site) -> Result<Build> {
        let templates = templates(&site, site.asset_hashes.clone())?;
        let views = views::build(&site, &templates);
        Ok(Build {
            site,
            templates,
            views,
            cache: None,
        })
    }

    /// Every job of the site as it stands.
    pub fn jobs(&self) -> Vec<Job> {
        jobs::plan(&self.site, &self.views, &self.templates)
    }
}

/// Compiles the site's layouts with the helpers it needs (`asset()` bakes in `asset_hashes`).
pub fn templates(site: &Site, asset_hashes: HashMap<String, String>) -> Result<Templates> {
    let mut diags = Diagnostics::default();
    let helpers = Helpers {
        base_path: site.base_path.clone(),
        asset_base_path: site.edition.root_base_path.clone(),
        elsewhere: std::sync::Arc::new(site.edition.elsewhere.clone()),
        base_url: site.base_url.clone(),
        asset_hashes,
        language: site.config.language.clone(),
    };
    let t = Templates::load(&site.root, site.config.theme, helpers, &mut diags);
    diags.into_result()?;
    t.ok_or_else(|| {
        Error::Build(vec![Diagnostic::error(
            render::LAYOUTS_DIR,
            None,
            "templates failed to load",
        )])
    })
}

/// Where rendered files go. Called on the thread that asked for the render, once per job that
/// rendered, as soon as it has; an error stops the writing (the render still reports every
/// template failure).
pub trait Sink {
    fn accept(&mut self, job: &Job, outputs: Vec<Output>) -> Result<()>;

    /// Files the render cache kept from the previous output, already linked into the staging
    /// dir. Only a build's render has a cache: other sinks never see one.
    fn keep(&mut self, _job: &Job, paths: Vec<String>) -> Result<()> {
        Err(Error::Build(vec![internal(format!(
            "{} kept files reached a sink without a previous output",
            paths.len()
        ))]))
    }
}

/// Every job's files, kept: for `check`, which needs to know which job wrote which file, and for
/// `watch`, which writes only after every job of a rebuild succeeded.
#[derive(Default)]
pub struct Collect {
    pub jobs: Vec<(Job, Vec<Output>)>,
}

impl Sink for Collect {
    fn accept(&mut self, job: &Job, outputs: Vec<Output>) -> Result<()> {
        self.jobs.push((job.clone(), outputs));
        Ok(())
    }
}

impl Collect {
    /// The files alone.
    pub fn outputs(self) -> Vec<Output> {
        self.jobs.into_iter().flat_map(|(_, o)| o).collect()
    }
}

/// Writes each job's files into a build's staging dir as they are rendered, so that memory holds
/// the model and the pages being rendered, whatever the size of the site.
pub struct Staged<'a>(pub &'a crate::output::Staging);

impl Sink for Staged<'_> {
    fn accept(&mut self, _: &Job, outputs: Vec<Output>) -> Result<()> {
        self.0.write(&outputs)
    }

    fn keep(&mut self, _: &Job, paths: Vec<String>) -> Result<()> {
        self.0.kept(&paths)
    }
}

/// Another sink, with every file put under an edition's folder (`ru/`): an edition renders its
/// pages at paths within the edition, and only the output knows where the edition lives.
pub struct InFolder<'a, S: Sink> {
    pub folder: &'a str,
    pub inner: &'a mut S,
}

impl<S: Sink> Sink for InFolder<'_, S> {
    fn accept(&mut self, job: &Job, mut outputs: Vec<Output>) -> Result<()> {
        if !self.folder.is_empty() {
            for o in &mut outputs {
                o.path.insert_str(0, self.folder);
            }
        }
        self.inner.accept(job, outputs)
    }

    fn keep(&mut self, job: &Job, mut paths: Vec<String>) -> Result<()> {
        if !self.folder.is_empty() {
            for p in &mut paths {
                p.insert_str(0, self.folder);
            }
        }
        self.inner.keep(job, paths)
    }
}

/// What a job made of one file: new bytes, or the previous output's file kept (linked by the
/// render cache).
enum Made {
    File(Output),
    Kept(String),
}

impl From<Output> for Made {
    fn from(o: Output) -> Made {
        Made::File(o)
    }
}

/// A job that failed, and the content page it was rendering (for template errors).
struct JobFailure {
    diagnostic: Diagnostic,
    page: Option<PathBuf>,
}

/// What the render thread tells the caller.
enum Event {
    Done(usize, std::result::Result<Vec<Made>, Box<JobFailure>>),
    /// The watchdog found a render that runs away; the rest of the render is abandoned.
    Runaway(Diagnostic),
}

/// Renders `jobs` in parallel and hands each job's files to `sink`. Every template failure is
/// reported; a template that runs away (see [`render::watchdog`]) fails the render at once with
/// its file and line, leaving its thread behind: Tera cannot be interrupted, so it runs on until
/// the process ends, holding its own reference to `build`. Returns how many HTML pages were made.
pub fn render(build: &Arc<Build>, jobs: Vec<Job>, sink: &mut impl Sink) -> Result<usize> {
    let count = jobs.len();
    let jobs = Arc::new(jobs);
    let (tx, rx) = mpsc::channel::<Event>();
    let thread = {
        let (build, jobs, tx) = (build.clone(), jobs.clone(), tx.clone());
        std::thread::Builder::new()
            .name("bilat-render".into())
            .spawn(move || {
                let cancelled = Arc::new(AtomicBool::new(false));
                let runaway = tx.clone();
                let stop = cancelled.clone();
                let report: render::watchdog::Report = Arc::new(move |d: Diagnostic| {
                    stop.store(true, Ordering::Relaxed);
                    let _ = runaway.send(Event::Runaway(d));
                });
                let minify = build.site.config.minify;
                let run = || {
                    (0..jobs.len()).into_par_iter().for_each_with(tx, |tx, n| {
                        // After a runaway the render is abandoned: start no more jobs.
                        if cancelled.load(Ordering::Relaxed) {
                            return;
                        }
                        let r = render::watchdog::reporting_to(&report, || {
                            render_job(&build, &jobs[n], minify)
                        });
                        let _ = tx.send(Event::Done(n, r));
                    })
                };
                // Threads of their own: a runaway render never gives its thread back, and must
                // not take one of the pool the rest of the process (and the next rebuild) uses.
                match rayon::ThreadPoolBuilder::new()
                    .num_threads(rayon::current_num_threads())
                    .thread_name(|n| format!("bilat-render-{n}"))
                    .build()
                {
                    Ok(pool) => pool.install(run),
                    Err(_) => run(),
                }
            })
            .map_err(|e| Error::Build(vec![internal(format!("cannot start rendering: {e}"))]))?
    };
    drop(tx);
    let mut pages = 0;
    let mut failures = Vec::new();
    let mut write_error = None;
    for _ in 0..count {
        match rx.recv() {
            Ok(Event::Done(n, Ok(made))) => {
                let (mut outputs, mut kept) = (Vec::new(), Vec::new());
                for m in made {
                    match m {
                        Made::File(o) => outputs.push(o),
                        Made::Kept(path) => kept.push(path),
                    }
                }
                pages += outputs.iter().filter(|o| o.path.ends_with(".html")).count();
                pages += kept.iter().filter(|p| p.ends_with(".html")).count();
                if write_error.is_none() {
                    let written = if kept.is_empty() {
                        Ok(())
                    } else {
                        sink.keep(&jobs[n], kept)
                    };
                    if let Err(e) = written.and_then(|()| sink.accept(&jobs[n], outputs)) {
                        write_error = Some(e);
                    }
                }
            }
            Ok(Event::Done(_, Err(f))) => failures.push(*f),
            Ok(Event::Runaway(d)) => return Err(Error::Build(vec![d])),
            // The render thread ended before every job reported: a bug, not the site's fault.
            Err(_) => {
                return Err(Error::Build(vec![internal(
                    "rendering stopped before every page was made".into(),
                )]))
            }
        }
    }
    // Every job reported: the thread is ending. Waiting for it lets the caller have `build` to
    // itself again (`watch` updates it in place).
    let _ = thread.join();
    if let Some(e) = write_error {
        return Err(e);
    }
    report_failures(failures)?;
    Ok(pages)
}

fn internal(message: String) -> Diagnostic {
    Diagnostic::error(
        render::LAYOUTS_DIR,
        None,
        format!("internal error: {message}"),
    )
}

fn render_job(
    build: &Build,
    job: &Job,
    minify: bool,
) -> std::result::Result<Vec<Made>, Box<JobFailure>> {
    let page_file = match job {
        Job::Page(i) => Some(build.site.pages[*i].shown.clone()),
        _ => None,
    };
    render_job_inner(build, job, minify).map_err(|diagnostic| {
        // A missing layout is the page's own mistake, already located in its file.
        let page = if diagnostic.file.starts_with(crate::content::CONTENT_DIR) {
            None
        } else {
            page_file
        };
        Box::new(JobFailure { diagnostic, page })
    })
}

/// Renders one job.
fn render_job_inner(
    build: &Build,
    job: &Job,
    minify: bool,
) -> std::result::Result<Vec<Made>, Diagnostic> {
    let site = &build.site;
    let files = |outputs: Vec<Output>| outputs.into_iter().map(Made::from).collect();
    Ok(match job {
        Job::Page(i) => render_listing(build, Listing::Page(*i), 1, minify)?,
        Job::Generated(g) => render_listing(build, Listing::Generated(*g), 1, minify)?,
        Job::Tag(t) => render_listing(build, Listing::Tag(*t), 1, minify)?,
        Job::Pager { of, number } => render_listing(build, *of, *number, minify)?,
        Job::Alias { from, page } => {
            let to = site.url(&site.pages[*page].path);
            let dir = from.trim_matches('/');
            files(vec![Output {
                path: format!("{dir}/index.html"),
                bytes: redirect_html(&to).into_bytes(),
            }])
        }
        Job::SearchIndex => search_index(site, build.cache.as_ref()),
        // .nojekyll, CNAME, robots.txt, sitemap.xml, atom.xml: see crate::publish.
        Job::PagesFiles => files(crate::publish::files(site, &build.views, &build.templates)),
    })
}

/// Renders page `number` (from 1) of a page that can list; only paginated ones have pages past
/// the first.
fn render_listing(
    build: &Build,
    of: Listing,
    number: usize,
    minify: bool,
) -> std::result::Result<Vec<Made>, Diagnostic> {
    let Build {
        site,
        templates,
        views,
        cache,
    } = build;
    // A paginated page is written at `<path>page/<n>/` and told which slice it shows.
    fn on_page<'c>(
        build: &Build,
        of: Listing,
        number: usize,
        ctx: &mut views::Ctx<'c>,
        path: &str,
    ) -> String {
        let Build {
            site,
            templates,
            views,
            ..
        } = build;
        let mut file = Paging::page_path(path, number);
        if let Some(list) = jobs::paged_list(site, templates, of) {
            ctx.insert("current_url", &site.url(&file));
            ctx.insert_value("paginator", views.paginator(site, list, path, number));
        }
        if file.is_empty() || file.ends_with('/') {
            file.push_str("index.html");
        }
        file
    }
    Ok(match of {
        Listing::Page(i) => {
            let layout = site.layout_of(i);
            let page = &site.pages[i];
            if !templates.has(layout) {
                let mut names: Vec<&str> = templates.tera.get_template_names().collect();
                names.sort();
                return Err(Diagnostic::error(
                    &page.shown,
                    page.line_of_key("layout").or(Some(1)),
                    format!(
                        "layout `{layout}` not found in layouts/ nor among the built-in layouts"
                    ),
                )
                .with_help(
                    match crate::text::did_you_mean(layout, names.iter().copied()) {
                        Some(b) => format!("did you mean `{b}`?"),
                        None => format!("available layouts: {}", names.join(", ")),
                    },
                ));
            }
            let rendered = site.page_markdown(i)?;
            let mut ctx = views::page_context(site, views, i, &rendered, cache.is_some());
            let file = on_page(build, of, number, &mut ctx, &page.path);
            vec![page_file(templates, cache, layout, ctx, minify, file)?]
        }
        Listing::Generated(g) => {
            // In the edition's language (`site.config.language` is the edition's).
            let title = templates
                .strings
                .plain(&site.config.language, g.title_key())
                .unwrap_or_else(|| g.title().to_string());
            let mut ctx =
                views::generated_context(site, views, &title, g.path(), None, cache.is_some());
            let file = on_page(build, of, number, &mut ctx, g.path());
            vec![page_file(
                templates,
                cache,
                g.template(),
                ctx,
                minify,
                file,
            )?]
        }
        Listing::Tag(t) => {
            let (name, _) = &views.tags[t];
            let path = format!("tags/{}/", crate::text::slugify(name));
            let mut ctx =
                views::generated_context(site, views, name, &path, Some(t), cache.is_some());
            let file = on_page(build, of, number, &mut ctx, &path);
            vec![page_file(
                templates,
                cache,
                jobs::TAG_TEMPLATE,
                ctx,
                minify,
                file,
            )?]
        }
    })
}

/// The files of the search index (`crate::search`) of the site's topics and pages, under
/// [`SEARCH_DIR`] beside the search page.
fn search_index(site: &Site, cache: Option<&crate::render_cache::EditionCache>) -> Vec<Made> {
    fn headings<'a>(toc: &'a [crate::markdown::TocEntry], out: &mut Vec<&'a str>) {
        for t in toc {
            out.push(&t.title);
            headings(&t.children, out);
        }
    }
    let docs: Vec<crate::search::Doc> = site
        .pages
        .iter()
        .zip(&site.rendered)
        .filter(|(p, _)| p.kind == PageKind::Page)
        .map(|(p, r)| {
            let mut heads = Vec::new();
            headings(&r.toc, &mut heads);
            crate::search::Doc {
                url: site.url(&p.path),
                title: &p.meta.title,
                summary: p.meta.summary.as_deref().unwrap_or(""),
                tags: &p.meta.tags,
                headings: heads,
                // The opening words only (`markdown::OPENING_WORDS`): what the site keeps.
                text: &r.text,
            }
        })
        .collect();
    // The index is made from its documents alone: the same documents, the same files.
    let fingerprint = cache.and_then(|_| {
        let mut f = crate::fingerprint::Fingerprinter::default();
        f.bytes(site.config.language.as_bytes());
        for d in &docs {
            f.bytes(d.url.as_bytes());
            for text in [d.title, d.summary, d.text] {
                f.bytes(text.as_bytes());
            }
            f.add("tags", d.tags);
            f.add("headings", &d.headings);
        }
        f.finish()
    });
    if let (Some(cache), Some(fingerprint)) = (cache, fingerprint) {
        if let Some(kept) = cache.keep_all(SEARCH_DIR, fingerprint) {
            return kept.into_iter().map(Made::Kept).collect();
        }
    }
    crate::search::build(&docs, &site.config.language)
        .into_iter()
        .map(|f| {
            let path = format!("{SEARCH_DIR}{}", f.path);
            if let (Some(cache), Some(fingerprint)) = (cache, fingerprint) {
                cache.record(&path, fingerprint);
            }
            Made::File(Output {
                path,
                bytes: f.bytes,
            })
        })
        .collect()
}

/// One template mistake fails every page using it: it is reported once, with a count.
fn report_failures(all: Vec<JobFailure>) -> Result<()> {
    if all.is_empty() {
        return Ok(());
    }
    let mut failures: Vec<(Diagnostic, Vec<PathBuf>)> = Vec::new();
    for JobFailure { diagnostic, page } in all {
        match failures.iter_mut().find(|(d, _)| *d == diagnostic) {
            Some((_, pages)) => pages.extend(page),
            None => failures.push((diagnostic, page.into_iter().collect())),
        }
    }
    let mut diags = Diagnostics::default();
    for (mut d, mut pages) in failures {
        // Pages render in parallel: name the same one whatever the order they failed in.
        pages.sort();
        if let Some(first) = pages.first() {
            d.message = match pages.len() {
                1 => format!("{} (while rendering {})", d.message, first.display()),
                n => format!(
                    "{} (while rendering {} and {} other pages)",
                    d.message,
                    first.display(),
                    n - 1
                ),
            };
        }
        diags.push(d);
    }
    Err(Error::Build(diags.sorted()))
}

/// Renders `template` into the output file `path`, minified if asked.
fn page_file(
    templates: &Templates,
    cache: &Option<crate::render_cache::EditionCache>,
    template: &str,
    ctx: views::Ctx<'_>,
    minify: bool,
    path: String,
) -> std::result::Result<Made, Diagnostic> {
    if let (Some(cache), Some(fingerprint)) = (cache, ctx.fingerprint()) {
        if cache.keep(template, &path, fingerprint) {
            return Ok(Made::Kept(path));
        }
    }
    let ctx = &ctx.into_tera();
    let html = templates.render(template, ctx)?;
    let bytes = if minify {
        // For the rare page onepass refuses: it rendered once, so it renders the same again.
        let again = || templates.render(template, ctx).unwrap_or_default();
        crate::minify::minify(html, &again)
    } else {
        html.into_bytes()
    };
    Ok(Made::File(Output { path, bytes }))
}

/// A page at an old URL that sends readers and crawlers to the new one.
pub fn redirect_html(to: &str) -> String {
    let mut esc = String::new();
    let _ = pulldown_cmark_escape::escape_href(&mut esc, to);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Redirecting…</title><link rel=\"canonical\" href=\"{esc}\"><meta http-equiv=\"refresh\" content=\"0; url={esc}\"><meta name=\"robots\" content=\"noindex\"></head><body><p>This page has moved to <a href=\"{esc}\">{esc}</a>.</p></body></html>\n"
    )
}
