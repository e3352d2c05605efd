//! The render cache of `bilat build`: which fingerprint each page of the previous output was
//! rendered from, so that a build over an existing output links the pages whose inputs did not
//! change from it instead of rendering, minifying and writing them again (a rebuild costs what
//! changed).
//!
//! It owns what a page's fingerprint covers beyond its own context, the record of a
//! build in `.bilat-cache/render/`, and the rule for keeping a page: the previous build recorded
//! the same fingerprint for the same path, and the file it wrote is still there as it left it
//! (same size, modification time and inode; a file edited or replaced by hand is rendered again).
//! A page's fingerprint covers everything its bytes come from: this binary, the layouts and UI
//! strings, the template helpers' settings, whether pages are minified, the site-wide `site` and
//! `explainer` values (hashed once per edition) and the page's own context, which
//! [`crate::views::Ctx`] fingerprints as it is filled. It does not decide what a page shows (the
//! views) nor how files reach the output (the staging, whose hard links it makes for the pages it
//! keeps). `watch`, `serve` and `check` render from memory and use none of it.

use crate::fingerprint::Fingerprinter;
use crate::render::Templates;
use crate::site::Site;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where the records are kept, under the site's root (`.bilat-cache` is outside git).
pub const CACHE_DIR: &str = ".bilat-cache/render";

/// The first line of a record: a record of another format is ignored.
const HEADER: &str = "bilat-render 1";

/// What the previous build recorded of one file it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    fingerprint: u128,
    stamp: Stamp,
}

/// What identifies a file as the one a build left: a file rewritten, edited or replaced has
/// another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified_ns: u128,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::symlink_metadata(path).ok()?;
        if !m.is_file() {
            return None;
        }
        let modified_ns = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp {
            size: m.len(),
            modified_ns,
            inode,
        })
    }
}

/// The record of the previous build over one output dir and the one being made, shared by the
/// renders of every edition.
pub struct Cache {
    record: PathBuf,
    output: PathBuf,
    staging: PathBuf,
    previous: HashMap<String, Entry>,
    made: Mutex<Vec<(String, u128)>>,
}

impl Cache {
    /// The cache of a build of `root` into `output`, staged in `staging`. No record, or one that
    /// cannot be read, is an empty cache: every page is rendered.
    pub fn open(root: &Path, output: &Path, staging: &Path) -> Arc<Cache> {
        let record = record_path(root, output);
        let previous = std::fs::read_to_string(&record)
            .ok()
            .map(|t| parse(&t))
            .unwrap_or_default();
        Arc::new(Cache {
            record,
            output: output.to_path_buf(),
            staging: staging.to_path_buf(),
            previous,
            made: Mutex::new(Vec::new()),
        })
    }

    /// The cache as one edition's render uses it (under the edition's folder of the output),
    /// with the site-wide inputs hashed here, once.
    pub fn for_edition(
        self: &Arc<Self>,
        site: &Site,
        templates: &Templates,
        (site_value, explainer): (&tera::Value, &tera::Value),
    ) -> EditionCache {
        let mut f = Fingerprinter::default();
        f.bytes(env!("CARGO_PKG_VERSION").as_bytes());
        f.bytes(env!("BILAT_COMMIT").as_bytes());
        // A binary rebuilt from an uncommitted tree has the same version and commit.
        if let Some(s) = std::env::current_exe().ok().and_then(|e| Stamp::of(&e)) {
            f.add("exe", &(s.size, s.modified_ns, s.inode));
        }
        f.add("minify", &site.config.minify);
        let mut sources: Vec<(&String, &String)> = templates.sources.iter().collect();
        sources.sort();
        f.add("templates", &sources);
        f.add("strings", &strings_files(&site.root));
        let mut assets: Vec<(&String, &String)> = site.asset_hashes.iter().collect();
        assets.sort();
        f.add("assets", &assets);
        let mut elsewhere: Vec<&String> = site.edition.elsewhere.iter().collect();
        elsewhere.sort();
        f.add(
            "helpers",
            &(
                &site.base_path,
                &site.edition.root_base_path,
                &site.base_url,
                &site.config.language,
                elsewhere,
            ),
        );
        f.add("site", site_value);
        // The site-wide lists only count for the templates that read them: a new title changes
        // the list of topics, not a topic page that shows no list.
        let mut lists = Fingerprinter::default();
        lists.add("explainer", explainer);
        let reads_lists = templates
            .sources
            .keys()
            .map(|t| (t.clone(), templates.reads_lists(t, None)))
            .collect();
        EditionCache {
            cache: self.clone(),
            prefix: site.edition.prefix.clone(),
            global: f.finish(),
            lists: lists.finish(),
            reads_lists,
        }
    }

    /// Writes the record of the build that just replaced the output (after the swap: the files
    /// it names are the output's). A record that cannot be written only costs the next build its
    /// reuse.
    pub fn save(&self) {
        let Ok(mut made) = self.made.lock().map(|mut m| std::mem::take(&mut *m)) else {
            return;
        };
        made.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let lines: Vec<String> = made
            .par_iter()
            .filter_map(|(path, fingerprint)| {
                let s = Stamp::of(&self.output.join(path))?;
                Some(format!(
                    "{fingerprint:032x}\t{}\t{}\t{}\t{path}\n",
                    s.size, s.modified_ns, s.inode
                ))
            })
            .collect();
        let Some(dir) = self.record.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = self.record.with_extension("tmp");
        let text = format!("{HEADER}\n{}", lines.concat());
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &self.record);
        }
    }
}

