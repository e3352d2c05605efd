//! `bilat watch`: keeps the site in memory and rebuilds it on every change to its sources.
//!
//! [`Watcher`] is the incremental engine. It knows nothing about file system events: it is given
//! changed paths ([`Watcher::apply_changes`], which the benchmark calls directly), finds out which
//! files really changed by content hash, re-reads and re-renders only what depends on them, and
//! writes only the output files whose bytes changed. A site in several editions keeps one build
//! per edition: an edited original is re-rendered in every edition (translations inherit its
//! facts and show its freshness), an edited translation only in its own. [`EventLoop`] connects it to notify: it
//! watches the sources (never the output dir), drops editor temp files, builds an edit as soon as
//! the events around it have settled (a few milliseconds; a file still open for writing is waited
//! for), gathers what arrives during a rebuild into the next one, and stops cleanly. The `bilat watch` command, which prints what they report and
//! listens for Ctrl-C, is in the binary.

use crate::bounds::Bounds;
use crate::content::{self, Page, PageKind, ASSETS_DIR, CONTENT_DIR};
use crate::engine::{self, Build};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::jobs::{self, Job, Listing};
use crate::markdown::{Rendered, OPENING_WORDS};
use crate::output::Output;
use crate::render::{Templates, LAYOUTS_DIR};
use crate::site::{BuildOptions, Site};
use crate::views::{self, List, PagedList, Views};
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher as _};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The folders of a site that are watched recursively.
pub const WATCHED_DIRS: [&str; 3] = [CONTENT_DIR, LAYOUTS_DIR, ASSETS_DIR];

/// How much work a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildKind {
    /// The files named had the same content as before: nothing was done.
    Skipped,
    /// Only what depends on the changed files was re-rendered.
    Incremental,
    /// The whole site was loaded and rendered again (site.yaml, registries, added or removed files).
    Full,
}

/// What one rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    pub kind: RebuildKind,
    /// Source files whose content changed, relative to the site root.
    pub changed: Vec<PathBuf>,
    /// Output files rendered (before comparing with what is on disk).
    pub rendered: usize,
    /// Output files written because their bytes changed, relative to the output dir.
    pub written: Vec<String>,
    /// Output files removed because the site no longer produces them.
    pub deleted: Vec<String>,
    /// Set when only stylesheets changed: their output paths, so a browser can swap them in place.
    pub css_only: Vec<String>,
    /// Every warning of the site as it now stands.
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
    /// For an incremental rebuild of a site in several editions: the codes of the editions
    /// that re-rendered something, the default first (the others' files were left as they were).
    pub editions: Vec<String>,
}

impl RebuildReport {
    fn new(kind: RebuildKind) -> Self {
        RebuildReport {
            kind,
            changed: Vec::new(),
            rendered: 0,
            written: Vec::new(),
            deleted: Vec::new(),
            css_only: Vec::new(),
            warnings: Vec::new(),
            elapsed: Duration::ZERO,
            editions: Vec::new(),
        }
    }

    /// The one line `watch` and `serve` print: what changed, what was re-rendered, how long it took.
    pub fn summary(&self) -> String {
        let what = describe_changes(&self.changed);
        let how = match self.kind {
            RebuildKind::Skipped => return format!("{what}: no content changed, nothing to do"),
            RebuildKind::Incremental => "re-rendered",
            RebuildKind::Full => "full rebuild, rendered",
        };
        let mut line = format!(
            "{what}: {how} {} file{}, wrote {}",
            self.rendered,
            plural(self.rendered),
            self.written.len()
        );
        if !self.editions.is_empty() {
            let at = line.find(", wrote").unwrap_or(line.len());
            line.insert_str(
                at,
                &format!(
                    " in edition{} {}",
                    plural(self.editions.len()),
                    self.editions.join(", ")
                ),
            );
        }
        if !self.written.is_empty() {
            line.push_str(&format!(" ({})", list_some(&self.written)));
        }
        if !self.deleted.is_empty() {
            line.push_str(&format!(
                ", removed {} ({})",
                self.deleted.len(),
                list_some(&self.deleted)
            ));
        }
        line.push_str(&format!(" in {} ms", self.elapsed.as_millis()));
        line
    }
}

/// The first few output files, as the URLs they are seen at (`topics/trade/`, `search/manifest.json`).
fn list_some(paths: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut sorted: Vec<&str> = paths
        .iter()
        .map(|p| p.strip_suffix("index.html").unwrap_or(p))
        .collect();
    // Pages first: they are what the editor is looking at.
    sorted.sort_by_key(|p| {
        (
            !(p.is_empty() || p.ends_with('/') || p.ends_with(".html")),
            *p,
        )
    });
    let mut s: Vec<String> = sorted
        .iter()
        .take(SHOWN)
        .map(|p| {
            if p.is_empty() {
                "/".to_string()
            } else {
                crate::error::printable_line(p)
            }
        })
        .collect();
    if paths.len() > SHOWN {
        s.push(format!("{} more", paths.len() - SHOWN));
    }
    s.join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `content/topics/trade.md changed`, or a count when a checkout touched many files.
pub fn describe_changes(changed: &[PathBuf]) -> String {
    // File names are the user's: no control character may reach the terminal.
    let shown = |p: &PathBuf| crate::error::printable_line(&p.display().to_string());
    match changed {
        [] => "rebuild".to_string(),
        [one] => format!("{} changed", shown(one)),
        [a, b] => format!("{} and {} changed", shown(a), shown(b)),
        [first, rest @ ..] => format!("{} and {} other files changed", shown(first), rest.len()),
    }
}

/// The incremental engine: the site in memory plus what was last written.
pub struct Watcher {
    opts: BuildOptions,
    root: PathBuf,
    /// `root` resolved, to relate notify's absolute paths to the site.
    root_abs: PathBuf,
    output: PathBuf,
    /// The last good build; shared with the render thread while a rebuild renders.
    state: Option<Arc<Build>>,
    /// The other editions' builds, in site.yaml's order, kept with `state` so that an edit
    /// re-renders only the editions it reaches.
    editions: Vec<Arc<Build>>,
    /// Content hash of every source file (relative to the root) as of the last good build.
    inputs: HashMap<PathBuf, u64>,
    /// Files of a failed rebuild, tried again with the next change.
    pending: BTreeSet<PathBuf>,
    /// Hash of every output file as last written (relative to the output dir).
    written: HashMap<String, u64>,
    failed: bool,
    /// A change of stylesheets alone, written ahead of the pages that link them (see
    /// [`Watcher::finish_deferred`]).
    deferred: Option<Vec<(PathBuf, Option<u64>)>>,
    /// The hashes of those stylesheets, which the pages do not link yet.
    ahead: HashMap<String, String>,
}

/// Files that are not sources even inside a watched folder: editor swap, backup and lock files.
fn is_ignored(rel: &Path) -> bool {
    rel.components().any(|c| match c {
        Component::Normal(name) => {
            let name = name.to_string_lossy();
            // JetBrains IDEs save through `x___jb_tmp___` and keep `x___jb_old___` for a moment.
            content::is_ignored_name(&name)
                || name.ends_with("___jb_tmp___")
                || name.ends_with("___jb_old___")
        }
        _ => true,
    })
}

/// Whether a path relative to the site root is one of the site's sources.
fn is_source(rel: &Path) -> bool {
    let mut comps = rel.components();
    let first = match comps.next() {
        Some(Component::Normal(f)) => f.to_string_lossy(),
        _ => return false,
    };
    let watched = if first == crate::config::CONFIG_FILE {
        comps.next().is_none()
    } else {
        WATCHED_DIRS.contains(&first.as_ref())
    };
    watched && !is_ignored(rel)
}

/// [`hash_file`] for a path an event named, which nothing has checked yet.
fn hash_changed(bounds: &Bounds, path: &Path) -> Option<u64> {
    // A link out of the site is never read (it may be /proc/self/environ or /dev/zero): what it
    // points at stands for its content, so a new or changed link still starts a rebuild, whose
    // loaders report it.
    if let Err(e) = bounds.check(path) {
        let marker = format!("link out of the site: {}", e.target.display());
        return Some(crate::output::hash(marker.as_bytes()));
    }
    hash_file(path)
}

/// The content hash of a source file that [`walk_sources`] listed (so inside the site).
fn hash_file(path: &Path) -> Option<u64> {
    // A directory, a missing file and a FIFO or device (reading one would block or never end)
    // have no content; all read as "absent".
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    std::fs::read(path).ok().map(|b| crate::output::hash(&b))
}

/// Every source file under `dir` (relative to the root), as the loaders see them: links out
/// of the site are not entered (the loaders report them).
fn walk_sources(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let bounds = Bounds::new(root);
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            (e.depth() == 0 || !content::is_ignored_name(&e.file_name().to_string_lossy()))
                && !((e.depth() == 0 || e.path_is_symlink()) && bounds.check(e.path()).is_err())
        })
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .collect()
}

