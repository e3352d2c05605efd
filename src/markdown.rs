//! Markdown to HTML: pulldown-cmark plus what a sourced explainer needs on top of it —
//! unique heading ids and a table of contents, internal links written to source files rewritten to
//! URLs, `[@source]` citations, footnotes with unique ids, and the first mention of each glossary
//! term linked to its entry; images of the site shown at the widths [`crate::images`] makes.
//!
//! Rendering a page needs only read access to the site's link table, so pages render in parallel.

use crate::registry::{Registry, Source, Term};
use crate::text::{slugify, LineIndex};
use aho_corasick::{AhoCorasick, MatchKind};
use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How many words of a page's plain text are kept for the search index and feed summaries.
pub const OPENING_WORDS: usize = 120;

/// A table-of-contents entry; `children` are the headings nested under it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link from a page to a page (or to itself when `target` is None) and an anchor on it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorLink {
    /// Content path of the target page; `None` for `#anchor` links to the same page.
    pub target: Option<String>,
    pub anchor: String,
    pub line: usize,
}

/// A problem in the Markdown body, at a file line.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
    pub help: Option<String>,
    /// Broken links may be lowered to warnings by `broken_links: warn`.
    pub broken_link: bool,
    /// Reported as a warning, never failing the build.
    pub warning: bool,
}

/// The result of rendering one page's body.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Ids a link may point to: headings and footnotes.
    pub anchors: HashSet<String>,
    pub anchor_links: Vec<AnchorLink>,
    /// Source ids in the order they are first cited; their position + 1 is their number.
    pub citations: Vec<String>,
    /// Indices of glossary terms linked from this page.
    pub terms: Vec<usize>,
    /// The first [`OPENING_WORDS`] words of the plain text, for the search index and feed.
    pub text: String,
    pub word_count: usize,
    pub problems: Vec<Problem>,
    /// Site paths of the images shown as `<picture>`, whose variants the build must write.
    pub images: Vec<String>,
}

/// Finds glossary terms (and their aliases) in text; built once per site.
pub struct Glossary {
    matcher: Option<AhoCorasick>,
    /// For each pattern, the index of its term.
    pattern_term: Vec<usize>,
}

impl Glossary {
    pub fn new(terms: &Registry<Term>) -> Glossary {
        let mut patterns = Vec::new();
        let mut pattern_term = Vec::new();
        for (i, t) in terms.items.iter().enumerate() {
            for p in std::iter::once(&t.term).chain(t.aliases.iter()) {
                if !p.trim().is_empty() {
                    patterns.push(p.clone());
                    pattern_term.push(i);
                }
            }
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        Glossary {
            matcher,
            pattern_term,
        }
    }
}

/// What rendering a page needs to know about the rest of the site.
pub struct Context<'a> {
    /// The base path of the page's edition, `/` or `/repo/` (`/repo/ru/` for another edition):
    /// glossary links go there.
    pub base_path: &'a str,
    /// The base path of the whole site, where static files are (the default edition's).
    pub files_base_path: &'a str,
    /// Content path → URL path (base path included), for every page.
    pub pages: &'a HashMap<String, String>,
    /// Paths of static files (content/ and assets/), relative to the output root.
    pub files: &'a HashSet<String>,
    pub sources: &'a Registry<Source>,
    pub terms: &'a Registry<Term>,
    pub glossary: &'a Glossary,
    /// Whether links and images may use URLs that run script.
    pub script_urls: crate::config::ScriptUrlPolicy,
    /// Ids the layouts write into every page they render (`main`), with the layout that does.
    pub layout_ids: &'a HashMap<String, String>,
    /// The images that are resized, with their sizes.
    pub images: &'a crate::images::Catalog,
}

/// What the page being rendered is.
pub struct PageInput<'a> {
    pub body: &'a str,
    /// File line of the body's first line.
    pub body_line: usize,
    /// Folder of the page inside content/ (`topics`).
    pub dir: &'a str,
    /// Whether the first mention of each glossary term becomes a link.
    pub link_glossary: bool,
    /// Whether to write the HTML and table of contents; without them the render only checks the
    /// page and collects what the site-wide lists need.
    pub write_html: bool,
}

fn options() -> Options {
    let mut o = Options::empty();
    o.insert(Options::ENABLE_TABLES);
    o.insert(Options::ENABLE_FOOTNOTES);
    o.insert(Options::ENABLE_STRIKETHROUGH);
    o.insert(Options::ENABLE_TASKLISTS);
    o.insert(Options::ENABLE_SMART_PUNCTUATION);
    o.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    o
}

