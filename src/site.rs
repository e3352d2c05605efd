//! The site model: loads config, content, registries and assets, checks every reference, renders
//! all Markdown in parallel, and turns the model into output files through the templates.
//!
//! The model stays in memory so that `watch` can re-render only what an edit touches.

use crate::config::{Config, LinkPolicy};
use crate::content::{self, Page, PageKind, StaticFile};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::markdown::{self, Glossary, Rendered};
use crate::registry::Registries;
use crate::render::{self, Helpers, Templates};
use crate::views::{self, Views};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

pub const ASSETS_DIR: &str = "assets";
/// The search index's directory in the output, beside the search page (`search/`) that reads it.
pub const SEARCH_DIR: &str = "search/";

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

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output dir, `/`-separated.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A unit of rendering; `watch` re-runs only the jobs an edit affects.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    /// A content page, by index into `Site::pages`.
    Page(usize),
    /// A generated page from its own template (timeline, glossary …).
    Generated {
        template: &'static str,
        path: String,
        title: String,
    },
    /// One tag's page, by index into `Views::tags`.
    Tag(usize),
    /// A redirect from an old URL to a page.
    Alias { from: String, page: usize },
    /// Page `number` (2 and up) of a paginated list page: a generated list, a tag or a section.
    Pager { first: Box<Job>, number: usize },
    /// The search index's files (`crate::search`) under [`SEARCH_DIR`].
    SearchIndex,
    /// Files for publishing (`.nojekyll`, `CNAME`, `robots.txt`, `sitemap.xml`, `atom.xml`); they
    /// read every page's front matter, so any content change must re-run this job.
    PagesFiles,
}

/// A page made from its own template rather than from a content file.
pub struct Generated {
    pub template: &'static str,
    pub path: &'static str,
    pub title: &'static str,
    /// The site-wide list it shows, a page at a time if its template reads `paginator`. The
    /// glossary is not paginated: Markdown links terms to `glossary/#id` before the templates
    /// are known, and a glossary is a few hundred terms at most.
    pub list: Option<&'static str>,
}

pub const GENERATED: [Generated; 7] = [
    Generated {
        template: "timeline.html",
        path: "timeline/",
        title: "Timeline",
        list: Some("timeline"),
    },
    Generated {
        template: "glossary.html",
        path: "glossary/",
        title: "Glossary",
        list: None,
    },
    Generated {
        template: "people.html",
        path: "people/",
        title: "People",
        list: Some("people"),
    },
    Generated {
        template: "sources.html",
        path: "sources/",
        title: "Sources",
        list: Some("sources"),
    },
    Generated {
        template: "taxonomy.html",
        path: "tags/",
        title: "Tags",
        list: Some("tags"),
    },
    Generated {
        template: "search.html",
        path: "search/",
        title: "Search",
        list: None,
    },
    Generated {
        template: "404.html",
        path: "404.html",
        title: "Page not found",
        list: None,
    },
];

/// A job that failed, and the content page it was rendering (for template errors).
pub struct JobFailure {
    pub diagnostic: Diagnostic,
    pub page: Option<PathBuf>,
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
    pub by_id: HashMap<String, usize>,
    pub warnings: Vec<Diagnostic>,
    /// How many quotes were checked against their sources' texts.
    pub quotes: crate::sources::QuoteTally,
    /// Content paths of Markdown files that failed to load (see [`content::Content::unloaded`]).
    pub unloaded: Vec<String>,
    pub(crate) today: jiff::civil::Date,
    /// Pages keep no Markdown: each page's job reads its file again and renders it.
    reread: bool,
    /// Set exactly when `reread` is: the tables the page jobs render Markdown against.
    links: Option<LinkTables>,
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
    let dir = root.join(ASSETS_DIR);
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

