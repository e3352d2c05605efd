//! Editions: the fixture `sites/editions` (English, and Russian with a translated home and one
//! translated topic) built into temp dirs, and the files read back.

mod common;

use common::{bilat, build, read, site_copy, stderr};
use std::path::Path;

fn built() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (tmp, root) = site_copy("sites/editions");
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    (tmp, root, out)
}

fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=").skip(1) {
        let v = match part.chars().next() {
            Some(q @ ('"' | '\'')) => part[1..].split(q).next().unwrap_or(""),
            _ => part
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        out.push(v.to_string());
    }
    out
}

#[test]
fn each_edition_has_its_folder_and_untranslated_topics_link_to_the_original() {
    let (_tmp, _root, out) = built();
    // The default edition at the root, the other under /ru/.
    assert!(out.join("topics/trade/index.html").is_file());
    assert!(out.join("topics/energy/index.html").is_file());
    assert!(out.join("ru/topics/trade/index.html").is_file());
    assert!(out.join("ru/index.html").is_file());
    // Home and section pages exist in every edition (their lists are the edition's) …
    assert!(out.join("ru/topics/index.html").is_file());
    // … a topic without a translation only where its words are, and it is never a 404.
    assert!(!out.join("ru/topics/energy").exists());
    let home = read(&out, "ru/index.html");
    let links = hrefs(&home);
    assert!(
        links.iter().any(|l| l == "/sub/ru/topics/trade/"),
        "{links:?}"
    );
    assert!(
        links.iter().any(|l| l == "/sub/topics/energy/"),
        "{links:?}"
    );
    assert!(
        !links.iter().any(|l| l.contains("/ru/topics/energy")),
        "{links:?}"
    );
    // Assets are shared, at the root.
    assert!(
        links.iter().any(|l| l.starts_with("/sub/css/")),
        "{links:?}"
    );
    assert!(!out.join("ru/css").exists());
    // One 404 page, robots.txt and .nojekyll for the whole site.
    assert!(!out.join("ru/404.html").exists() && !out.join("ru/robots.txt").exists());
    assert!(out.join("404.html").is_file() && out.join(".nojekyll").is_file());
}

#[test]
fn a_translation_has_its_own_words_and_inherits_the_facts() {
    let (_tmp, _root, out) = built();
    let ru = read(&out, "ru/topics/trade/index.html");
    assert!(
        ru.contains("lang=ru") || ru.contains("lang=\"ru\""),
        "no lang=ru"
    );
    // Its words …
    for words in [
        "Торговля",
        "Двусторонняя торговля",
        "Встреча министров",
        "Обзор",
    ] {
        assert!(ru.contains(words), "missing {words:?}");
    }
    // … and the original's facts: the figure's value and unit, the quote as published, the
    // timeline date (in the edition's locale), the sources.
    for fact in [
        "44.4",
        "US$ billion",
        "Trade has grown.",
        "27 декабря 2023",
        "example.org/s2",
    ] {
        assert!(ru.contains(fact), "missing {fact:?}");
    }
    // The English words are not there (the source's title, "Ministers meet", is a fact).
    assert!(!ru.contains("Bilateral trade") && !ru.contains("Trade between the two"));
    // A link in the translation's body to an untranslated topic goes to the original.
    assert!(hrefs(&ru).iter().any(|l| l == "/sub/topics/energy/"));
    // The English page is untouched by its translation.
    let en = read(&out, "topics/trade/index.html");
    assert!(en.contains("Bilateral trade") && !en.contains("Торговля"));
}