/// Joins `dir` and a relative path, resolving `.` and `..`; `None` if it climbs out of the root.
pub fn join_relative(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn is_external(url: &str) -> bool {
    url.starts_with("//")
        || url.starts_with("mailto:")
        || url.starts_with("tel:")
        || url.starts_with("data:")
        || url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// The scheme of a URL that runs script when followed or loaded: `javascript`, `vbscript`, or
/// `data` (except `data:image/…` for an image, which cannot run script). The URL is read as a
/// browser reads it (the WHATWG URL parser): leading and trailing spaces and control characters
/// dropped, tabs and newlines removed anywhere, the scheme in any case. Character references
/// (`&#106;avascript:`) are decoded by the Markdown parser before this sees the URL.
pub fn script_scheme(url: &str, is_image: bool) -> Option<&'static str> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    let mut scheme = String::new();
    let mut rest = None;
    for (i, c) in trimmed.char_indices() {
        match c {
            '\t' | '\n' | '\r' => {}
            ':' => {
                rest = Some(&trimmed[i + 1..]);
                break;
            }
            c if c.is_ascii_alphanumeric() || "+-.".contains(c) => {
                scheme.push(c.to_ascii_lowercase());
            }
            _ => return None,
        }
        if scheme.len() > 10 {
            return None;
        }
    }
    let rest = rest?;
    match scheme.as_str() {
        "javascript" => Some("javascript"),
        "vbscript" => Some("vbscript"),
        "data" => {
            let media: String = rest
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .take(6)
                .collect::<String>()
                .to_ascii_lowercase();
            if is_image && media == "image/" {
                None
            } else {
                Some("data")
            }
        }
        _ => None,
    }
}

/// Percent-encodes what cannot stand for itself in a URL path (`%`, `#`, `?`, spaces, controls);
/// `/` and other characters, non-ASCII included, are kept (the HTML writer escapes the rest).
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' | '#' | '?' | ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

struct Renderer<'a, 'c> {
    ctx: &'c Context<'a>,
    input: &'c PageInput<'c>,
    lines: LineIndex,
    out: Rendered,
    used_ids: HashMap<String, usize>,
    /// The line of each heading's id.
    heading_lines: HashMap<String, usize>,
    linked_terms: HashSet<usize>,
    footnotes: HashMap<String, usize>,
    /// Footnote name → the unique part of its ids (`fn-<id>`, `fnref-<id>`).
    footnote_ids: HashMap<String, String>,
    /// Footnotes whose definition, and whose first reference, have been written (ids are unique).
    footnotes_defined: HashSet<String>,
    footnotes_referenced: HashSet<String>,
    /// Whether a `<picture>` was written yet (the first is not lazy-loaded).
    picture_written: bool,
}

impl<'a, 'c> Renderer<'a, 'c> {
    fn line(&self, offset: usize) -> usize {
        self.lines.line_col(offset).0 + self.input.body_line - 1
    }

    fn problem(&mut self, offset: usize, message: String, help: Option<String>, broken_link: bool) {
        let line = self.line(offset);
        self.out.problems.push(Problem {
            line,
            message,
            help,
            broken_link,
            warning: false,
        });
    }

    /// The id a heading gets. An id the layouts write themselves (`main`) or one another heading
    /// or a footnote already has is never given twice: an explicit `{#id}` that clashes is an
    /// error naming both, a generated one takes the next free suffix with a warning naming both.
    fn heading_id(&mut self, explicit: Option<&str>, title: &str, offset: usize) -> String {
        let base = match explicit {
            Some(id) => id.to_string(),
            None => slugify(title),
        };
        let line = self.line(offset);
        let taken_by = if let Some(layout) = self.ctx.layout_ids.get(&base) {
            Some(format!("{layout} uses it"))
        } else if let Some(&l) = self.heading_lines.get(&base) {
            Some(format!("the heading on line {l} has it"))
        } else if self.used_ids.contains_key(&base) && base.starts_with("fn") {
            Some("a footnote has it".to_string())
        } else {
            None
        };
        let id = self.unique_id(&base);
        self.heading_lines.insert(id.clone(), line);
        if let Some(who) = taken_by {
            if explicit.is_some() {
                self.problem(
                    offset,
                    format!("heading id `#{base}` is taken: {who}"),
                    Some("choose another `{#id}`; ids on a page must be unique".into()),
                    false,
                );
            } else if self.ctx.layout_ids.contains_key(&base) {
                self.out.problems.push(Problem {
                    line,
                    message: format!("heading `{title}` gets the id `#{id}`, not `#{base}`: {who}"),
                    help: Some(
                        "give the heading an id of its own with `{#id}` after its text".into(),
                    ),
                    broken_link: false,
                    warning: true,
                });
            }
        }
        id
    }

    /// `base`, or `base-1`, `base-2` … whichever no element of the page has yet (an explicit
    /// `{#trade-1}` before a second "Trade" included). `used_ids` maps each id taken to the last
    /// suffix tried for it as a base.
    fn unique_id(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "section" } else { base };
        let Some(&last) = self.used_ids.get(base) else {
            self.used_ids.insert(base.to_string(), 0);
            return base.to_string();
        };
        let mut k = last;
        loop {
            k += 1;
            let id = format!("{base}-{k}");
            if !self.used_ids.contains_key(&id) {
                self.used_ids.insert(base.to_string(), k);
                self.used_ids.insert(id.clone(), 0);
                return id;
            }
        }
    }

    fn footnote_number(&mut self, name: &str) -> usize {
        let next = self.footnotes.len() + 1;
        *self.footnotes.entry(name.to_string()).or_insert(next)
    }

    /// Rewrites a link destination; records anchors to check once every page is rendered.
    fn rewrite_link(&mut self, dest: &str, offset: usize, is_image: bool) -> String {
        if let Some(scheme) = script_scheme(dest, is_image) {
            if self.ctx.script_urls == crate::config::ScriptUrlPolicy::Allow {
                return dest.to_string();
            }
            let what = if is_image {
                "an image from"
            } else {
                "a link to"
            };
            self.problem(
                offset,
                format!("{what} a `{scheme}:` URL runs script in the reader's browser"),
                Some("link to an http(s) page instead; a site whose contributors are all trusted with script can set `script_urls: allow` in site.yaml".into()),
                false,
            );
            return "#".to_string();
        }
        if dest.is_empty() || is_external(dest) {
            return dest.to_string();
        }
        let (before_anchor, anchor) = match dest.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (dest, None),
        };
        // The query is cut off before decoding, so a file named `what?.md` can be linked as `what%3F.md`.
        let (path_part, query) = match before_anchor.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_anchor, None),
        };
        let line = self.line(offset);
        if path_part.is_empty() {
            if let (Some(a), None) = (anchor, query) {
                self.out.anchor_links.push(AnchorLink {
                    target: None,
                    anchor: crate::text::percent_decode(a),
                    line,
                });
            }
            return dest.to_string();
        }
        let suffix = |url: String| {
            let mut url = url;
            if let Some(q) = query {
                url.push('?');
                url.push_str(q);
            }
            if let Some(a) = anchor {
                url.push('#');
                url.push_str(a);
            }
            url
        };
        let decoded = crate::text::percent_decode(path_part);
        let (content_path, from_root) = if let Some(rest) = decoded.strip_prefix("@/") {
            (join_relative("", rest), true)
        } else if decoded.starts_with('/') {
            // A site-absolute path: it lives under the base path once published.
            return suffix(format!(
                "{}{}",
                self.ctx.files_base_path,
                path_part.trim_start_matches('/')
            ));
        } else {
            (join_relative(self.input.dir, &decoded), false)
        };
        let Some(content_path) = content_path else {
            self.problem(
                offset,
                format!("link `{dest}` points outside content/"),
                Some("link to a file inside content/".into()),
                true,
            );
            return dest.to_string();
        };
        if content_path.ends_with(".md") || from_root {
            match self.ctx.pages.get(&content_path) {
                Some(url_path) => {
                    if let Some(a) = anchor {
                        self.out.anchor_links.push(AnchorLink {
                            target: Some(content_path.clone()),
                            anchor: crate::text::percent_decode(a),
                            line,
                        });
                    }
                    suffix(url_path.clone())
                }
                None => {
                    let help = crate::text::did_you_mean_path(&content_path, self.ctx.pages.keys().map(String::as_str))
                        .map(|b| format!("did you mean `{b}`?"))
                        .unwrap_or_else(|| "link to an existing .md file, relative to this one or as @/path/from/content.md".into());
                    self.problem(
                        offset,
                        format!("broken link: `{dest}` does not match any page"),
                        Some(help),
                        true,
                    );
                    dest.to_string()
                }
            }
        } else {
            // A relative file (an image next to the page): resolve it against the source folder.
            if !self.ctx.files.contains(&content_path) {
                let what = if is_image { "image" } else { "file" };
                self.problem(offset, format!("broken link: {what} `{dest}` not found (looked for content/{content_path})"), None, true);
            }
            // The file keeps its name in the output: characters with a meaning in URLs are escaped.
            suffix(format!(
                "{}{}",
                self.ctx.files_base_path,
                encode_path(&content_path)
            ))
        }
    }

    /// The site path of an image that is resized, with its header, or None to show it as written.
    fn responsive_image(
        &mut self,
        dest: &str,
        offset: usize,
    ) -> Option<(String, crate::images::Info)> {
        if dest.is_empty() || is_external(dest) || script_scheme(dest, true).is_some() {
            return None;
        }
        let path = dest.split(['#', '?']).next().unwrap_or_default();
        let decoded = crate::text::percent_decode(path);
        let site_path = match decoded.strip_prefix('/') {
            // A site-absolute path names an output file: an image under assets/ or content/.
            Some(rest) => join_relative("", rest)?,
            None => join_relative(self.input.dir, &decoded)?,
        };
        match self.ctx.images.probe(&site_path)? {
            Ok(info) => Some((site_path, info)),
            Err(why) => {
                self.problem(
                    offset,
                    format!("image `{dest}` cannot be used: {why}"),
                    Some(
                        "replace it with a JPEG, PNG or WebP that opens in an image viewer".into(),
                    ),
                    false,
                );
                None
            }
        }
    }

    /// Splits text on `[@id]` citations and glossary terms, emitting HTML for each piece.
    fn text(
        &mut self,
        text: &str,
        offset: usize,
        events: &mut Vec<Event<'static>>,
        link_terms: bool,
    ) {
        let mut rest = text;
        while let Some(start) = rest.find("[@") {
            // A citation holds only ids, separators and spaces: the search for its `]` stops at
            // any other character, so a line of a million `[@` is read once, not once per `[@`.
            let after = &rest[start + 2..];
            let stop = after
                .find(|c: char| !(c.is_alphanumeric() || "-_;,@ \t".contains(c)))
                .filter(|&i| after.as_bytes()[i] == b']');
            let Some(inner_len) = stop else {
                self.plain(&rest[..start + 2], events, link_terms);
                rest = after;
                continue;
            };
            let len = inner_len + 2;
            let inner = &rest[start + 2..start + len];
            let ids: Vec<&str> = inner
                .split([';', ','])
                .map(|s| s.trim().trim_start_matches('@'))
                .collect();
            let valid = !ids.is_empty()
                && ids.iter().all(|id| {
                    !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
                });
            if !valid {
                self.plain(&rest[..start + 2], events, link_terms);
                rest = &rest[start + 2..];
                continue;
            }
            // Keep a citation on the line of the word it supports: a phone must not wrap `[n]` alone.
            let before = &rest[..start];
            let trimmed = before.trim_end_matches(' ');
            self.plain(trimmed, events, link_terms);
            let mut html = String::new();
            if trimmed.len() < before.len() {
                html.push('\u{a0}');
                self.out.text.push(' ');
            }
            for id in ids {
                if !self.ctx.sources.contains(id) {
                    if self.ctx.sources.failed {
                        continue;
                    }
                    let help = crate::text::did_you_mean(id, self.ctx.sources.ids())
                        .map(|b| format!("did you mean `{b}`?"))
                        .unwrap_or_else(|| {
                            format!("add `{id}` to {}", self.ctx.sources.file.display())
                        });
                    self.problem(
                        offset,
                        format!("citation [@{id}] names an unknown source"),
                        Some(help),
                        false,
                    );
                    continue;
                }
                let n = match self.out.citations.iter().position(|c| c == id) {
                    Some(i) => i + 1,
                    None => {
                        self.out.citations.push(id.to_string());
                        self.out.citations.len()
                    }
                };
                html.push_str(&format!(
                    "<sup class=\"cite\"><a href=\"#src-{id}\">[{n}]</a></sup>"
                ));
            }
            events.push(Event::InlineHtml(html.into()));
            rest = &rest[start + len + 1..];
        }
        self.plain(rest, events, link_terms);
    }

    /// Emits text, linking the first mention on the page of each glossary term.
    fn plain(&mut self, text: &str, events: &mut Vec<Event<'static>>, link_terms: bool) {
        if text.is_empty() {
            return;
        }
        self.out.text.push_str(text);
        let matcher = match (&self.ctx.glossary.matcher, link_terms) {
            (Some(m), true) => m,
            _ => {
                events.push(Event::Text(text.to_string().into()));
                return;
            }
        };
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let mut last = 0;
        for m in matcher.find_iter(text) {
            let term_index = self.ctx.glossary.pattern_term[m.pattern().as_usize()];
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if is_word(before) || is_word(after) || self.linked_terms.contains(&term_index) {
                continue;
            }
            self.linked_terms.insert(term_index);
            self.out.terms.push(term_index);
            let term = &self.ctx.terms.items[term_index];
            if m.start() > last {
                events.push(Event::Text(text[last..m.start()].to_string().into()));
            }
            let mut title = String::new();
            if let Some(exp) = &term.expansion {
                title.push_str(exp);
                title.push_str(": ");
            }
            title.push_str(&term.definition);
            let mut html = format!("<a class=\"gloss\" href=\"{}glossary/#", self.ctx.base_path);
            let _ = escape_href(&mut html, &term.id);
            html.push_str("\"><abbr title=\"");
            let _ = escape_html(&mut html, &title);
            html.push_str("\">");
            let _ = escape_html(&mut html, &text[m.start()..m.end()]);
            html.push_str("</abbr></a>");
            events.push(Event::InlineHtml(html.into()));
            last = m.end();
        }
        if last < text.len() {
            events.push(Event::Text(text[last..].to_string().into()));
        }
    }
}