/// What a set of changed files asks for.
#[derive(Default)]
struct Plan {
    full: bool,
    /// Content pages to re-read, by index into `Site::pages`.
    pages: Vec<usize>,
    /// Non-Markdown files under content/ to copy (output path, file).
    statics: Vec<(String, PathBuf)>,
    /// Files under assets/ to copy (output path, file).
    assets: Vec<(String, PathBuf)>,
    layouts: bool,
    /// Edited translations: (edition code, index of the page in every edition's `Site::pages`).
    translations: Vec<(String, usize)>,
}

impl Plan {
    /// Whether the change is of stylesheets under assets/ and nothing else.
    fn is_css_only(&self) -> bool {
        !self.full
            && self.pages.is_empty()
            && self.translations.is_empty()
            && self.statics.is_empty()
            && !self.layouts
            && !self.assets.is_empty()
            && self.assets.iter().all(|(rel, _)| rel.ends_with(".css"))
    }
}

impl Watcher {
    /// Prepares to build `opts` into its output dir. Refuses output dirs inside the sources.
    pub fn new(opts: BuildOptions) -> Result<Watcher> {
        let output = crate::output::check_output_dir(&opts.root, &opts.output_dir())?;
        let root = opts.root.clone();
        let root_abs = std::fs::canonicalize(&root).map_err(|e| Error::io(&root, e))?;
        Ok(Watcher {
            opts,
            root,
            root_abs,
            output,
            state: None,
            deferred: None,
            ahead: HashMap::new(),
            editions: Vec::new(),
            inputs: HashMap::new(),
            pending: BTreeSet::new(),
            written: HashMap::new(),
            failed: false,
        })
    }

    pub fn output_dir(&self) -> &Path {
        &self.output
    }

