//! Writing new things: `bilat new topic SLUG` and `bilat init DIR` (a whole new explainer for
//! another pair of countries, which builds with the built-in theme of [`crate::theme`]).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Default accent colours for the two parties (both pass WCAG AA as borders on white and black).
const COLOURS: [&str; 2] = ["#b45309", "#1d4ed8"];

fn write_new(path: &Path, text: &[u8]) -> Result<()> {
    if path.exists() {
        return Err(Error::Refused(format!(
            "{} already exists; not overwriting it",
            path.display()
        )));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

fn title_case(slug: &str) -> String {
    slug.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn today() -> String {
    jiff::ZonedDateTime::now().date().to_string()
}

/// Writes `content/topics/SLUG.md` with valid front matter; refuses to overwrite.
pub fn new_topic(root: &Path, slug: &str) -> Result<PathBuf> {
    if slug.is_empty() || crate::text::slugify(slug) != slug {
        return Err(Error::Refused(format!(
            "`{slug}` is not a slug: use lowercase letters, digits and dashes (e.g. `{}`)",
            crate::text::slugify(slug)
        )));
    }
    if !root.join(crate::config::CONFIG_FILE).exists() {
        return Err(Error::Refused(format!(
            "{} has no site.yaml; run this in a site's root or pass --root",
            root.display()
        )));
    }
    let path = root.join("content/topics").join(format!("{slug}.md"));
    let text = format!(
        r#"---
title: "{title}"
summary: "One or two sentences: what a reader should take away."
date: {date}
tags: []
# in_brief, figures, quotes, positions, timeline, next and related are optional;
# see docs/FORMAT.md. Every figure, quote and timeline entry cites a source id
# from content/_data/sources.yaml.
---
Write the topic here, in your own words. Cite a source right after the claim it
supports, like this: [@source-id].
"#,
        title = title_case(slug),
        date = today()
    );
    write_new(&path, text.as_bytes())?;
    Ok(path)
}

/// One party given on the command line as `Name:code`: any name without control characters, and
/// a code of two letters in the shape of ISO 3166-1 alpha-2 (`jp`, `au`), lowercased.
pub fn parse_party(arg: &str) -> std::result::Result<(String, String), String> {
    let (name, code) = arg
        .rsplit_once(':')
        .ok_or_else(|| format!("`{arg}`: write a party as Name:code, e.g. \"Country A:aa\""))?;
    let (name, code) = (name.trim(), code.trim().to_ascii_lowercase());
    if name.is_empty() {
        return Err(format!("`{arg}`: the party's name is empty"));
    }
    // Names are written into YAML comments and Markdown as well as quoted YAML values: a line
    // break or other control character would end a comment and inject front matter.
    if name.chars().any(char::is_control) {
        return Err(format!(
            "`{}`: the name must not contain line breaks or other control characters",
            arg.escape_debug()
        ));
    }
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(format!(
            "`{arg}`: the code must be two letters, as in ISO 3166-1 alpha-2 (e.g. jp, au)"
        ));
    }
    Ok((name.to_string(), code))
}

/// A language given on the command line (`--language ru`, `--edition pt-BR`): a BCP 47 tag that
/// ICU knows, written as site.yaml's `languages:` needs it, in lower case with `-` (`pt-br`), since
/// it also names translated files (`trade.pt-br.md`) and the edition's folder (`/pt-br/`).
pub fn parse_language(arg: &str) -> std::result::Result<String, String> {
    let tag = arg.trim().replace('_', "-").to_ascii_lowercase();
    if tag.is_empty()
        || !tag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "`{}`: a language is a BCP 47 tag of letters, digits and dashes, such as en, ru, hi or pt-BR",
            arg.escape_debug()
        ));
    }
    crate::locale::Locale::get(&tag).map_err(|e| format!("`{arg}`: {e}"))?;
    // A well-formed tag can still name no language (`jp` is Japan's country code; Japanese is `ja`).
    if language_of(&tag).is_none() {
        let primary = tag.split('-').next().unwrap_or(&tag);
        // Two letters are most often a country's code given for its language.
        let hint = if primary.len() == 2 {
            " (a country's code is not its language's: Japanese is ja, not jp)"
        } else {
            ""
        };
        return Err(format!(
            "`{arg}`: `{primary}` is not a language in ISO 639{hint}"
        ));
    }
    Ok(tag)
}

