//! Templates: loading `layouts/` (over the built-in theme, see [`crate::theme`]) into Tera once, the functions and filters bilat gives templates,
//! rendering one page's context (the result is minified by [`crate::minify`]). The tables of UI
//! strings behind `t()` are read and looked up in [`i18n`].

pub mod i18n;

use crate::config::Theme;
use crate::error::{Diagnostic, Diagnostics};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use tera::{Context, ErrorKind, Kwargs, State, Tera, TeraResult, Value};

pub use crate::content::LAYOUTS_DIR;

/// The compiled layouts of a site.
pub struct Templates {
    pub tera: Tera,
    /// Which of the site-wide `explainer` lists each template reads (directly or through a parent
    /// or include), so an incremental rebuild knows whether a list change reaches it.
    pub lists_read: HashMap<String, ListsRead>,
    /// The templates that read `paginator` (directly or through a parent or include).
    paginated: HashSet<String>,
    /// The text of each template, to put a line on errors that Tera reports without one.
    pub sources: HashMap<String, String>,
    /// The same, shared with the render watchdog, which places a runaway render on a line.
    texts: HashMap<String, std::sync::Arc<str>>,
    /// The UI strings `t()` looks up (built-in tables with the site's over them).
    pub strings: std::sync::Arc<i18n::Strings>,
}

/// The site-wide lists a template reads: `explainer.timeline`, `explainer.sources` …
#[derive(Debug, Clone, PartialEq)]
pub enum ListsRead {
    /// The named lists (none at all if empty).
    Some(HashSet<String>),
    /// The whole `explainer` object (passed on as one value), or it could not be told.
    All,
}

impl ListsRead {
    /// The lists template `name` reads. Tera tells whether it reaches `explainer` at all (through
    /// parents and includes) but not which lists, so the tags of the template, and of every
    /// template named in them (what it extends or includes), are searched for `explainer.<list>`.
    fn of(name: &str, tera: &Tera, sources: &[(String, String)]) -> ListsRead {
        match tera.get_template_variables(name) {
            Ok(vars) if !vars.contains("explainer") => return ListsRead::Some(HashSet::new()),
            Ok(_) => {}
            Err(_) => return ListsRead::All,
        }
        let text_of = |t: &str| {
            sources
                .iter()
                .find(|(n, _)| n == t)
                .map(|(_, s)| s.as_str())
        };
        let mut read = HashSet::new();
        let mut todo = vec![name.to_string()];
        let mut seen = HashSet::new();
        while let Some(t) = todo.pop() {
            if !seen.insert(t.clone()) {
                continue;
            }
            let Some(text) = text_of(&t) else {
                return ListsRead::All;
            };
            for code in tag_contents(text) {
                todo.extend(
                    code.split(['"', '\''])
                        .skip(1)
                        .step_by(2)
                        .filter(|lit| text_of(lit).is_some())
                        .map(str::to_string),
                );
                let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
                for (at, _) in code.match_indices("explainer") {
                    let before = code[..at].chars().next_back();
                    let after = &code[at + "explainer".len()..];
                    if before.is_some_and(|c| is_ident(c) || c == '.')
                        || after.starts_with(is_ident)
                    {
                        continue;
                    }
                    let list: String = after
                        .strip_prefix('.')
                        .map(|rest| rest.chars().take_while(|&c| is_ident(c)).collect())
                        .unwrap_or_default();
                    if list.is_empty() {
                        return ListsRead::All;
                    }
                    read.insert(list);
                }
            }
        }
        if read.is_empty() {
            // Tera saw `explainer` where this search did not: assume the worst.
            return ListsRead::All;
        }
        ListsRead::Some(read)
    }
}

/// The code inside each `{{ … }}` and `{% … %}` of a template.
fn tag_contents(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        let open = rest.find(['{'])?;
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        let end = inner.find(close).unwrap_or(inner.len());
        rest = &inner[(end + close.len()).min(inner.len())..];
        return Some(&inner[..end]);
    })
}

/// The most one page's template may write: past it, a loop is running away.
pub const MAX_PAGE_BYTES: usize = 512 << 20;