    /// The base path of the last good build, if there is one.
    pub fn base_path(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.site.base_path.as_str())
    }

    /// The cache-busting hash `asset()` puts on an asset's URL, as of the last good build.
    pub fn asset_hash(&self, rel: &str) -> Option<&str> {
        if let Some(h) = self.ahead.get(rel) {
            return Some(h);
        }
        self.state
            .as_ref()?
            .site
            .asset_hashes
            .get(rel)
            .map(String::as_str)
    }

    /// Whether the last rebuild failed (the output still holds the build before it).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The files of the last failed rebuild, relative to the root.
    pub fn pending(&self) -> Vec<PathBuf> {
        self.pending.iter().cloned().collect()
    }

    /// Loads, renders and writes the whole site. On error the output dir is left as it was and
    /// the next change tries again.
    pub fn build_all(&mut self) -> Result<RebuildReport> {
        let start = Instant::now();
        let result = self.full();
        self.finish(start, Vec::new(), result)
    }

    /// Rebuilds after `paths` changed (absolute, or relative to the root). Paths that are not
    /// sources, and files whose content did not change, are ignored.
    pub fn apply_changes(&mut self, paths: &[PathBuf]) -> Result<RebuildReport> {
        let start = Instant::now();
        let retried: Vec<PathBuf> = self.pending.iter().cloned().collect();
        let mut candidates = std::mem::take(&mut self.pending);
        // Stylesheets written ahead whose pages were not made yet are still changes.
        candidates.extend(self.deferred.take().into_iter().flatten().map(|(p, _)| p));
        for p in paths {
            if let Some(rel) = self.relative(p) {
                if is_source(&rel) {
                    candidates.insert(rel);
                }
            }
        }
        let files = self.expand(candidates);
        let bounds = Bounds::new(&self.root);
        let changed: Vec<(PathBuf, Option<u64>)> = files
            .into_par_iter()
            .filter_map(|rel| {
                let now = hash_changed(&bounds, &self.root.join(&rel));
                (self.inputs.get(&rel).copied() != now).then_some((rel, now))
            })
            .collect();
        let mut changed_paths: Vec<PathBuf> = changed.iter().map(|(p, _)| p.clone()).collect();
        changed_paths.sort();
        if changed.is_empty() && !self.failed && self.state.is_some() {
            let mut report = RebuildReport::new(RebuildKind::Skipped);
            report.elapsed = start.elapsed();
            return Ok(report);
        }
        let plan = self.plan(&changed);
        // A stylesheet alone is written at once, for an open page to swap within milliseconds;
        // the pages that link it by its new hash are made next (`finish_deferred`), which on a
        // large site takes seconds.
        if !self.failed && self.state.is_some() && plan.is_css_only() {
            if let Ok(report) = self.css_ahead(&plan) {
                self.deferred = Some(changed);
                return self.finish(start, changed_paths, Ok(report));
            }
        }
        self.rebuild(start, changed, changed_paths, retried)
    }

    /// The rest of a change whose stylesheets [`Watcher::apply_changes`] wrote ahead: the pages
    /// made again with the stylesheets' new hashes. `None` when nothing waits.
    pub fn finish_deferred(&mut self) -> Option<Result<RebuildReport>> {
        let changed = self.deferred.take()?;
        let paths: Vec<PathBuf> = changed.iter().map(|(p, _)| p.clone()).collect();
        let r = self.rebuild(Instant::now(), changed, paths, Vec::new());
        self.ahead.clear();
        Some(r)
    }

    /// Writes the stylesheets of a change of stylesheets alone.
    fn css_ahead(&mut self, plan: &Plan) -> Result<RebuildReport> {
        let copies: Vec<Output> = plan
            .assets
            .iter()
            .map(|(rel, file)| {
                std::fs::read(file)
                    .map(|bytes| Output {
                        path: rel.clone(),
                        bytes,
                    })
                    .map_err(|e| Error::io(file, e))
            })
            .collect::<Result<_>>()?;
        let mut report = RebuildReport::new(RebuildKind::Incremental);
        report.written = crate::output::write_changed(&self.output, &copies, &mut self.written)?;
        self.ahead = copies
            .iter()
            .map(|c| (c.path.clone(), crate::site::short_hash(&c.bytes)))
            .collect();
        report.css_only = copies.into_iter().map(|c| c.path).collect();
        Ok(report)
    }

    /// Rebuilds for `changed` (source, new content hash), incrementally where it can.
    fn rebuild(
        &mut self,
        start: Instant,
        changed: Vec<(PathBuf, Option<u64>)>,
        changed_paths: Vec<PathBuf>,
        retried: Vec<PathBuf>,
    ) -> Result<RebuildReport> {
        let plan = self.plan(&changed);
        let result = if plan.full || self.state.is_none() {
            self.full()
        } else {
            match self.incremental(&plan) {
                Ok(Some(report)) => {
                    for (rel, h) in &changed {
                        match h {
                            Some(h) => self.inputs.insert(rel.clone(), *h),
                            None => self.inputs.remove(rel),
                        };
                    }
                    Ok(report)
                }
                Ok(None) => self.full(),
                Err(e) => Err(e),
            }
        };
        if result.is_err() {
            self.pending = changed_paths.iter().cloned().collect();
        }
        // A fix that restores a file's last good content changes nothing, but ends the failure.
        let shown = if changed_paths.is_empty() {
            retried
        } else {
            changed_paths
        };
        self.finish(start, shown, result)
    }

    fn finish(
        &mut self,
        start: Instant,
        changed: Vec<PathBuf>,
        result: Result<RebuildReport>,
    ) -> Result<RebuildReport> {
        self.failed = result.is_err();
        result.map(|mut r| {
            r.changed = changed;
            r.elapsed = start.elapsed();
            r
        })
    }

    /// The path relative to the site root, if it is inside it.
    fn relative(&self, p: &Path) -> Option<PathBuf> {
        if let Ok(rel) = p.strip_prefix(&self.root_abs) {
            return Some(rel.to_path_buf());
        }
        if let Ok(rel) = p.strip_prefix(&self.root) {
            return Some(rel.to_path_buf());
        }
        if p.is_relative() {
            return Some(p.to_path_buf());
        }
        // A path through a symlink to the root, or a root given through one.
        let parent = p.parent()?;
        let resolved = std::fs::canonicalize(parent).ok()?.join(p.file_name()?);
        resolved
            .strip_prefix(&self.root_abs)
            .ok()
            .map(Path::to_path_buf)
    }

    /// Turns folders (created, renamed, deleted) into the files they hold and held.
    fn expand(&self, candidates: BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
        let mut files = BTreeSet::new();
        for rel in candidates {
            let abs = self.root.join(&rel);
            if abs.is_dir() {
                files.extend(
                    walk_sources(&self.root, &abs)
                        .into_iter()
                        .filter(|f| is_source(f)),
                );
                files.extend(
                    self.inputs
                        .keys()
                        .filter(|k| k.starts_with(&rel) && **k != rel)
                        .cloned(),
                );
            } else {
                if !abs.exists() {
                    files.extend(
                        self.inputs
                            .keys()
                            .filter(|k| k.starts_with(&rel) && **k != rel)
                            .cloned(),
                    );
                }
                files.insert(rel);
            }
        }
        files
    }

    /// Decides what each changed file asks for; anything that changes the set of pages or the
    /// registries is a full rebuild.
    fn plan(&self, changed: &[(PathBuf, Option<u64>)]) -> Plan {
        let mut plan = Plan::default();
        let Some(state) = &self.state else {
            plan.full = true;
            return plan;
        };
        let site = &state.site;
        let bounds = Bounds::new(&self.root);
        for (rel, now) in changed {
            // A file that became a link out of the site: the full rebuild's loaders refuse it
            // with a message, where a copy or a page re-read here would follow it.
            if bounds.check(&self.root.join(rel)).is_err() {
                plan.full = true;
                continue;
            }
            let comps: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let rest = comps.get(1..).map(|r| r.join("/")).unwrap_or_default();
            let exists = now.is_some();
            match comps.first().map(String::as_str) {
                Some(CONTENT_DIR)
                    if exists && comps.get(1).is_some_and(|c| c != crate::registry::DATA_DIR) =>
                {
                    if rest.ends_with(".md") {
                        match site.by_content_path.get(&rest) {
                            Some(&i) => plan.pages.push(i),
                            None => match self.edited_translation(&rest) {
                                Some(t) => plan.translations.push(t),
                                // A new page or translation: other pages list it, other
                                // editions' switchers link it.
                                None => plan.full = true,
                            },
                        }
                    } else if site.static_files.iter().any(|f| f.rel == rest)
                        // A resized image changes its variants and maybe its page: a full build.
                        && crate::images::Format::of_name(&rest).is_none()
                    {
                        plan.statics.push((rest, self.root.join(rel)));
                    } else {
                        plan.full = true;
                    }
                }
                Some(LAYOUTS_DIR) => plan.layouts = true,
                // A new override of a built-in asset, or a removed one, is a new set of files.
                Some(ASSETS_DIR)
                    if exists
                        && site
                            .assets
                            .iter()
                            .any(|f| f.rel == rest && f.builtin.is_none())
                        && crate::images::Format::of_name(&rest).is_none() =>
                {
                    plan.assets.push((rest, self.root.join(rel)));
                }
                _ => plan.full = true,
            }
        }
        plan
    }

    /// The edition and page of `content_path` if it is a translation the site already has (one
    /// added is a full rebuild: every edition's language switcher on the page changes).
    fn edited_translation(&self, content_path: &str) -> Option<(String, usize)> {
        let site = &self.state.as_ref()?.site;
        let codes = site.edition.other_codes();
        let (original, code) = content::translation_of(content_path, &codes)?;
        let i = *site.by_content_path.get(&original)?;
        let ed = self.editions.iter().find(|e| e.site.edition.code == code)?;
        let page = ed.site.pages.get(i)?;
        let is_this = matches!(page.in_edition, content::InEdition::Translated { .. })
            && page.file == self.root.join(CONTENT_DIR).join(content_path);
        is_this.then(|| (code.to_string(), i))
    }

    /// Loads and renders everything, then writes what changed and removes what is gone.
    fn full(&mut self) -> Result<RebuildReport> {
        // Hash before reading, so an edit made during the build is seen as a change afterwards.
        let inputs = self.scan_inputs();
        let mut editions = Site::load_editions(&self.opts, crate::site::Retention::Everything)?;
        let others: Vec<Site> = editions.drain(1..).collect();
        let Some(site) = editions.pop() else {
            return Err(Error::Build(vec![Diagnostic::error(
                CONTENT_DIR,
                None,
                "the site has no edition",
            )]));
        };
        let build = Arc::new(Build::prepare(site)?);
        let mut sink = engine::Collect::default();
        engine::render(&build, build.jobs(), &mut sink)?;
        // The other editions, each in its folder.
        let mut other_builds = Vec::with_capacity(others.len());
        for e in others {
            let b = Arc::new(Build::prepare(e)?);
            let folder = b.site.edition.prefix.clone();
            engine::render(
                &b,
                b.jobs(),
                &mut engine::InFolder {
                    folder: &folder,
                    inner: &mut sink,
                },
            )?;
            other_builds.push(b);
        }
        let mut outputs = sink.outputs();
        let rendered = outputs.len();
        let site = &build.site;
        let copies: Vec<Result<Output>> = site
            .static_files
            .par_iter()
            .chain(site.assets.par_iter())
            .map(|f| {
                f.read()
                    .map(|bytes| Output {
                        path: f.rel.clone(),
                        bytes: bytes.into_owned(),
                    })
                    .map_err(|e| Error::io(&f.file, e))
            })
            .collect();
        for c in copies {
            outputs.push(c?);
        }
        // From the cache, except the cards whose page title or template changed.
        let sites: Vec<&Site> = std::iter::once(site)
            .chain(other_builds.iter().map(|b| &b.site))
            .collect();
        outputs.extend(crate::cards::outputs_of(&sites)?.0);
        if let Some(wanted) = Site::images_shown_by(&sites) {
            outputs.extend(crate::images::outputs(&wanted)?.0);
        }
        drop(sites);
        let mut report = RebuildReport::new(RebuildKind::Full);
        report.rendered = rendered;
        if self.state.is_none() && self.written.is_empty() {
            // First build: stage and swap in the whole dir, which also clears what an older
            // build left there.
            crate::output::write_site(&self.output, &outputs, &[])?;
            self.written = outputs
                .iter()
                .map(|o| (o.path.clone(), crate::output::hash(&o.bytes)))
                .collect();
            report.written = outputs.iter().map(|o| o.path.clone()).collect();
        } else {
            report.written =
                crate::output::write_changed(&self.output, &outputs, &mut self.written)?;
            let produced: HashSet<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
            let stale: Vec<String> = self
                .written
                .keys()
                .filter(|k| !produced.contains(k.as_str()))
                .cloned()
                .collect();
            report.deleted = delete_outputs(&self.output, &mut self.written, stale)?;
        }
        report.warnings = site.warnings.clone();
        self.state = Some(build);
        self.editions = other_builds;
        self.inputs = inputs;
        self.pending.clear();
        Ok(report)
    }

    /// Content hashes of every source file.
    fn scan_inputs(&self) -> HashMap<PathBuf, u64> {
        let files: Vec<PathBuf> = WATCHED_DIRS
            .iter()
            .flat_map(|d| walk_sources(&self.root, &self.root.join(d)))
            .collect();
        let mut hashes: HashMap<PathBuf, u64> = files
            .into_par_iter()
            .filter_map(|rel| hash_file(&self.root.join(&rel)).map(|h| (rel, h)))
            .collect();
        // site.yaml is not walked: it may be a link out of the site like any named path.
        let config = PathBuf::from(crate::config::CONFIG_FILE);
        if let Some(h) = hash_changed(&Bounds::new(&self.root), &self.root.join(&config)) {
            hashes.insert(config, h);
        }
        hashes
    }
}

