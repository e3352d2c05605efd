//! The site model: loads config, content, registries and assets, indexes the pages, checks every
//! reference, and renders all Markdown in parallel (so links and anchors are checked before any
//! template runs).
//!
//! It leaves the views templates see to [`crate::views`], the list of files to make to
//! [`crate::jobs`] and rendering them to [`crate::engine`]. The model stays in memory so that
//! `watch` can re-render only what an edit touches.

use crate::config::{Config, LinkPolicy};
use crate::content::{self, Page, PageKind, StaticFile};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::markdown::{self, Glossary, Rendered};
use crate::registry::Registries;
use crate::timings::{Stage, Timings};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// What a build was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Defaults to `<root>/public`.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` from site.yaml for this build.
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Overrides the base path only (the dev server's `--base-path`).
    pub base_path: Option<String>,
}

impl BuildOptions {
    pub fn output_dir(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }
}

/// What a loaded site keeps of each page once it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Bodies, Markdown HTML and raw front matter: `watch` re-renders and re-checks from memory.
    Everything,
    /// Only what the checks, the site-wide lists and the templates read, for a build that renders
    /// each page once. Up to [`KEEP_HTML_UNDER`] bytes of Markdown, each page's HTML is kept from
    /// the one Markdown pass; above it, nothing is: the page's job reads its file again and renders
    /// its Markdown a second time. A site of 100,000 topics would otherwise hold every body and all
    /// of its HTML at once.
    OneBuild,
}

/// How much Markdown a one-shot build renders once and keeps as HTML (about 1.5× as large).
/// Above it, rendering Markdown twice (about 15 % more CPU) keeps memory flat as the site grows.
pub const KEEP_HTML_UNDER: u64 = 256 << 20;

/// The site-wide tables that Markdown links and glossary terms are resolved against.
pub(crate) struct LinkTables {
    /// Content path → URL path.
    pages: HashMap<String, String>,
    /// Static files of content/ and assets/, by output path.
    files: HashSet<String>,
    glossary: Glossary,
    /// Ids the layouts write themselves, with the layout (see [`layout_ids`]).
    layout_ids: HashMap<String, String>,
    images: crate::images::Catalog,
}

/// The loaded, checked and Markdown-rendered site.
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    pub base_url: String,
    pub base_path: String,
    pub pages: Vec<Page>,
    /// Parallel to `pages`.
    pub rendered: Vec<Rendered>,
    pub registries: Registries,
    /// Non-Markdown files under content/.
    pub static_files: Vec<StaticFile>,
    /// Files under assets/.
    pub assets: Vec<StaticFile>,
    pub asset_hashes: HashMap<String, String>,
    pub by_content_path: HashMap<String, usize>,
    /// Pages (not sections or the home) by full id.
    pub by_id: HashMap<String, usize>,
    /// Pages by the last segment of their id (`talks`), for short references.
    by_short_id: HashMap<String, Vec<usize>>,
    /// Content paths of Markdown files that failed to load (see [`content::Content::unloaded`]).
    pub unloaded: Vec<String>,
    pub warnings: Vec<Diagnostic>,
    /// How many quotes were checked against their sources' texts.
    pub quotes: crate::sources::QuoteTally,
    /// The pages left out as drafts (none when drafts are built).
    pub drafts: Vec<content::Draft>,
    pub(crate) today: jiff::civil::Date,
    /// Pages keep no Markdown: each page's job reads its file again and renders it.
    reread: bool,
    /// Set exactly when `reread` is: the tables the page jobs render Markdown against.
    links: Option<LinkTables>,
    /// Which edition this is (see [`crate::editions`]); a site in one language has one.
    pub edition: crate::editions::EditionInfo,
}

/// A page as one edition has it (see [`Site::editions_of`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EditionLink {
    pub code: String,
    /// The language's name in itself (`Русский`).
    pub name: String,
    pub url: String,
    pub permalink: String,
    /// The edition being rendered.
    pub current: bool,
    /// The page has its own words in this edition (the original or a translation): an
    /// `hreflang` alternate. Otherwise `url` is where it is read instead.
    pub translated: bool,
}

/// `name` with every non-ASCII character written as its code point (`cafe\u{301}`), to show
/// two names that look the same apart.
fn code_points(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                c.escape_unicode().to_string()
            }
        })
        .collect()
}

/// The ids written as plain attribute values (`id="main"`, not `id="src-{{ s.id }}"`) in the
/// site's layouts and the built-in ones it does not override, each with the first layout that
/// writes it: a heading must not take one.
fn layout_ids(root: &Path, theme: crate::config::Theme) -> HashMap<String, String> {
    let mut layouts: Vec<(String, String, String)> = Vec::new();
    let dir = root.join(crate::render::LAYOUTS_DIR);
    for entry in walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
    {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let rel = content::to_slash(entry.path().strip_prefix(&dir).unwrap_or(entry.path()));
        let shown = format!("{}/{rel}", crate::render::LAYOUTS_DIR);
        layouts.push((rel, shown, text));
    }
    if theme == crate::config::Theme::Builtin {
        for f in crate::theme::files_in(crate::theme::Folder::Layouts) {
            if !layouts.iter().any(|(rel, _, _)| *rel == f.rel) {
                let text = String::from_utf8_lossy(f.bytes).into_owned();
                layouts.push((
                    f.rel.clone(),
                    format!("the built-in {}", f.site_path()),
                    text,
                ));
            }
        }
    }
    let mut ids = HashMap::new();
    for (_, shown, text) in &layouts {
        for (i, _) in text.match_indices("id=") {
            if !text[..i].ends_with(|c: char| c.is_ascii_whitespace()) {
                continue;
            }
            let rest = &text[i + 3..];
            let value = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].split(q).next(),
                _ => rest
                    .split(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                    .next(),
            };
            if let Some(v) = value.filter(|v| !v.is_empty() && !v.contains(['{', '}', '%'])) {
                ids.entry(v.to_string()).or_insert_with(|| shown.clone());
            }
        }
    }
    ids
}

