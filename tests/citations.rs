//! Citations readers can check in place: the markup the popover script (theme/assets/js/cite.js)
//! reads, which is also what readers without JavaScript follow, and the script's size budget.
//! What the script does in a browser is tested in tests/browser.rs.

mod common;

use common::{build, fixture, read, stderr};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The budget the issue sets: no more than 3 KB of script, minified, added to a page.
const CITE_JS_BUDGET: usize = 3072;

#[test]
fn the_citation_script_is_at_most_3_kb_minified() {
    let source = std::fs::read_to_string(repo().join("theme/assets/js/cite.js")).expect("cite.js");
    // minify-html minifies a script element's body with oxc's minifier (compression, no
    // whitespace). It keeps comments, so the comment lines go first, and it drops the names its
    // mangler chose, so the figure is an upper bound on what a mangling minifier would give.
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut cfg = minify_html::Cfg::new();
    cfg.minify_js = true;
    let html = format!("<script>{code}</script>");
    let out = String::from_utf8(minify_html::minify(html.as_bytes(), &cfg)).expect("utf8");
    let body = out
        .strip_prefix("<script>")
        .and_then(|s| s.strip_suffix("</script>"))
        .unwrap_or_else(|| panic!("minified script element: {out}"));
    // The minifier ran (comments and whitespace went), so the figure is a minified size.
    assert!(
        body.len() < source.len() * 3 / 4 && !body.contains("//"),
        "not minified: {} of {} bytes\n{body}",
        body.len(),
        source.len()
    );
    eprintln!(
        "cite.js: {} bytes as written, {} minified (budget {CITE_JS_BUDGET})",
        source.len(),
        body.len()
    );
    assert!(
        body.len() <= CITE_JS_BUDGET,
        "cite.js is {} bytes minified, over the {CITE_JS_BUDGET}-byte budget",
        body.len()
    );
}

#[test]
fn every_citation_marker_links_to_an_entry_on_its_page() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let o = build(&fixture("sites/citations"), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = read(&out, "topics/grain/index.html");
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).expect("selector");
    let markers: Vec<String> = doc
        .select(&sel("sup.cite a, sup.footnote-ref a, a.ref"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(
        markers,
        [
            "#src-s1",
            "#src-s2",
            "#src-s3",
            "#fn-press",
            "#src-s2",
            "#src-s1",
            "#src-s3",
            "#src-s2",
            "#src-s1"
        ],
        "body citations, the footnote, the quote's source"
    );
    // Without script each marker is a plain link that jumps to an element of this page.
    for href in &markers {
        let id = href.trim_start_matches('#');
        assert_eq!(
            doc.select(&sel(&format!("[id=\"{id}\"]"))).count(),
            1,
            "{href} has one target"
        );
    }
    // The popover adds to a source's entry the quotes whose caption cites that source, read from
    // the page: each quote is a figure with its words, its speaker and a reference.
    let quoted: Vec<(String, String, String)> = doc
        .select(&sel("figure.quote"))
        .map(|f| {
            let text = |css: &str| {
                f.select(&sel(css))
                    .next()
                    .map(|e| e.text().collect::<String>())
                    .unwrap_or_default()
            };
            let href = f
                .select(&sel("a.ref"))
                .next()
                .and_then(|a| a.value().attr("href"))
                .unwrap_or_default()
                .to_string();
            (text("blockquote").trim().to_string(), text("cite"), href)
        })
        .collect();
    assert_eq!(
        quoted,
        [(
            "We have agreed to double the trade in grain.".to_string(),
            "A. Minister".to_string(),
            "#src-s1".to_string()
        )]
    );

    // The script is linked, deferred, where a page has citations, and only there.
    let scripts = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        doc.select(&sel("script[src]"))
            .filter_map(|s| {
                let src = s.value().attr("src")?;
                Some((src.to_string(), s.value().attr("defer").is_some()))
            })
            .collect::<Vec<_>>()
    };
    let on_topic = scripts(&html);
    assert_eq!(on_topic.len(), 1, "{on_topic:?}");
    assert!(on_topic[0].0.starts_with("/sub/js/cite.js") && on_topic[0].1);
    assert!(out.join("js/cite.js").is_file());
    for page in [
        "tags/index.html",
        "topics/index.html",
        "timeline/index.html",
    ] {
        let found = scripts(&read(&out, page));
        assert!(
            found.iter().all(|(src, _)| !src.contains("cite.js")),
            "{page}: {found:?}"
        );
    }
}