/// Removes output files (and folders left empty) the site no longer produces.
fn delete_outputs(
    output: &Path,
    written: &mut HashMap<String, u64>,
    paths: Vec<String>,
) -> Result<Vec<String>> {
    let mut deleted = Vec::new();
    for rel in paths {
        written.remove(&rel);
        let path = output.join(&rel);
        match std::fs::remove_file(&path) {
            Ok(()) => deleted.push(rel),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            // Stops at the first folder that still holds something (remove_dir refuses).
            if d == output || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    Ok(deleted)
}

impl Watcher {
    /// Re-renders what the changed files reach. `Ok(None)` means the edit changed the site's
    /// structure (a page became a draft, its aliases changed) and needs a full rebuild, as does a
    /// build still held by the thread of a runaway render.
    ///
    /// In a site of several editions an edited original is re-rendered in every edition (each
    /// shows its words, its facts or its freshness notice), an edited translation only in its
    /// own; each edition's build is updated as a site in one language is.
    fn incremental(&mut self, plan: &Plan) -> Result<Option<RebuildReport>> {
        let Some(build) = self.state.as_mut() else {
            return Ok(None);
        };
        let Some(state) = Arc::get_mut(build) else {
            return Ok(None);
        };
        let several = state.site.edition.several();
        // Layouts and asset hashes are every edition's: rebuilt whole. So is a set of editions
        // that does not match the default's (a build held by a runaway render).
        if several
            && (plan.layouts
                || !plan.assets.is_empty()
                || self.editions.len() + 1 != state.site.edition.all.len()
                || self.editions.iter_mut().any(|b| Arc::get_mut(b).is_none()))
        {
            return Ok(None);
        }
        let root = &self.root;
        let content_dir = root.join(CONTENT_DIR);

        // 1. Everything that can fail before the model is touched.
        let mut diags = Diagnostics::default();
        let loaded: Vec<(usize, std::result::Result<Page, Diagnostic>)> = plan
            .pages
            .par_iter()
            .map(|&i| {
                (
                    i,
                    content::load_page(root, &content_dir, &state.site.pages[i].file),
                )
            })
            .collect();
        let mut new_pages = Vec::with_capacity(loaded.len());
        for (i, r) in loaded {
            match r {
                Ok(p) => {
                    let old = &state.site.pages[i];
                    if (p.meta.draft && !self.opts.drafts) || p.meta.aliases != old.meta.aliases {
                        return Ok(None);
                    }
                    new_pages.push((i, p));
                }
                Err(d) => diags.push(d),
            }
        }
        if diags.has_errors() {
            return Err(Error::Build(diags.sorted()));
        }
        // Each other edition's new pages: the translation (read again) over the new original,
        // or the new original itself where the edition has no translation of it.
        let codes = state.site.edition.other_codes();
        let mut edition_pages: Vec<Vec<(usize, Page)>> = Vec::with_capacity(self.editions.len());
        for ed in &self.editions {
            let code = &ed.site.edition.code;
            let mut wanted: BTreeSet<usize> = new_pages.iter().map(|(i, _)| *i).collect();
            wanted.extend(
                plan.translations
                    .iter()
                    .filter(|(c, _)| c == code)
                    .map(|(_, i)| *i),
            );
            let mut pages = Vec::with_capacity(wanted.len());
            for i in wanted {
                let (Some(old), Some(current)) = (ed.site.pages.get(i), state.site.pages.get(i))
                else {
                    return Ok(None);
                };
                let original = new_pages
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map_or(current, |(_, p)| p);
                let page = match &old.in_edition {
                    content::InEdition::Translated { .. } => {
                        match content::load_translation(root, &content_dir, &old.file, &codes) {
                            Ok(t) => match crate::site::edition_page(original, &t) {
                                Ok(p) => p,
                                Err(ds) => {
                                    diags.extend(ds);
                                    continue;
                                }
                            },
                            Err(d) => {
                                diags.push(d);
                                continue;
                            }
                        }
                    }
                    content::InEdition::Untranslated => crate::site::untranslated_page(original),
                    // A translation that did not merge stood in as its original: load it afresh.
                    content::InEdition::Original => return Ok(None),
                };
                pages.push((i, page));
            }
            edition_pages.push(pages);
        }
        if diags.has_errors() {
            return Err(Error::Build(diags.sorted()));
        }
        let read = |(rel, file): &(String, PathBuf)| -> Result<Output> {
            std::fs::read(file)
                .map(|bytes| Output {
                    path: rel.clone(),
                    bytes,
                })
                .map_err(|e| Error::io(file, e))
        };
        let mut copies: Vec<Output> = plan
            .statics
            .iter()
            .chain(&plan.assets)
            .map(read)
            .collect::<Result<_>>()?;
        let mut asset_hashes = state.site.asset_hashes.clone();
        let mut hashes_changed = false;
        for (rel, _) in &plan.assets {
            if let Some(c) = copies.iter().find(|c| &c.path == rel) {
                let h = crate::site::short_hash(&c.bytes);
                if asset_hashes.get(rel) != Some(&h) {
                    asset_hashes.insert(rel.clone(), h);
                    hashes_changed = true;
                }
            }
        }
        // asset() bakes each asset's hash into the URLs it returns, so a new hash means new templates.
        let new_templates = if plan.layouts || hashes_changed {
            Some(engine::templates(&state.site, asset_hashes.clone())?)
        } else {
            None
        };

        // 2, 3. Each touched build in turn: the default edition, then the others.
        let default_touched = !several || !new_pages.is_empty();
        let mut updates: Vec<(String, Updated)> = Vec::new();
        if default_touched {
            let u = update_build(build, new_pages, new_templates, "", true, &self.written)?;
            updates.push((String::new(), u));
        }
        let mut failure = None;
        for (ed, pages) in self.editions.iter_mut().zip(edition_pages) {
            if pages.is_empty() {
                continue;
            }
            let folder = ed.site.edition.prefix.clone();
            match update_build(ed, pages, None, &folder, false, &self.written) {
                Ok(u) => updates.push((ed.site.edition.code.clone(), u)),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failure {
            // The editions updated before this one no longer match the rest: the next change
            // loads the site afresh (nothing was written yet).
            self.state = None;
            self.editions.clear();
            return Err(e);
        }

        // 4. Commit and write.
        let warnings = if several {
            let Some(state) = self.state.as_mut().and_then(Arc::get_mut) else {
                return Ok(None);
            };
            // Every edition's warnings as they now stand, the default's first; a problem of
            // the shared facts found in several editions is reported once.
            let mut all = Diagnostics::default();
            for (_, u) in &updates {
                all.extend(u.warnings.iter().cloned());
            }
            if !default_touched {
                all.extend(
                    state
                        .site
                        .warnings
                        .iter()
                        .filter(|d| !is_edition_warning(d, &self.editions))
                        .cloned(),
                );
            }
            for ed in &self.editions {
                let mut d = Diagnostics::default();
                // An updated edition's checks ran in `update_build`.
                if !updates.iter().any(|(c, _)| *c == ed.site.edition.code) {
                    // Nothing of it changed: only its warnings are reported again.
                    ed.site.check_references_of(Some(&[]), &mut d);
                    ed.site.check_rendered(&mut d);
                }
                crate::site::outdated_warnings(&ed.site, &state.site.pages, &mut d);
                all.extend(d.0);
            }
            let w = all.sorted();
            state.site.warnings = w.clone();
            w
        } else {
            let Some(state) = self.state.as_mut().and_then(Arc::get_mut) else {
                return Ok(None);
            };
            state.site.asset_hashes = asset_hashes;
            let w = updates
                .first()
                .map(|(_, u)| u.warnings.clone())
                .unwrap_or_default();
            state.site.warnings = w.clone();
            w
        };
        let css_only: Vec<String> = if plan.is_css_only() {
            plan.assets.iter().map(|(rel, _)| rel.clone()).collect()
        } else {
            Vec::new()
        };
        let mut report = RebuildReport::new(RebuildKind::Incremental);
        let mut stale = Vec::new();
        for (code, u) in updates {
            // An edition the edit reached but that had nothing to re-render (it links to the
            // default edition for an untranslated topic) is not named.
            let named = several && (u.rendered > 0 || !u.stale.is_empty());
            report.rendered += u.rendered;
            copies.extend(u.outputs);
            stale.extend(u.stale);
            if named {
                report.editions.push(if code.is_empty() {
                    state_code(&self.state)
                } else {
                    code
                });
            }
        }
        report.written = crate::output::write_changed(&self.output, &copies, &mut self.written)?;
        report.deleted = delete_outputs(&self.output, &mut self.written, stale)?;
        report.css_only = css_only;
        report.warnings = warnings;
        Ok(Some(report))
    }
}

/// The default edition's language code.
fn state_code(state: &Option<Arc<Build>>) -> String {
    state
        .as_ref()
        .map(|b| b.site.edition.code.clone())
        .unwrap_or_default()
}

/// Whether a warning is about a file of another edition (a translation's), which that
/// edition's own checks report again.
fn is_edition_warning(d: &Diagnostic, editions: &[Arc<Build>]) -> bool {
    editions.iter().any(|e| {
        e.site.pages.iter().any(|p| {
            matches!(p.in_edition, content::InEdition::Translated { .. }) && d.file == p.shown
        })
    })
}

/// What re-rendering one build's edited pages made, not yet written.
struct Updated {
    /// Output files, under the edition's folder.
    outputs: Vec<Output>,
    rendered: usize,
    /// Output files the build no longer makes, under the edition's folder.
    stale: Vec<String>,
    warnings: Vec<Diagnostic>,
}

/// Swaps `new_pages` (and `new_templates`) into one edition's build and renders what they reach.
/// On error the build is as it was (or dropped by `None`, when a runaway render holds it).
fn update_build(
    build: &mut Arc<Build>,
    new_pages: Vec<(usize, Page)>,
    new_templates: Option<Templates>,
    folder: &str,
    verify_quotes: bool,
    written: &HashMap<String, u64>,
) -> Result<Updated> {
    let busy = || {
        Error::Build(vec![Diagnostic::error(
            LAYOUTS_DIR,
            None,
            "internal error: the build is still in use after rendering",
        )])
    };
    let Some(state) = Arc::get_mut(build) else {
        return Err(busy());
    };
    // 2. Swap the new pages in, keeping the old ones to put back if the edit does not build.
    let edited: Vec<usize> = new_pages.iter().map(|(i, _)| *i).collect();
    let mut old_pages: Vec<(usize, Page, Rendered)> = Vec::with_capacity(edited.len());
    for (i, p) in new_pages {
        let old = std::mem::replace(&mut state.site.pages[i], p);
        old_pages.push((i, old, Rendered::default()));
    }
    let rendered = state.site.render_markdown_of(&edited);
    for ((i, _, old_r), r) in old_pages.iter_mut().zip(rendered) {
        *old_r = std::mem::replace(&mut state.site.rendered[*i], r);
    }
    let mut diags = Diagnostics::default();
    state.site.check_references_of(Some(&edited), &mut diags);
    if verify_quotes {
        crate::sources::verify::check_pages(
            &state.site.root,
            edited.iter().map(|&i| &state.site.pages[i]),
            &mut diags,
        );
    }
    state.site.check_rendered(&mut diags);
    let warnings = match diags.into_result() {
        Ok(w) => w,
        Err(e) => {
            rollback(&mut state.site, old_pages);
            return Err(e);
        }
    };

    // 3. Render what the edit reaches.
    let deltas: Vec<Delta> = old_pages
        .iter()
        .map(|(i, old_p, old_r)| {
            Delta::new(
                &state.site,
                *i,
                old_p,
                old_r,
                &state.site.pages[*i],
                &state.site.rendered[*i],
            )
        })
        .collect();
    // The views hold page summaries and the site-wide lists: an edit that changes neither (a
    // body, a figure, a position) keeps them.
    // Only the lists that changed are converted again, and only the templates that read them
    // are rendered again; `None`: a summary changed, which every list may show.
    let changed_lists: Option<HashSet<List>> =
        deltas.iter().try_fold(HashSet::new(), |mut all, d| {
            all.extend(d.changed_lists.as_ref()?);
            Some(all)
        });
    let templates_changed = new_templates.is_some();
    let old_templates = new_templates.map(|t| std::mem::replace(&mut state.templates, t));
    let new_views = match &changed_lists {
        None => Some(views::build(&state.site, &state.templates)),
        Some(c) if c.is_empty() => None,
        Some(c) => Some(views::rebuild(
            &state.site,
            &state.templates,
            &state.views,
            c,
        )),
    };
    let old_views = new_views.map(|v| std::mem::replace(&mut state.views, v));
    let all_jobs = state.jobs();
    let jobs: Vec<Job> = if templates_changed {
        all_jobs
    } else {
        select_jobs(
            &state.site,
            &state.templates,
            &state.views,
            &edited,
            &deltas,
            changed_lists.as_ref(),
            all_jobs,
        )
    };
    // The cards of the re-rendered pages: drawn again only if what they show changed. An
    // edition has none for the topics it links to in the default edition.
    let card_pages: Vec<usize> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Page(i) if !state.site.elsewhere(*i) => Some(*i),
            _ => None,
        })
        .collect();
    let mut sink = engine::Collect::default();
    if let Err(e) = engine::render(
        build,
        jobs,
        &mut engine::InFolder {
            folder,
            inner: &mut sink,
        },
    ) {
        if let Some(state) = Arc::get_mut(build) {
            rollback(&mut state.site, old_pages);
            if let Some(t) = old_templates {
                state.templates = t;
            }
            if let Some(v) = old_views {
                state.views = v;
            }
        }
        // Otherwise a runaway render holds the build: the caller's next full rebuild replaces it.
        return Err(e);
    }
    let outputs = sink.outputs();
    let Some(state) = Arc::get_mut(build) else {
        return Err(busy());
    };
    let cards = match crate::cards::outputs_for(&state.site, &card_pages).and_then(|mut c| {
        for o in &mut c {
            o.path.insert_str(0, folder);
        }
        // Image variants are made once, at the root, for every edition.
        c.extend(crate::images::outputs_for(
            &state.site.images_shown(Some(&card_pages)),
        )?);
        Ok(c)
    }) {
        Ok(c) => c,
        Err(e) => {
            rollback(&mut state.site, old_pages);
            return Err(e);
        }
    };

    let mut stale: Vec<String> = Vec::new();
    if templates_changed {
        let produced: HashSet<&str> = outputs
            .iter()
            .map(|o| o.path.as_str())
            .chain(
                state
                    .site
                    .static_files
                    .iter()
                    .chain(&state.site.assets)
                    .map(|f| f.rel.as_str()),
            )
            .chain(cards.iter().map(|c| c.path.as_str()))
            .collect();
        stale = written
            .keys()
            .filter(|k| !produced.contains(k.as_str()))
            .cloned()
            .collect();
    } else if let Some(old_views) = &old_views {
        let now: HashSet<&str> = state.views.tags.iter().map(|(n, _)| n.as_str()).collect();
        for (name, _) in &old_views.tags {
            if !now.contains(name.as_str()) {
                stale.push(format!(
                    "{folder}tags/{}/index.html",
                    crate::text::slugify(name)
                ));
            }
        }
        // A list that got shorter fills fewer pages.
        let pager_files = |views: &Views| -> HashSet<String> {
            let site = &state.site;
            jobs::plan(site, views, &state.templates)
                .iter()
                .filter_map(|j| jobs::pager_file(site, views, j))
                .collect()
        };
        let kept = pager_files(&state.views);
        stale.extend(
            pager_files(old_views)
                .into_iter()
                .filter(|f| !kept.contains(f))
                .map(|f| format!("{folder}{f}")),
        );
    }
    let mut all = outputs;
    let rendered = all.len();
    all.extend(cards);
    Ok(Updated {
        outputs: all,
        rendered,
        stale,
        warnings,
    })
}

/// Puts back the pages an edit replaced.
fn rollback(site: &mut Site, old: Vec<(usize, Page, Rendered)>) {
    for (i, p, r) in old {
        site.pages[i] = p;
        site.rendered[i] = r;
    }
}

/// How far an edit to one page reaches.
struct Delta {
    /// The page, by index into `Site::pages`.
    page: usize,
    /// The page's summary view changed: it is shown wherever the page is listed.
    summary: bool,
    /// Something the site-wide views read changed: the summary or what a list holds of the page.
    lists: bool,
    /// Which site-wide lists the edit changes (`views::lists_changed_by`); `None` when it changes
    /// the page's summary, which every list that holds the page shows.
    changed_lists: Option<Vec<List>>,
    /// Entries of the [`List::fixed`] lists the edit changes, by position.
    entries: HashMap<List, HashSet<usize>>,
    /// The opening words changed.
    opening: bool,
    /// The headings changed (the search index weighs them).
    headings: bool,
    /// The opening words changed where the feed quotes them: a topic without a summary.
    feed_opening: bool,
    /// Tags before and after the edit.
    tags: Vec<String>,
}

impl Delta {
    /// Compares the views of the page before and after: its summary whole, and what each list
    /// holds of it, so that a field added to either is compared without anyone listing it here.
    fn new(
        site: &Site,
        page: usize,
        old: &Page,
        old_r: &Rendered,
        new: &Page,
        new_r: &Rendered,
    ) -> Delta {
        let (a, b) = (&old.meta, &new.meta);
        let summary = views::summary_changed(site, old, new);
        let changed = views::lists_changed_by(old, old_r, new, new_r);
        let lists = summary || !changed.is_empty();
        let changed_lists = (!summary).then_some(changed);
        let opening = old_r
            .text
            .split_whitespace()
            .take(OPENING_WORDS)
            .ne(new_r.text.split_whitespace().take(OPENING_WORDS));
        let quoted = |p: &Page| {
            p.kind == PageKind::Page && p.section == "topics" && p.meta.summary.is_none()
        };
        let feed_opening = opening && (quoted(old) || quoted(new));
        let mut tags = a.tags.clone();
        tags.extend(b.tags.iter().filter(|t| !a.tags.contains(t)).cloned());
        Delta {
            page,
            summary,
            lists,
            changed_lists,
            entries: views::entries_changed_by(site, old, old_r, new, new_r),
            opening,
            headings: old_r.toc != new_r.toc,
            feed_opening,
            tags,
        }
    }
}

/// The jobs whose output can depend on the edited pages.
fn select_jobs(
    site: &Site,
    templates: &Templates,
    views: &Views,
    edited: &[usize],
    deltas: &[Delta],
    changed_lists: Option<&HashSet<List>>,
    all: Vec<Job>,
) -> Vec<Job> {
    let lists = deltas.iter().any(|d| d.lists);
    let opening = deltas.iter().any(|d| d.opening || d.summary);
    let headings = deltas.iter().any(|d| d.headings);
    let feed_opening = deltas.iter().any(|d| d.feed_opening);
    let summaries: HashSet<usize> = deltas
        .iter()
        .filter(|d| d.summary)
        .map(|d| d.page)
        .collect();
    let tags: HashSet<&str> = deltas
        .iter()
        .filter(|d| d.summary)
        .flat_map(|d| d.tags.iter().map(String::as_str))
        .collect();
    let changed_names: Option<HashSet<&str>> =
        changed_lists.map(|c| c.iter().map(|l| l.name()).collect());
    let reads_changed =
        |template: &str| lists && templates.reads_lists(template, changed_names.as_ref());
    // A list shown a page at a time is read through `paginator`, not `explainer`. Where entries
    // keep their places (`List::fixed`), only the pages holding changed entries change.
    let per_page = views.paging.per_page;
    let pages_changed = |of: Listing, number: usize| match jobs::paged_list(site, templates, of) {
        Some(PagedList::Named(list)) => match changed_lists {
            _ if !lists => false,
            None => true,
            Some(c) if !c.contains(&list) => false,
            Some(_) if list.fixed() => deltas.iter().any(|d| {
                d.entries
                    .get(&list)
                    .is_some_and(|at| at.iter().any(|p| p / per_page + 1 == number))
            }),
            Some(_) => true,
        },
        Some(PagedList::Tag(_) | PagedList::Children(_)) | None => false,
    };
    // Pages past the first of a list go with the first.
    let listing_changed = |of: Listing, number: usize| {
        pages_changed(of, number)
            || match of {
                Listing::Page(i) => {
                    let page = &site.pages[i];
                    edited.contains(&i)
                        || reads_changed(site.layout_of(i))
                        // Sections and the home list their pages; a page shows its related pages.
                        || (!summaries.is_empty()
                            && (page.kind != PageKind::Page
                                || page
                                    .meta
                                    .related
                                    .iter()
                                    .any(|r| {
                                        site.resolve_id(r)
                                            .found()
                                            .is_some_and(|j| summaries.contains(&j))
                                    })))
                }
                Listing::Generated(g) => reads_changed(g.template()),
                // A tag's page lists the summaries of its pages.
                Listing::Tag(t) => {
                    reads_changed(jobs::TAG_TEMPLATE)
                        || (lists
                            && views
                                .tags
                                .get(t)
                                .is_some_and(|(name, _)| tags.contains(name.as_str())))
                }
            }
    };
    all.into_iter()
        .filter(|job| match job {
            Job::Page(i) => listing_changed(Listing::Page(*i), 1),
            Job::Generated(g) => listing_changed(Listing::Generated(*g), 1),
            Job::Tag(t) => listing_changed(Listing::Tag(*t), 1),
            Job::Pager { of, number } => listing_changed(*of, *number),
            // A redirect holds only the page's URL, which an edit to the page cannot change.
            Job::Alias { .. } => false,
            Job::SearchIndex => opening || headings,
            // The sitemap lists every page and tag page with its date; the feed titles, dates,
            // summaries (or the opening words of a topic without one; `publish::feed`) and
            // timeline events; the corrections feed the corrections. All are summary fields but
            // the events, the corrections and the opening words.
            Job::PagesFiles => {
                feed_opening
                    || (lists
                        && changed_lists.is_none_or(|c| {
                            c.contains(&List::Timeline) || c.contains(&List::Corrections)
                        }))
            }
        })
        .collect()
}

/// A message to the event loop.
enum Msg {
    Event(notify::Result<notify::Event>),
    Stop,
}

/// Stops a running [`EventLoop`] from another thread (the Ctrl-C handler).
#[derive(Clone)]
pub struct Stopper(mpsc::Sender<Msg>);

impl Stopper {
    pub fn stop(&self) {
        let _ = self.0.send(Msg::Stop);
    }
}

enum AnyWatcher {
    Native(notify::RecommendedWatcher),
    Poll(notify::PollWatcher),
}

impl AnyWatcher {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            AnyWatcher::Native(w) => w.watch(path, mode),
            AnyWatcher::Poll(w) => w.watch(path, mode),
        }
    }
}