/// Adjacent text events being merged: the first as the parser gave it, then one owned buffer.
enum TextRun<'a> {
    One(CowStr<'a>),
    Many(String),
}

impl<'a> TextRun<'a> {
    fn push(&mut self, more: &str) {
        match self {
            TextRun::One(first) => {
                let mut s = String::with_capacity(first.len() + more.len());
                s.push_str(first);
                s.push_str(more);
                *self = TextRun::Many(s);
            }
            TextRun::Many(s) => s.push_str(more),
        }
    }

    fn into_cow(self) -> CowStr<'a> {
        match self {
            TextRun::One(t) => t,
            TextRun::Many(s) => s.into(),
        }
    }
}

/// How many elements Markdown may open inside each other.
pub const MAX_NESTING: usize = 100;

/// Renders a page body.
pub fn render(ctx: &Context<'_>, input: &PageInput<'_>) -> Rendered {
    let mut r = Renderer {
        ctx,
        input,
        lines: LineIndex::new(input.body),
        out: Rendered::default(),
        used_ids: ctx.layout_ids.keys().map(|k| (k.clone(), 0)).collect(),
        heading_lines: HashMap::new(),
        linked_terms: HashSet::new(),
        footnotes: HashMap::new(),
        footnote_ids: HashMap::new(),
        footnotes_defined: HashSet::new(),
        footnotes_referenced: HashSet::new(),
        picture_written: false,
    };
    // Merge adjacent text events first: the parser splits `[@s1]` and glossary terms across them.
    // A run of text events is gathered in one growing buffer: copying the merged string at every
    // event made a line of a million `[a](` quadratic.
    let mut raw: Vec<(Event<'_>, std::ops::Range<usize>)> = Vec::new();
    let mut run: Option<(TextRun<'_>, std::ops::Range<usize>)> = None;
    for (ev, range) in Parser::new_ext(input.body, options()).into_offset_iter() {
        if let Event::Text(t) = ev {
            match &mut run {
                Some((text, r)) => {
                    text.push(&t);
                    r.end = range.end;
                }
                None => run = Some((TextRun::One(t), range)),
            }
            continue;
        }
        if let Some((text, r)) = run.take() {
            raw.push((Event::Text(text.into_cow()), r));
        }
        raw.push((ev, range));
    }
    if let Some((text, r)) = run.take() {
        raw.push((Event::Text(text.into_cow()), r));
    }

    // Footnote ids first, so that a heading written "fn 1" cannot take footnote 1's id, and two
    // names with one slug ("x y", "x-y") get two ids.
    let mut footnote_slugs: HashSet<String> = HashSet::new();
    for (ev, _) in &raw {
        let name = match ev {
            Event::FootnoteReference(n) | Event::Start(Tag::FootnoteDefinition(n)) => n,
            _ => continue,
        };
        if r.footnote_ids.contains_key(name.as_ref()) {
            continue;
        }
        let base = match slugify(name) {
            s if s.is_empty() => "note".to_string(),
            s => s,
        };
        let mut id = base.clone();
        let mut k = 1;
        while !footnote_slugs.insert(id.clone()) {
            id = format!("{base}-{k}");
            k += 1;
        }
        r.used_ids.insert(format!("fn-{id}"), 0);
        r.used_ids.insert(format!("fnref-{id}"), 0);
        r.footnote_ids.insert(name.to_string(), id);
    }

    let mut events: Vec<Event<'static>> = Vec::with_capacity(raw.len());
    let mut flat_toc: Vec<(u8, String, String)> = Vec::new();
    // While inside a heading: its start index in `events` and its text so far.
    let mut heading: Option<(usize, String)> = None;
    let mut heading_offset = 0usize;
    let mut link_depth = 0usize;
    // Links, headings and code opened in raw HTML (`<a href=…>the FTA</a>`): no glossary link
    // may go inside them. An unclosed raw `<a>` stays open for the rest of the page, as browsers
    // reopen it in every later block.
    let mut raw_blocking = 0usize;
    let mut code_depth = 0usize;
    let mut image_depth = 0usize;
    // Each open image: where its events start, and what its `<picture>` needs if it gets one.
    let mut open_images: Vec<(usize, usize, Option<PendingPicture>)> = Vec::new();

    // Open elements: 10,000 nested quotes are valid CommonMark, but the HTML would overflow the
    // stack of any recursive HTML tool downstream (the minifier, browsers cap it at 512).
    let mut depth = 0usize;
    let mut too_deep = false;
    for (ev, range) in raw {
        match &ev {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_NESTING && !too_deep {
                    too_deep = true;
                    r.problem(
                        range.start,
                        format!("lists, block quotes or emphasis are nested more than {MAX_NESTING} levels deep here"),
                        Some("flatten the nesting; no reader can follow it".into()),
                        false,
                    );
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match ev {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                heading = Some((events.len(), String::new()));
                heading_offset = range.start;
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: id.map(|s| s.into_static()),
                    classes: classes.into_iter().map(|c| c.into_static()).collect(),
                    attrs: attrs
                        .into_iter()
                        .map(|(k, v)| (k.into_static(), v.map(|v| v.into_static())))
                        .collect(),
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some((start, title)) = heading.take() {
                    let title = title.trim().to_string();
                    let explicit = match &events[start] {
                        Event::Start(Tag::Heading { id, .. }) => id.as_deref().map(str::to_string),
                        _ => None,
                    };
                    let unique = r.heading_id(explicit.as_deref(), &title, heading_offset);
                    r.out.anchors.insert(unique.clone());
                    flat_toc.push((heading_level(level), unique.clone(), title));
                    if let Event::Start(Tag::Heading { id, .. }) = &mut events[start] {
                        *id = Some(unique.into());
                    }
                }
                r.out.text.push(' ');
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                link_depth += 1;
                let dest = if matches!(link_type, LinkType::Email) {
                    dest_url.to_string()
                } else {
                    r.rewrite_link(&dest_url, range.start, false)
                };
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest.into(),
                    title: title.into_static(),
                    id: id.into_static(),
                }));
            }
            Event::End(TagEnd::Link) => {
                link_depth = link_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                image_depth += 1;
                let dest = r.rewrite_link(&dest_url, range.start, true);
                let picture =
                    r.responsive_image(&dest_url, range.start)
                        .map(|(site_path, info)| PendingPicture {
                            site_path,
                            info,
                            title: title.to_string(),
                        });
                open_images.push((events.len(), range.start, picture));
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest.into(),
                    title: title.into_static(),
                    id: id.into_static(),
                }));
            }
            Event::End(TagEnd::Image) => {
                image_depth = image_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::Image));
                if let Some((start, offset, picture)) = open_images.pop() {
                    let mut alt = String::new();
                    for ev in events.get(start..).unwrap_or_default() {
                        match ev {
                            Event::Text(t) | Event::Code(t) => alt.push_str(t),
                            Event::SoftBreak | Event::HardBreak => alt.push(' '),
                            _ => {}
                        }
                    }
                    if alt.trim().is_empty() {
                        let line = r.line(offset);
                        r.out.problems.push(Problem {
                            line,
                            message: "image has no alt text".into(),
                            help: Some("say what the image shows between the brackets, `![what it shows](photo.jpg)`: screen readers read it out, and it is shown when the image is not".into()),
                            broken_link: false,
                            warning: true,
                        });
                    }
                    if let Some(p) = picture {
                        events.truncate(start);
                        let mut alt_attr = String::new();
                        let _ = escape_html(&mut alt_attr, alt.trim());
                        let mut title_attr = String::new();
                        let _ = escape_html(&mut title_attr, &p.title);
                        // Variants are written once at the root, for every edition.
                        let base = r.ctx.files_base_path;
                        let url = |path: &str| format!("{base}{}", encode_path(path));
                        let html = crate::images::picture_html(&crate::images::Shown {
                            url: &url,
                            site_path: &p.site_path,
                            info: p.info,
                            alt: &alt_attr,
                            title: &title_attr,
                            first: !r.picture_written,
                        });
                        r.picture_written = true;
                        if !r.out.images.contains(&p.site_path) {
                            r.out.images.push(p.site_path);
                        }
                        events.push(Event::InlineHtml(html.into()));
                    }
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                code_depth += 1;
                events.push(Event::Start(Tag::CodeBlock(kind.into_static())));
            }
            Event::End(TagEnd::CodeBlock) => {
                code_depth = code_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::CodeBlock));
            }
            Event::Text(t) => {
                if let Some((_, title)) = heading.as_mut() {
                    title.push_str(&t);
                }
                if code_depth > 0 || image_depth > 0 {
                    r.out.text.push_str(&t);
                    events.push(Event::Text(t.into_static()));
                } else {
                    let link_terms = heading.is_none() && link_depth == 0 && raw_blocking == 0;
                    r.text(&t, range.start, &mut events, link_terms);
                }
            }
            Event::Html(ref h) | Event::InlineHtml(ref h) => {
                raw_blocking = raw_blocking_after(raw_blocking, h);
                events.push(ev.into_static());
            }
            Event::Code(t) => {
                if let Some((_, title)) = heading.as_mut() {
                    title.push_str(&t);
                }
                r.out.text.push_str(&t);
                events.push(Event::Code(t.into_static()));
            }
            Event::FootnoteReference(name) => {
                let n = r.footnote_number(&name);
                let id = r
                    .footnote_ids
                    .get(name.as_ref())
                    .cloned()
                    .unwrap_or_default();
                let mut html = String::new();
                // Only the first reference carries the id the definition links back to.
                if r.footnotes_referenced.insert(name.to_string()) {
                    html.push_str(&format!("<sup class=\"footnote-ref\"><a href=\"#fn-{id}\" id=\"fnref-{id}\">{n}</a></sup>"));
                } else {
                    html.push_str(&format!(
                        "<sup class=\"footnote-ref\"><a href=\"#fn-{id}\">{n}</a></sup>"
                    ));
                }
                events.push(Event::InlineHtml(html.into()));
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let n = r.footnote_number(&name);
                let id = r
                    .footnote_ids
                    .get(name.as_ref())
                    .cloned()
                    .unwrap_or_default();
                if r.footnotes_defined.insert(name.to_string()) {
                    r.out.anchors.insert(format!("fn-{id}"));
                    events.push(Event::Html(format!("<div class=\"footnote\" id=\"fn-{id}\"><sup class=\"footnote-label\"><a href=\"#fnref-{id}\">{n}</a></sup>").into()));
                } else {
                    r.problem(
                        range.start,
                        format!("footnote `[^{name}]` is defined twice"),
                        Some("give each footnote its own name".into()),
                        false,
                    );
                    events.push(Event::Html(
                        format!("<div class=\"footnote\"><sup class=\"footnote-label\">{n}</sup>")
                            .into(),
                    ));
                }
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                events.push(Event::Html("</div>\n".into()));
            }
            Event::SoftBreak | Event::HardBreak => {
                r.out.text.push(' ');
                events.push(ev.into_static());
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Item) => {
                r.out.text.push(' ');
                events.push(ev.into_static());
            }
            other => events.push(other.into_static()),
        }
    }

    if input.write_html {
        let mut html = String::with_capacity(input.body.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        // Every page's HTML stays in memory until the page is rendered: drop the growth slack
        // (a third of the buffer on average).
        html.shrink_to_fit();
        r.out.html = html;
    }
    // Kept without the HTML too: the search index weighs headings.
    r.out.toc = nest_toc(flat_toc);
    r.out.word_count = r.out.text.split_whitespace().count();
    // Only the opening words are used (search index, feed summaries); a large site keeps no more.
    r.out.text = r
        .out
        .text
        .split_whitespace()
        .take(OPENING_WORDS)
        .collect::<Vec<_>>()
        .join(" ");
    r.out
}

