//! The site-wide corrections page (`corrections/`) and its Atom feed (`corrections/atom.xml`):
//! fixture sites under tests/sites/ are built with the real binary into temp dirs, and what was
//! written is read back with real parsers (scraper for HTML, roxmltree for XML). What each page
//! should list is read from the fixtures' own front matter, not written out here.

mod common;

use common::{build, fixture, read, site_copy, stderr};
use std::path::{Path, PathBuf};

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn sel(s: &str) -> scraper::Selector {
    scraper::Selector::parse(s).expect("selector")
}

/// Builds a site into a temp dir; the build must succeed.
fn built(root: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let o = build(root, &out, &[]);
    assert!(o.status.success(), "build failed: {}", stderr(&o));
    (tmp, out)
}

/// A correction as its page's front matter gives it.
#[derive(Debug, Clone, PartialEq)]
struct Written {
    date: String,
    text: String,
    title: String,
    /// The page's site path (`topics/trade/`).
    path: String,
}

/// Every correction in the published pages of `content/` (not translations, not drafts), in the
/// order the corrections page must list them: newest first, a page's corrections of one day as
/// its file lists them (the fixtures have no two pages corrected on the same day).
fn written_corrections(root: &Path) -> Vec<Written> {
    let content = root.join("content");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "md")
                // A translation's file name has the edition's code before `.md`.
                && p.file_stem().is_some_and(|s| !s.to_string_lossy().contains('.'))
        })
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read page");
        let yaml = text
            .strip_prefix("---\n")
            .and_then(|t| t.split_once("\n---\n"))
            .map(|(y, _)| y)
            .unwrap_or_else(|| panic!("{}: no front matter", file.display()));
        let fm: serde_yaml::Value = serde_yaml::from_str(yaml).expect("front matter parses");
        if fm["draft"].as_bool() == Some(true) {
            continue;
        }
        let rel = file
            .strip_prefix(&content)
            .expect("prefix")
            .with_extension("");
        let path = format!("{}/", rel.to_string_lossy().replace('\\', "/"));
        for c in fm["corrections"].as_sequence().into_iter().flatten() {
            all.push(Written {
                date: c["date"].as_str().expect("date").to_string(),
                text: c["text"].as_str().expect("text").to_string(),
                title: fm["title"].as_str().expect("title").to_string(),
                path: path.clone(),
            });
        }
    }
    // Stable: ties keep page order, then file order.
    all.sort_by(|a, b| b.date.cmp(&a.date));
    all
}

/// One entry of the corrections page as a reader sees it.
#[derive(Debug, PartialEq)]
struct Shown {
    datetime: String,
    date_text: String,
    href: String,
    title: String,
    text: String,
}

fn shown_corrections(html: &str) -> Vec<Shown> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&sel("main ol.corrections-log > li"))
        .map(|li| {
            let time = li.select(&sel("time")).next().expect("a date");
            let link = li.select(&sel("p a")).next().expect("a link to the page");
            let paragraphs: Vec<String> = li
                .select(&sel("p"))
                .map(|p| p.text().collect::<String>())
                .collect();
            Shown {
                datetime: time.value().attr("datetime").expect("datetime").into(),
                date_text: time.text().collect(),
                href: link.value().attr("href").expect("href").into(),
                title: link.text().collect(),
                text: paragraphs.last().cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The file a site-absolute link of the fixture (`/sub/topics/trade/#corr-h`) is served
/// from, and the fragment.
fn target(out: &Path, href: &str) -> (PathBuf, String) {
    let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
    let rel = path
        .strip_prefix("/sub/")
        .unwrap_or_else(|| panic!("{href} is not under the site's base path"));
    (out.join(rel).join("index.html"), fragment.to_string())
}

/// The feed's entries, each as (id, title, link, updated, content).
fn feed_entries(xml: &str) -> Vec<[String; 5]> {
    let doc = roxmltree::Document::parse(xml).expect("the corrections feed is well-formed XML");
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert_eq!(feed.tag_name().name(), "feed");
    let text = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((ATOM, name)))
            .and_then(|c| c.text())
            .unwrap_or_else(|| panic!("an entry without <{name}>"))
            .to_string()
    };
    feed.children()
        .filter(|n| n.has_tag_name((ATOM, "entry")))
        .map(|e| {
            let link = e
                .children()
                .find(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("alternate"))
                .and_then(|l| l.attribute("href"))
                .expect("an entry links to its page")
                .to_string();
            [
                text(e, "id"),
                text(e, "title"),
                link,
                text(e, "updated"),
                text(e, "content"),
            ]
        })
        .collect()
}

fn feed_child(xml: &str, name: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).expect("XML");
    doc.root_element()
        .children()
        .find(|c| c.has_tag_name((ATOM, name)))
        .and_then(|c| c.text().map(str::to_string))
}