/// What the event loop tells its owner after each batch of changes.
pub enum Outcome<'a> {
    Rebuilt(&'a RebuildReport),
    Failed {
        changed: Vec<PathBuf>,
        error: &'a Error,
    },
    /// The file watcher reported a problem (it keeps running).
    WatchError(String),
}

/// A batch is built once no event has arrived for this long: long enough to gather the files of
/// a save-all or a `git checkout`, which come microseconds apart, short enough that an edit is
/// on screen within a few milliseconds. Whatever arrives while a rebuild runs waits in the
/// channel and makes the next batch, so a long burst costs one rebuild per rebuild's duration,
/// not one per file.
const SETTLE: Duration = Duration::from_millis(4);
/// A source file that was written to but not yet closed is still being written: its batch
/// waits for the close (Linux reports it), or for this long after its last write where a writer
/// keeps its file open, so a half-written file is never built.
const WRITE_GRACE: Duration = Duration::from_millis(150);
/// A burst is cut into rebuilds at most this long apart, so a never-ending stream of writes
/// still shows progress.
const MAX_COALESCE: Duration = Duration::from_secs(2);

/// The notify side of `watch` and `serve`: file system events in, rebuilds out.
pub struct EventLoop {
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    watcher: AnyWatcher,
    /// Whether the watcher reports a file's close after writing (inotify does; polling, FSEvents
    /// and Windows do not, and their events come after the write anyway).
    reports_close: bool,
    root: PathBuf,
    watched: HashSet<PathBuf>,
}

