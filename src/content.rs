//! Loading `content/`: every Markdown file becomes a [`Page`] (home, section or page) with typed
//! front matter; every other file is a static file copied beside the pages.

use crate::error::{Diagnostic, Diagnostics};
use crate::frontmatter::{self, FrontMatter};
use crate::text::slugify;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub const CONTENT_DIR: &str = "content";
/// Files copied as they are, beside the pages, with a content hash for cache busting.
pub const ASSETS_DIR: &str = "assets";
pub const LAYOUTS_DIR: &str = "layouts";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageKind {
    /// `content/_index.md`
    Home,
    /// `content/<dir>/_index.md`
    Section,
    /// Any other `.md` file.
    Page,
}

/// One Markdown file of the site, parsed but not yet rendered.
#[derive(Debug, Clone)]
pub struct Page {
    pub kind: PageKind,
    /// Path on disk.
    pub file: PathBuf,
    /// Path as shown in messages, relative to the site root (`content/topics/trade.md`).
    pub shown: PathBuf,
    /// Path inside `content/` with `/` separators (`topics/trade.md`); internal links name this.
    pub content_path: String,
    /// The path under `content/` without the extension (`visit/2023/talks`; a bundle's folder,
    /// `topics/trade` for `topics/trade/index.md`); see `Site::resolve_id` for short ids.
    pub id: String,
    /// First folder under `content/` (`topics`), empty for top-level pages and the home.
    pub section: String,
    /// The page's URL path relative to the base path, ending in `/` (`topics/trade/`; `` for home).
    pub path: String,
    pub meta: FrontMatter,
    /// The raw YAML block, to locate references in errors. Empty when the site was loaded for one
    /// large build: [`Page::yaml`] reads it from the file again, which only an error needs.
    pub yaml: String,
    pub yaml_line: usize,
    /// Empty when the site was loaded for one large build: the page's job reads the file again.
    pub body: String,
    pub body_line: usize,
    /// Hash of the file's text, to notice a file that changed between loading and rendering.
    pub digest: u64,
    /// Which edition's words the page holds (see `crate::editions`).
    pub in_edition: InEdition,
}

/// What a page of an edition is made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InEdition {
    /// The original, in the site's default language (every page of a site in one language).
    #[default]
    Original,
    /// A translation file over its original's facts. `outdated` when the original's words
    /// changed after the revision the translation says it translates.
    Translated { original: PathBuf, outdated: bool },
    /// An original with no translation in this edition: listed and linked, never rendered here.
    Untranslated,
}

/// A translation of a page: `topics/trade.ru.md` beside `topics/trade.md`. Its front matter is
/// read only when an edition is made (`crate::editions::merge`): alone it lacks the facts.
#[derive(Debug, Clone)]
pub struct TranslationFile {
    pub file: PathBuf,
    /// As shown in messages (`content/topics/trade.ru.md`).
    pub shown: PathBuf,
    /// The original's content path (`topics/trade.md`).
    pub original: String,
    /// The edition's language code (`ru`).
    pub language: String,
    pub yaml: String,
    pub yaml_line: usize,
    pub body: String,
    pub body_line: usize,
    pub digest: u64,
}

/// `topics/trade.ru.md` is (`topics/trade.md`, `ru`) when `ru` is one of `codes`.
pub fn translation_of<'c>(content_path: &str, codes: &'c [String]) -> Option<(String, &'c str)> {
    let stem = content_path.strip_suffix(".md")?;
    codes.iter().find_map(|c| {
        let original = stem.strip_suffix(c.as_str())?.strip_suffix('.')?;
        (!original.is_empty() && !original.ends_with('/'))
            .then(|| (format!("{original}.md"), c.as_str()))
    })
}

/// Reads a translation file: its front matter split from its body, not yet parsed.
pub(crate) fn load_translation(
    root: &Path,
    content: &Path,
    path: &Path,
    codes: &[String],
) -> Result<TranslationFile, Diagnostic> {
    let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::error(&shown, None, format!("cannot read: {e}")))?;
    let text = crate::text::decode_text(&shown, bytes)?;
    let split = frontmatter::split(&shown, &text)?;
    let content_path = to_slash(path.strip_prefix(content).unwrap_or(path));
    let (original, language) = translation_of(&content_path, codes)
        .ok_or_else(|| Diagnostic::error(&shown, None, "not a translation file"))?;
    Ok(TranslationFile {
        file: path.to_path_buf(),
        original,
        language: language.to_string(),
        yaml: split.yaml.to_string(),
        yaml_line: split.yaml_line,
        body: split.body.to_string(),
        body_line: split.body_line,
        digest: digest(&text),
        shown,
    })
}