#[test]
fn each_edition_has_its_feed_sitemap_and_search() {
    let (_tmp, _root, out) = built();
    let feed = read(&out, "ru/atom.xml");
    assert!(feed.contains("Торговля"), "{feed}");
    assert!(
        !feed.contains("Energy"),
        "an edition's feed has its own topics only: {feed}"
    );
    let sitemap = read(&out, "ru/sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.github.io/sub/ru/topics/trade/</loc>"));
    assert!(sitemap.contains(
        "<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"https://example.github.io/sub/topics/trade/\"/>"
    ));
    // hreflang only where a translation exists.
    let en_sitemap = read(&out, "sitemap.xml");
    let energy = en_sitemap
        .split("<url>")
        .find(|u| u.contains("/topics/energy/</loc>"))
        .expect("energy in the sitemap");
    assert!(!energy.contains("hreflang=\"ru\""), "{energy}");
    let robots = read(&out, "robots.txt");
    assert!(robots.contains("Sitemap: https://example.github.io/sub/sitemap.xml"));
    assert!(robots.contains("Sitemap: https://example.github.io/sub/ru/sitemap.xml"));
    // The Russian edition's search index finds a Russian word of its translated topic.
    let files = common::search_index_files(&out.join("ru/search"));
    let (_, hits) = bilat::search::plan(&files, "торговли");
    assert!(!hits.is_empty(), "no hit for a Russian word form");
}

fn write(root: &Path, rel: &str, text: &str) {
    std::fs::write(root.join(rel), text).expect("write");
}

