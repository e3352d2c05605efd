//! Writing the built site: into a staging directory beside the output, swapped in only when the
//! whole build succeeded, so a failed or killed build never leaves a half-written `public/`.
//! A file whose bytes are those of the previous output's file is not written again but hard-linked
//! from it, so a rebuild of an unchanged site writes no file (mtimes and inodes stay, which
//! deploy tools that compare them see) and deleting the old tree frees no data.
//! Also the incremental writer used by `watch`, which rewrites only files whose bytes changed,
//! and the guard that decides, before anything is written, which output dir a build may replace.

use crate::content::StaticFile;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output dir, `/`-separated.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Entries of an existing output dir that belong to the user, not to bilat, and survive a rebuild.
const KEEP: &[&str] = &[".git", "CNAME"];

/// `p` made absolute against the working directory, with `.` dropped and each `..` taking off
/// the name before it, without asking the file system (`nope/../content` is `content`).
fn lexical(p: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(p).map_err(|e| Error::io(p, e))?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            // At the file system root `..` stays there, as the OS does.
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
        }
    }
    Ok(out)
}

/// Where the OS would really write `p`: each symlink on the way replaced by what it points at,
/// then `..` applied to that (as `realpath -m` does); names that do not exist yet are kept, as
/// the folders a build would create. A broken link on the way is an error.
fn physical(p: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(p).map_err(|e| Error::io(p, e))?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            // `out` is already resolved, so taking off its last name is what the OS does.
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                let next = out.join(name);
                out = match std::fs::symlink_metadata(&next) {
                    Ok(m) if m.file_type().is_symlink() => {
                        std::fs::canonicalize(&next).map_err(|e| Error::io(&next, e))?
                    }
                    _ => next,
                };
            }
        }
    }
    Ok(out)
}

/// Both spellings of a path that exists: as written (lexically) and resolved.
fn spellings(p: &Path) -> Result<Vec<PathBuf>> {
    let mut all = vec![lexical(p)?, physical(p)?];
    all.dedup();
    Ok(all)
}

/// Why `out` may not be the output dir of the site at `root`, if it may not. Every path here is
/// absolute and normalised; a build replaces the output dir whole, so the dir itself, anything it
/// contains and anything it lies inside must be safe to replace.
fn refusal(out: &Path, root: &Path) -> Option<String> {
    if out == root {
        return Some("it is the site root, and a build replaces the whole output dir".into());
    }
    if root.starts_with(out) {
        return Some("it contains the site root, and a build replaces the whole output dir".into());
    }
    let Ok(rel) = out.strip_prefix(root) else {
        return None;
    };
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if SOURCES.contains(&first.as_str()) {
        return Some(if rel.components().count() == 1 {
            format!("it is the site's {first}")
        } else {
            format!("it is inside the site's {first}")
        });
    }
    // .git, .github, .bilat-cache: the folders tools keep beside the site.
    if first.starts_with('.') {
        return Some(format!(
            "it is inside `{first}`, a hidden folder of the site root that tools keep their files in"
        ));
    }
    None
}

/// What bilat reads at the site root: an output dir may not be, hold or lie inside any of them.
const SOURCES: &[&str] = &[
    crate::content::CONTENT_DIR,
    crate::render::LAYOUTS_DIR,
    crate::content::ASSETS_DIR,
    crate::config::CONFIG_FILE,
];

