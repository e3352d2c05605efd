//! UI strings of the layouts in the reader's language: the words the templates write around the
//! content ("In brief", "Sources", "Skip to content", "5 min read"), looked up by key in a table per
//! language with English as the fallback, for the `t()` template function (see
//! [`super::register_helpers`]).
//!
//! Tables are flat YAML maps from key to text, one file per language named by its tag:
//! `layouts/i18n/ru.yaml`. The built-in theme ships `en`, `ru`, `hi` and `ar`
//! ([`crate::theme::builtin_string_tables`]); a site's own file of the same language overrides or
//! adds keys one by one, and a site may add tables for other languages. A text may hold
//! placeholders, `{name}`, filled from the arguments of the call (`t(key="reading_time", n=5)`);
//! a counted text is a map of CLDR plural categories instead of one string:
//!
//! ```yaml
//! pages_count:
//!   one: "{n} page"
//!   other: "{n} pages"
//! ```
//!
//! and `n` picks the form ([`crate::locale::Locale::plural`]). A text is plain text: it is escaped
//! like any value; HTML goes in through a placeholder whose value is already safe (a component's
//! output).
//!
//! This module owns reading, merging and looking up the tables and filling placeholders; the
//! language of a page (`site.language`) and escaping are left to the template function, plural
//! rules to [`crate::locale`], reporting missing keys to [`crate::check`].

use crate::error::{Diagnostic, Diagnostics};
use crate::locale::{Locale, Plural};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The language every table falls back to, and whose table defines which keys exist.
pub const FALLBACK: &str = "en";

/// One UI string: a text, or one text per plural category.
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    One(String),
    Counted(BTreeMap<Plural, String>),
}

/// One key of a table.
#[derive(Debug, Clone)]
struct Entry {
    text: Text,
}

/// The UI strings of every language a site has a table for, built-in and its own merged.
#[derive(Debug, Default)]
pub struct Strings {
    /// Language tag (lower case, `-` between subtags) → key → text.
    tables: BTreeMap<String, BTreeMap<String, Entry>>,
    /// Language tag → the site's own table file, if it has one.
    site_files: BTreeMap<String, PathBuf>,
}

/// A language tag as tables are keyed: lower case, `-` between subtags (`pt_BR` → `pt-br`).
fn normal_tag(tag: &str) -> String {
    tag.trim().replace('_', "-").to_ascii_lowercase()
}

impl Strings {
    /// The built-in tables alone (a site without `layouts/i18n/`).
    pub fn builtin() -> Strings {
        let mut s = Strings::default();
        let mut diags = Diagnostics::default();
        for (lang, text) in crate::theme::builtin_string_tables() {
            let shown = PathBuf::from(format!(
                "the built-in {}/{}/{lang}.yaml",
                super::LAYOUTS_DIR,
                crate::theme::STRINGS_DIR
            ));
            s.add(&lang, &shown, text, &mut diags);
        }
        // A test parses every built-in table; nothing can be reported here.
        debug_assert!(diags.0.is_empty(), "{:?}", diags.0);
        s
    }

    /// The built-in tables with the site's `layouts/i18n/*.yaml` over them, key by key. Problems in
    /// the site's tables are reported to `diags` (a bad table adds none of its keys).
    pub fn load(root: &Path, diags: &mut Diagnostics) -> Strings {
        let mut s = Strings::builtin();
        let dir = root
            .join(super::LAYOUTS_DIR)
            .join(crate::theme::STRINGS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return s;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if crate::content::is_ignored_name(&name) {
                continue;
            }
            let shown = Path::new(super::LAYOUTS_DIR)
                .join(crate::theme::STRINGS_DIR)
                .join(&name);
            let Some(lang) = name.strip_suffix(".yaml").or(name.strip_suffix(".yml")) else {
                diags.push(
                    Diagnostic::error(
                        &shown,
                        None,
                        "a table of UI strings must be a .yaml file named by its language",
                    )
                    .with_help("name it by a language tag, such as layouts/i18n/ru.yaml"),
                );
                continue;
            };
            if Locale::get(lang).is_err() {
                diags.push(
                    Diagnostic::error(&shown, None, format!("`{lang}` is not a language tag"))
                        .with_help(
                        "name the table by a BCP 47 language tag, such as ru.yaml or pt-BR.yaml",
                    ),
                );
                continue;
            }
            match std::fs::read(&path).map(|b| crate::text::decode_text(&shown, b)) {
                Ok(Ok(text)) => {
                    s.site_files.insert(normal_tag(lang), shown.clone());
                    s.add(lang, &shown, &text, diags)
                }
                Ok(Err(d)) => diags.push(d),
                Err(e) => diags.push(Diagnostic::error(&shown, None, format!("cannot read: {e}"))),
            }
        }
        s
    }

