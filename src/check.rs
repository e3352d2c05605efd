//! `bilat check`: everything `build` validates, without writing anything, plus what only the
//! rendered site shows — every internal link and `#anchor` in every HTML page (from Markdown and
//! from templates) resolves to a file the build writes and to an element id in it; no two pages
//! share a title; drafts and overdue `next` items are reported. `--external` also asks the servers
//! of http(s) links (see [`external`]).
//!
//! Problems found in the rendered HTML are traced back to where they were written: the Markdown
//! line and column when the link is in a page's body, otherwise the page plus the template line.

pub mod archives;
pub mod external;

use crate::content;
use crate::engine::{self, Build};
use crate::error::{Diagnostic, Diagnostics, Error, Result, Severity};
use crate::jobs::{Job, Listing};
use crate::output::Output;
use crate::site::{BuildOptions, Site};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What `bilat check` was asked to do.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub root: PathBuf,
    /// Overrides `base_url` from site.yaml, as for `build`.
    pub base_url: Option<String>,
    /// Warnings count as errors.
    pub strict: bool,
    /// Also check http(s) links on their servers.
    pub external: bool,
    pub external_options: external::ExternalOptions,
    /// With `external`: write the archived copies found for dead sources into sources.yaml.
    pub fix_archives: bool,
}

impl CheckOptions {
    /// The defaults of `bilat check --root DIR`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        CheckOptions {
            external_options: external::ExternalOptions::for_root(&root),
            root,
            base_url: None,
            strict: false,
            external: false,
            fix_archives: false,
        }
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Every problem, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// HTML pages scanned (0 when the site did not render).
    pub pages: usize,
    /// Internal links and anchors resolved.
    pub links: usize,
    /// Distinct external URLs checked (with `--external`).
    pub external: usize,
    /// Quotes checked against their sources' texts (none counted when the site did not load).
    pub quotes: crate::sources::QuoteTally,
    /// With `--external`: whether each source's URL answered, and archived copies for dead ones.
    pub sources: Vec<archives::SourceCheck>,
    /// Sources whose archived copy `--fix-archives` wrote into sources.yaml.
    pub archives_written: Vec<String>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    /// Clean: nothing that fails the check (warnings pass unless `--strict` made them errors).
    pub fn passed(&self) -> bool {
        self.errors() == 0
    }

    /// The text `bilat check` prints: each problem as `file:line:col: …`, followed, when
    /// `github` is set, by the workflow command that annotates the pull request with it.
    pub fn render(&self, github: bool) -> String {
        let mut s = String::new();
        for d in &self.diagnostics {
            s.push_str(&d.to_string());
            s.push('\n');
        }
        if github {
            for d in &self.diagnostics {
                s.push_str(&d.github_annotation());
                s.push('\n');
            }
        }
        s
    }

    /// One closing line.
    pub fn summary(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "checked {} and {}",
            plural(self.pages, "page"),
            plural(self.links, "internal link")
        );
        if self.external > 0 {
            s.push_str(&format!(" and {}", plural(self.external, "external link")));
        }
        if !self.archives_written.is_empty() {
            s.push_str(&format!(
                "; wrote the archived {} of {} into sources.yaml",
                if self.archives_written.len() == 1 {
                    "copy"
                } else {
                    "copies"
                },
                self.archives_written.join(", ")
            ));
        }
        s.push_str(&format!(
            ": {}, {}",
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning")
        ));
        if self.quotes.total > 0 {
            s.push_str("; ");
            s.push_str(&self.quotes.summary());
        }
        s
    }
}

/// Runs every check. `Err` only when the check itself could not run (an unreadable root);
/// problems in the site are in the report.
pub fn check(opts: &CheckOptions) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let mut diags = Diagnostics::default();
    let build = BuildOptions {
        root: opts.root.clone(),
        output: None,
        base_url: opts.base_url.clone(),
        drafts: false,
        base_path: None,
    };
    match Site::load_editions(&build, crate::site::Retention::Everything) {
        Ok(mut sites) => {
            report.quotes = sites[0].quotes;
            diags.extend(std::mem::take(&mut sites[0].warnings));
            drafts(&sites[0], &mut diags);
            duplicate_titles(&sites[0], &mut diags);
            let editions = sites.len();
            let mut made = Vec::with_capacity(editions);
            for mut site in sites {
                // Links are read from the HTML before minification: the same links, easier to
                // read.
                site.config.minify = false;
                match rendered(site) {
                    Ok(r) => {
                        missing_ui_strings(&r.0, &mut diags);
                        made.push(r)
                    }
                    Err(Error::Build(d)) => diags.extend(d),
                    Err(e) => return Err(e),
                }
            }
            if made.len() == editions {
                scan_editions(opts, &made, &mut report, &mut diags);
            }
        }
        Err(Error::Build(d)) => diags.extend(d),
        Err(e) => return Err(e),
    }
    let mut all = diags.sorted();
    if opts.strict {
        for d in &mut all {
            d.severity = Severity::Error;
        }
    }
    report.diagnostics = all;
    Ok(report)
}