/// Refuses output dirs that would destroy the site's own files, before anything is touched, and
/// returns the output dir resolved (absolute, no `..`, symlinks followed) for every later step to
/// use, so that nothing is resolved differently between the check and the writes.
///
/// The output is checked as written and as the file system resolves it, against the root and its
/// sources both as written and resolved: `nope/../content`, `public -> content` and a `content/`
/// that is itself a link are all caught.
pub fn check_output_dir(root: &Path, output: &Path) -> Result<PathBuf> {
    let refuse = |why: &str| {
        Err(Error::Refused(format!(
            "refusing to use {} as the output dir: {why}",
            output.display()
        )))
    };
    let outs = match spellings(output) {
        Ok(o) => o,
        Err(e) => return refuse(&format!("it cannot be resolved ({e})")),
    };
    let roots = spellings(root)?;
    for out in &outs {
        for r in &roots {
            if let Some(why) = refusal(out, r) {
                return refuse(&why);
            }
            // A source that is a link elsewhere (content -> /srv/texts) is guarded where it leads.
            for name in SOURCES {
                let Ok(src) = std::fs::canonicalize(r.join(name)) else {
                    continue;
                };
                if out == &src || out.starts_with(&src) {
                    return refuse(&format!(
                        "it is inside the site's {name}, which lies at {}",
                        src.display()
                    ));
                }
                if src.starts_with(out) {
                    return refuse(&format!(
                        "it contains the site's {name}, which lies at {}",
                        src.display()
                    ));
                }
            }
        }
    }
    let resolved = outs.last().cloned().unwrap_or_else(|| output.to_path_buf());
    if resolved.parent().is_none() {
        return refuse("it is a file system root");
    }
    // A build replaces the output dir whole: never swap a directory in for the user's file.
    if std::fs::symlink_metadata(&resolved).is_ok_and(|m| !m.is_dir()) {
        return refuse("it is a file, not a folder");
    }
    Ok(resolved)
}

/// Names Windows keeps for devices, whatever the extension (`con.txt` is `con`): a checkout of the
/// output on Windows cannot hold a file or folder by any of them.
const WINDOWS_DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "conin$", "conout$", "com0", "com1", "com2", "com3", "com4",
    "com5", "com6", "com7", "com8", "com9", "com¹", "com²", "com³", "lpt0", "lpt1", "lpt2", "lpt3",
    "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "lpt¹", "lpt²", "lpt³",
];

/// Why no URL or no checkout can hold an output file at `rel` (`/`-separated), if so: `?` and `#`
/// end a URL's path, and the output must also check out on Windows (no `<>:"|*\` or control
/// characters, no device names such as `con` or `lpt1.txt`, no trailing dot or space).
pub fn unfit_name(rel: &str) -> Option<String> {
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        if let Some(c) = seg.chars().find(|c| matches!(c, '?' | '#')) {
            return Some(format!(
                "`{seg}` holds `{c}`, where a URL's path ends, so no link reaches it by its name"
            ));
        }
        if let Some(c) = seg
            .chars()
            .find(|c| c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '*' | '\\'))
        {
            return Some(format!(
                "`{}` holds {c:?}, which Windows does not allow in file names",
                seg.escape_debug()
            ));
        }
        if seg.ends_with('.') || seg.ends_with(' ') {
            return Some(format!(
                "`{seg}` ends in a dot or a space, which Windows drops from file names"
            ));
        }
        let stem = seg.split('.').next().unwrap_or(seg).trim_end_matches(' ');
        if WINDOWS_DEVICES.contains(&stem.to_lowercase().as_str()) {
            return Some(format!(
                "`{seg}` is the device name `{stem}` on Windows, so no Windows checkout can hold it"
            ));
        }
    }
    None
}

/// The user's entry in the output dir (`.git`, `CNAME`) that writing `rel` would replace, if any.
/// Compared without case: on macOS and Windows `cname/` and `CNAME` are one name.
pub fn replaces_kept(rel: &str) -> Option<&'static str> {
    let first = rel.split('/').next().unwrap_or(rel);
    KEEP.iter().copied().find(|k| first.eq_ignore_ascii_case(k))
}

/// The one output that may be named like a kept entry: the `CNAME` site.yaml's `cname` writes.
const GENERATED_CNAME: &str = "CNAME";

/// [`unfit_name`] and [`replaces_kept`] on generated paths, for writers that skip [`check_paths`].
fn check_names(generated: &[&str]) -> Result<()> {
    for rel in generated {
        if let Some(k) = replaces_kept(rel).filter(|_| *rel != GENERATED_CNAME) {
            return Err(Error::Refused(format!(
                "refusing to write `{rel}`: it would replace the `{k}` kept in the output dir"
            )));
        }
        if let Some(why) = unfit_name(rel) {
            return Err(Error::Refused(format!("refusing to write `{rel}`: {why}")));
        }
    }
    Ok(())
}