    /// Parses one table and puts its keys over those already there for `lang`.
    fn add(&mut self, lang: &str, shown: &Path, text: &str, diags: &mut Diagnostics) {
        let map: serde_yaml::Mapping = match crate::yaml::parse(shown, text, 1) {
            Ok(serde_yaml::Value::Null) => return,
            Ok(serde_yaml::Value::Mapping(m)) => m,
            Ok(_) => {
                diags.push(
                    Diagnostic::error(shown, Some(1), "a table of UI strings must be a map of `key: text`")
                        .with_help("write one `key: \"text\"` per line, as in the built-in tables (`bilat theme eject layouts/i18n/en.yaml`)"),
                );
                return;
            }
            Err(d) => {
                diags.push(d);
                return;
            }
        };
        let mut found = Vec::new();
        let before = diags.0.len();
        for (k, v) in map {
            let Some(key) = k.as_str().map(str::to_string) else {
                diags.push(Diagnostic::error(
                    shown,
                    None,
                    format!("key `{}` is not text", yaml_scalar(&k)),
                ));
                continue;
            };
            let line = crate::text::find_key_line(text, &key);
            let bad = |what: String| {
                Diagnostic::error(shown, line, format!("`{key}`: {what}"))
                    .with_help("a UI string is text, or for a counted phrase a map of plural categories: `{ one: \"{n} page\", other: \"{n} pages\" }`")
            };
            let text = match v {
                serde_yaml::Value::String(s) => Text::One(s),
                serde_yaml::Value::Mapping(m) => {
                    let mut forms = BTreeMap::new();
                    let mut ok = true;
                    for (c, t) in m {
                        let name = yaml_scalar(&c);
                        match (Plural::from_name(&name), t.as_str()) {
                            (Some(p), Some(t)) => {
                                forms.insert(p, t.to_string());
                            }
                            (None, _) => {
                                diags.push(bad(format!(
                                    "`{name}` is not a plural category (zero, one, two, few, many, other)"
                                )));
                                ok = false;
                            }
                            (Some(_), None) => {
                                diags.push(bad(format!("the `{name}` form is not text")));
                                ok = false;
                            }
                        }
                    }
                    if ok && !forms.contains_key(&Plural::Other) {
                        diags.push(bad("a counted phrase needs its `other` form".into()));
                        ok = false;
                    }
                    if !ok {
                        continue;
                    }
                    Text::Counted(forms)
                }
                other => {
                    diags.push(bad(format!(
                        "expected text, found `{}`",
                        yaml_scalar(&other)
                    )));
                    continue;
                }
            };
            found.push((key, Entry { text }));
        }
        if diags.0.len() > before {
            return;
        }
        self.tables
            .entry(normal_tag(lang))
            .or_default()
            .extend(found);
    }