impl Page {
    /// The page's YAML block: the one kept, or (for a page loaded without it) the file's, read
    /// again by [`reread`]; empty if the file changed since it was loaded (its lines would no
    /// longer be the ones parsed). A page always has front matter (a title at least), so an
    /// empty block means it was not kept.
    pub fn yaml(&self) -> std::borrow::Cow<'_, str> {
        if !self.yaml.is_empty() {
            return self.yaml.as_str().into();
        }
        let again = reread(self).ok().and_then(|text| {
            frontmatter::split(&self.shown, &text)
                .ok()
                .map(|s| s.yaml.to_string())
        });
        again.unwrap_or_default().into()
    }

    /// The file line of the first mention of `needle` in the front matter.
    pub fn line_of(&self, needle: &str) -> Option<usize> {
        crate::text::find_word_line(&self.yaml(), needle).map(|l| l + self.yaml_line - 1)
    }

    /// The file line of a `key: value` pair, or of the value alone if no line holds both.
    pub fn line_of_pair(&self, key: &str, value: &str) -> Option<usize> {
        let prefix = format!("{key}:");
        self.yaml()
            .lines()
            .position(|l| l.contains(&prefix) && crate::text::find_word_line(l, value).is_some())
            .map(|i| i + self.yaml_line)
            .or_else(|| self.line_of(value))
    }

    /// The file line of `key:` in the front matter.
    pub fn line_of_key(&self, key: &str) -> Option<usize> {
        crate::text::find_key_line(&self.yaml(), key).map(|l| l + self.yaml_line - 1)
    }

    /// The folder of the source file inside `content/` (`topics`), for resolving relative links.
    pub fn content_dir(&self) -> &str {
        self.content_path.rsplit_once('/').map_or("", |(d, _)| d)
    }

    /// Where the rendered page is written, relative to the output dir.
    pub fn output_file(&self) -> String {
        format!("{}index.html", self.path)
    }
}

/// A non-Markdown file under `content/`, copied to the same relative place in the output.
#[derive(Debug, Clone)]
pub struct StaticFile {
    /// Path on disk; for a file of the built-in theme, the path an override of it would have in
    /// the site (`assets/css/site.css`), for messages.
    pub file: PathBuf,
    /// Relative output path with `/` separators.
    pub rel: String,
    /// The bytes of a built-in theme file, compiled into the binary; `None` for a file on disk.
    pub builtin: Option<&'static [u8]>,
}

impl StaticFile {
    /// The file's bytes, from the binary or from the disk.
    pub fn read(&self) -> std::io::Result<std::borrow::Cow<'static, [u8]>> {
        match self.builtin {
            Some(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            None => std::fs::read(&self.file).map(std::borrow::Cow::Owned),
        }
    }

    /// Writes the file to `dest` (a copy of the file on disk keeps the copy cheap for large files).
    pub fn copy_to(&self, dest: &Path) -> std::io::Result<()> {
        match self.builtin {
            Some(bytes) => std::fs::write(dest, bytes),
            None => std::fs::copy(&self.file, dest).map(|_| ()),
        }
    }
}

/// Everything read from `content/`.
#[derive(Debug, Default)]
pub struct Content {
    pub pages: Vec<Page>,
    pub static_files: Vec<StaticFile>,
    /// Whether the pages hold their Markdown bodies (see [`load`]).
    pub bodies_kept: bool,
    /// Content paths of the Markdown files that could not be loaded (their errors are reported):
    /// links to them are not reported again as broken.
    pub unloaded: Vec<String>,
    /// Pages marked `draft: true` that were left out.
    pub drafts: Vec<Draft>,
    /// Translation files (`trade.ru.md`) of the site's other editions.
    pub translations: Vec<TranslationFile>,
}

/// A page left out because it is a draft: what `check` needs to say so.
#[derive(Debug, Clone)]
pub struct Draft {
    pub shown: PathBuf,
    pub title: String,
    /// The line of `draft:` in the file.
    pub line: Option<usize>,
}

/// Files that editors write next to the real ones and that must never become pages:
/// swap files, backups, JetBrains temp files, macOS metadata, emacs lock files.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.starts_with("__jb_")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".bck")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name == "4913" // vim's write test file
}