/// Whether `rel` names a place inside the output dir: relative, no `..`, `.` or empty segments.
fn is_inside(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && !rel.contains('\0')
        && rel
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Every output path stays inside the output dir, none is written twice, and none is a file
/// where another needs a folder (a static file `topics/trade` beside the page `topics/trade/`):
/// checked before anything is written, so the parallel writers never race over one path.
pub fn check_paths(outputs: &[Output], copies: &[&StaticFile]) -> Result<()> {
    let generated: Vec<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
    check_path_list(&generated, copies)
}

/// [`check_paths`] on the paths alone, for a build that wrote its pages as it rendered them.
fn check_path_list(generated: &[&str], copies: &[&StaticFile]) -> Result<()> {
    use crate::error::Diagnostic;
    let mut problems = Vec::new();
    let mut files: HashMap<&str, String> = HashMap::new();
    let described = generated
        .iter()
        .map(|p| (*p, format!("the generated `{p}`")))
        .chain(
            copies
                .iter()
                .map(|c| (c.rel.as_str(), format!("the copy of {}", c.file.display()))),
        );
    let generated_count = generated.len();
    for (i, (rel, what)) in described.enumerate() {
        // The site model refuses these with the page or file that asks for them; this catches
        // whatever else would write one (a tag's page, a template's output).
        let kept = replaces_kept(rel).filter(|_| !(i < generated_count && rel == GENERATED_CNAME));
        if !is_inside(rel) {
            problems.push(Diagnostic::error(
                rel,
                None,
                format!("refusing to write {what} outside the output dir"),
            ));
        } else if let Some(k) = kept {
            problems.push(Diagnostic::error(
                rel,
                None,
                format!(
                    "refusing to write {what}: it would replace the `{k}` kept in the output dir"
                ),
            ));
        } else if let Some(why) = unfit_name(rel) {
            problems.push(Diagnostic::error(
                rel,
                None,
                format!("refusing to write {what}: {why}"),
            ));
        } else if let Some(first) = files.insert(rel, what.clone()) {
            problems.push(Diagnostic::error(
                rel,
                None,
                format!("two files would be written to `{rel}`: {first} and {what}"),
            ));
        }
    }
    for (rel, what) in &files {
        let mut dir = *rel;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if let Some(file) = files.get(parent) {
                problems.push(
                    Diagnostic::error(
                        parent,
                        None,
                        format!(
                            "`{parent}` would be both a file ({file}) and a folder (for {what})"
                        ),
                    )
                    .with_help("rename the file or the page so that their URLs differ"),
                );
            }
            dir = parent;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        problems.dedup();
        Err(Error::Build(problems))
    }
}

fn staging_name(output: &Path, kind: &str) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    output.with_file_name(format!(".{name}.bilat-{kind}"))
}

/// Removes what a killed earlier build left beside the output dir.
fn clean_leftovers(output: &Path) {
    for kind in ["staging", "old"] {
        let p = staging_name(output, kind);
        if p.exists() {
            remove_tree(&p);
        }
    }
}

/// Writes a new file. Never through one already there: a staging file may be a hard link to the
/// live output's (linked as unchanged), and writing through it would change the site readers see.
fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
    };
    let mut file = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            create()
        }
        other => other,
    }
    .map_err(|e| Error::io(&path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&path, e))
}

/// Whether `path` is a regular file (not a link) holding exactly `bytes`.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes)
}

/// Whether regular file `b` holds the bytes of `a` (the sizes are compared before anything is
/// read).
fn same_file(a: &Path, b: &Path) -> bool {
    let same_size = match (std::fs::metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(ma), Ok(mb)) => ma.is_file() && ma.len() == mb.len(),
        _ => false,
    };
    same_size && std::fs::read(a).is_ok_and(|bytes| holds(b, &bytes))
}