/// Reads the links of every edition's pages; each edition may link into the others.
fn scan_editions(
    opts: &CheckOptions,
    made: &[(std::sync::Arc<Build>, Rendered)],
    report: &mut CheckReport,
    diags: &mut Diagnostics,
) {
    let all_files: HashSet<String> = made
        .iter()
        .flat_map(|(_, r)| r.iter().flat_map(|(_, o)| o.iter().map(|o| o.path.clone())))
        .collect();
    for (build, rendered) in made {
        let layouts = Layouts::of(&build.templates, &opts.root);
        let scan = Scan::new(&build.site, rendered, &layouts, &all_files);
        let mut externals = scan.internal(diags, report);
        // External links are the same in every edition: asked for once, from the default's.
        if opts.external && build.site.edition.is_default() {
            archives::add_sources(&build.site, &mut externals);
            report.external = externals.len();
            let urls: Vec<String> = externals.keys().cloned().collect();
            let outcomes = external::check_urls(&urls, &opts.external_options);
            // Dead sources are looked up in the archive; what it has goes with the link's own
            // report.
            let advice = archives::advise(&build.site, opts, &urls, &outcomes, report, diags);
            scan.external(externals, outcomes, &advice, diags);
        }
    }
}

/// Pages marked `draft: true`: `build` leaves them out, which is easy to forget.
fn drafts(site: &Site, diags: &mut Diagnostics) {
    for d in &site.drafts {
        diags.push(
            Diagnostic::warning(
                &d.shown,
                d.line,
                format!("draft: `{}` is left out of the published site", d.title),
            )
            .with_help("remove `draft: true` to publish it"),
        );
    }
}

/// UI strings the layouts show in English because the table of the site's language lacks them
/// (see [`crate::render::i18n`]): one warning per language, listing the keys.
fn missing_ui_strings(build: &Build, diags: &mut Diagnostics) {
    let languages = [build.site.config.language.as_str()];
    for m in build.templates.strings.missing(&languages) {
        let own = format!("layouts/i18n/{}.yaml", m.language);
        let d = if m.has_table {
            let n = m.keys.len();
            Diagnostic::warning(
                m.site_table.clone().unwrap_or_else(|| own.clone().into()),
                None,
                format!(
                    "{n} UI string{} missing from the `{}` table, shown in English: {}",
                    if n == 1 { " is" } else { "s are" },
                    m.language,
                    m.keys.join(", ")
                ),
            )
            .with_help(format!(
                "translate them in {own}; a missing plural form (`key.few`) falls back to `other`"
            ))
        } else {
            Diagnostic::warning(
                crate::config::CONFIG_FILE,
                None,
                format!(
                    "no table of UI strings for `{}`: the layouts show their {} strings in English",
                    m.language,
                    m.keys.len()
                ),
            )
            .with_help(format!("translate the keys of the built-in English table (`bilat theme eject layouts/i18n/en.yaml` copies it) into {own}"))
        };
        diags.push(d);
    }
}

/// Two pages with one title look the same in tabs, search results, the feed and link lists.
fn duplicate_titles(site: &Site, diags: &mut Diagnostics) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, p) in site.pages.iter().enumerate() {
        let key = p.meta.title.trim().to_lowercase();
        match seen.get(&key) {
            Some(&j) => diags.push(
                Diagnostic::error(&p.shown, p.line_of_key("title"), format!("title `{}` is also the title of {}", p.meta.title.trim(), site.pages[j].shown.display()))
                    .with_help("give each page its own title: readers cannot tell them apart in tabs, search results and the feed"),
            ),
            None => {
                seen.insert(key, i);
            }
        }
    }
}

/// Each job with the files it wrote.
type Rendered = Vec<(Job, Vec<Output>)>;

