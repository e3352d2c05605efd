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
    /// The translated title and the note in another edition's language, by code; the title
    /// itself is the one the source was published under, in every edition.
    #[serde(default, skip_serializing)]
    pub translated_title_in: Words,
    #[serde(default, skip_serializing)]
    pub note_in: Words,
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
    /// The name, role and note in another edition's language, by its code
    /// (`role_in: { ru: "министр иностранных дел России" }`); see [`Registries::in_language`].
    #[serde(default, skip_serializing)]
    pub name_in: Words,
    #[serde(default, skip_serializing)]
    pub role_in: Words,
    #[serde(default, skip_serializing)]
    pub note_in: Words,
}

/// An entry's words in other editions' languages, by language code.
pub type Words = std::collections::BTreeMap<String, String>;

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
    /// Anchor on the glossary page; derived from `term` (the original's, in every edition, so
    /// that a link to a term's anchor names the same entry in each).
    #[serde(skip_deserializing)]
    pub id: String,
    /// The term, its expansion, definition and aliases in another edition's language, by code.
    #[serde(default, skip_serializing)]
    pub term_in: Words,
    #[serde(default, skip_serializing)]
    pub expansion_in: Words,
    #[serde(default, skip_serializing)]
    pub definition_in: Words,
    #[serde(default, skip_serializing)]
    pub aliases_in: std::collections::BTreeMap<String, Vec<String>>,
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
    /// The registries as the edition in `code` shows them: each entry's words in that language
    /// where it gives them (`name_in`, `role_in`, `term_in`, `definition_in` …), the original's
    /// elsewhere. Ids, anchors, sources and parties are facts and stay as they are.
    pub fn in_language(&self, code: &str) -> Registries {
        fn put(field: &mut String, words: &Words, code: &str) {
            if let Some(w) = words.get(code) {
                field.clone_from(w);
            }
        }
        fn put_opt(field: &mut Option<String>, words: &Words, code: &str) {
            if let Some(w) = words.get(code) {
                *field = Some(w.clone());
            }
        }
        let mut r = self.clone();
        for p in &mut r.people.items {
            put(&mut p.name, &p.name_in, code);
            put(&mut p.role, &p.role_in, code);
            put_opt(&mut p.note, &p.note_in, code);
        }
        for t in &mut r.glossary.items {
            put(&mut t.term, &t.term_in, code);
            put_opt(&mut t.expansion, &t.expansion_in, code);
            put(&mut t.definition, &t.definition_in, code);
            if let Some(a) = t.aliases_in.get(code) {
                t.aliases.clone_from(a);
            }
        }
        for src in &mut r.sources.items {
            put_opt(&mut src.translated_title, &src.translated_title_in, code);
            put_opt(&mut src.note, &src.note_in, code);
        }
        r
    }

    /// Warns of every `*_in` that names a language which is not one of the site's other
    /// editions (`others`): its words would never be shown (`check --strict` fails on it).
    pub fn check_languages(&self, others: &[String], diags: &mut Diagnostics) {
        fn check<'a, T>(
            reg: &Registry<T>,
            entries: impl Iterator<Item = (&'a str, Vec<(&'static str, Vec<&'a String>)>)>,
            others: &[String],
            diags: &mut Diagnostics,
        ) {
            for (id, fields) in entries {
                for (field, codes) in fields {
                    for code in codes.into_iter().filter(|c| !others.contains(c)) {
                        let help = if others.is_empty() {
                            "the site has one language; list its editions under `languages:` in site.yaml".to_string()
                        } else {
                            format!("the site's other editions are {}", others.join(", "))
                        };
                        // A warning, not an error: a site that drops an edition keeps
                        // building while its editors remove the words no page shows any more.
                        diags.push(
                            Diagnostic::warning(
                                &reg.file,
                                reg.line_of(id),
                                format!("`{field}` of `{id}` names `{code}`, which is not one of the site's other editions: those words are never shown"),
                            )
                            .with_help(help),
                        );
                    }
                }
            }
        }
        check(
            &self.people,
            self.people.items.iter().map(|p| {
                (
                    p.id.as_str(),
                    vec![
                        ("name_in", p.name_in.keys().collect()),
                        ("role_in", p.role_in.keys().collect()),
                        ("note_in", p.note_in.keys().collect()),
                    ],
                )
            }),
            others,
            diags,
        );
        check(
            &self.glossary,
            self.glossary.items.iter().map(|t| {
                (
                    t.term.as_str(),
                    vec![
                        ("term_in", t.term_in.keys().collect()),
                        ("expansion_in", t.expansion_in.keys().collect()),
                        ("definition_in", t.definition_in.keys().collect()),
                        ("aliases_in", t.aliases_in.keys().collect()),
                    ],
                )
            }),
            others,
            diags,
        );
        check(
            &self.sources,
            self.sources.items.iter().map(|src| {
                (
                    src.id.as_str(),
                    vec![
                        (
                            "translated_title_in",
                            src.translated_title_in.keys().collect(),
                        ),
                        ("note_in", src.note_in.keys().collect()),
                    ],
                )
            }),
            others,
            diags,
        );
    }

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