/// Hard-links `from` (a file of the previous output) to `dir/rel`; false where the file system
/// refuses (no hard links, another device), and the caller writes the file instead.
pub(crate) fn link_into(from: &Path, dir: &Path, rel: &str) -> bool {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        if std::fs::create_dir_all(parent).is_err() {
            return false;
        }
    }
    std::fs::hard_link(from, &path).is_ok()
}

/// What a finished [`Staging`] put in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// Every file of the site.
    pub files: usize,
    /// Those whose bytes were the previous output's: linked from it, not written.
    pub unchanged: usize,
    /// Of those, the ones the render cache kept without making them again.
    pub kept: usize,
}

/// A build in progress: pages are written into a staging dir beside the output as they are
/// rendered (so a large site never sits in memory whole), then swapped in by [`Staging::finish`].
/// Dropped without finishing — an error, a panic — it removes itself and the output is untouched.
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    /// The output of the previous build, where there is one: files with the same bytes are
    /// linked from it.
    previous: Option<PathBuf>,
    written: std::sync::Mutex<Vec<String>>,
    unchanged: std::sync::atomic::AtomicUsize,
    kept: std::sync::atomic::AtomicUsize,
    finished: bool,
}

impl Staging {
    pub fn new(output: &Path) -> Result<Staging> {
        clean_leftovers(output);
        let dir = staging_name(output, "staging");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let previous = std::fs::symlink_metadata(output)
            .is_ok_and(|m| m.is_dir())
            .then(|| output.to_path_buf());
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
            previous,
            written: std::sync::Mutex::new(Vec::new()),
            unchanged: std::sync::atomic::AtomicUsize::new(0),
            kept: std::sync::atomic::AtomicUsize::new(0),
            finished: false,
        })
    }

    /// How many files so far held the bytes of the previous output's and were linked, not
    /// written.
    fn unchanged(&self) -> usize {
        self.unchanged.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Links `rel` from the previous output when `same` says its bytes there are the new ones.
    fn reuse(&self, rel: &str, same: impl FnOnce(&Path) -> bool) -> bool {
        let Some(prev) = &self.previous else {
            return false;
        };
        let old = prev.join(rel);
        let reused = same(&old) && link_into(&old, &self.dir, rel);
        if reused {
            self.unchanged
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        reused
    }

    /// The staging dir, where files of the new output are made.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Counts files the render cache linked from the previous output (`crate::render_cache`) as
    /// the new output's, unchanged.
    pub fn kept(&self, paths: &[String]) -> Result<()> {
        if let Some(bad) = paths.iter().find(|p| !is_inside(p)) {
            return check_path_list(&[bad.as_str()], &[]);
        }
        self.unchanged
            .fetch_add(paths.len(), std::sync::atomic::Ordering::Relaxed);
        self.kept
            .fetch_add(paths.len(), std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut w) = self.written.lock() {
            w.extend(paths.iter().cloned());
        }
        Ok(())
    }

    /// Writes rendered files into the staging dir; a path that would leave it is refused.
    pub fn write(&self, outputs: &[Output]) -> Result<()> {
        if let Some(bad) = outputs.iter().find(|o| !is_inside(&o.path)) {
            return check_path_list(&[bad.path.as_str()], &[]);
        }
        outputs.par_iter().try_for_each(|o| {
            if self.reuse(&o.path, |old| holds(old, &o.bytes)) {
                return Ok(());
            }
            write_file(&self.dir, &o.path, &o.bytes)
        })?;
        if let Ok(mut w) = self.written.lock() {
            w.extend(outputs.iter().map(|o| o.path.clone()));
        }
        Ok(())
    }

    /// Checks that no two files claimed one path, copies the static files, keeps the user's
    /// `.git` and `CNAME`, and swaps the staging dir in for the output.
    pub fn finish(mut self, copies: &[&StaticFile]) -> Result<Finished> {
        let written = std::mem::take(&mut *self.written.lock().map_err(|_| {
            Error::Refused("a writer thread panicked; the output was left as it was".into())
        })?);
        let paths: Vec<&str> = written.iter().map(String::as_str).collect();
        check_path_list(&paths, copies)?;
        copies.par_iter().try_for_each(|c| {
            let same = |old: &Path| match c.builtin {
                Some(bytes) => holds(old, bytes),
                None => same_file(&c.file, old),
            };
            if self.reuse(&c.rel, same) {
                return Ok(());
            }
            let dest = self.dir.join(&c.rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            c.copy_to(&dest).map_err(|e| Error::io(&c.file, e))
        })?;
        // Keep what the user put in the old output (a git checkout for deploys, a CNAME).
        for keep in KEEP {
            let old = self.output.join(keep);
            let new = self.dir.join(keep);
            if old.exists() && !new.exists() {
                std::fs::rename(&old, &new).map_err(|e| Error::io(&old, e))?;
            }
        }
        swap_in(&self.dir, &self.output)?;
        self.finished = true;
        Ok(Finished {
            files: written.len() + copies.len(),
            unchanged: self.unchanged(),
            kept: self.kept.load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes `outputs` and copies `copies` into a fresh staging dir, then swaps it in for `output`.
pub fn write_site(output: &Path, outputs: &[Output], copies: &[&StaticFile]) -> Result<usize> {
    check_paths(outputs, copies)?;
    let staging = Staging::new(output)?;
    staging.write(outputs)?;
    Ok(staging.finish(copies)?.files)
}

/// Deletes a tree, its folders' entries in parallel: deleting the old site (10,000 folders of
/// a page each, most files hard links into the new one) took a fifth of a rebuild alone.
fn remove_tree(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let entries: Vec<std::fs::DirEntry> = entries.flatten().collect();
    entries.par_iter().for_each(|e| match e.file_type() {
        Ok(t) if t.is_dir() => remove_tree(&e.path()),
        _ => {
            let _ = std::fs::remove_file(e.path());
        }
    });
    let _ = std::fs::remove_dir(dir);
}

/// Replaces `output` by `staging` atomically where the OS allows it.
fn swap_in(staging: &Path, output: &Path) -> Result<()> {
    if !output.exists() {
        return std::fs::rename(staging, output).map_err(|e| Error::io(output, e));
    }
    #[cfg(target_os = "linux")]
    {
        // One atomic exchange: readers and a SIGKILL see either the old site or the new one.
        if rustix::fs::renameat_with(
            rustix::fs::CWD,
            staging,
            rustix::fs::CWD,
            output,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .is_ok()
        {
            // `staging` now holds the old site.
            remove_tree(staging);
            return Ok(());
        }
    }
    let old = staging_name(output, "old");
    std::fs::rename(output, &old).map_err(|e| Error::io(output, e))?;
    if let Err(e) = std::fs::rename(staging, output) {
        let _ = std::fs::rename(&old, output);
        return Err(Error::io(output, e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Writes only the files whose bytes changed since `previous`, each atomically (temp + rename),
/// so a server reading the output dir never serves a half-written file. Returns the paths written.
pub fn write_changed(
    output: &Path,
    outputs: &[Output],
    previous: &mut HashMap<String, u64>,
) -> Result<Vec<String>> {
    let changed: Vec<&Output> = outputs
        .iter()
        .filter(|o| previous.get(&o.path) != Some(&hash(&o.bytes)))
        .collect();
    if let Some(bad) = changed.iter().find(|o| !is_inside(&o.path)) {
        return Err(Error::Refused(format!(
            "refusing to write `{}` outside the output dir",
            bad.path
        )));
    }
    let paths: Vec<&str> = changed.iter().map(|o| o.path.as_str()).collect();
    check_names(&paths)?;
    changed.par_iter().try_for_each(|o| {
        let path = output.join(&o.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let tmp = path.with_file_name(format!(
            ".{}.bilat-tmp",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        std::fs::write(&tmp, &o.bytes).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
    })?;
    for o in &changed {
        previous.insert(o.path.clone(), hash(&o.bytes));
    }
    Ok(changed.iter().map(|o| o.path.clone()).collect())
}

/// A fast content hash for change detection (not for security).
pub fn hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_no_url_or_windows_checkout_holds_are_unfit() {
        for bad in [
            "a?b/index.html",
            "topics/a#b.svg",
            "con",
            "CON.txt",
            "x/aux.tar.gz",
            "nul/index.html",
            "Com1.js",
            "lpt9",
            "lpt\u{b9}.txt",
            "conout$",
            "dots./index.html",
            "space /index.html",
            "a:b",
            "a|b",
            "a*b",
            "a\"b",
            "a<b",
            "a\u{1b}[31m",
            "tab\there",
        ] {
            assert!(unfit_name(bad).is_some(), "{bad:?} is unfit");
        }
        for good in [
            "index.html",
            "console/index.html",
            "auxiliary.css",
            "com10.js",
            "lpt.txt",
            "topics/chart (final) 100%.svg",
            "topics/ünïcødé/index.html",
            ".nojekyll",
            "a.b.c",
        ] {
            assert_eq!(unfit_name(good), None, "{good:?} is fine");
        }
    }

    #[test]
    fn kept_entries_match_without_case() {
        assert_eq!(replaces_kept(".git/index.html"), Some(".git"));
        assert_eq!(replaces_kept(".GIT"), Some(".git"));
        assert_eq!(replaces_kept("CNAME"), Some("CNAME"));
        assert_eq!(replaces_kept("cname/index.html"), Some("CNAME"));
        assert_eq!(replaces_kept("cnames/index.html"), None);
        assert_eq!(replaces_kept("topics/.git"), None);
    }
}

#[cfg(test)]
mod write_tests {
    use super::*;

    fn out(path: &str, text: &str) -> Output {
        Output {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_finished_staging_dir_replaces_the_output_and_an_unfinished_one_vanishes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let output = tmp.path().join("public");
        std::fs::create_dir_all(&output).expect("mkdir");
        std::fs::write(output.join("old.html"), "old").expect("write");
        std::fs::write(output.join("CNAME"), "example.org").expect("write");

        let staging = Staging::new(&output).expect("staging");
        staging.write(&[out("a/index.html", "A")]).expect("write");
        drop(staging);
        assert!(
            output.join("old.html").exists(),
            "an unfinished build changes nothing"
        );
        let leftovers = std::fs::read_dir(tmp.path()).expect("ls").count();
        assert_eq!(leftovers, 1, "the staging dir is gone");

        let staging = Staging::new(&output).expect("staging");
        staging.write(&[out("a/index.html", "A")]).expect("write");
        assert_eq!(staging.finish(&[]).expect("finish").files, 1);
        assert!(!output.join("old.html").exists());
        assert_eq!(
            std::fs::read_to_string(output.join("a/index.html")).expect("read"),
            "A"
        );
        // The user's CNAME survives the swap.
        assert!(output.join("CNAME").exists());
    }

    #[test]
    fn paths_that_leave_the_output_or_collide_are_refused() {
        for bad in ["../x.html", "/etc/x", "a/./b", "a//b", ""] {
            assert!(check_paths(&[out(bad, "")], &[]).is_err(), "{bad:?}");
        }
        assert!(check_paths(&[out("a/index.html", ""), out("a/index.html", "")], &[]).is_err());
        // A file where a folder is needed.
        assert!(check_paths(
            &[out("topics/trade", ""), out("topics/trade/index.html", "")],
            &[]
        )
        .is_err());
        assert!(check_paths(&[out("a/index.html", ""), out("b/index.html", "")], &[]).is_ok());
    }

    #[test]
    fn only_changed_files_are_rewritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut written = HashMap::new();
        let first = write_changed(
            tmp.path(),
            &[out("a.html", "1"), out("b.html", "1")],
            &mut written,
        )
        .expect("write");
        assert_eq!(first.len(), 2);
        let again = write_changed(
            tmp.path(),
            &[out("a.html", "1"), out("b.html", "2")],
            &mut written,
        )
        .expect("write");
        assert_eq!(again, ["b.html"]);
        assert!(write_changed(tmp.path(), &[out("../x", "1")], &mut written).is_err());
    }
}