#[test]
fn a_translation_that_contradicts_a_fact_is_an_error_naming_both_files() {
    let (tmp, root) = site_copy("sites/editions");
    let text = std::fs::read_to_string(root.join("content/topics/trade.ru.md")).expect("read");
    let text = text.replace(
        "  - label: \"Двусторонняя торговля\"\n",
        "  - label: \"Двусторонняя торговля\"\n    value: \"45\"\n",
    );
    let text = text.replace("summary:", "tags: [economy, oil]\nsummary:");
    write(&root, "content/topics/trade.ru.md", &text);
    let o = build(&root, &tmp.path().join("public"), &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("content/topics/trade.ru.md:")
            && err.contains(
                "`figures[0].value` is `45`, but its original content/topics/trade.md says `44.4`"
            ),
        "{err}"
    );
    assert!(err.contains("`tags` is `"), "{err}");
    assert!(
        !tmp.path().join("public").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn a_translation_without_its_original_is_an_error() {
    let (tmp, root) = site_copy("sites/editions");
    write(
        &root,
        "content/topics/gone.ru.md",
        "---\ntitle: \"Нет\"\n---\nТекст.\n",
    );
    let o = build(&root, &tmp.path().join("public"), &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("content/topics/gone.ru.md")
            && err.contains("original `content/topics/gone.md` does not exist"),
        "{err}"
    );
}

#[test]
fn an_original_changed_after_its_translation_makes_it_outdated() {
    let (tmp, root) = site_copy("sites/editions");
    let r = root.to_str().expect("utf8");
    // The fixture records the revision it translates: up to date.
    let o = bilat(&["translate", "status", "--root", r, "--strict"]);
    let table = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{table}{}", stderr(&o));
    assert!(table.contains("content/topics/trade.md") && table.contains("up to date"));
    assert!(table.contains("content/topics/energy.md") && table.contains("missing"));
    // The original's words change: the translation is outdated.
    let en = std::fs::read_to_string(root.join("content/topics/trade.md")).expect("read");
    write(
        &root,
        "content/topics/trade.md",
        &en.replace("Trade grew", "Trade grew fast"),
    );
    let o = bilat(&["translate", "status", "--root", r]);
    assert!(o.status.success(), "without --strict the table is all");
    assert!(String::from_utf8_lossy(&o.stdout).contains("outdated"));
    let o = bilat(&["translate", "status", "--root", r, "--strict"]);
    assert!(
        !o.status.success(),
        "--strict fails on an outdated translation"
    );
    // check warns, naming the file; --strict fails.
    let o = bilat(&["check", "--root", r]);
    let err = stderr(&o) + &String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("content/topics/trade.ru.md") && err.contains("this translation is outdated"),
        "{err}"
    );
    assert!(!bilat(&["check", "--root", r, "--strict"]).status.success());
    // A fact change is not a change of words: the value is the translation's too.
    // Marking the translation makes it current again.
    let o = bilat(&[
        "translate",
        "mark",
        "--root",
        r,
        "content/topics/trade.ru.md",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let marked = std::fs::read_to_string(root.join("content/topics/trade.ru.md")).expect("read");
    assert_eq!(marked.matches("translates:").count(), 1, "{marked}");
    assert!(bilat(&["translate", "status", "--root", r, "--strict"])
        .status
        .success());
    drop(tmp);
}

#[test]
fn languages_must_include_the_default_one() {
    let (tmp, root) = site_copy("sites/editions");
    let cfg = std::fs::read_to_string(root.join("site.yaml")).expect("read");
    write(
        &root,
        "site.yaml",
        &cfg.replace("language: en\n", "language: hi\n"),
    );
    let o = build(&root, &tmp.path().join("public"), &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("site.yaml:") && err.contains("but not the default language `hi`"),
        "{err}"
    );
}

#[test]
fn the_switcher_and_hreflang_land_on_the_same_page_in_the_other_edition() {
    let (_tmp, _root, out) = built();
    let en = read(&out, "topics/trade/index.html");
    let ru = read(&out, "ru/topics/trade/index.html");
    // Both pages name both versions in their head, and the default one as x-default.
    for page in [&en, &ru] {
        assert!(page.contains(
            "<link rel=alternate hreflang=ru href=https://example.github.io/sub/ru/topics/trade/>"
        ));
        assert!(page.contains(
            "<link rel=alternate hreflang=en href=https://example.github.io/sub/topics/trade/>"
        ));
        assert!(
            page.contains("hreflang=x-default href=https://example.github.io/sub/topics/trade/")
        );
    }
    // The switcher goes to the same topic in the other edition.
    assert!(
        en.contains("<a href=/sub/ru/topics/trade/ lang=ru>Русский</a>"),
        "{en}"
    );
    assert!(ru.contains("<a href=/sub/topics/trade/ lang=en>English</a>"));
    assert!(ru.contains("aria-label=Язык"));
    // A translated page says so and links to its original.
    assert!(ru.contains("Перевод; язык оригинала — English."));
    // An untranslated topic has no Russian alternate, and its switcher entry is where it is read.
    let energy = read(&out, "topics/energy/index.html");
    assert!(
        !energy.contains("hreflang="),
        "no alternates: the page has no translation"
    );
    assert!(energy.contains("<a href=/sub/topics/energy/ lang=ru>Русский</a>"));
    // In the Russian lists, the English topic is labelled with its language.
    let topics = read(&out, "ru/topics/index.html");
    assert!(
        topics.contains("<a href=/sub/topics/energy/ hreflang=en lang=en>Energy</a> <span class=lang-label>English</span>"),
        "{topics}"
    );
    // The quote keeps its English wording, marked as such on the Russian page.
    assert!(ru.contains("<blockquote lang=en><p>Trade has grown."));
    assert!(!en.contains("<blockquote lang="));
}

#[test]
fn an_outdated_translation_says_so_on_its_page() {
    let (tmp, root) = site_copy("sites/editions");
    let en = std::fs::read_to_string(root.join("content/topics/trade.md")).expect("read");
    write(
        &root,
        "content/topics/trade.md",
        &en.replace(
            "summary: \"Trade between the two.\"",
            "summary: \"Trade between the two, revised.\"",
        ),
    );
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("this translation is outdated"),
        "{}",
        stderr(&o)
    );
    let ru = read(&out, "ru/topics/trade/index.html");
    assert!(
        ru.contains("Оригинал (English) обновлён после этого перевода."),
        "no outdated notice"
    );
    assert!(!read(&out, "ru/index.html").contains("обновлён после этого перевода"));
}

#[test]
fn generated_pages_are_titled_in_their_editions_language() {
    let (_tmp, _root, out) = built();
    let title_and_h1 = |rel: &str| {
        let html = read(&out, rel);
        let part = |open: &str, close: &str| {
            html.split_once(open)
                .and_then(|(_, rest)| rest.split_once(close))
                .map(|(t, _)| t.to_string())
                .unwrap_or_else(|| panic!("{rel}: no {open}"))
        };
        (part("<title>", " — "), part("<h1>", "</h1>"))
    };
    // The titles of the built-in Russian table (theme/layouts/i18n/ru.yaml), in <title> and h1.
    for (dir, ru, en) in [
        ("timeline", "Хронология", "Timeline"),
        ("glossary", "Глоссарий", "Glossary"),
        ("people", "Люди", "People"),
        ("sources", "Источники", "Sources"),
        ("tags", "Теги", "Tags"),
        ("search", "Поиск", "Search"),
    ] {
        let ru = ru.to_string();
        assert_eq!(
            title_and_h1(&format!("ru/{dir}/index.html")),
            (ru.clone(), ru),
            "ru/{dir}/"
        );
        // The default edition keeps its English titles.
        let en = en.to_string();
        assert_eq!(
            title_and_h1(&format!("{dir}/index.html")),
            (en.clone(), en),
            "{dir}/"
        );
    }
}

#[test]
fn registries_give_people_and_terms_in_each_editions_language() {
    let (tmp, root) = site_copy("sites/editions");
    write(
        &root,
        "content/_data/people.yaml",
        "- id: minister\n  name: \"A. Minister\"\n  role: \"Foreign Minister of Testland\"\n  name_in: { ru: \"А. Министр\" }\n  role_in: { ru: \"министр иностранных дел Тестландии\" }\n  party: tl\n",
    );
    write(
        &root,
        "content/_data/glossary.yaml",
        "- term: \"FTA\"\n  expansion: \"Free Trade Agreement\"\n  definition: \"A treaty that lowers tariffs between its members.\"\n  aliases: [\"free trade agreement\"]\n  term_in: { ru: \"ЗСТ\" }\n  expansion_in: { ru: \"зона свободной торговли\" }\n  definition_in: { ru: \"Договор, снижающий пошлины между его участниками.\" }\n  source: s1\n",
    );
    let out = tmp.path().join("public");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (en, ru) = (
        read(&out, "people/index.html"),
        read(&out, "ru/people/index.html"),
    );
    assert!(en.contains("A. Minister") && en.contains("Foreign Minister of Testland"));
    assert!(
        ru.contains("А. Министр") && ru.contains("министр иностранных дел Тестландии"),
        "{ru}"
    );
    assert!(!ru.contains("Foreign Minister of Testland"), "{ru}");
    let (en, ru) = (
        read(&out, "glossary/index.html"),
        read(&out, "ru/glossary/index.html"),
    );
    assert!(en.contains("A treaty that lowers tariffs") && !en.contains("ЗСТ"));
    assert!(
        ru.contains("ЗСТ") && ru.contains("Договор, снижающий пошлины"),
        "{ru}"
    );
    // The anchor is the original term's in every edition, so a link names the same entry.
    assert!(en.contains("id=fta") || en.contains("id=\"fta\""), "{en}");
    assert!(ru.contains("id=fta") || ru.contains("id=\"fta\""), "{ru}");

    // A language that is not one of the site's editions is a warning at its entry (words no
    // page shows), and an error under `check --strict`.
    write(
        &root,
        "content/_data/people.yaml",
        "- id: minister\n  name: \"A. Minister\"\n  role: \"Foreign Minister of Testland\"\n  role_in: { de: \"Außenminister\" }\n  party: tl\n",
    );
    let o = build(&root, &tmp.path().join("again"), &[]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("content/_data/people.yaml:1")
            && err.contains("warning")
            && err.contains("`role_in` of `minister` names `de`")
            && err.contains("the site's other editions are ru"),
        "{err}"
    );
    let o = bilat(&["check", "--strict", "--root", root.to_str().expect("utf8")]);
    assert!(!o.status.success(), "{}", stderr(&o));
}