    /// The tables consulted for `lang`, in order: the tag itself, its language alone (`pt-br`,
    /// then `pt`), then English.
    fn chain(&self, lang: &str) -> Vec<(&str, &BTreeMap<String, Entry>)> {
        let tag = normal_tag(lang);
        let mut names = vec![tag.clone()];
        let mut cut = tag.as_str();
        while let Some((head, _)) = cut.rsplit_once('-') {
            names.push(head.to_string());
            cut = head;
        }
        names.push(FALLBACK.to_string());
        let mut out: Vec<(&str, &BTreeMap<String, Entry>)> = Vec::new();
        for n in names {
            if let Some((name, table)) = self.tables.get_key_value(&n) {
                if !out.iter().any(|(o, _)| *o == name.as_str()) {
                    out.push((name.as_str(), table));
                }
            }
        }
        out
    }

    /// The text of `key` for `lang`, with the language of the table it came from; `None` when no
    /// table in the chain (English included) has it.
    pub fn lookup(&self, lang: &str, key: &str) -> Option<(&str, &Text)> {
        self.chain(lang)
            .into_iter()
            .find_map(|(name, table)| table.get(key).map(|e| (name, &e.text)))
    }

    /// Whether English, the fallback, defines `key`.
    pub fn is_known(&self, key: &str) -> bool {
        self.tables
            .get(FALLBACK)
            .is_some_and(|t| t.contains_key(key))
    }

    /// The text of `key` in `lang` with its placeholders filled: `n` (a number as decimal text)
    /// picks the plural form of a counted phrase and fills `{n}`; `args` fill the others.
    /// Each argument is given as already-escaped text, `escape` escapes the table's own text.
    pub fn format(
        &self,
        lang: &str,
        key: &str,
        n: Option<&str>,
        args: &[(&str, String)],
        escape: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<String, String> {
        let Some((from, text)) = self.lookup(lang, key) else {
            let near = self
                .tables
                .get(FALLBACK)
                .and_then(|t| crate::text::did_you_mean(key, t.keys().map(String::as_str)))
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            return Err(format!(
                "t: no UI string `{key}` in the English table (layouts/i18n/en.yaml){near}"
            ));
        };
        let pattern = match text {
            Text::One(s) => s.as_str(),
            Text::Counted(forms) => {
                let Some(n) = n else {
                    return Err(format!(
                        "t: `{key}` is a counted phrase; give the count as `n`"
                    ));
                };
                // The form of the table's language (a missing one falls back to `other`).
                let locale = Locale::get(from).map_err(|e| format!("t: {e}"))?;
                let category = locale.plural(n).map_err(|e| format!("t: `n`: {e}"))?;
                forms
                    .get(&category)
                    .or_else(|| forms.get(&Plural::Other))
                    .map(String::as_str)
                    .unwrap_or_default()
            }
        };
        fill(pattern, n, args, escape).map_err(|name| {
            format!("t: the `{from}` text of `{key}` has the placeholder {{{name}}}, which this call does not give")
        })
    }

    /// The text of `key` in `lang` as plain text, for a title the engine writes (a generated
    /// page's, `timeline` → «Хронология»); `None` for an unknown key or one that needs arguments.
    pub fn plain(&self, lang: &str, key: &str) -> Option<String> {
        self.format(lang, key, None, &[], &|t| Ok(t.to_string()))
            .ok()
    }

    /// The text of `key` as the table holds it, unfilled: one string, or a map of plural
    /// category → string (for scripts that fill it themselves).
    pub fn raw(&self, lang: &str, key: &str) -> Option<&Text> {
        self.lookup(lang, key).map(|(_, t)| t)
    }

    /// For each language in `languages` other than English, the keys of the English table that its
    /// own tables (the tag and its language) do not have, and the plural forms the language uses
    /// that a counted phrase lacks (`pages_count.few`): those show in English, or in the `other`
    /// form. Each with where the English key is written.
    pub fn missing(&self, languages: &[&str]) -> Vec<Missing> {
        let Some(english) = self.tables.get(FALLBACK) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for lang in languages {
            let tag = normal_tag(lang);
            if tag == FALLBACK || tag.starts_with("en-") {
                continue;
            }
            let own: Vec<&BTreeMap<String, Entry>> = self
                .chain(lang)
                .into_iter()
                .filter(|(name, _)| *name != FALLBACK)
                .map(|(_, t)| t)
                .collect();
            let categories = Locale::get(lang)
                .map(|l| l.plural_categories())
                .unwrap_or_default();
            let mut keys = Vec::new();
            for (key, entry) in english {
                match own.iter().find_map(|t| t.get(key)) {
                    None => keys.push(key.clone()),
                    Some(Entry {
                        text: Text::Counted(forms),
                        ..
                    }) if matches!(entry.text, Text::Counted(_)) => {
                        for c in &categories {
                            if !forms.contains_key(c) {
                                keys.push(format!("{key}.{}", c.as_str()));
                            }
                        }
                    }
                    Some(_) => {}
                }
            }
            if !keys.is_empty() {
                out.push(Missing {
                    language: lang.to_string(),
                    site_table: self.site_files.get(&tag).cloned(),
                    has_table: !own.is_empty(),
                    keys,
                });
            }
        }
        out
    }
}

/// The keys one language's table lacks (see [`Strings::missing`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    pub language: String,
    /// The site's own table of the language (`layouts/i18n/ru.yaml`), if it has one.
    pub site_table: Option<PathBuf>,
    /// Whether the language has any table, built in or the site's.
    pub has_table: bool,
    pub keys: Vec<String>,
}