/// Renders every job into a collection that keeps which job wrote which file.
/// Each file is named by its path in the output (`ru/…` for another edition).
fn rendered(site: Site) -> Result<(std::sync::Arc<Build>, Rendered)> {
    let build = std::sync::Arc::new(Build::prepare(site)?);
    let mut sink = engine::Collect::default();
    let folder = build.site.edition.prefix.clone();
    engine::render(
        &build,
        build.jobs(),
        &mut engine::InFolder {
            folder: &folder,
            inner: &mut sink,
        },
    )?;
    Ok((build, sink.jobs))
}

/// The site's templates as text (its own and the built-in ones it does not override), to find
/// which one wrote a link.
struct Layouts {
    files: Vec<(String, String)>,
    /// The names of the built-in layouts among them, to say so when one wrote a broken link.
    builtin: HashSet<String>,
}

impl Layouts {
    /// The text the templates were compiled from, by name.
    fn of(templates: &crate::render::Templates, root: &Path) -> Layouts {
        let mut files: Vec<(String, String)> = templates
            .sources
            .iter()
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect();
        files.sort();
        let dir = root.join(crate::render::LAYOUTS_DIR);
        let builtin = files
            .iter()
            .filter(|(name, _)| !dir.join(name).is_file())
            .map(|(name, _)| name.clone())
            .collect();
        Layouts { files, builtin }
    }

    /// A help line for a problem written by template `name`, if it is a built-in one.
    fn help_for(&self, name: &str) -> Option<String> {
        self.builtin.contains(name).then(|| {
            format!("layouts/{name} is built into bilat; `bilat theme eject layouts/{name}` copies it into the site to change it")
        })
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    /// The template and the ones it extends, nearest first, then every other template (includes,
    /// imports and Tera 2 components are global, so any of them may have written the link).
    fn search_order(&self, name: &str) -> Vec<&str> {
        let mut order: Vec<&str> = Vec::new();
        let mut current = Some(name.to_string());
        while let Some(n) = current.take() {
            let Some((stored, text)) = self.files.iter().find(|(f, _)| *f == n) else {
                break;
            };
            if order.contains(&stored.as_str()) {
                break;
            }
            order.push(stored.as_str());
            current = extends(text);
        }
        for (n, _) in &self.files {
            if !order.contains(&n.as_str()) {
                order.push(n.as_str());
            }
        }
        order
    }

    /// The first template (in `search_order(name)`) holding any of `needles`: name, line, column.
    fn find(&self, name: &str, needles: &[Needle]) -> Option<(String, usize, usize)> {
        for t in self.search_order(name) {
            if let Some((line, col)) = self.text(t).and_then(|text| find_any(text, needles)) {
                return Some((t.to_string(), line, col));
            }
        }
        None
    }
}

/// The parent named by `{% extends "…" %}`, if any.
fn extends(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find("{%") {
        let tag = &rest[i + 2..];
        let end = tag.find("%}")?;
        let inner = tag[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        if let Some(arg) = inner.strip_prefix("extends") {
            let arg = arg.trim();
            return Some(arg.trim_matches(|c| c == '"' || c == '\'').to_string());
        }
        rest = &tag[end..];
    }
    None
}

/// A string to look for, and how many bytes of it come before the URL itself (`](`, `href="`).
struct Needle {
    text: String,
    skip: usize,
}

impl Needle {
    fn new(prefix: &str, url: &str) -> Needle {
        Needle {
            text: format!("{prefix}{url}"),
            skip: prefix.len(),
        }
    }
}

/// 1-based line and character column (of the URL) of the first needle found, trying needles in order.
fn find_any(text: &str, needles: &[Needle]) -> Option<(usize, usize)> {
    for needle in needles.iter().filter(|n| n.text.len() > n.skip) {
        for (i, line) in text.lines().enumerate() {
            if let Some(pos) = line.find(needle.text.as_str()) {
                return Some((i + 1, line[..pos + needle.skip].chars().count() + 1));
            }
        }
    }
    None
}

/// One URL-valued attribute of an element in a rendered page.
#[derive(Debug, Clone)]
struct Link {
    element: String,
    attr: &'static str,
    /// Entities decoded.
    value: String,
    /// `rel` of a `<link>`, lowercased.
    rel: String,
}

/// What a check needs from one HTML page.
#[derive(Debug, Default)]
struct HtmlFacts {
    ids: HashSet<String>,
    links: Vec<Link>,
}

fn decode(v: &str) -> String {
    html_escape::decode_html_entities(v).into_owned()
}

/// Reads the ids and URL attributes of a page with lol_html (a streaming HTML5 tokenizer).
fn scan_html(html: &str) -> std::result::Result<HtmlFacts, String> {
    use lol_html::{element, RewriteStrSettings};
    let mut facts = HtmlFacts::default();
    let handler = element!("*", |el| {
        let tag = el.tag_name();
        if let Some(id) = el.get_attribute("id") {
            facts.ids.insert(decode(&id));
        }
        if tag == "a" {
            if let Some(name) = el.get_attribute("name") {
                facts.ids.insert(decode(&name));
            }
        }
        let rel = el
            .get_attribute("rel")
            .map(|r| decode(&r).to_ascii_lowercase())
            .unwrap_or_default();
        let mut push = |attr: &'static str, value: String| {
            facts.links.push(Link {
                element: tag.clone(),
                attr,
                value,
                rel: rel.clone(),
            });
        };
        for attr in ["href", "src", "poster", "action", "data", "cite"] {
            if tag == "base" {
                break;
            }
            if let Some(v) = el.get_attribute(attr) {
                push(attr, decode(&v));
            }
        }
        if let Some(v) = el.get_attribute("srcset") {
            // `url 2x, url 640w`: the URL is the first word of each candidate.
            for candidate in decode(&v).split(',') {
                if let Some(url) = candidate.split_whitespace().next() {
                    push("srcset", url.to_string());
                }
            }
        }
        if tag == "meta" {
            let content = el
                .get_attribute("content")
                .map(|c| decode(&c))
                .unwrap_or_default();
            let equiv = el
                .get_attribute("http-equiv")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let property = el
                .get_attribute("property")
                .or_else(|| el.get_attribute("name"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            if equiv == "refresh" {
                // `0; url=/new/`
                if let Some(i) = content.to_ascii_lowercase().find("url=") {
                    push(
                        "content",
                        content[i + 4..]
                            .trim()
                            .trim_matches(|c| c == '\'' || c == '"')
                            .to_string(),
                    );
                }
            } else if matches!(property.as_str(), "og:url" | "og:image" | "twitter:image") {
                push("content", content);
            }
        }
        Ok(())
    });
    // Not strict: an ambiguous construct in a template should not stop the whole check.
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(handler)
        .with_strict(false);
    lol_html::rewrite_str(html, settings).map_err(|e| e.to_string())?;
    Ok(facts)
}

/// Where a link leads.
#[derive(Debug, PartialEq)]
enum Target {
    /// Nothing to check (`mailto:`, `javascript:`, other schemes, empty).
    Skip,
    /// An http(s) URL on another site, fragment removed.
    External(String),
    /// A path relative to the output root (`topics/trade/`, empty for the home), and a fragment.
    Internal {
        path: String,
        fragment: Option<String>,
    },
}

/// Splits `scheme://host[:port]/path` into the lowercased origin and the path.
fn split_origin(url: &str) -> Option<(String, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            rest[..end].to_ascii_lowercase()
        ),
        &rest[end..],
    ))
}

