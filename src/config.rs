//! `site.yaml`: the site's title, base URL, the two parties and the switches for generated files.

use crate::error::{Diagnostic, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The name of the configuration file at the site root.
pub const CONFIG_FILE: &str = "site.yaml";

/// One side of the bilateral relationship.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    /// Short code used in front matter (`positions: { in: … }`) and CSS classes.
    pub code: String,
    /// CSS colour used as an accent for this party.
    pub colour: String,
}

/// A navigation entry; `path` is relative to the base path.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub title: String,
    pub path: String,
    /// The title in other editions' languages, by language code (`{ ru: Темы }`).
    #[serde(default)]
    pub title_in: std::collections::BTreeMap<String, String>,
}

/// One edition of the site: a language its pages are published in (see `crate::editions`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LanguageSpec {
    /// A BCP 47 tag; also the suffix of translated files (`trade.ru.md`) and the edition's folder
    /// in the output (`/ru/`).
    pub code: String,
    /// The language's name in itself, for the language switcher (`Русский`).
    pub name: String,
    /// The site's title and description in this language (the default edition's otherwise).
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// What a broken internal link does to the build.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LinkPolicy {
    #[default]
    Error,
    Warn,
}

/// Where a site's layouts and assets come from besides its own `layouts/` and `assets/`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// bilat's built-in theme; each file of the site's `layouts/` and `assets/` replaces the
    /// built-in file of the same path.
    #[default]
    Builtin,
    /// No built-in files: the site's `layouts/` and `assets/` are its whole theme.
    None,
}

/// What a link or image to a URL that runs script (`javascript:`, `vbscript:`, `data:` other than
/// an image) does to the build. Such a URL on a page published under a shared origin (all of an
/// owner's `owner.github.io` project sites share one) can act for the reader on every site there.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScriptUrlPolicy {
    /// A build error naming the file and line.
    #[default]
    Error,
    /// Kept as written: for sites whose every contributor is trusted with script.
    Allow,
}

fn yes() -> bool {
    true
}

/// The typed contents of `site.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Where the site is published, e.g. `https://owner.github.io/repo/`. Its path is the base path.
    pub base_url: String,
    /// The site's BCP 47 language tag: `<html lang>`, and the formats of dates and numbers
    /// (`crate::locale`).
    #[serde(default = "default_language")]
    pub language: String,
    /// The site's editions, the default `language` among them; empty for a site in one language.
    #[serde(default)]
    pub languages: Vec<LanguageSpec>,
    #[serde(default)]
    pub publisher: String,
    pub parties: Vec<Party>,
    #[serde(default)]
    pub menu: Vec<MenuItem>,
    /// Custom domain for GitHub Pages; written to `CNAME`.
    #[serde(default)]
    pub cname: Option<String>,
    #[serde(default = "yes")]
    pub feed: bool,
    #[serde(default = "yes")]
    pub sitemap: bool,
    #[serde(default = "yes")]
    pub search: bool,
    #[serde(default = "yes")]
    pub minify: bool,
    #[serde(default)]
    pub broken_links: LinkPolicy,
    /// A Wayback-compatible availability API, asked by `check --external` for archived copies of
    /// dead sources (default: the Wayback Machine's).
    #[serde(default)]
    pub archive_api: Option<String>,
    /// `builtin` (the default) or `none`.
    #[serde(default)]
    pub theme: Theme,
    #[serde(default)]
    pub script_urls: ScriptUrlPolicy,
    /// A 1200×630 PNG per content page for link previews (`og:image`), drawn at build time.
    #[serde(default = "yes")]
    pub social_cards: bool,
    /// How many items a paginated list page shows (sections, tags, timeline, people, sources);
    /// a list is paginated where its template reads `paginator`.
    #[serde(default = "default_paginate_by")]
    pub paginate_by: usize,
    #[serde(default)]
    pub extra: serde_yaml::Mapping,
}

fn default_paginate_by() -> usize {
    100
}

fn default_language() -> String {
    "en".to_string()
}