pub(crate) fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// Lists assets/ with the built-in assets it does not override (unless `theme: none`), and hashes each file for cache
/// busting.
fn load_assets(
    root: &Path,
    theme: crate::config::Theme,
    diags: &mut Diagnostics,
) -> (Vec<StaticFile>, HashMap<String, String>) {
    let dir = root.join(content::ASSETS_DIR);
    let mut files = Vec::new();
    let bounds = crate::bounds::Bounds::new(root);
    // Links are followed only inside the site; the walk does not enter one that leads out.
    let mut escapes = Vec::new();
    // Without an assets/ of its own, a site uses the built-in assets alone.
    let walker = dir
        .is_dir()
        .then(|| bounds.walk(&dir, &mut escapes, |_| true));
    for entry in walker.into_iter().flatten() {
        match entry {
            Ok(e)
                if e.file_type().is_file()
                    && !content::is_ignored_name(&e.file_name().to_string_lossy()) =>
            {
                let rel = e.path().strip_prefix(&dir).unwrap_or(e.path());
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push(StaticFile {
                    file: e.into_path(),
                    rel,
                    builtin: None,
                });
            }
            Ok(_) => {}
            Err(e) => diags.push(Diagnostic::error(
                e.path().unwrap_or(&dir).to_path_buf(),
                None,
                format!("cannot read asset: {e}"),
            )),
        }
    }
    diags.extend(escapes);
    if theme == crate::config::Theme::Builtin {
        crate::theme::add_builtin_assets(&mut files);
    }
    let hashes = files
        .par_iter()
        .filter_map(|f| f.read().ok().map(|b| (f.rel.clone(), short_hash(&b))))
        .collect();
    (files, hashes)
}

impl Site {
    /// Loads and checks everything, keeping it all; `Err` carries every problem found.
    pub fn load(opts: &BuildOptions) -> Result<Site> {
        Site::load_with(opts, Retention::Everything)
    }

    /// Loads and checks everything, keeping what `retention` says: the default edition only.
    pub fn load_with(opts: &BuildOptions, retention: Retention) -> Result<Site> {
        let mut all = Site::load_editions(opts, retention)?;
        Ok(all.swap_remove(0))
    }

    /// Loads and checks every edition of the site, the default first (one for a site in one
    /// language). The files are read once; each other edition is its translations over the
    /// default edition's facts (see [`crate::editions`]).
    pub fn load_editions(opts: &BuildOptions, retention: Retention) -> Result<Vec<Site>> {
        Site::load_editions_timed(opts, retention, &mut Timings::start())
    }

    /// [`Site::load_editions`], timing its stages into `timings`.
    pub fn load_editions_timed(
        opts: &BuildOptions,
        retention: Retention,
        timings: &mut Timings,
    ) -> Result<Vec<Site>> {
        let mut config = Config::load(&opts.root)?;
        if let Some(url) = &opts.base_url {
            crate::config::parse_base_url(url)
                .map_err(|m| Error::Build(vec![Diagnostic::error("--base-url", None, m)]))?;
            config.base_url = url.clone();
        }
        timings.lap(Stage::Config);
        let mut diags = Diagnostics::default();
        let others: Vec<String> = config
            .languages
            .iter()
            .filter(|l| l.code != config.language)
            .map(|l| l.code.clone())
            .collect();
        let keep_bodies_under = match retention {
            // Editions render their originals' bodies where a translation has none: all are kept.
            _ if !others.is_empty() => u64::MAX,
            Retention::Everything => u64::MAX,
            // The environment may lower it, to try the large-site path on a small site.
            Retention::OneBuild => std::env::var("BILAT_KEEP_HTML_UNDER")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(KEEP_HTML_UNDER),
        };
        let content = content::load(
            &opts.root,
            opts.drafts,
            keep_bodies_under,
            &others,
            &mut diags,
        );
        timings.lap(Stage::Read);
        let reread = !content.bodies_kept;
        let mut registries = Registries::load(
            &opts.root.join(content::CONTENT_DIR),
            Path::new(content::CONTENT_DIR),
            &mut diags,
        );
        crate::sources::fields::complete(&mut registries.sources, &config.language, &mut diags);
        registries.check_languages(&others, &mut diags);
        let (assets, asset_hashes) = load_assets(&opts.root, config.theme, &mut diags);
        let base_path = match &opts.base_path {
            Some(p) => crate::config::normalize_base_path(p),
            None => config.base_path(),
        };
        let translations = content.translations;
        timings.lap(Stage::Registries);
        let mut site = Site {
            root: opts.root.clone(),
            base_url: config.base_url(),
            edition: crate::editions::EditionInfo::single(&config.language, &base_path),
            base_path,
            config,
            pages: content.pages,
            rendered: Vec::new(),
            registries,
            static_files: content.static_files,
            assets,
            asset_hashes,
            by_content_path: HashMap::new(),
            by_id: HashMap::new(),
            by_short_id: HashMap::new(),
            warnings: Vec::new(),
            unloaded: content.unloaded,
            quotes: Default::default(),
            drafts: content.drafts,
            today: jiff::ZonedDateTime::now().date(),
            reread,
            links: None,
        };
        site.index(&mut diags);
        timings.lap(Stage::Index);
        let mut editions = Vec::new();
        if !others.is_empty() {
            editions = site.editions_from(&translations, &mut diags);
        }
        timings.lap(Stage::Editions);
        site.check_names(&mut diags);
        site.check_references(&mut diags);
        site.quotes = crate::sources::verify::check_pages(&site.root, &site.pages, &mut diags);
        timings.lap(Stage::Check);
        site.render_markdown(&mut diags);
        timings.lap(Stage::Markdown);
        for e in &mut editions {
            let mut d = Diagnostics::default();
            e.check_references(&mut d);
            timings.lap(Stage::Check);
            e.render_markdown(&mut d);
            timings.lap(Stage::Markdown);
            // The facts are the original's: the same problem found again is reported once
            // (`Diagnostics::sorted` drops repeats).
            diags.extend(d.0);
        }
        site.warnings = diags.into_result()?;
        if retention == Retention::OneBuild {
            site.shed_after_checks();
        }
        timings.lap(Stage::Check);
        let mut all = vec![site];
        all.extend(editions);
        Ok(all)
    }

