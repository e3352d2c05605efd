//! A deterministic synthetic corpus for benchmarks: `n` topics with full explainer front matter and
//! 600–900 words of Markdown each, the registries they cite, a `site.yaml`, and (optionally) the
//! same content laid out as a minimal Hugo site so both generators build comparable work.
//!
//! The same `n` always produces byte-identical files (a fixed-seed xorshift generator, no clock).

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct CorpusOptions {
    /// Number of topic pages.
    pub topics: usize,
    /// Where the bilat site goes (site.yaml, content/, layouts/, assets/).
    pub out: PathBuf,
    /// Where to copy layouts/ and assets/ from (the repository root).
    pub layouts_from: PathBuf,
    /// Where to write the equivalent Hugo site, if anywhere.
    pub hugo_out: Option<PathBuf>,
}

/// Counts of what was generated.
#[derive(Debug, Clone, Default)]
pub struct CorpusReport {
    pub topics: usize,
    pub words: usize,
    pub min_words: usize,
    pub max_words: usize,
    pub sources: usize,
    pub people: usize,
    pub terms: usize,
    pub tags: usize,
}

/// xorshift64*: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "trade",
    "energy",
    "oil",
    "defence",
    "corridor",
    "ministers",
    "talks",
    "agreement",
    "supply",
    "payments",
    "rupee",
    "rouble",
    "fertiliser",
    "coal",
    "nuclear",
    "reactor",
    "investment",
    "shipping",
    "port",
    "railway",
    "customs",
    "tariff",
    "market",
    "access",
    "balance",
    "deficit",
    "exports",
    "imports",
    "summit",
    "visit",
    "delegation",
    "statement",
    "forum",
    "cooperation",
    "partnership",
    "strategy",
    "security",
    "council",
    "vote",
    "resolution",
    "sanctions",
    "banks",
    "settlement",
    "currency",
    "growth",
    "estimate",
    "figure",
    "record",
    "quarter",
    "year",
    "officials",
    "analysts",
    "reports",
    "data",
    "survey",
    "contract",
    "delivery",
    "production",
    "joint",
    "venture",
    "the",
    "the",
    "the",
    "a",
    "of",
    "of",
    "in",
    "and",
    "and",
    "to",
    "with",
    "for",
    "on",
    "by",
    "as",
    "that",
    "which",
    "was",
    "were",
    "is",
    "are",
    "had",
    "has",
    "been",
    "said",
    "noted",
    "argued",
    "expected",
    "planned",
    "agreed",
    "new",
    "long-term",
    "steady",
    "modest",
    "sharp",
    "large",
    "small",
    "official",
    "public",
    "bilateral",
    "regional",
    "later",
    "earlier",
    "since",
    "after",
    "before",
    "during",
    "while",
    "although",
    "because",
    "despite",
];

const PUBLISHERS: &[&str] = &[
    "The Hindu",
    "Hindustan Times",
    "TASS",
    "Reuters",
    "Business Standard",
    "Ministry of External Affairs",
    "Kremlin",
    "The Economic Times",
    "RIA Novosti",
    "Indian Express",
    "Al Jazeera",
    "Financial Times",
];

const PARTIES: &[&str] = &["in", "ru"];

/// Glossary terms that the generated prose mentions.
const TERMS: &[(&str, &str)] = &[
    ("INSTC", "International North-South Transport Corridor"),
    ("EAEU", "Eurasian Economic Union"),
    ("BRICS", "Brazil, Russia, India, China, South Africa"),
    ("SCO", "Shanghai Cooperation Organisation"),
    ("SPIEF", "St Petersburg International Economic Forum"),
    ("LNG", "Liquefied natural gas"),
    ("FTA", "Free trade agreement"),
    ("UNSC", "United Nations Security Council"),
    ("RBI", "Reserve Bank of India"),
    ("CBR", "Central Bank of Russia"),
    ("IRIGC", "Inter-Governmental Commission"),
    ("KKNPP", "Kudankulam Nuclear Power Plant"),
];

