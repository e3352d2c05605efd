//! The built-in theme: the default layouts and assets, compiled into the binary from `theme/`, and
//! how a site's own `layouts/` and `assets/` override them one file at a time (a file there replaces
//! the built-in file of the same path; a site with neither folder builds with the default look).
//! Also `bilat theme eject` (copy built-in files into the site to edit them) and `bilat theme diff`
//! (how the site's overrides differ from this release's built-in files).
//!
//! Reading a site's own files is left to [`crate::render`] (layouts) and [`crate::site`] (assets);
//! this module holds the built-in side, the merge rule and the comparison. Printing is left to the
//! binary.

use crate::content::StaticFile;
use crate::error::{Error, Result};
use include_dir::{include_dir, Dir};
use std::path::{Path, PathBuf};

static LAYOUTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/theme/layouts");
static ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/theme/assets");

/// The two folders a theme is made of, in the built-in theme and in a site alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Folder {
    /// Tera templates (`layouts/page.html`).
    Layouts,
    /// Files copied to the output as they are (`assets/css/site.css`).
    Assets,
}

impl Folder {
    pub const ALL: [Folder; 2] = [Folder::Layouts, Folder::Assets];

    /// The folder's name in a site's root.
    pub fn dir(self) -> &'static str {
        match self {
            Folder::Layouts => crate::content::LAYOUTS_DIR,
            Folder::Assets => crate::content::ASSETS_DIR,
        }
    }

    fn embedded(self) -> &'static Dir<'static> {
        match self {
            Folder::Layouts => &LAYOUTS,
            Folder::Assets => &ASSETS,
        }
    }
}

/// One file of the built-in theme.
#[derive(Debug, Clone)]
pub struct BuiltinFile {
    pub folder: Folder,
    /// Path inside its folder, `/`-separated (`page.html`, `css/site.css`).
    pub rel: String,
    pub bytes: &'static [u8],
}

impl BuiltinFile {
    /// Where an override of this file lives in a site, `/`-separated (`layouts/page.html`).
    pub fn site_path(&self) -> String {
        format!("{}/{}", self.folder.dir(), self.rel)
    }
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn walk(dir: &'static Dir<'static>, folder: Folder, out: &mut Vec<BuiltinFile>) {
    for f in dir.files() {
        out.push(BuiltinFile {
            folder,
            rel: slash(f.path()),
            bytes: f.contents(),
        });
    }
    for d in dir.dirs() {
        walk(d, folder, out);
    }
}

/// Every file of the built-in theme, layouts first, each folder sorted by path.
pub fn files() -> Vec<BuiltinFile> {
    let mut out = Vec::new();
    for folder in Folder::ALL {
        let start = out.len();
        walk(folder.embedded(), folder, &mut out);
        out[start..].sort_by(|a, b| a.rel.cmp(&b.rel));
    }
    out
}

/// The built-in files of one folder.
pub fn files_in(folder: Folder) -> Vec<BuiltinFile> {
    files().into_iter().filter(|f| f.folder == folder).collect()
}

/// The built-in file at `rel` inside `folder`.
pub fn builtin(folder: Folder, rel: &str) -> Option<BuiltinFile> {
    folder.embedded().get_file(rel).map(|f| BuiltinFile {
        folder,
        rel: rel.to_string(),
        bytes: f.contents(),
    })
}

/// The folder inside `layouts/` that holds the tables of UI strings (`layouts/i18n/ru.yaml`, see
/// [`crate::render::i18n`]): data, not templates.
pub const STRINGS_DIR: &str = "i18n";

/// Whether a path inside `layouts/` (`/`-separated) is a table of UI strings rather than a template.
pub fn is_strings_table(rel: &str) -> bool {
    rel.strip_prefix(STRINGS_DIR)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// The built-in tables of UI strings: (language tag from the file name, YAML text), sorted.
pub fn builtin_string_tables() -> Vec<(String, &'static str)> {
    files_in(Folder::Layouts)
        .into_iter()
        .filter(|f| is_strings_table(&f.rel))
        .filter_map(|f| {
            let lang = f.rel[STRINGS_DIR.len() + 1..].strip_suffix(".yaml")?;
            // The built-in tables are UTF-8: a test reads every one of them.
            Some((lang.to_string(), std::str::from_utf8(f.bytes).ok()?))
        })
        .collect()
}

/// The site's layouts (name, text) with every built-in layout the site does not override added,
/// sorted by name: the templates a build compiles (the tables of UI strings are not among them).
pub fn with_builtin_layouts(mut site: Vec<(String, String)>) -> Vec<(String, String)> {
    for f in files_in(Folder::Layouts) {
        if is_strings_table(&f.rel) || site.iter().any(|(name, _)| *name == f.rel) {
            continue;
        }
        // The built-in layouts are UTF-8: a test reads every one of them.
        if let Ok(text) = std::str::from_utf8(f.bytes) {
            site.push((f.rel, text.to_string()));
        }
    }
    site.sort_by(|a, b| a.0.cmp(&b.0));
    site
}

/// Adds to a site's assets every built-in asset it does not override, keeping them sorted by path.
pub fn add_builtin_assets(assets: &mut Vec<StaticFile>) {
    for f in files_in(Folder::Assets) {
        if assets.iter().any(|a| a.rel == f.rel) {
            continue;
        }
        assets.push(StaticFile {
            file: PathBuf::from(f.site_path()),
            rel: f.rel,
            builtin: Some(f.bytes),
        });
    }
    assets.sort_by(|a, b| a.rel.cmp(&b.rel));
}

/// The files a site keeps in `layouts/` and `assets/`, as site paths (`layouts/map.html`), sorted.
fn site_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for folder in Folder::ALL {
        let dir = root.join(folder.dir());
        if !dir.is_dir() {
            continue;
        }
        for e in walkdir::WalkDir::new(&dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file()
                && !crate::content::is_ignored_name(&e.file_name().to_string_lossy())
            {
                let rel = e.path().strip_prefix(&dir).unwrap_or(e.path());
                out.push(format!("{}/{}", folder.dir(), slash(rel)));
            }
        }
    }
    out
}

fn require_site(root: &Path) -> Result<()> {
    if root.join(crate::config::CONFIG_FILE).exists() {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "{} has no site.yaml; run this in a site's root or pass --root",
            root.display()
        )))
    }
}