fn yaml_scalar(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Null => "null".into(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Sequence(_) => "a list".into(),
        serde_yaml::Value::Mapping(_) => "a map".into(),
        serde_yaml::Value::Tagged(_) => "a tagged value".into(),
    }
}

/// `pattern` with each `{name}` replaced: `{n}` by the count, others by `args` (already escaped);
/// the text around them is escaped. A `{` that does not open a placeholder name is text. `Err`
/// names a placeholder no argument fills.
fn fill(
    pattern: &str,
    n: Option<&str>,
    args: &[(&str, String)],
    escape: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut plain = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let is_placeholder = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && after[name_len..].starts_with('}');
        if !is_placeholder {
            plain.push_str(&rest[..open + 1]);
            rest = after;
            continue;
        }
        plain.push_str(&rest[..open]);
        let value = match (name, n) {
            ("n", Some(n)) => Some(n.to_string()),
            _ => args
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone()),
        };
        let Some(value) = value else {
            return Err(name.to_string());
        };
        out.push_str(&escape(&plain)?);
        plain.clear();
        out.push_str(&value);
        rest = &after[name_len + 1..];
    }
    plain.push_str(rest);
    out.push_str(&escape(&plain)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(s: &str) -> Result<String, String> {
        Ok(s.to_string())
    }

    fn html(s: &str) -> Result<String, String> {
        Ok(s.replace('&', "&amp;").replace('<', "&lt;"))
    }

    #[test]
    fn every_built_in_table_parses_and_english_has_every_key() {
        let mut diags = Diagnostics::default();
        let mut s = Strings::default();
        for (lang, text) in crate::theme::builtin_string_tables() {
            s.add(&lang, Path::new("t.yaml"), text, &mut diags);
        }
        assert!(diags.0.is_empty(), "{:?}", diags.0);
        for lang in ["en", "ru", "hi", "ar"] {
            assert!(s.tables.contains_key(lang), "{lang}");
        }
        let english = &s.tables["en"];
        for (lang, table) in &s.tables {
            for key in table.keys() {
                assert!(
                    english.contains_key(key),
                    "{lang} has `{key}`, English does not"
                );
            }
        }
        // The built-in translations are complete, plural forms included.
        assert_eq!(s.missing(&["ru", "hi", "ar"]), Vec::new());
    }

    #[test]
    fn lookups_fall_back_along_the_tag_then_to_english() {
        let mut s = Strings::default();
        let mut diags = Diagnostics::default();
        s.add(
            "en",
            Path::new("en.yaml"),
            "a: A\nb: B\npages:\n  one: '{n} page'\n  other: '{n} pages'\n",
            &mut diags,
        );
        s.add("pt", Path::new("pt.yaml"), "a: A-pt\nb: B-pt\n", &mut diags);
        s.add("pt-BR", Path::new("pt-BR.yaml"), "a: A-br\n", &mut diags);
        s.add(
            "ru",
            Path::new("ru.yaml"),
            "pages:\n  one: '{n} страница'\n  few: '{n} страницы'\n  other: '{n} страницы'\n",
            &mut diags,
        );
        assert!(diags.0.is_empty(), "{:?}", diags.0);
        let f = |lang: &str, key: &str, n: Option<&str>| s.format(lang, key, n, &[], &none);
        assert_eq!(f("pt-BR", "a", None).expect("a"), "A-br");
        assert_eq!(f("pt_br", "b", None).expect("b"), "B-pt");
        assert_eq!(f("de", "a", None).expect("a"), "A");
        assert_eq!(f("ru", "pages", Some("1")).expect("1"), "1 страница");
        assert_eq!(f("ru", "pages", Some("3")).expect("3"), "3 страницы");
        // No `many` form: `other`.
        assert_eq!(f("ru", "pages", Some("5")).expect("5"), "5 страницы");
        assert_eq!(f("en", "pages", Some("1")).expect("1"), "1 page");
        assert_eq!(s.plain("pt-BR", "b").as_deref(), Some("B-pt"));
        assert_eq!(s.plain("ru", "pages"), None);
        let err = f("ru", "pagse", None).expect_err("unknown");
        assert!(err.contains("did you mean `pages`"), "{err}");
        let err = f("en", "pages", None).expect_err("no count");
        assert!(err.contains("give the count as `n`"), "{err}");
        let missing = s.missing(&["en", "ru", "pt-BR", "de"]);
        let keys: Vec<(&str, Vec<&str>)> = missing
            .iter()
            .map(|m| {
                (
                    m.language.as_str(),
                    m.keys.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                ("ru", vec!["a", "b", "pages.many"]),
                ("pt-BR", vec!["pages"]),
                ("de", vec!["a", "b", "pages"]),
            ]
        );
        assert!(missing[1].has_table);
        assert!(!missing[2].has_table);
    }

    #[test]
    fn placeholders_are_filled_and_the_text_escaped() {
        let args = [("who", "<b>x</b>".to_string())];
        assert_eq!(
            fill("Fish & {who} {n}{", Some("3"), &args, &html).expect("filled"),
            "Fish &amp; <b>x</b> 3{"
        );
        assert_eq!(
            fill("{} {1} {not closed", None, &[], &html).expect("text"),
            "{} {1} {not closed"
        );
        assert_eq!(fill("a {gone} b", None, &[], &none), Err("gone".into()));
    }

    #[test]
    fn bad_tables_are_reported_at_their_line_and_add_nothing() {
        let mut s = Strings::default();
        let mut diags = Diagnostics::default();
        s.add(
            "ru",
            Path::new("layouts/i18n/ru.yaml"),
            "ok: fine\nlist: [1, 2]\npages:\n  one: x\n  several: y\ncount:\n  one: x\n",
            &mut diags,
        );
        let got: Vec<(Option<usize>, &str)> = diags
            .0
            .iter()
            .map(|d| (d.line, d.message.as_str()))
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], (Some(2), "`list`: expected text, found `a list`"));
        assert!(
            got[1].1.contains("`several` is not a plural category"),
            "{got:?}"
        );
        assert_eq!(got[1].0, Some(3));
        assert!(got[2].1.contains("needs its `other` form"), "{got:?}");
        assert_eq!(got[2].0, Some(6));
        assert!(s.tables.is_empty());
        let mut diags = Diagnostics::default();
        s.add("ru", Path::new("ru.yaml"), "a: [unclosed\n", &mut diags);
        assert_eq!(diags.0.len(), 1);
        s.add("ru", Path::new("ru.yaml"), "- a\n", &mut diags);
        assert!(diags.0[1].message.contains("map of `key: text`"));
    }
}