#[test]
fn the_corrections_page_lists_every_correction_newest_first_linked_to_its_page() {
    let root = fixture("sites/corrections");
    let (_tmp, out) = built(&root);
    let written = written_corrections(&root);
    assert!(
        written.len() >= 3,
        "the fixture has corrections: {written:?}"
    );
    let shown = shown_corrections(&read(&out, "corrections/index.html"));
    assert_eq!(shown.len(), written.len(), "{shown:#?}");
    for (s, w) in shown.iter().zip(&written) {
        assert_eq!(s.datetime, w.date, "{s:?}");
        assert_eq!(s.title, w.title, "{s:?}");
        assert_eq!(s.text, w.text, "{s:?}");
        // To the page's corrections box, which is there and lists this correction.
        assert_eq!(s.href, format!("/sub/{}#corr-h", w.path));
        let (file, fragment) = target(&out, &s.href);
        let page = scraper::Html::parse_document(&std::fs::read_to_string(&file).expect("page"));
        assert!(
            page.select(&sel(&format!("h2#{fragment}")))
                .next()
                .is_some(),
            "{}: no #{fragment}",
            file.display()
        );
        // The heading labels the box.
        let boxed = page
            .select(&sel(&format!("section[aria-labelledby='{fragment}']")))
            .next()
            .unwrap_or_else(|| panic!("{}: no box labelled #{fragment}", file.display()));
        let listed: Vec<String> = boxed
            .select(&sel("li"))
            .map(|li| li.text().collect())
            .collect();
        assert!(
            listed.iter().any(|l| l.ends_with(&w.text)),
            "{}: {listed:?}",
            file.display()
        );
        // The box links back to the corrections page.
        assert!(boxed
            .select(&sel("a[href='/sub/corrections/']"))
            .next()
            .is_some());
    }
    // Newest first, and dates written as the site's language writes them.
    assert!(shown.windows(2).all(|w| w[0].datetime >= w[1].datetime));
    let first = &shown[0];
    assert_eq!(
        (first.datetime.as_str(), first.date_text.as_str()),
        ("2024-03-05", "5 March 2024")
    );
    // Neither a page without corrections nor a draft is listed.
    let html = read(&out, "corrections/index.html");
    assert!(!html.contains("/sub/topics/grain/"));
    assert!(
        !html.contains("never shown"),
        "a draft's correction is shown"
    );
}