    /// The other editions of an indexed default edition: each of its pages in the translation
    /// the edition has (facts merged from the original), or marked untranslated.
    fn editions_from(
        &mut self,
        translations: &[content::TranslationFile],
        diags: &mut Diagnostics,
    ) -> Vec<Site> {
        use crate::editions::{EditionInfo, EditionRef};
        let default = self.config.language.clone();
        let mut specs = self.config.languages.clone();
        // The default edition first, the others in the order site.yaml gives.
        specs.sort_by_key(|l| l.code != default);
        let all: Vec<EditionRef> = specs
            .iter()
            .map(|l| EditionRef {
                code: l.code.clone(),
                name: l.name.clone(),
                prefix: if l.code == default {
                    String::new()
                } else {
                    format!("{}/", l.code)
                },
            })
            .collect();
        let mut by_original: HashMap<(&str, &str), &content::TranslationFile> = HashMap::new();
        let mut translated: HashMap<String, Vec<String>> = HashMap::new();
        for t in translations {
            if !self.by_content_path.contains_key(&t.original) {
                let stem = t.original.trim_end_matches(".md");
                diags.push(
                    Diagnostic::error(
                        &t.shown,
                        None,
                        format!(
                            "this translation's original `content/{}` does not exist",
                            t.original
                        ),
                    )
                    .with_help(format!(
                        "a translation sits beside its original: `{stem}.{}.md` translates `{stem}.md`",
                        t.language
                    )),
                );
                continue;
            }
            by_original.insert((t.original.as_str(), t.language.as_str()), t);
            translated
                .entry(t.original.clone())
                .or_default()
                .push(t.language.clone());
        }
        for v in translated.values_mut() {
            v.sort_by_key(|c| all.iter().position(|e| e.code == *c));
        }
        let translated = std::sync::Arc::new(translated);
        self.edition = EditionInfo {
            code: default.clone(),
            name: all.first().map(|e| e.name.clone()).unwrap_or_default(),
            prefix: String::new(),
            all: all.clone(),
            root_base_path: self.base_path.clone(),
            translated: translated.clone(),
            elsewhere: HashSet::new(),
        };
        let mut editions = Vec::new();
        for (spec, e) in specs.iter().zip(&all).skip(1) {
            let mut pages = Vec::with_capacity(self.pages.len());
            let mut elsewhere = HashSet::new();
            for original in &self.pages {
                let Some(t) = by_original.get(&(original.content_path.as_str(), e.code.as_str()))
                else {
                    let p = untranslated_page(original);
                    if p.kind == PageKind::Page {
                        elsewhere.insert(p.path.clone());
                    }
                    pages.push(p);
                    continue;
                };
                match edition_page(original, t) {
                    Ok(page) => pages.push(page),
                    Err(ds) => {
                        for d in ds {
                            diags.push(d);
                        }
                        pages.push(original.clone());
                    }
                }
            }
            let mut config = self.config.clone();
            config.language = e.code.clone();
            if let Some(t) = &spec.title {
                config.title = t.clone();
            }
            if let Some(d) = &spec.description {
                config.description = d.clone();
            }
            for m in &mut config.menu {
                if let Some(t) = m.title_in.get(&e.code) {
                    m.title = t.clone();
                }
            }
            let mut site = Site {
                root: self.root.clone(),
                config,
                base_url: format!("{}{}", self.base_url, e.prefix),
                base_path: format!("{}{}", self.base_path, e.prefix),
                pages,
                rendered: Vec::new(),
                registries: self.registries.in_language(&e.code),
                static_files: self.static_files.clone(),
                assets: self.assets.clone(),
                asset_hashes: self.asset_hashes.clone(),
                by_content_path: HashMap::new(),
                by_id: HashMap::new(),
                by_short_id: HashMap::new(),
                unloaded: self.unloaded.clone(),
                warnings: Vec::new(),
                quotes: Default::default(),
                drafts: Vec::new(),
                today: self.today,
                reread: false,
                links: None,
                edition: EditionInfo {
                    code: e.code.clone(),
                    name: e.name.clone(),
                    prefix: e.prefix.clone(),
                    all: all.clone(),
                    root_base_path: self.base_path.clone(),
                    translated: translated.clone(),
                    elsewhere,
                },
            };
            // Indexing the same paths again finds nothing new to report.
            site.index(&mut Diagnostics::default());
            outdated_warnings(&site, &self.pages, diags);
            editions.push(site);
        }
        editions
    }

    /// Builds the lookup tables, reporting two files that would be written to the same URL.
    pub(crate) fn index(&mut self, diags: &mut Diagnostics) {
        // Stable order whatever the file system returned.
        self.pages
            .sort_by(|a, b| a.content_path.cmp(&b.content_path));
        let mut by_url: HashMap<String, usize> = HashMap::new();
        for (i, p) in self.pages.iter().enumerate() {
            self.by_content_path.insert(p.content_path.clone(), i);
            // URLs compare case-insensitively: macOS and Windows checkouts would merge them.
            let key = p.path.to_lowercase();
            if let Some(&j) = by_url.get(&key) {
                diags.push(
                    Diagnostic::error(
                        &p.shown,
                        Some(1),
                        format!(
                            "this page has the same URL `{}` as {}",
                            self.url(&p.path),
                            self.pages[j].shown.display()
                        ),
                    )
                    .with_help("rename one of the files"),
                );
            } else {
                by_url.insert(key, i);
            }
            if p.kind == PageKind::Page {
                if let Some(&j) = self.by_id.get(&p.id) {
                    diags.push(
                        Diagnostic::error(
                            &p.shown,
                            Some(1),
                            format!(
                                "page id `{}` is also used by {}",
                                p.id,
                                self.pages[j].shown.display()
                            ),
                        )
                        .with_help("rename one of the files"),
                    );
                } else {
                    self.by_id.insert(p.id.clone(), i);
                    self.by_short_id
                        .entry(short_id(&p.id).to_string())
                        .or_default()
                        .push(i);
                }
            }
            for alias in &p.meta.aliases {
                // An alias is written as <alias>/index.html: `..` would write outside the output dir.
                if alias.trim_matches('/').is_empty()
                    || alias.split(['/', '\\']).any(|s| s == ".." || s == ".")
                {
                    diags.push(
                        Diagnostic::error(
                            &p.shown,
                            p.line_of(alias),
                            format!("alias `{alias}` is not a path inside the site"),
                        )
                        .with_help("write an old URL path such as \"/old/trade/\""),
                    );
                    continue;
                }
                let alias_key = format!("{}/", alias.trim_matches('/')).to_lowercase();
                if by_url.contains_key(&alias_key) {
                    diags.push(Diagnostic::error(
                        &p.shown,
                        p.line_of(alias),
                        format!("alias `{alias}` is the URL of another page"),
                    ));
                }
            }
        }
    }