/// Classifies a link found on the page whose output file is `page_file`; `Err` says why it is
/// wrong before any lookup (it leaves the base path, or climbs above the site).
fn classify(
    value: &str,
    page_file: &str,
    base_path: &str,
    origin: &str,
) -> std::result::Result<Target, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(Target::Skip);
    }
    let lower = v.to_ascii_lowercase();
    let absolute_url = if lower.starts_with("//") {
        Some(format!("https:{v}"))
    } else {
        None
    };
    let url = absolute_url.as_deref().unwrap_or(v);
    let lower_url = url.to_ascii_lowercase();
    let path: String = if lower_url.starts_with("http://") || lower_url.starts_with("https://") {
        let Some((link_origin, rest)) = split_origin(url) else {
            return Ok(Target::Skip);
        };
        let path_only = rest.split(['?', '#']).next().unwrap_or("");
        // Another site, or another project site on the same host (`owner.github.io/other/`).
        let elsewhere = !link_origin.eq_ignore_ascii_case(origin)
            || !(format!("{path_only}/").starts_with(base_path)
                || path_only.starts_with(base_path));
        if elsewhere {
            let without_fragment = url.split('#').next().unwrap_or(url);
            return Ok(Target::External(without_fragment.to_string()));
        }
        if rest.is_empty() || rest.starts_with(['?', '#']) {
            format!("/{rest}")
        } else {
            rest.to_string()
        }
    } else if v.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    }) {
        // Another scheme (mailto:, tel:, javascript:, data:): nothing to resolve.
        return Ok(Target::Skip);
    } else {
        v.to_string()
    };
    let (before_fragment, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(crate::text::percent_decode(f))),
        None => (path.as_str(), None),
    };
    let path_only = before_fragment.split('?').next().unwrap_or("");
    let rel = if path_only.is_empty() {
        // `#x` or `?q`: this page.
        page_file.to_string()
    } else if let Some(abs) = path_only.strip_prefix('/') {
        let abs = format!("/{abs}");
        if abs == base_path.trim_end_matches('/') {
            String::new()
        } else if let Some(r) = abs.strip_prefix(base_path) {
            r.to_string()
        } else {
            return Err(format!(
                "`{v}` leads outside the base path {base_path}: on a GitHub Pages project site it is not part of this site"
            ));
        }
    } else {
        if page_file == "404.html" {
            return Err(format!(
                "`{v}` is relative, but 404.html is served at every missing URL, where relative links break; use url(path=…)"
            ));
        }
        let dir = page_file.rsplit_once('/').map_or("", |(d, _)| d);
        let trailing = path_only.ends_with('/')
            || path_only.ends_with("/.")
            || path_only == "."
            || path_only.ends_with("..");
        match crate::markdown::join_relative(dir, path_only) {
            Some(j) if trailing && !j.is_empty() => format!("{j}/"),
            Some(j) => j,
            None => return Err(format!("`{v}` climbs above the root of the site")),
        }
    };
    Ok(Target::Internal {
        path: crate::text::percent_decode(&rel),
        fragment,
    })
}

