//! Editions: one site in several languages, with the facts kept once.
//!
//! A translation is a file beside its original (`topics/trade.ru.md` next to `topics/trade.md`).
//! It gives the words — title, summary, in brief, body, the text of positions, caveats, figure
//! labels, timeline events, what-to-watch items, corrections — and inherits every fact from the
//! original: figure values, units, periods, sources, dates, quotes (speaker, wording, date,
//! source), tags, related pages, weight. A fact written in a translation must equal the
//! original's, or the build fails naming both files ([`merge`]). A quote keeps the wording it was
//! published in; a translation may add a *published* translation of it (`translation:` with
//! `text`, `by` and `source`), never one of its own.
//!
//! Freshness: a translation says which revision of its original it translates with
//! `translates: <hash>`, the [`fingerprint`] of the original's words, written by
//! `bilat translate mark` ([`mark`]). When the original's words change afterwards the
//! translation is outdated: its page says so, and `bilat check` warns ([`status`] lists them all).
//!
//! This module owns the merge, the fingerprint and the status table. Reading the files is
//! [`crate::content`]'s; making one [`crate::site::Site`] per edition from them is the site's.

use crate::content::{Page, TranslationFile};
use crate::error::Diagnostic;
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Where a loaded site sits among the site's editions.
#[derive(Debug, Clone, Default)]
pub struct EditionInfo {
    pub code: String,
    pub name: String,
    /// `""` for the default edition, `"ru/"` for another: its folder in the output.
    pub prefix: String,
    /// Every edition, the default first.
    pub all: Vec<EditionRef>,
    /// The default edition's base path, where static files and assets are.
    pub root_base_path: String,
    /// Content paths of originals → the codes of the editions that translate them.
    pub translated: Arc<HashMap<String, Vec<String>>>,
    /// Paths of the topic pages this edition has no translation of: they are linked where the
    /// default edition has them.
    pub elsewhere: HashSet<String>,
}

/// One edition, as the language switcher names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditionRef {
    pub code: String,
    pub name: String,
    pub prefix: String,
}

impl EditionInfo {
    /// The codes of the editions after the default one, in site.yaml's order.
    pub fn other_codes(&self) -> Vec<String> {
        self.all.iter().skip(1).map(|e| e.code.clone()).collect()
    }

    /// The one edition of a site in one language.
    pub fn single(code: &str, root_base_path: &str) -> EditionInfo {
        EditionInfo {
            code: code.to_string(),
            root_base_path: root_base_path.to_string(),
            ..EditionInfo::default()
        }
    }

    pub fn is_default(&self) -> bool {
        self.prefix.is_empty()
    }

    /// Whether the site has more than one edition.
    pub fn several(&self) -> bool {
        self.all.len() > 1
    }

    /// The default edition's language code.
    pub fn default_code(&self) -> &str {
        self.all
            .first()
            .map_or(self.code.as_str(), |e| e.code.as_str())
    }
}

/// The front matter key a translation records its original's revision under.
pub const TRANSLATES_KEY: &str = "translates";

/// One step into a front matter value: a key or a list position.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Whether the value at `path` is words a translation gives (rather than a fact it inherits).
fn is_words(path: &[Step]) -> bool {
    use Step::{Index as I, Key as K};
    matches!(
        path,
        [K("title"
            | "summary"
            | "in_brief"
            | "extra"
            | "draft"
            | TRANSLATES_KEY)]
            | [K("figures"), I(_), K("label")]
            | [
                K("figures" | "quotes" | "timeline"),
                I(_),
                K("caveat"),
                K("text")
            ]
            | [K("quotes"), I(_), K("context" | "translation")]
            | [K("positions"), K(_), I(_), K("text")]
            | [K("timeline"), I(_), K("event")]
            | [K("next"), I(_), K("what")]
            | [K("next"), I(_), K("outcome"), K("text")]
            | [K("corrections"), I(_), K("text")]
    )
}