    /// Every output path a source asks for must be writable and reachable: none may replace the
    /// user's `.git` or `CNAME` in the output dir or be a name no URL or Windows checkout can hold
    /// (see [`crate::output::unfit_name`]); and no two source files may be one name after Unicode
    /// normalisation (`café.md` typed on Linux and saved on macOS), which macOS merges and the
    /// output would hold twice. Each error names the file, and the line where one is known.
    pub(crate) fn check_names(&self, diags: &mut Diagnostics) {
        use crate::output::{replaces_kept, unfit_name};
        let why_not = |rel: &str| {
            replaces_kept(rel)
                .map(|k| format!("it would replace the `{k}` the output dir keeps for you"))
                .or_else(|| unfit_name(rel))
        };
        for p in &self.pages {
            if let Some(why) = why_not(&p.path) {
                diags.push(
                    Diagnostic::error(
                        &p.shown,
                        None,
                        format!(
                            "this page's URL `{}` cannot be written: {why}",
                            self.url(&p.path)
                        ),
                    )
                    .with_help("rename the file or folder"),
                );
            }
            for alias in &p.meta.aliases {
                let rel = alias.trim_matches('/');
                if let Some(why) = why_not(rel) {
                    diags.push(
                        Diagnostic::error(
                            &p.shown,
                            p.line_of(alias),
                            format!("alias `{alias}` cannot be written: {why}"),
                        )
                        .with_help("write an old URL path such as \"/old/trade/\""),
                    );
                }
            }
            for tag in &p.meta.tags {
                let rel = format!("tags/{}/", crate::text::slugify(tag));
                if let Some(why) = why_not(&rel) {
                    diags.push(
                        Diagnostic::error(
                            &p.shown,
                            p.line_of(tag),
                            format!("tag `{tag}` cannot have a page: {why}"),
                        )
                        .with_help("choose another tag name"),
                    );
                }
            }
        }
        let files = self
            .static_files
            .iter()
            .map(|f| (content::CONTENT_DIR, f))
            .chain(self.assets.iter().map(|f| (content::ASSETS_DIR, f)));
        for (dir, f) in files.clone() {
            if let Some(why) = why_not(&f.rel) {
                diags.push(
                    Diagnostic::error(
                        Path::new(dir).join(&f.rel),
                        None,
                        format!("cannot be copied to the output: {why}"),
                    )
                    .with_help(if replaces_kept(&f.rel) == Some("CNAME") {
                        "set `cname:` in site.yaml to publish a custom domain"
                    } else {
                        "rename the file or folder"
                    }),
                );
            }
        }
        // Every source name and every folder above it, by its NFC form.
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut clashes: Vec<(String, String)> = Vec::new();
        let sources = self
            .pages
            .iter()
            .map(|p| format!("{}/{}", content::CONTENT_DIR, p.content_path))
            .chain(files.map(|(dir, f)| format!("{dir}/{}", f.rel)));
        for name in sources {
            let mut end = 0;
            for (i, seg) in name.split('/').enumerate() {
                end += seg.len() + usize::from(i > 0);
                let prefix = &name[..end];
                // ASCII is its own NFC (only the key is normalised: a Kelvin sign becomes `K`).
                let nfc: std::borrow::Cow<str> = if prefix.is_ascii() {
                    prefix.into()
                } else {
                    prefix.nfc().collect::<String>().into()
                };
                match seen.get(nfc.as_ref()) {
                    Some(first) if first != prefix => {
                        let pair = (first.clone(), prefix.to_string());
                        if !clashes.contains(&pair) {
                            clashes.push(pair);
                        }
                        // Everything below two clashing folders clashes too: one error is enough.
                        break;
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(nfc.into_owned(), prefix.to_string());
                    }
                }
            }
        }
        for (first, second) in clashes {
            diags.push(
                Diagnostic::error(
                    &second,
                    None,
                    format!(
                        "`{second}` and `{first}` are one name once Unicode-normalised (the same \
                         letters, composed differently: `{}` and `{}`); macOS merges them",
                        code_points(&second),
                        code_points(&first)
                    ),
                )
                .with_help("rename one of them, or save both with the same composed letters"),
            );
        }
    }

    /// Every id a page names must exist: sources, speakers, related pages, party codes.
    pub(crate) fn check_references(&self, diags: &mut Diagnostics) {
        self.check_references_of(None, diags);
    }

