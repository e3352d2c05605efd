//! The explainer's shared registries in `content/_data/`: sources, people and glossary terms.
//! Topics refer to their entries by id; the site stage checks every reference.

use crate::error::{Diagnostic, Diagnostics};
use crate::text::{find_word_line, slugify, PartialDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const DATA_DIR: &str = "_data";

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub publisher: String,
    pub title: String,
    #[serde(default)]
    pub date: Option<PartialDate>,
    pub url: String,
    /// The day the source was read (Wikipedia's `access-date`).
    #[serde(default)]
    pub accessed: Option<PartialDate>,
    /// An archived copy (the Wayback Machine's, say) and the day it was taken.
    #[serde(default)]
    pub archive_url: Option<String>,
    #[serde(default)]
    pub archive_date: Option<PartialDate>,
    /// Whether the original URL still serves the source; unset means live.
    #[serde(default)]
    pub status: Option<SourceStatus>,
    /// The source's language as a BCP 47 tag (`ru`, `pt-BR`), when not the site's.
    #[serde(default)]
    pub language: Option<String>,
    /// The title in the site's language, for a source in another.
    #[serde(default)]
    pub translated_title: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// Derived on load ([`crate::sources::fields`]): the URL a reader is sent to first — the
    /// archived copy of a dead or unfit source, otherwise the original.
    #[serde(skip_deserializing)]
    pub link: String,
    /// Derived on load: the language's English name ("Russian"), set only when the source is in
    /// a language other than the site's.
    #[serde(skip_deserializing)]
    pub language_name: Option<String>,
}

/// What became of a source's original URL (Wikipedia's `url-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// The original still serves the source.
    Live,
    /// The original is gone: readers go to the archived copy first.
    Dead,
    /// The original is behind a paywall.
    Paywalled,
    /// The original now serves something unsuitable (a hijacked domain, spam): only the archived
    /// copy is linked.
    Unfit,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    pub name: String,
    /// The role at the time the explainer describes.
    pub role: String,
    #[serde(default)]
    pub party: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Anything a reader should know about the entry (e.g. a weak source).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub term: String,
    #[serde(default)]
    pub expansion: Option<String>,
    pub definition: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Anchor on the glossary page; derived from `term`.
    #[serde(skip_deserializing)]
    pub id: String,
}

/// A registry file's entries with where each one was written.
#[derive(Debug, Clone)]
pub struct Registry<T> {
    pub file: PathBuf,
    pub text: String,
    pub items: Vec<T>,
    index: HashMap<String, usize>,
    /// The file could not be read or parsed (that error is reported): every reference to it would
    /// be a follow-on error, so none is reported.
    pub failed: bool,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            file: PathBuf::new(),
            text: String::new(),
            items: Vec::new(),
            index: HashMap::new(),
            failed: false,
        }
    }
}

impl<T> Registry<T> {
    pub fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Whether a reference to `id` is an error to report: the id is missing from a registry that
    /// loaded (a registry that failed has its own error, and would make every reference one).
    pub fn lacks(&self, id: &str) -> bool {
        !self.failed && !self.contains(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    /// The file line where `needle` is written, for errors about an entry.
    pub fn line_of(&self, needle: &str) -> Option<usize> {
        find_word_line(&self.text, needle)
    }
}

/// All three registries.
#[derive(Debug, Clone, Default)]
pub struct Registries {
    pub sources: Registry<Source>,
    pub people: Registry<Person>,
    pub glossary: Registry<Term>,
}

fn load_one<T: for<'de> Deserialize<'de>>(
    content: &Path,
    rel_root: &Path,
    name: &str,
    id_of: impl Fn(&T) -> String,
    kind: &str,
    diags: &mut Diagnostics,
) -> Registry<T> {
    let path = content.join(DATA_DIR).join(name);
    let shown = rel_root.join(DATA_DIR).join(name);
    let mut reg = Registry {
        file: shown.clone(),
        text: String::new(),
        items: Vec::new(),
        index: HashMap::new(),
        failed: false,
    };
    // A link (or a linked `_data/`) that leads out of the site is never read.
    let bounds = crate::bounds::Bounds::new(content.parent().unwrap_or(content));
    if let Some(d) = bounds.check_diag(&path) {
        diags.push(d);
        reg.failed = true;
        return reg;
    }
    // A FIFO or a device (a link to /dev/zero) would block or never end: read regular files only.
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return reg,
        Ok(m) if !m.is_file() => {
            diags.push(
                Diagnostic::error(&shown, None, "not a regular file")
                    .with_help("a registry is a YAML text file"),
            );
            reg.failed = true;
            return reg;
        }
        _ => {}
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(&shown, None, format!("cannot read: {e}")));
            reg.failed = true;
            return reg;
        }
    };
    let text = match crate::text::decode_text(&shown, bytes) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            reg.failed = true;
            return reg;
        }
    };
    if !text.trim().is_empty() {
        match crate::yaml::parse::<Vec<T>>(&shown, &text, 1) {
            Ok(items) => reg.items = items,
            Err(d) => {
                diags.push(d);
                reg.failed = true;
            }
        }
    }
    // Where each entry starts: worked out only when an entry needs a line (a repeated id).
    let mut lines: Option<Vec<usize>> = None;
    for (i, item) in reg.items.iter().enumerate() {
        let id = id_of(item);
        if let Some(first) = reg.index.insert(id.clone(), i) {
            // The first definition keeps its place; the repetition is the error.
            reg.index.insert(id.clone(), first);
            let lines = lines.get_or_insert_with(|| crate::yaml::entry_lines(&text));
            let (line, first_line) = if lines.len() == reg.items.len() {
                (Some(lines[i]), Some(lines[first]))
            } else {
                (find_word_line(&text, &id), None)
            };
            let first_at = first_line.map_or(String::new(), |l| format!(" (first on line {l})"));
            diags.push(
                Diagnostic::error(
                    &shown,
                    line,
                    format!("{kind} `{id}` is defined twice{first_at}"),
                )
                .with_help("ids in a registry must be unique"),
            );
        }
    }
    reg.text = text;
    reg
}