#[test]
fn the_corrections_feed_has_one_entry_per_correction_with_stable_ids() {
    let (tmp, root) = site_copy("sites/corrections");
    let (_out_tmp, out) = built(&root);
    let xml = read(&out, "corrections/atom.xml");
    let written = written_corrections(&root);
    let entries = feed_entries(&xml);
    assert_eq!(entries.len(), written.len());
    for ([id, title, link, updated, content], w) in entries.iter().zip(&written) {
        let permalink = format!("https://example.github.io/sub/{}", w.path);
        assert!(
            id.starts_with(&format!("{permalink}#correction-{}-", w.date)),
            "{id}"
        );
        assert_eq!(title, &format!("Correction: {}", w.title));
        assert_eq!(link, &format!("{permalink}#corr-h"));
        assert_eq!(updated, &format!("{}T00:00:00Z", w.date));
        assert_eq!(content, &w.text);
    }
    let mut ids: Vec<&String> = entries.iter().map(|e| &e[0]).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), entries.len(), "ids are unique");
    assert_eq!(
        feed_child(&xml, "updated"),
        Some(format!("{}T00:00:00Z", written[0].date))
    );
    assert_eq!(
        feed_child(&xml, "id").as_deref(),
        Some("https://example.github.io/sub/corrections/")
    );
    // The page names its feed, and the feed is the page's.
    let doc = scraper::Html::parse_document(&read(&out, "corrections/index.html"));
    let alternate = doc
        .select(&sel(
            "head link[rel=alternate][type='application/atom+xml']",
        ))
        .filter_map(|l| l.value().attr("href"))
        .find(|h| h.ends_with("corrections/atom.xml"));
    assert_eq!(alternate, Some("/sub/corrections/atom.xml"));

    // A correction added on another day leaves every earlier entry's id as it was.
    let trade = root.join("content/topics/trade.md");
    let text = std::fs::read_to_string(&trade).expect("trade");
    let added = text.replacen(
        "corrections:\n",
        "corrections:\n  - date: 2024-06-01\n    text: \"A chart's axis was mislabelled.\"\n",
        1,
    );
    assert_ne!(added, text);
    std::fs::write(&trade, added).expect("write");
    let out2 = tmp.path().join("again");
    let o = build(&root, &out2, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = feed_entries(&read(&out2, "corrections/atom.xml"));
    assert_eq!(after.len(), entries.len() + 1);
    assert_eq!(after[0][4], "A chart's axis was mislabelled.");
    for e in &entries {
        assert!(after.contains(e), "{e:?} changed");
    }
}

#[test]
fn each_edition_has_its_own_corrections_page_and_feed() {
    let root = fixture("sites/corrections-editions");
    let (_tmp, out) = built(&root);
    let en = shown_corrections(&read(&out, "corrections/index.html"));
    let ru_html = read(&out, "ru/corrections/index.html");
    let ru = shown_corrections(&ru_html);
    assert_eq!(en.len(), written_corrections(&root).len());
    assert_eq!(
        ru.len(),
        en.len(),
        "the edition lists every page's corrections"
    );

    // The translated page: its own title, the translation's words, the edition's date format.
    let trade = ru
        .iter()
        .find(|s| s.href == "/sub/ru/topics/trade/#corr-h")
        .expect("the translated page, in the edition");
    assert_eq!(trade.title, "Торговля");
    assert_eq!(trade.date_text, "5 марта 2024\u{202f}г.");
    assert!(trade.text.starts_with("В прежней версии"), "{trade:?}");
    // The untranslated page is read in the default edition, and labelled with its language.
    let energy = ru
        .iter()
        .find(|s| s.href == "/sub/topics/energy/#corr-h")
        .expect("the untranslated page, linked to the original");
    assert_eq!(energy.title, "Energy");
    let doc = scraper::Html::parse_document(&ru_html);
    assert_eq!(
        doc.select(&sel("main h1"))
            .map(|h| h.text().collect::<String>())
            .next()
            .as_deref(),
        Some("Исправления")
    );
    assert!(doc
        .select(&sel("ol.corrections-log a[hreflang=en][lang=en]"))
        .next()
        .is_some());
    assert!(doc
        .select(&sel("head link[href='/sub/ru/corrections/atom.xml']"))
        .next()
        .is_some());

    // Each edition's feed carries the corrections of the pages it has in its own language.
    let en_feed = feed_entries(&read(&out, "corrections/atom.xml"));
    let ru_xml = read(&out, "ru/corrections/atom.xml");
    let ru_feed = feed_entries(&ru_xml);
    assert_eq!(en_feed.len(), en.len());
    assert_eq!(ru_feed.len(), 1, "{ru_feed:?}");
    let [id, title, link, _, content] = &ru_feed[0];
    assert!(id.starts_with("https://example.github.io/sub/ru/topics/trade/#correction-2024-03-05-"));
    assert_eq!(title, "Исправление: Торговля");
    assert_eq!(
        link,
        "https://example.github.io/sub/ru/topics/trade/#corr-h"
    );
    assert_eq!(content, &trade.text);
    let lang = roxmltree::Document::parse(&ru_xml)
        .expect("XML")
        .root_element()
        .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
        .map(str::to_string);
    assert_eq!(lang.as_deref(), Some("ru"));
}