    /// [`Site::check_references`] for the pages at `only` (every page when None), plus the
    /// warnings of every other page. An edit in watch changes neither the registries nor any
    /// page's id (either would be a full rebuild), so the other pages' references still resolve
    /// as they did; only their warnings, which are reported again after each rebuild, are needed,
    /// and those ([`Site::page_warnings`]) depend on the page alone. At 10,000 topics
    /// the whole check took about 10 ms of each edit's 30.
    pub(crate) fn check_references_of(&self, only: Option<&[usize]>, diags: &mut Diagnostics) {
        let regs = &self.registries;
        // A source's links are written into pages as they are: the same rule as Markdown links.
        if only.is_none() && self.config.script_urls == crate::config::ScriptUrlPolicy::Error {
            for s in &regs.sources.items {
                for url in std::iter::once(&s.url).chain(s.archive_url.as_ref()) {
                    if let Some(scheme) = markdown::script_scheme(url, false) {
                        diags.push(
                            Diagnostic::error(
                                &regs.sources.file,
                                regs.sources.line_of(url.trim()),
                                format!("source `{}` links to a `{scheme}:` URL, which runs script in the reader's browser", s.id),
                            )
                            .with_help("give the source's http(s) address; a site whose contributors are all trusted with script can set `script_urls: allow` in site.yaml"),
                        );
                    }
                }
            }
        }
        let codes: Vec<&str> = self
            .config
            .parties
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        for (i, page) in self.pages.iter().enumerate() {
            let m = &page.meta;
            if only.is_some_and(|o| !o.contains(&i)) {
                self.page_warnings(page, diags);
                continue;
            }
            for (id, what) in m.cited_sources() {
                if regs.sources.lacks(id) {
                    diags.push(
                        Diagnostic::error(
                            &page.shown,
                            page.line_of(id),
                            format!("{what} cites unknown source `{id}`"),
                        )
                        .with_help(regs.source_hint(id)),
                    );
                }
            }
            for q in &m.quotes {
                if regs.people.lacks(&q.speaker) {
                    diags.push(
                        Diagnostic::error(
                            &page.shown,
                            page.line_of(&q.speaker),
                            format!("quote speaker `{}` is not in people.yaml", q.speaker),
                        )
                        .with_help(regs.person_hint(&q.speaker)),
                    );
                }
            }
            for code in m.positions.keys() {
                if !codes.contains(&code.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            &page.shown,
                            page.line_of(code),
                            format!(
                                "`positions` names party `{code}`, but site.yaml's parties are {}",
                                codes.join(" and ")
                            ),
                        )
                        .with_help("key positions by the party codes in site.yaml"),
                    );
                }
            }
            for f in &m.figures {
                let points: Vec<(&str, f64)> = f
                    .series
                    .iter()
                    .map(|p| (p.period.as_str(), p.value))
                    .collect();
                // A key such as `series:` is found in this figure's lines, not in the first figure.
                let in_figure = |needle: &str| -> Option<usize> {
                    let from = page.line_of(&f.label)?;
                    let key = format!("{needle}:");
                    page.yaml()
                        .lines()
                        .enumerate()
                        .skip(from.saturating_sub(page.yaml_line))
                        .find(|(_, l)| {
                            l.trim_start().trim_start_matches("- ").starts_with(&key)
                                || crate::text::find_word_line(l, needle).is_some()
                        })
                        .map(|(i, _)| i + page.yaml_line)
                };
                for (message, needle) in crate::chart::check(f.chart, &points, f.decimals) {
                    diags.push(
                        Diagnostic::error(
                            &page.shown,
                            in_figure(&needle).or_else(|| page.line_of(&f.label)),
                            format!("figure `{}`: {message}", f.label),
                        )
                        .with_help("see `series:` under Front matter in docs/FORMAT.md"),
                    );
                }
                if let Some(code) = f.party.as_deref().filter(|c| !codes.contains(c)) {
                    diags.push(
                        Diagnostic::error(
                            &page.shown,
                            page.line_of_pair("party", code),
                            format!(
                                "figure `{}` names party `{code}`, but site.yaml's parties are {}",
                                f.label,
                                codes.join(" and ")
                            ),
                        )
                        .with_help("`party:` takes a party code from site.yaml"),
                    );
                }
            }
            for r in &m.related {
                match self.resolve_id(r) {
                    PageRef::Found(_) => {}
                    PageRef::Ambiguous(candidates) => {
                        let ids: Vec<String> = candidates
                            .iter()
                            .map(|&j| format!("`{}`", self.pages[j].id))
                            .collect();
                        diags.push(
                            Diagnostic::error(
                                &page.shown,
                                page.line_of(r),
                                format!(
                                    "related page `{r}` is ambiguous: it names {}",
                                    crate::text::join_and(&ids)
                                ),
                            )
                            .with_help(format!(
                                "write the full id, the path under content/ without .md, e.g. `{}`",
                                self.pages[candidates[0]].id
                            )),
                        );
                    }
                    // A page that failed to load has its own error: a reference to it is no second one.
                    PageRef::Missing if self.names_unloaded(r) => {}
                    PageRef::Missing => {
                        let known = self
                            .by_id
                            .keys()
                            .chain(self.by_short_id.keys())
                            .map(String::as_str);
                        let help = crate::text::did_you_mean(r, known)
                            .map(|b| format!("did you mean `{b}`?"))
                            .unwrap_or_else(|| {
                                "`related` lists page ids: the paths of other pages under content/, without .md (or their file names, where only one page has it)"
                                    .into()
                            });
                        diags.push(
                            Diagnostic::error(
                                &page.shown,
                                page.line_of(r),
                                format!("related page `{r}` does not exist"),
                            )
                            .with_help(help),
                        );
                    }
                }
            }
            self.page_warnings(page, diags);
        }
    }

    /// Frees what only the checks read (anchor sets, Markdown problems, the raw front matter) once
    /// they are done, for a build that renders the model once and exits.
    fn shed_after_checks(&mut self) {
        for p in &mut self.pages {
            // The Markdown is rendered (or will be read again by the page's job).
            p.body = String::new();
            // The raw YAML only places errors; the few left after the checks read it again.
            p.yaml = String::new();
        }
        for r in &mut self.rendered {
            r.anchors = Default::default();
            r.anchor_links = Vec::new();
            r.problems = Vec::new();
        }
    }

    /// Renders every page's Markdown in parallel, then checks links to anchors across pages.
    pub(crate) fn render_markdown(&mut self, diags: &mut Diagnostics) {
        let all: Vec<usize> = (0..self.pages.len()).collect();
        let links = self.link_tables();
        self.rendered = self.render_markdown_with(&links, &all);
        self.check_rendered(diags);
        // A site that keeps no Markdown renders it again in each page's job, against these tables.
        if self.reread {
            self.links = Some(links);
        }
    }

    fn link_tables(&self) -> LinkTables {
        LinkTables {
            // A page that failed to load has its own error; a link to it is no second one (the
            // build fails, so the empty URL is never written).
            pages: self
                .pages
                .iter()
                .map(|p| (p.content_path.clone(), self.url(&p.path)))
                .chain(self.unloaded.iter().map(|c| (c.clone(), String::new())))
                .collect(),
            files: self
                .static_files
                .iter()
                .chain(self.assets.iter())
                .map(|f| f.rel.clone())
                .collect(),
            glossary: Glossary::new(&self.registries.glossary),
            layout_ids: layout_ids(&self.root, self.config.theme),
            images: crate::images::Catalog::new(self.static_files.iter().chain(&self.assets)),
        }
    }

    /// Renders the Markdown of the given pages, in that order, against the current page and file
    /// tables; `watch` calls it for the pages an edit touched. A site that keeps no Markdown keeps
    /// no HTML here either: its page jobs render the Markdown again ([`Site::page_markdown`]).
    pub(crate) fn render_markdown_of(&self, which: &[usize]) -> Vec<Rendered> {
        self.render_markdown_with(&self.link_tables(), which)
    }

    fn render_markdown_with(&self, links: &LinkTables, which: &[usize]) -> Vec<Rendered> {
        let write_html = !self.reread;
        which
            .par_iter()
            .map(|&i| match self.markdown_with(links, i, write_html) {
                Ok(r) => r,
                Err(d) => Rendered {
                    problems: vec![markdown::Problem {
                        line: 1,
                        message: d.message,
                        help: d.help,
                        broken_link: false,
                        warning: false,
                    }],
                    ..Rendered::default()
                },
            })
            .collect()
    }

    /// A page's Markdown rendered for its page job; read again from its file unless the site
    /// kept every body.
    pub(crate) fn page_markdown(
        &self,
        i: usize,
    ) -> Result<std::borrow::Cow<'_, Rendered>, Diagnostic> {
        match &self.links {
            Some(links) => Ok(std::borrow::Cow::Owned(self.markdown_with(links, i, true)?)),
            None => Ok(std::borrow::Cow::Borrowed(&self.rendered[i])),
        }
    }

    fn markdown_with(
        &self,
        links: &LinkTables,
        i: usize,
        write_html: bool,
    ) -> Result<Rendered, Diagnostic> {
        let p = &self.pages[i];
        let text;
        let body = if self.reread {
            text = content::reread(p)?;
            crate::frontmatter::split(&p.shown, &text)?.body
        } else {
            p.body.as_str()
        };
        let ctx = markdown::Context {
            base_path: &self.base_path,
            files_base_path: &self.edition.root_base_path,
            pages: &links.pages,
            files: &links.files,
            sources: &self.registries.sources,
            terms: &self.registries.glossary,
            glossary: &links.glossary,
            script_urls: self.config.script_urls,
            layout_ids: &links.layout_ids,
            images: &links.images,
        };
        Ok(markdown::render(
            &ctx,
            &markdown::PageInput {
                body,
                body_line: p.body_line,
                dir: p.content_dir(),
                link_glossary: true,
                write_html,
            },
        ))
    }

    /// The warnings of `page` that depend on it alone (and the day): a `next` item whose expected
    /// date has passed without an outcome, an `in_brief` of more than five bullets.
    fn page_warnings(&self, page: &Page, diags: &mut Diagnostics) {
        if page.meta.in_brief.len() > 5 {
            diags.push(Diagnostic::warning(
                &page.shown,
                page.line_of_key("in_brief"),
                format!(
                    "`in_brief` has {} bullets; keep it to 3–5",
                    page.meta.in_brief.len()
                ),
            ));
        }
        for n in &page.meta.next {
            if n.outcome.is_none() && self.is_past(&n.expected) {
                diags.push(
                    Diagnostic::warning(
                        &page.shown,
                        page.line_of_pair("expected", &n.expected.iso()),
                        format!(
                            "`next` item expected by {} has passed: {}",
                            n.expected.display(),
                            n.what
                        ),
                    )
                    .with_help("add an `outcome:` with a source, or update `expected`"),
                );
            }
        }
    }

    /// Reports every page's Markdown problems and links to headings that do not exist.
    pub(crate) fn check_rendered(&self, diags: &mut Diagnostics) {
        let policy = self.config.broken_links;
        for (page, r) in self.pages.iter().zip(&self.rendered) {
            for p in &r.problems {
                let mut d = Diagnostic::error(&page.shown, Some(p.line), p.message.clone());
                if p.warning || (p.broken_link && policy == LinkPolicy::Warn) {
                    d.severity = crate::error::Severity::Warning;
                }
                if let Some(h) = &p.help {
                    d = d.with_help(h.clone());
                }
                diags.push(d);
            }
            for link in &r.anchor_links {
                let target = match &link.target {
                    Some(t) => self.by_content_path.get(t).map(|&i| &self.rendered[i]),
                    None => Some(r),
                };
                // The page's numbered source list (`#src-<id>`) is written by the template.
                let source_entry = link.target.is_none()
                    && link
                        .anchor
                        .strip_prefix("src-")
                        .is_some_and(|id| self.registries.sources.contains(id));
                if let Some(t) = target.filter(|_| !source_entry) {
                    if !t.anchors.contains(&link.anchor) {
                        let mut d = Diagnostic::error(
                            &page.shown,
                            Some(link.line),
                            format!(
                                "broken link: no heading with id `#{}` in {}",
                                link.anchor,
                                link.target.as_deref().unwrap_or("this page")
                            ),
                        );
                        if let Some(best) = crate::text::did_you_mean(
                            &link.anchor,
                            t.anchors.iter().map(String::as_str),
                        ) {
                            d = d.with_help(format!("did you mean `#{best}`?"));
                        }
                        if policy == LinkPolicy::Warn {
                            d.severity = crate::error::Severity::Warning;
                        }
                        diags.push(d);
                    }
                }
            }
        }
    }

    /// The images the pages at `pages` (every page when None) show as `<picture>`, with the
    /// files they are read from, for [`crate::images`].
    pub fn images_shown(&self, pages: Option<&[usize]>) -> crate::images::Wanted<'_> {
        let rendered: Vec<&Rendered> = match pages {
            Some(p) => p.iter().filter_map(|&i| self.rendered.get(i)).collect(),
            None => self.rendered.iter().collect(),
        };
        crate::images::Wanted {
            root: &self.root,
            files: (self.static_files.iter().chain(&self.assets))
                .map(|f| (f.rel.as_str(), f.file.as_path()))
                .collect(),
            shown: rendered
                .iter()
                .flat_map(|r| r.images.iter().cloned())
                .collect(),
        }
    }

    /// The images any edition's pages show, for [`crate::images`]: the variants are made once,
    /// at the root, from the static files every edition shares (those of `sites[0]`), so an
    /// image only a translation shows gets its variants too.
    pub fn images_shown_by<'s>(sites: &[&'s Site]) -> Option<crate::images::Wanted<'s>> {
        let (first, rest) = sites.split_first()?;
        let mut wanted = first.images_shown(None);
        for s in rest {
            wanted.shown.extend(s.images_shown(None).shown);
        }
        Some(wanted)
    }

    /// The same page in every edition, for the language switcher and `hreflang`: where each
    /// edition has it (`path` is the page's path within an edition; `content_path` names a
    /// content page, `None` a generated one, which every edition has).
    pub fn editions_of(&self, path: &str, content_path: Option<&str>) -> Vec<EditionLink> {
        let e = &self.edition;
        let origin = crate::config::parse_base_url(&self.base_url)
            .map(|(o, _)| o)
            .unwrap_or_default();
        let translated = content_path.and_then(|c| e.translated.get(c));
        let section_like = content_path
            .and_then(|c| self.by_content_path.get(c))
            .is_some_and(|&i| self.pages[i].kind != PageKind::Page);
        e.all
            .iter()
            .enumerate()
            .map(|(n, ed)| {
                let own = n == 0
                    || content_path.is_none()
                    || translated.is_some_and(|t| t.contains(&ed.code));
                // A home or section page is rendered in every edition (its list is the
                // edition's); a topic without a translation only in the default edition.
                let here = own || section_like;
                let prefix = if here { ed.prefix.as_str() } else { "" };
                let url = format!(
                    "{}{prefix}{}",
                    e.root_base_path,
                    path.trim_start_matches('/')
                );
                EditionLink {
                    code: ed.code.clone(),
                    name: ed.name.clone(),
                    permalink: format!("{origin}{url}"),
                    url,
                    current: ed.code == e.code,
                    translated: own,
                }
            })
            .collect()
    }

    /// Whether page `i` is a topic this edition links to in the default edition instead of
    /// rendering it (it has no translation here).
    pub fn elsewhere(&self, i: usize) -> bool {
        !self.edition.elsewhere.is_empty() && self.edition.elsewhere.contains(&self.pages[i].path)
    }

    pub fn url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        // A topic this edition has not translated is read where the default edition has it.
        if !self.edition.elsewhere.is_empty() && self.edition.elsewhere.contains(path) {
            return format!("{}{path}", self.edition.root_base_path);
        }
        format!("{}{path}", self.base_path)
    }

    /// Full URL of a site path.
    pub fn permalink(&self, path: &str) -> String {
        let origin = crate::config::parse_base_url(&self.base_url)
            .map(|(o, _)| o)
            .unwrap_or_default();
        format!("{origin}{}", self.url(path))
    }

    /// Whether a `next` item's expected date is behind us.
    pub fn is_past(&self, date: &crate::text::PartialDate) -> bool {
        date.last_day() < self.today
    }

    /// Direct child pages of a section or the home, in display order.
    pub fn children(&self, i: usize) -> Vec<usize> {
        let parent = &self.pages[i];
        let dir = parent.content_dir();
        let kids = (0..self.pages.len())
            .filter(|&j| {
                let p = &self.pages[j];
                j != i
                    && match parent.kind {
                        PageKind::Home => {
                            p.kind == PageKind::Page && p.content_dir().is_empty()
                                || p.kind == PageKind::Section && !p.content_dir().contains('/')
                        }
                        PageKind::Section => {
                            let d = p.content_dir();
                            (p.kind == PageKind::Page
                                && (d == dir
                                    || (p.content_path.ends_with("/index.md")
                                        && d.rsplit_once('/').map_or("", |x| x.0) == dir)))
                                || (p.kind == PageKind::Section
                                    && d.rsplit_once('/').is_some_and(|x| x.0 == dir))
                        }
                        PageKind::Page => false,
                    }
            })
            .collect();
        ordered(self, kids)
    }

    /// The page a reference names: its full id (`visit/2023/talks`), or the last segment of it
    /// (`talks`) where exactly one page has that.
    pub fn resolve_id(&self, r: &str) -> PageRef {
        let r = r.trim_matches('/');
        if let Some(&i) = self.by_id.get(r) {
            return PageRef::Found(i);
        }
        match self.by_short_id.get(r).map(Vec::as_slice) {
            Some([i]) => PageRef::Found(*i),
            Some(many) if !many.is_empty() => {
                let mut c = many.to_vec();
                c.sort_by(|&a, &b| self.pages[a].id.cmp(&self.pages[b].id));
                PageRef::Ambiguous(c)
            }
            _ => PageRef::Missing,
        }
    }

    /// The template a page renders with.
    pub fn layout_of(&self, i: usize) -> &str {
        let p = &self.pages[i];
        p.meta.layout.as_deref().unwrap_or(match p.kind {
            PageKind::Home => "index.html",
            PageKind::Section => "section.html",
            PageKind::Page => "page.html",
        })
    }
}

