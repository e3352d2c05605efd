//! Property tests in place of fuzz targets (`cargo fuzz` needs a nightly toolchain, which this
//! machine cannot fetch): front matter splitting and parsing, Markdown rendering with link
//! rewriting, and glossary auto-linking. Each must never panic and keep its invariants.
//!
//! The default case count (256 per property) keeps CI fast; a long session sets `PROPTEST_CASES`:
//! `PROPTEST_CASES=200000 cargo test --release --test proptest_robustness -- --nocapture`.
//! Failures found here are kept as plain `#[test]`s at the bottom (and proptest's own
//! `tests/proptest_robustness.proptest-regressions` seeds).

use bilat::error::Diagnostics;
use bilat::frontmatter;
use bilat::markdown::{self, Context, Glossary, PageInput};
use bilat::registry::Registries;
use proptest::prelude::*;
use scraper::{Html, Selector};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------------------------
// Front matter

/// Lines that make front matter interesting: fences, tabs, anchors, aliases, bad dates, quotes,
/// flow collections left open, CR and CRLF endings, a BOM, NUL and non-ASCII text.
fn fm_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---".to_string()),
        Just("--- ".to_string()),
        Just("...".to_string()),
        Just("title: A".to_string()),
        Just("title: \"Quoted: yes\"".to_string()),
        Just("title:".to_string()),
        Just("title: B".to_string()),
        Just("summary: 'it''s'".to_string()),
        Just("tags: [a, b".to_string()),
        Just("tags:\n\t- x".to_string()),
        Just("  - y".to_string()),
        Just("date: 2023-02-30".to_string()),
        Just("date: 2024-02-29".to_string()),
        Just("updated: 2023-13".to_string()),
        Just("weight: 99999999999999999999999".to_string()),
        Just("draft: maybe".to_string()),
        Just("extra: &a [1, 2]".to_string()),
        Just("extra: *a".to_string()),
        Just("extra:\n  k: 1\n  k: 2".to_string()),
        Just("timeline:\n  - date: 2023\n    event: e\n    source: s1".to_string()),
        Just("next:\n  - what: w\n    expected: 2023-02-30\n    source: s1".to_string()),
        Just("positions: {in: [{text: t, source: s1}]}".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r".to_string()),
        Just("title: \"\u{0}\"".to_string()),
        Just("{{ }}".to_string()),
        Just("? complex\n: key".to_string()),
        Just("!!binary aGk=".to_string()),
        Just("%YAML 1.2".to_string()),
        "[ -~\t]{0,24}",
        "\\PC{0,12}",
    ]
}

fn fm_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(fm_line(), 0..12),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    )
        .prop_map(|(lines, eol)| lines.join(eol))
}

/// Lines in normalised text, as bilat counts them (a final newline opens no new line).
fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// Runs the whole front matter path on raw bytes; every error must sit on a line of the file.
fn check_front_matter(bytes: Vec<u8>) {
    let shown = Path::new("content/topics/a.md");
    let text = match bilat::text::decode_text(shown, bytes.clone()) {
        Ok(t) => t,
        Err(d) => {
            let lines = String::from_utf8_lossy(&bytes)
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .split('\n')
                .count();
            let line = d.line.expect("decode errors have a line");
            assert!(
                line >= 1 && line <= lines,
                "decode error on line {line} of {lines}: {d}"
            );
            return;
        }
    };
    let lines = line_count(&text);
    let split = match frontmatter::split(shown, &text) {
        Ok(s) => s,
        Err(d) => {
            let line = d.line.expect("split errors have a line");
            assert!(
                line >= 1 && line <= lines,
                "split error on line {line} of {lines}: {d}\n{text:?}"
            );
            return;
        }
    };
    assert!(
        split.body_line >= 2 && split.body_line <= lines + 1,
        "body line {} of {lines}",
        split.body_line
    );
    if let Err(d) = frontmatter::parse(shown, &split) {
        let line = d.line.expect("front matter errors have a line");
        assert!(
            line >= 1 && line <= lines,
            "parse error on line {line} of {lines}: {d}\n{text:?}"
        );
        assert!(!d.message.is_empty());
    }
}