struct CappedWriter {
    buf: Vec<u8>,
    over: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + bytes.len() > MAX_PAGE_BYTES {
            self.over = true;
            return Err(std::io::Error::other("page too large"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The 1-based line of the statement a message is about: the `include`/`extends` of the next
/// template in a chain (`a.html → b.html`), or a component call when components recursed.
fn statement_line(text: &str, message: &str, name: &str) -> Option<usize> {
    let find = |pred: &dyn Fn(&str) -> bool| text.lines().position(pred).map(|i| i + 1);
    if message.contains("includes itself") || message.contains("extends itself") {
        let keyword = if message.contains("includes") {
            "include"
        } else {
            "extends"
        };
        // "a.html → b.html → c.html → b.html": the statement in `name` names the template after
        // it in the chain (not the chain's second: the loop may start further down).
        let chain: Vec<&str> = message
            .rsplit(": ")
            .next()?
            .split(" → ")
            .map(str::trim)
            .collect();
        let at = chain.iter().position(|t| *t == name).unwrap_or(0);
        let next = chain.get(at + 1).or(chain.first())?;
        return find(&|l: &str| l.contains(keyword) && l.contains(next));
    }
    if message.contains("recursion depth for components") {
        return find(&|l: &str| l.contains("{% component") || l.contains("{%- component"));
    }
    None
}

/// What the template helpers need from the site.
pub struct Helpers {
    /// The edition's base path: `url(path=…)` links into the edition.
    pub base_path: String,
    /// Where assets are (the same for every edition: the default edition's base path).
    pub asset_base_path: String,
    /// Paths of topics the edition has no translation of: `url()` links them where the default
    /// edition has them, under `asset_base_path` (see `Site::url`).
    pub elsewhere: std::sync::Arc<std::collections::HashSet<String>>,
    pub base_url: String,
    /// Asset path (relative to the output root) → short content hash.
    pub asset_hashes: HashMap<String, String>,
    /// The BCP 47 tag whose formats the `date` and `number` filters use (`site.yaml`'s `language`).
    pub language: String,
}

fn shown(name: &str) -> PathBuf {
    Path::new(LAYOUTS_DIR).join(name)
}

/// Turns a Tera error into a diagnostic pointing at the template file and line.
pub fn tera_diagnostic(err: &tera::Error, fallback_template: &str) -> Diagnostic {
    match err.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let name = if r.filename().is_empty() {
                fallback_template
            } else {
                r.filename()
            };
            let span = r.span();
            Diagnostic::error(
                shown(name),
                Some(span.start_line.max(1)),
                format!("template: {}", r.message()),
            )
            .with_col(Some(span.start_col + 1))
        }
        ErrorKind::CircularExtend {
            tpl,
            inheritance_chain,
        } => Diagnostic::error(
            shown(tpl),
            None,
            format!("template extends itself: {}", inheritance_chain.join(" → ")),
        ),
        ErrorKind::CircularInclude { tpl, include_chain } => Diagnostic::error(
            shown(tpl),
            None,
            format!("template includes itself: {}", include_chain.join(" → ")),
        ),
        ErrorKind::MissingParent { current, parent } => Diagnostic::error(
            shown(current),
            None,
            format!("template extends `{parent}`, which is neither in layouts/ nor built in"),
        ),
        ErrorKind::TemplateNotFound(name) => Diagnostic::error(
            shown(fallback_template),
            None,
            format!("template `{name}` not found in layouts/ nor among the built-in layouts"),
        ),
        _ => {
            let mut msg = err.to_string();
            let mut src = std::error::Error::source(err);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            // Some errors (an unknown template in an `include`) carry their place only in the
            // text, as ` --> base.html:8:12` above a snippet: that is the file and line, not the
            // template being rendered when it surfaced.
            if let Some((head, place)) = msg.split_once("\n --> ") {
                let place = place.lines().next().unwrap_or_default();
                let mut parts = place.rsplitn(3, ':');
                let col = parts.next().and_then(|c| c.trim().parse::<usize>().ok());
                let line = parts.next().and_then(|l| l.trim().parse::<usize>().ok());
                if let (Some(col), Some(line), Some(file)) = (col, line, parts.next()) {
                    let head = head
                        .trim()
                        .trim_start_matches("error: ")
                        .replace("error: ", "");
                    return Diagnostic::error(shown(file), Some(line), format!("template: {head}"))
                        .with_col(Some(col));
                }
            }
            Diagnostic::error(shown(fallback_template), None, format!("template: {msg}"))
        }
    }
}

/// The templates of a site: every file under its `layouts/`, named by its path (`page.html`,
/// `partials/x.html`), and, with the built-in theme, every built-in layout it does not override.
pub fn layout_sources(root: &Path, theme: Theme, diags: &mut Diagnostics) -> Vec<(String, String)> {
    let dir = root.join(LAYOUTS_DIR);
    match theme {
        Theme::Builtin => crate::theme::with_builtin_layouts(read_layouts(&dir, diags)),
        Theme::None if !dir.is_dir() => {
            diags.push(Diagnostic::error(LAYOUTS_DIR, None, "layouts/ folder not found")
                .with_help("site.yaml says `theme: none`, so the site's layouts/ must hold all of its templates; remove that line to use the built-in theme"));
            Vec::new()
        }
        Theme::None => read_layouts(&dir, diags),
    }
}

/// Reads every file under `layouts/` as a template named by its path (`page.html`, `partials/x.html`).
fn read_layouts(dir: &Path, diags: &mut Diagnostics) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        // A site without layouts/ of its own uses the built-in ones alone.
        return out;
    }
    let bounds = crate::bounds::Bounds::new(dir.parent().unwrap_or(dir));
    // Links are followed only inside the site; the walk does not enter one that leads out.
    let mut escapes = Vec::new();
    let walker = bounds.walk(dir, &mut escapes, |_| true);
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::error(
                    e.path().unwrap_or(dir).to_path_buf(),
                    None,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if !entry.file_type().is_file() || crate::content::is_ignored_name(&name) {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if crate::theme::is_strings_table(&rel) {
            // UI strings, read by `i18n::Strings::load`.
            continue;
        }
        match std::fs::read(entry.path()).map(|bytes| crate::text::decode_text(&shown(&rel), bytes))
        {
            Ok(Ok(text)) => out.push((rel, text)),
            Ok(Err(d)) => diags.push(d),
            Err(e) => diags.push(Diagnostic::error(
                shown(&rel),
                None,
                format!("cannot read: {e}"),
            )),
        }
    }
    diags.extend(escapes);
    out
}

impl Templates {
    /// Compiles every layout once; reports every template with a syntax error.
    pub fn load(
        root: &Path,
        theme: Theme,
        helpers: Helpers,
        diags: &mut Diagnostics,
    ) -> Option<Templates> {
        let sources = layout_sources(root, theme, diags);
        let strings = i18n::Strings::load(root, diags);
        Templates::from_sources_with(&sources, helpers, strings, diags)
    }