/// The output file a site path is served from: `x/` and `x` (GitHub Pages redirects `x` to `x/`)
/// are `x/index.html`; anything else is itself.
fn served_file(path: &str, files: &HashSet<String>) -> Option<String> {
    if path.is_empty() || path.ends_with('/') {
        let f = format!("{path}index.html");
        return files.contains(&f).then_some(f);
    }
    if files.contains(path) {
        return Some(path.to_string());
    }
    let f = format!("{path}/index.html");
    files.contains(&f).then_some(f)
}

/// Where a rendered page came from.
enum Origin {
    /// A content page, by index.
    Page(usize),
    /// A page generated from a template alone.
    Template(String),
    /// A redirect page for an alias of a content page.
    Alias { page: usize, from: String },
}

struct ScannedPage {
    file: String,
    origin: Origin,
    facts: HtmlFacts,
}

/// The rendered site, scanned.
struct Scan<'a> {
    site: &'a Site,
    /// The whole site's base path (the default edition's): every edition's files are under it.
    base_path: &'a str,
    layouts: &'a Layouts,
    pages: Vec<ScannedPage>,
    files: HashSet<String>,
    ids: HashMap<String, usize>,
    origin: String,
    problems: Vec<Diagnostic>,
}

/// External URLs and where they were first seen (page index into `Scan::pages`, link).
type Externals = BTreeMap<String, Vec<(usize, Link)>>;