/// Page `original` of the default edition as edition `t.language` shows it: the translation's
/// words over the original's facts, with its freshness.
pub(crate) fn edition_page(
    original: &Page,
    t: &content::TranslationFile,
) -> std::result::Result<Page, Vec<Diagnostic>> {
    let meta = crate::editions::merge(original, t)?;
    Ok(Page {
        kind: original.kind,
        file: t.file.clone(),
        shown: t.shown.clone(),
        content_path: original.content_path.clone(),
        id: original.id.clone(),
        section: original.section.clone(),
        path: original.path.clone(),
        meta,
        yaml: t.yaml.clone(),
        yaml_line: t.yaml_line,
        // A translation without a body of its own shows the original's.
        body: if t.body.trim().is_empty() {
            original.body.clone()
        } else {
            t.body.clone()
        },
        body_line: if t.body.trim().is_empty() {
            original.body_line
        } else {
            t.body_line
        },
        digest: t.digest,
        in_edition: content::InEdition::Translated {
            original: original.shown.clone(),
            outdated: crate::editions::freshness(original, t)
                == crate::editions::Freshness::Outdated,
        },
    })
}

/// Page `original` in an edition that has no translation of it.
pub(crate) fn untranslated_page(original: &Page) -> Page {
    let mut p = original.clone();
    p.in_edition = content::InEdition::Untranslated;
    p
}