    /// Compiles the given templates with the built-in UI strings.
    pub fn from_sources(
        sources: &[(String, String)],
        helpers: Helpers,
        diags: &mut Diagnostics,
    ) -> Option<Templates> {
        Templates::from_sources_with(sources, helpers, i18n::Strings::builtin(), diags)
    }

    pub fn from_sources_with(
        sources: &[(String, String)],
        helpers: Helpers,
        strings: i18n::Strings,
        diags: &mut Diagnostics,
    ) -> Option<Templates> {
        let strings = std::sync::Arc::new(strings);
        let mut tera = Tera::new();
        register_helpers(&mut tera, helpers, strings.clone());
        if let Err(err) =
            tera.add_raw_templates(sources.iter().map(|(n, c)| (n.as_str(), c.as_str())))
        {
            // Tera stops at the first bad template; parse each alone to report all syntax errors.
            let mut found = false;
            for (name, text) in sources {
                let mut one = Tera::new();
                if let Err(e) = one.add_raw_template(name, text) {
                    if matches!(e.kind(), ErrorKind::SyntaxError(_)) {
                        diags.push(tera_diagnostic(&e, name));
                        found = true;
                    }
                }
            }
            if !found {
                let d = tera_diagnostic(&err, sources.first().map_or("", |s| s.0.as_str()));
                diags.push(locate_in(d, |name| {
                    sources
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, t)| t.as_str())
                }));
            }
            return None;
        }
        let lists_read = sources
            .iter()
            .map(|(name, _)| (name.clone(), ListsRead::of(name, &tera, sources)))
            .collect();
        let paginated = sources
            .iter()
            .filter(|(name, _)| {
                tera.get_template_variables(name)
                    .is_ok_and(|vars| vars.contains("paginator"))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let texts = sources
            .iter()
            .map(|(n, t)| (n.clone(), std::sync::Arc::from(t.as_str())))
            .collect();
        let sources = sources.iter().cloned().collect();
        Some(Templates {
            tera,
            lists_read,
            paginated,
            sources,
            texts,
            strings,
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// Whether pages rendered with `template` are split into pages of a list (it reads `paginator`).
    pub fn paginates(&self, template: &str) -> bool {
        self.paginated.contains(template)
    }

    /// Whether `template` reads any of the `changed` site-wide lists (`None`: any may have).
    pub fn reads_lists(&self, template: &str, changed: Option<&HashSet<&str>>) -> bool {
        if changed.is_some_and(|c| c.is_empty()) {
            return false;
        }
        match self.lists_read.get(template).unwrap_or(&ListsRead::All) {
            ListsRead::All => true,
            ListsRead::Some(read) => match changed {
                None => !read.is_empty(),
                Some(c) => read.iter().any(|r| c.contains(r.as_str())),
            },
        }
    }

    /// Renders one template; errors name the template line.
    ///
    /// Tera bounds `range()` and component recursion, but not loops nested in loops or components
    /// that call themselves several times over: the output is capped, and [`watchdog`] reports a
    /// render that runs too long or eats memory.
    pub fn render(&self, name: &str, ctx: &Context) -> Result<String, Diagnostic> {
        let page = ctx
            .get("current_url")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _guard = watchdog::enter(name, self.texts.get(name).cloned(), &page);
        let mut out = CappedWriter {
            buf: Vec::with_capacity(16 * 1024),
            over: false,
        };
        match self.tera.render_to(name, ctx, &mut out) {
            Ok(()) => String::from_utf8(out.buf)
                .map_err(|_| Diagnostic::error(shown(name), None, "template: output is not UTF-8")),
            Err(_) if out.over => Err(Diagnostic::error(
                shown(name),
                None,
                format!(
                    "template: the page grew past {} MiB; a loop or component is running away",
                    MAX_PAGE_BYTES >> 20
                ),
            )),
            Err(e) => Err(self.locate(tera_diagnostic(&e, name))),
        }
    }

    /// Gives a template diagnostic without a line the line of the statement it is about, where
    /// the message tells which (an include or extends chain, a component that recursed).
    fn locate(&self, d: Diagnostic) -> Diagnostic {
        locate_in(d, |name| self.sources.get(name).map(String::as_str))
    }
}

/// The line of the first loop or component call of a runaway template, where Tera cannot say
/// which statement was running: the place to start looking.
fn locate_runaway(mut d: Diagnostic, text: &str) -> Diagnostic {
    d.line = tag_lines(text).find_map(|(line, code)| {
        let word = code.trim_start_matches('-').split_whitespace().next()?;
        matches!(word, "for" | "component" | "include").then_some(line)
    });
    d
}

/// The 1-based line of each `{% … %}` tag of a template, with its code.
fn tag_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let base = text.as_ptr() as usize;
    tag_contents(text).filter_map(move |code| {
        let at = code.as_ptr() as usize - base;
        // `{{ … }}` holds expressions, not statements.
        (at >= 2 && &text[at - 2..at] == "{%").then(|| (text[..at].matches('\n').count() + 1, code))
    })
}

/// Gives a template diagnostic without a line the line of the statement its message names,
/// looking the template's text up by its name under layouts/.
fn locate_in<'a>(mut d: Diagnostic, text_of: impl Fn(&str) -> Option<&'a str>) -> Diagnostic {
    if d.line.is_some() {
        return d;
    }
    let name = d
        .file
        .strip_prefix(LAYOUTS_DIR)
        .unwrap_or(&d.file)
        .to_string_lossy()
        .replace('\\', "/");
    if let Some(text) = text_of(&name) {
        d.line = statement_line(text, &d.message, &name);
    }
    d
}

/// The language of the page being rendered: its `site.language` (an edition's), else the site's.
fn page_language(state: &State) -> Option<String> {
    let site = state.get::<Value>("site").ok().flatten()?;
    site.get_from_path("language")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

fn register_helpers(tera: &mut Tera, helpers: Helpers, strings: std::sync::Arc<i18n::Strings>) {
    let Helpers {
        base_path,
        asset_base_path,
        elsewhere,
        base_url,
        asset_hashes,
        language,
    } = helpers;
    let origin = crate::config::parse_base_url(&base_url)
        .map(|(o, _)| o)
        .unwrap_or_default();
    let (bp, o, root) = (base_path.clone(), origin.clone(), asset_base_path.clone());
    tera.register_function(
        "url",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let path: String = kwargs.must_get::<&str>("path")?.to_string();
            let absolute = kwargs.get::<bool>("absolute")?.unwrap_or(false);
            if path.contains("://") {
                return Ok(path);
            }
            let path = path.trim_start_matches('/');
            let page = path.split(['#', '?']).next().unwrap_or(path);
            let base = if !elsewhere.is_empty() && elsewhere.contains(page) {
                &root
            } else {
                &bp
            };
            let url = format!("{base}{path}");
            Ok(if absolute { format!("{o}{url}") } else { url })
        },
    );
    let bp = asset_base_path;
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let path = kwargs
                .must_get::<&str>("path")?
                .trim_start_matches('/')
                .to_string();
            match asset_hashes.get(&path) {
                Some(h) => Ok(format!("{bp}{path}?h={h}")),
                None => Err(tera::Error::message(format!(
                    "asset `{path}` not found in assets/"
                ))),
            }
        },
    );
    // Dates and numbers in the site's language (see `crate::locale`); `locale="ru"` picks
    // another language, as an edition's switcher or a quote's original language will.
    let site_locale =
        crate::locale::Locale::get(&language).unwrap_or_else(|_| crate::locale::Locale::english());
    let site_language = language.clone();
    let locale_of = move |kwargs: &Kwargs,
                          state: &State|
          -> TeraResult<std::sync::Arc<crate::locale::Locale>> {
        match kwargs.get::<&str>("locale")? {
            Some(tag) => crate::locale::Locale::get(tag).map_err(tera::Error::message),
            None => match page_language(state) {
                Some(tag) if tag != site_language => {
                    crate::locale::Locale::get(&tag).map_err(tera::Error::message)
                }
                _ => Ok(site_locale.clone()),
            },
        }
    };
    register_strings(tera, strings, language);
    let date_locale = locale_of.clone();
    tera.register_filter(
        "date",
        move |value: Value, kwargs: Kwargs, state: &State| -> TeraResult<String> {
            let iso = match value.as_str() {
                Some(s) => s.to_string(),
                None => value
                    .as_map()
                    .and_then(|m| m.get(&tera::value::Key::Str("iso")))
                    .and_then(|v| v.as_str().map(str::to_string))
                    .ok_or_else(|| {
                        tera::Error::message("date: expected a YYYY-MM-DD string or a date object")
                    })?,
            };
            let partial = crate::text::PartialDate::parse(&iso).map_err(tera::Error::message)?;
            // An explicit strftime `format` keeps its old meaning (English names, via jiff) for
            // a full date; without one, the locale's long form of the date's precision.
            if let (Some(format), Some(m), Some(d)) =
                (kwargs.get::<&str>("format")?, partial.month, partial.day)
            {
                let date = jiff::civil::Date::new(partial.year, m, d)
                    .map_err(|e| tera::Error::message(e.to_string()))?;
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", date.strftime(format))
                    .map_err(|_| tera::Error::message(format!("date: bad format `{format}`")))?;
                return Ok(out);
            }
            partial
                .display_in(&*date_locale(&kwargs, state)?)
                .map_err(tera::Error::message)
        },
    );
    tera.register_filter(
        "number",
        move |value: Value, kwargs: Kwargs, state: &State| -> TeraResult<String> {
            let text = match (value.as_number(), value.as_str()) {
                (Some(n), _) => n.to_string(),
                (None, Some(s)) => s.to_string(),
                _ => return Err(tera::Error::message("number: expected a number")),
            };
            locale_of(&kwargs, state)?
                .number(&text)
                .map_err(|e| tera::Error::message(format!("number: {e}")))
        },
    );
    tera.register_filter(
        "json",
        |value: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            let text =
                serde_json::to_string(&value).map_err(|e| tera::Error::message(e.to_string()))?;
            Ok(crate::text::json_for_script(&text))
        },
    );
    tera.register_filter("slugify", |value: &str, _: Kwargs, _: &State| {
        crate::text::slugify(value)
    });
    tera.register_filter("compact", |value: Value, _: Kwargs, _: &State| {
        compact(value)
    });
}