/// The ISO 639 language of a tag's primary subtag.
fn language_of(tag: &str) -> Option<isolang::Language> {
    let primary = tag.split('-').next().unwrap_or(tag);
    match primary.len() {
        2 => isolang::Language::from_639_1(primary),
        3 => isolang::Language::from_639_3(primary),
        _ => None,
    }
}

/// The language's name in itself for the language switcher, from CLDR's names (`ru` →
/// `Русский`, capitalised as a menu item is), or the tag where CLDR has none.
fn language_name(tag: &str) -> String {
    let name = language_of(tag).and_then(|l| l.to_autonym());
    match name {
        Some(n) => {
            let mut chars = n.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_else(|| tag.to_string())
        }
        None => tag.to_string(),
    }
}

/// A YAML double-quoted scalar holding exactly `s` (JSON's string syntax is valid YAML).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `s` as Markdown text that renders as itself: every ASCII punctuation mark is escaped.
fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What `bilat init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    /// The two parties as (name, code).
    pub parties: Vec<(String, String)>,
    /// Write into a folder that already holds files, keeping every file it has.
    pub force: bool,
    /// The site's language, its default edition's (`en`), as [`parse_language`] gives it.
    pub language: String,
    /// The other editions' languages (`ja`), each in its folder (`/ja/`); none for a site in one
    /// language.
    pub editions: Vec<String>,
}

/// What `bilat init` wrote, and what to run next.
#[derive(Debug, Clone)]
pub struct Initialized {
    pub written: Vec<PathBuf>,
    /// Files of a non-empty folder (`--force`) that init would have written, left as they were.
    pub kept: Vec<PathBuf>,
    /// The next three commands, with what each does.
    pub next: Vec<(String, &'static str)>,
}

/// The release of bilat that the Pages workflow of a new site installs: this one.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the release archives are downloaded from: `<this>/v<version>/<archive>`.
pub fn releases_url() -> String {
    format!(
        "{}/releases/download",
        env!("CARGO_PKG_REPOSITORY").trim_end_matches('/')
    )
}

/// The GitHub Pages workflow of a new site, installing release `version` of bilat.
pub fn pages_workflow(version: &str) -> String {
    include_str!("init/pages.yml")
        .replace("@VERSION@", version)
        .replace("@RELEASES@", &releases_url())
}

/// Writes a complete, publishable site for another pair of countries into `dir`: site.yaml,
/// content (home, about, a topic using every explainer field and the registry entries it cites),
/// `.gitignore`, a README for its editors and a GitHub Pages workflow. Everything is checked
/// before anything is written: a folder that already holds a site, or any file unless `force`.
pub fn init(opts: &InitOptions) -> Result<Initialized> {
    let (dir, parties) = (&opts.dir, &opts.parties);
    if parties.len() != 2 {
        return Err(Error::Refused(format!(
            "a bilateral site needs exactly two parties, got {}",
            parties.len()
        )));
    }
    for (name, code) in parties {
        parse_party(&format!("{name}:{code}")).map_err(Error::Refused)?;
    }
    if parties[0].1 == parties[1].1 {
        return Err(Error::Refused(
            "the two parties need different codes".into(),
        ));
    }
    for tag in std::iter::once(&opts.language).chain(&opts.editions) {
        parse_language(tag).map_err(Error::Refused)?;
    }
    for (i, tag) in opts.editions.iter().enumerate() {
        if *tag == opts.language {
            return Err(Error::Refused(format!(
                "`--edition {tag}` is the site's language already (--language {})",
                opts.language
            )));
        }
        if opts.editions[..i].contains(tag) {
            return Err(Error::Refused(format!("`--edition {tag}` is given twice")));
        }
    }
    if dir.join(crate::config::CONFIG_FILE).exists() {
        return Err(Error::Refused(format!(
            "{} already holds a site (site.yaml exists)",
            dir.display()
        )));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Refused(format!(
            "{} is a file, not a folder",
            dir.display()
        )));
    }
    // A `.git` alone does not count: `git init` first, then `bilat init .`, is a natural order.
    let non_empty = std::fs::read_dir(dir)
        .is_ok_and(|mut d| d.any(|e| e.map_or(true, |e| e.file_name() != ".git")));
    if non_empty && !opts.force {
        return Err(Error::Refused(format!(
            "{} is not empty; pass --force to write the site into it (files it has are kept)",
            dir.display()
        )));
    }
    let files = site_files(&parties[0], &parties[1], &opts.language, &opts.editions);
    let mut report = Initialized {
        written: Vec::new(),
        kept: Vec::new(),
        next: next_commands(dir),
    };
    for (rel, text) in files {
        let path = dir.join(rel);
        if path.exists() {
            report.kept.push(path);
            continue;
        }
        write_new(&path, text.as_bytes())?;
        report.written.push(path);
    }
    Ok(report)
}

fn next_commands(dir: &Path) -> Vec<(String, &'static str)> {
    let shown = dir.display().to_string();
    // Quoted for a POSIX shell where it needs quotes; a control character is shown escaped, never
    // sent to the terminal as it is.
    let cd = if shown
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        format!("cd {shown}")
    } else if shown.chars().any(char::is_control) {
        format!("cd {}", shown.escape_debug())
    } else {
        format!("cd '{}'", shown.replace('\'', "'\\''"))
    };
    vec![
        (cd, "the new site's folder"),
        (
            "bilat serve --open".into(),
            "preview it; pages reload as you edit content/",
        ),
        (
            "git init -b main && git add -A && git commit -m \"A new explainer\"".into(),
            "then push to GitHub and choose Settings → Pages → Source: GitHub Actions (README.md)",
        ),
    ]
}

/// Every file of a new site, by path relative to its root.
fn site_files(
    a: &(String, String),
    b: &(String, String),
    language: &str,
    editions: &[String],
) -> Vec<(&'static str, String)> {
    // Menu titles in the site's language, and in each edition's, from the built-in tables of UI
    // strings (English where a language has none).
    let strings = crate::render::i18n::Strings::builtin();
    let word = |lang: &str, key: &str| strings.plain(lang, key).unwrap_or_else(|| key.into());
    let menu: String = [
        ("topics", "topics/"),
        ("timeline", "timeline/"),
        ("glossary", "glossary/"),
        ("people", "people/"),
        ("sources", "sources/"),
        ("search", "search/"),
    ]
    .iter()
    .map(|(key, path)| {
        let title = word(language, key);
        let others: Vec<String> = editions
            .iter()
            .map(|e| (e, word(e, key)))
            .filter(|(_, t)| *t != title)
            .map(|(e, t)| format!("{e}: {}", yaml_string(&t)))
            .collect();
        let title_in = if others.is_empty() {
            String::new()
        } else {
            format!(", title_in: {{ {} }}", others.join(", "))
        };
        format!(
            "  - {{ title: {}, path: \"{path}\"{title_in} }}\n",
            yaml_string(&title)
        )
    })
    .collect();
    let languages = if editions.is_empty() {
        String::new()
    } else {
        let e = &editions[0];
        let mut l = format!(
            "# The editions, the default first: a translation sits beside its original\n\
             # (content/topics/example.{e}.md beside example.md) and is published under /{e}/. A\n\
             # `name` is the language's name in itself, for the language switcher; give each\n\
             # edition its `title` and `description` in its language.\n\
             languages:\n",
        );
        for tag in std::iter::once(language).chain(editions.iter().map(String::as_str)) {
            l.push_str(&format!(
                "  - {{ code: {tag}, name: {} }}\n",
                yaml_string(&language_name(tag))
            ));
        }
        l
    };
    let pair = format!("{}–{}", a.0, b.0);
    let slug = crate::text::slugify(&format!("{} {}", a.1, b.1));
    let title = format!("{pair} relations");
    let date = today();
    let mut files = Vec::new();
    files.push((
        "site.yaml",
        format!(
            r#"title: {title}
description: {description}
# Where the site will be published; its path (here /{slug}/) prefixes every URL. The GitHub Pages
# workflow passes the repository's real Pages URL instead.
base_url: "https://example.github.io/{slug}/"
language: {language}
{languages}# Who publishes the explainer (a newsroom, an institute, your name): shown in every footer.
publisher: ""
parties:
  - {{ name: {a_name}, code: {a_code}, colour: "{c0}" }}
  - {{ name: {b_name}, code: {b_code}, colour: "{c1}" }}
menu:
{menu}feed: true
sitemap: true
search: true
broken_links: error
"#,
            title = yaml_string(&title),
            description = yaml_string(&format!("A sourced explainer of {pair} relations.")),
            a_name = yaml_string(&a.0),
            a_code = a.1,
            b_name = yaml_string(&b.0),
            b_code = b.1,
            c0 = COLOURS[0],
            c1 = COLOURS[1],
        ),
    ));
    files.push((
        "content/_index.md",
        format!(
            "---\ntitle: {}\nsummary: \"Three sentences on where the relationship stands.\"\n---\nWhat this explainer covers, and as of when.\n",
            yaml_string(&title)
        ),
    ));
    files.push((
        "content/topics/_index.md",
        "---\ntitle: \"Topics\"\n---\nEvery theme of the relationship, one page each.\n".into(),
    ));
    files.push((
        "content/topics/example.md",
        format!(
            r#"---
# Every field a topic can have, filled with placeholders: replace them, or delete this file
# and the example entries of content/_data/ once you have topics of your own.
title: "An example topic"
summary: {summary}
date: {date}
weight: 1
tags: [example]
sources: [example-source]
in_brief:
  - "Three to five bullets a busy reader can stop after."
  - "Each one a finding, in your own words."
  - "Cite the sources below; the build checks every id."
figures:
  - label: "An example figure"
    value: "0"
    unit: "units"
    as_of: "the date the source gives"
    source: example-source
    caveat:
      text: "Where another source qualifies the figure, say so here."
      source: example-source
quotes:
  - speaker: example-speaker
    text: "Copy the speaker's words here exactly as the source has them."
    date: {date}
    source: example-source
    context: "where and when the words were said"
positions:
  {a_code}:
    - text: {a_position}
      source: example-source
  {b_code}:
    - text: {b_position}
      source: example-source
timeline:
  - date: {date}
    event: "What happened, in your own words."
    source: example-source
next:
  - what: "Something to watch for, with when it is expected."
    expected: {year}
    source: example-source
related: [about]
---
## What happened

Write in your own words. Cite a source right after a claim, like this [@example-source],
with the id of a source in content/_data/sources.yaml.

The first mention of a term from content/_data/glossary.yaml on a page, such as EXT, links to
its definition.
"#,
            summary = yaml_string(&format!("Replace this with a topic of {pair} relations.")),
            date = date,
            year = date[..4].parse::<i32>().map_or(2030, |y| y + 1),
            a_code = a.1,
            b_code = b.1,
            a_position = yaml_string(&format!("What {} says or wants, in your own words.", a.0)),
            b_position = yaml_string(&format!("What {} says or wants, in your own words.", b.0)),
        ),
    ));
    // The built-in layouts' footer links to this page.
    files.push((
        "content/about.md",
        "---\ntitle: \"About this explainer\"\nsummary: \"How it is made: sources, caveats and what we leave out.\"\n---\n\
Every figure, date and quote on this site names its source, listed on the [sources page](/sources/).\n\
Where the record contradicts a claim, a caveat with its own source stands next to it. Anything we\n\
could not confirm is marked as such or left out.\n"
            .into(),
    ));
    files.push((
        "content/_data/sources.yaml",
        "# Every source the topics cite, by id. The example topic cites this placeholder: replace it.\n\
- id: example-source\n  publisher: \"The publisher\"\n  title: \"The title of the article, report or statement\"\n  date: 2024-01-31\n  url: \"https://example.org/\"\n"
            .into(),
    ));
    files.push((
        "content/_data/people.yaml",
        "# Everyone a topic quotes, by id. The example topic quotes this placeholder: replace it.\n\
- id: example-speaker\n  name: \"The speaker's name\"\n  role: \"Their role at the time\"\n"
            .into(),
    ));
    files.push((
        "content/_data/glossary.yaml",
        "# Terms linked on their first mention on each page, with spellings that occur in the prose as\n\
# aliases. The example topic mentions this placeholder: replace it.\n\
- term: \"EXT\"\n  expansion: \"Example Term\"\n  definition: \"One line in your own words.\"\n  aliases: [\"example term\"]\n  source: example-source\n"
            .into(),
    ));
    files.push((".gitignore", "public/\n.bilat-cache/\n".into()));
    files.push(("README.md", editors_readme(&title)));
    files.push((".github/workflows/pages.yml", pages_workflow(VERSION)));
    files
}

fn editors_readme(title: &str) -> String {
    include_str!("init/README.md")
        .replace("@TITLE@", &markdown_text(title))
        .replace("@VERSION@", VERSION)
        .replace(
            "@REPOSITORY@",
            env!("CARGO_PKG_REPOSITORY").trim_end_matches('/'),
        )
}