/// `figures[0].value`, for messages.
fn show_path(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) if s.is_empty() => s.push_str(k),
            Step::Key(k) => {
                let _ = write!(s, ".{k}");
            }
            Step::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "nothing".into(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

/// A fact a translation states differently from its original.
struct Contradiction {
    path: String,
    original: Option<String>,
    translation: String,
    /// The last key of the path and the translation's value, to find its line.
    key: String,
}

fn merge_value<'a>(
    original: &'a Value,
    translation: &'a Value,
    path: &mut Vec<Step<'a>>,
    out: &mut Vec<Contradiction>,
) -> Value {
    if is_words(path) {
        return translation.clone();
    }
    let key_of = |path: &[Step]| match path.last() {
        Some(Step::Key(k)) => k.to_string(),
        _ => String::new(),
    };
    match (original, translation) {
        (Value::Mapping(o), Value::Mapping(t)) => {
            let mut merged = o.clone();
            for (k, tv) in t {
                let Some(key) = k.as_str() else {
                    continue;
                };
                path.push(Step::Key(key));
                match o.get(k) {
                    Some(ov) => {
                        let v = merge_value(ov, tv, path, out);
                        merged.insert(k.clone(), v);
                    }
                    None if is_words(path) => {
                        merged.insert(k.clone(), tv.clone());
                    }
                    None => out.push(Contradiction {
                        path: show_path(path),
                        original: None,
                        translation: show_value(tv),
                        key: key_of(path),
                    }),
                }
                path.pop();
            }
            Value::Mapping(merged)
        }
        (Value::Sequence(o), Value::Sequence(t)) => {
            if o.len() != t.len() {
                out.push(Contradiction {
                    path: show_path(path),
                    original: Some(format!("{} items", o.len())),
                    translation: format!("{} items", t.len()),
                    key: key_of(path),
                });
                return original.clone();
            }
            let mut merged = Vec::with_capacity(o.len());
            for (i, (ov, tv)) in o.iter().zip(t).enumerate() {
                path.push(Step::Index(i));
                merged.push(merge_value(ov, tv, path, out));
                path.pop();
            }
            Value::Sequence(merged)
        }
        (o, t) if o == t => o.clone(),
        (o, t) => {
            out.push(Contradiction {
                path: show_path(path),
                original: Some(show_value(o)),
                translation: show_value(t),
                key: key_of(path),
            });
            o.clone()
        }
    }
}

/// A page's front matter as a YAML value (its raw block, parsed under the same limits as pages).
fn yaml_value(shown: &Path, yaml: &str, first_line: usize) -> Result<Value, Diagnostic> {
    let v: Value = crate::yaml::parse(shown, yaml, first_line)?;
    Ok(match v {
        Value::Null => Value::Mapping(Mapping::new()),
        v => v,
    })
}

/// The 1-based file line in `yaml` (starting at `first_line`) of `key:` holding `value`.
fn line_of(yaml: &str, first_line: usize, key: &str, value: &str) -> Option<usize> {
    let mut fallback = None;
    for (i, l) in yaml.lines().enumerate() {
        let t = l.trim_start().trim_start_matches("- ");
        if !key.is_empty() && t.starts_with(&format!("{key}:")) {
            if value.is_empty() || l.contains(value) {
                return Some(i + first_line);
            }
            fallback.get_or_insert(i + first_line);
        }
    }
    fallback
}

/// The translation's front matter over its original's: words from the translation, facts from
/// the original. Every contradicted fact is an error on the translation that names the original.
pub fn merge(
    original: &Page,
    t: &TranslationFile,
) -> Result<crate::frontmatter::FrontMatter, Vec<Diagnostic>> {
    let o = yaml_value(&original.shown, &original.yaml, original.yaml_line).map_err(|d| vec![d])?;
    let tv = yaml_value(&t.shown, &t.yaml, t.yaml_line).map_err(|d| vec![d])?;
    let mut contradictions = Vec::new();
    let mut merged = merge_value(&o, &tv, &mut Vec::new(), &mut contradictions);
    if !contradictions.is_empty() {
        return Err(contradictions
            .into_iter()
            .map(|c| {
                let message = match &c.original {
                    Some(ov) => format!(
                        "this translation says `{}` is `{}`, but its original {} says `{ov}`",
                        c.path,
                        c.translation,
                        original.shown.display()
                    ),
                    None => format!(
                        "this translation gives `{}`, which its original {} does not have",
                        c.path,
                        original.shown.display()
                    ),
                };
                let at = line_of(&original.yaml, original.yaml_line, &c.key, c.original.as_deref().unwrap_or(""));
                Diagnostic::error(
                    &t.shown,
                    line_of(&t.yaml, t.yaml_line, &c.key, &c.translation),
                    message,
                )
                .with_help(format!(
                    "facts (values, sources, dates, quotes, tags) live once, in the original{}; leave them out of the translation or make them equal",
                    at.map(|l| format!(" (line {l})")).unwrap_or_default()
                ))
            })
            .collect());
    }
    // The freshness hash is the translation's own, not a front matter field.
    if let Value::Mapping(m) = &mut merged {
        m.remove(TRANSLATES_KEY);
    }
    let yaml = serde_yaml::to_string(&merged).map_err(|e| {
        vec![Diagnostic::error(
            &t.shown,
            None,
            format!("cannot merge: {e}"),
        )]
    })?;
    let split = crate::frontmatter::Split {
        yaml: &yaml,
        yaml_line: t.yaml_line,
        body: "",
        body_line: t.body_line,
    };
    crate::frontmatter::parse(&t.shown, &split).map_err(|mut d| {
        // A merged block's lines are not the file's: the message stands without one.
        d.line = None;
        d.col = None;
        vec![d]
    })
}