/// A map without its unset fields (none, or an empty list), at any depth: data built as a map
/// in a template (JSON-LD) then carries no `null` for what a page leaves out.
fn compact(value: Value) -> Value {
    let empty = |v: &Value| v.is_none() || v.as_array().is_some_and(|a| a.is_empty());
    if let Some(map) = value.as_map() {
        let mut out = tera::Map::new();
        for (k, v) in map {
            let v = compact(v.clone());
            if !empty(&v) {
                out.insert(k.clone(), v);
            }
        }
        return Value::from(out);
    }
    if let Some(items) = value.as_array() {
        return Value::from(items.iter().cloned().map(compact).collect::<Vec<_>>());
    }
    value
}

/// `t(key="in_brief")`: the UI string `key` in the page's language (`lang="ru"` picks another),
/// falling back to English; an unknown key is an error at the call's line. Other arguments fill
/// the text's `{name}` placeholders, `n` also picks the plural form of a counted phrase (see
/// [`i18n`]). Values are escaped unless already safe (a component's output), and so is the table
/// text: the result is safe HTML.
///
/// `t_raw(key="search_results")`: the unfilled text (a string, or a map from plural category to
/// string), for scripts that fill it in the browser.
fn register_strings(
    tera: &mut Tera,
    strings: std::sync::Arc<i18n::Strings>,
    site_language: String,
) {
    let language_of = {
        let site_language = site_language.clone();
        move |kwargs: &Kwargs, state: &State| -> TeraResult<String> {
            Ok(match kwargs.get::<&str>("lang")? {
                Some(l) => l.to_string(),
                None => page_language(state).unwrap_or_else(|| site_language.clone()),
            })
        }
    };
    let s = strings.clone();
    let lang_of = language_of.clone();
    tera.register_function(
        "t",
        move |kwargs: Kwargs, state: &State| -> TeraResult<Value> {
            let key = kwargs.must_get::<&str>("key")?;
            let lang = lang_of(&kwargs, state)?;
            let mut n = None;
            let mut args: Vec<(&str, String)> = Vec::new();
            for (k, v) in kwargs.iter() {
                let name = k.as_str().unwrap_or_default();
                match name {
                    "key" | "lang" => {}
                    "n" => {
                        let text = match (v.as_number(), v.as_str()) {
                            (Some(num), _) => num.to_string(),
                            (None, Some(s)) => s.to_string(),
                            _ => {
                                return Err(tera::Error::message(format!(
                                    "t: `n` of `{key}` must be a number"
                                )))
                            }
                        };
                        args.push(("n", state.escape_if_needed(&Value::from(text.as_str()))?));
                        n = Some(text);
                    }
                    _ => args.push((name, state.escape_if_needed(v)?)),
                }
            }
            let escape = |text: &str| -> Result<String, String> {
                if state.autoescaping_enabled() {
                    state.escape(text).map_err(|e| e.to_string())
                } else {
                    Ok(text.to_string())
                }
            };
            let out = s
                .format(&lang, key, n.as_deref(), &args, &escape)
                .map_err(tera::Error::message)?;
            Ok(if state.autoescaping_enabled() {
                Value::safe_string(&out)
            } else {
                Value::from(out.as_str())
            })
        },
    );
    tera.register_function(
        "t_raw",
        move |kwargs: Kwargs, state: &State| -> TeraResult<Value> {
            let key = kwargs.must_get::<&str>("key")?;
            let lang = language_of(&kwargs, state)?;
            match strings.raw(&lang, key) {
                Some(i18n::Text::One(s)) => Ok(Value::from(s.as_str())),
                Some(i18n::Text::Counted(forms)) => Ok(Value::from_serializable(
                    &forms
                        .iter()
                        .map(|(c, s)| (c.as_str(), s.as_str()))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                )),
                None => Err(tera::Error::message(format!(
                    "t_raw: no UI string `{key}` in the English table (layouts/i18n/en.yaml)"
                ))),
            }
        },
    );
}

