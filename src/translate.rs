//! `bilat translate`: recording which revision of its original a translation translates
//! ([`mark`]) and the table of every page in every edition ([`status`]).
//!
//! The rules (what a translation gives, what it inherits, how the revision is computed) are
//! [`crate::editions`]'s; this module reads and writes files for the two commands, and leaves
//! printing the table to the binary.

use crate::content::{self, InEdition};
use crate::editions::{self, Freshness};
use crate::error::{Diagnostic, Error, Result};
use crate::site::{BuildOptions, Retention, Site};
use std::path::{Path, PathBuf};

/// Writes the current revision of its original into a translation file (`translates: …`);
/// returns the revision.
pub fn mark(root: &Path, file: &Path) -> Result<String> {
    let config = crate::config::Config::load(root)?;
    let codes: Vec<String> = config
        .languages
        .iter()
        .filter(|l| l.code != config.language)
        .map(|l| l.code.clone())
        .collect();
    let content_dir = root.join(content::CONTENT_DIR);
    // The file as given: relative to the root first (as `check` names it), else to the working
    // directory, or absolute.
    let path = [root.join(file), file.to_path_buf()]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| one(file, "no such file"))?;
    let path = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
    let content_abs =
        std::fs::canonicalize(&content_dir).map_err(|e| Error::io(&content_dir, e))?;
    let rel = path
        .strip_prefix(&content_abs)
        .map_err(|_| one(file, "not a file under content/"))?;
    let (original, _) = content::translation_of(&content::to_slash(rel), &codes).ok_or_else(|| {
        Error::Build(vec![Diagnostic::error(file, None, "not a translation file").with_help(
            format!(
                "a translation is named after its original with a language of site.yaml's `languages` ({}): `trade.ru.md` beside `trade.md`",
                codes.join(", ")
            ),
        )])
    })?;
    let original_path = content_abs.join(&original);
    if !original_path.is_file() {
        return Err(one(
            file,
            &format!("its original `content/{original}` does not exist"),
        ));
    }
    let page = content::load_page(root, &content_abs, &original_path)
        .map_err(|d| Error::Build(vec![d]))?;
    let revision = editions::fingerprint(&page).map_err(|d| Error::Build(vec![d]))?;
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let text = crate::text::decode_text(file, bytes).map_err(|d| Error::Build(vec![d]))?;
    let marked = editions::mark(&text, &revision).ok_or_else(|| {
        one(
            file,
            "has no front matter between `---` lines to record the revision in",
        )
    })?;
    replace_file(&path, marked.as_bytes()).map_err(|e| Error::io(&path, e))?;
    Ok(revision)
}

/// Replaces a file whole (written beside it, then renamed over it): an editor or `bilat serve`
/// never reads it half-written.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.bilat-tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn one(file: &Path, message: &str) -> Error {
    Error::Build(vec![Diagnostic::error(file, None, message.to_string())])
}

/// Every page of the default edition, and how each other edition has it.
#[derive(Debug, Clone)]
pub struct Status {
    /// The other editions' codes, in site.yaml's order.
    pub editions: Vec<String>,
    pub rows: Vec<StatusRow>,
}

#[derive(Debug, Clone)]
pub struct StatusRow {
    /// The original (`content/topics/trade.md`).
    pub page: PathBuf,
    /// Parallel to [`Status::editions`].
    pub states: Vec<Freshness>,
}

impl Status {
    pub fn outdated(&self) -> usize {
        self.count(Freshness::Outdated)
    }

    pub fn count(&self, state: Freshness) -> usize {
        self.rows
            .iter()
            .flat_map(|r| &r.states)
            .filter(|s| **s == state)
            .count()
    }
}

/// The freshness of every translation the site has or lacks.
pub fn status(root: &Path) -> Result<Status> {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        drafts: true,
        ..Default::default()
    };
    let sites = Site::load_editions(&opts, Retention::Everything)?;
    let (default, others) = sites
        .split_first()
        .ok_or_else(|| one(root, "the site has no edition"))?;
    let rows = default
        .pages
        .iter()
        .map(|original| StatusRow {
            page: original.shown.clone(),
            states: others
                .iter()
                .map(|e| {
                    let page = e
                        .by_content_path
                        .get(&original.content_path)
                        .map(|&i| &e.pages[i].in_edition);
                    match page {
                        Some(InEdition::Translated {
                            outdated: false, ..
                        }) => Freshness::UpToDate,
                        Some(InEdition::Translated { outdated: true, .. }) => Freshness::Outdated,
                        _ => Freshness::Missing,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Status {
        editions: others.iter().map(|e| e.edition.code.clone()).collect(),
        rows,
    })
}