    /// Loads and checks everything, keeping what `retention` says.
    pub fn load_with(opts: &BuildOptions, retention: Retention) -> Result<Site> {
        let mut config = Config::load(&opts.root)?;
        if let Some(url) = &opts.base_url {
            crate::config::parse_base_url(url)
                .map_err(|m| Error::Build(vec![Diagnostic::error("--base-url", None, m)]))?;
            config.base_url = url.clone();
        }
        let mut diags = Diagnostics::default();
        let keep_bodies_under = match retention {
            Retention::Everything => u64::MAX,
            // The environment may lower it, to try the large-site path on a small site.
            Retention::OneBuild => std::env::var("BILAT_KEEP_HTML_UNDER")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(KEEP_HTML_UNDER),
        };
        let content = content::load(&opts.root, opts.drafts, keep_bodies_under, &mut diags);
        let reread = !content.bodies_kept;
        let mut registries = Registries::load(
            &opts.root.join(content::CONTENT_DIR),
            Path::new(content::CONTENT_DIR),
            &mut diags,
        );
        crate::sources::fields::complete(&mut registries.sources, &config.language, &mut diags);
        let (assets, asset_hashes) = load_assets(&opts.root, config.theme, &mut diags);
        let base_path = match &opts.base_path {
            Some(p) => crate::config::normalize_base_path(p),
            None => config.base_path(),
        };
        let mut site = Site {
            root: opts.root.clone(),
            base_url: config.base_url(),
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
            warnings: Vec::new(),
            quotes: Default::default(),
            unloaded: content.unloaded,
            today: jiff::ZonedDateTime::now().date(),
            reread,
            links: None,
        };
        site.index(&mut diags);
        site.check_names(&mut diags);
        site.check_references(&mut diags);
        site.quotes = crate::sources::verify::check_pages(&site.root, &site.pages, &mut diags);
        site.render_markdown(&mut diags);
        site.warnings = diags.into_result()?;
        if retention == Retention::OneBuild {
            site.shed_after_checks();
        }
        Ok(site)
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
                        .with_help(
                            "`related:` refers to pages by file name, so file names must be unique",
                        ),
                    );
                } else {
                    self.by_id.insert(p.id.clone(), i);
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
            .chain(self.assets.iter().map(|f| (ASSETS_DIR, f)));
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
        let regs = &self.registries;
        // A source's links are written into pages as they are: the same rule as Markdown links.
        if self.config.script_urls == crate::config::ScriptUrlPolicy::Error {
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
        for page in &self.pages {
            let m = &page.meta;
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
                    page.yaml
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
                let unloaded = self.unloaded.iter().any(|c| {
                    c.rsplit('/').next().and_then(|f| f.strip_suffix(".md")) == Some(r.as_str())
                });
                if !self.by_id.contains_key(r) && !unloaded {
                    let help = crate::text::did_you_mean(r, self.by_id.keys().map(String::as_str))
                        .map(|b| format!("did you mean `{b}`?"))
                        .unwrap_or_else(|| {
                            "`related` lists page ids: the file names of other pages, without .md"
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
            for n in &m.next {
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
            if m.in_brief.len() > 5 {
                diags.push(Diagnostic::warning(
                    &page.shown,
                    page.line_of_key("in_brief"),
                    format!(
                        "`in_brief` has {} bullets; keep it to 3–5",
                        m.in_brief.len()
                    ),
                ));
            }
        }
    }

    /// Frees what only the checks read (anchor sets, Markdown problems, the raw front matter) once
    /// they are done, for a build that renders the model once and exits.
    fn shed_after_checks(&mut self) {
        for p in &mut self.pages {
            // The Markdown is rendered (or will be read again by the page's job).
            p.body = String::new();
            // The raw YAML only places errors; after the checks the one left is a missing layout.
            if p.meta.layout.is_none() {
                p.yaml = String::new();
            }
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
                .map(|p| (p.content_path.clone(), p.path.clone()))
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
            pages: &links.pages,
            files: &links.files,
            sources: &self.registries.sources,
            terms: &self.registries.glossary,
            glossary: &links.glossary,
            script_urls: self.config.script_urls,
            layout_ids: &links.layout_ids,
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

    /// URL path of a site path, under the base path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_path, path.trim_start_matches('/'))
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
        views::ordered(self, kids)
    }

    /// Compiles the templates with the helpers this site needs.
    pub fn templates(&self) -> Result<Templates> {
        let mut diags = Diagnostics::default();
        let helpers = Helpers {
            base_path: self.base_path.clone(),
            base_url: self.base_url.clone(),
            asset_hashes: self.asset_hashes.clone(),
            language: self.config.language.clone(),
        };
        let t = Templates::load(&self.root, self.config.theme, helpers, &mut diags);
        diags.into_result()?;
        t.ok_or_else(|| {
            Error::Build(vec![Diagnostic::error(
                render::LAYOUTS_DIR,
                None,
                "templates failed to load",
            )])
        })
    }

    /// Everything rendering needs, derived once from the loaded site: the compiled templates,
    /// the template views and the list of jobs.
    pub fn render_plan(&self) -> Result<(Templates, Views, Vec<Job>)> {
        let templates = self.templates()?;
        let views = views::build(self, &templates);
        let jobs = self.jobs(&views, &templates);
        Ok((templates, views, jobs))
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

    /// Every rendering job of the site.
    pub fn jobs(&self, views: &Views, templates: &Templates) -> Vec<Job> {
        let mut jobs: Vec<Job> = (0..self.pages.len()).map(Job::Page).collect();
        for g in &GENERATED {
            if g.template == "search.html" && !self.config.search {
                continue;
            }
            if templates.has(g.template) {
                jobs.push(Job::Generated {
                    template: g.template,
                    path: g.path.to_string(),
                    title: g.title.to_string(),
                });
            }
        }
        if templates.has("taxonomy_term.html") {
            jobs.extend((0..views.tags.len()).map(Job::Tag));
        }
        // Pages 2 and up of every list that is shown a page at a time.
        let pagers: Vec<Job> = jobs
            .iter()
            .filter_map(|job| Some((job, self.paged_list(job, templates)?)))
            .flat_map(|(job, list)| {
                let pages = views.paging.pages(views.paged_len(self, list));
                (2..=pages).map(|number| Job::Pager {
                    first: Box::new(job.clone()),
                    number,
                })
            })
            .collect();
        jobs.extend(pagers);
        for (i, p) in self.pages.iter().enumerate() {
            jobs.extend(p.meta.aliases.iter().map(|a| Job::Alias {
                from: a.clone(),
                page: i,
            }));
        }
        if self.config.search {
            jobs.push(Job::SearchIndex);
        }
        jobs.push(Job::PagesFiles);
        jobs
    }

    /// What a job's page lists a page at a time, if its template reads `paginator`.
    pub fn paged_list(&self, job: &Job, templates: &Templates) -> Option<views::PagedList> {
        match job {
            Job::Page(i) if self.pages[*i].kind != PageKind::Page => templates
                .paginates(self.layout_of(*i))
                .then_some(views::PagedList::Children(*i)),
            Job::Generated { template, .. } => GENERATED
                .iter()
                .find(|g| g.template == *template)
                .and_then(|g| g.list)
                .filter(|_| templates.paginates(template))
                .map(views::PagedList::Named),
            Job::Tag(t) => templates
                .paginates("taxonomy_term.html")
                .then_some(views::PagedList::Tag(*t)),
            Job::Pager { first, .. } => self.paged_list(first, templates),
            _ => None,
        }
    }

    /// The site path of a page job, a generated page or a tag page (`topics/`, `tags/oil/`).
    fn job_path(&self, views: &Views, job: &Job) -> Option<String> {
        match job {
            Job::Page(i) => Some(self.pages[*i].path.clone()),
            Job::Generated { path, .. } => Some(path.clone()),
            Job::Tag(t) => views
                .tags
                .get(*t)
                .map(|(name, _)| format!("tags/{}/", crate::text::slugify(name))),
            Job::Pager { first, .. } => self.job_path(views, first),
            _ => None,
        }
    }

    /// The output file of a paginated page job (`timeline/page/2/index.html`).
    pub fn pager_file(&self, views: &Views, job: &Job) -> Option<String> {
        match job {
            Job::Pager { first, number } => Some(format!(
                "{}index.html",
                views::Paging::page_path(&self.job_path(views, first)?, *number)
            )),
            _ => None,
        }
    }

    /// Renders the given jobs in parallel; every failure is reported.
    pub fn render(
        &self,
        templates: &Templates,
        views: &Views,
        jobs: &[Job],
    ) -> Result<Vec<Output>> {
        let minify = self.config.minify;
        let results: Vec<Result<Vec<Output>, Box<JobFailure>>> = jobs
            .par_iter()
            .map(|job| self.render_job(templates, views, job, minify))
            .collect();
        let mut outputs = Vec::with_capacity(jobs.len());
        let mut failures = Vec::new();
        for r in results {
            match r {
                Ok(o) => outputs.extend(o),
                Err(f) => failures.push(*f),
            }
        }
        report_failures(failures)?;
        Ok(outputs)
    }

    /// Renders the given jobs in parallel and hands each job's files to `write` as soon as they
    /// are made, so that a large site never holds more than the pages being rendered. Every
    /// failure is reported; returns how many HTML pages were written.
    pub fn render_each(
        &self,
        templates: &Templates,
        views: &Views,
        jobs: &[Job],
        write: impl Fn(&[Output]) -> Result<()> + Sync,
    ) -> Result<usize> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let minify = self.config.minify;
        let pages = AtomicUsize::new(0);
        let write_error = std::sync::Mutex::new(None);
        let failures: Vec<JobFailure> = jobs
            .par_iter()
            .filter_map(|job| match self.render_job(templates, views, job, minify) {
                Ok(outputs) => {
                    let html = outputs.iter().filter(|o| o.path.ends_with(".html")).count();
                    pages.fetch_add(html, Ordering::Relaxed);
                    if let Err(e) = write(&outputs) {
                        if let Ok(mut first) = write_error.lock() {
                            first.get_or_insert(e);
                        }
                    }
                    None
                }
                Err(f) => Some(*f),
            })
            .collect();
        if let Some(e) = write_error.into_inner().ok().flatten() {
            return Err(e);
        }
        report_failures(failures)?;
        Ok(pages.into_inner())
    }

    fn render_job(
        &self,
        templates: &Templates,
        views: &Views,
        job: &Job,
        minify: bool,
    ) -> Result<Vec<Output>, Box<JobFailure>> {
        let (job, number) = match job {
            Job::Pager { first, number } => (first.as_ref(), *number),
            job => (job, 1),
        };
        let page_file = match job {
            Job::Page(i) => Some(self.pages[*i].shown.clone()),
            _ => None,
        };
        self.render_job_inner(templates, views, job, number, minify)
            .map_err(|diagnostic| {
                // A missing layout is the page's own mistake, already located in its file.
                let page = if diagnostic.file.starts_with(crate::content::CONTENT_DIR) {
                    None
                } else {
                    page_file
                };
                Box::new(JobFailure { diagnostic, page })
            })
    }

    /// Renders page `number` (from 1) of a job; only paginated jobs have pages past the first.
    fn render_job_inner(
        &self,
        templates: &Templates,
        views: &Views,
        job: &Job,
        number: usize,
        minify: bool,
    ) -> Result<Vec<Output>, Diagnostic> {
        // A paginated page is written at `<path>page/<n>/` and told which slice it shows.
        let paged = |mut ctx: tera::Context, path: &str| {
            let mut file = views::Paging::page_path(path, number);
            if let Some(list) = self.paged_list(job, templates) {
                ctx.insert("current_url", &self.url(&file));
                ctx.insert_value("paginator", views.paginator(self, list, path, number));
            }
            if file.is_empty() || file.ends_with('/') {
                file.push_str("index.html");
            }
            (ctx, file)
        };
        Ok(match job {
            Job::Page(i) => {
                let layout = self.layout_of(*i);
                let page = &self.pages[*i];
                if !templates.has(layout) {
                    let mut names: Vec<&str> = templates.tera.get_template_names().collect();
                    names.sort();
                    return Err(Diagnostic::error(
                        &page.shown,
                        page.line_of_key("layout").or(Some(1)),
                        format!("layout `{layout}` not found in layouts/ nor among the built-in layouts"),
                    )
                    .with_help(
                        match crate::text::did_you_mean(layout, names.iter().copied()) {
                            Some(b) => format!("did you mean `{b}`?"),
                            None => format!("available layouts: {}", names.join(", ")),
                        },
                    ));
                }
                let rendered = self.page_markdown(*i)?;
                let (ctx, file) =
                    paged(views::page_context(self, views, *i, &rendered), &page.path);
                vec![page_file(templates, layout, &ctx, minify, file)?]
            }
            Job::Generated {
                template,
                path,
                title,
            } => {
                let (ctx, file) = paged(
                    views::generated_context(self, views, title, path, None),
                    path,
                );
                vec![page_file(templates, template, &ctx, minify, file)?]
            }
            Job::Tag(t) => {
                let (name, _) = &views.tags[*t];
                let path = format!("tags/{}/", crate::text::slugify(name));
                let (ctx, file) = paged(
                    views::generated_context(self, views, name, &path, Some(*t)),
                    &path,
                );
                vec![page_file(
                    templates,
                    "taxonomy_term.html",
                    &ctx,
                    minify,
                    file,
                )?]
            }
            Job::Alias { from, page } => {
                let to = self.url(&self.pages[*page].path);
                let dir = from.trim_matches('/');
                vec![Output {
                    path: format!("{dir}/index.html"),
                    bytes: redirect_html(&to).into_bytes(),
                }]
            }
            Job::SearchIndex => self.search_index(views),
            // .nojekyll, CNAME, robots.txt, sitemap.xml, atom.xml: see crate::publish.
            Job::PagesFiles => crate::publish::files(self, views, templates),
            // Unwrapped by `render_job`.
            Job::Pager { first, .. } => {
                return self.render_job_inner(templates, views, first, number, minify)
            }
        })
    }

    /// The files of the search index (`crate::search`) of the site's topics and pages, under
    /// [`SEARCH_DIR`] beside the search page.
    fn search_index(&self, _views: &Views) -> Vec<Output> {
        fn headings<'a>(toc: &'a [crate::markdown::TocEntry], out: &mut Vec<&'a str>) {
            for t in toc {
                out.push(&t.title);
                headings(&t.children, out);
            }
        }
        let docs: Vec<crate::search::Doc> = self
            .pages
            .iter()
            .zip(&self.rendered)
            .filter(|(p, _)| p.kind == PageKind::Page)
            .map(|(p, r)| {
                let mut heads = Vec::new();
                headings(&r.toc, &mut heads);
                crate::search::Doc {
                    url: self.url(&p.path),
                    title: &p.meta.title,
                    summary: p.meta.summary.as_deref().unwrap_or(""),
                    tags: &p.meta.tags,
                    headings: heads,
                    // The opening words only (`markdown::OPENING_WORDS`): what the site keeps.
                    text: &r.text,
                }
            })
            .collect();
        crate::search::build(&docs, &self.config.language)
            .into_iter()
            .map(|f| Output {
                path: format!("{SEARCH_DIR}{}", f.path),
                bytes: f.bytes,
            })
            .collect()
    }
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
    template: &str,
    ctx: &tera::Context,
    minify: bool,
    path: String,
) -> Result<Output, Diagnostic> {
    let html = templates.render(template, ctx)?;
    let bytes = if minify {
        // For the rare page onepass refuses: it rendered once, so it renders the same again.
        let again = || templates.render(template, ctx).unwrap_or_default();
        crate::minify::minify(html, &again)
    } else {
        html.into_bytes()
    };
    Ok(Output { path, bytes })
}

/// A page at an old URL that sends readers and crawlers to the new one.
pub fn redirect_html(to: &str) -> String {
    let mut esc = String::new();
    let _ = pulldown_cmark_escape::escape_href(&mut esc, to);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Redirecting…</title><link rel=\"canonical\" href=\"{esc}\"><meta http-equiv=\"refresh\" content=\"0; url={esc}\"><meta name=\"robots\" content=\"noindex\"></head><body><p>This page has moved to <a href=\"{esc}\">{esc}</a>.</p></body></html>\n"
    )
}