/// Ends a template render that never finishes: Tera cannot be interrupted, so a loop nested in a
/// loop (each `range()` may run 100,000 times) or a component calling itself three times over
/// twenty levels would spin for hours, and with components, fill memory before writing anything.
///
/// A thread started on the first render checks every in-flight render; one that runs longer than
/// the time limit, or while which the process grows by more than the memory limit, is reported
/// once, with its template, line and page, to whoever started the render ([`reporting_to`]): the
/// render path fails that build or rebuild with it, and the process goes on (a server keeps
/// serving the last good pages). The runaway render itself cannot be stopped; its thread is left
/// to it. `BILAT_RENDER_TIMEOUT` (seconds) and `BILAT_RENDER_MEMORY` (MiB) change the limits.
pub mod watchdog {
    use crate::error::Diagnostic;
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, Once};
    use std::time::{Duration, Instant};

    /// Where a runaway render is reported.
    pub type Report = Arc<dyn Fn(Diagnostic) + Send + Sync>;

    struct Render {
        id: u64,
        template: String,
        /// The template's text, to place the report on a line.
        text: Option<Arc<str>>,
        page: String,
        start: Instant,
        rss_at_start: u64,
        report: Option<Report>,
        /// Reported already: it is no longer watched (it may never end).
        reported: bool,
    }

    thread_local! {
        static CURRENT: RefCell<Option<Report>> = const { RefCell::new(None) };
    }

    /// Runs `f` with the renders it starts on this thread reported to `report`.
    pub fn reporting_to<R>(report: &Report, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.replace(Some(report.clone())));
        let r = f();
        CURRENT.with(|c| *c.borrow_mut() = previous);
        r
    }

    static RENDERS: Mutex<Vec<Render>> = Mutex::new(Vec::new());
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: Once = Once::new();

    /// Removes its render from the watch list when dropped.
    pub struct Guard(u64);

    impl Drop for Guard {
        fn drop(&mut self) {
            if let Ok(mut list) = RENDERS.lock() {
                list.retain(|r| r.id != self.0);
            }
        }
    }

    fn limit(var: &str, default: u64) -> u64 {
        std::env::var(var)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&v| v > 0)
            .unwrap_or(default)
    }

    /// The time limit for one render.
    pub fn timeout() -> Duration {
        Duration::from_secs(limit("BILAT_RENDER_TIMEOUT", 30))
    }

    /// How much the process may grow while one render runs.
    pub fn memory() -> u64 {
        limit("BILAT_RENDER_MEMORY", 1536) << 20
    }

    /// Resident memory of this process, where the OS tells it cheaply.
    pub fn rss() -> u64 {
        #[cfg(target_os = "linux")]
        {
            if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
                if let Some(pages) = statm
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.parse::<u64>().ok())
                {
                    return pages * 4096;
                }
            }
        }
        0
    }

    pub fn enter(template: &str, text: Option<Arc<str>>, page: &str) -> Guard {
        START.call_once(|| {
            let _ = std::thread::Builder::new()
                .name("render-watchdog".into())
                .spawn(watch);
        });
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let render = Render {
            id,
            template: template.to_string(),
            text,
            page: page.to_string(),
            start: Instant::now(),
            // Filled in by the watchdog when it first sees this render: no /proc read per page.
            rss_at_start: 0,
            report: CURRENT.with(|c| c.borrow().clone()),
            reported: false,
        };
        if let Ok(mut list) = RENDERS.lock() {
            list.push(render);
        }
        Guard(id)
    }

    fn watch() {
        let (timeout, memory) = (timeout(), memory());
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let problem = {
                let Ok(mut list) = RENDERS.lock() else { return };
                if list.iter().all(|r| r.reported) {
                    continue;
                }
                let now = rss();
                for r in list.iter_mut().filter(|r| r.rss_at_start == 0) {
                    r.rss_at_start = now;
                }
                let Some(oldest) = list
                    .iter_mut()
                    .filter(|r| !r.reported)
                    .min_by_key(|r| r.start)
                else {
                    continue;
                };
                let what = if oldest.start.elapsed() > timeout {
                    Some(format!("did not finish within {} s", timeout.as_secs()))
                } else if now > oldest.rss_at_start + memory {
                    Some(format!("used more than {} MiB of memory", memory >> 20))
                } else {
                    None
                };
                what.map(|what| {
                    oldest.reported = true;
                    (
                        oldest.template.clone(),
                        oldest.text.clone(),
                        oldest.page.clone(),
                        what,
                        oldest.report.clone(),
                    )
                })
            };
            if let Some((template, text, page, what, report)) = problem {
                let on = if page.is_empty() {
                    "a page".to_string()
                } else {
                    format!("`{page}`")
                };
                let d = Diagnostic::error(
                    super::shown(&template),
                    None,
                    format!("template: rendering {on} {what}: a loop or component that never ends?"),
                )
                .with_help("look for loops nested in loops and components that call themselves more than once");
                let d = match &text {
                    Some(text) => super::locate_runaway(d, text),
                    None => d,
                };
                // A render started outside the render path has no one to tell; it cannot be
                // stopped either way.
                if let Some(report) = report {
                    report(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(templates: &[(&str, &str)]) -> HashMap<String, ListsRead> {
        let sources: Vec<(String, String)> = templates
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let mut tera = Tera::default();
        tera.add_raw_templates(sources.clone()).expect("templates");
        sources
            .iter()
            .map(|(n, _)| (n.clone(), ListsRead::of(n, &tera, &sources)))
            .collect()
    }

    fn some(names: &[&str]) -> ListsRead {
        ListsRead::Some(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn the_lists_a_template_reads_include_its_parents_and_includes() {
        let read = lists(&[
            ("base.html", "<p>{{ site.title }}</p>{% block main %}{% endblock %}{% include \"foot.html\" %}"),
            ("foot.html", "{% for n in explainer.next %}{{ n.what }}{% endfor %}"),
            ("page.html", "{% extends \"base.html\" %}{% block main %}{{ page.title }}{% endblock %}"),
            ("index.html", "{% extends \"base.html\" %}{% block main %}{% for t in explainer.topics %}{{ t.url }}{% endfor %}{{ explainer.timeline | length }}{% endblock %}"),
            ("plain.html", "<p>An explainer of {{ site.title }}</p>"),
            ("whole.html", "{% set e = explainer %}{{ e.topics | length }}"),
        ]);
        assert_eq!(read["foot.html"], some(&["next"]));
        assert_eq!(read["page.html"], some(&["next"]));
        assert_eq!(read["index.html"], some(&["next", "timeline", "topics"]));
        // The word in text is not a use; the whole object passed on is every list.
        assert_eq!(read["plain.html"], some(&[]));
        assert_eq!(read["whole.html"], ListsRead::All);
    }

    fn render_with(language: &str, template: &str) -> Result<String, Diagnostic> {
        let helpers = Helpers {
            base_path: "/".into(),
            asset_base_path: "/".into(),
            elsewhere: Default::default(),
            base_url: "https://x.org/".into(),
            asset_hashes: HashMap::new(),
            language: language.into(),
        };
        let mut diags = Diagnostics::default();
        let t = Templates::from_sources(&[("t.html".into(), template.into())], helpers, &mut diags)
            .expect("template compiles");
        t.render("t.html", &Context::new())
    }

    #[test]
    fn compact_leaves_out_unset_fields_at_any_depth() {
        let t = r#"{{ {"a": 1, "b": none, "c": [], "d": [{"e": none, "f": "x"}], "g": {"h": none}, "i": "", "j": 0} | compact | json | safe }}"#;
        assert_eq!(
            render_with("en", t).expect("renders"),
            r#"{"a":1,"d":[{"f":"x"}],"g":{},"i":"","j":0}"#
        );
    }

    #[test]
    fn date_and_number_filters_follow_the_site_language() {
        let t = "{{ '2023-12-27' | date }}|{{ '2023-12' | date }}|{{ 2023 | str | date }}|{{ 1234.5 | number }}|{{ '65.70' | number }}|{{ '2023-12-27' | date(format='%d/%m') }}|{{ '2023-12-27' | date(locale='hi') }}";
        assert_eq!(
            render_with("en", t).expect("en"),
            "27 December 2023|December 2023|2023|1,234.5|65.70|27/12|27 दिसंबर, 2023"
        );
        assert_eq!(
            render_with("ru", t).expect("ru"),
            "27 декабря 2023\u{202f}г.|декабрь 2023\u{202f}г.|2023|1\u{a0}234,5|65,70|27/12|27 दिसंबर, 2023"
        );
        assert_eq!(
            render_with("de", "{{ 1234.5 | number }} {{ 1200 | number }}").expect("de"),
            "1.234,5 1.200"
        );
        let err = render_with("en", "{{ 'many' | number }}").expect_err("not a number");
        assert!(
            err.message.contains("`many` is not a number"),
            "{}",
            err.message
        );
        let err = render_with("en", "{{ 1 | number(locale='not a tag') }}").expect_err("bad tag");
        assert!(err.message.contains("not a tag"), "{}", err.message);
    }

    #[test]
    fn tag_contents_skip_text_and_comments() {
        let tags: Vec<&str> =
            tag_contents("a {{ x }} b {% if y %}{# explainer #}c{% endif %} { d }").collect();
        assert_eq!(tags, vec![" x ", " if y ", " endif "]);
    }
}