/// `PROPTEST_CASES` sets the count (default 256); failing seeds are saved beside this file.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(prop::test_runner::FileFailurePersistence::Direct(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/proptest_robustness.proptest-regressions"
            ),
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn front_matter_never_panics_on_bytes(
        fence in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        close_at in any::<prop::sample::Index>(),
    ) {
        // Half the inputs open with a fence and close one somewhere, so they reach the YAML parser.
        let mut input = Vec::new();
        let mut bytes = bytes;
        if fence {
            input.extend_from_slice(b"---\n");
            let at = close_at.index(bytes.len() + 1);
            bytes.splice(at..at, b"\n---\n".iter().copied());
        }
        input.extend(bytes);
        check_front_matter(input);
    }

    #[test]
    fn front_matter_never_panics_on_yamlish(body in fm_text(), close in any::<bool>(), bom in any::<bool>()) {
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        text.push_str("---\n");
        text.push_str(&body);
        if close {
            text.push_str("\n---\nBody.\n");
        }
        check_front_matter(text.into_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown and glossary

struct Fixture {
    _tmp: tempfile::TempDir,
    regs: Registries,
    pages: HashMap<String, String>,
    files: HashSet<String>,
}

/// Registries and a link table like a small site's, loaded once.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("content/_data");
        std::fs::create_dir_all(&data).expect("mkdir");
        std::fs::write(
            data.join("sources.yaml"),
            "- { id: s1, publisher: P, title: T, url: \"https://e.org/1\" }\n- { id: s-2, publisher: P, title: T, url: \"https://e.org/2\" }\n",
        )
        .expect("write");
        std::fs::write(
            data.join("glossary.yaml"),
            concat!(
                "- { term: FTA, definition: \"Free trade <agreement> & \\\"more\\\"\", aliases: [free trade agreement] }\n",
                "- { term: EU, definition: European Union }\n",
                "- { term: EAEU, definition: Eurasian Economic Union, aliases: [Eurasian Union] }\n",
                "- { term: INSTC, definition: corridor, aliases: [North-South corridor, \"INSTC route\"] }\n",
                "- { term: Ñandú, definition: a bird }\n",
                "- { term: \"S-400\", definition: missiles }\n",
            ),
        )
        .expect("write");
        let mut diags = Diagnostics::default();
        let regs = Registries::load(&tmp.path().join("content"), Path::new("content"), &mut diags);
        assert!(!diags.has_errors(), "{:?}", diags.0);
        let pages: HashMap<String, String> = [
            ("topics/trade.md", "/b/topics/trade/"),
            ("topics/energy.md", "/b/topics/energy/"),
            ("topics/what?.md", "/b/topics/what/"),
            ("_index.md", "/b/"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let files = ["topics/chart.svg", "topics/a b#c.png"].into_iter().map(String::from).collect();
        Fixture { _tmp: tmp, regs, pages, files }
    })
}

fn render(body: &str) -> markdown::Rendered {
    let f = fixture();
    let glossary = Glossary::new(&f.regs.glossary);
    let ctx = Context {
        base_path: "/b/",
        files_base_path: "/b/",
        pages: &f.pages,
        files: &f.files,
        sources: &f.regs.sources,
        terms: &f.regs.glossary,
        glossary: &glossary,
        script_urls: bilat::config::ScriptUrlPolicy::Error,
        layout_ids: &HashMap::new(),
        images: &bilat::images::Catalog::new(std::iter::empty()),
    };
    markdown::render(
        &ctx,
        &PageInput {
            body,
            body_line: 4,
            dir: "topics",
            link_glossary: true,
            write_html: true,
        },
    )
}

/// Pieces of Markdown that exercise headings, ids, links of every kind, citations, footnotes,
/// glossary terms in and out of links and headings, code, emphasis and containers.
fn md_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("# Trade".to_string()),
        Just("## Trade".to_string()),
        Just("## Trade {#trade-1}".to_string()),
        Just("## trade-1".to_string()),
        Just("### FTA talks".to_string()),
        Just("## fn 1".to_string()),
        Just("## fnref-1".to_string()),
        Just("## section".to_string()),
        Just("##".to_string()),
        Just("## *".to_string()),
        Just("Setext\n---".to_string()),
        Just("## Ünïcode heading".to_string()),
        Just("## {#}".to_string()),
        Just("## x {#dup}\n\n## y {#dup}".to_string()),
        Just("[t](trade.md)".to_string()),
        Just("[t](trade.md#overview)".to_string()),
        Just("[t](@/topics/energy.md#x)".to_string()),
        Just("[t](../../out.md)".to_string()),
        Just("[t](@/../x.md)".to_string()),
        Just("[t](what%3F.md)".to_string()),
        Just("[t](what%3.md)".to_string()),
        Just("[t](%ff%fe.md)".to_string()),
        Just("[t](missing.md)".to_string()),
        Just("[t](#trade)".to_string()),
        Just("[t](#)".to_string()),
        Just("[t](?q#a)".to_string()),
        Just("[t](/abs/path?x#y)".to_string()),
        Just("[t](https://example.org/FTA)".to_string()),
        Just("[FTA](trade.md)".to_string()),
        Just("[the FTA and EU](#x)".to_string()),
        Just("![FTA chart](chart.svg)".to_string()),
        Just("![x](a%20b%23c.png)".to_string()),
        Just("<https://e.org/EU>".to_string()),
        Just("<mail@e.org>".to_string()),
        Just("[@s1]".to_string()),
        Just("[@s1; @s-2]".to_string()),
        Just("[@nope]".to_string()),
        Just("[@]".to_string()),
        Just("[@s1".to_string()),
        Just("[^1]".to_string()),
        Just("[^1]: a note about the FTA".to_string()),
        Just("[^x y]: note".to_string()),
        Just("FTA".to_string()),
        Just("the EU and the EAEU".to_string()),
        Just("free trade agreement".to_string()),
        Just("FTAs".to_string()),
        Just("Ñandú".to_string()),
        Just("S-400s".to_string()),
        Just("North-South corridor".to_string()),
        Just("INSTC route".to_string()),
        Just("`FTA`".to_string()),
        Just("```\nFTA\n```".to_string()),
        Just("*FTA*".to_string()),
        Just("**EU**".to_string()),
        Just("- item".to_string()),
        Just("1. item".to_string()),
        Just("> quote".to_string()),
        Just("| a | b |\n|---|---|\n| FTA | [x](trade.md) |".to_string()),
        Just("- [ ] task".to_string()),
        Just("~~gone~~".to_string()),
        Just("\\[@s1]".to_string()),
        Just("&amp; &lt; &#0; &#x110000;".to_string()),
        Just("\t".to_string()),
        "[ -~]{0,16}",
        "\\PC{0,6}",
    ]
}

