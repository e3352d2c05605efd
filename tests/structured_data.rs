//! Structured data: every content page carries schema.org JSON-LD of type
//! `BackgroundNewsArticle` (schema.org's type for explainers) and Open Graph's `article:` meta
//! tags, read here from every page of the built repository site and of the citations fixture.

mod common;

use common::{build, fixture, read, stderr};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sel(s: &str) -> scraper::Selector {
    scraper::Selector::parse(s).expect("selector")
}

/// Every JSON-LD block of a page, parsed (a block that does not parse fails the test).
fn json_ld(rel: &str, doc: &scraper::Html) -> Vec<Value> {
    doc.select(&sel("script[type=\"application/ld+json\"]"))
        .map(|s| {
            let text: String = s.text().collect();
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{rel}: JSON-LD does not parse: {e}\n{text}"))
        })
        .collect()
}

fn meta(doc: &scraper::Html, property: &str) -> Vec<String> {
    doc.select(&sel(&format!("meta[property=\"{property}\"]")))
        .filter_map(|m| m.value().attr("content").map(str::to_string))
        .collect()
}

fn one_meta(doc: &scraper::Html, property: &str) -> Option<String> {
    let all = meta(doc, property);
    assert!(all.len() <= 1, "{property} written {} times", all.len());
    all.into_iter().next()
}

/// The output file of each content page (not the home or a section): `topics/trade.md` is
/// `topics/trade/index.html`, as the sites read here write them.
fn content_pages(root: &Path) -> BTreeSet<String> {
    let content = root.join("content");
    walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "md")
                && !e.file_name().to_string_lossy().starts_with("_index.")
                && !e.path().components().any(|c| c.as_os_str() == "_data")
        })
        .map(|e| {
            let rel = e.path().strip_prefix(&content).expect("prefix");
            let rel = rel.with_extension("").to_string_lossy().replace('\\', "/");
            // A translation (`topics/trade.ru.md`) is its edition's page (`ru/topics/trade/`).
            match rel.rsplit_once('.') {
                Some((original, lang)) => format!("{lang}/{original}/index.html"),
                None => format!("{rel}/index.html"),
            }
        })
        .collect()
}

/// Every string under the keys that name this site's own pages, outside `citation`.
fn site_urls(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("citation", _) => {}
                    ("url" | "mainEntityOfPage" | "image" | "@id", Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => site_urls(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| site_urls(x, out)),
        _ => {}
    }
}

fn is_day(s: &str) -> bool {
    s.len() == 10 && jiff::civil::Date::strptime("%Y-%m-%d", s).is_ok()
}