/// A glossary term and each alias must have words: an empty one would match nowhere or
/// everywhere, and a term without a slug has no anchor on the glossary page.
fn check_terms(glossary: &Registry<Term>, diags: &mut Diagnostics) {
    let mut lines: Option<Vec<usize>> = None;
    for (i, t) in glossary.items.iter().enumerate() {
        let empty_alias = t.aliases.iter().any(|a| a.trim().is_empty());
        let problem = if t.term.trim().is_empty() {
            Some("a glossary term is empty".to_string())
        } else if t.id.is_empty() {
            Some(format!(
                "glossary term `{}` has no letters or digits to make its anchor from",
                t.term
            ))
        } else if empty_alias {
            Some(format!("glossary term `{}` has an empty alias", t.term))
        } else {
            None
        };
        if let Some(message) = problem {
            let lines = lines.get_or_insert_with(|| crate::yaml::entry_lines(&glossary.text));
            let line = lines
                .get(i)
                .copied()
                .filter(|_| lines.len() == glossary.items.len());
            diags.push(
                Diagnostic::error(&glossary.file, line, message)
                    .with_help("write the term (and each alias) as the words a page uses"),
            );
        }
    }
}

impl Registries {
    /// Loads `content/_data/{sources,people,glossary}.yaml`; missing files are empty registries.
    pub fn load(content: &Path, rel_content: &Path, diags: &mut Diagnostics) -> Registries {
        let sources = load_one(
            content,
            rel_content,
            "sources.yaml",
            |s: &Source| s.id.clone(),
            "source",
            diags,
        );
        let people = load_one(
            content,
            rel_content,
            "people.yaml",
            |p: &Person| p.id.clone(),
            "person",
            diags,
        );
        let mut glossary = load_one(
            content,
            rel_content,
            "glossary.yaml",
            |t: &Term| slugify(&t.term),
            "glossary term with the anchor",
            diags,
        );
        for t in &mut glossary.items {
            t.id = slugify(&t.term);
        }
        check_terms(&glossary, diags);
        let regs = Registries {
            sources,
            people,
            glossary,
        };
        regs.check_internal(diags);
        regs
    }

    /// References inside the registries themselves (a person's source, a term's source).
    fn check_internal(&self, diags: &mut Diagnostics) {
        let unknown_source = |reg_file: &Path, text: &str, id: &str| {
            Diagnostic::error(
                reg_file,
                find_word_line(text, id),
                format!("unknown source `{id}`"),
            )
            .with_help(self.source_hint(id))
        };
        for p in &self.people.items {
            if let Some(s) = &p.source {
                if self.sources.lacks(s) {
                    diags.push(unknown_source(&self.people.file, &self.people.text, s));
                }
            }
        }
        for t in &self.glossary.items {
            if let Some(s) = &t.source {
                if self.sources.lacks(s) {
                    diags.push(unknown_source(&self.glossary.file, &self.glossary.text, s));
                }
            }
        }
    }

    pub fn source_hint(&self, id: &str) -> String {
        match crate::text::did_you_mean(id, self.sources.ids()) {
            Some(best) => format!(
                "did you mean `{best}`? Sources are listed in {}",
                self.sources.file.display()
            ),
            None => format!(
                "add it to {} or cite a listed source",
                self.sources.file.display()
            ),
        }
    }

    pub fn person_hint(&self, id: &str) -> String {
        match crate::text::did_you_mean(id, self.people.ids()) {
            Some(best) => format!(
                "did you mean `{best}`? People are listed in {}",
                self.people.file.display()
            ),
            None => format!("add the person to {}", self.people.file.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_keep_file_order_and_index_ids() {
        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites/basic/content");
        let mut diags = Diagnostics::default();
        let regs = Registries::load(&content, Path::new("content"), &mut diags);
        assert!(!diags.has_errors(), "{:?}", diags.sorted());
        assert_eq!(regs.sources.items[0].id, "s1");
        assert_eq!(regs.sources.position("s2"), Some(1));
        assert!(regs.sources.contains("s1") && !regs.sources.contains("s9"));
        assert_eq!(
            regs.people.get("minister").map(|p| p.name.as_str()),
            Some("A. Minister")
        );
        // Glossary ids are the slugs of their terms.
        for t in &regs.glossary.items {
            assert_eq!(t.id, slugify(&t.term));
        }
        assert!(regs.source_hint("s").contains("s1") || regs.source_hint("s").contains("sources"));
    }

    #[test]
    fn missing_registries_are_empty() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut diags = Diagnostics::default();
        let regs = Registries::load(tmp.path(), Path::new("content"), &mut diags);
        assert!(!diags.has_errors());
        assert!(regs.sources.items.is_empty() && regs.people.items.is_empty());
    }
}