fn md_body() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            md_piece(),
            prop_oneof![Just(" "), Just("\n"), Just("\n\n"), Just("\r\n"), Just("")],
        ),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().map(|(p, sep)| p + sep).collect())
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// The invariants of a rendered page: unique ids, lines inside the body, parseable HTML, and
/// glossary links only outside links and headings, once per term.
fn check_rendered(body: &str, r: &markdown::Rendered) {
    let lines = body.split('\n').count();
    for p in &r.problems {
        assert!(
            p.line >= 4 && p.line < 4 + lines,
            "problem on line {} of a body of {lines} lines from line 4: {p:?}",
            p.line
        );
    }
    for l in &r.anchor_links {
        assert!(
            l.line >= 4 && l.line < 4 + lines,
            "anchor link on line {}: {l:?}",
            l.line
        );
    }
    // The renderer's own TOC never repeats an id.
    fn toc_ids<'t>(t: &'t [markdown::TocEntry], out: &mut Vec<&'t str>) {
        for e in t {
            out.push(&e.id);
            toc_ids(&e.children, out);
        }
    }
    let mut ids = Vec::new();
    toc_ids(&r.toc, &mut ids);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "TOC ids repeat: {ids:?}\n{}",
        r.html
    );
    // Without raw HTML (whose unclosed tags can swallow what follows), check the parsed page:
    // every heading id unique, no other element (a footnote) with a heading's id, the TOC lists
    // every heading, and the HTML parses without errors.
    let doc = Html::parse_fragment(&r.html);
    let raw_html = body.contains('<');
    if !raw_html {
        let mut heading_ids = HashSet::new();
        for h in doc.select(&sel("h1, h2, h3, h4, h5, h6")) {
            let id = h
                .value()
                .attr("id")
                .expect("every heading has an id")
                .to_string();
            assert!(!id.is_empty(), "empty heading id\n{}", r.html);
            assert!(
                heading_ids.insert(id.clone()),
                "heading id `{id}` twice\n{}",
                r.html
            );
        }
        let mut all_ids = HashSet::new();
        for e in doc.select(&sel("[id]")) {
            let id = e.value().attr("id").unwrap_or_default();
            assert!(
                all_ids.insert(id.to_string()),
                "id `{id}` on two elements\n{}",
                r.html
            );
        }
        assert_eq!(ids.len(), heading_ids.len(), "the TOC lists every heading");
        if !body.contains('&') {
            assert!(
                doc.errors.is_empty(),
                "HTML parse errors {:?}\n{}",
                doc.errors,
                r.html
            );
        }
    }
    // Glossary links: never inside a link or a heading, one per term per page.
    let mut seen = HashSet::new();
    for a in doc.select(&sel("a.gloss")) {
        let href = a.value().attr("href").unwrap_or_default().to_string();
        assert!(
            seen.insert(href.clone()),
            "term linked twice: {href}\n{}",
            r.html
        );
        let mut up = a.parent();
        while let Some(node) = up {
            if let Some(el) = node.value().as_element() {
                assert!(
                    !matches!(
                        el.name(),
                        "a" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "code" | "pre"
                    ),
                    "glossary link inside <{}>\n{}",
                    el.name(),
                    r.html
                );
            }
            up = node.parent();
        }
    }
    assert_eq!(
        seen.len(),
        r.terms.len(),
        "`terms` lists each linked term once"
    );
    let terms: HashSet<_> = r.terms.iter().collect();
    assert_eq!(terms.len(), r.terms.len(), "no term index twice");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn markdown_never_panics_and_keeps_invariants(body in md_body()) {
        let r = render(&body);
        check_rendered(&body, &r);
    }

    #[test]
    fn markdown_never_panics_on_any_text(body in "\\PC{0,200}") {
        let r = render(&body);
        for p in &r.problems {
            assert!(p.line >= 4 && p.line < 4 + body.split('\n').count());
        }
    }

    #[test]
    fn glossary_links_once_and_never_in_links_or_headings(
        pieces in prop::collection::vec(
            prop_oneof![
                Just("FTA"), Just("the EU"), Just("EAEU"), Just("free trade agreement"), Just("Ñandú"),
                Just("S-400"), Just("INSTC route"), Just("North-South corridor"),
                Just("[FTA](trade.md)"), Just("[EU FTA](#x)"), Just("## FTA and EU"), Just("# EAEU"),
                Just("`EU`"), Just("```\nFTA\n```"), Just("![FTA](chart.svg)"), Just("*FTA*"), Just("[^n]: FTA"),
                Just("\n\n"), Just(" "), Just("\n"), Just("-"), Just("_"), Just("x"),
            ],
            0..30,
        )
    ) {
        let body: String = pieces.concat();
        let r = render(&body);
        check_rendered(&body, &r);
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: inputs the properties above found, kept as plain tests.

/// Found by `markdown_never_panics_and_keeps_invariants`: a heading "fn 1" took the id of
/// footnote 1 (`fn-1`), so the footnote's back link and any `#fn-1` link went to the heading.
#[test]
fn regression_footnote_and_heading_ids_do_not_clash() {
    let body = "## fn 1\n# Trade # Trade\n[^1]: a note about the FTA ";
    let r = render(body);
    check_rendered(body, &r);
    let body = "## fn 1\n\nx[^1] and again[^1]\n\n[^1]: note\n";
    let r = render(body);
    check_rendered(body, &r);
    assert!(r.html.contains("id=\"fn-1\""), "{}", r.html);
}

/// Found by `glossary_links_once_and_never_in_links_or_headings`: a footnote defined three
/// times gave three elements the id `fn-n`. Now the repeats are reported at their line.
#[test]
fn regression_footnote_defined_twice() {
    let body = "[^n]: FTA[^n]: FTA\n\n[^n]: FTA";
    let r = render(body);
    check_rendered(body, &r);
    let body = "x[^n]\n\n[^n]: one\n\n[^n]: two\n";
    let r = render(body);
    check_rendered(body, &r);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(r.problems[0].message.contains("defined twice"));
    assert_eq!(r.problems[0].line, 4 + 4);
}

/// Found by `markdown_never_panics_and_keeps_invariants`: "Trade", an explicit `{#trade-1}`,
/// then "Trade" again gave two headings the id `trade-1`.
#[test]
fn regression_explicit_id_then_repeated_heading() {
    let body = "# Trade\n## Trade {#trade-1}\n# Trade ";
    let r = render(body);
    check_rendered(body, &r);
    let ids: Vec<&str> = r
        .toc
        .iter()
        .flat_map(|t| {
            std::iter::once(t.id.as_str()).chain(t.children.iter().map(|c| c.id.as_str()))
        })
        .collect();
    assert_eq!(ids, ["trade", "trade-1", "trade-2"]);
}

/// Two footnote names with one slug get two ids.
#[test]
fn footnote_names_with_one_slug() {
    let body = "a[^x y] b[^x-y]\n\n[^x y]: one\n\n[^x-y]: two\n";
    let r = render(body);
    check_rendered(body, &r);
}

/// Found by the long `markdown_never_panics_and_keeps_invariants` session (after 1.2 million
/// cases): a raw `<a>` left open in one paragraph is reopened by browsers in later blocks, and a
/// glossary link written there nested one link in another. Terms inside raw `<a>`, `<code>` or
/// heading tags are not linked either.
#[test]
fn regression_no_glossary_link_inside_raw_html_links() {
    for body in [
        "<a>\n\n| a | b |\n|---|---|\n| FTA | [x](trade.md) | ",
        "t ?%?~+vYl<a>f\n\n| a | b |\n|---|---|\n| FTA | [x](trade.md) |\n",
        "see <a href=\"https://e.org\">the FTA</a> and <code>EU</code>\n",
        "<h2>EAEU</h2>\n\nthen the EAEU\n",
    ] {
        let r = render(body);
        let doc = Html::parse_fragment(&r.html);
        for a in doc.select(&sel("a.gloss")) {
            let mut up = a.parent();
            while let Some(node) = up {
                if let Some(el) = node.value().as_element() {
                    assert!(
                        !matches!(el.name(), "a" | "h2" | "code"),
                        "glossary link inside <{}>\n{}",
                        el.name(),
                        r.html
                    );
                }
                up = node.parent();
            }
        }
    }
    // After a closed raw link, terms are linked again.
    let r = render("<a href=\"x\">EU</a> and the FTA\n");
    assert!(
        r.html.contains("class=\"gloss\" href=\"/b/glossary/#fta\""),
        "{}",
        r.html
    );
    assert!(!r.html.contains("glossary/#eu\""), "{}", r.html);
}