/// A clear message for the usual ways a watch fails to start.
fn watch_error(e: &notify::Error, path: &Path) -> Error {
    let enospc = matches!(e.kind, notify::ErrorKind::MaxFilesWatch)
        || matches!(&e.kind, notify::ErrorKind::Io(io) if io.raw_os_error() == Some(28));
    if enospc {
        Error::Watch(format!(
            "cannot watch {}: the system ran out of inotify watches (\"No space left on device\"). \
             Raise the limit, e.g. `sudo sysctl fs.inotify.max_user_watches=524288`, or run with --poll",
            path.display()
        ))
    } else {
        Error::Watch(format!("cannot watch {}: {e}", path.display()))
    }
}

impl EventLoop {
    /// Starts watching the site's sources under `root`. With `poll`, files are polled and compared
    /// by content, for network mounts and VMs where change notifications do not arrive.
    pub fn start(root: &Path, poll: bool) -> Result<EventLoop> {
        let root = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        let (tx, rx) = mpsc::channel();
        let handler_tx = tx.clone();
        let handler = move |r: notify::Result<notify::Event>| {
            let _ = handler_tx.send(Msg::Event(r));
        };
        let watcher = if poll {
            let config = notify::Config::default()
                .with_poll_interval(Duration::from_millis(500))
                .with_compare_contents(true);
            notify::PollWatcher::new(handler, config).map(AnyWatcher::Poll)
        } else {
            notify::recommended_watcher(handler).map(AnyWatcher::Native)
        }
        .map_err(|e| watch_error(&e, &root))?;
        let mut ev = EventLoop {
            tx,
            rx,
            reports_close: !poll && cfg!(any(target_os = "linux", target_os = "android")),
            watcher,
            root,
            watched: HashSet::new(),
        };
        // The root itself, not recursively: site.yaml (which editors replace by rename, which
        // would orphan a watch on the file) and the creation of content/, layouts/, assets/.
        let root = ev.root.clone();
        ev.watcher
            .watch(&root, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(&e, &root))?;
        ev.watch_dirs()?;
        Ok(ev)
    }