pub fn to_slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Lists the Markdown and static files under `content/`, reporting unreadable entries and loops.
fn discover(content: &Path, diags: &mut Diagnostics) -> (Vec<PathBuf>, Vec<StaticFile>) {
    let mut md = Vec::new();
    let mut statics = Vec::new();
    let bounds = crate::bounds::Bounds::new(content.parent().unwrap_or(content));
    // Links are followed only inside the site; the walk does not enter one that leads out.
    let mut escapes = Vec::new();
    let walker = bounds.walk(content, &mut escapes, |e| {
        let name = e.file_name().to_string_lossy();
        e.depth() == 0
            || !(is_ignored_name(&name) || (e.depth() == 1 && name == crate::registry::DATA_DIR))
    });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| content.to_path_buf());
                let is_link =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop: this link points at a folder that contains it".to_string()
                } else if is_link && std::fs::metadata(&path).is_err() {
                    let target = std::fs::read_link(&path)
                        .map(|t| t.display().to_string())
                        .unwrap_or_default();
                    format!("broken symbolic link: `{target}` does not exist (or is a link loop)")
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error().map_or(e.to_string(), |io| io.to_string())
                    )
                };
                // Shown relative to the site root, like every other message.
                let shown =
                    Path::new(CONTENT_DIR).join(path.strip_prefix(content).unwrap_or(&path));
                diags.push(Diagnostic::error(shown, None, msg));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.into_path();
        if path.extension().is_some_and(|e| e == "md") {
            md.push(path);
        } else {
            let rel = to_slash(path.strip_prefix(content).unwrap_or(&path));
            statics.push(StaticFile {
                file: path,
                rel,
                builtin: None,
            });
        }
    }
    diags.extend(escapes);
    (md, statics)
}

/// Reads and parses every Markdown file in parallel.
/// Pages keep their Markdown bodies if all the Markdown files together are smaller than
/// `keep_bodies_under` bytes; otherwise each body is dropped as soon as its front matter is parsed
/// (a one-shot build reads it again when it renders the page), so a large site never holds them all.
pub fn load(
    root: &Path,
    include_drafts: bool,
    keep_bodies_under: u64,
    translation_codes: &[String],
    diags: &mut Diagnostics,
) -> Content {
    let content = root.join(CONTENT_DIR);
    if !content.is_dir() {
        diags.push(
            Diagnostic::error(CONTENT_DIR, None, "content/ folder not found")
                .with_help("a site keeps its Markdown in content/ next to site.yaml"),
        );
        return Content::default();
    }
    let (mut md, static_files) = discover(&content, diags);
    // Translations (`trade.ru.md`) are read beside the pages, not as pages.
    let (translation_files, originals): (Vec<PathBuf>, Vec<PathBuf>) =
        md.drain(..).partition(|p| {
            !translation_codes.is_empty()
                && translation_of(
                    &to_slash(p.strip_prefix(&content).unwrap_or(p)),
                    translation_codes,
                )
                .is_some()
        });
    let md = originals;
    let mut translations = Vec::new();
    for path in &translation_files {
        match load_translation(root, &content, path, translation_codes) {
            Ok(t) => translations.push(t),
            Err(d) => diags.push(d),
        }
    }
    let keep_bodies = keep_bodies_under == u64::MAX
        || md
            .par_iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum::<u64>()
            < keep_bodies_under;
    // A large site keeps neither bodies nor YAML blocks: both are read again when needed, and
    // never copied out of the file's text only to be freed among the pages' long-lived fields.
    let results: Vec<Result<Page, Diagnostic>> = md
        .par_iter()
        .map(|path| load_page_keeping(root, &content, path, keep_bodies))
        .collect();
    let mut pages = Vec::with_capacity(results.len());
    let mut drafts = Vec::new();
    let mut unloaded = Vec::new();
    for (r, path) in results.into_iter().zip(&md) {
        match r {
            Ok(p) if p.meta.draft && !include_drafts => drafts.push(Draft {
                line: p.line_of_key("draft"),
                shown: p.shown,
                title: p.meta.title,
            }),
            Ok(p) => pages.push(p),
            Err(d) => {
                diags.push(d);
                unloaded.push(to_slash(path.strip_prefix(&content).unwrap_or(path)));
            }
        }
    }
    Content {
        pages,
        static_files,
        bodies_kept: keep_bodies,
        unloaded,
        drafts,
        translations,
    }
}

/// Reads one Markdown file into a page.
pub fn load_page(root: &Path, content: &Path, path: &Path) -> Result<Page, Diagnostic> {
    load_page_keeping(root, content, path, true)
}