/// A warning for each outdated translation among `edition`'s pages (`originals`: the default
/// edition's pages, in the same order).
pub(crate) fn outdated_warnings(edition: &Site, originals: &[Page], diags: &mut Diagnostics) {
    for (p, original) in edition.pages.iter().zip(originals) {
        if let content::InEdition::Translated { outdated: true, .. } = p.in_edition {
            diags.push(
                Diagnostic::warning(
                    &p.shown,
                    p.line_of_key(crate::editions::TRANSLATES_KEY),
                    format!(
                        "this translation is outdated: {} changed after the revision it translates",
                        original.shown.display()
                    ),
                )
                .with_help(format!(
                    "update the translation, then run `bilat translate mark {}`",
                    p.shown.display()
                )),
            );
        }
    }
}

/// What a page reference (`related:`) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRef {
    Found(usize),
    /// A short id several pages share, by id.
    Ambiguous(Vec<usize>),
    Missing,
}

impl PageRef {
    pub fn found(&self) -> Option<usize> {
        match self {
            PageRef::Found(i) => Some(*i),
            PageRef::Ambiguous(_) | PageRef::Missing => None,
        }
    }
}

impl Site {
    /// Whether `reference` (a full or short id) names a Markdown file that failed to load.
    fn names_unloaded(&self, reference: &str) -> bool {
        let wanted = reference.trim_matches('/');
        self.unloaded.iter().any(|c| {
            let id = c.strip_suffix(".md").unwrap_or(c);
            let id = id.strip_suffix("/index").unwrap_or(id);
            id == wanted || short_id(id) == wanted
        })
    }
}