    /// Watches the source folders that exist and are not watched yet.
    fn watch_dirs(&mut self) -> Result<()> {
        for d in WATCHED_DIRS {
            let dir = self.root.join(d);
            if dir.is_dir() && !self.watched.contains(&dir) {
                self.watcher
                    .watch(&dir, RecursiveMode::Recursive)
                    .map_err(|e| watch_error(&e, &dir))?;
                self.watched.insert(dir);
            } else if !dir.is_dir() {
                self.watched.remove(&dir);
            }
        }
        Ok(())
    }

    pub fn stopper(&self) -> Stopper {
        Stopper(self.tx.clone())
    }

    /// Rebuilds on every change until stopped; calls `on` after each rebuild that did something.
    pub fn run(mut self, watcher: &mut Watcher, mut on: impl FnMut(&Watcher, Outcome<'_>)) {
        let mut stop = false;
        while !stop {
            let mut batch = Batch::default();
            match self.rx.recv() {
                Ok(Msg::Event(r)) => batch.add(r, &self.root, self.reports_close),
                Ok(Msg::Stop) | Err(_) => break,
            }
            // Gather what comes with it (a checkout, a save-all), and wait for files still
            // being written.
            let burst_start = Instant::now();
            while burst_start.elapsed() < MAX_COALESCE {
                let wait = match batch.writing_until() {
                    Some(t) => t.saturating_duration_since(Instant::now()).min(SETTLE),
                    None => SETTLE,
                };
                match self.rx.recv_timeout(wait) {
                    Ok(Msg::Event(r)) => batch.add(r, &self.root, self.reports_close),
                    Ok(Msg::Stop) => {
                        stop = true;
                        break;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout)
                        if batch.writing_until().is_some_and(|t| t > Instant::now()) => {}
                    Err(_) => break,
                }
            }
            for e in batch.errors {
                on(watcher, Outcome::WatchError(e));
            }
            let paths = batch.paths;
            if paths
                .iter()
                .any(|p| p.parent() == Some(self.root.as_path()))
            {
                if let Err(e) = self.watch_dirs() {
                    on(watcher, Outcome::WatchError(e.to_string()));
                }
            }
            if paths.is_empty() || stop {
                continue;
            }
            let mut result = Some(watcher.apply_changes(&paths));
            // Then what a change left to do after its first report (stylesheets first).
            while let Some(r) = result {
                match r {
                    Ok(report) if report.kind == RebuildKind::Skipped => {}
                    Ok(report) => on(watcher, Outcome::Rebuilt(&report)),
                    Err(error) => {
                        let changed = watcher.pending();
                        on(
                            watcher,
                            Outcome::Failed {
                                changed,
                                error: &error,
                            },
                        );
                    }
                }
                result = watcher.finish_deferred();
            }
        }
    }
}

/// The paths of one rebuild's events, and the source files among them still being written.
#[derive(Default)]
struct Batch {
    paths: Vec<PathBuf>,
    errors: Vec<String>,
    /// Source files written to and not yet closed, with when they were last written.
    writing: HashMap<PathBuf, Instant>,
}

impl Batch {
    fn add(&mut self, r: notify::Result<notify::Event>, root: &Path, reports_close: bool) {
        let e = match r {
            Ok(e) => e,
            Err(e) => {
                let path = e.paths.first().cloned().unwrap_or_default();
                self.errors.push(watch_error(&e, &path).to_string());
                return;
            }
        };
        match e.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for p in &e.paths {
                    self.writing.remove(p);
                }
            }
            // Opening and reading a file raise Access events on Linux: the build's own reads
            // would otherwise trigger the next build.
            EventKind::Access(_) => return,
            EventKind::Create(CreateKind::File | CreateKind::Any)
            | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any)
                if reports_close =>
            {
                let sources = e.paths.iter().filter(|p| {
                    p.strip_prefix(root)
                        .is_ok_and(|rel| is_source(rel) && rel.extension().is_some())
                });
                for p in sources {
                    self.writing.insert(p.clone(), Instant::now());
                }
            }
            // A file renamed into place or removed is complete, whatever was written before.
            EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_) => {
                for p in &e.paths {
                    self.writing.remove(p);
                }
            }
            _ => {}
        }
        self.paths.extend(e.paths);
    }

    /// Until when the batch waits for a file still being written (None when none is).
    fn writing_until(&self) -> Option<Instant> {
        self.writing.values().max().map(|&t| t + WRITE_GRACE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_inotify_watches_says_so() {
        let e = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let msg = watch_error(&e, Path::new("content")).to_string();
        assert!(
            msg.contains("No space left on device")
                && msg.contains("max_user_watches")
                && msg.contains("--poll"),
            "{msg}"
        );
        let io = notify::Error::io(std::io::Error::from_raw_os_error(28));
        assert!(watch_error(&io, Path::new("content"))
            .to_string()
            .contains("inotify watches"));
    }

    #[test]
    fn sources_and_editor_files() {
        for yes in [
            "site.yaml",
            "content/topics/trade.md",
            "layouts/page.html",
            "assets/css/site.css",
        ] {
            assert!(is_source(Path::new(yes)), "{yes}");
        }
        for no in [
            "public/index.html",
            "site.yaml/x",
            "README.md",
            "content/topics/.trade.md.swp",
            "content/topics/trade.md~",
            "content/topics/#trade.md#",
            "content/.git/HEAD",
            "layouts/4913",
            "content/topics/trade.md___jb_tmp___",
        ] {
            assert!(!is_source(Path::new(no)), "{no}");
        }
    }
}