/// The revision of an original's words that translations record: a hash of every value a
/// translation gives (in a fixed order) and of the body.
pub fn fingerprint(original: &Page) -> Result<String, Diagnostic> {
    let v = yaml_value(&original.shown, &original.yaml, original.yaml_line)?;
    let mut words = String::new();
    collect_words(&v, &mut Vec::new(), &mut words);
    let body = &original.body;
    let mut h = Sha256::new();
    h.update(words.as_bytes());
    h.update([0]);
    h.update(body.trim().as_bytes());
    Ok(h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn collect_words<'a>(v: &'a Value, path: &mut Vec<Step<'a>>, out: &mut String) {
    if is_words(path) {
        if path != &[Step::Key(TRANSLATES_KEY)] {
            let _ = writeln!(out, "{}={}", show_path(path), show_value(v));
        }
        return;
    }
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                if let Some(k) = k.as_str() {
                    path.push(Step::Key(k));
                    collect_words(child, path, out);
                    path.pop();
                }
            }
        }
        Value::Sequence(s) => {
            for (i, child) in s.iter().enumerate() {
                path.push(Step::Index(i));
                collect_words(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The revision a translation says it translates, if it says one.
pub fn translates(t: &TranslationFile) -> Option<String> {
    t.yaml.lines().find_map(|l| {
        let rest = l.strip_prefix(TRANSLATES_KEY)?.strip_prefix(':')?;
        let v = rest.trim().trim_matches(['"', '\'']);
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// The text of a translation file with `translates:` set to `revision` (replaced where it is,
/// added at the end of the front matter where it is not).
pub fn mark(text: &str, revision: &str) -> Option<String> {
    let line = format!("{TRANSLATES_KEY}: \"{revision}\"");
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first = lines.first()?.trim_end();
    if first != "---" {
        return None;
    }
    let close = lines.iter().skip(1).position(|l| l.trim_end() == "---")? + 1;
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    let existing = lines[1..close]
        .iter()
        .position(|l| l.starts_with(&format!("{TRANSLATES_KEY}:")))
        .map(|i| i + 1);
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let replacement = format!("{line}{newline}");
    match existing {
        Some(i) => lines[i] = &replacement,
        None => lines.insert(close, &replacement),
    }
    for l in lines {
        out.push_str(l);
    }
    Some(out)
}

/// How one page stands in one edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Freshness {
    UpToDate,
    /// The original's words changed after the revision the translation translates (or it
    /// records none).
    Outdated,
    Missing,
}

impl Freshness {
    pub fn label(self) -> &'static str {
        match self {
            Freshness::UpToDate => "up to date",
            Freshness::Outdated => "outdated",
            Freshness::Missing => "missing",
        }
    }
}

/// Whether translation `t` of `original` is current.
pub fn freshness(original: &Page, t: &TranslationFile) -> Freshness {
    match (translates(t), fingerprint(original)) {
        (Some(said), Ok(now)) if said == now => Freshness::UpToDate,
        _ => Freshness::Outdated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_facts_are_told_apart() {
        use Step::{Index as I, Key as K};
        assert!(is_words(&[K("title")]));
        assert!(is_words(&[K("figures"), I(0), K("label")]));
        assert!(!is_words(&[K("figures"), I(0), K("value")]));
        assert!(!is_words(&[K("quotes"), I(1), K("text")]));
        assert!(is_words(&[K("positions"), K("in"), I(0), K("text")]));
        assert!(!is_words(&[K("positions"), K("in"), I(0), K("source")]));
        assert!(!is_words(&[K("tags")]));
    }

    #[test]
    fn mark_replaces_or_adds_the_revision() {
        let t = "---\ntitle: T\n---\nBody\n";
        assert_eq!(
            mark(t, "abc").as_deref(),
            Some("---\ntitle: T\ntranslates: \"abc\"\n---\nBody\n")
        );
        let again = mark(&mark(t, "abc").unwrap_or_default(), "def").unwrap_or_default();
        assert_eq!(again, "---\ntitle: T\ntranslates: \"def\"\n---\nBody\n");
        assert_eq!(mark("no front matter", "x"), None);
    }

    #[test]
    fn translation_file_names() {
        let codes = vec!["ru".to_string(), "pt-br".to_string()];
        assert_eq!(
            crate::content::translation_of("topics/trade.ru.md", &codes),
            Some(("topics/trade.md".to_string(), "ru"))
        );
        assert_eq!(
            crate::content::translation_of("_index.pt-br.md", &codes),
            Some(("_index.md".to_string(), "pt-br"))
        );
        assert_eq!(
            crate::content::translation_of("topics/trade.md", &codes),
            None
        );
        assert_eq!(
            crate::content::translation_of("topics/.ru.md", &codes),
            None
        );
    }
}
