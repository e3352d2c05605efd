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

/// One party given on the command line as `Name:code`.
pub fn parse_party(arg: &str) -> std::result::Result<(String, String), String> {
    let (name, code) = arg
        .rsplit_once(':')
        .ok_or_else(|| format!("`{arg}`: write a party as Name:code, e.g. \"Country A:aa\""))?;
    let (name, code) = (name.trim(), code.trim().to_lowercase());
    // Names are written into YAML comments and Markdown as well as quoted YAML values: a line
    // break or other control character would end a comment and inject front matter.
    if name.chars().any(char::is_control) {
        return Err(format!(
            "`{}`: the name must not contain line breaks or other control characters",
            arg.escape_debug()
        ));
    }
    if name.is_empty()
        || code.is_empty()
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "`{arg}`: the name must not be empty and the code must be letters, digits or dashes"
        ));
    }
    Ok((name.to_string(), code))
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Writes a new site for another pair of countries into `dir` (which must not hold a site yet).
pub fn init(dir: &Path, parties: &[(String, String)]) -> Result<Vec<PathBuf>> {
    if parties.len() != 2 {
        return Err(Error::Refused(format!(
            "a bilateral site needs exactly two parties, got {}",
            parties.len()
        )));
    }
    if parties[0].1 == parties[1].1 {
        return Err(Error::Refused(
            "the two parties need different codes".into(),
        ));
    }
    if dir.join(crate::config::CONFIG_FILE).exists() {
        return Err(Error::Refused(format!(
            "{} already holds a site (site.yaml exists)",
            dir.display()
        )));
    }
    let (a, b) = (&parties[0], &parties[1]);
    let pair = format!("{}–{}", a.0, b.0);
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut add = |rel: &str, text: String| files.push((dir.join(rel), text.into_bytes()));
    add(
        "site.yaml",
        format!(
            r#"title: {title}
description: {description}
# Where the site will be published; its path (here /{slug}/) prefixes every URL.
base_url: "https://example.github.io/{slug}/"
language: en
publisher: ""
parties:
  - {{ name: {a_name}, code: {a_code}, colour: "{c0}" }}
  - {{ name: {b_name}, code: {b_code}, colour: "{c1}" }}
menu:
  - {{ title: Topics, path: "topics/" }}
  - {{ title: Timeline, path: "timeline/" }}
  - {{ title: Glossary, path: "glossary/" }}
  - {{ title: People, path: "people/" }}
  - {{ title: Sources, path: "sources/" }}
  - {{ title: Search, path: "search/" }}
feed: true
sitemap: true
search: true
broken_links: error
"#,
            title = yaml_string(&format!("{pair} relations")),
            description = yaml_string(&format!("A sourced explainer of {pair} relations.")),
            slug = crate::text::slugify(&format!("{} {}", a.1, b.1)),
            a_name = yaml_string(&a.0),
            a_code = a.1,
            b_name = yaml_string(&b.0),
            b_code = b.1,
            c0 = COLOURS[0],
            c1 = COLOURS[1],
        ),
    );
    add(
        "content/_index.md",
        format!("---\ntitle: {}\nsummary: \"Three sentences on where the relationship stands.\"\n---\nWhat this explainer covers, and as of when.\n", yaml_string(&format!("{pair} relations"))),
    );
    add(
        "content/topics/_index.md",
        "---\ntitle: \"Topics\"\n---\nEvery theme of the relationship, one page each.\n".into(),
    );
    add(
        "content/topics/example.md",
        format!(
            r#"---
title: "An example topic"
summary: {summary}
date: {date}
weight: 1
tags: [diplomacy]
in_brief:
  - "Three to five bullets a busy reader can stop after."
# Add sources to content/_data/sources.yaml, then cite them here by id:
# figures:
#   - {{ label: "Bilateral trade", value: "…", unit: "US$ billion", as_of: "2024", source: my-source }}
# positions:
#   {a_code}: [{{ text: "What {a_name} said", source: my-source }}]
#   {b_code}: [{{ text: "What {b_name} said", source: my-source }}]
# timeline:
#   - {{ date: 2024-01, event: "What happened", source: my-source }}
---
## What happened

Write in your own words. Cite a source right after a claim by writing `[@my-source]`
with the id of a source in content/_data/sources.yaml.
"#,
            summary = yaml_string(&format!(
                "Replace this with a topic of the {pair} relationship."
            )),
            date = today(),
            a_code = a.1,
            b_code = b.1,
            a_name = a.0,
            b_name = b.0,
        ),
    );
    // The default layouts' footer links to this page.
    add(
        "content/about.md",
        "---\ntitle: \"About this explainer\"\nsummary: \"How it is made: sources, caveats and what we leave out.\"\n---\n\
Every figure, date and quote on this site names its source, listed on the [sources page](/sources/).\n\
Where the record contradicts a claim, a caveat with its own source stands next to it. Anything we\n\
could not confirm is marked as such or left out.\n"
            .into(),
    );
    add("content/_data/sources.yaml", "# - id: my-source\n#   publisher: \"…\"\n#   title: \"…\"\n#   date: 2024-01-31\n#   url: \"https://…\"\n[]\n".into());
    add(
        "content/_data/people.yaml",
        "# - id: minister\n#   name: \"…\"\n#   role: \"… at the time\"\n#   party: code\n[]\n"
            .into(),
    );
    add("content/_data/glossary.yaml", "# - term: \"FTA\"\n#   expansion: \"Free Trade Agreement\"\n#   definition: \"One line in your own words.\"\n#   aliases: [\"free trade agreement\"]\n[]\n".into());
    let mut written = Vec::new();
    for (path, bytes) in files {
        write_new(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}