/// The last segment of a page id: what a short reference names.
pub fn short_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// Pages in display order: weight, then date (newest first), then title.
pub fn ordered(site: &Site, mut idx: Vec<usize>) -> Vec<usize> {
    idx.sort_by(|&a, &b| {
        let (pa, pb) = (&site.pages[a].meta, &site.pages[b].meta);
        (
            pa.weight.unwrap_or(i64::MAX),
            std::cmp::Reverse(pa.date),
            &pa.title,
            &site.pages[a].path,
        )
            .cmp(&(
                pb.weight.unwrap_or(i64::MAX),
                std::cmp::Reverse(pb.date),
                &pb.title,
                &site.pages[b].path,
            ))
    });
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the `basic` fixture with `pages` (path under content/, front matter) added.
    fn site_with(pages: &[(&str, &str)]) -> (tempfile::TempDir, Result<Site>) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites/basic");
        for e in walkdir::WalkDir::new(&from) {
            let e = e.expect("walk");
            let to = tmp
                .path()
                .join(e.path().strip_prefix(&from).expect("under"));
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&to).expect("mkdir");
            } else {
                std::fs::copy(e.path(), &to).expect("copy");
            }
        }
        for (rel, front) in pages {
            let path = tmp.path().join("content").join(rel);
            std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
            std::fs::write(&path, format!("---\n{front}\n---\nText.\n")).expect("write");
        }
        let opts = BuildOptions {
            root: tmp.path().to_path_buf(),
            ..Default::default()
        };
        let site = Site::load(&opts);
        (tmp, site)
    }

    #[test]
    fn ids_are_paths_and_short_ids_resolve_only_when_one_page_has_them() {
        let (_tmp, site) = site_with(&[
            ("visit/2023/talks.md", "title: A"),
            ("visit/2024/talks.md", "title: B"),
        ]);
        let site = site.expect("loads");
        let id = |r: &str| match site.resolve_id(r) {
            PageRef::Found(i) => Ok(site.pages[i].id.clone()),
            PageRef::Ambiguous(c) => Err(c.iter().map(|&i| site.pages[i].id.clone()).collect()),
            PageRef::Missing => Err(Vec::new()),
        };
        assert_eq!(id("visit/2023/talks"), Ok("visit/2023/talks".into()));
        assert_eq!(id("/visit/2024/talks/"), Ok("visit/2024/talks".into()));
        assert_eq!(id("energy"), Ok("topics/energy".into()));
        // A bundle's id is its folder.
        assert_eq!(id("bundle"), Ok("topics/bundle".into()));
        assert_eq!(
            id("talks"),
            Err(vec!["visit/2023/talks".into(), "visit/2024/talks".into()])
        );
        assert_eq!(id("nothing"), Err(Vec::new()));
        assert_eq!(short_id("visit/2023/talks"), "talks");
    }

    #[test]
    fn an_ambiguous_related_page_is_an_error_naming_each_candidate() {
        let (_tmp, site) = site_with(&[
            ("a/talks.md", "title: A"),
            ("b/talks.md", "title: B"),
            ("c/links.md", "title: C\nrelated: [talks, a/talks, talk]"),
        ]);
        let Err(Error::Build(diags)) = site else {
            panic!("the site should not load");
        };
        let messages: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert!(
            messages.iter().any(|m| m
                .contains("related page `talks` is ambiguous: it names `a/talks` and `b/talks`")
                && m.contains("help: write the full id")),
            "{messages:#?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("related page `talk` does not exist")),
            "{messages:#?}"
        );
        // The full id is fine: exactly two problems.
        assert_eq!(diags.len(), 2, "{messages:#?}");
    }

    #[test]
    fn children_are_ordered_by_weight_then_date() {
        let (_tmp, site) = site_with(&[]);
        let site = site.expect("loads");
        let topics = site.by_content_path["topics/_index.md"];
        let ids: Vec<&str> = site
            .children(topics)
            .into_iter()
            .map(|i| site.pages[i].id.as_str())
            .collect();
        // trade has weight 1, energy 2; the bundle has none and comes last.
        assert_eq!(ids.first(), Some(&"topics/trade"), "{ids:?}");
        assert!(ids.contains(&"topics/energy") && ids.contains(&"topics/bundle"));
        assert!(
            !ids.contains(&"topics/draft"),
            "drafts are left out: {ids:?}"
        );
        assert_eq!(site.drafts.len(), 1);
    }
}