const TAGS: &[&str] = &[
    "economy",
    "energy",
    "defence",
    "nuclear",
    "connectivity",
    "diplomacy",
    "multilateral",
    "finance",
    "shipping",
    "agriculture",
    "technology",
    "space",
    "health",
    "education",
    "culture",
    "tourism",
    "aviation",
    "arctic",
    "fertiliser",
    "coal",
    "oil",
    "gas",
    "rail",
    "ports",
    "payments",
    "sanctions",
    "un",
    "brics",
    "sco",
    "g20",
    "climate",
    "water",
    "pharma",
    "diamonds",
    "steel",
    "textiles",
    "tea",
    "labour",
    "migration",
    "science",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = rng.pick(WORDS);
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn slug(i: usize) -> String {
    format!("topic-{i:06}")
}

fn title(i: usize, rng: &mut Rng) -> String {
    let a = rng.pick(WORDS);
    let b = rng.pick(&WORDS[..60]);
    format!("Topic {i}: {} {b}", capitalise(a))
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Sizes {
    sources: usize,
    people: usize,
}

fn sizes(n: usize) -> Sizes {
    Sizes {
        sources: (n / 10).clamp(60, 10_000),
        people: 40,
    }
}

fn source_id(rng: &mut Rng, s: &Sizes) -> String {
    format!("s{}", rng.below(s.sources) + 1)
}

fn day(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        2000 + rng.below(24),
        rng.below(12) + 1,
        rng.below(28) + 1
    )
}

/// The front matter of topic `i` (YAML, without the `---` fences).
fn front_matter(i: usize, n: usize, rng: &mut Rng, s: &Sizes) -> String {
    let mut y = String::new();
    let _ = writeln!(y, "title: {}", q(&title(i, rng)));
    let _ = writeln!(
        y,
        "summary: {}",
        q(&format!("{} {}", sentence(rng, 14), sentence(rng, 10)))
    );
    let _ = writeln!(y, "date: {}", day(rng));
    let _ = writeln!(y, "weight: {}", i + 1);
    let mut tags: Vec<&str> = Vec::new();
    while tags.len() < 3 {
        let t = rng.pick(TAGS);
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let _ = writeln!(y, "tags: [{}]", tags.join(", "));
    let srcs: Vec<String> = (0..2).map(|_| source_id(rng, s)).collect();
    let _ = writeln!(y, "sources: [{}]", srcs.join(", "));
    y.push_str("in_brief:\n");
    for _ in 0..3 {
        let _ = writeln!(y, "  - {}", q(&sentence(rng, 12)));
    }
    y.push_str("figures:\n");
    for f in 0..2 {
        let _ = writeln!(
            y,
            "  - label: {}",
            q(&format!(
                "{} {}",
                capitalise(rng.pick(WORDS)),
                rng.pick(&WORDS[..60])
            ))
        );
        let _ = writeln!(y, "    value: \"{}.{}\"", rng.below(900) + 1, rng.below(10));
        y.push_str("    unit: \"US$ billion\"\n");
        let _ = writeln!(y, "    as_of: \"{}\"", 2000 + rng.below(24));
        let _ = writeln!(y, "    source: {}", source_id(rng, s));
        if f == 0 {
            let _ = writeln!(
                y,
                "    caveat:\n      text: {}\n      source: {}",
                q(&sentence(rng, 16)),
                source_id(rng, s)
            );
        }
    }
    y.push_str("quotes:\n");
    for _ in 0..2 {
        let _ = writeln!(y, "  - speaker: p{}", rng.below(s.people) + 1);
        let _ = writeln!(y, "    text: {}", q(&sentence(rng, 18)));
        let _ = writeln!(y, "    date: {}", day(rng));
        let _ = writeln!(y, "    source: {}", source_id(rng, s));
        let _ = writeln!(
            y,
            "    context: {}",
            q(&format!(
                "at the {} {}",
                rng.pick(&WORDS[..60]),
                rng.pick(&WORDS[..60])
            ))
        );
    }
    y.push_str("positions:\n");
    for p in PARTIES {
        let _ = writeln!(y, "  {p}:");
        let _ = writeln!(
            y,
            "    - text: {}\n      source: {}",
            q(&sentence(rng, 14)),
            source_id(rng, s)
        );
    }
    y.push_str("timeline:\n");
    for t in 0..3 {
        let date = match t {
            0 => day(rng),
            1 => format!("{}-{:02}", 2000 + rng.below(24), rng.below(12) + 1),
            _ => format!("{}", 2000 + rng.below(24)),
        };
        let _ = writeln!(
            y,
            "  - date: \"{date}\"\n    event: {}\n    source: {}",
            q(&sentence(rng, 12)),
            source_id(rng, s)
        );
        if t == 0 {
            let _ = writeln!(
                y,
                "    caveat: {{ text: {}, source: {} }}",
                q(&sentence(rng, 10)),
                source_id(rng, s)
            );
        }
    }
    y.push_str("next:\n");
    let _ = writeln!(
        y,
        "  - what: {}\n    expected: \"{}-{:02}\"\n    source: {}",
        q(&sentence(rng, 10)),
        2030 + rng.below(5),
        rng.below(12) + 1,
        source_id(rng, s)
    );
    let related: Vec<String> = (0..3)
        .map(|k| slug((i + 1 + k * 7 + rng.below(50)) % n))
        .filter(|r| *r != slug(i))
        .collect();
    let _ = writeln!(y, "related: [{}]", related.join(", "));
    y
}

/// A paragraph of about `words` words, with emphasis, citations, links and glossary mentions.
fn paragraph(
    i: usize,
    n: usize,
    words: usize,
    rng: &mut Rng,
    s: &Sizes,
    count: &mut usize,
) -> String {
    let mut p = String::new();
    let mut written = 0;
    while written < words {
        let len = 8 + rng.below(10);
        let mut sent = sentence(rng, len);
        written += len;
        match rng.below(9) {
            0 => {
                // Emphasis on a word in the middle.
                let w = rng.pick(&WORDS[..60]);
                sent.pop();
                let _ = write!(sent, " *{w}*.");
                written += 1;
            }
            1 => {
                let t = (i + 1 + rng.below(n.max(2) - 1)) % n;
                sent.pop();
                let _ = write!(
                    sent,
                    " (see [{}](topic-{t:06}.md)).",
                    rng.pick(&WORDS[..60])
                );
                written += 2;
            }
            2 => {
                let (term, _) = TERMS[rng.below(TERMS.len())];
                sent.pop();
                let _ = write!(sent, " under the {term}.");
                written += 3;
            }
            3 => {
                sent.pop();
                let _ = write!(sent, " **{}**.", rng.pick(&WORDS[..60]));
                written += 1;
            }
            _ => {}
        }
        if rng.below(3) == 0 {
            sent.pop();
            let _ = write!(sent, " [@{}].", source_id(rng, s));
        }
        if !p.is_empty() {
            p.push(' ');
        }
        p.push_str(&sent);
    }
    *count += written;
    p
}

/// The Markdown body of topic `i` and its word count.
fn body(i: usize, n: usize, rng: &mut Rng, s: &Sizes) -> (String, usize) {
    let target = 600 + rng.below(250);
    let mut words = 0;
    let mut b = String::new();
    b.push_str(&paragraph(i, n, 60, rng, s, &mut words));
    b.push_str("\n\n");
    let mut section = 0;
    while words < target {
        section += 1;
        let _ = writeln!(
            b,
            "## {} {} {section}\n",
            capitalise(rng.pick(&WORDS[..60])),
            rng.pick(&WORDS[..60])
        );
        words += 3;
        b.push_str(&paragraph(
            i,
            n,
            (target - words.min(target)).clamp(10, 70),
            rng,
            s,
            &mut words,
        ));
        b.push_str("\n\n");
        if words + 40 > target {
            break;
        }
        match section % 4 {
            1 => {
                for _ in 0..4 {
                    let _ = writeln!(b, "- {}", sentence(rng, 8));
                    words += 8;
                }
                b.push('\n');
            }
            2 => {
                b.push_str("| Year | Exports | Imports | Note |\n|---:|---:|---:|:---|\n");
                for _ in 0..4 {
                    let _ = writeln!(
                        b,
                        "| {} | {}.{} | {}.{} | {} {} |",
                        2000 + rng.below(24),
                        rng.below(60),
                        rng.below(10),
                        rng.below(60),
                        rng.below(10),
                        rng.pick(&WORDS[..60]),
                        rng.pick(&WORDS[..60])
                    );
                    words += 6;
                }
                b.push('\n');
            }
            3 => {
                let _ = writeln!(b, "> {} [@{}]\n", sentence(rng, 20), source_id(rng, s));
                words += 20;
                let _ = writeln!(
                    b,
                    "### {} {}\n",
                    capitalise(rng.pick(&WORDS[..60])),
                    rng.pick(&WORDS[..60])
                );
                words += 2;
                b.push_str(&paragraph(i, n, 50, rng, s, &mut words));
                b.push_str("\n\n");
            }
            _ => {
                for k in 1..=3 {
                    let _ = writeln!(b, "{k}. {}", sentence(rng, 9));
                    words += 9;
                }
                b.push('\n');
            }
        }
    }
    (b, words)
}

fn write(path: &Path, text: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    // A site without its own layouts/ or assets/ builds with the built-in theme.
    if !from.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

fn registries(n: usize, s: &Sizes) -> (String, String, String) {
    let mut rng = Rng::new(0x5eed_0000 ^ n as u64);
    let mut sources = String::new();
    for k in 1..=s.sources {
        let _ = writeln!(
            sources,
            "- id: s{k}\n  publisher: {}\n  title: {}\n  date: {}\n  url: \"https://example.org/news/{k}\"",
            q(rng.pick(PUBLISHERS)),
            q(&sentence(&mut rng, 9)),
            day(&mut rng)
        );
        if k % 5 == 0 {
            sources.push_str("  note: \"wire copy\"\n");
        }
    }
    let mut people = String::new();
    for k in 1..=s.people {
        let _ = writeln!(
            people,
            "- id: p{k}\n  name: \"Person {k} {}\"\n  role: {}\n  party: {}\n  source: s{}",
            capitalise(rng.pick(&WORDS[..60])),
            q(&format!(
                "Minister of {}",
                capitalise(rng.pick(&WORDS[..60]))
            )),
            PARTIES[k % 2],
            rng.below(s.sources) + 1
        );
    }
    let mut glossary = String::new();
    for (term, expansion) in TERMS {
        let _ = writeln!(
            glossary,
            "- term: {}\n  expansion: {}\n  definition: {}\n  aliases: []\n  source: s{}",
            q(term),
            q(expansion),
            q(&sentence(&mut rng, 16)),
            rng.below(s.sources) + 1
        );
    }
    (sources, people, glossary)
}

const SITE_YAML: &str = r##"title: "Benchmark relations"
description: "A generated corpus for benchmarking bilat."
base_url: "https://example.org/bench/"
language: en
publisher: "bilat-bench"
parties:
  - { name: India, code: in, colour: "#b45309" }
  - { name: Russia, code: ru, colour: "#1d4ed8" }
menu:
  - { title: Topics, path: "topics/" }
  - { title: Timeline, path: "timeline/" }
  - { title: Glossary, path: "glossary/" }
  - { title: People, path: "people/" }
  - { title: Sources, path: "sources/" }
  - { title: Search, path: "search/" }
feed: true
sitemap: true
search: true
minify: true
broken_links: error
# Hugo, the bench's peer, draws no social cards: they are timed on their own (RESULTS.md).
social_cards: false
"##;

/// Generates the corpus; removes and recreates `opts.out` (and `opts.hugo_out`).
pub fn generate(opts: &CorpusOptions) -> io::Result<CorpusReport> {
    let n = opts.topics.max(1);
    let s = sizes(n);
    let out = &opts.out;
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    let content = out.join("content");
    write(&out.join("site.yaml"), SITE_YAML)?;
    copy_dir(&opts.layouts_from.join("layouts"), &out.join("layouts"))?;
    copy_dir(&opts.layouts_from.join("assets"), &out.join("assets"))?;
    // Templates may link to these pages; keep the corpus free of broken links.
    write(
        &content.join("about.md"),
        "---\ntitle: \"About\"\n---\nA generated benchmark site.\n",
    )?;
    write(
        &content.join("_index.md"),
        "---\ntitle: \"Benchmark relations\"\nsummary: \"A generated corpus.\"\ndate: 2024-01-01\n---\nThe home page of a generated corpus [@s1].\n",
    )?;
    write(
        &content.join("topics/_index.md"),
        "---\ntitle: \"Topics\"\nweight: 10\n---\nEvery generated topic.\n",
    )?;
    let (sources, people, glossary) = registries(n, &s);
    write(&content.join("_data/sources.yaml"), &sources)?;
    write(&content.join("_data/people.yaml"), &people)?;
    write(&content.join("_data/glossary.yaml"), &glossary)?;

    let hugo = opts.hugo_out.as_deref();
    if let Some(h) = hugo {
        if h.exists() {
            std::fs::remove_dir_all(h)?;
        }
        write_hugo_skeleton(h, &sources, &people)?;
    }

    use rayon::prelude::*;
    let words: io::Result<Vec<usize>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = Rng::new(i as u64 + 1);
            let fm = front_matter(i, n, &mut rng, &s);
            let (md, words) = body(i, n, &mut rng, &s);
            let text = format!("---\n{fm}---\n{md}");
            write(&content.join(format!("topics/{}.md", slug(i))), &text)?;
            if let Some(h) = hugo {
                write(&h.join(format!("content/topics/{}.md", slug(i))), &text)?;
            }
            Ok(words)
        })
        .collect();
    let words = words?;
    Ok(CorpusReport {
        topics: n,
        words: words.iter().sum(),
        min_words: words.iter().copied().min().unwrap_or(0),
        max_words: words.iter().copied().max().unwrap_or(0),
        sources: s.sources,
        people: s.people,
        terms: TERMS.len(),
        tags: TAGS.len(),
    })
}

/// A registry list (`- id: x` entries) as a YAML map keyed by id, which Hugo templates index in O(1).
fn keyed(list: &str) -> String {
    let mut out = String::new();
    for line in list.lines() {
        if let Some(id) = line.strip_prefix("- id: ") {
            let _ = writeln!(out, "{id}:\n  id: {id}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// A minimal Hugo site rendering the same front matter: the same page furniture (figures, quotes,
/// positions, timeline, related, tags, sources, table of contents), list pages, taxonomies and a
/// sitemap and RSS feed, with `.md` links resolved by Hugo's link render hook.
fn write_hugo_skeleton(h: &Path, sources: &str, people: &str) -> io::Result<()> {
    write(&h.join("hugo.yaml"), HUGO_CONFIG)?;
    write(&h.join("data/sources.yaml"), &keyed(sources))?;
    write(&h.join("data/people.yaml"), &keyed(people))?;
    write(&h.join("content/_index.md"), "---\ntitle: \"Benchmark relations\"\nsummary: \"A generated corpus.\"\n---\nThe home page of a generated corpus [@s1].\n")?;
    write(
        &h.join("content/topics/_index.md"),
        "---\ntitle: \"Topics\"\nweight: 10\n---\nEvery generated topic.\n",
    )?;
    write(
        &h.join("assets/css/site.css"),
        "body{font-family:sans-serif;max-width:60rem;margin:auto}\n.ref{font-size:.8em}\n",
    )?;
    for (name, text) in HUGO_LAYOUTS {
        write(&h.join("layouts").join(name), text)?;
    }
    Ok(())
}

const HUGO_CONFIG: &str = r#"baseURL: "https://example.org/bench/"
title: "Benchmark relations"
locale: en
disableKinds: []
taxonomies:
  tag: tags
menus:
  main:
    - { name: Topics, pageRef: /topics, weight: 1 }
markup:
  goldmark:
    renderer:
      unsafe: true
    renderHooks:
      link:
        useEmbedded: fallback
  tableOfContents:
    startLevel: 2
    endLevel: 3
"#;

const HUGO_LAYOUTS: &[(&str, &str)] = &[
    (
        "_default/baseof.html",
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} — {{ site.Title }}{{ end }}</title>
<meta name="description" content="{{ with .Summary }}{{ . | plainify }}{{ else }}{{ site.Title }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:url" content="{{ .Permalink }}">
{{ with resources.Get "css/site.css" | fingerprint }}<link rel="stylesheet" href="{{ .RelPermalink }}">{{ end }}
</head>
<body>
<header class="site-header"><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><ul>{{ range site.Menus.main }}<li><a href="{{ .URL }}">{{ .Name }}</a></li>{{ end }}</ul></nav></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer class="site-footer"><p>Published by bilat-bench.{{ with .Date }} This page is current as of <time datetime="{{ .Format "2006-01-02" }}">{{ .Format "2 January 2006" }}</time>.{{ end }}</p></footer>
</body>
</html>
"#,
    ),
    (
        "partials/src.html",
        r#"{{ with index hugo.Data.sources . }}<a class="ref" href="/bench/sources/#{{ .id }}" title="{{ .publisher }}: {{ .title }}">{{ .publisher }}</a>{{ end }}"#,
    ),
    (
        "partials/cards.html",
        r#"<ul class="cards">{{ range . }}<li class="card"><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>{{ with .Params.summary }}<p>{{ . }}</p>{{ end }}<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul></li>{{ end }}</ul>"#,
    ),
    (
        "_default/single.html",
        r#"{{ define "main" }}
<article class="topic">
<h1>{{ .Title }}</h1>
{{ with .Params.summary }}<p class="lede">{{ . }}</p>{{ end }}
<p class="meta">Published <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time> · {{ .ReadingTime }} min read</p>
{{ with .Params.in_brief }}<section class="brief"><h2>In brief</h2><ul>{{ range . }}<li>{{ . }}</li>{{ end }}</ul></section>{{ end }}
<nav class="toc"><h2>On this page</h2>{{ .TableOfContents }}</nav>
<div class="prose">{{ .Content }}</div>
{{ with .Params.figures }}<aside><h2>Key figures</h2><ul class="figures">{{ range . }}<li><p>{{ .label }}</p><p><strong>{{ .value }}</strong> {{ .unit }}</p><p>As of {{ .as_of }} {{ partial "src.html" .source }}</p>{{ with .caveat }}<p class="caveat">Caveat: {{ .text }} {{ partial "src.html" .source }}</p>{{ end }}</li>{{ end }}</ul></aside>{{ end }}
{{ with .Params.positions }}<section><h2>Positions</h2>{{ range $code, $items := . }}<div class="party"><h3>{{ $code }}</h3><ul>{{ range $items }}<li>{{ .text }} {{ partial "src.html" .source }}</li>{{ end }}</ul></div>{{ end }}</section>{{ end }}
{{ with .Params.quotes }}<section><h2>In their words</h2>{{ range . }}{{ $p := index hugo.Data.people .speaker }}<figure><blockquote><p>{{ .text }}</p></blockquote><figcaption>— <a href="/bench/people/#{{ $p.id }}">{{ $p.name }}</a>, {{ $p.role }}, {{ .date }}, {{ .context }} {{ partial "src.html" .source }}</figcaption></figure>{{ end }}</section>{{ end }}
{{ with .Params.timeline }}<section><h2>Timeline</h2><ol class="timeline">{{ range . }}<li><time>{{ .date }}</time><p>{{ .event }} {{ partial "src.html" .source }}</p>{{ with .caveat }}<p class="caveat">{{ .text }} {{ partial "src.html" .source }}</p>{{ end }}</li>{{ end }}</ol></section>{{ end }}
{{ with .Params.next }}<section><h2>What to watch</h2><ul>{{ range . }}<li>{{ .what }} Expected {{ .expected }} {{ partial "src.html" .source }}</li>{{ end }}</ul></section>{{ end }}
{{ with .Params.related }}<section><h2>Related topics</h2>{{ $pages := slice }}{{ range . }}{{ with site.GetPage (printf "/topics/%s" .) }}{{ $pages = $pages | append . }}{{ end }}{{ end }}{{ partial "cards.html" $pages }}</section>{{ end }}
<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ with .Params.sources }}<section class="sources"><h2>Sources</h2><ol>{{ range . }}{{ with index hugo.Data.sources . }}<li id="src-{{ .id }}"><b>{{ .publisher }}</b>, <a href="{{ .url }}">{{ .title }}</a>, {{ .date }}.</li>{{ end }}{{ end }}</ol></section>{{ end }}
</article>
{{ end }}
"#,
    ),
    (
        "_default/list.html",
        r#"{{ define "main" }}
<h1>{{ .Title }}</h1>
<div class="prose">{{ .Content }}</div>
{{ partial "cards.html" .Pages }}
{{ end }}
"#,
    ),
    (
        "index.html",
        r#"{{ define "main" }}
<h1>{{ .Title }}</h1>
<div class="prose">{{ .Content }}</div>
<section><h2>Topics</h2>{{ partial "cards.html" (where site.RegularPages "Section" "topics") }}</section>
{{ end }}
"#,
    ),
    (
        "_default/terms.html",
        r#"{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
"#,
    ),
    (
        "_default/term.html",
        r#"{{ define "main" }}
<h1>Tagged “{{ .Title }}”</h1>
{{ partial "cards.html" .Pages }}
{{ end }}
"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_deterministic_and_sized() {
        let s = sizes(100);
        let a = body(7, 100, &mut Rng::new(8), &s);
        let b = body(7, 100, &mut Rng::new(8), &s);
        assert_eq!(a, b);
        assert!((600..=920).contains(&a.1), "{} words", a.1);
        assert!(
            a.0.contains("](topic-")
                && a.0.contains("[@s")
                && a.0.contains("| Year |")
                && a.0.contains("\n> ")
        );
    }
}