impl Config {
    /// Reads and validates `site.yaml` under `root`.
    pub fn load(root: &Path) -> Result<Config> {
        let path = root.join(CONFIG_FILE);
        // A site.yaml that is a link out of the site is never read.
        if let Some(d) = crate::bounds::Bounds::new(root).check_diag(&path) {
            return Err(Error::Build(vec![d]));
        }
        // A FIFO or a device would block or never end: read a regular file only.
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Err(Error::Build(vec![Diagnostic::error(
                CONFIG_FILE,
                None,
                "site.yaml is not a regular file",
            )]));
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Build(vec![Diagnostic::error(CONFIG_FILE, None, "site.yaml not found")
                    .with_help(format!(
                        "run bilat in a site's root folder, pass --root DIR, or create one with `bilat init DIR` (looked in {})",
                        root.display()
                    ))])
            } else {
                Error::io(&path, e)
            }
        })?;
        // The same decoding as content files: UTF-8 checked with a line, BOM and CR handled.
        let text = crate::text::decode_text(Path::new(CONFIG_FILE), bytes)
            .map_err(|d| Error::Build(vec![d]))?;
        Config::parse(&text)
    }

    /// Parses `site.yaml` text; every problem names its line.
    pub fn parse(text: &str) -> Result<Config> {
        let config: Config = crate::yaml::parse(std::path::Path::new(CONFIG_FILE), text, 1)
            .map_err(|d| Error::Build(vec![d]))?;
        config.validate(text)?;
        Ok(config)
    }

    fn validate(&self, text: &str) -> Result<()> {
        let mut problems = Vec::new();
        let line = |key: &str| crate::text::find_key_line(text, key);
        if self.parties.len() != 2 {
            problems.push(
                Diagnostic::error(
                    CONFIG_FILE,
                    line("parties"),
                    format!(
                        "`parties` lists {} parties; a bilateral site needs exactly two",
                        self.parties.len()
                    ),
                )
                .with_help(
                    "list the two countries as `- { name: Country A, code: aa, colour: \"#b45309\" }`",
                ),
            );
        }
        if self.parties.len() == 2 && self.parties[0].code == self.parties[1].code {
            problems.push(Diagnostic::error(
                CONFIG_FILE,
                line("parties"),
                "the two parties share one code; give each its own",
            ));
        }
        for p in &self.parties {
            if p.code.is_empty()
                || !p
                    .code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                problems.push(Diagnostic::error(
                    CONFIG_FILE,
                    crate::text::find_word_line(text, &p.code).or(line("parties")),
                    format!("party code `{}` must be letters, digits or dashes", p.code),
                ));
            }
        }
        if self.paginate_by == 0 {
            problems.push(
                Diagnostic::error(CONFIG_FILE, line("paginate_by"), "`paginate_by` is 0")
                    .with_help("give the number of items a list page shows, such as 100"),
            );
        }
        if let Err(msg) = crate::locale::Locale::get(&self.language) {
            problems.push(
                Diagnostic::error(CONFIG_FILE, line("language"), msg)
                    .with_help("write a BCP 47 tag such as `en`, `ru`, `hi` or `pt-BR`"),
            );
        }
        self.validate_languages(text, &line, &mut problems);
        if let Err(msg) = parse_base_url(&self.base_url) {
            problems.push(Diagnostic::error(CONFIG_FILE, line("base_url"), msg));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Build(problems))
        }
    }

    /// `languages:` names each edition once, by a tag ICU knows and a code that can be a file
    /// suffix and a folder name, and includes the default `language`.
    fn validate_languages(
        &self,
        text: &str,
        line: &dyn Fn(&str) -> Option<usize>,
        problems: &mut Vec<Diagnostic>,
    ) {
        if self.languages.is_empty() {
            return;
        }
        let mut seen: Vec<&str> = Vec::new();
        for l in &self.languages {
            let at = crate::text::find_word_line(text, &l.code).or(line("languages"));
            if !l
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                || l.code.is_empty()
            {
                problems.push(
                    Diagnostic::error(
                        CONFIG_FILE,
                        at,
                        format!("language code `{}` must be lower-case letters, digits or dashes", l.code),
                    )
                    .with_help("it names translated files (`trade.ru.md`) and the edition's folder (`/ru/`); write a tag such as `ru`, `hi` or `pt-br`"),
                );
            } else if let Err(msg) = crate::locale::Locale::get(&l.code) {
                problems.push(Diagnostic::error(CONFIG_FILE, at, msg));
            }
            if seen.contains(&l.code.as_str()) {
                problems.push(Diagnostic::error(
                    CONFIG_FILE,
                    at,
                    format!("language `{}` is listed twice in `languages`", l.code),
                ));
            }
            seen.push(&l.code);
        }
        if !seen.contains(&self.language.as_str()) {
            problems.push(
                Diagnostic::error(
                    CONFIG_FILE,
                    line("languages"),
                    format!(
                        "`languages` lists {} but not the default language `{}`",
                        seen.iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        self.language
                    ),
                )
                .with_help(
                    "add the default language to `languages`, or set `language:` to one of them",
                ),
            );
        }
    }

    /// The path part of `base_url`, always starting and ending with `/` (e.g. `/bilat/`).
    pub fn base_path(&self) -> String {
        parse_base_url(&self.base_url)
            .map(|(_, path)| path)
            .unwrap_or_else(|_| "/".to_string())
    }

    /// `base_url` with exactly one trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}/", self.base_url.trim_end_matches('/'))
    }
}

/// Splits a base URL into origin and path; the path is normalised to `/…/`.
pub fn parse_base_url(url: &str) -> std::result::Result<(String, String), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("base_url `{url}` must start with https:// or http://"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(format!("base_url `{url}` has no host"));
    }
    if path.contains(['?', '#']) {
        return Err(format!(
            "base_url `{url}` must not have a query or fragment"
        ));
    }
    Ok((
        url[..url.len() - path.len()].to_string(),
        normalize_base_path(path),
    ))
}

/// `repo`, `/repo`, `/repo/` → `/repo/`; empty → `/`.
pub fn normalize_base_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        format!("/{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        assert_eq!(
            parse_base_url("https://o.github.io/repo").unwrap().1,
            "/repo/"
        );
        assert_eq!(parse_base_url("https://example.org").unwrap().1, "/");
        assert!(parse_base_url("example.org").is_err());
        assert_eq!(normalize_base_path("a/b"), "/a/b/");
    }

    #[test]
    fn a_language_that_is_not_a_tag_names_its_line() {
        let text = "title: T\nbase_url: https://x.org/\nlanguage: \"english please\"\nparties:\n  - { name: A, code: a, colour: red }\n  - { name: B, code: b, colour: blue }\n";
        let Err(Error::Build(diags)) = Config::parse(text) else {
            panic!("a bad language tag was accepted");
        };
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].line, Some(3));
        assert!(
            diags[0].message.contains("english please"),
            "{}",
            diags[0].message
        );
        assert!(Config::parse(&text.replace("\"english please\"", "ru")).is_ok());
    }
}
