//! Templates: loading `layouts/` into Tera once, the functions and filters bilat gives templates,
//! rendering one page's context, and minifying the result.

use crate::error::{Diagnostic, Diagnostics};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tera::{Context, ErrorKind, Kwargs, State, Tera, TeraResult, Value};

pub const LAYOUTS_DIR: &str = "layouts";

/// The compiled layouts of a site.
pub struct Templates {
    pub tera: Tera,
    /// Which templates read the site-wide `explainer` lists (directly or through a parent or include),
    /// so an incremental rebuild knows whether a list change reaches them.
    pub uses_explainer: HashMap<String, bool>,
}

/// What the template helpers need from the site.
pub struct Helpers {
    pub base_path: String,
    pub base_url: String,
    /// Asset path (relative to the output root) → short content hash.
    pub asset_hashes: HashMap<String, String>,
}

fn shown(name: &str) -> PathBuf {
    Path::new(LAYOUTS_DIR).join(name)
}

/// Turns a Tera error into a diagnostic pointing at the template file and line.
pub fn tera_diagnostic(err: &tera::Error, fallback_template: &str) -> Diagnostic {
    match err.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let name = if r.filename().is_empty() { fallback_template } else { r.filename() };
            let span = r.span();
            Diagnostic::error(shown(name), Some(span.start_line.max(1)), format!("template: {}", r.message()))
                .with_col(Some(span.start_col + 1))
        }
        ErrorKind::CircularExtend { tpl, inheritance_chain } => Diagnostic::error(
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
            format!("template extends `{parent}`, which is not in layouts/"),
        ),
        ErrorKind::TemplateNotFound(name) => {
            Diagnostic::error(shown(fallback_template), None, format!("template `{name}` not found in layouts/"))
        }
        _ => {
            let mut msg = err.to_string();
            let mut src = std::error::Error::source(err);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            Diagnostic::error(shown(fallback_template), None, format!("template: {msg}"))
        }
    }
}

/// Reads every file under `layouts/` as a template named by its path (`page.html`, `partials/x.html`).
fn read_layouts(dir: &Path, diags: &mut Diagnostics) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        diags.push(Diagnostic::error(LAYOUTS_DIR, None, "layouts/ folder not found")
            .with_help("create layouts/ with base.html, index.html, section.html and page.html, or start from `bilat init`"));
        return out;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::error(e.path().unwrap_or(dir).to_path_buf(), None, format!("cannot read: {e}")));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if !entry.file_type().is_file() || crate::content::is_ignored_name(&name) {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        match std::fs::read(entry.path()).map(String::from_utf8) {
            Ok(Ok(text)) => out.push((rel, crate::frontmatter::normalize(&text).into_owned())),
            Ok(Err(_)) => diags.push(Diagnostic::error(shown(&rel), None, "template is not valid UTF-8")),
            Err(e) => diags.push(Diagnostic::error(shown(&rel), None, format!("cannot read: {e}"))),
        }
    }
    out
}

impl Templates {
    /// Compiles every layout once; reports every template with a syntax error.
    pub fn load(root: &Path, helpers: Helpers, diags: &mut Diagnostics) -> Option<Templates> {
        let sources = read_layouts(&root.join(LAYOUTS_DIR), diags);
        Templates::from_sources(&sources, helpers, diags)
    }

    pub fn from_sources(sources: &[(String, String)], helpers: Helpers, diags: &mut Diagnostics) -> Option<Templates> {
        let mut tera = Tera::new();
        register_helpers(&mut tera, helpers);
        if let Err(err) = tera.add_raw_templates(sources.iter().map(|(n, c)| (n.as_str(), c.as_str()))) {
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
                diags.push(tera_diagnostic(&err, sources.first().map_or("", |s| s.0.as_str())));
            }
            return None;
        }
        let uses_explainer = sources
            .iter()
            .map(|(name, _)| {
                let uses = tera
                    .get_template_variables(name)
                    .map(|vars| vars.iter().any(|v| *v == "explainer" || v.starts_with("explainer.")))
                    .unwrap_or(true);
                (name.clone(), uses)
            })
            .collect();
        Some(Templates { tera, uses_explainer })
    }

    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// Renders one template; errors name the template line.
    pub fn render(&self, name: &str, ctx: &Context) -> Result<String, Diagnostic> {
        self.tera.render(name, ctx).map_err(|e| tera_diagnostic(&e, name))
    }
}

fn register_helpers(tera: &mut Tera, helpers: Helpers) {
    let Helpers { base_path, base_url, asset_hashes } = helpers;
    let origin = crate::config::parse_base_url(&base_url).map(|(o, _)| o).unwrap_or_default();
    let (bp, o) = (base_path.clone(), origin.clone());
    tera.register_function("url", move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
        let path: String = kwargs.must_get::<&str>("path")?.to_string();
        let absolute = kwargs.get::<bool>("absolute")?.unwrap_or(false);
        if path.contains("://") {
            return Ok(path);
        }
        let url = format!("{bp}{}", path.trim_start_matches('/'));
        Ok(if absolute { format!("{o}{url}") } else { url })
    });
    let bp = base_path;
    tera.register_function("asset", move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
        let path = kwargs.must_get::<&str>("path")?.trim_start_matches('/').to_string();
        match asset_hashes.get(&path) {
            Some(h) => Ok(format!("{bp}{path}?h={h}")),
            None => Err(tera::Error::message(format!("asset `{path}` not found in assets/"))),
        }
    });
    tera.register_filter("date", |value: Value, kwargs: Kwargs, _: &State| -> TeraResult<String> {
        let format = kwargs.get::<&str>("format")?.unwrap_or("%-d %B %Y").to_string();
        let iso = match value.as_str() {
            Some(s) => s.to_string(),
            None => value
                .as_map()
                .and_then(|m| m.get(&tera::value::Key::Str("iso")))
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| tera::Error::message("date: expected a YYYY-MM-DD string or a date object"))?,
        };
        let partial = crate::text::PartialDate::parse(&iso).map_err(tera::Error::message)?;
        match (partial.month, partial.day) {
            (Some(m), Some(d)) => {
                let date = jiff::civil::Date::new(partial.year, m, d).map_err(|e| tera::Error::message(e.to_string()))?;
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", date.strftime(&format)).map_err(|_| tera::Error::message(format!("date: bad format `{format}`")))?;
                Ok(out)
            }
            _ => Ok(partial.display()),
        }
    });
    tera.register_filter("json", |value: Value, _: Kwargs, _: &State| -> TeraResult<String> {
        let text = serde_json::to_string(&value).map_err(|e| tera::Error::message(e.to_string()))?;
        // Safe inside <script>: a string can never close the element.
        Ok(text.replace("</", "<\\/").replace("<!--", "<\\!--"))
    });
    tera.register_filter("slugify", |value: &str, _: Kwargs, _: &State| crate::text::slugify(value));
}

/// minify-html settings that keep the output valid, parseable HTML5.
pub fn minify(html: &str) -> Vec<u8> {
    let mut cfg = minify_html::Cfg::new();
    cfg.keep_closing_tags = true;
    cfg.keep_html_and_head_opening_tags = true;
    cfg.minify_css = true;
    // JavaScript minification has broken scripts elsewhere; the scripts here are tiny.
    cfg.minify_js = false;
    cfg.keep_comments = false;
    minify_html::minify(html.as_bytes(), &cfg)
}