/// Checks every page of a built site; returns each content page's article by output path.
fn check_site(root: &Path, out: &Path, base: &str, publisher: &str) -> BTreeMap<String, Value> {
    let expected = content_pages(root);
    let mut articles = BTreeMap::new();
    let mut pages = 0;
    for entry in walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.path().extension().is_none_or(|x| x != "html") {
            continue;
        }
        pages += 1;
        let rel = entry
            .path()
            .strip_prefix(out)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        let doc = scraper::Html::parse_document(&read(out, &rel));
        let blocks = json_ld(&rel, &doc);
        let is_content = expected.contains(&rel);
        let found: Vec<&Value> = blocks
            .iter()
            .filter(|b| b["@type"] == "BackgroundNewsArticle")
            .collect();
        if !is_content {
            assert!(found.is_empty(), "{rel} is no content page: {found:?}");
            assert!(meta(&doc, "article:published_time").is_empty(), "{rel}");
            continue;
        }
        assert_eq!(
            found.len(),
            1,
            "{rel}: one BackgroundNewsArticle in {blocks:?}"
        );
        let ld = found[0].clone();
        let at = |k: &str| ld[k].as_str().map(str::to_string);
        assert_eq!(ld["@context"], "https://schema.org", "{rel}");
        assert_eq!(
            at("headline"),
            one_meta(&doc, "og:title"),
            "{rel}: headline"
        );
        let description = doc
            .select(&sel("meta[name=description]"))
            .next()
            .and_then(|m| m.value().attr("content"))
            .map(str::to_string);
        assert_eq!(at("description"), description, "{rel}: description");
        let canonical = doc
            .select(&sel("link[rel=canonical]"))
            .next()
            .and_then(|l| l.value().attr("href"))
            .map(str::to_string);
        assert_eq!(at("url"), canonical, "{rel}: url");
        assert_eq!(at("mainEntityOfPage"), canonical, "{rel}");
        let lang = doc
            .select(&sel("html"))
            .next()
            .and_then(|h| h.value().attr("lang"))
            .map(str::to_string);
        assert_eq!(at("inLanguage"), lang, "{rel}: inLanguage");
        // Dates: as the article: meta tags say; modified never before published.
        assert_eq!(
            at("datePublished"),
            one_meta(&doc, "article:published_time"),
            "{rel}"
        );
        let modified = at("dateModified").unwrap_or_else(|| panic!("{rel}: dateModified"));
        assert_eq!(
            Some(&modified),
            one_meta(&doc, "article:modified_time").as_ref()
        );
        assert!(is_day(&modified), "{rel}: {modified}");
        if let Some(p) = at("datePublished") {
            assert!(is_day(&p) && p <= modified, "{rel}: {p} .. {modified}");
        }
        for who in ["author", "publisher"] {
            assert_eq!(ld[who]["@type"], "Organization", "{rel}: {who}");
            assert_eq!(ld[who]["name"], publisher, "{rel}: {who}");
        }
        // A page of another edition is part of that edition's site (`…/ru/`).
        let edition = match rel.split_once('/') {
            Some((lang, _))
                if lang.len() == 2
                    && expected.iter().any(|p| p.starts_with(&format!("{lang}/"))) =>
            {
                format!("{base}{lang}/")
            }
            _ => base.to_string(),
        };
        assert_eq!(ld["isPartOf"]["url"], edition.as_str(), "{rel}");
        // Section and tags as the meta tags give them.
        assert_eq!(
            at("articleSection"),
            one_meta(&doc, "article:section"),
            "{rel}"
        );
        let keywords: Vec<String> = ld["keywords"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(keywords, meta(&doc, "article:tag"), "{rel}: tags");
        // Every URL of the site's own is absolute, under the base URL.
        let mut urls = Vec::new();
        site_urls(&ld, &mut urls);
        assert!(urls.len() >= 5, "{rel}: {urls:?}");
        for u in &urls {
            assert!(u.starts_with(base), "{rel}: {u} is not under {base}");
        }
        // The citations are the URLs of the sources of the page's numbered list, in its order:
        // each original's, which its entry links to, absolute.
        let entries: Vec<Vec<String>> = doc
            .select(&sel("section.sources li"))
            .map(|li| {
                li.select(&sel("a"))
                    .filter_map(|a| a.value().attr("href").map(str::to_string))
                    .collect()
            })
            .collect();
        let cited: Vec<&Value> = ld["citation"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        assert_eq!(cited.len(), entries.len(), "{rel}: one citation per source");
        for (c, links) in cited.iter().zip(&entries) {
            let url = c.as_str().unwrap_or_else(|| panic!("{rel}: {c}"));
            assert!(
                url.starts_with("https://") || url.starts_with("http://"),
                "{url}"
            );
            assert!(
                links.iter().any(|l| l == url),
                "{rel}: {url} not in {links:?}"
            );
        }
        // Corrections, as the visible box lists them.
        let shown = doc.select(&sel("section.corrections li")).count();
        let carried = ld["correction"].as_array().map_or(0, Vec::len);
        assert_eq!(shown, carried, "{rel}: corrections");
        // No field is written as null or an empty list.
        let text = ld.to_string();
        assert!(
            !text.contains(":null") && !text.contains(":[]"),
            "{rel}: {text}"
        );
        articles.insert(rel, ld);
    }
    assert_eq!(
        articles.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every content page has its article"
    );
    assert!(pages > articles.len(), "the other pages were read too");
    articles
}

#[test]
fn every_page_of_the_repository_site_carries_valid_structured_data() {
    // Another base URL than site.yaml's: the URLs follow it.
    let base = "https://example.org/explainer/";
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let o = build(&repo(), &out, &["--base-url", base]);
    assert!(o.status.success(), "{}", stderr(&o));
    let articles = check_site(&repo(), &out, base, "bilat");
    assert!(articles.len() >= 10, "{}", articles.len());
    let trade = &articles["topics/trade/index.html"];
    assert_eq!(trade["articleSection"], "Topics");
    assert_eq!(trade["datePublished"], "2023-12-27");
    assert!(
        trade["citation"][0]
            .as_str()
            .is_some_and(|u| u.starts_with("https://www.indiatvnews.com/")),
        "the trade page cites the seed report first"
    );
}

#[test]
fn an_article_carries_its_corrections_and_the_urls_of_its_sources() {
    let base = "https://example.github.io/sub/";
    let root = fixture("sites/citations");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let articles = check_site(&root, &out, base, "bilat tests");
    let grain = &articles["topics/grain/index.html"];
    assert_eq!(
        grain["correction"],
        serde_json::json!([{
            "@type": "CorrectionComment",
            "text": "An earlier version gave the wrong month for the trade figures.",
            "datePublished": "2024-01-05"
        }])
    );
    // The page's updated date follows its newest correction.
    assert_eq!(grain["datePublished"], "2023-12-27");
    assert_eq!(grain["dateModified"], "2024-01-05");
    assert_eq!(grain["keywords"], serde_json::json!(["economy", "grain"]));
    // The original URLs, the dead source's too (its entry links the archived copy first).
    assert_eq!(
        grain["citation"],
        serde_json::json!([
            "https://example.org/s1",
            "https://example.org/s2",
            "https://example.org/s3"
        ])
    );
}

#[test]
fn a_site_without_a_publisher_names_none_in_its_articles() {
    // `bilat init` writes no publisher; the articles then name no author or publisher rather
    // than an organisation with an empty name.
    let (tmp, root) = common::init_site("Testland:tl", "Examplestan:ex");
    let config = std::fs::read_to_string(root.join("site.yaml")).expect("site.yaml");
    assert!(
        !config
            .lines()
            .any(|l| l.starts_with("publisher:") && l.len() > "publisher: \"\"".len()),
        "init writes no publisher: {config}"
    );
    let out = tmp.path().join("out");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut articles = 0;
    for rel in content_pages(&root) {
        let doc = scraper::Html::parse_document(&read(&out, &rel));
        for ld in json_ld(&rel, &doc) {
            articles += 1;
            assert_eq!(ld["@type"], "BackgroundNewsArticle", "{rel}");
            assert!(
                ld.get("author").is_none() && ld.get("publisher").is_none(),
                "{rel}: {ld}"
            );
            assert!(
                ld["headline"].is_string() && ld["url"].is_string(),
                "{rel}: {ld}"
            );
        }
    }
    assert!(articles >= 1, "init's example topic has its article");
}