/// An image being read that is shown as a `<picture>` once its alt text is known.
struct PendingPicture {
    site_path: String,
    info: crate::images::Info,
    title: String,
}

/// The count of open raw-HTML elements that must not contain a glossary link (`a`, headings,
/// `code`, `pre`), after the tags in one raw HTML fragment.
fn raw_blocking_after(mut open: usize, html: &str) -> usize {
    const BLOCKING: [&str; 9] = ["a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre"];
    for (i, _) in html.match_indices('<') {
        let rest = &html[i + 1..];
        let (closing, rest) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if BLOCKING.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            open = if closing {
                open.saturating_sub(1)
            } else {
                open + 1
            };
        }
    }
    open
}

fn heading_level(level: HeadingLevel) -> u8 {
    level as u8
}

/// Turns headings in document order into a tree: each heading holds the deeper ones after it.
fn nest_toc(flat: Vec<(u8, String, String)>) -> Vec<TocEntry> {
    fn insert(list: &mut Vec<TocEntry>, entry: TocEntry) {
        match list.last_mut() {
            Some(last) if last.level < entry.level => insert(&mut last.children, entry),
            _ => list.push(entry),
        }
    }
    let mut toc = Vec::new();
    for (level, id, title) in flat {
        insert(
            &mut toc,
            TocEntry {
                level,
                id,
                title,
                children: Vec::new(),
            },
        );
    }
    toc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_md(body: &str) -> Rendered {
        let mut pages = HashMap::new();
        pages.insert(
            "topics/trade.md".to_string(),
            "/b/topics/trade/".to_string(),
        );
        let files = HashSet::new();
        let sources = Registry::default();
        let terms = Registry::default();
        let glossary = Glossary::new(&terms);
        let layout_ids: HashMap<String, String> =
            [("main".to_string(), "layouts/base.html".to_string())].into();
        let ctx = Context {
            base_path: "/b/",
            files_base_path: "/b/",
            pages: &pages,
            files: &files,
            sources: &sources,
            terms: &terms,
            glossary: &glossary,
            script_urls: crate::config::ScriptUrlPolicy::Error,
            layout_ids: &layout_ids,
            images: &crate::images::Catalog::new(std::iter::empty()),
        };
        render(
            &ctx,
            &PageInput {
                body,
                body_line: 5,
                dir: "topics",
                link_glossary: true,
                write_html: true,
            },
        )
    }

    #[test]
    fn heading_ids_are_unique_and_nested() {
        let r = render_md("## Trade\n\n### Oil\n\n## Trade\n");
        assert!(r.html.contains("<h2 id=\"trade\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"trade-1\">"), "{}", r.html);
        assert_eq!(r.toc.len(), 2);
        assert_eq!(r.toc[0].children[0].id, "oil");
    }

    #[test]
    fn links_are_rewritten_and_checked() {
        let r = render_md("[a](trade.md#x) [b](@/topics/trade.md) [c](missing.md)\n");
        assert!(r.html.contains("href=\"/b/topics/trade/#x\""), "{}", r.html);
        assert!(r.html.contains("href=\"/b/topics/trade/\""), "{}", r.html);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].line, 5);
        assert_eq!(r.anchor_links[0].anchor, "x");
    }

    #[test]
    fn script_schemes_are_read_as_browsers_read_them() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            " \u{1}javascript:x",
            "java\tscript:x",
            "java\nscript:x",
            "vbscript:x",
            "data:text/html,x",
        ] {
            assert!(script_scheme(url, false).is_some(), "{url:?}");
        }
        assert_eq!(script_scheme("data:image/png;base64,AA", true), None);
        assert_eq!(
            script_scheme("data:image/png;base64,AA", false),
            Some("data")
        );
        assert_eq!(script_scheme("data:text/html,x", true), Some("data"));
        for url in [
            "https://example.org/javascript:x",
            "javascript.md",
            "page.md#javascript:x",
            "java script:x",
        ] {
            assert_eq!(script_scheme(url, false), None, "{url:?}");
        }
        let r = render_md("[x](&#106;avascript:alert(1)) [ok](trade.md)\n");
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(!r.html.contains("javascript"), "{}", r.html);
    }

    #[test]
    fn long_runs_of_text_events_render_as_written() {
        let line = "[a](".repeat(50_000);
        let r = render_md(&line);
        assert!(r.problems.is_empty(), "{:?}", &r.problems[..1]);
        assert_eq!(r.html.matches("[a](").count(), 50_000);
        let r = render_md(&format!("{}]", "[@a, ".repeat(20_000)));
        assert_eq!(r.html.matches("[@a,").count(), 20_000);
        assert!(r.citations.is_empty());
    }

    #[test]
    fn escapes_are_refused() {
        let r = render_md("x\n\n[a](../../outside.md)\n");
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].line, 7);
        assert!(r.problems[0].message.contains("outside"));
    }
}