#[test]
fn a_site_without_corrections_has_the_page_saying_so_and_an_empty_feed() {
    let (_tmp, root) = site_copy("sites/corrections");
    for page in ["topics/trade.md", "topics/energy.md", "topics/draft.md"] {
        let file = root.join("content").join(page);
        let text = std::fs::read_to_string(&file).expect("read");
        // Every correction of the fixture is in a `corrections:` block ending the front matter.
        let start = text.find("corrections:\n").expect("a corrections block");
        let end = start + text[start..].find("---\n").expect("end of front matter");
        std::fs::write(&file, format!("{}{}", &text[..start], &text[end..])).expect("write");
    }
    assert!(written_corrections(&root).is_empty());
    let (_out_tmp, out) = built(&root);
    let html = read(&out, "corrections/index.html");
    assert!(shown_corrections(&html).is_empty());
    let doc = scraper::Html::parse_document(&html);
    let none: Vec<String> = doc
        .select(&sel("main p.muted"))
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(none, ["No corrections yet."]);
    let xml = read(&out, "corrections/atom.xml");
    assert!(feed_entries(&xml).is_empty());
    // With no correction to date it, the feed takes the newest date of the site's pages.
    assert_eq!(
        feed_child(&xml, "updated").as_deref(),
        Some("2024-04-01T00:00:00Z")
    );
    // The page is in the sitemap like the other generated pages.
    assert!(read(&out, "sitemap.xml").contains("https://example.github.io/sub/corrections/"));
}

#[test]
fn without_the_feed_the_page_has_no_feed_link_and_no_feed_is_written() {
    let (_tmp, root) = site_copy("sites/corrections");
    let yaml = std::fs::read_to_string(root.join("site.yaml")).expect("site.yaml");
    let off = yaml.replace("feed: true", "feed: false");
    assert_ne!(off, yaml);
    std::fs::write(root.join("site.yaml"), off).expect("write");
    let (_out_tmp, out) = built(&root);
    let html = read(&out, "corrections/index.html");
    assert!(!shown_corrections(&html).is_empty());
    assert!(
        !html.contains("atom.xml"),
        "a link to a feed that is not written"
    );
    assert!(!out.join("corrections/atom.xml").exists());
}

#[test]
fn in_watch_a_new_correction_reaches_the_page_the_corrections_page_and_the_feed() {
    use bilat::watch::Watcher;
    let (tmp, root) = site_copy("sites/corrections");
    let out = tmp.path().join("public");
    let mut w = Watcher::new(bilat::BuildOptions {
        root: root.clone(),
        output: Some(out.clone()),
        ..Default::default()
    })
    .expect("watcher");
    w.build_all().expect("first build");
    let trade = root.join("content/topics/trade.md");
    let md = std::fs::read_to_string(&trade).expect("trade.md");
    let added = "    text: \"A correction added while watching.\"\n";
    std::fs::write(
        &trade,
        md.replacen(
            "corrections:\n",
            &format!("corrections:\n  - date: 2024-06-01\n{added}"),
            1,
        ),
    )
    .expect("write");
    let report = w.apply_changes(&[trade]).expect("rebuild");
    for (file, why) in [
        ("topics/trade/index.html", "the page's corrections box"),
        ("corrections/index.html", "the corrections page"),
        ("corrections/atom.xml", "the corrections feed"),
    ] {
        assert!(
            read(&out, file).contains("A correction added while watching."),
            "{why} ({file}) has the new correction; rebuild: {}",
            report.summary()
        );
    }
    // And the whole output is what a fresh build writes.
    let (_fresh_tmp, fresh) = built(&root);
    assert_eq!(
        common::snapshot(&out),
        common::snapshot(&fresh),
        "watch's output equals a fresh build"
    );
}