/// [`load_page`], keeping the body and the YAML block only if `keep_text`.
fn load_page_keeping(
    root: &Path,
    content: &Path,
    path: &Path,
    keep_text: bool,
) -> Result<Page, Diagnostic> {
    let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::error(&shown, None, format!("cannot read: {e}")))?;
    let text = crate::text::decode_text(&shown, bytes)?;
    let split = frontmatter::split(&shown, &text)?;
    let meta = frontmatter::parse(&shown, &split)?;
    let kept = |part: &str| {
        if keep_text {
            part.to_string()
        } else {
            String::new()
        }
    };

    let content_rel = path.strip_prefix(content).unwrap_or(path);
    let content_path = to_slash(content_rel);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dirs: Vec<String> = content_rel
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let dir_path: String = dirs.iter().map(|d| format!("{}/", slugify(d))).collect();
    // A name made only of punctuation (`???.md`, a folder `%%`) has no slug: its URL would be its
    // parent's, and the two pages would overwrite each other.
    if let Some(bad) = dirs
        .iter()
        .chain(std::iter::once(&stem))
        .find(|d| slugify(d).is_empty())
    {
        return Err(Diagnostic::error(
            &shown,
            None,
            format!("`{bad}` has no letters or digits to make a URL from"),
        )
        .with_help("rename the file or folder so that its name contains a letter or a digit"));
    }
    // Ids follow folders: `content/visit/2023/talks.md` is `visit/2023/talks`, so two folders may
    // hold files of the same name; the last segment alone is a short id (`Site::resolve_id`).
    let dirs_id = dirs.join("/");
    let (kind, id, path_str) = match stem.as_str() {
        "_index" if dirs.is_empty() => (PageKind::Home, "index".to_string(), String::new()),
        "_index" => (PageKind::Section, dirs_id, dir_path),
        // A page bundle: content/topics/trade/index.md is the page /topics/trade/.
        "index" if !dirs.is_empty() => (PageKind::Page, dirs_id, dir_path),
        _ if dirs.is_empty() => (PageKind::Page, stem.clone(), format!("{}/", slugify(&stem))),
        _ => (
            PageKind::Page,
            format!("{dirs_id}/{stem}"),
            format!("{dir_path}{}/", slugify(&stem)),
        ),
    };
    Ok(Page {
        kind,
        file: path.to_path_buf(),
        shown,
        content_path,
        id,
        section: dirs.first().cloned().unwrap_or_default(),
        path: path_str,
        meta,
        yaml: kept(split.yaml),
        yaml_line: split.yaml_line,
        body: kept(split.body),
        body_line: split.body_line,
        digest: digest(&text),
        in_edition: InEdition::Original,
    })
}

fn digest(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The text of a page's file as it was when the site was loaded; an error if it has changed
/// since, because the checks and site-wide lists were made from the old text.
pub fn reread(page: &Page) -> Result<String, Diagnostic> {
    let changed = || {
        Diagnostic::error(
            &page.shown,
            None,
            "the file changed while the site was being built",
        )
        .with_help("build again")
    };
    let bytes = std::fs::read(&page.file).map_err(|_| changed())?;
    let text = crate::text::decode_text(&page.shown, bytes).map_err(|_| changed())?;
    if digest(&text) != page.digest {
        return Err(changed());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_at(rel: &str, text: &str) -> Result<Page, Diagnostic> {
        let tmp = tempfile::tempdir().expect("tempdir");
        let content = tmp.path().join(CONTENT_DIR);
        let path = content.join(rel);
        std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        load_page(tmp.path(), &content, &path)
    }

    #[test]
    fn kinds_ids_and_urls_follow_the_file_path() {
        let front = "---\ntitle: T\n---\nBody.\n";
        let cases = [
            ("_index.md", PageKind::Home, "index", ""),
            ("topics/_index.md", PageKind::Section, "topics", "topics/"),
            (
                "topics/trade.md",
                PageKind::Page,
                "topics/trade",
                "topics/trade/",
            ),
            (
                "topics/oil/index.md",
                PageKind::Page,
                "topics/oil",
                "topics/oil/",
            ),
            (
                "visit/2023/Talks Now.md",
                PageKind::Page,
                "visit/2023/Talks Now",
                "visit/2023/talks-now/",
            ),
            ("about.md", PageKind::Page, "about", "about/"),
        ];
        for (rel, kind, id, path) in cases {
            let p = page_at(rel, front).expect(rel);
            assert_eq!(
                (p.kind, p.id.as_str(), p.path.as_str()),
                (kind, id, path),
                "{rel}"
            );
            assert_eq!(p.body, "Body.\n");
            assert_eq!(p.body_line, 4);
        }
    }

    #[test]
    fn a_name_without_letters_is_refused_and_editor_files_are_ignored() {
        let e = page_at("topics/???.md", "---\ntitle: T\n---\n").expect_err("refused");
        assert!(e.message.contains("no letters or digits"), "{}", e.message);
        for name in [".trade.md.swp", "trade.md~", "#trade.md#", ".DS_Store"] {
            assert!(is_ignored_name(name), "{name}");
        }
        assert!(!is_ignored_name("trade.md"));
    }
}