/// Finds the built-in file a user named: by its site path (`layouts/page.html`), or by its path
/// inside its folder (`page.html`, `css/site.css`) when only one folder has it.
fn resolve(name: &str) -> std::result::Result<BuiltinFile, String> {
    let name = name.replace('\\', "/");
    let name = name.trim_start_matches("./");
    let all = files();
    if let Some(f) = all.iter().find(|f| f.site_path() == name) {
        return Ok(f.clone());
    }
    let matches: Vec<&BuiltinFile> = all.iter().filter(|f| f.rel == name).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let paths: Vec<String> = all.iter().map(BuiltinFile::site_path).collect();
            let near = paths
                .iter()
                .map(|p| (strsim::jaro_winkler(p, name), p))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, p)| format!("did you mean `{p}`? "))
                .unwrap_or_default();
            Err(format!(
                "`{name}` is not a file of the built-in theme; {near}the built-in files are: {}",
                paths.join(", ")
            ))
        }
        _ => Err(format!(
            "`{name}` names several built-in files: {}",
            matches
                .iter()
                .map(|f| f.site_path())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// What `bilat theme eject` did.
#[derive(Debug, Default)]
pub struct Ejected {
    /// Files written into the site.
    pub written: Vec<PathBuf>,
    /// Built-in files the site already overrides, left as they were (when ejecting everything).
    pub kept: Vec<String>,
}

/// Copies built-in files into the site so they can be edited: the named ones (refusing, before
/// writing anything, if any of them is unknown or already in the site), or with no names every
/// built-in file the site does not override yet.
pub fn eject(root: &Path, names: &[String]) -> Result<Ejected> {
    require_site(root)?;
    let mut chosen = Vec::new();
    let mut problems = Vec::new();
    let mut report = Ejected::default();
    if names.is_empty() {
        for f in files() {
            if root.join(f.site_path()).exists() {
                report.kept.push(f.site_path());
            } else {
                chosen.push(f);
            }
        }
    } else {
        for name in names {
            match resolve(name) {
                Ok(f) if root.join(f.site_path()).exists() => problems.push(format!(
                    "{} already exists; not overwriting it (`bilat theme diff` shows how it differs from the built-in file)",
                    f.site_path()
                )),
                Ok(f) => {
                    if !chosen.iter().any(|c: &BuiltinFile| c.site_path() == f.site_path()) {
                        chosen.push(f);
                    }
                }
                Err(msg) => problems.push(msg),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Refused(format!(
            "nothing was ejected:\n  {}",
            problems.join("\n  ")
        )));
    }
    for f in chosen {
        let path = root.join(f.site_path());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        // create_new: a file that appeared since the check above is still never overwritten.
        use std::io::Write;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| file.write_all(f.bytes))
            .map_err(|e| Error::io(&path, e))?;
        report.written.push(path);
    }
    Ok(report)
}

/// How one file of a site's `layouts/` or `assets/` relates to the built-in theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// The same bytes as the built-in file: the override can be deleted.
    Same,
    /// It differs from the built-in file: a unified diff from the built-in to the site's file
    /// (`None` when either is not UTF-8 text).
    Changed(Option<String>),
    /// No built-in file has this path: the file is the site's own (a layout of its own, an image).
    SiteOnly,
}

/// One file of a site's theme folders, compared with the built-in theme.
#[derive(Debug, Clone)]
pub struct Override {
    /// Site path, `/`-separated (`layouts/page.html`).
    pub path: String,
    pub comparison: Comparison,
}

/// Compares every file of the site's `layouts/` and `assets/` with this release's built-in theme,
/// so that a maintainer sees what an upgrade changed under the files the site overrides.
pub fn diff(root: &Path) -> Result<Vec<Override>> {
    require_site(root)?;
    let mut out = Vec::new();
    for path in site_files(root) {
        let Some((dir, rel)) = path.split_once('/') else {
            continue;
        };
        let Some(folder) = Folder::ALL.into_iter().find(|f| f.dir() == dir) else {
            continue;
        };
        let comparison = match builtin(folder, rel) {
            None => Comparison::SiteOnly,
            Some(b) => {
                let file = root.join(&path);
                let mine = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
                if mine == b.bytes {
                    Comparison::Same
                } else {
                    Comparison::Changed(unified(b.bytes, &mine, &path))
                }
            }
        };
        out.push(Override { path, comparison });
    }
    Ok(out)
}

/// A unified diff (three lines of context) from the built-in file to the site's file.
fn unified(builtin: &[u8], mine: &[u8], path: &str) -> Option<String> {
    let (old, new) = (
        std::str::from_utf8(builtin).ok()?,
        std::str::from_utf8(mine).ok()?,
    );
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("built-in/{path} (bilat {})", env!("CARGO_PKG_VERSION")),
            path,
        )
        .to_string();
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_layout_is_text_and_the_defaults_are_there() {
        let layouts = files_in(Folder::Layouts);
        for f in &layouts {
            assert!(std::str::from_utf8(f.bytes).is_ok(), "{}", f.rel);
        }
        for name in ["base.html", "index.html", "section.html", "page.html"] {
            assert!(layouts.iter().any(|f| f.rel == name), "{name}");
        }
        assert!(builtin(Folder::Assets, "css/site.css").is_some());
    }

    #[test]
    fn a_site_layout_replaces_the_built_in_one_of_the_same_name() {
        let merged = with_builtin_layouts(vec![("page.html".into(), "mine".into())]);
        let page: Vec<&(String, String)> =
            merged.iter().filter(|(n, _)| n == "page.html").collect();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].1, "mine");
        assert!(merged.iter().any(|(n, _)| n == "base.html"));
        assert!(merged.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
    }

    #[test]
    fn names_resolve_with_or_without_their_folder() {
        assert_eq!(
            resolve("page.html").map(|f| f.site_path()),
            Ok("layouts/page.html".into())
        );
        assert_eq!(
            resolve("assets/css/site.css").map(|f| f.site_path()),
            Ok("assets/css/site.css".into())
        );
        let err = resolve("layouts/pgae.html").unwrap_err();
        assert!(err.contains("did you mean `layouts/page.html`"), "{err}");
    }

    #[test]
    fn the_diff_runs_from_the_built_in_file_to_the_site_one() {
        let d = unified(b"a\nb\nc\n", b"a\nB\nc\n", "layouts/x.html").expect("text");
        assert!(d.contains("--- built-in/layouts/x.html"), "{d}");
        assert!(d.contains("+++ layouts/x.html"), "{d}");
        assert!(d.contains("-b\n+B\n"), "{d}");
        assert_eq!(unified(b"a", &[0xff], "assets/x.bin"), None);
    }
}