/// One edition's view of the [`Cache`].
pub struct EditionCache {
    cache: Arc<Cache>,
    prefix: String,
    global: Option<u128>,
    /// The fingerprint of the site-wide lists (`explainer`).
    lists: Option<u128>,
    /// Whether each template reads them.
    reads_lists: HashMap<String, bool>,
}

impl EditionCache {
    /// Whether the page at `path` (within the edition), rendered from `template` with a context
    /// fingerprinted by `ctx`, can be kept from the previous output: if so it is linked into the
    /// staging dir and need not be rendered. Either way the page's fingerprint is recorded.
    pub fn keep(&self, template: &str, path: &str, ctx: &Fingerprinter) -> bool {
        let (Some(global), Some(own)) = (self.global, ctx.finish()) else {
            return false;
        };
        let mut f = Fingerprinter::default();
        f.bytes(&global.to_le_bytes());
        f.bytes(template.as_bytes());
        f.bytes(&own.to_le_bytes());
        if self.reads_lists.get(template).copied().unwrap_or(true) {
            let Some(lists) = self.lists else {
                return false;
            };
            f.bytes(&lists.to_le_bytes());
        }
        let Some(fingerprint) = f.finish() else {
            return false;
        };
        let full = format!("{}{path}", self.prefix);
        let kept = self.cache.previous.get(&full).is_some_and(|e| {
            e.fingerprint == fingerprint && self.unchanged(&full, e) && self.link(&full)
        });
        self.record_full(full, fingerprint);
        kept
    }

    /// The files under `dir` (within the edition) that one job of the previous build made from
    /// inputs with this fingerprint (the search index), when every one of them is still as it
    /// was: linked into the staging dir and recorded again. `None` where there are none or any
    /// changed or is missing; the job then makes them all.
    pub fn keep_all(&self, dir: &str, fingerprint: u128) -> Option<Vec<String>> {
        let under = format!("{}{dir}", self.prefix);
        let previous: Vec<(&String, &Entry)> = self
            .cache
            .previous
            .iter()
            .filter(|(path, e)| e.fingerprint == fingerprint && path.starts_with(&under))
            .collect();
        let whole =
            !previous.is_empty() && previous.iter().all(|(path, e)| self.unchanged(path, e));
        // A file linked before another failed is replaced when the job writes it (the staging
        // never writes through a file already there).
        if !whole || !previous.par_iter().all(|(path, _)| self.link(path)) {
            return None;
        }
        let mut kept = Vec::with_capacity(previous.len());
        for (path, _) in previous {
            kept.push(path[self.prefix.len()..].to_string());
            self.record_full(path.clone(), fingerprint);
        }
        Some(kept)
    }

    /// Records that the file at `path` (within the edition) was made from inputs with this
    /// fingerprint.
    pub fn record(&self, path: &str, fingerprint: u128) {
        self.record_full(format!("{}{path}", self.prefix), fingerprint);
    }

    /// The same, `full` a path of the whole output.
    fn record_full(&self, full: String, fingerprint: u128) {
        if let Ok(mut made) = self.cache.made.lock() {
            made.push((full, fingerprint));
        }
    }

    /// Whether the previous output's file at `full` is still as the previous build left it.
    fn unchanged(&self, full: &str, e: &Entry) -> bool {
        Stamp::of(&self.cache.output.join(full)) == Some(e.stamp)
    }

    /// Links the previous output's file at `full` into the staging dir.
    fn link(&self, full: &str) -> bool {
        crate::output::link_into(&self.cache.output.join(full), &self.cache.staging, full)
    }
}

/// The record of builds into `output`: one file per output dir, named by a hash of its path.
fn record_path(root: &Path, output: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(output)
        .or_else(|_| std::path::absolute(output))
        .unwrap_or_else(|_| output.to_path_buf());
    let mut f = Fingerprinter::default();
    f.bytes(absolute.to_string_lossy().as_bytes());
    let name = format!("{:016x}.tsv", f.finish().unwrap_or(0) as u64);
    root.join(CACHE_DIR).join(name)
}

/// The site's UI-string tables (`layouts/strings/`), which the templates' `t()` reads.
fn strings_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = root
        .join(crate::render::LAYOUTS_DIR)
        .join(crate::theme::STRINGS_DIR);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    files.sort();
    files
}

fn parse(text: &str) -> HashMap<String, Entry> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return HashMap::new();
    }
    lines
        .filter_map(|l| {
            let mut f = l.splitn(5, '\t');
            let fingerprint = u128::from_str_radix(f.next()?, 16).ok()?;
            let size = f.next()?.parse().ok()?;
            let modified_ns = f.next()?.parse().ok()?;
            let inode = f.next()?.parse().ok()?;
            let path = f.next()?.to_string();
            Some((
                path,
                Entry {
                    fingerprint,
                    stamp: Stamp {
                        size,
                        modified_ns,
                        inode,
                    },
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_and_another_format_is_ignored() {
        let text = format!("{HEADER}\n{:032x}\t12\t345\t678\tdir/index.html\n", 7u128);
        let e = parse(&text);
        assert_eq!(e["dir/index.html"].fingerprint, 7);
        assert_eq!(e["dir/index.html"].stamp.size, 12);
        assert!(parse("bilat-render 0\nx").is_empty());
    }
}