impl<'a> Scan<'a> {
    /// `elsewhere`: the files of the site's other editions, which links may point at.
    fn new(
        site: &'a Site,
        rendered: &[(Job, Vec<Output>)],
        layouts: &'a Layouts,
        elsewhere: &HashSet<String>,
    ) -> Scan<'a> {
        let mut files: HashSet<String> = site
            .static_files
            .iter()
            .chain(site.assets.iter())
            .map(|f| f.rel.clone())
            .chain(elsewhere.iter().cloned())
            .collect();
        // A build draws a card for every content page; check links to them without drawing.
        if site.config.social_cards {
            let folder = &site.edition.prefix;
            files.extend(
                (0..site.pages.len())
                    .filter(|&i| !site.elsewhere(i))
                    .map(|i| format!("{folder}{}", crate::cards::card_path(&site.pages[i].path))),
            );
        }
        files.extend(crate::images::variant_paths_of(&site.images_shown(None)));
        let mut html: Vec<(String, Origin, &[u8])> = Vec::new();
        for (job, outputs) in rendered {
            for o in outputs {
                files.insert(o.path.clone());
                if !o.path.ends_with(".html") {
                    continue;
                }
                let origin = match (job, job.listing()) {
                    (_, Some((Listing::Page(i), _))) => Origin::Page(i),
                    (_, Some((Listing::Generated(g), _))) => {
                        Origin::Template(g.template().to_string())
                    }
                    (_, Some((Listing::Tag(_), _))) => {
                        Origin::Template(crate::jobs::TAG_TEMPLATE.into())
                    }
                    (Job::Alias { from, page }, None) => Origin::Alias {
                        page: *page,
                        from: from.clone(),
                    },
                    // search.json and the publishing files hold no HTML.
                    (_, None) => continue,
                };
                html.push((o.path.clone(), origin, &o.bytes));
            }
        }
        let scanned: Vec<(String, Origin, std::result::Result<HtmlFacts, String>)> = html
            .into_par_iter()
            .map(|(file, origin, bytes)| {
                let facts = scan_html(&String::from_utf8_lossy(bytes));
                (file, origin, facts)
            })
            .collect();
        let mut problems = Vec::new();
        let mut pages = Vec::new();
        for (file, origin, facts) in scanned {
            match facts {
                Ok(facts) => pages.push(ScannedPage {
                    file,
                    origin,
                    facts,
                }),
                Err(e) => problems.push(Diagnostic::error(
                    PathBuf::from(&file),
                    None,
                    format!("cannot read the rendered page: {e}"),
                )),
            }
        }
        pages.sort_by(|a, b| a.file.cmp(&b.file));
        let ids = pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.file.clone(), i))
            .collect();
        let origin = crate::config::parse_base_url(&site.base_url)
            .map(|(o, _)| o.to_ascii_lowercase())
            .unwrap_or_default();
        Scan {
            site,
            base_path: &site.edition.root_base_path,
            layouts,
            pages,
            files,
            ids,
            origin,
            problems,
        }
    }

    /// Resolves every internal link; returns the external ones for `--external`.
    fn internal(&self, diags: &mut Diagnostics, report: &mut CheckReport) -> Externals {
        diags.extend(self.problems.iter().cloned());
        report.pages += self.pages.len();
        let mut externals: Externals = BTreeMap::new();
        for (pi, page) in self.pages.iter().enumerate() {
            for link in &page.facts.links {
                let target = match classify(&link.value, &page.file, self.base_path, &self.origin) {
                    Ok(t) => t,
                    Err(msg) => {
                        report.links += 1;
                        diags.push(self.locate(page, link, format!("broken link: {msg}"), None));
                        continue;
                    }
                };
                match target {
                    Target::Skip => {}
                    Target::External(url) => {
                        // Hints to the browser, not links a reader follows.
                        if link.element == "link"
                            && (link.rel.contains("preconnect")
                                || link.rel.contains("dns-prefetch"))
                        {
                            continue;
                        }
                        externals.entry(url).or_default().push((pi, link.clone()));
                    }
                    Target::Internal { path, fragment } => {
                        report.links += 1;
                        if let Some(d) = self.resolve(page, link, &path, fragment.as_deref()) {
                            diags.push(d);
                        }
                    }
                }
            }
        }
        externals
    }

    fn resolve(
        &self,
        page: &ScannedPage,
        link: &Link,
        path: &str,
        fragment: Option<&str>,
    ) -> Option<Diagnostic> {
        let v = link.value.trim();
        let Some(file) = served_file(path, &self.files) else {
            let url = format!("{}{}", self.base_path, path);
            let mut d = self.locate(
                page,
                link,
                format!("broken link: `{v}`: nothing is published at {url}"),
                None,
            );
            let candidates = self
                .files
                .iter()
                .filter(|f| f.ends_with("index.html"))
                .map(|f| f.trim_end_matches("index.html"));
            if let Some(best) = crate::text::did_you_mean(path, candidates) {
                d = d.with_help(format!("did you mean {}{best}?", self.base_path));
            }
            return Some(d);
        };
        let fragment = fragment.filter(|f| !f.is_empty() && *f != "top")?;
        let target = self.ids.get(&file).map(|&i| &self.pages[i])?;
        if target.facts.ids.contains(fragment) {
            return None;
        }
        let shown = if file == page.file {
            "this page".to_string()
        } else {
            format!("{}{}", self.base_path, file.trim_end_matches("index.html"))
        };
        let mut d = self.locate(
            page,
            link,
            format!("broken link: `{v}`: {shown} has no element with id `{fragment}`"),
            Some(fragment),
        );
        if let Some(best) =
            crate::text::did_you_mean(fragment, target.facts.ids.iter().map(String::as_str))
        {
            d = d.with_help(format!("did you mean `#{best}`?"));
        }
        Some(d)
    }

    /// The page's URL, for messages.
    fn url_of(&self, page: &ScannedPage) -> String {
        format!(
            "{}{}",
            self.base_path,
            page.file.trim_end_matches("index.html")
        )
    }

    /// Strings that the author may have written for this link, most specific first: in Markdown
    /// and in templates.
    fn needles(&self, link: &Link, fragment: Option<&str>) -> (Vec<Needle>, Vec<Needle>) {
        let v = link.value.trim();
        let mut forms = vec![v.to_string()];
        let mut path_form = v.to_string();
        if let Some((o, rest)) = split_origin(v) {
            if o.eq_ignore_ascii_case(&self.origin) {
                path_form = rest.to_string();
                forms.push(rest.to_string());
            }
        }
        let bp = self.base_path;
        let site_rel = path_form.strip_prefix(bp).map(str::to_string);
        if let Some(r) = &site_rel {
            if bp != "/" {
                forms.push(format!("/{r}"));
            }
        }
        // In Markdown: `](url`, `<url>`, `href="url"`, `[id]: url`.
        let mut markdown = Vec::new();
        for f in &forms {
            for pre in ["(<", "(", "<", "=\"", "='", "]: "] {
                markdown.push(Needle::new(pre, f));
            }
        }
        // In templates: the literal URL, or the path given to url(path=…).
        let mut template = vec![Needle::new("\"", v), Needle::new("'", v)];
        if let Some(r) = &site_rel {
            let no_fragment = r.split('#').next().unwrap_or("");
            for q in ["'", "\""] {
                template.push(Needle {
                    text: format!("path={q}{no_fragment}{q}"),
                    skip: 0,
                });
                if !no_fragment.is_empty() {
                    template.push(Needle::new(q, &format!("{no_fragment}{q}")));
                    template.push(Needle::new(q, &format!("/{no_fragment}{q}")));
                }
            }
        }
        if let Some(f) = fragment {
            template.push(Needle::new("", &format!("#{f}\"")));
            template.push(Needle::new("", &format!("#{f}'")));
        }
        (markdown, template)
    }

    /// Builds the diagnostic for a problem with `link` on `page`, at the place it was written.
    fn locate(
        &self,
        page: &ScannedPage,
        link: &Link,
        message: String,
        fragment: Option<&str>,
    ) -> Diagnostic {
        let (markdown, template) = self.needles(link, fragment);
        let attr = format!("<{} {}>", link.element, link.attr);
        match &page.origin {
            Origin::Page(i) => {
                let p = &self.site.pages[*i];
                if let Some((line, col)) = find_any(&p.body, &markdown) {
                    return Diagnostic::error(&p.shown, Some(line + p.body_line - 1), message)
                        .with_col(Some(col));
                }
                let layout = self.site.layout_of(*i);
                let (place, help) = match self.layouts.find(layout, &template) {
                    Some((t, line, col)) => (
                        format!("written by template layouts/{t}:{line}:{col} ({attr})"),
                        self.layouts.help_for(&t),
                    ),
                    None => (
                        format!("written by layout `{layout}` or a template it uses ({attr})"),
                        None,
                    ),
                };
                let d = Diagnostic::error(&p.shown, Some(1), format!("{message} [{place}]"))
                    .with_col(Some(1));
                match help {
                    Some(h) => d.with_help(h),
                    None => d,
                }
            }
            Origin::Template(name) => {
                let url = self.url_of(page);
                match self.layouts.find(name, &template) {
                    Some((t, line, col)) => {
                        let d = Diagnostic::error(
                            Path::new(crate::render::LAYOUTS_DIR).join(&t),
                            Some(line),
                            format!("{message} [on {url}, rendered from {name}]"),
                        )
                        .with_col(Some(col));
                        match self.layouts.help_for(&t) {
                            Some(h) => d.with_help(h),
                            None => d,
                        }
                    }
                    None => Diagnostic::error(
                        Path::new(crate::render::LAYOUTS_DIR).join(name),
                        Some(1),
                        format!("{message} [on {url}; written by {name} or a template it uses ({attr})]"),
                    )
                    .with_col(Some(1)),
                }
            }
            Origin::Alias { page, from } => {
                let p = &self.site.pages[*page];
                Diagnostic::error(
                    &p.shown,
                    p.line_of(from).or(Some(1)),
                    format!("{message} [in the redirect page for alias `{from}`]"),
                )
            }
        }
    }

    /// Asks the servers of external links; each failing URL is reported once, where it was written.
    fn external(
        &self,
        externals: Externals,
        outcomes: Vec<external::Outcome>,
        advice: &HashMap<String, archives::Advice>,
        diags: &mut Diagnostics,
    ) {
        let data_files = self.data_files();
        for ((url, seen), outcome) in externals.into_iter().zip(outcomes) {
            let (mut severity, why) = match outcome {
                external::Outcome::Ok(_) => continue,
                external::Outcome::Unverified(w) => (Severity::Warning, w),
                external::Outcome::Broken(w) | external::Outcome::Gone(w) => (Severity::Error, w),
            };
            let mut pages: Vec<String> = seen
                .iter()
                .map(|(pi, _)| self.url_of(&self.pages[*pi]))
                .collect();
            pages.dedup();
            let on = match pages.len() {
                0 => " (a source no page cites)".to_string(),
                1 => format!(" (on {})", pages[0]),
                n => format!(" (on {} and {} other pages)", pages[0], n - 1),
            };
            let message = format!("external link `{url}` failed: {why}{on}");
            // A source's URL is best fixed in sources.yaml; otherwise where the first page wrote it.
            let needles = [Needle::new("", &url)];
            let mut d = match data_files
                .iter()
                .find_map(|(shown, text)| find_any(text, &needles).map(|(l, c)| (shown, l, c)))
            {
                Some((shown, line, col)) => {
                    Diagnostic::error(shown, Some(line), message).with_col(Some(col))
                }
                None => match seen.first() {
                    Some((pi, link)) => self.locate(&self.pages[*pi], link, message, None),
                    None => Diagnostic::error(PathBuf::new(), None, message),
                },
            };
            if let Some(a) = advice.get(&url) {
                d = d.with_help(a.help.clone());
                if a.fixed {
                    severity = Severity::Warning;
                }
            }
            d.severity = severity;
            diags.push(d);
        }
    }

    /// The registry files (content/_data/*.yaml) as shown path and text.
    fn data_files(&self) -> Vec<(PathBuf, String)> {
        let rel = Path::new(content::CONTENT_DIR).join(crate::registry::DATA_DIR);
        let dir = self.site.root.join(&rel);
        let mut out = Vec::new();
        for e in walkdir::WalkDir::new(&dir)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    let shown = rel.join(e.path().strip_prefix(&dir).unwrap_or(e.path()));
                    out.push((shown, text));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(path: &str, fragment: Option<&str>) -> Target {
        Target::Internal {
            path: path.into(),
            fragment: fragment.map(str::to_string),
        }
    }

    #[test]
    fn classifies_links() {
        let c = |v: &str| {
            classify(
                v,
                "topics/trade/index.html",
                "/repo/",
                "https://o.github.io",
            )
        };
        assert_eq!(c("mailto:a@b.c"), Ok(Target::Skip));
        assert_eq!(
            c("https://example.org/x#y"),
            Ok(Target::External("https://example.org/x".into()))
        );
        assert_eq!(
            c("https://O.github.io/repo/timeline/#y2023"),
            Ok(internal("timeline/", Some("y2023")))
        );
        assert_eq!(c("/repo/"), Ok(internal("", None)));
        assert_eq!(c("/repo"), Ok(internal("", None)));
        assert_eq!(
            c("#src-s1"),
            Ok(internal("topics/trade/index.html", Some("src-s1")))
        );
        assert_eq!(c("../energy/?x=1"), Ok(internal("topics/energy/", None)));
        assert_eq!(
            c("img/a%20b.png"),
            Ok(internal("topics/trade/img/a b.png", None))
        );
        assert!(c("/other/").is_err());
        assert_eq!(
            c("https://o.github.io/other/"),
            Ok(Target::External("https://o.github.io/other/".into()))
        );
        assert_eq!(
            classify(
                "https://o.github.io/repo#x",
                "index.html",
                "/repo/",
                "https://o.github.io"
            ),
            Ok(internal("", Some("x")))
        );
        assert!(c("../../../x").is_err());
        assert!(classify("topics/", "404.html", "/repo/", "https://o.github.io").is_err());
    }

    #[test]
    fn finds_parents() {
        assert_eq!(
            extends("{%- extends \"base.html\" -%}\n").as_deref(),
            Some("base.html")
        );
        assert_eq!(extends("{% block x %}{% endblock %}"), None);
    }

    #[test]
    fn scans_ids_and_decoded_links() {
        let f = scan_html("<h2 id=\"a&amp;b\">x</h2><a href=\"/r/?a=1&amp;b=2\">y</a><img srcset=\"a.png 1x, b.png 2x\">").unwrap_or_default();
        assert!(f.ids.contains("a&b"));
        let values: Vec<&str> = f.links.iter().map(|l| l.value.as_str()).collect();
        assert_eq!(values, ["/r/?a=1&b=2", "a.png", "b.png"]);
    }
}
